// Receiving: NtAlpcSendWaitReceivePort's receive half. A thread receives
// on the port its port's owner receives on (a server's connection port, a
// client's own communication port): it takes the oldest message (one a
// too-small buffer refused before comes first, from the large message
// queue), else joins the port's WaitQueue and waits on its own
// AlpcWaitSemaphore (WrLpcReceive, a user-mode wait so that terminating it
// works) until a sender hands it the wake.
//
// A message is taken off its queue before it is copied to the receiver's
// buffer (no user memory is touched under the lock) and marked
// ReceiverReference meanwhile; then a request that wants an answer (a
// synchronous request, a connection request) goes to the pending queue,
// and anything else is freed. A message whose sender gave up meanwhile
// goes to the canceled queue, for the answer to free.

#include "alpc/alpcp.h"
#include "alpc/alpcx.h"
#include "mm/mm.h"

// Where an attribute lies in a message attributes buffer: after the
// header, every allocated attribute of a higher bit first.
static SIZE_T AlpcpAttributeOffset(ULONG allocated, ULONG attribute)
{
    // alpcx: the layout shared with the user runtime (rtl/alpcattr.c).
    return AlpcpMessageAttributeOffset(allocated, attribute);
}

NTSTATUS AlpcpWriteContextAttribute(ALPC_MESSAGE_ATTRIBUTES *attributes,
                                    const ALPC_CONTEXT_ATTR *context)
{
    ALPC_MESSAGE_ATTRIBUTES header;
    ULONG valid = 0;
    NTSTATUS status = MmCopyFromUser(&header, attributes, sizeof(header));

    if (!NT_SUCCESS(status))
        return status;
    if (header.AllocatedAttributes & ALPC_MESSAGE_CONTEXT_ATTRIBUTE) {
        status = MmCopyToUser((UCHAR *)attributes +
                                  AlpcpAttributeOffset(header.AllocatedAttributes,
                                                       ALPC_MESSAGE_CONTEXT_ATTRIBUTE),
                              context, sizeof(*context));
        if (!NT_SUCCESS(status))
            return status;
        valid |= ALPC_MESSAGE_CONTEXT_ATTRIBUTE;
    }
    return MmCopyToUser(&attributes->ValidAttributes, &valid, sizeof(valid));
}

NTSTATUS AlpcpWriteReceiveAttributes(ALPC_PORT *port, ALPC_MESSAGE_ATTRIBUTES *attributes,
                                     const KALPC_MESSAGE *message)
{
    // alpcx: every attribute (context, security, view) is written there (attrib.c).
    return AlpcpWriteMessageAttributes(port, message, attributes);
}

// Takes the next message off the port's queues for the current thread
// (lock held): NULL when there is none. A message larger than `capacity`
// stays (on the large message queue) and comes back in *tooLarge.
static KALPC_MESSAGE *AlpcpDequeueMessage(ALPC_PORT *port, SIZE_T capacity,
                                          SIZE_T *tooLarge)
{
    KALPC_MESSAGE *message;

    *tooLarge = 0;
    if (!IsListEmpty(&port->LargeMessageQueue))
        message = CONTAINING_RECORD(port->LargeMessageQueue.Flink, KALPC_MESSAGE, Entry);
    else if (!IsListEmpty(&port->MainQueue))
        message = CONTAINING_RECORD(port->MainQueue.Flink, KALPC_MESSAGE, Entry);
    else
        return NULL;
    RemoveEntryList(&message->Entry);
    if (message->u1.s1.QueueType == ALPC_MSGQUEUE_MAIN)
        port->MainQueueLength--;
    else
        port->LargeMessageQueueLength--;
    if ((USHORT)message->PortMessage.u1.s1.TotalLength > capacity) {
        *tooLarge = (USHORT)message->PortMessage.u1.s1.TotalLength;
        InsertHeadList(&port->LargeMessageQueue, &message->Entry);
        port->LargeMessageQueueLength++;
        message->u1.s1.QueueType = ALPC_MSGQUEUE_LARGE_MESSAGE;
        return NULL;
    }
    if (message->QuotaBlock) {
        port->QueuedPoolUsage -= message->ExtensionBufferSize;
        message->QuotaBlock = NULL;
    }
    message->u1.s1.QueueType = ALPC_MSGQUEUE_NONE;
    message->u1.s1.ReceiverReference = 1;
    InitializeListHead(&message->Entry);
    if (!message->ServerThread) {
        message->ServerThread = PsGetCurrentThread();
        ObReferenceObject(message->ServerThread);
    }
    return message;
}

// Where a received message goes once copied (lock held): pending for an
// answer, back to the queue when the copy failed, else to `freeList`.
static void AlpcpFinishReceive(ALPC_PORT *port, KALPC_MESSAGE *message, BOOLEAN copied,
                               LIST_ENTRY *freeList)
{
    BOOLEAN answered = AlpcpMessageType(&message->PortMessage) == LPC_CONNECTION_REQUEST ||
                       (message->PortMessage.u2.s2.Type & LPC_CONTINUATION_REQUIRED);

    message->u1.s1.ReceiverReference = 0;
    if (port->u1.s1.Closed) {
        // The port ran down meanwhile: its rundown did not see this one,
        // and nothing may be queued at a closed port (a message holds its
        // sender's port, which holds the connection port: a cycle).
        if (message->WaitingThread) {
            AlpcpWakeWaiter(message->WaitingThread, NULL, STATUS_PORT_DISCONNECTED);
            message->WaitingThread = NULL;
        }
        InsertTailList(freeList, &message->Entry);
    } else if (message->u1.s1.Canceled) {
        // Its sender gave up while it was copied out.
        if (answered && copied) {
            InsertTailList(&port->CanceledQueue, &message->Entry);
            port->CanceledQueueLength++;
        } else {
            InsertTailList(freeList, &message->Entry);
        }
    } else if (!copied) {
        // The receiver's buffer was bad: the message is the next one's.
        InsertHeadList(&port->MainQueue, &message->Entry);
        port->MainQueueLength++;
        message->u1.s1.QueueType = ALPC_MSGQUEUE_MAIN;
        AlpcpWakeReceivers(port, FALSE);
    } else if (answered) {
        InsertTailList(&port->PendingQueue, &message->Entry);
        port->PendingQueueLength++;
        message->u1.s1.QueueType = ALPC_MSGQUEUE_PENDING;
    } else {
        InsertTailList(freeList, &message->Entry);
    }
}

// Waits (WrLpcReceive) until a sender or a rundown wakes the thread, or
// the wait ends otherwise (its status). Lock held on entry, released.
static NTSTATUS AlpcpWaitForMessage(ALPC_PORT *port, ETHREAD *thread, BOOLEAN alertable,
                                    LARGE_INTEGER *timeout, KIRQL oldIrql)
{
    NTSTATUS status;

    InsertTailList(&port->WaitQueue, &thread->AlpcWaitListEntry);
    port->WaitQueueLength++;
    AlpcpReleaseLock(oldIrql);
    // A plain wait (no timeout, not alertable: a server's usual receive)
    // takes KeWaitForSingleObject's short path, none of KiWait's steps.
    status = KeWaitForSingleObject(&thread->AlpcWaitSemaphore, WrLpcReceive, UserMode,
                                   alertable, timeout);
    oldIrql = AlpcpAcquireLock();
    if (!IsListEmpty(&thread->AlpcWaitListEntry)) {
        // Nobody woke it: a timeout, an alert or termination.
        RemoveEntryList(&thread->AlpcWaitListEntry);
        InitializeListHead(&thread->AlpcWaitListEntry);
        port->WaitQueueLength--;
        AlpcpReleaseLock(oldIrql);
        return status == STATUS_SUCCESS ? STATUS_UNSUCCESSFUL : status;
    }
    if (status != STATUS_SUCCESS && status != STATUS_TIMEOUT) {
        // Woken, and ending for another reason: the wake goes to the next
        // receiver, and the count it released is taken below.
        AlpcpWakeReceivers(port, FALSE);
    }
    AlpcpReleaseLock(oldIrql);
    if (status != STATUS_SUCCESS)
        KeWaitForSingleObject(&thread->AlpcWaitSemaphore, WrLpcReceive, KernelMode, FALSE,
                              NULL);
    return status == STATUS_TIMEOUT ? STATUS_SUCCESS : status;
}

NTSTATUS AlpcpReceiveMessage(ALPC_PORT *port, ULONG flags, PORT_MESSAGE *receiveMessage,
                             SIZE_T capacity, SIZE_T *bufferLength,
                             ALPC_MESSAGE_ATTRIBUTES *attributes, LARGE_INTEGER *timeout)
{
    BOOLEAN alertable = (flags & ALPC_MSGFLG_WAIT_ALERTABLE) != 0;
    ETHREAD *thread = PsGetCurrentThread();
    KALPC_MESSAGE *message;
    ALPC_PORT *receivePort;
    LIST_ENTRY freeList;
    SIZE_T total;
    NTSTATUS status;
    KIRQL oldIrql;

    for (;;) {
        oldIrql = AlpcpAcquireLock();
        receivePort = AlpcpReceivePort(port);
        if (!receivePort) {
            AlpcpReleaseLock(oldIrql);
            return STATUS_PORT_DISCONNECTED;
        }
        message = AlpcpDequeueMessage(receivePort, capacity, &total);
        if (message)
            break;
        if (total) {
            AlpcpReleaseLock(oldIrql);
            if (bufferLength) {
                status = MmCopyToUser(bufferLength, &total, sizeof(total));
                if (!NT_SUCCESS(status))
                    return status;
            }
            return STATUS_BUFFER_TOO_SMALL;
        }
        // Nothing queued: a port that is gone has nothing more to give.
        if (receivePort->u1.s1.Closed ||
            (receivePort->u1.s1.Type == ALPC_CLIENT_COMMUNICATION_PORT &&
             receivePort->u1.s1.Disconnected)) {
            AlpcpReleaseLock(oldIrql);
            return STATUS_PORT_DISCONNECTED;
        }
        if (timeout && timeout->QuadPart == 0) {
            AlpcpReleaseLock(oldIrql);
            return STATUS_TIMEOUT;
        }
        status = AlpcpWaitForMessage(receivePort, thread, alertable, timeout, oldIrql);
        if (status != STATUS_SUCCESS)
            return status;
    }
    AlpcpReleaseLock(oldIrql);
    total = (USHORT)message->PortMessage.u1.s1.TotalLength;
    status = MmCopyToUser(receiveMessage, &message->PortMessage, total);
    if (NT_SUCCESS(status) && attributes)
        status = AlpcpWriteReceiveAttributes(port, attributes, message);
    if (NT_SUCCESS(status) && bufferLength)
        status = MmCopyToUser(bufferLength, &total, sizeof(total));
    InitializeListHead(&freeList);
    oldIrql = AlpcpAcquireLock();
    AlpcpFinishReceive(receivePort, message, NT_SUCCESS(status), &freeList);
    AlpcpReleaseLock(oldIrql);
    AlpcpFreeMessageList(&freeList);
    return status;
}
