// talpcx: user-mode tests of ALPC's extensions (kernel/alpc/alpcx.h): the
// message attributes (context, security), impersonation, port sections and
// views, and the death of either side with a view mapped. The in-kernel
// runner checks pool and pages after each test program.
//
// The helpers here: a server port, a client thread that connects (as
// someone else, if given a token) and then runs its work, and the accept.
#pragma once

#include "tests/user/uthread.h"
#include "tests/user/ustudent.h"

#define TX_PATIENCE_MS 5000

typedef struct _TX_MESSAGE {
    PORT_MESSAGE h;
    ULONG Data[30];
} TX_MESSAGE;

// An attribute buffer with room for every attribute.
typedef union _TX_ATTRIBUTES {
    ALPC_MESSAGE_ATTRIBUTES Header;
    ULONG64 Storage[24];
} TX_ATTRIBUTES;

typedef struct _TX_CLIENT TX_CLIENT;
struct _TX_CLIENT {
    const WCHAR *Name;
    ULONG PortFlags;                        // ALPC_PORT_ATTRIBUTES.Flags
    SECURITY_QUALITY_OF_SERVICE Qos;        // the connection's
    HANDLE Token;                           // impersonated while connecting and working
    NTSTATUS (*Work)(TX_CLIENT *client);
    PVOID Context;                          // the work's
    HANDLE Port;
    HANDLE Thread;
    NTSTATUS ConnectStatus;
    NTSTATUS WorkStatus;
};

static inline void TxInitMessage(TX_MESSAGE *message, ULONG dataLength, ULONG value)
{
    memset(message, 0, sizeof(*message));
    message->h.u1.s1.DataLength = (CSHORT)dataLength;
    message->h.u1.s1.TotalLength = (CSHORT)(sizeof(PORT_MESSAGE) + dataLength);
    message->Data[0] = value;
}

static inline NTSTATUS TxInitAttributes(TX_ATTRIBUTES *attributes, ULONG flags)
{
    ULONG required;

    memset(attributes, 0, sizeof(*attributes));
    return AlpcInitializeMessageAttribute(flags, &attributes->Header, sizeof(*attributes),
                                          &required);
}

// A named server port anyone may connect to (a NULL DACL: the tests'
// clients connect as the student too).
static inline NTSTATUS TxCreateServer(PHANDLE port, const WCHAR *name, ULONG flags)
{
    ALPC_PORT_ATTRIBUTES attributes;
    OBJECT_ATTRIBUTES objectAttributes;
    SECURITY_DESCRIPTOR descriptor;
    UNICODE_STRING portName;

    memset(&attributes, 0, sizeof(attributes));
    attributes.Flags = flags;
    attributes.MaxMessageLength = sizeof(TX_MESSAGE);
    RtlCreateSecurityDescriptor(&descriptor, SECURITY_DESCRIPTOR_REVISION);
    RtlSetDaclSecurityDescriptor(&descriptor, TRUE, NULL, FALSE);
    RtlInitUnicodeString(&portName, name);
    InitializeObjectAttributes(&objectAttributes, &portName, 0, NULL, &descriptor);
    return NtAlpcCreatePort(port, &objectAttributes, &attributes);
}

// Receives on `port` (waiting up to TX_PATIENCE_MS), with `attributes` (or NULL).
static inline NTSTATUS TxReceive(HANDLE port, TX_MESSAGE *message, TX_ATTRIBUTES *attributes)
{
    LARGE_INTEGER timeout = UtMilliseconds(TX_PATIENCE_MS);
    SIZE_T length = sizeof(*message);

    return NtAlpcSendWaitReceivePort(port, 0, NULL, NULL, &message->h, &length,
                                     attributes ? &attributes->Header : NULL, &timeout);
}

// A reply through `port` to the request `message` (its ids kept).
static inline NTSTATUS TxReply(HANDLE port, TX_MESSAGE *message, TX_ATTRIBUTES *attributes)
{
    return NtAlpcSendWaitReceivePort(port, ALPC_MSGFLG_REPLY_MESSAGE, &message->h,
                                     attributes ? &attributes->Header : NULL, NULL, NULL,
                                     NULL, NULL);
}

// A synchronous request from a client, its reply into `reply`.
static inline NTSTATUS TxRequest(HANDLE port, TX_MESSAGE *request, TX_ATTRIBUTES *send,
                                 TX_MESSAGE *reply, TX_ATTRIBUTES *receive)
{
    SIZE_T length = sizeof(*reply);

    return NtAlpcSendWaitReceivePort(port, ALPC_MSGFLG_SYNC_REQUEST, &request->h,
                                     send ? &send->Header : NULL, &reply->h, &length,
                                     receive ? &receive->Header : NULL, NULL);
}

static NTSTATUS NTAPI TxClientThread(PVOID argument)
{
    TX_CLIENT *client = argument;
    ALPC_PORT_ATTRIBUTES attributes;
    UNICODE_STRING name;
    HANDLE none = NULL;

    if (client->Token)
        NtSetInformationThread(NtCurrentThread(), ThreadImpersonationToken, &client->Token,
                               sizeof(HANDLE));
    memset(&attributes, 0, sizeof(attributes));
    attributes.Flags = client->PortFlags;
    attributes.SecurityQos = client->Qos;
    attributes.MaxMessageLength = sizeof(TX_MESSAGE);
    RtlInitUnicodeString(&name, client->Name);
    client->ConnectStatus = NtAlpcConnectPort(&client->Port, &name, NULL, &attributes,
                                              ALPC_MSGFLG_SYNC_REQUEST, NULL, NULL, NULL, NULL,
                                              NULL, NULL);
    if (NT_SUCCESS(client->ConnectStatus) && client->Work)
        client->WorkStatus = client->Work(client);
    NtSetInformationThread(NtCurrentThread(), ThreadImpersonationToken, &none, sizeof(none));
    return STATUS_SUCCESS;
}

// Starts the client thread and accepts its connection on `serverPort`,
// giving the server communication port `context`. FALSE (a failure
// reported) when either side failed.
static inline BOOLEAN TxConnect(TX_CLIENT *client, HANDLE serverPort, PVOID context,
                                PHANDLE communicationPort)
{
    TX_MESSAGE request;

    if (!client->Qos.Length)
        client->Qos = (SECURITY_QUALITY_OF_SERVICE){sizeof(client->Qos), SecurityImpersonation,
                                                    SECURITY_STATIC_TRACKING, FALSE};
    if (UtStartThread(&client->Thread, TxClientThread, client) != STATUS_SUCCESS) {
        UtFail(__FILE__, __LINE__, "no client thread");
        return FALSE;
    }
    // Notices of earlier clients' ports closing may come first.
    do {
        if (TxReceive(serverPort, &request, NULL) != STATUS_SUCCESS) {
            UtFail(__FILE__, __LINE__, "no connection request");
            return FALSE;
        }
    } while ((request.h.u2.s2.Type & 0xFF) == LPC_PORT_CLOSED ||
             (request.h.u2.s2.Type & 0xFF) == LPC_CLIENT_DIED);
    if ((request.h.u2.s2.Type & 0xFF) != LPC_CONNECTION_REQUEST) {
        UtFail(__FILE__, __LINE__, "not a connection request");
        return FALSE;
    }
    if (NtAlpcAcceptConnectPort(communicationPort, serverPort, 0, NULL, NULL, context,
                                &request.h, NULL, TRUE) != STATUS_SUCCESS) {
        UtFail(__FILE__, __LINE__, "the accept failed");
        return FALSE;
    }
    return TRUE;
}

// Waits for the client thread, which must have connected and done its work.
static inline void TxJoin(TX_CLIENT *client, NTSTATUS expectedWork)
{
    UT_EXPECT_STATUS(UtJoinThread(client->Thread), STATUS_SUCCESS);
    UT_EXPECT_STATUS(client->ConnectStatus, STATUS_SUCCESS);
    UT_EXPECT_STATUS(client->WorkStatus, expectedWork);
    if (client->Port)
        NtClose(client->Port);
}

// The student as an impersonation token at `level`.
static inline HANDLE TxStudentToken(SECURITY_IMPERSONATION_LEVEL level)
{
    STUDENT_ARGUMENTS a;
    HANDLE token = NULL;

    StudentArguments(&a);
    a.Type = TokenImpersonation;
    a.Attributes.SecurityQualityOfService = &a.Qos;
    a.Qos.ImpersonationLevel = level;
    if (StudentCreateToken(&a, &token) != STATUS_SUCCESS)
        UtFail(__FILE__, __LINE__, "no student token");
    return token;
}

// Who the calling thread runs as: its token's user is the student (1),
// SYSTEM (0), or it has no token or another user (-1); *level its level.
static inline int TxWhoAmI(SECURITY_IMPERSONATION_LEVEL *level)
{
    union {
        TOKEN_USER User;
        UCHAR Bytes[64];
    } user;
    HANDLE token;
    ULONG length;
    int who = -1;

    if (NtOpenThreadToken(NtCurrentThread(), TOKEN_QUERY, TRUE, &token) != STATUS_SUCCESS)
        return 0;
    if (NtQueryInformationToken(token, TokenUser, &user, sizeof(user), &length) ==
        STATUS_SUCCESS)
        who = RtlEqualSid(user.User.User.Sid, (SID *)StudentSid) ? 1 : -1;
    if (level)
        NtQueryInformationToken(token, TokenImpersonationLevel, level, sizeof(*level), &length);
    NtClose(token);
    return who;
}

static inline void TxRevert(void)
{
    HANDLE none = NULL;

    NtSetInformationThread(NtCurrentThread(), ThreadImpersonationToken, &none, sizeof(none));
}

extern const UTEST TxAttributeTestList[];
extern const int TxAttributeTestCount;
extern const UTEST TxSecurityTestList[];
extern const int TxSecurityTestCount;
extern const UTEST TxViewTestList[];
extern const int TxViewTestCount;
int TxViewChild(const char *role);
