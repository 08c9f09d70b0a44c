// What `!waitchain -a` costs (kd/cmdwait.c): the walk of every thread's
// wait and the forest they make, for 100, 250, 500 and 1,000 blocked threads in
// chains of ten (each thread owns a mutant the next one waits for; the
// first waits on an event), so that the figure shows whether it stays
// linear. The printing is left out: it is a line per thread, whose cost
// is the consoles' (kd-line-* in docs/performance.md).

#include "tests/kernel/kbench.h"
#include "kd/kdwaitcmd.h"
#include "ps/ps.h"
#include "arch/x86_64/x86.h"

#define KB_WAIT_MAX_THREADS 1000
#define KB_WAIT_CHAIN       10
#define KB_WAIT_ROUNDS      3
#define KB_WAIT_TAG         POOL_TAG('K', 'b', 'W', 'c')

typedef struct _KB_WAIT_NODE {
    KMUTANT Own;
    KMUTANT *Next;              // NULL: the chain's first, it waits on Release
    KEVENT *Release;
    ETHREAD *Thread;
} KB_WAIT_NODE;

static void KbWaitThread(void *context)
{
    KB_WAIT_NODE *node = context;

    KeWaitForSingleObject(&node->Own, Executive, KernelMode, FALSE, NULL);
    if (node->Next) {
        KeWaitForSingleObject(node->Next, Executive, KernelMode, FALSE, NULL);
        KeReleaseMutant(node->Next, 1, FALSE, FALSE);
    } else {
        KeWaitForSingleObject(node->Release, Executive, KernelMode, FALSE, NULL);
    }
    KeReleaseMutant(&node->Own, 1, FALSE, FALSE);
}

// Starts `count` threads in chains; FALSE if they do not all wait.
static BOOLEAN KbWaitBuild(KB_WAIT_NODE *nodes, ULONG count, KEVENT *release)
{
    LARGE_INTEGER tick = {.QuadPart = -(LONG64)KeQueryTimeIncrement()};

    for (ULONG i = 0; i < count; i++) {
        KB_WAIT_NODE *node = &nodes[i];

        KeInitializeMutant(&node->Own, FALSE);
        node->Next = i % KB_WAIT_CHAIN ? &nodes[i - 1].Own : NULL;
        node->Release = release;
        if (!NT_SUCCESS(PsCreateSystemThreadEx(NULL, KbWaitThread, node, NORMAL_BASE_PRIORITY,
                                               NULL, &node->Thread)))
            return FALSE;
        // Each takes its own mutant before the next one asks for it.
        while (node->Own.OwnerThread != &node->Thread->Tcb)
            KeDelayExecutionThread(KernelMode, FALSE, &tick);
    }
    for (ULONG i = 0; i < count; i++) {
        while (nodes[i].Thread->Tcb.State != Waiting)
            KeDelayExecutionThread(KernelMode, FALSE, &tick);
    }
    return TRUE;
}

static void KbWaitTearDown(KB_WAIT_NODE *nodes, ULONG count, KEVENT *release)
{
    KeSetEvent(release, 0, FALSE);
    for (ULONG i = 0; i < count; i++) {
        if (!nodes[i].Thread)
            continue;
        KeWaitForSingleObject(&nodes[i].Thread->Tcb, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(nodes[i].Thread);
    }
}

void KbWaitChain(ULONG64 *samples)
{
    static const ULONG sizes[] = { 100, 250, 500, KB_WAIT_MAX_THREADS };
    static const char *const names[] = { "kd-waitchain-a-100-threads",
                                         "kd-waitchain-a-250-threads",
                                         "kd-waitchain-a-500-threads",
                                         "kd-waitchain-a-1000-threads" };
    KB_WAIT_NODE *nodes = ExAllocatePoolWithTag(NonPagedPool,
                                                KB_WAIT_MAX_THREADS * sizeof(KB_WAIT_NODE),
                                                KB_WAIT_TAG);
    KEVENT release;

    if (!nodes) {
        DbgPrint("BENCH error: kd-waitchain: no memory\n");
        return;
    }
    for (ULONG s = 0; s < ARRAYSIZE(sizes); s++) {
        ULONG blocked = 0;

        memset(nodes, 0, sizes[s] * sizeof(KB_WAIT_NODE));
        KeInitializeEvent(&release, NotificationEvent, FALSE);
        if (!KbWaitBuild(nodes, sizes[s], &release)) {
            DbgPrint("BENCH error: %s: the threads could not be started\n", names[s]);
            KbWaitTearDown(nodes, sizes[s], &release);
            break;
        }
        for (ULONG round = 0; round < KB_WAIT_ROUNDS; round++) {
            ULONG64 begin = __rdtsc();

            KdpWaitBuildForest(0);
            samples[round] = __rdtsc() - begin;
        }
        for (ULONG i = 0; i < KdpWaitIndex.Count; i++)
            blocked += KdpWaitForest.Nodes[i].Blocked;
        KbWaitTearDown(nodes, sizes[s], &release);
        if (blocked < sizes[s]) {
            DbgPrint("BENCH error: %s: %u threads found blocked, not %u\n", names[s], blocked,
                     sizes[s]);
            break;
        }
        KbReport(names[s], samples, KB_WAIT_ROUNDS, "cycles");
    }
    ExFreePoolWithTag(nodes, KB_WAIT_TAG);
}
