// alpcdb.exe: demo=alpc's second server (kernel/kd/demoalpc.c), the end of
// the chain. It looks records up under a one-slot record lock (a
// semaphore); after the first lookup it forgets to release it, so the
// next lookup waits for the lock (UserRequest, on the semaphore and a
// day-long timeout), with alpcsvc's thread waiting for its reply and
// alpcapp's waiting for alpcsvc's.

#include "user/include/alpcdemo.h"

static HANDLE DbRecordLock;

// How long a lookup waits for the record lock before it gives up: a day,
// so that the thread waits on a timer too, as the case study's does.
#define DB_LOCK_TIMEOUT (-24LL * 3600 * 1000 * 10000)

static void DbLookup(ALPCDEMO_MESSAGE *message)
{
    LARGE_INTEGER timeout = {.QuadPart = DB_LOCK_TIMEOUT};
    NTSTATUS status;

    printf("alpcdb: request %u: record %u needs the record lock\n", message->Request,
           message->Record);
    status = NtWaitForSingleObject(DbRecordLock, FALSE, &timeout);
    if (status != STATUS_WAIT_0) {
        message->Status = status;
        return;
    }
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
