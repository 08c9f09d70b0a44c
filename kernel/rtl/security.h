// Security descriptors, ACLs, ACEs and SIDs in NT's binary layouts (x64),
// and the run-time library routines that build, measure and check them.
// Pure code with no kernel state: the same file (rtl/security.c) builds into
// the kernel, into every user program (the user runtime's ntdll-like half)
// and into the host tests.
#pragma once

#include "rtl/rtl.h"
#include "ndk/ntseapi.h"    // the ABI: SIDs, ACLs, descriptors, tokens

// ---- Routines (rtl/security.c) -----------------------------------------------------

ULONG RtlLengthSid(const SID *sid);
// Revision 1 and no more than SID_MAX_SUB_AUTHORITIES.
BOOLEAN RtlValidSid(const SID *sid);
BOOLEAN RtlEqualSid(const SID *a, const SID *b);
// "S-1-5-18": always NUL-terminated (truncated if `size` is short).
void RtlFormatSid(const SID *sid, char *buffer, SIZE_T size);

// An empty ACL of `length` bytes (rounded down to a multiple of 4):
// STATUS_BUFFER_TOO_SMALL below sizeof(ACL), STATUS_INVALID_PARAMETER for a
// revision outside 2..4 or a length above 0xFFFF.
NTSTATUS RtlCreateAcl(ACL *acl, ULONG length, ULONG revision);
// Append an ACE after the last one: STATUS_INVALID_ACL, STATUS_INVALID_SID,
// STATUS_REVISION_MISMATCH (an ACE revision above the ACL's),
// STATUS_ALLOTTED_SPACE_EXCEEDED when
// the ACL has no room left.
NTSTATUS RtlAddAccessAllowedAce(ACL *acl, ULONG revision, ACCESS_MASK mask, const SID *sid);
NTSTATUS RtlAddAccessDeniedAce(ACL *acl, ULONG revision, ACCESS_MASK mask, const SID *sid);
NTSTATUS RtlAddAccessAllowedAceEx(ACL *acl, ULONG revision, ULONG flags, ACCESS_MASK mask,
                                  const SID *sid);
// The index'th ACE (STATUS_INVALID_PARAMETER past the last).
NTSTATUS RtlGetAce(const ACL *acl, ULONG index, void **ace);
// Every ACE lies inside AclSize, is a multiple of 4 long, and an allowed,
// denied or audit ACE holds a valid SID that fits in it.
BOOLEAN RtlValidAcl(const ACL *acl);
// The header and the ACEs, without the free room after them (0 when the
// ACL is malformed): NT's AclBytesInUse.
ULONG RtlAclBytesInUse(const ACL *acl);
// The SID of an allowed/denied/audit ACE.
static inline SID *RtlAceSid(const ACCESS_ALLOWED_ACE *ace)
{
    return (SID *)&ace->SidStart;
}

// An absolute descriptor with nothing in it (STATUS_UNKNOWN_REVISION
// unless revision is 1).
NTSTATUS RtlCreateSecurityDescriptor(SECURITY_DESCRIPTOR *sd, ULONG revision);
// Setting a part of an absolute descriptor (STATUS_INVALID_SECURITY_DESCR
// for a self-relative one, STATUS_UNKNOWN_REVISION for a bad revision).
NTSTATUS RtlSetDaclSecurityDescriptor(SECURITY_DESCRIPTOR *sd, BOOLEAN present, ACL *dacl,
                                      BOOLEAN defaulted);
NTSTATUS RtlSetOwnerSecurityDescriptor(SECURITY_DESCRIPTOR *sd, SID *owner, BOOLEAN defaulted);
NTSTATUS RtlSetGroupSecurityDescriptor(SECURITY_DESCRIPTOR *sd, SID *group, BOOLEAN defaulted);

// The parts of a descriptor of either form (NULL when absent; the DACL is
// NULL also when SE_DACL_PRESENT is set with no ACL: a NULL DACL).
SID *RtlOwnerOfSecurityDescriptor(const void *sd);
SID *RtlGroupOfSecurityDescriptor(const void *sd);
ACL *RtlDaclOfSecurityDescriptor(const void *sd);
ACL *RtlSaclOfSecurityDescriptor(const void *sd);
// How long the self-relative form of `sd` (either form) is.
ULONG RtlLengthSecurityDescriptor(const void *sd);
// The self-relative form of `sd` (either form) in `buffer`: when *length
// is too short, STATUS_BUFFER_TOO_SMALL with *length set to what it needs.
NTSTATUS RtlMakeSelfRelativeSD(const void *sd, SECURITY_DESCRIPTOR_RELATIVE *buffer,
                               ULONG *length);
// The same from an absolute descriptor only (STATUS_BAD_DESCRIPTOR_FORMAT
// for a self-relative one).
NTSTATUS RtlAbsoluteToSelfRelativeSD(const SECURITY_DESCRIPTOR *sd,
                                     SECURITY_DESCRIPTOR_RELATIVE *buffer, ULONG *length);
// A self-relative descriptor of `length` bytes is well formed: revision 1,
// SE_SELF_RELATIVE, every part inside the block at a ULONG-aligned offset,
// valid SIDs and ACLs; and holds each part `required` names.
BOOLEAN RtlValidRelativeSecurityDescriptor(const SECURITY_DESCRIPTOR_RELATIVE *sd, ULONG length,
                                           SECURITY_INFORMATION required);
