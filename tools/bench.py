#!/usr/bin/env python3
"""Sleuth's benchmarks: `make bench`.

Every run boots under TCG with -icount shift=0, where the guest TSC counts
instructions: figures are instruction counts, the same run to run and
comparable with other kernels measured the same way. Each benchmark runs
--runs times (3) per firmware; the table shows the median.

The boots use a copy of the ISO whose grub.cfg has timeout=0 (in
build/bench/), so that no key has to be sent to GRUB: how fast a key arrives
would otherwise change the count.

Benchmarks:
  boot-to-prompt   reset to the debugger prompt: the kernel's line
                   "Boot: prompt reached at TSC N"; without that line, the
                   wall-clock time from QEMU's start to the first prompt.
  boot-to-prompt-4-processors   the same with -smp 4.
  in-kernel        once the kernel has them (its image contains "BENCH "):
                   boots with `bench` and collects "BENCH name value unit".
  in-kernel-2-processors   the same with -smp 2, where the kernel runs only
                   its round trips between processors 0 and 1 (an event
                   ping-pong, an LPC request and reply).
  exercise-NNN     each exercise with a reference solution (tests/exercises/),
                   BIOS only, student id "bench": with age=0, the
                   instructions to its ready prompt (building the hang);
                   aged as the exercise says, under -icount
                   shift=0,sleep=off as `make exercise` runs it, the
                   wall-clock seconds to the prompt (the aging's host cost).

A benchmark that fails (a "BENCH error" or "ubench:" line, no "BENCH DONE",
a figure missing that the kernel always prints) makes the run fail: a
"bench.py: FAILED" line says which, and the exit status is 1.

--stress (make stress) is no benchmark: one BIOS boot with `stress`, TCG
without -icount, that runs the long load tests the benchmarks leave out
(talpcstress's 64 clients x 100,000 ALPC requests, nothing lost) and
prints their result and the wall time.

--phases (make bench-phases, on a kernel built with PHASES=1) boots once
under BIOS and prints, for each LPC benchmark, where its instructions go:
every edge between two probes taken at least once a round, with the
instructions it costs a round (see kernel/ke/kephase.h), then the edges
summed by what they do (PHASE_GROUPS: docs/performance.md's phase tables).
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from sleuthvm import PROMPT, SleuthVM, SleuthVMError  # noqa: E402
import exreplay  # noqa: E402

ICOUNT = ["-icount", "shift=0"]
BENCH_LINE = re.compile(r"^BENCH (\S+) (\d+(?:\.\d+)?) (\S+)\b.*$", re.M)
ERROR_LINE = re.compile(r"^(?:BENCH error.*|ubench: .*)$", re.M)
PHASE_LINE = re.compile(r"^PHASE (\S+) (\S+) (\S+) (\d+) (\d+)\b.*$", re.M)
PHASE_OVERHEAD = re.compile(r"^PHASE (\S+) probe-overhead (\d+)", re.M)
PHASE_LISTED = re.compile(r"^PHASE (\S+) total - \d+ \d+ \(listed (\d+)\)", re.M)
# What the kernel prints on every `bench` boot: one missing is a failure.
KERNEL_BENCHMARKS = [
    "event-pingpong-roundtrip", "context-switch", "timer-expiry-to-waiter",
    "lpc-request-reply-kernel", "lpc-datagram-kernel", "lpc-request-reply-kernel-10000-ports",
    "lpc-request-reply-kernel-10000-threads", "workitem-dispatch",
    "workitem-queue-to-start", "user-null-syscall", "user-thread-create-exit",
    "user-process-create-exit", "lpc-request-reply-process", "lpc-datagram-process",
    "alpc-request-reply-process", "alpc-request-reply-64-clients",
    "io-ioctl-null-3deep", "io-read-4k-ramfs", "kd-stack-walk-frame", "kd-vm-per-process",
    "kd-waitchain-a-100-threads", "kd-waitchain-a-250-threads", "kd-waitchain-a-500-threads",
    "kd-waitchain-a-1000-threads",
]
# What the -smp 2 boot measures (tests/kernel/kbenchmp.c).
SMP_BENCHMARKS = ["event-pingpong-roundtrip-2-processors",
                  "lpc-request-reply-kernel-2-processors"]
PHASE_BENCHMARKS = ["lpc-request-reply-kernel", "lpc-datagram-kernel",
                    "lpc-request-reply-process", "lpc-datagram-process"]
LOG_DIR = os.path.join(ROOT, "build", "test-logs")     # main() puts it next to the ISO


def bench_iso(iso, workdir, command_line, tag, make_cfg=None):
    """A copy of the ISO that boots its first entry at once (or the entry
    make_cfg(cfg, command_line) makes), with `command_line` added to the
    kernel's; rebuilt when the ISO changes. Made from the tree the Makefile
    gave grub-mkrescue (build/iso/)."""
    out = os.path.join(workdir, "sleuth-%s.iso" % tag)
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(iso):
        return out
    source = os.path.join(os.path.dirname(os.path.abspath(iso)), "iso")
    if not os.path.isfile(os.path.join(source, "boot", "grub", "grub.cfg")):
        raise OSError("no %s/boot/grub/grub.cfg: make all" % source)
    tree = os.path.join(workdir, "iso-" + tag)
    shutil.rmtree(tree, ignore_errors=True)
    shutil.copytree(source, tree)
    cfg_path = os.path.join(tree, "boot", "grub", "grub.cfg")
    with open(cfg_path) as f:
        cfg = f.read()
    with open(cfg_path, "w") as f:
        f.write((make_cfg or first_entry_at_once)(cfg, command_line))
    log = os.path.join(workdir, "grub-mkrescue-%s.log" % tag)
    with open(log, "w") as f:
        subprocess.run(["grub-mkrescue", "-o", out, tree, "--", "-volid", "SLEUTH"],
                       check=True, stdout=f, stderr=subprocess.STDOUT)
    return out


def first_entry_at_once(cfg, command_line):
    header = cfg[:cfg.index("menuentry")]
    entry = re.search(r"menuentry\s+\"[^\"]*\"\s*\{.*?\n\}", cfg, re.S).group(0)
    if command_line:
        # "if multiboot2 /boot/sleuth.elf ARGS; then": the arguments end at the ';'
        entry = re.sub(r"(multiboot2\s+[^\s;]+)([^\n;]*)", r"\1\2 " + command_line, entry, count=1)
    header = re.sub(r"(?m)^\s*set timeout=.*$", "", header)
    header = re.sub(r"(?m)^\s*set default=.*$", "", header)
    return header + "set timeout=0\nset default=0\n\n" + entry + "\n"


def boot_once(iso, firmware, name, until, timeout, extra_args=ICOUNT):
    """Boots (no menu keys), waits for `until`; returns (all the output, the
    wall-clock seconds from QEMU's start)."""
    vm = SleuthVM(iso, uefi=firmware == "uefi", menu_entry=None, accel="tcg",
                  extra_args=extra_args, name=name,
                  log_dir=LOG_DIR)
    try:
        vm.start()
        vm.wait_for(until, timeout)
        return vm.output, vm.elapsed()
    finally:
        vm.stop()


class BootToPrompt:
    name = "boot-to-prompt"
    timeout = 600       # OVMF under -icount: about two minutes here

    def __init__(self, workdir, processors=1):
        self.workdir = workdir
        self.processors = processors
        if processors > 1:
            # The application processors' start (INIT-SIPI-SIPI, each one's
            # wait for the next) is part of the count.
            self.name = "boot-to-prompt-%d-processors" % processors

    def prepare(self, iso):
        self.image = bench_iso(iso, self.workdir, "", "boot")

    def run_once(self, firmware, i):
        extra = ICOUNT + (["-smp", str(self.processors)] if self.processors > 1 else [])
        return boot_once(self.image, firmware, "bench-%s-%s-%d" % (self.name, firmware, i),
                         PROMPT, self.timeout, extra_args=extra)

    def rows(self, runs):
        """runs: [(output, wall seconds)] of one firmware -> [(name, values, unit)]."""
        counts = [re.search(r"Boot: prompt reached at TSC (\d+)", out) for out, _ in runs]
        if all(counts):
            return [(self.name, [int(m.group(1)) for m in counts], "instructions")]
        return [(self.name + " (wall)", [round(wall, 3) for _, wall in runs], "s")]


def exercise_entry_at_once(cfg, number, command_line):
    """The exercise's GRUB entry alone, booted at once: no student id
    prompt (student=bench), `command_line` added."""
    header = cfg[:cfg.index("menuentry")]
    entry = re.search(r"menuentry\s+\"[^\"]*\"\s*\{[^}]*exercise=%03d\b[^}]*\n\}" % number,
                      cfg, re.S).group(0)
    entry = re.sub(r"(?m)^\s*(echo|read|if) .*\n", "", entry)
    entry = entry.replace("student=$student", ("student=bench " + command_line).strip())
    header = re.sub(r"(?m)^\s*set (timeout|default)=.*$", "", header)
    return header + "set timeout=0\nset default=0\n\n" + entry + "\n"


class ExerciseReady:
    """Boot to an exercise's ready prompt: instructions with age=0, wall
    seconds with its own age under -icount shift=0,sleep=off."""
    timeout = 1800
    firmwares = ("bios",)

    def __init__(self, workdir, number, aged):
        self.workdir = workdir
        self.number = number
        self.aged = aged
        self.name = "exercise-%03d-%s" % (number, "aged-to-ready" if aged else "to-ready")

    def prepare(self, iso):
        number, aged = self.number, self.aged
        self.image = bench_iso(iso, self.workdir, "" if aged else "age=0", self.name,
                               lambda cfg, line: exercise_entry_at_once(cfg, number, line))

    def run_once(self, firmware, i):
        extra = ["-icount", "shift=0,sleep=off"]
        return boot_once(self.image, firmware, "bench-%s-%s-%d" % (self.name, firmware, i),
                         PROMPT, self.timeout, extra_args=extra)

    def rows(self, runs):
        for output, _ in runs:
            if "is ready: the system has been in this state" not in output:
                raise SleuthVMError("%s: no ready line" % self.name)
        if self.aged:
            return [(self.name + " (wall)", [round(wall, 3) for _, wall in runs], "s")]
        counts = [int(re.search(r"Boot: prompt reached at TSC (\d+)", out).group(1))
                  for out, _ in runs]
        return [(self.name, counts, "instructions")]


class InKernel:
    """The kernel's own benchmarks, once it has them."""
    name = "in-kernel"
    timeout = 1800

    def __init__(self, workdir, command_line="bench", processors=1):
        self.workdir = workdir
        self.command_line = command_line
        self.processors = processors
        if processors > 1:
            # Under -smp 2 the kernel runs only its cross-processor round
            # trips (tests/kernel/kbenchmp.c).
            self.name = "in-kernel-%d-processors" % processors

    def available(self, elf):
        try:
            with open(elf, "rb") as f:
                return b"BENCH " in f.read()
        except OSError:
            return False

    def prepare(self, iso):
        self.image = bench_iso(iso, self.workdir, self.command_line, "kernel")

    def run_once(self, firmware, i):
        extra = ICOUNT + (["-smp", str(self.processors)] if self.processors > 1 else [])
        tag = "kernel" if self.processors == 1 else self.name
        return boot_once(self.image, firmware, "bench-%s-%s-%d" % (tag, firmware, i),
                         re.compile(r"BENCH DONE|\d+: kd> "), self.timeout, extra_args=extra)

    def expected(self, phases):
        if self.processors > 1:
            return SMP_BENCHMARKS
        return PHASE_BENCHMARKS if phases else KERNEL_BENCHMARKS

    def rows(self, runs):
        values = {}
        for output, _ in runs:
            for m in BENCH_LINE.finditer(output):
                values.setdefault((m.group(1), m.group(3)), []).append(float(m.group(2)))
        return [(name, v, unit) for (name, unit), v in values.items()]

    def errors(self, output, expected):
        """What went wrong in one run's output: [] when nothing did."""
        errors = [m.group(0).strip() for m in ERROR_LINE.finditer(output)]
        if "BENCH DONE" not in output:
            errors.append("no BENCH DONE (the kernel stopped or broke in)")
        names = set(m.group(1) for m in BENCH_LINE.finditer(output))
        names |= set(m.group(1) for m in PHASE_LINE.finditer(output))
        errors += ["no figure for %s" % name for name in expected if name not in names]
        return errors


# The rows of docs/performance.md's phase tables: every edge a round takes,
# put under what it does. An edge not named here is printed under "other"
# (a probe added or moved since: name it here).
PHASE_GROUPS = [
    ("user mode between calls, syscall entry and exit", [
        ("syscall-enter", "syscall-service"), ("syscall-return", "syscall-exit"),
        ("syscall-exit", "syscall-enter"), ("lpc-reply-copied", "syscall-return"),
        ("lpc-receive-copied", "syscall-return"), ("lpc-queued", "syscall-return")]),
    ("probes and header capture (both calls)", [("syscall-service", "lpc-header-captured")]),
    ("handle -> port (both calls)", [("lpc-header-captured", "port-referenced")]),
    # The kernel rows' edge runs from the previous round's end, through the
    # benchmark's loop, to the message in its block.
    ("request or datagram into a block", [
        ("port-referenced", "lpc-message-captured"), ("lpc-reply-copied", "lpc-message-captured"),
        ("lpc-queued", "lpc-message-captured")]),
    # The datagram's sender is preempted by the receiver it readies: its
    # edge ends at the switch, and resumes after it.
    ("queue it, ready the receiver", [
        ("lpc-message-captured", "lpc-queued"), ("lpc-message-captured", "swap-out"),
        ("swap-in", "lpc-queued")]),
    ("waits: to block, and back", [
        ("lpc-queued", "lpc-reply-wait"), ("lpc-reply-wait", "wait-enter"),
        ("lpc-receive-wait", "wait-enter"), ("lpc-replied", "lpc-receive-wait"),
        ("port-referenced", "lpc-receive-wait"), ("wait-enter", "wait-block"),
        ("wait-block", "swap-out"), ("swap-in", "wait-return"),
        ("wait-return", "lpc-reply-woken"), ("wait-return", "lpc-receive-woken")]),
    ("context switches", [("swap-out", "swap-in")]),
    # The kernel datagram's server loops straight back to its receive.
    ("receive: dequeue, copy out, free", [
        ("lpc-receive-woken", "lpc-dequeued"), ("lpc-dequeued", "lpc-receive-copied"),
        ("lpc-dequeued", "lpc-receive-wait")]),
    # The kernel server's edge holds its own loop and its reply's copy.
    ("reply into a block, to the client", [
        ("lpc-dequeued", "lpc-replied"), ("port-referenced", "lpc-reply-captured"),
        ("lpc-reply-captured", "lpc-replied")]),
    ("client: reply out of its block, freed", [("lpc-reply-woken", "lpc-reply-copied")]),
]


def print_phase_groups(rows):
    """One benchmark's edges summed by PHASE_GROUPS row, as a Markdown table."""
    group_of = {}
    for name, edges in PHASE_GROUPS:
        for edge in edges:
            group_of[edge] = name
    sums = {}
    for source, target, _, per_round in rows:
        if source == "total":
            continue
        name = group_of.get((source, target), "other")
        sums[name] = sums.get(name, 0) + int(per_round)
    print("  by phase:")
    print("  | phase | instructions a round |")
    print("  |---|---|")
    for name in [name for name, _ in PHASE_GROUPS] + ["other"]:
        if name in sums:
            print("  | %s | %d |" % (name, sums[name]))
    print("  | **sum** | **%d** |" % sum(sums.values()))


def print_phases(output):
    """The PHASE lines of one boot, a table per benchmark."""
    overhead = dict((m.group(1), m.group(2)) for m in PHASE_OVERHEAD.finditer(output))
    listed = dict((m.group(1), m.group(2)) for m in PHASE_LISTED.finditer(output))
    edges = {}
    for m in PHASE_LINE.finditer(output):
        edges.setdefault(m.group(1), []).append(m.groups()[1:])
    for bench, rows in edges.items():
        print()
        print("%s (instructions a round; probe overhead %s taken off each edge)"
              % (bench, overhead.get(bench, "?")))
        for source, target, count, per_round in rows:
            if source == "total":
                print("  %-48s %8s" % ("the edges above, a round", listed.get(bench, "?")))
                print("  %-48s %8s" % ("every edge (with the program's start, idle)",
                                       per_round))
                continue
            print("  %-22s -> %-22s %8s  (%s times)" % (source, target, per_round, count))
        print_phase_groups(rows)


STRESS_TIMEOUT = 6 * 3600


def run_stress(iso, workdir):
    """make stress: one BIOS boot with `stress`, TCG without -icount (the
    long load runs: talpcstress's 64 clients x 100,000 requests, nothing
    lost). Prints the kernel's STRESS lines and the wall time; 0 if passed."""
    image = bench_iso(iso, workdir, "stress", "stress")
    print("make stress: one BIOS boot, TCG without -icount (hours at most)", flush=True)
    try:
        output, wall = boot_once(image, "bios", "stress-bios", re.compile(r"STRESS DONE"),
                                 STRESS_TIMEOUT, extra_args=[])
    except SleuthVMError as e:
        print("stress: FAILED: %s" % e)
        return 1
    lines = re.findall(r"^(?:STRESS .*|talpcstress.*)$", output, re.M)
    for line in lines:
        print("  " + line.strip())
    print("wall time: %.1f s" % wall)
    passed = any(re.match(r"STRESS \S+ passed", line) for line in lines)
    if not passed or any("error" in line or "FAILED" in line for line in lines):
        print("stress: FAILED")
        return 1
    return 0


def fmt(value, unit):
    if unit == "s":
        return "%.2f s" % value
    if float(value).is_integer():
        return "{:,}".format(int(value)) + ("" if unit == "instructions" else " " + unit)
    return "%.2f %s" % (value, unit)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iso", default="build/sleuth.iso")
    parser.add_argument("--elf", default=None, help="default: sleuth.elf next to the ISO")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("-j", "--jobs", type=int, default=2, help="QEMUs at once")
    parser.add_argument("--firmware", choices=("bios", "uefi"), action="append",
                        help="default: both")
    parser.add_argument("-k", dest="pattern", help="only benchmarks whose name contains this")
    parser.add_argument("--phases", action="store_true",
                        help="a PHASES=1 kernel: one BIOS boot, the LPC phase tables")
    parser.add_argument("--stress", action="store_true",
                        help="make stress: the long load runs, one BIOS boot, no -icount")
    args = parser.parse_args()
    if args.phases:
        args.runs, args.firmware, args.pattern = 1, ["bios"], "in-kernel"
    os.chdir(ROOT)
    if not os.path.exists(args.iso):
        sys.exit("bench.py: no %s (make all)" % args.iso)
    elf = args.elf or os.path.join(os.path.dirname(args.iso), "sleuth.elf")
    workdir = os.path.join(os.path.dirname(os.path.abspath(args.iso)), "bench")
    global LOG_DIR
    LOG_DIR = os.path.join(os.path.dirname(os.path.abspath(args.iso)), "test-logs")
    os.makedirs(workdir, exist_ok=True)
    if args.stress:
        sys.exit(run_stress(args.iso, workdir))

    benchmarks = [BootToPrompt(workdir), BootToPrompt(workdir, processors=4)]
    kernel = InKernel(workdir)
    if kernel.available(elf):
        benchmarks += [kernel, InKernel(workdir, processors=2)]
    for number in sorted(exreplay.solution_files(ROOT)):
        benchmarks += [ExerciseReady(workdir, number, False), ExerciseReady(workdir, number, True)]
    if args.pattern:
        benchmarks = [b for b in benchmarks if args.pattern in b.name]
    firmwares = args.firmware or ["bios", "uefi"]

    print("TCG -icount shift=0 (TSC = instructions), median of %d runs, %d QEMUs at once"
          % (args.runs, args.jobs), flush=True)
    tasks = []
    for bench in benchmarks:
        try:
            bench.prepare(args.iso)
        except (OSError, subprocess.CalledProcessError) as e:
            sys.exit("bench.py: cannot make the benchmark ISO: %s" % e)
        # OVMF boots are the long ones: start them first.
        for firmware in sorted(firmwares, key=lambda f: f != "uefi"):
            if firmware in getattr(bench, "firmwares", (firmware,)):
                tasks += [(bench, firmware, i) for i in range(args.runs)]
    outputs = {}
    failed = False
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(bench.run_once, firmware, i): (bench, firmware, i)
                   for bench, firmware, i in tasks}
        for future in concurrent.futures.as_completed(futures):
            bench, firmware, i = futures[future]
            try:
                outputs.setdefault((bench, firmware), []).append(future.result())
                print("  %s %s run %d: %.1f s" % (bench.name, firmware.upper(), i + 1,
                                                  future.result()[1]), flush=True)
            except (SleuthVMError, OSError) as e:
                failed = True
                print("  %s %s run %d failed: %s" % (bench.name, firmware.upper(), i + 1, e),
                      flush=True)
    for (bench, firmware), runs in sorted(outputs.items(), key=lambda item: item[0][1]):
        if not isinstance(bench, InKernel):
            continue
        for i, (output, _) in enumerate(runs):
            for error in bench.errors(output, bench.expected(args.phases)):
                failed = True
                print("bench.py: FAILED: %s run %d: %s" % (firmware.upper(), i + 1, error),
                      flush=True)
    if args.phases:
        for runs in outputs.values():
            for output, _ in runs:
                print_phases(output)
        return 1 if failed else 0
    rows = []
    for bench in benchmarks:
        for firmware in firmwares:
            runs = outputs.get((bench, firmware), [])
            if runs:
                try:
                    rows += [(name, firmware.upper(), values, unit)
                             for name, values, unit in bench.rows(runs)]
                except SleuthVMError as e:
                    failed = True
                    print("bench.py: FAILED: %s" % e, flush=True)

    print()
    width = max([len(r[0]) for r in rows] + [9])
    print("%-*s  %-8s  %20s  %s" % (width, "benchmark", "firmware", "median", "spread"))
    for name, firmware, values, unit in rows:
        median = statistics.median(values)
        spread = (max(values) - min(values)) / median * 100 if median else 0.0
        print("%-*s  %-8s  %20s  %.1f%%" % (width, name, firmware, fmt(median, unit), spread))
    if failed:
        print("bench.py: FAILED: some benchmarks failed (the lines above say which)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
