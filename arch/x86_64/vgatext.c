// The VGA text console: a buffer of character/attribute cells (0xB8000,
// mapped by the caller) and the CRTC's hardware cursor. conesc.c decides what
// each cell holds; this file only stores cells and moves the cursor.

#include "arch/x86_64/hal.h"
#include "arch/x86_64/conesc.h"
#include "arch/x86_64/x86.h"

#define VGA_CRTC_INDEX 0x3D4
#define VGA_CRTC_DATA  0x3D5

#define VGA_CRTC_MAXIMUM_SCAN_LINE     0x09
#define VGA_CRTC_CURSOR_START          0x0A
#define VGA_CRTC_CURSOR_END            0x0B
#define VGA_CRTC_CURSOR_LOCATION_HIGH  0x0E
#define VGA_CRTC_CURSOR_LOCATION_LOW   0x0F

#define VGA_SCAN_LINE_MASK     0x1F    // low bits of the scan line registers
#define VGA_CURSOR_START_KEEP  0xC0    // reserved bits; bit 5 (0x20) would hide the cursor
#define VGA_CURSOR_END_KEEP    0xE0    // reserved bits and the cursor skew

#define VGA_ATTRIBUTE_LIGHT_GREY 0x07  // light grey on black
#define VGA_BOX_CHARACTER        0xFE  // code page 437's small square
#define VGA_LAST_ASCII           0x7F

// Enough for every VGA and VESA text mode (132x60 is the largest common one).
#define VGA_MAXIMUM_COLUMNS 132
#define VGA_MAXIMUM_ROWS    60

#define VGA_NO_CURSOR_OFFSET 0xFFFFFFFF

static volatile USHORT *HalpVgaBuffer;
static HALP_SCREEN HalpVgaScreen;
static UCHAR HalpVgaText[VGA_MAXIMUM_COLUMNS * VGA_MAXIMUM_ROWS];
static UCHAR HalpVgaShown[VGA_MAXIMUM_COLUMNS * VGA_MAXIMUM_ROWS];
static ULONG HalpVgaCursorOffset;   // the cell the CRTC points at

#ifdef SLEUTH_HOST
// The host tests have no CRTC: the registers land here for them to inspect.
UCHAR HalpVgaHostCrtc[VGA_CRTC_CURSOR_LOCATION_LOW + 1];

static void HalpVgaWriteCrtc(UCHAR index, UCHAR value)
{
    HalpVgaHostCrtc[index] = value;
}

static UCHAR HalpVgaReadCrtc(UCHAR index)
{
    return HalpVgaHostCrtc[index];
}
#else
static void HalpVgaWriteCrtc(UCHAR index, UCHAR value)
{
    WRITE_PORT_UCHAR(VGA_CRTC_INDEX, index);
    WRITE_PORT_UCHAR(VGA_CRTC_DATA, value);
}

static UCHAR HalpVgaReadCrtc(UCHAR index)
{
    WRITE_PORT_UCHAR(VGA_CRTC_INDEX, index);
    return READ_PORT_UCHAR(VGA_CRTC_DATA);
}
#endif

// The card's font has code page 437 glyphs above 0x7F, but our bytes there
// are pieces of UTF-8 or binary junk: they show as a box, as on the
// framebuffer.
static USHORT HalpVgaCell(UCHAR character)
{
    if (character > VGA_LAST_ASCII)
        character = VGA_BOX_CHARACTER;
    return (USHORT)(VGA_ATTRIBUTE_LIGHT_GREY << 8 | character);
}

static void HalpVgaDrawCells(ULONG column, ULONG row, const UCHAR *characters,
                             const UCHAR *previous, ULONG count)
{
    volatile USHORT *cell = HalpVgaBuffer + row * HalpVgaScreen.Columns + column;

    UNREFERENCED_PARAMETER(previous);   // a cell is one store whatever it showed
    for (ULONG i = 0; i < count; i++)
        cell[i] = HalpVgaCell(characters[i]);
}

// The boot loader may have hidden the cursor or shaped it for another font;
// make it the usual underline on the last two scan lines of the cell.
static void HalpVgaShapeCursor(void)
{
    UCHAR lastLine = HalpVgaReadCrtc(VGA_CRTC_MAXIMUM_SCAN_LINE) & VGA_SCAN_LINE_MASK;
    UCHAR firstLine = lastLine > 0 ? lastLine - 1 : 0;
    UCHAR start = HalpVgaReadCrtc(VGA_CRTC_CURSOR_START) & VGA_CURSOR_START_KEEP;
    UCHAR end = HalpVgaReadCrtc(VGA_CRTC_CURSOR_END) & VGA_CURSOR_END_KEEP;

    HalpVgaWriteCrtc(VGA_CRTC_CURSOR_START, start | firstLine);
    HalpVgaWriteCrtc(VGA_CRTC_CURSOR_END, end | lastLine);
}

// Port writes are slow (about a microsecond each on real hardware), so the
// cursor is moved once per write and only when it moved.
static void HalpVgaMoveCursor(void)
{
    ULONG offset = HalpVgaScreen.CursorRow * HalpVgaScreen.Columns + HalpVgaScreen.CursorColumn;

    if (offset == HalpVgaCursorOffset)
        return;
    HalpVgaCursorOffset = offset;
    HalpVgaWriteCrtc(VGA_CRTC_CURSOR_LOCATION_HIGH, (UCHAR)(offset >> 8));
    HalpVgaWriteCrtc(VGA_CRTC_CURSOR_LOCATION_LOW, (UCHAR)offset);
}

// `buffer` is the text buffer mapped for the kernel. Clears the screen.
BOOLEAN HalpVgaTextInitialize(void *buffer, ULONG columns, ULONG rows)
{
    volatile USHORT *first = buffer;

    if (buffer == NULL || columns == 0 || rows == 0 ||
        columns > VGA_MAXIMUM_COLUMNS || rows > VGA_MAXIMUM_ROWS)
        return FALSE;

    // A machine without a VGA device (QEMU's -vga none, a server's headless
    // board) still gets GRUB's text-mode tag; its b8000 reads back nothing
    // of what was written there.
    first[0] = 0x1F5A;
    first[1] = 0x70A5;
    if (first[0] != 0x1F5A || first[1] != 0x70A5)
        return FALSE;

    HalpVgaBuffer = buffer;
    for (ULONG i = 0; i < columns * rows; i++)
        HalpVgaBuffer[i] = HalpVgaCell(' ');

    HalpScreenInitialize(&HalpVgaScreen, columns, rows, HalpVgaText, HalpVgaShown,
                         HalpVgaDrawCells);
    HalpVgaShapeCursor();
    HalpVgaCursorOffset = VGA_NO_CURSOR_OFFSET;
    HalpVgaMoveCursor();
    return TRUE;
}

void HalpVgaTextWrite(const char *text, size_t length)
{
    if (HalpVgaBuffer == NULL)
        return;
    HalpScreenWrite(&HalpVgaScreen, text, length);
}

void HalpVgaTextDraw(void)
{
    if (HalpVgaBuffer == NULL)
        return;
    HalpScreenDraw(&HalpVgaScreen);
    HalpVgaMoveCursor();
}
