// Memory management: physical pages (the PFN database), the kernel's page
// tables and address regions, I/O space mappings, and the tagged pool.
#pragma once

#include "rtl/rtl.h"

// ---- The kernel's address regions -----------------------------------------------
//
//   ffff8000`00000000  direct map of every RAM page (physical + this base)
//   fffffa60`00000000  kernel stacks, each below an unmapped guard page
//   fffffa80`00000000  nonpaged pool (pages mapped on demand), as on NT x64
//   fffffe00`00000000  I/O space: MmMapIoSpace (APICs, framebuffer, ACPI)
//   ffffffff`80000000  the kernel image (linked here, -mcmodel=kernel)

#define MM_DIRECT_MAP_BASE      0xFFFF800000000000ULL
#define MM_DIRECT_MAP_SIZE      0x0000400000000000ULL   // 64 TiB
#define MM_KERNEL_STACK_START   0xFFFFFA6000000000ULL
#define MM_KERNEL_STACK_SIZE    0x0000000100000000ULL   // 4 GiB of address space
#define MM_KERNEL_STACK_GUARD_PAGES 1
#define KERNEL_STACK_SIZE       (24 * 1024)             // NT x64's default
#define MM_NONPAGED_POOL_START  0xFFFFFA8000000000ULL
#define MM_NONPAGED_POOL_SIZE   0x0000000100000000ULL   // 4 GiB of address space
#define MM_IO_SPACE_START       0xFFFFFE0000000000ULL
#define MM_IO_SPACE_SIZE        0x0000004000000000ULL   // 256 GiB
#define MM_KERNEL_IMAGE_BASE    0xFFFFFFFF80000000ULL

typedef ULONG64 PFN_NUMBER;

// What a physical page is used for, so `!vm` can account for every page.
typedef enum _MM_PAGE_USAGE {
    MmUsageFree,
    MmUsageKernelImage,
    MmUsagePageTable,
    MmUsagePool,
    MmUsageBootData,          // the PFN database and other boot allocations
    MmUsageKernelStack,
    MmUsageLoaderModule,
    MmUsageUserPage,          // mapped in a process's lower half
    MmUsageOther,
    MmUsageMaximum,
} MM_PAGE_USAGE;

typedef struct _MMPFN {
    PFN_NUMBER NextFree;      // next page on the free list, when free
    USHORT Usage;             // MM_PAGE_USAGE
    USHORT ReferenceCount;
    ULONG Reserved;
} MMPFN;

typedef struct _MM_STATISTICS {
    PFN_NUMBER HighestPhysicalPage;
    PFN_NUMBER TotalRamPages;          // every page the loader called usable
    PFN_NUMBER AvailablePages;         // on the free list now
    PFN_NUMBER PagesByUsage[MmUsageMaximum];
    ULONG64 PoolVirtualPagesInUse;
} MM_STATISTICS;

extern MMPFN *MmPfnDatabase;

void MmInitSystem(void);
void MmQueryStatistics(MM_STATISTICS *statistics);
const char *MmPageUsageName(MM_PAGE_USAGE usage);

// Physical pages. MmAllocatePhysicalPage returns 0 when none is left (page 0
// itself is never handed out).
PFN_NUMBER MmAllocatePhysicalPage(MM_PAGE_USAGE usage);
void MmFreePhysicalPage(PFN_NUMBER pfn);

static inline void *MmPfnToVirtual(PFN_NUMBER pfn)
{
    return (void *)(MM_DIRECT_MAP_BASE + (pfn << PAGE_SHIFT));
}

// Translates through the current page tables; 0 when not mapped.
ULONG64 MmGetPhysicalAddress(const void *va);
BOOLEAN MmIsAddressValid(const void *va);

typedef enum _MEMORY_CACHING_TYPE {
    MmNonCached,
    MmCached,
    MmWriteCombined,
} MEMORY_CACHING_TYPE;

// Maps device memory (or firmware tables) into the I/O space region.
void *MmMapIoSpace(ULONG64 physicalAddress, SIZE_T size, MEMORY_CACHING_TYPE cacheType);

// Maps `count` fresh physical pages at consecutive addresses in the pool
// region; NULL when out of memory or address space.
void *MiAllocatePoolPages(SIZE_T count);
void MiFreePoolPages(void *va, SIZE_T count);

// A kernel stack of `size` bytes with an unmapped guard page below it;
// returns its top (the initial stack pointer) or NULL.
void *MmCreateKernelStack(SIZE_T size);
void MmDeleteKernelStack(void *stackTop, SIZE_T size);

// Removes a page's mapping so any access faults: the guard page under a stack.
void MiUnmapGuardPage(void *va);

// ---- Process address spaces ---------------------------------------------------------
//
// The lower half (below MM_USER_PROBE_ADDRESS) belongs to the process; the
// upper half is the kernel's and is the same in every address space.

#define MM_LOWEST_USER_ADDRESS  0x0000000000010000ULL
#define MM_HIGHEST_USER_ADDRESS 0x00007FFFFFFEFFFFULL
#define MM_USER_PROBE_ADDRESS   0x00007FFFFFFF0000ULL

// Page protections, NT's values.
#define PAGE_NOACCESS           0x01
#define PAGE_READONLY           0x02
#define PAGE_READWRITE          0x04
#define PAGE_EXECUTE            0x10
#define PAGE_EXECUTE_READ       0x20
#define PAGE_EXECUTE_READWRITE  0x40

// A new PML4 whose kernel half is the kernel's; *directoryTableBase gets
// its physical address (what CR3 will hold).
NTSTATUS MmCreateProcessAddressSpace(ULONG64 *directoryTableBase);

// Frees every user page and page-table page of the address space, and the
// PML4. No processor may be running in it.
void MmDeleteProcessAddressSpace(ULONG64 directoryTableBase);

// Maps fresh zeroed pages over [base, base + size) of the address space with
// `protect` (a PAGE_xxx value). Fails with STATUS_CONFLICTING_ADDRESSES if a
// page is already mapped, STATUS_INVALID_PARAMETER for a range outside the
// user half, STATUS_NO_MEMORY when pages run out (what was mapped stays, to
// be freed with the address space).
NTSTATUS MmAllocateUserMemory(ULONG64 directoryTableBase, ULONG64 base, SIZE_T size,
                              ULONG protect);

// The kernel-visible address (in the direct map) of the byte at `va` in the
// address space; NULL when it is not mapped. For filling pages of a process
// that is not the current one (loading an image, building a stack).
void *MmGetUserPageAddress(ULONG64 directoryTableBase, ULONG64 va);

// ---- Probing user pointers ----------------------------------------------------------
//
// Everything a system service reads from or writes to user memory goes
// through these. There is no structured exception handling in the kernel:
// instead of raising, they return STATUS_ACCESS_VIOLATION (a range that
// reaches into the kernel half, or a page that is not there) or
// STATUS_DATATYPE_MISALIGNMENT, and the copies survive faults.

NTSTATUS ProbeForRead(const void *address, SIZE_T length, ULONG alignment);
NTSTATUS ProbeForWrite(void *address, SIZE_T length, ULONG alignment);
// Probe, then copy; a fault part way gives STATUS_ACCESS_VIOLATION.
NTSTATUS MmCopyFromUser(void *kernelDestination, const void *userSource, SIZE_T length);
NTSTATUS MmCopyToUser(void *userDestination, const void *kernelSource, SIZE_T length);

// ---- Pool ---------------------------------------------------------------------------

typedef enum _POOL_TYPE {
    NonPagedPool = 0,
    PagedPool = 1,
    NonPagedPoolMustSucceed = 2,
    NonPagedPoolCacheAligned = 4,
    PagedPoolCacheAligned = 5,
} POOL_TYPE;

void *ExAllocatePoolWithTag(POOL_TYPE poolType, SIZE_T numberOfBytes, ULONG tag);
void ExFreePoolWithTag(void *block, ULONG tag);
void ExFreePool(void *block);
void ExInitializePool(void);

// Per-tag bookkeeping, as the debugger's `!poolused` shows it.
typedef struct _POOL_TRACKER_TABLE {
    ULONG Key;                        // the tag; 0 marks an empty slot
    ULONG NonPagedAllocs;
    ULONG NonPagedFrees;
    ULONG PagedAllocs;
    ULONG PagedFrees;
    SIZE_T NonPagedBytes;
    SIZE_T PagedBytes;
} POOL_TRACKER_TABLE;

#define POOL_TRACKER_TABLE_SIZE 512
extern POOL_TRACKER_TABLE PoolTrackTable[POOL_TRACKER_TABLE_SIZE];

// Current count of outstanding allocations and bytes for one tag (both pool
// types), for leak checks in tests.
void ExQueryPoolTagUsage(ULONG tag, ULONG *allocations, SIZE_T *bytes);

// What `!pool ADDR` needs: the block holding an address and its neighbours
// in the same page.
typedef struct _POOL_BLOCK_INFO {
    ULONG64 BlockAddress;             // the header
    ULONG BlockSize;                  // bytes, header included
    ULONG PreviousSize;               // bytes
    ULONG Tag;
    BOOLEAN Allocated;
    BOOLEAN Paged;
    BOOLEAN LargePage;                // a page-granular allocation
} POOL_BLOCK_INFO;

typedef BOOLEAN (*POOL_READ_ROUTINE)(ULONG64 address, void *buffer, SIZE_T length);

// Walks the pool page that holds `address`, reading memory only through
// `read` (the debugger's fault-safe reader). Calls `callback` for every
// block in the page in address order. Returns FALSE if `address` is not in
// pool or the page's headers are inconsistent (the walk stops at the
// damage, having reported the good blocks before it).
typedef void (*POOL_BLOCK_CALLBACK)(void *context, const POOL_BLOCK_INFO *block);
BOOLEAN ExpWalkPoolPage(ULONG64 address, POOL_READ_ROUTINE read, POOL_BLOCK_CALLBACK callback,
                        void *context);
BOOLEAN ExpIsPoolAddress(ULONG64 address);
