// What the NtQuery* service and the optional out-parameters of the executive's
// object services share: NT's order of checks, and writing the answer to
// the caller only once everything else has worked.

#include "ex/ex.h"
#include "mm/mm.h"

// Each of these objects has one information class, numbered 0.
NTSTATUS ExpCheckQueryBuffer(ULONG informationClass, ULONG length, ULONG expectedLength,
                             void *buffer, ULONG *returnLength)
{
    NTSTATUS status;

    if (informationClass != 0)
        return STATUS_INVALID_INFO_CLASS;
    if (length != expectedLength)
        return STATUS_INFO_LENGTH_MISMATCH;
    status = ProbeForWrite(buffer, length, sizeof(ULONG));
    if (NT_SUCCESS(status) && returnLength)
        status = ProbeForWrite(returnLength, sizeof(ULONG), sizeof(ULONG));
    return status;
}

NTSTATUS ExpReturnQueryBuffer(void *buffer, const void *answer, ULONG length,
                              ULONG *returnLength)
{
    NTSTATUS status = MmCopyToUser(buffer, answer, length);

    if (NT_SUCCESS(status) && returnLength)
        status = MmCopyToUser(returnLength, &length, sizeof(length));
    return status;
}

NTSTATUS ExpProbeOptionalOut(void *pointer, SIZE_T size)
{
    return pointer ? ProbeForWrite(pointer, size, (ULONG)size) : STATUS_SUCCESS;
}
