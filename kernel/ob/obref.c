// Object creation and reference counting.

#include "ob/ob.h"
#include "mm/mm.h"
#include "ps/ps.h"

void ObInitializeType(OBJECT_TYPE *type, const char *name,
                      const OBJECT_TYPE_INITIALIZER *initializer)
{
    memset(type, 0, sizeof(*type));
    type->Name = name;
    type->TypeInfo = *initializer;
    InitializeListHead(&type->TypeList);
    KeInitializeSpinLock(&type->Lock);
}

NTSTATUS ObCreateObject(OBJECT_TYPE *type, ULONG bodySize, void **object)
{
    OBJECT_HEADER *header = ExAllocatePoolWithTag(NonPagedPool,
                                                  FIELD_OFFSET(OBJECT_HEADER, Body) + bodySize,
                                                  type->TypeInfo.PoolTag);
    KIRQL oldIrql;

    if (!header)
        return STATUS_INSUFFICIENT_RESOURCES;
    memset(header, 0, FIELD_OFFSET(OBJECT_HEADER, Body) + bodySize);
    // What the process that inserts it will be charged (ObpInsertObject):
    // its allocation, which is nonpaged pool.
    header->NonPagedPoolCharge = FIELD_OFFSET(OBJECT_HEADER, Body) + bodySize;
    header->PointerCount = 1;
    header->Type = type;
    header->Flags = OB_FLAG_NEW_OBJECT;
    KeAcquireSpinLock(&type->Lock, &oldIrql);
    InsertTailList(&type->TypeList, &header->TypeListEntry);
    if (++type->TotalNumberOfObjects > type->HighWaterNumberOfObjects)
        type->HighWaterNumberOfObjects = type->TotalNumberOfObjects;
    KeReleaseSpinLock(&type->Lock, oldIrql);
    *object = OBJECT_HEADER_TO_OBJECT(header);
    return STATUS_SUCCESS;
}

NTSTATUS ObReferenceObjectByPointer(void *object, OBJECT_TYPE *objectType)
{
    if (objectType && ObGetObjectType(object) != objectType)
        return STATUS_OBJECT_TYPE_MISMATCH;
    ObReferenceObject(object);
    return STATUS_SUCCESS;
}

// The last reference went (count 0), or one too many (below 0).
void ObpDereferenceObjectToZero(void *object, LONG_PTR count)
{
    OBJECT_HEADER *header = OBJECT_TO_OBJECT_HEADER(object);
    OBJECT_TYPE *type = header->Type;
    EPROCESS_QUOTA_BLOCK *quota;
    ULONG pagedCharge, nonPagedCharge;
    KIRQL oldIrql;

    // A handle or a directory entry holds a reference, so neither can remain.
    if (count < 0 || header->HandleCount || (header->NameInfo && header->NameInfo->Directory))
        KeBugCheckEx(REFERENCE_BY_POINTER, (ULONG64)type, (ULONG64)object, (ULONG64)count,
                     (ULONG64)header->HandleCount);
    if (type->TypeInfo.DeleteProcedure)
        type->TypeInfo.DeleteProcedure(object);
    KeAcquireSpinLock(&type->Lock, &oldIrql);
    RemoveEntryList(&header->TypeListEntry);
    type->TotalNumberOfObjects--;
    KeReleaseSpinLock(&type->Lock, oldIrql);
    if (header->NameInfo)
        ExFreePoolWithTag(header->NameInfo, OBP_NAME_TAG);
    ObpDeleteSecurity(header);
    quota = header->QuotaBlockCharged;
    pagedCharge = header->PagedPoolCharge;
    nonPagedCharge = header->NonPagedPoolCharge;
    ExFreePoolWithTag(header, type->TypeInfo.PoolTag);
    if (quota)
        PsReturnSharedPoolQuota(quota, pagedCharge, nonPagedCharge);
}

LONG_PTR ObGetObjectPointerCount(void *object)
{
    return OBJECT_TO_OBJECT_HEADER(object)->PointerCount;
}

LONG_PTR ObGetObjectHandleCount(void *object)
{
    return OBJECT_TO_OBJECT_HEADER(object)->HandleCount;
}

