#!/usr/bin/env python3
"""Every Sleuth test: what `make test` runs.

    build          make all (the kernel and the ISO)
    build/clang    the kernel again with clang, into build/clang (-Werror)
    host/...       host unit tests (make test-host), one line per test
    kernel/FW/...  in-kernel tests: the ISO booted with GRUB's "self tests"
                   entry under BIOS and UEFI, one line per KTEST, plus
                   kernel/FW/exit-status (KTEST DONE arrived and QEMU's exit
                   status agrees with the results). With -k, under BIOS,
                   only the matching tests run (up to 32, typed into the
                   "self tests of your choice" entry); otherwise all run
                   and the lines are filtered
    e2e/FW/...     tests/e2e/test_*.py, every test_* function, under each
                   firmware the file runs under (the conventions are below)
    e2e/bios-smpN/...  the files that set SMP = N, again with N processors

One line per test, "PASS name" or "FAIL name: reason [log]"; the last line is
exactly "N passed, N failed" (", N skipped" only when some were). Exit status
1 if anything failed. QEMU runs at most two at once (the machines have two
cores; -j changes it); the clang build and the host tests run beside them.
Every QEMU's transcript goes to build/test-logs/<name>.log (emptied first).

End-to-end test files (tests/e2e/test_*.py): each test_* function runs in the
order of the file, and asks for what it needs by parameter name:
    vm        a SleuthVM booted to the first "0: kd> " prompt; one per file and
              firmware, shared by the file's tests in order (so a test that
              breaks the machine, like .crash, goes last or in its own file)
    new_vm    new_vm(suffix="", **options) -> a SleuthVM not yet started, for
              tests that boot their own (stopped after the test)
    firmware  "bios" or "uefi"
    iso       the path of the ISO
Module-level settings: FIRMWARE = ("bios", "uefi") (the default);
VM_OPTIONS = {...} for the shared vm (SleuthVM keyword arguments);
BOOT_TO_PROMPT = False to get the shared vm just started (GRUB entry chosen),
for a file whose kernel does not talk on serial; BOOT_TIMEOUT = seconds to
the first prompt (an aged exercise: exreplay.exercise_vm_options); SMP = N
to run the file once more, under BIOS (else its first firmware), with every
VM given N processors (QEMU -smp N), as e2e/bios-smpN/...: the files most
sensitive to concurrency, so that every `make test` runs them on several
processors (--smp N runs the whole suite so). After a failed test the
shared vm gets Ctrl-C and must show a prompt, else the next test boots a new one.
A test fails by raising (assert); raising e2e.Skip("why") skips it.
"""

import argparse
import concurrent.futures
import fnmatch
import glob
import importlib.util
import inspect
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import sleuthvm  # noqa: E402
from sleuthvm import SleuthVM, SleuthVMError  # noqa: E402

BUILD = "build"
ISO = os.path.join(BUILD, "sleuth.iso")
LOGS = os.path.join(BUILD, "test-logs")


def set_build_directory(build):
    global BUILD, ISO, LOGS
    BUILD = build.rstrip("/") or "build"
    ISO = os.path.join(BUILD, "sleuth.iso")
    LOGS = os.path.join(BUILD, "test-logs")
MAX_VMS = 2
# QEMU arguments added to every VM (--smp N): the suite under N processors.
EXTRA_QEMU_ARGS = []


def with_extra_args(options, processors=None):
    """The options with --smp's arguments, or `processors` (a file's SMP run),
    added; a test that asks for its own processor count (test_smp,
    test_apic_modes) keeps it: QEMU would take the last -smp given."""
    options = dict(options)
    own = list(options.get("extra_args", ()))
    if "-smp" in own:
        extra = [] if EXTRA_QEMU_ARGS[:1] == ["-smp"] else EXTRA_QEMU_ARGS
    elif processors:
        extra = ["-smp", str(processors)]
    else:
        extra = EXTRA_QEMU_ARGS
    options["extra_args"] = own + extra
    return options
BOOT_TIMEOUT = 120          # seconds to the first prompt (UEFI under TCG: ~10)
KTEST_TIMEOUT = 240         # seconds from GRUB to KTEST DONE
WHOLE_RUN_TIMEOUT = 20 * 60
FIRMWARES = ("bios", "uefi")


class Results:
    def __init__(self, pattern):
        self.pattern = pattern
        self.lock = threading.Lock()
        self.passed = self.failed = self.skipped = 0
        self.closed = False     # after the summary line nothing more is printed

    def wanted(self, name):
        return matches(self.pattern, name)

    def report(self, name, ok, reason=None, log=None, always=False):
        """ok: True, False, or None for skipped."""
        if not always and not self.wanted(name):
            return
        if ok is None:
            word = "SKIP"
        else:
            word = "PASS" if ok else "FAIL"
        line = "%s %s" % (word, name)
        if reason and ok is not True:
            reason = str(reason)
            if log:     # the log goes at the end, once
                for path in {log, os.path.abspath(log), os.path.relpath(log, ROOT)}:
                    reason = reason.replace(" (%s)" % path, "")
            line += ": " + shorten(reason)
        if log and ok is False:
            line += " [%s]" % os.path.relpath(log, ROOT)
        with self.lock:
            if self.closed:
                return
            if ok is None:
                self.skipped += 1
            elif ok:
                self.passed += 1
            else:
                self.failed += 1
            print(line, flush=True)


def matches(pattern, name):
    if not pattern:
        return True
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(name, "*" + pattern + "*")
    return pattern in name


def shorten(text, limit=300):
    text = " ".join(str(text).replace(os.path.join(ROOT, ""), "").split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def make_env():
    # The parent make's jobserver is not ours to use.
    env = dict(os.environ)
    for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"):
        env.pop(name, None)
    return env


def run_logged(cmd, log_name, timeout=900):
    """Runs a command from the repository root; returns (status, output)."""
    log = os.path.join(LOGS, log_name + ".log")
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=make_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout)
        status, output = proc.returncode, proc.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        status = -1
        output = ((e.stdout or b"").decode("utf-8", "replace") +
                  "\n(timed out after %d s)" % timeout)
    with open(log, "w") as f:
        f.write("$ %s\n%s\n(exit status %s)\n" % (" ".join(cmd), output, status))
    return status, output, log


def first_error(output):
    """The line that says what went wrong in a build's output."""
    found = output.splitlines()
    for pattern in (r"error:|multiple definition|undefined reference|No rule|warning:",
                    r"[Ee]rror"):
        for line in found:
            if re.search(pattern, line):
                return line.strip()
    found = [line for line in found if line.strip()]
    return found[-1] if found else "no output"


# ---------------------------------------------------------------- builds

def build_all(results, jobs):
    status, output, log = run_logged(["make", "-j%d" % jobs, "BUILD=" + BUILD, "all"], "build")
    results.report("build", status == 0, first_error(output), log, always=status != 0)
    return status == 0


def build_clang(results, jobs):
    if not results.wanted("build/clang"):
        return
    if shutil.which("clang") is None:
        results.report("build/clang", False, "clang not found (make deps)")
        return
    status, output, log = run_logged(
        ["make", "-j%d" % jobs, "BUILD=%s/clang" % BUILD, "CC=clang", "kernel"], "build-clang")
    results.report("build/clang", status == 0, first_error(output), log)


def host_tests(results, jobs):
    status, output, log = run_logged(["make", "-j%d" % jobs, "BUILD=" + BUILD, "test-host"],
                                     "host")
    passed = failed = 0
    reason = None
    summary = None
    for line in output.splitlines():
        m = re.match(r"(PASS|FAIL) host/(\S+)", line)
        if m:
            results.report("host/" + m.group(2), m.group(1) == "PASS", reason, log)
            passed += m.group(1) == "PASS"
            failed += m.group(1) == "FAIL"
            reason = None
            continue
        m = re.match(r"FAIL (.*)", line)
        if m:
            reason = m.group(1)
        m = re.match(r"(\d+) passed, (\d+) failed$", line)
        if m:
            summary = (int(m.group(1)), int(m.group(2)))
    if summary is None:
        # No final line: it did not build, or a sanitizer stopped it mid-test.
        why = first_error(output)
        for line in output.splitlines():
            if "Sanitizer" in line or "runtime error" in line:
                why = line.strip()
                break
        results.report("host/run", False, "did not finish (%s)" % why, log)
    elif summary != (passed, failed) or (status != 0) != (failed > 0):
        results.report("host/run", False, "summary %s/%s or exit status %s disagree with the "
                       "result lines" % (summary + (status,)), log)


# ---------------------------------------------------------------- in-kernel tests

def kernel_test_names():
    names = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "kernel", "*.c"))):
        with open(path, errors="replace") as f:
            names += re.findall(r"^KTEST\((\w+)\)", f.read(), re.M)
    return names


# GRUB's "self tests of your choice" entry (boot/grub.cfg), and how many
# names the kernel's test= takes (kernel/init/cmdline.h).
KTEST_CHOICE_MENU_ENTRY = 18
KTEST_CHOICE_PROMPT = re.compile(r"Tests \(names, comma separated")
KTEST_MAX_NAMES = 32
KTEST_MAX_NAME_LENGTH = 48
KTEST_MAX_COMMAND_LINE = 512    # the loader's command line (arch/x86_64/hal.h)


def kernel_test_selection(results, firmware, prefix):
    """The test= value for a -k run: the matching KTEST names (when they
    fit the kernel's list), else "all" and the results are filtered. Under
    BIOS only: under OVMF, whose console reads the serial port GRUB reads,
    a long line typed into GRUB arrives with stray bytes."""
    names = [n for n in kernel_test_names() if results.wanted(prefix + n)]
    if (not results.pattern or firmware != "bios" or not names or
            len(names) > KTEST_MAX_NAMES):
        return "all"
    # A name too long for the kernel's list goes as a prefix ("Name*"); the
    # few other tests it may select are filtered out of the results.
    selection = ",".join(n if len(n) < KTEST_MAX_NAME_LENGTH else
                         n[:KTEST_MAX_NAME_LENGTH - 2] + "*" for n in names)
    return selection if len("test=" + selection) < KTEST_MAX_COMMAND_LINE else "all"


# The scheduling and concurrency tests (test_smp*.c and friends, KTEST names
# Smp*) once more on four processors in every run: kernel/bios-smp4/...
SMP_KTEST_PREFIX = "Smp"
SMP_KTEST_PROCESSORS = 4


def kernel_selected(selection, name):
    if selection == "all":
        return True
    return any(name.startswith(s[:-1]) if s.endswith("*") else name == s
               for s in selection.split(","))


def kernel_tests(results, firmware, stop_event, processors=None):
    if processors:      # the Smp* tests on `processors` processors (BIOS)
        prefix = "kernel/%s-smp%d/" % (firmware, processors)
        selection = SMP_KTEST_PREFIX + "*"
        extra_args = ["-smp", str(processors)]
    else:
        prefix = "kernel/%s/" % firmware
        selection = kernel_test_selection(results, firmware, prefix)
        extra_args = EXTRA_QEMU_ARGS
    vm = SleuthVM(ISO, uefi=firmware == "uefi",
                  menu_entry=1 if selection == "all" else KTEST_CHOICE_MENU_ENTRY,
                  name="kernel-" + prefix.split("/")[1], log_dir=LOGS, extra_args=extra_args)
    done = None
    error = None
    code = None
    try:
        vm.start()
        if selection != "all":
            vm.wait_for(KTEST_CHOICE_PROMPT, 60)
            time.sleep(0.2)
            vm.read_available()
            vm.type_keys(list(selection), delay=0.02)
            vm.send_raw(b"\r")
        line = vm.wait_for(re.compile(r'command line: "test=([^"]*)"'), 60)
        line = vm.last_match.group(1)
        if line != selection:
            raise SleuthVMError("the kernel got test=%s, not test=%s (a key lost or doubled "
                                "on the way through GRUB)" % (line, selection))
        # TCG runs the processors of -smp N on the host's few cores: the
        # suite's user programs (tcontend's heap contention) take longer.
        processors = int(extra_args[1]) if extra_args[:1] == ["-smp"] else 1
        done = vm.wait_for(re.compile(r"KTEST DONE (\d+) passed, (\d+) failed\n"),
                           KTEST_TIMEOUT * processors)
        done = vm.last_match
        code = vm.exit_code(30)
    except SleuthVMError as e:
        error = str(e)
    finally:
        vm.stop()
    if code is None:
        code = vm.proc.returncode if vm.proc else None

    seen = {}
    reason = None
    for line in vm.output.splitlines():
        m = re.match(r"KTEST FAIL: (.*)", line)
        if m:
            reason = m.group(1)
            continue
        # User-mode test programs report each of their tests on their own.
        m = re.match(r"UTEST (PASS|FAIL) (\w+/\w+)(?::\s*(.*))?$", line)
        if m:
            results.report(prefix + "user/" + m.group(2), m.group(1) == "PASS", m.group(3),
                           vm.log_path)
            continue
        m = re.match(r"KTEST (PASS|FAIL) (\w+)(?::\s*(.*))?$", line)
        if m:
            ok = m.group(1) == "PASS"
            seen[m.group(2)] = ok
            results.report(prefix + m.group(2), ok, m.group(3) or reason, vm.log_path)
            reason = None
    for name in kernel_test_names():
        if name not in seen and kernel_selected(selection, name):
            results.report(prefix + name, False, "no result line (did the kernel stop?)",
                           vm.log_path)
    failed = sum(1 for ok in seen.values() if not ok)
    if done is None:
        results.report(prefix + "exit-status", False, "no KTEST DONE: %s" % error, vm.log_path)
        return
    counts = (int(done.group(1)), int(done.group(2)))
    expect = sleuthvm.DEBUG_EXIT_FAIL if failed else sleuthvm.DEBUG_EXIT_PASS
    if counts != (len(seen) - failed, failed):
        results.report(prefix + "exit-status", False, "KTEST DONE says %d passed, %d failed; "
                       "the result lines say %d, %d" % (counts + (len(seen) - failed, failed)),
                       vm.log_path)
    elif code != expect:
        results.report(prefix + "exit-status", False, "QEMU exit status %s, expected %d (%s)"
                       % (code, expect, error or "KTEST DONE seen"), vm.log_path)
    else:
        results.report(prefix + "exit-status", True)


def kernel_smp_tests(results, firmware, processors, stop_event):
    kernel_tests(results, firmware, stop_event, processors)


# ---------------------------------------------------------------- end-to-end tests

class E2EFile:
    def __init__(self, path):
        self.path = path
        self.stem = os.path.basename(path)[:-3]
        spec = importlib.util.spec_from_file_location("e2e_" + self.stem, path)
        self.module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.module)
        self.firmwares = tuple(getattr(self.module, "FIRMWARE", FIRMWARES))
        if isinstance(self.firmwares, str):
            self.firmwares = (self.firmwares,)
        self.vm_options = dict(getattr(self.module, "VM_OPTIONS", {}))
        self.boot_to_prompt = getattr(self.module, "BOOT_TO_PROMPT", True)
        self.smp = getattr(self.module, "SMP", None)
        self.smp_firmware = "bios" if "bios" in self.firmwares else self.firmwares[0]
        self.tests = sorted(
            (obj for name, obj in vars(self.module).items()
             if name.startswith("test_") and inspect.isfunction(obj)
             and obj.__module__ == self.module.__name__),
            key=lambda f: f.__code__.co_firstlineno)

    def test_name(self, firmware, test, processors=None):
        return "e2e/%s/%s/%s" % (variant(firmware, processors), self.stem[len("test_"):],
                                 test.__name__[len("test_"):])


def variant(firmware, processors):
    """"bios", or "bios-smp4" for a file's SMP run."""
    return firmware + ("-smp%d" % processors if processors else "")


def failure_reason(exc, path):
    if isinstance(exc, AssertionError):
        text = str(exc)
        if not text:
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == path]
            frame = frames[-1] if frames else traceback.extract_tb(exc.__traceback__)[-1]
            text = "assert failed, %s:%d: %s" % (os.path.basename(frame.filename), frame.lineno,
                                                 frame.line)
        return text
    if isinstance(exc, SleuthVMError):
        return str(exc)
    frames = traceback.extract_tb(exc.__traceback__)
    where = frames[-1] if frames else None
    return "%s: %s%s" % (type(exc).__name__, exc,
                         " (%s:%d)" % (os.path.basename(where.filename), where.lineno)
                         if where else "")


def e2e_file(results, e2e, firmware, processors, stop_event):
    tag = "e2e-%s-%s" % (variant(firmware, processors), e2e.stem)
    state = {"vm": None, "boots": 0, "boot_error": None}

    def shared_vm():
        if state["vm"] is not None:
            return state["vm"]
        if state["boot_error"]:
            raise SleuthVMError("boot failed earlier: " + state["boot_error"])
        state["boots"] += 1
        name = tag if state["boots"] == 1 else "%s-%d" % (tag, state["boots"])
        vm = SleuthVM(ISO, uefi=firmware == "uefi", name=name, log_dir=LOGS,
                      **with_extra_args(e2e.vm_options, processors))
        try:
            if e2e.boot_to_prompt:
                vm.boot(getattr(e2e.module, "BOOT_TIMEOUT", BOOT_TIMEOUT))
            else:
                vm.start()
        except SleuthVMError as e:
            vm.stop()
            state["boot_error"] = "boot: %s" % e
            raise SleuthVMError(state["boot_error"])
        state["vm"] = vm
        return vm

    try:
        for test in e2e.tests:
            name = e2e.test_name(firmware, test, processors)
            if not results.wanted(name):
                continue
            if stop_event.is_set():
                results.report(name, False, "not run: the run was stopped")
                continue
            own_vms = []
            log = None

            def new_vm(suffix="", **options):
                options.setdefault("uefi", firmware == "uefi")
                options.setdefault("log_dir", LOGS)
                options.setdefault("name", "%s-%s%s" % (tag, test.__name__[5:], suffix))
                vm = SleuthVM(ISO, **with_extra_args(options, processors))
                own_vms.append(vm)
                return vm

            fixtures = {"new_vm": new_vm, "firmware": firmware, "iso": ISO}
            args = {}
            try:
                for param in inspect.signature(test).parameters:
                    if param == "vm":
                        args["vm"] = shared_vm()
                        log = args["vm"].log_path
                    elif param in fixtures:
                        args[param] = fixtures[param]
                    else:
                        raise TypeError("unknown fixture %r" % param)
                test(**args)
                results.report(name, True)
            except BaseException as e:       # noqa: B902 - a test's failure is a result
                if type(e).__name__ == "Skip":
                    results.report(name, None, str(e))
                    continue
                if isinstance(e, KeyboardInterrupt):
                    raise
                if own_vms and log is None:
                    log = own_vms[-1].log_path
                results.report(name, False, failure_reason(e, e2e.path), log)
                vm = state["vm"]
                if vm is not None and "vm" in args and (not e2e.boot_to_prompt
                                                         or not vm.resync()):
                    vm.stop()
                    state["vm"] = None
            finally:
                for vm in own_vms:
                    vm.stop()
    finally:
        if state["vm"] is not None:
            state["vm"].stop()


# ---------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("e2e", "host", "kernel"),
                        help="run one layer only")
    parser.add_argument("-k", dest="pattern",
                        help="only tests whose name contains this (or matches it, with * ? [])")
    parser.add_argument("--firmware", choices=FIRMWARES,
                        help="boot under this firmware only")
    parser.add_argument("-j", "--jobs", type=int, default=MAX_VMS,
                        help="QEMUs at once (default %d)" % MAX_VMS)
    parser.add_argument("--build", default=os.environ.get("SLEUTH_BUILD", BUILD),
                        help="the build directory, as make BUILD=... (default: $SLEUTH_BUILD "
                             "or %s)" % BUILD)
    parser.add_argument("--smp", type=int,
                        help="boot every VM with this many processors (QEMU -smp N)")
    args = parser.parse_args()
    set_build_directory(args.build)
    if args.smp:
        EXTRA_QEMU_ARGS[:] = ["-smp", str(args.smp)]
    # TCG runs N processors on the host's few cores: a run under --smp N
    # may take N times as long (make test itself keeps the 20 minutes).
    whole_run_timeout = WHOLE_RUN_TIMEOUT * max(1, args.smp or 1)

    os.chdir(ROOT)
    signal.signal(signal.SIGTERM, interrupted)
    started = time.monotonic()
    os.makedirs(LOGS, exist_ok=True)
    for old in glob.glob(os.path.join(LOGS, "*.log")):
        os.remove(old)
    results = Results(args.pattern)
    cpus = os.cpu_count() or 2
    firmwares = (args.firmware,) if args.firmware else FIRMWARES
    layers = {args.only} if args.only else {"build", "host", "kernel", "e2e"}

    e2e_files = []
    if "e2e" in layers:
        for path in sorted(glob.glob(os.path.join(ROOT, "tests", "e2e", "test_*.py"))):
            try:
                e2e_files.append(E2EFile(path))
            except Exception as e:      # a file that does not even import
                results.report("e2e/" + os.path.basename(path)[5:-3] + "/import", False,
                               "%s: %s" % (type(e).__name__, e))

    vm_jobs = []
    if "kernel" in layers:
        names = kernel_test_names() + ["exit-status"]
        for fw in firmwares:
            if any(results.wanted("kernel/%s/%s" % (fw, n)) for n in names):
                vm_jobs.append(("kernel-" + fw, kernel_tests, (results, fw)))
        smp_names = [n for n in names if n.startswith(SMP_KTEST_PREFIX)] + ["exit-status"]
        if "bios" in firmwares and not EXTRA_QEMU_ARGS and any(
                results.wanted("kernel/bios-smp%d/%s" % (SMP_KTEST_PROCESSORS, n))
                for n in smp_names):
            vm_jobs.append(("kernel-bios-smp%d" % SMP_KTEST_PROCESSORS, kernel_smp_tests,
                            (results, "bios", SMP_KTEST_PROCESSORS)))
    for e2e in e2e_files:
        runs = [(fw, None) for fw in e2e.firmwares]
        # A file's SMP run, unless --smp already runs everything so.
        if e2e.smp and EXTRA_QEMU_ARGS[:2] != ["-smp", str(e2e.smp)]:
            runs.append((e2e.smp_firmware, e2e.smp))
        for fw, processors in runs:
            if fw in firmwares and any(results.wanted(e2e.test_name(fw, t, processors))
                                       for t in e2e.tests):
                vm_jobs.append(("e2e-%s-%s" % (variant(fw, processors), e2e.stem), e2e_file,
                                (results, e2e, fw, processors)))
    # The longest first: UEFI boots take three times as long as BIOS ones.
    # So do the runs with several processors (SMP = N).
    vm_jobs.sort(key=lambda job: (not job[0].endswith("uefi") and "-uefi-" not in job[0]
                                  and "-smp" not in job[0],
                                  not job[0].startswith("kernel")))

    if vm_jobs or "build" in layers:
        if not build_all(results, cpus):
            return finish(results, started)

    stop_event = threading.Event()
    side = None
    if "build" in layers or "host" in layers:
        def side_work():
            if "build" in layers:
                build_clang(results, cpus)
            host_tests(results, cpus)
        side = threading.Thread(target=side_work, daemon=True)
        side.start()

    if vm_jobs:     # while the side builds run: the KVM probe may take 15 s
        try:
            accel, why = sleuthvm.choose_accel(ISO, log_dir=LOGS, verbose=True)
            print("QEMU: %s (%s); up to %d at once" % (accel, why, args.jobs), flush=True)
        except SleuthVMError as e:
            results.report("qemu", False, str(e), always=True)
            vm_jobs = []

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs))
    futures = {pool.submit(fn, *fargs, stop_event): job for job, fn, fargs in vm_jobs}
    try:
        deadline = started + whole_run_timeout
        pending = set(futures)
        while pending:
            done, pending = concurrent.futures.wait(
                pending, timeout=max(1, deadline - time.monotonic()))
            for future in done:
                if future.exception() is not None:
                    exc = future.exception()
                    results.report(futures[future] + "/harness", False, "%s: %s"
                                   % (type(exc).__name__, exc), always=True)
            if pending and time.monotonic() >= deadline:
                stop_event.set()
                SleuthVM.stop_all()
                results.report("timeout", False, "the whole run took over %d s; stopped %s"
                               % (whole_run_timeout, ", ".join(futures[f] for f in pending)),
                               always=True)
                break
        if side is not None:
            side.join(max(1, deadline - time.monotonic()))
    except KeyboardInterrupt:
        stop_event.set()
        SleuthVM.stop_all()
        results.report("interrupted", False, "Ctrl-C or SIGTERM: QEMUs stopped", always=True)
    pool.shutdown(wait=False, cancel_futures=True)
    return finish(results, started)


def interrupted(signum, frame):
    """SIGTERM: as Ctrl-C, stop the QEMUs and say so."""
    raise KeyboardInterrupt


def finish(results, started):
    SleuthVM.stop_all()
    print("Time: %.0f s; logs in %s/" % (time.monotonic() - started, LOGS), flush=True)
    with results.lock:
        results.closed = True
        line = "%d passed, %d failed" % (results.passed, results.failed)
        if results.skipped:
            line += ", %d skipped" % results.skipped
        print(line, flush=True)
        return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
