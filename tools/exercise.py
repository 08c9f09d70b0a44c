#!/usr/bin/env python3
"""make exercise N=NNN: boot an exercise in QEMU on this terminal.

QEMU runs TCG with -icount shift=0,sleep=off (an idle guest's hours of
aging pass in seconds); this script picks the exercise's GRUB entry, then
connects this terminal to the serial console: type your student id at
GRUB's prompt, wait for "Exercise NNN is ready", investigate at kd>.
Ctrl-C is the break-in key (it goes to the guest); Ctrl-] quits.
"""

import argparse
import os
import select
import subprocess
import sys
import termios
import threading
import tty

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import exreplay  # noqa: E402
import sleuthvm  # noqa: E402

QUIT = b"\x1d"      # Ctrl-]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iso", default="build/sleuth.iso")
    parser.add_argument("number", help="the exercise: 000, 001, 002 or 003")
    args = parser.parse_args()
    number = int(args.number)
    if number not in exreplay.EXERCISE_ENTRIES:
        sys.exit("no exercise %s: %s" % (args.number, ", ".join(
            "%03d" % n for n in sorted(exreplay.EXERCISE_ENTRIES))))
    cmd = sleuthvm.qemu_command(args.iso, "tcg", extra_args=exreplay.ICOUNT_ARGS)
    print("Exercise %03d: %s\n(Ctrl-C breaks in, Ctrl-] quits)" % (number, " ".join(cmd)),
          flush=True)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    seen = bytearray()
    chosen = threading.Event()

    def pump():
        while True:
            data = proc.stdout.read1(4096) if hasattr(proc.stdout, "read1") else \
                os.read(proc.stdout.fileno(), 4096)
            if not data:
                break
            os.write(sys.stdout.fileno(), data)
            if not chosen.is_set():
                seen.extend(data)
                if sleuthvm.GRUB_MENU.encode() in seen:
                    chosen.set()
                    proc.stdin.write(sleuthvm.GRUB_MENU_DOWN *
                                     exreplay.EXERCISE_ENTRIES[number] + b"\r")
                    proc.stdin.flush()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    interactive = sys.stdin.isatty()
    saved = termios.tcgetattr(sys.stdin) if interactive else None
    try:
        if interactive:
            tty.setraw(sys.stdin.fileno())
        while proc.poll() is None:
            ready, _, _ = select.select([sys.stdin], [], [], 0.2)
            if not ready:
                continue
            data = os.read(sys.stdin.fileno(), 1024)
            if not data or QUIT in data:
                break
            if chosen.is_set():     # GRUB's menu gets only the choice
                proc.stdin.write(data.replace(b"\n", b"\r"))
                proc.stdin.flush()
    finally:
        if saved:
            termios.tcsetattr(sys.stdin, termios.TCSADRAIN, saved)
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
