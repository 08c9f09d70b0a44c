// LPC rundown racing replies, for several processors: in every round a
// client thread waits in NtRequestWaitReplyPort while the server thread,
// on another processor, replies through the connection port, and at the
// same moment the main thread (on processor 0) either closes the server's
// communication port of that connection or kills the client thread.
// Either the reply gets there first or the rundown does; never both, never
// neither:
//
// - port closed: the client wakes with the reply (and the server's reply
//   succeeded) or with STATUS_LPC_REPLY_LOST (and the reply found nobody:
//   STATUS_REPLY_MESSAGE_MISMATCH);
// - client killed: the server's reply succeeds or finds nobody; the client
//   ends either way, with the reply's status or the kill's.
//
// (Closing the client's own port would race nothing: the waiting client
// holds it referenced until it wakes.) Each wait is bounded, so a lost
// wake fails the round instead of hanging. The in-kernel runner
// (SmpLpcRundownRacesReplies) checks every pool tag after the program,
// LpcM and Port included. "tlpcsmp [ROUNDS]".

#include "tests/user/ulpc.h"

#define SMP_PORT_NAME      u"\\RPC Control\\TlpcSmp"
#define SMP_DEFAULT_ROUNDS 160
#define SMP_KILL_STATUS    ((NTSTATUS)0x5A17)
#define SMP_PATIENCE_MS    10000
#define SMP_MAX_SPIN       4000
#define SMP_MAX_BIAS       (12 * SMP_MAX_SPIN)

typedef struct _SMP_ROUND {
    HANDLE ConnectionPort;
    HANDLE ClientPort;
    ULONG Seed;
    ULONG ServerSpin;
    volatile LONG Received;         // the server has the request
    NTSTATUS ReplyStatus;           // the server's NtReplyPort
} SMP_ROUND;

static SYSTEM_BASIC_INFORMATION Machine;
static ULONG Random = 0x2545F491u;
static volatile ULONG SpinSink;

static ULONG NextRandom(void)
{
    Random = Random * 1103515245u + 12345u;
    return Random >> 8;
}

static void Spin(ULONG count)
{
    for (ULONG i = 0; i < count; i++)
        SpinSink++;
}

static void PinTo(HANDLE thread, ULONG processor)
{
    KAFFINITY affinity = (KAFFINITY)1 << processor;

    if (Machine.NumberOfProcessors > 1)
        NtSetInformationThread(thread, ThreadAffinityMask, &affinity, sizeof(affinity));
}

// The client: one request; its exit status is what the call returned
// (STATUS_SUCCESS only with the server's answer in the reply).
static NTSTATUS NTAPI Client(PVOID argument)
{
    SMP_ROUND *round = argument;
    ULPC_MESSAGE request, reply;
    NTSTATUS status;

    UlpcInitMessage(&request, 8, round->Seed);
    memset(&reply, 0, sizeof(reply));
    status = NtRequestWaitReplyPort(round->ClientPort, &request.h, &reply.h);
    if (status == STATUS_SUCCESS && reply.Data[0] != round->Seed + 1)
        status = STATUS_UNSUCCESSFUL;
    return status;
}

// The server: takes the round's request (the notices earlier rounds left,
// LPC_PORT_CLOSED and the like, are passed over), spins a little and
// replies.
static NTSTATUS NTAPI Server(PVOID argument)
{
    SMP_ROUND *round = argument;
    ULPC_MESSAGE message;
    PVOID context;
    NTSTATUS status;

    for (;;) {
        status = UlpcReceive(round->ConnectionPort, &context, NULL, &message, SMP_PATIENCE_MS);
        if (status != STATUS_SUCCESS)
            return status;
        if ((message.h.u2.s2.Type & 0xFF) == LPC_REQUEST)
            break;
    }
    __atomic_store_n(&round->Received, 1, __ATOMIC_RELEASE);
    Spin(round->ServerSpin);
    message.Data[0] += 1;
    round->ReplyStatus = NtReplyPort(round->ConnectionPort, &message.h);
    return STATUS_SUCCESS;
}

// Who won each kind of race, over the run; and how much longer than the
// main thread the server spins before its reply, moved after every round
// towards the point where either may win (the reply path and the rundown
// path differ in length, and by how much depends on the machine).
static ULONG ReplyWon[2], RundownWon[2];
static ULONG ServerBias[2];

// One round; `kill`: the client dies, else its port closes.
static BOOLEAN RunRound(HANDLE connectionPort, ULONG number, BOOLEAN kill)
{
    SMP_ROUND round = {connectionPort, NULL, number * 16,
                       ServerBias[kill] + NextRandom() % SMP_MAX_SPIN, 0, STATUS_PENDING};
    ULONG mainSpin = NextRandom() % SMP_MAX_SPIN;
    HANDLE serverPort, client, server;
    NTSTATUS clientStatus, serverStatus;
    BOOLEAN replied;

    if (!NT_SUCCESS(UlpcConnectToSelf(connectionPort, SMP_PORT_NAME, &round.ClientPort,
                                      &serverPort))) {
        UtFail(__FILE__, __LINE__, "no connection");
        return FALSE;
    }
    UT_EXPECT_STATUS(UtStartThread(&server, Server, &round), STATUS_SUCCESS);
    PinTo(server, 1 + number % (Machine.NumberOfProcessors > 1
                                    ? Machine.NumberOfProcessors - 1 : 1));
    UT_EXPECT_STATUS(UtStartThread(&client, Client, &round), STATUS_SUCCESS);
    PinTo(client, 0);
    // The request is in the server's hands: now the rundown races its reply.
    while (!__atomic_load_n(&round.Received, __ATOMIC_ACQUIRE))
        NtYieldExecution();
    Spin(mainSpin);
    if (kill) {
        // It may have had its reply and ended already.
        NTSTATUS killStatus = NtTerminateThread(client, SMP_KILL_STATUS);

        if (killStatus != STATUS_THREAD_IS_TERMINATING)
            UT_EXPECT_STATUS(killStatus, STATUS_SUCCESS);
    } else
        UT_EXPECT_STATUS(NtClose(serverPort), STATUS_SUCCESS);
    clientStatus = UtJoinThreadWithin(client, SMP_PATIENCE_MS);
    serverStatus = UtJoinThreadWithin(server, SMP_PATIENCE_MS);
    UT_EXPECT_STATUS(serverStatus, STATUS_SUCCESS);
    replied = round.ReplyStatus == STATUS_SUCCESS;
    if (!replied)
        UT_EXPECT_STATUS(round.ReplyStatus, STATUS_REPLY_MESSAGE_MISMATCH);
    if (kill) {
        // Killed before or after its reply came: it ends either way.
        if (clientStatus != SMP_KILL_STATUS)
            UT_EXPECT_STATUS(clientStatus, STATUS_SUCCESS);
        if (clientStatus == STATUS_SUCCESS)
            UT_EXPECT(replied);
        NtClose(serverPort);
    } else if (replied) {
        UT_EXPECT_STATUS(clientStatus, STATUS_SUCCESS);
    } else {
        UT_EXPECT_STATUS(clientStatus, STATUS_LPC_REPLY_LOST);
    }
    if (replied) {
        ReplyWon[kill]++;
        // On one processor the reply always wins: no need to spin for ever.
        if (ServerBias[kill] < SMP_MAX_BIAS)
            ServerBias[kill] += SMP_MAX_SPIN / 4;
    } else {
        RundownWon[kill]++;
        ServerBias[kill] -= ServerBias[kill] < SMP_MAX_SPIN / 4 ? ServerBias[kill]
                                                                : SMP_MAX_SPIN / 4;
    }
    NtClose(round.ClientPort);
    return !UtCurrentFailed;
}

UTEST(RundownRacesRepliesOnOtherProcessors)
{
    char line[64];
    const char *argument;
    ULONG rounds = SMP_DEFAULT_ROUNDS;
    HANDLE connectionPort;

    UtCommandLineText(line, sizeof(line));
    argument = strchr(line, ' ');
    if (argument && argument[1] >= '1' && argument[1] <= '9') {
        rounds = 0;
        for (argument++; *argument >= '0' && *argument <= '9'; argument++)
            rounds = rounds * 10 + (ULONG)(*argument - '0');
    }
    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemBasicInformation, &Machine, sizeof(Machine),
                                              NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcCreatePort(&connectionPort, SMP_PORT_NAME, FALSE), STATUS_SUCCESS);
    // The main thread acts from processor 0, beside the client.
    PinTo(NtCurrentThread(), 0);
    for (ULONG i = 0; i < rounds; i++) {
        if (!RunRound(connectionPort, i, (BOOLEAN)(i % 2)))
            break;
    }
    printf("tlpcsmp: %u processor(s), %u rounds; port closed: reply first %u, rundown first "
           "%u; client killed: reply first %u, kill first %u (server's lead %u, %u)\n",
           (ULONG)Machine.NumberOfProcessors, rounds, ReplyWon[0], RundownWon[0], ReplyWon[1],
           RundownWon[1], ServerBias[0], ServerBias[1]);
    NtClose(connectionPort);
}

static const UTEST Tests[] = {
    UT_ENTRY(RundownRacesRepliesOnOtherProcessors),
};

int main(void)
{
    return UT_RUN_ALL("tlpcsmp", Tests);
}
