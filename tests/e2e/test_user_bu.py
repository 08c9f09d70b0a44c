"""A deferred breakpoint on a user program and a pass count, as a student
types them: `bu tbp!TbpWork 2` before tbp.exe runs (unresolved, `eu` in
bl), `.start tbp` and `g` stop on its second call (rdi 1), bl shows the
address it resolved to and the count left; then `uf /c` lists main's calls,
`??` compares registers, and `dt` reads a system program's own type."""

from e2e import CTRL_C, PROMPT, run, short

FIRMWARE = ("bios",)


def test_bu_on_a_user_program_waits_for_it(vm):
    assert run(vm, "bu tbp!TbpWork 2") == ""
    run(vm, "bl", " 0 eu Disable Clear%s0002 (0002) (tbp!TbpWork)" % (" " * 24))
    run(vm, ".start tbp", "Starting tbp after the target resumes (g)")
    run(vm, "g", "Breakpoint 0 hit\ntbp!TbpWork:\n00000000`004", timeout=90)


def test_the_second_pass_stopped_and_bl_shows_the_count_left(vm):
    run(vm, "? @rdi", "Evaluate expression: 1 = 00000000`00000001")
    text = run(vm, "bl", " 0 e Disable Clear  00000000`004")
    assert text.endswith("     0001 (0002) tbp!TbpWork"), short(text)


def test_uf_c_lists_the_calls_of_main(vm):
    text = run(vm, "uf /c tbp!main", "tbp!main (00000000`004")
    assert text.count("call to tbp!TbpWork (00000000`004") == 3, short(text, 900)
    assert "call to tbp!TbpLeafCaller (" in text and "    call to " in text, short(text, 900)


def test_cpp_comparisons_and_logic(vm):
    run(vm, "?? @rdi == 1 && @rsp != 0", "bool true")
    run(vm, "?? !(@rdi > 1) || 1 / 0", "bool true")
    run(vm, "?? @rdi >= 2", "bool false")


def test_dt_of_a_system_programs_own_type(vm):
    text = run(vm, "dt lpcdemo!_DEMO_MESSAGE", "   +0x000 h                : _PORT_MESSAGE")
    assert "   +0x028 Request          : Uint4B" in text, short(text, 600)
    run(vm, "bc *")
    vm.type_line("g")
    vm.wait_for("g\n", 10)
    vm.send_raw(CTRL_C)
    vm.wait_for(PROMPT, 20)
