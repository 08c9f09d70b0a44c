"""Breakpoints and stepping over serial, as a student uses them: `bp
nt!NtClose`, `g` until a thread closes a handle (tbp.exe, started with
`.start`), the hit as KD shows it, `bl`, `t` (Enter repeats it), `p`, `gu`
to the caller, `bc *`, and `g` runs on without stopping."""

import re

from e2e import ADDRESS, CTRL_C, PROMPT, SleuthVMError, run, short, symbol_address

FIRMWARE = ("bios",)
RUN_SECONDS = 3.0

def location(text, symbol):
    """The `symbol:` line and the instruction line after it, as a match."""
    m = re.search(r"^(%s):\n(%s) [0-9a-f]+ +\S" % (re.escape(symbol), ADDRESS), text, re.M)
    assert m, "no %r stop in %s" % (symbol, short(text, 400))
    return m


def test_bp_on_ntclose_stops_there(vm):
    address = symbol_address(vm, "NtClose")
    assert run(vm, "bp nt!NtClose") == ""
    run(vm, "bl", " 0 e Disable Clear  %s     0001 (0001) nt!NtClose" % address)
    run(vm, ".start tbp", "Starting tbp after the target resumes (g)")
    text = run(vm, "g", "Breakpoint 0 hit\nnt!NtClose:\n%s " % address, timeout=90)
    location(text, "nt!NtClose")


def test_t_steps_one_instruction_and_enter_repeats_it(vm):
    first = run(vm, "t")
    m = location(first, re.search(r"^(nt!NtClose\+0x[0-9a-f]+):", first, re.M).group(1))
    second = run(vm, "")
    n = re.search(r"^nt!NtClose\+0x([0-9a-f]+):\n(%s) " % ADDRESS, second, re.M)
    assert n, "Enter after t: %s" % short(second)
    assert int(n.group(2).replace("`", ""), 16) > int(m.group(2).replace("`", ""), 16)


def test_p_and_gu_come_back_to_the_caller(vm):
    text = run(vm, "p")
    assert re.search(r"^nt!\w+\+0x[0-9a-f]+:\n%s" % ADDRESS, text, re.M), short(text)
    text = run(vm, "gu", timeout=60)
    # NtClose returns into the system-service dispatcher.
    m = re.search(r"^(nt!\w+)\+0x[0-9a-f]+:\n", text, re.M)
    assert m and m.group(1) != "nt!NtClose", "gu: %s" % short(text)


def test_bc_star_clears_and_g_runs_on(vm):
    run(vm, "bc *")
    assert run(vm, "bl") == ""
    vm.read_available()
    vm.type_line("g")
    vm.wait_for("g\n", 10)
    try:
        early = vm.wait_for(PROMPT, RUN_SECONDS)
        raise AssertionError("stopped again after bc *: %s" % short(early))
    except SleuthVMError:
        pass        # running, as it should be
    vm.send_raw(CTRL_C)
    text = vm.wait_for(PROMPT, 20)
    assert "Break instruction exception" in text and "Breakpoint" not in text, short(text)


def test_refuses_a_breakpoint_in_the_debugger(vm):
    run(vm, "bp nt!KdpExecuteLine", "is code the debugger runs itself")
    run(vm, "bp nt!HalDisplayString", "is code the debugger runs itself")
    assert run(vm, "bl") == ""
    output = run(vm, "help bp", "bp [/p EPROCESS] Address")
    assert "breakpoint" in output
