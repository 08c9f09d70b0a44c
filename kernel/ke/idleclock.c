// Tickless idle. An idle processor need not be woken 64 times a second to
// count ticks nobody is waiting for: the idle loop arms the clock to
// interrupt once, when the first timer falls due (KiIdleSkipTicks), and
// halts. Whichever interrupt comes first then counts the ticks that went by:
//
//   KiClockCatchUp, first thing in the interrupt (trap.c), counts the whole
//   ticks gone by, before the interrupt's routine or a thread it wakes can
//   read KeTickCount. If the interrupt is the clock's, its routine counts
//   the last tick as ever (KeUpdateSystemTime) and makes the clock periodic
//   again; if not, the clock interrupts at the end of the tick in progress,
//   counts that one, and is periodic from then on.
//
// The skipped ticks are idle time, and every interrupt still falls on the
// grid of 15.625 ms boundaries, so KeTickCount keeps step with real time.
// Under QEMU's -icount with sleep=off, an idle guest then ages by hours with
// one interrupt per timer that falls due (about one a second: the worker
// queues' balance manager) where it took 64 a second (docs/performance.md).
//
// Only with one processor: there the idle processor is the whole system.
// With several, processor 0 owns the tick count and the timers, and another
// processor could arm a timer while processor 0 sleeps past it; they keep the
// periodic clock. `clock=periodic` on the command line keeps it too.

#include "ke/ke.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"
#include "init/cmdline.h"
#include "kd/kd.h"

ULONG64 KiClockInterrupts;      // clock interrupts taken by processor 0
ULONG64 KiTicklessSleeps;       // idle halts that skipped ticks

// How many ticks the idle processor may sleep through: up to the first
// timer's due tick, and none when some work waits for the next tick.
static ULONG64 KiTicksToSkip(void)
{
    ULONG64 now = KeTickCount, due;

    if (KeBootOptions.PeriodicClock || KeNumberProcessors != 1 || HalGetProcessorCount() != 1)
        return 0;
    if (!IsListEmpty(&KeGetCurrentPrcb()->DpcListHead) || HalDisplayBehind() ||
        KdClockTickPending())
        return 0;
    due = KiNextTimerDueTick();
    return due > now ? due - now : 0;
}

// The idle loop, interrupts off, before it halts (`sti; hlt`): the clock
// armed to skip the ticks nobody waits for, if any.
void KiIdleSkipTicks(void)
{
    ULONG64 ticks = KiTicksToSkip();

    if (ticks >= 2 && HalClockSkipTicks(ticks))
        KiTicklessSleeps++;
}

// First thing in every hardware interrupt while the clock skips ticks:
// they went by while this, the only, processor was idle. Timers due meanwhile
// expire in the DPC, which looks at every tick since its last pass.
void KiClockCatchUp(void)
{
    ULONG64 ticks = HalClockCatchUp();

    if (ticks) {
        KeTickCount += ticks;
        KeGetCurrentPrcb()->IdleTime += ticks;
        KiTimerTick();
    }
}

// The clock interrupt, before it counts its tick.
void KiClockInterruptStarts(void)
{
    KiClockInterrupts++;
    HalClockPeriodicAgain();
}
