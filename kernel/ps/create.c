// Creating processes and system threads, and the object delete routines
// that free them once the last reference is gone.

#include "ps/ps.h"
#include "mm/mm.h"
#include "se/se.h"
#include "arch/x86_64/x86.h"

OBJECT_TYPE *PsProcessType;
OBJECT_TYPE *PsThreadType;
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
    SeDeletePrimaryToken(process);
    MmSessionRemoveProcess(process);
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

// Process and Thread are real types, named in \ObjectTypes, with NT's
// access rights and generic mappings (XP's values), and waitable: a process
// is signaled when its last thread has ended, a thread when it has.
void PspInitializeTypes(void)
{
    static const OBJECT_TYPE_INITIALIZER processType = {
        .PoolTag = PROCESS_TAG,
        .ValidAccessMask = PROCESS_ALL_ACCESS,
        .GenericMapping = {STANDARD_RIGHTS_READ | PROCESS_VM_READ | PROCESS_QUERY_INFORMATION,
                           STANDARD_RIGHTS_WRITE | PROCESS_CREATE_PROCESS |
                               PROCESS_CREATE_THREAD | PROCESS_VM_OPERATION |
                               PROCESS_VM_WRITE | PROCESS_DUP_HANDLE | PROCESS_TERMINATE |
                               PROCESS_SET_QUOTA | PROCESS_SET_INFORMATION |
                               PROCESS_SUSPEND_RESUME,
                           STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE,
                           PROCESS_ALL_ACCESS},
        .Waitable = TRUE,
        .SecurityRequired = TRUE,
        .DeleteProcedure = PspDeleteProcess,
    };
    static const OBJECT_TYPE_INITIALIZER threadType = {
        .PoolTag = THREAD_TAG,
        .ValidAccessMask = THREAD_ALL_ACCESS,
        .GenericMapping = {STANDARD_RIGHTS_READ | THREAD_GET_CONTEXT | THREAD_QUERY_INFORMATION,
                           STANDARD_RIGHTS_WRITE | THREAD_TERMINATE | THREAD_SUSPEND_RESUME |
                               THREAD_ALERT | THREAD_SET_INFORMATION | THREAD_SET_CONTEXT,
                           STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE,
                           THREAD_ALL_ACCESS},
        .Waitable = TRUE,
        .SecurityRequired = TRUE,
        .DeleteProcedure = PspDeleteThread,
    };

    if (!NT_SUCCESS(ObCreateObjectType("Process", &processType, &PsProcessType)) ||
        !NT_SUCCESS(ObCreateObjectType("Thread", &threadType, &PsThreadType)))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 3, 0, 0, 0);
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
    KeInitializeSpinLock(&process->AlpcContext.Lock);
    InitializeListHead(&process->AlpcContext.PortListHead);
    // Self-linked, so a creation that fails before the insert can still be deleted.
    InitializeListHead(&process->ActiveProcessLinks);
    RtlStringPrintf(process->ImageFileName, sizeof(process->ImageFileName), "%s", imageName);
    process->CreateTime = KeQuerySystemTime();
    process->ExitStatus = STATUS_PENDING;      // what NT reports while it runs
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
    // Its creator's session; the System process's children start session 0.
    if (NT_SUCCESS(status) && parent)
        status = MmSessionAddProcess(process, parent->Session ? parent->SessionId : 0);
    if (NT_SUCCESS(status))
        status = ObInitProcess(parent, process);
    // Its identity: a copy of its parent's primary token (System: SYSTEM's).
    if (NT_SUCCESS(status))
        status = SeAssignPrimaryToken(parent, process);
    // Who may open it: a descriptor from its creator's token, as NT's
    // (SYSTEM's default DACL: SYSTEM everything, Administrators read).
    if (NT_SUCCESS(status))
        status = ObAssignObjectSecurity(process);
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

