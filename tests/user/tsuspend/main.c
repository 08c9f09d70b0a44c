// User-mode tests of suspension against termination, NT's rules: ending a
// thread resumes it for good (its suspend count goes to 0, however high it
// was), and a thread on its way out can no longer be suspended
// (NtSuspendThread gives STATUS_THREAD_IS_TERMINATING), so a thread or
// process that was told to end always ends. Each test waits at most
// END_WAIT_MS for the end it expects: a thread left in its suspend wait
// fails the test instead of hanging it (the in-kernel runner's leak check
// then sees what it kept).
//
// The program is its own child: "tsuspend child" starts threads that
// suspend themselves, says so through a named event, and waits for good.

#include "tests/user/utest.h"
#include "tests/user/uthread.h"

#define KILL_STATUS   0x5A11    // what the killed threads and processes end with
#define POLLS         5000      // 1 ms polls before a test gives up
#define END_WAIT_MS   5000
#define CHILD_THREADS 3         // threads of the child that suspend themselves
#define EXIT_ROUNDS   100       // threads suspended on their way out, one after another

#define READY_EVENT_NAME u"\\BaseNamedObjects\\TsuspendReady"

static volatile LONG Spinning;
static volatile LONG Suspending;
static HANDLE NeverSet;

static void Sleep(LONGLONG ms)
{
    LARGE_INTEGER interval = UtMilliseconds(ms);

    NtDelayExecution(FALSE, &interval);
}

static NTSTATUS NTAPI Spin(PVOID argument)
{
    for (;;)
        Spinning = 1;
    return 0;
}

// Waits in user mode for an event nobody sets.
static NTSTATUS NTAPI Block(PVOID argument)
{
    return NtWaitForSingleObject(NeverSet, FALSE, NULL);
}

static NTSTATUS NTAPI SuspendSelf(PVOID argument)
{
    __atomic_add_fetch(&Suspending, 1, __ATOMIC_SEQ_CST);
    NtSuspendThread(NtCurrentThread(), NULL);
    return 0x0BAD;      // only if resumed
}

static NTSTATUS NTAPI ReturnAtOnce(PVOID argument)
{
    return 0;
}

static NTSTATUS StartThread(PHANDLE thread, PUSER_THREAD_START_ROUTINE routine)
{
    return NtCreateThreadEx(thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(), (PVOID)routine,
                            NULL, 0, 0, 0, 0, NULL);
}

static NTSTATUS WaitForEnd(HANDLE object)
{
    LARGE_INTEGER limit = UtMilliseconds(END_WAIT_MS);

    return NtWaitForSingleObject(object, FALSE, &limit);
}

// A thread spinning in user mode, then suspended `count` times; it is seen
// to stop. NULL if it could not be started.
static HANDLE StartSuspendedSpinner(ULONG count)
{
    HANDLE thread;
    ULONG previous;

    Spinning = 0;
    if (!NT_SUCCESS(StartThread(&thread, Spin)))
        return NULL;
    for (int i = 0; i < POLLS && !Spinning; i++)
        Sleep(1);
    UT_EXPECT_EQ(Spinning, 1);
    for (ULONG i = 0; i < count; i++) {
        previous = 99;
        UT_EXPECT_STATUS(NtSuspendThread(thread, &previous), STATUS_SUCCESS);
        UT_EXPECT_EQ(previous, i);
    }
    // Its suspend APC has run once it no longer spins.
    Sleep(20);
    Spinning = 0;
    Sleep(20);
    UT_EXPECT_EQ(Spinning, 0);
    return thread;
}

static void ExpectEnded(HANDLE thread, NTSTATUS exitStatus)
{
    UT_EXPECT_STATUS(WaitForEnd(thread), STATUS_WAIT_0);
    UT_EXPECT_STATUS(UtThreadExitStatus(thread), exitStatus);
    NtClose(thread);
}

UTEST(TerminatedSuspendedThreadEnds)
{
    HANDLE thread = StartSuspendedSpinner(1);

    UT_EXPECT(thread != NULL);
    UT_EXPECT_STATUS(NtTerminateThread(thread, KILL_STATUS), STATUS_SUCCESS);
    ExpectEnded(thread, KILL_STATUS);
}

// However many times it was suspended, one termination ends it.
UTEST(TerminatedThreadSuspendedFiveTimesEnds)
{
    HANDLE thread = StartSuspendedSpinner(5);

    UT_EXPECT(thread != NULL);
    UT_EXPECT_STATUS(NtTerminateThread(thread, KILL_STATUS), STATUS_SUCCESS);
    ExpectEnded(thread, KILL_STATUS);
}

// A resume, or an alert-resume, after the termination finds the count at 0
// (the termination resumed the thread for good) and changes nothing.
UTEST(ResumeAfterTerminationFindsNothingToResume)
{
    for (int alert = 0; alert < 2; alert++) {
        HANDLE thread = StartSuspendedSpinner(3);
        ULONG previous = 99;

        UT_EXPECT(thread != NULL);
        UT_EXPECT_STATUS(NtTerminateThread(thread, KILL_STATUS), STATUS_SUCCESS);
        if (alert)
            UT_EXPECT_STATUS(NtAlertResumeThread(thread, &previous), STATUS_SUCCESS);
        else
            UT_EXPECT_STATUS(NtResumeThread(thread, &previous), STATUS_SUCCESS);
        UT_EXPECT_EQ(previous, 0);
        ExpectEnded(thread, KILL_STATUS);
    }
}

// Told to end, a thread is no longer suspended: the suspend is refused, and
// the thread ends.
UTEST(SuspendAfterTerminationIsRefused)
{
    HANDLE thread;
    ULONG previous = 99;

    UT_EXPECT_STATUS(NtCreateEvent(&NeverSet, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(StartThread(&thread, Block), STATUS_SUCCESS);
    Sleep(20);
    UT_EXPECT_STATUS(NtTerminateThread(thread, KILL_STATUS), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSuspendThread(thread, &previous), STATUS_THREAD_IS_TERMINATING);
    UT_EXPECT_STATUS(NtSuspendThread(thread, &previous), STATUS_THREAD_IS_TERMINATING);
    ExpectEnded(thread, KILL_STATUS);
    NtClose(NeverSet);
}

// The same with a thread running in user mode, and a second termination
// after the refused suspend: the first exit status stands.
UTEST(SecondTerminationAfterSuspendKeepsTheFirstStatus)
{
    HANDLE thread;
    NTSTATUS status;

    Spinning = 0;
    UT_EXPECT_STATUS(StartThread(&thread, Spin), STATUS_SUCCESS);
    for (int i = 0; i < POLLS && !Spinning; i++)
        Sleep(1);
    UT_EXPECT_STATUS(NtTerminateThread(thread, KILL_STATUS), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSuspendThread(thread, NULL), STATUS_THREAD_IS_TERMINATING);
    status = NtTerminateThread(thread, KILL_STATUS + 1);
    UT_EXPECT(status == STATUS_SUCCESS || status == STATUS_THREAD_IS_TERMINATING);
    ExpectEnded(thread, KILL_STATUS);
}

// A thread that suspended itself is ended in its suspend wait.
UTEST(ThreadSuspendedByItselfEnds)
{
    HANDLE thread;

    Suspending = 0;
    UT_EXPECT_STATUS(StartThread(&thread, SuspendSelf), STATUS_SUCCESS);
    for (int i = 0; i < POLLS && !Suspending; i++)
        Sleep(1);
    Sleep(20);
    UT_EXPECT_STATUS(NtTerminateThread(thread, KILL_STATUS), STATUS_SUCCESS);
    ExpectEnded(thread, KILL_STATUS);
}

// Threads that end by themselves, suspended as they go: a suspend that
// lands on the way out must not keep them. Each is then terminated (which
// may find it already ended) and must end.
UTEST(ThreadSuspendedOnItsWayOutEnds)
{
    for (int round = 0; round < EXIT_ROUNDS; round++) {
        HANDLE thread;
        NTSTATUS status;

        UT_EXPECT_STATUS(StartThread(&thread, ReturnAtOnce), STATUS_SUCCESS);
        for (int i = 0; i < round % 7; i++)
            NtYieldExecution();
        status = NtSuspendThread(thread, NULL);
        UT_EXPECT(status == STATUS_SUCCESS || status == STATUS_THREAD_IS_TERMINATING);
        status = NtTerminateThread(thread, KILL_STATUS);
        UT_EXPECT(status == STATUS_SUCCESS || status == STATUS_THREAD_IS_TERMINATING);
        UT_EXPECT_STATUS(WaitForEnd(thread), STATUS_WAIT_0);
        NtClose(thread);
        if (UtCurrentFailed)
            break;
    }
}

static NTSTATUS StartChild(PHANDLE process, PHANDLE thread)
{
    UNICODE_STRING image = UT_NAME(u"tsuspend");
    UNICODE_STRING line = UT_NAME(u"tsuspend child");

    return NtCreateProcessFromArchive(process, thread, PROCESS_ALL_ACCESS, THREAD_ALL_ACCESS,
                                      NULL, &image, &line, 0, NULL);
}

// Starts the child and waits until its threads have suspended themselves;
// its first thread (*thread) is then suspended from here, `count` times.
static BOOLEAN StartSuspendedChild(PHANDLE process, PHANDLE thread, ULONG count)
{
    HANDLE ready;
    UNICODE_STRING name = UT_NAME(READY_EVENT_NAME);
    OBJECT_ATTRIBUTES attributes;
    LARGE_INTEGER limit = UtMilliseconds(END_WAIT_MS);
    BOOLEAN started = FALSE;

    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    if (!NT_SUCCESS(NtCreateEvent(&ready, EVENT_ALL_ACCESS, &attributes, NotificationEvent,
                                  FALSE)))
        return FALSE;
    if (NT_SUCCESS(StartChild(process, thread))) {
        started = NtWaitForSingleObject(ready, FALSE, &limit) == STATUS_WAIT_0;
        // The child's threads call NtSuspendThread right after saying so.
        Sleep(50);
        for (ULONG i = 0; i < count; i++)
            UT_EXPECT_STATUS(NtSuspendThread(*thread, NULL), STATUS_SUCCESS);
    }
    NtClose(ready);
    return started;
}

// Every thread of the process suspended, one of them five times: the
// process ends.
UTEST(TerminatedProcessWithSuspendedThreadsEnds)
{
    HANDLE process, thread;

    UT_EXPECT(StartSuspendedChild(&process, &thread, 5));
    UT_EXPECT_STATUS(NtTerminateProcess(process, KILL_STATUS), STATUS_SUCCESS);
    UT_EXPECT_STATUS(WaitForEnd(process), STATUS_WAIT_0);
    UT_EXPECT_STATUS(UtThreadExitStatus(thread), KILL_STATUS);
    UT_EXPECT_STATUS(UtProcessExitStatus(process), KILL_STATUS);
    // Gone now: a last termination has nothing to end.
    UT_EXPECT_STATUS(NtTerminateProcess(process, KILL_STATUS + 1),
                     STATUS_PROCESS_IS_TERMINATING);
    NtClose(thread);
    NtClose(process);
}

// The process is told to end, then one of its threads is suspended: the
// suspend is refused, a second termination is not (its threads are still
// there to end; the first status stands), and the process ends.
UTEST(SuspendAfterProcessTerminationIsRefused)
{
    HANDLE process, thread;
    NTSTATUS status;

    UT_EXPECT(StartSuspendedChild(&process, &thread, 0));
    UT_EXPECT_STATUS(NtTerminateProcess(process, KILL_STATUS), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSuspendThread(thread, NULL), STATUS_THREAD_IS_TERMINATING);
    status = NtTerminateProcess(process, KILL_STATUS + 1);
    UT_EXPECT(status == STATUS_SUCCESS || status == STATUS_PROCESS_IS_TERMINATING);
    UT_EXPECT_STATUS(WaitForEnd(thread), STATUS_WAIT_0);
    UT_EXPECT_STATUS(WaitForEnd(process), STATUS_WAIT_0);
    UT_EXPECT_STATUS(UtProcessExitStatus(process), KILL_STATUS);
    NtClose(thread);
    NtClose(process);
}

static const UTEST Tests[] = {
    UT_ENTRY(TerminatedSuspendedThreadEnds),
    UT_ENTRY(TerminatedThreadSuspendedFiveTimesEnds),
    UT_ENTRY(ResumeAfterTerminationFindsNothingToResume),
    UT_ENTRY(SuspendAfterTerminationIsRefused),
    UT_ENTRY(SecondTerminationAfterSuspendKeepsTheFirstStatus),
    UT_ENTRY(ThreadSuspendedByItselfEnds),
    UT_ENTRY(ThreadSuspendedOnItsWayOutEnds),
    UT_ENTRY(TerminatedProcessWithSuspendedThreadsEnds),
    UT_ENTRY(SuspendAfterProcessTerminationIsRefused),
};

// The child: CHILD_THREADS threads suspend themselves; once they are about
// to, the parent is told, and the first thread waits for good.
static int RunChild(void)
{
    HANDLE ready, thread, never;
    UNICODE_STRING name = UT_NAME(READY_EVENT_NAME);
    OBJECT_ATTRIBUTES attributes;

    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    if (!NT_SUCCESS(NtOpenEvent(&ready, EVENT_ALL_ACCESS, &attributes)) ||
        !NT_SUCCESS(NtCreateEvent(&never, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE)))
        return 0x0BAD1;
    for (int i = 0; i < CHILD_THREADS; i++) {
        if (!NT_SUCCESS(StartThread(&thread, SuspendSelf)))
            return 0x0BAD2;
    }
    while (Suspending < CHILD_THREADS)
        Sleep(1);
    NtSetEvent(ready, NULL);
    NtWaitForSingleObject(never, FALSE, NULL);
    return 0x0BAD3;
}

int main(void)
{
    char line[64];

    UtCommandLineText(line, sizeof(line));
    if (!strcmp(line, "tsuspend child"))
        return RunChild();
    return UT_RUN_ALL("tsuspend", Tests);
}
