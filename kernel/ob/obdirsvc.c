// The directory services: NtCreateDirectoryObject, NtOpenDirectoryObject
// and NtQueryDirectoryObject, which lists a directory a few entries at a
// time in NT's format: an array of OBJECT_DIRECTORY_INFORMATION ended by an
// all-zero entry, then the strings the entries point at, each NUL-ended.

#include "ob/ob.h"
#include "ps/ps.h"
#include "mm/mm.h"

#define OBP_QUERY_DIRECTORY_TAG POOL_TAG('O', 'b', 'Q', 'd')
// The most one call returns at once; a bigger buffer just gets
// STATUS_MORE_ENTRIES sooner than it would on NT.
#define OBP_QUERY_DIRECTORY_LIMIT 0x10000

NTSTATUS NtCreateDirectoryObject(HANDLE *directoryHandle, ACCESS_MASK desiredAccess,
                                 OBJECT_ATTRIBUTES *objectAttributes)
{
    OB_CAPTURED_ATTRIBUTES captured;
    void *directory;
    NTSTATUS status = ObProbeHandleOut(directoryHandle);

    if (!NT_SUCCESS(status))
        return status;
    status = ObCaptureObjectAttributes(objectAttributes, &captured);
    if (NT_SUCCESS(status))
        status = ObCreateObject(ObpDirectoryObjectType, sizeof(OBJECT_DIRECTORY), &directory);
    if (NT_SUCCESS(status))
        status = ObInsertObjectForUser(directory, &captured, desiredAccess, directoryHandle);
    ObReleaseObjectAttributes(&captured);
    return status;
}

NTSTATUS NtOpenDirectoryObject(HANDLE *directoryHandle, ACCESS_MASK desiredAccess,
                               OBJECT_ATTRIBUTES *objectAttributes)
{
    return ObOpenObjectForUser(directoryHandle, ObpDirectoryObjectType, desiredAccess,
                               objectAttributes);
}

// Bytes an entry's two strings take, each with its NUL.
static ULONG ObpEntryStringBytes(void *object)
{
    OBJECT_HEADER *header = OBJECT_TO_OBJECT_HEADER(object);

    return header->NameInfo->Name.Length + sizeof(WCHAR) +
           ((ULONG)strlen(header->Type->Name) + 1) * sizeof(WCHAR);
}

// Calls `visit` for each entry from index `first` on, in bucket order, until
// it returns FALSE; returns how many entries were visited and accepted.
// Caller holds ObpNameSpaceLock.
typedef BOOLEAN (*OBP_ENTRY_VISITOR)(void *object, void *context);

static ULONG ObpEnumerateDirectory(OBJECT_DIRECTORY *directory, ULONG first,
                                   OBP_ENTRY_VISITOR visit, void *context)
{
    ULONG index = 0, accepted = 0;

    for (ULONG bucket = 0; bucket < NUMBER_HASH_BUCKETS; bucket++) {
        for (OBJECT_DIRECTORY_ENTRY *entry = directory->HashBuckets[bucket]; entry;
             entry = entry->ChainLink, index++) {
            if (index < first)
                continue;
            if (!visit(entry->Object, context))
                return accepted;
            accepted++;
        }
    }
    return accepted;
}

typedef struct _OBP_DIRECTORY_QUERY {
    ULONG Room;             // bytes the caller's buffer holds (capped)
    ULONG Limit;            // entries wanted: 1 for ReturnSingleEntry
    ULONG Count;            // entries that fit
    ULONG Needed;           // bytes for those entries, the terminator and the strings
    ULONG FirstNeeded;      // bytes the first entry alone would need
    BOOLEAN More;           // entries were left out
    // Filling: the kernel copy and where the strings go.
    UCHAR *Buffer;
    UCHAR *UserBuffer;
    ULONG Filled;
    ULONG StringOffset;
} OBP_DIRECTORY_QUERY;

static BOOLEAN ObpMeasureEntry(void *object, void *context)
{
    OBP_DIRECTORY_QUERY *query = context;
    ULONG needed = query->Needed + sizeof(OBJECT_DIRECTORY_INFORMATION) +
                   ObpEntryStringBytes(object);

    if (query->Count == 0)
        query->FirstNeeded = needed;
    if (query->Count == query->Limit || needed > query->Room) {
        query->More = TRUE;
        return FALSE;
    }
    query->Needed = needed;
    query->Count++;
    return TRUE;
}

// Copies a string into the strings area and points `string` at its place
// in the caller's buffer.
static void ObpPlaceString(OBP_DIRECTORY_QUERY *query, UNICODE_STRING *string,
                           const WCHAR *text, USHORT length)
{
    WCHAR *at = (WCHAR *)(query->Buffer + query->StringOffset);

    memcpy(at, text, length);
    at[length / sizeof(WCHAR)] = 0;
    string->Length = length;
    string->MaximumLength = length + sizeof(WCHAR);
    string->Buffer = (WCHAR *)(query->UserBuffer + query->StringOffset);
    query->StringOffset += length + sizeof(WCHAR);
}

static BOOLEAN ObpFillEntry(void *object, void *context)
{
    OBP_DIRECTORY_QUERY *query = context;
    OBJECT_DIRECTORY_INFORMATION *info = (OBJECT_DIRECTORY_INFORMATION *)query->Buffer +
                                         query->Filled;
    OBJECT_HEADER *header = OBJECT_TO_OBJECT_HEADER(object);
    const char *typeName = header->Type->Name;
    WCHAR wide[64];
    USHORT typeLength = 0;

    if (query->Filled == query->Count)
        return FALSE;
    for (; typeName[typeLength] && typeLength < ARRAYSIZE(wide); typeLength++)
        wide[typeLength] = (UCHAR)typeName[typeLength];
    ObpPlaceString(query, &info->Name, header->NameInfo->Name.Buffer,
                   header->NameInfo->Name.Length);
    ObpPlaceString(query, &info->TypeName, wide, typeLength * sizeof(WCHAR));
    query->Filled++;
    return TRUE;
}

// NT's rules: entries are numbered in enumeration order and *Context is
// where the next call starts (0 with RestartScan). No entry left is
// STATUS_NO_MORE_ENTRIES; some left out STATUS_MORE_ENTRIES; not even the
// first fits STATUS_BUFFER_TOO_SMALL with *ReturnLength what it needs.
NTSTATUS NtQueryDirectoryObject(HANDLE directoryHandle, void *buffer, ULONG length,
                                BOOLEAN returnSingleEntry, BOOLEAN restartScan, ULONG *context,
                                ULONG *returnLength)
{
    OBP_DIRECTORY_QUERY query = {0};
    OBJECT_DIRECTORY *directory;
    ULONG start = 0;
    KIRQL oldIrql;
    NTSTATUS status = ProbeForWrite(context, sizeof(ULONG), sizeof(ULONG));

    if (NT_SUCCESS(status))
        status = ProbeForWrite(buffer, length, sizeof(ULONG));
    if (NT_SUCCESS(status) && returnLength)
        status = ProbeForWrite(returnLength, sizeof(ULONG), sizeof(ULONG));
    if (NT_SUCCESS(status) && !restartScan)
        status = MmCopyFromUser(&start, context, sizeof(start));
    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(directoryHandle, DIRECTORY_QUERY, ObpDirectoryObjectType,
                                       (void **)&directory, NULL);
    if (!NT_SUCCESS(status))
        return status;
    query.Room = length < OBP_QUERY_DIRECTORY_LIMIT ? length : OBP_QUERY_DIRECTORY_LIMIT;
    query.Limit = returnSingleEntry ? 1 : 0xFFFFFFFF;
    query.Needed = sizeof(OBJECT_DIRECTORY_INFORMATION);       // the terminator
    query.Buffer = query.Room ? ExAllocatePoolWithTag(NonPagedPool, query.Room,
                                                      OBP_QUERY_DIRECTORY_TAG)
                              : NULL;
    if (query.Room && !query.Buffer) {
        ObDereferenceObject(directory);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    KeAcquireSpinLock(&ObpNameSpaceLock, &oldIrql);
    ObpEnumerateDirectory(directory, start, ObpMeasureEntry, &query);
    if (query.Count) {
        memset(query.Buffer, 0, (query.Count + 1) * sizeof(OBJECT_DIRECTORY_INFORMATION));
        query.UserBuffer = buffer;
        query.StringOffset = (query.Count + 1) * sizeof(OBJECT_DIRECTORY_INFORMATION);
        ObpEnumerateDirectory(directory, start, ObpFillEntry, &query);
    }
    KeReleaseSpinLock(&ObpNameSpaceLock, oldIrql);
    ObDereferenceObject(directory);

    if (query.Count == 0 && !query.More) {
        status = STATUS_NO_MORE_ENTRIES;
    } else if (query.Count == 0) {
        status = STATUS_BUFFER_TOO_SMALL;
        query.Needed = query.FirstNeeded;
    } else {
        NTSTATUS copyStatus = MmCopyToUser(buffer, query.Buffer, query.Needed);

        start += query.Count;
        if (NT_SUCCESS(copyStatus))
            copyStatus = MmCopyToUser(context, &start, sizeof(start));
        if (!NT_SUCCESS(copyStatus))
            status = copyStatus;
        else
            status = query.More && !returnSingleEntry ? STATUS_MORE_ENTRIES : STATUS_SUCCESS;
    }
    if (query.Buffer)
        ExFreePoolWithTag(query.Buffer, OBP_QUERY_DIRECTORY_TAG);
    if (returnLength && status != STATUS_NO_MORE_ENTRIES && status != STATUS_ACCESS_VIOLATION) {
        NTSTATUS copyStatus = MmCopyToUser(returnLength, &query.Needed, sizeof(ULONG));

        if (!NT_SUCCESS(copyStatus))
            status = copyStatus;
    }
    return status;
}
