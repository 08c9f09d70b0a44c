"""kp and kP on a thread blocked in a system call (the two-process demo,
run=sharer): each function with its parameters from the build's DWARF,
values where the frame keeps them (the handle NtWaitForSingleObject holds
in a callee-saved register), `<value unavailable>` where it does not, the
assembly frames (KiSystemCall64) as k names them, and sharer.exe's own
functions (main takes no parameters: `(void)`)."""

import re

from e2e import run, short

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 8}


def test_kp_and_kP_on_a_waiting_user_thread(vm):
    output = run(vm, "!process 0 7 sharer.exe", "Image: sharer.exe")
    thread = re.search(r"THREAD ([0-9a-f]{16})", output).group(1)
    run(vm, ".thread " + thread, "Implicit thread is now")
    text = run(vm, "kp", "Child-SP          RetAddr           Call Site")
    assert re.search(r" nt!NtWaitForSingleObject\(void \* handle = 0x00000000`[0-9a-f]{8}, "
                     r"unsigned char alertable = [^,]+, union _LARGE_INTEGER \* timeout = "
                     r"[^)]+\)\+0x[0-9a-f]+$", text, re.M), short(text, 1500)
    assert re.search(r" nt!KiSystemCall64\+0x[0-9a-f]+ \(TrapFrame @ ", text), short(text, 1500)
    assert re.search(r" sharer!main\(void\)\+0x[0-9a-f]+$", text, re.M), short(text, 1500)
    assert "<value unavailable>" in text, short(text, 1500)
    text = run(vm, "kP 2", "Child-SP")
    assert re.search(r" nt!KiSwitchTo\(\n\t\t\tstruct _KPRCB \* prcb = [^\n]+, \n\t\t\t"
                     r"struct _KTHREAD \* next = [^\n]+\)\+0x[0-9a-f]+\n", text), short(text)
    run(vm, ".thread", "Implicit thread is now")
