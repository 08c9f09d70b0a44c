// Child processes: this program again, with a role on its command line.
//
//   tfuzz srv K SEED   an LPC server on \fzpK: accepts or refuses, replies
//                      now, later or never, reads request data, and may
//                      stop at any point of a conversation
//   tfuzz cli K SEED   a client of \fzpK: connects, sends requests and
//                      datagrams, maybe registers a termination port
//   tfuzz asrv K SEED  an ALPC server on \fzaK: accepts or refuses, replies
//                      now (in the receive's call), later or never,
//                      releases, disconnects, and may stop at any point
//   tfuzz acli K SEED  an ALPC client of \fzaK: connects, sends synchronous
//                      requests (some with a timeout) and datagrams, cancels
//   tfuzz idle         waits a moment and ends
//
// Every role ends by itself within a few hundred milliseconds; the main
// thread also kills children at random moments (so mid-conversation), and
// at the end ends every process whose parent is this one.

#include "tests/user/tfuzz/fuzz.h"

#define FZ_KNOWN_CHILDREN 64
#define FZ_MAX_STARTED 8
#define FZ_FAMILY_BUFFER (128 * 1024)

volatile ULONG64 FzRecentChildPid;
volatile LONG FzLiveChildren, FzLiveThreads;
volatile ULONG FzChildrenStarted;
static volatile ULONG64 FzChildPids[FZ_KNOWN_CHILDREN];
static volatile ULONG FzChildNext;

typedef struct _FZ_STARTED {
    HANDLE Process;
    HANDLE Pid;
} FZ_STARTED;
static FZ_STARTED FzStarted[FZ_MAX_STARTED];

void FzNoteChild(HANDLE pid);
BOOLEAN FzIsChildPid(HANDLE pid);

void FzNoteChild(HANDLE pid)
{
    __atomic_add_fetch(&FzChildrenStarted, 1, __ATOMIC_RELAXED);
    ULONG at = __atomic_fetch_add(&FzChildNext, 1, __ATOMIC_RELAXED) % FZ_KNOWN_CHILDREN;

    FzChildPids[at] = (ULONG64)pid;
    FzRecentChildPid = (ULONG64)pid;
}

BOOLEAN FzIsChildPid(HANDLE pid)
{
    if (!pid || pid == FzSelfPid)
        return FALSE;
    for (ULONG i = 0; i < FZ_KNOWN_CHILDREN; i++) {
        if (FzChildPids[i] == (ULONG64)pid)
            return TRUE;
    }
    return FALSE;
}

BOOLEAN FzIsWorkerThread(HANDLE tid)
{
    for (ULONG i = 0; i < FZ_MAX_WORKERS; i++) {
        if (FzWorkers[i].ThreadId == tid)
            return TRUE;
    }
    return FALSE;
}

static LONGLONG FzNow(void)
{
    LARGE_INTEGER now;

    NtQuerySystemTime(&now);
    return now.QuadPart;
}

// ---- The roles ----------------------------------------------------------------

typedef struct _FZ_MESSAGE {
    PORT_MESSAGE h;
    UCHAR Data[0x100];
} FZ_MESSAGE;

static void FzPortName(UNICODE_STRING *name, ULONG k)
{
    RtlInitUnicodeString(name, k ? u"\\fzp1" : u"\\fzp0");
}

static int FzServer(ULONG k, ULONG64 seed)
{
    LARGE_INTEGER poll = {.QuadPart = -50000};
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING name;
    FZ_MESSAGE receive, reply;
    HANDLE port, clients[8] = {0};
    PORT_MESSAGE *pendingReply = NULL;
    FZ_RNG rng;
    LONGLONG deadline;

    FzSeed(&rng, seed, 0x5E7);
    deadline = FzNow() + 50000 + (LONGLONG)FzBelow(&rng, 3000000);
    FzPortName(&name, k);
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    if (!NT_SUCCESS(NtCreatePort(&port, &attributes, 0x100, sizeof(FZ_MESSAGE), 0)))
        return 0;
    while (FzNow() < deadline) {
        PVOID context = NULL;
        NTSTATUS status = NtReplyWaitReceivePortEx(port, &context, pendingReply, &receive.h,
                                                   &poll);
        ULONG slot = (ULONG)(ULONG_PTR)context;

        pendingReply = NULL;
        if (FzChance(&rng, 2))
            return 0;           // gone in the middle of whatever was going on
        if (status == STATUS_TIMEOUT || !NT_SUCCESS(status))
            continue;
        switch (receive.h.u2.s2.Type & 0xFF) {
        case LPC_CONNECTION_REQUEST: {
            BOOLEAN accept = FzChance(&rng, 80);
            ULONG free = 0;
            HANDLE client = NULL;

            while (free < 8 && clients[free])
                free++;
            if (free == 8)
                accept = FALSE;
            status = NtAcceptConnectPort(&client, (PVOID)(ULONG_PTR)(free + 1), &receive.h,
                                         accept, NULL, NULL);
            if (NT_SUCCESS(status) && accept) {
                clients[free] = client;
                if (FzChance(&rng, 95))
                    NtCompleteConnectPort(client);
            }
            break;
        }
        case LPC_REQUEST:
            if (FzChance(&rng, 20) && slot && slot <= 8 && clients[slot - 1]) {
                UCHAR data[32];
                SIZE_T read;

                NtReadRequestData(clients[slot - 1], &receive.h, 0, data, sizeof(data), &read);
            }
            if (FzChance(&rng, 75)) {
                reply = receive;
                pendingReply = &reply.h;
            } else if (FzChance(&rng, 50) && slot && slot <= 8 && clients[slot - 1]) {
                reply = receive;
                NtReplyPort(clients[slot - 1], &reply.h);
            }
            break;
        case LPC_PORT_CLOSED:
        case LPC_CLIENT_DIED:
            if (slot && slot <= 8 && clients[slot - 1]) {
                NtClose(clients[slot - 1]);
                clients[slot - 1] = NULL;
            }
            break;
        default:
            break;
        }
    }
    return 0;
}

static int FzClient(ULONG k, ULONG64 seed)
{
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), SecurityImpersonation, 0, FALSE};
    UNICODE_STRING name;
    FZ_MESSAGE request, reply;
    UCHAR info[32] = {1, 2, 3};
    ULONG infoLength = FzBelow(&(FZ_RNG){seed | 1}, 33), maxLength = 0;
    HANDLE port = NULL;
    FZ_RNG rng;
    LONGLONG deadline;

    FzSeed(&rng, seed, 0xC11);
    deadline = FzNow() + 50000 + (LONGLONG)FzBelow(&rng, 3000000);
    FzPortName(&name, k);
    if (!NT_SUCCESS(NtConnectPort(&port, &name, &qos, NULL, NULL, &maxLength, info,
                                  &infoLength)))
        return 0;
    if (FzChance(&rng, 30) && !FZ_AVOID(5))
        NtRegisterThreadTerminatePort(port);
    while (FzNow() < deadline) {
        ULONG length = FzBelow(&rng, 0x40) & ~3u;

        memset(&request, 0, sizeof(PORT_MESSAGE));
        request.h.u1.s1.DataLength = (CSHORT)length;
        request.h.u1.s1.TotalLength = (CSHORT)(sizeof(PORT_MESSAGE) + length);
        if (FzChance(&rng, 65)) {
            if (!NT_SUCCESS(NtRequestWaitReplyPort(port, &request.h, &reply.h)))
                break;
        } else if (!NT_SUCCESS(NtRequestPort(port, &request.h))) {
            break;
        }
        if (FzChance(&rng, 3))
            return 0;
    }
    return 0;
}

static void FzAlpcPortName(UNICODE_STRING *name, ULONG k)
{
    RtlInitUnicodeString(name, k ? u"\\fza1" : u"\\fza0");
}

static int FzAlpcServer(ULONG k, ULONG64 seed)
{
    LARGE_INTEGER poll = {.QuadPart = -50000};
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING name;
    FZ_MESSAGE receive, reply;
    HANDLE port, clients[8] = {0};
    PORT_MESSAGE *pendingReply = NULL;
    struct {
        ALPC_MESSAGE_ATTRIBUTES Header;
        ALPC_CONTEXT_ATTR Context;
    } context;
    FZ_RNG rng;
    LONGLONG deadline;

    FzSeed(&rng, seed, 0xA5E7);
    deadline = FzNow() + 50000 + (LONGLONG)FzBelow(&rng, 3000000);
    FzAlpcPortName(&name, k);
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    if (!NT_SUCCESS(NtAlpcCreatePort(&port, &attributes, NULL)))
        return 0;
    while (FzNow() < deadline) {
        SIZE_T length = FzChance(&rng, 5) ? sizeof(PORT_MESSAGE) + 4 : sizeof(receive);
        NTSTATUS status;
        ULONG slot;

        memset(&context, 0, sizeof(context));
        context.Header.AllocatedAttributes = ALPC_MESSAGE_CONTEXT_ATTRIBUTE;
        status = NtAlpcSendWaitReceivePort(port, 0, pendingReply, NULL, &receive.h, &length,
                                           &context.Header, &poll);
        slot = (ULONG)(ULONG_PTR)context.Context.PortContext;
        pendingReply = NULL;
        if (FzChance(&rng, 2))
            return 0;           // gone in the middle of whatever was going on
        if (status != STATUS_SUCCESS)
            continue;
        switch (receive.h.u2.s2.Type & 0xFF) {
        case LPC_CONNECTION_REQUEST: {
            BOOLEAN accept = FzChance(&rng, 80);
            ULONG free = 0;
            HANDLE client = NULL;

            while (free < 8 && clients[free])
                free++;
            if (free == 8)
                accept = FALSE;
            // Now, or (sometimes) never: the client's timeout or the port's
            // end answers it.
            if (FzChance(&rng, 5))
                break;
            status = NtAlpcAcceptConnectPort(&client, port, 0, NULL, NULL,
                                             (PVOID)(ULONG_PTR)(free + 1), &receive.h, NULL,
                                             accept);
            if (NT_SUCCESS(status) && accept)
                clients[free] = client;
            break;
        }
        case LPC_REQUEST:
            reply = receive;
            if (FzChance(&rng, 70)) {
                pendingReply = &reply.h;
            } else if (FzChance(&rng, 30) && slot && slot <= 8 && clients[slot - 1]) {
                NtAlpcSendWaitReceivePort(clients[slot - 1],
                                          FzChance(&rng, 30) ? ALPC_MSGFLG_RELEASE_MESSAGE : 0,
                                          &reply.h, NULL, NULL, NULL, NULL, NULL);
            } else if (FzChance(&rng, 10) && slot && slot <= 8 && clients[slot - 1]) {
                NtAlpcDisconnectPort(clients[slot - 1], 0);
            }
            break;
        case LPC_PORT_CLOSED:
            if (slot && slot <= 8 && clients[slot - 1]) {
                NtClose(clients[slot - 1]);
                clients[slot - 1] = NULL;
            }
            break;
        default:
            // A datagram; now and then one back to its client.
            if (FzChance(&rng, 20) && slot && slot <= 8 && clients[slot - 1]) {
                memset(&reply.h, 0, sizeof(reply.h));
                reply.h.u1.s1.TotalLength = sizeof(PORT_MESSAGE);
                NtAlpcSendWaitReceivePort(clients[slot - 1], 0, &reply.h, NULL, NULL, NULL, NULL,
                                          NULL);
            }
            break;
        }
    }
    return 0;
}

static int FzAlpcClient(ULONG k, ULONG64 seed)
{
    UNICODE_STRING name;
    FZ_MESSAGE request, reply;
    struct {
        ALPC_MESSAGE_ATTRIBUTES Header;
        ALPC_CONTEXT_ATTR Context;
    } sent;
    LARGE_INTEGER timeout = {.QuadPart = -20000};
    HANDLE port = NULL;
    FZ_RNG rng;
    LONGLONG deadline;
    SIZE_T length;

    FzSeed(&rng, seed, 0xAC11);
    deadline = FzNow() + 50000 + (LONGLONG)FzBelow(&rng, 3000000);
    FzAlpcPortName(&name, k);
    memset(&request, 0, sizeof(PORT_MESSAGE));
    request.h.u1.s1.DataLength = (CSHORT)FzBelow(&rng, 33);
    request.h.u1.s1.TotalLength = (CSHORT)(sizeof(PORT_MESSAGE) + request.h.u1.s1.DataLength);
    length = sizeof(request);
    if (!NT_SUCCESS(NtAlpcConnectPort(&port, &name, NULL, NULL, ALPC_MSGFLG_SYNC_REQUEST, NULL,
                                      &request.h, &length, NULL, NULL,
                                      FzChance(&rng, 20) ? &timeout : NULL)))
        return 0;
    while (FzNow() < deadline) {
        ULONG data = FzBelow(&rng, 0x40) & ~3u;

        memset(&request, 0, sizeof(PORT_MESSAGE));
        request.h.u1.s1.DataLength = (CSHORT)data;
        request.h.u1.s1.TotalLength = (CSHORT)(sizeof(PORT_MESSAGE) + data);
        length = sizeof(reply);
        if (FzChance(&rng, 65)) {
            NTSTATUS status = NtAlpcSendWaitReceivePort(port, ALPC_MSGFLG_SYNC_REQUEST,
                                                        &request.h, NULL, &reply.h, &length,
                                                        NULL, FzChance(&rng, 20) ? &timeout
                                                                                 : NULL);

            if (!NT_SUCCESS(status) || status == STATUS_TIMEOUT)
                break;
        } else {
            memset(&sent, 0, sizeof(sent));
            sent.Header.AllocatedAttributes = ALPC_MESSAGE_CONTEXT_ATTRIBUTE;
            if (!NT_SUCCESS(NtAlpcSendWaitReceivePort(port, 0, &request.h, &sent.Header, NULL,
                                                      NULL, NULL, NULL)))
                break;
            if (FzChance(&rng, 20))
                NtAlpcCancelMessage(port, FzChance(&rng, 50) ? ALPC_CANCELFLG_TRY_CANCEL : 0,
                                    &sent.Context);
        }
        if (FzChance(&rng, 3))
            return 0;
    }
    return 0;
}

static ULONG64 FzParseNumber(const char **at)
{
    ULONG64 value = 0;

    while (**at == ' ')
        (*at)++;
    while (**at >= '0' && **at <= '9')
        value = value * 10 + (ULONG64)(*(*at)++ - '0');
    return value;
}

int FzChildMain(const char *line)
{
    LARGE_INTEGER moment = {.QuadPart = -20000};

    if (!strncmp(line, "tfuzz srv ", 10) || !strncmp(line, "tfuzz cli ", 10)) {
        const char *at = line + 10;
        ULONG k = (ULONG)FzParseNumber(&at) % 2;
        ULONG64 seed = FzParseNumber(&at);

        return line[6] == 's' ? FzServer(k, seed) : FzClient(k, seed);
    }
    if (!strncmp(line, "tfuzz asrv ", 11) || !strncmp(line, "tfuzz acli ", 11)) {
        const char *at = line + 11;
        ULONG k = (ULONG)FzParseNumber(&at) % 2;
        ULONG64 seed = FzParseNumber(&at);

        return line[7] == 's' ? FzAlpcServer(k, seed) : FzAlpcClient(k, seed);
    }
    if (!strcmp(line, "tfuzz idle"))
        NtDelayExecution(FALSE, &moment);
    return 0;       // any other line: nothing to do
}

// ---- Starting and killing ----------------------------------------------------

static void FzStartChild(FZ_RNG *rng)
{
    WCHAR text[48];
    char ascii[48];
    UNICODE_STRING image, line;
    CLIENT_ID cid;
    ULONG slot = FzBelow(rng, FZ_MAX_STARTED);
    HANDLE process;
    NTSTATUS status;

    if (FzStarted[slot].Process)
        return;
    static const char *const Roles[] = {"srv", "cli", "cli", "asrv", "acli", "acli"};

    snprintf(ascii, sizeof(ascii), "tfuzz %s %u %u", Roles[FzBelow(rng, ARRAYSIZE(Roles))],
             FzBelow(rng, 2), (ULONG)FzNext(rng));
    for (ULONG i = 0;; i++) {
        text[i] = (UCHAR)ascii[i];
        if (!ascii[i])
            break;
    }
    RtlInitUnicodeString(&image, u"tfuzz");
    RtlInitUnicodeString(&line, text);
    FzLock();
    status = NtCreateProcessFromArchive(&process, NULL, PROCESS_ALL_ACCESS, THREAD_ALL_ACCESS,
                                        NULL, &image, &line, 0, &cid);
    if (NT_SUCCESS(status)) {
        FzNoteChild(cid.UniqueProcess);
        FzStarted[slot].Process = process;
        FzStarted[slot].Pid = cid.UniqueProcess;
    }
    FzUnlock();
}

// Ends a child we started if the handle still names it (a worker may have
// closed the handle, and the value may name something else now).
static void FzKillStarted(ULONG slot, BOOLEAN kill)
{
    PROCESS_BASIC_INFORMATION information;
    HANDLE process = FzStarted[slot].Process;

    if (!process)
        return;
    FzLock();
    if (NT_SUCCESS(NtQueryInformationProcess(process, ProcessBasicInformation, &information,
                                             sizeof(information), NULL)) &&
        (HANDLE)information.UniqueProcessId == FzStarted[slot].Pid) {
        if (kill)
            NtTerminateProcess(process, 0xF022);
        NtClose(process);
    }
    FzUnlock();
    FzStarted[slot].Process = NULL;
}

void FzChildrenStep(FZ_RNG *rng)
{
    if (FzLiveChildren < FZ_MAX_STARTED && FzChance(rng, 25))
        FzStartChild(rng);
    if (FzChance(rng, 15)) {
        ULONG slot = FzBelow(rng, FZ_MAX_STARTED);
        LARGE_INTEGER zero = {.QuadPart = 0};

        // Killed mid-conversation, or let go if it already ended.
        if (FzStarted[slot].Process &&
            NtWaitForSingleObject(FzStarted[slot].Process, FALSE, &zero) == STATUS_WAIT_0)
            FzKillStarted(slot, FALSE);
        else if (!FZ_AVOID(6))
            FzKillStarted(slot, TRUE);
    }
}

// ---- The family, as the system lists it ----------------------------------------

static UCHAR FzFamilyBuffer[FZ_FAMILY_BUFFER] __attribute__((aligned(8)));

typedef void (*FZ_VISIT)(BOOLEAN isChild, HANDLE pid, HANDLE tid, void *context);

// Calls visit for each child process (tid NULL) and each live thread of
// this process but the caller.
static BOOLEAN FzVisitFamily(FZ_VISIT visit, void *context)
{
    SYSTEM_PROCESS_INFORMATION *entry = (SYSTEM_PROCESS_INFORMATION *)FzFamilyBuffer;
    HANDLE self = NtCurrentTeb()->ClientId.UniqueThread;

    if (!NT_SUCCESS(NtQuerySystemInformation(SystemProcessInformation, FzFamilyBuffer,
                                             sizeof(FzFamilyBuffer), NULL)))
        return FALSE;
    for (;;) {
        BOOLEAN live = FALSE;

        for (ULONG i = 0; i < entry->NumberOfThreads; i++)
            live |= entry->Threads[i].ThreadState != 4;     // Terminated
        if (entry->InheritedFromUniqueProcessId == FzSelfPid && live &&
            entry->UniqueProcessId != FzSelfPid)
            visit(TRUE, entry->UniqueProcessId, NULL, context);
        if (entry->UniqueProcessId == FzSelfPid) {
            for (ULONG i = 0; i < entry->NumberOfThreads; i++) {
                HANDLE tid = entry->Threads[i].ClientId.UniqueThread;

                if (tid != self && entry->Threads[i].ThreadState != 4)
                    visit(FALSE, FzSelfPid, tid, context);
            }
        }
        if (!entry->NextEntryOffset)
            return TRUE;
        entry = (SYSTEM_PROCESS_INFORMATION *)((UCHAR *)entry + entry->NextEntryOffset);
    }
}

typedef struct _FZ_FAMILY_COUNT {
    ULONG Children;
    ULONG Threads;
} FZ_FAMILY_COUNT;

static void FzCountVisit(BOOLEAN isChild, HANDLE pid, HANDLE tid, void *context)
{
    FZ_FAMILY_COUNT *count = context;

    if (isChild) {
        count->Children++;
        if (!FzIsChildPid(pid))
            FzNoteChild(pid);
    } else if (!FzIsWorkerThread(tid)) {
        count->Threads++;
    }
}

void FzCountFamily(ULONG *children, ULONG *threads)
{
    FZ_FAMILY_COUNT count = {0, 0};

    FzVisitFamily(FzCountVisit, &count);
    FzLiveChildren = (LONG)count.Children;
    FzLiveThreads = (LONG)count.Threads;
    *children = count.Children;
    *threads = count.Threads;
}

// Waits for a process or thread to end: 2 s of guest time, in twenty
// waits of 100 ms. Under TCG the guest clock follows the host's, and a
// host that does not run this QEMU for a while moves it on at once: one
// long wait could time out before the thread had a chance to run, while a
// stall costs this loop one step. The handle is opened for each step: a
// worker's NtClose of a random value may close it under us, or its value
// may come to name another object, whose wait would only time out.
BOOLEAN FzWaitEnded(BOOLEAN isProcess, HANDLE pid, HANDLE tid)
{
    LARGE_INTEGER step = {.QuadPart = -1000000};
    OBJECT_ATTRIBUTES attributes;
    CLIENT_ID cid = {pid, tid};
    int steps = 0;

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    for (int tries = 0; tries < 8 && steps < 20;) {
        HANDLE handle;
        NTSTATUS status = isProcess
                              ? NtOpenProcess(&handle, SYNCHRONIZE, &attributes, &cid)
                              : NtOpenThread(&handle, SYNCHRONIZE, &attributes, &cid);

        if (!NT_SUCCESS(status))
            return TRUE;        // no such id any more: gone
        status = NtWaitForSingleObject(handle, FALSE, &step);
        NtClose(handle);
        if (status == STATUS_WAIT_0)
            return TRUE;
        if (status == STATUS_TIMEOUT)
            steps++;
        else
            tries++;            // closed under us: again
    }
    return steps < 20;
}

typedef struct _FZ_ENDING {
    BOOLEAN ThreadsToo;
    BOOLEAN LastRound;          // only then is one left a finding
    ULONG Left;
} FZ_ENDING;

static void FzEndVisit(BOOLEAN isChild, HANDLE pid, HANDLE tid, void *context)
{
    FZ_ENDING *ending = context;
    OBJECT_ATTRIBUTES attributes;
    CLIENT_ID cid = {pid, tid};
    HANDLE handle;
    NTSTATUS status;

    if (!isChild && !ending->ThreadsToo)
        return;
    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    FzLock();
    status = isChild ? NtOpenProcess(&handle, PROCESS_TERMINATE | SYNCHRONIZE, &attributes, &cid)
                     : NtOpenThread(&handle, THREAD_TERMINATE | SYNCHRONIZE, &attributes, &cid);
    if (NT_SUCCESS(status)) {
        // The handle may have been closed under us (a worker's NtClose of a
        // random value): a terminate that failed is made again next round.
        NTSTATUS terminated = isChild ? NtTerminateProcess(handle, 0xF0E4D)
                                      : NtTerminateThread(handle, 0xF0E4D);

        NtClose(handle);
        if (!NT_SUCCESS(terminated) && terminated != STATUS_PROCESS_IS_TERMINATING &&
            terminated != STATUS_THREAD_IS_TERMINATING) {
            FzUnlock();
            ending->Left++;
            if (ending->LastRound)
                printf("FUZZ FINDING: %s %llx could not be terminated: %08x\n",
                       isChild ? "process" : "thread",
                       (unsigned long long)(isChild ? pid : tid), (unsigned)terminated);
            return;
        }
    }
    FzUnlock();
    if (!NT_SUCCESS(status))
        return;
    if (FzWaitEnded(isChild, pid, tid))
        return;
    // The id may have named another of ours by then: told again next round.
    ending->Left++;
    if (ending->LastRound)
        printf("FUZZ FINDING: %s %llx did not end within 2 s of being terminated\n",
               isChild ? "process" : "thread", (unsigned long long)(isChild ? pid : tid));
}

ULONG FzEndEverything(BOOLEAN threadsToo)
{
    FZ_ENDING ending = {threadsToo, FALSE, 0};

    for (ULONG i = 0; i < FZ_MAX_STARTED; i++)
        FzKillStarted(i, TRUE);
    for (int round = 0; round < 4; round++) {
        ending.LastRound = round == 3;
        ending.Left = 0;
        FzVisitFamily(FzEndVisit, &ending);
        if (!ending.Left)
            break;
    }
    return ending.Left;
}
