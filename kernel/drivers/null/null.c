// The null device, \Device\Null (and \??\NUL): the first driver loaded
// from its own image, and the shortest path an IRP can take. Opens and
// closes succeed, a read is always at end of file, a write takes every
// byte. Each request is completed in its dispatch routine, synchronously.

#include "io/io.h"

static const WCHAR NullDeviceName[] = u"\\Device\\Null";
static const WCHAR NullLinkName[] = u"\\??\\NUL";

static NTSTATUS NullComplete(IRP *irp, NTSTATUS status, ULONG_PTR information)
{
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = information;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

static NTSTATUS NullCreateClose(DEVICE_OBJECT *deviceObject, IRP *irp)
{
    return NullComplete(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS NullRead(DEVICE_OBJECT *deviceObject, IRP *irp)
{
    return NullComplete(irp, STATUS_END_OF_FILE, 0);
}

static NTSTATUS NullWrite(DEVICE_OBJECT *deviceObject, IRP *irp)
{
    return NullComplete(irp, STATUS_SUCCESS,
                        IoGetCurrentIrpStackLocation(irp)->Parameters.Write.Length);
}

static void NullUnload(DRIVER_OBJECT *driverObject)
{
    UNICODE_STRING link;

    RtlInitUnicodeString(&link, NullLinkName);
    IoDeleteSymbolicLink(&link);
    if (driverObject->DeviceObject)
        IoDeleteDevice(driverObject->DeviceObject);
}

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    UNICODE_STRING deviceName, link;
    DEVICE_OBJECT *device;
    NTSTATUS status;

    RtlInitUnicodeString(&deviceName, NullDeviceName);
    status = IoCreateDevice(driverObject, 0, &deviceName, FILE_DEVICE_NULL, 0, FALSE, &device);
    if (!NT_SUCCESS(status))
        return status;
    RtlInitUnicodeString(&link, NullLinkName);
    status = IoCreateSymbolicLink(&link, &deviceName);
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(device);
        return status;
    }
    driverObject->MajorFunction[IRP_MJ_CREATE] = NullCreateClose;
    driverObject->MajorFunction[IRP_MJ_CLOSE] = NullCreateClose;
    driverObject->MajorFunction[IRP_MJ_READ] = NullRead;
    driverObject->MajorFunction[IRP_MJ_WRITE] = NullWrite;
    driverObject->DriverUnload = NullUnload;
    return STATUS_SUCCESS;
}
