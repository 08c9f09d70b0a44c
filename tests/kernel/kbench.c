// In-kernel benchmarks, run when the kernel command line says `bench`. Each
// prints "BENCH <name> <median> <unit>" on the consoles; tools/bench.py
// collects them. Under QEMU's -icount the TSC counts guest instructions, so
// the figures are deterministic instruction counts; otherwise they are TSC
// cycles.

#include "tests/kernel/ktest.h"
#include "tests/kernel/kbench.h"
#include "tests/kernel/ktio.h"
#include "ke/ke.h"
#include "ke/kephase.h"
#include "mm/mm.h"
#include "ps/ps.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"

#define BENCH_TAG POOL_TAG('K', 'b', 'c', 'h')

typedef struct _BENCH_PINGPONG {
    KEVENT Ping;
    KEVENT Pong;
    volatile BOOLEAN Stop;
} BENCH_PINGPONG;

static void KbSort(ULONG64 *values, ULONG count)
{
    // Shell sort: no recursion, no allocation, fast enough for 10,000 values.
    for (ULONG gap = count / 2; gap > 0; gap /= 2) {
        for (ULONG i = gap; i < count; i++) {
            ULONG64 value = values[i];
            ULONG j = i;

            for (; j >= gap && values[j - gap] > value; j -= gap)
                values[j] = values[j - gap];
            values[j] = value;
        }
    }
}

static ULONG64 KbMedian(ULONG64 *samples, ULONG count)
{
    KbSort(samples, count);
    return samples[count / 2];
}

void KbReport(const char *name, ULONG64 *samples, ULONG count, const char *unit)
{
    ULONG64 median = KbMedian(samples, count);

    DbgPrint("BENCH %s %llu %s (median of %u; min %llu, p90 %llu)\n", name,
             (unsigned long long)median, unit, count, (unsigned long long)samples[0],
             (unsigned long long)samples[count * 9 / 10]);
}

static void KbPongThread(void *context)
{
    BENCH_PINGPONG *pingPong = context;

    for (;;) {
        KeWaitForSingleObject(&pingPong->Ping, Executive, KernelMode, FALSE, NULL);
        if (pingPong->Stop)
            break;
        KeSetEvent(&pingPong->Pong, 0, FALSE);
    }
}

// Two threads hand a synchronization event back and forth: one round trip
// is two signals, two waits and two context switches.
static void KbEventPingPong(ULONG64 *samples)
{
    BENCH_PINGPONG pingPong;
    ETHREAD *pong;

    KeInitializeEvent(&pingPong.Ping, SynchronizationEvent, FALSE);
    KeInitializeEvent(&pingPong.Pong, SynchronizationEvent, FALSE);
    pingPong.Stop = FALSE;
    if (!NT_SUCCESS(PsCreateSystemThreadEx(NULL, KbPongThread, &pingPong, BENCH_PRIORITY, NULL,
                                           &pong)))
        return;
    for (ULONG i = 0; i < BENCH_ROUNDS; i++) {
        ULONG64 start = __rdtsc();

        KeSetEvent(&pingPong.Ping, 0, FALSE);
        KeWaitForSingleObject(&pingPong.Pong, Executive, KernelMode, FALSE, NULL);
        samples[i] = __rdtsc() - start;
    }
    pingPong.Stop = TRUE;
    KeSetEvent(&pingPong.Ping, 0, FALSE);
    KeWaitForSingleObject(&pong->Tcb, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(pong);
    KbReport("event-pingpong-roundtrip", samples, BENCH_ROUNDS, "cycles");
}

static volatile BOOLEAN KbYieldStop;

static void KbYieldThread(void *context)
{
    while (!KbYieldStop)
        KeYieldExecution();
}

// Two threads of one priority yield to each other: every KeYieldExecution
// is one context switch.
static void KbContextSwitch(ULONG64 *samples)
{
    ETHREAD *other;

    KbYieldStop = FALSE;
    if (!NT_SUCCESS(PsCreateSystemThreadEx(NULL, KbYieldThread, NULL, BENCH_PRIORITY, NULL,
                                           &other)))
        return;
    KeYieldExecution();     // let it start
    for (ULONG i = 0; i < BENCH_ROUNDS; i++) {
        ULONG64 start = __rdtsc();

        KeYieldExecution();     // to the other thread and back: two switches
        samples[i] = (__rdtsc() - start) / 2;
    }
    KbYieldStop = TRUE;
    KeWaitForSingleObject(&other->Tcb, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(other);
    KbReport("context-switch", samples, BENCH_ROUNDS, "cycles");
}

// From the clock interrupt that finds a timer due to the thread waiting on
// it running again: the timer DPC, the wait test and the switch.
static void KbTimerExpiry(ULONG64 *samples)
{
    const ULONG rounds = 200;    // each costs a tick of real time
    KTIMER timer;
    LARGE_INTEGER oneTick = { .QuadPart = -1 };

    KeInitializeTimerEx(&timer, SynchronizationTimer);
    for (ULONG i = 0; i < rounds; i++) {
        KeSetTimer(&timer, oneTick, NULL);
        KeWaitForSingleObject(&timer, Executive, KernelMode, FALSE, NULL);
        samples[i] = __rdtsc() - KiLastClockTsc;
    }
    KbReport("timer-expiry-to-waiter", samples, rounds, "cycles");
}

static void KbRun(void *context)
{
    ULONG64 *samples = ExAllocatePoolWithTag(NonPagedPool, BENCH_ROUNDS * sizeof(ULONG64),
                                             BENCH_TAG);

    if (!samples) {
        DbgPrint("BENCH error: no memory for samples\n");
        return;
    }
    // Booted with more than one processor (make bench's
    // in-kernel-2-processors), only the round trips between processors.
    if (KeNumberProcessors > 1) {
        KbCrossProcessor(samples);
        ExFreePoolWithTag(samples, BENCH_TAG);
        return;
    }
    // A phases build (make bench-phases) measures LPC's paths only.
    if (!KE_PHASES_BUILT) {
        KbEventPingPong(samples);
        KbContextSwitch(samples);
        KbTimerExpiry(samples);
    }
    KbLpc(samples);
    if (!KE_PHASES_BUILT) {
        KbWorkQueue(samples);
        KbConsole(samples);
        KbStackWalk(samples);
        KbVmZombies(samples);
        KbWaitChain(samples);
    }
    ExFreePoolWithTag(samples, BENCH_TAG);
}

// The user-mode benchmarks (system calls, thread and process creation)
// are ubench.exe's (user/ubench): it prints its own BENCH lines.
#define BENCH_USER_TIMEOUT_MS 120000

// `command` (NULL: everything) picks what ubench.exe runs.
static void KbRunUbench(const char *command)
{
    LARGE_INTEGER timeout = {.QuadPart = -(LONG64)BENCH_USER_TIMEOUT_MS * 10000};
    EPROCESS *process;
    NTSTATUS status = PsStartUserProgram("ubench", command, &process);

    if (!NT_SUCCESS(status)) {
        DbgPrint("BENCH error: ubench.exe could not start: %08x\n", (ULONG)status);
        return;
    }
    status = KeWaitForSingleObject(&process->Pcb, Executive, KernelMode, FALSE, &timeout);
    if (status != STATUS_WAIT_0 || process->ExitStatus != STATUS_SUCCESS)
        DbgPrint("BENCH error: ubench.exe: wait %08x, exit status %08x\n", (ULONG)status,
                 (ULONG)process->ExitStatus);
    ObDereferenceObject(process);
}

// ALPC under load: talpcstress's 64 clients in 4 processes to one server
// process, `requests` synchronous requests each (it prints its own lines:
// under `bench`, a BENCH line, the instructions a request under -icount).
// make bench runs 1,000 a client (minutes under -icount); make stress
// (`stress`, no -icount) the full 100,000 a client, 6.4 million requests
// with nothing lost, which -icount would take hours over.
#define BENCH_ALPC_REQUESTS          "1000"
#define STRESS_ALPC_REQUESTS         "100000"
#define BENCH_ALPC_STRESS_TIMEOUT_MS (3 * 3600 * 1000)

static BOOLEAN KbRunAlpcSixtyFourClients(const char *commandLine, const char *prefix)
{
    LARGE_INTEGER timeout = {.QuadPart = -(LONG64)BENCH_ALPC_STRESS_TIMEOUT_MS * 10000};
    EPROCESS *process;
    NTSTATUS status = PsStartUserProgram("talpcstress", commandLine, &process);
    BOOLEAN passed;

    if (!NT_SUCCESS(status)) {
        DbgPrint("%s error: talpcstress.exe could not start: %08x\n", prefix, (ULONG)status);
        return FALSE;
    }
    status = KeWaitForSingleObject(&process->Pcb, Executive, KernelMode, FALSE, &timeout);
    passed = status == STATUS_WAIT_0 && process->ExitStatus == STATUS_SUCCESS;
    if (!passed)
        DbgPrint("%s error: talpcstress.exe: wait %08x, exit status %08x\n", prefix,
                 (ULONG)status, (ULONG)process->ExitStatus);
    ObDereferenceObject(process);
    return passed;
}

static void KbRunUserBenchmarks(void)
{
    if (!KE_PHASES_BUILT) {
        // The I/O benchmark's devices (tests/kernel/ktio.c).
        NTSTATUS status = KtIoStartDrivers();

        if (!NT_SUCCESS(status))
            DbgPrint("BENCH error: the I/O test drivers: %08x\n", (ULONG)status);
        KbRunUbench(NULL);
        KtIoStopDrivers();
        KbRunAlpcSixtyFourClients("talpcstress bench " BENCH_ALPC_REQUESTS, "BENCH");
        return;
    }
    // One ubench.exe per LPC benchmark, so that each one's edges are its own
    // (its process start and connect are taken far fewer times than once a
    // round, and left out of the report).
    KiPhaseStart();
    KbRunUbench("ubench lpc-request-reply");
    KiPhaseReport("lpc-request-reply-process", 10000);
    KiPhaseStart();
    KbRunUbench("ubench lpc-datagram");
    KiPhaseReport("lpc-datagram-process", 10000);
}

void KtRunBenchmarks(void)
{
    ETHREAD *runner;

    DbgPrint("BENCH BEGIN (TSC %llu Hz%s)\n", (unsigned long long)HalQueryPerformanceFrequency(),
             "; under -icount the TSC counts instructions");
    // Benchmarks run at a fixed priority above everything else that is running.
    if (NT_SUCCESS(PsCreateSystemThreadEx(NULL, KbRun, NULL, BENCH_PRIORITY, NULL, &runner))) {
        KeWaitForSingleObject(&runner->Tcb, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(runner);
    }
    if (KeNumberProcessors == 1)
        KbRunUserBenchmarks();
    DbgPrint("BENCH DONE\n");
    HalExitEmulator(KTEST_EXIT_PASS);
}

void KtRunStress(void)
{
    LONG64 start = KeQuerySystemTime().QuadPart;
    BOOLEAN passed;

    DbgPrint("STRESS BEGIN\n");
    passed = KbRunAlpcSixtyFourClients("talpcstress stress " STRESS_ALPC_REQUESTS, "STRESS");
    DbgPrint("STRESS alpc-64-clients-100000 %s in %llu ms of guest time\n",
             passed ? "passed" : "FAILED",
             (unsigned long long)((KeQuerySystemTime().QuadPart - start) / 10000));
    DbgPrint("STRESS DONE\n");
    HalExitEmulator(passed ? KTEST_EXIT_PASS : KTEST_EXIT_FAIL);
}
