// The framebuffer console: text in the 8x16 font drawn into a linear RGB
// framebuffer of 16, 24 or 32 bits per pixel, with an underline cursor.
//
// Reading framebuffer memory is very slow on real hardware, so nothing here
// reads it: conesc.c remembers which character each cell shows and asks for
// cells to be drawn only where the character changed, and the cursor is
// erased by drawing the bottom of the cell's glyph again. Scrolling is then
// a redraw of the cells that differ from the line below them.

#include "arch/x86_64/hal.h"
#include "arch/x86_64/conesc.h"
#include "arch/x86_64/font.h"

// A console of up to 1920x1200 pixels; a larger screen uses its top left.
#define FB_MAXIMUM_COLUMNS (1920 / FONT_CELL_WIDTH)
#define FB_MAXIMUM_ROWS    (1200 / FONT_CELL_HEIGHT)

#define FB_MAXIMUM_BYTES_PER_PIXEL 4
#define FB_CURSOR_FIRST_LINE (FONT_CELL_HEIGHT - 2)
#define FB_ALL_PIXELS 0xFF

#define FB_FOREGROUND_INTENSITY 0xC0   // light grey
#define FB_BACKGROUND_INTENSITY 0x00   // black

// Framebuffer stores go through this type: any alignment, and the compiler
// may not assume that it knows what they alias.
typedef ULONG64 __attribute__((aligned(1), may_alias)) HALP_FB_QWORD;

static UCHAR *HalpFbBase;
static ULONG HalpFbPitch;
static ULONG HalpFbBytesPerPixel;
static HALP_SCREEN HalpFbScreen;
static UCHAR HalpFbText[FB_MAXIMUM_COLUMNS * FB_MAXIMUM_ROWS];
static UCHAR HalpFbShown[FB_MAXIMUM_COLUMNS * FB_MAXIMUM_ROWS];

// The pixels of one scan line of a cell for each of the 256 glyph bytes, in
// the framebuffer's format: drawing a line is then BytesPerPixel stores of
// 8 bytes whatever the format.
static ULONG64 HalpFbLineImage[256][FB_MAXIMUM_BYTES_PER_PIXEL];

static BOOLEAN HalpFbCursorShown;
static ULONG HalpFbCursorColumn;
static ULONG HalpFbCursorRow;

// Scales an 8-bit intensity to a colour field of `size` bits at `position`.
static ULONG HalpFbChannel(ULONG intensity, UCHAR position, UCHAR size)
{
    ULONG maximum = (1U << size) - 1;

    return ((intensity * maximum + 127) / 255) << position;
}

static ULONG HalpFbColor(const LOADER_FRAMEBUFFER *framebuffer, ULONG intensity)
{
    return HalpFbChannel(intensity, framebuffer->RedPosition, framebuffer->RedSize) |
           HalpFbChannel(intensity, framebuffer->GreenPosition, framebuffer->GreenSize) |
           HalpFbChannel(intensity, framebuffer->BluePosition, framebuffer->BlueSize);
}

static BOOLEAN HalpFbFieldFits(UCHAR position, UCHAR size, ULONG bitsPerPixel)
{
    return size > 0 && size <= 16 && position + size <= bitsPerPixel;
}

static void HalpFbBuildLineImages(ULONG foreground, ULONG background)
{
    for (ULONG bits = 0; bits < 256; bits++) {
        UCHAR *image = (UCHAR *)HalpFbLineImage[bits];

        for (ULONG x = 0; x < FONT_CELL_WIDTH; x++) {
            ULONG pixel = bits & (0x80 >> x) ? foreground : background;

            for (ULONG i = 0; i < HalpFbBytesPerPixel; i++)
                image[x * HalpFbBytesPerPixel + i] = (UCHAR)(pixel >> (8 * i));
        }
    }
}

static BOOLEAN HalpFbLineUnchanged(const UCHAR *characters, const UCHAR *previous,
                                   ULONG count, ULONG y)
{
    for (ULONG i = 0; i < count; i++) {
        if (HalpFontGlyph(characters[i])[y] != HalpFontGlyph(previous[i])[y])
            return FALSE;
    }
    return TRUE;
}

// Draws scan lines [firstLine, endLine) of `count` cells of `row` from
// `column` on. A scan line of the whole run is drawn before the next, so the
// stores go in address order. With `previous` (what the cells showed), a
// scan line on which no cell changes is skipped: most glyphs share their
// blank top and bottom lines. `extra` lights more pixels (the cursor).
static void HalpFbDrawLines(ULONG column, ULONG row, const UCHAR *characters,
                            const UCHAR *previous, ULONG count,
                            ULONG firstLine, ULONG endLine, UCHAR extra)
{
    ULONG qwordsPerCell = HalpFbBytesPerPixel;  // 8 pixels of N bytes are N qwords
    UCHAR *line = HalpFbBase + ((size_t)row * FONT_CELL_HEIGHT + firstLine) * HalpFbPitch +
                  (size_t)column * FONT_CELL_WIDTH * HalpFbBytesPerPixel;

    for (ULONG y = firstLine; y < endLine; y++, line += HalpFbPitch) {
        volatile HALP_FB_QWORD *target = (volatile HALP_FB_QWORD *)line;

        if (previous != NULL && HalpFbLineUnchanged(characters, previous, count, y))
            continue;
        for (ULONG i = 0; i < count; i++, target += qwordsPerCell) {
            const ULONG64 *image = HalpFbLineImage[HalpFontGlyph(characters[i])[y] | extra];

            // 32 bits per pixel, the usual case, is spelled out: this is
            // the console's hot loop and the compiler keeps it a loop.
            if (qwordsPerCell == 4) {
                target[0] = image[0];
                target[1] = image[1];
                target[2] = image[2];
                target[3] = image[3];
            } else {
                for (ULONG q = 0; q < qwordsPerCell; q++)
                    target[q] = image[q];
            }
        }
    }
}

static void HalpFbEraseCursor(void)
{
    const UCHAR *under = &HalpFbShown[HalpFbCursorRow * HalpFbScreen.Columns + HalpFbCursorColumn];

    HalpFbDrawLines(HalpFbCursorColumn, HalpFbCursorRow, under, NULL, 1,
                    FB_CURSOR_FIRST_LINE, FONT_CELL_HEIGHT, 0);
    HalpFbCursorShown = FALSE;
}

static void HalpFbDrawCells(ULONG column, ULONG row, const UCHAR *characters,
                            const UCHAR *previous, ULONG count)
{
    // Skipping unchanged lines assumes the cells show `previous`: the
    // underline must go first.
    if (HalpFbCursorShown && row == HalpFbCursorRow && column <= HalpFbCursorColumn &&
        HalpFbCursorColumn < column + count)
        HalpFbEraseCursor();
    HalpFbDrawLines(column, row, characters, previous, count, 0, FONT_CELL_HEIGHT, 0);
}

static void HalpFbDrawCursor(void)
{
    ULONG column = HalpFbScreen.CursorColumn;
    ULONG row = HalpFbScreen.CursorRow;

    if (HalpFbCursorShown) {
        if (column == HalpFbCursorColumn && row == HalpFbCursorRow)
            return;
        HalpFbEraseCursor();
    }
    HalpFbDrawLines(column, row, &HalpFbShown[row * HalpFbScreen.Columns + column], NULL, 1,
                    FB_CURSOR_FIRST_LINE, FONT_CELL_HEIGHT, FB_ALL_PIXELS);
    HalpFbCursorColumn = column;
    HalpFbCursorRow = row;
    HalpFbCursorShown = TRUE;
}

// `mapped` is where the kernel mapped the framebuffer. Returns FALSE for
// formats we cannot draw (indexed colour, EGA text, odd pixel sizes) and
// for screens too small for one cell. Clears the screen.
BOOLEAN HalpFbInitialize(const LOADER_FRAMEBUFFER *framebuffer, void *mapped)
{
    ULONG bitsPerPixel = framebuffer->BitsPerPixel;
    ULONG bytesPerPixel = (bitsPerPixel + 7) / 8;
    ULONG columns = framebuffer->Width / FONT_CELL_WIDTH;
    ULONG rows = framebuffer->Height / FONT_CELL_HEIGHT;

    if (mapped == NULL || framebuffer->Type != FramebufferRgb)
        return FALSE;
    if (bitsPerPixel != 15 && bitsPerPixel != 16 && bitsPerPixel != 24 && bitsPerPixel != 32)
        return FALSE;
    if (!HalpFbFieldFits(framebuffer->RedPosition, framebuffer->RedSize, bitsPerPixel) ||
        !HalpFbFieldFits(framebuffer->GreenPosition, framebuffer->GreenSize, bitsPerPixel) ||
        !HalpFbFieldFits(framebuffer->BluePosition, framebuffer->BlueSize, bitsPerPixel))
        return FALSE;
    if (columns == 0 || rows == 0 || framebuffer->Pitch < framebuffer->Width * bytesPerPixel)
        return FALSE;

    HalpFbBase = mapped;
    HalpFbPitch = framebuffer->Pitch;
    HalpFbBytesPerPixel = bytesPerPixel;
    if (columns > FB_MAXIMUM_COLUMNS)
        columns = FB_MAXIMUM_COLUMNS;
    if (rows > FB_MAXIMUM_ROWS)
        rows = FB_MAXIMUM_ROWS;

    HalpFbBuildLineImages(HalpFbColor(framebuffer, FB_FOREGROUND_INTENSITY),
                          HalpFbColor(framebuffer, FB_BACKGROUND_INTENSITY));

    // The background is black, zero in every RGB format. The whole screen
    // is cleared, not just the cells, so nothing the boot loader drew is
    // left at the edges.
    memset(HalpFbBase, 0, (size_t)framebuffer->Pitch * framebuffer->Height);

    HalpScreenInitialize(&HalpFbScreen, columns, rows, HalpFbText, HalpFbShown,
                         HalpFbDrawCells);
    HalpFbCursorShown = FALSE;
    HalpFbDrawCursor();
    return TRUE;
}

void HalpFbWrite(const char *text, size_t length)
{
    if (HalpFbBase == NULL)
        return;
    HalpScreenWrite(&HalpFbScreen, text, length);
}

void HalpFbDraw(void)
{
    if (HalpFbBase == NULL)
        return;
    HalpScreenDraw(&HalpFbScreen);
    HalpFbDrawCursor();
}
