"""`.frame /r` on the user frames of a thread blocked in a system call (the
two-process demo, run=sharer): kn numbers the kernel frames, the
KiSystemCall64 frame that names the trap frame, then sharer.exe's frames
unwound by the program's own call frame information; `.frame /r` on
sharer!main shows a user-mode frame (cs 0033) with the code at its rip read
from the thread's process."""

import re

from e2e import run, short

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 8}

ADDR = r"[0-9a-f]{8}`[0-9a-f]{8}"


def test_frame_r_on_a_user_frame(vm):
    output = run(vm, "!process 0 7 sharer.exe", "Image: sharer.exe")
    thread = re.search(r"THREAD ([0-9a-f]{16})", output).group(1)
    run(vm, ".thread " + thread, "Implicit thread is now")
    output = run(vm, "kn", " # Child-SP")
    frames = re.findall(r"^([0-9a-f]{2}) (%s) (%s) (\S+)( \(TrapFrame @ %s\))?$"
                        % (ADDR, ADDR, ADDR), output, re.M)
    names = [f[3].split("+")[0] for f in frames]
    assert "nt!KiSystemCall64" in names and frames[names.index("nt!KiSystemCall64")][4], \
        short(output, 900)
    assert "sharer!main" in names, short(output, 900)
    number, child_sp, _, call_site, _ = frames[names.index("sharer!main")]
    # The stub the system call was made from is the frame just above main.
    assert names[names.index("sharer!main") - 1] == "sharer!NtWaitForSingleObject"
    output = run(vm, ".frame /r " + number, "%s %s " % (number, child_sp), "cs=0033  ss=002b")
    regs = dict(re.findall(r"\b(r[a-z0-9]+)=([0-9a-f]{16})", output))
    assert regs["rsp"] == child_sp.replace("`", ""), short(output)
    assert re.search(r"^%s:\n%s [0-9a-f]{16}$" % (re.escape(call_site), ADDR), output, re.M), \
        short(output, 900)
    run(vm, ".thread", "Implicit thread is now")
