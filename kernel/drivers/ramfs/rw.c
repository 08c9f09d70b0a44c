// IRP_MJ_READ and IRP_MJ_WRITE of the RAM file system. The volume device
// does buffered I/O (DO_BUFFERED_IO): the bytes move through the I/O
// manager's system buffer, so nothing here touches a caller's memory. An
// encrypted file's bytes are kept enciphered and pass through the toy
// cipher with the key the open's post-create step got (RamFsCipher).

#include "drivers/ramfs/ramfs.h"

// The file of a data request: an open of a file (not the volume, not a
// directory) on this volume.
static NTSTATUS RamFsDataFile(DEVICE_OBJECT *deviceObject, IRP *irp, RAMFS_VOLUME **volume,
                              RAMFS_FCB **fcb, RAMFS_CCB **ccb)
{
    FILE_OBJECT *fileObject = IoGetCurrentIrpStackLocation(irp)->FileObject;

    *volume = RamFsVolumeOf(deviceObject);
    if (!*volume || !fileObject || !fileObject->FsContext)
        return STATUS_INVALID_DEVICE_REQUEST;
    *fcb = fileObject->FsContext;
    *ccb = fileObject->FsContext2;
    if ((*fcb)->FileAttributes & FILE_ATTRIBUTE_DIRECTORY)
        return STATUS_INVALID_DEVICE_REQUEST;
    // An encrypted file opened without its key (for its attributes only).
    if (((*fcb)->FileAttributes & FILE_ATTRIBUTE_ENCRYPTED) && !(*ccb)->HaveFek)
        return STATUS_ACCESS_DENIED;
    return STATUS_SUCCESS;
}

// The request's buffer: the system buffer, or a kernel caller's own.
static void *RamFsRequestBuffer(IRP *irp)
{
    if (irp->AssociatedIrp.SystemBuffer)
        return irp->AssociatedIrp.SystemBuffer;
    return irp->RequestorMode == KernelMode ? irp->UserBuffer : NULL;
}

// Where the request starts: its offset, or the synchronous file's pointer.
static ULONG64 RamFsStartingOffset(FILE_OBJECT *fileObject, LARGE_INTEGER byteOffset)
{
    if (byteOffset.HighPart == -1 && byteOffset.LowPart == FILE_USE_FILE_POINTER_POSITION &&
        (fileObject->Flags & FO_SYNCHRONOUS_IO))
        return (ULONG64)fileObject->CurrentByteOffset.QuadPart;
    return (ULONG64)byteOffset.QuadPart;
}

NTSTATUS RamFsFsdRead(DEVICE_OBJECT *deviceObject, IRP *irp)
{
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);
    ULONG length = stack->Parameters.Read.Length;
    void *buffer = RamFsRequestBuffer(irp);
    RAMFS_VOLUME *volume;
    RAMFS_FCB *fcb;
    RAMFS_CCB *ccb;
    ULONG64 offset;
    ULONG bytesRead = 0;
    NTSTATUS status = RamFsDataFile(deviceObject, irp, &volume, &fcb, &ccb);

    if (!NT_SUCCESS(status))
        return RamFsCompleteRequest(irp, status, 0);
    if (length && !buffer)
        return RamFsCompleteRequest(irp, STATUS_INVALID_USER_BUFFER, 0);
    offset = RamFsStartingOffset(stack->FileObject, stack->Parameters.Read.ByteOffset);
    if ((LONG64)offset < 0)
        return RamFsCompleteRequest(irp, STATUS_INVALID_PARAMETER, 0);
    // Nothing asked for is nothing read, wherever the end is (as FAT's).
    if (length == 0)
        return RamFsCompleteRequest(irp, STATUS_SUCCESS, 0);
    RamFsAcquireVolume(volume);
    status = RamFsReadData(fcb, offset, buffer, length, &bytesRead);
    RamFsReleaseVolume(volume);
    if (NT_SUCCESS(status) && (fcb->FileAttributes & FILE_ATTRIBUTE_ENCRYPTED))
        RamFsCipher(ccb->Fek, offset, buffer, bytesRead);
    if (NT_SUCCESS(status) && (stack->FileObject->Flags & FO_SYNCHRONOUS_IO))
        stack->FileObject->CurrentByteOffset.QuadPart = (LONG64)(offset + bytesRead);
    return RamFsCompleteRequest(irp, status, bytesRead);
}

NTSTATUS RamFsFsdWrite(DEVICE_OBJECT *deviceObject, IRP *irp)
{
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);
    LARGE_INTEGER byteOffset = stack->Parameters.Write.ByteOffset;
    ULONG length = stack->Parameters.Write.Length;
    void *buffer = RamFsRequestBuffer(irp);
    RAMFS_VOLUME *volume;
    RAMFS_FCB *fcb;
    RAMFS_CCB *ccb;
    ULONG64 offset;
    ULONG written = 0;
    NTSTATUS status = RamFsDataFile(deviceObject, irp, &volume, &fcb, &ccb);

    if (!NT_SUCCESS(status))
        return RamFsCompleteRequest(irp, status, 0);
    if (length && !buffer)
        return RamFsCompleteRequest(irp, STATUS_INVALID_USER_BUFFER, 0);
    RamFsAcquireVolume(volume);
    // FILE_WRITE_TO_END_OF_FILE: an append, wherever the end is now.
    if (byteOffset.HighPart == -1 && byteOffset.LowPart == FILE_WRITE_TO_END_OF_FILE)
        offset = fcb->FileSize;
    else
        offset = RamFsStartingOffset(stack->FileObject, byteOffset);
    if ((LONG64)offset < 0) {
        status = STATUS_INVALID_PARAMETER;
    } else {
        // The system buffer is the I/O manager's copy: it may be enciphered
        // in place.
        ULONG64 oldSize = fcb->FileSize;

        if (fcb->FileAttributes & FILE_ATTRIBUTE_ENCRYPTED)
            RamFsCipher(ccb->Fek, offset, buffer, length);
        status = RamFsWriteData(&volume->Vcb, fcb, offset, buffer, length, &written);
        if (NT_SUCCESS(status) && offset > oldSize)
            RamFsEfsFillGap(fcb, ccb, oldSize, offset);
    }
    RamFsReleaseVolume(volume);
    if (NT_SUCCESS(status) && (stack->FileObject->Flags & FO_SYNCHRONOUS_IO))
        stack->FileObject->CurrentByteOffset.QuadPart = (LONG64)(offset + written);
    if (NT_SUCCESS(status))
        stack->FileObject->Flags |= FO_FILE_MODIFIED;
    return RamFsCompleteRequest(irp, status, written);
}
