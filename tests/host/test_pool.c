// The tagged pool (kernel/mm/pool.c) on the host, over tests/host/poolshim.c.
// Every test frees what it allocates, so each starts from a pool with no
// page in use.

#include "poolshim.h"
#include "pooltest.h"

void PoolTestStart(void)
{
    static BOOLEAN initialized;

    if (!initialized) {
        ExInitializePool();
        initialized = TRUE;
    }
    ShimIrql = PASSIVE_LEVEL;
    ShimFailPageAllocations = FALSE;
    ShimErrors = 0;
}

// ---- Per-tag accounting -------------------------------------------------------------------

TEST(PoolCountsAllocationsPerTagUpAndBackDown)
{
    ULONG tag = POOL_TAG('C', 'n', 't', '1');
    void *blocks[3];

    PoolTestStart();
    for (int i = 0; i < 3; i++) {
        blocks[i] = ExAllocatePoolWithTag(NonPagedPool, 100, tag);
        EXPECT(blocks[i] != NULL);
        EXPECT_EQ(Outstanding(tag), i + 1);
    }
    for (int i = 0; i < 3; i++)
        ExFreePoolWithTag(blocks[i], tag);
    EXPECT_EQ(Outstanding(tag), 0);
    EXPECT_EQ(BytesInUse(tag), 0);
}

TEST(PoolCountsBytesAsWholeBlocksWithTheirHeaders)
{
    ULONG tag = POOL_TAG('C', 'n', 't', '2');
    void *small, *big;

    PoolTestStart();
    small = ExAllocatePoolWithTag(NonPagedPool, 100, tag);     // 7 units + header
    EXPECT_EQ(BytesInUse(tag), 128);
    big = ExAllocatePoolWithTag(NonPagedPool, 5000, tag);      // two pages
    EXPECT_EQ(BytesInUse(tag), 128 + 2 * PAGE_SIZE);
    ExFreePoolWithTag(small, tag);
    ExFreePoolWithTag(big, tag);
    EXPECT_EQ(BytesInUse(tag), 0);
}

TEST(PoolCountsPagedAndNonPagedSeparately)
{
    ULONG tag = POOL_TAG('C', 'n', 't', '3');
    void *paged, *nonPaged;
    const POOL_TRACKER_TABLE *tracker;

    PoolTestStart();
    paged = ExAllocatePoolWithTag(PagedPool, 32, tag);
    nonPaged = ExAllocatePoolWithTag(NonPagedPool, 32, tag);
    tracker = Tracker(tag);
    EXPECT(tracker != NULL);
    EXPECT_EQ(tracker->PagedAllocs - tracker->PagedFrees, 1);
    EXPECT_EQ(tracker->NonPagedAllocs - tracker->NonPagedFrees, 1);
    EXPECT_EQ(Outstanding(tag), 2);
    ExFreePoolWithTag(paged, tag);
    EXPECT_EQ(tracker->PagedFrees, 1);
    EXPECT_EQ(tracker->NonPagedFrees, 0);
    ExFreePool(nonPaged);
    EXPECT_EQ(tracker->NonPagedFrees, 1);
}

// ---- Pages and coalescing -------------------------------------------------------------------

TEST(PoolGivesBackAPageWhoseBlocksAreAllFreed)
{
    ULONG tag = POOL_TAG('P', 'g', 'e', '1');
    SIZE_T before;
    void *blocks[10];

    PoolTestStart();
    before = PoolPagesInUse();
    for (int i = 0; i < 10; i++)
        blocks[i] = ExAllocatePoolWithTag(NonPagedPool, 64, tag);
    EXPECT_EQ(PoolPagesInUse(), before + 1);
    for (int i = 0; i < 10; i++)
        ExFreePoolWithTag(blocks[i], tag);
    EXPECT_EQ(PoolPagesInUse(), before);
    EXPECT_EQ(ShimErrors, 0);
}

TEST(PoolMergesAFreedBlockWithFreeNeighboursOnBothSides)
{
    ULONG tag = POOL_TAG('M', 'r', 'g', '1');
    PAGE_BLOCKS blocks;
    UCHAR *a, *b, *c, *d;

    PoolTestStart();
    a = ExAllocatePoolWithTag(NonPagedPool, 100, tag);
    b = ExAllocatePoolWithTag(NonPagedPool, 200, tag);
    c = ExAllocatePoolWithTag(NonPagedPool, 300, tag);
    d = ExAllocatePoolWithTag(NonPagedPool, 400, tag);     // keeps the page
    EXPECT(b == a + 128 && c == b + 224 && d == c + 320);
    ExFreePoolWithTag(a, tag);
    ExFreePoolWithTag(c, tag);
    ExFreePoolWithTag(b, tag);
    EXPECT(WalkPage(d, &blocks));
    EXPECT_EQ(blocks.Count, 3);
    EXPECT(!blocks.Block[0].Allocated);
    EXPECT_EQ(blocks.Block[0].BlockSize, 128 + 224 + 320);
    EXPECT_EQ(blocks.Block[1].BlockAddress, (ULONG64)d - sizeof(POOL_HEADER));
    EXPECT_EQ(blocks.Block[1].PreviousSize, 128 + 224 + 320);
    ExFreePoolWithTag(d, tag);
}

TEST(PoolGivesBackThePageOnceMergingFreesIt)
{
    ULONG tag = POOL_TAG('M', 'r', 'g', '2');
    SIZE_T before;
    void *a, *b, *c;

    PoolTestStart();
    before = PoolPagesInUse();
    a = ExAllocatePoolWithTag(PagedPool, 100, tag);
    b = ExAllocatePoolWithTag(PagedPool, 100, tag);
    c = ExAllocatePoolWithTag(PagedPool, 100, tag);
    ExFreePoolWithTag(a, tag);
    ExFreePoolWithTag(c, tag);
    EXPECT_EQ(PoolPagesInUse(), before + 1);
    ExFreePoolWithTag(b, tag);
    EXPECT_EQ(PoolPagesInUse(), before);
}

TEST(PoolReusesFreedSpaceBeforeTakingANewPage)
{
    ULONG tag = POOL_TAG('R', 'u', 's', 'e');
    SIZE_T before;
    void *keep, *first, *second;

    PoolTestStart();
    before = PoolPagesInUse();
    keep = ExAllocatePoolWithTag(NonPagedPool, 64, tag);
    first = ExAllocatePoolWithTag(NonPagedPool, 1000, tag);
    ExFreePoolWithTag(first, tag);
    second = ExAllocatePoolWithTag(NonPagedPool, 1000, tag);
    EXPECT_EQ(PoolPagesInUse(), before + 1);
    ExFreePoolWithTag(second, tag);
    ExFreePoolWithTag(keep, tag);
}

TEST(PoolPagedAndNonPagedBlocksNeverShareAPage)
{
    ULONG tag = POOL_TAG('T', 'y', 'p', 'e');
    static void *paged[200], *nonPaged[200];
    POOL_CENSUS census;

    PoolTestStart();
    for (int i = 0; i < 200; i++) {
        paged[i] = ExAllocatePoolWithTag(PagedPool, 16 + (i * 53) % 700, tag);
        nonPaged[i] = ExAllocatePoolWithTag(NonPagedPool, 16 + (i * 31) % 700, tag);
        EXPECT(paged[i] && nonPaged[i]);
    }
    for (int i = 0; i < 200; i++) {
        for (int j = 0; j < 200; j++)
            EXPECT(PAGE_ALIGN(paged[i]) != PAGE_ALIGN(nonPaged[j]));
        EXPECT_EQ(HeaderOf(paged[i])->PoolIndex, POOL_INDEX_PAGED);
        EXPECT_EQ(HeaderOf(nonPaged[i])->PoolIndex, POOL_INDEX_NONPAGED);
    }
    EXPECT_POOL_CONSISTENT(&census);
    for (int i = 0; i < 200; i++) {
        ExFreePoolWithTag(paged[i], tag);
        ExFreePoolWithTag(nonPaged[i], tag);
    }
}

// ---- Many random allocations and frees --------------------------------------------------

#define RANDOM_STEPS 5000
#define RANDOM_MAX_LIVE 96
#define RANDOM_TAGS 4

typedef struct _LIVE_BLOCK {
    UCHAR *Block;
    SIZE_T Bytes;
    ULONG Tag;
    UCHAR Fill;
    BOOLEAN Big;
} LIVE_BLOCK;

static ULONG RandomNext(ULONG64 *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (ULONG)(*state >> 33);
}

static SIZE_T RandomSize(ULONG64 *state)
{
    ULONG kind = RandomNext(state) % 100;

    if (kind < 2)
        return 0;
    if (kind < 60)
        return 1 + RandomNext(state) % 128;
    if (kind < 85)
        return 129 + RandomNext(state) % 900;
    if (kind < 95)
        return 1025 + RandomNext(state) % (SMALL_LIMIT - 1024);
    return SMALL_LIMIT + 1 + RandomNext(state) % (3 * PAGE_SIZE);
}

static BOOLEAN Filled(const UCHAR *block, SIZE_T bytes, UCHAR fill)
{
    for (SIZE_T i = 0; i < bytes; i++) {
        if (block[i] != fill)
            return FALSE;
    }
    return TRUE;
}

TEST(PoolStaysConsistentThroughRandomAllocationsAndFrees)
{
    static LIVE_BLOCK live[RANDOM_MAX_LIVE];
    static const ULONG tags[RANDOM_TAGS] = {
        POOL_TAG('R', 'n', 'd', '0'), POOL_TAG('R', 'n', 'd', '1'),
        POOL_TAG('R', 'n', 'd', '2'), POOL_TAG('R', 'n', 'd', '3'),
    };
    ULONG liveCount = 0, perTag[RANDOM_TAGS] = { 0 };
    ULONG liveBig = 0;
    ULONG64 state = 0x5EED0F5EEDULL;
    POOL_CENSUS baseline, census;
    SIZE_T pagesBefore;

    PoolTestStart();
    pagesBefore = PoolPagesInUse();
    EXPECT_POOL_CONSISTENT(&baseline);
    for (int step = 0; step < RANDOM_STEPS; step++) {
        BOOLEAN allocate = liveCount == 0 ||
                           (liveCount < RANDOM_MAX_LIVE && RandomNext(&state) % 100 < 55);

        if (allocate) {
            LIVE_BLOCK *entry = &live[liveCount];
            ULONG which = RandomNext(&state) % RANDOM_TAGS;

            entry->Bytes = RandomSize(&state);
            entry->Tag = tags[which];
            entry->Fill = (UCHAR)step;
            entry->Block = ExAllocatePoolWithTag(RandomNext(&state) % 2 ? PagedPool
                                                                         : NonPagedPool,
                                                 entry->Bytes, entry->Tag);
            EXPECT(entry->Block != NULL);
            entry->Big = BYTE_OFFSET(entry->Block) == 0;
            memset(entry->Block, entry->Fill, entry->Bytes);
            liveCount++;
            liveBig += entry->Big;
            perTag[which]++;
        } else {
            ULONG victim = RandomNext(&state) % liveCount;
            LIVE_BLOCK *entry = &live[victim];

            // Nothing else was handed memory that overlaps this block.
            EXPECT(Filled(entry->Block, entry->Bytes, entry->Fill));
            ExFreePoolWithTag(entry->Block, RandomNext(&state) % 4 ? entry->Tag : 0);
            for (ULONG t = 0; t < RANDOM_TAGS; t++)
                perTag[t] -= tags[t] == entry->Tag;
            liveBig -= entry->Big;
            *entry = live[--liveCount];
        }

        EXPECT_POOL_CONSISTENT(&census);
        EXPECT_EQ(census.SmallBlocks - baseline.SmallBlocks, liveCount - liveBig);
        EXPECT_EQ(census.BigBlocks - baseline.BigBlocks, liveBig);
        for (ULONG t = 0; t < RANDOM_TAGS; t++)
            EXPECT_EQ(Outstanding(tags[t]), perTag[t]);
    }

    while (liveCount) {
        EXPECT(Filled(live[liveCount - 1].Block, live[liveCount - 1].Bytes,
                      live[liveCount - 1].Fill));
        ExFreePoolWithTag(live[liveCount - 1].Block, live[liveCount - 1].Tag);
        liveCount--;
    }
    for (ULONG t = 0; t < RANDOM_TAGS; t++) {
        EXPECT_EQ(Outstanding(tags[t]), 0);
        EXPECT_EQ(BytesInUse(tags[t]), 0);
    }
    EXPECT_EQ(PoolPagesInUse(), pagesBefore);
    EXPECT_EQ(ShimErrors, 0);
}

// ---- Sizes -------------------------------------------------------------------------------------

TEST(PoolZeroByteAllocationWorks)
{
    ULONG tag = POOL_TAG('Z', 'e', 'r', 'o');
    void *a, *b;

    PoolTestStart();
    a = ExAllocatePoolWithTag(NonPagedPool, 0, tag);
    b = ExAllocatePoolWithTag(NonPagedPool, 0, tag);
    EXPECT(a != NULL && b != NULL && a != b);
    EXPECT_EQ(Outstanding(tag), 2);
    ExFreePoolWithTag(a, tag);
    ExFreePoolWithTag(b, tag);
    EXPECT_EQ(Outstanding(tag), 0);
}

TEST(PoolBlocksAreSixteenByteAlignedAndWritableToTheirEnd)
{
    ULONG tag = POOL_TAG('A', 'l', 'g', 'n');
    static const SIZE_T sizes[] = { 1, 15, 16, 17, 100, 1000, 4000, SMALL_LIMIT };

    PoolTestStart();
    for (size_t i = 0; i < ARRAYSIZE(sizes); i++) {
        UCHAR *block = ExAllocatePoolWithTag(NonPagedPool, sizes[i], tag);

        EXPECT(block != NULL);
        EXPECT_EQ((ULONG_PTR)block % sizeof(POOL_HEADER), 0);
        memset(block, 0x42, sizes[i]);
        ExFreePoolWithTag(block, tag);
    }
}

TEST(PoolSlackAfterTheRequestCarriesThePattern)
{
    ULONG tag = POOL_TAG('S', 'l', 'c', 'k');
    UCHAR *block;

    PoolTestStart();
    block = ExAllocatePoolWithTag(NonPagedPool, 20, tag);     // a 32-byte body
    for (int i = 20; i < 32; i++)
        EXPECT_EQ(block[i], POOL_SLACK_PATTERN);
    EXPECT_EQ(HeaderOf(block)->RequestedBytes, 20);
    ExFreePoolWithTag(block, tag);
}

TEST(PoolLargestSmallAllocationIs4048Bytes)
{
    ULONG tag = POOL_TAG('L', 'i', 'm', 't');
    UCHAR *small, *big;

    PoolTestStart();
    small = ExAllocatePoolWithTag(NonPagedPool, SMALL_LIMIT, tag);
    big = ExAllocatePoolWithTag(NonPagedPool, SMALL_LIMIT + 1, tag);
    EXPECT_EQ(BYTE_OFFSET(small), sizeof(POOL_HEADER));
    EXPECT_EQ(HeaderOf(small)->BlockSize, POOL_MAX_SMALL_UNITS);
    EXPECT_EQ(BYTE_OFFSET(big), 0);
    ExFreePoolWithTag(small, tag);
    ExFreePoolWithTag(big, tag);
}

TEST(PoolBigAllocationIsPageAlignedAndTracked)
{
    ULONG tag = POOL_TAG('B', 'i', 'g', '1');
    SIZE_T before;
    UCHAR *big;
    PAGE_BLOCKS blocks;

    PoolTestStart();
    before = PoolPagesInUse();
    big = ExAllocatePoolWithTag(PagedPool, 3 * PAGE_SIZE + 1, tag);
    EXPECT(big != NULL);
    EXPECT_EQ(BYTE_OFFSET(big), 0);
    EXPECT_EQ(PoolPagesInUse(), before + 4);
    memset(big, 0x42, 3 * PAGE_SIZE + 1);
    EXPECT(WalkPage(big + 2 * PAGE_SIZE + 5, &blocks));
    EXPECT_EQ(blocks.Count, 1);
    EXPECT(blocks.Block[0].LargePage && blocks.Block[0].Paged && blocks.Block[0].Allocated);
    EXPECT_EQ(blocks.Block[0].BlockAddress, (ULONG64)big);
    EXPECT_EQ(blocks.Block[0].BlockSize, 4 * PAGE_SIZE);
    EXPECT_EQ(blocks.Block[0].Tag, tag);
    EXPECT_EQ(Outstanding(tag), 1);
    ExFreePoolWithTag(big, tag);
    EXPECT_EQ(PoolPagesInUse(), before);
    EXPECT_EQ(Outstanding(tag), 0);
}

TEST(PoolTracksMoreBigAllocationsThanItsFirstTableHolds)
{
    ULONG tag = POOL_TAG('B', 'i', 'g', '2');
    static void *big[POOL_BIG_TABLE_INITIAL + 100];
    SIZE_T before;

    PoolTestStart();
    before = PoolPagesInUse();
    for (size_t i = 0; i < ARRAYSIZE(big); i++) {
        big[i] = ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, tag);
        EXPECT(big[i] != NULL);
    }
    EXPECT(PoolBigPageTableSize > POOL_BIG_TABLE_INITIAL);
    EXPECT_EQ(Outstanding(tag), ARRAYSIZE(big));
    for (size_t i = 0; i < ARRAYSIZE(big); i++)
        ExFreePoolWithTag(big[i], tag);
    EXPECT_EQ(Outstanding(tag), 0);
    EXPECT_EQ(PoolPagesInUse(), before);
    EXPECT_EQ(ShimErrors, 0);
}

TEST(PoolRequestBeyondTheMaximumGetsNull)
{
    ULONG tag = POOL_TAG('H', 'u', 'g', 'e');

    PoolTestStart();
    EXPECT(ExAllocatePoolWithTag(NonPagedPool, POOL_MAX_ALLOCATION + 1, tag) == NULL);
    EXPECT(ExAllocatePoolWithTag(NonPagedPool, ~(SIZE_T)0, tag) == NULL);
    EXPECT_EQ(Outstanding(tag), 0);
}

TEST(PoolOutOfPagesGetsNullAndCountsNothing)
{
    ULONG tag = POOL_TAG('O', 'o', 'm', '1');
    SIZE_T before;

    PoolTestStart();
    before = PoolPagesInUse();
    ShimFailPageAllocations = TRUE;
    EXPECT(ExAllocatePoolWithTag(NonPagedPool, 64, tag) == NULL);
    EXPECT(ExAllocatePoolWithTag(NonPagedPool, 3 * PAGE_SIZE, tag) == NULL);
    ShimFailPageAllocations = FALSE;
    EXPECT_EQ(Outstanding(tag), 0);
    EXPECT_EQ(PoolPagesInUse(), before);
    EXPECT_EQ(ShimIrql, PASSIVE_LEVEL);
}


// ---- What `!pool` sees ------------------------------------------------------------------

TEST(PoolPageWalkListsEveryBlockInAddressOrder)
{
    ULONG tag = POOL_TAG('W', 'l', 'k', '1');
    PAGE_BLOCKS blocks;
    UCHAR *a, *b;

    PoolTestStart();
    a = ExAllocatePoolWithTag(NonPagedPool, 100, tag);
    b = ExAllocatePoolWithTag(NonPagedPool, 200, tag);
    EXPECT(WalkPage(b + 50, &blocks));
    EXPECT_EQ(blocks.Count, 3);
    EXPECT_EQ(blocks.Block[0].BlockAddress, (ULONG64)a - sizeof(POOL_HEADER));
    EXPECT_EQ(blocks.Block[0].BlockSize, 128);
    EXPECT_EQ(blocks.Block[0].PreviousSize, 0);
    EXPECT_EQ(blocks.Block[0].Tag, tag);
    EXPECT(blocks.Block[0].Allocated && !blocks.Block[0].Paged && !blocks.Block[0].LargePage);
    EXPECT_EQ(blocks.Block[1].BlockSize, 224);
    EXPECT_EQ(blocks.Block[1].PreviousSize, 128);
    EXPECT(!blocks.Block[2].Allocated);
    EXPECT_EQ(blocks.Block[2].Tag, POOL_FREE_TAG);
    EXPECT_EQ(blocks.Block[2].BlockSize, PAGE_SIZE - 128 - 224);
    ExFreePoolWithTag(a, tag);
    ExFreePoolWithTag(b, tag);
}

TEST(PoolFreedBlockKeepsItsOwnersTag)
{
    ULONG tagA = POOL_TAG('O', 'w', 'n', 'A'), tagB = POOL_TAG('O', 'w', 'n', 'B');
    PAGE_BLOCKS blocks;
    UCHAR *a, *b;

    PoolTestStart();
    a = ExAllocatePoolWithTag(NonPagedPool, 100, tagA);
    b = ExAllocatePoolWithTag(NonPagedPool, 200, tagB);
    ExFreePoolWithTag(a, tagA);
    EXPECT(WalkPage(b, &blocks));
    EXPECT(!blocks.Block[0].Allocated);
    EXPECT_EQ(blocks.Block[0].Tag, tagA);
    EXPECT_BUGCHECK(BAD_POOL_CALLER, ExFreePoolWithTag(a, tagA));
    EXPECT_EQ(ShimLastBugCheck.Parameter[1], tagA);     // the culprit's tag, not "Free"
    ExFreePoolWithTag(b, tagB);
}

TEST(PoolPageWalkStopsAtDamageAfterReportingTheGoodBlocks)
{
    ULONG tag = POOL_TAG('W', 'l', 'k', '2');
    PAGE_BLOCKS blocks;
    UCHAR *a, *b;
    UCHAR saved;

    PoolTestStart();
    a = ExAllocatePoolWithTag(NonPagedPool, 100, tag);
    b = ExAllocatePoolWithTag(NonPagedPool, 200, tag);
    saved = HeaderOf(b)->PreviousSize;
    HeaderOf(b)->PreviousSize = 3;
    EXPECT(!WalkPage(a, &blocks));
    EXPECT_EQ(blocks.Count, 1);
    EXPECT_EQ(blocks.Block[0].BlockAddress, (ULONG64)a - sizeof(POOL_HEADER));
    HeaderOf(b)->PreviousSize = saved;
    ExFreePoolWithTag(a, tag);
    ExFreePoolWithTag(b, tag);
}

TEST(PoolPageWalkOfAnAddressOutsideThePoolFails)
{
    UCHAR local[64];
    PAGE_BLOCKS blocks;

    PoolTestStart();
    EXPECT(!WalkPage(local, &blocks));
    EXPECT_EQ(blocks.Count, 0);
}

TEST(PoolTagsPrintAsFourCharacters)
{
    char text[5];

    ExpFormatTag(POOL_TAG('L', 'p', 'c', 'M'), text);
    EXPECT_STREQ(text, "LpcM");
    ExpFormatTag(POOL_TAG('A', 0, 0x7f, 'z'), text);
    EXPECT_STREQ(text, "A..z");
}

TEST(PoolWalkNamesTheBigPageTableItself)
{
    PAGE_BLOCKS blocks;
    void *big;

    PoolTestStart();
    big = ExAllocatePoolWithTag(NonPagedPool, 3 * PAGE_SIZE, POOL_TAG('B', 'i', 'g', '1'));
    EXPECT(big != NULL);
    EXPECT(PoolBigPageTable != NULL);
    EXPECT(WalkPage((UCHAR *)PoolBigPageTable + 8, &blocks));
    EXPECT_EQ(blocks.Count, 1);
    EXPECT_EQ(blocks.Block[0].Tag, POOL_BIG_TABLE_TAG);
    EXPECT(blocks.Block[0].LargePage);
    ExFreePoolWithTag(big, POOL_TAG('B', 'i', 'g', '1'));
}
