// A driver that faults: in DriverEntry (service tldrfault), after it has
// made a device, a symbolic link and two blocks of pool; or, loaded as
// service tldrfaultu, in its DriverUnload. The in-kernel tests
// (tests/kernel/test_iofault.c) and tdriver (NtLoadDriver) check that the
// load fails with the exception's code and leaves nothing behind, and that
// the unload still takes the driver away.

#include "io/io.h"

#define TLDRFAULT_TAG POOL_TAG('T', 'l', 'd', 'F')

static const WCHAR TldrFaultDeviceName[] = u"\\Device\\TldrFault";
static const WCHAR TldrFaultLinkName[] = u"\\??\\TldrFault";

// Not constant: the compiler cannot see that it is a bad pointer.
volatile ULONG *volatile TldrFaultPointer = (volatile ULONG *)0x10;
void *TldrFaultKept;                    // the block DriverEntry keeps

static NTSTATUS TldrFaultDispatch(DEVICE_OBJECT *deviceObject, IRP *irp)
{
    irp->IoStatus.Status = STATUS_SUCCESS;
    irp->IoStatus.Information = 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static void __attribute__((noinline)) TldrFaultTouch(void)
{
    *TldrFaultPointer = 1;
}

static void TldrFaultUnload(DRIVER_OBJECT *driverObject)
{
    UNICODE_STRING link;

    RtlInitUnicodeString(&link, TldrFaultLinkName);
    IoDeleteSymbolicLink(&link);
    ExFreePoolWithTag(TldrFaultKept, TLDRFAULT_TAG);
    TldrFaultTouch();
}

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    UNICODE_STRING deviceName, link;
    DEVICE_OBJECT *device;
    NTSTATUS status;
    void *freed;
    // The service's name ends the registry path: ...\Services\tldrfaultu
    // faults in its unload instead.
    BOOLEAN faultInUnload = registryPath->Buffer[registryPath->Length / sizeof(WCHAR) - 1] == 'u';

    RtlInitUnicodeString(&deviceName, TldrFaultDeviceName);
    status = IoCreateDevice(driverObject, 64, &deviceName, FILE_DEVICE_UNKNOWN, 0, FALSE,
                            &device);
    if (!NT_SUCCESS(status))
        return status;
    RtlInitUnicodeString(&link, TldrFaultLinkName);
    status = IoCreateSymbolicLink(&link, &deviceName);
    if (!NT_SUCCESS(status))
        return status;
    // One block freed again (the recovery must not free it twice), one kept.
    freed = ExAllocatePoolWithTag(NonPagedPool, 100, TLDRFAULT_TAG);
    TldrFaultKept = ExAllocatePoolWithTag(PagedPool, 5000, TLDRFAULT_TAG);
    if (!freed || !TldrFaultKept)
        return STATUS_INSUFFICIENT_RESOURCES;
    ExFreePoolWithTag(freed, TLDRFAULT_TAG);
    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        driverObject->MajorFunction[i] = TldrFaultDispatch;
    driverObject->DriverUnload = TldrFaultUnload;
    if (!faultInUnload)
        TldrFaultTouch();
    return STATUS_SUCCESS;
}
