// IRPs built for kernel-mode callers: a device-control request and the
// synchronous file-system requests (read, write, flush, shutdown). Both
// are threaded: on the caller's IrpList and finished in the caller's
// thread, which waits on its event when IoCallDriver returns STATUS_PENDING.
//
// Sleuth has no MDLs, so DO_DIRECT_IO devices are given a system buffer as
// DO_BUFFERED_IO ones are, and the DIRECT ioctl methods are refused.

#include "io/iop.h"

// A system buffer of `length` bytes holding a copy of `input` (inputLength
// bytes, the rest zeroed); NULL when the pool is exhausted.
static void *IopAllocateSystemBuffer(ULONG length, const void *input, ULONG inputLength)
{
    void *buffer = ExAllocatePoolWithTag(NonPagedPool, length, IO_SYSTEM_BUFFER_TAG);

    if (!buffer)
        return NULL;
    memset(buffer, 0, length);
    if (input && inputLength)
        memcpy(buffer, input, inputLength);
    return buffer;
}

static void IopQueueBuiltIrp(IRP *irp, KEVENT *event, IO_STATUS_BLOCK *ioStatusBlock)
{
    irp->RequestorMode = KernelMode;
    irp->UserIosb = ioStatusBlock;
    irp->UserEvent = event;
    IoQueueThreadIrp(irp);
}

IRP *IoBuildDeviceIoControlRequest(ULONG ioControlCode, DEVICE_OBJECT *deviceObject,
                                   void *inputBuffer, ULONG inputBufferLength,
                                   void *outputBuffer, ULONG outputBufferLength,
                                   BOOLEAN internalDeviceIoControl, KEVENT *event,
                                   IO_STATUS_BLOCK *ioStatusBlock)
{
    ULONG method = METHOD_FROM_CTL_CODE(ioControlCode);
    IO_STACK_LOCATION *stack;
    IRP *irp;

    if (method == METHOD_IN_DIRECT || method == METHOD_OUT_DIRECT)
        return NULL;
    irp = IoAllocateIrp(deviceObject->StackSize, FALSE);
    if (!irp)
        return NULL;
    stack = IoGetNextIrpStackLocation(irp);
    stack->MajorFunction = internalDeviceIoControl ? IRP_MJ_INTERNAL_DEVICE_CONTROL
                                                   : IRP_MJ_DEVICE_CONTROL;
    stack->Parameters.DeviceIoControl.OutputBufferLength = outputBufferLength;
    stack->Parameters.DeviceIoControl.InputBufferLength = inputBufferLength;
    stack->Parameters.DeviceIoControl.IoControlCode = ioControlCode;
    if (method == METHOD_BUFFERED) {
        ULONG length = inputBufferLength > outputBufferLength ? inputBufferLength
                                                              : outputBufferLength;

        if (length) {
            irp->AssociatedIrp.SystemBuffer =
                IopAllocateSystemBuffer(length, inputBuffer, inputBufferLength);
            if (!irp->AssociatedIrp.SystemBuffer) {
                IoFreeIrp(irp);
                return NULL;
            }
            irp->Flags = IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
            if (outputBufferLength)
                irp->Flags |= IRP_INPUT_OPERATION;
        }
    } else {
        stack->Parameters.DeviceIoControl.Type3InputBuffer = inputBuffer;
    }
    irp->UserBuffer = outputBuffer;
    IopQueueBuiltIrp(irp, event, ioStatusBlock);
    return irp;
}

IRP *IoBuildSynchronousFsdRequest(ULONG majorFunction, DEVICE_OBJECT *deviceObject,
                                  void *buffer, ULONG length, LARGE_INTEGER *startingOffset,
                                  KEVENT *event, IO_STATUS_BLOCK *ioStatusBlock)
{
    IO_STACK_LOCATION *stack;
    IRP *irp;

    if (majorFunction != IRP_MJ_READ && majorFunction != IRP_MJ_WRITE &&
        majorFunction != IRP_MJ_FLUSH_BUFFERS && majorFunction != IRP_MJ_SHUTDOWN)
        return NULL;
    irp = IoAllocateIrp(deviceObject->StackSize, FALSE);
    if (!irp)
        return NULL;
    stack = IoGetNextIrpStackLocation(irp);
    stack->MajorFunction = (UCHAR)majorFunction;
    if (majorFunction == IRP_MJ_READ || majorFunction == IRP_MJ_WRITE) {
        BOOLEAN read = majorFunction == IRP_MJ_READ;

        stack->Parameters.Read.Length = length;
        if (startingOffset)
            stack->Parameters.Read.ByteOffset = *startingOffset;
        if (length && (deviceObject->Flags & (DO_BUFFERED_IO | DO_DIRECT_IO))) {
            irp->AssociatedIrp.SystemBuffer =
                IopAllocateSystemBuffer(length, read ? NULL : buffer, read ? 0 : length);
            if (!irp->AssociatedIrp.SystemBuffer) {
                IoFreeIrp(irp);
                return NULL;
            }
            irp->Flags = IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
            if (read)
                irp->Flags |= IRP_INPUT_OPERATION;
        }
        irp->UserBuffer = buffer;
    }
    IopQueueBuiltIrp(irp, event, ioStatusBlock);
    return irp;
}
