// Ctrl-C while a command runs, as in KD: the listing stops at once. The
// system is frozen, so nothing but the debugger reads the consoles: each
// KdpPrint polls them, and once a Ctrl-C has come the rest of the command's
// output is dropped; walks that may be long (KdpWalkList, the listings of
// every thread or port) ask KdpCancelled and stop early. The shell ends the
// command with "^C" on a line of its own (the output may stop mid-line).

#include "kd/kd.h"
#include "arch/x86_64/hal.h"

static BOOLEAN KdpCommandRunning;
static BOOLEAN KdpCancelRequested;

BOOLEAN KdpCancelled(void)
{
    if (KdpCommandRunning && !KdpCancelRequested && HalConsoleBreakRequested())
        KdpCancelRequested = TRUE;
    return KdpCancelRequested;
}

void KdpBeginCommand(void)
{
    // A Ctrl-C typed at the prompt cancelled that line; it is not this
    // command's.
    (void)HalConsoleBreakRequested();
    KdpCancelRequested = FALSE;
    KdpCommandRunning = TRUE;
}

BOOLEAN KdpEndCommand(void)
{
    KdpCommandRunning = FALSE;
    if (!KdpCancelRequested)
        return FALSE;
    KdpCancelRequested = FALSE;
    // The Ctrl-C, and whatever was typed while the output ran, is not the
    // next command.
    HalConsoleFlushInput();
    KdpPrint(HalDisplayAtLineStart() ? "^C\n" : "\n^C\n");
    return TRUE;
}
