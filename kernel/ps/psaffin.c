// Affinity through the native API, as NT's: NtSetInformationThread
// (ThreadAffinityMask, a KAFFINITY: a non-empty subset of the thread's
// process's affinity, else STATUS_INVALID_PARAMETER; THREAD_SET_INFORMATION)
// and NtSetInformationProcess (ProcessAffinityMask: a non-empty subset of
// the processors started; PROCESS_SET_INFORMATION), which sets every thread
// of the process too. The kernel side is ke/affinity.c.

#include "ps/ps.h"
#include "mm/mm.h"
#include "ob/ob.h"

static NTSTATUS PspCaptureAffinity(void *information, ULONG informationLength,
                                   ULONG64 *affinity)
{
    NTSTATUS status;

    if (informationLength != sizeof(*affinity))
        return STATUS_INFO_LENGTH_MISMATCH;
    status = ProbeForRead(information, informationLength, sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(affinity, information, sizeof(*affinity));
    return status;
}

NTSTATUS PspSetAffinityThread(HANDLE threadHandle, void *information, ULONG informationLength)
{
    ULONG64 affinity;
    ETHREAD *thread;
    NTSTATUS status = PspCaptureAffinity(information, informationLength, &affinity);

    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(threadHandle, THREAD_SET_INFORMATION, PsThreadType,
                                       (void **)&thread, NULL);
    if (!NT_SUCCESS(status))
        return status;
    if (!affinity || (affinity & ~(thread->Tcb.Process->Affinity & KeQueryActiveProcessors())))
        status = STATUS_INVALID_PARAMETER;
    else
        KeSetAffinityThread(&thread->Tcb, affinity);
    ObDereferenceObject(thread);
    return status;
}

NTSTATUS PspSetAffinityProcess(HANDLE processHandle, void *information, ULONG informationLength)
{
    ULONG64 affinity;
    EPROCESS *process;
    NTSTATUS status = PspCaptureAffinity(information, informationLength, &affinity);

    if (!NT_SUCCESS(status))
        return status;
    if (!affinity || (affinity & ~KeQueryActiveProcessors()))
        return STATUS_INVALID_PARAMETER;
    status = ObReferenceObjectByHandle(processHandle, PROCESS_SET_INFORMATION, PsProcessType,
                                       (void **)&process, NULL);
    if (!NT_SUCCESS(status))
        return status;
    KeSetAffinityProcess(&process->Pcb, affinity);
    ObDereferenceObject(process);
    return STATUS_SUCCESS;
}
