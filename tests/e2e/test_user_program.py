"""The first user program (GRUB entry "Sleuth - demo: a user program",
run=hello): the kernel starts init.exe, init starts hello.exe from the boot
archive, hello prints through NtDisplayString from ring 3 and exits, init
reports it, and the debugger still shows the exited process (init keeps its
handle) at the initial break-in."""

import re

from e2e import run

FIRMWARE = ("bios", "uefi")
VM_OPTIONS = {"menu_entry": 6}


def test_hello_runs_in_user_mode_and_exits_before_the_break_in(vm):
    text = vm.output
    assert 'command line: "run=hello"' in text, "entry 6 booted another command line"
    assert "Hello from user mode: hello.exe is running in ring 3." in text, \
        "no greeting from hello.exe on serial"
    assert 'Init: started init.exe (Cid ' in text and '"init.exe hello"' in text, text
    assert re.search(r"init: started hello \(Cid [0-9a-f]+\)", text), "init did not start hello"
    assert re.search(r"init: hello exited with status 00000000", text), \
        "hello.exe did not exit with status 0"
    assert "faulted" not in text


def test_process_0_0_shows_hello_exited(vm):
    output = run(vm, "!process 0 0 hello.exe", "**** NT ACTIVE PROCESS DUMP ****")
    assert re.search(r"^    Image: hello\.exe \(zombie: exited", output, re.M), output
    # Its parent is init, which started it.
    init = re.search(r"Init: started init\.exe \(Cid ([0-9a-f]+)\)", vm.output)
    assert init, vm.output
    assert "ParentCid: %04x" % int(init.group(1), 16) in output, output
