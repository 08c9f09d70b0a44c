// Security as user mode sees it: SIDs, ACLs and ACEs, security
// descriptors (NT's binary layouts, x64), access tokens, impersonation
// levels and privileges, and the token and object-security services. Part
// of the NT ABI (kernel/ndk/); the token object and the access check are
// in kernel/se/, the routines that build descriptors in kernel/rtl/security.h.
#pragma once

#include "ntdef.h"
#include "ntobapi.h"

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
} SID, *PSID;
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
} ACL, *PACL;
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
// program builds and hands to an NtCreate* service in OBJECT_ATTRIBUTES).
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

typedef void *PSECURITY_DESCRIPTOR;    // either form

// Which parts a query or a change is about.
typedef ULONG SECURITY_INFORMATION;
#define OWNER_SECURITY_INFORMATION 0x00000001
#define GROUP_SECURITY_INFORMATION 0x00000002
#define DACL_SECURITY_INFORMATION  0x00000004
#define SACL_SECURITY_INFORMATION  0x00000008

// ---- Tokens and impersonation ------------------------------------------------------

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
} SECURITY_QUALITY_OF_SERVICE, *PSECURITY_QUALITY_OF_SERVICE;

// A locally unique id: tokens, logon sessions and privileges are named by
// LUIDs, handed out from one counter (SepNextLuid) as NT's
// ExAllocateLocallyUniqueId does. The values below 1000 are NT's reserved ones.
typedef struct _LUID {
    ULONG LowPart;
    LONG HighPart;
} LUID, *PLUID;
#define SYSTEM_LUID          0x3E7      // the SYSTEM logon session (AuthenticationId)
#define ANONYMOUS_LOGON_LUID 0x3E6

typedef enum _TOKEN_TYPE { TokenPrimary = 1, TokenImpersonation } TOKEN_TYPE;

typedef struct _LUID_AND_ATTRIBUTES {
    LUID Luid;
    ULONG Attributes;
} LUID_AND_ATTRIBUTES;

// Privilege attributes (NT's values; the group ones are above).
#define SE_PRIVILEGE_ENABLED_BY_DEFAULT 0x00000001
#define SE_PRIVILEGE_ENABLED            0x00000002

// The privileges Sleuth checks, by NT's LUID values.
#define SE_CREATE_TOKEN_PRIVILEGE         2
#define SE_ASSIGNPRIMARYTOKEN_PRIVILEGE   3
#define SE_INCREASE_QUOTA_PRIVILEGE       5
#define SE_TCB_PRIVILEGE                  7
#define SE_LOAD_DRIVER_PRIVILEGE          10
#define SE_CREATE_PERMANENT_PRIVILEGE     16
#define SE_DEBUG_PRIVILEGE                20
#define SE_CHANGE_NOTIFY_PRIVILEGE        23
#define SE_IMPERSONATE_PRIVILEGE          29

#define TOKEN_ASSIGN_PRIMARY    0x0001
#define TOKEN_DUPLICATE         0x0002
#define TOKEN_IMPERSONATE       0x0004
#define TOKEN_QUERY             0x0008
#define TOKEN_QUERY_SOURCE      0x0010
#define TOKEN_ADJUST_PRIVILEGES 0x0020
#define TOKEN_ADJUST_GROUPS     0x0040
#define TOKEN_ADJUST_DEFAULT    0x0080
#define TOKEN_ALL_ACCESS        (STANDARD_RIGHTS_REQUIRED | 0xFF)
#define TOKEN_READ              (STANDARD_RIGHTS_READ | TOKEN_QUERY)
#define TOKEN_WRITE             (STANDARD_RIGHTS_WRITE | TOKEN_ADJUST_PRIVILEGES | \
                                 TOKEN_ADJUST_GROUPS | TOKEN_ADJUST_DEFAULT)
#define TOKEN_EXECUTE           (STANDARD_RIGHTS_EXECUTE | TOKEN_IMPERSONATE)

#define TOKEN_SOURCE_LENGTH 8
typedef struct _TOKEN_SOURCE {
    char SourceName[TOKEN_SOURCE_LENGTH];
    LUID SourceIdentifier;
} TOKEN_SOURCE;

// ---- Token services (kernel/se/tokensvc.c, createtoken.c) ----------------------------

typedef enum _TOKEN_INFORMATION_CLASS {
    TokenUser = 1,
    TokenType = 8,
    TokenImpersonationLevel = 9,
    TokenStatistics = 10,
    TokenSessionId = 12,            // a ULONG: the session of the token's process
} TOKEN_INFORMATION_CLASS;

typedef struct _TOKEN_USER {
    SID_AND_ATTRIBUTES User;
} TOKEN_USER;

typedef struct _TOKEN_STATISTICS {
    LUID TokenId;
    LUID AuthenticationId;
    LARGE_INTEGER ExpirationTime;
    TOKEN_TYPE TokenType;
    SECURITY_IMPERSONATION_LEVEL ImpersonationLevel;
    ULONG DynamicCharged;
    ULONG DynamicAvailable;
    ULONG GroupCount;
    ULONG PrivilegeCount;
    LUID ModifiedId;
} TOKEN_STATISTICS;
_Static_assert(sizeof(TOKEN_STATISTICS) == 56, "TOKEN_STATISTICS matches NT x64");

typedef struct _TOKEN_GROUPS {
    ULONG GroupCount;
    SID_AND_ATTRIBUTES Groups[ANYSIZE_ARRAY];   // GroupCount of them
} TOKEN_GROUPS;

typedef struct _TOKEN_PRIVILEGES {
    ULONG PrivilegeCount;
    LUID_AND_ATTRIBUTES Privileges[ANYSIZE_ARRAY];  // PrivilegeCount of them
} TOKEN_PRIVILEGES;

typedef struct _TOKEN_OWNER {
    SID *Owner;
} TOKEN_OWNER;

typedef struct _TOKEN_PRIMARY_GROUP {
    SID *PrimaryGroup;
} TOKEN_PRIMARY_GROUP;

typedef struct _TOKEN_DEFAULT_DACL {
    ACL *DefaultDacl;
} TOKEN_DEFAULT_DACL;

typedef struct _PROCESS_ACCESS_TOKEN {
    HANDLE Token;
    HANDLE Thread;                  // unused, as on NT
} PROCESS_ACCESS_TOKEN;

NTSTATUS NTAPI NtOpenProcessToken(HANDLE processHandle, ACCESS_MASK desiredAccess,
                                  HANDLE *tokenHandle);
NTSTATUS NTAPI NtOpenThreadToken(HANDLE threadHandle, ACCESS_MASK desiredAccess,
                                 BOOLEAN openAsSelf, HANDLE *tokenHandle);
NTSTATUS NTAPI NtQueryInformationToken(HANDLE tokenHandle,
                                       TOKEN_INFORMATION_CLASS informationClass, void *information,
                                       ULONG informationLength, ULONG *returnLength);
NTSTATUS NTAPI NtDuplicateToken(HANDLE existingTokenHandle, ACCESS_MASK desiredAccess,
                                const OBJECT_ATTRIBUTES *objectAttributes, BOOLEAN effectiveOnly,
                                TOKEN_TYPE tokenType, HANDLE *newTokenHandle);
NTSTATUS NTAPI NtCreateToken(HANDLE *tokenHandle, ACCESS_MASK desiredAccess,
                             const OBJECT_ATTRIBUTES *objectAttributes, TOKEN_TYPE tokenType,
                             const LUID *authenticationId, const LARGE_INTEGER *expirationTime,
                             const TOKEN_USER *user, const TOKEN_GROUPS *groups,
                             const TOKEN_PRIVILEGES *privileges, const TOKEN_OWNER *owner,
                             const TOKEN_PRIMARY_GROUP *primaryGroup,
                             const TOKEN_DEFAULT_DACL *defaultDacl, const TOKEN_SOURCE *source);

// ---- Object security (kernel/ob/obsecure.c) ----------------------------------------

NTSTATUS NTAPI NtQuerySecurityObject(HANDLE handle, SECURITY_INFORMATION securityInformation,
                                     void *securityDescriptor, ULONG length, ULONG *lengthNeeded);
NTSTATUS NTAPI NtSetSecurityObject(HANDLE handle, SECURITY_INFORMATION securityInformation,
                                   void *securityDescriptor);
