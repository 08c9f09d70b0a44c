// bp, bu, ba, bl, bc, bd, be: the breakpoint table as KD's commands set,
// list and change it. Run at the kd> prompt, a change reaches memory when
// the system resumes; run while the system runs (the in-kernel tests do),
// it reaches memory at once.

#include "kd/kdbp.h"
#include "ke/ke.h"
#include "ps/ps.h"
#include "arch/x86_64/x86.h"

#define KD_USER_SPACE_END 0x0000800000000000ULL
#define KD_CURRENT_PROCESS (~0ULL)

static BOOLEAN KdpChangeInterrupts;

static BOOLEAN KdpIsDigit(char c)
{
    return c >= '0' && c <= '9';
}

// Outside the debugger the int3s are in memory: out they go while the
// table changes, and back in after.
static void KdpBeginChange(void)
{
    if (KdpState.Active)
        return;
    KdpChangeInterrupts = KiDisableInterrupts();
    KdpRemoveBreakpoints();
}

static void KdpEndChange(void)
{
    if (KdpState.Active)
        return;
    (void)KdpInsertBreakpoints(NULL);
    KiRestoreInterrupts(KdpChangeInterrupts);
}

static KD_BREAKPOINT *KdpAllocateBreakpoint(void)
{
    for (ULONG i = 0; i < KD_MAX_BREAKPOINTS; i++) {
        if (!KdpBreakpoints[i].InUse) {
            KD_BREAKPOINT *breakpoint = &KdpBreakpoints[i];

            memset(breakpoint, 0, sizeof(*breakpoint));
            breakpoint->InUse = TRUE;
            breakpoint->Enabled = TRUE;
            breakpoint->Id = i;
            breakpoint->Passes = breakpoint->PassesLeft = 1;
            return breakpoint;
        }
    }
    KdpPrint("No more breakpoints (at most %u)\n", KD_MAX_BREAKPOINTS);
    return NULL;
}

// The address space of a user breakpoint: /p's process, else the process
// of the debugger's current thread.
static BOOLEAN KdpUserSpace(ULONG64 processArgument, ULONG64 *process, ULONG64 *space)
{
    if (!KdpResolveProcess(processArgument, process))
        return FALSE;
    if (!KdpReadMemory(*process + FIELD_OFFSET(EPROCESS, Pcb.DirectoryTableBase), space,
                       sizeof(*space)) || *space == 0) {
        KdpPrint("Process %016llx has no address space\n", (unsigned long long)*process);
        return FALSE;
    }
    return TRUE;
}

// Can an int3 go at `address` in `space` (0: the kernel's)? Tried by
// writing the byte that is there back over itself.
static BOOLEAN KdpCheckPatchable(ULONG64 space, ULONG64 address)
{
    UCHAR byte, previous;
    ULONG64 physical;
    BOOLEAN interruptsWere = KiDisableInterrupts();
    BOOLEAN readable;

    if (space)
        readable = KdpReadProcessMemory(space, address, &byte, 1);
    else
        readable = KdpReadMemory(address, &byte, 1);
    readable = readable && KdpPatchCode(space, address, byte, &previous, &physical);
    KiRestoreInterrupts(interruptsWere);
    return readable;
}

// Where a breakpoint may go: code the debugger needs is refused; a kernel
// address must be in a module; a user one must be in a page of that
// process's own.
static BOOLEAN KdpCheckAddress(ULONG64 address, ULONG64 space, const char *text)
{
    KD_MODULE module;
    char where[18];

    RtlFormatAddress(where, address);
    if (address >= KD_USER_SPACE_END) {
        if (KdpIsDebuggerCode(address)) {
            KdpPrint("Breakpoint refused: %s (%s) is code the debugger runs itself "
                     "(kd, the console output or the trap path)\n", where, text);
            return FALSE;
        }
        if (!KdpFindModuleByAddress(address, &module)) {
            KdpPrint("Unable to set a breakpoint at %s: no module is there\n", where);
            return FALSE;
        }
    }
    if (!KdpCheckPatchable(space, address)) {
        KdpPrint("Unable to set a breakpoint at %s: the memory is not accessible%s\n", where,
                 space ? " in that process, or shared with others" : "");
        return FALSE;
    }
    return TRUE;
}

// Reads "/p EPROCESS" when it comes first; the next argument's index.
static int KdpProcessOption(int argc, char **argv, ULONG64 *process, BOOLEAN *ok)
{
    *process = KD_CURRENT_PROCESS;
    *ok = TRUE;
    if (argc >= 3 && RtlCompareStringInsensitive(argv[1], "/p") == 0) {
        *ok = KdpGetValue(argv[2], process);
        return 3;
    }
    return 1;
}

static KD_BREAKPOINT *KdpFindSoftware(ULONG64 address, ULONG64 space, const char *expression)
{
    for (ULONG i = 0; i < KD_MAX_BREAKPOINTS; i++) {
        KD_BREAKPOINT *breakpoint = &KdpBreakpoints[i];

        if (!breakpoint->InUse || breakpoint->Hardware)
            continue;
        if (breakpoint->Deferred ? !strcmp(breakpoint->Expression, expression)
                                 : breakpoint->Address == address &&
                                   breakpoint->DirectoryTableBase == space)
            return breakpoint;
    }
    return NULL;
}

// What is kept must fit whole: a longer name or command list is an error,
// not cut short.
static BOOLEAN KdpCheckLengths(const char *expression, const char *commands)
{
    if (strlen(expression) >= KD_BP_EXPRESSION_LENGTH) {
        KdpPrint("Address expression too long (at most %u characters)\n",
                 KD_BP_EXPRESSION_LENGTH - 1);
        return FALSE;
    }
    if (strlen(commands) >= KD_BP_COMMANDS_LENGTH) {
        KdpPrint("Breakpoint commands too long (at most %u characters)\n",
                 KD_BP_COMMANDS_LENGTH - 1);
        return FALSE;
    }
    return TRUE;
}

static void KdpSetCommands(KD_BREAKPOINT *breakpoint, const char *commands, ULONG passes)
{
    RtlStringPrintf(breakpoint->Commands, sizeof(breakpoint->Commands), "%s",
                    commands ? commands : "");
    breakpoint->Passes = breakpoint->PassesLeft = passes;
}

// What follows a breakpoint's address: [Passes] ["commands"], as WinDbg
// reads them: a word typed in quotes is the commands, another is the pass
// count (an expression, at least 1). FALSE after an error line.
static BOOLEAN KdpParseTail(int argc, char **argv, int arg, ULONG *passes,
                            const char **commands)
{
    ULONG64 value;

    *passes = 1;
    *commands = "";
    if (arg < argc && !(arg < 64 && (KdpQuotedWords & (1ULL << arg)))) {
        if (!KdpGetValue(argv[arg], &value))
            return FALSE;
        if (value == 0 || value > 0xFFFFFFFFULL) {
            KdpPrint("The pass count must be 1 to 0xffffffff\n");
            return FALSE;
        }
        *passes = (ULONG)value;
        arg++;
    }
    if (arg < argc)
        *commands = argv[arg++];
    if (arg < argc) {
        KdpPrint("Extra argument '%s': usage: %s Address [Passes] [\"commands\"]\n", argv[arg],
                 argv[0]);
        return FALSE;
    }
    return TRUE;
}

// bp and bu. A bu on a module not loaded is kept by name and resolved when
// the module loads (a module is named; its symbol is not known yet).
// "prog!Name" names a symbol of the current process's program.
static KD_COMMAND_RESULT KdpSetSoftware(int argc, char **argv, BOOLEAN deferrable)
{
    ULONG64 processArgument, process = 0, space = 0, address = 0;
    BOOLEAN ok, deferred = FALSE;
    int arg = KdpProcessOption(argc, argv, &processArgument, &ok);
    const char *text, *commands, *bang;
    KD_BREAKPOINT *breakpoint;
    KD_MODULE module;
    ULONG passes;

    if (!ok)
        return KdCommandContinue;
    if (argc - arg < 1 || argc - arg > 3) {
        KdpPrint("Usage: %s [/p EPROCESS] Address [Passes] [\"commands\"]\n", argv[0]);
        return KdCommandContinue;
    }
    text = argv[arg];
    if (!KdpParseTail(argc, argv, arg + 1, &passes, &commands))
        return KdCommandContinue;
    if (!KdpCheckLengths(text, commands))
        return KdCommandContinue;
    bang = strchr(text, '!');
    if (bang && !KdpLookupSymbolValue(text, &address) &&
        KdpLookupCurrentUserSymbol(text, &address, NULL)) {
        // "tbp!TbpWork": the program of the current process.
    } else if (deferrable && bang && !KdpLookupSymbolValue(text, &address)) {
        if (KdpFindModuleByName(text, (size_t)(bang - text), &module)) {
            KdpPrint("Couldn't resolve error at '%s'\n", text);
            return KdCommandContinue;
        }
        deferred = TRUE;
    } else if (!KdpGetValue(text, &address)) {
        return KdCommandContinue;
    }
    if (!deferred && address < KD_USER_SPACE_END &&
        !KdpUserSpace(processArgument, &process, &space))
        return KdCommandContinue;
    if (!deferred && !KdpCheckAddress(address, space, text))
        return KdCommandContinue;

    KdpBeginChange();
    breakpoint = KdpFindSoftware(address, space, text);
    if (breakpoint) {
        KdpPrint("breakpoint %u redefined\n", breakpoint->Id);
        breakpoint->Enabled = TRUE;
    } else {
        breakpoint = KdpAllocateBreakpoint();
    }
    if (breakpoint) {
        breakpoint->Address = address;
        breakpoint->DirectoryTableBase = space;
        breakpoint->Process = process;
        breakpoint->Deferred = deferred;
        if (deferrable)
            RtlStringPrintf(breakpoint->Expression, sizeof(breakpoint->Expression), "%s", text);
        KdpSetCommands(breakpoint, commands, passes);
    }
    KdpEndChange();
    return KdCommandContinue;
}

static KD_COMMAND_RESULT KdpBp(int argc, char **argv)
{
    return KdpSetSoftware(argc, argv, FALSE);
}

static KD_COMMAND_RESULT KdpBu(int argc, char **argv)
{
    return KdpSetSoftware(argc, argv, TRUE);
}

// ba ACCESS SIZE ADDRESS, or KD's joined form `ba w4 ADDRESS`.
static KD_COMMAND_RESULT KdpBa(int argc, char **argv)
{
    ULONG64 processArgument, process = 0, space = 0, address, size = 0;
    BOOLEAN ok;
    int arg = KdpProcessOption(argc, argv, &processArgument, &ok);
    ULONG used = 0, passes;
    UCHAR access;
    const char *commands = "";
    KD_BREAKPOINT *breakpoint = NULL;

    if (!ok)
        return KdCommandContinue;
    if (argc - arg < 2)
        goto usage;
    access = (UCHAR)RtlDowncaseChar(argv[arg][0]);
    if (argv[arg][1]) {
        if (!KdpGetValue(argv[arg] + 1, &size))
            return KdCommandContinue;
        arg++;
    } else {
        if (argc - arg < 3 || !KdpGetValue(argv[arg + 1], &size))
            goto usage;
        arg += 2;
    }
    if (argc - arg < 1 || argc - arg > 3)
        goto usage;
    if (!KdpGetValue(argv[arg], &address) ||
        !KdpParseTail(argc, argv, arg + 1, &passes, &commands))
        return KdCommandContinue;
    if (!KdpCheckLengths(argv[arg], commands))
        return KdCommandContinue;
    if (access != 'e' && access != 'r' && access != 'w') {
        KdpPrint("ba: the access must be e (execute), r (read/write) or w (write)\n");
        return KdCommandContinue;
    }
    if ((size != 1 && size != 2 && size != 4 && size != 8) || (access == 'e' && size != 1)) {
        KdpPrint("ba: the size must be 1, 2, 4 or 8 (1 for e)\n");
        return KdCommandContinue;
    }
    if (address & (size - 1)) {
        KdpPrint("ba: the address must be aligned to the size (%llu)\n",
                 (unsigned long long)size);
        return KdCommandContinue;
    }
    if (address < KD_USER_SPACE_END && !KdpUserSpace(processArgument, &process, &space))
        return KdCommandContinue;
    if (access == 'e' && address >= KD_USER_SPACE_END && KdpIsDebuggerCode(address)) {
        char where[18];

        RtlFormatAddress(where, address);
        KdpPrint("Breakpoint refused: %s (%s) is code the debugger runs itself "
                 "(kd, the console output or the trap path)\n", where, argv[arg]);
        return KdCommandContinue;
    }
    for (ULONG i = 0; i < KD_MAX_BREAKPOINTS; i++) {
        KD_BREAKPOINT *other = &KdpBreakpoints[i];

        if (!other->InUse || !other->Hardware)
            continue;
        if (other->Address == address && other->Access == access && other->Size == size &&
            other->DirectoryTableBase == space)
            breakpoint = other;
        else
            used++;
    }
    if (!breakpoint && used == KD_MAX_HARDWARE_BREAKPOINTS) {
        KdpPrint("Too many hardware breakpoints (the processor has %u)\n",
                 KD_MAX_HARDWARE_BREAKPOINTS);
        return KdCommandContinue;
    }
    KdpBeginChange();
    if (breakpoint) {
        KdpPrint("breakpoint %u redefined\n", breakpoint->Id);
        breakpoint->Enabled = TRUE;
    } else {
        breakpoint = KdpAllocateBreakpoint();
    }
    if (breakpoint) {
        breakpoint->Hardware = TRUE;
        breakpoint->Access = access;
        breakpoint->Size = (UCHAR)size;
        breakpoint->Address = address;
        breakpoint->DirectoryTableBase = space;
        breakpoint->Process = process;
        KdpSetCommands(breakpoint, commands, passes);
    }
    KdpEndChange();
    return KdCommandContinue;
usage:
    KdpPrint("Usage: ba [/p EPROCESS] e|r|w Size Address [Passes] [\"commands\"]\n");
    return KdCommandContinue;
}

// ---- bl, bc, bd, be -------------------------------------------------------------------

static void KdpFormatBreakpointSymbol(const KD_BREAKPOINT *breakpoint, char *text, size_t size)
{
    char image[PROCESS_IMAGE_NAME_LENGTH];

    text[0] = '\0';
    if (breakpoint->Deferred) {
        RtlStringPrintf(text, size, "(%s)", breakpoint->Expression);
    } else if (breakpoint->DirectoryTableBase) {
        if (KdpReadImageName(breakpoint->Process, image, sizeof(image)))
            KdpFormatUserSymbol(image, breakpoint->Address, text, size, NULL);
    } else if (!KdpFormatModuleAddress(breakpoint->Address, text, size)) {
        text[0] = '\0';
    }
}

static void KdpListOne(const KD_BREAKPOINT *breakpoint)
{
    char address[18] = "                 ", symbol[160], kind[8] = "     ";

    if (!breakpoint->Deferred)
        RtlFormatAddress(address, breakpoint->Address);
    if (breakpoint->Hardware)
        RtlStringPrintf(kind, sizeof(kind), " %c %u ", breakpoint->Access, breakpoint->Size);
    KdpFormatBreakpointSymbol(breakpoint, symbol, sizeof(symbol));
    KdpPrint("%2u %c%s %s Clear  %s%s%04x (%04x) %s", breakpoint->Id,
             breakpoint->Enabled ? 'e' : 'd', breakpoint->Deferred ? "u" : "",
             breakpoint->Enabled ? "Disable" : "Enable", address, kind, breakpoint->PassesLeft,
             breakpoint->Passes, symbol);
    if (breakpoint->Commands[0])
        KdpPrint(" \"%s\"", breakpoint->Commands);
    KdpPrint("\n");
}

// Marks the ids a list of arguments names: "3", "1-4", "*", also
// comma-separated, as KD reads them. FALSE after an error line.
static BOOLEAN KdpParseIds(int argc, char **argv, BOOLEAN *selected)
{
    for (int i = 1; i < argc; i++) {
        const char *p = argv[i];

        while (*p) {
            ULONG64 first = 0, last;
            const char *start = p;

            if (*p == '*') {
                for (ULONG id = 0; id < KD_MAX_BREAKPOINTS; id++)
                    selected[id] = TRUE;
                p++;
            } else {
                if (!KdpIsDigit(*p))
                    goto bad;
                while (KdpIsDigit(*p) && first < 1000)
                    first = first * 10 + (ULONG64)(*p++ - '0');
                last = first;
                if (*p == '-') {
                    p++;
                    if (!KdpIsDigit(*p))
                        goto bad;
                    last = 0;
                    while (KdpIsDigit(*p) && last < 1000)
                        last = last * 10 + (ULONG64)(*p++ - '0');
                }
                if (last < first)
                    goto bad;
                for (ULONG64 id = first; id <= last && id < KD_MAX_BREAKPOINTS; id++)
                    selected[id] = TRUE;
            }
            if (*p == ',')
                p++;
            else if (*p)
                goto bad;
            continue;
bad:
            KdpPrint("Invalid breakpoint id '%s'\n", start);
            return FALSE;
        }
    }
    return TRUE;
}

static KD_COMMAND_RESULT KdpBl(int argc, char **argv)
{
    BOOLEAN selected[KD_MAX_BREAKPOINTS] = { 0 };

    if (argc == 1)
        memset(selected, TRUE, sizeof(selected));
    else if (!KdpParseIds(argc, argv, selected))
        return KdCommandContinue;
    for (ULONG id = 0; id < KD_MAX_BREAKPOINTS; id++) {
        if (selected[id] && KdpBreakpoints[id].InUse)
            KdpListOne(&KdpBreakpoints[id]);
    }
    return KdCommandContinue;
}

typedef enum _KD_BP_CHANGE { KdBpClear, KdBpDisable, KdBpEnable } KD_BP_CHANGE;

static KD_COMMAND_RESULT KdpChange(int argc, char **argv, KD_BP_CHANGE change)
{
    BOOLEAN selected[KD_MAX_BREAKPOINTS] = { 0 };

    if (argc < 2) {
        KdpPrint("Usage: %s Id[-Id][,Id...]|*\n", argv[0]);
        return KdCommandContinue;
    }
    if (!KdpParseIds(argc, argv, selected))
        return KdCommandContinue;
    KdpBeginChange();
    for (ULONG id = 0; id < KD_MAX_BREAKPOINTS; id++) {
        KD_BREAKPOINT *breakpoint = &KdpBreakpoints[id];

        if (!selected[id] || !breakpoint->InUse)
            continue;
        if (change == KdBpClear)
            breakpoint->InUse = FALSE;
        else
            breakpoint->Enabled = change == KdBpEnable;
    }
    KdpEndChange();
    return KdCommandContinue;
}

static KD_COMMAND_RESULT KdpBc(int argc, char **argv)
{
    return KdpChange(argc, argv, KdBpClear);
}

static KD_COMMAND_RESULT KdpBd(int argc, char **argv)
{
    return KdpChange(argc, argv, KdBpDisable);
}

static KD_COMMAND_RESULT KdpBe(int argc, char **argv)
{
    return KdpChange(argc, argv, KdBpEnable);
}

const KD_COMMAND KdpBreakpointCommands[] = {
    { "bp", KdpBp, "bp [/p EPROCESS] Address [Passes] [\"commands\"]",
      "set a breakpoint (kernel, driver, or a user address in one process only); "
      "Passes: stop on that pass, counted under g" },
    { "bu", KdpBu, "bu [/p EPROCESS] mod!Symbol [Passes] [\"commands\"]",
      "set a breakpoint by name, kept until its module loads" },
    { "ba", KdpBa, "ba [/p EPROCESS] e|r|w Size Address [Passes] [\"commands\"]",
      "set a processor (debug-register) breakpoint: execute, read/write or write" },
    { "bl", KdpBl, "bl [Id[-Id]|*]...", "list the breakpoints" },
    { "bc", KdpBc, "bc Id[-Id][,Id...]|*", "clear breakpoints" },
    { "bd", KdpBd, "bd Id[-Id][,Id...]|*", "disable breakpoints" },
    { "be", KdpBe, "be Id[-Id][,Id...]|*", "enable breakpoints" },
    { NULL, NULL, NULL, NULL },
};
