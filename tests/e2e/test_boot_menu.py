"""GRUB's other menu entries boot with their command lines (the default one
is checked by every other file; "self tests" by the kernel layer of
runtests.py)."""

from e2e import check_boot_log, run

FIRMWARE = ("bios", "uefi")


def test_serial_console_only_entry_reaches_the_shell(new_vm, firmware):
    vm = new_vm(menu_entry=2)
    text = vm.boot()
    check_boot_log(text, firmware)
    assert 'command line: "console=serial"' in text, "entry 2 booted another command line"
    run(vm, "version", 'command line: "console=serial"')
