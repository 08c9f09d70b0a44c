// Memory management: physical pages (the PFN database), the kernel's page
// tables and address regions, I/O space mappings, and the tagged pool.
#pragma once

#include "ndk/ntmmapi.h"    // the ABI: protections, MEM_*, SEC_*, the Nt* services
#include "ndk/ntpsapi.h"
#include "rtl/rtl.h"

// ---- The kernel's address regions -----------------------------------------------
//
//   ffff8000`00000000  direct map of every RAM page (physical + this base)
//   fffffa60`00000000  kernel stacks, each below an unmapped guard page
//   fffffa80`00000000  nonpaged pool (pages mapped on demand), as on NT x64
//   fffffe00`00000000  I/O space: MmMapIoSpace (APICs, framebuffer, ACPI)
//   ffffffff`80000000  the kernel image (linked here, -mcmodel=kernel)
//   ffffffff`c0000000  driver images (sysload.c), each after an unmapped guard page

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
#define MM_SYSTEM_IMAGE_START   0xFFFFFFFFC0000000ULL
#define MM_SYSTEM_IMAGE_SIZE    0x0000000020000000ULL   // 512 MiB of address space

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
    union {
        PFN_NUMBER NextFree;  // next page on the free list, when free
        // A PML4 page: the process whose address space it is (its VADs).
        struct _EPROCESS *AddressSpaceOwner;
    };
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

// DMA memory (contig.c): at most one page, zeroed, whose physical address
// (MmGetPhysicalAddress) is at or below `highestAcceptableAddress`; NULL
// when there is none. MmFreeContiguousMemory takes the pointer back.
void *MmAllocateContiguousMemory(SIZE_T numberOfBytes, ULONG64 highestAcceptableAddress);
void MmFreeContiguousMemory(void *baseAddress);

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

// Driver images (sysload.c): `count` fresh pages in the driver region, after
// an unmapped guard page, mapped read-write no-execute until the loader
// gives each page its section's protection (PAGE_EXECUTE_READ,
// PAGE_READONLY or PAGE_READWRITE). NULL when out of memory or room.
void *MiAllocateSystemImagePages(SIZE_T count);
void MiFreeSystemImagePages(void *va, SIZE_T count);
void MiProtectSystemImagePages(void *va, SIZE_T count, ULONG protect);
ULONG64 MiSystemImagePagesInUse(void);
// What a kernel page's PTE allows, as a PAGE_* constant (PAGE_NOACCESS when
// it is not mapped; without NX every page reads as non-executable).
ULONG MiQuerySystemImageProtection(const void *va);

// ---- Process address spaces ---------------------------------------------------------
//
// The lower half (below MM_USER_PROBE_ADDRESS) belongs to the process; the
// upper half is the kernel's and is the same in every address space.

#define MM_LOWEST_USER_ADDRESS  0x0000000000010000ULL
#define MM_HIGHEST_USER_ADDRESS 0x00007FFFFFFEFFFFULL
#define MM_USER_PROBE_ADDRESS   0x00007FFFFFFF0000ULL

#define MM_ALLOCATION_GRANULARITY 0x10000ULL    // 64K: where reservations and views start

struct _EPROCESS;
struct _SECTION;

// A virtual address descriptor: one reservation, mapped view or image
// range of a process, in whole pages. The process's VadRoot keeps them in a
// balanced tree ordered by address (see vad.c).
typedef struct _MMVAD {
    struct _MMVAD *Parent;            // EPROCESS.VadRoot's tree links
    struct _MMVAD *LeftChild;
    struct _MMVAD *RightChild;
    ULONG Height;                     // of its subtree: the AVL balance
    ULONG Type;                       // MEM_PRIVATE, MEM_MAPPED or MEM_IMAGE
    ULONG_PTR StartingVpn;            // first page number
    ULONG_PTR EndingVpn;              // last page number, inclusive, as NT's
    // Its subtree's summary (Sleuth's own, for the free-range search): the
    // first and last page it covers and its largest hole, in pages.
    ULONG_PTR SubtreeStartingVpn;
    ULONG_PTR SubtreeEndingVpn;
    ULONG_PTR LargestGap;
    ULONG AllocationProtect;          // PAGE_* constant given when it was made
    // The thread whose TEB or kernel-made stack it is (never dereferenced):
    // its exit releases the range only while it is still that thread's.
    void *OwningThread;
    // Mapped views only: the section (referenced by the view), the section
    // page at StartingVpn, and the link in the section's list of views.
    struct _SECTION *Section;
    ULONG_PTR FirstSectionPage;
    LIST_ENTRY ViewLinks;
    ULONG64 DirectoryTableBase;       // the address space the view is in
} MMVAD;

// EPROCESS.VadRoot, NT's name for it: the tree's root and its VAD count;
// and, kept by the tree (vad.c) so that no caller can forget them, the
// pages the VADs span now and at most (what !process shows as NT's
// EPROCESS VirtualSize and PeakVirtualSize).
typedef struct _MM_AVL_TABLE {
    MMVAD *Root;
    ULONG NumberGenericTableElements;
    ULONG_PTR VirtualPages;
    ULONG_PTR PeakVirtualPages;
} MM_AVL_TABLE;

#define MI_VAD_START(vad) ((vad)->StartingVpn << PAGE_SHIFT)
#define MI_VAD_END(vad)   (((vad)->EndingVpn + 1) << PAGE_SHIFT)   // exclusive

// VAD tree logic (vad.c), O(log n) each: no locks, no pages; the caller
// holds the address-space lock.
void MiInitializeVadTable(MM_AVL_TABLE *table);
MMVAD *MiLocateVad(MM_AVL_TABLE *table, ULONG_PTR vpn);
// The first VAD that starts after `vpn`, or NULL.
MMVAD *MiNextVad(MM_AVL_TABLE *table, ULONG_PTR vpn);
// The lowest VAD, and the one after `vad` in address order (NULL: none).
MMVAD *MiFirstVad(MM_AVL_TABLE *table);
MMVAD *MiSuccessorVad(MMVAD *vad);
BOOLEAN MiIsRangeFree(MM_AVL_TABLE *table, ULONG_PTR startingVpn, ULONG_PTR endingVpn);
// Inserts a VAD whose range is free (its links are overwritten); removes one.
void MiInsertVad(MM_AVL_TABLE *table, MMVAD *vad);
void MiRemoveVad(MM_AVL_TABLE *table, MMVAD *vad);
// Shrinks a VAD in place (the new range within the old one).
void MiChangeVadRange(MM_AVL_TABLE *table, MMVAD *vad, ULONG_PTR startingVpn,
                      ULONG_PTR endingVpn);
// A free range of `size` bytes starting on `alignment` within [lowest,
// highest] (highest is the last usable byte), lowest first or, with topDown,
// highest first. FALSE when none is left.
BOOLEAN MiFindFreeRange(MM_AVL_TABLE *table, ULONG64 size, ULONG64 alignment, ULONG64 lowest,
                        ULONG64 highest, BOOLEAN topDown, ULONG64 *base);

// A new PML4 whose kernel half is the kernel's, for `process`: its
// Pcb.DirectoryTableBase gets the PML4's physical address (what CR3 will
// hold) and its VadRoot starts empty.
NTSTATUS MmCreateProcessAddressSpace(struct _EPROCESS *process);

// Unmaps every view (dropping its section reference), frees every private
// page, every VAD and the user half's page tables. Only the top-level page
// (the PML4, with the kernel's half) stays, for MmDeleteProcessAddressSpace:
// an exited process still referenced (a zombie) keeps no more, as on NT.
// No thread may run in the process's user half any more.
void MmCleanProcessAddressSpace(struct _EPROCESS *process);
// Sessions (session.c). NT's MM_SESSION_SPACE, one per session id, on
// MiSessionWsList (sorted by id), listing its processes; it lives while a
// process object is in it.
typedef struct _MM_SESSION_SPACE {
    ULONG SessionId;
    ULONG ReferenceCount;               // processes in it
    LIST_ENTRY ProcessList;             // EPROCESS.SessionProcessLinks
    LIST_ENTRY WsListEntry;             // MiSessionWsList
} MM_SESSION_SPACE;

extern LIST_ENTRY MiSessionWsList;
// Puts a new process into session `sessionId` (made if none has that id).
NTSTATUS MmSessionAddProcess(struct _EPROCESS *process, ULONG sessionId);
// Takes a deleted process out of its session (freed with its last one).
void MmSessionRemoveProcess(struct _EPROCESS *process);
// A new session, the lowest unused id above 0, and moves `process` into it
// (out of the one it was in), as NT's MmSessionCreate does for smss.
NTSTATUS MmSessionCreate(struct _EPROCESS *process, ULONG *sessionId);

// The private pages of every process together (each one's is its
// EPROCESS.CommitCharge), as NT's MmProcessCommit.
extern SIZE_T MmProcessCommit;

// Frees the page tables of the address space, and the PML4, with any
// private page still mapped (never a section's page: those belong to the
// section). No processor may be running in it.
void MmDeleteProcessAddressSpace(ULONG64 directoryTableBase);

// Maps fresh zeroed pages over [base, base + size) of the address space with
// `protect` (a PAGE_* constant), described by a VAD of the given type
// (MEM_PRIVATE, or MEM_IMAGE for an image's segments). Fails with
// STATUS_CONFLICTING_ADDRESSES if a page of the range is already described,
// STATUS_INVALID_PARAMETER for a range outside the user half or a bad type,
// STATUS_NO_MEMORY when pages run out (what was mapped stays, described by
// its VAD, to be freed with the address space).
NTSTATUS MmAllocateUserMemoryEx(ULONG64 directoryTableBase, ULONG64 base, SIZE_T size,
                                ULONG protect, ULONG type);
// The same for private memory (a stack, a data page of a test).
NTSTATUS MmAllocateUserMemory(ULONG64 directoryTableBase, ULONG64 base, SIZE_T size,
                              ULONG protect);

// The kernel-visible address (in the direct map) of the byte at `va` in the
// address space; NULL when nothing is committed there. For tests that fill
// pages of a process none of whose threads runs: once the lock is dropped a
// thread of the process could free the page. The kernel itself writes with
// MmWriteProcessMemory.
void *MmGetUserPageAddress(ULONG64 directoryTableBase, ULONG64 va);

// Copies into the address space (through the direct map, under the
// address-space lock, so the process need not be the current one and its
// threads cannot take a page away meanwhile). Only committed private pages
// are written: STATUS_NOT_COMMITTED where a page is missing,
// STATUS_CONFLICTING_ADDRESSES for a section's page (another process may
// map it). What was copied before the failing page stays.
NTSTATUS MmWriteProcessMemory(ULONG64 directoryTableBase, ULONG64 va, const void *source,
                              SIZE_T length);

// A thread's TEB or kernel-made stack (NT's MmCreateTeb and the stack a
// thread gets from its creator): a fresh private reservation of `size`
// bytes at `alignment`, the highest that fits at or below `highest`, whose
// top `commit` bytes are committed read-write and zeroed. Its VAD records
// `owningThread`. STATUS_NO_MEMORY when no room or no page is left (nothing
// stays behind).
NTSTATUS MmCreateThreadRange(struct _EPROCESS *process, SIZE_T size, SIZE_T commit,
                             ULONG64 alignment, ULONG64 highest, void *owningThread,
                             ULONG64 *base);
// Releases the reservation at `base` if it is still `owningThread`'s.
void MmDeleteThreadRange(struct _EPROCESS *process, ULONG64 base, void *owningThread);

// ---- Sections (section.c) -----------------------------------------------------------
//
// Pagefile-backed sections only (there is no file system): a section owns
// its pages, which every view maps; each view holds a reference on it.

typedef struct _SECTION {
    ULONG64 SizeOfSection;            // MaximumSize rounded up to pages
    ULONG AllocationAttributes;       // SEC_COMMIT or SEC_RESERVE
    ULONG InitialPageProtection;      // PAGE_* constant at creation: the most a view may have
    PFN_NUMBER NumberOfPages;
    // The section's own pages ("segment", tagged MmSt): 0 where a
    // SEC_RESERVE section's page is not committed yet.
    PFN_NUMBER *PageFrames;
    LIST_ENTRY ViewListHead;          // MMVAD.ViewLinks of every view
    ULONG NumberOfMappedViews;
} SECTION;

extern struct _OBJECT_TYPE *MmSectionObjectType;

// Creates the Section object type; after ObInitSystem.
void MmInitSectionObjectType(void);

// For kernel components (LPC): a view of `section` in `process` at
// *baseAddress (NULL: where there is room), *viewSize bytes from
// sectionOffset (0: to the end); the view holds a section reference. And
// its removal (STATUS_NOT_MAPPED_VIEW when no view starts there).
NTSTATUS MmMapViewOfSection(SECTION *section, struct _EPROCESS *process, void **baseAddress,
                            ULONG64 sectionOffset, SIZE_T *viewSize, ULONG protect);
NTSTATUS MmUnmapViewOfSection(struct _EPROCESS *process, void *baseAddress);
// A new committed pagefile section of `size` bytes (rounded up to pages),
// referenced, for kernel components (ALPC's port sections). And the
// removal of a view only if the one at baseAddress is still the view of
// `section` at sectionOffset that the caller made: the process may have
// unmapped it and mapped something else there since.
NTSTATUS MmCreateSection(ULONG64 size, ULONG protect, SECTION **section);
NTSTATUS MmUnmapViewOfSectionIfSame(struct _EPROCESS *process, void *baseAddress,
                                    SECTION *section, ULONG64 sectionOffset);
// Copies `size` bytes between the current process and another (one of
// fromProcess/toProcess is the current one), checking the other side's
// page protections (vmcopy.c). STATUS_ACCESS_VIOLATION when a page is not
// there or refuses the access; *numberOfBytesCopied says how far it got.
NTSTATUS MmCopyVirtualMemory(struct _EPROCESS *fromProcess, const void *fromAddress,
                             struct _EPROCESS *toProcess, void *toAddress, SIZE_T size,
                             SIZE_T *numberOfBytesCopied);

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

// The same in line (probe.c's are these), for the paths every LPC message
// takes: a call and its frame cost as much as a short copy's checks.
#ifndef SLEUTH_HOST
SIZE_T KiCopyMemorySafe(void *destination, const void *source, SIZE_T length);
ULONG KiProbeWriteByte(UCHAR *address);

// KiCopyMemorySafe in line for the common case, a source and a length
// that are both multiples of 8, which it copies as whole quadwords too: one
// `rep movsq` listed in the exception table (.extable) with a fixup that is
// a label of the caller's, so a fault lands there (KiFixupKernelFault) and
// the copy returns nonzero. Any other copy calls KiCopyMemorySafe.
// Nonzero: a fault stopped the copy.
static inline __attribute__((always_inline)) SIZE_T
KiCopyMemorySafeInline(void *destination, const void *source, SIZE_T length)
{
    SIZE_T count = length >> 3;

    if (((ULONG_PTR)source | length) & 7)
        return KiCopyMemorySafe(destination, source, length);
    __asm__ volatile goto("1: rep movsq\n\t"
                 ".pushsection .extable, \"a\"\n\t"
                 ".balign 8\n\t"
                 ".quad 1b, %l[fault]\n\t"
                 ".popsection"
                 : "+D"(destination), "+S"(source), "+c"(count)
                 :
                 : "memory"
                 : fault);
    return 0;
fault:
    return 1;
}

// KiProbeWriteByte in line: the byte at `address` read and written back,
// both instructions listed in the exception table with a label of the
// caller's as their fixup (as KiCopyMemorySafeInline's copy): no call, and
// nothing the caller holds in registers is spilled around one. Nonzero: a
// fault (a missing or read-only page).
static inline __attribute__((always_inline)) ULONG KiProbeWriteByteInline(UCHAR *address)
{
    UCHAR byte;

    __asm__ volatile goto("1: movb (%1), %0\n\t"
                          "2: movb %0, (%1)\n\t"
                          ".pushsection .extable, \"a\"\n\t"
                          ".balign 8\n\t"
                          ".quad 1b, %l[fault]\n\t"
                          ".quad 2b, %l[fault]\n\t"
                          ".popsection"
                          : "=&q"(byte)
                          : "r"(address)
                          : "memory"
                          : fault);
    return 0;
fault:
    return 1;
}

// Does [start, start + length) lie wholly below MM_USER_PROBE_ADDRESS?
static inline BOOLEAN MiIsUserRange(ULONG64 start, SIZE_T length)
{
    return start + length >= start && start + length <= MM_USER_PROBE_ADDRESS;
}

// The range must also be writable: writing each page's first byte back to
// itself finds read-only and missing pages before the service does anything.
static inline __attribute__((always_inline)) NTSTATUS
ProbeForWriteInline(void *address, SIZE_T length, ULONG alignment)
{
    ULONG64 start = (ULONG64)address;

    if (length == 0)
        return STATUS_SUCCESS;
    if (alignment && (start & (alignment - 1)))
        return STATUS_DATATYPE_MISALIGNMENT;
    if (!MiIsUserRange(start, length))
        return STATUS_ACCESS_VIOLATION;
    // The first page at `start` itself, every later one at its first byte.
    if (KiProbeWriteByteInline((UCHAR *)start))
        return STATUS_ACCESS_VIOLATION;
    for (ULONG64 page = ALIGN_DOWN_BY(start, PAGE_SIZE) + PAGE_SIZE; page < start + length;
         page += PAGE_SIZE) {
        if (KiProbeWriteByte((UCHAR *)page))
            return STATUS_ACCESS_VIOLATION;
    }
    return STATUS_SUCCESS;
}

static inline __attribute__((always_inline)) NTSTATUS
MmCopyFromUserInline(void *kernelDestination, const void *userSource, SIZE_T length)
{
    if (length == 0)
        return STATUS_SUCCESS;
    if (!MiIsUserRange((ULONG64)userSource, length) ||
        KiCopyMemorySafeInline(kernelDestination, userSource, length))
        return STATUS_ACCESS_VIOLATION;
    return STATUS_SUCCESS;
}

static inline __attribute__((always_inline)) NTSTATUS
MmCopyToUserInline(void *userDestination, const void *kernelSource, SIZE_T length)
{
    if (length == 0)
        return STATUS_SUCCESS;
    if (!MiIsUserRange((ULONG64)userDestination, length) ||
        KiCopyMemorySafeInline(userDestination, kernelSource, length))
        return STATUS_ACCESS_VIOLATION;
    return STATUS_SUCCESS;
}
#endif

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
