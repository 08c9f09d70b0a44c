// Where every trap lands after the assembly stub: faults the kernel expects
// (the safe copy) resume at their fixup, breakpoints go to the debugger,
// device interrupts to their routine, and anything else is a bugcheck with
// the trap frame.

#include "ke/ke.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"

#define VECTOR_DIVIDE_ERROR   0
#define VECTOR_DEBUG          1
#define VECTOR_NMI            2
#define VECTOR_BREAKPOINT     3
#define VECTOR_OVERFLOW       4
#define VECTOR_BOUND          5
#define VECTOR_INVALID_OPCODE 6
#define VECTOR_DOUBLE_FAULT   8
#define VECTOR_GENERAL_PROTECTION 13
#define VECTOR_PAGE_FAULT     14
#define VECTOR_X87_FAULT      16
#define VECTOR_ALIGNMENT      17
#define VECTOR_MACHINE_CHECK  18
#define VECTOR_SIMD_FAULT     19
#define VECTOR_FIRST_INTERRUPT 0x20

#define PF_ERROR_WRITE        0x02
#define PF_ERROR_FETCH        0x10

typedef struct _KEXCEPTION_TABLE_ENTRY {
    ULONG64 FaultingRip;
    ULONG64 FixupRip;
} KEXCEPTION_TABLE_ENTRY;

extern const KEXCEPTION_TABLE_ENTRY __ExceptionTableStart[], __ExceptionTableEnd[];

KDEBUG_ROUTINE KiDebugRoutine;
KUSER_EXCEPTION_ROUTINE KiUserExceptionRoutine;
static KINTERRUPT_ROUTINE KiInterruptRoutines[256];

void KeConnectInterrupt(ULONG vector, KINTERRUPT_ROUTINE routine)
{
    ASSERT(vector >= VECTOR_FIRST_INTERRUPT && vector < 256);
    KiInterruptRoutines[vector] = routine;
}

static BOOLEAN KiFixupKernelFault(KTRAP_FRAME *frame)
{
    for (const KEXCEPTION_TABLE_ENTRY *entry = __ExceptionTableStart;
         entry < __ExceptionTableEnd; entry++) {
        if (entry->FaultingRip == frame->Rip) {
            frame->Rip = entry->FixupRip;
            return TRUE;
        }
    }
    return FALSE;
}

static NTSTATUS KiExceptionCodeForVector(ULONG64 vector)
{
    switch (vector) {
    case VECTOR_DIVIDE_ERROR:
        return STATUS_INTEGER_DIVIDE_BY_ZERO;
    case VECTOR_BREAKPOINT:
        return STATUS_BREAKPOINT;
    case VECTOR_DEBUG:
        return STATUS_SINGLE_STEP;
    case VECTOR_OVERFLOW:
        return STATUS_INTEGER_OVERFLOW;
    case VECTOR_BOUND:
        return STATUS_ARRAY_BOUNDS_EXCEEDED;
    case VECTOR_INVALID_OPCODE:
        return STATUS_ILLEGAL_INSTRUCTION;
    case VECTOR_ALIGNMENT:
        return STATUS_DATATYPE_MISALIGNMENT;
    case VECTOR_X87_FAULT:
    case VECTOR_SIMD_FAULT:
        return STATUS_FLOAT_INVALID_OPERATION;
    default:
        return STATUS_ACCESS_VIOLATION;
    }
}

// A kernel-mode exception nobody handles: choose the stop code NT would.
static void KiUnhandledKernelException(KTRAP_FRAME *frame) __attribute__((noreturn));
static void KiUnhandledKernelException(KTRAP_FRAME *frame)
{
    ULONG64 vector = frame->Vector;

    if (vector == VECTOR_PAGE_FAULT) {
        ULONG64 address = __readcr2();
        ULONG64 access = (frame->ErrorCode & PF_ERROR_FETCH) ? 10
                       : (frame->ErrorCode & PF_ERROR_WRITE) ? 1 : 0;
        KIRQL irql = (KIRQL)__readcr8();

        if (irql >= DISPATCH_LEVEL)
            KiBugCheckWithTrapFrame(frame, IRQL_NOT_LESS_OR_EQUAL, address, irql, access,
                                    frame->Rip);
        KiBugCheckWithTrapFrame(frame, PAGE_FAULT_IN_NONPAGED_AREA, address, access,
                                frame->Rip, 0);
    }
    switch (vector) {
    case VECTOR_DIVIDE_ERROR:
    case VECTOR_OVERFLOW:
    case VECTOR_BOUND:
    case VECTOR_INVALID_OPCODE:
    case VECTOR_GENERAL_PROTECTION:
    case VECTOR_ALIGNMENT:
    case VECTOR_X87_FAULT:
    case VECTOR_SIMD_FAULT:
        // For an access violation NT's third and fourth parameters are the
        // exception's: 0 (read) and an unknown address, -1.
        KiBugCheckWithTrapFrame(frame, KMODE_EXCEPTION_NOT_HANDLED,
                                (ULONG64)(ULONG)KiExceptionCodeForVector(vector), frame->Rip,
                                vector == VECTOR_GENERAL_PROTECTION ? 0 : frame->ErrorCode,
                                vector == VECTOR_GENERAL_PROTECTION ? ~0ULL : 0);
    case VECTOR_NMI:
        KiBugCheckWithTrapFrame(frame, NMI_HARDWARE_FAILURE, 0, 0, 0, 0);
    case VECTOR_MACHINE_CHECK:
        KiBugCheckWithTrapFrame(frame, MACHINE_CHECK_EXCEPTION, 0, 0, 0, 0);
    default:
        KiBugCheckWithTrapFrame(frame, UNEXPECTED_KERNEL_MODE_TRAP, vector, frame->ErrorCode,
                                0, 0);
    }
}

static void KiDispatchException(KTRAP_FRAME *frame)
{
    ULONG64 vector = frame->Vector;

    // The debugger stops a processor that does not take its IPI by NMI.
    if (vector == VECTOR_NMI && KiFreezeNmi(frame)) {
        KiRestoreProcessorControlState();
        return;
    }

    if ((vector == VECTOR_PAGE_FAULT || vector == VECTOR_GENERAL_PROTECTION) &&
        (frame->SegCs & RPL_MASK) == 0 && KiFixupKernelFault(frame))
        return;

    // In user mode only the debugger's own breakpoints and steps are its;
    // any other int3 is the thread's exception.
    if ((vector == VECTOR_BREAKPOINT || vector == VECTOR_DEBUG) && KiDebugRoutine &&
        KiDebugRoutine(frame, vector == VECTOR_BREAKPOINT ? KdReasonBreakpoint
                                                          : KdReasonSingleStep))
        return;
    // A user-mode exception costs its thread, never the system. The handler
    // runs like a system service: at PASSIVE_LEVEL, interrupts on.
    if ((frame->SegCs & RPL_MASK) && KiUserExceptionRoutine) {
        ULONG64 address = vector == VECTOR_PAGE_FAULT ? __readcr2() : frame->Rip;

        _enable();
        KiUserExceptionRoutine(frame, KiExceptionCodeForVector(vector), address);
    }
    // A fault in guarded driver code (its DriverEntry, say) unwinds to the
    // guarded call (kernel/ke/recover.c); NMIs and machine checks are not
    // the code's doing.
    if (vector != VECTOR_NMI && vector != VECTOR_MACHINE_CHECK &&
        vector != VECTOR_DOUBLE_FAULT && vector != VECTOR_BREAKPOINT &&
        vector != VECTOR_DEBUG &&
        KiRecoverKernelException(frame, KiExceptionCodeForVector(vector),
                                 vector == VECTOR_PAGE_FAULT ? __readcr2() : 0))
        return;
    KiUnhandledKernelException(frame);
}

// The APC and DISPATCH software interrupts run with interrupts enabled at
// their level; the dispatch interrupt may switch threads, so the end of
// interrupt is sent first.
static void KiSoftwareInterrupt(ULONG vector)
{
    KIRQL oldIrql = (KIRQL)__readcr8();

    HalEndOfInterrupt();
    __writecr8(vector >> 4);
    _enable();
    if (vector == DISPATCH_VECTOR)
        KiDispatchInterrupt();
    else
        KiDeliverApc();
    _disable();
    __writecr8(oldIrql);
}

static void KiDispatchHardwareInterrupt(KTRAP_FRAME *frame)
{
    KPCR *pcr = KeGetPcr();
    ULONG vector = (ULONG)frame->Vector;
    KIRQL oldIrql = (KIRQL)__readcr8();

    if (vector == APIC_SPURIOUS_VECTOR)
        return;     // no end-of-interrupt for a spurious one
    if (vector == THAW_VECTOR) {
        // Its work was to end a frozen processor's hlt (freeze.c); not a
        // moment to look for a Ctrl-C, which the debugger's owner has read.
        HalEndOfInterrupt();
        return;
    }
    // The idle processor slept through ticks: count them before anything
    // here reads the time (kernel/ke/idleclock.c).
    if (HalClockSkipping())
        KiClockCatchUp();
    if (vector == APC_VECTOR || vector == DISPATCH_VECTOR) {
        KiSoftwareInterrupt(vector);
    } else if (vector == IPI_VECTOR) {
        __writecr8(IPI_LEVEL);
        pcr->Prcb.InterruptCount++;
        HalEndOfInterrupt();
        KiIpiInterrupt(frame, oldIrql);
        __writecr8(oldIrql);
    } else {
        __writecr8(vector >> 4);
        pcr->Prcb.InterruptCount++;
        HalEndOfInterrupt();
        if (KiInterruptRoutines[vector])
            KiInterruptRoutines[vector](frame);
        __writecr8(oldIrql);
    }

    // A Ctrl-C typed on a console: enter the debugger with the state of
    // whatever was running when the key arrived. Processor 0 looks, as
    // NT's clock owner polls for a break-in (the consoles interrupt it).
    if (pcr->Prcb.Number == 0 && HalpBreakInPending() && KiDebugRoutine)
        KiDebugRoutine(frame, KdReasonBreakIn);
}

void KiDispatchTrap(KTRAP_FRAME *frame)
{
    // Vector 0x1F is architecturally reserved; the APIC uses it for the APC
    // software interrupt, as NT does.
    if (frame->Vector < VECTOR_FIRST_INTERRUPT && frame->Vector != APC_VECTOR)
        KiDispatchException(frame);
    else
        KiDispatchHardwareInterrupt(frame);

    // Back to user mode: a pending user APC is delivered first, as on the
    // system-call path (kernel/ke/syscall.c). It runs like a service, at
    // PASSIVE_LEVEL with interrupts on.
    if ((frame->SegCs & RPL_MASK) && KeGetCurrentThread()->ApcState.UserApcPending) {
        _enable();
        KiDeliverUserApc(frame);
        _disable();
    }
}

BOOLEAN KeReadMemorySafe(ULONG64 address, void *buffer, SIZE_T length)
{
    if (!KiIsCanonical(address) || !KiIsCanonical(address + length - 1))
        return FALSE;
    return KiCopyMemorySafe(buffer, (const void *)address, length) == 0;
}
