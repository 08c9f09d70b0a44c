// alpcsvc.exe: demo=alpc's server in the middle (kernel/kd/demoalpc.c). It
// answers the records it has cached itself and asks alpcdb.exe for the
// others, synchronously, from the thread that received the request: while
// alpcdb does not answer, that thread waits for its reply (WrLpcReply) and
// alpcapp's request stays on the pending queue of \AlpcSvcPort.

#include "user/include/alpcdemo.h"

#define SVC_CACHED_RECORD 1

static HANDLE SvcDbPort;

static void SvcHandle(ALPCDEMO_MESSAGE *message)
{
    ALPCDEMO_MESSAGE lookup, answer;
    SIZE_T length = sizeof(answer);
    NTSTATUS status;

    if (message->Record == SVC_CACHED_RECORD) {
        snprintf(message->Text, sizeof(message->Text), "record %u from the cache",
                 message->Record);
        message->Status = STATUS_SUCCESS;
        return;
    }
    AlpcDemoInitializeMessage(&lookup);
    lookup.Request = message->Request;
    lookup.Record = message->Record;
    printf("alpcsvc: request %u: asking alpcdb for record %u\n", message->Request,
           message->Record);
    status = NtAlpcSendWaitReceivePort(SvcDbPort, ALPC_MSGFLG_SYNC_REQUEST, &lookup.h, NULL,
                                       &answer.h, &length, NULL, NULL);
    if (!NT_SUCCESS(status)) {
        message->Status = status;
        return;
    }
    memcpy(message->Text, answer.Text, sizeof(message->Text));
    message->Status = answer.Status;
}

int main(void)
{
    HANDLE port;
    NTSTATUS status;

    status = AlpcDemoCreatePort(ALPCDEMO_SVC_PORT, &port);
    if (!NT_SUCCESS(status)) {
        printf("alpcsvc: cannot create \\AlpcSvcPort: %08x\n", (ULONG)status);
        return status;
    }
    status = AlpcDemoConnect(ALPCDEMO_DB_PORT, &SvcDbPort);
    if (!NT_SUCCESS(status)) {
        printf("alpcsvc: cannot connect to \\AlpcDbPort: %08x\n", (ULONG)status);
        return status;
    }
    printf("alpcsvc: \\AlpcSvcPort created, connected to \\AlpcDbPort\n");
    return AlpcDemoServe(port, "alpcsvc", SvcHandle);
}
