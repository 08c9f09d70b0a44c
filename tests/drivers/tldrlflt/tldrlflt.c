// tldrlflt.sys: a legacy file system filter over \Device\Mup, as demo=io's
// mupflt.sys was before it became a minifilter: it passes every request
// down, a create with a completion routine of its own. The in-kernel test
// of the filter-unload hazard (tests/kernel/test_iodemo.c) unloads it while
// a create it passed down is pending below it: the open's reference on the
// top device keeps its device, driver and image until the create ends.

#include "io/io.h"

static const WCHAR TldrLFltTargetName[] = u"\\Device\\Mup";

static DEVICE_OBJECT *TldrLFltDevice;     // attached over \Device\Mup
static DEVICE_OBJECT *TldrLFltLower;      // what requests are passed to

// Read by the debugger (x mupflt!TldrLFlt*): opens seen to their end.
volatile LONG TldrLFltCreatesCompleted;

__attribute__((noinline)) static NTSTATUS TldrLFltCreateCompletion(DEVICE_OBJECT *device,
                                                                 IRP *irp, void *context)
{
    UNREFERENCED_PARAMETER(device);
    UNREFERENCED_PARAMETER(context);
    __atomic_add_fetch(&TldrLFltCreatesCompleted, 1, __ATOMIC_RELAXED);
    if (irp->PendingReturned)
        IoMarkIrpPending(irp);
    return STATUS_SUCCESS;
}

__attribute__((noinline)) static NTSTATUS TldrLFltCreate(DEVICE_OBJECT *device, IRP *irp)
{
    UNREFERENCED_PARAMETER(device);
    IoCopyCurrentIrpStackLocationToNext(irp);
    IoSetCompletionRoutine(irp, TldrLFltCreateCompletion, NULL, TRUE, TRUE, TRUE);
    return IoCallDriver(TldrLFltLower, irp);
}

static NTSTATUS TldrLFltPassThrough(DEVICE_OBJECT *device, IRP *irp)
{
    UNREFERENCED_PARAMETER(device);
    IoSkipCurrentIrpStackLocation(irp);
    return IoCallDriver(TldrLFltLower, irp);
}

static void TldrLFltUnload(DRIVER_OBJECT *driverObject)
{
    UNREFERENCED_PARAMETER(driverObject);
    IoDetachDevice(TldrLFltLower);
    IoDeleteDevice(TldrLFltDevice);
}

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name;
    FILE_OBJECT *fileObject;
    DEVICE_OBJECT *top;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(registryPath);
    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        driverObject->MajorFunction[i] = TldrLFltPassThrough;
    driverObject->MajorFunction[IRP_MJ_CREATE] = TldrLFltCreate;
    RtlInitUnicodeString(&name, TldrLFltTargetName);
    // Opening the device itself: Mup answers that at once.
    status = IoGetDeviceObjectPointer(&name, FILE_READ_ATTRIBUTES, &fileObject, &top);
    if (!NT_SUCCESS(status))
        return status;
    status = IoCreateDevice(driverObject, 0, NULL, FILE_DEVICE_DISK_FILE_SYSTEM, 0, FALSE,
                            &TldrLFltDevice);
    if (NT_SUCCESS(status)) {
        TldrLFltLower = IoAttachDeviceToDeviceStack(TldrLFltDevice, fileObject->DeviceObject);
        if (!TldrLFltLower) {
            IoDeleteDevice(TldrLFltDevice);
            status = STATUS_NO_SUCH_DEVICE;
        } else {
            TldrLFltDevice->Flags &= ~DO_DEVICE_INITIALIZING;
            driverObject->DriverUnload = TldrLFltUnload;
        }
    }
    ObDereferenceObject(fileObject);
    return status;
}
