// Directory objects: a small hash table of named entries. The hash folds
// case, so one bucket serves both case-sensitive and case-insensitive
// lookups. One lock, ObpNameSpaceLock, guards every directory and every
// object's name: the namespace is small and lookups are short.

#include "ob/ob.h"
#include "mm/mm.h"

KSPIN_LOCK ObpNameSpaceLock;

static const UNICODE_STRING *ObpObjectName(void *object)
{
    return &OBJECT_TO_OBJECT_HEADER(object)->NameInfo->Name;
}

// Caller holds ObpNameSpaceLock.
void *ObpLookupDirectoryEntry(OBJECT_DIRECTORY *directory, const UNICODE_STRING *name,
                              BOOLEAN caseInsensitive)
{
    ULONG hashValue = RtlHashUnicodeStringInsensitive(name);
    OBJECT_DIRECTORY_ENTRY *entry = directory->HashBuckets[hashValue % NUMBER_HASH_BUCKETS];

    for (; entry; entry = entry->ChainLink) {
        if (entry->HashValue == hashValue &&
            RtlEqualUnicodeString(ObpObjectName(entry->Object), name, caseInsensitive))
            return entry->Object;
    }
    return NULL;
}

// Caller holds ObpNameSpaceLock; the entry was allocated before taking it.
void ObpInsertDirectoryEntry(OBJECT_DIRECTORY *directory, OBJECT_DIRECTORY_ENTRY *entry,
                             void *object, ULONG hashValue)
{
    OBJECT_DIRECTORY_ENTRY **bucket = &directory->HashBuckets[hashValue % NUMBER_HASH_BUCKETS];

    entry->Object = object;
    entry->HashValue = hashValue;
    entry->ChainLink = *bucket;
    *bucket = entry;
}

// Unlinks `object`'s entry and returns it for the caller to free once the
// lock is dropped. Caller holds ObpNameSpaceLock.
OBJECT_DIRECTORY_ENTRY *ObpRemoveDirectoryEntry(OBJECT_DIRECTORY *directory, void *object)
{
    ULONG hashValue = RtlHashUnicodeStringInsensitive(ObpObjectName(object));
    OBJECT_DIRECTORY_ENTRY **link = &directory->HashBuckets[hashValue % NUMBER_HASH_BUCKETS];

    for (; *link; link = &(*link)->ChainLink) {
        if ((*link)->Object == object) {
            OBJECT_DIRECTORY_ENTRY *entry = *link;

            *link = entry->ChainLink;
            return entry;
        }
    }
    KeBugCheckEx(REFERENCE_BY_POINTER, (ULONG64)directory, (ULONG64)object, 0, 0);
}

// Every entry holds a reference on its object, whose name holds one on the
// directory: a directory can only die empty.
void ObpDeleteDirectory(void *object)
{
    OBJECT_DIRECTORY *directory = object;

    for (ULONG i = 0; i < NUMBER_HASH_BUCKETS; i++) {
        if (directory->HashBuckets[i])
            KeBugCheckEx(REFERENCE_BY_POINTER, (ULONG64)ObpDirectoryObjectType,
                         (ULONG64)object, i, 0);
    }
}

// A permanent directory for the boot-time namespace; the parent's entry
// keeps it alive. Returns it unreferenced. parent NULL makes the root.
NTSTATUS ObpCreateDirectory(OBJECT_DIRECTORY *parent, const char *name,
                            OBJECT_DIRECTORY **result)
{
    WCHAR buffer[32];
    UNICODE_STRING component = {0, sizeof(buffer), buffer};
    OBJECT_DIRECTORY *directory;
    NTSTATUS status = ObCreateObject(ObpDirectoryObjectType, sizeof(OBJECT_DIRECTORY),
                                     (void **)&directory);

    if (!NT_SUCCESS(status))
        return status;
    if (parent) {
        RtlAsciiToUnicodeString(&component, name);
        status = ObpInsertNameAt(parent, &component, OBJ_PERMANENT, directory, NULL);
        ObDereferenceObject(directory);
        if (!NT_SUCCESS(status))
            return status;
    }
    *result = directory;
    return STATUS_SUCCESS;
}

NTSTATUS ObCreateDirectoryObject(HANDLE *directoryHandle, ACCESS_MASK desiredAccess,
                                 const OBJECT_ATTRIBUTES *objectAttributes)
{
    void *directory;
    NTSTATUS status = ObCreateObject(ObpDirectoryObjectType, sizeof(OBJECT_DIRECTORY),
                                     &directory);

    if (!NT_SUCCESS(status))
        return status;
    return ObInsertObject(directory, objectAttributes, desiredAccess, NULL, directoryHandle);
}
