// !poolfind: the pool search !irpfind builds on. Blocks of a tag of our own,
// small and big, in both pools; the search must find each exactly once, in
// the pool asked for, from the restart address on, and survive bad input.

#include "tests/kernel/ktkd.h"
#include "kd/kdio.h"
#include "mm/pool.h"

#define KT_PF_TAG      POOL_TAG('K', 't', 'P', 'f')
#define KT_PF_BIG_SIZE (3 * PAGE_SIZE + 100)

KTEST(KdPoolFindFindsSmallAndBigBlocksOfATag)
{
    UCHAR *small[3], *big, *paged;
    char line[48];

    for (ULONG i = 0; i < ARRAYSIZE(small); i++)
        small[i] = ExAllocatePoolWithTag(NonPagedPool, 40 + 100 * i, KT_PF_TAG);
    big = ExAllocatePoolWithTag(NonPagedPool, KT_PF_BIG_SIZE, KT_PF_TAG);
    paged = ExAllocatePoolWithTag(PagedPool, 64, KT_PF_TAG);
    if (small[0] && small[1] && small[2] && big && paged) {
        KtKdRun("!poolfind KtPf");
        KtKdExpect("Scanning large pool allocation table for Tag: KtPf (");
        KtKdExpect("%016llx : large page allocation, tag is KtPf, size is 0x%x bytes\n",
                   KT_KD_ADDRESS(big), (ULONG)ALIGN_UP_BY(KT_PF_BIG_SIZE, PAGE_SIZE));
        KtKdExpect("Searching NonPaged pool (%016llx : %016llx) for Tag: KtPf\n\n",
                   KT_KD_ADDRESS(MM_NONPAGED_POOL_START),
                   KT_KD_ADDRESS(MM_NONPAGED_POOL_START + MM_NONPAGED_POOL_SIZE));
        for (ULONG i = 0; i < ARRAYSIZE(small); i++) {
            POOL_HEADER *header = (POOL_HEADER *)small[i] - 1;

            KtKdExpect("%016llx size: %4x previous size: %4x  (Allocated) KtPf\n",
                       KT_KD_ADDRESS(header), header->BlockSize * 16u,
                       header->PreviousSize * 16u);
        }
        KtKdExpect("\n4 blocks found\n");
        KT_CHECK(KtKdCount(KtKdOutput, "(Allocated) KtPf") == 3);
        // (Its address alone may well appear: as the end of the big-page table.)
        RtlStringPrintf(line, sizeof(line), "%s size:", KT_KD_HEX(paged - sizeof(POOL_HEADER)));
        KT_CHECK(!KtKdFind(KtKdOutput, line));

        // The paged pool holds the other one; a wildcard finds it.
        KtKdRun("!poolfind Kt?f 1");
        KtKdExpect("Searching Paged pool (");
        KtKdExpect("%016llx size:", KT_KD_ADDRESS(paged - sizeof(POOL_HEADER)));
        KtKdExpect("\n1 block found\n");
    } else {
        KtFail(__FILE__, __LINE__, "the pool blocks to be allocated");
    }
    for (ULONG i = 0; i < ARRAYSIZE(small); i++) {
        if (small[i])
            ExFreePoolWithTag(small[i], KT_PF_TAG);
    }
    if (big)
        ExFreePoolWithTag(big, KT_PF_TAG);
    if (paged)
        ExFreePoolWithTag(paged, KT_PF_TAG);
    KtKdRun("!poolfind KtPf");
    KT_CHECK(KtKdFind(KtKdOutput, "\n0 blocks found\n"));
}

KTEST(KdPoolFindRefusesBadArguments)
{
    KtKdRun("!poolfind");
    KT_EXPECT(KtKdFind(KtKdOutput, "Usage: !poolfind TagString|0xTagValue [PoolType]\n"));
    KtKdRun("!poolfind Toolong");
    KT_EXPECT(KtKdFind(KtKdOutput, "A pool tag is at most four characters"));
    KtKdRun("!poolfind Irp? 2");
    KT_EXPECT(KtKdFind(KtKdOutput, "no special or session pool"));
    KtKdRun("!poolfind Irp? zz(");
    KT_EXPECT(!KtKdFind(KtKdOutput, "Searching"));
    KtKdRun("!poolfind a b c");
    KT_EXPECT(KtKdFind(KtKdOutput, "Usage:"));
    KtKdRun("help !poolfind");
    KT_EXPECT(KtKdFind(KtKdOutput, "!poolfind TagString|0xTagValue [PoolType]\n"));
}

// A page whose header chain is broken costs that page, named in one line,
// not the search: the rest is still reported (here the big block).
KTEST(KdPoolFindSkipsAPageWhoseHeadersDoNotChain)
{
    UCHAR *block = ExAllocatePoolWithTag(NonPagedPool, 2000, KT_PF_TAG);
    UCHAR *big = ExAllocatePoolWithTag(NonPagedPool, KT_PF_BIG_SIZE, KT_PF_TAG);
    POOL_HEADER *header = (POOL_HEADER *)block - 1;
    UCHAR previous;

    if (block && big) {
        previous = header->PreviousSize;
        header->PreviousSize = (UCHAR)(previous + 7);
        KtKdRun("!poolfind KtPf");
        header->PreviousSize = previous;
        KtKdExpect("Pool page %016llx: its block headers do not chain (corrupt?); skipped\n",
                   KT_KD_ADDRESS(ALIGN_DOWN_BY((ULONG_PTR)block, PAGE_SIZE)));
        KtKdExpect("%016llx : large page allocation, tag is KtPf", KT_KD_ADDRESS(big));
        KT_CHECK(!KtKdFind(KtKdOutput, "(Allocated) KtPf"));
        KtKdExpect("\n1 block found\n");
        KtKdRun("!poolfind KtPf");
        KtKdExpect("%016llx size:", KT_KD_ADDRESS(header));
        KtKdExpect("\n2 blocks found\n");
    } else {
        KtFail(__FILE__, __LINE__, "the pool blocks to be allocated");
    }
    if (block)
        ExFreePoolWithTag(block, KT_PF_TAG);
    if (big)
        ExFreePoolWithTag(big, KT_PF_TAG);
}
