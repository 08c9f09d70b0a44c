// ramfs.sys: a file system on a RAM volume, written as an NT file system
// driver is: FSD dispatch routines over an FCB/CCB core (rfcore.c), file
// objects' FsContext and FsContext2, a volume lock, a post-create step for
// encrypted files. DriverEntry makes the volume device, \Device\RamVolume0
// (\??\R: links to it), and fills the volume with the tree the boot archive
// carries (rootfs.img, tools/mkrootfs.py): the volume is mounted when the
// driver loads at boot. Sleuth's I/O manager has no VPBs or mount requests:
// the named device is the volume, and opens of names under it come to it
// (through whatever is attached on top: the filter manager). See
// docs/filesystem.md.
//
// A file system is not unloaded (NTFS and FAT are not either): files stay
// open on it for as long as the system runs, so there is no DriverUnload.

#include "drivers/ramfs/ramfs.h"
#include "ps/ps.h"

DRIVER_OBJECT *RamFsDriverObject;
static DEVICE_OBJECT *RamFsVolumeDevice;

// The core's allocator: nonpaged pool with the core's tags.
void *RamFsAllocate(SIZE_T size, ULONG tag)
{
    return ExAllocatePoolWithTag(NonPagedPool, size ? size : 1, tag);
}

void RamFsFree(void *block, ULONG tag)
{
    ExFreePoolWithTag(block, tag);
}

RAMFS_VOLUME *RamFsVolumeOf(DEVICE_OBJECT *deviceObject)
{
    RAMFS_VOLUME *volume = deviceObject->DeviceExtension;

    if (deviceObject != RamFsVolumeDevice || !volume || volume->NodeTypeCode != RAMFS_NTC_VOLUME)
        return NULL;
    return volume;
}

void RamFsAcquireVolume(RAMFS_VOLUME *volume)
{
    KeWaitForSingleObject(&volume->Lock, Executive, KernelMode, FALSE, NULL);
    // Everything made or written under the lock carries the time it was.
    volume->Vcb.CurrentTime = KeQuerySystemTime().QuadPart;
}

void RamFsReleaseVolume(RAMFS_VOLUME *volume)
{
    KeReleaseMutex(&volume->Lock, FALSE);
}

NTSTATUS RamFsCompleteRequest(IRP *irp, NTSTATUS status, ULONG_PTR information)
{
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = information;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

// The volume: its device, its VCB, and the tree from the boot archive (no
// tree there: an empty volume, still writable).
static NTSTATUS RamFsMountVolume(DRIVER_OBJECT *driverObject)
{
    UNICODE_STRING name;
    DEVICE_OBJECT *volumeDevice;
    RAMFS_VOLUME *volume;
    const UCHAR *image;
    SIZE_T imageSize;
    NTSTATUS status;

    RtlInitUnicodeString(&name, RAMFS_VOLUME_NAME);
    status = IoCreateDevice(driverObject, sizeof(RAMFS_VOLUME), &name,
                            FILE_DEVICE_DISK_FILE_SYSTEM, 0, FALSE, &volumeDevice);
    if (!NT_SUCCESS(status))
        return status;
    volume = volumeDevice->DeviceExtension;
    volume->VolumeDevice = volumeDevice;
    KeInitializeMutex(&volume->Lock, 0);
    status = RamFsInitializeVcb(&volume->Vcb, RAMFS_VOLUME_BYTES);
    if (NT_SUCCESS(status)) {
        volume->Vcb.CurrentTime = KeQuerySystemTime().QuadPart;
        if (NT_SUCCESS(PsGetBootArchiveFile(RAMFS_ARCHIVE_ENTRY, &image, &imageSize)))
            status = RamFsUnpackImage(&volume->Vcb, image, imageSize);
        if (!NT_SUCCESS(status))
            RamFsDeleteVcb(&volume->Vcb);
    }
    if (!NT_SUCCESS(status)) {
        DbgPrint("RamFs: cannot mount the RAM volume: status %08x\n", (ULONG)status);
        return status;          // the I/O manager deletes the device
    }
    volume->NodeTypeCode = RAMFS_NTC_VOLUME;
    volumeDevice->Flags |= DO_BUFFERED_IO;
    RamFsVolumeDevice = volumeDevice;
    DbgPrint("RamFs: mounted \\Device\\RamVolume0: %u files and directories, %llu bytes\n",
             volume->Vcb.FcbCount, (unsigned long long)volume->Vcb.BytesUsed);
    return STATUS_SUCCESS;
}

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name, link;
    NTSTATUS status;

    RamFsDriverObject = driverObject;
    driverObject->MajorFunction[IRP_MJ_CREATE] = RamFsFsdCreate;
    driverObject->MajorFunction[IRP_MJ_CLEANUP] = RamFsFsdCleanup;
    driverObject->MajorFunction[IRP_MJ_CLOSE] = RamFsFsdClose;
    driverObject->MajorFunction[IRP_MJ_READ] = RamFsFsdRead;
    driverObject->MajorFunction[IRP_MJ_WRITE] = RamFsFsdWrite;
    driverObject->MajorFunction[IRP_MJ_QUERY_INFORMATION] = RamFsFsdQueryInformation;
    driverObject->MajorFunction[IRP_MJ_SET_INFORMATION] = RamFsFsdSetInformation;
    driverObject->MajorFunction[IRP_MJ_DIRECTORY_CONTROL] = RamFsFsdDirectoryControl;
    status = RamFsMountVolume(driverObject);
    if (!NT_SUCCESS(status))
        return status;
    RtlInitUnicodeString(&name, RAMFS_VOLUME_NAME);
    RtlInitUnicodeString(&link, RAMFS_VOLUME_LINK);
    status = IoCreateSymbolicLink(&link, &name);
    // Filters (the filter manager) attach over the volume when it registers.
    if (NT_SUCCESS(status))
        status = IoRegisterFileSystem(RamFsVolumeDevice);
    if (!NT_SUCCESS(status)) {
        IoDeleteSymbolicLink(&link);
        RamFsDeleteVcb(&((RAMFS_VOLUME *)RamFsVolumeDevice->DeviceExtension)->Vcb);
        RamFsVolumeDevice = NULL;
    }
    return status;
}
