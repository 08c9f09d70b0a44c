// openlog.sys: an example minifilter. It registers pre- and post-create
// callbacks with the filter manager (fltkernel.h: routines imported from
// fltMgr.sys), wants an instance on disk file systems only (its instance
// setup), and logs every open on the RAM volume with DbgPrint: the name,
// who opens it, and how the open ended. The counters below let tests see
// that its callbacks ran. It can be unloaded: FltUnregisterFilter waits for
// the callbacks still running.
//
//   openlog: open \tests\fox.txt by 0x2c.0x30
//   openlog: \tests\fox.txt: status 00000000, information 1

#include "drivers/fltmgr/fltkernel.h"
#include "ps/ps.h"

// Read by the tests (by symbol: openlog!OpenLogPreCreateCount).
volatile LONG OpenLogPreCreateCount;
volatile LONG OpenLogPostCreateCount;

static PFLT_FILTER OpenLogFilter;

#define OPENLOG_NAME_LENGTH 96

// The name opened, as ASCII, cut to fit (non-ASCII characters as '?').
static void OpenLogName(const FILE_OBJECT *fileObject, char text[OPENLOG_NAME_LENGTH])
{
    ULONG size = OPENLOG_NAME_LENGTH;
    ULONG count = fileObject ? fileObject->FileName.Length / sizeof(WCHAR) : 0;
    ULONG i;

    for (i = 0; i < count && i + 1 < size; i++) {
        WCHAR c = fileObject->FileName.Buffer[i];

        text[i] = c >= 0x20 && c < 0x7F ? (char)c : '?';
    }
    text[i] = 0;
}

static FLT_PREOP_CALLBACK_STATUS OpenLogPreCreate(FLT_CALLBACK_DATA *data,
                                                  const FLT_RELATED_OBJECTS *fltObjects,
                                                  void **completionContext)
{
    char name[OPENLOG_NAME_LENGTH];
    ETHREAD *thread = data->Thread;

    __atomic_add_fetch(&OpenLogPreCreateCount, 1, __ATOMIC_RELAXED);
    OpenLogName(data->Iopb->TargetFileObject, name);
    DbgPrint("openlog: open %s by %p.%p\n", name[0] ? name : "(the volume)",
             thread ? thread->Cid.UniqueProcess : NULL, thread ? thread->Cid.UniqueThread : NULL);
    *completionContext = NULL;
    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static FLT_POSTOP_CALLBACK_STATUS OpenLogPostCreate(FLT_CALLBACK_DATA *data,
                                                    const FLT_RELATED_OBJECTS *fltObjects,
                                                    void *completionContext,
                                                    FLT_POST_OPERATION_FLAGS flags)
{
    char name[OPENLOG_NAME_LENGTH];

    __atomic_add_fetch(&OpenLogPostCreateCount, 1, __ATOMIC_RELAXED);
    OpenLogName(data->Iopb->TargetFileObject, name);
    DbgPrint("openlog: %s: status %08x, information %llu\n", name[0] ? name : "(the volume)",
             (ULONG)data->IoStatus.Status, (unsigned long long)data->IoStatus.Information);
    return FLT_POSTOP_FINISHED_PROCESSING;
}

static const FLT_OPERATION_REGISTRATION OpenLogCallbacks[] = {
    {IRP_MJ_CREATE, 0, OpenLogPreCreate, OpenLogPostCreate, NULL},
    {IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL},
};

// Disk file systems (the RAM volume), not the network's (Mup).
static NTSTATUS OpenLogInstanceSetup(const FLT_RELATED_OBJECTS *fltObjects,
                                     FLT_INSTANCE_SETUP_FLAGS flags, DEVICE_TYPE volumeDeviceType,
                                     FLT_FILESYSTEM_TYPE volumeFilesystemType)
{
    return volumeDeviceType == FILE_DEVICE_DISK_FILE_SYSTEM ? STATUS_SUCCESS
                                                            : STATUS_FLT_DO_NOT_ATTACH;
}

static const FLT_REGISTRATION OpenLogRegistration = {
    .Size = sizeof(FLT_REGISTRATION),
    .Version = FLT_REGISTRATION_VERSION,
    .OperationRegistration = OpenLogCallbacks,
    .InstanceSetupCallback = OpenLogInstanceSetup,
};

static void OpenLogUnload(DRIVER_OBJECT *driverObject)
{
    FltUnregisterFilter(OpenLogFilter);
}

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    NTSTATUS status = FltRegisterFilter(driverObject, &OpenLogRegistration, &OpenLogFilter);

    if (!NT_SUCCESS(status))
        return status;
    status = FltStartFiltering(OpenLogFilter);
    if (!NT_SUCCESS(status)) {
        FltUnregisterFilter(OpenLogFilter);
        return status;
    }
    driverObject->DriverUnload = OpenLogUnload;
    return STATUS_SUCCESS;
}
