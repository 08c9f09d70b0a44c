// What the display consoles have in common: the byte stream of hal.h
// ("Consoles") applied to a grid of character cells. The driver supplies the
// storage and a routine that draws a run of cells; this layer decides what
// every cell should hold and asks for cells to be drawn only where they
// changed, so a driver never reads the display back.
#pragma once

#include "rtl/rtl.h"

// Draws `count` cells of `row` from `column` on, which showed `previous`
// and must now show `characters` (a driver may skip what did not change).
typedef void (*HALP_SCREEN_DRAW_CELLS)(ULONG column, ULONG row, const UCHAR *characters,
                                       const UCHAR *previous, ULONG count);

typedef struct _HALP_SCREEN {
    ULONG Columns;
    ULONG Rows;
    UCHAR *Text;                // Rows lines of Columns characters, used as a ring
    UCHAR *Shown;               // what the driver has drawn, in screen order
    ULONG FirstLine;            // the line of Text at the top of the screen
    ULONG DirtyFirst;           // screen rows [DirtyFirst, DirtyEnd) may differ
    ULONG DirtyEnd;             //   from Shown
    ULONG CursorColumn;
    ULONG CursorRow;
    BOOLEAN WrapPending;        // the last column was written; the next character wraps
    UCHAR EscapeState;          // where we are in an escape sequence
    BOOLEAN EscapeIgnored;      // the sequence has a form we do not act on
    ULONG EscapeParameter;
    HALP_SCREEN_DRAW_CELLS DrawCells;
} HALP_SCREEN;

// Starts a blank screen with the cursor at the top left. `text` and `shown`
// each hold columns * rows bytes; the driver must have blanked the display.
void HalpScreenInitialize(HALP_SCREEN *screen, ULONG columns, ULONG rows,
                          UCHAR *text, UCHAR *shown, HALP_SCREEN_DRAW_CELLS drawCells);

// Applies `text` to the screen's text; nothing is drawn until
// HalpScreenDraw, which draws the cells that changed since it last ran. An escape
// sequence may be split across calls. Bytes outside printable ASCII reach
// DrawCells unchanged; the driver picks how to show them. As on a VT100 or
// xterm, writing the last column leaves the cursor there with a wrap pending,
// and '\b' from that state moves to the column before the last.
void HalpScreenWrite(HALP_SCREEN *screen, const char *text, size_t length);
void HalpScreenDraw(HALP_SCREEN *screen);
