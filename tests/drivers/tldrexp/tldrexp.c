// A driver that exports routines to other drivers (tldrexp.exports), as an
// export driver or fltMgr.sys does: tldruse.sys imports TldrExpAdd, and
// tldrhid.sys imports TldrExpHidden, which is not on the list, and must
// fail to load. The in-kernel tests (tests/kernel/test_ldrimports.c) load
// them in turn.

#include "io/io.h"

volatile LONG TldrExpCalls;             // how many calls other drivers made

ULONG TldrExpAdd(ULONG a, ULONG b)
{
    __atomic_add_fetch(&TldrExpCalls, 1, __ATOMIC_RELAXED);
    return a + b;
}

// Global (another object could call it) but not exported.
ULONG TldrExpHidden(void)
{
    return 7;
}

static void TldrExpUnload(DRIVER_OBJECT *driverObject)
{
}

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    driverObject->DriverUnload = TldrExpUnload;
    return STATUS_SUCCESS;
}
