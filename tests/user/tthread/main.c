// User-mode tests of threads: NtCreateThreadEx (start routine, argument,
// TEB, stack, flags), NtTerminateThread, NtOpenThread, NtSuspendThread and
// NtResumeThread, and every error path they have.

#include "tests/user/utest.h"

// How long a test spins for another thread to get somewhere: generous, so
// that only a real hang fails it.
#define SPIN_LIMIT 200000000L
#define TEST_HANDLE_NEVER_OPENED ((HANDLE)(ULONG_PTR)0xFFC)

static volatile LONG Reached;
static volatile PVOID SeenArgument;
static volatile LONG TebLooksRight;

static BOOLEAN SpinUntil(volatile LONG *flag, LONG value)
{
    for (long i = 0; i < SPIN_LIMIT; i++) {
        if (*flag == value)
            return TRUE;
    }
    return FALSE;
}

// A thread is signaled once it has ended. (Refusing a suspend does not
// tell: a thread is refused as soon as it is told to end, as on NT.)
static BOOLEAN SpinUntilEnded(HANDLE thread)
{
    LARGE_INTEGER limit;

    limit.QuadPart = -10LL * 1000 * 10000;     // 10 s: only a real hang fails
    return NtWaitForSingleObject(thread, FALSE, &limit) == STATUS_WAIT_0;
}

static NTSTATUS NTAPI RecordArgument(PVOID argument)
{
    TEB *teb = NtCurrentTeb();

    SeenArgument = argument;
    TebLooksRight = teb->NtTib.Self == &teb->NtTib &&
                    (ULONG_PTR)teb->NtTib.StackLimit < (ULONG_PTR)&teb &&
                    (ULONG_PTR)&teb < (ULONG_PTR)teb->NtTib.StackBase &&
                    teb->ProcessEnvironmentBlock == NtCurrentTeb()->ProcessEnvironmentBlock &&
                    teb->ClientId.UniqueThread != NULL;
    Reached = 1;
    return 0;
}

static NTSTATUS NTAPI SuspendSelf(PVOID argument)
{
    Reached = 1;
    NtSuspendThread(NtCurrentThread(), NULL);
    Reached = 2;                // only if resumed
    return 0;
}

// Runs until terminated (its argument is always NULL).
static NTSTATUS NTAPI Spin(PVOID argument)
{
    while (argument == NULL)
        Reached = 1;
    return 0;
}

static NTSTATUS NTAPI EndThroughNullHandle(PVOID argument)
{
    Reached = 1;
    NtTerminateThread(NULL, 5);
    Reached = 2;                // never
    return 0;
}

static NTSTATUS CreateThread(PHANDLE handle, PUSER_THREAD_START_ROUTINE routine, PVOID argument,
                             ULONG flags)
{
    return NtCreateThreadEx(handle, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(), (PVOID)routine,
                            argument, flags, 0, 0, 0, NULL);
}

UTEST(MainThreadHasATebThatGsPointsAt)
{
    TEB *teb = NtCurrentTeb();

    UT_EXPECT(teb != NULL);
    UT_EXPECT(teb->NtTib.Self == &teb->NtTib);
    UT_EXPECT((ULONG_PTR)teb->NtTib.StackLimit < (ULONG_PTR)&teb);
    UT_EXPECT((ULONG_PTR)&teb < (ULONG_PTR)teb->NtTib.StackBase);
    UT_EXPECT(teb->ClientId.UniqueProcess != NULL);
    UT_EXPECT(teb->ProcessEnvironmentBlock != NULL);
}

UTEST(NewThreadGetsItsArgumentAndATebOfItsOwn)
{
    HANDLE thread;

    Reached = 0;
    UT_EXPECT_STATUS(CreateThread(&thread, RecordArgument, (PVOID)0x1234, 0), STATUS_SUCCESS);
    UT_EXPECT(SpinUntil(&Reached, 1));
    UT_EXPECT(SeenArgument == (PVOID)0x1234);
    UT_EXPECT(TebLooksRight);
    UT_EXPECT(SpinUntilEnded(thread));
}

UTEST(StackSizesAreHonouredUpToTheSlot)
{
    HANDLE thread;

    Reached = 0;
    UT_EXPECT_STATUS(NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                                      (PVOID)RecordArgument, NULL, 0, 0, 256 * 1024, 512 * 1024,
                                      NULL),
                     STATUS_SUCCESS);
    UT_EXPECT(SpinUntil(&Reached, 1));
    UT_EXPECT(SpinUntilEnded(thread));
    UT_EXPECT_STATUS(NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                                      (PVOID)RecordArgument, NULL, 0, 0, 64 * 1024 * 1024, 0,
                                      NULL),
                     STATUS_INVALID_PARAMETER);
}

UTEST(CreateSuspendedRunsOnlyOnceResumed)
{
    HANDLE thread;
    ULONG previous = 99;

    Reached = 0;
    UT_EXPECT_STATUS(CreateThread(&thread, RecordArgument, NULL,
                                  THREAD_CREATE_FLAGS_CREATE_SUSPENDED),
                     STATUS_SUCCESS);
    for (long i = 0; i < SPIN_LIMIT / 100; i++)
        UT_EXPECT(Reached == 0);
    UT_EXPECT_STATUS(NtResumeThread(thread, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 1);
    UT_EXPECT(SpinUntil(&Reached, 1));
    UT_EXPECT(SpinUntilEnded(thread));
}

UTEST(CreateThreadErrorPaths)
{
    HANDLE thread, queryOnly;
    CLIENT_ID self = NtCurrentTeb()->ClientId;
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING name = UT_NAME(u"\\BaseNamedObjects\\tthread");

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    self.UniqueThread = NULL;
    UT_EXPECT_STATUS(CreateThread(UT_BAD_POINTER, RecordArgument, NULL, 0),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(CreateThread(UT_KERNEL_POINTER, RecordArgument, NULL, 0),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(CreateThread((PHANDLE)((ULONG_PTR)&thread + 1), RecordArgument, NULL, 0),
                     STATUS_DATATYPE_MISALIGNMENT);
    UT_EXPECT_STATUS(CreateThread(&thread, RecordArgument, NULL, 0x80), STATUS_INVALID_PARAMETER);
    // The attribute list is the eleventh argument, on the stack.
    UT_EXPECT_STATUS(NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                                      (PVOID)RecordArgument, NULL, 0, 0, 0, 0, UT_BAD_POINTER),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                                      (PVOID)RecordArgument, NULL, 0, 12, 0, 0, NULL),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, UT_BAD_POINTER,
                                      NtCurrentProcess(), (PVOID)RecordArgument, NULL, 0, 0, 0,
                                      0, NULL),
                     STATUS_ACCESS_VIOLATION);
    attributes.ObjectName = &name;
    UT_EXPECT_STATUS(NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, &attributes,
                                      NtCurrentProcess(), (PVOID)RecordArgument, NULL, 0, 0, 0,
                                      0, NULL),
                     STATUS_OBJECT_NAME_INVALID);
    UT_EXPECT_STATUS(NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, NULL,
                                      TEST_HANDLE_NEVER_OPENED, (PVOID)RecordArgument, NULL, 0,
                                      0, 0, 0, NULL),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, NULL, NtCurrentThread(),
                                      (PVOID)RecordArgument, NULL, 0, 0, 0, 0, NULL),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtOpenProcess(&queryOnly, PROCESS_QUERY_INFORMATION, &attributes, &self),
                     STATUS_INVALID_PARAMETER_MIX);
    attributes.ObjectName = NULL;
    UT_EXPECT_STATUS(NtOpenProcess(&queryOnly, PROCESS_QUERY_INFORMATION, &attributes, &self),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, NULL, queryOnly,
                                      (PVOID)RecordArgument, NULL, 0, 0, 0, 0, NULL),
                     STATUS_ACCESS_DENIED);
}

UTEST(TerminatingAThreadBlockedInAWaitEndsIt)
{
    HANDLE thread;

    Reached = 0;
    UT_EXPECT_STATUS(CreateThread(&thread, SuspendSelf, NULL, 0), STATUS_SUCCESS);
    UT_EXPECT(SpinUntil(&Reached, 1));
    UT_EXPECT_STATUS(NtTerminateThread(thread, 0x77), STATUS_SUCCESS);
    UT_EXPECT(SpinUntilEnded(thread));
    UT_EXPECT_EQ(Reached, 1);   // ended in its wait: never resumed
}

UTEST(TerminatingARunningThreadEndsIt)
{
    HANDLE thread;

    Reached = 0;
    UT_EXPECT_STATUS(CreateThread(&thread, Spin, NULL, 0), STATUS_SUCCESS);
    UT_EXPECT(SpinUntil(&Reached, 1));
    UT_EXPECT_STATUS(NtTerminateThread(thread, 0x78), STATUS_SUCCESS);
    UT_EXPECT(SpinUntilEnded(thread));
}

UTEST(TerminatingASuspendedThreadEndsIt)
{
    HANDLE thread;

    Reached = 0;
    UT_EXPECT_STATUS(CreateThread(&thread, RecordArgument, NULL,
                                  THREAD_CREATE_FLAGS_CREATE_SUSPENDED),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtTerminateThread(thread, 0x79), STATUS_SUCCESS);
    UT_EXPECT(SpinUntilEnded(thread));
    UT_EXPECT_EQ(Reached, 0);
}

UTEST(NullHandleEndsTheCallerUnlessItIsTheLastThread)
{
    HANDLE thread;

    UT_EXPECT_STATUS(NtTerminateThread(NULL, 1), STATUS_CANT_TERMINATE_SELF);
    Reached = 0;
    UT_EXPECT_STATUS(CreateThread(&thread, EndThroughNullHandle, NULL, 0), STATUS_SUCCESS);
    UT_EXPECT(SpinUntilEnded(thread));
    UT_EXPECT_EQ(Reached, 1);
}

UTEST(TerminateThreadErrorPaths)
{
    HANDLE thread, queryOnly;
    OBJECT_ATTRIBUTES attributes;
    CLIENT_ID cid = {NULL, NtCurrentTeb()->ClientId.UniqueThread};

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtTerminateThread(TEST_HANDLE_NEVER_OPENED, 1), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtTerminateThread(NtCurrentProcess(), 1), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtOpenThread(&queryOnly, THREAD_QUERY_INFORMATION, &attributes, &cid),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtTerminateThread(queryOnly, 1), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtSuspendThread(queryOnly, NULL), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtResumeThread(queryOnly, NULL), STATUS_ACCESS_DENIED);
    // A thread that has ended cannot be terminated again, nor suspended.
    UT_EXPECT_STATUS(CreateThread(&thread, RecordArgument, NULL, 0), STATUS_SUCCESS);
    UT_EXPECT(SpinUntilEnded(thread));
    UT_EXPECT_STATUS(NtSuspendThread(thread, NULL), STATUS_THREAD_IS_TERMINATING);
}

UTEST(SuspendCountsUpToTheMaximum)
{
    HANDLE thread;
    ULONG previous = 0;
    ULONG i;

    UT_EXPECT_STATUS(CreateThread(&thread, RecordArgument, NULL,
                                  THREAD_CREATE_FLAGS_CREATE_SUSPENDED),
                     STATUS_SUCCESS);
    for (i = 1; i < 127; i++) {
        UT_EXPECT_STATUS(NtSuspendThread(thread, &previous), STATUS_SUCCESS);
        UT_EXPECT_EQ(previous, i);
    }
    UT_EXPECT_STATUS(NtSuspendThread(thread, &previous), STATUS_SUSPEND_COUNT_EXCEEDED);
    UT_EXPECT_STATUS(NtSuspendThread(thread, UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtSuspendThread(thread, UT_KERNEL_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtResumeThread(thread, UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    for (i = 127; i > 0; i--) {
        UT_EXPECT_STATUS(NtResumeThread(thread, &previous), STATUS_SUCCESS);
        UT_EXPECT_EQ(previous, i);
    }
    UT_EXPECT_STATUS(NtResumeThread(thread, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 0);
    UT_EXPECT(SpinUntilEnded(thread));
}

UTEST(OpenThreadByClientId)
{
    HANDLE thread;
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING name = UT_NAME(u"\\tthread");
    CLIENT_ID self = NtCurrentTeb()->ClientId;
    CLIENT_ID cid;

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtOpenThread(&thread, THREAD_ALL_ACCESS, &attributes, &self),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenThread(UT_BAD_POINTER, THREAD_ALL_ACCESS, &attributes, &self),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtOpenThread(&thread, THREAD_ALL_ACCESS, UT_BAD_POINTER, &self),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtOpenThread(&thread, THREAD_ALL_ACCESS, &attributes, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtOpenThread(&thread, THREAD_ALL_ACCESS, &attributes, UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtOpenThread(&thread, THREAD_ALL_ACCESS, &attributes, NULL),
                     STATUS_INVALID_PARAMETER_MIX);
    attributes.ObjectName = &name;
    UT_EXPECT_STATUS(NtOpenThread(&thread, THREAD_ALL_ACCESS, &attributes, &self),
                     STATUS_INVALID_PARAMETER_MIX);
    attributes.ObjectName = NULL;
    cid = self;
    cid.UniqueThread = (HANDLE)(ULONG_PTR)0x7FFC;
    UT_EXPECT_STATUS(NtOpenThread(&thread, THREAD_ALL_ACCESS, &attributes, &cid),
                     STATUS_INVALID_CID);
    cid.UniqueThread = (HANDLE)(ULONG_PTR)0x3;
    UT_EXPECT_STATUS(NtOpenThread(&thread, THREAD_ALL_ACCESS, &attributes, &cid),
                     STATUS_INVALID_CID);
    // A process id is not a thread id, and the thread must be the process's.
    cid.UniqueThread = self.UniqueProcess;
    UT_EXPECT_STATUS(NtOpenThread(&thread, THREAD_ALL_ACCESS, &attributes, &cid),
                     STATUS_INVALID_CID);
    cid = self;
    cid.UniqueProcess = (HANDLE)(ULONG_PTR)4;
    UT_EXPECT_STATUS(NtOpenThread(&thread, THREAD_ALL_ACCESS, &attributes, &cid),
                     STATUS_INVALID_CID);
}

static const UTEST Tests[] = {
    UT_ENTRY(MainThreadHasATebThatGsPointsAt),
    UT_ENTRY(NewThreadGetsItsArgumentAndATebOfItsOwn),
    UT_ENTRY(StackSizesAreHonouredUpToTheSlot),
    UT_ENTRY(CreateSuspendedRunsOnlyOnceResumed),
    UT_ENTRY(CreateThreadErrorPaths),
    UT_ENTRY(TerminatingAThreadBlockedInAWaitEndsIt),
    UT_ENTRY(TerminatingARunningThreadEndsIt),
    UT_ENTRY(TerminatingASuspendedThreadEndsIt),
    UT_ENTRY(NullHandleEndsTheCallerUnlessItIsTheLastThread),
    UT_ENTRY(TerminateThreadErrorPaths),
    UT_ENTRY(SuspendCountsUpToTheMaximum),
    UT_ENTRY(OpenThreadByClientId),
};

int main(void)
{
    return UT_RUN_ALL("tthread", Tests);
}
