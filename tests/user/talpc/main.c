// User-mode tests of the ALPC calls, server and clients in one process (a
// client that must wait connects or sends from a thread of its own):
// creating ports and their attributes, the handshake with connection data
// both ways, refusals, synchronous requests and replies with the ids,
// sequence numbers and context the kernel stamps, datagrams, the large
// message queue, the queue quota, timeouts, cancellation, disconnection,
// query and set information, and every length, pointer, flag and handle
// check.

#include "tests/user/ualpc.h"

#define SERVER_NAME u"\\RPC Control\\TalpcServer"
#define CONTEXT_TAG ((PVOID)0xa1bcc0de)

static HANDLE ServerPort;       // the connection port of the current test

// Message attributes with the context attribute alone.
typedef struct _SEND_CONTEXT {
    ALPC_MESSAGE_ATTRIBUTES Header;
    ALPC_CONTEXT_ATTR Context;
} SEND_CONTEXT;

typedef struct _REQUESTER {
    HANDLE Port;
    UALPC_MESSAGE Request;
    UALPC_MESSAGE Reply;
    LARGE_INTEGER Timeout;
    BOOLEAN HasTimeout;
    NTSTATUS Status;
    HANDLE Thread;
} REQUESTER;

static NTSTATUS NTAPI RequesterThread(PVOID argument)
{
    REQUESTER *requester = argument;

    requester->Status = UalpcRequest(requester->Port, &requester->Request, &requester->Reply,
                                     requester->HasTimeout ? &requester->Timeout : NULL);
    return requester->Status;
}

// A synchronous request of `length` bytes sent from a thread of its own.
static NTSTATUS StartRequester(REQUESTER *requester, HANDLE port, ULONG length, LONGLONG ms)
{
    memset(requester, 0, sizeof(*requester));
    requester->Port = port;
    UalpcInitMessage(&requester->Request, length, 0x10);
    if (ms) {
        requester->Timeout = UtMilliseconds(ms);
        requester->HasTimeout = TRUE;
    }
    return UtStartThread(&requester->Thread, RequesterThread, requester);
}

// A connected client (its port in client->Port) and the server
// communication port (context CONTEXT_TAG); the server is this thread.
static BOOLEAN Connect(UALPC_CLIENT *client, PHANDLE serverPort)
{
    UALPC_MESSAGE request;

    memset(client, 0, sizeof(*client));
    client->Name = SERVER_NAME;
    client->ConnectDataLength = 8;
    if (UalpcStartClient(client) != STATUS_SUCCESS)
        return FALSE;
    if (UalpcAccept(ServerPort, CONTEXT_TAG, TRUE, serverPort, &request) != STATUS_SUCCESS ||
        UalpcJoinClient(client) != STATUS_SUCCESS) {
        UtFail(__FILE__, __LINE__, "the handshake failed");
        return FALSE;
    }
    return TRUE;
}

static void CreateServer(ALPC_PORT_ATTRIBUTES *attributes)
{
    UT_EXPECT_STATUS(UalpcCreatePort(&ServerPort, SERVER_NAME, attributes), STATUS_SUCCESS);
}

UTEST(CreatePortChecksItsAttributes)
{
    ALPC_PORT_ATTRIBUTES attributes;
    OBJECT_ATTRIBUTES objectAttributes;
    HANDLE port, second;

    InitializeObjectAttributes(&objectAttributes, NULL, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtAlpcCreatePort(&port, &objectAttributes, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(port), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcCreatePort(&port, NULL, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(port), STATUS_SUCCESS);
    memset(&attributes, 0, sizeof(attributes));
    attributes.MaxMessageLength = ALPC_MAX_ALLOWED_MESSAGE_LENGTH + 1;
    UT_EXPECT_STATUS(NtAlpcCreatePort(&port, NULL, &attributes), STATUS_INVALID_PARAMETER);
    attributes.MaxMessageLength = 8;
    UT_EXPECT_STATUS(NtAlpcCreatePort(&port, NULL, &attributes), STATUS_INVALID_PARAMETER);
    attributes.MaxMessageLength = 0x100;
    attributes.Flags = ALPC_PORFLG_SYSTEM_PROCESS;
    UT_EXPECT_STATUS(NtAlpcCreatePort(&port, NULL, &attributes), STATUS_INVALID_PARAMETER);
    attributes.Flags = ALPC_PORFLG_WAITABLE_PORT;
    UT_EXPECT_STATUS(NtAlpcCreatePort(&port, NULL, &attributes), STATUS_NOT_SUPPORTED);
    attributes.Flags = ALPC_PORFLG_ALLOW_IMPERSONATION;
    UT_EXPECT_STATUS(NtAlpcCreatePort(&port, NULL, &attributes), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(port), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcCreatePort(UT_BAD_POINTER, NULL, NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAlpcCreatePort(UT_KERNEL_POINTER, NULL, NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAlpcCreatePort(&port, UT_BAD_POINTER, NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAlpcCreatePort(&port, NULL, UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(UalpcCreatePort(&port, SERVER_NAME, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UalpcCreatePort(&second, SERVER_NAME, NULL), STATUS_OBJECT_NAME_COLLISION);
    UT_EXPECT_STATUS(NtClose(port), STATUS_SUCCESS);
    // The name went with the last handle.
    UT_EXPECT_STATUS(UalpcCreatePort(&port, SERVER_NAME, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(port), STATUS_SUCCESS);
}

UTEST(ConnectFindsOnlyConnectionPorts)
{
    UNICODE_STRING name = UT_NAME(u"\\RPC Control\\TalpcNobody");
    UNICODE_STRING eventName = UT_NAME(u"\\BaseNamedObjects\\TalpcEvent");
    OBJECT_ATTRIBUTES attributes;
    HANDLE port = NULL, event;

    UT_EXPECT_STATUS(NtAlpcConnectPort(&port, &name, NULL, NULL, 0, NULL, NULL, NULL, NULL,
                                       NULL, NULL), STATUS_OBJECT_NAME_NOT_FOUND);
    InitializeObjectAttributes(&attributes, &eventName, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, &attributes, NotificationEvent,
                                   FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcConnectPort(&port, &eventName, NULL, NULL, 0, NULL, NULL, NULL,
                                       NULL, NULL, NULL), STATUS_OBJECT_TYPE_MISMATCH);
    NtClose(event);
    UT_EXPECT_STATUS(NtAlpcConnectPort(&port, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL,
                                       NULL, NULL), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtAlpcConnectPort(&port, &name, NULL, NULL, 0x40000000, NULL, NULL, NULL,
                                       NULL, NULL, NULL), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtAlpcConnectPort(UT_BAD_POINTER, &name, NULL, NULL, 0, NULL, NULL, NULL,
                                       NULL, NULL, NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAlpcConnectPort(&port, UT_BAD_POINTER, NULL, NULL, 0, NULL, NULL, NULL,
                                       NULL, NULL, NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT(port == NULL);
}

UTEST(HandshakeCarriesConnectionDataBothWays)
{
    UALPC_MESSAGE request;
    UALPC_CLIENT client;
    HANDLE serverPort = NULL;

    CreateServer(NULL);
    memset(&client, 0, sizeof(client));
    client.Name = SERVER_NAME;
    client.ConnectDataLength = 24;
    UT_EXPECT_STATUS(UalpcStartClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UalpcReceive(ServerPort, NULL, &request, UT_THREAD_PATIENCE_MS),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(request.h.u2.s2.Type, LPC_CONNECTION_REQUEST);
    UT_EXPECT_EQ(request.h.u1.s1.DataLength, 24);
    UT_EXPECT_EQ(request.Data[0], 0x40);
    UT_EXPECT_EQ(request.Data[23], 0x40 + 23);
    UT_EXPECT(request.h.MessageId != 0 && request.h.MessageId % 4 == 0);
    UT_EXPECT(request.h.ClientId.UniqueThread == UtThreadId(client.Thread));
    // The server answers with data of its own.
    UalpcInitMessage((UALPC_MESSAGE *)&request, 12, 0x90);
    request.h.u2.s2.Type = LPC_CONNECTION_REQUEST;
    UT_EXPECT_STATUS(NtAlpcAcceptConnectPort(&serverPort, ServerPort, 0, NULL, NULL, CONTEXT_TAG,
                                             &request.h, NULL, TRUE),
                     STATUS_REPLY_MESSAGE_MISMATCH);            // its ids were overwritten
    UT_EXPECT(serverPort == NULL);
    // The client still waits: the connection port's close wakes it.
    UT_EXPECT(UtWaitUntilWaiting(client.Thread));
    NtClose(ServerPort);
    UT_EXPECT_STATUS(UalpcJoinClient(&client), STATUS_PORT_DISCONNECTED);

    // Again, with the ids kept.
    CreateServer(NULL);
    UT_EXPECT_STATUS(UalpcStartClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UalpcReceive(ServerPort, NULL, &request, UT_THREAD_PATIENCE_MS),
                     STATUS_SUCCESS);
    request.h.u1.s1.DataLength = 12;
    request.h.u1.s1.TotalLength = sizeof(PORT_MESSAGE) + 12;
    for (int i = 0; i < 12; i++)
        request.Data[i] = (UCHAR)(0x90 + i);
    UT_EXPECT_STATUS(NtAlpcAcceptConnectPort(&serverPort, ServerPort, 0, NULL, NULL, CONTEXT_TAG,
                                             &request.h, NULL, TRUE), STATUS_SUCCESS);
    UT_EXPECT(serverPort != NULL);
    UT_EXPECT_STATUS(UalpcJoinClient(&client), STATUS_SUCCESS);
    UT_EXPECT(client.Port != NULL);
    UT_EXPECT_EQ(client.Connection.h.u1.s1.DataLength, 12);
    UT_EXPECT_EQ(client.Connection.Data[11], 0x90 + 11);
    UT_EXPECT_EQ(client.AnswerLength, sizeof(PORT_MESSAGE) + 12);
    // Accepting the same request twice: it is gone.
    UT_EXPECT_STATUS(NtAlpcAcceptConnectPort(&serverPort, ServerPort, 0, NULL, NULL, NULL,
                                             &request.h, NULL, TRUE),
                     STATUS_REPLY_MESSAGE_MISMATCH);
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

UTEST(RefusedConnectionGivesNoHandle)
{
    UALPC_MESSAGE request;
    UALPC_CLIENT client;
    HANDLE serverPort = (HANDLE)1;

    CreateServer(NULL);
    memset(&client, 0, sizeof(client));
    client.Name = SERVER_NAME;
    UT_EXPECT_STATUS(UalpcStartClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UalpcAccept(ServerPort, NULL, FALSE, &serverPort, &request),
                     STATUS_SUCCESS);
    UT_EXPECT(serverPort == NULL);
    UT_EXPECT_STATUS(UalpcJoinClient(&client), STATUS_PORT_CONNECTION_REFUSED);
    UT_EXPECT(client.Port == NULL);
    // Accept checks its arguments first.
    UT_EXPECT_STATUS(NtAlpcAcceptConnectPort(&serverPort, ServerPort, 1, NULL, NULL, NULL,
                                             &request.h, NULL, TRUE), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtAlpcAcceptConnectPort(&serverPort, ServerPort, 0, NULL, NULL, NULL, NULL,
                                             NULL, TRUE), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtAlpcAcceptConnectPort(&serverPort, ServerPort, 0, NULL, NULL, NULL,
                                             UT_BAD_POINTER, NULL, TRUE),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAlpcAcceptConnectPort(&serverPort, NtCurrentProcess(), 0, NULL, NULL,
                                             NULL, &request.h, NULL, TRUE),
                     STATUS_OBJECT_TYPE_MISMATCH);
    NtClose(ServerPort);
}

UTEST(SynchronousRequestGetsItsReplyWithIdsAndContext)
{
    struct {
        ALPC_MESSAGE_ATTRIBUTES Header;
        ALPC_CONTEXT_ATTR Context;
    } attributes;
    UALPC_MESSAGE request;
    UALPC_CLIENT client;
    REQUESTER requester;
    HANDLE serverPort;
    SIZE_T length = sizeof(request);
    LARGE_INTEGER timeout = UtMilliseconds(UT_THREAD_PATIENCE_MS);

    CreateServer(NULL);
    if (!Connect(&client, &serverPort))
        return;
    for (ULONG round = 0; round < 3; round++) {
        UT_EXPECT_STATUS(StartRequester(&requester, client.Port, 40 + round, 0),
                         STATUS_SUCCESS);
        memset(&attributes, 0, sizeof(attributes));
        attributes.Header.AllocatedAttributes = ALPC_MESSAGE_CONTEXT_ATTRIBUTE;
        length = sizeof(request);
        UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(ServerPort, 0, NULL, NULL, &request.h,
                                                   &length, &attributes.Header, &timeout),
                         STATUS_SUCCESS);
        UT_EXPECT_EQ(length, sizeof(PORT_MESSAGE) + 40 + round);
        UT_EXPECT_EQ(request.h.u2.s2.Type, LPC_REQUEST | LPC_CONTINUATION_REQUIRED);
        UT_EXPECT_EQ(request.h.u1.s1.DataLength, 40 + round);
        UT_EXPECT_EQ(request.Data[39], 0x10 + 39);
        UT_EXPECT(request.h.ClientId.UniqueThread == UtThreadId(requester.Thread));
        UT_EXPECT_EQ(attributes.Header.ValidAttributes, ALPC_MESSAGE_CONTEXT_ATTRIBUTE);
        UT_EXPECT(attributes.Context.PortContext == CONTEXT_TAG);
        UT_EXPECT_EQ(attributes.Context.MessageId, request.h.MessageId);
        UT_EXPECT_EQ(attributes.Context.CallbackId, request.h.CallbackId);
        // The client port's sequence number: the connection was its first.
        UT_EXPECT_EQ(attributes.Context.Sequence, 2 + round);
        // The reply: the request's header, new data.
        request.h.u1.s1.DataLength = 4;
        request.h.u1.s1.TotalLength = sizeof(PORT_MESSAGE) + 4;
        request.Data[0] = 0x77;
        UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(serverPort, 0, &request.h, NULL, NULL, NULL,
                                                   NULL, NULL), STATUS_SUCCESS);
        UT_EXPECT_STATUS(UtJoinThread(requester.Thread), STATUS_SUCCESS);
        UT_EXPECT_EQ(requester.Reply.h.u2.s2.Type, LPC_REPLY);
        UT_EXPECT_EQ(requester.Reply.h.u1.s1.DataLength, 4);
        UT_EXPECT_EQ(requester.Reply.Data[0], 0x77);
        UT_EXPECT_EQ(requester.Reply.h.MessageId, request.h.MessageId);
        // Answered once only.
        UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(serverPort, 0, &request.h, NULL, NULL, NULL,
                                                   NULL, NULL), STATUS_REPLY_MESSAGE_MISMATCH);
    }
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

UTEST(RepliesMustNameAPendingRequest)
{
    UALPC_MESSAGE request, bad;
    UALPC_CLIENT client;
    REQUESTER requester;
    HANDLE serverPort;

    CreateServer(NULL);
    if (!Connect(&client, &serverPort))
        return;
    UT_EXPECT_STATUS(StartRequester(&requester, client.Port, 8, 0), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UalpcReceive(ServerPort, NULL, &request, UT_THREAD_PATIENCE_MS),
                     STATUS_SUCCESS);
    bad = request;
    bad.h.CallbackId++;
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(serverPort, 0, &bad.h, NULL, NULL, NULL, NULL,
                                               NULL), STATUS_REPLY_MESSAGE_MISMATCH);
    bad = request;
    bad.h.MessageId += 4;
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(serverPort, 0, &bad.h, NULL, NULL, NULL, NULL,
                                               NULL), STATUS_REPLY_MESSAGE_MISMATCH);
    bad.h.MessageId = 3;
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(serverPort, 0, &bad.h, NULL, NULL, NULL, NULL,
                                               NULL), STATUS_REPLY_MESSAGE_MISMATCH);
    // Through the client's own port: not where the request is pending.
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, 0, &request.h, NULL, NULL, NULL,
                                               NULL, NULL), STATUS_REPLY_MESSAGE_MISMATCH);
    // The reply may go through the connection port too.
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(ServerPort, 0, &request.h, NULL, NULL, NULL,
                                               NULL, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtJoinThread(requester.Thread), STATUS_SUCCESS);
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

UTEST(DatagramsArriveInOrderWithTheirIds)
{
    UALPC_MESSAGE message[3], received;
    SEND_CONTEXT sent[3];
    UALPC_CLIENT client;
    HANDLE serverPort;

    CreateServer(NULL);
    if (!Connect(&client, &serverPort))
        return;
    for (ULONG i = 0; i < 3; i++) {
        UalpcInitMessage(&message[i], 16, i);
        memset(&sent[i], 0, sizeof(sent[i]));
        sent[i].Header.AllocatedAttributes = ALPC_MESSAGE_CONTEXT_ATTRIBUTE;
        UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, 0, &message[i].h,
                                                   &sent[i].Header, NULL, NULL, NULL, NULL),
                         STATUS_SUCCESS);
        // The ids come back in the send attributes; the header is the caller's.
        UT_EXPECT_EQ(sent[i].Header.ValidAttributes, ALPC_MESSAGE_CONTEXT_ATTRIBUTE);
        UT_EXPECT(sent[i].Context.MessageId != 0);
        UT_EXPECT(sent[i].Context.CallbackId != 0);
        UT_EXPECT_EQ(sent[i].Context.Sequence, 2 + i);
        UT_EXPECT_EQ(message[i].h.MessageId, 0);
    }
    for (ULONG i = 0; i < 3; i++) {
        UT_EXPECT_STATUS(UalpcReceive(ServerPort, NULL, &received, UT_THREAD_PATIENCE_MS),
                         STATUS_SUCCESS);
        UT_EXPECT_EQ(received.h.u2.s2.Type, LPC_DATAGRAM);
        UT_EXPECT_EQ(received.h.MessageId, sent[i].Context.MessageId);
        UT_EXPECT_EQ(received.Data[0], i);
        // A datagram is freed once received: no reply can find it.
        UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(serverPort, 0, &received.h, NULL, NULL, NULL,
                                                   NULL, NULL), STATUS_REPLY_MESSAGE_MISMATCH);
    }
    // The server sends to the client, which receives on its own port.
    UalpcInitMessage(&message[0], 8, 0x33);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(serverPort, 0, &message[0].h, NULL, NULL, NULL,
                                               NULL, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UalpcReceive(client.Port, NULL, &received, UT_THREAD_PATIENCE_MS),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(received.Data[0], 0x33);
    UT_EXPECT_STATUS(UalpcReceive(client.Port, NULL, &received, 10), STATUS_TIMEOUT);
    // The connection port sends nothing itself.
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(ServerPort, 0, &message[0].h, NULL, NULL, NULL,
                                               NULL, NULL), STATUS_LPC_INVALID_CONNECTION_USAGE);
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

UTEST(TooSmallABufferLeavesTheMessageOnTheLargeQueue)
{
    UALPC_MESSAGE message, received;
    UALPC_CLIENT client;
    HANDLE serverPort;
    SIZE_T length;
    LARGE_INTEGER timeout = UtMilliseconds(UT_THREAD_PATIENCE_MS);

    CreateServer(NULL);
    if (!Connect(&client, &serverPort))
        return;
    UalpcInitMessage(&message, 100, 1);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, 0, &message.h, NULL, NULL, NULL,
                                               NULL, NULL), STATUS_SUCCESS);
    UalpcInitMessage(&message, 4, 2);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, 0, &message.h, NULL, NULL, NULL,
                                               NULL, NULL), STATUS_SUCCESS);
    length = sizeof(PORT_MESSAGE) + 50;
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(ServerPort, 0, NULL, NULL, &received.h, &length,
                                               NULL, &timeout), STATUS_BUFFER_TOO_SMALL);
    UT_EXPECT_EQ(length, sizeof(PORT_MESSAGE) + 100);
    // Less than a header: refused before anything.
    length = 8;
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(ServerPort, 0, NULL, NULL, &received.h, &length,
                                               NULL, &timeout), STATUS_BUFFER_TOO_SMALL);
    // The large one first, then the small one.
    length = sizeof(received);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(ServerPort, 0, NULL, NULL, &received.h, &length,
                                               NULL, &timeout), STATUS_SUCCESS);
    UT_EXPECT_EQ(received.h.u1.s1.DataLength, 100);
    UT_EXPECT_STATUS(UalpcReceive(ServerPort, NULL, &received, UT_THREAD_PATIENCE_MS),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(received.h.u1.s1.DataLength, 4);
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

UTEST(QueueMemoryIsBoundedByMaxPoolUsage)
{
    ALPC_PORT_ATTRIBUTES attributes;
    UALPC_MESSAGE message, received;
    UALPC_CLIENT client;
    HANDLE serverPort;
    NTSTATUS status;
    ULONG sent = 0;

    memset(&attributes, 0, sizeof(attributes));
    attributes.MaxMessageLength = 0x200;
    attributes.MaxPoolUsage = 0x1000;
    CreateServer(&attributes);
    if (!Connect(&client, &serverPort))
        return;
    UalpcInitMessage(&message, 0x100, 0);
    do {
        status = NtAlpcSendWaitReceivePort(client.Port, 0, &message.h, NULL, NULL, NULL, NULL,
                                           NULL);
        if (status == STATUS_SUCCESS)
            sent++;
    } while (status == STATUS_SUCCESS && sent < 100);
    UT_EXPECT_STATUS(status, STATUS_QUOTA_EXCEEDED);
    UT_EXPECT(sent >= 4 && sent < 16);
    // One received makes room for one more.
    UT_EXPECT_STATUS(UalpcReceive(ServerPort, NULL, &received, UT_THREAD_PATIENCE_MS),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, 0, &message.h, NULL, NULL, NULL,
                                               NULL, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, 0, &message.h, NULL, NULL, NULL,
                                               NULL, NULL), STATUS_QUOTA_EXCEEDED);
    // Longer than the port takes.
    UalpcInitMessage(&message, 0x200, 0);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, 0, &message.h, NULL, NULL, NULL,
                                               NULL, NULL), STATUS_PORT_MESSAGE_TOO_LONG);
    // The queued messages go with the ports (the runner counts the pool).
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

UTEST(SendChecksLengthsFlagsPointersAndHandles)
{
    UALPC_MESSAGE message;
    UALPC_CLIENT client;
    HANDLE serverPort, event;
    SIZE_T length = sizeof(message);

    CreateServer(NULL);
    if (!Connect(&client, &serverPort))
        return;
    UalpcInitMessage(&message, 8, 0);
    message.h.u1.s1.TotalLength++;
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, 0, &message.h, NULL, NULL, NULL,
                                               NULL, NULL), STATUS_INVALID_PARAMETER);
    UalpcInitMessage(&message, 8, 0);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, 0x40000000, &message.h, NULL, NULL,
                                               NULL, NULL, NULL), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, 0, NULL, NULL, NULL, NULL, NULL,
                                               NULL), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, ALPC_MSGFLG_SYNC_REQUEST, &message.h,
                                               NULL, NULL, NULL, NULL, NULL),
                     STATUS_LPC_RECEIVE_BUFFER_EXPECTED);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, 0, UT_BAD_POINTER, NULL, NULL, NULL,
                                               NULL, NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, 0, UT_KERNEL_POINTER, NULL, NULL,
                                               NULL, NULL, NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, ALPC_MSGFLG_SYNC_REQUEST, &message.h,
                                               NULL, &message.h, UT_BAD_POINTER, NULL, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, ALPC_MSGFLG_SYNC_REQUEST, &message.h,
                                               NULL, &message.h, &length, NULL,
                                               UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(NULL, 0, &message.h, NULL, NULL, NULL, NULL,
                                               NULL), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(event, 0, &message.h, NULL, NULL, NULL, NULL,
                                               NULL), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtAlpcDisconnectPort(event, 0), STATUS_OBJECT_TYPE_MISMATCH);
    NtClose(event);
    // A bad receive buffer: the message stays for the next receive.
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, 0, &message.h, NULL, NULL, NULL,
                                               NULL, NULL), STATUS_SUCCESS);
    length = sizeof(message);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(ServerPort, 0, NULL, NULL, UT_BAD_POINTER,
                                               &length, NULL, NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(UalpcReceive(ServerPort, NULL, &message, UT_THREAD_PATIENCE_MS),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(message.h.u2.s2.Type, LPC_DATAGRAM);
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

UTEST(ReceivesAndRequestsTimeOut)
{
    UALPC_MESSAGE message;
    UALPC_CLIENT client;
    REQUESTER requester;
    HANDLE serverPort;
    LARGE_INTEGER zero = {.QuadPart = 0};
    SIZE_T length = sizeof(message);

    CreateServer(NULL);
    if (!Connect(&client, &serverPort))
        return;
    UT_EXPECT_STATUS(UalpcReceive(ServerPort, NULL, &message, 20), STATUS_TIMEOUT);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(ServerPort, 0, NULL, NULL, &message.h, &length,
                                               NULL, &zero), STATUS_TIMEOUT);
    // A request nobody receives: it times out and leaves the queue.
    UT_EXPECT_STATUS(StartRequester(&requester, client.Port, 8, 30), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtJoinThread(requester.Thread), STATUS_TIMEOUT);
    UT_EXPECT_STATUS(UalpcReceive(ServerPort, NULL, &message, 20), STATUS_TIMEOUT);
    // Received, then timed out: the late reply has nobody to go to.
    UT_EXPECT_STATUS(StartRequester(&requester, client.Port, 8, 200), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UalpcReceive(ServerPort, NULL, &message, UT_THREAD_PATIENCE_MS),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtJoinThread(requester.Thread), STATUS_TIMEOUT);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(serverPort, 0, &message.h, NULL, NULL, NULL, NULL,
                                               NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(serverPort, 0, &message.h, NULL, NULL, NULL, NULL,
                                               NULL), STATUS_REPLY_MESSAGE_MISMATCH);
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

UTEST(CancelTakesAMessageBack)
{
    ALPC_CONTEXT_ATTR context;
    UALPC_MESSAGE message;
    UALPC_CLIENT client;
    REQUESTER requester;
    SEND_CONTEXT sent;
    HANDLE serverPort;

    CreateServer(NULL);
    if (!Connect(&client, &serverPort))
        return;
    // A datagram not yet received.
    UalpcInitMessage(&message, 8, 0);
    memset(&sent, 0, sizeof(sent));
    sent.Header.AllocatedAttributes = ALPC_MESSAGE_CONTEXT_ATTRIBUTE;
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, 0, &message.h, &sent.Header, NULL,
                                               NULL, NULL, NULL), STATUS_SUCCESS);
    context = sent.Context;
    context.CallbackId++;
    UT_EXPECT_STATUS(NtAlpcCancelMessage(client.Port, 0, &context), STATUS_MESSAGE_LOST);
    context.CallbackId = sent.Context.CallbackId;
    UT_EXPECT_STATUS(NtAlpcCancelMessage(serverPort, 0, &context), STATUS_MESSAGE_LOST);
    UT_EXPECT_STATUS(NtAlpcCancelMessage(client.Port, 2, &context), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtAlpcCancelMessage(client.Port, 0, NULL), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtAlpcCancelMessage(client.Port, 0, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAlpcCancelMessage(client.Port, 0, &context), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcCancelMessage(client.Port, 0, &context), STATUS_MESSAGE_LOST);
    UT_EXPECT_STATUS(UalpcReceive(ServerPort, NULL, &message, 20), STATUS_TIMEOUT);
    // A request the server holds: TRY_CANCEL leaves it, a cancel wakes its
    // sender, and the server's late reply is dropped.
    UT_EXPECT_STATUS(StartRequester(&requester, client.Port, 8, 0), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UalpcReceive(ServerPort, NULL, &message, UT_THREAD_PATIENCE_MS),
                     STATUS_SUCCESS);
    context.MessageId = message.h.MessageId;
    context.CallbackId = message.h.CallbackId;
    UT_EXPECT_STATUS(NtAlpcCancelMessage(client.Port, ALPC_CANCELFLG_TRY_CANCEL, &context),
                     STATUS_INVALID_MESSAGE);
    UT_EXPECT_STATUS(NtAlpcCancelMessage(client.Port, 0, &context), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtJoinThread(requester.Thread), STATUS_REQUEST_CANCELED);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(serverPort, 0, &message.h, NULL, NULL, NULL, NULL,
                                               NULL), STATUS_SUCCESS);
    // A release instead of a reply: the sender is told so.
    UT_EXPECT_STATUS(StartRequester(&requester, client.Port, 8, 0), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UalpcReceive(ServerPort, NULL, &message, UT_THREAD_PATIENCE_MS),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(serverPort, ALPC_MSGFLG_RELEASE_MESSAGE,
                                               &message.h, NULL, NULL, NULL, NULL, NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtJoinThread(requester.Thread), STATUS_REQUEST_CANCELED);
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

UTEST(QueryAndSetInformation)
{
    ALPC_BASIC_INFORMATION basic;
    ALPC_PORT_ATTRIBUTES attributes;
    UALPC_MESSAGE message;
    UALPC_CLIENT client;
    HANDLE serverPort;
    ULONG returned = 0;

    CreateServer(NULL);
    if (!Connect(&client, &serverPort))
        return;
    UT_EXPECT_STATUS(NtAlpcQueryInformation(serverPort, AlpcBasicInformation, &basic,
                                            sizeof(basic), &returned), STATUS_SUCCESS);
    UT_EXPECT_EQ(returned, sizeof(basic));
    UT_EXPECT(basic.PortContext == CONTEXT_TAG);
    UalpcInitMessage(&message, 8, 0);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, 0, &message.h, NULL, NULL, NULL,
                                               NULL, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcQueryInformation(client.Port, AlpcBasicInformation, &basic,
                                            sizeof(basic), NULL), STATUS_SUCCESS);
    UT_EXPECT_EQ(basic.SequenceNo, 2);
    UT_EXPECT_STATUS(NtAlpcQueryInformation(client.Port, AlpcPortInformation, &attributes,
                                            sizeof(attributes), NULL), STATUS_SUCCESS);
    UT_EXPECT_EQ(attributes.MaxMessageLength, PORT_MAXIMUM_MESSAGE_LENGTH);
    UT_EXPECT_STATUS(NtAlpcQueryInformation(client.Port, AlpcBasicInformation, &basic,
                                            sizeof(basic) - 1, NULL),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtAlpcQueryInformation(client.Port, AlpcServerInformation, &basic,
                                            sizeof(basic), NULL), STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtAlpcQueryInformation(client.Port, AlpcBasicInformation, UT_BAD_POINTER,
                                            sizeof(basic), NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAlpcQueryInformation(client.Port, AlpcBasicInformation, &basic,
                                            sizeof(basic), UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    // A lower limit holds for what is sent next.
    attributes.MaxMessageLength = sizeof(PORT_MESSAGE) + 4;
    UT_EXPECT_STATUS(NtAlpcSetInformation(client.Port, AlpcPortInformation, &attributes,
                                          sizeof(attributes)), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, 0, &message.h, NULL, NULL, NULL,
                                               NULL, NULL), STATUS_PORT_MESSAGE_TOO_LONG);
    UT_EXPECT_STATUS(NtAlpcSetInformation(client.Port, AlpcPortInformation, &attributes,
                                          sizeof(attributes) - 1), STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtAlpcSetInformation(client.Port, AlpcBasicInformation, &attributes,
                                          sizeof(attributes)), STATUS_INVALID_INFO_CLASS);
    attributes.MaxMessageLength = 0x10000;
    UT_EXPECT_STATUS(NtAlpcSetInformation(client.Port, AlpcPortInformation, &attributes,
                                          sizeof(attributes)), STATUS_INVALID_PARAMETER);
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

UTEST(DisconnectWakesTheWaitingClient)
{
    UALPC_MESSAGE message;
    UALPC_CLIENT client;
    REQUESTER requester;
    HANDLE serverPort;

    CreateServer(NULL);
    if (!Connect(&client, &serverPort))
        return;
    UT_EXPECT_STATUS(StartRequester(&requester, client.Port, 8, 0), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UalpcReceive(ServerPort, NULL, &message, UT_THREAD_PATIENCE_MS),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcDisconnectPort(serverPort, 1), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtAlpcDisconnectPort(serverPort, 0), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtJoinThread(requester.Thread), STATUS_PORT_DISCONNECTED);
    UT_EXPECT_STATUS(NtAlpcDisconnectPort(serverPort, 0), STATUS_PORT_DISCONNECTED);
    UT_EXPECT_STATUS(NtAlpcDisconnectPort(client.Port, 0), STATUS_PORT_DISCONNECTED);
    // The late reply has nobody to go to; later sends either way are
    // refused, and so are receives.
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(serverPort, 0, &message.h, NULL, NULL, NULL, NULL,
                                               NULL), STATUS_SUCCESS);
    UalpcInitMessage(&message, 8, 0);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(client.Port, 0, &message.h, NULL, NULL, NULL,
                                               NULL, NULL), STATUS_PORT_DISCONNECTED);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(serverPort, 0, &message.h, NULL, NULL, NULL, NULL,
                                               NULL), STATUS_PORT_DISCONNECTED);
    UT_EXPECT_STATUS(UalpcReceive(client.Port, NULL, &message, 1000), STATUS_PORT_DISCONNECTED);
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

UTEST(ClosingTheClientPortTellsTheServer)
{
    UALPC_MESSAGE message;
    UALPC_CLIENT client;
    HANDLE serverPort;
    struct {
        ALPC_MESSAGE_ATTRIBUTES Header;
        ALPC_CONTEXT_ATTR Context;
    } attributes;
    SIZE_T length = sizeof(message);
    LARGE_INTEGER timeout = UtMilliseconds(UT_THREAD_PATIENCE_MS);

    CreateServer(NULL);
    if (!Connect(&client, &serverPort))
        return;
    UT_EXPECT_STATUS(NtClose(client.Port), STATUS_SUCCESS);
    memset(&attributes, 0, sizeof(attributes));
    attributes.Header.AllocatedAttributes = ALPC_MESSAGE_CONTEXT_ATTRIBUTE;
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(ServerPort, 0, NULL, NULL, &message.h, &length,
                                               &attributes.Header, &timeout), STATUS_SUCCESS);
    UT_EXPECT_EQ(message.h.u2.s2.Type, LPC_PORT_CLOSED);
    UT_EXPECT(attributes.Context.PortContext == CONTEXT_TAG);
    UalpcInitMessage(&message, 8, 0);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(serverPort, 0, &message.h, NULL, NULL, NULL, NULL,
                                               NULL), STATUS_PORT_DISCONNECTED);
    NtClose(serverPort);
    NtClose(ServerPort);
}

static NTSTATUS NTAPI ReceiverThread(PVOID argument)
{
    UALPC_MESSAGE message;

    return UalpcReceive((HANDLE)argument, NULL, &message, 10 * UT_THREAD_PATIENCE_MS);
}

UTEST(ClosingTheConnectionPortWakesEveryone)
{
    UALPC_MESSAGE message;
    UALPC_CLIENT client, late;
    REQUESTER requester;
    HANDLE serverPort, receiver;

    CreateServer(NULL);
    if (!Connect(&client, &serverPort))
        return;
    // A request the server holds, one still queued, and a client still
    // connecting.
    UT_EXPECT_STATUS(StartRequester(&requester, client.Port, 8, 0), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UalpcReceive(ServerPort, NULL, &message, UT_THREAD_PATIENCE_MS),
                     STATUS_SUCCESS);
    memset(&late, 0, sizeof(late));
    late.Name = SERVER_NAME;
    UT_EXPECT_STATUS(UalpcStartClient(&late), STATUS_SUCCESS);
    UT_EXPECT(UtWaitUntilWaiting(late.Thread));
    UT_EXPECT(UtWaitUntilWaiting(requester.Thread));
    UT_EXPECT_STATUS(NtClose(ServerPort), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtJoinThread(requester.Thread), STATUS_PORT_DISCONNECTED);
    UT_EXPECT_STATUS(UalpcJoinClient(&late), STATUS_PORT_DISCONNECTED);
    UT_EXPECT(late.Port == NULL);
    // A receiver waiting on a connection port that is disconnected wakes.
    CreateServer(NULL);
    UT_EXPECT_STATUS(UtStartThread(&receiver, ReceiverThread, ServerPort), STATUS_SUCCESS);
    UT_EXPECT(UtWaitUntilWaiting(receiver));
    UT_EXPECT_STATUS(NtAlpcDisconnectPort(ServerPort, 0), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtJoinThread(receiver), STATUS_PORT_DISCONNECTED);
    UT_EXPECT_STATUS(UalpcReceive(ServerPort, NULL, &message, 10), STATUS_PORT_DISCONNECTED);
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

UTEST(ConnectTimesOutAndTheServerFindsNothing)
{
    UALPC_MESSAGE request;
    UALPC_CLIENT client;
    HANDLE serverPort = NULL;
    LARGE_INTEGER timeout = UtMilliseconds(30);

    CreateServer(NULL);
    memset(&client, 0, sizeof(client));
    client.Name = SERVER_NAME;
    client.Timeout = &timeout;
    UT_EXPECT_STATUS(UalpcConnect(&client), STATUS_TIMEOUT);
    UT_EXPECT(client.Port == NULL);
    UT_EXPECT_STATUS(UalpcReceive(ServerPort, NULL, &request, 20), STATUS_TIMEOUT);
    // Received, then given up: the accept finds the client gone.
    timeout = UtMilliseconds(300);
    UT_EXPECT_STATUS(UalpcStartClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UalpcReceive(ServerPort, NULL, &request, UT_THREAD_PATIENCE_MS),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(UalpcJoinClient(&client), STATUS_TIMEOUT);
    UT_EXPECT_STATUS(NtAlpcAcceptConnectPort(&serverPort, ServerPort, 0, NULL, NULL, NULL,
                                             &request.h, NULL, TRUE), STATUS_PORT_DISCONNECTED);
    UT_EXPECT(serverPort == NULL);
    NtClose(ServerPort);
}

static const UTEST Tests[] = {
    UT_ENTRY(CreatePortChecksItsAttributes),
    UT_ENTRY(ConnectFindsOnlyConnectionPorts),
    UT_ENTRY(HandshakeCarriesConnectionDataBothWays),
    UT_ENTRY(RefusedConnectionGivesNoHandle),
    UT_ENTRY(SynchronousRequestGetsItsReplyWithIdsAndContext),
    UT_ENTRY(RepliesMustNameAPendingRequest),
    UT_ENTRY(DatagramsArriveInOrderWithTheirIds),
    UT_ENTRY(TooSmallABufferLeavesTheMessageOnTheLargeQueue),
    UT_ENTRY(QueueMemoryIsBoundedByMaxPoolUsage),
    UT_ENTRY(SendChecksLengthsFlagsPointersAndHandles),
    UT_ENTRY(ReceivesAndRequestsTimeOut),
    UT_ENTRY(CancelTakesAMessageBack),
    UT_ENTRY(QueryAndSetInformation),
    UT_ENTRY(DisconnectWakesTheWaitingClient),
    UT_ENTRY(ClosingTheClientPortTellsTheServer),
    UT_ENTRY(ClosingTheConnectionPortWakesEveryone),
    UT_ENTRY(ConnectTimesOutAndTheServerFindsNothing),
};

int main(void)
{
    return UT_RUN_ALL("talpc", Tests);
}
