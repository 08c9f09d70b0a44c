// Rundown, cancel and disconnect: what happens when one side goes, so that
// nobody waits forever for a side that is gone.
//
// - The server's connection port loses its last handle (or is
//   disconnected): it is Closed. Every message queued or pending there is
//   dropped and its waiting sender (a client in a request or a connect)
//   wakes with STATUS_PORT_DISCONNECTED; every connection through it is
//   disconnected; its receivers wake with STATUS_PORT_DISCONNECTED.
// - A client communication port loses its last handle (its process dies)
//   or is disconnected: its requests still queued at the server are
//   dropped, those the server holds are canceled (the server's reply
//   frees them), the server gets LPC_PORT_CLOSED (with the server port's
//   context), and later sends either way get STATUS_PORT_DISCONNECTED.
// - A server communication port does the same from the other side: the
//   client's waiting threads wake with STATUS_PORT_DISCONNECTED.
// - A port's last reference (AlpcpDeletePort) breaks its links and frees
//   what is left; a message holds its OwnerPort, so no message outlives
//   the port it names.
// - A thread that stops waiting (timeout, termination) takes its own
//   message back (send.c, AlpcpReceiveSynchronousReply).

#include "alpc/alpcp.h"
#include "mm/mm.h"

// Cancels every message of `queue` (sent by `owner`, or any when NULL),
// lock held.
static void AlpcpCancelQueue(LIST_ENTRY *queue, ALPC_PORT *owner, NTSTATUS status,
                             LIST_ENTRY *freeList)
{
    LIST_ENTRY *entry = queue->Flink;

    while (entry != queue) {
        KALPC_MESSAGE *message = CONTAINING_RECORD(entry, KALPC_MESSAGE, Entry);

        entry = entry->Flink;
        if (!owner || message->OwnerPort == owner)
            AlpcpCancelMessageLocked(message, status, freeList);
    }
}

// Every message of the port's queues dropped (lock held): waiters woken
// with `status`, the canceled ones freed.
static void AlpcpFlushPortQueues(ALPC_PORT *port, NTSTATUS status, LIST_ENTRY *freeList)
{
    AlpcpCancelQueue(&port->MainQueue, NULL, status, freeList);
    AlpcpCancelQueue(&port->LargeMessageQueue, NULL, status, freeList);
    AlpcpCancelQueue(&port->PendingQueue, NULL, status, freeList);
    while (!IsListEmpty(&port->CanceledQueue)) {
        KALPC_MESSAGE *message = CONTAINING_RECORD(RemoveHeadList(&port->CanceledQueue),
                                                   KALPC_MESSAGE, Entry);

        InsertTailList(freeList, &message->Entry);
    }
    port->CanceledQueueLength = 0;
}

// A connection's traffic dropped (lock held): the client's messages at the
// connection port, everything at the client port.
static void AlpcpFlushConnection(ALPC_COMMUNICATION_INFO *info, LIST_ENTRY *freeList)
{
    ALPC_PORT *connectionPort = info->ConnectionPort;
    ALPC_PORT *clientPort = info->ClientCommunicationPort;

    if (!clientPort)
        return;
    AlpcpCancelQueue(&connectionPort->MainQueue, clientPort, STATUS_PORT_DISCONNECTED,
                     freeList);
    AlpcpCancelQueue(&connectionPort->LargeMessageQueue, clientPort, STATUS_PORT_DISCONNECTED,
                     freeList);
    AlpcpCancelQueue(&connectionPort->PendingQueue, clientPort, STATUS_PORT_DISCONNECTED,
                     freeList);
    AlpcpFlushPortQueues(clientPort, STATUS_PORT_DISCONNECTED, freeList);
    AlpcpWakeReceivers(clientPort, TRUE);
}

NTSTATUS AlpcpDisconnectPort(ALPC_PORT *port, BOOLEAN notifyServer)
{
    ALPC_COMMUNICATION_INFO *info = port->CommunicationInfo;
    KALPC_MESSAGE *notice = NULL;
    ALPC_PORT *serverPort;
    LIST_ENTRY freeList;
    NTSTATUS status = STATUS_SUCCESS;
    KIRQL oldIrql;

    InitializeListHead(&freeList);
    if (port->u1.s1.Type == ALPC_CLIENT_COMMUNICATION_PORT && notifyServer) {
        // LPC_PORT_CLOSED for the server, made before the lock; it must get
        // through, so it waits for pool if pool is short.
        while (!(notice = AlpcpAllocateMessage(sizeof(PORT_MESSAGE)))) {
            LARGE_INTEGER interval = {.QuadPart = -100 * 10000LL};

            KeDelayExecutionThread(KernelMode, FALSE, &interval);
        }
        notice->PortMessage.u1.s1.TotalLength = sizeof(PORT_MESSAGE);
        notice->PortMessage.u2.s2.Type = LPC_PORT_CLOSED;
        notice->PortMessage.ClientId = PsGetCurrentThread()->Cid;
        notice->u1.s1.ReleaseMessage = 1;
    }
    oldIrql = AlpcpAcquireLock();
    switch (port->u1.s1.Type) {
    case ALPC_CONNECTION_PORT:
        if (port->u1.s1.Closed) {
            status = STATUS_PORT_DISCONNECTED;
            break;
        }
        port->u1.s1.Closed = 1;
        port->u1.s1.Disconnected = 1;
        AlpcpFlushPortQueues(port, STATUS_PORT_DISCONNECTED, &freeList);
        for (LIST_ENTRY *entry = info->CommunicationList.Flink;
             entry != &info->CommunicationList; entry = entry->Flink) {
            ALPC_COMMUNICATION_INFO *connection =
                CONTAINING_RECORD(entry, ALPC_COMMUNICATION_INFO, CommunicationList);

            if (connection->ClientCommunicationPort)
                connection->ClientCommunicationPort->u1.s1.Disconnected = 1;
            if (connection->ServerCommunicationPort)
                connection->ServerCommunicationPort->u1.s1.Disconnected = 1;
            AlpcpFlushConnection(connection, &freeList);
        }
        AlpcpWakeReceivers(port, TRUE);
        break;
    case ALPC_CLIENT_COMMUNICATION_PORT:
    case ALPC_SERVER_COMMUNICATION_PORT:
        if (!info || port->u1.s1.Disconnected) {
            status = STATUS_PORT_DISCONNECTED;
            break;
        }
        serverPort = info->ServerCommunicationPort;
        if (info->ClientCommunicationPort)
            info->ClientCommunicationPort->u1.s1.Disconnected = 1;
        if (serverPort)
            serverPort->u1.s1.Disconnected = 1;
        AlpcpFlushConnection(info, &freeList);
        if (notice && serverPort && !info->ConnectionPort->u1.s1.Closed) {
            notice->MessageAttributes.PortContext = serverPort->PortContext;
            if (NT_SUCCESS(AlpcpQueueMessage(NULL, info->ConnectionPort, notice, TRUE)))
                notice = NULL;
        }
        break;
    default:
        status = STATUS_INVALID_PORT_HANDLE;
        break;
    }
    AlpcpReleaseLock(oldIrql);
    if (notice)
        AlpcpFreeMessage(notice);
    AlpcpFreeMessageList(&freeList);
    return status;
}

void AlpcpClosePort(EPROCESS *process, void *object, ACCESS_MASK grantedAccess,
                    ULONG_PTR processHandleCount, ULONG_PTR systemHandleCount)
{
    (void)process;
    (void)grantedAccess;
    (void)processHandleCount;
    if (systemHandleCount == 0)
        AlpcpDisconnectPort(object, TRUE);
}

void AlpcpDeletePort(void *object)
{
    ALPC_PORT *port = object;
    ALPC_COMMUNICATION_INFO *info = port->CommunicationInfo, *freeInfo = NULL;
    ALPC_PORT *connectionPort = NULL;
    EPROCESS *process = port->OwnerProcess;
    LIST_ENTRY freeList;
    KIRQL oldIrql;

    if (!port->u1.s1.Initialized) {
        // Its creation failed part way: only the connection port's info.
        if (info && port->u1.s1.Type == ALPC_CONNECTION_PORT)
            ExFreePoolWithTag(info, ALPC_COMMUNICATION_TAG);
        return;
    }
    // A port that never had a handle (a connect or an accept that failed
    // at the end) was never closed.
    if (info && (port->u1.s1.Type == ALPC_CONNECTION_PORT || !port->u1.s1.Disconnected))
        AlpcpDisconnectPort(port, port->u1.s1.Type == ALPC_CLIENT_COMMUNICATION_PORT);
    InitializeListHead(&freeList);
    oldIrql = AlpcpAcquireLock();
    AlpcpFlushPortQueues(port, STATUS_PORT_DISCONNECTED, &freeList);
    switch (port->u1.s1.Type) {
    case ALPC_CONNECTION_PORT:
        freeInfo = info;
        break;
    case ALPC_CLIENT_COMMUNICATION_PORT:
    case ALPC_SERVER_COMMUNICATION_PORT:
        if (!info)
            break;
        // Each communication port holds its connection port.
        connectionPort = info->ConnectionPort;
        if (port->u1.s1.Type == ALPC_CLIENT_COMMUNICATION_PORT)
            info->ClientCommunicationPort = NULL;
        else
            info->ServerCommunicationPort = NULL;
        if (!info->ClientCommunicationPort && !info->ServerCommunicationPort) {
            RemoveEntryList(&info->CommunicationList);
            freeInfo = info;
        }
        break;
    }
    port->CommunicationInfo = NULL;
    AlpcpReleaseLock(oldIrql);
    AlpcpFreeMessageList(&freeList);
    if (freeInfo)
        ExFreePoolWithTag(freeInfo, ALPC_COMMUNICATION_TAG);
    if (process) {
        KeAcquireSpinLock(&process->AlpcContext.Lock, &oldIrql);
        RemoveEntryList(&port->PortListEntry);
        KeReleaseSpinLock(&process->AlpcContext.Lock, oldIrql);
        ObDereferenceObject(process);
    }
    if (connectionPort)
        ObDereferenceObject(connectionPort);
}

NTSTATUS NtAlpcDisconnectPort(HANDLE portHandle, ULONG flags)
{
    ALPC_PORT *port;
    NTSTATUS status;

    if (flags)
        return STATUS_INVALID_PARAMETER;
    status = AlpcpReferencePortByHandle(portHandle, 0, &port);
    if (!NT_SUCCESS(status))
        return status;
    status = AlpcpDisconnectPort(port, TRUE);
    ObDereferenceObject(port);
    return status;
}

// The message the context names, sent through this port: out of its queue
// (or, received already, canceled for the receiver's answer to free); its
// waiting sender wakes with STATUS_REQUEST_CANCELED. With
// ALPC_CANCELFLG_TRY_CANCEL, a message already received stays
// (STATUS_INVALID_MESSAGE). A message no longer there: STATUS_MESSAGE_LOST.
NTSTATUS NtAlpcCancelMessage(HANDLE portHandle, ULONG flags, ALPC_CONTEXT_ATTR *messageContext)
{
    ALPC_CONTEXT_ATTR context;
    KALPC_MESSAGE *message;
    LIST_ENTRY freeList;
    ALPC_PORT *port;
    KIRQL oldIrql;
    NTSTATUS status;

    if (flags & ~ALPC_CANCELFLG_TRY_CANCEL)
        return STATUS_INVALID_PARAMETER;
    if (!messageContext)
        return STATUS_INVALID_PARAMETER;
    status = MmCopyFromUser(&context, messageContext, sizeof(context));
    if (!NT_SUCCESS(status))
        return status;
    status = AlpcpReferencePortByHandle(portHandle, 0, &port);
    if (!NT_SUCCESS(status))
        return status;
    InitializeListHead(&freeList);
    oldIrql = AlpcpAcquireLock();
    message = AlpcpLookupMessage(context.MessageId);
    if (!message || message->OwnerPort != port ||
        message->PortMessage.CallbackId != context.CallbackId || message->u1.s1.Canceled ||
        AlpcpMessageType(&message->PortMessage) == LPC_CONNECTION_REQUEST) {
        status = STATUS_MESSAGE_LOST;
    } else if ((flags & ALPC_CANCELFLG_TRY_CANCEL) &&
               (message->u1.s1.QueueType == ALPC_MSGQUEUE_PENDING ||
                message->u1.s1.ReceiverReference)) {
        status = STATUS_INVALID_MESSAGE;
    } else {
        AlpcpCancelMessageLocked(message, STATUS_REQUEST_CANCELED, &freeList);
        status = STATUS_SUCCESS;
    }
    AlpcpReleaseLock(oldIrql);
    AlpcpFreeMessageList(&freeList);
    ObDereferenceObject(port);
    return status;
}
