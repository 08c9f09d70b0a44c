// The I/O hop: a thread whose IRP is pending in a driver waits for that
// driver. Each IRP on the thread's IrpList names, at its current stack
// location, the device (and so the driver) that holds it; an IRP held by a
// driver whose code is not on the thread's own stack is one it waits for
// (demo=io: Mup's query pending in \Driver\Smb). Who works for that driver:
// threads blocked in its code (their stacks say so), or its work items in
// a system worker queue, with their position, behind the queue's workers
// (the third case study: SMB's items behind 16 workers blocked in a DSM).

#include "kd/kdwait.h"
#include "kd/kdio.h"
#include "io/io.h"
#include "ex/ex.h"
#include "mm/pool.h"

#define KD_IO_MAX_IRPS   16
#define KD_IO_FRAMES     32
#define KD_IO_MAX_LISTED 8

static const char *const KdpWaitQueueNames[MaximumWorkQueue] = {
    "Critical", "Delayed", "HyperCritical",
};

typedef struct _KD_IO_IRP {
    ULONG64 Irp;
    ULONG64 Device;
    ULONG64 Driver;
    ULONG64 Start;              // the driver's image, 0 for a driver built into nt
    ULONG64 End;
    CHAR Location;
    CHAR StackCount;
} KD_IO_IRP;

typedef struct _KD_IO_WALK {
    ULONG Count;
    KD_IO_IRP Irps[KD_IO_MAX_IRPS];
    BOOLEAN Corrupt;
} KD_IO_WALK;

// The IRP at `address`: where it is current (device, driver, the driver's
// image); its current location in *current if given. FALSE if it is not one.
static BOOLEAN KdpWaitDescribeIrp(ULONG64 address, KD_IO_IRP *slot, IRP *irp,
                                  IO_STACK_LOCATION *current)
{
    IO_STACK_LOCATION location;
    DEVICE_OBJECT device;
    DRIVER_OBJECT driver;

    if (!KdpReadMemory(address, irp, sizeof(*irp)) || irp->Type != IO_TYPE_IRP ||
        irp->StackCount <= 0)
        return FALSE;
    memset(slot, 0, sizeof(*slot));
    memset(&location, 0, sizeof(location));
    slot->Irp = address;
    slot->Location = irp->CurrentLocation;
    slot->StackCount = irp->StackCount;
    if (irp->CurrentLocation >= 1 && irp->CurrentLocation <= irp->StackCount &&
        KdpReadMemory(address + sizeof(IRP) +
                          (ULONG64)(irp->CurrentLocation - 1) * sizeof(IO_STACK_LOCATION),
                      &location, sizeof(location)) &&
        location.DeviceObject &&
        KdpReadMemory((ULONG64)location.DeviceObject, &device, sizeof(device)) &&
        device.Type == IO_TYPE_DEVICE &&
        KdpReadMemory((ULONG64)device.DriverObject, &driver, sizeof(driver)) &&
        driver.Type == IO_TYPE_DRIVER) {
        slot->Device = (ULONG64)location.DeviceObject;
        slot->Driver = (ULONG64)device.DriverObject;
        slot->Start = (ULONG64)driver.DriverStart;
        slot->End = slot->Start + driver.DriverSize;
    }
    if (current)
        *current = location;
    return TRUE;
}

static BOOLEAN KdpWaitCollectIrp(void *context, ULONG64 entry)
{
    KD_IO_WALK *walk = context;
    IRP irp;

    if (walk->Count == KD_IO_MAX_IRPS)
        return FALSE;
    if (!KdpWaitDescribeIrp(entry - FIELD_OFFSET(IRP, ThreadListEntry),
                            &walk->Irps[walk->Count], &irp, NULL)) {
        walk->Corrupt = TRUE;
        return FALSE;
    }
    walk->Count++;
    return TRUE;
}

// An IRP no thread issued (a driver's own, from IoAllocateIrp) that a
// driver sent down: its current location's completion routine is in the
// sender's image, and it is pending in another driver.
typedef struct _KD_IO_SENT {
    ULONG64 SenderStart, SenderEnd;
    KD_IO_IRP Found;
    ULONG64 Completion;
    BOOLEAN Have;
} KD_IO_SENT;

static BOOLEAN KdpWaitFindSentIrp(void *context, const POOL_BLOCK_INFO *block, ULONG64 body)
{
    KD_IO_SENT *sent = context;
    IO_STACK_LOCATION current;
    KD_IO_IRP slot;
    IRP irp;

    (void)block;
    if (!KdpWaitDescribeIrp(body, &slot, &irp, &current) || irp.Tail.Overlay.Thread ||
        !slot.Driver || slot.Start == sent->SenderStart || !current.CompletionRoutine ||
        (ULONG64)current.CompletionRoutine < sent->SenderStart ||
        (ULONG64)current.CompletionRoutine >= sent->SenderEnd)
        return TRUE;
    sent->Found = slot;
    sent->Completion = (ULONG64)current.CompletionRoutine;
    sent->Have = TRUE;
    return FALSE;
}

BOOLEAN KdpWaitStackIn(ULONG64 thread, ULONG64 start, ULONG64 end)
{
    ULONG64 sites[KD_IO_FRAMES];
    KD_STACK_START walk;
    const char *why;
    ULONG count = 0;

    if (!start || !KdpGetThreadStackStart(thread, thread == KdpCurrentThread(), &walk, &why))
        return FALSE;
    count = KdpCollectCallSites(&walk, sites, KD_IO_FRAMES);
    for (ULONG i = 0; i < count; i++) {
        if (sites[i] >= start && sites[i] < end)
            return TRUE;
    }
    return FALSE;
}

// ---- Work items ------------------------------------------------------------------------

typedef struct _KD_IO_ITEM_WALK {
    ULONG64 Driver;
    ULONG64 Start, End;
    ULONG Queue;
    ULONG Position;
    KD_WAIT_ITEMS *Items;
} KD_IO_ITEM_WALK;

static BOOLEAN KdpWaitVisitItem(void *context, ULONG64 entry)
{
    KD_IO_ITEM_WALK *walk = context;
    WORK_QUEUE_ITEM item;
    IO_WORKITEM ioItem;
    ULONG64 driver = 0, routine;

    walk->Position++;
    if (!KdpReadMemory(entry, &item, sizeof(item)))
        return FALSE;
    routine = (ULONG64)(ULONG_PTR)item.WorkerRoutine;
    if (item.WorkerRoutine == IopProcessWorkItem &&
        KdpReadMemory((ULONG64)item.Parameter, &ioItem, sizeof(ioItem))) {
        KdpReadMemory((ULONG64)ioItem.IoObject + FIELD_OFFSET(DEVICE_OBJECT, DriverObject),
                      &driver, sizeof(driver));
        routine = (ULONG64)(ULONG_PTR)ioItem.Routine;
    }
    if (driver == walk->Driver || (walk->Start && routine >= walk->Start && routine < walk->End)) {
        if (!walk->Items->Count++) {
            walk->Items->Queue = walk->Queue;
            walk->Items->FirstPosition = walk->Position;
        }
    }
    return TRUE;
}

void KdpWaitFindDriverItems(ULONG64 driver, KD_WAIT_ITEMS *items)
{
    DRIVER_OBJECT object;
    KD_IO_ITEM_WALK walk = { driver, 0, 0, 0, 0, items };

    memset(items, 0, sizeof(*items));
    if (KdpReadMemory(driver, &object, sizeof(object)) && object.DriverStart) {
        walk.Start = (ULONG64)object.DriverStart;
        walk.End = walk.Start + object.DriverSize;
    }
    for (ULONG queue = 0; queue < MaximumWorkQueue; queue++) {
        ULONG before = items->Count;

        walk.Queue = queue;
        walk.Position = 0;
        KdpWalkList((ULONG64)&ExWorkerQueue[queue] +
                        FIELD_OFFSET(EX_WORK_QUEUE, WorkerQueue.EntryListHead),
                    "EntryListHead", KdpWaitVisitItem, &walk);
        if (!before && items->Count)
            items->Pending = walk.Position;
    }
}

typedef struct _KD_IO_WORKERS {
    ULONG64 Queue;
    ULONG Blocked;
    ULONG Idle;
    ULONG64 Oldest;
    ULONG64 OldestTime;
} KD_IO_WORKERS;

static BOOLEAN KdpWaitVisitWorker(void *context, ULONG64 entry)
{
    KD_IO_WORKERS *workers = context;
    ULONG64 thread = entry - FIELD_OFFSET(KTHREAD, QueueListEntry);
    const KD_WAIT_THREAD *known = KdpWaitFindThread(thread);
    KWAIT_BLOCK block;
    KTHREAD tcb;

    if (!KdpReadMemory(thread, &tcb, sizeof(tcb)))
        return FALSE;
    if (tcb.State == Waiting && tcb.WaitReason == WrQueue && tcb.WaitBlockList &&
        KdpReadMemory((ULONG64)tcb.WaitBlockList, &block, sizeof(block)) &&
        (ULONG64)block.Object == workers->Queue) {
        workers->Idle++;
        return TRUE;
    }
    if (tcb.State != Waiting)
        return TRUE;
    workers->Blocked++;
    if (known && (!workers->Oldest || tcb.WaitTime < workers->OldestTime)) {
        workers->Oldest = thread;
        workers->OldestTime = tcb.WaitTime;
    }
    return TRUE;
}

// ---- The hop -------------------------------------------------------------------------------

static void KdpWaitPrintIrp(const KD_IO_IRP *irp, BOOLEAN own)
{
    char driver[KD_IO_NAME];

    KdpDriverNameOf(irp->Driver, driver, sizeof(driver));
    KdpPrint("    IRP %016llx: stack location %d of %d is current, device %016llx (%s)%s "
             "(!irp %llx)\n", (unsigned long long)irp->Irp, irp->Location, irp->StackCount,
             (unsigned long long)irp->Device, driver[0] ? driver : "?",
             own ? ": that driver's code is on this thread's stack" : "",
             (unsigned long long)irp->Irp);
}

BOOLEAN KdpWaitIrpStep(ULONG64 thread, ULONG flags, KD_WAIT_STEP *step)
{
    static KD_IO_WALK walk;
    static KD_IO_IRP sent;
    const KD_IO_IRP *held = NULL;
    KD_WAIT_ITEMS items;
    char driver[KD_IO_NAME];
    ULONG working = 0;
    ULONG64 first = 0, firstTime = 0;

    walk.Count = 0;
    walk.Corrupt = FALSE;
    if (!KdpWalkList(thread + FIELD_OFFSET(ETHREAD, IrpList), "The thread's IrpList",
                     KdpWaitCollectIrp, &walk) && !walk.Count)
        return FALSE;
    for (ULONG i = 0; i < walk.Count; i++) {
        BOOLEAN own = !walk.Irps[i].Driver ||
                      KdpWaitStackIn(thread, walk.Irps[i].Start, walk.Irps[i].End);

        if (flags & KD_WAIT_DETAIL)
            KdpWaitPrintIrp(&walk.Irps[i], own);
        if (!own)
            held = &walk.Irps[i];           // the newest one held elsewhere
    }
    if (walk.Corrupt && (flags & KD_WAIT_DETAIL))
        KdpPrint("    (the IrpList holds something that is not an IRP: corrupt?)\n");
    // Every IRP of the thread is in a driver whose code it runs: the driver
    // may wait for a request of its own it sent another driver (the
    // redirector for its transport's connect).
    for (ULONG i = 0; !held && i < walk.Count; i++) {
        KD_IO_SENT search = { walk.Irps[i].Start, walk.Irps[i].End, { 0 }, 0, FALSE };
        KD_POOL_SCAN scan = { "Irp?", POOL_INDEX_NONPAGED, 0, KdpWaitFindSentIrp, &search,
                              TRUE };
        char sender[KD_IO_NAME], symbol[96];

        if (!walk.Irps[i].Start)
            continue;
        KdpScanPool(&scan);
        if (!search.Have)
            continue;
        sent = search.Found;
        held = &sent;
        if (flags & KD_WAIT_DETAIL) {
            KdpDriverNameOf(walk.Irps[i].Driver, sender, sizeof(sender));
            KdpFormatAddressSymbol(search.Completion, symbol, sizeof(symbol));
            KdpPrint("    %s, which this thread runs in, sent IRP %016llx (no thread: its own) "
                     "and waits for its completion, %s (!irp %llx)\n", sender,
                     (unsigned long long)sent.Irp, symbol, (unsigned long long)sent.Irp);
        }
    }
    if (!held)
        return FALSE;
    KdpDriverNameOf(held->Driver, driver, sizeof(driver));
    step->Object = held->Driver;
    // Threads in the driver's code.
    for (ULONG i = 0; held->Start && i < KdpWaitIndex.Count; i++) {
        const KD_WAIT_THREAD *other = &KdpWaitIndex.Threads[i];

        if (other->Address == thread || other->State == Terminated ||
            !KdpWaitStackIn(other->Address, held->Start, held->End))
            continue;
        if ((flags & KD_WAIT_DETAIL) && working < KD_IO_MAX_LISTED)
            KdpPrint("    THREAD %016llx has %s's code on its stack: it works for the driver\n",
                     (unsigned long long)other->Address, driver);
        if (!working++ || other->WaitTime < firstTime) {
            first = other->Address;
            firstTime = other->WaitTime;
        }
    }
    if (working) {
        step->End = KdWaitFollow;
        step->Candidate = TRUE;
        step->Next = first;
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "IRP %016llx pending in %s (device %016llx): %u threads in its code, "
                        "the longest blocked is THREAD %016llx", (unsigned long long)held->Irp,
                        driver, (unsigned long long)held->Device, working,
                        (unsigned long long)first);
        return TRUE;
    }
    KdpWaitFindDriverItems(held->Driver, &items);
    if (items.Count) {
        KD_IO_WORKERS workers = { (ULONG64)&ExWorkerQueue[items.Queue], 0, 0, 0, 0 };

        KdpWalkList(workers.Queue + FIELD_OFFSET(EX_WORK_QUEUE, WorkerQueue.ThreadListHead),
                    "ThreadListHead", KdpWaitVisitWorker, &workers);
        if (flags & KD_WAIT_DETAIL)
            KdpPrint("    %u work items of %s wait in the %s queue; the first at position %u "
                     "of %u (%u ahead of it); the queue's workers: %u blocked, %u idle\n",
                     items.Count, driver, KdpWaitQueueNames[items.Queue], items.FirstPosition,
                     items.Pending, items.FirstPosition - 1, workers.Blocked, workers.Idle);
        if (workers.Oldest && !workers.Idle) {
            step->End = KdWaitFollow;
            step->Candidate = TRUE;
            step->Next = workers.Oldest;
            RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                            "IRP %016llx pending in %s: its work item waits at position %u of "
                            "%u in the %s queue, whose %u workers are all blocked; the longest "
                            "is THREAD %016llx", (unsigned long long)held->Irp, driver,
                            items.FirstPosition, items.Pending, KdpWaitQueueNames[items.Queue],
                            workers.Blocked, (unsigned long long)workers.Oldest);
            return TRUE;
        }
    }
    step->End = KdWaitDriver;
    RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                    "IRP %016llx pending in %s (device %016llx, stack location %d of %d): no "
                    "thread is in the driver's code%s", (unsigned long long)held->Irp, driver,
                    (unsigned long long)held->Device, held->Location, held->StackCount,
                    items.Count ? " and its work items wait" : " and it has no work item queued");
    return TRUE;
}
