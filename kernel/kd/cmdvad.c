// !vad: a process's VAD tree (mm/vad.c) as WinDbg's !vad shows one, from
// the root VAD that `!process ... 1` names (VadRoot): one line per VAD in
// address order with its level in the tree, its first and last page
// numbers, the process's own committed pages in it, its type and its
// protection (and a view's section's shared commit), then the count, the
// average level and the depth. `!vad ADDR 1` details one VAD
// (Sleuth's own wording: its links, its subtree summary, its owner).
// Every VAD is read fault-safe and the walk is bounded, so a wrong address
// gives a line saying why, never a fault.

#include "kd/kd.h"
#include "ps/ps.h"
#include "mm/mi.h"

#define KD_VAD_MAX_DEPTH 64     // an AVL tree of 2^44 VADs is less deep

typedef struct _KD_VAD_WALK {
    ULONG64 DirectoryTableBase;     // the owner's address space, 0 if not found
    ULONG Count;
    ULONG64 LevelSum;
    ULONG MaximumLevel;
    BOOLEAN Stopped;
} KD_VAD_WALK;

static const char *KdpProtectionName(ULONG protect)
{
    switch (protect) {
    case PAGE_NOACCESS:
        return "NO_ACCESS";
    case PAGE_READONLY:
        return "READONLY";
    case PAGE_READWRITE:
        return "READWRITE";
    case PAGE_EXECUTE:
        return "EXECUTE";
    case PAGE_EXECUTE_READ:
        return "EXECUTE_READ";
    case PAGE_EXECUTE_READWRITE:
        return "EXECUTE_READWRITE";
    default:
        return "?";
    }
}

// The process's own committed pages in [first, last], as WinDbg's commit
// column counts them: a view's pages are its section's (shown as the
// section's shared commit), not the process's. Skips the span of every
// missing page table, so a reservation of terabytes is quick.
static ULONG64 KdpCommittedPages(ULONG64 directoryTableBase, ULONG_PTR first, ULONG_PTR last)
{
    ULONG64 end = (last + 1) << PAGE_SHIFT, count = 0;

    if (!directoryTableBase)
        return 0;
    for (ULONG64 va = first << PAGE_SHIFT; va < end;) {
        ULONG64 *pte = MiGetUserPte(directoryTableBase, va, FALSE);

        if (!pte) {
            va = MiNextMappedAddress(directoryTableBase, va);
            continue;
        }
        if (*pte && !(*pte & MM_PTE_SECTION_PAGE))
            count++;
        va += PAGE_SIZE;
    }
    return count;
}

// The process whose VAD tree holds the VAD at `address` (found by its
// first page from each process's root); 0 when none does.
static ULONG64 KdpVadOwner(ULONG64 address, ULONG_PTR startingVpn)
{
    ULONG64 entry = (ULONG64)PsActiveProcessHead.Flink;

    for (ULONG i = 0; entry != (ULONG64)&PsActiveProcessHead && i < KD_MAX_LIST_ENTRIES; i++) {
        ULONG64 process = entry - FIELD_OFFSET(EPROCESS, ActiveProcessLinks);
        ULONG64 vad = 0;
        MMVAD node;

        if (!KdpReadMemory(process + FIELD_OFFSET(EPROCESS, VadRoot.Root), &vad, sizeof(vad)))
            return 0;
        for (ULONG depth = 0; vad && depth < KD_VAD_MAX_DEPTH; depth++) {
            if (vad == address)
                return process;
            if (!KdpReadMemory(vad, &node, sizeof(node)))
                break;
            vad = (ULONG64)(startingVpn < node.StartingVpn ? node.LeftChild : node.RightChild);
        }
        if (!KdpReadMemory(entry, &entry, sizeof(entry)))
            return 0;
    }
    return 0;
}

#define KD_SECTION_FRAMES_AT_ONCE 64

// A view's section's committed pages (its frames that exist), as WinDbg's
// "Pagefile section, shared commit"; FALSE when the section cannot be read.
static BOOLEAN KdpSectionCommit(ULONG64 sectionAddress, ULONG64 *commit)
{
    PFN_NUMBER frames[KD_SECTION_FRAMES_AT_ONCE];
    SECTION section;

    *commit = 0;
    if (!KdpReadMemory(sectionAddress, &section, sizeof(section)) ||
        section.NumberOfPages > MM_USER_PROBE_ADDRESS >> PAGE_SHIFT)
        return FALSE;
    for (PFN_NUMBER done = 0; done < section.NumberOfPages;) {
        PFN_NUMBER chunk = section.NumberOfPages - done;

        if (chunk > KD_SECTION_FRAMES_AT_ONCE)
            chunk = KD_SECTION_FRAMES_AT_ONCE;
        if (!KdpReadMemory((ULONG64)(ULONG_PTR)(section.PageFrames + done), frames,
                           chunk * sizeof(frames[0])))
            return FALSE;
        for (PFN_NUMBER i = 0; i < chunk; i++)
            *commit += frames[i] != 0;
        done += chunk;
    }
    return TRUE;
}

static void KdpPrintVadTree(KD_VAD_WALK *walk, ULONG64 address, ULONG level)
{
    MMVAD vad;

    if (!address || walk->Stopped)
        return;
    if (level >= KD_VAD_MAX_DEPTH || walk->Count >= KD_MAX_LIST_ENTRIES ||
        !KdpReadMemory(address, &vad, sizeof(vad))) {
        KdpPrint("%016llx: cannot be read as a VAD (or the tree is too deep): stopping\n",
                 (unsigned long long)address);
        walk->Stopped = TRUE;
        return;
    }
    KdpPrintVadTree(walk, (ULONG64)vad.LeftChild, level + 1);
    if (walk->Stopped)
        return;
    KdpPrint("%016llx (%2u) %12llx %12llx %9llu %-7s %-4s %s", (unsigned long long)address,
             level, (unsigned long long)vad.StartingVpn, (unsigned long long)vad.EndingVpn,
             (unsigned long long)KdpCommittedPages(walk->DirectoryTableBase, vad.StartingVpn,
                                                   vad.EndingVpn),
             vad.Type == MEM_PRIVATE ? "Private" : "Mapped", vad.Type == MEM_IMAGE ? "Exe" : "",
             KdpProtectionName(vad.AllocationProtect));
    // A view of a section (every section here is backed by memory, NT's
    // "pagefile-backed"): what the section has committed, shared by its views.
    if (vad.Type == MEM_MAPPED && vad.Section) {
        ULONG64 shared;

        if (KdpSectionCommit((ULONG64)(ULONG_PTR)vad.Section, &shared))
            KdpPrint("%*sPagefile section, shared commit 0x%llx",
                     (int)(18 - strlen(KdpProtectionName(vad.AllocationProtect))), "",
                     (unsigned long long)shared);
        else
            KdpPrint("  (section %016llx cannot be read)",
                     (unsigned long long)(ULONG_PTR)vad.Section);
    }
    KdpPrint("\n");
    walk->Count++;
    walk->LevelSum += level;
    if (level > walk->MaximumLevel)
        walk->MaximumLevel = level;
    KdpPrintVadTree(walk, (ULONG64)vad.RightChild, level + 1);
}

static void KdpPrintOneVad(ULONG64 address, ULONG64 directoryTableBase)
{
    MMVAD vad;

    if (!KdpReadMemory(address, &vad, sizeof(vad))) {
        KdpPrint("%016llx: cannot be read as a VAD\n", (unsigned long long)address);
        return;
    }
    KdpPrint("VAD @ %016llx\n", (unsigned long long)address);
    KdpPrint("  Start VPN: %12llx  End VPN: %12llx  Commit: %llu  %s%s %s\n",
             (unsigned long long)vad.StartingVpn, (unsigned long long)vad.EndingVpn,
             (unsigned long long)KdpCommittedPages(directoryTableBase, vad.StartingVpn,
                                                   vad.EndingVpn),
             vad.Type == MEM_PRIVATE ? "Private" : "Mapped", vad.Type == MEM_IMAGE ? " Exe" : "",
             KdpProtectionName(vad.AllocationProtect));
    KdpPrint("  Parent: %016llx  Left: %016llx  Right: %016llx  Height: %u\n",
             (unsigned long long)(ULONG_PTR)vad.Parent,
             (unsigned long long)(ULONG_PTR)vad.LeftChild,
             (unsigned long long)(ULONG_PTR)vad.RightChild, vad.Height);
    KdpPrint("  Subtree: VPN %llx to %llx, largest hole %llx pages\n",
             (unsigned long long)vad.SubtreeStartingVpn,
             (unsigned long long)vad.SubtreeEndingVpn, (unsigned long long)vad.LargestGap);
    if (vad.OwningThread)
        KdpPrint("  TEB or stack of thread %016llx\n",
                 (unsigned long long)(ULONG_PTR)vad.OwningThread);
    if (vad.Type == MEM_MAPPED)
        KdpPrint("  Section: %016llx  first section page %llx\n",
                 (unsigned long long)(ULONG_PTR)vad.Section,
                 (unsigned long long)vad.FirstSectionPage);
}

KD_COMMAND_RESULT KdpVad(int argc, char **argv)
{
    ULONG64 address, flags = 0, owner, directoryTableBase = 0;
    KD_VAD_WALK walk;
    MMVAD vad;

    if (argc < 2 || argc > 3) {
        KdpPrint("Usage: !vad VAD-root [1]   (the root: !process ... 1, VadRoot)\n");
        return KdCommandContinue;
    }
    if (!KdpGetValue(argv[1], &address) || (argc == 3 && !KdpGetValue(argv[2], &flags)))
        return KdCommandContinue;
    if (!KdpReadMemory(address, &vad, sizeof(vad))) {
        KdpPrint("%016llx: cannot be read as a VAD\n", (unsigned long long)address);
        return KdCommandContinue;
    }
    owner = KdpVadOwner(address, vad.StartingVpn);
    if (owner)
        KdpReadMemory(owner + FIELD_OFFSET(EPROCESS, Pcb.DirectoryTableBase),
                      &directoryTableBase, sizeof(directoryTableBase));
    if (flags & 1) {
        KdpPrintOneVad(address, directoryTableBase);
        return KdCommandContinue;
    }
    memset(&walk, 0, sizeof(walk));
    walk.DirectoryTableBase = directoryTableBase;
    KdpPrint("VAD              level        start          end    commit\n");
    KdpPrintVadTree(&walk, address, 0);
    KdpPrint("\nTotal VADs: %5u  average level: %4llu  maximum depth: %u\n", walk.Count,
             (unsigned long long)(walk.Count ? (walk.LevelSum + walk.Count / 2) / walk.Count : 0),
             walk.MaximumLevel);
    if (!owner)
        KdpPrint("(no process's tree holds it: commit not counted)\n");
    return KdCommandContinue;
}
