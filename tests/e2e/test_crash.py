""".crash: a bug check on purpose. The STOP screen, registers and stack, then
the debugger again; the system cannot be resumed. Its own file: the machine
is not usable afterwards except for inspection."""

import re

from e2e import ADDRESS, PROMPT, one_line, run, short

FIRMWARE = ("bios", "uefi")


def test_crash_prints_the_stop_screen_and_returns_to_the_prompt(vm):
    vm.read_available()
    vm.type_line(".crash")
    text = vm.wait_for(PROMPT, 30)
    for item in ("*** STOP: 0x000000E2", "MANUALLY_INITIATED_CRASH", "rip=", "cs=0010",
                 "Child-SP", "nt!KeBugCheckEx"):
        assert item in text, ".crash: no %r in %s" % (item, short(text, 400))
    assert re.search(r"^%s %s nt!KeBugCheckEx" % (ADDRESS, ADDRESS), text, re.M), \
        ".crash: no stack line for nt!KeBugCheckEx in %s" % short(text, 400)
    assert text.find("*** STOP") < text.find("Child-SP"), "stack before the STOP line"


def test_g_after_a_crash_cannot_continue(vm):
    output = run(vm, "g", "cannot continue")
    assert "Break instruction" not in output


def test_crash_again_says_already_crashed(vm):
    one_line(vm, ".crash", "already crashed", "E2")


def test_the_crashed_system_can_be_inspected(vm):
    run(vm, "k", "Child-SP", "nt!KeBugCheckEx")
    run(vm, "r", "rip=")
    one_line(vm, "dq nt!KeTickCount L1")
    run(vm, "!vm", "Physical Memory:")
