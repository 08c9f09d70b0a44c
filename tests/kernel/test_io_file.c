// In-kernel tests of opening files: the name's way through the object
// manager into IopParseDevice and IRP_MJ_CREATE down the device's stack,
// cleanup on the last handle and close on the last reference, a deleted
// device that lives on while opened, and the user-mode program tio (every
// service from user mode, under the leak check).

#include "tests/kernel/ktio.h"
#include "tests/kernel/ktuser.h"
#include "tests/kernel/test_dispatcher.h"

// A kernel-mode open (IoCreateFile with IO_NO_PARAMETER_CHECKING).
static NTSTATUS KtIoOpen(const WCHAR *path, HANDLE *handle, IO_STATUS_BLOCK *iosb)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;

    RtlInitUnicodeString(&name, path);
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE, NULL, NULL);
    return IoCreateFile(handle, FILE_READ_DATA, &attributes, iosb, NULL, 0, FILE_SHARE_READ,
                        FILE_OPEN, 0, NULL, 0, CreateFileTypeNone, NULL,
                        IO_NO_PARAMETER_CHECKING);
}

KTEST(OpenSendsCreateDownTheStackAndCloseSendsCleanupThenClose)
{
    IO_STATUS_BLOCK iosb;
    UNICODE_STRING expected;
    FILE_OBJECT *file = NULL;
    HANDLE handle;
    ULONG filesBefore = KtPoolTagCount(IO_FILE_TAG);

    KT_EXPECT_EQ(KtIoStartDrivers(), STATUS_SUCCESS);
    KT_CHECK_EQ(KtIoOpen(KTIO_STACK_DEVICE u"\\x\\y", &handle, &iosb), STATUS_SUCCESS);
    KT_CHECK_EQ(iosb.Information, FILE_OPENED);
    // Through the top of the stack: both filters saw the create complete.
    KT_CHECK_EQ(KtIoCounters.Creates, 1);
    KT_CHECK_EQ(KtIoCounters.Completions, 2);
    KT_CHECK_EQ(ObReferenceObjectByHandle(handle, 0, IoFileObjectType, (void **)&file, NULL),
                STATUS_SUCCESS);
    if (file) {
        RtlInitUnicodeString(&expected, u"\\x\\y");
        KT_CHECK(RtlEqualUnicodeString(&file->FileName, &expected, FALSE));
        KT_CHECK(file->DeviceObject == KtIoBottomDevice);
        KT_CHECK(IoGetRelatedDeviceObject(file) == KtIoTopDevice);
        KT_CHECK(file->Flags & FO_FILE_OPEN);
        KT_CHECK_EQ(KtIoBottomDevice->ReferenceCount, 1);
        // The last handle: cleanup, not close (a reference remains).
        ObCloseHandle(handle);
        KT_CHECK_EQ(KtIoCounters.Cleanups, 1);
        KT_CHECK_EQ(KtIoCounters.Closes, 0);
        KT_CHECK(file->Flags & FO_CLEANUP_COMPLETE);
        ObDereferenceObject(file);
        KT_CHECK_EQ(KtIoCounters.Closes, 1);
        KT_CHECK_EQ(KtIoBottomDevice->ReferenceCount, 0);
    }
    KT_CHECK_EQ(KtPoolTagCount(IO_FILE_TAG), filesBefore);
    KtIoStopDrivers();
}

KTEST(LookupThatIsNotAnOpenDoesNotParseIntoADevice)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK iosb;
    HANDLE handle;
    void *object;

    KT_EXPECT_EQ(KtIoStartDrivers(), STATUS_SUCCESS);
    RtlInitUnicodeString(&name, KTIO_SYNC_DEVICE u"\\file");
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    KT_CHECK_EQ(ObReferenceObjectByName(&attributes, NULL, &object), STATUS_OBJECT_TYPE_MISMATCH);
    KT_CHECK_EQ(KtIoCounters.Creates, 0);
    // Through \??\KtIoSync: the link's target, then the rest of the name.
    KT_CHECK_EQ(KtIoOpen(KTIO_SYNC_LINK u"\\via", &handle, &iosb), STATUS_SUCCESS);
    KT_CHECK_EQ(KtIoCounters.Creates, 1);
    if (KtIoCounters.Creates)
        ObCloseHandle(handle);
    KT_CHECK_EQ(KtIoOpen(KTIO_SYNC_DEVICE KTIO_NAME_NO_SUCH_FILE, &handle, &iosb),
                STATUS_OBJECT_NAME_NOT_FOUND);
    KT_CHECK_EQ(iosb.Status, STATUS_OBJECT_NAME_NOT_FOUND);
    KtIoStopDrivers();
    // No close for the file that was never opened.
    KT_CHECK_EQ(KtIoCounters.Closes, 1);
}

static DEVICE_OBJECT *KtIoTempDevice;

static NTSTATUS KtIoTempEntry(DRIVER_OBJECT *driver, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name;

    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        driver->MajorFunction[i] = KtIoSyncDevice->DriverObject->MajorFunction[i];
    RtlInitUnicodeString(&name, u"\\Device\\KtIoTemp");
    return IoCreateDevice(driver, 16, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &KtIoTempDevice);
}

KTEST(DeletedDeviceTakesNoNewOpenButLivesWhileOpened)
{
    UNICODE_STRING name;
    IO_STATUS_BLOCK iosb;
    FILE_OBJECT *file = NULL;
    DRIVER_OBJECT *driver;
    HANDLE handle;
    ULONG devicesBefore, driversBefore;

    KT_EXPECT_EQ(KtIoStartDrivers(), STATUS_SUCCESS);
    devicesBefore = KtPoolTagCount(IO_DEVICE_TAG);
    driversBefore = KtPoolTagCount(IO_DRIVER_TAG);
    RtlInitUnicodeString(&name, u"\\Driver\\KtIoTemp");
    KT_CHECK_EQ(IoCreateDriver(&name, KtIoTempEntry), STATUS_SUCCESS);
    driver = KtIoTempDevice->DriverObject;
    KT_CHECK_EQ(KtIoOpen(u"\\Device\\KtIoTemp\\kept", &handle, &iosb), STATUS_SUCCESS);
    KT_CHECK_EQ(ObReferenceObjectByHandle(handle, 0, IoFileObjectType, (void **)&file, NULL),
                STATUS_SUCCESS);
    ObCloseHandle(handle);
    IoDeleteDriver(driver);         // deletes the device: its name goes now
    KT_CHECK_EQ(KtIoOpen(u"\\Device\\KtIoTemp\\new", &handle, &iosb),
                STATUS_OBJECT_PATH_NOT_FOUND);
    if (file) {
        KT_CHECK(file->DeviceObject == KtIoTempDevice);
        KT_CHECK(KtIoTempDevice->DeviceObjectExtension->ExtensionFlags & DOE_DELETE_PENDING);
        KT_CHECK_EQ(KtPoolTagCount(IO_DEVICE_TAG), devicesBefore + 1);
        // The last reference: the close reaches the driver, then both go.
        ObDereferenceObject(file);
        KT_CHECK_EQ(KtIoCounters.Closes, 1);
    }
    KT_CHECK_EQ(KtPoolTagCount(IO_DEVICE_TAG), devicesBefore);
    KT_CHECK_EQ(KtPoolTagCount(IO_DRIVER_TAG), driversBefore);
    KtIoStopDrivers();
}

// Every file service from user mode against the test drivers (tests/user/tio).
KTEST(IoUserServices)
{
    KT_EXPECT_EQ(KtIoStartDrivers(), STATUS_SUCCESS);
    KtpUserTestsPass("tio", __FILE__, __LINE__);
    KtIoStopDrivers();
}

KTEST(ShareAccessRefusesAnOpenThatDoesNotFit)
{
    FILE_OBJECT first, second, third;
    SHARE_ACCESS share;

    memset(&first, 0, sizeof(first));
    memset(&second, 0, sizeof(second));
    memset(&third, 0, sizeof(third));
    // A reader that lets others read only.
    IoSetShareAccess(FILE_READ_DATA, FILE_SHARE_READ, &first, &share);
    KT_CHECK_EQ(share.OpenCount, 1);
    KT_CHECK_EQ(IoCheckShareAccess(FILE_WRITE_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, &second,
                                   &share, TRUE),
                STATUS_SHARING_VIOLATION);
    // A reader that does not share reading with the first is refused too.
    KT_CHECK_EQ(IoCheckShareAccess(FILE_READ_DATA, 0, &second, &share, TRUE),
                STATUS_SHARING_VIOLATION);
    KT_CHECK_EQ(IoCheckShareAccess(FILE_READ_DATA, FILE_SHARE_READ, &second, &share, TRUE),
                STATUS_SUCCESS);
    KT_CHECK_EQ(share.OpenCount, 2);
    // Attributes only: no data access, shares with anything.
    KT_CHECK_EQ(IoCheckShareAccess(FILE_READ_ATTRIBUTES, 0, &third, &share, TRUE),
                STATUS_SUCCESS);
    KT_CHECK_EQ(share.OpenCount, 2);
    IoRemoveShareAccess(&first, &share);
    IoRemoveShareAccess(&second, &share);
    KT_CHECK_EQ(share.OpenCount, 0);
    KT_CHECK_EQ(IoCheckShareAccess(FILE_WRITE_DATA, 0, &third, &share, TRUE), STATUS_SUCCESS);
}
