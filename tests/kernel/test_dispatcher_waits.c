// Waits: polls, WaitAny and WaitAll (all or nothing), wait blocks, timeouts
// counted in clock ticks, and alerts.

#include "tests/kernel/test_dispatcher.h"

#define KT_MANY_OBJECTS MAXIMUM_WAIT_OBJECTS

// Holds the mutant until `Go` is signaled.
typedef struct _KT_HOLDER {
    KMUTANT *Mutant;
    KEVENT Go;
} KT_HOLDER;

static void KtHolderRoutine(void *context)
{
    KT_HOLDER *holder = context;

    KtWait(holder->Mutant);
    KtWait(&holder->Go);
    KeReleaseMutant(holder->Mutant, IO_NO_INCREMENT, FALSE, FALSE);
}

KTEST(ZeroTimeoutWaitOnUnsignaledObjectsTimesOutAndTakesNothing)
{
    KEVENT event;
    KSEMAPHORE semaphore;
    KMUTANT mutant;
    KT_HOLDER holder;
    ETHREAD *thread;
    NTSTATUS eventStatus, semaphoreStatus, mutantStatus;
    LONG mutantState;
    BOOLEAN ownerKept;

    KeInitializeEvent(&event, SynchronizationEvent, FALSE);
    KeInitializeSemaphore(&semaphore, 0, 1);
    KeInitializeMutant(&mutant, FALSE);
    holder.Mutant = &mutant;
    KeInitializeEvent(&holder.Go, NotificationEvent, FALSE);
    thread = KtStartThread(KtHolderRoutine, &holder, KT_HIGH_PRIORITY);
    KtWaitUntilWaitingOn(thread, &holder.Go);

    eventStatus = KtPoll(&event);
    semaphoreStatus = KtPoll(&semaphore);
    mutantStatus = KtPoll(&mutant);
    mutantState = KeReadStateMutant(&mutant);
    ownerKept = thread && mutant.OwnerThread == &thread->Tcb;
    KeSetEvent(&holder.Go, IO_NO_INCREMENT, FALSE);
    KtJoinThread(thread);

    KT_EXPECT_EQ(eventStatus, STATUS_TIMEOUT);
    KT_EXPECT_EQ(KeReadStateEvent(&event), 0);
    KT_EXPECT_EQ(semaphoreStatus, STATUS_TIMEOUT);
    KT_EXPECT_EQ(KeReadStateSemaphore(&semaphore), 0);
    KT_EXPECT_EQ(mutantStatus, STATUS_TIMEOUT);
    KT_EXPECT_EQ(mutantState, 0);
    KT_EXPECT(ownerKept);
    // A poll never leaves a wait block behind.
    KT_EXPECT_EQ(KtWaitListLength(&event), 0);
    KT_EXPECT_EQ(KtWaitListLength(&semaphore), 0);
    KT_EXPECT_EQ(KtWaitListLength(&mutant), 0);
}

KTEST(ZeroTimeoutWaitOnASignaledObjectAcquiresIt)
{
    KEVENT event;
    KSEMAPHORE semaphore;

    KeInitializeEvent(&event, SynchronizationEvent, TRUE);
    KeInitializeSemaphore(&semaphore, 2, 2);
    KT_EXPECT_EQ(KtPoll(&event), STATUS_WAIT_0);
    KT_EXPECT_EQ(KeReadStateEvent(&event), 0);
    KT_EXPECT_EQ(KtPoll(&semaphore), STATUS_WAIT_0);
    KT_EXPECT_EQ(KeReadStateSemaphore(&semaphore), 1);
}

KTEST(ZeroTimeoutWaitAllWithOneObjectUnsignaledTakesNothing)
{
    KSEMAPHORE first, second;
    KEVENT last;
    void *objects[3] = {&first, &second, &last};
    NTSTATUS status;

    KeInitializeSemaphore(&first, 1, 1);
    KeInitializeSemaphore(&second, 1, 1);
    KeInitializeEvent(&last, SynchronizationEvent, FALSE);
    status = KeWaitForMultipleObjects(3, objects, WaitAll, Executive, KernelMode, FALSE,
                                      &KtZeroTimeout, NULL);
    KT_EXPECT_EQ(status, STATUS_TIMEOUT);
    KT_EXPECT_EQ(KeReadStateSemaphore(&first), 1);
    KT_EXPECT_EQ(KeReadStateSemaphore(&second), 1);
}

// Only a poll may wait at DISPATCH_LEVEL: a thread there cannot block.
KTEST(PollAtDispatchLevelIsAllowed)
{
    KEVENT event;
    KIRQL oldIrql;
    NTSTATUS signaled, unsignaled;

    KeInitializeEvent(&event, SynchronizationEvent, TRUE);
    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    signaled = KtPoll(&event);
    unsignaled = KtPoll(&event);
    KeLowerIrql(oldIrql);
    KT_EXPECT_EQ(signaled, STATUS_WAIT_0);
    KT_EXPECT_EQ(unsignaled, STATUS_TIMEOUT);
}

KTEST(BlockingWaitAtDispatchLevelIsABugCheck)
{
    KJUMP_BUFFER resume;
    KEVENT event;
    KIRQL oldIrql;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    if (KiSetJump(&resume) == 0) {
        KiExpectBugCheck(IRQL_NOT_LESS_OR_EQUAL, &resume);     // resumes at PASSIVE_LEVEL
        KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
        KtWait(&event);
        KeLowerIrql(oldIrql);
        KiClearExpectedBugCheck();
        KtFail(__FILE__, __LINE__, "a bugcheck for the wait at DISPATCH_LEVEL");
    }
    KT_EXPECT_EQ(KiBugCheckData.Code, IRQL_NOT_LESS_OR_EQUAL);
    KT_EXPECT_EQ(KiBugCheckData.Parameter[1], DISPATCH_LEVEL);
    KT_EXPECT_EQ(KtWaitListLength(&event), 0);
}

KTEST(WaitAnyReturnsTheLowestSignaledIndex)
{
    KEVENT unsignaled, alsoSignaled;
    KSEMAPHORE signaled;
    void *objects[3] = {&unsignaled, &signaled, &alsoSignaled};
    NTSTATUS status;

    KeInitializeEvent(&unsignaled, NotificationEvent, FALSE);
    KeInitializeSemaphore(&signaled, 1, 1);
    KeInitializeEvent(&alsoSignaled, SynchronizationEvent, TRUE);
    status = KeWaitForMultipleObjects(3, objects, WaitAny, Executive, KernelMode, FALSE,
                                      &KtWaitLimit, NULL);
    KT_EXPECT_EQ(status, STATUS_WAIT_0 + 1);
    // Only that one was acquired.
    KT_EXPECT_EQ(KeReadStateSemaphore(&signaled), 0);
    KT_EXPECT_EQ(KeReadStateEvent(&alsoSignaled), 1);
}

// A thread in a WaitAll of up to MAXIMUM_WAIT_OBJECTS objects.
typedef struct _KT_WAIT_MANY {
    ULONG Count;
    WAIT_TYPE WaitType;
    void *Objects[KT_MANY_OBJECTS];
    KWAIT_BLOCK WaitBlocks[KT_MANY_OBJECTS];
    NTSTATUS Status;
    volatile LONG Done;
} KT_WAIT_MANY;

static void KtWaitManyRoutine(void *context)
{
    KT_WAIT_MANY *wait = context;

    wait->Status = KeWaitForMultipleObjects(wait->Count, wait->Objects, wait->WaitType,
                                            Executive, KernelMode, FALSE, &KtWaitLimit,
                                            wait->Count > THREAD_WAIT_OBJECTS ? wait->WaitBlocks
                                                                              : NULL);
    wait->Done = 1;
}

static ETHREAD *KtStartWaitMany(KT_WAIT_MANY *wait, WAIT_TYPE waitType, ULONG count,
                                void **objects)
{
    memset(wait, 0, sizeof(*wait));
    wait->Count = count;
    wait->WaitType = waitType;
    for (ULONG i = 0; i < count; i++)
        wait->Objects[i] = objects[i];
    wait->Status = STATUS_PENDING;
    return KtStartThread(KtWaitManyRoutine, wait, KT_HIGH_PRIORITY);
}

// While one object is unsignaled a WaitAll holds none of the others: they
// stay available to everyone else.
KTEST(WaitAllWithAnUnsignaledObjectAcquiresNothing)
{
    static KT_WAIT_MANY wait;
    KSEMAPHORE first, second;
    KEVENT last;
    void *objects[3] = {&first, &second, &last};
    ETHREAD *thread;
    LONG firstWhileWaiting, secondWhileWaiting, doneWhileWaiting;
    NTSTATUS borrow;

    KeInitializeSemaphore(&first, 1, 1);
    KeInitializeSemaphore(&second, 1, 1);
    KeInitializeEvent(&last, SynchronizationEvent, FALSE);
    thread = KtStartWaitMany(&wait, WaitAll, 3, objects);
    KtWaitUntilWaitingOn(thread, &last);
    firstWhileWaiting = KeReadStateSemaphore(&first);
    secondWhileWaiting = KeReadStateSemaphore(&second);
    // Someone else may take one and give it back meanwhile.
    borrow = KtPoll(&first);
    KeReleaseSemaphore(&first, IO_NO_INCREMENT, 1, FALSE);
    doneWhileWaiting = wait.Done;
    KeSetEvent(&last, IO_NO_INCREMENT, FALSE);
    KtJoinThread(thread);

    KT_EXPECT_EQ(firstWhileWaiting, 1);
    KT_EXPECT_EQ(secondWhileWaiting, 1);
    KT_EXPECT_EQ(borrow, STATUS_WAIT_0);
    KT_EXPECT_EQ(doneWhileWaiting, 0);
    KT_EXPECT_EQ(wait.Status, STATUS_WAIT_0);
    // Then it took all three at once.
    KT_EXPECT_EQ(KeReadStateSemaphore(&first), 0);
    KT_EXPECT_EQ(KeReadStateSemaphore(&second), 0);
    KT_EXPECT_EQ(KeReadStateEvent(&last), 0);
}

KTEST(WaitAllCompletesWhenTheLastObjectIsSignaled)
{
    static KT_WAIT_MANY wait;
    KEVENT a, b;
    KSEMAPHORE c;
    void *objects[3] = {&a, &b, &c};
    ETHREAD *thread;
    LONG doneAfterA, doneAfterB, doneAfterC;

    KeInitializeEvent(&a, NotificationEvent, FALSE);
    KeInitializeEvent(&b, SynchronizationEvent, FALSE);
    KeInitializeSemaphore(&c, 0, 1);
    thread = KtStartWaitMany(&wait, WaitAll, 3, objects);
    KtWaitUntilWaitingOn(thread, &c);
    KeSetEvent(&a, IO_NO_INCREMENT, FALSE);
    KtSleepTicks(1);
    doneAfterA = wait.Done;
    KeSetEvent(&b, IO_NO_INCREMENT, FALSE);
    KtSleepTicks(1);
    doneAfterB = wait.Done;
    KeReleaseSemaphore(&c, IO_NO_INCREMENT, 1, FALSE);
    doneAfterC = wait.Done;
    KtJoinThread(thread);

    KT_EXPECT_EQ(doneAfterA, 0);
    KT_EXPECT_EQ(doneAfterB, 0);
    KT_EXPECT_EQ(doneAfterC, 1);
    KT_EXPECT_EQ(wait.Status, STATUS_WAIT_0);
    KT_EXPECT_EQ(KeReadStateEvent(&a), 1);
    KT_EXPECT_EQ(KeReadStateEvent(&b), 0);
    KT_EXPECT_EQ(KeReadStateSemaphore(&c), 0);
    KT_EXPECT_EQ(KtWaitListLength(&a) + KtWaitListLength(&b) + KtWaitListLength(&c), 0);
}

// A WaitAll waiter on {A, B} and a WaitAny waiter on A. A alone goes to the
// WaitAny waiter: the WaitAll one, not satisfied, took nothing. Then B
// alone does not complete the WaitAll (A is gone); A again does.
KTEST(WaitAllNeverHoldsPartOfItsObjects)
{
    static KT_WAIT_MANY all, any;
    KSEMAPHORE a;
    KEVENT b;
    void *both[2] = {&a, &b};
    void *justA[1] = {&a};
    ETHREAD *allThread, *anyThread;
    LONG allDoneAfterA, anyDoneAfterA, allDoneAfterB, allDoneAfterSecondA;

    KeInitializeSemaphore(&a, 0, 2);
    KeInitializeEvent(&b, NotificationEvent, FALSE);
    allThread = KtStartWaitMany(&all, WaitAll, 2, both);
    KtWaitUntilWaitingOn(allThread, &a);
    anyThread = KtStartWaitMany(&any, WaitAny, 1, justA);
    KtWaitUntilWaitingOn(anyThread, &a);

    KeReleaseSemaphore(&a, IO_NO_INCREMENT, 1, FALSE);
    KtSleepTicks(1);
    allDoneAfterA = all.Done;
    anyDoneAfterA = any.Done;
    KeSetEvent(&b, IO_NO_INCREMENT, FALSE);
    KtSleepTicks(1);
    allDoneAfterB = all.Done;
    KeReleaseSemaphore(&a, IO_NO_INCREMENT, 1, FALSE);
    KtSleepTicks(1);
    allDoneAfterSecondA = all.Done;
    KtJoinThread(allThread);
    KtJoinThread(anyThread);

    KT_EXPECT_EQ(allDoneAfterA, 0);
    KT_EXPECT_EQ(anyDoneAfterA, 1);
    KT_EXPECT_EQ(any.Status, STATUS_WAIT_0);
    KT_EXPECT_EQ(allDoneAfterB, 0);
    KT_EXPECT_EQ(allDoneAfterSecondA, 1);
    KT_EXPECT_EQ(all.Status, STATUS_WAIT_0);
    KT_EXPECT_EQ(KeReadStateSemaphore(&a), 0);
}

// One count released to a semaphore at 0 goes to its first waiter, a
// WaitAny whose semaphore is its second object: the wait returns that
// object's index (STATUS_WAIT_0 + 1), the count is taken, and the waiter is
// off both wait lists (the semaphore's one-waiter release, which skips
// KiWaitTest, must do all of that).
KTEST(SemaphoreReleaseToAWaitAnyReturnsTheSemaphoresIndex)
{
    static KT_WAIT_MANY any;
    KEVENT event;
    KSEMAPHORE semaphore;
    void *objects[2] = {&event, &semaphore};
    ETHREAD *thread;
    LONG previous;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    KeInitializeSemaphore(&semaphore, 0, 4);
    thread = KtStartWaitMany(&any, WaitAny, 2, objects);
    KtWaitUntilWaitingOn(thread, &semaphore);
    previous = KeReleaseSemaphore(&semaphore, IO_NO_INCREMENT, 1, FALSE);
    KtJoinThread(thread);

    KT_EXPECT_EQ(previous, 0);
    KT_EXPECT_EQ(any.Status, STATUS_WAIT_0 + 1);
    KT_EXPECT_EQ(KeReadStateSemaphore(&semaphore), 0);
    KT_EXPECT_EQ(KtWaitListLength(&event) + KtWaitListLength(&semaphore), 0);
}

// A thread has wait blocks for THREAD_WAIT_OBJECTS objects; a wait on more
// must bring its own.
KTEST(WaitOnMoreThanThreeObjectsWithoutWaitBlocksIsABugCheck)
{
    KJUMP_BUFFER resume;
    KEVENT events[THREAD_WAIT_OBJECTS + 1];
    void *objects[THREAD_WAIT_OBJECTS + 1];

    for (ULONG i = 0; i < ARRAYSIZE(events); i++) {
        KeInitializeEvent(&events[i], NotificationEvent, TRUE);
        objects[i] = &events[i];
    }
    if (KiSetJump(&resume) == 0) {
        KiExpectBugCheck(MAXIMUM_WAIT_OBJECTS_EXCEEDED, &resume);
        KeWaitForMultipleObjects(ARRAYSIZE(objects), objects, WaitAny, Executive, KernelMode,
                                 FALSE, &KtZeroTimeout, NULL);
        KiClearExpectedBugCheck();
        KtFail(__FILE__, __LINE__, "a bugcheck for the wait without wait blocks");
    }
    KT_EXPECT_EQ(KiBugCheckData.Code, MAXIMUM_WAIT_OBJECTS_EXCEEDED);
    KT_EXPECT_EQ(KiBugCheckData.Parameter[0], THREAD_WAIT_OBJECTS + 1);
}

KTEST(WaitOnMoreThanMaximumWaitObjectsIsABugCheck)
{
    static KEVENT events[MAXIMUM_WAIT_OBJECTS + 1];
    static void *objects[MAXIMUM_WAIT_OBJECTS + 1];
    static KWAIT_BLOCK waitBlocks[MAXIMUM_WAIT_OBJECTS + 1];
    KJUMP_BUFFER resume;

    for (ULONG i = 0; i < ARRAYSIZE(events); i++) {
        KeInitializeEvent(&events[i], NotificationEvent, TRUE);
        objects[i] = &events[i];
    }
    if (KiSetJump(&resume) == 0) {
        KiExpectBugCheck(MAXIMUM_WAIT_OBJECTS_EXCEEDED, &resume);
        KeWaitForMultipleObjects(ARRAYSIZE(objects), objects, WaitAny, Executive, KernelMode,
                                 FALSE, &KtZeroTimeout, waitBlocks);
        KiClearExpectedBugCheck();
        KtFail(__FILE__, __LINE__, "a bugcheck for the wait on too many objects");
    }
    KT_EXPECT_EQ(KiBugCheckData.Parameter[0], MAXIMUM_WAIT_OBJECTS + 1);
}

// With its own wait blocks a thread waits on up to MAXIMUM_WAIT_OBJECTS.
KTEST(WaitAllOnMaximumWaitObjectsWithCallerWaitBlocks)
{
    static KT_WAIT_MANY wait;
    static KEVENT events[KT_MANY_OBJECTS];
    void *objects[KT_MANY_OBJECTS];
    ETHREAD *thread;
    LONG doneBeforeLast;
    ULONG waitBlocksLeft = 0;

    for (ULONG i = 0; i < KT_MANY_OBJECTS; i++) {
        KeInitializeEvent(&events[i], SynchronizationEvent, FALSE);
        objects[i] = &events[i];
    }
    thread = KtStartWaitMany(&wait, WaitAll, KT_MANY_OBJECTS, objects);
    KtWaitUntilWaitingOn(thread, &events[KT_MANY_OBJECTS - 1]);
    for (ULONG i = 0; i < KT_MANY_OBJECTS - 1; i++)
        KeSetEvent(&events[i], IO_NO_INCREMENT, FALSE);
    doneBeforeLast = wait.Done;
    KeSetEvent(&events[KT_MANY_OBJECTS - 1], IO_NO_INCREMENT, FALSE);
    KtJoinThread(thread);

    KT_EXPECT_EQ(doneBeforeLast, 0);
    KT_EXPECT_EQ(wait.Status, STATUS_WAIT_0);
    for (ULONG i = 0; i < KT_MANY_OBJECTS; i++) {
        KT_EXPECT_EQ(KeReadStateEvent(&events[i]), 0);
        waitBlocksLeft += KtWaitListLength(&events[i]);
    }
    KT_EXPECT_EQ(waitBlocksLeft, 0);
}

KTEST(WaitAnyOnMaximumWaitObjectsReportsTheSignaledIndex)
{
    static KEVENT events[KT_MANY_OBJECTS];
    static KWAIT_BLOCK waitBlocks[KT_MANY_OBJECTS];
    void *objects[KT_MANY_OBJECTS];
    NTSTATUS status;

    for (ULONG i = 0; i < KT_MANY_OBJECTS; i++) {
        KeInitializeEvent(&events[i], NotificationEvent, i == KT_MANY_OBJECTS - 1);
        objects[i] = &events[i];
    }
    status = KeWaitForMultipleObjects(KT_MANY_OBJECTS, objects, WaitAny, Executive, KernelMode,
                                      FALSE, &KtWaitLimit, waitBlocks);
    KT_EXPECT_EQ(status, STATUS_WAIT_0 + KT_MANY_OBJECTS - 1);
}

KTEST(WaitTimeoutIsMeasuredInTicks)
{
    KEVENT event;
    LARGE_INTEGER timeout = KtRelativeTime(KT_100_MS);
    ULONG64 start, elapsed;
    NTSTATUS status;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    start = KeTickCount;
    status = KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &timeout);
    elapsed = KeTickCount - start;
    KT_EXPECT_EQ(status, STATUS_TIMEOUT);
    KT_EXPECT(elapsed >= KT_100_MS_MIN_TICKS);
    KT_EXPECT(elapsed < KT_100_MS_MAX_TICKS);
}

KTEST(TimedOutWaitLeavesNoWaitBlockOrTimerBehind)
{
    KEVENT event;
    KSEMAPHORE semaphore;
    void *objects[2] = {&event, &semaphore};
    LARGE_INTEGER timeout = KtRelativeTime(30);
    NTSTATUS status;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    KeInitializeSemaphore(&semaphore, 0, 1);
    status = KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode, FALSE,
                                      &timeout, NULL);
    KT_EXPECT_EQ(status, STATUS_TIMEOUT);
    KT_EXPECT_EQ(KtWaitListLength(&event), 0);
    KT_EXPECT_EQ(KtWaitListLength(&semaphore), 0);
    KT_EXPECT(!KeGetCurrentThread()->Timer.Header.Inserted);
    KT_EXPECT(KeGetCurrentThread()->WaitBlockList == NULL);
}

// A wait satisfied before its timeout disarms the timeout.
KTEST(SatisfiedWaitCancelsItsTimeout)
{
    KEVENT event;
    KT_WAITER waiter;
    BOOLEAN timerArmedWhileWaiting, timerArmedAfter;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    KtStartWaiter(&waiter, &event, KT_HIGH_PRIORITY, NULL);
    timerArmedWhileWaiting = waiter.Thread && waiter.Thread->Tcb.Timer.Header.Inserted;
    KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
    timerArmedAfter = waiter.Thread && waiter.Thread->Tcb.Timer.Header.Inserted;
    KtJoinThread(waiter.Thread);

    KT_EXPECT(timerArmedWhileWaiting);
    KT_EXPECT(!timerArmedAfter);
    KT_EXPECT_EQ(waiter.Status, STATUS_WAIT_0);
}

KTEST(DelayExecutionIsMeasuredInTicks)
{
    LARGE_INTEGER interval = KtRelativeTime(KT_100_MS);
    ULONG64 start, elapsed;
    NTSTATUS status;

    start = KeTickCount;
    status = KeDelayExecutionThread(KernelMode, FALSE, &interval);
    elapsed = KeTickCount - start;
    KT_EXPECT_EQ(status, STATUS_SUCCESS);
    KT_EXPECT(elapsed >= KT_100_MS_MIN_TICKS);
    KT_EXPECT(elapsed < KT_100_MS_MAX_TICKS);
}

// ---- Alerts -------------------------------------------------------------------------

typedef struct _KT_ALERTEE {
    KEVENT Event;               // what the first wait is for
    KEVENT Never;               // never signaled
    BOOLEAN FirstAlertable;
    NTSTATUS FirstStatus;
    NTSTATUS SecondStatus;      // an alertable wait on Never
    ULONG64 SecondTicks;
    volatile LONG Done;
} KT_ALERTEE;

static void KtAlerteeRoutine(void *context)
{
    KT_ALERTEE *alertee = context;
    ULONG64 start;

    alertee->FirstStatus = KeWaitForSingleObject(&alertee->Event, Executive, KernelMode,
                                                 alertee->FirstAlertable, &KtWaitLimit);
    start = KeTickCount;
    alertee->SecondStatus = KeWaitForSingleObject(&alertee->Never, Executive, KernelMode, TRUE,
                                                  &KtWaitLimit);
    alertee->SecondTicks = KeTickCount - start;
    alertee->Done = 1;
}

static ETHREAD *KtStartAlertee(KT_ALERTEE *alertee, BOOLEAN firstAlertable)
{
    ETHREAD *thread;

    memset(alertee, 0, sizeof(*alertee));
    KeInitializeEvent(&alertee->Event, NotificationEvent, FALSE);
    KeInitializeEvent(&alertee->Never, NotificationEvent, FALSE);
    alertee->FirstAlertable = firstAlertable;
    thread = KtStartThread(KtAlerteeRoutine, alertee, KT_HIGH_PRIORITY);
    KtWaitUntilWaitingOn(thread, &alertee->Event);
    return thread;
}

KTEST(AlertEndsAnAlertableWaitWithStatusAlerted)
{
    KT_ALERTEE alertee;
    ETHREAD *thread = KtStartAlertee(&alertee, TRUE);
    BOOLEAN previous = TRUE, pendingAfterWake = TRUE;

    if (thread) {
        previous = KeAlertThread(&thread->Tcb, KernelMode);
        // Its second wait is alertable too: end that one the same way.
        KtWaitUntilWaitingOn(thread, &alertee.Never);
        pendingAfterWake = thread->Tcb.Alerted[KernelMode];
        KeAlertThread(&thread->Tcb, KernelMode);
    }
    KtJoinThread(thread);

    KT_EXPECT_EQ(previous, FALSE);
    KT_EXPECT_EQ(alertee.FirstStatus, STATUS_ALERTED);
    KT_EXPECT_EQ(alertee.SecondStatus, STATUS_ALERTED);
    // The alert was delivered by ending the wait, not left pending.
    KT_EXPECT_EQ(pendingAfterWake, FALSE);
    KT_EXPECT_EQ(KtWaitListLength(&alertee.Event), 0);
}

// A non-alertable wait ignores the alert; the alert stays pending and ends
// the thread's next alertable wait at once.
KTEST(AlertDoesNotEndANonAlertableWait)
{
    KT_ALERTEE alertee;
    ETHREAD *thread = KtStartAlertee(&alertee, FALSE);
    LONG doneAfterAlert;
    BOOLEAN waitingAfterAlert;

    if (thread)
        KeAlertThread(&thread->Tcb, KernelMode);
    KtSleepTicks(2);
    doneAfterAlert = alertee.Done;
    waitingAfterAlert = thread && KtIsWaitingOn(thread, &alertee.Event);
    KeSetEvent(&alertee.Event, IO_NO_INCREMENT, FALSE);
    KtJoinThread(thread);

    KT_EXPECT_EQ(doneAfterAlert, 0);
    KT_EXPECT(waitingAfterAlert);
    KT_EXPECT_EQ(alertee.FirstStatus, STATUS_WAIT_0);
    KT_EXPECT_EQ(alertee.SecondStatus, STATUS_ALERTED);
    KT_EXPECT(alertee.SecondTicks < 2);
}

KTEST(PendingAlertEndsTheNextAlertableWaitAtOnce)
{
    KEVENT never;
    KTHREAD *self = KeGetCurrentThread();
    LARGE_INTEGER shortTimeout = KtRelativeTime(30);
    BOOLEAN firstPrevious, secondPrevious;
    NTSTATUS alerted, afterwards;

    KeInitializeEvent(&never, NotificationEvent, FALSE);
    firstPrevious = KeAlertThread(self, KernelMode);
    secondPrevious = KeAlertThread(self, KernelMode);
    alerted = KeWaitForSingleObject(&never, Executive, KernelMode, TRUE, &KtWaitLimit);
    // The alert was used up by that wait.
    afterwards = KeWaitForSingleObject(&never, Executive, KernelMode, TRUE, &shortTimeout);

    KT_EXPECT_EQ(firstPrevious, FALSE);
    KT_EXPECT_EQ(secondPrevious, TRUE);
    KT_EXPECT_EQ(alerted, STATUS_ALERTED);
    KT_EXPECT_EQ(afterwards, STATUS_TIMEOUT);
    KT_EXPECT_EQ(KeTestAlertThread(KernelMode), FALSE);
}

KTEST(TestAlertThreadReturnsAndClearsAPendingAlert)
{
    KEVENT never;
    LARGE_INTEGER shortTimeout = KtRelativeTime(30);

    KeInitializeEvent(&never, NotificationEvent, FALSE);
    KeAlertThread(KeGetCurrentThread(), KernelMode);
    KT_EXPECT_EQ(KeTestAlertThread(KernelMode), TRUE);
    KT_EXPECT_EQ(KeTestAlertThread(KernelMode), FALSE);
    KT_EXPECT_EQ(KeWaitForSingleObject(&never, Executive, KernelMode, TRUE, &shortTimeout),
                 STATUS_TIMEOUT);
}

typedef struct _KT_DELAYER {
    NTSTATUS Status;
    ULONG64 Ticks;
} KT_DELAYER;

static void KtAlertableDelayRoutine(void *context)
{
    KT_DELAYER *delayer = context;
    ULONG64 start = KeTickCount;

    delayer->Status = KeDelayExecutionThread(KernelMode, TRUE, &KtWaitLimit);
    delayer->Ticks = KeTickCount - start;
}

KTEST(AlertEndsAnAlertableDelay)
{
    KT_DELAYER delayer = {STATUS_PENDING, 0};
    ETHREAD *thread = KtStartThread(KtAlertableDelayRoutine, &delayer, KT_HIGH_PRIORITY);

    KtSleepTicks(2);
    if (thread)
        KeAlertThread(&thread->Tcb, KernelMode);
    KtJoinThread(thread);

    KT_EXPECT_EQ(delayer.Status, STATUS_ALERTED);
    KT_EXPECT(delayer.Ticks < KT_WAIT_LIMIT_MS / 16);
}
