""".reboot resets the machine. This file's VM runs without -no-reboot, so
the reset must bring back the firmware and GRUB's menu, and the second boot
must reach the shell again; a second VM with -no-reboot checks that QEMU
sees a reset (it exits, status 0) rather than a hang."""

from e2e import GRUB_MENU, PROMPT, check_boot_log, run, short

FIRMWARE = ("bios", "uefi")
VM_OPTIONS = {"no_reboot": False}


def test_reboot_brings_back_grub_and_the_shell(vm, firmware):
    vm.read_available()
    vm.type_line(".reboot")
    vm.wait_for("Rebooting", 10)
    vm.wait_for(GRUB_MENU, 120)     # the firmware ran again: a real reset
    vm.select_menu_entry(0)
    text = vm.wait_for(PROMPT, 120)
    check_boot_log(text, firmware)
    run(vm, "version", "Sleuth 0.1")


def test_reboot_after_a_crash(vm):
    run(vm, ".crash", "MANUALLY_INITIATED_CRASH")
    vm.read_available()
    vm.type_line(".reboot")
    vm.wait_for("Rebooting", 10)
    vm.wait_for(GRUB_MENU, 120)


def test_reboot_with_no_reboot_ends_qemu(new_vm):
    vm = new_vm(no_reboot=True)
    vm.boot()
    vm.type_line(".reboot")
    vm.wait_for("Rebooting", 10)
    code = vm.exit_code(60)
    assert code == 0, "QEMU exit status %s after a reset with -no-reboot: %s" % (
        code, short(vm.tail()))
