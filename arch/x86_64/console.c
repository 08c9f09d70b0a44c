// The console layer: one output that reaches every display and serial port
// that is up, one input stream fed by every input device.

#include "arch/x86_64/hal.h"
#include "arch/x86_64/haldrv.h"
#include "arch/x86_64/x86.h"
#include "ke/ke.h"

#define INPUT_RING_SIZE 256
#define CONTROL_C 0x03

typedef enum _HAL_DISPLAY_KIND {
    DisplayNone,
    DisplayVgaText,
    DisplayFramebuffer,
} HAL_DISPLAY_KIND;

static HAL_DISPLAY_KIND HalpDisplayKind;
static char HalpDisplayText[64] = "none";
static BOOLEAN HalpKeyboardUp;
static BOOLEAN HalpSerialOutputEnabled = TRUE;
static BOOLEAN HalpScreenOutputEnabled = TRUE;
static KSPIN_LOCK HalpOutputLock;
static char HalpLastByteWritten = '\n';

// What was printed before the display was mapped, shown on it once it is,
// so a lab PC without a serial port still sees the whole boot log.
#define EARLY_LOG_SIZE 4096
static char HalpEarlyLog[EARLY_LOG_SIZE];
static size_t HalpEarlyLogLength;

// Drawing is what a screen console costs: a line that scrolls changes
// almost every cell, and a framebuffer cell is 16 scan lines of pixels. So a
// write only changes the console's text, and the screen is drawn from it:
// at once when it was last drawn more than a frame ago (a lone line shows
// immediately); otherwise when the output stops (whoever waits for input,
// the clock tick, a halt) or at the next write a frame later. A listing of
// thousands of lines is drawn a few times a second, not once a line: the
// frames in between, that nobody could have read, are never drawn.
#define HALP_FRAMES_PER_SECOND 25
static ULONG64 HalpFrameTicks;          // TSC ticks per frame; 0 until known
static ULONG64 HalpScreenDrawnAt;       // TSC of the last draw
static volatile BOOLEAN HalpScreenBehind;   // text written since then

static UCHAR HalpInputRing[INPUT_RING_SIZE];
static volatile ULONG HalpInputHead, HalpInputTail;
static volatile BOOLEAN HalpBreakInRequested;

// Parsed from the kernel command line: console=serial|screen|both.
void HalSelectConsoles(BOOLEAN serial, BOOLEAN screen)
{
    HalpSerialOutputEnabled = serial;
    HalpScreenOutputEnabled = screen;
}

void HalQueryConsoles(BOOLEAN *serial, BOOLEAN *screen)
{
    *serial = HalpSerialOutputEnabled;
    *screen = HalpScreenOutputEnabled;
}

static void HalpScreenWriteText(const char *text, size_t length)
{
    if (HalpDisplayKind == DisplayVgaText)
        HalpVgaTextWrite(text, length);
    else if (HalpDisplayKind == DisplayFramebuffer)
        HalpFbWrite(text, length);
}

// Called with the output lock held (or given up on) and interrupts off.
static void HalpScreenDrawNow(ULONG64 now)
{
    if (HalpDisplayKind == DisplayVgaText)
        HalpVgaTextDraw();
    else if (HalpDisplayKind == DisplayFramebuffer)
        HalpFbDraw();
    HalpScreenDrawnAt = now;
    HalpScreenBehind = FALSE;
}

static BOOLEAN HalpFrameElapsed(ULONG64 now)
{
    if (HalpFrameTicks == 0)
        HalpFrameTicks = HalQueryPerformanceFrequency() / HALP_FRAMES_PER_SECOND;
    return now - HalpScreenDrawnAt >= HalpFrameTicks;
}

// `waitForLock`: a halt or the debugger must draw; the clock tick only
// draws when nobody is printing.
static void HalpDisplayFlush(BOOLEAN waitForLock)
{
    BOOLEAN enabled, locked = FALSE;

    if (!HalpScreenBehind)
        return;
    enabled = KiDisableInterrupts();
    for (ULONG spin = 0; spin < (waitForLock ? 1000000 : 1) && !locked; spin++)
        locked = KeTryToAcquireSpinLockAtDpcLevel(&HalpOutputLock);
    if (locked || waitForLock) {
        if (HalpScreenBehind)
            HalpScreenDrawNow(__rdtsc());
        if (locked)
            KeReleaseSpinLockFromDpcLevel(&HalpOutputLock);
    }
    KiRestoreInterrupts(enabled);
}

BOOLEAN HalDisplayAtLineStart(void)
{
    return HalpLastByteWritten == '\n';
}

void HalDisplayFlush(void)
{
    HalpDisplayFlush(TRUE);
}

// The clock interrupt's share: the end of a burst of output is drawn within
// a tick, even if nobody reads input afterwards.
// Text written that the screen shows at the next frame: the clock must tick.
BOOLEAN HalDisplayBehind(void)
{
    return HalpScreenBehind;
}

void HalpDisplayClockTick(void)
{
    if (HalpScreenBehind && HalpFrameElapsed(__rdtsc()))
        HalpDisplayFlush(FALSE);
}

void HalInitializeSerial(void)
{
    HalpSerialInitialize();
}

static void HalpReplayEarlyLog(void)
{
    HalpScreenWriteText(HalpEarlyLog, HalpEarlyLogLength);
    HalpScreenDrawNow(__rdtsc());
    HalpEarlyLogLength = 0;
}

void HalInitializeDisplay(void *mapped)
{
    const LOADER_FRAMEBUFFER *fb = &KeLoaderBlock.Framebuffer;

    if (!mapped)
        return;
    if (fb->Type == FramebufferEgaText) {
        if (HalpVgaTextInitialize(mapped, fb->Width, fb->Height)) {
            HalpDisplayKind = DisplayVgaText;
            RtlStringPrintf(HalpDisplayText, sizeof(HalpDisplayText), "VGA text %ux%u",
                            fb->Width, fb->Height);
        }
    } else if (fb->Type == FramebufferRgb) {
        if (HalpFbInitialize(fb, mapped)) {
            HalpDisplayKind = DisplayFramebuffer;
            RtlStringPrintf(HalpDisplayText, sizeof(HalpDisplayText),
                            "framebuffer %ux%ux%u", fb->Width, fb->Height, fb->BitsPerPixel);
        }
    }
    if (HalpScreenOutputEnabled)
        HalpReplayEarlyLog();
}

const char *HalDisplayDescription(void)
{
    return HalpDisplayText;
}

BOOLEAN HalDisplayPresent(void)
{
    return HalpDisplayKind != DisplayNone;
}

BOOLEAN HalInitializeKeyboard(void)
{
    HalpKeyboardUp = HalpKeyboardInitialize();
    return HalpKeyboardUp;
}

// Printing must work from any context, including a bugcheck that interrupted
// a print: the lock is only tried for a while, then output goes ahead anyway.
void HalDisplayString(const char *text, size_t length)
{
    BOOLEAN enabled = KiDisableInterrupts();
    BOOLEAN locked = FALSE;

    for (ULONG spin = 0; spin < 1000000 && !locked; spin++)
        locked = KeTryToAcquireSpinLockAtDpcLevel(&HalpOutputLock);
    if (length)
        HalpLastByteWritten = text[length - 1];
    if (HalpSerialOutputEnabled || HalpDisplayKind == DisplayNone)
        HalpSerialWrite(text, length);
    if (HalpDisplayKind == DisplayNone) {
        size_t room = EARLY_LOG_SIZE - HalpEarlyLogLength;
        size_t copy = length < room ? length : room;

        memcpy(HalpEarlyLog + HalpEarlyLogLength, text, copy);
        HalpEarlyLogLength += copy;
    } else if (HalpScreenOutputEnabled) {
        ULONG64 now = __rdtsc();

        HalpScreenWriteText(text, length);
        if (HalpFrameElapsed(now))
            HalpScreenDrawNow(now);
        else
            HalpScreenBehind = TRUE;
    }
    if (locked)
        KeReleaseSpinLockFromDpcLevel(&HalpOutputLock);
    KiRestoreInterrupts(enabled);
}

// Drivers' input devices, polled with the serial port and the PS/2 keyboard
// when the system is frozen (haldrv.h).
typedef struct _HAL_INPUT_POLL {
    HAL_INPUT_POLL_ROUTINE Routine;
    void *Context;
} HAL_INPUT_POLL;

static HAL_INPUT_POLL HalpInputPolls[HAL_MAX_INPUT_POLLS];

NTSTATUS HalRegisterConsoleInputPoll(HAL_INPUT_POLL_ROUTINE routine, void *context)
{
    BOOLEAN enabled = KiDisableInterrupts();
    NTSTATUS status = STATUS_INSUFFICIENT_RESOURCES;

    for (ULONG i = 0; routine && i < HAL_MAX_INPUT_POLLS; i++) {
        if (!HalpInputPolls[i].Routine) {
            HalpInputPolls[i].Context = context;
            HalpInputPolls[i].Routine = routine;
            status = STATUS_SUCCESS;
            break;
        }
    }
    KiRestoreInterrupts(enabled);
    return routine ? status : STATUS_INVALID_PARAMETER;
}

void HalDeregisterConsoleInputPoll(HAL_INPUT_POLL_ROUTINE routine, void *context)
{
    BOOLEAN enabled = KiDisableInterrupts();

    for (ULONG i = 0; i < HAL_MAX_INPUT_POLLS; i++) {
        if (HalpInputPolls[i].Routine == routine && HalpInputPolls[i].Context == context) {
            HalpInputPolls[i].Routine = NULL;
            HalpInputPolls[i].Context = NULL;
        }
    }
    KiRestoreInterrupts(enabled);
}

// Frozen: nobody else will move bytes from the devices.
static void HalpPollInputDevices(void)
{
    HalpSerialPoll();
    if (HalpKeyboardUp)
        HalpKeyboardPoll();
    for (ULONG i = 0; i < HAL_MAX_INPUT_POLLS; i++) {
        if (HalpInputPolls[i].Routine)
            HalpInputPolls[i].Routine(HalpInputPolls[i].Context);
    }
}

void HalpConsoleInputByte(UCHAR byte)
{
    ULONG next = (HalpInputHead + 1) % INPUT_RING_SIZE;

    if (byte == CONTROL_C)
        HalpBreakInRequested = TRUE;
    if (next != HalpInputTail) {    // a full ring drops the newest byte
        HalpInputRing[HalpInputHead] = byte;
        HalpInputHead = next;
    }
}

void HalConsoleFlushInput(void)
{
    BOOLEAN enabled = KiDisableInterrupts();

    HalpInputTail = HalpInputHead;
    KiRestoreInterrupts(enabled);
}

BOOLEAN HalpBreakInPending(void)
{
    BOOLEAN pending = HalpBreakInRequested;

    HalpBreakInRequested = FALSE;
    return pending;
}

BOOLEAN HalConsoleBreakRequested(void)
{
    BOOLEAN enabled = KiDisableInterrupts();

    if (!enabled)
        HalpPollInputDevices();
    KiRestoreInterrupts(enabled);
    return HalpBreakInPending();
}

BOOLEAN HalConsoleGetByte(UCHAR *byte)
{
    BOOLEAN enabled = KiDisableInterrupts();
    BOOLEAN got = FALSE;

    if (!enabled)
        HalpPollInputDevices();
    if (HalpInputTail != HalpInputHead) {
        *byte = HalpInputRing[HalpInputTail];
        HalpInputTail = (HalpInputTail + 1) % INPUT_RING_SIZE;
        got = TRUE;
    }
    KiRestoreInterrupts(enabled);
    // Whoever found nothing to read waits for the user, who must see
    // everything printed so far.
    if (!got)
        HalDisplayFlush();
    return got;
}

void KiDisplayString(const char *text)
{
    HalDisplayString(text, strlen(text));
}

// DbgPrint formats into a buffer and writes it with one HalDisplayString,
// so that a thread preempted part-way through its line (by one printing
// from user mode, say) does not get its line cut in two on the console.
#define DBGPRINT_BUFFER_SIZE 256

typedef struct _DBGPRINT_BUFFER {
    size_t Length;
    char Text[DBGPRINT_BUFFER_SIZE];
} DBGPRINT_BUFFER;

static void HalpConsoleSink(void *context, const char *text, size_t length)
{
    DBGPRINT_BUFFER *buffer = context;

    while (length) {
        size_t room = sizeof(buffer->Text) - buffer->Length;
        size_t copy = length < room ? length : room;

        memcpy(buffer->Text + buffer->Length, text, copy);
        buffer->Length += copy;
        text += copy;
        length -= copy;
        if (buffer->Length == sizeof(buffer->Text)) {
            HalDisplayString(buffer->Text, buffer->Length);
            buffer->Length = 0;
        }
    }
}

void DbgPrintV(const char *format, va_list args)
{
    DBGPRINT_BUFFER buffer;

    buffer.Length = 0;
    RtlFormatV(HalpConsoleSink, &buffer, format, args);
    if (buffer.Length)
        HalDisplayString(buffer.Text, buffer.Length);
}

void DbgPrint(const char *format, ...)
{
    va_list args;

    va_start(args, format);
    DbgPrintV(format, args);
    va_end(args);
}
