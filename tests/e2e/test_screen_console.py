"""GRUB's "screen and keyboard only" entry, as on a lab PC: the shell on the
screen, typed at on the PS/2 keyboard, and nothing on serial past the first
lines. The screen is read through QEMU (QMP): under BIOS the VGA text buffer,
under UEFI a screendump matched cell by cell against the kernel's own font."""

import re

from e2e import check_boot_log, short

FIRMWARE = ("bios", "uefi")
VM_OPTIONS = {"menu_entry": 3, "qmp": True}
BOOT_TO_PROMPT = False          # the prompt is on the screen, not on serial

SCREEN_PROMPT = re.compile(r"(?m)^\d+: kd>")


def screen_after(vm, keys, pattern):
    """Types on the keyboard; returns the screen once `pattern` shows."""
    vm.press_keys(keys)
    return vm.wait_for_screen(pattern, 30)


def test_boot_log_and_prompt_on_the_screen(vm, firmware):
    screen = vm.wait_for_screen(SCREEN_PROMPT, 120)
    check_boot_log(screen, firmware)
    assert 'command line: "console=screen"' in screen, "another entry booted: %s" % short(screen)


def test_keyboard_commands_run(vm):
    screen = screen_after(vm, "version\n", "Consoles:")
    assert re.search(r"(?m)^\d+: kd> version$", screen), "no echo of version: %s" % short(screen)
    screen = screen_after(vm, "? 1+2*3\n", "Evaluate expression: 7 = 00000000`00000007")


def test_keyboard_line_editing(vm):
    # Backspace, then the cursor keys: "? 2*4" -> "? 2*5" -> "? 12*5" (hex).
    screen_after(vm, "? 2*4<bs>5<left><left><left>1\n",
                 "Evaluate expression: 90 = 00000000`0000005a")
    screen_after(vm, "<up>\n", re.compile(r"(?s)kd> \? 12\*5\n.*kd> \? 12\*5\n"
                                          r"Evaluate expression: 90"))


def test_ctrl_c_on_the_keyboard_stops_a_listing(vm):
    # Short lines, typed slowly: QEMU's PS/2 queue is short, and a loaded
    # host may leave the guest unscheduled while keys pile up.
    vm.press_keys("r rip\n", delay=0.1)
    screen = vm.wait_for_screen(re.compile(r"(?m)^rip=[0-9a-f]{16}$"), 30)
    start = int(re.findall(r"(?m)^rip=([0-9a-f]{16})$", screen)[-1], 16)
    # The same 0x10000 qwords (32,768 rows, dq's most) eight times over: with
    # the console's deferred drawing one listing takes well under a second
    # of guest time, and a loaded host may deliver the Ctrl-C later than
    # that. Ctrl-C, typed right after Enter, cuts the line short.
    vm.press_keys(";".join(["dq @rip L10000"] * 8) + "\n<ctrl-c>", delay=0.1)
    screen = vm.wait_for_screen(re.compile(r"(?m)^\^C\n\d+: kd>"), 60)
    rows = re.findall(r"(?m)^([0-9a-f]{8})`([0-9a-f]{8})  [0-9a-f]{8}`[0-9a-f]{8}", screen)
    assert rows, "no dq rows above the ^C: %s" % short(screen[-400:])
    last = int("".join(rows[-1]), 16)
    assert start <= last < start + 0x10000 * 8 - 0x10, \
        "the rows above ^C end at %x: the listing (from %x) was not cut" % (last, start)
    screen_after(vm, "? 1+1\n", "Evaluate expression: 2 = 00000000`00000002")


def test_serial_stays_quiet(vm):
    vm.wait_for_screen(SCREEN_PROMPT, 60)
    assert "Memory:" not in vm.output and "kd>" not in vm.output, \
        "serial shows the console although console=screen: %s" % short(vm.output[-300:])
