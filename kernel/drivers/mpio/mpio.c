// mpio.sys: the multipath I/O driver of the third case study (driver
// \Driver\mpio), one disk, \Device\MPIODisk0, reachable down several paths
// that a DSM (mpiodsm.h) manages. For each read or write it asks the DSM
// for a path; when the DSM has none that works, mpio fails the request and
// schedules a check of the failed path, as NT's MPIO does: a work item,
// mpio!MPIOPathVerify, on the system's Delayed worker queue, which calls
// the DSM's DsmPathVerify. Nothing limits how many checks wait: a DSM
// whose check never returns holds one worker per check, the balance
// manager adds dynamic threads until there are 16, and every failed
// request after that adds an item nobody takes.

#include "drivers/mpio/mpiodsm.h"

#define MPIO_VERIFY_TAG POOL_TAG('M', 'P', 'v', 'f')

static const WCHAR MpioDiskName[] = u"\\Device\\MPIODisk0";

typedef struct _MPIO_PATH_VERIFY {
    IO_WORKITEM *WorkItem;
    ULONG PathId;
} MPIO_PATH_VERIFY;

static MPIO_DSM_INIT MpioDsm;
static volatile LONG MpioDsmRegistered;

// Read by the debugger (x mpio!Mpio*): path checks queued, and finished.
volatile LONG MpioPathVerifiesQueued;
volatile LONG MpioPathVerifiesDone;

// The Delayed queue's item: the DSM checks the path.
__attribute__((noinline)) static void MPIOPathVerify(DEVICE_OBJECT *device, void *context)
{
    MPIO_PATH_VERIFY *verify = context;

    UNREFERENCED_PARAMETER(device);
    MpioDsm.DsmPathVerify(MpioDsm.DsmContext, verify->PathId);
    __atomic_add_fetch(&MpioPathVerifiesDone, 1, __ATOMIC_RELAXED);
    IoFreeWorkItem(verify->WorkItem);
    ExFreePoolWithTag(verify, MPIO_VERIFY_TAG);
}

static void MpioQueuePathVerify(DEVICE_OBJECT *device, ULONG pathId)
{
    MPIO_PATH_VERIFY *verify = ExAllocatePoolWithTag(NonPagedPool, sizeof(*verify),
                                                     MPIO_VERIFY_TAG);

    if (!verify)
        return;
    verify->WorkItem = IoAllocateWorkItem(device);
    if (!verify->WorkItem) {
        ExFreePoolWithTag(verify, MPIO_VERIFY_TAG);
        return;
    }
    verify->PathId = pathId;
    __atomic_add_fetch(&MpioPathVerifiesQueued, 1, __ATOMIC_RELAXED);
    IoQueueWorkItem(verify->WorkItem, MPIOPathVerify, DelayedWorkQueue, verify);
}

static NTSTATUS MpioComplete(IRP *irp, NTSTATUS status, ULONG_PTR information)
{
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = information;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

// A read or write: down the DSM's path. There is no storage behind the
// paths here: a request on a working path fails as a device error.
__attribute__((noinline)) static NTSTATUS MpioReadWrite(DEVICE_OBJECT *device, IRP *irp)
{
    ULONG pathId = 0;
    NTSTATUS status;

    if (!__atomic_load_n(&MpioDsmRegistered, __ATOMIC_ACQUIRE))
        return MpioComplete(irp, STATUS_DEVICE_NOT_READY, 0);
    status = MpioDsm.DsmGetPath(MpioDsm.DsmContext, &pathId);
    if (status == STATUS_DEVICE_NOT_CONNECTED)
        MpioQueuePathVerify(device, pathId);
    return MpioComplete(irp, NT_SUCCESS(status) ? STATUS_DEVICE_DATA_ERROR : status, 0);
}

static NTSTATUS MpioCreateClose(DEVICE_OBJECT *device, IRP *irp)
{
    UNREFERENCED_PARAMETER(device);
    return MpioComplete(irp, STATUS_SUCCESS, 0);
}

NTSTATUS MpioRegisterDsm(const MPIO_DSM_INIT *init)
{
    if (!init || !init->DsmGetPath || !init->DsmPathVerify)
        return STATUS_INVALID_PARAMETER;
    if (__atomic_load_n(&MpioDsmRegistered, __ATOMIC_ACQUIRE))
        return STATUS_OBJECT_NAME_COLLISION;        // one DSM claims the disk
    MpioDsm = *init;
    __atomic_store_n(&MpioDsmRegistered, 1, __ATOMIC_RELEASE);
    return STATUS_SUCCESS;
}

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name;
    DEVICE_OBJECT *device;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(registryPath);
    RtlInitUnicodeString(&name, MpioDiskName);
    status = IoCreateDevice(driverObject, 0, &name, FILE_DEVICE_DISK, 0, FALSE, &device);
    if (!NT_SUCCESS(status))
        return status;
    device->Flags &= ~DO_DEVICE_INITIALIZING;
    driverObject->MajorFunction[IRP_MJ_CREATE] = MpioCreateClose;
    driverObject->MajorFunction[IRP_MJ_CLOSE] = MpioCreateClose;
    driverObject->MajorFunction[IRP_MJ_READ] = MpioReadWrite;
    driverObject->MajorFunction[IRP_MJ_WRITE] = MpioReadWrite;
    // No unload: a DSM imports from it, and queued checks hold its device.
    return STATUS_SUCCESS;
}
