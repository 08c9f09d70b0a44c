// I/O work items (IoAllocateWorkItem, IoQueueWorkItem, IoFreeWorkItem): an
// executive work item owned by a device object, as NT's, whose routine,
// IopProcessWorkItem, calls the driver's routine with the device and then
// drops the reference that kept the device (and so its driver) alive while
// the item waited. That is why a worker's stack reads
// ...driver routine / nt!IopProcessWorkItem / nt!ExpWorkerThread.

#include "io/io.h"
#include "mm/mm.h"

#define IO_TYPE_WORKITEM 0x16       // Sleuth's own marker in IO_WORKITEM.Type

IO_WORKITEM *IoAllocateWorkItem(DEVICE_OBJECT *ioObject)
{
    IO_WORKITEM *ioWorkItem;

    if ((ULONG_PTR)ioObject < EXP_SYSTEM_RANGE_START ||
        ObGetObjectType(ioObject) != IoDeviceObjectType)
        KeBugCheckEx(WORKER_INVALID, WORKER_INVALID_IO_OBJECT, 0,
                     (ULONG64)(ULONG_PTR)ioObject, 0);
    ioWorkItem = ExAllocatePoolWithTag(NonPagedPool, sizeof(*ioWorkItem), IO_WORKITEM_TAG);
    if (!ioWorkItem)
        return NULL;
    memset(ioWorkItem, 0, sizeof(*ioWorkItem));
    ioWorkItem->IoObject = ioObject;
    ioWorkItem->Type = IO_TYPE_WORKITEM;
    return ioWorkItem;
}

void IopProcessWorkItem(void *parameter)
{
    IO_WORKITEM *ioWorkItem = parameter;
    DEVICE_OBJECT *ioObject = ioWorkItem->IoObject;

    // The routine may free the item: only what was read before is used after.
    ioWorkItem->Routine(ioObject, ioWorkItem->Context);
    ObDereferenceObject(ioObject);
}

void IoQueueWorkItem(IO_WORKITEM *ioWorkItem, PIO_WORKITEM_ROUTINE routine,
                     WORK_QUEUE_TYPE queueType, void *context)
{
    if (ioWorkItem->WorkItem.List.Flink)
        KeBugCheckEx(WORKER_INVALID, WORKER_INVALID_ACTIVE_ITEM_QUEUED,
                     (ULONG64)(ULONG_PTR)ioWorkItem, queueType, 0);
    ObReferenceObject(ioWorkItem->IoObject);
    ioWorkItem->Routine = routine;
    ioWorkItem->Context = context;
    ExInitializeWorkItem(&ioWorkItem->WorkItem, IopProcessWorkItem, ioWorkItem);
    ExQueueWorkItem(&ioWorkItem->WorkItem, queueType);
}

void IoFreeWorkItem(IO_WORKITEM *ioWorkItem)
{
    if (ioWorkItem->WorkItem.List.Flink)
        KeBugCheckEx(WORKER_INVALID, WORKER_INVALID_QUEUED_IO_ITEM_FREED,
                     (ULONG64)(ULONG_PTR)ioWorkItem, (ULONG64)(ULONG_PTR)ioWorkItem->Routine, 0);
    ExFreePoolWithTag(ioWorkItem, IO_WORKITEM_TAG);
}
