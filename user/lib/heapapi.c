// The heap as programs use it: NT's RtlAllocateHeap family and the C
// library's malloc family over one process heap (PEB.ProcessHeap). The
// blocks themselves are managed by heap.c; here are the pages
// (NtAllocateVirtualMemory) and the lock (a critical section).

#include "user/include/runtime.h"
#include "user/lib/heap.h"

typedef struct _RTL_HEAP {
    HEAP Core;
    RTL_CRITICAL_SECTION Lock;
    ULONG Flags;
} RTL_HEAP;

// NT's heaps spin about 4,000 times on a busy lock before sleeping (on
// several processors; on one, critsec.c makes it 0).
#define RTL_HEAP_LOCK_SPIN_COUNT 4000

static RTL_HEAP RtlpProcessHeap;

static void *RtlpHeapAllocatePages(void *context, size_t size)
{
    void *base = NULL;
    SIZE_T regionSize = size;

    if (!NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &regionSize,
                                            MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE)))
        return NULL;
    return base;
}

static void RtlpHeapFreePages(void *context, void *base, size_t size)
{
    SIZE_T regionSize = 0;

    NtFreeVirtualMemory(NtCurrentProcess(), &base, &regionSize, MEM_RELEASE);
}

static const HEAP_PAGE_SOURCE RtlpVirtualMemoryPages = {RtlpHeapAllocatePages,
                                                        RtlpHeapFreePages, NULL};

static NTSTATUS RtlpInitializeHeap(RTL_HEAP *heap, ULONG flags)
{
    RtlpHeapInitialize(&heap->Core, &RtlpVirtualMemoryPages);
    heap->Flags = flags;
    return RtlInitializeCriticalSectionAndSpinCount(&heap->Lock, RTL_HEAP_LOCK_SPIN_COUNT);
}

// At program start: no page is taken until the first allocation.
void RtlpInitializeProcessHeap(void)
{
    RtlpInitializeHeap(&RtlpProcessHeap, 0);
    NtCurrentPeb()->ProcessHeap = &RtlpProcessHeap;
}

PVOID RtlCreateHeap(ULONG Flags, PVOID HeapBase, SIZE_T ReserveSize, SIZE_T CommitSize,
                    PVOID Lock, PVOID Parameters)
{
    RTL_HEAP *heap;

    // Heaps over memory the caller provides are not supported here.
    if (HeapBase || Lock || Parameters)
        return NULL;
    heap = RtlpHeapAllocatePages(NULL, HEAP_SEGMENT_SIZE);
    if (!heap)
        return NULL;
    if (!NT_SUCCESS(RtlpInitializeHeap(heap, Flags))) {
        RtlpHeapFreePages(NULL, heap, HEAP_SEGMENT_SIZE);
        return NULL;
    }
    return heap;
}

PVOID RtlDestroyHeap(PVOID HeapHandle)
{
    RTL_HEAP *heap = HeapHandle;

    if (heap == &RtlpProcessHeap)
        return heap;        // NT refuses to destroy the process heap too
    RtlpHeapDestroy(&heap->Core);
    RtlDeleteCriticalSection(&heap->Lock);
    RtlpHeapFreePages(NULL, heap, HEAP_SEGMENT_SIZE);
    return NULL;
}

static void RtlpLockHeap(RTL_HEAP *heap, ULONG flags)
{
    if (!((heap->Flags | flags) & HEAP_NO_SERIALIZE))
        RtlEnterCriticalSection(&heap->Lock);
}

static void RtlpUnlockHeap(RTL_HEAP *heap, ULONG flags)
{
    if (!((heap->Flags | flags) & HEAP_NO_SERIALIZE))
        RtlLeaveCriticalSection(&heap->Lock);
}

PVOID RtlAllocateHeap(PVOID HeapHandle, ULONG Flags, SIZE_T Size)
{
    RTL_HEAP *heap = HeapHandle;
    void *block;

    RtlpLockHeap(heap, Flags);
    block = RtlpHeapAllocate(&heap->Core, Size);
    RtlpUnlockHeap(heap, Flags);
    if (block && (Flags & HEAP_ZERO_MEMORY))
        memset(block, 0, Size);
    return block;
}

BOOLEAN RtlFreeHeap(PVOID HeapHandle, ULONG Flags, PVOID BaseAddress)
{
    RTL_HEAP *heap = HeapHandle;
    int freed;

    if (!BaseAddress)
        return TRUE;        // as NT: freeing NULL succeeds
    RtlpLockHeap(heap, Flags);
    freed = RtlpHeapFree(&heap->Core, BaseAddress);
    RtlpUnlockHeap(heap, Flags);
    if (!freed)
        printf("heap: RtlFreeHeap(%p, %p): not a block in use of this heap\n", HeapHandle,
               BaseAddress);
    return freed != 0;
}

SIZE_T RtlSizeHeap(PVOID HeapHandle, ULONG Flags, PVOID BaseAddress)
{
    RTL_HEAP *heap = HeapHandle;
    SIZE_T size;

    RtlpLockHeap(heap, Flags);
    size = RtlpHeapSize(&heap->Core, BaseAddress);
    RtlpUnlockHeap(heap, Flags);
    return size;
}

PVOID RtlReAllocateHeap(PVOID HeapHandle, ULONG Flags, PVOID BaseAddress, SIZE_T Size)
{
    SIZE_T oldSize = RtlSizeHeap(HeapHandle, Flags, BaseAddress);
    void *block;

    if (oldSize == (SIZE_T)-1)
        return NULL;
    if (Size <= oldSize)
        return BaseAddress;
    block = RtlAllocateHeap(HeapHandle, Flags & ~HEAP_ZERO_MEMORY, Size);
    if (!block)
        return NULL;
    memcpy(block, BaseAddress, oldSize);
    if (Flags & HEAP_ZERO_MEMORY)
        memset((char *)block + oldSize, 0, Size - oldSize);
    RtlFreeHeap(HeapHandle, Flags, BaseAddress);
    return block;
}

void *malloc(size_t size)
{
    return RtlAllocateHeap(RtlProcessHeap(), 0, size);
}

void *calloc(size_t count, size_t size)
{
    if (size && count > (size_t)-1 / size)
        return NULL;
    return RtlAllocateHeap(RtlProcessHeap(), HEAP_ZERO_MEMORY, count * size);
}

void *realloc(void *block, size_t size)
{
    if (!block)
        return malloc(size);
    return RtlReAllocateHeap(RtlProcessHeap(), 0, block, size);
}

void free(void *block)
{
    RtlFreeHeap(RtlProcessHeap(), 0, block);
}
