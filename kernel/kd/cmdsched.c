// Scheduler commands: !ready (the ready lists), !running (what each processor
// runs), !timer (the armed timers), !dpcs (the queued DPCs) and !irql (the
// IRQL the debugger interrupted), each for every processor (or the one
// `~N` chose), every KPRCB copied through the fault-safe read.

#include "kd/kd.h"
#include "ps/ps.h"
#include "arch/x86_64/hal.h"

#define KD_READY_DEFAULT KD_THREAD_DEFAULT      // WinDbg's default for !ready: 0x6
#define KD_RUNNING_STACK_FRAMES 64

static BOOLEAN KdpReadPrcb(ULONG number, KPRCB *prcb)
{
    KPRCB *address = KdpProcessorPrcb(number);

    if (address && KdpReadMemory((ULONG64)address, prcb, sizeof(*prcb)))
        return TRUE;
    KdpPrint("Cannot get PRCB address\n");
    return FALSE;
}

// ---- !ready ------------------------------------------------------------------------

typedef struct _KD_READY_WALK {
    ULONG Flags;
    ULONG Processor;
    ULONG Priority;
    ULONG Count;
} KD_READY_WALK;

static BOOLEAN KdpPrintReadyThread(void *context, ULONG64 entry)
{
    KD_READY_WALK *walk = context;

    if (walk->Count++ == 0)
        KdpPrint("Processor %u: Ready Threads at priority %u\n", walk->Processor,
                 walk->Priority);
    KdpPrintThread(entry - FIELD_OFFSET(KTHREAD, WaitListEntry), walk->Flags, 4);
    if (walk->Flags & KD_THREAD_WAIT_STATES)
        KdpPrint("\n");
    return TRUE;
}

static void KdpReadyOnProcessor(ULONG number, ULONG64 flags);

static KD_COMMAND_RESULT KdpReady(int argc, char **argv)
{
    ULONG64 flags = KD_READY_DEFAULT;

    if (argc > 2) {
        KdpPrint("Usage: !ready [flags]\n");
        return KdCommandContinue;
    }
    if (argc == 2 && !KdpGetValue(argv[1], &flags))
        return KdCommandContinue;
    for (ULONG number = 0; number < KeNumberProcessors; number++)
        KdpReadyOnProcessor(number, flags);
    return KdCommandContinue;
}

static void KdpReadyOnProcessor(ULONG number, ULONG64 flags)
{
    KPRCB prcb;
    ULONG total = 0;

    if (!KdpReadPrcb(number, &prcb))
        return;
    for (LONG priority = MAXIMUM_PRIORITY - 1; priority >= 0; priority--) {
        ULONG64 head = (ULONG64)&KdpProcessorPrcb(number)->DispatcherReadyListHead[priority];
        BOOLEAN empty = (ULONG64)prcb.DispatcherReadyListHead[priority].Flink == head;
        BOOLEAN summary = (prcb.ReadySummary >> priority) & 1;
        KD_READY_WALK walk = { (ULONG)flags, prcb.Number, (ULONG)priority, 0 };

        if (empty != !summary)
            KdpPrint("Processor %u: ReadySummary bit %d is %s but the list is %s\n",
                     prcb.Number, priority, summary ? "set" : "clear",
                     empty ? "empty" : "not empty");
        if (empty)
            continue;
        KdpWalkList(head, "DispatcherReadyListHead", KdpPrintReadyThread, &walk);
        total += walk.Count;
    }
    if (!total)
        KdpPrint("Processor %u: No threads in READY state\n", prcb.Number);
}

// ---- !running ----------------------------------------------------------------------

static void KdpPrintPriorityColumn(ULONG64 thread)
{
    CHAR priority;

    if (!thread) {
        KdpPrint("%-22s", "");
    } else if (KdpReadMemory(thread + FIELD_OFFSET(KTHREAD, Priority), &priority,
                             sizeof(priority))) {
        KdpPrint("%016llx (%2d) ", (unsigned long long)thread, priority);
    } else {
        KdpPrint("%016llx (\?\?) ", (unsigned long long)thread);
    }
}

static KD_COMMAND_RESULT KdpRunning(int argc, char **argv)
{
    BOOLEAN includeIdle = FALSE, stacks = FALSE;
    ULONG64 idleMask = 0;
    KPRCB prcb;

    for (int i = 1; i < argc; i++) {
        const char *option = argv[i];

        if (option[0] != '-' || !option[1]) {
            KdpPrint("Usage: !running [-i] [-t]\n");
            return KdCommandContinue;
        }
        for (const char *c = option + 1; *c; c++) {
            if (*c == 'i') {
                includeIdle = TRUE;
            } else if (*c == 't') {
                stacks = TRUE;
            } else {
                KdpPrint("Usage: !running [-i] [-t]\n");
                return KdCommandContinue;
            }
        }
    }
    for (ULONG number = 0; number < KeNumberProcessors; number++) {
        if (!KdpReadPrcb(number, &prcb))
            return KdCommandContinue;
        if (prcb.CurrentThread == prcb.IdleThread)
            idleMask |= 1ULL << number;
    }
    KdpPrint("System Processors:  (%016llx)\n", (unsigned long long)KeQueryActiveProcessors());
    KdpPrint("  Idle Processors:  (%016llx)\n", (unsigned long long)idleMask);
    if (idleMask == KeQueryActiveProcessors() && !includeIdle) {
        KdpPrint("All processors idle.\n");
        return KdCommandContinue;
    }
    KdpPrint("\n       Prcbs             Current         (pri) Next            (pri) Idle\n");
    for (ULONG number = 0; number < KeNumberProcessors; number++) {
        if (((idleMask >> number) & 1) && !includeIdle)
            continue;
        if (!KdpReadPrcb(number, &prcb))
            return KdCommandContinue;
        KdpPrint("  %-4u %016llx  ", number, (unsigned long long)(ULONG64)KdpProcessorPrcb(number));
        KdpPrintPriorityColumn((ULONG64)prcb.CurrentThread);
        KdpPrintPriorityColumn((ULONG64)prcb.NextThread);
        KdpPrint("%016llx\n", (unsigned long long)(ULONG64)prcb.IdleThread);
        if (stacks) {
            const KTRAP_FRAME *frame = KdpProcessorTrapFrame(number);

            KdpPrint("\n");
            if (frame)
                KdpPrintStackFromTrap(frame, KD_RUNNING_STACK_FRAMES);
            else
                KdpPrint("(no register context)\n");
            KdpPrint("\n");
        }
    }
    return KdCommandContinue;
}

// ---- !timer ------------------------------------------------------------------------

typedef struct _KD_TIMER_WALK {
    ULONG List;
    ULONG Count;
    ULONG InList;
    ULONG MaximumList;
    ULONG64 Now;
} KD_TIMER_WALK;

// What the timer is for: its DPC's routine, or the thread whose wait timeout
// it is (KTHREAD.Timer).
static void KdpPrintTimerOwner(ULONG64 address, const KTIMER *timer)
{
    char symbol[128];
    ULONG64 thread = address - FIELD_OFFSET(KTHREAD, Timer);

    if (timer->Dpc) {
        KDPC dpc;

        if (KdpReadMemory((ULONG64)timer->Dpc, &dpc, sizeof(dpc))) {
            KdpFormatAddressSymbol((ULONG64)dpc.DeferredRoutine, symbol,
                            sizeof(symbol));
            KdpPrint("%s (DPC @ %016llx)\n", symbol, (unsigned long long)(ULONG64)timer->Dpc);
        } else {
            KdpPrint("DPC @ %016llx (cannot be read)\n", (unsigned long long)(ULONG64)timer->Dpc);
        }
    } else if (KdpIsThread(thread)) {
        KdpPrint("thread %016llx\n", (unsigned long long)thread);
    } else {
        KdpPrint("(no DPC)\n");
    }
}

static BOOLEAN KdpPrintTimer(void *context, ULONG64 entry)
{
    KD_TIMER_WALK *walk = context;
    ULONG64 address = entry - FIELD_OFFSET(KTIMER, TimerListEntry);
    KTIMER timer;
    char remaining[48];

    walk->Count++;
    if (++walk->InList > walk->MaximumList)
        walk->MaximumList = walk->InList;
    if (!KdpReadMemory(address, &timer, sizeof(timer))) {
        KdpPrint("%4u %016llx (cannot be read)\n", walk->List, (unsigned long long)address);
        return TRUE;
    }
    if (timer.DueTime > walk->Now)
        RtlFormatTickDuration(remaining, sizeof(remaining), timer.DueTime - walk->Now,
                              CLOCK_TICK_MICROSECONDS);
    else
        RtlStringPrintf(remaining, sizeof(remaining), "due now");
    KdpPrint("%4u %016llx %-20s %10llu %-16s %8d  ", walk->List, (unsigned long long)address,
             timer.Header.Type == TimerNotificationObject     ? "NotificationTimer"
             : timer.Header.Type == TimerSynchronizationObject ? "SynchronizationTimer"
                                                               : "(not a timer)",
             (unsigned long long)timer.DueTime, remaining, timer.Period);
    KdpPrintTimerOwner(address, &timer);
    return TRUE;
}

// The timer table is KiTimerTable, private to ke/timer.c: its address and
// size come from the symbol table, as WinDbg finds NT's.
static KD_COMMAND_RESULT KdpTimer(int argc, char **argv)
{
    const KSYM_ENTRY *table = KdpLookupName(&KdpKernelSymbols, "KiTimerTable");
    KD_TIMER_WALK walk = { 0, 0, 0, 0, KeTickCount };
    ULONG lists;

    if (argc != 1) {
        KdpPrint("Usage: !timer\n");
        return KdCommandContinue;
    }
    if (!table || !table->Size || table->Size % sizeof(LIST_ENTRY)) {
        KdpPrint("Cannot find the timer table (symbol nt!KiTimerTable)\n");
        return KdCommandContinue;
    }
    lists = table->Size / sizeof(LIST_ENTRY);
    KdpPrint("Dump system timers\n\n");
    KdpPrint("Tick count: %llu (one tick = %llu us)\n\n", (unsigned long long)walk.Now,
             (unsigned long long)CLOCK_TICK_MICROSECONDS);
    KdpPrint("List Timer            Type                   Due tick Remaining          "
             "Period  DPC/thread\n");
    for (walk.List = 0; walk.List < lists; walk.List++) {
        walk.InList = 0;
        KdpWalkList(table->Address + walk.List * sizeof(LIST_ENTRY), "KiTimerTable",
                    KdpPrintTimer, &walk);
    }
    KdpPrint("\nTotal Timers: %u, Maximum List: %u\n", walk.Count, walk.MaximumList);
    return KdCommandContinue;
}

// ---- !dpcs -------------------------------------------------------------------------

typedef struct _KD_DPC_WALK {
    ULONG Processor;
    ULONG Count;
} KD_DPC_WALK;

static BOOLEAN KdpPrintDpc(void *context, ULONG64 entry)
{
    KD_DPC_WALK *walk = context;
    ULONG64 address = entry - FIELD_OFFSET(KDPC, DpcListEntry);
    KDPC dpc;
    char symbol[128];

    if (walk->Count++ == 0)
        KdpPrint("CPU Type      KDPC               Function\n");
    if (!KdpReadMemory(address, &dpc, sizeof(dpc))) {
        KdpPrint("%2u: Normal  : 0x%016llx (cannot be read)\n", walk->Processor,
                 (unsigned long long)address);
        return TRUE;
    }
    KdpFormatAddressSymbol((ULONG64)dpc.DeferredRoutine, symbol, sizeof(symbol));
    KdpPrint("%2u: Normal  : 0x%016llx 0x%016llx %s\n", walk->Processor,
             (unsigned long long)address, (unsigned long long)(ULONG64)dpc.DeferredRoutine,
             symbol);
    return TRUE;
}

static KD_COMMAND_RESULT KdpDpcs(int argc, char **argv)
{
    KPRCB prcb;

    if (argc != 1) {
        KdpPrint("Usage: !dpcs\n");
        return KdCommandContinue;
    }
    for (ULONG number = 0; number < KeNumberProcessors; number++) {
        KD_DPC_WALK walk = { number, 0 };

        if (!KdpReadPrcb(number, &prcb))
            return KdCommandContinue;
        KdpWalkList((ULONG64)&KdpProcessorPrcb(number)->DpcListHead, "DpcListHead",
                    KdpPrintDpc, &walk);
        if (!walk.Count)
            KdpPrint("CPU %u: no DPCs queued\n", number);
        else if (walk.Count != prcb.DpcQueueDepth)
            KdpPrint("CPU %u: DpcQueueDepth says %u, the list holds %u\n", number,
                     prcb.DpcQueueDepth, walk.Count);
    }
    return KdCommandContinue;
}

// ---- !irql -------------------------------------------------------------------------

const char *KdpIrqlName(KIRQL irql)
{
    switch (irql) {
    case PASSIVE_LEVEL:
        return "LOW_LEVEL";
    case APC_LEVEL:
        return "APC_LEVEL";
    case DISPATCH_LEVEL:
        return "DISPATCH_LEVEL";
    case CMCI_LEVEL:
        return "CMCI_LEVEL";
    case CLOCK_LEVEL:
        return "CLOCK_LEVEL";
    case IPI_LEVEL:
        return "IPI_LEVEL";
    case HIGH_LEVEL:
        return "HIGH_LEVEL";
    default:
        return "device level";
    }
}

static KD_COMMAND_RESULT KdpIrql(int argc, char **argv)
{
    ULONG processor = KdpState.Processor;
    KIRQL irql;

    if (argc > 2) {
        KdpPrint("Usage: !irql [processor]\n");
        return KdCommandContinue;
    }
    if (argc == 2 && !KdpGetProcessor(argv[1], &processor))
        return KdCommandContinue;
    irql = processor == KdpState.Processor ? KdpState.EntryIrql : KdpProcessorIrql(processor);
    KdpPrint("Debugger saved IRQL for processor 0x%llx -- %u (%s)\n",
             (unsigned long long)processor, irql, KdpIrqlName(irql));
    return KdCommandContinue;
}

const KD_COMMAND KdpSchedulerCommands[] = {
    { "!ready", KdpReady, "!ready [flags]",
      "the ready threads by priority (flags as !thread; 0: one line each)" },
    { "!running", KdpRunning, "!running [-i] [-t]",
      "the thread each processor runs (-i idle ones too, -t with stacks)" },
    { "!timer", KdpTimer, "!timer", "every armed timer: due tick, time left, period, DPC/thread" },
    { "!dpcs", KdpDpcs, "!dpcs", "the DPCs queued on each processor, routines symbolized" },
    { "!irql", KdpIrql, "!irql [processor]", "the IRQL the processor was at when the debugger "
      "was entered" },
    { NULL, NULL, NULL, NULL },
};
