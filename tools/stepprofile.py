#!/usr/bin/env python3
"""One round of a benchmark, single-stepped and named by function.

Boots the `bench` ISO (tools/bench.py's copy, BIOS) under TCG with -icount
shift=0 and QEMU's gdb stub, puts a hardware breakpoint on FUNCTION, lets
it be hit SKIP times (the benchmark's warm-up: the caches, the free lists),
then steps one instruction at a time, whichever thread runs them, until
FUNCTION is entered again: one round. Prints the instructions of that
round by function, in the order they first ran, and their sum. The
round includes the benchmark loop's own instructions, so it reads a
little more than `make bench`'s figure (docs/performance.md says by how
much for each LPC row).

    tools/stepprofile.py LpcRequestWaitReplyPort          # kernel request/reply
    tools/stepprofile.py LpcRequestPort                   # kernel datagram
    tools/stepprofile.py NtRequestWaitReplyPort           # process request/reply
    tools/stepprofile.py NtRequestPort --listing out.txt  # ... every instruction

QEMU's stub steps with interrupts and timers masked, so the round is the
benchmark's path alone. Needs gdb; a round of about a thousand
instructions takes a few seconds to step.
"""

import argparse
import bisect
import collections
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import bench  # noqa: E402

# Below this, user mode (the programs' own code and their ntdll).
KERNEL_HALF = 0xffff800000000000

GDB_SCRIPT = r"""
import gdb, os
gdb.execute("set pagination off")
gdb.execute("target remote :%s" % os.environ["STEP_PORT"])
gdb.execute("hbreak *%s" % os.environ["STEP_ADDRESS"])
gdb.execute("ignore 1 %s" % os.environ["STEP_SKIP"])
gdb.execute("continue")
start = int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff
gdb.execute("delete")
pcs = [start]
for _ in range(int(os.environ["STEP_MAX"])):
    gdb.execute("stepi", to_string=True)
    pc = int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff
    if pc == start:
        break
    pcs.append(pc)
with open(os.environ["STEP_OUT"], "w") as f:
    f.write("\n".join("%x" % pc for pc in pcs) + "\n")
gdb.execute("kill")
"""


def text_symbols(elf):
    """[(address, name)] of the image's functions, sorted."""
    out = subprocess.run(["nm", "-n", elf], capture_output=True, text=True, check=True).stdout
    symbols = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            symbols.append((int(parts[0], 16), parts[2]))
    return symbols


def disassembly(elf):
    """{address: (function, instruction)} from objdump."""
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", elf], capture_output=True,
                         text=True, check=True).stdout
    listing, function = {}, None
    for line in out.splitlines():
        m = re.match(r"^([0-9a-f]+) <(.*)>:", line)
        if m:
            function = m.group(2)
            continue
        m = re.match(r"^\s*([0-9a-f]+):\s+(.*)$", line)
        if m:
            listing[int(m.group(1), 16)] = (function, m.group(2))
    return listing


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("function", help="where a round starts (a kernel symbol)")
    parser.add_argument("--iso", default=os.path.join(ROOT, "build", "sleuth.iso"))
    parser.add_argument("--skip", type=int, default=3000, help="hits to let pass first")
    parser.add_argument("--max", type=int, default=20000, help="instructions at most")
    parser.add_argument("--port", default="12345", help="the gdb stub's TCP port")
    parser.add_argument("--listing", help="write every instruction of the round here")
    args = parser.parse_args()

    elf = os.path.join(os.path.dirname(os.path.abspath(args.iso)), "sleuth.elf")
    symbols = text_symbols(elf)
    addresses = [address for address, _ in symbols]
    matches = [address for address, name in symbols if name == args.function]
    if not matches:
        sys.exit("stepprofile: no function %s in %s" % (args.function, elf))
    workdir = os.path.join(os.path.dirname(os.path.abspath(args.iso)), "bench")
    os.makedirs(workdir, exist_ok=True)
    image = bench.bench_iso(args.iso, workdir, "bench", "kernel")

    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "step.py")
        pcs_file = os.path.join(tmp, "pcs")
        with open(script, "w") as f:
            f.write(GDB_SCRIPT)
        qemu = ["qemu-system-x86_64", "-accel", "tcg", "-m", "512M", "-monitor", "none",
                "-cdrom", image, "-boot", "order=d", "-serial", "null", "-display", "none",
                "-no-reboot", "-icount", "shift=0", "-gdb", "tcp::%s" % args.port, "-S"]
        vm = subprocess.Popen(qemu)
        try:
            time.sleep(1)
            env = dict(os.environ, STEP_PORT=args.port, STEP_ADDRESS="0x%x" % matches[0],
                       STEP_SKIP=str(args.skip), STEP_MAX=str(args.max), STEP_OUT=pcs_file)
            subprocess.run(["gdb", "-batch", "-nx", "-x", script, elf], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        finally:
            vm.kill()
            vm.wait()
        if not os.path.exists(pcs_file):
            sys.exit("stepprofile: the round was not stepped (is %s ever reached?)"
                     % args.function)
        with open(pcs_file) as f:
            pcs = [int(x, 16) for x in f.read().split()]

    counts = collections.Counter()
    order = []
    for pc in pcs:
        i = bisect.bisect_right(addresses, pc) - 1
        if pc < KERNEL_HALF:
            name = "(user mode)"
        else:
            name = symbols[i][1] if i >= 0 else "?"
        if name not in counts:
            order.append(name)
        counts[name] += 1
    for name in order:
        print("%6d  %s" % (counts[name], name))
    print("%6d  one round" % len(pcs))
    if args.listing:
        listing = disassembly(elf)
        with open(args.listing, "w") as f:
            previous = None
            for pc in pcs:
                function, instruction = listing.get(pc, ("?", "?"))
                if function != previous:
                    f.write("== %s\n" % function)
                    previous = function
                f.write("  %x  %s\n" % (pc, instruction))
    return 0


if __name__ == "__main__":
    sys.exit(main())
