"""Boot Sleuth in QEMU and talk to its serial console from Python.

    vm = SleuthVM("build/sleuth.iso", uefi=False, menu_entry=0, name="demo")
    vm.start()                          # QEMU, then GRUB's entry 0 (Enter at once)
    vm.wait_for(PROMPT, timeout=60)     # or: vm.boot() for both
    print(vm.command("lm"))             # output between the echo and the next prompt
    vm.type_line("g")                   # typed a key at a time, then CR
    vm.send_raw(b"\x03")                # Ctrl-C: the debugger's break-in key
    vm.stop()

The serial port is QEMU's stdio, on pipes. Everything QEMU prints is kept in
`vm.output`: ANSI escape sequences, carriage returns and NULs removed,
backspaces kept (the line editor moves the cursor with them; `render_line`
replays them). A reader thread copies it to a transcript,
<build>/test-logs/<name>.log, with what was sent marked inline (`⟦type
'lm\r'⟧`, `⟦send '\x03'⟧`), and QEMU's stderr and exit status at the end.

With qmp=True the VM also has a QMP socket: `press_keys` types on the PS/2
keyboard and `screen_text` reads the screen (VGA text under BIOS; under UEFI
a screendump matched against the kernel's font).

Every wait has a timeout, and a wait returns at once if QEMU has exited.
SLEUTH_TIMEOUT_SCALE=N multiplies every timeout (slow machines). No QEMU
outlives the Python program that started it (atexit).

The accelerator: SLEUTH_ACCEL=tcg|kvm, else `choose_accel` ("auto"): KVM only
if /dev/kvm is usable and a probe boot under KVM shows the kernel's first line
("Sleuth 0.1") within 15 s; the answer is cached in <dir of the ISO>/.accel,
so the probe runs once per build directory.
"""

import ast
import atexit
import fcntl
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

PROMPT = re.compile(r"(?m)^\d+: kd> ")
KERNEL_FIRST_LINE = re.compile(r"Sleuth \d+\.\d+ ")      # "Sleuth 0.1 (x86-64)..."
GRUB_MENU = "will be executed automatically"
STUDENT_PROMPT = "Student id (as your lecturer gave it), then Enter:"
GRUB_MENU_DOWN = b"v"
OVMF_CODE = "/usr/share/ovmf/OVMF.fd"
QEMU = "qemu-system-x86_64"
KVM_PROBE_SECONDS = 15
DEBUG_EXIT_PASS = 33
DEBUG_EXIT_FAIL = 35

KEY_DOWN = b"\x1b[B"
KEY_UP = b"\x1b[A"
KEY_LEFT = b"\x1b[D"
KEY_RIGHT = b"\x1b[C"
CTRL_C = b"\x03"
BACKSPACE = b"\x7f"

_ANSI = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]"       # CSI: cursor moves, colours, modes
    r"|\][^\x07\x1b]*(?:\x07|\x1b\\)"   # OSC ... BEL or ST
    r"|[()][0-9A-Za-z]"                 # character set selection
    r"|[ -'*-/]*[0-Z\\^-~])"             # the rest: ESC =, ESC 7, ESC c...
)
_DROP = re.compile(r"[\r\x00\x07\x0e\x0f]")


def timeout_scale():
    try:
        return max(0.1, float(os.environ.get("SLEUTH_TIMEOUT_SCALE", "1")))
    except ValueError:
        return 1.0


class SleuthVMError(Exception):
    """A wait that timed out, or QEMU gone when output was expected."""


class VMTimeout(SleuthVMError):
    pass


class VMExited(SleuthVMError):
    pass


def strip_ansi(text):
    return _DROP.sub("", _ANSI.sub("", text))


def render_line(text):
    """What a terminal shows for one line of echo: printable characters
    overwrite at the cursor, backspace moves it left, CR goes to column 0."""
    cells = []
    cursor = 0
    for ch in text:
        if ch == "\b":
            cursor = max(0, cursor - 1)
        elif ch == "\r":
            cursor = 0
        elif ch == "\n":
            cells, cursor = [], 0
        elif ch >= " ":
            if cursor < len(cells):
                cells[cursor] = ch
            else:
                cells.append(ch)
            cursor += 1
    return "".join(cells).rstrip()


class _Cleaner:
    """Strips escape sequences from a stream that arrives in pieces: an
    unfinished sequence at the end of a piece waits for the next one."""

    def __init__(self):
        self.pending = ""

    def feed(self, text):
        text = self.pending + text
        self.pending = ""
        cut = text.rfind("\x1b")
        if cut >= 0 and len(text) - cut < 64 and not _ANSI.match(text, cut):
            text, self.pending = text[:cut], text[cut:]
        return strip_ansi(text)

    def flush(self):
        text, self.pending = strip_ansi(self.pending), ""
        return text


# ---------------------------------------------------------------- accelerator

def kvm_usable():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    os.close(fd)
    return True


def choose_accel(iso, cache_dir=None, log_dir=None, verbose=False):
    """Returns (accel, why). Probes KVM at most once per build directory."""
    forced = os.environ.get("SLEUTH_ACCEL", "").strip().lower()
    if forced in ("tcg", "kvm"):
        return forced, "SLEUTH_ACCEL=%s" % forced
    if forced not in ("", "auto"):
        raise SleuthVMError("SLEUTH_ACCEL must be tcg, kvm or auto, not %r" % forced)
    if not kvm_usable():
        return "tcg", "no usable /dev/kvm"
    cache_dir = cache_dir or os.path.dirname(os.path.abspath(iso))
    cache = os.path.join(cache_dir, ".accel")
    os.makedirs(cache_dir, exist_ok=True)
    with open(cache + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)     # parallel runners probe once
        try:
            with open(cache) as f:
                accel, _, why = f.read().strip().partition(" ")
            if accel in ("tcg", "kvm"):
                return accel, "cached in %s: %s" % (cache, why)
        except OSError:
            pass
        if verbose:
            print("Probing KVM (at most %d s, once per build directory)..." % KVM_PROBE_SECONDS,
                  flush=True)
        accel, why = _probe_kvm(iso, log_dir)
        with open(cache, "w") as f:
            f.write("%s %s\n" % (accel, why))
        return accel, why


def _probe_kvm(iso, log_dir):
    vm = SleuthVM(iso, accel="kvm", menu_entry=None, name="accel-probe", log_dir=log_dir)
    started = time.monotonic()
    try:
        vm.start()
        deadline = started + KVM_PROBE_SECONDS
        found = vm.wait_for(re.compile(re.escape(GRUB_MENU) + "|" + KERNEL_FIRST_LINE.pattern),
                            timeout=KVM_PROBE_SECONDS, scale=False)
        if not KERNEL_FIRST_LINE.search(found):
            vm.send_raw(b"\r")
            vm.wait_for(KERNEL_FIRST_LINE, timeout=max(0.1, deadline - time.monotonic()),
                        scale=False)
        # Stricter than the first line: a KVM that gets the kernel going but
        # stalls it later would fail every test.
        try:
            vm.wait_for(PROMPT, timeout=max(0.1, deadline - time.monotonic()), scale=False)
        except SleuthVMError:
            return "tcg", "KVM probe: the kernel started but no prompt within %d s" \
                % KVM_PROBE_SECONDS
        return "kvm", "KVM probe reached the prompt in %.1f s" % (time.monotonic() - started)
    except SleuthVMError:
        return "tcg", "KVM probe: no kernel output within %d s" % KVM_PROBE_SECONDS
    finally:
        vm.stop()


# ---------------------------------------------------------------- QEMU

def qemu_command(iso, accel, uefi=False, disk=False, serial=("-serial", "stdio"),
                 display=("-display", "none"), no_reboot=True, debug_exit=True,
                 memory="512M", extra_args=()):
    """The QEMU command line shared by the library and tools/qemu.py."""
    cmd = [QEMU, "-accel", accel, "-m", memory, "-monitor", "none"]
    if accel == "kvm":
        cmd += ["-cpu", "host"]
    if uefi:
        cmd += ["-bios", OVMF_CODE]
    if disk:
        # A raw disk, as `dd` to a USB stick gives; snapshot=on keeps the
        # file untouched and lets parallel VMs share it.
        cmd += ["-drive", "format=raw,file=%s,snapshot=on" % iso]
    else:
        cmd += ["-cdrom", iso]
        if not uefi:
            # SeaBIOS tries the floppy first: a costly timeout under -icount.
            cmd += ["-boot", "order=d"]
    cmd += list(serial) + list(display)
    if no_reboot:
        cmd.append("-no-reboot")
    if debug_exit:
        cmd += ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    return cmd + list(extra_args)


class SleuthVM:
    """One QEMU running Sleuth, serial console on pipes."""

    live = set()            # every running VM, so a runner can stop them all
    _live_lock = threading.Lock()
    _unnamed = 0

    def __init__(self, iso, uefi=False, menu_entry=0, extra_args=(), name=None, accel=None,
                 disk=False, no_reboot=True, memory="512M", log_dir=None, key_delay=0.01,
                 qmp=False, student=None, serial=True):
        self.iso = iso
        self.serial = serial        # False: no COM1 at all (-serial none)
        self.student = student      # an exercise entry's "Student id" prompt gets this
        self.uefi = uefi
        self.firmware = "uefi" if uefi else "bios"
        self.menu_entry = menu_entry
        self.extra_args = list(extra_args)
        if not name:
            with SleuthVM._live_lock:
                SleuthVM._unnamed += 1
                name = "vm-%s-%d-%d" % (self.firmware, os.getpid(), SleuthVM._unnamed)
        self.name = name
        self.accel = accel
        self.disk = disk
        self.no_reboot = no_reboot
        self.memory = memory
        self.log_dir = log_dir or os.path.join(os.path.dirname(os.path.abspath(iso)), "test-logs")
        self.log_path = os.path.join(self.log_dir, self.name + ".log")
        self.key_delay = key_delay
        self.qmp_enabled = qmp      # a QMP socket: screen, PS/2 keyboard
        self._qmp = None
        self._qmp_dir = None
        self._text = ""             # `output` (everything QEMU printed, cleaned)
        self._chunks = []           # ... and what came since, joined when read
        self._text_lock = threading.Lock()
        self.cursor = 0             # where the next wait starts looking
        self.boot_text = ""         # what came before the first prompt (after boot())
        self.proc = None
        self._cond = threading.Condition()
        self._cleaner = _Cleaner()
        self._eof = False
        self._stderr = []
        self._log = None
        self._log_lock = threading.Lock()
        self._threads = []
        self._started_at = None

    @property
    def output(self):
        """Everything QEMU printed, cleaned. The reader thread appends its
        chunks to a list, joined here when someone reads: appending to one
        growing string copied it whole for each chunk, quadratic in a
        listing of megabytes (exercise 002's `!vm` and `!process 0 0`)."""
        with self._text_lock:
            if self._chunks:
                self._text += "".join(self._chunks)
                self._chunks = []
            return self._text

    def _append_output(self, text):
        with self._text_lock:
            self._chunks.append(text)

    # -- lifecycle

    def command_line(self):
        if self.uefi and not os.path.exists(OVMF_CODE):
            raise SleuthVMError("no UEFI firmware at %s (Debian package ovmf)" % OVMF_CODE)
        if self.accel is None:
            self.accel, _ = choose_accel(self.iso, log_dir=self.log_dir)
        extra = list(self.extra_args)
        if self.qmp_enabled:
            self._qmp_dir = self._qmp_dir or tempfile.mkdtemp(prefix="sleuth-qmp-")
            extra += ["-qmp", "unix:%s,server=on,wait=off" % self._qmp_path()]
        return qemu_command(self.iso, self.accel, uefi=self.uefi, disk=self.disk,
                            serial=("-serial", "stdio" if self.serial else "none"),
                            no_reboot=self.no_reboot, memory=self.memory, extra_args=extra)

    def _qmp_path(self):
        return os.path.join(self._qmp_dir, "qmp.sock")

    def start(self):
        """Starts QEMU; with a menu_entry, waits for GRUB's menu and picks it."""
        if not os.path.exists(self.iso):
            raise SleuthVMError("no image %s (make all)" % self.iso)
        if shutil.which(QEMU) is None:
            raise SleuthVMError("%s not found (make deps)" % QEMU)
        cmd = self.command_line()
        os.makedirs(self.log_dir, exist_ok=True)
        self._log = open(self.log_path, "w", encoding="utf-8", errors="replace")
        self._log.write("# %s\n# %s\n\n" % (time.strftime("%Y-%m-%d %H:%M:%S"), " ".join(cmd)))
        self._log.flush()
        self._started_at = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        with SleuthVM._live_lock:
            SleuthVM.live.add(self)
        for target in (self._read_stdout, self._read_stderr):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.menu_entry is not None:
            self.select_menu_entry(self.menu_entry)
            if self.student is not None:
                self.enter_student_id(self.student)
        return self

    def boot(self, timeout=120):
        """start() and wait for the first prompt; returns the boot text."""
        if self.proc is None:
            self.start()
        self.boot_text = self.wait_for(PROMPT, timeout)
        return self.boot_text

    def stop(self):
        """Ends QEMU (if still running) and closes the transcript."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for thread in self._threads:
            thread.join(5)
        if self._qmp is not None:
            self._qmp[0].close()
            self._qmp = None
        if self._qmp_dir:
            shutil.rmtree(self._qmp_dir, ignore_errors=True)
            self._qmp_dir = None
        with SleuthVM._live_lock:
            SleuthVM.live.discard(self)
        with self._log_lock:
            if self._log and not self._log.closed:
                self._log.write(self._cleaner.flush())
                self._log.write("\n\n# QEMU exit status %s after %.1f s\n"
                                % (self.proc.returncode, self.elapsed()))
                if self._stderr:
                    self._log.write("# QEMU stderr:\n" + "".join(self._stderr))
                self._log.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    @classmethod
    def stop_all(cls):
        with cls._live_lock:
            vms = list(cls.live)
        for vm in vms:
            vm.stop()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def elapsed(self):
        return time.monotonic() - self._started_at if self._started_at else 0.0

    def exit_code(self, timeout=30):
        """Waits for QEMU to end by itself; returns its exit status."""
        try:
            code = self.proc.wait(timeout * timeout_scale())
        except subprocess.TimeoutExpired:
            raise VMTimeout("QEMU still running after %.0f s (%s)" % (timeout, self.log_path))
        for thread in self._threads:
            thread.join(5)
        return code

    # -- the reader threads

    def _read_stdout(self):
        fd = self.proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not data:
                break
            text = self._cleaner.feed(data.decode("latin-1"))
            self._append_output(text)
            with self._cond:
                self._cond.notify_all()
            self._write_log(text)
        self._append_output(self._cleaner.flush())
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    @property
    def stderr_text(self):
        """What QEMU has written to stderr so far (its warnings, say)."""
        return "".join(self._stderr)

    def _read_stderr(self):
        for line in iter(self.proc.stderr.readline, b""):
            self._stderr.append(line.decode("utf-8", "replace"))

    def _write_log(self, text):
        with self._log_lock:
            if self._log and not self._log.closed:
                self._log.write(text)
                self._log.flush()

    # -- reading

    def wait_for(self, pattern, timeout=30, scale=True):
        """Waits until `pattern` (text, or a compiled regex) appears after the
        cursor; moves the cursor past it and returns the text up to and
        including the match. Raises VMTimeout, or VMExited if QEMU ended."""
        regex = pattern if hasattr(pattern, "search") else re.compile(re.escape(pattern))
        limit = timeout * (timeout_scale() if scale else 1)
        deadline = time.monotonic() + limit
        searched = 0.0          # when the last search ended, and what it cost
        cost = 0.0
        with self._cond:
            while True:
                # Each search reads everything after the cursor again: at
                # most one search per 4 times its cost, so a listing of
                # megabytes arriving in small chunks costs linear time.
                now = time.monotonic()
                eof = self._eof
                if eof or now - searched >= 4 * cost:
                    output = self.output
                    match = regex.search(output, self.cursor)
                    if match:
                        text = output[self.cursor:match.end()]
                        self.cursor = match.end()
                        self.last_match = match
                        return text
                    searched = time.monotonic()
                    cost = searched - now
                if eof:
                    raise VMExited("QEMU exited (status %s) before %r appeared; "
                                   "last output: %r (%s)"
                                   % (self.proc.poll(), _describe(regex), self.tail(),
                                      self.log_path))
                now = time.monotonic()
                left = deadline - now
                if left <= 0:
                    raise VMTimeout("no %r within %.0f s; last output: %r (%s)"
                                    % (_describe(regex), limit, self.tail(), self.log_path))
                throttle = searched + 4 * cost - now
                self._cond.wait(min(left, throttle) if throttle > 0 else min(left, 0.5))

    def read_available(self, settle=0.0):
        """Waits `settle` seconds, then returns (and consumes) whatever arrived."""
        if settle:
            time.sleep(settle)
        with self._cond:
            output = self.output        # once: a chunk may come in meanwhile
            text = output[self.cursor:]
            self.cursor = len(output)
            return text

    def tail(self, chars=120):
        output = self.output
        return output[max(self.cursor, len(output) - chars):][-chars:]

    # -- writing

    def send_raw(self, data):
        """Sends bytes to the serial port as they are (b'\\x03' is Ctrl-C)."""
        data = data.encode("latin-1") if isinstance(data, str) else data
        self._write_log("⟦send %r⟧" % data.decode("latin-1"))
        self._send(data)

    def _send(self, data):
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise VMExited("QEMU is gone: cannot send %r (%s)" % (data, self.log_path))

    def type_keys(self, keys, delay=None):
        """Sends keys one at a time, like a person typing. A string is typed
        character by character; pass escape sequences (KEY_LEFT...) as their
        own items: type_keys(["ab", KEY_LEFT, "c"])."""
        delay = self.key_delay if delay is None else delay
        if isinstance(keys, (str, bytes)):
            keys = [keys]
        keys = [k.encode("latin-1") if isinstance(k, str) else k for k in keys]
        self._write_log("⟦type %r⟧" % "".join(k.decode("latin-1") for k in keys))
        for chunk in keys:
            pieces = [chunk] if chunk.startswith(b"\x1b") else \
                [chunk[i:i + 1] for i in range(len(chunk))]
            for piece in pieces:
                self._send(piece)
                time.sleep(delay)

    def type_line(self, line, delay=None):
        """Types a line and Enter (CR, as a terminal sends it)."""
        self.type_keys([line, b"\r"], delay)

    def command(self, line, timeout=20):
        """Runs one shell command: returns what it printed between its echo and
        the next prompt, without ANSI sequences or CRs, trailing newline dropped."""
        self.read_available()       # a stale byte must not pass for the echo
        self.type_line(line)
        text = self.wait_for(PROMPT, timeout)
        body = text[:len(text) - len(self.last_match.group(0))]
        _, newline, output = body.partition("\n")
        return output[:-1] if output.endswith("\n") else output

    def resync(self, timeout=10):
        """After a failed step: Ctrl-C, then wait for a prompt. True if one came."""
        try:
            self.send_raw(CTRL_C)
            self.wait_for(PROMPT, timeout)
            self.read_available(0.3)
            return True
        except SleuthVMError:
            return False

    # -- GRUB

    def select_menu_entry(self, n, timeout=90):
        """Waits for GRUB's menu and boots entry n (0 = the first). GRUB says
        nothing about which one it boots: the caller checks what the kernel
        prints (its command line)."""
        self.wait_for(GRUB_MENU, timeout)
        # Under OVMF GRUB draws the menu twice (its serial terminal and the
        # firmware console, also on serial): let it finish before keys go in.
        time.sleep(0.3)
        self.read_available()
        # GRUB's menu takes 'v' for down, as its help line says: one byte,
        # where an arrow key is three that, under OVMF, GRUB's serial
        # terminal and the firmware's console (reading the same port) can
        # split between them, and the key is lost.
        for _ in range(n):
            self.type_keys([GRUB_MENU_DOWN], delay=0.1)
        self.send_raw(b"\r")

    def enter_student_id(self, student, timeout=60):
        """Answers an exercise entry's GRUB prompt for the student's id."""
        self.wait_for(STUDENT_PROMPT, timeout)
        time.sleep(0.2)
        self.read_available()
        self.type_keys(list(student), delay=0.05)
        self.send_raw(b"\r")

    # -- QMP: the machine's screen and PS/2 keyboard (needs qmp=True)

    def qmp(self, execute, timeout=20, **arguments):
        """Runs a QMP command; returns its "return" value."""
        if not self.qmp_enabled:
            raise SleuthVMError("this VM was made without qmp=True")
        deadline = time.monotonic() + timeout * timeout_scale()
        if self._qmp is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            while True:
                try:
                    sock.connect(self._qmp_path())
                    break
                except OSError:
                    if not self.running() or time.monotonic() > deadline:
                        sock.close()
                        raise SleuthVMError("no QMP socket (%s)" % self.log_path)
                    time.sleep(0.1)
            sock.settimeout(timeout * timeout_scale())
            self._qmp = (sock, sock.makefile("rwb"))
            self._qmp_read()                                # the greeting
            self._qmp_send({"execute": "qmp_capabilities"})
        self._qmp_send({"execute": execute, "arguments": arguments} if arguments
                       else {"execute": execute})
        return self._qmp_reply(execute)

    def _qmp_send(self, message):
        self._qmp[1].write(json.dumps(message).encode() + b"\n")
        self._qmp[1].flush()
        if message["execute"] == "qmp_capabilities":
            self._qmp_reply("qmp_capabilities")

    def _qmp_read(self):
        try:
            line = self._qmp[1].readline()
        except OSError as e:
            raise SleuthVMError("QMP: %s (%s)" % (e, self.log_path))
        if not line:
            raise VMExited("QMP connection closed (%s)" % self.log_path)
        return json.loads(line)

    def _qmp_reply(self, execute):
        while True:
            reply = self._qmp_read()
            if "event" in reply:
                continue
            if "error" in reply:
                raise SleuthVMError("QMP %s: %s" % (execute, reply["error"].get("desc")))
            return reply.get("return")

    def press_keys(self, text, delay=0.03, echo=False):
        """Types on the keyboard (PS/2 or USB, not the serial line): characters
        of `text`, "\n" for Enter; `KEYS` names (e.g. "<left>", "<ctrl-c>")
        too. With `echo`, each printable character is sent only once the one
        before it has come back on the serial line, as a person types who
        watches the screen: a guest the host starves then cannot fall behind
        by more than a key (QEMU's USB keyboard keeps 16 events and drops the
        rest)."""
        self._write_log("⟦keyboard %r⟧" % text)
        for token in re.findall(r"<[a-z0-9_-]+>|.", text, re.S):
            if token.startswith("<") and len(token) > 1:
                keys = token[1:-1].split("-")
                keys = ["ctrl" if k == "ctrl" else KEY_NAMES.get(k, k) for k in keys]
            else:
                keys = _qcodes(token)
            start = len(self.output)
            self.qmp("send-key", keys=[{"type": "qcode", "data": k} for k in keys])
            if echo and len(token) == 1 and token.isprintable():
                self.wait_for_echo(token, start)
            time.sleep(delay)

    def wait_for_echo(self, text, start, timeout=10):
        """Waits (without moving the cursor) until `text` shows in the output
        after offset `start`; False if it has not within `timeout`."""
        deadline = time.monotonic() + timeout * timeout_scale()
        with self._cond:
            while text not in self.output[start:]:
                left = deadline - time.monotonic()
                if left <= 0 or self._eof:
                    return False
                self._cond.wait(min(left, 0.2))
        return True

    def screen_text(self):
        """The screen as lines of text. Under BIOS the kernel keeps VGA text
        mode: the characters are read from 0xB8000. Under UEFI it draws into
        the framebuffer with its own font: a screendump is read back cell by
        cell against that font (FONT_FILE)."""
        if not self.uefi:
            return self._vga_text()
        return self._framebuffer_text()

    def _vga_text(self, columns=80, rows=25):
        path = os.path.join(self._qmp_dir, "vga.bin")
        self.qmp("pmemsave", val=0xB8000, size=columns * rows * 2, filename=path)
        with open(path, "rb") as f:
            data = f.read()
        return [bytes(data[(r * columns + c) * 2] for c in range(columns))
                .decode("latin-1").rstrip() for r in range(rows)]

    def _framebuffer_text(self):
        path = os.path.join(self._qmp_dir, "screen.ppm")
        self.qmp("screendump", filename=path)
        width, height, pixels = _read_ppm(path)
        glyphs = load_font()
        # The console draws on black: a pixel is lit when its green is not 0.
        lit = pixels[1::3].translate(bytes([0] + [1] * 255))
        row_bits = {}
        lines = []
        for row in range(height // 16):
            line = []
            for column in range(width // 8):
                cell = []
                for y in range(16):
                    at = (row * 16 + y) * width + column * 8
                    chunk = lit[at:at + 8]
                    bits = row_bits.get(chunk)
                    if bits is None:
                        bits = row_bits[chunk] = int("".join(map(str, chunk)), 2)
                    cell.append(bits)
                cell = tuple(cell)
                # The cursor is an underline over the cell's last two lines.
                line.append(glyphs.get(cell) or glyphs.get(cell[:14] + (0, 0)) or "?")
            lines.append("".join(line).rstrip())
        return lines

    def wait_for_screen(self, pattern, timeout=60):
        """Polls the screen until `pattern` (text or regex) shows; returns the
        screen's text."""
        regex = pattern if hasattr(pattern, "search") else re.compile(re.escape(pattern))
        limit = timeout * timeout_scale()
        deadline = time.monotonic() + limit
        while True:
            text = "\n".join(self.screen_text())
            if regex.search(text):
                return text
            if not self.running():
                raise VMExited("QEMU exited before %r showed on the screen (%s)"
                               % (_describe(regex), self.log_path))
            if time.monotonic() > deadline:
                self._write_log("\n# The screen at the timeout:\n%s\n" % text)
                shown = [line for line in text.split("\n") if line.strip()][-3:]
                raise VMTimeout("no %r on the screen within %.0f s; it ends: %r (%s)"
                                % (_describe(regex), limit, "\n".join(shown), self.log_path))
            time.sleep(0.5)


FONT_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "arch", "x86_64", "font8x16.c")
_font = None

KEY_NAMES = {"enter": "ret", "bs": "backspace", "esc": "esc", "up": "up", "down": "down",
             "left": "left", "right": "right", "home": "home", "end": "end", "del": "delete"}
_SHIFTED = {"!": "1", "@": "2", "#": "3", "$": "4", "%": "5", "^": "6", "&": "7", "*": "8",
            "(": "9", ")": "0", "_": "minus", "+": "equal", "{": "bracket_left",
            "}": "bracket_right", "|": "backslash", ":": "semicolon", '"': "apostrophe",
            "<": "comma", ">": "dot", "?": "slash", "~": "grave_accent"}
_PLAIN = {" ": "spc", "\n": "ret", "\r": "ret", "\t": "tab", "-": "minus", "=": "equal",
          "[": "bracket_left", "]": "bracket_right", "\\": "backslash", ";": "semicolon",
          "'": "apostrophe", ",": "comma", ".": "dot", "/": "slash", "`": "grave_accent",
          "\b": "backspace"}


def _qcodes(ch):
    if ch.islower() or ch.isdigit():
        return [ch]
    if ch.isupper():
        return ["shift", ch.lower()]
    if ch in _PLAIN:
        return [_PLAIN[ch]]
    if ch in _SHIFTED:
        return ["shift", _SHIFTED[ch]]
    raise SleuthVMError("no key for %r" % ch)


def load_font(path=FONT_FILE):
    """The kernel's console font, from its source: {16 row bytes: character}."""
    global _font
    if _font is None:
        with open(path) as f:
            source = f.read()
        _font = {}
        for m in re.finditer(r"GLYPH\(('(?:\\.|[^'])'),((?:\s*\"[.#]{8}\",?){16})\s*\)", source):
            character = ast.literal_eval(m.group(1))
            rows = re.findall(r"\"([.#]{8})\"", m.group(2))
            key = tuple(int(r.replace("#", "1").replace(".", "0"), 2) for r in rows)
            _font.setdefault(key, character)
        if not _font:
            raise SleuthVMError("no glyphs found in %s" % path)
    return _font


def _read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    fields = re.match(rb"P6\s+(?:#.*\s+)*(\d+)\s+(\d+)\s+(\d+)\s", data)
    if not fields:
        raise SleuthVMError("screendump %s is not a P6 PPM" % path)
    width, height = int(fields.group(1)), int(fields.group(2))
    return width, height, data[fields.end():]


# No QEMU outlives the program that started it.
atexit.register(SleuthVM.stop_all)


def _describe(regex):
    return regex.pattern.replace("\\", "") if len(regex.pattern) < 60 else regex.pattern[:60]
