"""The first case study's tour of LPC's structures with dt (seeds 001 and
004), on the LPC demo (run=lpcdemo,lpcdemo): the layouts of
_LPCP_PORT_OBJECT, _LPCP_PORT_QUEUE, _LPCP_MESSAGE and _PORT_MESSAGE from
the build's DWARF, then the ports and the client thread the demo's stuck
conversation holds, read field by field."""

import re

from e2e import ADDRESS, lines, run

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 9}

HEX16 = r"[0-9a-f]{16}"


def fields(output):
    """{name: (offset, text after the colon)} of dt's lines."""
    found = {}
    for row in lines(output):
        m = re.match(r"^ +\+0x([0-9a-f]{3}) (\w+) +: (.*)$", row)
        assert m, "not a dt line: %r" % row
        found[m.group(2)] = (int(m.group(1), 16), m.group(3))
    return found


def flat(address):
    return address.replace("`", "")


def test_dt_shows_the_port_structures_as_the_case_study(vm):
    port = fields(run(vm, "dt nt!_LPCP_PORT_OBJECT"))
    assert port["ConnectionPort"][1] == "Ptr64 _LPCP_PORT_OBJECT", port
    assert port["ConnectedPort"][1] == "Ptr64 _LPCP_PORT_OBJECT", port
    assert port["MsgQueue"][1] == "_LPCP_PORT_QUEUE", port
    assert port["Creator"][1] == "_CLIENT_ID", port
    assert port["ClientThread"][1] == "Ptr64 _ETHREAD", port
    assert port["LpcReplyChainHead"][1] == "_LIST_ENTRY", port
    assert port["LpcDataInfoChainHead"][1] == "_LIST_ENTRY", port
    assert port["ServerProcess"][1] == "Ptr64 _EPROCESS", port
    assert port["MaxMessageLength"][1] == "Uint4B", port
    # A union: the server process and the mapping process share one place.
    assert port["ServerProcess"][0] == port["MappingProcess"][0], port
    offsets = [offset for offset, _ in port.values()]
    assert offsets == sorted(offsets), port
    queue = fields(run(vm, "dt nt!_LPCP_PORT_QUEUE"))
    assert queue["Semaphore"][1] == "Ptr64 _KSEMAPHORE", queue
    assert queue["ReceiveHead"][1] == "_LIST_ENTRY", queue
    message = fields(run(vm, "dt nt!_LPCP_MESSAGE"))
    assert message["Entry"][1] == "_LIST_ENTRY", message
    assert message["SenderPort"][1] == "Ptr64 _LPCP_PORT_OBJECT", message
    assert message["RepliedToThread"][1] == "Ptr64 _ETHREAD", message
    assert message["Request"][1] == "_PORT_MESSAGE", message
    request = fields(run(vm, "dt nt!_PORT_MESSAGE"))
    assert "MessageId" in request and "ClientViewSize" in request, request
    assert request["ClientId"][1] == "_CLIENT_ID", request


def test_dt_reads_the_demos_ports_and_client_thread(vm):
    output = run(vm, "!lpc thread", "Searching all threads doing LPC")
    client = re.search(r"^Client thread (%s) waiting a reply from ([0-9a-f]+)$" % HEX16,
                       output, re.M)
    assert client, output
    thread, message = client.group(1), int(client.group(2), 16)
    output = run(vm, "!thread " + thread, "THREAD")
    port = re.search(r"^Current LPC port (%s)$" % HEX16, output, re.M).group(1)

    # The thread waits for its reply: the message id, -y finding the Lpc fields.
    lpc = fields(run(vm, "dt nt!_ETHREAD -y Lpc " + thread))
    assert all(name.startswith("Lpc") for name in lpc), lpc
    assert lpc["LpcReplyMessageId"][1] == "0x%x" % message, lpc
    # Its current port is its client communication port, connected to a
    # server communication port whose connection port is the demo's named
    # one.
    comm = fields(run(vm, "dt nt!_LPCP_PORT_OBJECT " + port))
    connected = comm["ConnectedPort"][1]
    assert re.match(r"^0x%s$" % ADDRESS, connected), comm
    client_port = fields(run(vm, "dt nt!_LPCP_PORT_OBJECT %s ConnectedPort ConnectionPort"
                             % flat(connected[2:])))
    assert client_port["ConnectedPort"][1] == "0x" + port[:8] + "`" + port[8:], client_port
    assert client_port["ConnectionPort"][1] == comm["ConnectionPort"][1], (client_port, comm)
    named = flat(comm["ConnectionPort"][1][2:])
    run(vm, "!lpc port " + named, "Name: LpcDemoPort")
    # The server process, by two roads: dt's field and ?? through a cast.
    server = fields(run(vm, "dt nt!_LPCP_PORT_OBJECT %s ServerProcess" % named))
    cpp = run(vm, "?? ((nt!_LPCP_PORT_OBJECT *)0x%s)->ServerProcess" % named).strip()
    assert cpp == "struct _EPROCESS * " + server["ServerProcess"][1], (cpp, server)
    # A field path into the queue, each step on its own line.
    rows = lines(run(vm, "dt nt!_LPCP_PORT_OBJECT %s MsgQueue.ReceiveHead" % named))
    assert re.match(r"^   \+0x[0-9a-f]{3} MsgQueue : _LPCP_PORT_QUEUE$", rows[0]), rows
    assert re.match(r"^      \+0x[0-9a-f]{3} ReceiveHead : _LIST_ENTRY \[ 0x%s - 0x%s \]$"
                    % (ADDRESS, ADDRESS), rows[1]), rows
    assert len(rows) == 2, rows
