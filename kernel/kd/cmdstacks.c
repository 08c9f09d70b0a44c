// !stacks: every thread of every process on one line, with what it is
// blocked in, as WinDbg's !stacks prints them. The third case study runs
// `!stacks 0 mrxsmb` to find the threads whose kernel stacks go through one
// driver; here the filter is matched against each frame's symbol the same
// way ("KdDemoDsm", "nt!KeWaitFor", "ExpWorkerThread").
//
//   Proc.Thread  .Thread  Ticks   ThreadState Blocker
//                               [fffffa8000001968 System]
//      4.00003c  fffffa800000d468 fffffffd Blocked    nt!KdDemoReplyWaiter+0x20
//
// Ticks is WinDbg's: the wait's start minus now, as 32 bits (so a thread that
// has waited 3 ticks shows fffffffd). The blocker is the innermost frame that
// is not the dispatcher's own waiting machinery (KiSwapContext, KiSwapThread,
// KeWaitForSingleObject...): the code that chose to wait.

#include "kd/kd.h"
#include "ps/ps.h"
#include "kd/kdwait.h"

#define KD_STACKS_MAX_FRAMES 32

typedef struct _KD_STACKS_WALK {
    ULONG Detail;           // 0: one line; 1: and the frames from the blocker on; 2: every frame
    const char *Filter;     // "*text*" or NULL
    ULONG64 Process;        // the process being walked
    BOOLEAN ProcessShown;   // its [address image] line is out
    ULONG Threads;          // threads looked at
    ULONG Shown;            // threads printed
} KD_STACKS_WALK;

// The dispatcher's own frames between a blocked thread and the code that
// decided to wait. Everything in Ki* is machinery too.
static const char *const KdpWaitRoutines[] = {
    "nt!KeWaitForSingleObject", "nt!KeWaitForMultipleObjects", "nt!KeDelayExecutionThread",
    "nt!KeRemoveQueue", "nt!KeRemoveQueueEx",
};

BOOLEAN KdpIsWaitMachinery(const char *symbol)
{
    char routine[96];
    size_t i;

    if (RtlMatchPattern("nt!Ki*", symbol))
        return TRUE;
    for (i = 0; symbol[i] && symbol[i] != '+' && i + 1 < sizeof(routine); i++)
        routine[i] = symbol[i];
    routine[i] = '\0';
    for (i = 0; i < sizeof(KdpWaitRoutines) / sizeof(KdpWaitRoutines[0]); i++) {
        if (!RtlCompareStringInsensitive(routine, KdpWaitRoutines[i]))
            return TRUE;
    }
    return FALSE;
}

static const char *KdpStacksState(const KTHREAD *thread)
{
    switch (thread->State) {
    case Waiting:     return "Blocked";
    case Running:     return "RUNNING";
    case Ready:       return "READY";
    case Standby:     return "STANDBY";
    case Terminated:  return "TERMINATED";
    case Initialized: return "INITIALIZED";
    default:          return "UNKNOWN";
    }
}

static BOOLEAN KdpStacksThread(void *context, ULONG64 entry)
{
    KD_STACKS_WALK *walk = context;
    ULONG64 address = entry - FIELD_OFFSET(ETHREAD, ThreadListEntry);
    ULONG64 sites[KD_STACKS_MAX_FRAMES];
    char symbols[KD_STACKS_MAX_FRAMES][96];
    char blocker[112], image[PROCESS_IMAGE_NAME_LENGTH + 1];
    KD_STACK_START start;
    const char *why;
    ETHREAD thread;
    ULONG count = 0, first = 0, i;
    BOOLEAN match = walk->Filter == NULL;

    walk->Threads++;
    if (!KdpIsThread(address) || !KdpReadMemory(address, &thread, sizeof(thread))) {
        KdpPrint("%016llx: not a readable thread (ThreadListHead of process %016llx)\n",
                 (unsigned long long)address, (unsigned long long)walk->Process);
        return TRUE;
    }
    if (KdpGetThreadStackStart(address, address == KdpCurrentThread(), &start, &why))
        count = KdpCollectCallSites(&start, sites, KD_STACKS_MAX_FRAMES);
    for (i = 0; i < count; i++) {
        KdpFormatAddressSymbol(sites[i], symbols[i], sizeof(symbols[i]));
        if (walk->Filter && RtlMatchPattern(walk->Filter, symbols[i]))
            match = TRUE;
    }
    if (!match)
        return TRUE;
    while (first + 1 < count && KdpIsWaitMachinery(symbols[first]))
        first++;
    if (count)
        RtlStringPrintf(blocker, sizeof(blocker), "%s", symbols[first]);
    else if (start.UserTrapFrame)
        RtlStringPrintf(blocker, sizeof(blocker), "(in user mode at %016llx)",
                        (unsigned long long)start.Rip);
    else
        RtlStringPrintf(blocker, sizeof(blocker), "(no stack: %s)", why);

    if (!walk->ProcessShown) {
        if (!KdpReadImageName(walk->Process, image, sizeof(image)))
            RtlStringPrintf(image, sizeof(image), "?");
        KdpPrint("%28s[%016llx %s]\n", "", (unsigned long long)walk->Process, image);
        walk->ProcessShown = TRUE;
    }
    KdpPrint(" %4llx.%06llx  %016llx %08x %-10s %s\n",
             (unsigned long long)(ULONG_PTR)thread.Cid.UniqueProcess,
             (unsigned long long)(ULONG_PTR)thread.Cid.UniqueThread,
             (unsigned long long)address, (ULONG)(thread.Tcb.WaitTime - KeTickCount),
             KdpStacksState(&thread.Tcb), blocker);
    if (walk->Detail) {
        for (i = walk->Detail >= 2 ? 0 : first + 1; i < count; i++)
            KdpPrint("%*s%s\n", 44, "", symbols[i]);
    }
    walk->Shown++;
    return TRUE;
}

static BOOLEAN KdpStacksProcess(void *context, ULONG64 entry)
{
    KD_STACKS_WALK *walk = context;

    walk->Process = entry - FIELD_OFFSET(EPROCESS, ActiveProcessLinks);
    walk->ProcessShown = FALSE;
    KdpWalkList(walk->Process + FIELD_OFFSET(EPROCESS, ThreadListHead), "ThreadListHead",
                KdpStacksThread, walk);
    if (walk->ProcessShown)
        KdpPrint("\n");
    return TRUE;
}

static KD_COMMAND_RESULT KdpStacks(int argc, char **argv)
{
    KD_STACKS_WALK walk = { 0 };
    ULONG64 detail = 0;
    char filter[80];

    if (argc > 3) {
        KdpPrint("Usage: !stacks [detail [filter]]\n");
        return KdCommandContinue;
    }
    if (argc >= 2 && !KdpGetValue(argv[1], &detail))
        return KdCommandContinue;
    if (detail > 2) {
        KdpPrint("!stacks: detail is 0 (one line a thread), 1 (and the frames below the "
                 "blocker) or 2 (every frame), not %llx\n", (unsigned long long)detail);
        return KdCommandContinue;
    }
    if (argc == 3) {
        if (RtlStringPrintf(filter, sizeof(filter), "*%s*", argv[2]) >= sizeof(filter)) {
            KdpPrint("!stacks: the filter is too long\n");
            return KdCommandContinue;
        }
        walk.Filter = filter;
    }
    walk.Detail = (ULONG)detail;
    KdpPrint("Proc.Thread  .Thread  Ticks   ThreadState Blocker\n");
    KdpWalkList((ULONG64)&PsActiveProcessHead, "PsActiveProcessHead", KdpStacksProcess, &walk);
    KdpPrint("Threads Processed: %u", walk.Threads);
    if (walk.Filter)
        KdpPrint(", %u with \"%s\" on the stack", walk.Shown, argv[2]);
    KdpPrint("\n");
    return KdCommandContinue;
}

const KD_COMMAND KdpStacksCommands[] = {
    { "!stacks", KdpStacks, "!stacks [detail [filter]]",
      "every thread on one line with what it is blocked in; detail 1/2: with frames; "
      "filter: only stacks with a frame whose symbol contains it" },
    { NULL, NULL, NULL, NULL },
};
