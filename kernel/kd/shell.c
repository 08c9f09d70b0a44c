// The shell: split a line into words, find the command, run it. `help`
// lists every command from the same tables the dispatcher uses, so a command
// cannot exist without a help line.

#include "kd/kd.h"
#include "kd/kdio.h"
#include "kd/kdparse.h"
#include "kd/kdbp.h"
#include "kd/kdwaitcmd.h"
#include "ke/ke.h"

static const KD_COMMAND *const KdpCommandTables[] = {
    KdpShellCommands,
    KdpSystemCommands,
    KdpMemoryCommands,
    KdpSymbolCommands,
    KdpPoolCommands,
    KdpPoolFindCommands,
    KdpDriverCommands,
    KdpIrpCommands,
    KdpFileCommands,
    KdpThreadCommands,
    KdpProcessCommands,
    KdpSchedulerCommands,
    KdpProcessorCommands,
    KdpObjectCommands,
    KdpLpcCommands,
    KdpAlpcCommands,
    KdpTokenCommands,
    KdpStartCommands,
    KdpStacksCommands,
    KdpWorkerQueueCommands,
    KdpTypeCommands,
    KdpContextCommands,
    KdpEditCommands,
    KdpListCommands,
    KdpDisasmCommands,
    KdpBreakpointCommands,
    KdpStepCommands,
    KdpWaitChainCommands,
    KdpAnalyzeCommands,
    KdpAnswerCommands,
};

BOOLEAN KdpReadRegister(const char *name, ULONG64 *value)
{
    // After `.frame N`, that frame's registers.
    const KTRAP_FRAME *frame = KdpState.ScopeFrame ? KdpState.ScopeFrame : KdpState.TrapFrame;
    static const struct {
        const char *Name;
        size_t Offset;
    } registers[] = {
        { "rax", offsetof(KTRAP_FRAME, Rax) }, { "rbx", offsetof(KTRAP_FRAME, Rbx) },
        { "rcx", offsetof(KTRAP_FRAME, Rcx) }, { "rdx", offsetof(KTRAP_FRAME, Rdx) },
        { "rsi", offsetof(KTRAP_FRAME, Rsi) }, { "rdi", offsetof(KTRAP_FRAME, Rdi) },
        { "rbp", offsetof(KTRAP_FRAME, Rbp) }, { "rsp", offsetof(KTRAP_FRAME, Rsp) },
        { "rip", offsetof(KTRAP_FRAME, Rip) }, { "r8", offsetof(KTRAP_FRAME, R8) },
        { "r9", offsetof(KTRAP_FRAME, R9) },   { "r10", offsetof(KTRAP_FRAME, R10) },
        { "r11", offsetof(KTRAP_FRAME, R11) }, { "r12", offsetof(KTRAP_FRAME, R12) },
        { "r13", offsetof(KTRAP_FRAME, R13) }, { "r14", offsetof(KTRAP_FRAME, R14) },
        { "r15", offsetof(KTRAP_FRAME, R15) }, { "efl", offsetof(KTRAP_FRAME, EFlags) },
    };

    if (RtlCompareStringInsensitive(name, "$extret") == 0)
        return KdpReadExtensionReturn(value);
    if (!frame)
        return FALSE;
    for (ULONG i = 0; i < ARRAYSIZE(registers); i++) {
        if (RtlCompareStringInsensitive(name, registers[i].Name) == 0) {
            *value = *(const ULONG64 *)((const UCHAR *)frame + registers[i].Offset);
            return TRUE;
        }
    }
    return FALSE;
}

const KD_EXPRESSION_ENVIRONMENT KdpEnvironment = {
    &KdpKernelSymbols,
    KdpReadMemory,
    KdpReadRegister,
    KdpLookupSymbolValue,
};

BOOLEAN KdpGetValue(const char *text, ULONG64 *value)
{
    char error[160];

    if (KdpEvaluate(&KdpEnvironment, text, value, error, sizeof(error)))
        return TRUE;
    KdpPrint("%s\n", error);
    return FALSE;
}

// Names are not case-sensitive, except where WinDbg has two commands that
// differ only in case (ds, dS): the exact name wins.
static const KD_COMMAND *KdpFindCommand(const char *name)
{
    for (ULONG t = 0; t < ARRAYSIZE(KdpCommandTables); t++) {
        for (const KD_COMMAND *command = KdpCommandTables[t]; command->Name; command++) {
            if (strcmp(command->Name, name) == 0)
                return command;
        }
    }
    for (ULONG t = 0; t < ARRAYSIZE(KdpCommandTables); t++) {
        for (const KD_COMMAND *command = KdpCommandTables[t]; command->Name; command++) {
            if (RtlCompareStringInsensitive(command->Name, name) == 0)
                return command;
        }
    }
    return NULL;
}

// The most words a command takes after its name, for the commands whose
// routines do not check that themselves: a word more is an error line,
// never silently dropped. Every other routine checks its own words.
static const struct {
    const char *Name;
    int MaxArguments;
} KdpArgumentLimits[] = {
    { "version", 0 },
    { ".reboot", 0 },
    { ".crash", 0 },
};

static BOOLEAN KdpCheckArgumentCount(const KD_COMMAND *command, int argc, char **argv)
{
    for (ULONG i = 0; i < ARRAYSIZE(KdpArgumentLimits); i++) {
        int max = KdpArgumentLimits[i].MaxArguments;

        if (RtlCompareStringInsensitive(command->Name, KdpArgumentLimits[i].Name) == 0 &&
            argc - 1 > max) {
            KdpPrint("Extra argument '%s': usage: %s\n", argv[max + 1], command->Syntax);
            return FALSE;
        }
    }
    return TRUE;
}

// Commands run inside commands (`!list -x`) at most this deep.
#define KD_MAX_NESTING 3

static ULONG KdpNesting;

ULONG64 KdpQuotedWords;

// One command: its words (kdparse.c), then its routine.
static KD_COMMAND_RESULT KdpExecuteCommand(char *text)
{
    char *argv[KD_MAX_ARGUMENTS + 1];
    int argc = KdpSplitWordsQuoted(text, argv, KD_MAX_ARGUMENTS, &KdpQuotedWords);
    const KD_COMMAND *command;

    if (argc < 0) {
        KdpPrint("Too many arguments (at most %d)\n", KD_MAX_ARGUMENTS);
        return KdCommandContinue;
    }
    if (argc == 0)
        return KdCommandContinue;
    argv[argc] = NULL;

    // `~N` is one word: the processor number is part of the command's name.
    command = KdpFindCommand(argv[0][0] == '~' ? "~" : argv[0]);
    if (!command) {
        // KD's own words for a command it does not know.
        KdpPrint("Unknown command '%s'; `help` lists the commands\n", argv[0]);
        return KdCommandContinue;
    }
    if (!KdpCheckArgumentCount(command, argc, argv))
        return KdCommandContinue;
    return command->Routine(argc, argv);
}

// A line holds commands separated by `;` (outside quotes), run in turn;
// one that resumes the system ends the line.
KD_COMMAND_RESULT KdpExecuteLine(char *line)
{
    KD_COMMAND_RESULT result = KdCommandContinue;

    if (KdpNesting >= KD_MAX_NESTING) {
        KdpPrint("Commands nested too deep (at most %u): '%s' not run\n", KD_MAX_NESTING,
                 line);
        return KdCommandContinue;
    }
    KdpNesting++;
    while (line && result == KdCommandContinue) {
        char *rest = KdpSplitCommands(line);

        result = KdpExecuteCommand(line);
        line = rest;
    }
    KdpNesting--;
    return result;
}

ULONG KdpCommandNesting(void)
{
    return KdpNesting;
}

static KD_COMMAND_RESULT KdpHelp(int argc, char **argv)
{
    if (argc > 2) {
        KdpPrint("Usage: help [command]\n");
        return KdCommandContinue;
    }
    if (argc == 2) {
        const KD_COMMAND *command = KdpFindCommand(argv[1]);

        if (!command) {
            KdpPrint("No such command: %s\n", argv[1]);
            return KdCommandContinue;
        }
        KdpPrint("%s\n    %s\n", command->Syntax, command->Summary);
        return KdCommandContinue;
    }
    KdpPrint("Commands (help CMD for its syntax):\n");
    for (ULONG t = 0; t < ARRAYSIZE(KdpCommandTables); t++) {
        for (const KD_COMMAND *command = KdpCommandTables[t]; command->Name; command++)
            KdpPrint("  %-10s %s\n", command->Name, command->Summary);
    }
    return KdCommandContinue;
}

static KD_COMMAND_RESULT KdpGo(int argc, char **argv)
{
    ULONG64 address;

    if (argc > 2) {
        KdpPrint("Usage: g [Address]\n");
        return KdCommandContinue;
    }
    if (argc == 2)
        return KdpGetValue(argv[1], &address) ? KdpGoTo(address) : KdCommandContinue;
    return KdCommandResume;
}

const KD_COMMAND KdpShellCommands[] = {
    { "help", KdpHelp, "help [command]", "list the commands, or show one command's syntax" },
    { "g", KdpGo, "g [Address]",
      "go: let the system run again (Ctrl-C breaks back in); with Address, stop there once" },
    { NULL, NULL, NULL, NULL },
};
