// In-stack queued spin locks, the part that is pure atomics (and so is
// tested on the host with real threads).
//
// A queued lock hands itself to waiters in the order they arrived. The lock
// word points at the last waiter's KSPIN_LOCK_QUEUE (in that waiter's
// KLOCK_QUEUE_HANDLE, on its stack); each waiter spins on its own entry
// only, so a contended lock does not make every processor hammer one
// cache line.

#include "ke/ke.h"
#include "arch/x86_64/x86.h"

#define LOCK_QUEUE_WAIT 1           // LockQueue.Lock bit: still waiting for the lock

void KeAcquireInStackQueuedSpinLockAtDpcLevel(KSPIN_LOCK *lock, KLOCK_QUEUE_HANDLE *handle)
{
    KSPIN_LOCK_QUEUE *entry = &handle->LockQueue;
    KSPIN_LOCK_QUEUE *previous;

    entry->Next = NULL;
    entry->Lock = (KSPIN_LOCK *)((ULONG_PTR)lock | LOCK_QUEUE_WAIT);
    previous = (KSPIN_LOCK_QUEUE *)__atomic_exchange_n(lock, (ULONG_PTR)entry,
                                                        __ATOMIC_ACQ_REL);
    if (previous) {
        __atomic_store_n(&previous->Next, entry, __ATOMIC_RELEASE);
        while ((ULONG_PTR)__atomic_load_n(&entry->Lock, __ATOMIC_ACQUIRE) & LOCK_QUEUE_WAIT)
            _mm_pause();
    } else {
        entry->Lock = lock;
    }
}

void KeReleaseInStackQueuedSpinLockFromDpcLevel(KLOCK_QUEUE_HANDLE *handle)
{
    KSPIN_LOCK_QUEUE *entry = &handle->LockQueue;
    KSPIN_LOCK *lock = (KSPIN_LOCK *)((ULONG_PTR)entry->Lock & ~(ULONG_PTR)LOCK_QUEUE_WAIT);
    KSPIN_LOCK_QUEUE *next = __atomic_load_n(&entry->Next, __ATOMIC_ACQUIRE);

    if (!next) {
        ULONG_PTR expected = (ULONG_PTR)entry;

        // Nobody behind us: free the lock, unless someone arrives just now.
        if (__atomic_compare_exchange_n(lock, &expected, 0, FALSE, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED))
            return;
        while (!(next = __atomic_load_n(&entry->Next, __ATOMIC_ACQUIRE)))
            _mm_pause();
    }
    __atomic_store_n(&next->Lock, lock, __ATOMIC_RELEASE);     // clears its wait bit
}

