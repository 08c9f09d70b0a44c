// Helpers shared by the tests that need more than one thread (tcross,
// tcrossapc, tchild, tcontend): starting a thread, waiting for one to end
// with a bound, and seeing that another thread has really gone to sleep in
// a wait before acting on it.
//
// That last one is what keeps these tests deterministic: "the worker set an
// event just before it waits" is not enough, since the worker may still be
// between the two calls when the main thread acts. The kernel's own list of
// threads (NtQuerySystemInformation, SystemProcessInformation) says whether
// a thread is in the Waiting state, so the main thread polls that.
#pragma once

#include "tests/user/utest.h"

// KTHREAD_STATE values as SYSTEM_THREAD_INFORMATION.ThreadState reports them.
#define UT_THREAD_STATE_TERMINATED 4
#define UT_THREAD_STATE_WAITING    5

// How long a helper gives another thread to get somewhere: generous, so
// that only a real hang fails a test (the whole program has a minute).
#define UT_THREAD_PATIENCE_MS 5000

static inline NTSTATUS UtStartThread(PHANDLE thread, PUSER_THREAD_START_ROUTINE routine,
                                     PVOID argument)
{
    return NtCreateThreadEx(thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                            (PVOID)routine, argument, 0, 0, 0, 0, NULL);
}

// Waits up to `ms` milliseconds for the thread to end and returns its exit
// status, or the wait's status when it did not end in time. The handle is
// closed.
static inline NTSTATUS UtJoinThreadWithin(HANDLE thread, LONGLONG ms)
{
    LARGE_INTEGER patience = UtMilliseconds(ms);
    THREAD_BASIC_INFORMATION information;
    NTSTATUS status = NtWaitForSingleObject(thread, FALSE, &patience);

    if (status == STATUS_WAIT_0) {
        status = NtQueryInformationThread(thread, ThreadBasicInformation, &information,
                                          sizeof(information), NULL);
        if (NT_SUCCESS(status))
            status = information.ExitStatus;
    } else {
        // Not ended in time: the caller sees STATUS_TIMEOUT, not an exit
        // status it expects, and the thread is ended so the program can go on.
        NtTerminateThread(thread, STATUS_TIMEOUT);
        NtWaitForSingleObject(thread, FALSE, &patience);
    }
    NtClose(thread);
    return status;
}

static inline NTSTATUS UtJoinThread(HANDLE thread)
{
    return UtJoinThreadWithin(thread, UT_THREAD_PATIENCE_MS);
}

// The thread id of a thread handle.
static inline HANDLE UtThreadId(HANDLE thread)
{
    THREAD_BASIC_INFORMATION information;

    if (!NT_SUCCESS(NtQueryInformationThread(thread, ThreadBasicInformation, &information,
                                             sizeof(information), NULL)))
        return NULL;
    return information.ClientId.UniqueThread;
}

// The state (KTHREAD_STATE) of thread `id` of this process as the system's
// process list shows it, or -1 if the thread is not listed.
static inline LONG UtThreadState(HANDLE id)
{
    static UCHAR buffer[64 * 1024] __attribute__((aligned(8)));
    SYSTEM_PROCESS_INFORMATION *entry = (SYSTEM_PROCESS_INFORMATION *)buffer;
    HANDLE self = NtCurrentTeb()->ClientId.UniqueProcess;

    if (!NT_SUCCESS(NtQuerySystemInformation(SystemProcessInformation, buffer, sizeof(buffer),
                                             NULL)))
        return -1;
    for (;;) {
        if (entry->UniqueProcessId == self) {
            for (ULONG i = 0; i < entry->NumberOfThreads; i++) {
                if (entry->Threads[i].ClientId.UniqueThread == id)
                    return (LONG)entry->Threads[i].ThreadState;
            }
            return -1;
        }
        if (!entry->NextEntryOffset)
            return -1;
        entry = (SYSTEM_PROCESS_INFORMATION *)((UCHAR *)entry + entry->NextEntryOffset);
    }
}

// Polls until `thread` sleeps in a wait; FALSE if it does not within
// UT_THREAD_PATIENCE_MS.
static inline BOOLEAN UtWaitUntilWaiting(HANDLE thread)
{
    LARGE_INTEGER tick = UtMilliseconds(1), now, deadline;
    HANDLE id = UtThreadId(thread);

    NtQuerySystemTime(&deadline);
    deadline.QuadPart += UT_THREAD_PATIENCE_MS * 10000LL;
    do {
        if (UtThreadState(id) == UT_THREAD_STATE_WAITING)
            return TRUE;
        NtDelayExecution(FALSE, &tick);
        NtQuerySystemTime(&now);
    } while (now.QuadPart < deadline.QuadPart);
    return FALSE;
}

// Waits (bounded) on an object another thread will signal.
static inline NTSTATUS UtWaitBounded(HANDLE object, BOOLEAN alertable)
{
    LARGE_INTEGER patience = UtMilliseconds(UT_THREAD_PATIENCE_MS);

    return NtWaitForSingleObject(object, alertable, &patience);
}

// The exit status a thread or process query reports (STATUS_PENDING while
// it runs), or the query's own failure.
static inline NTSTATUS UtThreadExitStatus(HANDLE thread)
{
    THREAD_BASIC_INFORMATION basic;
    NTSTATUS status = NtQueryInformationThread(thread, ThreadBasicInformation, &basic,
                                               sizeof(basic), NULL);

    return NT_SUCCESS(status) ? basic.ExitStatus : status;
}

static inline NTSTATUS UtProcessExitStatus(HANDLE process)
{
    PROCESS_BASIC_INFORMATION basic;
    NTSTATUS status = NtQueryInformationProcess(process, ProcessBasicInformation, &basic,
                                                sizeof(basic), NULL);

    return NT_SUCCESS(status) ? basic.ExitStatus : status;
}
