// NtQueryObject: an object's counts, its full name, its type. The name and
// type classes follow NT's length rules: a buffer too small for the fixed
// structure is STATUS_INFO_LENGTH_MISMATCH, one that holds the structure
// but not the string after it STATUS_BUFFER_OVERFLOW; either way
// *ReturnLength says how much is needed and nothing else is written.

#include "ob/ob.h"
#include "ps/ps.h"
#include "mm/mm.h"

#define OBP_QUERY_TAG POOL_TAG('O', 'b', 'Q', 'y')
// No answer is longer than a structure and a UNICODE_STRING's worth of
// characters, so a caller's bigger buffer is not matched in pool.
#define OBP_QUERY_LIMIT (0x100 + 0x10000)

_Static_assert(sizeof(OBJECT_BASIC_INFORMATION) == 0x38, "NT's x64 OBJECT_BASIC_INFORMATION");
_Static_assert(sizeof(OBJECT_TYPE_INFORMATION) == 0x68, "NT's x64 OBJECT_TYPE_INFORMATION");

// The object's full path ("\BaseNamedObjects\x"), written backwards from
// the end of `buffer` when it fits; returns its length in bytes (0 for an
// unnamed object, or one whose name has been taken away).
static ULONG ObpBuildFullName(void *object, WCHAR *buffer, ULONG bufferLength)
{
    ULONG length = 0;
    KIRQL oldIrql;

    KeAcquireSpinLock(&ObpNameSpaceLock, &oldIrql);
    for (void *current = object;;) {
        OBJECT_HEADER_NAME_INFO *nameInfo = OBJECT_TO_OBJECT_HEADER(current)->NameInfo;

        if (!nameInfo || !nameInfo->Directory)
            break;
        length += nameInfo->Name.Length + sizeof(WCHAR);
        if (length <= bufferLength) {
            WCHAR *at = (WCHAR *)((UCHAR *)buffer + bufferLength - length);

            at[0] = '\\';
            memcpy(at + 1, nameInfo->Name.Buffer, nameInfo->Name.Length);
        }
        current = nameInfo->Directory;
    }
    KeReleaseSpinLock(&ObpNameSpaceLock, oldIrql);
    if (length == 0 && object == ObpRootDirectoryObject) {
        length = sizeof(WCHAR);
        if (bufferLength >= length)
            buffer[bufferLength / sizeof(WCHAR) - 1] = '\\';
    }
    return length;
}

// Fills `info` (a kernel buffer of `length` bytes) for the class; returns
// the bytes needed in *needed.
static NTSTATUS ObpQueryName(void *object, UCHAR *info, ULONG length, ULONG *needed)
{
    OBJECT_NAME_INFORMATION *nameInfo = (OBJECT_NAME_INFORMATION *)info;
    ULONG nameLength = ObpBuildFullName(object, NULL, 0);

    // Named: the string and a terminating NUL follow the structure.
    *needed = sizeof(*nameInfo) + (nameLength ? nameLength + sizeof(WCHAR) : 0);
    if (length < sizeof(*nameInfo))
        return STATUS_INFO_LENGTH_MISMATCH;
    if (length < *needed)
        return STATUS_BUFFER_OVERFLOW;
    memset(nameInfo, 0, sizeof(*nameInfo));
    if (nameLength) {
        WCHAR *text = (WCHAR *)(nameInfo + 1);

        // The name may have changed in between; build into the exact room.
        if (ObpBuildFullName(object, text, nameLength) != nameLength)
            return STATUS_INFO_LENGTH_MISMATCH;
        text[nameLength / sizeof(WCHAR)] = 0;
        nameInfo->Name.Buffer = text;
        nameInfo->Name.Length = (USHORT)nameLength;
        nameInfo->Name.MaximumLength = (USHORT)(nameLength + sizeof(WCHAR));
    }
    return STATUS_SUCCESS;
}

static ULONG ObpTypeNameLength(OBJECT_TYPE *type)
{
    return (ULONG)strlen(type->Name) * sizeof(WCHAR);
}

static NTSTATUS ObpQueryType(OBJECT_TYPE *type, UCHAR *info, ULONG length, ULONG *needed)
{
    OBJECT_TYPE_INFORMATION *typeInfo = (OBJECT_TYPE_INFORMATION *)info;
    ULONG nameLength = ObpTypeNameLength(type);
    UNICODE_STRING name;

    *needed = sizeof(*typeInfo) + nameLength + sizeof(WCHAR);
    if (length < sizeof(*typeInfo))
        return STATUS_INFO_LENGTH_MISMATCH;
    if (length < *needed)
        return STATUS_BUFFER_OVERFLOW;
    memset(typeInfo, 0, sizeof(*typeInfo));
    name.Buffer = (WCHAR *)(typeInfo + 1);
    name.Length = 0;
    name.MaximumLength = (USHORT)(nameLength + sizeof(WCHAR));
    RtlAsciiToUnicodeString(&name, type->Name);
    name.Buffer[nameLength / sizeof(WCHAR)] = 0;
    typeInfo->TypeName = name;
    typeInfo->TotalNumberOfObjects = type->TotalNumberOfObjects;
    typeInfo->TotalNumberOfHandles = type->TotalNumberOfHandles;
    typeInfo->HighWaterNumberOfObjects = type->HighWaterNumberOfObjects;
    typeInfo->HighWaterNumberOfHandles = type->HighWaterNumberOfHandles;
    typeInfo->GenericMapping = type->TypeInfo.GenericMapping;
    typeInfo->ValidAccessMask = type->TypeInfo.ValidAccessMask;
    typeInfo->MaintainHandleCount = type->TypeInfo.CloseProcedure != NULL;
    typeInfo->PoolType = NonPagedPool;
    return STATUS_SUCCESS;
}

static void ObpQueryBasic(void *object, ACCESS_MASK grantedAccess, UCHAR *info)
{
    OBJECT_BASIC_INFORMATION *basic = (OBJECT_BASIC_INFORMATION *)info;
    OBJECT_HEADER *header = OBJECT_TO_OBJECT_HEADER(object);
    ULONG nameLength = ObpBuildFullName(object, NULL, 0);

    memset(basic, 0, sizeof(*basic));
    basic->Attributes = (header->Flags & OB_FLAG_PERMANENT_OBJECT) ? OBJ_PERMANENT : 0;
    basic->GrantedAccess = grantedAccess;
    basic->HandleCount = (ULONG)header->HandleCount;
    // The query's own reference is not the caller's.
    basic->PointerCount = (ULONG)header->PointerCount - 1;
    // What its creator's pool quota was charged for it (ObCreateObject).
    basic->PagedPoolCharge = header->PagedPoolCharge;
    basic->NonPagedPoolCharge = header->NonPagedPoolCharge;
    basic->NameInfoSize = nameLength ? sizeof(OBJECT_NAME_INFORMATION) + nameLength +
                                           sizeof(WCHAR) : 0;
    basic->TypeInfoSize = sizeof(OBJECT_TYPE_INFORMATION) + ObpTypeNameLength(header->Type) +
                          sizeof(WCHAR);
    // As NT's: the descriptor's size only to a handle that may read it.
    if (grantedAccess & READ_CONTROL)
        basic->SecurityDescriptorSize = ObpSecurityDescriptorLength(object);
    if (header->Type == ObpSymbolicLinkObjectType)
        basic->CreationTime = ((OBJECT_SYMBOLIC_LINK *)object)->CreationTime;
}

// The strings point into the caller's buffer: rebase them from `kernel`.
static void ObpRebaseString(UNICODE_STRING *string, const UCHAR *kernel, UCHAR *user)
{
    if (string->Buffer)
        string->Buffer = (WCHAR *)(user + ((UCHAR *)string->Buffer - kernel));
}

NTSTATUS NtQueryObject(HANDLE handle, OBJECT_INFORMATION_CLASS objectInformationClass,
                       void *objectInformation, ULONG objectInformationLength,
                       ULONG *returnLength)
{
    ACCESS_MASK granted;
    void *object;
    UCHAR *info = NULL;
    ULONG needed = 0;
    ULONG room = objectInformationLength < OBP_QUERY_LIMIT ? objectInformationLength
                                                           : OBP_QUERY_LIMIT;
    NTSTATUS status;

    if (objectInformationClass > ObjectTypeInformation)
        return STATUS_INVALID_INFO_CLASS;
    status = ProbeForWrite(objectInformation, objectInformationLength, sizeof(ULONG));
    if (NT_SUCCESS(status) && returnLength)
        status = ProbeForWrite(returnLength, sizeof(ULONG), sizeof(ULONG));
    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(handle, 0, NULL, &object, &granted);
    if (!NT_SUCCESS(status))
        return status;
    if (room) {
        info = ExAllocatePoolWithTag(NonPagedPool, room, OBP_QUERY_TAG);
        if (!info) {
            ObDereferenceObject(object);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
    }
    switch (objectInformationClass) {
    case ObjectBasicInformation:
        needed = sizeof(OBJECT_BASIC_INFORMATION);
        if (objectInformationLength != needed)
            status = STATUS_INFO_LENGTH_MISMATCH;
        else
            ObpQueryBasic(object, granted, info);
        break;
    case ObjectNameInformation:
        status = ObpQueryName(object, info, room, &needed);
        if (NT_SUCCESS(status))
            ObpRebaseString(&((OBJECT_NAME_INFORMATION *)info)->Name, info, objectInformation);
        break;
    case ObjectTypeInformation:
        status = ObpQueryType(ObGetObjectType(object), info, room, &needed);
        if (NT_SUCCESS(status))
            ObpRebaseString(&((OBJECT_TYPE_INFORMATION *)info)->TypeName, info,
                            objectInformation);
        break;
    }
    ObDereferenceObject(object);
    if (NT_SUCCESS(status))
        status = MmCopyToUser(objectInformation, info, needed);
    if (info)
        ExFreePoolWithTag(info, OBP_QUERY_TAG);
    // The size needed is reported on success and on every length error.
    if (returnLength && (NT_SUCCESS(status) || status == STATUS_INFO_LENGTH_MISMATCH ||
                         status == STATUS_BUFFER_OVERFLOW)) {
        NTSTATUS copyStatus = MmCopyToUser(returnLength, &needed, sizeof(needed));

        if (!NT_SUCCESS(copyStatus))
            status = copyStatus;
    }
    return status;
}
