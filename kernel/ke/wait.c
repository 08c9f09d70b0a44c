// Waiting: KeWaitForSingleObject, KeWaitForMultipleObjects and
// KeDelayExecutionThread, and KiWaitTest, which wakes waiters when an object
// is signaled.
//
// How a wait works:
//  1. Under the dispatcher lock, check whether the wait is satisfied now
//     (any one object signaled for WaitAny, all of them for WaitAll). If so,
//     acquire the objects (an auto-reset event resets, a semaphore counts
//     down, a mutant gets an owner) and return at once.
//  2. Otherwise link one wait block per object onto the objects' wait lists,
//     arm the thread's timer for a timeout, mark the thread Waiting with its
//     wait reason and the tick the wait began, and switch to another thread.
//  3. Whoever signals an object calls KiWaitTest, which walks the waiters in
//     order and unwaits each one the new state satisfies, acquiring on its
//     behalf. A WaitAll waiter is satisfied only when every object is
//     signaled, and then acquires all of them at once: never some of them.
//  4. The woken thread returns the status its waker stored: STATUS_WAIT_0 + i,
//     STATUS_ABANDONED_WAIT_0 + i, STATUS_TIMEOUT, STATUS_ALERTED...

#include "ke/ke.h"
#include "ke/kephase.h"
#include "ke/kiwait.h"

// Is `object` signaled for `thread`? A mutant is also "signaled" for the
// thread that already owns it (recursive acquisition).
BOOLEAN KiIsObjectSignaled(DISPATCHER_HEADER *object, KTHREAD *thread)
{
    if (object->Type == MutantObject) {
        KMUTANT *mutant = (KMUTANT *)object;

        return object->SignalState > 0 || mutant->OwnerThread == thread;
    }
    if (object->Type == QueueObject)
        return FALSE;   // queues are waited on only through KeRemoveQueue
    return object->SignalState > 0;
}

// Takes what a satisfied wait consumes. Caller holds the dispatcher lock.
void KiAcquireSignaledObject(DISPATCHER_HEADER *object, KTHREAD *thread)
{
    switch (object->Type) {
    case EventSynchronizationObject:
    case TimerSynchronizationObject:
        object->SignalState = 0;
        break;
    case SemaphoreObject:
        object->SignalState--;
        break;
    case MutantObject: {
        KMUTANT *mutant = (KMUTANT *)object;

        if (object->SignalState == (LONG)MUTANT_LIMIT)
            KeBugCheckEx(THREAD_NOT_MUTEX_OWNER, (ULONG64)mutant, 0, 0, 0);
        object->SignalState--;
        if (object->SignalState == 0) {
            mutant->OwnerThread = thread;
            InsertHeadList(&thread->MutantListHead, &mutant->MutantListEntry);
        }
        break;
    }
    default:
        break;      // notification events and timers, threads, processes stay signaled
    }
}

// The status a satisfied wait on `object` at index `key` returns.
static NTSTATUS KiWaitSatisfiedStatus(DISPATCHER_HEADER *object, ULONG key)
{
    if (object->Type == MutantObject && ((KMUTANT *)object)->Abandoned) {
        ((KMUTANT *)object)->Abandoned = FALSE;
        return STATUS_ABANDONED_WAIT_0 + key;
    }
    return STATUS_WAIT_0 + key;
}

// For a WaitAll: are all the thread's objects signaled for it?
static BOOLEAN KiAllObjectsSignaled(KWAIT_BLOCK *first)
{
    KWAIT_BLOCK *waitBlock = first;

    do {
        if (waitBlock->WaitKey != STATUS_TIMEOUT &&
            !KiIsObjectSignaled(waitBlock->Object, waitBlock->Thread))
            return FALSE;
        waitBlock = waitBlock->NextWaitBlock;
    } while (waitBlock != first);
    return TRUE;
}

static NTSTATUS KiAcquireAllObjects(KWAIT_BLOCK *first)
{
    KWAIT_BLOCK *waitBlock = first;
    NTSTATUS status = STATUS_WAIT_0;

    do {
        if (waitBlock->WaitKey != STATUS_TIMEOUT) {
            NTSTATUS one = KiWaitSatisfiedStatus(waitBlock->Object, 0);

            KiAcquireSignaledObject(waitBlock->Object, waitBlock->Thread);
            if (one == STATUS_ABANDONED_WAIT_0)
                status = STATUS_ABANDONED_WAIT_0;
        }
        waitBlock = waitBlock->NextWaitBlock;
    } while (waitBlock != first);
    return status;
}

// `object` became signaled: satisfy waiters, oldest first, while it stays
// signaled. Caller holds the dispatcher lock.
void KiWaitTest(DISPATCHER_HEADER *object, KPRIORITY increment)
{
    LIST_ENTRY *entry = object->WaitListHead.Flink;

    while (entry != &object->WaitListHead) {
        KWAIT_BLOCK *waitBlock = CONTAINING_RECORD(entry, KWAIT_BLOCK, WaitListEntry);
        KTHREAD *thread = waitBlock->Thread;

        entry = entry->Flink;
        if (!KiIsObjectSignaled(object, thread))
            break;
        if (waitBlock->WaitType == WaitAny) {
            NTSTATUS status = KiWaitSatisfiedStatus(object, waitBlock->WaitKey);

            KiAcquireSignaledObject(object, thread);
            KiUnwaitThread(thread, status, increment);
        } else if (KiAllObjectsSignaled(waitBlock)) {
            NTSTATUS status = KiAcquireAllObjects(waitBlock);

            KiUnwaitThread(thread, status, increment);
        }
        // The unwait may have changed the list; restart from the head if the
        // entry we were about to visit was taken off it.
        if (entry != &object->WaitListHead && entry->Flink == NULL)
            entry = object->WaitListHead.Flink;
    }
}

// Is the wait satisfied right now? Acquires and returns the status if so,
// else returns STATUS_PENDING.
static NTSTATUS KiTrySatisfyWait(KTHREAD *thread, ULONG count, DISPATCHER_HEADER **objects,
                                 WAIT_TYPE waitType)
{
    if (waitType == WaitAny) {
        for (ULONG i = 0; i < count; i++) {
            if (KiIsObjectSignaled(objects[i], thread)) {
                NTSTATUS status = KiWaitSatisfiedStatus(objects[i], i);

                KiAcquireSignaledObject(objects[i], thread);
                return status;
            }
        }
        return STATUS_PENDING;
    }
    for (ULONG i = 0; i < count; i++) {
        if (!KiIsObjectSignaled(objects[i], thread))
            return STATUS_PENDING;
    }
    {
        NTSTATUS status = STATUS_WAIT_0;

        for (ULONG i = 0; i < count; i++) {
            if (KiWaitSatisfiedStatus(objects[i], 0) == STATUS_ABANDONED_WAIT_0)
                status = STATUS_ABANDONED_WAIT_0;
            KiAcquireSignaledObject(objects[i], thread);
        }
        return status;
    }
}

// Does the wait end before it starts? An alertable wait ends on an alert
// for its mode (or for kernel mode) and, in user mode, on a queued user APC,
// which the way back to user mode then delivers. A user-mode wait that is
// not alertable still ends when a user APC is already on its way. Returns
// STATUS_PENDING when the wait goes on. Caller holds the dispatcher lock.
static NTSTATUS KiTestAlertOrUserApc(KTHREAD *thread, KPROCESSOR_MODE waitMode,
                                     BOOLEAN alertable)
{
    if (alertable) {
        if (thread->Alerted[(int)waitMode]) {
            thread->Alerted[(int)waitMode] = FALSE;
            return STATUS_ALERTED;
        }
        if (waitMode == UserMode && !IsListEmpty(&thread->ApcState.ApcListHead[UserMode])) {
            thread->ApcState.UserApcPending = TRUE;
            return STATUS_USER_APC;
        }
        if (thread->Alerted[KernelMode]) {
            thread->Alerted[KernelMode] = FALSE;
            return STATUS_ALERTED;
        }
    } else if (waitMode == UserMode && thread->ApcState.UserApcPending) {
        return STATUS_USER_APC;
    }
    return STATUS_PENDING;
}

// A wait up to its block: returns the wait's status when it ends at once
// (satisfied, alerted, a user APC, a timeout of 0 or in the past), the
// dispatcher lock released and the IRQL back at what it was on entry; or
// STATUS_PENDING with the thread Waiting, its wait blocks linked and the
// dispatcher lock held at DISPATCH_LEVEL: the caller then switches
// (KiSwapThread), lowers the IRQL to thread->WaitIrql and, woken to run a
// kernel APC (STATUS_KERNEL_APC, the APC run by that lowering), calls this
// again (the timeout starts over, as it does on NT). `objects` may be empty
// (a delay). In line in KiWait and KiWaitSingleStart: KeWaitForSingleObject's
// copy, with one object and WaitAny known, loses the loops over objects and
// wait blocks (every LPC wait is one).
static inline __attribute__((always_inline)) NTSTATUS
KiWaitStart(ULONG count, DISPATCHER_HEADER **objects, WAIT_TYPE waitType,
            KWAIT_REASON waitReason, KPROCESSOR_MODE waitMode, BOOLEAN alertable,
            LARGE_INTEGER *timeout, KWAIT_BLOCK *waitBlocks)
{
    KTHREAD *thread = KeGetCurrentThread();
    // WaitNext: the dispatcher lock is already held (a release with Wait
    // set), and the IRQL to return to is the one saved then.
    BOOLEAN locked = thread->WaitNext;
    // The release before it may have left a thread standing by that does
    // not outrank this one, for this wait to switch to (KiUnwaitForHandoff).
    BOOLEAN handoff = locked;
    KIRQL oldIrql = locked ? thread->WaitIrql : KeGetCurrentIrql();
    NTSTATUS status;

    KE_PHASE(KiPhaseWaitEnter);
    thread->WaitNext = FALSE;
    if (oldIrql > DISPATCH_LEVEL ||
        (oldIrql == DISPATCH_LEVEL && !(timeout && timeout->QuadPart == 0)))
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, (ULONG64)objects, oldIrql, 0,
                     (ULONG64)__builtin_return_address(0));

    for (;;) {
        if (!locked)
            KiAcquireDispatcherLock();
        locked = FALSE;

        // A pending kernel APC runs before the thread may block.
        if (thread->ApcState.KernelApcPending && thread->KernelApcDisable == 0 &&
            oldIrql < APC_LEVEL) {
            if (handoff)
                KiCancelHandoff();
            handoff = FALSE;
            KiReleaseDispatcherLock(oldIrql);
            KiDeliverApc();
            continue;
        }
        status = KiTestAlertOrUserApc(thread, waitMode, alertable);
        if (status != STATUS_PENDING)
            break;
        status = KiTrySatisfyWait(thread, count, objects, waitType);
        if (status != STATUS_PENDING)
            break;
        // A timeout of 0, or one already in the past, ends the wait now
        // (NT's): no timer is armed for a tick that would only report it.
        if (timeout && (timeout->QuadPart == 0 || !KiInsertWaitTimer(&thread->Timer, *timeout))) {
            status = STATUS_TIMEOUT;
            break;
        }

        // Block: link a wait block onto every object.
        thread->WaitBlockList = count ? waitBlocks : NULL;
        for (ULONG i = 0; i < count; i++) {
            KWAIT_BLOCK *waitBlock = &waitBlocks[i];

            waitBlock->Thread = thread;
            waitBlock->Object = objects[i];
            waitBlock->WaitKey = (USHORT)i;
            waitBlock->WaitType = (UCHAR)waitType;
            waitBlock->NextWaitBlock = &waitBlocks[(i + 1) % count];
            InsertTailList(&objects[i]->WaitListHead, &waitBlock->WaitListEntry);
        }
        if (timeout) {
            KWAIT_BLOCK *timerBlock = &thread->WaitBlock[TIMER_WAIT_BLOCK];

            timerBlock->Thread = thread;
            timerBlock->Object = &thread->Timer;
            timerBlock->WaitKey = (USHORT)STATUS_TIMEOUT;
            timerBlock->WaitType = WaitAny;
            InsertTailList(&thread->Timer.Header.WaitListHead, &timerBlock->WaitListEntry);
            if (count) {
                timerBlock->NextWaitBlock = waitBlocks;
                waitBlocks[count - 1].NextWaitBlock = timerBlock;
            } else {
                timerBlock->NextWaitBlock = timerBlock;
                thread->WaitBlockList = timerBlock;
            }
        }

        // A thread bound to a queue that blocks on something else frees its
        // slot for the next one (NT's KiActivateWaiterQueue).
        if (thread->Queue && waitReason != WrQueue)
            KiActivateWaiterQueue(thread->Queue);

        thread->State = Waiting;
        thread->WaitReason = (UCHAR)waitReason;
        thread->WaitMode = waitMode;
        thread->Alertable = alertable;
        thread->WaitIrql = oldIrql;
        thread->WaitTime = KeTickCount;
        thread->WaitStatus = STATUS_PENDING;
        KE_PHASE(KiPhaseWaitBlock);
        return STATUS_PENDING;
    }
    if (handoff)
        KiCancelHandoff();
    KiReleaseDispatcherLock(oldIrql);
    KE_PHASE(KiPhaseWaitReturn);
    return status;
}

// The IRQL back to thread->WaitIrql after KiSwapThread, which returns at
// DISPATCH_LEVEL: a wait starts below that level (KiWaitStart and the short
// paths check WaitIrql before blocking), so KeLowerIrql's check cannot fail
// here and is left out.
static inline __attribute__((always_inline)) void KiLowerIrqlAfterSwap(KTHREAD *thread)
{
    KiWriteIrql(thread->WaitIrql);
}

// The one place a thread blocks (but for KeWaitForSingleObject, which
// makes the same steps with its own switch). Returns with the IRQL back at
// what it was on entry. In line in KeWaitForMultipleObjects and
// KeDelayExecutionThread.
static inline __attribute__((always_inline)) NTSTATUS
KiWait(ULONG count, DISPATCHER_HEADER **objects, WAIT_TYPE waitType, KWAIT_REASON waitReason,
       KPROCESSOR_MODE waitMode, BOOLEAN alertable, LARGE_INTEGER *timeout,
       KWAIT_BLOCK *waitBlocks)
{
    for (;;) {
        NTSTATUS status = KiWaitStart(count, objects, waitType, waitReason, waitMode, alertable,
                                      timeout, waitBlocks);

        if (status != STATUS_PENDING)
            return status;
        status = (NTSTATUS)KiSwapThread();      // returns at DISPATCH_LEVEL, lock free
        KiLowerIrqlAfterSwap(KeGetCurrentThread());
        KE_PHASE(KiPhaseWaitReturn);
        if (status != STATUS_KERNEL_APC)
            return status;
    }
}

// KeWaitForSingleObject's arguments, kept in its frame's memory and read
// where they are needed rather than held in registers across calls: the
// short paths' frame then saves almost no registers (KiWait's general
// steps, out of line in KiWaitSingleStart, save their own). A wait that
// starts over after a kernel APC reads them here too: the thread's own wait
// fields may have been overwritten by a wait inside the APC.
typedef volatile struct _KI_WAIT_ARGS {
    DISPATCHER_HEADER *Object;
    LARGE_INTEGER *Timeout;
    UCHAR WaitReason;
    KPROCESSOR_MODE WaitMode;
    BOOLEAN Alertable;
} KI_WAIT_ARGS;

static inline __attribute__((always_inline)) void
KiSaveWaitArgs(KI_WAIT_ARGS *args, void *object, LARGE_INTEGER *timeout, KWAIT_REASON waitReason,
               KPROCESSOR_MODE waitMode, BOOLEAN alertable)
{
    args->Object = object;
    args->Timeout = timeout;
    args->WaitReason = (UCHAR)waitReason;
    args->WaitMode = waitMode;
    args->Alertable = alertable;
}

// Objects whose wait the plain short path takes: signaled exactly when
// SignalState > 0, for any thread (not a mutant, which its owner may hold
// recursively; not a queue, waited on through KeRemoveQueue; not a gate).
static inline BOOLEAN KiIsPlainWaitObject(DISPATCHER_HEADER *object)
{
    return object->Type == SemaphoreObject ||       // LPC's: first
           (object->Type != MutantObject && object->Type != QueueObject &&
           object->Type != GateObject && object->Type < MaximumKernelObject);
}

// The end of a short path's wait that did not block: the dispatcher lock
// released, back at the IRQL saved in WaitIrql. Out of line, so that the
// short paths keep nothing in registers across the release's calls.
static __attribute__((noinline)) NTSTATUS KiEndPlainWait(NTSTATUS status)
{
    KiReleaseDispatcherLock(KeGetCurrentThread()->WaitIrql);
    return status;
}

// The same wait on a semaphore, an event, a timer, a thread or a process
// with no release before it (a receive that replied nothing, an event's
// waiter): the dispatcher lock taken here; a signaled object is acquired at
// once (KiWait's answer when no APC is in the way: a count taken, a
// synchronization event or timer reset), an
// unsignaled one puts the thread in the wait in a few stores and returns
// STATUS_PENDING (the caller switches). KI_WAIT_GENERAL: not such a wait
// (another object, an APC to run first, a queue), nothing done. Everything
// is read again after the lock's acquire (which may call out when
// contended).
static inline __attribute__((always_inline)) NTSTATUS
KiWaitForSemaphorePlain(KI_WAIT_ARGS *args)
{
    KIRQL oldIrql = KiReadIrql();
    DISPATCHER_HEADER *object = args->Object;
    KTHREAD *thread;

    if (!KiIsPlainWaitObject(object) || oldIrql >= DISPATCH_LEVEL ||
        KeGetCurrentThread()->Queue)
        return KI_WAIT_GENERAL;
    KfRaiseIrql(DISPATCH_LEVEL);
    KeGetCurrentThread()->WaitIrql = oldIrql;
    KeAcquireSpinLockAtDpcLevel(&KiDispatcherLock);
    thread = KeGetCurrentThread();
    object = args->Object;
    if (thread->ApcState.KernelApcPending ||
        (args->WaitMode == UserMode && thread->ApcState.UserApcPending))
        return KiEndPlainWait(KI_WAIT_GENERAL);
    if (object->SignalState > 0) {
        if (object->Type == SemaphoreObject)
            object->SignalState--;
        else
            KiAcquireSignaledObject(object, thread);
        return KiEndPlainWait(STATUS_WAIT_0);
    }
    KiBeginPlainWait(object, thread, args->WaitReason, args->WaitMode);
    return STATUS_PENDING;
}

// KiWaitStart for KeWaitForSingleObject's general path: out of line, so
// that the short paths' frame saves none of the registers its general
// steps need. It returns before the thread switches, so it is never on a
// waiting thread's stack.
static __attribute__((noinline)) NTSTATUS KiWaitSingleStart(KI_WAIT_ARGS *args)
{
    DISPATCHER_HEADER *object = args->Object;

    return KiWaitStart(1, &object, WaitAny, args->WaitReason, args->WaitMode, args->Alertable,
                       args->Timeout, KeGetCurrentThread()->WaitBlock);
}

NTSTATUS KeWaitForSingleObject(void *object, KWAIT_REASON waitReason, KPROCESSOR_MODE waitMode,
                               BOOLEAN alertable, LARGE_INTEGER *timeout)
{
    KTHREAD *thread = KeGetCurrentThread();
    KI_WAIT_ARGS args;
    NTSTATUS status;

    // A plain wait (no timeout, not alertable) tries the short paths first.
    // After a release with Wait=TRUE (LPC's handoffs) it blocks and switches
    // to the thread standing by with the arguments as they came, nothing
    // stored in the frame: only a wake to run a kernel APC needs them again,
    // and takes them from the thread's wait fields before the lowering runs
    // the APC (which may wait itself and overwrite them). With no release
    // before it, a signaled object (a semaphore, an event, a timer, a
    // thread, a process) is acquired at once or the thread blocks in a few
    // stores. The switch is made here, not in line in the callers nor in a
    // helper, so that every waiting thread's stack reads KiSwapThread <-
    // KeWaitForSingleObject <- the service, as the case studies' stacks do.
    if (!alertable && !timeout) {
        if (!thread->WaitNext) {
            KiSaveWaitArgs(&args, object, timeout, waitReason, waitMode, alertable);
            status = KiWaitForSemaphorePlain(&args);
            goto started;
        }
        if (KiWaitForHandoff(object, thread, waitReason, waitMode) == STATUS_PENDING) {
            status = (NTSTATUS)KiSwapThread();      // returns at DISPATCH_LEVEL, lock free
            thread = KeGetCurrentThread();
            if (status != STATUS_KERNEL_APC) {
                KiLowerIrqlAfterSwap(thread);
                KE_PHASE(KiPhaseWaitReturn);
                return status;
            }
            KiSaveWaitArgs(&args, thread->WaitBlock[0].Object, NULL, thread->WaitReason,
                           thread->WaitMode, FALSE);
            KiLowerIrqlAfterSwap(thread);
            KE_PHASE(KiPhaseWaitReturn);
            goto restart;
        }
    }
    KiSaveWaitArgs(&args, object, timeout, waitReason, waitMode, alertable);
    status = KI_WAIT_GENERAL;
started:
    for (;;) {
        if (status == KI_WAIT_GENERAL)
            status = KiWaitSingleStart(&args);
        if (status != STATUS_PENDING)
            return status;
        status = (NTSTATUS)KiSwapThread();      // returns at DISPATCH_LEVEL, lock free
        KiLowerIrqlAfterSwap(KeGetCurrentThread());
        KE_PHASE(KiPhaseWaitReturn);
        if (status != STATUS_KERNEL_APC)
            return status;
        // Woken to run a kernel APC, which the lowering ran: wait again,
        // with the arguments from this frame (the APC may have waited
        // itself).
restart:
        status = KI_WAIT_GENERAL;
        if (!args.Alertable && !args.Timeout && !KeGetCurrentThread()->WaitNext)
            status = KiWaitForSemaphorePlain(&args);
    }
}

NTSTATUS KeWaitForMultipleObjects(ULONG count, void *objects[], WAIT_TYPE waitType,
                                  KWAIT_REASON waitReason, KPROCESSOR_MODE waitMode,
                                  BOOLEAN alertable, LARGE_INTEGER *timeout,
                                  KWAIT_BLOCK *waitBlockArray)
{
    KTHREAD *thread = KeGetCurrentThread();

    if (count == 0 || count > MAXIMUM_WAIT_OBJECTS)
        KeBugCheckEx(MAXIMUM_WAIT_OBJECTS_EXCEEDED, count, 0, 0, 0);
    if (!waitBlockArray) {
        if (count > THREAD_WAIT_OBJECTS)
            KeBugCheckEx(MAXIMUM_WAIT_OBJECTS_EXCEEDED, count, 0, 0, 0);
        waitBlockArray = thread->WaitBlock;
    }
    // The same mutant twice in one WaitAll could never be satisfied sensibly.
    if (waitType == WaitAll) {
        for (ULONG i = 0; i < count; i++) {
            for (ULONG j = i + 1; j < count; j++) {
                if (objects[i] == objects[j] &&
                    ((DISPATCHER_HEADER *)objects[i])->Type == MutantObject)
                    KeBugCheckEx(MAXIMUM_WAIT_OBJECTS_EXCEEDED, count, i, j, 0);
            }
        }
    }
    return KiWait(count, (DISPATCHER_HEADER **)objects, waitType, waitReason, waitMode,
                  alertable, timeout, waitBlockArray);
}

NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE waitMode, BOOLEAN alertable,
                                LARGE_INTEGER *interval)
{
    NTSTATUS status = KiWait(0, NULL, WaitAny, DelayExecution, waitMode, alertable, interval,
                             NULL);

    return status == STATUS_TIMEOUT ? STATUS_SUCCESS : status;
}

// Alerts `thread`: an alertable wait in `alertMode` (or kernel mode, for a
// user-mode alert) ends with STATUS_ALERTED; otherwise the alert is
// remembered for its next alertable wait. Returns the previous alert state.
BOOLEAN KeAlertThread(KTHREAD *thread, KPROCESSOR_MODE alertMode)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    BOOLEAN previous = thread->Alerted[(int)alertMode];

    if (!previous) {
        if (thread->State == Waiting && thread->Alertable &&
            (alertMode == KernelMode || thread->WaitMode == alertMode))
            KiUnwaitThread(thread, STATUS_ALERTED, 0);
        else
            thread->Alerted[(int)alertMode] = TRUE;
    }
    KiReleaseDispatcherLock(oldIrql);
    return previous;
}

// Clears and returns the caller's alert for `alertMode`. Not alerted in
// user mode, with user APCs queued, it marks them pending: the way back to
// user mode delivers them (NtTestAlert, NtContinue's TestAlert).
BOOLEAN KeTestAlertThread(KPROCESSOR_MODE alertMode)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    KTHREAD *thread = KeGetCurrentThread();
    BOOLEAN alerted = thread->Alerted[(int)alertMode];

    if (alerted)
        thread->Alerted[(int)alertMode] = FALSE;
    else if (alertMode == UserMode && !IsListEmpty(&thread->ApcState.ApcListHead[UserMode]))
        thread->ApcState.UserApcPending = TRUE;
    KiReleaseDispatcherLock(oldIrql);
    return alerted;
}
