// Tokens and impersonation inside the kernel: who runs as whom, the client
// security LPC uses (SeCreateClientSecurity / SeImpersonateClientEx /
// PsRevertToSelf) between two System threads with static and dynamic
// tracking at each level, the token a thread drops when it ends, and the
// debugger's !token and !thread on such threads. tests/user/ttoken has
// the system services.

#include "tests/kernel/ktuser.h"
#include "tests/kernel/test_dispatcher.h"
#include "se/sep.h"
#include "kd/kd.h"

#define KT_NAME(literal) \
    ((UNICODE_STRING){sizeof(literal) - sizeof(WCHAR), sizeof(literal), (WCHAR *)(literal)})

KTEST(UserTokens)
{
    KtExpectUserTestsPass("ttoken");
}

KTEST(TokenIsANamedTypeAndSystemRunsAsSystem)
{
    UNICODE_STRING name = KT_NAME(u"\\ObjectTypes\\Token");
    OBJECT_ATTRIBUTES attributes = {sizeof(attributes), NULL, &name, OBJ_CASE_INSENSITIVE,
                                    NULL, NULL};
    void *type;
    TOKEN *token;

    KT_EXPECT_EQ(ObReferenceObjectByName(&attributes, NULL, &type), STATUS_SUCCESS);
    KT_EXPECT(type == SeTokenObjectType);
    ObDereferenceObject(type);
    KT_EXPECT(PsInitialSystemProcess->Token == SepSystemToken);
    token = SeReferenceEffectiveToken(PsGetCurrentThread());
    KT_EXPECT(token == SepSystemToken);
    KT_EXPECT(SeEqualSid(SeTokenUser(token), SeLocalSystemSid));
    KT_EXPECT_EQ(token->AuthenticationId.LowPart, SYSTEM_LUID);
    KT_EXPECT(SeSinglePrivilegeCheck(SE_CREATE_TOKEN_PRIVILEGE));
    ObDereferenceObject(token);
}

// A student impersonation token made in the kernel, as NtCreateToken would.
static TOKEN *KtStudentToken(SECURITY_IMPERSONATION_LEVEL level)
{
    SEP_TOKEN_TEMPLATE template = {
        .TokenType = TokenImpersonation,
        .ImpersonationLevel = level,
        .AuthenticationId = {0x6000, 0},
        .User = {(SID *)SeStudentSid, 0},
    };
    TOKEN *token = NULL;

    SepCreateToken(&template, &token);
    return token;
}

// The client: a System thread that waits until told to end.
typedef struct _KT_CLIENT {
    KEVENT Done;
    ETHREAD *Thread;
} KT_CLIENT;

static void KtClientRoutine(void *context)
{
    KtWait(&((KT_CLIENT *)context)->Done);
}

static BOOLEAN KtStartClient(KT_CLIENT *client, TOKEN *impersonating)
{
    KeInitializeEvent(&client->Done, NotificationEvent, FALSE);
    if (!NT_SUCCESS(PsCreateSystemThreadEx(PsInitialSystemProcess, KtClientRoutine, client, 0,
                                           NULL, &client->Thread)))
        return FALSE;
    return !impersonating || NT_SUCCESS(PsImpersonateClient(client->Thread, impersonating));
}

static void KtEndClient(KT_CLIENT *client)
{
    KeSetEvent(&client->Done, 0, FALSE);
    KtWait(client->Thread);
    ObDereferenceObject(client->Thread);
}

static SECURITY_QUALITY_OF_SERVICE KtQos(SECURITY_IMPERSONATION_LEVEL level, BOOLEAN dynamic)
{
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), level, dynamic, FALSE};

    return qos;
}

// Static tracking copies the client's token at connect time: what the
// client does afterwards does not reach the server.
KTEST(StaticClientSecurityKeepsTheConnectTimeIdentity)
{
    TOKEN *student = KtStudentToken(SecurityImpersonation), *effective;
    SECURITY_QUALITY_OF_SERVICE qos = KtQos(SecurityImpersonation, SECURITY_STATIC_TRACKING);
    SECURITY_CLIENT_CONTEXT context;
    KT_CLIENT client;

    KT_EXPECT(student && KtStartClient(&client, student));
    KT_EXPECT_EQ(SeCreateClientSecurity(client.Thread, &qos, FALSE, &context), STATUS_SUCCESS);
    KT_EXPECT(!context.DirectlyAccessClientToken);
    KT_EXPECT(context.ClientToken != student);      // a copy
    PsRevertThreadToSelf(client.Thread);            // the client changes its mind
    KT_EXPECT_EQ(SeImpersonateClientEx(&context, PsGetCurrentThread()), STATUS_SUCCESS);
    effective = SeReferenceEffectiveToken(PsGetCurrentThread());
    KT_EXPECT(effective == context.ClientToken);
    KT_EXPECT(SeEqualSid(SeTokenUser(effective), SeStudentSid));
    KT_EXPECT_EQ(effective->TokenType, TokenImpersonation);
    KT_EXPECT_EQ(effective->ImpersonationLevel, SecurityImpersonation);
    ObDereferenceObject(effective);
    PsRevertToSelf();
    KT_EXPECT(PsGetCurrentThread()->ImpersonationToken == NULL);
    effective = SeReferenceEffectiveToken(PsGetCurrentThread());
    KT_EXPECT(effective == SepSystemToken);
    ObDereferenceObject(effective);
    SeDeleteClientSecurity(&context);
    KtEndClient(&client);
    ObDereferenceObject(student);
}

// Dynamic tracking keeps the client's token itself and makes the
// impersonation token from it when the server impersonates, at the QoS level.
KTEST(DynamicClientSecurityUsesTheClientsTokenItself)
{
    TOKEN *student = KtStudentToken(SecurityDelegation), *effective;
    SECURITY_QUALITY_OF_SERVICE qos = KtQos(SecurityIdentification, SECURITY_DYNAMIC_TRACKING);
    SECURITY_CLIENT_CONTEXT context;
    KT_CLIENT client;

    KT_EXPECT(student && KtStartClient(&client, student));
    KT_EXPECT_EQ(SeCreateClientSecurity(client.Thread, &qos, FALSE, &context), STATUS_SUCCESS);
    KT_EXPECT(context.DirectlyAccessClientToken);
    KT_EXPECT(context.ClientToken == student);
    KT_EXPECT_EQ(SeImpersonateClientEx(&context, PsGetCurrentThread()), STATUS_SUCCESS);
    effective = SeReferenceEffectiveToken(PsGetCurrentThread());
    KT_EXPECT(SeEqualSid(SeTokenUser(effective), SeStudentSid));
    KT_EXPECT_EQ(effective->ImpersonationLevel, SecurityIdentification);
    ObDereferenceObject(effective);
    // At SecurityIdentification the server may look, not act: no
    // privileges, no opening objects as the client.
    KT_EXPECT(!SeSinglePrivilegeCheck(SE_CREATE_TOKEN_PRIVILEGE));
    KT_EXPECT_EQ(SepAccessCheckToken(student, FALSE), STATUS_BAD_IMPERSONATION_LEVEL);
    KT_EXPECT_EQ(SepAccessCheckToken(student, TRUE), STATUS_SUCCESS);
    PsRevertToSelf();
    KT_EXPECT(SeSinglePrivilegeCheck(SE_CREATE_TOKEN_PRIVILEGE));
    SeDeleteClientSecurity(&context);
    KT_EXPECT(context.ClientToken == NULL);
    KtEndClient(&client);
    ObDereferenceObject(student);
}

// A client passes on no more than it holds; a remote server needs delegation.
KTEST(ClientSecurityLevelRules)
{
    TOKEN *identification = KtStudentToken(SecurityIdentification);
    TOKEN *impersonation = KtStudentToken(SecurityImpersonation);
    SECURITY_QUALITY_OF_SERVICE qos = KtQos(SecurityImpersonation, SECURITY_STATIC_TRACKING);
    SECURITY_CLIENT_CONTEXT context;
    KT_CLIENT client;

    KT_EXPECT(identification && impersonation && KtStartClient(&client, identification));
    KT_EXPECT_EQ(SeCreateClientSecurity(client.Thread, &qos, FALSE, &context),
                 STATUS_BAD_IMPERSONATION_LEVEL);
    KT_EXPECT(context.ClientToken == NULL);
    qos.ImpersonationLevel = SecurityIdentification;
    KT_EXPECT_EQ(SeCreateClientSecurity(client.Thread, &qos, FALSE, &context), STATUS_SUCCESS);
    SeDeleteClientSecurity(&context);
    KT_EXPECT_EQ(PsImpersonateClient(client.Thread, impersonation), STATUS_SUCCESS);
    KT_EXPECT_EQ(SeCreateClientSecurity(client.Thread, &qos, TRUE, &context),
                 STATUS_BAD_IMPERSONATION_LEVEL);
    qos.ImpersonationLevel = 9;
    KT_EXPECT_EQ(SeCreateClientSecurity(client.Thread, &qos, FALSE, &context),
                 STATUS_BAD_IMPERSONATION_LEVEL);
    // A client that does not impersonate offers its primary token at any level.
    PsRevertThreadToSelf(client.Thread);
    qos.ImpersonationLevel = SecurityDelegation;
    KT_EXPECT_EQ(SeCreateClientSecurity(client.Thread, &qos, TRUE, &context), STATUS_SUCCESS);
    KT_EXPECT(SeEqualSid(SeTokenUser(context.ClientToken), SeLocalSystemSid));
    SeDeleteClientSecurity(&context);
    KtEndClient(&client);
    ObDereferenceObject(impersonation);
    ObDereferenceObject(identification);
}

// A thread that ends while impersonating lets go of the token, and no
// ended thread can start impersonating.
KTEST(ThreadExitDropsItsImpersonationToken)
{
    TOKEN *student = KtStudentToken(SecurityImpersonation);
    LONG_PTR before;
    KT_CLIENT client;

    KT_EXPECT(student != NULL);
    before = ObGetObjectPointerCount(student);
    KT_EXPECT(KtStartClient(&client, student));
    KT_EXPECT_EQ(ObGetObjectPointerCount(student), before + 1);
    KeSetEvent(&client.Done, 0, FALSE);
    KtWait(client.Thread);
    KT_EXPECT_EQ(ObGetObjectPointerCount(student), before);
    KT_EXPECT(client.Thread->ImpersonationToken == NULL);
    KT_EXPECT_EQ(PsImpersonateClient(client.Thread, student), STATUS_THREAD_IS_TERMINATING);
    ObDereferenceObject(client.Thread);
    ObDereferenceObject(student);
}

// !token and !thread on an impersonating thread and on bad addresses run
// through (the e2e test checks the text of !token).
KTEST(KdTokenCommandsSurviveEveryAddress)
{
    TOKEN *student = KtStudentToken(SecurityImpersonation);
    char lines[6][64];
    KT_CLIENT client;

    KT_EXPECT(student && KtStartClient(&client, student));
    RtlStringPrintf(lines[0], sizeof(lines[0]), "!token %llx", (unsigned long long)student);
    RtlStringPrintf(lines[1], sizeof(lines[1]), "!thread %llx",
                    (unsigned long long)client.Thread);
    RtlStringPrintf(lines[2], sizeof(lines[2]), "!token");
    RtlStringPrintf(lines[3], sizeof(lines[3]), "!token 10");
    RtlStringPrintf(lines[4], sizeof(lines[4]), "!token nt!KeTickCount");
    RtlStringPrintf(lines[5], sizeof(lines[5]), "!token 1 2");
    for (ULONG i = 0; i < ARRAYSIZE(lines); i++)
        KT_EXPECT_EQ(KdpExecuteLine(lines[i]), KdCommandContinue);
    KtEndClient(&client);
    ObDereferenceObject(student);
}
