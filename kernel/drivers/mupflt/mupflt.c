// mupflt.sys: demo=io's minifilter on \Device\Mup (driver
// \FileSystem\MupFlt). It imports the filter manager's routines from
// fltMgr.sys (fltkernel.h), wants an instance on the UNC provider only (its
// instance setup), and counts the opens of UNC paths it sees end (success,
// error or cancel) in its post-create callback. The create itself runs
// through fltMgr!FltpCreate over mup!MupCreate, as in the third case study.
//
// Its unload (FltUnregisterFilter) waits for the creates still holding its
// callbacks: unload it once the demo's open has ended.

#include "drivers/fltmgr/fltkernel.h"

static PFLT_FILTER MupFltFilter;

// Read by the debugger (x mupflt!MupFlt*): opens seen to their end.
volatile LONG MupFltCreatesCompleted;

static FLT_PREOP_CALLBACK_STATUS MupFltPreCreate(FLT_CALLBACK_DATA *data,
                                                 const FLT_RELATED_OBJECTS *fltObjects,
                                                 void **completionContext)
{
    UNREFERENCED_PARAMETER(data);
    UNREFERENCED_PARAMETER(fltObjects);
    *completionContext = NULL;
    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

__attribute__((noinline)) static FLT_POSTOP_CALLBACK_STATUS
MupFltPostCreate(FLT_CALLBACK_DATA *data, const FLT_RELATED_OBJECTS *fltObjects,
                 void *completionContext, FLT_POST_OPERATION_FLAGS flags)
{
    UNREFERENCED_PARAMETER(data);
    UNREFERENCED_PARAMETER(fltObjects);
    UNREFERENCED_PARAMETER(completionContext);
    UNREFERENCED_PARAMETER(flags);
    __atomic_add_fetch(&MupFltCreatesCompleted, 1, __ATOMIC_RELAXED);
    return FLT_POSTOP_FINISHED_PROCESSING;
}

static NTSTATUS MupFltInstanceSetup(const FLT_RELATED_OBJECTS *fltObjects,
                                    FLT_INSTANCE_SETUP_FLAGS flags, DEVICE_TYPE volumeDeviceType,
                                    FLT_FILESYSTEM_TYPE volumeFilesystemType)
{
    UNREFERENCED_PARAMETER(fltObjects);
    UNREFERENCED_PARAMETER(flags);
    UNREFERENCED_PARAMETER(volumeFilesystemType);
    return volumeDeviceType == FILE_DEVICE_MULTI_UNC_PROVIDER ? STATUS_SUCCESS
                                                              : STATUS_FLT_DO_NOT_ATTACH;
}

static const FLT_OPERATION_REGISTRATION MupFltCallbacks[] = {
    {IRP_MJ_CREATE, 0, MupFltPreCreate, MupFltPostCreate, NULL},
    {IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL},
};

static const FLT_REGISTRATION MupFltRegistration = {
    .Size = sizeof(FLT_REGISTRATION),
    .Version = FLT_REGISTRATION_VERSION,
    .OperationRegistration = MupFltCallbacks,
    .InstanceSetupCallback = MupFltInstanceSetup,
};

static void MupFltUnload(DRIVER_OBJECT *driverObject)
{
    UNREFERENCED_PARAMETER(driverObject);
    FltUnregisterFilter(MupFltFilter);
}

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    NTSTATUS status;

    UNREFERENCED_PARAMETER(registryPath);
    status = FltRegisterFilter(driverObject, &MupFltRegistration, &MupFltFilter);
    if (!NT_SUCCESS(status))
        return status;
    status = FltStartFiltering(MupFltFilter);
    if (!NT_SUCCESS(status)) {
        FltUnregisterFilter(MupFltFilter);
        return status;
    }
    driverObject->DriverUnload = MupFltUnload;
    return STATUS_SUCCESS;
}
