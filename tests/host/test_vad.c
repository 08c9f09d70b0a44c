// The VAD list's pure logic (kernel/mm/vad.c): sorted insertion, lookup,
// overlap checks and the search for free ranges at their edges.

#include "hosttest.h"
#include "mm/mm.h"

#define BASE 0x20000000ULL

static void InitVad(MMVAD *vad, ULONG64 start, ULONG64 end)
{
    memset(vad, 0, sizeof(*vad));
    vad->StartingVpn = start >> PAGE_SHIFT;
    vad->EndingVpn = (end >> PAGE_SHIFT) - 1;
}

TEST(VadEmptyListIsAllFree)
{
    LIST_ENTRY root;
    ULONG64 base = 0;

    InitializeListHead(&root);
    EXPECT(MiLocateVad(&root, BASE >> PAGE_SHIFT) == NULL);
    EXPECT(MiNextVad(&root, 0) == NULL);
    EXPECT(MiIsRangeFree(&root, 0, ~0ULL >> PAGE_SHIFT));
    EXPECT(MiFindFreeRange(&root, 0x1000, 0x10000, 0x10000, 0x7FFFFFFEFFFFULL, FALSE, &base));
    EXPECT_EQ(base, 0x10000);
    EXPECT(MiFindFreeRange(&root, 0x1000, 0x10000, 0x10000, 0x7FFFFFFEFFFFULL, TRUE, &base));
    EXPECT_EQ(base, 0x7FFFFFFE0000ULL);
    EXPECT(!MiFindFreeRange(&root, 0, 0x10000, 0x10000, 0x7FFFFFFEFFFFULL, FALSE, &base));
    // Exactly the whole range fits, from either end; one page more does not.
    EXPECT(MiFindFreeRange(&root, 0x30000, 0x10000, 0x10000, 0x3FFFF, FALSE, &base));
    EXPECT_EQ(base, 0x10000);
    EXPECT(MiFindFreeRange(&root, 0x30000, 0x10000, 0x10000, 0x3FFFF, TRUE, &base));
    EXPECT_EQ(base, 0x10000);
    EXPECT(!MiFindFreeRange(&root, 0x31000, 0x10000, 0x10000, 0x3FFFF, FALSE, &base));
    EXPECT(!MiFindFreeRange(&root, 0x31000, 0x10000, 0x10000, 0x3FFFF, TRUE, &base));
}

TEST(VadRangesTouchingAtTheirEdgesDoNotOverlap)
{
    LIST_ENTRY root;
    MMVAD one, two;

    InitializeListHead(&root);
    InitVad(&two, BASE + 0x2000, BASE + 0x3000);
    InitVad(&one, BASE, BASE + 0x1000);
    MiInsertVad(&root, &two);
    MiInsertVad(&root, &one);
    EXPECT(root.Flink == &one.VadLinks && root.Blink == &two.VadLinks);
    EXPECT(MiIsRangeFree(&root, (BASE + 0x1000) >> PAGE_SHIFT, (BASE + 0x1FFF) >> PAGE_SHIFT));
    EXPECT(!MiIsRangeFree(&root, (BASE + 0x1000) >> PAGE_SHIFT, (BASE + 0x2000) >> PAGE_SHIFT));
    EXPECT(!MiIsRangeFree(&root, 0, ~0ULL >> PAGE_SHIFT));
    EXPECT(MiLocateVad(&root, (BASE + 0x2FFF) >> PAGE_SHIFT) == &two);
    EXPECT(MiLocateVad(&root, (BASE + 0x1000) >> PAGE_SHIFT) == NULL);
    EXPECT(MiNextVad(&root, BASE >> PAGE_SHIFT) == &two);
}

TEST(VadFreeRangeSkipsOccupiedAndMisalignedSpace)
{
    LIST_ENTRY root;
    MMVAD low, high;
    ULONG64 base = 0;

    InitializeListHead(&root);
    InitVad(&low, BASE + 0x1000, BASE + 0x2000);    // spoils the first 64K slot
    InitVad(&high, BASE + 0x30000, BASE + 0x31000); // and the top one
    MiInsertVad(&root, &low);
    MiInsertVad(&root, &high);
    EXPECT(MiFindFreeRange(&root, 0x10000, 0x10000, BASE, BASE + 0x3FFFF, FALSE, &base));
    EXPECT_EQ(base, BASE + 0x10000);
    EXPECT(MiFindFreeRange(&root, 0x10000, 0x10000, BASE, BASE + 0x3FFFF, TRUE, &base));
    EXPECT_EQ(base, BASE + 0x20000);
    EXPECT(!MiFindFreeRange(&root, 0x30000, 0x10000, BASE, BASE + 0x3FFFF, FALSE, &base));
    EXPECT(!MiFindFreeRange(&root, 0x30000, 0x10000, BASE, BASE + 0x3FFFF, TRUE, &base));
    // Page alignment fits the hole between them exactly.
    EXPECT(MiFindFreeRange(&root, 0x2E000, 0x1000, BASE + 0x2000, BASE + 0x2FFFF, FALSE, &base));
    EXPECT_EQ(base, BASE + 0x2000);
}
