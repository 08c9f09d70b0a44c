// chainnode.exe: a link of exercise 002's ALPC chain (kernel/kd/ex002.c),
// started under one of several image names (user/aliases.txt). Its role
// comes from the command line:
//
//   IMAGE client NEXT WORKERS KEEP  a client with a pool of WORKERS threads;
//                                   each asks NEXT for a record and ends, as
//                                   a pool shrinks when idle; KEEP-1 threads
//                                   stay, idle; then the first thread asks
//                                   for the record that never comes
//   IMAGE relay OWN NEXT DELAY POOL serves OWN with POOL threads; answers
//                                   record 1 from its cache, asks NEXT for
//                                   the others, after DELAY ms of its own
//                                   work, from the thread that received the
//                                   request
//   IMAGE end OWN POOL              serves OWN with POOL threads, the end of
//                                   the chain: each
//                                   lookup takes the one-slot record lock (a
//                                   semaphore, waited for with a day-long
//                                   timeout), which, through the bug, it
//                                   never gives back
//
// The programs print nothing: the story is for the debugger to tell.

#include "user/include/alpcdemo.h"
#include "user/include/cmdline.h"

#define NODE_CACHED_RECORD 1    // the relays answer it themselves
#define NODE_LOCKING_RECORD 3   // the worker's lookup that keeps the end's lock
#define NODE_LOST_RECORD 2      // the client's last request: never answered
#define NODE_LOCK_TIMEOUT (-24LL * 3600 * 1000 * 10000)
#define NODE_MAX_WORKERS 16

static HANDLE NodeNextPort;         // client and relay: the next link's port
static HANDLE NodeRecordLock;       // end: the record lock
static HANDLE NodePort;             // relay and end: the port they serve
static void (*NodeHandler)(ALPCDEMO_MESSAGE *message);
static ULONG NodeDelay;             // relay: ms of work before asking the next link
static CMDLINE NodeLine;

static NTSTATUS NodeConnect(const char *name, HANDLE *port)
{
    WCHAR wide[64];

    CmdLineWiden(name, wide, 64);
    return AlpcDemoConnect(wide, port);
}

static NTSTATUS NodeAsk(HANDLE port, ULONG request, ULONG record, ALPCDEMO_MESSAGE *answer)
{
    ALPCDEMO_MESSAGE message;
    SIZE_T length = sizeof(*answer);

    AlpcDemoInitializeMessage(&message);
    message.Request = request;
    message.Record = record;
    return NtAlpcSendWaitReceivePort(port, ALPC_MSGFLG_SYNC_REQUEST, &message.h, NULL,
                                     &answer->h, &length, NULL, NULL);
}

// ---- client -----------------------------------------------------------------

static NTSTATUS NTAPI NodeWorker(PVOID argument)
{
    ULONG index = (ULONG)(ULONG_PTR)argument;
    ALPCDEMO_MESSAGE answer;

    // One worker's lookup goes all the way to the end, and takes its lock.
    NodeAsk(NodeNextPort, index + 1, index == 0 ? NODE_LOCKING_RECORD : NODE_CACHED_RECORD,
            &answer);
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI NodeIdle(PVOID argument)
{
    HANDLE never;

    if (NT_SUCCESS(NtCreateEvent(&never, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE)))
        NtWaitForSingleObject(never, FALSE, NULL);
    return STATUS_SUCCESS;
}

static NTSTATUS NodeClient(void)
{
    ULONG workers = CmdLineNumber(&NodeLine, 3), keep = CmdLineNumber(&NodeLine, 4);
    HANDLE threads[NODE_MAX_WORKERS];
    ALPCDEMO_MESSAGE answer;
    NTSTATUS status;

    if (workers > NODE_MAX_WORKERS)
        workers = NODE_MAX_WORKERS;
    status = NodeConnect(CmdLineWord(&NodeLine, 2), &NodeNextPort);
    if (!NT_SUCCESS(status))
        return status;
    // The pool: each worker does its one request and ends, one by one, so
    // that the lookup that takes the end's lock is over before the next.
    for (ULONG i = 0; i < workers; i++) {
        status = NtCreateThreadEx(&threads[i], THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                                  (PVOID)NodeWorker, (PVOID)(ULONG_PTR)i, 0, 0, 0, 0, NULL);
        if (!NT_SUCCESS(status))
            return status;
        NtWaitForSingleObject(threads[i], FALSE, NULL);
        NtClose(threads[i]);
    }
    for (ULONG i = 1; i < keep; i++) {
        HANDLE idle;

        if (NT_SUCCESS(NtCreateThreadEx(&idle, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                                        (PVOID)NodeIdle, NULL, 0, 0, 0, 0, NULL)))
            NtClose(idle);
    }
    return NodeAsk(NodeNextPort, workers + 1, NODE_LOST_RECORD, &answer);
}

// ---- relay and end ----------------------------------------------------------

static void NodeRelay(ALPCDEMO_MESSAGE *message)
{
    LARGE_INTEGER work = {.QuadPart = -10000LL * NodeDelay};
    ALPCDEMO_MESSAGE answer;
    NTSTATUS status;

    if (message->Record == NODE_CACHED_RECORD) {
        snprintf(message->Text, sizeof(message->Text), "record %u (cached)", message->Record);
        message->Status = STATUS_SUCCESS;
        return;
    }
    NtDelayExecution(FALSE, &work);
    status = NodeAsk(NodeNextPort, message->Request, message->Record, &answer);
    message->Status = NT_SUCCESS(status) ? answer.Status : status;
    memcpy(message->Text, answer.Text, sizeof(message->Text));
}

static void NodeLookup(ALPCDEMO_MESSAGE *message)
{
    LARGE_INTEGER timeout = {.QuadPart = NODE_LOCK_TIMEOUT};
    NTSTATUS status = NtWaitForSingleObject(NodeRecordLock, FALSE, &timeout);

    if (status != STATUS_WAIT_0) {
        message->Status = status;
        return;
    }
    snprintf(message->Text, sizeof(message->Text), "record %u", message->Record);
    message->Status = STATUS_SUCCESS;
    // The bug: the record lock is not released (NtReleaseSemaphore is missing).
}

// A server thread's loop: accepts every connection, answers every request
// through the connection port, as NT's servers do.
static NTSTATUS NTAPI NodeServe(PVOID argument)
{
    static ULONG contexts[8];
    static volatile LONG accepted;
    HANDLE port = NodePort;
    ALPCDEMO_MESSAGE message, reply;
    BOOLEAN replying = FALSE;

    for (;;) {
        SIZE_T length = sizeof(message);
        NTSTATUS status;

        status = NtAlpcSendWaitReceivePort(port, replying ? ALPC_MSGFLG_REPLY_MESSAGE : 0,
                                           replying ? &reply.h : NULL, NULL, &message.h,
                                           &length, NULL, NULL);
        replying = FALSE;
        if (!NT_SUCCESS(status))
            return status;
        if ((message.h.u2.s2.Type & 0xFF) == LPC_CONNECTION_REQUEST) {
            HANDLE communication;
            ALPC_PORT_ATTRIBUTES attributes;

            AlpcDemoInitializeAttributes(&attributes);
            NtAlpcAcceptConnectPort(&communication, port, 0, NULL, &attributes,
                                    &contexts[__atomic_fetch_add(&accepted, 1, __ATOMIC_RELAXED) % 8],
                                    &message.h, NULL, TRUE);
        } else if ((message.h.u2.s2.Type & 0xFF) == LPC_REQUEST) {
            reply = message;
            NodeHandler(&reply);
            replying = TRUE;
        }
    }
}

static NTSTATUS NodeCreatePort(const char *name, HANDLE *port)
{
    WCHAR wide[64];

    CmdLineWiden(name, wide, 64);
    return AlpcDemoCreatePort(wide, port);
}

// A pool of `threads` server threads on NodePort, the first thread among them.
static NTSTATUS NodeServePool(ULONG threads)
{
    for (ULONG i = 1; i < threads && i < NODE_MAX_WORKERS; i++) {
        HANDLE thread;

        if (NT_SUCCESS(NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                                        (PVOID)NodeServe, NULL, 0, 0, 0, 0, NULL)))
            NtClose(thread);
    }
    return NodeServe(NULL);
}

int main(void)
{
    const char *role;
    NTSTATUS status;

    CmdLineParse(&NodeLine);
    role = CmdLineWord(&NodeLine, 1);
    if (!strcmp(role, "client"))
        return NodeClient();
    if (!strcmp(role, "relay")) {
        NodeDelay = CmdLineNumber(&NodeLine, 4);
        NodeHandler = NodeRelay;
        status = NodeCreatePort(CmdLineWord(&NodeLine, 2), &NodePort);
        if (NT_SUCCESS(status))
            status = NodeConnect(CmdLineWord(&NodeLine, 3), &NodeNextPort);
        return NT_SUCCESS(status) ? NodeServePool(CmdLineNumber(&NodeLine, 5)) : status;
    }
    if (!strcmp(role, "end")) {
        status = NtCreateSemaphore(&NodeRecordLock, SEMAPHORE_ALL_ACCESS, NULL, 1, 0x7fffffff);
        NodeHandler = NodeLookup;
        if (NT_SUCCESS(status))
            status = NodeCreatePort(CmdLineWord(&NodeLine, 2), &NodePort);
        return NT_SUCCESS(status) ? NodeServePool(CmdLineNumber(&NodeLine, 3)) : status;
    }
    printf("chainnode: no role \"%s\" (client, relay or end)\n", role);
    return STATUS_INVALID_PARAMETER;
}
