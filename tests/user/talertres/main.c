// User-mode tests of NtAlertResumeThread (a short program name: image
// names hold 15 characters). The thread is alerted in user mode, then
// resumed, and the previous suspend count comes back. A thread suspended in
// an alertable wait goes on and its wait ends with STATUS_ALERTED; every
// error path, in NT's order (the pointer is probed before the handle is
// looked at).

#include "tests/user/utest.h"

#define TEST_HANDLE_NEVER_OPENED ((HANDLE)(ULONG_PTR)0xFFC)
#define POLLS                    5000   // 1 ms polls before a test gives up
#define END_WAIT_MS              5000

static HANDLE Event;
static volatile NTSTATUS WaitStatus;

// Waits alertably on Event, which nobody sets, and records how it ended.
static NTSTATUS NTAPI WaitAlertably(PVOID argument)
{
    WaitStatus = NtWaitForSingleObject(Event, TRUE, NULL);
    return 0;
}

static void Sleep(LONGLONG ms)
{
    LARGE_INTEGER interval = UtMilliseconds(ms);

    NtDelayExecution(FALSE, &interval);
}

static ULONG PointerCount(HANDLE object)
{
    OBJECT_BASIC_INFORMATION basic;

    if (!NT_SUCCESS(NtQueryObject(object, ObjectBasicInformation, &basic, sizeof(basic), NULL)))
        return 0;
    return basic.PointerCount;
}

// Starts WaitAlertably and returns once it is in its wait (the wait holds a
// reference on the event).
static BOOLEAN StartWaiter(PHANDLE thread)
{
    ULONG before;

    WaitStatus = STATUS_PENDING;
    if (!NT_SUCCESS(NtCreateEvent(&Event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE)))
        return FALSE;
    before = PointerCount(Event);
    if (!NT_SUCCESS(NtCreateThreadEx(thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                                     (PVOID)WaitAlertably, NULL, 0, 0, 0, 0, NULL)))
        return FALSE;
    for (int i = 0; i < POLLS; i++) {
        if (PointerCount(Event) == before + 1)
            return TRUE;
        Sleep(1);
    }
    return FALSE;
}

static NTSTATUS WaitForEnd(HANDLE thread)
{
    LARGE_INTEGER limit = UtMilliseconds(END_WAIT_MS);

    return NtWaitForSingleObject(thread, FALSE, &limit);
}

static void EndWaiter(HANDLE thread)
{
    NtClose(thread);
    NtClose(Event);
}

UTEST(SuspendedAlertableWaitEndsAlerted)
{
    HANDLE thread;
    ULONG previous = 9;

    UT_EXPECT(StartWaiter(&thread));
    UT_EXPECT_STATUS(NtSuspendThread(thread, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 0);
    Sleep(10);      // the suspend takes hold inside the wait
    UT_EXPECT_EQ(WaitStatus, STATUS_PENDING);
    UT_EXPECT_STATUS(NtAlertResumeThread(thread, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 1);
    UT_EXPECT_STATUS(WaitForEnd(thread), STATUS_WAIT_0);
    UT_EXPECT_EQ(WaitStatus, STATUS_ALERTED);
    EndWaiter(thread);
}

// Suspended twice, the thread stays suspended; the alert waits for it, and
// the wait ends alerted once the last resume comes.
UTEST(AlertIsKeptWhileTheThreadStaysSuspended)
{
    HANDLE thread;
    ULONG previous = 9;

    UT_EXPECT(StartWaiter(&thread));
    UT_EXPECT_STATUS(NtSuspendThread(thread, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSuspendThread(thread, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlertResumeThread(thread, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 2);
    Sleep(20);
    UT_EXPECT_EQ(WaitStatus, STATUS_PENDING);
    UT_EXPECT_STATUS(NtResumeThread(thread, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 1);
    UT_EXPECT_STATUS(WaitForEnd(thread), STATUS_WAIT_0);
    UT_EXPECT_EQ(WaitStatus, STATUS_ALERTED);
    EndWaiter(thread);
}

// Not suspended: only the alert, and a previous count of 0 (the pointer
// is optional).
UTEST(RunningThreadIsOnlyAlerted)
{
    HANDLE thread;
    ULONG previous = 9;

    UT_EXPECT(StartWaiter(&thread));
    UT_EXPECT_STATUS(NtAlertResumeThread(thread, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 0);
    UT_EXPECT_STATUS(WaitForEnd(thread), STATUS_WAIT_0);
    UT_EXPECT_EQ(WaitStatus, STATUS_ALERTED);
    EndWaiter(thread);
    UT_EXPECT(StartWaiter(&thread));
    UT_EXPECT_STATUS(NtAlertResumeThread(thread, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(WaitForEnd(thread), STATUS_WAIT_0);
    UT_EXPECT_EQ(WaitStatus, STATUS_ALERTED);
    // Ended, the thread has nothing to alert or resume.
    previous = 9;
    UT_EXPECT_STATUS(NtAlertResumeThread(thread, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 0);
    EndWaiter(thread);
}

// The caller alerting itself: its next alertable wait ends at once.
UTEST(AlertingItselfEndsItsNextAlertableWait)
{
    LARGE_INTEGER interval = UtMilliseconds(10000);
    ULONG previous = 9;

    UT_EXPECT_STATUS(NtAlertResumeThread(NtCurrentThread(), &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 0);
    UT_EXPECT_STATUS(NtDelayExecution(TRUE, &interval), STATUS_ALERTED);
}

UTEST(ErrorPaths)
{
    HANDLE queryOnly, event;
    OBJECT_ATTRIBUTES attributes;
    CLIENT_ID cid = {NULL, NtCurrentTeb()->ClientId.UniqueThread};
    ULONG previous;

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtAlertResumeThread(TEST_HANDLE_NEVER_OPENED, &previous),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtAlertResumeThread(NULL, &previous), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtAlertResumeThread(NtCurrentProcess(), &previous),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlertResumeThread(event, &previous), STATUS_OBJECT_TYPE_MISMATCH);
    NtClose(event);
    UT_EXPECT_STATUS(NtAlertResumeThread(event, &previous), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtOpenThread(&queryOnly, THREAD_QUERY_INFORMATION | THREAD_ALERT,
                                  &attributes, &cid),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlertResumeThread(queryOnly, &previous), STATUS_ACCESS_DENIED);
    NtClose(queryOnly);
    UT_EXPECT_STATUS(NtAlertResumeThread(NtCurrentThread(), UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAlertResumeThread(NtCurrentThread(), UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAlertResumeThread(NtCurrentThread(), (PULONG)((ULONG_PTR)&previous + 1)),
                     STATUS_DATATYPE_MISALIGNMENT);
    // The pointer is checked first: a bad handle with a bad pointer is the
    // pointer's fault.
    UT_EXPECT_STATUS(NtAlertResumeThread(TEST_HANDLE_NEVER_OPENED, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    // None of the failures alerted the caller.
    UT_EXPECT_STATUS(NtTestAlert(), STATUS_SUCCESS);
}

static const UTEST Tests[] = {
    UT_ENTRY(SuspendedAlertableWaitEndsAlerted),
    UT_ENTRY(AlertIsKeptWhileTheThreadStaysSuspended),
    UT_ENTRY(RunningThreadIsOnlyAlerted),
    UT_ENTRY(AlertingItselfEndsItsNextAlertableWait),
    UT_ENTRY(ErrorPaths),
};

int main(void)
{
    return UT_RUN_ALL("talertres", Tests);
}
