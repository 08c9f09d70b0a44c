// File objects: made by IopParseDevice when an open's name reaches a
// device (ObOpenObjectByName -> ObpLookupObjectName -> IopParseDevice),
// which sends IRP_MJ_CREATE down the device's stack with the rest of the
// name as the file's name; told IRP_MJ_CLEANUP when their last handle
// closes and IRP_MJ_CLOSE when their last reference goes.

#include "io/iop.h"

NTSTATUS IopCheckDeviceAndDriver(DEVICE_OBJECT *deviceObject, BOOLEAN relativeOpen)
{
    NTSTATUS status = STATUS_SUCCESS;
    KIRQL oldIrql;

    KeAcquireSpinLock(&IopDatabaseLock, &oldIrql);
    if ((deviceObject->DeviceObjectExtension->ExtensionFlags &
         (DOE_DELETE_PENDING | DOE_UNLOAD_PENDING)) ||
        (deviceObject->DriverObject->Flags & DRVO_UNLOAD_INVOKED) ||
        (deviceObject->Flags & DO_DEVICE_INITIALIZING))
        status = STATUS_NO_SUCH_DEVICE;
    else if ((deviceObject->Flags & DO_EXCLUSIVE) && deviceObject->ReferenceCount &&
             !relativeOpen)
        status = STATUS_ACCESS_DENIED;
    else
        deviceObject->ReferenceCount++;
    KeReleaseSpinLock(&IopDatabaseLock, oldIrql);
    return status;
}

static void IopDecrementDeviceReference(DEVICE_OBJECT *deviceObject)
{
    KIRQL oldIrql;

    KeAcquireSpinLock(&IopDatabaseLock, &oldIrql);
    deviceObject->ReferenceCount--;
    KeReleaseSpinLock(&IopDatabaseLock, oldIrql);
}

// Sends the I/O manager's own request and waits for it in line (see
// IoCompleteRequest's IRP_CLOSE_OPERATION case). The IRP is freed here.
NTSTATUS IopSynchronousCall(DEVICE_OBJECT *deviceObject, IRP *irp, FILE_OBJECT *fileObject)
{
    IO_STATUS_BLOCK ioStatus = {.Status = STATUS_PENDING};
    KEVENT event;
    NTSTATUS status;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    irp->Flags |= IRP_CLOSE_OPERATION | IRP_SYNCHRONOUS_API;
    irp->RequestorMode = KernelMode;
    irp->UserIosb = &ioStatus;
    irp->UserEvent = &event;
    irp->Tail.Overlay.OriginalFileObject = fileObject;
    IoGetNextIrpStackLocation(irp)->FileObject = fileObject;
    status = IoCallDriver(deviceObject, irp);
    if (status == STATUS_PENDING || KeReadStateEvent(&event) == 0)
        KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
    IoFreeIrp(irp);
    return ioStatus.Status;
}

// IRP_MJ_CLEANUP or IRP_MJ_CLOSE for the file, to the top of its stack now.
// Neither may fail for want of memory: the allocation is retried.
static void IopSendCleanupOrClose(FILE_OBJECT *fileObject, UCHAR majorFunction)
{
    DEVICE_OBJECT *device = IoGetRelatedDeviceObject(fileObject);
    LARGE_INTEGER retry = {.QuadPart = -100000LL};      // 10 ms
    IRP *irp;

    while (!(irp = IoAllocateIrp(device->StackSize, FALSE)))
        KeDelayExecutionThread(KernelMode, FALSE, &retry);
    IoGetNextIrpStackLocation(irp)->MajorFunction = majorFunction;
    IopSynchronousCall(device, irp, fileObject);
}

void IopCloseFile(EPROCESS *process, void *object, ACCESS_MASK grantedAccess,
                  ULONG_PTR processHandleCount, ULONG_PTR systemHandleCount)
{
    FILE_OBJECT *fileObject = object;

    if (systemHandleCount != 0 || !(fileObject->Flags & FO_FILE_OPEN) ||
        (__atomic_fetch_or(&fileObject->Flags, FO_CLEANUP_COMPLETE, __ATOMIC_ACQ_REL) &
         FO_CLEANUP_COMPLETE))
        return;
    IopSendCleanupOrClose(fileObject, IRP_MJ_CLEANUP);
}

// The last reference: the driver is told (a file object that never had a
// handle gets its cleanup first), and what the file held goes.
void IopDeleteFile(void *object)
{
    FILE_OBJECT *fileObject = object;
    DEVICE_OBJECT *device = fileObject->DeviceObject;

    if (fileObject->Flags & FO_FILE_OPEN) {
        if (KeGetCurrentIrql() > APC_LEVEL)
            KeBugCheckEx(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x4, (ULONG64)fileObject,
                         KeGetCurrentIrql(), 0);
        if (!(fileObject->Flags & FO_CLEANUP_COMPLETE)) {
            fileObject->Flags |= FO_CLEANUP_COMPLETE;
            IopSendCleanupOrClose(fileObject, IRP_MJ_CLEANUP);
        }
        IopSendCleanupOrClose(fileObject, IRP_MJ_CLOSE);
    }
    if (fileObject->FileName.Buffer)
        ExFreePoolWithTag(fileObject->FileName.Buffer, IO_NAME_TAG);
    if (fileObject->RelatedFileObject)
        ObDereferenceObject(fileObject->RelatedFileObject);
    if (device) {
        IopDecrementDeviceReference(device);
        ObDereferenceObject(device);
    }
}

// The file object for an open of `device` (the device named, or the one a
// related file is on): not open yet, holding a reference on the device and
// an open counted in its ReferenceCount (IopCheckDeviceAndDriver's).
static NTSTATUS IopCreateFileObject(DEVICE_OBJECT *device, OPEN_PACKET *openPacket,
                                    ULONG attributes, const UNICODE_STRING *remainingName,
                                    FILE_OBJECT **result)
{
    FILE_OBJECT *fileObject;
    ULONG options = openPacket->CreateOptions;
    NTSTATUS status = ObCreateObject(IoFileObjectType, sizeof(FILE_OBJECT),
                                     (void **)&fileObject);

    if (!NT_SUCCESS(status)) {
        IopDecrementDeviceReference(device);
        return status;
    }
    fileObject->Type = IO_TYPE_FILE;
    fileObject->Size = sizeof(FILE_OBJECT);
    fileObject->DeviceObject = device;
    ObReferenceObject(device);
    KeInitializeEvent(&fileObject->Lock, SynchronizationEvent, FALSE);
    KeInitializeEvent(&fileObject->Event, NotificationEvent, FALSE);
    KeInitializeSpinLock(&fileObject->IrpListLock);
    InitializeListHead(&fileObject->IrpList);
    if (options & (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT))
        fileObject->Flags |= FO_SYNCHRONOUS_IO;
    if (options & FILE_SYNCHRONOUS_IO_ALERT)
        fileObject->Flags |= FO_ALERTABLE_IO;
    if (options & FILE_NO_INTERMEDIATE_BUFFERING)
        fileObject->Flags |= FO_NO_INTERMEDIATE_BUFFERING;
    if (options & FILE_WRITE_THROUGH)
        fileObject->Flags |= FO_WRITE_THROUGH;
    if (options & FILE_SEQUENTIAL_ONLY)
        fileObject->Flags |= FO_SEQUENTIAL_ONLY;
    if (options & FILE_RANDOM_ACCESS)
        fileObject->Flags |= FO_RANDOM_ACCESS;
    if (!(attributes & OBJ_CASE_INSENSITIVE))
        fileObject->Flags |= FO_OPENED_CASE_SENSITIVE;
    if (openPacket->RelatedFileObject) {
        fileObject->RelatedFileObject = openPacket->RelatedFileObject;
        ObReferenceObject(fileObject->RelatedFileObject);
    }
    if (remainingName->Length) {
        fileObject->FileName.Buffer = ExAllocatePoolWithTag(NonPagedPool, remainingName->Length,
                                                            IO_NAME_TAG);
        if (!fileObject->FileName.Buffer) {
            ObDereferenceObject(fileObject);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        memcpy(fileObject->FileName.Buffer, remainingName->Buffer, remainingName->Length);
        fileObject->FileName.Length = fileObject->FileName.MaximumLength = remainingName->Length;
    }
    *result = fileObject;
    return STATUS_SUCCESS;
}

// The open itself: IRP_MJ_CREATE to the top of the device's stack, waited
// for; on success the file object is open and is what the name stands for.
static NTSTATUS IopSendCreate(DEVICE_OBJECT *device, OPEN_PACKET *openPacket,
                              KPROCESSOR_MODE accessMode, ULONG attributes,
                              FILE_OBJECT *fileObject)
{
    // NT's rule: the top of the stack is referenced for the whole call. A
    // filter unloaded meanwhile (detached, its device deleted) keeps its
    // device object, hence its driver object and its image, until the
    // create has come back up through its completion routine.
    DEVICE_OBJECT *top = IoGetAttachedDeviceReference(device);
    IO_SECURITY_CONTEXT securityContext = {
        .DesiredAccess = openPacket->DesiredAccess,
        .FullCreateOptions = openPacket->CreateOptions,
    };
    IO_STATUS_BLOCK ioStatus = {.Status = STATUS_PENDING};
    IO_STACK_LOCATION *stack;
    KEVENT event;
    NTSTATUS status;
    IRP *irp = IoAllocateIrp(top->StackSize, FALSE);

    if (!irp) {
        ObDereferenceObject(top);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    irp->Flags = IRP_CREATE_OPERATION | IRP_SYNCHRONOUS_API | IRP_DEFER_IO_COMPLETION;
    irp->RequestorMode = accessMode;
    irp->UserIosb = &ioStatus;
    irp->UserEvent = &event;
    irp->AssociatedIrp.SystemBuffer = openPacket->EaBuffer;
    irp->Overlay.AllocationSize = openPacket->AllocationSize;
    irp->Tail.Overlay.OriginalFileObject = fileObject;
    stack = IoGetNextIrpStackLocation(irp);
    stack->MajorFunction = IRP_MJ_CREATE;
    if (!(attributes & OBJ_CASE_INSENSITIVE))
        stack->Flags |= SL_CASE_SENSITIVE;
    if (openPacket->Options & IO_FORCE_ACCESS_CHECK)
        stack->Flags |= SL_FORCE_ACCESS_CHECK;
    stack->Parameters.Create.SecurityContext = &securityContext;
    stack->Parameters.Create.Options =
        (openPacket->Disposition << 24) | (openPacket->CreateOptions & FILE_VALID_OPTION_FLAGS);
    stack->Parameters.Create.FileAttributes = openPacket->FileAttributes;
    stack->Parameters.Create.ShareAccess = openPacket->ShareAccess;
    stack->Parameters.Create.EaLength = openPacket->EaLength;
    stack->FileObject = fileObject;
    IoQueueThreadIrp(irp);

    status = IoCallDriver(top, irp);
    if (status == STATUS_PENDING) {
        KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
        status = ioStatus.Status;
    } else {
        // Not pended, so completed: its end was left to this thread
        // (IRP_DEFER_IO_COMPLETION).
        NTSTATUS returned = status;

        status = irp->IoStatus.Status;
        ioStatus.Information = irp->IoStatus.Information;
        IopFinishDeferredRequest(irp, top, returned);
    }
    ObDereferenceObject(top);
    openPacket->FinalStatus = status;
    openPacket->Information = ioStatus.Information;
    openPacket->ParseCheck = IOP_OPEN_PACKET_PATTERN;
    // A file system that would send the open elsewhere (STATUS_REPARSE):
    // Sleuth's do not, and the open fails.
    if (status == STATUS_REPARSE)
        status = openPacket->FinalStatus = STATUS_NOT_SUPPORTED;
    return status;
}

static NTSTATUS IopOpenOnDevice(DEVICE_OBJECT *device, KPROCESSOR_MODE accessMode,
                                ULONG attributes, UNICODE_STRING *remainingName,
                                OPEN_PACKET *openPacket, void **object)
{
    BOOLEAN relative = openPacket->RelatedFileObject != NULL;
    FILE_OBJECT *fileObject;
    NTSTATUS status = IopCheckDeviceAndDriver(device, relative);

    if (!NT_SUCCESS(status))
        return status;
    // A user's open of the device itself is checked against the device's
    // descriptor, and any open of a FILE_DEVICE_SECURE_OPEN device; opens
    // of files on it are the file system's to check.
    if (accessMode == UserMode && !relative &&
        (remainingName->Length == 0 || (device->Characteristics & FILE_DEVICE_SECURE_OPEN))) {
        status = ObCheckObjectAccess(device, openPacket->DesiredAccess, NULL);
        if (!NT_SUCCESS(status)) {
            IopDecrementDeviceReference(device);
            return status;
        }
    }
    status = IopCreateFileObject(device, openPacket, attributes, remainingName, &fileObject);
    if (!NT_SUCCESS(status))
        return status;
    status = IopSendCreate(device, openPacket, accessMode, attributes, fileObject);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(fileObject);        // never opened: no cleanup, no close
        return status;
    }
    fileObject->Flags |= FO_FILE_OPEN;
    openPacket->FileObject = fileObject;
    *object = fileObject;
    return status;
}

static BOOLEAN IopIsOpenPacket(void *context)
{
    OPEN_PACKET *openPacket = context;

    return openPacket && openPacket->Type == IO_TYPE_OPEN_PACKET &&
           openPacket->Size == sizeof(OPEN_PACKET);
}

NTSTATUS IopParseDevice(void *parseObject, OBJECT_TYPE *objectType, KPROCESSOR_MODE accessMode,
                        ULONG attributes, UNICODE_STRING *completeName,
                        UNICODE_STRING *remainingName, void *context, void **object)
{
    // Only an open (IopCreateFile's packet) makes a file; any other lookup
    // that runs into a device with a name left is not for a file.
    if (!IopIsOpenPacket(context))
        return STATUS_OBJECT_TYPE_MISMATCH;
    return IopOpenOnDevice(parseObject, accessMode, attributes, remainingName, context, object);
}

// An open relative to an open directory (OBJECT_ATTRIBUTES.RootDirectory a
// file handle) goes to that file's device, with the file as related.
NTSTATUS IopParseFile(void *parseObject, OBJECT_TYPE *objectType, KPROCESSOR_MODE accessMode,
                      ULONG attributes, UNICODE_STRING *completeName,
                      UNICODE_STRING *remainingName, void *context, void **object)
{
    FILE_OBJECT *related = parseObject;
    OPEN_PACKET *openPacket = context;

    if (!IopIsOpenPacket(context))
        return STATUS_OBJECT_TYPE_MISMATCH;
    if (!(related->Flags & FO_FILE_OPEN) || (related->Flags & FO_CLEANUP_COMPLETE))
        return STATUS_INVALID_HANDLE;
    openPacket->RelatedFileObject = related;
    return IopOpenOnDevice(related->DeviceObject, accessMode, attributes, remainingName,
                           openPacket, object);
}

// Busy says a request is in progress on the synchronous file object; a
// thread that finds it set counts itself in Waiters and waits on Lock,
// which the releaser sets when anyone waits. The wait is a user-mode one,
// so that a thread killed while waiting goes.
NTSTATUS IopAcquireFileObjectLock(FILE_OBJECT *fileObject)
{
    BOOLEAN alertable = (fileObject->Flags & FO_ALERTABLE_IO) != 0;

    for (;;) {
        ULONG expected = 0;
        NTSTATUS status;

        if (__atomic_compare_exchange_n(&fileObject->Busy, &expected, 1, FALSE,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return STATUS_SUCCESS;
        __atomic_add_fetch(&fileObject->Waiters, 1, __ATOMIC_SEQ_CST);
        expected = 0;
        if (__atomic_compare_exchange_n(&fileObject->Busy, &expected, 1, FALSE,
                                        __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
            __atomic_sub_fetch(&fileObject->Waiters, 1, __ATOMIC_RELAXED);
            return STATUS_SUCCESS;
        }
        status = KeWaitForSingleObject(&fileObject->Lock, Executive, UserMode, alertable, NULL);
        __atomic_sub_fetch(&fileObject->Waiters, 1, __ATOMIC_RELAXED);
        if (status == STATUS_USER_APC || status == STATUS_ALERTED)
            return status;
    }
}

void IopReleaseFileObjectLock(FILE_OBJECT *fileObject)
{
    __atomic_store_n(&fileObject->Busy, 0, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&fileObject->Waiters, __ATOMIC_SEQ_CST))
        KeSetEvent(&fileObject->Lock, 0, FALSE);
}
