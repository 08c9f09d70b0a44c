"""A stuck Delayed worker queue (GRUB entry "... a stuck Delayed worker
queue", demo=exqueue), found the way the third case study finds it: the
queue has its 16 dynamic threads, all blocked in one driver, and 18,023
items pending. `!exqueue` says so at once; `x`, `dt` and `dd` read the same
numbers by hand; `!thread` on a worker shows it blocked inside the driver's
routine, called by nt!IopProcessWorkItem from nt!ExpWorkerThread."""

import re
import time

from e2e import ADDRESS, CTRL_C, PROMPT, lines, one_line, run, short, symbol_address

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 10}

HEX16 = r"[0-9a-f]{16}"
PENDING = 18023
STATIC = {"Critical": 5, "Delayed": 3, "HyperCritical": 1}


def flat(address):
    return address.replace("`", "")


def exqueue(vm, flags=""):
    """{queue name: (header lines, THREAD lines, PENDING lines, other lines)}."""
    output = run(vm, ("!exqueue " + flags).strip(), "Dumping ExWorkerQueue: ")
    queues = {}
    current = None
    for line in lines(output)[1:]:
        m = re.match(r"^\*\*\*\* (\w+) WorkQueue\( current = (\d+) maximum = (\d+) \) at (%s)$"
                     % HEX16, line)
        if m:
            current = queues.setdefault(m.group(1), {"header": m.groups(), "lines": [],
                                                     "threads": [], "pending": []})
            continue
        assert current is not None, "!exqueue: %r before any queue" % line
        if line.startswith("THREAD "):
            current["threads"].append(line)
        elif line.startswith("PENDING: "):
            current["pending"].append(line)
        else:
            current["lines"].append(line.strip())
    return output, queues


def test_the_demo_reports_the_stuck_queue(vm):
    assert 'command line: "demo=exqueue"' in vm.output
    assert ("Demo: the Delayed worker queue is stuck: 16 dynamic threads blocked, %d items "
            "pending" % PENDING) in vm.output, short(vm.output[-600:], 600)


def processors(vm):
    """The processor count (`version`): each KQUEUE's MaximumCount."""
    return int(re.search(r"Processors: (\d+);", run(vm, "version", "Processors: ")).group(1))


def test_exqueue_answers_at_once_with_the_counts(vm):
    start = time.time()
    output, queues = exqueue(vm)
    took = time.time() - start
    assert took < 5, "!exqueue took %.1f s with %d items queued" % (took, PENDING)
    head = re.search(r"^Dumping ExWorkerQueue: (%s)$" % HEX16, output, re.M).group(1)
    assert head == flat(symbol_address(vm, "ExWorkerQueue")), output[:200]
    assert list(queues) == ["Critical", "Delayed", "HyperCritical"], list(queues)
    for index, (name, queue) in enumerate(queues.items()):
        current, maximum, address = queue["header"][1:]
        assert int(address, 16) == int(head, 16) + 0x58 * index, (name, address)
        assert current == "0" and maximum == str(processors(vm)), (name, queue["header"])
    delayed = queues["Delayed"]
    assert delayed["lines"] == [
        "Pending: %d items (%d at the last balance pass)  Processed: 19 (19 at the last pass)"
        % (PENDING, PENDING),
        "Threads: 3 static, 16 dynamic (at most 16): 0 running, 19 blocked, 0 waiting for work",
    ], delayed["lines"]
    event = flat(symbol_address(vm, "KdDemoDsmEvent"))
    kinds = []
    for line in delayed["threads"]:
        m = re.match(r"^THREAD (%s) Cid 0004\.[0-9a-f]{4} (static |dynamic) WAIT: \(Executive\) "
                     r"KernelMode Non-Alertable on %s NotificationEvent$" % (HEX16, event), line)
        assert m, "Delayed worker line %r" % line
        kinds.append(m.group(2).strip())
    assert kinds == ["static"] * 3 + ["dynamic"] * 16, kinds
    for name in ("Critical", "HyperCritical"):
        queue = queues[name]
        assert queue["lines"][1] == ("Threads: %d static, 0 dynamic (at most 16): 0 running, "
                                     "0 blocked, %d waiting for work"
                                     % (STATIC[name], STATIC[name])), queue["lines"]
        assert queue["lines"][0].startswith("Pending: 0 items (0 at the last balance pass)")
        assert len(queue["threads"]) == STATIC[name], queue["threads"]
        for line in queue["threads"]:
            assert re.match(r"^THREAD %s Cid 0004\.[0-9a-f]{4} static  WAIT: \(WrQueue\) "
                            r"KernelMode Non-Alertable on %s QueueObject$"
                            % (HEX16, queue["header"][3]), line), line
    assert not any(q["pending"] for q in queues.values()), "pending items without flag 100"


def test_exqueue_lists_pending_items_only_as_far_as_asked(vm):
    output, queues = exqueue(vm, "120 5")
    assert list(queues) == ["Delayed"], list(queues)
    pending = queues["Delayed"]["pending"]
    assert len(pending) == 5, pending
    process = flat(symbol_address(vm, "IopProcessWorkItem"))
    for line in pending:
        assert re.match(r"^PENDING: WorkerRoutine nt!IopProcessWorkItem \(%s\) Parameter %s "
                        r"IoRoutine nt!(KdDemoMpioPathVerify|KdDemoSmbDelayedStartTcpSession) "
                        r"IoObject %s$" % (process, HEX16, HEX16), line), line
    assert ("... %d more pending (!exqueue 120 %x shows the first %d)" % (PENDING - 5, PENDING,
                                                                         PENDING)) in output
    # The first pending item is the one EntryListHead.Flink points at.
    first = re.search(r"Parameter (%s)" % HEX16, pending[0]).group(1)
    flink = one_line(vm, "dq nt!ExWorkerQueue+58+18 L1").split()[1]
    assert flat(flink) == first, (flink, first)
    one_line(vm, "!exqueue 8", "!exqueue: unknown flags 8")


def test_ctrl_c_stops_the_whole_listing_at_once(vm):
    """`!exqueue 120 4667` lists all 18,023 items (half a minute on serial);
    Ctrl-C stops it at once, as in KD, and the shell goes on."""
    vm.read_available()
    vm.type_line("!exqueue 120 %x" % PENDING)
    vm.wait_for(re.compile(r"(PENDING: [^\n]*\n){50}"), 30)
    vm.send_raw(CTRL_C)
    started = time.monotonic()
    text = vm.wait_for(PROMPT, 20)
    took = time.monotonic() - started
    listed = text.count("PENDING: ") + 50
    body = text[:len(text) - len(vm.last_match.group(0))].replace("\r", "")
    assert body.endswith("\n^C\n"), "no ^C line before the prompt: %s" % short(body[-300:])
    assert listed < PENDING, "all %d items were listed despite Ctrl-C" % listed
    assert took < 10, "the listing went on for %.1f s after Ctrl-C" % took
    assert "more pending" not in text, "the summary line was printed after Ctrl-C"
    # The Ctrl-C is not a keystroke of the next command, nor a break-in.
    one_line(vm, "? 1+1", "Evaluate expression: 2 = ")
    one_line(vm, "? 00004667", "Evaluate expression: 18023 = ")


def test_x_dt_and_dd_read_what_the_case_study_reads(vm):
    line = one_line(vm, "x nt!ExWorkerQueue")
    assert re.match(r"^%s nt!ExWorkerQueue = <no type information>$" % ADDRESS, line), line
    output = run(vm, "dt nt!_KQUEUE nt!ExWorkerQueue+58")
    rows = lines(output)
    assert [r.split(":")[0].strip() for r in rows] == [
        "+0x000 Header", "+0x018 EntryListHead", "+0x028 CurrentCount", "+0x02c MaximumCount",
        "+0x030 ThreadListHead"], rows
    assert rows[2].endswith(": 0") and rows[3].endswith(": %#x" % processors(vm)), rows
    flink, blink = re.search(r"EntryListHead    : _LIST_ENTRY \[ 0x(%s) - 0x(%s) \]"
                             % (ADDRESS, ADDRESS), output).groups()
    assert flink != blink, "items are pending: Flink != Blink"
    dynamic = one_line(vm, "dd nt!ExWorkerQueue+58+40 L1")
    assert dynamic.split()[1] == "00000010", dynamic
    depth = one_line(vm, "dd nt!ExWorkerQueue+58+4c L1")
    assert depth.split()[1] == "%08x" % PENDING, depth
    one_line(vm, "? 00004667", "Evaluate expression: 18023 = ")
    empty = run(vm, "dt nt!_KQUEUE nt!ExWorkerQueue")
    head = flat(symbol_address(vm, "ExWorkerQueue"))
    list_head = "%016x" % (int(head, 16) + 0x18)
    assert "[ 0x%s`%s - 0x%s`%s ]" % (list_head[:8], list_head[8:], list_head[:8],
                                      list_head[8:]) in empty, "Critical: an empty list"


def test_thread_on_a_blocked_worker_shows_the_driver_under_iopprocessworkitem(vm):
    _, queues = exqueue(vm, "20")
    worker = re.match(r"THREAD (%s)" % HEX16, queues["Delayed"]["threads"][-1]).group(1)
    output = run(vm, "!thread " + worker)
    rows = output.split("\n")
    assert re.match(r"^THREAD %s Cid 0004\.[0-9a-f]{4} Teb: 0{16} Win32Thread: 0{16} "
                    r"WAIT: \(Executive\) KernelMode Non-Alertable$" % worker, rows[0]), rows[0]
    event = flat(symbol_address(vm, "KdDemoDsmEvent"))
    assert rows[1] == "    %s NotificationEvent" % event, rows[1]
    assert re.search(r"^Owning Process %s Image: System$" % HEX16, output, re.M), short(output)
    win32 = re.search(r"^Win32 Start Address nt!ExpWorkerThread \(0x(%s)\)$" % HEX16, output,
                      re.M).group(1)
    assert win32 == flat(symbol_address(vm, "ExpWorkerThread")), win32
    assert re.search(r"^Start Address nt!ExpWorkerThread$", output, re.M), short(output)
    assert re.search(r"^Priority 1[2-5] BasePriority 12 PriorityDecrement \d+$", output, re.M), \
        short(output)
    frames = [re.search(r"nt!(\w+)", r).group(1) for r in rows
              if re.match(r"^%s %s nt!" % (ADDRESS, ADDRESS), r)]
    chain = ["KeWaitForSingleObject", "KdDemoBadDsmWait", "KdDemoMpioPathVerify",
             "IopProcessWorkItem", "ExpWorkerThread", "PspSystemThreadStartup"]
    positions = [frames.index(name) for name in chain if name in frames]
    assert len(positions) == len(chain) and positions == sorted(positions), frames
    assert positions[-1] - positions[1] == len(chain) - 2, "frames in between: %s" % frames


def test_list_walks_the_pending_items_as_the_case_study_does(vm):
    """The case study's `!list "-t nt!_LIST_ENTRY.Flink -e -x \\"dq poi(@$extret) L1; dps
    poi(@$extret)+0x20 L1\\" ADDR"` from the Delayed queue's first item: for each
    item the echoed commands, then the next item's Flink and its IO_WORKITEM
    Routine (at 0x20) with its symbol. Bounded here by -m: the whole walk of
    18,024 elements takes over a minute under TCG."""
    first = one_line(vm, "dq nt!ExWorkerQueue+58+18 L1").split()[1]
    commands = "dq poi(@$extret) L1; dps poi(@$extret)+0x20 L1"
    count = 40
    output = run(vm, '!list "-t nt!_LIST_ENTRY.Flink -e -m 0n%d -x\\"%s\\" %s"'
                 % (count, commands, first), timeout=60)
    # Every element: a blank line, the commands, their output.
    blocks = output.strip("\n").split("\n\n")
    assert len(blocks) == count, (len(blocks), output[-400:])
    element = flat(first)
    routines = set()
    for block in blocks:
        rows = block.split("\n")
        assert rows[0] == commands, block
        m = re.match(r"^(%s)  (%s)$" % (ADDRESS, ADDRESS), rows[1])
        assert m, block
        following = flat(m.group(1))        # poi(@$extret): the next item
        m2 = re.match(r"^(%s)  (%s) nt!(KdDemoMpioPathVerify|KdDemoSmbDelayedStartTcpSession)$"
                      % (ADDRESS, ADDRESS), rows[2])
        assert m2, block
        assert int(flat(m2.group(1)), 16) == int(following, 16) + 0x20, block
        routines.add(m2.group(3))
        element = following
    # One item in five from index 19 on is the SMB driver's, as in the case study.
    assert routines == {"KdDemoMpioPathVerify", "KdDemoSmbDelayedStartTcpSession"}, routines
    # The first element is where the walk started: dq showed its Flink's target.
    assert flat(one_line(vm, "dq %s L1" % flat(first)).split()[1]) == \
        flat(re.match(r"^(%s)" % ADDRESS, blocks[0].split("\n")[1]).group(1))
    # After the walk, @$extret is the last element, whose Flink is `element`.
    last = one_line(vm, "? @$extret").split()[-1]
    assert flat(one_line(vm, "dq %s L1" % last).split()[1]) == element


def test_list_without_e_and_the_default_command(vm):
    head = symbol_address(vm, "PsActiveProcessHead")
    output = run(vm, "!list -t nt!_LIST_ENTRY.Flink -x \"dq @$extret L1\" nt!PsActiveProcessHead")
    rows = lines(output)
    processes = len(re.findall(r"^PROCESS ", run(vm, "!process 0 0"), re.M))
    assert len(rows) == processes + 1, (rows, processes)     # the head is an element too
    assert rows[0].startswith(head + "  "), rows
    # Without -x: WinDbg's dp with the element's address appended.
    output = run(vm, "!list -m 1 nt!PsActiveProcessHead")
    assert lines(output)[0].startswith(head + "  "), output
    assert len(lines(output)) == 8, output             # dp: 0x80 bytes
