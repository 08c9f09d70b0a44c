// The student's logon token, made with NtCreateToken, for the tests that
// need someone other than SYSTEM: ttoken (the token services) and tramfs
// (an encrypted file only its user may open).
#pragma once

#include "tests/user/utest.h"

// S-1-5-21-1-2-3-1000 and a group S-1-5-32-545 (Users), as SID buffers.
static ULONG StudentSid[7] = {0x00000501, 0x05000000, 21, 1, 2, 3, 1000};
static ULONG UsersSid[4] = {0x00000201, 0x05000000, 32, 545};
static ULONG SystemSid[3] = {0x00000101, 0x05000000, 18};

typedef struct _STUDENT_ARGUMENTS {
    OBJECT_ATTRIBUTES Attributes;
    SECURITY_QUALITY_OF_SERVICE Qos;
    TOKEN_TYPE Type;
    LUID AuthenticationId;
    LARGE_INTEGER Expiration;
    TOKEN_USER User;
    struct {
        ULONG GroupCount;
        SID_AND_ATTRIBUTES Groups[2];
    } Groups;
    struct {
        ULONG PrivilegeCount;
        LUID_AND_ATTRIBUTES Privileges[2];
    } Privileges;
    TOKEN_OWNER Owner;
    TOKEN_PRIMARY_GROUP PrimaryGroup;
    union {
        ACL Dacl;
        UCHAR Bytes[sizeof(ACL) + 2 * (sizeof(ACCESS_ALLOWED_ACE) + 7 * sizeof(ULONG))];
    };
    TOKEN_DEFAULT_DACL DefaultDacl;
    TOKEN_SOURCE Source;
} STUDENT_ARGUMENTS;

// The student's logon, as an LSA would describe it: the user, one group,
// change-notify enabled and assign-primary present but disabled, and the
// default DACL NT's LSA gives a logon: everything to the user and to SYSTEM
// (what the student creates, its processes and threads included, is its own).
static inline void StudentArguments(STUDENT_ARGUMENTS *a)
{
    memset(a, 0, sizeof(*a));
    InitializeObjectAttributes(&a->Attributes, NULL, 0, NULL, NULL);
    a->Qos = (SECURITY_QUALITY_OF_SERVICE){sizeof(a->Qos), SecurityImpersonation, FALSE, FALSE};
    a->Type = TokenPrimary;
    a->AuthenticationId.LowPart = 0x5000;
    a->Expiration.QuadPart = 0x7FFFFFFFFFFFFFFFLL;
    a->User.User.Sid = (PSID)StudentSid;
    a->Groups.GroupCount = 1;
    a->Groups.Groups[0].Sid = (PSID)UsersSid;
    a->Groups.Groups[0].Attributes = SE_GROUP_MANDATORY | SE_GROUP_ENABLED;
    a->Privileges.PrivilegeCount = 2;
    a->Privileges.Privileges[0].Luid.LowPart = SE_CHANGE_NOTIFY_PRIVILEGE;
    a->Privileges.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
    a->Privileges.Privileges[1].Luid.LowPart = SE_ASSIGNPRIMARYTOKEN_PRIVILEGE;
    a->Owner.Owner = (PSID)StudentSid;
    a->PrimaryGroup.PrimaryGroup = (PSID)UsersSid;
    RtlCreateAcl(&a->Dacl, sizeof(a->Bytes), ACL_REVISION);
    RtlAddAccessAllowedAce(&a->Dacl, ACL_REVISION, GENERIC_ALL, (SID *)StudentSid);
    RtlAddAccessAllowedAce(&a->Dacl, ACL_REVISION, GENERIC_ALL, (SID *)SystemSid);
    a->DefaultDacl.DefaultDacl = &a->Dacl;
    memcpy(a->Source.SourceName, "Sleuth  ", TOKEN_SOURCE_LENGTH);
}

static inline NTSTATUS StudentCreateToken(STUDENT_ARGUMENTS *a, PHANDLE token)
{
    return NtCreateToken(token, TOKEN_ALL_ACCESS, &a->Attributes, a->Type, &a->AuthenticationId,
                         &a->Expiration, &a->User, (TOKEN_GROUPS *)&a->Groups,
                         (TOKEN_PRIVILEGES *)&a->Privileges, &a->Owner, &a->PrimaryGroup,
                         &a->DefaultDacl, &a->Source);
}
