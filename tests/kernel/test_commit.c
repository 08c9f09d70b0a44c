// Commit charge: a process's private pages (EPROCESS.CommitCharge, and all
// of them together in MmProcessCommit) and the span of its VADs (what
// !process shows as VirtualSize) follow every commit and release, and come
// back to where they started once the process has exited.

#include "tests/kernel/ktest.h"
#include "tests/kernel/ktkd.h"
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

#define KT_ZOMBIES 400

static void KtZombieMain(void *context)
{
}

// !vm with hundreds of zombies, as the case study reads 30,000: each one
// listed once, with 0 pages, among the live processes sorted by commit.
KTEST(KdVmListsEveryZombieOnceWithNoCommit)
{
    static EPROCESS *zombies[KT_ZOMBIES];
    ULONG made = 0, rows = 0;
    ULONG64 previous = ~0ULL;
    const char *line;
    char row[96];

    for (; made < KT_ZOMBIES; made++) {
        ETHREAD *thread = NULL;

        if (!NT_SUCCESS(PspCreateProcess("KtZombie.exe", PsInitialSystemProcess,
                                         NORMAL_BASE_PRIORITY, &zombies[made])))
            break;
        if (!NT_SUCCESS(PsCreateSystemThreadEx(zombies[made], KtZombieMain, NULL, 8, NULL,
                                               &thread))) {
            ObDereferenceObject(zombies[made]);
            break;
        }
        KtWait(thread);
        ObDereferenceObject(thread);
    }
    KT_CHECK_EQ(made, KT_ZOMBIES);
    for (ULONG i = 0; i < made; i++)
        KT_CHECK(KtWait(&zombies[i]->Pcb) == STATUS_WAIT_0);

    KtKdRun("!vm");
    line = KtKdFind(KtKdOutput, "\tTotal Private:");
    KT_CHECK(line != NULL);
    for (ULONG i = 0; i < made; i++) {
        RtlStringPrintf(row, sizeof(row), "\n         %04llx %-15s %10u (%10u Kb)\n",
                        (unsigned long long)(ULONG_PTR)zombies[i]->UniqueProcessId,
                        "KtZombie.exe", 0, 0);
        if (KtKdCount(KtKdOutput, row) != 1) {
            KtFail(__FILE__, __LINE__, "one 0-page !vm row per zombie");
            break;
        }
    }
    // Rows by commit, most first.
    for (line = line ? strchr(line, '\n') : NULL; line && line[1]; line = strchr(line + 1, '\n')) {
        const char *p = line + 1 + 9;
        ULONG64 commit = 0;

        while (*p && *p != ' ')                 // the Cid
            p++;
        p += 1 + 15;                            // the image name
        while (*p == ' ')
            p++;
        while (*p >= '0' && *p <= '9')
            commit = commit * 10 + (ULONG64)(*p++ - '0');
        KT_CHECK(commit <= previous);
        previous = commit;
        rows++;
    }
    KT_CHECK(rows >= made + 2);
    for (ULONG i = 0; i < made; i++)
        ObDereferenceObject(zombies[i]);
}
