// The USB HID boot keyboard's reports turned into keystrokes: pure logic,
// host-tested. A boot-protocol report (HID 1.11, appendix B.1) is eight
// bytes: the modifier bits, a reserved byte and up to six key usages of
// the keyboard page (HID Usage Tables, chapter 10) held down. Keys come out
// as set 1 scan codes (E0 prefixes, 0x80 on a release), as NT's HID
// keyboard driver hands i8042 scan codes to the keyboard class.
#pragma once

#include "rtl/rtl.h"

#define HID_BOOT_REPORT_LENGTH 8
#define HID_BOOT_KEYS 6
#define HID_USAGE_ERROR_ROLLOVER 0x01

// Typematic, as a PS/2 keyboard's default: the held key repeats after
// 500 ms, then about 30 times a second.
#define HID_REPEAT_DELAY_MS 500
#define HID_REPEAT_PERIOD_MS 33

// The most one report can produce: 8 modifier and 6 key releases, 8 and 6
// presses, each two bytes with an E0 prefix.
#define HID_MAX_SCAN_CODES (2 * 2 * (8 + HID_BOOT_KEYS))

typedef struct _HID_KEYBOARD_STATE {
    UCHAR Modifiers;                    // the last report's
    UCHAR Keys[HID_BOOT_KEYS];          // the last report's usages (0: none)
    UCHAR RepeatUsage;                  // the key that repeats (0: none)
    ULONG64 RepeatAtMs;                 // when it next repeats
} HID_KEYBOARD_STATE;

void HidKbdInitialize(HID_KEYBOARD_STATE *state);

// Compares a report with the last one: releases first (keys, then
// modifiers), then presses (modifiers, then keys), so that Ctrl and C in
// one report read as Ctrl-C. Returns the scan codes written to `out`. A
// short report or the phantom state (ErrorRollOver: too many keys) changes
// nothing. The key pressed last starts repeating `nowMs` + the delay.
ULONG HidKbdTranslateReport(HID_KEYBOARD_STATE *state, const UCHAR *report, ULONG length,
                            ULONG64 nowMs, UCHAR out[HID_MAX_SCAN_CODES]);

// The held key's repeats due at `nowMs` (its make code again, as a PS/2
// keyboard repeats; at most one per call). Returns the scan codes written.
ULONG HidKbdRepeat(HID_KEYBOARD_STATE *state, ULONG64 nowMs, UCHAR out[HID_MAX_SCAN_CODES]);

// Releases every key and modifier held (the keyboard went away).
ULONG HidKbdReleaseAll(HID_KEYBOARD_STATE *state, UCHAR out[HID_MAX_SCAN_CODES]);

// The set 1 code of a keyboard-page usage: 0 when it has none; 0xE000 set
// for a grey key (an E0 prefix).
USHORT HidKbdUsageToScanCode(UCHAR usage);
