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

// A Ctrl-C typed at the prompt cancelled that line, and the shell dropped
// its request once the line was read (KdpCommandLoop). One typed after the
// Enter is this command's: it stops a listing, or, after `g` (which prints
// nothing), breaks in again once the system runs; consuming it here lost
// that break-in whenever the key came before the command began (a test
// sends it as soon as it sees `g` echoed).
void KdpBeginCommand(void)
{
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
