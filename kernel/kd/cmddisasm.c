// u, ub and uf: disassembly as WinDbg prints it, for the kernel, the drivers
// and the current process's program (kd/disasm.c writes each line). Code is
// read with the fault-safe reader: memory that cannot be read is an error
// line, or WinDbg's "??" line in the middle of a listing; every listing is
// bounded.

#include "kd/kd.h"
#include "kd/disasm.h"
#include "ps/ps.h"
#include "rtl/elf.h"

NTSTATUS PspFindUserProgram(const char *name, const UCHAR **image, SIZE_T *size);

#define KD_DEFAULT_UNASSEMBLE_COUNT 8
#define KD_MAX_UNASSEMBLE_COUNT 0x1000
#define KD_MAX_UNASSEMBLE_BACK 0x100
#define KD_MAX_FLOW_INSTRUCTIONS 4096
#define KD_MAX_FLOW_PENDING 512

// Where `u` alone goes on: after the last instruction u, ub or uf printed.
static ULONG64 KdpNextUnassembleAddress;
static BOOLEAN KdpHaveNextUnassemble;
// Where `ub` alone goes on backwards: the first instruction ub last printed.
static ULONG64 KdpPreviousUnassembleAddress;
static BOOLEAN KdpHavePreviousUnassemble;

#define KD_USER_ADDRESS_LIMIT 0x0000800000000000ULL

// Code bytes: a user address is read in the address space of the
// debugger's implicit process (`.process`'s, else the process of the
// current thread: `.thread`'s, else the interrupted one's), whatever CR3
// holds; a kernel address as every command reads it.
static BOOLEAN KdpReadCodeMemory(ULONG64 address, void *buffer, SIZE_T length)
{
    ULONG64 process, directoryTableBase = 0;

    if (address >= KD_USER_ADDRESS_LIMIT)
        return KdpReadMemory(address, buffer, length);
    process = KdpImplicitProcess();
    if (!process ||
        !KdpReadMemory(process + FIELD_OFFSET(EPROCESS, Pcb.DirectoryTableBase),
                       &directoryTableBase, sizeof(directoryTableBase)))
        return FALSE;
    return KdpReadProcessMemory(directoryTableBase, address, buffer, length);
}

// Reads up to `length` bytes of code at `address`, stopping at the first
// byte that cannot be read; returns how many were read.
static ULONG KdpReadCode(ULONG64 address, UCHAR *buffer, ULONG length)
{
    ULONG done = 0;

    if (KdpReadCodeMemory(address, buffer, length))
        return length;
    // A page boundary in the way: as much as the first page holds.
    while (done < length && KdpReadCodeMemory(address + done, buffer + done, 1))
        done++;
    return done;
}

// A driver calls nt through its import stubs (the PLT: "jmp qword ptr
// [GOT slot]"), which have no symbols of their own; such a stub is named
// after what its slot points at, the GNU way: "null!RtlInitUnicodeString@plt".
static BOOLEAN KdpNameImportStub(ULONG64 address, char *text, size_t size)
{
    UCHAR stub[6];
    LONG displacement;
    ULONG64 target;
    char name[128];
    const char *bang, *plus = strchr(text, '+');

    if (!plus || strchr(text, '!') || !KdpReadCodeMemory(address, stub, sizeof(stub)) ||
        stub[0] != 0xff || stub[1] != 0x25)
        return FALSE;
    memcpy(&displacement, stub + 2, sizeof(displacement));
    if (!KdpReadCodeMemory(address + sizeof(stub) + (LONG64)displacement, &target,
                           sizeof(target)) ||
        !KdpFormatModuleAddress(target, name, sizeof(name)) || strchr(name, '+') ||
        !(bang = strchr(name, '!')))
        return FALSE;
    RtlStringPrintf(text, size, "%.*s!%s@plt", (int)(plus - text), text, bang + 1);
    return TRUE;
}

static BOOLEAN KdpSymbolizeCode(void *context, ULONG64 address, char *text, size_t size)
{
    if (!KdpFormatModuleAddress(address, text, size))
        return FALSE;
    KdpNameImportStub(address, text, size);
    return TRUE;
}

ULONG KdpDisassembleOne(ULONG64 Address, char *Text, ULONG TextSize)
{
    UCHAR code[KD_MAX_INSTRUCTION_LENGTH];
    ULONG available = KdpReadCode(Address, code, sizeof(code));
    KD_INSTRUCTION instruction;

    if (TextSize)
        Text[0] = '\0';
    if (!available)
        return 0;
    KdpDisasmFormat(code, available, Address, KdpSymbolizeCode, NULL, Text, TextSize,
                    &instruction);
    return instruction.Valid ? instruction.Length : 0;
}

ULONG KdpInstructionLength(ULONG64 Address, KD_INSTRUCTION *Instruction)
{
    UCHAR code[KD_MAX_INSTRUCTION_LENGTH];
    ULONG available = KdpReadCode(Address, code, sizeof(code));

    return KdpDisasmDecode(code, available, Address, Instruction);
}

// ---- The current process's program: its symbols by name -------------------------------

typedef struct _KD_USER_NAME_SEARCH {
    const char *Name;
    ULONG64 Value;
    ULONG64 Size;
    BOOLEAN Found;
} KD_USER_NAME_SEARCH;

static void KdpMatchUserName(void *context, const char *name, ULONG64 value, ULONG64 size,
                             char kind)
{
    KD_USER_NAME_SEARCH *search = context;

    if (!search->Found && RtlCompareStringInsensitive(name, search->Name) == 0) {
        search->Value = value;
        search->Size = size;
        search->Found = TRUE;
    }
}

// The image name ("lpcdemo.exe") of the debugger's implicit process.
static BOOLEAN KdpCurrentImageName(char *image, size_t size)
{
    ULONG64 process = KdpImplicitProcess();

    return process && KdpReadImageName(process, image, size) && image[0];
}

static BOOLEAN KdpSameLetters(const char *a, const char *b, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        char x = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] + 32) : a[i];
        char y = b[i] >= 'A' && b[i] <= 'Z' ? (char)(b[i] + 32) : b[i];

        if (x != y)
            return FALSE;
    }
    return TRUE;
}

BOOLEAN KdpLookupUserSymbol(const char *image, const char *name, ULONG64 *value, ULONG64 *size)
{
    const char *bang = strchr(name, '!'), *dot;
    KD_USER_NAME_SEARCH search = { bang ? bang + 1 : name, 0, 0, FALSE };
    const UCHAR *file;
    SIZE_T fileSize;

    if (!bang)
        return FALSE;
    // "lpcdemo!Name" names the program lpcdemo.exe.
    dot = strchr(image, '.');
    if ((size_t)(bang - name) != (dot ? (size_t)(dot - image) : strlen(image)) ||
        !KdpSameLetters(name, image, (size_t)(bang - name)))
        return FALSE;
    if (!NT_SUCCESS(PspFindUserProgram(image, &file, &fileSize)))
        return FALSE;
    RtlElfEnumerateSymbols(file, fileSize, ~0ULL, KdpMatchUserName, &search);
    if (!search.Found)
        return FALSE;
    *value = search.Value;
    if (size)
        *size = search.Size;
    return TRUE;
}

BOOLEAN KdpLookupCurrentUserSymbol(const char *name, ULONG64 *value, ULONG64 *size)
{
    char image[PROCESS_IMAGE_NAME_LENGTH + 1];

    return KdpCurrentImageName(image, sizeof(image)) &&
           KdpLookupUserSymbol(image, name, value, size);
}

// Where the function holding `address` starts and how long it is (0 when
// the symbols do not say); FALSE when no symbol covers it.
static BOOLEAN KdpFunctionExtent(ULONG64 address, ULONG64 *start, ULONG64 *size)
{
    char symbol[128];
    KD_MODULE module;
    const KSYM_ENTRY *entry;
    ULONG64 displacement;

    *size = 0;
    if (KdpFormatCurrentUserSymbol(address, symbol, sizeof(symbol), start)) {
        ULONG64 value;

        // The user symbol's size, by its name (the text before any "+0x").
        char *plus = strchr(symbol, '+');

        if (plus)
            *plus = '\0';
        if (KdpLookupCurrentUserSymbol(symbol, &value, size) && value != *start)
            *size = 0;
        return TRUE;
    }
    if (!KdpFindModuleByAddress(address, &module))
        return FALSE;
    entry = KdpLookupAddress(&module.Symbols, address, &displacement);
    if (!entry)
        return FALSE;
    *start = address - displacement;
    *size = entry->Size;
    return TRUE;
}

// ---- Printing -----------------------------------------------------------------------

// "nt!KeWaitForSingleObject+0x1b:" before a listing, when the address is in
// a module.
static void KdpPrintLabel(ULONG64 address)
{
    char symbol[128];

    if (KdpSymbolizeCode(NULL, address, symbol, sizeof(symbol)))
        KdpPrint("%s:\n", symbol);
}

// One line: the address, then the instruction; returns its length (1 for
// an unreadable byte, printed as WinDbg does: "??              ???").
static ULONG KdpPrintInstruction(ULONG64 address, KD_INSTRUCTION *instruction)
{
    UCHAR code[KD_MAX_INSTRUCTION_LENGTH];
    ULONG available = KdpReadCode(address, code, sizeof(code));
    char text[256];

    KdpPrintAddress(address);
    if (!available) {
        KdpPrint(" ??              ???\n");
        if (instruction) {
            RtlZeroMemory(instruction, sizeof(*instruction));
            instruction->Length = 1;
            instruction->Flow = KdFlowStop;
        }
        return 1;
    }
    KdpDisasmFormat(code, available, address, KdpSymbolizeCode, NULL, text, sizeof(text),
                    instruction);
    KdpPrint(" %s\n", text);
    return instruction->Length;
}

static BOOLEAN KdpCheckReadable(ULONG64 address)
{
    UCHAR byte;

    if (KdpReadCodeMemory(address, &byte, 1))
        return TRUE;
    KdpPrint("Memory access error at '");
    KdpPrintAddress(address);
    KdpPrint("'\n");
    return FALSE;
}

// Is `address` where a symbol starts ("nt!Name", no "+0x")?
static BOOLEAN KdpIsSymbolStart(ULONG64 address)
{
    char symbol[128];

    return KdpSymbolizeCode(NULL, address, symbol, sizeof(symbol)) && !strchr(symbol, '+');
}

// ---- Arguments ------------------------------------------------------------------------

// "[address] [L count | end]"; the address defaults to `defaultAddress`.
// `*end` is 0 unless an end address was given. FALSE after an error line.
static BOOLEAN KdpParseUnassemble(int argc, char **argv, ULONG64 defaultAddress,
                                  ULONG64 *address, ULONG64 *count, ULONG64 *end,
                                  ULONG64 maxCount)
{
    int at = 1;

    *address = defaultAddress;
    *count = KD_DEFAULT_UNASSEMBLE_COUNT;
    *end = 0;
    if (at < argc && argv[at][0] != 'L' && argv[at][0] != 'l') {
        if (!KdpGetValue(argv[at], address))
            return FALSE;
        at++;
    }
    if (at < argc) {
        const char *countText = argv[at] + 1;

        if (argv[at][0] == 'L' || argv[at][0] == 'l') {
            if (!*countText) {
                if (++at >= argc) {
                    KdpPrint("Missing count after L\n");
                    return FALSE;
                }
                countText = argv[at];
            }
            if (!KdpGetValue(countText, count))
                return FALSE;
        } else {
            if (!KdpGetValue(argv[at], end))
                return FALSE;
            if (*end <= *address) {
                KdpPrint("Range error: the end address must be past the start\n");
                return FALSE;
            }
        }
        at++;
    }
    if (at < argc) {
        KdpPrint("Syntax error at '%s'\n", argv[at]);
        return FALSE;
    }
    if (*count == 0 || *count > maxCount) {
        KdpPrint("Range error: count must be 1 to 0x%llx\n", (unsigned long long)maxCount);
        return FALSE;
    }
    return TRUE;
}

// The context's rip when the listings went on from, so that a new break-in
// (or `.thread`) starts `u` alone at the new rip, as WinDbg's does.
static ULONG64 KdpUnassembleContextRip;

static ULONG64 KdpDefaultUnassembleAddress(void)
{
    ULONG64 rip = 0;

    KdpReadRegister("rip", &rip);
    if (rip != KdpUnassembleContextRip) {
        KdpUnassembleContextRip = rip;
        KdpHaveNextUnassemble = KdpHavePreviousUnassemble = FALSE;
    }
    if (KdpHaveNextUnassemble)
        return KdpNextUnassembleAddress;
    return rip;
}

// ---- u --------------------------------------------------------------------------------

static KD_COMMAND_RESULT KdpUnassemble(int argc, char **argv)
{
    ULONG64 address, count, end;

    if (!KdpParseUnassemble(argc, argv, KdpDefaultUnassembleAddress(), &address, &count, &end,
                            KD_MAX_UNASSEMBLE_COUNT))
        return KdCommandContinue;
    if (!KdpCheckReadable(address))
        return KdCommandContinue;
    // `ub` alone after `u` shows what comes before this listing.
    KdpPreviousUnassembleAddress = address;
    KdpHavePreviousUnassemble = TRUE;
    KdpPrintLabel(address);
    for (ULONG64 done = 0; end ? address < end && done < KD_MAX_UNASSEMBLE_COUNT : done < count;
         done++) {
        KD_INSTRUCTION instruction;

        // A function that starts inside the listing gets its own label.
        if (done > 0 && KdpIsSymbolStart(address))
            KdpPrintLabel(address);
        address += KdpPrintInstruction(address, &instruction);
    }
    KdpNextUnassembleAddress = address;
    KdpHaveNextUnassemble = TRUE;
    return KdCommandContinue;
}

// ---- ub -------------------------------------------------------------------------------

// The code before `end`, read into `window` (as much of the `length` bytes
// before it as can be read, nearest first); returns how many bytes end at `end`.
static ULONG KdpReadWindowBefore(ULONG64 end, UCHAR *window, ULONG length)
{
    ULONG have = 0;

    // Page by page backwards, stopping at the first page that cannot be read.
    while (have < length) {
        ULONG64 chunkEnd = end - have;
        ULONG64 pageStart = (chunkEnd - 1) & ~(ULONG64)(PAGE_SIZE - 1);
        ULONG chunk = (ULONG)(chunkEnd - pageStart);

        if (chunk > length - have)
            chunk = length - have;
        if (!KdpReadCodeMemory(chunkEnd - chunk, window + length - have - chunk, chunk))
            break;
        have += chunk;
    }
    return have;
}

// Decodes from window offset `from` up to `to`: how many instructions, and
// whether the last one ends exactly at `to`; their starts go to `starts`.
static ULONG KdpDecodeRun(const UCHAR *window, ULONG from, ULONG to, ULONG64 base,
                          ULONG *starts, ULONG maxStarts, BOOLEAN *exact)
{
    ULONG at = from, count = 0;

    *exact = FALSE;
    while (at < to) {
        KD_INSTRUCTION instruction;

        if (!KdpDisasmDecode(window + at, to - at, base + at, &instruction))
            return count;
        // Keep the last maxStarts starts, as a ring.
        starts[count % maxStarts] = at;
        count++;
        at += instruction.Length;
    }
    *exact = at == to;
    return count;
}

static UCHAR KdpBackWindow[KD_MAX_UNASSEMBLE_BACK * KD_MAX_INSTRUCTION_LENGTH + 64];
static ULONG KdpBackStarts[KD_MAX_UNASSEMBLE_BACK];

// Where `count` instructions before `end` start: decoding from the
// function's start when a symbol covers `end` and that decodes to it
// exactly, else from the furthest point back whose decoding lands on `end`
// (x86 decoding falls into step within a few instructions). An `end` inside
// an instruction is landed on by no run: then the furthest one back that
// decodes at all.
static BOOLEAN KdpFindStartBefore(ULONG64 end, ULONG count, ULONG64 *start)
{
    ULONG length = count * KD_MAX_INSTRUCTION_LENGTH;
    ULONG have, best = 0, bestFrom = 0;
    ULONG64 base, function, size;
    BOOLEAN exact;

    if (length > sizeof(KdpBackWindow) - KD_MAX_INSTRUCTION_LENGTH)
        length = sizeof(KdpBackWindow) - KD_MAX_INSTRUCTION_LENGTH;
    // Nothing before address 0: the window does not wrap to the top.
    if (end < length)
        length = (ULONG)end;
    if (!length)
        return FALSE;
    have = KdpReadWindowBefore(end, KdpBackWindow, length);
    if (!have)
        return FALSE;
    base = end - length;
    // The function's own start, when it is inside the window.
    if (KdpFunctionExtent(end - 1, &function, &size) && function < end &&
        function >= end - have) {
        ULONG from = (ULONG)(function - base);
        ULONG n = KdpDecodeRun(KdpBackWindow, from, length, base, KdpBackStarts, count, &exact);

        if (exact && n >= count) {
            *start = base + KdpBackStarts[(n - count) % count];
            return TRUE;
        }
    }
    for (ULONG from = length - have; from < length; from++) {
        ULONG n = KdpDecodeRun(KdpBackWindow, from, length, base, KdpBackStarts, count, &exact);

        if (!exact)
            continue;
        if (n >= count) {
            *start = base + KdpBackStarts[(n - count) % count];
            return TRUE;
        }
        if (n > best) {
            best = n;
            bestFrom = from;
        }
    }
    if (best) {
        *start = base + bestFrom;
        return TRUE;
    }
    // No run lands on `end`: the furthest one back that decodes up to it.
    for (ULONG from = length - have; from < length; from++) {
        ULONG n = KdpDecodeRun(KdpBackWindow, from, length, base, KdpBackStarts, count, &exact);

        if (n > 0) {
            *start = base + (n >= count ? KdpBackStarts[(n - count) % count] : from);
            return TRUE;
        }
    }
    return FALSE;
}

static KD_COMMAND_RESULT KdpUnassembleBack(int argc, char **argv)
{
    ULONG64 address, count, end, start, from = KdpDefaultUnassembleAddress();

    if (KdpHavePreviousUnassemble)
        from = KdpPreviousUnassembleAddress;
    if (!KdpParseUnassemble(argc, argv, from, &address, &count, &end, KD_MAX_UNASSEMBLE_BACK))
        return KdCommandContinue;
    if (end) {
        KdpPrint("Syntax error at '%s': ub takes an address and L count\n", argv[2]);
        return KdCommandContinue;
    }
    if (!KdpFindStartBefore(address, (ULONG)count, &start)) {
        KdpPrint("Memory access error at '");
        KdpPrintAddress(address);
        KdpPrint("'\n");
        return KdCommandContinue;
    }
    KdpPrintLabel(start);
    for (ULONG64 at = start, done = 0; at < address && done < count; done++) {
        KD_INSTRUCTION instruction;

        if (done > 0 && KdpIsSymbolStart(at))
            KdpPrintLabel(at);
        at += KdpPrintInstruction(at, &instruction);
    }
    KdpNextUnassembleAddress = address;
    KdpHaveNextUnassemble = TRUE;
    KdpPreviousUnassembleAddress = start;
    KdpHavePreviousUnassemble = TRUE;
    return KdCommandContinue;
}

// ---- uf -------------------------------------------------------------------------------
//
// WinDbg's uf follows the function's flow from its start: every block that
// a branch reaches, each conditional branch's fall-through a block of its
// own, printed in address order, each block after the first under its own
// label and a blank line. Branches are followed inside the function's
// extent when its symbol gives a size (a jump out of it is a tail call, not
// more of the function), anywhere otherwise; unreachable bytes (padding)
// are not shown.

typedef struct _KD_FLOW_INSTRUCTION {
    ULONG64 Address;
    UCHAR Length;
    BOOLEAN Label;
} KD_FLOW_INSTRUCTION;

static KD_FLOW_INSTRUCTION KdpFlow[KD_MAX_FLOW_INSTRUCTIONS];
static ULONG KdpFlowCount;
static ULONG64 KdpFlowPending[KD_MAX_FLOW_PENDING];

// The index of the first instruction at or above `address`.
static ULONG KdpFlowFind(ULONG64 address)
{
    ULONG low = 0, high = KdpFlowCount;

    while (low < high) {
        ULONG middle = (low + high) / 2;

        if (KdpFlow[middle].Address < address)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

// Decodes one block from `address` on; FALSE when the table is full.
static BOOLEAN KdpFlowBlock(ULONG64 address, ULONG64 low, ULONG64 high, ULONG *pending)
{
    BOOLEAN label = TRUE;

    for (;;) {
        ULONG at = KdpFlowFind(address);
        KD_INSTRUCTION instruction;

        if (at < KdpFlowCount && KdpFlow[at].Address == address) {
            // Known code: where this block joins it, a block starts.
            KdpFlow[at].Label = TRUE;
            return TRUE;
        }
        if (KdpFlowCount == KD_MAX_FLOW_INSTRUCTIONS)
            return FALSE;
        if (!KdpInstructionLength(address, &instruction))
            instruction.Flow = KdFlowStop;
        if (!instruction.Length)
            return TRUE;
        memmove(&KdpFlow[at + 1], &KdpFlow[at], (KdpFlowCount - at) * sizeof(KdpFlow[0]));
        KdpFlow[at].Address = address;
        KdpFlow[at].Length = (UCHAR)instruction.Length;
        KdpFlow[at].Label = label;
        KdpFlowCount++;
        label = FALSE;
        if ((instruction.Flow == KdFlowConditional || instruction.Flow == KdFlowJump) &&
            instruction.HasTarget && instruction.Target >= low && instruction.Target < high) {
            if (*pending == KD_MAX_FLOW_PENDING)
                return FALSE;
            KdpFlowPending[(*pending)++] = instruction.Target;
        }
        if (instruction.Flow == KdFlowJump || instruction.Flow == KdFlowReturn ||
            instruction.Flow == KdFlowStop)
            return TRUE;
        address += instruction.Length;
        if (address < low || address >= high)
            return TRUE;
        // The fall-through of a conditional branch is a block of its own.
        if (instruction.Flow == KdFlowConditional)
            label = TRUE;
    }
}

// "nt!Name+0x41 (ffffffff`80123456)", or the address alone outside every
// module, as uf /c names a function and its call sites.
static void KdpPrintNamedAddress(ULONG64 address)
{
    char symbol[128];

    if (KdpSymbolizeCode(NULL, address, symbol, sizeof(symbol))) {
        KdpPrint("%s (", symbol);
        KdpPrintAddress(address);
        KdpPrint(")");
    } else {
        KdpPrintAddress(address);
    }
}

// uf /c: only the calls, each under its call site, WinDbg's layout:
//   nt!Caller (ffffffff`80101000)
//     nt!Caller+0x1a (ffffffff`8010101a):
//       call to nt!Callee (ffffffff`80102000)
static void KdpPrintCalls(ULONG64 function)
{
    KdpPrintNamedAddress(function);
    KdpPrint("\n");
    for (ULONG i = 0; i < KdpFlowCount; i++) {
        UCHAR code[KD_MAX_INSTRUCTION_LENGTH];
        ULONG available = KdpReadCode(KdpFlow[i].Address, code, sizeof(code));
        KD_INSTRUCTION instruction;
        char text[256];
        const char *operands = text;

        if (!available)
            continue;
        KdpDisasmFormat(code, available, KdpFlow[i].Address, KdpSymbolizeCode, NULL, text,
                        sizeof(text), &instruction);
        if (instruction.Flow != KdFlowCall)
            continue;
        // The line is "bytes mnemonic operands": the target is what follows.
        for (ULONG word = 0; word < 2; word++) {
            while (*operands && *operands != ' ')
                operands++;
            while (*operands == ' ')
                operands++;
        }
        KdpPrint("  ");
        KdpPrintNamedAddress(KdpFlow[i].Address);
        KdpPrint(":\n    call to %s\n", operands);
    }
}

static KD_COMMAND_RESULT KdpUnassembleFunction(int argc, char **argv)
{
    ULONG64 address, function, size, low = 0, high = ~0ULL, last = 0;
    ULONG pending = 0;
    BOOLEAN complete = TRUE, callsOnly = FALSE;
    int at = 1;

    // Keeps `u` alone going on after this listing (the context is the same).
    KdpDefaultUnassembleAddress();
    // /c lists the calls only; /D asks for DML links to the callees, which a
    // serial shell cannot show: the listing is the plain one, as kd's is
    // with DML off.
    for (; at < argc && argv[at][0] == '/'; at++) {
        if (!strcmp(argv[at], "/c"))
            callsOnly = TRUE;
        else if (strcmp(argv[at], "/D") != 0)
            break;
    }
    if (argc - at != 1 || argv[at][0] == '/') {
        KdpPrint("Usage: uf [/c] [/D] address\n");
        return KdCommandContinue;
    }
    if (!KdpGetValue(argv[at], &address) || !KdpCheckReadable(address))
        return KdCommandContinue;
    if (KdpFunctionExtent(address, &function, &size) && size) {
        low = function;
        high = function + size;
    }
    KdpFlowCount = 0;
    KdpFlowPending[pending++] = address;
    while (pending > 0 && complete) {
        ULONG64 block = KdpFlowPending[--pending];

        complete = KdpFlowBlock(block, low, high, &pending);
    }
    if (callsOnly) {
        KdpPrintCalls(address);
        if (KdpFlowCount)
            last = KdpFlow[KdpFlowCount - 1].Address + KdpFlow[KdpFlowCount - 1].Length;
    }
    for (ULONG i = 0; !callsOnly && i < KdpFlowCount; i++) {
        KD_INSTRUCTION instruction;

        if (KdpFlow[i].Label || (i > 0 && KdpFlow[i].Address != last)) {
            if (i > 0)
                KdpPrint("\n");
            KdpPrintLabel(KdpFlow[i].Address);
        }
        last = KdpFlow[i].Address + KdpPrintInstruction(KdpFlow[i].Address, &instruction);
    }
    if (!complete)
        KdpPrint("Flow analysis was incomplete, some code may be missing\n");
    KdpNextUnassembleAddress = last;
    KdpHaveNextUnassemble = TRUE;
    return KdCommandContinue;
}

const KD_COMMAND KdpDisasmCommands[] = {
    { "u", KdpUnassemble, "u [address] [L count | end]",
      "disassemble (8 instructions; u alone continues)" },
    { "ub", KdpUnassembleBack, "ub [address] [L count]",
      "disassemble the instructions before an address" },
    { "uf", KdpUnassembleFunction, "uf [/c] [/D] address",
      "disassemble a whole function, following its branches; /c: only its calls, "
      "each under its call site (/D: no links on a serial shell, the plain listing)" },
    { NULL, NULL, NULL, NULL },
};
