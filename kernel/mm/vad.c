// The VAD tree: what a process's user address space holds, one MMVAD per
// reservation, view or image range, in a balanced binary tree ordered by
// address (EPROCESS.VadRoot), as NT keeps them (its VadRoot is an AVL
// table too). A process with thousands of threads has thousands of VADs
// (each thread's TEB and stack), so every operation here is O(log n):
// insert, remove, lookup, and the search for a free range.
//
// Each node keeps its subtree's height (the AVL balance: the heights of a
// node's two subtrees differ by at most one) and a summary of its subtree:
// the lowest page it covers, the highest, and the largest hole between two
// of its VADs. The free-range search uses the summary to skip, whole, every
// subtree whose holes are all too small, so it visits a few paths of the
// tree instead of every VAD.
//
// Every routine here is pure tree logic (no locks, no pages), so the host
// tests exercise it directly; callers hold the address-space lock.

#include "mm/mm.h"

static ULONG MiVadHeight(const MMVAD *vad)
{
    return vad ? vad->Height : 0;
}

// Recomputes `vad`'s height and subtree summary from its children's.
static void MiUpdateVadSummary(MMVAD *vad)
{
    MMVAD *left = vad->LeftChild, *right = vad->RightChild;
    ULONG_PTR gap = 0;
    ULONG leftHeight = MiVadHeight(left), rightHeight = MiVadHeight(right);

    vad->Height = 1 + (leftHeight > rightHeight ? leftHeight : rightHeight);
    vad->SubtreeStartingVpn = left ? left->SubtreeStartingVpn : vad->StartingVpn;
    vad->SubtreeEndingVpn = right ? right->SubtreeEndingVpn : vad->EndingVpn;
    if (left) {
        gap = left->LargestGap;
        if (vad->StartingVpn - left->SubtreeEndingVpn - 1 > gap)
            gap = vad->StartingVpn - left->SubtreeEndingVpn - 1;
    }
    if (right) {
        if (right->LargestGap > gap)
            gap = right->LargestGap;
        if (right->SubtreeStartingVpn - vad->EndingVpn - 1 > gap)
            gap = right->SubtreeStartingVpn - vad->EndingVpn - 1;
    }
    vad->LargestGap = gap;
}

// Puts `replacement` (may be NULL) where `vad` hangs: its parent's child or the root.
static void MiReplaceChild(MM_AVL_TABLE *table, MMVAD *vad, MMVAD *replacement)
{
    MMVAD *parent = vad->Parent;

    if (!parent)
        table->Root = replacement;
    else if (parent->LeftChild == vad)
        parent->LeftChild = replacement;
    else
        parent->RightChild = replacement;
    if (replacement)
        replacement->Parent = parent;
}

// The right child takes `vad`'s place; `vad` becomes its left child.
static MMVAD *MiRotateLeft(MM_AVL_TABLE *table, MMVAD *vad)
{
    MMVAD *right = vad->RightChild;

    MiReplaceChild(table, vad, right);
    vad->RightChild = right->LeftChild;
    if (vad->RightChild)
        vad->RightChild->Parent = vad;
    right->LeftChild = vad;
    vad->Parent = right;
    MiUpdateVadSummary(vad);
    MiUpdateVadSummary(right);
    return right;
}

static MMVAD *MiRotateRight(MM_AVL_TABLE *table, MMVAD *vad)
{
    MMVAD *left = vad->LeftChild;

    MiReplaceChild(table, vad, left);
    vad->LeftChild = left->RightChild;
    if (vad->LeftChild)
        vad->LeftChild->Parent = vad;
    left->RightChild = vad;
    vad->Parent = left;
    MiUpdateVadSummary(vad);
    MiUpdateVadSummary(left);
    return left;
}

// Restores the AVL balance at `vad` (its children are balanced, their
// heights differ by at most two); returns the subtree's new root.
static MMVAD *MiRebalanceVad(MM_AVL_TABLE *table, MMVAD *vad)
{
    LONG balance = (LONG)MiVadHeight(vad->RightChild) - (LONG)MiVadHeight(vad->LeftChild);

    if (balance > 1) {
        MMVAD *right = vad->RightChild;

        if (MiVadHeight(right->LeftChild) > MiVadHeight(right->RightChild))
            MiRotateRight(table, right);
        return MiRotateLeft(table, vad);
    }
    if (balance < -1) {
        MMVAD *left = vad->LeftChild;

        if (MiVadHeight(left->RightChild) > MiVadHeight(left->LeftChild))
            MiRotateLeft(table, left);
        return MiRotateRight(table, vad);
    }
    MiUpdateVadSummary(vad);
    return vad;
}

// From `vad` up towards the root: the summaries on the path, and the
// balance. A subtree whose height and summary come out as they were leaves
// everything above it as it was: the walk stops there, so most inserts and
// removals touch only a few nodes.
static void MiRetraceVads(MM_AVL_TABLE *table, MMVAD *vad)
{
    while (vad) {
        ULONG height = vad->Height;
        ULONG_PTR first = vad->SubtreeStartingVpn, last = vad->SubtreeEndingVpn;
        ULONG_PTR gap = vad->LargestGap;
        MMVAD *top = MiRebalanceVad(table, vad);

        if (top->Height == height && top->SubtreeStartingVpn == first &&
            top->SubtreeEndingVpn == last && top->LargestGap == gap)
            return;
        vad = top->Parent;
    }
}

void MiInitializeVadTable(MM_AVL_TABLE *table)
{
    table->Root = NULL;
    table->NumberGenericTableElements = 0;
    table->VirtualPages = table->PeakVirtualPages = 0;
}

// The pages the VADs span, and the most they ever spanned.
static void MiAddVirtualPages(MM_AVL_TABLE *table, LONG_PTR pages)
{
    table->VirtualPages += (ULONG_PTR)pages;
    if (table->VirtualPages > table->PeakVirtualPages)
        table->PeakVirtualPages = table->VirtualPages;
}

MMVAD *MiLocateVad(MM_AVL_TABLE *table, ULONG_PTR vpn)
{
    MMVAD *vad = table->Root;

    // VADs never overlap: all of a left subtree lies below its parent.
    while (vad) {
        if (vpn < vad->StartingVpn)
            vad = vad->LeftChild;
        else if (vpn > vad->EndingVpn)
            vad = vad->RightChild;
        else
            return vad;
    }
    return NULL;
}

MMVAD *MiNextVad(MM_AVL_TABLE *table, ULONG_PTR vpn)
{
    MMVAD *vad = table->Root, *next = NULL;

    while (vad) {
        if (vad->StartingVpn > vpn) {
            next = vad;
            vad = vad->LeftChild;
        } else {
            vad = vad->RightChild;
        }
    }
    return next;
}

MMVAD *MiFirstVad(MM_AVL_TABLE *table)
{
    MMVAD *vad = table->Root;

    while (vad && vad->LeftChild)
        vad = vad->LeftChild;
    return vad;
}

MMVAD *MiSuccessorVad(MMVAD *vad)
{
    if (vad->RightChild) {
        vad = vad->RightChild;
        while (vad->LeftChild)
            vad = vad->LeftChild;
        return vad;
    }
    while (vad->Parent && vad->Parent->RightChild == vad)
        vad = vad->Parent;
    return vad->Parent;
}

BOOLEAN MiIsRangeFree(MM_AVL_TABLE *table, ULONG_PTR startingVpn, ULONG_PTR endingVpn)
{
    MMVAD *vad = table->Root;

    while (vad) {
        if (endingVpn < vad->StartingVpn)
            vad = vad->LeftChild;
        else if (startingVpn > vad->EndingVpn)
            vad = vad->RightChild;
        else
            return FALSE;
    }
    return TRUE;
}

void MiInsertVad(MM_AVL_TABLE *table, MMVAD *vad)
{
    MMVAD *parent = NULL, **link = &table->Root;

    while (*link) {
        parent = *link;
        link = vad->StartingVpn < parent->StartingVpn ? &parent->LeftChild
                                                      : &parent->RightChild;
    }
    vad->Parent = parent;
    vad->LeftChild = vad->RightChild = NULL;
    vad->Height = 1;
    vad->SubtreeStartingVpn = vad->StartingVpn;
    vad->SubtreeEndingVpn = vad->EndingVpn;
    vad->LargestGap = 0;
    *link = vad;
    table->NumberGenericTableElements++;
    MiAddVirtualPages(table, (LONG_PTR)(vad->EndingVpn - vad->StartingVpn + 1));
    MiRetraceVads(table, parent);
}

void MiRemoveVad(MM_AVL_TABLE *table, MMVAD *vad)
{
    MMVAD *retraceFrom;

    if (!vad->LeftChild || !vad->RightChild) {
        retraceFrom = vad->Parent;
        MiReplaceChild(table, vad, vad->LeftChild ? vad->LeftChild : vad->RightChild);
    } else {
        // The next VAD in address order (the lowest of the right subtree,
        // which has no left child) takes the removed one's place.
        MMVAD *next = vad->RightChild;

        while (next->LeftChild)
            next = next->LeftChild;
        if (next->Parent != vad) {
            retraceFrom = next->Parent;
            MiReplaceChild(table, next, next->RightChild);
            next->RightChild = vad->RightChild;
            next->RightChild->Parent = next;
        } else {
            retraceFrom = next;
        }
        next->LeftChild = vad->LeftChild;
        next->LeftChild->Parent = next;
        MiReplaceChild(table, vad, next);
        // What the ancestors were computed from, for the retrace to compare
        // with. It cannot stop below `next`: every node between had `next`
        // as its lowest page, and so changes.
        next->Height = vad->Height;
        next->SubtreeStartingVpn = vad->SubtreeStartingVpn;
        next->SubtreeEndingVpn = vad->SubtreeEndingVpn;
        next->LargestGap = vad->LargestGap;
    }
    vad->Parent = vad->LeftChild = vad->RightChild = NULL;
    table->NumberGenericTableElements--;
    MiAddVirtualPages(table, -(LONG_PTR)(vad->EndingVpn - vad->StartingVpn + 1));
    MiRetraceVads(table, retraceFrom);
}

void MiChangeVadRange(MM_AVL_TABLE *table, MMVAD *vad, ULONG_PTR startingVpn,
                      ULONG_PTR endingVpn)
{
    MiAddVirtualPages(table, (LONG_PTR)(endingVpn - startingVpn) -
                                 (LONG_PTR)(vad->EndingVpn - vad->StartingVpn));
    vad->StartingVpn = startingVpn;
    vad->EndingVpn = endingVpn;
    MiRetraceVads(table, vad);
}

// Tries the gap [gapStart, gapEnd) (gapEnd exclusive) for `size` bytes at
// `alignment`, from the bottom or the top of the gap.
static BOOLEAN MiFitInGap(ULONG64 gapStart, ULONG64 gapEnd, ULONG64 size, ULONG64 alignment,
                          BOOLEAN topDown, ULONG64 *base)
{
    ULONG64 candidate;

    if (gapEnd <= gapStart || gapEnd - gapStart < size)
        return FALSE;
    if (topDown) {
        candidate = ALIGN_DOWN_BY(gapEnd - size, alignment);
        if (candidate < gapStart)
            return FALSE;
    } else {
        candidate = ALIGN_UP_BY(gapStart, alignment);
        if (candidate < gapStart || candidate > gapEnd || gapEnd - candidate < size)
            return FALSE;
    }
    *base = candidate;
    return TRUE;
}

typedef struct _MI_FREE_RANGE_SEARCH {
    ULONG64 Size;
    ULONG64 Alignment;
    ULONG64 Lowest;         // the usable range, [Lowest, Limit)
    ULONG64 Limit;
    BOOLEAN TopDown;
} MI_FREE_RANGE_SEARCH;

// Searches the holes of the stretch [gapStart, gapEnd) that the subtree at
// `vad` occupies: gapStart is where the VAD before the subtree ends (or 0),
// gapEnd where the one after it starts (or the top of the address space).
// Lowest first, or highest first; a subtree is skipped when its stretch
// lies outside the usable range or none of its holes is big enough.
static BOOLEAN MiFindInSubtree(const MI_FREE_RANGE_SEARCH *search, MMVAD *vad, ULONG64 gapStart,
                               ULONG64 gapEnd, ULONG64 *base)
{
    ULONG64 largest;

    if (gapEnd <= search->Lowest || gapStart >= search->Limit || gapEnd - gapStart < search->Size)
        return FALSE;
    if (!vad) {
        return MiFitInGap(gapStart > search->Lowest ? gapStart : search->Lowest,
                          gapEnd < search->Limit ? gapEnd : search->Limit, search->Size,
                          search->Alignment, search->TopDown, base);
    }
    largest = vad->LargestGap << PAGE_SHIFT;
    if ((vad->SubtreeStartingVpn << PAGE_SHIFT) - gapStart > largest)
        largest = (vad->SubtreeStartingVpn << PAGE_SHIFT) - gapStart;
    if (gapEnd - ((vad->SubtreeEndingVpn + 1) << PAGE_SHIFT) > largest)
        largest = gapEnd - ((vad->SubtreeEndingVpn + 1) << PAGE_SHIFT);
    if (largest < search->Size)
        return FALSE;
    if (search->TopDown) {
        return MiFindInSubtree(search, vad->RightChild, MI_VAD_END(vad), gapEnd, base) ||
               MiFindInSubtree(search, vad->LeftChild, gapStart, MI_VAD_START(vad), base);
    }
    return MiFindInSubtree(search, vad->LeftChild, gapStart, MI_VAD_START(vad), base) ||
           MiFindInSubtree(search, vad->RightChild, MI_VAD_END(vad), gapEnd, base);
}

BOOLEAN MiFindFreeRange(MM_AVL_TABLE *table, ULONG64 size, ULONG64 alignment, ULONG64 lowest,
                        ULONG64 highest, BOOLEAN topDown, ULONG64 *base)
{
    MI_FREE_RANGE_SEARCH search = {size, alignment, lowest, highest + 1, topDown};

    if (size == 0 || search.Limit <= lowest)
        return FALSE;
    // The whole address space below the top page: user VPNs never reach it.
    return MiFindInSubtree(&search, table->Root, 0, ~0ULL & ~(ULONG64)(PAGE_SIZE - 1), base);
}
