// The system worker queues, as NT's: three KQUEUEs (critical, delayed,
// hyper-critical) in the global array ExWorkerQueue, each served by static
// threads made at boot and by dynamic threads the balance manager adds when
// a queue is stuck. A driver that cannot do its work at raised IRQL queues a
// WORK_QUEUE_ITEM; a worker thread of the queue calls its routine at
// PASSIVE_LEVEL in the System process.
//
// The KQUEUE does the scheduling: its MaximumCount (one per processor) is
// how many of the queue's threads run at once, and a worker that blocks in
// its routine gives its place to the next one (KiActivateWaiterQueue). When
// every worker of a queue is blocked, nothing runs the items behind them:
// the balance manager notices (no item processed since its last pass while
// items wait) and adds a thread, at most 16 per queue. That limit reached,
// items pile up, as in the third case study (18,023 items behind 16 blocked
// dynamic threads). See docs/worker-queues.md.

#include "ex/ex.h"
#include "se/se.h"
#include "kd/kd.h"

EX_WORK_QUEUE ExWorkerQueue[MaximumWorkQueue];
EXP_WORKER_TIMING ExpWorkerTiming = { EXP_BALANCE_INTERVAL_MS, EXP_DYNAMIC_THREAD_IDLE_MS };

// The balance manager waits on its periodic timer and on this event, which
// ExQueueWorkItem sets when a queue that makes threads as necessary looks
// stuck.
static KTIMER ExpBalanceTimer;
static KEVENT ExpThreadSetManagerEvent;
static BOOLEAN ExpWorkersInitialized;

// Static threads per queue (ReactOS's counts for a workstation: NT's own
// depend on the memory size and the product type) and NT's priorities.
typedef struct _EXP_QUEUE_SETUP {
    ULONG StaticThreads;
    KPRIORITY Priority;
    BOOLEAN MakeThreadsAsNecessary;
} EXP_QUEUE_SETUP;

static const EXP_QUEUE_SETUP ExpQueueSetup[MaximumWorkQueue] = {
    [CriticalWorkQueue] = { 5, 13, TRUE },
    [DelayedWorkQueue] = { 3, 12, FALSE },
    [HyperCriticalWorkQueue] = { 1, 15, FALSE },
};

#define EXP_BALANCE_MANAGER_PRIORITY 14     // NORMAL_BASE_PRIORITY + 6, as NT's
#define EXP_QUEUE_TYPE_MASK 0xff            // a worker's StartContext: type | EXP_DYNAMIC_THREAD
#define HUNDRED_NS_PER_MS 10000LL

// WorkerCount is Info's top 29 bits (the three flags are bits 0-2): adding
// this to the whole LONG counts one thread, atomically, flags untouched.
#define EXP_WORKER_COUNT_UNIT (1 << 3)

static void ExpWorkerThread(void *context);

ULONG ExpQueueDepth(WORK_QUEUE_TYPE queueType)
{
    return (ULONG)KeReadStateQueue(&ExWorkerQueue[queueType].WorkerQueue);
}

static void ExpCountWorker(EX_WORK_QUEUE *queue, LONG delta)
{
    __atomic_fetch_add(&queue->Info.QueueWorkerInfo, delta * EXP_WORKER_COUNT_UNIT,
                       __ATOMIC_SEQ_CST);
}

static NTSTATUS ExpCreateWorkerThread(WORK_QUEUE_TYPE queueType, BOOLEAN dynamic)
{
    EX_WORK_QUEUE *queue = &ExWorkerQueue[queueType];
    ULONG_PTR context = (ULONG_PTR)queueType | (dynamic ? EXP_DYNAMIC_THREAD : 0);
    NTSTATUS status;

    // Counted before it exists, so that the balance manager and
    // ExQueueWorkItem never see fewer threads than are on their way.
    ExpCountWorker(queue, 1);
    if (dynamic)
        __atomic_fetch_add(&queue->DynamicThreadCount, 1, __ATOMIC_SEQ_CST);
    status = PsCreateSystemThreadEx(NULL, ExpWorkerThread, (void *)context,
                                    ExpQueueSetup[queueType].Priority, NULL, NULL);
    if (!NT_SUCCESS(status)) {
        ExpCountWorker(queue, -1);
        if (dynamic)
            __atomic_fetch_sub(&queue->DynamicThreadCount, 1, __ATOMIC_SEQ_CST);
    }
    return status;
}

// A routine that returns at a raised IRQL or still impersonating would
// leave the next item of whatever driver to run in that state: NT stops the
// system and names the routine. APCs left disabled are only re-enabled,
// with a warning.
void ExpCheckWorkerReturn(PWORKER_THREAD_ROUTINE routine, void *parameter,
                          WORK_QUEUE_ITEM *item)
{
    KIRQL irql = KeGetCurrentIrql();
    ETHREAD *thread = (ETHREAD *)KeGetCurrentThread();
    char name[128];

    // The common case names nothing: naming a driver's routine walks the
    // loaded-module list, which is no work for every item.
    if (irql == PASSIVE_LEVEL && !thread->ImpersonationToken && !thread->Tcb.KernelApcDisable)
        return;
    KdpFormatAddressSymbol((ULONG64)(ULONG_PTR)routine, name, sizeof(name));
    if (irql != PASSIVE_LEVEL) {
        DbgPrint("EXWORKER: worker routine %s returned at IRQL %u (parameter %p, item %p)\n",
                 name, irql, parameter, (void *)item);
        KeBugCheckEx(WORKER_THREAD_RETURNED_AT_BAD_IRQL, (ULONG64)(ULONG_PTR)routine, irql,
                     (ULONG64)(ULONG_PTR)parameter, (ULONG64)(ULONG_PTR)item);
    }
    if (thread->ImpersonationToken) {
        DbgPrint("EXWORKER: worker routine %s returned while impersonating (parameter %p, "
                 "item %p)\n", name, parameter, (void *)item);
        KeBugCheckEx(IMPERSONATING_WORKER_THREAD, (ULONG64)(ULONG_PTR)routine,
                     (ULONG64)(ULONG_PTR)parameter, (ULONG64)(ULONG_PTR)item, 0);
    }
    if (thread->Tcb.KernelApcDisable) {
        DbgPrint("EXWORKER: worker routine %s returned with APCs disabled (%d); re-enabled\n",
                 name, thread->Tcb.KernelApcDisable);
        thread->Tcb.KernelApcDisable = 0;
    }
}

// After the idle timeout a dynamic thread ends, unless items still wait in
// its queue (NT keeps it while it has I/O outstanding; Sleuth has no IRPs,
// and items waiting are the work a thread may soon be needed for).
static BOOLEAN ExpDynamicThreadMayEnd(EX_WORK_QUEUE *queue)
{
    if (queue->Info.QueueDisabled || KeReadStateQueue(&queue->WorkerQueue) != 0)
        return FALSE;
    ExpCountWorker(queue, -1);
    __atomic_fetch_sub(&queue->DynamicThreadCount, 1, __ATOMIC_SEQ_CST);
    return TRUE;
}

// Every worker thread, static or dynamic, runs here: take the next item,
// call its routine, check how the routine left the thread. The item is not
// touched after its routine has run: the routine may have freed it.
static void ExpWorkerThread(void *context)
{
    ULONG_PTR start = (ULONG_PTR)context;
    EX_WORK_QUEUE *queue = &ExWorkerQueue[start & EXP_QUEUE_TYPE_MASK];
    BOOLEAN dynamic = (start & EXP_DYNAMIC_THREAD) != 0;

    for (;;) {
        LARGE_INTEGER idle = {
            .QuadPart = -(LONG64)ExpWorkerTiming.DynamicThreadIdleMs * HUNDRED_NS_PER_MS};
        LIST_ENTRY *entry = KeRemoveQueue(&queue->WorkerQueue, KernelMode,
                                          dynamic ? &idle : NULL);
        WORK_QUEUE_ITEM *item;
        PWORKER_THREAD_ROUTINE routine;
        void *parameter;

        if (entry == (LIST_ENTRY *)(LONG_PTR)STATUS_TIMEOUT) {
            if (ExpDynamicThreadMayEnd(queue))
                return;     // PspSystemThreadStartup ends it; KeTerminateThread unbinds it
            continue;
        }
        item = CONTAINING_RECORD(entry, WORK_QUEUE_ITEM, List);
        routine = item->WorkerRoutine;
        parameter = item->Parameter;
        __atomic_fetch_add(&queue->WorkItemsProcessed, 1, __ATOMIC_SEQ_CST);
        routine(parameter);
        ExpCheckWorkerReturn(routine, parameter, item);
    }
}

// Items wait while fewer of the queue's threads run than it allows: the
// ones it has are blocked, and another thread could run the items.
static BOOLEAN ExpQueueLooksStuck(EX_WORK_QUEUE *queue)
{
    KQUEUE *kqueue = &queue->WorkerQueue;

    return queue->Info.MakeThreadsAsNecessary && !IsListEmpty(&kqueue->EntryListHead) &&
           kqueue->CurrentCount < kqueue->MaximumCount &&
           queue->DynamicThreadCount < EXP_MAX_DYNAMIC_THREADS;
}

void ExQueueWorkItem(WORK_QUEUE_ITEM *item, WORK_QUEUE_TYPE queueType)
{
    EX_WORK_QUEUE *queue;

    if ((ULONG)queueType >= MaximumWorkQueue)
        KeBugCheckEx(WORKER_INVALID, WORKER_INVALID_QUEUE_TYPE, (ULONG64)(ULONG_PTR)item,
                     queueType, 0);
    if ((ULONG_PTR)item->WorkerRoutine < EXP_SYSTEM_RANGE_START)
        KeBugCheckEx(WORKER_INVALID, WORKER_INVALID_ROUTINE, (ULONG64)(ULONG_PTR)item,
                     queueType, 0);
    if (item->List.Flink)
        KeBugCheckEx(WORKER_INVALID, WORKER_INVALID_ACTIVE_ITEM_QUEUED,
                     (ULONG64)(ULONG_PTR)item, queueType, 0);
    if (!ExpWorkersInitialized)
        KeBugCheckEx(WORKER_INVALID, WORKER_INVALID_BEFORE_INIT, (ULONG64)(ULONG_PTR)item,
                     queueType, 0);
    queue = &ExWorkerQueue[queueType];
    KeInsertQueue(&queue->WorkerQueue, &item->List);
    if (ExpQueueLooksStuck(queue))
        KeSetEvent(&ExpThreadSetManagerEvent, 0, FALSE);
}

// Every pass of the timer: a queue with items waiting at the last pass and
// none processed since is stuck, whatever its kind; give it one more thread.
static void ExpDetectWorkerThreadDeadlock(void)
{
    for (ULONG type = 0; type < MaximumWorkQueue; type++) {
        EX_WORK_QUEUE *queue = &ExWorkerQueue[type];
        ULONG processed = queue->WorkItemsProcessed;

        if (queue->QueueDepthLastPass > 0 && processed == queue->WorkItemsProcessedLastPass &&
            queue->DynamicThreadCount < EXP_MAX_DYNAMIC_THREADS)
            ExpCreateWorkerThread(type, TRUE);
        queue->WorkItemsProcessedLastPass = processed;
        queue->QueueDepthLastPass = (ULONG)KeReadStateQueue(&queue->WorkerQueue);
    }
}

static void ExpArmBalanceTimer(void)
{
    LARGE_INTEGER due = {.QuadPart = -(LONG64)ExpWorkerTiming.BalanceIntervalMs *
                                     HUNDRED_NS_PER_MS};

    KeSetTimerEx(&ExpBalanceTimer, due, (LONG)ExpWorkerTiming.BalanceIntervalMs, NULL);
}

void ExpSetWorkerTiming(ULONG balanceIntervalMs, ULONG dynamicThreadIdleMs)
{
    ExpWorkerTiming.BalanceIntervalMs = balanceIntervalMs;
    ExpWorkerTiming.DynamicThreadIdleMs = dynamicThreadIdleMs;
    ExpArmBalanceTimer();
}

// NT's ExpWorkerThreadBalanceManager: woken every interval to look for
// stuck queues, and at once when ExQueueWorkItem finds one that makes
// threads as necessary.
static void ExpWorkerThreadBalanceManager(void *context)
{
    void *objects[2] = { &ExpBalanceTimer, &ExpThreadSetManagerEvent };
    KWAIT_BLOCK waitBlocks[2];

    for (;;) {
        NTSTATUS status = KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode,
                                                   FALSE, NULL, waitBlocks);

        if (status == STATUS_WAIT_0 + 1) {
            for (ULONG type = 0; type < MaximumWorkQueue; type++) {
                if (ExpQueueLooksStuck(&ExWorkerQueue[type]))
                    ExpCreateWorkerThread(type, TRUE);
            }
        } else {
            ExpDetectWorkerThreadDeadlock();
        }
    }
}

void ExpWorkerInitialization(void)
{
    KeInitializeTimerEx(&ExpBalanceTimer, SynchronizationTimer);
    KeInitializeEvent(&ExpThreadSetManagerEvent, SynchronizationEvent, FALSE);
    for (ULONG type = 0; type < MaximumWorkQueue; type++) {
        EX_WORK_QUEUE *queue = &ExWorkerQueue[type];

        KeInitializeQueue(&queue->WorkerQueue, 0);     // one running thread per processor
        queue->Info.MakeThreadsAsNecessary = ExpQueueSetup[type].MakeThreadsAsNecessary;
        queue->Info.WaitMode = KernelMode;
        for (ULONG i = 0; i < ExpQueueSetup[type].StaticThreads; i++) {
            if (!NT_SUCCESS(ExpCreateWorkerThread(type, FALSE)))
                KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, 0, 0, 0, 0);
        }
    }
    ExpWorkersInitialized = TRUE;
    ExpArmBalanceTimer();
    if (!NT_SUCCESS(PsCreateSystemThreadEx(NULL, ExpWorkerThreadBalanceManager, NULL,
                                           EXP_BALANCE_MANAGER_PRIORITY, NULL, NULL)))
        KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, 0, 0, 0, 0);
}
