// Process address spaces: a PML4 per process whose upper half is the
// kernel's (copied at creation; boot made every kernel top-level entry, so
// the copies never go stale), and a lower half of user pages mapped here.
// The tables of an address space are reached through the direct map, so a
// process's pages can be filled while another address space is current.

#include "mm/mi.h"
#include "ke/ke.h"
#include "arch/x86_64/x86.h"

#define PML4_KERNEL_FIRST 256      // entries 256-511 map the upper half
#define PML4_ENTRIES      512

// Guards the user halves of all address spaces (one lock: changes are rare
// and short, and the process that owns a space may not exist yet).
static KSPIN_LOCK MiUserPageTableLock;

void MiInitializeUserAddressSpaces(void)
{
    KeInitializeSpinLock(&MiUserPageTableLock);
}

static KIRQL MiLockUserPageTables(void)
{
    KIRQL oldIrql;

    KeAcquireSpinLock(&MiUserPageTableLock, &oldIrql);
    return oldIrql;
}

static ULONG64 *MiTableAt(ULONG64 entry)
{
    return MmPfnToVirtual((entry & PTE_FRAME) >> PAGE_SHIFT);
}

NTSTATUS MmCreateProcessAddressSpace(ULONG64 *directoryTableBase)
{
    PFN_NUMBER pfn = MmAllocatePhysicalPage(MmUsagePageTable);
    ULONG64 *pml4;

    if (!pfn)
        return STATUS_NO_MEMORY;
    pml4 = MmPfnToVirtual(pfn);
    memset(pml4, 0, PML4_KERNEL_FIRST * sizeof(ULONG64));
    memcpy(&pml4[PML4_KERNEL_FIRST], &MiKernelPml4[PML4_KERNEL_FIRST],
           (PML4_ENTRIES - PML4_KERNEL_FIRST) * sizeof(ULONG64));
    *directoryTableBase = pfn << PAGE_SHIFT;
    return STATUS_SUCCESS;
}

// Frees the tables below `entry` (a present entry at `level`, 1 = PDE ...
// 3 = PML4E) and the leaf pages they map, then the table `entry` points to.
static void MiFreeUserTable(ULONG64 entry, ULONG level)
{
    ULONG64 *table = MiTableAt(entry);

    for (ULONG i = 0; i < PML4_ENTRIES; i++) {
        if (!(table[i] & PTE_PRESENT))
            continue;
        if (level == 1)
            MmFreePhysicalPage((table[i] & PTE_FRAME) >> PAGE_SHIFT);
        else
            MiFreeUserTable(table[i], level - 1);
    }
    MmFreePhysicalPage((entry & PTE_FRAME) >> PAGE_SHIFT);
}

void MmDeleteProcessAddressSpace(ULONG64 directoryTableBase)
{
    ULONG64 *pml4 = MmPfnToVirtual(directoryTableBase >> PAGE_SHIFT);

    // Freeing the tables a processor translates through would let it run
    // on pages that are handed out again.
    if ((__readcr3() & PTE_FRAME) == directoryTableBase ||
        directoryTableBase == MmGetPhysicalAddress(MiKernelPml4))
        KeBugCheckEx(MEMORY_MANAGEMENT, 0x200, directoryTableBase, 0, 0);
    for (ULONG i = 0; i < PML4_KERNEL_FIRST; i++) {
        if (pml4[i] & PTE_PRESENT)
            MiFreeUserTable(pml4[i], 3);
    }
    MmFreePhysicalPage(directoryTableBase >> PAGE_SHIFT);
}

// The PTE for `va`, creating the tables above it when `create` is set. The
// upper levels allow everything (user, write); the PTE alone decides. NULL
// when a table is missing (create FALSE) or no page is left for one.
static ULONG64 *MiWalkUser(ULONG64 directoryTableBase, ULONG64 va, BOOLEAN create)
{
    ULONG64 *table = MmPfnToVirtual(directoryTableBase >> PAGE_SHIFT);

    for (ULONG level = 3; level > 0; level--) {
        ULONG64 *entry = &table[(va >> (PAGE_SHIFT + 9 * level)) & 511];

        if (!(*entry & PTE_PRESENT)) {
            PFN_NUMBER pfn;

            if (!create || !(pfn = MmAllocatePhysicalPage(MmUsagePageTable)))
                return NULL;
            memset(MmPfnToVirtual(pfn), 0, PAGE_SIZE);
            *entry = (pfn << PAGE_SHIFT) | PTE_PRESENT | PTE_WRITE | PTE_USER;
        }
        table = MiTableAt(*entry);
    }
    return &table[(va >> PAGE_SHIFT) & 511];
}

static BOOLEAN MiProtectionToPte(ULONG protect, ULONG64 *flags)
{
    switch (protect) {
    case PAGE_READONLY:
        *flags = MiNxBit;
        return TRUE;
    case PAGE_READWRITE:
        *flags = PTE_WRITE | MiNxBit;
        return TRUE;
    case PAGE_EXECUTE:
    case PAGE_EXECUTE_READ:
        *flags = 0;
        return TRUE;
    case PAGE_EXECUTE_READWRITE:
        *flags = PTE_WRITE;
        return TRUE;
    default:
        return FALSE;
    }
}

NTSTATUS MmAllocateUserMemory(ULONG64 directoryTableBase, ULONG64 base, SIZE_T size,
                              ULONG protect)
{
    ULONG64 start = ALIGN_DOWN_BY(base, PAGE_SIZE);
    ULONG64 end = ALIGN_UP_BY(base + size, PAGE_SIZE);
    NTSTATUS status = STATUS_SUCCESS;
    ULONG64 flags;
    KIRQL oldIrql;

    if (size == 0 || base + size < base || start < MM_LOWEST_USER_ADDRESS ||
        end > MM_USER_PROBE_ADDRESS || !MiProtectionToPte(protect, &flags))
        return STATUS_INVALID_PARAMETER;
    oldIrql = MiLockUserPageTables();
    for (ULONG64 va = start; va < end; va += PAGE_SIZE) {
        ULONG64 *pte = MiWalkUser(directoryTableBase, va, FALSE);

        if (pte && (*pte & PTE_PRESENT)) {
            status = STATUS_CONFLICTING_ADDRESSES;
            goto done;
        }
    }
    for (ULONG64 va = start; va < end; va += PAGE_SIZE) {
        ULONG64 *pte = MiWalkUser(directoryTableBase, va, TRUE);
        PFN_NUMBER pfn = pte ? MmAllocatePhysicalPage(MmUsageUserPage) : 0;

        if (!pfn) {
            status = STATUS_NO_MEMORY;
            goto done;
        }
        memset(MmPfnToVirtual(pfn), 0, PAGE_SIZE);
        *pte = (pfn << PAGE_SHIFT) | flags | PTE_PRESENT | PTE_USER;
    }
done:
    KeReleaseSpinLock(&MiUserPageTableLock, oldIrql);
    return status;
}

void *MmGetUserPageAddress(ULONG64 directoryTableBase, ULONG64 va)
{
    ULONG64 *pte;
    KIRQL oldIrql;
    void *result = NULL;

    if (va >= MM_USER_PROBE_ADDRESS)
        return NULL;
    oldIrql = MiLockUserPageTables();
    pte = MiWalkUser(directoryTableBase, va, FALSE);
    if (pte && (*pte & PTE_PRESENT))
        result = (UCHAR *)MiTableAt(*pte) + (va & (PAGE_SIZE - 1));
    KeReleaseSpinLock(&MiUserPageTableLock, oldIrql);
    return result;
}
