// User-mode tests of processes: the PEB and its command line,
// NtCreateProcessFromArchive (every pointer, on the stack or not),
// NtOpenProcess and NtTerminateProcess on another process. The program is
// its own child: its command line says what a child does ("tprocess exit
// N" returns N, "tprocess sleep" suspends itself for good, "tprocess fault"
// faults while a second thread waits).

#include "tests/user/utest.h"

#define SPIN_LIMIT 20000000L
#define TEST_HANDLE_NEVER_OPENED ((HANDLE)(ULONG_PTR)0xFFC)

static PEB *CurrentPeb(void)
{
    return NtCurrentTeb()->ProcessEnvironmentBlock;
}

static NTSTATUS StartChild(const WCHAR *commandLine, ULONG flags, PHANDLE process,
                           PHANDLE thread, PCLIENT_ID cid)
{
    UNICODE_STRING image = UT_NAME(u"tprocess");
    UNICODE_STRING line;

    RtlInitUnicodeString(&line, commandLine);
    return NtCreateProcessFromArchive(process, thread, PROCESS_ALL_ACCESS, THREAD_ALL_ACCESS,
                                      NULL, &image, &line, flags, cid);
}

// A process that has ended (or is ending) can no longer get threads: the
// way to see it went, without a wait.
static BOOLEAN SpinUntilProcessEnded(HANDLE process)
{
    for (long i = 0; i < SPIN_LIMIT / 100; i++) {
        HANDLE thread;
        NTSTATUS status = NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, NULL, process,
                                           (PVOID)0x1, NULL, THREAD_CREATE_FLAGS_CREATE_SUSPENDED,
                                           0, 0, 0, NULL);

        if (status == STATUS_PROCESS_IS_TERMINATING)
            return TRUE;
        if (NT_SUCCESS(status)) {
            // Closed at once: a slow machine spins long, and the handles
            // left open would reach the ones the tests expect unused.
            NtTerminateThread(thread, 0);
            NtClose(thread);
        }
    }
    return FALSE;
}

UTEST(PebHasTheImageAndTheCommandLine)
{
    PEB *peb = CurrentPeb();
    UNICODE_STRING expected = UT_NAME(u"tprocess.exe");

    UT_EXPECT(peb != NULL);
    UT_EXPECT_EQ((ULONG_PTR)peb->ImageBaseAddress, 0x400000);
    UT_EXPECT(peb->ProcessParameters != NULL);
    UT_EXPECT(RtlCompareUnicodeString(&peb->ProcessParameters->ImagePathName, &expected,
                                      FALSE) == 0);
    // Started by the kernel without a command line: the image name.
    UT_EXPECT(RtlCompareUnicodeString(&peb->ProcessParameters->CommandLine, &expected,
                                      FALSE) == 0);
    UT_EXPECT_EQ(peb->ProcessParameters->CommandLine.Buffer[expected.Length / 2], 0);
}

UTEST(ChildStartsAndEndsByItself)
{
    HANDLE process, thread;
    CLIENT_ID cid = {0};

    UT_EXPECT_STATUS(StartChild(u"tprocess exit 7", 0, &process, &thread, &cid),
                     STATUS_SUCCESS);
    UT_EXPECT(cid.UniqueProcess != NULL && cid.UniqueThread != NULL);
    UT_EXPECT(cid.UniqueProcess != NtCurrentTeb()->ClientId.UniqueProcess);
    UT_EXPECT(SpinUntilProcessEnded(process));
}

UTEST(KillingAnotherProcessEndsItInItsWait)
{
    HANDLE process, thread;
    NTSTATUS status;

    UT_EXPECT_STATUS(StartChild(u"tprocess sleep", 0, &process, NULL, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtTerminateProcess(process, 0x1234), STATUS_SUCCESS);
    // Refused only once its thread has ended (which depends on who ran
    // first); until then its thread is told again.
    status = NtTerminateProcess(process, 0x1234);
    UT_EXPECT(status == STATUS_SUCCESS || status == STATUS_PROCESS_IS_TERMINATING);
    UT_EXPECT(SpinUntilProcessEnded(process));
    // A suspended child ends as well; its thread never ran.
    UT_EXPECT_STATUS(StartChild(u"tprocess exit 1", PROCESS_CREATE_FLAGS_SUSPENDED, &process,
                                &thread, NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtTerminateProcess(process, 0x4321), STATUS_SUCCESS);
    UT_EXPECT(SpinUntilProcessEnded(process));
}

UTEST(SuspendedChildRunsOnceResumed)
{
    HANDLE process, thread;
    ULONG previous = 0;

    UT_EXPECT_STATUS(StartChild(u"tprocess exit 0", PROCESS_CREATE_FLAGS_SUSPENDED, &process,
                                &thread, NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtResumeThread(thread, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 1);
    UT_EXPECT(SpinUntilProcessEnded(process));
}

UTEST(CreateProcessErrorPaths)
{
    HANDLE process, thread;
    CLIENT_ID cid;
    UNICODE_STRING image = UT_NAME(u"tprocess");
    UNICODE_STRING line = UT_NAME(u"tprocess exit 0");
    UNICODE_STRING missing = UT_NAME(u"nosuchprogram");
    UNICODE_STRING odd = UT_NAME(u"tprocess");
    UNICODE_STRING unmapped = {8, 8, UT_BAD_POINTER};
    UNICODE_STRING name = UT_NAME(u"\\BaseNamedObjects\\child");
    OBJECT_ATTRIBUTES attributes;

    odd.Length = 3;
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
#define CREATE(ph, th, oa, img, cl, fl, ci)                                                \
    NtCreateProcessFromArchive(ph, th, PROCESS_ALL_ACCESS, THREAD_ALL_ACCESS, oa, img, cl, fl, ci)
    UT_EXPECT_STATUS(CREATE(UT_BAD_POINTER, &thread, NULL, &image, &line, 0, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(CREATE(UT_KERNEL_POINTER, &thread, NULL, &image, &line, 0, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(CREATE(&process, UT_BAD_POINTER, NULL, &image, &line, 0, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(CREATE(&process, UT_KERNEL_POINTER, NULL, &image, &line, 0, NULL),
                     STATUS_ACCESS_VIOLATION);
    // The fifth to ninth arguments travel on the stack.
    UT_EXPECT_STATUS(CREATE(&process, &thread, UT_BAD_POINTER, &image, &line, 0, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(CREATE(&process, &thread, UT_KERNEL_POINTER, &image, &line, 0, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(CREATE(&process, &thread, NULL, UT_BAD_POINTER, &line, 0, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(CREATE(&process, &thread, NULL, UT_KERNEL_POINTER, &line, 0, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(CREATE(&process, &thread, NULL, &unmapped, &line, 0, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(CREATE(&process, &thread, NULL, &image, UT_BAD_POINTER, 0, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(CREATE(&process, &thread, NULL, &image, UT_KERNEL_POINTER, 0, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(CREATE(&process, &thread, NULL, &image, &unmapped, 0, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(CREATE(&process, &thread, NULL, &image, &line, 0, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(CREATE(&process, &thread, NULL, &image, &line, 0, UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(CREATE(&process, &thread, NULL, &image, &line, 0,
                            (PCLIENT_ID)((ULONG_PTR)&cid + 4)),
                     STATUS_DATATYPE_MISALIGNMENT);
    UT_EXPECT_STATUS(CREATE(&process, &thread, NULL, &image, &line, 0x100, NULL),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(CREATE(&process, &thread, NULL, NULL, &line, 0, NULL),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(CREATE(&process, &thread, NULL, &odd, &line, 0, NULL),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(CREATE(&process, &thread, &attributes, &image, &line, 0, NULL),
                     STATUS_OBJECT_NAME_INVALID);
    UT_EXPECT_STATUS(CREATE(&process, &thread, NULL, &missing, &line, 0, NULL),
                     STATUS_OBJECT_NAME_NOT_FOUND);
#undef CREATE
}

UTEST(OpenProcessByClientId)
{
    HANDLE process, child;
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING name = UT_NAME(u"\\tprocess");
    CLIENT_ID self = NtCurrentTeb()->ClientId;
    CLIENT_ID cid, childCid;

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtOpenProcess(&process, PROCESS_ALL_ACCESS, &attributes, &self),
                     STATUS_SUCCESS);
    cid = self;
    cid.UniqueThread = NULL;
    UT_EXPECT_STATUS(NtOpenProcess(&process, PROCESS_ALL_ACCESS, &attributes, &cid),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenProcess(UT_BAD_POINTER, PROCESS_ALL_ACCESS, &attributes, &cid),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtOpenProcess(&process, PROCESS_ALL_ACCESS, UT_KERNEL_POINTER, &cid),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtOpenProcess(&process, PROCESS_ALL_ACCESS, &attributes, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtOpenProcess(&process, PROCESS_ALL_ACCESS, &attributes, NULL),
                     STATUS_INVALID_PARAMETER_MIX);
    attributes.ObjectName = &name;
    UT_EXPECT_STATUS(NtOpenProcess(&process, PROCESS_ALL_ACCESS, &attributes, &cid),
                     STATUS_INVALID_PARAMETER_MIX);
    attributes.ObjectName = NULL;
    // A thread id is not a process id; a thread of another process is no match.
    cid.UniqueProcess = self.UniqueThread;
    UT_EXPECT_STATUS(NtOpenProcess(&process, PROCESS_ALL_ACCESS, &attributes, &cid),
                     STATUS_INVALID_CID);
    cid.UniqueProcess = (HANDLE)(ULONG_PTR)0x7FFC;
    UT_EXPECT_STATUS(NtOpenProcess(&process, PROCESS_ALL_ACCESS, &attributes, &cid),
                     STATUS_INVALID_CID);
    cid.UniqueProcess = (HANDLE)(ULONG_PTR)4;   // System: the kernel's own
    UT_EXPECT_STATUS(NtOpenProcess(&process, PROCESS_ALL_ACCESS, &attributes, &cid),
                     STATUS_ACCESS_DENIED);
    // A child opened by its id can be ended through that handle only with
    // PROCESS_TERMINATE.
    UT_EXPECT_STATUS(StartChild(u"tprocess sleep", 0, &child, NULL, &childCid), STATUS_SUCCESS);
    cid = childCid;
    cid.UniqueThread = self.UniqueThread;
    UT_EXPECT_STATUS(NtOpenProcess(&process, PROCESS_ALL_ACCESS, &attributes, &cid),
                     STATUS_INVALID_CID);
    cid.UniqueThread = NULL;
    UT_EXPECT_STATUS(NtOpenProcess(&process, PROCESS_QUERY_INFORMATION, &attributes, &cid),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtTerminateProcess(process, 1), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtOpenProcess(&process, PROCESS_TERMINATE, &attributes, &cid),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtTerminateProcess(process, 2), STATUS_SUCCESS);
    UT_EXPECT(SpinUntilProcessEnded(child));
    // The ended child is a zombie while handles name it: still there by id.
    UT_EXPECT_STATUS(NtOpenProcess(&process, PROCESS_QUERY_INFORMATION, &attributes, &cid),
                     STATUS_SUCCESS);
}

UTEST(TerminateProcessErrorPaths)
{
    UT_EXPECT_STATUS(NtTerminateProcess(TEST_HANDLE_NEVER_OPENED, 1), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtTerminateProcess(NtCurrentThread(), 1), STATUS_OBJECT_TYPE_MISMATCH);
    // NULL: every other thread of ours (there are none), and we go on.
    UT_EXPECT_STATUS(NtTerminateProcess(NULL, 1), STATUS_SUCCESS);
}

static const UTEST Tests[] = {
    UT_ENTRY(PebHasTheImageAndTheCommandLine),
    UT_ENTRY(ChildStartsAndEndsByItself),
    UT_ENTRY(KillingAnotherProcessEndsItInItsWait),
    UT_ENTRY(SuspendedChildRunsOnceResumed),
    UT_ENTRY(CreateProcessErrorPaths),
    UT_ENTRY(OpenProcessByClientId),
    UT_ENTRY(TerminateProcessErrorPaths),
};

static NTSTATUS NTAPI SleepForever(PVOID argument)
{
    NtSuspendThread(NtCurrentThread(), NULL);
    return 97;
}

int main(void)
{
    char line[64];

    UtCommandLineText(line, sizeof(line));
    if (!strncmp(line, "tprocess exit ", 14))
        return line[14] - '0';
    if (!strcmp(line, "tprocess sleep")) {
        NtSuspendThread(NtCurrentThread(), NULL);
        return 99;
    }
    if (!strcmp(line, "tprocess fault")) {
        HANDLE thread;

        NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                         (PVOID)SleepForever, NULL, 0, 0, 0, 0, NULL);
        volatile int *unmapped = UT_BAD_POINTER;

        __asm__ volatile("" : "+r"(unmapped));     // hide the constant from the compiler
        *unmapped = 1;
        return 98;
    }
    return UT_RUN_ALL("tprocess", Tests);
}
