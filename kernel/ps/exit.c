// Ending threads and processes, as NT does it: a thread always ends
// itself (PspExitThread); another thread is made to by an APC (see
// PsExitSpecialApc for why it takes two steps). The
// last thread of a process also ends the process: it closes every handle,
// frees the user address space, records the exit and lets the process be
// signaled. The EPROCESS and ETHREADs stay (zombies) while referenced.
//
// A thread cannot free the stack it runs on, so an ended thread is put on
// the reaper list and a DPC, which runs only once the processor has
// switched away from it, frees its stack and drops the thread's reference
// on itself.

#include "ps/ps.h"
#include "mm/mm.h"
#include "ex/ex.h"
#include "lpc/lpcp.h"
#include "alpc/alpcp.h"
#include "se/se.h"
#include "io/io.h"
#include "arch/x86_64/x86.h"

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

        // Queued before its last switch: on another processor it may not
        // be off its stack yet.
        KeWaitForThreadSwapOut(&thread->Tcb);
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

// The process's own rundown, run by its last thread: nothing of it is used
// from user mode any more.
static void PspExitProcess(EPROCESS *process)
{
    ObKillProcess(process);
    // The views and private memory go now; the page tables, which this
    // thread still runs on, go with the process object.
    if (process->AddressSpaceInitialized)
        MmCleanProcessAddressSpace(process);
    PspRundownExceptionPort(process);
    process->ExitTime = KeQuerySystemTime();
}

void PspExitThread(NTSTATUS exitStatus)
{
    ETHREAD *thread = PsGetCurrentThread();
    EPROCESS *process = thread->ThreadsProcess;
    BOOLEAN lastThread;
    KIRQL oldIrql;

    // On its way out, however it got here: no suspend applies from now on
    // (PsSuspendThread), and one queued before, whose APC may still run in
    // one of the waits below, finds the thread resumed for good. Otherwise
    // a thread could stop in its own exit, where no termination reaches it.
    oldIrql = KiAcquireDispatcherLock();
    thread->TerminationQueued = TRUE;
    KiReleaseDispatcherLock(oldIrql);
    KeForceResumeThread(&thread->Tcb);
    // Timers set with an APC to this thread stop before it goes.
    ExTimerRundown(thread);
    // Its message queue (Win32Thread) and what was posted to it.
    ExUserThreadExit(thread);
    // LPC: LPC_CLIENT_DIED to its termination ports, then out of any wait.
    LpcSendClientDiedMessages(thread);
    LpcExitThread(thread);
    AlpcExitThread(thread);
    // Its I/O is cancelled and waited for: an IRP refers to its buffers.
    IoCancelThreadIo(thread);
    thread->ExitStatus = exitStatus;
    thread->ExitTime = KeQuerySystemTime();
    thread->Terminated = TRUE;
    PspRundownUserApcs(thread);
    // An impersonation ends with the thread (none can start after Terminated).
    PsRevertThreadToSelf(thread);

    oldIrql = KiAcquireDispatcherLock();
    // The System process never ends, whatever its threads do.
    lastThread = --process->ActiveThreads == 0 && process != PsInitialSystemProcess;
    if (lastThread) {
        // No thread may join it now: its address space is about to go.
        process->ProcessDelete = TRUE;
        process->ProcessExiting = TRUE;
        if (process->ExitStatus == STATUS_PENDING)
            process->ExitStatus = exitStatus;
    }
    KiReleaseDispatcherLock(oldIrql);

    // Mutants go first: the handles that kept them alive are closed next.
    KeRundownThread();
    // Its TEB and stack go now, as on NT (the last thread's with the
    // rest of the address space would do too, but this is cheap).
    PspDeleteTeb(thread);
    if (lastThread)
        PspExitProcess(process);

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

// Ending another thread takes two steps, as on NT. A thread always ends
// itself, and never in the middle of a system service: a service blocked in
// a wait holds what only its own unwinding gives back (references on the
// waited objects, wait blocks from pool). So the termination is first a
// kernel APC, which reaches the thread wherever it is (a wait at
// PASSIVE_LEVEL is woken to run it); its normal routine queues the same APC
// again for user mode, where it is pending at once (KeInsertQueueApc). A
// user-mode wait, alertable or not, then returns STATUS_USER_APC, the
// service unwinds and returns, and the delivery of user APCs on the way back
// to user mode runs this kernel routine first, which ends the thread. A
// thread that was running in user mode ends at its next return from an
// interrupt. Kernel-mode waits are not cut short: the thread ends once its
// service is done.
void PsExitSpecialApc(KAPC *apc, PKNORMAL_ROUTINE *normalRoutine, void **normalContext,
                      void **systemArgument1, void **systemArgument2)
{
    if (apc->ApcMode == UserMode) {
        // Called at APC_LEVEL by the user-APC delivery, which this never
        // returns to: the exit runs at PASSIVE_LEVEL, as a service's does.
        KeLowerIrql(PASSIVE_LEVEL);
        PspExitThread((NTSTATUS)(LONG_PTR)*normalContext);
    }
}

// The APC lives in the ETHREAD: a thread that ends by another way with it
// still queued (PspRundownUserApcs) has nothing to free.
static void PspExitApcRundown(KAPC *apc)
{
}

static void PspExitNormalApc(void *normalContext, void *systemArgument1, void *systemArgument2)
{
    ETHREAD *thread = PsGetCurrentThread();

    // The user-mode "normal routine" is never reached: the kernel routine
    // ends the thread first. KeInsertQueueApc refuses only a thread that is
    // already ending (this ran in one of PspExitThread's own waits).
    KeInitializeApc(&thread->TerminateApc, &thread->Tcb, OriginalApcEnvironment,
                    PsExitSpecialApc, PspExitApcRundown, PspExitNormalApc, UserMode,
                    normalContext);
    KeInsertQueueApc(&thread->TerminateApc, NULL, NULL, IO_NO_INCREMENT);
}

// The one TerminateApc is queued once: a second termination of a thread
// already on its way out only resumes it again (the first exit status
// stands). Termination resumes the thread for good (KeForceResumeThread:
// its suspend count goes to 0 however high it was, and the suspend
// semaphore is released), and from the moment TerminationQueued is set no
// suspend applies (PsSuspendThread): the exit APC always gets delivered.
// System threads end only by themselves (PsTerminateSystemThread).
NTSTATUS PspTerminateThreadByPointer(ETHREAD *thread, NTSTATUS exitStatus)
{
    BOOLEAN queued;
    KIRQL oldIrql;

    if (thread->SystemThread)
        return STATUS_ACCESS_DENIED;
    if (thread == PsGetCurrentThread())
        PspExitThread(exitStatus);
    if (thread->Terminated)
        return STATUS_THREAD_IS_TERMINATING;
    oldIrql = KiAcquireDispatcherLock();
    queued = thread->TerminationQueued;
    thread->TerminationQueued = TRUE;
    KiReleaseDispatcherLock(oldIrql);
    if (!queued) {
        KeInitializeApc(&thread->TerminateApc, &thread->Tcb, OriginalApcEnvironment,
                        PsExitSpecialApc, PspExitApcRundown, PspExitNormalApc, KernelMode,
                        (void *)(LONG_PTR)exitStatus);
        // Refused only by a thread that is already ending, which is what
        // was asked.
        KeInsertQueueApc(&thread->TerminateApc, NULL, NULL, IO_NO_INCREMENT);
    }
    // A suspended thread is resumed so that it can end.
    KeForceResumeThread(&thread->Tcb);
    return STATUS_SUCCESS;
}

// NtSuspendThread's work, NT's rules: a thread told to end (or ending by
// itself) is not suspended, STATUS_THREAD_IS_TERMINATING. The check is made
// again once the suspend is applied: a termination that came in between
// found nothing to resume, so the suspend is taken back here.
NTSTATUS PsSuspendThread(ETHREAD *thread, ULONG *previousCount)
{
    NTSTATUS status;

    if (thread->TerminationQueued || thread->Terminated)
        return STATUS_THREAD_IS_TERMINATING;
    status = KeSuspendThread(&thread->Tcb, previousCount);
    // The current thread suspending itself returns only once resumed: by
    // then the suspend is over, whatever happened.
    if (NT_SUCCESS(status) && thread != PsGetCurrentThread() &&
        *(volatile BOOLEAN *)&thread->TerminationQueued) {
        KeForceResumeThread(&thread->Tcb);
        status = STATUS_THREAD_IS_TERMINATING;
    }
    return status;
}

ETHREAD *PsGetNextProcessThread(EPROCESS *process, ETHREAD *thread)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    LIST_ENTRY *entry = thread ? thread->ThreadListEntry.Flink : process->ThreadListHead.Flink;
    ETHREAD *next = NULL;

    // `thread` is referenced, so it is still on the list.
    for (; entry != &process->ThreadListHead; entry = entry->Flink) {
        ETHREAD *candidate = CONTAINING_RECORD(entry, ETHREAD, ThreadListEntry);

        if (ObReferenceObjectSafe(candidate)) {
            next = candidate;
            break;
        }
    }
    KiReleaseDispatcherLock(oldIrql);
    if (thread)
        ObDereferenceObject(thread);
    return next;
}

void PspTerminateOtherThreads(EPROCESS *process, NTSTATUS exitStatus)
{
    ETHREAD *current = PsGetCurrentThread();
    ETHREAD *thread = NULL;

    while ((thread = PsGetNextProcessThread(process, thread)) != NULL) {
        if (thread != current && !thread->Terminated)
            PspTerminateThreadByPointer(thread, exitStatus);
    }
}

// Marks the process as ending with exitStatus (unless an earlier
// termination already set it): no thread can join it any more.
// STATUS_PROCESS_IS_TERMINATING once its last thread has ended (it is
// running down, or gone). A process told to end whose threads are still
// there is not refused: its threads are told again, which resumes any that
// were suspended since (as NT's, whose refusal comes only with the
// process's rundown).
static NTSTATUS PspMarkProcessDelete(EPROCESS *process, NTSTATUS exitStatus)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    NTSTATUS status = STATUS_SUCCESS;

    if (process->ProcessExiting)
        status = STATUS_PROCESS_IS_TERMINATING;
    process->ProcessDelete = TRUE;
    if (process->ExitStatus == STATUS_PENDING)
        process->ExitStatus = exitStatus;
    KiReleaseDispatcherLock(oldIrql);
    return status;
}

NTSTATUS PsTerminateProcess(EPROCESS *process, NTSTATUS exitStatus)
{
    NTSTATUS status = PspMarkProcessDelete(process, exitStatus);

    if (NT_SUCCESS(status))
        PspTerminateOtherThreads(process, exitStatus);
    return status;
}

void PspTerminateCurrentProcess(NTSTATUS exitStatus)
{
    EPROCESS *process = PsGetCurrentProcess();

    PspMarkProcessDelete(process, exitStatus);
    PspTerminateOtherThreads(process, exitStatus);
    PspExitThread(exitStatus);
}

// NULL: every thread of the caller's process but the caller (what NT's
// ExitProcess does first); the caller goes on. Terminating the caller's own
// process ends the other threads, then the caller, and does not return.
// Another process ends asynchronously: its threads end themselves.
NTSTATUS NtTerminateProcess(HANDLE processHandle, NTSTATUS exitStatus)
{
    EPROCESS *process;
    NTSTATUS status;

    if (!processHandle) {
        PspTerminateOtherThreads(PsGetCurrentProcess(), exitStatus);
        return STATUS_SUCCESS;
    }
    status = ObReferenceObjectByHandle(processHandle, PROCESS_TERMINATE, PsProcessType,
                                       (void **)&process, NULL);
    if (!NT_SUCCESS(status))
        return status;
    if (process == PsInitialSystemProcess || process == PsIdleProcess) {
        ObDereferenceObject(process);
        return STATUS_ACCESS_DENIED;
    }
    if (process == PsGetCurrentProcess()) {
        ObDereferenceObject(process);       // our thread keeps it alive
        PspTerminateCurrentProcess(exitStatus);
    }
    status = PsTerminateProcess(process, exitStatus);
    ObDereferenceObject(process);
    return status;
}

// NULL ends the caller unless it is the last thread of its process
// (STATUS_CANT_TERMINATE_SELF, as NT: that is ExitThread's way of asking
// whether it must end the process instead).
NTSTATUS NtTerminateThread(HANDLE threadHandle, NTSTATUS exitStatus)
{
    ETHREAD *thread;
    NTSTATUS status;

    if (!threadHandle) {
        if (PsGetCurrentProcess()->ActiveThreads == 1)
            return STATUS_CANT_TERMINATE_SELF;
        PspExitThread(exitStatus);
    }
    status = ObReferenceObjectByHandle(threadHandle, THREAD_TERMINATE, PsThreadType,
                                       (void **)&thread, NULL);
    if (!NT_SUCCESS(status))
        return status;
    if (thread == PsGetCurrentThread() && !thread->SystemThread) {
        ObDereferenceObject(thread);        // it runs: the reference is not needed
        PspExitThread(exitStatus);
    }
    status = PspTerminateThreadByPointer(thread, exitStatus);
    ObDereferenceObject(thread);
    return status;
}
