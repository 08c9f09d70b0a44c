// NtDisplayString: how the first user programs say something. The string
// descriptor and then its buffer are captured from user memory before use.

#include "ex/ex.h"
#include "ke/ke.h"
#include "mm/mm.h"

// Read from user memory 64 characters at a time, and printed a line (or 256
// characters) at a time: DbgPrint writes each call whole, so a line that
// goes out in one call is never cut by another processor's output.
#define DISPLAY_CHUNK_CHARACTERS 64
#define DISPLAY_LINE_CHARACTERS 256

static void ExpDisplayLine(char *line, ULONG *count)
{
    line[*count] = '\0';
    DbgPrint("%s", line);
    *count = 0;
}

NTSTATUS NtDisplayString(UNICODE_STRING *string)
{
    UNICODE_STRING captured;
    NTSTATUS status = MmCopyFromUser(&captured, string, sizeof(captured));
    char line[DISPLAY_LINE_CHARACTERS + 1];
    ULONG count = 0;

    if (!NT_SUCCESS(status))
        return status;
    if (captured.Length & 1)
        return STATUS_INVALID_PARAMETER;
    status = ProbeForRead(captured.Buffer, captured.Length, sizeof(WCHAR));
    if (!NT_SUCCESS(status))
        return status;
    for (USHORT offset = 0; offset < captured.Length;) {
        WCHAR wide[DISPLAY_CHUNK_CHARACTERS];
        USHORT bytes = captured.Length - offset;

        if (bytes > sizeof(wide))
            bytes = sizeof(wide);
        status = MmCopyFromUser(wide, (UCHAR *)captured.Buffer + offset, bytes);
        if (!NT_SUCCESS(status))
            break;
        for (ULONG i = 0; i < bytes / sizeof(WCHAR); i++) {
            line[count++] = wide[i] < 0x100 ? (char)wide[i] : '?';
            if (count == DISPLAY_LINE_CHARACTERS || wide[i] == L'\n')
                ExpDisplayLine(line, &count);
        }
        offset += bytes;
    }
    // What was read before a fault is shown, as it was before lines.
    if (count)
        ExpDisplayLine(line, &count);
    return status;
}
