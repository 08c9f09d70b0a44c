// Time and the processor as system services: NtDelayExecution,
// NtYieldExecution, NtQuerySystemTime, NtQueryPerformanceCounter and
// NtGetCurrentProcessorNumber.

#include "ex/ex.h"
#include "mm/mm.h"

// Sleeps for a relative (negative, in 100-ns units) or absolute (positive,
// system time) interval. Alertable, the sleep ends early with
// STATUS_ALERTED on an alert, or with STATUS_USER_APC once queued user APCs
// have run; otherwise STATUS_SUCCESS when the time is up.
NTSTATUS NtDelayExecution(BOOLEAN alertable, LARGE_INTEGER *delayInterval)
{
    LARGE_INTEGER interval;
    NTSTATUS status = ProbeForRead(delayInterval, sizeof(*delayInterval), sizeof(ULONG));

    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&interval, delayInterval, sizeof(interval));
    if (!NT_SUCCESS(status))
        return status;
    // The one relative interval that cannot be negated: as long as any.
    if (interval.QuadPart == INT64_MIN)
        interval.QuadPart = INT64_MIN + 1;
    return KeDelayExecutionThread(UserMode, alertable, &interval);
}

// STATUS_SUCCESS when another ready thread ran, STATUS_NO_YIELD_PERFORMED
// when there was none.
NTSTATUS NtYieldExecution(void)
{
    return KeYieldExecution();
}

// The processor the caller runs on (0 to KeNumberProcessors - 1), as NT's:
// no status, and only a hint unless the thread's affinity is one processor
// (it may run elsewhere as soon as it returns).
ULONG NtGetCurrentProcessorNumber(void)
{
    return KeGetCurrentProcessorNumber();
}

NTSTATUS NtQuerySystemTime(LARGE_INTEGER *systemTime)
{
    LARGE_INTEGER now;
    NTSTATUS status = ProbeForWrite(systemTime, sizeof(*systemTime), sizeof(ULONG));

    if (!NT_SUCCESS(status))
        return status;
    now = KeQuerySystemTime();
    return MmCopyToUser(systemTime, &now, sizeof(now));
}

// The counter ticks at the frequency it reports (the processor's time-stamp
// counter); the frequency is optional.
NTSTATUS NtQueryPerformanceCounter(LARGE_INTEGER *performanceCounter,
                                   LARGE_INTEGER *performanceFrequency)
{
    LARGE_INTEGER counter, frequency;
    NTSTATUS status = ProbeForWrite(performanceCounter, sizeof(*performanceCounter),
                                    sizeof(ULONG));

    if (NT_SUCCESS(status) && performanceFrequency)
        status = ProbeForWrite(performanceFrequency, sizeof(*performanceFrequency),
                               sizeof(ULONG));
    if (!NT_SUCCESS(status))
        return status;
    counter = KeQueryPerformanceCounter(&frequency);
    status = MmCopyToUser(performanceCounter, &counter, sizeof(counter));
    if (NT_SUCCESS(status) && performanceFrequency)
        status = MmCopyToUser(performanceFrequency, &frequency, sizeof(frequency));
    return status;
}
