// The kernel debugger: a KD-style shell entered on breakpoints, break-ins
// and bugchecks, with the rest of the system frozen while it runs.
#pragma once

#include "rtl/rtl.h"
#include "kd/ksyms.h"
#include "kd/unwind.h"

struct _KTRAP_FRAME;

void KdInitSystem(void);
void KdStartHangDemo(void);      // demo=hang (kd/demohang.c)
// `.start` (kd/start.c): the System thread that starts programs through
// smss, created in Phase 1; and its clock-tick check, which hands a request
// recorded at the kd> prompt on once `g` has resumed the system.
void KdInitStartThread(void);
// Records the pool tracker as it is now, for !analyze -hang's "grown since
// boot" (kd/cmdanalyze.c): Phase 1 calls it once the kernel has started.
void KdRecordPoolBaseline(void);
// ...and the debugger each time it resumes the system ("since the last break-in").
void KdpRecordPoolBaseline(BOOLEAN breakIn);
void KdClockTick(void);
BOOLEAN KdClockTickPending(void);
void KdStartExQueueDemo(void);   // demo=exqueue (kd/demoexq.c)
void KdStartIoDemo(void);        // demo=io (kd/demoio.c)
void KdStartAlpcDemo(void);      // demo=alpc (kd/demoalpc.c)
// demo=alpc's chain, also built by the in-kernel tests: starts alpcdb.exe,
// alpcsvc.exe and alpcapp.exe (in that order, indexed so) and waits up to
// 10 s for the three first threads to wait where the story ends. On
// STATUS_SUCCESS or STATUS_TIMEOUT the processes and threads are the
// caller's references; on an error none is left running.
#define KD_DEMO_ALPC_DB       0
#define KD_DEMO_ALPC_SERVER   1
#define KD_DEMO_ALPC_CLIENT   2
#define KD_DEMO_ALPC_PROGRAMS 3
struct _EPROCESS;
struct _ETHREAD;
NTSTATUS KdpStartAlpcChain(struct _EPROCESS *processes[KD_DEMO_ALPC_PROGRAMS],
                           struct _ETHREAD *threads[KD_DEMO_ALPC_PROGRAMS]);
void DbgBreakPoint(void);
// The loader and the process manager tell the debugger (as NT's
// DbgLoadImageSymbols does), with interrupts disabled inside: a module just
// listed in PsLoadedModuleList resolves the bu breakpoints that name it and
// gets them in memory at once; a module about to be unloaded, or a process
// whose pages are about to go, loses its int3s first (kd/breakpt.c).
void KdNotifyImageLoad(void);
void KdNotifyImageUnload(ULONG64 base, ULONG64 end);
void KdNotifyProcessDelete(ULONG64 directoryTableBase);
// A user program's image `imageName` ("tbp.exe") was mapped into `process`
// (its address space `directoryTableBase`), before its first thread runs:
// a bu waiting for "tbp!Name" goes into that process.
void KdNotifyUserImageMap(ULONG64 process, ULONG64 directoryTableBase, const char *imageName);

// ---- Output ----------------------------------------------------------------------

void KdpPrint(const char *format, ...) __attribute__((format(printf, 1, 2)));
// Ctrl-C (cancel.c): between KdpBeginCommand and KdpEndCommand, KdpCancelled
// is TRUE once the user has asked the command to stop, and KdpPrint then
// prints nothing. KdpEndCommand says whether it was cut short (and prints
// "^C").
BOOLEAN KdpCancelled(void);
void KdpBeginCommand(void);
BOOLEAN KdpEndCommand(void);
void KdpPrintAddress(ULONG64 address);      // "fffff800`01054df3"
// For the in-kernel tests: while `buffer` is set, everything KdpPrint writes
// is also kept there, NUL-terminated and cut at `size`. NULL/0 stops it.
void KdpSetOutputCapture(char *buffer, size_t size);

// ---- Symbols ----------------------------------------------------------------------

typedef struct _KD_SYMBOL_TABLE {
    const KSYM_ENTRY *Entries;
    ULONG Count;
    const char *Names;
    const char *ModuleName;         // "nt"
    ULONG64 ModuleStart;
    ULONG64 ModuleEnd;
    ULONG NamesSize;                // bytes of Names, checked by KdpSymbolName; 0: not known
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
// A routine as dt and the I/O commands show it, by the symbols of the
// module it is in ("nt!IopInvalidDeviceRequest", "null!NullDispatch+0x10",
// "mod+0x1a2" in a module without symbols there); "" in no module
// (kd/cmddrv.c).
void KdpFormatCode(ULONG64 address, char *text, size_t size);
typedef void (*KD_SYMBOL_CALLBACK)(void *context, const KSYM_ENTRY *entry);
// Calls back for every symbol whose name matches the `x` pattern ("nt!Ke*").
ULONG KdpEnumerateSymbols(const KD_SYMBOL_TABLE *table, const char *pattern,
                          KD_SYMBOL_CALLBACK callback, void *context);

// ---- Modules (modules.c) ------------------------------------------------------------
//
// Every loaded module, read from PsLoadedModuleList with the fault-safe
// reader: its range, WinDbg's name for it ("nt", or the image name without
// its extension) and its symbols (Count 0 when it has none).

#define KD_MODULE_NAME_LENGTH 64

typedef struct _KD_MODULE {
    ULONG64 Entry;                  // its KLDR_DATA_TABLE_ENTRY
    ULONG64 Base;
    ULONG64 End;
    ULONG Flags;
    USHORT LoadCount;
    char Name[KD_MODULE_NAME_LENGTH];       // "nt", "tldrok"
    char ImageName[KD_MODULE_NAME_LENGTH];  // "ntoskrnl.exe", "tldrok.sys"
    KD_SYMBOL_TABLE Symbols;
} KD_MODULE;

// Calls back for each module in load order until the callback returns
// FALSE; FALSE (after an error line) when the list is damaged.
typedef BOOLEAN (*KD_MODULE_CALLBACK)(void *context, const KD_MODULE *module);
BOOLEAN KdpEnumerateModules(KD_MODULE_CALLBACK callback, void *context);
BOOLEAN KdpFindModuleByAddress(ULONG64 address, KD_MODULE *module);
// By WinDbg's module name (`length` characters of `name`), ignoring case.
BOOLEAN KdpFindModuleByName(const char *name, size_t length, KD_MODULE *module);
// "mod!Symbol+0xoff", or "mod+0xoff" in a module without symbols there,
// or a user address in the current process's program named from its
// symbols; FALSE (and the bare "0x...") for an address in no module.
BOOLEAN KdpFormatModuleAddress(ULONG64 address, char *buffer, size_t size);
void KdpFormatAddressSymbol(ULONG64 address, char *buffer, size_t size);
// A symbol's address: "mod!Name", a bare "Name" (nt first, then the
// drivers), or a bare module name (its base).
BOOLEAN KdpLookupSymbolValue(const char *name, ULONG64 *value);
// Every user program is linked at KD_USER_IMAGE_BASE (user/linker.ld); an
// address up to KD_USER_IMAGE_SPAN past it counts as in its image.
#define KD_USER_IMAGE_BASE 0x400000ULL
#define KD_USER_IMAGE_SPAN 0x10000000ULL
// "lpcdemo!ServerLoop+0x1a" for an address in the user program `imageName`
// ("lpcdemo.exe"), from the program's ELF symbols in the boot archive, and
// where that symbol starts (symbolStart may be NULL); FALSE when it has
// none there.
BOOLEAN KdpFormatUserSymbol(const char *imageName, ULONG64 address, char *buffer, size_t size,
                            ULONG64 *symbolStart);
// The same for an address in the image of the process of the debugger's
// current thread (`.thread`'s, else the one it interrupted).
BOOLEAN KdpFormatCurrentUserSymbol(ULONG64 address, char *buffer, size_t size,
                                   ULONG64 *symbolStart);

// ---- Expressions --------------------------------------------------------------------
//
// MASM-style, as KD evaluates arguments: hex numbers (0n for decimal,
// backticks allowed), symbols (nt!Name), registers (@rax), poi(expr), + - *
// and parentheses.

typedef struct _KD_EXPRESSION_ENVIRONMENT {
    const KD_SYMBOL_TABLE *Symbols;
    BOOLEAN (*ReadMemory)(ULONG64 address, void *buffer, SIZE_T length);
    BOOLEAN (*ReadRegister)(const char *name, ULONG64 *value);
    // When set, resolves a symbol instead of `Symbols` (every module's).
    BOOLEAN (*LookupSymbol)(const char *name, ULONG64 *value);
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
// The words of the command running now that were typed in quotes (bit i:
// argv[i]), for a command whose word may be a number or a text (bp).
extern ULONG64 KdpQuotedWords;

// How deep the running command is nested (1: typed at the prompt; 2: run
// by `!list -x`...).
ULONG KdpCommandNesting(void);

// Reads an expression argument; prints the error line and returns FALSE on junk.
BOOLEAN KdpGetValue(const char *text, ULONG64 *value);
// The shell's expression environment: its symbols, registers and memory.
extern const KD_EXPRESSION_ENVIRONMENT KdpEnvironment;

// The state the debugger was entered with, and the register context the
// commands use: the entry context, or a switched-out thread's after `.thread`.
typedef struct _KD_STATE {
    struct _KTRAP_FRAME *TrapFrame;         // what `r`, `k` and @registers read
    struct _KTRAP_FRAME *EntryTrapFrame;    // the context the debugger was entered with
    ULONG Reason;               // KD_REASON
    BOOLEAN Active;
    KIRQL EntryIrql;            // CR8 of the interrupted code, for `!irql`
    ULONG64 ContextThread;      // `.thread`: whose saved registers TrapFrame holds, else 0
    ULONG64 ContextLeafRip;     // ...and its frameless KiSwapContext frame, for `k`
    ULONG64 ContextLeafSp;
    ULONG64 ContextProcess;     // `.process`: whose user half the commands read, else 0
    struct _KTRAP_FRAME *ScopeFrame;        // `.frame N`: that frame's registers, else NULL
    ULONG ScopeIndex;
    ULONG Processor;            // `~N`: the processor the commands look at (the prompt's N)
    ULONG BreakProcessor;       // the processor that entered the debugger
    struct _KTRAP_FRAME *BreakTrapFrame;    // its context, which `g` resumes
    KIRQL BreakIrql;
} KD_STATE;

// The KPRCB of the processor `~N` chose (cmdcpu.c).
struct _KPRCB;
struct _KTRAP_FRAME;
struct _KPRCB *KdpCurrentPrcb(void);
// Processor `number`'s KPRCB (NULL past the last one), the registers it
// stopped with (NULL when unknown: it did not stop) and its IRQL then.
struct _KPRCB *KdpProcessorPrcb(ULONG number);
struct _KTRAP_FRAME *KdpProcessorTrapFrame(ULONG number);
KIRQL KdpProcessorIrql(ULONG number);
// Parses "N" as a processor number; prints why not and returns FALSE.
BOOLEAN KdpGetProcessor(const char *text, ULONG *number);
// The processor whose current thread `thread` is, else the break-in's.
struct _KTHREAD;
ULONG KdpThreadProcessor(const struct _KTHREAD *thread);

extern KD_STATE KdpState;
// Fault-safe reads and writes of the debugger (debugger.c). A user address
// (below KD_USER_SPACE_END) is read in the process `.process` or `.thread`
// chose, through its page tables, else as CR3 maps it. A write into a page
// mapped read-only fails (FALSE), as a write to an unmapped one does.
#define KD_USER_SPACE_END 0x0000800000000000ULL
BOOLEAN KdpReadMemory(ULONG64 address, void *buffer, SIZE_T length);
BOOLEAN KdpWriteMemory(ULONG64 address, const void *buffer, SIZE_T length);
// The process whose user addresses the commands read: `.process`'s, else
// the process of `.thread`'s thread; 0 when neither was chosen (cmdctx.c).
ULONG64 KdpImplicitProcessOverride(void);
// The process `.process` alone shows: the override, else the current
// thread's process.
ULONG64 KdpImplicitProcess(void);
// Reads memory of the address space whose PML4 is at physical address
// `directoryTableBase` (a process's KPROCESS.DirectoryTableBase), whatever
// CR3 holds: its page tables are walked through the direct map, every read
// fault-safe. FALSE when any byte is not mapped there.
BOOLEAN KdpReadProcessMemory(ULONG64 directoryTableBase, ULONG64 address, void *buffer,
                             SIZE_T length);
// The lowest mapped page at or above `address` and below `end` in that
// address space, found by walking its page tables: a range a missing table
// leaves unmapped is skipped whole, so scanning the sparse pool region costs
// what is mapped, not what is reserved. FALSE when there is none.
BOOLEAN KdpNextMappedPage(ULONG64 directoryTableBase, ULONG64 address, ULONG64 end,
                          ULONG64 *page);
// A register of the current context by name ("rax", "rip", "efl").
BOOLEAN KdpReadRegister(const char *name, ULONG64 *value);

// The command families, each in its own file.
extern const KD_COMMAND KdpShellCommands[];
extern const KD_COMMAND KdpMemoryCommands[];
extern const KD_COMMAND KdpSymbolCommands[];
extern const KD_COMMAND KdpSystemCommands[];
extern const KD_COMMAND KdpPoolCommands[];
extern const KD_COMMAND KdpThreadCommands[];
extern const KD_COMMAND KdpProcessCommands[];
extern const KD_COMMAND KdpSchedulerCommands[];
extern const KD_COMMAND KdpProcessorCommands[];
extern const KD_COMMAND KdpObjectCommands[];
extern const KD_COMMAND KdpLpcCommands[];
extern const KD_COMMAND KdpAlpcCommands[];    // !alpc (cmdalpc.c)
extern const KD_COMMAND KdpTokenCommands[];
extern const KD_COMMAND KdpStartCommands[];
extern const KD_COMMAND KdpAnswerCommands[];   // .answer (cmdanswer.c)
extern const KD_COMMAND KdpStacksCommands[];   // !stacks (cmdstacks.c)
extern const KD_COMMAND KdpContextCommands[];  // .process (cmdctx.c)
extern const KD_COMMAND KdpEditCommands[];     // eb ed eq s (cmdedit.c)
extern const KD_COMMAND KdpListCommands[];     // !list (list.c)
// Where a display command without an address starts (cmdmem.c): `!list`
// points it at each entry, as WinDbg does.
void KdpSetDisplayAddress(ULONG64 address);
// WinDbg's @$extret: the entry `!list` is at (list.c). FALSE outside !list.
BOOLEAN KdpReadExtensionReturn(ULONG64 *value);
// The SID at `address` as text ("S-1-5-18"), or why it cannot be shown.
void KdpFormatSidAt(ULONG64 address, char *text, SIZE_T size);
// !vad (cmdvad.c), listed with !process.
KD_COMMAND_RESULT KdpVad(int argc, char **argv);
KD_COMMAND_RESULT KdpVirtualMemory(int argc, char **argv);   // !vm (cmdvm.c)
KD_COMMAND_RESULT KdpSession(int argc, char **argv);         // !session (cmdvm.c)
// !sd (cmdsd.c), listed with !token.
KD_COMMAND_RESULT KdpSecurityDescriptor(int argc, char **argv);
// !thread's "Impersonation token:" line for a thread that impersonates,
// "Not impersonating" for one that does not (as the seeds show every thread).
struct _ETHREAD;
void KdpPrintImpersonation(const struct _ETHREAD *thread, ULONG indent);
// !thread's "Waiting for reply to ALPC Message ... : queued at port ... :
// owned by process ..." line, for a thread waiting for the reply to an ALPC
// request (cmdalpc.c).
void KdpPrintThreadAlpc(const struct _ETHREAD *thread, ULONG indent);
// !thread's "IRP List:" and a line per IRP the thread has issued (cmdirp.c).
void KdpPrintThreadIrps(ULONG64 thread, ULONG indent);

// Stack walking (call frame information, kd/stack.c): for `k`, `!thread`, `!stacks`,
// `.frame` and the bugcheck report.
// A walk starts at the code at Rip with stack pointer Rsp and frame pointer
// Rbp. A frameless leaf above it (KiSwapContext, in a switched-out thread)
// is given by LeafRip and LeafSp, and is printed first; LeafRip 0: none.
//
// A thread that entered the kernel from user mode has its user registers in
// the KTRAP_FRAME at the top of its kernel stack. When UserTrapFrame is set,
// the kernel walk stops where it reaches that trap (the system-call entry,
// or an interrupt's frame record pointing at user code) and goes on with
// the user frames, read from the address space DirectoryTableBase (the
// thread's process, not whatever CR3 holds), named after the process's image.
//
// The walk unwinds by call frame information (kd/unwind.c), so it needs
// the callee-saved registers where it starts: Registers holds what is
// known of them (by DWARF number, Valid a bit for each). Rip, Rsp and Rbp
// are always taken from the fields above.
typedef struct _KD_STACK_START {
    ULONG64 LeafRip;
    ULONG64 LeafSp;
    ULONG64 Rip;
    ULONG64 Rsp;
    ULONG64 Rbp;
    ULONG64 UserTrapFrame;          // address of the user-mode KTRAP_FRAME, or 0
    ULONG64 DirectoryTableBase;     // where the user frames are read
    ULONG64 Process;                // the EPROCESS, for the image name
    KD_UNWIND_CONTEXT Registers;
} KD_STACK_START;

// One frame of a walk: its stack pointer, where it returns, the code it is
// in, its CFA (where the "Args to Child" home slots are), the trap frame it
// returns through, and its registers as far as they could be recovered.
typedef struct _KD_FRAME {
    ULONG64 ChildSp;
    ULONG64 ReturnAddress;
    ULONG64 CallSite;
    ULONG64 Cfa;                    // 0: unknown
    ULONG64 TrapFrame;              // 0: none
    ULONG64 DirectoryTableBase;     // a user frame's address space
    ULONG64 EFlags, SegCs, SegSs;   // known where a trap saved them, else 0
    BOOLEAN User;
    BOOLEAN Exact;                  // CallSite is where it stopped (frame 0, or what a
                                    // trap interrupted), not a return address
    KD_UNWIND_CONTEXT Registers;    // by DWARF number; Value[KD_DW_RA] is its rip
} KD_FRAME;

// What a listing shows: `kn` numbers the frames, `kb` adds Args to Child;
// QUIET walks without printing.
#define KD_STACK_NUMBERS 0x1
#define KD_STACK_ARGS    0x2
#define KD_STACK_QUIET   0x4
#define KD_STACK_PARAMS  0x8        // kp: the function's parameters on its line
#define KD_STACK_PARAM_LINES 0x10   // kP: each parameter on a line of its own

// From a full register set (a trap frame): every register known.
void KdpPrintStackFromTrap(const struct _KTRAP_FRAME *trap, ULONG maxFrames);
void KdpPrintStackFrom(const KD_STACK_START *start, ULONG maxFrames, ULONG indent);
// Every register of a trap frame, by DWARF number.
void KdpContextFromTrap(const struct _KTRAP_FRAME *trap, KD_UNWIND_CONTEXT *context);
void KdpPrintStackEx(const KD_STACK_START *start, ULONG maxFrames, ULONG indent, ULONG flags);
// kp/kP's call site: "nt!Name(type name = value, ...)+0x1a" from the debug
// information's parameters (params.c). FALSE when it has no function there
// (the caller prints `symbol`, "nt!Name+0x1a", as k does).
BOOLEAN KdpPrintFrameFunction(const KD_FRAME *frame, const char *symbol, ULONG flags,
                              const char *imageName);
// One line of such a listing (`.frame` prints the frame it selects so).
void KdpPrintFrameLine(const KD_FRAME *frame, ULONG index, ULONG flags, ULONG indent,
                       const char *imageName);
// Frame `index` of the walk from `start` (and the user image's name, for
// printing it); FALSE when the stack has fewer frames.
BOOLEAN KdpGetStackFrame(const KD_STACK_START *start, ULONG index, KD_FRAME *frame,
                         char *imageName, size_t imageNameSize);
void KdpPrintRegisters(const struct _KTRAP_FRAME *frame);
// k, kb, kn, kv and .frame (cmdframe.c), listed with the system commands.
KD_COMMAND_RESULT KdpStack(int argc, char **argv);
KD_COMMAND_RESULT KdpSetFrame(int argc, char **argv);

// ---- Threads and processes (cmdthread.c, cmdproc.c) ---------------------------------
//
// Every structure is read through KdpReadMemory and every list walk is
// bounded: a corrupt thread or list prints an error line, never a fault.

#define KD_MAX_LIST_ENTRIES 100000

// Calls back with the address of every entry of the LIST_ENTRY list whose
// head is at `head`, checking each link as it goes; a callback returning
// FALSE stops the walk. A corrupt, unreadable or endless list ends the walk
// with an error line naming `what`; then the walk returns FALSE.
typedef BOOLEAN (*KD_LIST_CALLBACK)(void *context, ULONG64 entry);
// Loop detection for walks that follow links without a head to come back
// to (dl, !list): Brent's method, a constant-size check that sees any
// cycle within about twice its length plus the way into it.
typedef struct _KD_LOOP_CHECK {
    ULONG64 Saved;
    ULONG64 Power;
    ULONG64 Steps;
} KD_LOOP_CHECK;
void KdpLoopCheckInitialize(KD_LOOP_CHECK *check);
// TRUE when `next` closes a loop among the links seen so far.
BOOLEAN KdpLoopCheck(KD_LOOP_CHECK *check, ULONG64 next);
// Shows `count` elements from `address` as the display command `format`
// ("db", "dc", "dq"...) would (cmdmem.c); FALSE for an unknown format.
BOOLEAN KdpDisplayMemory(const char *format, ULONG64 address, ULONG64 count);
BOOLEAN KdpWalkList(ULONG64 head, const char *what, KD_LIST_CALLBACK callback, void *context);

// What `!thread` shows (WinDbg's flags): 0 or 4 alone, the THREAD line only.
#define KD_THREAD_WAIT_STATES 0x2   // the wait objects and the thread's details
#define KD_THREAD_STACK       0x4   // with KD_THREAD_WAIT_STATES: the stack too
#define KD_THREAD_DEFAULT     (KD_THREAD_WAIT_STATES | KD_THREAD_STACK)

// Prints a thread as `!thread` does, every line indented by `indent`.
// Returns FALSE (after one error line) when `thread` is not a readable thread.
BOOLEAN KdpPrintThread(ULONG64 thread, ULONG flags, ULONG indent);
// Is `address` a thread object (dispatcher type and object type both agree)?
BOOLEAN KdpIsThread(ULONG64 address);
// The thread running on this processor when the debugger was entered.
ULONG64 KdpCurrentThread(void);
// Called for each entry of an object directory: the object, its hash bucket,
// and whether it is the first entry of that bucket. FALSE stops the walk.
typedef BOOLEAN (*KD_DIRECTORY_CALLBACK)(void *context, ULONG64 object, ULONG bucket,
                                         BOOLEAN first);
// Walks every hash chain of a directory (cmdobj.c); a chain that cannot be
// read or does not end stops the walk with an error line (FALSE).
BOOLEAN KdpWalkDirectory(ULONG64 directory, KD_DIRECTORY_CALLBACK callback, void *context);
// "DISPATCH_LEVEL" for an IRQL, as !irql names it (cmdsched.c).
const char *KdpIrqlName(KIRQL irql);
// The thread commands mean by "current": the one `.thread` chose, else that one.
ULONG64 KdpImplicitThread(void);
// What KiSwapContext pushed on a switched-out thread's stack, lowest address
// first (arch/x86_64/ctxswap.asm); KTHREAD.KernelStack points at it.
typedef struct _KD_SWITCH_FRAME {
    ULONG64 R15, R14, R13, R12, Rbx, Rbp, EFlags, ReturnAddress;
} KD_SWITCH_FRAME;

// Reads a switched-out thread's saved frame and where its stack walk starts
// (the KiSwapContext frame, then the code it returns to). FALSE with a reason
// ("has never run", "stack is gone"...) when there is no stack to walk.
BOOLEAN KdpGetSwitchedThreadStack(ULONG64 thread, KD_SWITCH_FRAME *frame, KD_STACK_START *start,
                                  const char **why);
// Where a walk of `thread`'s stack starts: the debugger's trap frame for the
// thread it interrupted (`current`), else the KiSwapContext frame; with the
// user part filled in for a thread that came from user mode. FALSE with a
// reason when there is no stack to walk.
BOOLEAN KdpGetThreadStackStart(ULONG64 thread, BOOLEAN current, KD_STACK_START *start,
                               const char **why);
// The kernel call sites of a walk, innermost first (the leaf, then each
// return address along the frame-pointer chain), stopping at user code, at
// the end of the chain or after `max`; returns how many were stored.
ULONG KdpCollectCallSites(const KD_STACK_START *start, ULONG64 *sites, ULONG max);
// The process's image name ("System"), NUL-terminated, printable; FALSE if unreadable.
BOOLEAN KdpReadImageName(ULONG64 process, char *name, size_t size);
// "hh:mm:ss.mmm" for a tick count, as `!thread` prints UserTime and KernelTime.
void KdpFormatTickTime(char *buffer, size_t size, ULONG64 ticks);

// Fills in the user part of `start` when `thread` came from user mode: its
// trap frame at the top of its kernel stack says ring 3. FALSE (start
// unchanged) for a System thread, or one with no such frame.
BOOLEAN KdpGetUserStackStart(ULONG64 thread, KD_STACK_START *start);
// The user-mode KTRAP_FRAME of a thread of a process with its own address
// space: where it is and what it holds. FALSE when there is none.
BOOLEAN KdpReadUserTrapFrame(ULONG64 thread, ULONG64 *address, struct _KTRAP_FRAME *frame);

// A process argument as `!process` and `!handle` take it: -1 the current
// thread's process, a small number a Cid, else an EPROCESS address (checked).
// Prints one error line and returns FALSE when there is no such process.
BOOLEAN KdpResolveProcess(ULONG64 which, ULONG64 *process);
// The four-line PROCESS paragraph of `!process ADDR 0`, then a blank line.
void KdpPrintProcessSummary(ULONG64 process);
// The process's handle count, read from its handle table (0 if it has none).
ULONG KdpProcessHandleCount(ULONG64 objectTable);

// ---- Objects (cmdobj.c) ----------------------------------------------------------------

// Prints an object as `!object` does (header, type, counts, name; for a
// directory its entries, for a symbolic link its target, when `contents`).
// `indent` is that of the Object: line; WinDbg's `!handle` indents the
// counts further (countIndent). FALSE after an error line if `object` is
// not an object: its header's Type must be a real type object.
BOOLEAN KdpPrintObject(ULONG64 object, ULONG indent, ULONG countIndent, BOOLEAN contents);
// The name of an object (checked as KdpPrintObject does), "" when unnamed;
// FALSE if `object` is not an object.
BOOLEAN KdpReadObjectName(ULONG64 object, char *name, size_t size);
// The object named by an absolute path ("\Driver\Null"), looked up as the
// object manager does (case-insensitive) but by reading, not locking.
// Symbolic links on the way are not followed: the debugger shows the
// namespace as it is. Unless `quiet`, says in one line why it is not found.
BOOLEAN KdpLookupObjectPath(const char *path, ULONG64 *object, BOOLEAN quiet);
// A file object's name as !object and !handle show it, WinDbg's
// "\dir\file {DeviceName}" (cmdfile.c); FALSE if it is no file object.
BOOLEAN KdpFormatFileObjectName(ULONG64 file, char *name, size_t size);
// The type object named `name` in \ObjectTypes, looked up quietly; 0 if none.
ULONG64 KdpFindObjectType(const char *name);

// ---- LPC (cmdlpc.c, lpcdump.c) ----------------------------------------------------------
//
// !lpc reads LPC's structures (lpc/lpcp.h) and the threads' LPC fields and
// calls nothing of LPC's. Ports are the objects of the types named "Port"
// and "WaitablePort" in \ObjectTypes, looked up at each command. The
// in-kernel tests build their ports as objects of a stand-in type whose
// name cannot collide with LPC's and name it here (NULL: none).
void KdpLpcSetExtraPortType(const char *typeName);

// ---- Demonstration scenario (demo.c) -------------------------------------------------

// demo=waits: starts System threads in known waits (x nt!KdDemo*) and returns
// once they all wait. Called from Phase1Initialization, at PASSIVE_LEVEL.
void KdStartWaitDemo(void);
// The initial break-in of the demo: at DISPATCH_LEVEL with a DPC queued, so
// `!irql` and `!dpcs` have something to show.
void KdDemoBreakPoint(void);

// ---- System worker queues (cmdexq.c) ----------------------------------------------------

extern const KD_COMMAND KdpWorkerQueueCommands[];
extern const KD_COMMAND KdpTypeCommands[];     // dt (cmdtype.c)
extern const KD_COMMAND KdpDisasmCommands[];   // u, ub, uf (cmddisasm.c)
// "prog!Name" in the program of the debugger's current thread's process:
// the symbol's value and size from the program's ELF symbols (cmddisasm.c).
BOOLEAN KdpLookupCurrentUserSymbol(const char *name, ULONG64 *value, ULONG64 *size);
// The same in the program `image` ("tbp.exe"): "tbp!Name" names its symbol.
BOOLEAN KdpLookupUserSymbol(const char *image, const char *name, ULONG64 *value, ULONG64 *size);
// `!thread`'s state words ("WAIT: (WrQueue) KernelMode Non-Alertable",
// "RUNNING on processor 0") and its line for one wait object (the address,
// then what it is), shared with `!exqueue`.
struct _KTHREAD;
void KdpFormatThreadState(const struct _KTHREAD *thread, char *buffer, size_t size);
void KdpPrintWaitObject(ULONG64 object, ULONG indent);
