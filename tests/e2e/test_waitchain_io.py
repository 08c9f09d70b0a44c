"""!waitchain on the I/O exercise (demo=io): the "svchost" thread blocked in
mup!MupLocateUncProviderForPath has two IRPs; the create is current in Mup,
whose code is on the thread's own stack, and Mup's query is pending in
\\Driver\\Smb, which no thread works for: the chain ends at that driver,
as the third case study's did at the SMB transport."""

import re

from e2e import run, short

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 11}

HEX16 = r"[0-9a-f]{16}"


def demo_thread(vm):
    m = re.search(r"Demo: thread (%s) waits in \\FileSystem\\Mup for an IRP pending in "
                  r"\\Driver\\Smb" % HEX16, vm.boot_text)
    assert m, "the demo did not start: %s" % short(vm.boot_text[-600:])
    return m.group(1)


def test_waitchain_ends_at_the_smb_driver(vm):
    thread = demo_thread(vm)
    irps = re.findall(r"^    (%s): \(0006," % HEX16, run(vm, "!thread " + thread, "IRP List:"),
                      re.M)
    assert len(irps) == 2, irps
    smb = re.search(r"^Driver object \((%s)\) is for:" % HEX16,
                    run(vm, "!drvobj \\Driver\\Smb", "Driver object"), re.M)
    assert smb, "no driver object for \\Driver\\Smb"
    output = run(vm, "!waitchain " + thread, "Wait chain of THREAD " + thread)
    assert re.search(r"^\[0\] THREAD %s \(System Cid [0-9a-f.]+\) WAIT: \(Executive\) KernelMode "
                     r".*in mup!MupLocateUncProviderForPath\+0x" % thread, output, re.M), output
    mup = re.search(r"^    IRP (%s): stack location \d+ of \d+ is current, device %s "
                    r"\(\\FileSystem\\Mup\): that driver's code is on this thread's stack"
                    % (HEX16, HEX16), output, re.M)
    held = re.search(r"^    IRP (%s): stack location 1 of 1 is current, device %s "
                     r"\(\\Driver\\Smb\) " % (HEX16, HEX16), output, re.M)
    assert mup and held and sorted([mup.group(1), held.group(1)]) == sorted(irps), output
    assert re.search(r"^    ends here: IRP %s pending in \\Driver\\Smb \(device %s, "
                     r"stack location 1 of 1\): no thread is in the driver's code and it has "
                     r"no work item queued$"
                     % (held.group(1), HEX16), output, re.M), output
    assert re.search(r"^Root: driver \\Driver\\Smb \(DRIVER_OBJECT %s\) holds the IRP and no "
                     r"thread works for it$" % smb.group(1), output, re.M), output
