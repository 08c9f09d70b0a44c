// Guarded calls into untrusted kernel code (ke.h's KRECOVERY_FRAME): the
// I/O manager calls a driver's DriverEntry and DriverUnload through
// KeCallWithRecovery, so that a driver that faults while it starts costs
// its load, not the system.
//
// NT gets this from structured exception handling: a __try around the call,
// and the exception dispatcher walking the thread's handlers. Sleuth has no
// unwind tables for drivers, so the frame is a resume point (KiSetJump)
// linked on the thread, and the trap handler, finding no fixup for a kernel
// fault, looks there before it bugchecks.

#include "ke/ke.h"
#include "mm/mm.h"
#include "arch/x86_64/x86.h"

NTSTATUS KeCallWithRecovery(KRECOVERY_FRAME *frame, ULONG_PTR codeStart, SIZE_T codeSize,
                            KRECOVERY_ROUTINE routine, void *argument1, void *argument2)
{
    KTHREAD *thread = KeGetCurrentThread();
    NTSTATUS status;

    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    memset(frame, 0, sizeof(*frame));
    frame->CodeStart = codeStart;
    frame->CodeEnd = codeStart + codeSize;
    frame->Irql = KeGetCurrentIrql();
    frame->KernelApcDisable = thread->KernelApcDisable;
    frame->SpecialApcDisable = thread->SpecialApcDisable;
    frame->FirstMutant = thread->MutantListHead.Flink;
    frame->Process = thread->ApcState.Process;
    frame->Next = thread->RecoveryFrame;
    if (KiSetJump(&frame->Resume) == 0) {
        thread->RecoveryFrame = frame;
        status = routine(argument1, argument2);
        thread->RecoveryFrame = frame->Next;
        return status;
    }
    // Back from a fault in the guarded code (KiRecoverKernelException), with
    // nothing but the callee-saved registers restored: the frame is read
    // again from the thread, where it is still the innermost.
    frame = KeGetCurrentThread()->RecoveryFrame;
    KeGetCurrentThread()->RecoveryFrame = frame->Next;
    return frame->ExceptionCode;
}

// A fault is recovered only in the state the guarded call was made in:
// with a spin lock held, APCs disabled or a mutex newly owned, unwinding
// would leave the system locked, so those still stop it.
static BOOLEAN KiRecoveryStateIntact(const KRECOVERY_FRAME *frame, const KTHREAD *thread,
                                     const KTRAP_FRAME *trapFrame)
{
    return (KIRQL)__readcr8() == frame->Irql && (trapFrame->EFlags & EFLAGS_IF) &&
           thread->KernelApcDisable == frame->KernelApcDisable &&
           thread->SpecialApcDisable == frame->SpecialApcDisable &&
           thread->MutantListHead.Flink == frame->FirstMutant &&
           thread->ApcState.Process == frame->Process;
}

BOOLEAN KiRecoverKernelException(KTRAP_FRAME *trapFrame, NTSTATUS code, ULONG64 address)
{
    KTHREAD *thread = KeGetCurrentThread();
    KRECOVERY_FRAME *frame;

    if (!thread || (trapFrame->SegCs & RPL_MASK))
        return FALSE;
    // The innermost frame decides: a fault outside its range (in nt, say,
    // called by the driver with a bad pointer) is not the driver's to take.
    frame = thread->RecoveryFrame;
    if (!frame || trapFrame->Rip < frame->CodeStart || trapFrame->Rip >= frame->CodeEnd ||
        !KiRecoveryStateIntact(frame, thread, trapFrame))
        return FALSE;
    frame->ExceptionCode = code;
    frame->ExceptionAddress = trapFrame->Rip;
    frame->FaultingAddress = address;
    // Return from the trap into KiLongJump(&frame->Resume, 1). Its stack is
    // already the guarded call's (the dead frames below its resume point,
    // not the faulting code's rsp, which that code may have damaged), as
    // if KiLongJump had been called from there.
    trapFrame->Rip = (ULONG64)KiLongJump;
    trapFrame->Rdi = (ULONG64)&frame->Resume;
    trapFrame->Rsi = 1;
    trapFrame->Rsp = frame->Resume.Rsp - sizeof(ULONG64);
    return TRUE;
}

// Called by the pool on the current thread. Interrupts are off while the
// list changes: a DPC freeing a recorded block on this processor must not
// meet a half-made change. Only the guarded code's own allocations below
// DISPATCH_LEVEL are recorded (one made by a DPC is the DPC's); every free
// of a recorded block on this thread forgets it. A block the driver gives
// to another thread to free is its own hazard (documented, docs/drivers.md).
void KiRecoveryTrackPool(void *block, ULONG_PTR caller, BOOLEAN allocated)
{
    KRECOVERY_FRAME *frame;
    ULONG64 flags = __readeflags();

    if (allocated && KeGetCurrentIrql() >= DISPATCH_LEVEL)
        return;
    _disable();
    frame = KeGetCurrentThread()->RecoveryFrame;
    if (allocated) {
        if (caller >= frame->CodeStart && caller < frame->CodeEnd) {
            if (frame->PoolCount < KRECOVERY_POOL_TRACKED)
                frame->Pool[frame->PoolCount++] = block;
            else
                frame->PoolOverflow = TRUE;
        }
    } else {
        for (ULONG i = 0; i < frame->PoolCount; i++) {
            if (frame->Pool[i] == block) {
                frame->Pool[i] = frame->Pool[--frame->PoolCount];
                break;
            }
        }
    }
    if (flags & EFLAGS_IF)
        _enable();
}

void KeFreeRecoveredPool(KRECOVERY_FRAME *frame)
{
    if (frame->PoolOverflow)
        DbgPrint("KE: more than %u blocks allocated by the faulting code; some stay\n",
                 KRECOVERY_POOL_TRACKED);
    while (frame->PoolCount)
        ExFreePool(frame->Pool[--frame->PoolCount]);
}

BOOLEAN KeRecoveryTrackObject(void *object, ULONG_PTR caller)
{
    KRECOVERY_FRAME *frame = KeGetCurrentThread()->RecoveryFrame;

    if (!frame || caller < frame->CodeStart || caller >= frame->CodeEnd ||
        KeGetCurrentIrql() != PASSIVE_LEVEL || frame->ObjectCount == KRECOVERY_OBJECTS_TRACKED)
        return FALSE;
    frame->Objects[frame->ObjectCount++] = object;
    return TRUE;
}
