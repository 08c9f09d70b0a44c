// The kernel core (Ke): processor control region, IRQL, spin locks, the
// clock, traps and bugchecks. Dispatcher objects and the scheduler arrive on
// top of these.
#pragma once

#include "rtl/rtl.h"
#include "ke/ketypes.h"

// ---- IRQL (x64: the value of CR8) ---------------------------------------------

#define PASSIVE_LEVEL  0
#define LOW_LEVEL      0
#define APC_LEVEL      1
#define DISPATCH_LEVEL 2
#define CMCI_LEVEL     5
#define CLOCK_LEVEL    13
#define IPI_LEVEL      14
#define DRS_LEVEL      14
#define POWER_LEVEL    14
#define PROFILE_LEVEL  15
#define HIGH_LEVEL     15

KIRQL KeGetCurrentIrql(void);
#ifdef SLEUTH_HOST
KIRQL KfRaiseIrql(KIRQL newIrql);
void KeLowerIrql(KIRQL newIrql);
#endif
#define KeRaiseIrql(newIrql, oldIrql) (*(oldIrql) = KfRaiseIrql(newIrql))
KIRQL KeRaiseIrqlToDpcLevel(void);

// ---- Spin locks ---------------------------------------------------------------
//
// A KSPIN_LOCK is a word: 0 free, otherwise the owner's KPRCB address + 1.
// KeAcquireSpinLock raises to DISPATCH_LEVEL; the AtDpcLevel forms assume the
// caller already is there. Interrupt-level users take the lock with
// KeAcquireSpinLockRaiseToSynch / KiAcquireSpinLockDisableInterrupts.

typedef ULONG_PTR KSPIN_LOCK;

void KeInitializeSpinLock(KSPIN_LOCK *lock);
#ifdef SLEUTH_HOST
// The kernel's are inline (below, after the KPRCB); the host tests' shims
// define these.
void KeAcquireSpinLock(KSPIN_LOCK *lock, KIRQL *oldIrql);
void KeReleaseSpinLock(KSPIN_LOCK *lock, KIRQL oldIrql);
void KeAcquireSpinLockAtDpcLevel(KSPIN_LOCK *lock);
void KeReleaseSpinLockFromDpcLevel(KSPIN_LOCK *lock);
BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(KSPIN_LOCK *lock);
#endif
BOOLEAN KiAcquireSpinLockDisableInterrupts(KSPIN_LOCK *lock);

// In-stack queued spin locks: FIFO hand-off, each waiter spinning on its
// own entry in the KLOCK_QUEUE_HANDLE it passes (on its stack). The same
// KSPIN_LOCK must be used only with the queued or only with the plain calls.
typedef struct _KSPIN_LOCK_QUEUE {
    struct _KSPIN_LOCK_QUEUE *volatile Next;
    KSPIN_LOCK *volatile Lock;
} KSPIN_LOCK_QUEUE;

typedef struct _KLOCK_QUEUE_HANDLE {
    KSPIN_LOCK_QUEUE LockQueue;
    KIRQL OldIrql;
} KLOCK_QUEUE_HANDLE;

void KeAcquireInStackQueuedSpinLock(KSPIN_LOCK *lock, KLOCK_QUEUE_HANDLE *handle);
void KeReleaseInStackQueuedSpinLock(KLOCK_QUEUE_HANDLE *handle);
void KeAcquireInStackQueuedSpinLockAtDpcLevel(KSPIN_LOCK *lock, KLOCK_QUEUE_HANDLE *handle);
void KeReleaseInStackQueuedSpinLockFromDpcLevel(KLOCK_QUEUE_HANDLE *handle);
void KiReleaseSpinLockRestoreInterrupts(KSPIN_LOCK *lock, BOOLEAN enable);

// ---- Traps --------------------------------------------------------------------

// What the trap stubs save, lowest address first. The last five fields are
// the hardware's interrupt frame.
typedef struct _KTRAP_FRAME {
    ULONG64 Rax, Rbx, Rcx, Rdx, Rsi, Rdi, Rbp;
    ULONG64 R8, R9, R10, R11, R12, R13, R14, R15;
    ULONG64 Vector;
    ULONG64 ErrorCode;
    ULONG64 Rip;
    ULONG64 SegCs;
    ULONG64 EFlags;
    ULONG64 Rsp;
    ULONG64 SegSs;
} KTRAP_FRAME;

// A register snapshot for routines that are not entered by a trap (the
// debugger's `r` after KeBugCheckEx, `.crash`, a thread's saved context).
typedef struct _KCONTEXT_RECORD {
    KTRAP_FRAME Frame;
    ULONG64 Cr0, Cr2, Cr3, Cr4, Cr8;
} KCONTEXT_RECORD;

typedef void (*KINTERRUPT_ROUTINE)(KTRAP_FRAME *trapFrame);

// Connects `routine` to an interrupt vector (0x30-0xFF). It runs with
// interrupts disabled at the vector's IRQL (vector >> 4); the end of
// interrupt is sent for it.
void KeConnectInterrupt(ULONG vector, KINTERRUPT_ROUTINE routine);

// Where the debugger hooks in: called on breakpoints, single steps, a
// break-in request and bugchecks, with the state of the interrupted code.
// It returns FALSE only for a user-mode int3 or single step that is not the
// debugger's (no breakpoint of its own there): that is the thread's own
// exception.
typedef enum _KD_REASON {
    KdReasonBreakpoint,
    KdReasonSingleStep,
    KdReasonBreakIn,
    KdReasonBugCheck,
    KdReasonInitialBreak,
} KD_REASON;
typedef BOOLEAN (*KDEBUG_ROUTINE)(KTRAP_FRAME *trapFrame, KD_REASON reason);
extern KDEBUG_ROUTINE KiDebugRoutine;

// Copies `length` bytes, surviving page faults and general protection
// faults. Returns the number of bytes NOT copied (0 on success). The
// debugger reads all memory through this; so will system-call probing.
SIZE_T KiCopyMemorySafe(void *destination, const void *source, SIZE_T length);
// Reads one byte and writes it back, fault-safe: 0, or 1 when either faulted.
ULONG KiProbeWriteByte(UCHAR *address);
BOOLEAN KeReadMemorySafe(ULONG64 address, void *buffer, SIZE_T length);

// setjmp/longjmp for the kernel: the self-tests use it to come back from an
// expected bugcheck.
typedef struct _KJUMP_BUFFER {
    ULONG64 Rbx, Rbp, R12, R13, R14, R15, Rsp, Rip;
} KJUMP_BUFFER;
int KiSetJump(KJUMP_BUFFER *buffer) __attribute__((returns_twice));
void KiLongJump(KJUMP_BUFFER *buffer, int value) __attribute__((noreturn));

// A guarded call into code the kernel does not trust (a driver's DriverEntry
// or DriverUnload), the kernel's small stand-in for the structured
// exception handler NT puts around such calls. A fault on this thread whose
// instruction lies in [CodeStart, CodeEnd) unwinds to the frame, and
// KeCallWithRecovery returns the exception's code (STATUS_ACCESS_VIOLATION
// for a page fault). Only a fault taken in the state the call began in
// (same IRQL, interrupts on, no APC disable, no mutant newly owned, no
// attach) is recovered: one taken holding a lock still stops the system.
// While the call runs, pool the guarded code allocates is recorded so that
// the caller can give it back (KeFreeRecoveredPool).
#define KRECOVERY_POOL_TRACKED 32
#define KRECOVERY_OBJECTS_TRACKED 8

typedef struct _KRECOVERY_FRAME {
    struct _KRECOVERY_FRAME *Next;      // the enclosing guarded call, if any
    ULONG_PTR CodeStart, CodeEnd;
    KIRQL Irql;
    SHORT KernelApcDisable, SpecialApcDisable;
    LIST_ENTRY *FirstMutant;            // MutantListHead.Flink at the call
    struct _KPROCESS *Process;          // ApcState.Process at the call
    NTSTATUS ExceptionCode;             // set when recovered
    ULONG64 ExceptionAddress;           // the faulting instruction
    ULONG64 FaultingAddress;            // CR2 for a page fault, else 0
    ULONG PoolCount;                    // live allocations recorded in Pool
    BOOLEAN PoolOverflow;               // more than KRECOVERY_POOL_TRACKED at once
    void *Pool[KRECOVERY_POOL_TRACKED];
    ULONG ObjectCount;                  // named objects the code made (symbolic links)
    void *Objects[KRECOVERY_OBJECTS_TRACKED];   // each referenced by the recorder
    KJUMP_BUFFER Resume;
} KRECOVERY_FRAME;

typedef NTSTATUS (*KRECOVERY_ROUTINE)(void *argument1, void *argument2);

// Calls routine(argument1, argument2) at PASSIVE_LEVEL with `frame`
// registered for faults in [codeStart, codeStart + codeSize).
NTSTATUS KeCallWithRecovery(KRECOVERY_FRAME *frame, ULONG_PTR codeStart, SIZE_T codeSize,
                            KRECOVERY_ROUTINE routine, void *argument1, void *argument2);
// Frees what a recovered call's code allocated and did not free.
void KeFreeRecoveredPool(KRECOVERY_FRAME *frame);
// The trap handler's half: TRUE when a recovery frame takes the fault (the
// trap frame then resumes in KeCallWithRecovery's caller).
BOOLEAN KiRecoverKernelException(KTRAP_FRAME *trapFrame, NTSTATUS code, ULONG64 address);
// The pool's half: records an allocation (or forgets a freed block) made
// by the guarded code of the current thread's recovery frame.
void KiRecoveryTrackPool(void *block, ULONG_PTR caller, BOOLEAN allocated);
// Records a permanent object the guarded code of the current thread's
// frame made (the I/O manager's symbolic links): TRUE when recorded, and
// the caller then holds a reference for the frame's owner to drop.
BOOLEAN KeRecoveryTrackObject(void *object, ULONG_PTR caller);

// Captures the caller's registers (as at the call) into `context`.
void KiCaptureContext(KCONTEXT_RECORD *context);

// ---- User mode ----------------------------------------------------------------------

// Enters user mode with the registers in `frame` (at the top of the current
// thread's kernel stack). Never returns.
void KiStartUserThread(KTRAP_FRAME *frame) __attribute__((noreturn));

// Where an exception raised in user mode goes: the process manager ends the
// thread. Called at PASSIVE_LEVEL with interrupts enabled; does not return.
typedef void (*KUSER_EXCEPTION_ROUTINE)(KTRAP_FRAME *trapFrame, NTSTATUS exceptionCode,
                                        ULONG64 faultingAddress);
extern KUSER_EXCEPTION_ROUTINE KiUserExceptionRoutine;

// The system-service table: KiServiceTable[n] takes KiArgumentTable[n]
// arguments (at most KI_MAXIMUM_SERVICE_ARGUMENTS, each 64 bits).
// A number with no routine (NULL) is an unknown service.
#define KI_MAXIMUM_SERVICE_ARGUMENTS 13
typedef NTSTATUS (*KSYSTEM_SERVICE)(ULONG64, ULONG64, ULONG64, ULONG64, ULONG64, ULONG64,
                                    ULONG64, ULONG64, ULONG64, ULONG64, ULONG64, ULONG64,
                                    ULONG64);
extern const KSYSTEM_SERVICE KiServiceTable[];
extern const UCHAR KiArgumentTable[];
extern const ULONG KiServiceLimit;
void KiInitializeSystemCalls(void);

// ---- Processor control region -------------------------------------------------

typedef struct _KTSS64 {
    ULONG Reserved0;
    ULONG64 Rsp0, Rsp1, Rsp2;
    ULONG64 Ist[8];             // Ist[0] unused, as in the hardware layout
    ULONG64 Reserved2;
    USHORT Reserved3;
    USHORT IoMapBase;
} __attribute__((packed)) KTSS64;

// The debug registers the kernel debugger gives a processor (NT keeps them
// in KPRCB.ProcessorState.SpecialRegisters): a `ba` is every processor's,
// each loads them when it leaves a freeze (KiRestoreProcessorControlState).
typedef struct _KSPECIAL_REGISTERS {
    ULONG64 KernelDr0;
    ULONG64 KernelDr1;
    ULONG64 KernelDr2;
    ULONG64 KernelDr3;
    ULONG64 KernelDr6;
    ULONG64 KernelDr7;
} KSPECIAL_REGISTERS;

typedef struct _KPROCESSOR_STATE {
    KSPECIAL_REGISTERS SpecialRegisters;
} KPROCESSOR_STATE;

typedef struct _KPRCB {
    ULONG Number;
    KTHREAD *CurrentThread;
    KTHREAD *NextThread;        // chosen to run at the next dispatch interrupt
    KTHREAD *IdleThread;
    ULONG64 InterruptCount;
    ULONG64 KernelTime;         // ticks in kernel mode in threads other than idle
    ULONG64 UserTime;           // ticks in user mode
    ULONG64 IdleTime;
    ULONG64 DpcTime;
    ULONG64 ContextSwitches;
    LIST_ENTRY DispatcherReadyListHead[MAXIMUM_PRIORITY];
    ULONG ReadySummary;         // bit n: ready list n is not empty
    LIST_ENTRY DpcListHead;
    ULONG DpcQueueDepth;
    ULONG DpcCount;
    BOOLEAN DpcRoutineActive;
    BOOLEAN QuantumEnd;
    BOOLEAN DispatchPending;    // a dispatch interrupt has been requested
    // Multiprocessor state (kernel/ke/mpinit.c, freeze.c, ipi.c).
    ULONG ApicId;               // the local APIC's id, as the MADT lists it
    volatile ULONG IpiRequest;  // IPI_* work asked of this processor
    volatile BOOLEAN FreezeRequest;     // the debugger's owner wants it stopped
    volatile BOOLEAN IpiFrozen;         // it is stopped, FrozenTrapFrame its state
    BOOLEAN FrozenByNmi;        // it did not take the IPI and was stopped by NMI
    volatile BOOLEAN NmiSent;   // the debugger sent it an NMI not yet taken
    KIRQL DebuggerSavedIRQL;    // its IRQL when it stopped
    KTRAP_FRAME *volatile FrozenTrapFrame;
    ULONG64 SetMember;          // 1 << Number: this processor in an affinity mask
    KSPIN_LOCK DpcLock;         // DpcListHead, taken with interrupts off (dpc.c)
    KPROCESSOR_STATE ProcessorState;
} KPRCB;

typedef struct _KPCR {
    struct _KPCR *Self;
    KPRCB *CurrentPrcb;
    KTSS64 *TssBase;
    void *GdtBase;
    void *IdtBase;
    ULONG64 UserRsp;            // the user stack pointer, for a moment in KiSystemCall64
    ULONG64 RspBase;            // the current thread's InitialStack: where syscalls start
    KPRCB Prcb;
} KPCR;

// syscall.asm reaches these through GS.
_Static_assert(offsetof(KPCR, UserRsp) == 0x28, "KPCR.UserRsp offset");
_Static_assert(offsetof(KPCR, RspBase) == 0x30, "KPCR.RspBase offset");

// One instruction each: GS points at the processor's KPCR in the kernel.
static inline KPCR *KeGetPcr(void)
{
    KPCR *pcr;

    __asm__ volatile("movq %%gs:0, %0" : "=r"(pcr));
    return pcr;
}

static inline KPRCB *KeGetCurrentPrcb(void)
{
    KPRCB *prcb;

    __asm__ volatile("movq %%gs:%c1, %0" : "=r"(prcb) : "i"(offsetof(KPCR, CurrentPrcb)));
    return prcb;
}
// The switch's two stack fields through GS, without loading the KPCR's own
// address first (KiSwitchTo): the TSS's address, and KPCR.RspBase set.
static inline KTSS64 *KiGetCurrentTss(void)
{
    KTSS64 *tss;

    __asm__ volatile("movq %%gs:%c1, %0" : "=r"(tss) : "i"(offsetof(KPCR, TssBase)));
    return tss;
}

static inline void KiSetRspBase(ULONG64 rspBase)
{
    __asm__ volatile("movq %0, %%gs:%c1" : : "r"(rspBase), "i"(offsetof(KPCR, RspBase))
                     : "memory");
}
ULONG KeGetCurrentProcessorNumber(void);
extern ULONG KeNumberProcessors;

// ---- Processors (kernel/ke/mpinit.c, ipi.c, freeze.c) ----------------------------

#define MAXIMUM_PROCESSORS 64
#define KGDT_ENTRIES 10             // through the TSS at 0x40, which takes two slots
#define IST_STACK_SIZE (16 * 1024)
// Every started processor's KPRCB, by number (NT's KiProcessorBlock).
extern KPRCB *KiProcessorBlock[MAXIMUM_PROCESSORS];
void KiInitializeProcessorControl(KPCR *pcr, ULONG64 *gdt, KTSS64 *tss,
                                  const ULONG64 istStackTops[3], ULONG64 stackTop,
                                  ULONG number);
// Starts every other processor the MADT lists; KeNumberProcessors counts
// those that came up. Phase 1, before the worker queues are made.
void KeStartAllProcessors(void);

// Runs routine(context) on every processor at once, at IPI_LEVEL, and
// returns when all have finished (NT's KeIpiGenericCall): the value is
// what the calling processor's call returned.
typedef ULONG_PTR (*PKIPI_BROADCAST_WORKER)(ULONG_PTR context);
ULONG_PTR KeIpiGenericCall(PKIPI_BROADCAST_WORKER routine, ULONG_PTR context);
// The interprocessor interrupt's routine (vector IPI_VECTOR, IPI_LEVEL).
void KiIpiInterrupt(KTRAP_FRAME *trapFrame, KIRQL oldIrql);
#define IPI_FREEZE        0x1       // stop for the debugger (FreezeRequest)
#define IPI_PACKET        0x2       // run the KeIpiGenericCall packet

// The debugger's stop of every processor (freeze.c), with interrupts off.
// KiAcquireDebuggerLock makes the caller the debugger's owner: while
// another processor owns it, the caller is frozen like the rest and waits
// its turn. FALSE when the caller owned it already (a trap inside the
// debugger). KiFreezeProcessors stops every other processor (an IPI, then
// an NMI for one that does not answer); KiThawProcessors lets them go;
// KiReleaseDebuggerLock gives up ownership.
BOOLEAN KiAcquireDebuggerLock(KTRAP_FRAME *trapFrame);
void KiReleaseDebuggerLock(void);
void KiFreezeProcessors(void);
void KiThawProcessors(void);
// Stops this processor until the debugger's owner thaws it (the IPI's and
// the NMI's work), `trapFrame` and `irql` its state for the debugger.
void KiFreezeTargetExecution(KTRAP_FRAME *trapFrame, KIRQL irql);
// The NMI's half: TRUE when the NMI was the debugger's (the processor was
// frozen and is now thawed).
BOOLEAN KiFreezeNmi(KTRAP_FRAME *trapFrame);
// Loads this processor's debug registers from its KPRCB.ProcessorState,
// which the debugger may have changed while it was frozen (ipi.c).
void KiRestoreProcessorControlState(void);
// The processor that owns the debugger, or -1.
extern volatile LONG KiFreezeOwner;

// ---- Time -----------------------------------------------------------------------

// Clock ticks since boot, one every 15.625 ms.
extern volatile ULONG64 KeTickCount;
extern ULONG KeMaximumIncrement;    // 100-ns units per tick: 156250
ULONG KeQueryTimeIncrement(void);
LARGE_INTEGER KeQueryPerformanceCounter(LARGE_INTEGER *frequency);
void KeStallExecutionProcessor(ULONG microseconds);
void KeUpdateSystemTime(KTRAP_FRAME *trapFrame);   // the clock interrupt's work
// The clock interrupt on a processor that does not own the tick count:
// only its own run time and quantum.
void KeUpdateRunTime(KTRAP_FRAME *trapFrame);

// ---- Bugcheck -------------------------------------------------------------------

#define IRQL_NOT_GREATER_OR_EQUAL       0x00000009
#define IRQL_NOT_LESS_OR_EQUAL          0x0000000A
#define SPIN_LOCK_ALREADY_OWNED         0x0000000F
#define BAD_POOL_HEADER                 0x00000019
#define MEMORY_MANAGEMENT               0x0000001A
#define KMODE_EXCEPTION_NOT_HANDLED     0x0000001E
#define PHASE0_INITIALIZATION_FAILED    0x00000031
#define PHASE1_INITIALIZATION_FAILED    0x00000032
#define NO_MORE_SYSTEM_PTES             0x0000003F
#define IRQL_GT_ZERO_AT_SYSTEM_SERVICE  0x0000004A
#define PAGE_FAULT_IN_NONPAGED_AREA     0x00000050
#define HAL_INITIALIZATION_FAILED       0x0000005C
#define INSTALL_MORE_MEMORY             0x0000007D
#define UNEXPECTED_KERNEL_MODE_TRAP     0x0000007F
#define NMI_HARDWARE_FAILURE            0x00000080
#define MACHINE_CHECK_EXCEPTION         0x0000009C
#define BAD_POOL_CALLER                 0x000000C2
#define DRIVER_IRQL_NOT_LESS_OR_EQUAL   0x000000D1
#define MANUALLY_INITIATED_CRASH        0x000000E2
#define ASSERTION_FAILURE               0x0000FFFE   // Sleuth's own: a failed ASSERT
#define IMPERSONATING_WORKER_THREAD     0x000000DF   // the system worker threads' (ex/worker.c)
#define WORKER_THREAD_RETURNED_AT_BAD_IRQL 0x000000E1
#define WORKER_INVALID                  0x000000E4
// The I/O manager's (kernel/io): a driver that broke the IRP rules.
#define NO_MORE_IRP_STACK_LOCATIONS     0x00000035
#define MULTIPLE_IRP_COMPLETE_REQUESTS  0x00000044
#define CANCEL_STATE_IN_COMPLETED_IRP   0x00000048
#define DRIVER_VERIFIER_IOMANAGER_VIOLATION 0x000000C9

void KeBugCheckEx(ULONG code, ULONG64 p1, ULONG64 p2, ULONG64 p3, ULONG64 p4)
    __attribute__((noreturn));
void KeBugCheck(ULONG code) __attribute__((noreturn));
void KiBugCheckWithTrapFrame(KTRAP_FRAME *trapFrame, ULONG code, ULONG64 p1, ULONG64 p2,
                             ULONG64 p3, ULONG64 p4) __attribute__((noreturn));
const char *KeBugCheckName(ULONG code);
// The driver (not nt) whose image holds `pc`: its BaseDllName and base.
// Lock-free and fault-safe, for the bugcheck text (bugdriver.c).
BOOLEAN KiPcToDriver(ULONG64 pc, char *name, SIZE_T size, ULONG64 *base);
// The driver a bugcheck with this trap frame is charged to, and the address
// in it: the trap's rip, or the first driver return address above it.
BOOLEAN KiFindBugCheckDriver(const KTRAP_FRAME *frame, ULONG64 *address, char *name,
                             SIZE_T size, ULONG64 *base);

// What the last bugcheck was, for the debugger's banner and `!analyze`.
typedef struct _KBUGCHECK_DATA {
    ULONG Code;
    ULONG64 Parameter[4];
    BOOLEAN Active;
} KBUGCHECK_DATA;
extern KBUGCHECK_DATA KiBugCheckData;

// The self-tests can catch a bugcheck they provoke on purpose: the next
// KeBugCheckEx with `code` long-jumps to `resume` with value 1 instead of
// stopping the system.
void KiExpectBugCheck(ULONG code, KJUMP_BUFFER *resume);
void KiClearExpectedBugCheck(void);

// Prints on every console, whatever the state of the system.
void KiDisplayString(const char *text);
void DbgPrint(const char *format, ...) __attribute__((format(printf, 1, 2)));
void DbgPrintV(const char *format, va_list args);

// Stops with a bugcheck when `condition` is false: invariants fail loudly.
#define ASSERT(condition)                                                                  \
    do {                                                                                   \
        if (!(condition))                                                                  \
            KiAssertionFailed(#condition, __FILE__, __LINE__);                             \
    } while (0)
void KiAssertionFailed(const char *expression, const char *file, int line)
    __attribute__((noreturn));

void DbgBreakPoint(void);
void KiInitializeProcessor(void);
void KiInitializeTraps(void);

// ---- IRQL and spin lock fast paths ------------------------------------------------
//
// Inline: a lock round trip is a handful of instructions (the LPC round trip
// takes sixteen). The checks stay, each one compare: raising to a lower
// IRQL, lowering to a higher one, and acquiring a lock this processor
// already holds bugcheck (irql.c's KiIrqlBugCheck, out of line).

#ifndef SLEUTH_HOST
void KiIrqlBugCheck(ULONG code, ULONG64 lock, KIRQL oldIrql, KIRQL newIrql, void *caller)
    __attribute__((noreturn, cold));

static inline KIRQL KiReadIrql(void)
{
    ULONG64 irql;

    __asm__ volatile("mov %%cr8, %0" : "=r"(irql));
    return (KIRQL)irql;
}

static inline void KiWriteIrql(KIRQL irql)
{
    __asm__ volatile("mov %0, %%cr8" : : "r"((ULONG64)irql) : "memory");
}

static inline __attribute__((always_inline)) KIRQL KfRaiseIrql(KIRQL newIrql)
{
    KIRQL oldIrql = KiReadIrql();

    if (__builtin_expect(newIrql < oldIrql, 0))
        KiIrqlBugCheck(IRQL_NOT_GREATER_OR_EQUAL, 0, oldIrql, newIrql,
                       __builtin_return_address(0));
    KiWriteIrql(newIrql);
    return oldIrql;
}

static inline __attribute__((always_inline)) void KeLowerIrql(KIRQL newIrql)
{
    KIRQL oldIrql = KiReadIrql();

    if (__builtin_expect(newIrql > oldIrql, 0))
        KiIrqlBugCheck(IRQL_NOT_LESS_OR_EQUAL, 0, oldIrql, newIrql,
                       __builtin_return_address(0));
    KiWriteIrql(newIrql);
}

// The owner value is the acquiring processor's KPRCB + 1, so `dq` on a held
// lock tells which processor holds it.
static inline BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(KSPIN_LOCK *lock)
{
    ULONG_PTR expected = 0;

    return __atomic_compare_exchange_n(lock, &expected, (ULONG_PTR)KeGetCurrentPrcb() + 1,
                                       FALSE, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

void KiAcquireSpinLockContended(KSPIN_LOCK *lock);

static inline void KeAcquireSpinLockAtDpcLevel(KSPIN_LOCK *lock)
{
    ULONG_PTR expected = 0;

    if (!__builtin_expect(__atomic_compare_exchange_n(lock, &expected,
                                                      (ULONG_PTR)KeGetCurrentPrcb() + 1, FALSE,
                                                      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED),
                          1))
        KiAcquireSpinLockContended(lock);
}

static inline void KeReleaseSpinLockFromDpcLevel(KSPIN_LOCK *lock)
{
    __atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

static inline void KeAcquireSpinLock(KSPIN_LOCK *lock, KIRQL *oldIrql)
{
    *oldIrql = KfRaiseIrql(DISPATCH_LEVEL);
    KeAcquireSpinLockAtDpcLevel(lock);
}

static inline void KeReleaseSpinLock(KSPIN_LOCK *lock, KIRQL oldIrql)
{
    KeReleaseSpinLockFromDpcLevel(lock);
    KeLowerIrql(oldIrql);
}
#endif

// ---- Dispatcher: objects, waits, threads ----------------------------------------
//
// The dispatcher lock serializes every change to a dispatcher object's state
// and to thread scheduling state. It is taken at DISPATCH_LEVEL.

#ifndef SLEUTH_HOST
// In line, as the spin locks are: a wait and a release take it once each.
extern KSPIN_LOCK KiDispatcherLock;
void KiRequestDispatchInterrupt(void);

static inline KIRQL KiAcquireDispatcherLock(void)
{
    KIRQL oldIrql = KfRaiseIrql(DISPATCH_LEVEL);

    KeAcquireSpinLockAtDpcLevel(&KiDispatcherLock);
    return oldIrql;
}

static inline void KiReleaseDispatcherLock(KIRQL oldIrql)
{
    KPRCB *prcb = KeGetCurrentPrcb();

    // A thread readied while the running one was about to wait (WaitNext)
    // was chosen without a dispatch interrupt, the wait being expected to
    // switch to it; a wait that ends without blocking asks for it here.
    if (prcb->NextThread && !prcb->DispatchPending && oldIrql < DISPATCH_LEVEL)
        KiRequestDispatchInterrupt();
    KeReleaseSpinLockFromDpcLevel(&KiDispatcherLock);
    KeLowerIrql(oldIrql);
}
#else
KIRQL KiAcquireDispatcherLock(void);
void KiReleaseDispatcherLock(KIRQL oldIrql);
#endif
// Releases the lock but stays at DISPATCH_LEVEL (before a context switch).
void KiReleaseDispatcherLockFromDpcLevel(void);
void KiAcquireDispatcherLockAtDpcLevel(void);

// One gs-relative load, as NT's: a thread moved to another processor between
// two loads (the KPRCB's address, then its CurrentThread) would read the
// other processor's thread.
static inline KTHREAD *KeGetCurrentThread(void)
{
    KTHREAD *thread;
    __asm__ volatile("movq %%gs:%c1, %0"
                     : "=r"(thread)
                     : "i"(offsetof(KPCR, Prcb) + offsetof(KPRCB, CurrentThread)));
    return thread;
}

void KeInitializeEvent(KEVENT *event, EVENT_TYPE type, BOOLEAN state);
LONG KeSetEvent(KEVENT *event, KPRIORITY increment, BOOLEAN wait);
LONG KeResetEvent(KEVENT *event);
void KeClearEvent(KEVENT *event);
LONG KePulseEvent(KEVENT *event, KPRIORITY increment, BOOLEAN wait);
LONG KeReadStateEvent(KEVENT *event);

void KeInitializeSemaphore(KSEMAPHORE *semaphore, LONG count, LONG limit);
// Returns the previous count; releasing past the limit is an error
// (STATUS_SEMAPHORE_LIMIT_EXCEEDED) and changes nothing.
NTSTATUS KeReleaseSemaphoreEx(KSEMAPHORE *semaphore, KPRIORITY increment, LONG adjustment,
                              LONG *previousCount);
LONG KeReleaseSemaphore(KSEMAPHORE *semaphore, KPRIORITY increment, LONG adjustment,
                        BOOLEAN wait);
// NT's Wait=TRUE for a caller under a spin lock taken at `waitIrql`: returns
// at DISPATCH_LEVEL holding the dispatcher lock, the thread marked WaitNext;
// the caller releases its spin lock without lowering the IRQL and waits at
// once (KeWaitForSingleObject takes over the lock and returns at waitIrql).
// A waiter the release readies is switched to by that wait directly.
LONG KiReleaseSemaphoreWaitNext(KSEMAPHORE *semaphore, KPRIORITY increment, LONG adjustment,
                                KIRQL waitIrql);
// One count for a caller under its own spin lock `callerLock`, taken at
// oldIrql: releases the count, then that lock, and returns at oldIrql; a
// waiter readied that outranks the caller runs before it returns, switched
// to directly rather than through a dispatch interrupt (KiExitDispatcher).
LONG KiReleaseSemaphoreUnlock(KSEMAPHORE *semaphore, KPRIORITY increment, KSPIN_LOCK *callerLock,
                              KIRQL oldIrql);
LONG KeReadStateSemaphore(KSEMAPHORE *semaphore);

void KeInitializeMutant(KMUTANT *mutant, BOOLEAN initialOwner);
void KeInitializeMutex(KMUTEX *mutex, ULONG level);
// STATUS_MUTANT_NOT_OWNED when the caller does not own it (nothing changes).
NTSTATUS KeReleaseMutantEx(KMUTANT *mutant, KPRIORITY increment, BOOLEAN abandoned,
                           LONG *previousState);
LONG KeReleaseMutant(KMUTANT *mutant, KPRIORITY increment, BOOLEAN abandoned, BOOLEAN wait);
LONG KeReleaseMutex(KMUTEX *mutex, BOOLEAN wait);
LONG KeReadStateMutant(KMUTANT *mutant);

void KeInitializeTimer(KTIMER *timer);
void KeInitializeTimerEx(KTIMER *timer, TIMER_TYPE type);
// dueTime: negative = relative, in 100-ns units; positive = absolute system
// time. period in milliseconds (0: one-shot). Returns TRUE if it was armed.
BOOLEAN KeSetTimer(KTIMER *timer, LARGE_INTEGER dueTime, KDPC *dpc);
BOOLEAN KeSetTimerEx(KTIMER *timer, LARGE_INTEGER dueTime, LONG period, KDPC *dpc);
BOOLEAN KeCancelTimer(KTIMER *timer);
BOOLEAN KeReadStateTimer(KTIMER *timer);
void KiTimerTick(void);
ULONG64 KiNextTimerDueTick(void);
// Tickless idle (idleclock.c).
void KiIdleSkipTicks(void);
void KiClockCatchUp(void);
void KiClockInterruptStarts(void);
extern ULONG64 KiClockInterrupts;
extern ULONG64 KiTicklessSleeps;

void KeInitializeQueue(KQUEUE *queue, ULONG count);
LONG KeInsertQueue(KQUEUE *queue, LIST_ENTRY *entry);
LONG KeInsertHeadQueue(KQUEUE *queue, LIST_ENTRY *entry);
// Returns the entry, or (LIST_ENTRY *)(LONG_PTR)STATUS_TIMEOUT / STATUS_USER_APC.
LIST_ENTRY *KeRemoveQueue(KQUEUE *queue, KPROCESSOR_MODE waitMode, LARGE_INTEGER *timeout);
LIST_ENTRY *KeRundownQueue(KQUEUE *queue);
LONG KeReadStateQueue(KQUEUE *queue);

NTSTATUS KeWaitForSingleObject(void *object, KWAIT_REASON waitReason,
                               KPROCESSOR_MODE waitMode, BOOLEAN alertable,
                               LARGE_INTEGER *timeout);
NTSTATUS KeWaitForMultipleObjects(ULONG count, void *objects[], WAIT_TYPE waitType,
                                  KWAIT_REASON waitReason, KPROCESSOR_MODE waitMode,
                                  BOOLEAN alertable, LARGE_INTEGER *timeout,
                                  KWAIT_BLOCK *waitBlockArray);
NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE waitMode, BOOLEAN alertable,
                                LARGE_INTEGER *interval);
BOOLEAN KeAlertThread(KTHREAD *thread, KPROCESSOR_MODE alertMode);
BOOLEAN KeTestAlertThread(KPROCESSOR_MODE alertMode);

void KeInitializeDpc(KDPC *dpc, PKDEFERRED_ROUTINE routine, void *context);
BOOLEAN KeInsertQueueDpc(KDPC *dpc, void *systemArgument1, void *systemArgument2);
BOOLEAN KeRemoveQueueDpc(KDPC *dpc);
// The DPC runs on processor `number` (NT's KeSetTargetProcessorDpc): queued
// on its KPRCB, which a DISPATCH_LEVEL interrupt from here wakes.
void KeSetTargetProcessorDpc(KDPC *dpc, CHAR number);

void KeInitializeApc(KAPC *apc, KTHREAD *thread, KAPC_ENVIRONMENT environment,
                     PKKERNEL_ROUTINE kernelRoutine, PKRUNDOWN_ROUTINE rundownRoutine,
                     PKNORMAL_ROUTINE normalRoutine, KPROCESSOR_MODE mode, void *context);
BOOLEAN KeInsertQueueApc(KAPC *apc, void *systemArgument1, void *systemArgument2,
                         KPRIORITY increment);
BOOLEAN KeRemoveQueueApc(KAPC *apc);
// The kernel routine of a thread's termination APC (ps/exit.c). It is the
// one APC KeInsertQueueApc treats specially, as NT's does: queued for user
// mode, it goes to the head of the list and is pending at once.
void PsExitSpecialApc(KAPC *apc, PKNORMAL_ROUTINE *normalRoutine, void **normalContext,
                      void **systemArgument1, void **systemArgument2);
void KeEnterCriticalRegion(void);
void KeLeaveCriticalRegion(void);
void KiDeliverApc(void);

typedef void (*PKSTART_ROUTINE)(void *startContext);
// Prepares `thread` to start at startRoutine(startContext) on the given
// kernel stack, in `process`. The thread is Initialized; KeReadyThread starts it.
void KeInitializeThread(KTHREAD *thread, void *kernelStackTop, void *stackLimit,
                        PKSTART_ROUTINE startRoutine, void *startContext, KPROCESS *process);
void KeReadyThread(KTHREAD *thread);
// Ends the current thread: signals it, abandons its mutants, switches away
// for good. The caller (Ps) frees its stack later, from another thread.
void KeTerminateThread(KPRIORITY increment) __attribute__((noreturn));
// Suspension, as NT: the first suspend queues the thread's SuspendApc, whose
// routine waits on SuspendSemaphore; the resume that brings the count back
// to 0 releases it. Both return the previous count; a suspend beyond
// MAXIMUM_SUSPEND_COUNT fails (STATUS_SUSPEND_COUNT_EXCEEDED) and a thread
// that is ending cannot be suspended (STATUS_THREAD_IS_TERMINATING).
NTSTATUS KeSuspendThread(KTHREAD *thread, ULONG *previousCount);
ULONG KeResumeThread(KTHREAD *thread);
// Clears the count whatever it was (the thread is being terminated).
ULONG KeForceResumeThread(KTHREAD *thread);
// The current thread is ending: abandons the mutants it owns now, before
// its process closes its handles (KeTerminateThread would do it later).
void KeRundownThread(void);
KPRIORITY KeSetPriorityThread(KTHREAD *thread, KPRIORITY priority);
LONG KeSetBasePriorityThread(KTHREAD *thread, LONG increment);
KPRIORITY KeQueryPriorityThread(KTHREAD *thread);
NTSTATUS KeYieldExecution(void);
void KeInitializeProcess(KPROCESS *process, KPRIORITY basePriority);

// Scheduler internals shared by the dispatcher's files (caller holds the
// dispatcher lock).
void KiReadyThread(KTHREAD *thread);
void KiUnwaitThread(KTHREAD *thread, LONG_PTR waitStatus, KPRIORITY increment);
// The undoing of a standby that a release with Wait=TRUE made (sched.c's
// KiUnwaitForHandoff) when the releaser's wait does not block.
void KiCancelHandoff(void);
// A released count added, waiters satisfied (semaphore.c; dispatcher lock held).
void KiReleaseSemaphoreCount(KSEMAPHORE *semaphore, LONG previous, LONG adjustment,
                             KPRIORITY increment);
// Dispatcher lock held: releases it and returns at oldIrql, switching first
// to a thread chosen to preempt when oldIrql allows (sched.c).
void KiExitDispatcher(KIRQL oldIrql);
void KiWaitTest(DISPATCHER_HEADER *object, KPRIORITY increment);
LONG_PTR KiSwapThread(void);
// Every processor's idle thread: halts, and takes work readied elsewhere.
// It never returns, but is not declared so: its callers' return address
// then stays inside them, and `k` names them (KiIdleLoopReturned follows).
void KiIdleLoop(void);
void KiIdleLoopReturned(void) __attribute__((noreturn));
// Processors running their idle thread with nothing standing by.
extern volatile ULONG64 KiIdleSummary;
// Waits until `thread`, which has ended (State Terminated), is off its
// processor for good: its registers saved, its stack no longer in use.
void KeWaitForThreadSwapOut(KTHREAD *thread);
// ---- Affinity (affinity.c) ----------------------------------------------------------
// A thread runs only on the processors of its Affinity. KeSetSystemAffinityThread
// confines the current thread (it is on one of them when it returns) until
// KeRevertToUserAffinityThread gives it back its own (UserAffinity);
// KeSetAffinityThread sets that, moving the thread now if it runs, stands by
// or is ready where it may no longer. Masks outside the started processors,
// or empty, are refused by the callers (KeQueryActiveProcessors).
void KeSetSystemAffinityThread(ULONG64 affinity);
void KeRevertToUserAffinityThread(void);
ULONG64 KeSetAffinityThread(KTHREAD *thread, ULONG64 affinity);
// The process's affinity, for its threads now and those it makes later.
void KeSetAffinityProcess(KPROCESS *process, ULONG64 affinity);
// ---- TLB shootdown (affinity.c) -------------------------------------------------------
// After a page-table entry changed: every processor drops its translation of
// the `count` pages at `va`: for a user address (directoryTableBase the
// address space's) those running in that space, for a kernel one
// (directoryTableBase 0) all of them. The caller's IRQL is at most
// DISPATCH_LEVEL and it holds no lock taken with interrupts off.
void KeFlushTb(ULONG64 directoryTableBase, ULONG64 va, SIZE_T count);
void KiRequestDispatchInterrupt(void);
void KiInitializeDispatcher(void);
void KiQuantumTick(KTRAP_FRAME *trapFrame);
BOOLEAN KiIsObjectSignaled(DISPATCHER_HEADER *object, KTHREAD *thread);
void KiAcquireSignaledObject(DISPATCHER_HEADER *object, KTHREAD *thread);
void KiActivateWaiterQueue(KQUEUE *queue);
void KiAbandonMutants(KTHREAD *thread);
void KiRetireDpcList(KPRCB *prcb);
void KiDispatchInterrupt(void);     // the DISPATCH_LEVEL software interrupt
void KiRemoveTimer(KTIMER *timer);
// Arms a wait's timer; FALSE (nothing armed) when the timeout has passed.
BOOLEAN KiInsertWaitTimer(KTIMER *timer, LARGE_INTEGER timeout);
// Timers in the timer table (tests: it must come back to what it was).
ULONG KiQueryTimerCount(void);
void KiInitializeTimers(void);
// For the fuzzer's check (tests/kernel/test_fuzz.c): KiTimerCount and the
// timers really in the table, which must agree.
void KiQueryTimerCounts(ULONG *count, ULONG *armed);
LARGE_INTEGER KeQuerySystemTime(void);
extern LONG64 KiBootSystemTime;
extern ULONG64 KiLastClockTsc;

#define THREAD_QUANTUM 6            // two clock ticks: NT counts quantum in thirds of a tick
#define CLOCK_QUANTUM_DECREMENT 3

// Whether the waiter at the head of a semaphore's list is in a plain wait (the
// handoff's kind, kihandoff.h and KiUnwaitForHandoff): WaitAny on this one
// object, bound to no queue: its block, its only one, has WaitKey 0 (the
// wait is satisfied with STATUS_WAIT_0). Being the only one also says that
// its timer is not armed: a wait with a timeout links the thread's timer
// block after its object's (KiWaitStart, KeRemoveQueue), and the thread's
// timer is armed for nothing else. Dispatcher lock held.
static inline __attribute__((always_inline)) BOOLEAN
KiIsPlainWaitBlock(const KWAIT_BLOCK *waitBlock, const KTHREAD *waiter)
{
    return waitBlock->WaitType == WaitAny && waitBlock->NextWaitBlock == waitBlock &&
           !waiter->Queue;
}

// The unwait boost, as NT: a thread of dynamic priority woken with a
// positive increment runs at its base priority plus the increment (never
// above 15, never below the priority it has) with a fresh quantum, and the
// boost decays at each quantum end; a real-time thread, or no increment,
// gets none. Written once, here: KiUnwaitPriority is the priority the
// thread will run at, for a release that decides by it before it changes
// the thread (kihandoff.h), KiSetUnwaitPriority gives it, KiBoostPriority
// does both at once. Dispatcher lock held.
static inline __attribute__((always_inline)) BOOLEAN
KiIsBoostable(const KTHREAD *thread, KPRIORITY increment)
{
    return thread->Priority < LOW_REALTIME_PRIORITY && increment > 0;
}

// The base plus the increment, at most 15; the boost when it is above the
// thread's priority (a boostable thread).
static inline __attribute__((always_inline)) KPRIORITY
KiBoostedPriority(const KTHREAD *thread, KPRIORITY increment)
{
    KPRIORITY priority = thread->BasePriority + increment;

    return priority > LOW_REALTIME_PRIORITY - 1 ? LOW_REALTIME_PRIORITY - 1 : priority;
}

static inline __attribute__((always_inline)) KPRIORITY
KiUnwaitPriority(const KTHREAD *thread, KPRIORITY increment)
{
    KPRIORITY priority = KiBoostedPriority(thread, increment);

    if (!KiIsBoostable(thread, increment) || priority < thread->Priority)
        return thread->Priority;
    return priority;
}

// Gives a thread woken with `increment` its boost: `priority` is what
// KiUnwaitPriority said before the wake changed anything (or, the same
// here, KiBoostedPriority's), and a fresh quantum.
static inline __attribute__((always_inline)) void
KiSetUnwaitPriority(KTHREAD *thread, KPRIORITY priority, KPRIORITY increment)
{
    if (!KiIsBoostable(thread, increment))
        return;
    if (priority > thread->Priority) {
        thread->PriorityDecrement = (CHAR)(priority - thread->BasePriority);
        thread->Priority = (CHAR)priority;
    }
    thread->Quantum = THREAD_QUANTUM;
}

static inline __attribute__((always_inline)) void
KiBoostPriority(KTHREAD *thread, KPRIORITY increment)
{
    KiSetUnwaitPriority(thread, KiBoostedPriority(thread, increment), increment);
}


#define THREAD_NOT_MUTEX_OWNER         0x00000011
#define INVALID_PROCESS_ATTACH_ATTEMPT 0x00000005
#define INVALID_DATA_ACCESS_TRAP       0x00000004
#define MAXIMUM_WAIT_OBJECTS_EXCEEDED  0x0000000C
#define REFERENCE_BY_POINTER           0x00000018
#define QUOTA_UNDERFLOW                0x00000021   // more quota returned than charged

// ---- User-mode APCs and thread contexts (userapc.c) -------------------------------

// Called on every way back to user mode (system-call return, and traps and
// interrupts that came from user mode) at PASSIVE_LEVEL with interrupts
// enabled, when the thread's ApcState.UserApcPending is set: takes the
// first user APC, runs its kernel routine, and (if it keeps a normal
// routine) saves the user context as a CONTEXT on the user stack and points
// `frame` at the process's user-mode APC dispatcher.
void KiDeliverUserApc(KTRAP_FRAME *frame);

// Moves every APC of `mode` queued to `thread` onto `listHead` (they are no
// longer inserted). A thread that ends runs its user APCs down this way.
void KeFlushQueueApc(KTHREAD *thread, KPROCESSOR_MODE mode, LIST_ENTRY *listHead);

// Every processor, as an affinity mask: Sleuth's threads may run anywhere.
static inline ULONG64 KeQueryActiveProcessors(void)
{
    return KeNumberProcessors >= 64 ? ~0ULL : (1ULL << KeNumberProcessors) - 1;
}
