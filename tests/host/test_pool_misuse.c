// The tagged pool's answer to misuse (kernel/mm/pool.c on the host, over
// tests/host/poolshim.c): each misuse stops the system with a bugcheck that
// names the culprit, as NT's BAD_POOL_CALLER and BAD_POOL_HEADER do.

#include "poolshim.h"
#include "pooltest.h"

// ---- Misuse: each stops the system with the culprit in the parameters -------------------

TEST(PoolDoubleFreeIsBadPoolCaller7)
{
    ULONG tag = POOL_TAG('D', 'b', 'l', '1');
    void *block, *keep;

    PoolTestStart();
    block = ExAllocatePoolWithTag(NonPagedPool, 32, tag);
    keep = ExAllocatePoolWithTag(NonPagedPool, 32, tag);
    ExFreePoolWithTag(block, tag);
    EXPECT_BUGCHECK(BAD_POOL_CALLER, ExFreePoolWithTag(block, tag));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], 7);
    EXPECT_EQ(ShimLastBugCheck.Parameter[2], (ULONG64)block);
    EXPECT(!ShimLastBugCheck.LockHeld);
    EXPECT_EQ(Outstanding(tag), 1);
    ExFreePoolWithTag(keep, tag);
}

TEST(PoolDoubleFreeOfABlockMergedIntoItsNeighbourIsBadPoolCaller7)
{
    ULONG tag = POOL_TAG('D', 'b', 'l', '2');
    void *a, *b, *keep;

    PoolTestStart();
    a = ExAllocatePoolWithTag(NonPagedPool, 64, tag);
    b = ExAllocatePoolWithTag(NonPagedPool, 64, tag);
    keep = ExAllocatePoolWithTag(NonPagedPool, 64, tag);
    ExFreePoolWithTag(a, tag);
    ExFreePoolWithTag(b, tag);          // b's header now lies inside a's free block
    EXPECT_BUGCHECK(BAD_POOL_CALLER, ExFreePoolWithTag(b, tag));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], 7);
    ExFreePoolWithTag(keep, tag);
}

TEST(PoolDoubleFreeOfABigAllocationIsBadPoolCaller7)
{
    ULONG tag = POOL_TAG('D', 'b', 'l', '3');
    void *big;

    PoolTestStart();
    big = ExAllocatePoolWithTag(NonPagedPool, 2 * PAGE_SIZE, tag);
    ExFreePoolWithTag(big, tag);
    EXPECT_BUGCHECK(BAD_POOL_CALLER, ExFreePoolWithTag(big, tag));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], 7);
    EXPECT_EQ(ShimLastBugCheck.Parameter[2], (ULONG64)big);
    EXPECT(!ShimLastBugCheck.LockHeld);
}

TEST(PoolFreeWithTheWrongTagIsBadPoolCallerA)
{
    ULONG tag = POOL_TAG('T', 'a', 'g', '1');
    ULONG wrong = POOL_TAG('W', 'r', 'n', 'g');
    void *block;

    PoolTestStart();
    block = ExAllocatePoolWithTag(NonPagedPool, 48, tag);
    EXPECT_BUGCHECK(BAD_POOL_CALLER, ExFreePoolWithTag(block, wrong));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], 0xA);
    EXPECT_EQ(ShimLastBugCheck.Parameter[1], (ULONG64)block);
    EXPECT_EQ(ShimLastBugCheck.Parameter[2], wrong);
    EXPECT_EQ(ShimLastBugCheck.Parameter[3], tag);
    EXPECT(!ShimLastBugCheck.LockHeld);
    ExFreePoolWithTag(block, tag);
    EXPECT_EQ(Outstanding(tag), 0);
}

TEST(PoolFreeOfABigAllocationWithTheWrongTagIsBadPoolCallerA)
{
    ULONG tag = POOL_TAG('T', 'a', 'g', '2');
    ULONG wrong = POOL_TAG('W', 'r', 'n', 'g');
    void *big;

    PoolTestStart();
    big = ExAllocatePoolWithTag(PagedPool, 3 * PAGE_SIZE, tag);
    EXPECT_BUGCHECK(BAD_POOL_CALLER, ExFreePoolWithTag(big, wrong));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], 0xA);
    EXPECT_EQ(ShimLastBugCheck.Parameter[3], tag);
    ExFreePoolWithTag(big, tag);
    EXPECT_EQ(Outstanding(tag), 0);
}

TEST(PoolOneByteOverrunIsBadPoolHeaderNamingTheTag)
{
    ULONG tag = POOL_TAG('O', 'v', 'r', '1');
    UCHAR *block;

    PoolTestStart();
    block = ExAllocatePoolWithTag(NonPagedPool, 20, tag);
    block[20] = 0x55;                   // one byte past what was asked for
    EXPECT_BUGCHECK(BAD_POOL_HEADER, ExFreePoolWithTag(block, tag));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], POOL_BUGCHECK_OVERRUN);
    EXPECT_EQ(ShimLastBugCheck.Parameter[1], (ULONG64)block);
    EXPECT_EQ(ShimLastBugCheck.Parameter[2], 20);
    EXPECT_EQ(ShimLastBugCheck.Parameter[3], tag);
    EXPECT(!ShimLastBugCheck.LockHeld);
    block[20] = POOL_SLACK_PATTERN;     // repair, so the block can really be freed
    ExFreePoolWithTag(block, tag);
}

TEST(PoolOverrunToTheLastSlackByteIsCaught)
{
    ULONG tag = POOL_TAG('O', 'v', 'r', '2');
    UCHAR *block;

    PoolTestStart();
    block = ExAllocatePoolWithTag(NonPagedPool, 1, tag);     // a 16-byte body
    block[15] = 0;
    EXPECT_BUGCHECK(BAD_POOL_HEADER, ExFreePoolWithTag(block, tag));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], POOL_BUGCHECK_OVERRUN);
    block[15] = POOL_SLACK_PATTERN;
    ExFreePoolWithTag(block, tag);
}

TEST(PoolOverrunOfABigAllocationIsBadPoolHeaderNamingTheTag)
{
    ULONG tag = POOL_TAG('O', 'v', 'r', '3');
    UCHAR *big;

    PoolTestStart();
    big = ExAllocatePoolWithTag(NonPagedPool, 5000, tag);
    big[5000] = 0;
    EXPECT_BUGCHECK(BAD_POOL_HEADER, ExFreePoolWithTag(big, tag));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], POOL_BUGCHECK_OVERRUN);
    EXPECT_EQ(ShimLastBugCheck.Parameter[1], (ULONG64)big);
    EXPECT_EQ(ShimLastBugCheck.Parameter[2], 5000);
    EXPECT_EQ(ShimLastBugCheck.Parameter[3], tag);
    EXPECT(!ShimLastBugCheck.LockHeld);
    big[5000] = POOL_SLACK_PATTERN;
    big[2 * PAGE_SIZE - 1] = 0;         // the very last byte of the last page
    EXPECT_BUGCHECK(BAD_POOL_HEADER, ExFreePoolWithTag(big, tag));
    big[2 * PAGE_SIZE - 1] = POOL_SLACK_PATTERN;
    ExFreePoolWithTag(big, tag);
    EXPECT_EQ(Outstanding(tag), 0);
}

TEST(PoolCorruptionReportNamesTheTag)
{
    ULONG tag = POOL_TAG('O', 'v', 'r', '4');
    UCHAR *block;

    PoolTestStart();
    block = ExAllocatePoolWithTag(NonPagedPool, 20, tag);
    block[21] = 0;
    EXPECT_BUGCHECK(BAD_POOL_HEADER, ExFreePoolWithTag(block, tag));
    EXPECT(strstr(ShimDisplay, "Pool corruption") != NULL);
    EXPECT(strstr(ShimDisplay, "tag 'Ovr4'") != NULL);
    block[21] = POOL_SLACK_PATTERN;
    ExFreePoolWithTag(block, tag);
}

TEST(PoolOverrunIntoTheNextHeaderIsCaughtFreeingEitherBlock)
{
    ULONG tag = POOL_TAG('N', 'b', 'r', '1');
    UCHAR *a, *b;
    UCHAR saved;

    PoolTestStart();
    a = ExAllocatePoolWithTag(NonPagedPool, 32, tag);     // no slack: 32 fills the body
    b = ExAllocatePoolWithTag(NonPagedPool, 32, tag);
    EXPECT(b == a + 48);
    saved = a[32];                      // b's PreviousSize
    a[32] = 0x02;
    EXPECT_BUGCHECK(BAD_POOL_HEADER, ExFreePoolWithTag(a, tag));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], 0x20);
    EXPECT_EQ(ShimLastBugCheck.Parameter[3], tag);
    EXPECT_BUGCHECK(BAD_POOL_HEADER, ExFreePoolWithTag(b, tag));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], 0x20);
    EXPECT(!ShimLastBugCheck.LockHeld);
    a[32] = saved;
    ExFreePoolWithTag(a, tag);
    ExFreePoolWithTag(b, tag);
}

TEST(PoolDamagedPreviousSizeIsCaughtWithoutLeavingThePage)
{
    ULONG tag = POOL_TAG('N', 'b', 'r', '2');
    UCHAR *a, *b;
    UCHAR saved;

    PoolTestStart();
    a = ExAllocatePoolWithTag(PagedPool, 32, tag);
    b = ExAllocatePoolWithTag(PagedPool, 32, tag);
    EXPECT_EQ(BYTE_OFFSET(a), sizeof(POOL_HEADER));     // a starts the page
    saved = HeaderOf(b)->PreviousSize;
    HeaderOf(b)->PreviousSize = 0xF0;   // would point 3840 bytes back: before the page
    EXPECT_BUGCHECK(BAD_POOL_HEADER, ExFreePoolWithTag(b, tag));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], 0x20);
    HeaderOf(b)->PreviousSize = 0;      // claims to start the page, and does not
    EXPECT_BUGCHECK(BAD_POOL_HEADER, ExFreePoolWithTag(b, tag));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], 0x20);
    HeaderOf(b)->PreviousSize = saved;
    ExFreePoolWithTag(a, tag);
    ExFreePoolWithTag(b, tag);
}

TEST(PoolDamagedBlockSizeIsCaught)
{
    ULONG tag = POOL_TAG('H', 'd', 'r', '1');
    UCHAR *a, *keep;
    UCHAR saved;

    PoolTestStart();
    a = ExAllocatePoolWithTag(NonPagedPool, 64, tag);
    keep = ExAllocatePoolWithTag(NonPagedPool, 64, tag);
    saved = HeaderOf(a)->BlockSize;
    HeaderOf(a)->BlockSize = 0xFF;      // past the end of the page
    EXPECT_BUGCHECK(BAD_POOL_HEADER, ExFreePoolWithTag(a, tag));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], 0x20);
    HeaderOf(a)->BlockSize = 1;         // smaller than any block
    EXPECT_BUGCHECK(BAD_POOL_HEADER, ExFreePoolWithTag(a, tag));
    HeaderOf(a)->BlockSize = saved;
    ExFreePoolWithTag(a, tag);
    ExFreePoolWithTag(keep, tag);
}

TEST(PoolWriteAfterFreeIntoFreeListLinksIsCaught)
{
    ULONG tag = POOL_TAG('U', 'a', 'f', '1');
    UCHAR *a, *b, *keep;
    LIST_ENTRY *links;
    LIST_ENTRY saved, stray;

    PoolTestStart();
    keep = ExAllocatePoolWithTag(NonPagedPool, 64, tag);
    a = ExAllocatePoolWithTag(NonPagedPool, 64, tag);
    b = ExAllocatePoolWithTag(NonPagedPool, 64, tag);
    ExFreePoolWithTag(b, tag);          // b's body now holds its free-list links
    links = (LIST_ENTRY *)b;
    saved = *links;
    InitializeListHead(&stray);
    links->Flink = &stray;              // a use after free: a pointer stored in it
    EXPECT_BUGCHECK(BAD_POOL_HEADER, ExFreePoolWithTag(a, tag));   // merging meets b
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], 0x3);
    *links = saved;
    ExFreePoolWithTag(a, tag);          // the first try stopped half way
    ExFreePoolWithTag(keep, tag);
}

TEST(PoolFreeOfAnAddressOutsideThePoolIsBadPoolCaller46)
{
    UCHAR local[64];

    PoolTestStart();
    EXPECT_BUGCHECK(BAD_POOL_CALLER, ExFreePool(local + 16));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], 0x46);
    EXPECT_BUGCHECK(BAD_POOL_CALLER, ExFreePool(NULL));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], 0x46);
}

TEST(PoolFreeOfAMisalignedAddressIsBadPoolCaller46)
{
    ULONG tag = POOL_TAG('M', 'i', 's', '1');
    UCHAR *block;

    PoolTestStart();
    block = ExAllocatePoolWithTag(NonPagedPool, 64, tag);
    EXPECT_BUGCHECK(BAD_POOL_CALLER, ExFreePoolWithTag(block + 1, tag));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], 0x46);
    ExFreePoolWithTag(block, tag);
}

TEST(PoolAllocationAboveTheIrqlItAllowsIsBadPoolCaller8)
{
    ULONG tag = POOL_TAG('I', 'r', 'q', '1');

    PoolTestStart();
    ShimIrql = DISPATCH_LEVEL;
    EXPECT_BUGCHECK(BAD_POOL_CALLER, ExAllocatePoolWithTag(PagedPool, 64, tag));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], 8);
    EXPECT_EQ(ShimLastBugCheck.Parameter[1], DISPATCH_LEVEL);
    EXPECT_EQ(ShimLastBugCheck.Parameter[2], PagedPool);
    EXPECT_EQ(ShimLastBugCheck.Parameter[3], 64);
    ShimIrql = HIGH_LEVEL;
    EXPECT_BUGCHECK(BAD_POOL_CALLER, ExAllocatePoolWithTag(NonPagedPool, 64, tag));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], 8);
    ShimIrql = PASSIVE_LEVEL;
    EXPECT_EQ(Outstanding(tag), 0);
}

TEST(PoolNonPagedAllocationAtDispatchLevelIsAllowed)
{
    ULONG tag = POOL_TAG('I', 'r', 'q', '2');
    void *block;

    PoolTestStart();
    ShimIrql = DISPATCH_LEVEL;
    block = ExAllocatePoolWithTag(NonPagedPool, 64, tag);
    EXPECT(block != NULL);
    EXPECT_EQ(ShimIrql, DISPATCH_LEVEL);
    ExFreePoolWithTag(block, tag);
    ShimIrql = APC_LEVEL;
    block = ExAllocatePoolWithTag(PagedPool, 64, tag);
    EXPECT(block != NULL);
    ExFreePoolWithTag(block, tag);
    ShimIrql = PASSIVE_LEVEL;
    EXPECT_EQ(ShimErrors, 0);
}

TEST(PoolFreeAboveDispatchLevelIsBadPoolCaller9)
{
    ULONG tag = POOL_TAG('I', 'r', 'q', '3');
    void *block;

    PoolTestStart();
    block = ExAllocatePoolWithTag(NonPagedPool, 64, tag);
    ShimIrql = CLOCK_LEVEL;
    EXPECT_BUGCHECK(BAD_POOL_CALLER, ExFreePoolWithTag(block, tag));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], 9);
    ShimIrql = PASSIVE_LEVEL;
    ExFreePoolWithTag(block, tag);
}

TEST(PoolAllocationWithoutATagIsBadPoolCaller9B)
{
    PoolTestStart();
    EXPECT_BUGCHECK(BAD_POOL_CALLER, ExAllocatePoolWithTag(NonPagedPool, 64, 0));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], 0x9B);
    EXPECT_BUGCHECK(BAD_POOL_CALLER, ExAllocatePoolWithTag(NonPagedPool, 64, POOL_FREE_TAG));
    EXPECT_EQ(ShimLastBugCheck.Parameter[0], 0x9B);
}
