// Security: access tokens (the identity a process or thread runs with),
// SIDs, and impersonation, as far as LPC needs them: a server thread that
// impersonates its client runs with the client's token until it reverts.
//
// The interface below is the contract between the security helpers
// (kernel/se) and their users (kernel/lpc, kernel/ps, the debugger).
#pragma once

#include "ob/ob.h"
#include "rtl/security.h"

struct _EPROCESS;
struct _ETHREAD;

// The token object's body (NT's TOKEN, the fields Sleuth uses). The user
// and group SIDs, the privileges and the default DACL live in VariablePart,
// in the same allocation: a token is one block of pool, freed with the object.
typedef struct _TOKEN {
    TOKEN_SOURCE TokenSource;
    LUID TokenId;                   // this token's own id
    LUID AuthenticationId;          // its logon session (SYSTEM_LUID for SYSTEM)
    LUID ParentTokenId;
    LARGE_INTEGER ExpirationTime;
    LUID ModifiedId;                // changes when the token does
    ULONG SessionId;
    ULONG UserAndGroupCount;        // UserAndGroups[0] is the user
    ULONG PrivilegeCount;
    ULONG VariableLength;
    ULONG DefaultOwnerIndex;        // into UserAndGroups
    ULONG PrimaryGroupIndex;        // into UserAndGroups (NT keeps a SID pointer)
    SID_AND_ATTRIBUTES *UserAndGroups;
    LUID_AND_ATTRIBUTES *Privileges;
    void *DefaultDacl;              // a captured ACL, or NULL
    TOKEN_TYPE TokenType;
    SECURITY_IMPERSONATION_LEVEL ImpersonationLevel;    // impersonation tokens only
    BOOLEAN TokenInUse;             // it is some process's primary token
    ULONG64 VariablePart[];
} TOKEN;

// What a server keeps to impersonate a client (NT's SECURITY_CLIENT_CONTEXT):
// with static tracking, a copy of the client's token taken at connect time.
typedef struct _SECURITY_CLIENT_CONTEXT {
    SECURITY_QUALITY_OF_SERVICE SecurityQos;
    void *ClientToken;              // a referenced TOKEN object, or NULL
    BOOLEAN DirectlyAccessClientToken;
    BOOLEAN DirectAccessEffectiveOnly;
    BOOLEAN ServerIsRemote;
} SECURITY_CLIENT_CONTEXT;

extern OBJECT_TYPE *SeTokenObjectType;

// Boot: the Token type and the SYSTEM token the System process runs with.
void SeInitSystem(void);

// A process's primary token: a new process gets a copy of its parent's
// (process creation calls this; with no parent, the System process, the
// boot SYSTEM token itself); the token goes with the process.
NTSTATUS SeAssignPrimaryToken(struct _EPROCESS *parent, struct _EPROCESS *process);
void SeDeletePrimaryToken(struct _EPROCESS *process);
// The process's primary token takes the process's session id, as NT keeps
// a token's SessionId with its process's session: called when the process
// moves to another session (SystemSessionCreate).
void SeSetProcessTokenSessionId(struct _EPROCESS *process);

// The token a thread runs with: its impersonation token if it has one,
// else its process's primary token. Referenced; NULL only for the Idle
// thread (the Idle process has no token).
void *SeReferenceEffectiveToken(struct _ETHREAD *thread);
// The user SID of a token (points into the token).
const SID *SeTokenUser(void *token);
// A process's primary token, referenced (NULL once the process has ended),
// as NT's PsReferencePrimaryToken: LPC checks a server's identity with it.
void *PsReferencePrimaryToken(struct _EPROCESS *process);
static inline BOOLEAN SeEqualSid(const SID *a, const SID *b)
{
    return RtlEqualSid(a, b);
}

// Captures what a server needs to impersonate `client` later. Static
// tracking copies the client's effective token now, as an impersonation
// token at the QoS level (EffectiveOnly drops its disabled groups and
// privileges); dynamic tracking references the client's token itself and
// makes the impersonation token from it at SeImpersonateClientEx, so what
// the server sees is the token as it is then. (NT's NtImpersonateClientOfPort
// calls this at each impersonation for a dynamic-tracking port, with the
// client thread the port remembers, so a client that started impersonating
// since it connected is seen as it is now.) A client that is itself
// impersonating cannot hand on more than it holds:
// STATUS_BAD_IMPERSONATION_LEVEL when the QoS asks for a higher level than
// its impersonation token's, or when the server is remote and the client's
// level is below SecurityDelegation.
NTSTATUS SeCreateClientSecurity(struct _ETHREAD *client, const SECURITY_QUALITY_OF_SERVICE *qos,
                                BOOLEAN serverIsRemote, SECURITY_CLIENT_CONTEXT *context);
// Makes `server` run as the client, at the QoS level, as NT's: every level
// can be impersonated, but a server at SecurityIdentification can only look
// at the identity (NtOpenThreadToken with OpenAsSelf, NtQueryInformationToken):
// opening objects as the client fails with STATUS_BAD_IMPERSONATION_LEVEL,
// and at SecurityAnonymous even NtOpenThreadToken fails
// (STATUS_CANT_OPEN_ANONYMOUS). STATUS_THREAD_IS_TERMINATING for a server
// that has ended.
NTSTATUS SeImpersonateClientEx(SECURITY_CLIENT_CONTEXT *context, struct _ETHREAD *server);
void SeDeleteClientSecurity(SECURITY_CLIENT_CONTEXT *context);
// Ends a thread's impersonation (NtSetInformationThread(ThreadImpersonationToken, NULL)).
void PsRevertToSelf(void);
// The same for any thread; thread exit calls it so the token goes with it.
void PsRevertThreadToSelf(struct _ETHREAD *thread);
// Makes `thread` impersonate `token` (an impersonation token), as NT's
// PsImpersonateClient; NULL reverts. STATUS_THREAD_IS_TERMINATING for a
// thread that has ended.
NTSTATUS PsImpersonateClient(struct _ETHREAD *thread, TOKEN *token);

// The well-known identities: SYSTEM (S-1-5-18), and the student user
// Sleuth's programs may run as (S-1-5-21-1-2-3-1000, SLEUTH\student).
extern const SID *SeLocalSystemSid;
extern const SID *SeStudentSid;
extern const SID *SeAliasAdminsSid;    // BUILTIN\Administrators, S-1-5-32-544
extern const SID *SeWorldSid;          // Everyone, S-1-1-0
extern TOKEN *SepSystemToken;       // the boot token of the System process
// The kernel's names for the run-time library's SID routines.
static inline ULONG SeLengthSid(const SID *sid)
{
    return RtlLengthSid(sid);
}
// "S-1-5-18": the SID's text form, always NUL-terminated (truncated if
// `size` is short).
static inline void SeFormatSid(const SID *sid, char *buffer, SIZE_T size)
{
    RtlFormatSid(sid, buffer, size);
}
// TRUE when the token holds the privilege, enabled.
BOOLEAN SeTokenHasPrivilege(TOKEN *token, ULONG privilege);
// The thread's effective token holds the privilege, enabled.
BOOLEAN SeSinglePrivilegeCheck(ULONG privilege);

// ---- Security descriptors and the access check ---------------------------------
//
// Pure (accesschk.c, sdinfo.c; host-tested): the rules themselves.

// GENERIC_* bits of *mask replaced by the rights `mapping` gives them.
void RtlMapGenericMask(ACCESS_MASK *mask, const GENERIC_MAPPING *mapping);
// NT's SeAccessCheck for a subject given as its user (entry 0) and groups
// with their attributes, against a valid descriptor of either form.
// STATUS_SUCCESS with the rights granted, or STATUS_ACCESS_DENIED.
NTSTATUS SeAccessCheckSubject(const void *securityDescriptor,
                              const SID_AND_ATTRIBUTES *userAndGroups, ULONG count,
                              ACCESS_MASK desiredAccess, const GENERIC_MAPPING *mapping,
                              ACCESS_MASK *grantedAccess);
// A new object's descriptor: the creator's parts, and for what it left out
// the token's defaults (owner, primary group, default DACL); generic rights
// in its ACEs mapped through `mapping`.
NTSTATUS SeBuildObjectSecurity(const void *creatorDescriptor, const SID *defaultOwner,
                               const SID *primaryGroup, const ACL *defaultDacl,
                               const GENERIC_MAPPING *mapping,
                               SECURITY_DESCRIPTOR_RELATIVE *buffer, ULONG *length);
// The parts `information` names of an object's descriptor (NULL: an
// object without one), self-relative.
NTSTATUS SeQuerySecurityDescriptorInfo(SECURITY_INFORMATION information,
                                       SECURITY_DESCRIPTOR_RELATIVE *buffer, ULONG *length,
                                       const void *objectDescriptor);
// An object's descriptor with the parts `information` names taken from
// `modification`.
NTSTATUS SeSetSecurityDescriptorInfo(SECURITY_INFORMATION information,
                                     const void *modification, const void *objectDescriptor,
                                     const GENERIC_MAPPING *mapping,
                                     SECURITY_DESCRIPTOR_RELATIVE *buffer, ULONG *length);

// The kernel's half (sdcapture.c): descriptors in pool, and tokens.

// A kernel copy of a user-mode descriptor of either form, self-relative,
// in pool with `poolTag`: STATUS_ACCESS_VIOLATION for a bad pointer
// anywhere in it, STATUS_UNKNOWN_REVISION for a revision other than 1,
// STATUS_INVALID_SID / STATUS_INVALID_ACL for a bad owner, group or ACL of
// an absolute descriptor, STATUS_INVALID_SECURITY_DESCR for a self-relative
// one that does not check out (a part outside it, a bad SID or ACL).
// NULL userDescriptor: *captured is NULL.
NTSTATUS SeCaptureSecurityDescriptor(const void *userDescriptor, ULONG poolTag,
                                     SECURITY_DESCRIPTOR_RELATIVE **captured);
// The same for a descriptor already in kernel memory (a kernel caller's).
NTSTATUS SeCopySecurityDescriptor(const void *descriptor, ULONG poolTag,
                                  SECURITY_DESCRIPTOR_RELATIVE **copy);
// SeBuildObjectSecurity with `token`'s defaults, in pool.
NTSTATUS SeAssignSecurity(const void *creatorDescriptor, void *token,
                          const GENERIC_MAPPING *mapping, ULONG poolTag,
                          SECURITY_DESCRIPTOR_RELATIVE **descriptor);
// SeSetSecurityDescriptorInfo in pool.
NTSTATUS SeSetSecurity(SECURITY_INFORMATION information, const void *modification,
                       const void *objectDescriptor, const GENERIC_MAPPING *mapping,
                       ULONG poolTag, SECURITY_DESCRIPTOR_RELATIVE **descriptor);
// The access check for `token` (the caller's effective one): an
// impersonation below SecurityImpersonation opens nothing
// (STATUS_BAD_IMPERSONATION_LEVEL).
NTSTATUS SeAccessCheck(const void *securityDescriptor, void *token, ACCESS_MASK desiredAccess,
                       const GENERIC_MAPPING *mapping, ACCESS_MASK *grantedAccess);
// May `token` make `owner` an object's owner? Its user, or a group it holds
// with SE_GROUP_OWNER, as NT's SepValidOwnerSubjectContext.
BOOLEAN SeValidOwner(void *token, const SID *owner);
