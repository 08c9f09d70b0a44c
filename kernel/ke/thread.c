// Kernel threads: preparing one to run, starting it, ending it.

#include "ke/ke.h"
#include "arch/x86_64/x86.h"

#define THREAD_START_FLAGS (EFLAGS_IF | 0x2)   // interrupts on; bit 1 is always set
#define SWAP_FRAME_QWORDS 8                   // r15..r12, rbx, rbp, rflags, return

void KiThreadStartup(void);     // ctxswap.asm
void KiInitializeSuspend(KTHREAD *thread);  // suspend.c
static ULONG KiThreadNumber;

void KeInitializeProcess(KPROCESS *process, KPRIORITY basePriority)
{
    process->Header.Type = ProcessObject;
    process->Header.Size = sizeof(KPROCESS) / sizeof(LONG64);
    process->Header.SignalState = 0;
    InitializeListHead(&process->Header.WaitListHead);
    InitializeListHead(&process->ProfileListHead);
    InitializeListHead(&process->ThreadListHead);
    process->BasePriority = basePriority;
    process->QuantumReset = THREAD_QUANTUM;
    process->DirectoryTableBase = __readcr3();
    process->ActiveThreads = 0;
    process->Affinity = ~0ULL;      // every processor, whenever it starts
    process->ThreadSeed = 0;
}

void KeInitializeThread(KTHREAD *thread, void *kernelStackTop, void *stackLimit,
                        PKSTART_ROUTINE startRoutine, void *startContext, KPROCESS *process)
{
    ULONG64 *stack = (ULONG64 *)ALIGN_DOWN_BY(kernelStackTop, 16);
    KIRQL oldIrql;

    thread->Header.Type = ThreadObject;
    thread->Header.Size = sizeof(KTHREAD) / sizeof(LONG64);
    thread->Header.SignalState = 0;
    InitializeListHead(&thread->Header.WaitListHead);
    thread->InitialStack = stack;
    thread->StackBase = kernelStackTop;
    thread->StackLimit = stackLimit;
    thread->State = Initialized;
    thread->Process = process;
    thread->BasePriority = (CHAR)process->BasePriority;
    thread->Priority = (CHAR)process->BasePriority;
    thread->Quantum = THREAD_QUANTUM;
    thread->ApcQueueable = TRUE;
    InitializeListHead(&thread->ApcState.ApcListHead[KernelMode]);
    InitializeListHead(&thread->ApcState.ApcListHead[UserMode]);
    thread->ApcState.Process = process;
    InitializeListHead(&thread->MutantListHead);
    KeInitializeTimer(&thread->Timer);
    KiInitializeSuspend(thread);
    thread->ThreadNumber = ++KiThreadNumber;
    thread->Affinity = thread->UserAffinity = process->Affinity;
    thread->SystemAffinityActive = FALSE;
    thread->SwapBusy = FALSE;
    thread->NextProcessor = 0;

    // The frame KiSwapContext pops when it first switches to the thread.
    if (startRoutine) {
        stack -= SWAP_FRAME_QWORDS;
        stack[0] = 0;                           // r15
        stack[1] = 0;                           // r14
        stack[2] = (ULONG64)startContext;       // r13
        stack[3] = (ULONG64)startRoutine;       // r12
        stack[4] = 0;                           // rbx
        stack[5] = 0;                           // rbp
        stack[6] = THREAD_START_FLAGS;          // rflags
        stack[7] = (ULONG64)KiThreadStartup;    // return address
        thread->KernelStack = stack;
    }

    oldIrql = KiAcquireDispatcherLock();
    // Ideal processors go round robin within the process, as NT's seed.
    thread->IdealProcessor = (UCHAR)(process->ThreadSeed++ % KeNumberProcessors);
    InsertTailList(&process->ThreadListHead, &thread->ThreadListEntry);
    process->ActiveThreads++;
    KiReleaseDispatcherLock(oldIrql);
}

// Where a new thread starts (from KiThreadStartup), at DISPATCH_LEVEL as
// every switch leaves the processor.
void KiStartThread(PKSTART_ROUTINE startRoutine, void *startContext) __attribute__((noreturn));
void KiStartThread(PKSTART_ROUTINE startRoutine, void *startContext)
{
    KeLowerIrql(PASSIVE_LEVEL);
    startRoutine(startContext);
    // The process manager's start routines end the thread themselves.
    KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, (ULONG)STATUS_UNSUCCESSFUL,
                 (ULONG64)startRoutine, 0, 0);
}

void KeReadyThread(KTHREAD *thread)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();

    KiReadyThread(thread);
    KiReleaseDispatcherLock(oldIrql);
}

// The current thread ends here: it becomes signaled (waking whoever waits for
// it), its mutants are abandoned, it leaves its queue, and the processor
// moves on. The caller has queued whatever frees the stack; it runs once
// this thread is off the processor.
void KeTerminateThread(KPRIORITY increment)
{
    KTHREAD *thread = KeGetCurrentThread();
    KPROCESS *process = thread->Process;

    KiAcquireDispatcherLock();
    thread->ApcQueueable = FALSE;
    thread->Terminated = TRUE;
    KiAbandonMutants(thread);
    if (thread->Queue) {
        RemoveEntryList(&thread->QueueListEntry);
        KiActivateWaiterQueue(thread->Queue);
        thread->Queue = NULL;
    }
    thread->Header.SignalState = 1;
    if (!IsListEmpty(&thread->Header.WaitListHead))
        KiWaitTest(&thread->Header, increment);
    if (--process->ActiveThreads == 0) {
        process->Header.SignalState = 1;
        if (!IsListEmpty(&process->Header.WaitListHead))
            KiWaitTest(&process->Header, increment);
    }
    thread->State = Terminated;
    KiSwapThread();
    KeBugCheckEx(INVALID_DATA_ACCESS_TRAP, (ULONG64)thread, 0, 0, 0);   // never resumes
}
