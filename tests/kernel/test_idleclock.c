// The tickless idle (kernel/ke/idleclock.c): an idle machine with one
// processor takes a few clock interrupts where it used to take one a tick,
// yet counts every tick and none twice (never ahead of the TSC); a catch-up
// from another interrupt counts the whole ticks gone by and leaves the
// clock periodic.

#include "tests/kernel/ktest.h"
#include "ke/ke.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"

#define KT_TICKS_PER_SECOND (1000000 / CLOCK_TICK_MICROSECONDS)

// The ticks counted are never ahead of the TSC's time, give or take the
// tick in progress at each end: a tick counted twice would show. (Behind it
// may be: under a loaded host, QEMU delivers a late periodic tick once for
// several, and the tick count falls behind, periodic clock or not.)
static BOOLEAN KtTicksNotAheadOfTsc(ULONG64 ticks, ULONG64 tscElapsed)
{
    ULONG64 tscUs = tscElapsed * 1000000 / HalQueryPerformanceFrequency();

    return ticks * CLOCK_TICK_MICROSECONDS <= tscUs + 2 * CLOCK_TICK_MICROSECONDS;
}

// Whole ticks in a TSC interval.
static ULONG64 KtTicksByTsc(ULONG64 tscElapsed)
{
    return tscElapsed * 1000000 / HalQueryPerformanceFrequency() / CLOCK_TICK_MICROSECONDS;
}

static ULONG64 KtMin(ULONG64 a, ULONG64 b)
{
    return a < b ? a : b;
}

KTEST(ClockSkipsTicksWhileTheOnlyProcessorIsIdle)
{
    ULONG64 ticks = KeTickCount, interrupts = KiClockInterrupts, sleeps = KiTicklessSleeps;
    ULONG64 tsc = __rdtsc();

    KeDelayExecutionThread(KernelMode, FALSE, &(LARGE_INTEGER){.QuadPart = -20000000});
    ticks = KeTickCount - ticks;
    interrupts = KiClockInterrupts - interrupts;
    sleeps = KiTicklessSleeps - sleeps;
    KT_EXPECT(ticks >= 2 * KT_TICKS_PER_SECOND);
    KT_EXPECT(KtTicksNotAheadOfTsc(ticks, __rdtsc() - tsc));
    if (KeNumberProcessors == 1 && !KeBootOptions.PeriodicClock) {
        KT_EXPECT(sleeps > 0);
        KT_EXPECT(interrupts < ticks / 2);
    } else {
        // Several processors (or clock=periodic): every tick interrupts.
        KT_EXPECT(sleeps == 0);
        KT_EXPECT(interrupts + 2 >= ticks);
    }
}

// Done by hand on processor 0, interrupts off (with several processors too:
// the others' clocks, periodic, must not count processor 0's skip), what an interrupt arriving in
// the middle of a skip does: 3.5 ticks into a skip of 8, the catch-up counts
// 3 or 4 (where in its tick the skip began decides; more when the host
// stopped the processor meanwhile, as the TSC shows), and the clock's next
// interrupt counts one more on the old grid, periodic again.
KTEST(ClockCatchUpCountsTheTicksGoneByAndTicksAgain)
{
    ULONG64 armedAt = 0, tsc = 0, caught = 0, interrupts, later = 0, start, gone = 0;
    BOOLEAN armed = FALSE, skipping = FALSE, skippingAfter = TRUE, notAhead = FALSE;

    KeSetSystemAffinityThread(1);
    for (ULONG attempt = 0; attempt < 10 && !armed; attempt++) {
        _disable();
        armedAt = KeTickCount;
        tsc = __rdtsc();
        armed = HalClockSkipTicks(8);
        if (!armed)
            _enable();      // a tick came first: take it, and try again
    }
    if (armed) {
        skipping = HalClockSkipping();
        KeStallExecutionProcessor(CLOCK_TICK_MICROSECONDS * 7 / 2);
        gone = KtTicksByTsc(__rdtsc() - tsc);
        KiClockCatchUp();
        caught = KeTickCount - armedAt;
        skippingAfter = HalClockSkipping();
        interrupts = KiClockInterrupts;
        _enable();
        // The tick in progress ends with an interrupt, then the clock ticks
        // as ever: four more ticks, four more interrupts.
        while (KiClockInterrupts == interrupts)
            _mm_pause();
        start = KeTickCount;
        interrupts = KiClockInterrupts;
        while (KeTickCount < start + 4)
            _mm_pause();
        later = KiClockInterrupts - interrupts;
        notAhead = KtTicksNotAheadOfTsc(KeTickCount - armedAt, __rdtsc() - tsc);
    }
    KeRevertToUserAffinityThread();
    KT_EXPECT(armed);
    KT_EXPECT(skipping && !skippingAfter);
    // 3.5 ticks of stall, more if the host ran another thread meanwhile:
    // the whole ticks gone by, or one more (where in its tick the skip
    // began), and at most 7 of the 8 (the last one's interrupt counts it).
    KT_EXPECT(gone >= 3);
    KT_EXPECT(caught == KtMin(gone, 7) || caught == KtMin(gone + 1, 7));
    KT_EXPECT(later >= 4);
    KT_EXPECT(notAhead);
}
