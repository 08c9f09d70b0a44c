"""!waitchain on the ALPC chain (demo=alpc): alpcapp.exe waits for the reply
to a request alpcsvc.exe received, and alpcsvc.exe, while working on it,
waits for the reply to its own request to alpcdb.exe, whose thread waits on
a semaphore. Each ALPC hop must name the thread `!alpc /m` gives as the
message's ServerThread, for the message `!thread` names, and the chain must
end at alpcdb.exe's thread, as the second case study's investigator ended
at ProcessC's."""

import re

from e2e import run, short

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 12}

HEX16 = r"[0-9a-f]{16}"


def client_thread(vm):
    m = re.search(r"Demo: alpcapp\.exe's thread (%s) waits for the reply" % HEX16, vm.boot_text)
    assert m, "the demo did not start: %s" % short(vm.boot_text[-600:])
    return m.group(1)


def alpc_hop(vm, thread):
    """(message, server thread) as !thread and !alpc /m tell them."""
    output = run(vm, "!thread " + thread, "THREAD")
    m = re.search(r"^Waiting for reply to ALPC Message (%s) : queued at port" % HEX16,
                  output, re.M)
    assert m, "no ALPC line: %s" % short(output)
    message = m.group(1)
    output = run(vm, "!alpc /m " + message, "Message")
    m = re.search(r"^\s*ServerThread\s*: (%s)$" % HEX16, output, re.M)
    assert m, "no ServerThread in !alpc /m: %s" % short(output)
    return message, m.group(1)


def test_waitchain_follows_both_alpc_hops_to_the_second_server(vm):
    client = client_thread(vm)
    first, server = alpc_hop(vm, client)
    second, backend = alpc_hop(vm, server)
    output = run(vm, "!waitchain " + client, "Wait chain of THREAD " + client)
    assert re.search(r"^\[0\] THREAD %s \(alpcapp\.exe Cid [0-9a-f.]+\) WAIT: \(WrLpcReply\) "
                     r"UserMode" % client, output, re.M), output
    hop = (r"^    waits for THREAD %s: ALPC message %s \(ETHREAD\.AlpcMessage, MessageId "
           r"[0-9a-f]+, on the pending queue\): its ServerThread is %s ")
    assert re.search(hop % (server, first, server), output, re.M), output
    assert re.search(r"^\[1\] THREAD %s \(alpcsvc\.exe Cid [0-9a-f.]+\) WAIT: \(WrLpcReply\) "
                     % server, output, re.M), output
    assert re.search(hop % (backend, second, backend), output, re.M), output
    assert re.search(r"^\[2\] THREAD %s \(alpcdb\.exe Cid [0-9a-f.]+\) WAIT: \(UserRequest\) "
                     r".* in alpcdb!DbLookup\+0x" % backend, output, re.M), output
    assert re.search(r"^Root: THREAD %s \(alpcdb\.exe Cid [0-9a-f.]+\), blocked .* "
                     r"\(module alpcdb\)" % backend, output, re.M), output
    # Three threads, no more: nothing after the root's hop.
    assert not re.search(r"^\[3\]", output, re.M), output
