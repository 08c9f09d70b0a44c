// demo=waits: System threads parked in the waits the case studies show, so
// that !thread, !process, !ready, !timer, !dpcs and .thread have something
// real to show and the tests know what to expect. Every object is a named
// global (`x nt!KdDemo*` lists them; `dq nt!KdDemoReplyWaiterThread L1`
// gives a thread's address):
//
//   KdDemoEventWaiter     owns KdDemoMutant, waits on a NotificationEvent
//                         (Executive, KernelMode, Non-Alertable)
//   KdDemoReplyWaiter     waits on a semaphore of limit 1, as an LPC client
//                         waits for its reply (WrLpcReply)
//   KdDemoSleeper         KeDelayExecutionThread for an hour (DelayExecution)
//   KdDemoMultipleWaiter  alertable WaitAny on a SynchronizationEvent and the
//                         mutant the event waiter owns (UserRequest)
//   KdDemoQueueWorker     KeRemoveQueue on an empty queue (WrQueue)
//   KdDemoSpinner         priority 1, busy, on processor 0 only: preempted, so
//                         READY there at the break-in, then waits like the
//                         event waiter
//   zombie.exe            a process whose only thread has ended, kept by a
//                         reference (KdDemoZombieProcess) as a zombie
//   KdDemoDirectoryHandle, KdDemoSleeperHandle: handles in the System process
//                         to \BaseNamedObjects and the sleeper, for !handle
//
// plus a periodic timer with a DPC, and a DPC queued at the break-in.

#include "kd/kd.h"
#include "ps/ps.h"
#include "arch/x86_64/hal.h"

#define KD_DEMO_SLEEP_SECONDS      3600
#define KD_DEMO_TIMER_PERIOD_MS    1000
#define KD_DEMO_SPINNER_PRIORITY   (LOW_PRIORITY + 1)
#define KD_DEMO_SPIN_SECONDS       60
#define KD_DEMO_SETTLE_TICKS       256         // 4 s for the threads to reach their waits
#define HUNDRED_NS_PER_SECOND      10000000LL
#define HUNDRED_NS_PER_MS          10000LL
#define MICROSECONDS_PER_SECOND    1000000ULL

#define KD_DEMO_GLOBAL static __attribute__((used))

KD_DEMO_GLOBAL KEVENT KdDemoNotificationEvent;      // never set
KD_DEMO_GLOBAL KEVENT KdDemoSynchronizationEvent;   // never set
KD_DEMO_GLOBAL KSEMAPHORE KdDemoReplySemaphore;     // the "reply" that never comes
KD_DEMO_GLOBAL KMUTANT KdDemoMutant;
KD_DEMO_GLOBAL KQUEUE KdDemoQueue;                  // always empty
KD_DEMO_GLOBAL KTIMER KdDemoPeriodicTimer;
KD_DEMO_GLOBAL KDPC KdDemoTimerDpc;
KD_DEMO_GLOBAL KDPC KdDemoBreakDpc;
KD_DEMO_GLOBAL volatile ULONG64 KdDemoTimerDpcCount;
KD_DEMO_GLOBAL volatile ULONG64 KdDemoBreakDpcCount;
KD_DEMO_GLOBAL volatile ULONG KdDemoZombieRuns;
KD_DEMO_GLOBAL volatile ULONG64 KdDemoSpinCount;
KD_DEMO_GLOBAL volatile BOOLEAN KdDemoStopSpinning;

KD_DEMO_GLOBAL ETHREAD *KdDemoEventWaiterThread;
KD_DEMO_GLOBAL ETHREAD *KdDemoReplyWaiterThread;
KD_DEMO_GLOBAL ETHREAD *KdDemoSleeperThread;
KD_DEMO_GLOBAL ETHREAD *KdDemoMultipleWaiterThread;
KD_DEMO_GLOBAL ETHREAD *KdDemoQueueWorkerThread;
KD_DEMO_GLOBAL ETHREAD *KdDemoSpinnerThread;
KD_DEMO_GLOBAL ETHREAD *KdDemoZombieThread;
KD_DEMO_GLOBAL EPROCESS *KdDemoZombieProcess;
// Handles the System process holds, for !handle: \BaseNamedObjects, and
// the sleeper thread.
KD_DEMO_GLOBAL HANDLE KdDemoDirectoryHandle;
KD_DEMO_GLOBAL HANDLE KdDemoSleeperHandle;

static void KdDemoEventWaiter(void *context)
{
    KeWaitForSingleObject(&KdDemoMutant, Executive, KernelMode, FALSE, NULL);
    for (;;)
        KeWaitForSingleObject(&KdDemoNotificationEvent, Executive, KernelMode, FALSE, NULL);
}

static void KdDemoReplyWaiter(void *context)
{
    for (;;)
        KeWaitForSingleObject(&KdDemoReplySemaphore, WrLpcReply, KernelMode, FALSE, NULL);
}

static void KdDemoSleeper(void *context)
{
    LARGE_INTEGER interval;

    interval.QuadPart = -KD_DEMO_SLEEP_SECONDS * HUNDRED_NS_PER_SECOND;
    for (;;)
        KeDelayExecutionThread(KernelMode, FALSE, &interval);
}

static void KdDemoMultipleWaiter(void *context)
{
    void *objects[] = { &KdDemoSynchronizationEvent, &KdDemoMutant };

    for (;;)
        KeWaitForMultipleObjects(ARRAYSIZE(objects), objects, WaitAny, UserRequest, KernelMode,
                                 TRUE, NULL, NULL);
}

static void KdDemoQueueWorker(void *context)
{
    for (;;)
        KeRemoveQueue(&KdDemoQueue, KernelMode, NULL);
}

// Busy at the lowest priority until the break-in is over (a minute at most,
// for a boot without one): when the demo's thread wakes it takes the
// processor back, and this one waits READY.
static void KdDemoSpinner(void *context)
{
    ULONG64 deadline = KeTickCount + KD_DEMO_SPIN_SECONDS * MICROSECONDS_PER_SECOND /
                                     CLOCK_TICK_MICROSECONDS;

    while (!KdDemoStopSpinning && KeTickCount < deadline)
        KdDemoSpinCount++;
    for (;;)
        KeWaitForSingleObject(&KdDemoNotificationEvent, Executive, KernelMode, FALSE, NULL);
}

static void KdDemoZombieMain(void *context)
{
    KdDemoZombieRuns++;
}

static void KdDemoTimerDpcRoutine(KDPC *dpc, void *context, void *argument1, void *argument2)
{
    KdDemoTimerDpcCount++;
}

static void KdDemoBreakDpcRoutine(KDPC *dpc, void *context, void *argument1, void *argument2)
{
    KdDemoBreakDpcCount++;
}

static ETHREAD *KdDemoStartThread(EPROCESS *process, PKSTART_ROUTINE routine,
                                  KPRIORITY priority)
{
    ETHREAD *thread = NULL;
    NTSTATUS status = PsCreateSystemThreadEx(process, routine, NULL, priority, NULL, &thread);

    if (!NT_SUCCESS(status)) {
        DbgPrint("Demo: cannot start a thread (status %08x)\n", (ULONG)status);
        return NULL;
    }
    return thread;
}

static BOOLEAN KdDemoIsWaiting(const ETHREAD *thread)
{
    return !thread || thread->Tcb.State == Waiting;
}

static BOOLEAN KdDemoSettled(void)
{
    return KdDemoIsWaiting(KdDemoEventWaiterThread) && KdDemoIsWaiting(KdDemoReplyWaiterThread) &&
           KdDemoIsWaiting(KdDemoSleeperThread) && KdDemoIsWaiting(KdDemoMultipleWaiterThread) &&
           KdDemoIsWaiting(KdDemoQueueWorkerThread) &&
           (!KdDemoZombieThread || KdDemoZombieThread->Tcb.State == Terminated);
}

// Lets the other threads run until `settled` says they are where they
// should be, a tick at a time; FALSE if they never get there.
static BOOLEAN KdDemoWaitUntil(BOOLEAN (*settled)(void))
{
    LARGE_INTEGER tick;

    tick.QuadPart = -(LONG64)KeQueryTimeIncrement();
    for (ULONG i = 0; i < KD_DEMO_SETTLE_TICKS; i++) {
        if (settled())
            return TRUE;
        KeDelayExecutionThread(KernelMode, FALSE, &tick);
    }
    return settled();
}

static BOOLEAN KdDemoMutantOwned(void)
{
    return KdDemoIsWaiting(KdDemoEventWaiterThread);
}

// Runs in a System thread, so the handles go in the System process's table.
static void KdDemoOpenHandles(void)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;

    RtlInitUnicodeString(&name, u"\\BaseNamedObjects");
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    if (!NT_SUCCESS(ObOpenObjectByName(&attributes, ObpDirectoryObjectType, KernelMode,
                                       DIRECTORY_QUERY | DIRECTORY_TRAVERSE, NULL,
                                       &KdDemoDirectoryHandle)))
        DbgPrint("Demo: no handle to \\BaseNamedObjects\n");
    if (KdDemoSleeperThread) {
        ObReferenceObject(KdDemoSleeperThread);
        if (!NT_SUCCESS(ObpCreateHandle(PsInitialSystemProcess, KdDemoSleeperThread,
                                        SYNCHRONIZE, &KdDemoSleeperHandle))) {
            ObDereferenceObject(KdDemoSleeperThread);
            DbgPrint("Demo: no handle to the sleeper thread\n");
        }
    }
}

void KdStartWaitDemo(void)
{
    LARGE_INTEGER dueTime;
    LARGE_INTEGER tick;

    KeInitializeEvent(&KdDemoNotificationEvent, NotificationEvent, FALSE);
    KeInitializeEvent(&KdDemoSynchronizationEvent, SynchronizationEvent, FALSE);
    KeInitializeSemaphore(&KdDemoReplySemaphore, 0, 1);
    KeInitializeMutant(&KdDemoMutant, FALSE);
    KeInitializeQueue(&KdDemoQueue, 0);
    KeInitializeDpc(&KdDemoTimerDpc, KdDemoTimerDpcRoutine, NULL);
    KeInitializeDpc(&KdDemoBreakDpc, KdDemoBreakDpcRoutine, NULL);
    KeInitializeTimerEx(&KdDemoPeriodicTimer, SynchronizationTimer);
    dueTime.QuadPart = -KD_DEMO_TIMER_PERIOD_MS * HUNDRED_NS_PER_MS;
    KeSetTimerEx(&KdDemoPeriodicTimer, dueTime, KD_DEMO_TIMER_PERIOD_MS, &KdDemoTimerDpc);

    // The mutant must be owned before the multiple waiter asks for it.
    KdDemoEventWaiterThread = KdDemoStartThread(NULL, KdDemoEventWaiter, 0);
    KdDemoWaitUntil(KdDemoMutantOwned);
    KdDemoReplyWaiterThread = KdDemoStartThread(NULL, KdDemoReplyWaiter, 0);
    KdDemoSleeperThread = KdDemoStartThread(NULL, KdDemoSleeper, 0);
    KdDemoMultipleWaiterThread = KdDemoStartThread(NULL, KdDemoMultipleWaiter, 0);
    KdDemoQueueWorkerThread = KdDemoStartThread(NULL, KdDemoQueueWorker, 0);
    if (NT_SUCCESS(PspCreateProcess("zombie.exe", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                    &KdDemoZombieProcess)))
        KdDemoZombieThread = KdDemoStartThread(KdDemoZombieProcess, KdDemoZombieMain, 0);
    KdDemoOpenHandles();
    KdDemoSpinnerThread = KdDemoStartThread(NULL, KdDemoSpinner, KD_DEMO_SPINNER_PRIORITY);
    // On processor 0 only, where the break-in happens: with several
    // processors it would otherwise run on an idle one and be RUNNING there,
    // not READY behind the thread that breaks in.
    if (KdDemoSpinnerThread)
        KeSetAffinityThread(&KdDemoSpinnerThread->Tcb, 1);
    if (!KdDemoWaitUntil(KdDemoSettled))
        DbgPrint("Demo: not every thread reached its wait\n");
    // Sleep once more so the spinner runs and is preempted when we wake.
    tick.QuadPart = -2 * (LONG64)KeQueryTimeIncrement();
    KeDelayExecutionThread(KernelMode, FALSE, &tick);
    DbgPrint("Demo: threads in known waits; x nt!KdDemo* lists them\n");
}

void KdDemoBreakPoint(void)
{
    KIRQL oldIrql = KfRaiseIrql(DISPATCH_LEVEL);

    KeInsertQueueDpc(&KdDemoBreakDpc, NULL, NULL);
    DbgBreakPoint();
    KdDemoStopSpinning = TRUE;
    KeLowerIrql(oldIrql);
}
