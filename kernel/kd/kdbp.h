// Breakpoints and stepping: the table of breakpoints (breakpt.c), the
// commands and the decision at each debug trap (step.c), and what the
// debugger's entry and exit (debugger.c) call.
//
// Software breakpoints are in memory only while the system runs, as KD
// does it: every int3 is taken out when the debugger is entered and put
// back when it resumes, so what the shell reads (db, u) is the real code,
// and the debugger's own code never meets one of them. A breakpoint at the
// instruction the system resumes at is stepped over first (one
// single-step with TF), then put back. Hardware breakpoints (ba) are the
// debug registers, disarmed the same way while the shell runs.
#pragma once

#include "kd/kd.h"
#include "ke/ke.h"

struct _KTRAP_FRAME;

#define KD_MAX_BREAKPOINTS 32
#define KD_MAX_HARDWARE_BREAKPOINTS 4
#define KD_BP_EXPRESSION_LENGTH 80
#define KD_BP_COMMANDS_LENGTH 160

typedef struct _KD_BREAKPOINT {
    BOOLEAN InUse;
    BOOLEAN Enabled;
    BOOLEAN Deferred;           // bu: its module is not loaded (yet, or any more)
    BOOLEAN Hardware;           // ba: a debug register
    BOOLEAN Inserted;           // an int3 is in memory now
    UCHAR Access;               // ba: 'e' execute, 'w' write, 'r' read/write
    UCHAR Size;                 // ba: 1, 2, 4 or 8 bytes
    UCHAR OriginalByte;
    ULONG Id;
    ULONG Passes;               // bp ADDR Passes: it stops on that pass (1: every one)
    ULONG PassesLeft;           // counts down on each pass under g, stays at 1
    ULONG64 Address;
    ULONG64 DirectoryTableBase; // a user breakpoint's address space; 0: kernel
    ULONG64 Process;            // ...and its EPROCESS
    ULONG64 InsertedPhysical;   // where the int3 was written
    char Expression[KD_BP_EXPRESSION_LENGTH];   // bu's "mod!Name"; "" when set by address
    char Commands[KD_BP_COMMANDS_LENGTH];       // run at each hit
} KD_BREAKPOINT;

extern KD_BREAKPOINT KdpBreakpoints[KD_MAX_BREAKPOINTS];
extern const KD_COMMAND KdpBreakpointCommands[];     // bp bu ba bl bc bd be (cmdbp.c)
extern const KD_COMMAND KdpStepCommands[];           // t p gu (step.c)
// `g ADDR`: resume with a one-shot breakpoint at `address`, any thread.
KD_COMMAND_RESULT KdpGoTo(ULONG64 address);

// The address space a trap happened in (CR3's frame), for matching user
// breakpoints to their process.
ULONG64 KdpCurrentAddressSpace(void);
// Writes one byte of code in the address space `directoryTableBase` (0: the
// kernel's) through the direct map, whatever the page's protection; returns
// the byte it replaced and the physical address written. FALSE when the
// address is not mapped there, or (user) is a page shared by a section.
BOOLEAN KdpPatchCode(ULONG64 directoryTableBase, ULONG64 address, UCHAR byte, UCHAR *previous,
                     ULONG64 *physical);
// Puts `original` back at `physical` if `address` still maps there and the
// int3 is still in place: a page freed since then is left alone.
void KdpUnpatchCode(ULONG64 directoryTableBase, ULONG64 address, UCHAR original,
                    ULONG64 physical);
// Is `address` code the debugger runs to stop and resume (kernel/kd, the
// consoles' output, the trap path)? A breakpoint there is refused.
BOOLEAN KdpIsDebuggerCode(ULONG64 address);

// Entry: take every int3 out of memory and disarm the debug registers.
void KdpRemoveBreakpoints(void);
// Exit: put them back, except any at the instruction `frame` resumes at;
// TRUE when one is there (the caller steps over it first). Arms the debug
// registers, and sets RF when an execute breakpoint is at that instruction.
// With no frame (a change made while the system runs) every one goes in.
BOOLEAN KdpInsertBreakpoints(struct _KTRAP_FRAME *frame);
// The enabled software breakpoint at `address` for the address space
// `directoryTableBase` (kernel breakpoints match every one), or NULL.
KD_BREAKPOINT *KdpFindBreakpointAt(ULONG64 address, ULONG64 directoryTableBase);
// The hardware breakpoint DR6 says fired, or NULL.
KD_BREAKPOINT *KdpFindHardwareHit(ULONG64 dr6);

// What a debug trap is, once the breakpoints are out (step.c).
typedef enum _KD_TRAP_ACTION {
    KdTrapStop,             // enter the shell
    KdTrapResume,           // the debugger's own business (a step over a breakpoint): go on
    KdTrapNotOurs,          // a user-mode trap that is the thread's own exception
} KD_TRAP_ACTION;

typedef enum _KD_STOP_KIND {
    KdStopOther,            // break-in, bugcheck, a hard-coded int3: the usual banner
    KdStopBreakpoint,       // "Breakpoint N hit"
    KdStopStep,             // t, p, gu or g ADDR arrived
} KD_STOP_KIND;

typedef struct _KD_STOP {
    KD_STOP_KIND Kind;
    KD_BREAKPOINT *Breakpoint;
} KD_STOP;

KD_TRAP_ACTION KdpClassifyTrap(struct _KTRAP_FRAME *frame, KD_REASON reason, KD_STOP *stop);
// Resuming `frame`: puts the breakpoints back and arms what t, p, gu or
// g ADDR asked for.
void KdpPrepareResume(struct _KTRAP_FRAME *frame);
// "nt!KeWaitForSingleObject+0x4:" and the instruction line, as KD shows
// where it stopped.
void KdpPrintStopLocation(ULONG64 address);
// A hit of `breakpoint` by a running system (not a step arriving there):
// TRUE when it stops; FALSE when a pass is counted and the system goes on.
BOOLEAN KdpCountPass(KD_BREAKPOINT *breakpoint);
// Runs a breakpoint's commands (";"-separated); the result of the last.
KD_COMMAND_RESULT KdpRunBreakpointCommands(const char *commands);
// Enter on an empty line repeats the last `t` or `p` ("" when none).
extern char KdpRepeatCommand[8];

// For the in-kernel tests: while set, the shell reads its lines from this
// NULL-terminated list (each echoed after the prompt) instead of the
// consoles; when it runs out, "g" is used and *exhausted set.
void KdpSetScriptedInput(const char *const *lines, BOOLEAN *exhausted);
