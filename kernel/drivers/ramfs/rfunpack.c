// The volume's first contents: a tree image from the boot archive
// (tools/mkrootfs.py packs user/rootfs/ into it; the archive carries it as
// the entry "rootfs.img"). The image is read in place and trusted in
// nothing: every length is checked against what is left of it.

#include "drivers/ramfs/rfcore.h"

#define RAMFS_IMAGE_MAGIC    "SLEUTHFS"
#define RAMFS_IMAGE_MAX_PATH 240            // bytes of an image path

typedef struct _RAMFS_IMAGE_HEADER {
    char Magic[8];
    ULONG Count;                // records that follow
    ULONG Reserved;
} RAMFS_IMAGE_HEADER;

// Each record starts on an 8-byte boundary: this, the path (ASCII, '/'
// between components, no leading '/'), the EFS information, the bytes.
typedef struct _RAMFS_IMAGE_RECORD {
    USHORT PathLength;
    USHORT EfsLength;           // 0, or sizeof(RAMFS_EFS_INFO) for an encrypted file
    ULONG FileAttributes;       // FILE_ATTRIBUTE_DIRECTORY for a directory
    ULONG64 DataSize;           // an encrypted file's bytes are already enciphered
} RAMFS_IMAGE_RECORD;

_Static_assert(sizeof(RAMFS_IMAGE_RECORD) == 16, "mkrootfs.py packs 16-byte records");

static void RamFsCloseOpen(RAMFS_VCB *vcb, RAMFS_FCB *fcb)
{
    RamFsCleanupFcb(vcb, fcb);
    RamFsCloseFcb(vcb, fcb);
}

// Opens or creates `path` (its first `length` characters), a directory
// when `directory`; the open is the caller's to close.
static NTSTATUS RamFsCreatePrefix(RAMFS_VCB *vcb, WCHAR *path, USHORT length, BOOLEAN directory,
                                  RAMFS_FCB **fcb)
{
    UNICODE_STRING name = {(USHORT)(length * sizeof(WCHAR)), (USHORT)(length * sizeof(WCHAR)),
                           path};
    ULONG_PTR information;

    return RamFsCreate(vcb, &name, directory ? FILE_OPEN_IF : FILE_CREATE,
                       directory ? FILE_DIRECTORY_FILE : FILE_NON_DIRECTORY_FILE, 0, fcb,
                       &information);
}

// A create that failed on what the image says (a bad or repeated name, a
// file where a directory must be) means a malformed image.
static NTSTATUS RamFsImageStatus(NTSTATUS status)
{
    if (status == STATUS_OBJECT_NAME_INVALID || status == STATUS_OBJECT_NAME_COLLISION ||
        status == STATUS_NOT_A_DIRECTORY || status == STATUS_FILE_IS_A_DIRECTORY ||
        status == STATUS_OBJECT_PATH_NOT_FOUND)
        return STATUS_FILE_CORRUPT_ERROR;
    return status;
}

static BOOLEAN RamFsIsValidEfs(const RAMFS_EFS_INFO *efs)
{
    const SID *sid = (const SID *)efs->UserSid;

    return sid->Revision == SID_REVISION && sid->SubAuthorityCount <= SID_MAX_SUB_AUTHORITIES;
}

static NTSTATUS RamFsUnpackRecord(RAMFS_VCB *vcb, const RAMFS_IMAGE_RECORD *record,
                                  const char *path, const UCHAR *efs, const UCHAR *data)
{
    WCHAR wide[RAMFS_IMAGE_MAX_PATH];
    BOOLEAN directory = (record->FileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
    BOOLEAN encrypted = (record->FileAttributes & FILE_ATTRIBUTE_ENCRYPTED) != 0;
    RAMFS_FCB *fcb;
    ULONG written;
    NTSTATUS status;

    if (record->PathLength == 0 || record->PathLength > RAMFS_IMAGE_MAX_PATH)
        return STATUS_FILE_CORRUPT_ERROR;
    if (directory && (encrypted || record->DataSize || record->EfsLength))
        return STATUS_FILE_CORRUPT_ERROR;
    if (record->EfsLength != (encrypted ? sizeof(RAMFS_EFS_INFO) : 0))
        return STATUS_FILE_CORRUPT_ERROR;
    if (record->DataSize > RAMFS_MAX_FILE_SIZE)
        return STATUS_FILE_CORRUPT_ERROR;
    // '/' becomes '\'; every directory on the way is made (a directory may
    // appear in the image only through its files).
    for (USHORT i = 0; i < record->PathLength; i++) {
        wide[i] = path[i] == '/' ? '\\' : (WCHAR)(UCHAR)path[i];
        if (path[i] == '/') {
            status = RamFsCreatePrefix(vcb, wide, i, TRUE, &fcb);
            if (!NT_SUCCESS(status))
                return RamFsImageStatus(status);
            RamFsCloseOpen(vcb, fcb);
        }
    }
    status = RamFsCreatePrefix(vcb, wide, record->PathLength, directory, &fcb);
    if (!NT_SUCCESS(status))
        return RamFsImageStatus(status);
    if (encrypted) {
        fcb->Efs = RamFsAllocate(sizeof(RAMFS_EFS_INFO), RAMFS_FCB_TAG);
        if (!fcb->Efs) {
            status = STATUS_INSUFFICIENT_RESOURCES;
        } else {
            memcpy(fcb->Efs, efs, sizeof(RAMFS_EFS_INFO));
            if (!RamFsIsValidEfs(fcb->Efs))
                status = STATUS_FILE_CORRUPT_ERROR;
        }
    }
    if (NT_SUCCESS(status) && record->DataSize)
        status = RamFsWriteData(vcb, fcb, 0, data, (ULONG)record->DataSize, &written);
    if (NT_SUCCESS(status) && !directory)
        fcb->FileAttributes = FILE_ATTRIBUTE_ARCHIVE | (record->FileAttributes &
                              (FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_HIDDEN |
                               FILE_ATTRIBUTE_SYSTEM | FILE_ATTRIBUTE_ENCRYPTED));
    RamFsCloseOpen(vcb, fcb);
    return status;
}

NTSTATUS RamFsUnpackImage(RAMFS_VCB *vcb, const void *image, SIZE_T size)
{
    const RAMFS_IMAGE_HEADER *header = image;
    const UCHAR *base = image;
    SIZE_T offset = sizeof(*header);
    NTSTATUS status = STATUS_SUCCESS;

    if (size < sizeof(*header) || memcmp(header->Magic, RAMFS_IMAGE_MAGIC, 8))
        return STATUS_FILE_CORRUPT_ERROR;
    for (ULONG i = 0; i < header->Count && NT_SUCCESS(status); i++) {
        const RAMFS_IMAGE_RECORD *record;
        SIZE_T need;

        offset = (offset + 7) & ~(SIZE_T)7;
        if (offset > size || size - offset < sizeof(*record)) {
            status = STATUS_FILE_CORRUPT_ERROR;
            break;
        }
        record = (const RAMFS_IMAGE_RECORD *)(base + offset);
        // Each part fits in what is left: no sum can wrap (sizes below 2^32
        // but the data's, checked on its own).
        need = (SIZE_T)record->PathLength + record->EfsLength;
        if (size - offset - sizeof(*record) < need ||
            size - offset - sizeof(*record) - need < record->DataSize) {
            status = STATUS_FILE_CORRUPT_ERROR;
            break;
        }
        status = RamFsUnpackRecord(vcb, record, (const char *)(record + 1),
                                   (const UCHAR *)(record + 1) + record->PathLength,
                                   (const UCHAR *)(record + 1) + need);
        offset += sizeof(*record) + need + record->DataSize;
    }
    if (!NT_SUCCESS(status))
        RamFsEmptyVolume(vcb);
    return status;
}
