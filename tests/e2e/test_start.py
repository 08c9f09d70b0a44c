"""`.start PROGRAM [ARGS]`: the shell records the request; after `g` a System
thread asks the session manager (smss, \\SmApiPort, SmApiExecPgm) over LPC to
start the program; the outcome appears on the console. Here on the default
boot: lpcdemo started from the prompt is found with `!process 0 0` and its
port with `!lpc port`; the errors for bad syntax, unknown programs and a
second request before `g`; `.start -session` (SmApiStartSession), a program
started in a new session as for a logon, found with `!session`, and
`!session -s` switching to it (a process of it becomes the implicit one)."""

import re
import time

from e2e import CTRL_C, PROMPT, run, short

FIRMWARE = ("bios",)

HEX16 = r"[0-9a-f]{16}"


def go_until(vm, *patterns):
    """`g`, wait for every pattern (compiled regexes), in any order: with
    several processors the program may print before smss's `.start` line
    does. Then Ctrl-C back to the prompt. Returns the match of each pattern."""
    matches = []
    vm.read_available()
    vm.type_line("g")
    vm.wait_for("g\n", 10)
    start = end = vm.cursor
    for pattern in patterns:
        vm.cursor = start
        vm.wait_for(pattern, 60)
        matches.append(vm.last_match)
        end = max(end, vm.cursor)
    vm.cursor = end
    vm.send_raw(CTRL_C)
    vm.wait_for(PROMPT, 20)
    return matches


def test_start_checks_its_arguments(vm):
    run(vm, ".start", "Usage: .start [-session] PROGRAM [ARGS]")
    run(vm, ".start -session", "Usage: .start [-session] PROGRAM [ARGS]")
    run(vm, ".start nosuchprogram", "nosuchprogram is not in the boot archive")
    run(vm, ".start lpc/demo", "Bad program name 'lpc/demo'")
    run(vm, ".start " + "x" * 40, "Bad program name")
    run(vm, ".start hello " + "a" * 200, "Command line too long")
    output = run(vm, "help .start", ".start [-session] PROGRAM [ARGS]")
    assert "smss" in output, short(output)
    assert ".start" in run(vm, "help")


def test_start_lpcdemo_then_find_its_process_and_port(vm):
    run(vm, ".start lpcdemo", "Starting lpcdemo after the target resumes (g)")
    # One request at a time, and nothing runs while the system is stopped.
    run(vm, ".start hello", "A .start is already pending (lpcdemo)")
    started, _ = go_until(vm, re.compile(r"\.start: started lpcdemo \(Cid ([0-9a-f]+)\)"),
                          re.compile(r"lpcdemo: server: \\LpcDemoPort created"))
    cid = int(started.group(1), 16)
    output = run(vm, "!process 0 0", "lpcdemo.exe")
    m = re.search(r"^PROCESS %s\n\s+SessionId: \S+ +Cid: ([0-9a-f]+) .*\n.*\n"
                  r"\s+Image: lpcdemo\.exe$"
                  % HEX16, output, re.M)
    assert m, short(output, 2000)
    assert int(m.group(1), 16) == cid, (cid, m.group(0))
    output = run(vm, "!lpc port", "Scanning the objects of type Port")
    assert re.search(r"^Server connection port %s Name: LpcDemoPort\n"
                     r"    Handles: 1 References: \d+\n"
                     r"    Server process : %s \(lpcdemo\.exe\)$" % (HEX16, HEX16),
                     output, re.M), short(output, 2000)


def test_a_second_start_after_the_first_completes(vm):
    # The request is done: a new one is taken. An unknown program never gets
    # this far; a program smss cannot start reports its status.
    run(vm, ".start hello world", "Starting hello after the target resumes (g)")
    go_until(vm, re.compile(r"\.start: started hello \(Cid [0-9a-f]+\)"))
    run(vm, "!process 0 0", "hello.exe")


def test_a_second_lpcdemo_is_its_client_and_gets_stuck(vm):
    # The exercise from the prompt (docs/exercises.md): the first lpcdemo is
    # the server (started above), a second one connects as its client and
    # waits for ever for the reply to its third request.
    run(vm, ".start lpcdemo", "Starting lpcdemo after the target resumes (g)")
    go_until(vm, re.compile(r"\.start: started lpcdemo \(Cid [0-9a-f]+\)"),
             re.compile(r"lpcdemo: client: sending request 3 and waiting for the reply"))
    # The client prints before it sends: the break-in may come before the
    # request reaches the server, or before the client is in its wait. Let
    # it run a little more until both have happened.
    for _ in range(10):
        output = run(vm, "!lpc thread", "doing LPC")
        server = re.search(r"^Server thread (%s) is working on message ([0-9a-f]+)$" % HEX16,
                           output, re.M)
        client = re.search(r"^Client thread (%s) waiting a reply from ([0-9a-f]+)$" % HEX16,
                           output, re.M)
        if server and client and "WAIT: (WrLpcReply)" in run(vm, "!thread %s 0" %
                                                              client.group(1), "THREAD"):
            break
        vm.type_line("g")
        vm.wait_for("g\n", 10)
        time.sleep(0.5)
        vm.send_raw(CTRL_C)
        vm.wait_for(PROMPT, 20)
    assert server and client, short(output, 2000)
    assert server.group(2) == client.group(2), short(output, 2000)
    thread = run(vm, "!thread %s" % client.group(1), "THREAD")
    assert "WAIT: (WrLpcReply) UserMode" in thread, short(thread, 2000)
    assert re.search(r"^Waiting for reply to LPC MessageId 0*%s:$" % client.group(2), thread,
                     re.M), short(thread, 2000)
    assert "Image: lpcdemo.exe" in thread, short(thread, 2000)


def test_start_in_a_new_session_as_a_logon(vm):
    # smss starts a copy of itself for the logon, which makes session 1 (its
    # processes inherit it) and starts the program there; the copy waits for
    # the program, and stays as a zombie in session 1 (smss keeps its handle).
    run(vm, ".start -session hello", "Starting hello in a new session after the target "
        "resumes (g)")
    copy, started = go_until(
        vm, re.compile(r"\.start: a new session for hello \(its smss: Cid ([0-9a-f]+)\)"),
        re.compile(r"smss: session (\d+): started hello \(Cid ([0-9a-f]+)\)"))
    session = started.group(1)
    assert int(session) >= 1, started.group(0)
    output = run(vm, "!session", "Sessions on machine: ")
    ids = re.search(r"^Valid Sessions:((?: \d+)*)$", output, re.M).group(1).split()
    assert "0" in ids and session in ids, output
    output = run(vm, "!process %s 0" % copy.group(1), "Image: smss.exe")
    assert re.search(r"^    SessionId: %s  Cid: %04x " % (session, int(copy.group(1), 16)),
                     output, re.M), output
    # The first smss, which serves \SmApiPort, is still in session 0.
    output = run(vm, "!process 0 0 smss.exe")
    assert len(re.findall(r"^    SessionId: 0  ", output, re.M)) == 1, output


def test_session_s_switches_the_session_context(vm):
    # Run after test_start_in_a_new_session_as_a_logon: a session 1 or more.
    output = run(vm, "!session", "Valid Sessions:")
    ids = re.search(r"^Valid Sessions:((?: \d+)*)$", output, re.M).group(1).split()
    logon = max(ids, key=int)
    assert int(logon) >= 1, output
    output = run(vm, "!session -s %s" % logon, "Using session %s" % logon)
    m = re.search(r"^Sessions on machine: %d\nImplicit process is now ([0-9a-f`]+)\n"
                  r"Using session %s$" % (len(ids), logon), output, re.M)
    assert m, output
    process = m.group(1).replace("`", "")
    # The implicit process is that session's, and !session now says so.
    assert re.search(r"^    SessionId: %s  " % logon, run(vm, "!process %s 0" % process),
                     re.M)
    run(vm, ".process", "Implicit process is now %s" % m.group(1))
    run(vm, "!session", "Current Session %s" % logon)
    # Back to session 0, then to the current thread's (-1).
    output = run(vm, "!session -s 0", "Using session 0")
    zero = re.search(r"Implicit process is now ([0-9a-f`]+)", output).group(1).replace("`", "")
    assert re.search(r"^    SessionId: 0  ", run(vm, "!process %s 0" % zero), re.M)
    run(vm, "!session", "Current Session 0")
    run(vm, "!session -s -1", "Implicit process is now ")
    # Errors: no such session, not a number, a bad form.
    assert "Using session" not in run(vm, "!session -s 77",
                                      "Session 119 is not valid (77 is read as hex)")
    assert "Using session" not in run(vm, "!session -s 9",
                                      "Session 9 is not valid; !session lists")
    assert "Using session" not in run(vm, "!session -s zork")
    run(vm, "!session -s", "Usage: !session [-s DefaultSession]")
    run(vm, "!session 1", "Usage: !session [-s DefaultSession]")
