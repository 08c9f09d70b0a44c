// Sections backed by the paging file (there is no file system): a section
// owns its pages, and every view of it, in any process, maps those same
// physical pages. A view is a MEM_MAPPED VAD that holds a reference on its
// section, so the pages live while a handle or a view does.

#include "mm/mi.h"
#include "ps/ps.h"

// Bigger sections are refused (STATUS_SECTION_TOO_BIG): a teaching kernel
// with a few hundred megabytes has no use for more.
#define MI_MAXIMUM_SECTION_SIZE (1ULL << 30)

OBJECT_TYPE *MmSectionObjectType;

// The last reference: every view is gone, so the pages are no one's.
static void MiDeleteSection(void *object)
{
    SECTION *section = object;

    if (!section->PageFrames)
        return;
    for (PFN_NUMBER i = 0; i < section->NumberOfPages; i++) {
        if (section->PageFrames[i])
            MmFreePhysicalPage(section->PageFrames[i]);
    }
    ExFreePoolWithTag(section->PageFrames, MI_SEGMENT_TAG);
}

void MmInitSectionObjectType(void)
{
    static const OBJECT_TYPE_INITIALIZER initializer = {
        .PoolTag = MI_SECTION_TAG,
        .ValidAccessMask = SECTION_ALL_ACCESS,
        .GenericMapping = {READ_CONTROL | SECTION_QUERY | SECTION_MAP_READ,
                           READ_CONTROL | SECTION_MAP_WRITE,
                           READ_CONTROL | SECTION_MAP_EXECUTE, SECTION_ALL_ACCESS},
        .DeleteProcedure = MiDeleteSection,
    };

    if (!NT_SUCCESS(ObCreateObjectType("Section", &initializer, &MmSectionObjectType)))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x0D, 1, 0, 0);
}

// A new section of `pages` pages, each allocated and zeroed now for
// SEC_COMMIT, none yet for SEC_RESERVE.
static NTSTATUS MiCreatePagefileSection(PFN_NUMBER pages, ULONG attributes, ULONG protect,
                                        SECTION **result)
{
    SECTION *section;
    NTSTATUS status = ObCreateObject(MmSectionObjectType, sizeof(SECTION), (void **)&section);

    if (!NT_SUCCESS(status))
        return status;
    section->SizeOfSection = pages << PAGE_SHIFT;
    section->AllocationAttributes = attributes;
    section->InitialPageProtection = protect;
    section->NumberOfPages = pages;
    InitializeListHead(&section->ViewListHead);
    section->PageFrames = ExAllocatePoolWithTag(NonPagedPool, pages * sizeof(PFN_NUMBER),
                                                MI_SEGMENT_TAG);
    if (!section->PageFrames) {
        ObDereferenceObject(section);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    memset(section->PageFrames, 0, pages * sizeof(PFN_NUMBER));
    for (PFN_NUMBER i = 0; (attributes & SEC_COMMIT) && i < pages; i++) {
        section->PageFrames[i] = MmAllocatePhysicalPage(MmUsageUserPage);
        if (!section->PageFrames[i]) {
            ObDereferenceObject(section);           // frees what was taken
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        MiZeroPage(MmPfnToVirtual(section->PageFrames[i]));
    }
    *result = section;
    return STATUS_SUCCESS;
}

// A FileHandle names a file object; with no file system there is none, so
// any handle is refused as NT refuses a handle of the wrong kind.
static NTSTATUS MiCheckFileHandle(HANDLE fileHandle)
{
    void *object;
    NTSTATUS status = ObReferenceObjectByHandle(fileHandle, 0, NULL, &object, NULL);

    if (!NT_SUCCESS(status))
        return status;
    ObDereferenceObject(object);
    return STATUS_OBJECT_TYPE_MISMATCH;
}

NTSTATUS NtCreateSection(HANDLE *sectionHandle, ACCESS_MASK desiredAccess,
                         OBJECT_ATTRIBUTES *objectAttributes, LARGE_INTEGER *maximumSize,
                         ULONG sectionPageProtection, ULONG allocationAttributes,
                         HANDLE fileHandle)
{
    OB_CAPTURED_ATTRIBUTES captured;
    LARGE_INTEGER size = {0};
    SECTION *section;
    NTSTATUS status;

    if ((allocationAttributes & ~(SEC_COMMIT | SEC_RESERVE | SEC_IMAGE)) ||
        !(allocationAttributes & (SEC_COMMIT | SEC_RESERVE | SEC_IMAGE)) ||
        ((allocationAttributes & SEC_IMAGE) && (allocationAttributes & ~SEC_IMAGE)) ||
        ((allocationAttributes & SEC_COMMIT) && (allocationAttributes & SEC_RESERVE)))
        return STATUS_INVALID_PARAMETER_6;
    status = ObProbeHandleOut(sectionHandle);
    if (NT_SUCCESS(status) && maximumSize)
        status = MmCopyFromUser(&size, maximumSize, sizeof(size));
    if (!NT_SUCCESS(status))
        return status;
    // PAGE_NOACCESS would make a section no view could use; copy-on-write
    // is not supported.
    if (!MiIsValidProtection(sectionPageProtection) || sectionPageProtection == PAGE_NOACCESS)
        return STATUS_INVALID_PAGE_PROTECTION;
    if (fileHandle)
        return MiCheckFileHandle(fileHandle);
    if (allocationAttributes & SEC_IMAGE)
        return STATUS_INVALID_FILE_FOR_SECTION;
    if (!maximumSize || size.QuadPart <= 0)
        return STATUS_INVALID_PARAMETER_4;
    if ((ULONG64)size.QuadPart > MI_MAXIMUM_SECTION_SIZE)
        return STATUS_SECTION_TOO_BIG;
    status = ObCaptureObjectAttributes(objectAttributes, &captured);
    if (NT_SUCCESS(status))
        status = MiCreatePagefileSection(ALIGN_UP_BY(size.QuadPart, PAGE_SIZE) >> PAGE_SHIFT,
                                         allocationAttributes, sectionPageProtection, &section);
    // STATUS_OBJECT_NAME_EXISTS (OBJ_OPENIF) is a success and returns too.
    if (NT_SUCCESS(status))
        status = ObInsertObjectForUser(section, &captured, desiredAccess, sectionHandle);
    ObReleaseObjectAttributes(&captured);
    return status;
}

NTSTATUS NtOpenSection(HANDLE *sectionHandle, ACCESS_MASK desiredAccess,
                       OBJECT_ATTRIBUTES *objectAttributes)
{
    return ObOpenObjectForUser(sectionHandle, MmSectionObjectType, desiredAccess,
                               objectAttributes);
}

// The section rights a view of this protection needs, as NT's MmMakeSectionAccess.
static ACCESS_MASK MiSectionAccessFor(ULONG protect)
{
    switch (protect) {
    case PAGE_READWRITE:
        return SECTION_MAP_WRITE;
    case PAGE_EXECUTE:
        return SECTION_MAP_EXECUTE;
    case PAGE_EXECUTE_READ:
        return SECTION_MAP_EXECUTE | SECTION_MAP_READ;
    case PAGE_EXECUTE_READWRITE:
        return SECTION_MAP_EXECUTE | SECTION_MAP_WRITE;
    default:                                    // PAGE_NOACCESS, PAGE_READONLY
        return SECTION_MAP_READ;
    }
}

// Maps the view's committed section pages. Lock held.
static NTSTATUS MiMapViewPages(MMVAD *vad)
{
    SECTION *section = vad->Section;

    for (ULONG_PTR vpn = vad->StartingVpn; vpn <= vad->EndingVpn; vpn++) {
        PFN_NUMBER pfn = section->PageFrames[vad->FirstSectionPage + vpn - vad->StartingVpn];
        ULONG64 *pte;

        if (!pfn)
            continue;
        pte = MiGetUserPte(vad->DirectoryTableBase, vpn << PAGE_SHIFT, TRUE);
        if (!pte)
            return STATUS_NO_MEMORY;
        MiWriteUserPte(vad->DirectoryTableBase, pte, vpn << PAGE_SHIFT,
                       MiMakePte(pfn, vad->AllocationProtect, TRUE));
    }
    return STATUS_SUCCESS;
}

void MiUnlinkView(MMVAD *vad, SECTION **section)
{
    EPROCESS *process = MiAddressSpaceOwner(vad->DirectoryTableBase);

    MiDecommitPages(vad->DirectoryTableBase, MI_VAD_START(vad), MI_VAD_END(vad));
    MiRemoveVad(&process->VadRoot, vad);
    RemoveEntryList(&vad->ViewLinks);
    vad->Section->NumberOfMappedViews--;
    *section = vad->Section;
}

NTSTATUS MiCommitSectionPages(MMVAD *vad, ULONG64 start, ULONG64 end, ULONG protect)
{
    SECTION *section = vad->Section;

    if (!MiIsProtectionWithin(protect, section->InitialPageProtection))
        return STATUS_SECTION_PROTECTION;
    for (ULONG64 va = start; va < end; va += PAGE_SIZE) {
        PFN_NUMBER index = vad->FirstSectionPage + ((va - MI_VAD_START(vad)) >> PAGE_SHIFT);
        ULONG64 *pte;

        if (!section->PageFrames[index]) {
            PFN_NUMBER pfn = MmAllocatePhysicalPage(MmUsageUserPage);

            if (!pfn)
                return STATUS_NO_MEMORY;
            MiZeroPage(MmPfnToVirtual(pfn));
            section->PageFrames[index] = pfn;
            // Every other view of the page sees it from now on.
            for (LIST_ENTRY *entry = section->ViewListHead.Flink;
                 entry != &section->ViewListHead; entry = entry->Flink) {
                MMVAD *view = CONTAINING_RECORD(entry, MMVAD, ViewLinks);
                ULONG64 viewVa = MI_VAD_START(view) +
                                 ((index - view->FirstSectionPage) << PAGE_SHIFT);

                if (view == vad || index < view->FirstSectionPage || viewVa >= MI_VAD_END(view))
                    continue;
                pte = MiGetUserPte(view->DirectoryTableBase, viewVa, TRUE);
                if (!pte)
                    return STATUS_NO_MEMORY;
                MiWriteUserPte(view->DirectoryTableBase, pte, viewVa,
                               MiMakePte(pfn, view->AllocationProtect, TRUE));
            }
        }
        pte = MiGetUserPte(vad->DirectoryTableBase, va, TRUE);
        if (!pte)
            return STATUS_NO_MEMORY;
        MiWriteUserPte(vad->DirectoryTableBase, pte, va,
                       MiMakePte(section->PageFrames[index], protect, TRUE));
    }
    return STATUS_SUCCESS;
}

// Places a view of [offset, offset + size) of `section` in `process`, at
// *base or (*base 0) where there is room. Takes a reference on the section.
static NTSTATUS MiMapViewOfSection(SECTION *section, EPROCESS *process, ULONG64 *base,
                                   ULONG64 offset, SIZE_T size, ULONG64 top,
                                   ULONG allocationType, ULONG protect)
{
    MMVAD *vad = ExAllocatePoolWithTag(NonPagedPool, sizeof(MMVAD), MI_VAD_TAG);
    ULONG64 start = *base;
    NTSTATUS status = STATUS_SUCCESS;
    KIRQL oldIrql;

    if (!vad)
        return STATUS_INSUFFICIENT_RESOURCES;
    memset(vad, 0, sizeof(*vad));
    oldIrql = MiLockAddressSpaces();
    if (!start) {
        if (!MiFindFreeRange(&process->VadRoot, size, MM_ALLOCATION_GRANULARITY,
                             MM_LOWEST_USER_ADDRESS, top, (allocationType & MEM_TOP_DOWN) != 0,
                             &start))
            status = STATUS_NO_MEMORY;
    } else if (!MiIsRangeFree(&process->VadRoot, start >> PAGE_SHIFT,
                              ((start + size) >> PAGE_SHIFT) - 1)) {
        status = STATUS_CONFLICTING_ADDRESSES;
    }
    if (NT_SUCCESS(status)) {
        vad->StartingVpn = start >> PAGE_SHIFT;
        vad->EndingVpn = ((start + size) >> PAGE_SHIFT) - 1;
        vad->Type = MEM_MAPPED;
        vad->AllocationProtect = protect;
        vad->Section = section;
        vad->FirstSectionPage = offset >> PAGE_SHIFT;
        vad->DirectoryTableBase = process->Pcb.DirectoryTableBase;
        MiInsertVad(&process->VadRoot, vad);
        InsertTailList(&section->ViewListHead, &vad->ViewLinks);
        section->NumberOfMappedViews++;
        status = MiMapViewPages(vad);
        if (!NT_SUCCESS(status)) {
            SECTION *unused;

            MiUnlinkView(vad, &unused);
        }
    }
    MiUnlockAddressSpaces(oldIrql);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(vad, MI_VAD_TAG);
        return status;
    }
    ObReferenceObject(section);                 // the view's
    *base = start;
    return STATUS_SUCCESS;
}

// The checks NT makes once it has the section: protection, alignment, size.
static NTSTATUS MiCheckView(SECTION *section, ULONG64 base, LONGLONG offset, SIZE_T *size,
                            ULONG protect)
{
    if (!MiIsProtectionWithin(protect, section->InitialPageProtection))
        return STATUS_SECTION_PROTECTION;
    if ((offset & (MM_ALLOCATION_GRANULARITY - 1)) || (base & (MM_ALLOCATION_GRANULARITY - 1)))
        return STATUS_MAPPED_ALIGNMENT;
    if (offset < 0 || (ULONG64)offset >= section->SizeOfSection)
        return STATUS_INVALID_VIEW_SIZE;
    if (*size == 0)
        *size = section->SizeOfSection - offset;
    if (*size > section->SizeOfSection - offset)
        return STATUS_INVALID_VIEW_SIZE;
    *size = ALIGN_UP_BY(*size, PAGE_SIZE);
    return STATUS_SUCCESS;
}

NTSTATUS NtMapViewOfSection(HANDLE sectionHandle, HANDLE processHandle, void **baseAddress,
                            ULONG_PTR zeroBits, SIZE_T commitSize,
                            LARGE_INTEGER *sectionOffset, SIZE_T *viewSize,
                            SECTION_INHERIT inheritDisposition, ULONG allocationType,
                            ULONG win32Protect)
{
    LARGE_INTEGER offset = {0};
    EPROCESS *process;
    SECTION *section;
    ULONG64 base;
    SIZE_T size;
    NTSTATUS status;

    // CommitSize matters only to SEC_RESERVE sections of NT's that commit
    // part of a view at once; here pages are committed with
    // NtAllocateVirtualMemory, so it is accepted and unused.
    (void)commitSize;
    if (inheritDisposition < ViewShare || inheritDisposition > ViewUnmap)
        return STATUS_INVALID_PARAMETER_8;
    if (allocationType & ~(MEM_TOP_DOWN | MEM_RESERVE))
        return STATUS_INVALID_PARAMETER_9;
    if (!MiIsValidProtection(win32Protect))
        return STATUS_INVALID_PAGE_PROTECTION;
    status = MiCaptureAddressAndSize(baseAddress, viewSize, &base, &size);
    if (NT_SUCCESS(status) && sectionOffset) {
        status = ProbeForWrite(sectionOffset, sizeof(*sectionOffset), sizeof(LONGLONG));
        if (NT_SUCCESS(status))
            status = MmCopyFromUser(&offset, sectionOffset, sizeof(offset));
    }
    if (!NT_SUCCESS(status))
        return status;
    if (base > MM_HIGHEST_USER_ADDRESS || MM_HIGHEST_USER_ADDRESS + 1 - base < size)
        return STATUS_INVALID_PARAMETER_3;
    if (zeroBits > MI_MAXIMUM_ZERO_BITS || base + size > MiZeroBitsLimit(zeroBits) + 1)
        return STATUS_INVALID_PARAMETER_4;
    status = MiReferenceProcessByHandle(processHandle, PROCESS_VM_OPERATION, &process);
    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(sectionHandle, MiSectionAccessFor(win32Protect),
                                       MmSectionObjectType, (void **)&section, NULL);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(process);
        return status;
    }
    status = MiCheckView(section, base, offset.QuadPart, &size, win32Protect);
    if (NT_SUCCESS(status))
        status = MiMapViewOfSection(section, process, &base, offset.QuadPart, size,
                                    MiZeroBitsLimit(zeroBits), allocationType, win32Protect);
    ObDereferenceObject(section);
    ObDereferenceObject(process);
    if (!NT_SUCCESS(status))
        return status;
    status = MiReturnAddressAndSize(baseAddress, viewSize, base, size);
    if (NT_SUCCESS(status) && sectionOffset)
        status = MmCopyToUser(sectionOffset, &offset, sizeof(offset));
    return status;
}

NTSTATUS NtUnmapViewOfSection(HANDLE processHandle, void *baseAddress)
{
    SECTION *section = NULL;
    EPROCESS *process;
    MMVAD *vad;
    KIRQL oldIrql;
    NTSTATUS status = MiReferenceProcessByHandle(processHandle, PROCESS_VM_OPERATION,
                                                 &process);

    if (!NT_SUCCESS(status))
        return status;
    oldIrql = MiLockAddressSpaces();
    vad = (ULONG64)baseAddress < MM_USER_PROBE_ADDRESS
              ? MiLocateVad(&process->VadRoot, (ULONG64)baseAddress >> PAGE_SHIFT) : NULL;
    if (vad && vad->Type == MEM_MAPPED)
        MiUnlinkView(vad, &section);
    MiUnlockAddressSpaces(oldIrql);
    ObDereferenceObject(process);
    if (!section)
        return STATUS_NOT_MAPPED_VIEW;
    ExFreePoolWithTag(vad, MI_VAD_TAG);
    ObDereferenceObject(section);
    return STATUS_SUCCESS;
}

NTSTATUS NtQuerySection(HANDLE sectionHandle, SECTION_INFORMATION_CLASS sectionInformationClass,
                        void *sectionInformation, SIZE_T sectionInformationLength,
                        SIZE_T *returnLength)
{
    SECTION_BASIC_INFORMATION info;
    SIZE_T length = sizeof(info);
    SECTION *section;
    NTSTATUS status;

    if (sectionInformationClass != SectionBasicInformation)
        return STATUS_INVALID_INFO_CLASS;
    if (sectionInformationLength < sizeof(info))
        return STATUS_INFO_LENGTH_MISMATCH;
    status = ProbeForWrite(sectionInformation, sizeof(info), sizeof(ULONG_PTR));
    if (NT_SUCCESS(status) && returnLength)
        status = ProbeForWrite(returnLength, sizeof(*returnLength), sizeof(SIZE_T));
    if (NT_SUCCESS(status))
        status = ObReferenceObjectByHandle(sectionHandle, SECTION_QUERY, MmSectionObjectType,
                                           (void **)&section, NULL);
    if (!NT_SUCCESS(status))
        return status;
    memset(&info, 0, sizeof(info));
    info.AllocationAttributes = section->AllocationAttributes;
    info.MaximumSize.QuadPart = (LONGLONG)section->SizeOfSection;
    ObDereferenceObject(section);
    status = MmCopyToUser(sectionInformation, &info, sizeof(info));
    if (NT_SUCCESS(status) && returnLength)
        status = MmCopyToUser(returnLength, &length, sizeof(length));
    return status;
}

// ---- Views for other kernel components (LPC's port sections) ------------------------

NTSTATUS MmMapViewOfSection(SECTION *section, EPROCESS *process, void **baseAddress,
                            ULONG64 sectionOffset, SIZE_T *viewSize, ULONG protect)
{
    ULONG64 base = (ULONG64)*baseAddress;
    SIZE_T size = *viewSize;
    NTSTATUS status;

    if (!process->AddressSpaceInitialized || process->ProcessDelete)
        return STATUS_PROCESS_IS_TERMINATING;
    status = MiCheckView(section, base, (LONGLONG)sectionOffset, &size, protect);
    if (NT_SUCCESS(status))
        status = MiMapViewOfSection(section, process, &base, sectionOffset, size,
                                    MM_HIGHEST_USER_ADDRESS, 0, protect);
    if (!NT_SUCCESS(status))
        return status;
    *baseAddress = (void *)base;
    *viewSize = size;
    return STATUS_SUCCESS;
}

NTSTATUS MmUnmapViewOfSection(EPROCESS *process, void *baseAddress)
{
    SECTION *section = NULL;
    MMVAD *vad;
    KIRQL oldIrql;

    if (!process->AddressSpaceInitialized)
        return STATUS_NOT_MAPPED_VIEW;
    oldIrql = MiLockAddressSpaces();
    vad = (ULONG64)baseAddress < MM_USER_PROBE_ADDRESS
              ? MiLocateVad(&process->VadRoot, (ULONG64)baseAddress >> PAGE_SHIFT) : NULL;
    if (vad && vad->Type == MEM_MAPPED && MI_VAD_START(vad) == (ULONG64)baseAddress)
        MiUnlinkView(vad, &section);
    MiUnlockAddressSpaces(oldIrql);
    if (!section)
        return STATUS_NOT_MAPPED_VIEW;
    ExFreePoolWithTag(vad, MI_VAD_TAG);
    ObDereferenceObject(section);
    return STATUS_SUCCESS;
}

// ---- Sections for other kernel components (ALPC's port sections) --------------------

NTSTATUS MmCreateSection(ULONG64 size, ULONG protect, SECTION **section)
{
    if (size == 0)
        return STATUS_INVALID_PARAMETER;
    if (size > MI_MAXIMUM_SECTION_SIZE)
        return STATUS_SECTION_TOO_BIG;
    return MiCreatePagefileSection(ALIGN_UP_BY(size, PAGE_SIZE) >> PAGE_SHIFT, SEC_COMMIT,
                                   protect, section);
}

NTSTATUS MmUnmapViewOfSectionIfSame(EPROCESS *process, void *baseAddress, SECTION *section,
                                    ULONG64 sectionOffset)
{
    SECTION *unmapped = NULL;
    MMVAD *vad;
    KIRQL oldIrql;

    if (!process->AddressSpaceInitialized)
        return STATUS_NOT_MAPPED_VIEW;
    oldIrql = MiLockAddressSpaces();
    vad = (ULONG64)baseAddress < MM_USER_PROBE_ADDRESS
              ? MiLocateVad(&process->VadRoot, (ULONG64)baseAddress >> PAGE_SHIFT) : NULL;
    // The view the caller made, not whatever the process mapped there since.
    if (vad && vad->Type == MEM_MAPPED && MI_VAD_START(vad) == (ULONG64)baseAddress &&
        vad->Section == section && vad->FirstSectionPage == sectionOffset >> PAGE_SHIFT)
        MiUnlinkView(vad, &unmapped);
    MiUnlockAddressSpaces(oldIrql);
    if (!unmapped)
        return STATUS_NOT_MAPPED_VIEW;
    ExFreePoolWithTag(vad, MI_VAD_TAG);
    ObDereferenceObject(unmapped);
    return STATUS_SUCCESS;
}
