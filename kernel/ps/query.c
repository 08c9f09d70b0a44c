// NtQueryInformationProcess and NtQueryInformationThread: the basic
// information classes, in NT's layouts.
//
// NT's order of checks: the output buffer and ReturnLength are probed first
// (a bad pointer is STATUS_ACCESS_VIOLATION, a misaligned one
// STATUS_DATATYPE_MISALIGNMENT), then the class (STATUS_INVALID_INFO_CLASS),
// then the length, which must be exact (STATUS_INFO_LENGTH_MISMATCH), and
// only then the handle. Results reach user memory at the very end.

#include "ps/ps.h"
#include "mm/mm.h"

static NTSTATUS PspProbeQueryBuffers(void *information, ULONG informationLength,
                                     ULONG *returnLength)
{
    NTSTATUS status = ProbeForWrite(information, informationLength, sizeof(ULONG));

    if (NT_SUCCESS(status) && returnLength)
        status = ProbeForWrite(returnLength, sizeof(*returnLength), sizeof(ULONG));
    return status;
}

// Writes a query's result and (if asked for) its length to user memory.
static NTSTATUS PspReturnQueryResult(void *information, const void *result, ULONG length,
                                     ULONG *returnLength)
{
    NTSTATUS status = MmCopyToUser(information, result, length);

    if (NT_SUCCESS(status) && returnLength)
        status = MmCopyToUser(returnLength, &length, sizeof(length));
    return status;
}

NTSTATUS NtQueryInformationProcess(HANDLE processHandle, PROCESSINFOCLASS informationClass,
                                   void *information, ULONG informationLength,
                                   ULONG *returnLength)
{
    PROCESS_BASIC_INFORMATION basic;
    EPROCESS *process;
    NTSTATUS status = PspProbeQueryBuffers(information, informationLength, returnLength);

    if (!NT_SUCCESS(status))
        return status;
    if (informationClass != ProcessBasicInformation)
        return STATUS_INVALID_INFO_CLASS;
    if (informationLength != sizeof(basic))
        return STATUS_INFO_LENGTH_MISMATCH;
    status = ObReferenceObjectByHandle(processHandle, PROCESS_QUERY_INFORMATION, PsProcessType,
                                       (void **)&process, NULL);
    if (!NT_SUCCESS(status))
        return status;

    memset(&basic, 0, sizeof(basic));
    // A process that still runs has no exit status yet: NT says STATUS_PENDING.
    basic.ExitStatus = process->ProcessExiting ? process->ExitStatus : STATUS_PENDING;
    basic.PebBaseAddress = process->Peb;
    basic.AffinityMask = process->Pcb.Affinity & KeQueryActiveProcessors();
    basic.BasePriority = process->Pcb.BasePriority;
    basic.UniqueProcessId = (ULONG_PTR)process->UniqueProcessId;
    basic.InheritedFromUniqueProcessId = (ULONG_PTR)process->InheritedFromUniqueProcessId;
    ObDereferenceObject(process);
    return PspReturnQueryResult(information, &basic, sizeof(basic), returnLength);
}

NTSTATUS NtQueryInformationThread(HANDLE threadHandle, THREADINFOCLASS informationClass,
                                  void *information, ULONG informationLength,
                                  ULONG *returnLength)
{
    THREAD_BASIC_INFORMATION basic;
    ETHREAD *thread;
    NTSTATUS status = PspProbeQueryBuffers(information, informationLength, returnLength);

    if (!NT_SUCCESS(status))
        return status;
    if (informationClass != ThreadBasicInformation)
        return STATUS_INVALID_INFO_CLASS;
    if (informationLength != sizeof(basic))
        return STATUS_INFO_LENGTH_MISMATCH;
    status = ObReferenceObjectByHandle(threadHandle, THREAD_QUERY_INFORMATION, PsThreadType,
                                       (void **)&thread, NULL);
    if (!NT_SUCCESS(status))
        return status;

    memset(&basic, 0, sizeof(basic));
    basic.ExitStatus = thread->Terminated ? thread->ExitStatus : STATUS_PENDING;
    basic.TebBaseAddress = thread->Tcb.Teb;
    basic.ClientId = thread->Cid;
    basic.AffinityMask = thread->Tcb.Affinity & KeQueryActiveProcessors();
    basic.Priority = thread->Tcb.Priority;
    basic.BasePriority = thread->Tcb.BasePriority;
    ObDereferenceObject(thread);
    return PspReturnQueryResult(information, &basic, sizeof(basic), returnLength);
}
