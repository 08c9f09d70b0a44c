// A driver whose DriverEntry fails: its caller must unload it, and nothing
// of it may stay (no module entry, no pages, no pool).

#include "ke/ke.h"

struct _DRIVER_OBJECT;

ULONG TldrFailCalls;

NTSTATUS DriverEntry(struct _DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    TldrFailCalls++;
    DbgPrint("tldrfail: failing DriverEntry on purpose\n");
    return STATUS_INSUFFICIENT_RESOURCES;
}
