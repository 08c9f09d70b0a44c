// NT's Wait=TRUE on a release (KeReleaseSemaphore, KiReleaseSemaphoreWaitNext):
// the releaser keeps the dispatcher lock into its next wait, so a waiter of
// higher priority it readies runs when the releaser blocks (the handoff LPC's
// requests use), not by preempting it in between; and a wait that then does
// not block still lets that waiter run at once.

#include "tests/kernel/test_dispatcher.h"

typedef struct _KT_HANDOFF {
    KSEMAPHORE Go;              // the releaser releases it with Wait=TRUE
    KSEMAPHORE Back;            // then waits on it
    ETHREAD *Releaser;
    volatile LONG Ran;
    volatile LONG ReleaserWasWaiting;
} KT_HANDOFF;

static void KtHandoffWaiter(void *context)
{
    KT_HANDOFF *handoff = context;

    if (KtWait(&handoff->Go) != STATUS_WAIT_0)
        return;
    handoff->ReleaserWasWaiting = KtIsWaitingOn(handoff->Releaser, &handoff->Back);
    handoff->Ran = 1;
    KeReleaseSemaphore(&handoff->Back, IO_NO_INCREMENT, 1, FALSE);
}

static ETHREAD *KtStartHandoffWaiter(KT_HANDOFF *handoff, LONG backCount)
{
    ETHREAD *waiter;

    KeInitializeSemaphore(&handoff->Go, 0, 1);
    KeInitializeSemaphore(&handoff->Back, backCount, 2);
    handoff->Releaser = PsGetCurrentThread();
    handoff->Ran = 0;
    handoff->ReleaserWasWaiting = 0;
    waiter = KtStartThread(KtHandoffWaiter, handoff, KT_HIGH_PRIORITY);
    if (waiter && !KtWaitUntilWaitingOn(waiter, &handoff->Go)) {
        KtTerminateThread(waiter);
        KtJoinThread(waiter);
        return NULL;
    }
    return waiter;
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
