// TLB shootdown. A processor caches translations; when a page-table entry
// changes, every processor that may hold the old one must drop it. This one
// does it itself (invlpg); the others are asked through KeIpiGenericCall.
// A user address matters only to processors whose CR3 is that address space
// (a processor switching to it later reloads CR3, which drops the rest); a
// kernel address to all of them (the kernel half is shared, its pages global).

#include "ke/ke.h"
#include "arch/x86_64/x86.h"

#define KI_FLUSH_ALL_THRESHOLD 32       // more pages than this: reload CR3 instead

typedef struct _KI_FLUSH_REQUEST {
    ULONG64 DirectoryTableBase;         // 0: a kernel address
    ULONG64 Va;
    SIZE_T Count;
} KI_FLUSH_REQUEST;

static void KiFlushLocal(const KI_FLUSH_REQUEST *request)
{
    ULONG64 cr3 = __readcr3() & ~0xFFFULL;

    if (request->DirectoryTableBase && cr3 != (request->DirectoryTableBase & ~0xFFFULL))
        return;
    if (request->DirectoryTableBase && request->Count > KI_FLUSH_ALL_THRESHOLD) {
        __writecr3(__readcr3());        // user pages are not global
        return;
    }
    for (SIZE_T i = 0; i < request->Count; i++)
        __invlpg((void *)(request->Va + i * PAGE_SIZE));
}

static ULONG_PTR KiFlushTbTarget(ULONG_PTR context)
{
    KiFlushLocal((const KI_FLUSH_REQUEST *)context);
    return 0;
}

// TRUE when another processor runs a thread of that address space (or, for
// a kernel address, when there is another processor). The entry was written
// before: a processor that switches to the space after this look loads CR3
// after the write, and holds no stale translation.
static BOOLEAN KiOtherProcessorsUse(ULONG64 directoryTableBase)
{
    ULONG self = KeGetCurrentProcessorNumber();

    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (ULONG i = 0; i < KeNumberProcessors; i++) {
        KTHREAD *thread;

        if (i == self)
            continue;
        if (!directoryTableBase)
            return TRUE;
        thread = __atomic_load_n(&KiProcessorBlock[i]->CurrentThread, __ATOMIC_ACQUIRE);
        if (thread && thread->Process &&
            thread->Process->DirectoryTableBase == directoryTableBase)
            return TRUE;
    }
    return FALSE;
}

void KeFlushTb(ULONG64 directoryTableBase, ULONG64 va, SIZE_T count)
{
    KI_FLUSH_REQUEST request = { directoryTableBase, va, count };
    KIRQL oldIrql;

    if (KeNumberProcessors <= 1 || KeGetCurrentIrql() > DISPATCH_LEVEL) {
        KiFlushLocal(&request);
        return;
    }
    oldIrql = KfRaiseIrql(DISPATCH_LEVEL);     // this processor stays this one
    if (KiOtherProcessorsUse(directoryTableBase))
        (void)KeIpiGenericCall(KiFlushTbTarget, (ULONG_PTR)&request);
    else
        KiFlushLocal(&request);
    KeLowerIrql(oldIrql);
}
