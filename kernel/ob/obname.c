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

// Where a walk ended. Tail holds what is left of the name once the walk
// met an object with a parse procedure (a device) and went no further: the
// rest of the name asked for, after the rests of the link targets that led
// there, in order. The strings point into the caller's name and into link
// objects, so they are good only while ObpNameSpaceLock is held.
typedef struct _OBP_WALK {
    OBJECT_DIRECTORY *Parent;       // the directory holding the last component
    UNICODE_STRING Component;       // that component
    void *Found;                    // the object named, or NULL
    ULONG TailCount;
    UNICODE_STRING Tail[OBP_MAX_REPARSE_DEPTH + 2];
} OBP_WALK;

static NTSTATUS ObpWalkPath(OBJECT_DIRECTORY *directory, UNICODE_STRING remaining,
                            BOOLEAN caseInsensitive, BOOLEAN followLast, ULONG depth,
                            OBP_WALK *walk);

static BOOLEAN ObpHasParseProcedure(void *object)
{
    return object && ObGetObjectType(object)->TypeInfo.ParseProcedure != NULL;
}

// The object a symbolic link names: its target looked up from the root,
// links in it followed in turn. walk->Found is NULL when the target's last
// component is missing. Caller holds ObpNameSpaceLock.
static NTSTATUS ObpResolveSymbolicLink(OBJECT_SYMBOLIC_LINK *link, BOOLEAN caseInsensitive,
                                       ULONG depth, OBP_WALK *walk)
{
    UNICODE_STRING target = link->LinkTarget;

    if (depth > OBP_MAX_REPARSE_DEPTH)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    if (target.Length == 0 || target.Buffer[0] != OBJ_NAME_PATH_SEPARATOR)
        return STATUS_OBJECT_PATH_SYNTAX_BAD;
    target.Buffer++;
    target.Length -= sizeof(WCHAR);
    if (target.Length == 0) {
        walk->Found = ObpRootDirectoryObject;
        return STATUS_SUCCESS;
    }
    return ObpWalkPath(ObpRootDirectoryObject, target, caseInsensitive, TRUE, depth, walk);
}

// Follows `remaining` from `directory` and says in *walk where it ended. A
// symbolic link on the way is followed; one as the last component only
// when followLast says so (a lookup that wants the link itself, or a name
// being created, does not). The walk stops at an object with a parse
// procedure that has name left after it. Caller holds ObpNameSpaceLock.
static NTSTATUS ObpWalkPath(OBJECT_DIRECTORY *directory, UNICODE_STRING remaining,
                            BOOLEAN caseInsensitive, BOOLEAN followLast, ULONG depth,
                            OBP_WALK *walk)
{
    for (;;) {
        UNICODE_STRING component;
        BOOLEAN more;
        void *object;

        ObpNextComponent(&remaining, &component, &more);
        if (component.Length == 0)
            return STATUS_OBJECT_NAME_INVALID;
        object = ObpLookupDirectoryEntry(directory, &component, caseInsensitive);
        if (object && ObGetObjectType(object) == ObpSymbolicLinkObjectType &&
            (more || followLast)) {
            NTSTATUS status = ObpResolveSymbolicLink(object, caseInsensitive, depth + 1, walk);

            if (!NT_SUCCESS(status))
                return status;
            object = walk->Found;
        }
        if (!more || ObpHasParseProcedure(object)) {
            walk->Parent = directory;
            walk->Component = component;
            walk->Found = object;
            if (more)
                walk->Tail[walk->TailCount++] = remaining;
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

// The name a parse procedure gets: each piece of the walk's tail after a
// separator ("\\dir" "\\file"), copied out of the namespace, since the
// link objects the pieces point into may go once the lock is dropped.
// Empty (no pool) when the walk ended at the parse object itself. Caller
// holds ObpNameSpaceLock (the pool is nonpaged).
static NTSTATUS ObpCaptureTail(const OBP_WALK *walk, UNICODE_STRING *tail)
{
    ULONG length = 0;
    WCHAR *next;

    memset(tail, 0, sizeof(*tail));
    for (ULONG i = 0; i < walk->TailCount; i++)
        length += sizeof(WCHAR) + walk->Tail[i].Length;
    if (length == 0)
        return STATUS_SUCCESS;
    if (length > 0xFFFE)
        return STATUS_OBJECT_NAME_INVALID;
    tail->Buffer = ExAllocatePoolWithTag(NonPagedPool, length, OBP_CAPTURE_TAG);
    if (!tail->Buffer)
        return STATUS_INSUFFICIENT_RESOURCES;
    tail->Length = tail->MaximumLength = (USHORT)length;
    next = tail->Buffer;
    for (ULONG i = 0; i < walk->TailCount; i++) {
        *next++ = OBJ_NAME_PATH_SEPARATOR;
        memcpy(next, walk->Tail[i].Buffer, walk->Tail[i].Length);
        next += walk->Tail[i].Length / sizeof(WCHAR);
    }
    return STATUS_SUCCESS;
}

// Hands `remaining` to parseObject's type's parse procedure (parseObject
// referenced by the caller) and checks what it made against objectType.
static NTSTATUS ObpCallParseProcedure(void *parseObject, const OBJECT_ATTRIBUTES *objectAttributes,
                                      OBJECT_TYPE *objectType, KPROCESSOR_MODE accessMode,
                                      UNICODE_STRING *remaining, void *parseContext,
                                      void **object)
{
    OB_PARSE_METHOD parse = ObGetObjectType(parseObject)->TypeInfo.ParseProcedure;
    void *result = NULL;
    NTSTATUS status = parse(parseObject, objectType, accessMode, objectAttributes->Attributes,
                            objectAttributes->ObjectName, remaining, parseContext, &result);

    if (!NT_SUCCESS(status))
        return status;
    if (objectType && ObGetObjectType(result) != objectType) {
        ObDereferenceObject(result);
        return STATUS_OBJECT_TYPE_MISMATCH;
    }
    *object = result;
    return status;
}

// A RootDirectory that is not a directory but parses names (a directory
// opened as a file) takes the whole relative name. *handled says whether
// the root was such an object.
static NTSTATUS ObpLookupRelativeToParseObject(const OBJECT_ATTRIBUTES *objectAttributes,
                                               OBJECT_TYPE *objectType,
                                               KPROCESSOR_MODE accessMode, void *parseContext,
                                               void **object, BOOLEAN *handled)
{
    const UNICODE_STRING *name = objectAttributes->ObjectName;
    UNICODE_STRING remaining;
    void *root;
    NTSTATUS status;

    *handled = FALSE;
    if (ObReferenceObjectByHandle(objectAttributes->RootDirectory, 0, NULL, &root, NULL) !=
        STATUS_SUCCESS)
        return STATUS_SUCCESS;      // ObpStartOfName says why
    if (ObGetObjectType(root) == ObpDirectoryObjectType || !ObpHasParseProcedure(root)) {
        ObDereferenceObject(root);
        return STATUS_SUCCESS;
    }
    *handled = TRUE;
    if (!name || (name->Length % sizeof(WCHAR)) || (name->Length && !name->Buffer))
        status = STATUS_OBJECT_NAME_INVALID;
    else if (name->Length && name->Buffer[0] == OBJ_NAME_PATH_SEPARATOR)
        status = STATUS_OBJECT_PATH_SYNTAX_BAD;
    else {
        remaining = *name;
        status = ObpCallParseProcedure(root, objectAttributes, objectType, accessMode,
                                       &remaining, parseContext, object);
    }
    ObDereferenceObject(root);
    return status;
}

NTSTATUS ObpLookupObjectName(const OBJECT_ATTRIBUTES *objectAttributes, OBJECT_TYPE *objectType,
                             KPROCESSOR_MODE accessMode, void *parseContext, void **object,
                             BOOLEAN *parsed)
{
    OBJECT_DIRECTORY *start;
    UNICODE_STRING remaining, tail;
    OBP_WALK walk;
    KIRQL oldIrql;
    NTSTATUS status;

    *parsed = FALSE;
    if (objectAttributes && objectAttributes->RootDirectory) {
        status = ObpLookupRelativeToParseObject(objectAttributes, objectType, accessMode,
                                                parseContext, object, parsed);
        if (*parsed)
            return status;
    }
    status = ObpStartOfName(objectAttributes, &start, &remaining);
    if (!NT_SUCCESS(status))
        return status;
    walk.Found = NULL;
    walk.TailCount = 0;
    KeAcquireSpinLock(&ObpNameSpaceLock, &oldIrql);
    if (remaining.Length == 0) {
        walk.Found = start;     // "\" itself, or RootDirectory with an empty name
    } else {
        // The last component is followed when it is a link, unless the
        // caller wants the link itself: OBJ_OPENLINK, or a lookup of links.
        BOOLEAN followLast = !(objectAttributes->Attributes & OBJ_OPENLINK) &&
                             objectType != ObpSymbolicLinkObjectType;

        status = ObpWalkPath(start, remaining, ObpIsCaseInsensitive(objectAttributes->Attributes),
                             followLast, 0, &walk);
    }
    if (NT_SUCCESS(status) && ObpHasParseProcedure(walk.Found) &&
        (walk.TailCount || parseContext)) {
        void *parseObject = walk.Found;

        status = ObpCaptureTail(&walk, &tail);
        if (NT_SUCCESS(status))
            ObReferenceObject(parseObject);
        KeReleaseSpinLock(&ObpNameSpaceLock, oldIrql);
        ObDereferenceObject(start);
        if (!NT_SUCCESS(status))
            return status;
        *parsed = TRUE;
        status = ObpCallParseProcedure(parseObject, objectAttributes, objectType, accessMode,
                                       &tail, parseContext, object);
        if (tail.Buffer)
            ExFreePoolWithTag(tail.Buffer, OBP_CAPTURE_TAG);
        ObDereferenceObject(parseObject);
        return status;
    }
    if (NT_SUCCESS(status) && !walk.Found)
        status = STATUS_OBJECT_NAME_NOT_FOUND;
    if (NT_SUCCESS(status))
        status = ObReferenceObjectByPointer(walk.Found, objectType);
    KeReleaseSpinLock(&ObpNameSpaceLock, oldIrql);
    ObDereferenceObject(start);
    if (NT_SUCCESS(status))
        *object = walk.Found;
    return status;
}

NTSTATUS ObReferenceObjectByName(const OBJECT_ATTRIBUTES *objectAttributes,
                                 OBJECT_TYPE *objectType, void **object)
{
    BOOLEAN parsed;

    return ObpLookupObjectName(objectAttributes, objectType, KernelMode, NULL, object, &parsed);
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

NTSTATUS ObOpenObjectByName(const OBJECT_ATTRIBUTES *objectAttributes, OBJECT_TYPE *objectType,
                            KPROCESSOR_MODE accessMode, ACCESS_MASK desiredAccess,
                            void *parseContext, HANDLE *handle)
{
    ACCESS_MASK granted;
    BOOLEAN parsed;
    void *object;
    NTSTATUS status = ObpLookupObjectName(objectAttributes, objectType, accessMode, parseContext,
                                          &object, &parsed);

    if (!NT_SUCCESS(status))
        return status;
    if (parsed) {
        granted = ObMapDesiredAccess(ObGetObjectType(object), desiredAccess);
    } else {
        status = ObpAccessToExistingObject(object, objectAttributes->Attributes, desiredAccess,
                                           accessMode == UserMode, &granted);
    }
    if (NT_SUCCESS(status))
        status = ObpCreateHandle(PsGetCurrentProcess(), object, granted, handle);
    if (!NT_SUCCESS(status))
        ObDereferenceObject(object);
    return status;
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
    OBP_WALK walk;
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
    walk.Found = NULL;
    walk.TailCount = 0;
    status = ObpWalkPath(start, *relativeName, ObpIsCaseInsensitive(attributes), FALSE, 0, &walk);
    parent = walk.Parent;
    component = walk.Component;
    found = walk.Found;
    // A name under a device is the device's to make, not the namespace's.
    if (NT_SUCCESS(status) && walk.TailCount)
        status = STATUS_OBJECT_TYPE_MISMATCH;
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
        ObpInsertDirectoryEntry(parent, entry, object,
                                RtlHashUnicodeStringInsensitive(&component));
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
    // A new object is charged to the pool quota of the process that gets
    // its first handle, as NT charges it (ps/quota.c); over the limit it
    // is not inserted. Then it gets its descriptor before its name, so no
    // lookup ever finds it unprotected; whether it will be named is said,
    // since the name is not in the header yet.
    if (header->Flags & OB_FLAG_NEW_OBJECT) {
        EPROCESS *process = PsGetCurrentProcess();

        if (process && process->QuotaBlock) {
            header->QuotaBlockCharged = PsChargeSharedPoolQuota(process,
                                                                header->PagedPoolCharge,
                                                                header->NonPagedPoolCharge);
            if (!header->QuotaBlockCharged) {
                ObDereferenceObject(object);
                return STATUS_QUOTA_EXCEEDED;
            }
        }
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
