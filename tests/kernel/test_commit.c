// Commit charge: a process's private pages (EPROCESS.CommitCharge, and all
// of them together in MmProcessCommit) and the span of its VADs (what
// !process shows as VirtualSize) follow every commit and release, and come
// back to where they started once the process has exited.

#include "tests/kernel/ktest.h"
#include "tests/kernel/test_dispatcher.h"
#include "ps/ps.h"
#include "mm/mi.h"

#define KT_COMMIT_BASE 0x30000000ULL

// MmProcessCommit is the sum of every process's CommitCharge (the other
// processes may commit meanwhile, so the tests compare totals this way).
static BOOLEAN KtCommitAddsUp(void)
{
    SIZE_T sum = 0, total;
    KIRQL listIrql, spaceIrql;

    KeAcquireSpinLock(&PspActiveProcessLock, &listIrql);
    spaceIrql = MiLockAddressSpaces();
    for (LIST_ENTRY *entry = PsActiveProcessHead.Flink; entry != &PsActiveProcessHead;
         entry = entry->Flink)
        sum += CONTAINING_RECORD(entry, EPROCESS, ActiveProcessLinks)->CommitCharge;
    total = MmProcessCommit;
    MiUnlockAddressSpaces(spaceIrql);
    KeReleaseSpinLock(&PspActiveProcessLock, listIrql);
    return sum == total;
}

KTEST(CommitChargeFollowsCommitFreeAndExit)
{
    EPROCESS *process = NULL;
    ULONG64 stack = 0;
    int owner;

    KT_EXPECT_EQ(PspCreateProcess("KtCommit", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                  &process), STATUS_SUCCESS);
    if (!process)
        return;
    KT_CHECK_EQ(process->CommitCharge, 0);
    KT_CHECK_EQ(process->VadRoot.VirtualPages, 0);

    // Committed at once: three pages more, for the process and the system.
    KT_CHECK_EQ(MmAllocateUserMemory(process->Pcb.DirectoryTableBase, KT_COMMIT_BASE,
                                     3 * PAGE_SIZE, PAGE_READWRITE), STATUS_SUCCESS);
    KT_CHECK_EQ(process->CommitCharge, 3);
    KT_CHECK(KtCommitAddsUp());
    // A stack's range: 16 pages reserved, the top 2 committed.
    KT_CHECK_EQ(MmCreateThreadRange(process, 16 * PAGE_SIZE, 2 * PAGE_SIZE, 0x10000,
                                    MM_HIGHEST_USER_ADDRESS, &owner, &stack), STATUS_SUCCESS);
    KT_CHECK_EQ(process->CommitCharge, 5);
    KT_CHECK_EQ(process->VadRoot.VirtualPages, 19);
    KT_CHECK(KtCommitAddsUp());

    // Freed: back by what the range held.
    MmDeleteThreadRange(process, stack, &owner);
    KT_CHECK_EQ(process->CommitCharge, 3);
    KT_CHECK_EQ(process->VadRoot.VirtualPages, 3);
    KT_CHECK_EQ(process->VadRoot.PeakVirtualPages, 19);

    // Exit cleans the address space: nothing is charged any more.
    MmCleanProcessAddressSpace(process);
    KT_CHECK_EQ(process->CommitCharge, 0);
    KT_CHECK_EQ(process->VadRoot.VirtualPages, 0);
    KT_CHECK(KtCommitAddsUp());
    ObDereferenceObject(process);
    KT_CHECK(KtCommitAddsUp());
}

// A real program: while it runs it is charged for its image, PEB, TEB and
// stack; once it has ended (its object still referenced: a zombie), for
// nothing.
KTEST(CommitChargeOfAUserProcessIsZeroOnceItHasExited)
{
    EPROCESS *process = NULL;
    ETHREAD *thread = NULL;

    KT_EXPECT_EQ(PsStartUserProgramEx("hello", NULL, TRUE, &process, &thread),
                 STATUS_SUCCESS);
    KT_CHECK(process->CommitCharge > 0);
    KT_CHECK(process->VadRoot.VirtualPages >= process->CommitCharge);
    KT_CHECK(KtCommitAddsUp());
    KeResumeThread(&thread->Tcb);
    KT_CHECK_EQ(KtWait(&process->Pcb), STATUS_WAIT_0);
    KT_CHECK_EQ(process->CommitCharge, 0);
    KT_CHECK(KtCommitAddsUp());
    ObDereferenceObject(thread);
    ObDereferenceObject(process);
}
