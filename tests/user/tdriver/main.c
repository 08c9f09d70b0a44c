// Drivers from user mode: the null device (the boot driver null.sys) opened,
// read and written through the Nt*File services, and NtLoadDriver /
// NtUnloadDriver with their rules (docs/drivers.md). Runs as SYSTEM, which
// holds SeLoadDriverPrivilege; tsecurity checks a caller without it.

#include "tests/user/utest.h"

#define SERVICES u"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\"

static NTSTATUS OpenDevice(const WCHAR *path, HANDLE *handle)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK iosb;

    RtlInitUnicodeString(&name, path);
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE, NULL, NULL);
    return NtCreateFile(handle, FILE_GENERIC_READ | FILE_GENERIC_WRITE, &attributes, &iosb, NULL,
                        0, FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN,
                        FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
}

static NTSTATUS Load(const WCHAR *path)
{
    UNICODE_STRING name;

    RtlInitUnicodeString(&name, path);
    return NtLoadDriver(&name);
}

static NTSTATUS Unload(const WCHAR *path)
{
    UNICODE_STRING name;

    RtlInitUnicodeString(&name, path);
    return NtUnloadDriver(&name);
}

UTEST(NullDeviceReadsEndOfFileAndTakesEveryWrite)
{
    static const WCHAR *paths[] = {u"\\Device\\Null", u"\\??\\NUL"};
    char buffer[64];

    for (ULONG i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        IO_STATUS_BLOCK iosb = {0};
        HANDLE file;

        UT_EXPECT_STATUS(OpenDevice(paths[i], &file), STATUS_SUCCESS);
        // A failed synchronous request tells only its status (the I/O
        // manager's rule): nothing read, the status block untouched.
        memset(buffer, 'x', sizeof(buffer));
        iosb.Information = 99;
        UT_EXPECT_STATUS(NtReadFile(file, NULL, NULL, NULL, &iosb, buffer, sizeof(buffer), NULL,
                                    NULL),
                         STATUS_END_OF_FILE);
        UT_EXPECT_EQ(iosb.Information, 99);
        UT_EXPECT_EQ(buffer[0], 'x');
        UT_EXPECT_STATUS(NtWriteFile(file, NULL, NULL, NULL, &iosb, buffer, sizeof(buffer), NULL,
                                     NULL),
                         STATUS_SUCCESS);
        UT_EXPECT_EQ(iosb.Status, STATUS_SUCCESS);
        UT_EXPECT_EQ(iosb.Information, sizeof(buffer));
        UT_EXPECT_STATUS(NtClose(file), STATUS_SUCCESS);
    }
}

UTEST(LoadDriverRefusesBadNamesAndUnknownServices)
{
    UNICODE_STRING odd = {3, 8, (WCHAR *)u"abcd"};

    UT_EXPECT_STATUS(NtLoadDriver(UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtLoadDriver(UT_KERNEL_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtLoadDriver(&odd), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(Load(u"null"), STATUS_OBJECT_NAME_NOT_FOUND);             // not a key
    UT_EXPECT_STATUS(Load(u"\\Registry\\Machine\\Software\\Null"), STATUS_OBJECT_NAME_NOT_FOUND);
    UT_EXPECT_STATUS(Load(SERVICES), STATUS_OBJECT_NAME_NOT_FOUND);
    UT_EXPECT_STATUS(Load(SERVICES u"NoSuchService"), STATUS_OBJECT_NAME_NOT_FOUND);
    UT_EXPECT_STATUS(Load(SERVICES u"Null\\Sub"), STATUS_OBJECT_NAME_INVALID);
    UT_EXPECT_STATUS(Unload(SERVICES u"NoSuchService"), STATUS_OBJECT_NAME_NOT_FOUND);
    UT_EXPECT_STATUS(NtUnloadDriver(UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
}

// The driver's own failures come back as they are, and leave no driver.
UTEST(LoadDriverReturnsWhatTheLoaderAndDriverEntrySay)
{
    HANDLE file;

    UT_EXPECT_STATUS(Load(SERVICES u"Null"), STATUS_IMAGE_ALREADY_LOADED);
    UT_EXPECT_STATUS(Load(SERVICES u"tldrimp"), STATUS_DRIVER_ENTRYPOINT_NOT_FOUND);
    UT_EXPECT_STATUS(Load(SERVICES u"tldrfail"), STATUS_INSUFFICIENT_RESOURCES);
    UT_EXPECT_STATUS(Load(SERVICES u"TLDRFAIL"), STATUS_INSUFFICIENT_RESOURCES);
    UT_EXPECT_STATUS(Unload(SERVICES u"tldrfail"), STATUS_OBJECT_NAME_NOT_FOUND);  // no driver
    // A DriverEntry that faults (after making a device, a link and pool):
    // the exception's code, and no driver, device or link left (the leak
    // check after the program sees its pool).
    UT_EXPECT_STATUS(Load(SERVICES u"tldrfault"), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(Unload(SERVICES u"tldrfault"), STATUS_OBJECT_NAME_NOT_FOUND);
    UT_EXPECT_STATUS(OpenDevice(u"\\Device\\TldrFault", &file), STATUS_OBJECT_NAME_NOT_FOUND);
    UT_EXPECT_STATUS(OpenDevice(u"\\??\\TldrFault", &file), STATUS_OBJECT_NAME_NOT_FOUND);
    UT_EXPECT_STATUS(Load(SERVICES u"tldrfault"), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(OpenDevice(u"\\Device\\Null", &file), STATUS_SUCCESS);
    NtClose(file);
}

// Unloading null.sys deletes \Device\Null; loading it again brings it back.
UTEST(NullDriverUnloadsAndLoadsAgain)
{
    HANDLE file;

    UT_EXPECT_STATUS(Unload(SERVICES u"Null"), STATUS_SUCCESS);
    UT_EXPECT_STATUS(OpenDevice(u"\\Device\\Null", &file), STATUS_OBJECT_NAME_NOT_FOUND);
    UT_EXPECT_STATUS(Unload(SERVICES u"Null"), STATUS_OBJECT_NAME_NOT_FOUND);
    UT_EXPECT_STATUS(Load(SERVICES u"null"), STATUS_SUCCESS);
    UT_EXPECT_STATUS(OpenDevice(u"\\Device\\Null", &file), STATUS_SUCCESS);
    NtClose(file);
}

// A driver with a device open stays until the handle goes; its image goes then.
UTEST(NullDriverUnloadedWhileOpenGoesWithTheLastHandle)
{
    HANDLE file;

    UT_EXPECT_STATUS(OpenDevice(u"\\Device\\Null", &file), STATUS_SUCCESS);
    UT_EXPECT_STATUS(Unload(SERVICES u"Null"), STATUS_SUCCESS);
    UT_EXPECT_STATUS(Load(SERVICES u"Null"), STATUS_IMAGE_ALREADY_LOADED);  // still in use
    UT_EXPECT_STATUS(NtClose(file), STATUS_SUCCESS);
    UT_EXPECT_STATUS(Load(SERVICES u"Null"), STATUS_SUCCESS);
}

static const UTEST Tests[] = {
    UT_ENTRY(NullDeviceReadsEndOfFileAndTakesEveryWrite),
    UT_ENTRY(LoadDriverRefusesBadNamesAndUnknownServices),
    UT_ENTRY(LoadDriverReturnsWhatTheLoaderAndDriverEntrySay),
    UT_ENTRY(NullDriverUnloadsAndLoadsAgain),
    UT_ENTRY(NullDriverUnloadedWhileOpenGoesWithTheLastHandle),
};

int main(void)
{
    return UT_RUN_ALL("tdriver", Tests);
}
