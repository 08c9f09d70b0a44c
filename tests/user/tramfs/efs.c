// The encrypted file (user/rootfs/home/student/secret.txt, encrypted for
// the student): its open asks KSecDD for the key, KSecDD asks lsass over
// LPC on behalf of the opening thread, and lsass gives it only to the
// file's user, and only when the kernel asks. lsass runs as a child of this
// program (the self-test boots start none), from the second test on.

#include "tests/user/tramfs/tramfs.h"
#include "tests/user/ustudent.h"
#include "user/lsass/lsaapi.h"

#define TR_SECRET_PATH u"\\??\\R:\\home\\student\\secret.txt"

static HANDLE TrLsass;

// Starts lsass.exe and waits until its port takes connections; the port
// connected (for the tests that talk to lsass themselves) or NULL.
static HANDLE TrStartLsass(void)
{
    UNICODE_STRING image = UT_NAME(u"lsass.exe"), port = UT_NAME(LSA_PORT_NAME);
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), SecurityImpersonation,
                                       SECURITY_DYNAMIC_TRACKING, FALSE};
    LSA_CONNECT_INFO info = {"tramfs"};
    ULONG infoLength = sizeof(info);
    HANDLE thread, connection = NULL;

    if (!TrLsass) {
        if (!NT_SUCCESS(NtCreateProcessFromArchive(&TrLsass, &thread, PROCESS_ALL_ACCESS,
                                                   THREAD_ALL_ACCESS, NULL, &image, NULL, 0,
                                                   NULL)))
            return NULL;
        NtClose(thread);
    }
    for (int i = 0; i < 500; i++) {
        LARGE_INTEGER delay = UtMilliseconds(10);

        if (NT_SUCCESS(NtConnectPort(&connection, &port, &qos, NULL, NULL, NULL, &info,
                                     &infoLength)))
            return connection;
        NtDelayExecution(FALSE, &delay);
    }
    return NULL;
}

void TrStopLsass(void)
{
    if (!TrLsass)
        return;
    NtTerminateProcess(TrLsass, STATUS_SUCCESS);
    NtWaitForSingleObject(TrLsass, FALSE, NULL);
    NtClose(TrLsass);
    TrLsass = NULL;
}

// Makes this thread impersonate the student (NULL: stop).
static NTSTATUS TrImpersonateStudent(BOOLEAN start)
{
    STUDENT_ARGUMENTS a;
    HANDLE token = NULL;
    NTSTATUS status;

    if (!start)
        return NtSetInformationThread(NtCurrentThread(), ThreadImpersonationToken, &token,
                                      sizeof(token));
    StudentArguments(&a);
    a.Type = TokenImpersonation;
    a.Attributes.SecurityQualityOfService = &a.Qos;
    status = StudentCreateToken(&a, &token);
    if (!NT_SUCCESS(status))
        return status;
    status = NtSetInformationThread(NtCurrentThread(), ThreadImpersonationToken, &token,
                                    sizeof(token));
    NtClose(token);
    return status;
}

// The child "tramfs keywait": opens the secret as the student; its exit
// status is the open's.
int TrKeyWaitChild(void)
{
    HANDLE file = NULL;
    NTSTATUS status = TrImpersonateStudent(TRUE);

    if (NT_SUCCESS(status))
        status = TrOpen(TR_SECRET_PATH, FILE_READ_DATA, FILE_OPEN, 0, &file);
    if (file)
        NtClose(file);
    return status;
}

// The server communication ports of the connections accepted by
// TrReceiveRequest (KSecDD's, made from kernel mode by its first request).
static HANDLE TrConnections[8];
static ULONG TrConnectionCount;

// The next request on the LSA's port, accepting connections meanwhile, as
// lsass's dispatcher does: KSecDD connects once and sends on its own
// connection (a connection left from an earlier server, gone, makes it
// connect again).
static NTSTATUS TrReceiveRequest(HANDLE port, LSA_API_MESSAGE *request)
{
    PVOID context;
    NTSTATUS status;

    for (;;) {
        HANDLE connection;

        status = NtReplyWaitReceivePort(port, &context, NULL, &request->h);
        if (!NT_SUCCESS(status) || (request->h.u2.s2.Type & 0xFF) != LPC_CONNECTION_REQUEST)
            return status;
        status = NtAcceptConnectPort(&connection, NULL, &request->h, TRUE, NULL, NULL);
        if (NT_SUCCESS(status))
            status = NtCompleteConnectPort(connection);
        if (!NT_SUCCESS(status))
            return status;
        if (TrConnectionCount < sizeof(TrConnections) / sizeof(TrConnections[0]))
            TrConnections[TrConnectionCount++] = connection;
    }
}

static void TrCloseConnections(void)
{
    while (TrConnectionCount)
        NtClose(TrConnections[--TrConnectionCount]);
}

// The child "tramfs standin" (tests/kernel/test_ramfs.c): an LSA that
// accepts connections and takes requests on \LsaAuthenticationPort and
// never answers, until killed.
int TrLsaStandIn(void)
{
    UNICODE_STRING name = UT_NAME(LSA_PORT_NAME);
    OBJECT_ATTRIBUTES attributes;
    LSA_API_MESSAGE request;
    HANDLE port;
    NTSTATUS status;

    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    status = NtCreatePort(&port, &attributes, sizeof(LSA_CONNECT_INFO), sizeof(LSA_API_MESSAGE),
                          0);
    while (NT_SUCCESS(status))
        status = TrReceiveRequest(port, &request);
    return status;
}

static NTSTATUS TrStartKeyWaitChild(HANDLE *process)
{
    UNICODE_STRING image = UT_NAME(u"tramfs.exe"), line = UT_NAME(u"tramfs keywait");
    HANDLE thread;
    NTSTATUS status = NtCreateProcessFromArchive(process, &thread, PROCESS_ALL_ACCESS,
                                                 THREAD_ALL_ACCESS, NULL, &image, &line, 0,
                                                 NULL);

    if (NT_SUCCESS(status))
        NtClose(thread);
    return status;
}

static NTSTATUS TrExitStatus(HANDLE process)
{
    PROCESS_BASIC_INFORMATION basic;
    LARGE_INTEGER limit = UtMilliseconds(10000);

    if (NtWaitForSingleObject(process, FALSE, &limit) != STATUS_WAIT_0)
        return STATUS_TIMEOUT;
    if (!NT_SUCCESS(NtQueryInformationProcess(process, ProcessBasicInformation, &basic,
                                              sizeof(basic), NULL)))
        return STATUS_UNSUCCESSFUL;
    return basic.ExitStatus;
}

// This program stands in for lsass on \LsaAuthenticationPort: the open of
// the encrypted file waits, in the opening thread, for an answer to a
// request that says who opens it (the student, through the impersonation
// token) and comes from the kernel; the answer's status is the open's. A
// second open's thread, killed while it waits, ends once the port goes.
void EncryptedOpenWaitsForLsassOnBehalfOfTheOpener(void)
{
    static const UCHAR student[] = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0,
                                    2, 0, 0, 0, 3, 0, 0, 0, 0xE8, 3, 0, 0};
    UNICODE_STRING name = UT_NAME(LSA_PORT_NAME);
    OBJECT_ATTRIBUTES attributes;
    LSA_API_MESSAGE request;
    HANDLE port, child;

    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtCreatePort(&port, &attributes, sizeof(LSA_CONNECT_INFO),
                                  sizeof(LSA_API_MESSAGE), 0),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrStartKeyWaitChild(&child), STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrReceiveRequest(port, &request), STATUS_SUCCESS);
    UT_EXPECT_EQ((USHORT)request.h.u2.s2.Type, LPC_KERNELMODE_MESSAGE | LPC_REQUEST);
    UT_EXPECT_EQ(request.ApiNumber, LsaApiEfsDecryptFek);
    UT_EXPECT(!memcmp(request.EfsDecryptFek.CallerSid, student, sizeof(student)));
    UT_EXPECT(!memcmp(request.EfsDecryptFek.UserSid, student, sizeof(student)));
    request.Status = STATUS_LOGON_FAILURE;
    UT_EXPECT_STATUS(NtReplyPort(port, &request.h), STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrExitStatus(child), STATUS_LOGON_FAILURE);
    NtClose(child);
    // Killed while it waits: it goes once the port does, and leaves nothing.
    UT_EXPECT_STATUS(TrStartKeyWaitChild(&child), STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrReceiveRequest(port, &request), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtTerminateProcess(child, STATUS_CANCELLED), STATUS_SUCCESS);
    NtClose(port);
    TrCloseConnections();
    UT_EXPECT(TrExitStatus(child) != STATUS_TIMEOUT);
    NtClose(child);
}

// No lsass, no key: the open fails, and nothing is left open.
void EncryptedFileNeedsLsass(void)
{
    HANDLE file;

    UT_EXPECT_STATUS(TrOpen(TR_SECRET_PATH, FILE_READ_DATA, FILE_OPEN, 0, &file),
                     STATUS_OBJECT_NAME_NOT_FOUND);
    UT_EXPECT(file == NULL);
}

void EncryptedFileOpensForItsUserOnly(void)
{
    char buffer[96] = {0};
    FILE_BASIC_INFORMATION basic;
    IO_STATUS_BLOCK io;
    HANDLE connection = TrStartLsass(), file;

    UT_EXPECT(connection != NULL);
    if (connection)
        NtClose(connection);
    // SYSTEM is not the file's user: lsass keeps the key.
    UT_EXPECT_STATUS(TrOpen(TR_SECRET_PATH, FILE_READ_DATA, FILE_OPEN, 0, &file),
                     STATUS_ACCESS_DENIED);
    // Its attributes need no key.
    UT_EXPECT_STATUS(TrOpen(TR_SECRET_PATH, FILE_READ_ATTRIBUTES, FILE_OPEN, 0, &file),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryInformationFile(file, &io, &basic, sizeof(basic),
                                            FileBasicInformation),
                     STATUS_SUCCESS);
    UT_EXPECT(basic.FileAttributes & FILE_ATTRIBUTE_ENCRYPTED);
    NtClose(file);
    // The student, through this thread's impersonation token: the key comes
    // back and the file reads as it was written.
    UT_EXPECT_STATUS(TrImpersonateStudent(TRUE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrOpen(TR_SECRET_PATH, FILE_READ_DATA, FILE_OPEN, 0, &file),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrImpersonateStudent(FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrRead(file, 0, buffer, sizeof(buffer) - 1, &io), STATUS_SUCCESS);
    UT_EXPECT_EQ(io.Information, strlen(TR_SECRET));
    UT_EXPECT(!strcmp(buffer, TR_SECRET));
    // A piece from the middle deciphers on its own.
    memset(buffer, 0, sizeof(buffer));
    UT_EXPECT_STATUS(TrRead(file, 4, buffer, 7, &io), STATUS_SUCCESS);
    UT_EXPECT(!strcmp(buffer, "student"));
    NtClose(file);
}

// What growing an encrypted file adds reads as zeros, through its key.
void EncryptedFileGrowsWithZeros(void)
{
    FILE_END_OF_FILE_INFORMATION end;
    ULONG size = (ULONG)strlen(TR_SECRET);
    char buffer[24];
    IO_STATUS_BLOCK io;
    HANDLE file = NULL;

    UT_EXPECT_STATUS(TrImpersonateStudent(TRUE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrOpen(TR_SECRET_PATH, FILE_READ_DATA | FILE_WRITE_DATA, FILE_OPEN, 0,
                            &file),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrImpersonateStudent(FALSE), STATUS_SUCCESS);
    end.EndOfFile.QuadPart = size + 8;
    UT_EXPECT_STATUS(NtSetInformationFile(file, &io, &end, sizeof(end), FileEndOfFileInformation),
                     STATUS_SUCCESS);
    // A write past the new end leaves a gap of eight more.
    UT_EXPECT_STATUS(TrWrite(file, size + 16, "tail", 4, &io), STATUS_SUCCESS);
    memset(buffer, 0x55, sizeof(buffer));
    UT_EXPECT_STATUS(TrRead(file, size, buffer, sizeof(buffer), &io), STATUS_SUCCESS);
    UT_EXPECT_EQ(io.Information, 20);
    for (int i = 0; i < 16; i++)
        UT_EXPECT_EQ(buffer[i], 0);
    UT_EXPECT(!memcmp(buffer + 16, "tail", 4));
    // Back as it was, for the tests after.
    end.EndOfFile.QuadPart = size;
    UT_EXPECT_STATUS(NtSetInformationFile(file, &io, &end, sizeof(end), FileEndOfFileInformation),
                     STATUS_SUCCESS);
    NtClose(file);
}

// A program asking lsass for a key directly is refused: it cannot vouch
// for who opens the file, only the kernel can.
void LsassGivesKeysToTheKernelOnly(void)
{
    HANDLE connection = TrStartLsass();
    LSA_API_MESSAGE request, reply;
    static const UCHAR student[] = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0,
                                    2, 0, 0, 0, 3, 0, 0, 0, 0xE8, 3, 0, 0};

    UT_EXPECT(connection != NULL);
    if (!connection)
        return;
    LsaInitializeMessage(&request, LsaApiEfsDecryptFek);
    memcpy(request.EfsDecryptFek.UserSid, student, sizeof(student));
    memcpy(request.EfsDecryptFek.CallerSid, student, sizeof(student));
    // The kernel's mark, set by a program: the kernel takes it off.
    request.h.u2.s2.Type = LPC_KERNELMODE_MESSAGE;
    UT_EXPECT_STATUS(NtRequestWaitReplyPort(connection, &request.h, &reply.h), STATUS_SUCCESS);
    UT_EXPECT_STATUS(reply.Status, STATUS_ACCESS_DENIED);
    UT_EXPECT(!reply.EfsDecryptFek.Fek[0] && !reply.EfsDecryptFek.Fek[15]);
    NtClose(connection);
}

// KSecDD answers internal device controls, which only the kernel sends.
void KsecddRefusesAProgramsDeviceControl(void)
{
    UCHAR input[84] = {0}, output[16];
    IO_STATUS_BLOCK io;
    HANDLE device;

    UT_EXPECT_STATUS(TrOpen(u"\\Device\\KsecDD", FILE_READ_DATA, FILE_OPEN, 0, &device),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtDeviceIoControlFile(device, NULL, NULL, NULL, &io,
                                           CTL_CODE(FILE_DEVICE_KSEC, 0x801, METHOD_BUFFERED,
                                                    FILE_ANY_ACCESS),
                                           input, sizeof(input), output, sizeof(output)),
                     STATUS_INVALID_DEVICE_REQUEST);
    NtClose(device);
}
