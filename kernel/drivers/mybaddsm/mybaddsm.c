// MyBadDSM.sys: a storage vendor's DSM for mpio.sys (mpiodsm.h), the one
// the third case study ends in. It manages four paths to its array. Its
// bug: when a path fails it checks it with an inquiry down that path and
// waits for the adapter's answer without a timeout; the failed path's
// adapter has gone and will never answer, so every check waits forever,
// each in the Delayed queue worker that ran mpio's MPIOPathVerify.

#include "drivers/mpio/mpiodsm.h"

#define DSM_PATHS 4
#define DSM_INQUIRY_TAG POOL_TAG('D', 's', 'm', 'I')

typedef struct _DSM_INQUIRY {
    LIST_ENTRY Links;                   // on its path's Outstanding list
    KEVENT Answered;                    // set by the adapter's completion
    NTSTATUS Status;
    ULONG PathId;
} DSM_INQUIRY;

typedef struct _DSM_PATH {
    BOOLEAN Failed;
    BOOLEAN AdapterPresent;             // an adapter that can still answer
    LIST_ENTRY Outstanding;             // DSM_INQUIRY.Links: sent, unanswered
} DSM_PATH;

static KSPIN_LOCK DsmLock;
static DSM_PATH DsmPaths[DSM_PATHS];
static ULONG DsmNextPath;

// Read by the debugger (x MyBadDSM!Dsm*): inquiries waiting for an answer.
volatile LONG DsmInquiriesOutstanding;

// Every path has failed (its fibre link is down): there is none to give.
static NTSTATUS DsmGetPath(void *dsmContext, ULONG *pathId)
{
    KIRQL irql;
    ULONG i;

    UNREFERENCED_PARAMETER(dsmContext);
    KeAcquireSpinLock(&DsmLock, &irql);
    for (i = 0; i < DSM_PATHS; i++) {
        ULONG path = (DsmNextPath + i) % DSM_PATHS;

        if (!DsmPaths[path].Failed) {
            DsmNextPath = path + 1;
            *pathId = path;
            KeReleaseSpinLock(&DsmLock, irql);
            return STATUS_SUCCESS;
        }
    }
    *pathId = DsmNextPath++ % DSM_PATHS;
    KeReleaseSpinLock(&DsmLock, irql);
    return STATUS_DEVICE_NOT_CONNECTED;
}

// Waits for the adapter's answer to the inquiry: no timeout (the bug).
__attribute__((noinline)) static NTSTATUS DsmpWaitForInquiry(DSM_INQUIRY *inquiry)
{
    KeWaitForSingleObject(&inquiry->Answered, Executive, KernelMode, FALSE, NULL);
    return inquiry->Status;
}

// Sends an inquiry down the path: queued for the path's adapter, which
// completes it (sets Answered) when it answers. A path whose adapter is
// gone keeps it queued.
__attribute__((noinline)) static NTSTATUS DsmpSendInquiry(ULONG pathId)
{
    DSM_INQUIRY *inquiry = ExAllocatePoolWithTag(NonPagedPool, sizeof(*inquiry),
                                                 DSM_INQUIRY_TAG);
    NTSTATUS status;
    KIRQL irql;

    if (!inquiry)
        return STATUS_INSUFFICIENT_RESOURCES;
    KeInitializeEvent(&inquiry->Answered, SynchronizationEvent, FALSE);
    inquiry->PathId = pathId;
    inquiry->Status = STATUS_PENDING;
    KeAcquireSpinLock(&DsmLock, &irql);
    InsertTailList(&DsmPaths[pathId].Outstanding, &inquiry->Links);
    if (DsmPaths[pathId].AdapterPresent) {
        RemoveEntryList(&inquiry->Links);
        inquiry->Status = STATUS_SUCCESS;
        DsmPaths[pathId].Failed = FALSE;
        KeSetEvent(&inquiry->Answered, IO_NO_INCREMENT, FALSE);
    }
    KeReleaseSpinLock(&DsmLock, irql);
    __atomic_add_fetch(&DsmInquiriesOutstanding, 1, __ATOMIC_RELAXED);
    status = DsmpWaitForInquiry(inquiry);
    __atomic_sub_fetch(&DsmInquiriesOutstanding, 1, __ATOMIC_RELAXED);
    ExFreePoolWithTag(inquiry, DSM_INQUIRY_TAG);
    return status;
}

__attribute__((noinline)) static NTSTATUS DsmPathVerify(void *dsmContext, ULONG pathId)
{
    UNREFERENCED_PARAMETER(dsmContext);
    if (pathId >= DSM_PATHS)
        return STATUS_INVALID_PARAMETER;
    return DsmpSendInquiry(pathId);
}

static const MPIO_DSM_INIT DsmInit = {
    .DsmName = "MyBadDSM",
    .DsmGetPath = DsmGetPath,
    .DsmPathVerify = DsmPathVerify,
};

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    UNREFERENCED_PARAMETER(driverObject);
    UNREFERENCED_PARAMETER(registryPath);
    KeInitializeSpinLock(&DsmLock);
    // The array's fibre links are down and the adapters gone: every path
    // has failed, and no adapter will answer an inquiry.
    for (ULONG i = 0; i < DSM_PATHS; i++) {
        DsmPaths[i].Failed = TRUE;
        DsmPaths[i].AdapterPresent = FALSE;
        InitializeListHead(&DsmPaths[i].Outstanding);
    }
    // No unload: mpio calls into it for as long as mpio is loaded.
    return MpioRegisterDsm(&DsmInit);
}
