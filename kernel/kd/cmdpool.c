// Pool commands: !pool (the blocks of the page holding an address) and
// !poolused (outstanding allocations per tag), with WinDbg's layout.

#include "kd/kd.h"
#include "mm/mm.h"
#include "mm/pool.h"

typedef struct _KD_POOLTAG_DESCRIPTION {
    ULONG Tag;
    const char *Description;
    const char *Binary;
} KD_POOLTAG_DESCRIPTION;

// Sleuth's pooltag.txt: who allocates with which tag.
static const KD_POOLTAG_DESCRIPTION KdpPoolTags[] = {
    { POOL_TAG('F', 'r', 'e', 'e'), "Free pool block", "nt!mm" },
    { POOL_TAG('O', 'v', 'f', 'l'), "Tags that did not fit the tracking table", "nt!mm" },
    { POOL_BIG_TABLE_TAG, "The pool's big-page tracking table (PoolBigPageTable)", "nt!mm" },
    { POOL_TAG('K', 't', 's', 't'), "In-kernel self-test allocations", "nt!kt" },
    { POOL_TAG('K', 'd', 'T', 's'), "Debugger demonstration blocks", "nt!kd" },
};

static const KD_POOLTAG_DESCRIPTION *KdpDescribeTag(ULONG tag)
{
    for (ULONG i = 0; i < ARRAYSIZE(KdpPoolTags); i++) {
        if (KdpPoolTags[i].Tag == tag)
            return &KdpPoolTags[i];
    }
    return NULL;
}

typedef struct _KD_POOL_WALK {
    ULONG64 Target;
    BOOLEAN Found;
    BOOLEAN Header;
    ULONG TargetTag;
} KD_POOL_WALK;

static void KdpPrintPoolBlock(void *context, const POOL_BLOCK_INFO *block)
{
    KD_POOL_WALK *walk = context;
    BOOLEAN target = walk->Target >= block->BlockAddress &&
                     walk->Target < block->BlockAddress + block->BlockSize;
    char tag[5];

    if (!walk->Header) {
        KdpPrint("Pool page %016llx region is %s pool\n", (unsigned long long)walk->Target,
                 block->Paged ? "Paged" : "Nonpaged");
        walk->Header = TRUE;
    }
    ExpFormatTag(block->Tag, tag);
    if (block->LargePage) {
        KdpPrint("*%016llx : large page allocation, tag is %s, size is 0x%x bytes\n",
                 (unsigned long long)block->BlockAddress, tag, block->BlockSize);
    } else {
        KdpPrint("%c%016llx size: %4x previous size: %4x  %-12s %c%s\n", target ? '*' : ' ',
                 (unsigned long long)block->BlockAddress, block->BlockSize,
                 block->PreviousSize, block->Allocated ? "(Allocated)" : "(Free)",
                 target ? '*' : ' ', tag);
    }
    if (target) {
        walk->Found = TRUE;
        walk->TargetTag = block->Tag;
    }
}

static KD_COMMAND_RESULT KdpPool(int argc, char **argv)
{
    KD_POOL_WALK walk = { 0, FALSE, FALSE, 0 };
    const KD_POOLTAG_DESCRIPTION *description;
    char tag[5];

    if (argc < 2 || argc > 3) {
        KdpPrint("Usage: !pool address [flags]\n");
        return KdCommandContinue;
    }
    if (!KdpGetValue(argv[1], &walk.Target))
        return KdCommandContinue;
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
    ExpFormatTag(walk.TargetTag, tag);
    description = KdpDescribeTag(walk.TargetTag);
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

static KD_COMMAND_RESULT KdpPoolUsed(int argc, char **argv)
{
    static USHORT order[POOL_TRACKER_TABLE_SIZE];
    ULONG count = 0;

    const char *filter = NULL;

    if (argc > 3) {
        KdpPrint("Usage: !poolused [flags [tag]]\n");
        return KdCommandContinue;
    }
    if (argc == 3)
        filter = argv[2];
    KdpPrint(" Sorting by Tag\n\n Pool Used:\n");
    KdpPrint("            NonPaged                    Paged\n");
    KdpPrint(" Tag     Allocs       Used     Allocs       Used\n");
    for (ULONG i = 0; i < POOL_TRACKER_TABLE_SIZE; i++) {
        if (PoolTrackTable[i].Key)
            order[count++] = (USHORT)i;
    }
    for (ULONG i = 1; i < count; i++) {     // insertion sort: a few hundred tags at most
        USHORT slot = order[i];
        ULONG j = i;

        for (; j > 0 && KdpCompareTags(PoolTrackTable[order[j - 1]].Key,
                                       PoolTrackTable[slot].Key) > 0; j--)
            order[j] = order[j - 1];
        order[j] = slot;
    }
    for (ULONG i = 0; i < count; i++) {
        const POOL_TRACKER_TABLE *entry = &PoolTrackTable[order[i]];
        const KD_POOLTAG_DESCRIPTION *description;
        char tag[5];

        ExpFormatTag(entry->Key, tag);
        if (filter && !RtlMatchPattern(filter, tag))
            continue;
        description = KdpDescribeTag(entry->Key);
        KdpPrint(" %-4s %9u %10llu %10u %10llu\t%s%s%s\n", tag,
                 entry->NonPagedAllocs - entry->NonPagedFrees,
                 (unsigned long long)entry->NonPagedBytes, entry->PagedAllocs - entry->PagedFrees,
                 (unsigned long long)entry->PagedBytes,
                 description ? description->Description : "UNKNOWN pooltag",
                 description ? ", Binary : " : "", description ? description->Binary : "");
    }
    return KdCommandContinue;
}

const KD_COMMAND KdpPoolCommands[] = {
    { "!pool", KdpPool, "!pool address",
      "show the pool page holding an address: every block, its size and tag" },
    { "!poolused", KdpPoolUsed, "!poolused [flags [tag-pattern]]",
      "outstanding pool allocations and bytes per tag" },
    { NULL, NULL, NULL, NULL },
};
