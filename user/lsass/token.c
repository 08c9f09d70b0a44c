// The LSA makes the tokens of the users it logs on (NtCreateToken: on NT
// only the LSA may) and hands a client its token as a handle in the
// client's own process, as LsaLogonUser does. A worker runs as a user
// (efs.c: opening the user's key file as the user) with a token it keeps
// for that user, made once, as NT's LSA keeps its logon sessions.

#define LSA_CACHED_TOKENS 4

#include "user/include/runtime.h"
#include "user/lsass/lsass.h"

// S-1-5-32-545 (Users) and S-1-5-18 (SYSTEM), as SID buffers.
static ULONG LsapUsersSid[4] = {0x00000201, 0x05000000, 32, 545};
static ULONG LsapSystemSid[3] = {0x00000101, 0x05000000, 18};

NTSTATUS LsapCreateUserToken(const SID *user, TOKEN_TYPE type, HANDLE *token)
{
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), SecurityImpersonation, FALSE, FALSE};
    OBJECT_ATTRIBUTES attributes;
    LUID authenticationId = {0x5000 + ((const ULONG *)user)[RtlLengthSid(user) / 4 - 1], 0};
    LARGE_INTEGER expiration = {.QuadPart = 0x7FFFFFFFFFFFFFFFLL};
    TOKEN_USER tokenUser = {{(PSID)user, 0}};
    struct {
        ULONG GroupCount;
        SID_AND_ATTRIBUTES Groups[1];
    } groups = {1, {{(PSID)LsapUsersSid, SE_GROUP_MANDATORY | SE_GROUP_ENABLED}}};
    struct {
        ULONG PrivilegeCount;
        LUID_AND_ATTRIBUTES Privileges[1];
    } privileges = {1, {{{SE_CHANGE_NOTIFY_PRIVILEGE, 0}, SE_PRIVILEGE_ENABLED}}};
    TOKEN_OWNER owner = {(PSID)user};
    TOKEN_PRIMARY_GROUP primaryGroup = {(PSID)LsapUsersSid};
    union {
        ACL Dacl;
        UCHAR Bytes[sizeof(ACL) + 2 * (sizeof(ACCESS_ALLOWED_ACE) + SECURITY_MAX_SID_SIZE)];
    } dacl;
    TOKEN_DEFAULT_DACL defaultDacl = {&dacl.Dacl};
    TOKEN_SOURCE source;

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    attributes.SecurityQualityOfService = &qos;
    // What the user creates is the user's and SYSTEM's.
    RtlCreateAcl(&dacl.Dacl, sizeof(dacl), ACL_REVISION);
    RtlAddAccessAllowedAce(&dacl.Dacl, ACL_REVISION, GENERIC_ALL, (SID *)user);
    RtlAddAccessAllowedAce(&dacl.Dacl, ACL_REVISION, GENERIC_ALL, (SID *)LsapSystemSid);
    memset(&source, 0, sizeof(source));
    memcpy(source.SourceName, "User32  ", TOKEN_SOURCE_LENGTH);
    return NtCreateToken(token, TOKEN_ALL_ACCESS, &attributes, type, &authenticationId,
                         &expiration, &tokenUser, (TOKEN_GROUPS *)&groups,
                         (TOKEN_PRIVILEGES *)&privileges, &owner, &primaryGroup, &defaultDacl,
                         &source);
}

NTSTATUS LsapGiveToken(const CLIENT_ID *client, HANDLE token, ULONG64 *clientHandle)
{
    OBJECT_ATTRIBUTES attributes;
    CLIENT_ID process = {client->UniqueProcess, NULL};
    HANDLE target, copy = NULL;
    NTSTATUS status;

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    status = NtOpenProcess(&target, PROCESS_DUP_HANDLE, &attributes, &process);
    if (!NT_SUCCESS(status))
        return status;
    status = NtDuplicateObject(NtCurrentProcess(), token, target, &copy, 0, 0,
                               DUPLICATE_SAME_ACCESS);
    NtClose(target);
    *clientHandle = (ULONG64)(ULONG_PTR)copy;
    return status;
}

NTSTATUS LsapImpersonate(HANDLE token)
{
    return NtSetInformationThread(NtCurrentThread(), ThreadImpersonationToken, &token,
                                  sizeof(token));
}

static struct {
    ULONG Sid[2 + SID_MAX_SUB_AUTHORITIES];
    HANDLE Token;
} LsapTokens[LSA_CACHED_TOKENS];
static RTL_CRITICAL_SECTION LsapTokenLock;

void LsapInitializeTokens(void)
{
    RtlInitializeCriticalSection(&LsapTokenLock);
}

NTSTATUS LsapReferenceUserToken(const SID *user, HANDLE *token)
{
    NTSTATUS status = STATUS_SUCCESS;
    ULONG i;

    RtlEnterCriticalSection(&LsapTokenLock);
    for (i = 0; i < LSA_CACHED_TOKENS && LsapTokens[i].Token; i++) {
        if (RtlEqualSid((const SID *)LsapTokens[i].Sid, user))
            break;
    }
    if (i == LSA_CACHED_TOKENS) {
        status = LsapCreateUserToken(user, TokenImpersonation, token);
    } else {
        if (!LsapTokens[i].Token) {
            status = LsapCreateUserToken(user, TokenImpersonation, &LsapTokens[i].Token);
            if (NT_SUCCESS(status))
                memcpy(LsapTokens[i].Sid, user, RtlLengthSid(user));
        }
        if (NT_SUCCESS(status))
            status = NtDuplicateObject(NtCurrentProcess(), LsapTokens[i].Token,
                                       NtCurrentProcess(), token, 0, 0, DUPLICATE_SAME_ACCESS);
    }
    RtlLeaveCriticalSection(&LsapTokenLock);
    return status;
}
