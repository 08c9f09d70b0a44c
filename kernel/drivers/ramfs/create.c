// IRP_MJ_CREATE, IRP_MJ_CLEANUP and IRP_MJ_CLOSE of the RAM file system:
// an open makes a CCB and references an FCB (the file object's FsContext2
// and FsContext); the handle's last close is the cleanup (a pending delete
// happens there); the file object's last reference is the close.
//
// The create of an encrypted file reads as NTFS's: the open itself, under
// the volume lock; then, with the lock dropped, the post-create step
// (RamFsEfsPostCreate, efs.c) asks the security driver for the file's key,
// in the opening thread, which waits there for lsass's answer. An
// overwrite of an encrypted file waits for the key before it empties it.

#include "drivers/ramfs/ramfs.h"

// The rights that touch a file's data, for which an encrypted file's key
// is needed (the generic ones in case the caller's are not mapped yet).
#define RAMFS_DATA_ACCESS                                                                 \
    (FILE_READ_DATA | FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_EXECUTE | GENERIC_READ |  \
     GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL | MAXIMUM_ALLOWED)
#define RAMFS_WRITE_ACCESS (FILE_WRITE_DATA | FILE_APPEND_DATA | GENERIC_WRITE | GENERIC_ALL)

static RAMFS_CCB *RamFsAllocateCcb(void)
{
    RAMFS_CCB *ccb = RamFsAllocate(sizeof(*ccb), RAMFS_CCB_TAG);

    if (ccb)
        memset(ccb, 0, sizeof(*ccb));
    return ccb;
}

static void RamFsFreeCcb(RAMFS_CCB *ccb)
{
    RamFsDeleteCcb(ccb);
    RamFsFree(ccb, RAMFS_CCB_TAG);
}

// Takes back an open the create made but cannot give (under the lock).
static void RamFsUndoOpen(RAMFS_VOLUME *volume, RAMFS_FCB *fcb)
{
    RamFsCleanupFcb(&volume->Vcb, fcb);
    RamFsCloseFcb(&volume->Vcb, fcb);
}

static BOOLEAN RamFsIsOverwrite(ULONG disposition)
{
    return disposition == FILE_SUPERSEDE || disposition == FILE_OVERWRITE ||
           disposition == FILE_OVERWRITE_IF;
}

// The directory a relative open starts from (NULL: the root), or an error
// for a related file object that is no directory of this volume.
static NTSTATUS RamFsRelatedDirectory(FILE_OBJECT *fileObject, RAMFS_FCB **directory)
{
    FILE_OBJECT *related = fileObject->RelatedFileObject;
    RAMFS_CCB *relatedCcb;

    *directory = NULL;
    if (!related)
        return STATUS_SUCCESS;
    relatedCcb = related->FsContext2;
    if (!relatedCcb)
        return STATUS_INVALID_PARAMETER;
    if (relatedCcb->VolumeOpen)
        return STATUS_SUCCESS;          // relative to the volume: its root
    *directory = related->FsContext;
    return STATUS_SUCCESS;
}

// SL_OPEN_TARGET_DIRECTORY (a rename's target): opens the directory that
// would hold the name, says whether the name is there, and leaves the last
// component in the file object's name, as NT's file systems do.
static NTSTATUS RamFsOpenTargetDirectory(RAMFS_VOLUME *volume, FILE_OBJECT *fileObject,
                                         RAMFS_FCB *directory, RAMFS_FCB **fcb,
                                         ULONG_PTR *information)
{
    RAMFS_FCB *target, *parent;
    UNICODE_STRING lastName;
    NTSTATUS status = RamFsLookupPathIn(&volume->Vcb, directory, &fileObject->FileName,
                                        &target, &parent, &lastName);

    if (!NT_SUCCESS(status) && status != STATUS_OBJECT_NAME_NOT_FOUND)
        return status;
    if (!parent)
        return STATUS_OBJECT_NAME_INVALID;      // the root has no parent
    memmove(fileObject->FileName.Buffer, lastName.Buffer, lastName.Length);
    fileObject->FileName.Length = lastName.Length;
    RamFsReferenceFcb(parent);
    *fcb = parent;
    *information = target ? FILE_EXISTS : FILE_DOES_NOT_EXIST;
    return STATUS_SUCCESS;
}

// The open itself, under the volume lock. *deferOverwrite: the file is an
// encrypted one that the disposition overwrites, opened only for now. A
// frame of its own in stacks (NTFS's NtfsCommonCreate), not in line, and
// not static: the compiler would make a copy under another name.
__attribute__((noinline)) NTSTATUS RamFsCommonCreate(RAMFS_VOLUME *volume, IRP *irp,
                                                     RAMFS_FCB **result, BOOLEAN *deferOverwrite,
                                                     ULONG_PTR *information)
{
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);
    FILE_OBJECT *fileObject = stack->FileObject;
    ULONG disposition = stack->Parameters.Create.Options >> 24;
    ULONG createOptions = stack->Parameters.Create.Options & FILE_VALID_OPTION_FLAGS;
    ACCESS_MASK desiredAccess = stack->Parameters.Create.SecurityContext
                                    ? stack->Parameters.Create.SecurityContext->DesiredAccess
                                    : 0;
    RAMFS_FCB *directory, *existing, *fcb;
    NTSTATUS status = RamFsRelatedDirectory(fileObject, &directory);

    *deferOverwrite = FALSE;
    if (!NT_SUCCESS(status))
        return status;
    if (stack->Flags & SL_OPEN_TARGET_DIRECTORY)
        return RamFsOpenTargetDirectory(volume, fileObject, directory, result, information);
    if (RamFsIsOverwrite(disposition) &&
        NT_SUCCESS(RamFsLookupPathIn(&volume->Vcb, directory, &fileObject->FileName, &existing,
                                     NULL, NULL)) &&
        (existing->FileAttributes & FILE_ATTRIBUTE_ENCRYPTED)) {
        *deferOverwrite = TRUE;
        disposition = FILE_OPEN;
    }
    status = RamFsCreateIn(&volume->Vcb, directory, &fileObject->FileName, disposition,
                           createOptions, stack->Parameters.Create.FileAttributes, &fcb,
                           information);
    if (!NT_SUCCESS(status))
        return status;
    // A read-only file opens for reading only, as NTFS's.
    if ((fcb->FileAttributes & FILE_ATTRIBUTE_READONLY) && (desiredAccess & RAMFS_WRITE_ACCESS)) {
        RamFsUndoOpen(volume, fcb);
        return STATUS_ACCESS_DENIED;
    }
    if ((createOptions & FILE_DELETE_ON_CLOSE) && fcb == volume->Vcb.RootFcb) {
        RamFsUndoOpen(volume, fcb);
        return STATUS_CANNOT_DELETE;
    }
    *result = fcb;
    return STATUS_SUCCESS;
}

NTSTATUS RamFsFsdCreate(DEVICE_OBJECT *deviceObject, IRP *irp)
{
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);
    FILE_OBJECT *fileObject = stack->FileObject;
    RAMFS_VOLUME *volume = RamFsVolumeOf(deviceObject);
    ACCESS_MASK desiredAccess = stack->Parameters.Create.SecurityContext
                                    ? stack->Parameters.Create.SecurityContext->DesiredAccess
                                    : 0;
    ULONG disposition = stack->Parameters.Create.Options >> 24;
    RAMFS_FCB *fcb = NULL;
    RAMFS_CCB *ccb;
    BOOLEAN deferOverwrite;
    ULONG_PTR information = 0;
    NTSTATUS status;

    if (!volume)
        return RamFsCompleteRequest(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    ccb = RamFsAllocateCcb();
    if (!ccb)
        return RamFsCompleteRequest(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    // The volume itself: no name, nothing it is relative to.
    if (!fileObject->FileName.Length && !fileObject->RelatedFileObject) {
        ccb->VolumeOpen = TRUE;
        fileObject->FsContext2 = ccb;
        return RamFsCompleteRequest(irp, STATUS_SUCCESS, FILE_OPENED);
    }
    RamFsAcquireVolume(volume);
    status = RamFsCommonCreate(volume, irp, &fcb, &deferOverwrite, &information);
    RamFsReleaseVolume(volume);
    // EFSPostCreate's place: the key, asked for without the volume lock
    // (the answer may take long: lsass may itself open files here).
    if (NT_SUCCESS(status) && (fcb->FileAttributes & FILE_ATTRIBUTE_ENCRYPTED) &&
        ((desiredAccess & RAMFS_DATA_ACCESS) || deferOverwrite)) {
        status = RamFsEfsPostCreate(fcb, ccb);
        if (!NT_SUCCESS(status)) {
            RamFsAcquireVolume(volume);
            RamFsUndoOpen(volume, fcb);
            RamFsReleaseVolume(volume);
        }
    }
    if (NT_SUCCESS(status) && deferOverwrite) {
        RamFsAcquireVolume(volume);
        status = RamFsOverwriteFcb(&volume->Vcb, fcb, stack->Parameters.Create.FileAttributes);
        if (!NT_SUCCESS(status))
            RamFsUndoOpen(volume, fcb);
        RamFsReleaseVolume(volume);
        information = disposition == FILE_SUPERSEDE ? FILE_SUPERSEDED : FILE_OVERWRITTEN;
    }
    // Last, as NTFS's: whether this open may share the file with the others
    // (STATUS_SHARING_VIOLATION), counted once it may.
    if (NT_SUCCESS(status)) {
        RamFsAcquireVolume(volume);
        status = IoCheckShareAccess(desiredAccess, stack->Parameters.Create.ShareAccess,
                                    fileObject, RamFsShareAccess(fcb), TRUE);
        if (!NT_SUCCESS(status))
            RamFsUndoOpen(volume, fcb);
        RamFsReleaseVolume(volume);
    }
    if (!NT_SUCCESS(status)) {
        RamFsFreeCcb(ccb);
        return RamFsCompleteRequest(irp, status, 0);
    }
    ccb->DeleteOnClose = (stack->Parameters.Create.Options & FILE_DELETE_ON_CLOSE) != 0;
    fileObject->FsContext = fcb;
    fileObject->FsContext2 = ccb;
    return RamFsCompleteRequest(irp, STATUS_SUCCESS, information);
}

NTSTATUS RamFsFsdCleanup(DEVICE_OBJECT *deviceObject, IRP *irp)
{
    FILE_OBJECT *fileObject = IoGetCurrentIrpStackLocation(irp)->FileObject;
    RAMFS_VOLUME *volume = RamFsVolumeOf(deviceObject);
    RAMFS_CCB *ccb = fileObject->FsContext2;
    RAMFS_FCB *fcb = fileObject->FsContext;

    if (volume && ccb && fcb) {
        RamFsAcquireVolume(volume);
        if (ccb->DeleteOnClose)
            RamFsSetDeletePending(fcb, TRUE);
        IoRemoveShareAccess(fileObject, RamFsShareAccess(fcb));
        RamFsCleanupFcb(&volume->Vcb, fcb);
        RamFsReleaseVolume(volume);
    }
    fileObject->Flags |= FO_CLEANUP_COMPLETE;
    return RamFsCompleteRequest(irp, STATUS_SUCCESS, 0);
}

NTSTATUS RamFsFsdClose(DEVICE_OBJECT *deviceObject, IRP *irp)
{
    FILE_OBJECT *fileObject = IoGetCurrentIrpStackLocation(irp)->FileObject;
    RAMFS_VOLUME *volume = RamFsVolumeOf(deviceObject);
    RAMFS_CCB *ccb = fileObject->FsContext2;
    RAMFS_FCB *fcb = fileObject->FsContext;

    if (volume && ccb) {
        RamFsAcquireVolume(volume);
        if (fcb)
            RamFsCloseFcb(&volume->Vcb, fcb);
        RamFsFreeCcb(ccb);
        RamFsReleaseVolume(volume);
        fileObject->FsContext = fileObject->FsContext2 = NULL;
    }
    return RamFsCompleteRequest(irp, STATUS_SUCCESS, 0);
}
