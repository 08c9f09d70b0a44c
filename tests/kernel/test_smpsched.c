// Threads scheduled on every processor: affinity honoured, threads spread
// over idle processors, waits racing signals from other processors, a
// thread moved from processor to processor, DPCs targeted at a processor,
// and the TLB shootdown (a processor that cached a kernel page's
// translation must fault once another one has unmapped it). The threads
// these tests start run free (the runner does not confine Smp* tests,
// tests/kernel/ktest.c). Under -smp 1 each still runs, on the one
// processor; the concurrency they check needs -smp 2 or more
// (tools/runtests.py --smp 2).

#include "tests/kernel/ktest.h"
#include "tests/kernel/test_smp.h"
#include "ke/ke.h"
#include "mm/mm.h"
#include "ps/ps.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"

#define KT_PIN_ROUNDS 400
#define KT_PING_ROUNDS 3000
#define KT_SEMAPHORE_ROUNDS 1500
#define KT_MIGRATIONS 40

static ULONG64 KtMsToTsc(ULONG milliseconds)
{
    return HalQueryPerformanceFrequency() * milliseconds / 1000;
}

// ---- affinity --------------------------------------------------------------------

typedef struct _KT_PINNED {
    ULONG Processor;
    volatile LONG Wrong;        // rounds seen on another processor
    volatile LONG Rounds;
} KT_PINNED;

// Pinned, it runs, yields, is preempted by the clock and sleeps a tick now
// and then (each wake readies it anew): always on its processor.
static void KtPinnedRoutine(void *context)
{
    KT_PINNED *pinned = context;
    LARGE_INTEGER tick = { .QuadPart = -1 };

    KeSetSystemAffinityThread(1ULL << pinned->Processor);
    for (ULONG i = 0; i < KT_PIN_ROUNDS; i++) {
        if (KeGetCurrentProcessorNumber() != pinned->Processor)
            pinned->Wrong++;
        if (i % 100 == 99)
            KeDelayExecutionThread(KernelMode, FALSE, &tick);
        else
            KeYieldExecution();
        pinned->Rounds++;
    }
    KeRevertToUserAffinityThread();
    PsTerminateSystemThread(STATUS_SUCCESS);
}

KTEST(SmpPinnedThreadRunsOnlyOnItsProcessor)
{
    KT_PINNED pinned[MAXIMUM_PROCESSORS];
    ETHREAD *threads[MAXIMUM_PROCESSORS];
    ULONG count = KeNumberProcessors;

    for (ULONG i = 0; i < count; i++) {
        pinned[i].Processor = i;
        pinned[i].Wrong = pinned[i].Rounds = 0;
        threads[i] = KtStartThread(KtPinnedRoutine, &pinned[i], NORMAL_BASE_PRIORITY);
    }
    for (ULONG i = 0; i < count; i++) {
        KT_EXPECT(threads[i] != NULL);
        KT_EXPECT(KtJoinThread(threads[i]));
    }
    for (ULONG i = 0; i < count; i++) {
        KT_EXPECT_EQ(pinned[i].Rounds, KT_PIN_ROUNDS);
        KT_EXPECT_EQ(pinned[i].Wrong, 0);
    }
}

// KeSetAffinityThread from outside moves a thread that is running.
typedef struct _KT_SPINNER {
    volatile LONG Stop;
    volatile ULONG Seen;        // the processor it last ran on
} KT_SPINNER;

static void KtSpinnerRoutine(void *context)
{
    KT_SPINNER *spinner = context;

    while (!spinner->Stop)
        spinner->Seen = KeGetCurrentProcessorNumber();
    PsTerminateSystemThread(STATUS_SUCCESS);
}

KTEST(SmpSetAffinityMovesARunningThread)
{
    KT_SPINNER spinner = { 0, ~0U };
    ETHREAD *thread = KtStartThread(KtSpinnerRoutine, &spinner, NORMAL_BASE_PRIORITY - 1);
    ULONG64 deadline;
    BOOLEAN moved = TRUE;

    KT_EXPECT(thread != NULL);
    for (ULONG target = KeNumberProcessors; target-- > 0 && moved;) {
        KeSetAffinityThread(&thread->Tcb, 1ULL << target);
        deadline = __rdtsc() + KtMsToTsc(KT_SMP_STALL_MS);
        // Wait until it has run there (processor 0 is this test's: the
        // spinner gets it when the test sleeps).
        spinner.Seen = ~0U;
        while (spinner.Seen != target && __rdtsc() < deadline)
            KtSleepTicks(1);
        moved = spinner.Seen == target;
        KtSleepTicks(2);
        moved = moved && spinner.Seen == target;
    }
    spinner.Stop = 1;
    KT_EXPECT(KtJoinThread(thread));
    KT_EXPECT(moved);
}

// ---- threads on every processor ----------------------------------------------------

typedef struct _KT_SPREAD {
    ULONG64 Until;              // TSC: the threads give up then
    volatile LONG Stop;
    volatile ULONG64 Spins;     // progress, for the join
    volatile ULONG64 Seen;      // processors any of the threads ran on
} KT_SPREAD;

static void KtSpreadRoutine(void *context)
{
    KT_SPREAD *spread = context;

    while (spread->Seen != KeQueryActiveProcessors() && __rdtsc() < spread->Until &&
           !spread->Stop) {
        __atomic_or_fetch(&spread->Seen, 1ULL << KeGetCurrentProcessorNumber(),
                          __ATOMIC_RELAXED);
        __atomic_add_fetch(&spread->Spins, 1, __ATOMIC_RELAXED);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

// CPU-bound threads readied while processors are idle go to them (the idle
// summary), and an idle processor takes threads left on another's list:
// they spin until every processor has run one of them, or give up after
// KT_SMP_STALL_MS (a processor that never gets a thread).
KTEST(SmpReadyThreadsRunOnEveryProcessor)
{
    KT_SPREAD *spread = KtSmpAllocate(sizeof(*spread));
    ETHREAD *threads[MAXIMUM_PROCESSORS * 2];
    ULONG count = KeNumberProcessors * 2;

    if (!spread)
        return;
    spread->Until = __rdtsc() + KtMsToTsc(KT_SMP_STALL_MS);
    for (ULONG i = 0; i < count; i++)
        threads[i] = KtStartThread(KtSpreadRoutine, spread, NORMAL_BASE_PRIORITY);
    if (!KtSmpJoinThreads(threads, count, &spread->Spins, &spread->Stop))
        return;
    KT_CHECK_EQ(spread->Seen, KeQueryActiveProcessors());
    ExFreePoolWithTag(spread, KT_SMP_TAG);
}

// ---- waits racing signals --------------------------------------------------------------

typedef struct _KT_PING {
    KEVENT Ping, Pong;
    ULONG Processor;
    volatile LONG Stop;
    volatile ULONG64 Answered;
    volatile LONG TimedOut;
} KT_PING;

static void KtPongRoutine(void *context)
{
    KT_PING *ping = context;

    KeSetSystemAffinityThread(1ULL << ping->Processor);
    for (ULONG i = 0; i < KT_PING_ROUNDS && !ping->Stop; i++) {
        if (KtSmpWait(&ping->Ping) != STATUS_WAIT_0) {
            ping->TimedOut++;
            break;
        }
        ping->Answered++;
        KeSetEvent(&ping->Pong, 0, FALSE);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

// Each set wakes a thread the other processor waits for, at the moment it
// may be going to sleep: none may be lost (a lost wake would time out).
KTEST(SmpEventRoundTripsAcrossProcessorsLoseNoWake)
{
    KT_PING *ping = KtSmpAllocate(sizeof(*ping));
    ETHREAD *thread;
    LONG timedOut = 0;

    if (!ping)
        return;
    KeInitializeEvent(&ping->Ping, SynchronizationEvent, FALSE);
    KeInitializeEvent(&ping->Pong, SynchronizationEvent, FALSE);
    ping->Processor = KeNumberProcessors - 1;
    thread = KtStartThread(KtPongRoutine, ping, NORMAL_BASE_PRIORITY);
    for (ULONG i = 0; thread && i < KT_PING_ROUNDS && !timedOut; i++) {
        KeSetEvent(&ping->Ping, 0, FALSE);
        if (KtSmpWait(&ping->Pong) != STATUS_WAIT_0)
            timedOut++;
    }
    ping->Stop = 1;
    KeSetEvent(&ping->Ping, 0, FALSE);     // a pong thread still waiting leaves
    if (!KtSmpJoinThreads(&thread, 1, &ping->Answered, &ping->Stop))
        return;
    KT_CHECK_EQ(timedOut, 0);
    KT_CHECK_EQ(ping->TimedOut, 0);
    KT_CHECK_EQ(ping->Answered, (ULONG64)KT_PING_ROUNDS);
    ExFreePoolWithTag(ping, KT_SMP_TAG);
}

typedef struct _KT_SEMAPHORE_RACE {
    KSEMAPHORE Lock;            // a count of one: mutual exclusion by waiting
    volatile ULONG64 Counter;
    volatile LONG TimedOut;
    volatile LONG Stop;
    volatile ULONG64 Seen;
} KT_SEMAPHORE_RACE;

static void KtSemaphoreRacer(void *context)
{
    KT_SEMAPHORE_RACE *race = context;

    for (ULONG i = 0; i < KT_SEMAPHORE_ROUNDS && !race->Stop; i++) {
        ULONG64 value;

        if (KtSmpWait(&race->Lock) != STATUS_WAIT_0) {
            race->TimedOut++;
            break;
        }
        __atomic_or_fetch(&race->Seen, 1ULL << KeGetCurrentProcessorNumber(), __ATOMIC_RELAXED);
        value = race->Counter;
        _mm_pause();
        race->Counter = value + 1;
        KeReleaseSemaphore(&race->Lock, 0, 1, FALSE);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

// Threads on every processor take and give back one count: every increment
// made under it survives, and no release is lost to a waiter. Each count
// goes to a waiter whose processor is idle by then, so the race is a chain
// of wakes across processors: a lost one stops the counter for good (a
// slow host only slows it).
KTEST(SmpSemaphoreWaitsRaceReleasesOnEveryProcessor)
{
    KT_SEMAPHORE_RACE *race = KtSmpAllocate(sizeof(*race));
    ETHREAD *threads[MAXIMUM_PROCESSORS * 2];
    ULONG count = KeNumberProcessors * 2;

    if (!race)
        return;
    KeInitializeSemaphore(&race->Lock, 1, 1);
    for (ULONG i = 0; i < count; i++)
        threads[i] = KtStartThread(KtSemaphoreRacer, race, NORMAL_BASE_PRIORITY);
    if (!KtSmpJoinThreads(threads, count, &race->Counter, &race->Stop))
        return;
    KT_CHECK_EQ(race->TimedOut, 0);
    KT_CHECK_EQ(race->Counter, (ULONG64)count * KT_SEMAPHORE_ROUNDS);
    KT_CHECK_EQ(KeReadStateSemaphore(&race->Lock), 1);
    ExFreePoolWithTag(race, KT_SMP_TAG);
}

// ---- a thread moved from processor to processor -----------------------------------------

typedef struct _KT_MIGRANT {
    volatile LONG Wrong;
    volatile LONG Moves;
    ULONG64 Checksum;
} KT_MIGRANT;

static void KtMigrantRoutine(void *context)
{
    KT_MIGRANT *migrant = context;
    ULONG64 checksum = 0;

    for (ULONG i = 0; i < KT_MIGRATIONS; i++) {
        ULONG target = i % KeNumberProcessors;

        // Callee-saved registers and the stack must come across intact.
        checksum = checksum * 31 + i;
        KeSetSystemAffinityThread(1ULL << target);
        if (KeGetCurrentProcessorNumber() != target)
            migrant->Wrong++;
        migrant->Moves++;
    }
    KeRevertToUserAffinityThread();
    migrant->Checksum = checksum;
    PsTerminateSystemThread(STATUS_SUCCESS);
}

KTEST(SmpThreadMigratesThroughEveryProcessor)
{
    KT_MIGRANT migrant = { 0, 0, 0 };
    ETHREAD *thread = KtStartThread(KtMigrantRoutine, &migrant, NORMAL_BASE_PRIORITY);
    ULONG64 expected = 0;

    KT_EXPECT(thread != NULL);
    KT_EXPECT(KtJoinThread(thread));
    for (ULONG i = 0; i < KT_MIGRATIONS; i++)
        expected = expected * 31 + i;
    KT_EXPECT_EQ(migrant.Moves, KT_MIGRATIONS);
    KT_EXPECT_EQ(migrant.Wrong, 0);
    KT_EXPECT_EQ(migrant.Checksum, expected);
}

// ---- targeted DPCs ------------------------------------------------------------------

typedef struct _KT_TARGETED {
    KDPC Dpc;
    KEVENT Ran;
    volatile ULONG Processor;
    volatile KIRQL Irql;
} KT_TARGETED;

static void KtTargetedDpcRoutine(KDPC *dpc, void *context, void *argument1, void *argument2)
{
    KT_TARGETED *targeted = context;

    targeted->Processor = KeGetCurrentProcessorNumber();
    targeted->Irql = KeGetCurrentIrql();
    KeSetEvent(&targeted->Ran, 0, FALSE);
}

KTEST(SmpTargetedDpcRunsOnItsProcessor)
{
    for (ULONG number = 0; number < KeNumberProcessors; number++) {
        KT_TARGETED targeted;

        KeInitializeDpc(&targeted.Dpc, KtTargetedDpcRoutine, &targeted);
        KeSetTargetProcessorDpc(&targeted.Dpc, (CHAR)number);
        KeInitializeEvent(&targeted.Ran, NotificationEvent, FALSE);
        targeted.Processor = ~0U;
        targeted.Irql = PASSIVE_LEVEL;
        KT_EXPECT(KeInsertQueueDpc(&targeted.Dpc, NULL, NULL));
        KT_EXPECT_EQ(KtWait(&targeted.Ran), STATUS_WAIT_0);
        KT_EXPECT_EQ(targeted.Processor, number);
        KT_EXPECT_EQ(targeted.Irql, DISPATCH_LEVEL);
    }
}

// ---- TLB shootdown -----------------------------------------------------------------

#define KT_SHOOT_STACK_SIZE (2 * PAGE_SIZE)
#define KT_SHOOT_VALUE 0x5D15C0DE5D15C0DEULL

typedef struct _KT_SHOOTDOWN {
    volatile ULONG64 *Page;     // a kernel page processor 0 maps, then unmaps
    KEVENT Cached, Unmapped;
    ULONG Processor;
    volatile ULONG64 FirstRead;
    volatile SIZE_T NotCopied;  // of the second read: 8 when it faulted
    volatile ULONG RanOn;
} KT_SHOOTDOWN;

static void KtShootdownReader(void *context)
{
    KT_SHOOTDOWN *shoot = context;
    ULONG64 value = 0;

    KeSetSystemAffinityThread(1ULL << shoot->Processor);
    shoot->RanOn = KeGetCurrentProcessorNumber();
    shoot->FirstRead = *shoot->Page;            // the translation is cached here now
    KeSetEvent(&shoot->Cached, 0, FALSE);
    KtWait(&shoot->Unmapped);
    // Only the shootdown took the translation away: the page is global
    // (CR4.PGE), and this processor has not left the kernel's CR3.
    shoot->NotCopied = KiCopyMemorySafe(&value, (const void *)shoot->Page, sizeof(value));
    PsTerminateSystemThread(STATUS_SUCCESS);
}

KTEST(SmpUnmappedKernelPageFaultsOnAProcessorThatCachedIt)
{
    KT_SHOOTDOWN shoot;
    void *top = MmCreateKernelStack(KT_SHOOT_STACK_SIZE);
    ETHREAD *thread;

    KT_EXPECT(top != NULL);
    shoot.Page = (volatile ULONG64 *)((UCHAR *)top - PAGE_SIZE);
    *shoot.Page = KT_SHOOT_VALUE;
    KeInitializeEvent(&shoot.Cached, NotificationEvent, FALSE);
    KeInitializeEvent(&shoot.Unmapped, NotificationEvent, FALSE);
    shoot.Processor = KeNumberProcessors - 1;
    shoot.FirstRead = 0;
    shoot.NotCopied = 0;
    shoot.RanOn = ~0U;
    thread = KtStartThread(KtShootdownReader, &shoot, KT_HIGH_PRIORITY);
    KT_EXPECT(thread != NULL);
    KT_EXPECT_EQ(KtWait(&shoot.Cached), STATUS_WAIT_0);
    MmDeleteKernelStack(top, KT_SHOOT_STACK_SIZE);
    KeSetEvent(&shoot.Unmapped, 0, FALSE);
    KT_EXPECT(KtJoinThread(thread));
    KT_EXPECT_EQ(shoot.RanOn, shoot.Processor);
    KT_EXPECT_EQ(shoot.FirstRead, KT_SHOOT_VALUE);
    KT_EXPECT_EQ(shoot.NotCopied, sizeof(ULONG64));
}
