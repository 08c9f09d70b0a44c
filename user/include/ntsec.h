// Security descriptors for user programs: NT's layouts (x64) of ACEs and
// descriptors, the two object-security services, and the run-time library
// routines that build descriptors (the kernel's rtl/security.c, built again
// for user mode as ntdll carries its own copy). Included by ntapi.h.
#pragma once

// ---- ACEs -------------------------------------------------------------------------

#define ACL_REVISION_DS 4
#define SE_GROUP_USE_FOR_DENY_ONLY 0x00000010
#define ACCESS_SYSTEM_SECURITY     0x01000000

typedef struct _ACE_HEADER {
    UCHAR AceType;
    UCHAR AceFlags;
    USHORT AceSize;
} ACE_HEADER;

#define ACCESS_ALLOWED_ACE_TYPE 0x0
#define ACCESS_DENIED_ACE_TYPE  0x1
#define SYSTEM_AUDIT_ACE_TYPE   0x2

#define OBJECT_INHERIT_ACE       0x01
#define CONTAINER_INHERIT_ACE    0x02
#define NO_PROPAGATE_INHERIT_ACE 0x04
#define INHERIT_ONLY_ACE         0x08
#define INHERITED_ACE            0x10

typedef struct _ACCESS_ALLOWED_ACE {
    ACE_HEADER Header;
    ACCESS_MASK Mask;
    ULONG SidStart;             // the SID starts here
} ACCESS_ALLOWED_ACE, ACCESS_DENIED_ACE;

// ---- Security descriptors -------------------------------------------------------

typedef USHORT SECURITY_DESCRIPTOR_CONTROL;
#define SE_OWNER_DEFAULTED 0x0001
#define SE_GROUP_DEFAULTED 0x0002
#define SE_DACL_PRESENT    0x0004
#define SE_DACL_DEFAULTED  0x0008
#define SE_SACL_PRESENT    0x0010
#define SE_SACL_DEFAULTED  0x0020
#define SE_DACL_PROTECTED  0x1000
#define SE_SELF_RELATIVE   0x8000

#define SECURITY_DESCRIPTOR_REVISION 1

typedef struct _SECURITY_DESCRIPTOR {
    UCHAR Revision;
    UCHAR Sbz1;
    SECURITY_DESCRIPTOR_CONTROL Control;
    PSID Owner;
    PSID Group;
    PACL Sacl;
    PACL Dacl;
} SECURITY_DESCRIPTOR;
#define SECURITY_DESCRIPTOR_MIN_LENGTH sizeof(SECURITY_DESCRIPTOR)

typedef struct _SECURITY_DESCRIPTOR_RELATIVE {
    UCHAR Revision;
    UCHAR Sbz1;
    SECURITY_DESCRIPTOR_CONTROL Control;
    ULONG Owner;
    ULONG Group;
    ULONG Sacl;
    ULONG Dacl;
} SECURITY_DESCRIPTOR_RELATIVE;

typedef PVOID PSECURITY_DESCRIPTOR;

typedef ULONG SECURITY_INFORMATION;
#define OWNER_SECURITY_INFORMATION 0x00000001
#define GROUP_SECURITY_INFORMATION 0x00000002
#define DACL_SECURITY_INFORMATION  0x00000004
#define SACL_SECURITY_INFORMATION  0x00000008

// READ_CONTROL on the handle for the owner, group and DACL; the SACL takes
// ACCESS_SYSTEM_SECURITY, which no handle holds on Sleuth. A short buffer:
// STATUS_BUFFER_TOO_SMALL and *LengthNeeded says how long it must be.
NTSTATUS NTAPI NtQuerySecurityObject(HANDLE Handle, SECURITY_INFORMATION SecurityInformation,
                                     PSECURITY_DESCRIPTOR SecurityDescriptor, ULONG Length,
                                     PULONG LengthNeeded);
// WRITE_OWNER for the owner and group, WRITE_DAC for the DACL.
NTSTATUS NTAPI NtSetSecurityObject(HANDLE Handle, SECURITY_INFORMATION SecurityInformation,
                                   PSECURITY_DESCRIPTOR SecurityDescriptor);

// ---- Run-time library (kernel/rtl/security.c) ------------------------------------

ULONG RtlLengthSid(const SID *Sid);
BOOLEAN RtlValidSid(const SID *Sid);
BOOLEAN RtlEqualSid(const SID *Sid1, const SID *Sid2);
NTSTATUS RtlCreateAcl(PACL Acl, ULONG AclLength, ULONG AclRevision);
NTSTATUS RtlAddAccessAllowedAce(PACL Acl, ULONG AceRevision, ACCESS_MASK AccessMask,
                                const SID *Sid);
NTSTATUS RtlAddAccessAllowedAceEx(PACL Acl, ULONG AceRevision, ULONG AceFlags,
                                  ACCESS_MASK AccessMask, const SID *Sid);
NTSTATUS RtlAddAccessDeniedAce(PACL Acl, ULONG AceRevision, ACCESS_MASK AccessMask,
                               const SID *Sid);
NTSTATUS RtlGetAce(const ACL *Acl, ULONG AceIndex, PVOID *Ace);
BOOLEAN RtlValidAcl(const ACL *Acl);
ULONG RtlAclBytesInUse(const ACL *Acl);
NTSTATUS RtlCreateSecurityDescriptor(SECURITY_DESCRIPTOR *SecurityDescriptor, ULONG Revision);
NTSTATUS RtlSetDaclSecurityDescriptor(SECURITY_DESCRIPTOR *SecurityDescriptor,
                                      BOOLEAN DaclPresent, PACL Dacl, BOOLEAN DaclDefaulted);
NTSTATUS RtlSetOwnerSecurityDescriptor(SECURITY_DESCRIPTOR *SecurityDescriptor, PSID Owner,
                                       BOOLEAN OwnerDefaulted);
NTSTATUS RtlSetGroupSecurityDescriptor(SECURITY_DESCRIPTOR *SecurityDescriptor, PSID Group,
                                       BOOLEAN GroupDefaulted);
PSID RtlOwnerOfSecurityDescriptor(const void *SecurityDescriptor);
PSID RtlGroupOfSecurityDescriptor(const void *SecurityDescriptor);
PACL RtlDaclOfSecurityDescriptor(const void *SecurityDescriptor);
ULONG RtlLengthSecurityDescriptor(const void *SecurityDescriptor);
NTSTATUS RtlMakeSelfRelativeSD(const void *SecurityDescriptor,
                               SECURITY_DESCRIPTOR_RELATIVE *SelfRelativeSecurityDescriptor,
                               PULONG BufferLength);
NTSTATUS RtlAbsoluteToSelfRelativeSD(const SECURITY_DESCRIPTOR *AbsoluteSecurityDescriptor,
                                     SECURITY_DESCRIPTOR_RELATIVE *SelfRelativeSecurityDescriptor,
                                     PULONG BufferLength);
BOOLEAN RtlValidRelativeSecurityDescriptor(const SECURITY_DESCRIPTOR_RELATIVE *SecurityDescriptor,
                                           ULONG SecurityDescriptorLength,
                                           SECURITY_INFORMATION RequiredInformation);
