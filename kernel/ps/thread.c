// Creating threads: System threads that run a kernel routine, and user
// threads that enter ring 3 with a TEB and a stack of their own.

#include "ps/ps.h"
#include "mm/mm.h"
#include "arch/x86_64/x86.h"

// Where a new user thread's rsp points: as if its start routine had just
// been called (rsp + 8 aligned to 16), with the 32-byte home area of the
// x64 convention above the (null) return address.
#define PSP_USER_START_FRAME 0x38

// Every System thread starts here: run the routine, then end the thread.
static void PspSystemThreadStartup(void *context)
{
    ETHREAD *thread = context;

    thread->StartAddress(thread->StartContext);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

// A user thread's first moments in the kernel. Its trap frame, at the top
// of its kernel stack, was filled at creation. Kernel APCs queued before it
// ever ran (a suspend for CREATE_SUSPENDED, a termination) run first, as on
// NT, and a pending user APC (the second step of a termination) on the way
// to user mode, as on every return there; a thread whose creation failed
// half way only ends.
static void PspUserThreadStartup(void *context)
{
    ETHREAD *thread = context;

    if (thread->Tcb.ApcState.KernelApcPending)
        KiDeliverApc();
    if (thread->DeadThread)
        PspExitThread(STATUS_THREAD_IS_TERMINATING);
    if (thread->Tcb.ApcState.UserApcPending)
        KiDeliverUserApc(thread->Tcb.TrapFrame);
    // From now on the process has run with its primary token (kernel/se).
    thread->ThreadsProcess->UserModeEntered = TRUE;
    KiStartUserThread(thread->Tcb.TrapFrame);
}

// The ETHREAD, its kernel stack and Cid, joined to `process` unless the
// process is being deleted (STATUS_PROCESS_IS_TERMINATING). A user thread's
// trap frame lives at the very top of its kernel stack, where every entry
// from user mode saves it (TSS.Rsp0, KPCR.RspBase), so its first kernel
// code runs below that space. Returns the thread with two references: the
// caller's and the running thread's own (dropped by the reaper).
static NTSTATUS PspAllocateThread(EPROCESS *process, PKSTART_ROUTINE startRoutine,
                                  void *startContext, BOOLEAN user, KPRIORITY priority,
                                  ETHREAD **result)
{
    ETHREAD *thread;
    void *stackTop;
    NTSTATUS status;
    KIRQL oldIrql;

    if (priority < 0 || priority > HIGH_PRIORITY)
        return STATUS_INVALID_PARAMETER;
    status = ObCreateObject(PsThreadType, sizeof(ETHREAD), (void **)&thread);
    if (!NT_SUCCESS(status))
        return status;
    // LPC's part of the thread: not waiting for a reply, on no reply chain.
    InitializeListHead(&thread->LpcReplyChain);
    KeInitializeSemaphore(&thread->LpcReplySemaphore, 0, 1);
    InitializeListHead(&thread->TerminationPortList);
    InitializeListHead(&thread->IrpList);
    // ALPC's: waiting for nothing, its semaphore at 0.
    InitializeListHead(&thread->AlpcWaitListEntry);
    KeInitializeSemaphore(&thread->AlpcWaitSemaphore, 0, 1);
    // Who may open it: a descriptor from its creator's token, now, since a
    // thread made without a handle is never inserted.
    status = ObAssignObjectSecurity(thread);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(thread);
        return status;
    }
    stackTop = MmCreateKernelStack(KERNEL_STACK_SIZE);
    if (!stackTop) {
        ObDereferenceObject(thread);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    // Until the thread has a Cid it must not be visible anywhere.
    status = PspCreateCid(thread, &thread->Cid.UniqueThread);
    if (!NT_SUCCESS(status)) {
        MmDeleteKernelStack(stackTop, KERNEL_STACK_SIZE);
        ObDereferenceObject(thread);
        return status;
    }
    thread->Cid.UniqueProcess = process->UniqueProcessId;
    thread->StartAddress = startRoutine;
    thread->StartContext = startContext;
    thread->Win32StartAddress = (void *)startRoutine;
    thread->KernelStackSize = KERNEL_STACK_SIZE;
    thread->SystemThread = !user;
    thread->CreateTime = KeQuerySystemTime();
    thread->ExitStatus = STATUS_PENDING;
    if (!user) {
        KeInitializeThread(&thread->Tcb, stackTop, (UCHAR *)stackTop - KERNEL_STACK_SIZE,
                           PspSystemThreadStartup, thread, &process->Pcb);
    } else {
        KeInitializeThread(&thread->Tcb, (KTRAP_FRAME *)stackTop - 1,
                           (UCHAR *)stackTop - KERNEL_STACK_SIZE, PspUserThreadStartup, thread,
                           &process->Pcb);
        thread->Tcb.InitialStack = thread->Tcb.StackBase = stackTop;
        thread->Tcb.TrapFrame = (KTRAP_FRAME *)stackTop - 1;
    }
    if (priority)
        thread->Tcb.Priority = thread->Tcb.BasePriority = (CHAR)priority;

    oldIrql = KiAcquireDispatcherLock();
    if (process->ProcessDelete) {
        // KeInitializeThread counted it in the KPROCESS: take it back.
        RemoveEntryList(&thread->Tcb.ThreadListEntry);
        process->Pcb.ActiveThreads--;
        KiReleaseDispatcherLock(oldIrql);
        ObDereferenceObject(thread);
        return STATUS_PROCESS_IS_TERMINATING;
    }
    InsertTailList(&process->ThreadListHead, &thread->ThreadListEntry);
    process->ActiveThreads++;
    KiReleaseDispatcherLock(oldIrql);
    ObReferenceObject(process);
    thread->ThreadsProcess = process;
    ObReferenceObject(thread);
    *result = thread;
    return STATUS_SUCCESS;
}

NTSTATUS PsCreateSystemThreadEx(EPROCESS *process, PKSTART_ROUTINE startRoutine,
                                void *startContext, KPRIORITY priority, CLIENT_ID *clientId,
                                ETHREAD **result)
{
    ETHREAD *thread;
    NTSTATUS status = PspAllocateThread(process ? process : PsInitialSystemProcess, startRoutine,
                                        startContext, FALSE, priority, &thread);

    if (!NT_SUCCESS(status))
        return status;
    if (clientId)
        *clientId = thread->Cid;
    KeReadyThread(&thread->Tcb);
    if (result)
        *result = thread;
    else
        ObDereferenceObject(thread);
    return STATUS_SUCCESS;
}

NTSTATUS PsCreateSystemThread(HANDLE *threadHandle, ULONG desiredAccess, void *objectAttributes,
                              HANDLE processHandle, CLIENT_ID *clientId,
                              PKSTART_ROUTINE startRoutine, void *startContext)
{
    if (threadHandle || processHandle)
        return STATUS_INVALID_PARAMETER;    // kernel handles are not needed yet
    return PsCreateSystemThreadEx(PsInitialSystemProcess, startRoutine, startContext, 0,
                                  clientId, NULL);
}

// userStack NULL: the thread gets a stack of stackCommit bytes in its slot.
static NTSTATUS PspCreateUser(EPROCESS *process, void *startAddress, ULONG64 rcx, ULONG64 rdx,
                              void *userStack, SIZE_T stackCommit, BOOLEAN suspended,
                              CLIENT_ID *clientId, ETHREAD **result)
{
    ETHREAD *thread;
    KTRAP_FRAME *frame;
    void *stackTop;
    NTSTATUS status;

    if (!process || !process->AddressSpaceInitialized)
        return STATUS_INVALID_PARAMETER;
    status = PspAllocateThread(process, NULL, NULL, TRUE, 0, &thread);
    if (!NT_SUCCESS(status))
        return status;
    thread->Win32StartAddress = startAddress;
    // The thread now counts in its process, so the address space stays
    // until it has ended: the TEB and stack can be made in it safely.
    if (!stackCommit)
        stackCommit = PSP_DEFAULT_USER_STACK_SIZE;
    status = PspCreateTeb(thread, userStack ? 0 : stackCommit, &stackTop);
    if (NT_SUCCESS(status)) {
        frame = thread->Tcb.TrapFrame;
        memset(frame, 0, sizeof(*frame));
        frame->Rip = (ULONG64)startAddress;
        frame->Rsp = userStack ? (ULONG64)userStack : (ULONG64)stackTop - PSP_USER_START_FRAME;
        frame->Rcx = rcx;
        frame->Rdx = rdx;
        frame->SegCs = KGDT64_R3_CODE | RPL_MASK;
        frame->SegSs = KGDT64_R3_DATA | RPL_MASK;
        frame->EFlags = EFLAGS_IF;
        if (suspended)
            PsSuspendThread(thread, NULL);  // not if its process was killed meanwhile
    } else {
        thread->DeadThread = TRUE;
    }
    if (clientId)
        *clientId = thread->Cid;
    KeReadyThread(&thread->Tcb);
    if (NT_SUCCESS(status) && result)
        *result = thread;
    else
        ObDereferenceObject(thread);
    return status;
}

NTSTATUS PspCreateUserThread(EPROCESS *process, void *startAddress, void *userStack,
                             CLIENT_ID *clientId, ETHREAD **thread)
{
    return PspCreateUser(process, startAddress, 0, 0, userStack, 0, FALSE, clientId, thread);
}

NTSTATUS PspCreateUserThreadEx(EPROCESS *process, void *startAddress, ULONG64 rcx, ULONG64 rdx,
                               SIZE_T stackCommit, BOOLEAN suspended, CLIENT_ID *clientId,
                               ETHREAD **thread)
{
    return PspCreateUser(process, startAddress, rcx, rdx, NULL, stackCommit, suspended,
                         clientId, thread);
}
