// NtReadFile and NtWriteFile, and what every user request on a file shares:
// the file and event taken by handle, the synchronous file object's lock,
// the IRP, and the tail that sends it and (for a synchronous file object)
// waits for it. An asynchronous request returns what the driver returned
// (STATUS_PENDING: the I/O status block, the event, the file object and
// the APC routine tell the caller when it is done).

#include "io/iop.h"

NTSTATUS IopReferenceFile(HANDLE fileHandle, ACCESS_MASK access, IOP_CALL *call)
{
    NTSTATUS status;

    memset(call, 0, sizeof(*call));
    status = ObReferenceObjectByHandle(fileHandle, access, IoFileObjectType,
                                       (void **)&call->FileObject, &call->GrantedAccess);
    if (NT_SUCCESS(status))
        call->SynchronousIo = (call->FileObject->Flags & FO_SYNCHRONOUS_IO) != 0;
    return status;
}

// STATUS_SUCCESS, or what ends the call: an error, or the STATUS_ALERTED /
// STATUS_USER_APC that cut short the wait for the file's lock (a success
// code the service returns as it is: callers test for STATUS_SUCCESS).
NTSTATUS IopReferenceEventAndLock(HANDLE eventHandle, IOP_CALL *call)
{
    NTSTATUS status;

    if (eventHandle) {
        status = ObReferenceObjectByHandle(eventHandle, EVENT_MODIFY_STATE, ExEventObjectType,
                                           (void **)&call->Event, NULL);
        if (!NT_SUCCESS(status)) {
            call->Event = NULL;
            IopAbortCall(call);
            return status;
        }
        KeClearEvent(call->Event);
    }
    if (call->SynchronousIo) {
        status = IopAcquireFileObjectLock(call->FileObject);
        if (status != STATUS_SUCCESS) {
            IopAbortCall(call);
            return status;
        }
        call->LockHeld = TRUE;
    }
    return STATUS_SUCCESS;
}

void IopAbortCall(IOP_CALL *call)
{
    if (call->Event)
        ObDereferenceObject(call->Event);
    if (call->LockHeld)
        IopReleaseFileObjectLock(call->FileObject);
    if (call->FileObject)
        ObDereferenceObject(call->FileObject);
    memset(call, 0, sizeof(*call));
}

IRP *IopAllocateCallIrp(IOP_CALL *call, UCHAR majorFunction, IO_STATUS_BLOCK *ioStatusBlock,
                        PIO_APC_ROUTINE apcRoutine, void *apcContext,
                        DEVICE_OBJECT **deviceObject)
{
    DEVICE_OBJECT *device = IoGetRelatedDeviceObject(call->FileObject);
    IO_STACK_LOCATION *stack;
    IRP *irp = IoAllocateIrp(device->StackSize, FALSE);

    if (!irp) {
        IopAbortCall(call);
        return NULL;
    }
    KeClearEvent(&call->FileObject->Event);
    irp->Tail.Overlay.OriginalFileObject = call->FileObject;
    irp->RequestorMode = UserMode;
    irp->UserIosb = ioStatusBlock;
    irp->UserEvent = call->Event;
    irp->Overlay.AsynchronousParameters.UserApcRoutine = apcRoutine;
    irp->Overlay.AsynchronousParameters.UserApcContext = apcContext;
    stack = IoGetNextIrpStackLocation(irp);
    stack->MajorFunction = majorFunction;
    stack->FileObject = call->FileObject;
    *deviceObject = device;
    return irp;
}

// The IRP was sent while the caller's wait was cut short (an alert, a user
// APC, the thread being killed): if it is still the caller's and not
// completing, it is cancelled; its completion still reaches the caller.
static void IopCancelAlertedRequest(IRP *irp)
{
    ETHREAD *thread = PsGetCurrentThread();
    KIRQL oldIrql;

    KeRaiseIrql(APC_LEVEL, &oldIrql);
    for (LIST_ENTRY *entry = thread->IrpList.Flink; entry != &thread->IrpList;
         entry = entry->Flink) {
        if (entry == &irp->ThreadListEntry) {
            if (!IopIsCompletionQueued(irp))
                IoCancelIrp(irp);
            break;
        }
    }
    KeLowerIrql(oldIrql);
}

NTSTATUS IopSynchronousServiceTail(DEVICE_OBJECT *deviceObject, IRP *irp, IOP_CALL *call)
{
    FILE_OBJECT *fileObject = call->FileObject;
    BOOLEAN deferred = (irp->Flags & IRP_DEFER_IO_COMPLETION) != 0;
    NTSTATUS status;

    // From here the IRP holds the file and event references.
    IoQueueThreadIrp(irp);
    status = IoCallDriver(deviceObject, irp);
    if (deferred && status != STATUS_PENDING)
        IopFinishDeferredRequest(irp, deviceObject, status);
    if (!call->SynchronousIo)
        return status;
    if (status == STATUS_PENDING) {
        NTSTATUS wait = KeWaitForSingleObject(&fileObject->Event, Executive, UserMode,
                                              (fileObject->Flags & FO_ALERTABLE_IO) != 0, NULL);

        if (wait == STATUS_USER_APC || wait == STATUS_ALERTED) {
            IopCancelAlertedRequest(irp);
            status = wait;
        } else {
            status = fileObject->FinalStatus;
        }
    }
    IopReleaseFileObjectLock(fileObject);
    return status;
}

// Where a read or write starts: the caller's offset, or the file pointer
// of a synchronous file object (no offset, or FILE_USE_FILE_POINTER_POSITION);
// an asynchronous file object needs one (STATUS_INVALID_PARAMETER).
static NTSTATUS IopByteOffset(IOP_CALL *call, const LARGE_INTEGER *byteOffset, BOOLEAN present,
                              LARGE_INTEGER *offset)
{
    BOOLEAN filePointer = !present || (byteOffset->HighPart == -1 &&
                                       byteOffset->LowPart == FILE_USE_FILE_POINTER_POSITION);

    if (call->SynchronousIo && filePointer) {
        *offset = call->FileObject->CurrentByteOffset;
        return STATUS_SUCCESS;
    }
    if (!present)
        return STATUS_INVALID_PARAMETER;
    *offset = *byteOffset;
    return STATUS_SUCCESS;
}

// The probes and captures of NtReadFile and NtWriteFile, in NT's order
// (after the file's handle): the status block, the buffer, the offset, the
// key.
static NTSTATUS IopProbeReadWrite(BOOLEAN write, IO_STATUS_BLOCK *ioStatusBlock, void *buffer,
                                  ULONG length, LARGE_INTEGER *byteOffset,
                                  LARGE_INTEGER *offset, ULONG *key, ULONG *keyValue)
{
    NTSTATUS status = ProbeForWrite(ioStatusBlock, sizeof(*ioStatusBlock), sizeof(ULONG));

    if (NT_SUCCESS(status))
        status = write ? ProbeForRead(buffer, length, sizeof(UCHAR))
                       : ProbeForWrite(buffer, length, sizeof(UCHAR));
    if (NT_SUCCESS(status) && byteOffset)
        status = MmCopyFromUser(offset, byteOffset, sizeof(*offset));
    if (NT_SUCCESS(status) && key)
        status = MmCopyFromUser(keyValue, key, sizeof(*keyValue));
    return status;
}

static NTSTATUS IopReadWrite(BOOLEAN write, HANDLE fileHandle, HANDLE event,
                             PIO_APC_ROUTINE apcRoutine, void *apcContext,
                             IO_STATUS_BLOCK *ioStatusBlock, void *buffer, ULONG length,
                             LARGE_INTEGER *byteOffset, ULONG *key)
{
    LARGE_INTEGER offset = {.QuadPart = 0};
    LARGE_INTEGER callerOffset = {.QuadPart = 0};
    ULONG keyValue = 0;
    DEVICE_OBJECT *device;
    IO_STACK_LOCATION *stack;
    IOP_CALL call;
    IRP *irp;
    NTSTATUS status = IopReferenceFile(fileHandle, write ? 0 : FILE_READ_DATA, &call);

    if (!NT_SUCCESS(status))
        return status;
    // A write needs FILE_WRITE_DATA, or FILE_APPEND_DATA for a write at the
    // end of the file.
    if (write && !(call.GrantedAccess & (FILE_WRITE_DATA | FILE_APPEND_DATA))) {
        IopAbortCall(&call);
        return STATUS_ACCESS_DENIED;
    }
    status = IopProbeReadWrite(write, ioStatusBlock, buffer, length, byteOffset, &callerOffset,
                               key, &keyValue);
    if (!NT_SUCCESS(status)) {
        IopAbortCall(&call);
        return status;
    }
    if (write && !(call.GrantedAccess & FILE_WRITE_DATA)) {
        callerOffset.HighPart = -1;
        callerOffset.LowPart = FILE_WRITE_TO_END_OF_FILE;
        byteOffset = &callerOffset;
    }
    if (!call.SynchronousIo && !byteOffset) {
        IopAbortCall(&call);
        return STATUS_INVALID_PARAMETER;
    }
    status = IopReferenceEventAndLock(event, &call);
    if (status != STATUS_SUCCESS)
        return status;
    IopByteOffset(&call, &callerOffset, byteOffset != NULL, &offset);

    irp = IopAllocateCallIrp(&call, write ? IRP_MJ_WRITE : IRP_MJ_READ, ioStatusBlock,
                             apcRoutine, apcContext, &device);
    if (!irp)
        return STATUS_INSUFFICIENT_RESOURCES;
    stack = IoGetNextIrpStackLocation(irp);
    stack->Parameters.Read.Length = length;
    stack->Parameters.Read.Key = keyValue;
    stack->Parameters.Read.ByteOffset = offset;
    if (key)
        stack->Flags |= SL_KEY_SPECIFIED;
    irp->Flags = write ? IRP_WRITE_OPERATION : IRP_READ_OPERATION;
    irp->UserBuffer = buffer;
    if (length && (device->Flags & (DO_BUFFERED_IO | DO_DIRECT_IO))) {
        void *systemBuffer = ExAllocatePoolWithTag(NonPagedPool, length, IO_SYSTEM_BUFFER_TAG);

        status = systemBuffer ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
        if (systemBuffer && write)
            status = MmCopyFromUser(systemBuffer, buffer, length);
        if (!NT_SUCCESS(status)) {
            if (systemBuffer)
                ExFreePoolWithTag(systemBuffer, IO_SYSTEM_BUFFER_TAG);
            IoFreeIrp(irp);
            IopAbortCall(&call);
            return status;
        }
        irp->AssociatedIrp.SystemBuffer = systemBuffer;
        irp->Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
        if (!write)
            irp->Flags |= IRP_INPUT_OPERATION;
    }
    return IopSynchronousServiceTail(device, irp, &call);
}

NTSTATUS NtReadFile(HANDLE fileHandle, HANDLE event, PIO_APC_ROUTINE apcRoutine,
                    void *apcContext, IO_STATUS_BLOCK *ioStatusBlock, void *buffer,
                    ULONG length, LARGE_INTEGER *byteOffset, ULONG *key)
{
    return IopReadWrite(FALSE, fileHandle, event, apcRoutine, apcContext, ioStatusBlock, buffer,
                        length, byteOffset, key);
}

NTSTATUS NtWriteFile(HANDLE fileHandle, HANDLE event, PIO_APC_ROUTINE apcRoutine,
                     void *apcContext, IO_STATUS_BLOCK *ioStatusBlock, void *buffer,
                     ULONG length, LARGE_INTEGER *byteOffset, ULONG *key)
{
    return IopReadWrite(TRUE, fileHandle, event, apcRoutine, apcContext, ioStatusBlock, buffer,
                        length, byteOffset, key);
}
