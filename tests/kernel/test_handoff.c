// NT's Wait=TRUE on a release (KeReleaseSemaphore, KiReleaseSemaphoreWaitNext):
// the releaser keeps the dispatcher lock into its next wait, so a waiter of
// higher priority it readies runs when the releaser blocks (the handoff LPC's
// requests use), not by preempting it in between; and a wait that then does
// not block still lets that waiter run at once; a waiter that does not
// outrank the releaser runs when the releaser blocks, and not before.

#include "tests/kernel/test_dispatcher.h"

typedef struct _KT_HANDOFF {
    KSEMAPHORE Go;              // the releaser releases it with Wait=TRUE
    KSEMAPHORE Back;            // then waits on it
    ETHREAD *Releaser;
    volatile LONG Ran;
    volatile LONG ReleaserWasWaiting;
    BOOLEAN NoTimeout;          // the waiter waits on Go with no timeout (a plain wait)
} KT_HANDOFF;

static void KtHandoffWaiter(void *context)
{
    KT_HANDOFF *handoff = context;

    // Go is always released: a wait with no timeout cannot hang the test.
    if ((handoff->NoTimeout ? KeWaitForSingleObject(&handoff->Go, Executive, KernelMode, FALSE,
                                                    NULL)
                            : KtWait(&handoff->Go)) != STATUS_WAIT_0)
        return;
    handoff->ReleaserWasWaiting = KtIsWaitingOn(handoff->Releaser, &handoff->Back);
    handoff->Ran = 1;
    KeReleaseSemaphore(&handoff->Back, IO_NO_INCREMENT, 1, FALSE);
}

static ETHREAD *KtStartHandoffWaiterAt(KT_HANDOFF *handoff, LONG backCount, KPRIORITY priority)
{
    ETHREAD *waiter;

    KeInitializeSemaphore(&handoff->Go, 0, 1);
    KeInitializeSemaphore(&handoff->Back, backCount, 2);
    handoff->Releaser = PsGetCurrentThread();
    handoff->Ran = 0;
    handoff->ReleaserWasWaiting = 0;
    // A waiter below the releaser waits as LPC's do (no timeout), so that
    // the release makes it stand by (KiUnwaitForHandoff).
    handoff->NoTimeout = priority < KT_HIGH_PRIORITY;
    waiter = KtStartThread(KtHandoffWaiter, handoff, priority);
    if (waiter && !KtWaitUntilWaitingOn(waiter, &handoff->Go)) {
        KtTerminateThread(waiter);
        KtJoinThread(waiter);
        return NULL;
    }
    return waiter;
}

static ETHREAD *KtStartHandoffWaiter(KT_HANDOFF *handoff, LONG backCount)
{
    return KtStartHandoffWaiterAt(handoff, backCount, KT_HIGH_PRIORITY);
}

KTEST(ReleaseWithWaitHandsOffToAHigherWaiterWhenTheReleaserBlocks)
{
    KT_HANDOFF handoff;
    ETHREAD *waiter = KtStartHandoffWaiter(&handoff, 0);
    KIRQL irqlBetween;
    NTSTATUS status;

    KT_EXPECT(waiter != NULL);
    KeReleaseSemaphore(&handoff.Go, 1, 1, TRUE);
    // Nothing may come between the release and the wait but reading state.
    irqlBetween = KeGetCurrentIrql();
    status = KeWaitForSingleObject(&handoff.Back, Executive, KernelMode, FALSE, &KtWaitLimit);
    KT_CHECK_EQ(irqlBetween, DISPATCH_LEVEL);
    KT_CHECK_EQ(status, STATUS_WAIT_0);
    KT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    KT_CHECK_EQ(handoff.Ran, 1);
    // It ran only once the releaser waited: no preemption in between.
    KT_CHECK_EQ(handoff.ReleaserWasWaiting, 1);
    KtJoinThread(waiter);
}

KTEST(ReleaseWithWaitThenAWaitThatDoesNotBlockLetsTheWaiterRunAtOnce)
{
    KT_HANDOFF handoff;
    ETHREAD *waiter = KtStartHandoffWaiter(&handoff, 1);
    NTSTATUS status;
    LONG ranWhenWaitReturned;

    KT_EXPECT(waiter != NULL);
    KeReleaseSemaphore(&handoff.Go, 1, 1, TRUE);
    // Back is signalled: the wait takes it without blocking; the waiter,
    // readied without a dispatch interrupt, must still preempt at once.
    status = KeWaitForSingleObject(&handoff.Back, Executive, KernelMode, FALSE, &KtWaitLimit);
    ranWhenWaitReturned = handoff.Ran;
    KT_CHECK_EQ(status, STATUS_WAIT_0);
    KT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    KT_CHECK_EQ(ranWhenWaitReturned, 1);
    KT_CHECK_EQ(handoff.ReleaserWasWaiting, 0);
    KtJoinThread(waiter);
}

// A waiter that does not outrank the releaser stands by for the releaser's
// wait when nothing else is ready at its priority (no ready list in
// between); when that wait does not block, it goes back to being merely
// ready: it must not preempt the releaser, which it does not outrank.
KTEST(ReleaseWithWaitToALowerWaiterRunsItWhenTheReleaserBlocks)
{
    KT_HANDOFF handoff;
    ETHREAD *waiter = KtStartHandoffWaiterAt(&handoff, 0, KT_LOW_PRIORITY);
    NTSTATUS status;

    KT_EXPECT(waiter != NULL);
    KeReleaseSemaphore(&handoff.Go, IO_NO_INCREMENT, 1, TRUE);
    status = KeWaitForSingleObject(&handoff.Back, Executive, KernelMode, FALSE, &KtWaitLimit);
    KT_CHECK_EQ(status, STATUS_WAIT_0);
    KT_CHECK_EQ(handoff.Ran, 1);
    KT_CHECK_EQ(handoff.ReleaserWasWaiting, 1);
    KtJoinThread(waiter);
}

KTEST(ReleaseWithWaitToALowerWaiterThenAWaitThatDoesNotBlockKeepsRunning)
{
    KT_HANDOFF handoff;
    ETHREAD *waiter = KtStartHandoffWaiterAt(&handoff, 1, KT_LOW_PRIORITY);
    NTSTATUS status;
    LONG ranWhenWaitReturned;
    BOOLEAN standingBy;

    KT_EXPECT(waiter != NULL);
    KeReleaseSemaphore(&handoff.Go, IO_NO_INCREMENT, 1, TRUE);
    standingBy = KeGetCurrentPrcb()->NextThread == &waiter->Tcb;
    status = KeWaitForSingleObject(&handoff.Back, Executive, KernelMode, FALSE, &KtWaitLimit);
    // Back at PASSIVE_LEVEL: a dispatch interrupt asked for it would have
    // run the waiter by now.
    ranWhenWaitReturned = handoff.Ran;
    KT_CHECK_EQ(status, STATUS_WAIT_0);
    KT_CHECK_EQ(standingBy, TRUE);
    KT_CHECK_EQ(ranWhenWaitReturned, 0);
    KT_CHECK_EQ(KeGetCurrentPrcb()->NextThread == &waiter->Tcb, FALSE);
    KtJoinThread(waiter);
    KT_CHECK_EQ(handoff.Ran, 1);
}

// KiReleaseSemaphoreUnlock (LPC's datagrams): a waiter readied that
// outranks the releaser runs before the release returns, switched to
// without a dispatch interrupt; one that does not waits for the releaser
// to block; a caller at DISPATCH_LEVEL gets the switch when its IRQL drops.
KTEST(ReleaseUnlockRunsAHigherWaiterBeforeItReturns)
{
    KT_HANDOFF handoff;
    ETHREAD *waiter = KtStartHandoffWaiterAt(&handoff, 0, KT_HIGH_PRIORITY);
    KSPIN_LOCK lock;
    KIRQL oldIrql;
    LONG ranWhenReleased;

    KT_EXPECT(waiter != NULL);
    KeInitializeSpinLock(&lock);
    KeAcquireSpinLock(&lock, &oldIrql);
    KiReleaseSemaphoreUnlock(&handoff.Go, 1, &lock, oldIrql);
    ranWhenReleased = handoff.Ran;
    KT_CHECK_EQ(ranWhenReleased, 1);
    KT_CHECK_EQ(lock, 0);
    KT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    KtJoinThread(waiter);
}

KTEST(ReleaseUnlockLeavesALowerWaiterForTheReleasersNextWait)
{
    KT_HANDOFF handoff;
    ETHREAD *waiter = KtStartHandoffWaiterAt(&handoff, 0, KT_LOW_PRIORITY);
    KSPIN_LOCK lock;
    KIRQL oldIrql;
    LONG ranWhenReleased;

    KT_EXPECT(waiter != NULL);
    KeInitializeSpinLock(&lock);
    KeAcquireSpinLock(&lock, &oldIrql);
    KiReleaseSemaphoreUnlock(&handoff.Go, 1, &lock, oldIrql);
    ranWhenReleased = handoff.Ran;
    KT_CHECK_EQ(ranWhenReleased, 0);
    KT_CHECK_EQ(KtWait(&handoff.Back), STATUS_WAIT_0);
    KT_CHECK_EQ(handoff.Ran, 1);
    KtJoinThread(waiter);
}

KTEST(ReleaseUnlockAtDispatchLevelRunsTheWaiterWhenTheIrqlComesDown)
{
    KT_HANDOFF handoff;
    ETHREAD *waiter = KtStartHandoffWaiterAt(&handoff, 0, KT_HIGH_PRIORITY);
    KSPIN_LOCK lock;
    KIRQL passiveIrql, oldIrql;
    LONG ranAtDispatchLevel;

    KT_EXPECT(waiter != NULL);
    KeInitializeSpinLock(&lock);
    passiveIrql = KfRaiseIrql(DISPATCH_LEVEL);
    KeAcquireSpinLock(&lock, &oldIrql);
    KiReleaseSemaphoreUnlock(&handoff.Go, 1, &lock, oldIrql);
    ranAtDispatchLevel = handoff.Ran;
    KeLowerIrql(passiveIrql);
    KT_CHECK_EQ(ranAtDispatchLevel, 0);
    KT_CHECK_EQ(handoff.Ran, 1);
    KtJoinThread(waiter);
}

// The releaser's wait after the handoff (KeWaitForSingleObject's short
// path, LPC's) woken for a kernel APC runs the APC and waits on: the APC does not end
// the wait.
typedef struct _KT_HANDOFF_APC {
    KT_HANDOFF Handoff;
    KAPC Apc;
    volatile LONG ApcRuns;
    volatile LONG ApcRanWhileWaiting;
} KT_HANDOFF_APC;

static void KtHandoffApcWaiter(void *context)
{
    KT_HANDOFF_APC *handoffApc = context;
    KT_HANDOFF *handoff = &handoffApc->Handoff;

    if (KeWaitForSingleObject(&handoff->Go, Executive, KernelMode, FALSE, NULL) != STATUS_WAIT_0)
        return;
    KeInitializeApc(&handoffApc->Apc, &handoff->Releaser->Tcb, OriginalApcEnvironment,
                    KtCountingApcRoutine, NULL, NULL, KernelMode, NULL);
    if (KeInsertQueueApc(&handoffApc->Apc, (void *)&handoffApc->ApcRuns, NULL, IO_NO_INCREMENT) &&
        KtWaitUntilWaitingOn(handoff->Releaser, &handoff->Back))
        handoffApc->ApcRanWhileWaiting = handoffApc->ApcRuns;
    handoff->Ran = 1;
    KeReleaseSemaphore(&handoff->Back, IO_NO_INCREMENT, 1, FALSE);
}

KTEST(ReleaseWithWaitThenAKernelApcInTheWaitRunsItAndWaitsOn)
{
    KT_HANDOFF_APC handoffApc = {.ApcRuns = 0, .ApcRanWhileWaiting = 0};
    KT_HANDOFF *handoff = &handoffApc.Handoff;
    ETHREAD *waiter;
    NTSTATUS status;

    KeInitializeSemaphore(&handoff->Go, 0, 1);
    KeInitializeSemaphore(&handoff->Back, 0, 1);
    handoff->Releaser = PsGetCurrentThread();
    handoff->Ran = 0;
    waiter = KtStartThread(KtHandoffApcWaiter, &handoffApc, KT_HIGH_PRIORITY);
    KT_EXPECT(waiter != NULL);
    if (!KtWaitUntilWaitingOn(waiter, &handoff->Go)) {
        KeReleaseSemaphore(&handoff->Go, IO_NO_INCREMENT, 1, FALSE);
        KtJoinThread(waiter);
        KT_EXPECT(FALSE);
    }
    KeReleaseSemaphore(&handoff->Go, 1, 1, TRUE);
    status = KeWaitForSingleObject(&handoff->Back, Executive, KernelMode, FALSE, NULL);
    KT_CHECK_EQ(status, STATUS_WAIT_0);
    KT_CHECK_EQ(handoff->Ran, 1);
    KT_CHECK_EQ(handoffApc.ApcRanWhileWaiting, 1);
    KT_CHECK_EQ(handoffApc.ApcRuns, 1);
    KtJoinThread(waiter);
}

// The same wait when nothing stands by or it need not block: the general
// path, with its result.
KTEST(WaitNextWithoutAHandoffIsAnOrdinaryWait)
{
    KSEMAPHORE semaphore;
    LARGE_INTEGER zero = {.QuadPart = 0};

    KeInitializeSemaphore(&semaphore, 1, 1);
    KT_EXPECT_EQ(KeWaitForSingleObject(&semaphore, Executive, KernelMode, FALSE, NULL),
                 STATUS_WAIT_0);
    KT_EXPECT_EQ(KeReadStateSemaphore(&semaphore), 0);
    KT_EXPECT_EQ(KeWaitForSingleObject(&semaphore, Executive, KernelMode, FALSE, &zero),
                 STATUS_TIMEOUT);
}

// A plain wait with no release before it (KeWaitForSingleObject's short
// path, LPC's receive that replied nothing): a count there is taken at once; none
// blocks, and a release wakes it; a wait of another kind (an event) goes
// the general way, with the same results.
static KSEMAPHORE KtPlainSemaphore;

static void KtPlainReleaser(void *context)
{
    KeReleaseSemaphore(context, IO_NO_INCREMENT, 1, FALSE);
}

KTEST(PlainWaitTakesACountOrBlocksUntilARelease)
{
    KEVENT event;
    ETHREAD *releaser;

    KeInitializeSemaphore(&KtPlainSemaphore, 2, 2);
    KT_EXPECT_EQ(KeWaitForSingleObject(&KtPlainSemaphore, Executive, KernelMode, FALSE, NULL),
                 STATUS_WAIT_0);
    KT_EXPECT_EQ(KeWaitForSingleObject(&KtPlainSemaphore, Executive, KernelMode, FALSE, NULL),
                 STATUS_WAIT_0);
    KT_EXPECT_EQ(KeReadStateSemaphore(&KtPlainSemaphore), 0);
    // Below this thread: it runs only once this thread has blocked.
    releaser = KtStartThread(KtPlainReleaser, &KtPlainSemaphore,
                             PsGetCurrentThread()->Tcb.Priority - 1);
    KT_EXPECT(releaser != NULL);
    KT_EXPECT_EQ(KeWaitForSingleObject(&KtPlainSemaphore, Executive, KernelMode, FALSE, NULL),
                 STATUS_WAIT_0);
    KT_EXPECT_EQ(KeReadStateSemaphore(&KtPlainSemaphore), 0);
    KT_EXPECT(KtJoinThread(releaser));
    KeInitializeEvent(&event, SynchronizationEvent, TRUE);
    KT_EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    KT_EXPECT_EQ(KeReadStateEvent(&event), 0);
}
