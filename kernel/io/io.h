// The I/O manager's part Sleuth has: I/O work items. There are no drivers
// or DEVICE_OBJECTs yet, so a work item's owner (NT's IoObject: a device or
// driver object) is any object of the object manager. See
// docs/worker-queues.md.
#pragma once

#include "ex/ex.h"
#include "io/iotypes.h"

typedef void (*PIO_WORKITEM_ROUTINE)(void *ioObject, void *context);

// NT's x64 layout, so that `dq ITEM+20` on a pending item shows the
// driver's routine as the third case study reads it.
typedef struct _IO_WORKITEM {
    WORK_QUEUE_ITEM WorkItem;           // its routine is IopProcessWorkItem
    PIO_WORKITEM_ROUTINE Routine;
    void *IoObject;                     // referenced while the item is queued
    void *Context;
    ULONG Type;
    ULONG Spare;
} IO_WORKITEM;

_Static_assert(offsetof(IO_WORKITEM, Routine) == 0x20, "IO_WORKITEM is NT's x64");
_Static_assert(offsetof(IO_WORKITEM, IoObject) == 0x28, "IO_WORKITEM is NT's x64");
_Static_assert(offsetof(IO_WORKITEM, Context) == 0x30, "IO_WORKITEM is NT's x64");

#define IO_WORKITEM_TAG POOL_TAG('I', 'o', 'W', 'I')

// A work item owned by `ioObject` (which must be an object: otherwise
// WORKER_INVALID 3), from nonpaged pool; NULL when the pool is exhausted.
IO_WORKITEM *IoAllocateWorkItem(void *ioObject);
// Queues the item: `routine(IoObject, context)` runs in a worker thread of
// `queueType`. The owner stays referenced until the routine has returned,
// so it cannot go away while the item waits. The item must not be queued
// already (WORKER_INVALID 1).
void IoQueueWorkItem(IO_WORKITEM *ioWorkItem, PIO_WORKITEM_ROUTINE routine,
                     WORK_QUEUE_TYPE queueType, void *context);
// Frees an item that is not queued (a queued one: WORKER_INVALID 2). The
// routine may free its own item.
void IoFreeWorkItem(IO_WORKITEM *ioWorkItem);
// The worker routine of every I/O work item (for the debugger's `!exqueue`).
void IopProcessWorkItem(void *parameter);
