// What the pool's host tests share (test_pool.c, test_pool_misuse.c): a
// fresh pool, counts read from its tracker, and a check of its invariants.

#pragma once

#include "poolshim.h"

#define SMALL_LIMIT (POOL_MAX_SMALL_UNITS * sizeof(POOL_HEADER) - sizeof(POOL_HEADER))  // 4048

// Every test starts here: the pool made once for the whole host run (so
// defined once, in test_pool.c), IRQL at PASSIVE_LEVEL, no failures armed.
void PoolTestStart(void);

// Pages the pool holds for blocks (the big-page table's own pages aside).
static inline SIZE_T PoolPagesInUse(void)
{
    return ShimPagesOutstanding() -
           BYTES_TO_PAGES(PoolBigPageTableSize * sizeof(POOL_TRACKER_BIG_PAGES));
}

static inline ULONG Outstanding(ULONG tag)
{
    ULONG allocations;
    SIZE_T bytes;

    ExQueryPoolTagUsage(tag, &allocations, &bytes);
    return allocations;
}

static inline SIZE_T BytesInUse(ULONG tag)
{
    ULONG allocations;
    SIZE_T bytes;

    ExQueryPoolTagUsage(tag, &allocations, &bytes);
    return bytes;
}

static inline const POOL_TRACKER_TABLE *Tracker(ULONG tag)
{
    for (ULONG i = 0; i < POOL_TRACKER_TABLE_SIZE; i++) {
        if (PoolTrackTable[i].Key == tag)
            return &PoolTrackTable[i];
    }
    return NULL;
}

static inline POOL_HEADER *HeaderOf(void *block)
{
    return (POOL_HEADER *)block - 1;
}

static inline BOOLEAN IsBigPageTable(const void *va)
{
    return PoolBigPageTable && va == (const void *)PoolBigPageTable;
}

// ---- Walking pages ------------------------------------------------------------------------

typedef struct _PAGE_BLOCKS {
    POOL_BLOCK_INFO Block[POOL_PAGE_UNITS];
    ULONG Count;
} PAGE_BLOCKS;

static inline void CollectBlock(void *context, const POOL_BLOCK_INFO *block)
{
    PAGE_BLOCKS *blocks = context;

    if (blocks->Count < POOL_PAGE_UNITS)
        blocks->Block[blocks->Count++] = *block;
}

static inline BOOLEAN WalkPage(const void *address, PAGE_BLOCKS *blocks)
{
    memset(blocks, 0, sizeof(*blocks));
    return ExpWalkPoolPage((ULONG64)address, ShimReadMemory, CollectBlock, blocks);
}

typedef struct _POOL_CENSUS {
    ULONG SmallBlocks;
    ULONG BigBlocks;
} POOL_CENSUS;

static char InvariantFailure[200] __attribute__((unused));

// Walks every page the pool has out and checks what must always hold: the
// headers chain (the walk checks PreviousSize against each BlockSize), the
// blocks fill the page exactly, free neighbours have been merged, a page
// with nothing allocated has been given back, one pool type per page, and
// every free block is linked consistently into its free list.
static inline BOOLEAN PoolIsConsistent(POOL_CENSUS *census)
{
    static PAGE_BLOCKS blocks;

    memset(census, 0, sizeof(*census));
    for (ULONG r = 0; r < ShimRangeCount(); r++) {
        SIZE_T pages;
        UCHAR *va = ShimRange(r, &pages);
        ULONG sum = 0, allocated = 0;

        if (IsBigPageTable(va))
            continue;
        if (!WalkPage(va, &blocks) || blocks.Count == 0) {
            snprintf(InvariantFailure, sizeof(InvariantFailure), "page %p does not walk",
                     (void *)va);
            return FALSE;
        }
        if (blocks.Block[0].LargePage) {
            if (blocks.Count != 1 || blocks.Block[0].BlockAddress != (ULONG64)va ||
                blocks.Block[0].BlockSize != pages * PAGE_SIZE || !blocks.Block[0].Allocated) {
                snprintf(InvariantFailure, sizeof(InvariantFailure),
                         "big allocation %p of %zu pages misdescribed", (void *)va, pages);
                return FALSE;
            }
            census->BigBlocks++;
            continue;
        }
        for (ULONG i = 0; i < blocks.Count; i++) {
            const POOL_BLOCK_INFO *block = &blocks.Block[i];
            const char *broken = NULL;

            sum += block->BlockSize;
            if (pages != 1)
                broken = "small blocks in a multi-page range";
            else if (block->Paged != blocks.Block[0].Paged)
                broken = "paged and nonpaged blocks share a page";
            else if (!block->Allocated && i > 0 && !blocks.Block[i - 1].Allocated)
                broken = "two free blocks side by side";
            else if (!block->Allocated && block->Tag == 0)
                broken = "free block without a tag";
            else if (!block->Allocated &&
                     !RtlIsListEntryConsistent((LIST_ENTRY *)(block->BlockAddress +
                                                              sizeof(POOL_HEADER))))
                broken = "free block badly linked";
            if (broken) {
                snprintf(InvariantFailure, sizeof(InvariantFailure), "%s at %llx", broken,
                         (unsigned long long)block->BlockAddress);
                return FALSE;
            }
            allocated += block->Allocated;
        }
        if (sum != PAGE_SIZE || allocated == 0) {
            snprintf(InvariantFailure, sizeof(InvariantFailure),
                     "page %p: blocks sum to %u bytes, %u allocated", (void *)va, sum,
                     allocated);
            return FALSE;
        }
        census->SmallBlocks += allocated;
    }
    return TRUE;
}

#define EXPECT_POOL_CONSISTENT(census)                                          \
    do {                                                                        \
        if (!PoolIsConsistent(census)) {                                        \
            HostTestFail(__FILE__, __LINE__, InvariantFailure);                 \
            return;                                                             \
        }                                                                       \
    } while (0)
