// Stopping every processor for the debugger (NT's KeFreezeExecution and
// KiFreezeTargetExecution). The processor that enters the debugger takes
// KiFreezeOwner, then asks every other one to stop with an IPI; one that
// does not answer in time (interrupts off, or spinning at IPI_LEVEL) gets
// an NMI, which no instruction stream can mask. A stopped processor waits,
// its trap frame and IRQL in its KPRCB for the debugger to show, until `g`
// clears its FreezeRequest.
//
// How it waits. One stopped by the IPI (or waiting for the debugger lock)
// halts: interrupts on, but its task priority at IPI_LEVEL, so that only
// THAW_VECTOR (priority class 15), which KiThawProcessors sends after
// clearing FreezeRequest, wakes it; `sti; hlt` takes no interrupt between
// the two, so a thaw that comes after the last look at FreezeRequest still
// ends the halt. One stopped by NMI spins with interrupts off: an interrupt
// taken inside the NMI handler would end the NMI's blocking with its iret,
// and a second NMI would reuse the NMI's stack. NT's frozen processors
// spin; halting matters under QEMU's TCG, where each spinning processor is
// a host thread running flat out and takes host time from the one at the
// prompt, whose polls of the USB keyboard then come too seldom (QEMU's
// keyboard drops events past 16 queued: keys lost, or a release lost and
// the key repeated without end).

#include "ke/ke.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"

#define KI_FREEZE_IPI_TIMEOUT_US 200000     // then an NMI
#define KI_FREEZE_NMI_TIMEOUT_US 2000000    // then it is shown as still running
#define KI_FREEZE_POLL_US 50

volatile LONG KiFreezeOwner = -1;

// Interrupts off on entry and on return.
static void KiFreezeWait(KPRCB *prcb, KTRAP_FRAME *trapFrame, KIRQL irql, BOOLEAN inNmi)
{
    KIRQL taskPriority = (KIRQL)__readcr8();

    prcb->FrozenTrapFrame = trapFrame;
    prcb->DebuggerSavedIRQL = irql;
    __atomic_store_n(&prcb->IpiFrozen, TRUE, __ATOMIC_RELEASE);
    if (!inNmi && taskPriority < IPI_LEVEL)
        __writecr8(IPI_LEVEL);
    while (__atomic_load_n(&prcb->FreezeRequest, __ATOMIC_ACQUIRE)) {
        if (inNmi)
            _mm_pause();
        else
            __asm__ volatile("sti\n\thlt\n\tcli" ::: "memory");
    }
    if (!inNmi)
        __writecr8(taskPriority);
    prcb->FrozenTrapFrame = NULL;
    __atomic_store_n(&prcb->IpiFrozen, FALSE, __ATOMIC_RELEASE);
}

void KiFreezeTargetExecution(KTRAP_FRAME *trapFrame, KIRQL irql)
{
    KiFreezeWait(KeGetCurrentPrcb(), trapFrame, irql, FALSE);
}

BOOLEAN KiFreezeNmi(KTRAP_FRAME *trapFrame)
{
    KPRCB *prcb = KeGetCurrentPrcb();

    if (!__atomic_exchange_n(&prcb->NmiSent, FALSE, __ATOMIC_ACQ_REL))
        return FALSE;       // not the debugger's: a hardware NMI
    // Frozen already (the IPI got there after all), or thawed meanwhile:
    // the NMI has nothing left to do.
    if (prcb->IpiFrozen || !__atomic_load_n(&prcb->FreezeRequest, __ATOMIC_ACQUIRE))
        return TRUE;
    KiFreezeWait(prcb, trapFrame, (KIRQL)__readcr8(), TRUE);
    return TRUE;
}

BOOLEAN KiAcquireDebuggerLock(KTRAP_FRAME *trapFrame)
{
    KPRCB *prcb = KeGetCurrentPrcb();
    LONG self = (LONG)prcb->Number;

    if (__atomic_load_n(&KiFreezeOwner, __ATOMIC_ACQUIRE) == self)
        return FALSE;
    for (;;) {
        LONG expected = -1;

        if (__atomic_compare_exchange_n(&KiFreezeOwner, &expected, self, FALSE,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return TRUE;
        // Another processor is in the debugger: be frozen like the rest,
        // then take a turn.
        if (__atomic_load_n(&prcb->FreezeRequest, __ATOMIC_ACQUIRE))
            KiFreezeTargetExecution(trapFrame, (KIRQL)__readcr8());
        _mm_pause();
    }
}

void KiReleaseDebuggerLock(void)
{
    __atomic_store_n(&KiFreezeOwner, -1, __ATOMIC_RELEASE);
}

// Waits until every processor asked has stopped, or `timeout` has passed.
static BOOLEAN KiWaitForFrozen(ULONG self, ULONG timeout)
{
    for (ULONG waited = 0;; waited += KI_FREEZE_POLL_US) {
        BOOLEAN all = TRUE;

        for (ULONG i = 0; i < KeNumberProcessors; i++) {
            if (i != self && !__atomic_load_n(&KiProcessorBlock[i]->IpiFrozen, __ATOMIC_ACQUIRE))
                all = FALSE;
        }
        if (all)
            return TRUE;
        if (waited >= timeout)
            return FALSE;
        KeStallExecutionProcessor(KI_FREEZE_POLL_US);
    }
}

void KiFreezeProcessors(void)
{
    ULONG self = KeGetCurrentProcessorNumber();

    if (KeNumberProcessors <= 1)
        return;
    for (ULONG i = 0; i < KeNumberProcessors; i++) {
        KPRCB *prcb = KiProcessorBlock[i];

        if (i == self)
            continue;
        prcb->FrozenByNmi = FALSE;
        __atomic_store_n(&prcb->FreezeRequest, TRUE, __ATOMIC_RELEASE);
        HalRequestIpi(prcb->ApicId);
    }
    if (KiWaitForFrozen(self, KI_FREEZE_IPI_TIMEOUT_US))
        return;
    for (ULONG i = 0; i < KeNumberProcessors; i++) {
        KPRCB *prcb = KiProcessorBlock[i];

        if (i == self || __atomic_load_n(&prcb->IpiFrozen, __ATOMIC_ACQUIRE))
            continue;
        prcb->FrozenByNmi = TRUE;
        __atomic_store_n(&prcb->NmiSent, TRUE, __ATOMIC_RELEASE);
        HalRequestNmi(prcb->ApicId);
    }
    (void)KiWaitForFrozen(self, KI_FREEZE_NMI_TIMEOUT_US);
}

void KiThawProcessors(void)
{
    ULONG self = KeGetCurrentProcessorNumber();

    for (ULONG i = 0; i < KeNumberProcessors; i++) {
        if (i != self)
            __atomic_store_n(&KiProcessorBlock[i]->FreezeRequest, FALSE, __ATOMIC_SEQ_CST);
    }
    // Every one, halted or not: a spare wake-up is an interrupt that
    // does nothing.
    for (ULONG i = 0; i < KeNumberProcessors; i++) {
        if (i != self)
            HalRequestThaw(KiProcessorBlock[i]->ApicId);
    }
    // Each leaves its spin before the next freeze may ask again.
    for (ULONG i = 0; i < KeNumberProcessors; i++) {
        for (ULONG waited = 0; i != self && waited < KI_FREEZE_NMI_TIMEOUT_US &&
                               __atomic_load_n(&KiProcessorBlock[i]->IpiFrozen, __ATOMIC_ACQUIRE);
             waited += KI_FREEZE_POLL_US)
            KeStallExecutionProcessor(KI_FREEZE_POLL_US);
    }
}
