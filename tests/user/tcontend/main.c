// User-mode tests of the runtime's heap and critical sections used by
// several threads at once: a shared counter guarded by a critical section
// ends exact (and the section really was contended), and threads that
// allocate, fill, check, grow and free blocks in a loop, on the process heap
// (malloc family) and on a heap of their own (RtlAllocateHeap family),
// never see another thread's bytes in their blocks.
//
// Workers return 0 or a code saying what went wrong; the main thread
// checks (the test runner's state is not shared safely).

#include "tests/user/uthread.h"

#define WORKERS             4
#define COUNTER_ROUNDS      3000
#define HEAP_ROUNDS         10000
#define HEAP_SLOTS          16
#define LARGE_BLOCK         (100 * 1024)    // more than a heap segment
// Threads that contend for a lock hand it over on every round, each woken
// with a priority boost: on one processor one left at its base priority
// waits for the others to finish (Sleuth has no balance set manager to lift
// it), on several every handover is a wake on another processor. So a join
// does not give up after a fixed time: it waits while the workers' rounds
// go on, and fails once they have stood still this long.
#define STALL_PATIENCE_MS 10000

// What a worker reports when something went wrong.
#define WORKER_ENTER_FAILED     1
#define WORKER_LEAVE_FAILED     2
#define WORKER_NOT_EXCLUSIVE    3
#define WORKER_OUT_OF_MEMORY    4
#define WORKER_BYTES_CHANGED    5
#define WORKER_NOT_ZEROED       6
#define WORKER_SIZE_WRONG       7
#define WORKER_FREE_FAILED      8

// Rounds done by every worker so far: what a join watches.
static volatile LONG Progress;

static NTSTATUS StartWorkers(HANDLE *workers, PUSER_THREAD_START_ROUTINE routine,
                             PVOID argument)
{
    for (int i = 0; i < WORKERS; i++) {
        NTSTATUS status = UtStartThread(&workers[i], routine, argument);

        if (!NT_SUCCESS(status))
            return status;
    }
    return STATUS_SUCCESS;
}

// UtJoinThreadWithin, patient while Progress moves: the thread's exit
// status, or STATUS_TIMEOUT once no worker did a round for
// STALL_PATIENCE_MS (the thread is then ended, the handle closed).
static NTSTATUS JoinWhileProgressing(HANDLE thread)
{
    LARGE_INTEGER patience = UtMilliseconds(STALL_PATIENCE_MS);
    LONG seen = Progress;

    while (NtWaitForSingleObject(thread, FALSE, &patience) == STATUS_TIMEOUT) {
        if (Progress == seen)
            return UtJoinThreadWithin(thread, 0);
        seen = Progress;
    }
    return UtJoinThreadWithin(thread, 0);
}

// ---- Critical sections ------------------------------------------------------

static RTL_CRITICAL_SECTION CounterLock;
static volatile LONG Counter;
static volatile LONG Inside;        // threads between enter and leave: 0 or 1
static volatile LONG Met;           // the first owner has seen another thread queue up
static volatile LONG Abandoned;     // not every worker started: nobody will queue up

static NTSTATUS NTAPI CountUnderTheLock(PVOID argument)
{
    for (LONG round = 0; round < COUNTER_ROUNDS; round++) {
        LONG value;

        if (RtlEnterCriticalSection(&CounterLock) != STATUS_SUCCESS)
            return WORKER_ENTER_FAILED;
        if (__atomic_add_fetch(&Inside, 1, __ATOMIC_SEQ_CST) != 1)
            return WORKER_NOT_EXCLUSIVE;
        // The first owner keeps the section until another worker has
        // entered behind it, so the threads surely meet however many
        // processors there are: on one its yields let the others run; on
        // several, left alone, one worker could do all its rounds before
        // the next had started.
        if (!Met) {
            while (__atomic_load_n(&CounterLock.LockCount, __ATOMIC_ACQUIRE) == 0 && !Abandoned)
                NtYieldExecution();
            Met = 1;
        }
        // A read-modify-write that other threads would spoil if they got
        // in; now and then the owner gives up the processor (or enters
        // again, recursively) in the middle of it.
        value = Counter;
        if (round % 64 == 0)
            NtYieldExecution();
        if (round % 100 == 0) {
            if (RtlEnterCriticalSection(&CounterLock) != STATUS_SUCCESS)
                return WORKER_ENTER_FAILED;
            if (RtlLeaveCriticalSection(&CounterLock) != STATUS_SUCCESS)
                return WORKER_LEAVE_FAILED;
        }
        Counter = value + 1;
        __atomic_add_fetch(&Progress, 1, __ATOMIC_RELAXED);
        __atomic_sub_fetch(&Inside, 1, __ATOMIC_SEQ_CST);
        if (RtlLeaveCriticalSection(&CounterLock) != STATUS_SUCCESS)
            return WORKER_LEAVE_FAILED;
    }
    return 0;
}

// The workers count under CounterLock, made with this spin count; the
// counter ends exact and the section free.
static void CountWithWorkers(ULONG spinCount)
{
    HANDLE workers[WORKERS];

    NTSTATUS started;

    Counter = 0;
    Inside = 0;
    Met = 0;
    Abandoned = 0;
    UT_EXPECT_STATUS(RtlInitializeCriticalSectionAndSpinCount(&CounterLock, spinCount),
                     STATUS_SUCCESS);
    started = StartWorkers(workers, CountUnderTheLock, NULL);
    if (!NT_SUCCESS(started))
        Abandoned = 1;
    UT_EXPECT_STATUS(started, STATUS_SUCCESS);
    for (int i = 0; i < WORKERS; i++)
        UT_EXPECT_EQ(JoinWhileProgressing(workers[i]), 0);
    UT_EXPECT_EQ(Counter, WORKERS * COUNTER_ROUNDS);
    // Free again, and the threads met: the event waiters sleep on was made.
    UT_EXPECT_EQ(CounterLock.LockCount, -1);
    UT_EXPECT_EQ(CounterLock.RecursionCount, 0);
    UT_EXPECT(CounterLock.OwningThread == NULL);
    UT_EXPECT(CounterLock.LockSemaphore != NULL);
    UT_EXPECT_STATUS(RtlDeleteCriticalSection(&CounterLock), STATUS_SUCCESS);
}

UTEST(ACriticalSectionKeepsASharedCounterExact)
{
    CountWithWorkers(0);
}

// With a spin count (NT's heaps use about 4,000) a thread spins on a busy
// section before it sleeps: the counter is just as exact. The count is kept
// only where spinning can help, on several processors, without NT's flag
// bits in its high byte.
UTEST(ASpinningCriticalSectionKeepsASharedCounterExact)
{
    BOOLEAN several = NtCurrentPeb()->NumberOfProcessors > 1;
    RTL_CRITICAL_SECTION section;

    UT_EXPECT(NtCurrentPeb()->NumberOfProcessors >= 1);
    UT_EXPECT_STATUS(RtlInitializeCriticalSectionAndSpinCount(&section, 0x01000FA0),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(section.SpinCount, several ? 0xFA0 : 0);
    UT_EXPECT_EQ(RtlSetCriticalSectionSpinCount(&section, 100), several ? 0xFA0 : 0);
    UT_EXPECT_EQ(section.SpinCount, several ? 100 : 0);
    UT_EXPECT_STATUS(RtlDeleteCriticalSection(&section), STATUS_SUCCESS);
    CountWithWorkers(4000);
    UT_EXPECT_EQ(CounterLock.SpinCount, several ? 4000 : 0);
}

// ---- Heaps ------------------------------------------------------------------

// Each worker's blocks hold its own byte; any other byte in them means
// another thread's block overlapped one of ours.
typedef struct _HEAP_WORK {
    PVOID Heap;                 // NULL: the process heap through malloc
    volatile LONG NextIndex;
} HEAP_WORK;

typedef struct _SLOT {
    UCHAR *Block;
    SIZE_T Size;
} SLOT;

static ULONG NextRandom(ULONG *state)
{
    *state = *state * 1103515245u + 12345u;
    return *state >> 8;
}

static BOOLEAN FilledWith(const UCHAR *block, SIZE_T size, UCHAR fill)
{
    for (SIZE_T i = 0; i < size; i++) {
        if (block[i] != fill)
            return FALSE;
    }
    return TRUE;
}

static UCHAR *Allocate(HEAP_WORK *work, SIZE_T size, BOOLEAN zeroed)
{
    if (!work->Heap)
        return zeroed ? calloc(1, size) : malloc(size);
    return RtlAllocateHeap(work->Heap, zeroed ? HEAP_ZERO_MEMORY : 0, size);
}

static UCHAR *Grow(HEAP_WORK *work, UCHAR *block, SIZE_T size)
{
    return work->Heap ? RtlReAllocateHeap(work->Heap, 0, block, size) : realloc(block, size);
}

static BOOLEAN Release(HEAP_WORK *work, UCHAR *block)
{
    if (!work->Heap) {
        free(block);
        return TRUE;
    }
    return RtlFreeHeap(work->Heap, 0, block);
}

// No yields here: a yield gives the thread a fresh quantum, so the threads
// would take turns only there, never inside a heap call. Left alone they
// are preempted wherever their quantum ends, now and then holding the
// heap's lock, and then they contend for it.
static NTSTATUS NTAPI UseTheHeap(PVOID argument)
{
    HEAP_WORK *work = argument;
    LONG index = __atomic_fetch_add(&work->NextIndex, 1, __ATOMIC_SEQ_CST);
    UCHAR fill = (UCHAR)(0xA0 + index);
    ULONG random = 0x9E3779B9u * (ULONG)(index + 1);
    PVOID heap = work->Heap ? work->Heap : RtlProcessHeap();
    SLOT slots[HEAP_SLOTS] = {{0}};
    NTSTATUS result = 0;

    for (LONG round = 0; round < HEAP_ROUNDS && !result; round++) {
        SLOT *slot = &slots[NextRandom(&random) % HEAP_SLOTS];

        __atomic_add_fetch(&Progress, 1, __ATOMIC_RELAXED);
        ULONG choice = NextRandom(&random);

        if (!slot->Block) {
            BOOLEAN zeroed = choice % 4 == 0;

            slot->Size = choice % 1000 == 0 ? LARGE_BLOCK : 1 + choice % 256;
            slot->Block = Allocate(work, slot->Size, zeroed);
            if (!slot->Block)
                result = WORKER_OUT_OF_MEMORY;
            else if (zeroed && !FilledWith(slot->Block, slot->Size, 0))
                result = WORKER_NOT_ZEROED;
            else if (RtlSizeHeap(heap, 0, slot->Block) < slot->Size)
                result = WORKER_SIZE_WRONG;
            else
                memset(slot->Block, fill, slot->Size);
        } else if (!FilledWith(slot->Block, slot->Size, fill)) {
            result = WORKER_BYTES_CHANGED;
        } else if (choice % 3 == 0) {
            // Grow it: the old bytes come along.
            SIZE_T larger = slot->Size + 1 + choice % 128;
            UCHAR *grown = Grow(work, slot->Block, larger);

            if (!grown) {
                result = WORKER_OUT_OF_MEMORY;
            } else if (!FilledWith(grown, slot->Size, fill)) {
                result = WORKER_BYTES_CHANGED;
            } else {
                memset(grown, fill, larger);
                slot->Block = grown;
                slot->Size = larger;
            }
        } else {
            if (!Release(work, slot->Block))
                result = WORKER_FREE_FAILED;
            slot->Block = NULL;
        }
    }
    for (int i = 0; i < HEAP_SLOTS; i++) {
        if (slots[i].Block) {
            if (!result && !FilledWith(slots[i].Block, slots[i].Size, fill))
                result = WORKER_BYTES_CHANGED;
            if (!Release(work, slots[i].Block) && !result)
                result = WORKER_FREE_FAILED;
        }
    }
    return result;
}

static void RunHeapWorkers(HEAP_WORK *work)
{
    HANDLE workers[WORKERS];

    UT_EXPECT_STATUS(StartWorkers(workers, UseTheHeap, work), STATUS_SUCCESS);
    for (int i = 0; i < WORKERS; i++)
        UT_EXPECT_EQ(JoinWhileProgressing(workers[i]), 0);
}

UTEST(ThreadsShareTheProcessHeapSafely)
{
    HEAP_WORK work = {NULL, 0};
    void *probe;

    UT_EXPECT(RtlProcessHeap() != NULL);
    RunHeapWorkers(&work);
    // Still usable afterwards.
    probe = malloc(64);
    UT_EXPECT(probe != NULL);
    free(probe);
}

UTEST(ThreadsShareAHeapOfTheirOwnSafely)
{
    HEAP_WORK work = {NULL, 0};

    work.Heap = RtlCreateHeap(0, NULL, 0, 0, NULL, NULL);
    UT_EXPECT(work.Heap != NULL);
    if (!work.Heap)
        return;
    RunHeapWorkers(&work);
    UT_EXPECT(RtlDestroyHeap(work.Heap) == NULL);
}

static const UTEST Tests[] = {
    UT_ENTRY(ACriticalSectionKeepsASharedCounterExact),
    UT_ENTRY(ASpinningCriticalSectionKeepsASharedCounterExact),
    UT_ENTRY(ThreadsShareTheProcessHeapSafely),
    UT_ENTRY(ThreadsShareAHeapOfTheirOwnSafely),
};

int main(void)
{
    return UT_RUN_ALL("tcontend", Tests);
}
