// The user heap's core (user/lib/heap.c) over a page source made of host
// memory that counts what it hands out.

#include "hosttest.h"
#include "user/lib/heap.h"

#include <stdlib.h>

typedef struct _TEST_PAGES {
    size_t Segments;
    size_t Bytes;
    int Fail;       // the page source has nothing left
} TEST_PAGES;

static void *TestAllocatePages(void *context, size_t size)
{
    TEST_PAGES *pages = context;
    void *base;

    if (pages->Fail)
        return NULL;
    base = aligned_alloc(4096, size);
    if (base) {
        memset(base, 0xCC, size);
        pages->Segments++;
        pages->Bytes += size;
    }
    return base;
}

static void TestFreePages(void *context, void *base, size_t size)
{
    TEST_PAGES *pages = context;

    pages->Segments--;
    pages->Bytes -= size;
    free(base);
}

static void TestHeap(HEAP *heap, TEST_PAGES *pages)
{
    HEAP_PAGE_SOURCE source = {TestAllocatePages, TestFreePages, pages};

    memset(pages, 0, sizeof(*pages));
    RtlpHeapInitialize(heap, &source);
}

TEST(HeapBlocksAreAlignedDistinctAndWritable)
{
    HEAP heap;
    TEST_PAGES pages;
    unsigned char *blocks[64];

    TestHeap(&heap, &pages);
    for (int i = 0; i < 64; i++) {
        blocks[i] = RtlpHeapAllocate(&heap, (size_t)i * 7 + 1);
        EXPECT(blocks[i] != NULL);
        EXPECT_EQ((uintptr_t)blocks[i] % HEAP_GRANULARITY, 0);
        EXPECT(RtlpHeapSize(&heap, blocks[i]) >= (size_t)i * 7 + 1);
        memset(blocks[i], i, (size_t)i * 7 + 1);
    }
    for (int i = 0; i < 64; i++) {
        for (int j = 0; j < i * 7 + 1; j++)
            EXPECT_EQ(blocks[i][j], i);
    }
    EXPECT(RtlpHeapValidate(&heap));
    EXPECT_EQ(heap.BlocksInUse, 64);
    for (int i = 0; i < 64; i++)
        EXPECT(RtlpHeapFree(&heap, blocks[i]));
    EXPECT_EQ(heap.BlocksInUse, 0);
    EXPECT_EQ(heap.BytesInUse, 0);
    EXPECT(RtlpHeapValidate(&heap));
    RtlpHeapDestroy(&heap);
    EXPECT_EQ(pages.Segments, 0);
}

TEST(HeapFreedNeighboursMergeIntoOneBlock)
{
    HEAP heap;
    TEST_PAGES pages;
    void *a, *b, *c, *big;

    TestHeap(&heap, &pages);
    a = RtlpHeapAllocate(&heap, 1000);
    b = RtlpHeapAllocate(&heap, 1000);
    c = RtlpHeapAllocate(&heap, 1000);
    EXPECT(a && b && c);
    EXPECT(RtlpHeapFree(&heap, b));
    EXPECT(RtlpHeapFree(&heap, a));     // merges with b after it
    // The merged hole holds a block bigger than either, at a's address.
    big = RtlpHeapAllocate(&heap, 2000);
    EXPECT(big == a);
    EXPECT(RtlpHeapFree(&heap, big));
    EXPECT(RtlpHeapFree(&heap, c));     // merges with the hole before and the rest after
    EXPECT(RtlpHeapValidate(&heap));
    // Everything is one free block again: a segment's worth fits in one piece.
    big = RtlpHeapAllocate(&heap, HEAP_SEGMENT_SIZE - 2 * HEAP_GRANULARITY);
    EXPECT(big == a);
    EXPECT_EQ(pages.Segments, 1);
    RtlpHeapDestroy(&heap);
}

TEST(HeapLargeRequestGetsASegmentThatGoesBackWhenFreed)
{
    HEAP heap;
    TEST_PAGES pages;
    void *small, *large;

    TestHeap(&heap, &pages);
    small = RtlpHeapAllocate(&heap, 32);
    large = RtlpHeapAllocate(&heap, 5 * HEAP_SEGMENT_SIZE);
    EXPECT(small && large);
    EXPECT_EQ(pages.Segments, 2);
    EXPECT(RtlpHeapSize(&heap, large) >= 5 * HEAP_SEGMENT_SIZE);
    EXPECT(RtlpHeapFree(&heap, large));
    EXPECT_EQ(pages.Segments, 1);
    EXPECT(RtlpHeapFree(&heap, small));
    // The last segment stays for the next allocation.
    EXPECT_EQ(pages.Segments, 1);
    EXPECT(RtlpHeapValidate(&heap));
    RtlpHeapDestroy(&heap);
    EXPECT_EQ(pages.Bytes, 0);
}

TEST(HeapRefusesDoubleFreesAndForeignPointers)
{
    HEAP heap;
    TEST_PAGES pages;
    char *block;
    char local[64];

    TestHeap(&heap, &pages);
    block = RtlpHeapAllocate(&heap, 100);
    EXPECT(block);
    EXPECT(!RtlpHeapFree(&heap, block + 16));   // the middle of a block
    EXPECT(!RtlpHeapFree(&heap, block + 1));    // misaligned
    EXPECT(!RtlpHeapFree(&heap, local + 16));   // not the heap's
    EXPECT(!RtlpHeapFree(&heap, NULL));
    EXPECT_EQ(RtlpHeapSize(&heap, block + 16), (size_t)-1);
    EXPECT(RtlpHeapFree(&heap, block));
    EXPECT(!RtlpHeapFree(&heap, block));        // twice
    EXPECT(RtlpHeapValidate(&heap));
    RtlpHeapDestroy(&heap);
}

TEST(HeapFailsCleanlyWhenThePageSourceIsEmptyOrTheRequestHuge)
{
    HEAP heap;
    TEST_PAGES pages;
    void *block;

    TestHeap(&heap, &pages);
    EXPECT(RtlpHeapAllocate(&heap, HEAP_MAXIMUM_REQUEST + 1) == NULL);
    pages.Fail = 1;
    EXPECT(RtlpHeapAllocate(&heap, 10) == NULL);
    pages.Fail = 0;
    block = RtlpHeapAllocate(&heap, 0);     // a zero-byte request still gets a block
    EXPECT(block != NULL);
    EXPECT(RtlpHeapFree(&heap, block));
    EXPECT(RtlpHeapValidate(&heap));
    RtlpHeapDestroy(&heap);
}

TEST(HeapSurvivesARandomMixOfAllocationsAndFrees)
{
    HEAP heap;
    TEST_PAGES pages;
    unsigned char *blocks[512] = {0};
    size_t sizes[512];
    unsigned seed = 12345;

    TestHeap(&heap, &pages);
    for (int round = 0; round < 20000; round++) {
        int slot;

        seed = seed * 1103515245 + 12345;
        slot = (seed >> 8) % 512;
        if (blocks[slot]) {
            for (size_t i = 0; i < sizes[slot]; i++)
                EXPECT_EQ(blocks[slot][i], (unsigned char)slot);
            EXPECT(RtlpHeapFree(&heap, blocks[slot]));
            blocks[slot] = NULL;
        } else {
            sizes[slot] = (seed >> 4) % ((seed & 0x100) ? 70000 : 300);
            blocks[slot] = RtlpHeapAllocate(&heap, sizes[slot]);
            EXPECT(blocks[slot] != NULL);
            memset(blocks[slot], slot, sizes[slot]);
        }
        if (round % 1000 == 0)
            EXPECT(RtlpHeapValidate(&heap));
    }
    for (int slot = 0; slot < 512; slot++) {
        if (blocks[slot])
            EXPECT(RtlpHeapFree(&heap, blocks[slot]));
    }
    EXPECT_EQ(heap.BlocksInUse, 0);
    EXPECT_EQ(pages.Segments, 1);
    EXPECT(RtlpHeapValidate(&heap));
    RtlpHeapDestroy(&heap);
}
