// Security descriptors and the access check (kernel/rtl/security.c,
// kernel/se/accesschk.c, kernel/se/sdinfo.c): building ACLs and
// descriptors, checking malformed ones, and every rule of SeAccessCheck.

#include "hosttest.h"
#include "se/se.h"

typedef struct {
    UCHAR Revision, Count, Authority[6];
    ULONG SubAuthority[5];
} TEST_SID;

static TEST_SID System = {1, 1, {0, 0, 0, 0, 0, 5}, {18}};
static TEST_SID Admins = {1, 2, {0, 0, 0, 0, 0, 5}, {32, 544}};
static TEST_SID Student = {1, 5, {0, 0, 0, 0, 0, 5}, {21, 1, 2, 3, 1000}};
static TEST_SID Users = {1, 2, {0, 0, 0, 0, 0, 5}, {32, 545}};
static TEST_SID Everyone = {1, 1, {0, 0, 0, 0, 0, 1}, {0}};

#define S(x) ((SID *)&(x))

// An event-like mapping: specific rights 0x1 (query) and 0x2 (modify).
static const GENERIC_MAPPING Mapping = {READ_CONTROL | 0x1, 0x2, SYNCHRONIZE,
                                        STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3};

// The student with Users enabled and Everyone disabled.
static SID_AND_ATTRIBUTES StudentSubject[] = {
    {S(Student), 0},
    {S(Users), SE_GROUP_ENABLED},
    {S(Everyone), 0},
};

typedef struct {
    SECURITY_DESCRIPTOR Sd;
    union {
        ACL Acl;
        UCHAR Bytes[256];
    } Dacl;
} TEST_DESCRIPTOR;

static void MakeDescriptor(TEST_DESCRIPTOR *d, SID *owner)
{
    memset(d, 0, sizeof(*d));
    RtlCreateSecurityDescriptor(&d->Sd, SECURITY_DESCRIPTOR_REVISION);
    // Room for four ACEs; the descriptors built from it fit in 256 bytes.
    RtlCreateAcl(&d->Dacl.Acl, 128, ACL_REVISION);
    RtlSetDaclSecurityDescriptor(&d->Sd, TRUE, &d->Dacl.Acl, FALSE);
    RtlSetOwnerSecurityDescriptor(&d->Sd, owner, FALSE);
}

static NTSTATUS Check(const void *sd, ACCESS_MASK desired, ACCESS_MASK *granted)
{
    return SeAccessCheckSubject(sd, StudentSubject, 3, desired, &Mapping, granted);
}

TEST(SidsAreMeasuredComparedAndFormatted)
{
    char text[64];

    EXPECT_EQ(RtlLengthSid(S(Student)), 28);
    EXPECT(RtlValidSid(S(Student)));
    EXPECT(RtlEqualSid(S(Admins), S(Admins)));
    EXPECT(!RtlEqualSid(S(Admins), S(Users)));
    RtlFormatSid(S(Student), text, sizeof(text));
    EXPECT_STREQ(text, "S-1-5-21-1-2-3-1000");
    TEST_SID bad = Student;
    bad.Revision = 2;
    EXPECT(!RtlValidSid(S(bad)));
    bad = Student;
    bad.Count = 16;
    EXPECT(!RtlValidSid(S(bad)));
}

TEST(AclsAreBuiltAceByAceUntilTheyAreFull)
{
    union {
        ACL Acl;
        UCHAR Bytes[50];
    } acl;
    ACCESS_ALLOWED_ACE *ace;
    TEST_SID bad = Student;

    EXPECT_EQ(RtlCreateAcl(&acl.Acl, 4, ACL_REVISION), STATUS_BUFFER_TOO_SMALL);
    EXPECT_EQ(RtlCreateAcl(&acl.Acl, sizeof(acl), 1), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(RtlCreateAcl(&acl.Acl, 0x10000, ACL_REVISION), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(RtlCreateAcl(&acl.Acl, sizeof(acl), ACL_REVISION), STATUS_SUCCESS);
    EXPECT_EQ(acl.Acl.AclSize, 48);             // rounded down to a multiple of 4
    EXPECT_EQ(RtlAclBytesInUse(&acl.Acl), sizeof(ACL));
    EXPECT_EQ(RtlAddAccessAllowedAce(&acl.Acl, ACL_REVISION, 0x1, S(System)), STATUS_SUCCESS);
    // 8 + 20 + 24 > 48: the Users ACE does not fit, Everyone's (20) does.
    EXPECT_EQ(RtlAddAccessDeniedAce(&acl.Acl, ACL_REVISION, 0x2, S(Users)),
              STATUS_ALLOTTED_SPACE_EXCEEDED);
    EXPECT_EQ(RtlAddAccessDeniedAce(&acl.Acl, ACL_REVISION, 0x2, S(Everyone)), STATUS_SUCCESS);
    EXPECT_EQ(acl.Acl.AceCount, 2);
    EXPECT_EQ(RtlAclBytesInUse(&acl.Acl), 48);
    EXPECT_EQ(RtlGetAce(&acl.Acl, 1, (void **)&ace), STATUS_SUCCESS);
    EXPECT_EQ(ace->Header.AceType, ACCESS_DENIED_ACE_TYPE);
    EXPECT_EQ(ace->Header.AceSize, 20);
    EXPECT_EQ(ace->Mask, 0x2);
    EXPECT(RtlEqualSid(RtlAceSid(ace), S(Everyone)));
    EXPECT_EQ(RtlGetAce(&acl.Acl, 2, (void **)&ace), STATUS_INVALID_PARAMETER);
    bad.Revision = 3;
    EXPECT_EQ(RtlAddAccessAllowedAce(&acl.Acl, ACL_REVISION, 1, S(bad)), STATUS_INVALID_SID);
    EXPECT_EQ(RtlAddAccessAllowedAce(&acl.Acl, ACL_REVISION_DS, 1, S(System)),
              STATUS_REVISION_MISMATCH);
    EXPECT_EQ(RtlAddAccessAllowedAceEx(&acl.Acl, ACL_REVISION, 0x80, 1, S(System)),
              STATUS_INVALID_PARAMETER);
}

TEST(MalformedAclsAreRefused)
{
    union {
        ACL Acl;
        UCHAR Bytes[64];
    } acl;
    ACCESS_ALLOWED_ACE *ace;

    RtlCreateAcl(&acl.Acl, sizeof(acl), ACL_REVISION);
    RtlAddAccessAllowedAce(&acl.Acl, ACL_REVISION, 1, S(Student));
    EXPECT(RtlValidAcl(&acl.Acl));
    ace = (ACCESS_ALLOWED_ACE *)(&acl.Acl + 1);
    ace->Header.AceSize = 30;                   // not a multiple of 4
    EXPECT(!RtlValidAcl(&acl.Acl));
    ace->Header.AceSize = 64;                   // past the ACL
    EXPECT(!RtlValidAcl(&acl.Acl));
    ace->Header.AceSize = 12;                   // too short for its SID
    EXPECT(!RtlValidAcl(&acl.Acl));
    ace->Header.AceSize = 36;
    EXPECT(RtlValidAcl(&acl.Acl));
    acl.Acl.AceCount = 2;                       // an ACE that is not there
    EXPECT(!RtlValidAcl(&acl.Acl));
    acl.Acl.AceCount = 1;
    acl.Acl.AclRevision = 7;
    EXPECT(!RtlValidAcl(&acl.Acl));
}

TEST(AbsoluteDescriptorsBecomeSelfRelative)
{
    TEST_DESCRIPTOR d;
    union {
        SECURITY_DESCRIPTOR_RELATIVE Sd;
        UCHAR Bytes[256];
    } relative;
    ULONG length = 10;
    SECURITY_DESCRIPTOR_RELATIVE *sd = &relative.Sd;

    EXPECT_EQ(RtlCreateSecurityDescriptor(&d.Sd, 2), STATUS_UNKNOWN_REVISION);
    MakeDescriptor(&d, S(Student));
    RtlSetGroupSecurityDescriptor(&d.Sd, S(Users), TRUE);
    RtlAddAccessAllowedAce(&d.Dacl.Acl, ACL_REVISION, GENERIC_READ, S(Everyone));
    d.Dacl.Acl.AclSize = (USHORT)RtlAclBytesInUse(&d.Dacl.Acl);
    EXPECT_EQ(RtlLengthSecurityDescriptor(&d.Sd), 20 + 28 + 16 + 28);
    EXPECT_EQ(RtlAbsoluteToSelfRelativeSD(&d.Sd, sd, &length), STATUS_BUFFER_TOO_SMALL);
    EXPECT_EQ(length, 92);
    EXPECT_EQ(RtlAbsoluteToSelfRelativeSD(&d.Sd, sd, &length), STATUS_SUCCESS);
    EXPECT_EQ(sd->Control, SE_SELF_RELATIVE | SE_DACL_PRESENT | SE_GROUP_DEFAULTED);
    EXPECT(RtlValidRelativeSecurityDescriptor(sd, length, OWNER_SECURITY_INFORMATION |
                                                              DACL_SECURITY_INFORMATION));
    EXPECT(!RtlValidRelativeSecurityDescriptor(sd, length, SACL_SECURITY_INFORMATION));
    EXPECT(RtlEqualSid(RtlOwnerOfSecurityDescriptor(sd), S(Student)));
    EXPECT(RtlEqualSid(RtlGroupOfSecurityDescriptor(sd), S(Users)));
    EXPECT_EQ(RtlDaclOfSecurityDescriptor(sd)->AceCount, 1);
    EXPECT(RtlSaclOfSecurityDescriptor(sd) == NULL);
    EXPECT_EQ(RtlAbsoluteToSelfRelativeSD((SECURITY_DESCRIPTOR *)sd, sd, &length),
              STATUS_BAD_DESCRIPTOR_FORMAT);
    EXPECT_EQ(RtlSetDaclSecurityDescriptor((SECURITY_DESCRIPTOR *)sd, TRUE, NULL, FALSE),
              STATUS_INVALID_SECURITY_DESCR);
}

TEST(MalformedSelfRelativeDescriptorsAreRefused)
{
    TEST_DESCRIPTOR d;
    union {
        SECURITY_DESCRIPTOR_RELATIVE Sd;
        UCHAR Bytes[256];
    } relative;
    ULONG length = sizeof(relative);
    SECURITY_DESCRIPTOR_RELATIVE *sd = &relative.Sd, saved;

    MakeDescriptor(&d, S(Student));
    EXPECT_EQ(RtlMakeSelfRelativeSD(&d.Sd, sd, &length), STATUS_SUCCESS);
    saved = *sd;
    EXPECT(RtlValidRelativeSecurityDescriptor(sd, length, 0));
    EXPECT(!RtlValidRelativeSecurityDescriptor(sd, 12, 0));         // shorter than a header
    EXPECT(!RtlValidRelativeSecurityDescriptor(sd, length - 4, 0)); // owner cut off
    sd->Owner = length + 8;                                         // outside
    EXPECT(!RtlValidRelativeSecurityDescriptor(sd, length, 0));
    *sd = saved;
    sd->Owner += 2;                                                 // misaligned
    EXPECT(!RtlValidRelativeSecurityDescriptor(sd, length, 0));
    *sd = saved;
    sd->Dacl = 4;                                                   // inside the header
    EXPECT(!RtlValidRelativeSecurityDescriptor(sd, length, 0));
    *sd = saved;
    sd->Revision = 2;
    EXPECT(!RtlValidRelativeSecurityDescriptor(sd, length, 0));
    *sd = saved;
    sd->Control &= ~SE_SELF_RELATIVE;
    EXPECT(!RtlValidRelativeSecurityDescriptor(sd, length, 0));
    *sd = saved;
    // A DACL offset without SE_DACL_PRESENT is ignored; present at 0 is NULL.
    sd->Control &= ~SE_DACL_PRESENT;
    sd->Dacl = 4;
    EXPECT(RtlValidRelativeSecurityDescriptor(sd, length, 0));
    EXPECT(!RtlValidRelativeSecurityDescriptor(sd, length, DACL_SECURITY_INFORMATION));
    sd->Control |= SE_DACL_PRESENT;
    sd->Dacl = 0;
    EXPECT(RtlValidRelativeSecurityDescriptor(sd, length, DACL_SECURITY_INFORMATION));
    EXPECT(RtlDaclOfSecurityDescriptor(sd) == NULL);
}

TEST(NoDaclOrNullDaclGrantsEverything)
{
    TEST_DESCRIPTOR d;
    ACCESS_MASK granted;

    MakeDescriptor(&d, S(System));
    RtlSetDaclSecurityDescriptor(&d.Sd, FALSE, NULL, FALSE);
    EXPECT_EQ(Check(&d.Sd, 0x3, &granted), STATUS_SUCCESS);
    EXPECT_EQ(granted, 0x3);
    EXPECT_EQ(Check(&d.Sd, MAXIMUM_ALLOWED, &granted), STATUS_SUCCESS);
    EXPECT_EQ(granted, Mapping.GenericAll);
    RtlSetDaclSecurityDescriptor(&d.Sd, TRUE, NULL, FALSE);        // a NULL DACL
    EXPECT_EQ(Check(&d.Sd, GENERIC_READ, &granted), STATUS_SUCCESS);
    EXPECT_EQ(granted, READ_CONTROL | 0x1);
}

TEST(EmptyDaclGrantsNothingButTheOwnersRights)
{
    TEST_DESCRIPTOR d;
    ACCESS_MASK granted;

    MakeDescriptor(&d, S(System));
    EXPECT_EQ(Check(&d.Sd, 0x1, &granted), STATUS_ACCESS_DENIED);
    EXPECT_EQ(granted, 0);
    EXPECT_EQ(Check(&d.Sd, READ_CONTROL, &granted), STATUS_ACCESS_DENIED);
    EXPECT_EQ(Check(&d.Sd, MAXIMUM_ALLOWED, &granted), STATUS_ACCESS_DENIED);
    // The owner may always read and change the descriptor, nothing more.
    RtlSetOwnerSecurityDescriptor(&d.Sd, S(Student), FALSE);
    EXPECT_EQ(Check(&d.Sd, READ_CONTROL | WRITE_DAC, &granted), STATUS_SUCCESS);
    EXPECT_EQ(Check(&d.Sd, WRITE_OWNER, &granted), STATUS_ACCESS_DENIED);
    EXPECT_EQ(Check(&d.Sd, MAXIMUM_ALLOWED, &granted), STATUS_SUCCESS);
    EXPECT_EQ(granted, READ_CONTROL | WRITE_DAC);
    // A group owner counts only when enabled.
    RtlSetOwnerSecurityDescriptor(&d.Sd, S(Users), FALSE);
    EXPECT_EQ(Check(&d.Sd, READ_CONTROL, &granted), STATUS_SUCCESS);
    RtlSetOwnerSecurityDescriptor(&d.Sd, S(Everyone), FALSE);
    EXPECT_EQ(Check(&d.Sd, READ_CONTROL, &granted), STATUS_ACCESS_DENIED);
}

TEST(AllowedAcesAccumulate)
{
    TEST_DESCRIPTOR d;
    ACCESS_MASK granted;

    MakeDescriptor(&d, S(System));
    RtlAddAccessAllowedAce(&d.Dacl.Acl, ACL_REVISION, 0x1, S(Student));
    RtlAddAccessAllowedAce(&d.Dacl.Acl, ACL_REVISION, 0x2, S(Users));
    RtlAddAccessAllowedAce(&d.Dacl.Acl, ACL_REVISION, SYNCHRONIZE, S(Admins));
    EXPECT_EQ(Check(&d.Sd, 0x3, &granted), STATUS_SUCCESS);
    EXPECT_EQ(granted, 0x3);
    EXPECT_EQ(Check(&d.Sd, 0x3 | SYNCHRONIZE, &granted), STATUS_ACCESS_DENIED);
    EXPECT_EQ(Check(&d.Sd, MAXIMUM_ALLOWED, &granted), STATUS_SUCCESS);
    EXPECT_EQ(granted, 0x3);
    // MAXIMUM_ALLOWED with more asked than granted is refused.
    EXPECT_EQ(Check(&d.Sd, MAXIMUM_ALLOWED | SYNCHRONIZE, &granted), STATUS_ACCESS_DENIED);
    EXPECT_EQ(Check(&d.Sd, MAXIMUM_ALLOWED | 0x1, &granted), STATUS_SUCCESS);
    EXPECT_EQ(granted, 0x3);
}

TEST(DeniedAcesWinOnlyWhenTheyComeFirst)
{
    TEST_DESCRIPTOR d;
    ACCESS_MASK granted;

    MakeDescriptor(&d, S(System));
    RtlAddAccessDeniedAce(&d.Dacl.Acl, ACL_REVISION, 0x2, S(Users));
    RtlAddAccessAllowedAce(&d.Dacl.Acl, ACL_REVISION, 0x3, S(Student));
    EXPECT_EQ(Check(&d.Sd, 0x1, &granted), STATUS_SUCCESS);
    EXPECT_EQ(Check(&d.Sd, 0x2, &granted), STATUS_ACCESS_DENIED);
    EXPECT_EQ(Check(&d.Sd, MAXIMUM_ALLOWED, &granted), STATUS_SUCCESS);
    EXPECT_EQ(granted, 0x1);
    // Allowed first: the later denied ACE takes nothing back.
    MakeDescriptor(&d, S(System));
    RtlAddAccessAllowedAce(&d.Dacl.Acl, ACL_REVISION, 0x3, S(Student));
    RtlAddAccessDeniedAce(&d.Dacl.Acl, ACL_REVISION, 0x2, S(Users));
    EXPECT_EQ(Check(&d.Sd, 0x2, &granted), STATUS_SUCCESS);
    // A deny for the owner does not take its implicit rights.
    MakeDescriptor(&d, S(Student));
    RtlAddAccessDeniedAce(&d.Dacl.Acl, ACL_REVISION, READ_CONTROL, S(Student));
    EXPECT_EQ(Check(&d.Sd, READ_CONTROL, &granted), STATUS_SUCCESS);
}

TEST(DisabledAndDenyOnlyGroupsCountAsNT)
{
    TEST_DESCRIPTOR d;
    ACCESS_MASK granted;
    SID_AND_ATTRIBUTES denyOnly[] = {{S(Student), 0}, {S(Users), SE_GROUP_USE_FOR_DENY_ONLY}};

    MakeDescriptor(&d, S(System));
    RtlAddAccessAllowedAce(&d.Dacl.Acl, ACL_REVISION, 0x1, S(Everyone));   // disabled: no
    EXPECT_EQ(Check(&d.Sd, 0x1, &granted), STATUS_ACCESS_DENIED);
    MakeDescriptor(&d, S(System));
    RtlAddAccessAllowedAce(&d.Dacl.Acl, ACL_REVISION, 0x1, S(Users));
    EXPECT_EQ(SeAccessCheckSubject(&d.Sd, denyOnly, 2, 0x1, &Mapping, &granted),
              STATUS_ACCESS_DENIED);
    MakeDescriptor(&d, S(System));
    RtlAddAccessDeniedAce(&d.Dacl.Acl, ACL_REVISION, 0x1, S(Users));
    RtlAddAccessAllowedAce(&d.Dacl.Acl, ACL_REVISION, 0x1, S(Student));
    EXPECT_EQ(SeAccessCheckSubject(&d.Sd, denyOnly, 2, 0x1, &Mapping, &granted),
              STATUS_ACCESS_DENIED);
}

TEST(GenericRightsAreMappedInRequestsAndAces)
{
    TEST_DESCRIPTOR d;
    ACCESS_MASK granted;

    MakeDescriptor(&d, S(System));
    RtlAddAccessAllowedAce(&d.Dacl.Acl, ACL_REVISION, GENERIC_READ, S(Student));
    EXPECT_EQ(Check(&d.Sd, 0x1, &granted), STATUS_SUCCESS);
    EXPECT_EQ(Check(&d.Sd, GENERIC_READ, &granted), STATUS_SUCCESS);
    EXPECT_EQ(granted, READ_CONTROL | 0x1);
    EXPECT_EQ(Check(&d.Sd, GENERIC_WRITE, &granted), STATUS_ACCESS_DENIED);
    EXPECT_EQ(Check(&d.Sd, MAXIMUM_ALLOWED, &granted), STATUS_SUCCESS);
    EXPECT_EQ(granted, READ_CONTROL | 0x1);
}

TEST(InheritOnlyAcesDoNotApplyAndNothingAskedIsRefused)
{
    TEST_DESCRIPTOR d;
    ACCESS_MASK granted;

    MakeDescriptor(&d, S(System));
    RtlAddAccessAllowedAceEx(&d.Dacl.Acl, ACL_REVISION, INHERIT_ONLY_ACE | OBJECT_INHERIT_ACE,
                             0x1, S(Student));
    EXPECT_EQ(Check(&d.Sd, 0x1, &granted), STATUS_ACCESS_DENIED);
    EXPECT_EQ(Check(&d.Sd, 0, &granted), STATUS_ACCESS_DENIED);
}

TEST(NewObjectsTakeTheTokensDefaultsForWhatTheCreatorLeftOut)
{
    TEST_DESCRIPTOR d, defaults;
    union {
        SECURITY_DESCRIPTOR_RELATIVE Sd;
        UCHAR Bytes[256];
    } out;
    ULONG length = sizeof(out);
    ACCESS_ALLOWED_ACE *ace;

    // Nothing from the creator: owner, group and DACL from the token, with
    // the generic rights of the ACEs mapped to the type's.
    MakeDescriptor(&defaults, NULL);
    RtlAddAccessAllowedAce(&defaults.Dacl.Acl, ACL_REVISION, GENERIC_ALL, S(System));
    EXPECT_EQ(SeBuildObjectSecurity(NULL, S(Admins), S(System), &defaults.Dacl.Acl, &Mapping,
                                    &out.Sd, &length),
              STATUS_SUCCESS);
    EXPECT(RtlValidRelativeSecurityDescriptor(&out.Sd, length, OWNER_SECURITY_INFORMATION));
    EXPECT(RtlEqualSid(RtlOwnerOfSecurityDescriptor(&out.Sd), S(Admins)));
    EXPECT(out.Sd.Control & SE_OWNER_DEFAULTED);
    EXPECT(out.Sd.Control & SE_DACL_DEFAULTED);
    RtlGetAce(RtlDaclOfSecurityDescriptor(&out.Sd), 0, (void **)&ace);
    EXPECT_EQ(ace->Mask, Mapping.GenericAll);
    // The creator's DACL, even a NULL one, wins; its owner too.
    MakeDescriptor(&d, S(Student));
    RtlSetDaclSecurityDescriptor(&d.Sd, TRUE, NULL, FALSE);
    length = sizeof(out);
    EXPECT_EQ(SeBuildObjectSecurity(&d.Sd, S(Admins), S(System), &defaults.Dacl.Acl, &Mapping,
                                    &out.Sd, &length),
              STATUS_SUCCESS);
    EXPECT(RtlEqualSid(RtlOwnerOfSecurityDescriptor(&out.Sd), S(Student)));
    EXPECT(out.Sd.Control & SE_DACL_PRESENT);
    EXPECT(RtlDaclOfSecurityDescriptor(&out.Sd) == NULL);
    // A short buffer says how long it must be.
    length = 8;
    EXPECT_EQ(SeBuildObjectSecurity(NULL, S(Admins), S(System), &defaults.Dacl.Acl, &Mapping,
                                    &out.Sd, &length),
              STATUS_BUFFER_TOO_SMALL);
    EXPECT_EQ(length, 20 + 16 + 12 + 128);     // Admins, System, the DACL as sized
}

TEST(QueriesReturnOnlyThePartsAskedAndSetsReplaceOnlyThose)
{
    TEST_DESCRIPTOR d, change;
    union {
        SECURITY_DESCRIPTOR_RELATIVE Sd;
        UCHAR Bytes[256];
    } object, out;
    ULONG length = sizeof(object);

    MakeDescriptor(&d, S(Student));
    RtlSetGroupSecurityDescriptor(&d.Sd, S(Users), FALSE);
    RtlAddAccessAllowedAce(&d.Dacl.Acl, ACL_REVISION, 0x1, S(Student));
    EXPECT_EQ(RtlMakeSelfRelativeSD(&d.Sd, &object.Sd, &length), STATUS_SUCCESS);
    length = sizeof(out);
    EXPECT_EQ(SeQuerySecurityDescriptorInfo(OWNER_SECURITY_INFORMATION, &out.Sd, &length,
                                            &object.Sd),
              STATUS_SUCCESS);
    EXPECT_EQ(length, 20 + 28);
    EXPECT(RtlGroupOfSecurityDescriptor(&out.Sd) == NULL);
    EXPECT(!(out.Sd.Control & SE_DACL_PRESENT));
    length = 0;
    EXPECT_EQ(SeQuerySecurityDescriptorInfo(DACL_SECURITY_INFORMATION, &out.Sd, &length,
                                            &object.Sd),
              STATUS_BUFFER_TOO_SMALL);
    EXPECT_EQ(length, 20 + d.Dacl.Acl.AclSize);
    length = sizeof(out);
    EXPECT_EQ(SeQuerySecurityDescriptorInfo(DACL_SECURITY_INFORMATION, &out.Sd, &length, NULL),
              STATUS_SUCCESS);
    EXPECT_EQ(length, 20);                      // no descriptor: an empty one
    // Changing the DACL keeps the owner and group.
    MakeDescriptor(&change, NULL);
    RtlAddAccessAllowedAce(&change.Dacl.Acl, ACL_REVISION, GENERIC_WRITE, S(Admins));
    change.Dacl.Acl.AclSize = (USHORT)RtlAclBytesInUse(&change.Dacl.Acl);
    length = sizeof(out);
    EXPECT_EQ(SeSetSecurityDescriptorInfo(DACL_SECURITY_INFORMATION, &change.Sd, &object.Sd,
                                          &Mapping, &out.Sd, &length),
              STATUS_SUCCESS);
    EXPECT(RtlEqualSid(RtlOwnerOfSecurityDescriptor(&out.Sd), S(Student)));
    EXPECT(RtlEqualSid(RtlGroupOfSecurityDescriptor(&out.Sd), S(Users)));
    EXPECT_EQ(RtlDaclOfSecurityDescriptor(&out.Sd)->AceCount, 1);
    EXPECT(RtlValidRelativeSecurityDescriptor(&out.Sd, length, DACL_SECURITY_INFORMATION));
}
