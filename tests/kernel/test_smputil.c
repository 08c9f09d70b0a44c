// Helpers for the multiprocessor stress tests: see test_smp.h.

#include "tests/kernel/test_smp.h"

#define KT_SMP_JOIN_SLICE_MS 250

NTSTATUS KtSmpWait(void *object)
{
    LARGE_INTEGER limit = KtRelativeTime(KT_SMP_STALL_MS);

    return KeWaitForSingleObject(object, Executive, KernelMode, FALSE, &limit);
}

void *KtSmpAllocate(SIZE_T size)
{
    void *block = ExAllocatePoolWithTag(NonPagedPool, size, KT_SMP_TAG);

    if (!block) {
        KtFail(__FILE__, __LINE__, "the shared state to be allocated");
        return NULL;
    }
    memset(block, 0, size);
    return block;
}

// Waits for one thread while *progress moves; FALSE once it has stood
// still for KT_SMP_STALL_MS (the reference is kept then).
static BOOLEAN KtSmpJoinOne(ETHREAD *thread, volatile ULONG64 *progress)
{
    LARGE_INTEGER slice = KtRelativeTime(KT_SMP_JOIN_SLICE_MS);
    ULONG64 seen = *progress;
    ULONG64 movedAt = KeTickCount;
    ULONG64 stallTicks = (ULONG64)KT_SMP_STALL_MS * KT_SMP_HUNDRED_NS_PER_MS / KeQueryTimeIncrement();

    for (;;) {
        if (KeWaitForSingleObject(&thread->Tcb, Executive, KernelMode, FALSE, &slice) ==
            STATUS_WAIT_0) {
            ObDereferenceObject(thread);
            return TRUE;
        }
        if (*progress != seen) {
            seen = *progress;
            movedAt = KeTickCount;
        } else if (KeTickCount - movedAt > stallTicks) {
            return FALSE;
        }
    }
}

BOOLEAN KtSmpJoinThreads(ETHREAD **threads, ULONG count, volatile ULONG64 *progress,
                         volatile LONG *stop)
{
    BOOLEAN allEnded = TRUE;

    for (ULONG i = 0; i < count; i++) {
        if (!threads[i] || KtSmpJoinOne(threads[i], progress))
            continue;
        if (!*stop) {
            KtFail(__FILE__, __LINE__, "the threads' progress not to stall");
            DbgPrint("KTEST thread %p (Cid %p) made no progress for %u ms\n", threads[i],
                     threads[i]->Cid.UniqueThread, KT_SMP_STALL_MS);
            *stop = 1;      // the others leave their loops; this one may yet end
            if (KtSmpJoinOne(threads[i], progress))
                continue;
        }
        DbgPrint("KTEST thread %p (Cid %p) did not end; its state is left to it\n", threads[i],
                 threads[i]->Cid.UniqueThread);
        allEnded = FALSE;
    }
    return allEnded;
}
