// smb.sys: the transport of the third case study, \Device\Smb (driver
// \Driver\Smb), reduced to its failure: it takes every device control
// request (Mup's provider queries among them), marks it pending, queues it,
// and never answers, as a transport whose server stopped answering would.
// Opens and closes of the device itself succeed at once (Mup opens it when
// it loads). A queued request can still end: cancelling it (IoCancelIrp,
// the opener's thread ending) completes it with STATUS_CANCELLED, and so
// does unloading the driver, so that nothing is left pending on code that
// is gone.

#include "io/io.h"

static const WCHAR SmbDeviceName[] = u"\\Device\\Smb";

static KSPIN_LOCK SmbQueueLock;
static LIST_ENTRY SmbPendingIrps;       // through Tail.Overlay.ListEntry

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

// Every request: queued, pending, never answered.
__attribute__((noinline)) static NTSTATUS SmbDispatchDeviceControl(DEVICE_OBJECT *device,
                                                                   IRP *irp)
{
    KIRQL irql;

    UNREFERENCED_PARAMETER(device);
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
