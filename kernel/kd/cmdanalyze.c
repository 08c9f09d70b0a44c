// !analyze -hang: the report a student would write about a hung system,
// from the live structures only. The blocked threads, grouped by the root
// their chains lead to (the forest of !waitchain -a), each root with the
// chain from its longest-blocked thread, its module, how long, and the
// cycle if there is one; then the system facts that matter to a hang:
// worker queues with pending items and their dynamic threads, LPC ports
// with requests nobody has received, pool tags that grew since boot or the
// last break-in, and processes that ended but are still referenced (zombies).

#include "kd/kdwaitcmd.h"
#include "arch/x86_64/hal.h"
#include "kd/kdlpc.h"
#include "ex/ex.h"
#include "mm/mm.h"

#define KD_ANALYZE_ROOTS        10      // roots reported in full
#define KD_ANALYZE_MAX_PORTS    8
#define KD_ANALYZE_TAGS         8
#define KD_ANALYZE_IMAGES       16
#define KD_ANALYZE_SECONDS      1

static const char *const KdpAnalyzeQueueNames[MaximumWorkQueue] = {
    "Critical", "Delayed", "HyperCritical",
};

// The pool tracker as it was when the kernel finished starting, then each
// time the system resumes from the debugger: a report says which tags grew
// since boot, or since the last break-in, from the first report on.
typedef enum _KD_POOL_BASELINE {
    KdPoolBaselineNone,
    KdPoolBaselineBoot,
    KdPoolBaselineBreakIn,
} KD_POOL_BASELINE;

static POOL_TRACKER_TABLE KdpAnalyzePoolSnapshot[POOL_TRACKER_TABLE_SIZE];
static ULONG64 KdpAnalyzeSnapshotTick;
static KD_POOL_BASELINE KdpAnalyzeSnapshotKind;

void KdpRecordPoolBaseline(BOOLEAN breakIn)
{
    if (!KdpReadMemory((ULONG64)PoolTrackTable, KdpAnalyzePoolSnapshot,
                       sizeof(KdpAnalyzePoolSnapshot))) {
        KdpAnalyzeSnapshotKind = KdPoolBaselineNone;
        return;
    }
    KdpAnalyzeSnapshotTick = KeTickCount;
    KdpAnalyzeSnapshotKind = breakIn ? KdPoolBaselineBreakIn : KdPoolBaselineBoot;
}

void KdRecordPoolBaseline(void)
{
    KdpRecordPoolBaseline(FALSE);
}

// ---- Roots ---------------------------------------------------------------------------------

// The thread the break-in interrupted, when it runs at DISPATCH_LEVEL or
// above: it keeps its processor from every thread, whatever they wait on.
static BOOLEAN KdpAnalyzeRaisedIrql(ULONG64 *thread)
{
    KD_WAIT_STEP step;

    *thread = KdpCurrentThread();
    if (!KdpState.Active || KdpState.Reason != KdReasonBreakIn || !*thread ||
        !KdpWaitStep(*thread, 0, &step))
        return FALSE;
    return step.End == KdWaitRunning && step.IrqlKnown && step.Irql >= DISPATCH_LEVEL;
}

static void KdpAnalyzeRoots(void)
{
    KD_WAIT_FOREST *forest = &KdpWaitForest;
    ULONG blocked = 0, first = 0;
    ULONG64 spinner;

    for (ULONG i = 0; i < KdpWaitIndex.Count; i++)
        blocked += forest->Nodes[i].Blocked;
    if (KdpAnalyzeRaisedIrql(&spinner)) {
        first = 1;
        KdpPrint("HANG ANALYSIS: processor %u is held at %s by THREAD %016llx; %u threads "
                 "blocked %u s or more lead to %u other roots\n", KeGetCurrentProcessorNumber(),
                 KdpIrqlName(KdpState.EntryIrql), (unsigned long long)spinner, blocked,
                 KD_ANALYZE_SECONDS, forest->Roots);
        KdpPrint("\nROOT 1: THREAD %016llx runs at %s on processor %u and keeps it: no thread "
                 "of lower IRQL runs there, whatever it waits for\n", (unsigned long long)spinner,
                 KdpIrqlName(KdpState.EntryIrql), KeGetCurrentProcessorNumber());
        KdpWaitPrintChain(spinner, "    ");
    } else {
        KdpPrint("HANG ANALYSIS: %u threads blocked %u s or more lead to %u roots\n", blocked,
                 KD_ANALYZE_SECONDS, forest->Roots);
    }
    for (ULONG r = 0; r < forest->Roots && r < KD_ANALYZE_ROOTS && !KdpCancelled(); r++) {
        LONG root = forest->RootList[r];
        LONG farthest = root, longest = -1;
        char blocked[40];

        // The chain shown starts at the thread farthest from the root, the
        // longest blocked of those; the age reported is the longest of the
        // whole group, which may be a thread nearer the root.
        for (ULONG i = 0; i < KdpWaitIndex.Count; i++) {
            const KD_WAIT_NODE *node = &forest->Nodes[i], *best = &forest->Nodes[farthest];

            if (node->Root < 0 || forest->Nodes[node->Root].Leader != root || !node->Blocked)
                continue;
            if (!best->Blocked || node->Depth > best->Depth ||
                (node->Depth == best->Depth &&
                 KdpWaitIndex.Threads[i].WaitTime < KdpWaitIndex.Threads[farthest].WaitTime))
                farthest = (LONG)i;
            if (longest < 0 ||
                KdpWaitIndex.Threads[i].WaitTime < KdpWaitIndex.Threads[longest].WaitTime)
                longest = (LONG)i;
        }
        KdpWaitFormatBlocked(KdpWaitIndex.Threads[longest < 0 ? farthest : longest].WaitTime,
                             blocked, sizeof(blocked));
        if (forest->Nodes[root].GroupTrees > 1)
            KdpPrint("\nROOT %u: %u threads in %u chains end at the same %s %016llx, which "
                     "no thread owns; the longest blocked %s\n", r + 1 + first,
                     forest->Nodes[root].GroupSize, forest->Nodes[root].GroupTrees,
                     forest->Nodes[root].End == KdWaitDriver
                         ? "driver"
                         : KdpWaitObjectKindAt(forest->Nodes[root].Object),
                     (unsigned long long)forest->Nodes[root].Object, blocked);
        else
            KdpPrint("\nROOT %u: %u threads lead to THREAD %016llx; the longest blocked %s\n",
                     r + 1 + first, forest->Nodes[root].GroupSize,
                     (unsigned long long)KdpWaitIndex.Threads[root].Address, blocked);
        if (forest->Nodes[root].InCycle)
            KdpWaitPrintCycle(root);
        KdpWaitPrintChain(KdpWaitIndex.Threads[farthest].Address, "    ");
    }
    if (forest->Roots > KD_ANALYZE_ROOTS)
        KdpPrint("\n... %u more roots (!waitchain -a lists them all)\n",
                 forest->Roots - KD_ANALYZE_ROOTS);
}

// ---- Worker queues ----------------------------------------------------------------------

typedef struct _KD_ANALYZE_WORKERS {
    ULONG64 Queue;
    ULONG Blocked;
    ULONG Total;
} KD_ANALYZE_WORKERS;

static BOOLEAN KdpAnalyzeWorker(void *context, ULONG64 entry)
{
    KD_ANALYZE_WORKERS *workers = context;
    ULONG64 thread = entry - FIELD_OFFSET(KTHREAD, QueueListEntry);
    KWAIT_BLOCK block;
    KTHREAD tcb;

    if (!KdpReadMemory(thread, &tcb, sizeof(tcb)))
        return FALSE;
    workers->Total++;
    if (tcb.State == Waiting &&
        !(tcb.WaitReason == WrQueue && tcb.WaitBlockList &&
          KdpReadMemory((ULONG64)tcb.WaitBlockList, &block, sizeof(block)) &&
          (ULONG64)block.Object == workers->Queue))
        workers->Blocked++;
    return TRUE;
}

static void KdpAnalyzeQueues(void)
{
    BOOLEAN any = FALSE;

    KdpPrint("\nSYSTEM WORKER QUEUES\n");
    for (ULONG type = 0; type < MaximumWorkQueue; type++) {
        ULONG64 address = (ULONG64)&ExWorkerQueue[type];
        KD_ANALYZE_WORKERS workers = { address, 0, 0 };
        EX_WORK_QUEUE queue;

        if (!KdpReadMemory(address, &queue, sizeof(queue))) {
            KdpPrint("    %s queue %016llx cannot be read\n", KdpAnalyzeQueueNames[type],
                     (unsigned long long)address);
            continue;
        }
        KdpWalkList(address + FIELD_OFFSET(EX_WORK_QUEUE, WorkerQueue.ThreadListHead),
                    "ThreadListHead", KdpAnalyzeWorker, &workers);
        if (!queue.WorkerQueue.Header.SignalState && !workers.Blocked)
            continue;
        any = TRUE;
        KdpPrint("    %s queue %016llx: %d items pending; %u of %u workers blocked; %u dynamic "
                 "threads%s (!exqueue %x)\n", KdpAnalyzeQueueNames[type],
                 (unsigned long long)address, queue.WorkerQueue.Header.SignalState,
                 workers.Blocked, workers.Total, queue.DynamicThreadCount,
                 queue.DynamicThreadCount >= EXP_MAX_DYNAMIC_THREADS
                     ? ", at the limit: no more will be made"
                     : "", 0x10u << type);
    }
    if (!any)
        KdpPrint("    none has items pending or a worker blocked\n");
}

// ---- LPC ports ----------------------------------------------------------------------------

typedef struct _KD_ANALYZE_PORT {
    ULONG64 Address;
    ULONG Depth;
    char Name[KD_LPC_MAX_NAME];
} KD_ANALYZE_PORT;

typedef struct _KD_ANALYZE_PORTS {
    ULONG Count;
    ULONG WithQueue;
    KD_ANALYZE_PORT Deepest[KD_ANALYZE_MAX_PORTS];
} KD_ANALYZE_PORTS;

static BOOLEAN KdpAnalyzeCount(void *context, ULONG64 entry)
{
    (void)entry;
    (*(ULONG *)context)++;
    return TRUE;
}

static BOOLEAN KdpAnalyzePort(void *context, const KD_PORT *port)
{
    KD_ANALYZE_PORTS *ports = context;
    KD_ANALYZE_PORT found;
    ULONG depth = 0, at;

    ports->Count++;
    KdpWalkList(port->Address + FIELD_OFFSET(LPCP_PORT_OBJECT, MsgQueue.ReceiveHead),
                "the port's message queue", KdpAnalyzeCount, &depth);
    if (!depth)
        return TRUE;
    ports->WithQueue++;
    found.Address = port->Address;
    found.Depth = depth;
    RtlStringPrintf(found.Name, sizeof(found.Name), "%s", port->Name);
    at = ports->WithQueue <= KD_ANALYZE_MAX_PORTS ? ports->WithQueue - 1 : KD_ANALYZE_MAX_PORTS;
    while (at > 0 && ports->Deepest[at - 1].Depth < depth) {
        if (at < KD_ANALYZE_MAX_PORTS)
            ports->Deepest[at] = ports->Deepest[at - 1];
        at--;
    }
    if (at < KD_ANALYZE_MAX_PORTS)
        ports->Deepest[at] = found;
    return TRUE;
}

static void KdpAnalyzePorts(void)
{
    static KD_ANALYZE_PORTS ports;
    ULONG shown;

    memset(&ports, 0, sizeof(ports));
    KdpForEachPort(KdpAnalyzePort, &ports);
    KdpPrint("\nLPC PORTS WITH REQUESTS NOBODY HAS RECEIVED (%u of %u ports)\n",
             ports.WithQueue, ports.Count);
    shown = ports.WithQueue < KD_ANALYZE_MAX_PORTS ? ports.WithQueue : KD_ANALYZE_MAX_PORTS;
    for (ULONG i = 0; i < shown; i++)
        KdpPrint("    port %016llx %s: %u messages queued (!lpc port %llx)\n",
                 (unsigned long long)ports.Deepest[i].Address,
                 ports.Deepest[i].Name[0] ? ports.Deepest[i].Name : "(unnamed)",
                 ports.Deepest[i].Depth, (unsigned long long)ports.Deepest[i].Address);
    if (!ports.WithQueue)
        KdpPrint("    none\n");
}

// ---- Pool tags ----------------------------------------------------------------------------

typedef struct _KD_ANALYZE_TAG {
    ULONG Tag;
    LONG64 Allocations;
    LONG64 Bytes;
} KD_ANALYZE_TAG;

static void KdpAnalyzePool(void)
{
    static POOL_TRACKER_TABLE now[POOL_TRACKER_TABLE_SIZE];
    KD_ANALYZE_TAG grown[KD_ANALYZE_TAGS];
    ULONG count = 0, total = 0;
    char since[40];

    if (!KdpReadMemory((ULONG64)PoolTrackTable, now, sizeof(now))) {
        KdpPrint("\nPOOL TAGS: the tracker table cannot be read\n");
        return;
    }
    if (KdpAnalyzeSnapshotKind == KdPoolBaselineNone) {
        // Only a boot that never finished starting (the self tests) has none.
        KdpPrint("\nPOOL TAGS: no baseline (this boot did not record the tracker when it "
                 "finished starting); it is recorded now, as at a break-in\n");
        KdpRecordPoolBaseline(TRUE);
        return;
    }
    RtlFormatTickDuration(since, sizeof(since), KeTickCount - KdpAnalyzeSnapshotTick,
                          CLOCK_TICK_MICROSECONDS);
    for (ULONG i = 0; i < POOL_TRACKER_TABLE_SIZE; i++) {
        const POOL_TRACKER_TABLE *entry = &now[i];
        const POOL_TRACKER_TABLE *before = NULL;
        KD_ANALYZE_TAG tag;
        ULONG at;

        if (!entry->Key)
            continue;
        for (ULONG j = 0; j < POOL_TRACKER_TABLE_SIZE && !before; j++) {
            if (KdpAnalyzePoolSnapshot[j].Key == entry->Key)
                before = &KdpAnalyzePoolSnapshot[j];
        }
        tag.Tag = entry->Key;
        tag.Allocations = (LONG64)(entry->NonPagedAllocs - entry->NonPagedFrees) +
                          (LONG64)(entry->PagedAllocs - entry->PagedFrees);
        tag.Bytes = (LONG64)(entry->NonPagedBytes + entry->PagedBytes);
        if (before) {
            tag.Allocations -= (LONG64)(before->NonPagedAllocs - before->NonPagedFrees) +
                               (LONG64)(before->PagedAllocs - before->PagedFrees);
            tag.Bytes -= (LONG64)(before->NonPagedBytes + before->PagedBytes);
        }
        if (tag.Bytes <= 0)
            continue;
        total++;
        at = count < KD_ANALYZE_TAGS ? count++ : KD_ANALYZE_TAGS;
        while (at > 0 && grown[at - 1].Bytes < tag.Bytes) {
            if (at < KD_ANALYZE_TAGS)
                grown[at] = grown[at - 1];
            at--;
        }
        if (at < KD_ANALYZE_TAGS)
            grown[at] = tag;
    }
    if (KdpAnalyzeSnapshotKind == KdPoolBaselineBoot)
        KdpPrint("\nPOOL TAGS GROWN SINCE BOOT (the tracker as the kernel finished starting, "
                 "%s ago): %u\n", since, total);
    else
        KdpPrint("\nPOOL TAGS GROWN SINCE THE LAST BREAK-IN (the system resumed %s ago): %u\n",
                 since, total);
    for (ULONG i = 0; i < count; i++) {
        char text[5];

        memcpy(text, &grown[i].Tag, 4);
        text[4] = '\0';
        for (ULONG c = 0; c < 4; c++)
            text[c] = text[c] >= ' ' && text[c] < 0x7f ? text[c] : '?';
        KdpPrint("    %s +%lld bytes, %+lld allocations outstanding (!poolused 4 %s)\n", text,
                 (long long)grown[i].Bytes, (long long)grown[i].Allocations, text);
    }
}

// ---- Zombies -----------------------------------------------------------------------------

typedef struct _KD_ANALYZE_IMAGE {
    char Name[PROCESS_IMAGE_NAME_LENGTH + 1];
    ULONG Count;
} KD_ANALYZE_IMAGE;

typedef struct _KD_ANALYZE_ZOMBIES {
    ULONG Total;
    ULONG Images;
    KD_ANALYZE_IMAGE Image[KD_ANALYZE_IMAGES];
    ULONG Other;
} KD_ANALYZE_ZOMBIES;

static BOOLEAN KdpAnalyzeProcess(void *context, ULONG64 entry)
{
    KD_ANALYZE_ZOMBIES *zombies = context;
    ULONG64 process = entry - FIELD_OFFSET(EPROCESS, ActiveProcessLinks);
    char name[PROCESS_IMAGE_NAME_LENGTH + 1];
    LONG signal = 0;
    ULONG i;

    // Ended: its process object is signaled (the last thread is gone).
    if (!KdpReadMemory(process + FIELD_OFFSET(EPROCESS, Pcb.Header.SignalState), &signal,
                       sizeof(signal)) ||
        !signal || !KdpReadImageName(process, name, sizeof(name)))
        return TRUE;
    zombies->Total++;
    for (i = 0; i < zombies->Images; i++) {
        if (!strcmp(zombies->Image[i].Name, name))
            break;
    }
    if (i == zombies->Images) {
        if (i == KD_ANALYZE_IMAGES) {
            zombies->Other++;
            return TRUE;
        }
        RtlStringPrintf(zombies->Image[i].Name, sizeof(zombies->Image[i].Name), "%s", name);
        zombies->Image[i].Count = 0;
        zombies->Images++;
    }
    zombies->Image[i].Count++;
    return TRUE;
}

static void KdpAnalyzeZombies(void)
{
    static KD_ANALYZE_ZOMBIES zombies;

    memset(&zombies, 0, sizeof(zombies));
    KdpWalkList((ULONG64)&PsActiveProcessHead, "PsActiveProcessHead", KdpAnalyzeProcess,
                &zombies);
    // Most first.
    for (ULONG i = 1; i < zombies.Images; i++) {
        KD_ANALYZE_IMAGE image = zombies.Image[i];
        ULONG at = i;

        while (at > 0 && zombies.Image[at - 1].Count < image.Count) {
            zombies.Image[at] = zombies.Image[at - 1];
            at--;
        }
        zombies.Image[at] = image;
    }
    KdpPrint("\nZOMBIE PROCESSES (ended, still referenced): %u\n", zombies.Total);
    for (ULONG i = 0; i < zombies.Images; i++)
        KdpPrint("    %6u %s\n", zombies.Image[i].Count, zombies.Image[i].Name);
    if (zombies.Other)
        KdpPrint("    %6u of other images\n", zombies.Other);
}

static KD_COMMAND_RESULT KdpAnalyze(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "-hang")) {
        KdpPrint("Usage: !analyze -hang\n");
        return KdCommandContinue;
    }
    KdpWaitBuildForest(KD_ANALYZE_SECONDS * 1000000ULL / CLOCK_TICK_MICROSECONDS);
    KdpAnalyzeRoots();
    KdpAnalyzeQueues();
    KdpAnalyzePorts();
    KdpAnalyzePool();
    KdpAnalyzeZombies();
    return KdCommandContinue;
}

const KD_COMMAND KdpAnalyzeCommands[] = {
    { "!analyze", KdpAnalyze, "!analyze -hang",
      "the hung threads grouped by the root their chains lead to, with each root's chain, "
      "module and cycle; worker queues, LPC queues, growing pool tags, zombies" },
    { NULL, NULL, NULL, NULL },
};
