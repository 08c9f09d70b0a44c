// NtCreateToken (the student's identity), NtSetInformationProcess
// (ProcessAccessToken on a suspended child), and a process that runs as
// the student: it sees the student in its token, cannot make tokens or
// give them, and cannot open SYSTEM's token.

#include "ttoken.h"

#include "tests/user/ustudent.h"

static ULONG BadSid[3] = {0x00000102, 0x05000000, 18};    // revision 2

NTSTATUS TtCreateStudentToken(PHANDLE token)
{
    STUDENT_ARGUMENTS a;

    StudentArguments(&a);
    return StudentCreateToken(&a, token);
}

UTEST(CreateTokenMakesTheStudent)
{
    HANDLE token = NULL, copy = NULL;
    TOKEN_STATISTICS statistics;

    UT_EXPECT_STATUS(TtCreateStudentToken(&token), STATUS_SUCCESS);
    UT_EXPECT(TtTokenIsStudent(token));
    statistics = TtStatistics(token);
    UT_EXPECT_EQ(statistics.TokenType, TokenPrimary);
    UT_EXPECT_EQ(statistics.AuthenticationId.LowPart, 0x5000);
    UT_EXPECT_EQ(statistics.GroupCount, 1);
    UT_EXPECT_EQ(statistics.PrivilegeCount, 2);
    // EffectiveOnly leaves the disabled privilege out of the copy.
    UT_EXPECT_STATUS(TtDuplicate(token, TokenImpersonation, SecurityImpersonation, TRUE, &copy),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(TtStatistics(copy).PrivilegeCount, 1);
    UT_EXPECT(TtTokenIsStudent(copy));
    NtClose(copy);
    NtClose(token);
}

UTEST(CreateImpersonationTokenTakesItsLevelFromTheAttributes)
{
    STUDENT_ARGUMENTS a;
    HANDLE token = NULL;

    StudentArguments(&a);
    a.Type = TokenImpersonation;
    UT_EXPECT_STATUS(StudentCreateToken(&a, &token), STATUS_BAD_IMPERSONATION_LEVEL);
    a.Attributes.SecurityQualityOfService = &a.Qos;
    a.Qos.ImpersonationLevel = SecurityIdentification;
    UT_EXPECT_STATUS(StudentCreateToken(&a, &token), STATUS_SUCCESS);
    UT_EXPECT_EQ(TtStatistics(token).ImpersonationLevel, SecurityIdentification);
    NtClose(token);
}

UTEST(CreateTokenErrors)
{
    STUDENT_ARGUMENTS a;
    HANDLE token;

    StudentArguments(&a);
    UT_EXPECT_STATUS(NtCreateToken(UT_BAD_POINTER, TOKEN_ALL_ACCESS, NULL, TokenPrimary,
                                   &a.AuthenticationId, &a.Expiration, &a.User,
                                   (TOKEN_GROUPS *)&a.Groups, (TOKEN_PRIVILEGES *)&a.Privileges,
                                   NULL, &a.PrimaryGroup, NULL, &a.Source),
                     STATUS_ACCESS_VIOLATION);
    a.Type = 3;
    UT_EXPECT_STATUS(StudentCreateToken(&a, &token), STATUS_BAD_TOKEN_TYPE);
    StudentArguments(&a);
    a.Attributes.Length = 1;
    UT_EXPECT_STATUS(StudentCreateToken(&a, &token), STATUS_INVALID_PARAMETER);
    StudentArguments(&a);
    a.User.User.Sid = (PSID)BadSid;
    UT_EXPECT_STATUS(StudentCreateToken(&a, &token), STATUS_INVALID_SID);
    StudentArguments(&a);
    a.Groups.Groups[0].Sid = (PSID)BadSid;
    UT_EXPECT_STATUS(StudentCreateToken(&a, &token), STATUS_INVALID_SID);
    StudentArguments(&a);
    a.User.User.Sid = UT_KERNEL_POINTER;
    UT_EXPECT_STATUS(StudentCreateToken(&a, &token), STATUS_ACCESS_VIOLATION);
    StudentArguments(&a);
    a.Groups.GroupCount = 1000;
    UT_EXPECT_STATUS(StudentCreateToken(&a, &token), STATUS_INVALID_PARAMETER);
    StudentArguments(&a);
    a.Privileges.PrivilegeCount = 1000;
    UT_EXPECT_STATUS(StudentCreateToken(&a, &token), STATUS_INVALID_PARAMETER);
    // The owner must be the user or a group that may own.
    StudentArguments(&a);
    a.Owner.Owner = (PSID)UsersSid;
    UT_EXPECT_STATUS(StudentCreateToken(&a, &token), STATUS_INVALID_OWNER);
    a.Groups.Groups[0].Attributes |= SE_GROUP_OWNER;
    UT_EXPECT_STATUS(StudentCreateToken(&a, &token), STATUS_SUCCESS);
    NtClose(token);
    StudentArguments(&a);
    a.PrimaryGroup.PrimaryGroup = (PSID)SystemSid;      // sound, but not in the token
    UT_EXPECT_STATUS(StudentCreateToken(&a, &token), STATUS_INVALID_PRIMARY_GROUP);
    StudentArguments(&a);
    a.Dacl.AclRevision = 9;
    UT_EXPECT_STATUS(StudentCreateToken(&a, &token), STATUS_INVALID_ACL);
    StudentArguments(&a);
    a.DefaultDacl.DefaultDacl = UT_BAD_POINTER;
    UT_EXPECT_STATUS(StudentCreateToken(&a, &token), STATUS_ACCESS_VIOLATION);
    StudentArguments(&a);
    UT_EXPECT_STATUS(NtCreateToken(&token, TOKEN_ALL_ACCESS, NULL, TokenPrimary,
                                   &a.AuthenticationId, &a.Expiration, &a.User,
                                   (TOKEN_GROUPS *)&a.Groups, (TOKEN_PRIVILEGES *)&a.Privileges,
                                   NULL, NULL, NULL, &a.Source),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateToken(&token, TOKEN_ALL_ACCESS, NULL, TokenPrimary,
                                   &a.AuthenticationId, &a.Expiration, &a.User,
                                   (TOKEN_GROUPS *)&a.Groups, (TOKEN_PRIVILEGES *)&a.Privileges,
                                   NULL, &a.PrimaryGroup, NULL, UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateToken(&token, TOKEN_ALL_ACCESS, NULL, TokenPrimary, UT_BAD_POINTER,
                                   &a.Expiration, &a.User, (TOKEN_GROUPS *)&a.Groups,
                                   (TOKEN_PRIVILEGES *)&a.Privileges, NULL, &a.PrimaryGroup,
                                   NULL, &a.Source),
                     STATUS_ACCESS_VIOLATION);
}

static NTSTATUS StartSuspended(const WCHAR *commandLine, PHANDLE process, PHANDLE thread)
{
    UNICODE_STRING image = UT_NAME(u"ttoken");
    UNICODE_STRING line;

    RtlInitUnicodeString(&line, commandLine);
    return NtCreateProcessFromArchive(process, thread, PROCESS_ALL_ACCESS, THREAD_ALL_ACCESS,
                                      NULL, &image, &line, PROCESS_CREATE_FLAGS_SUSPENDED,
                                      NULL);
}

static NTSTATUS SetProcessToken(HANDLE process, HANDLE token)
{
    PROCESS_ACCESS_TOKEN information = {token, NULL};

    return NtSetInformationProcess(process, ProcessAccessToken, &information,
                                   sizeof(information));
}

static NTSTATUS ExitStatusOf(HANDLE process)
{
    PROCESS_BASIC_INFORMATION basic;
    LARGE_INTEGER patience = UtMilliseconds(20000);

    if (NtWaitForSingleObject(process, FALSE, &patience) != STATUS_WAIT_0)
        return STATUS_TIMEOUT;
    NtQueryInformationProcess(process, ProcessBasicInformation, &basic, sizeof(basic), NULL);
    return basic.ExitStatus;
}

// NT's way to start a program as someone else: a suspended process, a
// primary token assigned to it, then its thread resumed.
UTEST(ProcessRunsAsTheStudent)
{
    HANDLE token = NULL, process, thread, child = NULL;

    UT_EXPECT_STATUS(TtCreateStudentToken(&token), STATUS_SUCCESS);
    UT_EXPECT_STATUS(StartSuspended(u"ttoken student", &process, &thread), STATUS_SUCCESS);
    UT_EXPECT_STATUS(SetProcessToken(process, token), STATUS_SUCCESS);
    // It is that process's token now: nobody else's.
    UT_EXPECT_STATUS(SetProcessToken(process, token), STATUS_TOKEN_ALREADY_IN_USE);
    UT_EXPECT_STATUS(NtOpenProcessToken(process, TOKEN_QUERY, &child), STATUS_SUCCESS);
    UT_EXPECT(TtTokenIsStudent(child));
    UT_EXPECT_EQ(TtStatistics(child).TokenId.LowPart, TtStatistics(token).TokenId.LowPart);
    NtClose(child);
    UT_EXPECT_STATUS(NtResumeThread(thread, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(ExitStatusOf(process), 0);
    NtClose(thread);
    NtClose(process);
    NtClose(token);
}

UTEST(SetInformationProcessErrors)
{
    HANDLE own = TtOpenOwnToken(TOKEN_DUPLICATE | TOKEN_ASSIGN_PRIMARY), process, thread;
    HANDLE fresh = NULL, impersonation = NULL, noAssign, limited;
    PROCESS_ACCESS_TOKEN information = {NULL, NULL};

    UT_EXPECT_STATUS(StartSuspended(u"ttoken idle", &process, &thread), STATUS_SUCCESS);
    limited = TtReduced(process, PROCESS_QUERY_INFORMATION);
    TtDuplicate(own, TokenPrimary, SecurityImpersonation, FALSE, &fresh);
    TtDuplicate(own, TokenImpersonation, SecurityImpersonation, FALSE, &impersonation);
    noAssign = TtReduced(fresh, TOKEN_QUERY);
    UT_EXPECT_STATUS(NtSetInformationProcess(process, 0, &information, sizeof(information)),
                     STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtSetInformationProcess(process, ProcessAccessToken, &information, 8),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtSetInformationProcess(process, ProcessAccessToken, UT_BAD_POINTER,
                                             sizeof(information)),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtSetInformationProcess(process, ProcessAccessToken, UT_KERNEL_POINTER,
                                             sizeof(information)),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(SetProcessToken(limited, fresh), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(SetProcessToken(thread, fresh), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(SetProcessToken(BOGUS_HANDLE, fresh), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(SetProcessToken(process, noAssign), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(SetProcessToken(process, thread), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(SetProcessToken(process, impersonation), STATUS_BAD_TOKEN_TYPE);
    // The caller's own token is in use by the caller.
    UT_EXPECT_STATUS(SetProcessToken(process, own), STATUS_TOKEN_ALREADY_IN_USE);
    // A process that has run keeps its token.
    UT_EXPECT_STATUS(SetProcessToken(NtCurrentProcess(), fresh), STATUS_TOKEN_ALREADY_IN_USE);
    UT_EXPECT_STATUS(SetProcessToken(process, fresh), STATUS_SUCCESS);
    NtResumeThread(thread, NULL);
    UT_EXPECT_STATUS(ExitStatusOf(process), 0);
    NtClose(noAssign);
    NtClose(impersonation);
    NtClose(fresh);
    NtClose(limited);
    NtClose(thread);
    NtClose(process);
    NtClose(own);
}

const UTEST TtCreateTests[] = {
    UT_ENTRY(CreateTokenMakesTheStudent),
    UT_ENTRY(CreateImpersonationTokenTakesItsLevelFromTheAttributes),
    UT_ENTRY(CreateTokenErrors),
    UT_ENTRY(ProcessRunsAsTheStudent),
    UT_ENTRY(SetInformationProcessErrors),
};
const int TtCreateTestCount = sizeof(TtCreateTests) / sizeof(TtCreateTests[0]);

// ---- The student's side ----------------------------------------------------------

#define STUDENT_CHECK(condition)                                                           \
    do {                                                                                   \
        if (!(condition)) {                                                                \
            printf("ttoken student: %s:%d: %s\n", __FILE__, __LINE__, #condition);         \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

int TtStudentMain(void)
{
    PROCESS_BASIC_INFORMATION basic;
    CLIENT_ID parent = {NULL, NULL};
    OBJECT_ATTRIBUTES attributes;
    HANDLE own = TtOpenOwnToken(TOKEN_QUERY | TOKEN_DUPLICATE), token = NULL, process, thread;
    HANDLE systemProcess = NULL, fresh = NULL, grandchild = NULL;
    int failures = 0;

    STUDENT_CHECK(own != NULL && TtTokenIsStudent(own));
    // Only SYSTEM makes tokens and hands out primary tokens.
    STUDENT_CHECK(TtCreateStudentToken(&token) == STATUS_PRIVILEGE_NOT_HELD);
    TtDuplicate(own, TokenPrimary, SecurityImpersonation, FALSE, &fresh);
    STUDENT_CHECK(StartSuspended(u"ttoken idle", &process, &thread) == STATUS_SUCCESS);
    STUDENT_CHECK(SetProcessToken(process, fresh) == STATUS_PRIVILEGE_NOT_HELD);
    // The student's child is the student too.
    STUDENT_CHECK(NtOpenProcessToken(process, TOKEN_QUERY, &grandchild) == STATUS_SUCCESS &&
                  TtTokenIsStudent(grandchild));
    NtResumeThread(thread, NULL);
    STUDENT_CHECK(ExitStatusOf(process) == 0);
    // The parent runs as SYSTEM: its descriptor (from SYSTEM's default
    // DACL) lets SYSTEM and Administrators in, not the student, so neither
    // the process nor, through it, SYSTEM's token is the student's to open.
    NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation, &basic,
                              sizeof(basic), NULL);
    parent.UniqueProcess = (HANDLE)basic.InheritedFromUniqueProcessId;
    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    STUDENT_CHECK(NtOpenProcess(&systemProcess, PROCESS_QUERY_INFORMATION, &attributes,
                                &parent) == STATUS_ACCESS_DENIED);
    STUDENT_CHECK(NtOpenProcess(&systemProcess, SYNCHRONIZE, &attributes, &parent) ==
                  STATUS_ACCESS_DENIED);
    // The child it made itself has a descriptor from the student's token:
    // the student opens it by its Cid.
    NtQueryInformationProcess(process, ProcessBasicInformation, &basic, sizeof(basic), NULL);
    parent.UniqueProcess = (HANDLE)basic.UniqueProcessId;
    STUDENT_CHECK(NtOpenProcess(&systemProcess, PROCESS_QUERY_INFORMATION, &attributes,
                                &parent) == STATUS_SUCCESS);
    NtClose(systemProcess);
    NtClose(grandchild);
    NtClose(thread);
    NtClose(process);
    NtClose(fresh);
    NtClose(own);
    return failures;
}
