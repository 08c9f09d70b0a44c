// Kernel queues (KQUEUE), the object under I/O completion ports and the
// system worker queues. Besides holding entries, a queue limits how many of
// its threads run at once (MaximumCount): a thread that takes an entry is
// counted in CurrentCount until it asks for the next one, and a counted
// thread that blocks on anything else gives its slot to a waiting thread.

#include "ke/ke.h"

#define QUEUE_STATUS(status) ((LIST_ENTRY *)(LONG_PTR)(status))

void KeInitializeQueue(KQUEUE *queue, ULONG count)
{
    queue->Header.Type = QueueObject;
    queue->Header.Size = sizeof(KQUEUE) / sizeof(LONG64);
    queue->Header.SignalState = 0;
    InitializeListHead(&queue->Header.WaitListHead);
    InitializeListHead(&queue->EntryListHead);
    InitializeListHead(&queue->ThreadListHead);
    queue->CurrentCount = 0;
    queue->MaximumCount = count ? count : KeNumberProcessors;
}

// The thread that has waited least time (NT takes the last waiter: its
// stack and cache are the warmest).
static KTHREAD *KiLastQueueWaiter(KQUEUE *queue)
{
    if (IsListEmpty(&queue->Header.WaitListHead))
        return NULL;
    return CONTAINING_RECORD(queue->Header.WaitListHead.Blink, KWAIT_BLOCK,
                             WaitListEntry)->Thread;
}

static LONG KiInsertQueue(KQUEUE *queue, LIST_ENTRY *entry, BOOLEAN head)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    LONG previous = queue->Header.SignalState;
    KTHREAD *current = KeGetCurrentThread();
    KTHREAD *waiter = KiLastQueueWaiter(queue);

    if (waiter && queue->CurrentCount < queue->MaximumCount &&
        !(current->Queue == queue && current->WaitReason == WrQueue &&
          current->State == Waiting)) {
        queue->CurrentCount++;
        KiUnwaitThread(waiter, (LONG_PTR)entry, 0);
    } else {
        queue->Header.SignalState++;
        if (head)
            InsertHeadList(&queue->EntryListHead, entry);
        else
            InsertTailList(&queue->EntryListHead, entry);
    }
    KiReleaseDispatcherLock(oldIrql);
    return previous;
}

LONG KeInsertQueue(KQUEUE *queue, LIST_ENTRY *entry)
{
    return KiInsertQueue(queue, entry, FALSE);
}

LONG KeInsertHeadQueue(KQUEUE *queue, LIST_ENTRY *entry)
{
    return KiInsertQueue(queue, entry, TRUE);
}

// A counted thread of `queue` has blocked on something else: give its slot to
// a waiter if there is an entry for it. Caller holds the dispatcher lock.
void KiActivateWaiterQueue(KQUEUE *queue)
{
    KTHREAD *waiter;
    LIST_ENTRY *entry;

    queue->CurrentCount--;
    if (queue->CurrentCount >= queue->MaximumCount || IsListEmpty(&queue->EntryListHead))
        return;
    waiter = KiLastQueueWaiter(queue);
    if (!waiter)
        return;
    entry = RemoveHeadList(&queue->EntryListHead);
    entry->Flink = NULL;
    queue->Header.SignalState--;
    queue->CurrentCount++;
    KiUnwaitThread(waiter, (LONG_PTR)entry, 0);
}

LIST_ENTRY *KeRemoveQueue(KQUEUE *queue, KPROCESSOR_MODE waitMode, LARGE_INTEGER *timeout)
{
    KTHREAD *thread = KeGetCurrentThread();
    KIRQL oldIrql = KiAcquireDispatcherLock();
    LONG_PTR status;

    if (thread->Queue != queue) {
        if (thread->Queue) {
            RemoveEntryList(&thread->QueueListEntry);
            KiActivateWaiterQueue(thread->Queue);
        }
        thread->Queue = queue;
        InsertTailList(&queue->ThreadListHead, &thread->QueueListEntry);
    } else {
        queue->CurrentCount--;      // done with its last entry
    }

    for (;;) {
        KWAIT_BLOCK *waitBlock = &thread->WaitBlock[0];

        if (queue->CurrentCount < queue->MaximumCount && !IsListEmpty(&queue->EntryListHead)) {
            LIST_ENTRY *entry = RemoveHeadList(&queue->EntryListHead);

            entry->Flink = NULL;
            queue->Header.SignalState--;
            queue->CurrentCount++;
            KiReleaseDispatcherLock(oldIrql);
            return entry;
        }
        // A zero timeout, or one already past, ends the wait at once.
        if (timeout && (timeout->QuadPart == 0 || !KiInsertWaitTimer(&thread->Timer, *timeout))) {
            queue->CurrentCount++;
            KiReleaseDispatcherLock(oldIrql);
            return QUEUE_STATUS(STATUS_TIMEOUT);
        }

        waitBlock->Thread = thread;
        waitBlock->Object = queue;
        waitBlock->WaitKey = 0;
        waitBlock->WaitType = WaitAny;
        waitBlock->NextWaitBlock = waitBlock;
        InsertTailList(&queue->Header.WaitListHead, &waitBlock->WaitListEntry);
        thread->WaitBlockList = waitBlock;
        if (timeout) {
            KWAIT_BLOCK *timerBlock = &thread->WaitBlock[TIMER_WAIT_BLOCK];

            timerBlock->Thread = thread;
            timerBlock->Object = &thread->Timer;
            timerBlock->WaitKey = (USHORT)STATUS_TIMEOUT;
            timerBlock->WaitType = WaitAny;
            timerBlock->NextWaitBlock = waitBlock;
            waitBlock->NextWaitBlock = timerBlock;
            InsertTailList(&thread->Timer.Header.WaitListHead, &timerBlock->WaitListEntry);
        }
        thread->State = Waiting;
        thread->WaitReason = WrQueue;
        thread->WaitMode = waitMode;
        thread->Alertable = FALSE;
        thread->WaitIrql = oldIrql;
        thread->WaitTime = KeTickCount;
        thread->WaitStatus = STATUS_PENDING;
        status = KiSwapThread();
        KeLowerIrql(oldIrql);

        if (status == STATUS_KERNEL_APC) {
            // Counted as running while the APC ran (KiUnwaitThread); it
            // waits for an entry again.
            KiDeliverApc();
            oldIrql = KiAcquireDispatcherLock();
            if (thread->Queue == queue)
                queue->CurrentCount--;
            continue;
        }
        if (status == STATUS_TIMEOUT || status == STATUS_USER_APC) {
            oldIrql = KiAcquireDispatcherLock();
            queue->CurrentCount++;
            KiReleaseDispatcherLock(oldIrql);
        }
        return (LIST_ENTRY *)status;
    }
}

// Detaches every thread from the queue and hands back the entries still in
// it (the first one, the rest linked behind it; NULL when there are none).
LIST_ENTRY *KeRundownQueue(KQUEUE *queue)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    LIST_ENTRY *first = NULL;

    if (!IsListEmpty(&queue->EntryListHead)) {
        first = queue->EntryListHead.Flink;
        RemoveEntryList(&queue->EntryListHead);
        InitializeListHead(&queue->EntryListHead);
    }
    queue->Header.SignalState = 0;
    while (!IsListEmpty(&queue->ThreadListHead)) {
        KTHREAD *thread = CONTAINING_RECORD(RemoveHeadList(&queue->ThreadListHead), KTHREAD,
                                            QueueListEntry);
        thread->Queue = NULL;
    }
    KiReleaseDispatcherLock(oldIrql);
    return first;
}

LONG KeReadStateQueue(KQUEUE *queue)
{
    return queue->Header.SignalState;
}
