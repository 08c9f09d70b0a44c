// A driver whose System thread waits forever in the driver's own code, for
// the end-to-end test of `!stacks 0 tldrwait` and `k` naming driver frames
// in a live thread (tests/e2e/test_drivers.py). It has no DriverUnload: its
// thread never leaves, so it cannot go.

#include "ke/ke.h"
#include "ps/ps.h"

struct _DRIVER_OBJECT;

static KEVENT TldrWaitEvent;

static void __attribute__((noinline)) TldrWaitForever(void)
{
    KeWaitForSingleObject(&TldrWaitEvent, Executive, KernelMode, FALSE, NULL);
}

static void TldrWaitThread(void *context)
{
    DbgPrint("tldrwait: waiting in the driver\n");
    for (;;)
        TldrWaitForever();
}

NTSTATUS DriverEntry(struct _DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    KeInitializeEvent(&TldrWaitEvent, NotificationEvent, FALSE);
    return PsCreateSystemThread(NULL, 0, NULL, NULL, NULL, TldrWaitThread, NULL);
}
