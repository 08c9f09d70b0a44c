// Kernel queues (KQUEUE): entries in FIFO order (or at the head), removal
// with a timeout, rundown, and the concurrency limit: no more than
// MaximumCount of the queue's threads run at once, and one that blocks on
// something else lets the next one take an entry.
//
// A thread that calls KeRemoveQueue is bound to the queue until the queue
// is run down, so every test that removes entries itself ends with
// KeRundownQueue; the queues are static so that even a failed test leaves
// no thread bound to a dead stack frame.

#include "tests/kernel/test_dispatcher.h"

#define KT_QUEUE_STATUS(entry) ((NTSTATUS)(LONG_PTR)(entry))

typedef struct _KT_ITEM {
    LIST_ENTRY Entry;
    ULONG Number;
    BOOLEAN Quit;               // the worker that takes it returns
    KEVENT *BlockOn;            // the worker waits on it while handling the item
    ETHREAD *TakenBy;
    LONG TakenOrder;
    // What the worker saw when it took the item, before it blocked.
    LONG QueuedWhenTaken;
    BOOLEAN OtherWorkerWaitingOnQueue;
} KT_ITEM;

static KT_ITEM *KtItem(LIST_ENTRY *entry)
{
    return CONTAINING_RECORD(entry, KT_ITEM, Entry);
}

static void KtInitializeItems(KT_ITEM *items, ULONG count)
{
    memset(items, 0, count * sizeof(*items));
    for (ULONG i = 0; i < count; i++)
        items[i].Number = i;
}

KTEST(QueueEntriesAreRemovedInFifoOrder)
{
    static KQUEUE queue;
    KT_ITEM items[3];
    LONG previous[3];
    LIST_ENTRY *removed[4];

    KtInitializeItems(items, 3);
    KeInitializeQueue(&queue, 1);
    for (ULONG i = 0; i < 3; i++)
        previous[i] = KeInsertQueue(&queue, &items[i].Entry);
    for (ULONG i = 0; i < 4; i++)
        removed[i] = KeRemoveQueue(&queue, KernelMode, &KtZeroTimeout);
    KeRundownQueue(&queue);

    for (ULONG i = 0; i < 3; i++) {
        KT_EXPECT_EQ(previous[i], (LONG)i);
        KT_EXPECT(removed[i] == &items[i].Entry);
    }
    KT_EXPECT_EQ(KT_QUEUE_STATUS(removed[3]), STATUS_TIMEOUT);
    KT_EXPECT_EQ(KeReadStateQueue(&queue), 0);
}

KTEST(QueueInsertHeadPutsTheEntryFirst)
{
    static KQUEUE queue;
    KT_ITEM items[3];
    LIST_ENTRY *removed[3];

    KtInitializeItems(items, 3);
    KeInitializeQueue(&queue, 1);
    KeInsertQueue(&queue, &items[0].Entry);
    KeInsertQueue(&queue, &items[1].Entry);
    KeInsertHeadQueue(&queue, &items[2].Entry);
    KT_EXPECT_EQ(KeReadStateQueue(&queue), 3);
    for (ULONG i = 0; i < 3; i++)
        removed[i] = KeRemoveQueue(&queue, KernelMode, &KtZeroTimeout);
    KeRundownQueue(&queue);

    KT_EXPECT(removed[0] == &items[2].Entry);
    KT_EXPECT(removed[1] == &items[0].Entry);
    KT_EXPECT(removed[2] == &items[1].Entry);
}

KTEST(QueueRemoveTimesOutWhenEmpty)
{
    static KQUEUE queue;
    LARGE_INTEGER timeout = KtRelativeTime(KT_100_MS);
    LIST_ENTRY *polled, *waited;
    ULONG64 start, elapsed;

    KeInitializeQueue(&queue, 1);
    polled = KeRemoveQueue(&queue, KernelMode, &KtZeroTimeout);
    start = KeTickCount;
    waited = KeRemoveQueue(&queue, KernelMode, &timeout);
    elapsed = KeTickCount - start;
    KeRundownQueue(&queue);

    KT_EXPECT_EQ(KT_QUEUE_STATUS(polled), STATUS_TIMEOUT);
    KT_EXPECT_EQ(KT_QUEUE_STATUS(waited), STATUS_TIMEOUT);
    KT_EXPECT(elapsed >= KT_100_MS_MIN_TICKS && elapsed < KT_100_MS_MAX_TICKS);
    KT_EXPECT_EQ(KtWaitListLength(&queue), 0);
}

KTEST(RundownQueueReturnsTheRemainingEntries)
{
    static KQUEUE queue;
    KT_ITEM items[3];
    LIST_ENTRY *first, *empty, *entry;
    ULONG count = 0;
    BOOLEAN inOrder = TRUE;

    KtInitializeItems(items, 3);
    KeInitializeQueue(&queue, 1);
    for (ULONG i = 0; i < 3; i++)
        KeInsertQueue(&queue, &items[i].Entry);
    first = KeRundownQueue(&queue);
    empty = KeRundownQueue(&queue);

    // The entries come back as a ring without a head, first one first.
    KT_EXPECT(first == &items[0].Entry);
    entry = first;
    do {
        inOrder = inOrder && KtItem(entry)->Number == count;
        count++;
        entry = entry->Flink;
    } while (entry != first && count < 10);
    KT_EXPECT_EQ(count, 3);
    KT_EXPECT(inOrder);
    KT_EXPECT(empty == NULL);
    KT_EXPECT_EQ(KeReadStateQueue(&queue), 0);
}

// ---- Worker threads ---------------------------------------------------------------

typedef struct _KT_WORKER {
    KQUEUE *Queue;
    struct _KT_WORKER *Other;
    volatile LONG *Sequence;
    ETHREAD *Thread;
    NTSTATUS LastStatus;        // STATUS_SUCCESS once it quits, or what KeRemoveQueue failed with
} KT_WORKER;

// Takes entries until a Quit item (or a failure): records what it saw when
// it took each, then blocks on the item's event if it has one.
static void KtWorkerRoutine(void *context)
{
    KT_WORKER *worker = context;

    for (;;) {
        LIST_ENTRY *entry = KeRemoveQueue(worker->Queue, KernelMode, &KtWaitLimit);
        KT_ITEM *item;

        // Not an entry but a status (STATUS_TIMEOUT...): a small number.
        if ((ULONG_PTR)entry < PAGE_SIZE) {
            worker->LastStatus = KT_QUEUE_STATUS(entry);
            return;
        }
        item = KtItem(entry);
        item->TakenBy = PsGetCurrentThread();
        item->TakenOrder = __atomic_add_fetch(worker->Sequence, 1, __ATOMIC_SEQ_CST);
        item->QueuedWhenTaken = KeReadStateQueue(worker->Queue);
        item->OtherWorkerWaitingOnQueue = worker->Other && worker->Other->Thread &&
                                          KtIsWaitingOn(worker->Other->Thread, worker->Queue);
        if (item->Quit) {
            worker->LastStatus = STATUS_SUCCESS;
            return;
        }
        if (item->BlockOn)
            KtWait(item->BlockOn);
    }
}

static void KtStartWorker(KT_WORKER *worker, KQUEUE *queue, KT_WORKER *other,
                          volatile LONG *sequence)
{
    worker->Queue = queue;
    worker->Other = other;
    worker->Sequence = sequence;
    worker->LastStatus = STATUS_PENDING;
    worker->Thread = KtStartThread(KtWorkerRoutine, worker, KT_HIGH_PRIORITY);
    KtWaitUntilWaitingOn(worker->Thread, queue);
}

KTEST(QueueWaiterReceivesTheInsertedEntry)
{
    static KQUEUE queue;
    KT_WORKER worker;
    KT_ITEM item;
    volatile LONG sequence = 0;
    LONG queuedAfterInsert;

    KtInitializeItems(&item, 1);
    item.Quit = TRUE;
    KeInitializeQueue(&queue, 1);
    KtStartWorker(&worker, &queue, NULL, &sequence);
    KeInsertQueue(&queue, &item.Entry);
    queuedAfterInsert = KeReadStateQueue(&queue);
    KtJoinThread(worker.Thread);
    KeRundownQueue(&queue);

    KT_EXPECT_EQ(queuedAfterInsert, 0);     // it went straight to the waiter
    KT_EXPECT(item.TakenBy == worker.Thread);
    KT_EXPECT_EQ(worker.LastStatus, STATUS_SUCCESS);
}

// MaximumCount 1 and two workers. Two entries arrive at once: one worker
// takes the first and runs; the second entry stays queued and the other
// worker keeps waiting. Only when the first worker blocks on an event does
// the second worker get the second entry (NT's KiActivateWaiterQueue).
KTEST(QueueConcurrencyRunsOneWorkerUntilItBlocks)
{
    static KQUEUE queue;
    KT_WORKER workers[2];
    KT_ITEM items[4];
    KEVENT release[2];
    volatile LONG sequence = 0;
    KIRQL oldIrql;
    LONG takenBeforeRelease;
    ULONG currentCountWhileBlocked;

    KtInitializeItems(items, 4);
    memset(workers, 0, sizeof(workers));
    KeInitializeQueue(&queue, 1);
    for (ULONG i = 0; i < 2; i++) {
        KeInitializeEvent(&release[i], NotificationEvent, FALSE);
        items[i].BlockOn = &release[i];
        items[2 + i].Quit = TRUE;
    }
    KtStartWorker(&workers[0], &queue, &workers[1], &sequence);
    KtStartWorker(&workers[1], &queue, &workers[0], &sequence);

    // Both entries go in before either worker can run.
    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    KeInsertQueue(&queue, &items[0].Entry);
    KeInsertQueue(&queue, &items[1].Entry);
    KeLowerIrql(oldIrql);
    // Both workers (above us) have now run as far as they can: each holds
    // an item and waits on its event.
    takenBeforeRelease = sequence;
    currentCountWhileBlocked = queue.CurrentCount;
    KeSetEvent(&release[0], IO_NO_INCREMENT, FALSE);
    KeSetEvent(&release[1], IO_NO_INCREMENT, FALSE);
    KeInsertQueue(&queue, &items[2].Entry);
    KeInsertQueue(&queue, &items[3].Entry);
    KtJoinThread(workers[0].Thread);
    KtJoinThread(workers[1].Thread);
    KeRundownQueue(&queue);

    KT_EXPECT_EQ(takenBeforeRelease, 2);
    KT_EXPECT_EQ(currentCountWhileBlocked, 0);
    KT_EXPECT_EQ(items[0].TakenOrder, 1);
    KT_EXPECT_EQ(items[1].TakenOrder, 2);
    KT_EXPECT(items[0].TakenBy != NULL && items[1].TakenBy != NULL);
    KT_EXPECT(items[0].TakenBy != items[1].TakenBy);
    // While the first worker ran, the second entry waited in the queue and
    // the other worker waited for it.
    KT_EXPECT_EQ(items[0].QueuedWhenTaken, 1);
    KT_EXPECT(items[0].OtherWorkerWaitingOnQueue);
    KT_EXPECT_EQ(items[1].QueuedWhenTaken, 0);
    KT_EXPECT_EQ(workers[0].LastStatus, STATUS_SUCCESS);
    KT_EXPECT_EQ(workers[1].LastStatus, STATUS_SUCCESS);
}

// With MaximumCount 1 a thread of the queue that runs (here, the test
// thread itself) keeps the queue to itself: an entry inserted meanwhile
// waits, even with another worker waiting for it. Once the running thread
// blocks, the worker gets the entry.
KTEST(QueueConcurrencyHoldsEntriesBackWhileAWorkerRuns)
{
    static KQUEUE queue;
    KT_WORKER idle;
    KT_ITEM items[2];
    volatile LONG sequence = 0;
    LIST_ENTRY *mine;
    LONG queuedWhileRunning;
    BOOLEAN idleWaitingWhileRunning;

    KtInitializeItems(items, 2);
    items[1].Quit = TRUE;
    KeInitializeQueue(&queue, 1);
    KeInsertQueue(&queue, &items[0].Entry);
    mine = KeRemoveQueue(&queue, KernelMode, &KtZeroTimeout);
    KtStartWorker(&idle, &queue, NULL, &sequence);
    KeInsertQueue(&queue, &items[1].Entry);
    // The worker is above us: had it been given the entry it would have run.
    queuedWhileRunning = KeReadStateQueue(&queue);
    idleWaitingWhileRunning = idle.Thread && KtIsWaitingOn(idle.Thread, &queue);
    KtJoinThread(idle.Thread);      // we block: the worker takes the entry and quits
    KeRundownQueue(&queue);

    KT_EXPECT(mine == &items[0].Entry);
    KT_EXPECT_EQ(queuedWhileRunning, 1);
    KT_EXPECT(idleWaitingWhileRunning);
    KT_EXPECT(items[1].TakenBy == idle.Thread);
    KT_EXPECT_EQ(idle.LastStatus, STATUS_SUCCESS);
}

// A worker ended by a kernel APC while it waits in KeRemoveQueue must not
// upset the queue's count of running threads: the next worker still gets
// entries.
KTEST(QueueWorkerTerminatedWhileWaitingLeavesTheQueueUsable)
{
    static KQUEUE queue;
    KT_WORKER victim, survivor;
    KT_ITEM item;
    volatile LONG sequence = 0;
    ULONG currentCountAfterKill;
    BOOLEAN apcQueued = FALSE;

    KtInitializeItems(&item, 1);
    item.Quit = TRUE;
    KeInitializeQueue(&queue, 1);
    KtStartWorker(&victim, &queue, NULL, &sequence);
    if (victim.Thread)
        apcQueued = KtTerminateThread(victim.Thread);
    KtJoinThread(victim.Thread);
    currentCountAfterKill = queue.CurrentCount;
    KtStartWorker(&survivor, &queue, NULL, &sequence);
    KeInsertQueue(&queue, &item.Entry);
    KtJoinThread(survivor.Thread);
    KeRundownQueue(&queue);

    KT_EXPECT(apcQueued);
    KT_EXPECT_EQ(victim.LastStatus, STATUS_PENDING);    // it never returned from the wait
    KT_EXPECT_EQ(currentCountAfterKill, 0);
    KT_EXPECT(item.TakenBy == survivor.Thread);
    KT_EXPECT_EQ(survivor.LastStatus, STATUS_SUCCESS);
}

// A worker waiting for an entry runs a kernel APC and goes back to waiting:
// the queue still counts no running thread, so the next entry reaches it.
KTEST(QueueWaiterThatRunsAKernelApcKeepsWaitingForEntries)
{
    static KQUEUE queue;
    KT_WORKER worker;
    KT_ITEM item;
    KAPC apc;
    volatile LONG apcRuns = 0;
    volatile LONG sequence = 0;
    BOOLEAN inserted = FALSE, waitingAfterApc = FALSE;
    ULONG currentCountAfterApc;

    KtInitializeItems(&item, 1);
    item.Quit = TRUE;
    KeInitializeQueue(&queue, 1);
    KtStartWorker(&worker, &queue, NULL, &sequence);
    if (worker.Thread) {
        KeInitializeApc(&apc, &worker.Thread->Tcb, OriginalApcEnvironment, KtCountingApcRoutine,
                        NULL, NULL, KernelMode, NULL);
        inserted = KeInsertQueueApc(&apc, (void *)&apcRuns, NULL, IO_NO_INCREMENT);
        waitingAfterApc = KtIsWaitingOn(worker.Thread, &queue);
    }
    currentCountAfterApc = queue.CurrentCount;
    KeInsertQueue(&queue, &item.Entry);
    KtJoinThread(worker.Thread);
    KeRundownQueue(&queue);

    KT_EXPECT(inserted);
    KT_EXPECT_EQ(apcRuns, 1);
    KT_EXPECT(waitingAfterApc);
    KT_EXPECT_EQ(currentCountAfterApc, 0);
    KT_EXPECT(item.TakenBy == worker.Thread);
    KT_EXPECT_EQ(worker.LastStatus, STATUS_SUCCESS);
}
