// Timers from user mode: arming, cancelling, querying, periods, and the
// APC that NtSetTimer queues to the thread that set it. Until user-mode
// APC delivery exists, the APC is seen as far as an alertable wait ending
// with STATUS_USER_APC, and NtCancelTimer taking the queued APC back.

#include "tests/user/uobject.h"

static void NTAPI UtTimerApc(PVOID context, ULONG low, LONG high)
{
    (*(int *)context)++;
}

UTEST(TimerSignalsWhenDueAndReportsItsState)
{
    LARGE_INTEGER due = UtMilliseconds(20), zero = UtNoWait();
    TIMER_BASIC_INFORMATION info;
    BOOLEAN state = 7;
    ULONG length;
    HANDLE timer;

    UT_EXPECT_STATUS(NtCreateTimer(&timer, TIMER_ALL_ACCESS, NULL, NotificationTimer),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetTimer(timer, &due, NULL, NULL, FALSE, 0, &state), STATUS_SUCCESS);
    UT_EXPECT_EQ(state, FALSE);
    UT_EXPECT_STATUS(NtQueryTimer(timer, TimerBasicInformation, &info, sizeof(info), &length),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(info.TimerState, FALSE);
    UT_EXPECT(info.RemainingTime.QuadPart > 0 && info.RemainingTime.QuadPart <= 400000);
    UT_EXPECT_EQ(length, sizeof(info));
    UT_EXPECT_STATUS(NtWaitForSingleObject(timer, FALSE, NULL), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtQueryTimer(timer, TimerBasicInformation, &info, sizeof(info), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(info.TimerState, TRUE);
    UT_EXPECT_EQ(info.RemainingTime.QuadPart, 0);
    // A notification timer stays signaled.
    UT_EXPECT_STATUS(NtWaitForSingleObject(timer, FALSE, &zero), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtSetTimer(timer, &due, NULL, NULL, TRUE, 0, &state),
                     STATUS_TIMER_RESUME_IGNORED);
    UT_EXPECT_EQ(state, TRUE);
    UT_EXPECT_STATUS(NtCancelTimer(timer, &state), STATUS_SUCCESS);
    UT_EXPECT_EQ(state, FALSE);     // setting it again reset it
    UT_EXPECT_STATUS(NtWaitForSingleObject(timer, FALSE, &due), STATUS_TIMEOUT);
    UT_EXPECT_STATUS(NtClose(timer), STATUS_SUCCESS);
}

UTEST(SynchronizationTimerWithAPeriodFiresAgain)
{
    LARGE_INTEGER due = UtMilliseconds(10), zero = UtNoWait();
    HANDLE timer;

    UT_EXPECT_STATUS(NtCreateTimer(&timer, TIMER_ALL_ACCESS, NULL, SynchronizationTimer),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetTimer(timer, &due, NULL, NULL, FALSE, 20, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(timer, FALSE, NULL), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtWaitForSingleObject(timer, FALSE, &zero), STATUS_TIMEOUT);
    UT_EXPECT_STATUS(NtWaitForSingleObject(timer, FALSE, NULL), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtCancelTimer(timer, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(timer), STATUS_SUCCESS);
}

UTEST(AbsoluteDueTimeInThePastFiresAtOnce)
{
    LARGE_INTEGER past;
    HANDLE timer;

    past.QuadPart = 1;
    UT_EXPECT_STATUS(NtCreateTimer(&timer, TIMER_ALL_ACCESS, NULL, NotificationTimer),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetTimer(timer, &past, NULL, NULL, FALSE, 0, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(timer, FALSE, NULL), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtClose(timer), STATUS_SUCCESS);
}

// A due time already past signals the timer before NtSetTimer returns, and
// queues its APC at once (NT's); a wait or delay whose absolute timeout has
// passed returns at once.
UTEST(PastDueTimeSignalsBeforeNtSetTimerReturns)
{
    LARGE_INTEGER past, zero = UtNoWait();
    TIMER_BASIC_INFORMATION info;
    HANDLE timer, event;
    int calls = 0;

    past.QuadPart = 1;
    UT_EXPECT_STATUS(NtCreateTimer(&timer, TIMER_ALL_ACCESS, NULL, NotificationTimer),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetTimer(timer, &past, UtTimerApc, &calls, FALSE, 0, NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(timer, FALSE, &zero), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtQueryTimer(timer, TimerBasicInformation, &info, sizeof(info), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(info.TimerState, TRUE);
    UT_EXPECT_EQ(info.RemainingTime.QuadPart, 0);
    UT_EXPECT_STATUS(NtWaitForSingleObject(event, TRUE, &zero), STATUS_USER_APC);
    UT_EXPECT_EQ(calls, 1);
    UT_EXPECT_STATUS(NtWaitForSingleObject(event, FALSE, &past), STATUS_TIMEOUT);
    UT_EXPECT_STATUS(NtDelayExecution(FALSE, &past), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(timer), STATUS_SUCCESS);
}

UTEST(TimerApcIsQueuedToTheSettingThreadAndCancelTakesItBack)
{
    LARGE_INTEGER due = UtMilliseconds(10), second = UtMilliseconds(1000), zero = UtNoWait();
    HANDLE timer, event;
    int calls = 0;
    NTSTATUS status;

    UT_EXPECT_STATUS(NtCreateTimer(&timer, TIMER_ALL_ACCESS, NULL, NotificationTimer),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetTimer(timer, &due, UtTimerApc, &calls, FALSE, 0, NULL),
                     STATUS_SUCCESS);
    // The timer fires while we wait alertably on something else: its APC,
    // queued to this thread, ends the wait.
    status = NtWaitForSingleObject(event, TRUE, &second);
    UT_EXPECT_STATUS(status, STATUS_USER_APC);
    UT_EXPECT_STATUS(NtWaitForSingleObject(timer, FALSE, &zero), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtCancelTimer(timer, NULL), STATUS_SUCCESS);
    // Nothing is queued any more (or it has been delivered).
    UT_EXPECT_STATUS(NtWaitForSingleObject(event, TRUE, &zero), STATUS_TIMEOUT);
    UT_EXPECT(calls == 0 || calls == 1);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(timer), STATUS_SUCCESS);
}

UTEST(TimerWithAnApcClosedBeforeItFiresIsCancelledWhenTheTimerIsCancelled)
{
    LARGE_INTEGER later = UtMilliseconds(60000), zero = UtNoWait();
    HANDLE timer, event;
    int calls = 0;

    UT_EXPECT_STATUS(NtCreateTimer(&timer, TIMER_ALL_ACCESS, NULL, NotificationTimer),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetTimer(timer, &later, UtTimerApc, &calls, FALSE, 0, NULL),
                     STATUS_SUCCESS);
    // Setting it again without an APC ends the association.
    UT_EXPECT_STATUS(NtSetTimer(timer, &later, NULL, NULL, FALSE, 0, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCancelTimer(timer, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(event, TRUE, &zero), STATUS_TIMEOUT);
    UT_EXPECT_EQ(calls, 0);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(timer), STATUS_SUCCESS);
}

UTEST(TimerErrors)
{
    LARGE_INTEGER due = UtMilliseconds(10);
    UNICODE_STRING name = UT_NAME(u"\\BaseNamedObjects\\ttimers-timer");
    OBJECT_ATTRIBUTES attributes = UtAttributes(&name, 0);
    TIMER_BASIC_INFORMATION info;
    HANDLE timer, opened, event;

    UT_EXPECT_STATUS(NtCreateTimer(&timer, TIMER_ALL_ACCESS, NULL, (TIMER_TYPE)2),
                     STATUS_INVALID_PARAMETER_4);
    UT_EXPECT_STATUS(NtCreateTimer(UT_BAD_POINTER, TIMER_ALL_ACCESS, NULL, NotificationTimer),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateTimer(&timer, TIMER_ALL_ACCESS, UT_BAD_POINTER, NotificationTimer),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateTimer(&timer, TIMER_QUERY_STATE, &attributes, NotificationTimer),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetTimer(timer, &due, NULL, NULL, FALSE, 0, NULL), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtCancelTimer(timer, NULL), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtOpenTimer(&opened, TIMER_ALL_ACCESS, &attributes), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenTimer(UT_BAD_POINTER, TIMER_ALL_ACCESS, &attributes),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryTimer(opened, TimerBasicInformation, &info, sizeof(info), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetTimer(opened, &due, NULL, NULL, FALSE, -1, NULL),
                     STATUS_INVALID_PARAMETER_6);
    UT_EXPECT_STATUS(NtSetTimer(opened, NULL, NULL, NULL, FALSE, 0, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtSetTimer(opened, UT_KERNEL_POINTER, NULL, NULL, FALSE, 0, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtSetTimer(opened, &due, NULL, NULL, FALSE, 0, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCancelTimer(opened, UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryTimer(opened, TimerBasicInformation, UT_BAD_POINTER, sizeof(info),
                                  NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryTimer(opened, TimerBasicInformation, &info, sizeof(info),
                                  UT_KERNEL_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryTimer(opened, (TIMER_INFORMATION_CLASS)1, &info, sizeof(info), NULL),
                     STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtQueryTimer(opened, TimerBasicInformation, &info, 8, NULL),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetTimer(event, &due, NULL, NULL, FALSE, 0, NULL),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtCancelTimer(event, NULL), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtQueryTimer(event, TimerBasicInformation, &info, sizeof(info), NULL),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(opened), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(timer), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCancelTimer(timer, NULL), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtOpenTimer(&opened, TIMER_ALL_ACCESS, &attributes),
                     STATUS_OBJECT_NAME_NOT_FOUND);
}

static const UTEST Tests[] = {
    UT_ENTRY(TimerSignalsWhenDueAndReportsItsState),
    UT_ENTRY(SynchronizationTimerWithAPeriodFiresAgain),
    UT_ENTRY(AbsoluteDueTimeInThePastFiresAtOnce),
    UT_ENTRY(PastDueTimeSignalsBeforeNtSetTimerReturns),
    UT_ENTRY(TimerApcIsQueuedToTheSettingThreadAndCancelTakesItBack),
    UT_ENTRY(TimerWithAnApcClosedBeforeItFiresIsCancelledWhenTheTimerIsCancelled),
    UT_ENTRY(TimerErrors),
};

int main(void)
{
    return UT_RUN_ALL("ttimers", Tests);
}
