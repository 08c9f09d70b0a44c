// Creating processes and system threads, and the object delete routines
// that free them once the last reference is gone.

#include "ps/ps.h"
#include "mm/mm.h"
#include "arch/x86_64/x86.h"

static OBJECT_TYPE PspProcessTypeObject;
static OBJECT_TYPE PspThreadTypeObject;
OBJECT_TYPE *PsProcessType = &PspProcessTypeObject;
OBJECT_TYPE *PsThreadType = &PspThreadTypeObject;
LIST_ENTRY PsActiveProcessHead;
KSPIN_LOCK PspActiveProcessLock;

#define PROCESS_TAG POOL_TAG('P', 'r', 'o', 'c')
#define THREAD_TAG  POOL_TAG('T', 'h', 'r', 'e')

static void PspDeleteProcess(void *object)
{
    EPROCESS *process = object;
    KIRQL oldIrql;

    // A creation that failed part way never joined the active list.
    if (process->ActiveProcessLinks.Flink) {
        KeAcquireSpinLock(&PspActiveProcessLock, &oldIrql);
        RemoveEntryList(&process->ActiveProcessLinks);
        KeReleaseSpinLock(&PspActiveProcessLock, oldIrql);
    }
    ObDeleteHandleTable(process);
    if (process->UniqueProcessId)
        PspDeleteCid(process->UniqueProcessId);
    // No thread is left to run in it: the last one held a reference.
    if (process->AddressSpaceInitialized) {
        MmCleanProcessAddressSpace(process);
        MmDeleteProcessAddressSpace(process->Pcb.DirectoryTableBase);
    }
}

static void PspDeleteThread(void *object)
{
    ETHREAD *thread = object;
    EPROCESS *process = thread->ThreadsProcess;
    KIRQL oldIrql;

    // A thread that never started still holds its stack.
    if (thread->Tcb.InitialStack && thread->KernelStackSize)
        MmDeleteKernelStack(thread->Tcb.StackBase, thread->KernelStackSize);
    // As on NT, an ended thread keeps its id while its object lives: a
    // zombie is still named by its Cid, and no other thread can take it.
    if (thread->Cid.UniqueThread)
        PspDeleteCid(thread->Cid.UniqueThread);
    // A creation that failed part way never joined its process.
    if (!process)
        return;
    oldIrql = KiAcquireDispatcherLock();
    RemoveEntryList(&thread->ThreadListEntry);
    RemoveEntryList(&thread->Tcb.ThreadListEntry);
    KiReleaseDispatcherLock(oldIrql);
    ObDereferenceObject(process);
}

void PspInitializeTypes(void)
{
    static const OBJECT_TYPE_INITIALIZER processType = {
        .PoolTag = PROCESS_TAG, .Waitable = TRUE, .DeleteProcedure = PspDeleteProcess};
    static const OBJECT_TYPE_INITIALIZER threadType = {
        .PoolTag = THREAD_TAG, .Waitable = TRUE, .DeleteProcedure = PspDeleteThread};

    ObInitializeType(PsProcessType, "Process", &processType);
    ObInitializeType(PsThreadType, "Thread", &threadType);
    InitializeListHead(&PsActiveProcessHead);
    KeInitializeSpinLock(&PspActiveProcessLock);
}

NTSTATUS PspCreateProcess(const char *imageName, EPROCESS *parent, KPRIORITY basePriority,
                          EPROCESS **result)
{
    EPROCESS *process;
    NTSTATUS status = ObCreateObject(PsProcessType, sizeof(EPROCESS), (void **)&process);
    KIRQL oldIrql;

    if (!NT_SUCCESS(status))
        return status;
    KeInitializeProcess(&process->Pcb, basePriority);
    InitializeListHead(&process->ThreadListHead);
    // Self-linked, so a creation that fails before the insert can still be deleted.
    InitializeListHead(&process->ActiveProcessLinks);
    RtlStringPrintf(process->ImageFileName, sizeof(process->ImageFileName), "%s", imageName);
    process->CreateTime = KeQuerySystemTime();
    process->InheritedFromUniqueProcessId = parent ? parent->UniqueProcessId : NULL;
    if (parent) {
        status = MmCreateProcessAddressSpace(process);
        if (!NT_SUCCESS(status)) {
            ObDereferenceObject(process);
            return status;
        }
        process->AddressSpaceInitialized = TRUE;
    }
    status = PspCreateCid(process, &process->UniqueProcessId);
    if (NT_SUCCESS(status))
        status = ObInitProcess(parent, process);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(process);
        return status;
    }
    KeAcquireSpinLock(&PspActiveProcessLock, &oldIrql);
    InsertTailList(&PsActiveProcessHead, &process->ActiveProcessLinks);
    KeReleaseSpinLock(&PspActiveProcessLock, oldIrql);
    *result = process;
    return STATUS_SUCCESS;
}

// Every Ps thread starts here: run the routine, then end the thread.
static void PspSystemThreadStartup(void *context)
{
    ETHREAD *thread = context;

    thread->StartAddress(thread->StartContext);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

// A user thread's first moments in the kernel: a trap frame at the top of
// its kernel stack that "returns" to its start address on its user stack,
// with interrupts enabled.
static void PspUserThreadStartup(void *context)
{
    ETHREAD *thread = context;
    KTRAP_FRAME *frame = (KTRAP_FRAME *)thread->Tcb.InitialStack - 1;

    memset(frame, 0, sizeof(*frame));
    frame->Rip = (ULONG64)thread->Win32StartAddress;
    frame->Rsp = (ULONG64)thread->StartContext;
    frame->SegCs = KGDT64_R3_CODE | RPL_MASK;
    frame->SegSs = KGDT64_R3_DATA | RPL_MASK;
    frame->EFlags = EFLAGS_IF;
    thread->Tcb.TrapFrame = frame;
    KiStartUserThread(frame);
}

static NTSTATUS PspCreateThread(EPROCESS *process, PKSTART_ROUTINE startRoutine,
                                void *startContext, void *userStart, KPRIORITY priority,
                                CLIENT_ID *clientId, ETHREAD **result);

NTSTATUS PsCreateSystemThreadEx(EPROCESS *process, PKSTART_ROUTINE startRoutine,
                                void *startContext, KPRIORITY priority, CLIENT_ID *clientId,
                                ETHREAD **result)
{
    return PspCreateThread(process, startRoutine, startContext, NULL, priority, clientId,
                           result);
}

NTSTATUS PspCreateUserThread(EPROCESS *process, void *startAddress, void *userStack,
                             CLIENT_ID *clientId, ETHREAD **thread)
{
    if (!process || !process->AddressSpaceInitialized)
        return STATUS_INVALID_PARAMETER;
    return PspCreateThread(process, NULL, userStack, startAddress, 0, clientId, thread);
}

// A System thread runs startRoutine(startContext); a user thread (userStart
// set) enters user mode at userStart with its stack at startContext.
static NTSTATUS PspCreateThread(EPROCESS *process, PKSTART_ROUTINE startRoutine,
                                void *startContext, void *userStart, KPRIORITY priority,
                                CLIENT_ID *clientId, ETHREAD **result)
{
    ETHREAD *thread;
    void *stackTop;
    NTSTATUS status;
    KIRQL oldIrql;

    if (!process)
        process = PsInitialSystemProcess;
    if (priority < 0 || priority > HIGH_PRIORITY)
        return STATUS_INVALID_PARAMETER;
    status = ObCreateObject(PsThreadType, sizeof(ETHREAD), (void **)&thread);
    if (!NT_SUCCESS(status))
        return status;
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
    ObReferenceObject(process);
    thread->ThreadsProcess = process;
    thread->Cid.UniqueProcess = process->UniqueProcessId;
    thread->StartAddress = startRoutine;
    thread->StartContext = startContext;
    thread->Win32StartAddress = userStart ? userStart : (void *)startRoutine;
    thread->KernelStackSize = KERNEL_STACK_SIZE;
    thread->SystemThread = userStart == NULL;
    thread->CreateTime = KeQuerySystemTime();
    if (!userStart) {
        KeInitializeThread(&thread->Tcb, stackTop, (UCHAR *)stackTop - KERNEL_STACK_SIZE,
                           PspSystemThreadStartup, thread, &process->Pcb);
    } else {
        // A user thread's trap frame lives at the very top of its kernel stack,
        // where every entry from user mode saves it (TSS.Rsp0, KPCR.RspBase);
        // so its first kernel code runs below that space, never under it.
        KeInitializeThread(&thread->Tcb, (KTRAP_FRAME *)stackTop - 1,
                           (UCHAR *)stackTop - KERNEL_STACK_SIZE, PspUserThreadStartup, thread,
                           &process->Pcb);
        thread->Tcb.InitialStack = thread->Tcb.StackBase = stackTop;
    }
    if (priority)
        thread->Tcb.Priority = thread->Tcb.BasePriority = (CHAR)priority;

    oldIrql = KiAcquireDispatcherLock();
    InsertTailList(&process->ThreadListHead, &thread->ThreadListEntry);
    process->ActiveThreads++;
    KiReleaseDispatcherLock(oldIrql);

    // The running thread holds a reference on itself until it is reaped.
    ObReferenceObject(thread);
    if (clientId)
        *clientId = thread->Cid;
    if (result)
        *result = thread;
    KeReadyThread(&thread->Tcb);
    if (!result)
        ObDereferenceObject(thread);
    return STATUS_SUCCESS;
}

NTSTATUS PsCreateSystemThread(HANDLE *threadHandle, ULONG desiredAccess, void *objectAttributes,
                              HANDLE processHandle, CLIENT_ID *clientId,
                              PKSTART_ROUTINE startRoutine, void *startContext)
{
    if (threadHandle || processHandle)
        return STATUS_INVALID_PARAMETER;    // no handle tables yet
    return PsCreateSystemThreadEx(PsInitialSystemProcess, startRoutine, startContext, 0,
                                  clientId, NULL);
}
