// Creating ports: NtCreatePort and NtCreateWaitablePort make a server's
// connection port (named, in the namespace) or an unconnected port (no
// name: the port talks to itself). A waitable port's WaitEvent is set while
// messages are queued, so NtWaitForSingleObject can wait on the port.

#include "lpc/lpcp.h"
#include "mm/mm.h"

NTSTATUS LpcpInitializePortObject(BOOLEAN waitable, ULONG flags, LPCP_PORT_OBJECT **result)
{
    OBJECT_TYPE *type = waitable ? LpcWaitablePortObjectType : LpcPortObjectType;
    LPCP_PORT_OBJECT *port;
    NTSTATUS status = ObCreateObject(type, sizeof(LPCP_PORT_OBJECT), (void **)&port);

    if (!NT_SUCCESS(status))
        return status;
    InitializeListHead(&port->MsgQueue.ReceiveHead);
    InitializeListHead(&port->LpcReplyChainHead);
    InitializeListHead(&port->LpcDataInfoChainHead);
    port->Creator = PsGetCurrentThread()->Cid;
    port->Flags = flags | (waitable ? LPCP_WAITABLE_PORT : 0);
    KeInitializeEvent(&port->WaitEvent, NotificationEvent, FALSE);
    // Server communication ports receive on their connection port's queue;
    // the other kinds have one of their own.
    if ((flags & LPCP_PORT_TYPE_MASK) != LPCP_COMMUNICATION_PORT) {
        LPCP_NONPAGED_PORT_QUEUE *queue =
            ExAllocatePoolWithTag(NonPagedPool, sizeof(*queue), LPCP_QUEUE_TAG);

        if (!queue) {
            // Nothing to run down yet: the delete procedure sees no queue
            // and no links.
            ObDereferenceObject(port);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        KeInitializeSemaphore(&queue->Semaphore, 0, 0x7FFFFFFF);
        queue->BackPointer = port;
        port->MsgQueue.NonPagedPortQueue = queue;
        port->MsgQueue.Semaphore = &queue->Semaphore;
    }
    *result = port;
    return STATUS_SUCCESS;
}

// A connection port (named) or an unconnected port, owned by the current
// process. The lengths are NT's checks: the message length first.
static NTSTATUS LpcpCreatePortObject(BOOLEAN named, ULONG maxConnectionInfoLength,
                                     ULONG maxMessageLength, BOOLEAN waitable,
                                     LPCP_PORT_OBJECT **result)
{
    LPCP_PORT_OBJECT *port;
    NTSTATUS status;

    if (maxMessageLength > LPCP_MAX_MESSAGE_LENGTH)
        return STATUS_INVALID_PARAMETER_4;
    if (maxConnectionInfoLength > LPCP_MAX_CONNECTION_INFO_LENGTH)
        return STATUS_INVALID_PARAMETER_3;
    status = LpcpInitializePortObject(waitable,
                                      named ? LPCP_CONNECTION_PORT : LPCP_UNCONNECTED_PORT,
                                      &port);
    if (!NT_SUCCESS(status))
        return status;
    // Both kinds send to and receive on themselves; an unconnected port is
    // also its own peer.
    port->ConnectionPort = port;
    if (!named)
        port->ConnectedPort = port;
    port->ServerProcess = PsGetCurrentProcess();
    ObReferenceObject(port->ServerProcess);
    // As NT: the caller's lengths become the port's limits.
    port->MaxMessageLength = maxMessageLength;
    port->MaxConnectionInfoLength = maxConnectionInfoLength;
    *result = port;
    return STATUS_SUCCESS;
}

NTSTATUS LpcpCreatePort(ULONG maxConnectionInfoLength, ULONG maxMessageLength,
                        BOOLEAN waitable, LPCP_PORT_OBJECT **port)
{
    return LpcpCreatePortObject(FALSE, maxConnectionInfoLength, maxMessageLength, waitable,
                                port);
}

// MaxPoolUsage is accepted and unused, as on NT: queue memory is bounded
// by LPCP_MAX_QUEUED_MESSAGES per queue instead (see docs/lpc.md).
static NTSTATUS LpcpCreatePortService(HANDLE *portHandle, OBJECT_ATTRIBUTES *objectAttributes,
                                      ULONG maxConnectionInfoLength, ULONG maxMessageLength,
                                      BOOLEAN waitable)
{
    OB_CAPTURED_ATTRIBUTES captured;
    LPCP_PORT_OBJECT *port;
    NTSTATUS status = ObProbeHandleOut(portHandle);

    if (!NT_SUCCESS(status))
        return status;
    status = ObCaptureObjectAttributes(objectAttributes, &captured);
    if (!NT_SUCCESS(status))
        return status;
    status = LpcpCreatePortObject(captured.Attributes.ObjectName != NULL,
                                  maxConnectionInfoLength, maxMessageLength, waitable, &port);
    if (NT_SUCCESS(status))
        status = ObInsertObjectForUser(port, &captured, PORT_ALL_ACCESS, portHandle);
    ObReleaseObjectAttributes(&captured);
    return status;
}

NTSTATUS NtCreatePort(HANDLE *portHandle, OBJECT_ATTRIBUTES *objectAttributes,
                      ULONG maxConnectionInfoLength, ULONG maxMessageLength, ULONG maxPoolUsage)
{
    (void)maxPoolUsage;
    return LpcpCreatePortService(portHandle, objectAttributes, maxConnectionInfoLength,
                                 maxMessageLength, FALSE);
}

NTSTATUS NtCreateWaitablePort(HANDLE *portHandle, OBJECT_ATTRIBUTES *objectAttributes,
                              ULONG maxConnectionInfoLength, ULONG maxMessageLength,
                              ULONG maxPoolUsage)
{
    (void)maxPoolUsage;
    return LpcpCreatePortService(portHandle, objectAttributes, maxConnectionInfoLength,
                                 maxMessageLength, TRUE);
}
