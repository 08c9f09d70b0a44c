// Processes and threads have descriptors too (their types require
// security, as NT's): built from the creator's token when they are made, and
// checked when someone opens them by client id, unless the caller holds
// SeDebugPrivilege (SYSTEM does). This program runs as SYSTEM, so its own
// process and threads let SYSTEM do anything and Administrators read; the
// student, by impersonation, gets nothing until the DACL says otherwise.

#include "tsecurity.h"

#define PROCESS_READ_EXECUTE \
    (READ_CONTROL | PROCESS_VM_READ | PROCESS_QUERY_INFORMATION | SYNCHRONIZE)

static NTSTATUS OpenOwnProcess(ACCESS_MASK access, PHANDLE process)
{
    CLIENT_ID cid = {NtCurrentTeb()->ClientId.UniqueProcess, NULL};
    OBJECT_ATTRIBUTES attributes;

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    *process = NULL;
    return NtOpenProcess(process, access, &attributes, &cid);
}

static NTSTATUS OpenOwnThread(ACCESS_MASK access, PHANDLE thread)
{
    CLIENT_ID cid = NtCurrentTeb()->ClientId;
    OBJECT_ATTRIBUTES attributes;

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    *thread = NULL;
    return NtOpenThread(thread, access, &attributes, &cid);
}

static void CloseIfOpen(HANDLE handle)
{
    if (handle)
        NtClose(handle);
}

UTEST(ProcessesAndThreadsGetTheirCreatorsDescriptor)
{
    union {
        SECURITY_DESCRIPTOR_RELATIVE Sd;
        UCHAR Bytes[256];
    } out;
    const SECURITY_INFORMATION all = OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION |
                                     DACL_SECURITY_INFORMATION;
    ACCESS_ALLOWED_ACE *ace;
    ULONG needed;
    ACL *dacl;

    // SYSTEM's default DACL, its generic rights mapped to the Process type's.
    UT_EXPECT_STATUS(NtQuerySecurityObject(NtCurrentProcess(), all, &out.Sd, sizeof(out),
                                           &needed), STATUS_SUCCESS);
    UT_EXPECT(RtlEqualSid(RtlOwnerOfSecurityDescriptor(&out.Sd), (SID *)TsAdminsSid));
    dacl = RtlDaclOfSecurityDescriptor(&out.Sd);
    UT_EXPECT(dacl != NULL && dacl->AceCount == 2);
    UT_EXPECT_STATUS(RtlGetAce(dacl, 0, (PVOID *)&ace), STATUS_SUCCESS);
    UT_EXPECT(RtlEqualSid((SID *)&ace->SidStart, (SID *)TsSystemSid));
    UT_EXPECT_EQ(ace->Mask, PROCESS_ALL_ACCESS);
    UT_EXPECT_STATUS(RtlGetAce(dacl, 1, (PVOID *)&ace), STATUS_SUCCESS);
    UT_EXPECT(RtlEqualSid((SID *)&ace->SidStart, (SID *)TsAdminsSid));
    UT_EXPECT_EQ(ace->Mask, PROCESS_READ_EXECUTE);
    // The thread's, mapped to the Thread type's.
    UT_EXPECT_STATUS(NtQuerySecurityObject(NtCurrentThread(), all, &out.Sd, sizeof(out),
                                           &needed), STATUS_SUCCESS);
    dacl = RtlDaclOfSecurityDescriptor(&out.Sd);
    UT_EXPECT(dacl != NULL && dacl->AceCount == 2);
    UT_EXPECT_STATUS(RtlGetAce(dacl, 0, (PVOID *)&ace), STATUS_SUCCESS);
    UT_EXPECT_EQ(ace->Mask, THREAD_ALL_ACCESS);
}

UTEST(OpeningAProcessOrThreadIsCheckedAgainstItsDescriptor)
{
    union {
        SECURITY_DESCRIPTOR_RELATIVE Sd;
        UCHAR Bytes[256];
    } saved;
    TS_DESCRIPTOR d;
    HANDLE process = NULL, thread = NULL;
    ULONG needed;

    // SYSTEM holds SeDebugPrivilege: anything, whatever the DACL says.
    UT_EXPECT_STATUS(OpenOwnProcess(PROCESS_ALL_ACCESS, &process), STATUS_SUCCESS);
    UT_EXPECT_EQ(TsGrantedAccess(process), PROCESS_ALL_ACCESS);
    CloseIfOpen(process);
    UT_EXPECT_STATUS(OpenOwnThread(MAXIMUM_ALLOWED, &thread), STATUS_SUCCESS);
    UT_EXPECT_EQ(TsGrantedAccess(thread), THREAD_ALL_ACCESS);
    CloseIfOpen(thread);

    // The student is in neither ACE: nothing, not even SYNCHRONIZE.
    UT_EXPECT_STATUS(TsImpersonateStudent(SecurityImpersonation), STATUS_SUCCESS);
    UT_EXPECT_STATUS(OpenOwnProcess(PROCESS_QUERY_INFORMATION, &process), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(OpenOwnProcess(SYNCHRONIZE, &process), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(OpenOwnProcess(MAXIMUM_ALLOWED, &process), STATUS_ACCESS_DENIED);
    UT_EXPECT(process == NULL);
    UT_EXPECT_STATUS(OpenOwnThread(THREAD_QUERY_INFORMATION, &thread), STATUS_ACCESS_DENIED);
    UT_EXPECT(thread == NULL);
    TsRevert();

    // Let everyone wait on the process and query it, and look again.
    UT_EXPECT_STATUS(NtQuerySecurityObject(NtCurrentProcess(), DACL_SECURITY_INFORMATION,
                                           &saved.Sd, sizeof(saved), &needed), STATUS_SUCCESS);
    TsInitDescriptor(&d);
    TsAllow(&d, GENERIC_ALL, TsSystemSid);
    TsAllow(&d, SYNCHRONIZE | PROCESS_QUERY_INFORMATION, TsEveryoneSid);
    UT_EXPECT_STATUS(NtSetSecurityObject(NtCurrentProcess(), DACL_SECURITY_INFORMATION, &d.Sd),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TsImpersonateStudent(SecurityImpersonation), STATUS_SUCCESS);
    UT_EXPECT_STATUS(OpenOwnProcess(SYNCHRONIZE, &process), STATUS_SUCCESS);
    UT_EXPECT_EQ(TsGrantedAccess(process), SYNCHRONIZE);
    CloseIfOpen(process);
    UT_EXPECT_STATUS(OpenOwnProcess(MAXIMUM_ALLOWED, &process), STATUS_SUCCESS);
    UT_EXPECT_EQ(TsGrantedAccess(process), SYNCHRONIZE | PROCESS_QUERY_INFORMATION);
    CloseIfOpen(process);
    UT_EXPECT_STATUS(OpenOwnProcess(PROCESS_TERMINATE, &process), STATUS_ACCESS_DENIED);
    // Only the process's descriptor changed: its threads are still closed.
    UT_EXPECT_STATUS(OpenOwnThread(SYNCHRONIZE, &thread), STATUS_ACCESS_DENIED);
    TsRevert();
    UT_EXPECT_STATUS(NtSetSecurityObject(NtCurrentProcess(), DACL_SECURITY_INFORMATION,
                                         &saved.Sd), STATUS_SUCCESS);
}

const UTEST TsProcessTests[] = {
    UT_ENTRY(ProcessesAndThreadsGetTheirCreatorsDescriptor),
    UT_ENTRY(OpeningAProcessOrThreadIsCheckedAgainstItsDescriptor),
};
const int TsProcessTestCount = sizeof(TsProcessTests) / sizeof(TsProcessTests[0]);
