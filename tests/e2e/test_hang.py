"""A hang at DISPATCH_LEVEL (GRUB entry "Sleuth - demo: a thread hung at
DISPATCH_LEVEL", demo=hang nobreak): a System thread raises its IRQL and
spins on a lock nobody will release, so nothing else runs, not even the
idle loop. Ctrl-C must still break in, and the debugger must show the
culprit: the IRQL it was at, the thread running, and its stack."""

import re
import time

from e2e import CTRL_C, PROMPT, qword_at, run, short, symbol_address

FIRMWARE = ("bios", "uefi")
VM_OPTIONS = {"menu_entry": 5}
BOOT_TO_PROMPT = False      # there is no initial break-in: the system just hangs
# Again with four processors (e2e/bios-smp4): the spinner holds processor 0,
# where Ctrl-C breaks in, while the others go on.
SMP = 4


def break_in(vm):
    vm.send_raw(CTRL_C)
    text = vm.wait_for(PROMPT, 30)
    assert "Break instruction exception - code 80000003 (first chance)" in text, \
        "Ctrl-C brought %s" % short(text)
    return text


def test_the_hang_starts_and_ctrl_c_breaks_in(vm):
    vm.wait_for("a thread now spins at DISPATCH_LEVEL", 120)
    time.sleep(1.0)         # let it spin
    break_in(vm)


def test_irql_shows_the_spinner_was_at_dispatch_level(vm):
    run(vm, "!irql", "Debugger saved IRQL for processor 0x0 -- 2 (DISPATCH_LEVEL)")


def test_running_thread_is_the_hung_driver(vm):
    hung = "%016x" % qword_at(vm, "nt!KdDemoHungThread")
    output = run(vm, "!running")
    assert hung in output, "!running does not name %s: %s" % (hung, short(output))
    output = run(vm, "!thread " + hung, "RUNNING", "Start Address nt!KdDemoHungDriver")
    assert re.search(r"Priority \d+ BasePriority 8", output), short(output)


def test_stack_shows_where_it_spins(vm):
    output = run(vm, "k", "Child-SP", "nt!KdDemoHungDriver")
    # The break-in came through the serial interrupt, on the spinner's stack.
    assert "nt!KiThreadStartup" in output, short(output)


def test_the_spin_count_grows_and_ctrl_c_works_again(vm):
    symbol_address(vm, "KdDemoHungSpins")
    before = qword_at(vm, "nt!KdDemoHungSpins")
    vm.read_available()
    vm.type_line("g")
    vm.wait_for("g\n", 10)
    time.sleep(1.0)
    break_in(vm)
    after = qword_at(vm, "nt!KdDemoHungSpins")
    assert after > before, "the spinner did not run across g (%d -> %d)" % (before, after)
    run(vm, "!irql", "2 (DISPATCH_LEVEL)")
