// NtDeviceIoControlFile and NtFsControlFile: a control code for the driver.
// The code says which access the handle must grant (FILE_READ_ACCESS,
// FILE_WRITE_ACCESS) and how the buffers travel: METHOD_BUFFERED through
// one system buffer (the input copied in, the output copied back on
// completion), METHOD_NEITHER as the caller's own addresses
// (Type3InputBuffer, UserBuffer), which the driver reads and writes with
// MmCopyFromUser/MmCopyToUser in the caller's thread. The DIRECT methods
// need MDLs, which Sleuth does not have: STATUS_NOT_SUPPORTED.

#include "io/iop.h"

// The body both control services share, under NT's own name for it (real
// NT stacks show nt!IopXxxControlFile below NtDeviceIoControlFile).
static NTSTATUS IopXxxControlFile(BOOLEAN fsControl, HANDLE fileHandle, HANDLE event,
                                  PIO_APC_ROUTINE apcRoutine, void *apcContext,
                                  IO_STATUS_BLOCK *ioStatusBlock, ULONG ioControlCode,
                                  void *inputBuffer, ULONG inputBufferLength,
                                  void *outputBuffer, ULONG outputBufferLength)
{
    ULONG method = METHOD_FROM_CTL_CODE(ioControlCode);
    ULONG requiredAccess = (ioControlCode >> 14) & 3;
    DEVICE_OBJECT *device;
    IO_STACK_LOCATION *stack;
    IOP_CALL call;
    IRP *irp;
    NTSTATUS status = ProbeForWrite(ioStatusBlock, sizeof(*ioStatusBlock), sizeof(ULONG));

    if (NT_SUCCESS(status) && method == METHOD_BUFFERED) {
        status = ProbeForWrite(outputBuffer, outputBufferLength, sizeof(UCHAR));
        if (NT_SUCCESS(status))
            status = ProbeForRead(inputBuffer, inputBufferLength, sizeof(UCHAR));
    }
    if (!NT_SUCCESS(status))
        return status;
    if (method == METHOD_IN_DIRECT || method == METHOD_OUT_DIRECT)
        return STATUS_NOT_SUPPORTED;
    status = IopReferenceFile(fileHandle, 0, &call);
    if (!NT_SUCCESS(status))
        return status;
    if (((requiredAccess & FILE_READ_ACCESS) && !(call.GrantedAccess & FILE_READ_DATA)) ||
        ((requiredAccess & FILE_WRITE_ACCESS) && !(call.GrantedAccess & FILE_WRITE_DATA))) {
        IopAbortCall(&call);
        return STATUS_ACCESS_DENIED;
    }
    status = IopReferenceEventAndLock(event, &call);
    if (status != STATUS_SUCCESS)
        return status;
    irp = IopAllocateCallIrp(&call, fsControl ? IRP_MJ_FILE_SYSTEM_CONTROL : IRP_MJ_DEVICE_CONTROL,
                             ioStatusBlock, apcRoutine, apcContext, &device);
    if (!irp)
        return STATUS_INSUFFICIENT_RESOURCES;
    stack = IoGetNextIrpStackLocation(irp);
    stack->MinorFunction = fsControl ? IRP_MN_USER_FS_REQUEST : 0;
    stack->Parameters.DeviceIoControl.OutputBufferLength = outputBufferLength;
    stack->Parameters.DeviceIoControl.InputBufferLength = inputBufferLength;
    stack->Parameters.DeviceIoControl.IoControlCode = ioControlCode;
    irp->UserBuffer = outputBuffer;
    if (method == METHOD_NEITHER) {
        stack->Parameters.DeviceIoControl.Type3InputBuffer = inputBuffer;
    } else {
        ULONG length = inputBufferLength > outputBufferLength ? inputBufferLength
                                                              : outputBufferLength;

        if (length) {
            void *systemBuffer = ExAllocatePoolWithTag(NonPagedPool, length,
                                                       IO_SYSTEM_BUFFER_TAG);

            status = systemBuffer ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
            if (systemBuffer) {
                memset(systemBuffer, 0, length);
                status = MmCopyFromUser(systemBuffer, inputBuffer, inputBufferLength);
            }
            if (!NT_SUCCESS(status)) {
                if (systemBuffer)
                    ExFreePoolWithTag(systemBuffer, IO_SYSTEM_BUFFER_TAG);
                IoFreeIrp(irp);
                IopAbortCall(&call);
                return status;
            }
            irp->AssociatedIrp.SystemBuffer = systemBuffer;
            irp->Flags = IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
            if (outputBufferLength)
                irp->Flags |= IRP_INPUT_OPERATION;
        }
    }
    return IopSynchronousServiceTail(device, irp, &call);
}

NTSTATUS NtDeviceIoControlFile(HANDLE fileHandle, HANDLE event, PIO_APC_ROUTINE apcRoutine,
                               void *apcContext, IO_STATUS_BLOCK *ioStatusBlock,
                               ULONG ioControlCode, void *inputBuffer, ULONG inputBufferLength,
                               void *outputBuffer, ULONG outputBufferLength)
{
    return IopXxxControlFile(FALSE, fileHandle, event, apcRoutine, apcContext, ioStatusBlock,
                             ioControlCode, inputBuffer, inputBufferLength, outputBuffer,
                             outputBufferLength);
}

NTSTATUS NtFsControlFile(HANDLE fileHandle, HANDLE event, PIO_APC_ROUTINE apcRoutine,
                         void *apcContext, IO_STATUS_BLOCK *ioStatusBlock, ULONG fsControlCode,
                         void *inputBuffer, ULONG inputBufferLength, void *outputBuffer,
                         ULONG outputBufferLength)
{
    return IopXxxControlFile(TRUE, fileHandle, event, apcRoutine, apcContext, ioStatusBlock,
                             fsControlCode, inputBuffer, inputBufferLength, outputBuffer,
                             outputBufferLength);
}
