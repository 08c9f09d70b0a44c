// ALPC under load: 64 clients in 4 processes, each with its own connection,
// send synchronous requests to one server process (this one, with several
// receiving threads that reply and receive in one call) and check every
// reply: nothing lost, nothing answered twice or to the wrong client.
//
// "talpcstress [REQUESTS]" (REQUESTS per client; the default keeps the
// in-kernel test short under TCG); "talpcstress bench 1000" is make
// bench's run (tests/kernel/kbench.c), which also prints a BENCH line: the
// TSC ticks (instructions under -icount) a request took, all clients
// together; "talpcstress stress 100000" is make stress's (no -icount).
// Children: "talpcstress c INDEX REQUESTS".

#include "tests/user/ualpc.h"

#define STRESS_PORT        u"\\RPC Control\\TalpcStress"
#define STRESS_PROCESSES   4
#define STRESS_THREADS     16              // clients per process: 64 in all
#define STRESS_SERVERS     3               // receiving threads in the server
#define STRESS_DEFAULT_REQUESTS 400

typedef struct _STRESS_REQUEST {
    PORT_MESSAGE h;
    ULONG Client;                   // process * STRESS_THREADS + thread
    ULONG Sequence;                 // the client's count of requests
    ULONG Check;                    // Client ^ Sequence, +1 in the reply
} STRESS_REQUEST;

static ULONG StressRequests = STRESS_DEFAULT_REQUESTS;
static BOOLEAN StressBench;

static inline ULONG64 StressReadTsc(void)
{
    ULONG low, high;

    __asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
    return ((ULONG64)high << 32) | low;
}

// ---- The clients ------------------------------------------------------------------------

static volatile LONG ClientFailures;

static NTSTATUS NTAPI StressClient(PVOID argument)
{
    ULONG client = (ULONG)(ULONG_PTR)argument;
    UALPC_CLIENT connection;
    STRESS_REQUEST request, reply;
    NTSTATUS status;

    memset(&connection, 0, sizeof(connection));
    connection.Name = STRESS_PORT;
    status = UalpcConnect(&connection);
    if (status != STATUS_SUCCESS) {
        printf("talpcstress: client %u: connect %08x\n", client, (ULONG)status);
        __atomic_add_fetch(&ClientFailures, 1, __ATOMIC_RELAXED);
        return status;
    }
    for (ULONG i = 0; i < StressRequests; i++) {
        SIZE_T length = sizeof(reply);

        memset(&request, 0, sizeof(request));
        request.h.u1.s1.DataLength = sizeof(request) - sizeof(PORT_MESSAGE);
        request.h.u1.s1.TotalLength = sizeof(request);
        request.Client = client;
        request.Sequence = i;
        request.Check = client ^ i;
        status = NtAlpcSendWaitReceivePort(connection.Port, ALPC_MSGFLG_SYNC_REQUEST, &request.h,
                                           NULL, &reply.h, &length, NULL, NULL);
        if (status != STATUS_SUCCESS || reply.Client != client || reply.Sequence != i ||
            reply.Check != (client ^ i) + 1 || (reply.h.u2.s2.Type & 0xFF) != LPC_REPLY) {
            printf("talpcstress: client %u request %u: %08x, reply %u/%u/%u\n", client, i,
                   (ULONG)status, reply.Client, reply.Sequence, reply.Check);
            __atomic_add_fetch(&ClientFailures, 1, __ATOMIC_RELAXED);
            break;
        }
    }
    NtClose(connection.Port);
    return STATUS_SUCCESS;
}

static int ClientProcess(ULONG index)
{
    HANDLE threads[STRESS_THREADS];

    for (ULONG i = 0; i < STRESS_THREADS; i++) {
        if (!NT_SUCCESS(UtStartThread(&threads[i], StressClient,
                                      (PVOID)(ULONG_PTR)(index * STRESS_THREADS + i))))
            return 100;
    }
    for (ULONG i = 0; i < STRESS_THREADS; i++) {
        NtWaitForSingleObject(threads[i], FALSE, NULL);
        NtClose(threads[i]);
    }
    return (int)ClientFailures;
}

// ---- The server -------------------------------------------------------------------------

static HANDLE StressPort;
static HANDLE ServerPorts[STRESS_PROCESSES * STRESS_THREADS];
static volatile LONG Served, Connected, Closed, ServerErrors;

// Replies and receives in one call; each connection's server port is its
// context, closed when the client's port closes.
static NTSTATUS NTAPI StressServer(PVOID argument)
{
    STRESS_REQUEST message;
    PORT_MESSAGE *reply = NULL;
    struct {
        ALPC_MESSAGE_ATTRIBUTES Header;
        ALPC_CONTEXT_ATTR Context;
    } attributes;
    NTSTATUS status;

    (void)argument;
    for (;;) {
        SIZE_T length = sizeof(message);
        HANDLE serverPort;

        memset(&attributes, 0, sizeof(attributes));
        attributes.Header.AllocatedAttributes = ALPC_MESSAGE_CONTEXT_ATTRIBUTE;
        status = NtAlpcSendWaitReceivePort(StressPort, 0, reply, NULL, &message.h, &length,
                                           &attributes.Header, NULL);
        reply = NULL;
        if (status == STATUS_PORT_DISCONNECTED)
            return STATUS_SUCCESS;                  // the test is over
        if (status != STATUS_SUCCESS) {
            __atomic_add_fetch(&ServerErrors, 1, __ATOMIC_RELAXED);
            return status;
        }
        switch (message.h.u2.s2.Type & 0xFF) {
        case LPC_CONNECTION_REQUEST: {
            // Each connection's server port, kept to be closed at the end.
            LONG slot = __atomic_fetch_add(&Connected, 1, __ATOMIC_RELAXED);

            serverPort = NULL;
            status = NtAlpcAcceptConnectPort(&serverPort, StressPort, 0, NULL, NULL, NULL,
                                             &message.h, NULL, TRUE);
            if (status != STATUS_SUCCESS || slot >= (LONG)ARRAYSIZE(ServerPorts))
                __atomic_add_fetch(&ServerErrors, 1, __ATOMIC_RELAXED);
            else
                ServerPorts[slot] = serverPort;
            break;
        }
        case LPC_REQUEST:
            message.Check++;
            reply = &message.h;
            __atomic_add_fetch(&Served, 1, __ATOMIC_RELAXED);
            break;
        case LPC_PORT_CLOSED:
            __atomic_add_fetch(&Closed, 1, __ATOMIC_RELAXED);
            break;
        default:
            __atomic_add_fetch(&ServerErrors, 1, __ATOMIC_RELAXED);
            break;
        }
    }
}

UTEST(SixtyFourClientsLoseNothing)
{
    HANDLE servers[STRESS_SERVERS], children[STRESS_PROCESSES];
    WCHAR line[64];
    LARGE_INTEGER start, end;
    ULONG64 tscStart, tscTicks, requests = (ULONG64)STRESS_PROCESSES * STRESS_THREADS;

    UT_EXPECT_STATUS(UalpcCreatePort(&StressPort, STRESS_PORT, NULL), STATUS_SUCCESS);
    for (ULONG i = 0; i < STRESS_SERVERS; i++)
        UT_EXPECT_STATUS(UtStartThread(&servers[i], StressServer, NULL), STATUS_SUCCESS);
    NtQuerySystemTime(&start);
    tscStart = StressReadTsc();
    for (ULONG i = 0; i < STRESS_PROCESSES; i++) {
        char text[64];

        snprintf(text, sizeof(text), "talpcstress c %u %u", i, StressRequests);
        for (ULONG c = 0; c <= strlen(text); c++)
            line[c] = (WCHAR)text[c];
        UT_EXPECT_STATUS(UlpcStartChild(u"talpcstress", line, &children[i], NULL),
                         STATUS_SUCCESS);
    }
    for (ULONG i = 0; i < STRESS_PROCESSES; i++) {
        // Ten minutes, and 100 ms more a request of a client: make
        // stress's 100,000 under a loaded TCG take far longer than 10.
        LARGE_INTEGER patience = UtMilliseconds(600000 + (LONGLONG)StressRequests * 100);

        UT_EXPECT_STATUS(NtWaitForSingleObject(children[i], FALSE, &patience), STATUS_WAIT_0);
        UT_EXPECT_STATUS(UtProcessExitStatus(children[i]), 0);
        NtClose(children[i]);
    }
    NtQuerySystemTime(&end);
    tscTicks = StressReadTsc() - tscStart;
    UT_EXPECT_EQ(Connected, STRESS_PROCESSES * STRESS_THREADS);
    UT_EXPECT_EQ(Served, STRESS_PROCESSES * STRESS_THREADS * StressRequests);
    UT_EXPECT_EQ(ServerErrors, 0);
    printf("talpcstress: %u clients x %u requests in %u ms\n", STRESS_PROCESSES * STRESS_THREADS,
           StressRequests, (ULONG)((end.QuadPart - start.QuadPart) / 10000));
    requests *= StressRequests;
    if (StressBench && (ULONG64)Served == requests && !ServerErrors)
        printf("BENCH alpc-request-reply-64-clients %llu cycles (a request: %llu requests of "
               "64 clients in 4 processes, with their start and connects)\n",
               (unsigned long long)(tscTicks / requests), (unsigned long long)requests);
    // Closing the connection port ends the servers' receives.
    NtClose(StressPort);
    for (ULONG i = 0; i < STRESS_SERVERS; i++)
        UT_EXPECT_STATUS(UtJoinThread(servers[i]), STATUS_SUCCESS);
    UT_EXPECT_EQ(Closed, STRESS_PROCESSES * STRESS_THREADS);
    for (ULONG i = 0; i < ARRAYSIZE(ServerPorts); i++) {
        if (ServerPorts[i])
            NtClose(ServerPorts[i]);
    }
}

static const UTEST Tests[] = {
    UT_ENTRY(SixtyFourClientsLoseNothing),
};

// The number after the last blank of the command line, or `fallback`.
static ULONG LastNumber(const char *line, ULONG fallback)
{
    const char *last = NULL;
    ULONG value = 0;

    for (const char *at = line; *at; at++) {
        if (*at == ' ')
            last = at;
    }
    if (!last || !last[1])
        return fallback;
    for (last++; *last >= '0' && *last <= '9'; last++)
        value = value * 10 + (ULONG)(*last - '0');
    return value ? value : fallback;
}

int main(void)
{
    char line[64];

    UtCommandLineText(line, sizeof(line));
    StressRequests = LastNumber(line, STRESS_DEFAULT_REQUESTS);
    StressBench = !strncmp(line, "talpcstress bench ", 18);
    if (!strncmp(line, "talpcstress c ", 14))
        return ClientProcess((ULONG)(line[14] - '0'));
    return UT_RUN_ALL("talpcstress", Tests);
}
