"""USB keyboards behind hubs (docs/drivers.md, "usbhub.sys"): QEMU's xHCI
controller with a usb-hub on it, a usb-kbd on the hub's port 1 and a second
hub on its port 2, and no PS/2 controller. The keyboard is typed on through
QMP; hot-plug is QMP device_del/device_add behind the hubs, at the prompt
(the system frozen) and while the system runs."""

import re
import time

from e2e import PROMPT, SleuthVMError, short

FIRMWARE = ("bios", "uefi")
VM_OPTIONS = {
    "qmp": True,
    "extra_args": ["-machine", "pc,i8042=off", "-device", "qemu-xhci,id=xhci",
                   "-device", "usb-hub,id=hub1,bus=xhci.0,port=1",
                   "-device", "usb-kbd,id=kbd0,bus=xhci.0,port=1.1",
                   "-device", "usb-hub,id=hub2,bus=xhci.0,port=1.2"],
}
# Again with four processors (e2e/bios-smp4): the keyboard is polled at the
# prompt while three processors are frozen (when they spun, TCG gave the
# poll too little time and keys were lost or repeated without end).
SMP = 4


HUB_LINE = re.compile(r"usb: port (\d+) on [0-9a-f:.]+: device 0409:55aa, full speed, "
                      r"slot \d+, a hub\n")


def root(vm):
    """The xHCI root port of QEMU's bus port 1 (after the USB 3 ports)."""
    m = HUB_LINE.search(vm.output)
    assert m, "no hub line: %s" % short(vm.output)
    return m.group(1)


def keyboard_on(vm, path, removed=False):
    return re.compile(r"kbdhid: USB keyboard on port %s\.%s on [0-9a-f:.]+%s\n"
                      % (root(vm), re.escape(path), " removed" if removed else ""))


def typed(vm, keys, pattern, timeout=30):
    """Types a command; returns the output up to `pattern`. The prompt after
    it is read too: the next command's wait for the prompt must not find
    this one's, which may still be on its way (a slow guest)."""
    vm.read_available()
    vm.press_keys(keys, delay=0.05, echo=True)
    text = vm.wait_for(pattern, timeout)
    if pattern != PROMPT:
        vm.wait_for(PROMPT, timeout)
    return text


def hub_device_objects(vm):
    text = typed(vm, "!drvobj \\Driver\\UsbHub\n", PROMPT)
    m = re.search(r"Device Object list:\n((?:[0-9a-f]{16}  )+)\n", text)
    assert m, short(text)
    return len(m.group(1).split())


def test_boot_finds_the_hubs_and_the_keyboard_behind_them(vm):
    text = vm.output
    # The hub on a root port, the keyboard and the second hub on its ports.
    port = root(vm)
    assert re.search(r"usbhub: hub on port %s on \S+: 8 ports\n" % port, text), short(text)
    assert re.search(r"usb: port %s\.1 on \S+: device 0627:0001, full speed, slot \d+\n"
                     % port, text), "no keyboard behind the hub: %s" % short(text)
    assert re.search(r"usbhub: hub on port %s\.2 on \S+: 8 ports\n" % port, text), \
        "no hub behind the hub: %s" % short(text)
    assert keyboard_on(vm, "1").search(text), short(text)
    assert text.find("kbdhid: USB keyboard") < text.find("Boot: prompt reached")


def test_typing_through_the_hub(vm):
    typed(vm, "? 1+2*3\n", "Evaluate expression: 7 = 00000000`00000007")


def test_the_hub_driver_is_a_driver_with_device_objects(vm):
    # Two hubs, two device objects (\\Device\\UsbHub0 and 1).
    text = typed(vm, "!drvobj \\Driver\\UsbHub\n", PROMPT)
    m = re.search(r"Device Object list:\n((?:[0-9a-f]{16}  )+)\n", text)
    assert m and len(m.group(1).split()) == 2, short(text)
    for n in (0, 1):
        text = typed(vm, "!devobj \\Device\\UsbHub%d\n" % n, PROMPT)
        assert re.search(r" UsbHub%d \\Driver\\UsbHub DriverObject" % n, text), short(text)


def test_a_keyboard_behind_the_second_hub_plugged_at_the_prompt(vm):
    vm.read_available()
    vm.qmp("device_add", driver="usb-kbd", id="kbd1", bus="xhci.0", port="1.2.3")
    vm.wait_for(keyboard_on(vm, "2.3"), 30)
    typed(vm, "? 5+5\n", "Evaluate expression: 10 = 00000000`0000000a")


def test_unplugged_behind_the_hub_at_the_prompt(vm):
    vm.read_available()
    vm.qmp("device_del", id="kbd0")
    text = vm.wait_for(keyboard_on(vm, "1", removed=True), 30)
    assert re.search(r"usb: port %s\.1 on \S+: device removed" % root(vm), text), short(text)
    typed(vm, "? 4+4\n", "Evaluate expression: 8 = 00000000`00000008")


def test_plugged_behind_the_hub_while_running(vm):
    vm.read_available()
    vm.type_line("g")
    vm.wait_for("g\n", 10)
    vm.qmp("device_add", driver="usb-kbd", id="kbd2", bus="xhci.0", port="1.4")
    vm.wait_for(keyboard_on(vm, "4"), 30)
    try:
        early = vm.wait_for(PROMPT, 1)
        raise AssertionError("the prompt came back by itself: %s" % short(early))
    except SleuthVMError:
        pass
    vm.press_keys("<ctrl-c>")
    text = vm.wait_for(PROMPT, 30)
    assert "Break instruction exception - code 80000003 (first chance)" in text, short(text)
    typed(vm, "? 3+3\n", "Evaluate expression: 6 = 00000000`00000006")


def test_a_hub_and_a_keyboard_plugged_at_the_prompt(vm):
    # Enumerated from the debugger's poll, the system frozen; the new hub's
    # device object waits for a thread (no pool at the prompt): after g.
    vm.read_available()
    vm.qmp("device_add", driver="usb-hub", id="hub3", bus="xhci.0", port="2")
    m = vm.wait_for(re.compile(r"usbhub: hub on port (\d+) on \S+: 8 ports\n"), 30)
    port = re.search(r"usbhub: hub on port (\d+) on", m).group(1)
    vm.qmp("device_add", driver="usb-kbd", id="kbd3", bus="xhci.0", port="2.1")
    vm.wait_for(re.compile(r"kbdhid: USB keyboard on port %s\.1 on " % port), 30)
    typed(vm, "? 6+6\n", "Evaluate expression: 12 = 00000000`0000000c")
    assert hub_device_objects(vm) == 2
    # The hub thread makes it once it runs after `g`; a Ctrl-C sent as soon
    # as `g` is echoed may break in first (a slow guest, or the hub thread
    # on a processor the host has not yet run): then a second of running.
    for pause in (0, 1, 2):
        vm.type_line("g")
        vm.wait_for("g\n", 10)
        time.sleep(pause)
        vm.send_raw(b"\x03")
        vm.wait_for(PROMPT, 60)
        objects = hub_device_objects(vm)
        if objects != 2:
            break
    assert objects == 3, "%d hub device objects after g" % objects


def test_a_hub_unplugged_takes_its_devices_with_it(vm):
    vm.read_available()
    vm.qmp("device_del", id="hub2")
    port = root(vm)
    text = vm.wait_for(re.compile(r"usbhub: hub on port %s\.2 on \S+ removed\n" % port), 30)
    # Its keyboard went first.
    gone = text.find("kbdhid: USB keyboard on port %s.2.3" % port)
    assert 0 <= gone < text.find("usbhub: hub on port %s.2 on" % port), short(text)
    typed(vm, "? 2+2\n", "Evaluate expression: 4 = 00000000`00000004")
