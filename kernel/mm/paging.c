// The kernel's page tables: built here from the memory map, replacing the
// boot stub's. The kernel image gets per-section protection (code read-only,
// data no-execute), all RAM is direct-mapped, and the pool and I/O regions
// are mapped a page at a time as they are used.

#include "mm/mi.h"
#include "mm/sysload.h"
#include "ke/ke.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"

#define MSR_PAT 0x277
// PAT entry 1 becomes write-combining (PWT=1, PCD=0 selects it); the others
// keep their power-on meaning (0 WB, 2 UC-, 3 UC).
#define PAT_VALUE 0x0007040600070106ULL
#define CPUID_EXT_NX (1U << 20)

#define POOL_BITMAP_WORDS (MM_NONPAGED_POOL_SIZE / PAGE_SIZE / 64)

extern UCHAR __KernelImageStart[], __RodataStart[], __DataStart[], __KsymsStart[];
extern UCHAR __KernelImageEnd[];
extern UCHAR KiBootStack[];

ULONG64 *MiKernelPml4;
// Set once boot has made every top-level entry of the kernel half: from then
// on process address spaces copy that half, so a new one would be missing
// from all of them (see MiWalk).
static BOOLEAN MiKernelHalfFrozen;
static BOOLEAN MiDirectMapActive;
ULONG64 MiNxBit;
static ULONG64 MiIoSpaceNext = MM_IO_SPACE_START;
static ULONG64 MiPoolBitmap[POOL_BITMAP_WORDS];
static KSPIN_LOCK MiPageTableLock;

static void *MiPhysicalToVirtual(ULONG64 physical)
{
    // Before the switch the boot tables identity-map the first 4 GiB.
    return MiDirectMapActive ? (void *)(MM_DIRECT_MAP_BASE + physical) : (void *)physical;
}

static ULONG64 MiAllocatePageTablePage(void)
{
    PFN_NUMBER pfn = MmAllocatePhysicalPage(MmUsagePageTable);

    if (!pfn)
        KeBugCheckEx(NO_MORE_SYSTEM_PTES, 0, 0, 0, 0);
    MiZeroPage(MiPhysicalToVirtual(pfn << PAGE_SHIFT));
    return pfn << PAGE_SHIFT;
}

// Returns the entry at `level` (3 = PML4E, 2 = PDPTE, 1 = PDE, 0 = PTE) for
// `va`, creating the tables above it as needed. NULL if a large page is in
// the way or (with create FALSE) a table is missing.
static ULONG64 *MiWalk(ULONG64 *pml4, ULONG64 va, ULONG level, BOOLEAN create)
{
    ULONG64 *table = pml4;

    for (ULONG current = 3; current > level; current--) {
        ULONG index = (va >> (12 + 9 * current)) & 511;
        ULONG64 entry = table[index];

        if (!(entry & PTE_PRESENT)) {
            if (!create)
                return NULL;
            if (current == 3 && MiKernelHalfFrozen)
                KeBugCheckEx(MEMORY_MANAGEMENT, 0x101, va, 0, 0);
            entry = MiAllocatePageTablePage() | PTE_PRESENT | PTE_WRITE;
            table[index] = entry;
        } else if (entry & PTE_LARGE) {
            return NULL;
        }
        table = MiPhysicalToVirtual(entry & PTE_FRAME);
    }
    return &table[(va >> (12 + 9 * level)) & 511];
}

// Maps [va, va+size) to [pa, pa+size), with 2 MiB pages wherever both sides
// are aligned and a whole large page fits.
static void MiMapRange(ULONG64 va, ULONG64 pa, ULONG64 size, ULONG64 flags)
{
    ULONG64 end = va + size;

    while (va < end) {
        if (!(va & (LARGE_PAGE_SIZE - 1)) && !(pa & (LARGE_PAGE_SIZE - 1)) &&
            end - va >= LARGE_PAGE_SIZE) {
            ULONG64 *pde = MiWalk(MiKernelPml4, va, 1, TRUE);

            *pde = pa | flags | PTE_PRESENT | PTE_LARGE;
            va += LARGE_PAGE_SIZE;
            pa += LARGE_PAGE_SIZE;
        } else {
            ULONG64 *pte = MiWalk(MiKernelPml4, va, 0, TRUE);

            if (!pte)
                KeBugCheckEx(MEMORY_MANAGEMENT, 0x100, va, pa, 0);
            *pte = pa | flags | PTE_PRESENT;
            va += PAGE_SIZE;
            pa += PAGE_SIZE;
        }
    }
}

static void MiMapKernelSection(UCHAR *start, UCHAR *end, ULONG64 flags)
{
    ULONG64 va = (ULONG64)start;

    MiMapRange(va, va - MM_KERNEL_IMAGE_BASE, ALIGN_UP_BY((ULONG64)end, PAGE_SIZE) - va,
               flags | PTE_GLOBAL);
}

// Builds the kernel's page tables and switches to them. After this the
// low identity map is gone and physical memory is reached through the
// direct map.
void MiInitializeSystemPageTables(void)
{
    ULONG regs[4];

    __cpuid(0x80000001, 0, regs);
    MiNxBit = (regs[3] & CPUID_EXT_NX) ? PTE_NX : 0;
    KeInitializeSpinLock(&MiPageTableLock);

    MiKernelPml4 = MiPhysicalToVirtual(MiAllocatePageTablePage());

    MiMapKernelSection(__KernelImageStart, __RodataStart, 0);
    MiMapKernelSection(__RodataStart, __DataStart, MiNxBit);
    MiMapKernelSection(__DataStart, __KsymsStart, PTE_WRITE | MiNxBit);
    MiMapKernelSection(__KsymsStart, __KernelImageEnd, MiNxBit);

    for (ULONG i = 0; i < KeLoaderBlock.MemoryDescriptorCount; i++) {
        const MEMORY_DESCRIPTOR *md = &KeLoaderBlock.MemoryDescriptors[i];

        if (md->Type == LoaderFree || md->Type == LoaderAcpiReclaim ||
            md->Type == LoaderAcpiNvs)
            MiMapRange(MM_DIRECT_MAP_BASE + (md->BasePage << PAGE_SHIFT),
                       md->BasePage << PAGE_SHIFT, md->PageCount << PAGE_SHIFT,
                       PTE_WRITE | PTE_GLOBAL | MiNxBit);
    }

    // The pool and I/O regions each get their top-level entry now, so every
    // address space made later can share them by copying the kernel half.
    (void)MiWalk(MiKernelPml4, MM_NONPAGED_POOL_START, 2, TRUE);
    (void)MiWalk(MiKernelPml4, MM_IO_SPACE_START, 2, TRUE);
    (void)MiWalk(MiKernelPml4, MM_KERNEL_STACK_START, 2, TRUE);
    // The kernel image and the direct map got theirs above; no region grows
    // into a new 512 GiB slot after this (MiWalk bugchecks if one tries).
    MiKernelHalfFrozen = TRUE;

    __writemsr(MSR_PAT, PAT_VALUE);
    __writecr4(__readcr4() | CR4_PGE);
    __writecr3((ULONG64)MiKernelPml4);      // identity address == physical here
    MiDirectMapActive = TRUE;
    MiKernelPml4 = MiPhysicalToVirtual((ULONG64)MiKernelPml4);
    MiRelocatePfnDatabase();

    MiUnmapGuardPage(KiBootStack);
}

void MiUnmapGuardPage(void *va)
{
    ULONG64 *pte = MiWalk(MiKernelPml4, (ULONG64)va, 0, FALSE);

    if (pte) {
        *pte = 0;
        KeFlushTb(0, (ULONG64)va, 1);
    }
}

static ULONG64 MiCacheFlags(MEMORY_CACHING_TYPE cacheType)
{
    switch (cacheType) {
    case MmCached:
        return 0;
    case MmWriteCombined:
        return PTE_PWT;             // PAT entry 1
    default:
        return PTE_PCD | PTE_PWT;   // PAT entry 3: uncached
    }
}

void *MmMapIoSpace(ULONG64 physicalAddress, SIZE_T size, MEMORY_CACHING_TYPE cacheType)
{
    ULONG64 first = ALIGN_DOWN_BY(physicalAddress, PAGE_SIZE);
    ULONG64 length = ALIGN_UP_BY(physicalAddress + size, PAGE_SIZE) - first;
    KIRQL oldIrql;
    ULONG64 va;

    if (size == 0)
        return NULL;
    KeAcquireSpinLock(&MiPageTableLock, &oldIrql);
    va = MiIoSpaceNext;
    if (va + length > MM_IO_SPACE_START + MM_IO_SPACE_SIZE) {
        KeReleaseSpinLock(&MiPageTableLock, oldIrql);
        return NULL;
    }
    MiIoSpaceNext += length;
    for (ULONG64 offset = 0; offset < length; offset += PAGE_SIZE) {
        ULONG64 *pte = MiWalk(MiKernelPml4, va + offset, 0, TRUE);

        *pte = (first + offset) | PTE_PRESENT | PTE_WRITE | PTE_GLOBAL | MiNxBit |
               MiCacheFlags(cacheType);
    }
    KeReleaseSpinLock(&MiPageTableLock, oldIrql);
    return (void *)(va + (physicalAddress - first));
}

// ---- Regions mapped page by page: the pool and kernel stacks ------------------------
//
// Each region has a bitmap of its pages (set: address in use, mapped or a
// guard page). Allocation is first fit from a moving hint, skipping whole
// busy words 64 pages at a time.

typedef struct _MI_VA_REGION {
    ULONG64 Base;
    ULONG64 Pages;
    ULONG64 *Bitmap;
    ULONG64 Hint;
    ULONG64 PagesInUse;     // mapped pages (guard pages not counted)
    BOOLEAN KeepHint;       // a free does not move the hint back (see the image region)
} MI_VA_REGION;

static ULONG64 MiStackBitmap[POOL_BITMAP_WORDS];
static ULONG64 MiSystemImageBitmap[MM_SYSTEM_IMAGE_SIZE / PAGE_SIZE / 64];
static MI_VA_REGION MiPoolRegion = {
    MM_NONPAGED_POOL_START, MM_NONPAGED_POOL_SIZE / PAGE_SIZE, MiPoolBitmap, 0, 0, FALSE
};
static MI_VA_REGION MiStackRegion = {
    MM_KERNEL_STACK_START, MM_KERNEL_STACK_SIZE / PAGE_SIZE, MiStackBitmap, 0, 0, FALSE
};
// Allocation moves on from the last image (the hint), so an unloaded
// image's addresses are not handed out again until the region wraps: there
// is no TLB shootdown, and another processor could still hold a stale
// translation of them.
static MI_VA_REGION MiSystemImageRegion = {
    MM_SYSTEM_IMAGE_START, MM_SYSTEM_IMAGE_SIZE / PAGE_SIZE, MiSystemImageBitmap, 0, 0, TRUE
};

static BOOLEAN MiRegionPageBusy(MI_VA_REGION *region, ULONG64 index)
{
    return (region->Bitmap[index / 64] >> (index % 64)) & 1;
}

static void MiSetRegionPages(MI_VA_REGION *region, ULONG64 first, ULONG64 count, BOOLEAN busy)
{
    for (ULONG64 index = first; index < first + count; index++) {
        if (busy)
            region->Bitmap[index / 64] |= 1ULL << (index % 64);
        else
            region->Bitmap[index / 64] &= ~(1ULL << (index % 64));
    }
}

static BOOLEAN MiFindRegionRun(MI_VA_REGION *region, ULONG64 count, ULONG64 *first)
{
    for (ULONG pass = 0; pass < 2; pass++) {
        ULONG64 index = pass == 0 ? region->Hint : 0;
        ULONG64 limit = pass == 0 ? region->Pages : region->Hint + count;
        ULONG64 runStart = index, runLength = 0;

        if (limit > region->Pages)
            limit = region->Pages;
        while (index < limit) {
            if (index % 64 == 0 && region->Bitmap[index / 64] == ~0ULL) {
                index += 64;
                runLength = 0;
                runStart = index;
                continue;
            }
            if (MiRegionPageBusy(region, index)) {
                runLength = 0;
                runStart = index + 1;
            } else if (++runLength == count) {
                *first = runStart;
                return TRUE;
            }
            index++;
        }
    }
    return FALSE;
}

#define MI_UNMAP_BATCH 32

// The entries go, then every processor's translations of them (one
// shootdown for the run), then the pages: no processor can still reach a
// page somebody else has been given.
static void MiUnmapRegionPages(ULONG64 va, SIZE_T count)
{
    PFN_NUMBER pages[MI_UNMAP_BATCH];

    while (count) {
        SIZE_T batch = count < MI_UNMAP_BATCH ? count : MI_UNMAP_BATCH;
        ULONG found = 0;

        for (SIZE_T i = 0; i < batch; i++) {
            ULONG64 *pte = MiWalk(MiKernelPml4, va + i * PAGE_SIZE, 0, FALSE);

            if (pte && (*pte & PTE_PRESENT)) {
                pages[found++] = (*pte & PTE_FRAME) >> PAGE_SHIFT;
                *pte = 0;
            }
        }
        if (found)
            KeFlushTb(0, va, batch);
        for (ULONG i = 0; i < found; i++)
            MmFreePhysicalPage(pages[i]);
        va += batch * PAGE_SIZE;
        count -= batch;
    }
}

// Reserves `guard + count` pages of the region and maps fresh physical
// pages behind the last `count`; the first `guard` stay unmapped so running
// off the low end faults. Returns the first mapped address or NULL.
static void *MiAllocateRegionPages(MI_VA_REGION *region, SIZE_T count, SIZE_T guard,
                                   MM_PAGE_USAGE usage)
{
    KIRQL oldIrql;
    ULONG64 first, va;

    KeAcquireSpinLock(&MiPageTableLock, &oldIrql);
    if (!MiFindRegionRun(region, count + guard, &first)) {
        KeReleaseSpinLock(&MiPageTableLock, oldIrql);
        return NULL;
    }
    va = region->Base + (first + guard) * PAGE_SIZE;
    for (SIZE_T i = 0; i < count; i++) {
        PFN_NUMBER pfn = MmAllocatePhysicalPage(usage);
        ULONG64 *pte;

        if (!pfn) {
            MiUnmapRegionPages(va, i);      // out of memory part way: give back what was taken
            KeReleaseSpinLock(&MiPageTableLock, oldIrql);
            return NULL;
        }
        pte = MiWalk(MiKernelPml4, va + i * PAGE_SIZE, 0, TRUE);
        *pte = (pfn << PAGE_SHIFT) | PTE_PRESENT | PTE_WRITE | PTE_GLOBAL | MiNxBit;
    }
    MiSetRegionPages(region, first, count + guard, TRUE);
    region->PagesInUse += count;
    region->Hint = first + count + guard;
    KeReleaseSpinLock(&MiPageTableLock, oldIrql);
    return (void *)va;
}

static void MiFreeRegionPages(MI_VA_REGION *region, void *address, SIZE_T count, SIZE_T guard)
{
    ULONG64 va = (ULONG64)address;
    ULONG64 first = (va - region->Base) / PAGE_SIZE;
    KIRQL oldIrql;

    if (va < region->Base + guard * PAGE_SIZE || (va & (PAGE_SIZE - 1)) ||
        first + count > region->Pages)
        KeBugCheckEx(BAD_POOL_CALLER, 0x40, va, count, 0);
    KeAcquireSpinLock(&MiPageTableLock, &oldIrql);
    for (SIZE_T i = 0; i < count; i++) {
        ULONG64 *pte = MiWalk(MiKernelPml4, va + i * PAGE_SIZE, 0, FALSE);

        if (!pte || !(*pte & PTE_PRESENT) || !MiRegionPageBusy(region, first + i)) {
            KeReleaseSpinLock(&MiPageTableLock, oldIrql);
            KeBugCheckEx(BAD_POOL_CALLER, 0x41, va + i * PAGE_SIZE, count, 0);
        }
    }
    MiUnmapRegionPages(va, count);
    MiSetRegionPages(region, first - guard, count + guard, FALSE);
    region->PagesInUse -= count;
    if (first - guard < region->Hint && !region->KeepHint)
        region->Hint = first - guard;
    KeReleaseSpinLock(&MiPageTableLock, oldIrql);
}

void *MiAllocatePoolPages(SIZE_T count)
{
    return MiAllocateRegionPages(&MiPoolRegion, count, 0, MmUsagePool);
}

void MiFreePoolPages(void *address, SIZE_T count)
{
    MiFreeRegionPages(&MiPoolRegion, address, count, 0);
}

ULONG64 MiPoolVirtualPagesInUse(void)
{
    return MiPoolRegion.PagesInUse;
}

void *MmCreateKernelStack(SIZE_T size)
{
    SIZE_T pages = BYTES_TO_PAGES(size);
    UCHAR *base = MiAllocateRegionPages(&MiStackRegion, pages, MM_KERNEL_STACK_GUARD_PAGES,
                                        MmUsageKernelStack);

    return base ? base + pages * PAGE_SIZE : NULL;
}

void MmDeleteKernelStack(void *stackTop, SIZE_T size)
{
    SIZE_T pages = BYTES_TO_PAGES(size);

    MiFreeRegionPages(&MiStackRegion, (UCHAR *)stackTop - pages * PAGE_SIZE, pages,
                      MM_KERNEL_STACK_GUARD_PAGES);
}

void *MiAllocateSystemImagePages(SIZE_T count)
{
    return MiAllocateRegionPages(&MiSystemImageRegion, count, 1, MmUsageKernelImage);
}

void MiFreeSystemImagePages(void *va, SIZE_T count)
{
    MiFreeRegionPages(&MiSystemImageRegion, va, count, 1);
}

ULONG MiQuerySystemImageProtection(const void *va)
{
    ULONG64 *pte = MiWalk(MiKernelPml4, (ULONG64)va, 0, FALSE);

    if (!pte || !(*pte & PTE_PRESENT))
        return PAGE_NOACCESS;
    if (*pte & PTE_WRITE)
        return (*pte & MiNxBit) || !MiNxBit ? PAGE_READWRITE : PAGE_EXECUTE_READWRITE;
    return (*pte & MiNxBit) || !MiNxBit ? PAGE_READONLY : PAGE_EXECUTE_READ;
}

ULONG64 MiSystemImagePagesInUse(void)
{
    return MiSystemImageRegion.PagesInUse;
}

void MiProtectSystemImagePages(void *va, SIZE_T count, ULONG protect)
{
    ULONG64 set = protect == PAGE_READWRITE ? PTE_WRITE | MiNxBit
                  : protect == PAGE_EXECUTE_READ ? 0 : MiNxBit;
    KIRQL oldIrql;

    KeAcquireSpinLock(&MiPageTableLock, &oldIrql);
    for (SIZE_T i = 0; i < count; i++) {
        ULONG64 address = (ULONG64)va + i * PAGE_SIZE;
        ULONG64 *pte = MiWalk(MiKernelPml4, address, 0, FALSE);

        if (!pte || !(*pte & PTE_PRESENT) || address < MM_SYSTEM_IMAGE_START ||
            address - MM_SYSTEM_IMAGE_START >= MM_SYSTEM_IMAGE_SIZE)
            KeBugCheckEx(MEMORY_MANAGEMENT, 0x1200, address, protect, 0);
        *pte = (*pte & ~(PTE_WRITE | PTE_NX)) | set;
    }
    KeFlushTb(0, (ULONG64)va, count);
    KeReleaseSpinLock(&MiPageTableLock, oldIrql);
}

ULONG64 MmGetPhysicalAddress(const void *address)
{
    ULONG64 va = (ULONG64)address;
    ULONG64 *table = MiPhysicalToVirtual(__readcr3() & PTE_FRAME);

    for (int level = 3; level >= 0; level--) {
        ULONG64 entry = table[(va >> (12 + 9 * level)) & 511];

        if (!(entry & PTE_PRESENT))
            return 0;
        if (level == 0 || (level <= 2 && (entry & PTE_LARGE))) {
            ULONG64 pageMask = (1ULL << (12 + 9 * level)) - 1;

            return (entry & PTE_FRAME & ~pageMask) | (va & pageMask);
        }
        table = MiPhysicalToVirtual(entry & PTE_FRAME);
    }
    return 0;
}

BOOLEAN MmIsAddressValid(const void *address)
{
    return KiIsCanonical((ULONG64)address) && MmGetPhysicalAddress(address) != 0;
}

void MmInitSystem(void)
{
    extern UCHAR __KernelImageEnd[];
    const ULONG64 kernelPhysicalStart = 0x100000;    // the boot stub's load address

    MiInitializePfnDatabase(kernelPhysicalStart,
                            (ULONG64)__KernelImageEnd - MM_KERNEL_IMAGE_BASE);
    KeLoaderBlock.KernelPhysicalStart = kernelPhysicalStart;
    KeLoaderBlock.KernelPhysicalEnd = (ULONG64)__KernelImageEnd - MM_KERNEL_IMAGE_BASE;
    MiInitializeSystemPageTables();
    MiInitializeUserAddressSpaces();
    MiInitializeLoadedModuleList();
}
