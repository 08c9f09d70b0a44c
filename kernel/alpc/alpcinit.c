// ALPC's start and its common parts: the `ALPC Port` object type, the
// lock, the message table (message ids), message blocks, and ports by
// handle.
//
// Message ids are, as NT's, handles in a table of messages (NT's
// AlpcMessageTable): a message's id is its slot times four, so ids are
// reused as messages come and go, and a reply finds its request in O(1).
// Free slots are chained; the table doubles when full (see below).
// Callback ids come from one global counter.

#include "alpc/alpcp.h"
#include "alpc/alpcx.h"
#include "mm/mm.h"

#define ALPCP_TABLE_FREE_BIT      1ULL   // a free slot holds (next free slot << 1) | 1
#define ALPCP_ID_SCALE            4

OBJECT_TYPE *AlpcPortObjectType;
KSPIN_LOCK AlpcpLock;

// The first slots are static: a table that only ever holds a few hundred
// messages at once never takes pool, and one that grew goes back to them
// once empty, so that pool counts are the same before and after any burst
// of messages (the tests' leak check counts every tag).
#define ALPCP_TABLE_STATIC_SLOTS 1024

static ULONG_PTR AlpcpStaticMessageTable[ALPCP_TABLE_STATIC_SLOTS];
static ULONG_PTR *AlpcpMessageTable;
static ULONG AlpcpMessageTableSize;
static ULONG AlpcpMessageTableFree;     // 0: none free (slot 0 is never used: id 0 is none)
static ULONG AlpcpMessageTableInUse;
static ULONG AlpcpNextCallbackId = 1;

ULONG AlpcpGenerateCallbackId(void)
{
    ULONG id = AlpcpNextCallbackId++;

    if (AlpcpNextCallbackId == 0)
        AlpcpNextCallbackId = 1;
    return id;
}

// Chains slots [first, end) of `table` as free, lowest first, ahead of any.
static void AlpcpChainFreeSlots(ULONG_PTR *table, ULONG first, ULONG end)
{
    for (ULONG i = end - 1; i >= first; i--) {
        table[i] = ((ULONG_PTR)AlpcpMessageTableFree << 1) | ALPCP_TABLE_FREE_BIT;
        AlpcpMessageTableFree = i;
    }
}

static void AlpcpResetMessageTable(void)
{
    AlpcpMessageTable = AlpcpStaticMessageTable;
    AlpcpMessageTableSize = ALPCP_TABLE_STATIC_SLOTS;
    AlpcpMessageTableFree = 0;
    AlpcpStaticMessageTable[0] = 0;
    AlpcpChainFreeSlots(AlpcpStaticMessageTable, 1, ALPCP_TABLE_STATIC_SLOTS);
}

static BOOLEAN AlpcpGrowMessageTable(void)
{
    ULONG newSize = AlpcpMessageTableSize * 2;
    ULONG_PTR *table;

    // Ids must fit the 32 bits of PORT_MESSAGE.MessageId.
    if ((ULONG64)newSize * ALPCP_ID_SCALE > 0xFFFFFFFFULL)
        return FALSE;
    table = ExAllocatePoolWithTag(NonPagedPool, newSize * sizeof(ULONG_PTR), ALPC_TABLE_TAG);
    if (!table)
        return FALSE;
    memcpy(table, AlpcpMessageTable, AlpcpMessageTableSize * sizeof(ULONG_PTR));
    AlpcpChainFreeSlots(table, AlpcpMessageTableSize, newSize);
    if (AlpcpMessageTable != AlpcpStaticMessageTable)
        ExFreePoolWithTag(AlpcpMessageTable, ALPC_TABLE_TAG);
    AlpcpMessageTable = table;
    AlpcpMessageTableSize = newSize;
    return TRUE;
}

NTSTATUS AlpcpInsertMessageId(KALPC_MESSAGE *message)
{
    ULONG slot;

    if (!AlpcpMessageTableFree && !AlpcpGrowMessageTable())
        return STATUS_NO_MEMORY;
    slot = AlpcpMessageTableFree;
    AlpcpMessageTableFree = (ULONG)(AlpcpMessageTable[slot] >> 1);
    AlpcpMessageTable[slot] = (ULONG_PTR)message;
    AlpcpMessageTableInUse++;
    message->UniqueTableEntry = &AlpcpMessageTable[slot];
    message->PortMessage.MessageId = slot * ALPCP_ID_SCALE;
    return STATUS_SUCCESS;
}

KALPC_MESSAGE *AlpcpLookupMessage(ULONG messageId)
{
    ULONG slot = messageId / ALPCP_ID_SCALE;
    ULONG_PTR entry;

    if (messageId % ALPCP_ID_SCALE || slot == 0 || slot >= AlpcpMessageTableSize)
        return NULL;
    entry = AlpcpMessageTable[slot];
    if (entry & ALPCP_TABLE_FREE_BIT)
        return NULL;
    return (KALPC_MESSAGE *)entry;
}

static void AlpcpRemoveMessageId(KALPC_MESSAGE *message)
{
    ULONG slot = message->PortMessage.MessageId / ALPCP_ID_SCALE;

    AlpcpMessageTable[slot] = ((ULONG_PTR)AlpcpMessageTableFree << 1) | ALPCP_TABLE_FREE_BIT;
    AlpcpMessageTableFree = slot;
    AlpcpMessageTableInUse--;
    message->UniqueTableEntry = NULL;
    // Empty: a grown table goes back to the static slots.
    if (!AlpcpMessageTableInUse && AlpcpMessageTable != AlpcpStaticMessageTable) {
        ExFreePoolWithTag(AlpcpMessageTable, ALPC_TABLE_TAG);
        AlpcpResetMessageTable();
    }
}

ULONG AlpcpQueryMessageCount(void)
{
    KIRQL oldIrql = AlpcpAcquireLock();
    ULONG count = AlpcpMessageTableInUse;

    AlpcpReleaseLock(oldIrql);
    return count;
}

void AlpcpRemoveMessageIdLocked(KALPC_MESSAGE *message)
{
    if (message->UniqueTableEntry)
        AlpcpRemoveMessageId(message);
}

// Small messages (the usual request and reply) take a block of one size,
// so that a thread can keep the last one it freed for the next it sends:
// a round trip then takes no pool at all (each side frees the message it
// received and captures the next in the same block). Only threads of user
// processes keep one: they all end in PspExitThread, whose AlpcExitThread
// gives it back (the system's threads may never end, and the tests count
// pool). ExtensionBufferSize stays the message's own size (the quota).
#define ALPCP_SMALL_MESSAGE_LENGTH 256
#define ALPCP_SMALL_BLOCK_SIZE \
    (FIELD_OFFSET(KALPC_MESSAGE, PortMessage) + ALPCP_SMALL_MESSAGE_LENGTH)

static BOOLEAN AlpcpThreadMayCache(ETHREAD *thread)
{
    return thread->ThreadsProcess != PsInitialSystemProcess && !thread->TerminationQueued;
}

void AlpcExitThread(ETHREAD *thread)
{
    void *cached = thread->AlpcCachedMessage;

    thread->AlpcCachedMessage = NULL;
    if (cached)
        ExFreePoolWithTag(cached, ALPC_MESSAGE_TAG);
}

KALPC_MESSAGE *AlpcpAllocateMessage(ULONG totalLength)
{
    SIZE_T size = FIELD_OFFSET(KALPC_MESSAGE, PortMessage) +
                  (totalLength < sizeof(PORT_MESSAGE) ? sizeof(PORT_MESSAGE) : totalLength);
    ETHREAD *thread = PsGetCurrentThread();
    KALPC_MESSAGE *message;

    if (size <= ALPCP_SMALL_BLOCK_SIZE) {
        message = thread->AlpcCachedMessage;
        thread->AlpcCachedMessage = NULL;
        if (!message)
            message = ExAllocatePoolWithTag(NonPagedPool, ALPCP_SMALL_BLOCK_SIZE,
                                            ALPC_MESSAGE_TAG);
    } else {
        message = ExAllocatePoolWithTag(NonPagedPool, size, ALPC_MESSAGE_TAG);
    }
    if (!message)
        return NULL;
    memset(message, 0, sizeof(*message));
    InitializeListHead(&message->Entry);
    InitializeListHead(&message->CancelListEntry);
    message->DataSystemVa = &message->PortMessage + 1;
    // What the block holds beyond the header: its size, for the quota.
    message->ExtensionBufferSize = size;
    return message;
}

void AlpcpFreeMessage(KALPC_MESSAGE *message)
{
    ALPC_PORT *ownerPort = message->u1.s1.OwnerPortReference ? message->OwnerPort : NULL;
    ETHREAD *serverThread = message->ServerThread;
    ETHREAD *thread;
    KIRQL oldIrql;

    if (message->UniqueTableEntry) {
        oldIrql = AlpcpAcquireLock();
        AlpcpRemoveMessageId(message);
        AlpcpReleaseLock(oldIrql);
    }
    // alpcx: its security data and view.
    AlpcpReleaseMessageAttributes(message);
    thread = PsGetCurrentThread();
    if (message->ExtensionBufferSize <= ALPCP_SMALL_BLOCK_SIZE && !thread->AlpcCachedMessage &&
        AlpcpThreadMayCache(thread))
        thread->AlpcCachedMessage = message;
    else
        ExFreePoolWithTag(message, ALPC_MESSAGE_TAG);
    if (serverThread)
        ObDereferenceObject(serverThread);
    if (ownerPort)
        ObDereferenceObject(ownerPort);
}

void AlpcpFreeMessageList(LIST_ENTRY *list)
{
    while (!IsListEmpty(list))
        AlpcpFreeMessage(CONTAINING_RECORD(RemoveHeadList(list), KALPC_MESSAGE, Entry));
}

NTSTATUS AlpcpReferencePortByHandle(HANDLE portHandle, ACCESS_MASK desiredAccess,
                                    ALPC_PORT **port)
{
    return ObReferenceObjectByHandle(portHandle, desiredAccess, AlpcPortObjectType,
                                     (void **)port, NULL);
}

NTSTATUS AlpcpCaptureTimeout(const LARGE_INTEGER *userTimeout, LARGE_INTEGER *timeout,
                             LARGE_INTEGER **result)
{
    NTSTATUS status;

    *result = NULL;
    if (!userTimeout)
        return STATUS_SUCCESS;
    status = MmCopyFromUser(timeout, userTimeout, sizeof(*timeout));
    if (!NT_SUCCESS(status))
        return status;
    // A relative timeout becomes absolute, so that a wait that has to
    // start again (a receiver that lost a message to another) does not
    // wait longer than asked.
    if (timeout->QuadPart < 0)
        timeout->QuadPart = KeQuerySystemTime().QuadPart - timeout->QuadPart;
    *result = timeout;
    return STATUS_SUCCESS;
}

void AlpcInitSystem(void)
{
    OBJECT_TYPE_INITIALIZER initializer = {
        .PoolTag = ALPC_PORT_TAG,
        .ValidAccessMask = PORT_ALL_ACCESS,
        // LPC's mapping, as NT's: reading and writing come down to connecting.
        .GenericMapping = {READ_CONTROL | PORT_CONNECT, DELETE | PORT_CONNECT, 0,
                           PORT_ALL_ACCESS},
        .CloseProcedure = AlpcpClosePort,
        .DeleteProcedure = AlpcpDeletePort,
    };

    KeInitializeSpinLock(&AlpcpLock);
    AlpcpResetMessageTable();
    if (!NT_SUCCESS(ObCreateObjectType("ALPC Port", &initializer, &AlpcPortObjectType)))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x1D, 1, 0, 0);
}
