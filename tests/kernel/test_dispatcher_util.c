// Helpers for the dispatcher tests: starting and joining threads, bounded
// waits and polls, and the reaper's lag. See test_dispatcher.h.

#include "tests/kernel/test_dispatcher.h"

#define HUNDRED_NS_PER_MS 10000
#define HUNDRED_NS_PER_TICK 156250
#define KT_POLL_LIMIT_TICKS                                                                \
    ((KT_WAIT_LIMIT_MS * HUNDRED_NS_PER_MS + HUNDRED_NS_PER_TICK - 1) / HUNDRED_NS_PER_TICK)
#define KT_APC_TAG POOL_TAG('K', 't', 'A', 'p')

LARGE_INTEGER KtWaitLimit = {.QuadPart = -(LONG64)KT_WAIT_LIMIT_MS * HUNDRED_NS_PER_MS};
LARGE_INTEGER KtZeroTimeout = {.QuadPart = 0};

LARGE_INTEGER KtRelativeTime(LONG milliseconds)
{
    LARGE_INTEGER interval;

    interval.QuadPart = -(LONG64)milliseconds * HUNDRED_NS_PER_MS;
    return interval;
}

void KtSleep(LONG milliseconds)
{
    LARGE_INTEGER interval = KtRelativeTime(milliseconds);

    KeDelayExecutionThread(KernelMode, FALSE, &interval);
}

void KtSleepTicks(ULONG ticks)
{
    LARGE_INTEGER interval;

    interval.QuadPart = -(LONG64)ticks * HUNDRED_NS_PER_TICK;
    KeDelayExecutionThread(KernelMode, FALSE, &interval);
}

NTSTATUS KtWait(void *object)
{
    return KeWaitForSingleObject(object, Executive, KernelMode, FALSE, &KtWaitLimit);
}

NTSTATUS KtPoll(void *object)
{
    return KeWaitForSingleObject(object, Executive, KernelMode, FALSE, &KtZeroTimeout);
}

void KtCountingApcRoutine(KAPC *apc, PKNORMAL_ROUTINE *normalRoutine, void **normalContext,
                          void **systemArgument1, void **systemArgument2)
{
    (*(volatile LONG *)*systemArgument1)++;
}

NTSTATUS KtProbeMutant(KMUTANT *mutant)
{
    NTSTATUS status = KtPoll(mutant);

    if (status == STATUS_WAIT_0 || status == STATUS_ABANDONED_WAIT_0)
        KeReleaseMutantEx(mutant, IO_NO_INCREMENT, FALSE, NULL);
    return status;
}

ETHREAD *KtStartThread(PKSTART_ROUTINE routine, void *context, KPRIORITY priority)
{
    ETHREAD *thread = NULL;

    if (!NT_SUCCESS(PsCreateSystemThreadEx(NULL, routine, context, priority, NULL, &thread))) {
        KtFail(__FILE__, __LINE__, "PsCreateSystemThreadEx to succeed");
        return NULL;
    }
    return thread;
}

// The APC is the thread's to free: nobody else knows when it has run.
static void KtTerminateApc(KAPC *apc, PKNORMAL_ROUTINE *normalRoutine, void **normalContext,
                           void **systemArgument1, void **systemArgument2)
{
    ExFreePoolWithTag(apc, KT_APC_TAG);
    PsTerminateSystemThread(STATUS_THREAD_IS_TERMINATING);
}

BOOLEAN KtTerminateThread(ETHREAD *thread)
{
    KAPC *apc = ExAllocatePoolWithTag(NonPagedPool, sizeof(KAPC), KT_APC_TAG);

    if (!apc)
        return FALSE;
    KeInitializeApc(apc, &thread->Tcb, OriginalApcEnvironment, KtTerminateApc, NULL, NULL,
                    KernelMode, NULL);
    if (!KeInsertQueueApc(apc, NULL, NULL, IO_NO_INCREMENT)) {
        ExFreePoolWithTag(apc, KT_APC_TAG);
        return FALSE;
    }
    return TRUE;
}

BOOLEAN KtJoinThread(ETHREAD *thread)
{
    if (!thread)
        return FALSE;
    if (KeWaitForSingleObject(&thread->Tcb, Executive, KernelMode, FALSE, &KtWaitLimit) ==
        STATUS_WAIT_0) {
        ObDereferenceObject(thread);
        return TRUE;
    }
    KtFail(__FILE__, __LINE__, "a test thread to end within the wait limit");
    DbgPrint("KTEST thread %p (Cid %p) did not end; terminating it\n", thread,
             thread->Cid.UniqueThread);
    // If it will not end even so, its reference is kept: it may still be
    // using memory the test owns.
    if (KtTerminateThread(thread) &&
        KeWaitForSingleObject(&thread->Tcb, Executive, KernelMode, FALSE, &KtWaitLimit) ==
            STATUS_WAIT_0)
        ObDereferenceObject(thread);
    return FALSE;
}

BOOLEAN KtIsWaitingOn(ETHREAD *thread, void *object)
{
    DISPATCHER_HEADER *header = object;
    KIRQL oldIrql = KiAcquireDispatcherLock();
    BOOLEAN found = FALSE;

    for (LIST_ENTRY *entry = header->WaitListHead.Flink; entry != &header->WaitListHead;
         entry = entry->Flink) {
        if (CONTAINING_RECORD(entry, KWAIT_BLOCK, WaitListEntry)->Thread == &thread->Tcb) {
            found = thread->Tcb.State == Waiting;
            break;
        }
    }
    KiReleaseDispatcherLock(oldIrql);
    return found;
}

BOOLEAN KtWaitUntilWaitingOn(ETHREAD *thread, void *object)
{
    if (!thread)
        return FALSE;
    for (ULONG i = 0; i < KT_POLL_LIMIT_TICKS; i++) {
        if (KtIsWaitingOn(thread, object))
            return TRUE;
        KtSleepTicks(1);
    }
    KtFail(__FILE__, __LINE__, "a test thread to reach its wait");
    return FALSE;
}

BOOLEAN KtWaitUntilEqual(volatile LONG *value, LONG expected)
{
    for (ULONG i = 0; i < KT_POLL_LIMIT_TICKS; i++) {
        if (*value == expected)
            return TRUE;
        KtSleepTicks(1);
    }
    return *value == expected;
}

ULONG KtWaitListLength(void *object)
{
    DISPATCHER_HEADER *header = object;
    KIRQL oldIrql = KiAcquireDispatcherLock();
    ULONG length = 0;

    for (LIST_ENTRY *entry = header->WaitListHead.Flink; entry != &header->WaitListHead;
         entry = entry->Flink)
        length++;
    KiReleaseDispatcherLock(oldIrql);
    return length;
}

static void KtWaiterRoutine(void *context)
{
    KT_WAITER *waiter = context;

    waiter->Status = KtWait(waiter->Object);
    if (waiter->Sequence)
        waiter->Order = __atomic_add_fetch(waiter->Sequence, 1, __ATOMIC_SEQ_CST);
    waiter->Done = 1;
}

BOOLEAN KtStartWaiter(KT_WAITER *waiter, void *object, KPRIORITY priority,
                      volatile LONG *sequence)
{
    memset(waiter, 0, sizeof(*waiter));
    waiter->Object = object;
    waiter->Sequence = sequence;
    waiter->Status = STATUS_PENDING;
    waiter->Thread = KtStartThread(KtWaiterRoutine, waiter, priority);
    return KtWaitUntilWaitingOn(waiter->Thread, object);
}

LONG KtCountDone(KT_WAITER *waiters, ULONG count)
{
    LONG done = 0;

    for (ULONG i = 0; i < count; i++)
        done += waiters[i].Done;
    return done;
}

PFN_NUMBER KtKernelStackPages(void)
{
    MM_STATISTICS statistics;

    MmQueryStatistics(&statistics);
    return statistics.PagesByUsage[MmUsageKernelStack];
}

BOOLEAN KtWaitForKernelStackPages(PFN_NUMBER expected)
{
    for (ULONG i = 0; i < KT_POLL_LIMIT_TICKS; i++) {
        if (KtKernelStackPages() == expected)
            return TRUE;
        KtSleepTicks(1);
    }
    return KtKernelStackPages() == expected;
}

ULONG KtPoolTagCount(ULONG tag)
{
    ULONG allocations;
    SIZE_T bytes;

    ExQueryPoolTagUsage(tag, &allocations, &bytes);
    return allocations;
}

BOOLEAN KtWaitForPointerCount(void *object, LONG_PTR expected)
{
    for (ULONG i = 0; i < KT_POLL_LIMIT_TICKS; i++) {
        if (ObGetObjectPointerCount(object) == expected)
            return TRUE;
        KtSleepTicks(1);
    }
    return ObGetObjectPointerCount(object) == expected;
}

BOOLEAN KtIsObjectOfType(void *object, OBJECT_TYPE *type)
{
    OBJECT_HEADER *header = OBJECT_TO_OBJECT_HEADER(object);
    BOOLEAN found = FALSE;
    KIRQL oldIrql;

    KeAcquireSpinLock(&type->Lock, &oldIrql);
    for (LIST_ENTRY *entry = type->TypeList.Flink; entry != &type->TypeList && !found;
         entry = entry->Flink)
        found = CONTAINING_RECORD(entry, OBJECT_HEADER, TypeListEntry) == header;
    KeReleaseSpinLock(&type->Lock, oldIrql);
    return found;
}
