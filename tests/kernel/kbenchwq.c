// Worker-queue benchmarks (ex/worker.c): what one item costs a queue that
// is kept busy, and how long an item waits between ExQueueWorkItem and its
// routine starting when a worker is free.

#include "tests/kernel/kbench.h"
#include "ex/ex.h"
#include "arch/x86_64/x86.h"

#define KB_BATCH 500            // items per throughput sample
#define KB_BATCHES 40

static WORK_QUEUE_ITEM KbItems[KB_BATCH];
static volatile LONG KbRemaining;
static KEVENT KbBatchDone;
static volatile ULONG64 KbStartedAt;

static void KbCountRoutine(void *parameter)
{
    if (__atomic_sub_fetch(&KbRemaining, 1, __ATOMIC_SEQ_CST) == 0)
        KeSetEvent(&KbBatchDone, 0, FALSE);
}

static void KbStampRoutine(void *parameter)
{
    KbStartedAt = __rdtsc();
}

// Throughput: a batch is queued while the workers cannot run (DISPATCH_LEVEL),
// then drained; a sample is the cost per item, from the moment the IRQL
// drops to the last routine's end (removal, the call, the return to the
// queue: the dispatch path alone). Items per second = TSC rate / sample.
static void KbWorkItemThroughput(ULONG64 *samples)
{
    KeInitializeEvent(&KbBatchDone, SynchronizationEvent, FALSE);
    for (ULONG batch = 0; batch < KB_BATCHES; batch++) {
        KIRQL oldIrql;
        ULONG64 start;

        KbRemaining = KB_BATCH;
        KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
        for (ULONG i = 0; i < KB_BATCH; i++) {
            ExInitializeWorkItem(&KbItems[i], KbCountRoutine, NULL);
            ExQueueWorkItem(&KbItems[i], DelayedWorkQueue);
        }
        start = __rdtsc();
        KeLowerIrql(oldIrql);
        KeWaitForSingleObject(&KbBatchDone, Executive, KernelMode, FALSE, NULL);
        samples[batch] = (__rdtsc() - start) / KB_BATCH;
    }
    KbReport("workitem-dispatch", samples, KB_BATCHES, "cycles/item");
}

// Latency: a critical worker (priority 13) waits; the benchmark thread (12)
// queues one item, and the worker preempts it to run the routine at once.
static void KbWorkItemLatency(ULONG64 *samples)
{
    WORK_QUEUE_ITEM item;

    for (ULONG i = 0; i < BENCH_ROUNDS; i++) {
        ULONG64 start;

        ExInitializeWorkItem(&item, KbStampRoutine, NULL);
        KbStartedAt = 0;
        start = __rdtsc();
        ExQueueWorkItem(&item, CriticalWorkQueue);
        if (!KbStartedAt) {
            DbgPrint("BENCH error: the critical worker did not run at once\n");
            return;
        }
        samples[i] = KbStartedAt - start;
    }
    KbReport("workitem-queue-to-start", samples, BENCH_ROUNDS, "cycles");
}

void KbWorkQueue(ULONG64 *samples)
{
    // Back to the benchmark priority: the LPC benchmarks before leave this
    // thread boosted (a reply wakes it with an increment, as NT's does),
    // and a boosted thread is not preempted by the critical worker (13).
    KeSetPriorityThread(KeGetCurrentThread(), BENCH_PRIORITY);
    KbWorkItemThroughput(samples);
    KbWorkItemLatency(samples);
}
