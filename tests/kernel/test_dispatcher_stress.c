// Stress: hundreds of threads at mixed priorities contend for a mutant, a
// semaphore and an auto-reset event through tens of thousands of waits.
// Every wait must succeed, mutual exclusion must hold, and once the threads
// have ended every pool tag, kernel stack page and client id is back where
// it was.

#include "tests/kernel/test_dispatcher.h"
#include "mm/pool.h"

#define KT_STRESS_THREADS 256
#define KT_STRESS_ROUNDS 40
#define KT_STRESS_SLOTS 3           // the semaphore's limit
#define KT_STRESS_TIMED_EVERY 16    // every so many rounds, a wait that times out
#define KT_STRESS_JOIN_TRIES 15     // each KT_WAIT_LIMIT_MS long
#define KT_JOIN_GROUP MAXIMUM_WAIT_OBJECTS

typedef struct _KT_STRESS {
    KEVENT Go;                  // notification: every thread starts on it
    KSEMAPHORE Slots;
    KMUTANT Lock;
    KEVENT Token;               // synchronization: a second kind of lock
    KEVENT Never;
    volatile ULONG64 LockedCounter;     // changed only under Lock
    volatile ULONG64 TokenCounter;      // changed only while holding Token
    volatile LONG InSlots;
    volatile LONG MaxInSlots;
    volatile LONG64 Waits;
    volatile LONG Failures;
    volatile NTSTATUS FirstFailure;
} KT_STRESS;

static KT_STRESS KtStress;
static ETHREAD *KtStressThreads[KT_STRESS_THREADS];
static KWAIT_BLOCK KtStressWaitBlocks[KT_JOIN_GROUP];

// Pool usage per tag slot, as `!poolused` would show it.
static ULONG KtPoolKeys[POOL_TRACKER_TABLE_SIZE];
static ULONG KtPoolOutstanding[POOL_TRACKER_TABLE_SIZE];

static ULONG KtOutstanding(const POOL_TRACKER_TABLE *entry)
{
    return (entry->NonPagedAllocs - entry->NonPagedFrees) +
           (entry->PagedAllocs - entry->PagedFrees);
}

static void KtSnapshotPoolTags(void)
{
    for (ULONG i = 0; i < POOL_TRACKER_TABLE_SIZE; i++) {
        KtPoolKeys[i] = PoolTrackTable[i].Key;
        KtPoolOutstanding[i] = KtOutstanding(&PoolTrackTable[i]);
    }
}

// The number of tags whose outstanding count differs from the snapshot
// (each one is printed).
static ULONG KtComparePoolTags(void)
{
    ULONG differences = 0;

    for (ULONG i = 0; i < POOL_TRACKER_TABLE_SIZE; i++) {
        ULONG key = PoolTrackTable[i].Key;
        ULONG before = KtPoolKeys[i] == key ? KtPoolOutstanding[i] : 0;
        ULONG now = KtOutstanding(&PoolTrackTable[i]);

        if (key && now != before) {
            DbgPrint("  tag '%c%c%c%c': %u outstanding before, %u after\n", key & 0xFF,
                     (key >> 8) & 0xFF, (key >> 16) & 0xFF, key >> 24, before, now);
            differences++;
        }
    }
    return differences;
}

static void KtStressFailure(NTSTATUS status)
{
    if (__atomic_add_fetch(&KtStress.Failures, 1, __ATOMIC_SEQ_CST) == 1)
        KtStress.FirstFailure = status;
}

static BOOLEAN KtStressWait(NTSTATUS status, NTSTATUS expected)
{
    __atomic_add_fetch(&KtStress.Waits, 1, __ATOMIC_RELAXED);
    if (status != expected) {
        KtStressFailure(status);
        return FALSE;
    }
    return TRUE;
}

// Read, give the processor away, write: only mutual exclusion keeps the
// counter exact.
static void KtSlowIncrement(volatile ULONG64 *counter)
{
    ULONG64 value = *counter;

    KeYieldExecution();
    *counter = value + 1;
}

static void KtStressRoutine(void *context)
{
    void *both[2] = {&KtStress.Slots, &KtStress.Lock};
    LARGE_INTEGER shortTimeout = KtRelativeTime(1);

    if (!KtStressWait(KtWait(&KtStress.Go), STATUS_WAIT_0))
        return;
    for (ULONG round = 0; round < KT_STRESS_ROUNDS; round++) {
        LONG inSlots, max;

        // Both a slot and the lock, at once.
        if (!KtStressWait(KeWaitForMultipleObjects(2, both, WaitAll, Executive, KernelMode,
                                                   FALSE, &KtWaitLimit, NULL),
                          STATUS_WAIT_0))
            return;
        KtSlowIncrement(&KtStress.LockedCounter);
        KeReleaseMutant(&KtStress.Lock, IO_NO_INCREMENT, FALSE, FALSE);
        KeReleaseSemaphore(&KtStress.Slots, IO_NO_INCREMENT, 1, FALSE);

        // A slot alone: never more than KT_STRESS_SLOTS holders.
        if (!KtStressWait(KtWait(&KtStress.Slots), STATUS_WAIT_0))
            return;
        inSlots = __atomic_add_fetch(&KtStress.InSlots, 1, __ATOMIC_SEQ_CST);
        max = KtStress.MaxInSlots;
        while (inSlots > max &&
               !__atomic_compare_exchange_n(&KtStress.MaxInSlots, &max, inSlots, FALSE,
                                            __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            ;
        KeYieldExecution();
        __atomic_sub_fetch(&KtStress.InSlots, 1, __ATOMIC_SEQ_CST);
        KeReleaseSemaphore(&KtStress.Slots, EVENT_INCREMENT, 1, FALSE);

        // The token, handed from thread to thread by an auto-reset event.
        if (!KtStressWait(KtWait(&KtStress.Token), STATUS_WAIT_0))
            return;
        KtSlowIncrement(&KtStress.TokenCounter);
        KeSetEvent(&KtStress.Token, EVENT_INCREMENT, FALSE);

        if (round % KT_STRESS_TIMED_EVERY == 0 &&
            !KtStressWait(KeWaitForSingleObject(&KtStress.Never, Executive, KernelMode, FALSE,
                                                &shortTimeout),
                          STATUS_TIMEOUT))
            return;
    }
}

// Waits for every stress thread to end, KT_JOIN_GROUP at a time. FALSE if
// some did not within the tries (KtJoinThread then deals with them).
static BOOLEAN KtJoinStressThreads(ULONG count)
{
    BOOLEAN allEnded = TRUE;

    for (ULONG first = 0; first < count; first += KT_JOIN_GROUP) {
        ULONG group = count - first < KT_JOIN_GROUP ? count - first : KT_JOIN_GROUP;
        void *objects[KT_JOIN_GROUP];
        NTSTATUS status = STATUS_TIMEOUT;

        for (ULONG i = 0; i < group; i++)
            objects[i] = &KtStressThreads[first + i]->Tcb;
        for (ULONG try = 0; try < KT_STRESS_JOIN_TRIES && status == STATUS_TIMEOUT; try++)
            status = KeWaitForMultipleObjects(group, objects, WaitAll, Executive, KernelMode,
                                              FALSE, &KtWaitLimit, KtStressWaitBlocks);
        if (status != STATUS_WAIT_0)
            allEnded = FALSE;
    }
    return allEnded;
}

KTEST(StressOfHundredsOfThreadsLeavesEveryPoolTagAsItWas)
{
    PFN_NUMBER stacksBefore = KtKernelStackPages();
    ULONG cidsBefore = PspCidCount();
    ULONG started = 0;
    ULONG64 startTick;
    BOOLEAN allEnded, stacksBack;
    ULONG tagDifferences;

    KtSnapshotPoolTags();
    memset(&KtStress, 0, sizeof(KtStress));
    KeInitializeEvent(&KtStress.Go, NotificationEvent, FALSE);
    KeInitializeSemaphore(&KtStress.Slots, KT_STRESS_SLOTS, KT_STRESS_SLOTS);
    KeInitializeMutant(&KtStress.Lock, FALSE);
    KeInitializeEvent(&KtStress.Token, SynchronizationEvent, TRUE);
    KeInitializeEvent(&KtStress.Never, NotificationEvent, FALSE);

    // Priorities 6 to 11: some run as soon as they are created, some only
    // when we wait.
    for (; started < KT_STRESS_THREADS; started++) {
        KtStressThreads[started] = KtStartThread(KtStressRoutine, NULL, 6 + started % 6);
        if (!KtStressThreads[started])
            break;
    }
    startTick = KeTickCount;
    KeSetEvent(&KtStress.Go, IO_NO_INCREMENT, FALSE);
    allEnded = KtJoinStressThreads(started);
    DbgPrint("  stress: %u threads, %lld waits in %llu ticks\n", started,
             (long long)KtStress.Waits, (unsigned long long)(KeTickCount - startTick));
    for (ULONG i = 0; i < started; i++)
        KtJoinThread(KtStressThreads[i]);
    stacksBack = KtWaitForKernelStackPages(stacksBefore);
    tagDifferences = KtComparePoolTags();

    KT_EXPECT_EQ(started, KT_STRESS_THREADS);
    KT_EXPECT(allEnded);
    KT_EXPECT_EQ(KtStress.Failures, 0);
    KT_EXPECT(KtStress.Waits >= 10000);
    KT_EXPECT_EQ(KtStress.LockedCounter, (ULONG64)KT_STRESS_THREADS * KT_STRESS_ROUNDS);
    KT_EXPECT_EQ(KtStress.TokenCounter, (ULONG64)KT_STRESS_THREADS * KT_STRESS_ROUNDS);
    KT_EXPECT(KtStress.MaxInSlots >= 1 && KtStress.MaxInSlots <= KT_STRESS_SLOTS);
    KT_EXPECT_EQ(KeReadStateSemaphore(&KtStress.Slots), KT_STRESS_SLOTS);
    KT_EXPECT_EQ(KeReadStateMutant(&KtStress.Lock), 1);
    KT_EXPECT_EQ(KeReadStateEvent(&KtStress.Token), 1);
    KT_EXPECT(stacksBack);
    KT_EXPECT_EQ(PspCidCount(), cidsBefore);
    KT_EXPECT_EQ(tagDifferences, 0);
}
