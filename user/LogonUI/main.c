// LogonUI.exe: the logon screen of one session (exercise 003,
// user/include/logon.h). Its first thread receives winlogon's request on
// \RPC Control\LogonUI<SESSION> and hands the work to a second thread (the
// credential provider's), then waits for it on an event (UserRequest);
// the second thread asks lsm.exe to create the user's session and waits
// for its answer (WrLpcReply).

#include "user/include/logon.h"

static HANDLE LogonUiDone;          // a notification event: the provider's work is done
static NTSTATUS LogonUiResult;

static NTSTATUS NTAPI LogonUiProviderThread(PVOID parameter)
{
    HANDLE lsm;
    NTSTATUS status = AlpcDemoConnect(LOGON_LSM_PORT, &lsm);

    if (NT_SUCCESS(status)) {
        status = LogonCall(lsm, LOGON_REQUEST_CREATE_SESSION, (ULONG)(ULONG_PTR)parameter);
        NtClose(lsm);
    }
    LogonUiResult = status;
    NtSetEvent(LogonUiDone, NULL);
    RtlExitUserThread(status);
}

static void LogonUiHandle(ALPCDEMO_MESSAGE *message)
{
    HANDLE thread;
    NTSTATUS status;

    NtResetEvent(LogonUiDone, NULL);
    status = NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                              (PVOID)LogonUiProviderThread, (PVOID)(ULONG_PTR)message->Request,
                              0, 0, 0, 0, NULL);
    if (!NT_SUCCESS(status)) {
        message->Status = status;
        return;
    }
    NtClose(thread);
    NtWaitForSingleObject(LogonUiDone, FALSE, NULL);
    message->Status = LogonUiResult;
}

int main(void)
{
    WCHAR portName[64];
    char session[16];
    HANDLE port;
    NTSTATUS status;

    status = LogonSessionId(session, sizeof(session));
    if (!NT_SUCCESS(status)) {
        printf("LogonUI: cannot tell its session: %08x\n", (ULONG)status);
        return status;
    }
    status = NtCreateEvent(&LogonUiDone, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE);
    if (!NT_SUCCESS(status))
        return status;
    LogonWideName(portName, ARRAYSIZE(portName), LOGON_LOGONUI_PORT, session);
    status = AlpcDemoCreatePort(portName, &port);
    if (!NT_SUCCESS(status)) {
        printf("LogonUI: session %s: cannot create its port: %08x\n", session, (ULONG)status);
        return status;
    }
    return AlpcDemoServe(port, "LogonUI", LogonUiHandle);
}
