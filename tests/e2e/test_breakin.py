"""`g` lets the system run; Ctrl-C on the serial line breaks back in, as KD's
break-in does. The clock must have run meanwhile (64 ticks a second)."""

import re
import time

from e2e import CTRL_C, PROMPT, SleuthVMError, qword_at, run, short

FIRMWARE = ("bios", "uefi")
RUN_SECONDS = 2.0
TICKS_PER_SECOND = 64


def go_then_break_in(vm, seconds):
    """`g`, let it run, Ctrl-C; returns the break-in text and the seconds between."""
    vm.read_available()
    vm.type_line("g")
    vm.wait_for("g\n", 10)
    started = time.monotonic()
    try:
        early = vm.wait_for(PROMPT, seconds)
        raise AssertionError("the prompt came back without a break-in: %s" % short(early))
    except SleuthVMError:
        pass        # running, as it should be
    vm.send_raw(CTRL_C)
    text = vm.wait_for(PROMPT, 20)
    return text, time.monotonic() - started


def test_ctrl_c_breaks_in_after_g(vm):
    before = qword_at(vm, "nt!KeTickCount")
    text, elapsed = go_then_break_in(vm, RUN_SECONDS)
    assert "Break instruction exception - code 80000003 (first chance)" in text, \
        "Ctrl-C brought %s" % short(text)
    after = qword_at(vm, "nt!KeTickCount")
    grew = after - before
    # Not a timing test: under TCG on a busy machine ticks may come late, but
    # some must have come, and never faster than the wall clock allows.
    assert grew > 0, "KeTickCount did not move across g (%d -> %d)" % (before, after)
    assert grew <= (elapsed + 1) * TICKS_PER_SECOND * 2, \
        "KeTickCount grew by %d in %.1f s: faster than 64 a second" % (grew, elapsed)


def test_the_shell_works_after_a_break_in(vm):
    run(vm, "k", "Child-SP")
    run(vm, "r", "cs=0010")
    output = run(vm, "version")
    m = re.search(r"ticks since boot (\d+)", output)
    assert m and int(m.group(1)) > 0, "version: %s" % short(output)


def test_break_in_again(vm):
    before = qword_at(vm, "nt!KeTickCount")
    text, _ = go_then_break_in(vm, 1.0)
    assert "Break instruction exception" in text, "Ctrl-C brought %s" % short(text)
    assert qword_at(vm, "nt!KeTickCount") > before


def test_ctrl_c_at_the_prompt_is_not_a_break_in(vm):
    vm.read_available()
    vm.send_raw(CTRL_C)
    text = vm.wait_for(PROMPT, 10)
    assert "Break instruction" not in text, "Ctrl-C at the prompt: %s" % short(text)
    run(vm, "? 2", "Evaluate expression: 2 =")
