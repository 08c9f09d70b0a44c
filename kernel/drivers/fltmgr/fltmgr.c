// fltmgr.sys: the filter manager, in the shape of NT's. It is a legacy
// filter: its device is attached over the RAM file system's volume device,
// so every request to a file on the volume reaches it first. Minifilters
// register pre- and post-create callbacks with it (fltkernel.h); each
// create runs as the first case study's stack reads:
//
//   fltMgr!FltpCreate
//     the pre-create callbacks, newest filter first (a filter may complete
//     the create itself: FLT_PREOP_COMPLETE)
//     fltMgr!FltpLegacyProcessingAfterPreCallbacksCompleted
//       the create goes down to the file system (RamFs!RamFsFsdCreate),
//       and fltmgr waits for it
//     the post-create callbacks of the filters that asked, in reverse
//
// Every other request passes down untouched. One volume is filtered: the
// RAM volume, attached at load (the file system must be loaded first). The
// filter manager stays loaded for as long as the system runs, as NT's.

#include "drivers/fltmgr/fltkernel.h"

#define FLTP_FILTER_TAG POOL_TAG('F', 'M', 'f', 'l')   // FLT_FILTER
#define FLTP_MAX_FILTERS 8
#define FLTP_VOLUME_NAME u"\\Device\\RamVolume0"

// A registered minifilter.
typedef struct _FLT_FILTER {
    LIST_ENTRY Links;                   // FltpFilters, newest first
    DRIVER_OBJECT *Driver;
    PFLT_PRE_OPERATION_CALLBACK PreCreate;
    PFLT_POST_OPERATION_CALLBACK PostCreate;
    BOOLEAN Started;                    // FltStartFiltering was called
    BOOLEAN Unregistering;
    LONG ActiveCallbacks;               // creates that will call it
    KEVENT Rundown;                     // set when the last of those ends
} FLT_FILTER;

static DEVICE_OBJECT *FltpControlDevice;    // \Device\FltMgr
static DEVICE_OBJECT *FltpVolumeFilter;     // attached over the volume device
static DEVICE_OBJECT *FltpLowerDevice;      // what it is attached to
static LIST_ENTRY FltpFilters;
static ULONG FltpFilterCount;
static KMUTEX FltpFilterLock;               // guards FltpFilters

static NTSTATUS FltpComplete(IRP *irp, NTSTATUS status, ULONG_PTR information)
{
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = information;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

static void FltpAcquire(void)
{
    KeWaitForSingleObject(&FltpFilterLock, Executive, KernelMode, FALSE, NULL);
}

static void FltpRelease(void)
{
    KeReleaseMutex(&FltpFilterLock, FALSE);
}

// The started filters with a create callback, each held (ActiveCallbacks)
// so that FltUnregisterFilter waits for this create to be done with it.
static ULONG FltpReferenceFilters(FLT_FILTER **filters)
{
    ULONG count = 0;

    FltpAcquire();
    for (LIST_ENTRY *entry = FltpFilters.Flink; entry != &FltpFilters; entry = entry->Flink) {
        FLT_FILTER *filter = CONTAINING_RECORD(entry, FLT_FILTER, Links);

        if (filter->Started && count < FLTP_MAX_FILTERS) {
            __atomic_add_fetch(&filter->ActiveCallbacks, 1, __ATOMIC_ACQ_REL);
            filters[count++] = filter;
        }
    }
    FltpRelease();
    return count;
}

static void FltpDereferenceFilter(FLT_FILTER *filter)
{
    if (__atomic_sub_fetch(&filter->ActiveCallbacks, 1, __ATOMIC_ACQ_REL) == 0 &&
        __atomic_load_n(&filter->Unregistering, __ATOMIC_ACQUIRE))
        KeSetEvent(&filter->Rundown, IO_NO_INCREMENT, FALSE);
}

static NTSTATUS FltpSynchronousCompletion(DEVICE_OBJECT *deviceObject, IRP *irp, void *context)
{
    KeSetEvent(context, IO_NO_INCREMENT, FALSE);
    // fltmgr owns the IRP again: it runs the post-callbacks, then completes it.
    return STATUS_MORE_PROCESSING_REQUIRED;
}

// The create goes down to the file system; fltmgr waits for it. A frame of
// its own in stacks (not in line), as NT's.
__attribute__((noinline)) static NTSTATUS FltpLegacyProcessingAfterPreCallbacksCompleted(IRP *irp)
{
    KEVENT event;
    NTSTATUS status;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    IoCopyCurrentIrpStackLocationToNext(irp);
    IoSetCompletionRoutine(irp, FltpSynchronousCompletion, &event, TRUE, TRUE, TRUE);
    status = IoCallDriver(FltpLowerDevice, irp);
    if (status == STATUS_PENDING)
        KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
    return irp->IoStatus.Status;
}

static void FltpPostCreate(FLT_FILTER **filters, BOOLEAN *wantPost, void **contexts, ULONG count,
                           FLT_CALLBACK_DATA *data, FLT_RELATED_OBJECTS *objects)
{
    for (ULONG i = 0; i < count; i++) {
        if (!wantPost[i])
            continue;
        objects->Filter = filters[i];
        filters[i]->PostCreate(data, objects, contexts[i], 0);
    }
}

static NTSTATUS FltpCreate(DEVICE_OBJECT *deviceObject, IRP *irp)
{
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);
    FLT_FILTER *filters[FLTP_MAX_FILTERS];
    BOOLEAN wantPost[FLTP_MAX_FILTERS] = {0};
    void *contexts[FLTP_MAX_FILTERS] = {0};
    FLT_IO_PARAMETER_BLOCK iopb = {0};
    FLT_CALLBACK_DATA data = {0};
    FLT_RELATED_OBJECTS objects = {0};
    ULONG count, called = 0;
    NTSTATUS status;

    if (deviceObject == FltpControlDevice)
        return FltpComplete(irp, STATUS_SUCCESS, FILE_OPENED);
    iopb.IrpFlags = irp->Flags;
    iopb.MajorFunction = stack->MajorFunction;
    iopb.MinorFunction = stack->MinorFunction;
    iopb.OperationFlags = stack->Flags;
    iopb.TargetFileObject = stack->FileObject;
    iopb.Parameters.Create.SecurityContext = stack->Parameters.Create.SecurityContext;
    iopb.Parameters.Create.Options = stack->Parameters.Create.Options;
    iopb.Parameters.Create.FileAttributes = stack->Parameters.Create.FileAttributes;
    iopb.Parameters.Create.ShareAccess = stack->Parameters.Create.ShareAccess;
    iopb.Parameters.Create.EaLength = stack->Parameters.Create.EaLength;
    iopb.Parameters.Create.AllocationSize = irp->Overlay.AllocationSize;
    data.Thread = irp->Tail.Overlay.Thread;
    data.Iopb = &iopb;
    data.RequestorMode = irp->RequestorMode;
    objects.Size = sizeof(objects);
    objects.Volume = FltpLowerDevice;
    objects.FileObject = stack->FileObject;

    count = FltpReferenceFilters(filters);
    for (; called < count; called++) {
        FLT_PREOP_CALLBACK_STATUS answer;

        if (!filters[called]->PreCreate) {
            wantPost[called] = filters[called]->PostCreate != NULL;
            continue;
        }
        objects.Filter = filters[called];
        answer = filters[called]->PreCreate(&data, &objects, &contexts[called]);
        if (answer == FLT_PREOP_COMPLETE)
            break;
        wantPost[called] = filters[called]->PostCreate != NULL &&
                           (answer == FLT_PREOP_SUCCESS_WITH_CALLBACK ||
                            answer == FLT_PREOP_SYNCHRONIZE);
    }
    if (called < count) {
        // A filter answered the create itself: the filters above it see
        // that answer, the ones below and the file system see nothing.
        status = data.IoStatus.Status;
        irp->IoStatus = data.IoStatus;
        FltpPostCreate(filters, wantPost, contexts, called, &data, &objects);
    } else {
        status = FltpLegacyProcessingAfterPreCallbacksCompleted(irp);
        data.IoStatus = irp->IoStatus;
        FltpPostCreate(filters, wantPost, contexts, count, &data, &objects);
    }
    for (ULONG i = 0; i < count; i++)
        FltpDereferenceFilter(filters[i]);
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

// Everything but a create passes down as it came.
static NTSTATUS FltpPassThrough(DEVICE_OBJECT *deviceObject, IRP *irp)
{
    if (deviceObject == FltpControlDevice) {
        IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);

        if (stack->MajorFunction == IRP_MJ_CLEANUP || stack->MajorFunction == IRP_MJ_CLOSE)
            return FltpComplete(irp, STATUS_SUCCESS, 0);
        return FltpComplete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
    IoSkipCurrentIrpStackLocation(irp);
    return IoCallDriver(FltpLowerDevice, irp);
}

// ---- The control device: FltRegisterFilter and its kin ----

static NTSTATUS FltpRegisterFilter(const FLTMGR_REGISTER_INPUT *input, FLT_FILTER **result)
{
    const FLT_REGISTRATION *registration = input->Registration;
    FLT_FILTER *filter;

    if (!registration || registration->Size < sizeof(FLT_REGISTRATION) ||
        registration->Version != FLT_REGISTRATION_VERSION || !input->Driver)
        return STATUS_INVALID_PARAMETER;
    filter = ExAllocatePoolWithTag(NonPagedPool, sizeof(*filter), FLTP_FILTER_TAG);
    if (!filter)
        return STATUS_INSUFFICIENT_RESOURCES;
    memset(filter, 0, sizeof(*filter));
    filter->Driver = input->Driver;
    KeInitializeEvent(&filter->Rundown, NotificationEvent, FALSE);
    for (const FLT_OPERATION_REGISTRATION *operation = registration->OperationRegistration;
         operation && operation->MajorFunction != IRP_MJ_OPERATION_END; operation++) {
        // Creates are the one operation Sleuth's filters see.
        if (operation->MajorFunction != IRP_MJ_CREATE) {
            ExFreePoolWithTag(filter, FLTP_FILTER_TAG);
            return STATUS_NOT_SUPPORTED;
        }
        filter->PreCreate = operation->PreOperation;
        filter->PostCreate = operation->PostOperation;
    }
    FltpAcquire();
    if (FltpFilterCount == FLTP_MAX_FILTERS) {
        FltpRelease();
        ExFreePoolWithTag(filter, FLTP_FILTER_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    InsertHeadList(&FltpFilters, &filter->Links);
    FltpFilterCount++;
    FltpRelease();
    *result = filter;
    return STATUS_SUCCESS;
}

// The filter handle a caller gave, if it is one of the registered ones.
static FLT_FILTER *FltpFindFilter(FLT_FILTER *candidate)
{
    for (LIST_ENTRY *entry = FltpFilters.Flink; entry != &FltpFilters; entry = entry->Flink) {
        if (CONTAINING_RECORD(entry, FLT_FILTER, Links) == candidate)
            return candidate;
    }
    return NULL;
}

static NTSTATUS FltpStartFiltering(FLT_FILTER *candidate)
{
    FLT_FILTER *filter;

    FltpAcquire();
    filter = FltpFindFilter(candidate);
    if (filter)
        filter->Started = TRUE;
    FltpRelease();
    return filter ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}

// Off the list at once (no new create calls it), then waits for the
// creates still calling it.
static NTSTATUS FltpUnregisterFilter(FLT_FILTER *candidate)
{
    FLT_FILTER *filter;

    FltpAcquire();
    filter = FltpFindFilter(candidate);
    if (filter) {
        RemoveEntryList(&filter->Links);
        FltpFilterCount--;
        __atomic_store_n(&filter->Unregistering, TRUE, __ATOMIC_RELEASE);
    }
    FltpRelease();
    if (!filter)
        return STATUS_INVALID_PARAMETER;
    while (__atomic_load_n(&filter->ActiveCallbacks, __ATOMIC_ACQUIRE))
        KeWaitForSingleObject(&filter->Rundown, Executive, KernelMode, FALSE, NULL);
    ExFreePoolWithTag(filter, FLTP_FILTER_TAG);
    return STATUS_SUCCESS;
}

static NTSTATUS FltpControl(DEVICE_OBJECT *deviceObject, IRP *irp)
{
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);
    ULONG inputLength = stack->Parameters.DeviceIoControl.InputBufferLength;
    ULONG outputLength = stack->Parameters.DeviceIoControl.OutputBufferLength;
    void *buffer = irp->AssociatedIrp.SystemBuffer;
    FLT_FILTER *filter = NULL;
    NTSTATUS status;

    if (deviceObject != FltpControlDevice)
        return FltpPassThrough(deviceObject, irp);
    switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_FLTMGR_REGISTER_FILTER: {
        FLTMGR_REGISTER_INPUT input;

        if (!buffer || inputLength < sizeof(input) || outputLength < sizeof(filter))
            return FltpComplete(irp, STATUS_INVALID_PARAMETER, 0);
        memcpy(&input, buffer, sizeof(input));
        status = FltpRegisterFilter(&input, &filter);
        if (!NT_SUCCESS(status))
            return FltpComplete(irp, status, 0);
        memcpy(buffer, &filter, sizeof(filter));
        return FltpComplete(irp, status, sizeof(filter));
    }
    case IOCTL_FLTMGR_START_FILTERING:
    case IOCTL_FLTMGR_UNREGISTER_FILTER:
        if (!buffer || inputLength < sizeof(filter))
            return FltpComplete(irp, STATUS_INVALID_PARAMETER, 0);
        memcpy(&filter, buffer, sizeof(filter));
        status = stack->Parameters.DeviceIoControl.IoControlCode == IOCTL_FLTMGR_START_FILTERING
                     ? FltpStartFiltering(filter)
                     : FltpUnregisterFilter(filter);
        return FltpComplete(irp, status, 0);
    default:
        return FltpComplete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

// Attaches over the RAM volume's device.
static NTSTATUS FltpAttachToVolume(DRIVER_OBJECT *driverObject)
{
    UNICODE_STRING name;
    FILE_OBJECT *fileObject;
    DEVICE_OBJECT *top, *volumeDevice;
    NTSTATUS status;

    RtlInitUnicodeString(&name, FLTP_VOLUME_NAME);
    status = IoGetDeviceObjectPointer(&name, FILE_READ_ATTRIBUTES, &fileObject, &top);
    if (!NT_SUCCESS(status))
        return status;
    volumeDevice = fileObject->DeviceObject;
    status = IoCreateDevice(driverObject, 0, NULL, FILE_DEVICE_DISK_FILE_SYSTEM, 0, FALSE,
                            &FltpVolumeFilter);
    if (NT_SUCCESS(status)) {
        // Requests reach the top device with the buffering it asks for.
        FltpVolumeFilter->Flags |= volumeDevice->Flags & (DO_BUFFERED_IO | DO_DIRECT_IO);
        FltpLowerDevice = IoAttachDeviceToDeviceStack(FltpVolumeFilter, volumeDevice);
        if (!FltpLowerDevice) {
            IoDeleteDevice(FltpVolumeFilter);
            status = STATUS_NO_SUCH_DEVICE;
        } else {
            FltpVolumeFilter->Flags &= ~DO_DEVICE_INITIALIZING;
        }
    }
    ObDereferenceObject(fileObject);
    return status;
}

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name;
    NTSTATUS status;

    InitializeListHead(&FltpFilters);
    KeInitializeMutex(&FltpFilterLock, 0);
    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        driverObject->MajorFunction[i] = FltpPassThrough;
    driverObject->MajorFunction[IRP_MJ_CREATE] = FltpCreate;
    driverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = FltpControl;
    RtlInitUnicodeString(&name, FLTMGR_DEVICE_NAME);
    status = IoCreateDevice(driverObject, 0, &name, FILE_DEVICE_DISK_FILE_SYSTEM, 0, FALSE,
                            &FltpControlDevice);
    if (!NT_SUCCESS(status))
        return status;
    FltpControlDevice->Flags |= DO_BUFFERED_IO;
    FltpControlDevice->Flags &= ~DO_DEVICE_INITIALIZING;
    // On failure the I/O manager deletes the control device.
    return FltpAttachToVolume(driverObject);
}
