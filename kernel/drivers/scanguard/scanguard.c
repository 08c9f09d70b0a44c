// ScanGuard.sys: an on-access virus scanner, as a minifilter (exercise
// 000, docs/exercises/00-encrypted-open.md). Before a file on the RAM
// volume is opened, it scans it: it opens the same file itself (a nested
// create, from the same thread, under the opener's identity), reads its
// first bytes and looks for a signature; an infected file's open fails
// with STATUS_VIRUS_INFECTED. Its own nested opens pass unscanned.
//
// One scan runs at a time: the scanner has a single slot (a semaphore
// with a limit of 1), and every other open waits for it, or for the
// driver to be unloaded. That is its flaw. The scan's nested open of an
// encrypted file goes down to the file system, which asks KSecDD for the
// file's key, which asks lsass over LPC, all in the opening thread, with
// the slot held; if lsass, to answer, must open a file itself, its open
// waits here for the slot: a deadlock no timeout ends.
//
//   svchost.exe's thread: NtCreateFile -> fltMgr!FltpCreate
//     -> ScanGuard!ScanGuardPreCreate (takes the slot) -> ScanGuardScanFile
//     -> nt!IoCreateFile -> fltMgr!FltpCreate -> (own open: passes)
//     -> RamFs!RamFsFsdCreate -> KSecDD!EfsDecryptFek -> WrLpcReply
//   lsass.exe's worker: NtCreateFile -> fltMgr!FltpCreate
//     -> ScanGuard!ScanGuardPreCreate -> KeWaitForMultipleObjects (the slot)

#include "drivers/fltmgr/fltkernel.h"
#include "ps/ps.h"

#define SCANGUARD_VOLUME      u"\\Device\\RamVolume0"
#define SCANGUARD_NAME_CHARS  160
#define SCANGUARD_HEAD_BYTES  64
#define SCANGUARD_TAG         POOL_TAG('S', 'g', 'S', 'c')

// The scanner's state: its one slot, the event that ends the waits for it
// at unload, and the thread that holds the slot (whose nested opens pass).
typedef struct _SCANGUARD_SCANNER {
    KSEMAPHORE ScanSlot;
    KEVENT Unloading;
    ETHREAD *volatile ScanningThread;
    volatile LONG Scans;
    volatile LONG Detections;
} SCANGUARD_SCANNER;

static SCANGUARD_SCANNER *ScanGuardScanner;
static PFLT_FILTER ScanGuardFilter;

// The test file every scanner knows (EICAR's opening bytes).
static const char ScanGuardSignature[] = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR";

static BOOLEAN ScanGuardMatch(const UCHAR *data, ULONG length)
{
    ULONG size = sizeof(ScanGuardSignature) - 1;

    for (ULONG at = 0; at + size <= length; at++) {
        if (!memcmp(data + at, ScanGuardSignature, size))
            return TRUE;
    }
    return FALSE;
}

// The first bytes of an open file, through the file system's read.
static ULONG ScanGuardReadHead(HANDLE handle, UCHAR *buffer)
{
    IO_STATUS_BLOCK ioStatus = {0};
    LARGE_INTEGER offset = {.QuadPart = 0};
    FILE_OBJECT *fileObject;
    DEVICE_OBJECT *device;
    KEVENT event;
    IRP *irp;
    NTSTATUS status;

    if (!NT_SUCCESS(ObReferenceObjectByHandle(handle, FILE_READ_DATA, IoFileObjectType,
                                              (void **)&fileObject, NULL)))
        return 0;
    device = IoGetRelatedDeviceObject(fileObject);
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    irp = IoBuildSynchronousFsdRequest(IRP_MJ_READ, device, buffer, SCANGUARD_HEAD_BYTES, &offset,
                                       &event, &ioStatus);
    if (!irp) {
        ObDereferenceObject(fileObject);
        return 0;
    }
    IoGetNextIrpStackLocation(irp)->FileObject = fileObject;
    status = IoCallDriver(device, irp);
    if (status == STATUS_PENDING) {
        KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
        status = ioStatus.Status;
    }
    ObDereferenceObject(fileObject);
    return NT_SUCCESS(status) ? (ULONG)ioStatus.Information : 0;
}

// Opens the file being opened, as the opener (its impersonation token
// too), reads its head and looks for the signature. Not in line: a frame
// of its own in the stacks.
__attribute__((noinline)) static BOOLEAN ScanGuardScanFile(const FILE_OBJECT *target)
{
    static const WCHAR volume[] = SCANGUARD_VOLUME;
    WCHAR *path;
    UCHAR head[SCANGUARD_HEAD_BYTES];
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK ioStatus;
    ULONG volumeChars = ARRAYSIZE(volume) - 1, chars = target->FileName.Length / sizeof(WCHAR);
    HANDLE handle;
    BOOLEAN infected = FALSE;
    NTSTATUS status;

    if (chars + volumeChars >= SCANGUARD_NAME_CHARS)
        return FALSE;
    path = ExAllocatePoolWithTag(NonPagedPool, SCANGUARD_NAME_CHARS * sizeof(WCHAR),
                                 SCANGUARD_TAG);
    if (!path)
        return FALSE;
    memcpy(path, volume, volumeChars * sizeof(WCHAR));
    memcpy(path + volumeChars, target->FileName.Buffer, chars * sizeof(WCHAR));
    name.Buffer = path;
    name.Length = (USHORT)((volumeChars + chars) * sizeof(WCHAR));
    name.MaximumLength = SCANGUARD_NAME_CHARS * sizeof(WCHAR);
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE, NULL, NULL);
    status = IoCreateFile(&handle, FILE_READ_DATA | SYNCHRONIZE, &attributes, &ioStatus, NULL, 0,
                          FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, FILE_OPEN,
                          FILE_NON_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0,
                          CreateFileTypeNone, NULL, IO_NO_PARAMETER_CHECKING);
    if (NT_SUCCESS(status)) {
        infected = ScanGuardMatch(head, ScanGuardReadHead(handle, head));
        ObCloseHandle(handle);
    }
    ExFreePoolWithTag(path, SCANGUARD_TAG);
    return infected;
}

// Files, not directories nor the volume; and not a create that makes a
// new file (nothing to scan yet).
static BOOLEAN ScanGuardWantsScan(const FLT_CALLBACK_DATA *data)
{
    const FILE_OBJECT *target = data->Iopb->TargetFileObject;
    ULONG options = data->Iopb->Parameters.Create.Options;
    ULONG disposition = options >> 24;

    if (!target || !target->FileName.Length || target->RelatedFileObject)
        return FALSE;
    if (options & FILE_DIRECTORY_FILE)
        return FALSE;
    return disposition == FILE_OPEN || disposition == FILE_OPEN_IF;
}

static FLT_PREOP_CALLBACK_STATUS ScanGuardPreCreate(FLT_CALLBACK_DATA *data,
                                                    const FLT_RELATED_OBJECTS *fltObjects,
                                                    void **completionContext)
{
    SCANGUARD_SCANNER *scanner = ScanGuardScanner;
    void *objects[2] = {&scanner->ScanSlot, &scanner->Unloading};
    BOOLEAN infected;
    NTSTATUS status;

    *completionContext = NULL;
    // The scanner's own open of the file it scans.
    if (scanner->ScanningThread == PsGetCurrentThread() || !ScanGuardWantsScan(data))
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    // One scan at a time; an unload lets every waiter through unscanned.
    status = KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode, FALSE, NULL,
                                      NULL);
    if (status != STATUS_WAIT_0)
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    scanner->ScanningThread = PsGetCurrentThread();
    infected = ScanGuardScanFile(data->Iopb->TargetFileObject);
    scanner->ScanningThread = NULL;
    __atomic_add_fetch(&scanner->Scans, 1, __ATOMIC_RELAXED);
    KeReleaseSemaphore(&scanner->ScanSlot, IO_NO_INCREMENT, 1, FALSE);
    if (!infected)
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    __atomic_add_fetch(&scanner->Detections, 1, __ATOMIC_RELAXED);
    data->IoStatus.Status = STATUS_VIRUS_INFECTED;
    data->IoStatus.Information = 0;
    return FLT_PREOP_COMPLETE;
}

static const FLT_OPERATION_REGISTRATION ScanGuardCallbacks[] = {
    {IRP_MJ_CREATE, 0, ScanGuardPreCreate, NULL, NULL},
    {IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL},
};

// Disk volumes only: the RAM volume, not the network's.
static NTSTATUS ScanGuardInstanceSetup(const FLT_RELATED_OBJECTS *fltObjects,
                                       FLT_INSTANCE_SETUP_FLAGS flags,
                                       DEVICE_TYPE volumeDeviceType,
                                       FLT_FILESYSTEM_TYPE volumeFilesystemType)
{
    return volumeDeviceType == FILE_DEVICE_DISK_FILE_SYSTEM ? STATUS_SUCCESS
                                                            : STATUS_FLT_DO_NOT_ATTACH;
}

static const FLT_REGISTRATION ScanGuardRegistration = {
    .Size = sizeof(FLT_REGISTRATION),
    .Version = FLT_REGISTRATION_VERSION,
    .OperationRegistration = ScanGuardCallbacks,
    .InstanceSetupCallback = ScanGuardInstanceSetup,
};

static void ScanGuardUnload(DRIVER_OBJECT *driverObject)
{
    KeSetEvent(&ScanGuardScanner->Unloading, IO_NO_INCREMENT, FALSE);
    FltUnregisterFilter(ScanGuardFilter);
    ExFreePoolWithTag(ScanGuardScanner, SCANGUARD_TAG);
}

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    NTSTATUS status;

    ScanGuardScanner = ExAllocatePoolWithTag(NonPagedPool, sizeof(*ScanGuardScanner),
                                             SCANGUARD_TAG);
    if (!ScanGuardScanner)
        return STATUS_INSUFFICIENT_RESOURCES;
    memset(ScanGuardScanner, 0, sizeof(*ScanGuardScanner));
    KeInitializeSemaphore(&ScanGuardScanner->ScanSlot, 1, 1);
    KeInitializeEvent(&ScanGuardScanner->Unloading, NotificationEvent, FALSE);
    status = FltRegisterFilter(driverObject, &ScanGuardRegistration, &ScanGuardFilter);
    if (NT_SUCCESS(status)) {
        status = FltStartFiltering(ScanGuardFilter);
        if (!NT_SUCCESS(status))
            FltUnregisterFilter(ScanGuardFilter);
    }
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(ScanGuardScanner, SCANGUARD_TAG);
        return status;
    }
    driverObject->DriverUnload = ScanGuardUnload;
    return STATUS_SUCCESS;
}
