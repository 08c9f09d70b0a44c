// A driver that imports a routine of another driver, tldrexp.sys (as a
// minifilter imports FltRegisterFilter from fltMgr.sys): it loads only
// while tldrexp.sys is loaded, and tldrexp.sys cannot be unloaded while it
// is (tests/kernel/test_ldrimports.c).

#include "io/io.h"

ULONG TldrExpAdd(ULONG a, ULONG b);
extern volatile LONG TldrExpCalls;

ULONG TldrUseSum;                       // what DriverEntry got back
LONG TldrUseCallsSeen;                  // tldrexp's counter, read through the import

static void TldrUseUnload(DRIVER_OBJECT *driverObject)
{
}

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    TldrUseSum = TldrExpAdd(40, 2);
    TldrUseCallsSeen = TldrExpCalls;
    driverObject->DriverUnload = TldrUseUnload;
    return STATUS_SUCCESS;
}
