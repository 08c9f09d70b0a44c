// The heap's core: pure logic over memory it is given, so the host unit
// tests (tests/host/test_heap.c) run it under the sanitizers. User programs
// reach it through RtlAllocateHeap and malloc (user/lib/heapapi.c), which
// give it pages from NtAllocateVirtualMemory.
//
// The heap is a list of segments, each a run of blocks. Every block starts
// with a 16-byte header holding its size and its predecessor's size (a
// boundary tag), so a freed block merges with free neighbours on either
// side in O(1). Free blocks are on one address-unordered list, searched
// first fit. A segment whose blocks are all free again goes back to the
// page source, except the first.
#pragma once

#include <stddef.h>
#include <stdint.h>

#define HEAP_GRANULARITY     16                      // block sizes and addresses
#define HEAP_SEGMENT_SIZE    (64 * 1024)             // the usual segment
#define HEAP_MAXIMUM_REQUEST ((size_t)1 << 34)       // larger requests fail

typedef struct _HEAP_PAGE_SOURCE {
    // size is a multiple of HEAP_SEGMENT_SIZE; NULL when there is no memory.
    void *(*Allocate)(void *context, size_t size);
    void (*Free)(void *context, void *base, size_t size);
    void *Context;
} HEAP_PAGE_SOURCE;

typedef struct _HEAP_FREE_LINKS {
    struct _HEAP_FREE_LINKS *Next;
    struct _HEAP_FREE_LINKS *Previous;
} HEAP_FREE_LINKS;

typedef struct _HEAP_SEGMENT {
    struct _HEAP_SEGMENT *Next;
    size_t Size;                // bytes, this header included
} HEAP_SEGMENT;

typedef struct _HEAP {
    HEAP_PAGE_SOURCE Source;
    HEAP_SEGMENT *Segments;
    HEAP_FREE_LINKS FreeList;   // circular, with this as its head
    size_t BytesInUse;          // requested sizes rounded, headers excluded
    size_t BlocksInUse;
    size_t SegmentCount;
} HEAP;

void RtlpHeapInitialize(HEAP *heap, const HEAP_PAGE_SOURCE *source);
// A block of at least `size` bytes aligned to HEAP_GRANULARITY, or NULL.
void *RtlpHeapAllocate(HEAP *heap, size_t size);
// 0 when `block` is not a block in use of this heap (a double free, a
// pointer into the middle of a block or from elsewhere): nothing changes.
int RtlpHeapFree(HEAP *heap, void *block);
// The usable size of a block in use, or (size_t)-1 if it is not one.
size_t RtlpHeapSize(HEAP *heap, const void *block);
// Checks every segment's chain of headers and the free list: 0 if damaged.
int RtlpHeapValidate(HEAP *heap);
// Gives every segment back; the heap is empty (and usable) afterwards.
void RtlpHeapDestroy(HEAP *heap);
