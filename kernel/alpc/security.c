// ALPC's security: a client's identity travels to the server, which may
// run as the client while it handles the client's request.
//
// - A message's security attribute carries the sender's identity, taken at
//   send time at the level its QoS asks for (static tracking: a copy of the
//   token; dynamic: the token itself, read again at impersonation), or a
//   context made once with NtAlpcCreateSecurityContext and named by handle.
// - Without one, the client's connection decides: a client whose port
//   allows it (ALPC_PORFLG_ALLOW_IMPERSONATION) may be impersonated at the
//   level of the QoS it connected with (its port's StaticSecurity, or its
//   token as it is now when the QoS tracks dynamically); a client whose
//   port does not is refused (STATUS_ACCESS_DENIED).
// - NtAlpcImpersonateClientOfPort applies to a request the server holds:
//   received and not yet replied to, its client still waiting.
// - A level the client cannot grant (above its own impersonation's, or no
//   level at all) fails where the identity is taken, with
//   STATUS_BAD_IMPERSONATION_LEVEL (SeCreateClientSecurity's rule); at
//   SecurityIdentification the server may look at the token but opens
//   nothing as the client (kernel/se).

#include "alpc/alpcx.h"

NTSTATUS AlpcpCaptureQos(const SECURITY_QUALITY_OF_SERVICE *userQos,
                         SECURITY_QUALITY_OF_SERVICE *qos)
{
    NTSTATUS status = ProbeForRead(userQos, sizeof(*userQos), sizeof(ULONG));

    if (NT_SUCCESS(status))
        status = MmCopyFromUser(qos, userQos, sizeof(*qos));
    if (!NT_SUCCESS(status))
        return status;
    if ((ULONG)qos->ImpersonationLevel > SecurityDelegation)
        return STATUS_BAD_IMPERSONATION_LEVEL;
    if (qos->ContextTrackingMode != SECURITY_STATIC_TRACKING &&
        qos->ContextTrackingMode != SECURITY_DYNAMIC_TRACKING)
        return STATUS_INVALID_PARAMETER;
    return STATUS_SUCCESS;
}

NTSTATUS AlpcpCreateSecurityData(const SECURITY_QUALITY_OF_SERVICE *qos,
                                 KALPC_SECURITY_DATA **result)
{
    KALPC_SECURITY_DATA *data = ExAllocatePoolWithTag(NonPagedPool, sizeof(*data),
                                                      ALPC_SECURITY_TAG);
    NTSTATUS status;

    if (!data)
        return STATUS_INSUFFICIENT_RESOURCES;
    memset(data, 0, sizeof(*data));
    data->Blob.Type = ALPC_BLOB_SECURITY;
    data->Blob.ReferenceCount = 1;
    data->OwningProcess = PsGetCurrentProcess();
    status = SeCreateClientSecurity(PsGetCurrentThread(), qos, FALSE, &data->DynamicSecurity);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(data, ALPC_SECURITY_TAG);
        return status;
    }
    *result = data;
    return STATUS_SUCCESS;
}

void AlpcpDeleteSecurityData(KALPC_SECURITY_DATA *data)
{
    SeDeleteClientSecurity(&data->DynamicSecurity);
    ExFreePoolWithTag(data, ALPC_SECURITY_TAG);
}

// A context on the port, named by the handle written to ContextHandle; the
// attribute's Flags may be 0 or ALPC_SECFLG_CREATE_HANDLE and its QoS is
// required.
NTSTATUS NtAlpcCreateSecurityContext(HANDLE portHandle, ULONG flags,
                                     ALPC_SECURITY_ATTR *securityAttribute)
{
    SECURITY_QUALITY_OF_SERVICE qos;
    ALPC_SECURITY_ATTR attribute;
    KALPC_SECURITY_DATA *data;
    ALPC_BLOB *removed;
    ALPC_PORT *port;
    NTSTATUS status;

    if (flags)
        return STATUS_INVALID_PARAMETER;
    status = ProbeForWrite(securityAttribute, sizeof(*securityAttribute), sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&attribute, securityAttribute, sizeof(attribute));
    if (!NT_SUCCESS(status))
        return status;
    if ((attribute.Flags & ~ALPC_SECFLG_CREATE_HANDLE) || !attribute.QualityOfService)
        return STATUS_INVALID_PARAMETER;
    status = AlpcpCaptureQos(attribute.QualityOfService, &qos);
    if (!NT_SUCCESS(status))
        return status;
    status = AlpcpReferencePortByHandle(portHandle, 0, &port);
    if (!NT_SUCCESS(status))
        return status;
    status = AlpcpCreateSecurityData(&qos, &data);
    if (NT_SUCCESS(status)) {
        status = AlpcpInsertResource(port, &data->Blob, TRUE);
        if (!NT_SUCCESS(status))
            AlpcpDeleteSecurityData(data);
    }
    if (NT_SUCCESS(status)) {
        attribute.ContextHandle = data->Blob.Handle;
        status = MmCopyToUser(securityAttribute, &attribute, sizeof(attribute));
        if (!NT_SUCCESS(status) &&
            NT_SUCCESS(AlpcpRemoveResource(port, ALPC_BLOB_SECURITY, attribute.ContextHandle,
                                           &removed)))
            AlpcpDereferenceBlob(removed);
    }
    ObDereferenceObject(port);
    return status;
}

// The handle goes; messages that carry the context keep it until freed.
NTSTATUS NtAlpcDeleteSecurityContext(HANDLE portHandle, ULONG flags, ALPC_HANDLE contextHandle)
{
    return AlpcpDeleteResourceByHandle(portHandle, flags, ALPC_BLOB_SECURITY, contextHandle);
}

// ---- A client port's own security (its connection's) ----------------------------------

NTSTATUS AlpcpCaptureConnectionSecurity(ALPC_PORT *clientPort)
{
    SECURITY_QUALITY_OF_SERVICE *qos = &clientPort->PortAttributes.SecurityQos;

    if (!(clientPort->PortAttributes.Flags & ALPC_PORFLG_ALLOW_IMPERSONATION))
        return STATUS_SUCCESS;
    if ((ULONG)qos->ImpersonationLevel > SecurityDelegation)
        return STATUS_BAD_IMPERSONATION_LEVEL;
    if (qos->ContextTrackingMode == SECURITY_DYNAMIC_TRACKING) {
        // Nothing kept: the client's token is read at each impersonation.
        clientPort->u1.s1.DynamicSecurity = TRUE;
        return STATUS_SUCCESS;
    }
    return SeCreateClientSecurity(PsGetCurrentThread(), qos, FALSE,
                                  &clientPort->StaticSecurity);
}

void AlpcpDeleteConnectionSecurity(ALPC_PORT *port)
{
    if (port->StaticSecurity.ClientToken)
        SeDeleteClientSecurity(&port->StaticSecurity);
}

// ---- NtAlpcImpersonateClientOfPort ------------------------------------------------------

// What the server may impersonate for the request `messageId`, received
// through `port` (a connection port or a server communication port), lock
// held: the message's security data, else its client's port and waiting
// thread (each referenced for the caller).
static NTSTATUS AlpcpFindImpersonation(ALPC_PORT *port, const PORT_MESSAGE *header,
                                       ALPC_BLOB **security, ALPC_PORT **clientPort,
                                       ETHREAD **client)
{
    KALPC_MESSAGE *message = AlpcpLookupMessage(header->MessageId);
    ALPC_PORT *queuePort = port->u1.s1.Type == ALPC_CONNECTION_PORT ? port
                                                                     : AlpcpReceivePort(port);

    // A request of this connection (or of this connection port's), received
    // and not answered, its client still waiting, and the same client.
    if (!message || message->u1.s1.QueueType != ALPC_MSGQUEUE_PENDING ||
        message->PortQueue != queuePort || !message->WaitingThread || !message->OwnerPort ||
        message->PortMessage.ClientId.UniqueThread != header->ClientId.UniqueThread ||
        (port->u1.s1.Type == ALPC_SERVER_COMMUNICATION_PORT &&
         message->OwnerPort->CommunicationInfo != port->CommunicationInfo))
        return STATUS_REPLY_MESSAGE_MISMATCH;
    if (message->MessageAttributes.SecurityData) {
        *security = message->MessageAttributes.SecurityData;
        AlpcpReferenceBlob(*security);
        return STATUS_SUCCESS;
    }
    if (!(message->OwnerPort->PortAttributes.Flags & ALPC_PORFLG_ALLOW_IMPERSONATION))
        return STATUS_ACCESS_DENIED;
    if (!ObReferenceObjectSafe(message->OwnerPort))
        return STATUS_PORT_DISCONNECTED;
    *clientPort = message->OwnerPort;
    *client = message->WaitingThread;
    ObReferenceObject(*client);
    return STATUS_SUCCESS;
}

NTSTATUS NtAlpcImpersonateClientOfPort(HANDLE portHandle, PORT_MESSAGE *message, void *flags)
{
    SECURITY_CLIENT_CONTEXT dynamic;
    ALPC_PORT *port, *clientPort = NULL;
    ALPC_BLOB *security = NULL;
    ETHREAD *client = NULL;
    PORT_MESSAGE header;
    NTSTATUS status;
    KIRQL oldIrql;

    if (flags)
        return STATUS_INVALID_PARAMETER;
    status = ProbeForRead(message, sizeof(*message), sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&header, message, sizeof(header));
    if (!NT_SUCCESS(status))
        return status;
    status = AlpcpReferencePortByHandle(portHandle, 0, &port);
    if (!NT_SUCCESS(status))
        return status;
    if (port->u1.s1.Type == ALPC_CLIENT_COMMUNICATION_PORT) {
        ObDereferenceObject(port);
        return STATUS_INVALID_PORT_HANDLE;
    }
    oldIrql = AlpcpAcquireLock();
    status = AlpcpFindImpersonation(port, &header, &security, &clientPort, &client);
    AlpcpReleaseLock(oldIrql);
    ObDereferenceObject(port);
    if (!NT_SUCCESS(status))
        return status;
    if (security) {
        KALPC_SECURITY_DATA *data = CONTAINING_RECORD(security, KALPC_SECURITY_DATA, Blob);

        status = SeImpersonateClientEx(&data->DynamicSecurity, PsGetCurrentThread());
        if (NT_SUCCESS(status))
            data->u1.s1.Impersonated = TRUE;
        AlpcpDereferenceBlob(security);
        return status;
    }
    if (clientPort->u1.s1.DynamicSecurity) {
        // The client as it is now, at the level it connected with.
        status = SeCreateClientSecurity(client, &clientPort->PortAttributes.SecurityQos, FALSE,
                                        &dynamic);
        if (NT_SUCCESS(status)) {
            status = SeImpersonateClientEx(&dynamic, PsGetCurrentThread());
            SeDeleteClientSecurity(&dynamic);
        }
    } else {
        status = SeImpersonateClientEx(&clientPort->StaticSecurity, PsGetCurrentThread());
    }
    ObDereferenceObject(client);
    ObDereferenceObject(clientPort);
    return status;
}
