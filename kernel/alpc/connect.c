// The handshake: NtAlpcConnectPort (the client) and NtAlpcAcceptConnectPort
// (the server).
//
//   client                           kernel                         server
//   NtAlpcConnectPort(name) ------>  client port + connection info
//                                    made, LPC_CONNECTION_REQUEST
//                                    queued at the connection port --> NtAlpcSendWaitReceivePort
//   (waits on AlpcWaitSemaphore,                                      (receives it: pending)
//    WrLpcReply)                                                      NtAlpcAcceptConnectPort
//                                                                     (server port, or refusal)
//   handle to the client port  <---  woken with the answer
//
// The client's connection data goes to the server as the request's data;
// the server's, in the accept's ConnectionRequest, comes back to the
// client's ConnectionMessage. A refused client gets
// STATUS_PORT_CONNECTION_REFUSED; one whose server went away,
// STATUS_PORT_DISCONNECTED; one that gave up (its timeout, termination)
// leaves its request canceled, and the server's accept then fails with
// STATUS_PORT_DISCONNECTED.

#include "alpc/alpcp.h"
#include "mm/mm.h"

// The named connection port, checked for PORT_CONNECT.
static NTSTATUS AlpcpReferenceConnectionPort(UNICODE_STRING *portName, ALPC_PORT **port)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    NTSTATUS status = PspCaptureUnicodeString(portName, &name);

    if (!NT_SUCCESS(status))
        return status;
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE, NULL, NULL);
    status = ObReferenceObjectByName(&attributes, AlpcPortObjectType, (void **)port);
    PspReleaseUnicodeString(&name);
    if (!NT_SUCCESS(status))
        return status;
    if ((*port)->u1.s1.Type != ALPC_CONNECTION_PORT)
        status = STATUS_INVALID_PORT_HANDLE;
    else
        status = ObCheckObjectAccess(*port, PORT_CONNECT, NULL);
    if (!NT_SUCCESS(status))
        ObDereferenceObject(*port);
    return status;
}

// RequiredServerSid: the connection port's owner must run as that user.
static NTSTATUS AlpcpCheckServerSid(ALPC_PORT *connectionPort, const SID *userSid)
{
    UCHAR buffer[SECURITY_MAX_SID_SIZE];
    SID *sid = (SID *)buffer;
    void *token;
    BOOLEAN equal;
    UCHAR count;
    NTSTATUS status = MmCopyFromUser(sid, userSid, FIELD_OFFSET(SID, SubAuthority));

    if (!NT_SUCCESS(status))
        return status;
    if (sid->Revision != 1 || sid->SubAuthorityCount > SID_MAX_SUB_AUTHORITIES)
        return STATUS_INVALID_SID;
    count = sid->SubAuthorityCount;
    status = MmCopyFromUser(sid, userSid, SeLengthSid(sid));
    if (!NT_SUCCESS(status))
        return status;
    // Read twice: only the count the length came from is trusted.
    if (sid->SubAuthorityCount != count || sid->Revision != 1)
        return STATUS_INVALID_SID;
    token = PsReferencePrimaryToken(connectionPort->OwnerProcess);
    equal = token && SeEqualSid(SeTokenUser(token), sid);
    if (token)
        ObDereferenceObject(token);
    return equal ? STATUS_SUCCESS : STATUS_SERVER_SID_MISMATCH;
}

// The client port and its connection, linked to the connection port
// (whose reference it takes over).
static NTSTATUS AlpcpCreateClientPort(ALPC_PORT *connectionPort,
                                      const ALPC_PORT_ATTRIBUTES *attributes,
                                      ALPC_PORT **result)
{
    ALPC_COMMUNICATION_INFO *info;
    ALPC_PORT *port;
    NTSTATUS status = AlpcpCreatePort(ALPC_CLIENT_COMMUNICATION_PORT, attributes, UserMode,
                                      &port);

    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(connectionPort);
        return status;
    }
    info = ExAllocatePoolWithTag(NonPagedPool, sizeof(*info), ALPC_COMMUNICATION_TAG);
    if (!info) {
        ObDereferenceObject(port);
        ObDereferenceObject(connectionPort);
        return STATUS_NO_MEMORY;
    }
    memset(info, 0, sizeof(*info));
    // The delete procedure frees the info and drops the connection port
    // from here on.
    info->ConnectionPort = connectionPort;
    info->ClientCommunicationPort = port;
    InitializeListHead(&info->CommunicationList);
    port->CommunicationInfo = info;
    port->TargetQueuePort = connectionPort;
    port->u1.s1.ConnectionPending = 1;
    // Unless the client said otherwise, the server's limits.
    if (!attributes) {
        port->PortAttributes.MaxMessageLength = connectionPort->PortAttributes.MaxMessageLength;
        port->PortAttributes.MaxPoolUsage = connectionPort->PortAttributes.MaxPoolUsage;
    }
    *result = port;
    return STATUS_SUCCESS;
}

// Connection data in (the request) and out (the answer): the caller's
// ConnectionMessage header and its buffer's size.
typedef struct _ALPCP_CONNECT_BUFFER {
    PORT_MESSAGE Header;
    SIZE_T Capacity;
    BOOLEAN Present;
} ALPCP_CONNECT_BUFFER;

static NTSTATUS AlpcpCaptureConnectBuffer(PORT_MESSAGE *connectionMessage, SIZE_T *bufferLength,
                                          ALPCP_CONNECT_BUFFER *buffer)
{
    NTSTATUS status;
    ULONG total;

    memset(buffer, 0, sizeof(*buffer));
    if (!connectionMessage)
        return STATUS_SUCCESS;
    status = ProbeForRead(connectionMessage, sizeof(PORT_MESSAGE), sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&buffer->Header, connectionMessage, sizeof(PORT_MESSAGE));
    if (!NT_SUCCESS(status))
        return status;
    total = (USHORT)buffer->Header.u1.s1.TotalLength;
    if ((USHORT)buffer->Header.u1.s1.DataLength + sizeof(PORT_MESSAGE) != total)
        return STATUS_INVALID_PARAMETER;
    buffer->Capacity = total;
    if (bufferLength) {
        status = ProbeForWrite(bufferLength, sizeof(SIZE_T), sizeof(ULONG));
        if (NT_SUCCESS(status))
            status = MmCopyFromUser(&buffer->Capacity, bufferLength, sizeof(SIZE_T));
        if (!NT_SUCCESS(status))
            return status;
        if (buffer->Capacity < total)
            return STATUS_BUFFER_TOO_SMALL;
    }
    buffer->Present = TRUE;
    return STATUS_SUCCESS;
}

NTSTATUS NtAlpcConnectPort(HANDLE *portHandle, UNICODE_STRING *portName,
                           OBJECT_ATTRIBUTES *objectAttributes,
                           ALPC_PORT_ATTRIBUTES *portAttributes, ULONG flags,
                           SID *requiredServerSid, PORT_MESSAGE *connectionMessage,
                           SIZE_T *bufferLength, ALPC_MESSAGE_ATTRIBUTES *outMessageAttributes,
                           ALPC_MESSAGE_ATTRIBUTES *inMessageAttributes, LARGE_INTEGER *timeout)
{
    ETHREAD *thread = PsGetCurrentThread();
    LARGE_INTEGER capturedTimeout, *waitTimeout;
    ALPC_PORT_ATTRIBUTES attributes;
    OB_CAPTURED_ATTRIBUTES captured;
    ALPCP_CONNECT_BUFFER buffer;
    ALPC_PORT *connectionPort, *port;
    KALPC_MESSAGE *message, *answer;
    BOOLEAN present;
    KIRQL oldIrql;
    NTSTATUS status;

    (void)outMessageAttributes;
    if (flags & ~ALPC_MSGFLG_SYNC_REQUEST)
        return STATUS_INVALID_PARAMETER;
    if (!portName)
        return STATUS_INVALID_PARAMETER;
    status = ObProbeHandleOut(portHandle);
    if (NT_SUCCESS(status))
        status = AlpcpCaptureAttributes(portAttributes, &attributes, &present);
    if (NT_SUCCESS(status))
        status = AlpcpCaptureConnectBuffer(connectionMessage, bufferLength, &buffer);
    if (NT_SUCCESS(status))
        status = AlpcpCaptureTimeout(timeout, &capturedTimeout, &waitTimeout);
    if (!NT_SUCCESS(status))
        return status;
    status = AlpcpReferenceConnectionPort(portName, &connectionPort);
    if (!NT_SUCCESS(status))
        return status;
    if (requiredServerSid) {
        status = AlpcpCheckServerSid(connectionPort, requiredServerSid);
        if (!NT_SUCCESS(status)) {
            ObDereferenceObject(connectionPort);
            return status;
        }
    }
    if ((USHORT)buffer.Header.u1.s1.TotalLength > connectionPort->PortAttributes.MaxMessageLength) {
        ObDereferenceObject(connectionPort);
        return STATUS_PORT_MESSAGE_TOO_LONG;
    }
    status = AlpcpCreateClientPort(connectionPort, present ? &attributes : NULL, &port);
    if (!NT_SUCCESS(status))
        return status;
    // The request: the client's connection data, or none.
    if (buffer.Present) {
        status = AlpcpCaptureMessage(connectionMessage, &buffer.Header, &message);
    } else {
        PORT_MESSAGE empty = {.u1.s1.TotalLength = sizeof(PORT_MESSAGE)};

        message = AlpcpAllocateMessage(sizeof(PORT_MESSAGE));
        status = message ? STATUS_SUCCESS : STATUS_NO_MEMORY;
        if (message) {
            message->PortMessage = empty;
            message->PortMessage.ClientId = thread->Cid;
        }
    }
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(port);
        return status;
    }
    message->PortMessage.u2.s2.Type = LPC_CONNECTION_REQUEST;
    message->OwnerPort = port;
    message->u1.s1.OwnerPortReference = 1;
    ObReferenceObject(port);
    message->CommunicationInfo = port->CommunicationInfo;
    message->ConnectionPort = connectionPort;
    message->WaitingThread = thread;
    oldIrql = AlpcpAcquireLock();
    if (connectionPort->u1.s1.Closed) {
        status = STATUS_PORT_DISCONNECTED;
    } else {
        // A connection request is not held to the queue's quota: a client
        // that cannot send cannot get far enough to flood it.
        status = AlpcpQueueMessage(port, connectionPort, message, TRUE);
    }
    if (NT_SUCCESS(status)) {
        InsertTailList(&connectionPort->CommunicationInfo->CommunicationList,
                       &port->CommunicationInfo->CommunicationList);
        port->Message = message;
        thread->AlpcMessage = message;
        thread->AlpcMessageId = message->PortMessage.MessageId;
        thread->AlpcWaitStatus = STATUS_SUCCESS;
    }
    AlpcpReleaseLock(oldIrql);
    if (!NT_SUCCESS(status)) {
        message->WaitingThread = NULL;
        AlpcpFreeMessage(message);
        ObDereferenceObject(port);
        return status;
    }
    status = AlpcpReceiveSynchronousReply(connectionPort, UserMode, FALSE, waitTimeout, &answer);
    oldIrql = AlpcpAcquireLock();
    if (port->Message == message)
        port->Message = NULL;
    AlpcpReleaseLock(oldIrql);
    if (!answer) {
        if (NT_SUCCESS(status) && status != STATUS_TIMEOUT)
            status = STATUS_PORT_DISCONNECTED;
        // Refused, timed out, the server gone: the port goes (its delete
        // procedure undoes the connection).
        ObDereferenceObject(port);
        return status;
    }
    // Accepted: the server's data back to the caller.
    if (buffer.Present) {
        SIZE_T total = (USHORT)answer->PortMessage.u1.s1.TotalLength;

        if (total > buffer.Capacity)
            total = buffer.Capacity;
        status = MmCopyToUser(connectionMessage, &answer->PortMessage, total);
        if (NT_SUCCESS(status) && bufferLength)
            status = MmCopyToUser(bufferLength, &total, sizeof(total));
        if (NT_SUCCESS(status) && inMessageAttributes)
            status = AlpcpWriteReceiveAttributes(inMessageAttributes, answer);
    }
    AlpcpFreeMessage(answer);
    if (NT_SUCCESS(status))
        status = ObCaptureObjectAttributes(objectAttributes, &captured);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(port);
        return status;
    }
    status = ObInsertObjectForUser(port, &captured, PORT_ALL_ACCESS, portHandle);
    ObReleaseObjectAttributes(&captured);
    return status;
}

NTSTATUS NtAlpcAcceptConnectPort(HANDLE *portHandle, HANDLE connectionPortHandle, ULONG flags,
                                 OBJECT_ATTRIBUTES *objectAttributes,
                                 ALPC_PORT_ATTRIBUTES *portAttributes, void *portContext,
                                 PORT_MESSAGE *connectionRequest,
                                 ALPC_MESSAGE_ATTRIBUTES *connectionMessageAttributes,
                                 BOOLEAN acceptConnection)
{
    ALPC_PORT *connectionPort, *serverPort = NULL, *clientPort;
    KALPC_MESSAGE *request, *answer = NULL;
    ALPC_PORT_ATTRIBUTES attributes;
    OB_CAPTURED_ATTRIBUTES captured;
    ALPC_COMMUNICATION_INFO *info;
    LIST_ENTRY freeList;
    PORT_MESSAGE header;
    BOOLEAN present;
    KIRQL oldIrql;
    NTSTATUS status;

    (void)connectionMessageAttributes;
    if (flags)
        return STATUS_INVALID_PARAMETER;
    if (!connectionRequest)
        return STATUS_INVALID_PARAMETER;
    status = AlpcpCaptureAttributes(portAttributes, &attributes, &present);
    if (!NT_SUCCESS(status))
        return status;
    if (acceptConnection) {
        status = ObProbeHandleOut(portHandle);
        if (!NT_SUCCESS(status))
            return status;
    }
    status = AlpcpReferencePortByHandle(connectionPortHandle, 0, &connectionPort);
    if (!NT_SUCCESS(status))
        return status;
    if (connectionPort->u1.s1.Type != ALPC_CONNECTION_PORT) {
        ObDereferenceObject(connectionPort);
        return STATUS_INVALID_PORT_HANDLE;
    }
    status = AlpcpCaptureHeader(connectionPort, connectionRequest, &header);
    // The answer: the server's connection data, as the client will read it.
    if (NT_SUCCESS(status) && acceptConnection) {
        status = AlpcpCaptureMessage(connectionRequest, &header, &answer);
        if (NT_SUCCESS(status)) {
            answer->PortMessage.u2.s2.Type = LPC_REPLY;
            answer->PortMessage.MessageId = header.MessageId;
            answer->PortMessage.CallbackId = header.CallbackId;
        }
    }
    if (NT_SUCCESS(status) && acceptConnection) {
        status = AlpcpCreatePort(ALPC_SERVER_COMMUNICATION_PORT, present ? &attributes : NULL,
                                 UserMode, &serverPort);
        if (NT_SUCCESS(status)) {
            serverPort->PortContext = portContext;
            if (!present) {
                serverPort->PortAttributes.MaxMessageLength =
                    connectionPort->PortAttributes.MaxMessageLength;
                serverPort->PortAttributes.MaxPoolUsage =
                    connectionPort->PortAttributes.MaxPoolUsage;
            }
        }
    }
    if (!NT_SUCCESS(status)) {
        if (answer)
            AlpcpFreeMessage(answer);
        ObDereferenceObject(connectionPort);
        return status;
    }
    InitializeListHead(&freeList);
    oldIrql = AlpcpAcquireLock();
    request = AlpcpLookupMessage(header.MessageId);
    if (!request || request->ConnectionPort != connectionPort ||
        AlpcpMessageType(&request->PortMessage) != LPC_CONNECTION_REQUEST ||
        request->PortMessage.CallbackId != header.CallbackId ||
        request->u1.s1.ReceiverReference ||
        (request->u1.s1.QueueType != ALPC_MSGQUEUE_PENDING && !request->u1.s1.Canceled)) {
        status = STATUS_REPLY_MESSAGE_MISMATCH;
    } else if (request->u1.s1.Canceled) {
        // The client gave up: its request goes, and no connection is made.
        RemoveEntryList(&request->Entry);
        connectionPort->CanceledQueueLength--;
        InsertTailList(&freeList, &request->Entry);
        status = STATUS_PORT_DISCONNECTED;
    } else {
        RemoveEntryList(&request->Entry);
        connectionPort->PendingQueueLength--;
        request->u1.s1.QueueType = ALPC_MSGQUEUE_NONE;
        InsertTailList(&freeList, &request->Entry);
        info = request->CommunicationInfo;
        clientPort = info->ClientCommunicationPort;
        clientPort->u1.s1.ConnectionPending = 0;
        if (acceptConnection) {
            info->ServerCommunicationPort = serverPort;
            serverPort->CommunicationInfo = info;
            serverPort->TargetQueuePort = clientPort;
            // The server port holds the connection port as the client's does.
            ObReferenceObject(connectionPort);
        } else {
            clientPort->u1.s1.ConnectionRefused = 1;
            clientPort->u1.s1.Disconnected = 1;
        }
        if (request->WaitingThread) {
            AlpcpWakeWaiter(request->WaitingThread, answer, STATUS_PORT_CONNECTION_REFUSED);
            request->WaitingThread = NULL;
            answer = NULL;
        }
        status = STATUS_SUCCESS;
    }
    AlpcpReleaseLock(oldIrql);
    AlpcpFreeMessageList(&freeList);
    if (answer)
        AlpcpFreeMessage(answer);
    ObDereferenceObject(connectionPort);
    if (!serverPort)
        return status;
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(serverPort);
        return status;
    }
    // The handle last: if it cannot be made, the port goes and the client
    // finds its connection broken.
    status = ObCaptureObjectAttributes(objectAttributes, &captured);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(serverPort);
        return status;
    }
    status = ObInsertObjectForUser(serverPort, &captured, PORT_ALL_ACCESS, portHandle);
    ObReleaseObjectAttributes(&captured);
    return status;
}
