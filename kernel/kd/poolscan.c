// Finding pool blocks by tag, as `!poolfind` does and `!irpfind` builds on:
// the big-page table first (allocations of whole pages, which carry no
// header), then every mapped page of the pool region, block by block along
// the headers' size chain. Every read is fault-safe and every chain is
// checked; a page whose chain is broken is named and skipped, so a scribbled
// header costs one page of the search, not the search.

#include "kd/kd.h"
#include "kd/kdio.h"
#include "mm/mm.h"
#include "mm/pool.h"
#include "ps/ps.h"

#define KD_MAX_BIG_RANGES 4096      // page-granular allocations skipped by range

typedef struct _KD_BIG_RANGE {
    ULONG64 Start;
    ULONG64 End;
} KD_BIG_RANGE;

// The big allocations, sorted by address, so that the page walk can step
// over them; a table larger than this array is handled by leaving the
// excess to the header checks (their pages fail the chain check quietly).
static KD_BIG_RANGE KdpBigRanges[KD_MAX_BIG_RANGES];

BOOLEAN KdpPoolTagMatches(const char *pattern, ULONG tag)
{
    char text[5];

    ExpFormatTag(tag, text);
    return RtlMatchPattern(pattern, text);
}

static const char *KdpPoolName(ULONG poolIndex)
{
    return poolIndex == POOL_INDEX_PAGED ? "Paged" : "NonPaged";
}

// Reads the big-page table: calls back for the allocations that match, and
// keeps every allocation's range (whatever its tag) for the page walk.
static ULONG KdpScanBigPages(const KD_POOL_SCAN *scan, BOOLEAN *stopped, ULONG *rangeCount)
{
    POOL_TRACKER_BIG_PAGES *table = PoolBigPageTable;
    SIZE_T size = PoolBigPageTableSize;
    ULONG found = 0, ranges = 0;

    if (!scan->Quiet)
        KdpPrint("Scanning large pool allocation table for Tag: %s (%016llx : %016llx)\n\n",
                 scan->TagPattern, (unsigned long long)(ULONG_PTR)table,
                 (unsigned long long)((ULONG_PTR)table + size * sizeof(*table)));
    for (SIZE_T i = 0; i < size && !*stopped; i++) {
        POOL_TRACKER_BIG_PAGES entry;
        POOL_BLOCK_INFO block;

        if (!KdpReadMemory((ULONG64)(ULONG_PTR)&table[i], &entry, sizeof(entry))) {
            KdpPrint("Big-page table entry %llu at %016llx cannot be read: the rest of the "
                     "table is skipped\n", (unsigned long long)i,
                     (unsigned long long)(ULONG_PTR)&table[i]);
            break;
        }
        if (entry.Va == 0 || entry.Va == POOL_BIG_TOMBSTONE)
            continue;
        if (ranges < KD_MAX_BIG_RANGES) {
            KD_BIG_RANGE range = { entry.Va, entry.Va + ALIGN_UP_BY(entry.NumberOfBytes,
                                                                     PAGE_SIZE) };
            ULONG at = ranges++;

            for (; at > 0 && KdpBigRanges[at - 1].Start > range.Start; at--)
                KdpBigRanges[at] = KdpBigRanges[at - 1];
            KdpBigRanges[at] = range;
        }
        if (entry.PoolIndex != scan->PoolIndex || entry.Va < scan->Start ||
            !KdpPoolTagMatches(scan->TagPattern, entry.Key))
            continue;
        memset(&block, 0, sizeof(block));
        block.BlockAddress = entry.Va;
        block.BlockSize = (ULONG)ALIGN_UP_BY(entry.NumberOfBytes, PAGE_SIZE);
        block.Tag = entry.Key;
        block.Allocated = TRUE;
        block.Paged = entry.PoolIndex == POOL_INDEX_PAGED;
        block.LargePage = TRUE;
        found++;
        if (!scan->Callback(scan->Context, &block, entry.Va))
            *stopped = TRUE;
    }
    *rangeCount = ranges;
    return found;
}

// The end of the big allocation holding `page`, or 0 when none does.
static ULONG64 KdpBigRangeEnd(ULONG ranges, ULONG64 page)
{
    ULONG low = 0, high = ranges;

    while (low < high) {
        ULONG middle = (low + high) / 2;

        if (KdpBigRanges[middle].End <= page)
            low = middle + 1;
        else
            high = middle;
    }
    return low < ranges && KdpBigRanges[low].Start <= page ? KdpBigRanges[low].End : 0;
}

// One small-block page: the blocks chain by BlockSize from the page's start
// and each names its predecessor's size. FALSE when the chain is broken.
static BOOLEAN KdpScanPoolPage(const KD_POOL_SCAN *scan, ULONG64 page, ULONG *found,
                               BOOLEAN *stopped)
{
    ULONG previousUnits = 0;

    for (ULONG offset = 0; offset < PAGE_SIZE && !*stopped;) {
        POOL_HEADER header;
        POOL_BLOCK_INFO block;

        if (!KdpReadMemory(page + offset, &header, sizeof(header)) || header.BlockSize == 0 ||
            header.PreviousSize != previousUnits ||
            offset + header.BlockSize * sizeof(POOL_HEADER) > PAGE_SIZE)
            return FALSE;
        previousUnits = header.BlockSize;
        memset(&block, 0, sizeof(block));
        block.BlockAddress = page + offset;
        block.BlockSize = header.BlockSize * (ULONG)sizeof(POOL_HEADER);
        block.PreviousSize = header.PreviousSize * (ULONG)sizeof(POOL_HEADER);
        block.Tag = header.PoolTag;
        block.Allocated = header.PoolType != 0;
        block.Paged = header.PoolIndex == POOL_INDEX_PAGED;
        offset += block.BlockSize;
        if (!block.Allocated || header.PoolIndex != scan->PoolIndex ||
            block.BlockAddress < ALIGN_DOWN_BY(scan->Start, sizeof(POOL_HEADER)) ||
            !KdpPoolTagMatches(scan->TagPattern, block.Tag))
            continue;
        (*found)++;
        if (!scan->Callback(scan->Context, &block, block.BlockAddress + sizeof(POOL_HEADER)))
            *stopped = TRUE;
    }
    return TRUE;
}

ULONG KdpScanPool(const KD_POOL_SCAN *scan)
{
    ULONG64 start = MM_NONPAGED_POOL_START, end = MM_NONPAGED_POOL_START + MM_NONPAGED_POOL_SIZE;
    ULONG64 directoryTableBase, page, next;
    BOOLEAN stopped = FALSE;
    ULONG ranges = 0, found;

    found = KdpScanBigPages(scan, &stopped, &ranges);
    if (!scan->Quiet)
        KdpPrint("Searching %s pool (%016llx : %016llx) for Tag: %s\n\n",
                 KdpPoolName(scan->PoolIndex), (unsigned long long)start,
                 (unsigned long long)end, scan->TagPattern);
    // The pool is in the kernel half, the same in every address space.
    if (!KdpReadMemory((ULONG64)(ULONG_PTR)PsInitialSystemProcess +
                           FIELD_OFFSET(EPROCESS, Pcb.DirectoryTableBase),
                       &directoryTableBase, sizeof(directoryTableBase))) {
        KdpPrint("The System process's page tables cannot be read: no pool to search\n");
        return found;
    }
    next = scan->Start > start && scan->Start < end ? ALIGN_DOWN_BY(scan->Start, PAGE_SIZE)
                                                    : start;
    while (!stopped && !KdpCancelled() &&
           KdpNextMappedPage(directoryTableBase, next, end, &page)) {
        ULONG64 bigEnd = KdpBigRangeEnd(ranges, page);

        if (bigEnd) {
            next = bigEnd;
            continue;
        }
        if (PoolBigPageTable && page >= (ULONG64)(ULONG_PTR)PoolBigPageTable &&
            page < (ULONG64)(ULONG_PTR)PoolBigPageTable +
                       PoolBigPageTableSize * sizeof(POOL_TRACKER_BIG_PAGES)) {
            next = page + PAGE_SIZE;        // the table's own pages have no headers
            continue;
        }
        if (!KdpScanPoolPage(scan, page, &found, &stopped) && ranges < KD_MAX_BIG_RANGES)
            KdpPrint("Pool page %016llx: its block headers do not chain (corrupt?); "
                     "skipped\n", (unsigned long long)page);
        next = page + PAGE_SIZE;
    }
    return found;
}

// ---- !poolfind ----------------------------------------------------------------------------

static BOOLEAN KdpPrintFoundBlock(void *context, const POOL_BLOCK_INFO *block, ULONG64 body)
{
    char tag[5];

    UNREFERENCED_PARAMETER(context);
    UNREFERENCED_PARAMETER(body);
    ExpFormatTag(block->Tag, tag);
    if (block->LargePage)
        KdpPrint("%016llx : large page allocation, tag is %s, size is 0x%x bytes\n",
                 (unsigned long long)block->BlockAddress, tag, block->BlockSize);
    else
        KdpPrint("%016llx size: %4x previous size: %4x  (Allocated) %s\n",
                 (unsigned long long)block->BlockAddress, block->BlockSize,
                 block->PreviousSize, tag);
    return TRUE;
}

BOOLEAN KdpParsePoolType(const char *text, ULONG *poolIndex)
{
    ULONG64 type;

    if (!KdpGetValue(text, &type))
        return FALSE;
    if (type > 1) {
        KdpPrint("Pool type %llx: Sleuth has NonPaged (0) and Paged (1) pool only, no "
                 "special or session pool\n", (unsigned long long)type);
        return FALSE;
    }
    *poolIndex = type == 1 ? POOL_INDEX_PAGED : POOL_INDEX_NONPAGED;
    return TRUE;
}

// `!poolfind Tag [PoolType]`: every allocated block whose tag matches (with
// '?' and '*' wildcards, as WinDbg's `Irp?`).
static KD_COMMAND_RESULT KdpPoolFind(int argc, char **argv)
{
    KD_POOL_SCAN scan = { NULL, POOL_INDEX_NONPAGED, 0, KdpPrintFoundBlock, NULL, FALSE };
    char pattern[8];
    ULONG found;

    if (argc < 2 || argc > 3) {
        KdpPrint("Usage: !poolfind TagString|0xTagValue [PoolType]\n");
        return KdCommandContinue;
    }
    if (argc == 3 && !KdpParsePoolType(argv[2], &scan.PoolIndex))
        return KdCommandContinue;
    // A TagValue starts with "0x" (WinDbg's rule: "0X" is a string); its
    // four bytes are the tag's characters, as they lie in memory.
    if (argv[1][0] == '0' && argv[1][1] == 'x') {
        ULONG64 value;

        if (!KdpGetValue(argv[1], &value))
            return KdCommandContinue;
        if (value > 0xffffffffULL) {
            KdpPrint("A TagValue is four bytes: %s is not one\n", argv[1]);
            return KdCommandContinue;
        }
        ExpFormatTag((ULONG)value, pattern);
    } else if (strlen(argv[1]) > 4 && !strchr(argv[1], '*')) {
        KdpPrint("A pool tag is at most four characters: %s is not one\n", argv[1]);
        return KdCommandContinue;
    } else {
        // A short tag is padded as NT's are: "Irp" is 'Irp '.
        RtlStringPrintf(pattern, sizeof(pattern), strchr(argv[1], '*') ? "%s" : "%-4s",
                        argv[1]);
    }
    scan.TagPattern = pattern;
    KdpPrint("\n");
    found = KdpScanPool(&scan);
    KdpPrint("%u block%s found\n", found, found == 1 ? "" : "s");
    return KdCommandContinue;
}

const KD_COMMAND KdpPoolFindCommands[] = {
    { "!poolfind", KdpPoolFind, "!poolfind TagString|0xTagValue [PoolType]",
      "every allocated pool block with a tag (? and * match any, or 0x and the tag's value), "
      "big pages first; PoolType 0 NonPaged, 1 Paged" },
    { NULL, NULL, NULL, NULL },
};
