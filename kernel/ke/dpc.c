// Deferred procedure calls: work that an interrupt hands to DISPATCH_LEVEL.
// A DPC is queued on a processor's list (its own, or the one
// KeSetTargetProcessorDpc named) under that list's lock with interrupts off
// (interrupt routines queue them too) and run by its dispatch interrupt.

#include "ke/ke.h"
#include "arch/x86_64/x86.h"
#include "arch/x86_64/hal.h"

#define DPC_TYPE_NORMAL 0x13    // NT's DpcObject type value

void KeInitializeDpc(KDPC *dpc, PKDEFERRED_ROUTINE routine, void *context)
{
    memset(dpc, 0, sizeof(*dpc));
    dpc->Type = DPC_TYPE_NORMAL;
    dpc->DeferredRoutine = routine;
    dpc->DeferredContext = context;
}

// Where a DPC runs: the processor KeSetTargetProcessorDpc named (NT keeps
// it in Number, offset by MAXIMUM_PROCESSORS), else the one queuing it.
static KPRCB *KiDpcTarget(KDPC *dpc)
{
    if (dpc->Number >= MAXIMUM_PROCESSORS &&
        (ULONG)(dpc->Number - MAXIMUM_PROCESSORS) < KeNumberProcessors)
        return KiProcessorBlock[dpc->Number - MAXIMUM_PROCESSORS];
    return KeGetCurrentPrcb();
}

void KeSetTargetProcessorDpc(KDPC *dpc, CHAR number)
{
    dpc->Number = (USHORT)(MAXIMUM_PROCESSORS + (UCHAR)number);
}

// Returns FALSE if the DPC was already queued (it runs once either way).
// The target's DpcLock, taken with interrupts off, guards its list and each
// queued DPC's DpcData; another processor's list is woken by a
// DISPATCH_LEVEL interrupt sent to it.
BOOLEAN KeInsertQueueDpc(KDPC *dpc, void *systemArgument1, void *systemArgument2)
{
    BOOLEAN enabled = KiDisableInterrupts();
    KPRCB *prcb = KiDpcTarget(dpc);

    KeAcquireSpinLockAtDpcLevel(&prcb->DpcLock);
    if (dpc->DpcData) {
        KeReleaseSpinLockFromDpcLevel(&prcb->DpcLock);
        KiRestoreInterrupts(enabled);
        return FALSE;
    }
    dpc->SystemArgument1 = systemArgument1;
    dpc->SystemArgument2 = systemArgument2;
    __atomic_store_n(&dpc->DpcData, prcb, __ATOMIC_RELEASE);
    InsertTailList(&prcb->DpcListHead, &dpc->DpcListEntry);
    prcb->DpcQueueDepth++;
    KeReleaseSpinLockFromDpcLevel(&prcb->DpcLock);
    if (prcb == KeGetCurrentPrcb())
        KiRequestDispatchInterrupt();
    else
        HalRequestSoftwareInterruptProcessor(prcb->ApicId, DISPATCH_LEVEL);
    KiRestoreInterrupts(enabled);
    return TRUE;
}

BOOLEAN KeRemoveQueueDpc(KDPC *dpc)
{
    BOOLEAN enabled = KiDisableInterrupts();
    KPRCB *prcb = __atomic_load_n(&dpc->DpcData, __ATOMIC_ACQUIRE);
    BOOLEAN removed = FALSE;

    if (prcb) {
        KeAcquireSpinLockAtDpcLevel(&prcb->DpcLock);
        if (dpc->DpcData == prcb) {
            RemoveEntryList(&dpc->DpcListEntry);
            prcb->DpcQueueDepth--;
            dpc->DpcData = NULL;
            removed = TRUE;
        }
        KeReleaseSpinLockFromDpcLevel(&prcb->DpcLock);
    }
    KiRestoreInterrupts(enabled);
    return removed;
}

// Runs every queued DPC, oldest first, at DISPATCH_LEVEL. Interrupts are on
// while a routine runs, off (and the DpcLock held) while the list is touched.
void KiRetireDpcList(KPRCB *prcb)
{
    _disable();
    KeAcquireSpinLockAtDpcLevel(&prcb->DpcLock);
    prcb->DpcRoutineActive = TRUE;
    while (!IsListEmpty(&prcb->DpcListHead)) {
        KDPC *dpc = CONTAINING_RECORD(RemoveHeadList(&prcb->DpcListHead), KDPC, DpcListEntry);
        PKDEFERRED_ROUTINE routine = dpc->DeferredRoutine;
        void *context = dpc->DeferredContext;
        void *argument1 = dpc->SystemArgument1;
        void *argument2 = dpc->SystemArgument2;

        prcb->DpcQueueDepth--;
        dpc->DpcData = NULL;
        prcb->DpcCount++;
        KeReleaseSpinLockFromDpcLevel(&prcb->DpcLock);
        _enable();
        routine(dpc, context, argument1, argument2);
        if (KeGetCurrentIrql() != DISPATCH_LEVEL)
            KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, (ULONG64)routine, KeGetCurrentIrql(),
                         DISPATCH_LEVEL, 0);
        _disable();
        KeAcquireSpinLockAtDpcLevel(&prcb->DpcLock);
    }
    prcb->DpcRoutineActive = FALSE;
    KeReleaseSpinLockFromDpcLevel(&prcb->DpcLock);
    _enable();
}
