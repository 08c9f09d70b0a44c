// !exqueue: the system worker queues (ex/worker.c) as WinDbg's !exqueue
// shows them, with what the third case study had to dig out by hand: per
// queue its pending count, its threads by kind and by what they are doing,
// and each worker thread on one line; on request the pending items, their
// routines symbolized.
//
// Everything is read through the fault-safe copy. The pending count is the
// KQUEUE's SignalState, so the command answers at once however many items
// wait; the item list is walked only when asked for, and only as far as
// asked (KD_EXQUEUE_DEFAULT_ITEMS unless a count is given).

#include "kd/kd.h"
#include "ex/ex.h"
#include "io/io.h"

// Flags. 0x10/0x20/0x40 pick queues as WinDbg's do; 0x100 is Sleuth's own.
#define KD_EXQUEUE_CRITICAL      0x10
#define KD_EXQUEUE_DELAYED       0x20
#define KD_EXQUEUE_HYPERCRITICAL 0x40
#define KD_EXQUEUE_QUEUES \
    (KD_EXQUEUE_CRITICAL | KD_EXQUEUE_DELAYED | KD_EXQUEUE_HYPERCRITICAL)
#define KD_EXQUEUE_PENDING       0x100
#define KD_EXQUEUE_DEFAULT_ITEMS 20

static const char *const KdpQueueNames[MaximumWorkQueue] = {
    "Critical", "Delayed", "HyperCritical",
};

typedef struct _KD_WORKER_COUNTS {
    ULONG Running;          // on a processor, ready for one, or just picked
    ULONG Blocked;          // waiting for something else than the queue: inside a routine
    ULONG Idle;             // waiting on the queue for an item
} KD_WORKER_COUNTS;

typedef struct _KD_WORKER_WALK {
    ULONG64 Queue;
    KD_WORKER_COUNTS Counts;
    BOOLEAN Print;
} KD_WORKER_WALK;

static const char *KdpWorkerKind(const ETHREAD *thread)
{
    return ((ULONG_PTR)thread->StartContext & EXP_DYNAMIC_THREAD) ? "dynamic" : "static ";
}

// One worker on one line: THREAD, Cid, static or dynamic, its state, and
// the first object it waits on.
static BOOLEAN KdpVisitWorker(void *context, ULONG64 entry)
{
    KD_WORKER_WALK *walk = context;
    ULONG64 address = entry - FIELD_OFFSET(KTHREAD, QueueListEntry);
    ETHREAD thread;
    KWAIT_BLOCK block;
    char state[96];

    if (!KdpReadMemory(address, &thread, sizeof(thread))) {
        KdpPrint("THREAD %016llx: cannot be read\n", (unsigned long long)address);
        return TRUE;
    }
    if (thread.Tcb.State != Waiting)
        walk->Counts.Running++;
    else if (thread.Tcb.WaitReason == WrQueue && thread.Tcb.WaitBlockList &&
             KdpReadMemory((ULONG64)thread.Tcb.WaitBlockList, &block, sizeof(block)) &&
             (ULONG64)block.Object == walk->Queue)
        walk->Counts.Idle++;
    else
        walk->Counts.Blocked++;
    if (!walk->Print)
        return TRUE;
    KdpFormatThreadState(&thread.Tcb, state, sizeof(state));
    KdpPrint("THREAD %016llx Cid %04llx.%04llx %s %s", (unsigned long long)address,
             (unsigned long long)(ULONG_PTR)thread.Cid.UniqueProcess,
             (unsigned long long)(ULONG_PTR)thread.Cid.UniqueThread, KdpWorkerKind(&thread),
             state);
    if (thread.Tcb.State == Waiting && thread.Tcb.WaitBlockList &&
        KdpReadMemory((ULONG64)thread.Tcb.WaitBlockList, &block, sizeof(block))) {
        KdpPrint(" on");
        KdpPrintWaitObject((ULONG64)block.Object, 1);
    } else {
        KdpPrint("\n");
    }
    return TRUE;
}

typedef struct _KD_PENDING_WALK {
    ULONG Shown;
    ULONG Limit;
} KD_PENDING_WALK;

static void KdpPrintSymbolTo(ULONG64 address, char *buffer, size_t size)
{
    KdpFormatAddressSymbol(address, buffer, size);
}

// PENDING: WorkerRoutine nt!Routine (address) Parameter address, and for
// an I/O work item the driver's routine and the owner it holds.
static BOOLEAN KdpPrintPendingItem(void *context, ULONG64 entry)
{
    KD_PENDING_WALK *walk = context;
    WORK_QUEUE_ITEM item;
    IO_WORKITEM ioItem;
    char routine[128], ioRoutine[128];

    if (walk->Shown == walk->Limit)
        return FALSE;
    walk->Shown++;
    if (!KdpReadMemory(entry, &item, sizeof(item))) {
        KdpPrint("PENDING: item %016llx cannot be read\n", (unsigned long long)entry);
        return FALSE;
    }
    KdpPrintSymbolTo((ULONG64)item.WorkerRoutine, routine, sizeof(routine));
    KdpPrint("PENDING: WorkerRoutine %s (%016llx) Parameter %016llx", routine,
             (unsigned long long)(ULONG_PTR)item.WorkerRoutine,
             (unsigned long long)(ULONG_PTR)item.Parameter);
    if (item.WorkerRoutine == IopProcessWorkItem &&
        KdpReadMemory((ULONG64)item.Parameter, &ioItem, sizeof(ioItem))) {
        KdpPrintSymbolTo((ULONG64)ioItem.Routine, ioRoutine, sizeof(ioRoutine));
        KdpPrint(" IoRoutine %s IoObject %016llx", ioRoutine,
                 (unsigned long long)(ULONG_PTR)ioItem.IoObject);
    }
    KdpPrint("\n");
    return TRUE;
}

static void KdpPrintWorkQueue(ULONG type, ULONG flags, ULONG limit)
{
    ULONG64 address = (ULONG64)&ExWorkerQueue[type];
    EX_WORK_QUEUE queue;
    KD_WORKER_WALK walk = { address, { 0, 0, 0 }, FALSE };
    ULONG64 threads = address + FIELD_OFFSET(EX_WORK_QUEUE, WorkerQueue.ThreadListHead);
    ULONG pending;

    if (!KdpReadMemory(address, &queue, sizeof(queue))) {
        KdpPrint("**** %s WorkQueue: %016llx cannot be read\n", KdpQueueNames[type],
                 (unsigned long long)address);
        return;
    }
    pending = (ULONG)queue.WorkerQueue.Header.SignalState;
    // Counted first, so that the header can say how many do what.
    KdpWalkList(threads, "ThreadListHead", KdpVisitWorker, &walk);
    KdpPrint("**** %s WorkQueue( current = %u maximum = %u ) at %016llx\n", KdpQueueNames[type],
             queue.WorkerQueue.CurrentCount, queue.WorkerQueue.MaximumCount,
             (unsigned long long)address);
    KdpPrint("     Pending: %u items (%u at the last balance pass)  Processed: %u (%u at the "
             "last pass)\n", pending, queue.QueueDepthLastPass, queue.WorkItemsProcessed,
             queue.WorkItemsProcessedLastPass);
    KdpPrint("     Threads: %u static, %u dynamic (at most %u): %u running, %u blocked, "
             "%u waiting for work\n", queue.Info.WorkerCount - queue.DynamicThreadCount,
             queue.DynamicThreadCount, EXP_MAX_DYNAMIC_THREADS, walk.Counts.Running,
             walk.Counts.Blocked, walk.Counts.Idle);
    walk.Print = TRUE;
    walk.Counts = (KD_WORKER_COUNTS){ 0, 0, 0 };
    KdpWalkList(threads, "ThreadListHead", KdpVisitWorker, &walk);
    if ((flags & KD_EXQUEUE_PENDING) && pending) {
        KD_PENDING_WALK items = { 0, limit };

        KdpWalkList(address + FIELD_OFFSET(EX_WORK_QUEUE, WorkerQueue.EntryListHead),
                    "EntryListHead", KdpPrintPendingItem, &items);
        if (pending > items.Shown)
            KdpPrint("... %u more pending (!exqueue %x %x shows the first %u)\n",
                     pending - items.Shown, flags, pending, pending);
    }
    KdpPrint("\n");
}

static KD_COMMAND_RESULT KdpExQueue(int argc, char **argv)
{
    ULONG64 flags = 0, limit = KD_EXQUEUE_DEFAULT_ITEMS;

    if (argc > 3) {
        KdpPrint("Usage: !exqueue [flags [count]]\n");
        return KdCommandContinue;
    }
    if (argc >= 2 && !KdpGetValue(argv[1], &flags))
        return KdCommandContinue;
    if (argc == 3 && !KdpGetValue(argv[2], &limit))
        return KdCommandContinue;
    if (flags & ~(ULONG64)(KD_EXQUEUE_QUEUES | KD_EXQUEUE_PENDING)) {
        KdpPrint("!exqueue: unknown flags %llx (10, 20, 40: one queue; 100: pending items)\n",
                 (unsigned long long)(flags & ~(ULONG64)(KD_EXQUEUE_QUEUES | KD_EXQUEUE_PENDING)));
        return KdCommandContinue;
    }
    if (limit > KD_MAX_LIST_ENTRIES)
        limit = KD_MAX_LIST_ENTRIES;
    KdpPrint("Dumping ExWorkerQueue: %016llx\n\n", (unsigned long long)(ULONG_PTR)ExWorkerQueue);
    for (ULONG type = 0; type < MaximumWorkQueue; type++) {
        if ((flags & KD_EXQUEUE_QUEUES) && !(flags & (KD_EXQUEUE_CRITICAL << type)))
            continue;
        KdpPrintWorkQueue(type, (ULONG)flags, (ULONG)limit);
    }
    return KdCommandContinue;
}

const KD_COMMAND KdpWorkerQueueCommands[] = {
    { "!exqueue", KdpExQueue, "!exqueue [flags [count]]",
      "the system worker queues: pending items, threads by kind and state; 10/20/40: one "
      "queue, 100: the first count (20) pending items" },
    { NULL, NULL, NULL, NULL },
};
