// Entering and leaving the debugger. KdpTrap runs with interrupts off on
// the trapping processor; it reads commands by polling the consoles, so the
// rest of the system stays exactly as it was until `g`.

#include "kd/kd.h"
#include "kd/kdbp.h"
#include "kd/lineedit.h"
#include "ke/ke.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"
#include "mm/mi.h"
#include "ps/ps.h"

#define KD_INT3_LENGTH 1
#define KD_INT3_OPCODE 0xCC
#define KD_REPEAT_LINE_MAX 8
#define KD_PAGE_TABLE_ENTRIES 512

KD_STATE KdpState;
KD_SYMBOL_TABLE KdpKernelSymbols;
static KD_LINE_EDITOR KdpLineEditor;
static BOOLEAN KdpAfterBugCheck;

extern UCHAR __KernelImageStart[], __KernelImageEnd[];

// While a test captures the output, it is also kept here (cut at the end).
static char *KdpCaptureBuffer;
static size_t KdpCaptureSize;
static size_t KdpCaptureLength;

static void KdpCaptureSink(void *context, const char *text, size_t length)
{
    if (KdpCaptureLength + 1 >= KdpCaptureSize)
        return;
    if (length > KdpCaptureSize - 1 - KdpCaptureLength)
        length = KdpCaptureSize - 1 - KdpCaptureLength;
    memcpy(KdpCaptureBuffer + KdpCaptureLength, text, length);
    KdpCaptureLength += length;
    KdpCaptureBuffer[KdpCaptureLength] = '\0';
}

void KdpSetOutputCapture(char *buffer, size_t size)
{
    KdpCaptureBuffer = size ? buffer : NULL;
    KdpCaptureSize = size;
    KdpCaptureLength = 0;
    if (KdpCaptureBuffer)
        KdpCaptureBuffer[0] = '\0';
}

// The debugger's output goes to every console, as DbgPrint's does.
void KdpPrint(const char *format, ...)
{
    va_list args;

    if (KdpCancelled())
        return;
    if (KdpCaptureBuffer) {
        va_start(args, format);
        RtlFormatV(KdpCaptureSink, NULL, format, args);
        va_end(args);
    }
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

// The address space `.process` (or `.thread`) chose for user addresses:
// its page tables' physical address; FALSE when the commands read the user
// half as CR3 maps it (no context chosen, or the choice is unreadable).
static BOOLEAN KdpContextDirectoryTableBase(ULONG64 *directoryTableBase)
{
    ULONG64 process = KdpImplicitProcessOverride();

    return process &&
           KeReadMemorySafe(process + FIELD_OFFSET(EPROCESS, Pcb.DirectoryTableBase),
                            directoryTableBase, sizeof(*directoryTableBase)) &&
           *directoryTableBase != 0;
}

static BOOLEAN KdpIsUserRange(ULONG64 address, SIZE_T length)
{
    return address < KD_USER_SPACE_END && length <= KD_USER_SPACE_END - address;
}

// A user address in the chosen process is read through that process's
// page tables (KdpReadProcessMemory), never by loading its CR3: the
// debugger runs on whatever stack and address space it interrupted, and
// leaves them as they were.
BOOLEAN KdpReadMemory(ULONG64 address, void *buffer, SIZE_T length)
{
    ULONG64 directoryTableBase;

    if (length && KdpIsUserRange(address, length) &&
        KdpContextDirectoryTableBase(&directoryTableBase))
        return KdpReadProcessMemory(directoryTableBase, address, buffer, length);
    return KeReadMemorySafe(address, buffer, length);
}

// One step of the walk: the entry for `address` in the table at physical
// `table`, whose entries each map 2^shift bytes.
static BOOLEAN KdpReadTableEntry(ULONG64 table, ULONG64 address, ULONG shift, ULONG64 *entry)
{
    ULONG64 index = (address >> shift) & (KD_PAGE_TABLE_ENTRIES - 1);

    return KdpReadMemory(MM_DIRECT_MAP_BASE + table + index * sizeof(ULONG64), entry,
                         sizeof(*entry)) && (*entry & PTE_PRESENT);
}

// The physical address of `address` in the address space whose PML4 is at
// physical `directoryTableBase`, following large pages (1 GiB and 2 MiB)
// where the walk meets them. Every table is read through the direct map.
static BOOLEAN KdpTranslateAddress(ULONG64 directoryTableBase, ULONG64 address,
                                   ULONG64 *physical, BOOLEAN *writable)
{
    static const ULONG shifts[] = { 39, 30, 21, 12 };    // PML4, PDPT, PD, PT
    ULONG64 table = directoryTableBase & PTE_FRAME;

    *writable = TRUE;
    // A non-canonical address is in no address space.
    if ((ULONG64)((LONG64)(address << 16) >> 16) != address)
        return FALSE;
    for (ULONG level = 0; level < ARRAYSIZE(shifts); level++) {
        ULONG64 entry;

        if (!KdpReadTableEntry(table, address, shifts[level], &entry))
            return FALSE;
        if (!(entry & PTE_WRITE))
            *writable = FALSE;      // a page is writable only if every level says so
        if (level == ARRAYSIZE(shifts) - 1 || ((entry & PTE_LARGE) && level > 0)) {
            ULONG64 size = 1ULL << shifts[level];

            *physical = ((entry & PTE_FRAME) & ~(size - 1)) + (address & (size - 1));
            return TRUE;
        }
        table = entry & PTE_FRAME;
    }
    return FALSE;
}

BOOLEAN KdpNextMappedPage(ULONG64 directoryTableBase, ULONG64 address, ULONG64 end,
                          ULONG64 *page)
{
    static const ULONG shifts[] = { 39, 30, 21, 12 };    // PML4, PDPT, PD, PT

    address = ALIGN_DOWN_BY(address, PAGE_SIZE);
    while (address < end && KiIsCanonical(address)) {
        ULONG64 table = directoryTableBase & PTE_FRAME;
        ULONG level;

        for (level = 0; level < ARRAYSIZE(shifts); level++) {
            ULONG64 entry;

            if (!KdpReadTableEntry(table, address, shifts[level], &entry))
                break;
            if (level == ARRAYSIZE(shifts) - 1 || ((entry & PTE_LARGE) && level > 0)) {
                *page = address;
                return TRUE;
            }
            table = entry & PTE_FRAME;
        }
        // Nothing is mapped in the rest of the range this level's entry covers.
        ULONG64 next = ALIGN_DOWN_BY(address, 1ULL << shifts[level]) + (1ULL << shifts[level]);

        if (next <= address)
            break;          // wrapped past the top of the address space
        address = next;
    }
    return FALSE;
}

BOOLEAN KdpReadProcessMemory(ULONG64 directoryTableBase, ULONG64 address, void *buffer,
                             SIZE_T length)
{
    UCHAR *out = buffer;

    while (length) {
        ULONG64 physical;
        BOOLEAN writable;
        SIZE_T chunk = PAGE_SIZE - (address & (PAGE_SIZE - 1));

        if (chunk > length)
            chunk = length;
        if (!KdpTranslateAddress(directoryTableBase, address, &physical, &writable) ||
            !KeReadMemorySafe(MM_DIRECT_MAP_BASE + physical, out, chunk))
            return FALSE;
        out += chunk;
        address += chunk;
        length -= chunk;
    }
    return TRUE;
}

// Writes through another address space's page tables, as the read does,
// but only into pages its tables map writable: the debugger does not
// write where the process itself could not.
static BOOLEAN KdpWriteProcessMemory(ULONG64 directoryTableBase, ULONG64 address,
                                    const void *buffer, SIZE_T length)
{
    const UCHAR *in = buffer;

    while (length) {
        ULONG64 physical;
        BOOLEAN writable;
        SIZE_T chunk = PAGE_SIZE - (address & (PAGE_SIZE - 1));

        if (chunk > length)
            chunk = length;
        if (!KdpTranslateAddress(directoryTableBase, address, &physical, &writable) ||
            !writable ||
            KiCopyMemorySafe((void *)(MM_DIRECT_MAP_BASE + physical), in, chunk) != 0)
            return FALSE;
        in += chunk;
        address += chunk;
        length -= chunk;
    }
    return TRUE;
}

// The write twin of KdpReadMemory: the same fault-safe copy, the other way.
// A page mapped read-only (the kernel's code and read-only data: CR0.WP is
// set) faults, and the fault ends the copy: the write fails, nothing is
// forced through.
BOOLEAN KdpWriteMemory(ULONG64 address, const void *buffer, SIZE_T length)
{
    ULONG64 directoryTableBase;

    if (!length)
        return TRUE;
    if (KdpIsUserRange(address, length) && KdpContextDirectoryTableBase(&directoryTableBase))
        return KdpWriteProcessMemory(directoryTableBase, address, buffer, length);
    if (!KiIsCanonical(address) || !KiIsCanonical(address + length - 1))
        return FALSE;
    return KiCopyMemorySafe((void *)address, buffer, length) == 0;
}

static void KdpEcho(const char *text, size_t length)
{
    HalDisplayString(text, length);
}

static const char *const *KdpScript;
static BOOLEAN *KdpScriptExhausted;

void KdpSetScriptedInput(const char *const *lines, BOOLEAN *exhausted)
{
    KdpScript = lines;
    KdpScriptExhausted = exhausted;
}

// Reads one line into the editor's buffer; FALSE if it was cancelled.
static BOOLEAN KdpReadLine(void)
{
    KdpLineEditorReset(&KdpLineEditor);
    if (KdpScript) {
        const char *line = *KdpScript;

        if (line) {
            KdpScript++;
        } else {
            line = "g";
            if (KdpScriptExhausted)
                *KdpScriptExhausted = TRUE;
        }
        RtlStringPrintf(KdpLineEditor.Buffer, sizeof(KdpLineEditor.Buffer), "%s", line);
        KdpPrint("%s\n", line);
        return TRUE;
    }
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
        if (status == KdLineTooLong) {
            KdpPrint("Line too long (at most %u characters): nothing was run\n",
                     KD_LINE_MAX - 1);
            return FALSE;
        }
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
        KdpPrintStackFromTrap(trapFrame, 64);
        KdpPrint("\nThe system is stopped. Inspect it; `.reboot` restarts the machine.\n");
        break;
    }
}

static BOOLEAN KdpIsBlankLine(const char *line)
{
    while (RtlIsSpace(*line))
        line++;
    return *line == '\0';
}

// The shell's loop: Enter on an empty line repeats `t` or `p`.
static KD_COMMAND_RESULT KdpCommandLoop(void)
{
    KD_COMMAND_RESULT result = KdCommandContinue;
    char repeat[KD_REPEAT_LINE_MAX];

    while (result == KdCommandContinue) {
        char *line = KdpLineEditor.Buffer;

        KdpPrint("%u: kd> ", KdpState.Processor);
        if (!KdpReadLine())
            continue;
        // A Ctrl-C typed before this line (one that stopped a listing) is
        // not a new break-in; one typed after it (right after `g`, while
        // the debugger is still leaving) is, and must not be dropped.
        (void)HalpBreakInPending();
        if (KdpIsBlankLine(line) && KdpRepeatCommand[0]) {
            RtlStringPrintf(repeat, sizeof(repeat), "%s", KdpRepeatCommand);
            line = repeat;
        } else {
            KdpRepeatCommand[0] = '\0';
        }
        KdpBeginCommand();
        result = KdpExecuteLine(line);
        KdpEndCommand();
        if (result != KdCommandContinue && KdpAfterBugCheck) {
            KdpPrint("The system has crashed and cannot continue; use .reboot\n");
            result = KdCommandContinue;
        }
    }
    return result;
}

// The debugger's entry for every reason (KiDebugRoutine). Debug traps are
// sorted first: a step over a breakpoint, or another process passing a
// user breakpoint's address, goes on without a word.
static BOOLEAN KdpTrap(KTRAP_FRAME *trapFrame, KD_REASON reason)
{
    BOOLEAN interruptsWere = KiDisableInterrupts();
    KD_COMMAND_RESULT result = KdCommandContinue;
    KD_TRAP_ACTION action;
    KD_STOP stop;

    // One processor at a time: another one's trap waits here, frozen with
    // the rest, and is looked at after this one's `g`.
    (void)KiAcquireDebuggerLock(trapFrame);
    if (KdpState.Active) {
        // A fault inside the debugger itself: nothing is safe to run.
        KiDisplayString("\n*** Fault inside the kernel debugger: system halted.\n");
        HalDisplayFlush();
        for (;;)
            __halt();
    }
    action = KdpClassifyTrap(trapFrame, reason, &stop);
    if (action != KdTrapStop) {
        KdpPrepareResume(trapFrame);
        KiReleaseDebuggerLock();
        KiRestoreInterrupts(interruptsWere);
        return action == KdTrapResume;
    }
    KiFreezeProcessors();
    KdpState.Active = TRUE;
    KdpState.Processor = KdpState.BreakProcessor = KeGetCurrentProcessorNumber();
    KdpState.BreakTrapFrame = trapFrame;
    KdpState.EntryIrql = KdpState.BreakIrql = (KIRQL)__readcr8();
    KdpState.TrapFrame = trapFrame;
    KdpState.EntryTrapFrame = trapFrame;
    KdpState.ContextThread = 0;
    KdpState.ContextProcess = 0;
    KdpState.ContextLeafRip = KdpState.ContextLeafSp = 0;
    KdpState.ScopeFrame = NULL;
    KdpState.Reason = reason;
    if (reason == KdReasonBugCheck)
        KdpAfterBugCheck = TRUE;
    if (reason == KdReasonBreakIn)
        HalConsoleFlushInput();     // the Ctrl-C that got us here is not a keystroke

    if (stop.Kind == KdStopOther) {
        KdpBanner(trapFrame, reason);
    } else {
        if (stop.Kind == KdStopBreakpoint)
            KdpPrint("Breakpoint %u hit\n", stop.Breakpoint->Id);
        KdpPrintStopLocation(trapFrame->Rip);
        if (stop.Kind == KdStopBreakpoint && stop.Breakpoint->Commands[0])
            result = KdpRunBreakpointCommands(stop.Breakpoint->Commands);
    }
    if (result == KdCommandContinue)
        result = KdpCommandLoop();

    // A hard-coded int3 (DbgBreakPoint) is resumed past; the debugger's
    // own are out of memory by now, so this one is the code's.
    if (reason == KdReasonBreakpoint && stop.Kind == KdStopOther) {
        UCHAR opcode = 0;

        if (KdpReadMemory(trapFrame->Rip, &opcode, 1) && opcode == KD_INT3_OPCODE)
            trapFrame->Rip += KD_INT3_LENGTH;
    }
    KdpRecordPoolBaseline(TRUE);    // !analyze -hang: what grows from here on
    // `.thread` changed only what the shell shows: the frame the trap
    // returns through is the one we were entered with, untouched.
    KdpState.Active = FALSE;
    KdpState.TrapFrame = NULL;
    KdpState.EntryTrapFrame = NULL;
    KdpState.ContextThread = 0;
    KdpState.ContextProcess = 0;
    KdpState.ScopeFrame = NULL;
    KdpState.BreakTrapFrame = NULL;
    KiThawProcessors();
    KiReleaseDebuggerLock();
    if (result == KdCommandCrash)
        KeBugCheckEx(MANUALLY_INITIATED_CRASH, 0, 0, 0, 0);
    KdpPrepareResume(trapFrame);
    KiRestoreInterrupts(interruptsWere);
    return TRUE;
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
