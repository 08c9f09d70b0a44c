// The student, descriptors and named events for the tsecurity tests.

#include "tsecurity.h"

ULONG TsStudentSid[7] = {0x00000501, 0x05000000, 21, 1, 2, 3, 1000};
ULONG TsSystemSid[3] = {0x00000101, 0x05000000, 18};
ULONG TsAdminsSid[4] = {0x00000201, 0x05000000, 32, 544};
ULONG TsEveryoneSid[3] = {0x00000101, 0x01000000, 0};
static ULONG UsersSid[4] = {0x00000201, 0x05000000, 32, 545};

void TsInitDescriptor(TS_DESCRIPTOR *d)
{
    memset(d, 0, sizeof(*d));
    RtlCreateSecurityDescriptor(&d->Sd, SECURITY_DESCRIPTOR_REVISION);
    RtlCreateAcl(&d->Dacl.Acl, sizeof(d->Dacl), ACL_REVISION);
    RtlSetDaclSecurityDescriptor(&d->Sd, TRUE, &d->Dacl.Acl, FALSE);
}

void TsAllow(TS_DESCRIPTOR *d, ACCESS_MASK mask, ULONG *sid)
{
    RtlAddAccessAllowedAce(&d->Dacl.Acl, ACL_REVISION, mask, (SID *)sid);
}

void TsDeny(TS_DESCRIPTOR *d, ACCESS_MASK mask, ULONG *sid)
{
    RtlAddAccessDeniedAce(&d->Dacl.Acl, ACL_REVISION, mask, (SID *)sid);
}

static HANDLE StudentToken;

// The student's logon as an LSA would make it: the user, Users and
// Everyone enabled, no privileges, an empty default DACL.
static NTSTATUS CreateStudentToken(void)
{
    OBJECT_ATTRIBUTES attributes;
    LUID authenticationId = {0x5001, 0};
    LARGE_INTEGER expiration = {.QuadPart = 0x7FFFFFFFFFFFFFFFLL};
    TOKEN_USER user = {{(PSID)TsStudentSid, 0}};
    struct {
        ULONG GroupCount;
        SID_AND_ATTRIBUTES Groups[2];
    } groups = {2, {{(PSID)UsersSid, SE_GROUP_MANDATORY | SE_GROUP_ENABLED},
                    {(PSID)TsEveryoneSid, SE_GROUP_MANDATORY | SE_GROUP_ENABLED}}};
    TOKEN_PRIVILEGES privileges = {0};
    TOKEN_OWNER owner = {(PSID)TsStudentSid};
    TOKEN_PRIMARY_GROUP group = {(PSID)UsersSid};
    ACL dacl = {ACL_REVISION, 0, sizeof(ACL), 0, 0};
    TOKEN_DEFAULT_DACL defaultDacl = {&dacl};
    TOKEN_SOURCE source = {{'S', 'l', 'e', 'u', 't', 'h', ' ', ' '}, {0, 0}};

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    return NtCreateToken(&StudentToken, TOKEN_ALL_ACCESS, &attributes, TokenPrimary,
                         &authenticationId, &expiration, &user, (TOKEN_GROUPS *)&groups,
                         &privileges, &owner, &group, &defaultDacl, &source);
}

NTSTATUS TsImpersonateStudent(SECURITY_IMPERSONATION_LEVEL level)
{
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), level, FALSE, FALSE};
    OBJECT_ATTRIBUTES attributes;
    HANDLE impersonation;
    NTSTATUS status = StudentToken ? STATUS_SUCCESS : CreateStudentToken();

    if (!NT_SUCCESS(status))
        return status;
    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    attributes.SecurityQualityOfService = &qos;
    status = NtDuplicateToken(StudentToken, TOKEN_IMPERSONATE | TOKEN_QUERY, &attributes, FALSE,
                              TokenImpersonation, &impersonation);
    if (!NT_SUCCESS(status))
        return status;
    status = NtSetInformationThread(NtCurrentThread(), ThreadImpersonationToken, &impersonation,
                                    sizeof(impersonation));
    NtClose(impersonation);
    return status;
}

void TsRevert(void)
{
    HANDLE none = NULL;

    NtSetInformationThread(NtCurrentThread(), ThreadImpersonationToken, &none, sizeof(none));
}

void TsCloseStudent(void)
{
    if (StudentToken)
        NtClose(StudentToken);
    StudentToken = NULL;
}

static void EventAttributes(OBJECT_ATTRIBUTES *attributes, UNICODE_STRING *string,
                            WCHAR *buffer, const WCHAR *name, PVOID sd)
{
    static const WCHAR prefix[] = u"\\BaseNamedObjects\\";
    size_t used = 0;

    for (size_t i = 0; prefix[i]; i++)
        buffer[used++] = prefix[i];
    for (size_t i = 0; name[i]; i++)
        buffer[used++] = name[i];
    buffer[used] = 0;
    RtlInitUnicodeString(string, buffer);
    InitializeObjectAttributes(attributes, string, 0, NULL, sd);
}

NTSTATUS TsCreateEvent(PHANDLE event, const WCHAR *name, ACCESS_MASK access, PVOID sd)
{
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING string;
    WCHAR buffer[80];

    EventAttributes(&attributes, &string, buffer, name, sd);
    return NtCreateEvent(event, access, &attributes, NotificationEvent, FALSE);
}

NTSTATUS TsOpenEvent(PHANDLE event, const WCHAR *name, ACCESS_MASK access)
{
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING string;
    WCHAR buffer[80];

    EventAttributes(&attributes, &string, buffer, name, NULL);
    return NtOpenEvent(event, access, &attributes);
}

ACCESS_MASK TsGrantedAccess(HANDLE handle)
{
    OBJECT_BASIC_INFORMATION basic;

    if (NtQueryObject(handle, ObjectBasicInformation, &basic, sizeof(basic), NULL) !=
        STATUS_SUCCESS)
        return 0xFFFFFFFF;
    return basic.GrantedAccess;
}
