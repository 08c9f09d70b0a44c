// demo=alpc: the ALPC wait chain of the second and third case studies in
// miniature, for !thread's ALPC line and !alpc. Three user processes talk
// through real ALPC ports (user/include/alpcdemo.h tells their story):
// alpcapp.exe, the client, waits for the reply to a request it sent to
// alpcsvc.exe; alpcsvc's thread, which received that request, waits for
// the reply to a request of its own to alpcdb.exe; alpcdb's thread, which
// received that one, waits for a semaphore nobody will release. Each
// program's first thread is the one that does it all. The break-in comes
// once all three wait where the story says.

#include "kd/kd.h"
#include "ps/ps.h"

static const char *const KdDemoAlpcPrograms[KD_DEMO_ALPC_PROGRAMS] = {
    [KD_DEMO_ALPC_DB] = "alpcdb", [KD_DEMO_ALPC_SERVER] = "alpcsvc",
    [KD_DEMO_ALPC_CLIENT] = "alpcapp",
};
// What each program's thread waits for at the end of the story.
static const KWAIT_REASON KdDemoAlpcWaits[KD_DEMO_ALPC_PROGRAMS] = {
    UserRequest, WrLpcReply, WrLpcReply,
};

static BOOLEAN KdDemoAlpcSettled(ETHREAD *const threads[KD_DEMO_ALPC_PROGRAMS])
{
    BOOLEAN settled = TRUE;
    KIRQL oldIrql;

    // A thread's state and wait reason change under the dispatcher lock.
    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    KiAcquireDispatcherLockAtDpcLevel();
    for (ULONG i = 0; i < KD_DEMO_ALPC_PROGRAMS; i++) {
        settled &= threads[i]->Tcb.State == Waiting &&
                   threads[i]->Tcb.WaitReason == KdDemoAlpcWaits[i] &&
                   (KdDemoAlpcWaits[i] != WrLpcReply || threads[i]->AlpcMessage);
    }
    KiReleaseDispatcherLockFromDpcLevel();
    KeLowerIrql(oldIrql);
    return settled;
}

NTSTATUS KdpStartAlpcChain(EPROCESS *processes[KD_DEMO_ALPC_PROGRAMS],
                           ETHREAD *threads[KD_DEMO_ALPC_PROGRAMS])
{
    LARGE_INTEGER interval = {.QuadPart = -10LL * 1000 * 10};   // 10 ms
    NTSTATUS status = STATUS_SUCCESS;
    ULONG started;

    for (started = 0; started < KD_DEMO_ALPC_PROGRAMS; started++) {
        status = PsStartUserProgramEx(KdDemoAlpcPrograms[started], NULL, FALSE,
                                      &processes[started], &threads[started]);
        if (!NT_SUCCESS(status)) {
            DbgPrint("Demo: cannot start %s.exe (status %08x)\n", KdDemoAlpcPrograms[started],
                     (ULONG)status);
            break;
        }
    }
    if (started < KD_DEMO_ALPC_PROGRAMS) {
        for (ULONG i = 0; i < started; i++) {
            PsTerminateProcess(processes[i], STATUS_UNSUCCESSFUL);
            ObDereferenceObject(threads[i]);
            ObDereferenceObject(processes[i]);
        }
        return status;
    }
    // Up to 10 s for the chain to form.
    for (ULONG i = 0; i < 1000; i++) {
        if (KdDemoAlpcSettled(threads))
            return STATUS_SUCCESS;
        KeDelayExecutionThread(KernelMode, FALSE, &interval);
    }
    return STATUS_TIMEOUT;
}

void KdStartAlpcDemo(void)
{
    EPROCESS *processes[KD_DEMO_ALPC_PROGRAMS];
    ETHREAD *threads[KD_DEMO_ALPC_PROGRAMS];
    NTSTATUS status = KdpStartAlpcChain(processes, threads);

    if (status == STATUS_SUCCESS)
        DbgPrint("Demo: alpcapp.exe's thread %016llx waits for the reply to an ALPC request to "
                 "alpcsvc.exe\n", (unsigned long long)(ULONG_PTR)threads[KD_DEMO_ALPC_CLIENT]);
    else if (status == STATUS_TIMEOUT)
        DbgPrint("Demo: the ALPC chain did not form in 10 s\n");
    if (!NT_SUCCESS(status))
        return;
    // The processes live on, held by their threads: the chain is theirs.
    for (ULONG i = 0; i < KD_DEMO_ALPC_PROGRAMS; i++) {
        ObDereferenceObject(threads[i]);
        ObDereferenceObject(processes[i]);
    }
}
