// Time hardware: the PIT measures how fast the local APIC timer and the TSC
// run, then the APIC timer interrupts every 15.625 ms (64 Hz, NT's default
// clock) and the TSC serves as the high-resolution counter. An idle
// processor may instead have the timer interrupt once, several ticks on
// (HalClockSkipTicks: the tickless idle of kernel/ke/idleclock.c), on the
// same grid of tick boundaries as the periodic clock.

#include "arch/x86_64/hal.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/x86.h"
#include "ke/ke.h"

#define PIT_FREQUENCY      1193182ULL
#define PIT_CHANNEL2_DATA  0x42
#define PIT_COMMAND        0x43
#define PIT_CH2_GATE_PORT  0x61
#define PIT_CH2_GATE       0x01
#define PIT_CH2_SPEAKER    0x02
#define PIT_CH2_OUTPUT     0x20
#define PIT_CH2_MODE0_LOHI 0xB0
#define CALIBRATION_MS     50
#define CALIBRATION_SPIN_LIMIT 100000000ULL

static ULONG64 HalpTscFrequency;
static ULONG HalpApicTicksPerClock;
// 0: the timer is periodic, each interrupt one tick. Otherwise it is armed
// once, and its interrupt ends this many ticks (counted from the last one
// the kernel has seen). Only processor HalpClockOneShotProcessor's timer:
// the others' stay periodic.
static volatile ULONG64 HalpClockOneShotTicks;
static volatile ULONG HalpClockOneShotProcessor;

// Runs PIT channel 2 once for CALIBRATION_MS and measures the APIC timer
// and the TSC against it.
static void HalpCalibrate(void)
{
    ULONG count = (ULONG)(PIT_FREQUENCY * CALIBRATION_MS / 1000);
    UCHAR gate = READ_PORT_UCHAR(PIT_CH2_GATE_PORT);
    ULONG64 tscStart, tscEnd, spin = 0;
    ULONG apicElapsed;

    WRITE_PORT_UCHAR(PIT_CH2_GATE_PORT, (gate & ~PIT_CH2_SPEAKER) & ~PIT_CH2_GATE);
    WRITE_PORT_UCHAR(PIT_COMMAND, PIT_CH2_MODE0_LOHI);
    WRITE_PORT_UCHAR(PIT_CHANNEL2_DATA, (UCHAR)count);
    WRITE_PORT_UCHAR(PIT_CHANNEL2_DATA, (UCHAR)(count >> 8));

    HalpApicWrite(APIC_TIMER_DIVIDE, APIC_TIMER_DIVIDE_BY_16);
    HalpApicWrite(APIC_LVT_TIMER, APIC_LVT_MASKED);
    HalpApicWrite(APIC_TIMER_INITIAL, 0xFFFFFFFF);
    tscStart = __rdtsc();
    WRITE_PORT_UCHAR(PIT_CH2_GATE_PORT, (gate & ~PIT_CH2_SPEAKER) | PIT_CH2_GATE);
    while (!(READ_PORT_UCHAR(PIT_CH2_GATE_PORT) & PIT_CH2_OUTPUT) &&
           spin++ < CALIBRATION_SPIN_LIMIT)
        ;
    apicElapsed = 0xFFFFFFFF - HalpApicRead(APIC_TIMER_CURRENT);
    tscEnd = __rdtsc();
    WRITE_PORT_UCHAR(PIT_CH2_GATE_PORT, gate);

    if (spin >= CALIBRATION_SPIN_LIMIT || apicElapsed == 0)
        KeBugCheckEx(HAL_INITIALIZATION_FAILED, 2, spin, apicElapsed, 0);
    HalpTscFrequency = (tscEnd - tscStart) * 1000 / CALIBRATION_MS;
    HalpApicTicksPerClock =
        (ULONG)((ULONG64)apicElapsed * CLOCK_TICK_MICROSECONDS / (CALIBRATION_MS * 1000));
}

void HalStartClock(void)
{
    HalpCalibrate();
    HalStartProcessorClock();
}

// Every processor's local APIC timer runs at the boot processor's rate
// (they share the bus clock), so one calibration serves them all.
void HalStartProcessorClock(void)
{
    HalpApicWrite(APIC_TIMER_DIVIDE, APIC_TIMER_DIVIDE_BY_16);
    HalpApicWrite(APIC_LVT_TIMER, APIC_TIMER_PERIODIC | CLOCK_VECTOR);
    HalpApicWrite(APIC_TIMER_INITIAL, HalpApicTicksPerClock);
}

static void HalpClockPeriodic(void)
{
    HalpClockOneShotTicks = 0;
    HalpApicWrite(APIC_LVT_TIMER, APIC_TIMER_PERIODIC | CLOCK_VECTOR);
    HalpApicWrite(APIC_TIMER_INITIAL, HalpApicTicksPerClock);
}

static BOOLEAN HalpClockInterruptPending(void)
{
    return (HalpApicRead(APIC_IRR + CLOCK_VECTOR / 32 * 0x10) >> (CLOCK_VECTOR % 32)) & 1;
}

// Interrupts off, the timer periodic. Arms it to interrupt once, at the end
// of the tick `ticks` ticks on (the tick in progress is the first), so that
// the interrupt falls on the periodic grid: the counts left in this tick
// plus whole ticks. At most as many as the 32-bit count holds. FALSE (the
// clock still periodic) when a tick came first: its interrupt is pending.
BOOLEAN HalClockSkipTicks(ULONG64 ticks)
{
    ULONG left = HalpApicRead(APIC_TIMER_CURRENT);
    ULONG64 maximum = (0xFFFFFFFFULL - left) / HalpApicTicksPerClock + 1;

    if (HalpClockOneShotTicks || !HalpApicTicksPerClock || ticks < 2 || !left)
        return FALSE;
    if (ticks > maximum)
        ticks = maximum;
    HalpApicWrite(APIC_LVT_TIMER, CLOCK_VECTOR);       // one-shot; the count goes on
    HalpApicWrite(APIC_TIMER_INITIAL, (ULONG)(left + (ticks - 1) * HalpApicTicksPerClock));
    HalpClockOneShotTicks = ticks;
    HalpClockOneShotProcessor = KeGetCurrentProcessorNumber();
    // A periodic tick between the read of `left` and the writes: it is
    // pending and counts one, as ever; the grid starts again from it.
    if (HalpClockInterruptPending()) {
        HalpClockPeriodic();
        return FALSE;
    }
    return TRUE;
}

// Interrupts off, first thing in any interrupt (the clock's own too) while
// the timer is armed for several ticks: how many whole ticks have gone by
// uncounted. The timer then interrupts at the end of the tick in progress,
// the one tick its interrupt counts, as a periodic one does.
ULONG64 HalClockCatchUp(void)
{
    ULONG64 armed = HalpClockOneShotTicks, left;
    ULONG current;

    if (!HalClockSkipping())
        return 0;
    current = HalpApicRead(APIC_TIMER_CURRENT);
    // Ticks not yet over, the one in progress among them; none when the
    // count has run out (its interrupt is pending and ends the last one).
    left = (current + (ULONG64)HalpApicTicksPerClock - 1) / HalpApicTicksPerClock;
    if (left == 0)
        left = 1;
    if (left > armed)
        left = armed;
    if (left > 1)
        HalpApicWrite(APIC_TIMER_INITIAL, current - (ULONG)((left - 1) * HalpApicTicksPerClock));
    HalpClockOneShotTicks = 1;
    return armed - left;
}

// From the clock interrupt, once HalClockCatchUp has counted all but its
// own tick: after a one-shot the clock is periodic again.
void HalClockPeriodicAgain(void)
{
    if (HalpClockOneShotTicks && HalpClockOneShotProcessor == KeGetCurrentProcessorNumber())
        HalpClockPeriodic();
}

BOOLEAN HalClockSkipping(void)
{
    return HalpClockOneShotTicks > 1 &&
           HalpClockOneShotProcessor == KeGetCurrentProcessorNumber();
}

ULONG64 HalQueryPerformanceFrequency(void)
{
    return HalpTscFrequency;
}

void KeStallExecutionProcessor(ULONG microseconds)
{
    if (!HalpTscFrequency) {
        // Not calibrated yet: an I/O port write takes about a microsecond.
        for (ULONG i = 0; i < microseconds; i++)
            KeStallIoDelay();
        return;
    }
    ULONG64 end = __rdtsc() + HalpTscFrequency * microseconds / 1000000;

    while (__rdtsc() < end)
        _mm_pause();
}

LARGE_INTEGER KeQueryPerformanceCounter(LARGE_INTEGER *frequency)
{
    LARGE_INTEGER now;

    if (frequency)
        frequency->QuadPart = (LONGLONG)HalpTscFrequency;
    now.QuadPart = (LONGLONG)__rdtsc();
    return now;
}
