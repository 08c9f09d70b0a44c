// The end of a chain at a running thread: which processor it keeps and at
// what IRQL, and whether it spins. A thread at DISPATCH_LEVEL or above keeps
// its processor from everything below (the scheduler included): on one
// processor, that is the whole machine (demo=hang). The debugger knows the
// IRQL of the thread it interrupted (saved at the break-in, as `!irql`
// shows). A spin is recognised from the code itself: the loop around the
// thread's instruction pointer (a branch back over it, a few dozen bytes)
// with a PAUSE in it and no call out, and the memory word the loop's exit
// test reads (a RIP-relative operand), with its value: a held spin lock
// holds its owner's PRCB + 1, so a value naming no processor names nobody
// who could release it.

#include "kd/kdwait.h"
#include "kd/disasm.h"

#define KD_SPIN_LOOKAHEAD   16          // instructions from RIP to the branch back
#define KD_SPIN_MAX_LOOP    96          // bytes: a spin loop is short
#define KD_SPIN_TEXT        160

typedef struct _KD_SPIN {
    ULONG64 LoopStart, LoopEnd;
    ULONG64 Pause;
    ULONG64 Word;               // the word the exit test reads (0: not RIP-relative)
    char WordName[96];
} KD_SPIN;

// The RIP-relative operand "[nt!Name (ffffffff`80123456)]" of a line the
// disassembler wrote, when the instruction reads it (not a store to it).
static BOOLEAN KdpSpinReadOperand(const char *text, ULONG64 *address, char *name, size_t size)
{
    const char *mnemonic = text, *bracket, *open, *comma;
    ULONG64 value = 0;
    size_t length;

    while (*mnemonic && *mnemonic != ' ')          // the bytes
        mnemonic++;
    while (*mnemonic == ' ')
        mnemonic++;
    bracket = strchr(mnemonic, '[');
    if (!bracket)
        return FALSE;
    comma = strchr(mnemonic, ',');
    // "mov qword ptr [x],rax" stores; "cmp", "test" read both operands.
    if (comma && bracket < comma && strncmp(mnemonic, "cmp", 3) && strncmp(mnemonic, "test", 4))
        return FALSE;
    for (open = bracket; *open && !(open[0] == ' ' && open[1] == '('); open++)
        ;
    if (!*open || !strchr(open, ')'))
        return FALSE;
    for (const char *c = open + 2; *c && *c != ')'; c++) {
        if (*c == '`')
            continue;
        if (*c >= '0' && *c <= '9')
            value = value * 16 + (ULONG64)(*c - '0');
        else if (*c >= 'a' && *c <= 'f')
            value = value * 16 + (ULONG64)(*c - 'a' + 10);
        else
            return FALSE;
    }
    length = (size_t)(open - bracket - 1);
    if (length >= size)
        length = size - 1;
    memcpy(name, bracket + 1, length);
    name[length] = '\0';
    *address = value;
    return TRUE;
}

// Finds the loop around `rip`: TRUE when it is a spin (a PAUSE, no call).
static BOOLEAN KdpSpinFindLoop(ULONG64 rip, KD_SPIN *spin)
{
    KD_INSTRUCTION instruction;
    ULONG64 at = rip;
    char text[KD_SPIN_TEXT];
    BOOLEAN found = FALSE;

    memset(spin, 0, sizeof(*spin));
    for (ULONG i = 0; i < KD_SPIN_LOOKAHEAD && !found; i++) {
        ULONG length = KdpInstructionLength(at, &instruction);

        if (!length || instruction.Flow == KdFlowReturn || instruction.Flow == KdFlowStop)
            return FALSE;
        if ((instruction.Flow == KdFlowJump || instruction.Flow == KdFlowConditional) &&
            instruction.HasTarget && instruction.Target <= rip &&
            at + length - instruction.Target <= KD_SPIN_MAX_LOOP) {
            spin->LoopStart = instruction.Target;
            spin->LoopEnd = at + length;
            found = TRUE;
        }
        at += length;
    }
    if (!found)
        return FALSE;
    // The body: a PAUSE, no call; the last word read before a conditional
    // branch (the loop's exit test) is what the loop waits on.
    {
        ULONG64 pending = 0;
        char pendingName[sizeof(spin->WordName)] = "";

        for (at = spin->LoopStart; at < spin->LoopEnd;) {
            UCHAR bytes[2] = { 0, 0 };
            ULONG length = KdpInstructionLength(at, &instruction);
            ULONG64 word;
            char name[sizeof(spin->WordName)];

            if (!length || instruction.Flow == KdFlowCall)
                return FALSE;
            if (length == 2 && KdpReadMemory(at, bytes, 2) && bytes[0] == 0xf3 &&
                bytes[1] == 0x90)
                spin->Pause = at;
            if (KdpDisassembleOne(at, text, sizeof(text)) &&
                KdpSpinReadOperand(text, &word, name, sizeof(name))) {
                pending = word;
                RtlStringPrintf(pendingName, sizeof(pendingName), "%s", name);
            }
            if (instruction.Flow == KdFlowConditional && pending && !spin->Word) {
                spin->Word = pending;
                RtlStringPrintf(spin->WordName, sizeof(spin->WordName), "%s", pendingName);
            }
            at += length;
        }
    }
    return spin->Pause != 0;
}

// What the word's value says, as a spin lock's: "0000000000000001, names no
// processor (a held spin lock holds its owner's PRCB + 1): no one who could
// release it holds it".
static void KdpSpinDescribeWord(const KD_SPIN *spin, char *text, size_t size)
{
    ULONG64 value = 0, prcb = (ULONG64)(ULONG_PTR)KeGetCurrentPrcb();

    if (!KdpReadMemory(spin->Word, &value, sizeof(value))) {
        RtlStringPrintf(text, size, "%s (%016llx, unreadable)", spin->WordName,
                        (unsigned long long)spin->Word);
        return;
    }
    RtlStringPrintf(text, size, "%s (%016llx) = %llx%s", spin->WordName,
                    (unsigned long long)spin->Word, (unsigned long long)value,
                    !value ? ", free: the loop is about to leave"
                    : value == prcb + 1
                        ? ", held by this very processor: it can never be released while it spins"
                        : ", names no processor (a held spin lock holds its owner's PRCB + 1): "
                          "nobody who could release it holds it");
}

void KdpWaitRunningStep(ULONG64 thread, const KTHREAD *tcb, KD_WAIT_STEP *step)
{
    (void)tcb;
    KPRCB prcb;
    KD_SPIN spin;
    char where[112], word[200];
    const KTRAP_FRAME *frame = KdpState.EntryTrapFrame;
    BOOLEAN interrupted = thread == KdpCurrentThread() && frame;
    size_t length;

    step->End = KdWaitRunning;
    if (KdpReadMemory((ULONG64)(ULONG_PTR)KeGetCurrentPrcb(), &prcb, sizeof(prcb)) &&
        (ULONG64)(ULONG_PTR)prcb.IdleThread == thread) {
        step->End = KdWaitIdle;
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "waits by design: the idle thread of processor %u (it runs when "
                        "nothing else is ready)", prcb.Number);
        return;
    }
    if (!interrupted) {
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "running on processor %u: not blocked", KeGetCurrentProcessorNumber());
        return;
    }
    step->Irql = KdpState.EntryIrql;
    step->IrqlKnown = TRUE;
    RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                    "running on processor %u at %s (IRQL %u, saved at the break-in)%s",
                    KeGetCurrentProcessorNumber(), KdpIrqlName(step->Irql), step->Irql,
                    step->Irql >= DISPATCH_LEVEL
                        ? ": nothing below DISPATCH_LEVEL runs on that processor, the scheduler "
                          "included"
                        : ": not blocked");
    if (!KdpSpinFindLoop(frame->Rip, &spin))
        return;
    step->Spinning = TRUE;
    step->Object = spin.Word;
    KdpFormatAddressSymbol(spin.LoopStart, where, sizeof(where));
    length = strlen(step->Evidence);
    if (spin.Word)
        KdpSpinDescribeWord(&spin, word, sizeof(word));
    RtlStringPrintf(step->Evidence + length, sizeof(step->Evidence) - length,
                    "; it spins: a loop at %s with a PAUSE and no call%s%s", where,
                    spin.Word ? ", waiting for " : "", spin.Word ? word : "");
}
