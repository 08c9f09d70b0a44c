// Critical sections, as ntdll's: a lock word that costs one atomic
// instruction when nobody contends, and an auto-reset event that waiters
// sleep on when somebody does. The event is made the first time two
// threads meet (as NT does), so a section nobody contends costs no handle.
// The owner may enter again (recursion).

#include "user/include/runtime.h"

NTSTATUS RtlInitializeCriticalSection(RTL_CRITICAL_SECTION *section)
{
    memset(section, 0, sizeof(*section));
    section->LockCount = -1;
    return STATUS_SUCCESS;
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
