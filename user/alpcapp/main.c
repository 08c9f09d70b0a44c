// alpcapp.exe: demo=alpc's client (kernel/kd/demoalpc.c). It asks alpcsvc
// for three records, each a synchronous request: the first comes from
// alpcsvc's cache, the second from alpcdb, and the third never comes: the
// thread waits in NtAlpcSendWaitReceivePort (WrLpcReply) for good.

#include "user/include/alpcdemo.h"

#define APP_REQUESTS 3

int main(void)
{
    HANDLE port;
    NTSTATUS status;

    status = AlpcDemoConnect(ALPCDEMO_SVC_PORT, &port);
    if (!NT_SUCCESS(status)) {
        printf("alpcapp: cannot connect to \\AlpcSvcPort: %08x\n", (ULONG)status);
        return status;
    }
    printf("alpcapp: connected to \\AlpcSvcPort\n");
    for (ULONG i = 1; i <= APP_REQUESTS; i++) {
        ALPCDEMO_MESSAGE request, reply;
        SIZE_T length = sizeof(reply);

        AlpcDemoInitializeMessage(&request);
        request.Request = i;
        request.Record = i;
        printf("alpcapp: request %u: record %u, waiting for the reply\n", i, i);
        status = NtAlpcSendWaitReceivePort(port, ALPC_MSGFLG_SYNC_REQUEST, &request.h, NULL,
                                           &reply.h, &length, NULL, NULL);
        if (!NT_SUCCESS(status)) {
            printf("alpcapp: request %u failed: %08x\n", i, (ULONG)status);
            return status;
        }
        printf("alpcapp: reply to message %x: %s\n", reply.h.MessageId, reply.Text);
    }
    return STATUS_SUCCESS;      // only if alpcdb got unstuck
}
