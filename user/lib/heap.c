// The heap's core (see heap.h for the design).

#include "user/lib/heap.h"

// A block's header. Sizes count HEAP_GRANULARITY units, the header included.
typedef struct _HEAP_ENTRY {
    uint32_t Size;
    uint32_t PreviousSize;      // 0 for the first block of a segment
    uint16_t Flags;
    uint16_t Magic;             // HEAP_ENTRY_MAGIC: a cheap check against stray pointers
    uint32_t Reserved;
} HEAP_ENTRY;

_Static_assert(sizeof(HEAP_ENTRY) == HEAP_GRANULARITY, "a header is one unit");
_Static_assert(sizeof(HEAP_SEGMENT) == HEAP_GRANULARITY, "a segment header is one unit");

#define HEAP_ENTRY_BUSY  0x0001
#define HEAP_ENTRY_LAST  0x0002  // the segment's last block
#define HEAP_ENTRY_MAGIC 0xEA70
// A free block holds its list links after the header.
#define HEAP_MINIMUM_UNITS 2

static size_t RtlpUnitsFor(size_t size)
{
    return (size + HEAP_GRANULARITY - 1) / HEAP_GRANULARITY + 1;
}

static HEAP_ENTRY *RtlpNextEntry(HEAP_ENTRY *entry)
{
    return entry->Flags & HEAP_ENTRY_LAST ? NULL : entry + entry->Size;
}

static HEAP_ENTRY *RtlpPreviousEntry(HEAP_ENTRY *entry)
{
    return entry->PreviousSize ? entry - entry->PreviousSize : NULL;
}

static HEAP_FREE_LINKS *RtlpLinks(HEAP_ENTRY *entry)
{
    return (HEAP_FREE_LINKS *)(entry + 1);
}

static HEAP_ENTRY *RtlpEntryOfLinks(HEAP_FREE_LINKS *links)
{
    return (HEAP_ENTRY *)links - 1;
}

static void RtlpInsertFree(HEAP *heap, HEAP_ENTRY *entry)
{
    HEAP_FREE_LINKS *links = RtlpLinks(entry);

    entry->Flags &= ~HEAP_ENTRY_BUSY;
    links->Next = heap->FreeList.Next;
    links->Previous = &heap->FreeList;
    heap->FreeList.Next->Previous = links;
    heap->FreeList.Next = links;
}

static void RtlpRemoveFree(HEAP_ENTRY *entry)
{
    HEAP_FREE_LINKS *links = RtlpLinks(entry);

    links->Previous->Next = links->Next;
    links->Next->Previous = links->Previous;
}

// The block after `entry` learns its new predecessor's size.
static void RtlpFixNextBoundary(HEAP_ENTRY *entry)
{
    HEAP_ENTRY *next = RtlpNextEntry(entry);

    if (next)
        next->PreviousSize = entry->Size;
}

void RtlpHeapInitialize(HEAP *heap, const HEAP_PAGE_SOURCE *source)
{
    heap->Source = *source;
    heap->Segments = NULL;
    heap->FreeList.Next = heap->FreeList.Previous = &heap->FreeList;
    heap->BytesInUse = 0;
    heap->BlocksInUse = 0;
    heap->SegmentCount = 0;
}

// A new segment big enough for `units`, as one free block; NULL if the page
// source has nothing.
static HEAP_ENTRY *RtlpAddSegment(HEAP *heap, size_t units)
{
    size_t bytes = (units + 1) * HEAP_GRANULARITY;     // + the segment header
    size_t size = (bytes + HEAP_SEGMENT_SIZE - 1) / HEAP_SEGMENT_SIZE * HEAP_SEGMENT_SIZE;
    HEAP_SEGMENT *segment = heap->Source.Allocate(heap->Source.Context, size);
    HEAP_ENTRY *entry;

    if (!segment)
        return NULL;
    segment->Size = size;
    segment->Next = heap->Segments;
    heap->Segments = segment;
    heap->SegmentCount++;
    entry = (HEAP_ENTRY *)(segment + 1);
    entry->Size = (uint32_t)(size / HEAP_GRANULARITY - 1);
    entry->PreviousSize = 0;
    entry->Flags = HEAP_ENTRY_LAST;
    entry->Magic = HEAP_ENTRY_MAGIC;
    entry->Reserved = 0;
    RtlpInsertFree(heap, entry);
    return entry;
}

void *RtlpHeapAllocate(HEAP *heap, size_t size)
{
    size_t units;
    HEAP_ENTRY *entry = NULL;

    if (size > HEAP_MAXIMUM_REQUEST)
        return NULL;
    units = RtlpUnitsFor(size ? size : 1);
    if (units < HEAP_MINIMUM_UNITS)
        units = HEAP_MINIMUM_UNITS;
    for (HEAP_FREE_LINKS *links = heap->FreeList.Next; links != &heap->FreeList;
         links = links->Next) {
        if (RtlpEntryOfLinks(links)->Size >= units) {
            entry = RtlpEntryOfLinks(links);
            break;
        }
    }
    if (!entry) {
        entry = RtlpAddSegment(heap, units);
        if (!entry)
            return NULL;
    }
    RtlpRemoveFree(entry);
    // Split when the rest can stand as a free block of its own.
    if (entry->Size - units >= HEAP_MINIMUM_UNITS) {
        HEAP_ENTRY *rest = entry + units;

        rest->Size = (uint32_t)(entry->Size - units);
        rest->PreviousSize = (uint32_t)units;
        rest->Flags = entry->Flags & HEAP_ENTRY_LAST;
        rest->Magic = HEAP_ENTRY_MAGIC;
        rest->Reserved = 0;
        entry->Size = (uint32_t)units;
        entry->Flags &= ~HEAP_ENTRY_LAST;
        RtlpFixNextBoundary(rest);
        RtlpInsertFree(heap, rest);
    }
    entry->Flags |= HEAP_ENTRY_BUSY;
    heap->BlocksInUse++;
    heap->BytesInUse += (entry->Size - 1) * HEAP_GRANULARITY;
    return entry + 1;
}

// The segment a free block spanning a whole segment belongs to.
static HEAP_SEGMENT *RtlpSegmentOfFirstEntry(HEAP_ENTRY *entry)
{
    return (HEAP_SEGMENT *)entry - 1;
}

static int RtlpIsBlockOfHeap(HEAP *heap, const void *block)
{
    uintptr_t address = (uintptr_t)block;

    if (!block || address % HEAP_GRANULARITY)
        return 0;
    for (HEAP_SEGMENT *segment = heap->Segments; segment; segment = segment->Next) {
        uintptr_t first = (uintptr_t)(segment + 1) + sizeof(HEAP_ENTRY);
        uintptr_t end = (uintptr_t)segment + segment->Size;

        if (address >= first && address < end)
            return 1;
    }
    return 0;
}

// A header in use, consistent with its neighbours' boundary tags.
static HEAP_ENTRY *RtlpBusyEntry(HEAP *heap, const void *block)
{
    HEAP_ENTRY *entry, *next, *previous;

    if (!RtlpIsBlockOfHeap(heap, block))
        return NULL;
    entry = (HEAP_ENTRY *)block - 1;
    if (entry->Magic != HEAP_ENTRY_MAGIC ||
        !(entry->Flags & HEAP_ENTRY_BUSY) || entry->Size < HEAP_MINIMUM_UNITS)
        return NULL;
    next = RtlpNextEntry(entry);
    previous = RtlpPreviousEntry(entry);
    if ((next && next->PreviousSize != entry->Size) ||
        (previous && previous->Size != entry->PreviousSize))
        return NULL;
    return entry;
}

int RtlpHeapFree(HEAP *heap, void *block)
{
    HEAP_ENTRY *entry = RtlpBusyEntry(heap, block);
    HEAP_ENTRY *next, *previous;

    if (!entry)
        return 0;
    heap->BlocksInUse--;
    heap->BytesInUse -= (entry->Size - 1) * HEAP_GRANULARITY;
    entry->Flags &= ~HEAP_ENTRY_BUSY;
    next = RtlpNextEntry(entry);
    if (next && !(next->Flags & HEAP_ENTRY_BUSY)) {
        RtlpRemoveFree(next);
        entry->Size += next->Size;
        entry->Flags |= next->Flags & HEAP_ENTRY_LAST;
        next->Magic = 0;
        RtlpFixNextBoundary(entry);
    }
    previous = RtlpPreviousEntry(entry);
    if (previous && !(previous->Flags & HEAP_ENTRY_BUSY)) {
        RtlpRemoveFree(previous);
        previous->Size += entry->Size;
        previous->Flags |= entry->Flags & HEAP_ENTRY_LAST;
        entry->Magic = 0;
        entry = previous;
        RtlpFixNextBoundary(entry);
    }
    // A whole segment free again goes back, unless it is the only one.
    if (!entry->PreviousSize && (entry->Flags & HEAP_ENTRY_LAST) && heap->SegmentCount > 1) {
        HEAP_SEGMENT *segment = RtlpSegmentOfFirstEntry(entry);
        HEAP_SEGMENT **link = &heap->Segments;

        while (*link != segment)
            link = &(*link)->Next;
        *link = segment->Next;
        heap->SegmentCount--;
        heap->Source.Free(heap->Source.Context, segment, segment->Size);
        return 1;
    }
    RtlpInsertFree(heap, entry);
    return 1;
}

size_t RtlpHeapSize(HEAP *heap, const void *block)
{
    HEAP_ENTRY *entry = RtlpBusyEntry(heap, block);

    return entry ? (entry->Size - 1) * HEAP_GRANULARITY : (size_t)-1;
}

int RtlpHeapValidate(HEAP *heap)
{
    size_t freeBlocks = 0, listed = 0;

    for (HEAP_SEGMENT *segment = heap->Segments; segment; segment = segment->Next) {
        HEAP_ENTRY *entry = (HEAP_ENTRY *)(segment + 1);
        size_t units = 0, previousSize = 0;

        for (;;) {
            if (entry->Magic != HEAP_ENTRY_MAGIC || entry->Size < HEAP_MINIMUM_UNITS ||
                entry->PreviousSize != previousSize)
                return 0;
            if (!(entry->Flags & HEAP_ENTRY_BUSY))
                freeBlocks++;
            units += entry->Size;
            if (units > segment->Size / HEAP_GRANULARITY - 1)
                return 0;
            if (entry->Flags & HEAP_ENTRY_LAST)
                break;
            previousSize = entry->Size;
            entry = RtlpNextEntry(entry);
        }
        if (units != segment->Size / HEAP_GRANULARITY - 1)
            return 0;
    }
    for (HEAP_FREE_LINKS *links = heap->FreeList.Next; links != &heap->FreeList;
         links = links->Next) {
        if (links->Next->Previous != links || (RtlpEntryOfLinks(links)->Flags & HEAP_ENTRY_BUSY))
            return 0;
        listed++;
    }
    return listed == freeBlocks;
}

void RtlpHeapDestroy(HEAP *heap)
{
    while (heap->Segments) {
        HEAP_SEGMENT *segment = heap->Segments;

        heap->Segments = segment->Next;
        heap->Source.Free(heap->Source.Context, segment, segment->Size);
    }
    RtlpHeapInitialize(heap, &heap->Source);
}
