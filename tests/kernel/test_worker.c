// The system worker queues (ex/worker.c): the queues and their static
// threads, FIFO order and the concurrency limit under 20,000+ items, and
// the balance manager adding dynamic threads to blocked queues (up to 16)
// and letting them go once idle. The checks that bugcheck are in
// test_worker_checks.c.
//
// These tests use the system's own queues. Each leaves them as it found
// them: every item run, no dynamic thread left, the timing restored.

#include "tests/kernel/test_dispatcher.h"
#include "ex/ex.h"

#define KT_WORKER_TAG POOL_TAG('K', 't', 'W', 'q')
#define KT_ITEMS_PER_QUEUE 7000                     // 21,000 in all
#define KT_FAST_INTERVAL_MS 50                      // the balance manager, sped up
#define KT_FAST_IDLE_MS 300                         // a dynamic thread's idle timeout, shortened
#define KT_DRAIN_LIMIT_MS 20000

static const ULONG KtStaticThreads[MaximumWorkQueue] = { 5, 3, 1 };
static const KPRIORITY KtWorkerPriority[MaximumWorkQueue] = { 13, 12, 15 };

typedef struct _KT_WORK {
    WORK_QUEUE_ITEM Item;
    ULONG Queue;
    ULONG Index;
} KT_WORK;

static ULONG *KtLog[MaximumWorkQueue];              // per queue: the indices, in run order
static volatile LONG KtLogged[MaximumWorkQueue];
static volatile LONG KtDone;
static KEVENT KtAllDone;
static LONG KtExpected;

static ULONG KtOutstanding(ULONG tag)
{
    ULONG allocations;
    SIZE_T bytes;

    ExQueryPoolTagUsage(tag, &allocations, &bytes);
    return allocations;
}

static void KtLogAndFree(void *parameter)
{
    KT_WORK *work = parameter;
    LONG slot = __atomic_fetch_add(&KtLogged[work->Queue], 1, __ATOMIC_SEQ_CST);

    KtLog[work->Queue][slot] = work->Index;
    ExFreePoolWithTag(work, KT_WORKER_TAG);
    if (__atomic_add_fetch(&KtDone, 1, __ATOMIC_SEQ_CST) == KtExpected)
        KeSetEvent(&KtAllDone, 0, FALSE);
}

// How many of the items about to be queued go straight to a waiting worker:
// one per waiter while the queue's active count is below its maximum.
// Called at DISPATCH_LEVEL, where no worker can run in between.
static ULONG KtItemsHandedToWaiters(KQUEUE *queue)
{
    ULONG waiters = 0;
    LONG room = (LONG)queue->MaximumCount - (LONG)queue->CurrentCount;

    for (LIST_ENTRY *entry = queue->Header.WaitListHead.Flink;
         entry != &queue->Header.WaitListHead; entry = entry->Flink)
        waiters++;
    if (room < 0)
        room = 0;
    return waiters < (ULONG)room ? waiters : (ULONG)room;
}

static BOOLEAN KtEachIndexOnce(const ULONG *log, ULONG count)
{
    ULONG64 *seen = ExAllocatePoolWithTag(NonPagedPool, (count + 63) / 64 * sizeof(ULONG64),
                                          KT_WORKER_TAG);
    BOOLEAN ok = seen != NULL;

    if (seen)
        memset(seen, 0, (count + 63) / 64 * sizeof(ULONG64));
    for (ULONG i = 0; ok && i < count; i++) {
        if (log[i] >= count || (seen[log[i] / 64] & (1ULL << (log[i] % 64))))
            ok = FALSE;
        else
            seen[log[i] / 64] |= 1ULL << (log[i] % 64);
    }
    if (seen)
        ExFreePoolWithTag(seen, KT_WORKER_TAG);
    return ok;
}

// A queue that makes no progress for a balance pass gets a dynamic thread,
// even in a test that only floods the queues (the delayed queue waits while
// the higher-priority ones drain): with a short idle timeout it soon ends.
static void KtShortIdleTimeout(void)
{
    ExpSetWorkerTiming(EXP_BALANCE_INTERVAL_MS, KT_FAST_IDLE_MS);
}

// Waits (bounded) until no dynamic thread is left in any queue, then
// restores the timing.
static BOOLEAN KtWaitForNoDynamicThreads(void)
{
    for (ULONG waited = 0; waited < KT_DRAIN_LIMIT_MS; waited += 20) {
        ULONG dynamic = 0;

        for (ULONG q = 0; q < MaximumWorkQueue; q++)
            dynamic += ExWorkerQueue[q].DynamicThreadCount;
        if (dynamic == 0) {
            ExpSetWorkerTiming(EXP_BALANCE_INTERVAL_MS, EXP_DYNAMIC_THREAD_IDLE_MS);
            return TRUE;
        }
        KtSleep(20);
    }
    ExpSetWorkerTiming(EXP_BALANCE_INTERVAL_MS, EXP_DYNAMIC_THREAD_IDLE_MS);
    return FALSE;
}

KTEST(WorkerQueuesHaveTheirStaticThreadsAtNtPriorities)
{
    for (ULONG q = 0; q < MaximumWorkQueue; q++) {
        EX_WORK_QUEUE *queue = &ExWorkerQueue[q];
        ULONG bound = 0;
        KIRQL oldIrql;

        KT_EXPECT_EQ(queue->WorkerQueue.Header.Type, QueueObject);
        KT_EXPECT_EQ(queue->WorkerQueue.MaximumCount, KeNumberProcessors);
        KT_EXPECT_EQ(queue->Info.WorkerCount, KtStaticThreads[q]);
        KT_EXPECT_EQ(queue->Info.MakeThreadsAsNecessary, q == CriticalWorkQueue);
        KT_EXPECT_EQ(queue->DynamicThreadCount, 0);
        KT_EXPECT_EQ(ExpQueueDepth(q), 0);
        oldIrql = KiAcquireDispatcherLock();
        for (LIST_ENTRY *p = queue->WorkerQueue.ThreadListHead.Flink;
             p != &queue->WorkerQueue.ThreadListHead; p = p->Flink) {
            ETHREAD *thread = CONTAINING_RECORD(p, ETHREAD, Tcb.QueueListEntry);

            KT_CHECK_EQ(thread->Tcb.BasePriority, KtWorkerPriority[q]);
            KT_CHECK(thread->ThreadsProcess == PsInitialSystemProcess);
            KT_CHECK_EQ((ULONG_PTR)thread->StartContext, q);
            bound++;
        }
        KiReleaseDispatcherLock(oldIrql);
        KT_EXPECT_EQ(bound, KtStaticThreads[q]);
    }
}

// 21,000 items, queued while the workers cannot run (DISPATCH_LEVEL), so
// that the queues really fill: the depth is read in O(1), each queue runs
// its items in the order queued, and every item (freed by its routine) is
// back in the pool.
KTEST(TwentyThousandWorkItemsDrainInFifoOrderPerQueue)
{
    ULONG poolBefore = KtOutstanding(KT_WORKER_TAG);
    ULONG processed[MaximumWorkQueue];
    KT_WORK **items = ExAllocatePoolWithTag(NonPagedPool,
                                            KT_ITEMS_PER_QUEUE * MaximumWorkQueue *
                                                sizeof(KT_WORK *), KT_WORKER_TAG);
    ULONG allocated = 0;
    KIRQL oldIrql;

    KT_EXPECT(items != NULL);
    KtShortIdleTimeout();
    KtDone = 0;
    KtExpected = KT_ITEMS_PER_QUEUE * MaximumWorkQueue;
    KeInitializeEvent(&KtAllDone, NotificationEvent, FALSE);
    for (ULONG q = 0; q < MaximumWorkQueue; q++) {
        KtLogged[q] = 0;
        KtLog[q] = ExAllocatePoolWithTag(NonPagedPool, KT_ITEMS_PER_QUEUE * sizeof(ULONG),
                                         KT_WORKER_TAG);
        processed[q] = ExWorkerQueue[q].WorkItemsProcessed;
    }
    for (; allocated < (ULONG)KtExpected; allocated++) {
        KT_WORK *work = ExAllocatePoolWithTag(NonPagedPool, sizeof(*work), KT_WORKER_TAG);

        if (!work)
            break;
        // Round robin over the queues: the order within each is what counts.
        work->Queue = allocated % MaximumWorkQueue;
        work->Index = allocated / MaximumWorkQueue;
        ExInitializeWorkItem(&work->Item, KtLogAndFree, work);
        items[allocated] = work;
    }
    KT_CHECK(KtLog[0] && KtLog[1] && KtLog[2] && allocated == (ULONG)KtExpected);
    if (!KtFailed()) {
        ULONG handed[MaximumWorkQueue];

        KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
        for (ULONG q = 0; q < MaximumWorkQueue; q++)
            handed[q] = KtItemsHandedToWaiters(&ExWorkerQueue[q].WorkerQueue);
        for (ULONG i = 0; i < allocated; i++)
            ExQueueWorkItem(&items[i]->Item, items[i]->Queue);
        // The first items of each queue went straight to waiting workers
        // (KiInsertQueue hands them over), one per processor at most (the
        // queue's MaximumCount): the rest wait in the queue.
        for (ULONG q = 0; q < MaximumWorkQueue; q++)
            KT_CHECK_EQ(ExpQueueDepth(q), KT_ITEMS_PER_QUEUE - handed[q]);
        KeLowerIrql(oldIrql);
        LARGE_INTEGER limit = KtRelativeTime(KT_DRAIN_LIMIT_MS);
        KT_CHECK_EQ(KeWaitForSingleObject(&KtAllDone, Executive, KernelMode, FALSE, &limit),
                    STATUS_WAIT_0);
        for (ULONG q = 0; q < MaximumWorkQueue; q++) {
            KT_CHECK_EQ(KtLogged[q], KT_ITEMS_PER_QUEUE);
            KT_CHECK_EQ(ExpQueueDepth(q), 0);
            KT_CHECK_EQ(ExWorkerQueue[q].WorkItemsProcessed - processed[q], KT_ITEMS_PER_QUEUE);
            // One worker at a time (one processor) runs them in the order
            // queued; with more, each item still runs exactly once.
            if (ExWorkerQueue[q].WorkerQueue.MaximumCount == 1) {
                for (ULONG i = 0; i < (ULONG)KtLogged[q] && !KtFailed(); i++)
                    KT_CHECK_EQ(KtLog[q][i], i);
            } else {
                KT_CHECK(KtEachIndexOnce(KtLog[q], (ULONG)KtLogged[q]));
            }
        }
    } else {
        for (ULONG i = 0; i < allocated; i++)
            ExFreePoolWithTag(items[i], KT_WORKER_TAG);
    }
    for (ULONG q = 0; q < MaximumWorkQueue; q++) {
        if (KtLog[q])
            ExFreePoolWithTag(KtLog[q], KT_WORKER_TAG);
    }
    ExFreePoolWithTag(items, KT_WORKER_TAG);
    KT_EXPECT(KtWaitForNoDynamicThreads());
    KT_EXPECT_EQ(KtOutstanding(KT_WORKER_TAG), poolBefore);
}

// The critical queue has five threads, but its KQUEUE lets only
// MaximumCount (one per processor) run items at once: a routine that yields
// the processor (without blocking) does not let another worker start.
static volatile LONG KtActive, KtMostActive, KtRan;

static void KtYieldingRoutine(void *parameter)
{
    LONG active = __atomic_add_fetch(&KtActive, 1, __ATOMIC_SEQ_CST);
    LONG most = KtMostActive;

    // Workers on several processors update it at once: no maximum is lost.
    while (active > most && !__atomic_compare_exchange_n(&KtMostActive, &most, active, FALSE,
                                                         __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        ;
    for (ULONG i = 0; i < 3; i++)
        KeYieldExecution();
    __atomic_sub_fetch(&KtActive, 1, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&KtRan, 1, __ATOMIC_SEQ_CST);
}

KTEST(WorkerQueueConcurrencyLimitHolds)
{
    WORK_QUEUE_ITEM items[20];
    KIRQL oldIrql;

    KtActive = KtMostActive = KtRan = 0;
    KtShortIdleTimeout();
    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    for (ULONG i = 0; i < ARRAYSIZE(items); i++) {
        ExInitializeWorkItem(&items[i], KtYieldingRoutine, NULL);
        ExQueueWorkItem(&items[i], CriticalWorkQueue);
    }
    KeLowerIrql(oldIrql);
    KT_EXPECT(KtWaitUntilEqual(&KtRan, ARRAYSIZE(items)));
    KT_EXPECT_EQ(KtMostActive, (LONG)ExWorkerQueue[CriticalWorkQueue].WorkerQueue.MaximumCount);
    KT_EXPECT(KtWaitForNoDynamicThreads());
}

// ---- Blocked workers and the balance manager ---------------------------------------

#define KT_BLOCKED_ITEMS 40

static KEVENT KtBlockEvent;                 // the "driver" waits for it
static volatile LONG KtStarted, KtFinished;
static ULONG KtStartOrder[KT_BLOCKED_ITEMS];

static void KtBlockingRoutine(void *parameter)
{
    LONG slot = __atomic_fetch_add(&KtStarted, 1, __ATOMIC_SEQ_CST);

    KtStartOrder[slot] = (ULONG)(ULONG_PTR)parameter;
    KeWaitForSingleObject(&KtBlockEvent, Executive, KernelMode, FALSE, NULL);
    __atomic_add_fetch(&KtFinished, 1, __ATOMIC_SEQ_CST);
}

// The parameters of the items waiting in the queue, in queue order, are
// first, first + 1, ...
static BOOLEAN KtQueuedInOrder(EX_WORK_QUEUE *queue, ULONG first, ULONG count)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    ULONG seen = 0;
    BOOLEAN inOrder = TRUE;

    for (LIST_ENTRY *p = queue->WorkerQueue.EntryListHead.Flink;
         p != &queue->WorkerQueue.EntryListHead; p = p->Flink, seen++) {
        WORK_QUEUE_ITEM *item = CONTAINING_RECORD(p, WORK_QUEUE_ITEM, List);

        if ((ULONG)(ULONG_PTR)item->Parameter != first + seen)
            inOrder = FALSE;
    }
    KiReleaseDispatcherLock(oldIrql);
    return inOrder && seen == count;
}

static void KtStartBlockedItems(WORK_QUEUE_ITEM *items, ULONG count, WORK_QUEUE_TYPE type)
{
    KtStarted = KtFinished = 0;
    KeInitializeEvent(&KtBlockEvent, NotificationEvent, FALSE);
    for (ULONG i = 0; i < count; i++) {
        ExInitializeWorkItem(&items[i], KtBlockingRoutine, (void *)(ULONG_PTR)i);
        ExQueueWorkItem(&items[i], type);
    }
}

// Sets the event, waits for every item to finish and for the dynamic
// threads to end (the idle timeout is short); the timing is restored.
static void KtReleaseBlockedItems(ULONG count, WORK_QUEUE_TYPE type)
{
    KeSetEvent(&KtBlockEvent, 0, FALSE);
    KT_CHECK(KtWaitUntilEqual(&KtFinished, (LONG)count));
    KT_CHECK(KtWaitForNoDynamicThreads());
    KT_CHECK_EQ(ExWorkerQueue[type].Info.WorkerCount, KtStaticThreads[type]);
}

// The delayed queue's three workers block for good; items queue up behind
// them. Every pass that finds items waiting and none processed since the
// previous one adds a dynamic thread, which takes one item and blocks too:
// the threads arrive one at a time, up to 16 and no more, and the rest of
// the items wait in the order queued. Once the event is set everything
// drains, and the dynamic threads, idle, end.
KTEST(BlockedWorkersGetDynamicThreadsOneByOneUpToSixteen)
{
    static WORK_QUEUE_ITEM items[KT_BLOCKED_ITEMS];
    EX_WORK_QUEUE *queue = &ExWorkerQueue[DelayedWorkQueue];
    const ULONG staticThreads = KtStaticThreads[DelayedWorkQueue];
    ULONG last = 0, passesAtSixteen = 0;

    ExpSetWorkerTiming(KT_FAST_INTERVAL_MS, KT_FAST_IDLE_MS);
    KtStartBlockedItems(items, KT_BLOCKED_ITEMS, DelayedWorkQueue);
    KT_CHECK_EQ(KtStarted, (LONG)staticThreads);
    for (ULONG waited = 0; waited < KT_DRAIN_LIMIT_MS && passesAtSixteen < 10; waited += 15) {
        ULONG dynamic = queue->DynamicThreadCount;

        KT_CHECK(dynamic <= EXP_MAX_DYNAMIC_THREADS);
        KT_CHECK(dynamic <= last + 1);      // one at a time
        KT_CHECK_EQ(ExpQueueDepth(DelayedWorkQueue) + KtStarted, KT_BLOCKED_ITEMS);
        last = dynamic;
        if (dynamic == EXP_MAX_DYNAMIC_THREADS)
            passesAtSixteen++;
        KtSleepTicks(1);
    }
    // Ten more looks (several balance passes) at 16: no seventeenth.
    KT_CHECK_EQ(queue->DynamicThreadCount, EXP_MAX_DYNAMIC_THREADS);
    KtSleep(4 * KT_FAST_INTERVAL_MS);
    KT_CHECK_EQ(queue->DynamicThreadCount, EXP_MAX_DYNAMIC_THREADS);
    KT_CHECK_EQ(queue->Info.WorkerCount, staticThreads + EXP_MAX_DYNAMIC_THREADS);
    KT_CHECK_EQ(KtStarted, (LONG)(staticThreads + EXP_MAX_DYNAMIC_THREADS));
    KT_CHECK_EQ(queue->QueueDepthLastPass,
                KT_BLOCKED_ITEMS - staticThreads - EXP_MAX_DYNAMIC_THREADS);
    KT_CHECK(KtQueuedInOrder(queue, staticThreads + EXP_MAX_DYNAMIC_THREADS,
                             KT_BLOCKED_ITEMS - staticThreads - EXP_MAX_DYNAMIC_THREADS));
    KtReleaseBlockedItems(KT_BLOCKED_ITEMS, DelayedWorkQueue);
    KT_EXPECT_EQ(KtStarted, KT_BLOCKED_ITEMS);
    for (ULONG i = 0; i < KT_BLOCKED_ITEMS; i++)
        KT_EXPECT_EQ(KtStartOrder[i], i);
    KT_EXPECT_EQ(ExpQueueDepth(DelayedWorkQueue), 0);
}

// The critical queue makes threads as necessary: an item queued while its
// workers are all blocked wakes the balance manager at once, long before
// its timer (made a minute here) would.
KTEST(CriticalQueueGetsAThreadAtOnceWhenItsWorkersBlock)
{
    static WORK_QUEUE_ITEM items[8];
    const ULONG staticThreads = KtStaticThreads[CriticalWorkQueue];
    ULONG64 start = KeTickCount;

    ExpSetWorkerTiming(60000, KT_FAST_IDLE_MS);
    KtStartBlockedItems(items, ARRAYSIZE(items), CriticalWorkQueue);
    KT_CHECK(KtWaitUntilEqual(&KtStarted, ARRAYSIZE(items)));
    KT_CHECK_EQ(ExWorkerQueue[CriticalWorkQueue].DynamicThreadCount,
                ARRAYSIZE(items) - staticThreads);
    KT_CHECK(KeTickCount - start < 32);     // half a second, not a balance pass
    KtReleaseBlockedItems(ARRAYSIZE(items), CriticalWorkQueue);
}
