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
KIRQL KfRaiseIrql(KIRQL newIrql);
void KeLowerIrql(KIRQL newIrql);
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
void KeAcquireSpinLock(KSPIN_LOCK *lock, KIRQL *oldIrql);
void KeReleaseSpinLock(KSPIN_LOCK *lock, KIRQL oldIrql);
void KeAcquireSpinLockAtDpcLevel(KSPIN_LOCK *lock);
void KeReleaseSpinLockFromDpcLevel(KSPIN_LOCK *lock);
BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(KSPIN_LOCK *lock);
BOOLEAN KiAcquireSpinLockDisableInterrupts(KSPIN_LOCK *lock);
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
typedef enum _KD_REASON {
    KdReasonBreakpoint,
    KdReasonSingleStep,
    KdReasonBreakIn,
    KdReasonBugCheck,
    KdReasonInitialBreak,
} KD_REASON;
typedef void (*KDEBUG_ROUTINE)(KTRAP_FRAME *trapFrame, KD_REASON reason);
extern KDEBUG_ROUTINE KiDebugRoutine;

// Copies `length` bytes, surviving page faults and general protection
// faults. Returns the number of bytes NOT copied (0 on success). The
// debugger reads all memory through this; so will system-call probing.
SIZE_T KiCopyMemorySafe(void *destination, const void *source, SIZE_T length);
BOOLEAN KeReadMemorySafe(ULONG64 address, void *buffer, SIZE_T length);

// setjmp/longjmp for the kernel: the self-tests use it to come back from an
// expected bugcheck.
typedef struct _KJUMP_BUFFER {
    ULONG64 Rbx, Rbp, R12, R13, R14, R15, Rsp, Rip;
} KJUMP_BUFFER;
int KiSetJump(KJUMP_BUFFER *buffer) __attribute__((returns_twice));
void KiLongJump(KJUMP_BUFFER *buffer, int value) __attribute__((noreturn));

// Captures the caller's registers (as at the call) into `context`.
void KiCaptureContext(KCONTEXT_RECORD *context);

// ---- Processor control region -------------------------------------------------

typedef struct _KTSS64 {
    ULONG Reserved0;
    ULONG64 Rsp0, Rsp1, Rsp2;
    ULONG64 Ist[8];             // Ist[0] unused, as in the hardware layout
    ULONG64 Reserved2;
    USHORT Reserved3;
    USHORT IoMapBase;
} __attribute__((packed)) KTSS64;

typedef struct _KPRCB {
    ULONG Number;
    KTHREAD *CurrentThread;
    KTHREAD *NextThread;        // chosen to run at the next dispatch interrupt
    KTHREAD *IdleThread;
    ULONG64 InterruptCount;
    ULONG64 KernelTime;         // ticks spent in threads other than idle
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
} KPRCB;

typedef struct _KPCR {
    struct _KPCR *Self;
    KPRCB *CurrentPrcb;
    KTSS64 *TssBase;
    void *GdtBase;
    void *IdtBase;
    KPRCB Prcb;
} KPCR;

KPCR *KeGetPcr(void);
static inline KPRCB *KeGetCurrentPrcb(void)
{
    return KeGetPcr()->CurrentPrcb;
}
ULONG KeGetCurrentProcessorNumber(void);
extern ULONG KeNumberProcessors;

// ---- Time -----------------------------------------------------------------------

// Clock ticks since boot, one every 15.625 ms.
extern volatile ULONG64 KeTickCount;
extern ULONG KeMaximumIncrement;    // 100-ns units per tick: 156250
ULONG KeQueryTimeIncrement(void);
LARGE_INTEGER KeQueryPerformanceCounter(LARGE_INTEGER *frequency);
void KeStallExecutionProcessor(ULONG microseconds);
void KeUpdateSystemTime(KTRAP_FRAME *trapFrame);   // the clock interrupt's work

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

void KeBugCheckEx(ULONG code, ULONG64 p1, ULONG64 p2, ULONG64 p3, ULONG64 p4)
    __attribute__((noreturn));
void KeBugCheck(ULONG code) __attribute__((noreturn));
void KiBugCheckWithTrapFrame(KTRAP_FRAME *trapFrame, ULONG code, ULONG64 p1, ULONG64 p2,
                             ULONG64 p3, ULONG64 p4) __attribute__((noreturn));
const char *KeBugCheckName(ULONG code);

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
