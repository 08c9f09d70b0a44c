// Registers and stacks as KD prints them. The walk follows the chain of saved
// frame pointers (the kernel is built with -fno-omit-frame-pointer); every
// read is fault-safe, and a chain that stops making sense ends the walk.

#include "kd/kd.h"
#include "ke/ke.h"
#include "arch/x86_64/x86.h"

#define KD_MAX_FRAME_SIZE (64 * 1024)   // a larger jump means a broken chain

typedef struct _KD_FLAG_NAME {
    ULONG64 Bit;
    const char *Set;
    const char *Clear;
} KD_FLAG_NAME;

// WinDbg's order and mnemonics for the flags line.
static const KD_FLAG_NAME KdpFlagNames[] = {
    { 1ULL << 11, "ov", "nv" }, { 1ULL << 10, "dn", "up" }, { 1ULL << 9, "ei", "di" },
    { 1ULL << 7, "ng", "pl" },  { 1ULL << 6, "zr", "nz" },  { 1ULL << 4, "ac", "na" },
    { 1ULL << 2, "pe", "po" },  { 1ULL << 0, "cy", "nc" },
};

void KdpPrintRegisters(const KTRAP_FRAME *frame)
{
    char symbol[128];
    UCHAR code[8];

    KdpPrint("rax=%016llx rbx=%016llx rcx=%016llx\n", (unsigned long long)frame->Rax,
             (unsigned long long)frame->Rbx, (unsigned long long)frame->Rcx);
    KdpPrint("rdx=%016llx rsi=%016llx rdi=%016llx\n", (unsigned long long)frame->Rdx,
             (unsigned long long)frame->Rsi, (unsigned long long)frame->Rdi);
    KdpPrint("rip=%016llx rsp=%016llx rbp=%016llx\n", (unsigned long long)frame->Rip,
             (unsigned long long)frame->Rsp, (unsigned long long)frame->Rbp);
    KdpPrint(" r8=%016llx  r9=%016llx r10=%016llx\n", (unsigned long long)frame->R8,
             (unsigned long long)frame->R9, (unsigned long long)frame->R10);
    KdpPrint("r11=%016llx r12=%016llx r13=%016llx\n", (unsigned long long)frame->R11,
             (unsigned long long)frame->R12, (unsigned long long)frame->R13);
    KdpPrint("r14=%016llx r15=%016llx\n", (unsigned long long)frame->R14,
             (unsigned long long)frame->R15);
    KdpPrint("iopl=%llu        ", (unsigned long long)((frame->EFlags >> 12) & 3));
    for (ULONG i = 0; i < ARRAYSIZE(KdpFlagNames); i++)
        KdpPrint("%s%s", i ? " " : "", (frame->EFlags & KdpFlagNames[i].Bit)
                                           ? KdpFlagNames[i].Set : KdpFlagNames[i].Clear);
    KdpPrint("\ncs=%04llx  ss=%04llx                                    efl=%08llx\n",
             (unsigned long long)frame->SegCs, (unsigned long long)frame->SegSs,
             (unsigned long long)frame->EFlags);
    KdpFormatSymbol(&KdpKernelSymbols, frame->Rip, symbol, sizeof(symbol));
    KdpPrint("%s:\n", symbol);
    KdpPrintAddress(frame->Rip);
    if (KdpReadMemory(frame->Rip, code, sizeof(code))) {
        KdpPrint(" ");
        for (ULONG i = 0; i < sizeof(code); i++)
            KdpPrint("%02x", code[i]);
        KdpPrint("\n");
    } else {
        KdpPrint(" ????????????????\n");
    }
}

static void KdpPrintFrame(ULONG indent, ULONG64 childSp, ULONG64 returnAddress,
                          ULONG64 callSite)
{
    char symbol[128];

    KdpFormatSymbol(&KdpKernelSymbols, callSite, symbol, sizeof(symbol));
    KdpPrint("%*s", (int)indent, "");
    KdpPrintAddress(childSp);
    KdpPrint(" ");
    KdpPrintAddress(returnAddress);
    KdpPrint(" %s\n", symbol);
}

// Frame 0 is the code at start->Rip with stack pointer start->Rsp (after the
// frameless leaf, if there is one); each saved frame record [rbp] = caller's
// rbp, [rbp+8] = return address gives the next.
void KdpPrintStackFrom(const KD_STACK_START *start, ULONG maxFrames, ULONG indent)
{
    ULONG64 callSite = start->Rip, childSp = start->Rsp, rbp = start->Rbp;
    ULONG frame = 0;

    KdpPrint("%*sChild-SP          RetAddr           Call Site\n", (int)indent, "");
    if (start->LeafRip && maxFrames) {
        KdpPrintFrame(indent, start->LeafSp, start->Rip, start->LeafRip);
        frame++;
    }
    for (; frame < maxFrames; frame++) {
        ULONG64 record[2] = { 0, 0 };   // saved rbp, return address

        if (rbp == 0 || (rbp & 7) || !KdpReadMemory(rbp, record, sizeof(record))) {
            KdpPrintFrame(indent, childSp, 0, callSite);
            return;
        }
        KdpPrintFrame(indent, childSp, record[1], callSite);
        if (record[1] == 0)
            return;
        if (record[0] != 0 && (record[0] <= rbp || record[0] - rbp > KD_MAX_FRAME_SIZE)) {
            KdpPrintFrame(indent, rbp + 16, 0, record[1]);
            KdpPrint("%*s(the frame chain ends here: saved rbp %016llx does not follow)\n",
                     (int)indent, "", (unsigned long long)record[0]);
            return;
        }
        callSite = record[1];
        childSp = rbp + 16;
        rbp = record[0];
    }
    KdpPrint("%*s(more frames not shown)\n", (int)indent, "");
}

void KdpPrintStack(ULONG64 rip, ULONG64 rsp, ULONG64 rbp, ULONG maxFrames)
{
    KD_STACK_START start = { 0, 0, rip, rsp, rbp };

    KdpPrintStackFrom(&start, maxFrames, 0);
}
