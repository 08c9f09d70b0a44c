// IRP_MJ_QUERY_INFORMATION and IRP_MJ_SET_INFORMATION of the RAM file
// system: the classes a file system answers (basic, standard, internal,
// position, name, network-open, all) and the changes it makes (attributes,
// delete, rename, end of file, position). The buffers are the I/O
// manager's system buffer; lengths were checked against each class's size
// by the I/O manager, and are checked again here.

#include "drivers/ramfs/ramfs.h"

// The FCB's path from the root ("\dir\file"), as much as fits in
// `maximum` bytes at `buffer`; returns the whole path's length in bytes.
static ULONG RamFsFullName(const RAMFS_FCB *fcb, WCHAR *buffer, ULONG maximum)
{
    ULONG length = 0, position;

    for (const RAMFS_FCB *node = fcb; node->ParentFcb; node = node->ParentFcb)
        length += sizeof(WCHAR) + node->FileName.Length;
    if (length == 0)
        length = sizeof(WCHAR);         // the root is "\"
    position = length;
    if (fcb->ParentFcb == NULL && maximum >= sizeof(WCHAR))
        buffer[0] = '\\';
    for (const RAMFS_FCB *node = fcb; node->ParentFcb; node = node->ParentFcb) {
        position -= node->FileName.Length;
        for (ULONG i = 0; i < node->FileName.Length / sizeof(WCHAR); i++) {
            if (position + (i + 1) * sizeof(WCHAR) <= maximum)
                buffer[position / sizeof(WCHAR) + i] = node->FileName.Buffer[i];
        }
        position -= sizeof(WCHAR);
        if (position + sizeof(WCHAR) <= maximum)
            buffer[position / sizeof(WCHAR)] = '\\';
    }
    return length;
}

static void RamFsBasicInformation(const RAMFS_FCB *fcb, FILE_BASIC_INFORMATION *basic)
{
    basic->CreationTime.QuadPart = fcb->CreationTime;
    basic->LastAccessTime.QuadPart = fcb->LastWriteTime;
    basic->LastWriteTime.QuadPart = fcb->LastWriteTime;
    basic->ChangeTime.QuadPart = fcb->LastWriteTime;
    basic->FileAttributes = fcb->FileAttributes ? fcb->FileAttributes : FILE_ATTRIBUTE_NORMAL;
}

static void RamFsStandardInformation(const RAMFS_FCB *fcb, FILE_STANDARD_INFORMATION *standard)
{
    standard->AllocationSize.QuadPart = (LONG64)fcb->AllocationSize;
    standard->EndOfFile.QuadPart = (LONG64)fcb->FileSize;
    standard->NumberOfLinks = fcb->ParentFcb || !fcb->DeletePending ? 1 : 0;
    standard->DeletePending = fcb->DeletePending;
    standard->Directory = (fcb->FileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
}

// FILE_NAME_INFORMATION at `name` with `length` bytes for it; the name is
// cut short (STATUS_BUFFER_OVERFLOW) when it does not fit.
static NTSTATUS RamFsNameInformation(const RAMFS_FCB *fcb, FILE_NAME_INFORMATION *name,
                                     ULONG length, ULONG *used)
{
    ULONG room = length - FIELD_OFFSET(FILE_NAME_INFORMATION, FileName);
    ULONG full = RamFsFullName(fcb, name->FileName, room);

    name->FileNameLength = full;
    *used = FIELD_OFFSET(FILE_NAME_INFORMATION, FileName) + (full < room ? full : room);
    return full <= room ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW;
}

static NTSTATUS RamFsQueryFcb(FILE_OBJECT *fileObject, const RAMFS_FCB *fcb,
                              FILE_INFORMATION_CLASS informationClass, void *buffer,
                              ULONG length, ULONG *used)
{
    NTSTATUS status = STATUS_SUCCESS;

    switch (informationClass) {
    case FileBasicInformation:
        *used = sizeof(FILE_BASIC_INFORMATION);
        if (length < *used)
            return STATUS_INFO_LENGTH_MISMATCH;
        RamFsBasicInformation(fcb, buffer);
        return STATUS_SUCCESS;
    case FileStandardInformation:
        *used = sizeof(FILE_STANDARD_INFORMATION);
        if (length < *used)
            return STATUS_INFO_LENGTH_MISMATCH;
        RamFsStandardInformation(fcb, buffer);
        return STATUS_SUCCESS;
    case FileInternalInformation:
        *used = sizeof(FILE_INTERNAL_INFORMATION);
        if (length < *used)
            return STATUS_INFO_LENGTH_MISMATCH;
        ((FILE_INTERNAL_INFORMATION *)buffer)->IndexNumber.QuadPart = (LONG64)fcb->FileId;
        return STATUS_SUCCESS;
    case FilePositionInformation:
        *used = sizeof(FILE_POSITION_INFORMATION);
        if (length < *used)
            return STATUS_INFO_LENGTH_MISMATCH;
        ((FILE_POSITION_INFORMATION *)buffer)->CurrentByteOffset = fileObject->CurrentByteOffset;
        return STATUS_SUCCESS;
    case FileNameInformation:
        if (length < FIELD_OFFSET(FILE_NAME_INFORMATION, FileName))
            return STATUS_INFO_LENGTH_MISMATCH;
        return RamFsNameInformation(fcb, buffer, length, used);
    case FileNetworkOpenInformation: {
        FILE_NETWORK_OPEN_INFORMATION *open = buffer;
        FILE_BASIC_INFORMATION basic;

        *used = sizeof(*open);
        if (length < *used)
            return STATUS_INFO_LENGTH_MISMATCH;
        RamFsBasicInformation(fcb, &basic);
        open->CreationTime = basic.CreationTime;
        open->LastAccessTime = basic.LastAccessTime;
        open->LastWriteTime = basic.LastWriteTime;
        open->ChangeTime = basic.ChangeTime;
        open->AllocationSize.QuadPart = (LONG64)fcb->AllocationSize;
        open->EndOfFile.QuadPart = (LONG64)fcb->FileSize;
        open->FileAttributes = basic.FileAttributes;
        return STATUS_SUCCESS;
    }
    case FileAllInformation: {
        FILE_ALL_INFORMATION *all = buffer;
        ULONG nameUsed;

        if (length < FIELD_OFFSET(FILE_ALL_INFORMATION, NameInformation.FileName))
            return STATUS_INFO_LENGTH_MISMATCH;
        memset(all, 0, FIELD_OFFSET(FILE_ALL_INFORMATION, NameInformation));
        RamFsBasicInformation(fcb, &all->BasicInformation);
        RamFsStandardInformation(fcb, &all->StandardInformation);
        all->InternalInformation.IndexNumber.QuadPart = (LONG64)fcb->FileId;
        all->PositionInformation.CurrentByteOffset = fileObject->CurrentByteOffset;
        status = RamFsNameInformation(fcb, &all->NameInformation,
                                      length - FIELD_OFFSET(FILE_ALL_INFORMATION,
                                                            NameInformation),
                                      &nameUsed);
        *used = FIELD_OFFSET(FILE_ALL_INFORMATION, NameInformation) + nameUsed;
        return status;
    }
    default:
        return STATUS_INVALID_PARAMETER;
    }
}

NTSTATUS RamFsFsdQueryInformation(DEVICE_OBJECT *deviceObject, IRP *irp)
{
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);
    RAMFS_VOLUME *volume = RamFsVolumeOf(deviceObject);
    RAMFS_FCB *fcb = stack->FileObject ? stack->FileObject->FsContext : NULL;
    void *buffer = irp->AssociatedIrp.SystemBuffer;
    ULONG used = 0;
    NTSTATUS status;

    if (!volume || !fcb)
        return RamFsCompleteRequest(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    if (!buffer)
        return RamFsCompleteRequest(irp, STATUS_INVALID_USER_BUFFER, 0);
    RamFsAcquireVolume(volume);
    status = RamFsQueryFcb(stack->FileObject, fcb,
                           stack->Parameters.QueryFile.FileInformationClass, buffer,
                           stack->Parameters.QueryFile.Length, &used);
    RamFsReleaseVolume(volume);
    return RamFsCompleteRequest(irp, status, NT_ERROR(status) ? 0 : used);
}

// FileRenameInformation: a name on the same volume, from the root (the I/O
// manager has opened its directory when RootDirectory was given: the target
// file object then holds the directory and the last component).
static NTSTATUS RamFsSetRename(RAMFS_VOLUME *volume, RAMFS_FCB *fcb, IO_STACK_LOCATION *stack,
                               const FILE_RENAME_INFORMATION *rename, ULONG length)
{
    FILE_OBJECT *target = stack->Parameters.SetFile.FileObject;
    UNICODE_STRING name;
    WCHAR *path;
    ULONG directoryLength, position;
    NTSTATUS status;

    if (length < FIELD_OFFSET(FILE_RENAME_INFORMATION, FileName) ||
        rename->FileNameLength > length - FIELD_OFFSET(FILE_RENAME_INFORMATION, FileName) ||
        rename->FileNameLength > 0xFFFE || (rename->FileNameLength & 1))
        return STATUS_INVALID_PARAMETER;
    if (!target) {
        // A name relative to another directory is the I/O manager's to open
        // (as the target file object); one that came without it cannot be
        // placed.
        if (rename->RootDirectory)
            return STATUS_NOT_SUPPORTED;
        name.Buffer = (WCHAR *)rename->FileName;
        name.Length = name.MaximumLength = (USHORT)rename->FileNameLength;
        return RamFsRename(&volume->Vcb, fcb, &name, stack->Parameters.SetFile.ReplaceIfExists);
    }
    // The target directory (another file object of this volume) and the
    // last component left in the target's name.
    if (!target->FsContext || target->DeviceObject != volume->VolumeDevice)
        return STATUS_NOT_SAME_DEVICE;
    // A directory no longer in the tree has no path to move into.
    if (target->FsContext != volume->Vcb.RootFcb &&
        !((RAMFS_FCB *)target->FsContext)->ParentFcb)
        return STATUS_FILE_DELETED;
    directoryLength = RamFsFullName(target->FsContext, NULL, 0);
    if (directoryLength + sizeof(WCHAR) + target->FileName.Length > 0xFFFE)
        return STATUS_OBJECT_NAME_INVALID;
    path = RamFsAllocate(directoryLength + sizeof(WCHAR) + target->FileName.Length,
                         RAMFS_CCB_TAG);
    if (!path)
        return STATUS_INSUFFICIENT_RESOURCES;
    RamFsFullName(target->FsContext, path, directoryLength);
    position = directoryLength;
    if (directoryLength > sizeof(WCHAR)) {      // not the root, "\"
        path[position / sizeof(WCHAR)] = '\\';
        position += sizeof(WCHAR);
    }
    memcpy((UCHAR *)path + position, target->FileName.Buffer, target->FileName.Length);
    name.Buffer = path;
    name.Length = name.MaximumLength = (USHORT)(position + target->FileName.Length);
    status = RamFsRename(&volume->Vcb, fcb, &name, stack->Parameters.SetFile.ReplaceIfExists);
    RamFsFree(path, RAMFS_CCB_TAG);
    return status;
}

static NTSTATUS RamFsSetFcb(RAMFS_VOLUME *volume, FILE_OBJECT *fileObject, RAMFS_FCB *fcb,
                            IO_STACK_LOCATION *stack, void *buffer)
{
    ULONG length = stack->Parameters.SetFile.Length;
    ULONG64 oldSize;
    NTSTATUS status;

    switch (stack->Parameters.SetFile.FileInformationClass) {
    case FileBasicInformation: {
        FILE_BASIC_INFORMATION *basic = buffer;
        ULONG settable = FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_HIDDEN |
                         FILE_ATTRIBUTE_SYSTEM | FILE_ATTRIBUTE_ARCHIVE;

        if (length < sizeof(*basic))
            return STATUS_INFO_LENGTH_MISMATCH;
        // 0 leaves a field as it is; times of -1 too.
        if (basic->FileAttributes)
            fcb->FileAttributes = (fcb->FileAttributes & ~settable) |
                                  (basic->FileAttributes & settable);
        if (basic->CreationTime.QuadPart > 0)
            fcb->CreationTime = basic->CreationTime.QuadPart;
        if (basic->LastWriteTime.QuadPart > 0)
            fcb->LastWriteTime = basic->LastWriteTime.QuadPart;
        return STATUS_SUCCESS;
    }
    case FileDispositionInformation:
        if (length < sizeof(FILE_DISPOSITION_INFORMATION))
            return STATUS_INFO_LENGTH_MISMATCH;
        return RamFsSetDeletePending(fcb, ((FILE_DISPOSITION_INFORMATION *)buffer)->DeleteFile);
    case FileRenameInformation:
        return RamFsSetRename(volume, fcb, stack, buffer, length);
    case FileEndOfFileInformation:
    case FileAllocationInformation: {
        LONG64 size;

        if (length < sizeof(FILE_END_OF_FILE_INFORMATION))
            return STATUS_INFO_LENGTH_MISMATCH;
        size = ((FILE_END_OF_FILE_INFORMATION *)buffer)->EndOfFile.QuadPart;
        if (size < 0)
            return STATUS_INVALID_PARAMETER;
        // An allocation only ever shrinks the file: a RAM file has no more
        // room than its bytes.
        if (stack->Parameters.SetFile.FileInformationClass == FileAllocationInformation &&
            (ULONG64)size >= fcb->FileSize)
            return STATUS_SUCCESS;
        oldSize = fcb->FileSize;
        status = RamFsSetFileSize(&volume->Vcb, fcb, (ULONG64)size);
        if (NT_SUCCESS(status))
            RamFsEfsFillGap(fcb, fileObject->FsContext2, oldSize, (ULONG64)size);
        return status;
    }
    case FilePositionInformation: {
        LONG64 position;

        if (length < sizeof(FILE_POSITION_INFORMATION))
            return STATUS_INFO_LENGTH_MISMATCH;
        position = ((FILE_POSITION_INFORMATION *)buffer)->CurrentByteOffset.QuadPart;
        if (position < 0)
            return STATUS_INVALID_PARAMETER;
        fileObject->CurrentByteOffset.QuadPart = position;
        return STATUS_SUCCESS;
    }
    default:
        return STATUS_INVALID_PARAMETER;
    }
}

NTSTATUS RamFsFsdSetInformation(DEVICE_OBJECT *deviceObject, IRP *irp)
{
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);
    RAMFS_VOLUME *volume = RamFsVolumeOf(deviceObject);
    RAMFS_FCB *fcb = stack->FileObject ? stack->FileObject->FsContext : NULL;
    void *buffer = irp->AssociatedIrp.SystemBuffer;
    NTSTATUS status;

    if (!volume || !fcb)
        return RamFsCompleteRequest(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    if (!buffer)
        return RamFsCompleteRequest(irp, STATUS_INVALID_USER_BUFFER, 0);
    // Changing an encrypted file's bytes needs its key.
    if ((fcb->FileAttributes & FILE_ATTRIBUTE_ENCRYPTED) &&
        stack->Parameters.SetFile.FileInformationClass == FileEndOfFileInformation &&
        !((RAMFS_CCB *)stack->FileObject->FsContext2)->HaveFek)
        return RamFsCompleteRequest(irp, STATUS_ACCESS_DENIED, 0);
    RamFsAcquireVolume(volume);
    status = RamFsSetFcb(volume, stack->FileObject, fcb, stack, buffer);
    if (NT_SUCCESS(status))
        stack->FileObject->DeletePending = fcb->DeletePending;
    RamFsReleaseVolume(volume);
    return RamFsCompleteRequest(irp, status, 0);
}
