// Drivers loaded from their images by the I/O manager (io/loaddrv.c): the
// boot driver null.sys with its device, IopLoadDriver's failures leaving
// nothing, a driver without DriverUnload refused an unload, and the user
// side (tdriver: the null device's reads and writes, NtLoadDriver and
// NtUnloadDriver) under the leak check.

#include "tests/kernel/ktuser.h"
#include "io/io.h"
#include "mm/sysload.h"

static ULONG KtOutstanding(ULONG tag)
{
    ULONG allocations;
    SIZE_T bytes;

    ExQueryPoolTagUsage(tag, &allocations, &bytes);
    return allocations;
}

static DRIVER_OBJECT *KtReferenceDriver(const WCHAR *path)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    DRIVER_OBJECT *driver = NULL;

    RtlInitUnicodeString(&name, path);
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE, NULL, NULL);
    if (!NT_SUCCESS(ObReferenceObjectByName(&attributes, IoDriverObjectType, (void **)&driver)))
        return NULL;
    return driver;
}

static BOOLEAN KtModuleListed(const KLDR_DATA_TABLE_ENTRY *wanted)
{
    for (LIST_ENTRY *link = PsLoadedModuleList.Flink; link != &PsLoadedModuleList;
         link = link->Flink) {
        if (link == &wanted->InLoadOrderLinks)
            return TRUE;
    }
    return FALSE;
}

KTEST(BootDriverNullIsLoadedFromItsImageWithItsDevice)
{
    DRIVER_OBJECT *driver = KtReferenceDriver(u"\\Driver\\Null");
    KLDR_DATA_TABLE_ENTRY *entry;
    DEVICE_OBJECT *device;
    FILE_OBJECT *file;
    UNICODE_STRING name;

    KT_EXPECT(driver != NULL);
    entry = driver->DriverSection;
    KT_EXPECT(entry != NULL && KtModuleListed(entry));
    KT_EXPECT(entry->Flags & LDRP_ENTRY_PROCESSED);
    KT_EXPECT(!(entry->Flags & LDRP_LOAD_IN_PROGRESS));
    KT_EXPECT(driver->DriverStart == entry->DllBase);
    KT_EXPECT_EQ(driver->DriverSize, entry->SizeOfImage);
    KT_EXPECT(driver->DriverInit == entry->EntryPoint);
    KT_EXPECT(MmFindLoadedModule((ULONG64)driver->MajorFunction[IRP_MJ_READ]) == entry);
    KT_EXPECT(driver->DriverUnload != NULL);
    RtlInitUnicodeString(&name, u"\\Device\\Null");
    KT_EXPECT_EQ(IoGetDeviceObjectPointer(&name, FILE_READ_DATA, &file, &device),
                 STATUS_SUCCESS);
    KT_EXPECT(device->DriverObject == driver);
    KT_EXPECT_EQ(device->DeviceType, FILE_DEVICE_NULL);
    ObDereferenceObject(file);
    ObDereferenceObject(driver);
}

KTEST(DriverLoadFailuresLeaveNoDriverNoImageNoPool)
{
    ULONG entries = KtOutstanding(MI_LOADED_MODULE_TAG);
    ULONG64 pages = MiSystemImagePagesInUse();

    KT_EXPECT_EQ(IopLoadDriver("tldrfail"), STATUS_INSUFFICIENT_RESOURCES);
    KT_EXPECT(KtReferenceDriver(u"\\Driver\\tldrfail") == NULL);
    KT_EXPECT_EQ(IopLoadDriver("tldrimp"), STATUS_DRIVER_ENTRYPOINT_NOT_FOUND);
    KT_EXPECT(KtReferenceDriver(u"\\Driver\\tldrimp") == NULL);
    KT_EXPECT_EQ(IopLoadDriver("nosuchservice"), STATUS_OBJECT_NAME_NOT_FOUND);
    KT_EXPECT_EQ(IopLoadDriver("null"), STATUS_IMAGE_ALREADY_LOADED);
    KT_EXPECT_EQ(KtOutstanding(MI_LOADED_MODULE_TAG), entries);
    KT_EXPECT_EQ(MiSystemImagePagesInUse(), pages);
}

// NT refuses to unload a driver without DriverUnload; deleting its object
// (as a test may) takes the image with it.
KTEST(DriverWithoutUnloadRoutineIsNotUnloaded)
{
    ULONG entries = KtOutstanding(MI_LOADED_MODULE_TAG);
    ULONG64 pages = MiSystemImagePagesInUse();
    DRIVER_OBJECT *driver;
    KLDR_DATA_TABLE_ENTRY *entry;

    KT_EXPECT_EQ(IopLoadDriver("tldrok"), STATUS_SUCCESS);
    KT_EXPECT_EQ(IopUnloadDriverByName("TLDROK"), STATUS_INVALID_DEVICE_REQUEST);
    driver = KtReferenceDriver(u"\\Driver\\tldrok");
    KT_EXPECT(driver != NULL);
    entry = driver->DriverSection;
    KT_EXPECT(KtModuleListed(entry) && (entry->Flags & LDRP_ENTRY_PROCESSED));
    IoDeleteDriver(driver);
    ObDereferenceObject(driver);        // the last reference: the image goes
    KT_EXPECT(KtReferenceDriver(u"\\Driver\\tldrok") == NULL);
    KT_EXPECT_EQ(KtOutstanding(MI_LOADED_MODULE_TAG), entries);
    KT_EXPECT_EQ(MiSystemImagePagesInUse(), pages);
}

KTEST(UserDrivers)
{
    KtExpectUserTestsPass("tdriver");
}
