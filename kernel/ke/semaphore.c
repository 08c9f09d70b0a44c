// Semaphores: a count between 0 and a limit. Each satisfied wait takes one;
// a release adds some, but never past the limit.

#include "ke/ke.h"
#include "ke/kihandoff.h"

void KeInitializeSemaphore(KSEMAPHORE *semaphore, LONG count, LONG limit)
{
    semaphore->Header.Type = SemaphoreObject;
    semaphore->Header.Size = sizeof(KSEMAPHORE) / sizeof(LONG64);
    semaphore->Header.SignalState = count;
    semaphore->Limit = limit;
    InitializeListHead(&semaphore->Header.WaitListHead);
}

// Adds `adjustment` to a count that was `previous`, satisfying waiters.
// One count to a semaphore at 0 whose first waiter waits for any of its
// objects goes to that waiter at once, as KiWaitTest would give it (a
// semaphore is never abandoned: STATUS_WAIT_0 plus its key), without the
// general walk; anything else goes through KiWaitTest. Dispatcher lock held.
static inline void KiAddSemaphoreCount(KSEMAPHORE *semaphore, LONG previous, LONG adjustment,
                                       KPRIORITY increment)
{
    if (previous == 0 && !IsListEmpty(&semaphore->Header.WaitListHead)) {
        KWAIT_BLOCK *waitBlock = CONTAINING_RECORD(semaphore->Header.WaitListHead.Flink,
                                                   KWAIT_BLOCK, WaitListEntry);

        if (adjustment == 1 && waitBlock->WaitType == WaitAny) {
            KiUnwaitThread(waitBlock->Thread, STATUS_WAIT_0 + waitBlock->WaitKey, increment);
            return;
        }
        semaphore->Header.SignalState = previous + adjustment;
        KiWaitTest(&semaphore->Header, increment);
        return;
    }
    semaphore->Header.SignalState = previous + adjustment;
}

NTSTATUS KeReleaseSemaphoreEx(KSEMAPHORE *semaphore, KPRIORITY increment, LONG adjustment,
                              LONG *previousCount)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    LONG previous = semaphore->Header.SignalState;

    // As NT: an adjustment that is not positive, or that would pass the
    // limit (or overflow), fails and changes nothing.
    if (adjustment <= 0 || previous > semaphore->Limit - adjustment) {
        KiReleaseDispatcherLock(oldIrql);
        return STATUS_SEMAPHORE_LIMIT_EXCEEDED;
    }
    KiAddSemaphoreCount(semaphore, previous, adjustment, increment);
    KiReleaseDispatcherLock(oldIrql);
    if (previousCount)
        *previousCount = previous;
    return STATUS_SUCCESS;
}

void KiReleaseSemaphoreCount(KSEMAPHORE *semaphore, LONG previous, LONG adjustment,
                             KPRIORITY increment)
{
    KiAddSemaphoreCount(semaphore, previous, adjustment, increment);
}

LONG KiReleaseSemaphoreUnlock(KSEMAPHORE *semaphore, KPRIORITY increment, KSPIN_LOCK *callerLock,
                              KIRQL oldIrql)
{
    KTHREAD *thread = KeGetCurrentThread();
    LONG previous;

    KiAcquireDispatcherLockAtDpcLevel();
    previous = semaphore->Header.SignalState;
    if (previous > semaphore->Limit - 1)
        KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, (ULONG)STATUS_SEMAPHORE_LIMIT_EXCEEDED,
                     (ULONG64)__builtin_return_address(0), (ULONG64)semaphore, 1);
    // A waiter readied to preempt asks for no dispatch interrupt meanwhile:
    // KiExitDispatcher switches to it directly.
    thread->WaitNext = TRUE;
    KiAddSemaphoreCount(semaphore, previous, 1, increment);
    thread->WaitNext = FALSE;
    KeReleaseSpinLockFromDpcLevel(callerLock);
    KiExitDispatcher(oldIrql);
    return previous;
}

// The kernel-mode form: releasing past the limit is a caller bug, which NT
// raises as an exception; with no exception handling in the kernel that is
// a bugcheck. With `wait`, NT's meaning: the caller's next call is a wait,
// which the dispatcher lock is kept for (KiReleaseSemaphoreWaitNext).
LONG KeReleaseSemaphore(KSEMAPHORE *semaphore, KPRIORITY increment, LONG adjustment,
                        BOOLEAN wait)
{
    LONG previous = 0;
    NTSTATUS status;

    if (wait)
        return KiReleaseSemaphoreWaitNext(semaphore, increment, adjustment, KeGetCurrentIrql());
    status = KeReleaseSemaphoreEx(semaphore, increment, adjustment, &previous);
    if (!NT_SUCCESS(status))
        KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, (ULONG)status,
                     (ULONG64)__builtin_return_address(0), (ULONG64)semaphore, adjustment);
    return previous;
}

// The waiter is not one KiReleaseSemaphoreToWaiterInline makes stand by.
// A plain wait (WaitAny on this object alone, no timeout, bound to no
// queue, allowed on this processor) still takes the count as the thread
// the caller hands its message to: unwaited and readied, with the caller
// marked WaitNext first so that a ready that would preempt it leaves the
// switch to its wait (KiReadyThread). Anything else is an ordinary release.
KTHREAD *KiReleaseSemaphoreToOtherWaiter(KSEMAPHORE *semaphore, KPRIORITY increment,
                                         KIRQL waitIrql)
{
    KTHREAD *thread = KeGetCurrentThread();
    KWAIT_BLOCK *waitBlock = CONTAINING_RECORD(semaphore->Header.WaitListHead.Flink,
                                               KWAIT_BLOCK, WaitListEntry);
    KTHREAD *waiter = waitBlock->Thread;

    BOOLEAN plain;

    thread->WaitNext = TRUE;
    thread->WaitIrql = waitIrql;
    if (waitBlock->WaitType != WaitAny) {
        KiAddSemaphoreCount(semaphore, 0, 1, increment);
        return NULL;
    }
    // KiAddSemaphoreCount's way for a first waiter that waits for any of
    // its objects, the plain wait's test made before the unwait changes it.
    plain = KiIsPlainWaitBlock(waitBlock, waiter) &&
            (waiter->Affinity & KeGetCurrentPrcb()->SetMember);
    KiUnwaitThread(waiter, STATUS_WAIT_0 + waitBlock->WaitKey, increment);
    return plain ? waiter : NULL;
}

void KiSemaphoreLimitExceeded(KSEMAPHORE *semaphore, void *caller)
{
    KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, (ULONG)STATUS_SEMAPHORE_LIMIT_EXCEEDED,
                 (ULONG64)caller, (ULONG64)semaphore, 1);
}

LONG KeReadStateSemaphore(KSEMAPHORE *semaphore)
{
    return semaphore->Header.SignalState;
}
