// The LPC benchmarks between two kernel threads (the process-to-process ones
// are ubench.exe's): a request and its reply (LpcRequestWaitReplyPort
// against a server in LpcpReplyWaitReceivePort), and a datagram
// (LpcRequestPort) taken by a waiting receiver. A datagram's figure is the
// send's: the receiver, woken with a boost above the sender, takes the
// message before the sender goes on, so the delivery is included.

#include "tests/kernel/ktest.h"
#include "tests/kernel/kbench.h"
#include "lpc/lpcp.h"
#include "mm/mm.h"
#include "ke/kephase.h"
#include "arch/x86_64/x86.h"

#define KB_LPC_ROUNDS 10000
// The round trip again with this many other ports, and as many messages
// queued on one of them: its cost must not depend on either.
#define KB_LPC_LARGE  10000
#define KB_LPC_TAG    POOL_TAG('K', 'b', 'L', 'p')

typedef struct _KB_LPC_MESSAGE {
    PORT_MESSAGE h;
    ULONG Value;
    ULONG Stop;             // a datagram with Stop set ends the server
} KB_LPC_MESSAGE;

static void KbInitLpcMessage(KB_LPC_MESSAGE *message, ULONG value, ULONG stop)
{
    memset(message, 0, sizeof(*message));
    message->h.u1.s1.DataLength = (CSHORT)(sizeof(*message) - sizeof(PORT_MESSAGE));
    message->h.u1.s1.TotalLength = (CSHORT)sizeof(*message);
    message->Value = value;
    message->Stop = stop;
}

// Answers requests with their value plus one; takes datagrams; ends on a
// datagram with Stop set.
static void KbLpcServer(void *context)
{
    union {
        PORT_MESSAGE h;
        UCHAR Bytes[LPCP_MAX_MESSAGE_LENGTH];
    } buffer;
    LPCP_PORT_OBJECT *port = context;
    LPCP_MESSAGE *reply = NULL;
    void *portContext;

    for (;;) {
        KB_LPC_MESSAGE *message = (KB_LPC_MESSAGE *)&buffer.h;
        NTSTATUS status = LpcpReplyWaitReceivePort(port, reply, &buffer.h, &portContext,
                                                   KernelMode, NULL);

        reply = NULL;
        if (status != STATUS_SUCCESS || (LpcpMessageType(&buffer.h) == LPC_DATAGRAM &&
                                         message->Stop))
            break;
        if (LpcpMessageType(&buffer.h) != LPC_REQUEST)
            continue;
        reply = LpcpAllocateMessageForCopy();
        if (!reply)
            break;
        memcpy(&reply->Request, &buffer, buffer.h.u1.s1.TotalLength);
        reply->Request.u2.s2.Type = LPC_REPLY;
        ((KB_LPC_MESSAGE *)&reply->Request)->Value++;
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

// Request/reply rounds against `port`'s server; FALSE if one failed.
static BOOLEAN KbLpcRequestReply(LPCP_PORT_OBJECT *port, ULONG64 *samples)
{
    KB_LPC_MESSAGE request, reply;

    for (ULONG i = 0; i < KB_LPC_ROUNDS; i++) {
        ULONG64 start;

        KbInitLpcMessage(&request, i, FALSE);
        start = __rdtsc();
        if (LpcRequestWaitReplyPort(port, &request.h, &reply.h) != STATUS_SUCCESS ||
            reply.Value != i + 1)
            return FALSE;
        samples[i] = __rdtsc() - start;
    }
    return TRUE;
}

// The crowd of KbLpcCrowd: each waits on `Go` and ends.
static void KbLpcCrowdThread(void *context)
{
    KeWaitForSingleObject(context, Executive, KernelMode, FALSE, NULL);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

// The request/reply rounds again with KB_LPC_LARGE other threads alive,
// each blocked in a wait, at the benchmark's priority (so that every one
// would be a candidate for the ready lists once woken): the round trip's
// cost must not depend on the threads the system has.
static void KbLpcCrowd(LPCP_PORT_OBJECT *port, ULONG64 *samples)
{
    ETHREAD **threads = ExAllocatePoolWithTag(NonPagedPool, KB_LPC_LARGE * sizeof(*threads),
                                              KB_LPC_TAG);
    KEVENT go;
    ULONG count = 0;
    BOOLEAN ok;

    if (!threads) {
        DbgPrint("BENCH error: no memory for %u threads\n", KB_LPC_LARGE);
        return;
    }
    KeInitializeEvent(&go, NotificationEvent, FALSE);
    while (count < KB_LPC_LARGE &&
           NT_SUCCESS(PsCreateSystemThreadEx(NULL, KbLpcCrowdThread, &go, BENCH_PRIORITY, NULL,
                                             &threads[count])))
        count++;
    ok = count == KB_LPC_LARGE && KbLpcRequestReply(port, samples);
    if (ok)
        KbReport("lpc-request-reply-kernel-10000-threads", samples, KB_LPC_ROUNDS, "cycles");
    else
        DbgPrint("BENCH error: %u other threads: the round trip failed\n", count);
    KeSetEvent(&go, 0, FALSE);
    while (count) {
        ETHREAD *thread = threads[--count];

        KeWaitForSingleObject(&thread->Tcb, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(thread);
    }
    ExFreePoolWithTag(threads, KB_LPC_TAG);
}

// KB_LPC_LARGE more ports, KB_LPC_LARGE messages queued on the first of
// them, and the request/reply rounds again.
static void KbLpcLarge(LPCP_PORT_OBJECT *port, ULONG64 *samples)
{
    LPCP_PORT_OBJECT **others = ExAllocatePoolWithTag(NonPagedPool,
                                                      KB_LPC_LARGE * sizeof(*others),
                                                      KB_LPC_TAG);
    ULONG ports = 0, queued = 0;
    BOOLEAN ok;

    if (!others) {
        DbgPrint("BENCH error: no memory for %u ports\n", KB_LPC_LARGE);
        return;
    }
    while (ports < KB_LPC_LARGE &&
           NT_SUCCESS(LpcpCreatePort(0, sizeof(KB_LPC_MESSAGE), FALSE, &others[ports])))
        ports++;
    while (ports && queued < KB_LPC_LARGE) {
        LPCP_MESSAGE *message = LpcpAllocateMessage();
        KIRQL oldIrql;

        if (!message)
            break;
        KbInitLpcMessage((KB_LPC_MESSAGE *)&message->Request, queued, FALSE);
        message->Request.u2.s2.Type = LPC_DATAGRAM;
        oldIrql = LpcpAcquireLock();
        LpcpQueueMessage(others[0], message, FALSE);
        LpcpReleaseLock(oldIrql);
        queued++;
    }
    ok = ports == KB_LPC_LARGE && queued == KB_LPC_LARGE && KbLpcRequestReply(port, samples);
    if (ok)
        KbReport("lpc-request-reply-kernel-10000-ports", samples, KB_LPC_ROUNDS, "cycles");
    else
        DbgPrint("BENCH error: %u ports, %u queued messages: the round trip failed\n", ports,
                 queued);
    // A port's deletion frees the messages on its queue.
    while (ports)
        ObDereferenceObject(others[--ports]);
    ExFreePoolWithTag(others, KB_LPC_TAG);
}

void KbLpc(ULONG64 *samples)
{
    LPCP_PORT_OBJECT *port;
    ETHREAD *server;
    KB_LPC_MESSAGE request;
    BOOLEAN ok = TRUE;

    if (!NT_SUCCESS(LpcpCreatePort(0, sizeof(KB_LPC_MESSAGE), FALSE, &port)))
        return;
    // The server runs above the benchmark thread, as a waiting server
    // woken with a boost does.
    if (!NT_SUCCESS(PsCreateSystemThreadEx(NULL, KbLpcServer, port, BENCH_PRIORITY + 1, NULL,
                                           &server))) {
        ObDereferenceObject(port);
        return;
    }
    KiPhaseStart();
    ok = KbLpcRequestReply(port, samples);
    KiPhaseReport("lpc-request-reply-kernel", KB_LPC_ROUNDS);
    if (ok)
        KbReport("lpc-request-reply-kernel", samples, KB_LPC_ROUNDS, "cycles");
    KiPhaseStart();
    for (ULONG i = 0; i < KB_LPC_ROUNDS && ok; i++) {
        ULONG64 start;

        KbInitLpcMessage(&request, i, FALSE);
        start = __rdtsc();
        ok = LpcRequestPort(port, &request.h) == STATUS_SUCCESS;
        samples[i] = __rdtsc() - start;
    }
    KiPhaseReport("lpc-datagram-kernel", KB_LPC_ROUNDS);
    if (ok)
        KbReport("lpc-datagram-kernel", samples, KB_LPC_ROUNDS, "cycles");
    else
        DbgPrint("BENCH error: an LPC round trip failed\n");
    if (ok && !KE_PHASES_BUILT) {
        KbLpcLarge(port, samples);
        KbLpcCrowd(port, samples);
    }
    KbInitLpcMessage(&request, 0, TRUE);
    LpcRequestPort(port, &request.h);
    KeWaitForSingleObject(&server->Tcb, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(server);
    ObDereferenceObject(port);
}

// The request and reply again, the server pinned to processor 1 (the caller
// is on processor 0, kbenchmp.c): the wake of each side crosses processors.
void KbLpcCrossProcessor(ULONG64 *samples)
{
    LPCP_PORT_OBJECT *port;
    ETHREAD *server;
    KB_LPC_MESSAGE request;
    BOOLEAN ok;

    if (!NT_SUCCESS(LpcpCreatePort(0, sizeof(KB_LPC_MESSAGE), FALSE, &port)))
        return;
    if (!NT_SUCCESS(PsCreateSystemThreadEx(NULL, KbLpcServer, port, BENCH_PRIORITY + 1, NULL,
                                           &server))) {
        ObDereferenceObject(port);
        return;
    }
    KeSetAffinityThread(&server->Tcb, 2);
    ok = KbLpcRequestReply(port, samples);
    if (ok && server->Tcb.NextProcessor == 1)
        KbReport("lpc-request-reply-kernel-2-processors", samples, KB_LPC_ROUNDS, "cycles");
    else
        DbgPrint("BENCH error: the cross-processor LPC round trip failed\n");
    KbInitLpcMessage(&request, 0, TRUE);
    LpcRequestPort(port, &request.h);
    KeWaitForSingleObject(&server->Tcb, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(server);
    ObDereferenceObject(port);
}
