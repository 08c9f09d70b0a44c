"""A live user process in the debugger (GRUB entry "... a user program that
never ends", run=spin): spin.exe computes forever in user mode. At the
initial break-in its thread has been preempted by the clock, so !thread
walks its kernel stack through the interrupt's trap frame into its user
frames, read from spin.exe's own address space; after Ctrl-C in user mode,
`k` and `!thread` show user frames only."""

import re
import time

from e2e import CTRL_C, PROMPT, run

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 7}

HEX16 = r"[0-9a-f]{16}"
# User frames are named from spin.exe's own symbols: spin!SpinStep+0x1a.
USER_FRAME = re.compile(r"^\s*00007ff[0-9a-f]`[0-9a-f]{8} 00000000`[0-9a-f]{8} "
                        r"spin!\w+(?:\+0x[0-9a-f]+)?$", re.M)


def spin_thread(vm):
    output = run(vm, "!process 0 6 spin.exe", "Image: spin.exe")
    m = re.search(r"THREAD (%s) Cid" % HEX16, output)
    assert m, output
    return m.group(1), output


def test_spin_process_is_a_user_process(vm):
    assert "spin.exe: spinning in user mode" in vm.output
    output = run(vm, "!process 0 0 spin.exe")
    # init started it.
    init = re.search(r"Init: started init\.exe \(Cid ([0-9a-f]+)\)", vm.output)
    assert init, vm.output
    assert re.search(r"^    SessionId: 0  Cid: [0-9a-f]{4}    Peb: [0-9a-f]+  ParentCid: %04x$"
                     % int(init.group(1), 16), output, re.M), output
    assert re.search(r"^    DirBase: [0-9a-f]+  ObjectTable: %s  HandleCount: \d+\.$" % HEX16,
                     output, re.M), output


def test_thread_stack_goes_from_kernel_to_user_frames(vm):
    thread, output = spin_thread(vm)
    assert re.search(r"Teb: %s Win32Thread: %s (READY|RUNNING|WAIT)" % (HEX16, HEX16), output)
    m = re.search(r"nt!KiTrapCommon\S* \(TrapFrame @ (fffffa60`[0-9a-f]{8})\)$", output, re.M)
    assert m, "no trap frame line in %r" % output
    after = output[m.end():]
    frames = USER_FRAME.findall(after)
    assert len(frames) >= 3, "too few user frames after the trap: %r" % after
    # The clock may catch the leaf at its first instruction: no offset then.
    assert re.search(r" spin!Spin(Step|Forever)(\+0x[0-9a-f]+)?$", after, re.M), after
    assert re.search(r" spin!SpinStart\+0x[0-9a-f]+$", after, re.M), after
    assert frames[-1].split()[1] == "00000000`00000000", "the user walk does not end at _start"
    # The trap frame is the top of the kernel stack (Stack Init - sizeof KTRAP_FRAME).
    init = re.search(r"Stack Init (%s)" % HEX16, output).group(1)
    assert int(m.group(1).replace("`", ""), 16) == int(init, 16) - 0xb0


def test_break_in_user_mode_shows_user_frames_only(vm):
    vm.type_line("g")
    time.sleep(1)
    vm.send_raw(CTRL_C)
    vm.wait_for(PROMPT, 30)
    output = run(vm, "k")
    frames = USER_FRAME.findall(output)
    if not frames:
        # The break-in can land in the kernel (a clock tick, say): then the
        # spinner's own stack still goes through the trap into user mode.
        assert "nt!" in output, output
        assert len(USER_FRAME.findall(spin_thread(vm)[1])) >= 3
        return
    assert "nt!" not in output, output
    assert len(frames) >= 3 and frames[-1].split()[1] == "00000000`00000000", output
    thread = run(vm, "!thread")
    assert "Image: spin.exe" in thread and "RUNNING" in thread, thread
    assert len(USER_FRAME.findall(thread)) == len(frames), thread
    # The current process's program names its addresses for ln and dps too.
    first_return = re.search(r"^00007ffe`[0-9a-f]{8} (00000000`[0-9a-f]{8}) spin!", output,
                             re.M).group(1)
    named = run(vm, "ln %s" % first_return, "spin!")
    assert re.search(r"^\(00000000`004[0-9a-f]{5}\)   spin!Spin\w+\+0x[0-9a-f]+$", named, re.M), \
        named
    words = run(vm, "dps @rsp L8")
    assert re.search(r" spin!\w+\+0x[0-9a-f]+$", words, re.M), words
