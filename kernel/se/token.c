// Access tokens: the Token object type, the well-known SIDs, the SYSTEM
// token the System process runs with, and how tokens are made (from a
// template) and copied (SepDuplicateToken). Every process has a primary
// token, a copy of its parent's made at its creation; a thread runs with
// its process's token unless it impersonates (impersonate.c).

#include "se/sep.h"

OBJECT_TYPE *SeTokenObjectType;
KSPIN_LOCK SepTokenLock;
TOKEN *SepSystemToken;

// LUIDs below 1000 are NT's reserved ones (SYSTEM_LUID is 0x3e7): the
// counter starts above them, as NT's ExAllocateLocallyUniqueId does.
#define SEP_FIRST_LUID 1000
static ULONG64 SepLuidCounter = SEP_FIRST_LUID;

LUID SepAllocateLuid(void)
{
    ULONG64 value = __atomic_fetch_add(&SepLuidCounter, 1, __ATOMIC_RELAXED);
    LUID luid = {(ULONG)value, (LONG)(value >> 32)};

    return luid;
}

// ---- SIDs -----------------------------------------------------------------------

// Room for a well-known SID of up to five sub-authorities.
typedef struct _SEP_WELL_KNOWN_SID {
    ULONG64 Storage[(8 + 5 * sizeof(ULONG)) / sizeof(ULONG64) + 1];
} SEP_WELL_KNOWN_SID;

static SEP_WELL_KNOWN_SID SepLocalSystemSid, SepStudentSid, SepAdministratorsSid,
    SepWorldSid, SepAuthenticatedUsersSid;
const SID *SeLocalSystemSid = (const SID *)&SepLocalSystemSid;
const SID *SeStudentSid = (const SID *)&SepStudentSid;
const SID *SeAliasAdminsSid = (const SID *)&SepAdministratorsSid;
const SID *SeWorldSid = (const SID *)&SepWorldSid;

#define SECURITY_WORLD_SID_AUTHORITY 1
#define SECURITY_NT_AUTHORITY        5

static void SepInitializeSid(SEP_WELL_KNOWN_SID *buffer, UCHAR authority, ULONG count,
                             const ULONG *subAuthorities)
{
    SID *sid = (SID *)buffer;

    sid->Revision = 1;
    sid->SubAuthorityCount = (UCHAR)count;
    memset(sid->IdentifierAuthority.Value, 0, sizeof(sid->IdentifierAuthority.Value));
    sid->IdentifierAuthority.Value[5] = authority;
    for (ULONG i = 0; i < count; i++)
        memcpy((UCHAR *)sid + FIELD_OFFSET(SID, SubAuthority) + i * sizeof(ULONG),
               &subAuthorities[i], sizeof(ULONG));
}

NTSTATUS SepCaptureSid(const SID *userSid, SID *buffer)
{
    UCHAR count;
    NTSTATUS status;

    if (!userSid)
        return STATUS_INVALID_SID;
    status = MmCopyFromUser(buffer, userSid, FIELD_OFFSET(SID, SubAuthority));
    if (!NT_SUCCESS(status))
        return status;
    if (buffer->Revision != 1 || buffer->SubAuthorityCount > SID_MAX_SUB_AUTHORITIES)
        return STATUS_INVALID_SID;
    count = buffer->SubAuthorityCount;
    status = MmCopyFromUser(buffer, userSid, SeLengthSid(buffer));
    // The caller may change its SID between the two copies: a count read
    // the second time is not the one checked (it would claim more
    // sub-authorities than the buffer holds).
    if (NT_SUCCESS(status) && (buffer->Revision != 1 || buffer->SubAuthorityCount != count))
        status = STATUS_INVALID_SID;
    return status;
}

// ---- Making tokens ---------------------------------------------------------------

static ULONG SepAlignedSidLength(const SID *sid)
{
    return (SeLengthSid(sid) + 7) & ~7u;
}

NTSTATUS SepCreateToken(const SEP_TOKEN_TEMPLATE *template, TOKEN **result)
{
    ULONG count = template->GroupCount + 1;
    ULONG length = count * sizeof(SID_AND_ATTRIBUTES) +
                   template->PrivilegeCount * sizeof(LUID_AND_ATTRIBUTES);
    ULONG aclLength = template->DefaultDacl ? (template->DefaultDacl->AclSize + 7) & ~7u : 0;
    UCHAR *next;
    TOKEN *token;
    NTSTATUS status;

    length = (length + 7) & ~7u;
    length += SepAlignedSidLength(template->User.Sid) + aclLength;
    for (ULONG i = 0; i < template->GroupCount; i++)
        length += SepAlignedSidLength(template->Groups[i].Sid);
    status = ObCreateObject(SeTokenObjectType, sizeof(TOKEN) + length, (void **)&token);
    if (!NT_SUCCESS(status))
        return status;

    token->TokenSource = template->Source;
    token->TokenId = SepAllocateLuid();
    token->AuthenticationId = template->AuthenticationId;
    token->ParentTokenId = template->ParentTokenId;
    token->ExpirationTime = template->ExpirationTime;
    token->ModifiedId = template->ModifiedId.LowPart || template->ModifiedId.HighPart
                            ? template->ModifiedId
                            : SepAllocateLuid();
    token->SessionId = template->SessionId;
    token->UserAndGroupCount = count;
    token->PrivilegeCount = template->PrivilegeCount;
    token->VariableLength = length;
    token->DefaultOwnerIndex = template->OwnerIndex;
    token->PrimaryGroupIndex = template->PrimaryGroupIndex;
    token->TokenType = template->TokenType;
    token->ImpersonationLevel = template->TokenType == TokenImpersonation
                                    ? template->ImpersonationLevel
                                    : SecurityAnonymous;

    // The arrays first, then the SIDs they point at, then the DACL.
    token->UserAndGroups = (SID_AND_ATTRIBUTES *)token->VariablePart;
    token->Privileges = (LUID_AND_ATTRIBUTES *)(token->UserAndGroups + count);
    memcpy(token->Privileges, template->Privileges,
           template->PrivilegeCount * sizeof(LUID_AND_ATTRIBUTES));
    next = (UCHAR *)token->VariablePart +
           ((count * sizeof(SID_AND_ATTRIBUTES) +
             template->PrivilegeCount * sizeof(LUID_AND_ATTRIBUTES) + 7) & ~7u);
    for (ULONG i = 0; i < count; i++) {
        const SID_AND_ATTRIBUTES *source = i == 0 ? &template->User : &template->Groups[i - 1];

        memcpy(next, source->Sid, SeLengthSid(source->Sid));
        token->UserAndGroups[i].Sid = (SID *)next;
        token->UserAndGroups[i].Attributes = source->Attributes;
        next += SepAlignedSidLength(source->Sid);
    }
    if (template->DefaultDacl) {
        memcpy(next, template->DefaultDacl, template->DefaultDacl->AclSize);
        token->DefaultDacl = next;
    }
    *result = token;
    return STATUS_SUCCESS;
}

// Where index `index` of the old user-and-groups array lands once the
// groups that were left out are gone; 0 (the user) if it was left out.
static ULONG SepRemapIndex(const BOOLEAN *kept, ULONG index)
{
    ULONG newIndex = 0;

    if (index == 0 || !kept[index])
        return 0;
    for (ULONG i = 1; i <= index; i++)
        newIndex += kept[i];
    return newIndex;
}

NTSTATUS SepDuplicateToken(TOKEN *existing, TOKEN_TYPE tokenType,
                           SECURITY_IMPERSONATION_LEVEL level, BOOLEAN effectiveOnly,
                           TOKEN **token)
{
    SID_AND_ATTRIBUTES groups[SEP_MAX_GROUPS];
    LUID_AND_ATTRIBUTES privileges[SEP_MAX_PRIVILEGES];
    BOOLEAN kept[SEP_MAX_GROUPS + 1] = {TRUE};
    SEP_TOKEN_TEMPLATE template = {
        .TokenType = tokenType,
        .ImpersonationLevel = level,
        .AuthenticationId = existing->AuthenticationId,
        .ParentTokenId = existing->ParentTokenId,
        .ModifiedId = existing->ModifiedId,
        .ExpirationTime = existing->ExpirationTime,
        .User = existing->UserAndGroups[0],
        .Groups = groups,
        .Privileges = privileges,
        .DefaultDacl = existing->DefaultDacl,
        .Source = existing->TokenSource,
        .SessionId = existing->SessionId,
    };

    // EffectiveOnly: what is disabled now could never be enabled in the
    // copy, so it is left out.
    for (ULONG i = 1; i < existing->UserAndGroupCount; i++) {
        kept[i] = !effectiveOnly || (existing->UserAndGroups[i].Attributes & SE_GROUP_ENABLED);
        if (kept[i])
            groups[template.GroupCount++] = existing->UserAndGroups[i];
    }
    for (ULONG i = 0; i < existing->PrivilegeCount; i++) {
        if (!effectiveOnly || (existing->Privileges[i].Attributes & SE_PRIVILEGE_ENABLED))
            privileges[template.PrivilegeCount++] = existing->Privileges[i];
    }
    template.OwnerIndex = SepRemapIndex(kept, existing->DefaultOwnerIndex);
    template.PrimaryGroupIndex = SepRemapIndex(kept, existing->PrimaryGroupIndex);
    return SepCreateToken(&template, token);
}

// ---- SYSTEM, and the process's token --------------------------------------------

// The System process's token, as NT's SeMakeSystemToken: user SYSTEM,
// the Administrators (its default owner), Everyone and Authenticated Users
// groups, the privileges Sleuth checks, all enabled, and NT's default DACL
// for what SYSTEM creates: GENERIC_ALL to SYSTEM, GENERIC_READ |
// GENERIC_EXECUTE to Administrators. Every process started from System
// inherits it with the rest of the token.
static void SepMakeSystemToken(void)
{
    static const ULONG system[] = {18}, student[] = {21, 1, 2, 3, 1000},
                       administrators[] = {32, 544}, world[] = {0}, authenticated[] = {11};
    const ULONG enabled = SE_GROUP_MANDATORY | SE_GROUP_ENABLED_BY_DEFAULT | SE_GROUP_ENABLED;
    SID_AND_ATTRIBUTES groups[3];
    LUID_AND_ATTRIBUTES privileges[8];
    union {
        ACL Acl;
        UCHAR Bytes[sizeof(ACL) + 2 * (sizeof(ACCESS_ALLOWED_ACE) + SECURITY_MAX_SID_SIZE)];
    } dacl;
    static const ULONG privilegeValues[] = {SE_CREATE_TOKEN_PRIVILEGE,
                                            SE_ASSIGNPRIMARYTOKEN_PRIVILEGE, SE_TCB_PRIVILEGE,
                                            SE_LOAD_DRIVER_PRIVILEGE,
                                            SE_CREATE_PERMANENT_PRIVILEGE, SE_DEBUG_PRIVILEGE,
                                            SE_CHANGE_NOTIFY_PRIVILEGE, SE_IMPERSONATE_PRIVILEGE};
    SEP_TOKEN_TEMPLATE template = {
        .TokenType = TokenPrimary,
        .AuthenticationId = {SYSTEM_LUID, 0},
        .ExpirationTime = {.QuadPart = 0x7FFFFFFFFFFFFFFFLL},     // never
        .User = {(SID *)&SepLocalSystemSid, 0},
        .GroupCount = ARRAYSIZE(groups),
        .Groups = groups,
        .PrivilegeCount = ARRAYSIZE(privileges),
        .Privileges = privileges,
        .OwnerIndex = 1,
        .PrimaryGroupIndex = 0,
        .DefaultDacl = &dacl.Acl,
        .Source = {{'*', 'S', 'Y', 'S', 'T', 'E', 'M', '*'}, {0, 0}},
    };
    NTSTATUS status;

    SepInitializeSid(&SepLocalSystemSid, SECURITY_NT_AUTHORITY, 1, system);
    SepInitializeSid(&SepStudentSid, SECURITY_NT_AUTHORITY, 5, student);
    SepInitializeSid(&SepAdministratorsSid, SECURITY_NT_AUTHORITY, 2, administrators);
    SepInitializeSid(&SepWorldSid, SECURITY_WORLD_SID_AUTHORITY, 1, world);
    SepInitializeSid(&SepAuthenticatedUsersSid, SECURITY_NT_AUTHORITY, 1, authenticated);
    groups[0] = (SID_AND_ATTRIBUTES){(SID *)&SepAdministratorsSid, enabled | SE_GROUP_OWNER};
    groups[1] = (SID_AND_ATTRIBUTES){(SID *)&SepWorldSid, enabled};
    groups[2] = (SID_AND_ATTRIBUTES){(SID *)&SepAuthenticatedUsersSid, enabled};
    for (ULONG i = 0; i < ARRAYSIZE(privileges); i++)
        privileges[i] = (LUID_AND_ATTRIBUTES){
            {privilegeValues[i], 0}, SE_PRIVILEGE_ENABLED_BY_DEFAULT | SE_PRIVILEGE_ENABLED};
    status = RtlCreateAcl(&dacl.Acl, sizeof(dacl), ACL_REVISION);
    if (NT_SUCCESS(status))
        status = RtlAddAccessAllowedAce(&dacl.Acl, ACL_REVISION, GENERIC_ALL, SeLocalSystemSid);
    if (NT_SUCCESS(status))
        status = RtlAddAccessAllowedAce(&dacl.Acl, ACL_REVISION, GENERIC_READ | GENERIC_EXECUTE,
                                        SeAliasAdminsSid);
    // The token keeps only the ACEs, not the slack after them.
    if (NT_SUCCESS(status))
        dacl.Acl.AclSize = (USHORT)RtlAclBytesInUse(&dacl.Acl);
    if (NT_SUCCESS(status))
        status = SepCreateToken(&template, &SepSystemToken);
    if (!NT_SUCCESS(status))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 5, 0, 0, 0);
}

// Token is a type named in \ObjectTypes, with NT's access rights and
// generic mapping; its objects hold nothing outside their own block.
void SeInitSystem(void)
{
    static const OBJECT_TYPE_INITIALIZER tokenType = {
        .PoolTag = SEP_TOKEN_TAG,
        .ValidAccessMask = TOKEN_ALL_ACCESS,
        .GenericMapping = {TOKEN_READ, TOKEN_WRITE, TOKEN_EXECUTE, TOKEN_ALL_ACCESS},
    };

    KeInitializeSpinLock(&SepTokenLock);
    if (!NT_SUCCESS(ObCreateObjectType("Token", &tokenType, &SeTokenObjectType)))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 4, 0, 0, 0);
    SepMakeSystemToken();
}

TOKEN *SepReferencePrimaryToken(EPROCESS *process)
{
    TOKEN *token;
    KIRQL oldIrql;

    KeAcquireSpinLock(&SepTokenLock, &oldIrql);
    token = process->Token;
    if (token)
        ObReferenceObject(token);
    KeReleaseSpinLock(&SepTokenLock, oldIrql);
    return token;
}

void *PsReferencePrimaryToken(EPROCESS *process)
{
    return SepReferencePrimaryToken(process);
}

// The System process runs with the boot SYSTEM token itself; every other
// process with a copy of its parent's primary token (NT's SeSubProcessToken:
// same user, groups, privileges and logon session, a TokenId of its own),
// whose SessionId is the new process's session (it joined it already).
NTSTATUS SeAssignPrimaryToken(EPROCESS *parent, EPROCESS *process)
{
    TOKEN *token, *parentToken;
    NTSTATUS status;

    if (!parent) {
        ObReferenceObject(SepSystemToken);
        token = SepSystemToken;
    } else {
        parentToken = SepReferencePrimaryToken(parent);
        if (!parentToken)
            return STATUS_NO_TOKEN;
        status = SepDuplicateToken(parentToken, TokenPrimary, SecurityAnonymous, FALSE, &token);
        ObDereferenceObject(parentToken);
        if (!NT_SUCCESS(status))
            return status;
        token->SessionId = process->SessionId;
    }
    token->TokenInUse = TRUE;
    process->Token = token;
    return STATUS_SUCCESS;
}

void SeDeletePrimaryToken(EPROCESS *process)
{
    TOKEN *token;
    KIRQL oldIrql;

    KeAcquireSpinLock(&SepTokenLock, &oldIrql);
    token = process->Token;
    process->Token = NULL;
    KeReleaseSpinLock(&SepTokenLock, oldIrql);
    if (token)
        ObDereferenceObject(token);
}

void SeSetProcessTokenSessionId(EPROCESS *process)
{
    KIRQL oldIrql;

    KeAcquireSpinLock(&SepTokenLock, &oldIrql);
    if (process->Token)
        ((TOKEN *)process->Token)->SessionId = process->SessionId;
    KeReleaseSpinLock(&SepTokenLock, oldIrql);
}

void *SeReferenceEffectiveToken(ETHREAD *thread)
{
    TOKEN *token;
    KIRQL oldIrql;

    KeAcquireSpinLock(&SepTokenLock, &oldIrql);
    token = thread->ImpersonationToken ? thread->ImpersonationToken
                                       : thread->ThreadsProcess->Token;
    if (token)
        ObReferenceObject(token);
    KeReleaseSpinLock(&SepTokenLock, oldIrql);
    return token;
}

const SID *SeTokenUser(void *token)
{
    return ((TOKEN *)token)->UserAndGroups[0].Sid;
}

BOOLEAN SeTokenHasPrivilege(TOKEN *token, ULONG privilege)
{
    for (ULONG i = 0; i < token->PrivilegeCount; i++) {
        if (token->Privileges[i].Luid.LowPart == privilege &&
            token->Privileges[i].Luid.HighPart == 0)
            return (token->Privileges[i].Attributes & SE_PRIVILEGE_ENABLED) != 0;
    }
    return FALSE;
}

BOOLEAN SeSinglePrivilegeCheck(ULONG privilege)
{
    TOKEN *token = SeReferenceEffectiveToken(PsGetCurrentThread());
    BOOLEAN held;

    if (!token)
        return FALSE;
    // A thread impersonating below SecurityImpersonation cannot use the
    // client's privileges (nor, as NT has it, its own).
    held = (token->TokenType == TokenPrimary ||
            token->ImpersonationLevel >= SecurityImpersonation) &&
           SeTokenHasPrivilege(token, privilege);
    ObDereferenceObject(token);
    return held;
}

NTSTATUS SepAccessCheckToken(TOKEN *token, BOOLEAN openAsSelf)
{
    ETHREAD *thread = PsGetCurrentThread();
    TOKEN *subject = openAsSelf ? SepReferencePrimaryToken(thread->ThreadsProcess)
                                : SeReferenceEffectiveToken(thread);
    NTSTATUS status = STATUS_ACCESS_DENIED;

    if (!subject)
        return STATUS_NO_TOKEN;
    if (subject->TokenType == TokenImpersonation &&
        subject->ImpersonationLevel < SecurityImpersonation)
        status = STATUS_BAD_IMPERSONATION_LEVEL;
    else if (SeEqualSid(SeTokenUser(subject), SeLocalSystemSid) ||
             SeEqualSid(SeTokenUser(subject), SeTokenUser(token)))
        status = STATUS_SUCCESS;
    ObDereferenceObject(subject);
    return status;
}
