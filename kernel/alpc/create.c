// Creating ports: NtAlpcCreatePort makes a server's connection port (named
// in the namespace, or not); the connect and the accept make the two
// communication ports (connect.c) with the same routine. A port belongs to
// the process that made it (OwnerProcess, on its AlpcContext list, which
// `!alpc /lpp` walks) and carries its attributes: the largest message it
// takes and how much queued message memory it holds at most.

#include "alpc/alpcp.h"
#include "mm/mm.h"

// The flags a caller may give; the kernel-only ones (LPC mode, system
// process) are the kernel's to set.
#define ALPCP_USER_PORT_FLAGS \
    (ALPC_PORFLG_ALLOW_IMPERSONATION | ALPC_PORFLG_ALLOW_LPC_REQUESTS | \
     ALPC_PORFLG_ALLOW_DUP_OBJECT)

NTSTATUS AlpcpCaptureAttributes(const ALPC_PORT_ATTRIBUTES *userAttributes,
                                ALPC_PORT_ATTRIBUTES *captured, BOOLEAN *present)
{
    NTSTATUS status;

    *present = FALSE;
    memset(captured, 0, sizeof(*captured));
    if (!userAttributes)
        return STATUS_SUCCESS;
    status = ProbeForRead(userAttributes, sizeof(*userAttributes), sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(captured, userAttributes, sizeof(*captured));
    if (!NT_SUCCESS(status))
        return status;
    *present = TRUE;
    // A waitable port is waited on with NtWaitForSingleObject: Sleuth's
    // ALPC ports are not dispatcher objects (docs/alpc.md).
    if (captured->Flags & ALPC_PORFLG_WAITABLE_PORT)
        return STATUS_NOT_SUPPORTED;
    if (captured->Flags & ~ALPCP_USER_PORT_FLAGS)
        return STATUS_INVALID_PARAMETER;
    if (captured->MaxMessageLength > ALPC_MAX_ALLOWED_MESSAGE_LENGTH ||
        (captured->MaxMessageLength && captured->MaxMessageLength < sizeof(PORT_MESSAGE)))
        return STATUS_INVALID_PARAMETER;
    return STATUS_SUCCESS;
}

ALPC_PORT *AlpcpReceivePort(ALPC_PORT *port)
{
    if (port->u1.s1.Type == ALPC_SERVER_COMMUNICATION_PORT)
        return port->CommunicationInfo ? port->CommunicationInfo->ConnectionPort : NULL;
    return port;
}

NTSTATUS AlpcpCreatePort(ULONG type, const ALPC_PORT_ATTRIBUTES *attributes,
                         KPROCESSOR_MODE previousMode, ALPC_PORT **result)
{
    EPROCESS *process = PsGetCurrentProcess();
    ALPC_PORT *port;
    KIRQL oldIrql;
    NTSTATUS status = ObCreateObject(AlpcPortObjectType, sizeof(ALPC_PORT), (void **)&port);

    if (!NT_SUCCESS(status))
        return status;
    InitializeListHead(&port->MainQueue);
    InitializeListHead(&port->PendingQueue);
    InitializeListHead(&port->LargeMessageQueue);
    InitializeListHead(&port->WaitQueue);
    InitializeListHead(&port->CanceledQueue);
    if (attributes)
        port->PortAttributes = *attributes;
    if (!port->PortAttributes.MaxMessageLength)
        port->PortAttributes.MaxMessageLength = ALPC_DEFAULT_MAX_MESSAGE_LENGTH;
    if (!port->PortAttributes.MaxPoolUsage)
        port->PortAttributes.MaxPoolUsage = ALPC_DEFAULT_MAX_POOL_USAGE;
    if (previousMode == KernelMode && process == PsInitialSystemProcess)
        port->PortAttributes.Flags |= ALPC_PORFLG_SYSTEM_PROCESS;
    port->u1.s1.Type = type;
    // A connection port is its own connection's hub: the list of its
    // connections (each communication port gets its connection's info
    // from the connect).
    if (type == ALPC_CONNECTION_PORT) {
        ALPC_COMMUNICATION_INFO *info = ExAllocatePoolWithTag(NonPagedPool, sizeof(*info),
                                                              ALPC_COMMUNICATION_TAG);

        if (!info) {
            ObDereferenceObject(port);
            return STATUS_NO_MEMORY;
        }
        memset(info, 0, sizeof(*info));
        info->ConnectionPort = port;
        InitializeListHead(&info->CommunicationList);
        port->CommunicationInfo = info;
    }
    port->OwnerProcess = process;
    ObReferenceObject(process);
    KeAcquireSpinLock(&process->AlpcContext.Lock, &oldIrql);
    InsertTailList(&process->AlpcContext.PortListHead, &port->PortListEntry);
    KeReleaseSpinLock(&process->AlpcContext.Lock, oldIrql);
    port->u1.s1.Initialized = 1;
    *result = port;
    return STATUS_SUCCESS;
}

NTSTATUS NtAlpcCreatePort(HANDLE *portHandle, OBJECT_ATTRIBUTES *objectAttributes,
                          ALPC_PORT_ATTRIBUTES *portAttributes)
{
    OB_CAPTURED_ATTRIBUTES captured;
    ALPC_PORT_ATTRIBUTES attributes;
    ALPC_PORT *port;
    BOOLEAN present;
    NTSTATUS status = ObProbeHandleOut(portHandle);

    if (!NT_SUCCESS(status))
        return status;
    status = AlpcpCaptureAttributes(portAttributes, &attributes, &present);
    if (!NT_SUCCESS(status))
        return status;
    status = ObCaptureObjectAttributes(objectAttributes, &captured);
    if (!NT_SUCCESS(status))
        return status;
    status = AlpcpCreatePort(ALPC_CONNECTION_PORT, present ? &attributes : NULL, UserMode,
                             &port);
    if (NT_SUCCESS(status))
        status = ObInsertObjectForUser(port, &captured, PORT_ALL_ACCESS, portHandle);
    ObReleaseObjectAttributes(&captured);
    return status;
}

// ---- NtAlpcQueryInformation, NtAlpcSetInformation ----------------------------------

NTSTATUS NtAlpcQueryInformation(HANDLE portHandle,
                                ALPC_PORT_INFORMATION_CLASS portInformationClass,
                                void *portInformation, ULONG length, ULONG *returnLength)
{
    union {
        ALPC_BASIC_INFORMATION Basic;
        ALPC_PORT_ATTRIBUTES Attributes;
    } answer;
    ULONG size;
    ALPC_PORT *port;
    KIRQL oldIrql;
    NTSTATUS status;

    switch (portInformationClass) {
    case AlpcBasicInformation:
        size = sizeof(ALPC_BASIC_INFORMATION);
        break;
    case AlpcPortInformation:
        size = sizeof(ALPC_PORT_ATTRIBUTES);
        break;
    default:
        return STATUS_INVALID_INFO_CLASS;
    }
    if (returnLength) {
        status = ProbeForWrite(returnLength, sizeof(ULONG), sizeof(ULONG));
        if (!NT_SUCCESS(status))
            return status;
    }
    if (length < size)
        return STATUS_INFO_LENGTH_MISMATCH;
    status = ProbeForWrite(portInformation, size, sizeof(ULONG));
    if (!NT_SUCCESS(status))
        return status;
    status = AlpcpReferencePortByHandle(portHandle, 0, &port);
    if (!NT_SUCCESS(status))
        return status;
    memset(&answer, 0, sizeof(answer));
    oldIrql = AlpcpAcquireLock();
    if (portInformationClass == AlpcBasicInformation) {
        answer.Basic.Flags = port->PortAttributes.Flags;
        answer.Basic.SequenceNo = port->SequenceNo;
        answer.Basic.PortContext = port->PortContext;
    } else {
        answer.Attributes = port->PortAttributes;
    }
    AlpcpReleaseLock(oldIrql);
    ObDereferenceObject(port);
    status = MmCopyToUser(portInformation, &answer, size);
    if (NT_SUCCESS(status) && returnLength)
        status = MmCopyToUser(returnLength, &size, sizeof(ULONG));
    return status;
}

// AlpcPortInformation: new limits for the port (its message length and
// queue memory; the flags a user may set). A lower MaxPoolUsage holds for
// what is queued next: what is queued stays.
NTSTATUS NtAlpcSetInformation(HANDLE portHandle,
                              ALPC_PORT_INFORMATION_CLASS portInformationClass,
                              void *portInformation, ULONG length)
{
    ALPC_PORT_ATTRIBUTES attributes;
    ALPC_PORT *port;
    BOOLEAN present;
    KIRQL oldIrql;
    NTSTATUS status;

    if (portInformationClass != AlpcPortInformation)
        return STATUS_INVALID_INFO_CLASS;
    if (length != sizeof(ALPC_PORT_ATTRIBUTES))
        return STATUS_INFO_LENGTH_MISMATCH;
    if (!portInformation)
        return STATUS_INVALID_PARAMETER;
    status = AlpcpCaptureAttributes(portInformation, &attributes, &present);
    if (!NT_SUCCESS(status))
        return status;
    status = AlpcpReferencePortByHandle(portHandle, 0, &port);
    if (!NT_SUCCESS(status))
        return status;
    oldIrql = AlpcpAcquireLock();
    if (attributes.MaxMessageLength)
        port->PortAttributes.MaxMessageLength = attributes.MaxMessageLength;
    if (attributes.MaxPoolUsage)
        port->PortAttributes.MaxPoolUsage = attributes.MaxPoolUsage;
    port->PortAttributes.Flags = (port->PortAttributes.Flags & ~ALPCP_USER_PORT_FLAGS) |
                                 attributes.Flags;
    port->PortAttributes.SecurityQos = attributes.SecurityQos;
    AlpcpReleaseLock(oldIrql);
    ObDereferenceObject(port);
    return STATUS_SUCCESS;
}
