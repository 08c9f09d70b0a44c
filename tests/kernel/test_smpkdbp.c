// A deferred `bu` on a user program is claimed by one process only, even
// when the loader's calls for several copies of the program
// (KdNotifyUserImageMap, made once a copy's image is mapped) come at the
// same moment on several processors: each takes the debugger's lock.
//
// Each round starts four suspended copies of tbp.exe, sets `bu
// tbp!TbpWork`, and has four threads, pinned to different processors and
// released together, make the loader's call for one copy each. Exactly one
// copy's TbpWork then begins with an int3, and the table names that copy.
// After `bc *` every copy runs to its end: an int3 left in a copy the table
// did not name would end it with a breakpoint exception. (Without the lock,
// two calls both find the breakpoint deferred and both put it in.)

#include "tests/kernel/test_smp.h"
#include "tests/kernel/ktkd.h"
#include "ps/ps.h"
#include "kd/kdbp.h"
#include "arch/x86_64/x86.h"

#define KT_BU_COPIES 4
#define KT_BU_ROUNDS 8
#define KT_INT3 0xCC

typedef struct _KT_BU_CALLER {
    ULONG Processor;
    EPROCESS *Process;
    volatile LONG *Ready;
    volatile LONG *Go;
} KT_BU_CALLER;

static void KtBuCaller(void *context)
{
    KT_BU_CALLER *caller = context;

    KeSetSystemAffinityThread(1ULL << caller->Processor);
    __atomic_add_fetch(caller->Ready, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(caller->Go, __ATOMIC_ACQUIRE))
        _mm_pause();
    KdNotifyUserImageMap((ULONG64)caller->Process, caller->Process->Pcb.DirectoryTableBase,
                         "tbp.exe");
    KeRevertToUserAffinityThread();
    PsTerminateSystemThread(STATUS_SUCCESS);
}

// The loader's calls for the copies, all at once: how many copies got the
// int3 (the last of them in *claimed).
static ULONG KtBuRace(ULONG64 work, EPROCESS **processes, KT_BU_CALLER *callers,
                      volatile LONG *flags, EPROCESS **claimed)
{
    ETHREAD *threads[KT_BU_COPIES];
    ULONG inserted = 0;

    flags[0] = flags[1] = 0;
    for (ULONG i = 0; i < KT_BU_COPIES; i++) {
        callers[i].Processor = i % KeNumberProcessors;
        callers[i].Process = processes[i];
        callers[i].Ready = &flags[0];
        callers[i].Go = &flags[1];
        threads[i] = KtStartThread(KtBuCaller, &callers[i], NORMAL_BASE_PRIORITY);
    }
    while (__atomic_load_n(&flags[0], __ATOMIC_ACQUIRE) < KT_BU_COPIES)
        KtSleepTicks(1);
    __atomic_store_n(&flags[1], 1, __ATOMIC_RELEASE);
    for (ULONG i = 0; i < KT_BU_COPIES; i++)
        KT_CHECK(KtJoinThread(threads[i]));
    for (ULONG i = 0; i < KT_BU_COPIES; i++) {
        UCHAR byte = 0;

        KT_CHECK(KdpReadProcessMemory(processes[i]->Pcb.DirectoryTableBase, work, &byte, 1));
        if (byte == KT_INT3) {
            inserted++;
            *claimed = processes[i];
        }
    }
    return inserted;
}

KTEST(SmpUserBuIsClaimedByOneOfTheCopiesMappedTogether)
{
    KT_BU_CALLER *callers = KtSmpAllocate(sizeof(*callers) * KT_BU_COPIES);
    volatile LONG *flags = KtSmpAllocate(2 * sizeof(LONG));
    ULONG64 work = KtTbpSymbol("TbpWork");
    LARGE_INTEGER limit = KtRelativeTime(20000);

    if (!callers || !flags)
        return;
    KT_EXPECT(work != 0);
    for (ULONG round = 0; round < KT_BU_ROUNDS; round++) {
        EPROCESS *processes[KT_BU_COPIES] = { NULL };
        ETHREAD *threads[KT_BU_COPIES] = { NULL };
        EPROCESS *claimed = NULL;
        ULONG started = 0;

        KtKdRun("bc *");
        for (; started < KT_BU_COPIES; started++) {
            if (!NT_SUCCESS(PsStartUserProgramEx("tbp", NULL, TRUE, &processes[started],
                                                 &threads[started])))
                break;
        }
        KT_CHECK(started == KT_BU_COPIES);
        KtKdRun("bu tbp!TbpWork");
        if (started == KT_BU_COPIES) {
            KT_CHECK(KtBuRace(work, processes, callers, flags, &claimed) == 1);
            // The table names that copy (bu's are numbered from 0 after bc *).
            KT_CHECK(KdpBreakpoints[0].InUse && !KdpBreakpoints[0].Deferred);
            KT_CHECK(KdpBreakpoints[0].Process == (ULONG64)claimed);
        }
        KtKdRun("bc *");
        for (ULONG i = 0; i < started; i++) {
            KeResumeThread(&threads[i]->Tcb);
            KT_CHECK(KeWaitForSingleObject(&processes[i]->Pcb, Executive, KernelMode, FALSE,
                                              &limit) == STATUS_WAIT_0);
            KT_CHECK(processes[i]->ExitStatus == 0);
            ObDereferenceObject(threads[i]);
            ObDereferenceObject(processes[i]);
        }
        if (KtFailed())
            break;
    }
    ExFreePoolWithTag(callers, KT_SMP_TAG);
    ExFreePoolWithTag((void *)flags, KT_SMP_TAG);
}
