// Sending: datagrams (NtRequestPort, LpcRequestPort) and requests that wait
// for their reply (NtRequestWaitReplyPort, LpcRequestWaitReplyPort),
// callbacks included.
//
// The hot path of a request: one message block from the free list, the
// caller's message copied into it, then under LpcpLock a fresh MessageId,
// the block on the receiving queue and the thread on its rundown port's
// reply chain; then the wait on the thread's own LpcReplySemaphore. The
// reply comes back in a block the replier filled, found through no list:
// the replier holds the thread (the request's reference, moved to its
// LpcReceivedThread by the receive; else it looks the thread up by its
// ClientId in the Cid table) and leaves the block in its LpcReplyMessage.

#include "lpc/lpcp.h"
#include "mm/mm.h"
#include "ke/kephase.h"
#include "ke/kiwait.h"
#include "ke/kihandoff.h"

NTSTATUS LpcpCaptureHeader(const PORT_MESSAGE *userMessage, PORT_MESSAGE *header)
{
    return LpcpCaptureHeaderInline(userMessage, header);
}


NTSTATUS LpcpCaptureMessage(const PORT_MESSAGE *userMessage, const PORT_MESSAGE *header,
                            LPCP_MESSAGE **result)
{
    return LpcpCaptureMessageInline(userMessage, header, result);
}

// A data-info block must lie inside the message with all its entries.
static NTSTATUS LpcpCheckDataInfo(const LPCP_MESSAGE *message)
{
    ULONG offset = (USHORT)message->Request.u2.s2.DataInfoOffset;
    ULONG total = (USHORT)message->Request.u1.s1.TotalLength;
    const LPCP_DATA_INFO *info;

    if (!offset)
        return STATUS_SUCCESS;
    if (offset < sizeof(PORT_MESSAGE) || offset + FIELD_OFFSET(LPCP_DATA_INFO, Entries) > total)
        return STATUS_INVALID_PARAMETER;
    info = (const LPCP_DATA_INFO *)((const UCHAR *)&message->Request + offset);
    if (info->NumberOfEntries > (total - offset - FIELD_OFFSET(LPCP_DATA_INFO, Entries)) /
                                    sizeof(info->Entries[0]))
        return STATUS_INVALID_PARAMETER;
    return STATUS_SUCCESS;
}

// LpcpQueueMessage but for the semaphore's count, which the caller adds
// (lock held).
static NTSTATUS LpcpInsertMessage(LPCP_PORT_OBJECT *queuePort, LPCP_MESSAGE *message,
                                  BOOLEAN chargeQuota)
{
    if (chargeQuota &&
        queuePort->MsgQueue.Semaphore->Header.SignalState >= LPCP_MAX_QUEUED_MESSAGES)
        return STATUS_NO_MEMORY;
    InsertTailList(&queuePort->MsgQueue.ReceiveHead, &message->Entry);
    if (queuePort->Flags & LPCP_WAITABLE_PORT)
        KeSetEvent(&queuePort->WaitEvent, 1, FALSE);
    return STATUS_SUCCESS;
}

NTSTATUS LpcpQueueMessage(LPCP_PORT_OBJECT *queuePort, LPCP_MESSAGE *message,
                          BOOLEAN chargeQuota)
{
    NTSTATUS status = LpcpInsertMessage(queuePort, message, chargeQuota);

    if (NT_SUCCESS(status))
        KeReleaseSemaphore(queuePort->MsgQueue.Semaphore, 1, 1, FALSE);
    return status;
}

// The receiver's count for a message (lock held, the quota checked), the
// dispatcher lock then held and the caller marked WaitNext
// (KiReleaseSemaphoreToWaiterInline): an ordinary message goes straight to the
// receiver the count wakes when that one was in a plain wait (the receive
// takes it from ETHREAD.LpcHandoffMessage, with no LpcpLock and nothing to
// dequeue); otherwise it joins the queue. Not for a waitable port, whose
// event is set as a message is queued, nor a request with a data-info
// block, which its receive keeps on the port's chain.
static inline __attribute__((always_inline)) void
LpcpHandOrQueueMessage(LPCP_PORT_OBJECT *queuePort, LPCP_MESSAGE *message, KIRQL oldIrql)
{
    KTHREAD *receiver = KiReleaseSemaphoreToWaiterInline(queuePort->MsgQueue.Semaphore, 1,
                                                         oldIrql);

    if (receiver) {
        CONTAINING_RECORD(receiver, ETHREAD, Tcb)->LpcHandoffMessage = message;
        LpcpTakeCachedMessageFrom(CONTAINING_RECORD(receiver, ETHREAD, Tcb));
    } else {
        InsertTailList(&queuePort->MsgQueue.ReceiveHead, &message->Entry);
    }
}

void LpcpUncountMessage(LPCP_PORT_OBJECT *queuePort)
{
    LARGE_INTEGER now = {.QuadPart = 0};

    // The queue's semaphore counts its messages: one taken out of the
    // queue takes its count back (a wait that cannot block, so it is
    // allowed under the spin lock). Found at zero, a receiver has taken the
    // count already and will find the queue empty (STATUS_UNSUCCESSFUL,
    // NT's answer to that).
    KeWaitForSingleObject(queuePort->MsgQueue.Semaphore, WrLpcReceive, KernelMode, FALSE, &now);
    if ((queuePort->Flags & LPCP_WAITABLE_PORT) && IsListEmpty(&queuePort->MsgQueue.ReceiveHead))
        KeClearEvent(&queuePort->WaitEvent);
}

// LpcpSendDatagram, in line in NtRequestPort and LpcRequestPort.
static inline __attribute__((always_inline)) NTSTATUS
LpcpSendDatagramInline(LPCP_PORT_OBJECT *port, LPCP_MESSAGE *message, BOOLEAN chargeQuota)
{
    LPCP_PORT_OBJECT *queuePort, *rundownPort;
    void *portContext;
    NTSTATUS status;
    KIRQL oldIrql = LpcpAcquireLock();

    status = LpcpFindSendTargets(port, &queuePort, &rundownPort, &portContext);
    if (NT_SUCCESS(status)) {
        message->Request.ClientId = PsGetCurrentThread()->Cid;
        message->Request.MessageId = LpcpGenerateMessageId();
        message->Request.CallbackId = 0;
        message->PortContext = portContext;
        message->SenderPort = port;
        if (chargeQuota &&
            queuePort->MsgQueue.Semaphore->Header.SignalState >= LPCP_MAX_QUEUED_MESSAGES)
            status = STATUS_NO_MEMORY;
    }
    // The receiver's count last, with the lock: a receiver it readies that
    // outranks this thread runs at once, switched to directly.
    if (!NT_SUCCESS(status)) {
        LpcpReleaseLock(oldIrql);
    } else if (queuePort->Flags & LPCP_WAITABLE_PORT) {
        LpcpInsertMessage(queuePort, message, FALSE);
        KiReleaseSemaphoreUnlock(queuePort->MsgQueue.Semaphore, 1, &LpcpLock, oldIrql);
    } else {
        LpcpHandOrQueueMessage(queuePort, message, oldIrql);
        KiExitDispatcherNoWait(&LpcpLock);
    }
    KE_PHASE(KiPhaseLpcQueued);
    if (!NT_SUCCESS(status))
        LpcpFreeMessage(message);
    return status;
}

NTSTATUS LpcpSendDatagram(LPCP_PORT_OBJECT *port, LPCP_MESSAGE *message, BOOLEAN chargeQuota)
{
    return LpcpSendDatagramInline(port, message, chargeQuota);
}

void LpcpCancelRequest(LPCP_PORT_OBJECT *queuePort, ETHREAD *thread, ULONG messageId,
                       LIST_ENTRY *freeList)
{
    LIST_ENTRY *heads[2];

    if (!queuePort)
        return;
    heads[0] = &queuePort->MsgQueue.ReceiveHead;
    heads[1] = &queuePort->LpcDataInfoChainHead;
    for (int i = 0; i < 2; i++) {
        for (LIST_ENTRY *entry = heads[i]->Flink; entry != heads[i]; entry = entry->Flink) {
            LPCP_MESSAGE *message = CONTAINING_RECORD(entry, LPCP_MESSAGE, Entry);

            if (message->Request.MessageId == messageId &&
                message->Request.ClientId.UniqueThread == thread->Cid.UniqueThread) {
                RemoveEntryList(entry);
                InsertTailList(freeList, entry);
                if (i == 0)
                    LpcpUncountMessage(queuePort);
                return;
            }
        }
    }
}

// LpcpWaitForReply after a wait that did not end with a reply in hand: a
// rundown's wake, a termination, or a wake and a termination at once.
static __attribute__((noinline)) NTSTATUS
LpcpReplyWaitEnded(NTSTATUS status, LPCP_PORT_OBJECT *queuePort, BOOLEAN queueReferenced,
                   ULONG messageId, LPCP_MESSAGE **reply)
{
    ETHREAD *thread = PsGetCurrentThread();
    LPCP_MESSAGE *message = NULL;
    BOOLEAN woken, takeCount = FALSE;
    LIST_ENTRY freeList;
    KIRQL oldIrql;

    InitializeListHead(&freeList);
    oldIrql = LpcpAcquireLock();
    woken = IsListEmpty(&thread->LpcReplyChain);
    if (woken) {
        message = LpcpGetMessageFromThread(thread);
        // Woken and terminated at once: the count is there, take it.
        takeCount = status != STATUS_SUCCESS;
    } else {
        // Nobody answered: the thread is being terminated. It leaves the
        // chain, and its request leaves the queue if no server took it.
        RemoveEntryList(&thread->LpcReplyChain);
        InitializeListHead(&thread->LpcReplyChain);
    }
    thread->LpcReplyMessage = NULL;
    thread->LpcReplyMessageId = 0;
    // An unreferenced queue port is the port whose chain the thread was
    // on: there while the thread still was, else run down (its queue
    // emptied, the port perhaps gone) by the rundown that woke it.
    if (!message && (queueReferenced || !woken))
        LpcpCancelRequest(queuePort, thread, messageId, &freeList);
    LpcpReleaseLock(oldIrql);
    if (takeCount)
        KeWaitForSingleObject(&thread->LpcReplySemaphore, WrLpcReply, KernelMode, FALSE, NULL);
    if (!IsListEmpty(&freeList))
        LpcpFreeMessageList(&freeList);
    if (!woken)
        return status;
    if (!message)
        return STATUS_LPC_REPLY_LOST;
    *reply = message;
    return STATUS_SUCCESS;
}

// LpcpWaitForReply, in line in LpcpRequestWaitReply: the wait and the
// common wake, a reply in hand; anything else in LpcpReplyWaitEnded.
static inline __attribute__((always_inline)) NTSTATUS
LpcpWaitForReplyInline(LPCP_PORT_OBJECT *queuePort, BOOLEAN queueReferenced, ULONG messageId,
                       KPROCESSOR_MODE waitMode, LPCP_MESSAGE **reply)
{
    ETHREAD *thread = PsGetCurrentThread();
    LPCP_MESSAGE *message;
    NTSTATUS status;

    KE_PHASE(KiPhaseLpcReplyWait);
    status = KeWaitForSingleObject(&thread->LpcReplySemaphore, WrLpcReply, waitMode, FALSE,
                                   NULL);
    KE_PHASE(KiPhaseLpcReplyWoken);
    if (status == STATUS_SUCCESS) {
        // Woken by a reply (the common case), read without LpcpLock: the
        // count this wait took was released by a waker that had, under the
        // lock, taken this thread off its reply chain and left the reply in
        // LpcReplyMessage with LpcReplyMessageId cleared (the waking rule).
        // Off the chain, no other thread writes those fields again, so what
        // this thread reads is final. A wake with no reply (a port's
        // rundown: NULL) goes the general way.
        message = LpcpGetMessageFromThread(thread);
        if (message && IsListEmpty(&thread->LpcReplyChain)) {
            __atomic_store_n(&thread->LpcReplyMessage, NULL, __ATOMIC_RELAXED);
            *reply = message;
            return STATUS_SUCCESS;
        }
    }
    return LpcpReplyWaitEnded(status, queuePort, queueReferenced, messageId, reply);
}

NTSTATUS LpcpWaitForReply(LPCP_PORT_OBJECT *queuePort, BOOLEAN queueReferenced,
                          ULONG messageId, KPROCESSOR_MODE waitMode, LPCP_MESSAGE **reply)
{
    return LpcpWaitForReplyInline(queuePort, queueReferenced, messageId, waitMode, reply);
}

// A callback: the request goes straight to the client thread waiting for
// `message`'s id (named by its ClientId), not through a queue. Lock held.
static NTSTATUS LpcpHandCallback(LPCP_PORT_OBJECT *port, ETHREAD *target, LPCP_MESSAGE *message)
{
    LPCP_PORT_OBJECT *waitingPort;

    if (IsListEmpty(&target->LpcReplyChain) ||
        target->LpcReplyMessageId != message->Request.MessageId ||
        LpcpGetMessageFromThread(target))
        return STATUS_REPLY_MESSAGE_MISMATCH;
    waitingPort = (LPCP_PORT_OBJECT *)((ULONG_PTR)target->LpcWaitingOnPort & ~LPCP_THREAD_FLAGS);
    if (!LpcpValidateClientPort(port, waitingPort))
        return STATUS_REPLY_MESSAGE_MISMATCH;
    message->Request.ClientId = PsGetCurrentThread()->Cid;
    message->Request.CallbackId = LpcpGenerateCallbackId();
    ObReferenceObject(target);
    message->RepliedToThread = target;
    RemoveEntryList(&target->LpcReplyChain);
    InitializeListHead(&target->LpcReplyChain);
    target->LpcReplyMessage = message;
    target->LpcReplyMessageId = 0;
    KeReleaseSemaphore(&target->LpcReplySemaphore, 1, 1, FALSE);
    return STATUS_SUCCESS;
}

// LpcpRequestWaitReply, in line in NtRequestWaitReplyPort and
// LpcRequestWaitReplyPort.
static inline __attribute__((always_inline)) NTSTATUS
LpcpRequestWaitReplyInline(LPCP_PORT_OBJECT *port, LPCP_MESSAGE *message,
                           KPROCESSOR_MODE waitMode, LPCP_MESSAGE **reply)
{
    ETHREAD *thread = PsGetCurrentThread();
    ULONG_PTR noImpersonation = (message->Request.u2.s2.Type & LPC_NO_IMPERSONATE)
                                    ? LPCP_THREAD_FLAG_NO_IMPERSONATION : 0;
    BOOLEAN callback;
    LPCP_PORT_OBJECT *queuePort = NULL, *rundownPort;
    ETHREAD *target = NULL;
    BOOLEAN queueReferenced = FALSE, handoff = FALSE;
    void *portContext;
    NTSTATUS status;
    ULONG id = 0;
    KIRQL oldIrql;

    message->Request.u2.s2.Type &= ~LPC_NO_IMPERSONATE;
    callback = LpcpMessageType(&message->Request) == LPC_REQUEST &&
               message->Request.MessageId != 0;
    if (thread->LpcExitThreadCalled) {
        LpcpFreeMessage(message);
        return STATUS_THREAD_IS_TERMINATING;
    }
    if (callback) {
        status = PsLookupThreadByThreadId(message->Request.ClientId.UniqueThread, &target);
        if (!NT_SUCCESS(status)) {
            LpcpFreeMessage(message);
            return status;
        }
    }
    oldIrql = LpcpAcquireLock();
    status = LpcpFindSendTargets(port, &queuePort, &rundownPort, &portContext);
    if (NT_SUCCESS(status) && callback) {
        // Handed to the client thread, queued nowhere: nothing to take back
        // after the wait, so no reference on the client's port (a server
        // calling back through its communication port holds none). The
        // client dying closes that port, whose rundown wakes this thread.
        id = message->Request.MessageId;
        status = LpcpHandCallback(port, target, message);
        queuePort = NULL;
    } else if (NT_SUCCESS(status) && queuePort != rundownPort &&
               !ObReferenceObjectSafe(queuePort)) {
        status = STATUS_PORT_DISCONNECTED;
    } else if (NT_SUCCESS(status)) {
        // The queue's port is looked at again after the wait (a request
        // nobody took is taken back): referenced for the length of the
        // wait when it is not the port whose chain the thread joins. That
        // one is not (a server asking its client; a port talking to itself,
        // which the caller holds anyway): a reference would keep the client
        // port, and the waiter, there after the client closed it, with
        // nobody left to answer; its deletion wakes the waiter instead
        // (STATUS_LPC_REPLY_LOST).
        queueReferenced = queuePort != rundownPort;
        id = LpcpGenerateMessageId();
        message->Request.ClientId = thread->Cid;
        message->Request.MessageId = id;
        message->Request.CallbackId = 0;
        message->PortContext = portContext;
        message->SenderPort = port;
        // The thread the reply goes to, referenced by the block: the
        // receiver takes the reference over (LpcReceivedThread), and its
        // reply needs no Cid lookup. The request never outlives this
        // thread's wait (taken back after it, or freed with the queue), so
        // the reference is only ever dropped by another thread after the
        // receive, as the reply's RepliedToThread.
        ObReferenceObject(thread);
        message->RepliedToThread = thread;
        if (queuePort->MsgQueue.Semaphore->Header.SignalState >= LPCP_MAX_QUEUED_MESSAGES)
            status = STATUS_NO_MEMORY;
        handoff = NT_SUCCESS(status);
    }
    if (NT_SUCCESS(status)) {
        thread->LpcReplyMessageId = id;
        // The port it sent through, as NT's (!thread's "Current LPC port":
        // a client's is its client communication port); the reply chain
        // it joins is the peer's.
        thread->LpcWaitingOnPort =
            (void *)((ULONG_PTR)port | LPCP_THREAD_FLAG_IS_PORT | noImpersonation);
        InsertTailList(&rundownPort->LpcReplyChainHead, &thread->LpcReplyChain);
    }
    if (handoff) {
        // The receiver's count last, the dispatcher lock kept for the wait
        // for the reply, which LpcpWaitForReply starts at once: a receiver
        // it readies runs when this thread blocks, not by preempting it
        // first (NT's handoff; the IRQL comes down in the wait).
        if ((queuePort->Flags & LPCP_WAITABLE_PORT) || message->Request.u2.s2.DataInfoOffset) {
            LpcpInsertMessage(queuePort, message, FALSE);
            KiReleaseSemaphoreWaitNext(queuePort->MsgQueue.Semaphore, 1, 1, oldIrql);
        } else {
            LpcpHandOrQueueMessage(queuePort, message, oldIrql);
        }
        KeReleaseSpinLockFromDpcLevel(&LpcpLock);
    } else {
        LpcpReleaseLock(oldIrql);
    }
    KE_PHASE(KiPhaseLpcQueued);
    if (target)
        ObDereferenceObject(target);
    if (NT_SUCCESS(status))
        status = LpcpWaitForReplyInline(queuePort, queueReferenced, id, waitMode, reply);
    else
        LpcpFreeMessage(message);
    if (queueReferenced)
        ObDereferenceObject(queuePort);
    return status;
}

NTSTATUS LpcpRequestWaitReply(LPCP_PORT_OBJECT *port, LPCP_MESSAGE *message,
                              KPROCESSOR_MODE waitMode, LPCP_MESSAGE **reply)
{
    return LpcpRequestWaitReplyInline(port, message, waitMode, reply);
}

// ---- The services and the kernel's calls -----------------------------------------------

// The round trip's services capture the user's header straight into the
// block the message travels in: a block taken first, the thread's cached
// one or one from the list (LpcpAllocateMessageBeforeCapture), so that the
// header is copied once. With none to be had (pool exhausted) the header
// goes to a stack copy and the block is allocated after the checks, as
// before, so that every error keeps its order (STATUS_NO_MEMORY last); that
// form is the service's body again, out of line, with block NULL.
static inline __attribute__((always_inline)) NTSTATUS
LpcpRequestPortBody(HANDLE portHandle, PORT_MESSAGE *requestMessage, LPCP_MESSAGE *block)
{
    LPCP_MESSAGE *message;
    LPCP_PORT_OBJECT *port;
    PORT_MESSAGE stackHeader, *header = block ? &block->Request : &stackHeader;
    NTSTATUS status = LpcpCaptureHeaderInline(requestMessage, header);

    // User mode cannot pass for the kernel, and sends plain datagrams only.
    if (NT_SUCCESS(status)) {
        header->u2.s2.Type &= ~LPC_KERNELMODE_MESSAGE;
        if (header->u2.s2.Type != 0 || header->u2.s2.DataInfoOffset != 0)
            status = STATUS_INVALID_PARAMETER;
    }
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
    status = LpcpCheckCapturedMessageLengths(port, header);
    if (NT_SUCCESS(status)) {
        header->u2.s2.Type = LPC_DATAGRAM;
        status = LpcpCaptureDataInline(requestMessage, header, block, &message);
        KE_PHASE(KiPhaseLpcMessageCaptured);
    } else {
        LpcpReturnCapture(block);
    }
    if (NT_SUCCESS(status))
        status = LpcpSendDatagramInline(port, message, TRUE);
    ObDereferenceObject(port);
    return status;
}

static __attribute__((noinline)) NTSTATUS
LpcpRequestPortUncaptured(HANDLE portHandle, PORT_MESSAGE *requestMessage)
{
    return LpcpRequestPortBody(portHandle, requestMessage, NULL);
}

NTSTATUS NtRequestPort(HANDLE portHandle, PORT_MESSAGE *requestMessage)
{
    LPCP_MESSAGE *block = LpcpAllocateMessageBeforeCapture();

    if (!block)
        return LpcpRequestPortUncaptured(portHandle, requestMessage);
    return LpcpRequestPortBody(portHandle, requestMessage, block);
}

static inline __attribute__((always_inline)) NTSTATUS
LpcpRequestWaitReplyPortBody(HANDLE portHandle, PORT_MESSAGE *requestMessage,
                             PORT_MESSAGE *replyMessage, LPCP_MESSAGE *block)
{
    LPCP_MESSAGE *message, *reply = NULL;
    LPCP_PORT_OBJECT *port;
    PORT_MESSAGE stackHeader, *header = block ? &block->Request : &stackHeader;
    NTSTATUS status = LpcpCaptureHeaderInline(requestMessage, header);
    CSHORT type;

    if (NT_SUCCESS(status))
        status = ProbeForWriteInline(replyMessage, sizeof(*replyMessage), sizeof(ULONG));
    if (NT_SUCCESS(status)) {
        // The kernel bit and the undocumented no-impersonation bit go; a
        // plain message becomes a request, LPC_REQUEST (with an id) is a
        // callback.
        type = header->u2.s2.Type & ~(LPC_KERNELMODE_MESSAGE | LPC_NO_IMPERSONATE);
        if (type == 0) {
            header->MessageId = 0;
            type = LPC_REQUEST;
        } else if (type != LPC_REQUEST) {
            status = STATUS_INVALID_PARAMETER;
        }
    }
    if (!NT_SUCCESS(status)) {
        LpcpReturnCapture(block);
        return status;
    }
    // LPC_NO_IMPERSONATE travels to LpcpRequestWaitReply, which records it
    // in the thread (LPCP_THREAD_FLAG_NO_IMPERSONATION) and clears it.
    header->u2.s2.Type = type | (header->u2.s2.Type & LPC_NO_IMPERSONATE);
    KE_PHASE(KiPhaseLpcHeaderCaptured);
    status = LpcpReferencePortByHandleInline(portHandle, &port);
    if (!NT_SUCCESS(status)) {
        LpcpReturnCapture(block);
        return status;
    }
    KE_PHASE(KiPhasePortReferenced);
    status = LpcpCheckCapturedMessageLengths(port, header);
    if (NT_SUCCESS(status))
        status = LpcpCaptureDataInline(requestMessage, header, block, &message);
    else
        LpcpReturnCapture(block);
    if (NT_SUCCESS(status)) {
        status = LpcpCheckDataInfo(message);
        if (!NT_SUCCESS(status))
            LpcpFreeMessage(message);
    }
    KE_PHASE(KiPhaseLpcMessageCaptured);
    if (NT_SUCCESS(status))
        status = LpcpRequestWaitReplyInline(port, message, UserMode, &reply);
    ObDereferenceObject(port);
    // STATUS_USER_APC (the thread is being terminated) is a success code
    // with no reply.
    if (status != STATUS_SUCCESS)
        return status;
    status = MmCopyToUserInline(replyMessage, &reply->Request,
                                (USHORT)reply->Request.u1.s1.TotalLength);
    LpcpFreeMessageInline(reply);
    KE_PHASE(KiPhaseLpcReplyCopied);
    return status;
}

// Only with the pool exhausted: a client waiting here shows this frame.
static __attribute__((noinline)) NTSTATUS
LpcpRequestWaitReplyPortUncaptured(HANDLE portHandle, PORT_MESSAGE *requestMessage,
                                   PORT_MESSAGE *replyMessage)
{
    return LpcpRequestWaitReplyPortBody(portHandle, requestMessage, replyMessage, NULL);
}

NTSTATUS NtRequestWaitReplyPort(HANDLE portHandle, PORT_MESSAGE *requestMessage,
                                PORT_MESSAGE *replyMessage)
{
    LPCP_MESSAGE *block = LpcpAllocateMessageBeforeCapture();

    if (!block)
        return LpcpRequestWaitReplyPortUncaptured(portHandle, requestMessage, replyMessage);
    return LpcpRequestWaitReplyPortBody(portHandle, requestMessage, replyMessage, block);
}

// A kernel message in a block: its lengths checked against the port.
// In line in LpcRequestPort and LpcRequestWaitReplyPort.
static inline __attribute__((always_inline)) NTSTATUS
LpcpCopyKernelMessage(LPCP_PORT_OBJECT *port, const PORT_MESSAGE *request, CSHORT type,
                      LPCP_MESSAGE **result)
{
    LPCP_MESSAGE *message;
    NTSTATUS status = LpcpCheckMessageLengths(port, request);

    if (!NT_SUCCESS(status))
        return status;
    message = LpcpAllocateMessageForCopyInline();
    if (!message)
        return STATUS_NO_MEMORY;
    LpcpMoveMessage(&message->Request, request, (USHORT)request->u1.s1.TotalLength);
    message->Request.u2.s2.Type = type;
    *result = message;
    return STATUS_SUCCESS;
}

NTSTATUS LpcRequestPort(void *portAddress, PORT_MESSAGE *requestMessage)
{
    CSHORT type = requestMessage->u2.s2.Type;
    ULONG kind = (USHORT)type & ~LPC_KERNELMODE_MESSAGE;     // CSHORT: no sign extension
    LPCP_MESSAGE *message;
    NTSTATUS status;

    if (kind == 0)
        type |= LPC_DATAGRAM;
    else if (kind < LPC_DATAGRAM || kind > LPC_CLIENT_DIED)
        return STATUS_INVALID_PARAMETER;
    status = LpcpCopyKernelMessage(portAddress, requestMessage, type, &message);
    if (!NT_SUCCESS(status))
        return status;
    KE_PHASE(KiPhaseLpcMessageCaptured);
    // Only plain datagrams count against the queue: the kernel's notices
    // (a closed port, a dead thread) must get through.
    return LpcpSendDatagramInline(portAddress, message,
                            LpcpMessageType(&message->Request) == LPC_DATAGRAM);
}

NTSTATUS LpcRequestWaitReplyPort(void *portAddress, PORT_MESSAGE *requestMessage,
                                 PORT_MESSAGE *replyMessage)
{
    ETHREAD *thread = PsGetCurrentThread();
    CSHORT type = requestMessage->u2.s2.Type;
    ULONG kind = (USHORT)type & ~LPC_KERNELMODE_MESSAGE;     // CSHORT: no sign extension
    LPCP_MESSAGE *message, *reply;
    NTSTATUS status;

    if (kind == 0)
        type |= LPC_REQUEST;
    else if (kind != LPC_REQUEST && (kind < LPC_EXCEPTION || kind > LPC_ERROR_EVENT))
        return STATUS_INVALID_PARAMETER;
    // A thread that already waits for a reply cannot start another.
    if (thread->LpcReplyMessage || thread->LpcReplyMessageId)
        return STATUS_UNSUCCESSFUL;
    status = LpcpCopyKernelMessage(portAddress, requestMessage, type, &message);
    if (!NT_SUCCESS(status))
        return status;
    KE_PHASE(KiPhaseLpcMessageCaptured);
    if (kind == 0)
        message->Request.MessageId = 0;
    status = LpcpRequestWaitReplyInline(portAddress, message, KernelMode, &reply);
    if (status != STATUS_SUCCESS)
        return status;
    LpcpMoveMessage(replyMessage, &reply->Request, (USHORT)reply->Request.u1.s1.TotalLength);
    LpcpFreeMessageInline(reply);
    KE_PHASE(KiPhaseLpcReplyCopied);
    return STATUS_SUCCESS;
}
