// Memory a device reads and writes itself (DMA): NT's
// MmAllocateContiguousMemory. Sleuth hands out at most one page per call,
// which is physically contiguous by nature and reached through the direct
// map (write-back, which x86's snooping keeps coherent with the device);
// a driver needing more asks page by page (the USB host controller's
// structures each fit in a page).

#include "mm/mi.h"
#include "ke/ke.h"

// Pages set aside while looking for one low enough for a device that only
// reaches the low 4 GiB: after this many, the search gives up.
#define MI_CONTIGUOUS_ATTEMPTS 16

void *MmAllocateContiguousMemory(SIZE_T numberOfBytes, ULONG64 highestAcceptableAddress)
{
    PFN_NUMBER rejected[MI_CONTIGUOUS_ATTEMPTS];
    ULONG rejectedCount = 0;
    PFN_NUMBER found = 0;

    if (numberOfBytes == 0 || numberOfBytes > PAGE_SIZE)
        return NULL;
    while (rejectedCount < MI_CONTIGUOUS_ATTEMPTS) {
        PFN_NUMBER pfn = MmAllocatePhysicalPage(MmUsageOther);

        if (!pfn)
            break;
        if (((pfn << PAGE_SHIFT) | (PAGE_SIZE - 1)) <= highestAcceptableAddress) {
            found = pfn;
            break;
        }
        rejected[rejectedCount++] = pfn;
    }
    while (rejectedCount)
        MmFreePhysicalPage(rejected[--rejectedCount]);
    if (!found)
        return NULL;
    MiZeroPage(MmPfnToVirtual(found));
    return MmPfnToVirtual(found);
}

void MmFreeContiguousMemory(void *baseAddress)
{
    ULONG64 va = (ULONG64)baseAddress;

    if (va < MM_DIRECT_MAP_BASE || va >= MM_DIRECT_MAP_BASE + MM_DIRECT_MAP_SIZE ||
        (va & (PAGE_SIZE - 1)))
        KeBugCheckEx(MEMORY_MANAGEMENT, 0x1234, va, 0, 0);
    MmFreePhysicalPage((va - MM_DIRECT_MAP_BASE) >> PAGE_SHIFT);
}
