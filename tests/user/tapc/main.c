// User-mode tests of alerts and user-mode APCs: NtQueueApcThread,
// NtTestAlert, NtAlertThread, NtDelayExecution (alertable or not) and
// NtContinue, on the calling thread.

#include "tests/user/utest.h"

#define BOGUS_HANDLE ((HANDLE)(ULONG_PTR)0x1234)
#define ARGUMENT1 ((PVOID)0x1111111111111111ULL)
#define ARGUMENT2 ((PVOID)0x2222222222222222ULL)
#define ARGUMENT3 ((PVOID)0x3333333333333333ULL)

void TapcTestAlertKeepingRegisters(const ULONG64 in[12], ULONG64 out[14]);
ULONG64 TapcContinueHere(CONTEXT *context, ULONG eflags, ULONG64 rax);

// What the APC routines saw.
static int ApcCalls;
static PVOID ApcArguments[3];
static ULONG_PTR ApcFrameMisalignment;
static int ApcOrder[8];

static void NTAPI RecordApc(PVOID argument1, PVOID argument2, PVOID argument3)
{
    ApcArguments[0] = argument1;
    ApcArguments[1] = argument2;
    ApcArguments[2] = argument3;
    // NT's convention: 16-byte aligned at the call, so the frame pointer
    // (pushed just below the return address) is aligned again.
    ApcFrameMisalignment = (ULONG_PTR)__builtin_frame_address(0) & 15;
    ApcCalls++;
}

static void NTAPI RecordOrder(PVOID argument1, PVOID argument2, PVOID argument3)
{
    if (ApcCalls < 8)
        ApcOrder[ApcCalls] = (int)(ULONG_PTR)argument1;
    ApcCalls++;
}

static void ResetApcs(void)
{
    ApcCalls = 0;
    memset(ApcArguments, 0, sizeof(ApcArguments));
    memset(ApcOrder, 0, sizeof(ApcOrder));
    ApcFrameMisalignment = 0;
}

UTEST(ApcQueuedToSelfRunsOnTestAlertWithItsArguments)
{
    ResetApcs();
    UT_EXPECT_STATUS(NtQueueApcThread(NtCurrentThread(), RecordApc, ARGUMENT1, ARGUMENT2,
                                      ARGUMENT3),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(ApcCalls, 0);      // queued, not yet run
    UT_EXPECT_STATUS(NtTestAlert(), STATUS_SUCCESS);
    UT_EXPECT_EQ(ApcCalls, 1);
    UT_EXPECT(ApcArguments[0] == ARGUMENT1);
    UT_EXPECT(ApcArguments[1] == ARGUMENT2);
    UT_EXPECT(ApcArguments[2] == ARGUMENT3);
    UT_EXPECT_EQ(ApcFrameMisalignment, 0);
    // Delivered once: the queue is empty now.
    UT_EXPECT_STATUS(NtTestAlert(), STATUS_SUCCESS);
    UT_EXPECT_EQ(ApcCalls, 1);
}

UTEST(ApcsRunInTheOrderTheyWereQueued)
{
    ResetApcs();
    for (ULONG_PTR i = 1; i <= 4; i++) {
        UT_EXPECT_STATUS(NtQueueApcThread(NtCurrentThread(), RecordOrder, (PVOID)i, NULL, NULL),
                         STATUS_SUCCESS);
    }
    // One NtTestAlert runs them all: each APC's NtContinue delivers the next.
    UT_EXPECT_STATUS(NtTestAlert(), STATUS_SUCCESS);
    UT_EXPECT_EQ(ApcCalls, 4);
    for (int i = 0; i < 4; i++)
        UT_EXPECT_EQ(ApcOrder[i], i + 1);
}

UTEST(AlertableDelayRunsAQueuedApcAndReturnsUserApc)
{
    LARGE_INTEGER before, after, interval = UtMilliseconds(5000);

    ResetApcs();
    UT_EXPECT_STATUS(NtQueueApcThread(NtCurrentThread(), RecordApc, ARGUMENT1, ARGUMENT2,
                                      ARGUMENT3),
                     STATUS_SUCCESS);
    NtQuerySystemTime(&before);
    UT_EXPECT_STATUS(NtDelayExecution(TRUE, &interval), STATUS_USER_APC);
    NtQuerySystemTime(&after);
    UT_EXPECT_EQ(ApcCalls, 1);
    UT_EXPECT(ApcArguments[2] == ARGUMENT3);
    // It did not sleep out its five seconds.
    UT_EXPECT(after.QuadPart - before.QuadPart < 5000LL * 10000);
}

UTEST(NonAlertableDelayLeavesApcsQueued)
{
    LARGE_INTEGER interval = UtMilliseconds(20);

    ResetApcs();
    UT_EXPECT_STATUS(NtQueueApcThread(NtCurrentThread(), RecordApc, NULL, NULL, NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtDelayExecution(FALSE, &interval), STATUS_SUCCESS);
    UT_EXPECT_EQ(ApcCalls, 0);
    UT_EXPECT_STATUS(NtTestAlert(), STATUS_SUCCESS);
    UT_EXPECT_EQ(ApcCalls, 1);
}

UTEST(RegistersAndTheRedZoneSurviveAnApc)
{
    ULONG64 in[12], out[14];

    for (int i = 0; i < 12; i++)
        in[i] = 0x0123456789ab0000ULL + (ULONG64)i * 0x1111;
    memset(out, 0, sizeof(out));
    ResetApcs();
    UT_EXPECT_STATUS(NtQueueApcThread(NtCurrentThread(), RecordApc, ARGUMENT1, ARGUMENT2,
                                      ARGUMENT3),
                     STATUS_SUCCESS);
    TapcTestAlertKeepingRegisters(in, out);
    UT_EXPECT_EQ(ApcCalls, 1);
    for (int i = 0; i < 12; i++)
        UT_EXPECT_EQ(out[i], in[i]);
    UT_EXPECT_STATUS(out[12], STATUS_SUCCESS);
    UT_EXPECT_EQ(out[13], 0);
}

UTEST(AlertOnSelfEndsTheNextAlertableDelay)
{
    LARGE_INTEGER interval = UtMilliseconds(5000), shortInterval = UtMilliseconds(10);

    UT_EXPECT_STATUS(NtAlertThread(NtCurrentThread()), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtDelayExecution(TRUE, &interval), STATUS_ALERTED);
    // The alert is used up.
    UT_EXPECT_STATUS(NtDelayExecution(TRUE, &shortInterval), STATUS_SUCCESS);
}

UTEST(NonAlertableDelayIgnoresAnAlertAndKeepsIt)
{
    LARGE_INTEGER interval = UtMilliseconds(10);

    UT_EXPECT_STATUS(NtAlertThread(NtCurrentThread()), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtDelayExecution(FALSE, &interval), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtTestAlert(), STATUS_ALERTED);
    UT_EXPECT_STATUS(NtTestAlert(), STATUS_SUCCESS);
}

UTEST(AnAlertComesBeforeAQueuedApc)
{
    LARGE_INTEGER interval = UtMilliseconds(5000);

    ResetApcs();
    UT_EXPECT_STATUS(NtQueueApcThread(NtCurrentThread(), RecordApc, NULL, NULL, NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlertThread(NtCurrentThread()), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtDelayExecution(TRUE, &interval), STATUS_ALERTED);
    UT_EXPECT_EQ(ApcCalls, 0);
    // NtTestAlert clears no alert now, so it delivers the APC.
    UT_EXPECT_STATUS(NtTestAlert(), STATUS_SUCCESS);
    UT_EXPECT_EQ(ApcCalls, 1);
}

UTEST(AlertAndQueueApcRefuseWrongHandles)
{
    UT_EXPECT_STATUS(NtAlertThread(NtCurrentProcess()), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtAlertThread(BOGUS_HANDLE), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtAlertThread(NULL), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtQueueApcThread(NtCurrentProcess(), RecordApc, NULL, NULL, NULL),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtQueueApcThread(BOGUS_HANDLE, RecordApc, NULL, NULL, NULL),
                     STATUS_INVALID_HANDLE);
}

UTEST(QueueApcWithoutARoutineIsAnInvalidParameter)
{
    UT_EXPECT_STATUS(NtQueueApcThread(NtCurrentThread(), NULL, NULL, NULL, NULL),
                     STATUS_INVALID_PARAMETER);
}

UTEST(DelayExecutionWaitsRelativeAndAbsoluteIntervals)
{
    LARGE_INTEGER before, after, due, zero = {0};

    NtQuerySystemTime(&before);
    due = UtMilliseconds(30);
    UT_EXPECT_STATUS(NtDelayExecution(FALSE, &due), STATUS_SUCCESS);
    NtQuerySystemTime(&after);
    UT_EXPECT(after.QuadPart - before.QuadPart >= 30 * 10000);

    // Absolute: a system time 30 ms ahead.
    NtQuerySystemTime(&before);
    due.QuadPart = before.QuadPart + 30 * 10000;
    UT_EXPECT_STATUS(NtDelayExecution(FALSE, &due), STATUS_SUCCESS);
    NtQuerySystemTime(&after);
    UT_EXPECT(after.QuadPart >= due.QuadPart);

    // A time already past, and no time at all, return at once.
    due.QuadPart = before.QuadPart - 10000000;
    UT_EXPECT_STATUS(NtDelayExecution(FALSE, &due), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtDelayExecution(TRUE, &zero), STATUS_SUCCESS);
}

UTEST(DelayExecutionWithBadPointersFails)
{
    LARGE_INTEGER interval[2];

    UT_EXPECT_STATUS(NtDelayExecution(FALSE, UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtDelayExecution(TRUE, UT_KERNEL_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtDelayExecution(FALSE, NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtDelayExecution(FALSE, (PLARGE_INTEGER)((UCHAR *)interval + 2)),
                     STATUS_DATATYPE_MISALIGNMENT);
}

static CONTEXT Context;

UTEST(ContinueResumesWithTheContextAndSanitizedFlags)
{
    ULONG64 flags;

    memset(&Context, 0, sizeof(Context));
    // Carry set, IOPL 3, NT, TF, and interrupts off: only the carry stays,
    // and interrupts come back on.
    UT_EXPECT_EQ(TapcContinueHere(&Context, 0x1 | 0x3000 | 0x4000 | 0x100, 0x5A5A5A5A5A5AULL),
                 0x5A5A5A5A5A5AULL);
    flags = Context.P1Home;
    UT_EXPECT(flags & 0x1);
    UT_EXPECT(flags & 0x200);
    UT_EXPECT_EQ(flags & (0x3000 | 0x4000 | 0x100), 0);
}

UTEST(ContinueRefusesBadContexts)
{
    static CONTEXT aligned[2];

    UT_EXPECT_STATUS(NtContinue(UT_BAD_POINTER, FALSE), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtContinue(UT_KERNEL_POINTER, FALSE), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtContinue(NULL, TRUE), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtContinue((PCONTEXT)((UCHAR *)aligned + 8), FALSE),
                     STATUS_DATATYPE_MISALIGNMENT);

    memset(aligned, 0, sizeof(aligned));
    aligned[0].ContextFlags = CONTEXT_FULL;
    aligned[0].Rip = 0xFFFFF80000001000ULL;          // a kernel address
    UT_EXPECT_STATUS(NtContinue(&aligned[0], FALSE), STATUS_INVALID_PARAMETER);
    aligned[0].Rip = 0x0000800000000000ULL;          // not canonical
    UT_EXPECT_STATUS(NtContinue(&aligned[0], FALSE), STATUS_INVALID_PARAMETER);
    aligned[0].Rip = 0x400000;
    aligned[0].ContextFlags = 0x3;                   // no CONTEXT_AMD64
    UT_EXPECT_STATUS(NtContinue(&aligned[0], FALSE), STATUS_INVALID_PARAMETER);
}

// Runs last: an APC still queued when the thread ends is freed with it (the
// in-kernel runner's leak check sees it otherwise).
UTEST(ApcStillQueuedAtExitIsRunDown)
{
    UT_EXPECT_STATUS(NtQueueApcThread(NtCurrentThread(), RecordApc, NULL, NULL, NULL),
                     STATUS_SUCCESS);
}

static const UTEST Tests[] = {
    UT_ENTRY(ApcQueuedToSelfRunsOnTestAlertWithItsArguments),
    UT_ENTRY(ApcsRunInTheOrderTheyWereQueued),
    UT_ENTRY(AlertableDelayRunsAQueuedApcAndReturnsUserApc),
    UT_ENTRY(NonAlertableDelayLeavesApcsQueued),
    UT_ENTRY(RegistersAndTheRedZoneSurviveAnApc),
    UT_ENTRY(AlertOnSelfEndsTheNextAlertableDelay),
    UT_ENTRY(NonAlertableDelayIgnoresAnAlertAndKeepsIt),
    UT_ENTRY(AnAlertComesBeforeAQueuedApc),
    UT_ENTRY(AlertAndQueueApcRefuseWrongHandles),
    UT_ENTRY(QueueApcWithoutARoutineIsAnInvalidParameter),
    UT_ENTRY(DelayExecutionWaitsRelativeAndAbsoluteIntervals),
    UT_ENTRY(DelayExecutionWithBadPointersFails),
    UT_ENTRY(ContinueResumesWithTheContextAndSanitizedFlags),
    UT_ENTRY(ContinueRefusesBadContexts),
    UT_ENTRY(ApcStillQueuedAtExitIsRunDown),
};

int main(void)
{
    return UT_RUN_ALL("tapc", Tests);
}
