#!/usr/bin/env python3
"""Boot Sleuth in QEMU on this terminal: `make run`, `run-vga`, `run-uefi`, `gdb`.

The serial console is this terminal (-serial mon:stdio): Ctrl-C goes to the
guest as 0x03, the debugger's break-in key; Ctrl-A X quits QEMU and Ctrl-A C
switches to the QEMU monitor and back. The accelerator is chosen as by the
test library (tools/sleuthvm.py): SLEUTH_ACCEL=tcg|kvm, else a cached probe.
"""

import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sleuthvm  # noqa: E402


def window_display():
    """-display gtk or sdl, whichever this QEMU has; None for QEMU's default."""
    try:
        listing = subprocess.run([sleuthvm.QEMU, "-display", "help"], capture_output=True,
                                 text=True, timeout=10).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        return None
    for name in ("gtk", "sdl"):
        if name in listing:
            return name
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iso", default="build/sleuth.iso")
    parser.add_argument("--serial-stdio", action="store_true",
                        help="serial console on this terminal, no window")
    parser.add_argument("--vga", action="store_true",
                        help="a window (screen and keyboard) and the serial console here")
    parser.add_argument("--uefi", action="store_true", help="boot through OVMF")
    parser.add_argument("--disk", action="store_true",
                        help="the ISO as a raw disk (as on a USB stick) instead of a CD")
    parser.add_argument("--gdb", action="store_true",
                        help="wait for GDB on localhost:1234 (-s -S)")
    parser.add_argument("--dry-run", action="store_true", help="print the command only")
    parser.add_argument("qemu_args", nargs="*", help="more QEMU arguments (after --)")
    args = parser.parse_args()

    if not os.path.exists(args.iso):
        sys.exit("qemu.py: no %s; build it with `make all`" % args.iso)
    if shutil.which(sleuthvm.QEMU) is None:
        sys.exit("qemu.py: %s not found; `make deps` installs it" % sleuthvm.QEMU)
    if args.uefi and not os.path.exists(sleuthvm.OVMF_CODE):
        sys.exit("qemu.py: no UEFI firmware at %s; `make deps` installs it" % sleuthvm.OVMF_CODE)

    accel, why = sleuthvm.choose_accel(args.iso, verbose=True)
    display = ("-display", "none")
    window = ""
    if args.vga:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            sys.exit("qemu.py: --vga opens a window, and there is no graphical session here "
                     "(DISPLAY and WAYLAND_DISPLAY unset); `make run` uses this terminal")
        name = window_display()
        display = ("-display", name) if name else ()
        window = ", %s window" % (name or "default")
    extra = list(args.qemu_args)
    if args.gdb:
        extra += ["-s", "-S"]
    cmd = sleuthvm.qemu_command(args.iso, accel, uefi=args.uefi, disk=args.disk,
                                serial=("-serial", "mon:stdio"), display=display,
                                no_reboot=False, extra_args=extra)
    # -monitor none would take the monitor away from mon:stdio.
    at = cmd.index("-monitor")
    del cmd[at:at + 2]

    print("QEMU %s (%s), %s%s. Serial console here: Ctrl-C breaks in, Ctrl-A X quits, "
          "Ctrl-A C is QEMU's monitor.%s"
          % (accel, why, "UEFI" if args.uefi else "BIOS", window,
             " Waiting for GDB on localhost:1234." if args.gdb else ""), flush=True)
    if args.dry_run:
        print(" ".join(cmd))
        return
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main()
