// A driver that stops the system from its DriverEntry, for the end-to-end
// test of the bugcheck text naming the driver and of `k` naming its frames
// (tests/e2e/test_drivers.py). Only ever loaded by that test (.drvload).

#include "ke/ke.h"

struct _DRIVER_OBJECT;

// A global, so that the compiler keeps TldrBugStop as it is written (no
// clone specialized for a constant): the test reads its name in `k`.
ULONG64 TldrBugReason = 0x7E57;

static void __attribute__((noinline)) TldrBugStop(void)
{
    KeBugCheckEx(MANUALLY_INITIATED_CRASH, TldrBugReason, 0, 0, 0);
}

NTSTATUS DriverEntry(struct _DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    TldrBugStop();
    return STATUS_SUCCESS;
}
