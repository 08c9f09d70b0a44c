// What the three programs of demo=alpc share (kernel/kd/demoalpc.c): the
// message they exchange and the two port names. alpcapp.exe (the client)
// asks alpcsvc.exe (a server) for records; alpcsvc answers the ones it has
// cached and asks alpcdb.exe (a second server) for the others, from the
// same thread, while its own client waits. alpcdb takes its one-slot record
// lock for each lookup and, through a bug, never gives it back after the
// first: the second lookup waits for the lock (for a day, its timeout), and
// so do alpcsvc's thread and alpcapp's, each in NtAlpcSendWaitReceivePort
// (WrLpcReply).
#pragma once

#include "user/include/runtime.h"
#include "kernel/ndk/ntalpcapi.h"

#define ALPCDEMO_SVC_PORT u"\\AlpcSvcPort"      // alpcsvc's connection port
#define ALPCDEMO_DB_PORT  u"\\AlpcDbPort"       // alpcdb's

typedef struct _ALPCDEMO_MESSAGE {
    PORT_MESSAGE h;
    ULONG Request;          // numbered from 1 by the client
    ULONG Record;           // the record asked for
    NTSTATUS Status;
    char Text[52];          // the record, in the reply
} ALPCDEMO_MESSAGE;

static inline void AlpcDemoInitializeMessage(ALPCDEMO_MESSAGE *message)
{
    memset(message, 0, sizeof(*message));
    message->h.u1.s1.DataLength = (CSHORT)(sizeof(*message) - sizeof(PORT_MESSAGE));
    message->h.u1.s1.TotalLength = (CSHORT)sizeof(*message);
}

static inline void AlpcDemoInitializeAttributes(ALPC_PORT_ATTRIBUTES *attributes)
{
    memset(attributes, 0, sizeof(*attributes));
    attributes->MaxMessageLength = sizeof(ALPCDEMO_MESSAGE);
}

// Connects to `name`, waiting (10 ms at a time, up to 10 s) for its server
// to create it: the three programs start together. `level`: how far the
// server may impersonate this client (SecurityAnonymous: not at all).
static inline NTSTATUS AlpcDemoConnectAs(const WCHAR *name, HANDLE *port,
                                         SECURITY_IMPERSONATION_LEVEL level)
{
    LARGE_INTEGER pause = {.QuadPart = -10LL * 1000 * 10};
    ALPC_PORT_ATTRIBUTES attributes;
    UNICODE_STRING portName;
    NTSTATUS status = STATUS_OBJECT_NAME_NOT_FOUND;

    RtlInitUnicodeString(&portName, name);
    for (ULONG i = 0; i < 1000 && status == STATUS_OBJECT_NAME_NOT_FOUND; i++) {
        AlpcDemoInitializeAttributes(&attributes);
        if (level != SecurityAnonymous) {
            attributes.Flags |= ALPC_PORFLG_ALLOW_IMPERSONATION;
            attributes.SecurityQos.Length = sizeof(attributes.SecurityQos);
            attributes.SecurityQos.ImpersonationLevel = level;
            attributes.SecurityQos.ContextTrackingMode = SECURITY_DYNAMIC_TRACKING;
        }
        status = NtAlpcConnectPort(port, &portName, NULL, &attributes, ALPC_MSGFLG_SYNC_REQUEST,
                                   NULL, NULL, NULL, NULL, NULL, NULL);
        if (status == STATUS_OBJECT_NAME_NOT_FOUND)
            NtDelayExecution(FALSE, &pause);
    }
    return status;
}

static inline NTSTATUS AlpcDemoConnect(const WCHAR *name, HANDLE *port)
{
    return AlpcDemoConnectAs(name, port, SecurityAnonymous);
}

// Creates the named connection port a server receives on; anyone may
// connect (Everyone in its DACL), so that any user can try the demo.
static inline NTSTATUS AlpcDemoCreatePort(const WCHAR *name, HANDLE *port)
{
    ALPC_PORT_ATTRIBUTES attributes;
    OBJECT_ATTRIBUTES objectAttributes;
    UNICODE_STRING portName;
    static SERVER_PORT_SECURITY security;
    NTSTATUS status;

    status = RtlCreateServerPortSecurity(&security, TRUE);
    if (!NT_SUCCESS(status))
        return status;
    RtlInitUnicodeString(&portName, name);
    InitializeObjectAttributes(&objectAttributes, &portName, 0, NULL, &security.Descriptor);
    AlpcDemoInitializeAttributes(&attributes);
    return NtAlpcCreatePort(port, &objectAttributes, &attributes);
}

// What a server does with a request: fills in the reply in place.
typedef void (*ALPCDEMO_HANDLER)(ALPCDEMO_MESSAGE *message);

// A server's one thread: receives on its connection port, accepts every
// connection (each with its own port context, so that !alpc shows one),
// answers every request through the connection port, as NT's servers do.
static inline NTSTATUS AlpcDemoServe(HANDLE port, const char *program, ALPCDEMO_HANDLER handler)
{
    static ULONG connections[8];        // the port contexts
    ALPCDEMO_MESSAGE message, reply;
    BOOLEAN replying = FALSE;
    ULONG accepted = 0;

    for (;;) {
        SIZE_T length = sizeof(message);
        NTSTATUS status;

        status = NtAlpcSendWaitReceivePort(port, replying ? ALPC_MSGFLG_REPLY_MESSAGE : 0,
                                           replying ? &reply.h : NULL, NULL, &message.h,
                                           &length, NULL, NULL);
        replying = FALSE;
        if (!NT_SUCCESS(status)) {
            printf("%s: receive failed: %08x\n", program, (ULONG)status);
            return status;
        }
        switch (message.h.u2.s2.Type & 0xFF) {
        case LPC_CONNECTION_REQUEST: {
            HANDLE communication;
            ALPC_PORT_ATTRIBUTES attributes;

            AlpcDemoInitializeAttributes(&attributes);
            status = NtAlpcAcceptConnectPort(&communication, port, 0, NULL, &attributes,
                                             &connections[accepted % 8], &message.h, NULL,
                                             TRUE);
            accepted++;
#ifndef ALPCDEMO_QUIET          // an exercise's programs say nothing that gives it away
            printf("%s: client %llx connected (%08x)\n", program,
                   (unsigned long long)(ULONG_PTR)message.h.ClientId.UniqueProcess,
                   (ULONG)status);
#endif
            break;
        }
        case LPC_REQUEST:
            reply = message;
            handler(&reply);
            replying = TRUE;
            break;
        default:
            break;
        }
    }
}
