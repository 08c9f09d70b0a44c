// The object manager tests' test type and helpers.

#include "tests/kernel/test_ob.h"

ULONG KtObDeletions;
static OBJECT_TYPE *KtObTestType;

static void KtObDelete(void *object)
{
    KtObDeletions++;
}

OBJECT_TYPE *KtObType(void)
{
    static const OBJECT_TYPE_INITIALIZER initializer = {
        .PoolTag = KTOB_TAG, .ValidAccessMask = KTOB_ALL_ACCESS, .DeleteProcedure = KtObDelete};

    if (!KtObTestType && !NT_SUCCESS(ObCreateObjectType("KtestObject", &initializer,
                                                        &KtObTestType)))
        return NULL;
    return KtObTestType;
}

KTOB_OBJECT *KtObCreate(void)
{
    KTOB_OBJECT *object;

    if (!KtObType() || !NT_SUCCESS(ObCreateObject(KtObType(), sizeof(*object), (void **)&object)))
        return NULL;
    return object;
}

ULONG KtObPoolAllocations(ULONG tag)
{
    ULONG allocations;
    SIZE_T bytes;

    ExQueryPoolTagUsage(tag, &allocations, &bytes);
    return allocations;
}

NTSTATUS KtObInsert(const WCHAR *name, ULONG attributes, ACCESS_MASK access,
                    KTOB_OBJECT **object, HANDLE *handle)
{
    UNICODE_STRING objectName;
    OBJECT_ATTRIBUTES attributesBlock;
    KTOB_OBJECT *created = KtObCreate();

    if (!created)
        return STATUS_INSUFFICIENT_RESOURCES;
    RtlInitUnicodeString(&objectName, name);
    InitializeObjectAttributes(&attributesBlock, name ? &objectName : NULL, attributes, NULL,
                               NULL);
    return ObInsertObject(created, &attributesBlock, access, (void **)object, handle);
}

NTSTATUS KtObLookup(const WCHAR *name, void **object)
{
    UNICODE_STRING objectName;
    OBJECT_ATTRIBUTES attributes;

    RtlInitUnicodeString(&objectName, name);
    InitializeObjectAttributes(&attributes, &objectName, OBJ_CASE_INSENSITIVE, NULL, NULL);
    return ObReferenceObjectByName(&attributes, NULL, object);
}
