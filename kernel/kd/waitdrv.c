// Which driver's code is at an address, for the drivers that have no image
// of their own. A driver made with IoCreateDriver (a built-in driver, a
// demo's, a test's) lives inside another module's image, so the module list
// names that image ("nt"), not the driver. Its DRIVER_OBJECT may still say
// where its code is: DriverStart and DriverSize, when whoever created it set
// them. The wait chains name such a driver as the module of a thread blocked
// in its code; a driver that gives no range is never guessed at.

#include "kd/kdwait.h"
#include "kd/kdio.h"

typedef struct _KD_DRIVER_AT {
    ULONG64 Address;
    ULONG64 Driver;
    char *Name;
    size_t Size;
} KD_DRIVER_AT;

static BOOLEAN KdpWaitCheckDriver(void *context, ULONG64 object, ULONG bucket, BOOLEAN first)
{
    KD_DRIVER_AT *search = context;
    DRIVER_OBJECT driver;
    char name[KD_IO_NAME];
    const char *last;
    ULONG64 start;

    (void)bucket;
    (void)first;
    if (!KdpReadMemory(object, &driver, sizeof(driver)) || driver.Type != IO_TYPE_DRIVER ||
        driver.DriverSection || !driver.DriverStart || !driver.DriverSize)
        return TRUE;
    start = (ULONG64)(ULONG_PTR)driver.DriverStart;
    if (search->Address < start || search->Address - start >= driver.DriverSize)
        return TRUE;
    if (!KdpReadUnicodeText(&driver.DriverName, name, sizeof(name)) || !name[0])
        return TRUE;        // no name to give it: nothing is said
    last = name;
    for (const char *c = name; *c; c++) {
        if (*c == '\\')
            last = c + 1;
    }
    RtlStringPrintf(search->Name, search->Size, "%s", last);
    search->Driver = object;
    return FALSE;
}

BOOLEAN KdpWaitImagelessDriverAt(ULONG64 address, ULONG64 *driver, char *name, size_t size)
{
    static const char *const directories[] = { "\\Driver", "\\FileSystem" };
    KD_DRIVER_AT search = { address, 0, name, size };

    name[0] = '\0';
    for (ULONG i = 0; i < ARRAYSIZE(directories) && !search.Driver; i++) {
        ULONG64 directory;

        if (KdpLookupObjectPath(directories[i], &directory, TRUE))
            KdpWalkDirectory(directory, KdpWaitCheckDriver, &search);
    }
    if (driver)
        *driver = search.Driver;
    return search.Driver != 0;
}
