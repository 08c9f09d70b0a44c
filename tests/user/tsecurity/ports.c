// A connection port's descriptor decides who may connect (PORT_CONNECT for
// the client's effective token): a refused client gets
// STATUS_ACCESS_DENIED before anything reaches the server; an allowed one
// connects as usual.

#include "tsecurity.h"
#include "tests/user/ulpc.h"

static NTSTATUS CreatePort(PHANDLE port, const WCHAR *name, PVOID sd, BOOLEAN waitable)
{
    UNICODE_STRING string;
    OBJECT_ATTRIBUTES attributes;

    RtlInitUnicodeString(&string, name);
    InitializeObjectAttributes(&attributes, &string, 0, NULL, sd);
    return waitable ? NtCreateWaitablePort(port, &attributes, 0, ULPC_MAX_MESSAGE_LENGTH, 0)
                    : NtCreatePort(port, &attributes, 0, ULPC_MAX_MESSAGE_LENGTH, 0);
}

static NTSTATUS Connect(const WCHAR *name, PHANDLE port, PSID requiredServerSid)
{
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), SecurityImpersonation, 0, FALSE};
    UNICODE_STRING string;

    RtlInitUnicodeString(&string, name);
    return NtSecureConnectPort(port, &string, &qos, NULL, requiredServerSid, NULL, NULL, NULL,
                               NULL);
}

// A client thread that connects as the student.
static NTSTATUS NTAPI StudentClientThread(PVOID argument)
{
    ULPC_CLIENT *client = argument;

    client->ConnectStatus = TsImpersonateStudent(SecurityImpersonation);
    if (NT_SUCCESS(client->ConnectStatus))
        client->ConnectStatus = UlpcConnect(client);
    TsRevert();
    return STATUS_SUCCESS;
}

UTEST(PortDescriptorDecidesWhoMayConnect)
{
    TS_DESCRIPTOR systemOnly, everyone;
    HANDLE denied = NULL, open = NULL, port = (HANDLE)0x1234, serverPort = NULL;
    ULPC_CLIENT client;
    ULPC_MESSAGE request;
    PVOID context;

    TsInitDescriptor(&systemOnly);
    TsAllow(&systemOnly, PORT_ALL_ACCESS, TsSystemSid);
    TsInitDescriptor(&everyone);
    TsAllow(&everyone, PORT_ALL_ACCESS, TsSystemSid);
    TsAllow(&everyone, PORT_CONNECT, TsEveryoneSid);
    UT_EXPECT_STATUS(CreatePort(&denied, u"\\RPC Control\\TsecDenied", &systemOnly.Sd, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(CreatePort(&open, u"\\RPC Control\\TsecOpen", &everyone.Sd, TRUE),
                     STATUS_SUCCESS);
    // Refused: nothing is created, nothing reaches the server.
    UT_EXPECT_STATUS(TsImpersonateStudent(SecurityImpersonation), STATUS_SUCCESS);
    UT_EXPECT_STATUS(Connect(u"\\RPC Control\\TsecDenied", &port, NULL), STATUS_ACCESS_DENIED);
    UT_EXPECT(port == (HANDLE)0x1234);
    // The access check comes before the server's identity is looked at.
    UT_EXPECT_STATUS(Connect(u"\\RPC Control\\TsecDenied", &port, (PSID)TsStudentSid),
                     STATUS_ACCESS_DENIED);
    TsRevert();
    UT_EXPECT_STATUS(UlpcReceive(denied, &context, NULL, &request, 20), STATUS_TIMEOUT);
    // Allowed: the student connects through Everyone's PORT_CONNECT.
    memset(&client, 0, sizeof(client));
    client.Name = u"\\RPC Control\\TsecOpen";
    UT_EXPECT_STATUS(UtStartThread(&client.Thread, StudentClientThread, &client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcAccept(open, NULL, TRUE, &serverPort, &request), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcJoinClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(client.ConnectStatus, STATUS_SUCCESS);
    if (client.Port)
        NtClose(client.Port);
    if (serverPort)
        NtClose(serverPort);
    NtClose(open);
    NtClose(denied);
}

UTEST(CreatePortTakesItsDescriptorFromTheAttributes)
{
    TS_DESCRIPTOR d;
    HANDLE port = NULL;
    union {
        SECURITY_DESCRIPTOR_RELATIVE Sd;
        UCHAR Bytes[256];
    } out;
    ULONG needed;
    ACL *dacl;

    TsInitDescriptor(&d);
    d.Sd.Revision = 0;
    UT_EXPECT_STATUS(CreatePort(&port, u"\\RPC Control\\TsecBadPort", &d.Sd, FALSE),
                     STATUS_UNKNOWN_REVISION);
    UT_EXPECT_STATUS(CreatePort(&port, u"\\RPC Control\\TsecBadPort", UT_BAD_POINTER, TRUE),
                     STATUS_ACCESS_VIOLATION);
    TsInitDescriptor(&d);
    TsAllow(&d, GENERIC_ALL, TsSystemSid);
    UT_EXPECT_STATUS(CreatePort(&port, u"\\RPC Control\\TsecGoodPort", &d.Sd, TRUE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQuerySecurityObject(port, DACL_SECURITY_INFORMATION, &out.Sd, sizeof(out),
                                           &needed),
                     STATUS_SUCCESS);
    // GENERIC_ALL became the Port type's every right.
    dacl = RtlDaclOfSecurityDescriptor(&out.Sd);
    UT_EXPECT(dacl != NULL && dacl->AceCount == 1);
    if (dacl)
        UT_EXPECT_EQ(((ACCESS_ALLOWED_ACE *)(dacl + 1))->Mask, PORT_ALL_ACCESS);
    NtClose(port);
}

const UTEST TsPortTests[] = {
    UT_ENTRY(PortDescriptorDecidesWhoMayConnect),
    UT_ENTRY(CreatePortTakesItsDescriptorFromTheAttributes),
};
const int TsPortTestCount = sizeof(TsPortTests) / sizeof(TsPortTests[0]);
