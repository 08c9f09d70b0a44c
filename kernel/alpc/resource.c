// The resources a port owns (alpcx.h): its list, the handles user mode
// names them by, reference counts, and the port's rundown of them.

#include "alpc/alpcx.h"

KSPIN_LOCK AlpcpResourceLock;
// Handles are unique to the system (so a handle of one port names nothing
// on another), never 0.
static ULONG_PTR AlpcpNextResourceHandle;

// The list starts empty in a zeroed port; the first use links it. Lock held.
static void AlpcpInitializeResourceList(ALPC_PORT *port)
{
    if (!port->ResourceListHead.Flink)
        InitializeListHead(&port->ResourceListHead);
}

NTSTATUS AlpcpInsertResource(ALPC_PORT *port, ALPC_BLOB *blob, BOOLEAN named)
{
    NTSTATUS status = STATUS_SUCCESS;
    KIRQL oldIrql;

    KeAcquireSpinLock(&AlpcpResourceLock, &oldIrql);
    AlpcpInitializeResourceList(port);
    if (port->ResourcesRundown) {
        status = STATUS_PORT_DISCONNECTED;
    } else if (port->ResourceCount >= ALPC_MAX_PORT_RESOURCES) {
        status = STATUS_INSUFFICIENT_RESOURCES;
    } else {
        if (named) {
            if (++AlpcpNextResourceHandle == 0)
                AlpcpNextResourceHandle = 1;
            blob->Handle = (ALPC_HANDLE)AlpcpNextResourceHandle;
        }
        blob->OwnerPort = port;
        InsertTailList(&port->ResourceListHead, &blob->ResourceListEntry);
        port->ResourceCount++;
    }
    KeReleaseSpinLock(&AlpcpResourceLock, oldIrql);
    return status;
}

// Lock held.
static ALPC_BLOB *AlpcpFindResource(ALPC_PORT *port, ULONG type, ALPC_HANDLE handle)
{
    if (!handle || !port->ResourceListHead.Flink)
        return NULL;
    for (LIST_ENTRY *entry = port->ResourceListHead.Flink; entry != &port->ResourceListHead;
         entry = entry->Flink) {
        ALPC_BLOB *blob = CONTAINING_RECORD(entry, ALPC_BLOB, ResourceListEntry);

        if (blob->Type == type && blob->Handle == handle)
            return blob;
    }
    return NULL;
}

// Off its port's list (lock held); the list's reference is the caller's now.
static void AlpcpUnlinkResource(ALPC_BLOB *blob)
{
    RemoveEntryList(&blob->ResourceListEntry);
    blob->OwnerPort->ResourceCount--;
    blob->OwnerPort = NULL;
}

BOOLEAN AlpcpDetachResource(ALPC_PORT *port, ALPC_BLOB *blob)
{
    BOOLEAN owned;
    KIRQL oldIrql;

    KeAcquireSpinLock(&AlpcpResourceLock, &oldIrql);
    owned = blob->OwnerPort == port;
    if (owned)
        AlpcpUnlinkResource(blob);
    KeReleaseSpinLock(&AlpcpResourceLock, oldIrql);
    return owned;
}

NTSTATUS AlpcpRemoveResource(ALPC_PORT *port, ULONG type, ALPC_HANDLE handle, ALPC_BLOB **blob)
{
    KIRQL oldIrql;

    KeAcquireSpinLock(&AlpcpResourceLock, &oldIrql);
    *blob = AlpcpFindResource(port, type, handle);
    if (*blob)
        AlpcpUnlinkResource(*blob);
    KeReleaseSpinLock(&AlpcpResourceLock, oldIrql);
    return *blob ? STATUS_SUCCESS : STATUS_INVALID_HANDLE;
}

NTSTATUS AlpcpReferenceResource(ALPC_PORT *port, ULONG type, ALPC_HANDLE handle,
                                ALPC_BLOB **blob)
{
    KIRQL oldIrql;

    KeAcquireSpinLock(&AlpcpResourceLock, &oldIrql);
    *blob = AlpcpFindResource(port, type, handle);
    if (*blob)
        AlpcpReferenceBlob(*blob);
    KeReleaseSpinLock(&AlpcpResourceLock, oldIrql);
    return *blob ? STATUS_SUCCESS : STATUS_INVALID_HANDLE;
}

void AlpcpDereferenceBlob(ALPC_BLOB *blob)
{
    if (__atomic_sub_fetch(&blob->ReferenceCount, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    switch (blob->Type) {
    case ALPC_BLOB_SECTION:
        AlpcpDeleteSection(CONTAINING_RECORD(blob, KALPC_SECTION, Blob));
        break;
    case ALPC_BLOB_VIEW:
        AlpcpDeleteView(CONTAINING_RECORD(blob, KALPC_VIEW, Blob));
        break;
    case ALPC_BLOB_SECURITY:
        AlpcpDeleteSecurityData(CONTAINING_RECORD(blob, KALPC_SECURITY_DATA, Blob));
        break;
    default:
        KeBugCheckEx(BAD_POOL_CALLER, 0xA1C, (ULONG64)blob, blob->Type, 0);
    }
}

void AlpcpRundownPortResources(ALPC_PORT *port)
{
    for (;;) {
        ALPC_BLOB *blob = NULL;
        KIRQL oldIrql;

        KeAcquireSpinLock(&AlpcpResourceLock, &oldIrql);
        AlpcpInitializeResourceList(port);
        port->ResourcesRundown = TRUE;
        if (!IsListEmpty(&port->ResourceListHead)) {
            blob = CONTAINING_RECORD(port->ResourceListHead.Flink, ALPC_BLOB,
                                     ResourceListEntry);
            AlpcpUnlinkResource(blob);
        }
        KeReleaseSpinLock(&AlpcpResourceLock, oldIrql);
        if (!blob)
            return;
        // A view leaves its process now, even if messages still carry it.
        if (blob->Type == ALPC_BLOB_VIEW)
            AlpcpUnmapView(CONTAINING_RECORD(blob, KALPC_VIEW, Blob));
        AlpcpDereferenceBlob(blob);
    }
}

NTSTATUS AlpcpDeleteResourceByHandle(HANDLE portHandle, ULONG flags, ULONG type,
                                     ALPC_HANDLE handle)
{
    ALPC_PORT *port;
    ALPC_BLOB *blob;
    NTSTATUS status;

    if (flags)
        return STATUS_INVALID_PARAMETER;
    status = AlpcpReferencePortByHandle(portHandle, 0, &port);
    if (!NT_SUCCESS(status))
        return status;
    status = AlpcpRemoveResource(port, type, handle, &blob);
    ObDereferenceObject(port);
    if (NT_SUCCESS(status))
        AlpcpDereferenceBlob(blob);
    return status;
}
