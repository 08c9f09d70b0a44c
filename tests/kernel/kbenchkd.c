// What a CFI stack walk costs (kd/stack.c): the debugger's walk of a thread
// blocked 16 calls deep, as `!stacks` and `!thread` walk every thread, per
// frame. Each frame is an FDE lookup (a binary search of .eh_frame_hdr), its
// CIE's and FDE's instructions run up to the address, and the reads of the
// saved registers, every byte through the fault-safe reader.

#include "tests/kernel/kbench.h"
#include "kd/kd.h"
#include "ke/ke.h"
#include "ps/ps.h"
#include "arch/x86_64/x86.h"

#define KB_WALK_DEPTH 16
#define KB_WALK_ROUNDS 200
#define KB_WALK_MAX_FRAMES 64

typedef struct _KB_WALK_THREAD {
    KEVENT Ready;
    KEVENT Go;
} KB_WALK_THREAD;

static __attribute__((noinline)) ULONG KbWalkDeep(KB_WALK_THREAD *walk, ULONG depth)
{
    ULONG result;

    if (depth == 0) {
        KeSetEvent(&walk->Ready, 0, FALSE);
        KeWaitForSingleObject(&walk->Go, Executive, KernelMode, FALSE, NULL);
        return 1;
    }
    result = KbWalkDeep(walk, depth - 1);
    __asm__ volatile("" : "+r"(result));    // a real call, not a tail call
    return result + 1;
}

static void KbWalkThread(void *context)
{
    KbWalkDeep(context, KB_WALK_DEPTH);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

void KbStackWalk(ULONG64 *samples)
{
    static KB_WALK_THREAD walk;
    ULONG64 sites[KB_WALK_MAX_FRAMES];
    KD_STACK_START start;
    ETHREAD *thread;
    const char *why;
    ULONG frames = 0;

    KeInitializeEvent(&walk.Ready, NotificationEvent, FALSE);
    KeInitializeEvent(&walk.Go, NotificationEvent, FALSE);
    if (!NT_SUCCESS(PsCreateSystemThreadEx(NULL, KbWalkThread, &walk, BENCH_PRIORITY - 1, NULL,
                                           &thread))) {
        DbgPrint("BENCH error: kd-stack-walk-frame: no thread\n");
        return;
    }
    KeWaitForSingleObject(&walk.Ready, Executive, KernelMode, FALSE, NULL);
    // Lower priority: once Ready is set it runs again only to block on Go.
    while (thread->Tcb.State != Waiting)
        KeDelayExecutionThread(KernelMode, FALSE, &(LARGE_INTEGER){.QuadPart = -10000});
    if (KdpGetThreadStackStart((ULONG64)thread, FALSE, &start, &why)) {
        for (ULONG i = 0; i < KB_WALK_ROUNDS; i++) {
            ULONG64 begin = __rdtsc();

            frames = KdpCollectCallSites(&start, sites, KB_WALK_MAX_FRAMES);
            samples[i] = (__rdtsc() - begin) / (frames ? frames : 1);
        }
    }
    KeSetEvent(&walk.Go, 0, FALSE);
    KeWaitForSingleObject(&thread->Tcb, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(thread);
    if (frames <= KB_WALK_DEPTH) {
        DbgPrint("BENCH error: kd-stack-walk-frame: %u frames, not %u deep\n", frames,
                 KB_WALK_DEPTH);
        return;
    }
    KbReport("kd-stack-walk-frame", samples, KB_WALK_ROUNDS, "cycles");
}
