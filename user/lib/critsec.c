// Critical sections, as ntdll's: a lock word that costs one atomic
// instruction when nobody contends, and an auto-reset event that waiters
// sleep on when somebody does. The event is made the first time two
// threads meet (as NT does), so a section nobody contends costs no handle.
// The owner may enter again (recursion).
//
// On a machine with several processors a section may have a spin count, as
// NT's: a thread that finds it owned spins that many times waiting for it to
// come free before it goes to sleep, since the owner, running on another
// processor, is usually about to leave. On one processor the count is 0: the
// owner cannot run while we spin.

#include "user/include/runtime.h"

// SpinCount's high byte holds NT's flags (RTL_CRITICAL_SECTION_FLAG_*).
#define RTL_CRITICAL_SECTION_SPIN_MASK 0x00FFFFFF

NTSTATUS RtlInitializeCriticalSection(RTL_CRITICAL_SECTION *section)
{
    return RtlInitializeCriticalSectionAndSpinCount(section, 0);
}

NTSTATUS RtlInitializeCriticalSectionAndSpinCount(RTL_CRITICAL_SECTION *section,
                                                  ULONG spinCount)
{
    memset(section, 0, sizeof(*section));
    section->LockCount = -1;
    RtlSetCriticalSectionSpinCount(section, spinCount);
    return STATUS_SUCCESS;
}

ULONG RtlSetCriticalSectionSpinCount(RTL_CRITICAL_SECTION *section, ULONG spinCount)
{
    ULONG previous = (ULONG)section->SpinCount;

    section->SpinCount = NtCurrentPeb()->NumberOfProcessors > 1
                             ? spinCount & RTL_CRITICAL_SECTION_SPIN_MASK : 0;
    return previous;
}

// Spin while another thread owns the section and nobody sleeps on it yet:
// TRUE once this thread took it (LockCount -1 -> 0). Once a thread sleeps,
// the lock is handed to the sleepers in turn and never reads free, so
// spinning longer is pointless.
static BOOLEAN RtlpSpinForCriticalSection(RTL_CRITICAL_SECTION *section)
{
    for (ULONG_PTR spins = section->SpinCount; spins; spins--) {
        LONG free = -1;
        LONG count = __atomic_load_n(&section->LockCount, __ATOMIC_RELAXED);

        if (count == -1 &&
            __atomic_compare_exchange_n(&section->LockCount, &free, 0, FALSE,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return TRUE;
        if (count > 0)
            break;
        __builtin_ia32_pause();
    }
    return FALSE;
}

NTSTATUS RtlDeleteCriticalSection(RTL_CRITICAL_SECTION *section)
{
    NTSTATUS status = section->LockSemaphore ? NtClose(section->LockSemaphore)
                                             : STATUS_SUCCESS;

    section->LockSemaphore = NULL;
    return status;
}

// The event waiters sleep on, made by whichever thread needs it first.
static HANDLE RtlpCriticalSectionEvent(RTL_CRITICAL_SECTION *section)
{
    HANDLE event, existing = NULL;

    if (section->LockSemaphore)
        return section->LockSemaphore;
    if (!NT_SUCCESS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, SynchronizationEvent, FALSE)))
        return NULL;
    if (!__atomic_compare_exchange_n(&section->LockSemaphore, &existing, event, FALSE,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        NtClose(event);     // another thread was first
        return existing;
    }
    return event;
}

NTSTATUS RtlEnterCriticalSection(RTL_CRITICAL_SECTION *section)
{
    HANDLE self = NtCurrentTeb()->ClientId.UniqueThread;

    if (section->SpinCount && section->OwningThread != self &&
        RtlpSpinForCriticalSection(section)) {
        section->OwningThread = self;
        section->RecursionCount = 1;
        return STATUS_SUCCESS;
    }
    // LockCount is -1 when free; each thread that enters adds one.
    if (__atomic_add_fetch(&section->LockCount, 1, __ATOMIC_ACQUIRE) != 0) {
        if (section->OwningThread == self) {
            section->RecursionCount++;
            return STATUS_SUCCESS;
        }
        // Owned by another thread: sleep until its leave hands the lock over.
        HANDLE event = RtlpCriticalSectionEvent(section);
        NTSTATUS status = event ? NtWaitForSingleObject(event, FALSE, NULL)
                                : STATUS_INSUFFICIENT_RESOURCES;

        if (!NT_SUCCESS(status)) {
            __atomic_sub_fetch(&section->LockCount, 1, __ATOMIC_RELEASE);
            return status;
        }
    }
    section->OwningThread = self;
    section->RecursionCount = 1;
    return STATUS_SUCCESS;
}

NTSTATUS RtlLeaveCriticalSection(RTL_CRITICAL_SECTION *section)
{
    if (section->OwningThread != NtCurrentTeb()->ClientId.UniqueThread)
        return STATUS_INVALID_PARAMETER;
    if (--section->RecursionCount) {
        __atomic_sub_fetch(&section->LockCount, 1, __ATOMIC_RELEASE);
        return STATUS_SUCCESS;
    }
    section->OwningThread = NULL;
    // Somebody else entered meanwhile and waits (or is about to): wake one.
    if (__atomic_sub_fetch(&section->LockCount, 1, __ATOMIC_RELEASE) >= 0) {
        HANDLE event = RtlpCriticalSectionEvent(section);

        return event ? NtSetEvent(event, NULL) : STATUS_INSUFFICIENT_RESOURCES;
    }
    return STATUS_SUCCESS;
}
