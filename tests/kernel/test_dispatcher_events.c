// Events: a notification event stays signaled and releases every waiter; a
// synchronization event hands each signal to exactly one waiter; a pulse
// releases whoever waits at that moment and is then forgotten.

#include "tests/kernel/test_dispatcher.h"

#define KT_WAITERS 3

static void KtJoinWaiters(KT_WAITER *waiters, ULONG count)
{
    for (ULONG i = 0; i < count; i++)
        KtJoinThread(waiters[i].Thread);
}

KTEST(EventSetReturnsThePreviousState)
{
    KEVENT event;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    KT_EXPECT_EQ(KeReadStateEvent(&event), 0);
    KT_EXPECT_EQ(KeSetEvent(&event, IO_NO_INCREMENT, FALSE), 0);
    KT_EXPECT_EQ(KeReadStateEvent(&event), 1);
    KT_EXPECT_EQ(KeSetEvent(&event, IO_NO_INCREMENT, FALSE), 1);
    KT_EXPECT_EQ(KeReadStateEvent(&event), 1);
}

KTEST(EventResetReturnsThePreviousStateAndClearsIt)
{
    KEVENT event;

    KeInitializeEvent(&event, NotificationEvent, TRUE);
    KT_EXPECT_EQ(KeReadStateEvent(&event), 1);
    KT_EXPECT_EQ(KeResetEvent(&event), 1);
    KT_EXPECT_EQ(KeReadStateEvent(&event), 0);
    KT_EXPECT_EQ(KeResetEvent(&event), 0);
    KT_EXPECT_EQ(KtPoll(&event), STATUS_TIMEOUT);
}

KTEST(NotificationEventSetReleasesEveryWaiter)
{
    KEVENT event;
    KT_WAITER waiters[KT_WAITERS];
    LONG doneAfterSet;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    for (ULONG i = 0; i < KT_WAITERS; i++)
        KtStartWaiter(&waiters[i], &event, KT_HIGH_PRIORITY, NULL);
    KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
    doneAfterSet = KtCountDone(waiters, KT_WAITERS);
    KtJoinWaiters(waiters, KT_WAITERS);

    KT_EXPECT_EQ(doneAfterSet, KT_WAITERS);
    for (ULONG i = 0; i < KT_WAITERS; i++)
        KT_EXPECT_EQ(waiters[i].Status, STATUS_WAIT_0);
    // It stays signaled: a later wait is satisfied too, and takes nothing.
    KT_EXPECT_EQ(KeReadStateEvent(&event), 1);
    KT_EXPECT_EQ(KtPoll(&event), STATUS_WAIT_0);
    KT_EXPECT_EQ(KeReadStateEvent(&event), 1);
}

KTEST(SynchronizationEventSatisfiesOneWaitThenResets)
{
    KEVENT event;

    KeInitializeEvent(&event, SynchronizationEvent, FALSE);
    KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
    KT_EXPECT_EQ(KeReadStateEvent(&event), 1);
    KT_EXPECT_EQ(KtPoll(&event), STATUS_WAIT_0);
    KT_EXPECT_EQ(KeReadStateEvent(&event), 0);
    KT_EXPECT_EQ(KtPoll(&event), STATUS_TIMEOUT);
}

// Each set wakes one waiter, and the signal is handed to it: the event is
// not signaled again in between, even before the woken waiter runs.
KTEST(SynchronizationEventSetHandsOffToExactlyOneWaiter)
{
    KEVENT event;
    KT_WAITER waiters[KT_WAITERS];
    LONG doneAfter[KT_WAITERS];
    LONG stateAfterSet[KT_WAITERS];
    NTSTATUS pollAfterSet[KT_WAITERS];

    KeInitializeEvent(&event, SynchronizationEvent, FALSE);
    for (ULONG i = 0; i < KT_WAITERS; i++)
        KtStartWaiter(&waiters[i], &event, KT_LOW_PRIORITY, NULL);
    for (ULONG i = 0; i < KT_WAITERS; i++) {
        KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
        // The woken waiter is below us and has not run: nothing left to take.
        stateAfterSet[i] = KeReadStateEvent(&event);
        pollAfterSet[i] = KtPoll(&event);
        KtSleepTicks(3);    // every waiter that was woken has now run
        doneAfter[i] = KtCountDone(waiters, KT_WAITERS);
    }
    KtJoinWaiters(waiters, KT_WAITERS);

    for (ULONG i = 0; i < KT_WAITERS; i++) {
        KT_EXPECT_EQ(stateAfterSet[i], 0);
        KT_EXPECT_EQ(pollAfterSet[i], STATUS_TIMEOUT);
        KT_EXPECT_EQ(doneAfter[i], (LONG)i + 1);
        KT_EXPECT_EQ(waiters[i].Status, STATUS_WAIT_0);
    }
    KT_EXPECT_EQ(KeReadStateEvent(&event), 0);
}

KTEST(SynchronizationEventWakesEqualPriorityWaitersInWaitOrder)
{
    KEVENT event;
    KT_WAITER waiters[KT_WAITERS];
    volatile LONG sequence = 0;

    KeInitializeEvent(&event, SynchronizationEvent, FALSE);
    for (ULONG i = 0; i < KT_WAITERS; i++)
        KtStartWaiter(&waiters[i], &event, KT_HIGH_PRIORITY, &sequence);
    for (ULONG i = 0; i < KT_WAITERS; i++)
        KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
    KtJoinWaiters(waiters, KT_WAITERS);

    for (ULONG i = 0; i < KT_WAITERS; i++) {
        KT_EXPECT_EQ(waiters[i].Status, STATUS_WAIT_0);
        KT_EXPECT_EQ(waiters[i].Order, (LONG)i + 1);
    }
}

KTEST(PulseEventReleasesTheCurrentWaitersAndLeavesItReset)
{
    KEVENT event;
    KT_WAITER waiters[2];
    LONG previous, doneAfterPulse;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    for (ULONG i = 0; i < ARRAYSIZE(waiters); i++)
        KtStartWaiter(&waiters[i], &event, KT_HIGH_PRIORITY, NULL);
    previous = KePulseEvent(&event, IO_NO_INCREMENT, FALSE);
    doneAfterPulse = KtCountDone(waiters, ARRAYSIZE(waiters));
    KtJoinWaiters(waiters, ARRAYSIZE(waiters));

    KT_EXPECT_EQ(previous, 0);
    KT_EXPECT_EQ(doneAfterPulse, 2);
    KT_EXPECT_EQ(waiters[0].Status, STATUS_WAIT_0);
    KT_EXPECT_EQ(waiters[1].Status, STATUS_WAIT_0);
    KT_EXPECT_EQ(KeReadStateEvent(&event), 0);
    KT_EXPECT_EQ(KtPoll(&event), STATUS_TIMEOUT);
}

// With nobody waiting, a set is remembered for the next waiter; a pulse is
// lost.
KTEST(PulseWithNoWaitersIsLostWhereSetIsRemembered)
{
    KEVENT event;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    KePulseEvent(&event, IO_NO_INCREMENT, FALSE);
    KT_EXPECT_EQ(KeReadStateEvent(&event), 0);
    KT_EXPECT_EQ(KtPoll(&event), STATUS_TIMEOUT);
    KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
    KT_EXPECT_EQ(KtPoll(&event), STATUS_WAIT_0);
    // A pulse of a signaled event leaves it reset too.
    KT_EXPECT_EQ(KePulseEvent(&event, IO_NO_INCREMENT, FALSE), 1);
    KT_EXPECT_EQ(KeReadStateEvent(&event), 0);
}

KTEST(PulseSynchronizationEventReleasesOneWaiter)
{
    KEVENT event;
    KT_WAITER waiters[2];
    LONG doneAfterPulse, firstDoneAfterPulse, doneAfterSet;

    KeInitializeEvent(&event, SynchronizationEvent, FALSE);
    for (ULONG i = 0; i < ARRAYSIZE(waiters); i++)
        KtStartWaiter(&waiters[i], &event, KT_HIGH_PRIORITY, NULL);
    KePulseEvent(&event, IO_NO_INCREMENT, FALSE);
    KtSleepTicks(2);
    doneAfterPulse = KtCountDone(waiters, ARRAYSIZE(waiters));
    firstDoneAfterPulse = waiters[0].Done;
    KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
    doneAfterSet = KtCountDone(waiters, ARRAYSIZE(waiters));
    KtJoinWaiters(waiters, ARRAYSIZE(waiters));

    KT_EXPECT_EQ(doneAfterPulse, 1);
    KT_EXPECT_EQ(firstDoneAfterPulse, 1);     // the first to wait
    KT_EXPECT_EQ(doneAfterSet, 2);
    KT_EXPECT_EQ(KeReadStateEvent(&event), 0);
}
