// The RAM file system driver (ramfs.sys): what its dispatch files share.
// The core (rfcore.h) holds the tree; this half is the FSD: devices, IRPs,
// file objects, the volume lock and the request to the security driver.
//
// The volume is one device, \Device\RamVolume0 (\??\R: links to it), made
// at load; its extension is the RAMFS_VOLUME below, and file objects opened
// on it carry FCBs and CCBs in FsContext and FsContext2. See
// docs/filesystem.md.
#pragma once

#include "io/io.h"
#include "ob/ob.h"
#include "drivers/ramfs/rfcore.h"

#define RAMFS_VOLUME_NAME u"\\Device\\RamVolume0"
#define RAMFS_VOLUME_LINK u"\\??\\R:"
#define RAMFS_VOLUME_BYTES (8ull * 1024 * 1024)     // the volume's size
#define RAMFS_ARCHIVE_ENTRY "rootfs.img"            // its tree in the boot archive

// The volume device's extension.
#define RAMFS_NTC_VOLUME POOL_TAG('R', 'f', 'V', 'l')
typedef struct _RAMFS_VOLUME {
    ULONG NodeTypeCode;             // RAMFS_NTC_VOLUME: this is a volume device
    RAMFS_VCB Vcb;
    KMUTEX Lock;                    // guards Vcb and every FCB and CCB of it
    DEVICE_OBJECT *VolumeDevice;
} RAMFS_VOLUME;

extern DRIVER_OBJECT *RamFsDriverObject;

_Static_assert(sizeof(SHARE_ACCESS) <= sizeof(((RAMFS_FCB *)0)->ShareAccess),
               "an FCB holds a SHARE_ACCESS");
// The opens' share access of a file (NT's rules, io.h), kept in its FCB.
static inline SHARE_ACCESS *RamFsShareAccess(RAMFS_FCB *fcb)
{
    return (SHARE_ACCESS *)fcb->ShareAccess;
}

// The volume of the device, or NULL for a device that is not it.
RAMFS_VOLUME *RamFsVolumeOf(DEVICE_OBJECT *deviceObject);

// The volume's lock: a mutex, since the holder may allocate and copy.
void RamFsAcquireVolume(RAMFS_VOLUME *volume);
void RamFsReleaseVolume(RAMFS_VOLUME *volume);

// Completes the IRP with `status` and `information`, and returns `status`.
NTSTATUS RamFsCompleteRequest(IRP *irp, NTSTATUS status, ULONG_PTR information);

// The dispatch routines, NTFS's names with the file system's prefix.
NTSTATUS RamFsFsdCreate(DEVICE_OBJECT *deviceObject, IRP *irp);
NTSTATUS RamFsFsdCleanup(DEVICE_OBJECT *deviceObject, IRP *irp);
NTSTATUS RamFsFsdClose(DEVICE_OBJECT *deviceObject, IRP *irp);
NTSTATUS RamFsFsdRead(DEVICE_OBJECT *deviceObject, IRP *irp);
NTSTATUS RamFsFsdWrite(DEVICE_OBJECT *deviceObject, IRP *irp);
NTSTATUS RamFsFsdQueryInformation(DEVICE_OBJECT *deviceObject, IRP *irp);
NTSTATUS RamFsFsdSetInformation(DEVICE_OBJECT *deviceObject, IRP *irp);
NTSTATUS RamFsFsdDirectoryControl(DEVICE_OBJECT *deviceObject, IRP *irp);

// The open itself, under the volume lock (create.c).
NTSTATUS RamFsCommonCreate(RAMFS_VOLUME *volume, IRP *irp, RAMFS_FCB **result,
                           BOOLEAN *deferOverwrite, ULONG_PTR *information);

// The post-create step of an encrypted file (efs.c): asks the security
// driver, in the opening thread, for the file's key, into the CCB.
NTSTATUS RamFsEfsPostCreate(RAMFS_FCB *fcb, RAMFS_CCB *ccb);
// Enciphers the zeros that growing an encrypted file added in [from, to).
void RamFsEfsFillGap(RAMFS_FCB *fcb, const RAMFS_CCB *ccb, ULONG64 from, ULONG64 to);
