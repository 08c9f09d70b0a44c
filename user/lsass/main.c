// lsass.exe: Sleuth's Local Security Authority server, shaped like the one
// in the first case study. It owns \LsaAuthenticationPort. One dispatcher
// thread receives everything on the port (NtReplyWaitReceivePort): it
// accepts connections, notes clients that go away, and hands each request
// to a pool of worker threads through a queue; a worker does the work and
// replies (NtReplyPort) to the client, which waits in WrLpcReply meanwhile.
// When every worker is busy, requests wait in the queue and their clients
// keep waiting: the picture of the case study's stuck LSASS.
//
// The requests: LsaApiLogonUser (a user name and password checked against a
// small table; the answer is a logon id and the user's token; a domain
// account waits for a domain controller, which Sleuth never has), LsaApiLookupPackage (a package
// name to a number), LsaApiCallPackage (echoed back by the package) and,
// from the kernel's security driver, LsaApiEfsDecryptFek (efs.c).

#include "user/include/runtime.h"
#include "user/lsass/lsass.h"

#define LSA_WORKER_COUNT 6
#define LSA_QUEUE_DEPTH  64

typedef struct _LSA_WORK_ITEM {
    LSA_API_MESSAGE Message;
} LSA_WORK_ITEM;

// The dispatcher puts requests here; workers take them. The semaphore
// counts queued items, the critical section guards the ring.
static LSA_WORK_ITEM LsapQueue[LSA_QUEUE_DEPTH];
static ULONG LsapQueueHead, LsapQueueCount;
static RTL_CRITICAL_SECTION LsapQueueLock;
static HANDLE LsapQueueSemaphore;
static HANDLE LsapPort;
static LONG LsapNextLogonId = 1000;

static const char *const LsapPackages[] = {"MICROSOFT_AUTHENTICATION_PACKAGE_V1_0", "Kerberos",
                                           "Negotiate"};

// The local users: name, password and the RID of their SID
// (S-1-5-21-1-2-3-RID, kernel/se's SeStudentSid for the student).
static const struct {
    const char *User;
    const char *Password;
    ULONG Rid;
} LsapUsers[] = {
    {"student", "sleuth", 1000},
    {"lecturer", "windbg", 1001},
};

// Set when a domain controller answers the locator; Sleuth is in no
// domain, so a domain logon waits for good (its client with it).
static HANDLE LsapDomainControllerFound;

static void LsapUserSid(ULONG rid, ULONG sid[7])
{
    static const ULONG prefix[6] = {0x00000501, 0x05000000, 21, 1, 2, 3};

    memcpy(sid, prefix, sizeof(prefix));
    sid[6] = rid;
}

const char *LsapUserNameOfSid(const SID *sid)
{
    for (ULONG i = 0; i < sizeof(LsapUsers) / sizeof(LsapUsers[0]); i++) {
        ULONG known[7];

        LsapUserSid(LsapUsers[i].Rid, known);
        if (RtlEqualSid((const SID *)known, sid))
            return LsapUsers[i].User;
    }
    return NULL;
}

// A logon: a domain account (DOMAIN\user) needs the domain's controller;
// a local one is checked against the table, and its client gets the
// user's token (an impersonation token, a handle in its process).
static void LsapLogonUser(LSA_API_MESSAGE *message)
{
    message->Status = STATUS_LOGON_FAILURE;
    message->LogonUser.Token = 0;
    message->LogonUser.UserName[sizeof(message->LogonUser.UserName) - 1] = '\0';
    message->LogonUser.Password[sizeof(message->LogonUser.Password) - 1] = '\0';
    if (strchr(message->LogonUser.UserName, '\\')) {
        NtWaitForSingleObject(LsapDomainControllerFound, FALSE, NULL);
        message->Status = STATUS_NO_LOGON_SERVERS;
        return;
    }
    for (ULONG i = 0; i < sizeof(LsapUsers) / sizeof(LsapUsers[0]); i++) {
        ULONG sid[7];
        HANDLE token;

        if (strcmp(message->LogonUser.UserName, LsapUsers[i].User) ||
            strcmp(message->LogonUser.Password, LsapUsers[i].Password))
            continue;
        LsapUserSid(LsapUsers[i].Rid, sid);
        message->Status = LsapCreateUserToken((const SID *)sid, TokenImpersonation, &token);
        if (!NT_SUCCESS(message->Status))
            return;
        message->Status = LsapGiveToken(&message->h.ClientId, token, &message->LogonUser.Token);
        NtClose(token);
        if (NT_SUCCESS(message->Status))
            message->LogonUser.LogonId = (ULONG)__atomic_add_fetch(&LsapNextLogonId, 1,
                                                                   __ATOMIC_RELAXED);
    }
}

static void LsapLookupPackage(LSA_API_MESSAGE *message)
{
    message->Status = STATUS_NO_SUCH_PACKAGE;
    for (ULONG i = 0; i < sizeof(LsapPackages) / sizeof(LsapPackages[0]); i++) {
        if (!strcmp(message->LookupPackage.PackageName, LsapPackages[i])) {
            message->LookupPackage.PackageId = i;
            message->Status = STATUS_SUCCESS;
        }
    }
}

static void LsapDoWork(LSA_API_MESSAGE *message)
{
    switch (message->ApiNumber) {
    case LsaApiLogonUser:
        LsapLogonUser(message);
        break;
    case LsaApiLookupPackage:
        LsapLookupPackage(message);
        break;
    case LsaApiCallPackage:
        // The package answers with what it was given.
        message->Status = STATUS_SUCCESS;
        break;
    case LsaApiEfsDecryptFek:
        LsapEfsDecryptFek(message);
        break;
    default:
        message->Status = STATUS_INVALID_SYSTEM_SERVICE;
        break;
    }
}

static NTSTATUS NTAPI LsapWorkerThread(PVOID parameter)
{
    for (;;) {
        LSA_API_MESSAGE message;

        if (!NT_SUCCESS(NtWaitForSingleObject(LsapQueueSemaphore, FALSE, NULL)))
            return STATUS_UNSUCCESSFUL;
        RtlEnterCriticalSection(&LsapQueueLock);
        message = LsapQueue[LsapQueueHead].Message;
        LsapQueueHead = (LsapQueueHead + 1) % LSA_QUEUE_DEPTH;
        LsapQueueCount--;
        RtlLeaveCriticalSection(&LsapQueueLock);
        LsapDoWork(&message);
        // The reply goes through the connection port: the kernel finds the
        // client thread by the message's ClientId and MessageId.
        NtReplyPort(LsapPort, &message.h);
    }
}

// FALSE when the queue is full: the request is answered at once with an error.
static BOOLEAN LsapQueueRequest(const LSA_API_MESSAGE *message)
{
    BOOLEAN queued = FALSE;

    RtlEnterCriticalSection(&LsapQueueLock);
    if (LsapQueueCount < LSA_QUEUE_DEPTH) {
        LsapQueue[(LsapQueueHead + LsapQueueCount) % LSA_QUEUE_DEPTH].Message = *message;
        LsapQueueCount++;
        queued = TRUE;
    }
    RtlLeaveCriticalSection(&LsapQueueLock);
    if (queued)
        NtReleaseSemaphore(LsapQueueSemaphore, 1, NULL);
    return queued;
}

static void LsapDispatch(void)
{
    LSA_API_MESSAGE message;
    PVOID context;

    for (;;) {
        NTSTATUS status = NtReplyWaitReceivePort(LsapPort, &context, NULL, &message.h);

        // Woken to an empty queue: a dying client took its request back.
        if (status == STATUS_UNSUCCESSFUL)
            continue;
        if (!NT_SUCCESS(status)) {
            printf("lsass: NtReplyWaitReceivePort failed: %08x\n", (ULONG)status);
            return;
        }
        switch (message.h.u2.s2.Type & 0xFF) {
        case LPC_CONNECTION_REQUEST:
            (void)LpcServerAcceptClient(&message.h);
            break;
        case LPC_REQUEST:
            if (!LsapQueueRequest(&message)) {
                message.Status = STATUS_INSUFFICIENT_RESOURCES;
                NtReplyPort(LsapPort, &message.h);
            }
            break;
        case LPC_PORT_CLOSED:
            // The client is gone: its communication port handle goes too.
            // (LPC_CLIENT_DIED, a client thread's end, comes before the
            // port closes, with the same context: nothing to do then.)
            LpcServerClientGone(context);
            break;
        default:
            break;
        }
    }
}

int main(void)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    SERVER_PORT_SECURITY security;
    NTSTATUS status;

    RtlInitializeCriticalSection(&LsapQueueLock);
    LsapInitializeTokens();
    status = NtCreateEvent(&LsapDomainControllerFound, EVENT_ALL_ACCESS, NULL,
                           NotificationEvent, FALSE);
    if (!NT_SUCCESS(status))
        return status;
    status = NtCreateSemaphore(&LsapQueueSemaphore, SEMAPHORE_ALL_ACCESS, NULL, 0,
                               LSA_QUEUE_DEPTH);
    if (!NT_SUCCESS(status))
        return status;
    // Every program may ask the LSA to log it on, as NT's: Everyone may
    // connect, SYSTEM and the Administrators hold every right.
    status = RtlCreateServerPortSecurity(&security, TRUE);
    if (!NT_SUCCESS(status))
        return status;
    RtlInitUnicodeString(&name, LSA_PORT_NAME);
    InitializeObjectAttributes(&attributes, &name, 0, NULL, &security.Descriptor);
    status = NtCreatePort(&LsapPort, &attributes, sizeof(LSA_CONNECT_INFO),
                          sizeof(LSA_API_MESSAGE), 0);
    if (!NT_SUCCESS(status)) {
        printf("lsass: cannot create the port: %08x\n", (ULONG)status);
        return status;
    }
    for (ULONG i = 0; i < LSA_WORKER_COUNT; i++) {
        HANDLE worker;

        status = NtCreateThreadEx(&worker, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                                  (PVOID)LsapWorkerThread, NULL, 0, 0, 0, 0, NULL);
        if (!NT_SUCCESS(status))
            return status;
        NtClose(worker);
    }
    LsapDispatch();
    return STATUS_UNSUCCESSFUL;
}
