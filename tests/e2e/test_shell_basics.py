"""The debugger shell as a student first meets it: help, symbols, memory
display, registers, stack, and errors that leave the shell working."""

import re

from e2e import ADDRESS, check_boot_log, firmware_boot_name, lines, one_line, run, short, \
    symbol_address

FIRMWARE = ("bios", "uefi")

COMMANDS = ["help", "g", "version", "r", "k", "lm", "ln", "x", "dq", "dd", "dw", "db", "dps",
            "!vm", "!poolused", "!pool", ".reboot", ".crash", "?", "!poolfind", "!drvobj",
            "!devobj", "!devstack", "!irp", "!irpfind", "!fileobj", "dt", "??"]


def test_boot_log_names_loader_firmware_memory_and_clock(vm, firmware):
    check_boot_log(vm.boot_text, firmware)


def test_help_lists_every_command(vm):
    output = run(vm, "help", "help CMD")
    listed = {m.group(1) for m in re.finditer(r"^  (\S+)\s+\S", output, re.M)}
    missing = [c for c in COMMANDS if c not in listed]
    assert not missing, "help does not list %s" % missing


def test_help_command_shows_its_syntax(vm):
    output = run(vm, "help dq")
    first = lines(output)[0]
    assert first.startswith("dq ") and "L count" in first, "help dq: %s" % short(output)
    assert "64-bit" in output, "help dq: no summary in %s" % short(output)


def test_unknown_command_prints_one_error_line(vm):
    line = one_line(vm, "frobnicate 1 2", "frobnicate")
    assert "nknown" in line, line
    run(vm, "? 1", "Evaluate expression: 1 =")       # the shell goes on


def test_bad_arguments_print_an_error(vm):
    line = one_line(vm, "dq zzzz", "zzzz")
    assert "rror" in line, line
    assert "Usage: ln" in one_line(vm, "ln")
    assert "rror" in one_line(vm, "r zz", "zz")
    assert "rror" in one_line(vm, "k zz", "zz")
    one_line(vm, "x zz!foo", "zz!foo")


def test_lm_shows_nt_in_the_kernel_half(vm):
    output = run(vm, "lm", "start", "module name")
    assert re.search(r"^ffffffff`8[0-9a-f]{7} ffffffff`8[0-9a-f]{7}\s+nt\b", output, re.M), \
        "lm: no nt line with a ffffffff`8... range in %s" % short(output)


def test_ln_of_a_function_is_an_exact_match(vm):
    output = run(vm, "ln nt!KiSystemStartup", "Exact matches", "nt!KiSystemStartup")
    address = symbol_address(vm, "KiSystemStartup")
    assert "(%s)   nt!KiSystemStartup" % address in output, \
        "ln: no (%s) nt!KiSystemStartup in %s" % (address, short(output))


def test_x_with_wildcards_lists_matching_symbols(vm):
    output = run(vm, "x nt!Ke*Irql*", "nt!KeGetCurrentIrql")
    for line in lines(output):
        assert re.match(r"%s nt!Ke\w*Irql\w* " % ADDRESS, line), "x nt!Ke*Irql*: %r" % line


def test_dq_of_a_symbol_prints_one_line_at_its_address(vm):
    address = symbol_address(vm, "KeTickCount")
    line = one_line(vm, "dq nt!KeTickCount L1")
    assert re.match(r"%s  %s$" % (re.escape(address), ADDRESS), line), \
        "dq nt!KeTickCount L1: %r (KeTickCount is at %s)" % (line, address)


def test_bad_addresses_print_memory_access_error(vm):
    assert "Memory access error" in one_line(vm, "dq 0")
    assert "Memory access error" in one_line(vm, "dq 0000800000000000")     # non-canonical
    assert "Memory access error" in one_line(vm, "db ffffffff`ffff0000 L10")
    run(vm, "? 1+1", "Evaluate expression: 2 =")


def test_db_shows_bytes_and_their_ascii(vm):
    output = run(vm, "db nt!KiSystemStartup L20")
    got = lines(output)
    assert len(got) == 2, "db L20: expected 2 lines, got %s" % short(output)
    for line in got:
        m = re.match(r"(%s)  ((?:[0-9a-f]{2}[ -]){15}[0-9a-f]{2})  (.{16})$" % ADDRESS, line)
        assert m, "db: unexpected line %r" % line
        data = bytes(int(b, 16) for b in re.split("[ -]", m.group(2)))
        ascii = "".join(chr(b) if 0x20 <= b < 0x7f else "." for b in data)
        assert m.group(3) == ascii, "db: ASCII column %r, bytes say %r" % (m.group(3), ascii)


def test_dps_of_the_stack_resolves_return_addresses(vm):
    # The initial break-in happens in phase 1 of boot, a System thread.
    output = run(vm, "dps @rsp L4", "nt!Phase1Initialization+0x")
    assert len(lines(output)) == 4, "dps L4: not 4 lines: %s" % short(output)


def test_dd_and_dw_show_their_element_sizes(vm):
    assert re.match(r"%s  [0-9a-f]{8} [0-9a-f]{8}$" % ADDRESS,
                    one_line(vm, "dd nt!KeTickCount L2"))
    assert re.match(r"%s  [0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4}$" % ADDRESS,
                    one_line(vm, "dw nt!KeTickCount L3"))


def test_r_shows_the_registers_in_kernel_mode(vm):
    output = run(vm, "r", "rip=ffffffff8", "cs=0010", "rsp=", "efl=")
    assert re.search(r"^nt!\w+\+0x[0-9a-f]+:$", output, re.M), \
        "r: no symbol line for rip in %s" % short(output)
    assert re.match(r"rax=[0-9a-f]{16}$", one_line(vm, "r rax")), "r rax: not one register"


def test_k_walks_the_stack_to_the_thread_start(vm):
    output = run(vm, "k", "Child-SP", "RetAddr", "Call Site", "nt!DbgBreakPoint",
                 "nt!Phase1Initialization", "nt!KiThreadStartup")
    assert re.search(r"^%s %s nt!" % (ADDRESS, ADDRESS), output, re.M), \
        "k: no frame lines in %s" % short(output)


def test_vm_shows_physical_memory(vm):
    output = run(vm, "!vm", "Physical Memory:", "Available Pages:")
    m = re.search(r"Physical Memory:\s+(\d+) \(\s*(\d+) Kb\)", output)
    assert m and int(m.group(1)) * 4 == int(m.group(2)), \
        "!vm: pages and Kb disagree: %s" % short(output)
    assert 100000 <= int(m.group(1)) <= 131072, "!vm: %s pages for -m 512M" % m.group(1)


def test_poolused_shows_the_header(vm):
    run(vm, "!poolused", "Pool Used:", "NonPaged", "Paged", re.compile(r"Tag\s+Allocs\s+Used"))


def test_pool_of_a_non_pool_address_says_so(vm):
    one_line(vm, "!pool 0", "not a valid pool address")


def test_version_names_kernel_and_firmware(vm, firmware):
    run(vm, "version", "Sleuth 0.1", "GRUB", "(%s)" % firmware_boot_name(firmware),
        "clock tick 15625 us")


def test_evaluate_expression(vm):
    assert re.search(r"Evaluate expression: 7 = 00000000`00000007", one_line(vm, "? 1+2*3"))
    address = symbol_address(vm, "KeTickCount")
    assert address in one_line(vm, "? nt!KeTickCount")
    assert "rror" in one_line(vm, "? 1+")
