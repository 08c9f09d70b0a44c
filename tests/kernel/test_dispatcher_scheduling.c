// Scheduling: the highest-priority ready thread runs, preempting a lower
// one at once; equal priorities run in the order they became ready and
// share the processor by quantum; a thread woken with an increment runs
// boosted and decays back to its base.

#include "tests/kernel/test_dispatcher.h"

#define KT_SPIN_TICKS 24        // how long the CPU-bound threads run
#define KT_MAX_SPINNERS 3

static void KtRestoreOwnPriority(void)
{
    KTHREAD *self = KeGetCurrentThread();

    KeSetPriorityThread(self, self->BasePriority);
}

// Waiters released together by one notification event: the highest
// priority runs first, then equal priorities in the order they waited.
KTEST(ReleasedWaitersRunByPriorityThenInWaitOrder)
{
    static const KPRIORITY priorities[4] = {9, 9, 11, 9};
    static const LONG expectedOrder[4] = {2, 3, 1, 4};
    KEVENT event;
    KT_WAITER waiters[4];
    volatile LONG sequence = 0;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    for (ULONG i = 0; i < 4; i++)
        KtStartWaiter(&waiters[i], &event, priorities[i], &sequence);
    KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
    for (ULONG i = 0; i < 4; i++)
        KtJoinThread(waiters[i].Thread);

    for (ULONG i = 0; i < 4; i++)
        KT_EXPECT_EQ(waiters[i].Order, expectedOrder[i]);
}

// Waking a higher-priority thread preempts the waker before its call
// returns.
KTEST(WakingAHigherPriorityThreadPreemptsTheWaker)
{
    KEVENT event;
    KT_WAITER waiter;
    LONG doneWhenSetReturned;

    KeInitializeEvent(&event, SynchronizationEvent, FALSE);
    KtStartWaiter(&waiter, &event, KT_HIGH_PRIORITY, NULL);
    KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
    doneWhenSetReturned = waiter.Done;
    KtJoinThread(waiter.Thread);
    KT_EXPECT_EQ(doneWhenSetReturned, 1);
}

// Waking a lower-priority thread does not: it runs when we wait.
KTEST(WakingALowerPriorityThreadDoesNotPreemptTheWaker)
{
    KEVENT event;
    KT_WAITER waiter;
    LONG doneWhenSetReturned;

    KeInitializeEvent(&event, SynchronizationEvent, FALSE);
    KtStartWaiter(&waiter, &event, KT_LOW_PRIORITY, NULL);
    KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
    doneWhenSetReturned = waiter.Done;
    KtJoinThread(waiter.Thread);
    KT_EXPECT_EQ(doneWhenSetReturned, 0);
    KT_EXPECT_EQ(waiter.Status, STATUS_WAIT_0);
}

static void KtMarkRan(void *context)
{
    *(volatile LONG *)context = 1;
}

KTEST(NewHigherPriorityThreadRunsBeforeItsCreatorContinues)
{
    volatile LONG ran = 0;
    ETHREAD *thread = KtStartThread(KtMarkRan, (void *)&ran, KT_HIGH_PRIORITY);
    LONG ranWhenCreated = ran;

    KtJoinThread(thread);
    KT_EXPECT_EQ(ranWhenCreated, 1);
}

// A ready thread below us does not run; raised above us, it runs before
// KeSetPriorityThread returns.
KTEST(RaisingAReadyThreadAboveTheCurrentOnePreemptsAtOnce)
{
    volatile LONG ran = 0;
    ETHREAD *thread = KtStartThread(KtMarkRan, (void *)&ran, KT_LOW_PRIORITY);
    LONG ranBefore = ran, ranAfter;
    KPRIORITY previous = -1;

    if (thread)
        previous = KeSetPriorityThread(&thread->Tcb, KT_HIGH_PRIORITY);
    ranAfter = ran;
    KtJoinThread(thread);

    KT_EXPECT_EQ(ranBefore, 0);
    KT_EXPECT_EQ(previous, KT_LOW_PRIORITY);
    KT_EXPECT_EQ(ranAfter, 1);
}

KTEST(LoweringTheCurrentThreadBelowAReadyOneYieldsAtOnce)
{
    volatile LONG ran = 0;
    ETHREAD *thread = KtStartThread(KtMarkRan, (void *)&ran, KT_LOW_PRIORITY);
    LONG ranBefore = ran, ranAfter;

    KeSetPriorityThread(KeGetCurrentThread(), KT_LOW_PRIORITY - 1);
    ranAfter = ran;
    KtRestoreOwnPriority();
    KtJoinThread(thread);

    KT_EXPECT_EQ(ranBefore, 0);
    KT_EXPECT_EQ(ranAfter, 1);
}

// ---- Priority boost ---------------------------------------------------------------

typedef struct _KT_BOOSTEE {
    KEVENT Event;
    KPRIORITY Base;
    KPRIORITY AtWake;
    KPRIORITY Lowest;
    KPRIORITY Highest;          // after waking
    KPRIORITY Last;
    ULONG StepsDown;            // how many times the priority dropped by one
    BOOLEAN SteppedByMoreThanOne;
} KT_BOOSTEE;

// Waits for the event, then spins for KT_SPIN_TICKS watching its own
// priority decay.
static void KtBoosteeRoutine(void *context)
{
    KT_BOOSTEE *boostee = context;
    KTHREAD *self = KeGetCurrentThread();
    ULONG64 end;

    KtWait(&boostee->Event);
    boostee->AtWake = boostee->Lowest = boostee->Highest = boostee->Last =
        KeQueryPriorityThread(self);
    end = KeTickCount + KT_SPIN_TICKS;
    while (KeTickCount < end) {
        KPRIORITY now = KeQueryPriorityThread(self);

        if (now < boostee->Last) {
            boostee->StepsDown++;
            if (now < boostee->Last - 1)
                boostee->SteppedByMoreThanOne = TRUE;
        }
        if (now < boostee->Lowest)
            boostee->Lowest = now;
        if (now > boostee->Highest)
            boostee->Highest = now;
        boostee->Last = now;
    }
}

static ETHREAD *KtStartBoostee(KT_BOOSTEE *boostee, KPRIORITY base)
{
    ETHREAD *thread;

    memset(boostee, 0, sizeof(*boostee));
    KeInitializeEvent(&boostee->Event, SynchronizationEvent, FALSE);
    boostee->Base = base;
    thread = KtStartThread(KtBoosteeRoutine, boostee, base);
    KtWaitUntilWaitingOn(thread, &boostee->Event);
    return thread;
}

// Woken with an increment, a thread runs at base + increment; each quantum
// end takes one off until it is back at its base.
KTEST(UnwaitBoostRaisesPriorityByTheIncrementThenDecays)
{
    KT_BOOSTEE boostee;
    ETHREAD *thread = KtStartBoostee(&boostee, 9);

    KeSetEvent(&boostee.Event, 3, FALSE);
    KtJoinThread(thread);

    KT_EXPECT_EQ(boostee.AtWake, 12);
    KT_EXPECT_EQ(boostee.Highest, 12);
    KT_EXPECT_EQ(boostee.Lowest, 9);
    KT_EXPECT_EQ(boostee.Last, 9);
    KT_EXPECT_EQ(boostee.StepsDown, 3);
    KT_EXPECT(!boostee.SteppedByMoreThanOne);
}

KTEST(UnwaitBoostStopsBelowTheRealtimeRange)
{
    KT_BOOSTEE boostee;
    ETHREAD *thread = KtStartBoostee(&boostee, 13);

    KeSetEvent(&boostee.Event, 6, FALSE);
    KtJoinThread(thread);

    KT_EXPECT_EQ(boostee.AtWake, LOW_REALTIME_PRIORITY - 1);
    KT_EXPECT_EQ(boostee.Last, 13);
}

KTEST(RealtimeThreadIsNotBoosted)
{
    KT_BOOSTEE boostee;
    ETHREAD *thread = KtStartBoostee(&boostee, LOW_REALTIME_PRIORITY + 2);

    KeSetEvent(&boostee.Event, 4, FALSE);
    KtJoinThread(thread);

    KT_EXPECT_EQ(boostee.AtWake, LOW_REALTIME_PRIORITY + 2);
    KT_EXPECT_EQ(boostee.Highest, LOW_REALTIME_PRIORITY + 2);
}

// ---- Time slicing -------------------------------------------------------------------

typedef struct _KT_SPINNER {
    volatile ULONG64 Progress;
    struct _KT_SPINNER *Others;
    ULONG OtherCount;
    KEVENT *Start;
    ULONG64 End;
    ULONG Turns;                // times it found another spinner had run since its last look
} KT_SPINNER;

// Spins until the tick `End`, never waiting: only the quantum can take the
// processor away from it.
static void KtSpinnerRoutine(void *context)
{
    KT_SPINNER *spinner = context;
    ULONG64 seen[KT_MAX_SPINNERS] = {0};
    ULONG64 lastTick = KeTickCount;

    KtWait(spinner->Start);
    while (KeTickCount < spinner->End) {
        spinner->Progress++;
        if (KeTickCount == lastTick)
            continue;
        // A tick went by: did anyone else get the processor meanwhile?
        lastTick = KeTickCount;
        for (ULONG i = 0; i < spinner->OtherCount; i++) {
            if (spinner->Others[i].Progress != seen[i] && &spinner->Others[i] != spinner) {
                spinner->Turns++;
                break;
            }
        }
        for (ULONG i = 0; i < spinner->OtherCount; i++)
            seen[i] = spinner->Others[i].Progress;
    }
}

// `count` CPU-bound threads of one priority, released together: each gets
// the processor again and again, a quantum at a time.
static void KtRunSpinners(ULONG count, BOOLEAN *everyoneProgressed, BOOLEAN *everyoneHadTurns)
{
    static KT_SPINNER spinners[KT_MAX_SPINNERS];
    ETHREAD *threads[KT_MAX_SPINNERS];
    KEVENT start;

    KeInitializeEvent(&start, NotificationEvent, FALSE);
    memset(spinners, 0, sizeof(spinners));
    for (ULONG i = 0; i < count; i++) {
        spinners[i].Others = spinners;
        spinners[i].OtherCount = count;
        spinners[i].Start = &start;
        threads[i] = KtStartThread(KtSpinnerRoutine, &spinners[i], KT_HIGH_PRIORITY);
        KtWaitUntilWaitingOn(threads[i], &start);
    }
    for (ULONG i = 0; i < count; i++)
        spinners[i].End = KeTickCount + KT_SPIN_TICKS;
    KeSetEvent(&start, IO_NO_INCREMENT, FALSE);
    for (ULONG i = 0; i < count; i++)
        KtJoinThread(threads[i]);

    *everyoneProgressed = *everyoneHadTurns = TRUE;
    for (ULONG i = 0; i < count; i++) {
        if (spinners[i].Progress == 0)
            *everyoneProgressed = FALSE;
        // A quantum is two ticks: over KT_SPIN_TICKS each spinner must have
        // seen the others run several times.
        if (spinners[i].Turns < KT_SPIN_TICKS / (2 * count * 2))
            *everyoneHadTurns = FALSE;
    }
    if (!*everyoneProgressed || !*everyoneHadTurns) {
        for (ULONG i = 0; i < count; i++)
            DbgPrint("  spinner %u: progress %llu, saw the others run %u times\n", i,
                     (unsigned long long)spinners[i].Progress, spinners[i].Turns);
    }
}

KTEST(EqualPriorityCpuBoundThreadsShareTheProcessor)
{
    BOOLEAN progressed, hadTurns;

    KtRunSpinners(2, &progressed, &hadTurns);
    KT_EXPECT(progressed);
    KT_EXPECT(hadTurns);
}

KTEST(ThreeEqualPriorityCpuBoundThreadsTakeTurnsRoundRobin)
{
    BOOLEAN progressed, hadTurns;

    KtRunSpinners(3, &progressed, &hadTurns);
    KT_EXPECT(progressed);
    KT_EXPECT(hadTurns);
}
