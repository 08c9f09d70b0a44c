// Registers and stacks as KD prints them. The walk follows the chain of saved
// frame pointers (the kernel is built with -fno-omit-frame-pointer); every
// read is fault-safe, and a chain that stops making sense ends the walk.

#include "kd/kd.h"
#include "ke/ke.h"
#include "arch/x86_64/x86.h"
#include "mm/mm.h"
#include "ps/ps.h"

#define KD_MAX_FRAME_SIZE (64 * 1024)   // a larger jump means a broken chain
#define KD_SYSTEM_CALL_VECTOR 0x2E      // KTRAP_FRAME.Vector of a system call (syscall.asm)

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
    KdpFormatAddressSymbol(frame->Rip, symbol, sizeof(symbol));
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

    KdpFormatAddressSymbol(callSite, symbol, sizeof(symbol));
    KdpPrint("%*s", (int)indent, "");
    KdpPrintAddress(childSp);
    KdpPrint(" ");
    KdpPrintAddress(returnAddress);
    KdpPrint(" %s", symbol);
}

// ---- The user part of a stack ------------------------------------------------------------

static BOOLEAN KdpIsUserAddress(ULONG64 address)
{
    return address < MM_USER_PROBE_ADDRESS;
}

// "hello!main+0x1a" for an address in the program's image, which every user
// program has at the same base (user/linker.ld), named from the program's
// own ELF symbols (in the boot archive); "hello+0x1a2b" when it has none
// there. WinDbg names a module after its file without the extension. Other
// addresses print bare, as WinDbg prints code it has no module for.
static void KdpPrintUserFrame(ULONG indent, const char *imageName, ULONG64 childSp,
                              ULONG64 returnAddress, ULONG64 callSite)
{
    const char *dot = strchr(imageName, '.');
    int moduleLength = (int)(dot ? (size_t)(dot - imageName) : strlen(imageName));
    char symbol[128];

    KdpPrint("%*s", (int)indent, "");
    KdpPrintAddress(childSp);
    KdpPrint(" ");
    KdpPrintAddress(returnAddress);
    if (callSite < KD_USER_IMAGE_BASE || callSite >= KD_USER_IMAGE_BASE + KD_USER_IMAGE_SPAN)
        KdpPrint(" 0x%llx\n", (unsigned long long)callSite);
    else if (KdpFormatUserSymbol(imageName, callSite, symbol, sizeof(symbol), NULL))
        KdpPrint(" %s\n", symbol);
    else
        KdpPrint(" %.*s+0x%llx\n", moduleLength, imageName,
                 (unsigned long long)(callSite - KD_USER_IMAGE_BASE));
}

// Walks the user frames from the trap frame's registers, reading the
// thread's own address space. A system call is made from a stub with no
// frame of its own (user/lib/syscalls.c: syscall, ret), so at a system
// call the stub's return address is the word at rsp.
static void KdpPrintUserStack(const KD_STACK_START *start, const KTRAP_FRAME *trap, ULONG frame,
                              ULONG maxFrames, ULONG indent)
{
    ULONG64 dtb = start->DirectoryTableBase;
    ULONG64 callSite = trap->Rip, childSp = trap->Rsp, rbp = trap->Rbp;
    char module[PROCESS_IMAGE_NAME_LENGTH + 1];

    if (!KdpReadImageName(start->Process, module, sizeof(module)) || !module[0])
        RtlStringPrintf(module, sizeof(module), "user");
    if (trap->Vector == KD_SYSTEM_CALL_VECTOR && frame < maxFrames) {
        ULONG64 returnAddress = 0;

        KdpReadProcessMemory(dtb, childSp, &returnAddress, sizeof(returnAddress));
        KdpPrintUserFrame(indent, module, childSp, returnAddress, callSite);
        if (!returnAddress || !KdpIsUserAddress(returnAddress))
            return;
        callSite = returnAddress;
        childSp += sizeof(ULONG64);
        frame++;
    }
    for (; frame < maxFrames; frame++) {
        ULONG64 record[2] = { 0, 0 };   // saved rbp, return address

        if (rbp == 0 || (rbp & 7) || !KdpIsUserAddress(rbp) ||
            !KdpReadProcessMemory(dtb, rbp, record, sizeof(record))) {
            KdpPrintUserFrame(indent, module, childSp, 0, callSite);
            if (rbp != 0)
                KdpPrint("%*s(the user frame chain ends here: rbp %016llx cannot be read in "
                         "the process)\n", (int)indent, "", (unsigned long long)rbp);
            return;
        }
        KdpPrintUserFrame(indent, module, childSp, record[1], callSite);
        if (record[1] == 0)
            return;
        if (record[0] != 0 && (record[0] <= rbp || record[0] - rbp > KD_MAX_FRAME_SIZE)) {
            KdpPrint("%*s(the user frame chain ends here: saved rbp %016llx does not follow)\n",
                     (int)indent, "", (unsigned long long)record[0]);
            return;
        }
        callSite = record[1];
        childSp = rbp + 16;
        rbp = record[0];
    }
    KdpPrint("%*s(more frames not shown)\n", (int)indent, "");
}

// The kernel walk reached the trap from user mode: the last kernel frame
// names the trap frame, as WinDbg's does, and the user frames follow.
static void KdpContinueInUserMode(const KD_STACK_START *start, ULONG frame, ULONG maxFrames,
                                  ULONG indent)
{
    KTRAP_FRAME trap;

    if (!KdpReadMemory(start->UserTrapFrame, &trap, sizeof(trap))) {
        KdpPrint("\n%*s(the user trap frame at %016llx cannot be read)\n", (int)indent, "",
                 (unsigned long long)start->UserTrapFrame);
        return;
    }
    KdpPrint(" (TrapFrame @ ");
    KdpPrintAddress(start->UserTrapFrame);
    KdpPrint(")\n");
    KdpPrintUserStack(start, &trap, frame, maxFrames, indent);
}

// Frame 0 is the code at start->Rip with stack pointer start->Rsp (after the
// frameless leaf, if there is one); each saved frame record [rbp] = caller's
// rbp, [rbp+8] = return address gives the next.
void KdpPrintStackFrom(const KD_STACK_START *start, ULONG maxFrames, ULONG indent)
{
    ULONG64 callSite = start->Rip, childSp = start->Rsp, rbp = start->Rbp;
    ULONG frame = 0;

    KdpPrint("%*sChild-SP          RetAddr           Call Site\n", (int)indent, "");
    if (start->UserTrapFrame && KdpIsUserAddress(start->Rip)) {
        // Stopped in user mode itself: there are no kernel frames.
        KTRAP_FRAME trap;

        if (KdpReadMemory(start->UserTrapFrame, &trap, sizeof(trap)))
            KdpPrintUserStack(start, &trap, 0, maxFrames, indent);
        return;
    }
    if (start->LeafRip && maxFrames) {
        KdpPrintFrame(indent, start->LeafSp, start->Rip, start->LeafRip);
        KdpPrint("\n");
        frame++;
    }
    for (; frame < maxFrames; frame++) {
        ULONG64 record[2] = { 0, 0 };   // saved rbp, return address

        if (rbp == 0 || (rbp & 7) || !KdpReadMemory(rbp, record, sizeof(record))) {
            if (start->UserTrapFrame && rbp == 0) {
                // The system-call entry cleared rbp: the kernel stack ends
                // at the trap, and the frame returns to the user's rip.
                KTRAP_FRAME trap = { 0 };

                KdpReadMemory(start->UserTrapFrame, &trap, sizeof(trap));
                KdpPrintFrame(indent, childSp, trap.Rip, callSite);
                KdpContinueInUserMode(start, frame + 1, maxFrames, indent);
                return;
            }
            KdpPrintFrame(indent, childSp, 0, callSite);
            KdpPrint("\n");
            return;
        }
        KdpPrintFrame(indent, childSp, record[1], callSite);
        if (start->UserTrapFrame && KdpIsUserAddress(record[1])) {
            // An interrupt's frame record (trapentry.asm) links to user code.
            KdpContinueInUserMode(start, frame + 1, maxFrames, indent);
            return;
        }
        KdpPrint("\n");
        if (record[1] == 0)
            return;
        if (record[0] != 0 && (record[0] <= rbp || record[0] - rbp > KD_MAX_FRAME_SIZE)) {
            KdpPrintFrame(indent, rbp + 16, 0, record[1]);
            KdpPrint("\n%*s(the frame chain ends here: saved rbp %016llx does not follow)\n",
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
    KD_STACK_START start = { 0, 0, rip, rsp, rbp, 0, 0, 0 };

    KdpPrintStackFrom(&start, maxFrames, 0);
}

ULONG KdpCollectCallSites(const KD_STACK_START *start, ULONG64 *sites, ULONG max)
{
    ULONG64 rbp = start->Rbp;
    ULONG count = 0;

    if (KdpIsUserAddress(start->Rip))
        return 0;
    if (start->LeafRip && count < max)
        sites[count++] = start->LeafRip;
    if (count < max)
        sites[count++] = start->Rip;
    while (count < max) {
        ULONG64 record[2] = { 0, 0 };   // saved rbp, return address

        if (rbp == 0 || (rbp & 7) || !KdpReadMemory(rbp, record, sizeof(record)) ||
            record[1] == 0 || KdpIsUserAddress(record[1]))
            break;
        sites[count++] = record[1];
        if (record[0] != 0 && (record[0] <= rbp || record[0] - rbp > KD_MAX_FRAME_SIZE))
            break;
        rbp = record[0];
    }
    return count;
}
