// User-mode tests of LPC's security half: NtSecureConnectPort's check of
// who the server is (RequiredServerSid), and NtImpersonateClientOfPort (a
// server thread running as the client whose request it holds, until it
// reverts; LPC_NO_IMPERSONATE refusing it).

#include "tests/user/ulpc.h"

#define SERVER_NAME u"\\RPC Control\\TlpcSecServer"

static HANDLE ServerPort;

static void CreateServer(void)
{
    UT_EXPECT_STATUS(UlpcCreatePort(&ServerPort, SERVER_NAME, FALSE), STATUS_SUCCESS);
}

static BOOLEAN Connect(ULPC_CLIENT *client, NTSTATUS (*work)(ULPC_CLIENT *), PHANDLE serverPort)
{
    ULPC_MESSAGE request;

    memset(client, 0, sizeof(*client));
    client->Name = SERVER_NAME;
    client->Work = work;
    if (UlpcStartClient(client) != STATUS_SUCCESS)
        return FALSE;
    if (UlpcAccept(ServerPort, NULL, TRUE, serverPort, &request) != STATUS_SUCCESS) {
        UtFail(__FILE__, __LINE__, "the handshake failed");
        return FALSE;
    }
    return TRUE;
}

// Request 1 may be impersonated; request 2 says LPC_NO_IMPERSONATE.
static NTSTATUS TwoRequestsSecondPrivate(ULPC_CLIENT *client)
{
    ULPC_MESSAGE request, reply;
    NTSTATUS status;

    UlpcInitMessage(&request, 8, 1);
    status = NtRequestWaitReplyPort(client->Port, &request.h, &reply.h);
    if (status != STATUS_SUCCESS)
        return status;
    UlpcInitMessage(&request, 8, 2);
    request.h.u2.s2.Type = 0x4000;             // LPC_NO_IMPERSONATE
    return NtRequestWaitReplyPort(client->Port, &request.h, &reply.h);
}

static NTSTATUS OpenOwnThreadToken(void)
{
    HANDLE token;
    NTSTATUS status = NtOpenThreadToken(NtCurrentThread(), TOKEN_QUERY, TRUE, &token);

    if (NT_SUCCESS(status))
        NtClose(token);
    return status;
}

UTEST(ServerImpersonatesItsWaitingClientUntilItReverts)
{
    ULPC_CLIENT client;
    ULPC_MESSAGE request, wrong;
    HANDLE serverPort, none = NULL;
    PVOID context;

    CreateServer();
    if (!Connect(&client, TwoRequestsSecondPrivate, &serverPort))
        return;
    UT_EXPECT_STATUS(UlpcReceive(ServerPort, &context, NULL, &request, 5000), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtImpersonateClientOfPort(ServerPort, &request.h),
                     STATUS_INVALID_PORT_HANDLE);
    UT_EXPECT_STATUS(NtImpersonateClientOfPort(serverPort, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtImpersonateClientOfPort(serverPort, UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    wrong = request;
    wrong.h.MessageId += 1000;
    UT_EXPECT_STATUS(NtImpersonateClientOfPort(serverPort, &wrong.h),
                     STATUS_REPLY_MESSAGE_MISMATCH);
    wrong = request;
    wrong.h.ClientId.UniqueThread = (HANDLE)0x7ffc;
    UT_EXPECT_STATUS(NtImpersonateClientOfPort(serverPort, &wrong.h), STATUS_INVALID_CID);
    UT_EXPECT_STATUS(OpenOwnThreadToken(), STATUS_NO_TOKEN);
    UT_EXPECT_STATUS(NtImpersonateClientOfPort(serverPort, &request.h), STATUS_SUCCESS);
    // The thread runs as the client now, until it reverts.
    UT_EXPECT_STATUS(OpenOwnThreadToken(), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetInformationThread(NtCurrentThread(), ThreadImpersonationToken, &none,
                                            sizeof(none)), STATUS_SUCCESS);
    UT_EXPECT_STATUS(OpenOwnThreadToken(), STATUS_NO_TOKEN);
    UT_EXPECT_STATUS(NtReplyPort(serverPort, &request.h), STATUS_SUCCESS);
    // Answered: nobody to impersonate for that id.
    UT_EXPECT_STATUS(NtImpersonateClientOfPort(serverPort, &request.h),
                     STATUS_REPLY_MESSAGE_MISMATCH);
    UT_EXPECT_STATUS(UlpcReceive(ServerPort, &context, NULL, &request, 5000), STATUS_SUCCESS);
    UT_EXPECT_EQ(request.h.u2.s2.Type, LPC_REQUEST);
    UT_EXPECT_STATUS(NtImpersonateClientOfPort(serverPort, &request.h), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtReplyPort(serverPort, &request.h), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcJoinClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(client.WorkStatus, STATUS_SUCCESS);
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

typedef struct _TLPC_SID {
    UCHAR Revision;
    UCHAR SubAuthorityCount;
    UCHAR IdentifierAuthority[6];
    ULONG SubAuthority[5];
} TLPC_SID;

static const TLPC_SID SystemSid = {1, 1, {0, 0, 0, 0, 0, 5}, {18}};
static const TLPC_SID StudentSid = {1, 5, {0, 0, 0, 0, 0, 5}, {21, 1, 2, 3, 1000}};
static const TLPC_SID BadSid = {2, 1, {0, 0, 0, 0, 0, 5}, {18}};
static const TLPC_SID *RequiredSid;

static NTSTATUS NTAPI SecureConnectThread(PVOID argument)
{
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), SecurityImpersonation, 0, FALSE};
    UNICODE_STRING name = UT_NAME(SERVER_NAME);
    ULPC_CLIENT *client = argument;

    client->ConnectStatus = NtSecureConnectPort(&client->Port, &name, &qos, NULL,
                                                (PSID)RequiredSid, NULL, NULL, NULL, NULL);
    return STATUS_SUCCESS;
}

UTEST(SecureConnectChecksWhoTheServerIs)
{
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), SecurityImpersonation, 0, FALSE};
    UNICODE_STRING name = UT_NAME(SERVER_NAME);
    ULPC_MESSAGE request;
    ULPC_CLIENT client;
    HANDLE port = NULL, serverPort;
    PVOID context;

    CreateServer();
    // The server runs as SYSTEM, as every test program.
    UT_EXPECT_STATUS(NtSecureConnectPort(&port, &name, &qos, NULL, (PSID)&StudentSid, NULL, NULL,
                                         NULL, NULL), STATUS_SERVER_SID_MISMATCH);
    UT_EXPECT_STATUS(NtSecureConnectPort(&port, &name, &qos, NULL, (PSID)&BadSid, NULL, NULL,
                                         NULL, NULL), STATUS_INVALID_SID);
    UT_EXPECT_STATUS(NtSecureConnectPort(&port, &name, &qos, NULL, UT_BAD_POINTER, NULL, NULL,
                                         NULL, NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT(port == NULL);
    // Nothing was queued by the refused ones.
    UT_EXPECT_STATUS(UlpcReceive(ServerPort, &context, NULL, &request, 20), STATUS_TIMEOUT);
    memset(&client, 0, sizeof(client));
    RequiredSid = &SystemSid;
    UT_EXPECT_STATUS(UtStartThread(&client.Thread, SecureConnectThread, &client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcAccept(ServerPort, NULL, TRUE, &serverPort, &request), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtJoinThread(client.Thread), STATUS_SUCCESS);
    UT_EXPECT_STATUS(client.ConnectStatus, STATUS_SUCCESS);
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(ServerPort);
}

static const UTEST Tests[] = {
    UT_ENTRY(ServerImpersonatesItsWaitingClientUntilItReverts),
    UT_ENTRY(SecureConnectChecksWhoTheServerIs),
};

int main(void)
{
    return UT_RUN_ALL("tlpcsec", Tests);
}
