// The wait services from user mode: NtWaitForSingleObject,
// NtWaitForMultipleObjects and NtSignalAndWaitForSingleObject. Waits that
// another thread satisfies come through timers here (a thread of our own
// arrives with NtCreateThreadEx).

#include "tests/user/uobject.h"

static HANDLE UtEvent(EVENT_TYPE type, BOOLEAN state)
{
    HANDLE event = NULL;

    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, type, state), STATUS_SUCCESS);
    return event;
}

UTEST(WaitOnASignaledEventSucceedsAndAnAutoResetEventResets)
{
    LARGE_INTEGER zero = UtNoWait();
    HANDLE event = UtEvent(SynchronizationEvent, TRUE);

    UT_EXPECT_STATUS(NtWaitForSingleObject(event, FALSE, &zero), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtWaitForSingleObject(event, FALSE, &zero), STATUS_TIMEOUT);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
}

UTEST(RelativeAndAbsoluteTimeoutsExpire)
{
    LARGE_INTEGER relative = UtMilliseconds(20);
    LARGE_INTEGER past;
    HANDLE event = UtEvent(NotificationEvent, FALSE);

    UT_EXPECT_STATUS(NtWaitForSingleObject(event, FALSE, &relative), STATUS_TIMEOUT);
    past.QuadPart = 1;      // an absolute time long gone
    UT_EXPECT_STATUS(NtWaitForSingleObject(event, TRUE, &past), STATUS_TIMEOUT);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
}

UTEST(WaitIsSatisfiedByATimerFiringLater)
{
    LARGE_INTEGER due = UtMilliseconds(30);
    HANDLE timer;

    UT_EXPECT_STATUS(NtCreateTimer(&timer, TIMER_ALL_ACCESS, NULL, NotificationTimer),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetTimer(timer, &due, NULL, NULL, FALSE, 0, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(timer, FALSE, NULL), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtClose(timer), STATUS_SUCCESS);
}

UTEST(WaitErrors)
{
    LARGE_INTEGER zero = UtNoWait();
    UNICODE_STRING name = UT_NAME(u"\\BaseNamedObjects");
    OBJECT_ATTRIBUTES attributes = UtAttributes(&name, 0);
    HANDLE event = UtEvent(NotificationEvent, TRUE), directory, noSync;

    UT_EXPECT_STATUS(NtWaitForSingleObject(event, FALSE, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtWaitForSingleObject(event, FALSE, UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtWaitForSingleObject(UT_NEVER_OPENED, FALSE, &zero),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtOpenDirectoryObject(&directory, DIRECTORY_QUERY, &attributes),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(directory, FALSE, &zero),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtCreateEvent(&noSync, EVENT_MODIFY_STATE, NULL, NotificationEvent, TRUE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(noSync, FALSE, &zero), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtClose(noSync), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(directory), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(event, FALSE, &zero), STATUS_INVALID_HANDLE);
}

UTEST(WaitOnOwnProcessAndThreadTimesOut)
{
    LARGE_INTEGER zero = UtNoWait();

    // Both are waitable and not signaled while we run.
    UT_EXPECT_STATUS(NtWaitForSingleObject(NtCurrentProcess(), FALSE, &zero), STATUS_TIMEOUT);
    UT_EXPECT_STATUS(NtWaitForSingleObject(NtCurrentThread(), FALSE, &zero), STATUS_TIMEOUT);
}

UTEST(WaitAnyReturnsTheFirstSignaledIndex)
{
    LARGE_INTEGER zero = UtNoWait();
    HANDLE handles[3] = {UtEvent(NotificationEvent, FALSE), UtEvent(NotificationEvent, TRUE),
                         UtEvent(NotificationEvent, TRUE)};

    UT_EXPECT_STATUS(NtWaitForMultipleObjects(3, handles, WaitAny, FALSE, &zero),
                     STATUS_WAIT_0 + 1);
    UT_EXPECT_STATUS(NtWaitForMultipleObjects(3, handles, WaitAll, FALSE, &zero),
                     STATUS_TIMEOUT);
    UT_EXPECT_STATUS(NtSetEvent(handles[0], NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForMultipleObjects(3, handles, WaitAll, FALSE, &zero),
                     STATUS_WAIT_0);
    for (int i = 0; i < 3; i++)
        UT_EXPECT_STATUS(NtClose(handles[i]), STATUS_SUCCESS);
}

UTEST(WaitOnSixtyFourObjectsUsesMoreThanTheThreadsWaitBlocks)
{
    LARGE_INTEGER shortly = UtMilliseconds(10);
    HANDLE handles[MAXIMUM_WAIT_OBJECTS];
    LONG previous;

    for (int i = 0; i < MAXIMUM_WAIT_OBJECTS; i++)
        UT_EXPECT_STATUS(NtCreateSemaphore(&handles[i], SEMAPHORE_ALL_ACCESS, NULL, 0, 1),
                         STATUS_SUCCESS);
    // Blocks (pool wait blocks on every object) and times out.
    UT_EXPECT_STATUS(NtWaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS, handles, WaitAny, FALSE,
                                              &shortly), STATUS_TIMEOUT);
    UT_EXPECT_STATUS(NtReleaseSemaphore(handles[63], 1, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS, handles, WaitAny, FALSE,
                                              &shortly), STATUS_WAIT_0 + 63);
    for (int i = 0; i < MAXIMUM_WAIT_OBJECTS; i++)
        UT_EXPECT_STATUS(NtReleaseSemaphore(handles[i], 1, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS, handles, WaitAll, FALSE,
                                              &shortly), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtReleaseSemaphore(handles[0], 1, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 0);      // WaitAll took one from each
    for (int i = 0; i < MAXIMUM_WAIT_OBJECTS; i++)
        UT_EXPECT_STATUS(NtClose(handles[i]), STATUS_SUCCESS);
}

// Read through volatile so that the compiler does not object to passing
// an address it can see is bad.
static HANDLE *volatile UtBadHandleArray = UT_BAD_POINTER;
static HANDLE *volatile UtKernelHandleArray = UT_KERNEL_POINTER;

UTEST(WaitForMultipleErrors)
{
    LARGE_INTEGER zero = UtNoWait();
    HANDLE handles[MAXIMUM_WAIT_OBJECTS + 1];
    HANDLE event = UtEvent(NotificationEvent, TRUE);
    UNICODE_STRING name = UT_NAME(u"\\BaseNamedObjects");
    OBJECT_ATTRIBUTES attributes = UtAttributes(&name, 0);
    HANDLE directory;

    for (int i = 0; i <= MAXIMUM_WAIT_OBJECTS; i++)
        handles[i] = event;
    UT_EXPECT_STATUS(NtWaitForMultipleObjects(0, handles, WaitAny, FALSE, &zero),
                     STATUS_INVALID_PARAMETER_1);
    UT_EXPECT_STATUS(NtWaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS + 1, handles, WaitAny, FALSE,
                                              &zero), STATUS_INVALID_PARAMETER_1);
    UT_EXPECT_STATUS(NtWaitForMultipleObjects(2, handles, (WAIT_TYPE)2, FALSE, &zero),
                     STATUS_INVALID_PARAMETER_3);
    UT_EXPECT_STATUS(NtWaitForMultipleObjects(2, UtBadHandleArray, WaitAny, FALSE, &zero),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtWaitForMultipleObjects(2, UtKernelHandleArray, WaitAny, FALSE, &zero),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtWaitForMultipleObjects(2, handles, WaitAny, FALSE, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    // The same object twice: fine for WaitAny, not for WaitAll.
    UT_EXPECT_STATUS(NtWaitForMultipleObjects(2, handles, WaitAny, FALSE, &zero), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtWaitForMultipleObjects(2, handles, WaitAll, FALSE, &zero),
                     STATUS_INVALID_PARAMETER_MIX);
    handles[1] = UT_NEVER_OPENED;
    UT_EXPECT_STATUS(NtWaitForMultipleObjects(2, handles, WaitAny, FALSE, &zero),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtOpenDirectoryObject(&directory, DIRECTORY_QUERY, &attributes),
                     STATUS_SUCCESS);
    handles[1] = directory;
    UT_EXPECT_STATUS(NtWaitForMultipleObjects(2, handles, WaitAny, FALSE, &zero),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtClose(directory), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
}

UTEST(SignalAndWaitSignalsEachKindOfObject)
{
    LARGE_INTEGER zero = UtNoWait();
    HANDLE target = UtEvent(NotificationEvent, TRUE);
    HANDLE event = UtEvent(NotificationEvent, FALSE);
    HANDLE semaphore, mutant;
    EVENT_BASIC_INFORMATION eventInfo;
    SEMAPHORE_BASIC_INFORMATION semaphoreInfo;

    UT_EXPECT_STATUS(NtSignalAndWaitForSingleObject(event, target, FALSE, &zero), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtQueryEvent(event, EventBasicInformation, &eventInfo, sizeof(eventInfo),
                                  NULL), STATUS_SUCCESS);
    UT_EXPECT_EQ(eventInfo.EventState, 1);
    UT_EXPECT_STATUS(NtCreateSemaphore(&semaphore, SEMAPHORE_ALL_ACCESS, NULL, 0, 1),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSignalAndWaitForSingleObject(semaphore, target, FALSE, &zero),
                     STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtQuerySemaphore(semaphore, SemaphoreBasicInformation, &semaphoreInfo,
                                      sizeof(semaphoreInfo), NULL), STATUS_SUCCESS);
    UT_EXPECT_EQ(semaphoreInfo.CurrentCount, 1);
    UT_EXPECT_STATUS(NtSignalAndWaitForSingleObject(semaphore, target, FALSE, &zero),
                     STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    UT_EXPECT_STATUS(NtCreateMutant(&mutant, MUTANT_ALL_ACCESS, NULL, TRUE), STATUS_SUCCESS);
    // Releasing the mutant and waiting on it again takes it back.
    UT_EXPECT_STATUS(NtSignalAndWaitForSingleObject(mutant, mutant, FALSE, &zero),
                     STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtReleaseMutant(mutant, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSignalAndWaitForSingleObject(mutant, target, FALSE, &zero),
                     STATUS_MUTANT_NOT_OWNED);
    UT_EXPECT_STATUS(NtClose(mutant), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(semaphore), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(target), STATUS_SUCCESS);
}

UTEST(SignalAndWaitErrors)
{
    LARGE_INTEGER zero = UtNoWait();
    HANDLE target = UtEvent(NotificationEvent, TRUE), event, timer;

    UT_EXPECT_STATUS(NtCreateEvent(&event, SYNCHRONIZE, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSignalAndWaitForSingleObject(event, target, FALSE, &zero),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtCreateTimer(&timer, TIMER_ALL_ACCESS, NULL, NotificationTimer),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSignalAndWaitForSingleObject(timer, target, FALSE, &zero),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtSignalAndWaitForSingleObject(UT_NEVER_OPENED, target, FALSE, &zero),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtSignalAndWaitForSingleObject(target, UT_NEVER_OPENED, FALSE, &zero),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtSignalAndWaitForSingleObject(target, target, FALSE, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtClose(timer), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(target), STATUS_SUCCESS);
}

static const UTEST Tests[] = {
    UT_ENTRY(WaitOnASignaledEventSucceedsAndAnAutoResetEventResets),
    UT_ENTRY(RelativeAndAbsoluteTimeoutsExpire),
    UT_ENTRY(WaitIsSatisfiedByATimerFiringLater),
    UT_ENTRY(WaitErrors),
    UT_ENTRY(WaitOnOwnProcessAndThreadTimesOut),
    UT_ENTRY(WaitAnyReturnsTheFirstSignaledIndex),
    UT_ENTRY(WaitOnSixtyFourObjectsUsesMoreThanTheThreadsWaitBlocks),
    UT_ENTRY(WaitForMultipleErrors),
    UT_ENTRY(SignalAndWaitSignalsEachKindOfObject),
    UT_ENTRY(SignalAndWaitErrors),
};

int main(void)
{
    return UT_RUN_ALL("twaits", Tests);
}
