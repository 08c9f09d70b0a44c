// Helpers shared by the LPC test programs (tlpc, tlpcdeath, tlpcflood): test
// messages, a server's connection port, a client that connects from a
// thread of its own (NtConnectPort blocks until the server completes), and
// the server's side of the handshake.
#pragma once

#include "tests/user/uthread.h"

// NT's x64 limits for a port (NtCreatePort's largest lengths).
#define ULPC_MAX_MESSAGE_LENGTH         0x288
#define ULPC_MAX_CONNECTION_INFO_LENGTH 0x208

typedef struct _ULPC_MESSAGE {
    PORT_MESSAGE h;
    ULONG Data[32];
} ULPC_MESSAGE;

// A data-info block inside a request (LPCP_DATA_INFO's layout).
typedef struct _ULPC_DATA_INFO {
    ULONG NumberOfEntries;
    struct {
        PVOID BaseAddress;
        ULONG DataLength;
    } Entries[2];
} ULPC_DATA_INFO;

// A message with `dataLength` bytes of data, the data words set to `seed`+i.
static inline void UlpcInitMessage(ULPC_MESSAGE *message, ULONG dataLength, ULONG seed)
{
    memset(message, 0, sizeof(*message));
    message->h.u1.s1.DataLength = (CSHORT)dataLength;
    message->h.u1.s1.TotalLength = (CSHORT)(sizeof(PORT_MESSAGE) + dataLength);
    for (ULONG i = 0; i < dataLength / sizeof(ULONG); i++)
        message->Data[i] = seed + i;
}

static inline NTSTATUS UlpcCreatePort(PHANDLE port, const WCHAR *name, BOOLEAN waitable)
{
    UNICODE_STRING string;
    OBJECT_ATTRIBUTES attributes;

    RtlInitUnicodeString(&string, name);
    InitializeObjectAttributes(&attributes, name ? &string : NULL, 0, NULL, NULL);
    return waitable ? NtCreateWaitablePort(port, &attributes, ULPC_MAX_CONNECTION_INFO_LENGTH,
                                           ULPC_MAX_MESSAGE_LENGTH, 0)
                    : NtCreatePort(port, &attributes, ULPC_MAX_CONNECTION_INFO_LENGTH,
                                   ULPC_MAX_MESSAGE_LENGTH, 0);
}

// A client connecting from its own thread; Work (optional) runs once it is
// connected, with the client's port.
typedef struct _ULPC_CLIENT {
    const WCHAR *Name;
    HANDLE Port;
    NTSTATUS ConnectStatus;
    ULONG MaxMessageLength;
    UCHAR Info[64];
    ULONG InfoLength;
    BOOLEAN UseViews;
    PORT_VIEW ClientView;
    REMOTE_PORT_VIEW ServerView;
    NTSTATUS (*Work)(struct _ULPC_CLIENT *client);
    NTSTATUS WorkStatus;
    ULONG Scratch[8];
    HANDLE Thread;
} ULPC_CLIENT;

static inline NTSTATUS UlpcConnect(ULPC_CLIENT *client)
{
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), SecurityImpersonation, 0, FALSE};
    UNICODE_STRING name;

    RtlInitUnicodeString(&name, client->Name);
    client->Port = NULL;
    return NtConnectPort(&client->Port, &name, &qos, client->UseViews ? &client->ClientView : NULL,
                         client->UseViews ? &client->ServerView : NULL, &client->MaxMessageLength,
                         client->Info, &client->InfoLength);
}

static NTSTATUS NTAPI UlpcClientThread(PVOID argument)
{
    ULPC_CLIENT *client = argument;

    client->ConnectStatus = UlpcConnect(client);
    if (NT_SUCCESS(client->ConnectStatus) && client->Work)
        client->WorkStatus = client->Work(client);
    return STATUS_SUCCESS;
}

static inline NTSTATUS UlpcStartClient(ULPC_CLIENT *client)
{
    return UtStartThread(&client->Thread, UlpcClientThread, client);
}

static inline NTSTATUS UlpcJoinClient(ULPC_CLIENT *client)
{
    return UtJoinThread(client->Thread);
}

// The server's half: listen, accept (or refuse) with `context`, complete.
static inline NTSTATUS UlpcAccept(HANDLE connectionPort, PVOID context, BOOLEAN accept,
                                  PHANDLE serverPort, ULPC_MESSAGE *request)
{
    NTSTATUS status = NtListenPort(connectionPort, &request->h);

    if (!NT_SUCCESS(status))
        return status;
    status = NtAcceptConnectPort(serverPort, context, &request->h, accept, NULL, NULL);
    if (!NT_SUCCESS(status) || !accept)
        return status;
    return NtCompleteConnectPort(*serverPort);
}

// A connection from a thread of this process to its own `connectionPort`,
// named `name`: the client's port and the server's.
static inline NTSTATUS UlpcConnectToSelf(HANDLE connectionPort, const WCHAR *name,
                                         PHANDLE clientPort, PHANDLE serverPort)
{
    ULPC_CLIENT client;
    ULPC_MESSAGE request;
    NTSTATUS status;

    memset(&client, 0, sizeof(client));
    client.Name = name;
    *clientPort = NULL;
    status = UlpcStartClient(&client);
    if (!NT_SUCCESS(status))
        return status;
    // Not accepted: the client may still wait in NtConnectPort; no join.
    status = UlpcAccept(connectionPort, NULL, TRUE, serverPort, &request);
    if (NT_SUCCESS(status))
        status = UlpcJoinClient(&client);
    if (NT_SUCCESS(status))
        status = client.ConnectStatus;
    *clientPort = client.Port;
    return status;
}

// A receive that gives up after `ms` (STATUS_TIMEOUT) instead of hanging a test.
static inline NTSTATUS UlpcReceive(HANDLE port, PVOID *context, ULPC_MESSAGE *reply,
                                   ULPC_MESSAGE *receive, LONGLONG ms)
{
    LARGE_INTEGER timeout = UtMilliseconds(ms);

    return NtReplyWaitReceivePortEx(port, context, reply ? &reply->h : NULL, &receive->h,
                                    &timeout);
}

// KWAIT_REASON values the LPC tests look for.
#define ULPC_WAIT_EXECUTIVE   0     // NtConnectPort waiting for the server
#define ULPC_WAIT_LPC_RECEIVE 16    // WrLpcReceive
#define ULPC_WAIT_LPC_REPLY   17    // WrLpcReply

// Polls until a thread of process `pid` (thread `tid`, or any when NULL)
// waits for `reason`; FALSE if none does within UT_THREAD_PATIENCE_MS.
static inline BOOLEAN UlpcWaitForWaitReason(HANDLE pid, HANDLE tid, ULONG reason)
{
    static UCHAR buffer[64 * 1024] __attribute__((aligned(8)));
    LARGE_INTEGER tick = UtMilliseconds(1);

    for (int polls = 0; polls < UT_THREAD_PATIENCE_MS; polls++) {
        SYSTEM_PROCESS_INFORMATION *entry = (SYSTEM_PROCESS_INFORMATION *)buffer;

        if (NT_SUCCESS(NtQuerySystemInformation(SystemProcessInformation, buffer,
                                                sizeof(buffer), NULL))) {
            for (;;) {
                if (entry->UniqueProcessId == pid) {
                    for (ULONG i = 0; i < entry->NumberOfThreads; i++) {
                        if (entry->Threads[i].ThreadState == UT_THREAD_STATE_WAITING &&
                            entry->Threads[i].WaitReason == reason &&
                            (!tid || entry->Threads[i].ClientId.UniqueThread == tid))
                            return TRUE;
                    }
                    break;
                }
                if (!entry->NextEntryOffset)
                    break;
                entry = (SYSTEM_PROCESS_INFORMATION *)((UCHAR *)entry + entry->NextEntryOffset);
            }
        }
        NtDelayExecution(FALSE, &tick);
    }
    return FALSE;
}

// This program again as a child process, with `commandLine`.
static inline NTSTATUS UlpcStartChild(const WCHAR *image, const WCHAR *commandLine,
                                      PHANDLE process, HANDLE *pid)
{
    UNICODE_STRING imageName, line;
    CLIENT_ID clientId;
    NTSTATUS status;

    RtlInitUnicodeString(&imageName, image);
    RtlInitUnicodeString(&line, commandLine);
    status = NtCreateProcessFromArchive(process, NULL, PROCESS_ALL_ACCESS, THREAD_ALL_ACCESS,
                                        NULL, &imageName, &line, 0, &clientId);
    if (NT_SUCCESS(status) && pid)
        *pid = clientId.UniqueProcess;
    return status;
}

// Kills a child and waits for it to be gone.
static inline NTSTATUS UlpcKillChild(HANDLE process)
{
    LARGE_INTEGER patience = UtMilliseconds(UT_THREAD_PATIENCE_MS);
    NTSTATUS status = NtTerminateProcess(process, 0x1DEAD);

    if (NT_SUCCESS(status))
        status = NtWaitForSingleObject(process, FALSE, &patience);
    NtClose(process);
    return status;
}

