// The display consoles: VGA text cells, the framebuffer console, the byte
// stream they share (conesc.c) and the font, run against buffers in memory.

#include <stdlib.h>
#include "hosttest.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/font.h"

extern UCHAR HalpVgaHostCrtc[];

#define VGA_COLUMNS 80
#define VGA_ROWS 25
#define VGA_BLANK 0x0720
#define VGA_CURSOR_LOCATION_HIGH 0x0E
#define VGA_CURSOR_LOCATION_LOW 0x0F

#define FB_WIDTH 1024
#define FB_HEIGHT 768
#define FB_COLUMNS (FB_WIDTH / FONT_CELL_WIDTH)
#define FB_ROWS (FB_HEIGHT / FONT_CELL_HEIGHT)
#define FB_FOREGROUND 0xC0C0C0
#define FB_POISON 0x123456

static USHORT VgaBuffer[VGA_COLUMNS * VGA_ROWS];

static void VgaStart(void)
{
    memset(HalpVgaHostCrtc, 0, VGA_CURSOR_LOCATION_LOW + 1);
    HalpVgaTextInitialize(VgaBuffer, VGA_COLUMNS, VGA_ROWS);
}

static void VgaPut(const char *text)
{
    HalpVgaTextWrite(text, strlen(text));
    HalpVgaTextDraw();
}

// The characters of a row, trailing blanks dropped.
static const char *VgaRow(ULONG row)
{
    static char text[VGA_COLUMNS + 1];
    int length = 0;

    for (int column = 0; column < VGA_COLUMNS; column++) {
        text[column] = (char)(VgaBuffer[row * VGA_COLUMNS + column] & 0xFF);
        if (text[column] != ' ')
            length = column + 1;
    }
    text[length] = 0;
    return text;
}

static ULONG VgaCursor(void)
{
    return HalpVgaHostCrtc[VGA_CURSOR_LOCATION_HIGH] << 8 |
           HalpVgaHostCrtc[VGA_CURSOR_LOCATION_LOW];
}

// ---- VGA text ------------------------------------------------------------------

TEST(VgaInitializeClearsToLightGreyBlanks)
{
    for (int i = 0; i < VGA_COLUMNS * VGA_ROWS; i++)
        VgaBuffer[i] = 0x1F41;
    VgaStart();
    for (int i = 0; i < VGA_COLUMNS * VGA_ROWS; i++)
        EXPECT_EQ(VgaBuffer[i], VGA_BLANK);
    EXPECT_EQ(VgaCursor(), 0);
}

TEST(VgaInitializeRejectsUnusableModes)
{
    EXPECT(!HalpVgaTextInitialize(NULL, VGA_COLUMNS, VGA_ROWS));
    EXPECT(!HalpVgaTextInitialize(VgaBuffer, 0, VGA_ROWS));
    EXPECT(!HalpVgaTextInitialize(VgaBuffer, 1000, VGA_ROWS));
    EXPECT(!HalpVgaTextInitialize(VgaBuffer, VGA_COLUMNS, 1000));
}

TEST(VgaInitializeShowsUnderlineCursor)
{
    memset(HalpVgaHostCrtc, 0, VGA_CURSOR_LOCATION_LOW + 1);
    HalpVgaHostCrtc[0x09] = 0x4F;       // 16 scan lines per cell, plus a flag bit
    HalpVgaHostCrtc[0x0A] = 0x20;       // cursor hidden
    HalpVgaTextInitialize(VgaBuffer, VGA_COLUMNS, VGA_ROWS);
    EXPECT_EQ(HalpVgaHostCrtc[0x0A], 14);
    EXPECT_EQ(HalpVgaHostCrtc[0x0B], 15);
}

TEST(VgaWriteStoresLightGreyCharacters)
{
    VgaStart();
    VgaPut("Hi");
    EXPECT_EQ(VgaBuffer[0], 0x0748);
    EXPECT_EQ(VgaBuffer[1], 0x0769);
    EXPECT_EQ(VgaBuffer[2], VGA_BLANK);
}

TEST(VgaCursorFollowsText)
{
    VgaStart();
    VgaPut("ab\ncd");
    EXPECT_EQ(VgaCursor(), VGA_COLUMNS + 2);
}

TEST(VgaNewLineStartsNextRowAtColumnZero)
{
    VgaStart();
    VgaPut("abc\ndef");
    EXPECT_STREQ(VgaRow(0), "abc");
    EXPECT_STREQ(VgaRow(1), "def");
}

TEST(VgaCarriageReturnOverwritesFromColumnZero)
{
    VgaStart();
    VgaPut("abc\rX");
    EXPECT_STREQ(VgaRow(0), "Xbc");
    EXPECT_EQ(VgaCursor(), 1);
}

TEST(VgaBackspaceDoesNotErase)
{
    VgaStart();
    VgaPut("abc\b");
    EXPECT_STREQ(VgaRow(0), "abc");
    EXPECT_EQ(VgaCursor(), 2);
    VgaPut("\b\bX");
    EXPECT_STREQ(VgaRow(0), "Xbc");
}

TEST(VgaBackspaceStopsAtColumnZero)
{
    VgaStart();
    VgaPut("a\n\b\bb");
    EXPECT_STREQ(VgaRow(0), "a");
    EXPECT_STREQ(VgaRow(1), "b");
}

TEST(VgaTabMovesToNextMultipleOfEight)
{
    VgaStart();
    VgaPut("a\tb\tc");
    EXPECT_STREQ(VgaRow(0), "a       b       c");
    VgaPut("\r\t");
    EXPECT_EQ(VgaCursor(), 8);
}

TEST(VgaTabStopsAtLastColumn)
{
    char line[VGA_COLUMNS];

    VgaStart();
    memset(line, 'x', 75);
    HalpVgaTextWrite(line, 75);
    HalpVgaTextDraw();
    VgaPut("\t\tE");
    EXPECT_EQ(VgaBuffer[VGA_COLUMNS - 1] & 0xFF, 'E');
}

TEST(VgaLongLineWrapsToNextRow)
{
    char line[VGA_COLUMNS + 1];

    VgaStart();
    memset(line, 'x', VGA_COLUMNS);
    line[VGA_COLUMNS] = 'y';
    HalpVgaTextWrite(line, sizeof(line));
    HalpVgaTextDraw();
    EXPECT_STREQ(VgaRow(1), "y");
    EXPECT_EQ(VgaCursor(), VGA_COLUMNS + 1);
}

// A write changes the text only; what the screen shows changes at the draw
// (console.c decides when), and then only where it differs.
TEST(VgaWriteDrawsNothingUntilTheDraw)
{
    VgaStart();
    HalpVgaTextWrite("hello\nworld", 11);
    EXPECT_STREQ(VgaRow(0), "");
    EXPECT_EQ(VgaCursor(), 0);
    HalpVgaTextDraw();
    EXPECT_STREQ(VgaRow(0), "hello");
    EXPECT_STREQ(VgaRow(1), "world");
    EXPECT_EQ(VgaCursor(), VGA_COLUMNS + 5);
}

// Printable runs are copied a line at a time: a run that spans rows, starts
// mid-line and crosses an escape sequence must land exactly where writing
// it a byte at a time puts it.
TEST(VgaRunsLandWhereSingleBytesDo)
{
    char text[3 * VGA_COLUMNS];
    USHORT expected[VGA_COLUMNS * VGA_ROWS];
    size_t length = 0;

    for (int i = 0; i < 2 * VGA_COLUMNS + 7; i++)
        text[length++] = (char)('a' + i % 26);
    static const char tail[] = "\x1b[K12\tz\x1b[0K\xb0q";

    memcpy(text + length, tail, sizeof(tail) - 1);
    length += sizeof(tail) - 1;

    VgaStart();
    for (size_t i = 0; i < length; i++)
        HalpVgaTextWrite(text + i, 1);
    HalpVgaTextDraw();
    memcpy(expected, VgaBuffer, sizeof(expected));
    ULONG cursor = VgaCursor();

    VgaStart();
    HalpVgaTextWrite(text, 5);
    HalpVgaTextWrite(text + 5, length - 5);
    HalpVgaTextDraw();
    EXPECT(memcmp(expected, VgaBuffer, sizeof(expected)) == 0);
    EXPECT_EQ(VgaCursor(), cursor);
    EXPECT_STREQ(VgaRow(2), "efghijk12       z\xfeq");    // a box for 0xb0
}

TEST(VgaFullLineThenNewLineAdvancesOnce)
{
    char line[VGA_COLUMNS];

    VgaStart();
    memset(line, 'x', VGA_COLUMNS);
    HalpVgaTextWrite(line, sizeof(line));
    HalpVgaTextDraw();
    EXPECT_EQ(VgaCursor(), VGA_COLUMNS - 1);   // a wrap is pending, the cursor waits
    VgaPut("\nz");
    EXPECT_STREQ(VgaRow(1), "z");
}

TEST(VgaBackspaceWithWrapPendingMovesBeforeLastColumn)
{
    char line[VGA_COLUMNS];

    VgaStart();
    memset(line, 'x', VGA_COLUMNS);
    HalpVgaTextWrite(line, sizeof(line));
    HalpVgaTextDraw();
    VgaPut("\bY");
    EXPECT_EQ(VgaBuffer[VGA_COLUMNS - 2] & 0xFF, 'Y');
    EXPECT_STREQ(VgaRow(1), "");
}

TEST(VgaScrollMovesLinesUpAndBlanksBottom)
{
    char line[32];

    VgaStart();
    for (int i = 0; i < VGA_ROWS + 2; i++) {
        snprintf(line, sizeof(line), "line %d\n", i);
        VgaPut(line);
    }
    EXPECT_STREQ(VgaRow(0), "line 3");
    EXPECT_STREQ(VgaRow(VGA_ROWS - 2), "line 26");
    EXPECT_STREQ(VgaRow(VGA_ROWS - 1), "");
    EXPECT_EQ(VgaCursor(), (VGA_ROWS - 1) * VGA_COLUMNS);
}

TEST(VgaNonAsciiShowsBox)
{
    VgaStart();
    VgaPut("\xc3\xa9");
    EXPECT_EQ(VgaBuffer[0], 0x07FE);
    EXPECT_EQ(VgaBuffer[1], 0x07FE);
}

TEST(VgaOtherControlCharactersAreIgnored)
{
    VgaStart();
    HalpVgaTextWrite("a\a\0\x7f" "b", 5);
    HalpVgaTextDraw();
    EXPECT_STREQ(VgaRow(0), "ab");
}

// ---- The escape sequences (through the VGA driver, the easiest to read) -------

TEST(EscapeEraseToEndOfLineBlanksFromCursor)
{
    VgaStart();
    VgaPut("abcdef\b\b\b\x1b[K");
    EXPECT_STREQ(VgaRow(0), "abc");
    EXPECT_EQ(VgaCursor(), 3);
}

TEST(EscapeEraseWithZeroParameterBlanksFromCursor)
{
    VgaStart();
    VgaPut("abcdef\r\x1b[0K");
    EXPECT_STREQ(VgaRow(0), "");
}

TEST(EscapeClearScreenBlanksAndHomesCursor)
{
    VgaStart();
    VgaPut("one\ntwo\nthree\x1b[2J");
    for (int row = 0; row < VGA_ROWS; row++)
        EXPECT_STREQ(VgaRow(row), "");
    EXPECT_EQ(VgaCursor(), 0);
    VgaPut("x");
    EXPECT_STREQ(VgaRow(0), "x");
}

TEST(EscapeSequenceSplitAcrossWrites)
{
    VgaStart();
    VgaPut("abc\ndef");
    VgaPut("\x1b");
    VgaPut("[");
    VgaPut("2");
    VgaPut("J");
    VgaPut("x");
    EXPECT_STREQ(VgaRow(0), "x");
    EXPECT_STREQ(VgaRow(1), "");
}

TEST(EscapeEraseSplitAcrossWrites)
{
    VgaStart();
    VgaPut("abcdef\r\x1b[");
    EXPECT_STREQ(VgaRow(0), "abcdef");
    VgaPut("K");
    EXPECT_STREQ(VgaRow(0), "");
}

TEST(EscapeUnknownSequencesAreSwallowed)
{
    VgaStart();
    VgaPut("a\x1b[1;31mb\x1b[?25lc\x1b[0md\x1b[3~e\x1b[Af");
    EXPECT_STREQ(VgaRow(0), "abcdef");
}

TEST(EscapeOtherEraseFormsAreSwallowed)
{
    VgaStart();
    VgaPut("abc\x1b[1K\x1b[2K\x1b[J\x1b[0;K\x1b[?2Jd");
    EXPECT_STREQ(VgaRow(0), "abcd");
}

TEST(EscapeTwoByteSequencesAreSwallowed)
{
    VgaStart();
    VgaPut("a\x1b" "7b\x1b(Bc");
    EXPECT_STREQ(VgaRow(0), "abc");
}

TEST(EscapeCutShortByControlCharacter)
{
    VgaStart();
    VgaPut("a\x1b[12\nb");
    EXPECT_STREQ(VgaRow(0), "a");
    EXPECT_STREQ(VgaRow(1), "b");
}

TEST(EscapeRestartsOnSecondEscape)
{
    VgaStart();
    VgaPut("abc\x1b\x1b[2Jd");
    EXPECT_STREQ(VgaRow(0), "d");
}

// ---- Framebuffer ----------------------------------------------------------------

static ULONG *FbPixels;

static LOADER_FRAMEBUFFER FbDescription(ULONG width, ULONG height, UCHAR bitsPerPixel)
{
    LOADER_FRAMEBUFFER framebuffer = {
        .Pitch = width * ((bitsPerPixel + 7) / 8),
        .Width = width,
        .Height = height,
        .BitsPerPixel = bitsPerPixel,
        .Type = FramebufferRgb,
        .RedPosition = 16, .RedSize = 8,
        .GreenPosition = 8, .GreenSize = 8,
        .BluePosition = 0, .BlueSize = 8,
    };
    return framebuffer;
}

static void FbStart(void)
{
    LOADER_FRAMEBUFFER framebuffer = FbDescription(FB_WIDTH, FB_HEIGHT, 32);

    if (FbPixels == NULL)
        FbPixels = malloc(FB_WIDTH * FB_HEIGHT * sizeof(ULONG));
    HalpFbInitialize(&framebuffer, FbPixels);
}

static void FbPut(const char *text)
{
    HalpFbWrite(text, strlen(text));
    HalpFbDraw();
}

static ULONG FbPixel(ULONG x, ULONG y)
{
    return FbPixels[y * FB_WIDTH + x];
}

// TRUE when the cell's pixels are exactly the glyph, scan lines
// [0, endLine) compared (the cursor lives in the last two).
static BOOLEAN FbCellShowsLines(ULONG column, ULONG row, UCHAR character, ULONG endLine)
{
    const UCHAR *glyph = HalpFontGlyph(character);

    for (ULONG y = 0; y < endLine; y++) {
        for (ULONG x = 0; x < FONT_CELL_WIDTH; x++) {
            ULONG expected = glyph[y] & (0x80 >> x) ? FB_FOREGROUND : 0;
            if (FbPixel(column * FONT_CELL_WIDTH + x, row * FONT_CELL_HEIGHT + y) != expected)
                return FALSE;
        }
    }
    return TRUE;
}

static BOOLEAN FbCellShows(ULONG column, ULONG row, UCHAR character)
{
    return FbCellShowsLines(column, row, character, FONT_CELL_HEIGHT);
}

static BOOLEAN FbCellHasCursor(ULONG column, ULONG row)
{
    for (ULONG y = FONT_CELL_HEIGHT - 2; y < FONT_CELL_HEIGHT; y++) {
        for (ULONG x = 0; x < FONT_CELL_WIDTH; x++) {
            if (FbPixel(column * FONT_CELL_WIDTH + x, row * FONT_CELL_HEIGHT + y) !=
                FB_FOREGROUND)
                return FALSE;
        }
    }
    return TRUE;
}

TEST(FbInitializeClearsScreenAndShowsCursor)
{
    FbStart();
    memset(FbPixels, 0x5A, FB_WIDTH * FB_HEIGHT * sizeof(ULONG));
    FbStart();
    EXPECT(FbCellHasCursor(0, 0));
    EXPECT(FbCellShowsLines(0, 0, ' ', FONT_CELL_HEIGHT - 2));
    EXPECT_EQ(FbPixel(FB_WIDTH - 1, FB_HEIGHT - 1), 0);
    EXPECT_EQ(FbPixel(FB_WIDTH / 2, FB_HEIGHT / 2), 0);
}

TEST(FbDrawsGlyphPixelsInLightGrey)
{
    FbStart();
    FbPut("\n   A");
    EXPECT(FbCellShows(3, 1, 'A'));
    // The top of the 'A' is two lit pixels, columns 3 and 4 of scan line 3.
    EXPECT_EQ(FbPixel(3 * 8 + 3, 16 + 3), FB_FOREGROUND);
    EXPECT_EQ(FbPixel(3 * 8 + 4, 16 + 3), FB_FOREGROUND);
    EXPECT_EQ(FbPixel(3 * 8 + 2, 16 + 3), 0);
    EXPECT_EQ(FbPixel(3 * 8 + 1, 16 + 12), FB_FOREGROUND);
}

TEST(FbDrawsEveryCharacterOfText)
{
    const char *text = "Hello, kd> !thread";

    FbStart();
    FbPut(text);
    for (ULONG i = 0; text[i] != 0; i++)
        EXPECT(FbCellShows(i, 0, text[i]));
}

TEST(FbCursorUnderlinesCellAfterText)
{
    FbStart();
    FbPut("ab");
    EXPECT(FbCellHasCursor(2, 0));
    EXPECT(FbCellShows(0, 0, 'a'));
    EXPECT(FbCellShows(1, 0, 'b'));
}

TEST(FbCursorIsErasedWhenItMoves)
{
    FbStart();
    FbPut("ab\b");
    EXPECT(FbCellHasCursor(1, 0));
    FbPut("\r");
    EXPECT(FbCellHasCursor(0, 0));
    EXPECT(FbCellShows(1, 0, 'b'));
    FbPut("\n");
    EXPECT(FbCellShows(0, 0, 'a'));
    EXPECT(FbCellHasCursor(0, 1));
}

TEST(FbBackspaceDoesNotErase)
{
    FbStart();
    FbPut("ab\b\b\n");
    EXPECT(FbCellShows(0, 0, 'a'));
    EXPECT(FbCellShows(1, 0, 'b'));
}

TEST(FbScrollKeepsLastLine)
{
    char line[32];

    FbStart();
    for (int i = 0; i < FB_ROWS * 3; i++) {
        snprintf(line, sizeof(line), "line %d\n", i);
        FbPut(line);
    }
    snprintf(line, sizeof(line), "line %d", FB_ROWS * 3 - 1);
    for (ULONG i = 0; line[i] != 0; i++)
        EXPECT(FbCellShows(i, FB_ROWS - 2, line[i]));
    snprintf(line, sizeof(line), "line %d", FB_ROWS * 2 + 1);
    for (ULONG i = 0; line[i] != 0; i++)
        EXPECT(FbCellShows(i, 0, line[i]));
    EXPECT(FbCellHasCursor(0, FB_ROWS - 1));
    for (ULONG column = 1; column < FB_COLUMNS; column++)
        EXPECT(FbCellShows(column, FB_ROWS - 1, ' '));
}

TEST(FbScrollLeavesUnchangedCellsAlone)
{
    FbStart();
    for (int i = 0; i < FB_ROWS; i++)
        FbPut("same text, row after row\n");
    // Paint a cell whose character the scroll will not change: if the
    // driver redrew it, the paint would be gone.
    FbPixels[5 * FONT_CELL_HEIGHT * FB_WIDTH + 2 * FONT_CELL_WIDTH] = FB_POISON;
    FbPut("same text, row after row\n");
    EXPECT_EQ(FbPixels[5 * FONT_CELL_HEIGHT * FB_WIDTH + 2 * FONT_CELL_WIDTH], FB_POISON);
    EXPECT(FbCellShows(2, FB_ROWS - 2, 'm'));
}

TEST(FbScrollManyLinesInOneWriteShowsTheLast)
{
    char text[4096];
    size_t length = 0;

    FbStart();
    for (int i = 0; i < 200; i++)
        length += snprintf(text + length, sizeof(text) - length, "%d\n", i);
    HalpFbWrite(text, length);
    HalpFbDraw();
    EXPECT(FbCellShows(0, FB_ROWS - 2, '1'));
    EXPECT(FbCellShows(1, FB_ROWS - 2, '9'));
    EXPECT(FbCellShows(2, FB_ROWS - 2, '9'));
    EXPECT(FbCellShows(3, FB_ROWS - 2, ' '));
}

TEST(FbEraseToEndOfLineBlanksCells)
{
    FbStart();
    FbPut("abcdef\r\x1b[K");
    for (ULONG column = 1; column < 6; column++)
        EXPECT(FbCellShows(column, 0, ' '));
    EXPECT(FbCellHasCursor(0, 0));
}

TEST(FbClearScreenBlanksEveryCell)
{
    FbStart();
    FbPut("one\ntwo\x1b[2");
    FbPut("J");
    EXPECT(FbCellShows(0, 1, ' '));
    EXPECT(FbCellShows(2, 1, ' '));
    EXPECT(FbCellShowsLines(0, 0, ' ', FONT_CELL_HEIGHT - 2));
    EXPECT(FbCellHasCursor(0, 0));
}

TEST(FbNonAsciiDrawsBox)
{
    FbStart();
    FbPut("\xff");
    EXPECT(FbCellShows(0, 0, 0xff));
    EXPECT(!FbCellShows(0, 0, '?'));
    EXPECT(memcmp(HalpFontGlyph(0xff), HalpFontGlyph(0x80), FONT_CELL_HEIGHT) == 0);
}

TEST(FbRejectsUnsupportedFormats)
{
    LOADER_FRAMEBUFFER framebuffer = FbDescription(FB_WIDTH, FB_HEIGHT, 32);
    ULONG pixel;

    framebuffer.Type = FramebufferIndexed;
    EXPECT(!HalpFbInitialize(&framebuffer, &pixel));
    framebuffer.Type = FramebufferEgaText;
    EXPECT(!HalpFbInitialize(&framebuffer, &pixel));
    framebuffer = FbDescription(FB_WIDTH, FB_HEIGHT, 8);
    EXPECT(!HalpFbInitialize(&framebuffer, &pixel));
    framebuffer = FbDescription(4, 4, 32);
    EXPECT(!HalpFbInitialize(&framebuffer, &pixel));
    framebuffer = FbDescription(FB_WIDTH, FB_HEIGHT, 32);
    framebuffer.Pitch = 16;
    EXPECT(!HalpFbInitialize(&framebuffer, &pixel));
    framebuffer = FbDescription(FB_WIDTH, FB_HEIGHT, 16);
    EXPECT(!HalpFbInitialize(&framebuffer, &pixel));   // a red field past bit 15
    EXPECT(!HalpFbInitialize(&framebuffer, NULL));
}

TEST(FbPacks24BitPixels)
{
    LOADER_FRAMEBUFFER framebuffer = FbDescription(64, 32, 24);
    UCHAR *pixels = calloc(64 * 32, 3);

    EXPECT(HalpFbInitialize(&framebuffer, pixels));
    FbPut("-");        // scan line 8, pixels 2 to 5
    EXPECT_EQ(pixels[8 * framebuffer.Pitch + 1 * 3], 0);
    for (int x = 2; x <= 5; x++) {
        EXPECT_EQ(pixels[8 * framebuffer.Pitch + x * 3 + 0], 0xC0);
        EXPECT_EQ(pixels[8 * framebuffer.Pitch + x * 3 + 1], 0xC0);
        EXPECT_EQ(pixels[8 * framebuffer.Pitch + x * 3 + 2], 0xC0);
    }
    EXPECT_EQ(pixels[8 * framebuffer.Pitch + 6 * 3], 0);
    EXPECT_EQ(pixels[8 * framebuffer.Pitch + 8 * 3], 0);
    free(pixels);
}

TEST(FbScalesColourTo16BitFields)
{
    LOADER_FRAMEBUFFER framebuffer = FbDescription(64, 32, 16);
    USHORT *pixels = calloc(64 * 32, 2);

    framebuffer.RedPosition = 11;
    framebuffer.RedSize = 5;
    framebuffer.GreenPosition = 5;
    framebuffer.GreenSize = 6;
    framebuffer.BluePosition = 0;
    framebuffer.BlueSize = 5;
    EXPECT(HalpFbInitialize(&framebuffer, pixels));
    FbPut("-");
    // 0xC0 of 0xFF is 23 of 31 and 47 of 63.
    EXPECT_EQ(pixels[8 * 64 + 2], 23 << 11 | 47 << 5 | 23);
    EXPECT_EQ(pixels[8 * 64 + 1], 0);
    free(pixels);
}

TEST(FbLargeScreenUsesTopLeft1920x1200)
{
    LOADER_FRAMEBUFFER framebuffer = FbDescription(2560, 1600, 32);
    ULONG *pixels = malloc(2560 * 1600 * sizeof(ULONG));
    char line[241];

    pixels[2560 * 1600 - 1] = FB_POISON;
    EXPECT(HalpFbInitialize(&framebuffer, pixels));
    EXPECT_EQ(pixels[2560 * 1600 - 1], 0);
    memset(line, '-', sizeof(line));
    HalpFbWrite(line, sizeof(line));
    HalpFbDraw();
    // Column 240 does not exist: the last '-' wrapped to the start of row 1.
    EXPECT_EQ(pixels[(16 + 8) * 2560 + 2], FB_FOREGROUND);
    EXPECT_EQ(pixels[8 * 2560 + 240 * 8 + 2], 0);
    free(pixels);
}

// ---- Font -------------------------------------------------------------------------

static BOOLEAN FontGlyphIsBlank(const UCHAR *glyph)
{
    for (int y = 0; y < FONT_CELL_HEIGHT; y++) {
        if (glyph[y] != 0)
            return FALSE;
    }
    return TRUE;
}

TEST(FontDrawsEveryPrintableCharacter)
{
    EXPECT(FontGlyphIsBlank(HalpFontGlyph(' ')));
    for (int c = '!'; c <= '~'; c++)
        EXPECT(!FontGlyphIsBlank(HalpFontGlyph(c)));
}

// Printable ASCII, then the box.
static UCHAR FontCharacter(int index)
{
    return index <= '~' - ' ' ? (UCHAR)(' ' + index) : 0x80;
}

TEST(FontGlyphsAreAllDifferent)
{
    for (int a = 0; a <= FONT_BOX_GLYPH; a++) {
        for (int b = a + 1; b <= FONT_BOX_GLYPH; b++) {
            EXPECT(memcmp(HalpFontGlyph(FontCharacter(a)), HalpFontGlyph(FontCharacter(b)),
                          FONT_CELL_HEIGHT) != 0);
        }
    }
}

TEST(FontShowsBoxOutsidePrintableAscii)
{
    const UCHAR *box = HalpFontGlyph(0x80);

    EXPECT(!FontGlyphIsBlank(box));
    EXPECT(HalpFontGlyph(0x00) == box);
    EXPECT(HalpFontGlyph(0x1F) == box);
    EXPECT(HalpFontGlyph(0x7F) == box);
    EXPECT(HalpFontGlyph(0xFF) == box);
}

TEST(FontLeavesColumnZeroBlankExceptUnderscore)
{
    for (int c = ' '; c <= '~'; c++) {
        for (int y = 0; y < FONT_CELL_HEIGHT; y++) {
            if (c != '_')
                EXPECT_EQ(HalpFontGlyph(c)[y] & 0x80, 0);
        }
    }
}

TEST(FontKeepsTopTwoScanLinesBlank)
{
    for (int c = ' '; c <= '~'; c++) {
        EXPECT_EQ(HalpFontGlyph(c)[0], 0);
        EXPECT_EQ(HalpFontGlyph(c)[1], 0);
    }
}
