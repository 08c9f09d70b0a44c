// LPC: the user-mode test programs (with the leak check around each), the
// kernel callers' calls (LpcRequestPort, LpcRequestWaitReplyPort) to a
// user-mode server, and many kernel clients on one port.

#include "tests/kernel/ktuser.h"
#include "tests/kernel/test_dispatcher.h"
#include "lpc/lpcp.h"
#include "mm/mm.h"
#include "kd/kd.h"

KTEST(LpcUserCalls) { KtExpectUserTestsPass("tlpc"); }
KTEST(LpcUserDeathOfEitherSide) { KtExpectUserTestsPass("tlpcdeath"); }
KTEST(LpcUserFloodIsBounded) { KtExpectUserTestsPass("tlpcflood"); }
KTEST(LpcUserSecurity) { KtExpectUserTestsPass("tlpcsec"); }
KTEST(LpcUserDeathDuringACallback) { KtExpectUserTestsPass("tlpccb"); }

typedef struct _KT_LPC_MESSAGE {
    PORT_MESSAGE h;
    ULONG Data[4];
} KT_LPC_MESSAGE;

static void KtInitLpcMessage(KT_LPC_MESSAGE *message, CSHORT type, ULONG a, ULONG b)
{
    memset(message, 0, sizeof(*message));
    message->h.u1.s1.DataLength = sizeof(message->Data);
    message->h.u1.s1.TotalLength = sizeof(*message);
    message->h.u2.s2.Type = type;
    message->Data[0] = a;
    message->Data[1] = b;
}

static NTSTATUS KtWaitLong(void *object, LONG milliseconds)
{
    LARGE_INTEGER limit = KtRelativeTime(milliseconds);

    return KeWaitForSingleObject(object, Executive, KernelMode, FALSE, &limit);
}

// ---- A System thread asking a user-mode server (tlpcksrv.exe) ---------------------------

#define KT_KSRV_PORT u"\\RPC Control\\TlpcKernelServer"

KTEST(LpcKernelCallerAsksUserModeServer)
{
    UNICODE_STRING name = {sizeof(KT_KSRV_PORT) - 2, sizeof(KT_KSRV_PORT), (WCHAR *)KT_KSRV_PORT};
    ULONG messagesBefore = KtPoolTagCount(LPCP_MESSAGE_TAG);
    OBJECT_ATTRIBUTES attributes;
    KT_LPC_MESSAGE request, reply;
    EPROCESS *process;
    void *port = NULL;

    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    KT_EXPECT(NT_SUCCESS(PsStartUserProgram("tlpcksrv", NULL, &process)));
    for (int i = 0; i < 500 && !port; i++) {
        if (!NT_SUCCESS(ObReferenceObjectByName(&attributes, LpcPortObjectType, &port)))
            KtSleep(10);
    }
    KT_EXPECT(port != NULL);
    // The kernel's own types only: a request is not a datagram, nor the reverse.
    KtInitLpcMessage(&request, LPC_REQUEST, 0, 0);
    KT_EXPECT_EQ(LpcRequestPort(port, &request.h), STATUS_INVALID_PARAMETER);
    KtInitLpcMessage(&request, LPC_DATAGRAM, 0, 0);
    KT_EXPECT_EQ(LpcRequestWaitReplyPort(port, &request.h, &reply.h), STATUS_INVALID_PARAMETER);
    request.h.u1.s1.TotalLength = 0x300;
    KT_EXPECT_EQ(LpcRequestPort(port, &request.h), STATUS_PORT_MESSAGE_TOO_LONG);
    for (ULONG i = 0; i < 3; i++) {
        KtInitLpcMessage(&request, 0, 1, i);
        KT_EXPECT_EQ(LpcRequestPort(port, &request.h), STATUS_SUCCESS);
    }
    // The server doubles Data[0] and echoes the ClientId it saw.
    for (ULONG i = 0; i < 10; i++) {
        KtInitLpcMessage(&request, 0, 21 + i, 0);
        KT_EXPECT_EQ(LpcRequestWaitReplyPort(port, &request.h, &reply.h), STATUS_SUCCESS);
        KT_EXPECT_EQ(reply.h.u2.s2.Type & ~LPC_KERNELMODE_MESSAGE, LPC_REPLY);
        KT_EXPECT_EQ(reply.Data[0], 2 * (21 + i));
        KT_EXPECT_EQ((HANDLE)(ULONG_PTR)reply.Data[1], PsGetCurrentThread()->Cid.UniqueThread);
    }
    // The kernel's mark set by the caller (KSecDD's requests to lsass carry
    // it): still a request. Its sign bit once made the type look invalid.
    KtInitLpcMessage(&request, (CSHORT)LPC_KERNELMODE_MESSAGE, 7, 0);
    KT_EXPECT_EQ(LpcRequestWaitReplyPort(port, &request.h, &reply.h), STATUS_SUCCESS);
    KT_EXPECT_EQ(reply.Data[0], 14);
    // The thread waits for nothing any more.
    KT_EXPECT_EQ(PsGetCurrentThread()->LpcReplyMessageId, 0);
    KT_EXPECT(IsListEmpty(&PsGetCurrentThread()->LpcReplyChain));
    KtInitLpcMessage(&request, 0, 0xdead, 0);
    KT_EXPECT_EQ(LpcRequestPort(port, &request.h), STATUS_SUCCESS);
    KT_EXPECT_EQ(KtWaitLong(&process->Pcb, 10000), STATUS_WAIT_0);
    // Its exit status: the datagrams it received before the last.
    KT_EXPECT_EQ(process->ExitStatus, 3);
    // The server is gone: its port is run down.
    KtInitLpcMessage(&request, 0, 5, 0);
    KT_EXPECT_EQ(LpcRequestWaitReplyPort(port, &request.h, &reply.h), STATUS_PORT_DISCONNECTED);
    ObDereferenceObject(port);
    ObDereferenceObject(process);
    KT_EXPECT_EQ(KtPoolTagCount(LPCP_MESSAGE_TAG), messagesBefore);
}

// ---- Many clients on one port -----------------------------------------------------------

#define KT_LPC_CLIENTS  64
#define KT_LPC_SERVERS  2
#define KT_LPC_REQUESTS 1563            // per client: 100,032 in all

typedef struct _KT_LPC_STRESS {
    LPCP_PORT_OBJECT *Port;
    volatile LONG Replies;              // right replies the clients got
    volatile LONG Wrong;                // failures and wrong replies
    volatile LONG Served;               // requests the servers answered
    ULONG Index;                        // handed to each client as it starts
} KT_LPC_STRESS;

static KT_LPC_STRESS KtStress;

static void KtLpcServer(void *context)
{
    typedef union {
        PORT_MESSAGE h;
        UCHAR Bytes[LPCP_MAX_MESSAGE_LENGTH];
    } BUFFER;
    KT_LPC_STRESS *stress = context;
    LPCP_MESSAGE *reply = NULL;
    BUFFER buffer;
    void *portContext;

    for (;;) {
        NTSTATUS status = LpcpReplyWaitReceivePort(stress->Port, reply, &buffer.h, &portContext,
                                                   KernelMode, NULL);

        reply = NULL;
        if (status != STATUS_SUCCESS) {
            __atomic_add_fetch(&stress->Wrong, 1, __ATOMIC_RELAXED);
            break;
        }
        if (LpcpMessageType(&buffer.h) == LPC_DATAGRAM)
            break;                      // told to stop
        reply = LpcpAllocateMessage();
        if (!reply) {
            __atomic_add_fetch(&stress->Wrong, 1, __ATOMIC_RELAXED);
            break;
        }
        memcpy(&reply->Request, &buffer, buffer.h.u1.s1.TotalLength);
        reply->Request.u2.s2.Type = LPC_REPLY;
        ((KT_LPC_MESSAGE *)&reply->Request)->Data[2] += 1;
        __atomic_add_fetch(&stress->Served, 1, __ATOMIC_RELAXED);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static void KtLpcClient(void *context)
{
    KT_LPC_STRESS *stress = context;
    ULONG index = __atomic_add_fetch(&stress->Index, 1, __ATOMIC_RELAXED);
    KT_LPC_MESSAGE request, reply;

    for (ULONG i = 0; i < KT_LPC_REQUESTS; i++) {
        KtInitLpcMessage(&request, 0, index, i);
        request.Data[2] = i * 3;
        if (LpcRequestWaitReplyPort(stress->Port, &request.h, &reply.h) == STATUS_SUCCESS &&
            reply.Data[0] == index && reply.Data[1] == i && reply.Data[2] == i * 3 + 1 &&
            reply.h.ClientId.UniqueThread != PsGetCurrentThread()->Cid.UniqueThread)
            __atomic_add_fetch(&stress->Replies, 1, __ATOMIC_RELAXED);
        else
            __atomic_add_fetch(&stress->Wrong, 1, __ATOMIC_RELAXED);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

KTEST(LpcManyKernelClientsLoseNothing)
{
    ULONG messagesBefore = KtPoolTagCount(LPCP_MESSAGE_TAG);
    ULONG queuesBefore = KtPoolTagCount(LPCP_QUEUE_TAG);
    ETHREAD *servers[KT_LPC_SERVERS], *clients[KT_LPC_CLIENTS];
    KT_LPC_MESSAGE stop;

    memset(&KtStress, 0, sizeof(KtStress));
    KT_EXPECT_EQ(LpcpCreatePort(0, sizeof(KT_LPC_MESSAGE), FALSE, &KtStress.Port),
                 STATUS_SUCCESS);
    for (int i = 0; i < KT_LPC_SERVERS; i++)
        KT_EXPECT((servers[i] = KtStartThread(KtLpcServer, &KtStress, 9)) != NULL);
    for (int i = 0; i < KT_LPC_CLIENTS; i++)
        KT_EXPECT((clients[i] = KtStartThread(KtLpcClient, &KtStress, 8)) != NULL);
    for (int i = 0; i < KT_LPC_CLIENTS; i++) {
        KT_EXPECT_EQ(KtWaitLong(&clients[i]->Tcb, 300000), STATUS_WAIT_0);
        ObDereferenceObject(clients[i]);
    }
    for (int i = 0; i < KT_LPC_SERVERS; i++) {
        KtInitLpcMessage(&stop, 0, 0, 0);
        KT_EXPECT_EQ(LpcRequestPort(KtStress.Port, &stop.h), STATUS_SUCCESS);
    }
    for (int i = 0; i < KT_LPC_SERVERS; i++) {
        KT_EXPECT_EQ(KtWaitLong(&servers[i]->Tcb, 10000), STATUS_WAIT_0);
        ObDereferenceObject(servers[i]);
    }
    KT_EXPECT_EQ(KtStress.Wrong, 0);
    KT_EXPECT_EQ(KtStress.Replies, KT_LPC_CLIENTS * KT_LPC_REQUESTS);
    KT_EXPECT_EQ(KtStress.Served, KT_LPC_CLIENTS * KT_LPC_REQUESTS);
    KT_EXPECT(IsListEmpty(&KtStress.Port->MsgQueue.ReceiveHead));
    KT_EXPECT(IsListEmpty(&KtStress.Port->LpcReplyChainHead));
    ObDereferenceObject(KtStress.Port);
    KT_EXPECT_EQ(KtPoolTagCount(LPCP_MESSAGE_TAG), messagesBefore);
    KT_EXPECT_EQ(KtPoolTagCount(LPCP_QUEUE_TAG), queuesBefore);
}

KTEST(UserExceptionPort)
{
    KtExpectUserTestsPass("texcport");
}

// ---- A reply holds the thread it wakes; a request taken back takes its count ------------

#define KT_THREAD_TAG POOL_TAG('T', 'h', 'r', 'e')

static NTSTATUS KtOneRequestStatus;

static void KtLpcOneRequest(void *context)
{
    KT_LPC_MESSAGE request, reply;

    KtInitLpcMessage(&request, 0, 7, 0);
    KtOneRequestStatus = LpcRequestWaitReplyPort(context, &request.h, &reply.h);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

// The pool count of `tag` back to `expected` within a second (an exited
// thread's object goes once the reaper has run).
static BOOLEAN KtWaitForTagCount(ULONG tag, ULONG expected)
{
    for (int i = 0; i < 100; i++) {
        if (KtPoolTagCount(tag) == expected)
            return TRUE;
        KtSleep(10);
    }
    return FALSE;
}

KTEST(LpcReplyHoldsTheThreadItWakesUntilFreed)
{
    typedef union {
        PORT_MESSAGE h;
        UCHAR Bytes[LPCP_MAX_MESSAGE_LENGTH];
    } BUFFER;
    ULONG messagesBefore = KtPoolTagCount(LPCP_MESSAGE_TAG);
    ULONG threadsBefore = KtPoolTagCount(KT_THREAD_TAG);
    LARGE_INTEGER limit = KtRelativeTime(10000);
    LPCP_PORT_OBJECT *port;
    LPCP_MESSAGE *reply;
    ETHREAD *client;
    LONG_PTR references;
    void *portContext;
    BUFFER buffer;

    KT_EXPECT_EQ(LpcpCreatePort(0, sizeof(KT_LPC_MESSAGE), FALSE, &port), STATUS_SUCCESS);
    // Below this thread's priority on the one processor: it waits for its
    // reply and then runs only when this thread waits.
    client = KtStartThread(KtLpcOneRequest, port, PsGetCurrentThread()->Tcb.Priority - 1);
    KT_EXPECT(client != NULL);
    KT_EXPECT_EQ(LpcpReceive(port, KernelMode, &limit, &buffer.h, &portContext), STATUS_SUCCESS);
    KT_EXPECT(buffer.h.ClientId.UniqueThread == client->Cid.UniqueThread);
    // The request's reference on its sender is this thread's now.
    KT_EXPECT(PsGetCurrentThread()->LpcReceivedThread == client);
    references = ObGetObjectPointerCount(client);
    reply = LpcpAllocateMessage();
    KT_EXPECT(reply != NULL);
    memcpy(&reply->Request, &buffer, buffer.h.u1.s1.TotalLength);
    reply->Request.u2.s2.Type = LPC_REPLY;
    KT_EXPECT_EQ(LpcpReply(port, reply, FALSE), STATUS_SUCCESS);
    // The reply waits in the client's LpcReplyMessage, referencing it: the
    // receiver's reference handed over, none taken or dropped.
    KT_EXPECT(client->LpcReplyMessage == reply);
    KT_EXPECT(reply->RepliedToThread == client);
    KT_EXPECT(PsGetCurrentThread()->LpcReceivedThread == NULL);
    KT_EXPECT_EQ(ObGetObjectPointerCount(client), references);
    // The client frees the block: the reference goes with it.
    KT_EXPECT(KtJoinThread(client));
    KT_EXPECT_EQ(KtOneRequestStatus, STATUS_SUCCESS);
    ObDereferenceObject(port);
    KT_EXPECT_EQ(KtPoolTagCount(LPCP_MESSAGE_TAG), messagesBefore);
    KT_EXPECT(KtWaitForTagCount(KT_THREAD_TAG, threadsBefore));
}

// A message queued on `port` within a second.
static BOOLEAN KtWaitForQueuedMessage(LPCP_PORT_OBJECT *port)
{
    for (int i = 0; i < 100; i++) {
        if (port->MsgQueue.Semaphore->Header.SignalState > 0)
            return TRUE;
        KtSleep(10);
    }
    return FALSE;
}

// A request's block references its sender; the receive hands the reference
// to the receiving thread (LpcReceivedThread), which lets it go when it
// receives the next message, and a reply to a client it does not hold
// still finds it (through the Cid table).
KTEST(LpcReceiverHoldsItsClientUntilTheNextReceive)
{
    typedef union {
        PORT_MESSAGE h;
        UCHAR Bytes[LPCP_MAX_MESSAGE_LENGTH];
    } BUFFER;
    ULONG messagesBefore = KtPoolTagCount(LPCP_MESSAGE_TAG);
    ULONG threadsBefore = KtPoolTagCount(KT_THREAD_TAG);
    LARGE_INTEGER limit = KtRelativeTime(10000);
    ETHREAD *self = PsGetCurrentThread();
    KT_LPC_MESSAGE datagram;
    LPCP_PORT_OBJECT *port;
    LPCP_MESSAGE *reply;
    ETHREAD *client;
    LONG_PTR queued;
    void *portContext;
    BUFFER request, other;

    KT_EXPECT_EQ(LpcpCreatePort(0, sizeof(KT_LPC_MESSAGE), FALSE, &port), STATUS_SUCCESS);
    client = KtStartThread(KtLpcOneRequest, port, self->Tcb.Priority - 1);
    KT_EXPECT(client != NULL);
    // Let the client queue its request (it then waits for the reply).
    KT_EXPECT(KtWaitForQueuedMessage(port));
    queued = ObGetObjectPointerCount(client);
    KT_EXPECT_EQ(LpcpReceive(port, KernelMode, &limit, &request.h, &portContext),
                 STATUS_SUCCESS);
    KT_EXPECT(self->LpcReceivedThread == client);
    KT_EXPECT_EQ(ObGetObjectPointerCount(client), queued);
    // The next message received (a datagram) lets the client go.
    KtInitLpcMessage(&datagram, 0, 1, 2);
    KT_EXPECT_EQ(LpcRequestPort(port, &datagram.h), STATUS_SUCCESS);
    KT_EXPECT_EQ(LpcpReceive(port, KernelMode, &limit, &other.h, &portContext),
                 STATUS_SUCCESS);
    KT_EXPECT_EQ(LpcpMessageType(&other.h), LPC_DATAGRAM);
    KT_EXPECT(self->LpcReceivedThread == NULL);
    KT_EXPECT_EQ(ObGetObjectPointerCount(client), queued - 1);
    // The reply to the first request: the client found by its Cid.
    reply = LpcpAllocateMessage();
    KT_EXPECT(reply != NULL);
    memcpy(&reply->Request, &request, request.h.u1.s1.TotalLength);
    reply->Request.u2.s2.Type = LPC_REPLY;
    KT_EXPECT_EQ(LpcpReply(port, reply, FALSE), STATUS_SUCCESS);
    KT_EXPECT(reply->RepliedToThread == client);
    KT_EXPECT_EQ(ObGetObjectPointerCount(client), queued);
    KT_EXPECT(KtJoinThread(client));
    KT_EXPECT_EQ(KtOneRequestStatus, STATUS_SUCCESS);
    ObDereferenceObject(port);
    KT_EXPECT_EQ(KtPoolTagCount(LPCP_MESSAGE_TAG), messagesBefore);
    KT_EXPECT(KtWaitForTagCount(KT_THREAD_TAG, threadsBefore));
}

static void KtLpcReceiveAndEnd(void *context)
{
    union {
        PORT_MESSAGE h;
        UCHAR Bytes[LPCP_MAX_MESSAGE_LENGTH];
    } buffer;
    LARGE_INTEGER limit = KtRelativeTime(10000);
    void *portContext;

    LpcpReceive(context, KernelMode, &limit, &buffer.h, &portContext);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

// A server thread that ends holding a client it never answered lets it go
// (LpcExitThread); the client, still waiting, is woken by the port's
// rundown and ends too, and nothing stays behind.
KTEST(LpcServerEndingUnansweredLetsItsClientGo)
{
    ULONG messagesBefore = KtPoolTagCount(LPCP_MESSAGE_TAG);
    ULONG threadsBefore = KtPoolTagCount(KT_THREAD_TAG);
    ETHREAD *self = PsGetCurrentThread();
    LPCP_PORT_OBJECT *port;
    ETHREAD *client, *server;
    LONG_PTR queued;

    KT_EXPECT_EQ(LpcpCreatePort(0, sizeof(KT_LPC_MESSAGE), FALSE, &port), STATUS_SUCCESS);
    client = KtStartThread(KtLpcOneRequest, port, self->Tcb.Priority - 1);
    KT_EXPECT(client != NULL);
    KT_EXPECT(KtWaitForQueuedMessage(port));
    queued = ObGetObjectPointerCount(client);
    server = KtStartThread(KtLpcReceiveAndEnd, port, self->Tcb.Priority - 1);
    KT_EXPECT(server != NULL);
    KT_EXPECT(KtJoinThread(server));
    KT_EXPECT_EQ(ObGetObjectPointerCount(client), queued - 1);
    // The port's deletion wakes the client: no reply.
    ObDereferenceObject(port);
    KT_EXPECT(KtJoinThread(client));
    KT_EXPECT_EQ(KtOneRequestStatus, STATUS_LPC_REPLY_LOST);
    KT_EXPECT_EQ(KtPoolTagCount(LPCP_MESSAGE_TAG), messagesBefore);
    KT_EXPECT(KtWaitForTagCount(KT_THREAD_TAG, threadsBefore));
}

// "Semaphore state N" in `!lpc port ADDR`'s output.
static BOOLEAN KtLpcPortShowsSemaphoreState(LPCP_PORT_OBJECT *port, LONG state)
{
    static char output[8192];
    char line[64], expected[48];
    size_t length;

    RtlStringPrintf(line, sizeof(line), "!lpc port %llx", (unsigned long long)(ULONG_PTR)port);
    RtlStringPrintf(expected, sizeof(expected), "Semaphore state %d (0x%x)", state, (ULONG)state);
    KdpSetOutputCapture(output, sizeof(output));
    KdpExecuteLine(line);
    KdpSetOutputCapture(NULL, 0);
    length = strlen(expected);
    for (const char *text = output; *text; text++) {
        if (!strncmp(text, expected, length))
            return TRUE;
    }
    DbgPrint("KTEST: no \"%s\" in:\n%s\n", expected, output);
    return FALSE;
}

KTEST(LpcRequestTakenBackTakesItsQueueCount)
{
    ULONG messagesBefore = KtPoolTagCount(LPCP_MESSAGE_TAG);

    for (int waitable = 0; waitable < 2; waitable++) {
        typedef union {
            PORT_MESSAGE h;
            UCHAR Bytes[LPCP_MAX_MESSAGE_LENGTH];
        } BUFFER;
        LARGE_INTEGER shortWait = KtRelativeTime(50);
        LPCP_PORT_OBJECT *port;
        LPCP_MESSAGE *message;
        LIST_ENTRY freeList;
        void *portContext;
        BUFFER buffer;
        KIRQL oldIrql;

        KT_EXPECT_EQ(LpcpCreatePort(0, sizeof(KT_LPC_MESSAGE), (BOOLEAN)waitable, &port),
                     STATUS_SUCCESS);
        message = LpcpAllocateMessage();
        KT_EXPECT(message != NULL);
        KtInitLpcMessage((KT_LPC_MESSAGE *)&message->Request, LPC_REQUEST, 1, 2);
        message->Request.ClientId = PsGetCurrentThread()->Cid;
        message->Request.MessageId = 0x4711;
        oldIrql = LpcpAcquireLock();
        KT_EXPECT_EQ(LpcpQueueMessage(port, message, TRUE), STATUS_SUCCESS);
        LpcpReleaseLock(oldIrql);
        KT_EXPECT_EQ(KeReadStateSemaphore(port->MsgQueue.Semaphore), 1);
        KT_EXPECT(KtLpcPortShowsSemaphoreState(port, 1));
        // As a dying sender does: the request leaves the queue unreceived.
        InitializeListHead(&freeList);
        oldIrql = LpcpAcquireLock();
        LpcpCancelRequest(port, PsGetCurrentThread(), 0x4711, &freeList);
        LpcpReleaseLock(oldIrql);
        KT_EXPECT(!IsListEmpty(&freeList));
        LpcpFreeMessageList(&freeList);
        KT_EXPECT_EQ(KeReadStateSemaphore(port->MsgQueue.Semaphore), 0);
        KT_EXPECT(KtLpcPortShowsSemaphoreState(port, 0));
        if (waitable)
            KT_EXPECT_EQ(KeReadStateEvent(&port->WaitEvent), 0);
        // The next receive waits: nothing wakes it early.
        KT_EXPECT_EQ(LpcpReceive(port, KernelMode, &shortWait, &buffer.h, &portContext),
                     STATUS_TIMEOUT);
        ObDereferenceObject(port);
    }
    KT_EXPECT_EQ(KtPoolTagCount(LPCP_MESSAGE_TAG), messagesBefore);
}

// ---- The thread's free message block (lpcinit.c) ------------------------------------------

typedef struct _KT_LPC_CACHE {
    volatile LONG Cached;       // the thread held a block in its cache before ending
} KT_LPC_CACHE;

static void KtLpcCacheOneBlock(void *context)
{
    KT_LPC_CACHE *cache = context;
    LPCP_MESSAGE *message = LpcpAllocateMessage();

    if (message)
        LpcpFreeMessage(message);
    cache->Cached = PsGetCurrentThread()->LpcCachedMessage != NULL;
}

// A block freed by a thread stays in its cache for its next message; when
// the thread ends the block goes back to the list: none is stranded in a
// dead thread, and the count of free blocks does not move.
KTEST(LpcThreadsCachedBlockGoesBackToTheListWhenItEnds)
{
    KT_LPC_CACHE cache = {0};
    ULONG countBefore, listedBefore, countAfter, listedAfter;
    ETHREAD *thread;

    LpcpQueryFreeMessages(&countBefore, &listedBefore);
    thread = KtStartThread(KtLpcCacheOneBlock, &cache, KT_HIGH_PRIORITY);
    KT_EXPECT(thread != NULL);
    KT_EXPECT(KtJoinThread(thread));
    LpcpQueryFreeMessages(&countAfter, &listedAfter);
    KT_EXPECT_EQ(cache.Cached, 1);
    KT_EXPECT_EQ(countAfter, countBefore);
    KT_EXPECT_EQ(countAfter - listedAfter, countBefore - listedBefore);
}

// lsass (and smss, the same code: user/lib/lpcserver.c) closes a client's
// server communication port handle when the client's port goes: connecting
// and going away eight times leaves its handle count where it was. (It
// accepted with a NULL PortContext and so closed "NULL": one handle left
// behind per departed client.)
KTEST(LsassClosesTheServerPortOfEachClientThatWent)
{
    static const SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), SecurityImpersonation,
                                                    SECURITY_DYNAMIC_TRACKING, FALSE};
    UNICODE_STRING name;
    EPROCESS *lsass;
    void *client = NULL;
    ULONG before = 0, after = 0;
    NTSTATUS status = STATUS_OBJECT_NAME_NOT_FOUND;

    RtlInitUnicodeString(&name, u"\\LsaAuthenticationPort");
    KT_EXPECT(NT_SUCCESS(PsStartUserProgram("lsass", "lsass", &lsass)));
    // The first connection waits for lsass to make its port.
    for (int i = 0; i < 500 && !NT_SUCCESS(status); i++) {
        status = LpcConnectPort(&name, &qos, &client);
        if (!NT_SUCCESS(status))
            KtSleep(10);
    }
    if (NT_SUCCESS(status)) {
        ObDereferenceObject(client);
        KtSleep(100);
        before = ObGetProcessHandleCount(lsass);
        for (int i = 0; i < 8 && NT_SUCCESS(status); i++) {
            status = LpcConnectPort(&name, &qos, &client);
            if (NT_SUCCESS(status))
                ObDereferenceObject(client);
        }
        // lsass's dispatcher takes each LPC_PORT_CLOSED in turn.
        for (int i = 0; i < 200 && (after = ObGetProcessHandleCount(lsass)) != before; i++)
            KtSleep(10);
    }
    // Ended before the next test: the port's name is free again.
    PsTerminateProcess(lsass, STATUS_SUCCESS);
    KT_CHECK_EQ(KtWait(&lsass->Pcb), STATUS_WAIT_0);
    ObDereferenceObject(lsass);
    KT_EXPECT(NT_SUCCESS(status));
    KT_EXPECT_EQ(after, before);
}
