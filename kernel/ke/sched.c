// The scheduler: 32 ready lists (one per priority) with a summary bitmap,
// preemption when a higher-priority thread becomes ready, time slicing by
// quantum, and NT's priority boost and decay.
//
// Everything here runs with the dispatcher lock held at DISPATCH_LEVEL.
// Switching threads happens in two places only: KiSwapThread (the running
// thread blocks or ends) and the dispatch interrupt (the running thread is
// preempted or its quantum ran out).

#include "ke/ke.h"
#include "arch/x86_64/hal.h"
#include "ke/kephase.h"
#include "arch/x86_64/x86.h"

KSPIN_LOCK KiDispatcherLock;
// Processors running their idle thread with nothing standing by (NT's
// KiIdleSummary): a thread readied goes to one of them first.
volatile ULONG64 KiIdleSummary;

void KiSwapContext(KTHREAD *oldThread, KTHREAD *newThread);    // ctxswap.asm

void KiAcquireDispatcherLockAtDpcLevel(void)
{
    KeAcquireSpinLockAtDpcLevel(&KiDispatcherLock);
}

void KiReleaseDispatcherLockFromDpcLevel(void)
{
    KeReleaseSpinLockFromDpcLevel(&KiDispatcherLock);
}

void KiRequestDispatchInterrupt(void)
{
    KPRCB *prcb = KeGetCurrentPrcb();

    if (!prcb->DispatchPending) {
        prcb->DispatchPending = TRUE;
        HalRequestSoftwareInterrupt(DISPATCH_LEVEL);
    }
}

// Asks `prcb`'s processor to run its dispatch interrupt: a fixed IPI at the
// DISPATCH_LEVEL vector, which its APIC holds until its IRQL drops (the
// reschedule IPI).
static void KiRequestDispatchOn(KPRCB *prcb)
{
    if (prcb == KeGetCurrentPrcb())
        KiRequestDispatchInterrupt();
    else
        HalRequestSoftwareInterruptProcessor(prcb->ApicId, DISPATCH_LEVEL);
}

static void KiInsertReadyList(KPRCB *prcb, KTHREAD *thread, BOOLEAN atHead)
{
    LIST_ENTRY *list = &prcb->DispatcherReadyListHead[thread->Priority];

    thread->State = Ready;
    thread->NextProcessor = (UCHAR)prcb->Number;
    if (atHead)
        InsertHeadList(list, &thread->WaitListEntry);
    else
        InsertTailList(list, &thread->WaitListEntry);
    prcb->ReadySummary |= 1U << thread->Priority;
}

// Takes the highest-priority ready thread whose priority is at least
// `lowPriority`, or NULL.
static inline __attribute__((always_inline)) KTHREAD *KiSelectReadyThread(KPRCB *prcb,
                                                                        KPRIORITY lowPriority)
{
    ULONG summary = prcb->ReadySummary & ~((1U << lowPriority) - 1);
    ULONG priority;
    KTHREAD *thread;

    if (!summary)
        return NULL;
    priority = 31 - (ULONG)__builtin_clz(summary);
    thread = CONTAINING_RECORD(RemoveHeadList(&prcb->DispatcherReadyListHead[priority]),
                               KTHREAD, WaitListEntry);
    if (IsListEmpty(&prcb->DispatcherReadyListHead[priority]))
        prcb->ReadySummary &= ~(1U << priority);
    return thread;
}

// Takes a thread off the ready list it is on.
static void KiRemoveReadyList(KTHREAD *thread)
{
    KPRCB *prcb = KiProcessorBlock[thread->NextProcessor];

    RemoveEntryList(&thread->WaitListEntry);
    if (IsListEmpty(&prcb->DispatcherReadyListHead[(int)thread->Priority]))
        prcb->ReadySummary &= ~(1U << thread->Priority);
}

// The best ready thread for `prcb`: from its own lists, else the
// highest-priority one on another processor's lists that may run here
// (NT's KiFindReadyThread, as an idle processor takes work).
static KTHREAD *KiFindReadyThreadElsewhere(KPRCB *prcb, KPRIORITY lowPriority);

static inline __attribute__((always_inline)) KTHREAD *KiFindReadyThread(KPRCB *prcb,
                                                                      KPRIORITY lowPriority)
{
    KTHREAD *best = KiSelectReadyThread(prcb, lowPriority);

    if (best || KeNumberProcessors <= 1)
        return best;
    return KiFindReadyThreadElsewhere(prcb, lowPriority);
}

// KiFindReadyThread's search of the other processors' lists, out of line.
static __attribute__((noinline)) KTHREAD *KiFindReadyThreadElsewhere(KPRCB *prcb,
                                                                     KPRIORITY lowPriority)
{
    KTHREAD *best = NULL;

    // A processor started but not yet counted takes nothing (KiCountProcessor).
    if (prcb->Number >= KeNumberProcessors)
        return NULL;
    for (ULONG number = 0; number < KeNumberProcessors; number++) {
        KPRCB *other = KiProcessorBlock[number];
        ULONG summary;

        if (other == prcb)
            continue;
        summary = other->ReadySummary & ~((1U << lowPriority) - 1);
        while (summary) {
            ULONG priority = 31 - (ULONG)__builtin_clz(summary);
            LIST_ENTRY *head = &other->DispatcherReadyListHead[priority];

            summary &= ~(1U << priority);
            if (best && (ULONG)best->Priority >= priority)
                break;
            for (LIST_ENTRY *entry = head->Flink; entry != head; entry = entry->Flink) {
                KTHREAD *thread = CONTAINING_RECORD(entry, KTHREAD, WaitListEntry);

                if (thread->Affinity & prcb->SetMember) {
                    best = thread;
                    break;
                }
            }
        }
    }
    if (best)
        KiRemoveReadyList(best);
    return best;
}

// Makes `thread` stand by on `prcb`, whose dispatch interrupt switches to it.
// Nothing may stand by there already: that thread would be lost, on no
// list and never run (KiIdleSummary's bit is clear while one stands by).
static void KiStandbyOn(KPRCB *prcb, KTHREAD *thread)
{
    ASSERT(!prcb->NextThread);
    thread->State = Standby;
    thread->NextProcessor = (UCHAR)prcb->Number;
    prcb->NextThread = thread;
    __atomic_and_fetch(&KiIdleSummary, ~prcb->SetMember, __ATOMIC_RELAXED);
    KiRequestDispatchOn(prcb);
}

static inline BOOLEAN KiProcessorInSet(ULONG64 set, ULONG number)
{
    return (set >> number) & 1;
}

// KiReadyThread's multiprocessor half, as NT's: an idle processor the
// thread may run on takes it (its ideal one first); otherwise its ideal
// processor (or the last it ran on, or the first it may run on) does:
// preempted when the thread outranks what it runs or stands by, else the
// thread joins that processor's ready list. FALSE: that processor is this
// one, left to the caller's own path (which knows about WaitNext).
static __attribute__((noinline)) BOOLEAN KiReadyThreadElsewhere(KPRCB *self, KTHREAD *thread)
{
    ULONG64 affinity = thread->Affinity & KeQueryActiveProcessors();
    ULONG64 idle = KiIdleSummary & affinity;
    ULONG number;
    KPRCB *target;
    KTHREAD *next;

    if ((affinity & self->SetMember) && (KiIdleSummary & self->SetMember)) {
        // This processor is idle: the caller's path makes the thread stand
        // by here when it outranks the idle thread, and it is no longer
        // idle then (cleared here, off the path of every other ready).
        if (self->CurrentThread->State == Running &&
            thread->Priority > self->CurrentThread->Priority)
            __atomic_and_fetch(&KiIdleSummary, ~self->SetMember, __ATOMIC_RELAXED);
        return FALSE;
    }
    if (idle) {
        if (KiProcessorInSet(idle, thread->IdealProcessor))
            number = thread->IdealProcessor;
        else if (KiProcessorInSet(idle, thread->NextProcessor))
            number = thread->NextProcessor;
        else
            number = (ULONG)__builtin_ctzll(idle);
        KiStandbyOn(KiProcessorBlock[number], thread);
        return TRUE;
    }
    if (KiProcessorInSet(affinity, thread->IdealProcessor))
        number = thread->IdealProcessor;
    else if (KiProcessorInSet(affinity, thread->NextProcessor))
        number = thread->NextProcessor;
    else
        number = (ULONG)__builtin_ctzll(affinity);
    if (number == self->Number)
        return FALSE;
    target = KiProcessorBlock[number];
    next = target->NextThread;
    if (next) {
        if (thread->Priority > next->Priority) {
            KiInsertReadyList(target, next, TRUE);
            target->NextThread = NULL;
            KiStandbyOn(target, thread);
        } else {
            KiInsertReadyList(target, thread, FALSE);
        }
        return TRUE;
    }
    if (target->CurrentThread->State == Running &&
        thread->Priority > target->CurrentThread->Priority)
        KiStandbyOn(target, thread);
    else
        KiInsertReadyList(target, thread, FALSE);
    return TRUE;
}

// Makes `thread` runnable. If it outranks the thread that would run next on
// this processor it is chosen to preempt at the next dispatch interrupt.
// In line in KiUnwaitThread, every wake's path; KiReadyThread for the rest.
static inline __attribute__((always_inline)) void KiReadyThreadInline(KTHREAD *thread)
{
    KPRCB *prcb = KeGetCurrentPrcb();
    KTHREAD *current = prcb->CurrentThread;
    KTHREAD *next = prcb->NextThread;

    if (KeNumberProcessors > 1 && KiReadyThreadElsewhere(prcb, thread))
        return;
    if (next) {
        if (thread->Priority > next->Priority) {
            KiInsertReadyList(prcb, next, TRUE);    // it had not run yet: keep its turn
            thread->State = Standby;
            thread->NextProcessor = (UCHAR)prcb->Number;    // where affinity looks for it
            prcb->NextThread = thread;
        } else {
            KiInsertReadyList(prcb, thread, FALSE);
        }
        return;
    }
    if (current && current->State == Running && thread->Priority > current->Priority) {
        thread->State = Standby;
        thread->NextProcessor = (UCHAR)prcb->Number;
        prcb->NextThread = thread;
        // (On several processors, an idle one's KiIdleSummary bit was
        // cleared by KiReadyThreadElsewhere.)
        // A thread that waits next (NT's WaitNext: it keeps the dispatcher
        // lock into its wait) switches to it there: no interrupt, no
        // preemption in between (NT's direct handoff).
        if (!current->WaitNext)
            KiRequestDispatchInterrupt();
        return;
    }
    KiInsertReadyList(prcb, thread, FALSE);
}

void KiReadyThread(KTHREAD *thread)
{
    KiReadyThreadInline(thread);
}

// Switches from the current thread to `next`. The dispatcher lock is held on
// entry and released here, before the switch; the processor stays at
// DISPATCH_LEVEL throughout. Returns when the old thread runs again.
// Out of line: a waiting thread's stack shows it as its first frame
// (`!thread`, `k`), as NT's shows its swap routine. Returns the thread that
// called it, running again (KiSwapThread reads its wait status from it).
static __attribute__((noinline)) KTHREAD *KiSwitchTo(KPRCB *prcb, KTHREAD *next)
{
    KTHREAD *current = prcb->CurrentThread;
    void *initialStack;

    next->State = Running;
    next->NextProcessor = (UCHAR)prcb->Number;
    prcb->CurrentThread = next;
    // KiIdleSummary is read only on several processors (KiReadyThreadElsewhere):
    // one processor keeps it as it is. A processor counted later sets its
    // own bit (KeStartAllProcessors) and the boot one is not idle then.
    if (KeNumberProcessors > 1) {
        if (next == prcb->IdleThread)
            __atomic_or_fetch(&KiIdleSummary, prcb->SetMember, __ATOMIC_RELAXED);
        else
            __atomic_and_fetch(&KiIdleSummary, ~prcb->SetMember, __ATOMIC_RELAXED);
    }
    if (next == current) {
        KiReleaseDispatcherLockFromDpcLevel();
        return current;
    }
    // Until KiSwapContext has saved its registers, no other processor may
    // resume it (NT's SwapBusy): once the lock is released below, a thread
    // that waits can be readied, and one preempted taken, elsewhere.
    current->SwapBusy = TRUE;
    next->ContextSwitches++;
    prcb->ContextSwitches++;
    initialStack = next->InitialStack;
    KiGetCurrentTss()->Rsp0 = (ULONG64)initialStack;
    KiSetRspBase((ULONG64)initialStack);
    // Threads of another process run in its address space; the kernel half
    // is the same in all of them, so this stack and code stay mapped.
    if (next->Process->DirectoryTableBase != current->Process->DirectoryTableBase)
        __writecr3(next->Process->DirectoryTableBase);
    // In user mode gs points at the thread's TEB, as on NT x64. In the
    // kernel (after swapgs) the user's base waits in IA32_KERNEL_GS_BASE,
    // so that is where the next thread's goes.
    if (next->Teb != current->Teb)
        __writemsr(MSR_KERNEL_GS_BASE, (ULONG64)next->Teb);
    KiReleaseDispatcherLockFromDpcLevel();
    KE_PHASE(KiPhaseSwapOut);
    KiSwapContext(current, next);
    KE_PHASE(KiPhaseSwapIn);
    // Running again. A kernel APC queued while we were switched out is
    // delivered as soon as our IRQL drops low enough. (The thread read
    // again, not kept in a register across the switch: this frame then
    // saves none.)
    current = KeGetCurrentThread();
    if (current->ApcState.KernelApcPending) {
        HalRequestSoftwareInterrupt(APC_LEVEL);
        current = KeGetCurrentThread();
    }
    return current;
}

// The current thread has stopped running (it waits or has ended): run the
// best ready thread, or the idle thread. Returns the wait status the thread
// was given when it is resumed.
LONG_PTR KiSwapThread(void)
{
    KPRCB *prcb = KeGetCurrentPrcb();
    KTHREAD *next = prcb->NextThread;

    if (next)
        prcb->NextThread = NULL;
    else
        next = KiFindReadyThread(prcb, 0);
    if (!next)
        next = prcb->IdleThread;
    // The thread as KiSwitchTo returns it rather than kept across the
    // switch: the frame saves no register.
    return KiSwitchTo(prcb, next)->WaitStatus;
}

// Quantum end, as NT: the thread's boost decays by one and, if another
// thread of at least its new priority is ready, that one runs.
static void KiQuantumEnd(KPRCB *prcb)
{
    KTHREAD *current = prcb->CurrentThread;
    KTHREAD *next;

    if (current == prcb->IdleThread)
        return;
    current->Quantum = THREAD_QUANTUM;
    if (current->Priority < LOW_REALTIME_PRIORITY && current->PriorityDecrement > 0) {
        current->Priority--;
        current->PriorityDecrement--;
    }
    if (prcb->NextThread)
        return;     // a preemption is already on its way
    next = KiSelectReadyThread(prcb, current->Priority);
    if (next) {
        next->State = Standby;
        prcb->NextThread = next;
    }
}

// The dispatch interrupt (DISPATCH_LEVEL software interrupt): run the DPC
// queue, handle the end of a quantum, and switch to NextThread if one was
// chosen. Entered at DISPATCH_LEVEL with interrupts enabled.
void KiDispatchInterrupt(void)
{
    KPRCB *prcb = KeGetCurrentPrcb();
    KTHREAD *current;
    KTHREAD *next;
    BOOLEAN quantumEnd;

    KE_PHASE(KiPhaseDispatchInterrupt);
    prcb->DispatchPending = FALSE;
    KiRetireDpcList(prcb);

    KiAcquireDispatcherLockAtDpcLevel();
    quantumEnd = prcb->QuantumEnd;
    if (quantumEnd) {
        prcb->QuantumEnd = FALSE;
        KiQuantumEnd(prcb);
    }
    next = prcb->NextThread;
    current = prcb->CurrentThread;
    if (!next && KeNumberProcessors > 1) {
        // An idle processor takes work queued elsewhere; a thread whose
        // affinity no longer allows this processor leaves it.
        if (current == prcb->IdleThread)
            next = KiFindReadyThread(prcb, 0);
        else if (current->State == Running && !(current->Affinity & prcb->SetMember))
            next = KiSelectReadyThread(prcb, 0);
        if (!next && current != prcb->IdleThread && current->State == Running &&
            !(current->Affinity & prcb->SetMember))
            next = prcb->IdleThread;
        if (next)
            prcb->NextThread = next;
    }
    if (!next) {
        KiReleaseDispatcherLockFromDpcLevel();
        return;
    }
    prcb->NextThread = NULL;
    if (current != prcb->IdleThread && current->State == Running) {
        // Preempted before its quantum ran out: it keeps its place in line.
        // At the end of its quantum (already given a fresh one) it goes
        // behind its equals, or round robin would skip all but two. One
        // that may no longer run here is readied where it may.
        if (current->Affinity & prcb->SetMember)
            KiInsertReadyList(prcb, current, !quantumEnd && current->Quantum > 0);
        else
            KiReadyThread(current);
    }
    KiSwitchTo(prcb, next);
}

// Called from the clock interrupt: charge the tick and end the quantum when
// it is used up.
void KiQuantumTick(KTRAP_FRAME *trapFrame)
{
    KPRCB *prcb = KeGetCurrentPrcb();
    KTHREAD *current = prcb->CurrentThread;
    KPROCESS *process;

    if (!current)
        return;
    if (current == prcb->IdleThread) {
        prcb->IdleTime++;
        return;
    }
    // The tick goes to the mode it interrupted, as NT's KeUpdateRunTime
    // charges it: user mode when the trap frame's CS is a user selector.
    // The process's count is shared by its threads on every processor.
    process = current->Process;
    if (trapFrame && (trapFrame->SegCs & RPL_MASK)) {
        prcb->UserTime++;
        current->UserTime++;
        if (process)
            __atomic_add_fetch(&process->UserTime, 1, __ATOMIC_RELAXED);
    } else {
        prcb->KernelTime++;
        current->KernelTime++;
        if (process)
            __atomic_add_fetch(&process->KernelTime, 1, __ATOMIC_RELAXED);
    }
    current->Quantum -= CLOCK_QUANTUM_DECREMENT;
    if (current->Quantum <= 0) {
        prcb->QuantumEnd = TRUE;
        KiRequestDispatchInterrupt();
    }
}

// Ends the thread's wait: takes its wait blocks off every object, cancels its
// timeout timer, and makes it ready with `waitStatus` as the wait's result.
void KiUnwaitThread(KTHREAD *thread, LONG_PTR waitStatus, KPRIORITY increment)
{
    KWAIT_BLOCK *waitBlock = thread->WaitBlockList;

    thread->WaitStatus = waitStatus;
    if (waitBlock) {
        do {
            if (waitBlock->WaitListEntry.Flink)
                RemoveEntryList(&waitBlock->WaitListEntry);
            waitBlock->WaitListEntry.Flink = NULL;
            waitBlock = waitBlock->NextWaitBlock;
        } while (waitBlock != thread->WaitBlockList);
    }
    thread->WaitBlockList = NULL;
    if (thread->Timer.Header.Inserted)
        KiRemoveTimer(&thread->Timer);
    // A thread bound to a queue counts as active again when a wait on
    // something else ends (NT's KiUnlinkThread); a wait for the queue itself
    // is counted by whoever hands it an entry. Woken from the queue to run
    // a kernel APC it is active too: the APC may end the thread, and
    // KeTerminateThread takes it off the count.
    if (thread->Queue && (thread->WaitReason != WrQueue || waitStatus == STATUS_KERNEL_APC))
        thread->Queue->CurrentCount++;
    KiBoostPriority(thread, increment);
    KiReadyThreadInline(thread);
}

// KiUnwaitThread for the first waiter of an object released by a thread
// that waits next (KiReleaseSemaphoreWaitNext): a thread in a plain wait
// (WaitAny on one object, no timeout, bound to no queue) leaves it in a
// few stores and, when it is the thread the waker's wait would pick
// (nothing standing by, nothing ready at its priority or above), stands by
// for that wait to switch to, without going through a ready list. FALSE:
// another kind of wait, left to KiUnwaitThread. Dispatcher lock held.
static inline __attribute__((always_inline)) BOOLEAN
KiUnwaitForHandoff(KWAIT_BLOCK *waitBlock, KPRIORITY increment)
{
    KTHREAD *thread = waitBlock->Thread;
    KPRCB *prcb = KeGetCurrentPrcb();

    if (!KiIsPlainWaitBlock(waitBlock, thread) || !(thread->Affinity & prcb->SetMember))
        return FALSE;
    RemoveEntryList(&waitBlock->WaitListEntry);
    waitBlock->WaitListEntry.Flink = NULL;
    thread->WaitBlockList = NULL;
    thread->WaitStatus = STATUS_WAIT_0;     // a plain wait's one block has key 0
    KiBoostPriority(thread, increment);
    if (!prcb->NextThread && !(prcb->ReadySummary >> thread->Priority)) {
        thread->State = Standby;
        thread->NextProcessor = (UCHAR)prcb->Number;
        prcb->NextThread = thread;
    } else {
        KiReadyThreadInline(thread);
    }
    return TRUE;
}

// KeReleaseSemaphore with Wait=TRUE (semaphore.c's KeReleaseSemaphore
// calls it): here, with the handoff's unwait in line.
LONG KiReleaseSemaphoreWaitNext(KSEMAPHORE *semaphore, KPRIORITY increment, LONG adjustment,
                                KIRQL waitIrql)
{
    KTHREAD *thread = KeGetCurrentThread();
    LONG previous;

    KiAcquireDispatcherLock();
    previous = semaphore->Header.SignalState;
    if (adjustment <= 0 || previous > semaphore->Limit - adjustment)
        KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, (ULONG)STATUS_SEMAPHORE_LIMIT_EXCEEDED,
                     (ULONG64)__builtin_return_address(0), (ULONG64)semaphore, adjustment);
    // Set first: a waiter readied now is left for this thread's wait to
    // switch to (KiReadyThread), not preempting it on the way there.
    thread->WaitNext = TRUE;
    thread->WaitIrql = waitIrql;
    if (previous == 0 && adjustment == 1 && !IsListEmpty(&semaphore->Header.WaitListHead) &&
        KiUnwaitForHandoff(CONTAINING_RECORD(semaphore->Header.WaitListHead.Flink,
                                                   KWAIT_BLOCK, WaitListEntry),
                                 increment))
        return previous;
    KiReleaseSemaphoreCount(semaphore, previous, adjustment, increment);
    return previous;
}

// A wait after KiUnwaitForHandoff that ends without blocking: a thread
// standing by that does not outrank the waker goes to its ready list, where
// KiReadyThread would have put it (it must not preempt the waker).
void KiCancelHandoff(void)
{
    KPRCB *prcb = KeGetCurrentPrcb();
    KTHREAD *next = prcb->NextThread;

    if (next && next->Priority <= prcb->CurrentThread->Priority) {
        prcb->NextThread = NULL;
        KiInsertReadyList(prcb, next, FALSE);
    }
}

// The end of a release that readied threads without asking for a dispatch
// interrupt (the releaser marked WaitNext meanwhile, KiReleaseSemaphoreUnlock):
// a thread chosen to preempt runs now, switched to directly, as the
// dispatch interrupt would have switched to it once the IRQL came down
// (NT's KiExitDispatcher); the releaser keeps its place at the head of its
// ready list. At DISPATCH_LEVEL or above the interrupt is asked for, as
// usual. Releases the dispatcher lock and returns at oldIrql.
void KiExitDispatcher(KIRQL oldIrql)
{
    KPRCB *prcb = KeGetCurrentPrcb();
    KTHREAD *next = prcb->NextThread;
    KTHREAD *current = prcb->CurrentThread;

    if (next && oldIrql < DISPATCH_LEVEL && current != prcb->IdleThread &&
        current->State == Running) {
        prcb->NextThread = NULL;
        KiInsertReadyList(prcb, current, current->Quantum > 0);
        KiSwitchTo(prcb, next);
        KeLowerIrql(oldIrql);
        return;
    }
    if (next)
        KiRequestDispatchInterrupt();
    KiReleaseDispatcherLock(oldIrql);
}

KPRIORITY KeSetPriorityThread(KTHREAD *thread, KPRIORITY priority)
{
    KIRQL oldIrql;
    KPRIORITY old;
    KPRCB *prcb;

    ASSERT(priority >= LOW_PRIORITY && priority <= HIGH_PRIORITY);
    oldIrql = KiAcquireDispatcherLock();
    prcb = KiProcessorBlock[thread->NextProcessor];
    old = thread->Priority;
    thread->PriorityDecrement = 0;
    if (thread->State == Ready) {
        KiRemoveReadyList(thread);
        thread->Priority = (CHAR)priority;
        KiReadyThread(thread);
    } else {
        thread->Priority = (CHAR)priority;
        if (thread->State == Running && prcb->CurrentThread == thread && !prcb->NextThread) {
            // Lowered below a ready thread: let it run (on the processor
            // the thread runs on: a reschedule IPI when that is another).
            KTHREAD *next = KiSelectReadyThread(prcb, priority + 1 > HIGH_PRIORITY
                                                          ? HIGH_PRIORITY : priority + 1);
            if (next)
                KiStandbyOn(prcb, next);
        }
    }
    KiReleaseDispatcherLock(oldIrql);
    return old;
}

// Sets the base priority to the process's base plus `increment`, as NT's
// KeSetBasePriorityThread; returns the previous increment.
LONG KeSetBasePriorityThread(KTHREAD *thread, LONG increment)
{
    KPRIORITY processBase = thread->Process ? thread->Process->BasePriority : NORMAL_BASE_PRIORITY;
    LONG previous = thread->BasePriority - processBase;
    KPRIORITY base = processBase + increment;

    if (base < LOW_PRIORITY + 1)
        base = LOW_PRIORITY + 1;
    if (base > HIGH_PRIORITY)
        base = HIGH_PRIORITY;
    thread->BasePriority = (CHAR)base;
    KeSetPriorityThread(thread, base);
    return previous;
}

KPRIORITY KeQueryPriorityThread(KTHREAD *thread)
{
    return thread->Priority;
}

// Gives the rest of the quantum to a ready thread of the same priority.
NTSTATUS KeYieldExecution(void)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    KPRCB *prcb = KeGetCurrentPrcb();
    KTHREAD *current = prcb->CurrentThread;
    KTHREAD *next;

    if (prcb->NextThread) {
        next = prcb->NextThread;
        prcb->NextThread = NULL;
    } else {
        next = KiSelectReadyThread(prcb, current->Priority);
    }
    if (!next) {
        KiReleaseDispatcherLock(oldIrql);
        return STATUS_NO_YIELD_PERFORMED;
    }
    current->Quantum = THREAD_QUANTUM;
    KiInsertReadyList(prcb, current, FALSE);
    KiSwitchTo(prcb, next);
    KeLowerIrql(oldIrql);
    return STATUS_SUCCESS;
}

// Every processor's idle thread ends here, at PASSIVE_LEVEL: halt until an
// interrupt; on waking, take a ready thread left on another processor's
// list that may run here (a dispatch interrupt switches to it).
void KiIdleLoop(void)
{
    for (;;) {
        KPRCB *prcb;
        BOOLEAN waiting = FALSE;
        KIRQL oldIrql;
        KTHREAD *next;

        // With interrupts off until the halt, so that no interrupt comes
        // between the decision to skip ticks and the halt (sti's shadow).
        _disable();
        KiIdleSkipTicks();
        __asm__ volatile("sti; hlt" : : : "memory");
        if (KeNumberProcessors <= 1)
            continue;
        prcb = KeGetCurrentPrcb();      // the idle thread never leaves its processor
        if (prcb->Number >= KeNumberProcessors)
            continue;                   // not yet counted (KiCountProcessor)
        for (ULONG number = 0; number < KeNumberProcessors && !waiting; number++)
            waiting = KiProcessorBlock[number]->ReadySummary != 0;
        if (!waiting)
            continue;
        oldIrql = KiAcquireDispatcherLock();
        if (!prcb->NextThread) {
            next = KiFindReadyThread(prcb, 0);
            if (next)
                KiStandbyOn(prcb, next);
        }
        KiReleaseDispatcherLock(oldIrql);
    }
}

void KiIdleLoopReturned(void)
{
    KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, (ULONG)STATUS_UNSUCCESSFUL, (ULONG64)KiIdleLoop, 0, 0);
}

void KiInitializeDispatcher(void)
{
    KPRCB *prcb = KeGetCurrentPrcb();

    KeInitializeSpinLock(&KiDispatcherLock);
    for (ULONG i = 0; i < MAXIMUM_PRIORITY; i++)
        InitializeListHead(&prcb->DispatcherReadyListHead[i]);
    prcb->ReadySummary = 0;
    InitializeListHead(&prcb->DpcListHead);
}
