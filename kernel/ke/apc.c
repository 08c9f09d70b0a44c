// Kernel-mode asynchronous procedure calls: a routine run in the context of
// a particular thread. They are how one thread makes another do something
// itself, such as end (thread termination) or complete a timer's callback.
// A kernel APC runs when the target's IRQL is below APC_LEVEL and it is not
// in a critical region; a thread waiting at PASSIVE_LEVEL is woken to run it
// and then waits again.

#include "ke/ke.h"
#include "arch/x86_64/hal.h"

#define APC_TYPE 0x12   // NT's ApcObject

void KeInitializeApc(KAPC *apc, KTHREAD *thread, KAPC_ENVIRONMENT environment,
                     PKKERNEL_ROUTINE kernelRoutine, PKRUNDOWN_ROUTINE rundownRoutine,
                     PKNORMAL_ROUTINE normalRoutine, KPROCESSOR_MODE mode, void *context)
{
    memset(apc, 0, sizeof(*apc));
    apc->Type = APC_TYPE;
    apc->Size = sizeof(KAPC);
    apc->Thread = thread;
    apc->ApcStateIndex = (CHAR)environment;
    apc->KernelRoutine = kernelRoutine;
    apc->RundownRoutine = rundownRoutine;
    apc->NormalRoutine = normalRoutine;
    apc->NormalContext = normalRoutine ? context : NULL;
    apc->ApcMode = normalRoutine ? mode : KernelMode;
}

// A thread running on another processor is interrupted there at APC_LEVEL
// (NT's KiRequestApcInterrupt): its APC interrupt delivers kernel APCs, and
// the way back to user mode user ones. Dispatcher lock held.
static void KiRequestApcInterruptOn(KTHREAD *thread)
{
    KPRCB *prcb = KiProcessorBlock[thread->NextProcessor];

    if (prcb->CurrentThread == thread && prcb != KeGetCurrentPrcb())
        HalRequestSoftwareInterruptProcessor(prcb->ApicId, APC_LEVEL);
}

// Returns FALSE if the APC is already queued or the thread no longer takes
// APCs (it is ending).
BOOLEAN KeInsertQueueApc(KAPC *apc, void *systemArgument1, void *systemArgument2,
                         KPRIORITY increment)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    KTHREAD *thread = apc->Thread;

    if (apc->Inserted || !thread->ApcQueueable) {
        KiReleaseDispatcherLock(oldIrql);
        return FALSE;
    }
    apc->SystemArgument1 = systemArgument1;
    apc->SystemArgument2 = systemArgument2;
    apc->Inserted = TRUE;

    if (apc->ApcMode == KernelMode) {
        InsertTailList(&thread->ApcState.ApcListHead[KernelMode], &apc->ApcListEntry);
        thread->ApcState.KernelApcPending = TRUE;
        if (thread == KeGetCurrentThread()) {
            HalRequestSoftwareInterrupt(APC_LEVEL);
        } else if (thread->State == Running) {
            KiRequestApcInterruptOn(thread);    // it runs on another processor
        } else if (thread->State == Waiting && thread->WaitIrql == PASSIVE_LEVEL &&
                   thread->KernelApcDisable == 0) {
            KiUnwaitThread(thread, STATUS_KERNEL_APC, increment);
        }
    } else {
        // The thread's exit, as a user APC (ps/exit.c), goes first and is
        // pending at once: the next return to user mode ends the thread,
        // and any user-mode wait, alertable or not, ends so that it returns.
        if (apc->KernelRoutine == PsExitSpecialApc) {
            InsertHeadList(&thread->ApcState.ApcListHead[UserMode], &apc->ApcListEntry);
            thread->ApcState.UserApcPending = TRUE;
        } else {
            InsertTailList(&thread->ApcState.ApcListHead[UserMode], &apc->ApcListEntry);
        }
        if (thread->State == Waiting && thread->WaitMode == UserMode &&
            (thread->Alertable || thread->ApcState.UserApcPending)) {
            thread->ApcState.UserApcPending = TRUE;
            KiUnwaitThread(thread, STATUS_USER_APC, increment);
        } else if (thread->State == Running && thread != KeGetCurrentThread() &&
                   thread->ApcState.UserApcPending) {
            KiRequestApcInterruptOn(thread);    // delivered on its way back to user mode
        }
    }
    KiReleaseDispatcherLock(oldIrql);
    return TRUE;
}

// Takes a queued APC off its thread's list before it is delivered (a timer
// cancelled with its APC still pending). Returns FALSE if it was not queued.
BOOLEAN KeRemoveQueueApc(KAPC *apc)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    BOOLEAN inserted = apc->Inserted;

    if (inserted) {
        KAPC_STATE *apcState = &apc->Thread->ApcState;

        RemoveEntryList(&apc->ApcListEntry);
        apc->Inserted = FALSE;
        if (IsListEmpty(&apcState->ApcListHead[(int)apc->ApcMode])) {
            if (apc->ApcMode == KernelMode)
                apcState->KernelApcPending = FALSE;
            else
                apcState->UserApcPending = FALSE;
        }
    }
    KiReleaseDispatcherLock(oldIrql);
    return inserted;
}

// Runs the current thread's pending kernel APCs. Called at PASSIVE_LEVEL or
// from the APC interrupt (APC_LEVEL).
void KiDeliverApc(void)
{
    KTHREAD *thread = KeGetCurrentThread();
    KIRQL entryIrql = KeGetCurrentIrql();

    if (entryIrql < APC_LEVEL)
        KfRaiseIrql(APC_LEVEL);
    for (;;) {
        KIRQL oldIrql;
        KAPC *apc;
        PKNORMAL_ROUTINE normalRoutine;
        void *normalContext, *argument1, *argument2;

        if (thread->KernelApcDisable)
            break;
        oldIrql = KiAcquireDispatcherLock();
        if (IsListEmpty(&thread->ApcState.ApcListHead[KernelMode])) {
            thread->ApcState.KernelApcPending = FALSE;
            KiReleaseDispatcherLock(oldIrql);
            break;
        }
        apc = CONTAINING_RECORD(RemoveHeadList(&thread->ApcState.ApcListHead[KernelMode]), KAPC,
                                ApcListEntry);
        apc->Inserted = FALSE;
        normalRoutine = apc->NormalRoutine;
        normalContext = apc->NormalContext;
        argument1 = apc->SystemArgument1;
        argument2 = apc->SystemArgument2;
        KiReleaseDispatcherLock(oldIrql);

        // The kernel routine runs at APC_LEVEL and may cancel or change the
        // normal routine; the normal routine runs at PASSIVE_LEVEL.
        thread->ApcState.KernelApcInProgress = TRUE;
        apc->KernelRoutine(apc, &normalRoutine, &normalContext, &argument1, &argument2);
        if (normalRoutine) {
            KeLowerIrql(PASSIVE_LEVEL);
            normalRoutine(normalContext, argument1, argument2);
            KfRaiseIrql(APC_LEVEL);
        }
        thread->ApcState.KernelApcInProgress = FALSE;
    }
    if (entryIrql < APC_LEVEL)
        KeLowerIrql(entryIrql);
}

void KeEnterCriticalRegion(void)
{
    KeGetCurrentThread()->KernelApcDisable--;
}

void KeLeaveCriticalRegion(void)
{
    KTHREAD *thread = KeGetCurrentThread();

    if (++thread->KernelApcDisable == 0 && thread->ApcState.KernelApcPending)
        HalRequestSoftwareInterrupt(APC_LEVEL);
}
