"""!waitchain and !analyze -hang on the machine hung at DISPATCH_LEVEL
(demo=hang nobreak, GRUB entry 5): the root is the running System thread
that spins at DISPATCH_LEVEL on a spin lock nobody will release, named with
its IRQL, its module, the loop and the lock; !analyze -hang puts it first.
docs/exercises.md, exercise 3, names the same root."""

import re
import time

from e2e import CTRL_C, PROMPT, qword_at, run, short, symbol_address

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 5}
BOOT_TO_PROMPT = False      # no initial break-in: the system just hangs


def test_break_into_the_hang(vm):
    vm.wait_for("a thread now spins at DISPATCH_LEVEL", 120)
    time.sleep(1.5)         # let it spin, and the other threads' waits age
    vm.send_raw(CTRL_C)
    text = vm.wait_for(PROMPT, 30)
    assert "Break instruction exception" in text, short(text)
    vm.read_available(0.3)


def test_waitchain_names_the_spinner_at_dispatch_level(vm):
    hung = "%016x" % qword_at(vm, "nt!KdDemoHungThread")
    lock = "%016x" % int(symbol_address(vm, "KdDemoHungLock").replace("`", ""), 16)
    output = run(vm, "!waitchain", "Wait chain of THREAD " + hung)
    assert re.search(r"^\[0\] THREAD %s \(System Cid [0-9a-f.]+\) RUNNING on processor 0$" % hung,
                     output, re.M), output
    m = re.search(r"^    ends here: running on processor 0 at DISPATCH_LEVEL \(IRQL 2, saved at "
                  r"the break-in\): nothing below DISPATCH_LEVEL runs on that processor, the "
                  r"scheduler included; it spins: a loop at nt!KdDemoHungDriver\+0x[0-9a-f]+ "
                  r"with a PAUSE and no call, waiting for nt!KdDemoHungLock \(%s\) = 1, names no "
                  r"processor .*: nobody who could release it holds it$" % lock, output, re.M)
    assert m, output
    assert re.search(r"^Root: THREAD %s \(System Cid [0-9a-f.]+\), running at DISPATCH_LEVEL in "
                     r"nt!KdDemoHungDriver\+0x[0-9a-f]+ \(module nt\): spins in a loop at "
                     r"DISPATCH_LEVEL: it keeps its processor" % hung, output, re.M), output
    # The same thread, named explicitly, gives the same root.
    again = run(vm, "!waitchain " + hung, "Wait chain of THREAD " + hung)
    assert re.search(r"^Root: THREAD %s .*running at DISPATCH_LEVEL" % hung, again, re.M), again


def test_analyze_hang_reports_the_spinner_first(vm):
    hung = "%016x" % qword_at(vm, "nt!KdDemoHungThread")
    output = run(vm, "!analyze -hang", "HANG ANALYSIS: ", timeout=60)
    assert re.search(r"^HANG ANALYSIS: processor 0 is held at DISPATCH_LEVEL by THREAD %s; "
                     % hung, output, re.M), output
    assert re.search(r"^ROOT 1: THREAD %s runs at DISPATCH_LEVEL on processor 0 and keeps it"
                     % hung, output, re.M), output
    root = output.index("ROOT 1:")
    assert re.search(r"^    Root: THREAD %s .*\(module nt\): spins in a loop at DISPATCH_LEVEL"
                     % hung, output[root:], re.M), output
    # The first report already says what the pool did since boot.
    assert re.search(r"^POOL TAGS GROWN SINCE BOOT \(the tracker as the kernel finished "
                     r"starting, [0-9:.]+ ago\): \d+$", output, re.M), output


def test_the_shells_own_thread_and_timed_waits_are_not_roots(vm):
    output = run(vm, "!waitchain -a 0", "threads blocked for 0 s or more", timeout=60)
    # .start's thread and the balance manager (a timer among its objects)
    # wait by design: neither is a tree.
    assert "KdpStartThread" not in output, output
    assert "ExpWorkerThreadBalanceManager" not in output, output


def test_waits_by_design_end_as_such(vm):
    stacks = run(vm, "!stacks", "Threads Processed")
    shell = re.search(r"^\s+4\.[0-9a-f]+\s+([0-9a-f]{16}) \S+ Blocked\s+nt!KdpStartThread\+", stacks,
                      re.M)
    worker = re.search(r"^\s+4\.[0-9a-f]+\s+([0-9a-f]{16}) \S+ Blocked\s+nt!ExpWorkerThread\+", stacks,
                       re.M)
    assert shell and worker, stacks
    output = run(vm, "!waitchain " + shell.group(1), "Wait chain of THREAD")
    assert re.search(r"^    ends here: waits by design: the shell's own thread, \.start's thread",
                     output, re.M), output
    assert re.search(r"^Root: THREAD %s .*: waits by design: not hung$" % shell.group(1), output,
                     re.M), output
    output = run(vm, "!waitchain " + worker.group(1), "Wait chain of THREAD")
    assert re.search(r"^    ends here: waits by design: KQUEUE [0-9a-f]{16} empty \(a worker waiting "
                     r"for work in KeRemoveQueue\)$", output, re.M), output
    assert re.search(r"^Root: THREAD %s .*: waits by design: not hung$" % worker.group(1), output,
                     re.M), output
