// Shared by the tsecurity test program: the student's identity (taken on by
// impersonation, so the checks see the student as the caller's effective
// token), and descriptors built with the run-time library.
#pragma once

#include "tests/user/utest.h"
#include "tests/user/uthread.h"

extern ULONG TsStudentSid[7];       // S-1-5-21-1-2-3-1000
extern ULONG TsSystemSid[3];        // S-1-5-18
extern ULONG TsAdminsSid[4];        // S-1-5-32-544
extern ULONG TsEveryoneSid[3];      // S-1-1-0

// An absolute descriptor with room for a few ACEs in its DACL.
typedef struct _TS_DESCRIPTOR {
    SECURITY_DESCRIPTOR Sd;
    union {
        ACL Acl;
        UCHAR Bytes[160];
    } Dacl;
} TS_DESCRIPTOR;

// An empty DACL (present, no ACE) and no owner: add ACEs with TsAllow/TsDeny.
void TsInitDescriptor(TS_DESCRIPTOR *d);
void TsAllow(TS_DESCRIPTOR *d, ACCESS_MASK mask, ULONG *sid);
void TsDeny(TS_DESCRIPTOR *d, ACCESS_MASK mask, ULONG *sid);

// The calling thread runs as the student (an impersonation token at
// `level`) until TsRevert. The student token is made once (NtCreateToken).
NTSTATUS TsImpersonateStudent(SECURITY_IMPERSONATION_LEVEL level);
void TsRevert(void);
void TsCloseStudent(void);

// Named objects under \BaseNamedObjects.
NTSTATUS TsCreateEvent(PHANDLE event, const WCHAR *name, ACCESS_MASK access, PVOID sd);
NTSTATUS TsOpenEvent(PHANDLE event, const WCHAR *name, ACCESS_MASK access);
ACCESS_MASK TsGrantedAccess(HANDLE handle);

extern const UTEST TsPortTests[];
extern const int TsPortTestCount;
extern const UTEST TsProcessTests[];
extern const int TsProcessTestCount;
