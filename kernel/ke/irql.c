// IRQL and spin locks. On x64 the IRQL is CR8, the APIC task priority: raising
// it masks every interrupt of that priority class and below in hardware.

#include "ke/ke.h"
#include "arch/x86_64/x86.h"

KIRQL KeGetCurrentIrql(void)
{
    return (KIRQL)__readcr8();
}

// The inline raise, lower and acquire (ke.h) call this on a bad IRQL or a
// lock this processor already holds.
void KiIrqlBugCheck(ULONG code, ULONG64 lock, KIRQL oldIrql, KIRQL newIrql, void *caller)
{
    if (code == SPIN_LOCK_ALREADY_OWNED)
        KeBugCheckEx(code, lock, 0, 0, 0);
    KeBugCheckEx(code, 0, oldIrql, newIrql, (ULONG64)caller);
}

KIRQL KeRaiseIrqlToDpcLevel(void)
{
    return KfRaiseIrql(DISPATCH_LEVEL);
}

void KeInitializeSpinLock(KSPIN_LOCK *lock)
{
    *lock = 0;
}

// The inline acquire (ke.h) found the lock held: by this processor, which
// can never succeed, or by another one, which it waits for.
void KiAcquireSpinLockContended(KSPIN_LOCK *lock)
{
    if (__atomic_load_n(lock, __ATOMIC_RELAXED) == (ULONG_PTR)KeGetCurrentPrcb() + 1)
        KiIrqlBugCheck(SPIN_LOCK_ALREADY_OWNED, (ULONG64)lock, 0, 0, NULL);
    while (!KeTryToAcquireSpinLockAtDpcLevel(lock)) {
        while (__atomic_load_n(lock, __ATOMIC_RELAXED) != 0)
            _mm_pause();
    }
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
