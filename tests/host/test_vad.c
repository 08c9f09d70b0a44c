// The VAD tree's pure logic (kernel/mm/vad.c): sorted insertion, lookup,
// overlap checks and the search for free ranges at their edges; then long
// random sequences of inserts, removals and shrinks checked against a plain
// sorted array, with the AVL balance and every subtree summary checked after
// each step.

#include <stdlib.h>
#include "hosttest.h"
#include "mm/mm.h"

#define BASE 0x20000000ULL

static void InitVad(MMVAD *vad, ULONG64 start, ULONG64 end)
{
    memset(vad, 0, sizeof(*vad));
    vad->StartingVpn = start >> PAGE_SHIFT;
    vad->EndingVpn = (end >> PAGE_SHIFT) - 1;
}

TEST(VadEmptyTreeIsAllFree)
{
    MM_AVL_TABLE root;
    ULONG64 base = 0;

    MiInitializeVadTable(&root);
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
    MM_AVL_TABLE root;
    MMVAD one, two;

    MiInitializeVadTable(&root);
    InitVad(&two, BASE + 0x2000, BASE + 0x3000);
    InitVad(&one, BASE, BASE + 0x1000);
    MiInsertVad(&root, &two);
    MiInsertVad(&root, &one);
    EXPECT(MiFirstVad(&root) == &one && MiSuccessorVad(&one) == &two);
    EXPECT(MiIsRangeFree(&root, (BASE + 0x1000) >> PAGE_SHIFT, (BASE + 0x1FFF) >> PAGE_SHIFT));
    EXPECT(!MiIsRangeFree(&root, (BASE + 0x1000) >> PAGE_SHIFT, (BASE + 0x2000) >> PAGE_SHIFT));
    EXPECT(!MiIsRangeFree(&root, 0, ~0ULL >> PAGE_SHIFT));
    EXPECT(MiLocateVad(&root, (BASE + 0x2FFF) >> PAGE_SHIFT) == &two);
    EXPECT(MiLocateVad(&root, (BASE + 0x1000) >> PAGE_SHIFT) == NULL);
    EXPECT(MiNextVad(&root, BASE >> PAGE_SHIFT) == &two);
}

// VirtualPages follows every insert, shrink and removal (what !process
// prints as VirtualSize); PeakVirtualPages keeps the most.
TEST(VadTableCountsThePagesItsVadsSpan)
{
    MM_AVL_TABLE root;
    MMVAD one, two;

    MiInitializeVadTable(&root);
    EXPECT_EQ(root.VirtualPages, 0);
    InitVad(&one, BASE, BASE + 0x4000);
    InitVad(&two, BASE + 0x10000, BASE + 0x11000);
    MiInsertVad(&root, &one);
    MiInsertVad(&root, &two);
    EXPECT_EQ(root.VirtualPages, 5);
    MiChangeVadRange(&root, &one, one.StartingVpn + 1, one.EndingVpn - 1);
    EXPECT_EQ(root.VirtualPages, 3);
    MiRemoveVad(&root, &two);
    EXPECT_EQ(root.VirtualPages, 2);
    MiRemoveVad(&root, &one);
    EXPECT_EQ(root.VirtualPages, 0);
    EXPECT_EQ(root.PeakVirtualPages, 5);
}

TEST(VadFreeRangeSkipsOccupiedAndMisalignedSpace)
{
    MM_AVL_TABLE root;
    MMVAD low, high;
    ULONG64 base = 0;

    MiInitializeVadTable(&root);
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

// ---- Random sequences against a reference ----------------------------------------

#define REF_MAX 600
#define SPACE_FIRST_VPN 0x10ULL            // the random VADs live in pages [16, 4096)
#define SPACE_LAST_VPN 0xFFFULL

static MMVAD RefVads[REF_MAX];
static BOOLEAN RefUsed[REF_MAX];

static ULONG64 RefRandom(ULONG64 *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

// Checks the subtree at `vad` (links, order, AVL balance, heights and
// summaries recomputed from scratch); returns its node count, or -1.
static long CheckSubtree(MMVAD *vad, MMVAD *parent, ULONG_PTR low, ULONG_PTR high)
{
    long left, right;
    ULONG leftHeight, rightHeight;
    ULONG_PTR gap = 0;

    if (!vad)
        return 0;
    if (vad->Parent != parent || vad->StartingVpn > vad->EndingVpn ||
        vad->StartingVpn < low || vad->EndingVpn > high)
        return -1;
    left = CheckSubtree(vad->LeftChild, vad, low, vad->StartingVpn - 1);
    right = CheckSubtree(vad->RightChild, vad, vad->EndingVpn + 1, high);
    if (left < 0 || right < 0)
        return -1;
    leftHeight = vad->LeftChild ? vad->LeftChild->Height : 0;
    rightHeight = vad->RightChild ? vad->RightChild->Height : 0;
    if (leftHeight > rightHeight + 1 || rightHeight > leftHeight + 1 ||
        vad->Height != 1 + (leftHeight > rightHeight ? leftHeight : rightHeight))
        return -1;
    // The summary, by walking the subtree in order.
    MMVAD *first = vad, *last = vad;

    while (first->LeftChild)
        first = first->LeftChild;
    while (last->RightChild)
        last = last->RightChild;
    for (MMVAD *walk = first; walk != last; walk = MiSuccessorVad(walk)) {
        MMVAD *next = MiSuccessorVad(walk);

        if (next->StartingVpn - walk->EndingVpn - 1 > gap)
            gap = next->StartingVpn - walk->EndingVpn - 1;
    }
    if (vad->SubtreeStartingVpn != first->StartingVpn ||
        vad->SubtreeEndingVpn != last->EndingVpn || vad->LargestGap != gap)
        return -1;
    return left + right + 1;
}

static BOOLEAN CheckTree(MM_AVL_TABLE *root)
{
    long count = CheckSubtree(root->Root, NULL, 0, ~(ULONG_PTR)0);
    ULONG used = 0;
    ULONG height = root->Root ? root->Root->Height : 0;

    for (ULONG i = 0; i < REF_MAX; i++)
        used += RefUsed[i];
    // An AVL tree of n nodes is at most about 1.44 log2(n + 2) high.
    ULONG bound = 2;
    for (ULONG n = used + 2; n > 1; n >>= 1)
        bound++;
    return count == (long)used && root->NumberGenericTableElements == used &&
           height <= bound * 3 / 2;
}

static MMVAD *RefLocate(ULONG_PTR vpn)
{
    for (ULONG i = 0; i < REF_MAX; i++) {
        if (RefUsed[i] && RefVads[i].StartingVpn <= vpn && vpn <= RefVads[i].EndingVpn)
            return &RefVads[i];
    }
    return NULL;
}

static BOOLEAN RefIsFree(ULONG_PTR start, ULONG_PTR end)
{
    for (ULONG i = 0; i < REF_MAX; i++) {
        if (RefUsed[i] && RefVads[i].StartingVpn <= end && start <= RefVads[i].EndingVpn)
            return FALSE;
    }
    return TRUE;
}

static MMVAD *RefNext(ULONG_PTR vpn)
{
    MMVAD *best = NULL;

    for (ULONG i = 0; i < REF_MAX; i++) {
        if (RefUsed[i] && RefVads[i].StartingVpn > vpn &&
            (!best || RefVads[i].StartingVpn < best->StartingVpn))
            best = &RefVads[i];
    }
    return best;
}

// The free-range search by brute force: every aligned base, page by page.
static BOOLEAN RefFindFree(ULONG64 size, ULONG64 alignment, ULONG64 lowest, ULONG64 highest,
                           BOOLEAN topDown, ULONG64 *base)
{
    ULONG64 first = ALIGN_UP_BY(lowest, alignment);

    if (highest + 1 < size)
        return FALSE;
    ULONG64 last = ALIGN_DOWN_BY(highest + 1 - size, alignment);

    if (first > last || first + size - 1 > highest)
        return FALSE;
    for (ULONG64 i = 0; first + i * alignment <= last; i++) {
        ULONG64 candidate = topDown ? last - i * alignment : first + i * alignment;

        if (RefIsFree(candidate >> PAGE_SHIFT, (candidate + size - 1) >> PAGE_SHIFT)) {
            *base = candidate;
            return TRUE;
        }
    }
    return FALSE;
}

TEST(VadTreeMatchesAReferenceOverRandomSequences)
{
    MM_AVL_TABLE root;
    ULONG64 state = 0x9E3779B97F4A7C15ULL;

    for (ULONG round = 0; round < 4; round++) {
        MiInitializeVadTable(&root);
        memset(RefUsed, 0, sizeof(RefUsed));
        for (ULONG step = 0; step < 6000; step++) {
            ULONG slot = (ULONG)(RefRandom(&state) % REF_MAX);
            ULONG action = (ULONG)(RefRandom(&state) % 8);
            ULONG_PTR start = SPACE_FIRST_VPN +
                              RefRandom(&state) % (SPACE_LAST_VPN - SPACE_FIRST_VPN);
            ULONG_PTR end = start + RefRandom(&state) % (round < 2 ? 4 : 24);

            if (end > SPACE_LAST_VPN)
                end = SPACE_LAST_VPN;
            if (!RefUsed[slot] && action < 5) {
                BOOLEAN free = MiIsRangeFree(&root, start, end);

                EXPECT_EQ(free, RefIsFree(start, end));
                if (free) {
                    memset(&RefVads[slot], 0xCC, sizeof(RefVads[slot]));   // stale links
                    RefVads[slot].StartingVpn = start;
                    RefVads[slot].EndingVpn = end;
                    MiInsertVad(&root, &RefVads[slot]);
                    RefUsed[slot] = TRUE;
                }
            } else if (RefUsed[slot] && action < 7) {
                MiRemoveVad(&root, &RefVads[slot]);
                RefUsed[slot] = FALSE;
            } else if (RefUsed[slot]) {
                // Shrink from one end, as a partial release does.
                MMVAD *vad = &RefVads[slot];

                if (vad->EndingVpn > vad->StartingVpn) {
                    if (action & 1)
                        MiChangeVadRange(&root, vad, vad->StartingVpn + 1, vad->EndingVpn);
                    else
                        MiChangeVadRange(&root, vad, vad->StartingVpn, vad->EndingVpn - 1);
                }
            }
            EXPECT(CheckTree(&root));
            // Lookups at a random page.
            ULONG_PTR probe = RefRandom(&state) % (SPACE_LAST_VPN + 16);

            EXPECT(MiLocateVad(&root, probe) == RefLocate(probe));
            EXPECT(MiNextVad(&root, probe) == RefNext(probe));
            // A search in a random window, both ways, at page or 64K alignment.
            if (step % 4 == 0) {
                ULONG64 size = (1 + RefRandom(&state) % 40) << PAGE_SHIFT;
                ULONG64 alignment = RefRandom(&state) & 1 ? PAGE_SIZE : 0x10000;
                ULONG64 lowest = (RefRandom(&state) % (SPACE_LAST_VPN + 1)) << PAGE_SHIFT;
                ULONG64 highest = lowest +
                                  ((RefRandom(&state) % (SPACE_LAST_VPN + 1)) << PAGE_SHIFT) +
                                  PAGE_SIZE - 1;

                for (int topDown = 0; topDown < 2; topDown++) {
                    ULONG64 got = 1, expected = 2;
                    BOOLEAN found = MiFindFreeRange(&root, size, alignment, lowest, highest,
                                                    (BOOLEAN)topDown, &got);

                    EXPECT_EQ(found, RefFindFree(size, alignment, lowest, highest,
                                                 (BOOLEAN)topDown, &expected));
                    if (found)
                        EXPECT_EQ(got, expected);
                }
            }
        }
        // Empty it again, lowest first, as process teardown does.
        while (MiFirstVad(&root)) {
            MMVAD *vad = MiFirstVad(&root);

            MiRemoveVad(&root, vad);
            RefUsed[vad - RefVads] = FALSE;
            EXPECT(CheckTree(&root));
        }
        EXPECT(root.Root == NULL && root.NumberGenericTableElements == 0);
    }
}

// Thousands of adjacent VADs (a process's TEBs and stacks) stay a shallow
// tree, with the holes that ended threads leave found top down and bottom up.
TEST(VadTreeStaysShallowAndFindsHolesAmongThousands)
{
    enum { COUNT = 20000 };
    static MMVAD vads[COUNT];
    MM_AVL_TABLE root;
    ULONG64 base = 0;

    MiInitializeVadTable(&root);
    for (ULONG i = 0; i < COUNT; i++) {
        memset(&vads[i], 0, sizeof(vads[i]));
        vads[i].StartingVpn = vads[i].EndingVpn = 0x100000 - i;   // top down, one page each
        MiInsertVad(&root, &vads[i]);
    }
    EXPECT(root.Root->Height <= 21);          // 1.44 log2(20000) is about 20.6
    EXPECT(root.Root->LargestGap == 0);
    // No hole among them: the first free page below is the lowest VAD's neighbour.
    EXPECT(MiFindFreeRange(&root, PAGE_SIZE, PAGE_SIZE, 0x10000, 0x100000ULL << PAGE_SHIFT,
                           TRUE, &base));
    EXPECT_EQ(base, (0x100000ULL - COUNT) << PAGE_SHIFT);
    // Ended threads leave holes; the highest one is taken first.
    MiRemoveVad(&root, &vads[12345]);
    MiRemoveVad(&root, &vads[777]);
    EXPECT(MiFindFreeRange(&root, PAGE_SIZE, PAGE_SIZE, 0x10000, 0x100000ULL << PAGE_SHIFT,
                           TRUE, &base));
    EXPECT_EQ(base, (0x100000ULL - 777) << PAGE_SHIFT);
    EXPECT(MiFindFreeRange(&root, PAGE_SIZE, PAGE_SIZE, (0x100000ULL - COUNT) << PAGE_SHIFT,
                           0x100000ULL << PAGE_SHIFT, FALSE, &base));
    EXPECT_EQ(base, (0x100000ULL - COUNT) << PAGE_SHIFT);
    EXPECT(MiFindFreeRange(&root, PAGE_SIZE, PAGE_SIZE, (0x100000ULL - COUNT + 1) << PAGE_SHIFT,
                           0x100000ULL << PAGE_SHIFT, FALSE, &base));
    EXPECT_EQ(base, (0x100000ULL - 12345) << PAGE_SHIFT);
    // Two pages fit in neither hole.
    EXPECT(!MiFindFreeRange(&root, 2 * PAGE_SIZE, PAGE_SIZE,
                            (0x100000ULL - COUNT + 1) << PAGE_SHIFT, 0x100000ULL << PAGE_SHIFT,
                            FALSE, &base));
}
