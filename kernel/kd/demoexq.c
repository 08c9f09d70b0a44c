// demo=exqueue: the third case study's stuck Delayed worker queue. A
// "multipath" driver queues I/O work items whose routine
// (KdDemoMpioPathVerify) calls into a "DSM" that waits for an event nobody
// will ever set; an "SMB" driver queues its own items behind them. The
// Delayed queue's three static threads block in the DSM; the balance
// manager sees the queue make no progress and adds dynamic threads, which
// take one item each and block too, until the limit of 16; then the items
// just pile up. The break-in finds what the case study found: 16 dynamic
// threads blocked in one driver and 18,023 items pending.
//
// Only the balance manager's pace is changed, and only while the demo sets
// up: its pass comes every 50 ms instead of every second, so that the 16
// threads arrive in about two seconds rather than thirty. The rules are
// NT's, unchanged; the interval is back to a second before the break-in.

#include "kd/kd.h"
#include "io/io.h"
#include "arch/x86_64/hal.h"

#define KD_DEMO_EXQUEUE_PENDING 18023       // what the case study counted
#define KD_DEMO_EXQUEUE_FAST_MS 50
#define KD_DEMO_EXQUEUE_LIMIT_MS 30000
#define KD_DEMO_SMB_EVERY 5                 // one item in five is the SMB driver's

KEVENT KdDemoDsmEvent;                      // the storage that never answers
DEVICE_OBJECT *KdDemoMpioDevice;            // the owner of every item: \Device\MPIODisk0
ULONG KdDemoExQueueItems;                   // how many items the demo queued

// The driver's code is in a section of its own (linker.ld), whose bounds its
// DRIVER_OBJECT gives as DriverStart and DriverSize: built into the kernel
// with IoCreateDriver, it has no image, and the debugger names it from them.
#define KD_DEMO_MPIO_CODE __attribute__((noinline, section("kddemompio")))
extern char __KdDemoMpioStart[], __KdDemoMpioEnd[];

// The DSM's wait for its path: forever. Not inlined, so that the stack of a
// blocked worker shows the driver's frames as the case study's did.
KD_DEMO_MPIO_CODE static void KdDemoBadDsmWait(void)
{
    KeWaitForSingleObject(&KdDemoDsmEvent, Executive, KernelMode, FALSE, NULL);
}

KD_DEMO_MPIO_CODE static void KdDemoMpioPathVerify(DEVICE_OBJECT *ioObject, void *context)
{
    KdDemoBadDsmWait();
    IoFreeWorkItem(context);
}

__attribute__((noinline)) static void KdDemoSmbDelayedStartTcpSession(DEVICE_OBJECT *ioObject,
                                                                      void *context)
{
    IoFreeWorkItem(context);
}

static BOOLEAN KdDemoQueueItem(ULONG index)
{
    IO_WORKITEM *item = IoAllocateWorkItem(KdDemoMpioDevice);
    BOOLEAN smb = index >= 19 && index % KD_DEMO_SMB_EVERY == 0;

    if (!item)
        return FALSE;
    IoQueueWorkItem(item, smb ? KdDemoSmbDelayedStartTcpSession : KdDemoMpioPathVerify,
                    DelayedWorkQueue, item);
    return TRUE;
}

// The multipath driver: one device, the owner of the work items.
static NTSTATUS KdDemoMpioDriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name;

    driverObject->DriverStart = __KdDemoMpioStart;
    driverObject->DriverSize = (ULONG)(__KdDemoMpioEnd - __KdDemoMpioStart);
    RtlInitUnicodeString(&name, u"\\Device\\MPIODisk0");
    return IoCreateDevice(driverObject, 0, &name, FILE_DEVICE_MASS_STORAGE, 0, FALSE,
                          &KdDemoMpioDevice);
}

void KdStartExQueueDemo(void)
{
    UNICODE_STRING driverName;
    EX_WORK_QUEUE *queue = &ExWorkerQueue[DelayedWorkQueue];
    ULONG blocked = queue->Info.WorkerCount + EXP_MAX_DYNAMIC_THREADS;
    ULONG total = KD_DEMO_EXQUEUE_PENDING + blocked;
    LARGE_INTEGER tick = {.QuadPart = -(LONG64)KeQueryTimeIncrement()};
    ULONG64 start = KeTickCount;

    KeInitializeEvent(&KdDemoDsmEvent, NotificationEvent, FALSE);
    RtlInitUnicodeString(&driverName, u"\\Driver\\mpio");
    if (!NT_SUCCESS(IoCreateDriver(&driverName, KdDemoMpioDriverEntry))) {
        DbgPrint("Demo: no memory for the exqueue demo\n");
        return;
    }
    ExpSetWorkerTiming(KD_DEMO_EXQUEUE_FAST_MS, EXP_DYNAMIC_THREAD_IDLE_MS);
    for (; KdDemoExQueueItems < total; KdDemoExQueueItems++) {
        if (!KdDemoQueueItem(KdDemoExQueueItems))
            break;
    }
    // Until the last dynamic thread has taken its item and blocked in the
    // DSM (every thread that took one counted in WorkItemsProcessed, none
    // active on the queue: CurrentCount 0), and a pass has recorded what it
    // left. With several processors the last thread runs beside this one:
    // that it exists says nothing of where it has got to.
    while (queue->DynamicThreadCount < EXP_MAX_DYNAMIC_THREADS ||
           queue->WorkItemsProcessed < blocked || queue->WorkerQueue.CurrentCount != 0 ||
           queue->WorkItemsProcessedLastPass != queue->WorkItemsProcessed ||
           queue->QueueDepthLastPass != ExpQueueDepth(DelayedWorkQueue)) {
        if ((KeTickCount - start) * CLOCK_TICK_MICROSECONDS / 1000 > KD_DEMO_EXQUEUE_LIMIT_MS)
            break;
        KeDelayExecutionThread(KernelMode, FALSE, &tick);
    }
    ExpSetWorkerTiming(EXP_BALANCE_INTERVAL_MS, EXP_DYNAMIC_THREAD_IDLE_MS);
    DbgPrint("Demo: the Delayed worker queue is stuck: %u dynamic threads blocked, %u items "
             "pending\n", queue->DynamicThreadCount, ExpQueueDepth(DelayedWorkQueue));
}
