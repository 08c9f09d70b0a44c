"""A USB keyboard and no PS/2 one (docs/booting.md, "USB keyboards"): QEMU's
xHCI controller with a usb-kbd on it and the i8042 switched off. Keys are
typed through QMP (send-key, input-send-event), which reach the only
keyboard there is, the USB one; the answers are read on serial. Hot-plug is
QMP device_del/device_add of the usb-kbd, at the prompt (the system frozen)
and while the system runs."""

import re
import time

from e2e import PROMPT, SleuthVMError, short

FIRMWARE = ("bios", "uefi")
VM_OPTIONS = {
    "qmp": True,
    "extra_args": ["-machine", "pc,i8042=off", "-device", "usb-ehci,id=ehci",
                   "-device", "qemu-xhci,id=xhci",
                   "-device", "usb-kbd,id=kbd0,bus=xhci.0"],
}

KEYBOARD_ON = re.compile(r"kbdhid: USB keyboard on port (\d+) on ([0-9a-f:.]+)\n")


def typed(vm, keys, pattern, timeout=30, delay=0.05):
    """Types on the USB keyboard; returns the serial output once `pattern` shows."""
    vm.read_available()
    vm.press_keys(keys, delay=delay, echo=True)
    return vm.wait_for(pattern, timeout)


def test_boot_takes_the_controller_and_the_keyboard(vm):
    text = vm.output
    m = re.search(r"xhci: ([0-9a-f]{2}:[0-9a-f]{2}\.\d): xHCI 1\.\d\d, (\d+) ports, \d+ slots, "
                  r"(MSI-X|MSI)\n", text)
    assert m, "no xhci controller line: %s" % short(text[-600:], 600)
    assert re.search(r"usb: port \d+ on %s: device 0627:0001, \w+ speed, slot \d+\n"
                     % re.escape(m.group(1)), text), "no usb device line: %s" % short(text)
    assert KEYBOARD_ON.search(text), "no kbdhid line: %s" % short(text)
    # The EHCI controller beside xHCI is taken from the firmware (its
    # USBLEGSUP semaphore, in configuration space at EECP = 68 on QEMU's).
    assert re.search(r"ehci: [0-9a-f]{2}:[0-9a-f]{2}\.\d: taken from the firmware[ ,]"
                     r".*legacy support at 68", text), \
        "no EHCI handoff line: %s" % short(text[:text.find("xhci:")][-400:], 400)
    # i8042=off: the boot says plainly that there is no PS/2 controller.
    assert ("Keyboard: no PS/2 keyboard controller (i8042): type on a USB keyboard "
            "(xhci.sys, kbdhid.sys) or on COM1\n") in text, "no message about the missing i8042: %s" \
        % short(text[:text.find("Boot: prompt reached")][-600:], 600)
    # It was all there before the first prompt: the keyboard works at once.
    assert text.find("kbdhid: USB keyboard") < text.find("Boot: prompt reached")


def test_typing_runs_commands(vm):
    text = typed(vm, "? 1+2*3\n", "Evaluate expression: 7 = 00000000`00000007")
    assert re.search(r"(?m)^\? 1\+2\*3$", text), "no echo: %s" % short(text)
    # Shifted keys: parentheses and the star.
    typed(vm, "? (1+2)*3\n", "Evaluate expression: 9 = 00000000`00000009")


def test_line_editing_keys(vm):
    # Backspace, then the arrows (grey keys, E0-prefixed): "? 2*4" -> "? 12*5".
    typed(vm, "? 2*4<bs>5<left><left><left>1\n", "Evaluate expression: 90 = 00000000`0000005a")
    typed(vm, "<up>\n", re.compile(r"\? 12\*5\nEvaluate expression: 90"))


def test_a_held_key_repeats(vm):
    # "? 123456789" then Backspace held for 1.5 s: only its repeats (after
    # 500 ms, about 30 a second) can take the whole line away; one press
    # would leave "? 12345678" in front of what comes next.
    # The key is held until the line is gone (11 erasures echoed, "\b \b"
    # each) or for 15 s: on a loaded host the guest may run for only part
    # of any fixed 1.5 s.
    vm.read_available()
    vm.press_keys("? 123456789", delay=0.05, echo=True)
    time.sleep(0.5)
    down = {"type": "key", "data": {"down": True, "key": {"type": "qcode", "data": "backspace"}}}
    up = {"type": "key", "data": {"down": False, "key": {"type": "qcode", "data": "backspace"}}}
    start = len(vm.output)
    vm.qmp("input-send-event", events=[down])
    deadline = time.monotonic() + 15
    while vm.output[start:].count("\b \b") < 11 and time.monotonic() < deadline:
        time.sleep(0.1)
    vm.qmp("input-send-event", events=[up])
    time.sleep(0.3)
    text = typed(vm, "? 7\n", PROMPT)
    assert "Evaluate expression: 7 = 00000000`00000007" in text, \
        "the held Backspace did not repeat: %s" % short(text[-300:], 300)


def test_ctrl_c_stops_a_listing(vm):
    typed(vm, "r rip\n", re.compile(r"rip=[0-9a-f]{16}\n"))
    # 0x10000 qwords: seconds of output; Ctrl-C right after Enter cuts it.
    text = typed(vm, "dq @rip L10000\n<ctrl-c>", re.compile(r"\^C\n\d+: kd> "), timeout=60,
                 delay=0.1)
    rows = re.findall(r"(?m)^[0-9a-f]{8}`[0-9a-f]{8}  ", text)
    assert rows and len(rows) < 0x10000 // 2, "%d rows: not cut short" % len(rows)
    typed(vm, "? 1+1\n", "Evaluate expression: 2 = 00000000`00000002")


def test_unplugged_and_plugged_again_at_the_prompt(vm):
    vm.read_available()
    vm.qmp("device_del", id="kbd0")
    text = vm.wait_for(re.compile(r"kbdhid: USB keyboard on port \d+ on \S+ removed\n"), 30)
    assert re.search(r"usb: port \d+ on \S+: device removed", text), short(text)
    vm.qmp("device_add", driver="usb-kbd", id="kbd1", bus="xhci.0")
    vm.wait_for(KEYBOARD_ON, 30)
    typed(vm, "? 5+5\n", "Evaluate expression: 10 = 00000000`0000000a")


def test_plugged_while_running_then_ctrl_c_breaks_in(vm):
    # While the system runs, the controller's interrupt and the hub thread
    # take the change; Ctrl-C on the new keyboard breaks in as PS/2's does.
    vm.read_available()
    vm.type_line("g")
    vm.wait_for("g\n", 10)
    vm.qmp("device_del", id="kbd1")
    vm.wait_for(re.compile(r"kbdhid: USB keyboard on port \d+ on \S+ removed\n"), 30)
    vm.qmp("device_add", driver="usb-kbd", id="kbd2", bus="xhci.0")
    vm.wait_for(KEYBOARD_ON, 30)
    try:
        early = vm.wait_for(PROMPT, 1)
        raise AssertionError("the prompt came back by itself: %s" % short(early))
    except SleuthVMError:
        pass
    vm.press_keys("<ctrl-c>")
    text = vm.wait_for(PROMPT, 30)
    assert "Break instruction exception - code 80000003 (first chance)" in text, short(text)
    typed(vm, "? 3+3\n", "Evaluate expression: 6 = 00000000`00000006")
