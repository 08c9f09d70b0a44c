// The console byte stream on a grid of cells, shared by the VGA text and
// framebuffer drivers (see conesc.h).
//
// The cursor is only ever given values inside the screen, and each routine
// reads it once. The console layer lets a bugcheck print while another
// CPU's write is frozen half way (it gives up waiting for the lock); such a
// race may garble text but never writes outside the screen.
//
// Text is kept apart from what has been drawn. A write only updates Text,
// which is cheap even when it scrolls many times (a scroll only rotates the
// ring of lines); a draw compares the rows touched since the last one with
// Shown and draws the cells that differ. On a framebuffer a scroll therefore
// costs the cells whose character changed, once per draw, however many lines
// went by: the console layer (console.c) decides how often to draw.

#include "arch/x86_64/conesc.h"

#define ASCII_BACKSPACE       0x08
#define ASCII_TAB             0x09
#define ASCII_LINE_FEED       0x0A
#define ASCII_CARRIAGE_RETURN 0x0D
#define ASCII_ESCAPE          0x1B
#define ASCII_DELETE          0x7F

#define CONSOLE_TAB_WIDTH 8
#define ESCAPE_PARAMETER_LIMIT 9999

// Bytes of an escape sequence (ECMA-48): after ESC, 0x20-0x2F are
// intermediates and 0x30-0x7E end it; after ESC [, 0x30-0x3F are parameters,
// 0x20-0x2F intermediates and 0x40-0x7E the final byte that names it.
#define ESCAPE_FIRST_FINAL 0x30
#define CSI_FIRST_FINAL    0x40

enum { EscapeNone, EscapeStarted, EscapeCsi };

static UCHAR *HalpScreenLine(HALP_SCREEN *screen, ULONG row)
{
    ULONG line = screen->FirstLine + row;

    if (line >= screen->Rows)
        line -= screen->Rows;
    return screen->Text + (size_t)line * screen->Columns;
}

static void HalpScreenTouch(HALP_SCREEN *screen, ULONG firstRow, ULONG endRow)
{
    if (firstRow < screen->DirtyFirst)
        screen->DirtyFirst = firstRow;
    if (endRow > screen->DirtyEnd)
        screen->DirtyEnd = endRow;
}

static void HalpScreenNewLine(HALP_SCREEN *screen)
{
    ULONG row = screen->CursorRow;

    screen->CursorColumn = 0;
    screen->WrapPending = FALSE;
    if (row + 1 < screen->Rows) {
        screen->CursorRow = row + 1;
        return;
    }

    // Scrolling moves no text: the line leaving the top comes back, blank,
    // at the bottom. Every row may now show something else.
    screen->FirstLine = (screen->FirstLine + 1) % screen->Rows;
    memset(HalpScreenLine(screen, screen->Rows - 1), ' ', screen->Columns);
    HalpScreenTouch(screen, 0, screen->Rows);
}

static void HalpScreenPutCharacter(HALP_SCREEN *screen, UCHAR character)
{
    ULONG row, column;

    if (screen->WrapPending)
        HalpScreenNewLine(screen);

    row = screen->CursorRow;
    column = screen->CursorColumn;
    HalpScreenLine(screen, row)[column] = character;
    HalpScreenTouch(screen, row, row + 1);
    if (column + 1 < screen->Columns)
        screen->CursorColumn = column + 1;
    else
        screen->WrapPending = TRUE;
}

static void HalpScreenTab(HALP_SCREEN *screen)
{
    ULONG column = screen->CursorColumn;
    ULONG next = (column / CONSOLE_TAB_WIDTH + 1) * CONSOLE_TAB_WIDTH;

    if (next >= screen->Columns)
        next = screen->Columns - 1;
    if (next != column) {
        screen->CursorColumn = next;
        screen->WrapPending = FALSE;
    }
}

static void HalpScreenEraseToEndOfLine(HALP_SCREEN *screen)
{
    ULONG row = screen->CursorRow;
    ULONG column = screen->CursorColumn;

    memset(HalpScreenLine(screen, row) + column, ' ', screen->Columns - column);
    screen->WrapPending = FALSE;
    HalpScreenTouch(screen, row, row + 1);
}

static void HalpScreenClear(HALP_SCREEN *screen)
{
    memset(screen->Text, ' ', (size_t)screen->Columns * screen->Rows);
    screen->CursorColumn = 0;
    screen->CursorRow = 0;
    screen->WrapPending = FALSE;
    HalpScreenTouch(screen, 0, screen->Rows);
}

// The final byte of ESC [ ... names the sequence. Only ESC [ K (or ESC [ 0 K)
// and ESC [ 2 J mean something here; every other sequence is swallowed.
static void HalpScreenControlSequence(HALP_SCREEN *screen, UCHAR final)
{
    if (screen->EscapeIgnored)
        return;
    if (final == 'K' && screen->EscapeParameter == 0)
        HalpScreenEraseToEndOfLine(screen);
    else if (final == 'J' && screen->EscapeParameter == 2)
        HalpScreenClear(screen);
}

// Returns TRUE when `byte` belonged to an escape sequence.
static BOOLEAN HalpScreenEscapeByte(HALP_SCREEN *screen, UCHAR byte)
{
    if (screen->EscapeState == EscapeNone || byte < ' ' || byte >= ASCII_DELETE) {
        // A control character or a non-ASCII byte cuts a sequence short and
        // then counts as itself, so stray bytes after a lone ESC still show.
        screen->EscapeState = EscapeNone;
        return FALSE;
    }

    if (screen->EscapeState == EscapeStarted) {
        if (byte == '[') {
            screen->EscapeState = EscapeCsi;
            screen->EscapeParameter = 0;
            screen->EscapeIgnored = FALSE;
        } else if (byte >= ESCAPE_FIRST_FINAL) {
            screen->EscapeState = EscapeNone;
        }
        return TRUE;
    }

    if (byte >= '0' && byte <= '9') {
        screen->EscapeParameter = screen->EscapeParameter * 10 + (byte - '0');
        if (screen->EscapeParameter > ESCAPE_PARAMETER_LIMIT)
            screen->EscapeParameter = ESCAPE_PARAMETER_LIMIT;
    } else if (byte >= CSI_FIRST_FINAL) {
        screen->EscapeState = EscapeNone;
        HalpScreenControlSequence(screen, byte);
    } else {
        // A second parameter (';'), a private marker ('?') or an intermediate.
        screen->EscapeIgnored = TRUE;
    }
    return TRUE;
}

static void HalpScreenPutByte(HALP_SCREEN *screen, UCHAR byte)
{
    ULONG column;

    if (HalpScreenEscapeByte(screen, byte))
        return;

    switch (byte) {
    case ASCII_LINE_FEED:
        HalpScreenNewLine(screen);
        break;
    case ASCII_CARRIAGE_RETURN:
        screen->CursorColumn = 0;
        screen->WrapPending = FALSE;
        break;
    case ASCII_BACKSPACE:
        screen->WrapPending = FALSE;
        column = screen->CursorColumn;
        if (column > 0)
            screen->CursorColumn = column - 1;
        break;
    case ASCII_TAB:
        HalpScreenTab(screen);
        break;
    case ASCII_ESCAPE:
        screen->EscapeState = EscapeStarted;
        break;
    default:
        // Other control characters (BEL, NUL...) and DEL do nothing.
        if (byte >= ' ' && byte != ASCII_DELETE)
            HalpScreenPutCharacter(screen, byte);
        break;
    }
}

// The common case, a run of printable characters on one line outside any
// escape sequence, copied into the line at once. Returns how many bytes of
// `text` it took (0: the first byte needs HalpScreenPutByte).
static size_t HalpScreenPrintableRun(HALP_SCREEN *screen, const char *text, size_t length)
{
    ULONG column = screen->CursorColumn;
    size_t room = screen->Columns - column;
    size_t run = 0;
    UCHAR *line;

    if (screen->EscapeState != EscapeNone || screen->WrapPending)
        return 0;
    if (length > room)
        length = room;
    while (run < length && (UCHAR)text[run] >= ' ' && (UCHAR)text[run] < ASCII_DELETE)
        run++;
    if (run == 0)
        return 0;
    line = HalpScreenLine(screen, screen->CursorRow);
    memcpy(line + column, text, run);
    HalpScreenTouch(screen, screen->CursorRow, screen->CursorRow + 1);
    if (run < room) {
        screen->CursorColumn = column + (ULONG)run;
    } else {
        screen->CursorColumn = screen->Columns - 1;
        screen->WrapPending = TRUE;
    }
    return run;
}

// Draws each run of changed cells with one call: the driver can then store
// pixels in address order, which framebuffers (write-combined) take fastest.
void HalpScreenDraw(HALP_SCREEN *screen)
{
    for (ULONG row = screen->DirtyFirst; row < screen->DirtyEnd; row++) {
        const UCHAR *text = HalpScreenLine(screen, row);
        UCHAR *shown = screen->Shown + (size_t)row * screen->Columns;
        ULONG column = 0;

        while (column < screen->Columns) {
            ULONG first = column;

            while (column < screen->Columns && text[column] != shown[column])
                column++;
            if (column == first) {
                column++;
                continue;
            }
            screen->DrawCells(first, row, text + first, shown + first, column - first);
            memcpy(shown + first, text + first, column - first);
        }
    }
    screen->DirtyFirst = screen->Rows;
    screen->DirtyEnd = 0;
}

void HalpScreenInitialize(HALP_SCREEN *screen, ULONG columns, ULONG rows,
                          UCHAR *text, UCHAR *shown, HALP_SCREEN_DRAW_CELLS drawCells)
{
    memset(screen, 0, sizeof(*screen));
    screen->Columns = columns;
    screen->Rows = rows;
    screen->Text = text;
    screen->Shown = shown;
    screen->DirtyFirst = rows;
    screen->DrawCells = drawCells;
    memset(text, ' ', (size_t)columns * rows);
    memset(shown, ' ', (size_t)columns * rows);
}

void HalpScreenWrite(HALP_SCREEN *screen, const char *text, size_t length)
{
    size_t i = 0;

    while (i < length) {
        size_t run = HalpScreenPrintableRun(screen, text + i, length - i);

        if (run == 0)
            HalpScreenPutByte(screen, (UCHAR)text[i++]);
        else
            i += run;
    }
}
