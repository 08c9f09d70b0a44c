"""The ISO written to a USB stick with dd is a raw disk: it must boot that way
under BIOS (GRUB's MBR) and UEFI (the EFI system partition) too."""

from e2e import check_boot_log, run

FIRMWARE = ("bios", "uefi")


def test_iso_boots_as_a_raw_disk(new_vm, firmware):
    vm = new_vm(disk=True)
    text = vm.boot()
    check_boot_log(text, firmware)
    run(vm, "version", "Sleuth 0.1")
    run(vm, "lm", "nt")
