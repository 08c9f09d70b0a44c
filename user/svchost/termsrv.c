// svchost.exe's services for exercise 003 (kernel/kd/ex003.c,
// user/include/logon.h):
//   -s TermService  receives lsm's requests on \RPC Control\TermSrvApi; to
//                   check a session's license it opens the domain
//                   controller's lsarpc pipe, a UNC path (through Mup, to
//                   the SMB redirector), and answers once the open ends.
//                   One check at a time (the license lock, a mutant): the
//                   others wait for the thread whose open is under way.
//   -s gpsvc        the Group Policy service: a thread per share it
//                   reads policies from opens that share at once, as the
//                   logged-on user (impersonating the user's token, as the
//                   case study's Group Policy thread does).

#include "user/include/logon.h"
#include "user/svchost/svchost.h"

#define TERMSRV_THREADS 9      // lsm's first check, and a session each (up to 7)

// The shares Group Policy reads (a thread each).
static const WCHAR *const GpShares[] = {
    u"\\Device\\Mup\\DC005.contoso.com\\SYSVOL\\contoso.com\\Policies",
    u"\\Device\\Mup\\FS01.contoso.com\\Profiles$\\Default\\NTUSER.DAT",
};

static NTSTATUS SvcOpenUncPath(const WCHAR *path)
{
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK ioStatus;
    UNICODE_STRING name;
    HANDLE file;
    NTSTATUS status;

    RtlInitUnicodeString(&name, path);
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE, NULL, NULL);
    status = NtCreateFile(&file, GENERIC_READ | SYNCHRONIZE, &attributes, &ioStatus, NULL, 0,
                          FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN,
                          FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
    if (NT_SUCCESS(status))
        NtClose(file);
    return status;
}

static HANDLE TermSrvPort;
static HANDLE TermSrvLicenseLock;

// The license check runs as the caller (lsm), impersonated for the call as
// an RPC server does: the thread shows its impersonation token while the
// open waits, as the case study's does.
static void TermSrvHandle(ALPCDEMO_MESSAGE *message)
{
    BOOLEAN impersonating = NT_SUCCESS(NtAlpcImpersonateClientOfPort(TermSrvPort, &message->h,
                                                                     NULL));

    message->Status = NtWaitForSingleObject(TermSrvLicenseLock, FALSE, NULL);
    if (NT_SUCCESS(message->Status)) {
        message->Status = SvcOpenUncPath(LOGON_DC_PIPE);
        NtReleaseMutant(TermSrvLicenseLock, NULL);
    }
    if (impersonating) {
        HANDLE none = NULL;

        NtSetInformationThread(NtCurrentThread(), ThreadImpersonationToken, &none, sizeof(none));
    }
    snprintf(message->Text, sizeof(message->Text), "license check: %08x",
             (ULONG)message->Status);
}

// The user whose policies are read: set before the threads start.
static HANDLE GpUserToken;

static NTSTATUS NTAPI GpReadShare(PVOID parameter)
{
    NTSTATUS status;

    if (GpUserToken)
        NtSetInformationThread(NtCurrentThread(), ThreadImpersonationToken, &GpUserToken,
                               sizeof(GpUserToken));
    status = SvcOpenUncPath(parameter);

    printf("svchost: gpsvc: a policy share's open ended: %08x\n", (ULONG)status);
    RtlExitUserThread(status);
}

NTSTATUS TermSrvMain(void)
{
    static LOGON_SERVER server = {.Program = "svchost", .Handler = TermSrvHandle};
    NTSTATUS status = NtCreateMutant(&TermSrvLicenseLock, MUTANT_ALL_ACCESS, NULL, FALSE);

    if (NT_SUCCESS(status))
        status = AlpcDemoCreatePort(LOGON_TERMSRV_PORT, &server.Port);
    if (!NT_SUCCESS(status)) {
        printf("svchost: cannot create \\RPC Control\\TermSrvApi: %08x\n", (ULONG)status);
        return status;
    }
    TermSrvPort = server.Port;
    status = LogonStartServerThreads(&server, TERMSRV_THREADS - 1);
    if (!NT_SUCCESS(status))
        return status;
    return AlpcDemoServe(server.Port, "svchost", TermSrvHandle);
}

void GpSvcMain(void)
{
    // No lsass, no user: the policies are read as the service then.
    if (!NT_SUCCESS(SvcLogonUser("student", "sleuth", &GpUserToken)))
        GpUserToken = NULL;
    for (ULONG i = 0; i < ARRAYSIZE(GpShares); i++) {
        HANDLE thread;

        if (NT_SUCCESS(NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                                        (PVOID)GpReadShare, (PVOID)GpShares[i], 0, 0, 0, 0,
                                        NULL)))
            NtClose(thread);
    }
}

