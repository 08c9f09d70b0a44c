"""Exercise 000 (docs/exercises/00-encrypted-open.md), for two students:
GRUB's entry 13 with the student's id, the hang formed by real programs and
drivers, the case study's investigation replayed step by step from
tests/exercises/000.solution (the seed's commands in the seed's order),
and !waitchain and !analyze -hang naming the cycle through lsass's worker
and the scanner. The students' systems differ where the exercise varies
them. `.answer` is checked when the shell has it."""

import os
import re
import time

from e2e import CTRL_C, PROMPT, run, short

FIRMWARE = ("bios",)
# Guest time from the instruction count, as the exercises run (the waits
# of the client and of lsass's worker start in the same tick).
ICOUNT = ["-icount", "shift=auto,sleep=off"]
VM_OPTIONS = {"menu_entry": 13, "student": "s1", "extra_args": ICOUNT}
SOLUTION = os.path.join(os.path.dirname(__file__), "..", "exercises", "000.solution")
HEX16 = r"[0-9a-f]{16}"


def solution_steps():
    """[(kind, text)] of the solution: '>' commands, '<' regexes."""
    steps = []
    with open(SOLUTION) as f:
        for line in f:
            line = line.rstrip("\n")
            if line[:2] in ("> ", "< "):
                steps.append((line[0], line[2:]))
            else:
                assert not line.strip() or line.startswith("#"), "odd line %r" % line
    return steps


def substitute(text, values, escape):
    def one(m):
        if m.group(1) not in values:
            return m.group(0)       # {4}: a quantifier
        return re.escape(values[m.group(1)]) if escape else values[m.group(1)]
    return re.sub(r"\{([A-Za-z_]\w*)\}", one, text)


def age(vm, seconds=2.0):
    """`g`, some guest time, Ctrl-C: the hang is older than !analyze's second."""
    vm.read_available()
    vm.type_line("g")
    time.sleep(seconds)
    vm.send_raw(CTRL_C)
    vm.wait_for(PROMPT, 30)


def replay(vm):
    """The solution's steps; returns the values captured."""
    has_answer = ".answer" in vm.command("help", 20)
    values = {}
    output = command = None
    for kind, text in solution_steps():
        if kind == ">":
            command = substitute(text, values, False)
            if command.startswith(".answer") and not has_answer:
                command = None
                continue
            if command == "!analyze -hang":
                age(vm)
            output = vm.command(command, 120)
            continue
        if command is None:
            continue
        pattern = re.compile(substitute(text, values, True), re.M)
        m = pattern.search(output)
        assert m, "%r: no match for /%s/ in %s" % (command, pattern.pattern, short(output, 1500))
        values.update({k: v for k, v in m.groupdict().items() if v is not None})
    return values


def check_system(vm, values):
    """What the replay found, checked against each other and the boot text."""
    boot = vm.boot_text
    assert "Exercise 000: a service's file open never returns" in boot, short(boot[-800:])
    # No spoilers: the boot names neither the scanner nor lsass's worker.
    for word in ("ScanGuard", "deadlock", values["worker"]):
        assert word.lower() not in boot.lower(), "the boot text gives away %r" % word
    assert values["scanner"] == "ScanGuard", values
    # The seed's heuristic: the worker's wait started when the client's did.
    assert 0 <= int(values["workertick"]) - int(values["tick"]) <= 2, values
    output = run(vm, "!waitchain " + values["worker"], "Wait chain of THREAD")
    assert re.search(r"^deadlock: cycle of 2 threads: %s -> %s -> %s" % (
        values["worker"], values["client"], values["worker"]), output, re.M), output
    output = run(vm, "lm", "ScanGuard")
    # lsass's dispatcher received later requests: the client's id is not its own.
    output = run(vm, "!process %s 2" % values["lsass"], "lsass.exe")
    m = re.search(r"^\s*LPC Server thread working on message Id ([0-9a-f]+)$", output, re.M)
    assert m and int(m.group(1), 16) > int(values["message"], 16), short(output)
    assert len(re.findall(r"^\s*THREAD %s " % HEX16, output, re.M)) == 7, short(output)
    hosts = run(vm, "!process 0 0 svchost.exe", "svchost.exe")
    return len(re.findall(r"^PROCESS %s$" % HEX16, hosts, re.M))


def wrong_answers(vm, values):
    if ".answer" not in vm.command("help", 20):
        return
    for words in ("%s ScanGuard" % values["client"], "%s fltMgr" % values["worker"]):
        output = run(vm, ".answer " + words)
        assert re.search(r"^Answer: not right", output, re.M), output
        assert values["worker"] not in output, output


def test_the_seeds_investigation_finds_the_deadlock(vm):
    values = replay(vm)
    values["hosts"] = check_system(vm, values)
    wrong_answers(vm, values)
    test_the_seeds_investigation_finds_the_deadlock.values = values


def test_another_student_gets_another_system(new_vm):
    vm = new_vm("-s4", menu_entry=13, student="s4", extra_args=ICOUNT)
    vm.boot(timeout=300)
    values = replay(vm)
    hosts = check_system(vm, values)
    wrong_answers(vm, values)
    first = getattr(test_the_seeds_investigation_finds_the_deadlock, "values", None)
    # s1: one backup service before the deadlock, one after (4 service
    # hosts); s4: an update service before, two backups after (5); and
    # message ids of their own.
    assert hosts == 5, hosts
    if first:
        assert first["hosts"] == 4, first
        assert values["message"] != first["message"], (values, first)
