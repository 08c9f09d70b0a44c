// Processors: `~N` (the processor the commands look at: its registers, its
// stack, its current thread), !pcr and !prcb. The debugger entered on one
// processor has stopped the others (ke/freeze.c); each one's registers are
// the trap frame it stopped with, kept in its KPRCB.

#include "kd/kd.h"
#include "ke/ke.h"
#include "arch/x86_64/hal.h"

KPRCB *KdpProcessorPrcb(ULONG number)
{
    return number < KeNumberProcessors ? KiProcessorBlock[number] : NULL;
}

KPRCB *KdpCurrentPrcb(void)
{
    KPRCB *prcb = KdpProcessorPrcb(KdpState.Processor);

    return prcb ? prcb : KeGetCurrentPrcb();
}

KTRAP_FRAME *KdpProcessorTrapFrame(ULONG number)
{
    KPRCB *prcb = KdpProcessorPrcb(number);

    if (!prcb)
        return NULL;
    if (number == KdpState.Processor)
        return KdpState.EntryTrapFrame;
    if (number == KdpState.BreakProcessor)
        return KdpState.BreakTrapFrame;
    return prcb->IpiFrozen ? prcb->FrozenTrapFrame : NULL;
}

KIRQL KdpProcessorIrql(ULONG number)
{
    KPRCB *prcb = KdpProcessorPrcb(number);

    if (number == KdpState.BreakProcessor || !prcb)
        return KdpState.BreakIrql;
    return prcb->DebuggerSavedIRQL;
}

ULONG KdpThreadProcessor(const KTHREAD *thread)
{
    for (ULONG i = 0; i < KeNumberProcessors; i++) {
        KTHREAD *current = NULL;
        ULONG number = 0;

        if (KdpReadMemory((ULONG64)&KiProcessorBlock[i]->CurrentThread, &current,
                          sizeof(current)) &&
            current &&
            KdpReadMemory((ULONG64)&current->ThreadNumber, &number, sizeof(number)) &&
            number == thread->ThreadNumber)
            return i;
    }
    return KdpState.BreakProcessor;
}

BOOLEAN KdpGetProcessor(const char *text, ULONG *number)
{
    ULONG64 value;

    if (!KdpGetValue(text, &value))
        return FALSE;
    if (value >= KeNumberProcessors) {
        KdpPrint("Processor %llu does not exist (processors 0-%u)\n", (unsigned long long)value,
                 KeNumberProcessors - 1);
        return FALSE;
    }
    *number = (ULONG)value;
    return TRUE;
}

// `~N` or `~Ns`: the commands now look at processor N (prompt `N: kd>`).
static KD_COMMAND_RESULT KdpSwitchProcessor(int argc, char **argv)
{
    char text[16];
    size_t length;
    ULONG number;
    KTRAP_FRAME *frame;

    RtlStringPrintf(text, sizeof(text), "%s", argv[0] + 1);
    length = strlen(text);
    if (length && (text[length - 1] == 's' || text[length - 1] == 'S'))
        text[--length] = '\0';
    if (argc != 1 || !length) {
        KdpPrint("Usage: ~N (N: a processor number, 0-%u)\n", KeNumberProcessors - 1);
        return KdCommandContinue;
    }
    if (!KdpGetProcessor(text, &number))
        return KdCommandContinue;
    frame = KdpProcessorTrapFrame(number);
    if (!frame) {
        KdpPrint("Processor %u did not stop with a register context: it is not frozen\n",
                 number);
        return KdCommandContinue;
    }
    KdpState.Processor = number;
    KdpState.EntryTrapFrame = frame;
    KdpState.TrapFrame = frame;
    KdpState.EntryIrql = KdpProcessorIrql(number);
    KdpState.ContextThread = 0;
    KdpState.ContextProcess = 0;
    KdpState.ContextLeafRip = KdpState.ContextLeafSp = 0;
    KdpState.ScopeFrame = NULL;
    return KdCommandContinue;
}

static BOOLEAN KdpProcessorArgument(int argc, char **argv, const char *usage, ULONG *number)
{
    *number = KdpState.Processor;
    if (argc > 2) {
        KdpPrint("Usage: %s\n", usage);
        return FALSE;
    }
    return argc < 2 || KdpGetProcessor(argv[1], number);
}

static const char *KdpFreezeState(const KPRCB *prcb, ULONG number)
{
    if (number == KdpState.BreakProcessor)
        return "broke in";
    if (!prcb->IpiFrozen)
        return "running (did not stop)";
    return prcb->FrozenByNmi ? "frozen by NMI" : "frozen by IPI";
}

static KD_COMMAND_RESULT KdpPcr(int argc, char **argv)
{
    ULONG number;
    KPRCB prcb;
    KPCR pcr;
    ULONG64 address;

    if (!KdpProcessorArgument(argc, argv, "!pcr [processor]", &number))
        return KdCommandContinue;
    address = (ULONG64)KiProcessorBlock[number] - FIELD_OFFSET(KPCR, Prcb);
    if (!KdpReadMemory(address, &pcr, sizeof(pcr))) {
        KdpPrint("Cannot get PRCB address\n");
        return KdCommandContinue;
    }
    prcb = pcr.Prcb;
    KdpPrint("KPCR for Processor %u at %016llx:\n", number, (unsigned long long)address);
    KdpPrint("\t            SelfPcr: %016llx\n", (unsigned long long)(ULONG64)pcr.Self);
    KdpPrint("\t               Prcb: %016llx\n", (unsigned long long)(ULONG64)pcr.CurrentPrcb);
    KdpPrint("\t               Irql: %016llx\n", (unsigned long long)KdpProcessorIrql(number));
    KdpPrint("\t                IDT: %016llx\n", (unsigned long long)(ULONG64)pcr.IdtBase);
    KdpPrint("\t                GDT: %016llx\n", (unsigned long long)(ULONG64)pcr.GdtBase);
    KdpPrint("\t                TSS: %016llx\n", (unsigned long long)(ULONG64)pcr.TssBase);
    KdpPrint("\t            RspBase: %016llx\n", (unsigned long long)pcr.RspBase);
    KdpPrint("\n");
    KdpPrint("\t      CurrentThread: %016llx\n", (unsigned long long)(ULONG64)prcb.CurrentThread);
    KdpPrint("\t         NextThread: %016llx\n", (unsigned long long)(ULONG64)prcb.NextThread);
    KdpPrint("\t         IdleThread: %016llx\n", (unsigned long long)(ULONG64)prcb.IdleThread);
    KdpPrint("\n");
    KdpPrint("\t           DpcQueue: %u queued\n", prcb.DpcQueueDepth);
    return KdCommandContinue;
}

static KD_COMMAND_RESULT KdpPrcb(int argc, char **argv)
{
    ULONG number;
    KPRCB prcb;

    if (!KdpProcessorArgument(argc, argv, "!prcb [processor]", &number))
        return KdCommandContinue;
    if (!KdpReadMemory((ULONG64)KiProcessorBlock[number], &prcb, sizeof(prcb))) {
        KdpPrint("Cannot get PRCB address\n");
        return KdCommandContinue;
    }
    KdpPrint("PRCB for Processor %u at %016llx:\n", number,
             (unsigned long long)(ULONG64)KiProcessorBlock[number]);
    KdpPrint("Current IRQL -- %u\n", KdpProcessorIrql(number));
    KdpPrint("Threads--  Current %016llx Next %016llx Idle %016llx\n",
             (unsigned long long)(ULONG64)prcb.CurrentThread,
             (unsigned long long)(ULONG64)prcb.NextThread,
             (unsigned long long)(ULONG64)prcb.IdleThread);
    KdpPrint("Processor Index %u Number (0, %u) GroupSetMember %llx\n", prcb.Number, prcb.Number,
             (unsigned long long)(1ULL << prcb.Number));
    KdpPrint("Interrupt Count -- %08llx\n", (unsigned long long)prcb.InterruptCount);
    KdpPrint("Times -- Dpc    %08llx Kernel %08llx User %08llx Idle %08llx\n",
             (unsigned long long)prcb.DpcTime, (unsigned long long)prcb.KernelTime,
             (unsigned long long)prcb.UserTime, (unsigned long long)prcb.IdleTime);
    KdpPrint("Context switches -- %llu; ready summary %08x; DPCs queued %u\n",
             (unsigned long long)prcb.ContextSwitches, prcb.ReadySummary, prcb.DpcQueueDepth);
    KdpPrint("Local APIC id %u; %s\n", prcb.ApicId, KdpFreezeState(&prcb, number));
    return KdCommandContinue;
}

const KD_COMMAND KdpProcessorCommands[] = {
    { "~", KdpSwitchProcessor, "~N",
      "look at processor N: its registers, stack and thread (prompt N: kd>)" },
    { "!pcr", KdpPcr, "!pcr [processor]", "a processor's control region (KPCR)" },
    { "!prcb", KdpPrcb, "!prcb [processor]",
      "a processor's control block (KPRCB): threads, counts, APIC id, frozen or not" },
    { NULL, NULL, NULL, NULL },
};
