// Threads: joining one (a thread is signaled when it ends), ending one from
// outside with a kernel APC while it waits, client ids, and giving back
// everything a thread held once it has ended and been dereferenced.

#include "tests/kernel/test_dispatcher.h"

#define KT_EXIT_STATUS ((NTSTATUS)0xC0DE0001L)
#define KT_CID_THREADS 16

typedef struct _KT_SLEEPER {
    LONG Milliseconds;
    volatile LONG Finished;
} KT_SLEEPER;

static void KtSleeperRoutine(void *context)
{
    KT_SLEEPER *sleeper = context;

    KtSleep(sleeper->Milliseconds);
    sleeper->Finished = 1;
}

KTEST(JoiningAThreadWaitsUntilItEnds)
{
    KT_SLEEPER sleeper = {100, 0};
    ETHREAD *thread = KtStartThread(KtSleeperRoutine, &sleeper, KT_HIGH_PRIORITY);
    LONG signaledWhileRunning = 1;
    NTSTATUS status = STATUS_PENDING;

    KT_EXPECT(thread != NULL);
    signaledWhileRunning = thread->Tcb.Header.SignalState;
    status = KeWaitForSingleObject(&thread->Tcb, Executive, KernelMode, FALSE, &KtWaitLimit);
    KT_CHECK_EQ(status, STATUS_WAIT_0);
    KT_CHECK_EQ(sleeper.Finished, 1);
    KT_CHECK_EQ(thread->Tcb.State, Terminated);
    KT_CHECK_EQ(thread->Tcb.Header.SignalState, 1);
    KT_CHECK(thread->Terminated);
    KtJoinThread(thread);
    KT_EXPECT_EQ(signaledWhileRunning, 0);
}

static void KtExitWithStatusRoutine(void *context)
{
    PsTerminateSystemThread(KT_EXIT_STATUS);
}

KTEST(ThreadExitStatusIsKeptForItsJoiners)
{
    ETHREAD *thread = KtStartThread(KtExitWithStatusRoutine, NULL, KT_HIGH_PRIORITY);
    NTSTATUS exitStatus;

    KT_EXPECT(thread != NULL);
    KtWait(&thread->Tcb);
    exitStatus = thread->ExitStatus;
    KtJoinThread(thread);
    KT_EXPECT_EQ(exitStatus, KT_EXIT_STATUS);
}

// Every thread waiting for one to end is released when it does.
KTEST(EndingThreadReleasesEveryJoiner)
{
    KEVENT go;
    KT_WAITER target, joiners[3];
    LONG joinersDone;

    KeInitializeEvent(&go, NotificationEvent, FALSE);
    KtStartWaiter(&target, &go, KT_HIGH_PRIORITY, NULL);
    KT_EXPECT(target.Thread != NULL);
    for (ULONG i = 0; i < ARRAYSIZE(joiners); i++)
        KtStartWaiter(&joiners[i], &target.Thread->Tcb, KT_HIGH_PRIORITY, NULL);
    KeSetEvent(&go, IO_NO_INCREMENT, FALSE);    // the target ends, and with it every join
    joinersDone = KtCountDone(joiners, ARRAYSIZE(joiners));
    KtJoinThread(target.Thread);
    for (ULONG i = 0; i < ARRAYSIZE(joiners); i++)
        KtJoinThread(joiners[i].Thread);

    KT_EXPECT_EQ(joinersDone, ARRAYSIZE(joiners));
    for (ULONG i = 0; i < ARRAYSIZE(joiners); i++)
        KT_EXPECT_EQ(joiners[i].Status, STATUS_WAIT_0);
}

// ---- Termination by a kernel APC --------------------------------------------------

typedef struct _KT_VICTIM {
    KEVENT Event;
    KSEMAPHORE Semaphore;
    KMUTANT Mutant;         // it owns this one
    KMUTANT Contended;      // and waits for this one, which the test owns
    NTSTATUS WaitStatus;
    volatile LONG ReturnedFromWait;
} KT_VICTIM;

static void KtVictimRoutine(void *context)
{
    KT_VICTIM *victim = context;
    void *objects[3] = {&victim->Event, &victim->Semaphore, &victim->Contended};

    KtWait(&victim->Mutant);
    victim->WaitStatus = KeWaitForMultipleObjects(3, objects, WaitAll, Executive, KernelMode,
                                                  FALSE, &KtWaitLimit, NULL);
    victim->ReturnedFromWait = 1;
}

static void KtExitApcRoutine(KAPC *apc, PKNORMAL_ROUTINE *normalRoutine, void **normalContext,
                             void **systemArgument1, void **systemArgument2)
{
    PsTerminateSystemThread((NTSTATUS)(LONG_PTR)*systemArgument1);
}

// A thread blocked in a WaitAll is made to end by a kernel APC: it is woken
// to run the APC, never returns from its wait, and leaves no wait block on
// any object, no armed timeout, and no mutant owned.
KTEST(ThreadTerminatedByAKernelApcWhileWaitingEnds)
{
    KT_VICTIM victim;
    KAPC apc;
    ETHREAD *thread;
    BOOLEAN inserted = FALSE;
    NTSTATUS joinStatus = STATUS_PENDING;
    ULONG waitersBefore, waitersAfter = 99;
    BOOLEAN timerArmedAfter = TRUE;
    NTSTATUS exitStatus = STATUS_PENDING;

    memset(&victim, 0, sizeof(victim));
    KeInitializeEvent(&victim.Event, NotificationEvent, FALSE);
    KeInitializeSemaphore(&victim.Semaphore, 0, 1);
    KeInitializeMutant(&victim.Mutant, FALSE);
    KeInitializeMutant(&victim.Contended, TRUE);
    thread = KtStartThread(KtVictimRoutine, &victim, KT_HIGH_PRIORITY);
    KtWaitUntilWaitingOn(thread, &victim.Contended);
    waitersBefore = KtWaitListLength(&victim.Event) + KtWaitListLength(&victim.Semaphore) +
                    KtWaitListLength(&victim.Contended);

    if (thread) {
        KeInitializeApc(&apc, &thread->Tcb, OriginalApcEnvironment, KtExitApcRoutine, NULL,
                        NULL, KernelMode, NULL);
        inserted = KeInsertQueueApc(&apc, (void *)(LONG_PTR)KT_EXIT_STATUS, NULL,
                                    IO_NO_INCREMENT);
        joinStatus = KeWaitForSingleObject(&thread->Tcb, Executive, KernelMode, FALSE,
                                           &KtWaitLimit);
        waitersAfter = KtWaitListLength(&victim.Event) + KtWaitListLength(&victim.Semaphore) +
                       KtWaitListLength(&victim.Contended);
        timerArmedAfter = thread->Tcb.Timer.Header.Inserted;
        exitStatus = thread->ExitStatus;
    }
    KtJoinThread(thread);
    KeReleaseMutant(&victim.Contended, IO_NO_INCREMENT, FALSE, FALSE);

    KT_EXPECT(inserted);
    KT_EXPECT_EQ(joinStatus, STATUS_WAIT_0);
    KT_EXPECT_EQ(waitersBefore, 3);
    KT_EXPECT_EQ(waitersAfter, 0);
    KT_EXPECT(!timerArmedAfter);
    KT_EXPECT_EQ(victim.ReturnedFromWait, 0);
    KT_EXPECT_EQ(exitStatus, KT_EXIT_STATUS);
    // The WaitAll took nothing, and the mutant it owned was abandoned.
    KT_EXPECT_EQ(KeReadStateSemaphore(&victim.Semaphore), 0);
    KT_EXPECT_EQ(KeReadStateMutant(&victim.Contended), 1);
    KT_EXPECT_EQ(KeReadStateMutant(&victim.Mutant), 1);
    KT_EXPECT_EQ(KtProbeMutant(&victim.Mutant), STATUS_ABANDONED_WAIT_0);
}

// A kernel APC runs in the waiting thread, which then waits on: the APC
// does not end its wait.
KTEST(KernelApcRunsInAWaitingThreadWhoseWaitGoesOn)
{
    KEVENT event;
    KT_WAITER waiter;
    KAPC apc;
    volatile LONG apcRuns = 0;
    BOOLEAN inserted = FALSE, waitingAfterApc = FALSE;
    LONG doneAfterApc;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    KtStartWaiter(&waiter, &event, KT_HIGH_PRIORITY, NULL);
    if (waiter.Thread) {
        KeInitializeApc(&apc, &waiter.Thread->Tcb, OriginalApcEnvironment, KtCountingApcRoutine,
                        NULL, NULL, KernelMode, NULL);
        inserted = KeInsertQueueApc(&apc, (void *)&apcRuns, NULL, IO_NO_INCREMENT);
        waitingAfterApc = KtIsWaitingOn(waiter.Thread, &event);
    }
    doneAfterApc = waiter.Done;
    KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
    KtJoinThread(waiter.Thread);

    KT_EXPECT(inserted);
    KT_EXPECT_EQ(apcRuns, 1);
    KT_EXPECT(waitingAfterApc);
    KT_EXPECT_EQ(doneAfterApc, 0);
    KT_EXPECT_EQ(waiter.Status, STATUS_WAIT_0);
}

// Once a thread has ended it takes no more APCs.
KTEST(EndedThreadRefusesApcs)
{
    KT_SLEEPER sleeper = {0, 0};
    KAPC apc;
    ETHREAD *thread = KtStartThread(KtSleeperRoutine, &sleeper, KT_HIGH_PRIORITY);
    BOOLEAN inserted = TRUE;

    KT_EXPECT(thread != NULL);
    KtWait(&thread->Tcb);
    KeInitializeApc(&apc, &thread->Tcb, OriginalApcEnvironment, KtExitApcRoutine, NULL, NULL,
                    KernelMode, NULL);
    inserted = KeInsertQueueApc(&apc, NULL, NULL, IO_NO_INCREMENT);
    KtJoinThread(thread);
    KT_EXPECT(!inserted);
}

// ---- Client ids ---------------------------------------------------------------------

KTEST(ThreadCidsAreUniqueMultiplesOfFour)
{
    KEVENT go;
    KT_WAITER waiters[KT_CID_THREADS];
    HANDLE cids[KT_CID_THREADS];
    BOOLEAN lookedUp = TRUE;
    HANDLE systemProcessId = PsInitialSystemProcess->UniqueProcessId;
    BOOLEAN inSystemProcess = TRUE;

    KeInitializeEvent(&go, NotificationEvent, FALSE);
    for (ULONG i = 0; i < KT_CID_THREADS; i++) {
        KtStartWaiter(&waiters[i], &go, KT_HIGH_PRIORITY, NULL);
        cids[i] = waiters[i].Thread ? waiters[i].Thread->Cid.UniqueThread : NULL;
        if (waiters[i].Thread) {
            lookedUp = lookedUp && PsLookupCid(cids[i]) == waiters[i].Thread;
            inSystemProcess = inSystemProcess &&
                              waiters[i].Thread->Cid.UniqueProcess == systemProcessId;
        }
    }
    KeSetEvent(&go, IO_NO_INCREMENT, FALSE);
    for (ULONG i = 0; i < KT_CID_THREADS; i++)
        KtJoinThread(waiters[i].Thread);

    KT_EXPECT(lookedUp);
    KT_EXPECT(inSystemProcess);
    for (ULONG i = 0; i < KT_CID_THREADS; i++) {
        KT_EXPECT(cids[i] != NULL);
        KT_EXPECT_EQ((ULONG_PTR)cids[i] % 4, 0);
        KT_EXPECT(cids[i] != systemProcessId);
        for (ULONG j = i + 1; j < KT_CID_THREADS; j++)
            KT_EXPECT(cids[i] != cids[j]);
    }
}

// As on NT, an ended thread keeps its id for as long as its object lives
// (a "zombie" is still named by its Cid); the id is free for reuse only
// once the object is gone.
KTEST(ThreadCidIsNotReusedWhileTheThreadObjectLives)
{
    KT_SLEEPER sleeper = {0, 0};
    PFN_NUMBER stacksBefore = KtKernelStackPages();
    ETHREAD *ended = KtStartThread(KtSleeperRoutine, &sleeper, KT_HIGH_PRIORITY);
    ETHREAD *next;
    HANDLE endedCid, nextCid = NULL;

    KT_EXPECT(ended != NULL);
    endedCid = ended->Cid.UniqueThread;
    KtWait(&ended->Tcb);
    // Its stack is reaped; only our reference keeps the object.
    KtWaitForKernelStackPages(stacksBefore);
    next = KtStartThread(KtSleeperRoutine, &sleeper, KT_HIGH_PRIORITY);
    if (next)
        nextCid = next->Cid.UniqueThread;
    KtJoinThread(next);
    ObDereferenceObject(ended);

    KT_EXPECT(nextCid != NULL);
    KT_EXPECT(nextCid != endedCid);
}

KTEST(ThreadCidIsReusedAfterTheThreadObjectIsFreed)
{
    KT_SLEEPER sleeper = {0, 0};
    PFN_NUMBER stacksBefore = KtKernelStackPages();
    ULONG cidsBefore = PspCidCount();
    ULONG threadsBefore = KtPoolTagCount(KT_THREAD_TAG);
    ETHREAD *first = KtStartThread(KtSleeperRoutine, &sleeper, KT_HIGH_PRIORITY);
    ETHREAD *second;
    HANDLE firstCid, secondCid = NULL;
    ULONG cidsAfterFree, threadsAfterFree;

    KT_EXPECT(first != NULL);
    firstCid = first->Cid.UniqueThread;
    KtJoinThread(first);
    // The reaper drops the thread's reference on itself: the object is freed.
    KtWaitForKernelStackPages(stacksBefore);
    cidsAfterFree = PspCidCount();
    threadsAfterFree = KtPoolTagCount(KT_THREAD_TAG);
    second = KtStartThread(KtSleeperRoutine, &sleeper, KT_HIGH_PRIORITY);
    if (second)
        secondCid = second->Cid.UniqueThread;
    KtJoinThread(second);

    KT_EXPECT_EQ(threadsAfterFree, threadsBefore);
    KT_EXPECT_EQ(cidsAfterFree, cidsBefore);
    KT_EXPECT(secondCid == firstCid);
}

// ---- Resources ------------------------------------------------------------------------

// Threads that have ended and been dereferenced give back their ETHREAD
// ('Thre'), their kernel stack, their Cid, and their reference on the
// process ('Proc'). The stack goes in the reaper's DPC, shortly after.
KTEST(EndedThreadsGiveBackPoolStacksAndCids)
{
    KEVENT go;
    KT_WAITER threads[8];
    ULONG threadsBefore = KtPoolTagCount(KT_THREAD_TAG);
    ULONG processesBefore = KtPoolTagCount(KT_PROCESS_TAG);
    ULONG cidsBefore = PspCidCount();
    PFN_NUMBER stacksBefore = KtKernelStackPages();
    LONG_PTR systemReferences = ObGetObjectPointerCount(PsInitialSystemProcess);
    ULONG threadsWhileRunning, cidsWhileRunning;
    PFN_NUMBER stacksWhileRunning;
    BOOLEAN stacksBack;

    KeInitializeEvent(&go, NotificationEvent, FALSE);
    for (ULONG i = 0; i < ARRAYSIZE(threads); i++)
        KtStartWaiter(&threads[i], &go, KT_HIGH_PRIORITY, NULL);
    threadsWhileRunning = KtPoolTagCount(KT_THREAD_TAG);
    cidsWhileRunning = PspCidCount();
    stacksWhileRunning = KtKernelStackPages();
    KeSetEvent(&go, IO_NO_INCREMENT, FALSE);
    for (ULONG i = 0; i < ARRAYSIZE(threads); i++)
        KtJoinThread(threads[i].Thread);
    stacksBack = KtWaitForKernelStackPages(stacksBefore);

    KT_EXPECT_EQ(threadsWhileRunning, threadsBefore + ARRAYSIZE(threads));
    KT_EXPECT_EQ(cidsWhileRunning, cidsBefore + ARRAYSIZE(threads));
    KT_EXPECT_EQ(stacksWhileRunning,
                 stacksBefore + ARRAYSIZE(threads) * (KERNEL_STACK_SIZE / PAGE_SIZE));
    KT_EXPECT(stacksBack);
    KT_EXPECT_EQ(KtPoolTagCount(KT_THREAD_TAG), threadsBefore);
    KT_EXPECT_EQ(KtPoolTagCount(KT_PROCESS_TAG), processesBefore);
    KT_EXPECT_EQ(PspCidCount(), cidsBefore);
    KT_EXPECT_EQ(ObGetObjectPointerCount(PsInitialSystemProcess), systemReferences);
}

typedef struct _KT_GATED {
    KEVENT *Go;
    volatile LONG Finished;
} KT_GATED;

static void KtGatedRoutine(void *context)
{
    KT_GATED *gated = context;

    KtWait(gated->Go);
    gated->Finished = 1;
}

// A process is signaled when its last thread ends, and its object is freed
// with the last reference (its threads hold one each until they are freed).
// Its threads run on any processor: each is freed by the reaper there, and
// other tests' processes may be freed meanwhile, so the checks follow these
// objects themselves rather than the global 'Proc' and 'Thre' counts.
KTEST(ProcessEndsWithItsLastThreadAndIsFreedWithItsLastReference)
{
    EPROCESS *process = NULL;
    KEVENT go;
    KT_GATED gated[3];
    ETHREAD *threads[3] = {NULL, NULL, NULL};
    LONG signaledWhileRunning;
    NTSTATUS processWait;
    BOOLEAN allFinished, reaped = TRUE, threadsFreed = TRUE, processAfterEnd;
    LONG_PTR referencesAfterEnd;

    KT_EXPECT_EQ(PspCreateProcess("KtProcess", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                  &process),
                 STATUS_SUCCESS);
    KeInitializeEvent(&go, NotificationEvent, FALSE);
    for (ULONG i = 0; i < 3; i++) {
        gated[i].Go = &go;
        gated[i].Finished = 0;
        PsCreateSystemThreadEx(process, KtGatedRoutine, &gated[i], KT_HIGH_PRIORITY, NULL,
                               &threads[i]);
    }
    KT_EXPECT(threads[0] && threads[1] && threads[2]);
    signaledWhileRunning = process->Pcb.Header.SignalState;
    KeSetEvent(&go, IO_NO_INCREMENT, FALSE);
    processWait = KtWait(&process->Pcb);
    allFinished = gated[0].Finished && gated[1].Finished && gated[2].Finished;
    // Once the reaper has dropped a thread's reference on itself, ours is
    // the last: the join frees it, and its reference on the process goes.
    for (ULONG i = 0; i < 3; i++)
        reaped = KtWaitForPointerCount(threads[i], 1) && reaped;
    for (ULONG i = 0; i < 3; i++)
        KtJoinThread(threads[i]);
    for (ULONG i = 0; i < 3; i++)
        threadsFreed = threadsFreed && !KtIsObjectOfType(threads[i], PsThreadType);
    processAfterEnd = KtIsObjectOfType(process, PsProcessType);
    referencesAfterEnd = ObGetObjectPointerCount(process);
    ObDereferenceObject(process);

    KT_EXPECT_EQ(signaledWhileRunning, 0);
    KT_EXPECT_EQ(processWait, STATUS_WAIT_0);
    KT_EXPECT(allFinished);
    KT_EXPECT(reaped);
    KT_EXPECT(threadsFreed);
    KT_EXPECT(processAfterEnd);                 // ours is still referenced
    KT_EXPECT_EQ(referencesAfterEnd, 1);        // and only by us
    KT_EXPECT(!KtIsObjectOfType(process, PsProcessType));
}
