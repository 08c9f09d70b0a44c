// demo=io: the third case study's I/O hang in miniature, for !irp,
// !irpfind, !devstack, !drvobj, !fileobj and !thread's IRP List. Three
// built-in drivers: a filter (\FileSystem\FltMgr) attached over a
// redirector's device (\FileSystem\Mup, \Device\Mup), and a transport
// (\Driver\Smb, \Device\Smb) that pends every request and never completes
// one. A System thread opens \Device\Mup\DC005.contoso.com\PIPE\lsarpc: the
// create goes down the Mup stack; Mup, to locate a provider for the path,
// sends a request of its own to the transport on the same thread and waits
// for it, forever. The break-in finds what the case study found: the thread
// blocked in Mup with two IRPs on its IRP List, the create current in Mup
// under the filter's completion routine (its file object names the path),
// and Mup's query pending in \Driver\Smb.

#include "kd/kd.h"
#include "io/io.h"
#include "ps/ps.h"

#define KD_DEMO_IO_QUERY_PATH CTL_CODE(FILE_DEVICE_NETWORK_FILE_SYSTEM, 0x64, METHOD_BUFFERED, \
                                       FILE_ANY_ACCESS)
#define KD_DEMO_IO_PATH       u"\\Device\\Mup\\DC005.contoso.com\\PIPE\\lsarpc"

typedef struct _KD_DEMO_IO {
    DEVICE_OBJECT *FltMgr;          // attached over Mup
    DEVICE_OBJECT *Mup;
    DEVICE_OBJECT *Smb;
    DEVICE_OBJECT *MupLower;        // what FltMgr passes requests to
    IRP *SmbPending;                // the request the transport sits on
    ETHREAD *Thread;                // the "svchost" thread that hangs
    KEVENT Started;                 // set once the transport holds its IRP
    ULONG Buffer[4];
} KD_DEMO_IO;

KD_DEMO_IO KdDemoIo;

// The transport: takes every request and never answers.
__attribute__((noinline)) static NTSTATUS KdDemoSmbDispatch(DEVICE_OBJECT *device, IRP *irp)
{
    UNREFERENCED_PARAMETER(device);
    IoMarkIrpPending(irp);
    KdDemoIo.SmbPending = irp;
    KeSetEvent(&KdDemoIo.Started, 0, FALSE);
    return STATUS_PENDING;
}

__attribute__((noinline)) static NTSTATUS KdDemoMupiQueryPathCompletion(DEVICE_OBJECT *device,
                                                                        IRP *irp,
                                                                        void *context)
{
    UNREFERENCED_PARAMETER(device);
    UNREFERENCED_PARAMETER(irp);
    KeSetEvent(context, 0, FALSE);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

// Mup asks the transport for the provider of a path and waits for the
// answer, as MupLocateUncProviderForPath does.
__attribute__((noinline)) static NTSTATUS KdDemoMupLocateProvider(void)
{
    IO_STATUS_BLOCK ioStatus;
    KEVENT answered;
    IRP *irp;

    KeInitializeEvent(&answered, NotificationEvent, FALSE);
    irp = IoBuildDeviceIoControlRequest(KD_DEMO_IO_QUERY_PATH, KdDemoIo.Smb, KdDemoIo.Buffer,
                                        sizeof(KdDemoIo.Buffer), KdDemoIo.Buffer,
                                        sizeof(KdDemoIo.Buffer), FALSE, &answered, &ioStatus);
    if (!irp)
        return STATUS_INSUFFICIENT_RESOURCES;
    IoSetCompletionRoutine(irp, KdDemoMupiQueryPathCompletion, &answered, TRUE, TRUE, TRUE);
    IoCallDriver(KdDemoIo.Smb, irp);
    KeWaitForSingleObject(&answered, Executive, KernelMode, FALSE, NULL);
    return ioStatus.Status;
}

__attribute__((noinline)) static NTSTATUS KdDemoMupDispatch(DEVICE_OBJECT *device, IRP *irp)
{
    NTSTATUS status = KdDemoMupLocateProvider();

    UNREFERENCED_PARAMETER(device);
    irp->IoStatus.Status = status;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

__attribute__((noinline)) static NTSTATUS KdDemoFltpCompletion(DEVICE_OBJECT *device, IRP *irp,
                                                               void *context)
{
    UNREFERENCED_PARAMETER(device);
    UNREFERENCED_PARAMETER(context);
    if (irp->PendingReturned)
        IoMarkIrpPending(irp);
    return STATUS_SUCCESS;
}

__attribute__((noinline)) static NTSTATUS KdDemoFltpDispatch(DEVICE_OBJECT *device, IRP *irp)
{
    UNREFERENCED_PARAMETER(device);
    IoCopyCurrentIrpStackLocationToNext(irp);
    IoSetCompletionRoutine(irp, KdDemoFltpCompletion, NULL, TRUE, TRUE, TRUE);
    return IoCallDriver(KdDemoIo.MupLower, irp);
}

static NTSTATUS KdDemoSmbEntry(DRIVER_OBJECT *driver, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name;

    UNREFERENCED_PARAMETER(registryPath);
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = KdDemoSmbDispatch;
    driver->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = KdDemoSmbDispatch;
    RtlInitUnicodeString(&name, u"\\Device\\Smb");
    return IoCreateDevice(driver, 0, &name, FILE_DEVICE_NETWORK, 0, FALSE, &KdDemoIo.Smb);
}

static NTSTATUS KdDemoMupEntry(DRIVER_OBJECT *driver, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name;

    UNREFERENCED_PARAMETER(registryPath);
    driver->MajorFunction[IRP_MJ_CREATE] = KdDemoMupDispatch;
    RtlInitUnicodeString(&name, u"\\Device\\Mup");
    return IoCreateDevice(driver, 0, &name, FILE_DEVICE_MULTI_UNC_PROVIDER,
                          FILE_REMOTE_DEVICE, FALSE, &KdDemoIo.Mup);
}

static NTSTATUS KdDemoFltMgrEntry(DRIVER_OBJECT *driver, UNICODE_STRING *registryPath)
{
    UNREFERENCED_PARAMETER(registryPath);
    driver->MajorFunction[IRP_MJ_CREATE] = KdDemoFltpDispatch;
    return IoCreateDevice(driver, 0, NULL, FILE_DEVICE_DISK_FILE_SYSTEM, 0, FALSE,
                          &KdDemoIo.FltMgr);
}

// The "svchost" thread: opens a UNC path, which goes down the Mup stack.
__attribute__((noinline)) static void KdDemoSvcOpenUncPath(void *context)
{
    UNICODE_STRING path;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK ioStatus;
    HANDLE handle;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(context);
    RtlInitUnicodeString(&path, KD_DEMO_IO_PATH);
    InitializeObjectAttributes(&attributes, &path, 0, NULL, NULL);
    status = IoCreateFile(&handle, GENERIC_READ | SYNCHRONIZE, &attributes, &ioStatus, NULL, 0,
                          FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN,
                          FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0, CreateFileTypeNone, NULL,
                          IO_NO_PARAMETER_CHECKING);
    // Only when the open did not reach the transport.
    DbgPrint("Demo: the open of the UNC path ended (status %08x)\n", (ULONG)status);
    if (NT_SUCCESS(status))
        ObCloseHandle(handle);
    KeSetEvent(&KdDemoIo.Started, 0, FALSE);
}

static BOOLEAN KdDemoCreateDriver(const WCHAR *name, PDRIVER_INITIALIZE entry)
{
    UNICODE_STRING driverName;
    NTSTATUS status;

    RtlInitUnicodeString(&driverName, name);
    status = IoCreateDriver(&driverName, entry);
    if (!NT_SUCCESS(status))
        DbgPrint("Demo: cannot create a demo driver (status %08x)\n", (ULONG)status);
    return NT_SUCCESS(status);
}

void KdStartIoDemo(void)
{
    LARGE_INTEGER timeout = {.QuadPart = -10LL * 1000 * 1000 * 10};   // 10 s
    NTSTATUS status;

    KeInitializeEvent(&KdDemoIo.Started, NotificationEvent, FALSE);
    if (!KdDemoCreateDriver(u"\\Driver\\Smb", KdDemoSmbEntry) ||
        !KdDemoCreateDriver(u"\\FileSystem\\Mup", KdDemoMupEntry) ||
        !KdDemoCreateDriver(u"\\FileSystem\\FltMgr", KdDemoFltMgrEntry))
        return;
    KdDemoIo.MupLower = IoAttachDeviceToDeviceStack(KdDemoIo.FltMgr, KdDemoIo.Mup);
    if (!KdDemoIo.MupLower) {
        DbgPrint("Demo: cannot attach the filter over \\Device\\Mup\n");
        return;
    }
    status = PsCreateSystemThreadEx(NULL, KdDemoSvcOpenUncPath, NULL, NORMAL_BASE_PRIORITY,
                                    NULL, &KdDemoIo.Thread);
    if (!NT_SUCCESS(status)) {
        DbgPrint("Demo: cannot start the I/O thread (status %08x)\n", (ULONG)status);
        return;
    }
    KeWaitForSingleObject(&KdDemoIo.Started, Executive, KernelMode, FALSE, &timeout);
    if (KdDemoIo.SmbPending)
        DbgPrint("Demo: thread %016llx waits in \\FileSystem\\Mup for an IRP pending in "
                 "\\Driver\\Smb\n", (unsigned long long)(ULONG_PTR)KdDemoIo.Thread);
    else
        DbgPrint("Demo: the I/O request did not reach \\Driver\\Smb\n");
}
