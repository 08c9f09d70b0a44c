// Private to the I/O manager: its locks, the open packet that carries a
// create through the object manager into IopParseDevice, and the routines
// its files share.
#pragma once

#include "io/io.h"
#include "ps/ps.h"
#include "mm/mm.h"

// Guards every driver's device list, every AttachedDevice/AttachedTo link
// and the file systems' list (NT's IopDatabaseLock).
extern KSPIN_LOCK IopDatabaseLock;

extern OBJECT_DIRECTORY *IopDeviceDirectory;    // \Device
extern OBJECT_DIRECTORY *IopDriverDirectory;    // \Driver

// What IopCreateFile passes through ObOpenObjectByName to the parse
// procedure, and what the parse leaves for it (NT's OPEN_PACKET).
#define IOP_OPEN_PACKET_PATTERN 0xBEAA0251

typedef struct _OPEN_PACKET {
    CSHORT Type;                        // IO_TYPE_OPEN_PACKET
    CSHORT Size;
    FILE_OBJECT *FileObject;            // the file object the parse made
    NTSTATUS FinalStatus;               // the create IRP's status
    ULONG_PTR Information;              // ... and its Information (FILE_OPENED...)
    ULONG ParseCheck;                   // IOP_OPEN_PACKET_PATTERN once the parse ran
    FILE_OBJECT *RelatedFileObject;     // set by IopParseFile for relative opens
    LARGE_INTEGER AllocationSize;
    ULONG CreateOptions;
    USHORT FileAttributes;
    USHORT ShareAccess;
    void *EaBuffer;                     // a kernel copy
    ULONG EaLength;
    ULONG Options;                      // IoCreateFile's
    ULONG Disposition;
    ACCESS_MASK DesiredAccess;
} OPEN_PACKET;

// The parse procedures: of the Device type (an open of a device, or of a
// file on it), and of the File type (an open relative to a directory file).
NTSTATUS IopParseDevice(void *parseObject, OBJECT_TYPE *objectType, KPROCESSOR_MODE accessMode,
                        ULONG attributes, UNICODE_STRING *completeName,
                        UNICODE_STRING *remainingName, void *context, void **object);
NTSTATUS IopParseFile(void *parseObject, OBJECT_TYPE *objectType, KPROCESSOR_MODE accessMode,
                      ULONG attributes, UNICODE_STRING *completeName,
                      UNICODE_STRING *remainingName, void *context, void **object);
// The File type's close and delete procedures: IRP_MJ_CLEANUP when the last
// handle goes, IRP_MJ_CLOSE when the last reference does.
void IopCloseFile(EPROCESS *process, void *object, ACCESS_MASK grantedAccess,
                  ULONG_PTR processHandleCount, ULONG_PTR systemHandleCount);
void IopDeleteFile(void *object);
void IopDeleteDevice(void *object);
void IopDeleteDriver(void *object);

// Whether the device can take a new open: not being deleted, not still
// initializing (STATUS_NO_SUCH_DEVICE otherwise), and not exclusive and
// open already (STATUS_ACCESS_DENIED).
NTSTATUS IopCheckDeviceAndDriver(DEVICE_OBJECT *deviceObject, BOOLEAN relativeOpen);
// A request the I/O manager makes for itself (cleanup, close, query of a
// name...) on fileObject, completed in line and waited for: sends `irp`
// (built with one location current-to-be) to the file's device and returns
// the final status. The IRP is freed.
NTSTATUS IopSynchronousCall(DEVICE_OBJECT *deviceObject, IRP *irp, FILE_OBJECT *fileObject);

// A user request on a file as the services build it (rw.c, ioctl.c,
// info.c): the file object (its reference passes to the IRP), the event
// object named by the caller (referenced, cleared), whether the file object
// is synchronous (then its lock is held).
typedef struct _IOP_CALL {
    FILE_OBJECT *FileObject;
    KEVENT *Event;
    BOOLEAN SynchronousIo;
    BOOLEAN LockHeld;
    ACCESS_MASK GrantedAccess;
} IOP_CALL;

// The file object behind the handle, when the handle grants `access`.
NTSTATUS IopReferenceFile(HANDLE fileHandle, ACCESS_MASK access, IOP_CALL *call);
// The caller's event (EVENT_MODIFY_STATE; NULL: none), cleared, then the
// synchronous file object's lock; what was taken is given back on failure.
// Anything but STATUS_SUCCESS is a failure, the call cleared: an alertable
// lock wait ends with STATUS_ALERTED or STATUS_USER_APC, success codes that
// the service returns as they are.
NTSTATUS IopReferenceEventAndLock(HANDLE eventHandle, IOP_CALL *call);
// Gives back what the call holds when its IRP was never sent.
void IopAbortCall(IOP_CALL *call);
// An IRP for the call to the top of the file's stack, its next location
// naming majorFunction and the file, its issuer the user (UserIosb, event,
// APC routine); NULL when the pool is exhausted (the call is aborted).
IRP *IopAllocateCallIrp(IOP_CALL *call, UCHAR majorFunction, IO_STATUS_BLOCK *ioStatusBlock,
                        PIO_APC_ROUTINE apcRoutine, void *apcContext,
                        DEVICE_OBJECT **deviceObject);

// The end of every user request on a file (rw.c, ioctl.c, info.c): queue
// the IRP on the thread, call the driver, and for a synchronous file
// object wait for the result and release the file object's lock.
NTSTATUS IopSynchronousServiceTail(DEVICE_OBJECT *deviceObject, IRP *irp, IOP_CALL *call);
// The file object's lock, which keeps requests on a synchronous file object
// one at a time (FILE_OBJECT.Busy, Waiters, Lock): STATUS_SUCCESS, or the
// alert or user APC that ended an alertable (FO_ALERTABLE_IO) wait.
NTSTATUS IopAcquireFileObjectLock(FILE_OBJECT *fileObject);
void IopReleaseFileObjectLock(FILE_OBJECT *fileObject);

// The special kernel APC that finishes a request in its thread, and the
// same work done by the issuer itself for a request with
// IRP_DEFER_IO_COMPLETION that did not pend.
void IopCompleteRequest(KAPC *apc, PKNORMAL_ROUTINE *normalRoutine, void **normalContext,
                        void **systemArgument1, void **systemArgument2);
void IopCompleteDeferredRequest(IRP *irp);
// The same after IoCallDriver returned `status` (not STATUS_PENDING) for a
// deferred IRP sent to deviceObject: the driver must have completed it.
void IopFinishDeferredRequest(IRP *irp, DEVICE_OBJECT *deviceObject, NTSTATUS status);
// Taken by IoCompleteRequest to read an IRP's thread and queue its APC, and
// by a thread disassociating its IRPs as it ends (irp.c, cancel.c). While
// a completion APC is queued, CurrentLocation is StackCount + 2 (the
// IRP's Tail.Overlay is then the APC).
extern KSPIN_LOCK IopCompletionLock;
#define IopIsCompletionQueued(irp) ((irp)->CurrentLocation == (irp)->StackCount + 2)
// An IRP taken out of the issuing thread's hands (the thread is gone, or
// the request was never issued): freed with what it holds.
void IopFreeIrpAndBuffers(IRP *irp);

// kernel/io/fsreg.c: the registered file systems and who hears of them.
void IopInitializeFsRegistration(void);
