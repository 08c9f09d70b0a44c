// Thread affinity: the processors a thread may run on (KTHREAD.Affinity),
// as NT's KeSetSystemAffinityThread / KeRevertToUserAffinityThread /
// KeSetAffinityThread. The scheduler (sched.c) only ever readies a thread
// on a processor of its affinity; what is changed here moves a thread that
// is ready, standing by or running where it may no longer be.

#include "ke/ke.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"

// Dispatcher lock held. A thread that stands by or is ready on a processor
// outside its new affinity is readied again (KiReadyThread chooses an
// allowed one); one running there is switched out by that processor's
// dispatch interrupt (KiDispatchInterrupt readies it where it may run).
static void KiSetAffinityThread(KTHREAD *thread, ULONG64 affinity)
{
    KPRCB *prcb = KiProcessorBlock[thread->NextProcessor];

    thread->Affinity = affinity;
    if (affinity & prcb->SetMember)
        return;
    switch (thread->State) {
    case Ready:
        RemoveEntryList(&thread->WaitListEntry);
        if (IsListEmpty(&prcb->DispatcherReadyListHead[(int)thread->Priority]))
            prcb->ReadySummary &= ~(1U << thread->Priority);
        KiReadyThread(thread);
        break;
    case Standby:
        if (prcb->NextThread == thread) {
            prcb->NextThread = NULL;
            if (prcb->CurrentThread == prcb->IdleThread)
                __atomic_or_fetch(&KiIdleSummary, prcb->SetMember, __ATOMIC_RELAXED);
        }
        KiReadyThread(thread);
        break;
    case Running:
        if (prcb == KeGetCurrentPrcb())
            KiRequestDispatchInterrupt();
        else
            HalRequestSoftwareInterruptProcessor(prcb->ApicId, DISPATCH_LEVEL);
        break;
    default:
        break;      // waiting or not started: readied on an allowed processor later
    }
}

// The current thread is on a processor of its affinity when this returns:
// the dispatch interrupt KiSetAffinityThread asked for moves it as the IRQL
// drops (at once below DISPATCH_LEVEL; a caller at DISPATCH_LEVEL moves when
// it lowers its IRQL).
static void KiWaitForAllowedProcessor(KTHREAD *thread)
{
    if (KeGetCurrentIrql() >= DISPATCH_LEVEL)
        return;
    while (!(thread->Affinity & (1ULL << KeGetCurrentProcessorNumber())))
        _mm_pause();
}

static ULONG64 KiClipAffinity(ULONG64 affinity)
{
    affinity &= KeQueryActiveProcessors();
    return affinity ? affinity : KeQueryActiveProcessors();
}

void KeSetSystemAffinityThread(ULONG64 affinity)
{
    KTHREAD *thread = KeGetCurrentThread();
    KIRQL oldIrql = KiAcquireDispatcherLock();

    thread->SystemAffinityActive = TRUE;
    KiSetAffinityThread(thread, KiClipAffinity(affinity));
    KiReleaseDispatcherLock(oldIrql);
    KiWaitForAllowedProcessor(thread);
}

void KeRevertToUserAffinityThread(void)
{
    KTHREAD *thread = KeGetCurrentThread();
    KIRQL oldIrql = KiAcquireDispatcherLock();

    thread->SystemAffinityActive = FALSE;
    KiSetAffinityThread(thread, KiClipAffinity(thread->UserAffinity));
    KiReleaseDispatcherLock(oldIrql);
    KiWaitForAllowedProcessor(thread);
}

// Returns the previous user affinity. While system affinity is in force it
// only records the new one, for KeRevertToUserAffinityThread.
ULONG64 KeSetAffinityThread(KTHREAD *thread, ULONG64 affinity)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    ULONG64 previous = thread->UserAffinity;

    thread->UserAffinity = affinity;
    if (!thread->SystemAffinityActive)
        KiSetAffinityThread(thread, KiClipAffinity(affinity));
    KiReleaseDispatcherLock(oldIrql);
    if (thread == KeGetCurrentThread())
        KiWaitForAllowedProcessor(thread);
    return previous;
}

// Every thread of the process takes the affinity (as its user affinity),
// and so do the threads it makes from now on. The thread list is the
// dispatcher lock's (KeInitializeThread inserts under it).
void KeSetAffinityProcess(KPROCESS *process, ULONG64 affinity)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();

    process->Affinity = affinity;
    for (LIST_ENTRY *entry = process->ThreadListHead.Flink; entry != &process->ThreadListHead;
         entry = entry->Flink) {
        KTHREAD *thread = CONTAINING_RECORD(entry, KTHREAD, ThreadListEntry);

        thread->UserAffinity = affinity;
        if (!thread->SystemAffinityActive && thread->State != Terminated)
            KiSetAffinityThread(thread, KiClipAffinity(affinity));
    }
    KiReleaseDispatcherLock(oldIrql);
}

// The reaper frees an ended thread's stack: not before the processor that
// switched away from it has saved its registers there (SwapBusy), which it
// does after setting State = Terminated under the dispatcher lock.
void KeWaitForThreadSwapOut(KTHREAD *thread)
{
    for (;;) {
        KIRQL oldIrql = KiAcquireDispatcherLock();
        BOOLEAN terminated = thread->State == Terminated;

        KiReleaseDispatcherLock(oldIrql);
        if (terminated)
            break;
        _mm_pause();
    }
    while (__atomic_load_n(&thread->SwapBusy, __ATOMIC_ACQUIRE))
        _mm_pause();
}
