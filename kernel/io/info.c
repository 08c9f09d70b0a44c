// NtQueryInformationFile, NtSetInformationFile and NtQueryDirectoryFile.
// The information services are synchronous whatever the file object: the
// caller gets its answer when the service returns. A few classes are the
// I/O manager's own to answer (the handle's access, the file object's mode
// and position, the device's alignment); the rest go to the driver in an
// IRP, always through a system buffer, as NT's.

#include "io/iop.h"

typedef struct _IOP_INFO_CLASS {
    UCHAR Length;           // the structure's size: less is STATUS_INFO_LENGTH_MISMATCH
    UCHAR Alignment;
    ACCESS_MASK Access;     // what the handle must grant
} IOP_INFO_CLASS;

static const IOP_INFO_CLASS IopQueryClasses[FileMaximumInformation] = {
    [FileBasicInformation] = {sizeof(FILE_BASIC_INFORMATION), 8, FILE_READ_ATTRIBUTES},
    [FileStandardInformation] = {sizeof(FILE_STANDARD_INFORMATION), 8, 0},
    [FileInternalInformation] = {sizeof(FILE_INTERNAL_INFORMATION), 8, 0},
    [FileEaInformation] = {sizeof(FILE_EA_INFORMATION), 4, 0},
    [FileAccessInformation] = {sizeof(FILE_ACCESS_INFORMATION), 4, 0},
    [FileNameInformation] = {sizeof(FILE_NAME_INFORMATION), 4, 0},
    [FilePositionInformation] = {sizeof(FILE_POSITION_INFORMATION), 8, 0},
    [FileModeInformation] = {sizeof(FILE_MODE_INFORMATION), 4, 0},
    [FileAlignmentInformation] = {sizeof(FILE_ALIGNMENT_INFORMATION), 4, 0},
    [FileAllInformation] = {sizeof(FILE_ALL_INFORMATION), 8, FILE_READ_ATTRIBUTES},
    [FileNetworkOpenInformation] = {sizeof(FILE_NETWORK_OPEN_INFORMATION), 8,
                                    FILE_READ_ATTRIBUTES},
};

static const IOP_INFO_CLASS IopSetClasses[FileMaximumInformation] = {
    [FileBasicInformation] = {sizeof(FILE_BASIC_INFORMATION), 8, FILE_WRITE_ATTRIBUTES},
    [FileRenameInformation] = {sizeof(FILE_RENAME_INFORMATION), 8, DELETE},
    [FileLinkInformation] = {sizeof(FILE_RENAME_INFORMATION), 8, 0},
    [FileDispositionInformation] = {sizeof(FILE_DISPOSITION_INFORMATION), 1, DELETE},
    [FilePositionInformation] = {sizeof(FILE_POSITION_INFORMATION), 8, 0},
    [FileModeInformation] = {sizeof(FILE_MODE_INFORMATION), 4, 0},
    [FileAllocationInformation] = {sizeof(FILE_ALLOCATION_INFORMATION), 8, FILE_WRITE_DATA},
    [FileEndOfFileInformation] = {sizeof(FILE_END_OF_FILE_INFORMATION), 8, FILE_WRITE_DATA},
};

// NT's checks before anything is referenced: the class, the length, the
// status block, the buffer.
static NTSTATUS IopCheckInformationArguments(const IOP_INFO_CLASS *classes, BOOLEAN set,
                                             IO_STATUS_BLOCK *ioStatusBlock,
                                             void *fileInformation, ULONG length,
                                             FILE_INFORMATION_CLASS fileInformationClass)
{
    const IOP_INFO_CLASS *info;
    NTSTATUS status;

    if ((ULONG)fileInformationClass >= FileMaximumInformation ||
        !classes[fileInformationClass].Length)
        return STATUS_INVALID_INFO_CLASS;
    info = &classes[fileInformationClass];
    if (length < info->Length)
        return STATUS_INFO_LENGTH_MISMATCH;
    status = ProbeForWrite(ioStatusBlock, sizeof(*ioStatusBlock), sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = set ? ProbeForRead(fileInformation, length, info->Alignment)
                     : ProbeForWrite(fileInformation, length, info->Alignment);
    return status;
}

static ULONG IopFileMode(const FILE_OBJECT *fileObject)
{
    ULONG mode = 0;

    if (fileObject->Flags & FO_WRITE_THROUGH)
        mode |= FILE_WRITE_THROUGH;
    if (fileObject->Flags & FO_SEQUENTIAL_ONLY)
        mode |= FILE_SEQUENTIAL_ONLY;
    if (fileObject->Flags & FO_NO_INTERMEDIATE_BUFFERING)
        mode |= FILE_NO_INTERMEDIATE_BUFFERING;
    if (fileObject->Flags & FO_SYNCHRONOUS_IO)
        mode |= (fileObject->Flags & FO_ALERTABLE_IO) ? FILE_SYNCHRONOUS_IO_ALERT
                                                      : FILE_SYNCHRONOUS_IO_NONALERT;
    if (fileObject->Flags & FO_DELETE_ON_CLOSE)
        mode |= FILE_DELETE_ON_CLOSE;
    return mode;
}

// The classes the I/O manager answers itself; *answered says whether it did.
static NTSTATUS IopQueryOwnInformation(IOP_CALL *call, FILE_INFORMATION_CLASS infoClass,
                                       void *fileInformation, ULONG *returned,
                                       BOOLEAN *answered)
{
    FILE_OBJECT *fileObject = call->FileObject;
    union {
        FILE_ACCESS_INFORMATION Access;
        FILE_MODE_INFORMATION Mode;
        FILE_ALIGNMENT_INFORMATION Alignment;
        FILE_POSITION_INFORMATION Position;
    } answer;

    *answered = TRUE;
    switch (infoClass) {
    case FileAccessInformation:
        answer.Access.AccessFlags = call->GrantedAccess;
        *returned = sizeof(answer.Access);
        break;
    case FileModeInformation:
        answer.Mode.Mode = IopFileMode(fileObject);
        *returned = sizeof(answer.Mode);
        break;
    case FileAlignmentInformation:
        answer.Alignment.AlignmentRequirement =
            IoGetRelatedDeviceObject(fileObject)->AlignmentRequirement;
        *returned = sizeof(answer.Alignment);
        break;
    case FilePositionInformation:
        if (!call->SynchronousIo) {
            *answered = FALSE;      // the file system's, for an asynchronous file
            return STATUS_SUCCESS;
        }
        answer.Position.CurrentByteOffset = fileObject->CurrentByteOffset;
        *returned = sizeof(answer.Position);
        break;
    default:
        *answered = FALSE;
        return STATUS_SUCCESS;
    }
    return MmCopyToUser(fileInformation, &answer, *returned);
}

static NTSTATUS IopSetOwnInformation(IOP_CALL *call, FILE_INFORMATION_CLASS infoClass,
                                     const void *fileInformation, BOOLEAN *answered)
{
    FILE_OBJECT *fileObject = call->FileObject;
    NTSTATUS status;

    *answered = TRUE;
    if (infoClass == FilePositionInformation && call->SynchronousIo) {
        FILE_POSITION_INFORMATION position;

        status = MmCopyFromUser(&position, fileInformation, sizeof(position));
        if (NT_SUCCESS(status) && position.CurrentByteOffset.QuadPart < 0)
            status = STATUS_INVALID_PARAMETER;
        if (NT_SUCCESS(status))
            fileObject->CurrentByteOffset = position.CurrentByteOffset;
        return status;
    }
    if (infoClass == FileModeInformation) {
        FILE_MODE_INFORMATION mode;
        ULONG synchronous = FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT;

        status = MmCopyFromUser(&mode, fileInformation, sizeof(mode));
        if (!NT_SUCCESS(status))
            return status;
        // Only the caching hints change; the synchronous mode is the open's.
        if ((mode.Mode & ~FILE_VALID_MODE_FLAGS) || (mode.Mode & FILE_DELETE_ON_CLOSE) ||
            (mode.Mode & synchronous) != (IopFileMode(fileObject) & synchronous) ||
            (mode.Mode & FILE_NO_INTERMEDIATE_BUFFERING) !=
                (IopFileMode(fileObject) & FILE_NO_INTERMEDIATE_BUFFERING))
            return STATUS_INVALID_PARAMETER;
        __atomic_and_fetch(&fileObject->Flags, ~(FO_WRITE_THROUGH | FO_SEQUENTIAL_ONLY),
                           __ATOMIC_RELAXED);
        __atomic_or_fetch(&fileObject->Flags,
                          ((mode.Mode & FILE_WRITE_THROUGH) ? FO_WRITE_THROUGH : 0) |
                              ((mode.Mode & FILE_SEQUENTIAL_ONLY) ? FO_SEQUENTIAL_ONLY : 0),
                          __ATOMIC_RELAXED);
        return STATUS_SUCCESS;
    }
    *answered = FALSE;
    return STATUS_SUCCESS;
}

// Sends an information IRP and waits for it whatever the file object: a
// synchronous one through the common tail, an asynchronous one on an event
// of this service's own (the caller's status block is written from a copy).
static NTSTATUS IopInformationTail(DEVICE_OBJECT *device, IRP *irp, IOP_CALL *call,
                                   IO_STATUS_BLOCK *ioStatusBlock)
{
    IO_STATUS_BLOCK result = {.Status = STATUS_PENDING};
    BOOLEAN tell;
    KEVENT event;
    NTSTATUS status;

    irp->Flags |= IRP_DEFER_IO_COMPLETION;
    if (call->SynchronousIo)
        return IopSynchronousServiceTail(device, irp, call);
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    irp->Flags |= IRP_SYNCHRONOUS_API;
    irp->UserEvent = &event;
    irp->UserIosb = &result;
    IoQueueThreadIrp(irp);
    status = IoCallDriver(device, irp);
    if (status == STATUS_PENDING) {
        KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
        status = result.Status;
        tell = TRUE;
    } else {
        tell = !NT_ERROR(irp->IoStatus.Status);
        IopFinishDeferredRequest(irp, device, status);
        status = result.Status == STATUS_PENDING ? status : result.Status;
    }
    if (tell)
        MmCopyToUser(ioStatusBlock, &result, sizeof(result));
    return status;
}

static NTSTATUS IopInformationFile(BOOLEAN set, HANDLE fileHandle,
                                   IO_STATUS_BLOCK *ioStatusBlock, void *fileInformation,
                                   ULONG length, FILE_INFORMATION_CLASS infoClass)
{
    const IOP_INFO_CLASS *classes = set ? IopSetClasses : IopQueryClasses;
    IO_STATUS_BLOCK result = {.Status = STATUS_SUCCESS};
    DEVICE_OBJECT *device;
    IO_STACK_LOCATION *stack;
    BOOLEAN answered;
    IOP_CALL call;
    void *systemBuffer;
    IRP *irp;
    NTSTATUS status = IopCheckInformationArguments(classes, set, ioStatusBlock, fileInformation,
                                                   length, infoClass);

    if (!NT_SUCCESS(status))
        return status;
    status = IopReferenceFile(fileHandle, classes[infoClass].Access, &call);
    if (!NT_SUCCESS(status))
        return status;
    status = IopReferenceEventAndLock(NULL, &call);
    if (status != STATUS_SUCCESS)
        return status;
    status = set ? IopSetOwnInformation(&call, infoClass, fileInformation, &answered)
                 : IopQueryOwnInformation(&call, infoClass, fileInformation,
                                          (ULONG *)&result.Information, &answered);
    if (answered) {
        if (NT_SUCCESS(status))
            status = MmCopyToUser(ioStatusBlock, &result, sizeof(result));
        IopAbortCall(&call);
        return status;
    }
    systemBuffer = ExAllocatePoolWithTag(NonPagedPool, length, IO_SYSTEM_BUFFER_TAG);
    if (!systemBuffer) {
        IopAbortCall(&call);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    memset(systemBuffer, 0, length);
    if (set) {
        status = MmCopyFromUser(systemBuffer, fileInformation, length);
        if (!NT_SUCCESS(status)) {
            ExFreePoolWithTag(systemBuffer, IO_SYSTEM_BUFFER_TAG);
            IopAbortCall(&call);
            return status;
        }
    }
    irp = IopAllocateCallIrp(&call, set ? IRP_MJ_SET_INFORMATION : IRP_MJ_QUERY_INFORMATION,
                             ioStatusBlock, NULL, NULL, &device);
    if (!irp) {
        ExFreePoolWithTag(systemBuffer, IO_SYSTEM_BUFFER_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    irp->AssociatedIrp.SystemBuffer = systemBuffer;
    irp->Flags = IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | (set ? 0 : IRP_INPUT_OPERATION);
    irp->UserBuffer = fileInformation;
    stack = IoGetNextIrpStackLocation(irp);
    stack->Parameters.QueryFile.Length = length;
    stack->Parameters.QueryFile.FileInformationClass = infoClass;
    return IopInformationTail(device, irp, &call, ioStatusBlock);
}

NTSTATUS NtQueryInformationFile(HANDLE fileHandle, IO_STATUS_BLOCK *ioStatusBlock,
                                void *fileInformation, ULONG length,
                                FILE_INFORMATION_CLASS fileInformationClass)
{
    return IopInformationFile(FALSE, fileHandle, ioStatusBlock, fileInformation, length,
                              fileInformationClass);
}

NTSTATUS NtSetInformationFile(HANDLE fileHandle, IO_STATUS_BLOCK *ioStatusBlock,
                              void *fileInformation, ULONG length,
                              FILE_INFORMATION_CLASS fileInformationClass)
{
    return IopInformationFile(TRUE, fileHandle, ioStatusBlock, fileInformation, length,
                              fileInformationClass);
}

// The classes a directory can be listed in, and the smallest entry of each.
static ULONG IopDirectoryEntryLength(FILE_INFORMATION_CLASS fileInformationClass)
{
    switch (fileInformationClass) {
    case FileDirectoryInformation:
        return sizeof(FILE_DIRECTORY_INFORMATION);
    case FileFullDirectoryInformation:
        return sizeof(FILE_FULL_DIR_INFORMATION);
    case FileBothDirectoryInformation:
        return sizeof(FILE_BOTH_DIR_INFORMATION);
    case FileNamesInformation:
        return sizeof(FILE_NAMES_INFORMATION);
    default:
        return 0;
    }
}

// The caller's pattern, copied into one block (a UNICODE_STRING and its
// characters) that the IRP carries in Tail.Overlay.AuxiliaryBuffer until
// it completes.
static NTSTATUS IopCaptureFileName(const UNICODE_STRING *fileName, UNICODE_STRING **captured)
{
    UNICODE_STRING name;
    UNICODE_STRING *copy;
    NTSTATUS status = MmCopyFromUser(&name, fileName, sizeof(name));

    *captured = NULL;
    if (!NT_SUCCESS(status))
        return status;
    if (!name.Length || (name.Length & 1) || name.Length > name.MaximumLength)
        return STATUS_INVALID_PARAMETER;
    copy = ExAllocatePoolWithTag(NonPagedPool, sizeof(*copy) + name.Length, IO_NAME_TAG);
    if (!copy)
        return STATUS_INSUFFICIENT_RESOURCES;
    copy->Buffer = (WCHAR *)(copy + 1);
    copy->Length = copy->MaximumLength = name.Length;
    status = MmCopyFromUser(copy->Buffer, name.Buffer, name.Length);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(copy, IO_NAME_TAG);
        return status;
    }
    *captured = copy;
    return STATUS_SUCCESS;
}

NTSTATUS NtQueryDirectoryFile(HANDLE fileHandle, HANDLE event, PIO_APC_ROUTINE apcRoutine,
                              void *apcContext, IO_STATUS_BLOCK *ioStatusBlock,
                              void *fileInformation, ULONG length,
                              FILE_INFORMATION_CLASS fileInformationClass,
                              BOOLEAN returnSingleEntry, UNICODE_STRING *fileName,
                              BOOLEAN restartScan)
{
    ULONG entryLength = IopDirectoryEntryLength(fileInformationClass);
    UNICODE_STRING *pattern = NULL;
    DEVICE_OBJECT *device;
    IO_STACK_LOCATION *stack;
    IOP_CALL call;
    IRP *irp;
    NTSTATUS status = ProbeForWrite(ioStatusBlock, sizeof(*ioStatusBlock), sizeof(ULONG));

    if (NT_SUCCESS(status))
        status = ProbeForWrite(fileInformation, length, sizeof(ULONG));
    if (!NT_SUCCESS(status))
        return status;
    if (!entryLength)
        return STATUS_INVALID_INFO_CLASS;
    if (length < entryLength)
        return STATUS_INFO_LENGTH_MISMATCH;
    if (fileName) {
        status = IopCaptureFileName(fileName, &pattern);
        if (!NT_SUCCESS(status))
            return status;
    }
    status = IopReferenceFile(fileHandle, FILE_LIST_DIRECTORY, &call);
    if (NT_SUCCESS(status))
        status = IopReferenceEventAndLock(event, &call);
    irp = status == STATUS_SUCCESS ? IopAllocateCallIrp(&call, IRP_MJ_DIRECTORY_CONTROL,
                                                        ioStatusBlock, apcRoutine, apcContext,
                                                        &device)
                                   : NULL;
    if (!irp) {
        if (pattern)
            ExFreePoolWithTag(pattern, IO_NAME_TAG);
        return status == STATUS_SUCCESS ? STATUS_INSUFFICIENT_RESOURCES : status;
    }
    stack = IoGetNextIrpStackLocation(irp);
    stack->MinorFunction = IRP_MN_QUERY_DIRECTORY;
    if (restartScan)
        stack->Flags |= SL_RESTART_SCAN;
    if (returnSingleEntry)
        stack->Flags |= SL_RETURN_SINGLE_ENTRY;
    stack->Parameters.QueryDirectory.Length = length;
    stack->Parameters.QueryDirectory.FileName = pattern;
    stack->Parameters.QueryDirectory.FileInformationClass = fileInformationClass;
    irp->Tail.Overlay.AuxiliaryBuffer = (char *)pattern;
    irp->UserBuffer = fileInformation;
    if (device->Flags & (DO_BUFFERED_IO | DO_DIRECT_IO)) {
        irp->AssociatedIrp.SystemBuffer = ExAllocatePoolWithTag(NonPagedPool, length,
                                                                IO_SYSTEM_BUFFER_TAG);
        if (!irp->AssociatedIrp.SystemBuffer) {
            if (pattern)
                ExFreePoolWithTag(pattern, IO_NAME_TAG);
            IoFreeIrp(irp);
            IopAbortCall(&call);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        memset(irp->AssociatedIrp.SystemBuffer, 0, length);
        irp->Flags = IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | IRP_INPUT_OPERATION;
    }
    return IopSynchronousServiceTail(device, irp, &call);
}
