// User-mode tests of the LPC calls, server and clients in one process (the
// clients connect from threads of their own): creating ports, the
// three-port handshake with connection information both ways and views,
// refusals, requests and replies with the ids and context the kernel
// stamps, datagrams, callbacks, request data, waitable ports, timeouts,
// every length, pointer and handle check, and the rundown messages.

#include "tests/user/ulpc.h"

#define SERVER_NAME u"\\RPC Control\\TlpcServer"
#define CONTEXT_TAG ((PVOID)0x5ee1c0de)

static HANDLE ServerPort;       // the connection port of the current test

static void CreateServer(void)
{
    UT_EXPECT_STATUS(UlpcCreatePort(&ServerPort, SERVER_NAME, FALSE), STATUS_SUCCESS);
}

// A connected client (its Work running on its thread) and the server
// communication port; the server side is the calling thread.
static BOOLEAN Connect(ULPC_CLIENT *client, NTSTATUS (*work)(ULPC_CLIENT *), PHANDLE serverPort)
{
    ULPC_MESSAGE request;

    memset(client, 0, sizeof(*client));
    client->Name = SERVER_NAME;
    client->Work = work;
    if (UlpcStartClient(client) != STATUS_SUCCESS)
        return FALSE;
    if (UlpcAccept(ServerPort, CONTEXT_TAG, TRUE, serverPort, &request) != STATUS_SUCCESS) {
        UtFail(__FILE__, __LINE__, "the handshake failed");
        return FALSE;
    }
    return TRUE;
}

UTEST(CreatePortChecksLengthsInNtOrder)
{
    OBJECT_ATTRIBUTES attributes;
    HANDLE port;

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtCreatePort(&port, &attributes, ULPC_MAX_CONNECTION_INFO_LENGTH,
                                  ULPC_MAX_MESSAGE_LENGTH, 0), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(port), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreatePort(&port, &attributes, 0, ULPC_MAX_MESSAGE_LENGTH + 1, 0),
                     STATUS_INVALID_PARAMETER_4);
    UT_EXPECT_STATUS(NtCreatePort(&port, &attributes, ULPC_MAX_CONNECTION_INFO_LENGTH + 1, 0x100,
                                  0), STATUS_INVALID_PARAMETER_3);
    // Both wrong: the message length is checked first, as on NT.
    UT_EXPECT_STATUS(NtCreatePort(&port, &attributes, 0x100000, 0x100000, 0),
                     STATUS_INVALID_PARAMETER_4);
    UT_EXPECT_STATUS(NtCreateWaitablePort(&port, &attributes, 0, 0x1000, 0),
                     STATUS_INVALID_PARAMETER_4);
}

UTEST(CreatePortRefusesBadPointersAndNameCollisions)
{
    OBJECT_ATTRIBUTES attributes;
    HANDLE port, second;

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtCreatePort(UT_BAD_POINTER, &attributes, 0, 0x100, 0),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreatePort(UT_KERNEL_POINTER, &attributes, 0, 0x100, 0),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreatePort(&port, UT_BAD_POINTER, 0, 0x100, 0), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreatePort(&port, UT_KERNEL_POINTER, 0, 0x100, 0),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(UlpcCreatePort(&port, SERVER_NAME, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcCreatePort(&second, SERVER_NAME, FALSE), STATUS_OBJECT_NAME_COLLISION);
    UT_EXPECT_STATUS(UlpcCreatePort(&second, SERVER_NAME, TRUE), STATUS_OBJECT_NAME_COLLISION);
    UT_EXPECT_STATUS(NtClose(port), STATUS_SUCCESS);
    // The name went with the last handle.
    UT_EXPECT_STATUS(UlpcCreatePort(&port, SERVER_NAME, TRUE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(port), STATUS_SUCCESS);
}

UTEST(ConnectFindsOnlyConnectionPorts)
{
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), SecurityImpersonation, 0, FALSE};
    UNICODE_STRING missing = UT_NAME(u"\\RPC Control\\TlpcNobody");
    UNICODE_STRING eventName = UT_NAME(u"\\BaseNamedObjects\\TlpcEvent");
    OBJECT_ATTRIBUTES attributes;
    HANDLE port = NULL, event;

    UT_EXPECT_STATUS(NtConnectPort(&port, &missing, &qos, NULL, NULL, NULL, NULL, NULL),
                     STATUS_OBJECT_NAME_NOT_FOUND);
    InitializeObjectAttributes(&attributes, &eventName, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, &attributes, NotificationEvent,
                                   FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtConnectPort(&port, &eventName, &qos, NULL, NULL, NULL, NULL, NULL),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT(port == NULL);
    NtClose(event);
}

UTEST(ConnectRefusesBadPointers)
{
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), SecurityImpersonation, 0, FALSE};
    UNICODE_STRING name = UT_NAME(SERVER_NAME);
    PORT_VIEW view = {0};
    REMOTE_PORT_VIEW remote = {0};
    ULONG length = 4;
    HANDLE port;

    CreateServer();
    UT_EXPECT_STATUS(NtConnectPort(UT_BAD_POINTER, &name, &qos, NULL, NULL, NULL, NULL, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtConnectPort(UT_KERNEL_POINTER, &name, &qos, NULL, NULL, NULL, NULL, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtConnectPort(&port, UT_BAD_POINTER, &qos, NULL, NULL, NULL, NULL, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtConnectPort(&port, UT_KERNEL_POINTER, &qos, NULL, NULL, NULL, NULL, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtConnectPort(&port, &name, UT_BAD_POINTER, NULL, NULL, NULL, NULL, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtConnectPort(&port, &name, &qos, UT_BAD_POINTER, NULL, NULL, NULL, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtConnectPort(&port, &name, &qos, NULL, UT_KERNEL_POINTER, NULL, NULL, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtConnectPort(&port, &name, &qos, NULL, NULL, UT_BAD_POINTER, NULL, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtConnectPort(&port, &name, &qos, NULL, NULL, NULL, UT_BAD_POINTER,
                                   &length), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtConnectPort(&port, &name, &qos, NULL, NULL, NULL, &qos,
                                   UT_KERNEL_POINTER), STATUS_ACCESS_VIOLATION);
    // Views whose Length is not their size.
    UT_EXPECT_STATUS(NtConnectPort(&port, &name, &qos, &view, NULL, NULL, NULL, NULL),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtConnectPort(&port, &name, &qos, NULL, &remote, NULL, NULL, NULL),
                     STATUS_INVALID_PARAMETER);
    NtClose(ServerPort);
}

UTEST(HandshakeCarriesConnectionInformationBothWays)
{
    ULPC_CLIENT client;
    ULPC_MESSAGE request;
    HANDLE serverPort = NULL;

    CreateServer();
    memset(&client, 0, sizeof(client));
    client.Name = SERVER_NAME;
    memcpy(client.Info, "hello", 6);
    client.InfoLength = 16;     // sent, and room for the answer
    UT_EXPECT_STATUS(UlpcStartClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtListenPort(ServerPort, &request.h), STATUS_SUCCESS);
    UT_EXPECT_EQ(request.h.u2.s2.Type, LPC_CONNECTION_REQUEST);
    UT_EXPECT_EQ(request.h.u1.s1.DataLength, 16);
    UT_EXPECT_EQ(request.h.u1.s1.TotalLength, sizeof(PORT_MESSAGE) + 16);
    UT_EXPECT(request.h.MessageId != 0);
    UT_EXPECT(request.h.ClientId.UniqueThread == UtThreadId(client.Thread));
    UT_EXPECT(request.h.ClientId.UniqueProcess == NtCurrentTeb()->ClientId.UniqueProcess);
    UT_EXPECT(memcmp(request.Data, "hello", 6) == 0);
    // The server answers with its own information.
    memcpy(request.Data, "welcome!", 9);
    request.h.u1.s1.DataLength = 9;
    request.h.u1.s1.TotalLength = sizeof(PORT_MESSAGE) + 9;
    UT_EXPECT_STATUS(NtAcceptConnectPort(&serverPort, CONTEXT_TAG, &request.h, TRUE, NULL, NULL),
                     STATUS_SUCCESS);
    // A second accept of the same request finds nobody waiting for it.
    UT_EXPECT_STATUS(NtAcceptConnectPort(&serverPort, CONTEXT_TAG, &request.h, TRUE, NULL, NULL),
                     STATUS_REPLY_MESSAGE_MISMATCH);
    UT_EXPECT_STATUS(NtCompleteConnectPort(serverPort), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCompleteConnectPort(serverPort), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtCompleteConnectPort(ServerPort), STATUS_INVALID_PORT_HANDLE);
    UT_EXPECT_STATUS(UlpcJoinClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(client.ConnectStatus, STATUS_SUCCESS);
    UT_EXPECT(client.Port != NULL);
    UT_EXPECT_EQ(client.MaxMessageLength, ULPC_MAX_MESSAGE_LENGTH);
    UT_EXPECT_EQ(client.InfoLength, 9);
    UT_EXPECT(memcmp(client.Info, "welcome!", 9) == 0);
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

UTEST(RefusedConnectionLeavesBothHandlesAlone)
{
    ULPC_CLIENT client;
    ULPC_MESSAGE request;
    HANDLE serverPort = (HANDLE)0x1234;

    CreateServer();
    memset(&client, 0, sizeof(client));
    client.Name = SERVER_NAME;
    UT_EXPECT_STATUS(UlpcStartClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcAccept(ServerPort, NULL, FALSE, &serverPort, &request), STATUS_SUCCESS);
    UT_EXPECT(serverPort == (HANDLE)0x1234);
    UT_EXPECT_STATUS(UlpcJoinClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(client.ConnectStatus, STATUS_PORT_CONNECTION_REFUSED);
    UT_EXPECT(client.Port == NULL);
    NtClose(ServerPort);
}

static NTSTATUS TwoRequests(ULPC_CLIENT *client)
{
    ULPC_MESSAGE request, reply;

    for (ULONG i = 0; i < 2; i++) {
        NTSTATUS status;

        UlpcInitMessage(&request, 16, 100 * i);
        status = NtRequestWaitReplyPort(client->Port, &request.h, &reply.h);
        if (status != STATUS_SUCCESS)
            return status;
        // The request itself is not changed; the reply is the server's.
        if (request.h.MessageId != 0 || reply.h.u2.s2.Type != LPC_REPLY ||
            reply.Data[0] != 100 * i + 1)
            return STATUS_UNSUCCESSFUL;
        client->Scratch[i] = reply.h.MessageId;
    }
    return STATUS_SUCCESS;
}

UTEST(RequestsCarryIdsClientIdAndContext)
{
    ULPC_CLIENT client;
    ULPC_MESSAGE message;
    HANDLE serverPort;
    PVOID context = NULL;
    ULONG firstId;

    CreateServer();
    if (!Connect(&client, TwoRequests, &serverPort))
        return;
    UT_EXPECT_STATUS(UlpcReceive(ServerPort, &context, NULL, &message, 5000), STATUS_SUCCESS);
    UT_EXPECT_EQ(message.h.u2.s2.Type, LPC_REQUEST);
    UT_EXPECT(context == CONTEXT_TAG);
    UT_EXPECT(message.h.MessageId != 0);
    UT_EXPECT_EQ(message.h.CallbackId, 0);
    UT_EXPECT(message.h.ClientId.UniqueThread == UtThreadId(client.Thread));
    UT_EXPECT_EQ(message.h.u1.s1.DataLength, 16);
    UT_EXPECT_EQ(message.Data[3], 3);
    firstId = message.h.MessageId;
    // Replied through the communication port...
    message.Data[0] += 1;
    UT_EXPECT_STATUS(UlpcReceive(serverPort, &context, &message, &message, 5000), STATUS_SUCCESS);
    UT_EXPECT(message.h.MessageId != firstId);
    // ...and the second through the connection port.
    message.Data[0] += 1;
    UT_EXPECT_STATUS(NtReplyPort(ServerPort, &message.h), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcJoinClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(client.WorkStatus, STATUS_SUCCESS);
    UT_EXPECT_EQ(client.Scratch[0], firstId);
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

static NTSTATUS OneRequest(ULPC_CLIENT *client)
{
    ULPC_MESSAGE request, reply;

    UlpcInitMessage(&request, 8, 7);
    return NtRequestWaitReplyPort(client->Port, &request.h, &reply.h);
}

UTEST(RepliesMustMatchAWaitingRequest)
{
    ULPC_CLIENT client;
    ULPC_MESSAGE message, wrong;
    HANDLE serverPort;
    PVOID context;

    CreateServer();
    if (!Connect(&client, OneRequest, &serverPort))
        return;
    UT_EXPECT_STATUS(UlpcReceive(ServerPort, &context, NULL, &message, 5000), STATUS_SUCCESS);
    wrong = message;
    wrong.h.MessageId = 0;
    UT_EXPECT_STATUS(NtReplyPort(serverPort, &wrong.h), STATUS_INVALID_PARAMETER);
    wrong.h.MessageId = message.h.MessageId + 1000;
    UT_EXPECT_STATUS(NtReplyPort(serverPort, &wrong.h), STATUS_REPLY_MESSAGE_MISMATCH);
    wrong = message;
    wrong.h.ClientId.UniqueThread = (HANDLE)0x7ffc;
    UT_EXPECT_STATUS(NtReplyPort(serverPort, &wrong.h), STATUS_INVALID_CID);
    wrong = message;
    wrong.h.u1.s1.TotalLength = ULPC_MAX_MESSAGE_LENGTH + 8;
    UT_EXPECT_STATUS(NtReplyPort(serverPort, &wrong.h), STATUS_PORT_MESSAGE_TOO_LONG);
    UT_EXPECT_STATUS(NtReplyPort(serverPort, UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtReplyPort(serverPort, UT_KERNEL_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtReplyPort(serverPort, &message.h), STATUS_SUCCESS);
    // Answered: the client no longer waits for that id.
    UT_EXPECT_STATUS(NtReplyPort(serverPort, &message.h), STATUS_REPLY_MESSAGE_MISMATCH);
    UT_EXPECT_STATUS(UlpcJoinClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(client.WorkStatus, STATUS_SUCCESS);
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

UTEST(DatagramsArriveInOrderWithConsecutiveIds)
{
    ULPC_MESSAGE message, received;
    HANDLE port;
    PVOID context = (PVOID)1;

    UT_EXPECT_STATUS(UlpcCreatePort(&port, NULL, FALSE), STATUS_SUCCESS);
    UlpcInitMessage(&message, 12, 40);
    UT_EXPECT_STATUS(NtRequestPort(port, &message.h), STATUS_SUCCESS);
    UlpcInitMessage(&message, 12, 50);
    UT_EXPECT_STATUS(NtRequestPort(port, &message.h), STATUS_SUCCESS);
    // The caller's message is left as it was.
    UT_EXPECT_EQ(message.h.u2.s2.Type, 0);
    UT_EXPECT_EQ(message.h.MessageId, 0);
    UT_EXPECT_STATUS(UlpcReceive(port, &context, NULL, &received, 5000), STATUS_SUCCESS);
    UT_EXPECT_EQ(received.h.u2.s2.Type, LPC_DATAGRAM);
    UT_EXPECT_EQ(received.Data[0], 40);
    UT_EXPECT(context == NULL);
    ULONG first = received.h.MessageId;
    UT_EXPECT_STATUS(UlpcReceive(port, &context, NULL, &received, 5000), STATUS_SUCCESS);
    UT_EXPECT_EQ(received.Data[0], 50);
    UT_EXPECT_EQ(received.h.MessageId, first + 1);
    UT_EXPECT_STATUS(UlpcReceive(port, &context, NULL, &received, 20), STATUS_TIMEOUT);
    NtClose(port);
}

UTEST(MessageLengthsAndTypesAreChecked)
{
    ULPC_MESSAGE message, reply;
    HANDLE port;

    UT_EXPECT_STATUS(UlpcCreatePort(&port, NULL, FALSE), STATUS_SUCCESS);
    UlpcInitMessage(&message, 16, 0);
    message.h.u1.s1.TotalLength = sizeof(PORT_MESSAGE) + 8;     // data does not fit
    UT_EXPECT_STATUS(NtRequestPort(port, &message.h), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtRequestWaitReplyPort(port, &message.h, &reply.h),
                     STATUS_INVALID_PARAMETER);
    UlpcInitMessage(&message, 16, 0);
    message.h.u1.s1.TotalLength = ULPC_MAX_MESSAGE_LENGTH + 1;
    UT_EXPECT_STATUS(NtRequestPort(port, &message.h), STATUS_PORT_MESSAGE_TOO_LONG);
    UT_EXPECT_STATUS(NtRequestWaitReplyPort(port, &message.h, &reply.h),
                     STATUS_PORT_MESSAGE_TOO_LONG);
    UlpcInitMessage(&message, 16, 0);
    message.h.u2.s2.Type = LPC_DATAGRAM;
    UT_EXPECT_STATUS(NtRequestPort(port, &message.h), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtRequestWaitReplyPort(port, &message.h, &reply.h),
                     STATUS_INVALID_PARAMETER);
    UlpcInitMessage(&message, 16, 0);
    message.h.u2.s2.DataInfoOffset = sizeof(PORT_MESSAGE);
    UT_EXPECT_STATUS(NtRequestPort(port, &message.h), STATUS_INVALID_PARAMETER);
    // A data-info block that does not fit in the message.
    message.h.u2.s2.DataInfoOffset = sizeof(PORT_MESSAGE) + 12;
    UT_EXPECT_STATUS(NtRequestWaitReplyPort(port, &message.h, &reply.h),
                     STATUS_INVALID_PARAMETER);
    NtClose(port);
}

UTEST(WrongHandlesAreRefused)
{
    ULPC_MESSAGE message;
    HANDLE event, port;
    PVOID context;

    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UlpcInitMessage(&message, 8, 0);
    UT_EXPECT_STATUS(NtRequestPort(event, &message.h), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtRequestWaitReplyPort(event, &message.h, &message.h),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtReplyWaitReceivePort(event, &context, NULL, &message.h),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtListenPort(event, &message.h), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtCompleteConnectPort(event), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtRegisterThreadTerminatePort(event), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(UlpcCreatePort(&port, NULL, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(port), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtRequestPort(port, &message.h), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtReplyPort(port, &message.h), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtCompleteConnectPort(port), STATUS_INVALID_HANDLE);
    // An unnamed port is not a communication port.
    UT_EXPECT_STATUS(UlpcCreatePort(&port, NULL, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCompleteConnectPort(port), STATUS_INVALID_PORT_HANDLE);
    NtClose(port);
    NtClose(event);
}

UTEST(MessagePointersAreProbed)
{
    ULPC_MESSAGE message;
    HANDLE port, serverPort;
    PVOID context;
    LARGE_INTEGER timeout = UtMilliseconds(10);

    UT_EXPECT_STATUS(UlpcCreatePort(&port, NULL, FALSE), STATUS_SUCCESS);
    UlpcInitMessage(&message, 8, 0);
    UT_EXPECT_STATUS(NtRequestPort(port, UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtRequestPort(port, UT_KERNEL_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtRequestWaitReplyPort(port, UT_BAD_POINTER, &message.h),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtRequestWaitReplyPort(port, &message.h, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtRequestWaitReplyPort(port, &message.h, UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtReplyWaitReceivePort(port, &context, NULL, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtReplyWaitReceivePort(port, UT_KERNEL_POINTER, NULL, &message.h),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtReplyWaitReceivePort(port, &context, UT_BAD_POINTER, &message.h),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtReplyWaitReceivePortEx(port, &context, NULL, &message.h, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtReplyWaitReceivePortEx(port, &context, NULL, &message.h, &timeout),
                     STATUS_TIMEOUT);
    UT_EXPECT_STATUS(NtListenPort(port, NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtListenPort(port, (PPORT_MESSAGE)1), STATUS_DATATYPE_MISALIGNMENT);
    UT_EXPECT_STATUS(NtReplyWaitReplyPort(port, UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAcceptConnectPort(&serverPort, NULL, UT_BAD_POINTER, TRUE, NULL, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAcceptConnectPort(UT_KERNEL_POINTER, NULL, &message.h, TRUE, NULL, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAcceptConnectPort(&serverPort, NULL, &message.h, TRUE, UT_BAD_POINTER,
                                         NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAcceptConnectPort(&serverPort, NULL, &message.h, TRUE, NULL,
                                         UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    // A request nobody is waiting for (bad client id) is not accepted.
    message.h.ClientId.UniqueThread = (HANDLE)0x7ffc;
    UT_EXPECT_STATUS(NtAcceptConnectPort(&serverPort, NULL, &message.h, TRUE, NULL, NULL),
                     STATUS_INVALID_CID);
    message.h.ClientId = NtCurrentTeb()->ClientId;
    UT_EXPECT_STATUS(NtAcceptConnectPort(&serverPort, NULL, &message.h, TRUE, NULL, NULL),
                     STATUS_REPLY_MESSAGE_MISMATCH);
    NtClose(port);
}

UTEST(WaitablePortIsSignalledWhileMessagesWait)
{
    ULPC_MESSAGE message;
    LARGE_INTEGER zero = {0};
    HANDLE port, plain;
    PVOID context;

    UT_EXPECT_STATUS(UlpcCreatePort(&port, NULL, TRUE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(port, FALSE, &zero), STATUS_TIMEOUT);
    UlpcInitMessage(&message, 4, 0);
    UT_EXPECT_STATUS(NtRequestPort(port, &message.h), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(port, FALSE, &zero), STATUS_WAIT_0);
    UT_EXPECT_STATUS(UlpcReceive(port, &context, NULL, &message, 1000), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(port, FALSE, &zero), STATUS_TIMEOUT);
    NtClose(port);
    // A plain port cannot be waited on.
    UT_EXPECT_STATUS(UlpcCreatePort(&plain, NULL, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(plain, FALSE, &zero), STATUS_OBJECT_TYPE_MISMATCH);
    NtClose(plain);
}

// The client answers one callback from the server's thread, then gets the
// reply to its own request.
static NTSTATUS RequestWithCallback(ULPC_CLIENT *client)
{
    ULPC_MESSAGE request, message;
    NTSTATUS status;

    UlpcInitMessage(&request, 8, 1);
    status = NtRequestWaitReplyPort(client->Port, &request.h, &message.h);
    if (status != STATUS_SUCCESS)
        return status;
    if (message.h.u2.s2.Type != LPC_REQUEST || message.h.CallbackId == 0)
        return STATUS_UNSUCCESSFUL;
    client->Scratch[0] = message.h.CallbackId;
    client->Scratch[1] = message.Data[0];
    message.Data[0] = 77;
    status = NtReplyWaitReplyPort(client->Port, &message.h);
    if (status != STATUS_SUCCESS)
        return status;
    return message.h.u2.s2.Type == LPC_REPLY && message.Data[0] == 99 ? STATUS_SUCCESS
                                                                     : STATUS_UNSUCCESSFUL;
}

UTEST(ServerCallsBackItsWaitingClient)
{
    ULPC_CLIENT client;
    ULPC_MESSAGE request, callback, answer;
    HANDLE serverPort;
    PVOID context;

    CreateServer();
    if (!Connect(&client, RequestWithCallback, &serverPort))
        return;
    UT_EXPECT_STATUS(UlpcReceive(ServerPort, &context, NULL, &request, 5000), STATUS_SUCCESS);
    // The callback: LPC_REQUEST with the request's id and client.
    UlpcInitMessage(&callback, 8, 55);
    callback.h.u2.s2.Type = LPC_REQUEST;
    callback.h.MessageId = request.h.MessageId;
    callback.h.ClientId = request.h.ClientId;
    UT_EXPECT_STATUS(NtRequestWaitReplyPort(serverPort, &callback.h, &answer.h), STATUS_SUCCESS);
    UT_EXPECT_EQ(answer.h.u2.s2.Type, LPC_REPLY);
    UT_EXPECT_EQ(answer.Data[0], 77);
    request.Data[0] = 99;
    UT_EXPECT_STATUS(NtReplyPort(serverPort, &request.h), STATUS_SUCCESS);
    // A callback to a client that waits for nothing (any more) fails.
    UT_EXPECT_STATUS(NtRequestWaitReplyPort(serverPort, &callback.h, &answer.h),
                     STATUS_REPLY_MESSAGE_MISMATCH);
    UT_EXPECT_STATUS(UlpcJoinClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(client.WorkStatus, STATUS_SUCCESS);
    UT_EXPECT(client.Scratch[0] != 0);
    UT_EXPECT_EQ(client.Scratch[1], 55);
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

static HANDLE CreateSection(SIZE_T size)
{
    LARGE_INTEGER maximum = {.QuadPart = (LONGLONG)size};
    HANDLE section = NULL;

    UT_EXPECT_STATUS(NtCreateSection(&section, SECTION_ALL_ACCESS, NULL, &maximum,
                                     PAGE_READWRITE, SEC_COMMIT, NULL), STATUS_SUCCESS);
    return section;
}

UTEST(ViewsAreMappedOnBothSides)
{
    ULPC_CLIENT client;
    ULPC_MESSAGE request;
    PORT_VIEW serverView = {.Length = sizeof(PORT_VIEW)};
    REMOTE_PORT_VIEW clientView = {.Length = sizeof(REMOTE_PORT_VIEW)};
    HANDLE serverPort;

    CreateServer();
    memset(&client, 0, sizeof(client));
    client.Name = SERVER_NAME;
    client.UseViews = TRUE;
    client.ClientView.Length = sizeof(PORT_VIEW);
    client.ClientView.SectionHandle = CreateSection(0x2000);
    client.ClientView.ViewSize = 0x2000;
    client.ServerView.Length = sizeof(REMOTE_PORT_VIEW);
    serverView.SectionHandle = CreateSection(0x1000);
    serverView.ViewSize = 0x1000;
    UT_EXPECT_STATUS(UlpcStartClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtListenPort(ServerPort, &request.h), STATUS_SUCCESS);
    UT_EXPECT_EQ(request.h.ClientViewSize, 0x2000);
    UT_EXPECT_STATUS(NtAcceptConnectPort(&serverPort, NULL, &request.h, TRUE, &serverView,
                                         &clientView), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCompleteConnectPort(serverPort), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcJoinClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(client.ConnectStatus, STATUS_SUCCESS);
    // Each side knows both addresses of each view; a view's two mappings
    // are different addresses of the same pages.
    UT_EXPECT(client.ClientView.ViewBase && clientView.ViewBase);
    UT_EXPECT(client.ClientView.ViewBase != clientView.ViewBase);
    UT_EXPECT(client.ClientView.ViewRemoteBase == clientView.ViewBase);
    UT_EXPECT_EQ(clientView.ViewSize, 0x2000);
    UT_EXPECT(serverView.ViewBase && serverView.ViewRemoteBase);
    UT_EXPECT(serverView.ViewBase != serverView.ViewRemoteBase);
    UT_EXPECT(client.ServerView.ViewBase == serverView.ViewRemoteBase);
    UT_EXPECT_EQ(client.ServerView.ViewSize, 0x1000);
    if (client.ClientView.ViewBase && clientView.ViewBase) {
        ((volatile ULONG *)client.ClientView.ViewBase)[0x400] = 0xfeed;
        UT_EXPECT_EQ(((volatile ULONG *)clientView.ViewBase)[0x400], 0xfeed);
    }
    if (serverView.ViewBase && client.ServerView.ViewBase) {
        ((volatile ULONG *)serverView.ViewBase)[3] = 0xbeef;
        UT_EXPECT_EQ(((volatile ULONG *)client.ServerView.ViewBase)[3], 0xbeef);
    }
    NtClose(client.ClientView.SectionHandle);
    NtClose(serverView.SectionHandle);
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

static UCHAR ClientBuffer[300];

// A request naming two of the client's buffers: ClientBuffer, then a
// read-only one (the server may read it, not write it).
static NTSTATUS RequestWithData(ULPC_CLIENT *client)
{
    static const UCHAR readOnly[16] = "constant bytes!";
    ULPC_MESSAGE request, reply;
    ULPC_DATA_INFO *info;

    UlpcInitMessage(&request, 64, 0);
    request.h.u2.s2.DataInfoOffset = sizeof(PORT_MESSAGE) + 8;
    info = (ULPC_DATA_INFO *)((UCHAR *)&request + request.h.u2.s2.DataInfoOffset);
    info->NumberOfEntries = 2;
    info->Entries[0].BaseAddress = ClientBuffer;
    info->Entries[0].DataLength = sizeof(ClientBuffer);
    info->Entries[1].BaseAddress = (PVOID)readOnly;
    info->Entries[1].DataLength = sizeof(readOnly);
    for (ULONG i = 0; i < sizeof(ClientBuffer); i++)
        ClientBuffer[i] = (UCHAR)i;
    return NtRequestWaitReplyPort(client->Port, &request.h, &reply.h);
}

UTEST(ServerReadsAndWritesRequestData)
{
    ULPC_CLIENT client;
    ULPC_MESSAGE request, plain;
    UCHAR buffer[300];
    SIZE_T done = 0;
    HANDLE serverPort;
    PVOID context;

    CreateServer();
    if (!Connect(&client, RequestWithData, &serverPort))
        return;
    UT_EXPECT_STATUS(UlpcReceive(ServerPort, &context, NULL, &request, 5000), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtReadRequestData(serverPort, &request.h, 0, buffer, 200, &done),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(done, 200);
    UT_EXPECT_EQ(buffer[150], 150);
    UT_EXPECT_STATUS(NtReadRequestData(ServerPort, &request.h, 1, buffer, 16, &done),
                     STATUS_SUCCESS);
    UT_EXPECT(memcmp(buffer, "constant bytes!", 16) == 0);
    memset(buffer, 0xAB, sizeof(buffer));
    UT_EXPECT_STATUS(NtWriteRequestData(serverPort, &request.h, 0, buffer, 300, &done),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(done, 300);
    UT_EXPECT_EQ(ClientBuffer[299], 0xAB);
    // Beyond the entry, beyond the entries, a read-only entry, bad pointers.
    UT_EXPECT_STATUS(NtReadRequestData(serverPort, &request.h, 0, buffer, 301, &done),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtReadRequestData(serverPort, &request.h, 2, buffer, 1, &done),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtWriteRequestData(serverPort, &request.h, 1, buffer, 16, &done),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtReadRequestData(serverPort, &request.h, 0, UT_KERNEL_POINTER, 4, &done),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtReadRequestData(serverPort, UT_BAD_POINTER, 0, buffer, 4, &done),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtReadRequestData(serverPort, &request.h, 0, buffer, 4, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    plain = request;
    plain.h.u2.s2.DataInfoOffset = 0;
    UT_EXPECT_STATUS(NtReadRequestData(serverPort, &plain.h, 0, buffer, 4, &done),
                     STATUS_INVALID_PARAMETER);
    plain = request;
    plain.h.MessageId += 1000;
    UT_EXPECT_STATUS(NtReadRequestData(serverPort, &plain.h, 0, buffer, 4, &done),
                     STATUS_REPLY_MESSAGE_MISMATCH);
    request.h.u1.s1.DataLength = 0;
    request.h.u1.s1.TotalLength = sizeof(PORT_MESSAGE);
    UT_EXPECT_STATUS(NtReplyPort(serverPort, &request.h), STATUS_SUCCESS);
    // Answered: the data is gone with the request.
    UT_EXPECT_STATUS(NtReadRequestData(serverPort, &request.h, 0, buffer, 4, &done),
                     STATUS_REPLY_MESSAGE_MISMATCH);
    UT_EXPECT_STATUS(UlpcJoinClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(client.WorkStatus, STATUS_SUCCESS);
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

// The client thread registers its port, then ends without closing it.
static NTSTATUS RegisterAndEnd(ULPC_CLIENT *client)
{
    return NtRegisterThreadTerminatePort(client->Port);
}

UTEST(ServerHearsOfDeadThreadsAndClosedPorts)
{
    ULPC_CLIENT client;
    ULPC_MESSAGE message;
    CLIENT_DIED_MSG *died = (CLIENT_DIED_MSG *)&message;
    HANDLE serverPort;
    PVOID context = NULL;

    CreateServer();
    if (!Connect(&client, RegisterAndEnd, &serverPort))
        return;
    UT_EXPECT_STATUS(UlpcJoinClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(client.WorkStatus, STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcReceive(ServerPort, &context, NULL, &message, 5000), STATUS_SUCCESS);
    UT_EXPECT_EQ(message.h.u2.s2.Type, LPC_CLIENT_DIED);
    UT_EXPECT_EQ(message.h.u1.s1.DataLength, sizeof(LARGE_INTEGER));
    UT_EXPECT_EQ(message.h.u1.s1.TotalLength, sizeof(CLIENT_DIED_MSG));
    UT_EXPECT(died->CreateTime.QuadPart != 0);
    UT_EXPECT(context == CONTEXT_TAG);
    UT_EXPECT_STATUS(NtClose(client.Port), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcReceive(ServerPort, &context, NULL, &message, 5000), STATUS_SUCCESS);
    UT_EXPECT_EQ(message.h.u2.s2.Type, LPC_PORT_CLOSED);
    UT_EXPECT_EQ(message.h.u1.s1.DataLength, 8);
    UT_EXPECT(context == CONTEXT_TAG);
    // The server's port is disconnected now.
    UlpcInitMessage(&message, 8, 0);
    UT_EXPECT_STATUS(NtRequestPort(serverPort, &message.h), STATUS_PORT_DISCONNECTED);
    NtClose(serverPort);
    NtClose(ServerPort);
}

UTEST(ClosingTheServerPortWakesItsWaitingClient)
{
    ULPC_CLIENT client;
    ULPC_MESSAGE message;
    HANDLE serverPort;
    PVOID context;

    CreateServer();
    if (!Connect(&client, OneRequest, &serverPort))
        return;
    UT_EXPECT_STATUS(UlpcReceive(ServerPort, &context, NULL, &message, 5000), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(serverPort), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcJoinClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(client.WorkStatus, STATUS_LPC_REPLY_LOST);
    UlpcInitMessage(&message, 8, 0);
    UT_EXPECT_STATUS(NtRequestPort(client.Port, &message.h), STATUS_PORT_DISCONNECTED);
    NtClose(client.Port);
    NtClose(ServerPort);
}

UTEST(ClosingTheConnectionPortRefusesWaitingClients)
{
    ULPC_CLIENT client;

    CreateServer();
    memset(&client, 0, sizeof(client));
    client.Name = SERVER_NAME;
    UT_EXPECT_STATUS(UlpcStartClient(&client), STATUS_SUCCESS);
    UT_EXPECT(UtWaitUntilWaiting(client.Thread));
    UT_EXPECT_STATUS(NtClose(ServerPort), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcJoinClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(client.ConnectStatus, STATUS_PORT_CONNECTION_REFUSED);
    UT_EXPECT_STATUS(UlpcConnect(&client), STATUS_OBJECT_NAME_NOT_FOUND);
}

UTEST(QueryInformationPortChecksItsArguments)
{
    ULONG buffer[4], length;
    HANDLE port, event;

    UT_EXPECT_STATUS(UlpcCreatePort(&port, NULL, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryInformationPort(port, PortNoInformation, buffer, sizeof(buffer),
                                            &length), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryInformationPort(NULL, PortNoInformation, buffer, sizeof(buffer),
                                            &length), STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtQueryInformationPort(port, PortNoInformation, UT_BAD_POINTER, 16,
                                            &length), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryInformationPort(port, PortNoInformation, buffer, 16,
                                            UT_KERNEL_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryInformationPort(event, PortNoInformation, buffer, 16, &length),
                     STATUS_OBJECT_TYPE_MISMATCH);
    NtClose(event);
    NtClose(port);
}

static const UTEST Tests[] = {
    UT_ENTRY(CreatePortChecksLengthsInNtOrder),
    UT_ENTRY(CreatePortRefusesBadPointersAndNameCollisions),
    UT_ENTRY(ConnectFindsOnlyConnectionPorts),
    UT_ENTRY(ConnectRefusesBadPointers),
    UT_ENTRY(HandshakeCarriesConnectionInformationBothWays),
    UT_ENTRY(RefusedConnectionLeavesBothHandlesAlone),
    UT_ENTRY(RequestsCarryIdsClientIdAndContext),
    UT_ENTRY(RepliesMustMatchAWaitingRequest),
    UT_ENTRY(DatagramsArriveInOrderWithConsecutiveIds),
    UT_ENTRY(MessageLengthsAndTypesAreChecked),
    UT_ENTRY(WrongHandlesAreRefused),
    UT_ENTRY(MessagePointersAreProbed),
    UT_ENTRY(WaitablePortIsSignalledWhileMessagesWait),
    UT_ENTRY(ServerCallsBackItsWaitingClient),
    UT_ENTRY(ViewsAreMappedOnBothSides),
    UT_ENTRY(ServerReadsAndWritesRequestData),
    UT_ENTRY(ServerHearsOfDeadThreadsAndClosedPorts),
    UT_ENTRY(ClosingTheServerPortWakesItsWaitingClient),
    UT_ENTRY(ClosingTheConnectionPortRefusesWaitingClients),
    UT_ENTRY(QueryInformationPortChecksItsArguments),
};

int main(void)
{
    return UT_RUN_ALL("tlpc", Tests);
}
