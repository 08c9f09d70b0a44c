// User-mode tests of waits that another thread of the process satisfies:
// events, semaphores and mutants signalled by a second thread, a WaitAll
// completed piece by piece, NtSignalAndWaitForSingleObject ping-pong,
// mutants abandoned by a thread that ends owning them, waits on a thread
// handle, the process list showing both threads, and thread handles opened
// without the rights a service needs.
//
// Worker threads never call UT_EXPECT (the runner's state is not shared
// safely): they return a status, or record what they saw in globals, and
// the main thread checks.

#include "tests/user/uobject.h"
#include "tests/user/uthread.h"

#define PING_PONG_ROUNDS 100

// Returns the status of a bounded, non-alertable wait on its argument.
static NTSTATUS NTAPI WaitOnHandle(PVOID handle)
{
    return UtWaitBounded(handle, FALSE);
}

static NTSTATUS CreateEvent(PHANDLE event, EVENT_TYPE type, BOOLEAN state)
{
    return NtCreateEvent(event, EVENT_ALL_ACCESS, NULL, type, state);
}

UTEST(WaitIsSatisfiedByAnotherThreadsSetEvent)
{
    HANDLE event, worker;
    EVENT_BASIC_INFORMATION info;

    UT_EXPECT_STATUS(CreateEvent(&event, SynchronizationEvent, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtStartThread(&worker, WaitOnHandle, event), STATUS_SUCCESS);
    UT_EXPECT(UtWaitUntilWaiting(worker));
    UT_EXPECT_STATUS(NtSetEvent(event, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtJoinThread(worker), STATUS_WAIT_0);
    // The auto-reset event was consumed by the waiter it woke.
    UT_EXPECT_STATUS(NtQueryEvent(event, EventBasicInformation, &info, sizeof(info), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(info.EventState, 0);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
}

UTEST(ReleasingASemaphoreWakesAsManyWaitersAsTheCount)
{
    HANDLE semaphore, workers[2];
    LARGE_INTEGER shortWait = UtMilliseconds(50), patience = UtMilliseconds(5000);
    SEMAPHORE_BASIC_INFORMATION info;
    LONG previous = -1;
    NTSTATUS first;

    UT_EXPECT_STATUS(NtCreateSemaphore(&semaphore, SEMAPHORE_ALL_ACCESS, NULL, 0, 2),
                     STATUS_SUCCESS);
    for (int i = 0; i < 2; i++) {
        UT_EXPECT_STATUS(UtStartThread(&workers[i], WaitOnHandle, semaphore), STATUS_SUCCESS);
        UT_EXPECT(UtWaitUntilWaiting(workers[i]));
    }
    // One unit: one waiter ends, the other stays asleep.
    UT_EXPECT_STATUS(NtReleaseSemaphore(semaphore, 1, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 0);
    first = NtWaitForMultipleObjects(2, workers, WaitAny, FALSE, &patience);
    UT_EXPECT(first == STATUS_WAIT_0 || first == STATUS_WAIT_0 + 1);
    if (first == STATUS_WAIT_0 || first == STATUS_WAIT_0 + 1) {
        HANDLE other = workers[1 - (first - STATUS_WAIT_0)];

        UT_EXPECT_STATUS(NtWaitForSingleObject(other, FALSE, &shortWait), STATUS_TIMEOUT);
        UT_EXPECT_STATUS(NtReleaseSemaphore(semaphore, 1, &previous), STATUS_SUCCESS);
        UT_EXPECT_EQ(previous, 0);
    }
    UT_EXPECT_STATUS(UtJoinThread(workers[0]), STATUS_WAIT_0);
    UT_EXPECT_STATUS(UtJoinThread(workers[1]), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtQuerySemaphore(semaphore, SemaphoreBasicInformation, &info,
                                      sizeof(info), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(info.CurrentCount, 0);
    UT_EXPECT_STATUS(NtClose(semaphore), STATUS_SUCCESS);
}

// What the mutant worker saw once it owned the mutant.
static volatile NTSTATUS MutantQueryStatus, MutantReleaseStatus;
static volatile BOOLEAN MutantOwnedByWorker;
static volatile LONG MutantReleasePrevious;

static NTSTATUS NTAPI AcquireAndReleaseMutant(PVOID mutant)
{
    MUTANT_BASIC_INFORMATION info;
    LONG previous = 99;
    NTSTATUS status = UtWaitBounded(mutant, FALSE);

    if (status != STATUS_WAIT_0)
        return status;
    MutantQueryStatus = NtQueryMutant(mutant, MutantBasicInformation, &info, sizeof(info),
                                      NULL);
    MutantOwnedByWorker = info.OwnedByCaller;
    MutantReleaseStatus = NtReleaseMutant(mutant, &previous);
    MutantReleasePrevious = previous;
    return status;
}

UTEST(ReleasingAMutantHandsItToTheWaitingThread)
{
    HANDLE mutant, worker;
    MUTANT_BASIC_INFORMATION info;
    LARGE_INTEGER zero = UtNoWait();
    LONG previous = 99;

    MutantOwnedByWorker = FALSE;
    MutantReleasePrevious = 99;
    UT_EXPECT_STATUS(NtCreateMutant(&mutant, MUTANT_ALL_ACCESS, NULL, TRUE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtStartThread(&worker, AcquireAndReleaseMutant, mutant), STATUS_SUCCESS);
    UT_EXPECT(UtWaitUntilWaiting(worker));
    UT_EXPECT_STATUS(NtReleaseMutant(mutant, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 0);
    UT_EXPECT_STATUS(UtJoinThread(worker), STATUS_WAIT_0);
    UT_EXPECT_STATUS(MutantQueryStatus, STATUS_SUCCESS);
    UT_EXPECT(MutantOwnedByWorker);
    UT_EXPECT_STATUS(MutantReleaseStatus, STATUS_SUCCESS);
    UT_EXPECT_EQ(MutantReleasePrevious, 0);
    // Released by the worker: free, not abandoned, and ours for the asking.
    UT_EXPECT_STATUS(NtQueryMutant(mutant, MutantBasicInformation, &info, sizeof(info), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(info.CurrentCount, 1);
    UT_EXPECT(!info.OwnedByCaller);
    UT_EXPECT(!info.AbandonedState);
    UT_EXPECT_STATUS(NtWaitForSingleObject(mutant, FALSE, &zero), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtReleaseMutant(mutant, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(mutant), STATUS_SUCCESS);
}

// The WaitAll test: the worker signals the main thread's objects one at a
// time, seeing the main thread still asleep after each but the last.
typedef struct _WAIT_ALL_WORK {
    HANDLE MainThread;
    HANDLE Event;
    HANDLE Semaphore;
    volatile LONG StillWaitingAfterFirst;
} WAIT_ALL_WORK;

static NTSTATUS NTAPI CompleteWaitAll(PVOID argument)
{
    WAIT_ALL_WORK *work = argument;
    LARGE_INTEGER settle = UtMilliseconds(30);
    NTSTATUS status;

    if (!UtWaitUntilWaiting(work->MainThread))
        return STATUS_TIMEOUT;
    status = NtSetEvent(work->Event, NULL);
    if (!NT_SUCCESS(status))
        return status;
    // One object of two is not enough to end a WaitAll.
    NtDelayExecution(FALSE, &settle);
    work->StillWaitingAfterFirst =
        UtThreadState(UtThreadId(work->MainThread)) == UT_THREAD_STATE_WAITING;
    return NtReleaseSemaphore(work->Semaphore, 1, NULL);
}

UTEST(WaitAllIsCompletedByAnotherThread)
{
    WAIT_ALL_WORK work = {0};
    HANDLE worker, handles[2];
    LARGE_INTEGER patience = UtMilliseconds(5000), zero = UtNoWait();
    CLIENT_ID self = NtCurrentTeb()->ClientId;
    OBJECT_ATTRIBUTES attributes;
    EVENT_BASIC_INFORMATION event;

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtOpenThread(&work.MainThread, THREAD_QUERY_INFORMATION, &attributes,
                                  &self),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(CreateEvent(&work.Event, NotificationEvent, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateSemaphore(&work.Semaphore, SEMAPHORE_ALL_ACCESS, NULL, 0, 1),
                     STATUS_SUCCESS);
    handles[0] = work.Event;
    handles[1] = work.Semaphore;
    UT_EXPECT_STATUS(UtStartThread(&worker, CompleteWaitAll, &work), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForMultipleObjects(2, handles, WaitAll, FALSE, &patience),
                     STATUS_WAIT_0);
    UT_EXPECT_STATUS(UtJoinThread(worker), STATUS_SUCCESS);
    UT_EXPECT(work.StillWaitingAfterFirst);
    // Satisfying the WaitAll took the semaphore's unit; the notification
    // event stays set.
    UT_EXPECT_STATUS(NtWaitForSingleObject(work.Semaphore, FALSE, &zero), STATUS_TIMEOUT);
    UT_EXPECT_STATUS(NtQueryEvent(work.Event, EventBasicInformation, &event, sizeof(event),
                                  NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(event.EventState, 1);
    NtClose(work.Semaphore);
    NtClose(work.Event);
    NtClose(work.MainThread);
}

// Ping-pong: the two threads take turns, each signalling the other's event
// and waiting on its own in one call. Turn counts the half-rounds; each
// side checks it finds the count it expects, so any overlap shows.
static HANDLE PingEvent, PongEvent;
static volatile LONG Turn;
static volatile LONG PongMistakes;

static NTSTATUS NTAPI PlayPong(PVOID argument)
{
    LARGE_INTEGER patience = UtMilliseconds(UT_THREAD_PATIENCE_MS);
    NTSTATUS status = UtWaitBounded(PingEvent, FALSE);

    for (LONG round = 0; status == STATUS_WAIT_0; round++) {
        if (Turn != 2 * round + 1)
            PongMistakes++;
        Turn = 2 * round + 2;
        if (round == PING_PONG_ROUNDS - 1)
            return NtSetEvent(PongEvent, NULL);
        status = NtSignalAndWaitForSingleObject(PongEvent, PingEvent, FALSE, &patience);
    }
    return status;
}

UTEST(SignalAndWaitPlaysPingPongBetweenTwoThreads)
{
    LARGE_INTEGER patience = UtMilliseconds(UT_THREAD_PATIENCE_MS);
    HANDLE worker;
    LONG mistakes = 0;

    Turn = 0;
    PongMistakes = 0;
    UT_EXPECT_STATUS(CreateEvent(&PingEvent, SynchronizationEvent, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(CreateEvent(&PongEvent, SynchronizationEvent, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtStartThread(&worker, PlayPong, NULL), STATUS_SUCCESS);
    for (LONG round = 0; round < PING_PONG_ROUNDS; round++) {
        NTSTATUS status;

        if (Turn != 2 * round)
            mistakes++;
        Turn = 2 * round + 1;
        status = NtSignalAndWaitForSingleObject(PingEvent, PongEvent, FALSE, &patience);
        if (status != STATUS_WAIT_0) {
            UT_EXPECT_STATUS(status, STATUS_WAIT_0);
            break;
        }
    }
    UT_EXPECT_STATUS(UtJoinThread(worker), STATUS_SUCCESS);
    UT_EXPECT_EQ(mistakes, 0);
    UT_EXPECT_EQ(PongMistakes, 0);
    UT_EXPECT_EQ(Turn, 2 * PING_PONG_ROUNDS);
    NtClose(PingEvent);
    NtClose(PongEvent);
}

// Takes the mutant, says so, and ends owning it once told to.
typedef struct _ABANDON_WORK {
    HANDLE Mutant;
    HANDLE Owned;
    HANDLE Go;          // NULL: end at once
} ABANDON_WORK;

#define ABANDONER_EXIT_STATUS 0x55

static NTSTATUS NTAPI OwnMutantAndEnd(PVOID argument)
{
    ABANDON_WORK *work = argument;
    NTSTATUS status = UtWaitBounded(work->Mutant, FALSE);

    if (status != STATUS_WAIT_0)
        return status;
    NtSetEvent(work->Owned, NULL);
    if (work->Go) {
        status = UtWaitBounded(work->Go, FALSE);
        if (status != STATUS_WAIT_0)
            return status;
    }
    return ABANDONER_EXIT_STATUS;
}

UTEST(AThreadEndingWhileItOwnsAMutantAbandonsItToTheWaiter)
{
    ABANDON_WORK work;
    HANDLE worker;
    MUTANT_BASIC_INFORMATION info;
    LARGE_INTEGER patience = UtMilliseconds(UT_THREAD_PATIENCE_MS);
    LONG previous = 99;

    UT_EXPECT_STATUS(NtCreateMutant(&work.Mutant, MUTANT_ALL_ACCESS, NULL, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(CreateEvent(&work.Owned, NotificationEvent, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(CreateEvent(&work.Go, NotificationEvent, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtStartThread(&worker, OwnMutantAndEnd, &work), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtWaitBounded(work.Owned, FALSE), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtQueryMutant(work.Mutant, MutantBasicInformation, &info, sizeof(info),
                                   NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(info.CurrentCount, 0);
    UT_EXPECT(!info.OwnedByCaller);
    UT_EXPECT(!info.AbandonedState);
    // Only the owner may release it.
    UT_EXPECT_STATUS(NtReleaseMutant(work.Mutant, NULL), STATUS_MUTANT_NOT_OWNED);
    // Let the owner end and wait for the mutant in one call: the owner's
    // exit hands it over, abandoned.
    UT_EXPECT_STATUS(NtSignalAndWaitForSingleObject(work.Go, work.Mutant, FALSE, &patience),
                     STATUS_ABANDONED_WAIT_0);
    UT_EXPECT_STATUS(UtJoinThread(worker), ABANDONER_EXIT_STATUS);
    // Acquiring it cleared the abandoned state; it is ours now.
    UT_EXPECT_STATUS(NtQueryMutant(work.Mutant, MutantBasicInformation, &info, sizeof(info),
                                   NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(info.CurrentCount, 0);
    UT_EXPECT(info.OwnedByCaller);
    UT_EXPECT(!info.AbandonedState);
    UT_EXPECT_STATUS(NtReleaseMutant(work.Mutant, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 0);
    NtClose(work.Go);
    NtClose(work.Owned);
    NtClose(work.Mutant);
}

UTEST(AnAbandonedMutantNobodyWaitedForSaysSoUntilTaken)
{
    ABANDON_WORK work;
    HANDLE worker, handles[2];
    MUTANT_BASIC_INFORMATION info;
    LARGE_INTEGER zero = UtNoWait();

    UT_EXPECT_STATUS(NtCreateMutant(&work.Mutant, MUTANT_ALL_ACCESS, NULL, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(CreateEvent(&work.Owned, NotificationEvent, FALSE), STATUS_SUCCESS);
    work.Go = NULL;
    UT_EXPECT_STATUS(UtStartThread(&worker, OwnMutantAndEnd, &work), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtJoinThread(worker), ABANDONER_EXIT_STATUS);
    UT_EXPECT_STATUS(NtQueryMutant(work.Mutant, MutantBasicInformation, &info, sizeof(info),
                                   NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(info.CurrentCount, 1);
    UT_EXPECT(!info.OwnedByCaller);
    UT_EXPECT(info.AbandonedState);
    // A WaitAny reports the abandonment with the mutant's index.
    handles[0] = work.Owned;
    UT_EXPECT_STATUS(NtResetEvent(work.Owned, NULL), STATUS_SUCCESS);
    handles[1] = work.Mutant;
    UT_EXPECT_STATUS(NtWaitForMultipleObjects(2, handles, WaitAny, FALSE, &zero),
                     STATUS_ABANDONED_WAIT_0 + 1);
    UT_EXPECT_STATUS(NtQueryMutant(work.Mutant, MutantBasicInformation, &info, sizeof(info),
                                   NULL),
                     STATUS_SUCCESS);
    UT_EXPECT(info.OwnedByCaller);
    UT_EXPECT(!info.AbandonedState);
    UT_EXPECT_STATUS(NtReleaseMutant(work.Mutant, NULL), STATUS_SUCCESS);
    NtClose(work.Owned);
    NtClose(work.Mutant);
}

#define WORKER_EXIT_STATUS 0xC0DE

static NTSTATUS NTAPI WaitThenEnd(PVOID go)
{
    NTSTATUS status = UtWaitBounded(go, FALSE);

    return status == STATUS_WAIT_0 ? WORKER_EXIT_STATUS : status;
}

UTEST(AWaitOnAThreadEndsWhenTheThreadExits)
{
    HANDLE go, worker, handles[2];
    THREAD_BASIC_INFORMATION info;
    LARGE_INTEGER zero = UtNoWait(), patience = UtMilliseconds(UT_THREAD_PATIENCE_MS);

    UT_EXPECT_STATUS(CreateEvent(&go, NotificationEvent, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtStartThread(&worker, WaitThenEnd, go), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(worker, FALSE, &zero), STATUS_TIMEOUT);
    UT_EXPECT_STATUS(NtQueryInformationThread(worker, ThreadBasicInformation, &info,
                                              sizeof(info), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(info.ExitStatus, STATUS_PENDING);
    UT_EXPECT(UtWaitUntilWaiting(worker));
    UT_EXPECT_STATUS(NtSetEvent(go, NULL), STATUS_SUCCESS);
    // The thread's end signals it: a WaitAny with it second says index 1.
    UT_EXPECT_STATUS(NtCreateEvent(&handles[0], EVENT_ALL_ACCESS, NULL, NotificationEvent,
                                   FALSE),
                     STATUS_SUCCESS);
    handles[1] = worker;
    UT_EXPECT_STATUS(NtWaitForMultipleObjects(2, handles, WaitAny, FALSE, &patience),
                     STATUS_WAIT_0 + 1);
    UT_EXPECT_STATUS(NtQueryInformationThread(worker, ThreadBasicInformation, &info,
                                              sizeof(info), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(info.ExitStatus, WORKER_EXIT_STATUS);
    // Signalled for good.
    UT_EXPECT_STATUS(NtWaitForSingleObject(worker, FALSE, &zero), STATUS_WAIT_0);
    UT_EXPECT_STATUS(UtJoinThread(worker), WORKER_EXIT_STATUS);
    NtClose(handles[0]);
    NtClose(go);
}

// Room for the process list of a test run.
static ULONG64 ProcessList[8192];

UTEST(TheProcessListShowsBothThreads)
{
    SYSTEM_PROCESS_INFORMATION *entry = (SYSTEM_PROCESS_INFORMATION *)ProcessList;
    HANDLE go, worker, workerId, self = NtCurrentTeb()->ClientId.UniqueProcess;
    BOOLEAN sawMain = FALSE, sawWorker = FALSE;

    UT_EXPECT_STATUS(CreateEvent(&go, NotificationEvent, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtStartThread(&worker, WaitThenEnd, go), STATUS_SUCCESS);
    workerId = UtThreadId(worker);
    UT_EXPECT(UtWaitUntilWaiting(worker));
    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemProcessInformation, ProcessList,
                                              sizeof(ProcessList), NULL),
                     STATUS_SUCCESS);
    while (entry->UniqueProcessId != self && entry->NextEntryOffset)
        entry = (SYSTEM_PROCESS_INFORMATION *)((UCHAR *)entry + entry->NextEntryOffset);
    UT_EXPECT(entry->UniqueProcessId == self);
    UT_EXPECT_EQ(entry->NumberOfThreads, 2);
    for (ULONG i = 0; i < entry->NumberOfThreads && i < 2; i++) {
        SYSTEM_THREAD_INFORMATION *thread = &entry->Threads[i];

        UT_EXPECT(thread->ClientId.UniqueProcess == self);
        if (thread->ClientId.UniqueThread == NtCurrentTeb()->ClientId.UniqueThread) {
            sawMain = TRUE;
            UT_EXPECT_EQ(thread->ThreadState, 2);       // Running: the caller
        } else if (thread->ClientId.UniqueThread == workerId) {
            sawWorker = TRUE;
            UT_EXPECT_EQ(thread->ThreadState, UT_THREAD_STATE_WAITING);
            UT_EXPECT_EQ(thread->WaitReason, 6);        // UserRequest: NtWaitFor...
            // As on NT, where every thread of NtCreateThreadEx starts.
            UT_EXPECT(thread->StartAddress == (PVOID)RtlUserThreadStart);
        }
    }
    UT_EXPECT(sawMain);
    UT_EXPECT(sawWorker);
    NtSetEvent(go, NULL);
    UT_EXPECT_STATUS(UtJoinThread(worker), WORKER_EXIT_STATUS);
    NtClose(go);
}

// A thread handle with SYNCHRONIZE only: good for waiting, for nothing else.
static void NTAPI NeverRuns(PVOID argument1, PVOID argument2, PVOID argument3)
{
}

UTEST(AThreadHandleWithoutTheRightIsRefused)
{
    HANDLE go, worker, limited, queryOnly, alertOnly;
    OBJECT_ATTRIBUTES attributes;
    CLIENT_ID cid = {NtCurrentTeb()->ClientId.UniqueProcess, NULL};
    THREAD_BASIC_INFORMATION info;
    LARGE_INTEGER zero = UtNoWait();
    ULONG count;

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    UT_EXPECT_STATUS(CreateEvent(&go, NotificationEvent, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtStartThread(&worker, WaitThenEnd, go), STATUS_SUCCESS);
    cid.UniqueThread = UtThreadId(worker);
    UT_EXPECT_STATUS(NtOpenThread(&limited, SYNCHRONIZE, &attributes, &cid), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlertThread(limited), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtQueueApcThread(limited, NeverRuns, NULL, NULL, NULL),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtQueryInformationThread(limited, ThreadBasicInformation, &info,
                                              sizeof(info), NULL),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtSuspendThread(limited, &count), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtResumeThread(limited, &count), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtTerminateThread(limited, 1), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtWaitForSingleObject(limited, FALSE, &zero), STATUS_TIMEOUT);
    // A duplicate narrowed to the query right: it queries, but cannot be
    // waited on, nor alert.
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), worker, NtCurrentProcess(),
                                       &queryOnly, THREAD_QUERY_INFORMATION, 0, 0),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryInformationThread(queryOnly, ThreadBasicInformation, &info,
                                              sizeof(info), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT(info.ClientId.UniqueThread == cid.UniqueThread);
    UT_EXPECT_STATUS(NtWaitForSingleObject(queryOnly, FALSE, &zero), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtAlertThread(queryOnly), STATUS_ACCESS_DENIED);
    // THREAD_ALERT lets one alert, and no more.
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), worker, NtCurrentProcess(),
                                       &alertOnly, THREAD_ALERT, 0, 0),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueueApcThread(alertOnly, NeverRuns, NULL, NULL, NULL),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtSuspendThread(alertOnly, NULL), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtTerminateThread(alertOnly, 1), STATUS_ACCESS_DENIED);
    // The worker waits without being alertable: the alert changes nothing.
    UT_EXPECT(UtWaitUntilWaiting(worker));
    UT_EXPECT_STATUS(NtAlertThread(alertOnly), STATUS_SUCCESS);
    NtSetEvent(go, NULL);
    UT_EXPECT_STATUS(NtWaitForSingleObject(limited, FALSE, NULL), STATUS_WAIT_0);
    UT_EXPECT_STATUS(UtJoinThread(worker), WORKER_EXIT_STATUS);
    NtClose(alertOnly);
    NtClose(queryOnly);
    NtClose(limited);
    NtClose(go);
}

static const UTEST Tests[] = {
    UT_ENTRY(WaitIsSatisfiedByAnotherThreadsSetEvent),
    UT_ENTRY(ReleasingASemaphoreWakesAsManyWaitersAsTheCount),
    UT_ENTRY(ReleasingAMutantHandsItToTheWaitingThread),
    UT_ENTRY(WaitAllIsCompletedByAnotherThread),
    UT_ENTRY(SignalAndWaitPlaysPingPongBetweenTwoThreads),
    UT_ENTRY(AThreadEndingWhileItOwnsAMutantAbandonsItToTheWaiter),
    UT_ENTRY(AnAbandonedMutantNobodyWaitedForSaysSoUntilTaken),
    UT_ENTRY(AWaitOnAThreadEndsWhenTheThreadExits),
    UT_ENTRY(TheProcessListShowsBothThreads),
    UT_ENTRY(AThreadHandleWithoutTheRightIsRefused),
};

int main(void)
{
    return UT_RUN_ALL("tcross", Tests);
}
