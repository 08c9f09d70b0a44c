// What the logon programs of exercise 003 share (kernel/kd/ex003.c starts
// them): winlogon.exe asks its session's LogonUI.exe to show the logon
// (ALPC), LogonUI asks lsm.exe to create the user's session, lsm asks the
// TermService in one of the svchost.exe instances, and that service opens
// the domain controller's lsarpc pipe (a UNC path, through Mup). Each
// request is synchronous: each asker waits in NtAlpcSendWaitReceivePort
// (WrLpcReply) until the answer comes. The messages and the ALPC helpers
// are demo=alpc's (alpcdemo.h).
#pragma once

// Exercise 003's programs are quiet: the boot text names the symptom only.
#define ALPCDEMO_QUIET 1
#include "user/include/alpcdemo.h"

#define LOGON_LSM_PORT      u"\\LSM_API_service"
#define LOGON_TERMSRV_PORT  u"\\RPC Control\\TermSrvApi"
#define LOGON_LOGONUI_PORT  u"\\RPC Control\\LogonUI"        // then the session's number
#define LOGON_DC_PIPE       u"\\Device\\Mup\\DC005.contoso.com\\PIPE\\lsarpc"

#define LOGON_REQUEST_LOGON          1      // winlogon -> LogonUI
#define LOGON_REQUEST_CREATE_SESSION 2      // LogonUI -> lsm
#define LOGON_REQUEST_LICENSE        3      // lsm -> TermService

// The command line's word `index` (0 is the program's name), as ASCII in
// `word`; FALSE when there is none.
static inline BOOLEAN LogonArgument(ULONG index, char *word, ULONG size)
{
    const UNICODE_STRING *line = &NtCurrentPeb()->ProcessParameters->CommandLine;
    ULONG count = line->Length / sizeof(WCHAR), at = 0;

    for (ULONG i = 0; i <= index; i++) {
        ULONG length = 0;

        while (at < count && line->Buffer[at] == u' ')
            at++;
        if (at == count)
            return FALSE;
        while (at < count && line->Buffer[at] != u' ') {
            if (i == index && length + 1 < size)
                word[length++] = (char)line->Buffer[at];
            at++;
        }
        if (i == index)
            word[length] = '\0';
    }
    return TRUE;
}

// The caller's session (its token's, which follows its process's), as text.
static inline NTSTATUS LogonSessionId(char *text, ULONG size)
{
    HANDLE token;
    ULONG sessionId = 0, returned;
    NTSTATUS status = NtOpenProcessToken(NtCurrentProcess(), TOKEN_QUERY, &token);

    if (!NT_SUCCESS(status))
        return status;
    status = NtQueryInformationToken(token, TokenSessionId, &sessionId, sizeof(sessionId),
                                     &returned);
    NtClose(token);
    if (NT_SUCCESS(status))
        snprintf(text, size, "%u", sessionId);
    return status;
}

// A wide copy of ASCII `text` after `prefix`, in `buffer`.
static inline void LogonWideName(WCHAR *buffer, ULONG count, const WCHAR *prefix,
                                 const char *text)
{
    ULONG at = 0;

    for (; *prefix && at + 1 < count; prefix++)
        buffer[at++] = *prefix;
    for (; *text && at + 1 < count; text++)
        buffer[at++] = (WCHAR)*text;
    buffer[at] = 0;
}

// Sends `request` to `port` and waits for the answer.
static inline NTSTATUS LogonCall(HANDLE port, ULONG request, ULONG record)
{
    ALPCDEMO_MESSAGE message, answer;
    SIZE_T length = sizeof(answer);
    NTSTATUS status;

    AlpcDemoInitializeMessage(&message);
    message.Request = request;
    message.Record = record;
    status = NtAlpcSendWaitReceivePort(port, ALPC_MSGFLG_SYNC_REQUEST, &message.h, NULL,
                                       &answer.h, &length, NULL, NULL);
    return NT_SUCCESS(status) ? answer.Status : status;
}

// More threads on a server's port, each receiving and answering as the
// first (AlpcDemoServe), so that requests from several clients are handled
// at once.
typedef struct _LOGON_SERVER {
    HANDLE Port;
    const char *Program;
    ALPCDEMO_HANDLER Handler;
} LOGON_SERVER;

static NTSTATUS NTAPI LogonServerThread(PVOID parameter)
{
    const LOGON_SERVER *server = parameter;

    RtlExitUserThread(AlpcDemoServe(server->Port, server->Program, server->Handler));
}

static inline NTSTATUS LogonStartServerThreads(const LOGON_SERVER *server, ULONG count)
{
    for (ULONG i = 0; i < count; i++) {
        HANDLE thread;
        NTSTATUS status = NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                                           (PVOID)LogonServerThread, (PVOID)server, 0, 0, 0, 0,
                                           NULL);

        if (!NT_SUCCESS(status))
            return status;
        NtClose(thread);
    }
    return STATUS_SUCCESS;
}

// A day at a time, for good.
static inline void __attribute__((noreturn)) LogonIdle(void)
{
    LARGE_INTEGER day = {.QuadPart = -864000000000LL};

    for (;;)
        NtDelayExecution(FALSE, &day);
}
