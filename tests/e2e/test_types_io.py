"""The third case study's type steps on the I/O demo (demo=io): `?? sizeof(
nt!_ETHREAD)` against the thread's pool block (`!pool ADDR 2`, as the case
study reads a worker's block), `dt nt!_FILE_OBJECT ADDR FileName` on the
file the hung create is for, ?? casts and member access on the same
objects, and a driver's own types (`dt mup!...`)."""

import re

from e2e import ADDRESS, lines, run, short

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 11}

HEX16 = r"[0-9a-f]{16}"


def demo_thread(vm):
    m = re.search(r"Demo: thread (%s) waits in \\FileSystem\\Mup" % HEX16, vm.boot_text)
    assert m, "the demo did not start: %s" % short(vm.boot_text[-600:])
    return m.group(1)


def kd(address):
    """KD's form of a 64-bit address: fffffa80`00012050."""
    return "%s`%s" % (address[:8], address[8:])


def test_sizeof_ethread_fits_the_threads_pool_block(vm):
    thread = demo_thread(vm)
    output = run(vm, "?? sizeof(nt!_ETHREAD)")
    m = re.match(r"^unsigned int64 0x([0-9a-f]+)$", output.strip())
    assert m, output
    size = int(m.group(1), 16)
    pool = run(vm, "!pool %s 2" % thread, "region is Nonpaged pool")
    block = re.search(r"^\*(%s) size: +([0-9a-f]+) previous size: +[0-9a-f]+ +\(Allocated\) "
                      r"+\*Thre" % HEX16, pool, re.M)
    assert block, pool
    start, length = int(block.group(1), 16), int(block.group(2), 16)
    header = re.search(r"ObjectHeader: (%s)" % HEX16, run(vm, "!object " + thread)).group(1)
    # The block holds the pool header, the object header, then the ETHREAD.
    assert start < int(header, 16) < int(thread, 16), (pool, header)
    assert int(thread, 16) + size <= start + length, (hex(size), pool)
    # The same size from the MASM side: the last field's end.
    assert size >= int(run(vm, "? #FIELD_OFFSET(nt!_ETHREAD, IrpList) + 10").split()[2]), size


def test_dt_file_object_filename_as_the_case_study(vm):
    thread = demo_thread(vm)
    output = run(vm, "!thread " + thread, "IRP List:\n")
    irps = re.findall(r"^    (%s): \(0006," % HEX16, output, re.M)
    files = set()
    for irp in irps:
        m = re.search(r"^Tail\.Overlay\.OriginalFileObject = (%s)$" % HEX16,
                      run(vm, "!irp %s 1" % irp), re.M)
        if m and int(m.group(1), 16):
            files.add(m.group(1))
    assert files, irps
    for file_object in files:
        row = lines(run(vm, "dt nt!_FILE_OBJECT %s FileName" % file_object))
        assert row == ['   +0x058 FileName : _UNICODE_STRING '
                       '"\\DC005.contoso.com\\PIPE\\lsarpc"'], row
        whole = run(vm, "dt nt!_FILE_OBJECT " + file_object)
        assert ('   +0x058 FileName         : _UNICODE_STRING '
                '"\\DC005.contoso.com\\PIPE\\lsarpc"\n') in whole, whole
        device = re.search(r"^   \+0x008 DeviceObject     : 0x(%s)$" % ADDRESS, whole, re.M)
        assert device, whole
        # dt follows the pointers of a path, as WinDbg's.
        rows = lines(run(vm, "dt nt!_FILE_OBJECT %s DeviceObject.DriverObject.DriverName"
                         % file_object))
        assert rows[0] == "   +0x008 DeviceObject : 0x" + device.group(1), rows
        assert re.match(r"^      \+0x008 DriverObject : 0x%s$" % ADDRESS, rows[1]), rows
        assert re.match(r'^         \+0x038 DriverName : _UNICODE_STRING '
                        r'"\\(FileSystem|Driver)\\\w+"$', rows[2]), rows
        # ?? reaches the same device and its driver's name through casts.
        cpp = run(vm, "?? ((nt!_FILE_OBJECT *)0x%s)->DeviceObject" % file_object).strip()
        assert cpp == "struct _DEVICE_OBJECT * 0x" + device.group(1), cpp
        name = run(vm, "?? ((nt!_FILE_OBJECT *)0x%s)->DeviceObject->DriverObject->DriverName"
                   % file_object)
        # A counted string: its text on the first line, then its fields.
        assert re.match(r'^struct _UNICODE_STRING "\\(FileSystem|Driver)\\\w+"$',
                        name.split("\n")[0]), name
        assert re.search(r"^   \+0x000 Length           : 0x[0-9a-f]+$", name, re.M), name


def test_dt_thread_fields_agree_with_thread(vm):
    thread = demo_thread(vm)
    output = run(vm, "!thread " + thread)
    cid = re.search(r"Cid ([0-9a-f]{4})\.([0-9a-f]{4})", output)
    owner = re.search(r"^Owning Process (%s) " % HEX16, output, re.M).group(1)
    rows = lines(run(vm, "dt nt!_ETHREAD %s Tcb.ApcState.Process" % thread))
    assert rows[-1].endswith(" Process : 0x" + kd(owner)), rows
    unique = run(vm, "?? ((nt!_ETHREAD *)0x%s)->Cid.UniqueThread" % thread).strip()
    assert unique == "void * 0x00000000`%08x" % int(cid.group(2), 16), unique
    # The wait reason by its enum name, through a cast to the enum.
    reason = run(vm, "?? (nt!_KWAIT_REASON)((nt!_KTHREAD *)0x%s)->WaitReason" % thread)
    assert reason.strip() == "_KWAIT_REASON Executive (0n0)", reason


def test_dt_knows_the_drivers_types(vm):
    names = run(vm, "dt mup!_MUP*")
    assert re.search(r"^          mup!_MUP_QUERY_PATH$", names, re.M), names
    layout = lines(run(vm, "dt mup!_MUP_QUERY_PATH"))
    assert layout and all(re.match(r"^   \+0x[0-9a-f]{3} \w+ +: \S", r) for r in layout), layout
    run(vm, "dt smb!_MUP_QUERY_PATH", "Symbol smb!_MUP_QUERY_PATH not found.")
    # The NDK's types as a driver sees them: the same layout as nt's.
    assert run(vm, "dt mup!_IRP") == run(vm, "dt nt!_IRP")
