// Helpers the ALPC test programs share (talpc, talpcdeath, talpcstress):
// a message with room for data, a server's connection port, a client that
// connects (in its own thread when the test must do something meanwhile),
// a receive with a bound, and an accept of the next connection request.
#pragma once

#include "tests/user/ulpc.h"

typedef struct _UALPC_MESSAGE {
    PORT_MESSAGE h;
    UCHAR Data[0x200];
} UALPC_MESSAGE;

// A message with `dataLength` bytes of data, each `seed + i`.
static inline void UalpcInitMessage(UALPC_MESSAGE *message, ULONG dataLength, ULONG seed)
{
    memset(&message->h, 0, sizeof(message->h));
    message->h.u1.s1.DataLength = (CSHORT)dataLength;
    message->h.u1.s1.TotalLength = (CSHORT)(sizeof(PORT_MESSAGE) + dataLength);
    for (ULONG i = 0; i < dataLength && i < sizeof(message->Data); i++)
        message->Data[i] = (UCHAR)(seed + i);
}

static inline NTSTATUS UalpcCreatePort(PHANDLE port, const WCHAR *name,
                                       ALPC_PORT_ATTRIBUTES *attributes)
{
    UNICODE_STRING string;
    OBJECT_ATTRIBUTES objectAttributes;

    if (name)
        RtlInitUnicodeString(&string, name);
    InitializeObjectAttributes(&objectAttributes, name ? &string : NULL, 0, NULL, NULL);
    return NtAlpcCreatePort(port, &objectAttributes, attributes);
}

typedef struct _UALPC_CLIENT {
    const WCHAR *Name;
    ULONG ConnectDataLength;        // bytes of connection data sent
    LARGE_INTEGER *Timeout;
    HANDLE Port;                    // the client communication port, or NULL
    UALPC_MESSAGE Connection;       // what went, then what the server answered
    SIZE_T AnswerLength;
    NTSTATUS ConnectStatus;
    HANDLE Thread;
} UALPC_CLIENT;

static inline NTSTATUS UalpcConnect(UALPC_CLIENT *client)
{
    UNICODE_STRING name;
    SIZE_T length = sizeof(client->Connection);

    RtlInitUnicodeString(&name, client->Name);
    UalpcInitMessage(&client->Connection, client->ConnectDataLength, 0x40);
    client->Port = NULL;
    client->ConnectStatus = NtAlpcConnectPort(&client->Port, &name, NULL, NULL,
                                              ALPC_MSGFLG_SYNC_REQUEST, NULL,
                                              &client->Connection.h, &length, NULL, NULL,
                                              client->Timeout);
    client->AnswerLength = length;
    return client->ConnectStatus;
}

static NTSTATUS NTAPI UalpcConnectThread(PVOID argument)
{
    UALPC_CLIENT *client = argument;

    return UalpcConnect(client);
}

static inline NTSTATUS UalpcStartClient(UALPC_CLIENT *client)
{
    return UtStartThread(&client->Thread, UalpcConnectThread, client);
}

static inline NTSTATUS UalpcJoinClient(UALPC_CLIENT *client)
{
    return UtJoinThread(client->Thread);
}

// Receives on `port` within `ms` milliseconds (a reply first, if any).
static inline NTSTATUS UalpcReceive(HANDLE port, UALPC_MESSAGE *reply, UALPC_MESSAGE *message,
                                    LONGLONG ms)
{
    LARGE_INTEGER timeout = UtMilliseconds(ms);
    SIZE_T length = sizeof(*message);

    return NtAlpcSendWaitReceivePort(port, 0, reply ? &reply->h : NULL, NULL, &message->h,
                                     &length, NULL, &timeout);
}

// Receives the next connection request and accepts (or refuses) it.
static inline NTSTATUS UalpcAccept(HANDLE connectionPort, PVOID context, BOOLEAN accept,
                                   PHANDLE serverPort, UALPC_MESSAGE *request)
{
    NTSTATUS status = UalpcReceive(connectionPort, NULL, request, UT_THREAD_PATIENCE_MS);

    if (status != STATUS_SUCCESS)
        return status;
    if (request->h.u2.s2.Type != LPC_CONNECTION_REQUEST)
        return STATUS_UNSUCCESSFUL;
    *serverPort = NULL;
    return NtAlpcAcceptConnectPort(serverPort, connectionPort, 0, NULL, NULL, context,
                                   &request->h, NULL, accept);
}

// A synchronous request and its reply.
static inline NTSTATUS UalpcRequest(HANDLE port, UALPC_MESSAGE *request, UALPC_MESSAGE *reply,
                                    LARGE_INTEGER *timeout)
{
    SIZE_T length = sizeof(*reply);

    return NtAlpcSendWaitReceivePort(port, ALPC_MSGFLG_SYNC_REQUEST, &request->h, NULL,
                                     &reply->h, &length, NULL, timeout);
}
