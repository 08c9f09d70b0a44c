// IRP_MJ_DIRECTORY_CONTROL / IRP_MN_QUERY_DIRECTORY of the RAM file system:
// NtQueryDirectoryFile's entries, as many as fit (or one, when asked), in
// the directory, full-directory, both-directory or names format. The
// enumeration's place is the open's CCB (rfcore.c): it resumes after the
// last name returned, and SL_RESTART_SCAN starts it again.

#include "drivers/ramfs/ramfs.h"

// Where each format keeps the name, and how big it is before the name.
static NTSTATUS RamFsEntryLayout(FILE_INFORMATION_CLASS informationClass, ULONG *nameOffset)
{
    switch (informationClass) {
    case FileDirectoryInformation:
        *nameOffset = FIELD_OFFSET(FILE_DIRECTORY_INFORMATION, FileName);
        return STATUS_SUCCESS;
    case FileFullDirectoryInformation:
        *nameOffset = FIELD_OFFSET(FILE_FULL_DIR_INFORMATION, FileName);
        return STATUS_SUCCESS;
    case FileBothDirectoryInformation:
        *nameOffset = FIELD_OFFSET(FILE_BOTH_DIR_INFORMATION, FileName);
        return STATUS_SUCCESS;
    case FileNamesInformation:
        *nameOffset = FIELD_OFFSET(FILE_NAMES_INFORMATION, FileName);
        return STATUS_SUCCESS;
    default:
        return STATUS_INVALID_INFO_CLASS;
    }
}

// Fills one entry's fixed part (zeroed by the caller) and `nameBytes` of
// its name; the formats share their first fields.
static void RamFsFillEntry(FILE_INFORMATION_CLASS informationClass, UCHAR *entry,
                           const RAMFS_FCB *fcb, ULONG nameOffset, ULONG nameBytes)
{
    if (informationClass == FileNamesInformation) {
        FILE_NAMES_INFORMATION *names = (FILE_NAMES_INFORMATION *)entry;

        names->FileNameLength = fcb->FileName.Length;
    } else {
        FILE_DIRECTORY_INFORMATION *directory = (FILE_DIRECTORY_INFORMATION *)entry;

        directory->CreationTime.QuadPart = fcb->CreationTime;
        directory->LastAccessTime.QuadPart = fcb->LastWriteTime;
        directory->LastWriteTime.QuadPart = fcb->LastWriteTime;
        directory->ChangeTime.QuadPart = fcb->LastWriteTime;
        directory->EndOfFile.QuadPart = (LONG64)fcb->FileSize;
        directory->AllocationSize.QuadPart = (LONG64)fcb->AllocationSize;
        directory->FileAttributes = fcb->FileAttributes ? fcb->FileAttributes
                                                        : FILE_ATTRIBUTE_NORMAL;
        directory->FileNameLength = fcb->FileName.Length;
    }
    memcpy(entry + nameOffset, fcb->FileName.Buffer, nameBytes);
}

static NTSTATUS RamFsQueryDirectory(RAMFS_FCB *directory, RAMFS_CCB *ccb,
                                    IO_STACK_LOCATION *stack, UCHAR *buffer, ULONG length,
                                    ULONG *used)
{
    FILE_INFORMATION_CLASS informationClass =
        stack->Parameters.QueryDirectory.FileInformationClass;
    BOOLEAN restart = (stack->Flags & SL_RESTART_SCAN) != 0;
    BOOLEAN single = (stack->Flags & SL_RETURN_SINGLE_ENTRY) != 0;
    ULONG nameOffset, offset = 0, previous = 0, count = 0;
    NTSTATUS status = RamFsEntryLayout(informationClass, &nameOffset);

    *used = 0;
    if (!NT_SUCCESS(status))
        return status;
    if (length < nameOffset)
        return STATUS_INFO_LENGTH_MISMATCH;
    for (;;) {
        RAMFS_FCB *entry;
        ULONG size;

        status = RamFsNextDirectoryEntry(directory, ccb, stack->Parameters.QueryDirectory.FileName,
                                         restart && count == 0, &entry);
        if (!NT_SUCCESS(status))
            break;
        offset = ALIGN_UP_BY(offset, 8);
        size = nameOffset + entry->FileName.Length;
        if (offset > length || size > length - offset) {
            if (count > 0)
                break;          // returned again by the next call
            // The first entry does not fit: what fits of it, as NT's.
            memset(buffer, 0, nameOffset);
            RamFsFillEntry(informationClass, buffer, entry, nameOffset, length - nameOffset);
            RamFsAdvanceEnumeration(ccb, entry);
            *used = length;
            return STATUS_BUFFER_OVERFLOW;
        }
        status = RamFsAdvanceEnumeration(ccb, entry);
        if (!NT_SUCCESS(status))
            break;
        memset(buffer + offset, 0, nameOffset);
        RamFsFillEntry(informationClass, buffer + offset, entry, nameOffset,
                       entry->FileName.Length);
        if (count > 0)
            *(ULONG *)(buffer + previous) = offset - previous;      // NextEntryOffset
        previous = offset;
        offset += size;
        *used = offset;
        count++;
        if (single)
            break;
    }
    // Entries returned: success, whatever ended the walk.
    return count > 0 ? STATUS_SUCCESS : status;
}

NTSTATUS RamFsFsdDirectoryControl(DEVICE_OBJECT *deviceObject, IRP *irp)
{
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);
    RAMFS_VOLUME *volume = RamFsVolumeOf(deviceObject);
    RAMFS_FCB *fcb = stack->FileObject ? stack->FileObject->FsContext : NULL;
    ULONG length = stack->Parameters.QueryDirectory.Length;
    void *buffer = irp->AssociatedIrp.SystemBuffer;
    ULONG used = 0;
    NTSTATUS status;

    if (!volume || !fcb || stack->MinorFunction != IRP_MN_QUERY_DIRECTORY)
        return RamFsCompleteRequest(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    if (!(fcb->FileAttributes & FILE_ATTRIBUTE_DIRECTORY))
        return RamFsCompleteRequest(irp, STATUS_INVALID_PARAMETER, 0);
    if (!buffer && irp->RequestorMode == KernelMode)
        buffer = irp->UserBuffer;
    if (!buffer)
        return RamFsCompleteRequest(irp, STATUS_INVALID_USER_BUFFER, 0);
    RamFsAcquireVolume(volume);
    status = RamFsQueryDirectory(fcb, stack->FileObject->FsContext2, stack, buffer, length,
                                 &used);
    RamFsReleaseVolume(volume);
    return RamFsCompleteRequest(irp, status, NT_ERROR(status) ? 0 : used);
}
