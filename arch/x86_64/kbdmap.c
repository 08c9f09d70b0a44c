// Scan codes to console bytes, US layout. Set 1 make codes are the keys'
// identities here: a set 2 code is first mapped onto the set 1 code of the
// same key, exactly as the i8042 does when it translates, so one table of
// characters serves both sets.

#include "arch/x86_64/kbdmap.h"

#define ASCII_ESC 0x1b
#define ASCII_DEL 0x7f
#define ASCII_CONTROL_MASK 0x1f      // Ctrl+key keeps the low five bits of the key's character

// Bytes with the same meaning in both sets.
#define KBD_PREFIX_EXTENDED 0xE0     // the next code is a grey (extended) key
#define KBD_PREFIX_PAUSE    0xE1     // Pause: a fixed sequence that has no release
#define KBD_PREFIX_BREAK    0xF0     // set 2 only: the next code is a release
#define KBD_SET1_BREAK_BIT  0x80     // set 1: a release is the make code with this bit

// Pause sends E1 1D 45 E1 9D C5 in set 1 and E1 14 77 E1 F0 14 F0 77 in set 2;
// after the first E1 the rest is swallowed whole, so that its 1D (Ctrl) and
// 45 (Num Lock) are not taken for key presses.
#define KBD_SET1_PAUSE_TAIL 5
#define KBD_SET2_PAUSE_TAIL 7

// Replies to commands and error reports; they are not keys.
#define KBD_REPLY_ERROR_SET2 0x00    // key detection error or buffer overrun
#define KBD_REPLY_ECHO       0xEE
#define KBD_REPLY_ACK        0xFA
#define KBD_REPLY_BAT_FAIL1  0xFC
#define KBD_REPLY_BAT_FAIL2  0xFD
#define KBD_REPLY_RESEND     0xFE
#define KBD_REPLY_ERROR_SET1 0xFF

// Set 1 make codes the decoder treats specially. The SC_E0_ ones are the
// codes that follow an E0 prefix; without it the same codes are keypad keys.
#define SC_TAB              0x0F
#define SC_LEFT_CTRL        0x1D
#define SC_LEFT_SHIFT       0x2A
#define SC_RIGHT_SHIFT      0x36
#define SC_LEFT_ALT         0x38
#define SC_CAPS_LOCK        0x3A
#define SC_E0_KEYPAD_ENTER  0x1C
#define SC_E0_RIGHT_CTRL    0x1D
#define SC_E0_KEYPAD_SLASH  0x35
#define SC_E0_RIGHT_ALT     0x38
#define SC_E0_HOME          0x47
#define SC_E0_UP            0x48
#define SC_E0_PAGE_UP       0x49
#define SC_E0_LEFT          0x4B
#define SC_E0_RIGHT         0x4D
#define SC_E0_END           0x4F
#define SC_E0_DOWN          0x50
#define SC_E0_PAGE_DOWN     0x51
#define SC_E0_INSERT        0x52
#define SC_E0_DELETE        0x53

typedef struct _KBDP_KEY {
    UCHAR Normal;
    UCHAR Shifted;
} KBDP_KEY;

// What each set 1 key types. Keys absent here (function keys, locks,
// modifiers) type nothing. The keypad types digits: Num Lock is taken as on.
static const KBDP_KEY KbdpSet1Keys[] = {
    [0x01] = { ASCII_ESC, ASCII_ESC },
    [0x02] = { '1', '!' },  [0x03] = { '2', '@' },  [0x04] = { '3', '#' },
    [0x05] = { '4', '$' },  [0x06] = { '5', '%' },  [0x07] = { '6', '^' },
    [0x08] = { '7', '&' },  [0x09] = { '8', '*' },  [0x0A] = { '9', '(' },
    [0x0B] = { '0', ')' },  [0x0C] = { '-', '_' },  [0x0D] = { '=', '+' },
    [0x0E] = { ASCII_DEL, ASCII_DEL },              // Backspace, as terminals send it
    [0x0F] = { '\t', '\t' },
    [0x10] = { 'q', 'Q' },  [0x11] = { 'w', 'W' },  [0x12] = { 'e', 'E' },
    [0x13] = { 'r', 'R' },  [0x14] = { 't', 'T' },  [0x15] = { 'y', 'Y' },
    [0x16] = { 'u', 'U' },  [0x17] = { 'i', 'I' },  [0x18] = { 'o', 'O' },
    [0x19] = { 'p', 'P' },  [0x1A] = { '[', '{' },  [0x1B] = { ']', '}' },
    [0x1C] = { '\r', '\r' },                        // Enter
    [0x1E] = { 'a', 'A' },  [0x1F] = { 's', 'S' },  [0x20] = { 'd', 'D' },
    [0x21] = { 'f', 'F' },  [0x22] = { 'g', 'G' },  [0x23] = { 'h', 'H' },
    [0x24] = { 'j', 'J' },  [0x25] = { 'k', 'K' },  [0x26] = { 'l', 'L' },
    [0x27] = { ';', ':' },  [0x28] = { '\'', '"' }, [0x29] = { '`', '~' },
    [0x2B] = { '\\', '|' },
    [0x2C] = { 'z', 'Z' },  [0x2D] = { 'x', 'X' },  [0x2E] = { 'c', 'C' },
    [0x2F] = { 'v', 'V' },  [0x30] = { 'b', 'B' },  [0x31] = { 'n', 'N' },
    [0x32] = { 'm', 'M' },  [0x33] = { ',', '<' },  [0x34] = { '.', '>' },
    [0x35] = { '/', '?' },
    [0x37] = { '*', '*' },                          // keypad
    [0x39] = { ' ', ' ' },
    [0x47] = { '7', '7' },  [0x48] = { '8', '8' },  [0x49] = { '9', '9' },
    [0x4A] = { '-', '-' },
    [0x4B] = { '4', '4' },  [0x4C] = { '5', '5' },  [0x4D] = { '6', '6' },
    [0x4E] = { '+', '+' },
    [0x4F] = { '1', '1' },  [0x50] = { '2', '2' },  [0x51] = { '3', '3' },
    [0x52] = { '0', '0' },  [0x53] = { '.', '.' },
    [0x56] = { '\\', '|' },                         // the extra key of ISO keyboards
};

// Set 2 make code -> set 1 make code of the same key; 0 where no key is.
static const UCHAR KbdpSet2ToSet1[] = {
    [0x01] = 0x43,  // F9
    [0x03] = 0x3F,  // F5
    [0x04] = 0x3D,  // F3
    [0x05] = 0x3B,  // F1
    [0x06] = 0x3C,  // F2
    [0x07] = 0x58,  // F12
    [0x09] = 0x44,  // F10
    [0x0A] = 0x42,  // F8
    [0x0B] = 0x40,  // F6
    [0x0C] = 0x3E,  // F4
    [0x0D] = 0x0F,  // Tab
    [0x0E] = 0x29,  // `
    [0x11] = 0x38,  // left Alt (E0: right Alt)
    [0x12] = 0x2A,  // left Shift
    [0x14] = 0x1D,  // left Ctrl (E0: right Ctrl)
    [0x15] = 0x10,  // Q
    [0x16] = 0x02,  // 1
    [0x1A] = 0x2C,  // Z
    [0x1B] = 0x1F,  // S
    [0x1C] = 0x1E,  // A
    [0x1D] = 0x11,  // W
    [0x1E] = 0x03,  // 2
    [0x1F] = 0x5B,  // E0: left Windows
    [0x21] = 0x2E,  // C
    [0x22] = 0x2D,  // X
    [0x23] = 0x20,  // D
    [0x24] = 0x12,  // E
    [0x25] = 0x05,  // 4
    [0x26] = 0x04,  // 3
    [0x27] = 0x5C,  // E0: right Windows
    [0x29] = 0x39,  // Space
    [0x2A] = 0x2F,  // V
    [0x2B] = 0x21,  // F
    [0x2C] = 0x14,  // T
    [0x2D] = 0x13,  // R
    [0x2E] = 0x06,  // 5
    [0x2F] = 0x5D,  // E0: Menu
    [0x31] = 0x31,  // N
    [0x32] = 0x30,  // B
    [0x33] = 0x23,  // H
    [0x34] = 0x22,  // G
    [0x35] = 0x15,  // Y
    [0x36] = 0x07,  // 6
    [0x3A] = 0x32,  // M
    [0x3B] = 0x24,  // J
    [0x3C] = 0x16,  // U
    [0x3D] = 0x08,  // 7
    [0x3E] = 0x09,  // 8
    [0x41] = 0x33,  // ,
    [0x42] = 0x25,  // K
    [0x43] = 0x17,  // I
    [0x44] = 0x18,  // O
    [0x45] = 0x0B,  // 0
    [0x46] = 0x0A,  // 9
    [0x49] = 0x34,  // .
    [0x4A] = 0x35,  // / (E0: keypad /)
    [0x4B] = 0x26,  // L
    [0x4C] = 0x27,  // ;
    [0x4D] = 0x19,  // P
    [0x4E] = 0x0C,  // -
    [0x52] = 0x28,  // '
    [0x54] = 0x1A,  // [
    [0x55] = 0x0D,  // =
    [0x58] = 0x3A,  // Caps Lock
    [0x59] = 0x36,  // right Shift
    [0x5A] = 0x1C,  // Enter (E0: keypad Enter)
    [0x5B] = 0x1B,  // ]
    [0x5D] = 0x2B,  // backslash
    [0x61] = 0x56,  // the extra key of ISO keyboards
    [0x66] = 0x0E,  // Backspace
    [0x69] = 0x4F,  // keypad 1 (E0: End)
    [0x6B] = 0x4B,  // keypad 4 (E0: Left)
    [0x6C] = 0x47,  // keypad 7 (E0: Home)
    [0x70] = 0x52,  // keypad 0 (E0: Insert)
    [0x71] = 0x53,  // keypad . (E0: Delete)
    [0x72] = 0x50,  // keypad 2 (E0: Down)
    [0x73] = 0x4C,  // keypad 5
    [0x74] = 0x4D,  // keypad 6 (E0: Right)
    [0x75] = 0x48,  // keypad 8 (E0: Up)
    [0x76] = 0x01,  // Escape
    [0x77] = 0x45,  // Num Lock
    [0x78] = 0x57,  // F11
    [0x79] = 0x4E,  // keypad +
    [0x7A] = 0x51,  // keypad 3 (E0: Page Down)
    [0x7B] = 0x4A,  // keypad -
    [0x7C] = 0x37,  // keypad * (E0: Print Screen)
    [0x7D] = 0x49,  // keypad 9 (E0: Page Up)
    [0x7E] = 0x46,  // Scroll Lock
    [0x83] = 0x41,  // F7: the one set 2 make code above 0x7F
};

// What the grey keys send, as a VT220-style terminal sends them.
static const char *const KbdpExtendedSequences[] = {
    [SC_E0_UP] = "\x1b[A",
    [SC_E0_DOWN] = "\x1b[B",
    [SC_E0_RIGHT] = "\x1b[C",
    [SC_E0_LEFT] = "\x1b[D",
    [SC_E0_HOME] = "\x1b[H",
    [SC_E0_END] = "\x1b[F",
    [SC_E0_INSERT] = "\x1b[2~",
    [SC_E0_DELETE] = "\x1b[3~",
    [SC_E0_PAGE_UP] = "\x1b[5~",
    [SC_E0_PAGE_DOWN] = "\x1b[6~",
    [SC_E0_KEYPAD_ENTER] = "\r",
    [SC_E0_KEYPAD_SLASH] = "/",
};

static const char KbdpBackTabSequence[] = "\x1b[Z";

void HalpKbdInitializeDecoder(KBD_DECODER *decoder, BOOLEAN set2)
{
    *decoder = (KBD_DECODER){ .Set2 = set2 };
}

static BOOLEAN KbdpIsReply(UCHAR scanCode)
{
    switch (scanCode) {
    case KBD_REPLY_ERROR_SET2:
    case KBD_REPLY_ECHO:
    case KBD_REPLY_ACK:
    case KBD_REPLY_BAT_FAIL1:
    case KBD_REPLY_BAT_FAIL2:
    case KBD_REPLY_RESEND:
    case KBD_REPLY_ERROR_SET1:
        return TRUE;
    default:
        return FALSE;
    }
}

static ULONG KbdpEmitString(const char *text, UCHAR out[KBD_MAX_OUTPUT])
{
    ULONG count = 0;

    while (text[count] != '\0' && count < KBD_MAX_OUTPUT) {
        out[count] = (UCHAR)text[count];
        count++;
    }
    return count;
}

// Tracks Shift, Ctrl, Alt and Caps Lock. Returns TRUE when `key` was one of
// them (or a fake Shift), which types nothing.
static BOOLEAN KbdpTrackModifier(KBD_DECODER *decoder, UCHAR key, BOOLEAN extended,
                                 BOOLEAN released)
{
    BOOLEAN down = !released;

    if (extended) {
        switch (key) {
        case SC_E0_RIGHT_CTRL:
            decoder->RightCtrl = down;
            return TRUE;
        case SC_E0_RIGHT_ALT:
            decoder->RightAlt = down;
            return TRUE;
        case SC_LEFT_SHIFT:
        case SC_RIGHT_SHIFT:
            // Keyboards wrap grey keys in E0-prefixed Shift presses and
            // releases to undo the effect of Num Lock or a held Shift; they
            // are not the user's Shift and must not change its state.
            return TRUE;
        default:
            return FALSE;
        }
    }

    switch (key) {
    case SC_LEFT_SHIFT:
        decoder->LeftShift = down;
        return TRUE;
    case SC_RIGHT_SHIFT:
        decoder->RightShift = down;
        return TRUE;
    case SC_LEFT_CTRL:
        decoder->LeftCtrl = down;
        return TRUE;
    case SC_LEFT_ALT:
        decoder->LeftAlt = down;
        return TRUE;
    case SC_CAPS_LOCK:
        // A held key repeats its make code; only the first press toggles.
        if (down && !decoder->CapsLockDown)
            decoder->CapsLock = !decoder->CapsLock;
        decoder->CapsLockDown = down;
        return TRUE;
    default:
        return FALSE;
    }
}

// The character a key types with the current Shift and Caps Lock, then
// Ctrl and Alt applied the way a terminal applies them.
static ULONG KbdpTypeCharacter(KBD_DECODER *decoder, UCHAR key, UCHAR out[KBD_MAX_OUTPUT])
{
    BOOLEAN shift = decoder->LeftShift || decoder->RightShift;
    BOOLEAN ctrl = decoder->LeftCtrl || decoder->RightCtrl;
    BOOLEAN alt = decoder->LeftAlt || decoder->RightAlt;
    const KBDP_KEY *entry;
    UCHAR character;
    ULONG count = 0;

    if (key >= ARRAYSIZE(KbdpSet1Keys) || KbdpSet1Keys[key].Normal == 0)
        return 0;
    entry = &KbdpSet1Keys[key];

    if (key == SC_TAB && shift)
        return KbdpEmitString(KbdpBackTabSequence, out);

    // Caps Lock inverts Shift for letters only, as on a PC.
    if (entry->Normal >= 'a' && entry->Normal <= 'z')
        shift = shift != decoder->CapsLock;
    character = shift ? entry->Shifted : entry->Normal;

    // Ctrl folds '@'..'~' (so both cases of a letter) onto 0x00..0x1f:
    // Ctrl-A is 0x01, Ctrl-C is 0x03, Ctrl-[ is ESC.
    if (ctrl) {
        if (character >= '@' && character < ASCII_DEL)
            character &= ASCII_CONTROL_MASK;
        else if (character == ' ')
            character = 0;
    }

    // Alt sends ESC before the character, as terminals do for Meta.
    if (alt)
        out[count++] = ASCII_ESC;
    out[count++] = character;
    return count;
}

ULONG HalpKbdDecode(KBD_DECODER *decoder, UCHAR scanCode, UCHAR out[KBD_MAX_OUTPUT])
{
    BOOLEAN extended, released;
    UCHAR key;

    if (decoder->PauseBytesLeft != 0) {
        decoder->PauseBytesLeft--;
        return 0;
    }
    if (KbdpIsReply(scanCode))
        return 0;

    if (scanCode == KBD_PREFIX_EXTENDED) {
        decoder->ExtendedPrefix = TRUE;
        return 0;
    }
    if (scanCode == KBD_PREFIX_PAUSE) {
        decoder->PauseBytesLeft = decoder->Set2 ? KBD_SET2_PAUSE_TAIL : KBD_SET1_PAUSE_TAIL;
        decoder->ExtendedPrefix = FALSE;
        decoder->BreakPrefix = FALSE;
        return 0;
    }
    if (decoder->Set2 && scanCode == KBD_PREFIX_BREAK) {
        decoder->BreakPrefix = TRUE;
        return 0;
    }

    extended = decoder->ExtendedPrefix;
    decoder->ExtendedPrefix = FALSE;
    if (decoder->Set2) {
        released = decoder->BreakPrefix;
        decoder->BreakPrefix = FALSE;
        key = scanCode < ARRAYSIZE(KbdpSet2ToSet1) ? KbdpSet2ToSet1[scanCode] : 0;
    } else {
        released = (scanCode & KBD_SET1_BREAK_BIT) != 0;
        key = scanCode & ~KBD_SET1_BREAK_BIT;
    }
    if (key == 0)
        return 0;

    if (KbdpTrackModifier(decoder, key, extended, released) || released)
        return 0;

    if (extended) {
        if (key >= ARRAYSIZE(KbdpExtendedSequences) || KbdpExtendedSequences[key] == NULL)
            return 0;
        return KbdpEmitString(KbdpExtendedSequences[key], out);
    }
    return KbdpTypeCharacter(decoder, key, out);
}
