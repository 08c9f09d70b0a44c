// The shell: split a line into words, find the command, run it. `help`
// lists every command from the same tables the dispatcher uses, so a command
// cannot exist without a help line.

#include "kd/kd.h"
#include "kd/kdio.h"
#include "kd/kdbp.h"
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
    KdpObjectCommands,
    KdpLpcCommands,
    KdpTokenCommands,
    KdpStartCommands,
    KdpStacksCommands,
    KdpWorkerQueueCommands,
    KdpTypeCommands,
    KdpDisasmCommands,
    KdpBreakpointCommands,
    KdpStepCommands,
};

BOOLEAN KdpReadRegister(const char *name, ULONG64 *value)
{
    const KTRAP_FRAME *frame = KdpState.TrapFrame;
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

static const KD_EXPRESSION_ENVIRONMENT KdpEnvironment = {
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

static const KD_COMMAND *KdpFindCommand(const char *name)
{
    for (ULONG t = 0; t < ARRAYSIZE(KdpCommandTables); t++) {
        for (const KD_COMMAND *command = KdpCommandTables[t]; command->Name; command++) {
            if (RtlCompareStringInsensitive(command->Name, name) == 0)
                return command;
        }
    }
    return NULL;
}

// Splits on spaces; a "quoted string" is one word. Writes NULs into `line`.
static int KdpSplit(char *line, char **argv)
{
    int argc = 0;

    while (*line) {
        while (RtlIsSpace(*line))
            *line++ = '\0';
        if (!*line)
            break;
        if (argc == KD_MAX_ARGUMENTS)
            return -1;
        if (*line == '"') {
            argv[argc++] = ++line;
            while (*line && *line != '"')
                line++;
            if (*line)
                *line++ = '\0';
        } else {
            argv[argc++] = line;
            while (*line && !RtlIsSpace(*line))
                line++;
        }
    }
    return argc;
}

KD_COMMAND_RESULT KdpExecuteLine(char *line)
{
    char *argv[KD_MAX_ARGUMENTS + 1];
    int argc = KdpSplit(line, argv);
    const KD_COMMAND *command;

    if (argc < 0) {
        KdpPrint("Too many arguments (at most %d)\n", KD_MAX_ARGUMENTS);
        return KdCommandContinue;
    }
    if (argc == 0)
        return KdCommandContinue;
    argv[argc] = NULL;

    command = KdpFindCommand(argv[0]);
    if (!command) {
        // KD's own words for a command it does not know.
        KdpPrint("Unknown command '%s'; `help` lists the commands\n", argv[0]);
        return KdCommandContinue;
    }
    return command->Routine(argc, argv);
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
