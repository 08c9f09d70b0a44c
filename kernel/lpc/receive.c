// Receiving: NtReplyWaitReceivePort(Ex) and NtListenPort. A server thread
// waits on its receive queue's semaphore (WrLpcReceive, a user-mode wait,
// so that terminating it works) and takes the oldest message. A connection
// request stays with the client thread that waits on it (its
// LpcReplyMessage) for NtAcceptConnectPort to find; a request carrying a
// data-info block stays on the port's data-info chain for
// NtReadRequestData/NtWriteRequestData until it is answered; every other
// block goes back to the free list once copied.

#include "lpc/lpcp.h"
#include "lpc/replyex.h"
#include "mm/mm.h"
#include "ke/kephase.h"
#include "ke/kiwait.h"

typedef union _LPCP_RECEIVE_BUFFER {
    PORT_MESSAGE Header;
    UCHAR Bytes[LPCP_MAX_MESSAGE_LENGTH];
} LPCP_RECEIVE_BUFFER;

// What the receiver of a connection request sees: the client's
// connection information as the data (NT's lengths).
static void LpcpCopyConnectionRequest(LPCP_MESSAGE *message, PORT_MESSAGE *receive)
{
    ULONG infoLength = (USHORT)message->Request.u1.s1.DataLength -
                       sizeof(LPCP_CONNECTION_MESSAGE);

    *receive = message->Request;
    receive->u1.s1.DataLength = (CSHORT)infoLength;
    receive->u1.s1.TotalLength = (CSHORT)(sizeof(PORT_MESSAGE) + infoLength);
    memcpy(receive + 1, LpcpConnectionMessage(message) + 1, infoLength);
}

// The receive on a port's queue (its semaphore there): a caller that
// replied with the dispatcher lock kept (LpcpReplyWaitNext) comes here
// with it and waits first thing. With `taken`, an ordinary message is not
// copied into `receive` but its block handed over (*taken), for the caller
// to copy straight to the user's buffer and free. In line in its two
// callers, so that the kernel's receive does not test for `taken`.
static inline __attribute__((always_inline)) NTSTATUS
LpcpReceiveFrom(LPCP_PORT_OBJECT *receivePort, KPROCESSOR_MODE waitMode, LARGE_INTEGER *timeout,
                PORT_MESSAGE *receive, void **portContext, LPCP_MESSAGE **taken)
{
    ETHREAD *thread = PsGetCurrentThread();
    LPCP_MESSAGE *message;
    ETHREAD *previousClient;
    NTSTATUS status;
    KIRQL oldIrql;

    KE_PHASE(KiPhaseLpcReceiveWait);
    // After a reply handed off (LpcpReplyWaitNext) or none, a plain wait
    // takes KeWaitForSingleObject's short paths.
    status = KeWaitForSingleObject(receivePort->MsgQueue.Semaphore, WrLpcReceive, waitMode,
                                   FALSE, timeout);
    KE_PHASE(KiPhaseLpcReceiveWoken);
    if (status != STATUS_SUCCESS)
        return status;                          // STATUS_TIMEOUT, STATUS_USER_APC
    message = thread->LpcHandoffMessage;
    if (message) {
        // Handed over with the count by its sender (an ordinary message,
        // never queued: LpcpQueueMessageWaitNext), known to no other thread
        // now; what changes is this thread's own, which only it writes.
        thread->LpcHandoffMessage = NULL;
        thread->LpcReceivedMessageId = message->Request.MessageId;
        thread->LpcReceivedMsgIdValid = TRUE;
        previousClient = thread->LpcReceivedThread;
        thread->LpcReceivedThread = message->RepliedToThread;
        message->RepliedToThread = NULL;
        *portContext = message->PortContext;
        goto received;
    }
    oldIrql = LpcpAcquireLock();
    if (IsListEmpty(&receivePort->MsgQueue.ReceiveHead)) {
        // A count without a message. The port was run down: pass the wake
        // on to the next receiver. Otherwise a dying sender took its request
        // back after this thread had taken the count (LpcpUncountMessage):
        // NT's receive answers an empty queue with STATUS_UNSUCCESSFUL.
        if (receivePort->Flags & LPCP_PORT_DELETED) {
            KeReleaseSemaphore(receivePort->MsgQueue.Semaphore, 1, 1, FALSE);
            status = STATUS_PORT_DISCONNECTED;
        } else {
            if (receivePort->Flags & LPCP_WAITABLE_PORT)
                KeClearEvent(&receivePort->WaitEvent);
            status = STATUS_UNSUCCESSFUL;
        }
        LpcpReleaseLock(oldIrql);
        return status;
    }
    message = CONTAINING_RECORD(RemoveHeadList(&receivePort->MsgQueue.ReceiveHead),
                                LPCP_MESSAGE, Entry);
    InitializeListHead(&message->Entry);
    if ((receivePort->Flags & LPCP_WAITABLE_PORT) &&
        IsListEmpty(&receivePort->MsgQueue.ReceiveHead))
        KeClearEvent(&receivePort->WaitEvent);
    thread->LpcReceivedMessageId = message->Request.MessageId;
    thread->LpcReceivedMsgIdValid = TRUE;
    // A request's sender, referenced by its block, becomes this thread's
    // to reply to (NULL for anything else); the one it replaced, never
    // replied to through it, is let go once the lock is released.
    previousClient = thread->LpcReceivedThread;
    thread->LpcReceivedThread = message->RepliedToThread;
    message->RepliedToThread = NULL;
    if (LpcpMessageType(&message->Request) == LPC_CONNECTION_REQUEST) {
        // The client keeps it; copied now, while the lock says it exists.
        LpcpCopyConnectionRequest(message, receive);
        *portContext = NULL;
        message = NULL;
    } else {
        *portContext = message->PortContext;
        if (message->Request.u2.s2.DataInfoOffset &&
            LpcpMessageType(&message->Request) == LPC_REQUEST) {
            memcpy(receive, &message->Request, (USHORT)message->Request.u1.s1.TotalLength);
            InsertTailList(&receivePort->LpcDataInfoChainHead, &message->Entry);
            message = NULL;
        }
    }
    LpcpReleaseLock(oldIrql);
received:
    if (previousClient)
        ObDereferenceObject(previousClient);
    if (message && taken) {
        *taken = message;
    } else if (message) {
        LpcpMoveMessage(receive, &message->Request, (USHORT)message->Request.u1.s1.TotalLength);
        LpcpFreeMessageInline(message);
    }
    KE_PHASE(KiPhaseLpcDequeued);
    return STATUS_SUCCESS;
}

NTSTATUS LpcpReceive(LPCP_PORT_OBJECT *port, KPROCESSOR_MODE waitMode, LARGE_INTEGER *timeout,
                     PORT_MESSAGE *receive, void **portContext)
{
    LPCP_PORT_OBJECT *receivePort = LpcpReceivePort(port);

    if (!receivePort || !receivePort->MsgQueue.Semaphore)
        return STATUS_INVALID_PORT_HANDLE;
    return LpcpReceiveFrom(receivePort, waitMode, timeout, receive, portContext, NULL);
}

// LpcpReplyWaitReceivePort, and for NtReplyWaitReceivePortEx the receive
// with the block handed over (LpcpReceiveFrom's `taken`); in line in both.
static inline __attribute__((always_inline)) NTSTATUS
LpcpReplyWaitReceive(LPCP_PORT_OBJECT *port, LPCP_MESSAGE *reply, PORT_MESSAGE *receive,
                     void **portContext, KPROCESSOR_MODE waitMode, LARGE_INTEGER *timeout,
                     LPCP_MESSAGE **taken)
{
    LPCP_PORT_OBJECT *receivePort = LpcpReceivePort(port);
    // The reply hands off to its client only when the receive will wait
    // right after it (NT's NtReplyWaitReceivePort: the client runs when
    // the server blocks).
    BOOLEAN waitNext = receivePort && receivePort->MsgQueue.Semaphore;

    if (reply) {
        NTSTATUS status = LpcpReplyEx(port, reply, FALSE, &waitNext);

        KE_PHASE(KiPhaseLpcReplied);
        if (!NT_SUCCESS(status))
            return status;
    }
    if (!receivePort || !receivePort->MsgQueue.Semaphore)
        return STATUS_INVALID_PORT_HANDLE;
    return LpcpReceiveFrom(receivePort, waitMode, timeout, receive, portContext, taken);
}

NTSTATUS LpcpReplyWaitReceivePort(LPCP_PORT_OBJECT *port, LPCP_MESSAGE *reply,
                                  PORT_MESSAGE *receive, void **portContext,
                                  KPROCESSOR_MODE waitMode, LARGE_INTEGER *timeout)
{
    return LpcpReplyWaitReceive(port, reply, receive, portContext, waitMode, timeout, NULL);
}

// NtReplyWaitReceivePortEx's body. A reply's header is captured straight
// into the block it goes back in, `block` (LpcpAllocateMessageBeforeCapture),
// when `captured` (block NULL: no reply); else (no block to be had) into a
// stack copy, the block allocated after the checks, as send.c's services do.
static inline __attribute__((always_inline)) NTSTATUS
LpcpReplyWaitReceivePortBody(HANDLE portHandle, void **portContext, PORT_MESSAGE *replyMessage,
                             PORT_MESSAGE *receiveMessage, LARGE_INTEGER *timeout,
                             LPCP_MESSAGE *block, BOOLEAN captured)
{
    LPCP_RECEIVE_BUFFER buffer;
    LARGE_INTEGER capturedTimeout;
    LPCP_MESSAGE *reply = NULL;
    LPCP_PORT_OBJECT *port;
    // Integer arithmetic: with no reply, block is NULL and header unused.
    PORT_MESSAGE stackHeader, *header =
        captured ? (PORT_MESSAGE *)((ULONG_PTR)block + FIELD_OFFSET(LPCP_MESSAGE, Request))
                 : &stackHeader;
    void *context = NULL;
    LPCP_MESSAGE *taken = NULL;
    NTSTATUS status = STATUS_SUCCESS;

    if (portContext)
        status = ProbeForWriteInline(portContext, sizeof(*portContext), sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = ProbeForWriteInline(receiveMessage, sizeof(*receiveMessage), sizeof(ULONG));
    if (NT_SUCCESS(status) && timeout) {
        status = ProbeForRead(timeout, sizeof(*timeout), sizeof(ULONG));
        if (NT_SUCCESS(status))
            status = MmCopyFromUserInline(&capturedTimeout, timeout, sizeof(capturedTimeout));
        timeout = &capturedTimeout;
    }
    if (NT_SUCCESS(status) && replyMessage)
        status = LpcpCaptureHeaderInline(replyMessage, header);
    if (!NT_SUCCESS(status)) {
        LpcpReturnCapture(block);
        return status;
    }
    KE_PHASE(KiPhaseLpcHeaderCaptured);
    status = LpcpReferencePortByHandleInline(portHandle, &port);
    if (!NT_SUCCESS(status)) {
        LpcpReturnCapture(block);
        return status;
    }
    KE_PHASE(KiPhasePortReferenced);
    if (replyMessage) {
        status = LpcpCaptureReplyInline(port, replyMessage, header, block, &reply);
        KE_PHASE(KiPhaseLpcReplyCaptured);
    }
    if (NT_SUCCESS(status))
        status = LpcpReplyWaitReceive(port, reply, &buffer.Header, &context, UserMode, timeout,
                                      &taken);
    ObDereferenceObject(port);
    if (status != STATUS_SUCCESS)
        return status;
    // An ordinary message straight from its block, not through `buffer`.
    if (taken) {
        status = MmCopyToUserInline(receiveMessage, &taken->Request,
                              (USHORT)taken->Request.u1.s1.TotalLength);
        LpcpFreeMessageInline(taken);
    } else {
        status = MmCopyToUserInline(receiveMessage, &buffer,
                                    (USHORT)buffer.Header.u1.s1.TotalLength);
    }
    if (NT_SUCCESS(status) && portContext)
        status = MmCopyToUserInline(portContext, &context, sizeof(context));
    KE_PHASE(KiPhaseLpcReceiveCopied);
    return status;
}

// Only with the pool exhausted: a server waiting here shows this frame.
static __attribute__((noinline)) NTSTATUS
LpcpReplyWaitReceivePortUncaptured(HANDLE portHandle, void **portContext,
                                   PORT_MESSAGE *replyMessage, PORT_MESSAGE *receiveMessage,
                                   LARGE_INTEGER *timeout)
{
    return LpcpReplyWaitReceivePortBody(portHandle, portContext, replyMessage, receiveMessage,
                                        timeout, NULL, FALSE);
}

NTSTATUS NtReplyWaitReceivePortEx(HANDLE portHandle, void **portContext,
                                  PORT_MESSAGE *replyMessage, PORT_MESSAGE *receiveMessage,
                                  LARGE_INTEGER *timeout)
{
    LPCP_MESSAGE *block = NULL;

    if (replyMessage) {
        block = LpcpAllocateMessageBeforeCapture();
        if (!block)
            return LpcpReplyWaitReceivePortUncaptured(portHandle, portContext, replyMessage,
                                                      receiveMessage, timeout);
    }
    return LpcpReplyWaitReceivePortBody(portHandle, portContext, replyMessage, receiveMessage,
                                        timeout, block, TRUE);
}

NTSTATUS NtReplyWaitReceivePort(HANDLE portHandle, void **portContext,
                                PORT_MESSAGE *replyMessage, PORT_MESSAGE *receiveMessage)
{
    return NtReplyWaitReceivePortEx(portHandle, portContext, replyMessage, receiveMessage, NULL);
}

// Receives until a connection request comes; anything else that arrives
// meanwhile is dropped, as on NT.
NTSTATUS NtListenPort(HANDLE portHandle, PORT_MESSAGE *connectionRequest)
{
    LPCP_RECEIVE_BUFFER buffer;
    LPCP_PORT_OBJECT *port;
    void *context;
    NTSTATUS status = ProbeForWrite(connectionRequest, sizeof(*connectionRequest), sizeof(ULONG));

    if (!NT_SUCCESS(status))
        return status;
    status = LpcpReferencePortByHandle(portHandle, 0, &port);
    if (!NT_SUCCESS(status))
        return status;
    do {
        status = LpcpReceive(port, UserMode, NULL, &buffer.Header, &context);
    } while (status == STATUS_SUCCESS &&
             LpcpMessageType(&buffer.Header) != LPC_CONNECTION_REQUEST);
    ObDereferenceObject(port);
    if (status != STATUS_SUCCESS)
        return status;
    return MmCopyToUserInline(connectionRequest, &buffer, (USHORT)buffer.Header.u1.s1.TotalLength);
}
