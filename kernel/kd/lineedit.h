// The shell's line editor: bytes in (from serial or the keyboard, arrows as
// ANSI sequences), a finished line out. Pure logic; output goes through a
// callback, so the host tests can check exactly what the terminal sees.
#pragma once

#include "rtl/rtl.h"

#define KD_LINE_MAX 256
#define KD_HISTORY_DEPTH 32

typedef enum _KD_LINE_STATUS {
    KdLineEditing,
    KdLineDone,         // Enter: the line is in Buffer
    KdLineCancelled,    // Ctrl-C: the line was dropped
    KdLineTooLong,      // Enter on a line that outgrew the buffer: dropped, an error
} KD_LINE_STATUS;

typedef void (*KD_ECHO_ROUTINE)(const char *text, size_t length);

typedef struct _KD_LINE_EDITOR {
    char Buffer[KD_LINE_MAX];
    ULONG Length;
    ULONG Cursor;
    char History[KD_HISTORY_DEPTH][KD_LINE_MAX];
    ULONG HistoryCount;         // lines stored, at most KD_HISTORY_DEPTH
    ULONG HistoryNewest;        // slot of the newest line
    ULONG Browse;               // 0: editing a new line; n: n-th newest history line
    char Saved[KD_LINE_MAX];    // the new line while browsing history
    UCHAR Escape[8];            // an escape sequence in progress
    ULONG EscapeLength;
    BOOLEAN EscapeOverflow;     // the sequence outgrew Escape: ignore it
    BOOLEAN LastWasCr;
    BOOLEAN Overflow;           // a key was refused because the line was full
    KD_ECHO_ROUTINE Echo;
} KD_LINE_EDITOR;

void KdpLineEditorInitialize(KD_LINE_EDITOR *editor, KD_ECHO_ROUTINE echo);
void KdpLineEditorReset(KD_LINE_EDITOR *editor);     // a fresh, empty line
KD_LINE_STATUS KdpLineEditorFeed(KD_LINE_EDITOR *editor, UCHAR byte);
