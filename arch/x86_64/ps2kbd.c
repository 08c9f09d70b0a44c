// The PS/2 keyboard behind the i8042 controller. Bytes are taken from the
// controller on IRQ1 (or by polling while the debugger has the system
// frozen), decoded by kbdmap.c and handed to the console as a terminal's
// byte stream.

#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"
#include "arch/x86_64/kbdmap.h"

#define I8042_DATA_PORT    0x60
#define I8042_STATUS_PORT  0x64      // on read
#define I8042_COMMAND_PORT 0x64      // on write

#define I8042_STATUS_OUTPUT_FULL 0x01    // a byte waits for us in the data port
#define I8042_STATUS_INPUT_FULL  0x02    // the controller has not taken our last byte
#define I8042_STATUS_AUX_DATA    0x20    // the waiting byte is from the mouse port
#define I8042_STATUS_TIMEOUT     0x40
#define I8042_STATUS_PARITY      0x80
#define I8042_STATUS_ERRORS      (I8042_STATUS_TIMEOUT | I8042_STATUS_PARITY)
#define I8042_STATUS_NO_DEVICE   0xFF    // what an empty bus reads: no controller

#define I8042_CMD_READ_CONFIG      0x20
#define I8042_CMD_WRITE_CONFIG     0x60
#define I8042_CMD_DISABLE_AUX      0xA7
#define I8042_CMD_DISABLE_KEYBOARD 0xAD
#define I8042_CMD_ENABLE_KEYBOARD  0xAE

#define I8042_CONFIG_KEYBOARD_INTERRUPT 0x01   // IRQ1 on keyboard data
#define I8042_CONFIG_AUX_INTERRUPT      0x02   // IRQ12 on mouse data
#define I8042_CONFIG_KEYBOARD_CLOCK_OFF 0x10
#define I8042_CONFIG_AUX_CLOCK_OFF      0x20
#define I8042_CONFIG_TRANSLATE          0x40   // keyboard's set 2 reaches us as set 1

#define KBD_CMD_ENABLE_SCANNING 0xF4
#define KBD_REPLY_ACK           0xFA
#define KBD_REPLY_RESEND        0xFE

// Every wait is bounded: about 100 ms of I/O delays (each about a
// microsecond), long enough for a slow controller or keyboard, short enough
// that a missing one costs nothing noticeable at boot.
#define I8042_WAIT_STALLS 100000
// A controller holds one byte; a keyboard buffers a few more. Anything
// beyond this many stale bytes means the status port is lying.
#define I8042_FLUSH_LIMIT 64
// Bytes taken per interrupt or poll, so a stuck status bit cannot hold us.
#define I8042_DRAIN_LIMIT 32
#define KBD_COMMAND_ATTEMPTS 3
// Bytes we may read while waiting for an ACK (keystrokes can arrive first).
#define KBD_REPLY_SEARCH_LIMIT 8

static BOOLEAN HalpKeyboardPresent;
static KBD_DECODER HalpKeyboardDecoder;

static BOOLEAN HalpI8042WaitInputEmpty(void)
{
    for (ULONG i = 0; i < I8042_WAIT_STALLS; i++) {
        if ((READ_PORT_UCHAR(I8042_STATUS_PORT) & I8042_STATUS_INPUT_FULL) == 0)
            return TRUE;
        KeStallIoDelay();
    }
    return FALSE;
}

static BOOLEAN HalpI8042WaitOutputFull(void)
{
    for (ULONG i = 0; i < I8042_WAIT_STALLS; i++) {
        if (READ_PORT_UCHAR(I8042_STATUS_PORT) & I8042_STATUS_OUTPUT_FULL)
            return TRUE;
        KeStallIoDelay();
    }
    return FALSE;
}

static BOOLEAN HalpI8042Command(UCHAR command)
{
    if (!HalpI8042WaitInputEmpty())
        return FALSE;
    WRITE_PORT_UCHAR(I8042_COMMAND_PORT, command);
    return TRUE;
}

static BOOLEAN HalpI8042WriteData(UCHAR value)
{
    if (!HalpI8042WaitInputEmpty())
        return FALSE;
    WRITE_PORT_UCHAR(I8042_DATA_PORT, value);
    return TRUE;
}

static BOOLEAN HalpI8042ReadData(UCHAR *value)
{
    if (!HalpI8042WaitOutputFull())
        return FALSE;
    *value = READ_PORT_UCHAR(I8042_DATA_PORT);
    return TRUE;
}

// Throws away whatever the firmware and the keyboard left behind, so the
// next byte we read is the answer to our own command.
static void HalpI8042Flush(void)
{
    for (ULONG i = 0; i < I8042_FLUSH_LIMIT; i++) {
        if ((READ_PORT_UCHAR(I8042_STATUS_PORT) & I8042_STATUS_OUTPUT_FULL) == 0)
            return;
        READ_PORT_UCHAR(I8042_DATA_PORT);
        KeStallIoDelay();
    }
}

static BOOLEAN HalpI8042WriteConfig(UCHAR config)
{
    return HalpI8042Command(I8042_CMD_WRITE_CONFIG) && HalpI8042WriteData(config);
}

// Some firmware (UEFI in particular) leaves the keyboard with scanning
// disabled. A keyboard that does not answer is not fatal: the controller is
// there, and one may yet be plugged in.
static void HalpKeyboardEnableScanning(void)
{
    for (ULONG attempt = 0; attempt < KBD_COMMAND_ATTEMPTS; attempt++) {
        if (!HalpI8042WriteData(KBD_CMD_ENABLE_SCANNING))
            return;
        for (ULONG i = 0; i < KBD_REPLY_SEARCH_LIMIT; i++) {
            UCHAR reply;

            if (!HalpI8042ReadData(&reply))
                return;
            if (reply == KBD_REPLY_ACK)
                return;
            if (reply == KBD_REPLY_RESEND)
                break;
        }
    }
}

// Finds and sets up the controller with both ports quiet, then lets the
// keyboard interrupt. Returns FALSE, quickly, when there is no i8042 (as on
// many machines with only USB), in which case the other routines do nothing.
// Runs once at boot, before IRQ1 is unmasked at the interrupt controller.
BOOLEAN HalpKeyboardInitialize(void)
{
    UCHAR config;

    if (READ_PORT_UCHAR(I8042_STATUS_PORT) == I8042_STATUS_NO_DEVICE)
        return FALSE;

    if (!HalpI8042Command(I8042_CMD_DISABLE_KEYBOARD) ||
        !HalpI8042Command(I8042_CMD_DISABLE_AUX))
        return FALSE;
    HalpI8042Flush();

    if (!HalpI8042Command(I8042_CMD_READ_CONFIG) || !HalpI8042ReadData(&config))
        return FALSE;

    // Quiet while we talk to the keyboard: its ACK must come to our polling
    // loop, not to an interrupt handler. The mouse port stays off; nothing
    // here drives a mouse.
    config &= ~(I8042_CONFIG_KEYBOARD_INTERRUPT | I8042_CONFIG_AUX_INTERRUPT |
                I8042_CONFIG_KEYBOARD_CLOCK_OFF);
    config |= I8042_CONFIG_AUX_CLOCK_OFF;
    if (!HalpI8042WriteConfig(config) || !HalpI8042Command(I8042_CMD_ENABLE_KEYBOARD))
        return FALSE;

    HalpKeyboardEnableScanning();

    // The firmware's choice of translation stands: with it on the keyboard's
    // set 2 reaches us as set 1, with it off we decode set 2 ourselves.
    HalpKbdInitializeDecoder(&HalpKeyboardDecoder,
                             (config & I8042_CONFIG_TRANSLATE) == 0);

    config |= I8042_CONFIG_KEYBOARD_INTERRUPT;
    if (!HalpI8042WriteConfig(config))
        return FALSE;

    HalpKeyboardPresent = TRUE;
    return TRUE;
}

// Takes every byte the controller holds, drops the mouse's and damaged ones,
// and feeds the rest to the console. Interrupts are off while the decoder
// state changes; a Ctrl-C may enter the debugger from inside
// HalpConsoleInputByte, and its polling comes back here, which is safe
// because each byte is fully decoded before any of its output is passed on.
static void HalpKeyboardDrain(void)
{
    BOOLEAN interruptsWereEnabled;

    if (!HalpKeyboardPresent)
        return;

    interruptsWereEnabled = KiDisableInterrupts();
    for (ULONG i = 0; i < I8042_DRAIN_LIMIT; i++) {
        UCHAR status = READ_PORT_UCHAR(I8042_STATUS_PORT);
        UCHAR output[KBD_MAX_OUTPUT];
        UCHAR scanCode;
        ULONG count;

        if ((status & I8042_STATUS_OUTPUT_FULL) == 0)
            break;
        // Read even what we drop: the controller raises no new interrupt
        // until its output buffer is empty.
        scanCode = READ_PORT_UCHAR(I8042_DATA_PORT);
        if (status & (I8042_STATUS_AUX_DATA | I8042_STATUS_ERRORS))
            continue;

        count = HalpKbdDecode(&HalpKeyboardDecoder, scanCode, output);
        for (ULONG j = 0; j < count; j++)
            HalpConsoleInputByte(output[j]);
    }
    KiRestoreInterrupts(interruptsWereEnabled);
}

// Called from the IRQ1 handler, which sends the end of interrupt.
void HalpKeyboardInterrupt(void)
{
    HalpKeyboardDrain();
}

// Called with interrupts disabled, when the debugger polls the consoles.
void HalpKeyboardPoll(void)
{
    HalpKeyboardDrain();
}
