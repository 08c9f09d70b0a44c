// Timers and DPCs: one-shot and periodic expiry counted in ticks, cancel,
// notification timers that release every waiter and synchronization timers
// that release one, and the DPCs that expiry queues.

#include "tests/kernel/test_dispatcher.h"

#define KT_PERIOD_MS 50
#define KT_PERIODS 4

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
