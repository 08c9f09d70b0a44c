// The PS/2 keyboard's decoder: scan codes in, console bytes out (US layout).
// It does no port I/O, so the host tests can drive it one scan code at a time.
#pragma once

#include "ndk/ntdef.h"

// The most one scan code can produce: ESC [ 3 ~ for Delete is four bytes.
#define KBD_MAX_OUTPUT 8

typedef struct _KBD_DECODER {
    BOOLEAN Set2;               // decoding set 2 (controller translation is off)
    BOOLEAN ExtendedPrefix;     // an E0 arrived: the next code is a grey key
    BOOLEAN BreakPrefix;        // set 2: an F0 arrived: the next code is a release
    UCHAR PauseBytesLeft;       // bytes of the E1 (Pause) sequence still to swallow
    BOOLEAN LeftShift;
    BOOLEAN RightShift;
    BOOLEAN LeftCtrl;
    BOOLEAN RightCtrl;
    BOOLEAN LeftAlt;
    BOOLEAN RightAlt;
    BOOLEAN CapsLock;           // the toggle
    BOOLEAN CapsLockDown;       // the key is held: its typematic repeats must not toggle
} KBD_DECODER;

// Starts with no key held and Caps Lock off. `set2` selects scan code set 2;
// otherwise the decoder expects set 1 (what the i8042 sends when it translates).
void HalpKbdInitializeDecoder(KBD_DECODER *decoder, BOOLEAN set2);

// Feeds one byte from the keyboard. Writes the bytes a serial terminal would
// have sent for the key to `out` and returns how many (0 for releases,
// prefixes, modifiers and keys that type nothing).
ULONG HalpKbdDecode(KBD_DECODER *decoder, UCHAR scanCode, UCHAR out[KBD_MAX_OUTPUT]);
