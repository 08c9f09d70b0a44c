// mrxsmb.sys: the SMB mini-redirector, \Device\LanmanRedirector (driver
// \FileSystem\mrxsmb), a UNC provider under Mup. Every IRP it gets goes to
// rdbss.sys (RxFsdDispatch), which it imports. When rdbss needs a
// connection to a server (MRxSmbCreateSrvCall) it asks its transport,
// \Device\Smb, through rdbss's RxCeSend: a connect request (TDI_CONNECT)
// whose completion, mrxsmb!RxTdiAsynchronousConnectCompletion, makes the
// server stable (good or bad), and the session's first requests, which
// wait in the transport until the session exists. Nothing here times out:
// a transport that never answers the connect leaves the server in
// transition, as in the third case study.

#include "drivers/rdbss/rx.h"

#define TDI_CONNECT 3
// The session requests queued with the connect (the transport's
// negotiate): buffered, 0x30 bytes in.
#define MRXSMB_IOCTL_SESSION_REQUEST CTL_CODE(FILE_DEVICE_TRANSPORT, 0x3a, METHOD_BUFFERED, \
                                              FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define MRXSMB_SESSION_REQUESTS 2
#define MRXSMB_BUFFER_TAG POOL_TAG('M', 'R', 'x', 'b')
#define MRXSMB_REQUEST_LENGTH 0x30

static const WCHAR MRxSmbDeviceName[] = u"\\Device\\LanmanRedirector";
static const WCHAR MRxSmbTransportName[] = u"\\Device\\Smb";

static FILE_OBJECT *MRxSmbTransportFile;
static DEVICE_OBJECT *MRxSmbTransport;

// The connect ended: the server is good or bad from now on.
__attribute__((noinline)) static NTSTATUS RxTdiAsynchronousConnectCompletion(
    DEVICE_OBJECT *device, IRP *irp, void *context)
{
    SRV_CALL *srvCall = context;
    NTSTATUS status = irp->IoStatus.Status;

    UNREFERENCED_PARAMETER(device);
    RxCeIrpCompleted(irp);
    IoFreeIrp(irp);
    RxFinishSrvCallConstruction(srvCall, status);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

__attribute__((noinline)) static NTSTATUS RxTdiAsynchronousRequestCompletion(
    DEVICE_OBJECT *device, IRP *irp, void *context)
{
    UNREFERENCED_PARAMETER(device);
    RxCeIrpCompleted(irp);
    ExFreePoolWithTag(context, MRXSMB_BUFFER_TAG);
    IoFreeIrp(irp);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

// An IRP with a location for us above the transport's, with no thread (it completes in
// whatever context the transport completes it).
static IRP *MRxSmbBuildTransportIrp(UCHAR major, UCHAR minor)
{
    IRP *irp = IoAllocateIrp(MRxSmbTransport->StackSize + 1, FALSE);
    IO_STACK_LOCATION *next;

    if (!irp)
        return NULL;
    next = IoGetNextIrpStackLocation(irp);
    next->MajorFunction = major;
    next->MinorFunction = minor;
    next->FileObject = MRxSmbTransportFile;
    return irp;
}

static NTSTATUS MRxSmbSendSessionRequest(SRV_CALL *srvCall)
{
    void *buffer = ExAllocatePoolWithTag(NonPagedPool, MRXSMB_REQUEST_LENGTH, MRXSMB_BUFFER_TAG);
    IRP *irp = buffer ? MRxSmbBuildTransportIrp(IRP_MJ_DEVICE_CONTROL, 0) : NULL;
    IO_STACK_LOCATION *next;

    if (!irp) {
        if (buffer)
            ExFreePoolWithTag(buffer, MRXSMB_BUFFER_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    memset(buffer, 0, MRXSMB_REQUEST_LENGTH);
    irp->AssociatedIrp.SystemBuffer = buffer;
    next = IoGetNextIrpStackLocation(irp);
    next->Parameters.DeviceIoControl.IoControlCode = MRXSMB_IOCTL_SESSION_REQUEST;
    next->Parameters.DeviceIoControl.InputBufferLength = MRXSMB_REQUEST_LENGTH;
    IoSetCompletionRoutine(irp, RxTdiAsynchronousRequestCompletion, buffer, TRUE, TRUE, TRUE);
    RxCeSend(MRxSmbTransport, irp, srvCall);
    return STATUS_SUCCESS;
}

// rdbss's call: connect to srvCall's server through the transport.
__attribute__((noinline)) static NTSTATUS MRxSmbCreateSrvCall(SRV_CALL *srvCall)
{
    IRP *irp = MRxSmbBuildTransportIrp(IRP_MJ_INTERNAL_DEVICE_CONTROL, TDI_CONNECT);

    if (!irp)
        return STATUS_INSUFFICIENT_RESOURCES;
    srvCall->Context = MRxSmbTransport;
    IoSetCompletionRoutine(irp, RxTdiAsynchronousConnectCompletion, srvCall, TRUE, TRUE, TRUE);
    RxCeSend(MRxSmbTransport, irp, srvCall);
    for (ULONG i = 0; i < MRXSMB_SESSION_REQUESTS; i++)
        MRxSmbSendSessionRequest(srvCall);
    return STATUS_PENDING;
}

static const MINIRDR_DISPATCH MRxSmbDispatch = {
    .MRxCreateSrvCall = MRxSmbCreateSrvCall,
};

__attribute__((noinline)) static NTSTATUS MRxSmbFsdDispatch(DEVICE_OBJECT *device, IRP *irp)
{
    return RxFsdDispatch(device, irp);
}

static void MRxSmbUnload(DRIVER_OBJECT *driverObject)
{
    if (driverObject->DeviceObject) {
        RxUnregisterMinirdr(driverObject->DeviceObject);
        IoDeleteDevice(driverObject->DeviceObject);
    }
    ObDereferenceObject(MRxSmbTransportFile);
}

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name;
    DEVICE_OBJECT *device;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(registryPath);
    RtlInitUnicodeString(&name, MRxSmbTransportName);
    status = IoGetDeviceObjectPointer(&name, FILE_READ_ATTRIBUTES, &MRxSmbTransportFile,
                                      &MRxSmbTransport);
    if (!NT_SUCCESS(status))
        return status;          // the transport is not loaded
    RtlInitUnicodeString(&name, MRxSmbDeviceName);
    status = IoCreateDevice(driverObject, 0, &name, FILE_DEVICE_NETWORK_FILE_SYSTEM,
                            FILE_REMOTE_DEVICE, FALSE, &device);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(MRxSmbTransportFile);
        return status;
    }
    status = RxRegisterMinirdr(device, &MRxSmbDispatch);
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(device);
        ObDereferenceObject(MRxSmbTransportFile);
        return status;
    }
    device->Flags &= ~DO_DEVICE_INITIALIZING;
    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        driverObject->MajorFunction[i] = MRxSmbFsdDispatch;
    driverObject->DriverUnload = MRxSmbUnload;
    return STATUS_SUCCESS;
}
