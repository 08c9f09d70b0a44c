// The user half of the in-kernel test WaitChainReadsAUserCriticalSectionsOwner
// (tests/kernel/test_kd_waitchain2.c): the second thread enters a critical
// section and waits, holding it, on a notification event nobody sets; the
// first thread then enters the same section and waits on its lock event.
// The kernel test finds both waits, runs !waitchain on the first thread,
// and ends the process.

#include "user/include/runtime.h"

static RTL_CRITICAL_SECTION TwcLock;
static HANDLE TwcHeld;          // set once the owner holds the section
static HANDLE TwcNever;         // set by nobody

static NTSTATUS NTAPI TwcOwner(PVOID parameter)
{
    (void)parameter;
    RtlEnterCriticalSection(&TwcLock);
    NtSetEvent(TwcHeld, NULL);
    NtWaitForSingleObject(TwcNever, FALSE, NULL);
    RtlLeaveCriticalSection(&TwcLock);
    return STATUS_SUCCESS;
}

int main(void)
{
    HANDLE owner;

    RtlInitializeCriticalSection(&TwcLock);
    if (!NT_SUCCESS(NtCreateEvent(&TwcHeld, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE)) ||
        !NT_SUCCESS(NtCreateEvent(&TwcNever, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE)) ||
        !NT_SUCCESS(NtCreateThreadEx(&owner, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                                     (PVOID)TwcOwner, NULL, 0, 0, 0, 0, NULL)))
        return 1;
    NtWaitForSingleObject(TwcHeld, FALSE, NULL);
    // The held event is signalled and stays so: from here this thread's
    // only wait is the section's synchronization event.
    RtlEnterCriticalSection(&TwcLock);
    RtlLeaveCriticalSection(&TwcLock);
    return 0;
}
