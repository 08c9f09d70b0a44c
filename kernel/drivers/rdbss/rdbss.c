// rdbss.sys: the redirector's buffering subsystem, the library its
// mini-redirectors (mrxsmb.sys) import (rx.h tells the structures). It
// takes every IRP the mini-redirector's device gets (RxFsdDispatch):
//
// - a create of \server\share\... finds the server's SRV_CALL or builds
//   one and asks the mini-redirector to connect to it; while the connection
//   is being made the SRV_CALL is in transition and the create waits for
//   it to become stable, in RxWaitForStableCondition, as NT's does: the
//   RX_CONTEXT (pool tag RxIr) on the SRV_CALL's TransitionWaitList, the
//   wait on its SyncEvent. A server that never becomes stable keeps every
//   create for it waiting, each for as long.
// - Mup's provider query (IOCTL_REDIR_QUERY_PATH) is claimed at once for a
//   server it has no SRV_CALL for or a good one, failed for a bad one, and
//   kept pending for one in transition until the transition ends.
//
// RxCeSend sends a mini-redirector's IRP to its transport and keeps it on
// rdbss!RxIrpsList (0x30-byte entries, the IRP at +0x10) until it
// completes, which is where the case study found the transport's requests.
// There is no SMB protocol behind a good server: a create that reaches one
// fails with STATUS_BAD_NETWORK_PATH.

#include "drivers/rdbss/rx.h"
#include "ps/ps.h"

#define RDBSS_NTC_RX_CONTEXT 0xeb0b

static KSPIN_LOCK RxLock;                   // the lists below and every SRV_CALL's state
static LIST_ENTRY RxSrvCalls;               // SRV_CALL.SrvCallLinks
LIST_ENTRY RxIrpsList;                      // RX_IRP_LIST_ITEM.IrpsList; read by the debugger
static DEVICE_OBJECT *RxMinirdrDevice;
static MINIRDR_DISPATCH RxMinirdr;

static NTSTATUS RxCompleteRequest(IRP *irp, NTSTATUS status, ULONG_PTR information)
{
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = information;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

// The \server part of a path \server\share\...: its length in characters,
// 0 if the path has none.
static USHORT RxServerNameLength(const UNICODE_STRING *path)
{
    USHORT count = path->Length / sizeof(WCHAR), i;

    if (count < 2 || path->Buffer[0] != u'\\')
        return 0;
    for (i = 1; i < count && path->Buffer[i] != u'\\'; i++)
        ;
    return i > 1 ? i : 0;
}

// The \server\share part: its length in characters.
static USHORT RxPrefixLength(const UNICODE_STRING *path)
{
    USHORT count = path->Length / sizeof(WCHAR), i = RxServerNameLength(path);

    if (i == 0 || i >= count)
        return i;
    for (i++; i < count && path->Buffer[i] != u'\\'; i++)
        ;
    return i;
}

// Under RxLock.
static SRV_CALL *RxFindSrvCall(const WCHAR *name, USHORT length)
{
    UNICODE_STRING wanted = {.Length = length * sizeof(WCHAR),
                             .MaximumLength = length * sizeof(WCHAR),
                             .Buffer = (WCHAR *)name};

    for (LIST_ENTRY *entry = RxSrvCalls.Flink; entry != &RxSrvCalls; entry = entry->Flink) {
        SRV_CALL *srvCall = CONTAINING_RECORD(entry, SRV_CALL, SrvCallLinks);

        if (RtlEqualUnicodeString(&srvCall->Name, &wanted, TRUE))
            return srvCall;
    }
    return NULL;
}

static RX_CONTEXT *RxCreateRxContext(DEVICE_OBJECT *device, IRP *irp)
{
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);
    RX_CONTEXT *rxContext = ExAllocatePoolWithTag(NonPagedPool, sizeof(*rxContext),
                                                  RX_CONTEXT_TAG);

    if (!rxContext)
        return NULL;
    memset(rxContext, 0, sizeof(*rxContext));
    rxContext->NodeTypeCode = RDBSS_NTC_RX_CONTEXT;
    rxContext->NodeByteSize = sizeof(*rxContext);
    rxContext->MajorFunction = stack->MajorFunction;
    rxContext->MinorFunction = stack->MinorFunction;
    rxContext->CurrentIrp = irp;
    rxContext->FileObject = stack->FileObject;
    rxContext->RxDeviceObject = device;
    rxContext->OriginalThread = PsGetCurrentThread();
    InitializeListHead(&rxContext->ContextListEntry);
    KeInitializeEvent(&rxContext->SyncEvent, SynchronizationEvent, FALSE);
    return rxContext;
}

// Waits until *condition is no longer in transition; rxContext waits on
// transitionWaitList meanwhile. The condition's status when it is stable.
__attribute__((noinline)) static NTSTATUS RxWaitForStableCondition(
    RX_CONTEXT *rxContext, RX_BLOCK_CONDITION *condition, LIST_ENTRY *transitionWaitList,
    const NTSTATUS *stableStatus)
{
    NTSTATUS status;
    KIRQL irql;

    KeAcquireSpinLock(&RxLock, &irql);
    if (*condition != Condition_InTransition) {
        KeReleaseSpinLock(&RxLock, irql);
        return *condition == Condition_Good ? STATUS_SUCCESS : *stableStatus;
    }
    InsertTailList(transitionWaitList, &rxContext->ContextListEntry);
    KeReleaseSpinLock(&RxLock, irql);
    status = FsRtlCancellableWaitForSingleObject(&rxContext->SyncEvent, NULL,
                                                 rxContext->CurrentIrp);
    KeAcquireSpinLock(&RxLock, &irql);
    // Still listed when the wait ended for another reason (cancel, exit).
    if (!IsListEmpty(&rxContext->ContextListEntry)) {
        RemoveEntryList(&rxContext->ContextListEntry);
        InitializeListHead(&rxContext->ContextListEntry);
    }
    if (NT_SUCCESS(status))
        status = *condition == Condition_Good ? STATUS_SUCCESS : *stableStatus;
    KeReleaseSpinLock(&RxLock, irql);
    return status;
}

// The server's SRV_CALL, found or built (its connection started), then
// stable: what a tree connect needs before it can go on.
__attribute__((noinline)) static NTSTATUS RxFindOrCreateConnections(RX_CONTEXT *rxContext)
{
    USHORT length = RxServerNameLength(&rxContext->PrefixName);
    SRV_CALL *srvCall, *fresh;
    NTSTATUS status = STATUS_SUCCESS;
    KIRQL irql;

    if (length == 0 || length > RX_SERVER_NAME_CHARS)
        return STATUS_OBJECT_NAME_INVALID;
    fresh = ExAllocatePoolWithTag(NonPagedPool, sizeof(*fresh), RX_SRVCALL_TAG);
    if (!fresh)
        return STATUS_INSUFFICIENT_RESOURCES;
    KeAcquireSpinLock(&RxLock, &irql);
    srvCall = RxFindSrvCall(rxContext->PrefixName.Buffer, length);
    if (!srvCall) {
        srvCall = fresh;
        fresh = NULL;
        memset(srvCall, 0, sizeof(*srvCall));
        memcpy(srvCall->NameBuffer, rxContext->PrefixName.Buffer, length * sizeof(WCHAR));
        srvCall->Name.Buffer = srvCall->NameBuffer;
        srvCall->Name.Length = srvCall->Name.MaximumLength = length * sizeof(WCHAR);
        srvCall->Condition = Condition_InTransition;
        srvCall->Status = STATUS_PENDING;
        InitializeListHead(&srvCall->TransitionWaitList);
        InitializeListHead(&srvCall->PendingQueries);
        srvCall->RxDeviceObject = rxContext->RxDeviceObject;
        srvCall->CreateTickCount = KeTickCount;
        InsertTailList(&RxSrvCalls, &srvCall->SrvCallLinks);
        KeReleaseSpinLock(&RxLock, irql);
        status = RxMinirdr.MRxCreateSrvCall(srvCall);
        if (!NT_SUCCESS(status))
            RxFinishSrvCallConstruction(srvCall, status);
    } else {
        KeReleaseSpinLock(&RxLock, irql);
    }
    if (fresh)
        ExFreePoolWithTag(fresh, RX_SRVCALL_TAG);
    rxContext->SrvCall = srvCall;
    return RxWaitForStableCondition(rxContext, &srvCall->Condition,
                                    &srvCall->TransitionWaitList, &srvCall->Status);
}

__attribute__((noinline)) static NTSTATUS RxConstructVirtualNetRoot(RX_CONTEXT *rxContext)
{
    NTSTATUS status = RxFindOrCreateConnections(rxContext);

    // A stable, good server: there is no SMB session behind it to open
    // the share on.
    return NT_SUCCESS(status) ? STATUS_BAD_NETWORK_PATH : status;
}

__attribute__((noinline)) static NTSTATUS RxFindOrConstructVirtualNetRoot(RX_CONTEXT *rxContext)
{
    return RxConstructVirtualNetRoot(rxContext);
}

__attribute__((noinline)) static NTSTATUS RxCreateTreeConnect(RX_CONTEXT *rxContext)
{
    FILE_OBJECT *fileObject = rxContext->FileObject;
    USHORT length;

    if (!fileObject)
        return STATUS_INVALID_PARAMETER;
    length = RxPrefixLength(&fileObject->FileName);
    if (length == 0 || length > ARRAYSIZE(rxContext->PrefixBuffer))
        return STATUS_OBJECT_NAME_INVALID;
    memcpy(rxContext->PrefixBuffer, fileObject->FileName.Buffer, length * sizeof(WCHAR));
    rxContext->PrefixName.Buffer = rxContext->PrefixBuffer;
    rxContext->PrefixName.Length = rxContext->PrefixName.MaximumLength = length * sizeof(WCHAR);
    return RxFindOrConstructVirtualNetRoot(rxContext);
}

__attribute__((noinline)) static NTSTATUS RxCommonCreate(RX_CONTEXT *rxContext)
{
    FILE_OBJECT *fileObject = rxContext->FileObject;

    if (!fileObject || fileObject->FileName.Length == 0)
        return STATUS_SUCCESS;          // the device itself
    return RxCreateTreeConnect(rxContext);
}

// Mup's query: claimed (the \server\share prefix), failed, or kept until
// the server is stable.
__attribute__((noinline)) static NTSTATUS RxCommonDeviceControl(RX_CONTEXT *rxContext,
                                                                BOOLEAN *pending)
{
    IRP *irp = rxContext->CurrentIrp;
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);
    RX_QUERY_PATH *query = irp->AssociatedIrp.SystemBuffer;
    UNICODE_STRING path;
    SRV_CALL *srvCall;
    NTSTATUS status;
    USHORT length;
    KIRQL irql;

    if (stack->Parameters.DeviceIoControl.IoControlCode != IOCTL_REDIR_QUERY_PATH)
        return STATUS_INVALID_DEVICE_REQUEST;
    if (!query || stack->Parameters.DeviceIoControl.InputBufferLength < sizeof(*query) ||
        stack->Parameters.DeviceIoControl.OutputBufferLength < sizeof(*query) ||
        query->PathNameLength > stack->Parameters.DeviceIoControl.InputBufferLength -
                                    sizeof(*query) || query->PathNameLength > 0xfffe)
        return STATUS_INVALID_PARAMETER;
    path.Buffer = query->FilePathName;
    path.Length = path.MaximumLength = (USHORT)query->PathNameLength;
    length = RxServerNameLength(&path);
    if (length == 0)
        return STATUS_BAD_NETWORK_PATH;
    KeAcquireSpinLock(&RxLock, &irql);
    srvCall = RxFindSrvCall(path.Buffer, length);
    if (srvCall && srvCall->Condition == Condition_InTransition) {
        IoMarkIrpPending(irp);
        InsertTailList(&srvCall->PendingQueries, &irp->Tail.Overlay.ListEntry);
        KeReleaseSpinLock(&RxLock, irql);
        *pending = TRUE;
        return STATUS_PENDING;
    }
    status = srvCall && srvCall->Condition != Condition_Good ? srvCall->Status : STATUS_SUCCESS;
    KeReleaseSpinLock(&RxLock, irql);
    if (NT_SUCCESS(status))
        query->LengthAccepted = RxPrefixLength(&path) * sizeof(WCHAR);
    return status;
}

__attribute__((noinline)) static NTSTATUS RxFsdCommonDispatch(DEVICE_OBJECT *device, IRP *irp)
{
    RX_CONTEXT *rxContext = RxCreateRxContext(device, irp);
    BOOLEAN pending = FALSE;
    NTSTATUS status;

    if (!rxContext)
        return RxCompleteRequest(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    switch (rxContext->MajorFunction) {
    case IRP_MJ_CREATE:
        status = RxCommonCreate(rxContext);
        break;
    case IRP_MJ_DEVICE_CONTROL:
        status = RxCommonDeviceControl(rxContext, &pending);
        break;
    case IRP_MJ_CLEANUP:
    case IRP_MJ_CLOSE:
        status = STATUS_SUCCESS;
        break;
    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }
    ExFreePoolWithTag(rxContext, RX_CONTEXT_TAG);
    if (pending)
        return STATUS_PENDING;
    return RxCompleteRequest(irp, status,
                             NT_SUCCESS(status) && IoGetCurrentIrpStackLocation(irp)->MajorFunction
                                 == IRP_MJ_DEVICE_CONTROL ? sizeof(RX_QUERY_PATH) : 0);
}

__attribute__((noinline)) NTSTATUS RxFsdDispatch(DEVICE_OBJECT *device, IRP *irp)
{
    if (device != RxMinirdrDevice)
        return RxCompleteRequest(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    return RxFsdCommonDispatch(device, irp);
}

void RxFinishSrvCallConstruction(SRV_CALL *srvCall, NTSTATUS status)
{
    LIST_ENTRY queries;
    KIRQL irql;

    InitializeListHead(&queries);
    KeAcquireSpinLock(&RxLock, &irql);
    srvCall->Status = status;
    srvCall->Condition = NT_SUCCESS(status) ? Condition_Good : Condition_Bad;
    while (!IsListEmpty(&srvCall->TransitionWaitList)) {
        RX_CONTEXT *waiter = CONTAINING_RECORD(RemoveHeadList(&srvCall->TransitionWaitList),
                                               RX_CONTEXT, ContextListEntry);

        InitializeListHead(&waiter->ContextListEntry);
        KeSetEvent(&waiter->SyncEvent, IO_NO_INCREMENT, FALSE);
    }
    while (!IsListEmpty(&srvCall->PendingQueries))
        InsertTailList(&queries, RemoveHeadList(&srvCall->PendingQueries));
    KeReleaseSpinLock(&RxLock, irql);
    while (!IsListEmpty(&queries)) {
        IRP *irp = CONTAINING_RECORD(RemoveHeadList(&queries), IRP, Tail.Overlay.ListEntry);
        RX_QUERY_PATH *query = irp->AssociatedIrp.SystemBuffer;
        UNICODE_STRING path = {.Length = (USHORT)query->PathNameLength,
                               .MaximumLength = (USHORT)query->PathNameLength,
                               .Buffer = query->FilePathName};

        if (NT_SUCCESS(status))
            query->LengthAccepted = RxPrefixLength(&path) * sizeof(WCHAR);
        RxCompleteRequest(irp, status, NT_SUCCESS(status) ? sizeof(RX_QUERY_PATH) : 0);
    }
}

NTSTATUS RxCeSend(DEVICE_OBJECT *transport, IRP *irp, SRV_CALL *srvCall)
{
    RX_IRP_LIST_ITEM *item = ExAllocatePoolWithTag(NonPagedPool, sizeof(*item), RX_IRPLIST_TAG);
    KIRQL irql;

    if (item) {
        item->Irp = irp;
        item->Transport = transport;
        item->SrvCall = srvCall;
        item->SendTickCount = KeTickCount;
        KeAcquireSpinLock(&RxLock, &irql);
        InsertTailList(&RxIrpsList, &item->IrpsList);
        KeReleaseSpinLock(&RxLock, irql);
    }
    return IoCallDriver(transport, irp);
}

void RxCeIrpCompleted(IRP *irp)
{
    RX_IRP_LIST_ITEM *found = NULL;
    KIRQL irql;

    KeAcquireSpinLock(&RxLock, &irql);
    for (LIST_ENTRY *entry = RxIrpsList.Flink; entry != &RxIrpsList; entry = entry->Flink) {
        RX_IRP_LIST_ITEM *item = CONTAINING_RECORD(entry, RX_IRP_LIST_ITEM, IrpsList);

        if (item->Irp == irp) {
            RemoveEntryList(entry);
            found = item;
            break;
        }
    }
    KeReleaseSpinLock(&RxLock, irql);
    if (found)
        ExFreePoolWithTag(found, RX_IRPLIST_TAG);
}

NTSTATUS RxRegisterMinirdr(DEVICE_OBJECT *device, const MINIRDR_DISPATCH *dispatch)
{
    if (RxMinirdrDevice)
        return STATUS_OBJECT_NAME_COLLISION;    // one mini-redirector here
    RxMinirdr = *dispatch;
    RxMinirdrDevice = device;
    return STATUS_SUCCESS;
}

void RxUnregisterMinirdr(DEVICE_OBJECT *device)
{
    if (RxMinirdrDevice == device)
        RxMinirdrDevice = NULL;
}

// Its SRV_CALLs go with it (a mini-redirector, which imports it, is
// unloaded first; the transport's IRPs have ended by then).
static void RxUnload(DRIVER_OBJECT *driverObject)
{
    UNREFERENCED_PARAMETER(driverObject);
    while (!IsListEmpty(&RxSrvCalls))
        ExFreePoolWithTag(CONTAINING_RECORD(RemoveHeadList(&RxSrvCalls), SRV_CALL,
                                            SrvCallLinks), RX_SRVCALL_TAG);
}

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    UNREFERENCED_PARAMETER(registryPath);
    KeInitializeSpinLock(&RxLock);
    InitializeListHead(&RxSrvCalls);
    InitializeListHead(&RxIrpsList);
    driverObject->DriverUnload = RxUnload;
    return STATUS_SUCCESS;
}
