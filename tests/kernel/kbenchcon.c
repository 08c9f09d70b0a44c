// The consoles' cost per line of debugger output. A listing is printed the
// way a debugger command prints it (KdpPrint, one row at a time), first with
// only the screen enabled, then with no console (the formatting alone), then
// with only the serial port; the figure is the instructions per line,
// everything the listing leaves to draw included (the listing ends with the
// flush the debugger does before it reads the next command).

#include "tests/kernel/kbench.h"
#include "kd/kd.h"
#include "ke/ke.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"

#define KB_CONSOLE_LINES 1000   // lines per sample: a long listing
#define KB_CONSOLE_SAMPLES 5
#define KB_SERIAL_SAMPLES 3     // each one's lines go to the benchmark's log

static ULONG64 KbConsoleListing(void)
{
    ULONG64 start = __rdtsc();

    for (ULONG i = 0; i < KB_CONSOLE_LINES; i++) {
        // A row shaped like !lpc port's: an address, a name, two counts.
        KdpPrint("%016llx  Port %-28s %5u %5u\n",
                 (unsigned long long)(0xffffffff80400000ULL + i * 0x90), "\\RPC Control\\Bench",
                 i, i * 7 % 100);
    }
    HalDisplayFlush();
    return (__rdtsc() - start) / KB_CONSOLE_LINES;
}

void KbConsole(ULONG64 *samples)
{
    BOOLEAN serial, screen;

    HalQueryConsoles(&serial, &screen);
    if (!screen) {
        DbgPrint("BENCH error: kd-line-screen: the screen console is off\n");
    } else {
        HalSelectConsoles(FALSE, TRUE);
        for (ULONG i = 0; i < KB_CONSOLE_SAMPLES; i++)
            samples[i] = KbConsoleListing();
        HalSelectConsoles(serial, screen);
        KbReport("kd-line-screen", samples, KB_CONSOLE_SAMPLES, "cycles/line");
    }
    HalSelectConsoles(FALSE, FALSE);
    for (ULONG i = 0; i < KB_SERIAL_SAMPLES; i++)
        samples[i] = KbConsoleListing();
    HalSelectConsoles(serial, screen);
    KbReport("kd-line-format", samples, KB_SERIAL_SAMPLES, "cycles/line");
    if (serial) {
        HalSelectConsoles(TRUE, FALSE);
        for (ULONG i = 0; i < KB_SERIAL_SAMPLES; i++)
            samples[i] = KbConsoleListing();
        HalSelectConsoles(serial, screen);
        KbReport("kd-line-serial", samples, KB_SERIAL_SAMPLES, "cycles/line");
    }
}
