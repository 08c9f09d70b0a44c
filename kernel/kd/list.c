// Walking the kernel's lists from the debugger. The system may be stopped
// in the middle of changing a list, or the list may be corrupt: every link
// is read through the fault-safe copy and checked against its neighbour, and
// no walk goes on for ever.

#include "kd/kd.h"

BOOLEAN KdpWalkList(ULONG64 head, const char *what, KD_LIST_CALLBACK callback, void *context)
{
    LIST_ENTRY links;
    ULONG64 previous = head;
    ULONG64 entry;

    if (!KdpReadMemory(head, &links, sizeof(links))) {
        KdpPrint("%s: list head %016llx cannot be read\n", what, (unsigned long long)head);
        return FALSE;
    }
    entry = (ULONG64)links.Flink;
    for (ULONG count = 0; entry != head && !KdpCancelled(); count++) {
        if (count == KD_MAX_LIST_ENTRIES) {
            KdpPrint("%s: more than %u entries after %016llx (a loop?); the walk stops here\n",
                     what, KD_MAX_LIST_ENTRIES, (unsigned long long)head);
            return FALSE;
        }
        if (!KdpReadMemory(entry, &links, sizeof(links))) {
            KdpPrint("%s: entry %016llx cannot be read; the walk stops here\n", what,
                     (unsigned long long)entry);
            return FALSE;
        }
        if ((ULONG64)links.Blink != previous) {
            KdpPrint("%s: entry %016llx has Blink %016llx, not %016llx (corrupt list); "
                     "the walk stops here\n", what, (unsigned long long)entry,
                     (unsigned long long)(ULONG64)links.Blink, (unsigned long long)previous);
            return FALSE;
        }
        if (!callback(context, entry))
            return TRUE;
        previous = entry;
        entry = (ULONG64)links.Flink;
    }
    return TRUE;
}

void KdpLoopCheckInitialize(KD_LOOP_CHECK *check)
{
    check->Saved = 0;
    check->Power = 1;
    check->Steps = 0;
}

BOOLEAN KdpLoopCheck(KD_LOOP_CHECK *check, ULONG64 next)
{
    // Brent: remember one link, compare every later one with it, and move
    // the remembered link forward at powers of two; a cycle of length L is
    // seen once the power reaches L past the way into it.
    if (check->Steps && next == check->Saved)
        return TRUE;
    if (++check->Steps == check->Power) {
        check->Saved = next;
        check->Power *= 2;
        check->Steps = 0;
    }
    return FALSE;
}
