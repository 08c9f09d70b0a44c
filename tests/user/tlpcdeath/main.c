// Death of either side of an LPC connection, at each step: a client killed
// while it connects, while its request is queued, and while the server
// holds it; a server killed before it listens and while it holds requests.
// Nobody waits for ever, and a dead client leaves no message behind (the
// in-kernel runner's leak check sees pool and references).
//
// The program is its own child: "tlpcdeath NAME" runs one side, below.

#include "tests/user/ulpc.h"

#define PARENT_PORT u"\\RPC Control\\TlpcDeathParent"
#define CHILD_PORT  u"\\RPC Control\\TlpcDeathChild"
#define READY_EVENT u"\\BaseNamedObjects\\TlpcDeathReady"

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

// Connects to the parent and sends one request, which is never answered.
static int ChildClient(BOOLEAN request)
{
    ULPC_CLIENT client;
    ULPC_MESSAGE message, reply;

    memset(&client, 0, sizeof(client));
    client.Name = PARENT_PORT;
    if (UlpcConnect(&client) != STATUS_SUCCESS)
        return 1;
    if (request) {
        UlpcInitMessage(&message, 8, 0);
        NtRequestWaitReplyPort(client.Port, &message.h, &reply.h);
    }
    return 2;                       // never reached: the parent kills it
}

// A server that accepts clients and receives their requests, never
// answering; "listen" only: it never even listens.
static int ChildServer(BOOLEAN serve)
{
    ULPC_MESSAGE message;
    HANDLE port, serverPort;
    PVOID context;

    if (UlpcCreatePort(&port, CHILD_PORT, FALSE) != STATUS_SUCCESS ||
        CreateReadyEvent(TRUE) != STATUS_SUCCESS)
        return 1;
    NtSetEvent(ReadyEvent, NULL);
    while (!serve) {
        LARGE_INTEGER hour = UtMilliseconds(3600000);

        NtDelayExecution(FALSE, &hour);         // never listens, until killed
    }
    for (;;) {
        if (NtReplyWaitReceivePort(port, &context, NULL, &message.h) != STATUS_SUCCESS)
            return 3;
        if (message.h.u2.s2.Type == LPC_CONNECTION_REQUEST) {
            NtAcceptConnectPort(&serverPort, NULL, &message.h, TRUE, NULL, NULL);
            NtCompleteConnectPort(serverPort);
        }
    }
}

// ---- The parent's tests ---------------------------------------------------------------

// The parent as a server: its port, and a child client started on it.
static BOOLEAN StartClientChild(const WCHAR *line, PHANDLE port, PHANDLE child, HANDLE *pid)
{
    if (UlpcCreatePort(port, PARENT_PORT, FALSE) != STATUS_SUCCESS)
        return FALSE;
    return UlpcStartChild(u"tlpcdeath", line, child, pid) == STATUS_SUCCESS;
}

UTEST(ClientKilledWhileConnectingLeavesNoRequest)
{
    ULPC_MESSAGE message;
    HANDLE port, child, pid;
    PVOID context;

    if (!StartClientChild(u"tlpcdeath connect", &port, &child, &pid)) {
        UtFail(__FILE__, __LINE__, "no child");
        return;
    }
    UT_EXPECT(UlpcWaitForWaitReason(pid, NULL, ULPC_WAIT_EXECUTIVE));
    UT_EXPECT_STATUS(UlpcKillChild(child), STATUS_WAIT_0);
    // Its connection request went with it.
    UT_EXPECT_STATUS(UlpcReceive(port, &context, NULL, &message, 50), STATUS_TIMEOUT);
    NtClose(port);
}

UTEST(ClientKilledBeforeTheServerReceivesTakesItsRequestBack)
{
    ULPC_MESSAGE message;
    HANDLE port, serverPort, child, pid;
    PVOID context;

    if (!StartClientChild(u"tlpcdeath request", &port, &child, &pid)) {
        UtFail(__FILE__, __LINE__, "no child");
        return;
    }
    UT_EXPECT_STATUS(UlpcAccept(port, (PVOID)7, TRUE, &serverPort, &message), STATUS_SUCCESS);
    UT_EXPECT(UlpcWaitForWaitReason(pid, NULL, ULPC_WAIT_LPC_REPLY));
    UT_EXPECT_STATUS(UlpcKillChild(child), STATUS_WAIT_0);
    // Only the notice that its port closed: the request it waited on is gone.
    UT_EXPECT_STATUS(UlpcReceive(port, &context, NULL, &message, 5000), STATUS_SUCCESS);
    UT_EXPECT_EQ(message.h.u2.s2.Type, LPC_PORT_CLOSED);
    UT_EXPECT(context == (PVOID)7);
    UT_EXPECT_STATUS(UlpcReceive(port, &context, NULL, &message, 50), STATUS_TIMEOUT);
    NtClose(serverPort);
    NtClose(port);
}

UTEST(ClientKilledWhileTheServerHoldsItsRequestGetsNoReply)
{
    ULPC_MESSAGE message, request;
    HANDLE port, serverPort, child, pid;
    PVOID context;
    NTSTATUS status;

    if (!StartClientChild(u"tlpcdeath request", &port, &child, &pid)) {
        UtFail(__FILE__, __LINE__, "no child");
        return;
    }
    UT_EXPECT_STATUS(UlpcAccept(port, NULL, TRUE, &serverPort, &message), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcReceive(port, &context, NULL, &request, 5000), STATUS_SUCCESS);
    UT_EXPECT_EQ(request.h.u2.s2.Type, LPC_REQUEST);
    UT_EXPECT_STATUS(UlpcKillChild(child), STATUS_WAIT_0);
    // The late reply finds nobody: the thread is gone or waits for nothing.
    status = NtReplyPort(serverPort, &request.h);
    UT_EXPECT(status == STATUS_REPLY_MESSAGE_MISMATCH || status == STATUS_INVALID_CID);
    UT_EXPECT_STATUS(UlpcReceive(port, &context, NULL, &message, 5000), STATUS_SUCCESS);
    UT_EXPECT_EQ(message.h.u2.s2.Type, LPC_PORT_CLOSED);
    UT_EXPECT_STATUS(UlpcReceive(port, &context, NULL, &message, 50), STATUS_TIMEOUT);
    NtClose(serverPort);
    NtClose(port);
}

static BOOLEAN StartServerChild(const WCHAR *line, PHANDLE child)
{
    if (CreateReadyEvent(FALSE) != STATUS_SUCCESS)
        return FALSE;
    if (UlpcStartChild(u"tlpcdeath", line, child, NULL) != STATUS_SUCCESS ||
        UtWaitBounded(ReadyEvent, FALSE) != STATUS_WAIT_0) {
        NtClose(ReadyEvent);
        return FALSE;
    }
    NtClose(ReadyEvent);
    return TRUE;
}

UTEST(ServerKilledBeforeListeningRefusesItsClient)
{
    ULPC_CLIENT client;
    HANDLE child;

    if (!StartServerChild(u"tlpcdeath deafserver", &child)) {
        UtFail(__FILE__, __LINE__, "no child");
        return;
    }
    memset(&client, 0, sizeof(client));
    client.Name = CHILD_PORT;
    UT_EXPECT_STATUS(UlpcStartClient(&client), STATUS_SUCCESS);
    UT_EXPECT(UtWaitUntilWaiting(client.Thread));
    UT_EXPECT_STATUS(UlpcKillChild(child), STATUS_WAIT_0);
    UT_EXPECT_STATUS(UlpcJoinClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(client.ConnectStatus, STATUS_PORT_CONNECTION_REFUSED);
    UT_EXPECT(client.Port == NULL);
}

#define WAITING_CLIENTS 3

static NTSTATUS RequestOnce(ULPC_CLIENT *client)
{
    ULPC_MESSAGE request, reply;

    UlpcInitMessage(&request, 8, 0);
    return NtRequestWaitReplyPort(client->Port, &request.h, &reply.h);
}

UTEST(ServerKilledWhileHoldingRequestsWakesEveryClient)
{
    ULPC_CLIENT clients[WAITING_CLIENTS];
    ULPC_MESSAGE message;
    HANDLE child;

    if (!StartServerChild(u"tlpcdeath server", &child)) {
        UtFail(__FILE__, __LINE__, "no child");
        return;
    }
    for (int i = 0; i < WAITING_CLIENTS; i++) {
        memset(&clients[i], 0, sizeof(clients[i]));
        clients[i].Name = CHILD_PORT;
        clients[i].Work = RequestOnce;
        UT_EXPECT_STATUS(UlpcStartClient(&clients[i]), STATUS_SUCCESS);
    }
    // Each waits for its reply (the server holds one request, the others
    // are queued behind it).
    for (int i = 0; i < WAITING_CLIENTS; i++)
        UT_EXPECT(UlpcWaitForWaitReason(NtCurrentTeb()->ClientId.UniqueProcess,
                                        UtThreadId(clients[i].Thread), ULPC_WAIT_LPC_REPLY));
    UT_EXPECT_STATUS(UlpcKillChild(child), STATUS_WAIT_0);
    for (int i = 0; i < WAITING_CLIENTS; i++) {
        UT_EXPECT_STATUS(UlpcJoinClient(&clients[i]), STATUS_SUCCESS);
        UT_EXPECT_STATUS(clients[i].ConnectStatus, STATUS_SUCCESS);
        UT_EXPECT_STATUS(clients[i].WorkStatus, STATUS_LPC_REPLY_LOST);
        UlpcInitMessage(&message, 8, 0);
        UT_EXPECT_STATUS(NtRequestPort(clients[i].Port, &message.h), STATUS_PORT_DISCONNECTED);
        NtClose(clients[i].Port);
    }
}

static const UTEST Tests[] = {
    UT_ENTRY(ClientKilledWhileConnectingLeavesNoRequest),
    UT_ENTRY(ClientKilledBeforeTheServerReceivesTakesItsRequestBack),
    UT_ENTRY(ClientKilledWhileTheServerHoldsItsRequestGetsNoReply),
    UT_ENTRY(ServerKilledBeforeListeningRefusesItsClient),
    UT_ENTRY(ServerKilledWhileHoldingRequestsWakesEveryClient),
};

int main(void)
{
    char line[64];

    UtCommandLineText(line, sizeof(line));
    if (!strcmp(line, "tlpcdeath connect"))
        return ChildClient(FALSE);
    if (!strcmp(line, "tlpcdeath request"))
        return ChildClient(TRUE);
    if (!strcmp(line, "tlpcdeath server"))
        return ChildServer(TRUE);
    if (!strcmp(line, "tlpcdeath deafserver"))
        return ChildServer(FALSE);
    return UT_RUN_ALL("tlpcdeath", Tests);
}
