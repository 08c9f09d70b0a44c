// alpcdb.exe: demo=alpc's second server (kernel/kd/demoalpc.c), the end of
// the chain. It looks records up under a one-slot record lock (a
// semaphore); after the first lookup it forgets to release it, so the
// next lookup waits for the lock forever (UserRequest), with alpcsvc's
// thread waiting for its reply and alpcapp's waiting for alpcsvc's.

#include "user/include/alpcdemo.h"

static HANDLE DbRecordLock;

static void DbLookup(ALPCDEMO_MESSAGE *message)
{
    printf("alpcdb: request %u: record %u needs the record lock\n", message->Request,
           message->Record);
    NtWaitForSingleObject(DbRecordLock, FALSE, NULL);
    snprintf(message->Text, sizeof(message->Text), "record %u from alpcdb", message->Record);
    message->Status = STATUS_SUCCESS;
    // The bug: the lock is not released (NtReleaseSemaphore is missing).
}

int main(void)
{
    HANDLE port;
    NTSTATUS status;

    status = NtCreateSemaphore(&DbRecordLock, SEMAPHORE_ALL_ACCESS, NULL, 1, 0x7fffffff);
    if (NT_SUCCESS(status))
        status = AlpcDemoCreatePort(ALPCDEMO_DB_PORT, &port);
    if (!NT_SUCCESS(status)) {
        printf("alpcdb: cannot create \\AlpcDbPort: %08x\n", (ULONG)status);
        return status;
    }
    printf("alpcdb: \\AlpcDbPort created\n");
    return AlpcDemoServe(port, "alpcdb", DbLookup);
}
