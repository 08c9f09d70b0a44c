// The hardware layer's public face: what the boot loader told us, the
// consoles, the interrupt controllers and the clock hardware. Callers above
// arch/ never touch a device directly.
#pragma once

#include "rtl/rtl.h"

// ---- What the boot loader handed over (filled from multiboot2) ------------

#define LOADER_MAX_MEMORY_DESCRIPTORS 128
#define LOADER_MAX_MODULES 16

typedef enum _LOADER_MEMORY_TYPE {
    LoaderFree = 1,             // usable RAM
    LoaderReserved = 2,
    LoaderAcpiReclaim = 3,
    LoaderAcpiNvs = 4,
    LoaderBad = 5,
} LOADER_MEMORY_TYPE;

typedef struct _MEMORY_DESCRIPTOR {
    ULONG64 BasePage;
    ULONG64 PageCount;
    ULONG Type;                 // LOADER_MEMORY_TYPE
} MEMORY_DESCRIPTOR;

typedef enum _LOADER_FRAMEBUFFER_TYPE {
    FramebufferIndexed = 0,
    FramebufferRgb = 1,
    FramebufferEgaText = 2,
    FramebufferNone = 0xff,
} LOADER_FRAMEBUFFER_TYPE;

typedef struct _LOADER_FRAMEBUFFER {
    ULONG64 PhysicalAddress;
    ULONG Pitch;                // bytes per scan line (text mode: per row)
    ULONG Width;                // pixels (text mode: columns)
    ULONG Height;               // pixels (text mode: rows)
    UCHAR BitsPerPixel;
    UCHAR Type;                 // LOADER_FRAMEBUFFER_TYPE
    UCHAR RedPosition, RedSize;
    UCHAR GreenPosition, GreenSize;
    UCHAR BluePosition, BlueSize;
} LOADER_FRAMEBUFFER;

typedef struct _LOADER_MODULE {
    ULONG64 PhysicalStart;
    ULONG64 PhysicalEnd;        // exclusive
    char Name[64];
} LOADER_MODULE;

typedef struct _LOADER_PARAMETER_BLOCK {
    char CommandLine[512];
    char BootLoaderName[64];
    ULONG MemoryDescriptorCount;
    MEMORY_DESCRIPTOR MemoryDescriptors[LOADER_MAX_MEMORY_DESCRIPTORS];
    ULONG ModuleCount;
    LOADER_MODULE Modules[LOADER_MAX_MODULES];
    LOADER_FRAMEBUFFER Framebuffer;
    ULONG64 RsdpPhysical;       // 0 when the loader gave none
    UCHAR Rsdp[40];             // a copy (ACPI 1.0: 20 bytes, 2.0+: 36)
    BOOLEAN EfiBoot;
    ULONG64 KernelPhysicalStart;
    ULONG64 KernelPhysicalEnd;
} LOADER_PARAMETER_BLOCK;

extern LOADER_PARAMETER_BLOCK KeLoaderBlock;

// Parses the multiboot2 information at `info` (reachable through the boot
// identity map) into KeLoaderBlock. Returns FALSE if it is malformed.
BOOLEAN HalpParseMultiboot2(const void *info);

// ---- Consoles --------------------------------------------------------------
//
// Output goes to every console that is up: COM1, then the VGA text buffer or
// the framebuffer. Input comes from every input device (COM1, PS/2 keyboard)
// as a byte stream. Special keys arrive as the ANSI sequences a serial
// terminal sends: ESC [ A/B/C/D for the arrows, ESC [ H / ESC [ F for
// Home/End, ESC [ 3 ~ for Delete; Ctrl-C is 0x03, Backspace is 0x7f or 0x08,
// Enter is '\r'.
//
// Display drivers understand: printable ASCII, '\n' (new line), '\r' (column
// 0), '\b' (cursor left, not erasing), '\t' (to the next multiple of 8), and
// the escape sequences ESC [ K (erase to end of line) and ESC [ 2 J (clear
// screen, cursor home). Other escape sequences are swallowed.

void HalInitializeSerial(void);
// After memory management, with the loader's framebuffer (or VGA text
// buffer) mapped at `mapped`; picks the text or the pixel console.
void HalInitializeDisplay(void *mapped);
BOOLEAN HalInitializeKeyboard(void); // after the interrupt controllers; FALSE: no i8042
void HalSelectConsoles(BOOLEAN serial, BOOLEAN screen);
void HalQueryConsoles(BOOLEAN *serial, BOOLEAN *screen);

void HalDisplayString(const char *text, size_t length);
// Draws on the screen what HalDisplayString has left to draw (see console.c).
void HalDisplayFlush(void);
BOOLEAN HalDisplayAtLineStart(void);  // the last byte written was a newline
void HalpDisplayClockTick(void);     // from the clock interrupt
BOOLEAN HalDisplayBehind(void);      // text waits for the next clock tick
BOOLEAN HalSerialPresent(void);
BOOLEAN HalDisplayPresent(void);             // VGA text or a framebuffer is drawn on
const char *HalDisplayDescription(void);   // "VGA text 80x25", "framebuffer 1024x768x32"...

// Returns the next input byte, or FALSE at once if none is waiting. With
// interrupts disabled (the debugger has frozen the system) it polls the
// devices itself.
BOOLEAN HalConsoleGetByte(UCHAR *byte);
void HalConsoleFlushInput(void);
// Whether a Ctrl-C has come since the last call (or break-in); polls the
// devices like HalConsoleGetByte, and leaves the bytes for it to read.
BOOLEAN HalConsoleBreakRequested(void);     // drops typed-ahead bytes (the Ctrl-C of a break-in)

// Called by input drivers for every decoded byte. A Ctrl-C is also handed to
// the break-in hook, if one is set, from interrupt context.
void HalpConsoleInputByte(UCHAR byte);
typedef void (*HAL_BREAKIN_ROUTINE)(void *trapFrame);
void HalSetBreakInRoutine(HAL_BREAKIN_ROUTINE routine);
BOOLEAN HalpBreakInPending(void);

// Device drivers, each behind the console layer.
BOOLEAN HalpSerialInitialize(void);        // FALSE when no UART answers
void HalpSerialWrite(const char *text, size_t length);
void HalpSerialPoll(void);                 // moves received bytes to the console
void HalpSerialInterrupt(void);

BOOLEAN HalpVgaTextInitialize(void *buffer, ULONG columns, ULONG rows);
// A write changes the console's text; a draw shows it (conesc.h).
void HalpVgaTextWrite(const char *text, size_t length);
void HalpVgaTextDraw(void);

BOOLEAN HalpFbInitialize(const LOADER_FRAMEBUFFER *framebuffer, void *mapped);
void HalpFbWrite(const char *text, size_t length);
void HalpFbDraw(void);

BOOLEAN HalpKeyboardInitialize(void);      // FALSE when no i8042 answers
void HalpKeyboardInterrupt(void);
void HalpKeyboardPoll(void);

// ---- Interrupt controllers, clock, platform ---------------------------------

#define PRIMARY_VECTOR_BASE 0x30
#define CLOCK_VECTOR        0xD1    // NT's clock vector on x64
#define KEYBOARD_VECTOR     0x51
#define SERIAL_VECTOR       0x54
#define APIC_SPURIOUS_VECTOR 0xFF
#define IPI_VECTOR          0xE1    // NT's interprocessor interrupt vector (IPI_LEVEL)
// Wakes a processor the debugger froze (kernel/ke/freeze.c): it halts at
// IPI_LEVEL, and only a vector of priority class 15 gets through.
#define THAW_VECTOR         0xF1

#define CLOCK_TICK_MICROSECONDS 15625ULL   // 64 Hz, as NT's default clock

void HalInitializeAcpi(void);
void HalInitializeInterruptControllers(void);
void HalEnableIrq(ULONG isaIrq, ULONG vector);
void HalEndOfInterrupt(void);
// Asks this processor for the APC_LEVEL or DISPATCH_LEVEL software
// interrupt; the APIC delivers it as soon as the IRQL drops below that level.
void HalRequestSoftwareInterrupt(KIRQL level);
// The same interrupt (APC_LEVEL or DISPATCH_LEVEL) sent to another processor:
// its APIC holds it until that processor's IRQL drops below the level.
void HalRequestSoftwareInterruptProcessor(ULONG apicId, KIRQL level);
#define APC_VECTOR      0x1F        // NT's vectors for the two software interrupts
#define DISPATCH_VECTOR 0x2F
// The real-time clock, read once at boot: 100-ns units since 1601 (NT's epoch).
LONG64 HalQueryRealTimeClock(void);
void HalStartClock(void);                  // calibrates and starts the periodic tick
ULONG64 HalQueryPerformanceFrequency(void);  // TSC ticks per second
ULONG HalGetProcessorCount(void);
ULONG HalGetLocalApicId(void);
// The MADT's local APIC ids, in its order (index 0 is not necessarily the
// boot processor's).
ULONG HalGetProcessorApicId(ULONG index);
// This processor's local APIC, as HalInitializeInterruptControllers sets
// up the boot processor's (application processors, ipi.c).
void HalInitializeProcessor(void);
// The periodic clock on an application processor (calibrated by the boot
// processor's HalStartClock).
void HalStartProcessorClock(void);
// Tickless idle (kernel/ke/idleclock.c), interrupts off: arm the clock to
// interrupt once, `ticks` ticks on (FALSE: not armed, the clock periodic);
// whether it is armed for more than the tick in progress; the whole ticks
// gone by while armed, from the first interrupt that comes; the clock
// periodic again, from its own interrupt.
BOOLEAN HalClockSkipTicks(ULONG64 ticks);
BOOLEAN HalClockSkipping(void);
ULONG64 HalClockCatchUp(void);
void HalClockPeriodicAgain(void);
// INIT-SIPI-SIPI: wakes the processor with `apicId` in real mode at the
// page `startupPage` (below 1 MiB).
void HalStartNextProcessor(ULONG apicId, ULONG startupPage);
// INIT alone: puts back in its wait for a SIPI a processor that did not
// start in time, so that it cannot wake later into the next one's block.
void HalResetProcessor(ULONG apicId);
// An interrupt at IPI_VECTOR, or an NMI, to the processor with `apicId`.
void HalRequestIpi(ULONG apicId);
void HalRequestNmi(ULONG apicId);
// An interrupt at THAW_VECTOR: ends a frozen processor's halt; anywhere
// else it does nothing.
void HalRequestThaw(ULONG apicId);

void HalReboot(void) __attribute__((noreturn));
void HalPowerOff(void) __attribute__((noreturn));

// QEMU's isa-debug-exit device: ends the emulator with status (code << 1) | 1.
// Does nothing on real hardware (the write goes nowhere).
void HalExitEmulator(ULONG code);
