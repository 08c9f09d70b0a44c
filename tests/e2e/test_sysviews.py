"""Pool and system views on the demo scenario (GRUB entry "Sleuth - demo:
threads in known waits", demo=waits), which holds a zombie process
(zombie.exe: exited, still referenced), read as the case studies read them:
!vm's per-process list (Cid, image, commit) checked row by row against
!process, the zombie's row included; !pool ADDR 2 on the zombie's EPROCESS
block; !poolused sorted by tag and by bytes; !session; !process's DeviceMap
(one DEVICE_MAP naming \\??, shared by every process, dt nt!_DEVICE_MAP) and
QuotaPoolUsage lines in WinDbg's places."""

import re

from e2e import lines, qword_at, run, short

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 4}

HEX16 = r"[0-9a-f]{16}"
VM_ROW = re.compile(r"^         ([0-9a-f]{4,}) (.{15}) +(\d+) \( +(\d+) Kb\)$")


def processes(vm):
    """{cid: (address, image, commit charge, zombie?)} from !process 0 1."""
    output = run(vm, "!process 0 1", "**** NT ACTIVE PROCESS DUMP ****")
    found = {}
    for block in re.split(r"^PROCESS ", output, flags=re.M)[1:]:
        m = re.match(r"(%s)\n    SessionId: \S+  Cid: ([0-9a-f]+) " % HEX16, block)
        assert m, "!process 0 1: %s" % short(block)
        image = re.search(r"^    Image: (\S+)( \(zombie)?", block, re.M)
        commit = re.search(r"^    CommitCharge {22}(\d+)$", block, re.M)
        assert image and commit, "!process 0 1: %s" % short(block)
        found[int(m.group(2), 16)] = (m.group(1), image.group(1), int(commit.group(1)),
                                      bool(image.group(2)))
    return found


def test_vm_lists_every_process_with_its_commit_zombies_included(vm):
    known = processes(vm)
    output = run(vm, "!vm", "*** Virtual Memory Usage ***", "Total Private:")
    total = re.search(r"^\tTotal Private: +(\d+) \( +(\d+) Kb\)$", output, re.M)
    assert total, short(output)
    rows = [VM_ROW.match(line) for line in output.split("Total Private:")[1].split("\n")[1:]
            if line.strip()]
    assert all(rows), output
    seen = {}
    for row in rows:
        cid, image, commit, kb = int(row.group(1), 16), row.group(2).strip(), \
            int(row.group(3)), int(row.group(4))
        assert cid in known, "!vm row for Cid %x, not in !process 0 1" % cid
        address, name, charge, zombie = known[cid]
        # Field by field, as !process shows the same process.
        assert (image, commit, kb) == (name, charge, charge * 4), (row.group(0), known[cid])
        if zombie:
            assert commit == 0, row.group(0)
        seen[cid] = commit
    assert set(seen) == set(known), "!vm: %s; !process: %s" % (sorted(seen), sorted(known))
    assert sum(seen.values()) == int(total.group(1)), output
    # Most commit first; equal commit, the higher Cid first.
    keys = [(seen[int(r.group(1), 16)], int(r.group(1), 16)) for r in rows]
    assert keys == sorted(keys, reverse=True), keys
    # The zombie, as the case study's rows read: "Cid zombie.exe 0 ( 0 Kb)".
    zombies = [r.group(0) for r in rows if r.group(2).strip() == "zombie.exe"]
    assert len(zombies) == 1 and re.match(r"^         [0-9a-f]{4,} zombie\.exe {6} +0 "
                                          r"\( +0 Kb\)$", zombies[0]), zombies
    # Live user processes are charged for what they hold.
    assert any(c > 0 for c in seen.values()), seen
    # Flag 1: the system part only.
    assert "Total Private" not in run(vm, "!vm 1", "Physical Memory:")


def test_pool_flag_2_shows_the_zombies_process_block(vm):
    zombie = "%016x" % qword_at(vm, "nt!KdDemoZombieProcess")
    output = run(vm, "!pool %s 2" % zombie)
    got = lines(output)
    assert len(got) == 3, output
    assert re.match(r"^Pool page %s region is Nonpaged pool$" % zombie, got[0]), got
    m = re.match(r"^\*(%s) size: +([0-9a-f]+) previous size: +([0-9a-f]+)  \(Allocated\) "
                 r"\*Proc$" % HEX16, got[1])
    assert m, got
    start, size = int(m.group(1), 16), int(m.group(2), 16)
    assert start < int(zombie, 16) < start + size, got
    assert got[2] == "\t\tPooltag Proc : Process objects, Binary : nt!ps", got
    # Without the flag the page's other blocks are listed too, the same block starred.
    whole = run(vm, "!pool %s" % zombie)
    assert m.group(0) in whole and len(lines(whole)) >= 3, whole


def test_poolused_sorts_by_tag_and_by_nonpaged_bytes(vm):
    for flags, column, header in (("", None, "Tag"), ("2", 2, "NonPaged Pool Consumed"),
                                  ("4", 4, "Paged Pool Consumed")):
        output = run(vm, "!poolused %s" % flags, "   Sorting by  %s\n" % header,
                     " Tag    Allocs     Used    Allocs     Used\n")
        rows = re.findall(r"^ (.{4})\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)(.*)$", output, re.M)
        assert len(rows) >= 20, output
        if column is None:
            assert [r[0] for r in rows] == sorted(r[0] for r in rows), rows
        else:
            values = [int(r[column]) for r in rows]
            assert values == sorted(values, reverse=True), values
        # Every tag the system uses is described (pooltag.txt).
        assert all(", Binary: " in r[5] for r in rows), [r for r in rows if "Binary" not in r[5]]
    thre = [r for r in rows if r[0] == "Thre"]
    assert thre and thre[0][5] == "Thread objects , Binary: nt!ps", thre


def test_session_lists_the_sessions_of_the_processes(vm):
    output = run(vm, "!session", "Sessions on machine: ", "Valid Sessions: ")
    count = int(re.search(r"^Sessions on machine: (\d+)$", output, re.M).group(1))
    ids = re.search(r"^Valid Sessions:((?: \d+)*)$", output, re.M).group(1).split()
    assert len(ids) == count and "0" in ids, output
    used = set(re.findall(r"^    SessionId: (\d+)  ", run(vm, "!process 0 0"), re.M))
    assert used == set(ids), (used, ids)


def test_process_shows_the_device_map_and_the_pool_quota(vm):
    output = run(vm, "!process 0 1", "**** NT ACTIVE PROCESS DUMP ****")
    maps, charged = set(), {}
    for block in re.split(r"^PROCESS ", output, flags=re.M)[1:]:
        image = re.search(r"^    Image: (\S+)", block, re.M).group(1)
        names = [line.split()[0] for line in block.split("\n")[3:] if line.startswith("    ")]
        if image == "Idle":
            assert "DeviceMap" not in names and "QuotaPoolUsage[PagedPool]" not in names, block
            continue
        # WinDbg's order: VadRoot, DeviceMap, Token, times, quota, sizes.
        assert names[names.index("DeviceMap") + 1] == "Token", block
        at = names.index("KernelTime")
        assert names[at + 1:at + 3] == ["QuotaPoolUsage[PagedPool]",
                                        "QuotaPoolUsage[NonPagedPool]"], block
        device = re.search(r"^    DeviceMap {25}(%s)$" % HEX16, block, re.M)
        paged = re.search(r"^    QuotaPoolUsage\[PagedPool\] {9}(\d+)$", block, re.M)
        nonpaged = re.search(r"^    QuotaPoolUsage\[NonPagedPool\] {6}(\d+)$", block, re.M)
        assert device and paged and nonpaged, block
        maps.add(device.group(1))
        # Objects are nonpaged pool: nothing is charged to paged pool.
        assert int(paged.group(1)) == 0, block
        charged[image] = int(nonpaged.group(1))
    # The System process and lsass (its port, its events) made objects and
    # hold handles: charged for them. The demo's zombie (a kernel thread's
    # process) made none.
    assert charged["System"] > 0 and charged["lsass.exe"] > 0, charged
    assert charged["zombie.exe"] == 0, charged
    # One map, the system's, shared by every process; it names \??.
    assert len(maps) == 1, maps
    device = maps.pop()
    output = run(vm, "dt nt!_DEVICE_MAP %s" % device, "DosDevicesDirectory")
    directory = re.search(r"\+0x000 DosDevicesDirectory : 0x([0-9a-f`]+)$", output, re.M)
    assert directory, output
    output = run(vm, "!object %s" % directory.group(1).replace("`", ""), "Directory")
    assert re.search(r"Name: \?\?$", output, re.M), output
