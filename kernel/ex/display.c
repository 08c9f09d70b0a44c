// NtDisplayString: how the first user programs say something. The string
// descriptor and then its buffer are captured from user memory before use.

#include "ex/ex.h"
#include "ke/ke.h"
#include "mm/mm.h"

#define DISPLAY_CHUNK_CHARACTERS 64

NTSTATUS NtDisplayString(UNICODE_STRING *string)
{
    UNICODE_STRING captured;
    NTSTATUS status = MmCopyFromUser(&captured, string, sizeof(captured));

    if (!NT_SUCCESS(status))
        return status;
    if (captured.Length & 1)
        return STATUS_INVALID_PARAMETER;
    status = ProbeForRead(captured.Buffer, captured.Length, sizeof(WCHAR));
    if (!NT_SUCCESS(status))
        return status;
    // Copied and printed a chunk at a time: the string may be long, the
    // kernel stack is not.
    for (USHORT offset = 0; offset < captured.Length;) {
        WCHAR wide[DISPLAY_CHUNK_CHARACTERS];
        char narrow[DISPLAY_CHUNK_CHARACTERS + 1];
        USHORT bytes = captured.Length - offset;
        ULONG count;

        if (bytes > sizeof(wide))
            bytes = sizeof(wide);
        status = MmCopyFromUser(wide, (UCHAR *)captured.Buffer + offset, bytes);
        if (!NT_SUCCESS(status))
            return status;
        count = bytes / sizeof(WCHAR);
        for (ULONG i = 0; i < count; i++)
            narrow[i] = wide[i] < 0x100 ? (char)wide[i] : '?';
        narrow[count] = '\0';
        DbgPrint("%s", narrow);
        offset += bytes;
    }
    return STATUS_SUCCESS;
}
