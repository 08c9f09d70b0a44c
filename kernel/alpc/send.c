// Sending: NtAlpcSendWaitReceivePort's send half. What the caller's
// message is depends on the flags and on its header:
//
//   ALPC_MSGFLG_SYNC_REQUEST      a request whose reply the caller waits for
//                                 in the same call (the reply lands in
//                                 ReceiveMessage): AlpcpProcessSynchronousRequest
//   MessageId set (or ALPC_MSGFLG_REPLY_MESSAGE)
//                                 the reply to the received request of that
//                                 id (and CallbackId); with
//                                 ALPC_MSGFLG_RELEASE_MESSAGE instead, the
//                                 request is released without a reply
//   otherwise                     a datagram: queued, nobody waits
//
// then, with a ReceiveMessage and no synchronous request, the receive
// (receive.c). The stack of a client waiting for its reply reads as NT's:
// NtAlpcSendWaitReceivePort -> AlpcpProcessSynchronousRequest ->
// AlpcpReceiveSynchronousReply -> AlpcpSignalAndWait -> KeWaitForSingleObject,
// WrLpcReply on the thread's AlpcWaitSemaphore. These routines are kept
// out of line (noinline) for that.

#include "alpc/alpcp.h"
#include "alpc/alpcx.h"
#include "mm/mm.h"

#define ALPCP_VALID_SEND_FLAGS \
    (ALPC_MSGFLG_REPLY_MESSAGE | ALPC_MSGFLG_LPC_MODE | ALPC_MSGFLG_RELEASE_MESSAGE | \
     ALPC_MSGFLG_SYNC_REQUEST | ALPC_MSGFLG_WAIT_USER_MODE | ALPC_MSGFLG_WAIT_ALERTABLE)

NTSTATUS AlpcpCaptureHeader(ALPC_PORT *port, const PORT_MESSAGE *userMessage,
                            PORT_MESSAGE *header)
{
    NTSTATUS status = ProbeForRead(userMessage, sizeof(*header), sizeof(ULONG));
    ULONG total, data;

    if (NT_SUCCESS(status))
        status = MmCopyFromUser(header, userMessage, sizeof(*header));
    if (!NT_SUCCESS(status))
        return status;
    total = (USHORT)header->u1.s1.TotalLength;
    data = (USHORT)header->u1.s1.DataLength;
    if (data + sizeof(PORT_MESSAGE) != total)
        return STATUS_INVALID_PARAMETER;
    if (total > port->PortAttributes.MaxMessageLength)
        return STATUS_PORT_MESSAGE_TOO_LONG;
    return STATUS_SUCCESS;
}

NTSTATUS AlpcpCaptureMessage(const PORT_MESSAGE *userMessage, const PORT_MESSAGE *header,
                             KALPC_MESSAGE **result)
{
    ULONG data = (USHORT)header->u1.s1.DataLength;
    KALPC_MESSAGE *message = AlpcpAllocateMessage(sizeof(PORT_MESSAGE) + data);
    NTSTATUS status;

    if (!message)
        return STATUS_NO_MEMORY;
    message->PortMessage = *header;
    status = MmCopyFromUser(message->DataSystemVa, userMessage + 1, data);
    if (!NT_SUCCESS(status)) {
        AlpcpFreeMessage(message);
        return status;
    }
    // The kernel's fields, whatever the sender wrote there.
    message->PortMessage.u2.s2.DataInfoOffset = 0;
    message->PortMessage.ClientId = PsGetCurrentThread()->Cid;
    message->PortMessage.MessageId = 0;
    message->PortMessage.CallbackId = 0;
    *result = message;
    return STATUS_SUCCESS;
}

void AlpcpWakeReceivers(ALPC_PORT *port, BOOLEAN all)
{
    while (!IsListEmpty(&port->WaitQueue)) {
        ETHREAD *thread = CONTAINING_RECORD(RemoveHeadList(&port->WaitQueue), ETHREAD,
                                            AlpcWaitListEntry);

        InitializeListHead(&thread->AlpcWaitListEntry);
        port->WaitQueueLength--;
        KeReleaseSemaphore(&thread->AlpcWaitSemaphore, 1, 1, FALSE);
        if (!all)
            break;
    }
}

void AlpcpWakeWaiter(ETHREAD *thread, KALPC_MESSAGE *answer, NTSTATUS status)
{
    thread->AlpcMessage = answer;
    thread->AlpcMessageId = 0;
    thread->AlpcWaitStatus = answer ? STATUS_SUCCESS : status;
    if (thread != PsGetCurrentThread())
        KeReleaseSemaphore(&thread->AlpcWaitSemaphore, 1, 1, FALSE);
}

NTSTATUS AlpcpQueueMessage(ALPC_PORT *sendPort, ALPC_PORT *queuePort, KALPC_MESSAGE *message,
                           BOOLEAN noQuota)
{
    SIZE_T size = message->ExtensionBufferSize;
    NTSTATUS status;

    if (!noQuota) {
        if (queuePort->QueuedPoolUsage + size > queuePort->PortAttributes.MaxPoolUsage)
            return STATUS_QUOTA_EXCEEDED;
    }
    if (!message->UniqueTableEntry) {
        status = AlpcpInsertMessageId(message);
        if (!NT_SUCCESS(status))
            return status;
    }
    if (!noQuota) {
        queuePort->QueuedPoolUsage += size;
        message->QuotaBlock = queuePort;
    }
    if (!message->PortMessage.CallbackId)
        message->PortMessage.CallbackId = AlpcpGenerateCallbackId();
    if (sendPort)
        message->SequenceNo = (LONG)++sendPort->SequenceNo;
    message->PortQueue = queuePort;
    message->u1.s1.QueueType = ALPC_MSGQUEUE_MAIN;
    message->u1.s1.QueuePortType = queuePort->u1.s1.Type;
    InsertTailList(&queuePort->MainQueue, &message->Entry);
    queuePort->MainQueueLength++;
    AlpcpWakeReceivers(queuePort, FALSE);
    return STATUS_SUCCESS;
}

// The quota a queued message held goes back to its queue (lock held).
static void AlpcpUnchargeMessage(KALPC_MESSAGE *message)
{
    ALPC_PORT *charged = message->QuotaBlock;

    if (charged) {
        charged->QueuedPoolUsage -= message->ExtensionBufferSize;
        message->QuotaBlock = NULL;
    }
}

void AlpcpCancelMessageLocked(KALPC_MESSAGE *message, NTSTATUS status, LIST_ENTRY *freeList)
{
    ALPC_PORT *queuePort = message->PortQueue;
    ETHREAD *waiter = message->WaitingThread;

    switch (message->u1.s1.QueueType) {
    case ALPC_MSGQUEUE_MAIN:
    case ALPC_MSGQUEUE_LARGE_MESSAGE:
        RemoveEntryList(&message->Entry);
        if (message->u1.s1.QueueType == ALPC_MSGQUEUE_MAIN)
            queuePort->MainQueueLength--;
        else
            queuePort->LargeMessageQueueLength--;
        AlpcpUnchargeMessage(message);
        message->u1.s1.QueueType = ALPC_MSGQUEUE_NONE;
        message->PortQueue = NULL;
        InsertTailList(freeList, &message->Entry);
        break;
    case ALPC_MSGQUEUE_PENDING:
        // The server has it and may still answer: it waits on the canceled
        // queue for the answer (or the port's rundown) to free it.
        RemoveEntryList(&message->Entry);
        queuePort->PendingQueueLength--;
        message->u1.s1.QueueType = ALPC_MSGQUEUE_NONE;
        message->u1.s1.Canceled = 1;
        message->CancelQueuePort = queuePort;
        InsertTailList(&queuePort->CanceledQueue, &message->Entry);
        queuePort->CanceledQueueLength++;
        break;
    default:
        // Being copied out by a receiver (ReceiverReference), which sees
        // Canceled when it is done.
        message->u1.s1.Canceled = 1;
        message->CancelQueuePort = queuePort;
        break;
    }
    if (waiter) {
        message->WaitingThread = NULL;
        if (waiter->AlpcMessageId == message->PortMessage.MessageId)
            AlpcpWakeWaiter(waiter, NULL, status);
    }
}

// Where a message sent through `port` is queued, and the PortContext the
// receiver gets (lock held). STATUS_PORT_DISCONNECTED once either side is
// gone; a connection port sends nothing.
static NTSTATUS AlpcpFindTarget(ALPC_PORT *port, ALPC_PORT **queuePort, void **portContext)
{
    ALPC_COMMUNICATION_INFO *info = port->CommunicationInfo;
    ALPC_PORT *target, *server;

    *portContext = NULL;
    switch (port->u1.s1.Type) {
    case ALPC_CLIENT_COMMUNICATION_PORT:
        server = info ? info->ServerCommunicationPort : NULL;
        if (port->u1.s1.Disconnected || port->u1.s1.ConnectionPending || !server ||
            server->u1.s1.Disconnected)
            return STATUS_PORT_DISCONNECTED;
        target = info->ConnectionPort;
        *portContext = server->PortContext;
        break;
    case ALPC_SERVER_COMMUNICATION_PORT:
        target = info ? info->ClientCommunicationPort : NULL;
        if (port->u1.s1.Disconnected || !target || target->u1.s1.Disconnected)
            return STATUS_PORT_DISCONNECTED;
        break;
    default:
        return STATUS_LPC_INVALID_CONNECTION_USAGE;
    }
    if (target->u1.s1.Closed)
        return STATUS_PORT_DISCONNECTED;
    *queuePort = target;
    return STATUS_SUCCESS;
}

// A captured message sent through `port`: queued at the target (lock
// taken here). With `waiter`, the current thread waits for its answer.
static NTSTATUS AlpcpSendMessage(ALPC_PORT *port, KALPC_MESSAGE *message, BOOLEAN waiter,
                                 ULONG ids[3])
{
    ETHREAD *thread = PsGetCurrentThread();
    ALPC_PORT *queuePort;
    void *portContext;
    NTSTATUS status;
    KIRQL oldIrql;

    message->OwnerPort = port;
    message->u1.s1.OwnerPortReference = 1;
    ObReferenceObject(port);
    oldIrql = AlpcpAcquireLock();
    status = AlpcpFindTarget(port, &queuePort, &portContext);
    if (NT_SUCCESS(status)) {
        message->MessageAttributes.PortContext = portContext;
        if (waiter)
            message->WaitingThread = thread;
        status = AlpcpQueueMessage(port, queuePort, message, FALSE);
        if (NT_SUCCESS(status)) {
            ids[0] = message->PortMessage.MessageId;
            ids[1] = message->PortMessage.CallbackId;
            ids[2] = (ULONG)message->SequenceNo;
        }
        if (NT_SUCCESS(status) && waiter) {
            thread->AlpcMessage = message;
            thread->AlpcMessageId = message->PortMessage.MessageId;
            thread->AlpcWaitStatus = STATUS_SUCCESS;
        }
    }
    AlpcpReleaseLock(oldIrql);
    return status;
}

static __attribute__((noinline)) NTSTATUS
AlpcpSignalAndWait(ETHREAD *thread, KPROCESSOR_MODE waitMode, BOOLEAN alertable,
                   LARGE_INTEGER *timeout)
{
    return KeWaitForSingleObject(&thread->AlpcWaitSemaphore, WrLpcReply, waitMode, alertable,
                                 timeout);
}

__attribute__((noinline)) NTSTATUS
AlpcpReceiveSynchronousReply(ALPC_PORT *port, KPROCESSOR_MODE waitMode, BOOLEAN alertable,
                             LARGE_INTEGER *timeout, KALPC_MESSAGE **answer)
{
    ETHREAD *thread = PsGetCurrentThread();
    KALPC_MESSAGE *sent;
    LIST_ENTRY freeList;
    NTSTATUS status, waitStatus;
    BOOLEAN takeCount = FALSE;
    KIRQL oldIrql;

    (void)port;
    InitializeListHead(&freeList);
    waitStatus = AlpcpSignalAndWait(thread, waitMode, alertable, timeout);
    oldIrql = AlpcpAcquireLock();
    if (thread->AlpcMessageId) {
        // Nobody answered (a timeout, an alert, termination): the message
        // is taken back.
        sent = thread->AlpcMessage;
        thread->AlpcMessageId = 0;
        thread->AlpcMessage = NULL;
        AlpcpCancelMessageLocked(sent, waitStatus, &freeList);
        *answer = NULL;
        status = waitStatus;
    } else {
        // Answered, perhaps while the wait ended for another reason: the
        // count the answer released is taken below.
        takeCount = waitStatus != STATUS_SUCCESS;
        *answer = thread->AlpcMessage;
        status = thread->AlpcWaitStatus;
        thread->AlpcMessage = NULL;
        thread->AlpcWaitStatus = STATUS_SUCCESS;
    }
    AlpcpReleaseLock(oldIrql);
    if (takeCount)
        KeWaitForSingleObject(&thread->AlpcWaitSemaphore, WrLpcReply, KernelMode, FALSE, NULL);
    AlpcpFreeMessageList(&freeList);
    return status;
}

// Copies a received answer (a reply) to the caller's buffer; frees it.
static NTSTATUS AlpcpCopyAnswer(ALPC_PORT *port, KALPC_MESSAGE *answer,
                                PORT_MESSAGE *receiveMessage, SIZE_T capacity,
                                SIZE_T *bufferLength, ALPC_MESSAGE_ATTRIBUTES *attributes)
{
    SIZE_T total = (USHORT)answer->PortMessage.u1.s1.TotalLength;
    NTSTATUS status;

    if (total > capacity) {
        status = STATUS_BUFFER_TOO_SMALL;
    } else {
        status = MmCopyToUser(receiveMessage, &answer->PortMessage, total);
        if (NT_SUCCESS(status) && attributes)
            status = AlpcpWriteReceiveAttributes(port, attributes, answer);
    }
    if (bufferLength && (NT_SUCCESS(status) || status == STATUS_BUFFER_TOO_SMALL)) {
        NTSTATUS copy = MmCopyToUser(bufferLength, &total, sizeof(total));

        if (!NT_SUCCESS(copy))
            status = copy;
    }
    AlpcpFreeMessage(answer);
    return status;
}

static __attribute__((noinline)) NTSTATUS
AlpcpProcessSynchronousRequest(ALPC_PORT *port, ULONG flags, const PORT_MESSAGE *sendMessage,
                               const PORT_MESSAGE *header,
                               ALPC_MESSAGE_ATTRIBUTES *sendAttributes,
                               PORT_MESSAGE *receiveMessage,
                               SIZE_T capacity, SIZE_T *bufferLength,
                               ALPC_MESSAGE_ATTRIBUTES *receiveAttributes,
                               LARGE_INTEGER *timeout)
{
    KPROCESSOR_MODE waitMode = UserMode;
    KALPC_MESSAGE *message, *answer;
    ULONG ids[3];
    NTSTATUS status;

    if (!receiveMessage)
        return STATUS_LPC_RECEIVE_BUFFER_EXPECTED;
    status = AlpcpCaptureMessage(sendMessage, header, &message);
    if (!NT_SUCCESS(status))
        return status;
    // alpcx: what the request carries (contexts, security, a view).
    status = AlpcpCaptureMessageAttributes(port, message, sendAttributes);
    if (!NT_SUCCESS(status)) {
        AlpcpFreeMessage(message);
        return status;
    }
    message->PortMessage.u2.s2.Type = LPC_REQUEST | LPC_CONTINUATION_REQUIRED;
    status = AlpcpSendMessage(port, message, TRUE, ids);
    if (!NT_SUCCESS(status)) {
        AlpcpFreeMessage(message);
        return status;
    }
    status = AlpcpReceiveSynchronousReply(port, waitMode,
                                          (flags & ALPC_MSGFLG_WAIT_ALERTABLE) != 0, timeout,
                                          &answer);
    if (!NT_SUCCESS(status) || status == STATUS_TIMEOUT || !answer)
        return status;
    return AlpcpCopyAnswer(port, answer, receiveMessage, capacity, bufferLength,
                           receiveAttributes);
}

// A datagram through `port`. With a context attribute in the send
// attributes, the sender learns the message's ids there, so that it can
// name the message to NtAlpcCancelMessage.
static NTSTATUS AlpcpSendDatagram(ALPC_PORT *port, PORT_MESSAGE *sendMessage,
                                  const PORT_MESSAGE *header,
                                  ALPC_MESSAGE_ATTRIBUTES *sendAttributes)
{
    ALPC_CONTEXT_ATTR context;
    KALPC_MESSAGE *message;
    ULONG ids[3];
    NTSTATUS status = AlpcpCaptureMessage(sendMessage, header, &message);

    if (!NT_SUCCESS(status))
        return status;
    // alpcx: what the datagram carries.
    status = AlpcpCaptureMessageAttributes(port, message, sendAttributes);
    if (!NT_SUCCESS(status)) {
        AlpcpFreeMessage(message);
        return status;
    }
    message->PortMessage.u2.s2.Type = LPC_DATAGRAM;
    message->u1.s1.ReleaseMessage = 1;
    status = AlpcpSendMessage(port, message, FALSE, ids);
    if (!NT_SUCCESS(status)) {
        AlpcpFreeMessage(message);
        return status;
    }
    if (!sendAttributes)
        return STATUS_SUCCESS;
    // The block is the receiver's by now: the ids were read under the lock.
    memset(&context, 0, sizeof(context));
    context.MessageId = ids[0];
    context.CallbackId = ids[1];
    context.Sequence = ids[2];
    return AlpcpWriteContextAttribute(sendAttributes, &context);
}

// The reply to (or, releasing, the end of) the received request the
// header names, through `port`: the request must be pending at the port
// its owner receives on. The waiting sender gets the reply.
static NTSTATUS AlpcpReplyMessage(ALPC_PORT *port, ULONG flags, PORT_MESSAGE *sendMessage,
                                  const PORT_MESSAGE *header,
                                  ALPC_MESSAGE_ATTRIBUTES *sendAttributes)
{
    BOOLEAN release = (flags & ALPC_MSGFLG_RELEASE_MESSAGE) != 0;
    KALPC_MESSAGE *reply = NULL, *request;
    LIST_ENTRY freeList;
    ALPC_PORT *receivePort;
    NTSTATUS status;
    KIRQL oldIrql;

    InitializeListHead(&freeList);
    if (!release) {
        status = AlpcpCaptureMessage(sendMessage, header, &reply);
        if (!NT_SUCCESS(status))
            return status;
        reply->PortMessage.u2.s2.Type = LPC_REPLY;
        reply->PortMessage.MessageId = header->MessageId;
        reply->PortMessage.CallbackId = header->CallbackId;
        // alpcx: what the reply carries.
        status = AlpcpCaptureMessageAttributes(port, reply, sendAttributes);
        if (!NT_SUCCESS(status)) {
            AlpcpFreeMessage(reply);
            return status;
        }
    }
    oldIrql = AlpcpAcquireLock();
    receivePort = AlpcpReceivePort(port);
    request = AlpcpLookupMessage(header->MessageId);
    if (!request || !receivePort || request->PortQueue != receivePort ||
        request->PortMessage.CallbackId != header->CallbackId ||
        AlpcpMessageType(&request->PortMessage) == LPC_CONNECTION_REQUEST ||
        (request->u1.s1.QueueType != ALPC_MSGQUEUE_PENDING && !request->u1.s1.Canceled) ||
        request->u1.s1.ReceiverReference) {
        status = STATUS_REPLY_MESSAGE_MISMATCH;
    } else if (request->u1.s1.Canceled) {
        // Its sender gave up: the answer has nobody to go to.
        RemoveEntryList(&request->Entry);
        receivePort->CanceledQueueLength--;
        AlpcpRemoveMessageIdLocked(request);
        InsertTailList(&freeList, &request->Entry);
        status = STATUS_SUCCESS;
    } else {
        RemoveEntryList(&request->Entry);
        receivePort->PendingQueueLength--;
        request->u1.s1.QueueType = ALPC_MSGQUEUE_NONE;
        request->u1.s1.ReleaseMessage = release;
        if (request->WaitingThread) {
            // alpcx: the client gets back its own context for the request.
            if (reply)
                reply->MessageAttributes.ClientContext =
                    request->MessageAttributes.ClientContext;
            AlpcpWakeWaiter(request->WaitingThread, reply, STATUS_REQUEST_CANCELED);
            request->WaitingThread = NULL;
            reply = NULL;
        }
        // Its id goes now, under the lock held: no second round trip.
        AlpcpRemoveMessageIdLocked(request);
        InsertTailList(&freeList, &request->Entry);
        status = STATUS_SUCCESS;
    }
    AlpcpReleaseLock(oldIrql);
    if (reply)
        AlpcpFreeMessage(reply);
    AlpcpFreeMessageList(&freeList);
    return status;
}

NTSTATUS NtAlpcSendWaitReceivePort(HANDLE portHandle, ULONG flags, PORT_MESSAGE *sendMessage,
                                   ALPC_MESSAGE_ATTRIBUTES *sendMessageAttributes,
                                   PORT_MESSAGE *receiveMessage, SIZE_T *bufferLength,
                                   ALPC_MESSAGE_ATTRIBUTES *receiveMessageAttributes,
                                   LARGE_INTEGER *timeout)
{
    LARGE_INTEGER capturedTimeout, *waitTimeout;
    PORT_MESSAGE header;
    ALPC_PORT *port;
    SIZE_T capacity = 0;
    NTSTATUS status;

    if (flags & ~ALPCP_VALID_SEND_FLAGS)
        return STATUS_INVALID_PARAMETER;
    if (!sendMessage && !receiveMessage)
        return STATUS_INVALID_PARAMETER;
    status = AlpcpCaptureTimeout(timeout, &capturedTimeout, &waitTimeout);
    if (!NT_SUCCESS(status))
        return status;
    status = AlpcpReferencePortByHandle(portHandle, 0, &port);
    if (!NT_SUCCESS(status))
        return status;
    // The receive buffer's size: BufferLength, else the port's largest message.
    if (receiveMessage) {
        if (bufferLength) {
            status = ProbeForWrite(bufferLength, sizeof(SIZE_T), sizeof(ULONG));
            if (NT_SUCCESS(status))
                status = MmCopyFromUser(&capacity, bufferLength, sizeof(capacity));
        } else {
            capacity = port->PortAttributes.MaxMessageLength;
        }
        if (NT_SUCCESS(status) && capacity < sizeof(PORT_MESSAGE))
            status = STATUS_BUFFER_TOO_SMALL;
        // alpcx: the receive attributes checked before anything is sent.
        if (NT_SUCCESS(status))
            status = AlpcpProbeReceiveAttributes(receiveMessageAttributes);
    }
    if (NT_SUCCESS(status) && sendMessage) {
        status = AlpcpCaptureHeader(port, sendMessage, &header);
        if (!NT_SUCCESS(status)) {
        } else if (flags & ALPC_MSGFLG_SYNC_REQUEST) {
            status = AlpcpProcessSynchronousRequest(port, flags, sendMessage, &header,
                                                    sendMessageAttributes, receiveMessage,
                                                    capacity, bufferLength,
                                                    receiveMessageAttributes, waitTimeout);
            ObDereferenceObject(port);
            return status;
        } else if (header.MessageId || (flags & (ALPC_MSGFLG_REPLY_MESSAGE |
                                                 ALPC_MSGFLG_RELEASE_MESSAGE))) {
            status = AlpcpReplyMessage(port, flags, sendMessage, &header,
                                       sendMessageAttributes);
        } else {
            status = AlpcpSendDatagram(port, sendMessage, &header, sendMessageAttributes);
        }
    }
    if (NT_SUCCESS(status) && receiveMessage)
        status = AlpcpReceiveMessage(port, flags, receiveMessage, capacity, bufferLength,
                                     receiveMessageAttributes, waitTimeout);
    ObDereferenceObject(port);
    return status;
}
