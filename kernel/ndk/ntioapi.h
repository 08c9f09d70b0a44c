// The I/O manager's half of the NT ABI, as user programs and the kernel both
// see it: the I/O status block, the file information classes and their
// structures, create dispositions and options, file access rights and share
// modes, device types and I/O control codes. x64 layouts, NT's names and
// values, offsets checked below.
//
// The services' prototypes are the kernel's and user mode's both (NTAPI is
// ms_abi in user builds); the kernel's structures that go with them (IRP,
// FILE_OBJECT...) are in kernel/io/iotypes.h.
#pragma once

#include "ntdef.h"
#include "ntobapi.h"

// ---- The I/O status block and the APC routine --------------------------------

// What a finished request leaves for its caller: the status, and a count
// (bytes moved, the create's FILE_OPENED/FILE_CREATED...).
typedef struct _IO_STATUS_BLOCK {
    union {
        NTSTATUS Status;
        void *Pointer;
    };
    ULONG_PTR Information;
} IO_STATUS_BLOCK, *PIO_STATUS_BLOCK;

_Static_assert(sizeof(IO_STATUS_BLOCK) == 0x10, "IO_STATUS_BLOCK is NT's x64");

// Called in user mode, as a user APC of the thread that issued the request,
// once an asynchronous request has completed: (ApcContext, IoStatusBlock, 0).
typedef void (NTAPI *PIO_APC_ROUTINE)(void *ApcContext, PIO_STATUS_BLOCK IoStatusBlock,
                                      ULONG Reserved);

// ---- Access rights and share modes --------------------------------------------

#define FILE_READ_DATA            0x0001    // file, pipe
#define FILE_LIST_DIRECTORY       0x0001    // directory
#define FILE_WRITE_DATA           0x0002
#define FILE_ADD_FILE             0x0002
#define FILE_APPEND_DATA          0x0004
#define FILE_ADD_SUBDIRECTORY     0x0004
#define FILE_READ_EA              0x0008
#define FILE_WRITE_EA             0x0010
#define FILE_EXECUTE              0x0020
#define FILE_TRAVERSE             0x0020
#define FILE_DELETE_CHILD         0x0040
#define FILE_READ_ATTRIBUTES      0x0080
#define FILE_WRITE_ATTRIBUTES     0x0100

#define FILE_ALL_ACCESS     (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x1FF)
#define FILE_GENERIC_READ   (READ_CONTROL | FILE_READ_DATA | FILE_READ_ATTRIBUTES | \
                             FILE_READ_EA | SYNCHRONIZE)
#define FILE_GENERIC_WRITE  (READ_CONTROL | FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES | \
                             FILE_WRITE_EA | FILE_APPEND_DATA | SYNCHRONIZE)
#define FILE_GENERIC_EXECUTE (READ_CONTROL | FILE_READ_ATTRIBUTES | FILE_EXECUTE | SYNCHRONIZE)

#define FILE_SHARE_READ        0x00000001
#define FILE_SHARE_WRITE       0x00000002
#define FILE_SHARE_DELETE      0x00000004
#define FILE_SHARE_VALID_FLAGS 0x00000007

// ---- File attributes ------------------------------------------------------------

#define FILE_ATTRIBUTE_READONLY            0x00000001
#define FILE_ATTRIBUTE_HIDDEN              0x00000002
#define FILE_ATTRIBUTE_SYSTEM              0x00000004
#define FILE_ATTRIBUTE_DIRECTORY           0x00000010
#define FILE_ATTRIBUTE_ARCHIVE             0x00000020
#define FILE_ATTRIBUTE_DEVICE              0x00000040
#define FILE_ATTRIBUTE_NORMAL              0x00000080
#define FILE_ATTRIBUTE_TEMPORARY           0x00000100
#define FILE_ATTRIBUTE_SPARSE_FILE         0x00000200
#define FILE_ATTRIBUTE_REPARSE_POINT       0x00000400
#define FILE_ATTRIBUTE_COMPRESSED          0x00000800
#define FILE_ATTRIBUTE_OFFLINE             0x00001000
#define FILE_ATTRIBUTE_NOT_CONTENT_INDEXED 0x00002000
#define FILE_ATTRIBUTE_ENCRYPTED           0x00004000
#define FILE_ATTRIBUTE_VALID_FLAGS         0x00007FB7
#define FILE_ATTRIBUTE_VALID_SET_FLAGS     0x000031A7

// ---- Create dispositions, options and results ---------------------------------

// CreateDisposition: what to do when the file does or does not exist.
#define FILE_SUPERSEDE           0x00000000
#define FILE_OPEN                0x00000001
#define FILE_CREATE              0x00000002
#define FILE_OPEN_IF             0x00000003
#define FILE_OVERWRITE           0x00000004
#define FILE_OVERWRITE_IF        0x00000005
#define FILE_MAXIMUM_DISPOSITION 0x00000005

// CreateOptions (NtCreateFile) and OpenOptions (NtOpenFile).
#define FILE_DIRECTORY_FILE            0x00000001
#define FILE_WRITE_THROUGH             0x00000002
#define FILE_SEQUENTIAL_ONLY           0x00000004
#define FILE_NO_INTERMEDIATE_BUFFERING 0x00000008
#define FILE_SYNCHRONOUS_IO_ALERT      0x00000010
#define FILE_SYNCHRONOUS_IO_NONALERT   0x00000020
#define FILE_NON_DIRECTORY_FILE        0x00000040
#define FILE_CREATE_TREE_CONNECTION    0x00000080
#define FILE_COMPLETE_IF_OPLOCKED      0x00000100
#define FILE_NO_EA_KNOWLEDGE           0x00000200
#define FILE_OPEN_REMOTE_INSTANCE      0x00000400
#define FILE_RANDOM_ACCESS             0x00000800
#define FILE_DELETE_ON_CLOSE           0x00001000
#define FILE_OPEN_BY_FILE_ID           0x00002000
#define FILE_OPEN_FOR_BACKUP_INTENT    0x00004000
#define FILE_NO_COMPRESSION            0x00008000
#define FILE_RESERVE_OPFILTER          0x00100000
#define FILE_OPEN_REPARSE_POINT        0x00200000
#define FILE_OPEN_NO_RECALL            0x00400000
#define FILE_OPEN_FOR_FREE_SPACE_QUERY 0x00800000
#define FILE_VALID_OPTION_FLAGS        0x00FFFFFF

// IO_STATUS_BLOCK.Information after a create.
#define FILE_SUPERSEDED     0x00000000
#define FILE_OPENED         0x00000001
#define FILE_CREATED        0x00000002
#define FILE_OVERWRITTEN    0x00000003
#define FILE_EXISTS         0x00000004
#define FILE_DOES_NOT_EXIST 0x00000005

// A ByteOffset's HighPart -1 with one of these LowParts: write at the end
// of the file; use the file object's current position (synchronous handles).
#define FILE_WRITE_TO_END_OF_FILE     0xFFFFFFFF
#define FILE_USE_FILE_POINTER_POSITION 0xFFFFFFFE

// FILE_MODE_INFORMATION.Mode: the create options that stay with a handle.
#define FILE_VALID_MODE_FLAGS (FILE_WRITE_THROUGH | FILE_SEQUENTIAL_ONLY | \
                               FILE_NO_INTERMEDIATE_BUFFERING | FILE_SYNCHRONOUS_IO_ALERT | \
                               FILE_SYNCHRONOUS_IO_NONALERT | FILE_DELETE_ON_CLOSE)

// ---- Device types and I/O control codes ----------------------------------------

#define FILE_DEVICE_BEEP                0x00000001
#define FILE_DEVICE_CD_ROM              0x00000002
#define FILE_DEVICE_CD_ROM_FILE_SYSTEM  0x00000003
#define FILE_DEVICE_CONTROLLER          0x00000004
#define FILE_DEVICE_DATALINK            0x00000005
#define FILE_DEVICE_DFS                 0x00000006
#define FILE_DEVICE_DISK                0x00000007
#define FILE_DEVICE_DISK_FILE_SYSTEM    0x00000008
#define FILE_DEVICE_FILE_SYSTEM         0x00000009
#define FILE_DEVICE_INPORT_PORT         0x0000000A
#define FILE_DEVICE_KEYBOARD            0x0000000B
#define FILE_DEVICE_MAILSLOT            0x0000000C
#define FILE_DEVICE_MIDI_IN             0x0000000D
#define FILE_DEVICE_MIDI_OUT            0x0000000E
#define FILE_DEVICE_MOUSE               0x0000000F
#define FILE_DEVICE_MULTI_UNC_PROVIDER  0x00000010
#define FILE_DEVICE_NAMED_PIPE          0x00000011
#define FILE_DEVICE_NETWORK             0x00000012
#define FILE_DEVICE_NETWORK_BROWSER     0x00000013
#define FILE_DEVICE_NETWORK_FILE_SYSTEM 0x00000014
#define FILE_DEVICE_NULL                0x00000015
#define FILE_DEVICE_PARALLEL_PORT       0x00000016
#define FILE_DEVICE_PHYSICAL_NETCARD    0x00000017
#define FILE_DEVICE_PRINTER             0x00000018
#define FILE_DEVICE_SCANNER             0x00000019
#define FILE_DEVICE_SERIAL_MOUSE_PORT   0x0000001A
#define FILE_DEVICE_SERIAL_PORT         0x0000001B
#define FILE_DEVICE_SCREEN              0x0000001C
#define FILE_DEVICE_SOUND               0x0000001D
#define FILE_DEVICE_STREAMS             0x0000001E
#define FILE_DEVICE_TAPE                0x0000001F
#define FILE_DEVICE_TAPE_FILE_SYSTEM    0x00000020
#define FILE_DEVICE_TRANSPORT           0x00000021
#define FILE_DEVICE_UNKNOWN             0x00000022
#define FILE_DEVICE_VIDEO               0x00000023
#define FILE_DEVICE_VIRTUAL_DISK        0x00000024
#define FILE_DEVICE_NETWORK_REDIRECTOR  0x00000028
#define FILE_DEVICE_MASS_STORAGE        0x0000002D
#define FILE_DEVICE_SMB                 0x0000002E
#define FILE_DEVICE_KS                  0x0000002F
#define FILE_DEVICE_DFS_FILE_SYSTEM     0x00000035
#define FILE_DEVICE_DFS_VOLUME          0x00000036
#define FILE_DEVICE_KSEC                0x00000039

// An I/O control code: the device type, the access the caller's handle
// must grant, the function, and how buffers travel.
#define CTL_CODE(DeviceType, Function, Method, Access) \
    (((ULONG)(DeviceType) << 16) | ((ULONG)(Access) << 14) | ((ULONG)(Function) << 2) | \
     (ULONG)(Method))
#define DEVICE_TYPE_FROM_CTL_CODE(ctrlCode) (((ULONG)(ctrlCode) & 0xFFFF0000) >> 16)
#define METHOD_FROM_CTL_CODE(ctrlCode)      ((ULONG)(ctrlCode) & 3)

// METHOD_BUFFERED: both buffers copied through one system buffer;
// METHOD_IN_DIRECT/OUT_DIRECT: the output buffer described by an MDL;
// METHOD_NEITHER: the driver gets the caller's own addresses.
#define METHOD_BUFFERED   0
#define METHOD_IN_DIRECT  1
#define METHOD_OUT_DIRECT 2
#define METHOD_NEITHER    3

#define FILE_ANY_ACCESS     0
#define FILE_SPECIAL_ACCESS FILE_ANY_ACCESS
#define FILE_READ_ACCESS    0x0001
#define FILE_WRITE_ACCESS   0x0002

// ---- File information classes and their structures --------------------------

typedef enum _FILE_INFORMATION_CLASS {
    FileDirectoryInformation = 1,
    FileFullDirectoryInformation = 2,
    FileBothDirectoryInformation = 3,
    FileBasicInformation = 4,
    FileStandardInformation = 5,
    FileInternalInformation = 6,
    FileEaInformation = 7,
    FileAccessInformation = 8,
    FileNameInformation = 9,
    FileRenameInformation = 10,
    FileLinkInformation = 11,
    FileNamesInformation = 12,
    FileDispositionInformation = 13,
    FilePositionInformation = 14,
    FileFullEaInformation = 15,
    FileModeInformation = 16,
    FileAlignmentInformation = 17,
    FileAllInformation = 18,
    FileAllocationInformation = 19,
    FileEndOfFileInformation = 20,
    FileAlternateNameInformation = 21,
    FileStreamInformation = 22,
    FilePipeInformation = 23,
    FilePipeLocalInformation = 24,
    FilePipeRemoteInformation = 25,
    FileMailslotQueryInformation = 26,
    FileMailslotSetInformation = 27,
    FileCompressionInformation = 28,
    FileObjectIdInformation = 29,
    FileCompletionInformation = 30,
    FileMoveClusterInformation = 31,
    FileQuotaInformation = 32,
    FileReparsePointInformation = 33,
    FileNetworkOpenInformation = 34,
    FileAttributeTagInformation = 35,
    FileTrackingInformation = 36,
    FileIdBothDirectoryInformation = 37,
    FileIdFullDirectoryInformation = 38,
    FileValidDataLengthInformation = 39,
    FileShortNameInformation = 40,
    FileMaximumInformation
} FILE_INFORMATION_CLASS;

typedef struct _FILE_BASIC_INFORMATION {
    LARGE_INTEGER CreationTime;
    LARGE_INTEGER LastAccessTime;
    LARGE_INTEGER LastWriteTime;
    LARGE_INTEGER ChangeTime;
    ULONG FileAttributes;
} FILE_BASIC_INFORMATION;

typedef struct _FILE_STANDARD_INFORMATION {
    LARGE_INTEGER AllocationSize;
    LARGE_INTEGER EndOfFile;
    ULONG NumberOfLinks;
    BOOLEAN DeletePending;
    BOOLEAN Directory;
} FILE_STANDARD_INFORMATION;

typedef struct _FILE_INTERNAL_INFORMATION {
    LARGE_INTEGER IndexNumber;
} FILE_INTERNAL_INFORMATION;

typedef struct _FILE_EA_INFORMATION {
    ULONG EaSize;
} FILE_EA_INFORMATION;

typedef struct _FILE_ACCESS_INFORMATION {
    ACCESS_MASK AccessFlags;
} FILE_ACCESS_INFORMATION;

// The name after the device, as the file system knows it.
typedef struct _FILE_NAME_INFORMATION {
    ULONG FileNameLength;                   // bytes
    WCHAR FileName[1];
} FILE_NAME_INFORMATION;

typedef struct _FILE_RENAME_INFORMATION {
    BOOLEAN ReplaceIfExists;
    HANDLE RootDirectory;
    ULONG FileNameLength;
    WCHAR FileName[1];
} FILE_RENAME_INFORMATION;

typedef struct _FILE_DISPOSITION_INFORMATION {
    BOOLEAN DeleteFile;
} FILE_DISPOSITION_INFORMATION;

typedef struct _FILE_POSITION_INFORMATION {
    LARGE_INTEGER CurrentByteOffset;
} FILE_POSITION_INFORMATION;

typedef struct _FILE_MODE_INFORMATION {
    ULONG Mode;
} FILE_MODE_INFORMATION;

typedef struct _FILE_ALIGNMENT_INFORMATION {
    ULONG AlignmentRequirement;
} FILE_ALIGNMENT_INFORMATION;

typedef struct _FILE_ALLOCATION_INFORMATION {
    LARGE_INTEGER AllocationSize;
} FILE_ALLOCATION_INFORMATION;

typedef struct _FILE_END_OF_FILE_INFORMATION {
    LARGE_INTEGER EndOfFile;
} FILE_END_OF_FILE_INFORMATION;

typedef struct _FILE_NETWORK_OPEN_INFORMATION {
    LARGE_INTEGER CreationTime;
    LARGE_INTEGER LastAccessTime;
    LARGE_INTEGER LastWriteTime;
    LARGE_INTEGER ChangeTime;
    LARGE_INTEGER AllocationSize;
    LARGE_INTEGER EndOfFile;
    ULONG FileAttributes;
} FILE_NETWORK_OPEN_INFORMATION;

typedef struct _FILE_ALL_INFORMATION {
    FILE_BASIC_INFORMATION BasicInformation;
    FILE_STANDARD_INFORMATION StandardInformation;
    FILE_INTERNAL_INFORMATION InternalInformation;
    FILE_EA_INFORMATION EaInformation;
    FILE_ACCESS_INFORMATION AccessInformation;
    FILE_POSITION_INFORMATION PositionInformation;
    FILE_MODE_INFORMATION ModeInformation;
    FILE_ALIGNMENT_INFORMATION AlignmentInformation;
    FILE_NAME_INFORMATION NameInformation;
} FILE_ALL_INFORMATION;

// Directory entries (NtQueryDirectoryFile): each starts at an 8-byte
// boundary, NextEntryOffset is 0 on the last, names are not terminated.
typedef struct _FILE_DIRECTORY_INFORMATION {
    ULONG NextEntryOffset;
    ULONG FileIndex;
    LARGE_INTEGER CreationTime;
    LARGE_INTEGER LastAccessTime;
    LARGE_INTEGER LastWriteTime;
    LARGE_INTEGER ChangeTime;
    LARGE_INTEGER EndOfFile;
    LARGE_INTEGER AllocationSize;
    ULONG FileAttributes;
    ULONG FileNameLength;
    WCHAR FileName[1];
} FILE_DIRECTORY_INFORMATION;

typedef struct _FILE_FULL_DIR_INFORMATION {
    ULONG NextEntryOffset;
    ULONG FileIndex;
    LARGE_INTEGER CreationTime;
    LARGE_INTEGER LastAccessTime;
    LARGE_INTEGER LastWriteTime;
    LARGE_INTEGER ChangeTime;
    LARGE_INTEGER EndOfFile;
    LARGE_INTEGER AllocationSize;
    ULONG FileAttributes;
    ULONG FileNameLength;
    ULONG EaSize;
    WCHAR FileName[1];
} FILE_FULL_DIR_INFORMATION;

typedef struct _FILE_BOTH_DIR_INFORMATION {
    ULONG NextEntryOffset;
    ULONG FileIndex;
    LARGE_INTEGER CreationTime;
    LARGE_INTEGER LastAccessTime;
    LARGE_INTEGER LastWriteTime;
    LARGE_INTEGER ChangeTime;
    LARGE_INTEGER EndOfFile;
    LARGE_INTEGER AllocationSize;
    ULONG FileAttributes;
    ULONG FileNameLength;
    ULONG EaSize;
    CHAR ShortNameLength;
    WCHAR ShortName[12];
    WCHAR FileName[1];
} FILE_BOTH_DIR_INFORMATION;

typedef struct _FILE_NAMES_INFORMATION {
    ULONG NextEntryOffset;
    ULONG FileIndex;
    ULONG FileNameLength;
    WCHAR FileName[1];
} FILE_NAMES_INFORMATION;

_Static_assert(sizeof(FILE_BASIC_INFORMATION) == 0x28, "FILE_BASIC_INFORMATION is NT's x64");
_Static_assert(sizeof(FILE_STANDARD_INFORMATION) == 0x18,
               "FILE_STANDARD_INFORMATION is NT's x64");
_Static_assert(offsetof(FILE_STANDARD_INFORMATION, Directory) == 0x15,
               "FILE_STANDARD_INFORMATION is NT's x64");
_Static_assert(offsetof(FILE_RENAME_INFORMATION, FileNameLength) == 0x10,
               "FILE_RENAME_INFORMATION is NT's x64");
_Static_assert(sizeof(FILE_NETWORK_OPEN_INFORMATION) == 0x38,
               "FILE_NETWORK_OPEN_INFORMATION is NT's x64");
_Static_assert(offsetof(FILE_ALL_INFORMATION, NameInformation) == 0x60,
               "FILE_ALL_INFORMATION is NT's x64");
_Static_assert(offsetof(FILE_DIRECTORY_INFORMATION, FileAttributes) == 0x38,
               "FILE_DIRECTORY_INFORMATION is NT's x64");
_Static_assert(offsetof(FILE_DIRECTORY_INFORMATION, FileName) == 0x40,
               "FILE_DIRECTORY_INFORMATION is NT's x64");
_Static_assert(offsetof(FILE_FULL_DIR_INFORMATION, FileName) == 0x44,
               "FILE_FULL_DIR_INFORMATION is NT's x64");
_Static_assert(offsetof(FILE_BOTH_DIR_INFORMATION, ShortNameLength) == 0x44,
               "FILE_BOTH_DIR_INFORMATION is NT's x64");
_Static_assert(offsetof(FILE_BOTH_DIR_INFORMATION, ShortName) == 0x46,
               "FILE_BOTH_DIR_INFORMATION is NT's x64");
_Static_assert(offsetof(FILE_BOTH_DIR_INFORMATION, FileName) == 0x5E,
               "FILE_BOTH_DIR_INFORMATION is NT's x64");
_Static_assert(offsetof(FILE_NAMES_INFORMATION, FileName) == 0xC,
               "FILE_NAMES_INFORMATION is NT's x64");

// ---- The services -----------------------------------------------------------------

NTSTATUS NTAPI NtCreateFile(HANDLE *fileHandle, ACCESS_MASK desiredAccess,
                            OBJECT_ATTRIBUTES *objectAttributes, IO_STATUS_BLOCK *ioStatusBlock,
                            LARGE_INTEGER *allocationSize, ULONG fileAttributes,
                            ULONG shareAccess, ULONG createDisposition, ULONG createOptions,
                            void *eaBuffer, ULONG eaLength);
NTSTATUS NTAPI NtOpenFile(HANDLE *fileHandle, ACCESS_MASK desiredAccess,
                          OBJECT_ATTRIBUTES *objectAttributes, IO_STATUS_BLOCK *ioStatusBlock,
                          ULONG shareAccess, ULONG openOptions);
NTSTATUS NTAPI NtReadFile(HANDLE fileHandle, HANDLE event, PIO_APC_ROUTINE apcRoutine,
                          void *apcContext, IO_STATUS_BLOCK *ioStatusBlock, void *buffer,
                          ULONG length, LARGE_INTEGER *byteOffset, ULONG *key);
NTSTATUS NTAPI NtWriteFile(HANDLE fileHandle, HANDLE event, PIO_APC_ROUTINE apcRoutine,
                           void *apcContext, IO_STATUS_BLOCK *ioStatusBlock, void *buffer,
                           ULONG length, LARGE_INTEGER *byteOffset, ULONG *key);
NTSTATUS NTAPI NtDeviceIoControlFile(HANDLE fileHandle, HANDLE event,
                                     PIO_APC_ROUTINE apcRoutine, void *apcContext,
                                     IO_STATUS_BLOCK *ioStatusBlock, ULONG ioControlCode,
                                     void *inputBuffer, ULONG inputBufferLength,
                                     void *outputBuffer, ULONG outputBufferLength);
NTSTATUS NTAPI NtFsControlFile(HANDLE fileHandle, HANDLE event, PIO_APC_ROUTINE apcRoutine,
                               void *apcContext, IO_STATUS_BLOCK *ioStatusBlock,
                               ULONG fsControlCode, void *inputBuffer, ULONG inputBufferLength,
                               void *outputBuffer, ULONG outputBufferLength);
NTSTATUS NTAPI NtQueryInformationFile(HANDLE fileHandle, IO_STATUS_BLOCK *ioStatusBlock,
                                      void *fileInformation, ULONG length,
                                      FILE_INFORMATION_CLASS fileInformationClass);
NTSTATUS NTAPI NtSetInformationFile(HANDLE fileHandle, IO_STATUS_BLOCK *ioStatusBlock,
                                    void *fileInformation, ULONG length,
                                    FILE_INFORMATION_CLASS fileInformationClass);
NTSTATUS NTAPI NtQueryDirectoryFile(HANDLE fileHandle, HANDLE event, PIO_APC_ROUTINE apcRoutine,
                                    void *apcContext, IO_STATUS_BLOCK *ioStatusBlock,
                                    void *fileInformation, ULONG length,
                                    FILE_INFORMATION_CLASS fileInformationClass,
                                    BOOLEAN returnSingleEntry, UNICODE_STRING *fileName,
                                    BOOLEAN restartScan);
NTSTATUS NTAPI NtCancelIoFile(HANDLE fileHandle, IO_STATUS_BLOCK *ioStatusBlock);
// Drivers (io/loaddrv.c, docs/drivers.md): driverServiceName is the service's
// registry path, \Registry\Machine\System\CurrentControlSet\Services\Name.
NTSTATUS NTAPI NtLoadDriver(UNICODE_STRING *driverServiceName);
NTSTATUS NTAPI NtUnloadDriver(UNICODE_STRING *driverServiceName);
