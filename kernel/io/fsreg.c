// File systems registered with the I/O manager, and the drivers that want
// to hear of them (NT's IoRegisterFileSystem and
// IoRegisterFsRegistrationChange): a file system filter such as the filter
// manager attaches to each file system as it registers, whether it loaded
// before the filter (it is told at once) or after.
//
// Sleuth has no mount step (no VPB): a file system registers the device
// its files are opened on (\Device\RamVolume0, \Device\Mup), and that is
// what a filter attaches over.

#include "io/iop.h"

#define IOP_FS_REGISTRATION_TAG POOL_TAG('I', 'o', 'F', 's')

typedef struct _IOP_FS_ENTRY {
    LIST_ENTRY Links;
    DEVICE_OBJECT *DeviceObject;        // referenced while registered
} IOP_FS_ENTRY;

typedef struct _IOP_FS_NOTIFICATION {
    LIST_ENTRY Links;
    DRIVER_OBJECT *DriverObject;        // referenced while registered
    PDRIVER_FS_NOTIFICATION Routine;
} IOP_FS_NOTIFICATION;

// Both lists, and every call of a notification routine, under one mutex:
// a routine sees registrations in order and never one twice.
static KMUTEX IopFsRegistrationLock;
static LIST_ENTRY IopFileSystemQueueHead;
static LIST_ENTRY IopFsNotifyChangeQueueHead;

void IopInitializeFsRegistration(void)
{
    KeInitializeMutex(&IopFsRegistrationLock, 0);
    InitializeListHead(&IopFileSystemQueueHead);
    InitializeListHead(&IopFsNotifyChangeQueueHead);
}

static void IopAcquireFsLock(void)
{
    KeWaitForSingleObject(&IopFsRegistrationLock, Executive, KernelMode, FALSE, NULL);
}

static void IopReleaseFsLock(void)
{
    KeReleaseMutex(&IopFsRegistrationLock, FALSE);
}

static void IopNotifyFsChange(DEVICE_OBJECT *deviceObject, BOOLEAN active)
{
    for (LIST_ENTRY *link = IopFsNotifyChangeQueueHead.Flink;
         link != &IopFsNotifyChangeQueueHead; link = link->Flink)
        CONTAINING_RECORD(link, IOP_FS_NOTIFICATION, Links)->Routine(deviceObject, active);
}

// NT's IoRegisterFileSystem is a void routine; Sleuth's tells the caller
// when it had no pool for the entry (the file system is then unknown to
// filters).
NTSTATUS IoRegisterFileSystem(DEVICE_OBJECT *deviceObject)
{
    IOP_FS_ENTRY *entry = ExAllocatePoolWithTag(NonPagedPool, sizeof(*entry),
                                                IOP_FS_REGISTRATION_TAG);

    if (!entry)
        return STATUS_INSUFFICIENT_RESOURCES;
    ObReferenceObject(deviceObject);
    entry->DeviceObject = deviceObject;
    IopAcquireFsLock();
    InsertTailList(&IopFileSystemQueueHead, &entry->Links);
    IopNotifyFsChange(deviceObject, TRUE);
    IopReleaseFsLock();
    return STATUS_SUCCESS;
}

void IoUnregisterFileSystem(DEVICE_OBJECT *deviceObject)
{
    IOP_FS_ENTRY *found = NULL;

    IopAcquireFsLock();
    for (LIST_ENTRY *link = IopFileSystemQueueHead.Flink; link != &IopFileSystemQueueHead;
         link = link->Flink) {
        IOP_FS_ENTRY *entry = CONTAINING_RECORD(link, IOP_FS_ENTRY, Links);

        if (entry->DeviceObject == deviceObject) {
            found = entry;
            RemoveEntryList(&entry->Links);
            break;
        }
    }
    // Filters detach before the file system deletes its device.
    if (found)
        IopNotifyFsChange(deviceObject, FALSE);
    IopReleaseFsLock();
    if (found) {
        ObDereferenceObject(found->DeviceObject);
        ExFreePoolWithTag(found, IOP_FS_REGISTRATION_TAG);
    }
}

// As NT's (since XP): the routine hears of every file system already
// registered at once, then of each one that comes or goes.
NTSTATUS IoRegisterFsRegistrationChange(DRIVER_OBJECT *driverObject,
                                        PDRIVER_FS_NOTIFICATION driverNotificationRoutine)
{
    IOP_FS_NOTIFICATION *notification;

    if (!driverObject || !driverNotificationRoutine)
        return STATUS_INVALID_PARAMETER;
    notification = ExAllocatePoolWithTag(NonPagedPool, sizeof(*notification),
                                         IOP_FS_REGISTRATION_TAG);
    if (!notification)
        return STATUS_INSUFFICIENT_RESOURCES;
    ObReferenceObject(driverObject);
    notification->DriverObject = driverObject;
    notification->Routine = driverNotificationRoutine;
    IopAcquireFsLock();
    InsertTailList(&IopFsNotifyChangeQueueHead, &notification->Links);
    for (LIST_ENTRY *link = IopFileSystemQueueHead.Flink; link != &IopFileSystemQueueHead;
         link = link->Flink)
        driverNotificationRoutine(CONTAINING_RECORD(link, IOP_FS_ENTRY, Links)->DeviceObject,
                                  TRUE);
    IopReleaseFsLock();
    return STATUS_SUCCESS;
}

void IoUnregisterFsRegistrationChange(DRIVER_OBJECT *driverObject,
                                      PDRIVER_FS_NOTIFICATION driverNotificationRoutine)
{
    IOP_FS_NOTIFICATION *found = NULL;

    IopAcquireFsLock();
    for (LIST_ENTRY *link = IopFsNotifyChangeQueueHead.Flink;
         link != &IopFsNotifyChangeQueueHead; link = link->Flink) {
        IOP_FS_NOTIFICATION *notification = CONTAINING_RECORD(link, IOP_FS_NOTIFICATION, Links);

        if (notification->DriverObject == driverObject &&
            notification->Routine == driverNotificationRoutine) {
            found = notification;
            RemoveEntryList(&notification->Links);
            break;
        }
    }
    IopReleaseFsLock();
    if (found) {
        ObDereferenceObject(found->DriverObject);
        ExFreePoolWithTag(found, IOP_FS_REGISTRATION_TAG);
    }
}
