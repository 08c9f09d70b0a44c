// The filter manager's interface for minifilters (NT's fltKernel.h, the
// part Sleuth has): a minifilter registers pre- and post-operation
// callbacks with FltRegisterFilter, starts them with FltStartFiltering and
// takes them back with FltUnregisterFilter (which waits for callbacks
// still running). fltmgr (kernel/drivers/fltmgr) calls them around each
// create on the volume it filters. Only IRP_MJ_CREATE has callbacks here.
//
// Sleuth's loader binds a driver's imports to nt's exports only, so a
// minifilter cannot import fltmgr's routines as NT's do. The three calls
// below are this header's: each is an internal device control to fltmgr's
// control device, \Device\FltMgr, which does the work. A
// minifilter includes this header and calls them by NT's names.
#pragma once

#include "io/io.h"
#include "ob/ob.h"

#define FLTMGR_DEVICE_NAME u"\\Device\\FltMgr"

// FLT_OPERATION_REGISTRATION's list ends with this major function.
#define IRP_MJ_OPERATION_END ((UCHAR)0x80)

typedef enum _FLT_PREOP_CALLBACK_STATUS {
    FLT_PREOP_SUCCESS_WITH_CALLBACK,    // go on; call my post-operation callback
    FLT_PREOP_SUCCESS_NO_CALLBACK,      // go on; no post-operation callback
    FLT_PREOP_PENDING,                  // (not supported here)
    FLT_PREOP_DISALLOW_FASTIO,
    FLT_PREOP_COMPLETE,                 // done: Data->IoStatus is the answer
    FLT_PREOP_SYNCHRONIZE,              // as WITH_CALLBACK (creates are synchronous)
} FLT_PREOP_CALLBACK_STATUS;

typedef enum _FLT_POSTOP_CALLBACK_STATUS {
    FLT_POSTOP_FINISHED_PROCESSING,
    FLT_POSTOP_MORE_PROCESSING_REQUIRED,    // (not supported here)
} FLT_POSTOP_CALLBACK_STATUS;

typedef ULONG FLT_POST_OPERATION_FLAGS;
#define FLTFL_POST_OPERATION_DRAINING 0x00000001

typedef struct _FLT_FILTER *PFLT_FILTER;

// The operation's parameters: the create's, as its IO_STACK_LOCATION has them.
typedef union _FLT_PARAMETERS {
    struct {
        IO_SECURITY_CONTEXT *SecurityContext;
        ULONG Options;                  // disposition << 24 | create options
        USHORT POINTER_ALIGNMENT FileAttributes;
        USHORT ShareAccess;
        ULONG POINTER_ALIGNMENT EaLength;
        void *EaBuffer;
        LARGE_INTEGER AllocationSize;
    } Create;
} FLT_PARAMETERS;

typedef struct _FLT_IO_PARAMETER_BLOCK {
    ULONG IrpFlags;
    UCHAR MajorFunction;
    UCHAR MinorFunction;
    UCHAR OperationFlags;               // the stack location's Flags
    UCHAR Reserved;
    FILE_OBJECT *TargetFileObject;      // its FileName is the name opened
    void *TargetInstance;
    FLT_PARAMETERS Parameters;
} FLT_IO_PARAMETER_BLOCK;

typedef struct _FLT_CALLBACK_DATA {
    ULONG Flags;
    struct _ETHREAD *Thread;            // who asked
    FLT_IO_PARAMETER_BLOCK *Iopb;
    IO_STATUS_BLOCK IoStatus;           // the result (post), or the answer (FLT_PREOP_COMPLETE)
    KPROCESSOR_MODE RequestorMode;
} FLT_CALLBACK_DATA;

typedef struct _FLT_RELATED_OBJECTS {
    USHORT Size;
    USHORT TransactionContext;
    PFLT_FILTER Filter;
    void *Volume;                       // the volume device filtered
    void *Instance;
    FILE_OBJECT *FileObject;
} FLT_RELATED_OBJECTS;

typedef FLT_PREOP_CALLBACK_STATUS (*PFLT_PRE_OPERATION_CALLBACK)(
    FLT_CALLBACK_DATA *data, const FLT_RELATED_OBJECTS *fltObjects, void **completionContext);
typedef FLT_POSTOP_CALLBACK_STATUS (*PFLT_POST_OPERATION_CALLBACK)(
    FLT_CALLBACK_DATA *data, const FLT_RELATED_OBJECTS *fltObjects, void *completionContext,
    FLT_POST_OPERATION_FLAGS flags);
typedef NTSTATUS (*PFLT_FILTER_UNLOAD_CALLBACK)(ULONG flags);

typedef struct _FLT_OPERATION_REGISTRATION {
    UCHAR MajorFunction;                // IRP_MJ_CREATE; IRP_MJ_OPERATION_END ends the list
    ULONG Flags;
    PFLT_PRE_OPERATION_CALLBACK PreOperation;
    PFLT_POST_OPERATION_CALLBACK PostOperation;
    void *Reserved1;
} FLT_OPERATION_REGISTRATION;

#define FLT_REGISTRATION_VERSION 0x0203

typedef struct _FLT_REGISTRATION {
    USHORT Size;                        // sizeof(FLT_REGISTRATION)
    USHORT Version;                     // FLT_REGISTRATION_VERSION
    ULONG Flags;
    const void *ContextRegistration;
    const FLT_OPERATION_REGISTRATION *OperationRegistration;
    PFLT_FILTER_UNLOAD_CALLBACK FilterUnloadCallback;
    void *InstanceSetupCallback;
    void *InstanceQueryTeardownCallback;
    void *InstanceTeardownStartCallback;
    void *InstanceTeardownCompleteCallback;
    void *GenerateFileNameCallback;
    void *NormalizeNameComponentCallback;
    void *NormalizeContextCleanupCallback;
} FLT_REGISTRATION;

// ---- The calls, as internal device controls to fltmgr ----

#define IOCTL_FLTMGR_REGISTER_FILTER \
    CTL_CODE(FILE_DEVICE_DISK_FILE_SYSTEM, 0x901, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_FLTMGR_START_FILTERING \
    CTL_CODE(FILE_DEVICE_DISK_FILE_SYSTEM, 0x902, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_FLTMGR_UNREGISTER_FILTER \
    CTL_CODE(FILE_DEVICE_DISK_FILE_SYSTEM, 0x903, METHOD_BUFFERED, FILE_ANY_ACCESS)

typedef struct _FLTMGR_REGISTER_INPUT {
    DRIVER_OBJECT *Driver;
    const FLT_REGISTRATION *Registration;
} FLTMGR_REGISTER_INPUT;

// One request to fltmgr's control device, waited for.
static inline NTSTATUS FltpCallFilterManager(ULONG code, void *input, ULONG inputLength,
                                             void *output, ULONG outputLength)
{
    UNICODE_STRING name;
    FILE_OBJECT *fileObject;
    DEVICE_OBJECT *deviceObject;
    IO_STATUS_BLOCK ioStatus;
    KEVENT event;
    IRP *irp;
    NTSTATUS status;

    RtlInitUnicodeString(&name, FLTMGR_DEVICE_NAME);
    status = IoGetDeviceObjectPointer(&name, FILE_READ_DATA, &fileObject, &deviceObject);
    if (!NT_SUCCESS(status))
        return STATUS_FLT_NOT_INITIALIZED;
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    irp = IoBuildDeviceIoControlRequest(code, deviceObject, input, inputLength, output,
                                        outputLength, TRUE, &event, &ioStatus);
    if (irp) {
        status = IoCallDriver(deviceObject, irp);
        if (status == STATUS_PENDING) {
            KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
            status = ioStatus.Status;
        }
    } else {
        status = STATUS_INSUFFICIENT_RESOURCES;
    }
    ObDereferenceObject(fileObject);
    return status;
}

// Registers the driver's callbacks (not yet called: FltStartFiltering).
static inline NTSTATUS FltRegisterFilter(DRIVER_OBJECT *driver,
                                         const FLT_REGISTRATION *registration,
                                         PFLT_FILTER *retFilter)
{
    FLTMGR_REGISTER_INPUT input = {driver, registration};

    *retFilter = NULL;
    return FltpCallFilterManager(IOCTL_FLTMGR_REGISTER_FILTER, &input, sizeof(input),
                                 retFilter, sizeof(*retFilter));
}

static inline NTSTATUS FltStartFiltering(PFLT_FILTER filter)
{
    return FltpCallFilterManager(IOCTL_FLTMGR_START_FILTERING, &filter, sizeof(filter), NULL,
                                 0);
}

// Takes the callbacks back; returns once none of them is running.
static inline void FltUnregisterFilter(PFLT_FILTER filter)
{
    FltpCallFilterManager(IOCTL_FLTMGR_UNREGISTER_FILTER, &filter, sizeof(filter), NULL, 0);
}
