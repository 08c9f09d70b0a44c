// LPC under fire: server and client processes talking to each other while
// they, and their threads, are killed at random points of every
// conversation. Seeded: "tlpcstress [SEED [ROUNDS]]" (the seed is printed;
// the same seed makes the same choices, though the interleavings differ
// from run to run). Each round starts STRESS_SERVERS server processes and
// STRESS_CLIENTS client processes and kills one of them STRESS_KILLS times
// (a new one takes its place), then kills them all. In every process a
// supervisor thread also kills its own workers at random and starts new
// ones.
//
// Servers accept, refuse, ignore and half-accept (never complete)
// connections, reply now, later or never, call back, read and write
// request data, ask their clients, and now and then close their connection
// port and make it again, with clients in every step of the handshake.
// Clients connect (with a view, sometimes), send requests and datagrams,
// answer callbacks and their server's requests, register termination
// ports, and close or keep their ports.
//
// At the end every child is gone and the Port objects, the processes and
// this process's threads are back to their counts (a user program's own
// leak check; the in-kernel runner then checks every pool tag, LpcM and
// Port included). A finding is a bugcheck, a child that cannot be killed,
// a hang, or a count not back.
//
// Children: "tlpcstress s SEED INDEX" (server INDEX) and "tlpcstress c SEED
// INDEX" (a client).

#include "tests/user/ulpc.h"

#define STRESS_SERVERS        2
#define STRESS_CLIENTS        3
#define STRESS_KILLS          4       // processes killed (and replaced) per round
#define STRESS_DEFAULT_SEED   0x1badc0ffeeULL
#define STRESS_DEFAULT_ROUNDS 3
#define STRESS_WORKERS        3       // worker threads per child
#define STRESS_SLOTS          8       // server ports a server thread keeps
#define STRESS_PORT_FORMAT    "\\RPC Control\\TlpcStress%u"

// ---- Random numbers: splitmix64, one state per thread ------------------------------------

typedef struct _STRESS_RANDOM {
    ULONGLONG State;
} STRESS_RANDOM;

static ULONG StressNext(STRESS_RANDOM *random)
{
    ULONGLONG z = (random->State += 0x9E3779B97F4A7C15ULL);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return (ULONG)((z ^ (z >> 31)) >> 16);
}

static ULONG StressBelow(STRESS_RANDOM *random, ULONG bound)
{
    return StressNext(random) % bound;
}

static void StressSeed(STRESS_RANDOM *random, ULONGLONG seed, ULONG stream)
{
    random->State = seed ^ ((ULONGLONG)stream * 0xD1B54A32D192ED03ULL);
    StressNext(random);
}

static void StressSleep(ULONG ms)
{
    LARGE_INTEGER interval = UtMilliseconds(ms);

    NtDelayExecution(FALSE, &interval);
}

// What every process did, counted in a section they all map (the parent
// prints it: a run that did nothing proves nothing).
#define STRESS_STATS_NAME u"\\BaseNamedObjects\\TlpcStressStats"

typedef enum _STRESS_COUNTER {
    StressConnects, StressConnected, StressAccepted, StressRequests, StressReplies,
    StressCallbacks, StressDatagrams, StressServerRequests, StressClientReplies,
    StressPortsRemade, StressThreadsKilled, StressProcessesKilled, StressCounters
} STRESS_COUNTER;

static const char *const StressCounterNames[StressCounters] = {
    "connects", "connected", "accepted", "requests", "replied", "callbacks", "datagrams",
    "server requests", "client replies", "ports remade", "threads killed", "processes killed",
};

static volatile LONG *StressStats;

static void StressCount(STRESS_COUNTER counter)
{
    if (StressStats)
        __atomic_add_fetch(&StressStats[counter], 1, __ATOMIC_RELAXED);
}

static HANDLE StressMapStats(BOOLEAN create)
{
    UNICODE_STRING name = UT_NAME(STRESS_STATS_NAME);
    OBJECT_ATTRIBUTES attributes;
    LARGE_INTEGER size = {.QuadPart = 4096};
    SIZE_T viewSize = 0;
    PVOID base = NULL;
    HANDLE section;
    NTSTATUS status;

    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    status = create ? NtCreateSection(&section, SECTION_ALL_ACCESS, &attributes, &size,
                                      PAGE_READWRITE, SEC_COMMIT, NULL)
                    : NtOpenSection(&section, SECTION_MAP_READ | SECTION_MAP_WRITE, &attributes);
    if (!NT_SUCCESS(status))
        return NULL;
    if (!NT_SUCCESS(NtMapViewOfSection(section, NtCurrentProcess(), &base, 0, 0, NULL,
                                       &viewSize, ViewUnmap, 0, PAGE_READWRITE))) {
        NtClose(section);
        return NULL;
    }
    StressStats = base;
    return section;
}

static ULONGLONG StressSeedValue;
static ULONG StressIndex;             // this child's index
static volatile LONG StressStreams;   // a new random stream for each worker thread

static void StressWorkerRandom(STRESS_RANDOM *random)
{
    StressSeed(random, StressSeedValue + StressIndex * 0x10001ULL,
               (ULONG)__atomic_add_fetch(&StressStreams, 1, __ATOMIC_RELAXED));
}

static void StressPortName(WCHAR *name, ULONG size, ULONG index)
{
    char text[64];
    int length = snprintf(text, sizeof(text), STRESS_PORT_FORMAT, index);

    for (int i = 0; i <= length && (ULONG)i < size; i++)
        name[i] = (WCHAR)text[i];
}

// ---- Servers -----------------------------------------------------------------------------

static volatile HANDLE ServerConnectionPort;
static WCHAR ServerName[64];

typedef struct _SERVER_THREAD {
    STRESS_RANDOM Random;
    HANDLE Slots[STRESS_SLOTS];     // accepted server ports, completed or not
    BOOLEAN Completed[STRESS_SLOTS];
} SERVER_THREAD;

static void ServerKeep(SERVER_THREAD *server, HANDLE port, BOOLEAN completed)
{
    ULONG slot = StressBelow(&server->Random, STRESS_SLOTS);

    if (server->Slots[slot]) {
        // A half-accepted client is completed late, or its port just closed.
        if (!server->Completed[slot] && StressBelow(&server->Random, 2))
            NtCompleteConnectPort(server->Slots[slot]);
        NtClose(server->Slots[slot]);
    }
    server->Slots[slot] = port;
    server->Completed[slot] = completed;
}

static void ServerConnection(SERVER_THREAD *server, ULPC_MESSAGE *request)
{
    ULONG choice = StressBelow(&server->Random, 10);
    HANDLE port = NULL;

    if (choice == 0) {
        NtAcceptConnectPort(&port, NULL, &request->h, FALSE, NULL, NULL);
    } else if (choice == 1) {
        return;                         // ignored: the client waits on
    } else if (NT_SUCCESS(NtAcceptConnectPort(&port, (PVOID)(ULONG_PTR)choice, &request->h,
                                              TRUE, NULL, NULL))) {
        BOOLEAN complete = choice > 3;

        StressCount(StressAccepted);
        if (complete)
            NtCompleteConnectPort(port);
        ServerKeep(server, port, complete);
    }
}

// A request's data (the client's buffers), read and written.
static void ServerRequestData(ULPC_MESSAGE *request)
{
    ULONG buffer[8];
    SIZE_T done;

    NtReadRequestData(ServerConnectionPort, &request->h, 0, buffer, sizeof(buffer), &done);
    NtWriteRequestData(ServerConnectionPort, &request->h, 1, buffer, sizeof(buffer), &done);
}

// A callback to the client before the reply: the answer, or nothing.
static void ServerCallback(ULPC_MESSAGE *request)
{
    ULPC_MESSAGE callback = *request, answer;

    callback.h.u2.s2.Type = LPC_REQUEST;
    callback.h.u1.s1.DataLength = 8;
    callback.h.u1.s1.TotalLength = sizeof(PORT_MESSAGE) + 8;
    StressCount(StressCallbacks);
    NtRequestWaitReplyPort(ServerConnectionPort, &callback.h, &answer.h);
}

// The server asks one of its clients (the request queued on the client's
// port): answered if the client receives, lost if it closes its port.
static void ServerAsksClient(SERVER_THREAD *server)
{
    HANDLE port = server->Slots[StressBelow(&server->Random, STRESS_SLOTS)];
    ULPC_MESSAGE request, reply;

    if (!port)
        return;
    UlpcInitMessage(&request, 12, 0);
    StressCount(StressServerRequests);
    NtRequestWaitReplyPort(port, &request.h, &reply.h);
}

static NTSTATUS NTAPI ServerThread(PVOID argument)
{
    SERVER_THREAD server;
    ULPC_MESSAGE message, reply, later;
    BOOLEAN replyNow = FALSE, replyLater = FALSE;
    LARGE_INTEGER timeout = UtMilliseconds(20);
    ULONG iterations;
    PVOID context;

    (void)argument;
    memset(&server, 0, sizeof(server));
    StressWorkerRandom(&server.Random);
    iterations = 10 + StressBelow(&server.Random, 60);
    if (StressBelow(&server.Random, 4) == 0)
        NtRegisterThreadTerminatePort(ServerConnectionPort);
    for (ULONG i = 0; i < iterations; i++) {
        NTSTATUS status = NtReplyWaitReceivePortEx(ServerConnectionPort, &context,
                                                   replyNow ? &reply.h : NULL, &message.h,
                                                   &timeout);

        replyNow = FALSE;
        if (replyLater && StressBelow(&server.Random, 3) == 0) {
            NtReplyPort(ServerConnectionPort, &later.h);
            replyLater = FALSE;
        }
        if (status != STATUS_SUCCESS) {
            if (status != STATUS_TIMEOUT)
                StressSleep(1 + StressBelow(&server.Random, 5));
            continue;
        }
        switch (message.h.u2.s2.Type & 0xFF) {
        case LPC_CONNECTION_REQUEST:
            ServerConnection(&server, &message);
            break;
        case LPC_REQUEST: {
            ULONG choice = StressBelow(&server.Random, 10);

            if (message.h.u2.s2.DataInfoOffset)
                ServerRequestData(&message);
            if (choice == 0)
                break;                  // never answered
            if (choice == 1) {
                later = message;        // answered later (or overwritten: never)
                replyLater = TRUE;
                break;
            }
            if (choice == 2)
                ServerCallback(&message);
            reply = message;
            reply.h.u1.s1.DataLength = 16;
            reply.h.u1.s1.TotalLength = sizeof(PORT_MESSAGE) + 16;
            replyNow = TRUE;
            StressCount(StressReplies);
            break;
        }
        default:
            break;                      // datagrams, LPC_PORT_CLOSED, LPC_CLIENT_DIED
        }
        if (StressBelow(&server.Random, 25) == 0)
            ServerAsksClient(&server);
        // Now and then the server closes its connection port, with clients
        // anywhere in their handshake, and makes it again.
        if (StressBelow(&server.Random, 20) == 0) {
            HANDLE old = ServerConnectionPort, port;

            if (NT_SUCCESS(NtClose(old)) &&
                NT_SUCCESS(UlpcCreatePort(&port, ServerName, FALSE))) {
                ServerConnectionPort = port;
                StressCount(StressPortsRemade);
            }
        }
    }
    for (ULONG i = 0; i < STRESS_SLOTS; i++) {
        if (server.Slots[i])
            NtClose(server.Slots[i]);
    }
    return STATUS_SUCCESS;
}

// ---- Clients -----------------------------------------------------------------------------

typedef struct _CLIENT_REQUEST {
    PORT_MESSAGE h;
    ULPC_DATA_INFO Info;
    ULONG Data[8];
} CLIENT_REQUEST;

static NTSTATUS ClientConnect(STRESS_RANDOM *random, PHANDLE port)
{
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), SecurityImpersonation, 0, FALSE};
    WCHAR nameBuffer[64];
    UNICODE_STRING name;
    PORT_VIEW view;
    REMOTE_PORT_VIEW serverView;
    LARGE_INTEGER size = {.QuadPart = 4096};
    HANDLE section = NULL;
    UCHAR info[32] = {1, 2, 3};
    ULONG infoLength = 1 + StressBelow(random, sizeof(info));
    BOOLEAN withView = StressBelow(random, 6) == 0;
    NTSTATUS status;

    StressPortName(nameBuffer, 64, StressBelow(random, STRESS_SERVERS));
    RtlInitUnicodeString(&name, nameBuffer);
    if (withView &&
        !NT_SUCCESS(NtCreateSection(&section, SECTION_ALL_ACCESS, NULL, &size, PAGE_READWRITE,
                                    SEC_COMMIT, NULL)))
        withView = FALSE;
    memset(&view, 0, sizeof(view));
    view.Length = sizeof(view);
    view.SectionHandle = section;
    view.ViewSize = 4096;
    memset(&serverView, 0, sizeof(serverView));
    serverView.Length = sizeof(serverView);
    StressCount(StressConnects);
    status = NtConnectPort(port, &name, &qos, withView ? &view : NULL,
                           withView ? &serverView : NULL, NULL, info, &infoLength);
    if (section)
        NtClose(section);
    return status;
}

// One request: plain, or carrying a data-info block; a callback that comes
// back instead of the reply is answered.
static void ClientRequest(STRESS_RANDOM *random, HANDLE port)
{
    CLIENT_REQUEST request;
    ULPC_MESSAGE reply;
    ULONG buffers[2][8];
    NTSTATUS status;

    memset(&request, 0, sizeof(request));
    request.h.u1.s1.DataLength = sizeof(request) - sizeof(PORT_MESSAGE);
    request.h.u1.s1.TotalLength = sizeof(request);
    if (StressBelow(random, 4) == 0) {
        request.h.u2.s2.DataInfoOffset = (CSHORT)offsetof(CLIENT_REQUEST, Info);
        request.Info.NumberOfEntries = 2;
        for (int i = 0; i < 2; i++) {
            request.Info.Entries[i].BaseAddress = buffers[i];
            request.Info.Entries[i].DataLength = sizeof(buffers[i]);
        }
    }
    StressCount(StressRequests);
    status = NtRequestWaitReplyPort(port, &request.h, &reply.h);
    while (status == STATUS_SUCCESS && (reply.h.u2.s2.Type & 0xFF) == LPC_REQUEST) {
        reply.h.u1.s1.DataLength = 8;
        reply.h.u1.s1.TotalLength = sizeof(PORT_MESSAGE) + 8;
        status = NtReplyWaitReplyPort(port, &reply.h);
    }
}

// What the server asked through the client's port, answered (a short
// wait: usually nothing came).
static void ClientReceive(HANDLE port)
{
    ULPC_MESSAGE message;
    PVOID context;

    if (UlpcReceive(port, &context, NULL, &message, 10) == STATUS_SUCCESS &&
        (message.h.u2.s2.Type & 0xFF) == LPC_REQUEST) {
        message.h.u1.s1.DataLength = 4;
        message.h.u1.s1.TotalLength = sizeof(PORT_MESSAGE) + 4;
        if (NT_SUCCESS(NtReplyPort(port, &message.h)))
            StressCount(StressClientReplies);
    }
}

static NTSTATUS NTAPI ClientThread(PVOID argument)
{
    STRESS_RANDOM random;
    ULONG connections;

    (void)argument;
    StressWorkerRandom(&random);
    connections = 1 + StressBelow(&random, 8);
    for (ULONG c = 0; c < connections; c++) {
        ULONG operations = StressBelow(&random, 6);
        HANDLE port;

        if (!NT_SUCCESS(ClientConnect(&random, &port))) {
            if (StressBelow(&random, 4) == 0)
                StressSleep(1 + StressBelow(&random, 10));
            continue;
        }
        StressCount(StressConnected);
        for (ULONG i = 0; i < operations; i++) {
            ULONG choice = StressBelow(&random, 8);
            ULPC_MESSAGE datagram;

            if (choice < 4) {
                ClientRequest(&random, port);
            } else if (choice < 5) {
                ClientReceive(port);
            } else if (choice < 7) {
                UlpcInitMessage(&datagram, 4 * (1 + StressBelow(&random, 8)), i);
                StressCount(StressDatagrams);
                NtRequestPort(port, &datagram.h);
            } else {
                NtRegisterThreadTerminatePort(port);
            }
        }
        // Most ports are closed; some are left for the thread's (or the
        // process's) end.
        if (StressBelow(&random, 4))
            NtClose(port);
    }
    return STATUS_SUCCESS;
}

// ---- A child: its workers, killed and replaced at random ----------------------------------

static int StressChild(BOOLEAN server)
{
    PUSER_THREAD_START_ROUTINE routine = server ? ServerThread : ClientThread;
    HANDLE workers[STRESS_WORKERS] = {0};
    STRESS_RANDOM random;

    StressSeed(&random, StressSeedValue, 0x100 + StressIndex * 2 + server);
    StressMapStats(FALSE);
    if (server) {
        HANDLE port;

        StressPortName(ServerName, 64, StressIndex);
        if (!NT_SUCCESS(UlpcCreatePort(&port, ServerName, FALSE)))
            return 1;
        ServerConnectionPort = port;
    }
    for (;;) {
        // Until it is killed: ended workers are replaced, live ones killed
        // now and then wherever they are.
        for (int i = 0; i < STRESS_WORKERS; i++) {
            LARGE_INTEGER now = {.QuadPart = 0};

            if (workers[i] && NtWaitForSingleObject(workers[i], FALSE, &now) == STATUS_WAIT_0) {
                NtClose(workers[i]);
                workers[i] = NULL;
            }
            if (workers[i] && StressBelow(&random, 12) == 0) {
                NtTerminateThread(workers[i], 0x1DEAD);
                StressCount(StressThreadsKilled);
                NtClose(workers[i]);
                workers[i] = NULL;
            }
            if (!workers[i])
                UtStartThread(&workers[i], routine, NULL);
        }
        StressSleep(1 + StressBelow(&random, 20));
    }
}

// ---- The parent ----------------------------------------------------------------------------

static NTSTATUS StartStressChild(HANDLE *process, BOOLEAN server, ULONG index)
{
    WCHAR line[96];
    char text[96];
    int length = snprintf(text, sizeof(text), "tlpcstress %c %llx %u", server ? 's' : 'c',
                          (unsigned long long)StressSeedValue, index);

    for (int i = 0; i <= length; i++)
        line[i] = (WCHAR)text[i];
    return UlpcStartChild(u"tlpcstress", line, process, NULL);
}

static ULONG PortObjectCount(void)
{
    union {
        OBJECT_TYPE_INFORMATION Info;
        UCHAR Bytes[256];
    } buffer;
    HANDLE port;
    ULONG count = 0;

    // A port to ask with: itself counted, so subtracted.
    if (!NT_SUCCESS(UlpcCreatePort(&port, NULL, FALSE)))
        return (ULONG)-1;
    if (NT_SUCCESS(NtQueryObject(port, ObjectTypeInformation, &buffer, sizeof(buffer), NULL)))
        count = buffer.Info.TotalNumberOfObjects - 1;
    NtClose(port);
    return count;
}

// Processes in the system, and threads of this one.
static void ProcessAndThreadCounts(ULONG *processes, ULONG *threads)
{
    static UCHAR buffer[64 * 1024] __attribute__((aligned(8)));
    SYSTEM_PROCESS_INFORMATION *entry = (SYSTEM_PROCESS_INFORMATION *)buffer;

    *processes = *threads = 0;
    if (!NT_SUCCESS(NtQuerySystemInformation(SystemProcessInformation, buffer, sizeof(buffer),
                                             NULL)))
        return;
    for (;;) {
        (*processes)++;
        if (entry->UniqueProcessId == NtCurrentTeb()->ClientId.UniqueProcess)
            *threads = entry->NumberOfThreads;
        if (!entry->NextEntryOffset)
            break;
        entry = (SYSTEM_PROCESS_INFORMATION *)((UCHAR *)entry + entry->NextEntryOffset);
    }
}

static ULONG StressRounds = STRESS_DEFAULT_ROUNDS;

UTEST(ServersAndClientsKilledAtRandomLeaveNothing)
{
    HANDLE children[STRESS_SERVERS + STRESS_CLIENTS];
    ULONG portsBefore = PortObjectCount(), processesBefore, threadsBefore;
    ULONG portsAfter = 0, processesAfter = 0, threadsAfter = 0;
    HANDLE stats = StressMapStats(TRUE);
    STRESS_RANDOM random;

    ProcessAndThreadCounts(&processesBefore, &threadsBefore);
    StressSeed(&random, StressSeedValue, 0);
    for (ULONG round = 0; round < StressRounds; round++) {
        for (ULONG i = 0; i < STRESS_SERVERS + STRESS_CLIENTS; i++) {
            BOOLEAN server = i < STRESS_SERVERS;

            UT_EXPECT_STATUS(StartStressChild(&children[i], server,
                                              server ? i : round * 16 + i),
                             STATUS_SUCCESS);
        }
        for (ULONG kill = 0; kill < STRESS_KILLS; kill++) {
            ULONG victim = StressBelow(&random, STRESS_SERVERS + STRESS_CLIENTS);
            BOOLEAN server = victim < STRESS_SERVERS;

            StressSleep(20 + StressBelow(&random, 100));
            // Every child dies when told: anything else is a finding.
            UT_EXPECT_STATUS(UlpcKillChild(children[victim]), STATUS_WAIT_0);
            StressCount(StressProcessesKilled);
            UT_EXPECT_STATUS(StartStressChild(&children[victim], server,
                                              server ? victim : 1000 + round * 64 + kill),
                             STATUS_SUCCESS);
        }
        StressSleep(5 + StressBelow(&random, 60));
        for (ULONG i = 0; i < STRESS_SERVERS + STRESS_CLIENTS; i++)
            UT_EXPECT_STATUS(UlpcKillChild(children[i]), STATUS_WAIT_0);
    }
    // What the children held goes with them (a thread's object a moment
    // after it ends: the reaper frees it).
    for (int tries = 0; tries < 100; tries++) {
        portsAfter = PortObjectCount();
        ProcessAndThreadCounts(&processesAfter, &threadsAfter);
        if (portsAfter == portsBefore && processesAfter == processesBefore &&
            threadsAfter == threadsBefore)
            break;
        StressSleep(10);
    }
    for (int i = 0; i < StressCounters && StressStats; i++)
        printf("%s%s %d", i ? ", " : "tlpcstress: ", StressCounterNames[i], StressStats[i]);
    printf("\n");
    if (stats) {
        NtUnmapViewOfSection(NtCurrentProcess(), (PVOID)StressStats);
        NtClose(stats);
    }
    UT_EXPECT_EQ(portsAfter, portsBefore);
    UT_EXPECT_EQ(processesAfter, processesBefore);
    UT_EXPECT_EQ(threadsAfter, threadsBefore);
}

static const UTEST Tests[] = {
    UT_ENTRY(ServersAndClientsKilledAtRandomLeaveNothing),
};

// The next number in the command line (hexadecimal with 0x or for the
// seed of a child, else decimal); *at moves past it.
static ULONGLONG ParseNumber(const char **at, BOOLEAN hex)
{
    const char *p = *at;
    ULONGLONG value = 0;

    while (*p == ' ')
        p++;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        hex = TRUE;
        p += 2;
    }
    for (;; p++) {
        int digit;

        if (*p >= '0' && *p <= '9')
            digit = *p - '0';
        else if (hex && *p >= 'a' && *p <= 'f')
            digit = *p - 'a' + 10;
        else if (hex && *p >= 'A' && *p <= 'F')
            digit = *p - 'A' + 10;
        else
            break;
        value = value * (hex ? 16 : 10) + (ULONGLONG)digit;
    }
    *at = p;
    return value;
}

int main(void)
{
    char line[96];
    const char *at;

    UtCommandLineText(line, sizeof(line));
    at = strchr(line, ' ');
    StressSeedValue = STRESS_DEFAULT_SEED;
    if (at && (at[1] == 's' || at[1] == 'c') && at[2] == ' ') {
        BOOLEAN server = at[1] == 's';

        at += 2;
        StressSeedValue = ParseNumber(&at, TRUE);
        StressIndex = (ULONG)ParseNumber(&at, FALSE);
        return StressChild(server);
    }
    if (at) {
        StressSeedValue = ParseNumber(&at, FALSE);
        if (*at)
            StressRounds = (ULONG)ParseNumber(&at, FALSE);
    }
    printf("tlpcstress: seed 0x%llx, %u rounds (tlpcstress SEED ROUNDS replays them)\n",
           (unsigned long long)StressSeedValue, StressRounds);
    return UT_RUN_ALL("tlpcstress", Tests);
}
