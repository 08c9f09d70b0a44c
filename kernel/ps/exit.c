// Ending threads. A thread cannot free the stack it runs on, so an ended
// thread is put on the reaper list and a DPC, which runs only once the
// processor has switched away from it, frees its stack and drops the
// thread's reference on itself. The ETHREAD then lives on while others
// still reference it.

#include "ps/ps.h"
#include "mm/mm.h"
#include "ex/ex.h"

static LIST_ENTRY PspReaperListHead;
static KDPC PspReaperDpc;
static KSPIN_LOCK PspReaperLock;

static void PspReaper(KDPC *dpc, void *context, void *argument1, void *argument2)
{
    for (;;) {
        ETHREAD *thread;

        KeAcquireSpinLockAtDpcLevel(&PspReaperLock);
        if (IsListEmpty(&PspReaperListHead)) {
            KeReleaseSpinLockFromDpcLevel(&PspReaperLock);
            return;
        }
        thread = CONTAINING_RECORD(RemoveHeadList(&PspReaperListHead), ETHREAD, ReaperLink);
        KeReleaseSpinLockFromDpcLevel(&PspReaperLock);

        MmDeleteKernelStack(thread->Tcb.StackBase, thread->KernelStackSize);
        thread->KernelStackSize = 0;
        thread->Tcb.InitialStack = NULL;
        ObDereferenceObject(thread);
    }
}

void PspInitializeReaper(void)
{
    InitializeListHead(&PspReaperListHead);
    KeInitializeDpc(&PspReaperDpc, PspReaper, NULL);
    KeInitializeSpinLock(&PspReaperLock);
}

void PspExitThread(NTSTATUS exitStatus)
{
    ETHREAD *thread = PsGetCurrentThread();
    EPROCESS *process = thread->ThreadsProcess;
    KIRQL oldIrql;

    // Timers set with an APC to this thread stop before it goes.
    ExTimerRundown(thread);
    thread->ExitStatus = exitStatus;
    thread->ExitTime = KeQuerySystemTime();
    thread->Terminated = TRUE;
    PspRundownUserApcs(thread);

    oldIrql = KiAcquireDispatcherLock();
    if (--process->ActiveThreads == 0) {
        process->ExitStatus = exitStatus;
        process->ExitTime = thread->ExitTime;
        process->ProcessExiting = TRUE;
    }
    KiReleaseDispatcherLock(oldIrql);

    // From here to the switch the processor stays at DISPATCH_LEVEL, so the
    // reaper cannot run on this stack.
    KfRaiseIrql(DISPATCH_LEVEL);
    KeAcquireSpinLockAtDpcLevel(&PspReaperLock);
    InsertTailList(&PspReaperListHead, &thread->ReaperLink);
    KeReleaseSpinLockFromDpcLevel(&PspReaperLock);
    KeInsertQueueDpc(&PspReaperDpc, NULL, NULL);
    KeTerminateThread(IO_NO_INCREMENT);
}

NTSTATUS PsTerminateSystemThread(NTSTATUS exitStatus)
{
    ETHREAD *thread = PsGetCurrentThread();

    if (!thread->SystemThread)
        KeBugCheckEx(INVALID_DATA_ACCESS_TRAP, (ULONG64)thread, 0, 0, 0);
    PspExitThread(exitStatus);
}

// Handles do not exist yet: the only process a caller can name is itself,
// and (processes having one thread so far) ending the caller ends it.
NTSTATUS NtTerminateProcess(HANDLE processHandle, NTSTATUS exitStatus)
{
    ETHREAD *thread = PsGetCurrentThread();

    if (processHandle != NtCurrentProcess())
        return STATUS_INVALID_HANDLE;
    if (thread->SystemThread)
        return STATUS_ACCESS_DENIED;
    PspExitThread(exitStatus);
}
