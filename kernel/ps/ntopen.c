// Opening processes and threads by client id (NtOpenProcess,
// NtOpenThread), and suspending and resuming threads. A zombie is still
// named by its Cid while it is referenced, so it can be opened (to read
// its exit status, or wait on it) until the last reference goes.

#include "ps/ps.h"
#include "mm/mm.h"
#include "se/se.h"

// The System process and its threads are the kernel's: user mode may not
// open them (NT grants an unprivileged caller no such access either).
static BOOLEAN PspIsSystemProcess(EPROCESS *process)
{
    return process == PsInitialSystemProcess || process == PsIdleProcess;
}

// Captures what both open services take, in NT's order: the handle output
// is probed, the client id captured, and a name and a client id are
// mutually exclusive (one of the two is required). Attributes are kept
// only for an open by name: by client id nothing in them is used (a
// descriptor in them is checked, as NT captures it, and freed here).
static NTSTATUS PspCaptureOpenArguments(HANDLE *handle, const OBJECT_ATTRIBUTES *objectAttributes,
                                        const CLIENT_ID *clientId,
                                        OB_CAPTURED_ATTRIBUTES *attributes, CLIENT_ID *cid)
{
    NTSTATUS status = ObProbeHandleOut(handle);

    memset(attributes, 0, sizeof(*attributes));
    if (!NT_SUCCESS(status))
        return status;
    if (clientId) {
        status = MmCopyFromUser(cid, clientId, sizeof(*cid));
        if (!NT_SUCCESS(status))
            return status;
    }
    status = ObCaptureObjectAttributes(objectAttributes, attributes);
    if (!NT_SUCCESS(status))
        return status;
    if ((attributes->Attributes.ObjectName != NULL) == (clientId != NULL))
        status = STATUS_INVALID_PARAMETER_MIX;
    if (!NT_SUCCESS(status) || clientId)
        ObReleaseObjectAttributes(attributes);
    return status;
}

// Gives the caller a handle to a referenced object (the reference passes
// to the handle) and copies it out. The object's descriptor decides what
// the caller may have, unless it holds SeDebugPrivilege, which opens any
// process or thread for any access, as on NT.
static NTSTATUS PspOpenObject(void *object, ACCESS_MASK desiredAccess, HANDLE *userHandle)
{
    OB_CAPTURED_ATTRIBUTES unnamed;
    ACCESS_MASK granted = desiredAccess;

    if (!SeSinglePrivilegeCheck(SE_DEBUG_PRIVILEGE)) {
        NTSTATUS status = ObCheckObjectAccess(object, desiredAccess, &granted);

        if (!NT_SUCCESS(status)) {
            ObDereferenceObject(object);
            return status;
        }
    }
    memset(&unnamed, 0, sizeof(unnamed));
    return ObInsertObjectForUser(object, &unnamed, granted, userHandle);
}

// Opening by name: processes and threads have none, so this finds nothing,
// but the answer is the object manager's.
static NTSTATUS PspOpenByName(OB_CAPTURED_ATTRIBUTES *attributes, OBJECT_TYPE *type,
                              ACCESS_MASK desiredAccess, HANDLE *userHandle)
{
    HANDLE handle;
    NTSTATUS status = ObOpenObjectByName(&attributes->Attributes, type, KernelMode, desiredAccess,
                                         NULL, &handle);

    ObReleaseObjectAttributes(attributes);
    if (NT_SUCCESS(status) && !NT_SUCCESS(MmCopyToUser(userHandle, &handle, sizeof(handle)))) {
        ObCloseHandle(handle);
        return STATUS_ACCESS_VIOLATION;
    }
    return status;
}

NTSTATUS NtOpenProcess(HANDLE *processHandle, ACCESS_MASK desiredAccess,
                       const OBJECT_ATTRIBUTES *objectAttributes, const CLIENT_ID *clientId)
{
    OB_CAPTURED_ATTRIBUTES attributes;
    CLIENT_ID cid;
    EPROCESS *process;
    ETHREAD *thread = NULL;
    NTSTATUS status = PspCaptureOpenArguments(processHandle, objectAttributes, clientId,
                                              &attributes, &cid);

    if (!NT_SUCCESS(status))
        return status;
    if (attributes.Attributes.ObjectName)
        return PspOpenByName(&attributes, PsProcessType, desiredAccess, processHandle);
    // With a thread id too, the thread must be one of the process's.
    if (cid.UniqueThread) {
        status = PsLookupThreadByThreadId(cid.UniqueThread, &thread);
        if (!NT_SUCCESS(status))
            return status;
        if (thread->Cid.UniqueProcess != cid.UniqueProcess) {
            ObDereferenceObject(thread);
            return STATUS_INVALID_CID;
        }
        process = thread->ThreadsProcess;
        ObReferenceObject(process);
        ObDereferenceObject(thread);
    } else {
        status = PsLookupProcessByProcessId(cid.UniqueProcess, &process);
        if (!NT_SUCCESS(status))
            return status;
    }
    if (PspIsSystemProcess(process)) {
        ObDereferenceObject(process);
        return STATUS_ACCESS_DENIED;
    }
    return PspOpenObject(process, desiredAccess, processHandle);
}

NTSTATUS NtOpenThread(HANDLE *threadHandle, ACCESS_MASK desiredAccess,
                      const OBJECT_ATTRIBUTES *objectAttributes, const CLIENT_ID *clientId)
{
    OB_CAPTURED_ATTRIBUTES attributes;
    CLIENT_ID cid;
    ETHREAD *thread;
    NTSTATUS status = PspCaptureOpenArguments(threadHandle, objectAttributes, clientId,
                                              &attributes, &cid);

    if (!NT_SUCCESS(status))
        return status;
    if (attributes.Attributes.ObjectName)
        return PspOpenByName(&attributes, PsThreadType, desiredAccess, threadHandle);
    status = PsLookupThreadByThreadId(cid.UniqueThread, &thread);
    if (!NT_SUCCESS(status))
        return status;
    if (cid.UniqueProcess && thread->Cid.UniqueProcess != cid.UniqueProcess) {
        ObDereferenceObject(thread);
        return STATUS_INVALID_CID;
    }
    if (thread->SystemThread) {
        ObDereferenceObject(thread);
        return STATUS_ACCESS_DENIED;
    }
    return PspOpenObject(thread, desiredAccess, threadHandle);
}

static NTSTATUS PspSuspendSelf(ULONG *previousSuspendCount)
{
    ULONG previous;
    NTSTATUS status = PsSuspendThread(PsGetCurrentThread(), &previous);

    if (NT_SUCCESS(status) && previousSuspendCount)
        MmCopyToUser(previousSuspendCount, &previous, sizeof(previous));
    return status;
}

// Both take the thread by handle with THREAD_SUSPEND_RESUME and return the
// previous suspend count. The current thread suspending itself stops
// inside the call, and returns once resumed.
static NTSTATUS PspSuspendResume(HANDLE threadHandle, ULONG *previousSuspendCount,
                                 BOOLEAN suspend)
{
    ETHREAD *thread;
    ULONG previous = 0;
    NTSTATUS status;

    if (previousSuspendCount) {
        status = ProbeForWrite(previousSuspendCount, sizeof(ULONG), sizeof(ULONG));
        if (!NT_SUCCESS(status))
            return status;
    }
    status = ObReferenceObjectByHandle(threadHandle, THREAD_SUSPEND_RESUME, PsThreadType,
                                       (void **)&thread, NULL);
    if (!NT_SUCCESS(status))
        return status;
    if (thread->SystemThread) {
        status = STATUS_ACCESS_DENIED;
    } else if (!suspend) {
        previous = KeResumeThread(&thread->Tcb);
    } else if (thread->Terminated) {
        status = STATUS_THREAD_IS_TERMINATING;
    } else if (thread == PsGetCurrentThread()) {
        // The caller stops inside KeSuspendThread and may be terminated
        // there: it must hold no reference by then (it runs, so it lives).
        ObDereferenceObject(thread);
        return PspSuspendSelf(previousSuspendCount);
    } else {
        status = PsSuspendThread(thread, &previous);
    }
    ObDereferenceObject(thread);
    if (NT_SUCCESS(status) && previousSuspendCount)
        MmCopyToUser(previousSuspendCount, &previous, sizeof(previous));
    return status;
}

NTSTATUS NtSuspendThread(HANDLE threadHandle, ULONG *previousSuspendCount)
{
    return PspSuspendResume(threadHandle, previousSuspendCount, TRUE);
}

NTSTATUS NtResumeThread(HANDLE threadHandle, ULONG *previousSuspendCount)
{
    return PspSuspendResume(threadHandle, previousSuspendCount, FALSE);
}
