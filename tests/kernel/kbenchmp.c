// Round trips between two processors (`make bench`'s in-kernel-2-processors
// boot, -smp 2): an event ping-pong and an LPC request and reply, the
// benchmark thread pinned to processor 0 and its partner to processor 1
// (affinity), so that every round trip crosses: each signal readies a
// thread on the other processor, which a DISPATCH_LEVEL interrupt (the
// reschedule IPI) wakes from its idle loop. The same-processor figures
// are kbench.c's and kbenchlpc.c's.

#include "tests/kernel/kbench.h"
#include "ke/ke.h"
#include "ps/ps.h"
#include "arch/x86_64/x86.h"

typedef struct _KB_CROSS {
    KEVENT Ping, Pong;
    volatile BOOLEAN Stop;
} KB_CROSS;

static void KbCrossPongThread(void *context)
{
    KB_CROSS *cross = context;

    KeSetSystemAffinityThread(2);
    for (;;) {
        KeWaitForSingleObject(&cross->Ping, Executive, KernelMode, FALSE, NULL);
        if (cross->Stop)
            break;
        KeSetEvent(&cross->Pong, 0, FALSE);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static void KbCrossEventPingPong(ULONG64 *samples)
{
    KB_CROSS cross;
    ETHREAD *pong;
    BOOLEAN crossed = TRUE;

    KeInitializeEvent(&cross.Ping, SynchronizationEvent, FALSE);
    KeInitializeEvent(&cross.Pong, SynchronizationEvent, FALSE);
    cross.Stop = FALSE;
    if (!NT_SUCCESS(PsCreateSystemThreadEx(NULL, KbCrossPongThread, &cross, BENCH_PRIORITY,
                                           NULL, &pong))) {
        DbgPrint("BENCH error: no thread for the cross-processor ping-pong\n");
        return;
    }
    for (ULONG i = 0; i < BENCH_ROUNDS; i++) {
        ULONG64 start = __rdtsc();

        KeSetEvent(&cross.Ping, 0, FALSE);
        KeWaitForSingleObject(&cross.Pong, Executive, KernelMode, FALSE, NULL);
        samples[i] = __rdtsc() - start;
        crossed = crossed && KeGetCurrentProcessorNumber() == 0 &&
                  pong->Tcb.NextProcessor == 1;
    }
    cross.Stop = TRUE;
    KeSetEvent(&cross.Ping, 0, FALSE);
    KeWaitForSingleObject(&pong->Tcb, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(pong);
    if (!crossed)
        DbgPrint("BENCH error: the ping-pong did not stay on processors 0 and 1\n");
    else
        KbReport("event-pingpong-roundtrip-2-processors", samples, BENCH_ROUNDS, "cycles");
}

void KbCrossProcessor(ULONG64 *samples)
{
    if (KeNumberProcessors < 2) {
        DbgPrint("BENCH error: the cross-processor round trips need -smp 2\n");
        return;
    }
    KeSetSystemAffinityThread(1);
    KbCrossEventPingPong(samples);
    KbLpcCrossProcessor(samples);
    KeRevertToUserAffinityThread();
}
