"""Drivers as their own modules, as a student meets them in the shell: the
boot driver null.sys in `lm` with its range, its symbols through `ln`, `x`
and `?`; `.drvunload Null` and `.drvload Null` after `g`; and a driver that
stops the system from its DriverEntry named in the bugcheck text and in `k`
(tldrbug.sys, last: the machine is stopped afterwards)."""

import re
import time

from e2e import ADDRESS, CTRL_C, PROMPT, run, short

FIRMWARE = ("bios",)

MODULE_LINE = r"^(%s) (%s)   %s +\(elf symbols: \d+\) +%s$"


def module_range(vm, name, image):
    output = run(vm, "lm m %s" % name, "start             end                 module name")
    m = re.search(MODULE_LINE % (ADDRESS, ADDRESS, name, re.escape(image)), output, re.M)
    return (m.group(1), m.group(2)) if m else None


def go_until(vm, pattern):
    vm.read_available()
    vm.type_line("g")
    vm.wait_for("g\n", 10)
    vm.wait_for(pattern, 60)
    vm.send_raw(CTRL_C)
    vm.wait_for(PROMPT, 20)


def go_briefly(vm, seconds=0.5):
    vm.read_available()
    vm.type_line("g")
    vm.wait_for("g\n", 10)
    time.sleep(seconds)
    vm.send_raw(CTRL_C)
    vm.wait_for(PROMPT, 20)


def test_lm_lists_nt_first_then_the_boot_driver_null(vm):
    output = run(vm, "lm", "start             end                 module name")
    names = re.findall(r"^%s %s   (\S+) " % (ADDRESS, ADDRESS), output, re.M)
    assert names[:2] == ["nt", "null"], short(output, 600)
    start, end = module_range(vm, "null", "null.sys")
    # Drivers load in their own range above the kernel.
    assert start.startswith("ffffffff`c") and int(end.replace("`", ""), 16) > \
        int(start.replace("`", ""), 16), (start, end)
    assert module_range(vm, "nt", "sleuth.elf")
    output = run(vm, "lm m nu*", "null")
    assert not re.search(r"   nt ", output), short(output)


def test_driver_symbols_resolve_as_module_bang_name(vm):
    output = run(vm, "x null!Null*", "null!NullRead")
    for name in ("NullRead", "NullWrite", "NullCreateClose", "NullUnload"):
        assert re.search(r"^%s null!%s \(<no parameter info>\)$" % (ADDRESS, name), output,
                         re.M), short(output, 600)
    address = re.search(r"^(%s) null!NullWrite " % ADDRESS, output, re.M).group(1)
    output = run(vm, "ln null!NullWrite+3", "null!NullWrite+0x3")
    assert re.search(r"\(%s\)   null!NullWrite\+0x3   \|  \(%s\)   null!\w+" %
                     (address, ADDRESS), output), short(output)
    run(vm, "? null!NullWrite", "Evaluate expression")
    run(vm, "x *!DriverEntry", "null!DriverEntry")


def test_driver_unloads_and_loads_again_from_the_shell(vm):
    run(vm, ".drvunload", "Usage: .drvunload SERVICE")
    run(vm, ".drvload bad.name", "Bad service name")
    run(vm, ".drvunload Null", "Unloading Null after the target resumes (g)")
    run(vm, ".drvload Null", "A request is already pending")
    go_until(vm, re.compile(r"\.drvunload: unloading Null: status 00000000"))
    assert module_range(vm, "null", "null.sys") is None
    run(vm, "x null!*", "Couldn't resolve module")
    run(vm, ".drvload Null", "Loading Null after the target resumes (g)")
    go_until(vm, re.compile(r"\.drvload: loading Null: status 00000000"))
    assert module_range(vm, "null", "null.sys")
    run(vm, ".drvload nosuchservice", "Loading nosuchservice")
    go_until(vm, re.compile(r"\.drvload: loading nosuchservice: status c0000034"))


def test_stacks_finds_the_thread_waiting_in_a_driver(vm):
    run(vm, ".drvload tldrwait", "Loading tldrwait after the target resumes (g)")
    go_until(vm, re.compile(r"tldrwait: waiting in the driver"))
    # The break-in may come between the driver's DbgPrint and its wait (the
    # thread then shows RUNNING): let it run on a moment and break in again.
    for _ in range(5):
        output = run(vm, "!stacks 0 tldrwait", "Threads Processed:")
        if "TldrWaitForever" in output:
            break
        go_briefly(vm)
    m = re.search(r"^\s*[0-9a-f]+\.[0-9a-f]+\s+(%s|[0-9a-f]{16})\s.*tldrwait!TldrWaitForever\+0x"
                  r"[0-9a-f]+$" % ADDRESS, output, re.M)
    assert m, short(output, 1500)
    assert re.search(r'Threads Processed: \d+, 1 with "tldrwait" on the stack', output), \
        short(output, 1500)
    output = run(vm, "!stacks 2 tldrwait", "Threads Processed:")
    assert re.search(r" tldrwait!TldrWaitThread\+0x[0-9a-f]+$", output, re.M), \
        short(output, 1500)


def test_bugcheck_in_a_driver_names_the_driver(vm):
    run(vm, ".drvload tldrbug", "Loading tldrbug after the target resumes (g)")
    vm.read_available()
    vm.type_line("g")
    text = vm.wait_for(PROMPT, 60)
    assert "*** STOP: 0x000000E2 (0x0000000000007E57," in text, short(text, 600)
    m = re.search(r"^\*\*\*  tldrbug\.sys - Address ([0-9A-F]{16}) base at ([0-9A-F]{16})$",
                  text, re.M)
    assert m, short(text, 800)
    assert int(m.group(1), 16) > int(m.group(2), 16)
    assert re.search(r"^%s %s tldrbug!TldrBugStop\+0x[0-9a-f]+$" % (ADDRESS, ADDRESS), text,
                     re.M), short(text, 1500)
    assert re.search(r" tldrbug!DriverEntry\+0x[0-9a-f]+$", text, re.M), short(text, 1500)
    output = run(vm, "lm m tldrbug", "tldrbug")
    assert re.search(MODULE_LINE % (ADDRESS, ADDRESS, "tldrbug", "tldrbug.sys"), output, re.M)
