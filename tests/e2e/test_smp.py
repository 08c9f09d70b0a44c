"""Four processors (-smp 4): each one the MADT lists starts and says so; the
debugger, entered on processor 0, has stopped the three others; `~N`
switches the processor the commands look at (the prompt says `N: kd>`,
`r` and `k` show where that processor stopped: its idle loop, KiIdleLoop,
the same on every processor; at the initial break nothing else is ready
to run), `!running`
lists each processor, `!pcr`/`!prcb` show its control region and block,
and after `g` a Ctrl-C stops them all again."""

import re

from e2e import run, short

FIRMWARE = ("bios", "uefi")
VM_OPTIONS = {"extra_args": ["-smp", "4"]}

HEX16 = r"[0-9a-f]{16}"


def test_every_processor_starts(vm):
    for n in (1, 2, 3):
        assert re.search(r"^Processor %d started \(APIC id \d+\), idle thread %s$" % (n, HEX16),
                         vm.boot_text, re.M), "no start line for processor %d: %s" % (
                             n, short(vm.boot_text[-800:]))
    assert vm.last_match.group(0) == "0: kd> ", vm.last_match.group(0)
    run(vm, "version", "Processors: 4;")


def test_running_lists_each_processor(vm):
    output = run(vm, "!running -i", "System Processors:  (000000000000000f)")
    for n in range(4):
        assert re.search(r"^  %d\s+%s  %s \( ?\d+\)" % (n, HEX16, HEX16), output, re.M), \
            "processor %d missing: %s" % (n, short(output, 600))
    # Processors 1-3 run their idle threads: Current is Idle.
    for n in (1, 2, 3):
        m = re.search(r"^  %d\s+%s  (%s) \( 0\)\s+(%s)$" % (n, HEX16, HEX16, HEX16), output, re.M)
        assert m and m.group(1) == m.group(2), "processor %d not idle: %s" % (n, short(output, 600))
    run(vm, "!running", re.compile(r"Idle Processors:  \(000000000000000e\)"))


def test_switch_processor(vm):
    vm.command("~2")
    assert vm.last_match.group(0) == "2: kd> ", "prompt after ~2: %r" % vm.last_match.group(0)
    run(vm, "r", re.compile(r"nt!KiIdleLoop\+0x[0-9a-f]+:"))
    run(vm, "k", "nt!KiIdleLoop")
    output = run(vm, "!thread", "RUNNING on processor 2", "Image: Idle")
    run(vm, "!prcb", "PRCB for Processor 2 at", "Processor Index 2 Number (0, 2)",
        re.compile(r"Local APIC id \d+; frozen by (IPI|NMI)"))
    run(vm, "!pcr 1", "KPCR for Processor 1 at")
    run(vm, "t", "Only processor 0, which broke in, can step: switch back with ~0")
    run(vm, "~7", "Processor 7 does not exist (processors 0-3)")
    vm.command("~0")
    assert vm.last_match.group(0) == "0: kd> ", vm.last_match.group(0)
    run(vm, "!prcb", "PRCB for Processor 0", "broke in")


def test_go_and_break_in_again(vm):
    vm.type_line("g")
    vm.wait_for("g\n", 10)
    vm.send_raw(b"\x03")
    vm.wait_for(re.compile(r"(?m)^0: kd> "), 60)
    run(vm, "!running -i", "System Processors:  (000000000000000f)")
    run(vm, "!prcb 3", re.compile(r"frozen by (IPI|NMI)"))
