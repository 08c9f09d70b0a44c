// Processors: every one the MADT lists started, each with its own control
// region and clock; KeIpiGenericCall reaching all of them at once; spin
// locks (plain and queued) contended for real by every processor; and the
// debugger's freeze of a processor spinning with interrupts off (NMI).
// Under -smp 1 each runs on the one processor; tools/runtests.py --only
// kernel --smp 4 runs them on four (make test does not, yet).

#include "tests/kernel/ktest.h"
#include "ke/ke.h"
#include "ps/ps.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"

#define KT_LOCK_ROUNDS 20000         // per processor, at most
#define KT_LOCK_MILLISECONDS 1000    // ...and for at most this long
#define KT_CLOCK_TICKS 4

KTEST(SmpEveryProcessorStarted)
{
    ULONG64 apicIds[MAXIMUM_PROCESSORS / 64 * 4] = { 0 };

    KT_EXPECT_EQ(KeNumberProcessors, HalGetProcessorCount());
    for (ULONG i = 0; i < KeNumberProcessors; i++) {
        KPRCB *prcb = KiProcessorBlock[i];
        KPCR *pcr = CONTAINING_RECORD(prcb, KPCR, Prcb);

        KT_EXPECT(prcb != NULL);
        KT_EXPECT_EQ(prcb->Number, i);
        KT_EXPECT_EQ(pcr->Self, pcr);
        KT_EXPECT(prcb->IdleThread != NULL);
        KT_EXPECT_EQ(prcb->IdleThread->Process, &PsIdleProcess->Pcb);
        KT_EXPECT(prcb->ApicId < 256);
        KT_EXPECT(!(apicIds[prcb->ApicId / 64] & (1ULL << (prcb->ApicId % 64))));
        apicIds[prcb->ApicId / 64] |= 1ULL << (prcb->ApicId % 64);
    }
    KT_EXPECT_EQ(KeGetCurrentPrcb(), KiProcessorBlock[0]);
}

// Each processor's own clock charges its own KPRCB.
KTEST(SmpEveryProcessorClockTicks)
{
    ULONG64 before[MAXIMUM_PROCESSORS];
    LARGE_INTEGER interval = { .QuadPart = -(LONG64)KeQueryTimeIncrement() * KT_CLOCK_TICKS };

    for (ULONG i = 0; i < KeNumberProcessors; i++)
        before[i] = KiProcessorBlock[i]->IdleTime + KiProcessorBlock[i]->KernelTime +
                    KiProcessorBlock[i]->UserTime;
    KeDelayExecutionThread(KernelMode, FALSE, &interval);
    for (ULONG i = 0; i < KeNumberProcessors; i++)
        KT_EXPECT(KiProcessorBlock[i]->IdleTime + KiProcessorBlock[i]->KernelTime +
                  KiProcessorBlock[i]->UserTime > before[i]);
}

static volatile ULONG64 KtSeenMask;
static volatile ULONG64 KtWrongIrqlMask;

static ULONG_PTR KtRecordProcessor(ULONG_PTR context)
{
    if (KeGetCurrentIrql() != IPI_LEVEL)
        __atomic_or_fetch(&KtWrongIrqlMask, 1ULL << KeGetCurrentProcessorNumber(),
                          __ATOMIC_ACQ_REL);
    __atomic_or_fetch(&KtSeenMask, 1ULL << KeGetCurrentProcessorNumber(), __ATOMIC_ACQ_REL);
    return context + KeGetCurrentProcessorNumber();
}

KTEST(SmpIpiGenericCallRunsEverywhere)
{
    KtSeenMask = 0;
    KtWrongIrqlMask = 0;
    KT_EXPECT_EQ(KeIpiGenericCall(KtRecordProcessor, 100), 100);    // the caller is processor 0
    KT_EXPECT_EQ(KtSeenMask, KeQueryActiveProcessors());
    KT_EXPECT_EQ(KtWrongIrqlMask, 0);
    KT_EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static KSPIN_LOCK KtLock;
static volatile ULONG64 KtCounter;
static volatile ULONG64 KtIncrements;
static volatile ULONG64 KtContended;
static ULONG64 KtDeadline;

// A read, a pause, then the write: without mutual exclusion, increments
// made by two processors at once are lost.
static void KtUnsafeIncrement(void)
{
    ULONG64 value = KtCounter;

    _mm_pause();
    KtCounter = value + 1;
}

// Each processor takes the lock as often as it can until the deadline (a
// processor of TCG on a busy host may be descheduled holding it, so a
// round count could take minutes), counting its own increments.
static ULONG_PTR KtContendLock(ULONG_PTR queued)
{
    ULONG64 mine = 0;

    while (mine < KT_LOCK_ROUNDS && __rdtsc() < KtDeadline) {
        if (queued) {
            KLOCK_QUEUE_HANDLE handle;

            KeAcquireInStackQueuedSpinLockAtDpcLevel(&KtLock, &handle);
            KtUnsafeIncrement();
            KeReleaseInStackQueuedSpinLockFromDpcLevel(&handle);
        } else {
            if (!KeTryToAcquireSpinLockAtDpcLevel(&KtLock)) {
                __atomic_add_fetch(&KtContended, 1, __ATOMIC_RELAXED);
                KeAcquireSpinLockAtDpcLevel(&KtLock);
            }
            KtUnsafeIncrement();
            KeReleaseSpinLockFromDpcLevel(&KtLock);
        }
        mine++;
    }
    __atomic_add_fetch(&KtIncrements, mine, __ATOMIC_ACQ_REL);
    return 0;
}

static void KtRunContention(BOOLEAN queued)
{
    KeInitializeSpinLock(&KtLock);
    KtCounter = 0;
    KtIncrements = 0;
    KtContended = 0;
    KtDeadline = __rdtsc() + HalQueryPerformanceFrequency() * KT_LOCK_MILLISECONDS / 1000;
    KeIpiGenericCall(KtContendLock, queued);
}

KTEST(SmpSpinLockContended)
{
    KtRunContention(FALSE);
    KT_EXPECT(KtIncrements > 0);
    KT_EXPECT_EQ(KtCounter, KtIncrements);
    KT_EXPECT_EQ(KtLock, 0);
    DbgPrint("SMP: %u processors took a spin lock %llu times, finding it held %llu times\n",
             KeNumberProcessors, (unsigned long long)KtIncrements,
             (unsigned long long)KtContended);
}

KTEST(SmpQueuedSpinLockContended)
{
    KtRunContention(TRUE);
    KT_EXPECT(KtIncrements > 0);
    KT_EXPECT_EQ(KtCounter, KtIncrements);
    KT_EXPECT_EQ(KtLock, 0);
}

// The others spin with interrupts off inside the broadcast: the freeze's
// IPI cannot reach them, so each must be stopped by NMI, shown with the
// registers it spun with, and let go by the thaw.
static volatile LONG KtReleaseSpinners;
static volatile LONG KtFreezeResult;

static ULONG_PTR KtFreezeSpinners(ULONG_PTR context)
{
    if (KeGetCurrentProcessorNumber() != 0) {
        while (!__atomic_load_n(&KtReleaseSpinners, __ATOMIC_ACQUIRE))
            _mm_pause();
        return 0;
    }
    KtFreezeResult = KiAcquireDebuggerLock(NULL) ? 1 : 0;
    KiFreezeProcessors();
    for (ULONG i = 1; i < KeNumberProcessors; i++) {
        KPRCB *prcb = KiProcessorBlock[i];

        if (!prcb->IpiFrozen || !prcb->FrozenByNmi || !prcb->FrozenTrapFrame ||
            prcb->DebuggerSavedIRQL != IPI_LEVEL)
            KtFreezeResult = 0;
    }
    KiThawProcessors();
    KiReleaseDebuggerLock();
    for (ULONG i = 1; i < KeNumberProcessors; i++) {
        if (KiProcessorBlock[i]->IpiFrozen)
            KtFreezeResult = 0;
    }
    __atomic_store_n(&KtReleaseSpinners, 1, __ATOMIC_RELEASE);
    return 0;
}

KTEST(SmpFreezeStopsSpinningProcessorByNmi)
{
    KtReleaseSpinners = 0;
    KtFreezeResult = 0;
    KeIpiGenericCall(KtFreezeSpinners, 0);
    KT_EXPECT_EQ(KtFreezeResult, 1);
    KT_EXPECT_EQ(KiFreezeOwner, -1);
}
