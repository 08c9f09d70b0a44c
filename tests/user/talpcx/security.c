// Impersonation: a server running as the client whose request it holds,
// by the request's security attribute, by the client's connection when its
// port allows it, or by a security context made once; the levels a client
// can and cannot give; and each error of NtAlpcImpersonateClientOfPort.

#include "tests/user/talpcx/talpcx.h"

#define SERVER_NAME u"\\RPC Control\\TalpcxSecurity"

typedef struct _TX_SENDS {
    SECURITY_QUALITY_OF_SERVICE Qos;        // the security attribute's, if Length is set
    ALPC_HANDLE ContextHandle;              // or this context
    HANDLE Token;                           // impersonated once connected
    NTSTATUS Status[6];
} TX_SENDS;

static void SetSecurityAttribute(TX_ATTRIBUTES *send, SECURITY_QUALITY_OF_SERVICE *qos,
                                 ALPC_HANDLE contextHandle)
{
    ALPC_SECURITY_ATTR *security;

    TxInitAttributes(send, ALPC_MESSAGE_SECURITY_ATTRIBUTE);
    security = AlpcGetMessageAttribute(&send->Header, ALPC_MESSAGE_SECURITY_ATTRIBUTE);
    security->QualityOfService = qos;
    security->ContextHandle = contextHandle;
    send->Header.ValidAttributes = ALPC_MESSAGE_SECURITY_ATTRIBUTE;
}

// One request, with the security attribute the test set up (or none).
static NTSTATUS SendOne(TX_CLIENT *client)
{
    TX_SENDS *sends = client->Context;
    TX_MESSAGE request, reply;
    TX_ATTRIBUTES send;

    TxInitMessage(&request, 8, 1);
    if (sends->Qos.Length || sends->ContextHandle) {
        SetSecurityAttribute(&send, sends->Qos.Length ? &sends->Qos : NULL,
                             sends->ContextHandle);
        sends->Status[0] = TxRequest(client->Port, &request, &send, &reply, NULL);
    } else {
        sends->Status[0] = TxRequest(client->Port, &request, NULL, &reply, NULL);
    }
    return STATUS_SUCCESS;
}

static void StartClient(TX_CLIENT *client, TX_SENDS *sends, HANDLE server,
                        PHANDLE communication)
{
    client->Name = SERVER_NAME;
    client->Context = sends;
    if (!client->Work)
        client->Work = SendOne;
    TxConnect(client, server, NULL, communication);
}

UTEST(ServerImpersonatesTheClientByItsSecurityAttribute)
{
    TX_SENDS sends = {.Qos = {sizeof(SECURITY_QUALITY_OF_SERVICE), SecurityImpersonation,
                              SECURITY_STATIC_TRACKING, FALSE}};
    TX_CLIENT client = {.Token = TxStudentToken(SecurityImpersonation)};
    SECURITY_QUALITY_OF_SERVICE told = {0};
    SECURITY_IMPERSONATION_LEVEL level = 0;
    HANDLE server, communication = NULL;
    ALPC_SECURITY_ATTR *security;
    TX_ATTRIBUTES attributes;
    TX_MESSAGE request, wrong;

    UT_EXPECT_STATUS(TxCreateServer(&server, SERVER_NAME, 0), STATUS_SUCCESS);
    StartClient(&client, &sends, server, &communication);
    TxInitAttributes(&attributes, ALPC_MESSAGE_SECURITY_ATTRIBUTE);
    security = AlpcGetMessageAttribute(&attributes.Header, ALPC_MESSAGE_SECURITY_ATTRIBUTE);
    security->QualityOfService = &told;
    UT_EXPECT_STATUS(TxReceive(server, &request, &attributes), STATUS_SUCCESS);
    // The receiver is told the message carries the client's identity, and how.
    UT_EXPECT_EQ(attributes.Header.ValidAttributes, ALPC_MESSAGE_SECURITY_ATTRIBUTE);
    UT_EXPECT_EQ(told.ImpersonationLevel, SecurityImpersonation);
    UT_EXPECT_STATUS(NtAlpcImpersonateClientOfPort(server, &request.h, (PVOID)1),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtAlpcImpersonateClientOfPort(server, UT_BAD_POINTER, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAlpcImpersonateClientOfPort(server, UT_KERNEL_POINTER, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAlpcImpersonateClientOfPort((HANDLE)0x7FF0, &request.h, NULL),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtAlpcImpersonateClientOfPort(NtCurrentThread(), &request.h, NULL),
                     STATUS_OBJECT_TYPE_MISMATCH);
    // The client side's port holds no request of its own.
    UT_EXPECT_STATUS(NtAlpcImpersonateClientOfPort(client.Port, &request.h, NULL),
                     STATUS_INVALID_PORT_HANDLE);
    wrong = request;
    wrong.h.MessageId += 4000;
    UT_EXPECT_STATUS(NtAlpcImpersonateClientOfPort(server, &wrong.h, NULL),
                     STATUS_REPLY_MESSAGE_MISMATCH);
    UT_EXPECT_EQ(TxWhoAmI(NULL), 0);
    // Through the connection port it was received on, or the connection's own port.
    UT_EXPECT_STATUS(NtAlpcImpersonateClientOfPort(server, &request.h, NULL), STATUS_SUCCESS);
    UT_EXPECT_EQ(TxWhoAmI(&level), 1);
    UT_EXPECT_EQ(level, SecurityImpersonation);
    TxRevert();
    UT_EXPECT_EQ(TxWhoAmI(NULL), 0);
    UT_EXPECT_STATUS(NtAlpcImpersonateClientOfPort(communication, &request.h, NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(TxWhoAmI(NULL), 1);
    TxRevert();
    UT_EXPECT_STATUS(TxReply(server, &request, NULL), STATUS_SUCCESS);
    // Answered: no one waits for it any more.
    UT_EXPECT_STATUS(NtAlpcImpersonateClientOfPort(server, &request.h, NULL),
                     STATUS_REPLY_MESSAGE_MISMATCH);
    TxJoin(&client, STATUS_SUCCESS);
    UT_EXPECT_STATUS(sends.Status[0], STATUS_SUCCESS);
    NtClose(client.Token);
    NtClose(communication);
    NtClose(server);
}

// Without a security attribute the client's port decides.
UTEST(ImpersonationWithoutAttributeNeedsTheClientPortsConsent)
{
    TX_SENDS sends[2];
    TX_CLIENT refusing = {.Token = TxStudentToken(SecurityImpersonation)};
    TX_CLIENT allowing = {.Token = refusing.Token, .PortFlags = ALPC_PORFLG_ALLOW_IMPERSONATION};
    HANDLE server, communication[2] = {NULL, NULL};
    TX_MESSAGE request;

    memset(sends, 0, sizeof(sends));
    UT_EXPECT_STATUS(TxCreateServer(&server, SERVER_NAME, 0), STATUS_SUCCESS);
    StartClient(&refusing, &sends[0], server, &communication[0]);
    UT_EXPECT_STATUS(TxReceive(server, &request, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcImpersonateClientOfPort(server, &request.h, NULL),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_EQ(TxWhoAmI(NULL), 0);
    UT_EXPECT_STATUS(TxReply(server, &request, NULL), STATUS_SUCCESS);
    TxJoin(&refusing, STATUS_SUCCESS);
    StartClient(&allowing, &sends[1], server, &communication[1]);
    UT_EXPECT_STATUS(TxReceive(server, &request, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcImpersonateClientOfPort(server, &request.h, NULL), STATUS_SUCCESS);
    // The client as it connected: the student, at its QoS's level.
    UT_EXPECT_EQ(TxWhoAmI(NULL), 1);
    TxRevert();
    UT_EXPECT_STATUS(TxReply(server, &request, NULL), STATUS_SUCCESS);
    TxJoin(&allowing, STATUS_SUCCESS);
    UT_EXPECT_STATUS(sends[0].Status[0], STATUS_SUCCESS);
    UT_EXPECT_STATUS(sends[1].Status[0], STATUS_SUCCESS);
    NtClose(refusing.Token);
    NtClose(communication[0]);
    NtClose(communication[1]);
    NtClose(server);
}

// Dynamic tracking: the client as it is when the server impersonates it
// (it stopped being the student before it sent), not as it connected.
static NTSTATUS RevertThenSend(TX_CLIENT *client)
{
    TxRevert();
    return SendOne(client);
}

UTEST(DynamicTrackingImpersonatesTheClientAsItIsNow)
{
    TX_SENDS sends;
    TX_CLIENT client = {.Token = TxStudentToken(SecurityImpersonation),
                        .PortFlags = ALPC_PORFLG_ALLOW_IMPERSONATION, .Work = RevertThenSend};
    SECURITY_IMPERSONATION_LEVEL level = 0;
    HANDLE server, communication = NULL;
    TX_MESSAGE request;

    memset(&sends, 0, sizeof(sends));
    client.Qos = (SECURITY_QUALITY_OF_SERVICE){sizeof(client.Qos), SecurityImpersonation,
                                               SECURITY_DYNAMIC_TRACKING, FALSE};
    UT_EXPECT_STATUS(TxCreateServer(&server, SERVER_NAME, 0), STATUS_SUCCESS);
    StartClient(&client, &sends, server, &communication);
    UT_EXPECT_STATUS(TxReceive(server, &request, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcImpersonateClientOfPort(server, &request.h, NULL), STATUS_SUCCESS);
    // SYSTEM now, at the connection's level.
    UT_EXPECT_EQ(TxWhoAmI(&level), -1);
    UT_EXPECT_EQ(level, SecurityImpersonation);
    TxRevert();
    UT_EXPECT_STATUS(TxReply(server, &request, NULL), STATUS_SUCCESS);
    TxJoin(&client, STATUS_SUCCESS);
    UT_EXPECT_STATUS(sends.Status[0], STATUS_SUCCESS);
    NtClose(client.Token);
    NtClose(communication);
    NtClose(server);
}

// A client impersonating the student at SecurityIdentification cannot
// give more; what it gives, the server may look at but not act as.
static NTSTATUS SendAtThreeLevels(TX_CLIENT *client)
{
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), SecurityImpersonation,
                                       SECURITY_STATIC_TRACKING, FALSE};
    TX_SENDS *sends = client->Context;
    TX_MESSAGE request, reply;
    TX_ATTRIBUTES send;

    // Connected as itself: at SecurityIdentification it could open no port.
    NtSetInformationThread(NtCurrentThread(), ThreadImpersonationToken, &sends->Token,
                           sizeof(HANDLE));
    TxInitMessage(&request, 8, 1);
    SetSecurityAttribute(&send, &qos, NULL);
    sends->Status[0] = TxRequest(client->Port, &request, &send, &reply, NULL);
    qos.ImpersonationLevel = SecurityDelegation + 1;
    sends->Status[1] = TxRequest(client->Port, &request, &send, &reply, NULL);
    qos.ImpersonationLevel = SecurityIdentification;
    qos.ContextTrackingMode = 7;
    sends->Status[2] = TxRequest(client->Port, &request, &send, &reply, NULL);
    qos.ContextTrackingMode = SECURITY_STATIC_TRACKING;
    TxInitMessage(&request, 8, 4);
    sends->Status[3] = TxRequest(client->Port, &request, &send, &reply, NULL);
    return STATUS_SUCCESS;
}

UTEST(ImpersonationLevelIsTheClientsToGive)
{
    TX_SENDS sends;
    TX_CLIENT client = {.Work = SendAtThreeLevels};
    SECURITY_IMPERSONATION_LEVEL level = 0;
    HANDLE server, communication = NULL, token;
    TX_MESSAGE request;

    memset(&sends, 0, sizeof(sends));
    sends.Token = TxStudentToken(SecurityIdentification);
    UT_EXPECT_STATUS(TxCreateServer(&server, SERVER_NAME, 0), STATUS_SUCCESS);
    StartClient(&client, &sends, server, &communication);
    UT_EXPECT_STATUS(TxReceive(server, &request, NULL), STATUS_SUCCESS);
    // Only the last one arrives.
    UT_EXPECT_EQ(request.Data[0], 4);
    UT_EXPECT_STATUS(NtAlpcImpersonateClientOfPort(server, &request.h, NULL), STATUS_SUCCESS);
    UT_EXPECT_EQ(TxWhoAmI(&level), 1);
    UT_EXPECT_EQ(level, SecurityIdentification);
    // Identification: the server cannot open objects as the client.
    UT_EXPECT_STATUS(NtOpenThreadToken(NtCurrentThread(), TOKEN_QUERY, FALSE, &token),
                     STATUS_BAD_IMPERSONATION_LEVEL);
    TxRevert();
    UT_EXPECT_STATUS(TxReply(server, &request, NULL), STATUS_SUCCESS);
    TxJoin(&client, STATUS_SUCCESS);
    UT_EXPECT_STATUS(sends.Status[0], STATUS_BAD_IMPERSONATION_LEVEL);
    UT_EXPECT_STATUS(sends.Status[1], STATUS_BAD_IMPERSONATION_LEVEL);
    UT_EXPECT_STATUS(sends.Status[2], STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(sends.Status[3], STATUS_SUCCESS);
    NtClose(sends.Token);
    NtClose(communication);
    NtClose(server);
}

// A context made while the client was the student, used after it stopped
// being: the identity is the one captured.
static NTSTATUS SendWithAContext(TX_CLIENT *client)
{
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), SecurityImpersonation,
                                       SECURITY_STATIC_TRACKING, FALSE};
    ALPC_SECURITY_ATTR attribute = {0, &qos, NULL};
    TX_SENDS *sends = client->Context;
    TX_MESSAGE request, reply;
    TX_ATTRIBUTES send;

    sends->Status[0] = NtAlpcCreateSecurityContext(client->Port, 0, &attribute);
    TxRevert();
    TxInitMessage(&request, 8, 1);
    SetSecurityAttribute(&send, NULL, attribute.ContextHandle);
    sends->Status[1] = TxRequest(client->Port, &request, &send, &reply, NULL);
    sends->Status[2] = NtAlpcDeleteSecurityContext(client->Port, 0, attribute.ContextHandle);
    sends->Status[3] = NtAlpcDeleteSecurityContext(client->Port, 0, attribute.ContextHandle);
    sends->Status[4] = TxRequest(client->Port, &request, &send, &reply, NULL);
    return STATUS_SUCCESS;
}

UTEST(SecurityContextKeepsTheIdentityItCaptured)
{
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), SecurityImpersonation,
                                       SECURITY_STATIC_TRACKING, FALSE};
    ALPC_SECURITY_ATTR attribute = {0, &qos, NULL};
    TX_SENDS sends;
    TX_CLIENT client = {.Token = TxStudentToken(SecurityImpersonation),
                        .Work = SendWithAContext};
    HANDLE server, communication = NULL;
    TX_MESSAGE request;

    memset(&sends, 0, sizeof(sends));
    UT_EXPECT_STATUS(TxCreateServer(&server, SERVER_NAME, 0), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcCreateSecurityContext(server, 1, &attribute),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtAlpcCreateSecurityContext(server, 0, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAlpcCreateSecurityContext((HANDLE)0x7FF0, 0, &attribute),
                     STATUS_INVALID_HANDLE);
    attribute.QualityOfService = NULL;
    UT_EXPECT_STATUS(NtAlpcCreateSecurityContext(server, 0, &attribute),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtAlpcDeleteSecurityContext(server, 0, (ALPC_HANDLE)0x1234),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtAlpcDeleteSecurityContext(server, 2, NULL), STATUS_INVALID_PARAMETER);
    StartClient(&client, &sends, server, &communication);
    UT_EXPECT_STATUS(TxReceive(server, &request, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcImpersonateClientOfPort(server, &request.h, NULL), STATUS_SUCCESS);
    UT_EXPECT_EQ(TxWhoAmI(NULL), 1);
    TxRevert();
    UT_EXPECT_STATUS(TxReply(server, &request, NULL), STATUS_SUCCESS);
    TxJoin(&client, STATUS_SUCCESS);
    UT_EXPECT_STATUS(sends.Status[0], STATUS_SUCCESS);
    UT_EXPECT_STATUS(sends.Status[1], STATUS_SUCCESS);
    UT_EXPECT_STATUS(sends.Status[2], STATUS_SUCCESS);
    UT_EXPECT_STATUS(sends.Status[3], STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(sends.Status[4], STATUS_INVALID_HANDLE);
    NtClose(client.Token);
    NtClose(communication);
    NtClose(server);
}

// Contexts left behind go with their port; past the bound, creation fails.
UTEST(SecurityContextsAreBoundedAndGoWithTheirPort)
{
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), SecurityImpersonation,
                                       SECURITY_DYNAMIC_TRACKING, FALSE};
    ALPC_SECURITY_ATTR attribute = {0, &qos, NULL};
    NTSTATUS status = STATUS_SUCCESS;
    HANDLE server;
    int made = 0;

    UT_EXPECT_STATUS(TxCreateServer(&server, SERVER_NAME, 0), STATUS_SUCCESS);
    while (made < 1000 && NT_SUCCESS(status = NtAlpcCreateSecurityContext(server, 0,
                                                                          &attribute)))
        made++;
    UT_EXPECT_STATUS(status, STATUS_INSUFFICIENT_RESOURCES);
    UT_EXPECT_EQ(made, 64);
    NtClose(server);
}

const UTEST TxSecurityTestList[] = {
    UT_ENTRY(ServerImpersonatesTheClientByItsSecurityAttribute),
    UT_ENTRY(ImpersonationWithoutAttributeNeedsTheClientPortsConsent),
    UT_ENTRY(DynamicTrackingImpersonatesTheClientAsItIsNow),
    UT_ENTRY(ImpersonationLevelIsTheClientsToGive),
    UT_ENTRY(SecurityContextKeepsTheIdentityItCaptured),
    UT_ENTRY(SecurityContextsAreBoundedAndGoWithTheirPort),
};
const int TxSecurityTestCount = ARRAYSIZE(TxSecurityTestList);
