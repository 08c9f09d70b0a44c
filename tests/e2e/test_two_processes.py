"""Two user processes sharing memory (GRUB entry "... two processes share
memory", run=sharer,sharer): init starts two copies of sharer.exe; the first
creates \\BaseNamedObjects\\SleuthSharedSection and two named events and
writes a greeting into its view, the second opens the same objects and
reads the greeting through its own view; both then wait on the Quit event.
A student finds all of it with !process, !handle, !object and !thread."""

import re

from e2e import run

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 8}

HEX16 = r"[0-9a-f]{16}"


def sharers(vm):
    """The two sharers' Cids (creator first) from what they printed."""
    creator = re.search(r'^sharer ([0-9a-f]+): created the section, view at %s; '
                        r'wrote "hello from process \1"' % HEX16, vm.output, re.M)
    opener = re.search(r'^sharer ([0-9a-f]+): opened the section, view at %s; '
                       r'read "hello from process ([0-9a-f]+)"' % HEX16, vm.output, re.M)
    assert creator and opener, vm.output
    # What the second read through its view is what the first wrote through its own.
    assert opener.group(2) == creator.group(1), vm.output
    assert opener.group(1) != creator.group(1)
    return int(creator.group(1), 16), int(opener.group(1), 16)


def handles(vm, cid):
    """{name: (handle, object, type)} from !handle 0 3 CID."""
    output = run(vm, "!handle 0 3 %x" % cid, "Image: sharer.exe")
    assert re.search(r"Handle table at %s with 3 entries in use" % HEX16, output), output
    found = {}
    for m in re.finditer(r"^([0-9a-f]{4}): Object: (%s)  GrantedAccess: ([0-9a-f]{8}) Entry: %s\n"
                         r"Object: \2  Type: \(%s\) (\w+)\n"
                         r"    ObjectHeader: %s\n"
                         r"        HandleCount: (\d+)  PointerCount: (\d+)\n"
                         r"        Directory Object: %s  Name: (\S+)$"
                         % (HEX16, HEX16, HEX16, HEX16, HEX16), output, re.M):
        found[m.group(7)] = (m.group(1), m.group(2), m.group(4), int(m.group(5)))
    return found, output


def test_both_sharers_run_under_init(vm):
    creator, opener = sharers(vm)
    init = int(re.search(r"Init: started init\.exe \(Cid ([0-9a-f]+)\)", vm.output).group(1), 16)
    assert "Init: the programs still run after 5000 ms" in vm.output
    output = run(vm, "!process 0 0 sharer.exe", "**** NT ACTIVE PROCESS DUMP ****")
    for cid in (creator, opener):
        assert re.search(r"^    SessionId: 0  Cid: %04x    Peb: 7ffffff00000  ParentCid: %04x$"
                         % (cid, init), output, re.M), output
    assert output.count("    Image: sharer.exe") == 2, output
    assert len(re.findall(r"ObjectTable: %s  HandleCount: 3\.$" % HEX16, output, re.M)) == 2


def test_handle_tables_name_the_same_objects(vm):
    creator, opener = sharers(vm)
    first, output = handles(vm, creator)
    second, _ = handles(vm, opener)
    names = {"SleuthSharedSection": "Section", "SleuthSharedReady": "Event",
             "SleuthSharedQuit": "Event"}
    for name, kind in names.items():
        assert name in first and name in second, output
        # The same object behind both processes' handles, one handle each.
        assert first[name][1] == second[name][1], (name, first, second)
        assert first[name][2] == kind and second[name][2] == kind
        assert first[name][3] == 2
    # Handles in creation order: the section, then the two events.
    assert [first[n][0] for n in ("SleuthSharedSection", "SleuthSharedReady",
                                  "SleuthSharedQuit")] == ["0004", "0008", "000c"]
    assert "GrantedAccess: 000f001f" in output       # SECTION_ALL_ACCESS


def test_object_shows_the_names_and_the_views_references(vm):
    output = run(vm, r"!object \BaseNamedObjects", "Hash Address")
    for name, kind in (("SleuthSharedSection", "Section"), ("SleuthSharedReady", "Event"),
                       ("SleuthSharedQuit", "Event")):
        assert re.search(r"^\s+\d+  %s %-20s %s$" % (HEX16, kind, name), output, re.M), output
    section = run(vm, r"!object \BaseNamedObjects\SleuthSharedSection", "Type: (")
    m = re.search(r"HandleCount: (\d+)  PointerCount: (\d+)", section)
    assert m, section
    # Two handles and two mapped views, each view holding a reference.
    assert int(m.group(1)) == 2 and int(m.group(2)) >= 4, section
    assert "Name: SleuthSharedSection" in section


def test_thread_waits_on_the_quit_event_from_a_system_call(vm):
    creator, _ = sharers(vm)
    quit_event = handles(vm, creator)[0]["SleuthSharedQuit"][1]
    output = run(vm, "!process %x 7" % creator, "Image: sharer.exe")
    assert re.search(r"THREAD %s Cid %04x\.[0-9a-f]{4} Teb: 00007fff[0-9a-f]{8} Win32Thread: %s "
                     r"WAIT: \(UserRequest\) UserMode Non-Alertable$" % (HEX16, creator, HEX16),
                     output, re.M), output
    assert re.search(r"^\s+%s NotificationEvent$" % quit_event, output, re.M), output
    # The stack: the wait, the system service, the system-call entry's trap
    # frame, then sharer.exe's own frames read from its address space.
    assert re.search(r"nt!NtWaitForSingleObject\+0x", output), output
    m = re.search(r"nt!KiSystemCall64\+0x[0-9a-f]+ \(TrapFrame @ fffffa60`[0-9a-f]{8}\)$",
                  output, re.M)
    assert m, output
    user = re.findall(r"^\s+00007ff[0-9a-f]`[0-9a-f]{8} 00000000`[0-9a-f]{8} "
                      r"sharer!\w+(?:\+0x[0-9a-f]+)?$", output[m.end():], re.M)
    assert len(user) >= 3, output
    # Named from sharer.exe's own symbols: its NtWaitForSingleObject system-call
    # routine, then the program's main.
    assert re.search(r" sharer!NtWaitForSingleObject\+0x[0-9a-f]+$", output[m.end():], re.M), \
        output
    assert re.search(r" sharer!main\+0x[0-9a-f]+$", output[m.end():], re.M), output


def test_vad_shows_the_sharers_tree_of_address_ranges(vm):
    creator, _ = sharers(vm)
    output = run(vm, "!process %x 1" % creator, "Image: sharer.exe")
    m = re.search(r"^    VadRoot (%s) Vads (\d+) Private (\d+)\.$" % HEX16, output, re.M)
    assert m, output
    root, count = m.group(1), int(m.group(2))
    # Private pages and CommitCharge are the same count here (no demand paging).
    assert re.search(r"^    CommitCharge {22}%s$" % m.group(3), output, re.M), output
    assert int(m.group(3)) > 0, output
    output = run(vm, "!vad %s" % root,
                 "VAD              level        start          end    commit")
    rows = re.findall(r"^(%s) \(\s*(\d+)\) +([0-9a-f]+) +([0-9a-f]+) +(\d+) (Private|Mapped )"
                      r" (Exe |    ) (\S+)( +Pagefile section, shared commit 0x[0-9a-f]+)?$"
                      % HEX16, output, re.M)
    assert len(rows) == count, output
    # The commit column counts the process's own pages: they add up to its
    # Private count; a view's pages are its section's (shared commit).
    assert sum(int(row[4]) for row in rows) == int(m.group(3)), output
    views = [row for row in rows if row[5] == "Mapped "]
    assert views and all(row[4] == "0" and row[8] for row in views), output
    shared = int(views[0][8].rsplit("0x", 1)[1], 16)
    assert shared == int(views[0][3], 16) - int(views[0][2], 16) + 1, output
    assert re.search(r"^Total VADs: +%d  average level: +\d+  maximum depth: \d+$" % count,
                     output, re.M), output
    starts = [int(row[2], 16) for row in rows]
    assert starts == sorted(starts), output
    # The root is at level 0; the view of the shared section, the PEB page
    # and the parameters, the TEB below it, the stack below 7fff`00000000
    # (64K committed at the top of 128K).
    assert [row for row in rows if row[0] == root and row[1] == "0"], output
    assert any(row[5] == "Mapped " and row[6] == "    " for row in rows), output
    assert ("7ffffff00", "Private", "READWRITE") in [(r[2], r[5], r[7]) for r in rows], output
    assert ("7fffffeff", "7fffffeff", "1", "Private") in [r[2:6] for r in rows], output
    assert ("7ffefffe0", "7ffefffff", "16", "Private") in [r[2:6] for r in rows], output
    one = run(vm, "!vad %s 1" % root, "VAD @ %s" % root, "Height: ")
    assert re.search(r"Start VPN: +[0-9a-f]+  End VPN: +[0-9a-f]+  Commit: \d+", one), one
    run(vm, "!vad 1234", "0000000000001234: cannot be read as a VAD")
