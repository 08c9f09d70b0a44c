// The VAD list: what a process's user address space holds, one MMVAD per
// reservation, view or image range, kept in address order.
//
// NT keeps VADs in a balanced tree (VadRoot is an AVL table) because real
// processes have thousands of them. A Sleuth process has a handful (image
// segments, a stack, what its program allocates), so a sorted LIST_ENTRY
// list does the same job with code a student reads at a glance, and `dt`
// shows it as one chain. Every routine here is pure list logic (no locks, no
// pages), so the host tests exercise it directly; callers hold the
// address-space lock.

#include "mm/mm.h"

MMVAD *MiLocateVad(LIST_ENTRY *vadRoot, ULONG_PTR vpn)
{
    for (LIST_ENTRY *entry = vadRoot->Flink; entry != vadRoot; entry = entry->Flink) {
        MMVAD *vad = CONTAINING_RECORD(entry, MMVAD, VadLinks);

        if (vpn < vad->StartingVpn)
            return NULL;            // sorted: no later VAD can hold it
        if (vpn <= vad->EndingVpn)
            return vad;
    }
    return NULL;
}

MMVAD *MiNextVad(LIST_ENTRY *vadRoot, ULONG_PTR vpn)
{
    for (LIST_ENTRY *entry = vadRoot->Flink; entry != vadRoot; entry = entry->Flink) {
        MMVAD *vad = CONTAINING_RECORD(entry, MMVAD, VadLinks);

        if (vad->StartingVpn > vpn)
            return vad;
    }
    return NULL;
}

BOOLEAN MiIsRangeFree(LIST_ENTRY *vadRoot, ULONG_PTR startingVpn, ULONG_PTR endingVpn)
{
    for (LIST_ENTRY *entry = vadRoot->Flink; entry != vadRoot; entry = entry->Flink) {
        MMVAD *vad = CONTAINING_RECORD(entry, MMVAD, VadLinks);

        if (vad->StartingVpn > endingVpn)
            return TRUE;
        if (vad->EndingVpn >= startingVpn)
            return FALSE;
    }
    return TRUE;
}

void MiInsertVad(LIST_ENTRY *vadRoot, MMVAD *vad)
{
    LIST_ENTRY *entry = vadRoot->Flink;

    while (entry != vadRoot &&
           CONTAINING_RECORD(entry, MMVAD, VadLinks)->StartingVpn < vad->StartingVpn)
        entry = entry->Flink;
    // Before `entry`: the first VAD above the new one, or the head.
    InsertTailList(entry, &vad->VadLinks);
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

BOOLEAN MiFindFreeRange(LIST_ENTRY *vadRoot, ULONG64 size, ULONG64 alignment, ULONG64 lowest,
                        ULONG64 highest, BOOLEAN topDown, ULONG64 *base)
{
    ULONG64 limit = highest + 1;        // exclusive end of the usable range
    LIST_ENTRY *entry;

    if (size == 0 || limit <= lowest)
        return FALSE;
    if (!topDown) {
        ULONG64 gapStart = lowest;

        for (entry = vadRoot->Flink; entry != vadRoot; entry = entry->Flink) {
            MMVAD *vad = CONTAINING_RECORD(entry, MMVAD, VadLinks);
            ULONG64 vadStart = MI_VAD_START(vad);

            if (vadStart > gapStart &&
                MiFitInGap(gapStart, vadStart < limit ? vadStart : limit, size, alignment,
                           FALSE, base))
                return TRUE;
            if (MI_VAD_END(vad) > gapStart)
                gapStart = MI_VAD_END(vad);
            if (gapStart >= limit)
                return FALSE;
        }
        return MiFitInGap(gapStart, limit, size, alignment, FALSE, base);
    }
    ULONG64 gapEnd = limit;

    for (entry = vadRoot->Blink; entry != vadRoot; entry = entry->Blink) {
        MMVAD *vad = CONTAINING_RECORD(entry, MMVAD, VadLinks);
        ULONG64 vadEnd = MI_VAD_END(vad);

        if (vadEnd < gapEnd &&
            MiFitInGap(vadEnd > lowest ? vadEnd : lowest, gapEnd, size, alignment, TRUE, base))
            return TRUE;
        if (MI_VAD_START(vad) < gapEnd)
            gapEnd = MI_VAD_START(vad);
        if (gapEnd <= lowest)
            return FALSE;
    }
    return MiFitInGap(lowest, gapEnd, size, alignment, TRUE, base);
}
