// The in-kernel side of the user-mode tests: start a test program, wait for
// it, and check that it left nothing behind (see ktuser.h).

#include "tests/kernel/ktuser.h"
#include "tests/kernel/test_dispatcher.h"
#include "mm/mm.h"
#include "mm/pool.h"

#define KT_TEARDOWN_TICKS 64        // one second

typedef struct _KT_POOL_SNAPSHOT {
    ULONG Tag;
    ULONG Outstanding;
} KT_POOL_SNAPSHOT;

// Static: the snapshot must not itself come from the pool it describes.
static KT_POOL_SNAPSHOT KtPoolBefore[POOL_TRACKER_TABLE_SIZE];

static ULONG KtOutstanding(const POOL_TRACKER_TABLE *entry)
{
    return (entry->NonPagedAllocs - entry->NonPagedFrees) +
           (entry->PagedAllocs - entry->PagedFrees);
}

void KtTakePoolSnapshot(void)
{
    for (ULONG i = 0; i < POOL_TRACKER_TABLE_SIZE; i++) {
        KtPoolBefore[i].Tag = PoolTrackTable[i].Key;
        KtPoolBefore[i].Outstanding = KtOutstanding(&PoolTrackTable[i]);
    }
}

// The first tag whose outstanding allocations differ from the snapshot
// (only those that grew, when `grown`), or 0. (Slots keep their tag once
// taken, so index i is the same tag or a new one that was empty before.)
static ULONG KtpFindPoolChange(BOOLEAN grown, ULONG *before, ULONG *after)
{
    for (ULONG i = 0; i < POOL_TRACKER_TABLE_SIZE; i++) {
        ULONG now = KtOutstanding(&PoolTrackTable[i]);
        ULONG then = KtPoolBefore[i].Tag == PoolTrackTable[i].Key ? KtPoolBefore[i].Outstanding
                                                                  : 0;

        if (PoolTrackTable[i].Key && (grown ? now > then : now != then)) {
            *before = then;
            *after = now;
            return PoolTrackTable[i].Key;
        }
    }
    return 0;
}

ULONG KtFindPoolDifference(ULONG *before, ULONG *after)
{
    return KtpFindPoolChange(FALSE, before, after);
}

static PFN_NUMBER KtUserPageCount(void)
{
    MM_STATISTICS stats;

    MmQueryStatistics(&stats);
    return stats.PagesByUsage[MmUsageUserPage];
}

NTSTATUS KtRunUserProgram(const char *name)
{
    return KtRunUserProgramEx(name, NULL, KT_USER_PROGRAM_LIMIT_MS);
}

// Runs the program to its end; *process (when asked for) is left referenced.
static NTSTATUS KtpRunUserProgram(const char *name, const char *commandLine, ULONG limitMs,
                                  EPROCESS **processOut)
{
    LARGE_INTEGER limit = KtRelativeTime(limitMs);
    EPROCESS *process;
    NTSTATUS status = PsStartUserProgram(name, commandLine, &process);

    if (!NT_SUCCESS(status))
        return status;
    status = KeWaitForSingleObject(&process->Pcb, Executive, KernelMode, FALSE, &limit);
    if (status == STATUS_WAIT_0)
        status = process->ExitStatus;
    if (processOut)
        *processOut = process;
    else
        ObDereferenceObject(process);
    return status;
}

NTSTATUS KtRunUserProgramEx(const char *name, const char *commandLine, ULONG limitMs)
{
    return KtpRunUserProgram(name, commandLine, limitMs, NULL);
}

BOOLEAN KtpUserTestsPass(const char *name, const char *file, int line)
{
    return KtpUserTestsPassEx(name, NULL, KT_USER_PROGRAM_LIMIT_MS, file, line);
}

BOOLEAN KtpUserTestsPassEx(const char *name, const char *commandLine, ULONG limitMs,
                           const char *file, int line)
{
    PFN_NUMBER stacks, userPages;
    ULONG before, after, tag;
    EPROCESS *process = NULL;
    BOOLEAN reaped;
    NTSTATUS status;
    char text[96];

    // A program that ran before may still be going away on another
    // processor: its stacks and pages must not be counted as this one's.
    stacks = KtKernelStackPages();
    for (ULONG i = 0; i < KT_TEARDOWN_TICKS; i++) {
        KtSleepTicks(1);
        if (KtKernelStackPages() == stacks)
            break;
        stacks = KtKernelStackPages();
    }
    userPages = KtUserPageCount();

    KtTakePoolSnapshot();
    status = KtpRunUserProgram(name, commandLine, limitMs, &process);
    // Each of the program's threads references its process until the
    // reaper has freed the thread's stack and dropped it: once ours is the
    // last reference, every thread of the program is gone. (A count of all
    // stacks would also move with other processors' threads coming and
    // going.)
    reaped = process && status == STATUS_SUCCESS && KtWaitForPointerCount(process, 1);
    if (process)
        ObDereferenceObject(process);
    if (status != STATUS_SUCCESS) {
        RtlStringPrintf(text, sizeof(text), "%s.exe ended with %08x", name, (ULONG)status);
        KtFail(file, line, text);
        return FALSE;
    }
    if (!reaped) {
        RtlStringPrintf(text, sizeof(text), "%s.exe's threads not all freed after it ended",
                        name);
        KtFail(file, line, text);
        return FALSE;
    }
    // And no stack is left over beyond theirs (fewer is fine: another
    // test's thread may have ended meanwhile).
    for (ULONG i = 0; i < KT_TEARDOWN_TICKS && KtKernelStackPages() > stacks; i++)
        KtSleepTicks(1);
    if (KtKernelStackPages() > stacks) {
        KtFail(file, line, "kernel stacks not freed after the program ended");
        return FALSE;
    }
    // The reaper frees the last thread's stack before it drops the thread
    // (and with it the process): on another processor that may still be
    // under way. What the program took must come back within the limit.
    // Pool or pages that went below the snapshot were another test's, freed
    // on another processor meanwhile (a thread object it had waited on):
    // only growth is the program's.
    for (ULONG i = 0; i < KT_TEARDOWN_TICKS; i++) {
        if (KtUserPageCount() <= userPages && !KtpFindPoolChange(TRUE, &before, &after))
            break;
        KtSleepTicks(1);
    }
    if (KtUserPageCount() > userPages) {
        RtlStringPrintf(text, sizeof(text), "%s.exe left %lld user pages behind", name,
                        (long long)(KtUserPageCount() - userPages));
        KtFail(file, line, text);
        return FALSE;
    }
    tag = KtpFindPoolChange(TRUE, &before, &after);
    if (tag) {
        char tagText[5];

        ExpFormatTag(tag, tagText);
        RtlStringPrintf(text, sizeof(text), "pool tag %s: %u allocations before %s.exe, %u after",
                        tagText, before, name, after);
        KtFail(file, line, text);
        return FALSE;
    }
    return TRUE;
}
