// The RAM file system's tree: FCBs, path lookup, create with NT's
// dispositions, delete, rename and directory enumeration. See rfcore.h.
//
// Lifetime of an FCB: a linked FCB (in its parent's ChildList, or the
// root) holds one reference for being in the tree, and every open one more.
// Unlinking drops the tree's reference; the FCB, its name and its bytes go
// with the last reference, whichever comes last.

#include "drivers/ramfs/rfcore.h"

static BOOLEAN RamFsIsDirectory(const RAMFS_FCB *fcb)
{
    return (fcb->FileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
}

static void RamFsFreeFcb(RAMFS_VCB *vcb, RAMFS_FCB *fcb)
{
    if (fcb->Data) {
        vcb->BytesUsed -= fcb->AllocationSize;
        RamFsFree(fcb->Data, RAMFS_DATA_TAG);
    }
    if (fcb->Efs)
        RamFsFree(fcb->Efs, RAMFS_FCB_TAG);
    if (fcb->FileName.Buffer)
        RamFsFree(fcb->FileName.Buffer, RAMFS_FCB_TAG);
    vcb->FcbCount--;
    RamFsFree(fcb, RAMFS_FCB_TAG);
}

// A new FCB named `name` (copied), not yet linked; NULL when out of memory.
static RAMFS_FCB *RamFsAllocateFcb(RAMFS_VCB *vcb, const UNICODE_STRING *name,
                                   ULONG fileAttributes)
{
    RAMFS_FCB *fcb = RamFsAllocate(sizeof(*fcb), RAMFS_FCB_TAG);

    if (!fcb)
        return NULL;
    memset(fcb, 0, sizeof(*fcb));
    InitializeListHead(&fcb->ParentLinks);
    InitializeListHead(&fcb->ChildList);
    if (name->Length) {
        fcb->FileName.Buffer = RamFsAllocate(name->Length, RAMFS_FCB_TAG);
        if (!fcb->FileName.Buffer) {
            RamFsFree(fcb, RAMFS_FCB_TAG);
            return NULL;
        }
        memcpy(fcb->FileName.Buffer, name->Buffer, name->Length);
        fcb->FileName.Length = fcb->FileName.MaximumLength = name->Length;
    }
    fcb->FileAttributes = fileAttributes;
    fcb->FileId = vcb->NextFileId++;
    fcb->CreationTime = fcb->LastWriteTime = vcb->CurrentTime;
    fcb->ReferenceCount = 1;
    vcb->FcbCount++;
    return fcb;
}

// Links `fcb` into `parent`, keeping the children ordered by name (ignoring
// case), the order enumeration returns them in.
static void RamFsLinkFcb(RAMFS_FCB *parent, RAMFS_FCB *fcb)
{
    LIST_ENTRY *entry = parent->ChildList.Flink;

    while (entry != &parent->ChildList) {
        RAMFS_FCB *child = CONTAINING_RECORD(entry, RAMFS_FCB, ParentLinks);

        if (RtlCompareUnicodeString(&child->FileName, &fcb->FileName, TRUE) > 0)
            break;
        entry = entry->Flink;
    }
    // Before `entry`: InsertTailList on an entry inserts in front of it.
    InsertTailList(entry, &fcb->ParentLinks);
    fcb->ParentFcb = parent;
    parent->ChildCount++;
}

static void RamFsUnlinkFcb(RAMFS_FCB *fcb)
{
    RemoveEntryList(&fcb->ParentLinks);
    InitializeListHead(&fcb->ParentLinks);
    fcb->ParentFcb->ChildCount--;
    fcb->ParentFcb = NULL;
}

static void RamFsDereferenceFcb(RAMFS_VCB *vcb, RAMFS_FCB *fcb)
{
    if (--fcb->ReferenceCount == 0)
        RamFsFreeFcb(vcb, fcb);
}

// Unlinks a node and everything under it (the tree's references; open
// nodes stay until their last close). Leaf first, without recursion: a tree
// made by a program can be as deep as a path is long.
static void RamFsRemoveSubtree(RAMFS_VCB *vcb, RAMFS_FCB *top)
{
    RAMFS_FCB *fcb = top;

    for (;;) {
        RAMFS_FCB *parent;
        BOOLEAN last;

        while (!IsListEmpty(&fcb->ChildList))
            fcb = CONTAINING_RECORD(fcb->ChildList.Flink, RAMFS_FCB, ParentLinks);
        parent = fcb->ParentFcb;
        last = fcb == top;
        if (parent)
            RamFsUnlinkFcb(fcb);
        RamFsDereferenceFcb(vcb, fcb);
        if (last)
            return;
        fcb = parent;
    }
}

NTSTATUS RamFsInitializeVcb(RAMFS_VCB *vcb, ULONG64 bytesLimit)
{
    UNICODE_STRING empty = {0, 0, NULL};

    memset(vcb, 0, sizeof(*vcb));
    vcb->BytesLimit = bytesLimit;
    vcb->NextFileId = 5;            // NTFS's root directory is file 5
    vcb->RootFcb = RamFsAllocateFcb(vcb, &empty, FILE_ATTRIBUTE_DIRECTORY);
    return vcb->RootFcb ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

void RamFsDeleteVcb(RAMFS_VCB *vcb)
{
    if (vcb->RootFcb)
        RamFsRemoveSubtree(vcb, vcb->RootFcb);
    vcb->RootFcb = NULL;
}

void RamFsEmptyVolume(RAMFS_VCB *vcb)
{
    RAMFS_FCB *root = vcb->RootFcb;

    while (!IsListEmpty(&root->ChildList))
        RamFsRemoveSubtree(vcb, CONTAINING_RECORD(root->ChildList.Flink, RAMFS_FCB,
                                                  ParentLinks));
}

// A valid name component: not empty, "." or "..", no character NTFS
// refuses in a name, no stream (':').
static BOOLEAN RamFsIsValidComponent(const UNICODE_STRING *name)
{
    USHORT count = name->Length / sizeof(WCHAR);

    if (count == 0 || count > RAMFS_MAX_NAME_LENGTH)
        return FALSE;
    if ((count == 1 && name->Buffer[0] == '.') ||
        (count == 2 && name->Buffer[0] == '.' && name->Buffer[1] == '.'))
        return FALSE;
    for (USHORT i = 0; i < count; i++) {
        WCHAR c = name->Buffer[i];

        if (c < 0x20 || c == '*' || c == '?' || c == '<' || c == '>' || c == '"' ||
            c == '|' || c == ':' || c == '/' || c == '\\')
            return FALSE;
    }
    return TRUE;
}

static RAMFS_FCB *RamFsFindChild(RAMFS_FCB *directory, const UNICODE_STRING *name)
{
    for (LIST_ENTRY *entry = directory->ChildList.Flink; entry != &directory->ChildList;
         entry = entry->Flink) {
        RAMFS_FCB *child = CONTAINING_RECORD(entry, RAMFS_FCB, ParentLinks);

        if (RtlEqualUnicodeString(&child->FileName, name, TRUE))
            return child;
    }
    return NULL;
}

NTSTATUS RamFsLookupPath(RAMFS_VCB *vcb, const UNICODE_STRING *path, RAMFS_FCB **fcb,
                         RAMFS_FCB **parentFcb, UNICODE_STRING *lastName)
{
    return RamFsLookupPathIn(vcb, NULL, path, fcb, parentFcb, lastName);
}

NTSTATUS RamFsLookupPathIn(RAMFS_VCB *vcb, RAMFS_FCB *directory, const UNICODE_STRING *path,
                           RAMFS_FCB **fcb, RAMFS_FCB **parentFcb, UNICODE_STRING *lastName)
{
    USHORT count = path->Length / sizeof(WCHAR);
    USHORT position = 0;
    RAMFS_FCB *current = directory ? directory : vcb->RootFcb;

    *fcb = NULL;
    if (parentFcb)
        *parentFcb = NULL;
    if (lastName)
        *lastName = (UNICODE_STRING){0, 0, NULL};
    if (path->Length & 1)
        return STATUS_OBJECT_NAME_INVALID;
    if (directory) {
        // Relative to an open directory: no leading '\', and the directory
        // must still be in the tree.
        if (count && path->Buffer[0] == '\\')
            return STATUS_OBJECT_NAME_INVALID;
        if (!RamFsIsDirectory(directory))
            return STATUS_INVALID_PARAMETER;
        if (directory != vcb->RootFcb && !directory->ParentFcb)
            return STATUS_FILE_DELETED;
    } else if (position < count && path->Buffer[position] == '\\') {
        position++;
    }
    while (position < count) {
        UNICODE_STRING component;
        USHORT end = position;
        RAMFS_FCB *child;

        while (end < count && path->Buffer[end] != '\\')
            end++;
        component.Buffer = &path->Buffer[position];
        component.Length = component.MaximumLength = (USHORT)((end - position) * sizeof(WCHAR));
        // One trailing '\' is allowed ("\docs\"); an empty component inside is not.
        if (!RamFsIsValidComponent(&component))
            return STATUS_OBJECT_NAME_INVALID;
        if (!RamFsIsDirectory(current))
            return STATUS_OBJECT_PATH_NOT_FOUND;
        child = RamFsFindChild(current, &component);
        if (end + 1 >= count) {
            // The last component (with or without its trailing '\').
            if (parentFcb)
                *parentFcb = current;
            if (lastName)
                *lastName = component;
            if (!child)
                return STATUS_OBJECT_NAME_NOT_FOUND;
            if (end + 1 == count && !RamFsIsDirectory(child))
                return STATUS_OBJECT_NAME_INVALID;      // "file\"
            *fcb = child;
            return STATUS_SUCCESS;
        }
        if (!child)
            return STATUS_OBJECT_PATH_NOT_FOUND;
        current = child;
        position = end + 1;
    }
    *fcb = current;         // the root
    return STATUS_SUCCESS;
}

void RamFsReferenceFcb(RAMFS_FCB *fcb)
{
    fcb->ReferenceCount++;
    fcb->OpenCount++;
}

// Empties a file for FILE_OVERWRITE and FILE_SUPERSEDE.
static void RamFsTruncateToZero(RAMFS_VCB *vcb, RAMFS_FCB *fcb)
{
    if (fcb->Data) {
        vcb->BytesUsed -= fcb->AllocationSize;
        RamFsFree(fcb->Data, RAMFS_DATA_TAG);
    }
    fcb->Data = NULL;
    fcb->AllocationSize = fcb->FileSize = 0;
    fcb->LastWriteTime = vcb->CurrentTime;
}

// The attributes a caller may give a file: what NT keeps, without the ones
// only the file system sets (directory, encrypted).
#define RAMFS_SETTABLE_ATTRIBUTES                                                          \
    (FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM |             \
     FILE_ATTRIBUTE_ARCHIVE)

NTSTATUS RamFsOverwriteFcb(RAMFS_VCB *vcb, RAMFS_FCB *fcb, ULONG fileAttributes)
{
    if (RamFsIsDirectory(fcb))
        return STATUS_FILE_IS_A_DIRECTORY;
    if (fcb->FileAttributes & FILE_ATTRIBUTE_READONLY)
        return STATUS_ACCESS_DENIED;
    RamFsTruncateToZero(vcb, fcb);
    // The new attributes replace the old, except encryption, which stays
    // (NTFS keeps an overwritten encrypted file encrypted).
    fcb->FileAttributes = (fcb->FileAttributes & FILE_ATTRIBUTE_ENCRYPTED) |
                          (fileAttributes & RAMFS_SETTABLE_ATTRIBUTES) | FILE_ATTRIBUTE_ARCHIVE;
    return STATUS_SUCCESS;
}

static NTSTATUS RamFsOpenExisting(RAMFS_VCB *vcb, RAMFS_FCB *fcb, ULONG disposition,
                                  ULONG createOptions, ULONG fileAttributes,
                                  ULONG_PTR *information)
{
    BOOLEAN directory = RamFsIsDirectory(fcb);
    NTSTATUS status;

    if (disposition == FILE_CREATE)
        return STATUS_OBJECT_NAME_COLLISION;
    if (fcb->DeletePending)
        return STATUS_DELETE_PENDING;
    if ((createOptions & FILE_DIRECTORY_FILE) && !directory)
        return STATUS_NOT_A_DIRECTORY;
    if ((createOptions & FILE_NON_DIRECTORY_FILE) && directory)
        return STATUS_FILE_IS_A_DIRECTORY;
    if (disposition == FILE_OPEN || disposition == FILE_OPEN_IF) {
        *information = FILE_OPENED;
        return STATUS_SUCCESS;
    }
    status = RamFsOverwriteFcb(vcb, fcb, fileAttributes);
    if (NT_SUCCESS(status))
        *information = disposition == FILE_SUPERSEDE ? FILE_SUPERSEDED : FILE_OVERWRITTEN;
    return status;
}

NTSTATUS RamFsCreate(RAMFS_VCB *vcb, const UNICODE_STRING *path, ULONG disposition,
                     ULONG createOptions, ULONG fileAttributes, RAMFS_FCB **result,
                     ULONG_PTR *information)
{
    return RamFsCreateIn(vcb, NULL, path, disposition, createOptions, fileAttributes, result,
                         information);
}

NTSTATUS RamFsCreateIn(RAMFS_VCB *vcb, RAMFS_FCB *directory, const UNICODE_STRING *path,
                       ULONG disposition, ULONG createOptions, ULONG fileAttributes,
                       RAMFS_FCB **result, ULONG_PTR *information)
{
    RAMFS_FCB *fcb, *parent;
    UNICODE_STRING lastName;
    NTSTATUS status;
    BOOLEAN wantDirectory = (createOptions & FILE_DIRECTORY_FILE) != 0;

    *result = NULL;
    *information = 0;
    if (disposition > FILE_MAXIMUM_DISPOSITION)
        return STATUS_INVALID_PARAMETER;
    if (wantDirectory && (createOptions & FILE_NON_DIRECTORY_FILE))
        return STATUS_INVALID_PARAMETER;
    // A directory is created or opened, never overwritten.
    if (wantDirectory && disposition != FILE_CREATE && disposition != FILE_OPEN &&
        disposition != FILE_OPEN_IF)
        return STATUS_INVALID_PARAMETER;
    status = RamFsLookupPathIn(vcb, directory, path, &fcb, &parent, &lastName);
    if (NT_SUCCESS(status)) {
        status = RamFsOpenExisting(vcb, fcb, disposition, createOptions, fileAttributes,
                                   information);
        if (!NT_SUCCESS(status))
            return status;
        RamFsReferenceFcb(fcb);
        *result = fcb;
        return STATUS_SUCCESS;
    }
    if (status != STATUS_OBJECT_NAME_NOT_FOUND)
        return status;
    if (disposition == FILE_OPEN || disposition == FILE_OVERWRITE)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    if (parent->DeletePending)
        return STATUS_DELETE_PENDING;
    // "name\" names a directory: only a directory may be created so.
    if (!wantDirectory && (USHORT)(lastName.Buffer - path->Buffer) * sizeof(WCHAR) +
                                  lastName.Length < path->Length)
        return STATUS_OBJECT_NAME_INVALID;
    fcb = RamFsAllocateFcb(vcb, &lastName,
                           wantDirectory ? FILE_ATTRIBUTE_DIRECTORY
                                         : (fileAttributes & RAMFS_SETTABLE_ATTRIBUTES) |
                                               FILE_ATTRIBUTE_ARCHIVE);
    if (!fcb)
        return STATUS_INSUFFICIENT_RESOURCES;
    RamFsLinkFcb(parent, fcb);
    RamFsReferenceFcb(fcb);
    parent->LastWriteTime = vcb->CurrentTime;
    *result = fcb;
    *information = FILE_CREATED;
    return STATUS_SUCCESS;
}

void RamFsCleanupFcb(RAMFS_VCB *vcb, RAMFS_FCB *fcb)
{
    fcb->OpenCount--;
    if (fcb->OpenCount == 0 && fcb->DeletePending && fcb->ParentFcb) {
        fcb->ParentFcb->LastWriteTime = vcb->CurrentTime;
        RamFsUnlinkFcb(fcb);
        RamFsDereferenceFcb(vcb, fcb);      // the tree's reference; the open's stays
    }
}

void RamFsCloseFcb(RAMFS_VCB *vcb, RAMFS_FCB *fcb)
{
    RamFsDereferenceFcb(vcb, fcb);
}

NTSTATUS RamFsSetDeletePending(RAMFS_FCB *fcb, BOOLEAN deleteFile)
{
    if (!deleteFile) {
        fcb->DeletePending = FALSE;
        return STATUS_SUCCESS;
    }
    if (!fcb->ParentFcb)
        return STATUS_CANNOT_DELETE;        // the root, or already gone
    if (fcb->FileAttributes & FILE_ATTRIBUTE_READONLY)
        return STATUS_CANNOT_DELETE;
    if (RamFsIsDirectory(fcb) && fcb->ChildCount)
        return STATUS_DIRECTORY_NOT_EMPTY;
    fcb->DeletePending = TRUE;
    return STATUS_SUCCESS;
}

NTSTATUS RamFsRename(RAMFS_VCB *vcb, RAMFS_FCB *fcb, const UNICODE_STRING *newPath,
                     BOOLEAN replaceIfExists)
{
    RAMFS_FCB *target, *parent;
    UNICODE_STRING lastName;
    WCHAR *buffer;
    NTSTATUS status;

    if (!fcb->ParentFcb || fcb->DeletePending)
        return fcb->DeletePending ? STATUS_DELETE_PENDING : STATUS_ACCESS_DENIED;
    status = RamFsLookupPath(vcb, newPath, &target, &parent, &lastName);
    if (!NT_SUCCESS(status) && status != STATUS_OBJECT_NAME_NOT_FOUND)
        return status;
    if (!parent)
        return STATUS_ACCESS_DENIED;        // the root as the target
    if (!target)
        target = RamFsFindChild(parent, &lastName);
    // A directory may not move into its own subtree.
    for (RAMFS_FCB *ancestor = parent; ancestor; ancestor = ancestor->ParentFcb) {
        if (ancestor == fcb)
            return STATUS_INVALID_PARAMETER;
    }
    if (target && target != fcb) {
        if (!replaceIfExists)
            return STATUS_OBJECT_NAME_COLLISION;
        if (RamFsIsDirectory(target) || target->OpenCount ||
            (target->FileAttributes & FILE_ATTRIBUTE_READONLY))
            return STATUS_ACCESS_DENIED;
    }
    buffer = RamFsAllocate(lastName.Length, RAMFS_FCB_TAG);
    if (!buffer)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (target && target != fcb) {
        RamFsUnlinkFcb(target);
        RamFsDereferenceFcb(vcb, target);
    }
    memcpy(buffer, lastName.Buffer, lastName.Length);
    RamFsFree(fcb->FileName.Buffer, RAMFS_FCB_TAG);
    fcb->FileName.Buffer = buffer;
    fcb->FileName.Length = fcb->FileName.MaximumLength = lastName.Length;
    fcb->ParentFcb->LastWriteTime = vcb->CurrentTime;
    RamFsUnlinkFcb(fcb);
    RamFsLinkFcb(parent, fcb);
    parent->LastWriteTime = vcb->CurrentTime;
    return STATUS_SUCCESS;
}

// ---- Enumeration ----

// Matches name[n..] against expression[e..]: '*' tries every split, so the
// cost is at worst the product of the lengths; names are short.
static BOOLEAN RamFsMatch(const WCHAR *expression, USHORT expressionCount, const WCHAR *name,
                          USHORT nameCount)
{
    USHORT e = 0, n = 0;
    USHORT starE = 0xFFFF, starN = 0;

    while (n < nameCount) {
        if (e < expressionCount && expression[e] == '*') {
            starE = e++;
            starN = n;
        } else if (e < expressionCount &&
                   (expression[e] == '?' ||
                    RtlUpcaseUnicodeChar(expression[e]) == RtlUpcaseUnicodeChar(name[n]))) {
            e++;
            n++;
        } else if (starE != 0xFFFF) {
            // Let the last '*' take one more character.
            e = starE + 1;
            n = ++starN;
        } else {
            return FALSE;
        }
    }
    while (e < expressionCount && expression[e] == '*')
        e++;
    return e == expressionCount;
}

BOOLEAN RamFsIsNameInExpression(const UNICODE_STRING *expression, const UNICODE_STRING *name)
{
    return RamFsMatch(expression->Buffer, expression->Length / sizeof(WCHAR), name->Buffer,
                      name->Length / sizeof(WCHAR));
}

static NTSTATUS RamFsCopyString(UNICODE_STRING *destination, const UNICODE_STRING *source)
{
    WCHAR *buffer = NULL;

    if (source->Length) {
        buffer = RamFsAllocate(source->Length, RAMFS_CCB_TAG);
        if (!buffer)
            return STATUS_INSUFFICIENT_RESOURCES;
        memcpy(buffer, source->Buffer, source->Length);
    }
    if (destination->Buffer)
        RamFsFree(destination->Buffer, RAMFS_CCB_TAG);
    destination->Buffer = buffer;
    destination->Length = destination->MaximumLength = source->Length;
    return STATUS_SUCCESS;
}

NTSTATUS RamFsNextDirectoryEntry(RAMFS_FCB *directory, RAMFS_CCB *ccb,
                                 const UNICODE_STRING *pattern, BOOLEAN restart,
                                 RAMFS_FCB **entry)
{
    static const WCHAR star[] = {'*'};
    UNICODE_STRING all = {sizeof(star), sizeof(star), (WCHAR *)star};
    BOOLEAN first = restart || !ccb->EnumerationStarted;
    NTSTATUS status;

    *entry = NULL;
    if (!RamFsIsDirectory(directory))
        return STATUS_INVALID_PARAMETER;
    if (first) {
        if (pattern && pattern->Length & 1)
            return STATUS_INVALID_PARAMETER;
        status = RamFsCopyString(&ccb->SearchPattern, pattern && pattern->Length ? pattern
                                                                                  : &all);
        if (!NT_SUCCESS(status))
            return status;
        if (ccb->LastName.Buffer)
            RamFsFree(ccb->LastName.Buffer, RAMFS_CCB_TAG);
        ccb->LastName = (UNICODE_STRING){0, 0, NULL};
        ccb->EnumerationStarted = TRUE;
        ccb->EnumerationDone = FALSE;
    }
    if (!ccb->EnumerationDone) {
        for (LIST_ENTRY *link = directory->ChildList.Flink; link != &directory->ChildList;
             link = link->Flink) {
            RAMFS_FCB *child = CONTAINING_RECORD(link, RAMFS_FCB, ParentLinks);

            if (ccb->LastName.Length &&
                RtlCompareUnicodeString(&child->FileName, &ccb->LastName, TRUE) <= 0)
                continue;
            if (RamFsIsNameInExpression(&ccb->SearchPattern, &child->FileName)) {
                *entry = child;
                return STATUS_SUCCESS;
            }
        }
    }
    ccb->EnumerationDone = TRUE;
    return first ? STATUS_NO_SUCH_FILE : STATUS_NO_MORE_FILES;
}

NTSTATUS RamFsAdvanceEnumeration(RAMFS_CCB *ccb, const RAMFS_FCB *entry)
{
    return RamFsCopyString(&ccb->LastName, &entry->FileName);
}

void RamFsDeleteCcb(RAMFS_CCB *ccb)
{
    if (ccb->SearchPattern.Buffer)
        RamFsFree(ccb->SearchPattern.Buffer, RAMFS_CCB_TAG);
    if (ccb->LastName.Buffer)
        RamFsFree(ccb->LastName.Buffer, RAMFS_CCB_TAG);
    ccb->SearchPattern = ccb->LastName = (UNICODE_STRING){0, 0, NULL};
}
