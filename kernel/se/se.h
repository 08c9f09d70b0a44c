// Security: access tokens (the identity a process or thread runs with),
// SIDs, and impersonation, as far as LPC needs them: a server thread that
// impersonates its client runs with the client's token until it reverts.
//
// The interface below is the contract between the security helpers
// (kernel/se) and their users (kernel/lpc, kernel/ps, the debugger).
#pragma once

#include "ob/ob.h"

struct _EPROCESS;
struct _ETHREAD;

// A SID in NT's binary layout, at most SID_MAX_SUB_AUTHORITIES deep.
#define SID_MAX_SUB_AUTHORITIES 15
typedef struct _SID_IDENTIFIER_AUTHORITY {
    UCHAR Value[6];
} SID_IDENTIFIER_AUTHORITY;
typedef struct _SID {
    UCHAR Revision;                 // 1
    UCHAR SubAuthorityCount;
    SID_IDENTIFIER_AUTHORITY IdentifierAuthority;
    ULONG SubAuthority[1];          // SubAuthorityCount of them
} SID;
#define SECURITY_MAX_SID_SIZE (8 + SID_MAX_SUB_AUTHORITIES * sizeof(ULONG))

typedef enum _SECURITY_IMPERSONATION_LEVEL {
    SecurityAnonymous,
    SecurityIdentification,
    SecurityImpersonation,
    SecurityDelegation
} SECURITY_IMPERSONATION_LEVEL;

#define SECURITY_DYNAMIC_TRACKING TRUE
#define SECURITY_STATIC_TRACKING  FALSE

typedef struct _SECURITY_QUALITY_OF_SERVICE {
    ULONG Length;
    SECURITY_IMPERSONATION_LEVEL ImpersonationLevel;
    BOOLEAN ContextTrackingMode;    // SECURITY_DYNAMIC_TRACKING or _STATIC_
    BOOLEAN EffectiveOnly;
} SECURITY_QUALITY_OF_SERVICE;

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
// (process creation calls this); the token goes with the process.
NTSTATUS SeAssignPrimaryToken(struct _EPROCESS *parent, struct _EPROCESS *process);
void SeDeletePrimaryToken(struct _EPROCESS *process);

// The token a thread runs with: its impersonation token if it has one,
// else its process's primary token. Referenced.
void *SeReferenceEffectiveToken(struct _ETHREAD *thread);
// The user SID of a token (points into the token).
const SID *SeTokenUser(void *token);
BOOLEAN SeEqualSid(const SID *a, const SID *b);

// Captures what a server needs to impersonate `client` later (static
// tracking copies the token now; dynamic reads it when impersonating).
NTSTATUS SeCreateClientSecurity(struct _ETHREAD *client, const SECURITY_QUALITY_OF_SERVICE *qos,
                                BOOLEAN serverIsRemote, SECURITY_CLIENT_CONTEXT *context);
// Makes `server` (the current thread) run as the client. STATUS_BAD_IMPERSONATION_LEVEL
// below SecurityImpersonation... as NT's rules say.
NTSTATUS SeImpersonateClientEx(SECURITY_CLIENT_CONTEXT *context, struct _ETHREAD *server);
void SeDeleteClientSecurity(SECURITY_CLIENT_CONTEXT *context);
// Ends a thread's impersonation (NtSetInformationThread(ThreadImpersonationToken, NULL)).
void PsRevertToSelf(void);
