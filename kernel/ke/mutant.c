// Mutants (NT's mutexes): an owner thread and a recursion count. SignalState
// is 1 when free and 1 - recursion when owned. A thread that ends while it
// owns mutants abandons them: the next waiter gets STATUS_ABANDONED_WAIT_0.

#include "ke/ke.h"

void KeInitializeMutant(KMUTANT *mutant, BOOLEAN initialOwner)
{
    KTHREAD *thread = KeGetCurrentThread();

    mutant->Header.Type = MutantObject;
    mutant->Header.Size = sizeof(KMUTANT) / sizeof(LONG64);
    InitializeListHead(&mutant->Header.WaitListHead);
    mutant->Abandoned = FALSE;
    mutant->ApcDisable = 0;
    if (initialOwner && thread) {
        KIRQL oldIrql = KiAcquireDispatcherLock();

        mutant->Header.SignalState = 0;
        mutant->OwnerThread = thread;
        InsertHeadList(&thread->MutantListHead, &mutant->MutantListEntry);
        KiReleaseDispatcherLock(oldIrql);
    } else {
        mutant->Header.SignalState = 1;
        mutant->OwnerThread = NULL;
    }
}

void KeInitializeMutex(KMUTEX *mutex, ULONG level)
{
    KeInitializeMutant(mutex, FALSE);
}

// Gives up the mutant, the last recursion making it free. Caller holds the
// dispatcher lock.
static void KiReleaseMutantLocked(KMUTANT *mutant, KPRIORITY increment, BOOLEAN abandoned)
{
    if (abandoned) {
        mutant->Header.SignalState = 1;
        mutant->Abandoned = TRUE;
    } else {
        mutant->Header.SignalState++;
    }
    if (mutant->Header.SignalState == 1) {
        if (mutant->OwnerThread)
            RemoveEntryList(&mutant->MutantListEntry);
        mutant->OwnerThread = NULL;
        if (!IsListEmpty(&mutant->Header.WaitListHead))
            KiWaitTest(&mutant->Header, increment);
    }
}

NTSTATUS KeReleaseMutantEx(KMUTANT *mutant, KPRIORITY increment, BOOLEAN abandoned,
                           LONG *previousState)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    LONG previous = mutant->Header.SignalState;

    if (!abandoned && mutant->OwnerThread != KeGetCurrentThread()) {
        KiReleaseDispatcherLock(oldIrql);
        return STATUS_MUTANT_NOT_OWNED;
    }
    KiReleaseMutantLocked(mutant, increment, abandoned);
    KiReleaseDispatcherLock(oldIrql);
    if (previousState)
        *previousState = previous;
    return STATUS_SUCCESS;
}

LONG KeReleaseMutant(KMUTANT *mutant, KPRIORITY increment, BOOLEAN abandoned, BOOLEAN wait)
{
    LONG previous = 0;

    if (!NT_SUCCESS(KeReleaseMutantEx(mutant, increment, abandoned, &previous)))
        KeBugCheckEx(THREAD_NOT_MUTEX_OWNER, (ULONG64)mutant->OwnerThread,
                     (ULONG64)mutant, (ULONG64)KeGetCurrentThread(), 0);
    return previous;
}

LONG KeReleaseMutex(KMUTEX *mutex, BOOLEAN wait)
{
    return KeReleaseMutant(mutex, MUTANT_INCREMENT, FALSE, wait);
}

LONG KeReadStateMutant(KMUTANT *mutant)
{
    return mutant->Header.SignalState;
}

// The thread is ending: every mutant it still owns is abandoned. Caller holds
// the dispatcher lock.
void KiAbandonMutants(KTHREAD *thread)
{
    while (!IsListEmpty(&thread->MutantListHead)) {
        KMUTANT *mutant = CONTAINING_RECORD(thread->MutantListHead.Flink, KMUTANT,
                                            MutantListEntry);

        KiReleaseMutantLocked(mutant, MUTANT_INCREMENT, TRUE);
    }
}
