// In-kernel tests of the tagged pool and the physical page allocator.

#include "tests/kernel/ktest.h"
#include "ke/ke.h"
#include "mm/mm.h"
#include "mm/pool.h"

#define TEST_TAG POOL_TAG('K', 't', 's', 't')

static ULONG KtOutstanding(ULONG tag)
{
    ULONG allocations;
    SIZE_T bytes;

    ExQueryPoolTagUsage(tag, &allocations, &bytes);
    return allocations;
}

KTEST(PoolAllocationsAreCountedPerTag)
{
    ULONG before = KtOutstanding(TEST_TAG);
    void *a = ExAllocatePoolWithTag(NonPagedPool, 100, TEST_TAG);
    void *b = ExAllocatePoolWithTag(NonPagedPool, 5000, TEST_TAG);

    KT_EXPECT(a && b);
    KT_EXPECT_EQ(KtOutstanding(TEST_TAG), before + 2);
    ExFreePoolWithTag(a, TEST_TAG);
    ExFreePoolWithTag(b, TEST_TAG);
    KT_EXPECT_EQ(KtOutstanding(TEST_TAG), before);
}

KTEST(PoolBlocksLiveInThePoolRegion)
{
    UCHAR *block = ExAllocatePoolWithTag(NonPagedPool, 64, TEST_TAG);

    KT_EXPECT(block != NULL);
    KT_EXPECT(ExpIsPoolAddress((ULONG64)block));
    KT_EXPECT(((POOL_HEADER *)block - 1)->PoolTag == TEST_TAG);
    memset(block, 0xAA, 64);
    ExFreePoolWithTag(block, TEST_TAG);
}

KTEST(PoolFreedPagesGoBackToTheMemoryManager)
{
    MM_STATISTICS before, after;
    void *blocks[64];

    MmQueryStatistics(&before);
    for (ULONG i = 0; i < ARRAYSIZE(blocks); i++)
        blocks[i] = ExAllocatePoolWithTag(NonPagedPool, 3000, TEST_TAG);
    for (ULONG i = 0; i < ARRAYSIZE(blocks); i++) {
        KT_EXPECT(blocks[i] != NULL);
        ExFreePoolWithTag(blocks[i], TEST_TAG);
    }
    MmQueryStatistics(&after);
    KT_EXPECT_EQ(after.AvailablePages, before.AvailablePages);
    KT_EXPECT_EQ(after.PoolVirtualPagesInUse, before.PoolVirtualPagesInUse);
}

KTEST(PoolManySmallBlocksInterleavedFreesLeaveNothing)
{
    static void *blocks[2000];
    ULONG before = KtOutstanding(TEST_TAG);
    MM_STATISTICS statsBefore, statsAfter;

    MmQueryStatistics(&statsBefore);
    for (ULONG i = 0; i < ARRAYSIZE(blocks); i++) {
        blocks[i] = ExAllocatePoolWithTag(i % 3 ? NonPagedPool : PagedPool, 8 + (i * 37) % 600,
                                          TEST_TAG);
        KT_EXPECT(blocks[i] != NULL);
    }
    for (ULONG i = 0; i < ARRAYSIZE(blocks); i += 2)
        ExFreePoolWithTag(blocks[i], TEST_TAG);
    for (ULONG i = 1; i < ARRAYSIZE(blocks); i += 2)
        ExFreePoolWithTag(blocks[i], TEST_TAG);
    KT_EXPECT_EQ(KtOutstanding(TEST_TAG), before);
    MmQueryStatistics(&statsAfter);
    KT_EXPECT_EQ(statsAfter.PoolVirtualPagesInUse, statsBefore.PoolVirtualPagesInUse);
}

KTEST(PoolDoubleFreeIsABugCheck)
{
    KJUMP_BUFFER resume;
    void *block = ExAllocatePoolWithTag(NonPagedPool, 32, TEST_TAG);
    void *keep = ExAllocatePoolWithTag(NonPagedPool, 32, TEST_TAG);

    KT_EXPECT(block && keep);
    ExFreePoolWithTag(block, TEST_TAG);
    if (KiSetJump(&resume) == 0) {
        KiExpectBugCheck(BAD_POOL_CALLER, &resume);
        ExFreePoolWithTag(block, TEST_TAG);
        KiClearExpectedBugCheck();
        KtFail(__FILE__, __LINE__, "a bugcheck on the second free");
    }
    KT_EXPECT_EQ(KiBugCheckData.Code, BAD_POOL_CALLER);
    KT_EXPECT_EQ(KiBugCheckData.Parameter[0], 7);
    ExFreePoolWithTag(keep, TEST_TAG);
}

KTEST(PoolOverrunIsABugCheckNamingTheTag)
{
    KJUMP_BUFFER resume;
    UCHAR *block = ExAllocatePoolWithTag(NonPagedPool, 20, TEST_TAG);

    KT_EXPECT(block != NULL);
    block[20] = 0x55;   // one byte past what was asked for
    if (KiSetJump(&resume) == 0) {
        KiExpectBugCheck(BAD_POOL_HEADER, &resume);
        ExFreePoolWithTag(block, TEST_TAG);
        KiClearExpectedBugCheck();
        KtFail(__FILE__, __LINE__, "a bugcheck for the overrun");
    }
    KT_EXPECT_EQ(KiBugCheckData.Code, BAD_POOL_HEADER);
    KT_EXPECT_EQ(KiBugCheckData.Parameter[3], TEST_TAG);
    block[20] = POOL_SLACK_PATTERN;     // repair, so the block can really be freed
    ExFreePoolWithTag(block, TEST_TAG);
}

KTEST(PoolFreeWithWrongTagIsABugCheck)
{
    KJUMP_BUFFER resume;
    void *block = ExAllocatePoolWithTag(NonPagedPool, 48, TEST_TAG);

    KT_EXPECT(block != NULL);
    if (KiSetJump(&resume) == 0) {
        KiExpectBugCheck(BAD_POOL_CALLER, &resume);
        ExFreePoolWithTag(block, POOL_TAG('W', 'r', 'n', 'g'));
        KiClearExpectedBugCheck();
        KtFail(__FILE__, __LINE__, "a bugcheck for the wrong tag");
    }
    KT_EXPECT_EQ(KiBugCheckData.Parameter[0], 0xA);
    ExFreePoolWithTag(block, TEST_TAG);
}

KTEST(PhysicalPagesAreReusedAfterFree)
{
    MM_STATISTICS before, after;
    PFN_NUMBER pfn;

    MmQueryStatistics(&before);
    pfn = MmAllocatePhysicalPage(MmUsageOther);
    KT_EXPECT(pfn != 0);
    memset(MmPfnToVirtual(pfn), 0x5A, PAGE_SIZE);     // the direct map reaches it
    MmFreePhysicalPage(pfn);
    MmQueryStatistics(&after);
    KT_EXPECT_EQ(after.AvailablePages, before.AvailablePages);
}
