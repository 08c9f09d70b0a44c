// LPC's start: the Port and WaitablePort object types, the lock, the
// message ids, and the free list of message blocks.
//
// Every message block is LPCP_MAX_MESSAGE_SIZE bytes (room for the largest
// message with its LPCP_MESSAGE and connection message), so one free list
// serves them all, as NT's LpcpMessagesLookaside does. LpcInitSystem fills
// it with LPCP_LOOKASIDE_DEPTH blocks. A free block is either on the list
// or the one a thread keeps for its next message (ETHREAD's
// LpcCachedMessage: taken and given back without the lock, which a round
// trip would otherwise take four times); LpcpFreeMessageCount counts both.
// An allocation takes the thread's block, else one from the list, else one
// from pool; a free keeps the block while fewer than the depth are free
// (in the thread's cache when it is empty), else gives it back to pool.
// Blocks in pool are the free ones plus those in use, so they never drop
// below the depth, and at rest, with no message anywhere, exactly the depth
// is allocated: the LpcM count is the same before and after any test. A
// thread's block goes back to the list when the thread ends.

#include "lpc/lpcp.h"
#include "mm/mm.h"

OBJECT_TYPE *LpcPortObjectType;
OBJECT_TYPE *LpcWaitablePortObjectType;
ULONG LpcpNextMessageId = 1;
ULONG LpcpNextCallbackId = 1;
KSPIN_LOCK LpcpLock;

static SINGLE_LIST_ENTRY LpcpFreeMessages;
ULONG LpcpFreeMessageCount;

ULONG LpcpGenerateCallbackId(void)
{
    ULONG id = LpcpNextCallbackId++;

    if (LpcpNextCallbackId == 0)
        LpcpNextCallbackId = 1;
    return id;
}

// A block from the caller's cache, else from the free list, else from
// pool; its header not initialized.
static inline __attribute__((always_inline)) LPCP_MESSAGE *LpcpTakeMessage(void)
{
    ETHREAD *thread = PsGetCurrentThread();
    LPCP_MESSAGE *message = __atomic_exchange_n((LPCP_MESSAGE **)&thread->LpcCachedMessage,
                                                NULL, __ATOMIC_ACQUIRE);
    KIRQL oldIrql;

    if (message) {
        __atomic_fetch_sub(&LpcpFreeMessageCount, 1, __ATOMIC_RELAXED);
        return message;
    }
    oldIrql = LpcpAcquireLock();
    if (LpcpFreeMessages.Next) {
        message = CONTAINING_RECORD(LpcpFreeMessages.Next, LPCP_MESSAGE, FreeEntry);
        LpcpFreeMessages.Next = message->FreeEntry.Next;
        __atomic_fetch_sub(&LpcpFreeMessageCount, 1, __ATOMIC_RELAXED);
    }
    LpcpReleaseLock(oldIrql);
    if (!message)
        message = ExAllocatePoolWithTag(NonPagedPool, LPCP_MAX_MESSAGE_SIZE, LPCP_MESSAGE_TAG);
    return message;
}

LPCP_MESSAGE *LpcpAllocateMessage(void)
{
    LPCP_MESSAGE *message = LpcpTakeMessage();

    if (message) {
        // The header only: the data is always written before it is read.
        memset(message, 0, sizeof(*message));
        InitializeListHead(&message->Entry);
    }
    return message;
}

LPCP_MESSAGE *LpcpAllocateMessageForCopy(void)
{
    LPCP_MESSAGE *message = LpcpTakeMessage();

    if (message) {
        InitializeListHead(&message->Entry);
        message->SenderPort = NULL;
        message->RepliedToThread = NULL;
        message->PortContext = NULL;
    }
    return message;
}

void LpcpFreeMessage(LPCP_MESSAGE *message)
{
    ETHREAD *repliedToThread = message->RepliedToThread;
    ETHREAD *thread = PsGetCurrentThread();
    KIRQL oldIrql;

    // A connection request holds the client's section and port until it
    // is answered or dropped.
    if (LpcpMessageType(&message->Request) == LPC_CONNECTION_REQUEST) {
        LPCP_CONNECTION_MESSAGE *connection = LpcpConnectionMessage(message);

        if (connection->SectionToMap)
            ObDereferenceObject(connection->SectionToMap);
        if (connection->ClientPort)
            ObDereferenceObject(connection->ClientPort);
    }
    // A reply (or callback) holds the thread it was handed to, as NT's
    // does: the reference goes with the block.
    message->RepliedToThread = NULL;
    if (repliedToThread)
        ObDereferenceObject(repliedToThread);
    // Counted among the free blocks (the thread caches' and the list's)
    // while there are fewer than the depth, else back to pool.
    if (__atomic_fetch_add(&LpcpFreeMessageCount, 1, __ATOMIC_RELAXED) >= LPCP_LOOKASIDE_DEPTH) {
        __atomic_fetch_sub(&LpcpFreeMessageCount, 1, __ATOMIC_RELAXED);
        ExFreePoolWithTag(message, LPCP_MESSAGE_TAG);
        return;
    }
    // The thread's cache when it is empty (an exchange: a kernel APC of
    // the same thread may free a block in between), unless the thread has
    // ended its LPC (LpcExitThread emptied the cache for good).
    if (!thread->LpcExitThreadCalled) {
        void *empty = NULL;

        if (__atomic_compare_exchange_n(&thread->LpcCachedMessage, &empty, message, FALSE,
                                        __ATOMIC_RELEASE, __ATOMIC_RELAXED))
            return;
    }
    oldIrql = LpcpAcquireLock();
    message->FreeEntry.Next = LpcpFreeMessages.Next;
    LpcpFreeMessages.Next = &message->FreeEntry;
    LpcpReleaseLock(oldIrql);
}

void LpcpListFreeMessage(LPCP_MESSAGE *message)
{
    KIRQL oldIrql = LpcpAcquireLock();

    message->FreeEntry.Next = LpcpFreeMessages.Next;
    LpcpFreeMessages.Next = &message->FreeEntry;
    LpcpReleaseLock(oldIrql);
}

void LpcpQueryFreeMessages(ULONG *count, ULONG *listed)
{
    KIRQL oldIrql = LpcpAcquireLock();
    ULONG onList = 0;

    for (SINGLE_LIST_ENTRY *entry = LpcpFreeMessages.Next; entry; entry = entry->Next)
        onList++;
    *count = __atomic_load_n(&LpcpFreeMessageCount, __ATOMIC_RELAXED);
    *listed = onList;
    LpcpReleaseLock(oldIrql);
}

void LpcpFlushMessageCache(ETHREAD *thread)
{
    LPCP_MESSAGE *message = __atomic_exchange_n((LPCP_MESSAGE **)&thread->LpcCachedMessage,
                                                NULL, __ATOMIC_ACQUIRE);
    KIRQL oldIrql;

    // Still counted as free: it only moves to the list.
    if (message) {
        oldIrql = LpcpAcquireLock();
        message->FreeEntry.Next = LpcpFreeMessages.Next;
        LpcpFreeMessages.Next = &message->FreeEntry;
        LpcpReleaseLock(oldIrql);
    }
}

void LpcpFreeMessageList(LIST_ENTRY *list)
{
    while (!IsListEmpty(list))
        LpcpFreeMessage(CONTAINING_RECORD(RemoveHeadList(list), LPCP_MESSAGE, Entry));
}

NTSTATUS LpcpReferencePortByHandle(HANDLE portHandle, ACCESS_MASK desiredAccess,
                                   LPCP_PORT_OBJECT **port)
{
    EPROCESS *process = PsGetCurrentProcess();
    ACCESS_MASK granted;
    OBJECT_TYPE *type;
    NTSTATUS status;

    // The table's entry in line (every LPC call looks one up); the
    // pseudo-handles, which name no port, through the general lookup.
    if (portHandle == NtCurrentProcess() || portHandle == NtCurrentThread())
        status = ObReferenceObjectByHandle(portHandle, 0, NULL, (void **)port, &granted);
    else
        status = ObpReferenceHandle(process ? process->ObjectTable : NULL, portHandle,
                                    (void **)port, &granted);
    // NT tries Port, then WaitablePort: one lookup does both.
    if (!NT_SUCCESS(status))
        return status;
    type = OBJECT_TO_OBJECT_HEADER(*port)->Type;
    if (type != LpcPortObjectType && type != LpcWaitablePortObjectType) {
        status = STATUS_OBJECT_TYPE_MISMATCH;
    } else if (desiredAccess) {
        desiredAccess = ObMapDesiredAccess(type, desiredAccess);
        if ((granted & desiredAccess) != desiredAccess)
            status = STATUS_ACCESS_DENIED;
    }
    if (!NT_SUCCESS(status))
        ObDereferenceObject(*port);
    return status;
}

void LpcInitSystem(void)
{
    OBJECT_TYPE_INITIALIZER initializer = {
        .PoolTag = LPCP_QUEUE_TAG,
        .ValidAccessMask = PORT_ALL_ACCESS,
        // NT's: reading and writing a port both come down to connecting.
        .GenericMapping = {READ_CONTROL | PORT_CONNECT, DELETE | PORT_CONNECT, 0,
                           PORT_ALL_ACCESS},
        .CloseProcedure = LpcpClosePort,
        .DeleteProcedure = LpcpDeletePort,
    };

    KeInitializeSpinLock(&LpcpLock);
    if (!NT_SUCCESS(ObCreateObjectType("Port", &initializer, &LpcPortObjectType)))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x1C, 1, 0, 0);
    // A WaitablePort is waited on through its WaitEvent.
    initializer.Waitable = TRUE;
    initializer.DefaultObjectOffset = FIELD_OFFSET(LPCP_PORT_OBJECT, WaitEvent);
    initializer.GenericMapping.GenericRead |= SYNCHRONIZE;
    initializer.GenericMapping.GenericWrite |= SYNCHRONIZE;
    if (!NT_SUCCESS(ObCreateObjectType("WaitablePort", &initializer,
                                       &LpcWaitablePortObjectType)))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x1C, 2, 0, 0);
    for (ULONG i = 0; i < LPCP_LOOKASIDE_DEPTH; i++) {
        LPCP_MESSAGE *message = ExAllocatePoolWithTag(NonPagedPool, LPCP_MAX_MESSAGE_SIZE,
                                                      LPCP_MESSAGE_TAG);

        if (!message)
            KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x1C, 3, i, 0);
        message->FreeEntry.Next = LpcpFreeMessages.Next;
        LpcpFreeMessages.Next = &message->FreeEntry;
        LpcpFreeMessageCount++;
    }
}
