// Timers and DPCs: one-shot and periodic expiry counted in ticks, cancel,
// notification timers that release every waiter and synchronization timers
// that release one, and the DPCs that expiry queues.

#include "tests/kernel/test_dispatcher.h"

#define KT_PERIOD_MS 50
#define KT_PERIODS 4
// Ticks ahead for timers that must fall due on one tick: time enough for
// the waiters to be started and waiting, even on a busy machine.
#define KT_SAME_TICK_DELAY 32

// What a test DPC saw. It signals Ran (at DISPATCH_LEVEL, as a DPC may) so
// the test can wait for it.
typedef struct _KT_DPC_RECORD {
    KDPC Dpc;
    KEVENT Ran;
    volatile LONG Count;
    KIRQL Irql;
    void *Context;
    void *Argument1;
    void *Argument2;
} KT_DPC_RECORD;

static void KtRecordDpc(KDPC *dpc, void *context, void *argument1, void *argument2)
{
    KT_DPC_RECORD *record = CONTAINING_RECORD(dpc, KT_DPC_RECORD, Dpc);

    record->Count++;
    record->Irql = KeGetCurrentIrql();
    record->Context = context;
    record->Argument1 = argument1;
    record->Argument2 = argument2;
    KeSetEvent(&record->Ran, IO_NO_INCREMENT, FALSE);
}

static void KtInitializeDpcRecord(KT_DPC_RECORD *record, void *context)
{
    memset(record, 0, sizeof(*record));
    KeInitializeDpc(&record->Dpc, KtRecordDpc, context);
    KeInitializeEvent(&record->Ran, SynchronizationEvent, FALSE);
}

KTEST(OneShotTimerSignalsOnceAtItsDueTime)
{
    KTIMER timer;
    KT_DPC_RECORD record;
    LARGE_INTEGER dueTime = KtRelativeTime(KT_100_MS);
    BOOLEAN wasArmed;
    ULONG64 start, elapsed;
    NTSTATUS status;

    KeInitializeTimer(&timer);
    KtInitializeDpcRecord(&record, NULL);
    KT_EXPECT_EQ(KeReadStateTimer(&timer), FALSE);
    start = KeTickCount;
    wasArmed = KeSetTimer(&timer, dueTime, &record.Dpc);
    status = KtWait(&timer);
    elapsed = KeTickCount - start;
    KtSleep(200);   // two more periods' worth: it must not fire again

    KT_EXPECT_EQ(wasArmed, FALSE);
    KT_EXPECT_EQ(status, STATUS_WAIT_0);
    KT_EXPECT(elapsed >= KT_100_MS_MIN_TICKS && elapsed < KT_100_MS_MAX_TICKS);
    KT_EXPECT_EQ(KeReadStateTimer(&timer), TRUE);   // a notification timer stays signaled
    KT_EXPECT_EQ(record.Count, 1);
    KT_EXPECT_EQ(KeCancelTimer(&timer), FALSE);     // it expired: nothing to cancel
}

KTEST(TimerWithAnAbsoluteDueTimeExpiresThen)
{
    KTIMER timer;
    LARGE_INTEGER dueTime = KeQuerySystemTime();
    ULONG64 start, elapsed;
    NTSTATUS status;

    dueTime.QuadPart -= KtRelativeTime(KT_100_MS).QuadPart;     // 100 ms from now
    KeInitializeTimer(&timer);
    start = KeTickCount;
    KeSetTimer(&timer, dueTime, NULL);
    status = KtWait(&timer);
    elapsed = KeTickCount - start;
    KeCancelTimer(&timer);

    KT_EXPECT_EQ(status, STATUS_WAIT_0);
    KT_EXPECT(elapsed >= KT_100_MS_MIN_TICKS && elapsed < KT_100_MS_MAX_TICKS);
}

// A periodic synchronization timer: each expiry satisfies one wait, and it
// keeps expiring until cancelled.
KTEST(PeriodicTimerExpiresRepeatedly)
{
    KTIMER timer;
    KT_DPC_RECORD record;
    LARGE_INTEGER dueTime = KtRelativeTime(KT_PERIOD_MS);
    NTSTATUS status[KT_PERIODS];
    ULONG64 start, elapsed;
    LONG expiries, expiriesAfterCancel;
    BOOLEAN cancelled;

    KeInitializeTimerEx(&timer, SynchronizationTimer);
    KtInitializeDpcRecord(&record, NULL);
    start = KeTickCount;
    KeSetTimerEx(&timer, dueTime, KT_PERIOD_MS, &record.Dpc);
    for (ULONG i = 0; i < KT_PERIODS; i++)
        status[i] = KtWait(&timer);
    elapsed = KeTickCount - start;
    cancelled = KeCancelTimer(&timer);
    expiries = record.Count;
    KtSleep(3 * KT_PERIOD_MS);
    expiriesAfterCancel = record.Count;

    for (ULONG i = 0; i < KT_PERIODS; i++)
        KT_EXPECT_EQ(status[i], STATUS_WAIT_0);
    // Four periods of 3.2 ticks: at least 12 ticks.
    KT_EXPECT(elapsed >= 12 && elapsed < 60);
    KT_EXPECT(expiries >= KT_PERIODS);
    KT_EXPECT_EQ(cancelled, TRUE);
    KT_EXPECT_EQ(expiriesAfterCancel, expiries);
}

KTEST(CancelTimerReturnsTrueOnlyWhenItWasArmed)
{
    KTIMER timer;
    LARGE_INTEGER dueTime = KtRelativeTime(KT_WAIT_LIMIT_MS);

    KeInitializeTimer(&timer);
    KT_EXPECT_EQ(KeCancelTimer(&timer), FALSE);
    KT_EXPECT_EQ(KeSetTimer(&timer, dueTime, NULL), FALSE);
    KT_EXPECT_EQ(KeSetTimer(&timer, dueTime, NULL), TRUE);     // re-armed
    KT_EXPECT_EQ(KeCancelTimer(&timer), TRUE);
    KT_EXPECT_EQ(KeCancelTimer(&timer), FALSE);
    KT_EXPECT_EQ(KeReadStateTimer(&timer), FALSE);
}

KTEST(CancelledTimerNeverExpires)
{
    KTIMER timer;
    KT_DPC_RECORD record;
    LARGE_INTEGER dueTime = KtRelativeTime(KT_PERIOD_MS);

    KeInitializeTimer(&timer);
    KtInitializeDpcRecord(&record, NULL);
    KeSetTimer(&timer, dueTime, &record.Dpc);
    KT_EXPECT_EQ(KeCancelTimer(&timer), TRUE);
    KtSleep(3 * KT_PERIOD_MS);
    KT_EXPECT_EQ(KeReadStateTimer(&timer), FALSE);
    KT_EXPECT_EQ(record.Count, 0);
}

KTEST(NotificationTimerReleasesEveryWaiter)
{
    KTIMER timer;
    KT_WAITER waiters[3];
    LARGE_INTEGER dueTime = KtRelativeTime(KT_PERIOD_MS);
    BOOLEAN allDone;

    KeInitializeTimer(&timer);
    for (ULONG i = 0; i < ARRAYSIZE(waiters); i++)
        KtStartWaiter(&waiters[i], &timer, KT_HIGH_PRIORITY, NULL);
    KeSetTimer(&timer, dueTime, NULL);
    KtWait(&timer);
    allDone = KtWaitUntilEqual(&waiters[2].Done, 1) && KtCountDone(waiters, 3) == 3;
    KeCancelTimer(&timer);
    for (ULONG i = 0; i < ARRAYSIZE(waiters); i++)
        KtJoinThread(waiters[i].Thread);

    KT_EXPECT(allDone);
    for (ULONG i = 0; i < ARRAYSIZE(waiters); i++)
        KT_EXPECT_EQ(waiters[i].Status, STATUS_WAIT_0);
}

KTEST(SynchronizationTimerReleasesOneWaiterPerExpiry)
{
    KTIMER timer;
    KT_WAITER waiters[2];
    LARGE_INTEGER dueTime = KtRelativeTime(KT_PERIOD_MS);
    BOOLEAN oneDone;
    LONG doneAfterFirst, stateAfterFirst, doneAfterSecond;

    KeInitializeTimerEx(&timer, SynchronizationTimer);
    for (ULONG i = 0; i < ARRAYSIZE(waiters); i++)
        KtStartWaiter(&waiters[i], &timer, KT_HIGH_PRIORITY, NULL);
    KeSetTimer(&timer, dueTime, NULL);
    oneDone = KtWaitUntilEqual(&waiters[0].Done, 1);
    KtSleep(3 * KT_PERIOD_MS);
    doneAfterFirst = KtCountDone(waiters, 2);
    stateAfterFirst = KeReadStateTimer(&timer);
    KeSetTimer(&timer, dueTime, NULL);
    KtWaitUntilEqual(&waiters[1].Done, 1);
    doneAfterSecond = KtCountDone(waiters, 2);
    KeCancelTimer(&timer);
    for (ULONG i = 0; i < ARRAYSIZE(waiters); i++)
        KtJoinThread(waiters[i].Thread);

    KT_EXPECT(oneDone);
    KT_EXPECT_EQ(doneAfterFirst, 1);
    KT_EXPECT_EQ(stateAfterFirst, FALSE);   // the waiter took the signal
    KT_EXPECT_EQ(doneAfterSecond, 2);
    KT_EXPECT_EQ(waiters[0].Status, STATUS_WAIT_0);
    KT_EXPECT_EQ(waiters[1].Status, STATUS_WAIT_0);
}

KTEST(TimerDpcRunsAtDispatchLevel)
{
    KTIMER timer;
    KT_DPC_RECORD record;
    LARGE_INTEGER dueTime = KtRelativeTime(30);
    NTSTATUS status;

    KeInitializeTimer(&timer);
    KtInitializeDpcRecord(&record, &timer);
    KeSetTimer(&timer, dueTime, &record.Dpc);
    status = KtWait(&record.Ran);
    KeCancelTimer(&timer);
    KeRemoveQueueDpc(&record.Dpc);

    KT_EXPECT_EQ(status, STATUS_WAIT_0);
    KT_EXPECT_EQ(record.Count, 1);
    KT_EXPECT_EQ(record.Irql, DISPATCH_LEVEL);
    KT_EXPECT(record.Context == &timer);
    KT_EXPECT_EQ(KeReadStateTimer(&timer), TRUE);   // signaled before its DPC ran
}

// A DPC already queued is not queued again: it runs once, with the
// arguments of the insertion that queued it.
KTEST(DpcQueuedTwiceRunsOnce)
{
    KT_DPC_RECORD record;
    KIRQL oldIrql;
    BOOLEAN first, second;
    LONG countAtDispatch;

    KtInitializeDpcRecord(&record, (void *)0x1234);
    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    first = KeInsertQueueDpc(&record.Dpc, (void *)1, (void *)2);
    second = KeInsertQueueDpc(&record.Dpc, (void *)3, (void *)4);
    countAtDispatch = record.Count;     // nothing runs until we leave DISPATCH_LEVEL
    KeLowerIrql(oldIrql);
    KtWait(&record.Ran);
    KtSleepTicks(2);

    KT_EXPECT_EQ(first, TRUE);
    KT_EXPECT_EQ(second, FALSE);
    KT_EXPECT_EQ(countAtDispatch, 0);
    KT_EXPECT_EQ(record.Count, 1);
    KT_EXPECT(record.Context == (void *)0x1234);
    KT_EXPECT(record.Argument1 == (void *)1);
    KT_EXPECT(record.Argument2 == (void *)2);
    KT_EXPECT_EQ(record.Irql, DISPATCH_LEVEL);
}

KTEST(DpcRemovedFromTheQueueDoesNotRun)
{
    KT_DPC_RECORD record;
    KIRQL oldIrql;
    BOOLEAN removed, removedAgain;

    KtInitializeDpcRecord(&record, NULL);
    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    KeInsertQueueDpc(&record.Dpc, NULL, NULL);
    removed = KeRemoveQueueDpc(&record.Dpc);
    KeLowerIrql(oldIrql);
    KtSleepTicks(2);
    removedAgain = KeRemoveQueueDpc(&record.Dpc);

    KT_EXPECT_EQ(removed, TRUE);
    KT_EXPECT_EQ(removedAgain, FALSE);
    KT_EXPECT_EQ(record.Count, 0);
}

// A thread waiting on a timer, with a timeout of its own.
typedef struct _KT_TIMED_WAITER {
    KTIMER *Timer;
    LARGE_INTEGER Timeout;
    NTSTATUS Status;
} KT_TIMED_WAITER;

static void KtWaitWithTimeout(void *context)
{
    KT_TIMED_WAITER *waiter = context;

    waiter->Status = KeWaitForSingleObject(waiter->Timer, Executive, KernelMode, FALSE,
                                           &waiter->Timeout);
}

// A timer object and the timeout of a thread waiting on it fall due on the
// same tick, the timer first in the tick's bucket. Expiring the timer wakes
// the thread, whose unwait takes its own wait timer off: that timer, due on
// this tick too, must not be expired a second time. Each time it was, the
// count of armed timers dropped one too low, and at 0 the clock stopped
// queueing the expiry DPC: no timeout in the system fired again.
KTEST(TimerAndAWaitTimeoutDueOnTheSameTickExpireOnce)
{
    KTIMER timer;
    KT_TIMED_WAITER waiter;
    ETHREAD *thread;
    ULONG before, armed, after;
    ULONG64 timerTick = 0, waitTick = 0, start, elapsed;
    NTSTATUS status;

    before = KiQueryTimerCount();
    // An absolute time on a tick boundary falls due on that tick whenever
    // it is armed: both timers get the same tick.
    waiter.Timeout = KeQuerySystemTime();
    waiter.Timeout.QuadPart += KT_SAME_TICK_DELAY * (LONG64)KeQueryTimeIncrement();
    waiter.Timer = &timer;
    waiter.Status = STATUS_PENDING;
    KeInitializeTimer(&timer);
    KeSetTimer(&timer, waiter.Timeout, NULL);
    thread = KtStartThread(KtWaitWithTimeout, &waiter, KT_HIGH_PRIORITY);
    if (KtWaitUntilWaitingOn(thread, &timer)) {
        timerTick = timer.DueTime;
        waitTick = thread->Tcb.Timer.DueTime;
    }
    armed = KiQueryTimerCount();
    KtJoinThread(thread);
    after = KiQueryTimerCount();

    KT_EXPECT_EQ(timerTick, waitTick);
    KT_EXPECT(timerTick != 0);
    KT_EXPECT_EQ(armed, before + 2);
    KT_EXPECT_EQ(waiter.Status, STATUS_WAIT_0);     // the timer was first in the bucket
    KT_EXPECT_EQ(after, before);
    // Timeouts still fire. (Not tried when the count is wrong: a wait may
    // then never end.)
    start = KeTickCount;
    KtSleepTicks(3);
    elapsed = KeTickCount - start;
    KT_EXPECT(elapsed >= 3 && elapsed < 20);
    KeSetTimer(&timer, KtRelativeTime(KT_100_MS), NULL);
    status = KtWait(&timer);
    KT_EXPECT_EQ(status, STATUS_WAIT_0);
    KT_EXPECT_EQ(KiQueryTimerCount(), before);
}

// Same tick, many at once: several waiters on one notification timer, each
// with its own timeout on the timer's tick. Every one is woken by the
// timer, and the count of armed timers comes back.
KTEST(ManyWaitTimeoutsDueWithTheirTimerExpireOnce)
{
    KTIMER timer;
    KT_TIMED_WAITER waiters[4];
    ETHREAD *threads[4];
    LARGE_INTEGER due = KeQuerySystemTime();
    ULONG before = KiQueryTimerCount(), armed;

    due.QuadPart += KT_SAME_TICK_DELAY * (LONG64)KeQueryTimeIncrement();
    KeInitializeTimer(&timer);
    KeSetTimer(&timer, due, NULL);
    for (ULONG i = 0; i < 4; i++) {
        waiters[i].Timer = &timer;
        waiters[i].Timeout = due;
        waiters[i].Status = STATUS_PENDING;
        threads[i] = KtStartThread(KtWaitWithTimeout, &waiters[i], KT_HIGH_PRIORITY);
        KtWaitUntilWaitingOn(threads[i], &timer);
    }
    armed = KiQueryTimerCount();
    for (ULONG i = 0; i < 4; i++)
        KtJoinThread(threads[i]);

    KT_EXPECT_EQ(armed, before + 5);
    for (ULONG i = 0; i < 4; i++)
        KT_EXPECT_EQ(waiters[i].Status, STATUS_WAIT_0);
    KT_EXPECT_EQ(KiQueryTimerCount(), before);
}

// Waits with an absolute timeout already past: they end at once with
// STATUS_TIMEOUT (a delay with STATUS_SUCCESS), as on NT, with no timer
// armed and no tick waited for. Measured from just after a tick; a stray
// tick in the middle (a busy machine) gets the measurement repeated, and a
// wait that ends only at the next tick never passes it.
static ULONG64 KtPastTimeoutWaits(NTSTATUS status[6])
{
    KEVENT events[2];
    void *objects[2] = {&events[0], &events[1]};
    KQUEUE queue;
    LARGE_INTEGER now, longAgo;
    ULONG64 start;

    KeInitializeEvent(&events[0], NotificationEvent, FALSE);
    KeInitializeEvent(&events[1], NotificationEvent, FALSE);
    KeInitializeQueue(&queue, 0);
    KtSleepTicks(1);
    start = KeTickCount;
    now = KeQuerySystemTime();          // not after now: past
    longAgo.QuadPart = now.QuadPart - 100 * (LONG64)KeQueryTimeIncrement();
    status[0] = KeWaitForSingleObject(&events[0], Executive, KernelMode, FALSE, &now);
    status[1] = KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode, FALSE,
                                         &longAgo, NULL);
    status[2] = KeWaitForMultipleObjects(2, objects, WaitAll, Executive, KernelMode, FALSE,
                                         &longAgo, NULL);
    status[3] = KeDelayExecutionThread(KernelMode, FALSE, &longAgo);
    status[4] = (NTSTATUS)(LONG_PTR)KeRemoveQueue(&queue, KernelMode, &longAgo);
    longAgo.QuadPart = 1;               // the earliest absolute time there is
    status[5] = KeWaitForSingleObject(&events[0], Executive, KernelMode, FALSE, &longAgo);
    KeRundownQueue(&queue);
    return KeTickCount - start;
}

KTEST(PastAbsoluteTimeoutsEndTheWaitAtOnce)
{
    NTSTATUS status[6];
    ULONG before = KiQueryTimerCount();
    ULONG64 elapsed = 1;

    for (ULONG attempt = 0; attempt < 3 && elapsed != 0; attempt++)
        elapsed = KtPastTimeoutWaits(status);

    KT_EXPECT_EQ(elapsed, 0);
    KT_EXPECT_EQ(status[0], STATUS_TIMEOUT);
    KT_EXPECT_EQ(status[1], STATUS_TIMEOUT);
    KT_EXPECT_EQ(status[2], STATUS_TIMEOUT);
    KT_EXPECT_EQ(status[3], STATUS_SUCCESS);
    KT_EXPECT_EQ(status[4], STATUS_TIMEOUT);
    KT_EXPECT_EQ(status[5], STATUS_TIMEOUT);
    KT_EXPECT_EQ(KiQueryTimerCount(), before);
    KT_EXPECT(KeGetCurrentThread()->Queue == NULL);
}

// A timer set for a time already past is signaled by KeSetTimer itself: its
// waiters go, its DPC is queued, and a periodic one is armed for its next
// period. A due time of 0 is such a time. (Every timer is cancelled before
// the checks: one left armed on this stack would outlive the test.)
KTEST(TimerSetInThePastIsSignaledAtOnce)
{
    KTIMER timer, periodic;
    KT_DPC_RECORD record;
    KT_WAITER waiter;
    LARGE_INTEGER past = KeQuerySystemTime(), zero = {.QuadPart = 0};
    ULONG before = KiQueryTimerCount(), armedPeriodic;
    ULONG64 start, elapsed;
    BOOLEAN wasArmed, signaled, cancelled, signaledAgain, cancelledAgain, periodicCancelled;
    LONG waiterDone;
    NTSTATUS ran, firstPeriod, nextPeriod;

    KeInitializeTimer(&timer);
    KtInitializeDpcRecord(&record, &timer);
    KtStartWaiter(&waiter, &timer, KT_HIGH_PRIORITY, NULL);
    start = KeTickCount;
    wasArmed = KeSetTimer(&timer, past, &record.Dpc);
    signaled = KeReadStateTimer(&timer);
    ran = KtPoll(&record.Ran);      // the DPC ran when the IRQL came down
    waiterDone = waiter.Done;       // the waiter, at a higher priority, ran too
    elapsed = KeTickCount - start;
    cancelled = KeCancelTimer(&timer);
    KtJoinThread(waiter.Thread);
    // Set again for a time past: the state is cleared, then set at once.
    KeSetTimer(&timer, zero, NULL);
    signaledAgain = KeReadStateTimer(&timer);
    cancelledAgain = KeCancelTimer(&timer);
    // Periodic: signaled now, then again each period.
    KeInitializeTimerEx(&periodic, SynchronizationTimer);
    KeSetTimerEx(&periodic, past, KT_PERIOD_MS, NULL);
    firstPeriod = KtPoll(&periodic);
    armedPeriodic = KiQueryTimerCount();
    nextPeriod = KtWait(&periodic);
    periodicCancelled = KeCancelTimer(&periodic);

    KT_EXPECT_EQ(wasArmed, FALSE);
    KT_EXPECT_EQ(signaled, TRUE);
    KT_EXPECT_EQ(cancelled, FALSE);     // never in the timer table
    KT_EXPECT_EQ(ran, STATUS_WAIT_0);
    KT_EXPECT_EQ(record.Count, 1);
    KT_EXPECT_EQ(waiterDone, 1);
    KT_EXPECT_EQ(waiter.Status, STATUS_WAIT_0);
    KT_EXPECT(elapsed < 2);
    KT_EXPECT_EQ(signaledAgain, TRUE);
    KT_EXPECT_EQ(cancelledAgain, FALSE);
    KT_EXPECT_EQ(firstPeriod, STATUS_WAIT_0);
    KT_EXPECT_EQ(armedPeriodic, before + 1);
    KT_EXPECT_EQ(nextPeriod, STATUS_WAIT_0);
    KT_EXPECT_EQ(periodicCancelled, TRUE);
    KT_EXPECT_EQ(KiQueryTimerCount(), before);
}
