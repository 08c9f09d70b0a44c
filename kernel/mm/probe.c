// Probing and capturing user pointers. A range is acceptable when it lies
// wholly below MM_USER_PROBE_ADDRESS; whether its pages are really there is
// found out by the copy itself, which goes through the kernel's fault-safe
// copy (a fault at its listed instructions resumes at a fixup).

#include "mm/mm.h"
#include "ke/ke.h"

NTSTATUS ProbeForRead(const void *address, SIZE_T length, ULONG alignment)
{
    ULONG64 start = (ULONG64)address;

    if (length == 0)
        return STATUS_SUCCESS;
    if (alignment && (start & (alignment - 1)))
        return STATUS_DATATYPE_MISALIGNMENT;
    if (!MiIsUserRange(start, length))
        return STATUS_ACCESS_VIOLATION;
    return STATUS_SUCCESS;
}

NTSTATUS ProbeForWrite(void *address, SIZE_T length, ULONG alignment)
{
    return ProbeForWriteInline(address, length, alignment);
}

NTSTATUS MmCopyFromUser(void *kernelDestination, const void *userSource, SIZE_T length)
{
    return MmCopyFromUserInline(kernelDestination, userSource, length);
}

NTSTATUS MmCopyToUser(void *userDestination, const void *kernelSource, SIZE_T length)
{
    return MmCopyToUserInline(userDestination, kernelSource, length);
}
