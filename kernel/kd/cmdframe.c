// k, kb, kn, kv, kp, kP and .frame: the current context's stack, as WinDbg lists it,
// and a frame of it as the scope of `r` and @registers. The frames and
// their registers come from the CFI walk (kd/stack.c).

#include "kd/kd.h"
#include "ke/ke.h"
#include "arch/x86_64/x86.h"

#define KD_MAX_STACK_FRAMES 256

static KTRAP_FRAME KdpScopeContext;

// Where the current context's walk starts: the debugger's entry registers,
// or `.thread`'s switched-out thread with its frameless KiSwapContext frame;
// a user thread's stack goes on into user mode, read from its process.
static BOOLEAN KdpCurrentStackStart(KD_STACK_START *start)
{
    const KTRAP_FRAME *frame = KdpState.TrapFrame;

    if (!frame) {
        KdpPrint("No register context\n");
        return FALSE;
    }
    memset(start, 0, sizeof(*start));
    start->LeafRip = KdpState.ContextLeafRip;
    start->LeafSp = KdpState.ContextLeafSp;
    start->Rip = frame->Rip;
    start->Rsp = frame->Rsp;
    start->Rbp = frame->Rbp;
    KdpContextFromTrap(frame, &start->Registers);
    // A switched-out thread: only what KiSwapContext saved is known.
    if (KdpState.ContextThread)
        start->Registers.Valid = KD_UNWIND_CALLEE_SAVED;
    KdpGetUserStackStart(KdpImplicitThread(), start);
    return TRUE;
}

// k, kb, kn, kv, kp, kP [frames]: the command's letters say what each line
// shows.
KD_COMMAND_RESULT KdpStack(int argc, char **argv)
{
    ULONG64 frames = 32;
    ULONG flags = 0;
    KD_STACK_START start;

    if (strchr(argv[0] + 1, 'b') || strchr(argv[0] + 1, 'v'))
        flags |= KD_STACK_ARGS;
    if (strchr(argv[0] + 1, 'n'))
        flags |= KD_STACK_NUMBERS;
    if (strchr(argv[0] + 1, 'p'))
        flags |= KD_STACK_PARAMS;
    if (strchr(argv[0] + 1, 'P'))
        flags |= KD_STACK_PARAM_LINES;
    if (argc > 2) {
        KdpPrint("Usage: %s [frames]\n", argv[0]);
        return KdCommandContinue;
    }
    if (argc == 2 && !KdpGetValue(argv[1], &frames))
        return KdCommandContinue;
    if (frames == 0 || frames > KD_MAX_STACK_FRAMES) {
        KdpPrint("Range error: frames must be 1 to 0n%u\n", KD_MAX_STACK_FRAMES);
        return KdCommandContinue;
    }
    if (!KdpCurrentStackStart(&start))
        return KdCommandContinue;
    KdpPrintStackEx(&start, (ULONG)frames, 0, flags);
    return KdCommandContinue;
}

static ULONG64 KdpScopeRegister(const KD_FRAME *frame, ULONG reg)
{
    return (frame->Registers.Valid & KD_UNWIND_BIT(reg)) ? frame->Registers.Value[reg] : 0;
}

// The registers of a frame as `r` shows them: what the unwind recovered,
// 0 for what it could not (rax, rcx, rdx, rsi, rdi, r8-r11 are not kept
// across calls in the System V ABI, nor is rflags). Frame 0 is the context
// itself.
static void KdpBuildScopeContext(ULONG index, const KD_FRAME *frame, KTRAP_FRAME *context)
{
    const KTRAP_FRAME *base = KdpState.TrapFrame;

    if (index == 0 && !KdpState.ContextLeafRip && !frame->User) {
        *context = *base;
        return;
    }
    memset(context, 0, sizeof(*context));
    context->Rax = KdpScopeRegister(frame, KD_DW_RAX);
    context->Rbx = KdpScopeRegister(frame, KD_DW_RBX);
    context->Rcx = KdpScopeRegister(frame, KD_DW_RCX);
    context->Rdx = KdpScopeRegister(frame, KD_DW_RDX);
    context->Rsi = KdpScopeRegister(frame, KD_DW_RSI);
    context->Rdi = KdpScopeRegister(frame, KD_DW_RDI);
    context->Rbp = KdpScopeRegister(frame, KD_DW_RBP);
    context->R8 = KdpScopeRegister(frame, KD_DW_R8);
    context->R9 = KdpScopeRegister(frame, KD_DW_R9);
    context->R10 = KdpScopeRegister(frame, KD_DW_R10);
    context->R11 = KdpScopeRegister(frame, KD_DW_R11);
    context->R12 = KdpScopeRegister(frame, KD_DW_R12);
    context->R13 = KdpScopeRegister(frame, KD_DW_R13);
    context->R14 = KdpScopeRegister(frame, KD_DW_R14);
    context->R15 = KdpScopeRegister(frame, KD_DW_R15);
    context->Rip = frame->CallSite;
    context->Rsp = frame->ChildSp;
    context->EFlags = frame->EFlags;
    if (index == 0)
        context->EFlags = base->EFlags;     // KiSwapContext saved them
    if (frame->SegCs) {
        // The code a trap interrupted: its trap frame has them.
        context->SegCs = frame->SegCs;
        context->SegSs = frame->SegSs;
    } else if (frame->User) {
        context->SegCs = KGDT64_R3_CODE | RPL_MASK;
        context->SegSs = KGDT64_R3_DATA | RPL_MASK;
    } else {
        context->SegCs = base->SegCs;
        context->SegSs = base->SegSs;
    }
}

// .frame [/r] [N]: WinDbg's frame numbers are hex ("05"), as kn prints them.
KD_COMMAND_RESULT KdpSetFrame(int argc, char **argv)
{
    BOOLEAN showRegisters = FALSE;
    char imageName[KD_MODULE_NAME_LENGTH];
    KD_STACK_START start;
    KD_FRAME frame;
    ULONG64 index;
    int next = 1;

    if (argc > 1 && strcmp(argv[1], "/r") == 0) {
        showRegisters = TRUE;
        next++;
    }
    if (argc > next + 1) {
        KdpPrint("Usage: .frame [/r] [N]\n");
        return KdCommandContinue;
    }
    if (argc == next) {
        index = KdpState.ScopeFrame ? KdpState.ScopeIndex : 0;
    } else {
        if (argv[next][0] == '/') {
            KdpPrint("Unknown option '%s'\n", argv[next]);
            return KdCommandContinue;
        }
        if (!KdpGetValue(argv[next], &index))
            return KdCommandContinue;
    }
    if (!KdpCurrentStackStart(&start))
        return KdCommandContinue;
    if (index >= KD_MAX_STACK_FRAMES ||
        !KdpGetStackFrame(&start, (ULONG)index, &frame, imageName, sizeof(imageName))) {
        KdpPrint("Cannot find frame 0x%llx, previous scope unchanged\n",
                 (unsigned long long)index);
        return KdCommandContinue;
    }
    KdpBuildScopeContext((ULONG)index, &frame, &KdpScopeContext);
    KdpState.ScopeFrame = &KdpScopeContext;
    KdpState.ScopeIndex = (ULONG)index;
    KdpPrintFrameLine(&frame, (ULONG)index, KD_STACK_NUMBERS, 0, imageName);
    if (showRegisters)
        KdpPrintRegisters(&KdpScopeContext);
    return KdCommandContinue;
}
