// Port sections and views (alpcx.h): memory for messages too large to
// copy. A port section is a section object made for a port; a view maps a
// region of it (carved at 64K boundaries, where Mm places views) into the
// caller. Sent with a message (its view attribute), the sender's region is
// mapped again into the receiver when the receive asks for views: both
// processes then see the same pages, and nothing is copied.

#include "alpc/alpcx.h"

#define ALPC_REGION_ALIGNMENT MM_ALLOCATION_GRANULARITY
// The largest section NtAlpcCreatePortSection makes (its pages are taken at
// once): with ALPC_MAX_PORT_RESOURCES, what one port can hold is bounded.
#define ALPC_MAX_SECTION_SIZE 0x1000000

void AlpcpDeleteSection(KALPC_SECTION *section)
{
    ObDereferenceObject(section->SectionObject);
    ExFreePoolWithTag(section, ALPC_SECTION_TAG);
}

static void AlpcpDereferenceRegion(KALPC_REGION *region)
{
    KIRQL oldIrql;

    if (__atomic_sub_fetch(&region->ReferenceCount, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    KeAcquireSpinLock(&AlpcpResourceLock, &oldIrql);
    RemoveEntryList(&region->RegionListEntry);
    region->Section->NumberOfRegions--;
    KeReleaseSpinLock(&AlpcpResourceLock, oldIrql);
    AlpcpDereferenceBlob(&region->Section->Blob);
    ExFreePoolWithTag(region, ALPC_REGION_TAG);
}

// A region of `size` bytes in the first hole of the section that holds it
// (the regions are kept by offset), referenced by the caller.
static NTSTATUS AlpcpCreateRegion(KALPC_SECTION *section, SIZE_T size, KALPC_REGION **result)
{
    KALPC_REGION *region = ExAllocatePoolWithTag(NonPagedPool, sizeof(*region),
                                                 ALPC_REGION_TAG);
    SIZE_T pages = ALIGN_UP_BY(size, PAGE_SIZE);
    LIST_ENTRY *before;
    SIZE_T offset = 0;
    KIRQL oldIrql;

    if (!region)
        return STATUS_INSUFFICIENT_RESOURCES;
    memset(region, 0, sizeof(*region));
    KeAcquireSpinLock(&AlpcpResourceLock, &oldIrql);
    for (before = section->RegionListHead.Flink; before != &section->RegionListHead;
         before = before->Flink) {
        KALPC_REGION *next = CONTAINING_RECORD(before, KALPC_REGION, RegionListEntry);

        if (next->Offset - offset >= pages)
            break;
        offset = ALIGN_UP_BY(next->Offset + next->Size, ALPC_REGION_ALIGNMENT);
    }
    if (offset > section->Size || section->Size - offset < pages) {
        KeReleaseSpinLock(&AlpcpResourceLock, oldIrql);
        ExFreePoolWithTag(region, ALPC_REGION_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    region->Section = section;
    region->Offset = offset;
    region->Size = pages;
    region->ViewSize = size;
    region->ReferenceCount = 1;
    InsertTailList(before, &region->RegionListEntry);   // before `before`: in order
    section->NumberOfRegions++;
    AlpcpReferenceBlob(&section->Blob);
    KeReleaseSpinLock(&AlpcpResourceLock, oldIrql);
    *result = region;
    return STATUS_SUCCESS;
}

void AlpcpUnmapView(KALPC_VIEW *view)
{
    EPROCESS *process;
    void *address;
    KIRQL oldIrql;

    KeAcquireSpinLock(&AlpcpResourceLock, &oldIrql);
    address = view->Address;
    process = view->OwnerProcess;
    view->Address = NULL;
    view->OwnerProcess = NULL;
    if (address)
        view->Region->NumberOfViews--;
    KeReleaseSpinLock(&AlpcpResourceLock, oldIrql);
    if (!address)
        return;
    // Not mapped any more if the process's address space is gone, or it
    // unmapped the view itself: then nothing is left to do.
    MmUnmapViewOfSectionIfSame(process, address, view->Region->Section->SectionObject,
                               view->Region->Offset);
    ObDereferenceObject(process);
}

void AlpcpDeleteView(KALPC_VIEW *view)
{
    AlpcpUnmapView(view);
    AlpcpDereferenceRegion(view->Region);
    ExFreePoolWithTag(view, ALPC_VIEW_TAG);
}

NTSTATUS AlpcpMapRegion(ALPC_PORT *port, KALPC_REGION *region, BOOLEAN received,
                        KALPC_VIEW **result)
{
    KALPC_VIEW *view = ExAllocatePoolWithTag(NonPagedPool, sizeof(*view), ALPC_VIEW_TAG);
    EPROCESS *process = PsGetCurrentProcess();
    SIZE_T size = region->Size;
    void *base = NULL;
    NTSTATUS status;
    KIRQL oldIrql;

    if (!view)
        return STATUS_INSUFFICIENT_RESOURCES;
    memset(view, 0, sizeof(*view));
    view->Blob.Type = ALPC_BLOB_VIEW;
    view->Blob.ReferenceCount = 1;              // its port's list's
    view->Region = region;
    __atomic_add_fetch(&region->ReferenceCount, 1, __ATOMIC_RELAXED);
    view->u1.s1.WriteAccess = TRUE;
    view->u1.s1.Received = received;
    status = MmMapViewOfSection(region->Section->SectionObject, process, &base, region->Offset,
                                &size, PAGE_READWRITE);
    if (!NT_SUCCESS(status)) {
        AlpcpDeleteView(view);
        return status;
    }
    ObReferenceObject(process);
    KeAcquireSpinLock(&AlpcpResourceLock, &oldIrql);
    view->OwnerProcess = process;
    view->Address = base;
    view->Size = region->ViewSize;
    region->NumberOfViews++;
    KeReleaseSpinLock(&AlpcpResourceLock, oldIrql);
    status = AlpcpInsertResource(port, &view->Blob, FALSE);
    if (!NT_SUCCESS(status)) {
        AlpcpDereferenceBlob(&view->Blob);
        return status;
    }
    *result = view;
    return STATUS_SUCCESS;
}

NTSTATUS AlpcpDeleteOwnedView(ALPC_PORT *port, KALPC_VIEW *view)
{
    BOOLEAN owned = AlpcpDetachResource(port, &view->Blob);

    if (owned) {
        AlpcpUnmapView(view);
        AlpcpDereferenceBlob(&view->Blob);
    }
    AlpcpDereferenceBlob(&view->Blob);
    return owned ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}

NTSTATUS AlpcpReferenceViewByAddress(ALPC_PORT *port, void *viewBase, KALPC_VIEW **result)
{
    KIRQL oldIrql;

    *result = NULL;
    KeAcquireSpinLock(&AlpcpResourceLock, &oldIrql);
    for (LIST_ENTRY *entry = port->ResourceListHead.Flink;
         viewBase && entry && entry != &port->ResourceListHead; entry = entry->Flink) {
        ALPC_BLOB *blob = CONTAINING_RECORD(entry, ALPC_BLOB, ResourceListEntry);
        KALPC_VIEW *view = CONTAINING_RECORD(blob, KALPC_VIEW, Blob);

        if (blob->Type == ALPC_BLOB_VIEW && view->Address == viewBase) {
            AlpcpReferenceBlob(blob);
            *result = view;
            break;
        }
    }
    KeReleaseSpinLock(&AlpcpResourceLock, oldIrql);
    return *result ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}

// ---- The services -------------------------------------------------------------------

// Flags: 0, or NT's "not secure" (Sleuth's views are never secured, so it
// changes nothing). SectionHandle: a section of the caller's to use (its
// whole size; SectionSize, if given, may not exceed it), else a new one of
// SectionSize bytes (at most ALPC_MAX_SECTION_SIZE: STATUS_SECTION_TOO_BIG).
NTSTATUS NtAlpcCreatePortSection(HANDLE portHandle, ULONG flags, HANDLE sectionHandle,
                                 SIZE_T sectionSize, ALPC_HANDLE *alpcSectionHandle,
                                 SIZE_T *actualSectionSize)
{
    KALPC_SECTION *section;
    SECTION *sectionObject;
    ALPC_PORT *port;
    ALPC_BLOB *removed;
    NTSTATUS status;

    if (flags & ~ALPC_VIEWFLG_NOT_SECURE)
        return STATUS_INVALID_PARAMETER;
    status = ProbeForWrite(alpcSectionHandle, sizeof(*alpcSectionHandle), sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = ProbeForWrite(actualSectionSize, sizeof(*actualSectionSize), sizeof(ULONG));
    if (!NT_SUCCESS(status))
        return status;
    if (sectionHandle) {
        status = ObReferenceObjectByHandle(sectionHandle, SECTION_MAP_READ | SECTION_MAP_WRITE,
                                           MmSectionObjectType, (void **)&sectionObject, NULL);
        if (!NT_SUCCESS(status))
            return status;
        if (sectionSize > sectionObject->SizeOfSection) {
            ObDereferenceObject(sectionObject);
            return STATUS_INVALID_VIEW_SIZE;
        }
    } else if (sectionSize > ALPC_MAX_SECTION_SIZE) {
        return STATUS_SECTION_TOO_BIG;
    } else {
        status = MmCreateSection(sectionSize, PAGE_READWRITE, &sectionObject);
        if (!NT_SUCCESS(status))
            return status;
    }
    status = AlpcpReferencePortByHandle(portHandle, 0, &port);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(sectionObject);
        return status;
    }
    section = ExAllocatePoolWithTag(NonPagedPool, sizeof(*section), ALPC_SECTION_TAG);
    if (!section) {
        ObDereferenceObject(sectionObject);
        ObDereferenceObject(port);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    memset(section, 0, sizeof(*section));
    section->Blob.Type = ALPC_BLOB_SECTION;
    section->Blob.ReferenceCount = 1;           // its port's list's
    section->SectionObject = sectionObject;
    section->Size = sectionObject->SizeOfSection;
    section->OwnerProcess = PsGetCurrentProcess();
    InitializeListHead(&section->RegionListHead);
    status = AlpcpInsertResource(port, &section->Blob, TRUE);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(port);
        AlpcpDeleteSection(section);
        return status;
    }
    status = MmCopyToUser(alpcSectionHandle, &section->Blob.Handle, sizeof(ALPC_HANDLE));
    if (NT_SUCCESS(status))
        status = MmCopyToUser(actualSectionSize, &section->Size, sizeof(SIZE_T));
    // The caller could not be told its handle: nobody could delete it.
    if (!NT_SUCCESS(status) &&
        NT_SUCCESS(AlpcpRemoveResource(port, ALPC_BLOB_SECTION, section->Blob.Handle, &removed)))
        AlpcpDereferenceBlob(removed);
    ObDereferenceObject(port);
    return status;
}

// The handle goes; the section itself stays while views of it do.
NTSTATUS NtAlpcDeletePortSection(HANDLE portHandle, ULONG flags, ALPC_HANDLE sectionHandle)
{
    return AlpcpDeleteResourceByHandle(portHandle, flags, ALPC_BLOB_SECTION, sectionHandle);
}

// A view of ViewSize bytes of the port section SectionHandle, mapped into
// the caller: ViewBase (which must come in 0) and ViewSize come back.
NTSTATUS NtAlpcCreateSectionView(HANDLE portHandle, ULONG flags,
                                 ALPC_DATA_VIEW_ATTR *viewAttributes)
{
    ALPC_DATA_VIEW_ATTR attributes;
    KALPC_REGION *region;
    KALPC_VIEW *view;
    ALPC_PORT *port;
    ALPC_BLOB *blob;
    NTSTATUS status;

    if (flags)
        return STATUS_INVALID_PARAMETER;
    status = ProbeForWrite(viewAttributes, sizeof(*viewAttributes), sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&attributes, viewAttributes, sizeof(attributes));
    if (!NT_SUCCESS(status))
        return status;
    if (attributes.ViewBase || (attributes.Flags & ~ALPC_VIEWFLG_NOT_SECURE))
        return STATUS_INVALID_PARAMETER;
    status = AlpcpReferencePortByHandle(portHandle, 0, &port);
    if (!NT_SUCCESS(status))
        return status;
    status = AlpcpReferenceResource(port, ALPC_BLOB_SECTION, attributes.SectionHandle, &blob);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(port);
        return status;
    }
    if (attributes.ViewSize == 0 ||
        attributes.ViewSize > CONTAINING_RECORD(blob, KALPC_SECTION, Blob)->Size)
        status = STATUS_INVALID_VIEW_SIZE;
    else
        status = AlpcpCreateRegion(CONTAINING_RECORD(blob, KALPC_SECTION, Blob),
                                   attributes.ViewSize, &region);
    AlpcpDereferenceBlob(blob);
    if (NT_SUCCESS(status)) {
        status = AlpcpMapRegion(port, region, FALSE, &view);
        attributes.ViewBase = NT_SUCCESS(status) ? view->Address : NULL;
        AlpcpDereferenceRegion(region);         // the view holds it now
    }
    if (NT_SUCCESS(status)) {
        status = MmCopyToUser(viewAttributes, &attributes, sizeof(attributes));
        if (!NT_SUCCESS(status) &&
            NT_SUCCESS(AlpcpReferenceViewByAddress(port, attributes.ViewBase, &view))) {
            // Nobody could name it: it goes again.
            AlpcpDeleteOwnedView(port, view);
        }
    }
    ObDereferenceObject(port);
    return status;
}

NTSTATUS NtAlpcDeleteSectionView(HANDLE portHandle, ULONG flags, void *viewBase)
{
    KALPC_VIEW *view;
    ALPC_PORT *port;
    NTSTATUS status;

    if (flags)
        return STATUS_INVALID_PARAMETER;
    status = AlpcpReferencePortByHandle(portHandle, 0, &port);
    if (!NT_SUCCESS(status))
        return status;
    status = AlpcpReferenceViewByAddress(port, viewBase, &view);
    if (NT_SUCCESS(status))
        status = AlpcpDeleteOwnedView(port, view);
    ObDereferenceObject(port);
    return status;
}
