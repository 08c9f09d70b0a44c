"""!object and !handle on the demo scenario (GRUB entry "Sleuth - demo:
threads in known waits", demo=waits): the boot-time namespace (\\,
\\ObjectTypes, \\BaseNamedObjects...) and the two handles the demo opens in
the System process (kernel/kd/demo.c): 0004 to \\BaseNamedObjects and 0008
to the sleeper thread. Every error path ends in one clear line."""

import re

from e2e import lines, one_line, qword_at, run

FIRMWARE = ("bios", "uefi")
VM_OPTIONS = {"menu_entry": 4}

HEX16 = r"[0-9a-f]{16}"
BOOT_DIRECTORIES = ["BaseNamedObjects", "ObjectTypes", "RPC Control", "Windows"]
BOOT_TYPES = ["Type", "Directory", "SymbolicLink"]


def header(output):
    """The Object:/ObjectHeader/counts/name lines of an !object paragraph."""
    m = re.search(r"^Object: (%s)  Type: \((%s)\) (\S+)\n"
                  r"    ObjectHeader: (%s)\n"
                  r"    HandleCount: (\d+)  PointerCount: (\d+)\n"
                  r"(?:    Directory Object: ([0-9a-f]+)  Name: (.*)\n)?"
                  % (HEX16, HEX16, HEX16), output, re.M)
    assert m, "no !object header in %r" % output
    return m


def entries(output):
    """{name: (address, type)} from a directory listing."""
    table = output.split("    ---- -------          ----                 ----\n", 1)
    assert len(table) == 2, "no directory table in %r" % output
    found = {}
    for line in lines(table[1]):
        m = re.match(r"^     (?:\d\d|  )  (%s) (\S+)\s+(.+)$" % HEX16, line)
        assert m, "odd directory line %r" % line
        found[m.group(3)] = (m.group(1), m.group(2))
    return found


def test_root_directory_lists_the_boot_directories(vm):
    output = run(vm, "!object \\", "Hash Address          Type                 Name")
    m = header(output)
    assert m.group(3) == "Directory" and m.group(8) == "\\" and m.group(7) == "00000000", output
    # OBJECT_HEADER is 0x50 bytes: counts, type, type list, name info, flags,
    # security descriptor, the pool quota charged for it (block, charges).
    assert int(m.group(4), 16) == int(m.group(1), 16) - 0x50, "header is not just before body"
    listed = entries(output)
    for name in BOOT_DIRECTORIES:
        assert name in listed and listed[name][1] == "Directory", (name, output)
    # The type printed is the Directory type object, itself in \ObjectTypes.
    types = entries(run(vm, "!object \\ObjectTypes"))
    assert types["Directory"][0] == m.group(2), (types, m.group(2))


def test_object_types_holds_the_types_and_a_type_is_of_type_type(vm):
    output = run(vm, "!object \\ObjectTypes")
    m = header(output)
    root = header(run(vm, "!object \\")).group(1)
    assert m.group(7) == root and m.group(8) == "ObjectTypes", output
    listed = entries(output)
    for name in BOOT_TYPES:
        assert listed.get(name, (None, None))[1] == "Type", (name, output)
    type_type = run(vm, "!object \\ObjectTypes\\Type")
    t = header(type_type)
    assert t.group(1) == listed["Type"][0] and t.group(2) == t.group(1), \
        "the Type type is not its own type: %r" % type_type
    # By address, the same object; the path is case-insensitive.
    assert header(run(vm, "!object %s" % t.group(1))).group(1) == t.group(1)
    assert header(run(vm, "!object \\objecttypes\\DIRECTORY")).group(1) == listed["Directory"][0]


def test_base_named_objects_and_flags(vm):
    output = run(vm, "!object \\BaseNamedObjects")
    m = header(output)
    assert m.group(8) == "BaseNamedObjects" and int(m.group(5)) == 1, \
        "the demo's System handle should count: %r" % output
    line = one_line(vm, "!object \\BaseNamedObjects 0")
    assert re.match(r"^Object: %s  Type: \(%s\) Directory$" % (HEX16, HEX16), line), line


def test_bad_paths_and_addresses_give_one_line(vm):
    assert one_line(vm, "!object \\NoSuchThing") == "Object \\NoSuchThing not found"
    assert one_line(vm, "!object \\ObjectTypes\\Type\\x") == \
        "Object \\ObjectTypes\\Type\\x not found: \\ObjectTypes\\Type is a Type, not a directory"
    assert "ends with a backslash" in one_line(vm, "!object \\ObjectTypes\\")
    line = one_line(vm, "!object nt!KeTickCount")
    assert re.match(r"^%s is not an object: its header's Type %s is not an object type$"
                    % (HEX16, HEX16), line), line
    assert "cannot be read" in one_line(vm, "!object 10")


def test_object_0_lists_every_object_of_a_type(vm):
    # \, \ObjectTypes, the four boot directories, and the I/O manager's
    # \Device, \Driver, \FileSystem and \??.
    output = run(vm, "!object 0 Directory", "Scanning Directory objects", "10 Directory objects")
    assert output.count("Type: (") == 10, output


def test_handle_of_the_system_process(vm):
    output = run(vm, "!handle 0 3 4", "PROCESS ", "Image: System")
    m = re.search(r"^    DirBase: [0-9a-f]+  ObjectTable: (%s)  HandleCount: 2\.$" % HEX16,
                  output, re.M)
    assert m, output
    assert "Handle table at %s with 2 entries in use" % m.group(1) in output, output
    directory = header(run(vm, "!object \\BaseNamedObjects")).group(1)
    sleeper = "%016x" % qword_at(vm, "nt!KdDemoSleeperThread")
    assert re.search(r"^0004: Object: %s  GrantedAccess: 00000003 Entry: %s$"
                     % (directory, HEX16), output, re.M), output
    assert re.search(r"^0008: Object: %s  GrantedAccess: 00100000 Entry: %s$"
                     % (sleeper, HEX16), output, re.M), output
    assert re.search(r"^Object: %s  Type: \(%s\) Thread\n    ObjectHeader: %s\n"
                     r"        HandleCount: 1  PointerCount: \d+$" % (sleeper, HEX16, HEX16),
                     output, re.M), output
    assert "        Directory Object: " in output and "Name: BaseNamedObjects" in output


def test_handle_one_handle_flags_type_filter_and_errors(vm):
    output = run(vm, "!handle 8 1 4")
    assert re.search(r"^0008: Object: ", output, re.M) and "Type: (" not in output, output
    output = run(vm, "!handle 0 3 4 Directory")
    assert "0004: Object" in output and "0008: Object" not in output, output
    assert re.search(r"^0010: free handle, Entry address %s" % HEX16,
                     run(vm, "!handle 10 3 4"), re.M)
    assert "Invalid handle 0006: handles are multiples of 4" in run(vm, "!handle 6 3 4")
    assert one_line(vm, "!handle 0 3 7ffc") == "No active process has Cid 7ffc"
    # -1 (the default) is the current thread's process: System at this break-in.
    assert "Image: System" in run(vm, "!handle")


def test_process_shows_the_handle_count(vm):
    output = run(vm, "!process 4 0")
    assert re.search(r"ObjectTable: %s  HandleCount: 2\.$" % HEX16, output, re.M), output


def test_help_lists_the_object_commands(vm):
    output = run(vm, "help", "!object", "!handle")
    assert re.search(r"^  !object +\S", output, re.M) and re.search(r"^  !handle +\S", output,
                                                                    re.M), output
    assert run(vm, "help !handle").startswith("!handle [handle [flags [process [TypeName]]]]")
