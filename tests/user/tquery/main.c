// User-mode tests of the queries: NtQueryInformationProcess,
// NtQueryInformationThread, NtQuerySystemInformation (basic information and
// the process list), NtQuerySystemTime, NtQueryPerformanceCounter and
// NtYieldExecution, with every error path; and NtSetSystemInformation's
// SystemSessionCreate.

#include "tests/user/utest.h"

#define BOGUS_HANDLE ((HANDLE)(ULONG_PTR)0x1234)

// Room for the process list of a test run (a few dozen processes).
static ULONG64 ProcessList[8192];

UTEST(ProcessBasicInformationDescribesTheCaller)
{
    PROCESS_BASIC_INFORMATION process;
    THREAD_BASIC_INFORMATION thread;
    ULONG length = 0;

    UT_EXPECT_STATUS(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation,
                                               &process, sizeof(process), &length),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(length, sizeof(process));
    UT_EXPECT_STATUS(process.ExitStatus, STATUS_PENDING);
    UT_EXPECT(process.AffinityMask != 0);
    UT_EXPECT_EQ(process.BasePriority, 8);
    UT_EXPECT(process.UniqueProcessId != 0);
    UT_EXPECT(process.UniqueProcessId % 4 == 0);
    UT_EXPECT(process.InheritedFromUniqueProcessId != 0);
    // The thread query names the same process.
    UT_EXPECT_STATUS(NtQueryInformationThread(NtCurrentThread(), ThreadBasicInformation, &thread,
                                              sizeof(thread), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ((ULONG_PTR)thread.ClientId.UniqueProcess, process.UniqueProcessId);
}

UTEST(ThreadBasicInformationDescribesTheCaller)
{
    THREAD_BASIC_INFORMATION thread;
    ULONG length = 0;

    UT_EXPECT_STATUS(NtQueryInformationThread(NtCurrentThread(), ThreadBasicInformation, &thread,
                                              sizeof(thread), &length),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(length, sizeof(thread));
    UT_EXPECT_STATUS(thread.ExitStatus, STATUS_PENDING);
    UT_EXPECT(thread.ClientId.UniqueThread != NULL);
    UT_EXPECT((ULONG_PTR)thread.ClientId.UniqueThread % 4 == 0);
    UT_EXPECT(thread.AffinityMask != 0);
    UT_EXPECT(thread.BasePriority == 8);
    UT_EXPECT(thread.Priority >= thread.BasePriority);
}

UTEST(QueryInformationWithoutReturnLengthSucceeds)
{
    PROCESS_BASIC_INFORMATION process;
    THREAD_BASIC_INFORMATION thread;

    UT_EXPECT_STATUS(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation,
                                               &process, sizeof(process), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryInformationThread(NtCurrentThread(), ThreadBasicInformation, &thread,
                                              sizeof(thread), NULL),
                     STATUS_SUCCESS);
}

UTEST(QueryInformationWithAWrongLengthIsALengthMismatch)
{
    PROCESS_BASIC_INFORMATION process[2];
    THREAD_BASIC_INFORMATION thread[2];
    ULONG lengths[] = {0, sizeof(process[0]) - 8, sizeof(process[0]) + 8};

    for (ULONG i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        UT_EXPECT_STATUS(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation,
                                                   process, lengths[i], NULL),
                         STATUS_INFO_LENGTH_MISMATCH);
    }
    UT_EXPECT_STATUS(NtQueryInformationThread(NtCurrentThread(), ThreadBasicInformation, thread,
                                              sizeof(thread[0]) - 8, NULL),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtQueryInformationThread(NtCurrentThread(), ThreadBasicInformation, thread,
                                              sizeof(thread), NULL),
                     STATUS_INFO_LENGTH_MISMATCH);
    // The length is checked before the handle.
    UT_EXPECT_STATUS(NtQueryInformationProcess(BOGUS_HANDLE, ProcessBasicInformation, process, 4,
                                               NULL),
                     STATUS_INFO_LENGTH_MISMATCH);
}

UTEST(QueryInformationWithAnUnknownClassIsAnInvalidInfoClass)
{
    PROCESS_BASIC_INFORMATION process;
    THREAD_BASIC_INFORMATION thread;

    UT_EXPECT_STATUS(NtQueryInformationProcess(NtCurrentProcess(), (PROCESSINFOCLASS)1, &process,
                                               sizeof(process), NULL),
                     STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtQueryInformationThread(NtCurrentThread(), (THREADINFOCLASS)99, &thread,
                                              sizeof(thread), NULL),
                     STATUS_INVALID_INFO_CLASS);
    // The class is checked before the handle.
    UT_EXPECT_STATUS(NtQueryInformationThread(BOGUS_HANDLE, (THREADINFOCLASS)99, &thread,
                                              sizeof(thread), NULL),
                     STATUS_INVALID_INFO_CLASS);
}

UTEST(QueryInformationWithBadPointersFails)
{
    PROCESS_BASIC_INFORMATION process[2];
    THREAD_BASIC_INFORMATION thread;
    ULONG length;

    UT_EXPECT_STATUS(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation,
                                               UT_BAD_POINTER, sizeof(process[0]), NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation,
                                               UT_KERNEL_POINTER, sizeof(process[0]), NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation,
                                               process, sizeof(process[0]), UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation,
                                               process, sizeof(process[0]), UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation,
                                               (UCHAR *)process + 2, sizeof(process[0]), NULL),
                     STATUS_DATATYPE_MISALIGNMENT);
    UT_EXPECT_STATUS(NtQueryInformationThread(NtCurrentThread(), ThreadBasicInformation,
                                              UT_BAD_POINTER, sizeof(thread), NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryInformationThread(NtCurrentThread(), ThreadBasicInformation,
                                              UT_KERNEL_POINTER, sizeof(thread), NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryInformationThread(NtCurrentThread(), ThreadBasicInformation, &thread,
                                              sizeof(thread), UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryInformationThread(NtCurrentThread(), ThreadBasicInformation, &thread,
                                              sizeof(thread), UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryInformationThread(NtCurrentThread(), ThreadBasicInformation, &thread,
                                              sizeof(thread), (PULONG)((UCHAR *)&length + 1)),
                     STATUS_DATATYPE_MISALIGNMENT);
}

UTEST(QueryInformationWithTheWrongHandleFails)
{
    PROCESS_BASIC_INFORMATION process;
    THREAD_BASIC_INFORMATION thread;

    UT_EXPECT_STATUS(NtQueryInformationProcess(NtCurrentThread(), ProcessBasicInformation,
                                               &process, sizeof(process), NULL),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtQueryInformationThread(NtCurrentProcess(), ThreadBasicInformation, &thread,
                                              sizeof(thread), NULL),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtQueryInformationProcess(BOGUS_HANDLE, ProcessBasicInformation, &process,
                                               sizeof(process), NULL),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtQueryInformationThread(NULL, ThreadBasicInformation, &thread,
                                              sizeof(thread), NULL),
                     STATUS_INVALID_HANDLE);
}

UTEST(SystemBasicInformationDescribesTheMachine)
{
    SYSTEM_BASIC_INFORMATION basic;
    ULONG length = 0;

    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemBasicInformation, &basic, sizeof(basic),
                                              &length),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(length, sizeof(basic));
    UT_EXPECT_EQ(basic.PageSize, 4096);
    UT_EXPECT_EQ(basic.TimerResolution, 156250);
    UT_EXPECT_EQ(basic.AllocationGranularity, 0x10000);
    UT_EXPECT_EQ(basic.MinimumUserModeAddress, 0x10000);
    UT_EXPECT_EQ(basic.MaximumUserModeAddress, 0x00007FFFFFFEFFFFULL);
    UT_EXPECT(basic.NumberOfProcessors >= 1);
    UT_EXPECT_EQ(basic.ActiveProcessorsAffinityMask,
                 (1ULL << basic.NumberOfProcessors) - 1);
    // The PEB says the same (critical sections' spin counts read it there).
    UT_EXPECT_EQ(NtCurrentPeb()->NumberOfProcessors, (ULONG)basic.NumberOfProcessors);
    UT_EXPECT(basic.NumberOfPhysicalPages > 0);
    UT_EXPECT(basic.HighestPhysicalPageNumber >= basic.LowestPhysicalPageNumber);
}

UTEST(SystemBasicInformationErrorsComeInNtOrder)
{
    SYSTEM_BASIC_INFORMATION basic[2];
    ULONG length = 0;

    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemBasicInformation, basic, sizeof(basic[0]) - 4,
                                              &length),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_EQ(length, sizeof(basic[0]));
    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemBasicInformation, basic, sizeof(basic), NULL),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtQuerySystemInformation((SYSTEM_INFORMATION_CLASS)77, basic,
                                              sizeof(basic[0]), NULL),
                     STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemBasicInformation, UT_BAD_POINTER,
                                              sizeof(basic[0]), NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemBasicInformation, UT_KERNEL_POINTER,
                                              sizeof(basic[0]), NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemBasicInformation, basic, sizeof(basic[0]),
                                              UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemBasicInformation, basic, sizeof(basic[0]),
                                              UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemBasicInformation, (UCHAR *)basic + 1,
                                              sizeof(basic[0]), NULL),
                     STATUS_DATATYPE_MISALIGNMENT);
}

// The entry of process `id` in a process list, or NULL.
static SYSTEM_PROCESS_INFORMATION *FindProcess(SYSTEM_PROCESS_INFORMATION *first, ULONG_PTR id)
{
    SYSTEM_PROCESS_INFORMATION *entry = first;

    for (;;) {
        if ((ULONG_PTR)entry->UniqueProcessId == id)
            return entry;
        if (!entry->NextEntryOffset)
            return NULL;
        entry = (SYSTEM_PROCESS_INFORMATION *)((UCHAR *)entry + entry->NextEntryOffset);
    }
}

static BOOLEAN NameIs(const UNICODE_STRING *name, const char *expected)
{
    size_t length = strlen(expected);

    if (name->Length != length * sizeof(WCHAR) || name->MaximumLength < name->Length)
        return FALSE;
    for (size_t i = 0; i < length; i++) {
        if (name->Buffer[i] != (WCHAR)expected[i])
            return FALSE;
    }
    return TRUE;
}

UTEST(ProcessListHoldsIdleSystemAndTheCaller)
{
    SYSTEM_PROCESS_INFORMATION *first = (SYSTEM_PROCESS_INFORMATION *)ProcessList;
    SYSTEM_PROCESS_INFORMATION *entry, *self, *parent;
    PROCESS_BASIC_INFORMATION process;
    THREAD_BASIC_INFORMATION thread;
    ULONG length = 0, total = 0;

    UT_EXPECT_STATUS(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation,
                                               &process, sizeof(process), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryInformationThread(NtCurrentThread(), ThreadBasicInformation, &thread,
                                              sizeof(thread), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemProcessInformation, ProcessList,
                                              sizeof(ProcessList), &length),
                     STATUS_SUCCESS);
    UT_EXPECT(length > sizeof(*first) && length <= sizeof(ProcessList));

    // Idle comes first, with no name; every entry lies inside what was
    // returned, 8-byte aligned, its threads and name inside it.
    UT_EXPECT(first->UniqueProcessId == 0);
    UT_EXPECT(first->ImageName.Length == 0 && first->ImageName.Buffer == NULL);
    UT_EXPECT(first->NumberOfThreads >= 1);
    for (entry = first;; entry = (SYSTEM_PROCESS_INFORMATION *)((UCHAR *)entry +
                                                                  entry->NextEntryOffset)) {
        ULONG offset = (ULONG)((UCHAR *)entry - (UCHAR *)first);
        ULONG minimum = sizeof(*entry) + entry->NumberOfThreads * sizeof(entry->Threads[0]);

        UT_EXPECT(offset % 8 == 0);
        UT_EXPECT(offset + minimum <= length);
        if (entry->NextEntryOffset)
            UT_EXPECT(entry->NextEntryOffset >= minimum + entry->ImageName.MaximumLength);
        if (entry->ImageName.Buffer) {
            UT_EXPECT((UCHAR *)entry->ImageName.Buffer >=
                      (UCHAR *)&entry->Threads[entry->NumberOfThreads]);
            UT_EXPECT((UCHAR *)entry->ImageName.Buffer + entry->ImageName.MaximumLength <=
                      (UCHAR *)first + length);
            UT_EXPECT(entry->ImageName.Buffer[entry->ImageName.Length / 2] == 0);
        }
        total++;
        if (!entry->NextEntryOffset || UtCurrentFailed || total > 1000)
            break;
    }
    UT_EXPECT(total >= 3);

    entry = FindProcess(first, 4);
    UT_EXPECT(entry != NULL);
    if (entry)
        UT_EXPECT(NameIs(&entry->ImageName, "System"));

    self = FindProcess(first, process.UniqueProcessId);
    UT_EXPECT(self != NULL);
    if (self) {
        UT_EXPECT(NameIs(&self->ImageName, "tquery.exe"));
        UT_EXPECT_EQ(self->NumberOfThreads, 1);
        UT_EXPECT_EQ((ULONG_PTR)self->InheritedFromUniqueProcessId,
                     process.InheritedFromUniqueProcessId);
        UT_EXPECT_EQ(self->BasePriority, 8);
        UT_EXPECT(self->HandleCount == 0 || self->HandleCount < 1000);
        UT_EXPECT(self->Threads[0].ClientId.UniqueThread == thread.ClientId.UniqueThread);
        UT_EXPECT(self->Threads[0].ClientId.UniqueProcess == thread.ClientId.UniqueProcess);
        UT_EXPECT_EQ(self->Threads[0].ThreadState, 2);     // Running: it is the caller
        UT_EXPECT_EQ(self->Threads[0].BasePriority, thread.BasePriority);
    }
    // The parent named in the process's basic information is listed too.
    parent = FindProcess(first, process.InheritedFromUniqueProcessId);
    UT_EXPECT(parent != NULL);
}

UTEST(ProcessListInATooSmallBufferSaysHowMuchItNeeds)
{
    ULONG needed = 0, again = 0, length = 0;

    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemProcessInformation, ProcessList, 16, &needed),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT(needed > 16 && needed <= sizeof(ProcessList));
    // No buffer at all is a way to ask for the size.
    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemProcessInformation, NULL, 0, &again),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT(again > sizeof(SYSTEM_PROCESS_INFORMATION));
    // System threads come and go, so the size may change between calls; what
    // a successful call reports is what it wrote.
    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemProcessInformation, ProcessList,
                                              sizeof(ProcessList), &length),
                     STATUS_SUCCESS);
    UT_EXPECT(length > sizeof(SYSTEM_PROCESS_INFORMATION) && length <= sizeof(ProcessList));
}

UTEST(ProcessListWithBadPointersFails)
{
    ULONG length;

    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemProcessInformation, UT_BAD_POINTER, 4096,
                                              NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemProcessInformation, UT_KERNEL_POINTER, 4096,
                                              NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemProcessInformation, ProcessList,
                                              sizeof(ProcessList), UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemProcessInformation, ProcessList,
                                              sizeof(ProcessList), UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemProcessInformation, (UCHAR *)ProcessList + 2,
                                              4096, &length),
                     STATUS_DATATYPE_MISALIGNMENT);
}

UTEST(SystemTimeMovesForward)
{
    LARGE_INTEGER first, second, interval = UtMilliseconds(20);

    UT_EXPECT_STATUS(NtQuerySystemTime(&first), STATUS_SUCCESS);
    UT_EXPECT(first.QuadPart > 0);
    UT_EXPECT_STATUS(NtDelayExecution(FALSE, &interval), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQuerySystemTime(&second), STATUS_SUCCESS);
    UT_EXPECT(second.QuadPart >= first.QuadPart + 20 * 10000);
    UT_EXPECT_STATUS(NtQuerySystemTime(UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySystemTime(UT_KERNEL_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySystemTime((PLARGE_INTEGER)((UCHAR *)&first + 2)),
                     STATUS_DATATYPE_MISALIGNMENT);
}

UTEST(PerformanceCounterCountsAtItsFrequency)
{
    LARGE_INTEGER first, second, frequency = {0};

    UT_EXPECT_STATUS(NtQueryPerformanceCounter(&first, &frequency), STATUS_SUCCESS);
    UT_EXPECT(frequency.QuadPart > 0);
    // The frequency is optional.
    UT_EXPECT_STATUS(NtQueryPerformanceCounter(&second, NULL), STATUS_SUCCESS);
    UT_EXPECT(second.QuadPart > first.QuadPart);
}

UTEST(PerformanceCounterWithBadPointersFails)
{
    LARGE_INTEGER counter, frequency;

    UT_EXPECT_STATUS(NtQueryPerformanceCounter(UT_BAD_POINTER, &frequency),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryPerformanceCounter(UT_KERNEL_POINTER, NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryPerformanceCounter(NULL, NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryPerformanceCounter(&counter, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryPerformanceCounter(&counter, UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
}

UTEST(YieldSucceedsOrSaysNoOneElseWasReady)
{
    NTSTATUS status = NtYieldExecution();

    UT_EXPECT(status == STATUS_SUCCESS || status == STATUS_NO_YIELD_PERFORMED);
}

// The caller's entry in a fresh process list, or NULL.
static SYSTEM_PROCESS_INFORMATION *QueryProcess(ULONG_PTR id)
{
    if (!NT_SUCCESS(NtQuerySystemInformation(SystemProcessInformation, ProcessList,
                                             sizeof(ProcessList), NULL)))
        return NULL;
    return FindProcess((SYSTEM_PROCESS_INFORMATION *)ProcessList, id);
}

// The TokenSessionId of a process's primary token.
static ULONG TokenSession(HANDLE process)
{
    HANDLE token = NULL;
    ULONG sessionId = 0xFFFFFFFF, length = 0;

    if (!NT_SUCCESS(NtOpenProcessToken(process, TOKEN_QUERY, &token)))
        return 0xFFFFFFFE;
    if (!NT_SUCCESS(NtQueryInformationToken(token, TokenSessionId, &sessionId,
                                            sizeof(sessionId), &length)) ||
        length != sizeof(ULONG))
        sessionId = 0xFFFFFFFD;
    NtClose(token);
    return sessionId;
}

// SystemSessionCreate, as NT's smss uses it for a logon: the caller moves
// to a new session, and the processes it then creates are in it too. The
// primary tokens follow their processes (the token's SessionId is its
// process's session).
UTEST(SessionCreateMovesTheCallerAndItsNewChildrenToANewSession)
{
    PROCESS_BASIC_INFORMATION self;
    SYSTEM_PROCESS_INFORMATION *entry;
    UNICODE_STRING image = UT_NAME(u"hello");
    CLIENT_ID child = {0, 0};
    HANDLE process = NULL;
    ULONG sessionId = 0, second = 0;

    UT_EXPECT_STATUS(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation,
                                               &self, sizeof(self), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetSystemInformation(SystemSessionCreate, &sessionId, sizeof(sessionId)),
                     STATUS_SUCCESS);
    UT_EXPECT(sessionId >= 1);
    entry = QueryProcess(self.UniqueProcessId);
    UT_EXPECT(entry != NULL && entry->SessionId == sessionId);
    UT_EXPECT_EQ(TokenSession(NtCurrentProcess()), sessionId);
    UT_EXPECT_STATUS(NtCreateProcessFromArchive(&process, NULL, PROCESS_ALL_ACCESS, 0, NULL,
                                                &image, NULL, PROCESS_CREATE_FLAGS_SUSPENDED,
                                                &child),
                     STATUS_SUCCESS);
    entry = QueryProcess((ULONG_PTR)child.UniqueProcess);
    UT_EXPECT(entry != NULL && entry->SessionId == sessionId);
    UT_EXPECT_EQ(TokenSession(process), sessionId);
    // Another logon: a session of its own; the child stays where it was made.
    UT_EXPECT_STATUS(NtSetSystemInformation(SystemSessionCreate, &second, sizeof(second)),
                     STATUS_SUCCESS);
    UT_EXPECT(second != sessionId && second >= 1);
    entry = QueryProcess((ULONG_PTR)child.UniqueProcess);
    UT_EXPECT(entry != NULL && entry->SessionId == sessionId);
    UT_EXPECT_EQ(TokenSession(process), sessionId);
    UT_EXPECT_EQ(TokenSession(NtCurrentProcess()), second);
    UT_EXPECT_STATUS(NtTerminateProcess(process, STATUS_SUCCESS), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(process), STATUS_SUCCESS);
}

UTEST(SessionCreateRefusesBadArguments)
{
    ULONG sessionId[2];

    UT_EXPECT_STATUS(NtSetSystemInformation(SystemSessionCreate, sessionId, 0),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtSetSystemInformation(SystemSessionCreate, sessionId, sizeof(sessionId)),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtSetSystemInformation(SystemSessionCreate, UT_KERNEL_POINTER,
                                            sizeof(ULONG)),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtSetSystemInformation(SystemSessionCreate, UT_BAD_POINTER, sizeof(ULONG)),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtSetSystemInformation(SystemSessionCreate, (UCHAR *)sessionId + 1,
                                            sizeof(ULONG)),
                     STATUS_DATATYPE_MISALIGNMENT);
    UT_EXPECT_STATUS(NtSetSystemInformation(SystemBasicInformation, sessionId, sizeof(ULONG)),
                     STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtSetSystemInformation((SYSTEM_INFORMATION_CLASS)0x80000000, sessionId,
                                            sizeof(ULONG)),
                     STATUS_INVALID_INFO_CLASS);
}

static const UTEST Tests[] = {
    UT_ENTRY(ProcessBasicInformationDescribesTheCaller),
    UT_ENTRY(ThreadBasicInformationDescribesTheCaller),
    UT_ENTRY(QueryInformationWithoutReturnLengthSucceeds),
    UT_ENTRY(QueryInformationWithAWrongLengthIsALengthMismatch),
    UT_ENTRY(QueryInformationWithAnUnknownClassIsAnInvalidInfoClass),
    UT_ENTRY(QueryInformationWithBadPointersFails),
    UT_ENTRY(QueryInformationWithTheWrongHandleFails),
    UT_ENTRY(SystemBasicInformationDescribesTheMachine),
    UT_ENTRY(SystemBasicInformationErrorsComeInNtOrder),
    UT_ENTRY(ProcessListHoldsIdleSystemAndTheCaller),
    UT_ENTRY(ProcessListInATooSmallBufferSaysHowMuchItNeeds),
    UT_ENTRY(ProcessListWithBadPointersFails),
    UT_ENTRY(SystemTimeMovesForward),
    UT_ENTRY(PerformanceCounterCountsAtItsFrequency),
    UT_ENTRY(PerformanceCounterWithBadPointersFails),
    UT_ENTRY(YieldSucceedsOrSaysNoOneElseWasReady),
    UT_ENTRY(SessionCreateMovesTheCallerAndItsNewChildrenToANewSession),
    UT_ENTRY(SessionCreateRefusesBadArguments),
};

int main(void)
{
    return UT_RUN_ALL("tquery", Tests);
}

