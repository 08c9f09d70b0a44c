// The process manager's start: the Idle process, whose one thread is the
// boot thread itself (Cid 0.0, priority 0, it runs when nothing else can),
// and the System process (Cid 4), home of every kernel thread.

#include "ps/ps.h"
#include "mm/mm.h"

EPROCESS *PsInitialSystemProcess;
EPROCESS *PsIdleProcess;
static ETHREAD *PspIdleThread;

extern UCHAR KiBootStack[];
extern UCHAR KiBootStackTop[];

void PspInitializeTypes(void);
void PspInitializeReaper(void);
void PspInitializeUserExceptions(void);

void PsInitSystem(void)
{
    KPRCB *prcb = KeGetCurrentPrcb();
    KIRQL oldIrql;

    PspInitializeTypes();
    PspInitializeReaper();
    PspInitializeUserExceptions();

    // Idle: not in the Cid table; its id is 0, as NT shows it.
    if (!NT_SUCCESS(ObCreateObject(PsProcessType, sizeof(EPROCESS), (void **)&PsIdleProcess)) ||
        !NT_SUCCESS(ObCreateObject(PsThreadType, sizeof(ETHREAD), (void **)&PspIdleThread)))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 1, 0, 0, 0);
    KeInitializeProcess(&PsIdleProcess->Pcb, LOW_PRIORITY);
    InitializeListHead(&PsIdleProcess->ThreadListHead);
    RtlStringPrintf(PsIdleProcess->ImageFileName, sizeof(PsIdleProcess->ImageFileName), "Idle");
    KeAcquireSpinLock(&PspActiveProcessLock, &oldIrql);
    InsertTailList(&PsActiveProcessHead, &PsIdleProcess->ActiveProcessLinks);
    KeReleaseSpinLock(&PspActiveProcessLock, oldIrql);

    KeInitializeThread(&PspIdleThread->Tcb, KiBootStackTop, KiBootStack + PAGE_SIZE, NULL, NULL,
                       &PsIdleProcess->Pcb);
    PspIdleThread->ThreadsProcess = PsIdleProcess;
    PspIdleThread->StartAddress = NULL;
    InitializeListHead(&PspIdleThread->IrpList);
    InsertTailList(&PsIdleProcess->ThreadListHead, &PspIdleThread->ThreadListEntry);
    PsIdleProcess->ActiveThreads = 1;
    PspIdleThread->Tcb.Priority = PspIdleThread->Tcb.BasePriority = LOW_PRIORITY;
    PspIdleThread->Tcb.State = Running;
    PspIdleThread->Tcb.Affinity = PspIdleThread->Tcb.UserAffinity = prcb->SetMember;
    prcb->CurrentThread = &PspIdleThread->Tcb;
    prcb->IdleThread = &PspIdleThread->Tcb;

    if (!NT_SUCCESS(PspCreateProcess("System", NULL, NORMAL_BASE_PRIORITY,
                                     &PsInitialSystemProcess)))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 2, 0, 0, 0);
}

// An application processor's idle thread, in the Idle process as the boot
// processor's is (NT lists one per processor there, each Cid 0.0). It runs
// on `stackTop`, the stack the processor starts on. NULL when out of memory.
KTHREAD *PsCreateIdleThread(void *stackTop, void *stackLimit)
{
    ETHREAD *thread;
    KIRQL oldIrql;

    if (!NT_SUCCESS(ObCreateObject(PsThreadType, sizeof(ETHREAD), (void **)&thread)))
        return NULL;
    KeInitializeThread(&thread->Tcb, stackTop, stackLimit, NULL, NULL, &PsIdleProcess->Pcb);
    thread->ThreadsProcess = PsIdleProcess;
    thread->StartAddress = NULL;
    InitializeListHead(&thread->IrpList);
    thread->Tcb.Priority = thread->Tcb.BasePriority = LOW_PRIORITY;
    thread->Tcb.State = Running;
    oldIrql = KiAcquireDispatcherLock();
    InsertTailList(&PsIdleProcess->ThreadListHead, &thread->ThreadListEntry);
    PsIdleProcess->ActiveThreads++;
    KiReleaseDispatcherLock(oldIrql);
    return &thread->Tcb;
}
