// Physical memory: the PFN database (one MMPFN per physical page, as NT's
// MmPfnDatabase) and the free page list threaded through it. Allocation and
// free are O(1); every page's use is recorded, so `!vm` can add them up.

#include "mm/mm.h"
#include "mm/mi.h"
#include "ke/ke.h"
#include "arch/x86_64/hal.h"

#define LOW_MEMORY_LIMIT_PAGE   0x100       // the first MiB stays with firmware
#define BOOT_IDENTITY_LIMIT     0x100000000ULL

MMPFN *MmPfnDatabase;
static PFN_NUMBER MiHighestPage;
static PFN_NUMBER MiFreeListHead;           // 0: empty
static PFN_NUMBER MiAvailablePages;
static PFN_NUMBER MiTotalRamPages;
static PFN_NUMBER MiPagesByUsage[MmUsageMaximum];
static KSPIN_LOCK MiPfnLock;

static const char *const MiUsageNames[MmUsageMaximum] = {
    "Free", "Kernel image", "Page tables", "Pool", "Boot data", "Kernel stacks",
    "Loader modules", "User pages", "Other",
};

const char *MmPageUsageName(MM_PAGE_USAGE usage)
{
    return usage < MmUsageMaximum ? MiUsageNames[usage] : "?";
}

typedef struct _MI_RESERVED_RANGE {
    PFN_NUMBER First;
    PFN_NUMBER Last;        // exclusive
    MM_PAGE_USAGE Usage;
} MI_RESERVED_RANGE;

static MI_RESERVED_RANGE MiReserved[LOADER_MAX_MODULES + 4];
static ULONG MiReservedCount;

static void MiReserve(ULONG64 start, ULONG64 end, MM_PAGE_USAGE usage)
{
    MI_RESERVED_RANGE *range = &MiReserved[MiReservedCount++];

    range->First = start >> PAGE_SHIFT;
    range->Last = ALIGN_UP_BY(end, PAGE_SIZE) >> PAGE_SHIFT;
    range->Usage = usage;
}

static MM_PAGE_USAGE MiReservedUsage(PFN_NUMBER pfn)
{
    if (pfn < LOW_MEMORY_LIMIT_PAGE)
        return MmUsageOther;
    for (ULONG i = 0; i < MiReservedCount; i++) {
        if (pfn >= MiReserved[i].First && pfn < MiReserved[i].Last)
            return MiReserved[i].Usage;
    }
    return MmUsageFree;
}

static BOOLEAN MiRangeIsFree(PFN_NUMBER first, PFN_NUMBER count)
{
    for (PFN_NUMBER pfn = first; pfn < first + count; pfn++) {
        if (MiReservedUsage(pfn) != MmUsageFree)
            return FALSE;
    }
    return TRUE;
}

// Finds room for the PFN database in usable RAM that the boot page tables
// reach (below 4 GiB), avoiding the kernel and the modules.
static PFN_NUMBER MiFindBootRange(PFN_NUMBER count)
{
    for (ULONG i = 0; i < KeLoaderBlock.MemoryDescriptorCount; i++) {
        const MEMORY_DESCRIPTOR *md = &KeLoaderBlock.MemoryDescriptors[i];

        if (md->Type != LoaderFree)
            continue;
        for (PFN_NUMBER first = md->BasePage; first + count <= md->BasePage + md->PageCount;
             first++) {
            if (((first + count) << PAGE_SHIFT) > BOOT_IDENTITY_LIMIT)
                break;
            if (MiRangeIsFree(first, count))
                return first;
        }
    }
    return 0;
}

// Builds the PFN database from the loader's memory map. Runs on the boot
// page tables, which identity-map the first 4 GiB.
void MiInitializePfnDatabase(ULONG64 kernelPhysicalStart, ULONG64 kernelPhysicalEnd)
{
    PFN_NUMBER databasePages, databaseFirst;

    for (ULONG i = 0; i < KeLoaderBlock.MemoryDescriptorCount; i++) {
        const MEMORY_DESCRIPTOR *md = &KeLoaderBlock.MemoryDescriptors[i];

        if (md->Type == LoaderFree || md->Type == LoaderAcpiReclaim ||
            md->Type == LoaderAcpiNvs) {
            if (md->BasePage + md->PageCount - 1 > MiHighestPage)
                MiHighestPage = md->BasePage + md->PageCount - 1;
        }
    }

    MiReserve(kernelPhysicalStart, kernelPhysicalEnd, MmUsageKernelImage);
    for (ULONG i = 0; i < KeLoaderBlock.ModuleCount; i++)
        MiReserve(KeLoaderBlock.Modules[i].PhysicalStart, KeLoaderBlock.Modules[i].PhysicalEnd,
                  MmUsageLoaderModule);

    databasePages = BYTES_TO_PAGES((MiHighestPage + 1) * sizeof(MMPFN));
    databaseFirst = MiFindBootRange(databasePages);
    if (!databaseFirst)
        KeBugCheckEx(INSTALL_MORE_MEMORY, MiHighestPage, databasePages, 0, 0);
    MiReserve(databaseFirst << PAGE_SHIFT, (databaseFirst + databasePages) << PAGE_SHIFT,
              MmUsageBootData);

    MmPfnDatabase = (MMPFN *)(databaseFirst << PAGE_SHIFT);     // identity-mapped for now
    memset(MmPfnDatabase, 0, databasePages << PAGE_SHIFT);
    for (PFN_NUMBER pfn = 0; pfn <= MiHighestPage; pfn++)
        MmPfnDatabase[pfn].Usage = MmUsageOther;    // holes and firmware until proven RAM

    // Push pages from the top down so the lowest come out first: the page
    // tables built next must be reachable through the boot identity map.
    for (ULONG i = KeLoaderBlock.MemoryDescriptorCount; i-- > 0;) {
        const MEMORY_DESCRIPTOR *md = &KeLoaderBlock.MemoryDescriptors[i];

        if (md->Type != LoaderFree)
            continue;
        for (PFN_NUMBER pfn = md->BasePage + md->PageCount; pfn-- > md->BasePage;) {
            MM_PAGE_USAGE usage = MiReservedUsage(pfn);

            MiTotalRamPages++;
            MmPfnDatabase[pfn].Usage = (USHORT)usage;
            if (usage == MmUsageFree) {
                MmPfnDatabase[pfn].NextFree = MiFreeListHead;
                MiFreeListHead = pfn;
                MiAvailablePages++;
            } else {
                MiPagesByUsage[usage]++;
            }
        }
    }
    KeInitializeSpinLock(&MiPfnLock);
}

// The database moves from its identity address to the direct map once the
// kernel's own page tables are live.
void MiRelocatePfnDatabase(void)
{
    MmPfnDatabase = (MMPFN *)MmPfnToVirtual((ULONG64)MmPfnDatabase >> PAGE_SHIFT);
}

PFN_NUMBER MiGetHighestPhysicalPage(void)
{
    return MiHighestPage;
}

PFN_NUMBER MmAllocatePhysicalPage(MM_PAGE_USAGE usage)
{
    BOOLEAN enabled = KiAcquireSpinLockDisableInterrupts(&MiPfnLock);
    PFN_NUMBER pfn = MiFreeListHead;

    if (pfn) {
        MMPFN *entry = &MmPfnDatabase[pfn];

        MiFreeListHead = entry->NextFree;
        entry->NextFree = 0;
        entry->Usage = (USHORT)usage;
        entry->ReferenceCount = 1;
        MiAvailablePages--;
        MiPagesByUsage[usage]++;
    }
    KiReleaseSpinLockRestoreInterrupts(&MiPfnLock, enabled);
    return pfn;
}

void MmFreePhysicalPage(PFN_NUMBER pfn)
{
    BOOLEAN enabled;
    MMPFN *entry;

    if (pfn == 0 || pfn > MiHighestPage)
        KeBugCheckEx(MEMORY_MANAGEMENT, 0x1, pfn, 0, 0);
    enabled = KiAcquireSpinLockDisableInterrupts(&MiPfnLock);
    entry = &MmPfnDatabase[pfn];
    if (entry->Usage == MmUsageFree || entry->Usage >= MmUsageMaximum) {
        KiReleaseSpinLockRestoreInterrupts(&MiPfnLock, enabled);
        KeBugCheckEx(MEMORY_MANAGEMENT, 0x2, pfn, entry->Usage, 0);   // double free
    }
    MiPagesByUsage[entry->Usage]--;
    entry->Usage = MmUsageFree;
    entry->ReferenceCount = 0;
    entry->NextFree = MiFreeListHead;
    MiFreeListHead = pfn;
    MiAvailablePages++;
    KiReleaseSpinLockRestoreInterrupts(&MiPfnLock, enabled);
}

void MmQueryStatistics(MM_STATISTICS *statistics)
{
    memset(statistics, 0, sizeof(*statistics));
    statistics->HighestPhysicalPage = MiHighestPage;
    statistics->TotalRamPages = MiTotalRamPages;
    statistics->AvailablePages = MiAvailablePages;
    for (ULONG i = 0; i < MmUsageMaximum; i++)
        statistics->PagesByUsage[i] = MiPagesByUsage[i];
    statistics->PagesByUsage[MmUsageFree] = MiAvailablePages;
    statistics->PoolVirtualPagesInUse = MiPoolVirtualPagesInUse();
}
