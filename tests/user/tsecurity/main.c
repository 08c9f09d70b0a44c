// User-mode tests of security descriptors on objects: the access check when
// an existing object is opened (the caller's effective token, here the
// student by impersonation), MAXIMUM_ALLOWED, the descriptor a named object
// gets by default, malformed descriptors, and NtQuerySecurityObject /
// NtSetSecurityObject with their error paths. Ports are in ports.c.

#include "tsecurity.h"

#define SYNC_QUERY (SYNCHRONIZE | EVENT_QUERY_STATE)

// SYSTEM may do anything, the student only wait and query.
static void StudentMayQuery(TS_DESCRIPTOR *d)
{
    TsInitDescriptor(d);
    TsAllow(d, EVENT_ALL_ACCESS, TsSystemSid);
    TsAllow(d, SYNC_QUERY, TsStudentSid);
}

UTEST(OpeningIsCheckedAgainstTheDescriptor)
{
    TS_DESCRIPTOR d;
    HANDLE system = NULL, allowed = NULL, student = (HANDLE)0x1234;

    TsInitDescriptor(&d);
    TsAllow(&d, EVENT_ALL_ACCESS, TsSystemSid);
    UT_EXPECT_STATUS(TsCreateEvent(&system, u"TsecSystemOnly", EVENT_ALL_ACCESS, &d.Sd),
                     STATUS_SUCCESS);
    StudentMayQuery(&d);
    UT_EXPECT_STATUS(TsCreateEvent(&allowed, u"TsecStudentQuery", EVENT_ALL_ACCESS, &d.Sd),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TsImpersonateStudent(SecurityImpersonation), STATUS_SUCCESS);
    UT_EXPECT_STATUS(TsOpenEvent(&student, u"TsecSystemOnly", SYNCHRONIZE), STATUS_ACCESS_DENIED);
    UT_EXPECT(student == (HANDLE)0x1234);       // nothing written on failure
    UT_EXPECT_STATUS(TsOpenEvent(&student, u"TsecSystemOnly", MAXIMUM_ALLOWED),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(TsOpenEvent(&student, u"TsecStudentQuery", EVENT_MODIFY_STATE),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(TsOpenEvent(&student, u"TsecStudentQuery", SYNC_QUERY), STATUS_SUCCESS);
    UT_EXPECT_EQ(TsGrantedAccess(student), SYNC_QUERY);
    NtClose(student);
    // MAXIMUM_ALLOWED: exactly what the DACL grants the student.
    UT_EXPECT_STATUS(TsOpenEvent(&student, u"TsecStudentQuery", MAXIMUM_ALLOWED), STATUS_SUCCESS);
    UT_EXPECT_EQ(TsGrantedAccess(student), SYNC_QUERY);
    NtClose(student);
    // GENERIC_READ maps to READ_CONTROL | EVENT_QUERY_STATE: no READ_CONTROL.
    UT_EXPECT_STATUS(TsOpenEvent(&student, u"TsecStudentQuery", GENERIC_READ),
                     STATUS_ACCESS_DENIED);
    // Without OBJ_OPENIF the name collides, whoever asks.
    UT_EXPECT_STATUS(TsCreateEvent(&student, u"TsecSystemOnly", EVENT_ALL_ACCESS, NULL),
                     STATUS_OBJECT_NAME_COLLISION);
    TsRevert();
    // SYSTEM, the caller itself again, opens both.
    UT_EXPECT_STATUS(TsOpenEvent(&student, u"TsecSystemOnly", MAXIMUM_ALLOWED), STATUS_SUCCESS);
    UT_EXPECT_EQ(TsGrantedAccess(student), EVENT_ALL_ACCESS);
    NtClose(student);
    NtClose(allowed);
    NtClose(system);
}

UTEST(OpenIfChecksTheExistingObject)
{
    TS_DESCRIPTOR d;
    HANDLE system = NULL, student = NULL;
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING name = UT_NAME(u"\\BaseNamedObjects\\TsecOpenIf");

    TsInitDescriptor(&d);
    TsAllow(&d, EVENT_ALL_ACCESS, TsSystemSid);
    TsAllow(&d, SYNCHRONIZE, TsStudentSid);
    UT_EXPECT_STATUS(TsCreateEvent(&system, u"TsecOpenIf", EVENT_ALL_ACCESS, &d.Sd),
                     STATUS_SUCCESS);
    InitializeObjectAttributes(&attributes, &name, OBJ_OPENIF, NULL, NULL);
    UT_EXPECT_STATUS(TsImpersonateStudent(SecurityImpersonation), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateEvent(&student, EVENT_ALL_ACCESS, &attributes, NotificationEvent,
                                   FALSE),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtCreateEvent(&student, SYNCHRONIZE, &attributes, NotificationEvent, FALSE),
                     STATUS_OBJECT_NAME_EXISTS);
    TsRevert();
    UT_EXPECT_EQ(TsGrantedAccess(student), SYNCHRONIZE);
    NtClose(student);
    NtClose(system);
}

UTEST(NamedObjectsGetTheCreatorsDefaultDacl)
{
    HANDLE system = NULL, student = NULL;

    // SYSTEM's default DACL: GENERIC_ALL to SYSTEM, read/execute to the
    // Administrators, nothing to the student.
    UT_EXPECT_STATUS(TsCreateEvent(&system, u"TsecDefault", EVENT_ALL_ACCESS, NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TsImpersonateStudent(SecurityImpersonation), STATUS_SUCCESS);
    UT_EXPECT_STATUS(TsOpenEvent(&student, u"TsecDefault", SYNCHRONIZE), STATUS_ACCESS_DENIED);
    // The student's own named object: its default DACL is empty, so only
    // the owner's implicit rights remain.
    UT_EXPECT_STATUS(TsCreateEvent(&student, u"TsecStudentsOwn", EVENT_ALL_ACCESS, NULL),
                     STATUS_SUCCESS);
    TsRevert();
    NtClose(system);
    system = NULL;
    UT_EXPECT_STATUS(TsOpenEvent(&system, u"TsecStudentsOwn", SYNCHRONIZE), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(TsImpersonateStudent(SecurityImpersonation), STATUS_SUCCESS);
    UT_EXPECT_STATUS(TsOpenEvent(&system, u"TsecStudentsOwn", READ_CONTROL | WRITE_DAC),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TsOpenEvent(&student, u"TsecStudentsOwn", SYNCHRONIZE),
                     STATUS_ACCESS_DENIED);
    TsRevert();
    NtClose(system);
    NtClose(student);
}

UTEST(IdentificationLevelOpensNothing)
{
    HANDLE system = NULL, student = NULL;
    TS_DESCRIPTOR d;

    StudentMayQuery(&d);
    UT_EXPECT_STATUS(TsCreateEvent(&system, u"TsecIdentify", EVENT_ALL_ACCESS, &d.Sd),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TsImpersonateStudent(SecurityIdentification), STATUS_SUCCESS);
    UT_EXPECT_STATUS(TsOpenEvent(&student, u"TsecIdentify", SYNCHRONIZE),
                     STATUS_BAD_IMPERSONATION_LEVEL);
    TsRevert();
    NtClose(system);
}

UTEST(MalformedDescriptorsAreRefusedAndCreateNothing)
{
    TS_DESCRIPTOR d;
    ULONG badSid[3] = {0x00000103, 0x05000000, 18};
    union {
        SECURITY_DESCRIPTOR_RELATIVE Sd;
        UCHAR Bytes[256];
    } relative;
    ULONG length = sizeof(relative);
    HANDLE event = NULL;

    UT_EXPECT_STATUS(TsCreateEvent(&event, u"TsecBad", EVENT_ALL_ACCESS, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(TsCreateEvent(&event, u"TsecBad", EVENT_ALL_ACCESS, UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    TsInitDescriptor(&d);
    d.Sd.Revision = 2;
    UT_EXPECT_STATUS(TsCreateEvent(&event, u"TsecBad", EVENT_ALL_ACCESS, &d.Sd),
                     STATUS_UNKNOWN_REVISION);
    TsInitDescriptor(&d);
    d.Sd.Owner = (PSID)badSid;
    UT_EXPECT_STATUS(TsCreateEvent(&event, u"TsecBad", EVENT_ALL_ACCESS, &d.Sd),
                     STATUS_INVALID_SID);
    d.Sd.Owner = UT_BAD_POINTER;
    UT_EXPECT_STATUS(TsCreateEvent(&event, u"TsecBad", EVENT_ALL_ACCESS, &d.Sd),
                     STATUS_ACCESS_VIOLATION);
    TsInitDescriptor(&d);
    d.Sd.Dacl = UT_KERNEL_POINTER;
    UT_EXPECT_STATUS(TsCreateEvent(&event, u"TsecBad", EVENT_ALL_ACCESS, &d.Sd),
                     STATUS_ACCESS_VIOLATION);
    TsInitDescriptor(&d);
    TsAllow(&d, SYNCHRONIZE, TsStudentSid);
    d.Dacl.Bytes[sizeof(ACL) + 2] = 7;          // the ACE's size: not a multiple of 4
    UT_EXPECT_STATUS(TsCreateEvent(&event, u"TsecBad", EVENT_ALL_ACCESS, &d.Sd),
                     STATUS_INVALID_ACL);
    // Self-relative: parts inside the header, or not where a part can be.
    TsInitDescriptor(&d);
    RtlSetOwnerSecurityDescriptor(&d.Sd, (PSID)TsSystemSid, FALSE);
    UT_EXPECT_STATUS(RtlMakeSelfRelativeSD(&d.Sd, &relative.Sd, &length), STATUS_SUCCESS);
    relative.Sd.Owner = 8;
    UT_EXPECT_STATUS(TsCreateEvent(&event, u"TsecBad", EVENT_ALL_ACCESS, &relative.Sd),
                     STATUS_INVALID_SECURITY_DESCR);
    relative.Sd.Owner = 22;
    UT_EXPECT_STATUS(TsCreateEvent(&event, u"TsecBad", EVENT_ALL_ACCESS, &relative.Sd),
                     STATUS_INVALID_SECURITY_DESCR);
    // An owner the creator may not give: the student is not SYSTEM.
    TsInitDescriptor(&d);
    RtlSetOwnerSecurityDescriptor(&d.Sd, (PSID)TsStudentSid, FALSE);
    UT_EXPECT_STATUS(TsCreateEvent(&event, u"TsecBad", EVENT_ALL_ACCESS, &d.Sd),
                     STATUS_INVALID_OWNER);
    UT_EXPECT_STATUS(TsOpenEvent(&event, u"TsecBad", SYNCHRONIZE), STATUS_OBJECT_NAME_NOT_FOUND);
    // A good self-relative one is taken as is.
    RtlSetOwnerSecurityDescriptor(&d.Sd, (PSID)TsAdminsSid, FALSE);
    length = sizeof(relative);
    UT_EXPECT_STATUS(RtlMakeSelfRelativeSD(&d.Sd, &relative.Sd, &length), STATUS_SUCCESS);
    UT_EXPECT_STATUS(TsCreateEvent(&event, u"TsecGood", EVENT_ALL_ACCESS, &relative.Sd),
                     STATUS_SUCCESS);
    NtClose(event);
}

UTEST(QuerySecurityObjectReturnsTheDescriptor)
{
    TS_DESCRIPTOR d;
    union {
        SECURITY_DESCRIPTOR_RELATIVE Sd;
        UCHAR Bytes[256];
    } out;
    ULONG needed = 0, full;
    const SECURITY_INFORMATION all = OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION |
                                     DACL_SECURITY_INFORMATION;
    HANDLE event = NULL, limited = NULL, unnamed = NULL;
    OBJECT_BASIC_INFORMATION basic;
    ACCESS_ALLOWED_ACE *ace;

    StudentMayQuery(&d);
    TsAllow(&d, GENERIC_READ, TsAdminsSid);
    UT_EXPECT_STATUS(TsCreateEvent(&event, u"TsecQuery", EVENT_ALL_ACCESS, &d.Sd),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQuerySecurityObject(event, all, &out.Sd, 0, &needed),
                     STATUS_BUFFER_TOO_SMALL);
    full = needed;
    UT_EXPECT(full > sizeof(SECURITY_DESCRIPTOR_RELATIVE) && full <= sizeof(out));
    UT_EXPECT_STATUS(NtQuerySecurityObject(event, all, &out.Sd, full - 1, &needed),
                     STATUS_BUFFER_TOO_SMALL);
    UT_EXPECT_EQ(needed, full);
    UT_EXPECT_STATUS(NtQuerySecurityObject(event, all, &out.Sd, sizeof(out), &needed),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(needed, full);
    UT_EXPECT(RtlValidRelativeSecurityDescriptor(&out.Sd, needed, all));
    // The owner and group come from SYSTEM's token (Administrators, SYSTEM).
    UT_EXPECT(RtlEqualSid(RtlOwnerOfSecurityDescriptor(&out.Sd), (SID *)TsAdminsSid));
    UT_EXPECT(RtlEqualSid(RtlGroupOfSecurityDescriptor(&out.Sd), (SID *)TsSystemSid));
    UT_EXPECT_EQ(RtlDaclOfSecurityDescriptor(&out.Sd)->AceCount, 3);
    // Generic rights were mapped to the Event type's when it was stored.
    UT_EXPECT_STATUS(RtlGetAce(RtlDaclOfSecurityDescriptor(&out.Sd), 2, (PVOID *)&ace),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(ace->Mask, READ_CONTROL | EVENT_QUERY_STATE);
    // Only what was asked.
    UT_EXPECT_STATUS(NtQuerySecurityObject(event, OWNER_SECURITY_INFORMATION, &out.Sd,
                                           sizeof(out), &needed),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(needed, sizeof(SECURITY_DESCRIPTOR_RELATIVE) + 16);
    UT_EXPECT(RtlDaclOfSecurityDescriptor(&out.Sd) == NULL);
    // NtQueryObject's basic information gives the stored descriptor's size
    // to a handle that may read it (READ_CONTROL), and 0 to others.
    UT_EXPECT_STATUS(NtQueryObject(event, ObjectBasicInformation, &basic, sizeof(basic), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(basic.SecurityDescriptorSize, full);
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), event, NtCurrentProcess(), &limited,
                                       SYNCHRONIZE, 0, 0), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryObject(limited, ObjectBasicInformation, &basic, sizeof(basic), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(basic.SecurityDescriptorSize, 0);
    NtClose(limited);
    limited = NULL;
    // Error paths.
    UT_EXPECT_STATUS(NtQuerySecurityObject(event, all, UT_BAD_POINTER, sizeof(out), &needed),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySecurityObject(event, all, UT_KERNEL_POINTER, sizeof(out), &needed),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySecurityObject(event, all, &out.Sd, sizeof(out), UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySecurityObject(event, all, &out.Sd, sizeof(out), UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySecurityObject((HANDLE)0x7ffc, all, &out.Sd, sizeof(out), &needed),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtQuerySecurityObject(event, SACL_SECURITY_INFORMATION, &out.Sd,
                                           sizeof(out), &needed),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(TsOpenEvent(&limited, u"TsecQuery", SYNCHRONIZE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQuerySecurityObject(limited, all, &out.Sd, sizeof(out), &needed),
                     STATUS_ACCESS_DENIED);
    // An unnamed object has no descriptor: an empty one comes back.
    UT_EXPECT_STATUS(NtCreateEvent(&unnamed, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQuerySecurityObject(unnamed, all, &out.Sd, sizeof(out), &needed),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(needed, sizeof(SECURITY_DESCRIPTOR_RELATIVE));
    UT_EXPECT(RtlOwnerOfSecurityDescriptor(&out.Sd) == NULL);
    UT_EXPECT_STATUS(NtQueryObject(unnamed, ObjectBasicInformation, &basic, sizeof(basic), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(basic.SecurityDescriptorSize, 0);
    NtClose(unnamed);
    NtClose(limited);
    NtClose(event);
}

UTEST(SetSecurityObjectChangesWhoMayOpen)
{
    TS_DESCRIPTOR d, change;
    HANDLE event = NULL, student = NULL, limited = NULL, unnamed = NULL;

    TsInitDescriptor(&d);
    TsAllow(&d, EVENT_ALL_ACCESS, TsSystemSid);
    UT_EXPECT_STATUS(TsCreateEvent(&event, u"TsecSet", EVENT_ALL_ACCESS, &d.Sd), STATUS_SUCCESS);
    UT_EXPECT_STATUS(TsImpersonateStudent(SecurityImpersonation), STATUS_SUCCESS);
    UT_EXPECT_STATUS(TsOpenEvent(&student, u"TsecSet", SYNCHRONIZE), STATUS_ACCESS_DENIED);
    TsRevert();
    StudentMayQuery(&change);
    UT_EXPECT_STATUS(NtSetSecurityObject(event, DACL_SECURITY_INFORMATION, &change.Sd),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TsImpersonateStudent(SecurityImpersonation), STATUS_SUCCESS);
    UT_EXPECT_STATUS(TsOpenEvent(&student, u"TsecSet", SYNCHRONIZE), STATUS_SUCCESS);
    TsRevert();
    NtClose(student);
    // A deny ACE in front takes it away again.
    TsInitDescriptor(&change);
    TsDeny(&change, SYNCHRONIZE, TsStudentSid);
    TsAllow(&change, GENERIC_ALL, TsEveryoneSid);
    UT_EXPECT_STATUS(NtSetSecurityObject(event, DACL_SECURITY_INFORMATION, &change.Sd),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TsImpersonateStudent(SecurityImpersonation), STATUS_SUCCESS);
    UT_EXPECT_STATUS(TsOpenEvent(&student, u"TsecSet", SYNCHRONIZE), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(TsOpenEvent(&student, u"TsecSet", EVENT_MODIFY_STATE), STATUS_SUCCESS);
    TsRevert();
    NtClose(student);
    // The owner: given, and one SYSTEM may give (the Administrators).
    UT_EXPECT_STATUS(NtSetSecurityObject(event, OWNER_SECURITY_INFORMATION, &change.Sd),
                     STATUS_INVALID_OWNER);
    RtlSetOwnerSecurityDescriptor(&change.Sd, (PSID)TsStudentSid, FALSE);
    UT_EXPECT_STATUS(NtSetSecurityObject(event, OWNER_SECURITY_INFORMATION, &change.Sd),
                     STATUS_INVALID_OWNER);
    RtlSetOwnerSecurityDescriptor(&change.Sd, (PSID)TsSystemSid, FALSE);
    UT_EXPECT_STATUS(NtSetSecurityObject(event, OWNER_SECURITY_INFORMATION, &change.Sd),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetSecurityObject(event, GROUP_SECURITY_INFORMATION, &change.Sd),
                     STATUS_INVALID_PRIMARY_GROUP);
    // Error paths.
    UT_EXPECT_STATUS(NtSetSecurityObject(event, DACL_SECURITY_INFORMATION, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtSetSecurityObject(event, DACL_SECURITY_INFORMATION, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtSetSecurityObject(event, DACL_SECURITY_INFORMATION, UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    change.Sd.Revision = 3;
    UT_EXPECT_STATUS(NtSetSecurityObject(event, DACL_SECURITY_INFORMATION, &change.Sd),
                     STATUS_UNKNOWN_REVISION);
    UT_EXPECT_STATUS(NtSetSecurityObject((HANDLE)0x7ffc, DACL_SECURITY_INFORMATION, &d.Sd),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtSetSecurityObject(event, SACL_SECURITY_INFORMATION, &d.Sd),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(TsOpenEvent(&limited, u"TsecSet", SYNCHRONIZE | READ_CONTROL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetSecurityObject(limited, DACL_SECURITY_INFORMATION, &d.Sd),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtCreateEvent(&unnamed, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetSecurityObject(unnamed, DACL_SECURITY_INFORMATION, &d.Sd),
                     STATUS_NO_SECURITY_ON_OBJECT);
    NtClose(unnamed);
    NtClose(limited);
    NtClose(event);
}

// OBJ_PERMANENT from user mode needs SeCreatePermanentPrivilege (NT's
// rule): SYSTEM holds it, the student does not and gets
// STATUS_PRIVILEGE_NOT_HELD with nothing made. Taking the permanence away
// again (NtMakeTemporaryObject) needs DELETE on the handle.
static NTSTATUS CreatePermanentEvent(PHANDLE event, UNICODE_STRING *name)
{
    OBJECT_ATTRIBUTES attributes;

    InitializeObjectAttributes(&attributes, name, OBJ_PERMANENT, NULL, NULL);
    return NtCreateEvent(event, EVENT_ALL_ACCESS, &attributes, NotificationEvent, FALSE);
}

UTEST(PermanentObjectsNeedTheCreatePermanentPrivilege)
{
    UNICODE_STRING name, directoryName;
    OBJECT_ATTRIBUTES attributes;
    HANDLE event = (HANDLE)0x1234, again = NULL, limited = NULL;

    RtlInitUnicodeString(&name, u"\\BaseNamedObjects\\TsecPermanent");
    RtlInitUnicodeString(&directoryName, u"\\BaseNamedObjects\\TsecPermanentDir");
    UT_EXPECT_STATUS(TsImpersonateStudent(SecurityImpersonation), STATUS_SUCCESS);
    UT_EXPECT_STATUS(CreatePermanentEvent(&event, &name), STATUS_PRIVILEGE_NOT_HELD);
    UT_EXPECT(event == (HANDLE)0x1234);         // nothing written on failure
    InitializeObjectAttributes(&attributes, &directoryName, OBJ_PERMANENT, NULL, NULL);
    UT_EXPECT_STATUS(NtCreateDirectoryObject(&event, DIRECTORY_ALL_ACCESS, &attributes),
                     STATUS_PRIVILEGE_NOT_HELD);
    TsRevert();
    // Nothing was left under either name.
    UT_EXPECT_STATUS(TsOpenEvent(&again, u"TsecPermanent", SYNCHRONIZE),
                     STATUS_OBJECT_NAME_NOT_FOUND);
    InitializeObjectAttributes(&attributes, &directoryName, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtOpenDirectoryObject(&again, DIRECTORY_QUERY, &attributes),
                     STATUS_OBJECT_NAME_NOT_FOUND);

    // SYSTEM may: the name outlives the handle.
    UT_EXPECT_STATUS(CreatePermanentEvent(&event, &name), STATUS_SUCCESS);
    NtClose(event);
    UT_EXPECT_STATUS(TsOpenEvent(&limited, u"TsecPermanent", SYNCHRONIZE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtMakeTemporaryObject(limited), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(TsOpenEvent(&again, u"TsecPermanent", DELETE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtMakeTemporaryObject(again), STATUS_SUCCESS);
    NtClose(again);
    NtClose(limited);
    UT_EXPECT_STATUS(TsOpenEvent(&again, u"TsecPermanent", SYNCHRONIZE),
                     STATUS_OBJECT_NAME_NOT_FOUND);
}

// NtLoadDriver and NtUnloadDriver check the privilege before anything else:
// even a service that does not exist gets STATUS_PRIVILEGE_NOT_HELD.
UTEST(LoadingDriversNeedsTheLoadDriverPrivilege)
{
    UNICODE_STRING null = UT_NAME(u"\\Registry\\Machine\\System\\CurrentControlSet\\"
                                  u"Services\\Null");
    UNICODE_STRING none = UT_NAME(u"\\Registry\\Machine\\System\\CurrentControlSet\\"
                                  u"Services\\NoSuchService");

    UT_EXPECT_STATUS(TsImpersonateStudent(SecurityImpersonation), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtUnloadDriver(&null), STATUS_PRIVILEGE_NOT_HELD);
    UT_EXPECT_STATUS(NtLoadDriver(&null), STATUS_PRIVILEGE_NOT_HELD);
    UT_EXPECT_STATUS(NtLoadDriver(&none), STATUS_PRIVILEGE_NOT_HELD);
    UT_EXPECT_STATUS(NtLoadDriver(UT_BAD_POINTER), STATUS_PRIVILEGE_NOT_HELD);
    TsRevert();
    // SYSTEM holds it: the same calls get as far as the service.
    UT_EXPECT_STATUS(NtLoadDriver(&none), STATUS_OBJECT_NAME_NOT_FOUND);
    UT_EXPECT_STATUS(NtLoadDriver(&null), STATUS_IMAGE_ALREADY_LOADED);
}

static const UTEST Tests[] = {
    UT_ENTRY(OpeningIsCheckedAgainstTheDescriptor),
    UT_ENTRY(OpenIfChecksTheExistingObject),
    UT_ENTRY(NamedObjectsGetTheCreatorsDefaultDacl),
    UT_ENTRY(IdentificationLevelOpensNothing),
    UT_ENTRY(MalformedDescriptorsAreRefusedAndCreateNothing),
    UT_ENTRY(QuerySecurityObjectReturnsTheDescriptor),
    UT_ENTRY(SetSecurityObjectChangesWhoMayOpen),
    UT_ENTRY(PermanentObjectsNeedTheCreatePermanentPrivilege),
    UT_ENTRY(LoadingDriversNeedsTheLoadDriverPrivilege),
};

int main(void)
{
    int failures = UT_RUN_ALL("tsecurity", Tests) +
                   UtRunTests("tsecurity", TsPortTests, TsPortTestCount) +
                   UtRunTests("tsecurity", TsProcessTests, TsProcessTestCount);

    TsCloseStudent();
    return failures;
}
