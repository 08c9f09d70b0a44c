// mupflt.sys: a legacy file system filter over \Device\Mup (driver
// \FileSystem\MupFlt), standing where the case study's filter manager
// stands above Mup. It passes every request down unchanged; a create it
// passes with a completion routine of its own, which sees every open of a
// UNC path end (success, error or cancel) and counts them. It attaches when
// it loads, so Mup must be loaded first.
//
// Unload it only when no open is in flight through it (the tests do so
// after the opens ended): as for NT's legacy filters, nothing keeps its
// device, and so its image, while a create below it still has its
// completion routine to call, and the demo's create never ends on its own.

#include "io/io.h"

static const WCHAR MupFltTargetName[] = u"\\Device\\Mup";

static DEVICE_OBJECT *MupFltDevice;     // attached over \Device\Mup
static DEVICE_OBJECT *MupFltLower;      // what requests are passed to

// Read by the debugger (x mupflt!MupFlt*): opens seen to their end.
volatile LONG MupFltCreatesCompleted;

__attribute__((noinline)) static NTSTATUS MupFltCreateCompletion(DEVICE_OBJECT *device,
                                                                 IRP *irp, void *context)
{
    UNREFERENCED_PARAMETER(device);
    UNREFERENCED_PARAMETER(context);
    __atomic_add_fetch(&MupFltCreatesCompleted, 1, __ATOMIC_RELAXED);
    if (irp->PendingReturned)
        IoMarkIrpPending(irp);
    return STATUS_SUCCESS;
}

__attribute__((noinline)) static NTSTATUS MupFltCreate(DEVICE_OBJECT *device, IRP *irp)
{
    UNREFERENCED_PARAMETER(device);
    IoCopyCurrentIrpStackLocationToNext(irp);
    IoSetCompletionRoutine(irp, MupFltCreateCompletion, NULL, TRUE, TRUE, TRUE);
    return IoCallDriver(MupFltLower, irp);
}

static NTSTATUS MupFltPassThrough(DEVICE_OBJECT *device, IRP *irp)
{
    UNREFERENCED_PARAMETER(device);
    IoSkipCurrentIrpStackLocation(irp);
    return IoCallDriver(MupFltLower, irp);
}

static void MupFltUnload(DRIVER_OBJECT *driverObject)
{
    UNREFERENCED_PARAMETER(driverObject);
    IoDetachDevice(MupFltLower);
    IoDeleteDevice(MupFltDevice);
}

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name;
    FILE_OBJECT *fileObject;
    DEVICE_OBJECT *top;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(registryPath);
    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        driverObject->MajorFunction[i] = MupFltPassThrough;
    driverObject->MajorFunction[IRP_MJ_CREATE] = MupFltCreate;
    RtlInitUnicodeString(&name, MupFltTargetName);
    // Opening the device itself: Mup answers that at once.
    status = IoGetDeviceObjectPointer(&name, FILE_READ_ATTRIBUTES, &fileObject, &top);
    if (!NT_SUCCESS(status))
        return status;
    status = IoCreateDevice(driverObject, 0, NULL, FILE_DEVICE_DISK_FILE_SYSTEM, 0, FALSE,
                            &MupFltDevice);
    if (NT_SUCCESS(status)) {
        MupFltLower = IoAttachDeviceToDeviceStack(MupFltDevice, fileObject->DeviceObject);
        if (!MupFltLower) {
            IoDeleteDevice(MupFltDevice);
            status = STATUS_NO_SUCH_DEVICE;
        } else {
            MupFltDevice->Flags &= ~DO_DEVICE_INITIALIZING;
            driverObject->DriverUnload = MupFltUnload;
        }
    }
    ObDereferenceObject(fileObject);
    return status;
}
