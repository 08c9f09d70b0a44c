"""x2APIC mode on an emulator that has it (docs/scheduler.md, "Processors").
QEMU 7.2's TCG does not emulate x2APIC (test_apic_modes.py checks that the
kernel keeps xAPIC mode there); Bochs 2.7 does, with its Haswell model. The
ISO boots under Bochs' BIOS with four processors: the boot log must say
x2APIC mode, the three others start (INIT and SIPIs through the x2APIC
ICR), the debugger freezes them (an IPI each), `g` and a break-in freeze
them again. Skipped when Bochs is not installed (tools/deps.sh installs it).
Bochs runs at about 100 million instructions a second: a boot to the prompt
takes about two minutes."""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from e2e import Skip, short

FIRMWARE = ("bios",)

BOCHSRC = """megs: 512
cpu: model=corei7_haswell_4770, count=4, ips=100000000
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
ata0-master: type=cdrom, path=%(iso)s, status=inserted
boot: cdrom
com1: enabled=1, mode=socket-server, dev=localhost:%(port)d
display_library: term
log: %(log)s
panic: action=fatal
"""


class Bochs:
    """Bochs with its serial port on a TCP socket; its debugger told to go
    on at once, its text screen on a pseudo-terminal (script(1))."""

    def __init__(self, iso, workdir):
        with socket.socket() as probe:
            probe.bind(("localhost", 0))
            self.port = probe.getsockname()[1]
        config = os.path.join(workdir, "bochsrc")
        commands = os.path.join(workdir, "commands")
        with open(config, "w") as f:
            f.write(BOCHSRC % {"iso": os.path.abspath(iso), "port": self.port,
                               "log": os.path.join(workdir, "bochs.log")})
        with open(commands, "w") as f:
            f.write("c\n")
        self.proc = subprocess.Popen(
            ["script", "-qc", "nice -n 10 bochs -q -f %s -rc %s" % (config, commands), "/dev/null"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            cwd=workdir, start_new_session=True)
        self.sock = None
        for _ in range(60):
            try:
                self.sock = socket.create_connection(("localhost", self.port))
                break
            except OSError:
                time.sleep(1)
        assert self.sock, "Bochs did not open its serial port"
        self.sock.settimeout(0.5)
        self.text = ""
        self.cursor = 0

    def wait_for(self, pattern, timeout):
        end = time.time() + timeout
        while True:
            m = re.compile(pattern).search(self.text, self.cursor)
            if m:
                self.cursor = m.end()
                return self.text[:m.end()]
            if time.time() > end:
                raise AssertionError("no %r within %d s; last output: %s"
                                     % (pattern, timeout, short(self.text[-400:], 400)))
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            if not data:
                raise AssertionError("Bochs closed its serial port: %s" % short(self.text[-400:]))
            self.text += data.decode("utf-8", "replace").replace("\r", "")

    def command(self, line, timeout=60):
        start = len(self.text)
        for ch in line + "\r":
            self.sock.send(ch.encode())
            time.sleep(0.02)
        self.wait_for(r"\d: kd> $", timeout)
        return self.text[start:]

    def stop(self):
        if self.sock:
            self.sock.close()
        # Bochs' debugger takes SIGTERM for itself: the group is killed.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def test_four_processors_in_x2apic_mode(iso):
    if not shutil.which("bochs") or not os.path.exists("/usr/share/bochs/BIOS-bochs-latest") \
            or not shutil.which("script"):
        raise Skip("Bochs is not installed (tools/deps.sh)")
    with tempfile.TemporaryDirectory(prefix="sleuth-bochs-") as workdir:
        bochs = Bochs(iso, workdir)
        try:
            text = bochs.wait_for(r"0: kd> $", 600)
            assert "APIC: x2APIC mode (MSRs), boot processor's APIC id 0\n" in text, \
                short(text[text.find("Sleuth 0.1"):], 600)
            for n in (1, 2, 3):
                assert re.search(r"^Processor %d started \(APIC id %d\)" % (n, n), text, re.M), \
                    "processor %d: %s" % (n, short(text[-800:], 800))
            output = bochs.command("!running -i")
            assert "System Processors:  (000000000000000f)" in output, short(output, 600)
            assert "Idle Processors:  (000000000000000e)" in output, short(output, 600)
            bochs.command("~3")
            output = bochs.command("!prcb")
            assert re.search(r"Local APIC id 3; frozen by (IPI|NMI)", output), short(output, 600)
            bochs.command("~0")
            bochs.sock.send(b"g\r")
            bochs.wait_for(r"g\n", 30)
            time.sleep(3)
            bochs.sock.send(b"\x03")
            bochs.wait_for(r"0: kd> $", 120)
            output = bochs.command("version")
            assert "Processors: 4;" in output, short(output, 600)
        finally:
            bochs.stop()
