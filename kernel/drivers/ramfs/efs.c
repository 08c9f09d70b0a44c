// The post-create step of an encrypted file, NTFS's EFSPostCreate: the
// file's data decryption field goes to the security driver
// (\Device\KsecDD, IOCTL_KSEC_EFS_DECRYPT_FEK), which asks lsass over LPC
// in this same thread, on behalf of whoever this thread runs as, and the
// file encryption key comes back into the open's CCB. The first case
// study's thread waits here, under NtCreateFile, for lsass's reply.

#include "drivers/ramfs/ramfs.h"
#include "drivers/ksecdd/ksecioctl.h"

NTSTATUS RamFsEfsPostCreate(RAMFS_FCB *fcb, RAMFS_CCB *ccb)
{
    KSEC_EFS_DECRYPT_FEK_INPUT input;
    UCHAR fek[KSEC_FEK_LENGTH];
    IO_STATUS_BLOCK ioStatus;
    UNICODE_STRING name;
    FILE_OBJECT *ksecFile;
    DEVICE_OBJECT *ksecDevice;
    KEVENT event;
    IRP *irp;
    NTSTATUS status;

    _Static_assert(sizeof(input.UserSid) == sizeof(fcb->Efs->UserSid), "one SID field");
    _Static_assert(sizeof(fek) == sizeof(ccb->Fek), "one key length");
    if (!fcb->Efs)
        return STATUS_ACCESS_DENIED;
    // Opened for each request, so that nothing stays open on it between
    // encrypted opens (KSecDD may load after the file system).
    RtlInitUnicodeString(&name, KSEC_DEVICE_NAME);
    status = IoGetDeviceObjectPointer(&name, FILE_READ_DATA, &ksecFile, &ksecDevice);
    if (!NT_SUCCESS(status))
        return status;
    // The EFS data never changes once unpacked, and the open holds the FCB.
    memcpy(input.UserSid, fcb->Efs->UserSid, sizeof(input.UserSid));
    memcpy(input.EncryptedFek, fcb->Efs->EncryptedFek, sizeof(input.EncryptedFek));
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    irp = IoBuildDeviceIoControlRequest(IOCTL_KSEC_EFS_DECRYPT_FEK, ksecDevice, &input,
                                        sizeof(input), fek, sizeof(fek), TRUE, &event,
                                        &ioStatus);
    if (!irp) {
        ObDereferenceObject(ksecFile);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    status = IoCallDriver(ksecDevice, irp);
    if (status == STATUS_PENDING) {
        KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
        status = ioStatus.Status;
    }
    ObDereferenceObject(ksecFile);
    if (!NT_SUCCESS(status))
        return status;
    if (ioStatus.Information != sizeof(fek))
        return STATUS_ACCESS_DENIED;
    memcpy(ccb->Fek, fek, sizeof(fek));
    ccb->HaveFek = TRUE;
    return STATUS_SUCCESS;
}

// Bytes a write past the end or a larger end of file adds to an encrypted
// file are zeros to its reader: enciphered zeros on the volume. Volume lock
// held; [from, to) is within the file.
void RamFsEfsFillGap(RAMFS_FCB *fcb, const RAMFS_CCB *ccb, ULONG64 from, ULONG64 to)
{
    if ((fcb->FileAttributes & FILE_ATTRIBUTE_ENCRYPTED) && ccb->HaveFek && to > from)
        RamFsCipher(ccb->Fek, from, fcb->Data + from, to - from);
}
