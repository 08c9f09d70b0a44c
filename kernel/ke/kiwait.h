// The short paths of a plain wait, in line in KeWaitForSingleObject (wait.c):
// the wait that follows a release with Wait=TRUE (LPC's two handoffs) and
// the block itself. They stop short of the switch, which
// KeWaitForSingleObject makes itself: no call frame between it and
// KiSwapThread.
#pragma once

#include "ke/ke.h"
#include "ke/kephase.h"

// What a short path returns when the wait is not one it takes: the caller
// goes KiWait's general way (waits never end with this status).
#define KI_WAIT_GENERAL STATUS_MORE_PROCESSING_REQUIRED

// Puts the current thread into a plain wait on `object` (WaitAny, one
// object, no timeout, not alertable), the dispatcher lock held at
// DISPATCH_LEVEL and left held: the caller (KeWaitForSingleObject) switches
// next with KiSwapThread, and lowers to thread->WaitIrql after it.
static inline __attribute__((always_inline)) void
KiBeginPlainWait(DISPATCHER_HEADER *object, KTHREAD *thread, KWAIT_REASON waitReason,
                 KPROCESSOR_MODE waitMode)
{
    KWAIT_BLOCK *waitBlock = &thread->WaitBlock[0];

    KE_PHASE(KiPhaseWaitEnter);
    waitBlock->Thread = thread;
    waitBlock->Object = object;
    waitBlock->WaitKey = 0;
    waitBlock->WaitType = WaitAny;
    waitBlock->SpareByte = 0;               // with the two above: one store
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
}

// KiWait's path for the wait that follows a release with Wait=TRUE (both
// LPC handoffs): the dispatcher lock is held and the wait is a plain one (a
// semaphore at 0, no timeout, not alertable, no APC in the way, no queue).
// It puts the thread in the wait with none of KiWait's general steps and
// returns STATUS_PENDING: the caller switches (KiSwapThread) to the thread
// the release left standing by, or, when it readied none (nobody waited, or
// its waiter went to a ready list or another processor), to the best ready
// thread, as KiWait's general steps would after the same checks.
// KI_WAIT_GENERAL: not such a wait, nothing done (the lock still held,
// WaitNext still set).
static inline __attribute__((always_inline)) NTSTATUS
KiWaitForHandoff(DISPATCHER_HEADER *object, KTHREAD *thread, KWAIT_REASON waitReason,
                 KPROCESSOR_MODE waitMode)
{
    if (object->Type != SemaphoreObject ||
        object->SignalState > 0 || thread->WaitIrql >= DISPATCH_LEVEL ||
        thread->ApcState.KernelApcPending ||
        (waitMode == UserMode && thread->ApcState.UserApcPending) || thread->Queue)
        return KI_WAIT_GENERAL;
    thread->WaitNext = FALSE;
    KiBeginPlainWait(object, thread, waitReason, waitMode);
    return STATUS_PENDING;
}
