"""!waitchain and !analyze -hang on the LPC exercise (run=lpcdemo,lpcdemo):
from the client stuck in WrLpcReply, through the server thread that holds
its message id and the mutant that server thread waits on, to the
bookkeeping thread that owns the mutant and waits on an event nobody sets:
the root docs/exercises.md names. Each hop is checked against what the
ordinary commands (!lpc thread, !thread) say."""

import re

from e2e import run

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 9}

HEX16 = r"[0-9a-f]{16}"


def scene(vm):
    """(message id, client, server, mutant, owner) as !lpc thread and !thread give them."""
    output = run(vm, "!lpc thread", "Searching all threads doing LPC")
    server = re.search(r"^Server thread (%s) is working on message ([0-9a-f]+)$" % HEX16,
                       output, re.M)
    client = re.search(r"^Client thread (%s) waiting a reply from ([0-9a-f]+)$" % HEX16,
                       output, re.M)
    assert server and client and server.group(2) == client.group(2), output
    thread = run(vm, "!thread %s" % server.group(1), "THREAD")
    owner = re.search(r"^    (%s) Mutant - owning thread (%s)$" % (HEX16, HEX16), thread, re.M)
    assert owner, thread
    return (int(client.group(2), 16), client.group(1), server.group(1), owner.group(1),
            owner.group(2))


def test_waitchain_goes_from_the_client_to_the_bookkeeper(vm):
    message, client, server, mutant, owner = scene(vm)
    output = run(vm, "!waitchain %s" % client, "Wait chain of THREAD %s" % client)
    expected = [
        r"^\[0\] THREAD %s \(lpcdemo\.exe Cid [0-9a-f]{4}\.[0-9a-f]{4}\) WAIT: \(WrLpcReply\) "
        r"UserMode Non-Alertable, blocked [0-9:.]+ in lpcdemo!\w+\+0x[0-9a-f]+$" % client,
        r"^    waits for THREAD %s: LPC MessageId %08x \(ETHREAD\.LpcReplyMessageId\): THREAD %s "
        r"has it as its LpcReceivedMessageId \(!lpc message %x\)$"
        % (server, message, server, message),
        r"^\[1\] THREAD %s \(lpcdemo\.exe .* in lpcdemo!\w+\+0x" % server,
        r"^    waits for THREAD %s: Mutant %s: KMUTANT\.OwnerThread is %s$"
        % (owner, mutant, owner),
        r"^\[2\] THREAD %s \(lpcdemo\.exe .* in lpcdemo!DemoBookkeeper\+0x" % owner,
        r"^    waits on NotificationEvent (%s)$" % HEX16,
        r"^    candidate: PROCESS %s \(lpcdemo\.exe Cid [0-9a-f]+\) holds handle [0-9a-f]+ to it"
        % HEX16,
        r"^    ends here: NotificationEvent %s: no owner" % HEX16,
        r"^Root: THREAD %s \(lpcdemo\.exe Cid [0-9a-f.]+\), blocked [0-9:.]+ in "
        r"lpcdemo!DemoBookkeeper\+0x[0-9a-f]+ \(module lpcdemo\): waits on an object no thread "
        r"owns" % owner,
    ]
    at = 0
    for pattern in expected:
        m = re.compile(pattern, re.M).search(output, at)
        assert m, (pattern, output)
        at = m.end()
    assert "[3]" not in output, output


def test_waitchain_of_the_server_starts_at_its_mutant(vm):
    _, _, server, _, owner = scene(vm)
    output = run(vm, "!waitchain %s" % server, "Wait chain of THREAD %s" % server)
    assert re.search(r"^Root: THREAD %s " % owner, output, re.M), output


def test_waitchain_all_puts_the_chain_in_one_tree(vm):
    _, client, server, _, owner = scene(vm)
    output = run(vm, "!waitchain -a 0", "threads blocked for 0 s or more")
    tree = re.search(r"^Tree \d+: \d+ threads.*\n(THREAD %s .*\n(?:.*\n)*?)(?:\nTree|\Z)"
                     % owner, output + "\n", re.M)
    assert tree, output
    body = tree.group(1)
    assert re.search(r"^  <- THREAD %s " % server, body, re.M), body
    assert re.search(r"^    <- THREAD %s " % client, body, re.M), body


def test_analyze_hang_names_the_bookkeeper_as_the_root(vm):
    _, client, _, _, owner = scene(vm)
    output = run(vm, "!analyze -hang", "HANG ANALYSIS: ", timeout=60)
    root = re.search(r"^ROOT 1: (\d+) threads lead to THREAD %s; the longest blocked" % owner,
                     output, re.M)
    assert root and int(root.group(1)) >= 3, output
    assert re.search(r"^    Root: THREAD %s .*\(module lpcdemo\)" % owner, output, re.M), output
    for section in ("SYSTEM WORKER QUEUES", "LPC PORTS WITH REQUESTS NOBODY HAS RECEIVED",
                    "POOL TAGS", "ZOMBIE PROCESSES (ended, still referenced): "):
        assert section in output, (section, output)
