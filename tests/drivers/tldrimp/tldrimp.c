// A driver image that imports a routine nt has but does not export
// (PspCreateProcess is Ps's own): the loader must refuse it with
// STATUS_DRIVER_ENTRYPOINT_NOT_FOUND and leave nothing behind.

#include "ps/ps.h"

struct _DRIVER_OBJECT;

NTSTATUS DriverEntry(struct _DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    EPROCESS *process;

    // Never runs: the image cannot be bound.
    return PspCreateProcess("tldrimp", NULL, NORMAL_BASE_PRIORITY, &process);
}
