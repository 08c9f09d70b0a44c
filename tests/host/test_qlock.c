// The queued spin lock's hand-off, with real threads contending for it.

#include <pthread.h>
#include "hosttest.h"
#include "ke/ke.h"

#define QLOCK_THREADS 2
#define QLOCK_ROUNDS 20000

static KSPIN_LOCK QueuedLock;
static volatile ULONG64 Counter;
static volatile int Inside;
static volatile int Overlaps;

static void *Contend(void *unused)
{
    for (int i = 0; i < QLOCK_ROUNDS; i++) {
        KLOCK_QUEUE_HANDLE handle;

        KeAcquireInStackQueuedSpinLockAtDpcLevel(&QueuedLock, &handle);
        if (__atomic_add_fetch(&Inside, 1, __ATOMIC_RELAXED) != 1)
            Overlaps++;
        Counter++;          // a plain read-modify-write: loses updates without the lock
        __atomic_sub_fetch(&Inside, 1, __ATOMIC_RELAXED);
        KeReleaseInStackQueuedSpinLockFromDpcLevel(&handle);
    }
    return NULL;
}

TEST(QueuedSpinLockExcludesContendingThreads)
{
    pthread_t threads[QLOCK_THREADS];

    QueuedLock = 0;
    Counter = 0;
    Overlaps = 0;
    for (int i = 0; i < QLOCK_THREADS; i++)
        EXPECT(pthread_create(&threads[i], NULL, Contend, NULL) == 0);
    for (int i = 0; i < QLOCK_THREADS; i++)
        pthread_join(threads[i], NULL);
    EXPECT_EQ(Overlaps, 0);
    EXPECT_EQ(Counter, (ULONG64)QLOCK_THREADS * QLOCK_ROUNDS);
    EXPECT_EQ(QueuedLock, 0);       // free, no waiter left behind
}

TEST(QueuedSpinLockUncontendedLeavesTheLockFree)
{
    KSPIN_LOCK lock = 0;
    KLOCK_QUEUE_HANDLE handle;

    KeAcquireInStackQueuedSpinLockAtDpcLevel(&lock, &handle);
    EXPECT_EQ(lock, (KSPIN_LOCK)&handle.LockQueue);
    EXPECT(handle.LockQueue.Lock == &lock);
    KeReleaseInStackQueuedSpinLockFromDpcLevel(&handle);
    EXPECT_EQ(lock, 0);
}
