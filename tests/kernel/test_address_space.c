// In-kernel tests of process address spaces: user pages live in their own
// process only, and deleting the process gives back every page it took.

#include "tests/kernel/ktest.h"
#include "tests/kernel/test_dispatcher.h"
#include "ps/ps.h"
#include "mm/mm.h"

#define KT_USER_CODE   0x400000ULL
#define KT_USER_FAR    0x10000000000ULL         // another PML4 slot than the code
#define KT_USER_STACK  (MM_USER_PROBE_ADDRESS - 4 * PAGE_SIZE)
#define KT_MAGIC       0x5EEDF00DCAFEULL

static PFN_NUMBER KtPagesOf(MM_PAGE_USAGE usage)
{
    MM_STATISTICS stats;

    MmQueryStatistics(&stats);
    return stats.PagesByUsage[usage];
}

static EPROCESS *KtCreateProcess(void)
{
    EPROCESS *process = NULL;

    if (!NT_SUCCESS(PspCreateProcess("KtSpace", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                     &process)))
        return NULL;
    return process;
}

typedef struct _KT_SPACE_COUNTS {
    PFN_NUMBER TablesBefore, UserBefore, TablesMapped, UserMapped, TablesAfter, UserAfter;
} KT_SPACE_COUNTS;

// One process with three ranges, counted before, while mapped and after
// its deletion (system-wide counts).
static BOOLEAN KtMeasureAddressSpace(KT_SPACE_COUNTS *counts)
{
    EPROCESS *process;

    counts->TablesBefore = KtPagesOf(MmUsagePageTable);
    counts->UserBefore = KtPagesOf(MmUsageUserPage);
    process = KtCreateProcess();
    if (!process || !process->AddressSpaceInitialized)
        return FALSE;
    if (!NT_SUCCESS(MmAllocateUserMemory(process->Pcb.DirectoryTableBase, KT_USER_CODE,
                                         3 * PAGE_SIZE, PAGE_EXECUTE_READ)) ||
        !NT_SUCCESS(MmAllocateUserMemory(process->Pcb.DirectoryTableBase, KT_USER_FAR,
                                         PAGE_SIZE, PAGE_READWRITE)) ||
        !NT_SUCCESS(MmAllocateUserMemory(process->Pcb.DirectoryTableBase, KT_USER_STACK,
                                         4 * PAGE_SIZE, PAGE_READWRITE))) {
        ObDereferenceObject(process);
        return FALSE;
    }
    counts->TablesMapped = KtPagesOf(MmUsagePageTable);
    counts->UserMapped = KtPagesOf(MmUsageUserPage);
    ObDereferenceObject(process);
    counts->TablesAfter = KtPagesOf(MmUsagePageTable);
    counts->UserAfter = KtPagesOf(MmUsageUserPage);
    return TRUE;
}

// A PML4, and a PDPT, PD and PT for each of the three ranges; all of it,
// and the eight user pages, back with the process.
static BOOLEAN KtAddressSpaceCountsAreRight(const KT_SPACE_COUNTS *counts)
{
    return counts->TablesMapped == counts->TablesBefore + 1 + 3 * 3 &&
           counts->UserMapped == counts->UserBefore + 8 &&
           counts->TablesAfter == counts->TablesBefore && counts->UserAfter == counts->UserBefore;
}

// The counts are the whole system's: on several processors other tests'
// processes may still be going away (their last thread's reaper, on the
// processor it ended on) while this one is measured. A kernel that leaks or
// miscounts is wrong in every attempt; another process's teardown moves
// the counts in one now and then, so the measure is taken a few times.
#define KT_SPACE_ATTEMPTS 5

KTEST(ProcessAddressSpaceDeletionFreesEveryPage)
{
    KT_SPACE_COUNTS counts;
    EPROCESS *process = KtCreateProcess();
    BOOLEAN measured = FALSE;

    // A first process warms the pool up, so the counts below see only
    // what an address space itself takes.
    KT_EXPECT(process != NULL);
    ObDereferenceObject(process);
    for (ULONG i = 0; i < KT_SPACE_ATTEMPTS; i++) {
        measured = KtMeasureAddressSpace(&counts);
        if (!measured || KtAddressSpaceCountsAreRight(&counts))
            break;
    }
    KT_EXPECT(measured);
    KT_EXPECT_EQ(counts.TablesMapped, counts.TablesBefore + 1 + 3 * 3);
    KT_EXPECT_EQ(counts.UserMapped, counts.UserBefore + 8);
    KT_EXPECT_EQ(counts.TablesAfter, counts.TablesBefore);
    KT_EXPECT_EQ(counts.UserAfter, counts.UserBefore);
}

KTEST(UserRangesOutsideTheLowerHalfOrAlreadyMappedAreRefused)
{
    EPROCESS *process = KtCreateProcess();
    ULONG64 space;
    NTSTATUS overlap, kernelHalf, nullPage, badProtect;

    KT_EXPECT(process != NULL);
    space = process->Pcb.DirectoryTableBase;
    MmAllocateUserMemory(space, KT_USER_CODE, 2 * PAGE_SIZE, PAGE_READWRITE);
    overlap = MmAllocateUserMemory(space, KT_USER_CODE + PAGE_SIZE, 2 * PAGE_SIZE,
                                   PAGE_READWRITE);
    kernelHalf = MmAllocateUserMemory(space, MM_USER_PROBE_ADDRESS, PAGE_SIZE, PAGE_READWRITE);
    nullPage = MmAllocateUserMemory(space, 0, PAGE_SIZE, PAGE_READWRITE);
    badProtect = MmAllocateUserMemory(space, KT_USER_FAR, PAGE_SIZE, 0x1234);
    ObDereferenceObject(process);

    KT_EXPECT_EQ(overlap, STATUS_CONFLICTING_ADDRESSES);
    KT_EXPECT_EQ(kernelHalf, STATUS_INVALID_PARAMETER);
    KT_EXPECT_EQ(nullPage, STATUS_INVALID_PARAMETER);
    KT_EXPECT_EQ(badProtect, STATUS_INVALID_PARAMETER);
}

typedef struct _KT_SPACE_PROBE {
    SIZE_T NotCopied;
    ULONG64 Read;
    ULONG64 Written;        // the page as the kernel sees it through the direct map
} KT_SPACE_PROBE;

// Runs in the test's process: reads its page, then writes the magic value,
// and looks at the page through the direct map while the process still has
// it (its address space goes when this, its only thread, ends).
static void KtTouchUserPage(void *context)
{
    KT_SPACE_PROBE *probe = context;
    ULONG64 magic = KT_MAGIC;
    ULONG64 *kernelView;

    probe->NotCopied = KiCopyMemorySafe(&probe->Read, (void *)KT_USER_FAR, sizeof(ULONG64));
    probe->NotCopied += KiCopyMemorySafe((void *)KT_USER_FAR, &magic, sizeof(ULONG64));
    kernelView = MmGetUserPageAddress(PsGetCurrentProcess()->Pcb.DirectoryTableBase,
                                      KT_USER_FAR);
    probe->Written = kernelView ? *kernelView : 0;
}

KTEST(UserPagesAreMappedOnlyInTheirOwnProcess)
{
    EPROCESS *process = KtCreateProcess();
    KT_SPACE_PROBE probe = {~0ULL, ~0ULL, 0};
    ETHREAD *thread = NULL;
    ULONG64 fromSystem = 0;
    SIZE_T notCopiedFromSystem;

    KT_EXPECT(process != NULL);
    MmAllocateUserMemory(process->Pcb.DirectoryTableBase, KT_USER_FAR, PAGE_SIZE,
                         PAGE_READWRITE);
    PsCreateSystemThreadEx(process, KtTouchUserPage, &probe, 0, NULL, &thread);
    if (thread)
        KtJoinThread(thread);
    notCopiedFromSystem = KiCopyMemorySafe(&fromSystem, (void *)KT_USER_FAR, sizeof(ULONG64));
    ObDereferenceObject(process);

    KT_EXPECT(thread != NULL);
    KT_EXPECT_EQ(probe.NotCopied, 0);
    KT_EXPECT_EQ(probe.Read, 0);            // fresh pages are zeroed
    KT_EXPECT_EQ(probe.Written, KT_MAGIC);
    KT_EXPECT(notCopiedFromSystem != 0);    // the System process has no such page
}
