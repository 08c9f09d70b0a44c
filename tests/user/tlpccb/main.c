// Death during a callback. A server thread that received a client's request
// calls the client back (NtRequestWaitReplyPort with the request's
// MessageId and ClientId), the client being the thread that waits for the
// request's reply. Then:
//   (a) the client is killed while it handles the callback: the server
//       thread wakes with STATUS_LPC_REPLY_LOST (the client's port ran down),
//       its late reply to the request finds nobody;
//   (b) the server thread is killed while it waits for the callback's
//       answer: the client's answer finds nobody, and the client is told so
//       instead of waiting;
//   (c) the client answers and the request's reply then completes.
// Nobody waits for ever, and (the in-kernel runner's leak check) no message
// block and no thread or port reference is left.
//
// The program is its own child: "tlpccb client" is (a)'s client.

#include "tests/user/ulpc.h"

#define PORT_NAME          u"\\RPC Control\\TlpcCallback"
#define WAIT_DELAY_EXECUTION 4      // KWAIT_REASON DelayExecution

// The server's callback, made from a thread of its own.
typedef struct _CALLBACK_CALL {
    HANDLE Port;
    ULPC_MESSAGE Request;           // the request being answered
    ULPC_MESSAGE Answer;
    NTSTATUS Status;
} CALLBACK_CALL;

static NTSTATUS NTAPI CallBack(PVOID argument)
{
    CALLBACK_CALL *call = argument;
    ULPC_MESSAGE callback;

    UlpcInitMessage(&callback, 8, 55);
    callback.h.u2.s2.Type = LPC_REQUEST;
    callback.h.MessageId = call->Request.h.MessageId;
    callback.h.ClientId = call->Request.h.ClientId;
    call->Status = NtRequestWaitReplyPort(call->Port, &callback.h, &call->Answer.h);
    return STATUS_SUCCESS;
}

// (a)'s child: a request, then "handles" the callback for ever.
static int ChildClient(void)
{
    ULPC_CLIENT client;
    ULPC_MESSAGE request, message;
    LARGE_INTEGER hour = UtMilliseconds(3600000);

    memset(&client, 0, sizeof(client));
    client.Name = PORT_NAME;
    if (UlpcConnect(&client) != STATUS_SUCCESS)
        return 1;
    UlpcInitMessage(&request, 8, 1);
    if (NtRequestWaitReplyPort(client.Port, &request.h, &message.h) != STATUS_SUCCESS ||
        message.h.u2.s2.Type != LPC_REQUEST || message.h.CallbackId == 0)
        return 2;
    NtDelayExecution(FALSE, &hour);
    return 3;
}

UTEST(ClientKilledWhileHandlingTheCallback)
{
    CALLBACK_CALL call = {0};
    ULPC_MESSAGE message;
    HANDLE port, child, pid = NULL, thread;
    PVOID context;
    NTSTATUS status;

    UT_EXPECT_STATUS(UlpcCreatePort(&port, PORT_NAME, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcStartChild(u"tlpccb", u"tlpccb client", &child, &pid), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcAccept(port, NULL, TRUE, &call.Port, &message), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcReceive(port, &context, NULL, &call.Request, 5000), STATUS_SUCCESS);
    UT_EXPECT_EQ(call.Request.h.u2.s2.Type, LPC_REQUEST);
    UT_EXPECT_STATUS(UtStartThread(&thread, CallBack, &call), STATUS_SUCCESS);
    // The server thread waits for the answer; the client sits on the callback.
    UT_EXPECT(UlpcWaitForWaitReason(NtCurrentTeb()->ClientId.UniqueProcess, UtThreadId(thread),
                                    ULPC_WAIT_LPC_REPLY));
    UT_EXPECT(UlpcWaitForWaitReason(pid, NULL, WAIT_DELAY_EXECUTION));
    UT_EXPECT_STATUS(UlpcKillChild(child), STATUS_WAIT_0);
    UT_EXPECT_STATUS(UtJoinThread(thread), STATUS_SUCCESS);
    UT_EXPECT_STATUS(call.Status, STATUS_LPC_REPLY_LOST);
    // The request's late reply finds nobody.
    status = NtReplyPort(call.Port, &call.Request.h);
    UT_EXPECT(status == STATUS_REPLY_MESSAGE_MISMATCH || status == STATUS_INVALID_CID);
    UT_EXPECT_STATUS(UlpcReceive(port, &context, NULL, &message, 5000), STATUS_SUCCESS);
    UT_EXPECT_EQ(message.h.u2.s2.Type, LPC_PORT_CLOSED);
    UT_EXPECT_STATUS(UlpcReceive(port, &context, NULL, &message, 50), STATUS_TIMEOUT);
    NtClose(call.Port);
    NtClose(port);
}

// (b) and (c)'s client: a request; the callback arrives as its "reply";
// the answer goes once the test says so (ReplyNow), then the reply to the
// request is waited for in the same call (NtReplyWaitReplyPort).
static HANDLE GotCallback, ReplyNow;

static NTSTATUS RequestAnswerCallback(ULPC_CLIENT *client)
{
    ULPC_MESSAGE request, message;
    NTSTATUS status;

    UlpcInitMessage(&request, 8, 1);
    status = NtRequestWaitReplyPort(client->Port, &request.h, &message.h);
    if (status != STATUS_SUCCESS)
        return status;
    if (message.h.u2.s2.Type != LPC_REQUEST || message.h.CallbackId == 0)
        return STATUS_UNSUCCESSFUL;
    NtSetEvent(GotCallback, NULL);
    UtWaitBounded(ReplyNow, FALSE);
    message.Data[0] = 77;
    status = NtReplyWaitReplyPort(client->Port, &message.h);
    if (status != STATUS_SUCCESS)
        return status;
    return message.h.u2.s2.Type == LPC_REPLY && message.Data[0] == 99 ? STATUS_SUCCESS
                                                                     : STATUS_UNSUCCESSFUL;
}

// A server, a client thread whose request it has received, and the
// callback's thread started and waiting for the answer.
static BOOLEAN StartCallback(HANDLE *port, ULPC_CLIENT *client, CALLBACK_CALL *call,
                             HANDLE *thread)
{
    ULPC_MESSAGE message;
    PVOID context;

    memset(client, 0, sizeof(*client));
    memset(call, 0, sizeof(*call));
    client->Name = PORT_NAME;
    client->Work = RequestAnswerCallback;
    if (UlpcCreatePort(port, PORT_NAME, FALSE) != STATUS_SUCCESS ||
        NtCreateEvent(&GotCallback, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE) !=
            STATUS_SUCCESS ||
        NtCreateEvent(&ReplyNow, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE) !=
            STATUS_SUCCESS ||
        UlpcStartClient(client) != STATUS_SUCCESS ||
        UlpcAccept(*port, NULL, TRUE, &call->Port, &message) != STATUS_SUCCESS ||
        UlpcReceive(*port, &context, NULL, &call->Request, 5000) != STATUS_SUCCESS ||
        UtStartThread(thread, CallBack, call) != STATUS_SUCCESS ||
        UtWaitBounded(GotCallback, FALSE) != STATUS_WAIT_0)
        return FALSE;
    return UlpcWaitForWaitReason(NtCurrentTeb()->ClientId.UniqueProcess, UtThreadId(*thread),
                                 ULPC_WAIT_LPC_REPLY);
}

static void EndCallback(HANDLE port, ULPC_CLIENT *client, CALLBACK_CALL *call)
{
    NtClose(client->Port);
    NtClose(call->Port);
    NtClose(port);
    NtClose(GotCallback);
    NtClose(ReplyNow);
}

UTEST(ServerThreadKilledWhileWaitingForTheCallbackAnswer)
{
    ULPC_CLIENT client;
    CALLBACK_CALL call;
    HANDLE port, thread;
    NTSTATUS status;

    if (!StartCallback(&port, &client, &call, &thread)) {
        UtFail(__FILE__, __LINE__, "the callback to be under way");
        return;
    }
    UT_EXPECT_STATUS(NtTerminateThread(thread, 0x1DEAD), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtJoinThread(thread), 0x1DEAD);       // its exit status
    // The client answers a thread that is gone: told so, it waits no more.
    NtSetEvent(ReplyNow, NULL);
    UT_EXPECT_STATUS(UlpcJoinClient(&client), STATUS_SUCCESS);
    UT_EXPECT(client.WorkStatus == STATUS_REPLY_MESSAGE_MISMATCH ||
              client.WorkStatus == STATUS_INVALID_CID);
    // The client waits for the request's reply no more either.
    call.Request.Data[0] = 99;
    status = NtReplyPort(call.Port, &call.Request.h);
    UT_EXPECT(status == STATUS_REPLY_MESSAGE_MISMATCH || status == STATUS_INVALID_CID);
    EndCallback(port, &client, &call);
}

UTEST(CallbackAnsweredThenTheReplyCompletes)
{
    ULPC_CLIENT client;
    CALLBACK_CALL call;
    HANDLE port, thread;

    if (!StartCallback(&port, &client, &call, &thread)) {
        UtFail(__FILE__, __LINE__, "the callback to be under way");
        return;
    }
    NtSetEvent(ReplyNow, NULL);
    UT_EXPECT_STATUS(UtJoinThread(thread), STATUS_SUCCESS);
    UT_EXPECT_STATUS(call.Status, STATUS_SUCCESS);
    UT_EXPECT_EQ(call.Answer.h.u2.s2.Type, LPC_REPLY);
    UT_EXPECT_EQ(call.Answer.Data[0], 77);
    // The client waits again for its request's reply, which comes.
    UT_EXPECT(UlpcWaitForWaitReason(NtCurrentTeb()->ClientId.UniqueProcess,
                                    UtThreadId(client.Thread), ULPC_WAIT_LPC_REPLY));
    call.Request.Data[0] = 99;
    UT_EXPECT_STATUS(NtReplyPort(call.Port, &call.Request.h), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcJoinClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(client.WorkStatus, STATUS_SUCCESS);
    EndCallback(port, &client, &call);
}

static const UTEST Tests[] = {
    UT_ENTRY(ClientKilledWhileHandlingTheCallback),
    UT_ENTRY(ServerThreadKilledWhileWaitingForTheCallbackAnswer),
    UT_ENTRY(CallbackAnsweredThenTheReplyCompletes),
};

int main(void)
{
    char line[64];

    UtCommandLineText(line, sizeof(line));
    if (!strcmp(line, "tlpccb client"))
        return ChildClient();
    return UT_RUN_ALL("tlpccb", Tests);
}
