// The object namespace: the boot-time directories, naming objects, name
// collisions and OBJ_OPENIF, case-insensitive lookup, the errors of a bad
// or missing path, nested directories, and names going with the last handle.

#include "tests/kernel/test_ob.h"

static NTSTATUS KtObLookupRelative(HANDLE root, const WCHAR *name, void **object)
{
    UNICODE_STRING objectName;
    OBJECT_ATTRIBUTES attributes;

    RtlInitUnicodeString(&objectName, name);
    InitializeObjectAttributes(&attributes, &objectName, OBJ_CASE_INSENSITIVE, root, NULL);
    return ObReferenceObjectByName(&attributes, NULL, object);
}

static NTSTATUS KtObCreateDirectory(const WCHAR *name, HANDLE *handle)
{
    UNICODE_STRING objectName;
    OBJECT_ATTRIBUTES attributes;

    RtlInitUnicodeString(&objectName, name);
    InitializeObjectAttributes(&attributes, &objectName, OBJ_CASE_INSENSITIVE, NULL, NULL);
    return ObCreateDirectoryObject(handle, DIRECTORY_ALL_ACCESS, &attributes);
}

KTEST(ObBootNamespaceHasTheWellKnownDirectories)
{
    static const WCHAR *const names[] = {
        u"\\", u"\\BaseNamedObjects", u"\\KernelObjects", u"\\RPC Control", u"\\Windows",
        u"\\ObjectTypes",
    };

    for (ULONG i = 0; i < ARRAYSIZE(names); i++) {
        void *directory;

        KT_EXPECT_EQ(KtObLookup(names[i], &directory), STATUS_SUCCESS);
        KT_EXPECT(ObGetObjectType(directory) == ObpDirectoryObjectType);
        ObDereferenceObject(directory);
    }
}

KTEST(ObTypeObjectsAreNamedInObjectTypes)
{
    void *type;

    KT_EXPECT_EQ(KtObLookup(u"\\ObjectTypes\\Type", &type), STATUS_SUCCESS);
    KT_EXPECT(type == ObpTypeObjectType && ObGetObjectType(type) == ObpTypeObjectType);
    ObDereferenceObject(type);
    KT_EXPECT_EQ(KtObLookup(u"\\ObjectTypes\\Directory", &type), STATUS_SUCCESS);
    KT_EXPECT(type == ObpDirectoryObjectType);
    ObDereferenceObject(type);
    KT_EXPECT_EQ(KtObLookup(u"\\ObjectTypes\\SymbolicLink", &type), STATUS_SUCCESS);
    KT_EXPECT(type == ObpSymbolicLinkObjectType);
    ObDereferenceObject(type);
    KT_EXPECT(KtObType() != NULL);
    KT_EXPECT_EQ(KtObLookup(u"\\ObjectTypes\\KtestObject", &type), STATUS_SUCCESS);
    KT_EXPECT(type == KtObType());
    ObDereferenceObject(type);
}

KTEST(ObNamedObjectIsFoundByItsName)
{
    KTOB_OBJECT *object;
    void *found;
    HANDLE handle;

    KT_EXPECT_EQ(KtObInsert(u"\\BaseNamedObjects\\KtFound", 0, KTOB_QUERY, &object, &handle),
                 STATUS_SUCCESS);
    KT_EXPECT_EQ(KtObLookup(u"\\BaseNamedObjects\\KtFound", &found), STATUS_SUCCESS);
    KT_EXPECT(found == object);
    ObDereferenceObject(found);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    ObDereferenceObject(object);
}

KTEST(ObOpenObjectByNameGivesAHandleWithTheAccessAskedFor)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    KTOB_OBJECT *object;
    void *referenced;
    HANDLE handle, opened;

    KT_EXPECT_EQ(KtObInsert(u"\\BaseNamedObjects\\KtOpened", 0, KTOB_ALL_ACCESS, &object,
                            &handle), STATUS_SUCCESS);
    RtlInitUnicodeString(&name, u"\\BaseNamedObjects\\KtOpened");
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    KT_EXPECT_EQ(ObOpenObjectByName(&attributes, PsProcessType, KernelMode, KTOB_QUERY, NULL,
                                    &opened),
                 STATUS_OBJECT_TYPE_MISMATCH);
    KT_EXPECT_EQ(ObOpenObjectByName(&attributes, KtObType(), KernelMode, KTOB_QUERY, NULL,
                                    &opened),
                 STATUS_SUCCESS);
    KT_EXPECT_EQ(ObGetObjectHandleCount(object), 2);
    KT_EXPECT_EQ(ObReferenceObjectByHandle(opened, KTOB_MODIFY, KtObType(), &referenced, NULL),
                 STATUS_ACCESS_DENIED);
    KT_EXPECT_EQ(ObCloseHandle(opened), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    ObDereferenceObject(object);
}

KTEST(ObInsertUnderATakenNameIsACollision)
{
    ULONG deletions = KtObDeletions;
    KTOB_OBJECT *object, *second = NULL;
    HANDLE handle, secondHandle = NULL;

    KT_EXPECT_EQ(KtObInsert(u"\\BaseNamedObjects\\KtTaken", 0, KTOB_QUERY, &object, &handle),
                 STATUS_SUCCESS);
    KT_EXPECT_EQ(KtObInsert(u"\\BaseNamedObjects\\KtTaken", 0, KTOB_QUERY, &second,
                            &secondHandle), STATUS_OBJECT_NAME_COLLISION);
    KT_EXPECT(second == NULL && secondHandle == NULL);
    KT_EXPECT_EQ(KtObDeletions, deletions + 1);     // the new object is dropped
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    ObDereferenceObject(object);
}

KTEST(ObOpenIfReturnsTheExistingObjectWithNameExists)
{
    ULONG deletions = KtObDeletions;
    KTOB_OBJECT *object, *second;
    HANDLE handle, secondHandle;
    NTSTATUS status;

    KT_EXPECT_EQ(KtObInsert(u"\\BaseNamedObjects\\KtOpenIf", OBJ_OPENIF, KTOB_QUERY, &object,
                            &handle), STATUS_SUCCESS);
    status = KtObInsert(u"\\BaseNamedObjects\\KtOpenIf", OBJ_OPENIF, KTOB_QUERY, &second,
                        &secondHandle);
    KT_EXPECT_EQ(status, STATUS_OBJECT_NAME_EXISTS);
    KT_EXPECT(NT_SUCCESS(status));
    KT_EXPECT(second == object);
    KT_EXPECT(secondHandle != handle);
    KT_EXPECT_EQ(ObGetObjectHandleCount(object), 2);
    KT_EXPECT_EQ(KtObDeletions, deletions + 1);
    KT_EXPECT_EQ(ObCloseHandle(secondHandle), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    ObDereferenceObject(second);
    ObDereferenceObject(object);
}

KTEST(ObOpenIfOnAnObjectOfAnotherTypeIsATypeMismatch)
{
    KTOB_OBJECT *object;
    HANDLE handle;

    KT_EXPECT_EQ(KtObInsert(u"\\Windows", OBJ_OPENIF, KTOB_QUERY, &object, &handle),
                 STATUS_OBJECT_TYPE_MISMATCH);
}

KTEST(ObLookupIgnoresCase)
{
    KTOB_OBJECT *object;
    void *found;
    HANDLE handle;

    KT_EXPECT_EQ(KtObInsert(u"\\BaseNamedObjects\\KtMixedCase", 0, KTOB_QUERY, &object,
                            &handle), STATUS_SUCCESS);
    KT_EXPECT_EQ(KtObLookup(u"\\basenamedobjects\\KTMIXEDCASE", &found), STATUS_SUCCESS);
    KT_EXPECT(found == object);
    ObDereferenceObject(found);
    KT_EXPECT_EQ(KtObInsert(u"\\BASENAMEDOBJECTS\\ktmixedcase", 0, KTOB_QUERY, &object,
                            &handle), STATUS_OBJECT_NAME_COLLISION);
    KT_EXPECT_EQ(KtObLookup(u"\\BaseNamedObjects\\KtMixedCase", &found), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    ObDereferenceObject(found);
    ObDereferenceObject(found);
}

KTEST(ObMissingNameIsNotFound)
{
    void *found;

    KT_EXPECT_EQ(KtObLookup(u"\\BaseNamedObjects\\KtNoSuchObject", &found),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    KT_EXPECT_EQ(KtObLookup(u"\\KtNoSuchDirectory", &found), STATUS_OBJECT_NAME_NOT_FOUND);
}

KTEST(ObMissingDirectoryOnThePathIsPathNotFound)
{
    KTOB_OBJECT *object;
    void *found;
    HANDLE handle;

    KT_EXPECT_EQ(KtObLookup(u"\\KtNoSuchDirectory\\Object", &found),
                 STATUS_OBJECT_PATH_NOT_FOUND);
    KT_EXPECT_EQ(KtObInsert(u"\\KtNoSuchDirectory\\Object", 0, KTOB_QUERY, &object, &handle),
                 STATUS_OBJECT_PATH_NOT_FOUND);
    KT_EXPECT_EQ(KtObLookup(u"\\ObjectTypes\\Type\\Object", &found),
                 STATUS_OBJECT_PATH_NOT_FOUND);
}

KTEST(ObMalformedNamesAreRejected)
{
    KTOB_OBJECT *object;
    void *found;
    HANDLE handle, root;
    UNICODE_STRING name;

    KT_EXPECT_EQ(KtObLookup(u"BaseNamedObjects", &found), STATUS_OBJECT_PATH_SYNTAX_BAD);
    KT_EXPECT_EQ(KtObLookup(u"", &found), STATUS_OBJECT_PATH_SYNTAX_BAD);
    KT_EXPECT_EQ(KtObLookup(u"\\BaseNamedObjects\\", &found), STATUS_OBJECT_NAME_INVALID);
    KT_EXPECT_EQ(KtObLookup(u"\\\\BaseNamedObjects", &found), STATUS_OBJECT_NAME_INVALID);
    KT_EXPECT_EQ(KtObInsert(u"\\BaseNamedObjects\\", 0, KTOB_QUERY, &object, &handle),
                 STATUS_OBJECT_NAME_INVALID);
    RtlInitUnicodeString(&name, u"\\Windows");
    name.Length = 3;
    {
        OBJECT_ATTRIBUTES attributes;

        InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
        KT_EXPECT_EQ(ObReferenceObjectByName(&attributes, NULL, &found),
                     STATUS_OBJECT_NAME_INVALID);
    }
    KT_EXPECT_EQ(KtObCreateDirectory(u"\\BaseNamedObjects\\KtSyntaxRoot", &root),
                 STATUS_SUCCESS);
    KT_EXPECT_EQ(KtObLookupRelative(root, u"\\Windows", &found), STATUS_OBJECT_PATH_SYNTAX_BAD);
    KT_EXPECT_EQ(ObCloseHandle(root), STATUS_SUCCESS);
}

KTEST(ObDirectoriesNest)
{
    ULONG directories = KtObPoolAllocations(OBP_DIRECTORY_TAG);
    ULONG names = KtObPoolAllocations(OBP_NAME_TAG);
    KTOB_OBJECT *object;
    void *found;
    HANDLE outer, inner, handle;

    KT_EXPECT_EQ(KtObCreateDirectory(u"\\BaseNamedObjects\\KtOuter", &outer), STATUS_SUCCESS);
    KT_EXPECT_EQ(KtObCreateDirectory(u"\\BaseNamedObjects\\KtOuter\\Inner", &inner),
                 STATUS_SUCCESS);
    KT_EXPECT_EQ(KtObInsert(u"\\BaseNamedObjects\\KtOuter\\Inner\\Leaf", 0, KTOB_QUERY, &object,
                            &handle), STATUS_SUCCESS);
    KT_EXPECT_EQ(KtObLookup(u"\\BaseNamedObjects\\KtOuter\\Inner\\Leaf", &found),
                 STATUS_SUCCESS);
    KT_EXPECT(found == object);
    ObDereferenceObject(found);
    KT_EXPECT_EQ(KtObLookupRelative(outer, u"Inner\\Leaf", &found), STATUS_SUCCESS);
    KT_EXPECT(found == object);
    ObDereferenceObject(found);
    KT_EXPECT_EQ(KtObLookupRelative(inner, u"", &found), STATUS_SUCCESS);
    KT_EXPECT(ObGetObjectType(found) == ObpDirectoryObjectType);
    ObDereferenceObject(found);
    // A temporary directory loses its name with its last handle, though it
    // lives on while the names inside it reference it.
    KT_EXPECT_EQ(ObCloseHandle(outer), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObCloseHandle(inner), STATUS_SUCCESS);
    KT_EXPECT_EQ(KtObLookup(u"\\BaseNamedObjects\\KtOuter\\Inner\\Leaf", &found),
                 STATUS_OBJECT_PATH_NOT_FOUND);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    ObDereferenceObject(object);
    KT_EXPECT_EQ(KtObPoolAllocations(OBP_DIRECTORY_TAG), directories);
    KT_EXPECT_EQ(KtObPoolAllocations(OBP_NAME_TAG), names);
}

KTEST(ObNameLeavesItsDirectoryWithTheLastHandle)
{
    ULONG allocations = KtObPoolAllocations(KTOB_TAG);
    ULONG names = KtObPoolAllocations(OBP_NAME_TAG);
    ULONG entries = KtObPoolAllocations(OBP_DIRECTORY_ENTRY_TAG);
    KTOB_OBJECT *object;
    void *found;
    HANDLE handle, duplicate;

    KT_EXPECT_EQ(KtObInsert(u"\\BaseNamedObjects\\KtTemporary", 0, KTOB_QUERY, &object,
                            &handle), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObDuplicateObject(PsGetCurrentProcess(), handle, PsGetCurrentProcess(),
                                   &duplicate, 0, DUPLICATE_SAME_ACCESS), STATUS_SUCCESS);
    ObDereferenceObject(object);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    KT_EXPECT_EQ(KtObLookup(u"\\BaseNamedObjects\\KtTemporary", &found), STATUS_SUCCESS);
    ObDereferenceObject(found);
    KT_EXPECT_EQ(ObCloseHandle(duplicate), STATUS_SUCCESS);
    KT_EXPECT_EQ(KtObLookup(u"\\BaseNamedObjects\\KtTemporary", &found),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    KT_EXPECT_EQ(KtObPoolAllocations(KTOB_TAG), allocations);
    KT_EXPECT_EQ(KtObPoolAllocations(OBP_NAME_TAG), names);
    KT_EXPECT_EQ(KtObPoolAllocations(OBP_DIRECTORY_ENTRY_TAG), entries);
}

KTEST(ObPermanentNameOutlivesItsHandles)
{
    ULONG allocations = KtObPoolAllocations(KTOB_TAG);
    KTOB_OBJECT *object;
    void *found;
    HANDLE handle;

    KT_EXPECT_EQ(KtObInsert(u"\\BaseNamedObjects\\KtPermanent", OBJ_PERMANENT, KTOB_QUERY,
                            &object, &handle), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    ObDereferenceObject(object);
    KT_EXPECT_EQ(KtObLookup(u"\\BaseNamedObjects\\KtPermanent", &found), STATUS_SUCCESS);
    KT_EXPECT(found == object);
    ObMakeTemporaryObject(found);
    ObDereferenceObject(found);
    KT_EXPECT_EQ(KtObLookup(u"\\BaseNamedObjects\\KtPermanent", &found),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    KT_EXPECT_EQ(KtObPoolAllocations(KTOB_TAG), allocations);
}
