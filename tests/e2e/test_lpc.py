"""An LPC client stuck waiting for its reply (GRUB entry "... an LPC client
stuck waiting for a reply", run=lpcdemo,lpcdemo), found the way the first
case study finds it: the client waits in WrLpcReply for a message id; the
server thread that received that message waits on a mutant; the mutant's
owner waits on an event nobody sets. Also the system servers every boot
starts (smss.exe, lsass.exe) and their ports."""

import re

from e2e import run

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 9}
# Again with four processors (e2e/bios-smp4): client, server and the lock's
# owner on any of them, the same chain.
SMP = 4

HEX16 = r"[0-9a-f]{16}"


def lpc_threads(vm):
    """(message id, server thread, client thread) from !lpc thread."""
    output = run(vm, "!lpc thread", "Searching all threads doing LPC")
    server = re.search(r"^Server thread (%s) is working on message ([0-9a-f]+)$" % HEX16,
                       output, re.M)
    client = re.search(r"^Client thread (%s) waiting a reply from ([0-9a-f]+)$" % HEX16,
                       output, re.M)
    assert server and client, output
    assert server.group(2) == client.group(2), output
    return int(client.group(2), 16), server.group(1), client.group(1)


def test_the_demo_gets_two_replies_and_waits_for_the_third(vm):
    text = vm.output
    for line in (r"init: started smss \(Cid [0-9a-f]+\)", r"init: started lsass \(Cid [0-9a-f]+\)",
                 r"lpcdemo: server: \\LpcDemoPort created",
                 r"lpcdemo: client: connected; my view at %s is at %s in the server"
                 % (HEX16, HEX16),
                 r"lpcdemo: client: reply to message [0-9a-f]+: request 1: 41 bytes read",
                 r"lpcdemo: client: reply to message [0-9a-f]+: request 2: 41 bytes read",
                 r"lpcdemo: client: sending request 3 and waiting for the reply",
                 r"lpcdemo: server: request 3 needs the bookkeeping lock"):
        assert re.search(line, text), line
    assert "request 3: 41 bytes read" not in text


def test_lpc_port_lists_the_system_servers_ports(vm):
    output = run(vm, "!lpc port", "Scanning the objects of type Port")
    for name, image in (("SmApiPort", "smss.exe"), ("LsaAuthenticationPort", "lsass.exe"),
                        ("LpcDemoPort", "lpcdemo.exe")):
        m = re.search(r"^Server connection port %s Name: %s\n"
                      r"    Handles: 1 References: \d+\n"
                      r"    Server process : %s \(%s\)\n"
                      r"    Queue semaphore : %s\n"
                      r"    Semaphore state 0 \(0x0\)\n"
                      r"    The message queue is empty$"
                      % (HEX16, name, HEX16, re.escape(image), HEX16), output, re.M)
        assert m, (name, output)
    assert re.search(r"^\d+ ports$", output, re.M), output


def test_client_thread_waits_for_the_reply(vm):
    message, _, client = lpc_threads(vm)
    output = run(vm, "!thread %s" % client, "THREAD")
    assert re.search(r"^THREAD %s Cid [0-9a-f]{4}\.[0-9a-f]{4} Teb: %s Win32Thread: %s "
                     r"WAIT: \(WrLpcReply\) UserMode Non-Alertable$" % (client, HEX16, HEX16),
                     output, re.M), output
    assert re.search(r"^    %s Semaphore Limit 0x1$" % HEX16, output, re.M), output
    assert "Waiting for reply to LPC MessageId %08x:" % message in output, output
    port = re.search(r"^Current LPC port (%s)$" % HEX16, output, re.M)
    assert port, output
    assert "Image: lpcdemo.exe" in output
    # As the case studies' waiting threads read: the wait itself, then the
    # LPC service, nothing in line between them.
    calls = re.findall(r" nt!(\w+)\+0x[0-9a-f]+", output)
    assert "KiSwapThread" in calls, output
    at = calls.index("KiSwapThread")
    assert calls[at + 1:at + 3] == ["KeWaitForSingleObject", "NtRequestWaitReplyPort"], calls
    assert re.search(r"nt!KiSystemCall64\+0x[0-9a-f]+ \(TrapFrame @ ", output), output


def test_lpc_message_finds_both_threads_and_the_ports(vm):
    message, server, client = lpc_threads(vm)
    output = run(vm, "!lpc message %x" % message, "Searching message")
    assert "Server thread %s is working on message %x" % (server, message) in output, output
    assert "Client thread %s waiting a reply from %x" % (client, message) in output, output
    comm = re.search(r"^Server communication port 0x(%s)\n"
                     r"    Handles: 1 References: \d+\n"
                     r"    The LpcDataInfoChainHead queue is empty\n"
                     r"        Connected port: 0x(%s) Server connection port: 0x(%s)$"
                     % (HEX16, HEX16, HEX16), output, re.M)
    assert comm, output
    assert re.search(r"^Client communication port 0x%s$" % comm.group(2), output, re.M), output
    assert re.search(r"^Server connection port %s Name: LpcDemoPort$" % comm.group(3), output,
                     re.M), output
    # The client's current port is the one it sent through, its client
    # communication port (as the first case study's !thread shows).
    thread = run(vm, "!thread %s" % client, "THREAD")
    assert "Current LPC port %s" % comm.group(2) in thread, thread


def test_server_thread_waits_on_a_mutant_whose_owner_waits_forever(vm):
    message, server, _ = lpc_threads(vm)
    output = run(vm, "!thread %s" % server, "THREAD")
    assert re.search(r"WAIT: \(UserRequest\) UserMode Non-Alertable$", output, re.M), output
    assert "LPC Server thread working on message Id %x" % message in output, output
    owner = re.search(r"^    %s Mutant - owning thread (%s)$" % (HEX16, HEX16), output, re.M)
    assert owner, output
    bookkeeper = run(vm, "!thread %s" % owner.group(1), "THREAD")
    assert re.search(r"WAIT: \(UserRequest\) UserMode Non-Alertable$", bookkeeper, re.M)
    assert re.search(r"^    %s NotificationEvent$" % HEX16, bookkeeper, re.M), bookkeeper
    assert "Image: lpcdemo.exe" in bookkeeper


def test_lpc_message_without_an_id_lists_only_blocks_in_use(vm):
    # The free blocks LPC keeps (LPCP_LOOKASIDE_DEPTH at rest) carry the tag
    # LpcM too; they once showed as 32 "messages".
    output = run(vm, "!lpc message", "Searching message 0 in the kernel pool (tag LpcM) ...")
    m = re.search(r"^(\d+) of (\d+) LPC message blocks? in the pool shown \((\d+) free\)$",
                  output, re.M)
    assert m, output
    shown, total, free = (int(g) for g in m.groups())
    blocks = re.findall(r"^    [0-9a-f]{4} [0-9a-f]{16} - ", output, re.M)
    assert len(blocks) == shown and shown + free == total, output
    assert free >= 1 and shown < total, output


def test_lpc_scan_counts_the_rows_it_shows(vm):
    ports = run(vm, "!lpc port", "Scanning the objects of type Port and WaitablePort")
    demo = re.search(r"^Server connection port ([0-9a-f]{16}) Name: LpcDemoPort$", ports,
                     re.M).group(1)
    total = int(re.search(r"^(\d+) ports$", ports, re.M).group(1))
    output = run(vm, "!lpc scan %s" % demo, "Scanning the ports linked to %s ..." % demo)
    rows = re.findall(r"^\s+\d+  Port: 0x[0-9a-f]{16} Connection: 0x%s  " % demo, output, re.M)
    assert len(rows) == 3, output           # the connection port, the client's, the server's
    assert output.splitlines()[-1] == "3 ports linked to %s (of %d ports scanned)" % (
        demo, total), output
