// IRPs: their allocation, their journey down a device stack (IoCallDriver)
// and back up (IoCompleteRequest), and the end of a request in the thread
// that issued it (IopCompleteRequest, a special kernel APC): results copied
// to the caller, its event signalled, its APC routine queued, the IRP
// freed. An IRP a thread issues is on its ETHREAD.IrpList from issue to
// that end, which is how a thread that ends finds (and cancels) its I/O.

#include "io/iop.h"

// Serializes a completion's look at the IRP's thread with the thread
// disassociating its IRPs as it ends (cancel.c).
KSPIN_LOCK IopCompletionLock;

void IoInitializeIrp(IRP *irp, USHORT packetSize, CCHAR stackSize)
{
    memset(irp, 0, packetSize);
    irp->Type = IO_TYPE_IRP;
    irp->Size = packetSize;
    irp->StackCount = stackSize;
    irp->CurrentLocation = (CHAR)(stackSize + 1);
    irp->ApcEnvironment = OriginalApcEnvironment;
    InitializeListHead(&irp->ThreadListEntry);
    irp->Tail.Overlay.CurrentStackLocation = (IO_STACK_LOCATION *)(irp + 1) + stackSize;
}

IRP *IoAllocateIrp(CCHAR stackSize, BOOLEAN chargeQuota)
{
    USHORT size;
    IRP *irp;

    if (stackSize < 1)
        return NULL;
    size = IoSizeOfIrp(stackSize);
    irp = ExAllocatePoolWithTag(NonPagedPool, size, IO_IRP_TAG);
    if (!irp)
        return NULL;
    IoInitializeIrp(irp, size, stackSize);
    irp->AllocationFlags = IRP_ALLOCATED_FIXED_SIZE;
    if (chargeQuota)
        irp->AllocationFlags |= IRP_QUOTA_CHARGED;
    return irp;
}

void IoFreeIrp(IRP *irp)
{
    if (irp->Type != IO_TYPE_IRP || !IsListEmpty(&irp->ThreadListEntry))
        KeBugCheckEx(MULTIPLE_IRP_COMPLETE_REQUESTS, (ULONG64)irp, irp->Type, 0, 0);
    irp->Type = 0;      // a second free, or a completion after it, is caught above
    ExFreePoolWithTag(irp, IO_IRP_TAG);
}

// At APC_LEVEL, so that the thread's own completion APCs (the only other
// writers of its list) cannot run in between.
void IoQueueThreadIrp(IRP *irp)
{
    ETHREAD *thread = PsGetCurrentThread();
    KIRQL oldIrql;

    KeRaiseIrql(APC_LEVEL, &oldIrql);
    irp->Tail.Overlay.Thread = thread;
    InsertHeadList(&thread->IrpList, &irp->ThreadListEntry);
    KeLowerIrql(oldIrql);
}

void IopDequeueThreadIrp(IRP *irp)
{
    KIRQL oldIrql;

    KeRaiseIrql(APC_LEVEL, &oldIrql);
    RemoveEntryList(&irp->ThreadListEntry);
    InitializeListHead(&irp->ThreadListEntry);
    KeLowerIrql(oldIrql);
}

NTSTATUS IoCallDriver(DEVICE_OBJECT *deviceObject, IRP *irp)
{
    IO_STACK_LOCATION *stack;
    PDRIVER_DISPATCH dispatch;

    if (irp->Type != IO_TYPE_IRP)
        KeBugCheckEx(MULTIPLE_IRP_COMPLETE_REQUESTS, (ULONG64)irp, irp->Type, 1, 0);
    irp->CurrentLocation--;
    if (irp->CurrentLocation <= 0)
        KeBugCheckEx(NO_MORE_IRP_STACK_LOCATIONS, (ULONG64)irp, 0, 0, 0);
    stack = --irp->Tail.Overlay.CurrentStackLocation;
    stack->DeviceObject = deviceObject;
    dispatch = stack->MajorFunction <= IRP_MJ_MAXIMUM_FUNCTION
                   ? deviceObject->DriverObject->MajorFunction[stack->MajorFunction]
                   : IopInvalidDeviceRequest;
    return dispatch(deviceObject, irp);
}

// The user-mode APC of a completed request has run (or been run down with
// its thread): the IRP carried it and goes now.
static void IopUserCompletion(KAPC *apc, PKNORMAL_ROUTINE *normalRoutine, void **normalContext,
                              void **systemArgument1, void **systemArgument2)
{
    IoFreeIrp(CONTAINING_RECORD(apc, IRP, Tail.Apc));
}

static void IopUserRundown(KAPC *apc)
{
    IoFreeIrp(CONTAINING_RECORD(apc, IRP, Tail.Apc));
}

// What a finished request holds besides the IRP: the system buffer, the
// reference on the caller's event object (a service took it; kernel events
// of IRP_SYNCHRONOUS_API requests are not objects), and the IRP's own
// reference on the file. Returns the file, whose reference the caller drops
// last (dropping it may close the file, which sends another IRP).
static FILE_OBJECT *IopReleaseRequest(IRP *irp, FILE_OBJECT *fileObject)
{
    if ((irp->Flags & IRP_DEALLOCATE_BUFFER) && irp->AssociatedIrp.SystemBuffer) {
        ExFreePoolWithTag(irp->AssociatedIrp.SystemBuffer, IO_SYSTEM_BUFFER_TAG);
        irp->AssociatedIrp.SystemBuffer = NULL;
    }
    if (irp->UserEvent && fileObject && !(irp->Flags & IRP_SYNCHRONOUS_API))
        ObDereferenceObject(irp->UserEvent);
    irp->UserEvent = NULL;
    if (irp->Flags & (IRP_CREATE_OPERATION | IRP_CLOSE_OPERATION))
        return NULL;
    return fileObject;
}

void IopFreeIrpAndBuffers(IRP *irp)
{
    FILE_OBJECT *fileObject = IopReleaseRequest(irp, irp->Tail.Overlay.OriginalFileObject);

    IoFreeIrp(irp);
    if (fileObject)
        ObDereferenceObject(fileObject);
}

// Writes a result where the request's issuer wants it: a user address
// (probed by the service that issued the request, but the caller may have
// freed it since) through MmCopyToUser, a kernel one (the I/O manager's own
// requests, kernel callers) directly.
static NTSTATUS IopCopyToCaller(void *destination, const void *source, SIZE_T length)
{
    if ((ULONG_PTR)destination < MM_USER_PROBE_ADDRESS)
        return MmCopyToUser(destination, source, length);
    memcpy(destination, source, length);
    return STATUS_SUCCESS;
}

// The end of a request, in the thread that issued it (its APC, or its own
// call for a deferred completion). A request that failed without ever
// returning STATUS_PENDING tells its caller nothing but the status the
// service returned: no I/O status block, no event, no APC (NT's rule).
static void IopFinishRequest(IRP *irp, FILE_OBJECT *fileObject)
{
    NTSTATUS status = irp->IoStatus.Status;
    PIO_APC_ROUTINE apcRoutine = irp->Overlay.AsynchronousParameters.UserApcRoutine;

    IopDequeueThreadIrp(irp);
    if ((irp->Flags & (IRP_BUFFERED_IO | IRP_INPUT_OPERATION)) ==
            (IRP_BUFFERED_IO | IRP_INPUT_OPERATION) &&
        !NT_ERROR(status) && irp->IoStatus.Information && irp->UserBuffer) {
        // A buffered read's data reaches the caller's buffer only now.
        if (!NT_SUCCESS(IopCopyToCaller(irp->UserBuffer, irp->AssociatedIrp.SystemBuffer,
                                        irp->IoStatus.Information)))
            irp->IoStatus.Status = status = STATUS_ACCESS_VIOLATION;
    }
    if (NT_ERROR(status) && !irp->PendingReturned) {
        fileObject = IopReleaseRequest(irp, fileObject);
        IoFreeIrp(irp);
        if (fileObject)
            ObDereferenceObject(fileObject);
        return;
    }
    // A caller that gave a bad block learns nothing more (NT's rule).
    if (irp->UserIosb)
        IopCopyToCaller(irp->UserIosb, &irp->IoStatus, sizeof(IO_STATUS_BLOCK));
    if (irp->UserEvent) {
        KeSetEvent(irp->UserEvent, 0, FALSE);
        if (fileObject && (fileObject->Flags & FO_SYNCHRONOUS_IO) &&
            !(irp->Flags & IRP_OB_QUERY_NAME)) {
            fileObject->FinalStatus = status;
            KeSetEvent(&fileObject->Event, 0, FALSE);
        }
    } else if (fileObject) {
        fileObject->FinalStatus = status;
        KeSetEvent(&fileObject->Event, 0, FALSE);
    }
    fileObject = IopReleaseRequest(irp, fileObject);
    if (apcRoutine && !(irp->Flags & IRP_CREATE_OPERATION) && irp->RequestorMode == UserMode) {
        // The IRP carries the caller's APC and goes once it has run.
        KeInitializeApc(&irp->Tail.Apc, &PsGetCurrentThread()->Tcb, CurrentApcEnvironment,
                        IopUserCompletion, IopUserRundown, (PKNORMAL_ROUTINE)(ULONG_PTR)apcRoutine,
                        UserMode, irp->Overlay.AsynchronousParameters.UserApcContext);
        if (!KeInsertQueueApc(&irp->Tail.Apc, irp->UserIosb, NULL, 0))
            IoFreeIrp(irp);
    } else {
        IoFreeIrp(irp);
    }
    if (fileObject)
        ObDereferenceObject(fileObject);
}

void IopCompleteRequest(KAPC *apc, PKNORMAL_ROUTINE *normalRoutine, void **normalContext,
                        void **systemArgument1, void **systemArgument2)
{
    IopFinishRequest(CONTAINING_RECORD(apc, IRP, Tail.Apc), *systemArgument1);
}

void IopCompleteDeferredRequest(IRP *irp)
{
    KIRQL oldIrql;

    KeRaiseIrql(APC_LEVEL, &oldIrql);
    IopFinishRequest(irp, irp->Tail.Overlay.OriginalFileObject);
    KeLowerIrql(oldIrql);
}

void IopFinishDeferredRequest(IRP *irp, DEVICE_OBJECT *deviceObject, NTSTATUS status)
{
    if (irp->CurrentLocation != irp->StackCount + 1)
        KeBugCheckEx(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x3, (ULONG64)irp,
                     (ULONG64)deviceObject, (ULONG64)status);
    IopCompleteDeferredRequest(irp);
}

// A request whose thread is gone (disassociated as the thread ended) or
// that never had one, finished where it completes. A user-mode caller's
// memory may be gone with its thread, so only a kernel caller is told.
// Dropping the file object's last reference sends IRP_MJ_CLOSE and waits,
// which cannot happen above APC_LEVEL: then a worker thread does it.
static void IopFinishThreadlessRequestWorker(void *parameter)
{
    IopFreeIrpAndBuffers(parameter);
}

static void IopFinishThreadlessRequest(IRP *irp, FILE_OBJECT *fileObject)
{
    if (irp->RequestorMode == KernelMode && KeGetCurrentIrql() <= APC_LEVEL) {
        IopFinishRequest(irp, fileObject);
    } else if (KeGetCurrentIrql() <= APC_LEVEL || !fileObject ||
               (irp->Flags & (IRP_CREATE_OPERATION | IRP_CLOSE_OPERATION))) {
        IopFreeIrpAndBuffers(irp);
    } else {
        // The IRP is done with: its driver context holds the work item.
        WORK_QUEUE_ITEM *item = (WORK_QUEUE_ITEM *)irp->Tail.Overlay.DriverContext;

        _Static_assert(sizeof(WORK_QUEUE_ITEM) <= sizeof(irp->Tail.Overlay.DriverContext),
                       "a work item fits in an IRP's DriverContext");
        ExInitializeWorkItem(item, IopFinishThreadlessRequestWorker, irp);
        ExQueueWorkItem(item, DelayedWorkQueue);
    }
}

void IoCompleteRequest(IRP *irp, KPRIORITY priorityBoost)
{
    IO_STACK_LOCATION *stack;
    ETHREAD *thread;
    FILE_OBJECT *fileObject;
    KIRQL oldIrql;

    if (irp->Type != IO_TYPE_IRP || irp->CurrentLocation > irp->StackCount + 1)
        KeBugCheckEx(MULTIPLE_IRP_COMPLETE_REQUESTS, (ULONG64)irp, irp->Type, 2, 0);
    if (irp->CancelRoutine)
        KeBugCheckEx(CANCEL_STATE_IN_COMPLETED_IRP, (ULONG64)irp,
                     (ULONG64)irp->CancelRoutine, 0, 0);
    if (irp->IoStatus.Status == STATUS_PENDING)
        KeBugCheckEx(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x2, (ULONG64)irp, 0, 0);

    // Back up the stack: each location's completion routine belongs to the
    // driver above it and gets that driver's device (none above the top).
    stack = IoGetCurrentIrpStackLocation(irp);
    while (irp->CurrentLocation <= irp->StackCount) {
        PIO_COMPLETION_ROUTINE routine = stack->CompletionRoutine;
        void *context = stack->Context;
        UCHAR control = stack->Control;
        NTSTATUS status = irp->IoStatus.Status;

        irp->CurrentLocation++;
        irp->Tail.Overlay.CurrentStackLocation++;
        irp->PendingReturned = (control & SL_PENDING_RETURNED) != 0;
        stack->Control = 0;
        stack->CompletionRoutine = NULL;
        stack->Context = NULL;
        if (routine && ((NT_SUCCESS(status) && (control & SL_INVOKE_ON_SUCCESS)) ||
                        (!NT_SUCCESS(status) && (control & SL_INVOKE_ON_ERROR)) ||
                        (irp->Cancel && (control & SL_INVOKE_ON_CANCEL)))) {
            DEVICE_OBJECT *device = irp->CurrentLocation == irp->StackCount + 1
                                        ? NULL
                                        : IoGetCurrentIrpStackLocation(irp)->DeviceObject;

            if (routine(device, irp, context) == STATUS_MORE_PROCESSING_REQUIRED)
                return;     // the driver owns the IRP again
        } else if (irp->PendingReturned && irp->CurrentLocation <= irp->StackCount) {
            // No routine to pass the pending on: the location above gets it.
            IoMarkIrpPending(irp);
        }
        stack++;
    }

    // The I/O manager's (a directory query's pattern) goes before Tail.Overlay
    // can become the APC.
    if (irp->Tail.Overlay.AuxiliaryBuffer) {
        ExFreePoolWithTag(irp->Tail.Overlay.AuxiliaryBuffer, IO_NAME_TAG);
        irp->Tail.Overlay.AuxiliaryBuffer = NULL;
    }
    // The I/O manager's own close and cleanup requests: their issuer waits
    // on the event and frees the IRP (IopSynchronousCall).
    if (irp->Flags & IRP_CLOSE_OPERATION) {
        *irp->UserIosb = irp->IoStatus;
        KeSetEvent(irp->UserEvent, priorityBoost, FALSE);
        return;
    }
    // A request whose issuer asked to finish it itself when it did not pend.
    if ((irp->Flags & IRP_DEFER_IO_COMPLETION) && !irp->PendingReturned)
        return;

    // Otherwise in the issuing thread. Once the APC is set up, Tail.Overlay
    // is the APC: CurrentLocation past the stack says so to the thread's
    // rundown (IoCancelThreadIo), which reads the thread under the same lock.
    KeAcquireSpinLock(&IopCompletionLock, &oldIrql);
    thread = irp->Tail.Overlay.Thread;
    fileObject = irp->Tail.Overlay.OriginalFileObject;
    if (thread) {
        __atomic_store_n(&irp->CurrentLocation, (CHAR)(irp->StackCount + 2), __ATOMIC_RELEASE);
        KeInitializeApc(&irp->Tail.Apc, &thread->Tcb, irp->ApcEnvironment, IopCompleteRequest,
                        NULL, NULL, KernelMode, NULL);
        if (KeInsertQueueApc(&irp->Tail.Apc, fileObject, NULL, priorityBoost)) {
            KeReleaseSpinLock(&IopCompletionLock, oldIrql);
            return;
        }
        // A thread past its rundown takes no APC: its IRP ends without it.
        RemoveEntryList(&irp->ThreadListEntry);
        InitializeListHead(&irp->ThreadListEntry);
        irp->CurrentLocation = (CHAR)(irp->StackCount + 1);
        irp->Tail.Overlay.Thread = NULL;
        irp->Tail.Overlay.OriginalFileObject = fileObject;
    }
    KeReleaseSpinLock(&IopCompletionLock, oldIrql);
    IopFinishThreadlessRequest(irp, fileObject);
}
