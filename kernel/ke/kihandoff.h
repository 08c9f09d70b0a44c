// The release half of a signal-and-wait, in line in its callers (LPC's
// request and reply handoffs): NT's KeReleaseSemaphore with Wait=TRUE for
// one count, the dispatcher lock kept into the wait that follows. The
// common case (a waiter in a plain wait, who is the thread this
// processor's wait would pick) costs no call frame; anything else goes out
// of line (semaphore.c).
#pragma once

#include "ke/ke.h"

// The semaphore's limit passed: the caller's bug (semaphore.c's rule).
__attribute__((noreturn, noinline, cold)) void KiSemaphoreLimitExceeded(KSEMAPHORE *semaphore,
                                                                       void *caller);
// KiReleaseSemaphoreToWaiterInline's other cases, the dispatcher lock held,
// the count at 0 and a waiter there (semaphore.c).
KTHREAD *KiReleaseSemaphoreToOtherWaiter(KSEMAPHORE *semaphore, KPRIORITY increment,
                                         KIRQL waitIrql);

// NT's release with Wait=TRUE of one count, for a caller at DISPATCH_LEVEL
// under a spin lock of its own taken at waitIrql, whose next call is the
// wait (KeWaitForSingleObject, which takes the dispatcher lock over: the
// thread is marked WaitNext). Returns, holding the dispatcher lock, the
// waiter the count went to, standing by on this processor for that wait
// to switch to (its wait returns STATUS_WAIT_0 + its key), or NULL: nobody
// waited (the count is added) or the count went the general way. The
// waiter is made to stand by here when it is in a plain wait (WaitAny on
// this object alone, no timeout, bound to no queue), allowed on this
// processor, with nothing standing by and nothing ready at its boosted
// priority or above. Any other waiter: KiReleaseSemaphoreToOtherWaiter.
static inline __attribute__((always_inline)) KTHREAD *
KiReleaseSemaphoreToWaiterInline(KSEMAPHORE *semaphore, KPRIORITY increment, KIRQL waitIrql)
{
    KTHREAD *thread = KeGetCurrentThread();
    LIST_ENTRY *head = &semaphore->Header.WaitListHead;
    KWAIT_BLOCK *waitBlock;
    KTHREAD *waiter;
    KPRCB *prcb;
    LONG previous;
    KPRIORITY priority;

    KeAcquireSpinLockAtDpcLevel(&KiDispatcherLock);
    previous = semaphore->Header.SignalState;
    if (__builtin_expect(previous > semaphore->Limit - 1, 0))
        KiSemaphoreLimitExceeded(semaphore, __builtin_return_address(0));
    if (previous != 0 || head->Flink == head) {
        // Nobody waits: the count stays for the next wait.
        semaphore->Header.SignalState = previous + 1;
        thread->WaitNext = TRUE;
        thread->WaitIrql = waitIrql;
        return NULL;
    }
    waitBlock = CONTAINING_RECORD(head->Flink, KWAIT_BLOCK, WaitListEntry);
    waiter = waitBlock->Thread;
    prcb = KeGetCurrentPrcb();
    if (!KiIsPlainWaitBlock(waitBlock, waiter) || !(waiter->Affinity & prcb->SetMember))
        return KiReleaseSemaphoreToOtherWaiter(semaphore, increment, waitIrql);
    // The unwait boost decided first (ke.h): the priority the waiter will
    // run at decides the handoff.
    priority = KiUnwaitPriority(waiter, increment);
    if (prcb->NextThread || (prcb->ReadySummary >> priority))
        return KiReleaseSemaphoreToOtherWaiter(semaphore, increment, waitIrql);
    RemoveEntryList(&waitBlock->WaitListEntry);
    waitBlock->WaitListEntry.Flink = NULL;
    waiter->WaitBlockList = NULL;
    waiter->WaitStatus = STATUS_WAIT_0;     // a plain wait's one block has key 0
    KiSetUnwaitPriority(waiter, priority, increment);
    waiter->State = Standby;
    waiter->NextProcessor = (UCHAR)prcb->Number;
    prcb->NextThread = waiter;
    thread->WaitNext = TRUE;
    thread->WaitIrql = waitIrql;
    return waiter;
}

// The end of KiReleaseSemaphoreToWaiterInline for a caller that does not
// wait after all (LPC's datagram), in line there: its own lock released, a
// waiter left standing by that does not outrank it goes to its ready list
// (KiCancelHandoff), and one that does runs now, switched to directly
// (KiExitDispatcher), as after KiReleaseSemaphoreUnlock. Returns at the
// IRQL given to the release.
static inline __attribute__((always_inline)) void KiExitDispatcherNoWait(KSPIN_LOCK *callerLock)
{
    KTHREAD *thread = KeGetCurrentThread();
    KTHREAD *next = KeGetCurrentPrcb()->NextThread;

    thread->WaitNext = FALSE;
    if (next && next->Priority <= thread->Priority)
        KiCancelHandoff();
    KeReleaseSpinLockFromDpcLevel(callerLock);
    KiExitDispatcher(thread->WaitIrql);
}
