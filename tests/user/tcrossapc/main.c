// User-mode tests of alerts and APCs sent to another thread: NtAlertThread
// ending an alertable wait (and not a non-alertable one), NtQueueApcThread
// running the routine in the target thread during its alertable delay or
// wait, APCs left queued to a thread that ends, and timer APCs (NtSetTimer
// with a routine), one-shot and periodic, run in the thread that set the
// timer.

#include "tests/user/uobject.h"
#include "tests/user/uthread.h"

#define ARGUMENT1 ((PVOID)0x1111111111111111ULL)
#define ARGUMENT2 ((PVOID)0x2222222222222222ULL)
#define ARGUMENT3 ((PVOID)0x3333333333333333ULL)
#define PERIODIC_RUNS 3

// What the APC routines saw: the thread they ran in, their arguments, how
// often they ran.
static volatile LONG ApcCalls;
static volatile HANDLE ApcThreadId;
static PVOID volatile ApcArguments[3];

static void ResetApcs(void)
{
    ApcCalls = 0;
    ApcThreadId = NULL;
    ApcArguments[0] = ApcArguments[1] = ApcArguments[2] = NULL;
}

static void NTAPI RecordApc(PVOID argument1, PVOID argument2, PVOID argument3)
{
    ApcThreadId = NtCurrentTeb()->ClientId.UniqueThread;
    ApcArguments[0] = argument1;
    ApcArguments[1] = argument2;
    ApcArguments[2] = argument3;
    ApcCalls++;
}

static NTSTATUS CreateEvent(PHANDLE event)
{
    return NtCreateEvent(event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE);
}

// The ways a worker can sleep, each returning its status.
static NTSTATUS NTAPI AlertableWait(PVOID event)
{
    return UtWaitBounded(event, TRUE);
}

static NTSTATUS NTAPI AlertableWaitForMultiple(PVOID event)
{
    LARGE_INTEGER patience = UtMilliseconds(UT_THREAD_PATIENCE_MS);
    HANDLE handles[2] = {event, NtCurrentThread()};

    return NtWaitForMultipleObjects(2, handles, WaitAny, TRUE, &patience);
}

static NTSTATUS NTAPI AlertableDelay(PVOID unused)
{
    LARGE_INTEGER patience = UtMilliseconds(UT_THREAD_PATIENCE_MS);

    return NtDelayExecution(TRUE, &patience);
}

// A non-alertable wait; then what NtTestAlert says (kept alert or queued
// APCs) goes in TestAlertStatus.
static volatile NTSTATUS TestAlertStatus;
static volatile LONG ApcCallsBeforeTestAlert;

static NTSTATUS NTAPI WaitThenTestAlert(PVOID event)
{
    NTSTATUS status = UtWaitBounded(event, FALSE);

    ApcCallsBeforeTestAlert = ApcCalls;
    TestAlertStatus = NtTestAlert();
    return status;
}

// A non-alertable wait, and nothing after it.
static NTSTATUS NTAPI NonAlertableWait(PVOID event)
{
    return UtWaitBounded(event, FALSE);
}

UTEST(AlertEndsAnotherThreadsAlertableWaitAndDelay)
{
    PUSER_THREAD_START_ROUTINE sleepers[] = {AlertableWait, AlertableWaitForMultiple,
                                             AlertableDelay};
    HANDLE event, worker;

    UT_EXPECT_STATUS(CreateEvent(&event), STATUS_SUCCESS);
    for (int i = 0; i < 3; i++) {
        UT_EXPECT_STATUS(UtStartThread(&worker, sleepers[i], event), STATUS_SUCCESS);
        UT_EXPECT(UtWaitUntilWaiting(worker));
        UT_EXPECT_STATUS(NtAlertThread(worker), STATUS_SUCCESS);
        UT_EXPECT_STATUS(UtJoinThread(worker), STATUS_ALERTED);
    }
    NtClose(event);
}

UTEST(AlertLeavesANonAlertableWaitWaitingAndIsKept)
{
    HANDLE event, worker;
    LARGE_INTEGER settle = UtMilliseconds(50);

    TestAlertStatus = STATUS_PENDING;
    UT_EXPECT_STATUS(CreateEvent(&event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtStartThread(&worker, WaitThenTestAlert, event), STATUS_SUCCESS);
    UT_EXPECT(UtWaitUntilWaiting(worker));
    UT_EXPECT_STATUS(NtAlertThread(worker), STATUS_SUCCESS);
    // Still asleep: the thread has not ended and is still in its wait.
    UT_EXPECT_STATUS(NtWaitForSingleObject(worker, FALSE, &settle), STATUS_TIMEOUT);
    UT_EXPECT_EQ(UtThreadState(UtThreadId(worker)), UT_THREAD_STATE_WAITING);
    UT_EXPECT_STATUS(NtSetEvent(event, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtJoinThread(worker), STATUS_WAIT_0);
    // The alert waited for the thread's next chance to take it.
    UT_EXPECT_STATUS(TestAlertStatus, STATUS_ALERTED);
    NtClose(event);
}

UTEST(ApcQueuedToAnotherThreadRunsThereAndEndsItsAlertableSleep)
{
    PUSER_THREAD_START_ROUTINE sleepers[] = {AlertableDelay, AlertableWait,
                                             AlertableWaitForMultiple};
    HANDLE event, worker, workerId;

    UT_EXPECT_STATUS(CreateEvent(&event), STATUS_SUCCESS);
    for (int i = 0; i < 3; i++) {
        ResetApcs();
        UT_EXPECT_STATUS(UtStartThread(&worker, sleepers[i], event), STATUS_SUCCESS);
        workerId = UtThreadId(worker);
        UT_EXPECT(UtWaitUntilWaiting(worker));
        UT_EXPECT_STATUS(NtQueueApcThread(worker, RecordApc, ARGUMENT1, ARGUMENT2, ARGUMENT3),
                         STATUS_SUCCESS);
        UT_EXPECT_STATUS(UtJoinThread(worker), STATUS_USER_APC);
        UT_EXPECT_EQ(ApcCalls, 1);
        UT_EXPECT(ApcThreadId == workerId);
        UT_EXPECT(ApcThreadId != NtCurrentTeb()->ClientId.UniqueThread);
        UT_EXPECT(ApcArguments[0] == ARGUMENT1);
        UT_EXPECT(ApcArguments[1] == ARGUMENT2);
        UT_EXPECT(ApcArguments[2] == ARGUMENT3);
    }
    NtClose(event);
}

UTEST(ApcQueuedToANonAlertableWaitWaitsForTheThreadsTestAlert)
{
    HANDLE event, worker, workerId;
    LARGE_INTEGER settle = UtMilliseconds(50);

    ResetApcs();
    TestAlertStatus = STATUS_PENDING;
    ApcCallsBeforeTestAlert = -1;
    UT_EXPECT_STATUS(CreateEvent(&event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtStartThread(&worker, WaitThenTestAlert, event), STATUS_SUCCESS);
    workerId = UtThreadId(worker);
    UT_EXPECT(UtWaitUntilWaiting(worker));
    UT_EXPECT_STATUS(NtQueueApcThread(worker, RecordApc, ARGUMENT1, NULL, NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(worker, FALSE, &settle), STATUS_TIMEOUT);
    UT_EXPECT_EQ(ApcCalls, 0);
    UT_EXPECT_STATUS(NtSetEvent(event, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtJoinThread(worker), STATUS_WAIT_0);
    // The wait ended normally; the APC ran in the worker's NtTestAlert.
    UT_EXPECT_EQ(ApcCallsBeforeTestAlert, 0);
    UT_EXPECT_STATUS(TestAlertStatus, STATUS_SUCCESS);
    UT_EXPECT_EQ(ApcCalls, 1);
    UT_EXPECT(ApcThreadId == workerId);
    NtClose(event);
}

UTEST(ApcsQueuedToAThreadThatEndsWithoutTakingThemAreDropped)
{
    HANDLE event, worker;

    ResetApcs();
    UT_EXPECT_STATUS(CreateEvent(&event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtStartThread(&worker, NonAlertableWait, event), STATUS_SUCCESS);
    UT_EXPECT(UtWaitUntilWaiting(worker));
    for (int i = 0; i < 3; i++) {
        UT_EXPECT_STATUS(NtQueueApcThread(worker, RecordApc, NULL, NULL, NULL),
                         STATUS_SUCCESS);
    }
    UT_EXPECT_STATUS(NtSetEvent(event, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtJoinThread(worker), STATUS_WAIT_0);
    // None ran; each was freed when the thread ended (the leak check around
    // the program sees to that).
    UT_EXPECT_EQ(ApcCalls, 0);
    NtClose(event);
}

// Timer APCs. The worker sets the timer (its APC belongs to the thread
// that sets it) and sleeps alertably; the routine records the context, the
// thread and the time it was given.
typedef struct _TIMER_WORK {
    HANDLE Timer;
    LONG Period;                // 0: one shot
    LARGE_INTEGER Before;       // system time just before setting it
    LARGE_INTEGER After;        // ... and once the last APC has run
    NTSTATUS LastSleep;         // the last alertable sleep's status
} TIMER_WORK;

static volatile LONG TimerApcCalls;
static volatile HANDLE TimerApcThreadId;
static PVOID volatile TimerApcContext;
static LARGE_INTEGER TimerApcTimes[PERIODIC_RUNS];

static void NTAPI RecordTimerApc(PVOID context, ULONG lowValue, LONG highValue)
{
    if (TimerApcCalls < PERIODIC_RUNS) {
        TimerApcTimes[TimerApcCalls].LowPart = lowValue;
        TimerApcTimes[TimerApcCalls].HighPart = highValue;
    }
    TimerApcThreadId = NtCurrentTeb()->ClientId.UniqueThread;
    TimerApcContext = context;
    TimerApcCalls++;
}

static NTSTATUS NTAPI SetTimerAndSleep(PVOID argument)
{
    TIMER_WORK *work = argument;
    LARGE_INTEGER due = UtMilliseconds(20), patience = UtMilliseconds(UT_THREAD_PATIENCE_MS);
    LONG wanted = work->Period ? PERIODIC_RUNS : 1;
    NTSTATUS status;

    NtQuerySystemTime(&work->Before);
    status = NtSetTimer(work->Timer, &due, RecordTimerApc, work, FALSE, work->Period, NULL);
    if (!NT_SUCCESS(status))
        return status;
    // Each APC ends one alertable sleep; a sleep that times out fails.
    do {
        work->LastSleep = NtDelayExecution(TRUE, &patience);
    } while (work->LastSleep == STATUS_USER_APC && TimerApcCalls < wanted);
    NtQuerySystemTime(&work->After);
    NtCancelTimer(work->Timer, NULL);
    return STATUS_SUCCESS;
}

static void RunTimerWorker(TIMER_WORK *work)
{
    HANDLE worker, workerId;

    TimerApcCalls = 0;
    TimerApcThreadId = NULL;
    TimerApcContext = NULL;
    memset(TimerApcTimes, 0, sizeof(TimerApcTimes));
    UT_EXPECT_STATUS(NtCreateTimer(&work->Timer, TIMER_ALL_ACCESS, NULL, NotificationTimer),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtStartThread(&worker, SetTimerAndSleep, work), STATUS_SUCCESS);
    workerId = UtThreadId(worker);
    UT_EXPECT_STATUS(UtJoinThread(worker), STATUS_SUCCESS);
    UT_EXPECT_STATUS(work->LastSleep, STATUS_USER_APC);
    UT_EXPECT(TimerApcThreadId == workerId);
    UT_EXPECT(TimerApcContext == work);
    NtClose(work->Timer);
}

UTEST(TimerApcRunsInTheSettingThreadWithTheContextAndTheTime)
{
    TIMER_WORK work = {0};

    RunTimerWorker(&work);
    UT_EXPECT_EQ(TimerApcCalls, 1);
    // The time handed to the routine is the system time the timer fired:
    // at least its due time after it was set, and before the sleep ended.
    UT_EXPECT(TimerApcTimes[0].QuadPart >= work.Before.QuadPart + 20 * 10000LL);
    UT_EXPECT(TimerApcTimes[0].QuadPart <= work.After.QuadPart);
}

UTEST(PeriodicTimerApcRunsEachPeriod)
{
    TIMER_WORK work = {0};

    work.Period = 30;
    RunTimerWorker(&work);
    UT_EXPECT_EQ(TimerApcCalls, PERIODIC_RUNS);
    // One run per period: run i comes no sooner than the due time plus i
    // periods (the timer is due again a period after it was due), and
    // after the run before it.
    for (int i = 0; i < PERIODIC_RUNS; i++) {
        UT_EXPECT(TimerApcTimes[i].QuadPart >=
                  work.Before.QuadPart + (20 + i * work.Period) * 10000LL);
        if (i)
            UT_EXPECT(TimerApcTimes[i].QuadPart > TimerApcTimes[i - 1].QuadPart);
    }
    UT_EXPECT(TimerApcTimes[PERIODIC_RUNS - 1].QuadPart <= work.After.QuadPart);
}

static const UTEST Tests[] = {
    UT_ENTRY(AlertEndsAnotherThreadsAlertableWaitAndDelay),
    UT_ENTRY(AlertLeavesANonAlertableWaitWaitingAndIsKept),
    UT_ENTRY(ApcQueuedToAnotherThreadRunsThereAndEndsItsAlertableSleep),
    UT_ENTRY(ApcQueuedToANonAlertableWaitWaitsForTheThreadsTestAlert),
    UT_ENTRY(ApcsQueuedToAThreadThatEndsWithoutTakingThemAreDropped),
    UT_ENTRY(TimerApcRunsInTheSettingThreadWithTheContextAndTheTime),
    UT_ENTRY(PeriodicTimerApcRunsEachPeriod),
};

int main(void)
{
    return UT_RUN_ALL("tcrossapc", Tests);
}
