// Rundown: what happens when one side of a connection goes, so that
// nobody waits forever for a side that is gone.
//
// - The server's connection port loses its last handle (LpcpClosePort):
//   its name is dead, its queue is emptied, and every thread on its reply
//   chain (clients still connecting) wakes, refused.
// - A port's last reference goes (LpcpDeletePort): a client port first
//   tells the server with LPC_PORT_CLOSED; every thread waiting for a reply
//   through the port wakes with STATUS_LPC_REPLY_LOST; links to the peer
//   break (its later sends get STATUS_PORT_DISCONNECTED); the views mapped
//   for the connection are unmapped.
// - A thread ends (LpcExitThread): it leaves any reply chain and drops the
//   message it held; its registered termination ports get LPC_CLIENT_DIED,
//   one each (a port registered twice is told once).

#include "lpc/lpcp.h"
#include "mm/mm.h"

// One NtRegisterThreadTerminatePort registration (ETHREAD.TerminationPortList).
typedef struct _TERMINATION_PORT {
    LIST_ENTRY Links;
    LPCP_PORT_OBJECT *Port;         // referenced
} TERMINATION_PORT;

void LpcpDestroyPortQueue(LPCP_PORT_OBJECT *port)
{
    LPCP_PORT_OBJECT *peer;
    LIST_ENTRY freeList;
    KIRQL oldIrql;

    InitializeListHead(&freeList);
    oldIrql = LpcpAcquireLock();
    peer = port->ConnectedPort;
    if (peer && peer != port && peer->ConnectedPort == port)
        peer->ConnectedPort = NULL;
    port->ConnectedPort = NULL;
    if ((port->Flags & LPCP_PORT_TYPE_MASK) == LPCP_CONNECTION_PORT)
        port->Flags |= LPCP_NAME_DELETED;
    port->Flags |= LPCP_PORT_DELETED;
    // Every waiter wakes without an answer: REPLY_LOST for a request,
    // refused for a connection.
    while (!IsListEmpty(&port->LpcReplyChainHead)) {
        ETHREAD *thread = CONTAINING_RECORD(RemoveHeadList(&port->LpcReplyChainHead), ETHREAD,
                                            LpcReplyChain);
        LPCP_MESSAGE *held = LpcpGetMessageFromThread(thread);

        InitializeListHead(&thread->LpcReplyChain);
        // A connection request still queued goes with the queue below.
        if (held && IsListEmpty(&held->Entry))
            InsertTailList(&freeList, &held->Entry);
        thread->LpcReplyMessage = NULL;
        thread->LpcReplyMessageId = 0;
        KeReleaseSemaphore(&thread->LpcReplySemaphore, 1, 1, FALSE);
    }
    while (!IsListEmpty(&port->MsgQueue.ReceiveHead))
        InsertTailList(&freeList, RemoveHeadList(&port->MsgQueue.ReceiveHead));
    while (!IsListEmpty(&port->LpcDataInfoChainHead))
        InsertTailList(&freeList, RemoveHeadList(&port->LpcDataInfoChainHead));
    if (port->MsgQueue.Semaphore) {
        // A thread receiving on the queue wakes to STATUS_PORT_DISCONNECTED
        // (and wakes the next one).
        KeReleaseSemaphore(port->MsgQueue.Semaphore, 1, 1, FALSE);
        if (port->Flags & LPCP_WAITABLE_PORT)
            KeClearEvent(&port->WaitEvent);
    }
    LpcpReleaseLock(oldIrql);
    LpcpFreeMessageList(&freeList);
}

void LpcpClosePort(EPROCESS *process, void *object, ACCESS_MASK grantedAccess,
                   ULONG_PTR processHandleCount, ULONG_PTR systemHandleCount)
{
    LPCP_PORT_OBJECT *port = object;

    (void)process;
    (void)grantedAccess;
    (void)processHandleCount;
    // The server's last handle to its connection port: no more clients.
    if ((port->Flags & LPCP_PORT_TYPE_MASK) == LPCP_CONNECTION_PORT && systemHandleCount == 0)
        LpcpDestroyPortQueue(port);
}

// A kernel notice (LPC_PORT_CLOSED, LPC_CLIENT_DIED) through `port`. It
// must get through: it waits for a message block if pool is short (as NT
// retries every 100 ms) and is not held to the queue's quota.
static void LpcpSendNotice(LPCP_PORT_OBJECT *port, CSHORT type, LARGE_INTEGER createTime)
{
    LPCP_MESSAGE *message;
    CLIENT_DIED_MSG *notice;

    while (!(message = LpcpAllocateMessage())) {
        LARGE_INTEGER interval = {.QuadPart = -100 * 10000LL};

        KeDelayExecutionThread(KernelMode, FALSE, &interval);
    }
    notice = (CLIENT_DIED_MSG *)&message->Request;
    notice->h.u1.s1.DataLength = sizeof(CLIENT_DIED_MSG) - sizeof(PORT_MESSAGE);
    notice->h.u1.s1.TotalLength = sizeof(CLIENT_DIED_MSG);
    notice->h.u2.s2.Type = type;
    notice->CreateTime = createTime;
    // Fails only when the other side is gone already: nobody to tell.
    LpcpSendDatagram(port, message, FALSE);
}

void LpcpDeletePort(void *object)
{
    LPCP_PORT_OBJECT *port = object;
    ULONG type = port->Flags & LPCP_PORT_TYPE_MASK;
    ETHREAD *client = NULL;
    KIRQL oldIrql;

    if (type == LPCP_CLIENT_PORT && port->ConnectedPort && port->MappingProcess)
        LpcpSendNotice(port, LPC_PORT_CLOSED, port->MappingProcess->CreateTime);
    if (type == LPCP_CLIENT_PORT)
        LpcpDeleteClientSecurity(port);
    LpcpDestroyPortQueue(port);
    if (type == LPCP_COMMUNICATION_PORT) {
        // Accepted but never completed: the client wakes, refused (its port
        // is unlinked already), if it still waits for this completion.
        oldIrql = LpcpAcquireLock();
        client = port->ClientThread;
        port->ClientThread = NULL;
        if (client && LpcpClientAwaitsCompletion(client, port)) {
            RemoveEntryList(&client->LpcReplyChain);
            InitializeListHead(&client->LpcReplyChain);
            KeReleaseSemaphore(&client->LpcReplySemaphore, 1, 1, FALSE);
        }
        LpcpReleaseLock(oldIrql);
        if (client)
            ObDereferenceObject(client);
    }
    if (type != LPCP_CONNECTION_PORT && type != LPCP_UNCONNECTED_PORT && port->MappingProcess) {
        if (port->ClientSectionBase)
            MmUnmapViewOfSection(port->MappingProcess, port->ClientSectionBase);
        if (port->ServerSectionBase)
            MmUnmapViewOfSection(port->MappingProcess, port->ServerSectionBase);
    }
    // ServerProcess for a connection port, MappingProcess for the others.
    if (port->MappingProcess)
        ObDereferenceObject(port->MappingProcess);
    if (port->ConnectionPort && port->ConnectionPort != port)
        ObDereferenceObject(port->ConnectionPort);
    if (port->MsgQueue.NonPagedPortQueue)
        ExFreePoolWithTag(port->MsgQueue.NonPagedPortQueue, LPCP_QUEUE_TAG);
}

void LpcExitThread(ETHREAD *thread)
{
    LPCP_MESSAGE *held;
    ETHREAD *client;
    KIRQL oldIrql = LpcpAcquireLock();

    if (!IsListEmpty(&thread->LpcReplyChain)) {
        RemoveEntryList(&thread->LpcReplyChain);
        InitializeListHead(&thread->LpcReplyChain);
    }
    held = LpcpGetMessageFromThread(thread);
    if (held && !IsListEmpty(&held->Entry)) {
        // Only a connection request is held while queued: on the queue of
        // its client port's connection port.
        RemoveEntryList(&held->Entry);
        InitializeListHead(&held->Entry);
        LpcpUncountMessage(LpcpConnectionMessage(held)->ClientPort->ConnectionPort);
    }
    thread->LpcReplyMessage = NULL;
    thread->LpcReplyMessageId = 0;
    thread->LpcReceivedMsgIdValid = FALSE;
    // The client of a request it received and never answered.
    client = thread->LpcReceivedThread;
    thread->LpcReceivedThread = NULL;
    thread->LpcExitThreadCalled = TRUE;
    LpcpReleaseLock(oldIrql);
    if (client)
        ObDereferenceObject(client);
    if (held)
        LpcpFreeMessage(held);
    // After LpcExitThreadCalled: no free of this thread caches a block again.
    LpcpFlushMessageCache(thread);
}

void LpcSendClientDiedMessages(ETHREAD *thread)
{
    EPROCESS *process = thread->ThreadsProcess;
    BOOLEAN registered = !IsListEmpty(&thread->TerminationPortList);

    while (!IsListEmpty(&thread->TerminationPortList)) {
        TERMINATION_PORT *entry = CONTAINING_RECORD(RemoveHeadList(&thread->TerminationPortList),
                                                    TERMINATION_PORT, Links);

        LpcpSendNotice(entry->Port, LPC_CLIENT_DIED, thread->CreateTime);
        ObDereferenceObject(entry->Port);
        ExFreePoolWithTag(entry, LPCP_TERMINATION_PORT_TAG);
    }
    // As NT: a thread with no termination port tells its process's
    // exception port, if it has one.
    if (!registered && process->ExceptionPort && !thread->SystemThread)
        LpcpSendNotice(process->ExceptionPort, LPC_CLIENT_DIED, thread->CreateTime);
}

NTSTATUS NtRegisterThreadTerminatePort(HANDLE portHandle)
{
    ETHREAD *thread = PsGetCurrentThread();
    TERMINATION_PORT *entry;
    LPCP_PORT_OBJECT *port;
    NTSTATUS status = LpcpReferencePortByHandle(portHandle, 0, &port);

    if (!NT_SUCCESS(status))
        return status;
    // A port is told once: registering it again adds nothing. Otherwise a
    // thread registering one port a million times would, as it ends, queue
    // a million notices (they are not held to the queue's quota) and wait
    // in its exit, a block at a time, for pool the notices took.
    for (LIST_ENTRY *link = thread->TerminationPortList.Flink;
         link != &thread->TerminationPortList; link = link->Flink) {
        if (CONTAINING_RECORD(link, TERMINATION_PORT, Links)->Port == port) {
            ObDereferenceObject(port);
            return STATUS_SUCCESS;
        }
    }
    entry = ExAllocatePoolWithTag(NonPagedPool, sizeof(*entry), LPCP_TERMINATION_PORT_TAG);
    if (!entry) {
        ObDereferenceObject(port);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    entry->Port = port;
    // Only the thread itself touches its list (here and as it exits).
    InsertHeadList(&thread->TerminationPortList, &entry->Links);
    return STATUS_SUCCESS;
}
