// NtCreateToken: how an identity other than SYSTEM comes to exist. On NT
// only the LSA calls it (it alone holds SeCreateTokenPrivilege), after a
// logon; on Sleuth any SYSTEM process may, which is how a program comes to
// run as the student (docs/security.md). All thirteen arguments are NT's.
//
// Everything is captured into one kernel block first (SEP_CAPTURED_TOKEN),
// checked (NT's statuses: STATUS_INVALID_SID, STATUS_INVALID_OWNER,
// STATUS_INVALID_PRIMARY_GROUP, STATUS_INVALID_ACL,
// STATUS_BAD_IMPERSONATION_LEVEL), and only then made into a token.

#include "se/sep.h"

#define SEP_CAPTURE_TAG POOL_TAG('S', 'e', 'C', 'p')

typedef struct _SEP_CAPTURED_TOKEN {
    SID_AND_ATTRIBUTES Groups[SEP_MAX_GROUPS];
    LUID_AND_ATTRIBUTES Privileges[SEP_MAX_PRIVILEGES];
    UCHAR Sids[SEP_MAX_GROUPS + 3][SECURITY_MAX_SID_SIZE];     // groups, user, owner, primary
    ULONG64 Dacl[SEP_MAX_ACL_SIZE / sizeof(ULONG64)];
} SEP_CAPTURED_TOKEN;

#define SEP_USER_SID          SEP_MAX_GROUPS
#define SEP_OWNER_SID         (SEP_MAX_GROUPS + 1)
#define SEP_PRIMARY_GROUP_SID (SEP_MAX_GROUPS + 2)

static NTSTATUS SepCaptureGroups(const TOKEN_GROUPS *userGroups, SEP_CAPTURED_TOKEN *captured,
                                 SEP_TOKEN_TEMPLATE *template)
{
    ULONG count;
    NTSTATUS status = MmCopyFromUser(&count, &userGroups->GroupCount, sizeof(count));

    if (!NT_SUCCESS(status))
        return status;
    if (count > SEP_MAX_GROUPS)
        return STATUS_INVALID_PARAMETER;
    status = MmCopyFromUser(captured->Groups, userGroups->Groups,
                            count * sizeof(SID_AND_ATTRIBUTES));
    for (ULONG i = 0; NT_SUCCESS(status) && i < count; i++) {
        SID *sid = (SID *)captured->Sids[i];

        status = SepCaptureSid(captured->Groups[i].Sid, sid);
        captured->Groups[i].Sid = sid;
    }
    template->GroupCount = count;
    template->Groups = captured->Groups;
    return status;
}

static NTSTATUS SepCapturePrivileges(const TOKEN_PRIVILEGES *userPrivileges,
                                     SEP_CAPTURED_TOKEN *captured, SEP_TOKEN_TEMPLATE *template)
{
    ULONG count;
    NTSTATUS status = MmCopyFromUser(&count, &userPrivileges->PrivilegeCount, sizeof(count));

    if (!NT_SUCCESS(status))
        return status;
    if (count > SEP_MAX_PRIVILEGES)
        return STATUS_INVALID_PARAMETER;
    template->PrivilegeCount = count;
    template->Privileges = captured->Privileges;
    return MmCopyFromUser(captured->Privileges, userPrivileges->Privileges,
                          count * sizeof(LUID_AND_ATTRIBUTES));
}

// A SID given by pointer inside a structure (TOKEN_OWNER, TOKEN_PRIMARY_GROUP)
// must be the user's or one of the groups' (for an owner, one marked
// SE_GROUP_OWNER): its index, or `invalid`.
static NTSTATUS SepCaptureIndexedSid(SID *const *userPointer, SID *buffer,
                                     const SEP_TOKEN_TEMPLATE *template, ULONG requiredAttribute,
                                     NTSTATUS invalid, ULONG *index)
{
    SID *userSid;
    NTSTATUS status = MmCopyFromUser(&userSid, userPointer, sizeof(userSid));

    if (NT_SUCCESS(status))
        status = SepCaptureSid(userSid, buffer);
    if (!NT_SUCCESS(status))
        return status;
    if (SeEqualSid(buffer, template->User.Sid)) {
        *index = 0;
        return STATUS_SUCCESS;
    }
    for (ULONG i = 0; i < template->GroupCount; i++) {
        if (SeEqualSid(buffer, template->Groups[i].Sid) &&
            (template->Groups[i].Attributes & requiredAttribute) == requiredAttribute) {
            *index = i + 1;
            return STATUS_SUCCESS;
        }
    }
    return invalid;
}

// The default DACL becomes the DACL of what the token's user creates, so
// every ACE in it is checked (RtlValidAcl) after it is copied in.
static NTSTATUS SepCaptureDacl(const TOKEN_DEFAULT_DACL *userDacl, SEP_CAPTURED_TOKEN *captured,
                               SEP_TOKEN_TEMPLATE *template)
{
    ACL *userAcl, header;
    NTSTATUS status;

    if (!userDacl)
        return STATUS_SUCCESS;
    status = MmCopyFromUser(&userAcl, &userDacl->DefaultDacl, sizeof(userAcl));
    if (!NT_SUCCESS(status) || !userAcl)
        return status;
    status = MmCopyFromUser(&header, userAcl, sizeof(header));
    if (!NT_SUCCESS(status))
        return status;
    if ((header.AclRevision != ACL_REVISION && header.AclRevision != ACL_REVISION_DS) ||
        header.AclSize < sizeof(ACL) || header.AclSize > SEP_MAX_ACL_SIZE || (header.AclSize & 3))
        return STATUS_INVALID_ACL;
    status = MmCopyFromUser(captured->Dacl, userAcl, header.AclSize);
    if (!NT_SUCCESS(status))
        return status;
    // The size is read again by the copy: it must be the one checked, or
    // the walk of the ACEs would go past the copy.
    if (((const ACL *)captured->Dacl)->AclSize != header.AclSize ||
        !RtlValidAcl((const ACL *)captured->Dacl))
        return STATUS_INVALID_ACL;
    template->DefaultDacl = (const ACL *)captured->Dacl;
    return STATUS_SUCCESS;
}

static NTSTATUS SepCaptureTokenArguments(
    const OBJECT_ATTRIBUTES *objectAttributes, TOKEN_TYPE tokenType,
    const LUID *authenticationId, const LARGE_INTEGER *expirationTime, const TOKEN_USER *user,
    const TOKEN_GROUPS *groups, const TOKEN_PRIVILEGES *privileges, const TOKEN_OWNER *owner,
    const TOKEN_PRIMARY_GROUP *primaryGroup, const TOKEN_DEFAULT_DACL *defaultDacl,
    const TOKEN_SOURCE *source, SEP_CAPTURED_TOKEN *captured, SEP_TOKEN_TEMPLATE *template)
{
    OB_CAPTURED_ATTRIBUTES attributes;
    SECURITY_QUALITY_OF_SERVICE qos;
    BOOLEAN qosPresent;
    SID *userSid;
    NTSTATUS status = ObCaptureObjectAttributes(objectAttributes, &attributes);

    ObReleaseObjectAttributes(&attributes);
    if (NT_SUCCESS(status))
        status = SepCaptureQos(objectAttributes, &qos, &qosPresent);
    if (!NT_SUCCESS(status))
        return status;
    template->TokenType = tokenType;
    // An impersonation token's level comes with the attributes, and must.
    if (tokenType == TokenImpersonation) {
        if (!qosPresent || (ULONG)qos.ImpersonationLevel > SecurityDelegation)
            return STATUS_BAD_IMPERSONATION_LEVEL;
        template->ImpersonationLevel = qos.ImpersonationLevel;
    }
    status = MmCopyFromUser(&template->AuthenticationId, authenticationId, sizeof(LUID));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&template->ExpirationTime, expirationTime,
                                sizeof(LARGE_INTEGER));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&template->User, &user->User, sizeof(template->User));
    if (!NT_SUCCESS(status))
        return status;
    userSid = template->User.Sid;
    template->User.Sid = (SID *)captured->Sids[SEP_USER_SID];
    status = SepCaptureSid(userSid, template->User.Sid);
    if (NT_SUCCESS(status))
        status = SepCaptureGroups(groups, captured, template);
    if (NT_SUCCESS(status))
        status = SepCapturePrivileges(privileges, captured, template);
    if (NT_SUCCESS(status) && owner)
        status = SepCaptureIndexedSid(&owner->Owner, (SID *)captured->Sids[SEP_OWNER_SID],
                                      template, SE_GROUP_OWNER, STATUS_INVALID_OWNER,
                                      &template->OwnerIndex);
    if (NT_SUCCESS(status))
        status = SepCaptureIndexedSid(&primaryGroup->PrimaryGroup,
                                      (SID *)captured->Sids[SEP_PRIMARY_GROUP_SID], template, 0,
                                      STATUS_INVALID_PRIMARY_GROUP,
                                      &template->PrimaryGroupIndex);
    if (NT_SUCCESS(status))
        status = SepCaptureDacl(defaultDacl, captured, template);
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&template->Source, source, sizeof(TOKEN_SOURCE));
    return status;
}

// NT's order: the handle out-parameter, the token type, the privilege, then
// every input. TokenUser, TokenGroups, TokenPrivileges, TokenPrimaryGroup,
// TokenSource, AuthenticationId and ExpirationTime are required; TokenOwner
// (default: the user) and TokenDefaultDacl may be NULL.
NTSTATUS NtCreateToken(HANDLE *tokenHandle, ACCESS_MASK desiredAccess,
                       const OBJECT_ATTRIBUTES *objectAttributes, TOKEN_TYPE tokenType,
                       const LUID *authenticationId, const LARGE_INTEGER *expirationTime,
                       const TOKEN_USER *user, const TOKEN_GROUPS *groups,
                       const TOKEN_PRIVILEGES *privileges, const TOKEN_OWNER *owner,
                       const TOKEN_PRIMARY_GROUP *primaryGroup,
                       const TOKEN_DEFAULT_DACL *defaultDacl, const TOKEN_SOURCE *source)
{
    SEP_TOKEN_TEMPLATE template = {0};
    SEP_CAPTURED_TOKEN *captured;
    TOKEN *token;
    NTSTATUS status = ObProbeHandleOut(tokenHandle);

    if (!NT_SUCCESS(status))
        return status;
    if (tokenType != TokenPrimary && tokenType != TokenImpersonation)
        return STATUS_BAD_TOKEN_TYPE;
    if (!SeSinglePrivilegeCheck(SE_CREATE_TOKEN_PRIVILEGE))
        return STATUS_PRIVILEGE_NOT_HELD;
    // Too big for a kernel stack: one pool block, freed before returning.
    captured = ExAllocatePoolWithTag(NonPagedPool, sizeof(*captured), SEP_CAPTURE_TAG);
    if (!captured)
        return STATUS_INSUFFICIENT_RESOURCES;
    status = SepCaptureTokenArguments(objectAttributes, tokenType, authenticationId,
                                      expirationTime, user, groups, privileges, owner,
                                      primaryGroup, defaultDacl, source, captured, &template);
    // A new token belongs to the creator's session.
    if (NT_SUCCESS(status)) {
        template.SessionId = PsGetCurrentProcess()->SessionId;
        status = SepCreateToken(&template, &token);
    }
    ExFreePoolWithTag(captured, SEP_CAPTURE_TAG);
    if (!NT_SUCCESS(status))
        return status;
    return SepInsertTokenHandle(token, desiredAccess, tokenHandle);
}
