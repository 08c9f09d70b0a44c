// Security descriptors, ACLs, ACEs and SIDs in NT's binary layouts (x64),
// and the run-time library routines that build, measure and check them.
// Pure code with no kernel state: the same file (rtl/security.c) builds into
// the kernel, into every user program (the user runtime's ntdll-like half)
// and into the host tests.
#pragma once

#include "rtl/rtl.h"

// ---- SIDs -------------------------------------------------------------------------

// A SID in NT's binary layout, at most SID_MAX_SUB_AUTHORITIES deep.
#define SID_REVISION            1
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

typedef struct _SID_AND_ATTRIBUTES {
    SID *Sid;
    ULONG Attributes;
} SID_AND_ATTRIBUTES;

// Group attributes (NT's values) that decide whether a group counts in an
// access check: enabled groups match every ACE, deny-only groups only
// ACCESS_DENIED ones.
#define SE_GROUP_MANDATORY          0x00000001
#define SE_GROUP_ENABLED_BY_DEFAULT 0x00000002
#define SE_GROUP_ENABLED            0x00000004
#define SE_GROUP_OWNER              0x00000008
#define SE_GROUP_USE_FOR_DENY_ONLY  0x00000010
#define SE_GROUP_LOGON_ID           0xC0000000

// ---- ACLs and ACEs --------------------------------------------------------------------

typedef struct _ACL {
    UCHAR AclRevision;              // ACL_REVISION (2) .. ACL_REVISION_DS (4)
    UCHAR Sbz1;
    USHORT AclSize;                 // the whole ACL, header and ACEs, in bytes
    USHORT AceCount;
    USHORT Sbz2;
} ACL;
#define ACL_REVISION    2
#define ACL_REVISION_DS 4

typedef struct _ACE_HEADER {
    UCHAR AceType;
    UCHAR AceFlags;
    USHORT AceSize;                 // header, mask and SID, a multiple of 4
} ACE_HEADER;

#define ACCESS_ALLOWED_ACE_TYPE 0x0
#define ACCESS_DENIED_ACE_TYPE  0x1
#define SYSTEM_AUDIT_ACE_TYPE   0x2

// AceFlags: inheritance (an INHERIT_ONLY ACE does not apply to the object
// that holds it, only to children, so an access check skips it).
#define OBJECT_INHERIT_ACE       0x01
#define CONTAINER_INHERIT_ACE    0x02
#define NO_PROPAGATE_INHERIT_ACE 0x04
#define INHERIT_ONLY_ACE         0x08
#define INHERITED_ACE            0x10
#define VALID_INHERIT_FLAGS      0x1F

// Allowed, denied and audit ACEs share one shape: the SID starts at SidStart.
typedef struct _ACCESS_ALLOWED_ACE {
    ACE_HEADER Header;
    ACCESS_MASK Mask;
    ULONG SidStart;
} ACCESS_ALLOWED_ACE;
typedef ACCESS_ALLOWED_ACE ACCESS_DENIED_ACE;
typedef ACCESS_ALLOWED_ACE SYSTEM_AUDIT_ACE;

// ---- Security descriptors -----------------------------------------------------------

typedef USHORT SECURITY_DESCRIPTOR_CONTROL;
#define SE_OWNER_DEFAULTED       0x0001
#define SE_GROUP_DEFAULTED       0x0002
#define SE_DACL_PRESENT          0x0004
#define SE_DACL_DEFAULTED        0x0008
#define SE_SACL_PRESENT          0x0010
#define SE_SACL_DEFAULTED        0x0020
#define SE_DACL_AUTO_INHERIT_REQ 0x0100
#define SE_SACL_AUTO_INHERIT_REQ 0x0200
#define SE_DACL_AUTO_INHERITED   0x0400
#define SE_SACL_AUTO_INHERITED   0x0800
#define SE_DACL_PROTECTED        0x1000
#define SE_SACL_PROTECTED        0x2000
#define SE_RM_CONTROL_VALID      0x4000
#define SE_SELF_RELATIVE         0x8000

#define SECURITY_DESCRIPTOR_REVISION 1

// The absolute form: the parts are anywhere, named by pointers (what a
// program builds and hands to NtCreateXxx in OBJECT_ATTRIBUTES).
typedef struct _SECURITY_DESCRIPTOR {
    UCHAR Revision;
    UCHAR Sbz1;
    SECURITY_DESCRIPTOR_CONTROL Control;
    SID *Owner;
    SID *Group;
    ACL *Sacl;
    ACL *Dacl;
} SECURITY_DESCRIPTOR;
#define SECURITY_DESCRIPTOR_MIN_LENGTH sizeof(SECURITY_DESCRIPTOR)

// The self-relative form: one block, the parts at offsets from its start
// (0: absent). What the kernel keeps on objects and what
// NtQuerySecurityObject returns.
typedef struct _SECURITY_DESCRIPTOR_RELATIVE {
    UCHAR Revision;
    UCHAR Sbz1;
    SECURITY_DESCRIPTOR_CONTROL Control;
    ULONG Owner;
    ULONG Group;
    ULONG Sacl;
    ULONG Dacl;
} SECURITY_DESCRIPTOR_RELATIVE;

// Which parts a query or a change is about.
typedef ULONG SECURITY_INFORMATION;
#define OWNER_SECURITY_INFORMATION 0x00000001
#define GROUP_SECURITY_INFORMATION 0x00000002
#define DACL_SECURITY_INFORMATION  0x00000004
#define SACL_SECURITY_INFORMATION  0x00000008

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
