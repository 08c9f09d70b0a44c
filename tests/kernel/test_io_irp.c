// In-kernel tests of driver and device objects, device stacks and IRPs:
// creation and naming, attachment, completion routines (bottom up, and
// STATUS_MORE_PROCESSING_REQUIRED), pending and completion in the issuing
// thread, cancellation, failures, the bugchecks of a driver that breaks
// the rules, and a thread's IRPs cancelled when it ends. The drivers are
// tests/kernel/ktio.c's; every test leaves the pool as it found it.

#include "tests/kernel/ktio.h"
#include "tests/kernel/test_dispatcher.h"

#define KT_SENTINEL_STATUS ((NTSTATUS)0x12345678)

typedef struct _KT_IO_POOL {
    ULONG Irps, Devices, Drivers, Files, Buffers;
} KT_IO_POOL;

static void KtIoTakePool(KT_IO_POOL *pool)
{
    pool->Irps = KtPoolTagCount(IO_IRP_TAG);
    pool->Devices = KtPoolTagCount(IO_DEVICE_TAG);
    pool->Drivers = KtPoolTagCount(IO_DRIVER_TAG);
    pool->Files = KtPoolTagCount(IO_FILE_TAG);
    pool->Buffers = KtPoolTagCount(IO_SYSTEM_BUFFER_TAG);
}

static BOOLEAN KtIoPoolIsBack(const KT_IO_POOL *before)
{
    KT_IO_POOL now;

    KtIoTakePool(&now);
    return now.Irps == before->Irps && now.Devices == before->Devices &&
           now.Drivers == before->Drivers && now.Files == before->Files &&
           now.Buffers == before->Buffers;
}

static BOOLEAN KtIoOnMyIrpList(IRP *irp)
{
    ETHREAD *thread = PsGetCurrentThread();

    for (LIST_ENTRY *entry = thread->IrpList.Flink; entry != &thread->IrpList;
         entry = entry->Flink) {
        if (entry == &irp->ThreadListEntry)
            return TRUE;
    }
    return FALSE;
}

// A threaded device-control IRP with a fresh event and a sentinel status block.
static IRP *KtIoBuildControl(ULONG code, DEVICE_OBJECT *device, void *in, ULONG inLength,
                             void *out, ULONG outLength, KEVENT *event, IO_STATUS_BLOCK *iosb)
{
    KeInitializeEvent(event, NotificationEvent, FALSE);
    iosb->Status = KT_SENTINEL_STATUS;
    iosb->Information = 0x77;
    return IoBuildDeviceIoControlRequest(code, device, in, inLength, out, outLength, FALSE,
                                         event, iosb);
}

KTEST(IoCreateDeviceNamesItUnderDeviceAndItsDriver)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    DEVICE_OBJECT *found = NULL;
    KT_IO_POOL before;

    KtIoTakePool(&before);
    KT_EXPECT_EQ(KtIoStartDrivers(), STATUS_SUCCESS);
    RtlInitUnicodeString(&name, KTIO_SYNC_DEVICE);
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    KT_CHECK_EQ(ObReferenceObjectByName(&attributes, IoDeviceObjectType, (void **)&found),
                STATUS_SUCCESS);
    KT_CHECK(found == KtIoSyncDevice);
    if (found)
        ObDereferenceObject(found);
    KT_CHECK_EQ(KtIoSyncDevice->Type, IO_TYPE_DEVICE);
    KT_CHECK_EQ(KtIoSyncDevice->DeviceType, FILE_DEVICE_UNKNOWN);
    KT_CHECK_EQ(KtIoSyncDevice->StackSize, 1);
    KT_CHECK(!(KtIoSyncDevice->Flags & DO_DEVICE_INITIALIZING));    // cleared after DriverEntry
    KT_CHECK(KtIoSyncDevice->Flags & DO_DEVICE_HAS_NAME);
    KT_CHECK(KtIoSyncDevice->DriverObject->DeviceObject == KtIoSyncDevice);
    KT_CHECK(KtIoSyncDevice->DriverObject->Flags & DRVO_INITIALIZED);
    RtlInitUnicodeString(&name, u"\\Driver\\KtIoSync");
    KT_CHECK(RtlEqualUnicodeString(&KtIoSyncDevice->DriverObject->DriverName, &name, FALSE));
    KT_CHECK_EQ(KtIoSyncDevice->DeviceObjectExtension->DeviceObject, KtIoSyncDevice);
    // The name is taken: a second device under it is refused.
    RtlInitUnicodeString(&name, KTIO_SYNC_DEVICE);
    KT_CHECK_EQ(IoCreateDevice(KtIoSyncDevice->DriverObject, 0, &name, FILE_DEVICE_UNKNOWN, 0,
                               FALSE, &found),
                STATUS_OBJECT_NAME_COLLISION);
    KtIoStopDrivers();
    KT_CHECK_EQ(ObReferenceObjectByName(&attributes, IoDeviceObjectType, (void **)&found),
                STATUS_OBJECT_NAME_NOT_FOUND);
    KT_CHECK(KtIoPoolIsBack(&before));
}

static DEVICE_OBJECT *KtIoDoomedDevice;

static NTSTATUS KtIoFailingEntry(DRIVER_OBJECT *driver, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name;

    RtlInitUnicodeString(&name, u"\\Device\\KtIoDoomed");
    if (!NT_SUCCESS(IoCreateDevice(driver, 64, &name, FILE_DEVICE_UNKNOWN, 0, FALSE,
                                   &KtIoDoomedDevice)))
        return STATUS_UNSUCCESSFUL;
    return STATUS_DEVICE_NOT_READY;
}

KTEST(IoCreateDriverThatFailsLeavesNothing)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    void *found;
    KT_IO_POOL before;

    KtIoTakePool(&before);
    RtlInitUnicodeString(&name, u"\\Driver\\KtIoDoomed");
    KT_EXPECT_EQ(IoCreateDriver(&name, KtIoFailingEntry), STATUS_DEVICE_NOT_READY);
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    KT_CHECK_EQ(ObReferenceObjectByName(&attributes, NULL, &found),
                STATUS_OBJECT_NAME_NOT_FOUND);
    RtlInitUnicodeString(&name, u"\\Device\\KtIoDoomed");
    KT_CHECK_EQ(ObReferenceObjectByName(&attributes, NULL, &found),
                STATUS_OBJECT_NAME_NOT_FOUND);
    KT_CHECK(KtIoPoolIsBack(&before));
}

KTEST(IoAttachDeviceToDeviceStackStacksDevicesAndSizes)
{
    DEVICE_OBJECT *lower;

    KT_EXPECT_EQ(KtIoStartDrivers(), STATUS_SUCCESS);
    KT_CHECK(IoGetAttachedDevice(KtIoBottomDevice) == KtIoTopDevice);
    KT_CHECK(KtIoBottomDevice->AttachedDevice == KtIoMiddleDevice);
    KT_CHECK(KtIoMiddleDevice->DeviceObjectExtension->AttachedTo == KtIoBottomDevice);
    KT_CHECK_EQ(KtIoMiddleDevice->StackSize, 2);
    KT_CHECK_EQ(KtIoTopDevice->StackSize, 3);
    lower = IoGetLowerDeviceObject(KtIoTopDevice);
    KT_CHECK(lower == KtIoMiddleDevice);
    if (lower)
        ObDereferenceObject(lower);
    KT_CHECK(IoGetLowerDeviceObject(KtIoBottomDevice) == NULL);
    lower = IoGetAttachedDeviceReference(KtIoMiddleDevice);
    KT_CHECK(lower == KtIoTopDevice);
    ObDereferenceObject(lower);
    // A device cannot be attached twice.
    KT_CHECK(IoAttachDeviceToDeviceStack(KtIoMiddleDevice, KtIoSyncDevice) == NULL);
    KtIoStopDrivers();
}

KTEST(IoCompleteRequestRunsCompletionRoutinesBottomUp)
{
    char in[8] = "echo!", out[8] = {0};
    IO_STATUS_BLOCK iosb;
    KEVENT event;
    KT_IO_POOL before;
    IRP *irp;

    KtIoTakePool(&before);
    KT_EXPECT_EQ(KtIoStartDrivers(), STATUS_SUCCESS);
    irp = KtIoBuildControl(IOCTL_KTIO_ECHO, KtIoTopDevice, in, 6, out, sizeof(out), &event,
                           &iosb);
    KT_CHECK(irp != NULL);
    if (irp) {
        KT_CHECK_EQ(irp->StackCount, 3);
        KT_CHECK(KtIoOnMyIrpList(irp));     // threaded from the start
        KT_CHECK_EQ(IoCallDriver(KtIoTopDevice, irp), STATUS_SUCCESS);
        KT_CHECK_EQ(KtIoCounters.Completions, 2);
        KT_CHECK_EQ(KtIoCounters.CompletionOrder[0], 1);    // the middle's first
        KT_CHECK_EQ(KtIoCounters.CompletionOrder[1], 2);
        KT_CHECK_EQ(iosb.Status, STATUS_SUCCESS);
        KT_CHECK_EQ(iosb.Information, 6);
        KT_CHECK(memcmp(out, "echo!", 6) == 0);
        KT_CHECK_EQ(KeReadStateEvent(&event), 1);
        KT_CHECK(IsListEmpty(&PsGetCurrentThread()->IrpList));
    }
    KtIoStopDrivers();
    KT_CHECK(KtIoPoolIsBack(&before));
}

KTEST(MoreProcessingRequiredGivesTheIrpBackToTheDriver)
{
    IO_STATUS_BLOCK iosb;
    KEVENT event;
    IRP *irp;

    KT_EXPECT_EQ(KtIoStartDrivers(), STATUS_SUCCESS);
    KtIoMiddleTakesOver = TRUE;
    KtIoTakenIrp = NULL;
    irp = KtIoBuildControl(IOCTL_KTIO_NEEDS_READ, KtIoTopDevice, NULL, 0, NULL, 0, &event,
                           &iosb);
    KT_CHECK(irp != NULL);
    if (irp) {
        IoCallDriver(KtIoTopDevice, irp);
        // Stopped at the middle: the top's routine has not run, the caller
        // has not been told, the IRP is still the thread's.
        KT_CHECK(KtIoTakenIrp == irp);
        KT_CHECK_EQ(KtIoCounters.Completions, 1);
        KT_CHECK_EQ(iosb.Status, KT_SENTINEL_STATUS);
        KT_CHECK_EQ(KeReadStateEvent(&event), 0);
        KT_CHECK(KtIoOnMyIrpList(irp));
        // The middle driver completes it again: on up from its location.
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        KT_CHECK_EQ(KtIoCounters.Completions, 2);
        KT_CHECK_EQ(KtIoCounters.CompletionOrder[1], 2);
        KT_CHECK_EQ(iosb.Status, STATUS_SUCCESS);
        KT_CHECK_EQ(KeReadStateEvent(&event), 1);
        KT_CHECK(IsListEmpty(&PsGetCurrentThread()->IrpList));
    }
    KtIoStopDrivers();
}

KTEST(PendingIrpCompletesLaterInItsThread)
{
    IO_STATUS_BLOCK iosb;
    KEVENT event;
    KT_IO_POOL before;
    IRP *irp;

    KtIoTakePool(&before);
    KT_EXPECT_EQ(KtIoStartDrivers(), STATUS_SUCCESS);
    irp = KtIoBuildControl(IOCTL_KTIO_HOLD, KtIoPendDevice, NULL, 0, NULL, 0, &event, &iosb);
    KT_CHECK(irp != NULL);
    if (irp) {
        KT_CHECK_EQ(IoCallDriver(KtIoPendDevice, irp), STATUS_PENDING);
        KT_CHECK_EQ(KtIoHeldCount(), 1);
        KT_CHECK(KtIoOnMyIrpList(irp));
        KT_CHECK_EQ(iosb.Status, KT_SENTINEL_STATUS);
        KT_CHECK_EQ(KeReadStateEvent(&event), 0);
        KtIoCompleteHeld(STATUS_SUCCESS);
        KT_CHECK_EQ(KtWait(&event), STATUS_WAIT_0);
        KT_CHECK_EQ(iosb.Status, STATUS_SUCCESS);
        KT_CHECK(IsListEmpty(&PsGetCurrentThread()->IrpList));
    }
    KtIoStopDrivers();
    KT_CHECK(KtIoPoolIsBack(&before));
}

KTEST(IoCancelIrpRunsTheCancelRoutineOnce)
{
    IO_STATUS_BLOCK iosb;
    KEVENT event;
    IRP *irp;

    KT_EXPECT_EQ(KtIoStartDrivers(), STATUS_SUCCESS);
    irp = KtIoBuildControl(IOCTL_KTIO_HOLD, KtIoPendDevice, NULL, 0, NULL, 0, &event, &iosb);
    KT_CHECK(irp != NULL);
    if (irp) {
        KT_CHECK_EQ(IoCallDriver(KtIoPendDevice, irp), STATUS_PENDING);
        KT_CHECK(IoCancelIrp(irp));
        KT_CHECK_EQ(KtWait(&event), STATUS_WAIT_0);
        KT_CHECK_EQ(iosb.Status, STATUS_CANCELLED);
        KT_CHECK_EQ(KtIoCounters.Cancels, 1);
        KT_CHECK_EQ(KtIoHeldCount(), 0);
    }
    // An IRP no driver holds has no routine: marked cancelled, nothing run.
    irp = IoAllocateIrp(1, FALSE);
    KT_CHECK(irp != NULL);
    if (irp) {
        KT_CHECK(!IoCancelIrp(irp));
        KT_CHECK(irp->Cancel);
        IoFreeIrp(irp);
    }
    KtIoStopDrivers();
}

KTEST(RequestFailedAtOnceTellsOnlyTheStatus)
{
    IO_STATUS_BLOCK iosb;
    KEVENT event;
    IRP *irp;

    KT_EXPECT_EQ(KtIoStartDrivers(), STATUS_SUCCESS);
    irp = KtIoBuildControl(IOCTL_KTIO_ECHO, KtIoFailDevice, NULL, 0, NULL, 0, &event, &iosb);
    KT_CHECK(irp != NULL);
    if (irp) {
        KT_CHECK_EQ(IoCallDriver(KtIoFailDevice, irp), STATUS_DEVICE_NOT_READY);
        KT_CHECK_EQ(iosb.Status, KT_SENTINEL_STATUS);
        KT_CHECK_EQ(KeReadStateEvent(&event), 0);
        KT_CHECK(IsListEmpty(&PsGetCurrentThread()->IrpList));
    }
    // Failed after pending: the caller is told through the block and event.
    irp = KtIoBuildControl(IOCTL_KTIO_HOLD, KtIoPendDevice, NULL, 0, NULL, 0, &event, &iosb);
    KT_CHECK(irp != NULL);
    if (irp) {
        KT_CHECK_EQ(IoCallDriver(KtIoPendDevice, irp), STATUS_PENDING);
        KtIoCompleteHeld(STATUS_DEVICE_NOT_READY);
        KT_CHECK_EQ(KtWait(&event), STATUS_WAIT_0);
        KT_CHECK_EQ(iosb.Status, STATUS_DEVICE_NOT_READY);
    }
    KtIoStopDrivers();
}

KTEST(SynchronousFsdReadGoesThroughASystemBuffer)
{
    UCHAR data[16];
    LARGE_INTEGER offset = {.QuadPart = 0x40};
    IO_STATUS_BLOCK iosb;
    KEVENT event;
    IRP *irp;

    KT_EXPECT_EQ(KtIoStartDrivers(), STATUS_SUCCESS);
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    memset(data, 0, sizeof(data));
    irp = IoBuildSynchronousFsdRequest(IRP_MJ_READ, KtIoBottomDevice, data, sizeof(data), &offset,
                                       &event, &iosb);
    KT_CHECK(irp != NULL);
    if (irp) {
        KT_CHECK(irp->Flags & IRP_BUFFERED_IO);
        // The bottom driver holds reads; the stack's filters are not in the way.
        KT_CHECK_EQ(IoCallDriver(KtIoBottomDevice, irp), STATUS_PENDING);
        KtIoCompleteHeld(STATUS_SUCCESS);
        KT_CHECK_EQ(KtWait(&event), STATUS_WAIT_0);
        KT_CHECK_EQ(iosb.Information, sizeof(data));
        KT_CHECK_EQ(data[0], 0x5A);
        KT_CHECK_EQ(data[15], 0x5A);
    }
    KT_CHECK(IoBuildSynchronousFsdRequest(IRP_MJ_CREATE, KtIoSyncDevice, NULL, 0, NULL, &event,
                                          &iosb) == NULL);
    KtIoStopDrivers();
}

static void KtIoNeverCalled(DEVICE_OBJECT *device, IRP *irp)
{
    KtFail(__FILE__, __LINE__, "a cancel routine ran");
}

KTEST(DriverBreakingIrpRulesBugchecks)
{
    KJUMP_BUFFER resume;
    IRP *irp = IoAllocateIrp(2, FALSE);

    KT_EXPECT(irp != NULL);
    // Completed twice: past its last location.
    irp->IoStatus.Status = STATUS_SUCCESS;
    irp->CurrentLocation = irp->StackCount + 2;
    if (KiSetJump(&resume) == 0) {
        KiExpectBugCheck(MULTIPLE_IRP_COMPLETE_REQUESTS, &resume);
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        KiClearExpectedBugCheck();
        KtFail(__FILE__, __LINE__, "a second completion was taken");
    }
    KT_CHECK_EQ(KiBugCheckData.Parameter[0], (ULONG64)irp);
    irp->CurrentLocation = irp->StackCount + 1;
    // Completed with a cancel routine still set.
    IoSetCancelRoutine(irp, KtIoNeverCalled);
    if (KiSetJump(&resume) == 0) {
        KiExpectBugCheck(CANCEL_STATE_IN_COMPLETED_IRP, &resume);
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        KiClearExpectedBugCheck();
        KtFail(__FILE__, __LINE__, "a completion with a cancel routine was taken");
    }
    IoSetCancelRoutine(irp, NULL);
    // Passed down past its last location.
    irp->CurrentLocation = 1;
    if (KiSetJump(&resume) == 0) {
        KiExpectBugCheck(NO_MORE_IRP_STACK_LOCATIONS, &resume);
        IoCallDriver(KtIoSyncDevice, irp);
        KiClearExpectedBugCheck();
        KtFail(__FILE__, __LINE__, "a call past the last location was taken");
    }
    IoFreeIrp(irp);
}

typedef struct _KT_IO_ISSUER {
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    NTSTATUS Status;
    volatile LONG Issued;
} KT_IO_ISSUER;

// Issues a held read and ends without waiting for it.
static void KtIoIssueAndLeave(void *context)
{
    KT_IO_ISSUER *issuer = context;
    static UCHAR buffer[32];
    IRP *irp = IoBuildSynchronousFsdRequest(IRP_MJ_READ, KtIoPendDevice, buffer, sizeof(buffer),
                                            NULL, &issuer->Event, &issuer->Iosb);

    issuer->Status = irp ? IoCallDriver(KtIoPendDevice, irp) : STATUS_INSUFFICIENT_RESOURCES;
    issuer->Issued = 1;
    PsTerminateSystemThread(STATUS_SUCCESS);
}

KTEST(EndingThreadCancelsItsIrps)
{
    KT_IO_ISSUER issuer;
    KT_IO_POOL before;
    ETHREAD *thread;

    KtIoTakePool(&before);
    KT_EXPECT_EQ(KtIoStartDrivers(), STATUS_SUCCESS);
    memset(&issuer, 0, sizeof(issuer));
    KeInitializeEvent(&issuer.Event, NotificationEvent, FALSE);
    issuer.Iosb.Status = KT_SENTINEL_STATUS;
    thread = KtStartThread(KtIoIssueAndLeave, &issuer, 8);
    KT_CHECK(thread != NULL);
    if (thread) {
        KT_CHECK(KtJoinThread(thread));
        KT_CHECK_EQ(issuer.Status, STATUS_PENDING);
        KT_CHECK_EQ(KtIoCounters.Cancels, 1);
        KT_CHECK_EQ(KtIoHeldCount(), 0);
        KT_CHECK_EQ(issuer.Iosb.Status, STATUS_CANCELLED);
        KT_CHECK_EQ(KeReadStateEvent(&issuer.Event), 1);
    }
    KtIoStopDrivers();
    KT_CHECK(KtIoPoolIsBack(&before));
}

extern ULONG IopCancelThreadIoWaits;

// Issues a request the driver will not let go of, and ends.
static void KtIoIssueUncancellableAndLeave(void *context)
{
    KT_IO_ISSUER *issuer = context;
    IRP *irp = IoBuildDeviceIoControlRequest(IOCTL_KTIO_HOLD_UNCANCELLABLE, KtIoPendDevice, NULL,
                                             0, NULL, 0, FALSE, &issuer->Event, &issuer->Iosb);

    issuer->Status = irp ? IoCallDriver(KtIoPendDevice, irp) : STATUS_INSUFFICIENT_RESOURCES;
    PsTerminateSystemThread(STATUS_SUCCESS);
}

// A driver that ignores the cancellation keeps the IRP past the thread's
// wait for it (shortened here from NT's five minutes): the IRP loses its
// thread, the thread ends, and the IRP's later completion is finished
// without it, leaving nothing.
KTEST(IrpNotCancelledInTimeIsLeftByItsEndingThread)
{
    ULONG savedWaits = IopCancelThreadIoWaits;
    KT_IO_ISSUER issuer;
    KT_IO_POOL before;
    ETHREAD *thread;

    KtIoTakePool(&before);
    KT_EXPECT_EQ(KtIoStartDrivers(), STATUS_SUCCESS);
    memset(&issuer, 0, sizeof(issuer));
    KeInitializeEvent(&issuer.Event, NotificationEvent, FALSE);
    issuer.Iosb.Status = KT_SENTINEL_STATUS;
    IopCancelThreadIoWaits = 2;
    thread = KtStartThread(KtIoIssueUncancellableAndLeave, &issuer, 8);
    KT_CHECK(thread != NULL);
    if (thread) {
        KT_CHECK(KtJoinThread(thread));
        KT_CHECK_EQ(issuer.Status, STATUS_PENDING);
        KT_CHECK_EQ(KtIoHeldCount(), 1);        // still the driver's
        KT_CHECK_EQ(KtPoolTagCount(IO_IRP_TAG), before.Irps + 1);
        KtIoCompleteHeld(STATUS_SUCCESS);
        // A kernel issuer is still told (its memory is not the thread's).
        KT_CHECK_EQ(issuer.Iosb.Status, STATUS_SUCCESS);
        KT_CHECK_EQ(KeReadStateEvent(&issuer.Event), 1);
    }
    IopCancelThreadIoWaits = savedWaits;
    KtIoStopDrivers();
    KT_CHECK(KtIoPoolIsBack(&before));
}
