// Pool commands: !pool (the blocks of the page holding an address) and
// !poolused (outstanding allocations per tag), with WinDbg's layout. Who
// uses which tag comes from Sleuth's pooltag.txt (kdpool.h).

#include "kd/kd.h"
#include "kd/kdpool.h"
#include "mm/mm.h"
#include "mm/pool.h"

#define KD_POOL_CONTENTS      0x1   // !pool: WinDbg's "dump the blocks' contents" (not here)
#define KD_POOL_ONLY_BLOCK    0x2   // !pool: only the block holding the address
#define KD_POOLUSED_VERBOSE   0x1   // !poolused's flags, WinDbg's
#define KD_POOLUSED_NONPAGED  0x2   // sort by nonpaged bytes
#define KD_POOLUSED_PAGED     0x4   // sort by paged bytes
#define KD_POOLUSED_SESSION   0x8   // session pool

const KD_POOLTAG_DESCRIPTION *KdpDescribePoolTag(ULONG tag)
{
    for (ULONG i = 0; i < KdpPoolTagDescriptionCount; i++) {
        if (KdpPoolTagDescriptions[i].Tag == tag)
            return &KdpPoolTagDescriptions[i];
    }
    return NULL;
}

typedef struct _KD_POOL_WALK {
    ULONG64 Target;
    BOOLEAN OnlyTarget;
    BOOLEAN Found;
    BOOLEAN Header;
    POOL_BLOCK_INFO TargetBlock;
} KD_POOL_WALK;

static void KdpPrintPoolLine(const POOL_BLOCK_INFO *block, BOOLEAN target)
{
    char tag[5];

    ExpFormatTag(block->Tag, tag);
    if (block->LargePage) {
        KdpPrint("*%016llx : large page allocation, tag is %s, size is 0x%x bytes\n",
                 (unsigned long long)block->BlockAddress, tag, block->BlockSize);
    } else {
        KdpPrint("%c%016llx size: %4x previous size: %4x  %-11s %c%s\n", target ? '*' : ' ',
                 (unsigned long long)block->BlockAddress, block->BlockSize,
                 block->PreviousSize, block->Allocated ? "(Allocated)" : "(Free)",
                 target ? '*' : ' ', tag);
    }
}

static void KdpPrintPoolBlock(void *context, const POOL_BLOCK_INFO *block)
{
    KD_POOL_WALK *walk = context;
    BOOLEAN target = walk->Target >= block->BlockAddress &&
                     walk->Target < block->BlockAddress + block->BlockSize;

    if (!walk->Header) {
        KdpPrint("Pool page %016llx region is %s pool\n", (unsigned long long)walk->Target,
                 block->Paged ? "Paged" : "Nonpaged");
        walk->Header = TRUE;
    }
    if (target) {
        walk->Found = TRUE;
        walk->TargetBlock = *block;
    }
    if (!walk->OnlyTarget || target)
        KdpPrintPoolLine(block, target);
}

// `!pool Address [Flags]`: the page's blocks, or with flag 2 only the one
// holding the address, then who owns that block's tag.
static KD_COMMAND_RESULT KdpPool(int argc, char **argv)
{
    KD_POOL_WALK walk;
    const KD_POOLTAG_DESCRIPTION *description;
    ULONG64 flags = 0;
    char tag[5];

    memset(&walk, 0, sizeof(walk));
    if (argc < 2 || argc > 3) {
        KdpPrint("Usage: !pool Address [Flags]\n");
        return KdCommandContinue;
    }
    if (!KdpGetValue(argv[1], &walk.Target) || (argc == 3 && !KdpGetValue(argv[2], &flags)))
        return KdCommandContinue;
    if (flags & ~(ULONG64)KD_POOL_ONLY_BLOCK) {
        KdpPrint("Flags %llx: only 2 (just the block holding the address) is supported; "
                 "dump a block's contents with dq/dc\n", (unsigned long long)flags);
        return KdCommandContinue;
    }
    walk.OnlyTarget = (flags & KD_POOL_ONLY_BLOCK) != 0;
    if (!ExpIsPoolAddress(walk.Target)) {
        KdpPrint("%016llx is not a valid pool address (pool is %016llx - %016llx)\n",
                 (unsigned long long)walk.Target, (unsigned long long)MM_NONPAGED_POOL_START,
                 (unsigned long long)(MM_NONPAGED_POOL_START + MM_NONPAGED_POOL_SIZE - 1));
        return KdCommandContinue;
    }
    if (!ExpWalkPoolPage(walk.Target, KdpReadMemory, KdpPrintPoolBlock, &walk)) {
        if (!walk.Header)
            KdpPrint("Pool page %016llx is not mapped or not a pool page\n",
                     (unsigned long long)walk.Target);
        else
            KdpPrint("Bad pool header in the page: the walk stops here (corruption?)\n");
        return KdCommandContinue;
    }
    if (!walk.Found)
        return KdCommandContinue;
    ExpFormatTag(walk.TargetBlock.Tag, tag);
    description = KdpDescribePoolTag(walk.TargetBlock.Tag);
    if (description)
        KdpPrint("\t\tPooltag %s : %s, Binary : %s\n", tag, description->Description,
                 description->Binary);
    else
        KdpPrint("\t\tOwning component : Unknown (update pooltag.txt)\n");
    return KdCommandContinue;
}

// Tags compare as the four characters they spell, as `!poolused` sorts them.
static int KdpCompareTags(ULONG a, ULONG b)
{
    for (int i = 0; i < 4; i++) {
        UCHAR x = (UCHAR)(a >> (8 * i)), y = (UCHAR)(b >> (8 * i));

        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

// Does `a` come after `b` in the order the flags ask for: by tag, or by
// nonpaged or paged bytes, most first (equal bytes: by tag)?
static BOOLEAN KdpPoolUsedAfter(const POOL_TRACKER_TABLE *a, const POOL_TRACKER_TABLE *b,
                                ULONG flags)
{
    SIZE_T x = 0, y = 0;

    if (flags & KD_POOLUSED_NONPAGED) {
        x = a->NonPagedBytes;
        y = b->NonPagedBytes;
    } else if (flags & KD_POOLUSED_PAGED) {
        x = a->PagedBytes;
        y = b->PagedBytes;
    }
    if (x != y)
        return x < y;
    return KdpCompareTags(a->Key, b->Key) > 0;
}

// `!poolused [Flags [TagString]]`: every tag's outstanding allocations and
// bytes in nonpaged and paged pool, and who uses it.
static KD_COMMAND_RESULT KdpPoolUsed(int argc, char **argv)
{
    static USHORT order[POOL_TRACKER_TABLE_SIZE];
    ULONG count = 0;
    ULONG64 flags = 0;
    const char *filter = NULL;

    if (argc > 3) {
        KdpPrint("Usage: !poolused [Flags [TagString]]\n");
        return KdCommandContinue;
    }
    if (argc >= 2 && !KdpGetValue(argv[1], &flags))
        return KdCommandContinue;
    if ((flags & KD_POOLUSED_NONPAGED) && (flags & KD_POOLUSED_PAGED)) {
        KdpPrint("Flags 2 (sort by NonPaged) and 4 (sort by Paged) cannot go together\n");
        return KdCommandContinue;
    }
    if (flags & ~(ULONG64)(KD_POOLUSED_NONPAGED | KD_POOLUSED_PAGED)) {
        KdpPrint("Flags %llx: Sleuth keeps no per-allocation detail (1) and has no session "
                 "pool (8); 2 sorts by NonPaged, 4 by Paged bytes\n", (unsigned long long)flags);
        return KdCommandContinue;
    }
    if (argc == 3) {
        filter = argv[2];
        if (strlen(filter) != 4 && !strchr(filter, '*')) {
            KdpPrint("A TagString is four characters unless it has a '*': %s\n", filter);
            return KdCommandContinue;
        }
    }
    for (ULONG i = 0; i < POOL_TRACKER_TABLE_SIZE; i++) {
        if (PoolTrackTable[i].Key)
            order[count++] = (USHORT)i;
    }
    for (ULONG i = 1; i < count; i++) {     // insertion sort: 512 tags at most
        USHORT slot = order[i];
        ULONG j = i;

        for (; j > 0 && KdpPoolUsedAfter(&PoolTrackTable[order[j - 1]], &PoolTrackTable[slot],
                                         (ULONG)flags); j--)
            order[j] = order[j - 1];
        order[j] = slot;
    }
    KdpPrint("   Sorting by  %s\n\n  Pool Used:\n",
             (flags & KD_POOLUSED_NONPAGED) ? "NonPaged Pool Consumed"
             : (flags & KD_POOLUSED_PAGED) ? "Paged Pool Consumed" : "Tag");
    KdpPrint("            NonPaged            Paged\n");
    KdpPrint(" Tag    Allocs     Used    Allocs     Used\n");
    for (ULONG i = 0; i < count; i++) {
        const POOL_TRACKER_TABLE *entry = &PoolTrackTable[order[i]];
        const KD_POOLTAG_DESCRIPTION *description;
        char tag[5];

        ExpFormatTag(entry->Key, tag);
        if (filter && !RtlMatchPattern(filter, tag))
            continue;
        KdpPrint(" %-4s%9u%9llu%10u%9llu", tag, entry->NonPagedAllocs - entry->NonPagedFrees,
                 (unsigned long long)entry->NonPagedBytes, entry->PagedAllocs - entry->PagedFrees,
                 (unsigned long long)entry->PagedBytes);
        description = KdpDescribePoolTag(entry->Key);
        if (description)
            KdpPrint("%s , Binary: %s\n", description->Description, description->Binary);
        else
            KdpPrint("UNKNOWN pooltag '%s', please update pooltag.txt\n", tag);
    }
    return KdCommandContinue;
}

const KD_COMMAND KdpPoolCommands[] = {
    { "!pool", KdpPool, "!pool Address [Flags]",
      "the pool page holding an address: every block, its size and tag, and who owns the "
      "tag; Flags 2: only the block holding the address" },
    { "!poolused", KdpPoolUsed, "!poolused [Flags [TagString]]",
      "outstanding pool allocations and bytes per tag, described; sorted by tag, or by "
      "Flags 2 NonPaged / 4 Paged bytes; TagString with * and ?" },
    { NULL, NULL, NULL, NULL },
};
