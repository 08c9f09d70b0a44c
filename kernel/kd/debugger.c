// Entering and leaving the debugger. KdpTrap runs with interrupts off on
// the trapping processor; it reads commands by polling the consoles, so the
// rest of the system stays exactly as it was until `g`.

#include "kd/kd.h"
#include "kd/lineedit.h"
#include "ke/ke.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"

#define KD_INT3_LENGTH 1
#define KD_INT3_OPCODE 0xCC

KD_STATE KdpState;
KD_SYMBOL_TABLE KdpKernelSymbols;
static KD_LINE_EDITOR KdpLineEditor;
static BOOLEAN KdpAfterBugCheck;

extern UCHAR __KernelImageStart[], __KernelImageEnd[];

// The debugger's output goes to every console, as DbgPrint's does.
void KdpPrint(const char *format, ...)
{
    va_list args;

    va_start(args, format);
    DbgPrintV(format, args);
    va_end(args);
}

void KdpPrintAddress(ULONG64 address)
{
    char text[18];

    RtlFormatAddress(text, address);
    KdpPrint("%s", text);
}

BOOLEAN KdpReadMemory(ULONG64 address, void *buffer, SIZE_T length)
{
    return KeReadMemorySafe(address, buffer, length);
}

static void KdpEcho(const char *text, size_t length)
{
    HalDisplayString(text, length);
}

// Reads one line into the editor's buffer; FALSE if it was cancelled.
static BOOLEAN KdpReadLine(void)
{
    KdpLineEditorReset(&KdpLineEditor);
    for (;;) {
        UCHAR byte;
        KD_LINE_STATUS status;

        if (!HalConsoleGetByte(&byte)) {
            _mm_pause();
            continue;
        }
        status = KdpLineEditorFeed(&KdpLineEditor, byte);
        if (status == KdLineDone)
            return TRUE;
        if (status == KdLineCancelled)
            return FALSE;
    }
}

static void KdpBanner(KTRAP_FRAME *trapFrame, KD_REASON reason)
{
    switch (reason) {
    case KdReasonBreakpoint:
    case KdReasonInitialBreak:
    case KdReasonBreakIn:
        KdpPrint("Break instruction exception - code %08x (first chance)\n",
                 (ULONG)STATUS_BREAKPOINT);
        break;
    case KdReasonSingleStep:
        KdpPrint("Single step exception - code %08x (first chance)\n",
                 (ULONG)STATUS_SINGLE_STEP);
        break;
    case KdReasonBugCheck:
        KdpPrint("Bugcheck %08X - %s. Registers and stack at the fault:\n",
                 KiBugCheckData.Code, KeBugCheckName(KiBugCheckData.Code));
        KdpPrintRegisters(trapFrame);
        KdpPrintStack(trapFrame->Rip, trapFrame->Rsp, trapFrame->Rbp, 64);
        KdpPrint("\nThe system is stopped. Inspect it; `.reboot` restarts the machine.\n");
        break;
    }
}

// The debugger's entry for every reason (KiDebugRoutine).
static void KdpTrap(KTRAP_FRAME *trapFrame, KD_REASON reason)
{
    BOOLEAN interruptsWere = KiDisableInterrupts();
    KD_COMMAND_RESULT result = KdCommandContinue;

    if (KdpState.Active) {
        // A fault inside the debugger itself: nothing is safe to run.
        KiDisplayString("\n*** Fault inside the kernel debugger: system halted.\n");
        for (;;)
            __halt();
    }
    // An int3 traps with rip past it; KD shows (and `g` resumes past) the
    // breakpoint instruction itself.
    if (reason == KdReasonBreakpoint)
        trapFrame->Rip -= KD_INT3_LENGTH;
    KdpState.Active = TRUE;
    KdpState.EntryIrql = (KIRQL)__readcr8();
    KdpState.TrapFrame = trapFrame;
    KdpState.EntryTrapFrame = trapFrame;
    KdpState.ContextThread = 0;
    KdpState.ContextLeafRip = KdpState.ContextLeafSp = 0;
    KdpState.Reason = reason;
    if (reason == KdReasonBugCheck)
        KdpAfterBugCheck = TRUE;
    if (reason == KdReasonBreakIn)
        HalConsoleFlushInput();     // the Ctrl-C that got us here is not a keystroke

    KdpBanner(trapFrame, reason);
    while (result == KdCommandContinue) {
        KdpPrint("%u: kd> ", KeGetCurrentProcessorNumber());
        if (!KdpReadLine())
            continue;
        result = KdpExecuteLine(KdpLineEditor.Buffer);
        if (result != KdCommandContinue && KdpAfterBugCheck) {
            KdpPrint("The system has crashed and cannot continue; use .reboot\n");
            result = KdCommandContinue;
        }
    }

    if (reason == KdReasonBreakpoint) {
        UCHAR opcode = 0;

        if (KdpReadMemory(trapFrame->Rip, &opcode, 1) && opcode == KD_INT3_OPCODE)
            trapFrame->Rip += KD_INT3_LENGTH;
    }
    (void)HalpBreakInPending();     // a Ctrl-C typed in the shell is not a new break-in
    // `.thread` changed only what the shell shows: the frame the trap
    // returns through is the one we were entered with, untouched.
    KdpState.Active = FALSE;
    KdpState.TrapFrame = NULL;
    KdpState.EntryTrapFrame = NULL;
    KdpState.ContextThread = 0;
    if (result == KdCommandCrash)
        KeBugCheckEx(MANUALLY_INITIATED_CRASH, 0, 0, 0, 0);
    KiRestoreInterrupts(interruptsWere);
}

void KdInitSystem(void)
{
    KdpKernelSymbols.Entries = KdpSymbolTable;
    KdpKernelSymbols.Count = KdpSymbolCount;
    KdpKernelSymbols.Names = KdpSymbolNames;
    KdpKernelSymbols.ModuleName = "nt";
    KdpKernelSymbols.ModuleStart = (ULONG64)__KernelImageStart;
    KdpKernelSymbols.ModuleEnd = (ULONG64)__KernelImageEnd;
    KdpLineEditorInitialize(&KdpLineEditor, KdpEcho);
    KiDebugRoutine = KdpTrap;
}
