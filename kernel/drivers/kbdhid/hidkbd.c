// Boot keyboard reports to set 1 scan codes (hidkbd.h). The table pairs
// each usage of the HID keyboard page with the key's set 1 code on a US
// keyboard (the same key caps, by their positions).

#include "drivers/kbdhid/hidkbd.h"

#define E0 0xE000
#define SCAN_BREAK 0x80

static const USHORT HidKbdScanCodes[0x66] = {
    [0x04] = 0x1E, [0x05] = 0x30, [0x06] = 0x2E, [0x07] = 0x20,         // a b c d
    [0x08] = 0x12, [0x09] = 0x21, [0x0A] = 0x22, [0x0B] = 0x23,         // e f g h
    [0x0C] = 0x17, [0x0D] = 0x24, [0x0E] = 0x25, [0x0F] = 0x26,         // i j k l
    [0x10] = 0x32, [0x11] = 0x31, [0x12] = 0x18, [0x13] = 0x19,         // m n o p
    [0x14] = 0x10, [0x15] = 0x13, [0x16] = 0x1F, [0x17] = 0x14,         // q r s t
    [0x18] = 0x16, [0x19] = 0x2F, [0x1A] = 0x11, [0x1B] = 0x2D,         // u v w x
    [0x1C] = 0x15, [0x1D] = 0x2C,                                       // y z
    [0x1E] = 0x02, [0x1F] = 0x03, [0x20] = 0x04, [0x21] = 0x05,         // 1 2 3 4
    [0x22] = 0x06, [0x23] = 0x07, [0x24] = 0x08, [0x25] = 0x09,         // 5 6 7 8
    [0x26] = 0x0A, [0x27] = 0x0B,                                       // 9 0
    [0x28] = 0x1C, [0x29] = 0x01, [0x2A] = 0x0E, [0x2B] = 0x0F,         // Enter Esc Bksp Tab
    [0x2C] = 0x39, [0x2D] = 0x0C, [0x2E] = 0x0D, [0x2F] = 0x1A,         // Space - = [
    [0x30] = 0x1B, [0x31] = 0x2B, [0x32] = 0x2B, [0x33] = 0x27,         // ] \ (non-US #) ;
    [0x34] = 0x28, [0x35] = 0x29, [0x36] = 0x33, [0x37] = 0x34,         // ' ` , .
    [0x38] = 0x35, [0x39] = 0x3A,                                       // / Caps Lock
    [0x3A] = 0x3B, [0x3B] = 0x3C, [0x3C] = 0x3D, [0x3D] = 0x3E,         // F1-F4
    [0x3E] = 0x3F, [0x3F] = 0x40, [0x40] = 0x41, [0x41] = 0x42,         // F5-F8
    [0x42] = 0x43, [0x43] = 0x44, [0x44] = 0x57, [0x45] = 0x58,         // F9-F12
    [0x46] = E0 | 0x37, [0x47] = 0x46,                                  // PrtSc, Scroll Lock
    [0x49] = E0 | 0x52, [0x4A] = E0 | 0x47, [0x4B] = E0 | 0x49,         // Ins Home PgUp
    [0x4C] = E0 | 0x53, [0x4D] = E0 | 0x4F, [0x4E] = E0 | 0x51,         // Del End PgDn
    [0x4F] = E0 | 0x4D, [0x50] = E0 | 0x4B, [0x51] = E0 | 0x50,         // Right Left Down
    [0x52] = E0 | 0x48, [0x53] = 0x45,                                  // Up, Num Lock
    [0x54] = E0 | 0x35, [0x55] = 0x37, [0x56] = 0x4A, [0x57] = 0x4E,   // keypad / * - +
    [0x58] = E0 | 0x1C,                                                 // keypad Enter
    [0x59] = 0x4F, [0x5A] = 0x50, [0x5B] = 0x51, [0x5C] = 0x4B,         // keypad 1-4
    [0x5D] = 0x4C, [0x5E] = 0x4D, [0x5F] = 0x47, [0x60] = 0x48,         // keypad 5-8
    [0x61] = 0x49, [0x62] = 0x52, [0x63] = 0x53,                        // keypad 9 0 .
    [0x64] = 0x56, [0x65] = E0 | 0x5D,                                  // non-US \, Menu
};

// The modifier byte's bits, in order: left Ctrl, Shift, Alt, GUI, then the
// right ones.
static const USHORT HidKbdModifierCodes[8] = {
    0x1D, 0x2A, 0x38, E0 | 0x5B, E0 | 0x1D, 0x36, E0 | 0x38, E0 | 0x5C,
};

USHORT HidKbdUsageToScanCode(UCHAR usage)
{
    return usage < sizeof(HidKbdScanCodes) / sizeof(HidKbdScanCodes[0]) ?
           HidKbdScanCodes[usage] : 0;
}

void HidKbdInitialize(HID_KEYBOARD_STATE *state)
{
    memset(state, 0, sizeof(*state));
}

static ULONG HidKbdEmit(UCHAR *out, ULONG count, USHORT code, BOOLEAN release)
{
    if (!code)
        return count;
    if (code & E0)
        out[count++] = 0xE0;
    out[count++] = (UCHAR)((code & 0x7F) | (release ? SCAN_BREAK : 0));
    return count;
}

static BOOLEAN HidKbdHeld(const UCHAR keys[HID_BOOT_KEYS], UCHAR usage)
{
    for (ULONG i = 0; i < HID_BOOT_KEYS; i++) {
        if (keys[i] == usage)
            return TRUE;
    }
    return FALSE;
}

ULONG HidKbdTranslateReport(HID_KEYBOARD_STATE *state, const UCHAR *report, ULONG length,
                            ULONG64 nowMs, UCHAR out[HID_MAX_SCAN_CODES])
{
    UCHAR keys[HID_BOOT_KEYS];
    UCHAR modifiers;
    ULONG count = 0;

    if (!report || length < HID_BOOT_REPORT_LENGTH)
        return 0;
    modifiers = report[0];
    for (ULONG i = 0; i < HID_BOOT_KEYS; i++) {
        keys[i] = report[2 + i];
        // Usages 1-3 are the keyboard's error codes; in any slot they mean
        // the report does not say which keys are down.
        if (keys[i] >= HID_USAGE_ERROR_ROLLOVER && keys[i] <= 0x03)
            return 0;
    }

    for (ULONG i = 0; i < HID_BOOT_KEYS; i++) {
        UCHAR usage = state->Keys[i];

        if (usage && !HidKbdHeld(keys, usage)) {
            count = HidKbdEmit(out, count, HidKbdUsageToScanCode(usage), TRUE);
            if (usage == state->RepeatUsage)
                state->RepeatUsage = 0;
        }
    }
    for (ULONG bit = 0; bit < 8; bit++) {
        if ((state->Modifiers & ~modifiers) & (1U << bit))
            count = HidKbdEmit(out, count, HidKbdModifierCodes[bit], TRUE);
    }
    for (ULONG bit = 0; bit < 8; bit++) {
        if ((modifiers & ~state->Modifiers) & (1U << bit))
            count = HidKbdEmit(out, count, HidKbdModifierCodes[bit], FALSE);
    }
    for (ULONG i = 0; i < HID_BOOT_KEYS; i++) {
        UCHAR usage = keys[i];

        if (usage && !HidKbdHeld(state->Keys, usage) && HidKbdUsageToScanCode(usage)) {
            // Listed twice in one report: pressed once.
            BOOLEAN earlier = FALSE;

            for (ULONG j = 0; j < i; j++)
                earlier |= keys[j] == usage;
            if (earlier)
                continue;
            count = HidKbdEmit(out, count, HidKbdUsageToScanCode(usage), FALSE);
            state->RepeatUsage = usage;
            state->RepeatAtMs = nowMs + HID_REPEAT_DELAY_MS;
        }
    }
    state->Modifiers = modifiers;
    memcpy(state->Keys, keys, sizeof(keys));
    return count;
}

ULONG HidKbdRepeat(HID_KEYBOARD_STATE *state, ULONG64 nowMs, UCHAR out[HID_MAX_SCAN_CODES])
{
    if (!state->RepeatUsage || nowMs < state->RepeatAtMs)
        return 0;
    // One repeat per call, the next a period from now (a late poll does
    // not make up the missed ones in a burst).
    state->RepeatAtMs = nowMs + HID_REPEAT_PERIOD_MS;
    return HidKbdEmit(out, 0, HidKbdUsageToScanCode(state->RepeatUsage), FALSE);
}

ULONG HidKbdReleaseAll(HID_KEYBOARD_STATE *state, UCHAR out[HID_MAX_SCAN_CODES])
{
    static const UCHAR empty[HID_BOOT_REPORT_LENGTH];
    ULONG count = HidKbdTranslateReport(state, empty, sizeof(empty), 0, out);

    state->RepeatUsage = 0;
    return count;
}
