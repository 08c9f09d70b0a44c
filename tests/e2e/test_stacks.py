"""`!stacks` on the stuck Delayed worker queue (demo=exqueue, as in
test_exqueue.py): every thread on one line with what it is blocked in, the
blocked workers found by a filter the way the third case study runs
`!stacks 0 mrxsmb`, and their frames with detail 1."""

import re

from e2e import lines, run, short

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 10}

HEADER = "Proc.Thread  .Thread  Ticks   ThreadState Blocker"
PROCESS = re.compile(r"^ {28}\[([0-9a-f]{16}) (\S+)\]$")
THREAD = re.compile(r"^ +([0-9a-f]+)\.([0-9a-f]{6})  ([0-9a-f]{16}) ([0-9a-f]{8}) "
                    r"(Blocked|RUNNING|READY|STANDBY|TERMINATED|INITIALIZED) +(\S.*)$")
FRAME = re.compile(r"^ {44}(nt!\w+(\+0x[0-9a-f]+)?)$")
BLOCKED_WORKERS = 3 + 16       # the Delayed queue's static threads and its 16 dynamic ones


def parse(output):
    """(rows: [(image, cid process, cid thread, address, state, blocker, frames)], processed)."""
    rows, image = [], None
    text = lines(output)
    assert text[0] == HEADER, short(output)
    for line in text[1:-1]:
        if not line.strip():
            continue
        m = PROCESS.match(line)
        if m:
            image = m.group(2)
            continue
        m = THREAD.match(line)
        if m:
            assert image, "a thread before any process: %r" % line
            rows.append([image, int(m.group(1), 16), int(m.group(2), 16), m.group(3),
                         m.group(5), m.group(6), []])
            continue
        m = FRAME.match(line)
        assert m and rows, "unexpected !stacks line %r" % line
        rows[-1][6].append(m.group(1))
    m = re.match(r"^Threads Processed: (\d+)", text[-1])
    assert m, text[-1]
    return rows, int(m.group(1))


def test_every_thread_on_one_line(vm):
    rows, processed = parse(run(vm, "!stacks", "Threads Processed"))
    assert len(rows) == processed, "%d rows for %d threads" % (len(rows), processed)
    images = {r[0] for r in rows}
    assert {"System", "init.exe", "smss.exe", "lsass.exe"} <= images, images
    system = [r for r in rows if r[0] == "System"]
    assert all(r[1] == 4 for r in system), system
    assert sum(r[5].startswith("nt!KdDemoBadDsmWait+") for r in system) == BLOCKED_WORKERS
    # The blocker is the code that chose to wait, never the dispatcher's
    # machinery (the idle loop has nothing else: it is all machinery).
    for r in rows:
        if r[0] != "Idle":
            assert not re.match(r"nt!(Ki|KeWaitFor|KeRemoveQueue|KeDelayExecution)", r[5]), r
    # The thread that was interrupted is the one running.
    assert sum(r[4] == "RUNNING" for r in rows) >= 1, rows
    # Each row agrees with !thread on that thread.
    worker = next(r for r in system if r[5].startswith("nt!KdDemoBadDsmWait+"))
    thread = lines(run(vm, "!thread %s 0" % worker[3], "THREAD"))[0]
    assert re.match(r"^THREAD %s Cid %04x\.%04x .* WAIT: \(Executive\)" %
                    (worker[3], worker[1], worker[2]), thread), thread


def test_a_filter_finds_the_workers_blocked_in_the_driver(vm):
    output = run(vm, "!stacks 0 MpioPathVerify", "Threads Processed")
    rows, processed = parse(output)
    assert len(rows) == BLOCKED_WORKERS, short(output)
    assert all(r[0] == "System" and r[5].startswith("nt!KdDemoBadDsmWait+") for r in rows)
    assert lines(output)[-1] == ('Threads Processed: %d, %d with "MpioPathVerify" on the stack'
                                 % (processed, BLOCKED_WORKERS)), lines(output)[-1]
    none = run(vm, "!stacks 0 NoSuchRoutineAnywhere", "Threads Processed")
    assert parse(none)[0] == [], short(none)


def test_detail_1_shows_the_frames_below_the_blocker(vm):
    rows, _ = parse(run(vm, "!stacks 1 MpioPathVerify", "Threads Processed", timeout=60))
    assert len(rows) == BLOCKED_WORKERS
    for r in rows:
        names = [f.split("+")[0] for f in r[6]]
        assert names[:3] == ["nt!KdDemoMpioPathVerify", "nt!IopProcessWorkItem",
                             "nt!ExpWorkerThread"], r
    rows, _ = parse(run(vm, "!stacks 2 MpioPathVerify", "Threads Processed", timeout=60))
    assert all(r[6][0].startswith("nt!KiSwapContext+") for r in rows), rows[0]


def test_bad_arguments_get_an_error_line(vm):
    assert "detail is 0" in run(vm, "!stacks 3")
    assert "Usage: !stacks [detail [filter]]" in run(vm, "!stacks 0 a b")
    assert "Couldn't resolve error" in run(vm, "!stacks zz")
    assert "the filter is too long" in run(vm, "!stacks 0 " + "x" * 90)
