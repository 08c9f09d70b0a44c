// !vm: physical memory by use and the pool's totals, then, as WinDbg lists
// them, every process's commit: Cid, image and private pages, most first,
// the processes that have exited but are still referenced (zombies, 0
// pages) included, since they stay on PsActiveProcessHead.

#include "kd/kd.h"
#include "mm/mm.h"
#include "ps/ps.h"

#define KD_VM_NO_PROCESSES  0x1         // WinDbg's flag: omit the per-process list
#define KD_VM_MAX_PROCESSES 65536       // sorted; more are listed unsorted after them

typedef struct _KD_VM_PROCESS {
    ULONG64 Address;
    ULONG64 CommitCharge;
} KD_VM_PROCESS;

static KD_VM_PROCESS KdpVmProcesses[KD_VM_MAX_PROCESSES];

typedef struct _KD_VM_WALK {
    ULONG Count;
    ULONG Unsorted;                     // processes beyond the array, printed as met
    ULONG64 TotalCommit;
} KD_VM_WALK;

static void KdpPrintPages(const char *label, ULONG64 pages)
{
    KdpPrint("\t%-22s%10llu (%10llu Kb)\n", label, (unsigned long long)pages,
             (unsigned long long)(pages * PAGE_SIZE / 1024));
}

static ULONG64 KdpProcessCid(ULONG64 address)
{
    ULONG64 cid = 0;

    KdpReadMemory(address + FIELD_OFFSET(EPROCESS, UniqueProcessId), &cid, sizeof(cid));
    return cid;
}

static void KdpPrintVmProcess(ULONG64 address, ULONG64 commit)
{
    char image[PROCESS_IMAGE_NAME_LENGTH + 1];

    KdpReadImageName(address, image, sizeof(image));
    KdpPrint("         %04llx %-15s %10llu (%10llu Kb)\n",
             (unsigned long long)KdpProcessCid(address), image, (unsigned long long)commit,
             (unsigned long long)(commit * PAGE_SIZE / 1024));
}

static BOOLEAN KdpCollectVmProcess(void *context, ULONG64 entry)
{
    KD_VM_WALK *walk = context;
    ULONG64 address = entry - FIELD_OFFSET(EPROCESS, ActiveProcessLinks);
    ULONG64 commit;

    if (!KdpReadMemory(address + FIELD_OFFSET(EPROCESS, CommitCharge), &commit,
                       sizeof(commit))) {
        KdpPrint("Process %016llx: its CommitCharge cannot be read\n",
                 (unsigned long long)address);
        return TRUE;
    }
    walk->TotalCommit += commit;
    if (walk->Count < KD_VM_MAX_PROCESSES) {
        KdpVmProcesses[walk->Count].Address = address;
        KdpVmProcesses[walk->Count].CommitCharge = commit;
        walk->Count++;
    } else {
        walk->Unsorted++;
    }
    return TRUE;
}

// Most commit first; equal commit (the zombies' 0): the higher Cid first,
// as the case study's list of exited processes reads.
static BOOLEAN KdpVmBefore(const KD_VM_PROCESS *a, ULONG64 aCid, const KD_VM_PROCESS *b,
                           ULONG64 bCid)
{
    if (a->CommitCharge != b->CommitCharge)
        return a->CommitCharge > b->CommitCharge;
    return aCid > bCid;
}

// Heap sort: no memory beyond the array, n log n for 30,000 processes.
static void KdpSiftDown(ULONG64 *cids, ULONG root, ULONG count)
{
    for (;;) {
        ULONG child = 2 * root + 1, last = root;

        if (child < count && KdpVmBefore(&KdpVmProcesses[last], cids[last],
                                         &KdpVmProcesses[child], cids[child]))
            last = child;
        if (child + 1 < count && KdpVmBefore(&KdpVmProcesses[last], cids[last],
                                             &KdpVmProcesses[child + 1], cids[child + 1]))
            last = child + 1;
        if (last == root)
            return;
        KD_VM_PROCESS process = KdpVmProcesses[root];
        ULONG64 cid = cids[root];

        KdpVmProcesses[root] = KdpVmProcesses[last];
        cids[root] = cids[last];
        KdpVmProcesses[last] = process;
        cids[last] = cid;
        root = last;
    }
}

static void KdpSortVmProcesses(ULONG count)
{
    static ULONG64 cids[KD_VM_MAX_PROCESSES];

    for (ULONG i = 0; i < count; i++)
        cids[i] = KdpProcessCid(KdpVmProcesses[i].Address);
    // A heap whose root sorts last; each root goes to the end in turn.
    for (ULONG i = count / 2; i-- > 0;)
        KdpSiftDown(cids, i, count);
    for (ULONG end = count; end > 1; end--) {
        KD_VM_PROCESS process = KdpVmProcesses[0];
        ULONG64 cid = cids[0];

        KdpVmProcesses[0] = KdpVmProcesses[end - 1];
        cids[0] = cids[end - 1];
        KdpVmProcesses[end - 1] = process;
        cids[end - 1] = cid;
        KdpSiftDown(cids, 0, end - 1);
    }
}

static BOOLEAN KdpPrintUnsortedVmProcess(void *context, ULONG64 entry)
{
    ULONG *index = context;
    ULONG64 address = entry - FIELD_OFFSET(EPROCESS, ActiveProcessLinks);
    ULONG64 commit = 0;

    if ((*index)++ < KD_VM_MAX_PROCESSES)
        return TRUE;
    KdpReadMemory(address + FIELD_OFFSET(EPROCESS, CommitCharge), &commit, sizeof(commit));
    KdpPrintVmProcess(address, commit);
    return TRUE;
}

KD_COMMAND_RESULT KdpVirtualMemory(int argc, char **argv)
{
    MM_STATISTICS stats;
    SIZE_T nonPagedBytes = 0, pagedBytes = 0;
    ULONG nonPagedAllocs = 0, pagedAllocs = 0;
    ULONG64 flags = 0;
    KD_VM_WALK walk = { 0, 0, 0 };

    if (argc > 2) {
        KdpPrint("Usage: !vm [Flags]\n");
        return KdCommandContinue;
    }
    if (argc == 2 && !KdpGetValue(argv[1], &flags))
        return KdCommandContinue;
    if (flags & ~(ULONG64)KD_VM_NO_PROCESSES) {
        KdpPrint("Flags %llx: only 1 (no per-process list) is supported\n",
                 (unsigned long long)flags);
        return KdCommandContinue;
    }
    MmQueryStatistics(&stats);
    for (ULONG i = 0; i < POOL_TRACKER_TABLE_SIZE; i++) {
        const POOL_TRACKER_TABLE *entry = &PoolTrackTable[i];

        if (!entry->Key)
            continue;
        nonPagedAllocs += entry->NonPagedAllocs - entry->NonPagedFrees;
        pagedAllocs += entry->PagedAllocs - entry->PagedFrees;
        nonPagedBytes += entry->NonPagedBytes;
        pagedBytes += entry->PagedBytes;
    }

    KdpPrint("*** Virtual Memory Usage ***\n");
    KdpPrintPages("Physical Memory:", stats.TotalRamPages);
    KdpPrintPages("Available Pages:", stats.AvailablePages);
    for (ULONG usage = MmUsageFree + 1; usage < MmUsageMaximum; usage++) {
        char label[32];

        RtlStringPrintf(label, sizeof(label), "%s:", MmPageUsageName(usage));
        KdpPrintPages(label, stats.PagesByUsage[usage]);
    }
    KdpPrintPages("Pool pages mapped:", stats.PoolVirtualPagesInUse);
    KdpPrint("\tNonPagedPool Usage:   %10llu bytes in %u allocations\n",
             (unsigned long long)nonPagedBytes, nonPagedAllocs);
    KdpPrint("\tPagedPool Usage:      %10llu bytes in %u allocations\n",
             (unsigned long long)pagedBytes, pagedAllocs);
    KdpPrint("\tHighest physical page: %llx\n", (unsigned long long)stats.HighestPhysicalPage);
    if (flags & KD_VM_NO_PROCESSES)
        return KdCommandContinue;

    KdpWalkList((ULONG64)&PsActiveProcessHead, "PsActiveProcessHead", KdpCollectVmProcess,
                &walk);
    KdpSortVmProcesses(walk.Count);
    KdpPrint("\n");
    KdpPrintPages("Total Private:", walk.TotalCommit);
    for (ULONG i = 0; i < walk.Count; i++)
        KdpPrintVmProcess(KdpVmProcesses[i].Address, KdpVmProcesses[i].CommitCharge);
    if (walk.Unsorted) {
        ULONG index = 0;

        KdpPrint("(%u more processes than !vm sorts, as they are on PsActiveProcessHead:)\n",
                 walk.Unsorted);
        KdpWalkList((ULONG64)&PsActiveProcessHead, "PsActiveProcessHead",
                    KdpPrintUnsortedVmProcess, &index);
    }
    return KdCommandContinue;
}
