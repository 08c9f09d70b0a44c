#!/usr/bin/env python3
"""Sleuth's native-API fuzzer, from the host: `make fuzz SEED=... SECS=...`.

Boots a copy of the ISO whose first entry has `fuzz=SEED,SECS console=serial
nobreak` on the kernel's command line (build/fuzz/), so the kernel runs
tests/user/tfuzz for SECS seconds of guest time and then its pool and page
leak check, and watches the serial console. A finding is:

  bugcheck   "*** STOP" (the stack the kernel prints with it is kept)
  hang       no "FUZZ progress" line for --stall seconds (wall clock): the
             fuzzer or the kernel stopped; the debugger is broken into and
             !running, !ready and !process 0 0 are kept
  leak       the leak check after the program failed (a pool tag, user pages
             or kernel stacks not back to their counts)
  finding    the fuzzer's own: a thread or process that would not end, a
             service never called

Prints the calls made, the rate (calls per second of guest time) and every
finding with its seed; the full serial log is in build/test-logs/. With
--smp N (make fuzz SMP=N) the machine has N processors, so the fuzzer's
threads really race each other's calls. Several
seeds: --seeds N runs SEED, SEED+1, ... one after the other. Exit status 0
when no run had a finding.
"""

import argparse
import os
import re
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from bench import bench_iso  # noqa: E402
from sleuthvm import PROMPT, SleuthVM, SleuthVMError  # noqa: E402

PROGRESS = re.compile(r"FUZZ progress: (\d+) calls, (\d+) calls/s")
DONE = re.compile(r"FUZZ DONE seed=(\d+) calls=(\d+) ms=(\d+) rate=(\d+)/s filtered=(\d+) "
                  r"restarts=(\d+) findings=(\d+) uncovered=(\d+)")
LEAKCHECK = re.compile(r"FUZZ LEAKCHECK (PASS|FAIL)")


def run_campaign(iso, seed, secs, avoid, stall, workdir, log_dir, processors=1):
    command_line = "fuzz=%d,%d console=serial nobreak" % (seed, secs)
    if avoid:
        command_line += " fuzzavoid=" + avoid
    image = bench_iso(iso, workdir, command_line, "fuzz-%d-%d-%s" % (seed, secs,
                                                                     avoid.replace(",", "_")))
    vm = SleuthVM(image, menu_entry=None, name="fuzz-%d" % seed, log_dir=log_dir,
                  extra_args=["-smp", str(processors)] if processors > 1 else [])
    result = {"seed": seed, "calls": 0, "rate": 0, "findings": [], "log": vm.log_path}
    seen = 0
    last_progress = None
    try:
        vm.start()
        last_progress = time.monotonic()
        while True:
            running = vm.running()
            with vm._cond:
                vm._cond.wait(1.0)
                if not running:     # QEMU ended: everything it said first
                    vm._cond.wait_for(lambda: vm._eof, 10)
                text = vm.output
            new = text[seen:]
            cut = new.rfind("\n")
            if cut >= 0:
                for line in new[:cut].splitlines():
                    handle_line(line, result)
                    if PROGRESS.search(line):
                        last_progress = time.monotonic()
                    if "FUZZ FINDING" in line and not result.get("dumped"):
                        # The threads' state while the finding is fresh.
                        result["dumped"] = True
                        result["findings"].append("state at the first finding:\n" +
                                                  break_in(vm, ("!process 0 7",)))
                        vm.type_line("g")
                        last_progress = time.monotonic()
                seen += cut + 1
            if "*** STOP" in text[max(0, seen - 4096):] or "*** STOP" in new:
                try:
                    vm.cursor = text.find("*** STOP")
                    stack = vm.wait_for(PROMPT, 60)
                except SleuthVMError:
                    stack = vm.output[text.find("*** STOP"):]
                result["findings"].append("bugcheck:\n" + stack.strip())
                break
            if result.get("leakcheck"):
                break
            if not running:
                if not result.get("done"):
                    result["findings"].append("QEMU ended before the campaign did")
                break
            if time.monotonic() - last_progress > stall:
                result["findings"].append("hang: no progress for %d s; state:\n%s"
                                          % (stall, break_in(vm)))
                break
    except SleuthVMError as e:
        result["findings"].append("error: %s" % e)
    finally:
        vm.stop()
    return result


def handle_line(line, result):
    m = PROGRESS.search(line)
    if m:
        result["calls"], result["rate"] = int(m.group(1)), int(m.group(2))
    m = DONE.search(line)
    if m:
        result["done"] = True
        result["calls"], result["rate"] = int(m.group(2)), int(m.group(4))
        result["filtered"], result["restarts"] = int(m.group(5)), int(m.group(6))
    if "FUZZ FINDING" in line or "FUZZ UNCOVERED" in line or "FUZZ FAIL" in line:
        result["findings"].append(line.strip())
    if line.startswith("KTEST FAIL"):
        result["findings"].append("leak check: " + line.strip())
    m = LEAKCHECK.search(line)
    if m:
        result["leakcheck"] = m.group(1)
        if m.group(1) != "PASS" and not any(f.startswith("leak") for f in result["findings"]):
            result["findings"].append("leak check failed")


def break_in(vm, commands=("!running", "!ready", "!process 0 0", "!timer")):
    try:
        vm.read_available()
        vm.send_raw(b"\x03")
        vm.wait_for(PROMPT, 30)
        out = ""
        for command in commands:
            out += vm.command(command, 120)
        return out
    except SleuthVMError as e:
        return "(could not break in: %s)" % e


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iso", default=os.path.join(ROOT, "build", "sleuth.iso"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=1, help="how many seeds, from --seed on")
    parser.add_argument("--secs", type=int, default=60, help="guest seconds per campaign")
    parser.add_argument("--smp", type=int, default=1,
                        help="processors (QEMU -smp N): the services raced on several")
    parser.add_argument("--avoid", default="", help="known bugs to avoid, e.g. 1,5 (docs)")
    parser.add_argument("--stall", type=int, default=120,
                        help="wall seconds without progress that make a hang")
    args = parser.parse_args()

    build = os.path.dirname(os.path.abspath(args.iso))
    workdir = os.path.join(build, "fuzz")
    log_dir = os.path.join(build, "test-logs")
    os.makedirs(workdir, exist_ok=True)
    total_calls = 0
    total_findings = 0
    for seed in range(args.seed, args.seed + args.seeds):
        started = time.monotonic()
        r = run_campaign(args.iso, seed, args.secs, args.avoid, args.stall, workdir, log_dir,
                         args.smp)
        total_calls += r["calls"]
        total_findings += len(r["findings"])
        print("seed %d: %d calls, %d calls/s (guest), %.0f s wall, leak check %s, "
              "%d finding(s)  [%s]" % (seed, r["calls"], r["rate"], time.monotonic() - started,
                                       r.get("leakcheck", "not reached"), len(r["findings"]),
                                       r["log"]))
        for finding in r["findings"]:
            print("  FINDING (seed %d): %s" % (seed, finding.replace("\n", "\n    ")))
        sys.stdout.flush()
    print("fuzz: %d seed(s), %d calls, %d finding(s)" % (args.seeds, total_calls, total_findings))
    return 1 if total_findings else 0


if __name__ == "__main__":
    sys.exit(main())
