// mup.sys: the multiple UNC provider, \Device\Mup (driver \FileSystem\Mup),
// the redirector's front door in the third case study. An open of
// \Device\Mup\server\share\... reaches MupCreate with the UNC path as the
// file object's name; Mup then asks the transport (\Device\Smb, opened at
// load) which provider claims the path, by a device control request of its
// own (IOCTL_REDIR_QUERY_PATH, issued on the opener's thread), and waits
// for the answer, as NT's MupLocateUncProviderForPath does. A transport
// that never answers leaves the opener in that wait: the case study's hang.
// An open of the device itself (no name) succeeds at once.
//
// Its provider is the SMB redirector (\Device\LanmanRedirector,
// mrxsmb.sys) when that is loaded (exercise 003), else the transport
// itself (demo=io). A redirector that claims the path gets the create
// itself, on the same IRP (MupiCallUncProvider), as NT's Mup hands it on;
// a transport claims nothing Mup could open.

#include "io/io.h"

// The query Mup sends (METHOD_BUFFERED: the request in, the answer out).
#define IOCTL_REDIR_QUERY_PATH CTL_CODE(FILE_DEVICE_NETWORK_FILE_SYSTEM, 0x64, \
                                        METHOD_BUFFERED, FILE_ANY_ACCESS)
#define MUP_QUERY_TAG POOL_TAG('M', 'u', 'Q', 'p')

static const WCHAR MupDeviceName[] = u"\\Device\\Mup";
static const WCHAR MupRedirectorName[] = u"\\Device\\LanmanRedirector";
static const WCHAR MupProviderName[] = u"\\Device\\Smb";

// QUERY_PATH_REQUEST, then room for QUERY_PATH_RESPONSE's LengthAccepted.
typedef struct _MUP_QUERY_PATH {
    ULONG PathNameLength;               // bytes of FilePathName
    ULONG LengthAccepted;               // the provider's answer
    WCHAR FilePathName[];
} MUP_QUERY_PATH;

static FILE_OBJECT *MupProviderFile;    // the transport's device, open while Mup is loaded
static DEVICE_OBJECT *MupProvider;
static BOOLEAN MupProviderIsRedirector; // it takes creates, not only queries

static NTSTATUS MupComplete(IRP *irp, NTSTATUS status)
{
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

// The provider answered (or the query was cancelled): the I/O manager goes
// on to copy the answer out and set the waiter's event.
__attribute__((noinline)) static NTSTATUS MupiQueryPathCompletionRoutine(DEVICE_OBJECT *device,
                                                                         IRP *irp,
                                                                         void *context)
{
    UNREFERENCED_PARAMETER(device);
    UNREFERENCED_PARAMETER(context);
    if (irp->PendingReturned)
        IoMarkIrpPending(irp);
    return STATUS_SUCCESS;
}

// Asks the transport whether it claims `path`; waits for its answer.
__attribute__((noinline)) static NTSTATUS MupLocateUncProviderForPath(const UNICODE_STRING *path)
{
    ULONG size = sizeof(MUP_QUERY_PATH) + path->Length;
    IO_STATUS_BLOCK ioStatus;
    MUP_QUERY_PATH *query;
    KEVENT answered;
    NTSTATUS status;
    IRP *irp;

    query = ExAllocatePoolWithTag(NonPagedPool, size, MUP_QUERY_TAG);
    if (!query)
        return STATUS_INSUFFICIENT_RESOURCES;
    query->PathNameLength = path->Length;
    query->LengthAccepted = 0;
    memcpy(query->FilePathName, path->Buffer, path->Length);
    KeInitializeEvent(&answered, NotificationEvent, FALSE);
    irp = IoBuildDeviceIoControlRequest(IOCTL_REDIR_QUERY_PATH, MupProvider, query, size, query,
                                        sizeof(MUP_QUERY_PATH), FALSE, &answered, &ioStatus);
    if (!irp) {
        ExFreePoolWithTag(query, MUP_QUERY_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    IoSetCompletionRoutine(irp, MupiQueryPathCompletionRoutine, NULL, TRUE, TRUE, TRUE);
    status = IoCallDriver(MupProvider, irp);
    if (status == STATUS_PENDING) {
        // The thread is ending: the query is cancelled, and waited for (the
        // IRP is freed in this thread, by its completion's APC).
        if (FsRtlCancellableWaitForSingleObject(&answered, NULL, NULL) != STATUS_SUCCESS) {
            IoCancelIrp(irp);
            KeWaitForSingleObject(&answered, Executive, KernelMode, FALSE, NULL);
        }
        status = ioStatus.Status;
    }
    // A provider that answers but claims none of the path: no such network path.
    if (NT_SUCCESS(status) && query->LengthAccepted == 0)
        status = STATUS_BAD_NETWORK_PATH;
    ExFreePoolWithTag(query, MUP_QUERY_TAG);
    return status;
}

// Finds the provider for the create's path and hands the create to it.
__attribute__((noinline)) static NTSTATUS MupiCallUncProvider(IRP *irp, FILE_OBJECT *fileObject)
{
    NTSTATUS status = MupLocateUncProviderForPath(&fileObject->FileName);

    if (!NT_SUCCESS(status))
        return MupComplete(irp, status);
    // A transport claims what Mup could not open.
    if (!MupProviderIsRedirector)
        return MupComplete(irp, STATUS_BAD_NETWORK_PATH);
    IoCopyCurrentIrpStackLocationToNext(irp);
    return IoCallDriver(MupProvider, irp);
}

// NT's Mup runs each create through a state machine (provider known or
// not, DFS or not); here a create has one state: find the provider.
__attribute__((noinline)) static NTSTATUS MupStateMachine(IRP *irp, FILE_OBJECT *fileObject)
{
    return MupiCallUncProvider(irp, fileObject);
}

__attribute__((noinline)) static NTSTATUS MupCreate(DEVICE_OBJECT *device, IRP *irp)
{
    FILE_OBJECT *fileObject = IoGetCurrentIrpStackLocation(irp)->FileObject;

    UNREFERENCED_PARAMETER(device);
    if (!fileObject || fileObject->FileName.Length == 0)
        return MupComplete(irp, STATUS_SUCCESS);     // the device itself
    return MupStateMachine(irp, fileObject);
}

static NTSTATUS MupCleanupClose(DEVICE_OBJECT *device, IRP *irp)
{
    UNREFERENCED_PARAMETER(device);
    return MupComplete(irp, STATUS_SUCCESS);
}

static void MupUnload(DRIVER_OBJECT *driverObject)
{
    ObDereferenceObject(MupProviderFile);
    if (driverObject->DeviceObject) {
        // The filter manager detaches from the device first.
        IoUnregisterFileSystem(driverObject->DeviceObject);
        IoDeleteDevice(driverObject->DeviceObject);
    }
}

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name;
    DEVICE_OBJECT *device;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(registryPath);
    RtlInitUnicodeString(&name, MupRedirectorName);
    status = IoGetDeviceObjectPointer(&name, FILE_READ_ATTRIBUTES, &MupProviderFile,
                                      &MupProvider);
    MupProviderIsRedirector = NT_SUCCESS(status);
    if (!MupProviderIsRedirector) {
        RtlInitUnicodeString(&name, MupProviderName);
        status = IoGetDeviceObjectPointer(&name, FILE_READ_ATTRIBUTES, &MupProviderFile,
                                          &MupProvider);
    }
    if (!NT_SUCCESS(status))
        return status;          // neither the redirector nor the transport is loaded
    RtlInitUnicodeString(&name, MupDeviceName);
    status = IoCreateDevice(driverObject, 0, &name, FILE_DEVICE_MULTI_UNC_PROVIDER,
                            FILE_REMOTE_DEVICE, FALSE, &device);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(MupProviderFile);
        return status;
    }
    // Room in each create's IRP for the redirector's stack below Mup's.
    if (MupProviderIsRedirector)
        device->StackSize = (CCHAR)(MupProvider->StackSize + 1);
    device->Flags &= ~DO_DEVICE_INITIALIZING;
    driverObject->MajorFunction[IRP_MJ_CREATE] = MupCreate;
    driverObject->MajorFunction[IRP_MJ_CLEANUP] = MupCleanupClose;
    driverObject->MajorFunction[IRP_MJ_CLOSE] = MupCleanupClose;
    // A file system: the filter manager attaches over \Device\Mup now, so
    // that opens of UNC paths go through it as on NT.
    status = IoRegisterFileSystem(device);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(MupProviderFile);
        return status;          // the I/O manager deletes the device
    }
    driverObject->DriverUnload = MupUnload;
    return STATUS_SUCCESS;
}
