// IRQL and spin locks. On x64 the IRQL is CR8, the APIC task priority: raising
// it masks every interrupt of that priority class and below in hardware.

#include "ke/ke.h"
#include "arch/x86_64/x86.h"

KIRQL KeGetCurrentIrql(void)
{
    return (KIRQL)__readcr8();
}

KIRQL KfRaiseIrql(KIRQL newIrql)
{
    KIRQL oldIrql = (KIRQL)__readcr8();

    if (newIrql < oldIrql)
        KeBugCheckEx(IRQL_NOT_GREATER_OR_EQUAL, 0, oldIrql, newIrql,
                     (ULONG64)__builtin_return_address(0));
    __writecr8(newIrql);
    return oldIrql;
}

void KeLowerIrql(KIRQL newIrql)
{
    KIRQL oldIrql = (KIRQL)__readcr8();

    if (newIrql > oldIrql)
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, 0, oldIrql, newIrql,
                     (ULONG64)__builtin_return_address(0));
    __writecr8(newIrql);
}

KIRQL KeRaiseIrqlToDpcLevel(void)
{
    return KfRaiseIrql(DISPATCH_LEVEL);
}

void KeInitializeSpinLock(KSPIN_LOCK *lock)
{
    *lock = 0;
}

// The owner value is the acquiring processor's KPRCB + 1, so `dq` on a held
// lock tells which processor holds it.
static ULONG_PTR KiSpinLockOwnerValue(void)
{
    return (ULONG_PTR)KeGetCurrentPrcb() + 1;
}

BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(KSPIN_LOCK *lock)
{
    ULONG_PTR expected = 0;

    return __atomic_compare_exchange_n(lock, &expected, KiSpinLockOwnerValue(), FALSE,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

void KeAcquireSpinLockAtDpcLevel(KSPIN_LOCK *lock)
{
    ULONG_PTR owner = KiSpinLockOwnerValue();

    // Acquiring a lock this processor already holds can never succeed.
    if (__atomic_load_n(lock, __ATOMIC_RELAXED) == owner)
        KeBugCheckEx(SPIN_LOCK_ALREADY_OWNED, (ULONG64)lock, 0, 0, 0);
    while (!KeTryToAcquireSpinLockAtDpcLevel(lock)) {
        while (__atomic_load_n(lock, __ATOMIC_RELAXED) != 0)
            _mm_pause();
    }
}

void KeReleaseSpinLockFromDpcLevel(KSPIN_LOCK *lock)
{
    __atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

void KeAcquireSpinLock(KSPIN_LOCK *lock, KIRQL *oldIrql)
{
    *oldIrql = KfRaiseIrql(DISPATCH_LEVEL);
    KeAcquireSpinLockAtDpcLevel(lock);
}

void KeReleaseSpinLock(KSPIN_LOCK *lock, KIRQL oldIrql)
{
    KeReleaseSpinLockFromDpcLevel(lock);
    KeLowerIrql(oldIrql);
}

BOOLEAN KiAcquireSpinLockDisableInterrupts(KSPIN_LOCK *lock)
{
    BOOLEAN enabled = KiDisableInterrupts();

    KeAcquireSpinLockAtDpcLevel(lock);
    return enabled;
}

void KiReleaseSpinLockRestoreInterrupts(KSPIN_LOCK *lock, BOOLEAN enable)
{
    KeReleaseSpinLockFromDpcLevel(lock);
    KiRestoreInterrupts(enable);
}

// ---- In-stack queued spin locks (the queue itself is in qlock.c) -----------

void KeAcquireInStackQueuedSpinLock(KSPIN_LOCK *lock, KLOCK_QUEUE_HANDLE *handle)
{
    handle->OldIrql = KfRaiseIrql(DISPATCH_LEVEL);
    KeAcquireInStackQueuedSpinLockAtDpcLevel(lock, handle);
}

void KeReleaseInStackQueuedSpinLock(KLOCK_QUEUE_HANDLE *handle)
{
    KeReleaseInStackQueuedSpinLockFromDpcLevel(handle);
    KeLowerIrql(handle->OldIrql);
}
