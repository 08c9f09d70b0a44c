// Counted UTF-16 strings (UNICODE_STRING), as object names are. Only the
// ASCII letters fold case: the namespace needs no more than that yet.

#include "rtl/rtl.h"

void RtlInitUnicodeString(UNICODE_STRING *destination, const WCHAR *source)
{
    USHORT length = 0;

    if (source) {
        while (source[length / sizeof(WCHAR)])
            length += sizeof(WCHAR);
    }
    destination->Buffer = (WCHAR *)source;
    destination->Length = length;
    destination->MaximumLength = source ? length + sizeof(WCHAR) : 0;
}

WCHAR RtlUpcaseUnicodeChar(WCHAR c)
{
    return c >= 'a' && c <= 'z' ? (WCHAR)(c - 'a' + 'A') : c;
}

LONG RtlCompareUnicodeString(const UNICODE_STRING *a, const UNICODE_STRING *b,
                             BOOLEAN caseInsensitive)
{
    USHORT countA = a->Length / sizeof(WCHAR);
    USHORT countB = b->Length / sizeof(WCHAR);
    USHORT count = countA < countB ? countA : countB;

    for (USHORT i = 0; i < count; i++) {
        WCHAR ca = a->Buffer[i];
        WCHAR cb = b->Buffer[i];

        if (caseInsensitive) {
            ca = RtlUpcaseUnicodeChar(ca);
            cb = RtlUpcaseUnicodeChar(cb);
        }
        if (ca != cb)
            return (LONG)ca - (LONG)cb;
    }
    return (LONG)countA - (LONG)countB;
}

BOOLEAN RtlEqualUnicodeString(const UNICODE_STRING *a, const UNICODE_STRING *b,
                              BOOLEAN caseInsensitive)
{
    return a->Length == b->Length && RtlCompareUnicodeString(a, b, caseInsensitive) == 0;
}

// A hash that folds case, so that names differing only in case land in the
// same directory bucket whichever way they are looked up.
ULONG RtlHashUnicodeStringInsensitive(const UNICODE_STRING *string)
{
    ULONG hash = 0;

    for (USHORT i = 0; i < string->Length / sizeof(WCHAR); i++)
        hash = hash * 31 + RtlUpcaseUnicodeChar(string->Buffer[i]);
    return hash;
}

// Widens an ASCII string into `destination`'s buffer (MaximumLength bytes),
// truncating what does not fit.
void RtlAsciiToUnicodeString(UNICODE_STRING *destination, const char *source)
{
    USHORT count = 0;

    while (source[count] && (count + 1) * sizeof(WCHAR) <= destination->MaximumLength) {
        destination->Buffer[count] = (UCHAR)source[count];
        count++;
    }
    destination->Length = count * sizeof(WCHAR);
}
