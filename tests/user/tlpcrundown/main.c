// LPC rundown: messages that outlive the call that queued them, and the
// references they hold. A termination port's LPC_CLIENT_DIED left queued on
// a port whose handles then close (each kind of port, handle closed before
// or after the thread ends); a server's request left on its client's port
// when the client closes it; a server that accepted a client whose connect
// then ended another way (its connection port closed) and completes the
// connection while the client waits for another one. The in-kernel runner
// runs each test as its own program ("tlpcrundown NAME") with the leak
// check after it.

#include "tests/user/ulpc.h"

#define PORT_A u"\\RPC Control\\TlpcRundownA"
#define PORT_B u"\\RPC Control\\TlpcRundownB"

// ---- Termination ports ----------------------------------------------------------------

typedef struct _TERMINATING_THREAD {
    HANDLE Port;            // what the thread registers
    HANDLE Go;              // it ends once this is set
} TERMINATING_THREAD;

static NTSTATUS NTAPI RegisterAndWait(PVOID argument)
{
    TERMINATING_THREAD *thread = argument;
    NTSTATUS status = NtRegisterThreadTerminatePort(thread->Port);

    if (NT_SUCCESS(status) && thread->Go)
        status = UtWaitBounded(thread->Go, FALSE);
    return status == STATUS_WAIT_0 ? STATUS_SUCCESS : status;
}

// A thread registers `port` and ends; with closeFirst the caller's handle
// closes while the thread still runs, else after it ended. The notice is
// never received: it is queued when the last handle goes.
static void TerminationNoticeLeftQueued(HANDLE port, BOOLEAN closeFirst)
{
    TERMINATING_THREAD thread = {port, NULL};
    HANDLE handle;

    if (closeFirst)
        UT_EXPECT_STATUS(NtCreateEvent(&thread.Go, EVENT_ALL_ACCESS, NULL, NotificationEvent,
                                       FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtStartThread(&handle, RegisterAndWait, &thread), STATUS_SUCCESS);
    if (closeFirst) {
        UT_EXPECT(UtWaitUntilWaiting(handle));
        UT_EXPECT_STATUS(NtClose(port), STATUS_SUCCESS);
        NtSetEvent(thread.Go, NULL);
    }
    UT_EXPECT_STATUS(UtJoinThread(handle), STATUS_SUCCESS);
    if (!closeFirst)
        UT_EXPECT_STATUS(NtClose(port), STATUS_SUCCESS);
    if (thread.Go)
        NtClose(thread.Go);
}

UTEST(TerminationNoticeOnUnconnectedPort)
{
    HANDLE port;

    UT_EXPECT_STATUS(UlpcCreatePort(&port, NULL, FALSE), STATUS_SUCCESS);
    TerminationNoticeLeftQueued(port, FALSE);
    UT_EXPECT_STATUS(UlpcCreatePort(&port, NULL, TRUE), STATUS_SUCCESS);
    TerminationNoticeLeftQueued(port, TRUE);
}

UTEST(TerminationNoticeOnConnectionPort)
{
    HANDLE port;

    UT_EXPECT_STATUS(UlpcCreatePort(&port, PORT_A, FALSE), STATUS_SUCCESS);
    TerminationNoticeLeftQueued(port, FALSE);
    UT_EXPECT_STATUS(UlpcCreatePort(&port, PORT_A, FALSE), STATUS_SUCCESS);
    TerminationNoticeLeftQueued(port, TRUE);
}

typedef struct _REGISTERING_THREAD {
    HANDLE Port;
    ULONG Times;
} REGISTERING_THREAD;

static NTSTATUS NTAPI RegisterManyTimes(PVOID argument)
{
    REGISTERING_THREAD *thread = argument;

    for (ULONG i = 0; i < thread->Times; i++) {
        NTSTATUS status = NtRegisterThreadTerminatePort(thread->Port);

        if (!NT_SUCCESS(status))
            return status;
    }
    return STATUS_SUCCESS;
}

// A port registered many times is told once: a thread cannot make its own
// end queue notices without bound (they are not held to the queue's quota).
UTEST(TerminationPortRegisteredManyTimesIsToldOnce)
{
    REGISTERING_THREAD registering = {NULL, 2000};
    ULPC_MESSAGE message;
    HANDLE thread;
    PVOID context;

    UT_EXPECT_STATUS(UlpcCreatePort(&registering.Port, NULL, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtStartThread(&thread, RegisterManyTimes, &registering), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtJoinThread(thread), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcReceive(registering.Port, &context, NULL, &message, 5000),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(message.h.u2.s2.Type & 0xFF, LPC_CLIENT_DIED);
    UT_EXPECT_STATUS(UlpcReceive(registering.Port, &context, NULL, &message, 50),
                     STATUS_TIMEOUT);
    NtClose(registering.Port);
}

// Through a client port the notice goes to the connection port's queue,
// through a server port to the client port's: every handle closes with
// it still there, in either order.
UTEST(TerminationNoticeThroughEitherSideOfAConnection)
{
    for (int side = 0; side < 2; side++) {
        for (int closeFirst = 0; closeFirst < 2; closeFirst++) {
            HANDLE port, clientPort, serverPort;

            UT_EXPECT_STATUS(UlpcCreatePort(&port, PORT_A, FALSE), STATUS_SUCCESS);
            UT_EXPECT_STATUS(UlpcConnectToSelf(port, PORT_A, &clientPort, &serverPort),
                             STATUS_SUCCESS);
            TerminationNoticeLeftQueued(side ? serverPort : clientPort, (BOOLEAN)closeFirst);
            NtClose(side ? clientPort : serverPort);
            NtClose(port);
        }
    }
}

// ---- A request queued on a port whose handles all close ---------------------------------

typedef struct _WAITING_REQUEST {
    HANDLE Port;
    NTSTATUS Status;
} WAITING_REQUEST;

static NTSTATUS NTAPI RequestAndWait(PVOID argument)
{
    WAITING_REQUEST *request = argument;
    ULPC_MESSAGE message, reply;

    UlpcInitMessage(&message, 8, 0);
    request->Status = NtRequestWaitReplyPort(request->Port, &message.h, &reply.h);
    return STATUS_SUCCESS;
}

// The server asks its client (the request queued on the client port) and
// the client closes its port unanswered: the server must not wait for
// ever on a port nobody can receive on any more.
UTEST(ServerRequestLostWhenTheClientClosesItsPort)
{
    WAITING_REQUEST request = {NULL, STATUS_PENDING};
    HANDLE port, clientPort, serverPort, thread;

    UT_EXPECT_STATUS(UlpcCreatePort(&port, PORT_A, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcConnectToSelf(port, PORT_A, &clientPort, &serverPort), STATUS_SUCCESS);
    request.Port = serverPort;
    UT_EXPECT_STATUS(UtStartThread(&thread, RequestAndWait, &request), STATUS_SUCCESS);
    UT_EXPECT(UlpcWaitForWaitReason(NtCurrentTeb()->ClientId.UniqueProcess, UtThreadId(thread),
                                    ULPC_WAIT_LPC_REPLY));
    UT_EXPECT_STATUS(NtClose(clientPort), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtJoinThread(thread), STATUS_SUCCESS);
    UT_EXPECT_STATUS(request.Status, STATUS_LPC_REPLY_LOST);
    NtClose(serverPort);
    NtClose(port);
}

// ---- A message whose copy stops part-way ------------------------------------------------

// A reply typed as a connection request (a reply's type is the kernel's to
// set, so nothing refuses it) whose copy runs into an uncommitted page
// after the words where a connection request keeps its client port and
// section: the kernel frees its half-copied block, and must free it as
// what it is, not dereference the user's "pointers" (0x10 here).
UTEST(ReplyCopiedPartWayFreesNothingOfTheUsers)
{
    SIZE_T size = 2 * 4096, commit = 4096;
    PVOID base = NULL;
    PORT_MESSAGE *message;
    HANDLE port;

    UT_EXPECT_STATUS(NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &size, MEM_RESERVE,
                                             PAGE_READWRITE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &commit, MEM_COMMIT,
                                             PAGE_READWRITE), STATUS_SUCCESS);
    // 0x70 bytes before the hole: the header, then the connection message's
    // view (0x30 bytes), client port and section.
    message = (PORT_MESSAGE *)((UCHAR *)base + 4096 - 0x70);
    memset(message, 0, 0x70);
    message->u1.s1.TotalLength = 0x100;
    message->u1.s1.DataLength = 0x100 - sizeof(PORT_MESSAGE);
    message->u2.s2.Type = LPC_CONNECTION_REQUEST;
    message->ClientId = NtCurrentTeb()->ClientId;
    message->MessageId = 1;
    *(ULONG_PTR *)((UCHAR *)message + 0x58) = 0x10;
    *(ULONG_PTR *)((UCHAR *)message + 0x60) = 0x10;
    UT_EXPECT_STATUS(UlpcCreatePort(&port, NULL, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtReplyPort(port, message), STATUS_ACCESS_VIOLATION);
    NtClose(port);
    size = 0;
    NtFreeVirtualMemory(NtCurrentProcess(), &base, &size, MEM_RELEASE);
}

// ---- A completion for a connect that already ended --------------------------------------

typedef struct _TWO_CONNECTS {
    ULPC_CLIENT First;      // to PORT_A: refused when the server closes it
    ULPC_CLIENT Second;     // then to PORT_B
    HANDLE FirstDone;
} TWO_CONNECTS;

static NTSTATUS NTAPI ConnectTwice(PVOID argument)
{
    TWO_CONNECTS *connects = argument;

    connects->First.ConnectStatus = UlpcConnect(&connects->First);
    NtSetEvent(connects->FirstDone, NULL);
    connects->Second.ConnectStatus = UlpcConnect(&connects->Second);
    return STATUS_SUCCESS;
}

// The server accepted the client on PORT_A, then closed PORT_A before
// completing: the client is refused and connects to PORT_B. Completing (or
// closing) the first server port must not touch that second connect: the
// client waits for PORT_B's server, whose accept gets the request.
static void LateCompletion(BOOLEAN complete)
{
    TWO_CONNECTS connects;
    ULPC_MESSAGE request;
    HANDLE portA, portB, serverA, serverB, thread;
    PVOID context;

    memset(&connects, 0, sizeof(connects));
    connects.First.Name = PORT_A;
    connects.Second.Name = PORT_B;
    UT_EXPECT_STATUS(UlpcCreatePort(&portA, PORT_A, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcCreatePort(&portB, PORT_B, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateEvent(&connects.FirstDone, EVENT_ALL_ACCESS, NULL,
                                   NotificationEvent, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtStartThread(&thread, ConnectTwice, &connects), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtListenPort(portA, &request.h), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAcceptConnectPort(&serverA, NULL, &request.h, TRUE, NULL, NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(portA), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtWaitBounded(connects.FirstDone, FALSE), STATUS_WAIT_0);
    UT_EXPECT_STATUS(connects.First.ConnectStatus, STATUS_PORT_CONNECTION_REFUSED);
    UT_EXPECT(UlpcWaitForWaitReason(NtCurrentTeb()->ClientId.UniqueProcess, UtThreadId(thread),
                                    ULPC_WAIT_EXECUTIVE));
    // The late completion (or the server port's end) finds no client of its own.
    if (complete)
        NtCompleteConnectPort(serverA);
    UT_EXPECT_STATUS(NtClose(serverA), STATUS_SUCCESS);
    // The second connect still waits, its request still queued for PORT_B.
    UT_EXPECT(UlpcWaitForWaitReason(NtCurrentTeb()->ClientId.UniqueProcess, UtThreadId(thread),
                                    ULPC_WAIT_EXECUTIVE));
    UT_EXPECT_STATUS(UlpcReceive(portB, &context, NULL, &request, 5000), STATUS_SUCCESS);
    UT_EXPECT_EQ(request.h.u2.s2.Type, LPC_CONNECTION_REQUEST);
    UT_EXPECT_STATUS(NtAcceptConnectPort(&serverB, NULL, &request.h, TRUE, NULL, NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCompleteConnectPort(serverB), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtJoinThread(thread), STATUS_SUCCESS);
    UT_EXPECT_STATUS(connects.Second.ConnectStatus, STATUS_SUCCESS);
    NtClose(connects.Second.Port);
    NtClose(serverB);
    NtClose(portB);
    NtClose(connects.FirstDone);
}

UTEST(LateCompletionLeavesTheClientsNextConnectAlone)
{
    LateCompletion(TRUE);
}

UTEST(ServerPortClosedLateLeavesTheClientsNextConnectAlone)
{
    LateCompletion(FALSE);
}

static const UTEST Tests[] = {
    UT_ENTRY(TerminationNoticeOnUnconnectedPort),
    UT_ENTRY(TerminationNoticeOnConnectionPort),
    UT_ENTRY(TerminationNoticeThroughEitherSideOfAConnection),
    UT_ENTRY(TerminationPortRegisteredManyTimesIsToldOnce),
    UT_ENTRY(ServerRequestLostWhenTheClientClosesItsPort),
    UT_ENTRY(ReplyCopiedPartWayFreesNothingOfTheUsers),
    UT_ENTRY(LateCompletionLeavesTheClientsNextConnectAlone),
    UT_ENTRY(ServerPortClosedLateLeavesTheClientsNextConnectAlone),
};

int main(void)
{
    char line[96];
    const char *name;

    // "tlpcrundown NAME" runs one test; "tlpcrundown" runs them all.
    UtCommandLineText(line, sizeof(line));
    name = strchr(line, ' ');
    if (!name)
        return UT_RUN_ALL("tlpcrundown", Tests);
    name++;
    for (size_t i = 0; i < sizeof(Tests) / sizeof(Tests[0]); i++) {
        if (!strcmp(Tests[i].Name, name))
            return UtRunTests("tlpcrundown", &Tests[i], 1);
    }
    return 100;
}
