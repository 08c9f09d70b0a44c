"""u, ub and uf on kernel, driver and user code (GRUB entry "... a user program
that never ends", run=spin: nt, the null driver and spin.exe are all there).
Seed 003 reads `u rdbss!RxWaitForStableCondition` and then `u` to see where
a routine keeps its argument; these replay that on Sleuth's own code, and
check every line against memory: the bytes column is what `db` reads there,
the instructions follow one another, branch targets are named by `x`'s
addresses."""

import re

from e2e import ADDRESS, lines, run, short, symbol_address

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 7}

# fffff800`0123abcd 4883ec28        sub     rsp,28h
LINE = re.compile(r"^(%s) ([0-9a-f]+) +(\S.*)$" % ADDRESS)
LABEL = re.compile(r"^([\w.]+!\w+(?:@plt)?(?:\+0x[0-9a-f]+)?):$")
CALL = re.compile(r"call    ([\w.]+!\w+) \((%s)\)" % ADDRESS)


def value(address):
    return int(address.replace("`", ""), 16)


def parse(output):
    """[(label or None, address, bytes, text)] for each instruction line."""
    rows, label = [], None
    for line in lines(output):
        m = LABEL.match(line)
        if m:
            label = m.group(1)
            continue
        m = LINE.match(line)
        assert m, "not a disassembly line: %r in %s" % (line, short(output))
        rows.append((label, value(m.group(1)), m.group(2), m.group(3)))
        label = None
    return rows


def check_against_memory(vm, rows):
    """Each line's bytes are the memory at its address (db), and in a run
    without labels each instruction starts where the one before ends."""
    for label, address, code, _ in rows:
        dump = run(vm, "db %x L%x" % (address, len(code) // 2))
        # "ffffffff`8012e750  55 48 89 e5 ...": the hex column after the address.
        read = "".join(re.findall(r"[0-9a-f]{2}", dump.split("\n")[0][19:19 + 48]))
        assert read == code, "%x: %s disassembled, db reads %s" % (address, code, read)
    for before, after in zip(rows, rows[1:]):
        if after[0] is None:
            assert after[1] == before[1] + len(before[2]) // 2, (before, after)


def test_u_kernel_function_then_u_continues(vm):
    start = value(symbol_address(vm, "KeWaitForSingleObject"))
    output = run(vm, "u nt!KeWaitForSingleObject")
    assert lines(output)[0] == "nt!KeWaitForSingleObject:", short(output)
    rows = parse(output)
    assert len(rows) == 8 and rows[0][1] == start, short(output)
    # Built with frame pointers: the prologue is WinDbg-familiar MASM.
    assert rows[0][3] == "push    rbp", rows[0]
    assert rows[1][3] == "mov     rbp,rsp", rows[1]
    check_against_memory(vm, rows[:4])
    end = rows[-1][1] + len(rows[-1][2]) // 2

    more = run(vm, "u")
    assert lines(more)[0] == "nt!KeWaitForSingleObject+0x%x:" % (end - start), short(more)
    next_rows = parse(more)
    assert len(next_rows) == 8 and next_rows[0][1] == end, short(more)

    # ub from where the first listing ended gives the same eight lines back.
    back = run(vm, "ub %x" % end)
    assert lines(back)[0] == "nt!KeWaitForSingleObject:", short(back)
    assert parse(back) == rows, short(back)
    two = parse(run(vm, "ub %x L2" % end))
    assert [r[1:] for r in two] == [r[1:] for r in rows[-2:]], two


def test_uf_follows_the_function_and_names_its_calls(vm):
    output = run(vm, "uf nt!KeWaitForSingleObject", timeout=60)
    assert lines(output)[0] == "nt!KeWaitForSingleObject:", short(output)
    rows = parse(output)
    assert len(rows) > 20, short(output)
    labels = {r[1] for r in rows if r[0]}
    start = rows[0][1]
    # Every branch inside the function lands on a labelled block, and the
    # label names that address.
    for label, address, code, text in rows:
        if label:
            offset = address - start
            assert label == ("nt!KeWaitForSingleObject+0x%x" % offset if offset else
                             "nt!KeWaitForSingleObject"), (label, hex(address))
        m = re.match(r"j\w+ +nt!KeWaitForSingleObject\+0x([0-9a-f]+) \((%s)\)$" % ADDRESS, text)
        if m:
            assert value(m.group(2)) == start + int(m.group(1), 16), text
            assert value(m.group(2)) in labels, "branch to an unlabelled %s" % m.group(2)
    assert any(r[3] == "ret" for r in rows), short(output)
    # Calls are named, at the address `x` gives for the name.
    calls = CALL.findall(output)
    assert calls, short(output)
    name, address = calls[0]
    assert name.startswith("nt!")
    assert symbol_address(vm, name[3:]) == address, (name, address)
    # Blocks are printed in address order, a blank line before each label.
    assert [r[1] for r in rows] == sorted(r[1] for r in rows)
    assert "\n\nnt!KeWaitForSingleObject+0x" in output


def test_uf_on_a_driver_function(vm):
    output = run(vm, "uf null!DriverEntry", timeout=60)
    assert lines(output)[0] == "null!DriverEntry:", short(output)
    rows = parse(output)
    assert rows[0][3] == "push    rbp", rows[0]
    # RIP-relative operands named from the driver's own symbols.
    assert re.search(r"lea     r\w+,\[null!NullRead \(%s\)\]" % ADDRESS, output), short(output)
    assert any(r[3] == "ret" for r in rows), short(output)
    check_against_memory(vm, rows[:3])
    # Its calls to nt go through its import stubs, named after their targets;
    # the stub is the jump through the slot that holds the target.
    m = re.search(r"call    null!(\w+)@plt \((%s)\)" % ADDRESS, output)
    assert m, short(output)
    stub = parse(run(vm, "u %s L1" % m.group(2)))
    assert stub[0][0] == "null!%s@plt" % m.group(1), stub
    slot = re.match(r"jmp     qword ptr \[null!_GLOBAL_OFFSET_TABLE_\+0x[0-9a-f]+ \((%s)\)\]$"
                    % ADDRESS, stub[0][3])
    assert slot, stub
    target = run(vm, "dps %s L1" % slot.group(1))
    assert target.endswith(" nt!%s" % m.group(1)), target
    u = parse(run(vm, "u null!NullRead L2"))
    assert u[0][0] == "null!NullRead" and len(u) == 2, u


def test_user_function_in_the_current_process(vm):
    process = run(vm, "!process 0 6 spin.exe", "Image: spin.exe")
    thread = re.search(r"THREAD ([0-9a-f]{16}) Cid", process).group(1)
    run(vm, "u nt!KeWaitForSingleObject L1", "nt!KeWaitForSingleObject:")
    run(vm, ".thread " + thread, "Implicit thread is now")
    # u alone starts at the new context's rip, not after the last listing.
    rip = int(re.search(r"rip=([0-9a-f]{16})", run(vm, "r rip")).group(1), 16)
    assert parse(run(vm, "u L1"))[0][1] == rip
    step = parse(run(vm, "u spin!SpinStep L2"))
    assert step[0][0] == "spin!SpinStep" and step[1][3] == "ret", step
    step_address = step[0][1]
    output = run(vm, "uf spin!SpinForever")
    assert lines(output)[0] == "spin!SpinForever:", short(output)
    # Its loop calls SpinStep and keeps the count in a global, both named.
    assert re.search(r"call    spin!SpinStep \(00000000`%08x\)$" % step_address,
                     output, re.M), short(output)
    assert re.search(r"qword ptr \[spin!SpinCount \(%s\)\]" % ADDRESS, output), short(output)
    assert re.search(r"^\s*$\nspin!SpinForever\+0x[0-9a-f]+:$", output, re.M), short(output)
    back = parse(run(vm, "ub %x L1" % (step[1][1] + 1)))
    assert back[0][1:] == step[1][1:], back


def test_bad_addresses_and_arguments_are_error_lines(vm):
    assert lines(run(vm, "u 0")) == ["Memory access error at '00000000`00000000'"]
    assert lines(run(vm, "uf 1000")) == ["Memory access error at '00000000`00001000'"]
    assert lines(run(vm, "ub 0")) == ["Memory access error at '00000000`00000000'"]
    assert "Range error" in run(vm, "u nt!KeWaitForSingleObject L0")
    assert "Range error" in run(vm, "u nt!KeWaitForSingleObject L100000")
    assert lines(run(vm, "u nt!KeWaitForSingleObject L2 junk")) == ["Syntax error at 'junk'"]
    assert lines(run(vm, "uf")) == ["Usage: uf [/c] [/D] address"]
    assert "Couldn't resolve" in run(vm, "u nt!NoSuchFunctionAnywhere")
    # The shell is still there.
    assert len(parse(run(vm, "u nt!KeWaitForSingleObject L1"))) == 1
