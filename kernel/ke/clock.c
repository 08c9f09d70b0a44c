// The clock interrupt's work: count the tick, charge it to the running
// thread (ending its quantum when used up), and let expired timers fire.

#include "ke/ke.h"
#include "arch/x86_64/x86.h"

#define HUNDRED_NS_PER_TICK 156250

volatile ULONG64 KeTickCount;
ULONG KeMaximumIncrement = HUNDRED_NS_PER_TICK;     // 15.625 ms in 100-ns units
LONG64 KiBootSystemTime;
ULONG64 KiLastClockTsc;     // when the last tick arrived (benchmarks)

ULONG KeQueryTimeIncrement(void)
{
    return KeMaximumIncrement;
}

LARGE_INTEGER KeQuerySystemTime(void)
{
    LARGE_INTEGER now;

    now.QuadPart = KiBootSystemTime + (LONG64)KeTickCount * HUNDRED_NS_PER_TICK;
    return now;
}

// On the other processors the tick only charges their own thread (NT's
// KeUpdateRunTime): one processor owns the tick count and the timers.
void KeUpdateRunTime(KTRAP_FRAME *trapFrame)
{
    KiQuantumTick(trapFrame);
}

// Runs at CLOCK_LEVEL on every clock interrupt of processor 0: one tick, or
// the last of several an idle processor slept through (idleclock.c).
void KeUpdateSystemTime(KTRAP_FRAME *trapFrame)
{
    KiLastClockTsc = __rdtsc();
    KiClockInterruptStarts();
    KeTickCount++;
    KiQuantumTick(trapFrame);
    KiTimerTick();
}
