// The services that start processes and threads from user mode:
// NtCreateProcessFromArchive (Sleuth's: a program from the boot archive,
// with a command line) and NtCreateThreadEx (NT's). Every pointer is probed
// first and every input captured; the handles and the client id reach the
// caller only once everything has succeeded.

#include "ps/ps.h"
#include "mm/mm.h"

#define PSP_COMMAND_LINE_TAG POOL_TAG('P', 's', 'C', 'l')
#define PSP_ARCHIVE_NAME_CHARACTERS 32

// Probes an optional output; NULL is fine.
static NTSTATUS PspProbeOutput(void *address, SIZE_T length, ULONG alignment)
{
    return address ? ProbeForWrite(address, length, alignment) : STATUS_SUCCESS;
}

// Processes and threads have no names: attributes may come, names may not.
static NTSTATUS PspCheckUnnamedAttributes(const OBJECT_ATTRIBUTES *userAttributes)
{
    OB_CAPTURED_ATTRIBUTES captured;
    NTSTATUS status = ObCaptureObjectAttributes(userAttributes, &captured);

    if (NT_SUCCESS(status) && captured.Attributes.ObjectName)
        status = STATUS_OBJECT_NAME_INVALID;
    ObReleaseObjectAttributes(&captured);
    return status;
}

// The archive knows ASCII names only: anything else names no program.
static NTSTATUS PspNarrowImageName(const UNICODE_STRING *name, char *narrow, SIZE_T size)
{
    ULONG count = name->Length / sizeof(WCHAR);

    if (count == 0)
        return STATUS_INVALID_PARAMETER;
    if (count >= size)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    for (ULONG i = 0; i < count; i++) {
        if (name->Buffer[i] <= ' ' || name->Buffer[i] >= 0x7F)
            return STATUS_OBJECT_NAME_NOT_FOUND;
        narrow[i] = (char)name->Buffer[i];
    }
    narrow[count] = '\0';
    return STATUS_SUCCESS;
}

// Handles for a new process and its first thread; on failure the process
// (which the caller could never name) is ended, suspended or not.
static NTSTATUS PspInsertProcessHandles(EPROCESS *process, ETHREAD *thread,
                                        ACCESS_MASK processAccess, ACCESS_MASK threadAccess,
                                        BOOLEAN wantThreadHandle, HANDLE *processHandle,
                                        HANDLE *threadHandle)
{
    NTSTATUS status;

    ObReferenceObject(process);
    status = ObInsertObject(process, NULL, processAccess, NULL, processHandle);
    if (NT_SUCCESS(status) && wantThreadHandle) {
        ObReferenceObject(thread);
        status = ObInsertObject(thread, NULL, threadAccess, NULL, threadHandle);
        if (!NT_SUCCESS(status))
            ObCloseHandle(*processHandle);
    }
    if (!NT_SUCCESS(status))
        PsTerminateProcess(process, status);
    return status;
}

NTSTATUS NtCreateProcessFromArchive(HANDLE *processHandle, HANDLE *threadHandle,
                                    ACCESS_MASK processDesiredAccess,
                                    ACCESS_MASK threadDesiredAccess,
                                    const OBJECT_ATTRIBUTES *processObjectAttributes,
                                    const UNICODE_STRING *imageName,
                                    const UNICODE_STRING *commandLine, ULONG flags,
                                    CLIENT_ID *clientId)
{
    UNICODE_STRING capturedName = {0}, capturedLine = {0};
    char narrowName[PSP_ARCHIVE_NAME_CHARACTERS];
    HANDLE newProcessHandle, newThreadHandle = NULL;
    EPROCESS *process;
    ETHREAD *thread;
    CLIENT_ID cid;
    NTSTATUS status;

    status = ProbeForWrite(processHandle, sizeof(HANDLE), sizeof(HANDLE));
    if (NT_SUCCESS(status))
        status = PspProbeOutput(threadHandle, sizeof(HANDLE), sizeof(HANDLE));
    if (NT_SUCCESS(status))
        status = PspProbeOutput(clientId, sizeof(CLIENT_ID), sizeof(HANDLE));
    if (!NT_SUCCESS(status))
        return status;
    if (flags & ~PROCESS_CREATE_FLAGS_SUSPENDED)
        return STATUS_INVALID_PARAMETER;
    status = PspCheckUnnamedAttributes(processObjectAttributes);
    if (!NT_SUCCESS(status))
        return status;
    if (!imageName)
        return STATUS_INVALID_PARAMETER;
    status = PspCaptureUnicodeString(imageName, &capturedName);
    if (NT_SUCCESS(status))
        status = PspNarrowImageName(&capturedName, narrowName, sizeof(narrowName));
    if (NT_SUCCESS(status) && commandLine)
        status = PspCaptureUnicodeString(commandLine, &capturedLine);
    if (NT_SUCCESS(status))
        status = PspStartUserProgram(PsGetCurrentProcess(), narrowName,
                                     commandLine ? &capturedLine : NULL,
                                     (flags & PROCESS_CREATE_FLAGS_SUSPENDED) != 0, &process,
                                     &thread);
    PspReleaseUnicodeString(&capturedName);
    PspReleaseUnicodeString(&capturedLine);
    if (!NT_SUCCESS(status))
        return status;
    cid = thread->Cid;
    status = PspInsertProcessHandles(process, thread, processDesiredAccess, threadDesiredAccess,
                                     threadHandle != NULL, &newProcessHandle, &newThreadHandle);
    ObDereferenceObject(thread);
    ObDereferenceObject(process);
    if (!NT_SUCCESS(status))
        return status;
    // The outputs were probed: a copy that fails now (the caller unmapped
    // them meanwhile) loses only the caller's view, as on NT.
    MmCopyToUser(processHandle, &newProcessHandle, sizeof(HANDLE));
    if (threadHandle)
        MmCopyToUser(threadHandle, &newThreadHandle, sizeof(HANDLE));
    if (clientId)
        MmCopyToUser(clientId, &cid, sizeof(cid));
    return STATUS_SUCCESS;
}

NTSTATUS NtCreateThreadEx(HANDLE *threadHandle, ACCESS_MASK desiredAccess,
                          const OBJECT_ATTRIBUTES *objectAttributes, HANDLE processHandle,
                          void *startRoutine, void *argument, ULONG createFlags,
                          SIZE_T zeroBits, SIZE_T stackSize, SIZE_T maximumStackSize,
                          void *attributeList)
{
    EPROCESS *process;
    ETHREAD *thread;
    HANDLE handle;
    NTSTATUS status = ProbeForWrite(threadHandle, sizeof(HANDLE), sizeof(HANDLE));

    if (!NT_SUCCESS(status))
        return status;
    // No attribute lists, no address limits (the kernel places a thread's
    // TEB and stack high in the user half), no flags but suspension.
    if (attributeList || zeroBits || (createFlags & ~THREAD_CREATE_FLAGS_CREATE_SUSPENDED))
        return STATUS_INVALID_PARAMETER;
    if (stackSize > PSP_MAXIMUM_USER_STACK_SIZE || maximumStackSize > PSP_MAXIMUM_USER_STACK_SIZE)
        return STATUS_INVALID_PARAMETER;
    // The stack is committed whole (there is no demand paging): the larger
    // of the two sizes, the default when both are 0.
    if (maximumStackSize > stackSize)
        stackSize = maximumStackSize;
    status = PspCheckUnnamedAttributes(objectAttributes);
    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(processHandle, PROCESS_CREATE_THREAD, PsProcessType,
                                       (void **)&process, NULL);
    if (!NT_SUCCESS(status))
        return status;
    // Threads enter user mode through the image's RtlUserThreadStart.
    if (!process->UserThreadStart) {
        ObDereferenceObject(process);
        return STATUS_INVALID_IMAGE_FORMAT;
    }
    status = PspCreateUserThreadEx(process, process->UserThreadStart, (ULONG64)startRoutine,
                                   (ULONG64)argument, stackSize,
                                   (createFlags & THREAD_CREATE_FLAGS_CREATE_SUSPENDED) != 0,
                                   NULL, &thread);
    ObDereferenceObject(process);
    if (!NT_SUCCESS(status))
        return status;
    ObReferenceObject(thread);
    status = ObInsertObject(thread, NULL, desiredAccess, NULL, &handle);
    if (!NT_SUCCESS(status)) {
        // Nobody could ever name it: it ends before it runs.
        PspTerminateThreadByPointer(thread, status);
        ObDereferenceObject(thread);
        return status;
    }
    ObDereferenceObject(thread);
    MmCopyToUser(threadHandle, &handle, sizeof(handle));
    return STATUS_SUCCESS;
}
