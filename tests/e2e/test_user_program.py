"""The first user program (GRUB entry "Sleuth - demo: a user program",
run=hello): hello.exe is loaded from the boot archive, prints through
NtDisplayString from ring 3, ends with NtTerminateProcess, and the debugger
still shows the exited process at the initial break-in."""

import re

from e2e import run

FIRMWARE = ("bios", "uefi")
VM_OPTIONS = {"menu_entry": 6}


def test_hello_runs_in_user_mode_and_exits_before_the_break_in(vm):
    text = vm.output
    assert 'command line: "run=hello"' in text, "entry 6 booted another command line"
    assert "Hello from user mode: hello.exe is running in ring 3." in text, \
        "no greeting from hello.exe on serial"
    assert re.search(r"Run: hello\.exe exited with status 00000000", text), \
        "hello.exe did not exit with status 0"
    assert "faulted" not in text


def test_process_0_0_shows_hello_exited(vm):
    output = run(vm, "!process 0 0 hello.exe", "**** NT ACTIVE PROCESS DUMP ****")
    assert re.search(r"^    Image: hello\.exe \(zombie: exited", output, re.M), output
    assert "ParentCid: 0004" in output, output
