// The I/O manager's kernel-mode structures, with NT's names, fields and x64
// layouts (checked at the end), so that `dt nt!_IRP`, `!irp`, `!devobj` and
// `!drvobj` read here as they do in the case studies: DRIVER_OBJECT,
// DEVICE_OBJECT, IRP, IO_STACK_LOCATION, FILE_OBJECT and what they point
// to. The routines that work on them are declared in io/io.h; what user
// mode shares (IO_STATUS_BLOCK, the information classes...) is in
// ndk/ntioapi.h.
#pragma once

#include "rtl/rtl.h"
#include "ke/ke.h"
#include "ob/ob.h"
#include "ndk/ntioapi.h"

// An error (severity 3), not a warning: what decides whether a failed
// request still tells its caller (irp.c).
#ifndef NT_ERROR
#define NT_ERROR(Status) ((ULONG)(Status) >> 30 == 3)
#endif

struct _ETHREAD;
struct _IRP;
struct _DEVICE_OBJECT;
struct _DRIVER_OBJECT;
struct _FILE_OBJECT;
struct _MDL;
struct _ACCESS_STATE;

// The Type of every I/O structure (a CSHORT at offset 0), as NT numbers them.
#define IO_TYPE_ADAPTER                 0x01
#define IO_TYPE_CONTROLLER              0x02
#define IO_TYPE_DEVICE                  0x03
#define IO_TYPE_DRIVER                  0x04
#define IO_TYPE_FILE                    0x05
#define IO_TYPE_IRP                     0x06
#define IO_TYPE_MASTER_ADAPTER          0x07
#define IO_TYPE_OPEN_PACKET             0x08
#define IO_TYPE_TIMER                   0x09
#define IO_TYPE_VPB                     0x0A
#define IO_TYPE_ERROR_LOG               0x0B
#define IO_TYPE_ERROR_MESSAGE           0x0C
#define IO_TYPE_DEVICE_OBJECT_EXTENSION 0x0D

typedef SHORT CSHORT;
typedef CHAR CCHAR;
typedef ULONG DEVICE_TYPE;

// ---- Major and minor functions ---------------------------------------------------

#define IRP_MJ_CREATE                   0x00
#define IRP_MJ_CREATE_NAMED_PIPE        0x01
#define IRP_MJ_CLOSE                    0x02
#define IRP_MJ_READ                     0x03
#define IRP_MJ_WRITE                    0x04
#define IRP_MJ_QUERY_INFORMATION        0x05
#define IRP_MJ_SET_INFORMATION          0x06
#define IRP_MJ_QUERY_EA                 0x07
#define IRP_MJ_SET_EA                   0x08
#define IRP_MJ_FLUSH_BUFFERS            0x09
#define IRP_MJ_QUERY_VOLUME_INFORMATION 0x0A
#define IRP_MJ_SET_VOLUME_INFORMATION   0x0B
#define IRP_MJ_DIRECTORY_CONTROL        0x0C
#define IRP_MJ_FILE_SYSTEM_CONTROL      0x0D
#define IRP_MJ_DEVICE_CONTROL           0x0E
#define IRP_MJ_INTERNAL_DEVICE_CONTROL  0x0F
#define IRP_MJ_SHUTDOWN                 0x10
#define IRP_MJ_LOCK_CONTROL             0x11
#define IRP_MJ_CLEANUP                  0x12
#define IRP_MJ_CREATE_MAILSLOT          0x13
#define IRP_MJ_QUERY_SECURITY           0x14
#define IRP_MJ_SET_SECURITY             0x15
#define IRP_MJ_POWER                    0x16
#define IRP_MJ_SYSTEM_CONTROL           0x17
#define IRP_MJ_DEVICE_CHANGE            0x18
#define IRP_MJ_QUERY_QUOTA              0x19
#define IRP_MJ_SET_QUOTA                0x1A
#define IRP_MJ_PNP                      0x1B
#define IRP_MJ_MAXIMUM_FUNCTION         0x1B

// IRP_MJ_DIRECTORY_CONTROL
#define IRP_MN_QUERY_DIRECTORY          0x01
#define IRP_MN_NOTIFY_CHANGE_DIRECTORY  0x02
// IRP_MJ_FILE_SYSTEM_CONTROL
#define IRP_MN_USER_FS_REQUEST          0x00
#define IRP_MN_MOUNT_VOLUME             0x01
#define IRP_MN_VERIFY_VOLUME            0x02
#define IRP_MN_LOAD_FILE_SYSTEM         0x03

// ---- Driver routines ---------------------------------------------------------------

typedef NTSTATUS (*PDRIVER_INITIALIZE)(struct _DRIVER_OBJECT *driverObject,
                                       UNICODE_STRING *registryPath);
typedef NTSTATUS (*PDRIVER_ADD_DEVICE)(struct _DRIVER_OBJECT *driverObject,
                                       struct _DEVICE_OBJECT *physicalDeviceObject);
typedef void (*PDRIVER_UNLOAD)(struct _DRIVER_OBJECT *driverObject);
// A dispatch routine: completes the IRP, passes it down, or marks it
// pending and returns STATUS_PENDING.
typedef NTSTATUS (*PDRIVER_DISPATCH)(struct _DEVICE_OBJECT *deviceObject, struct _IRP *irp);
typedef void (*PDRIVER_STARTIO)(struct _DEVICE_OBJECT *deviceObject, struct _IRP *irp);
// Called with the cancel spin lock held (released by the routine, at
// irp->CancelIrql) once IoCancelIrp has marked the IRP cancelled.
typedef void (*PDRIVER_CANCEL)(struct _DEVICE_OBJECT *deviceObject, struct _IRP *irp);
// Called as the IRP completes back up through a stack location; returning
// STATUS_MORE_PROCESSING_REQUIRED stops the completion there.
typedef NTSTATUS (*PIO_COMPLETION_ROUTINE)(struct _DEVICE_OBJECT *deviceObject,
                                           struct _IRP *irp, void *context);

// ---- Device queues (Ke's, used only by the I/O manager) --------------------------

typedef struct _KDEVICE_QUEUE_ENTRY {
    LIST_ENTRY DeviceListEntry;
    ULONG SortKey;
    BOOLEAN Inserted;
} KDEVICE_QUEUE_ENTRY;

typedef struct _KDEVICE_QUEUE {
    CSHORT Type;
    CSHORT Size;
    LIST_ENTRY DeviceListHead;
    KSPIN_LOCK Lock;
    BOOLEAN Busy;
} KDEVICE_QUEUE;

typedef struct _WAIT_CONTEXT_BLOCK {
    KDEVICE_QUEUE_ENTRY WaitQueueEntry;
    void *DeviceRoutine;
    void *DeviceContext;
    ULONG NumberOfMapRegisters;
    void *DeviceObject;
    void *CurrentIrp;
    KDPC *BufferChainingDpc;
} WAIT_CONTEXT_BLOCK;

// ---- Driver objects ------------------------------------------------------------------

typedef struct _DRIVER_EXTENSION {
    struct _DRIVER_OBJECT *DriverObject;
    PDRIVER_ADD_DEVICE AddDevice;
    ULONG Count;                        // times DriverEntry's reinitialization ran
    UNICODE_STRING ServiceKeyName;
    void *ClientDriverExtension;
    void *FsFilterCallbacks;
} DRIVER_EXTENSION;

// DRIVER_OBJECT.Flags
#define DRVO_UNLOAD_INVOKED       0x00000001
#define DRVO_LEGACY_DRIVER        0x00000002
#define DRVO_BUILTIN_DRIVER       0x00000004    // made by IoCreateDriver, not an image
#define DRVO_REINIT_REGISTERED    0x00000008
#define DRVO_INITIALIZED          0x00000010
#define DRVO_BOOTREINIT_REGISTERED 0x00000020
#define DRVO_LEGACY_RESOURCES     0x00000040

typedef struct _DRIVER_OBJECT {
    CSHORT Type;                        // IO_TYPE_DRIVER
    CSHORT Size;
    struct _DEVICE_OBJECT *DeviceObject;    // its devices, newest first, via NextDevice
    ULONG Flags;
    void *DriverStart;                  // its image (NULL for a built-in driver)
    ULONG DriverSize;
    void *DriverSection;                // its KLDR_DATA_TABLE_ENTRY
    DRIVER_EXTENSION *DriverExtension;  // follows the object in the same block
    UNICODE_STRING DriverName;          // \Driver\NAME or \FileSystem\NAME
    UNICODE_STRING *HardwareDatabase;
    void *FastIoDispatch;
    PDRIVER_INITIALIZE DriverInit;
    PDRIVER_STARTIO DriverStartIo;
    PDRIVER_UNLOAD DriverUnload;
    PDRIVER_DISPATCH MajorFunction[IRP_MJ_MAXIMUM_FUNCTION + 1];
} DRIVER_OBJECT;

// ---- Device objects --------------------------------------------------------------------

// DEVICE_OBJECT.Flags
#define DO_VERIFY_VOLUME          0x00000002
#define DO_BUFFERED_IO            0x00000004
#define DO_EXCLUSIVE              0x00000008
#define DO_DIRECT_IO              0x00000010
#define DO_MAP_IO_BUFFER          0x00000020
#define DO_DEVICE_HAS_NAME        0x00000040
#define DO_DEVICE_INITIALIZING    0x00000080
#define DO_SYSTEM_BOOT_PARTITION  0x00000100
#define DO_LONG_TERM_REQUESTS     0x00000200
#define DO_NEVER_LAST_DEVICE      0x00000400
#define DO_SHUTDOWN_REGISTERED    0x00000800
#define DO_BUS_ENUMERATED_DEVICE  0x00001000
#define DO_POWER_PAGABLE          0x00002000
#define DO_POWER_INRUSH           0x00004000
#define DO_LOW_PRIORITY_FILESYSTEM 0x00010000

// DEVICE_OBJECT.Characteristics
#define FILE_REMOVABLE_MEDIA           0x00000001
#define FILE_READ_ONLY_DEVICE          0x00000002
#define FILE_FLOPPY_DISKETTE           0x00000004
#define FILE_WRITE_ONCE_MEDIA          0x00000008
#define FILE_REMOTE_DEVICE             0x00000010
#define FILE_DEVICE_IS_MOUNTED         0x00000020
#define FILE_VIRTUAL_VOLUME            0x00000040
#define FILE_AUTOGENERATED_DEVICE_NAME 0x00000080
#define FILE_DEVICE_SECURE_OPEN        0x00000100

// A volume parameter block: ties a storage device to the file system
// volume device mounted on it.
#define VPB_MOUNTED 0x00000001
#define VPB_LOCKED  0x00000002
#define MAXIMUM_VOLUME_LABEL_LENGTH (32 * sizeof(WCHAR))

typedef struct _VPB {
    CSHORT Type;                        // IO_TYPE_VPB
    CSHORT Size;
    USHORT Flags;
    USHORT VolumeLabelLength;           // bytes
    struct _DEVICE_OBJECT *DeviceObject;    // the file system's volume device
    struct _DEVICE_OBJECT *RealDevice;      // the storage device
    ULONG SerialNumber;
    ULONG ReferenceCount;
    WCHAR VolumeLabel[MAXIMUM_VOLUME_LABEL_LENGTH / sizeof(WCHAR)];
} VPB;

// The device object's half that drivers do not touch.
typedef struct _DEVOBJ_EXTENSION {
    CSHORT Type;                        // IO_TYPE_DEVICE_OBJECT_EXTENSION
    USHORT Size;
    struct _DEVICE_OBJECT *DeviceObject;
    ULONG PowerFlags;
    void *Dope;
    ULONG ExtensionFlags;
    void *DeviceNode;
    struct _DEVICE_OBJECT *AttachedTo;  // the device this one is attached on top of
} DEVOBJ_EXTENSION;

// DEVOBJ_EXTENSION.ExtensionFlags
#define DOE_UNLOAD_PENDING 0x00000001
#define DOE_DELETE_PENDING 0x00000002   // IoDeleteDevice called; freed with the last reference

typedef struct _DEVICE_OBJECT {
    CSHORT Type;                        // IO_TYPE_DEVICE
    USHORT Size;                        // this structure and the device extension
    LONG ReferenceCount;                // open file objects on the device
    DRIVER_OBJECT *DriverObject;
    struct _DEVICE_OBJECT *NextDevice;      // the driver's next device
    struct _DEVICE_OBJECT *AttachedDevice;  // the device attached on top of this one
    struct _IRP *CurrentIrp;
    void *Timer;
    ULONG Flags;                        // DO_*
    ULONG Characteristics;              // FILE_* characteristics
    VPB *Vpb;
    void *DeviceExtension;              // the driver's, right after this structure
    DEVICE_TYPE DeviceType;             // FILE_DEVICE_*
    CCHAR StackSize;                    // stack locations an IRP to it needs
    union {
        LIST_ENTRY ListEntry;
        WAIT_CONTEXT_BLOCK Wcb;
    } Queue;
    ULONG AlignmentRequirement;
    KDEVICE_QUEUE DeviceQueue;
    KDPC Dpc;
    ULONG ActiveThreadCount;
    void *SecurityDescriptor;
    KEVENT DeviceLock;
    USHORT SectorSize;
    USHORT Spare1;
    DEVOBJ_EXTENSION *DeviceObjectExtension;
    void *Reserved;
} __attribute__((aligned(16))) DEVICE_OBJECT;   // MEMORY_ALLOCATION_ALIGNMENT, as NT's

// ---- File objects -------------------------------------------------------------------------

// FILE_OBJECT.Flags
#define FO_FILE_OPEN                0x00000001
#define FO_SYNCHRONOUS_IO           0x00000002
#define FO_ALERTABLE_IO             0x00000004
#define FO_NO_INTERMEDIATE_BUFFERING 0x00000008
#define FO_WRITE_THROUGH            0x00000010
#define FO_SEQUENTIAL_ONLY          0x00000020
#define FO_CACHE_SUPPORTED          0x00000040
#define FO_NAMED_PIPE               0x00000080
#define FO_STREAM_FILE              0x00000100
#define FO_MAILSLOT                 0x00000200
#define FO_GENERATE_AUDIT_ON_CLOSE  0x00000400
#define FO_DIRECT_DEVICE_OPEN       0x00000800
#define FO_FILE_MODIFIED            0x00001000
#define FO_FILE_SIZE_CHANGED        0x00002000
#define FO_CLEANUP_COMPLETE         0x00004000
#define FO_TEMPORARY_FILE           0x00008000
#define FO_DELETE_ON_CLOSE          0x00010000
#define FO_OPENED_CASE_SENSITIVE    0x00020000
#define FO_HANDLE_CREATED           0x00040000
#define FO_FILE_FAST_IO_READ        0x00080000
#define FO_RANDOM_ACCESS            0x00100000
#define FO_FILE_OPEN_CANCELLED      0x00200000
#define FO_VOLUME_OPEN              0x00400000

typedef struct _IO_COMPLETION_CONTEXT {
    void *Port;
    void *Key;
} IO_COMPLETION_CONTEXT;

// One open of a device or of a file on it: what a file handle names.
typedef struct _FILE_OBJECT {
    CSHORT Type;                        // IO_TYPE_FILE
    CSHORT Size;
    DEVICE_OBJECT *DeviceObject;        // the device opened (the bottom of the stack)
    VPB *Vpb;
    void *FsContext;                    // the driver's, per file (a file system's FCB)
    void *FsContext2;                   // the driver's, per open (a CCB)
    void *SectionObjectPointer;
    void *PrivateCacheMap;
    NTSTATUS FinalStatus;
    struct _FILE_OBJECT *RelatedFileObject; // the open the name is relative to
    BOOLEAN LockOperation;
    BOOLEAN DeletePending;
    BOOLEAN ReadAccess;
    BOOLEAN WriteAccess;
    BOOLEAN DeleteAccess;
    BOOLEAN SharedRead;
    BOOLEAN SharedWrite;
    BOOLEAN SharedDelete;
    ULONG Flags;                        // FO_*
    UNICODE_STRING FileName;            // the name after the device's
    LARGE_INTEGER CurrentByteOffset;    // the file pointer of synchronous handles
    ULONG Waiters;                      // threads waiting for Lock
    ULONG Busy;                         // a synchronous request is in progress
    void *LastLock;
    KEVENT Lock;                        // serializes synchronous handles' requests
    KEVENT Event;                       // signalled when a request on it completes
    IO_COMPLETION_CONTEXT *CompletionContext;
    KSPIN_LOCK IrpListLock;
    LIST_ENTRY IrpList;
    void *FileObjectExtension;
} FILE_OBJECT;

// ---- I/O stack locations --------------------------------------------------------------

// IO_STACK_LOCATION.Control
#define SL_PENDING_RETURNED  0x01
#define SL_ERROR_RETURNED    0x02
#define SL_INVOKE_ON_CANCEL  0x20
#define SL_INVOKE_ON_SUCCESS 0x40
#define SL_INVOKE_ON_ERROR   0x80

// IO_STACK_LOCATION.Flags, by major function
#define SL_FORCE_ACCESS_CHECK     0x01  // create
#define SL_OPEN_PAGING_FILE       0x02
#define SL_OPEN_TARGET_DIRECTORY  0x04
#define SL_CASE_SENSITIVE         0x80
#define SL_KEY_SPECIFIED          0x01  // read and write
#define SL_OVERRIDE_VERIFY_VOLUME 0x02
#define SL_WRITE_THROUGH          0x04
#define SL_RESTART_SCAN           0x01  // query directory
#define SL_RETURN_SINGLE_ENTRY    0x02
#define SL_INDEX_SPECIFIED        0x04

// What the create's caller asked for, passed to the file system.
typedef struct _IO_SECURITY_CONTEXT {
    void *SecurityQos;
    struct _ACCESS_STATE *AccessState;
    ACCESS_MASK DesiredAccess;
    ULONG FullCreateOptions;
} IO_SECURITY_CONTEXT;

#define POINTER_ALIGNMENT __attribute__((aligned(8)))

typedef struct _IO_STACK_LOCATION {
    UCHAR MajorFunction;
    UCHAR MinorFunction;
    UCHAR Flags;                        // SL_* by major function
    UCHAR Control;                      // SL_PENDING_RETURNED, SL_INVOKE_ON_*
    union {
        struct {
            IO_SECURITY_CONTEXT *SecurityContext;
            ULONG Options;              // disposition << 24 | create options
            USHORT POINTER_ALIGNMENT FileAttributes;
            USHORT ShareAccess;
            ULONG POINTER_ALIGNMENT EaLength;
        } Create;
        struct {
            ULONG Length;
            ULONG POINTER_ALIGNMENT Key;
            LARGE_INTEGER ByteOffset;
        } Read;
        struct {
            ULONG Length;
            ULONG POINTER_ALIGNMENT Key;
            LARGE_INTEGER ByteOffset;
        } Write;
        struct {
            ULONG Length;
            UNICODE_STRING *FileName;
            FILE_INFORMATION_CLASS FileInformationClass;
            ULONG POINTER_ALIGNMENT FileIndex;
        } QueryDirectory;
        struct {
            ULONG Length;
            ULONG POINTER_ALIGNMENT CompletionFilter;
        } NotifyDirectory;
        struct {
            ULONG Length;
            FILE_INFORMATION_CLASS POINTER_ALIGNMENT FileInformationClass;
        } QueryFile;
        struct {
            ULONG Length;
            FILE_INFORMATION_CLASS POINTER_ALIGNMENT FileInformationClass;
            struct _FILE_OBJECT *FileObject;
            union {
                struct {
                    BOOLEAN ReplaceIfExists;
                    BOOLEAN AdvanceOnly;
                };
                ULONG ClusterCount;
                HANDLE DeleteHandle;
            };
        } SetFile;
        struct {
            ULONG Length;
            ULONG POINTER_ALIGNMENT FsInformationClass;
        } QueryVolume;
        struct {
            ULONG OutputBufferLength;
            ULONG POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT FsControlCode;
            void *Type3InputBuffer;
        } FileSystemControl;
        struct {
            ULONG OutputBufferLength;
            ULONG POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT IoControlCode;
            void *Type3InputBuffer;     // METHOD_NEITHER: the caller's input buffer
        } DeviceIoControl;
        struct {
            VPB *Vpb;
            struct _DEVICE_OBJECT *DeviceObject;
        } MountVolume;
        struct {
            void *Argument1;
            void *Argument2;
            void *Argument3;
            void *Argument4;
        } Others;
    } Parameters;
    struct _DEVICE_OBJECT *DeviceObject;
    struct _FILE_OBJECT *FileObject;
    PIO_COMPLETION_ROUTINE CompletionRoutine;   // the upper driver's, for this location
    void *Context;
} IO_STACK_LOCATION;

// ---- IRPs ------------------------------------------------------------------------------

// IRP.Flags
#define IRP_NOCACHE              0x00000001
#define IRP_PAGING_IO            0x00000002
#define IRP_MOUNT_COMPLETION     0x00000002
#define IRP_SYNCHRONOUS_API      0x00000004
#define IRP_ASSOCIATED_IRP       0x00000008
#define IRP_BUFFERED_IO          0x00000010
#define IRP_DEALLOCATE_BUFFER    0x00000020
#define IRP_INPUT_OPERATION      0x00000040
#define IRP_SYNCHRONOUS_PAGING_IO 0x00000040
#define IRP_CREATE_OPERATION     0x00000080
#define IRP_READ_OPERATION       0x00000100
#define IRP_WRITE_OPERATION      0x00000200
#define IRP_CLOSE_OPERATION      0x00000400
#define IRP_DEFER_IO_COMPLETION  0x00000800
#define IRP_OB_QUERY_NAME        0x00001000
#define IRP_HOLD_DEVICE_QUEUE    0x00002000

// IRP.AllocationFlags
#define IRP_QUOTA_CHARGED          0x01
#define IRP_ALLOCATED_MUST_SUCCEED 0x02
#define IRP_ALLOCATED_FIXED_SIZE   0x04
#define IRP_LOOKASIDE_ALLOCATION   0x08

// An I/O request packet: the request, where it is in the device stack
// (CurrentLocation counts down from StackCount + 1 as it goes down), and
// how to tell the caller when it is done. The IO_STACK_LOCATIONs follow it
// in the same block.
typedef struct _IRP {
    CSHORT Type;                        // IO_TYPE_IRP
    USHORT Size;                        // with its stack locations
    struct _MDL *MdlAddress;
    ULONG Flags;                        // IRP_*
    union {
        struct _IRP *MasterIrp;
        LONG IrpCount;
        void *SystemBuffer;             // buffered I/O: the kernel's copy
    } AssociatedIrp;
    LIST_ENTRY ThreadListEntry;         // on its thread's ETHREAD.IrpList
    IO_STATUS_BLOCK IoStatus;
    KPROCESSOR_MODE RequestorMode;
    BOOLEAN PendingReturned;
    CHAR StackCount;
    CHAR CurrentLocation;
    BOOLEAN Cancel;
    KIRQL CancelIrql;
    CCHAR ApcEnvironment;
    UCHAR AllocationFlags;
    IO_STATUS_BLOCK *UserIosb;          // where IoStatus is copied for the caller
    KEVENT *UserEvent;                  // signalled once it is
    union {
        struct {
            union {
                PIO_APC_ROUTINE UserApcRoutine;
                void *IssuingProcess;
            };
            void *UserApcContext;
        } AsynchronousParameters;
        LARGE_INTEGER AllocationSize;
    } Overlay;
    PDRIVER_CANCEL volatile CancelRoutine;
    void *UserBuffer;                   // the caller's buffer (METHOD_NEITHER, reads)
    union {
        struct {
            union {
                KDEVICE_QUEUE_ENTRY DeviceQueueEntry;
                struct {
                    void *DriverContext[4];
                };
            };
            struct _ETHREAD *Thread;
            char *AuxiliaryBuffer;
            struct {
                LIST_ENTRY ListEntry;   // the owning driver's own queue
                union {
                    IO_STACK_LOCATION *CurrentStackLocation;
                    ULONG PacketType;
                };
            };
            struct _FILE_OBJECT *OriginalFileObject;
        } Overlay;
        KAPC Apc;                       // completes the request in its thread
        void *CompletionKey;
    } Tail;
} IRP;

// ---- NT's x64 layouts ----------------------------------------------------------------------

#define IO_ASSERT_OFFSET(type, field, offset) \
    _Static_assert(offsetof(type, field) == (offset), #type " is NT's x64 layout")

_Static_assert(sizeof(KDEVICE_QUEUE_ENTRY) == 0x18, "KDEVICE_QUEUE_ENTRY is NT's x64");
_Static_assert(sizeof(KDEVICE_QUEUE) == 0x28, "KDEVICE_QUEUE is NT's x64");
_Static_assert(sizeof(WAIT_CONTEXT_BLOCK) == 0x48, "WAIT_CONTEXT_BLOCK is NT's x64");
_Static_assert(sizeof(KDPC) == 0x40, "KDPC is NT's x64");
_Static_assert(sizeof(KAPC) == 0x58, "KAPC is NT's x64");

IO_ASSERT_OFFSET(DRIVER_EXTENSION, ServiceKeyName, 0x18);
IO_ASSERT_OFFSET(DRIVER_OBJECT, DeviceObject, 0x08);
IO_ASSERT_OFFSET(DRIVER_OBJECT, Flags, 0x10);
IO_ASSERT_OFFSET(DRIVER_OBJECT, DriverStart, 0x18);
IO_ASSERT_OFFSET(DRIVER_OBJECT, DriverSection, 0x28);
IO_ASSERT_OFFSET(DRIVER_OBJECT, DriverExtension, 0x30);
IO_ASSERT_OFFSET(DRIVER_OBJECT, DriverName, 0x38);
IO_ASSERT_OFFSET(DRIVER_OBJECT, FastIoDispatch, 0x50);
IO_ASSERT_OFFSET(DRIVER_OBJECT, DriverInit, 0x58);
IO_ASSERT_OFFSET(DRIVER_OBJECT, DriverUnload, 0x68);
IO_ASSERT_OFFSET(DRIVER_OBJECT, MajorFunction, 0x70);
_Static_assert(sizeof(DRIVER_OBJECT) == 0x150, "DRIVER_OBJECT is NT's x64");

IO_ASSERT_OFFSET(VPB, DeviceObject, 0x08);
IO_ASSERT_OFFSET(VPB, RealDevice, 0x10);
IO_ASSERT_OFFSET(VPB, VolumeLabel, 0x20);
_Static_assert(sizeof(VPB) == 0x60, "VPB is NT's x64");
IO_ASSERT_OFFSET(DEVOBJ_EXTENSION, DeviceObject, 0x08);
IO_ASSERT_OFFSET(DEVOBJ_EXTENSION, AttachedTo, 0x30);

IO_ASSERT_OFFSET(DEVICE_OBJECT, ReferenceCount, 0x04);
IO_ASSERT_OFFSET(DEVICE_OBJECT, DriverObject, 0x08);
IO_ASSERT_OFFSET(DEVICE_OBJECT, NextDevice, 0x10);
IO_ASSERT_OFFSET(DEVICE_OBJECT, AttachedDevice, 0x18);
IO_ASSERT_OFFSET(DEVICE_OBJECT, CurrentIrp, 0x20);
IO_ASSERT_OFFSET(DEVICE_OBJECT, Flags, 0x30);
IO_ASSERT_OFFSET(DEVICE_OBJECT, Characteristics, 0x34);
IO_ASSERT_OFFSET(DEVICE_OBJECT, Vpb, 0x38);
IO_ASSERT_OFFSET(DEVICE_OBJECT, DeviceExtension, 0x40);
IO_ASSERT_OFFSET(DEVICE_OBJECT, DeviceType, 0x48);
IO_ASSERT_OFFSET(DEVICE_OBJECT, StackSize, 0x4C);
IO_ASSERT_OFFSET(DEVICE_OBJECT, Queue, 0x50);
IO_ASSERT_OFFSET(DEVICE_OBJECT, AlignmentRequirement, 0x98);
IO_ASSERT_OFFSET(DEVICE_OBJECT, DeviceQueue, 0xA0);
IO_ASSERT_OFFSET(DEVICE_OBJECT, Dpc, 0xC8);
IO_ASSERT_OFFSET(DEVICE_OBJECT, ActiveThreadCount, 0x108);
IO_ASSERT_OFFSET(DEVICE_OBJECT, SecurityDescriptor, 0x110);
IO_ASSERT_OFFSET(DEVICE_OBJECT, DeviceLock, 0x118);
IO_ASSERT_OFFSET(DEVICE_OBJECT, SectorSize, 0x130);
IO_ASSERT_OFFSET(DEVICE_OBJECT, DeviceObjectExtension, 0x138);
_Static_assert(sizeof(DEVICE_OBJECT) == 0x150, "DEVICE_OBJECT is NT's x64");

IO_ASSERT_OFFSET(FILE_OBJECT, DeviceObject, 0x08);
IO_ASSERT_OFFSET(FILE_OBJECT, Vpb, 0x10);
IO_ASSERT_OFFSET(FILE_OBJECT, FsContext, 0x18);
IO_ASSERT_OFFSET(FILE_OBJECT, FsContext2, 0x20);
IO_ASSERT_OFFSET(FILE_OBJECT, FinalStatus, 0x38);
IO_ASSERT_OFFSET(FILE_OBJECT, RelatedFileObject, 0x40);
IO_ASSERT_OFFSET(FILE_OBJECT, DeletePending, 0x49);
IO_ASSERT_OFFSET(FILE_OBJECT, SharedDelete, 0x4F);
IO_ASSERT_OFFSET(FILE_OBJECT, Flags, 0x50);
IO_ASSERT_OFFSET(FILE_OBJECT, FileName, 0x58);
IO_ASSERT_OFFSET(FILE_OBJECT, CurrentByteOffset, 0x68);
IO_ASSERT_OFFSET(FILE_OBJECT, Waiters, 0x70);
IO_ASSERT_OFFSET(FILE_OBJECT, LastLock, 0x78);
IO_ASSERT_OFFSET(FILE_OBJECT, Lock, 0x80);
IO_ASSERT_OFFSET(FILE_OBJECT, Event, 0x98);
IO_ASSERT_OFFSET(FILE_OBJECT, CompletionContext, 0xB0);
IO_ASSERT_OFFSET(FILE_OBJECT, IrpListLock, 0xB8);
IO_ASSERT_OFFSET(FILE_OBJECT, IrpList, 0xC0);
_Static_assert(sizeof(FILE_OBJECT) == 0xD8, "FILE_OBJECT is NT's x64");

IO_ASSERT_OFFSET(IO_STACK_LOCATION, Parameters, 0x08);
IO_ASSERT_OFFSET(IO_STACK_LOCATION, Parameters.Create.Options, 0x10);
IO_ASSERT_OFFSET(IO_STACK_LOCATION, Parameters.Create.FileAttributes, 0x18);
IO_ASSERT_OFFSET(IO_STACK_LOCATION, Parameters.Create.ShareAccess, 0x1A);
IO_ASSERT_OFFSET(IO_STACK_LOCATION, Parameters.Create.EaLength, 0x20);
IO_ASSERT_OFFSET(IO_STACK_LOCATION, Parameters.Read.Key, 0x10);
IO_ASSERT_OFFSET(IO_STACK_LOCATION, Parameters.Read.ByteOffset, 0x18);
IO_ASSERT_OFFSET(IO_STACK_LOCATION, Parameters.QueryDirectory.FileName, 0x10);
IO_ASSERT_OFFSET(IO_STACK_LOCATION, Parameters.QueryDirectory.FileInformationClass, 0x18);
IO_ASSERT_OFFSET(IO_STACK_LOCATION, Parameters.QueryDirectory.FileIndex, 0x20);
IO_ASSERT_OFFSET(IO_STACK_LOCATION, Parameters.SetFile.FileObject, 0x18);
IO_ASSERT_OFFSET(IO_STACK_LOCATION, Parameters.SetFile.DeleteHandle, 0x20);
IO_ASSERT_OFFSET(IO_STACK_LOCATION, Parameters.DeviceIoControl.InputBufferLength, 0x10);
IO_ASSERT_OFFSET(IO_STACK_LOCATION, Parameters.DeviceIoControl.IoControlCode, 0x18);
IO_ASSERT_OFFSET(IO_STACK_LOCATION, Parameters.DeviceIoControl.Type3InputBuffer, 0x20);
IO_ASSERT_OFFSET(IO_STACK_LOCATION, DeviceObject, 0x28);
IO_ASSERT_OFFSET(IO_STACK_LOCATION, FileObject, 0x30);
IO_ASSERT_OFFSET(IO_STACK_LOCATION, CompletionRoutine, 0x38);
IO_ASSERT_OFFSET(IO_STACK_LOCATION, Context, 0x40);
_Static_assert(sizeof(IO_STACK_LOCATION) == 0x48, "IO_STACK_LOCATION is NT's x64");

IO_ASSERT_OFFSET(IRP, MdlAddress, 0x08);
IO_ASSERT_OFFSET(IRP, Flags, 0x10);
IO_ASSERT_OFFSET(IRP, AssociatedIrp, 0x18);
IO_ASSERT_OFFSET(IRP, ThreadListEntry, 0x20);
IO_ASSERT_OFFSET(IRP, IoStatus, 0x30);
IO_ASSERT_OFFSET(IRP, RequestorMode, 0x40);
IO_ASSERT_OFFSET(IRP, PendingReturned, 0x41);
IO_ASSERT_OFFSET(IRP, StackCount, 0x42);
IO_ASSERT_OFFSET(IRP, CurrentLocation, 0x43);
IO_ASSERT_OFFSET(IRP, Cancel, 0x44);
IO_ASSERT_OFFSET(IRP, CancelIrql, 0x45);
IO_ASSERT_OFFSET(IRP, AllocationFlags, 0x47);
IO_ASSERT_OFFSET(IRP, UserIosb, 0x48);
IO_ASSERT_OFFSET(IRP, UserEvent, 0x50);
IO_ASSERT_OFFSET(IRP, Overlay, 0x58);
IO_ASSERT_OFFSET(IRP, Overlay.AsynchronousParameters.UserApcContext, 0x60);
IO_ASSERT_OFFSET(IRP, CancelRoutine, 0x68);
IO_ASSERT_OFFSET(IRP, UserBuffer, 0x70);
IO_ASSERT_OFFSET(IRP, Tail, 0x78);
IO_ASSERT_OFFSET(IRP, Tail.Overlay.Thread, 0x98);
IO_ASSERT_OFFSET(IRP, Tail.Overlay.AuxiliaryBuffer, 0xA0);
IO_ASSERT_OFFSET(IRP, Tail.Overlay.ListEntry, 0xA8);
IO_ASSERT_OFFSET(IRP, Tail.Overlay.CurrentStackLocation, 0xB8);
IO_ASSERT_OFFSET(IRP, Tail.Overlay.OriginalFileObject, 0xC0);
_Static_assert(sizeof(IRP) == 0xD0, "IRP is NT's x64");

// Pool tags, as NT's.
#define IO_IRP_TAG          POOL_TAG('I', 'r', 'p', ' ')
#define IO_DEVICE_TAG       POOL_TAG('D', 'e', 'v', 'i')
#define IO_DRIVER_TAG       POOL_TAG('D', 'r', 'i', 'v')
#define IO_FILE_TAG         POOL_TAG('F', 'i', 'l', 'e')
#define IO_SYSTEM_BUFFER_TAG POOL_TAG('I', 'o', 'S', 'B')   // buffered I/O's copies
#define IO_NAME_TAG         POOL_TAG('I', 'o', 'N', 'm')    // FILE_OBJECT.FileName
#define IO_VPB_TAG          POOL_TAG('V', 'p', 'b', ' ')
