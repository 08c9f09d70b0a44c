// Capturing the counted strings the process services read from user memory
// (image names, command lines) into pool; object attributes are the object
// manager's (ObCaptureObjectAttributes). Nothing here is dereferenced in
// user memory except by copy.

#include "ps/ps.h"
#include "mm/mm.h"

#define PSP_CAPTURE_TAG POOL_TAG('P', 's', 'C', 'a')

// The caller's UNICODE_STRING is copied into a local; `captured` is zeroed
// before anything can fail and its Buffer is only ever this routine's pool
// block, so a failure leaves nothing for PspReleaseUnicodeString to free.
NTSTATUS PspCaptureUnicodeString(const UNICODE_STRING *userString, UNICODE_STRING *captured)
{
    UNICODE_STRING descriptor;
    NTSTATUS status;

    memset(captured, 0, sizeof(*captured));
    status = MmCopyFromUser(&descriptor, userString, sizeof(descriptor));
    if (!NT_SUCCESS(status))
        return status;
    if ((descriptor.Length & 1) || descriptor.Length > descriptor.MaximumLength)
        return STATUS_INVALID_PARAMETER;
    captured->Length = captured->MaximumLength = descriptor.Length;
    captured->Buffer = NULL;
    if (!descriptor.Length)
        return STATUS_SUCCESS;
    status = ProbeForRead(descriptor.Buffer, descriptor.Length, sizeof(WCHAR));
    if (!NT_SUCCESS(status))
        return status;
    captured->Buffer = ExAllocatePoolWithTag(PagedPool, descriptor.Length, PSP_CAPTURE_TAG);
    if (!captured->Buffer)
        return STATUS_INSUFFICIENT_RESOURCES;
    status = MmCopyFromUser(captured->Buffer, descriptor.Buffer, descriptor.Length);
    if (!NT_SUCCESS(status))
        PspReleaseUnicodeString(captured);
    return status;
}

void PspReleaseUnicodeString(UNICODE_STRING *captured)
{
    if (captured->Buffer)
        ExFreePoolWithTag(captured->Buffer, PSP_CAPTURE_TAG);
    captured->Buffer = NULL;
}
