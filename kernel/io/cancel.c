// Cancellation. A driver that holds an IRP for a while sets a cancel
// routine on it; IoCancelIrp marks the IRP cancelled and calls that
// routine, which completes the IRP with STATUS_CANCELLED. Both sides use
// IoSetCancelRoutine's atomic exchange, so exactly one of them (the
// driver completing the IRP, or the canceller) gets the routine and owns
// the IRP's end. A thread's IRPs are cancelled when it ends
// (IoCancelThreadIo) and by NtCancelIoFile.

#include "io/iop.h"

static KSPIN_LOCK IopCancelSpinLock;

// How long an ending thread waits for its cancelled IRPs before it leaves
// them (NT's five minutes, in 100 ms steps); the tests shorten it.
ULONG IopCancelThreadIoWaits = 3000;

#define IOP_CANCEL_WAIT_100NS (-1000000LL)     // 100 ms
#define IOP_CANCEL_FILE_WAIT_100NS (-100000LL) // 10 ms

void IoAcquireCancelSpinLock(KIRQL *irql)
{
    KeAcquireSpinLock(&IopCancelSpinLock, irql);
}

void IoReleaseCancelSpinLock(KIRQL irql)
{
    KeReleaseSpinLock(&IopCancelSpinLock, irql);
}

BOOLEAN IoCancelIrp(IRP *irp)
{
    PDRIVER_CANCEL routine;
    KIRQL irql;

    if (irp->Type != IO_TYPE_IRP)
        KeBugCheckEx(MULTIPLE_IRP_COMPLETE_REQUESTS, (ULONG64)irp, irp->Type, 3, 0);
    IoAcquireCancelSpinLock(&irql);
    irp->Cancel = TRUE;
    routine = IoSetCancelRoutine(irp, NULL);
    if (!routine) {
        IoReleaseCancelSpinLock(irql);
        return FALSE;
    }
    // A routine is set only while a driver holds the IRP at a location.
    if (irp->CurrentLocation > irp->StackCount)
        KeBugCheckEx(CANCEL_STATE_IN_COMPLETED_IRP, (ULONG64)irp, (ULONG64)routine, 1, 0);
    irp->CancelIrql = irql;
    routine(IoGetCurrentIrpStackLocation(irp)->DeviceObject, irp);
    return TRUE;
}

// Cancels the current thread's IRPs on fileObject (all of them when NULL)
// that are not already completing; returns how many it found. At APC_LEVEL
// the thread's own completion APCs cannot free them in between.
static ULONG IopCancelThreadIrps(ETHREAD *thread, FILE_OBJECT *fileObject, BOOLEAN cancel)
{
    ULONG found = 0;
    KIRQL oldIrql;

    KeRaiseIrql(APC_LEVEL, &oldIrql);
    for (LIST_ENTRY *entry = thread->IrpList.Flink; entry != &thread->IrpList;
         entry = entry->Flink) {
        IRP *irp = CONTAINING_RECORD(entry, IRP, ThreadListEntry);

        if (IopIsCompletionQueued(irp)) {
            if (!fileObject)
                found++;    // still to be run down, by its APC
            continue;
        }
        if (fileObject && irp->Tail.Overlay.OriginalFileObject != fileObject)
            continue;
        found++;
        if (cancel)
            IoCancelIrp(irp);
    }
    KeLowerIrql(oldIrql);
    return found;
}

// What is left after the wait: IRPs whose drivers did not complete them.
// They lose their thread and complete later without it (threadless: the
// caller is not told, what they hold is freed).
static void IopDisassociateThreadIrps(ETHREAD *thread)
{
    KIRQL oldIrql;
    LIST_ENTRY *entry;

    KeAcquireSpinLock(&IopCompletionLock, &oldIrql);
    entry = thread->IrpList.Flink;
    while (entry != &thread->IrpList) {
        IRP *irp = CONTAINING_RECORD(entry, IRP, ThreadListEntry);

        entry = entry->Flink;
        if (IopIsCompletionQueued(irp))
            continue;       // its APC is on its way to this thread
        RemoveEntryList(&irp->ThreadListEntry);
        InitializeListHead(&irp->ThreadListEntry);
        irp->Tail.Overlay.Thread = NULL;
        DbgPrint("IO: IRP %p left by thread %p (not completed after its cancellation)\n", irp,
                 thread);
    }
    KeReleaseSpinLock(&IopCompletionLock, oldIrql);
}

void IoCancelThreadIo(ETHREAD *thread)
{
    LARGE_INTEGER interval = {.QuadPart = IOP_CANCEL_WAIT_100NS};

    if (!IopCancelThreadIrps(thread, NULL, TRUE))
        return;
    for (ULONG wait = 0; wait < IopCancelThreadIoWaits; wait++) {
        if (!IopCancelThreadIrps(thread, NULL, FALSE))
            return;
        KeDelayExecutionThread(KernelMode, FALSE, &interval);
    }
    IopDisassociateThreadIrps(thread);
    // Completions already queued run now.
    while (IopCancelThreadIrps(thread, NULL, FALSE))
        KeDelayExecutionThread(KernelMode, FALSE, &interval);
}

// Cancels the calling thread's requests on the file (not other threads',
// as NT's) and waits for them to complete. STATUS_SUCCESS in the status
// block and as the result; a kill ends the wait.
NTSTATUS NtCancelIoFile(HANDLE fileHandle, IO_STATUS_BLOCK *ioStatusBlock)
{
    ETHREAD *thread = PsGetCurrentThread();
    LARGE_INTEGER interval = {.QuadPart = IOP_CANCEL_FILE_WAIT_100NS};
    IO_STATUS_BLOCK result = {.Status = STATUS_SUCCESS};
    FILE_OBJECT *fileObject;
    NTSTATUS status = ProbeForWrite(ioStatusBlock, sizeof(*ioStatusBlock), sizeof(ULONG));

    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(fileHandle, 0, IoFileObjectType, (void **)&fileObject,
                                       NULL);
    if (!NT_SUCCESS(status))
        return status;
    if (IopCancelThreadIrps(thread, fileObject, TRUE)) {
        while (IopCancelThreadIrps(thread, fileObject, FALSE)) {
            status = KeDelayExecutionThread(UserMode, FALSE, &interval);
            if (status == STATUS_USER_APC || status == STATUS_ALERTED)
                break;
        }
    }
    ObDereferenceObject(fileObject);
    if (status == STATUS_USER_APC || status == STATUS_ALERTED)
        return status;
    return MmCopyToUser(ioStatusBlock, &result, sizeof(result));
}
