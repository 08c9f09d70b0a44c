// The virtual memory services: reserving, committing, freeing, querying and
// protecting ranges of a process's user address space, by process handle.
// Each checks its arguments in NT's order, captures the caller's in/out
// pointers, works under the address-space lock, and writes results back
// only once it has succeeded.

#include "mm/mi.h"
#include "ps/ps.h"

NTSTATUS MiReferenceProcessByHandle(HANDLE processHandle, ACCESS_MASK desiredAccess,
                                    EPROCESS **result)
{
    EPROCESS *process;
    NTSTATUS status = ObReferenceObjectByHandle(processHandle, desiredAccess, PsProcessType,
                                                (void **)&process, NULL);

    if (!NT_SUCCESS(status))
        return status;
    // The System process runs in the kernel's own tables: no user half.
    if (!process->AddressSpaceInitialized) {
        ObDereferenceObject(process);
        return STATUS_INVALID_HANDLE;
    }
    *result = process;
    return STATUS_SUCCESS;
}

NTSTATUS MiCaptureAddressAndSize(void **baseAddress, SIZE_T *regionSize, ULONG64 *base,
                                 SIZE_T *size)
{
    NTSTATUS status = ProbeForWrite(baseAddress, sizeof(*baseAddress), sizeof(void *));

    if (NT_SUCCESS(status))
        status = ProbeForWrite(regionSize, sizeof(*regionSize), sizeof(SIZE_T));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(base, baseAddress, sizeof(*base));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(size, regionSize, sizeof(*size));
    return status;
}

NTSTATUS MiReturnAddressAndSize(void **baseAddress, SIZE_T *regionSize, ULONG64 base,
                                SIZE_T size)
{
    NTSTATUS status = MmCopyToUser(baseAddress, &base, sizeof(base));

    if (NT_SUCCESS(status))
        status = MmCopyToUser(regionSize, &size, sizeof(size));
    return status;
}

ULONG64 MiZeroBitsLimit(ULONG_PTR zeroBits)
{
    ULONG64 limit = zeroBits ? ~0ULL >> zeroBits : MM_HIGHEST_USER_ADDRESS;

    return limit < MM_HIGHEST_USER_ADDRESS ? limit : MM_HIGHEST_USER_ADDRESS;
}

static MMVAD *MiAllocateVad(void)
{
    MMVAD *vad = ExAllocatePoolWithTag(NonPagedPool, sizeof(MMVAD), MI_VAD_TAG);

    if (vad)
        memset(vad, 0, sizeof(*vad));
    return vad;
}

// MEM_RESERVE (with or without MEM_COMMIT), or any allocation at a base the
// system picks: a new private VAD on 64K, committed whole with MEM_COMMIT.
static NTSTATUS MiReserveRange(EPROCESS *process, ULONG64 *base, SIZE_T *size,
                               ULONG_PTR zeroBits, ULONG allocationType, ULONG protect)
{
    ULONG64 top = MiZeroBitsLimit(zeroBits);
    ULONG64 start = 0, end = 0;
    NTSTATUS status = STATUS_SUCCESS;
    MMVAD *vad = MiAllocateVad();
    KIRQL oldIrql;

    if (!vad)
        return STATUS_INSUFFICIENT_RESOURCES;
    oldIrql = MiLockAddressSpaces();
    if (*base == 0) {
        SIZE_T length = ALIGN_UP_BY(*size, PAGE_SIZE);

        if (!MiFindFreeRange(&process->VadRoot, length, MM_ALLOCATION_GRANULARITY,
                             MM_LOWEST_USER_ADDRESS, top,
                             (allocationType & MEM_TOP_DOWN) != 0, &start))
            status = STATUS_NO_MEMORY;
        end = start + length;
    } else {
        start = ALIGN_DOWN_BY(*base, MM_ALLOCATION_GRANULARITY);
        end = ALIGN_UP_BY(*base + *size, PAGE_SIZE);
        if (start < MM_LOWEST_USER_ADDRESS)
            status = STATUS_INVALID_PARAMETER_2;
        else if (end - 1 > top)
            status = STATUS_INVALID_PARAMETER_3;
        else if (!MiIsRangeFree(&process->VadRoot, start >> PAGE_SHIFT,
                                (end >> PAGE_SHIFT) - 1))
            status = STATUS_CONFLICTING_ADDRESSES;
    }
    if (NT_SUCCESS(status)) {
        vad->StartingVpn = start >> PAGE_SHIFT;
        vad->EndingVpn = (end >> PAGE_SHIFT) - 1;
        vad->Type = MEM_PRIVATE;
        vad->AllocationProtect = protect;
        MiInsertVad(&process->VadRoot, vad);
        if (allocationType & MEM_COMMIT)
            status = MiCommitPrivatePages(process->Pcb.DirectoryTableBase, start, end, protect);
        if (!NT_SUCCESS(status)) {
            // All or nothing: the reservation goes with what was committed.
            MiDecommitPages(process->Pcb.DirectoryTableBase, start, end);
            MiRemoveVad(&process->VadRoot, vad);
        }
    }
    MiUnlockAddressSpaces(oldIrql);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(vad, MI_VAD_TAG);
        return status;
    }
    *base = start;
    *size = end - start;
    return STATUS_SUCCESS;
}

// MEM_COMMIT alone: pages inside one existing reservation or view.
static NTSTATUS MiCommitRange(EPROCESS *process, ULONG64 *base, SIZE_T *size, ULONG protect)
{
    ULONG64 start = ALIGN_DOWN_BY(*base, PAGE_SIZE);
    ULONG64 end = ALIGN_UP_BY(*base + *size, PAGE_SIZE);
    NTSTATUS status;
    MMVAD *vad;
    KIRQL oldIrql = MiLockAddressSpaces();

    vad = MiLocateVad(&process->VadRoot, start >> PAGE_SHIFT);
    if (!vad || end > MI_VAD_END(vad))
        status = STATUS_CONFLICTING_ADDRESSES;
    else if (vad->Type == MEM_MAPPED)
        status = MiCommitSectionPages(vad, start, end, protect);
    else
        status = MiCommitPrivatePages(process->Pcb.DirectoryTableBase, start, end, protect);
    MiUnlockAddressSpaces(oldIrql);
    *base = start;
    *size = end - start;
    return status;
}

NTSTATUS NtAllocateVirtualMemory(HANDLE processHandle, void **baseAddress, ULONG_PTR zeroBits,
                                 SIZE_T *regionSize, ULONG allocationType, ULONG protect)
{
    EPROCESS *process;
    ULONG64 base;
    SIZE_T size;
    NTSTATUS status;

    if (zeroBits > MI_MAXIMUM_ZERO_BITS)
        return STATUS_INVALID_PARAMETER_3;
    if ((allocationType & ~(MEM_COMMIT | MEM_RESERVE | MEM_TOP_DOWN)) ||
        !(allocationType & (MEM_COMMIT | MEM_RESERVE)))
        return STATUS_INVALID_PARAMETER_5;
    if (!MiIsValidProtection(protect))
        return STATUS_INVALID_PAGE_PROTECTION;
    status = MiCaptureAddressAndSize(baseAddress, regionSize, &base, &size);
    if (!NT_SUCCESS(status))
        return status;
    if (base > MM_HIGHEST_USER_ADDRESS)
        return STATUS_INVALID_PARAMETER_2;
    if (MM_HIGHEST_USER_ADDRESS + 1 - base < size || size == 0)
        return STATUS_INVALID_PARAMETER_4;
    status = MiReferenceProcessByHandle(processHandle, PROCESS_VM_OPERATION, &process);
    if (!NT_SUCCESS(status))
        return status;
    if (base == 0 || (allocationType & MEM_RESERVE))
        status = MiReserveRange(process, &base, &size, zeroBits, allocationType, protect);
    else
        status = MiCommitRange(process, &base, &size, protect);
    ObDereferenceObject(process);
    if (!NT_SUCCESS(status))
        return status;
    return MiReturnAddressAndSize(baseAddress, regionSize, base, size);
}

// Releases [start, end) of a private VAD: the whole VAD, its front, its
// back, or a middle that splits it in two (`spare` becomes the upper part).
static void MiReleaseRange(EPROCESS *process, MMVAD *vad, ULONG64 start, ULONG64 end,
                           MMVAD **spare, MMVAD **freed)
{
    MiDecommitPages(process->Pcb.DirectoryTableBase, start, end);
    if (start == MI_VAD_START(vad) && end == MI_VAD_END(vad)) {
        MiRemoveVad(&process->VadRoot, vad);
        *freed = vad;
    } else if (start == MI_VAD_START(vad)) {
        MiChangeVadRange(&process->VadRoot, vad, end >> PAGE_SHIFT, vad->EndingVpn);
    } else if (end == MI_VAD_END(vad)) {
        MiChangeVadRange(&process->VadRoot, vad, vad->StartingVpn, (start >> PAGE_SHIFT) - 1);
    } else {
        MMVAD *upper = *spare;

        *upper = *vad;
        upper->StartingVpn = end >> PAGE_SHIFT;
        MiChangeVadRange(&process->VadRoot, vad, vad->StartingVpn, (start >> PAGE_SHIFT) - 1);
        MiInsertVad(&process->VadRoot, upper);
        *spare = NULL;
    }
}

NTSTATUS NtFreeVirtualMemory(HANDLE processHandle, void **baseAddress, SIZE_T *regionSize,
                             ULONG freeType)
{
    EPROCESS *process;
    ULONG64 base, start, end;
    SIZE_T size;
    MMVAD *vad, *spare = NULL, *freed = NULL;
    NTSTATUS status;
    KIRQL oldIrql;

    if ((freeType & ~(MEM_DECOMMIT | MEM_RELEASE)) ||
        (freeType != MEM_DECOMMIT && freeType != MEM_RELEASE))
        return STATUS_INVALID_PARAMETER_4;
    status = MiCaptureAddressAndSize(baseAddress, regionSize, &base, &size);
    if (!NT_SUCCESS(status))
        return status;
    if (base > MM_HIGHEST_USER_ADDRESS)
        return STATUS_INVALID_PARAMETER_2;
    if (MM_HIGHEST_USER_ADDRESS + 1 - base < size)
        return STATUS_INVALID_PARAMETER_3;
    status = MiReferenceProcessByHandle(processHandle, PROCESS_VM_OPERATION, &process);
    if (!NT_SUCCESS(status))
        return status;
    // Releasing the middle of a reservation needs a second VAD.
    if (freeType == MEM_RELEASE && size && !(spare = MiAllocateVad())) {
        ObDereferenceObject(process);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    start = ALIGN_DOWN_BY(base, PAGE_SIZE);
    oldIrql = MiLockAddressSpaces();
    vad = MiLocateVad(&process->VadRoot, start >> PAGE_SHIFT);
    if (!vad) {
        status = STATUS_MEMORY_NOT_ALLOCATED;
    } else if (vad->Type != MEM_PRIVATE) {
        status = STATUS_UNABLE_TO_DELETE_SECTION;       // views and images
    } else if (size == 0) {
        // The whole allocation, named by its base.
        end = MI_VAD_END(vad);
        if (base != MI_VAD_START(vad))
            status = STATUS_FREE_VM_NOT_AT_BASE;
    } else {
        end = ALIGN_UP_BY(base + size, PAGE_SIZE);
        if (end > MI_VAD_END(vad))
            status = STATUS_UNABLE_TO_FREE_VM;
    }
    if (NT_SUCCESS(status)) {
        if (freeType == MEM_RELEASE)
            MiReleaseRange(process, vad, start, end, &spare, &freed);
        else
            MiDecommitPages(process->Pcb.DirectoryTableBase, start, end);
    }
    MiUnlockAddressSpaces(oldIrql);
    ObDereferenceObject(process);
    if (spare)
        ExFreePoolWithTag(spare, MI_VAD_TAG);
    if (freed)
        ExFreePoolWithTag(freed, MI_VAD_TAG);
    if (!NT_SUCCESS(status))
        return status;
    return MiReturnAddressAndSize(baseAddress, regionSize, start, end - start);
}

// Fills `info` for the region of like pages that holds `va`.
static void MiQueryRegion(EPROCESS *process, ULONG64 va, MEMORY_BASIC_INFORMATION *info)
{
    ULONG64 page = ALIGN_DOWN_BY(va, PAGE_SIZE);
    MMVAD *vad = MiLocateVad(&process->VadRoot, page >> PAGE_SHIFT);
    ULONG64 end;
    ULONG protect;

    memset(info, 0, sizeof(*info));
    info->BaseAddress = (void *)page;
    if (!vad) {
        MMVAD *next = MiNextVad(&process->VadRoot, page >> PAGE_SHIFT);

        end = next ? MI_VAD_START(next) : MM_HIGHEST_USER_ADDRESS + 1;
        info->RegionSize = end - page;
        info->State = MEM_FREE;
        info->Protect = PAGE_NOACCESS;
        return;
    }
    protect = 0;
    for (end = page; end < MI_VAD_END(vad);) {
        ULONG64 *pte = MiGetUserPte(process->Pcb.DirectoryTableBase, end, FALSE);
        ULONG here = pte ? MiPteProtection(*pte) : 0;

        if (end == page)
            protect = here;
        else if (here != protect)
            break;
        // Where no table is, a whole table's span is reserved: one step
        // (a reservation may be terabytes).
        end = pte ? end + PAGE_SIZE
                  : MiNextMappedAddress(process->Pcb.DirectoryTableBase, end);
    }
    if (end > MI_VAD_END(vad))
        end = MI_VAD_END(vad);
    info->AllocationBase = (void *)MI_VAD_START(vad);
    info->AllocationProtect = vad->AllocationProtect;
    info->RegionSize = end - page;
    info->State = protect ? MEM_COMMIT : MEM_RESERVE;
    info->Protect = protect;
    info->Type = vad->Type;
}

NTSTATUS NtQueryVirtualMemory(HANDLE processHandle, void *baseAddress,
                              MEMORY_INFORMATION_CLASS memoryInformationClass,
                              void *memoryInformation, SIZE_T memoryInformationLength,
                              SIZE_T *returnLength)
{
    MEMORY_BASIC_INFORMATION info;
    SIZE_T length = sizeof(info);
    EPROCESS *process;
    NTSTATUS status;
    KIRQL oldIrql;

    if (memoryInformationClass != MemoryBasicInformation)
        return STATUS_INVALID_INFO_CLASS;
    if (memoryInformationLength < sizeof(info))
        return STATUS_INFO_LENGTH_MISMATCH;
    status = ProbeForWrite(memoryInformation, sizeof(info), sizeof(ULONG_PTR));
    if (NT_SUCCESS(status) && returnLength)
        status = ProbeForWrite(returnLength, sizeof(*returnLength), sizeof(SIZE_T));
    if (!NT_SUCCESS(status))
        return status;
    if ((ULONG64)baseAddress > MM_HIGHEST_USER_ADDRESS)
        return STATUS_INVALID_PARAMETER;
    status = MiReferenceProcessByHandle(processHandle, PROCESS_QUERY_INFORMATION, &process);
    if (!NT_SUCCESS(status))
        return status;
    oldIrql = MiLockAddressSpaces();
    MiQueryRegion(process, (ULONG64)baseAddress, &info);
    MiUnlockAddressSpaces(oldIrql);
    ObDereferenceObject(process);
    status = MmCopyToUser(memoryInformation, &info, sizeof(info));
    if (NT_SUCCESS(status) && returnLength)
        status = MmCopyToUser(returnLength, &length, sizeof(length));
    return status;
}

// Changes the protection of committed pages of one VAD; *oldProtect gets
// the first page's. Lock held.
static NTSTATUS MiProtectRange(EPROCESS *process, ULONG64 start, ULONG64 end,
                               ULONG newProtect, ULONG *oldProtect)
{
    ULONG64 space = process->Pcb.DirectoryTableBase;
    MMVAD *vad = MiLocateVad(&process->VadRoot, start >> PAGE_SHIFT);

    if (!vad || end > MI_VAD_END(vad))
        return STATUS_CONFLICTING_ADDRESSES;
    for (ULONG64 va = start; va < end; va += PAGE_SIZE) {
        ULONG64 *pte = MiGetUserPte(space, va, FALSE);

        if (!pte || !*pte)
            return STATUS_NOT_COMMITTED;
    }
    if (vad->Type == MEM_MAPPED &&
        !MiIsProtectionWithin(newProtect, vad->Section->InitialPageProtection))
        return STATUS_SECTION_PROTECTION;
    *oldProtect = MiPteProtection(*MiGetUserPte(space, start, FALSE));
    for (ULONG64 va = start; va < end; va += PAGE_SIZE) {
        ULONG64 *pte = MiGetUserPte(space, va, FALSE);

        MiWriteUserPte(space, pte, va,
                       MiMakePte((*pte & PTE_FRAME) >> PAGE_SHIFT, newProtect,
                                 (*pte & MM_PTE_SECTION_PAGE) != 0));
    }
    return STATUS_SUCCESS;
}

NTSTATUS NtProtectVirtualMemory(HANDLE processHandle, void **baseAddress, SIZE_T *regionSize,
                                ULONG newProtect, ULONG *oldProtect)
{
    EPROCESS *process;
    ULONG64 base, start, end;
    SIZE_T size;
    ULONG previous = 0;
    NTSTATUS status;
    KIRQL oldIrql;

    if (!MiIsValidProtection(newProtect))
        return STATUS_INVALID_PAGE_PROTECTION;
    status = MiCaptureAddressAndSize(baseAddress, regionSize, &base, &size);
    if (NT_SUCCESS(status))
        status = ProbeForWrite(oldProtect, sizeof(*oldProtect), sizeof(ULONG));
    if (!NT_SUCCESS(status))
        return status;
    if (base > MM_HIGHEST_USER_ADDRESS)
        return STATUS_INVALID_PARAMETER_2;
    if (MM_HIGHEST_USER_ADDRESS + 1 - base < size || size == 0)
        return STATUS_INVALID_PARAMETER_3;
    status = MiReferenceProcessByHandle(processHandle, PROCESS_VM_OPERATION, &process);
    if (!NT_SUCCESS(status))
        return status;
    start = ALIGN_DOWN_BY(base, PAGE_SIZE);
    end = ALIGN_UP_BY(base + size, PAGE_SIZE);
    oldIrql = MiLockAddressSpaces();
    status = MiProtectRange(process, start, end, newProtect, &previous);
    MiUnlockAddressSpaces(oldIrql);
    ObDereferenceObject(process);
    if (!NT_SUCCESS(status))
        return status;
    status = MiReturnAddressAndSize(baseAddress, regionSize, start, end - start);
    if (NT_SUCCESS(status))
        status = MmCopyToUser(oldProtect, &previous, sizeof(previous));
    return status;
}
