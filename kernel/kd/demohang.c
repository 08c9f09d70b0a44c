// demo=hang: a "driver" thread that raises to DISPATCH_LEVEL and spins
// forever, the way a driver stuck on a spin lock hangs a machine. Nothing
// else can run on its processor, 0 (the scheduler itself is masked), but the
// serial and keyboard interrupts are above DISPATCH_LEVEL, so Ctrl-C still
// breaks in: `!irql`, `!running` and `k` then show the culprit.

#include "kd/kd.h"
#include "ps/ps.h"

ETHREAD *KdDemoHungThread;
volatile ULONG64 KdDemoHungSpins;
KSPIN_LOCK KdDemoHungLock;          // held by nobody: the thread waits for it forever

// Spins on a lock that is never released, as a hung driver would.
static void KdDemoHungDriver(void *context)
{
    KIRQL oldIrql;

    // On processor 0, where Ctrl-C's serial interrupt arrives and breaks in,
    // whatever the processor count: the break-in then stops the culprit
    // itself, as on one processor (the other processors go on running).
    KeSetSystemAffinityThread(1);
    oldIrql = KfRaiseIrql(DISPATCH_LEVEL);
    KdDemoHungLock = 1;     // "owned" by someone who is gone
    for (;;) {
        if (__atomic_load_n(&KdDemoHungLock, __ATOMIC_RELAXED) == 0)
            break;
        KdDemoHungSpins++;
        __asm__ volatile("pause");
    }
    KeLowerIrql(oldIrql);
}

void KdStartHangDemo(void)
{
    NTSTATUS status = PsCreateSystemThreadEx(NULL, KdDemoHungDriver, NULL, NORMAL_BASE_PRIORITY,
                                             NULL, &KdDemoHungThread);

    if (!NT_SUCCESS(status))
        DbgPrint("Demo: cannot start the hung thread (status %08x)\n", (ULONG)status);
    else
        DbgPrint("Demo: a thread now spins at DISPATCH_LEVEL; press Ctrl-C to break in\n");
}
