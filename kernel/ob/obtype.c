// Object types as objects: each OBJECT_TYPE made here is the body of an
// object of type "Type", and is named in `\ObjectTypes` as on NT. The Type
// type is its own type.

#include "ob/ob.h"
#include "mm/mm.h"

OBJECT_TYPE *ObpTypeObjectType;

// Names a type object in `\ObjectTypes`, after its own Name.
static NTSTATUS ObpNameTypeObject(OBJECT_TYPE *type)
{
    WCHAR buffer[32];
    UNICODE_STRING name = {0, sizeof(buffer), buffer};

    RtlAsciiToUnicodeString(&name, type->Name);
    return ObpInsertNameAt(ObpTypeDirectoryObject, &name, OBJ_PERMANENT, type, NULL);
}

// The first type cannot be created by ObCreateObject of its own type, so it
// is made under a stand-in type, then moved onto its own list.
static NTSTATUS ObpCreateTypeObjectType(void)
{
    static const OBJECT_TYPE_INITIALIZER initializer = {.PoolTag = OBP_TYPE_TAG};
    OBJECT_TYPE standIn;
    OBJECT_TYPE *type;
    OBJECT_HEADER *header;
    NTSTATUS status;

    ObInitializeType(&standIn, "Type", &initializer);
    status = ObCreateObject(&standIn, sizeof(OBJECT_TYPE), (void **)&type);
    if (!NT_SUCCESS(status))
        return status;
    ObInitializeType(type, "Type", &initializer);
    header = OBJECT_TO_OBJECT_HEADER(type);
    RemoveEntryList(&header->TypeListEntry);
    header->Type = type;
    InsertTailList(&type->TypeList, &header->TypeListEntry);
    type->TotalNumberOfObjects = type->HighWaterNumberOfObjects = 1;
    ObpTypeObjectType = type;
    return STATUS_SUCCESS;
}

NTSTATUS ObCreateObjectType(const char *name, const OBJECT_TYPE_INITIALIZER *initializer,
                            OBJECT_TYPE **result)
{
    OBJECT_TYPE *type;
    NTSTATUS status;

    if (!ObpTypeObjectType) {
        status = ObpCreateTypeObjectType();
        if (!NT_SUCCESS(status))
            return status;
    }
    status = ObCreateObject(ObpTypeObjectType, sizeof(OBJECT_TYPE), (void **)&type);
    if (!NT_SUCCESS(status))
        return status;
    ObInitializeType(type, name, initializer);
    // Before the namespace exists, ObInitSystem names the early types.
    if (ObpTypeDirectoryObject) {
        status = ObpNameTypeObject(type);
        if (!NT_SUCCESS(status)) {
            ObDereferenceObject(type);
            return status;
        }
        ObDereferenceObject(type);      // the permanent name keeps it
    }
    *result = type;
    return STATUS_SUCCESS;
}

// Names every type made before `\ObjectTypes` existed, the Type type among
// them, and drops the creation reference each was holding for its name.
NTSTATUS ObpNameEarlyTypes(void)
{
    LIST_ENTRY *entry = ObpTypeObjectType->TypeList.Flink;

    while (entry != &ObpTypeObjectType->TypeList) {
        OBJECT_TYPE *type = OBJECT_HEADER_TO_OBJECT(CONTAINING_RECORD(entry, OBJECT_HEADER,
                                                                      TypeListEntry));
        NTSTATUS status;

        entry = entry->Flink;
        status = ObpNameTypeObject(type);
        if (!NT_SUCCESS(status))
            return status;
        ObDereferenceObject(type);
    }
    return STATUS_SUCCESS;
}
