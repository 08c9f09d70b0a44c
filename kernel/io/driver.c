// Driver objects: one per driver, named in \Driver (or \FileSystem), holding
// the driver's dispatch table and its list of devices. A driver loaded from
// an image gets its object from the loader through IopCreateDriverObject;
// one built into the kernel (the tests' drivers) through IoCreateDriver.

#include "io/iop.h"

static LONG IopDriverNumber;

NTSTATUS IopInvalidDeviceRequest(DEVICE_OBJECT *deviceObject, IRP *irp)
{
    irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
    irp->IoStatus.Information = 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_INVALID_DEVICE_REQUEST;
}

// Deletes every device of the driver not already being deleted, detaching
// it from the device below first: what a driver that failed to start, or
// that was unloaded, left behind.
static void IopDeleteDriverDevices(DRIVER_OBJECT *driverObject)
{
    for (;;) {
        DEVICE_OBJECT *device;
        DEVICE_OBJECT *lower = NULL;
        KIRQL oldIrql;

        KeAcquireSpinLock(&IopDatabaseLock, &oldIrql);
        device = driverObject->DeviceObject;
        while (device && (device->DeviceObjectExtension->ExtensionFlags & DOE_DELETE_PENDING))
            device = device->NextDevice;
        if (device) {
            ObReferenceObject(device);
            lower = device->DeviceObjectExtension->AttachedTo;
        }
        KeReleaseSpinLock(&IopDatabaseLock, oldIrql);
        if (!device)
            return;
        if (lower)
            IoDetachDevice(lower);
        IoDeleteDevice(device);
        ObDereferenceObject(device);
    }
}

static NTSTATUS IopCallDriverEntry(void *driverObject, void *registryPath)
{
    DRIVER_OBJECT *driver = driverObject;

    return driver->DriverInit(driver, registryPath);
}

static NTSTATUS IopCallDriverUnload(void *driverObject, void *unused)
{
    DRIVER_OBJECT *driver = driverObject;

    driver->DriverUnload(driver);
    return STATUS_SUCCESS;
}

// Calls a loaded driver's DriverEntry or DriverUnload under a recovery frame
// covering its image (kernel/ke/recover.c): a fault in the driver's code
// returns the exception's code instead of stopping the system, and what
// the driver made there that nothing else records (its pool, its symbolic
// links) is taken back; the caller deletes its devices. A driver built into
// the kernel (no image) is called as it is.
static NTSTATUS IopCallDriverGuarded(DRIVER_OBJECT *driver, KRECOVERY_ROUTINE routine,
                                     void *argument)
{
    KRECOVERY_FRAME frame;
    NTSTATUS status;
    char name[40];
    ULONG length = 0;

    if (!driver->DriverStart)
        return routine(driver, argument);
    status = KeCallWithRecovery(&frame, (ULONG_PTR)driver->DriverStart, driver->DriverSize,
                                routine, driver, argument);
    if (frame.ExceptionAddress) {
        while (length + 1 < sizeof(name) && length < driver->DriverName.Length / sizeof(WCHAR)) {
            name[length] = (char)driver->DriverName.Buffer[length];
            length++;
        }
        name[length] = '\0';
        DbgPrint("IO: %s faulted in its %s: exception %08x at %p (address %p); "
                 "its %u blocks of pool and %u links are taken back\n", name,
                 routine == IopCallDriverEntry ? "DriverEntry" : "DriverUnload",
                 (ULONG)frame.ExceptionCode, (void *)frame.ExceptionAddress,
                 (void *)frame.FaultingAddress, frame.PoolCount, frame.ObjectCount);
        for (ULONG i = 0; i < frame.ObjectCount; i++)
            ObMakeTemporaryObject(frame.Objects[i]);
        KeFreeRecoveredPool(&frame);
        // Whatever it returned, a DriverEntry that faulted has failed.
        if (NT_SUCCESS(status))
            status = STATUS_ACCESS_VIOLATION;
    }
    for (ULONG i = 0; i < frame.ObjectCount; i++)
        ObDereferenceObject(frame.Objects[i]);
    return status;
}

NTSTATUS IopCreateDriverObject(const UNICODE_STRING *driverName,
                               PDRIVER_INITIALIZE initializationFunction,
                               UNICODE_STRING *registryPath, void *imageBase, ULONG imageSize,
                               void *driverSection, DRIVER_OBJECT **driverObject)
{
    DRIVER_OBJECT *driver;
    DRIVER_EXTENSION *extension;
    UNICODE_STRING relative;
    USHORT slash = 0;
    NTSTATUS status;

    if (!driverName || driverName->Length < 2 * sizeof(WCHAR) || (driverName->Length & 1) ||
        driverName->Buffer[0] != L'\\' || !initializationFunction)
        return STATUS_OBJECT_NAME_INVALID;
    status = ObCreateObject(IoDriverObjectType,
                            sizeof(DRIVER_OBJECT) + sizeof(DRIVER_EXTENSION) + driverName->Length,
                            (void **)&driver);
    if (!NT_SUCCESS(status))
        return status;
    extension = (DRIVER_EXTENSION *)(driver + 1);
    driver->Type = IO_TYPE_DRIVER;
    driver->Size = sizeof(DRIVER_OBJECT);
    driver->DriverExtension = extension;
    extension->DriverObject = driver;
    driver->DriverName.Buffer = (WCHAR *)(extension + 1);
    driver->DriverName.Length = driver->DriverName.MaximumLength = driverName->Length;
    memcpy(driver->DriverName.Buffer, driverName->Buffer, driverName->Length);
    // The service's name is the last component (\Driver\Null: Null).
    for (USHORT i = 0; i < driverName->Length / sizeof(WCHAR); i++) {
        if (driverName->Buffer[i] == L'\\')
            slash = i;
    }
    extension->ServiceKeyName.Buffer = driver->DriverName.Buffer + slash + 1;
    extension->ServiceKeyName.Length = extension->ServiceKeyName.MaximumLength =
        driverName->Length - (slash + 1) * sizeof(WCHAR);
    driver->DriverStart = imageBase;
    driver->DriverSize = imageSize;
    driver->DriverSection = driverSection;
    driver->DriverInit = initializationFunction;
    driver->Flags = imageBase ? DRVO_LEGACY_DRIVER : DRVO_BUILTIN_DRIVER;
    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        driver->MajorFunction[i] = IopInvalidDeviceRequest;

    status = ObAssignObjectSecurity(driver);
    if (NT_SUCCESS(status)) {
        relative.Buffer = driver->DriverName.Buffer + 1;
        relative.Length = relative.MaximumLength = driver->DriverName.Length - sizeof(WCHAR);
        status = ObpInsertNameAt(ObpRootDirectoryObject, &relative, OBJ_PERMANENT, driver, NULL);
    }
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(driver);
        return status;
    }
    status = IopCallDriverGuarded(driver, IopCallDriverEntry, registryPath);
    if (!NT_SUCCESS(status)) {
        IopDeleteDriverDevices(driver);
        ObMakeTemporaryObject(driver);
        ObDereferenceObject(driver);
        return status;
    }
    // Devices made in DriverEntry can be opened from now on.
    {
        KIRQL oldIrql;

        KeAcquireSpinLock(&IopDatabaseLock, &oldIrql);
        for (DEVICE_OBJECT *device = driver->DeviceObject; device; device = device->NextDevice)
            device->Flags &= ~DO_DEVICE_INITIALIZING;
        driver->Flags |= DRVO_INITIALIZED;
        KeReleaseSpinLock(&IopDatabaseLock, oldIrql);
    }
    *driverObject = driver;
    return status;
}

NTSTATUS IoCreateDriver(UNICODE_STRING *driverName, PDRIVER_INITIALIZE initializationFunction)
{
    WCHAR buffer[24];
    UNICODE_STRING generated = {0, sizeof(buffer), buffer};
    DRIVER_OBJECT *driver;
    NTSTATUS status;

    if (!driverName) {
        char text[24];

        RtlStringPrintf(text, sizeof(text), "\\Driver\\%08x",
                        (ULONG)__atomic_add_fetch(&IopDriverNumber, 1, __ATOMIC_RELAXED));
        RtlAsciiToUnicodeString(&generated, text);
        driverName = &generated;
    }
    status = IopCreateDriverObject(driverName, initializationFunction, NULL, NULL, 0, NULL,
                                   &driver);
    if (NT_SUCCESS(status))
        ObDereferenceObject(driver);        // its permanent name keeps it
    return status;
}

NTSTATUS IopUnloadDriver(DRIVER_OBJECT *driverObject)
{
    if (!driverObject->DriverUnload)
        return STATUS_INVALID_DEVICE_REQUEST;
    if (__atomic_fetch_or(&driverObject->Flags, DRVO_UNLOAD_INVOKED, __ATOMIC_ACQ_REL) &
        DRVO_UNLOAD_INVOKED)
        return STATUS_SUCCESS;              // an unload is under way already
    // A DriverUnload that faults still loses its devices and its name.
    IopCallDriverGuarded(driverObject, IopCallDriverUnload, NULL);
    IopDeleteDriverDevices(driverObject);
    ObMakeTemporaryObject(driverObject);
    return STATUS_SUCCESS;
}

void IoDeleteDriver(DRIVER_OBJECT *driverObject)
{
    if (!(__atomic_fetch_or(&driverObject->Flags, DRVO_UNLOAD_INVOKED, __ATOMIC_ACQ_REL) &
          DRVO_UNLOAD_INVOKED) &&
        driverObject->DriverUnload)
        driverObject->DriverUnload(driverObject);
    IopDeleteDriverDevices(driverObject);
    ObMakeTemporaryObject(driverObject);
}

// Every device holds a reference on its driver, so none is left here.
void IopDeleteDriver(void *object)
{
    DRIVER_OBJECT *driver = object;

    if (driver->DeviceObject)
        KeBugCheckEx(REFERENCE_BY_POINTER, (ULONG64)IoDriverObjectType, (ULONG64)driver,
                     (ULONG64)driver->DeviceObject, 0);
    IopDeleteDriverImage(driver);
}
