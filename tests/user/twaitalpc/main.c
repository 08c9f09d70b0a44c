// The user half of the in-kernel test WaitChainFollowsAnAlpcRequestToItsServerThread
// (tests/kernel/test_kd_waitchain2.c): a server on \TwaitAlpcPort accepts a
// client (a second thread of this process), receives its synchronous
// request and, holding it, waits on an event nobody sets, so that the
// client waits in WrLpcReply for a reply that never comes. The kernel test
// runs !waitchain on the client and ends the process. Started as
// "twaitalpc queued" the server never receives the request: it stays on
// the connection port's main queue, with no ServerThread.

#include "tests/user/ualpc.h"

#define TWA_PORT_NAME u"\\TwaitAlpcPort"

static UALPC_CLIENT TwaClient;
static HANDLE TwaNever;

static NTSTATUS NTAPI TwaClientThread(PVOID parameter)
{
    UALPC_MESSAGE request, reply;

    (void)parameter;
    if (UalpcConnect(&TwaClient) != STATUS_SUCCESS)
        return STATUS_UNSUCCESSFUL;
    UalpcInitMessage(&request, 16, 1);
    return UalpcRequest(TwaClient.Port, &request, &reply, NULL);
}

int main(void)
{
    UALPC_MESSAGE request;
    HANDLE server, serverPort, client;
    char line[32];
    BOOLEAN queued;

    UtCommandLineText(line, sizeof(line));
    queued = !strcmp(line, "twaitalpc queued");
    TwaClient.Name = TWA_PORT_NAME;
    TwaClient.ConnectDataLength = 8;
    if (!NT_SUCCESS(NtCreateEvent(&TwaNever, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE)) ||
        UalpcCreatePort(&server, TWA_PORT_NAME, NULL) != STATUS_SUCCESS ||
        UtStartThread(&client, TwaClientThread, NULL) != STATUS_SUCCESS ||
        UalpcAccept(server, NULL, TRUE, &serverPort, &request) != STATUS_SUCCESS ||
        (!queued && UalpcReceive(server, NULL, &request, UT_THREAD_PATIENCE_MS) != STATUS_SUCCESS))
        return 1;
    // Holding the request (or leaving it queued): no reply, ever.
    NtWaitForSingleObject(TwaNever, FALSE, NULL);
    return 0;
}
