// The test drivers (see ktio.h): ordinary drivers made with IoCreateDriver,
// each a few dispatch routines, so that the tests drive the I/O manager
// the way a real driver does.

#include "tests/kernel/ktio.h"
#include "mm/mm.h"

KTIO_COUNTERS KtIoCounters;
DEVICE_OBJECT *KtIoSyncDevice, *KtIoPendDevice, *KtIoFailDevice;
DEVICE_OBJECT *KtIoBottomDevice, *KtIoMiddleDevice, *KtIoTopDevice;
BOOLEAN KtIoMiddleTakesOver;
IRP *KtIoTakenIrp;

#define KTIO_TAG POOL_TAG('K', 't', 'I', 'o')

static DRIVER_OBJECT *KtIoSyncDriver, *KtIoPendDriver, *KtIoFailDriver;
static DRIVER_OBJECT *KtIoBottomDriver, *KtIoFilterDriver;
static KTIO_CREATE_RECORD KtIoLastCreate;
static KSPIN_LOCK KtIoHeldLock;
static LIST_ENTRY KtIoHeld;
static ULONG KtIoHeldRequests;

typedef struct _KTIO_FILTER_EXTENSION {
    LONG Index;                 // 1 middle, 2 top
    DEVICE_OBJECT *Lower;
} KTIO_FILTER_EXTENSION;

static NTSTATUS KtIoComplete(IRP *irp, NTSTATUS status, ULONG_PTR information)
{
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = information;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

static NTSTATUS KtIoCountOpenClose(DEVICE_OBJECT *device, IRP *irp)
{
    switch (IoGetCurrentIrpStackLocation(irp)->MajorFunction) {
    case IRP_MJ_CREATE:
        __atomic_add_fetch(&KtIoCounters.Creates, 1, __ATOMIC_RELAXED);
        return KtIoComplete(irp, STATUS_SUCCESS, FILE_OPENED);
    case IRP_MJ_CLEANUP:
        __atomic_add_fetch(&KtIoCounters.Cleanups, 1, __ATOMIC_RELAXED);
        break;
    default:
        __atomic_add_fetch(&KtIoCounters.Closes, 1, __ATOMIC_RELAXED);
        break;
    }
    return KtIoComplete(irp, STATUS_SUCCESS, 0);
}

// ---- The synchronous device -------------------------------------------------------

static BOOLEAN KtIoNameIs(const UNICODE_STRING *name, const WCHAR *literal)
{
    USHORT length = 0;

    while (literal[length])
        length++;
    return name->Length == length * sizeof(WCHAR) &&
           memcmp(name->Buffer, literal, name->Length) == 0;
}

static NTSTATUS KtIoSyncCreate(DEVICE_OBJECT *device, IRP *irp)
{
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);
    FILE_OBJECT *file = stack->FileObject;
    ULONG length = file->FileName.Length;

    if (length > sizeof(KtIoLastCreate.Name))
        length = sizeof(KtIoLastCreate.Name);
    KtIoLastCreate.Options = stack->Parameters.Create.Options;
    KtIoLastCreate.FileAttributes = stack->Parameters.Create.FileAttributes;
    KtIoLastCreate.ShareAccess = stack->Parameters.Create.ShareAccess;
    KtIoLastCreate.DesiredAccess = stack->Parameters.Create.SecurityContext->DesiredAccess;
    KtIoLastCreate.NameLength = file->FileName.Length;
    memcpy(KtIoLastCreate.Name, file->FileName.Buffer, length);
    if (KtIoNameIs(&file->FileName, KTIO_NAME_NO_SUCH_FILE))
        return KtIoComplete(irp, STATUS_OBJECT_NAME_NOT_FOUND, 0);
    return KtIoCountOpenClose(device, irp);
}

static NTSTATUS KtIoSyncReadWrite(DEVICE_OBJECT *device, IRP *irp)
{
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);
    ULONG64 offset = (ULONG64)stack->Parameters.Read.ByteOffset.QuadPart;
    ULONG length = stack->Parameters.Read.Length;

    if (stack->MajorFunction == IRP_MJ_READ) {
        UCHAR *data = irp->AssociatedIrp.SystemBuffer;

        if (offset >= KTIO_SYNC_END_OF_FILE)
            return KtIoComplete(irp, STATUS_END_OF_FILE, 0);
        if (length > KTIO_SYNC_END_OF_FILE - offset)
            length = (ULONG)(KTIO_SYNC_END_OF_FILE - offset);
        for (ULONG i = 0; i < length; i++)
            data[i] = (UCHAR)(offset + i);
    }
    // As a file system does: a synchronous file object's pointer moves on.
    if (stack->FileObject->Flags & FO_SYNCHRONOUS_IO)
        stack->FileObject->CurrentByteOffset.QuadPart = (LONGLONG)(offset + length);
    return KtIoComplete(irp, STATUS_SUCCESS, length);
}

static NTSTATUS KtIoEchoNeither(IO_STACK_LOCATION *stack, IRP *irp, ULONG length)
{
    void *copy = ExAllocatePoolWithTag(NonPagedPool, length ? length : 1, KTIO_TAG);
    NTSTATUS status;

    if (!copy)
        return KtIoComplete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    status = MmCopyFromUser(copy, stack->Parameters.DeviceIoControl.Type3InputBuffer, length);
    if (NT_SUCCESS(status))
        status = MmCopyToUser(irp->UserBuffer, copy, length);
    ExFreePoolWithTag(copy, KTIO_TAG);
    return KtIoComplete(irp, status, NT_SUCCESS(status) ? length : 0);
}

static NTSTATUS KtIoSyncControl(DEVICE_OBJECT *device, IRP *irp)
{
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);
    ULONG in = stack->Parameters.DeviceIoControl.InputBufferLength;
    ULONG out = stack->Parameters.DeviceIoControl.OutputBufferLength;
    ULONG shorter = in < out ? in : out;

    switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_KTIO_ECHO:
        return KtIoComplete(irp, STATUS_SUCCESS, shorter);  // in and out share the buffer
    case IOCTL_KTIO_ECHO_NEITHER:
        return KtIoEchoNeither(stack, irp, shorter);
    case IOCTL_KTIO_NEEDS_READ:
    case IOCTL_KTIO_NEEDS_WRITE:
        return KtIoComplete(irp, STATUS_SUCCESS, 0);
    case IOCTL_KTIO_LAST_CREATE:
        if (out < sizeof(KtIoLastCreate))
            return KtIoComplete(irp, STATUS_BUFFER_TOO_SMALL, 0);
        memcpy(irp->AssociatedIrp.SystemBuffer, &KtIoLastCreate, sizeof(KtIoLastCreate));
        return KtIoComplete(irp, STATUS_SUCCESS, sizeof(KtIoLastCreate));
    default:
        return KtIoComplete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static NTSTATUS KtIoSyncQuery(DEVICE_OBJECT *device, IRP *irp)
{
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);
    void *buffer = irp->AssociatedIrp.SystemBuffer;
    FILE_OBJECT *file = stack->FileObject;

    switch (stack->Parameters.QueryFile.FileInformationClass) {
    case FileStandardInformation: {
        FILE_STANDARD_INFORMATION *standard = buffer;

        standard->EndOfFile.QuadPart = KTIO_SYNC_END_OF_FILE;
        standard->AllocationSize.QuadPart = KTIO_SYNC_END_OF_FILE;
        standard->NumberOfLinks = 1;
        return KtIoComplete(irp, STATUS_SUCCESS, sizeof(*standard));
    }
    case FileBasicInformation:
        ((FILE_BASIC_INFORMATION *)buffer)->FileAttributes = FILE_ATTRIBUTE_NORMAL;
        return KtIoComplete(irp, STATUS_SUCCESS, sizeof(FILE_BASIC_INFORMATION));
    case FileNameInformation: {
        FILE_NAME_INFORMATION *name = buffer;
        ULONG room = stack->Parameters.QueryFile.Length - offsetof(FILE_NAME_INFORMATION,
                                                                   FileName);
        ULONG length = file->FileName.Length < room ? file->FileName.Length : room;

        name->FileNameLength = file->FileName.Length;
        memcpy(name->FileName, file->FileName.Buffer, length);
        return KtIoComplete(irp, length < file->FileName.Length ? STATUS_BUFFER_OVERFLOW
                                                                : STATUS_SUCCESS,
                            offsetof(FILE_NAME_INFORMATION, FileName) + length);
    }
    case FilePositionInformation:
        ((FILE_POSITION_INFORMATION *)buffer)->CurrentByteOffset = file->CurrentByteOffset;
        return KtIoComplete(irp, STATUS_SUCCESS, sizeof(FILE_POSITION_INFORMATION));
    default:
        return KtIoComplete(irp, STATUS_INVALID_PARAMETER, 0);
    }
}

static NTSTATUS KtIoSyncSet(DEVICE_OBJECT *device, IRP *irp)
{
    switch (IoGetCurrentIrpStackLocation(irp)->Parameters.SetFile.FileInformationClass) {
    case FileEndOfFileInformation:
    case FileDispositionInformation:
    case FileBasicInformation:
    case FilePositionInformation:
        return KtIoComplete(irp, STATUS_SUCCESS, 0);
    default:
        return KtIoComplete(irp, STATUS_INVALID_PARAMETER, 0);
    }
}

// Where the name lies in each directory class's entry.
static ULONG KtIoNameOffset(FILE_INFORMATION_CLASS infoClass)
{
    switch (infoClass) {
    case FileDirectoryInformation:
        return offsetof(FILE_DIRECTORY_INFORMATION, FileName);
    case FileFullDirectoryInformation:
        return offsetof(FILE_FULL_DIR_INFORMATION, FileName);
    case FileBothDirectoryInformation:
        return offsetof(FILE_BOTH_DIR_INFORMATION, FileName);
    default:
        return offsetof(FILE_NAMES_INFORMATION, FileName);
    }
}

// Entries "a", "bb", "ccc"; the file object's FsContext2 is the next one.
static NTSTATUS KtIoSyncDirectory(DEVICE_OBJECT *device, IRP *irp)
{
    static const WCHAR *const names[KTIO_DIRECTORY_ENTRIES] = {u"a", u"bb", u"ccc"};
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);
    FILE_INFORMATION_CLASS infoClass = stack->Parameters.QueryDirectory.FileInformationClass;
    UNICODE_STRING *pattern = stack->Parameters.QueryDirectory.FileName;
    ULONG nameOffset = KtIoNameOffset(infoClass);
    ULONG length = stack->Parameters.QueryDirectory.Length;
    UCHAR *buffer = irp->AssociatedIrp.SystemBuffer;
    ULONG_PTR index = (stack->Flags & SL_RESTART_SCAN) ? 0
                                                       : (ULONG_PTR)stack->FileObject->FsContext2;
    ULONG used = 0, last = 0;
    BOOLEAN any = FALSE;

    if (stack->MinorFunction != IRP_MN_QUERY_DIRECTORY)
        return KtIoComplete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    for (; index < KTIO_DIRECTORY_ENTRIES; index++) {
        ULONG nameLength = 0;
        ULONG size;
        UCHAR *entry;

        while (names[index][nameLength])
            nameLength++;
        nameLength *= sizeof(WCHAR);
        if (pattern && !KtIoNameIs(pattern, names[index]))
            continue;
        size = nameOffset + nameLength;
        used = (ULONG)ALIGN_UP_BY(used, 8);
        if (used + size > length)
            break;
        entry = buffer + used;
        memset(entry, 0, size);
        if (any)
            *(ULONG *)(buffer + last) = used - last;
        ((ULONG *)entry)[1] = (ULONG)index;     // FileIndex, in every class
        if (infoClass == FileNamesInformation) {
            ((FILE_NAMES_INFORMATION *)entry)->FileNameLength = nameLength;
        } else {
            ((FILE_DIRECTORY_INFORMATION *)entry)->FileAttributes = FILE_ATTRIBUTE_NORMAL;
            ((FILE_DIRECTORY_INFORMATION *)entry)->FileNameLength = nameLength;
        }
        memcpy(entry + nameOffset, names[index], nameLength);
        last = used;
        used += size;
        any = TRUE;
        if (stack->Flags & SL_RETURN_SINGLE_ENTRY) {
            index++;
            break;
        }
    }
    stack->FileObject->FsContext2 = (void *)index;
    if (!any)
        return KtIoComplete(irp, index >= KTIO_DIRECTORY_ENTRIES ? STATUS_NO_MORE_FILES
                                                                 : STATUS_BUFFER_OVERFLOW, 0);
    return KtIoComplete(irp, STATUS_SUCCESS, used);
}

static NTSTATUS KtIoSyncEntry(DRIVER_OBJECT *driver, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name;
    NTSTATUS status;

    driver->MajorFunction[IRP_MJ_CREATE] = KtIoSyncCreate;
    driver->MajorFunction[IRP_MJ_CLEANUP] = KtIoCountOpenClose;
    driver->MajorFunction[IRP_MJ_CLOSE] = KtIoCountOpenClose;
    driver->MajorFunction[IRP_MJ_READ] = KtIoSyncReadWrite;
    driver->MajorFunction[IRP_MJ_WRITE] = KtIoSyncReadWrite;
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = KtIoSyncControl;
    driver->MajorFunction[IRP_MJ_FILE_SYSTEM_CONTROL] = KtIoSyncControl;
    driver->MajorFunction[IRP_MJ_QUERY_INFORMATION] = KtIoSyncQuery;
    driver->MajorFunction[IRP_MJ_SET_INFORMATION] = KtIoSyncSet;
    driver->MajorFunction[IRP_MJ_DIRECTORY_CONTROL] = KtIoSyncDirectory;
    RtlInitUnicodeString(&name, KTIO_SYNC_DEVICE);
    status = IoCreateDevice(driver, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &KtIoSyncDevice);
    if (NT_SUCCESS(status)) {
        KtIoSyncDevice->Flags |= DO_BUFFERED_IO;
        KtIoSyncDriver = driver;
    }
    return status;
}

// ---- The pending device ------------------------------------------------------------

static void KtIoCancelHeld(DEVICE_OBJECT *device, IRP *irp)
{
    KIRQL oldIrql;

    IoReleaseCancelSpinLock(irp->CancelIrql);
    KeAcquireSpinLock(&KtIoHeldLock, &oldIrql);
    RemoveEntryList(&irp->Tail.Overlay.ListEntry);
    KtIoHeldRequests--;
    KeReleaseSpinLock(&KtIoHeldLock, oldIrql);
    __atomic_add_fetch(&KtIoCounters.Cancels, 1, __ATOMIC_RELAXED);
    KtIoComplete(irp, STATUS_CANCELLED, 0);
}

// DriverContext[0] marks a request held without a cancel routine.
#define KTIO_UNCANCELLABLE ((void *)1)

static NTSTATUS KtIoHoldEx(IRP *irp, BOOLEAN cancellable)
{
    KIRQL oldIrql;

    KeAcquireSpinLock(&KtIoHeldLock, &oldIrql);
    irp->Tail.Overlay.DriverContext[0] = cancellable ? NULL : KTIO_UNCANCELLABLE;
    if (cancellable)
        IoSetCancelRoutine(irp, KtIoCancelHeld);
    if (cancellable && irp->Cancel && IoSetCancelRoutine(irp, NULL)) {
        KeReleaseSpinLock(&KtIoHeldLock, oldIrql);
        return KtIoComplete(irp, STATUS_CANCELLED, 0);
    }
    IoMarkIrpPending(irp);
    InsertTailList(&KtIoHeld, &irp->Tail.Overlay.ListEntry);
    KtIoHeldRequests++;
    KeReleaseSpinLock(&KtIoHeldLock, oldIrql);
    return STATUS_PENDING;
}

static NTSTATUS KtIoHold(IRP *irp)
{
    return KtIoHoldEx(irp, TRUE);
}

ULONG KtIoHeldCount(void)
{
    return __atomic_load_n(&KtIoHeldRequests, __ATOMIC_RELAXED);
}

// Takes the held requests (of `file` only, unless NULL) whose cancel
// routine it wins, and completes them with `status`.
static void KtIoCompleteHeldOf(FILE_OBJECT *file, NTSTATUS status)
{
    LIST_ENTRY done;
    KIRQL oldIrql;

    InitializeListHead(&done);
    KeAcquireSpinLock(&KtIoHeldLock, &oldIrql);
    for (LIST_ENTRY *entry = KtIoHeld.Flink; entry != &KtIoHeld;) {
        IRP *irp = CONTAINING_RECORD(entry, IRP, Tail.Overlay.ListEntry);

        entry = entry->Flink;
        if (file && IoGetCurrentIrpStackLocation(irp)->FileObject != file)
            continue;
        if (irp->Tail.Overlay.DriverContext[0] != KTIO_UNCANCELLABLE &&
            !IoSetCancelRoutine(irp, NULL))
            continue;       // being cancelled: its routine takes it off
        RemoveEntryList(&irp->Tail.Overlay.ListEntry);
        InsertTailList(&done, &irp->Tail.Overlay.ListEntry);
        KtIoHeldRequests--;
    }
    KeReleaseSpinLock(&KtIoHeldLock, oldIrql);
    while (!IsListEmpty(&done)) {
        IRP *irp = CONTAINING_RECORD(RemoveHeadList(&done), IRP, Tail.Overlay.ListEntry);
        IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);
        ULONG length = 0;

        if (NT_SUCCESS(status) && stack->MajorFunction == IRP_MJ_READ) {
            length = stack->Parameters.Read.Length;
            memset(irp->AssociatedIrp.SystemBuffer, 0x5A, length);
        }
        KtIoComplete(irp, status, length);
    }
}

void KtIoCompleteHeld(NTSTATUS status)
{
    KtIoCompleteHeldOf(NULL, status);
}

static NTSTATUS KtIoPendDispatch(DEVICE_OBJECT *device, IRP *irp)
{
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);

    switch (stack->MajorFunction) {
    case IRP_MJ_READ:
        return KtIoHold(irp);
    case IRP_MJ_CLEANUP:
        // The file's requests end with its last handle, as a driver's should.
        KtIoCompleteHeldOf(stack->FileObject, STATUS_CANCELLED);
        return KtIoCountOpenClose(device, irp);
    case IRP_MJ_DEVICE_CONTROL:
        switch (stack->Parameters.DeviceIoControl.IoControlCode) {
        case IOCTL_KTIO_HOLD:
            return KtIoHold(irp);
        case IOCTL_KTIO_HOLD_UNCANCELLABLE:
            return KtIoHoldEx(irp, FALSE);
        case IOCTL_KTIO_HELD_COUNT:
            if (stack->Parameters.DeviceIoControl.OutputBufferLength < sizeof(ULONG))
                return KtIoComplete(irp, STATUS_BUFFER_TOO_SMALL, 0);
            *(ULONG *)irp->AssociatedIrp.SystemBuffer = KtIoHeldCount();
            return KtIoComplete(irp, STATUS_SUCCESS, sizeof(ULONG));
        case IOCTL_KTIO_COMPLETE_HELD:
            if (stack->Parameters.DeviceIoControl.InputBufferLength < sizeof(NTSTATUS))
                return KtIoComplete(irp, STATUS_BUFFER_TOO_SMALL, 0);
            // Whatever the caller says, but never "pending" for a completion.
            KtIoCompleteHeld(*(NTSTATUS *)irp->AssociatedIrp.SystemBuffer == STATUS_PENDING
                                 ? STATUS_UNSUCCESSFUL
                                 : *(NTSTATUS *)irp->AssociatedIrp.SystemBuffer);
            return KtIoComplete(irp, STATUS_SUCCESS, 0);
        default:
            return KtIoComplete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
        }
    default:
        return KtIoCountOpenClose(device, irp);
    }
}

static NTSTATUS KtIoPendEntry(DRIVER_OBJECT *driver, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name;
    NTSTATUS status;

    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        driver->MajorFunction[i] = KtIoPendDispatch;
    RtlInitUnicodeString(&name, KTIO_PEND_DEVICE);
    status = IoCreateDevice(driver, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &KtIoPendDevice);
    if (NT_SUCCESS(status)) {
        KtIoPendDevice->Flags |= DO_BUFFERED_IO;
        KtIoPendDriver = driver;
    }
    return status;
}

// ---- The failing device ---------------------------------------------------------------

static NTSTATUS KtIoFailDispatch(DEVICE_OBJECT *device, IRP *irp)
{
    UCHAR major = IoGetCurrentIrpStackLocation(irp)->MajorFunction;

    if (major == IRP_MJ_CREATE || major == IRP_MJ_CLEANUP || major == IRP_MJ_CLOSE)
        return KtIoCountOpenClose(device, irp);
    return KtIoComplete(irp, STATUS_DEVICE_NOT_READY, 0);
}

static NTSTATUS KtIoFailEntry(DRIVER_OBJECT *driver, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name;
    NTSTATUS status;

    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        driver->MajorFunction[i] = KtIoFailDispatch;
    RtlInitUnicodeString(&name, KTIO_FAIL_DEVICE);
    status = IoCreateDevice(driver, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &KtIoFailDevice);
    if (NT_SUCCESS(status))
        KtIoFailDriver = driver;
    return status;
}

// ---- The three-deep stack ------------------------------------------------------------------

static NTSTATUS KtIoBottomDispatch(DEVICE_OBJECT *device, IRP *irp)
{
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);

    if (stack->MajorFunction == IRP_MJ_DEVICE_CONTROL)
        return KtIoSyncControl(device, irp);
    if (stack->MajorFunction == IRP_MJ_READ)
        return KtIoHold(irp);
    return KtIoCountOpenClose(device, irp);
}

static NTSTATUS KtIoBottomEntry(DRIVER_OBJECT *driver, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name;
    NTSTATUS status;

    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        driver->MajorFunction[i] = KtIoBottomDispatch;
    RtlInitUnicodeString(&name, KTIO_STACK_DEVICE);
    status = IoCreateDevice(driver, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &KtIoBottomDevice);
    if (NT_SUCCESS(status)) {
        KtIoBottomDevice->Flags |= DO_BUFFERED_IO;
        KtIoBottomDriver = driver;
    }
    return status;
}

static NTSTATUS KtIoFilterCompletion(DEVICE_OBJECT *device, IRP *irp, void *context)
{
    KTIO_FILTER_EXTENSION *extension = device->DeviceExtension;
    LONG order = __atomic_fetch_add(&KtIoCounters.Completions, 1, __ATOMIC_RELAXED);

    if (order < 3)
        KtIoCounters.CompletionOrder[order] = extension->Index;
    if (irp->PendingReturned)
        IoMarkIrpPending(irp);
    if (extension->Index == 1 && KtIoMiddleTakesOver) {
        // The IRP is this driver's again; the test completes it once more.
        KtIoMiddleTakesOver = FALSE;
        KtIoTakenIrp = irp;
        return STATUS_MORE_PROCESSING_REQUIRED;
    }
    return STATUS_SUCCESS;
}

static NTSTATUS KtIoFilterDispatch(DEVICE_OBJECT *device, IRP *irp)
{
    KTIO_FILTER_EXTENSION *extension = device->DeviceExtension;

    IoCopyCurrentIrpStackLocationToNext(irp);
    IoSetCompletionRoutine(irp, KtIoFilterCompletion, NULL, TRUE, TRUE, TRUE);
    return IoCallDriver(extension->Lower, irp);
}

static NTSTATUS KtIoFilterAttach(DRIVER_OBJECT *driver, LONG index, DEVICE_OBJECT **device)
{
    KTIO_FILTER_EXTENSION *extension;
    NTSTATUS status = IoCreateDevice(driver, sizeof(*extension), NULL, FILE_DEVICE_UNKNOWN, 0,
                                     FALSE, device);

    if (!NT_SUCCESS(status))
        return status;
    extension = (*device)->DeviceExtension;
    extension->Index = index;
    extension->Lower = IoAttachDeviceToDeviceStack(*device, KtIoBottomDevice);
    if (!extension->Lower)
        return STATUS_NO_SUCH_DEVICE;
    (*device)->Flags |= DO_BUFFERED_IO;
    (*device)->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

static NTSTATUS KtIoFilterEntry(DRIVER_OBJECT *driver, UNICODE_STRING *registryPath)
{
    NTSTATUS status;

    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        driver->MajorFunction[i] = KtIoFilterDispatch;
    status = KtIoFilterAttach(driver, 1, &KtIoMiddleDevice);
    if (NT_SUCCESS(status))
        status = KtIoFilterAttach(driver, 2, &KtIoTopDevice);
    if (NT_SUCCESS(status))
        KtIoFilterDriver = driver;
    return status;
}

// ---- Start and stop ---------------------------------------------------------------------

NTSTATUS KtIoStartDrivers(void)
{
    UNICODE_STRING name, link, target;
    NTSTATUS status;

    memset(&KtIoCounters, 0, sizeof(KtIoCounters));
    KtIoMiddleTakesOver = FALSE;
    KeInitializeSpinLock(&KtIoHeldLock);
    InitializeListHead(&KtIoHeld);
    KtIoHeldRequests = 0;
    RtlInitUnicodeString(&name, u"\\Driver\\KtIoSync");
    status = IoCreateDriver(&name, KtIoSyncEntry);
    RtlInitUnicodeString(&name, u"\\Driver\\KtIoPend");
    if (NT_SUCCESS(status))
        status = IoCreateDriver(&name, KtIoPendEntry);
    RtlInitUnicodeString(&name, u"\\Driver\\KtIoFail");
    if (NT_SUCCESS(status))
        status = IoCreateDriver(&name, KtIoFailEntry);
    RtlInitUnicodeString(&name, u"\\Driver\\KtIoBottom");
    if (NT_SUCCESS(status))
        status = IoCreateDriver(&name, KtIoBottomEntry);
    RtlInitUnicodeString(&name, u"\\Driver\\KtIoFilter");
    if (NT_SUCCESS(status))
        status = IoCreateDriver(&name, KtIoFilterEntry);
    RtlInitUnicodeString(&link, KTIO_SYNC_LINK);
    RtlInitUnicodeString(&target, KTIO_SYNC_DEVICE);
    if (NT_SUCCESS(status))
        status = IoCreateSymbolicLink(&link, &target);
    if (!NT_SUCCESS(status))
        KtIoStopDrivers();
    return status;
}

void KtIoStopDrivers(void)
{
    DRIVER_OBJECT **drivers[] = {&KtIoFilterDriver, &KtIoBottomDriver, &KtIoFailDriver,
                                 &KtIoPendDriver, &KtIoSyncDriver};
    UNICODE_STRING link;

    RtlInitUnicodeString(&link, KTIO_SYNC_LINK);
    IoDeleteSymbolicLink(&link);
    for (ULONG i = 0; i < ARRAYSIZE(drivers); i++) {
        if (*drivers[i])
            IoDeleteDriver(*drivers[i]);
        *drivers[i] = NULL;
    }
    KtIoSyncDevice = KtIoPendDevice = KtIoFailDevice = NULL;
    KtIoBottomDevice = KtIoMiddleDevice = KtIoTopDevice = NULL;
}
