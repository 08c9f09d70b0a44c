// In-kernel tests of user mode: a thread entered in ring 3 makes system
// calls, ends its process with a status, and a fault or a bad pointer in
// user mode costs the process (or the call), never the system. The user
// programs are a few instructions of machine code, spelled out below.

#include "tests/kernel/ktest.h"
#include "tests/kernel/test_dispatcher.h"
#include "ex/services.h"
#include "ps/ps.h"
#include "mm/mm.h"
#include "tests/kernel/ktuser.h"

#define KT_CODE_BASE   0x400000ULL
#define KT_DATA_BASE   0x500000ULL
#define KT_STACK_TOP   0x800000ULL
#define KT_STACK_SIZE  (2 * PAGE_SIZE)
#define KT_EXIT_STATUS 0x1234

// mov r10, -1 / mov edx, KT_EXIT_STATUS / mov eax, NtTerminateProcess / syscall / ud2
static const UCHAR KtExitWithStatus[] = {
    0x49, 0xC7, 0xC2, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBA, KT_EXIT_STATUS & 0xFF, KT_EXIT_STATUS >> 8, 0x00, 0x00,
    0xB8, SERVICE_NtTerminateProcess, 0x00, 0x00, 0x00,
    0x0F, 0x05,
    0x0F, 0x0B,
};

// mov rax, [0x1000] / ud2
static const UCHAR KtTouchUnmapped[] = {
    0x48, 0x8B, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00,
    0x0F, 0x0B,
};

// Calls service eax = SERVICE with r10 = ARGUMENT (patched in below), then
// ends the process with what the call returned:
// mov r10, imm64 / mov eax, imm32 / syscall / mov rdx, rax /
// mov r10, -1 / mov eax, NtTerminateProcess / syscall / ud2
#define KT_CALL_ARGUMENT_OFFSET 2
#define KT_CALL_SERVICE_OFFSET  11
static const UCHAR KtCallAndExitWithResult[] = {
    0x49, 0xBA, 0, 0, 0, 0, 0, 0, 0, 0,
    0xB8, 0, 0x00, 0x00, 0x00,
    0x0F, 0x05,
    0x48, 0x89, 0xC2,
    0x49, 0xC7, 0xC2, 0xFF, 0xFF, 0xFF, 0xFF,
    0xB8, SERVICE_NtTerminateProcess, 0x00, 0x00, 0x00,
    0x0F, 0x05,
    0x0F, 0x0B,
};

static PFN_NUMBER KtUserPages(void)
{
    MM_STATISTICS stats;

    MmQueryStatistics(&stats);
    return stats.PagesByUsage[MmUsageUserPage];
}

// Runs `code` as a one-thread user process (with a data page that
// `data`, if given, fills) and returns its exit status, or a status that
// says the test could not run it.
static NTSTATUS KtRunUserCode(const UCHAR *code, SIZE_T codeSize, const void *data,
                              SIZE_T dataSize)
{
    EPROCESS *process = NULL;
    ETHREAD *thread = NULL;
    NTSTATUS status;
    ULONG64 space;

    status = PspCreateProcess("ktuser.exe", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                              &process);
    if (!NT_SUCCESS(status))
        return status;
    space = process->Pcb.DirectoryTableBase;
    status = MmAllocateUserMemory(space, KT_CODE_BASE, codeSize, PAGE_EXECUTE_READ);
    if (NT_SUCCESS(status))
        status = MmAllocateUserMemory(space, KT_DATA_BASE, PAGE_SIZE, PAGE_READWRITE);
    if (NT_SUCCESS(status))
        status = MmAllocateUserMemory(space, KT_STACK_TOP - KT_STACK_SIZE, KT_STACK_SIZE,
                                      PAGE_READWRITE);
    if (NT_SUCCESS(status)) {
        memcpy(MmGetUserPageAddress(space, KT_CODE_BASE), code, codeSize);
        if (data)
            memcpy(MmGetUserPageAddress(space, KT_DATA_BASE), data, dataSize);
        status = PspCreateUserThread(process, (void *)KT_CODE_BASE, (void *)KT_STACK_TOP, NULL,
                                     &thread);
    }
    if (NT_SUCCESS(status)) {
        status = KtWait(&process->Pcb) == STATUS_WAIT_0 ? process->ExitStatus : STATUS_TIMEOUT;
        KtJoinThread(thread);
    }
    ObDereferenceObject(process);
    return status;
}

static NTSTATUS KtCallService(ULONG service, ULONG64 argument, const void *data,
                              SIZE_T dataSize)
{
    UCHAR code[sizeof(KtCallAndExitWithResult)];

    memcpy(code, KtCallAndExitWithResult, sizeof(code));
    memcpy(&code[KT_CALL_ARGUMENT_OFFSET], &argument, sizeof(argument));
    code[KT_CALL_SERVICE_OFFSET] = (UCHAR)service;
    return KtRunUserCode(code, sizeof(code), data, dataSize);
}

KTEST(UserProcessEndsWithTheStatusItPassedToNtTerminateProcess)
{
    PFN_NUMBER stacksBefore = KtKernelStackPages();
    PFN_NUMBER userBefore = KtUserPages();
    NTSTATUS exitStatus = KtRunUserCode(KtExitWithStatus, sizeof(KtExitWithStatus), NULL, 0);

    KT_EXPECT_EQ(exitStatus, KT_EXIT_STATUS);
    // Once the reaper has freed the thread, the process goes and with it
    // every page it had.
    KT_EXPECT(KtWaitForKernelStackPages(stacksBefore));
    KT_EXPECT_EQ(KtUserPages(), userBefore);
}

KTEST(UserFaultEndsTheProcessWithAccessViolationAndTheSystemGoesOn)
{
    NTSTATUS first = KtRunUserCode(KtTouchUnmapped, sizeof(KtTouchUnmapped), NULL, 0);
    NTSTATUS second = KtRunUserCode(KtExitWithStatus, sizeof(KtExitWithStatus), NULL, 0);

    KT_EXPECT_EQ(first, STATUS_ACCESS_VIOLATION);
    KT_EXPECT_EQ(second, KT_EXIT_STATUS);
}

KTEST(NtDisplayStringWithABadPointerReturnsAccessViolation)
{
    KT_EXPECT_EQ(KtCallService(SERVICE_NtDisplayString, 0xDEAD0000ULL, NULL, 0),
                 STATUS_ACCESS_VIOLATION);
    KT_EXPECT_EQ(KtCallService(SERVICE_NtDisplayString, (ULONG64)&KtUserPages, NULL, 0),
                 STATUS_ACCESS_VIOLATION);
}

KTEST(NtDisplayStringPrintsAStringFromUserMemory)
{
    static const char text[] = "NtDisplayString from user mode\n";
    struct {
        UNICODE_STRING String;
        WCHAR Buffer[sizeof(text)];
    } data;

    for (ULONG i = 0; i < sizeof(text); i++)
        data.Buffer[i] = (WCHAR)text[i];
    data.String.Length = (USHORT)((sizeof(text) - 1) * sizeof(WCHAR));
    data.String.MaximumLength = (USHORT)sizeof(data.Buffer);
    data.String.Buffer = (WCHAR *)(KT_DATA_BASE + offsetof(__typeof__(data), Buffer));
    KT_EXPECT_EQ(KtCallService(SERVICE_NtDisplayString, KT_DATA_BASE, &data, sizeof(data)),
                 STATUS_SUCCESS);
}

KTEST(UnknownSystemServiceNumberIsRefused)
{
    KT_EXPECT_EQ(KtCallService(SERVICE_COUNT + 40, 0, NULL, 0), STATUS_INVALID_SYSTEM_SERVICE);
}

KTEST(HelloFromTheBootArchiveRunsAndExitsWithStatusZero)
{
    EPROCESS *process = NULL;
    NTSTATUS status = PsStartUserProgram("hello", NULL, &process);
    NTSTATUS wait = NT_SUCCESS(status) ? KtWait(&process->Pcb) : status;
    NTSTATUS exitStatus = process ? process->ExitStatus : STATUS_UNSUCCESSFUL;

    if (process)
        ObDereferenceObject(process);
    KT_EXPECT_EQ(status, STATUS_SUCCESS);
    KT_EXPECT_EQ(wait, STATUS_WAIT_0);
    KT_EXPECT_EQ(exitStatus, STATUS_SUCCESS);
}

KTEST(ProgramMissingFromTheBootArchiveIsNotFound)
{
    EPROCESS *process = NULL;

    KT_EXPECT_EQ(PsStartUserProgram("nosuch", NULL, &process), STATUS_OBJECT_NAME_NOT_FOUND);
    KT_EXPECT(process == NULL);
}

KTEST(UserBasics)
{
    KtExpectUserTestsPass("tbasics");
}

KTEST(UserHeap)
{
    KtExpectUserTestsPass("theap");
}
