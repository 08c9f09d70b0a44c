// What a debug trap means, and stepping: `t` (one instruction, TF), `p`
// (over a call: a one-shot breakpoint after it), `gu` (a one-shot
// breakpoint at the return address) and `g ADDR`. The one-shot breakpoint
// fires only for the thread that asked (any thread for `g ADDR`) and only
// once its frame is where it should be, so recursion and other threads
// passing the same address go on silently.

#include "kd/kdbp.h"
#include "kd/disasm.h"
#include "ke/ke.h"
#include "arch/x86_64/x86.h"
#include "mm/mm.h"

#define KD_INT3_OPCODE 0xCC
#define DR6_SINGLE_STEP (1ULL << 14)
#define DR6_HIT_MASK    0xFULL
#define KD_USER_SPACE_END 0x0000800000000000ULL

char KdpRepeatCommand[8];

// A single step in flight.
static struct {
    BOOLEAN Active;
    BOOLEAN Report;         // t or p: stop after it; else a silent step over a breakpoint
    BOOLEAN RestoreIf;      // interrupts were masked for the step
    ULONG64 Thread;
} KdpStep;

static BOOLEAN KdpStepRequested;       // `t` (or `p` over no call) asked for one

// The one-shot breakpoint of `p` over a call, `gu` and `g ADDR`.
static struct {
    BOOLEAN Armed;
    BOOLEAN Inserted;
    BOOLEAN Above;          // gu: only once rsp is above Rsp (the frame is gone)
    UCHAR Original;
    ULONG64 Address;
    ULONG64 DirectoryTableBase;     // user code: that address space; else 0
    ULONG64 Physical;
    ULONG64 Thread;         // 0: any thread
    ULONG64 Rsp;
} KdpTarget;

static BOOLEAN KdpIsUserFrame(const KTRAP_FRAME *frame)
{
    return (frame->SegCs & RPL_MASK) != 0;
}

static void KdpTakeOutTarget(void)
{
    if (!KdpTarget.Inserted)
        return;
    KdpUnpatchCode(KdpTarget.DirectoryTableBase, KdpTarget.Address, KdpTarget.Original,
                   KdpTarget.Physical);
    KdpTarget.Inserted = FALSE;
}

static BOOLEAN KdpTargetAppliesAt(ULONG64 address, ULONG64 space)
{
    return KdpTarget.Armed && KdpTarget.Address == address &&
           (KdpTarget.DirectoryTableBase == 0 || KdpTarget.DirectoryTableBase == space);
}

static BOOLEAN KdpTargetQualifies(const KTRAP_FRAME *frame)
{
    if (KdpTarget.Thread && KdpTarget.Thread != KdpCurrentThread())
        return FALSE;
    return KdpTarget.Above ? frame->Rsp > KdpTarget.Rsp : frame->Rsp >= KdpTarget.Rsp;
}

static KD_TRAP_ACTION KdpStopAt(KD_STOP *stop, KD_STOP_KIND kind, KD_BREAKPOINT *breakpoint)
{
    stop->Kind = kind;
    stop->Breakpoint = breakpoint;
    // Any stop ends a `p` or `gu` still on its way, as KD's does.
    KdpTarget.Armed = FALSE;
    return KdTrapStop;
}

BOOLEAN KdpCountPass(KD_BREAKPOINT *breakpoint)
{
    if (breakpoint->PassesLeft > 1) {
        breakpoint->PassesLeft--;
        return FALSE;
    }
    return TRUE;
}

// A breakpoint the running system hit: a stop, or one more pass counted.
static KD_TRAP_ACTION KdpHitUnderGo(KD_STOP *stop, KD_BREAKPOINT *breakpoint)
{
    if (!KdpCountPass(breakpoint))
        return KdTrapResume;
    return KdpStopAt(stop, KdStopBreakpoint, breakpoint);
}

// After a silent step over a breakpoint (the system runs on): a breakpoint
// (or the one-shot target) at the instruction we arrived at is a hit; there
// is no int3 in memory there to say so.
static KD_TRAP_ACTION KdpArrivedAt(KTRAP_FRAME *frame, ULONG64 space, KD_STOP *stop)
{
    KD_BREAKPOINT *breakpoint = KdpFindBreakpointAt(frame->Rip, space);

    if (KdpTargetAppliesAt(frame->Rip, space) && KdpTargetQualifies(frame))
        return KdpStopAt(stop, breakpoint ? KdStopBreakpoint : KdStopStep, breakpoint);
    if (breakpoint)
        return KdpHitUnderGo(stop, breakpoint);
    return KdTrapResume;
}

static KD_TRAP_ACTION KdpClassifyBreakpoint(KTRAP_FRAME *frame, ULONG64 space, KD_STOP *stop)
{
    ULONG64 address = frame->Rip - 1;       // the int3 traps with rip past it
    KD_BREAKPOINT *breakpoint = KdpFindBreakpointAt(address, space);
    BOOLEAN target = KdpTargetAppliesAt(address, space);

    if (target && KdpTargetQualifies(frame)) {
        frame->Rip = address;
        return KdpStopAt(stop, breakpoint ? KdStopBreakpoint : KdStopStep, breakpoint);
    }
    if (breakpoint) {
        frame->Rip = address;
        return KdpHitUnderGo(stop, breakpoint);
    }
    if (target) {
        // Another thread, or a deeper frame, passed the one-shot address.
        frame->Rip = address;
        return KdTrapResume;
    }
    if (KdpIsUserFrame(frame))
        return KdTrapNotOurs;
    // An int3 in the code itself (DbgBreakPoint): KD shows the instruction,
    // and `g` resumes past it (debugger.c).
    frame->Rip = address;
    return KdpStopAt(stop, KdStopOther, NULL);
}

static KD_TRAP_ACTION KdpClassifyDebug(KTRAP_FRAME *frame, ULONG64 dr6, ULONG64 space,
                                       KD_STOP *stop)
{
    KD_BREAKPOINT *hardware = KdpFindHardwareHit(dr6);

    if ((dr6 & DR6_SINGLE_STEP) && KdpStep.Active && KdpStep.Thread == KdpCurrentThread()) {
        frame->EFlags &= ~EFLAGS_TF;
        if (KdpStep.RestoreIf)
            frame->EFlags |= EFLAGS_IF;
        KdpStep.Active = FALSE;
        if (hardware && (hardware->DirectoryTableBase == 0 ||
                         hardware->DirectoryTableBase == space))
            return KdpStep.Report ? KdpStopAt(stop, KdStopBreakpoint, hardware)
                                  : KdpHitUnderGo(stop, hardware);
        if (KdpStep.Report)
            return KdpStopAt(stop, KdStopStep, KdpFindBreakpointAt(frame->Rip, space));
        return KdpArrivedAt(frame, space, stop);
    }
    if (hardware) {
        if (hardware->DirectoryTableBase == 0 || hardware->DirectoryTableBase == space)
            return KdpHitUnderGo(stop, hardware);
        return KdTrapResume;        // that address in another process
    }
    if (dr6 & DR6_HIT_MASK)
        return KdTrapResume;        // a debug register only the debugger sets, since cleared
    if ((dr6 & DR6_SINGLE_STEP) && KdpIsUserFrame(frame) && KdpStep.Active) {
        // A thread left with TF by a step that another `t` replaced.
        frame->EFlags &= ~EFLAGS_TF;
        return KdTrapResume;
    }
    if (KdpIsUserFrame(frame))
        return KdTrapNotOurs;
    return KdpStopAt(stop, KdStopOther, NULL);
}

KD_TRAP_ACTION KdpClassifyTrap(KTRAP_FRAME *frame, KD_REASON reason, KD_STOP *stop)
{
    ULONG64 space = KdpCurrentAddressSpace();
    ULONG64 dr6 = 0;

    stop->Kind = KdStopOther;
    stop->Breakpoint = NULL;
    if (reason == KdReasonSingleStep) {
        dr6 = __readdr(6);
        __writedr(6, 0);            // the processor never clears it
    }
    KdpRemoveBreakpoints();
    KdpTakeOutTarget();
    if (reason == KdReasonBreakpoint)
        return KdpClassifyBreakpoint(frame, space, stop);
    if (reason == KdReasonSingleStep)
        return KdpClassifyDebug(frame, dr6, space, stop);
    return KdpStopAt(stop, KdStopOther, NULL);
}

// May the one instruction at `address` run with interrupts masked? Not one
// that reads or changes IF itself, nor hlt (it would never wake).
static BOOLEAN KdpMayMaskInterrupts(ULONG64 address)
{
    UCHAR code[KD_MAX_INSTRUCTION_LENGTH];
    ULONG i = 0;

    if (!KdpReadMemory(address, code, sizeof(code)))
        return FALSE;
    while (i < sizeof(code) - 1 &&
           ((code[i] >= 0x40 && code[i] <= 0x4F) || code[i] == 0x66 || code[i] == 0x67 ||
            code[i] == 0xF0 || code[i] == 0xF2 || code[i] == 0xF3 || code[i] == 0x2E ||
            code[i] == 0x36 || code[i] == 0x3E || code[i] == 0x26 || code[i] == 0x64 ||
            code[i] == 0x65))
        i++;
    switch (code[i]) {
    case 0x9C:      // pushf
    case 0x9D:      // popf
    case 0xFA:      // cli
    case 0xFB:      // sti
    case 0xF4:      // hlt
    case 0xCC:      // int3
    case 0xCD:      // int n
    case 0xCF:      // iret
        return FALSE;
    case 0x0F:      // syscall, sysret and the system instructions
        return code[i + 1] != 0x01 && code[i + 1] != 0x05 && code[i + 1] != 0x07;
    default:
        return TRUE;
    }
}

// One instruction with TF. In the kernel, interrupts are masked for it, so
// that the step is that instruction and not a clock interrupt's switch to
// another thread.
static void KdpArmStep(KTRAP_FRAME *frame, BOOLEAN report)
{
    KdpStep.Active = TRUE;
    KdpStep.Report = report;
    KdpStep.Thread = KdpCurrentThread();
    KdpStep.RestoreIf = FALSE;
    if (!KdpIsUserFrame(frame) && (frame->EFlags & EFLAGS_IF) &&
        KdpMayMaskInterrupts(frame->Rip)) {
        frame->EFlags &= ~EFLAGS_IF;
        KdpStep.RestoreIf = TRUE;
    }
    frame->EFlags |= EFLAGS_TF;
}

void KdpPrepareResume(KTRAP_FRAME *frame)
{
    ULONG64 space = KdpCurrentAddressSpace();
    BOOLEAN stepOver = KdpInsertBreakpoints(frame);

    if (KdpTarget.Armed) {
        if (KdpTargetAppliesAt(frame->Rip, space))
            stepOver = TRUE;
        else if (KdpPatchCode(KdpTarget.DirectoryTableBase, KdpTarget.Address, KD_INT3_OPCODE,
                              &KdpTarget.Original, &KdpTarget.Physical))
            KdpTarget.Inserted = TRUE;
    }
    if (KdpStepRequested) {
        KdpStepRequested = FALSE;
        KdpArmStep(frame, TRUE);
    } else if (stepOver) {
        KdpArmStep(frame, FALSE);
    }
}

// ---- What the shell shows at a stop ---------------------------------------------------

void KdpPrintStopLocation(ULONG64 address)
{
    char symbol[160], text[192], where[18];

    if (KdpFormatModuleAddress(address, symbol, sizeof(symbol)))
        KdpPrint("%s:\n", symbol);
    RtlFormatAddress(where, address);
    if (KdpDisassembleOne(address, text, sizeof(text)))
        KdpPrint("%s %s\n", where, text);
    else
        KdpPrint("%s ??              ???\n", where);
}

KD_COMMAND_RESULT KdpRunBreakpointCommands(const char *commands)
{
    char line[KD_BP_COMMANDS_LENGTH];
    char *start = line;
    KD_COMMAND_RESULT result = KdCommandContinue;

    RtlStringPrintf(line, sizeof(line), "%s", commands);
    while (start && result == KdCommandContinue) {
        char *end = strchr(start, ';');

        if (end)
            *end++ = '\0';
        result = KdpExecuteLine(start);
        start = end;
    }
    return result;
}

// ---- t, p, gu, g ADDR ----------------------------------------------------------------

static KTRAP_FRAME *KdpSteppableFrame(void)
{
    KTRAP_FRAME *frame = KdpState.EntryTrapFrame;

    if (!frame || KdpState.Reason == KdReasonBugCheck) {
        KdpPrint("The system cannot run from here (it was not stopped by a trap it can resume)\n");
        return NULL;
    }
    if (KdpState.Processor != KdpState.BreakProcessor) {
        KdpPrint("Only processor %u, which broke in, can step: switch back with ~%u\n",
                 KdpState.BreakProcessor, KdpState.BreakProcessor);
        return NULL;
    }
    return frame;
}

static void KdpArmTarget(KTRAP_FRAME *frame, ULONG64 address, ULONG64 thread, BOOLEAN above)
{
    KdpTarget.Armed = TRUE;
    KdpTarget.Inserted = FALSE;
    KdpTarget.Address = address;
    KdpTarget.DirectoryTableBase = address < KD_USER_SPACE_END ? KdpCurrentAddressSpace() : 0;
    KdpTarget.Thread = thread;
    KdpTarget.Rsp = frame->Rsp;
    KdpTarget.Above = above;
}

static KD_COMMAND_RESULT KdpTrace(int argc, char **argv)
{
    if (argc != 1) {
        KdpPrint("Usage: t\n");
        return KdCommandContinue;
    }
    if (!KdpSteppableFrame())
        return KdCommandContinue;
    KdpStepRequested = TRUE;
    RtlStringPrintf(KdpRepeatCommand, sizeof(KdpRepeatCommand), "t");
    return KdCommandResume;
}

static KD_COMMAND_RESULT KdpStepOver(int argc, char **argv)
{
    KTRAP_FRAME *frame;
    KD_INSTRUCTION instruction;
    ULONG length;

    if (argc != 1) {
        KdpPrint("Usage: p\n");
        return KdCommandContinue;
    }
    frame = KdpSteppableFrame();
    if (!frame)
        return KdCommandContinue;
    length = KdpInstructionLength(frame->Rip, &instruction);
    if (length && instruction.Flow == KdFlowCall)
        KdpArmTarget(frame, frame->Rip + length, KdpCurrentThread(), FALSE);
    else
        KdpStepRequested = TRUE;
    RtlStringPrintf(KdpRepeatCommand, sizeof(KdpRepeatCommand), "p");
    return KdCommandResume;
}

// Where the current function returns to: frame 0's RetAddr from the same
// CFI walk as `k`, right at any instruction of the function (before its
// prologue, in its epilogue, without a frame pointer). Kernel and driver
// code go by the kernel's tables, user code by its program's own, read in
// the process.
static BOOLEAN KdpReturnAddressByCfi(const KTRAP_FRAME *frame, ULONG64 *returnAddress)
{
    KD_STACK_START start;
    KD_FRAME top;
    const char *why;
    BOOLEAN user = (frame->SegCs & RPL_MASK) != 0;

    if (!KdpGetThreadStackStart(KdpCurrentThread(), TRUE, &start, &why) ||
        !KdpGetStackFrame(&start, 0, &top, NULL, 0) || top.User != user || top.TrapFrame)
        return FALSE;
    *returnAddress = top.ReturnAddress;
    return user ? *returnAddress && *returnAddress < KD_USER_SPACE_END
                : *returnAddress >= KD_USER_SPACE_END;
}

// Where the current function returns to, when the CFI walk cannot place
// it, by frame pointers: the frame record is not made yet at a function's
// first instruction (the return address is at rsp) nor after only its
// `push rbp` (at rsp+8); from then on rbp leads to it, as `k` reads it.
static BOOLEAN KdpReturnAddress(const KTRAP_FRAME *frame, ULONG64 *returnAddress)
{
    ULONG64 start = 0, displacement = 0, slot;
    KD_MODULE module;
    char name[128];
    UCHAR opcode = 0, first = 0;
    const KSYM_ENTRY *entry;

    if (KdpFindModuleByAddress(frame->Rip, &module) &&
        (entry = KdpLookupAddress(&module.Symbols, frame->Rip, &displacement)) != NULL)
        start = entry->Address;
    else if (KdpFormatCurrentUserSymbol(frame->Rip, name, sizeof(name), &start))
        displacement = frame->Rip - start;
    KdpReadMemory(frame->Rip, &opcode, 1);
    if (start)
        KdpReadMemory(start, &first, 1);
    if ((start && displacement == 0) || opcode == 0xC3)
        slot = frame->Rsp;                  // first instruction, or at its ret
    else if (start && displacement == 1 && first == 0x55)
        slot = frame->Rsp + 8;              // after push rbp
    else
        slot = frame->Rbp + 8;
    return KdpReadMemory(slot, returnAddress, sizeof(*returnAddress)) && *returnAddress;
}

static KD_COMMAND_RESULT KdpGoUp(int argc, char **argv)
{
    KTRAP_FRAME *frame;
    ULONG64 returnAddress;

    if (argc != 1) {
        KdpPrint("Usage: gu\n");
        return KdCommandContinue;
    }
    frame = KdpSteppableFrame();
    if (!frame)
        return KdCommandContinue;
    if (!KdpReturnAddressByCfi(frame, &returnAddress) &&
        !KdpReturnAddress(frame, &returnAddress)) {
        KdpPrint("Unable to find the return address of the current function\n");
        return KdCommandContinue;
    }
    if (returnAddress >= KD_USER_SPACE_END && KdpIsDebuggerCode(returnAddress)) {
        KdpPrint("The function returns into the debugger's own code; use g\n");
        return KdCommandContinue;
    }
    KdpArmTarget(frame, returnAddress, KdpCurrentThread(), TRUE);
    return KdCommandResume;
}

KD_COMMAND_RESULT KdpGoTo(ULONG64 address)
{
    KTRAP_FRAME *frame;
    char where[18];

    if (address >= KD_USER_SPACE_END && KdpIsDebuggerCode(address)) {
        RtlFormatAddress(where, address);
        KdpPrint("Breakpoint refused: %s is code the debugger runs itself "
                 "(kd, the console output or the trap path)\n", where);
        return KdCommandContinue;
    }
    frame = KdpSteppableFrame();
    if (!frame)
        return KdCommandContinue;
    KdpArmTarget(frame, address, 0, FALSE);
    KdpTarget.Rsp = 0;
    return KdCommandResume;
}

const KD_COMMAND KdpStepCommands[] = {
    { "t", KdpTrace, "t",
      "trace: run one instruction (into calls); Enter repeats it" },
    { "p", KdpStepOver, "p",
      "step: run one instruction, a call as a whole; Enter repeats it" },
    { "gu", KdpGoUp, "gu", "go up: run until the current function returns to its caller" },
    { NULL, NULL, NULL, NULL },
};
