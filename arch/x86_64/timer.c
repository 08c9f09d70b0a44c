// Time hardware: the PIT measures how fast the local APIC timer and the TSC
// run, then the APIC timer interrupts every 15.625 ms (64 Hz, NT's default
// clock) and the TSC serves as the high-resolution counter.

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
