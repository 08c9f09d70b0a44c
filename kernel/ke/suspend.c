// Suspending and resuming threads, as NT does it: a thread is never stopped
// from outside. The first suspend queues its SuspendApc, a kernel APC whose
// normal routine (running in the thread itself, at PASSIVE_LEVEL) waits on
// the thread's SuspendSemaphore; the resume that brings the count back to
// 0 releases the semaphore and the thread goes on where it was.

#include "ke/ke.h"

#define SUSPEND_SEMAPHORE_LIMIT 2   // NT's: one release may be outstanding

static void KiSuspendNop(KAPC *apc, PKNORMAL_ROUTINE *normalRoutine, void **normalContext,
                         void **systemArgument1, void **systemArgument2)
{
}

static void KiSuspendThread(void *normalContext, void *systemArgument1, void *systemArgument2)
{
    KTHREAD *thread = KeGetCurrentThread();

    KeWaitForSingleObject(&thread->SuspendSemaphore, Suspended, KernelMode, FALSE, NULL);
}

void KiInitializeSuspend(KTHREAD *thread)
{
    KeInitializeApc(&thread->SuspendApc, thread, OriginalApcEnvironment, KiSuspendNop, NULL,
                    KiSuspendThread, KernelMode, NULL);
    KeInitializeSemaphore(&thread->SuspendSemaphore, 0, SUSPEND_SEMAPHORE_LIMIT);
    thread->SuspendCount = 0;
}

NTSTATUS KeSuspendThread(KTHREAD *thread, ULONG *previousCount)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    ULONG previous = thread->SuspendCount;
    BOOLEAN queue = FALSE;

    if (!thread->ApcQueueable) {
        KiReleaseDispatcherLock(oldIrql);
        return STATUS_THREAD_IS_TERMINATING;
    }
    if (previous == MAXIMUM_SUSPEND_COUNT) {
        KiReleaseDispatcherLock(oldIrql);
        return STATUS_SUSPEND_COUNT_EXCEEDED;
    }
    thread->SuspendCount++;
    if (previous == 0) {
        // Suspended, resumed and suspended again before the APC ran: it is
        // still queued, and the release the resume made must be taken back.
        if (thread->SuspendApc.Inserted) {
            if (thread->SuspendSemaphore.Header.SignalState > 0)
                thread->SuspendSemaphore.Header.SignalState--;
        } else {
            queue = TRUE;
        }
    }
    KiReleaseDispatcherLock(oldIrql);
    // A resume between the two is harmless: the APC then finds the
    // semaphore released and goes straight on.
    if (queue)
        KeInsertQueueApc(&thread->SuspendApc, NULL, NULL, IO_NO_INCREMENT);
    if (previousCount)
        *previousCount = previous;
    return STATUS_SUCCESS;
}

// Caller holds the dispatcher lock.
static void KiReleaseSuspendSemaphore(KTHREAD *thread)
{
    thread->SuspendSemaphore.Header.SignalState++;
    if (!IsListEmpty(&thread->SuspendSemaphore.Header.WaitListHead))
        KiWaitTest(&thread->SuspendSemaphore.Header, IO_NO_INCREMENT);
}

ULONG KeResumeThread(KTHREAD *thread)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    ULONG previous = thread->SuspendCount;

    if (previous != 0 && --thread->SuspendCount == 0)
        KiReleaseSuspendSemaphore(thread);
    KiReleaseDispatcherLock(oldIrql);
    return previous;
}

ULONG KeForceResumeThread(KTHREAD *thread)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    ULONG previous = thread->SuspendCount;

    if (previous != 0) {
        thread->SuspendCount = 0;
        KiReleaseSuspendSemaphore(thread);
    }
    KiReleaseDispatcherLock(oldIrql);
    return previous;
}

void KeRundownThread(void)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();

    KiAbandonMutants(KeGetCurrentThread());
    KiReleaseDispatcherLock(oldIrql);
}
