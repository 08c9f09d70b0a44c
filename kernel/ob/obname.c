// Names: walking a path through the directories, naming an object as it is
// inserted, opening an object by name, and taking the name away when the
// last handle to a temporary object closes.

#include "ob/ob.h"
#include "ps/ps.h"
#include "mm/mm.h"
#include "se/se.h"

#define OBJ_NAME_PATH_SEPARATOR ((WCHAR)'\\')

// As NT's kernel has since Windows XP (ObCaseInsensitive), every lookup
// ignores case whether or not the caller asked with OBJ_CASE_INSENSITIVE.
BOOLEAN ObpCaseInsensitive = TRUE;

static BOOLEAN ObpIsCaseInsensitive(ULONG attributes)
{
    return ObpCaseInsensitive || (attributes & OBJ_CASE_INSENSITIVE);
}

// Splits the first component off `remaining`; *more says whether a
// separator followed it.
static void ObpNextComponent(UNICODE_STRING *remaining, UNICODE_STRING *component,
                             BOOLEAN *more)
{
    USHORT count = remaining->Length / sizeof(WCHAR);
    USHORT i = 0;

    while (i < count && remaining->Buffer[i] != OBJ_NAME_PATH_SEPARATOR)
        i++;
    component->Buffer = remaining->Buffer;
    component->Length = component->MaximumLength = i * sizeof(WCHAR);
    *more = i < count;
    if (*more)
        i++;
    remaining->Buffer += i;
    remaining->Length -= i * sizeof(WCHAR);
    remaining->MaximumLength = remaining->Length;
}

static NTSTATUS ObpWalkPath(OBJECT_DIRECTORY *directory, UNICODE_STRING remaining,
                            BOOLEAN caseInsensitive, BOOLEAN followLast, ULONG depth,
                            OBJECT_DIRECTORY **parent, UNICODE_STRING *component, void **found);

// The object a symbolic link names: its target looked up from the root,
// links in it followed in turn. *found is NULL when the target's last
// component is missing. Caller holds ObpNameSpaceLock.
static NTSTATUS ObpResolveSymbolicLink(OBJECT_SYMBOLIC_LINK *link, BOOLEAN caseInsensitive,
                                       ULONG depth, void **found)
{
    UNICODE_STRING target = link->LinkTarget;
    OBJECT_DIRECTORY *parent;
    UNICODE_STRING component;

    if (depth > OBP_MAX_REPARSE_DEPTH)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    if (target.Length == 0 || target.Buffer[0] != OBJ_NAME_PATH_SEPARATOR)
        return STATUS_OBJECT_PATH_SYNTAX_BAD;
    target.Buffer++;
    target.Length -= sizeof(WCHAR);
    if (target.Length == 0) {
        *found = ObpRootDirectoryObject;
        return STATUS_SUCCESS;
    }
    return ObpWalkPath(ObpRootDirectoryObject, target, caseInsensitive, TRUE, depth, &parent,
                       &component, found);
}

// Follows `remaining` from `directory`: *parent receives the directory that
// holds (or would hold) the last component, *component that component and
// *found the object under it, or NULL. A symbolic link on the way is
// followed; one as the last component only when followLast says so (a
// lookup that wants the link itself, or a name being created, does not).
// Caller holds ObpNameSpaceLock.
static NTSTATUS ObpWalkPath(OBJECT_DIRECTORY *directory, UNICODE_STRING remaining,
                            BOOLEAN caseInsensitive, BOOLEAN followLast, ULONG depth,
                            OBJECT_DIRECTORY **parent, UNICODE_STRING *component, void **found)
{
    for (;;) {
        BOOLEAN more;
        void *object;

        ObpNextComponent(&remaining, component, &more);
        if (component->Length == 0)
            return STATUS_OBJECT_NAME_INVALID;
        object = ObpLookupDirectoryEntry(directory, component, caseInsensitive);
        if (object && ObGetObjectType(object) == ObpSymbolicLinkObjectType &&
            (more || followLast)) {
            NTSTATUS status = ObpResolveSymbolicLink(object, caseInsensitive, depth + 1, &object);

            if (!NT_SUCCESS(status))
                return status;
        }
        if (!more) {
            *parent = directory;
            *found = object;
            return STATUS_SUCCESS;
        }
        if (!object || ObGetObjectType(object) != ObpDirectoryObjectType)
            return STATUS_OBJECT_PATH_NOT_FOUND;
        directory = object;
    }
}

// Where a lookup starts: the root for an absolute name, the directory behind
// RootDirectory for a relative one. Returns the start referenced and the
// rest of the name after it.
static NTSTATUS ObpStartOfName(const OBJECT_ATTRIBUTES *objectAttributes,
                               OBJECT_DIRECTORY **start, UNICODE_STRING *remaining)
{
    const UNICODE_STRING *name = objectAttributes ? objectAttributes->ObjectName : NULL;
    BOOLEAN absolute;

    if (!name || (name->Length % sizeof(WCHAR)) || (name->Length && !name->Buffer))
        return STATUS_OBJECT_NAME_INVALID;
    *remaining = *name;
    absolute = name->Length && name->Buffer[0] == OBJ_NAME_PATH_SEPARATOR;
    if (objectAttributes->RootDirectory) {
        if (absolute)
            return STATUS_OBJECT_PATH_SYNTAX_BAD;
        return ObReferenceObjectByHandle(objectAttributes->RootDirectory, DIRECTORY_TRAVERSE,
                                         ObpDirectoryObjectType, (void **)start, NULL);
    }
    if (!absolute)
        return STATUS_OBJECT_PATH_SYNTAX_BAD;
    remaining->Buffer++;
    remaining->Length -= sizeof(WCHAR);
    remaining->MaximumLength = remaining->Length;
    ObReferenceObject(ObpRootDirectoryObject);
    *start = ObpRootDirectoryObject;
    return STATUS_SUCCESS;
}

NTSTATUS ObReferenceObjectByName(const OBJECT_ATTRIBUTES *objectAttributes,
                                 OBJECT_TYPE *objectType, void **object)
{
    OBJECT_DIRECTORY *start, *parent;
    UNICODE_STRING remaining, component;
    void *found = NULL;
    KIRQL oldIrql;
    NTSTATUS status = ObpStartOfName(objectAttributes, &start, &remaining);

    if (!NT_SUCCESS(status))
        return status;
    KeAcquireSpinLock(&ObpNameSpaceLock, &oldIrql);
    if (remaining.Length == 0) {
        found = start;      // "\" itself, or RootDirectory with an empty name
    } else {
        // The last component is followed when it is a link, unless the
        // caller wants the link itself: OBJ_OPENLINK, or a lookup of links.
        BOOLEAN followLast = !(objectAttributes->Attributes & OBJ_OPENLINK) &&
                             objectType != ObpSymbolicLinkObjectType;

        status = ObpWalkPath(start, remaining, ObpIsCaseInsensitive(objectAttributes->Attributes),
                             followLast, 0, &parent, &component, &found);
        if (NT_SUCCESS(status) && !found)
            status = STATUS_OBJECT_NAME_NOT_FOUND;
    }
    if (NT_SUCCESS(status))
        status = ObReferenceObjectByPointer(found, objectType);
    KeReleaseSpinLock(&ObpNameSpaceLock, oldIrql);
    ObDereferenceObject(start);
    if (NT_SUCCESS(status))
        *object = found;
    return status;
}

// The access a handle to an existing object grants: checked against the
// object's descriptor for a user-mode caller, or a kernel caller asking
// for it (OBJ_FORCE_ACCESS_CHECK); a kernel caller otherwise gets what it
// asks, as NT's.
static NTSTATUS ObpAccessToExistingObject(void *object, ULONG attributes,
                                          ACCESS_MASK desiredAccess, BOOLEAN userCaller,
                                          ACCESS_MASK *grantedAccess)
{
    if (userCaller || (attributes & OBJ_FORCE_ACCESS_CHECK))
        return ObpCheckObjectAccess(object, desiredAccess, grantedAccess);
    *grantedAccess = ObMapDesiredAccess(ObGetObjectType(object), desiredAccess);
    return STATUS_SUCCESS;
}

NTSTATUS ObpOpenObjectByName(const OBJECT_ATTRIBUTES *objectAttributes, OBJECT_TYPE *objectType,
                             ACCESS_MASK desiredAccess, BOOLEAN userCaller, HANDLE *handle)
{
    ACCESS_MASK granted;
    void *object;
    NTSTATUS status = ObReferenceObjectByName(objectAttributes, objectType, &object);

    if (!NT_SUCCESS(status))
        return status;
    status = ObpAccessToExistingObject(object, objectAttributes->Attributes, desiredAccess,
                                       userCaller, &granted);
    if (NT_SUCCESS(status))
        status = ObpCreateHandle(PsGetCurrentProcess(), object, granted, handle);
    if (!NT_SUCCESS(status))
        ObDereferenceObject(object);
    return status;
}

NTSTATUS ObOpenObjectByName(const OBJECT_ATTRIBUTES *objectAttributes, OBJECT_TYPE *objectType,
                            ACCESS_MASK desiredAccess, HANDLE *handle)
{
    return ObpOpenObjectByName(objectAttributes, objectType, desiredAccess, FALSE, handle);
}

// Names `object` as relativeName under `start`. On success the directory
// holds a reference on the object and the name one on the directory. With
// OBJ_OPENIF an object of the same type already there is returned
// referenced in *existing, with STATUS_OBJECT_NAME_EXISTS.
NTSTATUS ObpInsertNameAt(OBJECT_DIRECTORY *start, const UNICODE_STRING *relativeName,
                         ULONG attributes, void *object, void **existing)
{
    OBJECT_HEADER *header = OBJECT_TO_OBJECT_HEADER(object);
    OBJECT_HEADER_NAME_INFO *nameInfo;
    OBJECT_DIRECTORY_ENTRY *entry;
    OBJECT_DIRECTORY *parent;
    UNICODE_STRING component;
    void *found = NULL;
    KIRQL oldIrql;
    NTSTATUS status;

    if (header->NameInfo)
        return STATUS_INVALID_PARAMETER;
    if (relativeName->Length == 0)
        return STATUS_OBJECT_NAME_INVALID;
    // Both allocations happen before the lock; the name is sized for the
    // whole path, since the last component is only known after the walk.
    nameInfo = ExAllocatePoolWithTag(NonPagedPool, sizeof(*nameInfo) + relativeName->Length,
                                     OBP_NAME_TAG);
    entry = ExAllocatePoolWithTag(NonPagedPool, sizeof(*entry), OBP_DIRECTORY_ENTRY_TAG);
    if (!nameInfo || !entry) {
        status = STATUS_INSUFFICIENT_RESOURCES;
        goto out;
    }
    KeAcquireSpinLock(&ObpNameSpaceLock, &oldIrql);
    status = ObpWalkPath(start, *relativeName, ObpIsCaseInsensitive(attributes), FALSE, 0,
                         &parent, &component, &found);
    if (NT_SUCCESS(status) && found) {
        if (!(attributes & OBJ_OPENIF) || !existing) {
            status = STATUS_OBJECT_NAME_COLLISION;
        } else if (ObGetObjectType(found) != header->Type) {
            status = STATUS_OBJECT_TYPE_MISMATCH;
        } else {
            ObReferenceObject(found);
            *existing = found;
            status = STATUS_OBJECT_NAME_EXISTS;
        }
    } else if (NT_SUCCESS(status)) {
        nameInfo->Name.Buffer = (WCHAR *)(nameInfo + 1);
        nameInfo->Name.Length = nameInfo->Name.MaximumLength = component.Length;
        memcpy(nameInfo->Name.Buffer, component.Buffer, component.Length);
        nameInfo->Directory = parent;
        header->NameInfo = nameInfo;
        if (attributes & OBJ_PERMANENT)
            header->Flags |= OB_FLAG_PERMANENT_OBJECT;
        ObpInsertDirectoryEntry(parent, entry, object, RtlHashUnicodeStringInsensitive(&component));
        ObReferenceObject(parent);
        ObReferenceObject(object);
        nameInfo = NULL;
        entry = NULL;
    }
    KeReleaseSpinLock(&ObpNameSpaceLock, oldIrql);
out:
    if (nameInfo)
        ExFreePoolWithTag(nameInfo, OBP_NAME_TAG);
    if (entry)
        ExFreePoolWithTag(entry, OBP_DIRECTORY_ENTRY_TAG);
    return status;
}

NTSTATUS ObpInsertObject(void *object, const OBJECT_ATTRIBUTES *objectAttributes,
                         ACCESS_MASK desiredAccess, BOOLEAN userCaller, void **newObject,
                         HANDLE *handle)
{
    OBJECT_HEADER *header = OBJECT_TO_OBJECT_HEADER(object);
    BOOLEAN named = objectAttributes && objectAttributes->ObjectName;
    NTSTATUS nameStatus = STATUS_SUCCESS;
    ACCESS_MASK granted;
    NTSTATUS status;

    if (!handle) {
        ObDereferenceObject(object);
        return STATUS_INVALID_PARAMETER;
    }
    // A permanent object outlives every handle: from user mode only a
    // caller holding SeCreatePermanentPrivilege may make one (NT's rule;
    // the kernel's own callers are trusted).
    if (userCaller && objectAttributes && (objectAttributes->Attributes & OBJ_PERMANENT) &&
        !SeSinglePrivilegeCheck(SE_CREATE_PERMANENT_PRIVILEGE)) {
        ObDereferenceObject(object);
        return STATUS_PRIVILEGE_NOT_HELD;
    }
    // A new object gets its descriptor before its name, so no lookup ever
    // finds it unprotected; whether it will be named is said, since the
    // name is not in the header yet.
    if (header->Flags & OB_FLAG_NEW_OBJECT) {
        __atomic_and_fetch(&header->Flags, ~OB_FLAG_NEW_OBJECT, __ATOMIC_RELAXED);
        status = ObpAssignSecurity(object, objectAttributes ? objectAttributes->SecurityDescriptor
                                                            : NULL,
                                   named);
        if (!NT_SUCCESS(status)) {
            ObDereferenceObject(object);
            return status;
        }
    }
    granted = ObMapDesiredAccess(ObGetObjectType(object), desiredAccess);
    if (named) {
        OBJECT_DIRECTORY *start;
        UNICODE_STRING remaining;
        void *existing = NULL;

        nameStatus = ObpStartOfName(objectAttributes, &start, &remaining);
        if (NT_SUCCESS(nameStatus)) {
            nameStatus = ObpInsertNameAt(start, &remaining, objectAttributes->Attributes, object,
                                         &existing);
            ObDereferenceObject(start);
        }
        if (!NT_SUCCESS(nameStatus)) {
            ObDereferenceObject(object);
            return nameStatus;
        }
        if (existing) {
            // OBJ_OPENIF found one: opening it is checked as any open is.
            ObDereferenceObject(object);
            object = existing;
            status = ObpAccessToExistingObject(object, objectAttributes->Attributes,
                                               desiredAccess, userCaller, &granted);
            if (!NT_SUCCESS(status)) {
                ObDereferenceObject(object);
                return status;
            }
        }
    }
    status = ObpCreateHandle(PsGetCurrentProcess(), object, granted, handle);
    if (!NT_SUCCESS(status)) {
        // A name with no handle behind it would outlive every user: count
        // a handle and drop it, which takes a temporary name away.
        ObpIncrementHandleCount(object);
        ObpDecrementHandleCount(object);
        ObDereferenceObject(object);
        return status;
    }
    if (newObject) {
        ObReferenceObject(object);
        *newObject = object;
    }
    return nameStatus;
}

NTSTATUS ObInsertObject(void *object, const OBJECT_ATTRIBUTES *objectAttributes,
                        ACCESS_MASK desiredAccess, void **newObject, HANDLE *handle)
{
    return ObpInsertObject(object, objectAttributes, desiredAccess, FALSE, newObject, handle);
}

void ObpIncrementHandleCount(void *object)
{
    OBJECT_HEADER *header = OBJECT_TO_OBJECT_HEADER(object);
    OBJECT_TYPE *type = header->Type;
    ULONG handles;

    __atomic_add_fetch(&header->HandleCount, 1, __ATOMIC_RELAXED);
    handles = __atomic_add_fetch(&type->TotalNumberOfHandles, 1, __ATOMIC_RELAXED);
    if (handles > type->HighWaterNumberOfHandles)
        type->HighWaterNumberOfHandles = handles;
}

// The last handle to a temporary named object takes its name away, under
// the namespace lock so that no lookup finds it half gone. The directory's
// reference on the object is dropped here; the caller's handle reference
// keeps the object alive until the caller drops it.
void ObpDecrementHandleCount(void *object)
{
    OBJECT_HEADER *header = OBJECT_TO_OBJECT_HEADER(object);
    OBJECT_DIRECTORY *directory = NULL;
    OBJECT_DIRECTORY_ENTRY *entry = NULL;
    LONG_PTR handles;
    KIRQL oldIrql;

    KeAcquireSpinLock(&ObpNameSpaceLock, &oldIrql);
    handles = __atomic_sub_fetch(&header->HandleCount, 1, __ATOMIC_ACQ_REL);
    if (handles == 0 && header->NameInfo && header->NameInfo->Directory &&
        !(header->Flags & OB_FLAG_PERMANENT_OBJECT)) {
        directory = header->NameInfo->Directory;
        entry = ObpRemoveDirectoryEntry(directory, object);
        header->NameInfo->Directory = NULL;
    }
    KeReleaseSpinLock(&ObpNameSpaceLock, oldIrql);
    if (handles < 0)
        KeBugCheckEx(REFERENCE_BY_POINTER, (ULONG64)header->Type, (ULONG64)object,
                     (ULONG64)handles, 1);
    __atomic_sub_fetch(&header->Type->TotalNumberOfHandles, 1, __ATOMIC_RELAXED);
    if (directory) {
        ExFreePoolWithTag(entry, OBP_DIRECTORY_ENTRY_TAG);
        ObDereferenceObject(object);
        ObDereferenceObject(directory);
    }
}

void ObpCloseHandleCount(struct _EPROCESS *process, void *object, ACCESS_MASK grantedAccess)
{
    OBJECT_HEADER *header = OBJECT_TO_OBJECT_HEADER(object);
    OB_CLOSE_METHOD closeProcedure = header->Type->TypeInfo.CloseProcedure;

    ObpDecrementHandleCount(object);
    // The object is still referenced by the caller. Sleuth keeps no
    // per-process handle counts: the process count passed is 0.
    if (closeProcedure)
        closeProcedure(process, object, grantedAccess, 0, (ULONG_PTR)header->HandleCount);
}

void ObMakeTemporaryObject(void *object)
{
    OBJECT_HEADER *header = OBJECT_TO_OBJECT_HEADER(object);

    // Counting a handle and dropping it takes the name away when no other
    // handle is open, exactly as a last close would.
    ObpIncrementHandleCount(object);
    __atomic_and_fetch(&header->Flags, ~OB_FLAG_PERMANENT_OBJECT, __ATOMIC_RELAXED);
    ObpDecrementHandleCount(object);
}
