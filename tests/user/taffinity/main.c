// User-mode tests of affinity, as a program sees it: NtSetInformationThread
// (ThreadAffinityMask) and NtSetInformationProcess (ProcessAffinityMask)
// move a thread to the processors named, NtGetCurrentProcessorNumber says
// where the caller runs, the queries report the masks, and every bad mask
// is refused. Under -smp 1 there is one processor to pin to;
// the moves between processors need -smp 2 or more (tools/runtests.py
// --smp N), where a thread that ran anywhere but its one processor fails.

#include "tests/user/uthread.h"

// Rounds of "where am I?" per processor, each after a yield or a short
// sleep (each wake readies the thread anew, so each is a chance to land on
// the wrong processor).
#define PIN_ROUNDS 200

static SYSTEM_BASIC_INFORMATION Machine;

static KAFFINITY ActiveProcessors(void)
{
    if (Machine.NumberOfProcessors == 0)
        NtQuerySystemInformation(SystemBasicInformation, &Machine, sizeof(Machine), NULL);
    return Machine.ActiveProcessorsAffinityMask;
}

static NTSTATUS SetThreadAffinity(HANDLE thread, KAFFINITY affinity)
{
    return NtSetInformationThread(thread, ThreadAffinityMask, &affinity, sizeof(affinity));
}

static NTSTATUS SetProcessAffinity(KAFFINITY affinity)
{
    return NtSetInformationProcess(NtCurrentProcess(), ProcessAffinityMask, &affinity,
                                   sizeof(affinity));
}

static KAFFINITY ThreadAffinity(HANDLE thread)
{
    THREAD_BASIC_INFORMATION information;

    if (!NT_SUCCESS(NtQueryInformationThread(thread, ThreadBasicInformation, &information,
                                             sizeof(information), NULL)))
        return 0;
    return information.AffinityMask;
}

static KAFFINITY ProcessAffinity(void)
{
    PROCESS_BASIC_INFORMATION information;

    if (!NT_SUCCESS(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation,
                                              &information, sizeof(information), NULL)))
        return 0;
    return information.AffinityMask;
}

// How many of PIN_ROUNDS rounds the caller ran anywhere but `processor`.
static ULONG RoundsElsewhere(ULONG processor)
{
    LARGE_INTEGER tick = UtMilliseconds(1);
    ULONG wrong = 0;

    for (ULONG i = 0; i < PIN_ROUNDS; i++) {
        if (NtGetCurrentProcessorNumber() != processor)
            wrong++;
        if (i % 20 == 19)
            NtDelayExecution(FALSE, &tick);
        else
            NtYieldExecution();
    }
    return wrong;
}

UTEST(CurrentProcessorNumberIsAProcessorOfTheMachine)
{
    for (ULONG i = 0; i < 100; i++) {
        ULONG processor = NtGetCurrentProcessorNumber();

        UT_EXPECT(processor < 64);
        UT_EXPECT(ActiveProcessors() & (1ULL << processor));
        NtYieldExecution();
    }
}

UTEST(ThreadAffinityPinsTheThreadToEachProcessorInTurn)
{
    KAFFINITY active = ActiveProcessors();

    UT_EXPECT_EQ(ThreadAffinity(NtCurrentThread()), active);
    for (ULONG processor = 0; processor < 64; processor++) {
        if (!(active & (1ULL << processor)))
            continue;
        UT_EXPECT_STATUS(SetThreadAffinity(NtCurrentThread(), 1ULL << processor),
                         STATUS_SUCCESS);
        // On its processor from the moment the call returns.
        UT_EXPECT_EQ(NtGetCurrentProcessorNumber(), processor);
        UT_EXPECT_EQ(ThreadAffinity(NtCurrentThread()), 1ULL << processor);
        UT_EXPECT_EQ(RoundsElsewhere(processor), 0);
    }
    UT_EXPECT_STATUS(SetThreadAffinity(NtCurrentThread(), active), STATUS_SUCCESS);
    UT_EXPECT_EQ(ThreadAffinity(NtCurrentThread()), active);
}

UTEST(BadThreadAffinitiesAreRefused)
{
    KAFFINITY active = ActiveProcessors(), affinity = active;
    HANDLE queryOnly;
    OBJECT_ATTRIBUTES attributes;
    CLIENT_ID self = {NtCurrentTeb()->ClientId.UniqueProcess,
                      NtCurrentTeb()->ClientId.UniqueThread};

    // A wrong length, a bad buffer, a bad handle, too little access.
    UT_EXPECT_STATUS(NtSetInformationThread(NtCurrentThread(), ThreadAffinityMask, &affinity,
                                            sizeof(ULONG)),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtSetInformationThread(NtCurrentThread(), ThreadAffinityMask,
                                            UT_BAD_POINTER, sizeof(affinity)),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtSetInformationThread(NtCurrentThread(), ThreadAffinityMask,
                                            UT_KERNEL_POINTER, sizeof(affinity)),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtSetInformationThread((HANDLE)(ULONG_PTR)0x1234, ThreadAffinityMask,
                                            &affinity, sizeof(affinity)),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtSetInformationThread(NtCurrentProcess(), ThreadAffinityMask, &affinity,
                                            sizeof(affinity)),
                     STATUS_OBJECT_TYPE_MISMATCH);
    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtOpenThread(&queryOnly, THREAD_QUERY_INFORMATION, &attributes, &self),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(SetThreadAffinity(queryOnly, active), STATUS_ACCESS_DENIED);
    NtClose(queryOnly);
    // No processor, or a processor the machine does not have.
    UT_EXPECT_STATUS(SetThreadAffinity(NtCurrentThread(), 0), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(SetThreadAffinity(NtCurrentThread(), active + 1 + active),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(SetThreadAffinity(NtCurrentThread(), 1ULL << 63), STATUS_INVALID_PARAMETER);
    // Nothing changed by a refused call.
    UT_EXPECT_EQ(ThreadAffinity(NtCurrentThread()), active);
}

UTEST(ProcessAffinityBoundsItsThreads)
{
    KAFFINITY active = ActiveProcessors();
    ULONG last = 63 - __builtin_clzll(active);
    KAFFINITY lastOnly = 1ULL << last;

    UT_EXPECT_EQ(ProcessAffinity(), active);
    UT_EXPECT_STATUS(SetProcessAffinity(lastOnly), STATUS_SUCCESS);
    UT_EXPECT_EQ(ProcessAffinity(), lastOnly);
    // Every thread of the process follows, the caller at once.
    UT_EXPECT_EQ(ThreadAffinity(NtCurrentThread()), lastOnly);
    UT_EXPECT_EQ(NtGetCurrentProcessorNumber(), last);
    UT_EXPECT_EQ(RoundsElsewhere(last), 0);
    // A thread may not leave its process's processors.
    if (active != lastOnly)
        UT_EXPECT_STATUS(SetThreadAffinity(NtCurrentThread(), active & ~lastOnly),
                         STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(SetProcessAffinity(0), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(SetProcessAffinity(active + 1 + active), STATUS_INVALID_PARAMETER);
    UT_EXPECT_EQ(ProcessAffinity(), lastOnly);
    UT_EXPECT_STATUS(SetProcessAffinity(active), STATUS_SUCCESS);
    UT_EXPECT_EQ(ProcessAffinity(), active);
    UT_EXPECT_EQ(ThreadAffinity(NtCurrentThread()), active);
}

// ---- another thread of the process, moved while it runs ---------------------------

typedef struct _SPINNER {
    volatile LONG Stop;
    volatile LONG Processor;    // where it last ran
    volatile LONG Rounds;
} SPINNER;

static NTSTATUS NTAPI SpinnerRoutine(void *context)
{
    SPINNER *spinner = context;

    while (!spinner->Stop) {
        spinner->Processor = (LONG)NtGetCurrentProcessorNumber();
        spinner->Rounds++;
        NtYieldExecution();
    }
    return STATUS_SUCCESS;
}

// Waits (up to the patience) for the spinner to make `rounds` more rounds.
static BOOLEAN SpinnerMoves(SPINNER *spinner, LONG rounds)
{
    LARGE_INTEGER tick = UtMilliseconds(1);
    LONG start = spinner->Rounds;

    for (ULONG waited = 0; waited < UT_THREAD_PATIENCE_MS; waited++) {
        if (spinner->Rounds - start >= rounds)
            return TRUE;
        NtDelayExecution(FALSE, &tick);
    }
    return FALSE;
}

UTEST(ARunningThreadMovesToItsNewProcessor)
{
    KAFFINITY active = ActiveProcessors();
    SPINNER spinner = {0};
    HANDLE thread;

    UT_EXPECT_STATUS(UtStartThread(&thread, SpinnerRoutine, &spinner),
                     STATUS_SUCCESS);
    UT_EXPECT(SpinnerMoves(&spinner, 10));
    for (ULONG processor = 0; processor < 64; processor++) {
        if (!(active & (1ULL << processor)))
            continue;
        UT_EXPECT_STATUS(SetThreadAffinity(thread, 1ULL << processor), STATUS_SUCCESS);
        // One round may have begun before the move: after two, it is there.
        UT_EXPECT(SpinnerMoves(&spinner, 2));
        for (ULONG round = 0; round < 20; round++) {
            UT_EXPECT(SpinnerMoves(&spinner, 1));
            UT_EXPECT_EQ(spinner.Processor, processor);
        }
    }
    spinner.Stop = 1;
    UT_EXPECT_STATUS(UtJoinThread(thread), STATUS_SUCCESS);
}

static const UTEST Tests[] = {
    UT_ENTRY(CurrentProcessorNumberIsAProcessorOfTheMachine),
    UT_ENTRY(ThreadAffinityPinsTheThreadToEachProcessorInTurn),
    UT_ENTRY(BadThreadAffinitiesAreRefused),
    UT_ENTRY(ProcessAffinityBoundsItsThreads),
    UT_ENTRY(ARunningThreadMovesToItsNewProcessor),
};

int main(void)
{
    return UT_RUN_ALL("taffinity", Tests);
}
