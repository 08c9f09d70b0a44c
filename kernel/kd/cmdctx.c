// `.process`: the process whose user half the commands read. WinDbg's
// "implicit process": `.process ADDR` chooses one, `.thread ADDR` chooses
// that thread's, and `.process` alone shows which it is. The reads go
// through the chosen process's page tables (debugger.c), so d*, u, dt,
// poi() and !list see its user addresses while CR3 stays as it was.

#include "kd/kd.h"
#include "ps/ps.h"

static ULONG64 KdpThreadProcess(ULONG64 thread)
{
    ULONG64 process = 0;

    if (!thread ||
        !KeReadMemorySafe(thread + FIELD_OFFSET(ETHREAD, ThreadsProcess), &process,
                          sizeof(process)))
        return 0;
    return process;
}

ULONG64 KdpImplicitProcessOverride(void)
{
    if (KdpState.ContextProcess)
        return KdpState.ContextProcess;
    return KdpState.ContextThread ? KdpThreadProcess(KdpState.ContextThread) : 0;
}

ULONG64 KdpImplicitProcess(void)
{
    ULONG64 process = KdpImplicitProcessOverride();

    return process ? process : KdpThreadProcess(KdpCurrentThread());
}

static void KdpPrintImplicitProcess(void)
{
    char text[18];

    RtlFormatAddress(text, KdpImplicitProcess());
    KdpPrint("Implicit process is now %s\n", text);
}

static KD_COMMAND_RESULT KdpSetProcessContext(int argc, char **argv)
{
    ULONG64 address, process;

    // WinDbg's /p (read through the process's own page tables) and /r
    // (its user symbols) are what Sleuth always does for the implicit
    // process: accepted, and nothing more to do.
    while (argc > 1 && (!RtlCompareStringInsensitive(argv[1], "/p") ||
                        !RtlCompareStringInsensitive(argv[1], "/r"))) {
        argv++;
        argc--;
    }
    if (argc > 2) {
        KdpPrint("Usage: .process [/p] [/r] [address]\n");
        return KdCommandContinue;
    }
    if (argc == 1) {
        KdpPrintImplicitProcess();
        return KdCommandContinue;
    }
    if (!KdpGetValue(argv[1], &address))
        return KdCommandContinue;
    if (address == 0) {
        // WinDbg's `.process 0`: back to the current thread's process.
        KdpState.ContextProcess = 0;
        KdpPrintImplicitProcess();
        return KdCommandContinue;
    }
    if (address < KD_USER_SPACE_END) {
        KdpPrint("%016llx is not a process address (a Cid? `!process Cid 0` shows its "
                 "address)\n", (unsigned long long)address);
        return KdCommandContinue;
    }
    if (!KdpResolveProcess(address, &process))
        return KdCommandContinue;           // it said why it is not a process
    KdpState.ContextProcess = process;
    KdpPrintImplicitProcess();
    return KdCommandContinue;
}

const KD_COMMAND KdpContextCommands[] = {
    { ".process", KdpSetProcessContext, ".process [/p] [/r] [address]",
      "read user addresses (d*, u, dt, poi) in that process; alone: show which one" },
    { NULL, NULL, NULL, NULL },
};
