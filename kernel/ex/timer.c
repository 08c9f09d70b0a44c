// Timer objects: an ETIMER around the kernel's KTIMER. NtSetTimer may name
// an APC routine: when the timer expires its DPC queues a user-mode APC to
// the thread that set it (again each period), and the routine runs the
// next time that thread waits alertably.
//
// While an APC is set, the timer holds a reference on itself (so that
// closing the last handle does not pull it from under its DPC and APC) and
// sits on ExpActiveTimerListHead, where ExTimerRundown finds the timers of
// a thread that ends. The reference goes when the APC is cancelled, runs
// for a one-shot timer, or is run down.
//
// Locks: timer->Lock, then ExpActiveTimerListLock or the dispatcher lock.

#include "ex/ex.h"
#include "ps/ps.h"
#include "mm/mm.h"

#define TIMER_TAG POOL_TAG('T', 'i', 'm', 'e')

OBJECT_TYPE *ExTimerType;
static LIST_ENTRY ExpActiveTimerListHead;
static KSPIN_LOCK ExpActiveTimerListLock;

// Ends the APC association: the pending DPC and APC are taken back and the
// timer leaves the active list. Returns TRUE when the caller must drop the
// timer's reference on itself (after releasing timer->Lock). Caller holds
// timer->Lock.
static BOOLEAN ExpDisassociateApc(ETIMER *timer)
{
    KIRQL oldIrql;

    if (!timer->ApcAssociated)
        return FALSE;
    KeRemoveQueueDpc(&timer->TimerDpc);
    KeRemoveQueueApc(&timer->TimerApc);
    KeAcquireSpinLock(&ExpActiveTimerListLock, &oldIrql);
    RemoveEntryList(&timer->ActiveTimerListEntry);
    KeReleaseSpinLock(&ExpActiveTimerListLock, oldIrql);
    timer->ApcAssociated = FALSE;
    timer->ApcThread = NULL;
    return TRUE;
}

// The APC's kernel routine, in the target thread just before the user's
// routine runs: a one-shot timer (not armed again since) is done with it.
static void ExpTimerApcRoutine(KAPC *apc, PKNORMAL_ROUTINE *normalRoutine, void **normalContext,
                               void **systemArgument1, void **systemArgument2)
{
    ETIMER *timer = CONTAINING_RECORD(apc, ETIMER, TimerApc);
    BOOLEAN dereference = FALSE;
    KIRQL oldIrql;

    KeAcquireSpinLock(&timer->Lock, &oldIrql);
    if (timer->ApcAssociated && timer->Period == 0 && !timer->KeTimer.Header.Inserted)
        dereference = ExpDisassociateApc(timer);
    KeReleaseSpinLock(&timer->Lock, oldIrql);
    if (dereference)
        ObDereferenceObject(timer);
}

// The thread's APC queue is being flushed without running it.
static void ExpTimerApcRundown(KAPC *apc)
{
    ETIMER *timer = CONTAINING_RECORD(apc, ETIMER, TimerApc);

    ExpCancelTimer(timer);
}

// The timer expired: queue the APC to its thread. If the last one has not
// run yet, this period's is lost, as on NT.
static void ExpTimerDpcRoutine(KDPC *dpc, void *context, void *argument1, void *argument2)
{
    ETIMER *timer = context;

    KeAcquireSpinLockAtDpcLevel(&timer->Lock);
    if (timer->ApcAssociated) {
        LARGE_INTEGER now = KeQuerySystemTime();

        KeInsertQueueApc(&timer->TimerApc, (void *)(ULONG_PTR)now.LowPart,
                         (void *)(LONG_PTR)now.HighPart, 0);
    }
    KeReleaseSpinLockFromDpcLevel(&timer->Lock);
}

static void ExpDeleteTimer(void *object)
{
    ETIMER *timer = object;

    KeCancelTimer(&timer->KeTimer);
    KeRemoveQueueDpc(&timer->TimerDpc);
}

void ExpInitializeTimerImplementation(void)
{
    static const OBJECT_TYPE_INITIALIZER initializer = {
        .PoolTag = TIMER_TAG,
        .ValidAccessMask = TIMER_ALL_ACCESS,
        .GenericMapping = {STANDARD_RIGHTS_READ | TIMER_QUERY_STATE,
                           STANDARD_RIGHTS_WRITE | TIMER_MODIFY_STATE,
                           STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE, TIMER_ALL_ACCESS},
        .Waitable = TRUE,
        .DeleteProcedure = ExpDeleteTimer,
    };

    InitializeListHead(&ExpActiveTimerListHead);
    KeInitializeSpinLock(&ExpActiveTimerListLock);
    if (!NT_SUCCESS(ObCreateObjectType("Timer", &initializer, &ExTimerType)))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x0E, 4, 0, 0);
}

BOOLEAN ExpSetTimer(ETIMER *timer, LARGE_INTEGER dueTime, PTIMER_APC_ROUTINE apcRoutine,
                    void *timerContext, LONG period)
{
    BOOLEAN dereference, state;
    KIRQL oldIrql, listIrql;

    KeAcquireSpinLock(&timer->Lock, &oldIrql);
    state = KeReadStateTimer(&timer->KeTimer);
    dereference = ExpDisassociateApc(timer);
    timer->Period = period;
    if (apcRoutine) {
        ETHREAD *thread = PsGetCurrentThread();

        // The routine is a user-mode address, called in user mode with the
        // APC's arguments: (TimerContext, low part, high part of the time).
        KeInitializeApc(&timer->TimerApc, &thread->Tcb, CurrentApcEnvironment,
                        ExpTimerApcRoutine, ExpTimerApcRundown,
                        (PKNORMAL_ROUTINE)(void (*)(void))apcRoutine, UserMode, timerContext);
        timer->ApcThread = thread;
        timer->ApcAssociated = TRUE;
        KeAcquireSpinLock(&ExpActiveTimerListLock, &listIrql);
        InsertTailList(&ExpActiveTimerListHead, &timer->ActiveTimerListEntry);
        KeReleaseSpinLock(&ExpActiveTimerListLock, listIrql);
        // The old association's reference carries over to the new one.
        if (dereference)
            dereference = FALSE;
        else
            ObReferenceObject(timer);
    }
    KeSetTimerEx(&timer->KeTimer, dueTime, period, apcRoutine ? &timer->TimerDpc : NULL);
    KeReleaseSpinLock(&timer->Lock, oldIrql);
    if (dereference)
        ObDereferenceObject(timer);
    return state;
}

BOOLEAN ExpCancelTimer(ETIMER *timer)
{
    BOOLEAN dereference, state;
    KIRQL oldIrql;

    KeAcquireSpinLock(&timer->Lock, &oldIrql);
    KeCancelTimer(&timer->KeTimer);
    dereference = ExpDisassociateApc(timer);
    state = KeReadStateTimer(&timer->KeTimer);
    KeReleaseSpinLock(&timer->Lock, oldIrql);
    if (dereference)
        ObDereferenceObject(timer);
    return state;
}

void ExTimerRundown(ETHREAD *thread)
{
    for (;;) {
        ETIMER *timer = NULL;
        KIRQL oldIrql;

        KeAcquireSpinLock(&ExpActiveTimerListLock, &oldIrql);
        for (LIST_ENTRY *entry = ExpActiveTimerListHead.Flink; entry != &ExpActiveTimerListHead;
             entry = entry->Flink) {
            ETIMER *candidate = CONTAINING_RECORD(entry, ETIMER, ActiveTimerListEntry);

            if (candidate->ApcThread == thread) {
                timer = candidate;
                ObReferenceObject(timer);
                break;
            }
        }
        KeReleaseSpinLock(&ExpActiveTimerListLock, oldIrql);
        if (!timer)
            return;
        ExpCancelTimer(timer);
        ObDereferenceObject(timer);
    }
}

NTSTATUS ExpCreateTimerObject(TIMER_TYPE timerType, ETIMER **result)
{
    ETIMER *timer;
    NTSTATUS status = ObCreateObject(ExTimerType, sizeof(ETIMER), (void **)&timer);

    if (!NT_SUCCESS(status))
        return status;
    KeInitializeTimerEx(&timer->KeTimer, timerType);
    KeInitializeDpc(&timer->TimerDpc, ExpTimerDpcRoutine, timer);
    KeInitializeSpinLock(&timer->Lock);
    *result = timer;
    return STATUS_SUCCESS;
}

NTSTATUS NtCreateTimer(HANDLE *timerHandle, ACCESS_MASK desiredAccess,
                       OBJECT_ATTRIBUTES *objectAttributes, TIMER_TYPE timerType)
{
    OB_CAPTURED_ATTRIBUTES captured;
    ETIMER *timer;
    NTSTATUS status = ObProbeHandleOut(timerHandle);

    if (!NT_SUCCESS(status))
        return status;
    if (timerType != NotificationTimer && timerType != SynchronizationTimer)
        return STATUS_INVALID_PARAMETER_4;
    status = ObCaptureObjectAttributes(objectAttributes, &captured);
    if (NT_SUCCESS(status))
        status = ExpCreateTimerObject(timerType, &timer);
    if (NT_SUCCESS(status))
        status = ObInsertObjectForUser(timer, &captured, desiredAccess, timerHandle);
    ObReleaseObjectAttributes(&captured);
    return status;
}

NTSTATUS NtOpenTimer(HANDLE *timerHandle, ACCESS_MASK desiredAccess,
                     OBJECT_ATTRIBUTES *objectAttributes)
{
    return ObOpenObjectForUser(timerHandle, ExTimerType, desiredAccess, objectAttributes);
}

// DueTime as every NT time: negative relative in 100 ns, positive absolute
// system time. Period in milliseconds (0: once). There is no power
// management to resume from, so ResumeTimer gives
// STATUS_TIMER_RESUME_IGNORED, a success.
NTSTATUS NtSetTimer(HANDLE timerHandle, LARGE_INTEGER *dueTime,
                    PTIMER_APC_ROUTINE timerApcRoutine, void *timerContext,
                    BOOLEAN resumeTimer, LONG period, BOOLEAN *previousState)
{
    LARGE_INTEGER due;
    ETIMER *timer;
    BOOLEAN state;
    NTSTATUS status;

    if (period < 0)
        return STATUS_INVALID_PARAMETER_6;
    status = ProbeForRead(dueTime, sizeof(*dueTime), sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&due, dueTime, sizeof(due));
    if (NT_SUCCESS(status))
        status = ExpProbeOptionalOut(previousState, sizeof(BOOLEAN));
    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(timerHandle, TIMER_MODIFY_STATE, ExTimerType,
                                       (void **)&timer, NULL);
    if (!NT_SUCCESS(status))
        return status;
    state = ExpSetTimer(timer, due, timerApcRoutine, timerContext, period);
    ObDereferenceObject(timer);
    status = resumeTimer ? STATUS_TIMER_RESUME_IGNORED : STATUS_SUCCESS;
    if (previousState) {
        NTSTATUS copyStatus = MmCopyToUser(previousState, &state, sizeof(state));

        if (!NT_SUCCESS(copyStatus))
            status = copyStatus;
    }
    return status;
}

NTSTATUS NtCancelTimer(HANDLE timerHandle, BOOLEAN *currentState)
{
    ETIMER *timer;
    BOOLEAN state;
    NTSTATUS status = ExpProbeOptionalOut(currentState, sizeof(BOOLEAN));

    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(timerHandle, TIMER_MODIFY_STATE, ExTimerType,
                                       (void **)&timer, NULL);
    if (!NT_SUCCESS(status))
        return status;
    state = ExpCancelTimer(timer);
    ObDereferenceObject(timer);
    if (currentState)
        status = MmCopyToUser(currentState, &state, sizeof(state));
    return status;
}

// RemainingTime: 100-ns units until the timer expires, 0 when it is not armed.
NTSTATUS NtQueryTimer(HANDLE timerHandle, ULONG timerInformationClass, void *timerInformation,
                      ULONG timerInformationLength, ULONG *returnLength)
{
    TIMER_BASIC_INFORMATION info;
    ETIMER *timer;
    KIRQL oldIrql;
    NTSTATUS status = ExpCheckQueryBuffer(timerInformationClass, timerInformationLength,
                                          sizeof(info), timerInformation, returnLength);

    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(timerHandle, TIMER_QUERY_STATE, ExTimerType,
                                       (void **)&timer, NULL);
    if (!NT_SUCCESS(status))
        return status;
    memset(&info, 0, sizeof(info));
    oldIrql = KiAcquireDispatcherLock();
    if (timer->KeTimer.Header.Inserted && timer->KeTimer.DueTime > KeTickCount)
        info.RemainingTime.QuadPart = (LONGLONG)(timer->KeTimer.DueTime - KeTickCount) *
                                      KeQueryTimeIncrement();
    info.TimerState = KeReadStateTimer(&timer->KeTimer);
    KiReleaseDispatcherLock(oldIrql);
    ObDereferenceObject(timer);
    return ExpReturnQueryBuffer(timerInformation, &info, sizeof(info), returnLength);
}
