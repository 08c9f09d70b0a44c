// Shared by the token tests (tests/user/ttoken): making handles with less
// access, duplicating tokens, impersonating, and the student's identity.
#pragma once

#include "tests/user/utest.h"

#define BOGUS_HANDLE ((HANDLE)(ULONG_PTR)0x1234)

// A second handle to `handle`'s object granting only `access`.
static inline HANDLE TtReduced(HANDLE handle, ACCESS_MASK access)
{
    HANDLE reduced = NULL;

    NtDuplicateObject(NtCurrentProcess(), handle, NtCurrentProcess(), &reduced, access, 0, 0);
    return reduced;
}

// The caller's own process or thread by a real handle granting only
// `access` (a pseudo-handle always grants everything).
static inline HANDLE TtSelfProcess(ACCESS_MASK access)
{
    OBJECT_ATTRIBUTES attributes;
    CLIENT_ID cid = {NtCurrentTeb()->ClientId.UniqueProcess, NULL};
    HANDLE handle = NULL;

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    NtOpenProcess(&handle, access, &attributes, &cid);
    return handle;
}

static inline HANDLE TtSelfThread(ACCESS_MASK access)
{
    OBJECT_ATTRIBUTES attributes;
    CLIENT_ID cid = NtCurrentTeb()->ClientId;
    HANDLE handle = NULL;

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    NtOpenThread(&handle, access, &attributes, &cid);
    return handle;
}

static inline HANDLE TtOpenOwnToken(ACCESS_MASK access)
{
    HANDLE token = NULL;

    NtOpenProcessToken(NtCurrentProcess(), access, &token);
    return token;
}

// A copy of `token` of the given type and level (through the attributes'
// quality of service, as NT takes it).
static inline NTSTATUS TtDuplicate(HANDLE token, TOKEN_TYPE type,
                                   SECURITY_IMPERSONATION_LEVEL level, BOOLEAN effectiveOnly,
                                   PHANDLE copy)
{
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), level, SECURITY_STATIC_TRACKING, FALSE};
    OBJECT_ATTRIBUTES attributes;

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    attributes.SecurityQualityOfService = &qos;
    return NtDuplicateToken(token, TOKEN_ALL_ACCESS, &attributes, effectiveOnly, type, copy);
}

static inline NTSTATUS TtImpersonate(HANDLE thread, HANDLE token)
{
    return NtSetInformationThread(thread, ThreadImpersonationToken, &token, sizeof(token));
}

static inline TOKEN_STATISTICS TtStatistics(HANDLE token)
{
    TOKEN_STATISTICS statistics;
    ULONG length;

    memset(&statistics, 0, sizeof(statistics));
    NtQueryInformationToken(token, TokenStatistics, &statistics, sizeof(statistics), &length);
    return statistics;
}

// The sub-authorities of a SID, whatever SID[1] says.
static inline ULONG TtSubAuthority(const SID *sid, ULONG index)
{
    const ULONG *values = (const ULONG *)((const UCHAR *)sid + 8);

    return values[index];
}

// S-1-5-18 or S-1-5-21-1-2-3-1000.
BOOLEAN TtIsSystemSid(const SID *sid);
BOOLEAN TtIsStudentSid(const SID *sid);
// TRUE when the token's TokenUser is the student (FALSE on any failure).
BOOLEAN TtTokenIsStudent(HANDLE token);
// A primary token for the student, made with NtCreateToken (SYSTEM callers).
NTSTATUS TtCreateStudentToken(PHANDLE token);
// What the program does when started as "ttoken student": the checks a
// process running as the student makes of itself; its exit status is the
// number that failed.
int TtStudentMain(void);

extern const UTEST TtCreateTests[];
extern const int TtCreateTestCount;
