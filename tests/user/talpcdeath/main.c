// Death of either side of an ALPC connection, at each step: a client killed
// while it connects (queued, then received), while its request is queued,
// and while the server holds it; a server killed before it receives, while
// requests are queued, while it holds them, and while it is itself waiting
// for a reply from another server (a relay: client -> relay -> server).
// Nobody waits for ever, every late answer is refused or dropped, and the
// in-kernel runner's leak check sees the pool back to its counts.
//
// The program is its own child: "talpcdeath NAME" runs one side, below.

#include "tests/user/ualpc.h"

#define PARENT_PORT u"\\RPC Control\\TalpcDeathParent"
#define CHILD_PORT  u"\\RPC Control\\TalpcDeathChild"
#define READY_EVENT u"\\BaseNamedObjects\\TalpcDeathReady"

static HANDLE ReadyEvent;

static NTSTATUS CreateReadyEvent(BOOLEAN open)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;

    RtlInitUnicodeString(&name, READY_EVENT);
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    return open ? NtOpenEvent(&ReadyEvent, EVENT_ALL_ACCESS, &attributes)
                : NtCreateEvent(&ReadyEvent, EVENT_ALL_ACCESS, &attributes, NotificationEvent,
                                FALSE);
}

// ---- The children ---------------------------------------------------------------------

// Connects to the parent (and sends one request), never answered.
static int ChildClient(BOOLEAN request)
{
    UALPC_CLIENT client;
    UALPC_MESSAGE message, reply;

    memset(&client, 0, sizeof(client));
    client.Name = PARENT_PORT;
    if (UalpcConnect(&client) != STATUS_SUCCESS)
        return 1;
    if (request) {
        UalpcInitMessage(&message, 8, 0);
        UalpcRequest(client.Port, &message, &reply, NULL);
    }
    return 2;                       // never reached: the parent kills it
}

#define WAITING_CLIENTS 3

// A server on CHILD_PORT: "deaf" (0) never receives; "server" (1) accepts
// and receives, never answering; "relay" (2) also connects to the parent
// and passes every request on to it, synchronously; "acceptor" (3)
// accepts WAITING_CLIENTS clients, then receives no more.
static int ChildServer(int mode)
{
    UALPC_MESSAGE message, reply;
    UALPC_CLIENT parent;
    HANDLE port, serverPort;
    int accepted = 0;

    if (UalpcCreatePort(&port, CHILD_PORT, NULL) != STATUS_SUCCESS ||
        CreateReadyEvent(TRUE) != STATUS_SUCCESS)
        return 1;
    memset(&parent, 0, sizeof(parent));
    parent.Name = PARENT_PORT;
    if (mode == 2 && UalpcConnect(&parent) != STATUS_SUCCESS)
        return 4;
    NtSetEvent(ReadyEvent, NULL);
    while (mode == 0) {
        LARGE_INTEGER hour = UtMilliseconds(3600000);

        NtDelayExecution(FALSE, &hour);         // never receives, until killed
    }
    for (;;) {
        if (mode == 3 && accepted == WAITING_CLIENTS)
            mode = 0;
        while (mode == 0) {
            LARGE_INTEGER hour = UtMilliseconds(3600000);

            NtDelayExecution(FALSE, &hour);
        }
        if (UalpcReceive(port, NULL, &message, 3600000) != STATUS_SUCCESS)
            return 3;
        if (message.h.u2.s2.Type == LPC_CONNECTION_REQUEST) {
            NtAlpcAcceptConnectPort(&serverPort, port, 0, NULL, NULL, NULL, &message.h, NULL,
                                    TRUE);
            accepted++;
        } else if (mode == 2) {
            UalpcInitMessage(&message, 8, 0);
            UalpcRequest(parent.Port, &message, &reply, NULL);
        }
    }
}

// ---- The parent's tests ---------------------------------------------------------------

static HANDLE Self(void)
{
    return NtCurrentTeb()->ClientId.UniqueProcess;
}

// The parent as a server: its port, and a child client started on it.
static BOOLEAN StartClientChild(const WCHAR *line, PHANDLE port, PHANDLE child, HANDLE *pid)
{
    if (UalpcCreatePort(port, PARENT_PORT, NULL) != STATUS_SUCCESS)
        return FALSE;
    return UlpcStartChild(u"talpcdeath", line, child, pid) == STATUS_SUCCESS;
}

UTEST(ClientKilledWhileConnectingLeavesNoRequest)
{
    UALPC_MESSAGE message;
    HANDLE port, child, pid;

    if (!StartClientChild(u"talpcdeath connect", &port, &child, &pid)) {
        UtFail(__FILE__, __LINE__, "no child");
        return;
    }
    UT_EXPECT(UlpcWaitForWaitReason(pid, NULL, ULPC_WAIT_LPC_REPLY));
    UT_EXPECT_STATUS(UlpcKillChild(child), STATUS_WAIT_0);
    // Its connection request went with it.
    UT_EXPECT_STATUS(UalpcReceive(port, NULL, &message, 50), STATUS_TIMEOUT);
    NtClose(port);
}

UTEST(ClientKilledAfterItsConnectWasReceivedCannotBeAccepted)
{
    UALPC_MESSAGE request;
    HANDLE port, child, pid, serverPort = NULL;

    if (!StartClientChild(u"talpcdeath connect", &port, &child, &pid)) {
        UtFail(__FILE__, __LINE__, "no child");
        return;
    }
    UT_EXPECT_STATUS(UalpcReceive(port, NULL, &request, UT_THREAD_PATIENCE_MS),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(request.h.u2.s2.Type, LPC_CONNECTION_REQUEST);
    UT_EXPECT_STATUS(UlpcKillChild(child), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtAlpcAcceptConnectPort(&serverPort, port, 0, NULL, NULL, NULL, &request.h,
                                             NULL, TRUE), STATUS_PORT_DISCONNECTED);
    UT_EXPECT(serverPort == NULL);
    UT_EXPECT_STATUS(UalpcReceive(port, NULL, &request, 50), STATUS_TIMEOUT);
    NtClose(port);
}

UTEST(ClientKilledBeforeTheServerReceivesTakesItsRequestBack)
{
    UALPC_MESSAGE message;
    HANDLE port, serverPort, child, pid;

    if (!StartClientChild(u"talpcdeath request", &port, &child, &pid)) {
        UtFail(__FILE__, __LINE__, "no child");
        return;
    }
    UT_EXPECT_STATUS(UalpcAccept(port, (PVOID)7, TRUE, &serverPort, &message), STATUS_SUCCESS);
    UT_EXPECT(UlpcWaitForWaitReason(pid, NULL, ULPC_WAIT_LPC_REPLY));
    UT_EXPECT_STATUS(UlpcKillChild(child), STATUS_WAIT_0);
    // Only the notice that its port closed: the request it waited on is gone.
    UT_EXPECT_STATUS(UalpcReceive(port, NULL, &message, UT_THREAD_PATIENCE_MS), STATUS_SUCCESS);
    UT_EXPECT_EQ(message.h.u2.s2.Type, LPC_PORT_CLOSED);
    UT_EXPECT_STATUS(UalpcReceive(port, NULL, &message, 50), STATUS_TIMEOUT);
    NtClose(serverPort);
    NtClose(port);
}

UTEST(ClientKilledWhileTheServerHoldsItsRequestGetsNoReply)
{
    UALPC_MESSAGE message, request;
    HANDLE port, serverPort, child, pid;

    if (!StartClientChild(u"talpcdeath request", &port, &child, &pid)) {
        UtFail(__FILE__, __LINE__, "no child");
        return;
    }
    UT_EXPECT_STATUS(UalpcAccept(port, NULL, TRUE, &serverPort, &message), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UalpcReceive(port, NULL, &request, UT_THREAD_PATIENCE_MS), STATUS_SUCCESS);
    UT_EXPECT_EQ(request.h.u2.s2.Type, LPC_REQUEST | LPC_CONTINUATION_REQUIRED);
    UT_EXPECT_STATUS(UlpcKillChild(child), STATUS_WAIT_0);
    // The late reply is dropped (its sender canceled it as it died), once.
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(serverPort, 0, &request.h, NULL, NULL, NULL, NULL,
                                               NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(serverPort, 0, &request.h, NULL, NULL, NULL, NULL,
                                               NULL), STATUS_REPLY_MESSAGE_MISMATCH);
    UT_EXPECT_STATUS(UalpcReceive(port, NULL, &message, UT_THREAD_PATIENCE_MS), STATUS_SUCCESS);
    UT_EXPECT_EQ(message.h.u2.s2.Type, LPC_PORT_CLOSED);
    UT_EXPECT_STATUS(UalpcReceive(port, NULL, &message, 50), STATUS_TIMEOUT);
    NtClose(serverPort);
    NtClose(port);
}

static BOOLEAN StartServerChild(const WCHAR *line, PHANDLE child, HANDLE *pid)
{
    if (CreateReadyEvent(FALSE) != STATUS_SUCCESS)
        return FALSE;
    if (UlpcStartChild(u"talpcdeath", line, child, pid) != STATUS_SUCCESS ||
        UtWaitBounded(ReadyEvent, FALSE) != STATUS_WAIT_0) {
        NtClose(ReadyEvent);
        return FALSE;
    }
    NtClose(ReadyEvent);
    return TRUE;
}

UTEST(ServerKilledBeforeReceivingFailsItsConnectingClient)
{
    UALPC_CLIENT client;
    HANDLE child;

    if (!StartServerChild(u"talpcdeath deafserver", &child, NULL)) {
        UtFail(__FILE__, __LINE__, "no child");
        return;
    }
    memset(&client, 0, sizeof(client));
    client.Name = CHILD_PORT;
    UT_EXPECT_STATUS(UalpcStartClient(&client), STATUS_SUCCESS);
    UT_EXPECT(UlpcWaitForWaitReason(Self(), UtThreadId(client.Thread), ULPC_WAIT_LPC_REPLY));
    UT_EXPECT_STATUS(UlpcKillChild(child), STATUS_WAIT_0);
    UT_EXPECT_STATUS(UalpcJoinClient(&client), STATUS_PORT_DISCONNECTED);
    UT_EXPECT(client.Port == NULL);
}

typedef struct _REQUEST_CLIENT {
    UALPC_CLIENT Client;
    NTSTATUS Status;
    HANDLE Thread;
} REQUEST_CLIENT;

static NTSTATUS NTAPI RequestOnce(PVOID argument)
{
    REQUEST_CLIENT *client = argument;
    UALPC_MESSAGE request, reply;

    UalpcInitMessage(&request, 8, 0);
    client->Status = UalpcRequest(client->Client.Port, &request, &reply, NULL);
    return client->Status;
}

// Clients connected to the child server, each waiting for the reply to a
// request: the server holds one (or none, when deaf), the rest are queued.
static void StartWaitingClients(REQUEST_CLIENT *clients)
{
    for (int i = 0; i < WAITING_CLIENTS; i++) {
        memset(&clients[i], 0, sizeof(clients[i]));
        clients[i].Client.Name = CHILD_PORT;
        UT_EXPECT_STATUS(UalpcConnect(&clients[i].Client), STATUS_SUCCESS);
        UT_EXPECT_STATUS(UtStartThread(&clients[i].Thread, RequestOnce, &clients[i]),
                         STATUS_SUCCESS);
    }
    for (int i = 0; i < WAITING_CLIENTS; i++)
        UT_EXPECT(UlpcWaitForWaitReason(Self(), UtThreadId(clients[i].Thread),
                                        ULPC_WAIT_LPC_REPLY));
}

static void ExpectClientsDisconnected(REQUEST_CLIENT *clients)
{
    UALPC_MESSAGE message;

    for (int i = 0; i < WAITING_CLIENTS; i++) {
        UT_EXPECT_STATUS(UtJoinThread(clients[i].Thread), STATUS_PORT_DISCONNECTED);
        UalpcInitMessage(&message, 8, 0);
        UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(clients[i].Client.Port, 0, &message.h, NULL,
                                                   NULL, NULL, NULL, NULL),
                         STATUS_PORT_DISCONNECTED);
        NtClose(clients[i].Client.Port);
    }
}

UTEST(ServerKilledWhileHoldingRequestsWakesEveryClient)
{
    REQUEST_CLIENT clients[WAITING_CLIENTS];
    HANDLE child;

    if (!StartServerChild(u"talpcdeath server", &child, NULL)) {
        UtFail(__FILE__, __LINE__, "no child");
        return;
    }
    StartWaitingClients(clients);
    UT_EXPECT_STATUS(UlpcKillChild(child), STATUS_WAIT_0);
    ExpectClientsDisconnected(clients);
}

UTEST(ServerKilledWithRequestsQueuedWakesEveryClient)
{
    REQUEST_CLIENT clients[WAITING_CLIENTS];
    HANDLE child;

    // A server that accepts its clients, then receives nothing: every
    // request stays queued at its connection port.
    if (!StartServerChild(u"talpcdeath acceptor", &child, NULL)) {
        UtFail(__FILE__, __LINE__, "no child");
        return;
    }
    StartWaitingClients(clients);
    UT_EXPECT_STATUS(UlpcKillChild(child), STATUS_WAIT_0);
    ExpectClientsDisconnected(clients);
}

UTEST(RelayKilledWhileWaitingForItsServerLeavesNothing)
{
    REQUEST_CLIENT clients[1];
    UALPC_MESSAGE message, relayed;
    HANDLE port, serverPort, child, pid;

    // This process is the last server; the child relays to it.
    UT_EXPECT_STATUS(UalpcCreatePort(&port, PARENT_PORT, NULL), STATUS_SUCCESS);
    if (CreateReadyEvent(FALSE) != STATUS_SUCCESS ||
        UlpcStartChild(u"talpcdeath", u"talpcdeath relay", &child, &pid) != STATUS_SUCCESS) {
        UtFail(__FILE__, __LINE__, "no child");
        NtClose(port);
        return;
    }
    UT_EXPECT_STATUS(UalpcAccept(port, NULL, TRUE, &serverPort, &message), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtWaitBounded(ReadyEvent, FALSE), STATUS_WAIT_0);
    NtClose(ReadyEvent);
    // client -> relay -> this server, which holds the relayed request.
    memset(&clients[0], 0, sizeof(clients[0]));
    clients[0].Client.Name = CHILD_PORT;
    UT_EXPECT_STATUS(UalpcConnect(&clients[0].Client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtStartThread(&clients[0].Thread, RequestOnce, &clients[0]),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(UalpcReceive(port, NULL, &relayed, UT_THREAD_PATIENCE_MS), STATUS_SUCCESS);
    UT_EXPECT_EQ(relayed.h.u2.s2.Type, LPC_REQUEST | LPC_CONTINUATION_REQUIRED);
    UT_EXPECT(UlpcWaitForWaitReason(pid, NULL, ULPC_WAIT_LPC_REPLY));
    UT_EXPECT_STATUS(UlpcKillChild(child), STATUS_WAIT_0);
    // The first client hears of it; the relay's request here is canceled:
    // the late reply is dropped, and the relay's port closed.
    UT_EXPECT_STATUS(UtJoinThread(clients[0].Thread), STATUS_PORT_DISCONNECTED);
    NtClose(clients[0].Client.Port);
    UT_EXPECT_STATUS(NtAlpcSendWaitReceivePort(serverPort, 0, &relayed.h, NULL, NULL, NULL, NULL,
                                               NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UalpcReceive(port, NULL, &message, UT_THREAD_PATIENCE_MS), STATUS_SUCCESS);
    UT_EXPECT_EQ(message.h.u2.s2.Type, LPC_PORT_CLOSED);
    UT_EXPECT_STATUS(UalpcReceive(port, NULL, &message, 50), STATUS_TIMEOUT);
    NtClose(serverPort);
    NtClose(port);
}

static const UTEST Tests[] = {
    UT_ENTRY(ClientKilledWhileConnectingLeavesNoRequest),
    UT_ENTRY(ClientKilledAfterItsConnectWasReceivedCannotBeAccepted),
    UT_ENTRY(ClientKilledBeforeTheServerReceivesTakesItsRequestBack),
    UT_ENTRY(ClientKilledWhileTheServerHoldsItsRequestGetsNoReply),
    UT_ENTRY(ServerKilledBeforeReceivingFailsItsConnectingClient),
    UT_ENTRY(ServerKilledWhileHoldingRequestsWakesEveryClient),
    UT_ENTRY(ServerKilledWithRequestsQueuedWakesEveryClient),
    UT_ENTRY(RelayKilledWhileWaitingForItsServerLeavesNothing),
};

int main(void)
{
    char line[64];

    UtCommandLineText(line, sizeof(line));
    if (!strcmp(line, "talpcdeath connect"))
        return ChildClient(FALSE);
    if (!strcmp(line, "talpcdeath request"))
        return ChildClient(TRUE);
    if (!strcmp(line, "talpcdeath deafserver"))
        return ChildServer(0);
    if (!strcmp(line, "talpcdeath server"))
        return ChildServer(1);
    if (!strcmp(line, "talpcdeath relay"))
        return ChildServer(2);
    if (!strcmp(line, "talpcdeath acceptor"))
        return ChildServer(3);
    return UT_RUN_ALL("talpcdeath", Tests);
}
