#!/usr/bin/env python3
"""The boot matrix (issue 17): boot the ISO and the raw USB image under every
machine a lab may have, to the prompt, and run `!vm` and `!process 0 0`.

Axes: machine (-M pc, q35), memory (64M, 128M, 512M, 4G, 16G), processors
(-smp 1, 2, 4, 8), firmware (SeaBIOS, OVMF) and medium (the ISO as a CD, the
raw image as a USB stick on EHCI, on xHCI). 2 x 5 x 4 x 2 x 3 = 240 cells.

Each cell passes when the kernel reaches the prompt and both commands answer
(`!vm` its summary, `!process 0 0` the System process and init.exe), or, below
the memory Sleuth needs, when the boot ends in the one clear message the
kernel (or the matrix's table of expected messages) names for that size.

    python3 tools/bootmatrix.py --build build               # the whole matrix
    python3 tools/bootmatrix.py --build build -k q35-64M     # cells by pattern
    python3 tools/bootmatrix.py --build build --quick        # `make test`'s subset
    python3 tools/bootmatrix.py --list                       # names only

Cells run in parallel (-j, default 2: QEMU under TCG is CPU heavy); each has a
transcript in <build>/test-logs/matrix-<cell>.log. The result table (Markdown,
for docs/booting.md) goes to <build>/matrix.md with the wall time. Each
result is also appended, as it comes, to <build>/matrix-results.txt, so an
interrupted run loses nothing: --resume skips the cells that passed there.
"""

import argparse
import concurrent.futures
import itertools
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sleuthvm import (PROMPT, SleuthVM, SleuthVMError, choose_accel,  # noqa: E402
                      qemu_command)

MACHINES = ("pc", "q35")
MEMORY = ("64M", "128M", "512M", "4G", "16G")
PROCESSORS = (1, 2, 4, 8)
FIRMWARE = ("bios", "uefi")
MEDIA = ("iso", "ehci", "xhci")

# `make test`'s share: few boots, each a different corner (both machines,
# both firmwares, every medium, the smallest and a large memory, several
# processors). Not the 64 MiB OVMF cells: there GRUB itself sometimes fails
# to read the kernel from the CD (its menu entry then says so; `make matrix`
# has them, docs/booting.md says what they show).
QUICK = (
    ("pc", "128M", 1, "bios", "ehci"),
    ("q35", "4G", 4, "bios", "xhci"),
    ("q35", "128M", 2, "uefi", "iso"),
    ("pc", "512M", 8, "uefi", "xhci"),
)

# The kernel's line when GRUB could not load the boot archive (too little
# memory for GRUB under OVMF): the cell's expected end below the minimum.
# The sizes where that message is an accepted end (anywhere else a missing
# archive fails the cell).
BELOW_MINIMUM = ("64M",)
ARCHIVE_MISSING = re.compile(r"Boot: the boot archive .*is missing")
# GRUB's entry, when GRUB itself could not load the kernel (OVMF, 64 MiB,
# the CD): the kernel never runs, so this line is the clear message.
KERNEL_NOT_LOADED = re.compile(r"Sleuth: GRUB could not load the kernel \(/boot/sleuth\.elf\)\.")


def cell_name(cell):
    machine, memory, smp, firmware, medium = cell
    return "%s-%s-smp%d-%s-%s" % (machine, memory, smp, firmware, medium)


def all_cells():
    return list(itertools.product(MACHINES, MEMORY, PROCESSORS, FIRMWARE, MEDIA))


class MatrixVM(SleuthVM):
    """A SleuthVM whose machine, processors and boot medium the cell picks."""

    def __init__(self, iso, cell, **options):
        self.cell = cell
        # No menu selection: GRUB boots its default entry (0) after 3 s, and
        # the wait for the prompt has the cell's whole timeout. (Selecting
        # waits only 90 s for GRUB's menu, and OVMF reading GRUB from a
        # USB stick on EHCI took longer than that on a loaded machine.)
        super().__init__(iso, uefi=cell[3] == "uefi", memory=cell[1], menu_entry=None,
                         **options)

    def command_line(self):
        machine, memory, smp, firmware, medium = self.cell
        if self.accel is None:
            self.accel, _ = choose_accel(self.iso, log_dir=self.log_dir)
        extra = ["-M", machine, "-smp", str(smp)]
        cmd = qemu_command(self.iso, self.accel, uefi=self.uefi, disk=False,
                           memory=memory, extra_args=extra)
        if medium == "iso":
            return cmd
        # A USB stick: the same bytes `dd` writes, behind an EHCI or xHCI
        # controller, the firmware's first boot device. snapshot=on keeps the
        # file untouched and lets parallel cells share it.
        at = cmd.index("-cdrom")
        del cmd[at:at + 2]
        if "-boot" in cmd:
            at = cmd.index("-boot")
            del cmd[at:at + 2]
        controller = "usb-ehci" if medium == "ehci" else "qemu-xhci"
        cmd += ["-device", "%s,id=usbhc" % controller,
                "-drive", "if=none,id=stick,format=raw,file=%s,snapshot=on" % self.iso,
                "-device", "usb-storage,bus=usbhc.0,drive=stick,bootindex=0"]
        return cmd


def check_prompt(vm):
    """Both commands at the prompt; returns a short note or raises."""
    vm_out = vm.command("!vm", timeout=60)
    if "Physical Memory:" not in vm_out and "Available Pages:" not in vm_out:
        raise AssertionError("!vm: no memory summary: %r" % vm_out[:200])
    proc_out = vm.command("!process 0 0", timeout=60)
    if "Image: System" not in proc_out:
        raise AssertionError("!process 0 0: no System process: %r" % proc_out[:200])
    if "Image: init.exe" not in proc_out:
        raise AssertionError("!process 0 0: no init.exe: %r" % proc_out[:200])
    return "prompt, !vm and !process 0 0"


def run_cell(iso, cell, log_dir=None, timeout=300):
    """Boots one cell; returns (ok, result text, seconds)."""
    name = "matrix-" + cell_name(cell)
    vm = MatrixVM(iso, cell, name=name, log_dir=log_dir)
    started = time.monotonic()
    try:
        vm.start()
        text = vm.wait_for(re.compile(PROMPT.pattern + "|" + KERNEL_NOT_LOADED.pattern), timeout)
        not_loaded = KERNEL_NOT_LOADED.search(text)
        if not_loaded:
            if cell[1] not in BELOW_MINIMUM:
                raise AssertionError("GRUB could not load the kernel with %s" % cell[1])
            return True, "GRUB's message: " + not_loaded.group(0), time.monotonic() - started
        missing = ARCHIVE_MISSING.search(text)
        if missing and cell[1] not in BELOW_MINIMUM:
            raise AssertionError("the boot archive is missing with %s: %s"
                                 % (cell[1], text[missing.start():].split("\n", 1)[0]))
        if missing:
            # The clear message below the memory Sleuth needs; the shell still
            # works, so both commands run anyway (without init.exe).
            line = text[missing.start():].split("\n", 1)[0]
            out = vm.command("!vm", timeout=60)
            if "Physical Memory:" not in out and "Available Pages:" not in out:
                raise AssertionError("!vm after a missing archive: %r" % out[:200])
            vm.command("!process 0 0", timeout=60)
            return True, "message: " + line.strip(), time.monotonic() - started
        return True, check_prompt(vm), time.monotonic() - started
    except (SleuthVMError, AssertionError) as e:
        return False, "FAIL: %s" % str(e).split("\n")[0][:300], time.monotonic() - started
    finally:
        vm.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build")
    parser.add_argument("-k", action="append", default=[],
                        help="run the cells whose name holds this text (repeatable)")
    parser.add_argument("--quick", action="store_true", help="the small subset of make test")
    parser.add_argument("-j", type=int, default=2, help="cells at once (default 2)")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--timeout", type=int, default=300)
    parser.add_argument("--resume", action="store_true",
                        help="skip the cells <build>/matrix-results.txt says passed")
    args = parser.parse_args()

    cells = list(QUICK) if args.quick else all_cells()
    if args.k:
        cells = [c for c in cells if any(k in cell_name(c) for k in args.k)]
    if args.list:
        print("\n".join(cell_name(c) for c in cells))
        return 0
    iso = os.path.join(args.build, "sleuth.iso")
    if not os.path.exists(iso):
        sys.exit("bootmatrix.py: no %s (make all)" % iso)
    log_dir = os.path.join(args.build, "test-logs")
    progress = os.path.join(args.build, "matrix-results.txt")
    if args.resume and os.path.exists(progress):
        with open(progress) as f:
            passed = {line.split()[1] for line in f if line.startswith("ok ")}
        cells = [c for c in cells if cell_name(c) not in passed]
    started = time.monotonic()
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.j)) as pool:
        futures = {pool.submit(run_cell, iso, c, log_dir, args.timeout): c for c in cells}
        for future in concurrent.futures.as_completed(futures):
            cell = futures[future]
            ok, text, seconds = future.result()
            results[cell] = (ok, text, seconds)
            line = "%-4s %-32s %5.1f s  %s" % ("ok" if ok else "FAIL", cell_name(cell),
                                               seconds, text)
            print(line, flush=True)
            with open(progress, "a") as f:
                f.write(line + "\n")
    wall = time.monotonic() - started
    failed = [c for c in cells if not results[c][0]]
    table = ["| machine | memory | -smp | firmware | medium | result | seconds |",
             "|---|---|---|---|---|---|---|"]
    for cell in cells:
        ok, text, seconds = results[cell]
        table.append("| %s | %s | %d | %s | %s | %s | %.0f |"
                     % (cell + (text.replace("|", "/"), seconds)))
    summary = "%d cells, %d failed, wall time %.0f s (-j %d)" % (len(cells), len(failed),
                                                               wall, args.j)
    with open(os.path.join(args.build, "matrix.md"), "w") as f:
        f.write("\n".join(table) + "\n\n" + summary + "\n")
    print(summary)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
