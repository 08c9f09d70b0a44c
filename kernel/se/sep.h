// Private to the security component (kernel/se): how tokens are made,
// and the lock that guards who holds which token.
#pragma once

#include "se/se.h"
#include "ps/ps.h"
#include "mm/mm.h"

#define SEP_TOKEN_TAG POOL_TAG('T', 'o', 'k', 'e')

// Sleuth's bounds on what one token may hold (NT's are only the pool's).
#define SEP_MAX_GROUPS      32
#define SEP_MAX_PRIVILEGES  36
#define SEP_MAX_ACL_SIZE    1024

// Guards EPROCESS.Token and ETHREAD.ImpersonationToken: a pointer is read
// and referenced, or swapped, under it; references are dropped after.
extern KSPIN_LOCK SepTokenLock;

LUID SepAllocateLuid(void);

// Everything a new token is made of, in kernel memory (captured from user
// mode, or copied from an existing token). Groups[0..GroupCount-1] exclude
// the user; OwnerIndex/PrimaryGroupIndex count the user as 0.
typedef struct _SEP_TOKEN_TEMPLATE {
    TOKEN_TYPE TokenType;
    SECURITY_IMPERSONATION_LEVEL ImpersonationLevel;
    LUID AuthenticationId;
    LUID ParentTokenId;
    LUID ModifiedId;                // zero: a new one
    LARGE_INTEGER ExpirationTime;
    SID_AND_ATTRIBUTES User;
    ULONG GroupCount;
    const SID_AND_ATTRIBUTES *Groups;
    ULONG PrivilegeCount;
    const LUID_AND_ATTRIBUTES *Privileges;
    ULONG OwnerIndex;
    ULONG PrimaryGroupIndex;
    const ACL *DefaultDacl;
    TOKEN_SOURCE Source;
    ULONG SessionId;
} SEP_TOKEN_TEMPLATE;

// A new token object (one reference) laid out from the template: the SIDs,
// privileges and DACL are copied into its variable part.
NTSTATUS SepCreateToken(const SEP_TOKEN_TEMPLATE *template, TOKEN **token);

// NT's SepDuplicateToken: a copy with a new TokenId, of `tokenType` at
// `level`; effectiveOnly leaves out disabled groups and privileges.
NTSTATUS SepDuplicateToken(TOKEN *existing, TOKEN_TYPE tokenType,
                           SECURITY_IMPERSONATION_LEVEL level, BOOLEAN effectiveOnly,
                           TOKEN **token);

// The primary token of `process`, referenced (NULL for Idle).
TOKEN *SepReferencePrimaryToken(EPROCESS *process);

// May the current thread open `token`? Tokens carry no security descriptor
// yet; Sleuth grants what NT's default token DACL grants: everything to
// SYSTEM and to the token's own user, nothing to anyone else. The subject
// is the thread's effective token, or with openAsSelf its process's: an
// impersonation below SecurityImpersonation cannot open objects at all
// (STATUS_BAD_IMPERSONATION_LEVEL).
NTSTATUS SepAccessCheckToken(TOKEN *token, BOOLEAN openAsSelf);

// A handle to `token` (referenced by the caller; the reference passes to
// the handle) written to *userHandle, which was probed.
NTSTATUS SepInsertTokenHandle(TOKEN *token, ACCESS_MASK desiredAccess, HANDLE *userHandle);

// The SECURITY_QUALITY_OF_SERVICE of a user OBJECT_ATTRIBUTES (already
// checked by ObCaptureObjectAttributes), if it has one.
NTSTATUS SepCaptureQos(const OBJECT_ATTRIBUTES *userAttributes,
                       SECURITY_QUALITY_OF_SERVICE *qos, BOOLEAN *present);

// A SID from user memory, checked (revision 1, at most 15 sub-authorities:
// else STATUS_INVALID_SID) into `buffer` of SECURITY_MAX_SID_SIZE bytes.
NTSTATUS SepCaptureSid(const SID *userSid, SID *buffer);
