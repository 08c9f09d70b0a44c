// Keyboard input from drivers outside nt (the USB HID keyboard): they turn
// their keys into set 1 scan codes, as NT's keyboard port drivers hand the
// class driver i8042 scan codes, and the same decoder as the PS/2
// keyboard's (kbdmap.c) makes the console's bytes of them. One decoder for
// every such keyboard: a driver releases the keys of a keyboard that goes
// away, so a modifier held on it does not stay down.

#include "arch/x86_64/hal.h"
#include "arch/x86_64/haldrv.h"
#include "arch/x86_64/kbdmap.h"
#include "arch/x86_64/x86.h"
#include "ke/ke.h"

static KBD_DECODER HalpDriverKeyboardDecoder;
static BOOLEAN HalpDriverKeyboardReady;

// Interrupts are off while the decoder changes, as in the PS/2 drain: a
// driver may call from its interrupt, a timer's DPC or the debugger's poll.
void HalKeyboardInputScanCodes(const UCHAR *scanCodes, ULONG count)
{
    BOOLEAN enabled = KiDisableInterrupts();

    if (!HalpDriverKeyboardReady) {
        HalpKbdInitializeDecoder(&HalpDriverKeyboardDecoder, FALSE);
        HalpDriverKeyboardReady = TRUE;
    }
    for (ULONG i = 0; i < count; i++) {
        UCHAR output[KBD_MAX_OUTPUT];
        ULONG produced = HalpKbdDecode(&HalpDriverKeyboardDecoder, scanCodes[i], output);

        for (ULONG j = 0; j < produced; j++)
            HalpConsoleInputByte(output[j]);
    }
    KiRestoreInterrupts(enabled);
}
