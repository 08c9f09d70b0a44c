// The process's command line as ASCII words, for the exercise programs
// whose roles and names come from it (kernel/kd/ex002.c starts them).
#pragma once

#include "user/include/runtime.h"

#define CMDLINE_MAX_WORDS 16

typedef struct _CMDLINE {
    char Text[256];
    ULONG Count;
    const char *Words[CMDLINE_MAX_WORDS];
} CMDLINE;

// Splits the PEB's command line at spaces; Words[0] is the image name.
static inline void CmdLineParse(CMDLINE *line)
{
    const UNICODE_STRING *text = &NtCurrentPeb()->ProcessParameters->CommandLine;
    size_t count = text->Length / sizeof(WCHAR);
    char *at = line->Text;

    if (count >= sizeof(line->Text))
        count = sizeof(line->Text) - 1;
    for (size_t i = 0; i < count; i++)
        line->Text[i] = (char)text->Buffer[i];
    line->Text[count] = '\0';
    line->Count = 0;
    while (*at && line->Count < CMDLINE_MAX_WORDS) {
        while (*at == ' ')
            *at++ = '\0';
        if (!*at)
            break;
        line->Words[line->Count++] = at;
        while (*at && *at != ' ')
            at++;
    }
}

// The word at `index`, or "" past the end.
static inline const char *CmdLineWord(const CMDLINE *line, ULONG index)
{
    return index < line->Count ? line->Words[index] : "";
}

// A decimal word as a number (0 if it is none).
static inline ULONG CmdLineNumber(const CMDLINE *line, ULONG index)
{
    const char *word = CmdLineWord(line, index);
    ULONG value = 0;

    for (; *word >= '0' && *word <= '9'; word++)
        value = value * 10 + (ULONG)(*word - '0');
    return value;
}

// An ASCII port or image name as UTF-16 in `buffer` (room for `count`).
static inline void CmdLineWiden(const char *text, WCHAR *buffer, size_t count)
{
    size_t i = 0;

    for (; text[i] && i + 1 < count; i++)
        buffer[i] = (WCHAR)text[i];
    buffer[i] = 0;
}
