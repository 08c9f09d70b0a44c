// In-kernel tests of per-process virtual memory: the VAD list logic, the
// VADs the loader's allocations record, and teardown giving back every
// page and VAD (views and sections included); plus the user-mode programs
// for the memory services.

#include "tests/kernel/ktest.h"
#include "tests/kernel/ktuser.h"
#include "ps/ps.h"
#include "mm/mi.h"

#define KT_BASE 0x20000000ULL

static PFN_NUMBER KtUserPages(void)
{
    MM_STATISTICS stats;

    MmQueryStatistics(&stats);
    return stats.PagesByUsage[MmUsageUserPage];
}

static void KtInitVad(MMVAD *vad, ULONG64 start, ULONG64 end)
{
    memset(vad, 0, sizeof(*vad));
    vad->StartingVpn = start >> PAGE_SHIFT;
    vad->EndingVpn = (end >> PAGE_SHIFT) - 1;
    vad->Type = MEM_PRIVATE;
}

KTEST(VadTreeStaysSortedAndFindsRangesAndGaps)
{
    MM_AVL_TABLE root;
    MMVAD high, low, middle;
    ULONG64 base = 0;

    MiInitializeVadTable(&root);
    KtInitVad(&high, KT_BASE + 0x40000, KT_BASE + 0x50000);
    KtInitVad(&low, KT_BASE, KT_BASE + 0x10000);
    KtInitVad(&middle, KT_BASE + 0x20000, KT_BASE + 0x21000);
    MiInsertVad(&root, &high);
    MiInsertVad(&root, &low);
    MiInsertVad(&root, &middle);
    KT_EXPECT(MiFirstVad(&root) == &low && MiSuccessorVad(&low) == &middle &&
              MiSuccessorVad(&middle) == &high && MiSuccessorVad(&high) == NULL);
    KT_EXPECT(root.Root == &middle && root.NumberGenericTableElements == 3);
    KT_EXPECT(MiLocateVad(&root, (KT_BASE + 0x20FFF) >> PAGE_SHIFT) == &middle);
    KT_EXPECT(MiLocateVad(&root, (KT_BASE + 0x21000) >> PAGE_SHIFT) == NULL);
    KT_EXPECT(MiNextVad(&root, (KT_BASE + 0x21000) >> PAGE_SHIFT) == &high);
    KT_EXPECT(MiIsRangeFree(&root, (KT_BASE + 0x10000) >> PAGE_SHIFT,
                            (KT_BASE + 0x1FFFF) >> PAGE_SHIFT));
    KT_EXPECT(!MiIsRangeFree(&root, (KT_BASE + 0x1F000) >> PAGE_SHIFT,
                             (KT_BASE + 0x20000) >> PAGE_SHIFT));
    // Bottom up: the first 64K-aligned gap that holds 64K.
    KT_EXPECT(MiFindFreeRange(&root, 0x10000, 0x10000, KT_BASE, KT_BASE + 0xFFFFF, FALSE,
                              &base));
    KT_EXPECT_EQ(base, KT_BASE + 0x10000);
    KT_EXPECT(MiFindFreeRange(&root, 0x20000, 0x10000, KT_BASE, KT_BASE + 0xFFFFF, FALSE,
                              &base));
    KT_EXPECT_EQ(base, KT_BASE + 0x50000);
    // Top down: as high as the limit allows.
    KT_EXPECT(MiFindFreeRange(&root, 0x10000, 0x10000, KT_BASE, KT_BASE + 0x4FFFF, TRUE,
                              &base));
    KT_EXPECT_EQ(base, KT_BASE + 0x30000);
    KT_EXPECT(!MiFindFreeRange(&root, 0x30000, 0x10000, KT_BASE, KT_BASE + 0x4FFFF, TRUE,
                               &base));
}

KTEST(LoaderAllocationsRecordVadsAndTeardownFreesThem)
{
    EPROCESS *process = NULL;
    ULONG vadAllocations, vadsAfter;
    SIZE_T bytes;
    PFN_NUMBER pagesBefore;
    MMVAD *vad;

    ExQueryPoolTagUsage(MI_VAD_TAG, &vadAllocations, &bytes);
    pagesBefore = KtUserPages();
    KT_EXPECT_EQ(PspCreateProcess("KtVads", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                  &process), STATUS_SUCCESS);
    if (!process)
        return;
    KT_EXPECT_EQ(MmAllocateUserMemoryEx(process->Pcb.DirectoryTableBase, KT_BASE + 0x10,
                                        PAGE_SIZE - 0x10, PAGE_EXECUTE_READ, MEM_IMAGE),
                 STATUS_SUCCESS);
    KT_EXPECT_EQ(MmAllocateUserMemory(process->Pcb.DirectoryTableBase, KT_BASE + 0x100000,
                                      3 * PAGE_SIZE, PAGE_READWRITE), STATUS_SUCCESS);
    KT_EXPECT_EQ(MmAllocateUserMemory(process->Pcb.DirectoryTableBase, KT_BASE + PAGE_SIZE,
                                      PAGE_SIZE, PAGE_READWRITE), STATUS_SUCCESS);
    // Two bytes across a page boundary: the second page is already described.
    KT_EXPECT_EQ(MmAllocateUserMemory(process->Pcb.DirectoryTableBase, KT_BASE + 0x100000 - 1,
                                      2, PAGE_READWRITE), STATUS_CONFLICTING_ADDRESSES);
    KT_EXPECT_EQ(process->VadRoot.NumberGenericTableElements, 3);
    vad = MiLocateVad(&process->VadRoot, KT_BASE >> PAGE_SHIFT);
    KT_EXPECT(vad != NULL && vad->Type == MEM_IMAGE && vad->EndingVpn == vad->StartingVpn);
    KT_EXPECT_EQ(KtUserPages(), pagesBefore + 5);
    MmCleanProcessAddressSpace(process);
    KT_EXPECT(process->VadRoot.Root == NULL);
    KT_EXPECT_EQ(process->VadRoot.NumberGenericTableElements, 0);
    KT_EXPECT_EQ(KtUserPages(), pagesBefore);
    ObDereferenceObject(process);
    ExQueryPoolTagUsage(MI_VAD_TAG, &vadsAfter, &bytes);
    KT_EXPECT_EQ(vadsAfter, vadAllocations);
}

// The kernel's writes into a process and the ranges it makes for threads:
// a write stops at the first page that is not committed (never through a
// NULL translation), and a thread's range goes only with its own thread.
KTEST(KernelWritesIntoProcessesCheckEveryPage)
{
    static const UCHAR bytes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    EPROCESS *process = NULL;
    PFN_NUMBER pagesBefore = KtUserPages();
    ULONG64 space, base = 0;
    UCHAR *page;

    KT_EXPECT_EQ(PspCreateProcess("KtWrites", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                  &process), STATUS_SUCCESS);
    if (!process)
        return;
    space = process->Pcb.DirectoryTableBase;
    KT_EXPECT_EQ(MmAllocateUserMemory(space, KT_BASE, PAGE_SIZE, PAGE_READWRITE),
                 STATUS_SUCCESS);
    page = MmGetUserPageAddress(space, KT_BASE);
    KT_EXPECT(page != NULL);
    if (!page)
        goto done;
    KT_EXPECT_EQ(MmWriteProcessMemory(space, KT_BASE + 8, bytes, 8), STATUS_SUCCESS);
    KT_EXPECT(page[8] == 1 && page[15] == 8);
    // Across the end of the committed page: the first half only.
    KT_EXPECT_EQ(MmWriteProcessMemory(space, KT_BASE + PAGE_SIZE - 4, bytes, 8),
                 STATUS_NOT_COMMITTED);
    KT_EXPECT(page[PAGE_SIZE - 4] == 1 && page[PAGE_SIZE - 1] == 4);
    KT_EXPECT(MmGetUserPageAddress(space, KT_BASE + PAGE_SIZE) == NULL);
    KT_EXPECT_EQ(MmWriteProcessMemory(space, KT_BASE + 0x40000, bytes, 1),
                 STATUS_NOT_COMMITTED);
    KT_EXPECT_EQ(MmWriteProcessMemory(space, MM_USER_PROBE_ADDRESS - 4, bytes, 8),
                 STATUS_ACCESS_VIOLATION);

    // A thread's range: the highest 128K below the limit, its top 3 pages
    // committed, its bottom reserved.
    KT_EXPECT_EQ(MmCreateThreadRange(process, 0x20000, 3 * PAGE_SIZE, 0x10000,
                                     KT_BASE + 0xFFFFF, (void *)1, &base), STATUS_SUCCESS);
    KT_EXPECT_EQ(base, KT_BASE + 0xE0000);
    KT_EXPECT(MmGetUserPageAddress(space, base + 0x1D000) != NULL &&
              MmGetUserPageAddress(space, base + 0x1FFFF) != NULL &&
              MmGetUserPageAddress(space, base + 0x1C000) == NULL);
    KT_EXPECT_EQ(KtUserPages(), pagesBefore + 4);
    KT_EXPECT_EQ(process->VadRoot.NumberGenericTableElements, 2);
    // Another thread's end leaves it alone; its own thread's end releases it.
    MmDeleteThreadRange(process, base, (void *)2);
    KT_EXPECT_EQ(process->VadRoot.NumberGenericTableElements, 2);
    MmDeleteThreadRange(process, base + PAGE_SIZE, (void *)1);
    KT_EXPECT_EQ(process->VadRoot.NumberGenericTableElements, 2);
    MmDeleteThreadRange(process, base, (void *)1);
    KT_EXPECT_EQ(process->VadRoot.NumberGenericTableElements, 1);
    KT_EXPECT_EQ(KtUserPages(), pagesBefore + 1);
    // No room below the limit: nothing is made.
    KT_EXPECT_EQ(MmCreateThreadRange(process, 0x20000, PAGE_SIZE, 0x10000,
                                     MM_LOWEST_USER_ADDRESS + 0x1FFFE, (void *)1, &base),
                 STATUS_NO_MEMORY);
    KT_EXPECT_EQ(process->VadRoot.NumberGenericTableElements, 1);
done:
    MmCleanProcessAddressSpace(process);
    KT_EXPECT_EQ(KtUserPages(), pagesBefore);
    ObDereferenceObject(process);
}

KTEST(UserVirtualMemory)
{
    KtExpectUserTestsPass("tvirtual");
}

KTEST(UserSections)
{
    ULONG sections, segments, sectionsAfter, segmentsAfter;
    SIZE_T bytes;

    ExQueryPoolTagUsage(MI_SECTION_TAG, &sections, &bytes);
    ExQueryPoolTagUsage(MI_SEGMENT_TAG, &segments, &bytes);
    KtExpectUserTestsPass("tsection");
    ExQueryPoolTagUsage(MI_SECTION_TAG, &sectionsAfter, &bytes);
    ExQueryPoolTagUsage(MI_SEGMENT_TAG, &segmentsAfter, &bytes);
    KT_EXPECT_EQ(sectionsAfter, sections);
    KT_EXPECT_EQ(segmentsAfter, segments);
}

// A program expected to die of an access violation, with every page back.
static void KtExpectProgramFaults(const char *name)
{
    PFN_NUMBER pagesBefore = KtUserPages();

    KT_EXPECT_EQ(KtRunUserProgram(name), STATUS_ACCESS_VIOLATION);
    KT_EXPECT_EQ(KtUserPages(), pagesBefore);
}

KTEST(WritingAReadOnlyPageEndsTheProcessWithAnAccessViolation)
{
    KtExpectProgramFaults("tfaultro");
}

KTEST(TouchingAnUnmappedViewEndsTheProcessWithAnAccessViolation)
{
    KtExpectProgramFaults("tfaultunmap");
}
