// The object manager as user mode sees it: access rights, the generic
// mapping, the information classes and layouts of NtQueryObject and
// NtQueryDirectoryObject, and the object and namespace services. Part of
// the NT ABI (kernel/ndk/); OBJECT_ATTRIBUTES is in ntdef.h, the object
// manager's own structures in kernel/ob/.
#pragma once

#include "ntdef.h"
#include "ntkeapi.h"

// Standard access rights; each object type adds its own in the low 16 bits.
#define DELETE                   0x00010000
#define READ_CONTROL             0x00020000
#define WRITE_DAC                0x00040000
#define WRITE_OWNER              0x00080000
#define SYNCHRONIZE              0x00100000
#define STANDARD_RIGHTS_REQUIRED 0x000F0000
#define STANDARD_RIGHTS_ALL      0x001F0000
#define STANDARD_RIGHTS_READ     READ_CONTROL
#define STANDARD_RIGHTS_WRITE    READ_CONTROL
#define STANDARD_RIGHTS_EXECUTE  READ_CONTROL
// Reading or changing an object's SACL; it takes SeSecurityPrivilege.
#define ACCESS_SYSTEM_SECURITY   0x01000000

#define DIRECTORY_QUERY               0x0001
#define DIRECTORY_TRAVERSE            0x0002
#define DIRECTORY_CREATE_OBJECT       0x0004
#define DIRECTORY_CREATE_SUBDIRECTORY 0x0008
#define DIRECTORY_ALL_ACCESS          (STANDARD_RIGHTS_REQUIRED | 0xF)

#define SYMBOLIC_LINK_QUERY      0x0001
#define SYMBOLIC_LINK_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | 0x1)

// NtDuplicateObject's (and ObDuplicateObject's) options.
#define DUPLICATE_CLOSE_SOURCE    0x00000001
#define DUPLICATE_SAME_ACCESS     0x00000002
#define DUPLICATE_SAME_ATTRIBUTES 0x00000004

// GENERIC_READ and friends in a desired access are mapped through the
// type's GENERIC_MAPPING before anything is granted.
#define GENERIC_READ    0x80000000
#define GENERIC_WRITE   0x40000000
#define GENERIC_EXECUTE 0x20000000
#define GENERIC_ALL     0x10000000
#define MAXIMUM_ALLOWED 0x02000000

typedef struct _GENERIC_MAPPING {
    ACCESS_MASK GenericRead;
    ACCESS_MASK GenericWrite;
    ACCESS_MASK GenericExecute;
    ACCESS_MASK GenericAll;
} GENERIC_MAPPING;

typedef enum _OBJECT_INFORMATION_CLASS {
    ObjectBasicInformation = 0,
    ObjectNameInformation = 1,
    ObjectTypeInformation = 2,
} OBJECT_INFORMATION_CLASS;

typedef struct _OBJECT_BASIC_INFORMATION {
    ULONG Attributes;
    ACCESS_MASK GrantedAccess;
    ULONG HandleCount;
    ULONG PointerCount;
    ULONG PagedPoolCharge;
    ULONG NonPagedPoolCharge;
    ULONG Reserved[3];
    ULONG NameInfoSize;
    ULONG TypeInfoSize;
    ULONG SecurityDescriptorSize;
    LARGE_INTEGER CreationTime;
} OBJECT_BASIC_INFORMATION;

typedef struct _OBJECT_NAME_INFORMATION {
    UNICODE_STRING Name;    // the name's characters follow the structure
} OBJECT_NAME_INFORMATION;

typedef struct _OBJECT_TYPE_INFORMATION {
    UNICODE_STRING TypeName;    // the name's characters follow the structure
    ULONG TotalNumberOfObjects;
    ULONG TotalNumberOfHandles;
    ULONG TotalPagedPoolUsage;
    ULONG TotalNonPagedPoolUsage;
    ULONG TotalNamePoolUsage;
    ULONG TotalHandleTableUsage;
    ULONG HighWaterNumberOfObjects;
    ULONG HighWaterNumberOfHandles;
    ULONG HighWaterPagedPoolUsage;
    ULONG HighWaterNonPagedPoolUsage;
    ULONG HighWaterNamePoolUsage;
    ULONG HighWaterHandleTableUsage;
    ULONG InvalidAttributes;
    GENERIC_MAPPING GenericMapping;
    ULONG ValidAccessMask;
    BOOLEAN SecurityRequired;
    BOOLEAN MaintainHandleCount;
    UCHAR TypeIndex;
    CHAR ReservedByte;
    ULONG PoolType;
    ULONG DefaultPagedPoolCharge;
    ULONG DefaultNonPagedPoolCharge;
} OBJECT_TYPE_INFORMATION;

// NtQueryDirectoryObject fills an array of these, ended by an all-zero
// entry, with the strings after it.
typedef struct _OBJECT_DIRECTORY_INFORMATION {
    UNICODE_STRING Name;
    UNICODE_STRING TypeName;
} OBJECT_DIRECTORY_INFORMATION;

NTSTATUS NTAPI NtClose(HANDLE handle);
NTSTATUS NTAPI NtDuplicateObject(HANDLE sourceProcessHandle, HANDLE sourceHandle,
                                 HANDLE targetProcessHandle, HANDLE *targetHandle,
                                 ACCESS_MASK desiredAccess, ULONG handleAttributes, ULONG options);
NTSTATUS NTAPI NtQueryObject(HANDLE handle, OBJECT_INFORMATION_CLASS objectInformationClass,
                             void *objectInformation, ULONG objectInformationLength,
                             ULONG *returnLength);
NTSTATUS NTAPI NtMakeTemporaryObject(HANDLE handle);
NTSTATUS NTAPI NtCreateDirectoryObject(HANDLE *directoryHandle, ACCESS_MASK desiredAccess,
                                       OBJECT_ATTRIBUTES *objectAttributes);
NTSTATUS NTAPI NtOpenDirectoryObject(HANDLE *directoryHandle, ACCESS_MASK desiredAccess,
                                     OBJECT_ATTRIBUTES *objectAttributes);
NTSTATUS NTAPI NtQueryDirectoryObject(HANDLE directoryHandle, void *buffer, ULONG length,
                                      BOOLEAN returnSingleEntry, BOOLEAN restartScan,
                                      ULONG *context, ULONG *returnLength);
NTSTATUS NTAPI NtCreateSymbolicLinkObject(HANDLE *linkHandle, ACCESS_MASK desiredAccess,
                                          OBJECT_ATTRIBUTES *objectAttributes,
                                          UNICODE_STRING *linkTarget);
NTSTATUS NTAPI NtOpenSymbolicLinkObject(HANDLE *linkHandle, ACCESS_MASK desiredAccess,
                                        OBJECT_ATTRIBUTES *objectAttributes);
NTSTATUS NTAPI NtQuerySymbolicLinkObject(HANDLE linkHandle, UNICODE_STRING *linkTarget,
                                         ULONG *returnedLength);
NTSTATUS NTAPI NtWaitForSingleObject(HANDLE handle, BOOLEAN alertable, LARGE_INTEGER *timeout);
NTSTATUS NTAPI NtWaitForMultipleObjects(ULONG count, HANDLE handles[], WAIT_TYPE waitType,
                                        BOOLEAN alertable, LARGE_INTEGER *timeout);
NTSTATUS NTAPI NtSignalAndWaitForSingleObject(HANDLE signalHandle, HANDLE waitHandle,
                                              BOOLEAN alertable, LARGE_INTEGER *timeout);
