// The filter manager's interface for minifilters (NT's fltKernel.h, the
// part Sleuth has): a minifilter registers pre- and post-create callbacks
// with FltRegisterFilter, starts them with FltStartFiltering and takes them
// back with FltUnregisterFilter (which waits for callbacks still running).
// Its InstanceSetupCallback, if any, says which volumes it wants
// (STATUS_FLT_DO_NOT_ATTACH: not this one). fltMgr.sys
// (kernel/drivers/fltmgr) calls them around each create on the volumes it
// filters. Only IRP_MJ_CREATE has callbacks here.
//
// The three routines are fltMgr.sys's exports (fltmgr.exports): a
// minifilter imports them, as NT's do, so it loads only once fltMgr.sys is
// loaded, and fltMgr.sys cannot be unloaded while one is.
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
    DEVICE_OBJECT *Volume;              // the file system's device filtered
    void *Instance;
    FILE_OBJECT *FileObject;
} FLT_RELATED_OBJECTS;

typedef FLT_PREOP_CALLBACK_STATUS (*PFLT_PRE_OPERATION_CALLBACK)(
    FLT_CALLBACK_DATA *data, const FLT_RELATED_OBJECTS *fltObjects, void **completionContext);
typedef FLT_POSTOP_CALLBACK_STATUS (*PFLT_POST_OPERATION_CALLBACK)(
    FLT_CALLBACK_DATA *data, const FLT_RELATED_OBJECTS *fltObjects, void *completionContext,
    FLT_POST_OPERATION_FLAGS flags);
typedef NTSTATUS (*PFLT_FILTER_UNLOAD_CALLBACK)(ULONG flags);

// FLT_INSTANCE_SETUP_FLAGS
typedef ULONG FLT_INSTANCE_SETUP_FLAGS;
#define FLTFL_INSTANCE_SETUP_AUTOMATIC_ATTACHMENT   0x00000001
#define FLTFL_INSTANCE_SETUP_NEWLY_MOUNTED_VOLUME   0x00000004

// What file system a volume has; Sleuth's fltMgr does not tell them apart
// (FLT_FSTYPE_UNKNOWN): a minifilter looks at the volume's device type.
typedef enum _FLT_FILESYSTEM_TYPE {
    FLT_FSTYPE_UNKNOWN,
} FLT_FILESYSTEM_TYPE;

typedef NTSTATUS (*PFLT_INSTANCE_SETUP_CALLBACK)(const struct _FLT_RELATED_OBJECTS *fltObjects,
                                                 FLT_INSTANCE_SETUP_FLAGS flags,
                                                 DEVICE_TYPE volumeDeviceType,
                                                 FLT_FILESYSTEM_TYPE volumeFilesystemType);

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
    PFLT_INSTANCE_SETUP_CALLBACK InstanceSetupCallback;
    void *InstanceQueryTeardownCallback;
    void *InstanceTeardownStartCallback;
    void *InstanceTeardownCompleteCallback;
    void *GenerateFileNameCallback;
    void *NormalizeNameComponentCallback;
    void *NormalizeContextCleanupCallback;
} FLT_REGISTRATION;

// ---- fltMgr.sys's exports ----

// Registers the driver's callbacks (not yet called: FltStartFiltering).
NTSTATUS FltRegisterFilter(DRIVER_OBJECT *driver, const FLT_REGISTRATION *registration,
                           PFLT_FILTER *retFilter);
// Starts the callbacks on every volume the filter's instance setup accepts.
NTSTATUS FltStartFiltering(PFLT_FILTER filter);
// Takes the callbacks back; returns once none of them is running.
void FltUnregisterFilter(PFLT_FILTER filter);
