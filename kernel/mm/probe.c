// Probing and capturing user pointers. A range is acceptable when it lies
// wholly below MM_USER_PROBE_ADDRESS; whether its pages are really there is
// found out by the copy itself, which goes through the kernel's fault-safe
// copy (a fault at its listed instructions resumes at a fixup).

#include "mm/mm.h"
#include "ke/ke.h"

// Does [start, start + length) lie wholly below MM_USER_PROBE_ADDRESS?
// In line in every probe and copy: they are on every system call's path.
static inline BOOLEAN MiIsUserRange(ULONG64 start, SIZE_T length)
{
    return start + length >= start && start + length <= MM_USER_PROBE_ADDRESS;
}

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

// The range must also be writable: writing each page's first byte back to
// itself finds read-only and missing pages before the service does anything.
NTSTATUS ProbeForWrite(void *address, SIZE_T length, ULONG alignment)
{
    ULONG64 start = (ULONG64)address;

    if (length == 0)
        return STATUS_SUCCESS;
    if (alignment && (start & (alignment - 1)))
        return STATUS_DATATYPE_MISALIGNMENT;
    if (!MiIsUserRange(start, length))
        return STATUS_ACCESS_VIOLATION;
    // The first page at `start` itself, every later one at its first byte.
    if (KiProbeWriteByte((UCHAR *)start))
        return STATUS_ACCESS_VIOLATION;
    for (ULONG64 page = ALIGN_DOWN_BY(start, PAGE_SIZE) + PAGE_SIZE; page < start + length;
         page += PAGE_SIZE) {
        if (KiProbeWriteByte((UCHAR *)page))
            return STATUS_ACCESS_VIOLATION;
    }
    return STATUS_SUCCESS;
}

NTSTATUS MmCopyFromUser(void *kernelDestination, const void *userSource, SIZE_T length)
{
    if (length == 0)
        return STATUS_SUCCESS;
    if (!MiIsUserRange((ULONG64)userSource, length) ||
        KiCopyMemorySafe(kernelDestination, userSource, length))
        return STATUS_ACCESS_VIOLATION;
    return STATUS_SUCCESS;
}

NTSTATUS MmCopyToUser(void *userDestination, const void *kernelSource, SIZE_T length)
{
    if (length == 0)
        return STATUS_SUCCESS;
    if (!MiIsUserRange((ULONG64)userDestination, length) ||
        KiCopyMemorySafe(userDestination, kernelSource, length))
        return STATUS_ACCESS_VIOLATION;
    return STATUS_SUCCESS;
}
