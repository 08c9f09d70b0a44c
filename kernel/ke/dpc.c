// Deferred procedure calls: work that an interrupt hands to DISPATCH_LEVEL.
// A DPC is queued on the processor's list with interrupts off (interrupt
// routines queue them too) and run by the dispatch interrupt.

#include "ke/ke.h"
#include "arch/x86_64/x86.h"

#define DPC_TYPE_NORMAL 0x13    // NT's DpcObject type value

void KeInitializeDpc(KDPC *dpc, PKDEFERRED_ROUTINE routine, void *context)
{
    memset(dpc, 0, sizeof(*dpc));
    dpc->Type = DPC_TYPE_NORMAL;
    dpc->DeferredRoutine = routine;
    dpc->DeferredContext = context;
}

// Returns FALSE if the DPC was already queued (it runs once either way).
BOOLEAN KeInsertQueueDpc(KDPC *dpc, void *systemArgument1, void *systemArgument2)
{
    BOOLEAN enabled = KiDisableInterrupts();
    KPRCB *prcb = KeGetCurrentPrcb();

    if (dpc->DpcData) {
        KiRestoreInterrupts(enabled);
        return FALSE;
    }
    dpc->SystemArgument1 = systemArgument1;
    dpc->SystemArgument2 = systemArgument2;
    dpc->DpcData = prcb;
    InsertTailList(&prcb->DpcListHead, &dpc->DpcListEntry);
    prcb->DpcQueueDepth++;
    KiRequestDispatchInterrupt();
    KiRestoreInterrupts(enabled);
    return TRUE;
}

BOOLEAN KeRemoveQueueDpc(KDPC *dpc)
{
    BOOLEAN enabled = KiDisableInterrupts();
    KPRCB *prcb = dpc->DpcData;

    if (prcb) {
        RemoveEntryList(&dpc->DpcListEntry);
        prcb->DpcQueueDepth--;
        dpc->DpcData = NULL;
    }
    KiRestoreInterrupts(enabled);
    return prcb != NULL;
}

// Runs every queued DPC, oldest first, at DISPATCH_LEVEL. Interrupts are on
// while a routine runs, off while the list is touched.
void KiRetireDpcList(KPRCB *prcb)
{
    _disable();
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
        _enable();
        routine(dpc, context, argument1, argument2);
        if (KeGetCurrentIrql() != DISPATCH_LEVEL)
            KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, (ULONG64)routine, KeGetCurrentIrql(),
                         DISPATCH_LEVEL, 0);
        _disable();
    }
    prcb->DpcRoutineActive = FALSE;
    _enable();
}
