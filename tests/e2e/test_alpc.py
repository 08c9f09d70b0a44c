"""The ALPC wait chain of the second and third case studies in miniature
(GRUB entry "... an ALPC chain, client -> server -> second server",
demo=alpc), followed the way the case studies follow it: `!thread` on the
client shows it waiting (WrLpcReply) for the reply to an ALPC message,
queued at a port owned by a process, its stack through
NtAlpcSendWaitReceivePort -> AlpcpProcessSynchronousRequest ->
AlpcpReceiveSynchronousReply -> AlpcpSignalAndWait; `!alpc /m` on that
message names the thread that received it (ServerThread); `!alpc /p` shows
the port with the message on its pending queue; `!thread` on the server
thread shows the second hop, and `!alpc /m` on its message the second
server's thread, which waits on a semaphore. Every field of `!alpc /m` is
checked, against `dt` where dt can say it too."""

import re

from e2e import run, short

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 12}

HEX16 = r"[0-9a-f]{16}"

ALPC_LINE = (r"^Waiting for reply to ALPC Message (%s) : queued at port (%s) : owned by "
             r"process (%s)$" % (HEX16, HEX16, HEX16))


def client_thread(vm):
    m = re.search(r"Demo: alpcapp\.exe's thread (%s) waits for the reply to an ALPC request to "
                  r"alpcsvc\.exe" % HEX16, vm.boot_text)
    assert m, "the demo did not start: %s" % short(vm.boot_text[-600:])
    return m.group(1)


def dt_value(vm, type_name, address, field):
    """The value dt shows for one field, as an int (pointers lose their backtick)."""
    output = run(vm, "dt nt!%s %s %s" % (type_name, address, field))
    last = field.split(".")[-1]
    m = re.search(r"^\s+\+0x[0-9a-f]+ %s\s*: (0x[0-9a-f`]+|0n-?\d+)" % re.escape(last), output,
                  re.M)
    assert m, "dt %s %s: %s" % (type_name, field, short(output))
    text = m.group(1).replace("`", "")
    return int(text[2:], 10 if text.startswith("0n") else 16)


def thread_hop(vm, thread, image):
    """!thread on a thread waiting for an ALPC reply: (message, port, owner)."""
    output = run(vm, "!thread " + thread, "THREAD")
    rows = output.split("\n")
    assert re.match(r"THREAD %s Cid [0-9a-f]{4}\.[0-9a-f]{4} Teb: %s Win32Thread: %s "
                    r"WAIT: \(WrLpcReply\) UserMode Non-Alertable$" % (thread, HEX16, HEX16),
                    rows[0]), short(output)
    # The thread's own ALPC wait semaphore, as in the case studies.
    semaphore = int(thread, 16) + dt_offset(vm, "_ETHREAD", "AlpcWaitSemaphore")
    assert rows[1] == "    %016x Semaphore Limit 0x1" % semaphore, short(output)
    m = re.match(ALPC_LINE, rows[2])
    assert m, "no ALPC line after the wait: %s" % short(output)
    assert rows[3] == "Not impersonating", short(output)
    # Its process's DosDevices map, under the impersonation line as in the seeds.
    assert re.match(r"DeviceMap %s$" % HEX16, rows[4]), short(output)
    assert re.match(r"Owning Process %s Image: %s$" % (HEX16, re.escape(image)), rows[5]), \
        short(output)
    # The stack, innermost first, as the case studies show it.
    calls = [name for name in re.findall(r" nt!(\w+)\+0x[0-9a-f]+", output)]
    chain = ["AlpcpSignalAndWait", "AlpcpReceiveSynchronousReply",
             "AlpcpProcessSynchronousRequest", "NtAlpcSendWaitReceivePort"]
    at = [calls.index(name) for name in chain if name in calls]
    assert len(at) == len(chain) and at == sorted(at), "stack: %s" % calls
    assert re.search(r"nt!KiSystemCall64\+0x[0-9a-f]+ \(TrapFrame @ ", output), short(output)
    return m.group(1), m.group(2), m.group(3)


def dt_offset(vm, type_name, field):
    output = run(vm, "dt nt!%s %s" % (type_name, field))
    m = re.search(r"^\s+\+0x([0-9a-f]+) %s " % field, output, re.M)
    assert m, short(output)
    return int(m.group(1), 16)


def alpc_message(vm, message):
    """!alpc /m, as a dict of its fields (in order), after checking its header."""
    output = run(vm, "!alpc /m " + message, "Message @ " + message)
    rows = output.split("\n")
    assert rows[0] == "" and rows[1] == "Message @ " + message, short(output)
    fields = []
    for row in rows[2:]:
        if not row:
            continue
        m = re.match(r"  (\w+) +: (.*)$", row)
        assert m and len(row.split(":")[0]) == 24, "odd row %r" % row
        fields.append((m.group(1), m.group(2)))
    names = [name for name, _ in fields]
    assert names == ["MessageID", "CallbackID", "SequenceNumber", "Type", "DataLength",
                     "TotalLength", "Canceled", "Release", "ReplyWaitReply", "Continuation",
                     "OwnerPort", "WaitingThread", "QueueType", "QueuePort",
                     "QueuePortOwnerProcess", "ServerThread", "QuotaCharged",
                     "CancelQueuePort", "CancelSequencePort", "CancelSequenceNumber",
                     "ClientContext", "ServerContext", "PortContext", "CancelPortContext",
                     "SecurityData", "View"], names
    return dict(fields)


def check_message(vm, message, waiter, port, owner, owner_image):
    """Every field of !alpc /m on a pending synchronous request; returns
    its ServerThread."""
    f = alpc_message(vm, message)
    message_id = dt_value(vm, "_KALPC_MESSAGE", message, "PortMessage.MessageId")
    assert f["MessageID"] == "0x%04X (%d)" % (message_id, message_id), f
    callback = dt_value(vm, "_KALPC_MESSAGE", message, "PortMessage.CallbackId")
    assert f["CallbackID"] == "0x%X (%d)" % (callback, callback), f
    sequence = dt_value(vm, "_KALPC_MESSAGE", message, "SequenceNo")
    assert sequence > 0 and f["SequenceNumber"] == "0x%08X (%d)" % (sequence, sequence), f
    assert f["Type"] == "LPC_REQUEST", f
    # The demo's message: 64 bytes of data after the 40-byte header.
    assert f["DataLength"] == "0x0040 (64)" and f["TotalLength"] == "0x0068 (104)", f
    assert (f["Canceled"], f["Release"], f["ReplyWaitReply"], f["Continuation"]) == (
        "No", "No", "No", "Yes"), f
    owner_port = re.match(r"(%s) \[ALPC_CLIENT_COMMUNICATION_PORT\]$" % HEX16, f["OwnerPort"])
    assert owner_port, f
    assert f["WaitingThread"] == waiter, f
    assert f["QueueType"] == "ALPC_MSGQUEUE_PENDING", f
    assert f["QueuePort"] == "%s [ALPC_CONNECTION_PORT]" % port, f
    assert f["QueuePortOwnerProcess"] == "%s (%s)" % (owner, owner_image), f
    server = f["ServerThread"]
    assert re.match(HEX16 + "$", server) and int(server, 16), f
    assert f["QuotaCharged"] == "No", f
    assert f["CancelQueuePort"] == f["CancelSequencePort"] == "0" * 16, f
    assert f["CancelSequenceNumber"] == "0x00000000 (0)", f
    # The server's context for this connection, given at its accept.
    assert int(f["PortContext"], 16) != 0, f
    assert f["PortContext"] == "%016x" % dt_value(
        vm, "_KALPC_MESSAGE", message, "MessageAttributes.PortContext"), f
    for name in ("ClientContext", "ServerContext", "CancelPortContext", "SecurityData", "View"):
        assert re.match(HEX16 + "$", f[name]), (name, f)
    return server, owner_port.group(1)


def test_the_demo_gets_two_replies_and_waits_for_the_third(vm):
    text = vm.boot_text
    for line in (r"alpcdb: \\AlpcDbPort created",
                 r"alpcsvc: \\AlpcSvcPort created, connected to \\AlpcDbPort",
                 r"alpcapp: reply to message [0-9a-f]+: record 1 from the cache",
                 r"alpcapp: reply to message [0-9a-f]+: record 2 from alpcdb",
                 r"alpcapp: request 3: record 3, waiting for the reply",
                 r"alpcdb: request 3: record 3 needs the record lock"):
        assert re.search(line, text), line
    assert "record 3 from" not in text


def test_chain_client_to_server_to_second_server(vm):
    client = client_thread(vm)
    # Hop 1: the client waits for alpcsvc.
    message, port, owner = thread_hop(vm, client, "alpcapp.exe")
    server, client_port = check_message(vm, message, client, port, owner, "alpcsvc.exe")
    # The port: alpcsvc's connection port, the request on its pending queue.
    output = run(vm, "!alpc /p " + port, "Port @ " + port)
    assert re.search(r"^  Type +: ALPC_CONNECTION_PORT$", output, re.M), short(output)
    assert re.search(r"^  OwnerProcess +: %s \(alpcsvc\.exe\)$" % owner, output, re.M), \
        short(output)
    assert re.search(r"^    ConnectionPort +: %s \(AlpcSvcPort\)$" % port, output, re.M), \
        short(output)
    assert "  Main queue is empty." in output, short(output)
    assert re.search(r"^  Pending queue has 1 message\n    %s [0-9a-f]{8} [0-9a-f]{4}:[0-9a-f]{4} "
                     r"%s %s LPC_REQUEST$" % (message, client, server), output, re.M), \
        short(output)
    # The client's own port says where what it sends goes.
    output = run(vm, "!alpc /p " + client_port, "Port @ " + client_port)
    assert re.search(r"^  Type +: ALPC_CLIENT_COMMUNICATION_PORT$", output, re.M), short(output)
    assert re.search(r"^    ConnectionPort +: %s \(AlpcSvcPort\)$" % port, output, re.M), \
        short(output)
    # Hop 2: the thread that received it waits for alpcdb.
    message2, port2, owner2 = thread_hop(vm, server, "alpcsvc.exe")
    assert owner2 != owner and port2 != port
    db_thread, _ = check_message(vm, message2, server, port2, owner2, "alpcdb.exe")
    # The end of the chain: alpcdb's thread waits on its record lock.
    output = run(vm, "!thread " + db_thread, "THREAD")
    rows = output.split("\n")
    assert re.search(r"WAIT: \(UserRequest\) UserMode Non-Alertable$", rows[0]), short(output)
    # On its record lock and the lookup's timeout, as the case study's
    # ProcessC thread waits on a semaphore and a timer.
    assert re.match(r"    %s Semaphore Limit 0x7fffffff$" % HEX16, rows[1]), short(output)
    assert re.match(r"    %s NotificationTimer$" % HEX16, rows[2]), short(output)
    assert rows[3] == "Not impersonating", short(output)
    assert re.match(r"DeviceMap %s$" % HEX16, rows[4]), short(output)
    assert "Image: alpcdb.exe" in rows[5], short(output)
    assert "ALPC Message" not in output
    assert re.search(r"nt!NtWaitForSingleObject\+0x", output), short(output)


def test_lpc_and_lpp_show_the_connections(vm):
    message, port, owner = thread_hop(vm, client_thread(vm), "alpcapp.exe")
    output = run(vm, "!alpc /lpc " + port)
    assert re.search(r"^%s\('AlpcSvcPort'\) 1, 1 connection\n\t%s 0 <- %s 0 %s\('alpcapp\.exe'\)$"
                     % (port, HEX16, HEX16, HEX16), output, re.M), short(output)
    output = run(vm, "!alpc /lpp " + owner, "Ports created by the process " + owner)
    assert re.search(r"^\t%s\('AlpcSvcPort'\) 1, 1 connection\n\t\t%s 0 <- %s 0 "
                     r"%s\('alpcapp\.exe'\)$" % (port, HEX16, HEX16, HEX16), output, re.M), \
        short(output)
    assert re.search(r"^Ports the process %s is connected to:\n\n\t%s 0 -> %s\('AlpcDbPort'\) 1 "
                     r"%s\('alpcdb\.exe'\)$" % (owner, HEX16, HEX16, HEX16), output, re.M), \
        short(output)


def test_dt_shows_the_alpc_types(vm):
    message, port, owner = thread_hop(vm, client_thread(vm), "alpcapp.exe")
    output = run(vm, "dt nt!_ALPC_PORT " + port)
    for field in ("PortListEntry", "CommunicationInfo", "OwnerProcess", "MainQueue",
                  "PendingQueue", "LargeMessageQueue", "CanceledQueue", "SequenceNo"):
        assert re.search(r"^   \+0x[0-9a-f]+ %s " % field, output, re.M), (field, short(output))
    assert dt_value(vm, "_ALPC_PORT", port, "OwnerProcess") == int(owner, 16)
    output = run(vm, "dt nt!_KALPC_MESSAGE " + message)
    for field in ("Entry", "SequenceNo", "WaitingThread", "PortQueue", "OwnerPort",
                  "MessageAttributes", "ServerThread", "PortMessage"):
        assert re.search(r"^   \+0x[0-9a-f]+ %s " % field, output, re.M), (field, short(output))
    assert dt_value(vm, "_KALPC_MESSAGE", message, "PortQueue") == int(port, 16)


def test_bad_input_is_an_error_line(vm):
    client = client_thread(vm)
    output = run(vm, "!alpc /m " + client, "is not an ALPC message")
    assert "Message @" not in output
    run(vm, "!alpc /p " + client, "is not an ALPC port: its object type is not ALPC Port")
    run(vm, "!alpc /p 10", "is not an ALPC port: its object header cannot be read")
    run(vm, "!alpc /q 10", "!alpc: unknown option /q", "Usage:")
    run(vm, "!alpc", "Usage:", "!alpc /lpp ProcessAddress")
