// svchost.exe's services for exercise 000 (kernel/kd/ex000.c), each
// asking lsass (\LsaAuthenticationPort) for something, as NT's services do,
// then working with files on the RAM volume:
//
//   -s FileSync         the file synchronization service (-k netsvcs): logs
//                       the student on (stored credentials), runs as the
//                       student and reads the student's files, the
//                       encrypted one too, each hour or when alerted
//   -s Backup ACCOUNT   the backup service (-k LocalService): logs on its
//                       domain account (DOMAIN\user)
//   -s Update           the update service (-k NetworkService): asks lsass
//                       for its authentication package, then reads the
//                       system's message of the day
//
// Each prints nothing: a service has no console. Once its work is done it
// waits for the system to stop, as a service host does.

#include "user/include/runtime.h"
#include "user/lsass/lsaapi.h"
#include "user/svchost/svchost.h"

#define SVC_LINE_LENGTH 128

static HANDLE SvcLsa;

static NTSTATUS SvcConnectLsa(void)
{
    UNICODE_STRING port;
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), SecurityImpersonation,
                                       SECURITY_DYNAMIC_TRACKING, FALSE};
    LSA_CONNECT_INFO info = {"svchost"};
    ULONG infoLength = sizeof(info);
    NTSTATUS status = STATUS_UNSUCCESSFUL;

    RtlInitUnicodeString(&port, LSA_PORT_NAME);
    // lsass may still be starting: up to 5 s.
    for (int i = 0; i < 500; i++) {
        LARGE_INTEGER delay = {.QuadPart = -10LL * 1000 * 10};

        status = NtConnectPort(&SvcLsa, &port, &qos, NULL, NULL, NULL, &info, &infoLength);
        if (NT_SUCCESS(status))
            return status;
        NtDelayExecution(FALSE, &delay);
    }
    return status;
}

// A string into a fixed field, cut to fit and terminated.
static void SvcCopy(char *field, size_t size, const char *text)
{
    size_t n = strlen(text);

    if (n >= size)
        n = size - 1;
    memcpy(field, text, n);
    field[n] = '\0';
}

static NTSTATUS SvcLogon(const char *user, const char *password, HANDLE *token)
{
    LSA_API_MESSAGE message;
    NTSTATUS status;

    LsaInitializeMessage(&message, LsaApiLogonUser);
    SvcCopy(message.LogonUser.UserName, sizeof(message.LogonUser.UserName), user);
    SvcCopy(message.LogonUser.Password, sizeof(message.LogonUser.Password), password);
    status = NtRequestWaitReplyPort(SvcLsa, &message.h, &message.h);
    if (NT_SUCCESS(status))
        status = message.Status;
    *token = NT_SUCCESS(status) ? (HANDLE)(ULONG_PTR)message.LogonUser.Token : NULL;
    return status;
}

static NTSTATUS SvcLookupPackage(const char *package)
{
    LSA_API_MESSAGE message;
    NTSTATUS status;

    LsaInitializeMessage(&message, LsaApiLookupPackage);
    SvcCopy(message.LookupPackage.PackageName, sizeof(message.LookupPackage.PackageName),
            package);
    status = NtRequestWaitReplyPort(SvcLsa, &message.h, &message.h);
    return NT_SUCCESS(status) ? message.Status : status;
}

NTSTATUS SvcLogonUser(const char *user, const char *password, HANDLE *token)
{
    NTSTATUS status = SvcLsa ? STATUS_SUCCESS : SvcConnectLsa();

    *token = NULL;
    return NT_SUCCESS(status) ? SvcLogon(user, password, token) : status;
}

// Opens and reads the head of a file: what every service here does.
static NTSTATUS SvcReadFile(const WCHAR *path)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK io;
    char head[64];
    HANDLE file;
    NTSTATUS status;

    RtlInitUnicodeString(&name, path);
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE, NULL, NULL);
    status = NtCreateFile(&file, FILE_READ_DATA | SYNCHRONIZE, &attributes, &io, NULL, 0,
                          FILE_SHARE_READ, FILE_OPEN,
                          FILE_NON_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
    if (!NT_SUCCESS(status))
        return status;
    status = NtReadFile(file, NULL, NULL, NULL, &io, head, sizeof(head), NULL, NULL);
    NtClose(file);
    return status;
}

// The file synchronization service: the student's files, as the student,
// read once at start and again each period, or at once when alerted (a
// file changed: NtAlertThread).
static void SvcSyncFiles(void)
{
    static const WCHAR *const files[] = {u"\\??\\R:\\etc\\motd.txt",
                                         u"\\??\\R:\\home\\student\\secret.txt"};
    LARGE_INTEGER period = {.QuadPart = -10LL * 1000 * 1000 * 3600};   // an hour
    HANDLE token;

    if (!NT_SUCCESS(SvcLogon("student", "sleuth", &token)))
        return;
    NtSetInformationThread(NtCurrentThread(), ThreadImpersonationToken, &token, sizeof(token));
    NtClose(token);
    for (;;) {
        for (ULONG i = 0; i < sizeof(files) / sizeof(files[0]); i++)
            SvcReadFile(files[i]);
        NtDelayExecution(TRUE, &period);
    }
}

// svchost -s SERVICE [ACCOUNT] for exercise 000's services (main.c).
NTSTATUS SvcRunLsaService(const char *service, const char *account)
{
    HANDLE token;

    if (!NT_SUCCESS(SvcConnectLsa()))
        return STATUS_PORT_CONNECTION_REFUSED;
    if (!strcmp(service, "FileSync")) {
        SvcSyncFiles();
    } else if (!strcmp(service, "Backup")) {
        if (NT_SUCCESS(SvcLogon(account, "", &token)))
            NtClose(token);
    } else if (!strcmp(service, "Update")) {
        SvcLookupPackage("Negotiate");
        SvcReadFile(u"\\??\\R:\\etc\\motd.txt");
    } else {
        return STATUS_INVALID_PARAMETER;
    }
    // A service host stays until the system stops.
    NtWaitForSingleObject(NtCurrentProcess(), FALSE, NULL);
    return STATUS_SUCCESS;
}
