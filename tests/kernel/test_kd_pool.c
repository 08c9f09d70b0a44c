// !pool and !poolused: every tag in use has a description (pooltag.txt),
// `!pool ADDR 2` shows only the block holding the address, and !poolused
// sorts by tag or by the bytes of either pool.

#include "tests/kernel/ktkd.h"
#include "kd/kdpool.h"
#include "mm/pool.h"

#define KT_POOL_TAG     POOL_TAG('K', 't', 'P', 'l')
#define KT_NONPAGED_TAG POOL_TAG('K', 't', 'P', 'N')
#define KT_PAGED_TAG    POOL_TAG('K', 't', 'P', 'P')
// 'KtUn' on purpose written as a number: genpooltag.py checks only
// POOL_TAG literals, and this one must have no description.
#define KT_UNDESCRIBED_TAG 0x6e55744bu

// Runs after the tests whose names sort before it (the linker orders them
// by name), so the tags of boot, the drivers and those tests are all in
// the tracking table: each must have a description.
KTEST(PoolTagsInUseAreAllDescribed)
{
    ULONG tags = 0;

    for (ULONG i = 0; i < POOL_TRACKER_TABLE_SIZE; i++) {
        ULONG tag = PoolTrackTable[i].Key;
        char text[5], why[64];

        if (!tag)
            continue;
        tags++;
        if (!KdpDescribePoolTag(tag)) {
            ExpFormatTag(tag, text);
            RtlStringPrintf(why, sizeof(why), "a pooltag.txt line for tag '%s'", text);
            KtFail(__FILE__, __LINE__, why);
        }
    }
    // Boot alone uses a score of tags (objects, threads, ports, drivers').
    KT_CHECK(tags >= 20);
    KT_CHECK(KdpDescribePoolTag(POOL_TAG('T', 'h', 'r', 'e')) != NULL);
    KT_CHECK(strcmp(KdpDescribePoolTag(POOL_TAG('T', 'h', 'r', 'e'))->Binary, "nt!ps") == 0);
}

KTEST(KdPoolFlagTwoShowsOnlyTheBlockHoldingTheAddress)
{
    UCHAR *blocks[3];
    POOL_HEADER *header;

    for (ULONG i = 0; i < ARRAYSIZE(blocks); i++)
        blocks[i] = ExAllocatePoolWithTag(NonPagedPool, 0x40 + 0x20 * i, KT_POOL_TAG);
    if (!blocks[0] || !blocks[1] || !blocks[2]) {
        KtFail(__FILE__, __LINE__, "three pool blocks");
    } else {
        header = (POOL_HEADER *)blocks[1] - 1;
        KtKdRunf("!pool %s 2", KT_KD_HEX(blocks[1] + 8));
        KtKdExpect("Pool page %s region is Nonpaged pool\n"
                   "*%016llx size: %4x previous size: %4x  (Allocated) *KtPl\n"
                   "\t\tPooltag KtPl : !pool and !poolused self-test blocks, Binary : nt!kt\n",
                   KT_KD_HEX(blocks[1] + 8), KT_KD_ADDRESS(header), header->BlockSize * 16u,
                   header->PreviousSize * 16u);
        KT_CHECK_EQ(KtKdCount(KtKdOutput, "previous size: "), 1);
        KT_CHECK_EQ(KtKdCount(KtKdOutput, "\n"), 3);
        // Without the flag, the page's other blocks are there too (the
        // first block may share the page or not; the block itself is).
        KtKdRunf("!pool %s", KT_KD_HEX(blocks[1] + 8));
        KT_CHECK(KtKdCount(KtKdOutput, "previous size: ") > 1);
        KtKdExpect("*%016llx size:", KT_KD_ADDRESS(header));
        // !poolfind takes the tag as a value too ("0x", WinDbg's TagValue).
        KtKdRun("!poolfind 0x6c50744b");
        KtKdExpect("for Tag: KtPl\n");
        KtKdExpect("\n3 blocks found\n");
        // Only flag 2 is supported: others are refused, not ignored.
        KtKdRunf("!pool %s 1", KT_KD_HEX(blocks[1]));
        KtKdExpect("Flags 1: only 2");
        KT_CHECK(!KtKdFind(KtKdOutput, "Pool page"));
    }
    for (ULONG i = 0; i < ARRAYSIZE(blocks); i++) {
        if (blocks[i])
            ExFreePoolWithTag(blocks[i], KT_POOL_TAG);
    }
}

// The numbers of one !poolused row: its four columns.
static BOOLEAN KtParsePoolUsedRow(const char *line, ULONG64 columns[4])
{
    const char *p = line + 5;       // " Tag " is the first five characters

    for (ULONG i = 0; i < 4; i++) {
        while (*p == ' ')
            p++;
        if (*p < '0' || *p > '9')
            return FALSE;
        columns[i] = 0;
        while (*p >= '0' && *p <= '9')
            columns[i] = columns[i] * 10 + (ULONG64)(*p++ - '0');
    }
    return TRUE;
}

// Checks the rows of the last !poolused: `column` (1: nonpaged bytes, 3:
// paged bytes) never grows from one row to the next, or with column 0 the
// tags ascend. Returns the number of rows.
static ULONG KtCheckPoolUsedOrder(ULONG column)
{
    const char *line = KtKdFind(KtKdOutput, " Tag    Allocs     Used    Allocs     Used\n");
    ULONG rows = 0;
    ULONG64 previous = ~0ULL;
    char previousTag[5] = "";

    if (!line)
        return 0;
    for (line = strchr(line, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        ULONG64 columns[4];
        char tag[5];

        if (!KtParsePoolUsedRow(line, columns)) {
            KtFail(__FILE__, __LINE__, "a !poolused row with four numbers");
            return rows;
        }
        memcpy(tag, line + 1, 4);
        tag[4] = '\0';
        if (column == 0 ? rows && strcmp(previousTag, tag) >= 0 : columns[column] > previous) {
            KtFail(__FILE__, __LINE__, "!poolused rows in order");
            return rows;
        }
        previous = columns[column];
        memcpy(previousTag, tag, sizeof(tag));
        rows++;
        if (!strchr(line, '\n'))
            break;
    }
    return rows;
}

KTEST(KdPoolUsedSortsByTagOrByEachPoolsBytes)
{
    // Bigger than anything boot holds under one tag in that pool.
    void *nonPaged = ExAllocatePoolWithTag(NonPagedPool, 512 * 1024, KT_NONPAGED_TAG);
    void *paged = ExAllocatePoolWithTag(PagedPool, 512 * 1024, KT_PAGED_TAG);
    ULONG rows;

    if (!nonPaged || !paged) {
        KtFail(__FILE__, __LINE__, "two big pool blocks");
    } else {
        KtKdRun("!poolused");
        KtKdExpect("   Sorting by  Tag\n\n  Pool Used:\n            NonPaged            Paged\n"
                   " Tag    Allocs     Used    Allocs     Used\n");
        KtKdExpect(" KtPN        1   %6u         0        0!poolused self-test: the "
                   "nonpaged-heavy tag , Binary: nt!kt\n", 512 * 1024);
        rows = KtCheckPoolUsedOrder(0);
        KT_CHECK(rows >= 20);

        KtKdRun("!poolused 2");
        KtKdExpect("   Sorting by  NonPaged Pool Consumed\n");
        KT_CHECK_EQ(KtCheckPoolUsedOrder(1), rows);
        // The biggest nonpaged user comes first.
        KtKdExpect(" Tag    Allocs     Used    Allocs     Used\n KtPN ");

        KtKdRun("!poolused 4");
        KtKdExpect("   Sorting by  Paged Pool Consumed\n");
        KT_CHECK_EQ(KtCheckPoolUsedOrder(3), rows);
        KtKdExpect(" Tag    Allocs     Used    Allocs     Used\n KtPP ");

        // A pattern keeps its tags only; bad flags are refused.
        KtKdRun("!poolused 4 KtP?");
        KT_CHECK(KtCheckPoolUsedOrder(3) >= 2);
        KtKdExpect(" Tag    Allocs     Used    Allocs     Used\n KtPP ");
        KT_CHECK(!KtKdFind(KtKdOutput, " Thre "));
        KtKdRun("!poolused 6");
        KtKdExpect("cannot go together");
        KtKdRun("!poolused 8");
        KtKdExpect("no session pool");
        KtKdRun("!poolused 0 Kt");
        KtKdExpect("four characters");
    }
    if (nonPaged)
        ExFreePoolWithTag(nonPaged, KT_NONPAGED_TAG);
    if (paged)
        ExFreePoolWithTag(paged, KT_PAGED_TAG);
}

// Named to run after PoolTagsInUseAreAllDescribed, which this tag would fail.
KTEST(PoolUsedSaysUnknownForATagWithoutDescription)
{
    void *block = ExAllocatePoolWithTag(NonPagedPool, 0x30, KT_UNDESCRIBED_TAG);

    KT_EXPECT(block != NULL);
    KT_CHECK(KdpDescribePoolTag(KT_UNDESCRIBED_TAG) == NULL);
    // Used is the block's whole size: 0x40 for 0x30 bytes and the header,
    // or a little more when a free block was taken whole (with several
    // processors the pool's free lists are not the same from run to run).
    ULONG used = block ? ((POOL_HEADER *)block - 1)->BlockSize * (ULONG)sizeof(POOL_HEADER) : 0;

    KT_CHECK(used >= 0x40);
    KtKdRun("!poolused 0 KtUn");
    KtKdExpect(" KtUn        1 %8u         0        0UNKNOWN pooltag 'KtUn', please update "
               "pooltag.txt\n", used);
    KtKdRunf("!pool %s 2", KT_KD_HEX(block));
    KtKdExpect("*KtUn\n\t\tOwning component : Unknown (update pooltag.txt)\n");
    ExFreePoolWithTag(block, KT_UNDESCRIBED_TAG);
}
