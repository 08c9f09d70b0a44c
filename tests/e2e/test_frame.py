"""The third case study's `.frame /r 05` on the I/O demo (demo=io): after
`.thread` on the thread waiting in Mup, `kn` numbers its frames, `kb` shows
each frame's Args to Child, and `.frame /r N` selects mup!MupiCallUncProvider's frame
and prints its registers: rip and rsp are that frame's call site and
Child-SP, rbx and r12-r15 are what the CFI unwind recovered, and `r`
shows the same frame afterwards."""

import re

from e2e import run, short

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 11}

HEX16 = r"[0-9a-f]{16}"
ADDR = r"[0-9a-f]{8}`[0-9a-f]{8}"


def demo_thread(vm):
    m = re.search(r"Demo: thread (%s) waits in \\FileSystem\\Mup" % HEX16, vm.boot_text)
    assert m, "the demo did not start: %s" % short(vm.boot_text[-600:])
    return m.group(1)


def test_frame_r_shows_the_registers_of_a_frame_as_unwound(vm):
    thread = demo_thread(vm)
    run(vm, ".thread " + thread, "Implicit thread is now")
    output = run(vm, "kn", " # Child-SP          RetAddr           Call Site\n")
    frames = re.findall(r"^([0-9a-f]{2}) (%s) (%s) (\S+)$" % (ADDR, ADDR), output, re.M)
    names = [f[3].split("+")[0] for f in frames]
    assert "mup!MupiCallUncProvider" in names, short(output)
    number, child_sp, _, call_site = frames[names.index("mup!MupiCallUncProvider")]
    assert int(number, 16) == names.index("mup!MupiCallUncProvider")

    output = run(vm, "kb 8", "Child-SP          RetAddr           : Args to Child" + " " * 58
                 + " : Call Site\n")
    rows = re.findall(r"^%s %s : (?:%s ){4}: (\S+)$" % (ADDR, ADDR, ADDR), output, re.M)
    assert len(rows) == 8, short(output)

    output = run(vm, ".frame /r " + number,
                 "%s %s " % (number, child_sp), call_site + "\n", "rax=", " rbx=", "r12=",
                 "iopl=")
    regs = dict(re.findall(r"\b(r[a-z0-9]+)=([0-9a-f]{16})", output))
    assert regs["rsp"] == child_sp.replace("`", ""), short(output)
    # The volatile registers are not recovered; the callee-saved ones are.
    assert regs["rax"] == "0" * 16 and regs["rcx"] == "0" * 16, short(output)
    assert int(regs["rbp"], 16) > int(regs["rsp"], 16), short(output)
    # MupiCallUncProvider keeps its IRP in a callee-saved register across the call:
    # one of them is an IRP of the thread's IRP List.
    irps = re.findall(r"^    (%s): \(0006," % HEX16, run(vm, "!thread " + thread, "IRP List:"),
                      re.M)
    kept = {regs[r] for r in ("rbx", "r12", "r13", "r14", "r15")}
    assert kept & set(irps), "%s %s" % (irps, short(output, 600))
    # `r` now shows that frame; a frame past the end is refused.
    assert run(vm, "r rsp").strip().endswith("rsp=" + regs["rsp"])
    run(vm, ".frame 0n200", "Cannot find frame 0xc8, previous scope unchanged")
    assert run(vm, ".frame").startswith(number + " ") or (number + " ") in run(vm, ".frame")
