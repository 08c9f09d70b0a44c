// The kernel debugger: a KD-style shell entered on breakpoints, break-ins
// and bugchecks, with the rest of the system frozen while it runs.
#pragma once

#include "rtl/rtl.h"
#include "kd/ksyms.h"

struct _KTRAP_FRAME;

void KdInitSystem(void);
void DbgBreakPoint(void);

// ---- Output ----------------------------------------------------------------------

void KdpPrint(const char *format, ...) __attribute__((format(printf, 1, 2)));
void KdpPrintAddress(ULONG64 address);      // "fffff800`01054df3"

// ---- Symbols ----------------------------------------------------------------------

typedef struct _KD_SYMBOL_TABLE {
    const KSYM_ENTRY *Entries;
    ULONG Count;
    const char *Names;
    const char *ModuleName;         // "nt"
    ULONG64 ModuleStart;
    ULONG64 ModuleEnd;
} KD_SYMBOL_TABLE;

extern KD_SYMBOL_TABLE KdpKernelSymbols;

const char *KdpSymbolName(const KD_SYMBOL_TABLE *table, const KSYM_ENTRY *entry);
// The symbol at or before `address` within the module; NULL outside it.
const KSYM_ENTRY *KdpLookupAddress(const KD_SYMBOL_TABLE *table, ULONG64 address,
                                   ULONG64 *displacement);
// The symbol after `entry` at a higher address, for `ln`'s right column.
const KSYM_ENTRY *KdpNextSymbol(const KD_SYMBOL_TABLE *table, const KSYM_ENTRY *entry);
// By name, ignoring case; "nt!Name" or "Name".
const KSYM_ENTRY *KdpLookupName(const KD_SYMBOL_TABLE *table, const char *name);
// "nt!KiSwapContext+0x85", "nt!KeTickCount", or the bare address.
void KdpFormatSymbol(const KD_SYMBOL_TABLE *table, ULONG64 address, char *buffer, size_t size);
typedef void (*KD_SYMBOL_CALLBACK)(void *context, const KSYM_ENTRY *entry);
// Calls back for every symbol whose name matches the `x` pattern ("nt!Ke*").
ULONG KdpEnumerateSymbols(const KD_SYMBOL_TABLE *table, const char *pattern,
                          KD_SYMBOL_CALLBACK callback, void *context);

// ---- Expressions --------------------------------------------------------------------
//
// MASM-style, as KD evaluates arguments: hex numbers (0n for decimal,
// backticks allowed), symbols (nt!Name), registers (@rax), poi(expr), + - *
// and parentheses.

typedef struct _KD_EXPRESSION_ENVIRONMENT {
    const KD_SYMBOL_TABLE *Symbols;
    BOOLEAN (*ReadMemory)(ULONG64 address, void *buffer, SIZE_T length);
    BOOLEAN (*ReadRegister)(const char *name, ULONG64 *value);
} KD_EXPRESSION_ENVIRONMENT;

// Evaluates `text` in full. On failure returns FALSE with a one-line reason
// in `error`.
BOOLEAN KdpEvaluate(const KD_EXPRESSION_ENVIRONMENT *environment, const char *text,
                    ULONG64 *value, char *error, size_t errorSize);

// ---- The shell ------------------------------------------------------------------------

#define KD_MAX_ARGUMENTS 16

typedef enum _KD_COMMAND_RESULT {
    KdCommandContinue,          // read the next command
    KdCommandResume,            // `g`: let the system run
    KdCommandCrash,             // `.crash`: leave, then bug check
} KD_COMMAND_RESULT;

typedef KD_COMMAND_RESULT (*KD_COMMAND_ROUTINE)(int argc, char **argv);

typedef struct _KD_COMMAND {
    const char *Name;
    KD_COMMAND_ROUTINE Routine;
    const char *Syntax;
    const char *Summary;
} KD_COMMAND;

// Runs one command line as the shell would; used by the shell itself and by
// the in-kernel tests.
KD_COMMAND_RESULT KdpExecuteLine(char *line);

// Reads an expression argument; prints the error line and returns FALSE on junk.
BOOLEAN KdpGetValue(const char *text, ULONG64 *value);

// The state the debugger was entered with.
typedef struct _KD_STATE {
    struct _KTRAP_FRAME *TrapFrame;
    ULONG Reason;               // KD_REASON
    BOOLEAN Active;
} KD_STATE;

extern KD_STATE KdpState;
BOOLEAN KdpReadMemory(ULONG64 address, void *buffer, SIZE_T length);
// A register of the current context by name ("rax", "rip", "efl").
BOOLEAN KdpReadRegister(const char *name, ULONG64 *value);

// The command families, each in its own file.
extern const KD_COMMAND KdpShellCommands[];
extern const KD_COMMAND KdpMemoryCommands[];
extern const KD_COMMAND KdpSymbolCommands[];
extern const KD_COMMAND KdpSystemCommands[];
extern const KD_COMMAND KdpPoolCommands[];

// Stack walking (frame pointers): for `k` and the bugcheck report.
void KdpPrintStack(ULONG64 rip, ULONG64 rsp, ULONG64 rbp, ULONG maxFrames);
void KdpPrintRegisters(const struct _KTRAP_FRAME *frame);
