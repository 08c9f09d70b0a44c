"""The local APIC's mode (docs/scheduler.md, "Processors"): x2APIC where
CPUID.1:ECX bit 21 offers it, xAPIC otherwise, said in one boot line, with
one processor and with four. QEMU 7.2 under TCG does not emulate x2APIC:
asked for it (-cpu qemu64,+x2apic) it warns on stderr and leaves the bit
clear, and the kernel must then keep xAPIC mode; a QEMU (or KVM) that gives
the bit must get x2APIC mode and every processor started through it."""

import re

from e2e import check_boot_log, run, short

FIRMWARE = ("bios", "uefi")

MODE = re.compile(r"APIC: (x2APIC mode \(MSRs\)|xAPIC mode \(registers at fee00000; the "
                  r"processor has no x2APIC\)), boot processor's APIC id (\d+)\n")
FILTERED = "CPUID.01H:ECX.x2apic [bit 21]"


def boot_and_check(new_vm, firmware, processors, cpu=None):
    args = ["-smp", str(processors)] + (["-cpu", cpu] if cpu else [])
    vm = new_vm(extra_args=args)
    text = vm.boot()
    check_boot_log(text, firmware)
    m = MODE.search(text)
    assert m, "no APIC mode line: %s" % short(text[:2000], 800)
    offered = cpu is not None and "+x2apic" in cpu and FILTERED not in vm.stderr_text
    assert m.group(1).startswith("x2APIC" if offered else "xAPIC"), \
        "%s, with x2APIC %s" % (m.group(1), "offered" if offered else "not offered")
    for n in range(1, processors):
        assert re.search(r"^Processor %d started \(APIC id \d+\)" % n, text, re.M), \
            "processor %d did not start: %s" % (n, short(text[-800:]))
    run(vm, "version", "Processors: %d;" % processors)
    if processors > 1:
        # An IPI through the mode's ICR: ~1 freezes and shows processor 1.
        run(vm, "!running -i", "System Processors:  (%016x)" % ((1 << processors) - 1))
    return vm, m.group(1)


def test_one_processor_default_cpu(new_vm, firmware):
    boot_and_check(new_vm, firmware, 1)


def test_one_processor_asking_for_x2apic(new_vm, firmware):
    boot_and_check(new_vm, firmware, 1, "qemu64,+x2apic")


def test_four_processors_asking_for_x2apic(new_vm, firmware):
    vm, mode = boot_and_check(new_vm, firmware, 4, "qemu64,+x2apic")
    vm.type_line("g")
    vm.wait_for("g\n", 10)
    vm.send_raw(b"\x03")
    vm.wait_for(re.compile(r"(?m)^0: kd> "), 60)
    run(vm, "!prcb 3", re.compile(r"frozen by (IPI|NMI)"))
