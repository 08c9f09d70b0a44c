// Queue memory is bounded: a client flooding datagrams at a server that
// never receives gets STATUS_NO_MEMORY once the port's queue holds its
// quota (256 messages, see docs/lpc.md), requests too; nothing is lost of
// what was queued, sending works again once the server drains the queue,
// and the kernel's own LPC_PORT_CLOSED still gets through a full queue.
// And a load: 64 clients with 100 requests each on one server thread.
// The in-kernel runner's leak check sees the pool come back.

#include "tests/user/ulpc.h"

#define SERVER_NAME u"\\RPC Control\\TlpcFlood"
#define QUEUE_QUOTA 256

// Sends datagrams until one fails: how many went, and the failure.
static ULONG Flood(HANDLE port, NTSTATUS *failure)
{
    ULPC_MESSAGE message;
    ULONG sent = 0;

    for (;;) {
        UlpcInitMessage(&message, 64, sent);
        *failure = NtRequestPort(port, &message.h);
        if (*failure != STATUS_SUCCESS || sent > 4 * QUEUE_QUOTA)
            return sent;
        sent++;
    }
}

// Receives `count` datagrams numbered from 0, in order, with consecutive ids.
static void Drain(HANDLE port, ULONG count)
{
    ULPC_MESSAGE message;
    ULONG lastId = 0;
    PVOID context;

    for (ULONG i = 0; i < count; i++) {
        UT_EXPECT_STATUS(UlpcReceive(port, &context, NULL, &message, 5000), STATUS_SUCCESS);
        UT_EXPECT_EQ(message.h.u2.s2.Type, LPC_DATAGRAM);
        UT_EXPECT_EQ(message.Data[0], i);
        if (i)
            UT_EXPECT_EQ(message.h.MessageId, lastId + 1);
        lastId = message.h.MessageId;
        if (UtCurrentFailed)
            return;
    }
}

UTEST(FloodOfAnUnnamedPortStopsAtTheQuota)
{
    ULPC_MESSAGE message, reply;
    NTSTATUS failure;
    HANDLE port;

    UT_EXPECT_STATUS(UlpcCreatePort(&port, NULL, FALSE), STATUS_SUCCESS);
    UT_EXPECT_EQ(Flood(port, &failure), QUEUE_QUOTA);
    UT_EXPECT_STATUS(failure, STATUS_NO_MEMORY);
    UlpcInitMessage(&message, 8, 0);
    UT_EXPECT_STATUS(NtRequestWaitReplyPort(port, &message.h, &reply.h), STATUS_NO_MEMORY);
    Drain(port, QUEUE_QUOTA);
    UT_EXPECT_STATUS(NtRequestPort(port, &message.h), STATUS_SUCCESS);
    // Closed with a message queued: freed with the port.
    NtClose(port);
}

UTEST(FloodingClientIsStoppedAndItsCloseStillHeard)
{
    ULPC_CLIENT client;
    ULPC_MESSAGE message;
    HANDLE port, serverPort;
    NTSTATUS failure;
    PVOID context;

    UT_EXPECT_STATUS(UlpcCreatePort(&port, SERVER_NAME, FALSE), STATUS_SUCCESS);
    memset(&client, 0, sizeof(client));
    client.Name = SERVER_NAME;
    UT_EXPECT_STATUS(UlpcStartClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcAccept(port, (PVOID)3, TRUE, &serverPort, &message), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcJoinClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(client.ConnectStatus, STATUS_SUCCESS);
    UT_EXPECT_EQ(Flood(client.Port, &failure), QUEUE_QUOTA);
    UT_EXPECT_STATUS(failure, STATUS_NO_MEMORY);
    // Still full: the client goes, and the server hears of it after the rest.
    UT_EXPECT_STATUS(NtClose(client.Port), STATUS_SUCCESS);
    Drain(port, QUEUE_QUOTA);
    UT_EXPECT_STATUS(UlpcReceive(port, &context, NULL, &message, 5000), STATUS_SUCCESS);
    UT_EXPECT_EQ(message.h.u2.s2.Type, LPC_PORT_CLOSED);
    UT_EXPECT(context == (PVOID)3);
    UT_EXPECT_STATUS(UlpcReceive(port, &context, NULL, &message, 20), STATUS_TIMEOUT);
    NtClose(serverPort);
    NtClose(port);
}

static HANDLE ServerPort;

#define MANY_CLIENTS  64
#define MANY_REQUESTS 100

static NTSTATUS ManyRequests(ULPC_CLIENT *client)
{
    ULPC_MESSAGE request, reply;

    for (ULONG i = 0; i < MANY_REQUESTS; i++) {
        NTSTATUS status;

        UlpcInitMessage(&request, 8, i);
        status = NtRequestWaitReplyPort(client->Port, &request.h, &reply.h);
        if (status != STATUS_SUCCESS)
            return status;
        if (reply.Data[0] != i + 1000)
            return STATUS_UNSUCCESSFUL;
    }
    return NtClose(client->Port);
}

// 64 clients, 6,400 requests, one server thread: every connection accepted,
// every request answered, every close heard.
UTEST(ManyClientsOnOneServer)
{
    static ULPC_CLIENT clients[MANY_CLIENTS];
    HANDLE serverPorts[MANY_CLIENTS];
    ULONG connected = 0, closed = 0, answered = 0;
    ULPC_MESSAGE message, reply;
    BOOLEAN replying = FALSE;
    PVOID context;

    UT_EXPECT_STATUS(UlpcCreatePort(&ServerPort, SERVER_NAME, FALSE), STATUS_SUCCESS);
    for (int i = 0; i < MANY_CLIENTS; i++) {
        memset(&clients[i], 0, sizeof(clients[i]));
        clients[i].Name = SERVER_NAME;
        clients[i].Work = ManyRequests;
        UT_EXPECT_STATUS(UlpcStartClient(&clients[i]), STATUS_SUCCESS);
    }
    while (closed < MANY_CLIENTS && !UtCurrentFailed) {
        NTSTATUS status = UlpcReceive(ServerPort, &context, replying ? &reply : NULL, &message,
                                      10000);

        replying = FALSE;
        UT_EXPECT_STATUS(status, STATUS_SUCCESS);
        if (status != STATUS_SUCCESS)
            break;
        switch (message.h.u2.s2.Type) {
        case LPC_CONNECTION_REQUEST:
            UT_EXPECT(connected < MANY_CLIENTS);
            UT_EXPECT_STATUS(NtAcceptConnectPort(&serverPorts[connected], NULL, &message.h, TRUE,
                                                 NULL, NULL), STATUS_SUCCESS);
            UT_EXPECT_STATUS(NtCompleteConnectPort(serverPorts[connected]), STATUS_SUCCESS);
            connected++;
            break;
        case LPC_REQUEST:
            reply = message;
            reply.Data[0] += 1000;
            replying = TRUE;
            answered++;
            break;
        case LPC_PORT_CLOSED:
            closed++;
            break;
        default:
            UtFail(__FILE__, __LINE__, "unexpected message type %d", message.h.u2.s2.Type);
        }
    }
    for (int i = 0; i < MANY_CLIENTS; i++) {
        UT_EXPECT_STATUS(UlpcJoinClient(&clients[i]), STATUS_SUCCESS);
        UT_EXPECT_STATUS(clients[i].WorkStatus, STATUS_SUCCESS);
    }
    UT_EXPECT_EQ(connected, MANY_CLIENTS);
    UT_EXPECT_EQ(answered, MANY_CLIENTS * MANY_REQUESTS);
    for (ULONG i = 0; i < connected; i++)
        NtClose(serverPorts[i]);
    NtClose(ServerPort);
}

static const UTEST Tests[] = {
    UT_ENTRY(FloodOfAnUnnamedPortStopsAtTheQuota),
    UT_ENTRY(FloodingClientIsStoppedAndItsCloseStillHeard),
    UT_ENTRY(ManyClientsOnOneServer),
};

int main(void)
{
    return UT_RUN_ALL("tlpcflood", Tests);
}
