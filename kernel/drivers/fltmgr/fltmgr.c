// fltMgr.sys: the filter manager, in the shape of NT's. It is a legacy
// filter: it hears of every file system that registers with the I/O
// manager (IoRegisterFsRegistrationChange) and attaches a device of its own
// over each (the RAM file system's volume; demo=io's \Device\Mup), so every
// request to a file there reaches it first. Minifilters import its routines
// (fltkernel.h, fltmgr.exports) and register pre- and post-create
// callbacks, with an instance on each volume their instance setup accepts;
// each create runs as the case studies' stacks read:
//
//   fltMgr!FltpCreate
//     the pre-create callbacks, newest filter first (a filter may complete
//     the create itself: FLT_PREOP_COMPLETE)
//     fltMgr!FltpLegacyProcessingAfterPreCallbacksCompleted
//       the create goes down to the file system (RamFs!RamFsFsdCreate,
//       mup!MupCreate), and fltMgr waits for it
//       (fltMgr!FltpSynchronizedOperationCompletion)
//     the post-create callbacks of the filters that asked, in reverse
//
// Every other request passes down untouched. The filter manager stays
// loaded for as long as the system runs, as NT's.

#include "drivers/fltmgr/fltkernel.h"

#define FLTP_FILTER_TAG POOL_TAG('F', 'M', 'f', 'l')   // FLT_FILTER
#define FLTP_MAX_FILTERS 8
#define FLTP_MAX_VOLUMES 4

// A registered minifilter.
typedef struct _FLT_FILTER {
    LIST_ENTRY Links;                   // FltpFilters, newest first
    DRIVER_OBJECT *Driver;
    PFLT_PRE_OPERATION_CALLBACK PreCreate;
    PFLT_POST_OPERATION_CALLBACK PostCreate;
    PFLT_INSTANCE_SETUP_CALLBACK InstanceSetup;
    BOOLEAN Started;                    // FltStartFiltering was called
    ULONG Instances;                    // bit i: it filters FltpVolumes[i]
    BOOLEAN Unregistering;
    LONG ActiveCallbacks;               // creates that will call it
    KEVENT Rundown;                     // set when the last of those ends
} FLT_FILTER;

// The device extension of each filter device fltMgr attaches: a volume.
typedef struct _FLTP_VOLUME {
    DEVICE_OBJECT *FileSystemDevice;    // the device the file system registered
    DEVICE_OBJECT *LowerDevice;         // what the filter device is attached to
    ULONG Index;                        // its slot in FltpVolumes
} FLTP_VOLUME;

static DRIVER_OBJECT *FltpDriverObject;
static DEVICE_OBJECT *FltpControlDevice;    // \Device\FltMgr
static DEVICE_OBJECT *FltpVolumes[FLTP_MAX_VOLUMES];   // the filter devices
static LIST_ENTRY FltpFilters;
static ULONG FltpFilterCount;
static KMUTEX FltpFilterLock;               // guards FltpFilters and FltpVolumes

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
static ULONG FltpReferenceFilters(const FLTP_VOLUME *volume, FLT_FILTER **filters)
{
    ULONG count = 0;

    FltpAcquire();
    for (LIST_ENTRY *entry = FltpFilters.Flink; entry != &FltpFilters; entry = entry->Flink) {
        FLT_FILTER *filter = CONTAINING_RECORD(entry, FLT_FILTER, Links);

        if (filter->Started && (filter->Instances & (1U << volume->Index)) &&
            count < FLTP_MAX_FILTERS) {
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

static NTSTATUS FltpSynchronizedOperationCompletion(DEVICE_OBJECT *deviceObject, IRP *irp,
                                                    void *context)
{
    KeSetEvent(context, IO_NO_INCREMENT, FALSE);
    // fltmgr owns the IRP again: it runs the post-callbacks, then completes it.
    return STATUS_MORE_PROCESSING_REQUIRED;
}

// The create goes down to the file system; fltmgr waits for it. A frame of
// its own in stacks (not in line), as NT's.
__attribute__((noinline)) static NTSTATUS
FltpLegacyProcessingAfterPreCallbacksCompleted(IRP *irp, DEVICE_OBJECT *lowerDevice)
{
    KEVENT event;
    NTSTATUS status;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    IoCopyCurrentIrpStackLocationToNext(irp);
    IoSetCompletionRoutine(irp, FltpSynchronizedOperationCompletion, &event, TRUE, TRUE, TRUE);
    status = IoCallDriver(lowerDevice, irp);
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
    FLTP_VOLUME *volume = deviceObject->DeviceExtension;
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
    objects.Volume = volume->FileSystemDevice;
    objects.FileObject = stack->FileObject;

    count = FltpReferenceFilters(volume, filters);
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
        status = FltpLegacyProcessingAfterPreCallbacksCompleted(irp, volume->LowerDevice);
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
    return IoCallDriver(((FLTP_VOLUME *)deviceObject->DeviceExtension)->LowerDevice, irp);
}

// ---- Instances: which filter filters which volume ----

// Asks the filter whether it wants the volume in slot `index` (no instance
// setup routine: it wants every volume). Under FltpFilterLock.
static void FltpSetupInstance(FLT_FILTER *filter, ULONG index, FLT_INSTANCE_SETUP_FLAGS flags)
{
    FLTP_VOLUME *volume = FltpVolumes[index]->DeviceExtension;
    FLT_RELATED_OBJECTS objects = {0};

    objects.Size = sizeof(objects);
    objects.Filter = filter;
    objects.Volume = volume->FileSystemDevice;
    if (!filter->InstanceSetup ||
        NT_SUCCESS(filter->InstanceSetup(&objects, flags, volume->FileSystemDevice->DeviceType,
                                         FLT_FSTYPE_UNKNOWN)))
        filter->Instances |= 1U << index;
}

// A file system registered or went (IoRegisterFsRegistrationChange): a
// filter device over it, or that device taken away.
static void FltpFsNotification(DEVICE_OBJECT *fileSystemDevice, BOOLEAN active)
{
    DEVICE_OBJECT *filterDevice = NULL;
    FLTP_VOLUME *volume;
    ULONG index;
    NTSTATUS status;

    if (!active) {
        FltpAcquire();
        for (index = 0; index < FLTP_MAX_VOLUMES; index++) {
            if (FltpVolumes[index] && ((FLTP_VOLUME *)FltpVolumes[index]->DeviceExtension)
                                              ->FileSystemDevice == fileSystemDevice) {
                filterDevice = FltpVolumes[index];
                FltpVolumes[index] = NULL;
                break;
            }
        }
        for (LIST_ENTRY *entry = FltpFilters.Flink; filterDevice && entry != &FltpFilters;
             entry = entry->Flink)
            CONTAINING_RECORD(entry, FLT_FILTER, Links)->Instances &= ~(1U << index);
        FltpRelease();
        if (filterDevice) {
            IoDetachDevice(((FLTP_VOLUME *)filterDevice->DeviceExtension)->LowerDevice);
            IoDeleteDevice(filterDevice);
        }
        return;
    }
    status = IoCreateDevice(FltpDriverObject, sizeof(FLTP_VOLUME), NULL,
                            fileSystemDevice->DeviceType, 0, FALSE, &filterDevice);
    if (!NT_SUCCESS(status)) {
        DbgPrint("fltMgr: cannot filter %p: status %08x\n", fileSystemDevice, (ULONG)status);
        return;
    }
    volume = filterDevice->DeviceExtension;
    volume->FileSystemDevice = fileSystemDevice;
    // Requests reach the top device with the buffering it asks for.
    filterDevice->Flags |= fileSystemDevice->Flags & (DO_BUFFERED_IO | DO_DIRECT_IO);
    FltpAcquire();
    for (index = 0; index < FLTP_MAX_VOLUMES && FltpVolumes[index]; index++)
        ;
    if (index < FLTP_MAX_VOLUMES)
        volume->LowerDevice = IoAttachDeviceToDeviceStack(filterDevice, fileSystemDevice);
    if (index == FLTP_MAX_VOLUMES || !volume->LowerDevice) {
        FltpRelease();
        DbgPrint("fltMgr: cannot attach over %p\n", fileSystemDevice);
        IoDeleteDevice(filterDevice);
        return;
    }
    volume->Index = index;
    FltpVolumes[index] = filterDevice;
    filterDevice->Flags &= ~DO_DEVICE_INITIALIZING;
    for (LIST_ENTRY *entry = FltpFilters.Flink; entry != &FltpFilters; entry = entry->Flink) {
        FLT_FILTER *filter = CONTAINING_RECORD(entry, FLT_FILTER, Links);

        if (filter->Started)
            FltpSetupInstance(filter, index, FLTFL_INSTANCE_SETUP_AUTOMATIC_ATTACHMENT |
                                                 FLTFL_INSTANCE_SETUP_NEWLY_MOUNTED_VOLUME);
    }
    FltpRelease();
}

// ---- The exports: FltRegisterFilter and its kin ----

NTSTATUS FltRegisterFilter(DRIVER_OBJECT *driver, const FLT_REGISTRATION *registration,
                           PFLT_FILTER *retFilter)
{
    FLT_FILTER *filter;

    if (!retFilter)
        return STATUS_INVALID_PARAMETER;
    *retFilter = NULL;
    if (!registration || registration->Size < sizeof(FLT_REGISTRATION) ||
        registration->Version != FLT_REGISTRATION_VERSION || !driver)
        return STATUS_INVALID_PARAMETER;
    filter = ExAllocatePoolWithTag(NonPagedPool, sizeof(*filter), FLTP_FILTER_TAG);
    if (!filter)
        return STATUS_INSUFFICIENT_RESOURCES;
    memset(filter, 0, sizeof(*filter));
    filter->Driver = driver;
    filter->InstanceSetup = registration->InstanceSetupCallback;
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
    *retFilter = filter;
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

NTSTATUS FltStartFiltering(PFLT_FILTER candidate)
{
    FLT_FILTER *filter;

    FltpAcquire();
    filter = FltpFindFilter(candidate);
    if (filter && !filter->Started) {
        for (ULONG index = 0; index < FLTP_MAX_VOLUMES; index++) {
            if (FltpVolumes[index])
                FltpSetupInstance(filter, index, FLTFL_INSTANCE_SETUP_AUTOMATIC_ATTACHMENT);
        }
        filter->Started = TRUE;
    }
    FltpRelease();
    return filter ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}

// Off the list at once (no new create calls it), then waits for the
// creates still calling it.
void FltUnregisterFilter(PFLT_FILTER candidate)
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
        return;
    while (__atomic_load_n(&filter->ActiveCallbacks, __ATOMIC_ACQUIRE))
        KeWaitForSingleObject(&filter->Rundown, Executive, KernelMode, FALSE, NULL);
    ExFreePoolWithTag(filter, FLTP_FILTER_TAG);
}

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name;
    NTSTATUS status;

    FltpDriverObject = driverObject;
    InitializeListHead(&FltpFilters);
    KeInitializeMutex(&FltpFilterLock, 0);
    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        driverObject->MajorFunction[i] = FltpPassThrough;
    driverObject->MajorFunction[IRP_MJ_CREATE] = FltpCreate;
    RtlInitUnicodeString(&name, FLTMGR_DEVICE_NAME);
    status = IoCreateDevice(driverObject, 0, &name, FILE_DEVICE_DISK_FILE_SYSTEM, 0, FALSE,
                            &FltpControlDevice);
    if (!NT_SUCCESS(status))
        return status;
    FltpControlDevice->Flags |= DO_BUFFERED_IO;
    FltpControlDevice->Flags &= ~DO_DEVICE_INITIALIZING;
    // Attaches over every file system already registered (the RAM volume)
    // now, and over each one that registers later. On failure the I/O
    // manager deletes the control device.
    return IoRegisterFsRegistrationChange(driverObject, FltpFsNotification);
}
