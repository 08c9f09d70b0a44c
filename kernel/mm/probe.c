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
    if (start + length < start || start + length > MM_USER_PROBE_ADDRESS)
        return STATUS_ACCESS_VIOLATION;
    return STATUS_SUCCESS;
}

// The range must also be writable: writing each page's first byte back to
// itself finds read-only and missing pages before the service does anything.
NTSTATUS ProbeForWrite(void *address, SIZE_T length, ULONG alignment)
{
    NTSTATUS status = ProbeForRead(address, length, alignment);
    ULONG64 start = (ULONG64)address;

    if (!NT_SUCCESS(status) || length == 0)
        return status;
    for (ULONG64 page = ALIGN_DOWN_BY(start, PAGE_SIZE); page < start + length;
         page += PAGE_SIZE) {
        if (KiProbeWriteByte((UCHAR *)(page < start ? start : page)))
            return STATUS_ACCESS_VIOLATION;
    }
    return STATUS_SUCCESS;
}

NTSTATUS MmCopyFromUser(void *kernelDestination, const void *userSource, SIZE_T length)
{
    NTSTATUS status = ProbeForRead(userSource, length, 1);

    if (!NT_SUCCESS(status))
        return status;
    if (length && KiCopyMemorySafe(kernelDestination, userSource, length))
        return STATUS_ACCESS_VIOLATION;
    return STATUS_SUCCESS;
}

NTSTATUS MmCopyToUser(void *userDestination, const void *kernelSource, SIZE_T length)
{
    NTSTATUS status = ProbeForRead(userDestination, length, 1);

    if (!NT_SUCCESS(status))
        return status;
    if (length && KiCopyMemorySafe(userDestination, kernelSource, length))
        return STATUS_ACCESS_VIOLATION;
    return STATUS_SUCCESS;
}
