// The console font: 8x16 cells, one byte per scan line, bit 7 the leftmost
// pixel. It covers printable ASCII; every other byte draws as a hollow box.
#pragma once

#include "ndk/ntdef.h"

#define FONT_CELL_WIDTH      8
#define FONT_CELL_HEIGHT     16
#define FONT_FIRST_CHARACTER 0x20
#define FONT_LAST_CHARACTER  0x7E
#define FONT_BOX_GLYPH       (FONT_LAST_CHARACTER - FONT_FIRST_CHARACTER + 1)

extern const UCHAR HalpFont8x16[FONT_BOX_GLYPH + 1][FONT_CELL_HEIGHT];

static inline const UCHAR *HalpFontGlyph(UCHAR character)
{
    if (character < FONT_FIRST_CHARACTER || character > FONT_LAST_CHARACTER)
        return HalpFont8x16[FONT_BOX_GLYPH];
    return HalpFont8x16[character - FONT_FIRST_CHARACTER];
}
