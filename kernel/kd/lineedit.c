// Line editing for the debugger shell: insert and delete anywhere in the
// line, cursor keys, Home/End, history with up/down, Ctrl-C to drop the line.
// The terminal is redrawn with nothing but printable characters, spaces and
// backspaces (cursor left), which every serial terminal and our own screen
// console understand.

#include "kd/lineedit.h"

#define ESC 0x1b
#define CTRL(c) ((c) & 0x1f)
#define DEL 0x7f

static void KdpEcho(KD_LINE_EDITOR *editor, const char *text, size_t length)
{
    if (length)
        editor->Echo(text, length);
}

static void KdpEchoRepeated(KD_LINE_EDITOR *editor, char c, ULONG count)
{
    char chunk[32];

    memset(chunk, c, sizeof(chunk));
    while (count) {
        ULONG n = count < sizeof(chunk) ? count : (ULONG)sizeof(chunk);

        KdpEcho(editor, chunk, n);
        count -= n;
    }
}

// Redraws from the cursor to the end of the line, erases `erase` stale
// characters after it, and puts the cursor back where it was.
static void KdpRedrawTail(KD_LINE_EDITOR *editor, ULONG erase)
{
    ULONG tail = editor->Length - editor->Cursor;

    KdpEcho(editor, editor->Buffer + editor->Cursor, tail);
    KdpEchoRepeated(editor, ' ', erase);
    KdpEchoRepeated(editor, '\b', tail + erase);
}

static void KdpMoveCursor(KD_LINE_EDITOR *editor, ULONG target)
{
    if (target < editor->Cursor)
        KdpEchoRepeated(editor, '\b', editor->Cursor - target);
    else
        KdpEcho(editor, editor->Buffer + editor->Cursor, target - editor->Cursor);
    editor->Cursor = target;
}

// Replaces the whole line (for history), erasing whatever was longer.
static void KdpReplaceLine(KD_LINE_EDITOR *editor, const char *text)
{
    ULONG oldLength = editor->Length;
    ULONG newLength = (ULONG)strnlen(text, KD_LINE_MAX - 1);

    editor->Overflow = FALSE;       // a new line: nothing of it was refused

    KdpMoveCursor(editor, 0);
    memcpy(editor->Buffer, text, newLength);
    editor->Buffer[newLength] = '\0';
    editor->Length = newLength;
    KdpEcho(editor, editor->Buffer, newLength);
    if (oldLength > newLength) {
        KdpEchoRepeated(editor, ' ', oldLength - newLength);
        KdpEchoRepeated(editor, '\b', oldLength - newLength);
    }
    editor->Cursor = newLength;
}

static const char *KdpHistoryLine(KD_LINE_EDITOR *editor, ULONG nth)
{
    ULONG slot = (editor->HistoryNewest + KD_HISTORY_DEPTH - (nth - 1)) % KD_HISTORY_DEPTH;

    return editor->History[slot];
}

static void KdpBrowseHistory(KD_LINE_EDITOR *editor, BOOLEAN older)
{
    if (older) {
        if (editor->Browse >= editor->HistoryCount)
            return;
        if (editor->Browse == 0) {
            memcpy(editor->Saved, editor->Buffer, editor->Length);
            editor->Saved[editor->Length] = '\0';
        }
        editor->Browse++;
        KdpReplaceLine(editor, KdpHistoryLine(editor, editor->Browse));
    } else {
        if (editor->Browse == 0)
            return;
        editor->Browse--;
        KdpReplaceLine(editor, editor->Browse ? KdpHistoryLine(editor, editor->Browse)
                                              : editor->Saved);
    }
}

static void KdpRemember(KD_LINE_EDITOR *editor)
{
    if (editor->Length == 0)
        return;
    if (editor->HistoryCount && strcmp(KdpHistoryLine(editor, 1), editor->Buffer) == 0)
        return;     // like a shell, repeated commands are kept once
    editor->HistoryNewest = (editor->HistoryNewest + 1) % KD_HISTORY_DEPTH;
    memcpy(editor->History[editor->HistoryNewest], editor->Buffer, editor->Length + 1);
    if (editor->HistoryCount < KD_HISTORY_DEPTH)
        editor->HistoryCount++;
}

static void KdpInsert(KD_LINE_EDITOR *editor, char c)
{
    if (editor->Length + 1 >= KD_LINE_MAX) {
        // Full: the key is refused, and Enter will say the line was too
        // long rather than run what is left of it.
        editor->Overflow = TRUE;
        return;
    }
    memmove(editor->Buffer + editor->Cursor + 1, editor->Buffer + editor->Cursor,
            editor->Length - editor->Cursor);
    editor->Buffer[editor->Cursor] = c;
    editor->Length++;
    editor->Buffer[editor->Length] = '\0';
    KdpEcho(editor, &c, 1);
    editor->Cursor++;
    KdpRedrawTail(editor, 0);
}

static void KdpDeleteAtCursor(KD_LINE_EDITOR *editor)
{
    if (editor->Cursor == editor->Length)
        return;
    memmove(editor->Buffer + editor->Cursor, editor->Buffer + editor->Cursor + 1,
            editor->Length - editor->Cursor - 1);
    editor->Length--;
    editor->Buffer[editor->Length] = '\0';
    KdpRedrawTail(editor, 1);
}

static void KdpBackspace(KD_LINE_EDITOR *editor)
{
    if (editor->Cursor == 0)
        return;
    KdpEcho(editor, "\b", 1);
    editor->Cursor--;
    KdpDeleteAtCursor(editor);
}

// Acts on a complete escape sequence: ESC [ <params> <final> or ESC O <final>.
static void KdpEscapeSequence(KD_LINE_EDITOR *editor)
{
    UCHAR final = editor->Escape[editor->EscapeLength - 1];
    BOOLEAN tilde = final == '~';
    // A single digit only: ESC [ 1 5 ~ is F5, not Home.
    UCHAR parameter = editor->EscapeLength == 4 ? editor->Escape[2] : 0;

    if (tilde) {
        if (parameter == '3')
            KdpDeleteAtCursor(editor);
        else if (parameter == '1' || parameter == '7')
            KdpMoveCursor(editor, 0);
        else if (parameter == '4' || parameter == '8')
            KdpMoveCursor(editor, editor->Length);
        return;
    }
    switch (final) {
    case 'A':
        KdpBrowseHistory(editor, TRUE);
        break;
    case 'B':
        KdpBrowseHistory(editor, FALSE);
        break;
    case 'C':
        if (editor->Cursor < editor->Length)
            KdpMoveCursor(editor, editor->Cursor + 1);
        break;
    case 'D':
        if (editor->Cursor > 0)
            KdpMoveCursor(editor, editor->Cursor - 1);
        break;
    case 'H':
        KdpMoveCursor(editor, 0);
        break;
    case 'F':
        KdpMoveCursor(editor, editor->Length);
        break;
    default:
        break;      // unknown keys (Insert, PageUp, F-keys...) do nothing
    }
}

// Collects an escape sequence byte by byte; returns TRUE while one is open.
static BOOLEAN KdpCollectEscape(KD_LINE_EDITOR *editor, UCHAR byte)
{
    if (editor->EscapeLength == 0)
        return FALSE;
    if (byte < 0x20) {
        editor->EscapeLength = 0;   // a control key (Enter, Ctrl-C, ESC) ends the sequence
        return FALSE;
    }
    // A sequence longer than the buffer is swallowed to its final byte
    // without acting on it (no key we know is that long).
    if (editor->EscapeLength < sizeof(editor->Escape))
        editor->Escape[editor->EscapeLength++] = byte;
    else
        editor->EscapeOverflow = TRUE;
    if (editor->EscapeLength == 2) {
        if (byte != '[' && byte != 'O')
            editor->EscapeLength = 0;   // Alt+key: ESC then the key, both dropped
        return TRUE;
    }
    if (byte >= 0x40 && byte <= 0x7e) {
        if (!editor->EscapeOverflow)
            KdpEscapeSequence(editor);
        editor->EscapeLength = 0;
        editor->EscapeOverflow = FALSE;
    }
    return TRUE;
}

void KdpLineEditorReset(KD_LINE_EDITOR *editor)
{
    editor->Length = 0;
    editor->Cursor = 0;
    editor->Buffer[0] = '\0';
    editor->Browse = 0;
    editor->EscapeLength = 0;
    editor->EscapeOverflow = FALSE;
    editor->Overflow = FALSE;
}

void KdpLineEditorInitialize(KD_LINE_EDITOR *editor, KD_ECHO_ROUTINE echo)
{
    memset(editor, 0, sizeof(*editor));
    editor->Echo = echo;
}

KD_LINE_STATUS KdpLineEditorFeed(KD_LINE_EDITOR *editor, UCHAR byte)
{
    BOOLEAN lastWasCr = editor->LastWasCr;

    editor->LastWasCr = byte == '\r';
    if (KdpCollectEscape(editor, byte))
        return KdLineEditing;

    switch (byte) {
    case '\n':
        if (lastWasCr)
            return KdLineEditing;     // CR LF from a terminal is one Enter
        /* fall through */
    case '\r':
        KdpEcho(editor, "\n", 1);
        editor->Browse = 0;
        if (editor->Overflow) {
            KdpLineEditorReset(editor);
            return KdLineTooLong;
        }
        KdpRemember(editor);
        return KdLineDone;
    case CTRL('C'):
        KdpEcho(editor, "^C\n", 3);
        KdpLineEditorReset(editor);
        return KdLineCancelled;
    case ESC:
        editor->Escape[0] = ESC;
        editor->EscapeLength = 1;
        editor->EscapeOverflow = FALSE;
        break;
    case DEL:
    case '\b':
        KdpBackspace(editor);
        break;
    case CTRL('A'):
        KdpMoveCursor(editor, 0);
        break;
    case CTRL('E'):
        KdpMoveCursor(editor, editor->Length);
        break;
    case CTRL('U'):
        KdpReplaceLine(editor, "");
        break;
    case '\t':
        KdpInsert(editor, ' ');
        break;
    default:
        if (byte >= 0x20 && byte < 0x7f)
            KdpInsert(editor, (char)byte);
        break;
    }
    return KdLineEditing;
}
