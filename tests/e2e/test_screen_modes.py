"""The screen console in the GOP modes a lab PC may pick (UEFI): GRUB's
"screen mode of your choice" entry is given WIDTHxHEIGHT and hands the kernel
that mode. In each, the console fills the whole screen in 8x16 cells (what
does not make a whole cell stays black), and after a listing longer than the
screen scrolled it, the screen's last rows are the listing's last lines, as
on serial. (800x600, OVMF's default, is test_screen_console.py's.)"""

import re
import time

from e2e import short

FIRMWARE = ("uefi",)
MENU_ENTRY = 17                 # "Sleuth - screen mode of your choice (UEFI)"
MODE_PROMPT = "Screen mode (WIDTHxHEIGHT"


def boot_in_mode(new_vm, width, height):
    vm = new_vm("-%dx%d" % (width, height), menu_entry=MENU_ENTRY, qmp=True)
    vm.start()
    vm.wait_for(MODE_PROMPT, 90)
    vm.read_available(settle=0.2)
    vm.type_keys(list("%dx%d" % (width, height)), delay=0.05)
    vm.send_raw(b"\r")
    return vm


def check_mode(vm, width, height):
    text = vm.boot()
    m = re.search(r"Console: serial COM1 115200, display framebuffer (\d+)x(\d+)x(\d+)\n", text)
    assert m, "no framebuffer console line: %s" % short(text[-500:], 500)
    assert (int(m.group(1)), int(m.group(2))) == (width, height), \
        "asked for %dx%d, got %s" % (width, height, m.group(0).strip())
    assert int(m.group(3)) in (24, 32), "not a 32-bit mode: %s" % m.group(0).strip()
    columns, rows = width // 8, height // 16

    # More lines than the screen has rows: the console scrolls. Each row of
    # dq is short, so none wraps.
    listing = vm.command("dq @rip L%x" % (2 * rows * 2), timeout=60)
    expected = [line.rstrip() for line in listing.split("\n") if line.strip()]
    assert len(expected) > rows, "the listing is too short to scroll: %d lines" % len(expected)
    # The serial line gets each line before the screen does: on a loaded
    # host (or with a processor the host has not run lately) the prompt may
    # be on the serial line while the screen still shows the prompt before
    # the listing, or part of it. Wait for the listing's last line and the
    # prompt after it.
    deadline = time.monotonic() + 20
    while True:
        screen = vm.screen_text()
        shown = [line for line in screen if line.strip()]
        drawn = len(shown) >= 2 and re.match(r"\d+: kd>", shown[-1]) and \
            shown[-2] == expected[-1]
        if drawn or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert len(screen) == rows and max(len(line) for line in screen) <= columns, \
        "screen read as %d rows; %d expected" % (len(screen), rows)
    # The last row holds the prompt; above it, the listing's tail.
    assert re.match(r"\d+: kd>", shown[-1]), "no prompt on the last row: %r" % shown[-3:]
    tail = shown[-1 - (rows - 1):-1]
    assert tail == expected[-len(tail):], \
        "the screen's rows are not the listing's last lines: %r / %r" % (tail[-3:], expected[-3:])

    # Whatever lies right of and below the last whole cell stays black.
    path = vm._qmp_dir + "/edge.ppm"
    vm.qmp("screendump", filename=path)
    with open(path, "rb") as f:
        data = f.read()
    header = data.split(b"\n", 3)
    assert header[1].split() == [str(width).encode(), str(height).encode()], \
        "screendump is %r, not %dx%d" % (header[1], width, height)
    pixels = header[3]
    bottom = pixels[rows * 16 * width * 3:]
    assert bottom.count(0) == len(bottom), "pixels lit below the last row of cells"


def test_1024x768(new_vm):
    check_mode(boot_in_mode(new_vm, 1024, 768), 1024, 768)


def test_1280x1024(new_vm):
    check_mode(boot_in_mode(new_vm, 1280, 1024), 1280, 1024)


def test_1920x1080(new_vm):
    check_mode(boot_in_mode(new_vm, 1920, 1080), 1920, 1080)
