// The RAM file system's core: a volume's tree of directories and files in
// memory, with no I/O manager underneath. The driver (ramfs.c and the
// dispatch files) calls it with the volume's lock held; the host tests
// (tests/host/test_ramfs*.c) drive it directly. It knows nothing of IRPs,
// file objects or threads, only of names, nodes, bytes and NTSTATUS.
//
// The names are an NT file system driver's: the VCB (volume control block)
// is the volume, an FCB (file control block) is one file or directory, a
// CCB (context control block) is one open of it. A file object's FsContext
// is its FCB and its FsContext2 its CCB, as NTFS and FAT have them.
//
// Names are counted UTF-16 (UNICODE_STRING), compared ignoring case and kept
// as created; a path is relative to the volume's root, components separated
// by '\' ("\docs\readme.txt"; "" and "\" are the root).
#pragma once

#include "rtl/rtl.h"
#include "rtl/security.h"
#include "ndk/ntioapi.h"

#define RAMFS_FCB_TAG  POOL_TAG('R', 'f', 'F', 'c')     // FCBs and their names
#define RAMFS_DATA_TAG POOL_TAG('R', 'f', 'D', 't')     // file contents
#define RAMFS_CCB_TAG  POOL_TAG('R', 'f', 'C', 'c')     // CCBs and their patterns

// NT's longest file name component, in characters.
#define RAMFS_MAX_NAME_LENGTH 255
// A file's longest size: one contiguous block of pool holds its bytes.
#define RAMFS_MAX_FILE_SIZE   (16ull * 1024 * 1024)

// The file encryption key (FEK) of an encrypted file: the "$EFS" data NTFS
// keeps beside the file. One user may open the file (the data decryption
// field: that user's SID and the FEK encrypted with that user's key); the
// security driver asks lsass to turn EncryptedFek back into the FEK. This is
// a teaching model of EFS: the cipher is a toy (see RamFsCipher), not
// cryptography.
#define RAMFS_FEK_LENGTH     16
#define RAMFS_EFS_SID_LENGTH 68             // SID with SID_MAX_SUB_AUTHORITIES
typedef struct _RAMFS_EFS_INFO {
    UCHAR UserSid[RAMFS_EFS_SID_LENGTH];    // a SID, RtlLengthSid bytes of it used
    UCHAR EncryptedFek[RAMFS_FEK_LENGTH];
} RAMFS_EFS_INFO;

typedef struct _RAMFS_FCB {
    LIST_ENTRY ParentLinks;         // in ParentFcb->ChildList, ordered by name
    LIST_ENTRY ChildList;           // a directory's FCBs
    struct _RAMFS_FCB *ParentFcb;   // NULL for the root and once unlinked
    UNICODE_STRING FileName;        // the last component, as created
    ULONG FileAttributes;           // FILE_ATTRIBUTE_*
    ULONG ChildCount;
    ULONG64 FileId;                 // unique on the volume, never reused
    ULONG64 FileSize;
    ULONG64 AllocationSize;         // bytes of Data allocated
    UCHAR *Data;
    LONG64 CreationTime;            // 100 ns units, as NT's times
    LONG64 LastWriteTime;
    ULONG ReferenceCount;           // 1 while linked + one per open (FsContext)
    ULONG OpenCount;                // opens not yet cleaned up (handles)
    BOOLEAN DeletePending;          // unlinked at the last cleanup
    RAMFS_EFS_INFO *Efs;            // encrypted files only
    ULONG ShareAccess[8];           // the driver's SHARE_ACCESS (io.h): opaque here
} RAMFS_FCB;

typedef struct _RAMFS_VCB {
    RAMFS_FCB *RootFcb;
    ULONG64 NextFileId;
    ULONG64 BytesUsed;              // file contents allocated
    ULONG64 BytesLimit;             // the volume's size: STATUS_DISK_FULL past it
    ULONG FcbCount;
    LONG64 CurrentTime;             // stamped on what is created or written
} RAMFS_VCB;

// One open of a file or directory. A directory's enumeration remembers the
// pattern it was started with and the name it returned last: the next call
// resumes after that name, so entries created or deleted meanwhile neither
// repeat nor shift it.
typedef struct _RAMFS_CCB {
    UNICODE_STRING SearchPattern;   // empty until the first enumeration
    UNICODE_STRING LastName;        // empty: start from the first entry
    BOOLEAN EnumerationStarted;
    BOOLEAN EnumerationDone;
    BOOLEAN VolumeOpen;             // the volume itself was opened (no FCB)
    BOOLEAN DeleteOnClose;          // FILE_DELETE_ON_CLOSE: delete at cleanup
    BOOLEAN HaveFek;                // post-create got the key (encrypted files)
    UCHAR Fek[RAMFS_FEK_LENGTH];
} RAMFS_CCB;

// Supplied by whoever links the core: the driver takes them from pool, the
// host tests from the C heap (and can make them fail).
void *RamFsAllocate(SIZE_T size, ULONG tag);
void RamFsFree(void *block, ULONG tag);

// ---- Volume and tree (rfcore.c) ----

// An empty volume of `bytesLimit` bytes: its root directory only.
NTSTATUS RamFsInitializeVcb(RAMFS_VCB *vcb, ULONG64 bytesLimit);
// Frees every FCB and byte of the volume; open FCBs must be closed first.
void RamFsDeleteVcb(RAMFS_VCB *vcb);
// Unlinks everything under the root (open FCBs go at their last close).
void RamFsEmptyVolume(RAMFS_VCB *vcb);

// The node `path` names. *parentFcb (when asked for) receives the directory
// that holds, or would hold, the last component, and *lastName that component
// (pointing into `path`), so a create can follow a lookup that found nothing:
// STATUS_OBJECT_NAME_NOT_FOUND with *parentFcb set means only the last
// component is missing; STATUS_OBJECT_PATH_NOT_FOUND means a directory on the
// way is. STATUS_OBJECT_NAME_INVALID for a bad component ("", ".", "..", a
// wildcard, ':', longer than RAMFS_MAX_NAME_LENGTH).
NTSTATUS RamFsLookupPath(RAMFS_VCB *vcb, const UNICODE_STRING *path, RAMFS_FCB **fcb,
                         RAMFS_FCB **parentFcb, UNICODE_STRING *lastName);
// The same relative to `directory` (an open of a directory, as a file
// object's RelatedFileObject): `path` has no leading '\'. STATUS_FILE_DELETED
// when the directory has left the tree.
NTSTATUS RamFsLookupPathIn(RAMFS_VCB *vcb, RAMFS_FCB *directory, const UNICODE_STRING *path,
                           RAMFS_FCB **fcb, RAMFS_FCB **parentFcb, UNICODE_STRING *lastName);

// NT's create: `disposition` (FILE_SUPERSEDE..FILE_OVERWRITE_IF), the
// FILE_DIRECTORY_FILE / FILE_NON_DIRECTORY_FILE options and the attributes of
// a new file. On success *fcb is referenced (the caller's open: release it
// with RamFsCloseFcb) and *information is FILE_CREATED, FILE_OPENED,
// FILE_OVERWRITTEN or FILE_SUPERSEDED, as IoStatus.Information carries them.
NTSTATUS RamFsCreate(RAMFS_VCB *vcb, const UNICODE_STRING *path, ULONG disposition,
                     ULONG createOptions, ULONG fileAttributes, RAMFS_FCB **fcb,
                     ULONG_PTR *information);
NTSTATUS RamFsCreateIn(RAMFS_VCB *vcb, RAMFS_FCB *directory, const UNICODE_STRING *path,
                       ULONG disposition, ULONG createOptions, ULONG fileAttributes,
                       RAMFS_FCB **fcb, ULONG_PTR *information);
// Empties an open file as FILE_OVERWRITE does, giving it `fileAttributes`
// (encryption stays). STATUS_ACCESS_DENIED for a read-only file.
NTSTATUS RamFsOverwriteFcb(RAMFS_VCB *vcb, RAMFS_FCB *fcb, ULONG fileAttributes);
// Opens the FCB again (the caller already holds one reference), as for a
// second file object on it.
void RamFsReferenceFcb(RAMFS_FCB *fcb);
// An open's end: IRP_MJ_CLEANUP's half. The last cleanup of a file whose
// delete is pending unlinks it.
void RamFsCleanupFcb(RAMFS_VCB *vcb, RAMFS_FCB *fcb);
// IRP_MJ_CLOSE's half: drops the open's reference; an unlinked FCB goes with
// its last one.
void RamFsCloseFcb(RAMFS_VCB *vcb, RAMFS_FCB *fcb);

// FileDispositionInformation: marks the node for deletion at its last
// cleanup (or clears the mark). STATUS_CANNOT_DELETE for the root and for a
// read-only file, STATUS_DIRECTORY_NOT_EMPTY for a directory with entries.
NTSTATUS RamFsSetDeletePending(RAMFS_FCB *fcb, BOOLEAN deleteFile);
// FileRenameInformation: moves `fcb` to `newPath`. An existing target is
// replaced only when `replaceIfExists` and it is a file nobody has open;
// a directory cannot move under itself.
NTSTATUS RamFsRename(RAMFS_VCB *vcb, RAMFS_FCB *fcb, const UNICODE_STRING *newPath,
                     BOOLEAN replaceIfExists);

// Directory enumeration: the next entry of `directory` after the CCB's last
// one whose name matches its pattern. `restart` (or the first call) starts
// again from the first entry, with `pattern` if given, else "*"; the pattern
// of later calls is ignored, as NT's. STATUS_NO_MORE_FILES at the end, or
// STATUS_NO_SUCH_FILE when a first call found nothing. The CCB moves past the
// entry only when the caller says so (RamFsAdvanceEnumeration), so an entry
// that did not fit the caller's buffer is returned again.
NTSTATUS RamFsNextDirectoryEntry(RAMFS_FCB *directory, RAMFS_CCB *ccb,
                                 const UNICODE_STRING *pattern, BOOLEAN restart,
                                 RAMFS_FCB **entry);
NTSTATUS RamFsAdvanceEnumeration(RAMFS_CCB *ccb, const RAMFS_FCB *entry);
// Frees what a CCB holds (not the CCB itself).
void RamFsDeleteCcb(RAMFS_CCB *ccb);

// NT's wildcard match ('*' any run, '?' one character), ignoring case.
BOOLEAN RamFsIsNameInExpression(const UNICODE_STRING *expression, const UNICODE_STRING *name);

// ---- Contents (rfdata.c) ----

// Copies up to `length` bytes at `offset` into `buffer`; STATUS_END_OF_FILE
// when `offset` is at or past the end.
NTSTATUS RamFsReadData(const RAMFS_FCB *fcb, ULONG64 offset, void *buffer, ULONG length,
                       ULONG *bytesRead);
// Writes `length` bytes at `offset`, growing the file (a gap reads as zeros).
NTSTATUS RamFsWriteData(RAMFS_VCB *vcb, RAMFS_FCB *fcb, ULONG64 offset, const void *buffer,
                        ULONG length, ULONG *bytesWritten);
// FileEndOfFileInformation: truncates or extends (with zeros).
NTSTATUS RamFsSetFileSize(RAMFS_VCB *vcb, RAMFS_FCB *fcb, ULONG64 size);
// The toy EFS cipher: XORs `length` bytes, which sit at `offset` in the
// file, with the key stream of `fek`. Its own inverse. tools/mkrootfs.py
// encrypts the archive's files with the same stream.
void RamFsCipher(const UCHAR fek[RAMFS_FEK_LENGTH], ULONG64 offset, void *buffer, SIZE_T length);

// ---- The tree from the boot archive (rfunpack.c) ----

// Unpacks a tree image (tools/mkrootfs.py: its docstring has the format)
// into the volume. Every length and offset is checked:
// STATUS_FILE_CORRUPT_ERROR for a malformed image. The volume must be
// empty; on any failure it is emptied again (its root only).
NTSTATUS RamFsUnpackImage(RAMFS_VCB *vcb, const void *image, SIZE_T size);
