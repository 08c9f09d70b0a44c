// In-kernel tests of what makes a thread's termination reach it through a
// user APC (ps/exit.c, PsExitSpecialApc): the exit APC, queued for user
// mode, goes ahead of the APCs already queued, is pending at once, ends a
// user-mode wait that is not alertable, and leaves kernel-mode waits alone.
// User mode sees only the outcome (tests/user/tkill).
//
// The waiter here is a System thread, which never returns to user mode: the
// exit APC is never delivered to it, and goes to its rundown routine when
// the thread ends by itself.

#include "tests/kernel/test_dispatcher.h"

typedef struct _KT_EXIT_APC_WAITER {
    KEVENT Event;
    KAPC OrdinaryApc;
    KAPC ExitApc;
    NTSTATUS UserWait, KernelWait, SecondUserWait;
    BOOLEAN ExitApcFirst;
} KT_EXIT_APC_WAITER;

static volatile LONG KtRundownCount;

static void KtExitApcWaiter(void *context)
{
    KT_EXIT_APC_WAITER *waiter = context;
    LARGE_INTEGER shortWait = KtRelativeTime(KT_100_MS);
    KTHREAD *thread = KeGetCurrentThread();

    waiter->UserWait = KeWaitForSingleObject(&waiter->Event, UserRequest, UserMode, FALSE,
                                             &KtWaitLimit);
    waiter->ExitApcFirst = thread->ApcState.ApcListHead[UserMode].Flink ==
                           &waiter->ExitApc.ApcListEntry;
    waiter->KernelWait = KeWaitForSingleObject(&waiter->Event, Executive, KernelMode, FALSE,
                                               &shortWait);
    waiter->SecondUserWait = KeWaitForSingleObject(&waiter->Event, UserRequest, UserMode,
                                                   FALSE, &KtWaitLimit);
}

static void KtNoKernelRoutine(KAPC *apc, PKNORMAL_ROUTINE *normalRoutine, void **normalContext,
                              void **systemArgument1, void **systemArgument2)
{
    KtFail(__FILE__, __LINE__, "an APC of a System thread's user mode never to be delivered");
}

// Stands for a user-mode routine: never called.
static void KtNoNormalRoutine(void *normalContext, void *systemArgument1, void *systemArgument2)
{
    KtFail(__FILE__, __LINE__, "a user-mode routine never to run in the kernel");
}

// The APCs live in the test's structure: nothing to free.
static void KtCountRundown(KAPC *apc)
{
    __atomic_add_fetch(&KtRundownCount, 1, __ATOMIC_RELAXED);
}

KTEST(ExitApcEndsANonAlertableUserModeWaitButNoKernelModeWait)
{
    static KT_EXIT_APC_WAITER waiter;
    ETHREAD *thread;

    memset(&waiter, 0, sizeof(waiter));
    KtRundownCount = 0;
    KeInitializeEvent(&waiter.Event, NotificationEvent, FALSE);
    thread = KtStartThread(KtExitApcWaiter, &waiter, KT_HIGH_PRIORITY);
    if (!thread)
        return;
    KT_CHECK(KtWaitUntilWaitingOn(thread, &waiter.Event));

    // An ordinary user APC leaves a wait that is not alertable alone.
    KeInitializeApc(&waiter.OrdinaryApc, &thread->Tcb, OriginalApcEnvironment,
                    KtNoKernelRoutine, KtCountRundown, KtNoNormalRoutine, UserMode, NULL);
    KT_CHECK(KeInsertQueueApc(&waiter.OrdinaryApc, NULL, NULL, IO_NO_INCREMENT));
    KtSleepTicks(2);
    KT_CHECK(KtIsWaitingOn(thread, &waiter.Event));
    KT_CHECK(!thread->Tcb.ApcState.UserApcPending);

    // The exit APC ends it, and stays pending for the thread's way back to
    // user mode: a kernel-mode wait times out, the next user-mode wait ends
    // at once.
    KeInitializeApc(&waiter.ExitApc, &thread->Tcb, OriginalApcEnvironment, PsExitSpecialApc,
                    KtCountRundown, KtNoNormalRoutine, UserMode, NULL);
    KT_CHECK(KeInsertQueueApc(&waiter.ExitApc, NULL, NULL, IO_NO_INCREMENT));
    KtJoinThread(thread);
    KT_EXPECT_EQ(waiter.UserWait, STATUS_USER_APC);
    KT_EXPECT(waiter.ExitApcFirst);
    KT_EXPECT_EQ(waiter.KernelWait, STATUS_TIMEOUT);
    KT_EXPECT_EQ(waiter.SecondUserWait, STATUS_USER_APC);
    // The thread ended by itself: both APCs were run down, not delivered.
    KT_EXPECT_EQ(KtRundownCount, 2);
}
