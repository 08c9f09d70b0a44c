// Process address spaces: a PML4 per process whose upper half is the
// kernel's (copied at creation; boot made every kernel top-level entry, so
// the copies never go stale), and a lower half of user pages described by
// the process's VADs. The tables of an address space are reached through
// the direct map, so a process's pages can be filled while another address
// space is current.

#include "mm/mi.h"
#include "ke/ke.h"
#include "arch/x86_64/x86.h"
#include "ps/ps.h"
#include "kd/kd.h"

#define PML4_KERNEL_FIRST 256      // entries 256-511 map the upper half
#define PML4_ENTRIES      512

// Guards the user halves of all address spaces, their VADs and the
// sections' page lists (one lock: changes are short, and mapping a view
// touches a process and a section at once).
static KSPIN_LOCK MiAddressSpaceLock;

void MiInitializeUserAddressSpaces(void)
{
    KeInitializeSpinLock(&MiAddressSpaceLock);
}

KIRQL MiLockAddressSpaces(void)
{
    KIRQL oldIrql;

    KeAcquireSpinLock(&MiAddressSpaceLock, &oldIrql);
    return oldIrql;
}

void MiUnlockAddressSpaces(KIRQL oldIrql)
{
    KeReleaseSpinLock(&MiAddressSpaceLock, oldIrql);
}

static ULONG64 *MiTableAt(ULONG64 entry)
{
    return MmPfnToVirtual((entry & PTE_FRAME) >> PAGE_SHIFT);
}

NTSTATUS MmCreateProcessAddressSpace(EPROCESS *process)
{
    PFN_NUMBER pfn = MmAllocatePhysicalPage(MmUsagePageTable);
    ULONG64 *pml4;

    if (!pfn)
        return STATUS_NO_MEMORY;
    pml4 = MmPfnToVirtual(pfn);
    memset(pml4, 0, PML4_KERNEL_FIRST * sizeof(ULONG64));
    memcpy(&pml4[PML4_KERNEL_FIRST], &MiKernelPml4[PML4_KERNEL_FIRST],
           (PML4_ENTRIES - PML4_KERNEL_FIRST) * sizeof(ULONG64));
    MiInitializeVadTable(&process->VadRoot);
    // Callers that know only the directory table base (the loader's
    // MmAllocateUserMemory) find the VADs through the PML4's PFN entry.
    MmPfnDatabase[pfn].AddressSpaceOwner = process;
    process->Pcb.DirectoryTableBase = pfn << PAGE_SHIFT;
    return STATUS_SUCCESS;
}

EPROCESS *MiAddressSpaceOwner(ULONG64 directoryTableBase)
{
    return MmPfnDatabase[directoryTableBase >> PAGE_SHIFT].AddressSpaceOwner;
}

// Every process's private pages together, as NT's MmProcessCommit.
SIZE_T MmProcessCommit;

// A process's commit charge follows its private frames, taken and freed
// here only; the address-space lock is held.
static void MiChargeCommit(ULONG64 directoryTableBase, LONG_PTR pages)
{
    EPROCESS *process = MiAddressSpaceOwner(directoryTableBase);

    if (process) {
        process->CommitCharge += (SIZE_T)pages;
        MmProcessCommit += (SIZE_T)pages;
    }
}

// Frees the tables below `entry` (a present entry at `level`, 1 = PDE ...
// 3 = PML4E) and the private pages they still map (a PAGE_NOACCESS page is
// not present but still has its frame; a section's page is the section's),
// then the table `entry` points to. Returns how many private pages it freed.
static SIZE_T MiFreeUserTable(ULONG64 entry, ULONG level)
{
    ULONG64 *table = MiTableAt(entry);
    SIZE_T privatePages = 0;

    for (ULONG i = 0; i < PML4_ENTRIES; i++) {
        // Most of a table is empty: eight entries at a time, one test.
        if (!(i & 7) && !(table[i] | table[i + 1] | table[i + 2] | table[i + 3] | table[i + 4] |
                          table[i + 5] | table[i + 6] | table[i + 7])) {
            i += 7;
            continue;
        }
        if (level == 1) {
            if (table[i] && !(table[i] & MM_PTE_SECTION_PAGE)) {
                MmFreePhysicalPage((table[i] & PTE_FRAME) >> PAGE_SHIFT);
                privatePages++;
            }
        } else if (table[i] & PTE_PRESENT) {
            privatePages += MiFreeUserTable(table[i], level - 1);
        }
    }
    MmFreePhysicalPage((entry & PTE_FRAME) >> PAGE_SHIFT);
    return privatePages;
}

void MmDeleteProcessAddressSpace(ULONG64 directoryTableBase)
{
    ULONG64 *pml4 = MmPfnToVirtual(directoryTableBase >> PAGE_SHIFT);
    SIZE_T privatePages = 0;
    KIRQL oldIrql;

    // Freeing the tables a processor translates through would let it run
    // on pages that are handed out again.
    if ((__readcr3() & PTE_FRAME) == directoryTableBase ||
        directoryTableBase == MmGetPhysicalAddress(MiKernelPml4))
        KeBugCheckEx(MEMORY_MANAGEMENT, 0x200, directoryTableBase, 0, 0);
    for (ULONG i = 0; i < PML4_KERNEL_FIRST; i++) {
        if (pml4[i] & PTE_PRESENT)
            privatePages += MiFreeUserTable(pml4[i], 3);
    }
    oldIrql = MiLockAddressSpaces();
    MiChargeCommit(directoryTableBase, -(LONG_PTR)privatePages);
    MiUnlockAddressSpaces(oldIrql);
    MmPfnDatabase[directoryTableBase >> PAGE_SHIFT].AddressSpaceOwner = NULL;
    MmFreePhysicalPage(directoryTableBase >> PAGE_SHIFT);
}


// The user half's page tables go once its last page has: the PML4's user
// entries are cleared first, and, when the space is current here (its last
// thread is exiting), the processor's cached translations with them (a CR3
// reload), before the tables are freed. The PML4 itself stays.
static void MiFreeUserTables(ULONG64 directoryTableBase)
{
    ULONG64 *pml4 = MmPfnToVirtual(directoryTableBase >> PAGE_SHIFT);
    ULONG64 entries[PML4_KERNEL_FIRST];
    SIZE_T privatePages = 0;
    ULONG count = 0;
    KIRQL oldIrql;

    oldIrql = MiLockAddressSpaces();
    for (ULONG i = 0; i < PML4_KERNEL_FIRST; i++) {
        if (pml4[i] & PTE_PRESENT) {
            entries[count++] = pml4[i];
            pml4[i] = 0;
        }
    }
    if ((__readcr3() & PTE_FRAME) == directoryTableBase)
        __writecr3(__readcr3());
    MiUnlockAddressSpaces(oldIrql);
    for (ULONG i = 0; i < count; i++)
        privatePages += MiFreeUserTable(entries[i], 3);
    if (privatePages) {
        oldIrql = MiLockAddressSpaces();
        MiChargeCommit(directoryTableBase, -(LONG_PTR)privatePages);
        MiUnlockAddressSpaces(oldIrql);
    }
}

ULONG64 *MiGetUserPte(ULONG64 directoryTableBase, ULONG64 va, BOOLEAN create)
{
    ULONG64 *table = MmPfnToVirtual(directoryTableBase >> PAGE_SHIFT);

    // The upper levels allow everything (user, write); the PTE alone decides.
    for (ULONG level = 3; level > 0; level--) {
        ULONG64 *entry = &table[(va >> (PAGE_SHIFT + 9 * level)) & 511];

        if (!(*entry & PTE_PRESENT)) {
            PFN_NUMBER pfn;

            if (!create || !(pfn = MmAllocatePhysicalPage(MmUsagePageTable)))
                return NULL;
            MiZeroPage(MmPfnToVirtual(pfn));
            *entry = (pfn << PAGE_SHIFT) | PTE_PRESENT | PTE_WRITE | PTE_USER;
        }
        table = MiTableAt(*entry);
    }
    return &table[(va >> PAGE_SHIFT) & 511];
}

ULONG64 MiNextMappedAddress(ULONG64 directoryTableBase, ULONG64 va)
{
    ULONG64 *table = MmPfnToVirtual(directoryTableBase >> PAGE_SHIFT);

    for (ULONG level = 3; level > 0; level--) {
        ULONG shift = PAGE_SHIFT + 9 * level;
        ULONG64 entry = table[(va >> shift) & 511];

        if (!(entry & PTE_PRESENT))
            return ALIGN_DOWN_BY(va, 1ULL << shift) + (1ULL << shift);
        table = MiTableAt(entry);
    }
    return va + PAGE_SIZE;
}

// The protections in the order their index is kept in a PTE.
static const ULONG MiProtections[] = {
    PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE,
    PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE,
};

static ULONG MiProtectionIndex(ULONG protect)
{
    for (ULONG i = 0; i < ARRAYSIZE(MiProtections); i++) {
        if (MiProtections[i] == protect)
            return i;
    }
    return ARRAYSIZE(MiProtections);
}

BOOLEAN MiIsValidProtection(ULONG protect)
{
    return MiProtectionIndex(protect) < ARRAYSIZE(MiProtections);
}

ULONG64 MiMakePte(PFN_NUMBER pfn, ULONG protect, BOOLEAN sectionPage)
{
    ULONG64 pte = (pfn << PAGE_SHIFT) |
                  ((ULONG64)(MiProtectionIndex(protect) + 1) << MM_PTE_PROTECTION_SHIFT);

    if (sectionPage)
        pte |= MM_PTE_SECTION_PAGE;
    switch (protect) {
    case PAGE_NOACCESS:
        return pte;                                 // not present: every access faults
    case PAGE_READONLY:
        return pte | PTE_PRESENT | PTE_USER | MiNxBit;
    case PAGE_READWRITE:
        return pte | PTE_PRESENT | PTE_USER | PTE_WRITE | MiNxBit;
    case PAGE_EXECUTE_READWRITE:
        return pte | PTE_PRESENT | PTE_USER | PTE_WRITE;
    default:                                        // PAGE_EXECUTE, PAGE_EXECUTE_READ
        return pte | PTE_PRESENT | PTE_USER;
    }
}

ULONG MiPteProtection(ULONG64 pte)
{
    ULONG index = (ULONG)((pte & MM_PTE_PROTECTION_MASK) >> MM_PTE_PROTECTION_SHIFT);

    return index ? MiProtections[index - 1] : 0;
}

void MiWriteUserPte(ULONG64 directoryTableBase, ULONG64 *pte, ULONG64 va, ULONG64 value)
{
    ULONG64 old = *pte;

    *pte = value;
    // A new entry over an empty one needs no flush (nothing cached a
    // translation that did not exist); any other change is shot down on
    // every processor running in that address space (ke/tbflush.c).
    if (old & PTE_PRESENT)
        KeFlushTb(directoryTableBase, va, 1);
}

NTSTATUS MiCommitPrivatePages(ULONG64 directoryTableBase, ULONG64 start, ULONG64 end,
                              ULONG protect)
{
    for (ULONG64 va = start; va < end; va += PAGE_SIZE) {
        ULONG64 *pte = MiGetUserPte(directoryTableBase, va, TRUE);
        PFN_NUMBER pfn;

        if (!pte)
            return STATUS_NO_MEMORY;
        if (*pte) {
            pfn = (*pte & PTE_FRAME) >> PAGE_SHIFT;
        } else {
            pfn = MmAllocatePhysicalPage(MmUsageUserPage);
            if (!pfn)
                return STATUS_NO_MEMORY;
            MiZeroPage(MmPfnToVirtual(pfn));
            MiChargeCommit(directoryTableBase, 1);
        }
        MiWriteUserPte(directoryTableBase, pte, va, MiMakePte(pfn, protect, FALSE));
    }
    return STATUS_SUCCESS;
}

void MiDecommitPages(ULONG64 directoryTableBase, ULONG64 start, ULONG64 end)
{
    ULONG64 *pte;

    // A reservation may span terabytes: where no table is, nothing is
    // committed, and the walk skips the table's whole span.
    for (ULONG64 va = start; va < end; va += PAGE_SIZE) {
        pte = MiGetUserPte(directoryTableBase, va, FALSE);
        if (!pte) {
            va = MiNextMappedAddress(directoryTableBase, va) - PAGE_SIZE;
            continue;
        }
        ULONG64 old = *pte;

        if (!old)
            continue;
        // The entry goes (and every processor's translation of it) before
        // the page is free for somebody else.
        MiWriteUserPte(directoryTableBase, pte, va, 0);
        if (!(old & MM_PTE_SECTION_PAGE)) {
            MmFreePhysicalPage((old & PTE_FRAME) >> PAGE_SHIFT);
            MiChargeCommit(directoryTableBase, -1);
        }
    }
}

NTSTATUS MmAllocateUserMemoryEx(ULONG64 directoryTableBase, ULONG64 base, SIZE_T size,
                                ULONG protect, ULONG type)
{
    ULONG64 start = ALIGN_DOWN_BY(base, PAGE_SIZE);
    ULONG64 end = ALIGN_UP_BY(base + size, PAGE_SIZE);
    EPROCESS *process = MiAddressSpaceOwner(directoryTableBase);
    NTSTATUS status;
    MMVAD *vad;
    KIRQL oldIrql;

    if (size == 0 || base + size < base || start < MM_LOWEST_USER_ADDRESS ||
        end > MM_USER_PROBE_ADDRESS || !MiIsValidProtection(protect) ||
        (type != MEM_PRIVATE && type != MEM_IMAGE) || !process)
        return STATUS_INVALID_PARAMETER;
    vad = ExAllocatePoolWithTag(NonPagedPool, sizeof(*vad), MI_VAD_TAG);
    if (!vad)
        return STATUS_INSUFFICIENT_RESOURCES;
    memset(vad, 0, sizeof(*vad));
    vad->StartingVpn = start >> PAGE_SHIFT;
    vad->EndingVpn = (end >> PAGE_SHIFT) - 1;
    vad->Type = type;
    vad->AllocationProtect = protect;
    oldIrql = MiLockAddressSpaces();
    if (!MiIsRangeFree(&process->VadRoot, vad->StartingVpn, vad->EndingVpn)) {
        MiUnlockAddressSpaces(oldIrql);
        ExFreePoolWithTag(vad, MI_VAD_TAG);
        return STATUS_CONFLICTING_ADDRESSES;
    }
    MiInsertVad(&process->VadRoot, vad);
    status = MiCommitPrivatePages(directoryTableBase, start, end, protect);
    MiUnlockAddressSpaces(oldIrql);
    return status;
}

NTSTATUS MmAllocateUserMemory(ULONG64 directoryTableBase, ULONG64 base, SIZE_T size,
                              ULONG protect)
{
    return MmAllocateUserMemoryEx(directoryTableBase, base, size, protect, MEM_PRIVATE);
}

void *MmGetUserPageAddress(ULONG64 directoryTableBase, ULONG64 va)
{
    ULONG64 *pte;
    KIRQL oldIrql;
    void *result = NULL;

    if (va >= MM_USER_PROBE_ADDRESS)
        return NULL;
    oldIrql = MiLockAddressSpaces();
    pte = MiGetUserPte(directoryTableBase, va, FALSE);
    if (pte && *pte)
        result = (UCHAR *)MiTableAt(*pte) + (va & (PAGE_SIZE - 1));
    MiUnlockAddressSpaces(oldIrql);
    return result;
}

NTSTATUS MmWriteProcessMemory(ULONG64 directoryTableBase, ULONG64 va, const void *source,
                              SIZE_T length)
{
    const UCHAR *bytes = source;
    NTSTATUS status = STATUS_SUCCESS;
    KIRQL oldIrql;

    if (va + length < va || va + length > MM_USER_PROBE_ADDRESS)
        return STATUS_ACCESS_VIOLATION;
    // Under the lock: no thread of the process can decommit the page and
    // have its frame handed out again while it is written.
    oldIrql = MiLockAddressSpaces();
    while (length) {
        SIZE_T chunk = PAGE_SIZE - (va & (PAGE_SIZE - 1));
        ULONG64 *pte = MiGetUserPte(directoryTableBase, va, FALSE);

        if (chunk > length)
            chunk = length;
        if (!pte || !*pte) {
            status = STATUS_NOT_COMMITTED;
            break;
        }
        // A section's page may be another process's too.
        if (*pte & MM_PTE_SECTION_PAGE) {
            status = STATUS_CONFLICTING_ADDRESSES;
            break;
        }
        memcpy((UCHAR *)MiTableAt(*pte) + (va & (PAGE_SIZE - 1)), bytes, chunk);
        va += chunk;
        bytes += chunk;
        length -= chunk;
    }
    MiUnlockAddressSpaces(oldIrql);
    return status;
}

NTSTATUS MmCreateThreadRange(EPROCESS *process, SIZE_T size, SIZE_T commit, ULONG64 alignment,
                             ULONG64 highest, void *owningThread, ULONG64 *base)
{
    MMVAD *vad = ExAllocatePoolWithTag(NonPagedPool, sizeof(*vad), MI_VAD_TAG);
    ULONG64 start = 0;
    NTSTATUS status = STATUS_SUCCESS;
    KIRQL oldIrql;

    if (!vad)
        return STATUS_INSUFFICIENT_RESOURCES;
    memset(vad, 0, sizeof(*vad));
    oldIrql = MiLockAddressSpaces();
    // A fresh reservation wherever the program left room, whatever it did
    // to the address space before.
    if (!MiFindFreeRange(&process->VadRoot, size, alignment, MM_LOWEST_USER_ADDRESS, highest,
                         TRUE, &start)) {
        status = STATUS_NO_MEMORY;
    } else {
        vad->StartingVpn = start >> PAGE_SHIFT;
        vad->EndingVpn = ((start + size) >> PAGE_SHIFT) - 1;
        vad->Type = MEM_PRIVATE;
        vad->AllocationProtect = PAGE_READWRITE;
        vad->OwningThread = owningThread;
        MiInsertVad(&process->VadRoot, vad);
        status = MiCommitPrivatePages(process->Pcb.DirectoryTableBase, start + size - commit,
                                      start + size, PAGE_READWRITE);
        if (!NT_SUCCESS(status)) {
            MiDecommitPages(process->Pcb.DirectoryTableBase, start, start + size);
            MiRemoveVad(&process->VadRoot, vad);
        }
    }
    MiUnlockAddressSpaces(oldIrql);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(vad, MI_VAD_TAG);
        return status;
    }
    *base = start;
    return STATUS_SUCCESS;
}

void MmDeleteThreadRange(EPROCESS *process, ULONG64 base, void *owningThread)
{
    MMVAD *vad;
    KIRQL oldIrql = MiLockAddressSpaces();

    // The program may have released it, and something else may lie there
    // now: only the thread's own reservation goes, whole.
    vad = MiLocateVad(&process->VadRoot, base >> PAGE_SHIFT);
    if (vad && MI_VAD_START(vad) == base && vad->Type == MEM_PRIVATE &&
        vad->OwningThread == owningThread) {
        MiDecommitPages(process->Pcb.DirectoryTableBase, MI_VAD_START(vad), MI_VAD_END(vad));
        MiRemoveVad(&process->VadRoot, vad);
    } else {
        vad = NULL;
    }
    MiUnlockAddressSpaces(oldIrql);
    if (vad)
        ExFreePoolWithTag(vad, MI_VAD_TAG);
}

void MmCleanProcessAddressSpace(EPROCESS *process)
{
    KIRQL oldIrql;

    if (!process->AddressSpaceInitialized)
        return;
    // The debugger's int3s in these pages go before the pages do.
    KdNotifyProcessDelete(process->Pcb.DirectoryTableBase);
    oldIrql = MiLockAddressSpaces();
    while (process->VadRoot.Root) {
        MMVAD *vad = process->VadRoot.Root;
        SECTION *section = NULL;

        if (vad->Type == MEM_MAPPED) {
            MiUnlinkView(vad, &section);
        } else {
            MiDecommitPages(process->Pcb.DirectoryTableBase, MI_VAD_START(vad),
                            MI_VAD_END(vad));
            MiRemoveVad(&process->VadRoot, vad);
        }
        // The section may go with its last view: its pages are freed
        // outside the lock.
        MiUnlockAddressSpaces(oldIrql);
        ExFreePoolWithTag(vad, MI_VAD_TAG);
        if (section)
            ObDereferenceObject(section);
        oldIrql = MiLockAddressSpaces();
    }
    MiUnlockAddressSpaces(oldIrql);
    MiFreeUserTables(process->Pcb.DirectoryTableBase);
}

// Read 1, write 2, execute 4, for each protection in MiProtections' order.
static const UCHAR MiProtectionRights[] = {0, 1, 3, 4, 5, 7};

BOOLEAN MiIsProtectionWithin(ULONG protect, ULONG limit)
{
    if (!MiIsValidProtection(protect) || !MiIsValidProtection(limit))
        return FALSE;
    UCHAR wanted = MiProtectionRights[MiProtectionIndex(protect)];
    UCHAR allowed = MiProtectionRights[MiProtectionIndex(limit)];

    return (wanted & ~allowed) == 0;
}
