"""A machine with no serial port (QEMU's -serial none; most lab PCs): the
kernel says so on the screen, the only console, and goes on to the prompt,
where the PS/2 keyboard types commands. The screen is read through QMP as in
test_screen_console.py; GRUB's default entry boots by itself."""

import re

from e2e import short

FIRMWARE = ("bios", "uefi")
VM_OPTIONS = {"serial": False, "qmp": True, "menu_entry": None}
BOOT_TO_PROMPT = False          # nothing comes on serial: there is none

SCREEN_PROMPT = re.compile(r"(?m)^\d+: kd>")


def test_the_boot_says_there_is_no_serial_port(vm):
    screen = vm.wait_for_screen(SCREEN_PROMPT, 300)
    assert "Console: serial none, display " in screen, "no 'serial none': %s" % short(screen)
    # The line is longer than the screen is wide: compare without blanks.
    message = ("Console: no serial port (no UART answers at COM1, I/O port 3f8): "
               "the screen is the only console")
    assert re.sub(r"\s+", "", message) in re.sub(r"\s+", "", screen), \
        "no plain message about the missing serial port: %s" % short(screen, 800)
    assert "Console: no screen" not in screen, "the screen is there: %s" % short(screen)
    assert vm.output.strip() == "", "serial output although -serial none: %r" % vm.output[:200]


def test_the_keyboard_types_at_the_prompt(vm):
    vm.wait_for_screen(SCREEN_PROMPT, 300)
    vm.press_keys("? 1+2*3\n")
    vm.wait_for_screen("Evaluate expression: 7 = 00000000`00000007", 30)
