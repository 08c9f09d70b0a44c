// The short paths of a plain wait, in line in KeWaitForSingleObject (wait.c):
// the wait that follows a release with Wait=TRUE (LPC's two handoffs) and
// the block itself, with no call frame between KeWaitForSingleObject and
// the switch.
#pragma once

#include "ke/ke.h"
#include "ke/kephase.h"

// Blocks the current thread in a plain wait on `object` (WaitAny, one
// object, no timeout, not alertable) and switches to the thread standing by
// or the best ready one; the dispatcher lock is held at DISPATCH_LEVEL.
// Returns at oldIrql with the wait's status (STATUS_KERNEL_APC: woken to
// run a kernel APC, which has run; the caller waits again).
static inline __attribute__((always_inline)) NTSTATUS
KiBlockPlainWait(DISPATCHER_HEADER *object, KTHREAD *thread, KWAIT_REASON waitReason,
                 KPROCESSOR_MODE waitMode, KIRQL oldIrql)
{
    KWAIT_BLOCK *waitBlock = &thread->WaitBlock[0];
    NTSTATUS status;

    KE_PHASE(KiPhaseWaitEnter);
    waitBlock->Thread = thread;
    waitBlock->Object = object;
    waitBlock->WaitKey = 0;
    waitBlock->WaitType = WaitAny;
    waitBlock->NextWaitBlock = waitBlock;
    InsertTailList(&object->WaitListHead, &waitBlock->WaitListEntry);
    thread->WaitBlockList = waitBlock;
    thread->State = Waiting;
    thread->WaitReason = (UCHAR)waitReason;
    thread->WaitMode = waitMode;
    thread->Alertable = FALSE;
    thread->WaitTime = KeTickCount;
    thread->WaitStatus = STATUS_PENDING;
    KE_PHASE(KiPhaseWaitBlock);
    status = (NTSTATUS)KiSwapThread();          // returns at DISPATCH_LEVEL, lock free
    KeLowerIrql(oldIrql);
    KE_PHASE(KiPhaseWaitReturn);
    return status;
}

// KiWait's path for the wait that follows a release with Wait=TRUE (both
// LPC handoffs): the dispatcher lock is held, a thread stands by, and the
// wait is a plain one (a semaphore at 0, no timeout, not alertable, no APC
// in the way, no queue). It blocks and switches to the standby with none of
// KiWait's general steps. STATUS_PENDING: not such a wait, nothing done
// (the lock still held, WaitNext still set). STATUS_KERNEL_APC: woken to
// run a kernel APC, which has run; the wait starts over.
static inline __attribute__((always_inline)) NTSTATUS
KiWaitForHandoff(DISPATCHER_HEADER *object, KTHREAD *thread, KWAIT_REASON waitReason,
                 KPROCESSOR_MODE waitMode)
{
    KIRQL oldIrql = thread->WaitIrql;

    if (!KeGetCurrentPrcb()->NextThread || object->Type != SemaphoreObject ||
        object->SignalState > 0 || oldIrql >= DISPATCH_LEVEL ||
        thread->ApcState.KernelApcPending ||
        (waitMode == UserMode && thread->ApcState.UserApcPending) || thread->Queue)
        return STATUS_PENDING;
    thread->WaitNext = FALSE;
    return KiBlockPlainWait(object, thread, waitReason, waitMode, oldIrql);
}
