// Alerts and user-mode APCs as system services: NtAlertThread,
// NtAlertResumeThread, NtTestAlert and NtQueueApcThread, and the rundown of
// a thread's user APCs when it ends. Delivery itself is the kernel's
// (kernel/ke/userapc.c).

#include "ps/ps.h"
#include "mm/mm.h"

#define PSP_APC_TAG POOL_TAG('P', 's', 'A', 'p')

// An alertable user-mode wait of the thread ends with STATUS_ALERTED; a
// thread that is not waiting keeps the alert for its next alertable wait
// (or NtTestAlert).
NTSTATUS NtAlertThread(HANDLE threadHandle)
{
    ETHREAD *thread;
    NTSTATUS status = ObReferenceObjectByHandle(threadHandle, THREAD_ALERT, PsThreadType,
                                                (void **)&thread, NULL);

    if (!NT_SUCCESS(status))
        return status;
    KeAlertThread(&thread->Tcb, UserMode);
    ObDereferenceObject(thread);
    return STATUS_SUCCESS;
}

// Alerts the thread in user mode, then resumes it, and returns its previous
// suspend count: a thread suspended in an alertable user-mode wait goes on
// and its wait ends with STATUS_ALERTED. A thread that has ended (or is
// ending in PspExitThread) is left alone and its count reads 0.
NTSTATUS NtAlertResumeThread(HANDLE threadHandle, ULONG *previousSuspendCount)
{
    ETHREAD *thread;
    ULONG previous = 0;
    NTSTATUS status;

    if (previousSuspendCount) {
        status = ProbeForWrite(previousSuspendCount, sizeof(ULONG), sizeof(ULONG));
        if (!NT_SUCCESS(status))
            return status;
    }
    status = ObReferenceObjectByHandle(threadHandle, THREAD_SUSPEND_RESUME, PsThreadType,
                                       (void **)&thread, NULL);
    if (!NT_SUCCESS(status))
        return status;
    if (!thread->Terminated) {
        // The alert first: the resumed thread must find it when its wait
        // goes on.
        KeAlertThread(&thread->Tcb, UserMode);
        previous = KeResumeThread(&thread->Tcb);
    }
    ObDereferenceObject(thread);
    if (previousSuspendCount)
        status = MmCopyToUser(previousSuspendCount, &previous, sizeof(previous));
    return status;
}

// STATUS_ALERTED (and the alert cleared) if the caller was alerted;
// otherwise its queued user APCs become pending and run on the way back to
// user mode, before NtTestAlert's STATUS_SUCCESS reaches the caller.
NTSTATUS NtTestAlert(void)
{
    return KeTestAlertThread(UserMode) ? STATUS_ALERTED : STATUS_SUCCESS;
}

// The kernel routine of an APC from NtQueueApcThread: the APC was allocated
// for this one call, and the user routine needs nothing of it.
static void PspFreeUserApc(KAPC *apc, PKNORMAL_ROUTINE *normalRoutine, void **normalContext,
                           void **argument1, void **argument2)
{
    ExFreePoolWithTag(apc, PSP_APC_TAG);
}

// Queues apcRoutine(argument1, argument2, argument3) to run in user mode in
// the thread: it runs when the thread next waits alertably in user mode or
// calls NtTestAlert.
NTSTATUS NtQueueApcThread(HANDLE threadHandle, PPS_APC_ROUTINE apcRoutine, void *argument1,
                          void *argument2, void *argument3)
{
    ETHREAD *thread;
    KAPC *apc;
    NTSTATUS status = ObReferenceObjectByHandle(threadHandle, THREAD_SET_CONTEXT, PsThreadType,
                                                (void **)&thread, NULL);

    if (!NT_SUCCESS(status))
        return status;
    // A System thread never returns to user mode, so it can run no user APC.
    if (thread->SystemThread) {
        status = STATUS_INVALID_HANDLE;
    } else if (!apcRoutine) {
        status = STATUS_INVALID_PARAMETER;
    } else {
        apc = ExAllocatePoolWithTag(NonPagedPool, sizeof(KAPC), PSP_APC_TAG);
        if (!apc) {
            status = STATUS_NO_MEMORY;
        } else {
            KeInitializeApc(apc, &thread->Tcb, OriginalApcEnvironment, PspFreeUserApc, NULL,
                            (PKNORMAL_ROUTINE)apcRoutine, UserMode, argument1);
            if (!KeInsertQueueApc(apc, argument2, argument3, 0)) {
                ExFreePoolWithTag(apc, PSP_APC_TAG);
                status = STATUS_UNSUCCESSFUL;   // the thread is ending
            }
        }
    }
    ObDereferenceObject(thread);
    return status;
}

// The thread is ending: it takes no more APCs, and those still queued for
// user mode never run. Each goes to its rundown routine, or back to the pool
// when it has none (as NT's thread exit does).
void PspRundownUserApcs(ETHREAD *thread)
{
    LIST_ENTRY flushed;
    KIRQL oldIrql = KiAcquireDispatcherLock();

    thread->Tcb.ApcQueueable = FALSE;
    KiReleaseDispatcherLock(oldIrql);
    KeFlushQueueApc(&thread->Tcb, UserMode, &flushed);
    while (!IsListEmpty(&flushed)) {
        KAPC *apc = CONTAINING_RECORD(RemoveHeadList(&flushed), KAPC, ApcListEntry);

        if (apc->RundownRoutine)
            apc->RundownRoutine(apc);
        else
            ExFreePool(apc);
    }
}
