"""The third case study's I/O hang in miniature (GRUB entry "... a thread
waits on an IRP pending in a driver", demo=io), found the way the case study
finds it: `!thread` on the hung thread shows two IRPs on its IRP List;
`!irpfind 0 0 thread T` finds the same two and the driver each sits in;
`!irp` on each shows its stack locations, the create current in
\\FileSystem\\Mup under the filter manager's completion routine (fltMgr
attaches over Mup as over the file system), Mup's query pending in
\\Driver\\Smb; `dt nt!_FILE_OBJECT ADDR FileName` and `!fileobj` name the
path the create was for; `!devstack` and `!drvobj` show the devices those
IRPs name. The three drivers are images of their own (mup.sys, smb.sys,
and mupflt.sys, a minifilter of fltMgr.sys): `lm` lists them, and every
frame and routine reads mod!Function."""

import re

from e2e import ADDRESS, lines, run, short

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 11}

HEX16 = r"[0-9a-f]{16}"


def demo_thread(vm):
    m = re.search(r"Demo: thread (%s) waits in \\FileSystem\\Mup for an IRP pending in "
                  r"\\Driver\\Smb" % HEX16, vm.boot_text)
    assert m, "the demo did not start: %s" % short(vm.boot_text[-600:])
    return m.group(1)


def irp_list(vm, thread):
    output = run(vm, "!thread " + thread, "IRP List:\n")
    rows = re.findall(r"^    (%s): \(0006,([0-9a-f]{4})\) Flags: ([0-9a-f]{8})  Mdl: 00000000$"
                      % HEX16, output, re.M)
    return output, rows


def test_thread_shows_two_irps_on_its_irp_list(vm):
    output, rows = irp_list(vm, demo_thread(vm))
    assert len(rows) == 2, short(output)
    assert re.search(r"^THREAD %s Cid 0004\.[0-9a-f]{4} .* WAIT: \(Executive\) KernelMode "
                     r"Alertable$" % demo_thread(vm), output, re.M), short(output)
    irp_list_at = output.index("IRP List:")
    assert irp_list_at < output.index("Owning Process"), short(output)
    # The stack: the thread waits in Mup, called through the filter manager
    # (fltMgr!FltpCreate over mup!MupCreate, as the case study reads).
    frames = re.findall(r"^[0-9a-f]{8}`[0-9a-f]{8} [0-9a-f]{8}`[0-9a-f]{8} (\S+?)\+0x[0-9a-f]+$",
                        output, re.M)
    # Innermost first: the wait in Mup, Mup called by fltMgr, each frame
    # the caller of the one above it; below them the open that started it.
    inner = ["nt!KeWaitForSingleObject", "nt!FsRtlCancellableWaitForMultipleObjects",
             "nt!FsRtlCancellableWaitForSingleObject", "mup!MupLocateUncProviderForPath",
             "mup!MupiCallUncProvider", "mup!MupStateMachine", "mup!MupCreate",
             "nt!IoCallDriver", "fltMgr!FltpLegacyProcessingAfterPreCallbacksCompleted",
             "fltMgr!FltpCreate", "nt!IoCallDriver"]
    assert inner[0] in frames, "stack: %s" % short(output)
    at = frames.index(inner[0])
    assert frames[at:at + len(inner)] == inner, "stack: %s" % short(output)
    below = frames[at + len(inner):]
    for frame in ("nt!IopParseDevice", "nt!IoCreateFile", "nt!KdDemoSvcOpenUncPath"):
        assert frame in below, "%s not below the filter: %s" % (frame, short(output))
    assert below.index("nt!IopParseDevice") < below.index("nt!IoCreateFile") < \
        below.index("nt!KdDemoSvcOpenUncPath"), "stack: %s" % short(output)


def test_irpfind_by_thread_finds_the_same_irps_and_their_drivers(vm):
    thread = demo_thread(vm)
    _, rows = irp_list(vm, thread)
    output = run(vm, "!irpfind 0 0 thread " + thread,
                 "Looking for IRPs with thread == %s\n" % thread,
                 "Scanning large pool allocation table for Tag: Irp? (",
                 "Searching NonPaged pool (fffffa8000000000 : fffffa8100000000) for Tag: Irp?",
                 "  Irp    [ Thread ] irpStack: (Mj,Mn)   DevObj  [Driver]         MDL Process\n",
                 "\n2 IRPs found")
    found = re.findall(r"^(%s) \[(%s)\] irpStack: \( ([0-9a-f]), 0\)  (%s) \[ (\\\S+)\]$"
                       % (HEX16, HEX16, HEX16), output, re.M)
    assert sorted(f[0] for f in found) == sorted(r[0] for r in rows), short(output)
    assert all(f[1] == thread for f in found), found
    # The create (major 0) in Mup, the query (e) in the transport.
    assert sorted((f[4], f[2]) for f in found) == [("\\Driver\\Smb", "e"),
                                                   ("\\FileSystem\\Mup", "0")], found


def irps_by_driver(vm, thread):
    """{driver name: (IRP, device)} from !irpfind 0 0 thread T."""
    output = run(vm, "!irpfind 0 0 thread " + thread)
    return {f[2]: (f[0], f[1]) for f in re.findall(
        r"^(%s) \[%s\] irpStack: \( [0e], 0\)  (%s) \[ (\\\S+)\]$" % (HEX16, thread, HEX16),
        output, re.M)}


def test_irp_shows_each_location_its_driver_and_completion_routine(vm):
    thread = demo_thread(vm)
    found = irps_by_driver(vm, thread)
    mup_irp, mup = found["\\FileSystem\\Mup"]
    smb_irp, smb = found["\\Driver\\Smb"]

    output = run(vm, "!irp " + mup_irp)
    rows = output.split("\n")
    assert re.match(r"^Irp is active with 2 stacks 1 is current \(= 0x%s\)$" % HEX16,
                    rows[0]), rows[0]
    assert re.match(r"^ No Mdl: No System Buffer: Thread %s:  Irp stack trace\.  $"
                    % thread, rows[1]), rows[1]
    assert rows[2] == "     cmd  flg cl Device   File     Completion-Context", rows[2]
    # The create's Flags (flg) are the I/O manager's; Control is fltMgr's
    # ask, its context the event it waits on.
    m = re.match(r"^>\[  0, 0\] +[0-9a-f]+ e0 %s (%s) %s-%s Success Error Cancel $"
                 % (mup, HEX16, HEX16, HEX16), rows[3])
    assert m, rows[3]
    file_object = m.group(1)
    assert rows[4] == ("             \\FileSystem\\Mup  "
                       "fltMgr!FltpSynchronizedOperationCompletion"), rows[4]
    assert rows[5].startswith("                   Args: "), rows[5]
    assert re.match(r"^ \[  0, 0\] +[0-9a-f]+  0 %s %s 00000000-00000000    $"
                    % (HEX16, file_object), rows[6]), rows[6]
    assert rows[7] == "             \\FileSystem\\FltMgr  ", rows[7]

    output = run(vm, "!irp " + smb_irp)
    rows = output.split("\n")
    assert re.match(r"^Irp is active with 1 stacks 1 is current", rows[0]), rows[0]
    # Mup's completion routine, without a context.
    assert re.match(r"^>\[  e, 0\]   0 e1 %s 00000000 %s-00000000 Success Error Cancel pending$"
                    % (smb, HEX16), rows[3]), rows[3]
    assert rows[4] == "             \\Driver\\Smb  mup!MupiQueryPathCompletionRoutine", \
        rows[4]
    output = run(vm, "!irp %s 1" % smb_irp, "Flags = ", "Tail.Overlay.Thread = %s\n" % thread)


def test_the_create_names_its_file_as_the_case_study_reads_it(vm):
    mup_irp, _ = irps_by_driver(vm, demo_thread(vm))["\\FileSystem\\Mup"]
    output = run(vm, "!irp %s 1" % mup_irp)
    file_object = re.search(r"^Tail\.Overlay\.OriginalFileObject = (%s)$" % HEX16, output,
                            re.M).group(1)
    line = lines(run(vm, "dt nt!_FILE_OBJECT %s FileName" % file_object))
    assert line == ['   +0x058 FileName : _UNICODE_STRING "\\DC005.contoso.com\\PIPE\\lsarpc"'], \
        line
    run(vm, "!fileobj " + file_object, "\n\\DC005.contoso.com\\PIPE\\lsarpc\n\n",
        re.compile(r"Device Object: 0x%s   \\FileSystem\\Mup\n" % HEX16))
    run(vm, "!object " + file_object, ") File\n",
        "Name: \\DC005.contoso.com\\PIPE\\lsarpc {Mup}")


def test_devstack_drvobj_and_devobj_name_the_same_devices(vm):
    thread = demo_thread(vm)
    devices = {driver: irp_device[1]
               for driver, irp_device in irps_by_driver(vm, thread).items()}
    output = run(vm, "!devstack \\Device\\Mup")
    rows = lines(output)
    assert rows[0] == "  !DevObj           !DrvObj           !DevExt           ObjectName", rows
    assert re.match(r"^  %s  \\FileSystem\\FltMgr  [0-9a-f]{8,16}  $" % HEX16, rows[1]), rows
    assert re.match(r"^> %s  \\FileSystem\\Mup   [0-9a-f]{8,16}  Mup$"
                    % devices["\\FileSystem\\Mup"], rows[2]), rows
    assert len(rows) == 3, rows

    output = run(vm, "!drvobj Smb", "Driver object (", ") is for:\n \\Driver\\Smb\n",
                 "Device Object list:\n%s" % devices["\\Driver\\Smb"])
    output = run(vm, "!drvobj \\FileSystem\\Mup 2", "[00] IRP_MJ_CREATE",
                 "mup!MupCreate", "nt!IopInvalidDeviceRequest")
    output = run(vm, "!devobj Mup",
                 "Device object (%s) is for:\n Mup \\FileSystem\\Mup DriverObject "
                 % devices["\\FileSystem\\Mup"], "AttachedDevice (Upper) ",
                 "Characteristics (0x00000010)  FILE_REMOTE_DEVICE\n")
    assert "\\FileSystem\\FltMgr" in output, short(output)


def test_drvobj_names_a_loaded_drivers_routines_by_its_module(vm):
    """The null driver is its own image (null.sys): its dispatch routines
    read null!Routine, the ones it left alone nt!IopInvalidDeviceRequest."""
    output = run(vm, "!drvobj Null 2", "Driver object (", ") is for:\n \\Driver\\Null\n")
    assert re.search(r"^DriverEntry:   %s\tnull!DriverEntry$" % HEX16, output, re.M), short(output)
    assert re.search(r"^\[00\] IRP_MJ_CREATE {22}%s\tnull!\w+$" % HEX16, output, re.M), \
        short(output)
    assert re.search(r"^\[0e\] IRP_MJ_DEVICE_CONTROL {14}%s\tnt!IopInvalidDeviceRequest$"
                     % HEX16, output, re.M), short(output)
    output = run(vm, "!devstack Null")
    assert re.match(r"^> %s  \\Driver\\Null      [0-9a-f]{8,16}  Null$" % HEX16,
                    lines(output)[1]), short(output)


def test_lm_lists_the_demo_drivers_with_their_ranges(vm):
    """The three drivers are modules of their own, loaded after the boot
    drivers in their order (transport, Mup, filter), each with its range in
    the driver region; the routines the IRPs name lie in those ranges."""
    output = run(vm, "lm", "start             end                 module name")
    rows = re.findall(r"^(%s) (%s)   (\S+) +\(elf symbols: \d+\) +(\S+)$" % (ADDRESS, ADDRESS),
                      output, re.M)
    modules = {name: (int(start.replace("`", ""), 16), int(end.replace("`", ""), 16), image)
               for start, end, name, image in rows}
    names = [row[2] for row in rows]
    for name in ("smb", "mup", "mupflt"):
        assert name in modules, "%s not in lm: %s" % (name, short(output, 900))
        start, end, image = modules[name]
        assert image == name + ".sys", rows
        assert start >= 0xffffffffc0000000 and end > start, (name, hex(start), hex(end))
    assert names.index("smb") < names.index("mup") < names.index("mupflt"), names
    ranges = sorted(modules[name][:2] for name in ("smb", "mup", "mupflt"))
    assert all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:])), ranges

    # Mup's completion routine on the transport's IRP is Mup's code.
    smb_irp, _ = irps_by_driver(vm, demo_thread(vm))["\\Driver\\Smb"]
    row = run(vm, "!irp " + smb_irp).split("\n")[3]
    routine = int(re.search(r" (%s)-00000000 " % HEX16, row).group(1), 16)
    assert modules["mup"][0] <= routine < modules["mup"][1], (hex(routine), modules["mup"])
    run(vm, "lm m mup*", "   mup ", "   mupflt ")
