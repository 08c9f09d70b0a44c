// A driver that imports a routine tldrexp.sys has but does not export
// (TldrExpHidden): refused with STATUS_DRIVER_ENTRYPOINT_NOT_FOUND, as an
// unexported routine of nt is (tests/kernel/test_ldrimports.c).

#include "io/io.h"

ULONG TldrExpHidden(void);

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    return TldrExpHidden() == 7 ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
}
