"""A machine with no screen (QEMU's -vga none: no VGA device, so under BIOS
GRUB's text-mode tag points at memory that does not answer, and under UEFI
there is no GOP): the kernel says so on COM1, the only console, and goes on
to the prompt, where commands run."""

import re

from e2e import check_boot_log, run, short

FIRMWARE = ("bios", "uefi")
VM_OPTIONS = {"extra_args": ["-vga", "none"]}


def test_the_boot_says_there_is_no_screen(vm, firmware):
    text = vm.boot_text
    check_boot_log(text, firmware)
    assert re.search(r"Console: serial COM1 115200, display none\n", text), \
        "no 'display none': %s" % short(text[-600:], 600)
    assert "Console: no screen (" in text and "COM1 is the only console" in text, \
        "no plain message about the missing screen: %s" % short(text[-600:], 600)
    assert "Console: no serial port" not in text, "COM1 is there: %s" % short(text[-600:], 600)


def test_the_shell_works_without_a_screen(vm):
    run(vm, "? 1+2*3", "Evaluate expression: 7 = 00000000`00000007")
    run(vm, "version", "Consoles: serial COM1, display none")
