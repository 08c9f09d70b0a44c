// The shipped file-system drivers in a booted kernel: the RAM file system,
// KSecDD, the filter manager and the example minifilter (docs/filesystem.md).
// The first three load once, the way boot drivers do, and stay (a file
// system is not unloaded); the user-mode program tramfs then drives them
// through the Nt*File services, with the pool leak check around it. The
// minifilter is loaded and unloaded here, and must leave nothing.

#include "tests/kernel/ktuser.h"
#include "io/io.h"
#include "ob/ob.h"
#include "mm/sysload.h"

typedef NTSTATUS (*KT_DRIVER_ENTRY)(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath);

typedef struct _KT_FS_DRIVER {
    const WCHAR *File;
    const WCHAR *Name;
    DRIVER_OBJECT *Driver;
    KLDR_DATA_TABLE_ENTRY *Entry;
} KT_FS_DRIVER;

// In load order: the filter manager attaches over the file system's volume.
static KT_FS_DRIVER KtFsDrivers[] = {
    {u"ramfs.sys", u"\\FileSystem\\RamFs", NULL, NULL},
    {u"ksecdd.sys", u"\\Driver\\KSecDD", NULL, NULL},
    {u"fltmgr.sys", u"\\FileSystem\\FltMgr", NULL, NULL},
};

// The image loaded and its DriverEntry called through the I/O manager; the
// image goes again if DriverEntry fails.
static NTSTATUS KtFsLoadDriver(KT_FS_DRIVER *driver)
{
    UNICODE_STRING file, name, registryPath;
    void *base = NULL;
    NTSTATUS status;

    RtlInitUnicodeString(&file, driver->File);
    RtlInitUnicodeString(&name, driver->Name);
    RtlInitUnicodeString(&registryPath, driver->Name);
    status = MmLoadSystemImage(&file, &driver->Entry, &base);
    if (!NT_SUCCESS(status))
        return status;
    status = IopCreateDriverObject(&name, (PDRIVER_INITIALIZE)driver->Entry->EntryPoint,
                                   &registryPath, base, driver->Entry->SizeOfImage,
                                   driver->Entry, &driver->Driver);
    if (!NT_SUCCESS(status)) {
        MmUnloadSystemImage(driver->Entry);
        driver->Entry = NULL;
        driver->Driver = NULL;
    }
    return status;
}

// Loads the three once for the whole boot: TRUE when they are loaded.
static BOOLEAN KtFsLoadBootDrivers(void)
{
    for (ULONG i = 0; i < ARRAYSIZE(KtFsDrivers); i++) {
        NTSTATUS status;

        if (KtFsDrivers[i].Driver)
            continue;
        status = KtFsLoadDriver(&KtFsDrivers[i]);
        if (!NT_SUCCESS(status)) {
            DbgPrint("KTEST: %s did not load: %08x\n",
                     i == 0 ? "ramfs.sys" : i == 1 ? "ksecdd.sys" : "fltmgr.sys",
                     (ULONG)status);
            return FALSE;
        }
    }
    return TRUE;
}

// The address of a loaded driver's global, by its symbol; 0 if none.
static ULONG64 KtFsSymbol(const KLDR_DATA_TABLE_ENTRY *entry, const char *name)
{
    const NON_PAGED_DEBUG_INFO *info = entry->NonPagedDebugInfo;

    for (ULONG i = 0; info && i < info->SymbolCount; i++) {
        if (!strcmp(info->Names + info->Symbols[i].NameOffset, name))
            return info->Symbols[i].Address;
    }
    return 0;
}

// Opens a name on the RAM volume as a kernel caller and closes it again.
static NTSTATUS KtFsOpenAndClose(const WCHAR *path)
{
    UNICODE_STRING name;
    FILE_OBJECT *fileObject;
    DEVICE_OBJECT *deviceObject;
    NTSTATUS status;

    RtlInitUnicodeString(&name, path);
    status = IoGetDeviceObjectPointer(&name, FILE_READ_ATTRIBUTES, &fileObject, &deviceObject);
    if (NT_SUCCESS(status))
        ObDereferenceObject(fileObject);
    return status;
}

KTEST(RamFsUserProgramDrivesTheVolume)
{
    KT_EXPECT(KtFsLoadBootDrivers());
    KtExpectUserTestsPass("tramfs");
}

// The example minifilter sees each create before and after the file
// system, and once unloaded leaves no filter, no pool and no module.
KTEST(MiniFilterSeesCreatesAndUnloadsCleanly)
{
    KT_FS_DRIVER openlog = {u"openlog.sys", u"\\Driver\\OpenLog", NULL, NULL};
    volatile LONG *pre, *post;
    KLDR_DATA_TABLE_ENTRY *entry;
    ULONG before, after;

    KT_EXPECT(KtFsLoadBootDrivers());
    // A first open, so that whatever the volume keeps for opens is made.
    KT_EXPECT_EQ(KtFsOpenAndClose(u"\\??\\R:\\tests\\fox.txt"), STATUS_SUCCESS);
    KtTakePoolSnapshot();
    KT_EXPECT_EQ(KtFsLoadDriver(&openlog), STATUS_SUCCESS);
    entry = openlog.Entry;
    pre = (volatile LONG *)KtFsSymbol(entry, "OpenLogPreCreateCount");
    post = (volatile LONG *)KtFsSymbol(entry, "OpenLogPostCreateCount");
    KT_EXPECT(pre && post && *pre == 0 && *post == 0);
    KT_EXPECT_EQ(KtFsOpenAndClose(u"\\??\\R:\\tests\\fox.txt"), STATUS_SUCCESS);
    KT_EXPECT_EQ(*pre, 1);
    KT_EXPECT_EQ(*post, 1);
    // A failed open is seen too, after as before.
    KT_EXPECT_EQ(KtFsOpenAndClose(u"\\??\\R:\\tests\\missing.txt"),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    KT_EXPECT_EQ(*pre, 2);
    KT_EXPECT_EQ(*post, 2);
    KT_EXPECT_EQ(IopUnloadDriver(openlog.Driver), STATUS_SUCCESS);
    ObDereferenceObject(openlog.Driver);
    KT_EXPECT_EQ(MmUnloadSystemImage(entry), STATUS_SUCCESS);
    // Unregistered: creates no longer call it (its image is gone).
    KT_EXPECT_EQ(KtFsOpenAndClose(u"\\??\\R:\\tests\\fox.txt"), STATUS_SUCCESS);
    KT_EXPECT(MmFindLoadedModule((ULONG64)entry) == NULL);
    KT_EXPECT_EQ(KtFindPoolDifference(&before, &after), 0);
}

// KSecDD answers its one request and refuses anything else, with a status.
KTEST(KsecddRefusesWhatIsNotItsRequest)
{
    UNICODE_STRING name;
    FILE_OBJECT *fileObject;
    DEVICE_OBJECT *deviceObject;
    IO_STATUS_BLOCK ioStatus;
    UCHAR input[8] = {0}, output[16];
    KEVENT event;
    IRP *irp;
    NTSTATUS status;

    KT_EXPECT(KtFsLoadBootDrivers());
    RtlInitUnicodeString(&name, u"\\Device\\KsecDD");
    KT_EXPECT_EQ(IoGetDeviceObjectPointer(&name, FILE_READ_DATA, &fileObject, &deviceObject),
                 STATUS_SUCCESS);
    // Too short an input, then an unknown code.
    for (ULONG i = 0; i < 2; i++) {
        KeInitializeEvent(&event, NotificationEvent, FALSE);
        irp = IoBuildDeviceIoControlRequest(i == 0 ? CTL_CODE(FILE_DEVICE_KSEC, 0x801,
                                                              METHOD_BUFFERED, FILE_ANY_ACCESS)
                                                   : CTL_CODE(FILE_DEVICE_KSEC, 0x8FF,
                                                              METHOD_BUFFERED, FILE_ANY_ACCESS),
                                            deviceObject, input, sizeof(input), output,
                                            sizeof(output), TRUE, &event, &ioStatus);
        KT_EXPECT(irp != NULL);
        status = IoCallDriver(deviceObject, irp);
        if (status == STATUS_PENDING) {
            KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
            status = ioStatus.Status;
        }
        KT_EXPECT_EQ(status, i == 0 ? STATUS_INVALID_PARAMETER : STATUS_INVALID_DEVICE_REQUEST);
    }
    ObDereferenceObject(fileObject);
}
