// Registers and stacks as KD prints them. The walk unwinds by the images'
// call frame information (kd/unwind.c: every image is built with
// -fasynchronous-unwind-tables), so each frame's rbx, rbp and r12-r15 are
// known; where an address has no FDE (the NASM entry stubs) it follows the
// saved frame pointer as before (-fno-omit-frame-pointer), and the two stubs
// that build a KTRAP_FRAME are described here: the registers of what they
// interrupted are in it. Every read is fault-safe, and a chain that stops
// making sense ends the walk.

#include "kd/kd.h"
#include "ke/ke.h"
#include "arch/x86_64/x86.h"
#include "mm/mm.h"
#include "ps/ps.h"
#include "rtl/elf.h"
#include "kd/unwind.h"

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

// The data segment selectors: nothing reloads them after boot (neither the
// traps, nor syscall and sysret, nor iretq), so the live ones are every
// context's.
static void KdpReadDataSelectors(USHORT selectors[4])
{
    __asm__ volatile("mov %%ds, %0" : "=r"(selectors[0]));
    __asm__ volatile("mov %%es, %0" : "=r"(selectors[1]));
    __asm__ volatile("mov %%fs, %0" : "=r"(selectors[2]));
    __asm__ volatile("mov %%gs, %0" : "=r"(selectors[3]));
}

// The code at a user rip is read in the current thread's process (a user
// frame of `.frame`, or a thread `.thread` chose), whatever CR3 holds.
static BOOLEAN KdpReadCode(ULONG64 rip, UCHAR *code, SIZE_T size)
{
    KD_STACK_START start;

    if (KdpReadMemory(rip, code, size))
        return TRUE;
    memset(&start, 0, sizeof(start));
    return rip < MM_USER_PROBE_ADDRESS && KdpGetUserStackStart(KdpImplicitThread(), &start) &&
           KdpReadProcessMemory(start.DirectoryTableBase, rip, code, size);
}

void KdpPrintRegisters(const KTRAP_FRAME *frame)
{
    char symbol[128];
    UCHAR code[8];
    USHORT selectors[4];

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
    KdpPrint("iopl=%llu         ", (unsigned long long)((frame->EFlags >> 12) & 3));
    for (ULONG i = 0; i < ARRAYSIZE(KdpFlagNames); i++)
        KdpPrint("%s%s", i ? " " : "", (frame->EFlags & KdpFlagNames[i].Bit)
                                           ? KdpFlagNames[i].Set : KdpFlagNames[i].Clear);
    KdpReadDataSelectors(selectors);
    KdpPrint("\ncs=%04llx  ss=%04llx  ds=%04x  es=%04x  fs=%04x  gs=%04x             "
             "efl=%08llx\n", (unsigned long long)frame->SegCs, (unsigned long long)frame->SegSs,
             selectors[0], selectors[1], selectors[2], selectors[3],
             (unsigned long long)frame->EFlags);
    KdpFormatAddressSymbol(frame->Rip, symbol, sizeof(symbol));
    KdpPrint("%s:\n", symbol);
    KdpPrintAddress(frame->Rip);
    if (KdpReadCode(frame->Rip, code, sizeof(code))) {
        KdpPrint(" ");
        for (ULONG i = 0; i < sizeof(code); i++)
            KdpPrint("%02x", code[i]);
        KdpPrint("\n");
    } else {
        KdpPrint(" ????????????????\n");
    }
}

extern const UCHAR __EhFrameHdrStart[], __EhFrameHdrEnd[], __TextStart[], __TextEnd[];
void KiDispatchTrap(KTRAP_FRAME *frame);
void KiSystemServiceDispatch(KTRAP_FRAME *frame);
void KiSystemServiceExit(KTRAP_FRAME *frame, ULONG64 service);
// Where syscall.asm's direct call of a service returns.
extern const ULONG64 KiSystemCall64ServiceReturn;
NTSTATUS PspFindUserProgram(const char *name, const UCHAR **image, SIZE_T *size);

#define PT_GNU_EH_FRAME 0x6474E550U
#define KD_CALL_REL32 0xE8
#define KD_MAX_PROGRAM_HEADERS 32

// ---- Where the call frame information is ---------------------------------------------

static BOOLEAN KdpUnwindReadKernel(void *context, ULONG64 address, void *buffer, SIZE_T length)
{
    return KdpReadMemory(address, buffer, length);
}

static BOOLEAN KdpUnwindReadProcess(void *context, ULONG64 address, void *buffer,
                                    SIZE_T length)
{
    return KdpReadProcessMemory(*(const ULONG64 *)context, address, buffer, length);
}

// PT_GNU_EH_FRAME of the ELF image whose header and program headers are
// readable at `base` (a driver: its first segment starts at file offset 0).
static BOOLEAN KdpFindImageEhFrameHdr(const KD_CFI_SOURCE *reader, ULONG64 base, ULONG64 *hdr)
{
    ELF64_EHDR header;

    if (!reader->Read(reader->ReadContext, base, &header, sizeof(header)) ||
        header.Magic != ELF_MAGIC || header.PhEntSize != sizeof(ELF64_PHDR) ||
        header.PhNum > KD_MAX_PROGRAM_HEADERS)
        return FALSE;
    for (ULONG i = 0; i < header.PhNum; i++) {
        ELF64_PHDR phdr;

        if (!reader->Read(reader->ReadContext, base + header.PhOff + i * sizeof(phdr), &phdr,
                          sizeof(phdr)))
            return FALSE;
        if (phdr.Type == PT_GNU_EH_FRAME) {
            *hdr = base + phdr.VAddr;
            return TRUE;
        }
    }
    return FALSE;
}

// The kernel's own table (linker.ld), or the table of the driver holding `pc`.
static BOOLEAN KdpFindKernelCfi(ULONG64 pc, KD_CFI_SOURCE *source)
{
    KD_MODULE module;

    source->Read = KdpUnwindReadKernel;
    source->ReadContext = NULL;
    if (pc >= (ULONG64)__TextStart && pc < (ULONG64)__TextEnd) {
        source->EhFrameHdr = (ULONG64)__EhFrameHdrStart;
        return (ULONG64)__EhFrameHdrEnd != (ULONG64)__EhFrameHdrStart;
    }
    return KdpFindModuleByAddress(pc, &module) &&
           KdpFindImageEhFrameHdr(source, module.Base, &source->EhFrameHdr);
}

// A user program's table: where its program headers (in the boot archive's
// copy of the file) say it is loaded, read from the process.
static BOOLEAN KdpFindUserCfi(const char *imageName, const ULONG64 *dtb, KD_CFI_SOURCE *source)
{
    KD_CFI_SOURCE file;
    const UCHAR *image;
    SIZE_T size;

    if (!NT_SUCCESS(PspFindUserProgram(imageName, &image, &size)) || size < sizeof(ELF64_EHDR))
        return FALSE;
    // The archive is the kernel's memory: read it as such, bounded by size.
    file.Read = KdpUnwindReadKernel;
    file.ReadContext = NULL;
    if (((const ELF64_EHDR *)image)->PhOff + KD_MAX_PROGRAM_HEADERS * sizeof(ELF64_PHDR) > size)
        return FALSE;
    if (!KdpFindImageEhFrameHdr(&file, (ULONG64)image, &source->EhFrameHdr))
        return FALSE;
    source->EhFrameHdr -= (ULONG64)image;       // an ET_EXEC: VAddr is the address
    source->Read = KdpUnwindReadProcess;
    source->ReadContext = (void *)dtb;
    return TRUE;
}

// ---- The walk ------------------------------------------------------------------------

typedef struct _KD_WALK {
    const KD_STACK_START *Start;
    ULONG Flags;
    ULONG Indent;
    ULONG Max;
    ULONG Count;
    ULONG Target;               // the frame to capture, or ~0
    KD_FRAME *Captured;
    ULONG64 *Sites;             // KdpCollectCallSites: the kernel call sites
    ULONG SiteCount;
    BOOLEAN Stop;
    char Module[PROCESS_IMAGE_NAME_LENGTH + 1];
} KD_WALK;

static BOOLEAN KdpIsUserAddress(ULONG64 address)
{
    return address < MM_USER_PROBE_ADDRESS;
}

static void KdpWalkNote(KD_WALK *walk, const char *format, ULONG64 value)
{
    if (walk->Flags & KD_STACK_QUIET)
        return;
    KdpPrint("%*s", (int)walk->Indent, "");
    KdpPrint(format, (unsigned long long)value);
    KdpPrint("\n");
}

// "hello!main+0x1a" for an address in the program's image, which every user
// program has at the same base (user/linker.ld), named from the program's
// own ELF symbols (in the boot archive); "hello+0x1a2b" when it has none
// there. WinDbg names a module after its file without the extension. Other
// addresses print bare, as WinDbg prints code it has no module for.
static void KdpFormatUserFrame(const char *imageName, ULONG64 callSite, char *text, size_t size)
{
    const char *dot = strchr(imageName, '.');
    int moduleLength = (int)(dot ? (size_t)(dot - imageName) : strlen(imageName));

    if (callSite < KD_USER_IMAGE_BASE || callSite >= KD_USER_IMAGE_BASE + KD_USER_IMAGE_SPAN)
        RtlStringPrintf(text, size, "0x%llx", (unsigned long long)callSite);
    else if (!KdpFormatUserSymbol(imageName, callSite, text, size, NULL))
        RtlStringPrintf(text, size, "%.*s+0x%llx", moduleLength, imageName,
                        (unsigned long long)(callSite - KD_USER_IMAGE_BASE));
}

void KdpPrintFrameLine(const KD_FRAME *frame, ULONG index, ULONG flags, ULONG indent,
                       const char *imageName)
{
    char symbol[128];

    if (frame->User)
        KdpFormatUserFrame(imageName ? imageName : "user", frame->CallSite, symbol,
                           sizeof(symbol));
    else
        KdpFormatAddressSymbol(frame->CallSite, symbol, sizeof(symbol));
    KdpPrint("%*s", (int)indent, "");
    if (flags & KD_STACK_NUMBERS)
        KdpPrint("%02x ", index);
    KdpPrintAddress(frame->ChildSp);
    KdpPrint(" ");
    KdpPrintAddress(frame->ReturnAddress);
    if (flags & KD_STACK_ARGS) {
        // x64 "Args to Child": the four home slots above the return
        // address, where the caller's register arguments may be spilled.
        KdpPrint(" :");
        for (ULONG i = 0; i < 4; i++) {
            ULONG64 value = 0;
            BOOLEAN read = frame->Cfa != 0 &&
                           (frame->User ? KdpReadProcessMemory(frame->DirectoryTableBase,
                                                               frame->Cfa + i * 8, &value, 8)
                                        : KdpReadMemory(frame->Cfa + i * 8, &value, 8));

            KdpPrint(" ");
            if (read)
                KdpPrintAddress(value);
            else
                KdpPrint("????????`????????");
        }
        KdpPrint(" :");
    }
    KdpPrint(" ");
    if (!(flags & (KD_STACK_PARAMS | KD_STACK_PARAM_LINES)) ||
        !KdpPrintFrameFunction(frame, symbol, flags, imageName))
        KdpPrint("%s", symbol);
    if (frame->TrapFrame) {
        KdpPrint(" (TrapFrame @ ");
        KdpPrintAddress(frame->TrapFrame);
        KdpPrint(")");
    }
    KdpPrint("\n");
}

// One frame found: captured, collected or printed. FALSE when the walk is over.
static BOOLEAN KdpEmitFrame(KD_WALK *walk, const KD_FRAME *frame)
{
    if (walk->Count == walk->Target && walk->Captured) {
        *walk->Captured = *frame;
        walk->Stop = TRUE;
    }
    if (walk->Sites && !frame->User && walk->SiteCount < walk->Max)
        walk->Sites[walk->SiteCount++] = frame->CallSite;
    if (!(walk->Flags & KD_STACK_QUIET))
        KdpPrintFrameLine(frame, walk->Count, walk->Flags, walk->Indent, walk->Module);
    walk->Count++;
    return !walk->Stop && walk->Count < walk->Max;
}

void KdpContextFromTrap(const KTRAP_FRAME *trap, KD_UNWIND_CONTEXT *context)
{
    const ULONG64 values[KD_DW_REGISTERS] = {
        trap->Rax, trap->Rdx, trap->Rcx, trap->Rbx, trap->Rsi, trap->Rdi, trap->Rbp, trap->Rsp,
        trap->R8, trap->R9, trap->R10, trap->R11, trap->R12, trap->R13, trap->R14, trap->R15,
        trap->Rip,
    };

    memcpy(context->Value, values, sizeof(values));
    context->Valid = (1u << KD_DW_REGISTERS) - 1;
}

// Is `returnAddress` just past a `call target`?
static BOOLEAN KdpReturnsFromCallTo(ULONG64 returnAddress, ULONG64 target)
{
    UCHAR call[5];
    LONG displacement;

    if (!KdpReadMemory(returnAddress - sizeof(call), call, sizeof(call)) ||
        call[0] != KD_CALL_REL32)
        return FALSE;
    memcpy(&displacement, call + 1, sizeof(displacement));
    return returnAddress + (ULONG64)(LONG64)displacement == target;
}

// The NASM entry stubs have no FDE; the two that build a KTRAP_FRAME and
// call C are described here. KiTrapCommon (trapentry.asm) pushes a 16-byte
// frame record over the KTRAP_FRAME and calls KiDispatchTrap; KiSystemCall64
// (syscall.asm) calls, with rsp at the KTRAP_FRAME, KiSystemServiceDispatch,
// or a service of at most four arguments itself (the call returns to
// KiSystemCall64ServiceReturn) and then, when there is work to do on the way
// out, KiSystemServiceExit. `rsp` is the stub's stack pointer once the call
// has returned.
static ULONG64 KdpStubTrapFrame(ULONG64 returnAddress, ULONG64 rsp)
{
    if (KdpReturnsFromCallTo(returnAddress, (ULONG64)KiDispatchTrap))
        return rsp + 16;
    if (KdpReturnsFromCallTo(returnAddress, (ULONG64)KiSystemServiceDispatch) ||
        KdpReturnsFromCallTo(returnAddress, (ULONG64)KiSystemServiceExit) ||
        returnAddress == KiSystemCall64ServiceReturn)
        return rsp;
    return 0;
}

// One frame up by the CFI, or by the saved frame pointer where there is no
// FDE. `exact`: the frame's rip is where it stopped (frame 0, or the code a
// trap interrupted), not a return address, which is looked up one byte
// back (the call may be a function's last instruction).
static NTSTATUS KdpUnwindOne(KD_WALK *walk, const KD_CFI_SOURCE *userSource, BOOLEAN user,
                             BOOLEAN exact, KD_UNWIND_CONTEXT *context, ULONG64 *cfa,
                             BOOLEAN *byFramePointer)
{
    ULONG64 pc = context->Value[KD_DW_RA];
    ULONG64 dtb = walk->Start->DirectoryTableBase;
    KD_UNWIND_READ read = user ? KdpUnwindReadProcess : KdpUnwindReadKernel;
    void *readContext = user ? (void *)&dtb : NULL;
    KD_CFI_SOURCE source;
    KD_FRAME_RULES rules;
    ULONG64 rbp, record[2];     // saved rbp, return address

    *byFramePointer = FALSE;
    if (user ? userSource != NULL : KdpFindKernelCfi(pc, &source)) {
        if (user)
            source = *userSource;
        if (NT_SUCCESS(KdpUnwindFindRules(&source, exact ? pc : pc - 1, &rules)))
            return KdpUnwindStep(&rules, context, read, readContext, cfa);
    }
    *byFramePointer = TRUE;
    rbp = context->Value[KD_DW_RBP];
    if (!(context->Valid & KD_UNWIND_BIT(KD_DW_RBP)) || rbp == 0 || (rbp & 7) ||
        !read(readContext, rbp, record, sizeof(record)))
        return STATUS_NOT_FOUND;
    context->Valid = KD_UNWIND_BIT(KD_DW_RA) | KD_UNWIND_BIT(KD_DW_RSP) |
                     KD_UNWIND_BIT(KD_DW_RBP);
    context->Value[KD_DW_RA] = record[1];
    context->Value[KD_DW_RSP] = rbp + 16;
    context->Value[KD_DW_RBP] = record[0];
    *cfa = rbp + 16;
    return STATUS_SUCCESS;
}

// The user frames, from the registers of a trap from user mode, read in the
// thread's own address space.
static void KdpWalkUser(KD_WALK *walk, const KTRAP_FRAME *trap)
{
    const KD_STACK_START *start = walk->Start;
    KD_CFI_SOURCE source;
    BOOLEAN haveCfi = KdpFindUserCfi(walk->Module, &start->DirectoryTableBase, &source);
    KD_UNWIND_CONTEXT context;
    BOOLEAN exact = TRUE;

    KdpContextFromTrap(trap, &context);
    while (!walk->Stop && walk->Count < walk->Max) {
        KD_FRAME frame;
        KD_UNWIND_CONTEXT next = context;
        ULONG64 cfa = 0;
        BOOLEAN byFramePointer;
        NTSTATUS status;

        memset(&frame, 0, sizeof(frame));
        frame.User = TRUE;
        frame.Exact = exact;
        frame.DirectoryTableBase = start->DirectoryTableBase;
        frame.CallSite = context.Value[KD_DW_RA];
        frame.ChildSp = context.Value[KD_DW_RSP];
        frame.Registers = context;
        if (exact) {
            frame.EFlags = trap->EFlags;
            frame.SegCs = trap->SegCs;
            frame.SegSs = trap->SegSs;
        }
        status = KdpUnwindOne(walk, haveCfi ? &source : NULL, TRUE, exact, &next, &cfa,
                              &byFramePointer);
        if (!NT_SUCCESS(status)) {
            KdpEmitFrame(walk, &frame);
            if (byFramePointer && (context.Valid & KD_UNWIND_BIT(KD_DW_RBP)) &&
                context.Value[KD_DW_RBP] != 0)
                KdpWalkNote(walk, "(the user frame chain ends here: rbp %016llx cannot be read "
                            "in the process)", context.Value[KD_DW_RBP]);
            return;
        }
        frame.ReturnAddress = next.Value[KD_DW_RA];
        frame.Cfa = cfa;
        if (frame.ReturnAddress == 0) {
            KdpEmitFrame(walk, &frame);         // the bottom of the stack
            return;
        }
        if (!KdpEmitFrame(walk, &frame))
            break;
        if (!KdpIsUserAddress(frame.ReturnAddress) ||
            next.Value[KD_DW_RSP] <= context.Value[KD_DW_RSP] ||
            next.Value[KD_DW_RSP] - context.Value[KD_DW_RSP] > KD_MAX_FRAME_SIZE) {
            KdpWalkNote(walk, "(the user frame chain ends here: the frame above rsp %016llx "
                        "does not follow)", context.Value[KD_DW_RSP]);
            return;
        }
        context = next;
        exact = FALSE;
    }
    if (!walk->Stop && walk->Count >= walk->Max)
        KdpWalkNote(walk, "(more frames not shown)", 0);
}

// The kernel frame `frame` returns through the user-mode trap at `trap`:
// it is printed naming it, and the user frames follow.
static void KdpEnterUserMode(KD_WALK *walk, KD_FRAME *frame, ULONG64 trapAddress)
{
    KTRAP_FRAME trap;

    frame->TrapFrame = trapAddress;
    if (!KdpReadMemory(trapAddress, &trap, sizeof(trap))) {
        frame->ReturnAddress = 0;
        if (KdpEmitFrame(walk, frame))
            KdpWalkNote(walk, "(the user trap frame at %016llx cannot be read)", trapAddress);
        return;
    }
    frame->ReturnAddress = trap.Rip;
    if (KdpEmitFrame(walk, frame))
        KdpWalkUser(walk, &trap);
    else if (!walk->Stop)
        KdpWalkNote(walk, "(more frames not shown)", 0);
}

static void KdpWalk(KD_WALK *walk)
{
    const KD_STACK_START *start = walk->Start;
    KD_UNWIND_CONTEXT context;
    BOOLEAN exact = TRUE;
    ULONG64 trapFlags = 0, trapCs = 0, trapSs = 0;  // of the code a kernel trap interrupted

    if (!start->UserTrapFrame || !KdpReadImageName(start->Process, walk->Module,
                                                   sizeof(walk->Module)) || !walk->Module[0])
        RtlStringPrintf(walk->Module, sizeof(walk->Module), "user");
    if (walk->Max == 0)
        return;
    if (start->UserTrapFrame && KdpIsUserAddress(start->Rip)) {
        // Stopped in user mode itself: there are no kernel frames.
        KTRAP_FRAME trap;

        if (KdpReadMemory(start->UserTrapFrame, &trap, sizeof(trap)))
            KdpWalkUser(walk, &trap);
        return;
    }
    context = start->Registers;
    context.Value[KD_DW_RA] = start->Rip;
    context.Value[KD_DW_RSP] = start->Rsp;
    context.Value[KD_DW_RBP] = start->Rbp;
    context.Valid |= KD_UNWIND_BIT(KD_DW_RA) | KD_UNWIND_BIT(KD_DW_RSP) |
                     KD_UNWIND_BIT(KD_DW_RBP);
    if (start->LeafRip) {
        // KiSwapContext (ctxswap.asm) saved the registers and stopped: its
        // frame is the switch frame, and it returns to Rip with rsp at Rsp.
        KD_FRAME frame;

        memset(&frame, 0, sizeof(frame));
        frame.ChildSp = start->LeafSp;
        frame.ReturnAddress = start->Rip;
        frame.CallSite = start->LeafRip;
        frame.Cfa = start->Rsp;
        frame.Registers = context;
        frame.Registers.Value[KD_DW_RA] = start->LeafRip;
        frame.Registers.Value[KD_DW_RSP] = start->LeafSp;
        if (!KdpEmitFrame(walk, &frame))
            goto done;
        exact = FALSE;
    }
    for (;;) {
        KD_FRAME frame;
        KD_UNWIND_CONTEXT next = context;
        ULONG64 cfa = 0, trapAddress;
        BOOLEAN byFramePointer;

        memset(&frame, 0, sizeof(frame));
        frame.CallSite = context.Value[KD_DW_RA];
        frame.ChildSp = context.Value[KD_DW_RSP];
        frame.Registers = context;
        frame.Exact = exact;
        frame.EFlags = trapFlags;
        frame.SegCs = trapCs;
        frame.SegSs = trapSs;
        if (!NT_SUCCESS(KdpUnwindOne(walk, NULL, FALSE, exact, &next, &cfa, &byFramePointer))) {
            if (start->UserTrapFrame && byFramePointer &&
                context.Value[KD_DW_RBP] == 0) {
                // The system-call entry cleared rbp: the kernel stack ends
                // at the trap, and the frame returns to the user's rip.
                KdpEnterUserMode(walk, &frame, start->UserTrapFrame);
                return;
            }
            KdpEmitFrame(walk, &frame);
            return;
        }
        frame.ReturnAddress = next.Value[KD_DW_RA];
        frame.Cfa = cfa;
        if (frame.ReturnAddress == 0) {
            KdpEmitFrame(walk, &frame);
            return;
        }
        if (KdpIsUserAddress(frame.ReturnAddress)) {
            // A frame record (trapentry.asm) that links to user code.
            if (start->UserTrapFrame) {
                KdpEnterUserMode(walk, &frame, start->UserTrapFrame);
                return;
            }
            KdpEmitFrame(walk, &frame);
            return;
        }
        if (next.Value[KD_DW_RSP] <= context.Value[KD_DW_RSP] ||
            next.Value[KD_DW_RSP] - context.Value[KD_DW_RSP] > KD_MAX_FRAME_SIZE) {
            if (KdpEmitFrame(walk, &frame))
                KdpWalkNote(walk, byFramePointer
                            ? "(the frame chain ends here: saved rbp %016llx does not follow)"
                            : "(the stack walk ends here: the caller's rsp %016llx does not "
                              "follow)", byFramePointer ? next.Value[KD_DW_RBP]
                                                        : next.Value[KD_DW_RSP]);
            return;
        }
        if (!KdpEmitFrame(walk, &frame))
            goto done;
        context = next;
        exact = FALSE;
        trapAddress = KdpStubTrapFrame(context.Value[KD_DW_RA], context.Value[KD_DW_RSP]);
        if (trapAddress) {
            KTRAP_FRAME trap;

            memset(&frame, 0, sizeof(frame));
            frame.CallSite = context.Value[KD_DW_RA];
            frame.ChildSp = context.Value[KD_DW_RSP];
            frame.Cfa = trapAddress;
            frame.Registers = context;
            if (!KdpReadMemory(trapAddress, &trap, sizeof(trap))) {
                KdpEmitFrame(walk, &frame);
                return;
            }
            if ((trap.SegCs & RPL_MASK) == RPL_MASK) {
                KdpEnterUserMode(walk, &frame, trapAddress);
                return;
            }
            // A trap in kernel mode: what it interrupted has every register.
            frame.TrapFrame = trapAddress;
            frame.ReturnAddress = trap.Rip;
            if (!KdpEmitFrame(walk, &frame))
                goto done;
            KdpContextFromTrap(&trap, &context);
            trapFlags = trap.EFlags;
            trapCs = trap.SegCs;
            trapSs = trap.SegSs;
            exact = TRUE;
            continue;
        }
        trapFlags = trapCs = trapSs = 0;
    }
done:
    if (!walk->Stop)
        KdpWalkNote(walk, "(more frames not shown)", 0);
}

void KdpPrintStackEx(const KD_STACK_START *start, ULONG maxFrames, ULONG indent, ULONG flags)
{
    KD_WALK walk;

    memset(&walk, 0, sizeof(walk));
    walk.Start = start;
    walk.Flags = flags;
    walk.Indent = indent;
    walk.Max = maxFrames;
    walk.Target = ~0u;
    KdpPrint("%*s%sChild-SP          RetAddr           ", (int)indent, "",
             (flags & KD_STACK_NUMBERS) ? " # " : "");
    if (flags & KD_STACK_ARGS)
        KdpPrint(": %-71s : ", "Args to Child");    // four 17-column values
    KdpPrint("Call Site\n");
    KdpWalk(&walk);
}

void KdpPrintStackFrom(const KD_STACK_START *start, ULONG maxFrames, ULONG indent)
{
    KdpPrintStackEx(start, maxFrames, indent, 0);
}

void KdpPrintStackFromTrap(const KTRAP_FRAME *trap, ULONG maxFrames)
{
    KD_STACK_START start;

    memset(&start, 0, sizeof(start));
    start.Rip = trap->Rip;
    start.Rsp = trap->Rsp;
    start.Rbp = trap->Rbp;
    KdpContextFromTrap(trap, &start.Registers);
    KdpPrintStackFrom(&start, maxFrames, 0);
}

BOOLEAN KdpGetStackFrame(const KD_STACK_START *start, ULONG index, KD_FRAME *frame,
                         char *imageName, size_t imageNameSize)
{
    KD_WALK walk;

    memset(&walk, 0, sizeof(walk));
    walk.Start = start;
    walk.Flags = KD_STACK_QUIET;
    walk.Max = index + 1;
    walk.Target = index;
    walk.Captured = frame;
    KdpWalk(&walk);
    if (imageName)
        RtlStringPrintf(imageName, imageNameSize, "%s", walk.Module);
    return walk.Stop;
}

ULONG KdpCollectCallSites(const KD_STACK_START *start, ULONG64 *sites, ULONG max)
{
    KD_WALK walk;

    if (KdpIsUserAddress(start->Rip))
        return 0;
    memset(&walk, 0, sizeof(walk));
    walk.Start = start;
    walk.Flags = KD_STACK_QUIET;
    walk.Max = max;
    walk.Target = ~0u;
    walk.Sites = sites;
    KdpWalk(&walk);
    return walk.SiteCount;
}
