// User-mode tests of tokens: NtOpenProcessToken, NtQueryInformationToken,
// NtDuplicateToken, NtOpenThreadToken and impersonation through
// NtSetInformationThread, with every error path. create.c has
// NtCreateToken, NtSetInformationProcess and the student's process. The
// program is its own child: "ttoken student" checks who it runs as.

#include "ttoken.h"
#include "tests/user/uthread.h"

BOOLEAN TtIsSystemSid(const SID *sid)
{
    return sid->Revision == 1 && sid->SubAuthorityCount == 1 &&
           sid->IdentifierAuthority.Value[5] == 5 && TtSubAuthority(sid, 0) == 18;
}

BOOLEAN TtIsStudentSid(const SID *sid)
{
    static const ULONG expected[] = {21, 1, 2, 3, 1000};

    if (sid->Revision != 1 || sid->SubAuthorityCount != 5 ||
        sid->IdentifierAuthority.Value[5] != 5)
        return FALSE;
    for (ULONG i = 0; i < 5; i++) {
        if (TtSubAuthority(sid, i) != expected[i])
            return FALSE;
    }
    return TRUE;
}

// TokenUser's buffer: the structure, then the SID it points at.
static union {
    TOKEN_USER User;
    ULONG64 Space[16];
} UserBuffer;

BOOLEAN TtTokenIsStudent(HANDLE token)
{
    ULONG length;

    return NT_SUCCESS(NtQueryInformationToken(token, TokenUser, &UserBuffer, sizeof(UserBuffer),
                                              &length)) &&
           TtIsStudentSid(UserBuffer.User.User.Sid);
}

UTEST(ProcessTokenIsSystem)
{
    HANDLE token = TtOpenOwnToken(TOKEN_QUERY);
    TOKEN_USER *user = &UserBuffer.User;
    TOKEN_STATISTICS statistics;
    TOKEN_TYPE type = 0;
    ULONG length = 0;

    UT_EXPECT(token != NULL);
    UT_EXPECT_STATUS(NtQueryInformationToken(token, TokenUser, &UserBuffer, sizeof(UserBuffer),
                                             &length),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(length, sizeof(TOKEN_USER) + 12);
    // The SID lies in the caller's buffer, right after the structure.
    UT_EXPECT((UCHAR *)user->User.Sid == (UCHAR *)&UserBuffer + sizeof(TOKEN_USER));
    UT_EXPECT(TtIsSystemSid(user->User.Sid));
    UT_EXPECT_STATUS(NtQueryInformationToken(token, TokenType, &type, sizeof(type), &length),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(type, TokenPrimary);
    UT_EXPECT_EQ(length, sizeof(type));
    UT_EXPECT_STATUS(NtQueryInformationToken(token, TokenStatistics, &statistics,
                                             sizeof(statistics), &length),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(length, 56);
    UT_EXPECT_EQ(statistics.AuthenticationId.LowPart, SYSTEM_LUID);
    UT_EXPECT(statistics.TokenId.LowPart >= 1000);
    UT_EXPECT_EQ(statistics.TokenType, TokenPrimary);
    UT_EXPECT_EQ(statistics.GroupCount, 3);
    UT_EXPECT_EQ(statistics.PrivilegeCount, 8);
    UT_EXPECT_EQ(statistics.ExpirationTime.QuadPart, 0x7FFFFFFFFFFFFFFFLL);
    // A primary token has no impersonation level to tell.
    UT_EXPECT_STATUS(NtQueryInformationToken(token, TokenImpersonationLevel, &type,
                                             sizeof(type), &length),
                     STATUS_INVALID_INFO_CLASS);
    NtClose(token);
}

// A child's token is a copy of its parent's: same logon session, its own id.
UTEST(ChildGetsACopyOfTheParentsToken)
{
    UNICODE_STRING image = UT_NAME(u"ttoken");
    UNICODE_STRING line = UT_NAME(u"ttoken idle");
    HANDLE process, thread, own = TtOpenOwnToken(TOKEN_QUERY), child = NULL;
    TOKEN_STATISTICS mine, its;

    UT_EXPECT_STATUS(NtCreateProcessFromArchive(&process, &thread, PROCESS_ALL_ACCESS,
                                                THREAD_ALL_ACCESS, NULL, &image, &line,
                                                PROCESS_CREATE_FLAGS_SUSPENDED, NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenProcessToken(process, TOKEN_QUERY, &child), STATUS_SUCCESS);
    mine = TtStatistics(own);
    its = TtStatistics(child);
    UT_EXPECT(mine.TokenId.LowPart != its.TokenId.LowPart);
    UT_EXPECT_EQ(its.AuthenticationId.LowPart, SYSTEM_LUID);
    UT_EXPECT_EQ(its.ModifiedId.LowPart, mine.ModifiedId.LowPart);
    NtTerminateProcess(process, 0);
    NtWaitForSingleObject(process, FALSE, NULL);
    NtClose(child);
    NtClose(own);
    NtClose(thread);
    NtClose(process);
}

UTEST(OpenProcessTokenErrors)
{
    HANDLE token, event, limited = TtSelfProcess(SYNCHRONIZE);

    UT_EXPECT_STATUS(NtOpenProcessToken(NtCurrentProcess(), TOKEN_QUERY, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtOpenProcessToken(NtCurrentProcess(), TOKEN_QUERY, UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtOpenProcessToken(BOGUS_HANDLE, TOKEN_QUERY, &token),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtOpenProcessToken(limited, TOKEN_QUERY, &token), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenProcessToken(event, TOKEN_QUERY, &token),
                     STATUS_OBJECT_TYPE_MISMATCH);
    NtClose(event);
    NtClose(limited);
    // A closed handle names nothing.
    UT_EXPECT_STATUS(NtOpenProcessToken(limited, TOKEN_QUERY, &token), STATUS_INVALID_HANDLE);
}

UTEST(QueryInformationTokenErrors)
{
    HANDLE token = TtOpenOwnToken(TOKEN_QUERY), noQuery = TtOpenOwnToken(TOKEN_DUPLICATE);
    HANDLE thread = TtSelfThread(THREAD_ALL_ACCESS);
    UCHAR small[8];
    ULONG length = 0;
    TOKEN_TYPE type;

    UT_EXPECT_STATUS(NtQueryInformationToken(token, TokenUser, UT_BAD_POINTER, 64, &length),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryInformationToken(token, TokenUser, UT_KERNEL_POINTER, 64, &length),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryInformationToken(token, TokenUser, small + 1, 4, &length),
                     STATUS_DATATYPE_MISALIGNMENT);
    UT_EXPECT_STATUS(NtQueryInformationToken(token, TokenType, &type, sizeof(type), NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryInformationToken(token, TokenType, &type, sizeof(type),
                                             UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryInformationToken(token, 2 /* TokenGroups */, &UserBuffer,
                                             sizeof(UserBuffer), &length),
                     STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtQueryInformationToken(token, 0, &UserBuffer, sizeof(UserBuffer), &length),
                     STATUS_INVALID_INFO_CLASS);
    // Too small: the length it needs comes back.
    UT_EXPECT_STATUS(NtQueryInformationToken(token, TokenUser, small, sizeof(small), &length),
                     STATUS_BUFFER_TOO_SMALL);
    UT_EXPECT_EQ(length, sizeof(TOKEN_USER) + 12);
    UT_EXPECT_STATUS(NtQueryInformationToken(token, TokenStatistics, small, sizeof(small),
                                             &length),
                     STATUS_BUFFER_TOO_SMALL);
    UT_EXPECT_EQ(length, sizeof(TOKEN_STATISTICS));
    UT_EXPECT_STATUS(NtQueryInformationToken(token, TokenSessionId, small, 2, &length),
                     STATUS_BUFFER_TOO_SMALL);
    UT_EXPECT_EQ(length, sizeof(ULONG));
    UT_EXPECT_STATUS(NtQueryInformationToken(noQuery, TokenType, &type, sizeof(type), &length),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtQueryInformationToken(thread, TokenType, &type, sizeof(type), &length),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtQueryInformationToken(BOGUS_HANDLE, TokenType, &type, sizeof(type),
                                             &length),
                     STATUS_INVALID_HANDLE);
    NtClose(thread);
    NtClose(noQuery);
    NtClose(token);
}

UTEST(DuplicateTokenMakesImpersonationTokens)
{
    HANDLE token = TtOpenOwnToken(TOKEN_DUPLICATE | TOKEN_QUERY), copy = NULL, anonymous = NULL;
    SECURITY_IMPERSONATION_LEVEL level = 99;
    TOKEN_STATISTICS statistics;
    ULONG length;

    UT_EXPECT_STATUS(TtDuplicate(token, TokenImpersonation, SecurityImpersonation, FALSE, &copy),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryInformationToken(copy, TokenImpersonationLevel, &level,
                                             sizeof(level), &length),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(level, SecurityImpersonation);
    statistics = TtStatistics(copy);
    UT_EXPECT_EQ(statistics.TokenType, TokenImpersonation);
    UT_EXPECT_EQ(statistics.AuthenticationId.LowPart, SYSTEM_LUID);
    UT_EXPECT(statistics.TokenId.LowPart != TtStatistics(token).TokenId.LowPart);
    // Without a quality of service, an impersonation copy is anonymous.
    UT_EXPECT_STATUS(NtDuplicateToken(token, TOKEN_QUERY, NULL, FALSE, TokenImpersonation,
                                      &anonymous),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryInformationToken(anonymous, TokenImpersonationLevel, &level,
                                             sizeof(level), &length),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(level, SecurityAnonymous);
    NtClose(anonymous);
    NtClose(copy);
    NtClose(token);
}

UTEST(DuplicateTokenErrors)
{
    HANDLE token = TtOpenOwnToken(TOKEN_DUPLICATE), noDuplicate = TtOpenOwnToken(TOKEN_QUERY);
    HANDLE identification = NULL, copy;
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), SecurityImpersonation, FALSE, FALSE};
    OBJECT_ATTRIBUTES attributes;

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtDuplicateToken(token, TOKEN_QUERY, NULL, FALSE, TokenPrimary,
                                      UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtDuplicateToken(token, TOKEN_QUERY, NULL, FALSE, TokenPrimary,
                                      UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtDuplicateToken(token, TOKEN_QUERY, NULL, FALSE, 0, &copy),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtDuplicateToken(token, TOKEN_QUERY, NULL, FALSE, 3, &copy),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtDuplicateToken(token, TOKEN_QUERY, UT_BAD_POINTER, FALSE, TokenPrimary,
                                      &copy),
                     STATUS_ACCESS_VIOLATION);
    attributes.Length = 0;
    UT_EXPECT_STATUS(NtDuplicateToken(token, TOKEN_QUERY, &attributes, FALSE, TokenPrimary,
                                      &copy),
                     STATUS_INVALID_PARAMETER);
    attributes.Length = sizeof(attributes);
    attributes.SecurityQualityOfService = UT_KERNEL_POINTER;
    UT_EXPECT_STATUS(NtDuplicateToken(token, TOKEN_QUERY, &attributes, FALSE, TokenPrimary,
                                      &copy),
                     STATUS_ACCESS_VIOLATION);
    attributes.SecurityQualityOfService = &qos;
    qos.ImpersonationLevel = 7;
    UT_EXPECT_STATUS(NtDuplicateToken(token, TOKEN_QUERY, &attributes, FALSE,
                                      TokenImpersonation, &copy),
                     STATUS_BAD_IMPERSONATION_LEVEL);
    UT_EXPECT_STATUS(TtDuplicate(noDuplicate, TokenPrimary, SecurityImpersonation, FALSE, &copy),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(TtDuplicate(BOGUS_HANDLE, TokenPrimary, SecurityImpersonation, FALSE, &copy),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(TtDuplicate(NtCurrentProcess(), TokenPrimary, SecurityImpersonation, FALSE,
                                 &copy),
                     STATUS_OBJECT_TYPE_MISMATCH);
    // A copy is never worth more than its source.
    UT_EXPECT_STATUS(TtDuplicate(token, TokenImpersonation, SecurityIdentification, FALSE,
                                 &identification),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TtDuplicate(identification, TokenImpersonation, SecurityImpersonation,
                                 FALSE, &copy),
                     STATUS_BAD_IMPERSONATION_LEVEL);
    UT_EXPECT_STATUS(TtDuplicate(identification, TokenPrimary, SecurityImpersonation, FALSE,
                                 &copy),
                     STATUS_BAD_IMPERSONATION_LEVEL);
    NtClose(identification);
    NtClose(noDuplicate);
    NtClose(token);
}

// Open the own token, copy it as an impersonation token, impersonate it:
// NtOpenThreadToken sees that very token, until the thread reverts.
UTEST(ImpersonateAndRevert)
{
    HANDLE token = TtOpenOwnToken(TOKEN_DUPLICATE), copy = NULL, seen = NULL, none = NULL;
    SECURITY_IMPERSONATION_LEVEL level = 0;
    ULONG length;

    UT_EXPECT_STATUS(NtOpenThreadToken(NtCurrentThread(), TOKEN_QUERY, FALSE, &seen),
                     STATUS_NO_TOKEN);
    UT_EXPECT_STATUS(TtDuplicate(token, TokenImpersonation, SecurityImpersonation, FALSE, &copy),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TtImpersonate(NtCurrentThread(), copy), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenThreadToken(NtCurrentThread(), TOKEN_QUERY, FALSE, &seen),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(TtStatistics(seen).TokenId.LowPart, TtStatistics(copy).TokenId.LowPart);
    UT_EXPECT_STATUS(NtQueryInformationToken(seen, TokenImpersonationLevel, &level,
                                             sizeof(level), &length),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(level, SecurityImpersonation);
    NtClose(seen);
    UT_EXPECT_STATUS(TtImpersonate(NtCurrentThread(), none), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenThreadToken(NtCurrentThread(), TOKEN_QUERY, TRUE, &seen),
                     STATUS_NO_TOKEN);
    NtClose(copy);
    NtClose(token);
}

// At SecurityIdentification the thread may look but not open: only with
// OpenAsSelf (the check made as its process); anonymous cannot be opened.
UTEST(ImpersonationLevelsLimitOpens)
{
    HANDLE token = TtOpenOwnToken(TOKEN_DUPLICATE), identification = NULL, anonymous = NULL;
    HANDLE seen = NULL;

    TtDuplicate(token, TokenImpersonation, SecurityIdentification, FALSE, &identification);
    TtDuplicate(token, TokenImpersonation, SecurityAnonymous, FALSE, &anonymous);
    UT_EXPECT_STATUS(TtImpersonate(NtCurrentThread(), identification), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenThreadToken(NtCurrentThread(), TOKEN_QUERY, FALSE, &seen),
                     STATUS_BAD_IMPERSONATION_LEVEL);
    UT_EXPECT_STATUS(NtOpenProcessToken(NtCurrentProcess(), TOKEN_QUERY, &seen),
                     STATUS_BAD_IMPERSONATION_LEVEL);
    UT_EXPECT_STATUS(NtOpenThreadToken(NtCurrentThread(), TOKEN_QUERY, TRUE, &seen),
                     STATUS_SUCCESS);
    NtClose(seen);
    UT_EXPECT_STATUS(TtImpersonate(NtCurrentThread(), anonymous), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenThreadToken(NtCurrentThread(), TOKEN_QUERY, TRUE, &seen),
                     STATUS_CANT_OPEN_ANONYMOUS);
    UT_EXPECT_STATUS(TtImpersonate(NtCurrentThread(), NULL), STATUS_SUCCESS);
    NtClose(anonymous);
    NtClose(identification);
    NtClose(token);
}

UTEST(OpenThreadTokenErrors)
{
    HANDLE token, limited = TtSelfThread(SYNCHRONIZE);

    UT_EXPECT_STATUS(NtOpenThreadToken(NtCurrentThread(), TOKEN_QUERY, FALSE, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtOpenThreadToken(NtCurrentThread(), TOKEN_QUERY, FALSE,
                                       UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtOpenThreadToken(limited, TOKEN_QUERY, FALSE, &token),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtOpenThreadToken(NtCurrentProcess(), TOKEN_QUERY, FALSE, &token),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtOpenThreadToken(BOGUS_HANDLE, TOKEN_QUERY, FALSE, &token),
                     STATUS_INVALID_HANDLE);
    NtClose(limited);
}

UTEST(SetInformationThreadErrors)
{
    HANDLE token = TtOpenOwnToken(TOKEN_DUPLICATE | TOKEN_IMPERSONATE);
    HANDLE copy = NULL, noImpersonate = NULL;
    HANDLE limited = TtSelfThread(THREAD_QUERY_INFORMATION);

    TtDuplicate(token, TokenImpersonation, SecurityImpersonation, FALSE, &copy);
    noImpersonate = TtReduced(copy, TOKEN_QUERY);
    UT_EXPECT_STATUS(NtSetInformationThread(NtCurrentThread(), 0, &copy, sizeof(copy)),
                     STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtSetInformationThread(NtCurrentThread(), ThreadImpersonationToken, &copy,
                                            4),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtSetInformationThread(NtCurrentThread(), ThreadImpersonationToken,
                                            UT_BAD_POINTER, sizeof(HANDLE)),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtSetInformationThread(NtCurrentThread(), ThreadImpersonationToken,
                                            UT_KERNEL_POINTER, sizeof(HANDLE)),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(TtImpersonate(NtCurrentThread(), token), STATUS_BAD_TOKEN_TYPE);
    UT_EXPECT_STATUS(TtImpersonate(NtCurrentThread(), noImpersonate), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(TtImpersonate(NtCurrentThread(), NtCurrentThread()),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(TtImpersonate(NtCurrentThread(), BOGUS_HANDLE), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(TtImpersonate(limited, copy), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(TtImpersonate(NtCurrentProcess(), copy), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(TtImpersonate(BOGUS_HANDLE, copy), STATUS_INVALID_HANDLE);
    NtClose(limited);
    NtClose(noImpersonate);
    NtClose(copy);
    NtClose(token);
}

static HANDLE WorkerGo;

static NTSTATUS NTAPI WaitThenEnd(PVOID argument)
{
    NtWaitForSingleObject(WorkerGo, FALSE, NULL);
    return STATUS_SUCCESS;
}

// One thread makes another impersonate; the token goes when that thread
// ends (the leak check around the program sees to that).
UTEST(AnotherThreadImpersonatesAndEnds)
{
    HANDLE token = TtOpenOwnToken(TOKEN_DUPLICATE), copy = NULL, worker = NULL, seen = NULL;
    HANDLE after;

    UT_EXPECT_STATUS(NtCreateEvent(&WorkerGo, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    TtDuplicate(token, TokenImpersonation, SecurityDelegation, FALSE, &copy);
    UT_EXPECT_STATUS(UtStartThread(&worker, WaitThenEnd, NULL), STATUS_SUCCESS);
    after = TtReduced(worker, THREAD_ALL_ACCESS);
    UT_EXPECT_STATUS(TtImpersonate(worker, copy), STATUS_SUCCESS);
    NtClose(copy);
    UT_EXPECT_STATUS(NtOpenThreadToken(worker, TOKEN_QUERY, FALSE, &seen), STATUS_SUCCESS);
    UT_EXPECT_EQ(TtStatistics(seen).ImpersonationLevel, SecurityDelegation);
    NtClose(seen);
    // The caller's own thread is not affected.
    UT_EXPECT_STATUS(NtOpenThreadToken(NtCurrentThread(), TOKEN_QUERY, FALSE, &seen),
                     STATUS_NO_TOKEN);
    NtSetEvent(WorkerGo, NULL);
    UT_EXPECT_STATUS(UtJoinThreadWithin(worker, UT_THREAD_PATIENCE_MS), STATUS_SUCCESS);
    // An ended thread impersonates nothing, and cannot start to.
    UT_EXPECT_STATUS(NtOpenThreadToken(after, TOKEN_QUERY, FALSE, &seen), STATUS_NO_TOKEN);
    TtDuplicate(token, TokenImpersonation, SecurityImpersonation, FALSE, &copy);
    UT_EXPECT_STATUS(TtImpersonate(after, copy), STATUS_THREAD_IS_TERMINATING);
    NtClose(copy);
    NtClose(after);
    NtClose(WorkerGo);
    NtClose(token);
}

static const UTEST Tests[] = {
    UT_ENTRY(ProcessTokenIsSystem),
    UT_ENTRY(ChildGetsACopyOfTheParentsToken),
    UT_ENTRY(OpenProcessTokenErrors),
    UT_ENTRY(QueryInformationTokenErrors),
    UT_ENTRY(DuplicateTokenMakesImpersonationTokens),
    UT_ENTRY(DuplicateTokenErrors),
    UT_ENTRY(ImpersonateAndRevert),
    UT_ENTRY(ImpersonationLevelsLimitOpens),
    UT_ENTRY(OpenThreadTokenErrors),
    UT_ENTRY(SetInformationThreadErrors),
    UT_ENTRY(AnotherThreadImpersonatesAndEnds),
};

static BOOLEAN CommandLineIs(const char *text)
{
    const UNICODE_STRING *line = &NtCurrentPeb()->ProcessParameters->CommandLine;
    size_t count = line->Length / sizeof(WCHAR);

    if (count != strlen(text))
        return FALSE;
    for (size_t i = 0; i < count; i++) {
        if (line->Buffer[i] != (WCHAR)text[i])
            return FALSE;
    }
    return TRUE;
}

int main(void)
{
    if (CommandLineIs("ttoken student"))
        return TtStudentMain();
    if (CommandLineIs("ttoken idle"))
        return 0;
    return UT_RUN_ALL("ttoken", Tests) + UtRunTests("ttoken", TtCreateTests, TtCreateTestCount);
}
