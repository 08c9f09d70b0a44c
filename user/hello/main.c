// The first user program: says hello through NtDisplayString and exits.

#include "user/lib/ntuser.h"

static void Print(const WCHAR *text)
{
    UNICODE_STRING string;
    USHORT length = 0;

    while (text[length])
        length++;
    string.Length = string.MaximumLength = (USHORT)(length * sizeof(WCHAR));
    string.Buffer = (WCHAR *)text;
    NtDisplayString(&string);
}

int main(void)
{
    Print(u"Hello from user mode: hello.exe is running in ring 3.\n");
    return 0;
}
