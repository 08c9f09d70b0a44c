// smb.sys: the transport of the third case study, \Device\Smb (driver
// \Driver\Smb), reduced to its failure: it takes every device control
// request (Mup's provider queries among them), marks it pending, queues it,
// and never answers, as a transport whose server stopped answering would.
// Opens and closes of the device itself succeed at once (Mup opens it when
// it loads). A queued request can still end: cancelling it (IoCancelIrp,
// the opener's thread ending) completes it with STATUS_CANCELLED, and so
// does unloading the driver, so that nothing is left pending on code that
// is gone.
//
// A connect request (IRP_MJ_INTERNAL_DEVICE_CONTROL, TDI_CONNECT: the
// redirector's, exercise 003) is not started in the caller's context: the
// transport queues a work item, smb!SmbDelayedStartTcpSession, on the
// system's Delayed worker queue, as NT's smb.sys does, and the connect
// stays pending until a worker runs it. There is no network behind this
// transport: the session start fails every connect it finds with
// STATUS_BAD_NETWORK_PATH (the redirector then gives up on the server). If
// the Delayed queue's workers are all stuck elsewhere, it never runs, and
// every connect waits for it.

#include "io/io.h"

#define TDI_CONNECT 3                   // the minor function of a connect request

static const WCHAR SmbDeviceName[] = u"\\Device\\Smb";

static KSPIN_LOCK SmbQueueLock;
static LIST_ENTRY SmbPendingIrps;       // through Tail.Overlay.ListEntry
// Read by the debugger (x smb!SmbSessionStartsQueued): session starts queued, not yet run.
volatile LONG SmbSessionStartsQueued;

static void SmbCompleteCancelled(IRP *irp)
{
    irp->IoStatus.Status = STATUS_CANCELLED;
    irp->IoStatus.Information = 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
}

// Called with the cancel spin lock held, after IoCancelIrp took the routine
// away: the IRP is still on the queue, and is ours to complete.
static void SmbCancelIrp(DEVICE_OBJECT *device, IRP *irp)
{
    KIRQL irql;

    UNREFERENCED_PARAMETER(device);
    IoReleaseCancelSpinLock(irp->CancelIrql);
    KeAcquireSpinLock(&SmbQueueLock, &irql);
    RemoveEntryList(&irp->Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&SmbQueueLock, irql);
    SmbCompleteCancelled(irp);
}

// The Delayed worker queue's item: starts the TCP sessions the pending
// connects asked for. With no network, each fails.
__attribute__((noinline)) static void SmbDelayedStartTcpSession(DEVICE_OBJECT *device,
                                                                void *context)
{
    LIST_ENTRY failed;
    KIRQL irql;

    UNREFERENCED_PARAMETER(device);
    InitializeListHead(&failed);
    KeAcquireSpinLock(&SmbQueueLock, &irql);
    for (LIST_ENTRY *entry = SmbPendingIrps.Flink, *next; entry != &SmbPendingIrps;
         entry = next) {
        IRP *irp = CONTAINING_RECORD(entry, IRP, Tail.Overlay.ListEntry);
        IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);

        next = entry->Flink;
        if (stack->MajorFunction == IRP_MJ_INTERNAL_DEVICE_CONTROL &&
            stack->MinorFunction == TDI_CONNECT && IoSetCancelRoutine(irp, NULL)) {
            RemoveEntryList(entry);
            InsertTailList(&failed, entry);
        }
    }
    KeReleaseSpinLock(&SmbQueueLock, irql);
    while (!IsListEmpty(&failed)) {
        IRP *irp = CONTAINING_RECORD(RemoveHeadList(&failed), IRP, Tail.Overlay.ListEntry);

        irp->IoStatus.Status = STATUS_BAD_NETWORK_PATH;
        irp->IoStatus.Information = 0;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
    }
    __atomic_sub_fetch(&SmbSessionStartsQueued, 1, __ATOMIC_RELAXED);
    IoFreeWorkItem(context);
}

// A connect: its session is started by a work item on the Delayed queue.
static void SmbQueueSessionStart(DEVICE_OBJECT *device)
{
    IO_WORKITEM *item = IoAllocateWorkItem(device);

    if (!item)
        return;         // the connect waits for the next one (or a cancel)
    __atomic_add_fetch(&SmbSessionStartsQueued, 1, __ATOMIC_RELAXED);
    IoQueueWorkItem(item, SmbDelayedStartTcpSession, DelayedWorkQueue, item);
}

// Every request: queued, pending, never answered.
__attribute__((noinline)) static NTSTATUS SmbDispatchDeviceControl(DEVICE_OBJECT *device,
                                                                   IRP *irp)
{
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);
    BOOLEAN connect = stack->MajorFunction == IRP_MJ_INTERNAL_DEVICE_CONTROL &&
                      stack->MinorFunction == TDI_CONNECT;
    KIRQL irql;

    IoMarkIrpPending(irp);
    KeAcquireSpinLock(&SmbQueueLock, &irql);
    InsertTailList(&SmbPendingIrps, &irp->Tail.Overlay.ListEntry);
    IoSetCancelRoutine(irp, SmbCancelIrp);
    // Cancelled before the routine was set, and nobody called it: ours to end.
    if (irp->Cancel && IoSetCancelRoutine(irp, NULL)) {
        RemoveEntryList(&irp->Tail.Overlay.ListEntry);
        KeReleaseSpinLock(&SmbQueueLock, irql);
        SmbCompleteCancelled(irp);
        return STATUS_PENDING;
    }
    KeReleaseSpinLock(&SmbQueueLock, irql);
    if (connect)
        SmbQueueSessionStart(device);
    return STATUS_PENDING;
}

static NTSTATUS SmbCreateClose(DEVICE_OBJECT *device, IRP *irp)
{
    UNREFERENCED_PARAMETER(device);
    irp->IoStatus.Status = STATUS_SUCCESS;
    irp->IoStatus.Information = 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

// Ends every queued request. One whose cancel routine is already running
// is left to it: we wait until it has taken the IRP off the queue.
static void SmbUnload(DRIVER_OBJECT *driverObject)
{
    LARGE_INTEGER interval = {.QuadPart = -10LL * 1000};   // 1 ms
    KIRQL irql;


    for (;;) {
        IRP *irp;

        KeAcquireSpinLock(&SmbQueueLock, &irql);
        if (IsListEmpty(&SmbPendingIrps)) {
            KeReleaseSpinLock(&SmbQueueLock, irql);
            break;
        }
        irp = CONTAINING_RECORD(SmbPendingIrps.Flink, IRP, Tail.Overlay.ListEntry);
        if (IoSetCancelRoutine(irp, NULL)) {
            RemoveEntryList(&irp->Tail.Overlay.ListEntry);
            KeReleaseSpinLock(&SmbQueueLock, irql);
            SmbCompleteCancelled(irp);
        } else {
            KeReleaseSpinLock(&SmbQueueLock, irql);
            KeDelayExecutionThread(KernelMode, FALSE, &interval);
        }
    }
    if (driverObject->DeviceObject)
        IoDeleteDevice(driverObject->DeviceObject);
}

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name;
    DEVICE_OBJECT *device;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(registryPath);
    KeInitializeSpinLock(&SmbQueueLock);
    InitializeListHead(&SmbPendingIrps);
    RtlInitUnicodeString(&name, SmbDeviceName);
    status = IoCreateDevice(driverObject, 0, &name, FILE_DEVICE_NETWORK, 0, FALSE, &device);
    if (!NT_SUCCESS(status))
        return status;
    device->Flags &= ~DO_DEVICE_INITIALIZING;
    driverObject->MajorFunction[IRP_MJ_CREATE] = SmbCreateClose;
    driverObject->MajorFunction[IRP_MJ_CLEANUP] = SmbCreateClose;
    driverObject->MajorFunction[IRP_MJ_CLOSE] = SmbCreateClose;
    driverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = SmbDispatchDeviceControl;
    driverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = SmbDispatchDeviceControl;
    driverObject->DriverUnload = SmbUnload;
    return STATUS_SUCCESS;
}
