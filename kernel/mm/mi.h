// Memory manager internals shared between its files.
#pragma once

#include "mm/mm.h"

#define PTE_PRESENT   (1ULL << 0)
#define PTE_WRITE     (1ULL << 1)
#define PTE_USER      (1ULL << 2)
#define PTE_PWT       (1ULL << 3)
#define PTE_PCD       (1ULL << 4)
#define PTE_ACCESSED  (1ULL << 5)
#define PTE_DIRTY     (1ULL << 6)
#define PTE_LARGE     (1ULL << 7)
#define PTE_GLOBAL    (1ULL << 8)
#define PTE_NX        (1ULL << 63)
#define PTE_FRAME     0x000FFFFFFFFFF000ULL

void MiInitializePfnDatabase(ULONG64 kernelPhysicalStart, ULONG64 kernelPhysicalEnd);
void MiRelocatePfnDatabase(void);
PFN_NUMBER MiGetHighestPhysicalPage(void);
ULONG64 MiPoolVirtualPagesInUse(void);
void MiInitializeSystemPageTables(void);
void MiInitializeUserAddressSpaces(void);

// The kernel's PML4 (through the direct map once paging is up). Its upper
// half is copied into every process's PML4.
extern ULONG64 *MiKernelPml4;
// PTE_NX where the processor has it, else 0 (the bit would be reserved).
extern ULONG64 MiNxBit;

// ---- User address spaces (procva.c) ---------------------------------------------
//
// A user PTE is 0 where no page is committed. Otherwise it holds the page
// frame and, in bits the processor ignores, the NT protection (so
// PAGE_READONLY and PAGE_EXECUTE stay apart though the hardware bits are
// alike) and whether the frame belongs to a section. A PAGE_NOACCESS page
// keeps its frame with the present bit clear: every access faults, the
// kernel's probes included.

// Pool tags, NT's: VADs, section objects, and a section's page list (its
// "segment").
#define MI_VAD_TAG      POOL_TAG('V', 'a', 'd', ' ')
#define MI_SECTION_TAG  POOL_TAG('S', 'e', 'c', 't')
#define MI_SEGMENT_TAG  POOL_TAG('M', 'm', 'S', 't')
#define MI_SESSION_TAG  POOL_TAG('M', 'm', 'S', 'm')   // MM_SESSION_SPACE

#define MM_PTE_PROTECTION_SHIFT 9               // bits 9-11: MiProtectionIndex + 1
#define MM_PTE_PROTECTION_MASK  (7ULL << MM_PTE_PROTECTION_SHIFT)
#define MM_PTE_SECTION_PAGE     (1ULL << 52)    // the frame is a section's, not the process's

// The one lock over every VAD list, user page table and section page list
// (changes are short, and a view links two of them).
KIRQL MiLockAddressSpaces(void);
void MiUnlockAddressSpaces(KIRQL oldIrql);

// The PTE for `va`, creating the tables above it when `create` is set; NULL
// when a table is missing (create FALSE) or no page is left for one.
ULONG64 *MiGetUserPte(ULONG64 directoryTableBase, ULONG64 va, BOOLEAN create);
// Where the page tables might map something next, from `va` on: `va` + one
// page when its PTE's table exists, else the end of the span that the
// first missing table would cover (2M, 1G or 512G). For walks over huge
// reservations.
ULONG64 MiNextMappedAddress(ULONG64 directoryTableBase, ULONG64 va);
// TRUE for the protections Sleuth supports (PAGE_NOACCESS..PAGE_EXECUTE_READWRITE,
// no modifiers, no copy-on-write).
BOOLEAN MiIsValidProtection(ULONG protect);
ULONG64 MiMakePte(PFN_NUMBER pfn, ULONG protect, BOOLEAN sectionPage);
ULONG MiPteProtection(ULONG64 pte);       // PAGE_* constant, or 0 for an empty PTE
// Sets the PTE and drops any stale translation of `va` on this processor.
void MiWriteUserPte(ULONG64 directoryTableBase, ULONG64 *pte, ULONG64 va, ULONG64 value);
// Commits [start, end) of a private range: a zeroed page where none is, the
// new protection everywhere. STATUS_NO_MEMORY when pages run out (the pages
// committed so far stay).
NTSTATUS MiCommitPrivatePages(ULONG64 directoryTableBase, ULONG64 start, ULONG64 end,
                              ULONG protect);
// Empties the PTEs of [start, end), freeing the frames that are the process's.
void MiDecommitPages(ULONG64 directoryTableBase, ULONG64 start, ULONG64 end);
// The EPROCESS whose PML4 is at directoryTableBase.
struct _EPROCESS *MiAddressSpaceOwner(ULONG64 directoryTableBase);

// Sections (section.c): removes a view's PTEs and VAD and drops its section
// reference. Lock held; the caller dereferences *section after releasing it.
void MiUnlinkView(MMVAD *vad, struct _SECTION **section);
// Commits pages of a SEC_RESERVE section through one of its views.
NTSTATUS MiCommitSectionPages(MMVAD *vad, ULONG64 start, ULONG64 end, ULONG protect);

// TRUE when `protect` asks for no right (read, write, execute) that
// `limit` does not give: a view's protection against its section's.
BOOLEAN MiIsProtectionWithin(ULONG protect, ULONG limit);

// System-service helpers (virtual.c). A referenced process with an address
// space of its own, by handle (NtCurrentProcess() included).
NTSTATUS MiReferenceProcessByHandle(HANDLE processHandle, ACCESS_MASK desiredAccess,
                                    struct _EPROCESS **process);
// Probes an in/out address and size pair for writing, then captures both.
NTSTATUS MiCaptureAddressAndSize(void **baseAddress, SIZE_T *regionSize, ULONG64 *base,
                                 SIZE_T *size);
// Writes an address and size pair back, as the services do on success.
NTSTATUS MiReturnAddressAndSize(void **baseAddress, SIZE_T *regionSize, ULONG64 base,
                                SIZE_T size);
// The highest address a ZeroBits value leaves (WRK semantics: the top
// `zeroBits` bits of the address must be clear).
ULONG64 MiZeroBitsLimit(ULONG_PTR zeroBits);
#define MI_MAXIMUM_ZERO_BITS 53

// Zeroes one page (a new page table, a committed user or section page).
// Sixteen 8-byte stores an iteration: under QEMU's TCG a `rep stosq` runs
// one store per translation-block entry, which made zeroing pages the
// largest share of creating a process (exercise 002's 30,000 of them;
// docs/performance.md); on hardware both run at the store bandwidth.
static inline void MiZeroPage(void *page)
{
    ULONG64 *at = page, *end = at + PAGE_SIZE / sizeof(ULONG64);

    do {
        __asm__ volatile("movq %1, 0(%0)\n\tmovq %1, 8(%0)\n\tmovq %1, 16(%0)\n\t"
                         "movq %1, 24(%0)\n\tmovq %1, 32(%0)\n\tmovq %1, 40(%0)\n\t"
                         "movq %1, 48(%0)\n\tmovq %1, 56(%0)\n\tmovq %1, 64(%0)\n\t"
                         "movq %1, 72(%0)\n\tmovq %1, 80(%0)\n\tmovq %1, 88(%0)\n\t"
                         "movq %1, 96(%0)\n\tmovq %1, 104(%0)\n\tmovq %1, 112(%0)\n\t"
                         "movq %1, 120(%0)"
                         : : "r"(at), "r"(0ULL) : "memory");
        at += 16;
    } while (at != end);
}
