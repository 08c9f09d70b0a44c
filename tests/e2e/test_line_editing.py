"""Line editing in the shell, typed as a person types on a serial terminal:
backspace, cursor keys and insertion, history, Ctrl-C."""

from e2e import BACKSPACE, CTRL_C, KEY_DOWN, KEY_LEFT, KEY_RIGHT, KEY_UP, PROMPT, lines, \
    render_line, short

FIRMWARE = ("bios", "uefi")


def enter(vm, keys):
    """Types keys, then Enter; returns (the line as the terminal shows it, the
    command's output)."""
    vm.read_available()
    vm.type_keys(keys)
    vm.send_raw(b"\r")
    text = vm.wait_for(PROMPT, 20)
    text = text[:len(text) - len(vm.last_match.group(0))]
    echo, _, output = text.partition("\n")
    return render_line(echo), output.rstrip("\n")


def test_backspace_fixes_a_typo(vm):
    shown, output = enter(vm, ["? 1+2*4", BACKSPACE, "3"])
    assert shown == "? 1+2*3", "the terminal shows %r" % shown
    assert "Evaluate expression: 7 =" in output, "it ran: %s" % short(output)


def test_left_arrow_then_typing_inserts(vm):
    # "vrsion": back to after the v, insert the missing e.
    shown, output = enter(vm, ["vrsion"] + [KEY_LEFT] * 5 + ["e"])
    assert shown == "version", "the terminal shows %r" % shown
    assert "Sleuth 0.1" in output, "version printed %s" % short(output)


def test_delete_in_the_middle_and_move_right(vm):
    # "? 1+22*3": left to the second 2, backspace one 2, right to the end, +1.
    shown, output = enter(vm, ["? 1+22*3"] + [KEY_LEFT] * 2 + [BACKSPACE] + [KEY_RIGHT] * 2
                          + ["+1"])
    assert shown == "? 1+2*3+1", "the terminal shows %r" % shown
    assert "Evaluate expression: 8 =" in output, "it ran: %s" % short(output)


def test_up_arrow_recalls_the_previous_command(vm):
    enter(vm, ["? 5"])
    shown, output = enter(vm, [KEY_UP])
    assert shown == "? 5", "up arrow showed %r" % shown
    assert "Evaluate expression: 5 =" in output, "up arrow ran: %s" % short(output)


def test_up_up_down_walks_the_history(vm):
    enter(vm, ["? 6"])
    enter(vm, ["? 9"])
    shown, output = enter(vm, [KEY_UP, KEY_UP])
    assert shown == "? 6", "up, up showed %r" % shown
    assert "Evaluate expression: 6 =" in output, "up, up ran: %s" % short(output)
    # Now the newest is "? 6" again (it was run), then "? 9" before it.
    shown, output = enter(vm, [KEY_UP, KEY_UP, KEY_DOWN])
    assert shown == "? 6", "up, up, down showed %r" % shown


def test_ctrl_c_cancels_a_half_typed_line(vm):
    vm.read_available()
    vm.type_keys(["dq 0 L"])
    vm.send_raw(CTRL_C)
    text = vm.wait_for(PROMPT, 20)
    assert "^C" in text, "no ^C echoed: %s" % short(text)
    assert "Memory access error" not in text, "the cancelled line ran: %s" % short(text)
    # The next line starts empty.
    shown, output = enter(vm, ["? 3"])
    assert shown == "? 3", "after Ctrl-C the terminal shows %r" % shown
    assert lines(output) == ["Evaluate expression: 3 = 00000000`00000003"], \
        "after Ctrl-C, '? 3' printed %s" % short(output)


def test_empty_line_just_prompts_again(vm):
    shown, output = enter(vm, [""])
    assert shown == "" and output.strip() == "", "Enter alone printed %s" % short(output)
