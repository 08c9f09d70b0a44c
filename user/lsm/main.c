// lsm.exe: the local session manager (exercise 003, user/include/logon.h).
// Its threads receive on \LSM_API_service; to create a user's session each
// asks the TermService (in one of the svchost.exe instances) for the
// session's license, and waits for its answer (WrLpcReply). As it starts,
// a thread of its own asks for the console session's license first.

#include "user/include/logon.h"

#define LSM_SERVER_THREADS 8

static HANDLE LsmTermSrv;

// The console session's (0) license, asked for once at start.
static NTSTATUS NTAPI LsmConsoleLicense(PVOID parameter)
{
    NTSTATUS status = LogonCall(LsmTermSrv, LOGON_REQUEST_LICENSE, 0);

    RtlExitUserThread(status);
}

static void LsmHandle(ALPCDEMO_MESSAGE *message)
{
    message->Status = LogonCall(LsmTermSrv, LOGON_REQUEST_LICENSE, message->Record);
}

int main(void)
{
    static LOGON_SERVER server = {.Program = "lsm", .Handler = LsmHandle};
    HANDLE thread;
    NTSTATUS status;

    status = AlpcDemoCreatePort(LOGON_LSM_PORT, &server.Port);
    if (!NT_SUCCESS(status)) {
        printf("lsm: cannot create \\LSM_API_service: %08x\n", (ULONG)status);
        return status;
    }
    // As RPC over ALPC does: the service may impersonate lsm for the call.
    status = AlpcDemoConnectAs(LOGON_TERMSRV_PORT, &LsmTermSrv, SecurityImpersonation);
    if (!NT_SUCCESS(status)) {
        printf("lsm: cannot reach the TermService: %08x\n", (ULONG)status);
        return status;
    }
    status = NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                              (PVOID)LsmConsoleLicense, NULL, 0, 0, 0, 0, NULL);
    if (!NT_SUCCESS(status))
        return status;
    NtClose(thread);
    status = LogonStartServerThreads(&server, LSM_SERVER_THREADS - 1);
    if (!NT_SUCCESS(status))
        return status;
    return AlpcDemoServe(server.Port, "lsm", LsmHandle);
}
