// winlogon.exe: one per logon session (exercise 003, user/include/
// logon.h). It asks its session's LogonUI.exe to run the logon and waits
// for the answer (WrLpcReply) before it would go on to apply the user's
// settings.

#include "user/include/logon.h"

int main(void)
{
    WCHAR portName[64];
    char session[16];
    HANDLE port;
    NTSTATUS status;

    status = LogonSessionId(session, sizeof(session));
    if (!NT_SUCCESS(status)) {
        printf("winlogon: cannot tell its session: %08x\n", (ULONG)status);
        return status;
    }
    LogonWideName(portName, ARRAYSIZE(portName), LOGON_LOGONUI_PORT, session);
    status = AlpcDemoConnect(portName, &port);
    if (!NT_SUCCESS(status)) {
        printf("winlogon: session %s: cannot reach LogonUI: %08x\n", session, (ULONG)status);
        return status;
    }
    status = LogonCall(port, LOGON_REQUEST_LOGON, 0);
    printf("winlogon: session %s: the logon ended: %08x\n", session, (ULONG)status);
    LogonIdle();
}
