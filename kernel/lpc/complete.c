// The server's half of the handshake: NtAcceptConnectPort (accept or
// refuse) and NtCompleteConnectPort (wake the client).
//
// Accepting makes the server communication port, links it with the client
// port, maps the client's section into the server and the server's section
// into both, and rewrites the connection request as the client's answer.
// The client wakes only at NtCompleteConnectPort, so the server can set up
// its state for the connection (its PortContext) before the first request.

#include "lpc/lpcp.h"
#include "mm/mm.h"

// Does `client` still wait for the answer to its connection request
// `messageId`, taken by an accept (LpcpTakeConnectionRequest)? The lock is
// dropped between the take and the answer: meanwhile the client may have
// been woken another way (its connection port closed) and be waiting for
// something else, which the answer must not touch. Lock held.
static BOOLEAN LpcpClientAwaitsAnswer(ETHREAD *client, ULONG messageId)
{
    return !IsListEmpty(&client->LpcReplyChain) && client->LpcReplyMessage == NULL &&
           client->LpcReplyMessageId == messageId;
}

BOOLEAN LpcpClientAwaitsCompletion(ETHREAD *client, LPCP_PORT_OBJECT *serverPort)
{
    LPCP_MESSAGE *held = LpcpGetMessageFromThread(client);

    return !IsListEmpty(&client->LpcReplyChain) && held && held->SenderPort == serverPort &&
           LpcpMessageType(&held->Request) == LPC_REPLY;
}

// Gives the client its answer and wakes it, unless it stopped waiting for
// it (it was terminated, or woken by its connection port's rundown), in
// which case the answer is dropped. Refusals and failures wake it at once;
// an accepted client is woken by NtCompleteConnectPort (linkPort: the new
// server port to link, whose ClientThread the client becomes; the answer's
// SenderPort names it, so that a completion finds only its own client).
static void LpcpAnswerClient(ETHREAD *client, LPCP_MESSAGE *answer, LPCP_PORT_OBJECT *linkPort)
{
    LPCP_CONNECTION_MESSAGE *connection = LpcpConnectionMessage(answer);
    LPCP_PORT_OBJECT *clientPort = connection->ClientPort;
    KIRQL oldIrql;

    // The answer no longer holds the client's section or port.
    connection->ClientPort = NULL;
    if (connection->SectionToMap)
        ObDereferenceObject(connection->SectionToMap);
    connection->SectionToMap = NULL;
    answer->SenderPort = linkPort;
    oldIrql = LpcpAcquireLock();
    if (LpcpClientAwaitsAnswer(client, answer->Request.MessageId)) {
        client->LpcReplyMessage = answer;
        client->LpcReplyMessageId = 0;
        answer = NULL;
        if (linkPort) {
            linkPort->ConnectedPort = clientPort;
            clientPort->ConnectedPort = linkPort;
            linkPort->ClientThread = client;
            ObReferenceObject(client);
        } else {
            RemoveEntryList(&client->LpcReplyChain);
            InitializeListHead(&client->LpcReplyChain);
            KeReleaseSemaphore(&client->LpcReplySemaphore, 1, 1, FALSE);
        }
    }
    LpcpReleaseLock(oldIrql);
    if (answer)
        LpcpFreeMessage(answer);
    ObDereferenceObject(clientPort);
}

// Takes the connection request away from the client thread it names, if
// that thread still waits for exactly it and the caller owns its connection
// port.
static NTSTATUS LpcpTakeConnectionRequest(const PORT_MESSAGE *header, ETHREAD **client,
                                          LPCP_MESSAGE **request)
{
    LPCP_MESSAGE *message;
    NTSTATUS status = PsLookupThreadByThreadId(header->ClientId.UniqueThread, client);
    KIRQL oldIrql;

    if (!NT_SUCCESS(status))
        return status;
    if ((*client)->Cid.UniqueProcess != header->ClientId.UniqueProcess) {
        ObDereferenceObject(*client);
        return STATUS_INVALID_CID;
    }
    oldIrql = LpcpAcquireLock();
    message = LpcpGetMessageFromThread(*client);
    if (!message || IsListEmpty(&(*client)->LpcReplyChain) ||
        (*client)->LpcReplyMessageId != header->MessageId ||
        LpcpMessageType(&message->Request) != LPC_CONNECTION_REQUEST ||
        !IsListEmpty(&message->Entry) ||
        LpcpConnectionMessage(message)->ClientPort->ConnectionPort->ServerProcess !=
            PsGetCurrentProcess()) {
        status = STATUS_REPLY_MESSAGE_MISMATCH;
    } else {
        // A second accept of the same request finds nothing. The id stays:
        // the answer goes only to a client still waiting for it.
        (*client)->LpcReplyMessage = NULL;
        *request = message;
    }
    LpcpReleaseLock(oldIrql);
    if (!NT_SUCCESS(status))
        ObDereferenceObject(*client);
    return status;
}

// Maps the sections of an accepted connection: the client's into the
// server, the server's (if it gave one) into both.
static NTSTATUS LpcpMapConnectionViews(LPCP_PORT_OBJECT *serverPort, LPCP_MESSAGE *request,
                                       PORT_VIEW *serverView, REMOTE_PORT_VIEW *clientViewOut)
{
    LPCP_CONNECTION_MESSAGE *connection = LpcpConnectionMessage(request);
    LPCP_PORT_OBJECT *clientPort = connection->ClientPort;
    NTSTATUS status;

    memset(clientViewOut, 0, sizeof(*clientViewOut));
    clientViewOut->Length = sizeof(*clientViewOut);
    if (connection->SectionToMap) {
        void *base = NULL;
        SIZE_T size = connection->ClientView.ViewSize;

        status = MmMapViewOfSection(connection->SectionToMap, serverPort->MappingProcess, &base,
                                    connection->ClientView.SectionOffset, &size, PAGE_READWRITE);
        if (!NT_SUCCESS(status))
            return status;
        serverPort->ClientSectionBase = base;
        connection->ClientView.ViewRemoteBase = base;
        clientViewOut->ViewBase = base;
        clientViewOut->ViewSize = size;
    }
    memset(&connection->ServerView, 0, sizeof(connection->ServerView));
    connection->ServerView.Length = sizeof(REMOTE_PORT_VIEW);
    if (serverView) {
        void *local = NULL, *remote = NULL;
        SIZE_T size = serverView->ViewSize;
        SECTION *section;

        status = ObReferenceObjectByHandle(serverView->SectionHandle,
                                           SECTION_MAP_READ | SECTION_MAP_WRITE,
                                           MmSectionObjectType, (void **)&section, NULL);
        if (!NT_SUCCESS(status))
            return status;
        status = MmMapViewOfSection(section, serverPort->MappingProcess, &local,
                                    serverView->SectionOffset, &size, PAGE_READWRITE);
        if (NT_SUCCESS(status)) {
            serverPort->ServerSectionBase = local;
            status = MmMapViewOfSection(section, clientPort->MappingProcess, &remote,
                                        serverView->SectionOffset, &size, PAGE_READWRITE);
        }
        ObDereferenceObject(section);
        if (!NT_SUCCESS(status))
            return status;
        // The client port unmaps it from the client when it goes.
        clientPort->ServerSectionBase = remote;
        serverView->ViewBase = local;
        serverView->ViewRemoteBase = remote;
        serverView->ViewSize = size;
        connection->ServerView.ViewBase = remote;
        connection->ServerView.ViewSize = size;
    }
    return STATUS_SUCCESS;
}

static NTSTATUS LpcpCreateServerPort(LPCP_MESSAGE *request, void *portContext,
                                     LPCP_PORT_OBJECT **result)
{
    LPCP_PORT_OBJECT *clientPort = LpcpConnectionMessage(request)->ClientPort;
    LPCP_PORT_OBJECT *connectionPort = clientPort->ConnectionPort;
    LPCP_PORT_OBJECT *port;
    NTSTATUS status = LpcpInitializePortObject(FALSE, LPCP_COMMUNICATION_PORT, &port);

    if (!NT_SUCCESS(status))
        return status;
    port->ConnectionPort = connectionPort;
    ObReferenceObject(connectionPort);
    port->PortContext = portContext;
    port->MaxMessageLength = connectionPort->MaxMessageLength;
    port->MaxConnectionInfoLength = connectionPort->MaxConnectionInfoLength;
    port->SecurityQos = clientPort->SecurityQos;
    port->MappingProcess = PsGetCurrentProcess();
    ObReferenceObject(port->MappingProcess);
    *result = port;
    return STATUS_SUCCESS;
}

NTSTATUS NtAcceptConnectPort(HANDLE *portHandle, void *portContext,
                             PORT_MESSAGE *connectionRequest, BOOLEAN acceptConnection,
                             PORT_VIEW *serverView, REMOTE_PORT_VIEW *clientView)
{
    LPCP_PORT_OBJECT *serverPort = NULL;
    OB_CAPTURED_ATTRIBUTES unnamed;
    REMOTE_PORT_VIEW clientViewOut;
    LPCP_MESSAGE *request = NULL;      // GCC cannot see LpcpTakeConnectionRequest set it
    PORT_VIEW capturedServerView;
    PORT_MESSAGE header;
    ETHREAD *client;
    ULONG infoLength;
    NTSTATUS status = acceptConnection ? ObProbeHandleOut(portHandle) : STATUS_SUCCESS;

    if (NT_SUCCESS(status))
        status = LpcpCaptureHeader(connectionRequest, &header);
    if (NT_SUCCESS(status) && serverView) {
        status = ProbeForWrite(serverView, sizeof(*serverView), sizeof(ULONG));
        if (NT_SUCCESS(status))
            status = MmCopyFromUser(&capturedServerView, serverView, sizeof(*serverView));
        if (NT_SUCCESS(status) && capturedServerView.Length != sizeof(PORT_VIEW))
            status = STATUS_INVALID_PARAMETER;
    }
    if (NT_SUCCESS(status) && clientView) {
        ULONG length = 0;

        status = ProbeForWrite(clientView, sizeof(*clientView), sizeof(ULONG));
        if (NT_SUCCESS(status))
            status = MmCopyFromUser(&length, &clientView->Length, sizeof(length));
        if (NT_SUCCESS(status) && length != sizeof(REMOTE_PORT_VIEW))
            status = STATUS_INVALID_PARAMETER;
    }
    if (NT_SUCCESS(status))
        status = LpcpTakeConnectionRequest(&header, &client, &request);
    if (!NT_SUCCESS(status))
        return status;

    // From here the client must get an answer, whatever happens.
    infoLength = (USHORT)header.u1.s1.DataLength;
    if (infoLength > LpcpConnectionMessage(request)->ClientPort->MaxConnectionInfoLength)
        infoLength = LpcpConnectionMessage(request)->ClientPort->MaxConnectionInfoLength;
    status = MmCopyFromUser(LpcpConnectionMessage(request) + 1, connectionRequest + 1, infoLength);
    request->Request.u1.s1.DataLength = (CSHORT)(sizeof(LPCP_CONNECTION_MESSAGE) + infoLength);
    request->Request.u1.s1.TotalLength =
        (CSHORT)(sizeof(PORT_MESSAGE) + sizeof(LPCP_CONNECTION_MESSAGE) + infoLength);
    if (NT_SUCCESS(status) && acceptConnection)
        status = LpcpCreateServerPort(request, portContext, &serverPort);
    if (NT_SUCCESS(status) && acceptConnection)
        status = LpcpMapConnectionViews(serverPort, request,
                                        serverView ? &capturedServerView : NULL, &clientViewOut);
    if (!NT_SUCCESS(status) || !acceptConnection) {
        request->Request.u2.s2.Type = LPC_CONNECTION_REFUSED;
        LpcpAnswerClient(client, request, NULL);
        ObDereferenceObject(client);
        if (serverPort)
            ObDereferenceObject(serverPort);
        return status;
    }
    request->Request.u2.s2.Type = LPC_REPLY;
    LpcpAnswerClient(client, request, serverPort);
    ObDereferenceObject(client);
    if (serverView)
        status = MmCopyToUser(serverView, &capturedServerView, sizeof(*serverView));
    if (NT_SUCCESS(status) && clientView)
        status = MmCopyToUser(clientView, &clientViewOut, sizeof(*clientView));
    memset(&unnamed, 0, sizeof(unnamed));
    unnamed.Attributes.Length = sizeof(OBJECT_ATTRIBUTES);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(serverPort);
        return status;
    }
    return ObInsertObjectForUser(serverPort, &unnamed, PORT_ALL_ACCESS, portHandle);
}

NTSTATUS NtCompleteConnectPort(HANDLE portHandle)
{
    LPCP_PORT_OBJECT *port;
    ETHREAD *client;
    KIRQL oldIrql;
    NTSTATUS status = LpcpReferencePortByHandle(portHandle, 0, &port);

    if (!NT_SUCCESS(status))
        return status;
    if ((port->Flags & LPCP_PORT_TYPE_MASK) != LPCP_COMMUNICATION_PORT) {
        ObDereferenceObject(port);
        return STATUS_INVALID_PORT_HANDLE;
    }
    oldIrql = LpcpAcquireLock();
    client = port->ClientThread;
    port->ClientThread = NULL;
    if (client && LpcpClientAwaitsCompletion(client, port)) {
        RemoveEntryList(&client->LpcReplyChain);
        InitializeListHead(&client->LpcReplyChain);
        KeReleaseSemaphore(&client->LpcReplySemaphore, 1, 1, FALSE);
    }
    LpcpReleaseLock(oldIrql);
    ObDereferenceObject(port);
    if (!client)
        return STATUS_INVALID_PARAMETER;
    ObDereferenceObject(client);
    return STATUS_SUCCESS;
}
