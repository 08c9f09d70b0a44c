// ALPC's kernel structures, with NT 6's names and fields (Windows Vista and
// Server 2008 on x64; the offsets are Sleuth's): the port object, the
// communication info that ties a connection's three ports together, the
// message block, and what ETHREAD and EPROCESS carry for ALPC (ps/ps.h).
// The debugger (`!alpc`, `!thread`, dt) reads these layouts; change them
// only together with kernel/kd. The ABI (attributes, flags, services) is in
// ndk/ntalpcapi.h. LPC (kernel/lpc) is NT 5's and separate: the two share
// PORT_MESSAGE and nothing else.
//
// Three ports make a connection, as in LPC:
//   the server's connection port (NtAlpcCreatePort, usually named),
//   the client communication port (NtAlpcConnectPort gives the client one),
//   the server communication port (NtAlpcAcceptConnectPort gives the server one).
// What a client sends is queued at the connection port, where the server's
// threads receive, stamped with the server communication port's context;
// what the server sends through its communication port is queued at the
// client's. A synchronous request moves from the main queue to the pending
// queue when the server receives it and leaves it with the reply, which
// goes straight to the waiting thread.
#pragma once

#include "ndk/ntalpcapi.h"  // the ABI: attributes, flags, NtAlpc* services
#include "ps/ps.h"
#include "se/se.h"

struct _ALPC_PORT;
struct _KALPC_MESSAGE;

// ALPC_PORT.u1.s1.Type: the port's role (NT's numbering is its own).
#define ALPC_CONNECTION_PORT           1
#define ALPC_SERVER_COMMUNICATION_PORT 2
#define ALPC_CLIENT_COMMUNICATION_PORT 3

// KALPC_MESSAGE.u1.s1.QueueType: the queue the message is on.
#define ALPC_MSGQUEUE_NONE          0   // on none: being received, a reply, a connection answer
#define ALPC_MSGQUEUE_MAIN          1   // sent, not yet received
#define ALPC_MSGQUEUE_LARGE_MESSAGE 2   // a receiver's buffer was too small: offered first next time
#define ALPC_MSGQUEUE_PENDING       3   // received, its sender waits for the reply
// The canceled queue has no number of its own: a canceled message is on
// it with QueueType NONE and Canceled set.

// One per connection (on both communication ports), and one on each
// connection port (ConnectionPort is the port itself; CommunicationList is
// the head of its connections' list).
typedef struct _ALPC_COMMUNICATION_INFO {
    struct _ALPC_PORT *ConnectionPort;
    struct _ALPC_PORT *ServerCommunicationPort; // NULL until accepted, and once deleted
    struct _ALPC_PORT *ClientCommunicationPort; // NULL once deleted
    LIST_ENTRY CommunicationList;               // in the connection port's info's list
} ALPC_COMMUNICATION_INFO;

typedef struct _ALPC_PORT {
    LIST_ENTRY PortListEntry;                   // in OwnerProcess->AlpcContext.PortListHead
    ALPC_COMMUNICATION_INFO *CommunicationInfo;
    struct _EPROCESS *OwnerProcess;             // its creator's process, referenced
    ULONG SequenceNo;                           // of the last message sent through it
    void *PortContext;                          // server communication port: the accept's
    SECURITY_CLIENT_CONTEXT StaticSecurity;     // the client's (impersonation, kernel/alpc)
    LIST_ENTRY MainQueue;                       // KALPC_MESSAGEs sent here, FIFO
    LIST_ENTRY PendingQueue;                    // received requests awaiting their reply
    LIST_ENTRY LargeMessageQueue;               // refused for a small buffer: received first
    LIST_ENTRY WaitQueue;                       // threads waiting to receive (AlpcWaitListEntry)
    union {
        KSEMAPHORE *Semaphore;                  // NULL: receivers wait on their own semaphore
        KEVENT *DummyEvent;
    };
    ALPC_PORT_ATTRIBUTES PortAttributes;
    LIST_ENTRY CanceledQueue;                   // received, then canceled: freed by the reply
    union {
        struct {
            ULONG Initialized : 1;
            ULONG Type : 2;                     // ALPC_CONNECTION_PORT...
            ULONG ConnectionPending : 1;        // client port: its connection awaits the answer
            ULONG ConnectionRefused : 1;
            ULONG Disconnected : 1;             // its connection is gone (or never was)
            ULONG Closed : 1;                   // its last handle is closed
            ULONG NoFlushOnClose : 1;
            ULONG ReturnExtendedInfo : 1;
            ULONG Waitable : 1;
            ULONG DynamicSecurity : 1;
            ULONG Wow64CompletionList : 1;
            ULONG Lpc : 1;
            ULONG LpcToLpc : 1;
            ULONG HasCompletionList : 1;
            ULONG HadCompletionList : 1;
        } s1;
        ULONG State;
    } u1;
    struct _ALPC_PORT *TargetQueuePort;         // where what is sent through it is queued
    struct _ALPC_PORT *TargetSequencePort;
    struct _KALPC_MESSAGE *Message;             // client port: its connection request, pending
    ULONG MainQueueLength;
    ULONG PendingQueueLength;
    ULONG LargeMessageQueueLength;
    ULONG CanceledQueueLength;
    ULONG WaitQueueLength;
    // Sleuth's own: the bytes of messages queued here and not yet received
    // (charged against PortAttributes.MaxPoolUsage: bounded queue memory).
    SIZE_T QueuedPoolUsage;
    // The extensions' (alpc/alpcx.h): the sections, views and security
    // contexts the port owns (ALPC_BLOBs), how many, and whether its
    // rundown let go of them (no new ones then). Linked at first use.
    LIST_ENTRY ResourceListHead;
    ULONG ResourceCount;
    BOOLEAN ResourcesRundown;
} ALPC_PORT;

// What a message carries besides its data: contexts and the extensions'
// security data and view (kernel/alpc, the message attributes).
typedef struct _KALPC_MESSAGE_ATTRIBUTES {
    void *ClientContext;
    void *ServerContext;
    void *PortContext;                          // the server communication port's, for the server
    void *CancelPortContext;
    void *SecurityData;                         // KALPC_SECURITY_DATA, the extensions'
    void *View;                                 // KALPC_VIEW, the extensions'
    void *HandleData;
} KALPC_MESSAGE_ATTRIBUTES;

// A message block: the kernel's copy of one message, from nonpaged pool
// (tag AlMs), the data right after PortMessage. Its MessageId is its slot
// in the message table (alpcmsg.c) times four, as NT's handle-table ids.
typedef struct _KALPC_MESSAGE {
    LIST_ENTRY Entry;                           // in the queue it is on
    void *ExtensionBuffer;
    SIZE_T ExtensionBufferSize;
    union {
        struct _EPROCESS *QuotaProcess;
        void *QuotaBlock;                       // the port charged while queued, or NULL
    };
    LONG SequenceNo;                            // the sending port's SequenceNo
    union {
        struct {
            ULONG QueueType : 2;                // ALPC_MSGQUEUE_*
            ULONG QueuePortType : 4;            // the queue port's Type
            ULONG Canceled : 1;
            ULONG Ready : 1;
            ULONG ReleaseMessage : 1;           // freed once received (datagrams)
            ULONG SharedQuota : 1;
            ULONG ReplyWaitReply : 1;
            ULONG OwnerPortReference : 1;       // OwnerPort is referenced
            ULONG ReserveReference : 1;
            ULONG ReceiverReference : 1;        // a receiver copies it out, on no queue
        } s1;
        ULONG State;
    } u1;
    struct _ALPC_PORT *CancelSequencePort;
    struct _ALPC_PORT *CancelQueuePort;         // where it was queued when canceled
    LONG CancelSequenceNo;
    LIST_ENTRY CancelListEntry;
    struct _ETHREAD *WaitingThread;             // the sender, while it waits for the reply
    void *Reserve;
    struct _ALPC_PORT *PortQueue;               // the port whose queue it is on ("QueuePort")
    struct _ALPC_PORT *OwnerPort;               // the port it was sent through
    void *UniqueTableEntry;                     // its slot in the message table
    KALPC_MESSAGE_ATTRIBUTES MessageAttributes;
    void *DataUserVa;
    void *DataSystemVa;                         // the data: right after PortMessage
    ALPC_COMMUNICATION_INFO *CommunicationInfo; // a connection request's connection
    struct _ALPC_PORT *ConnectionPort;
    struct _ETHREAD *ServerThread;              // the thread that received it, referenced
    PORT_MESSAGE PortMessage;                   // the header as the receiver gets it
} KALPC_MESSAGE;

#define ALPC_MESSAGE_TAG       POOL_TAG('A', 'l', 'M', 's')
#define ALPC_COMMUNICATION_TAG POOL_TAG('A', 'l', 'C', 'i')
#define ALPC_PORT_TAG          POOL_TAG('A', 'l', 'P', 'o')
#define ALPC_TABLE_TAG         POOL_TAG('A', 'l', 'H', 'a')

// When the port attributes say nothing (0): the largest message a port
// takes, and the bytes of unreceived messages one queue may hold.
#define ALPC_DEFAULT_MAX_MESSAGE_LENGTH PORT_MAXIMUM_MESSAGE_LENGTH
#define ALPC_DEFAULT_MAX_POOL_USAGE     0x40000

extern OBJECT_TYPE *AlpcPortObjectType;

// Boot: the `ALPC Port` type and the message table.
void AlpcInitSystem(void);
// A thread's end (PspExitThread, after TerminationQueued): the message
// block it kept for its next message goes back to pool.
void AlpcExitThread(ETHREAD *thread);

// ---- Internals shared by kernel/alpc's files ------------------------------------
//
// One global spin lock, AlpcpLock, guards every port's queues, state bits
// and links, every message's state and the thread fields ALPC uses, as
// LPC's LpcpLock does (NT 6 has a lock per port; one lock keeps the rules
// few). Nothing that copies to or from user memory, allocates, waits or
// may delete an object (the last ObDereferenceObject of a port, a thread
// or a process) runs under it, with one exception: the message table grows
// under it (nonpaged pool, as the Cid table does).
//
// The waking rule: whoever answers a waiting thread (a reply, an accept or
// refusal, a cancel, a rundown) does, under the lock, clear the thread's
// AlpcMessageId, leave the answer in AlpcMessage (or NULL and the status in
// AlpcWaitStatus) and release its AlpcWaitSemaphore. A waiter that comes
// back for another reason (a timeout, termination) and finds AlpcMessageId
// still set knows nobody will; found clear, the count is there to take.
// Receivers on a port's WaitQueue are woken the same way: the waker takes
// them off the queue and releases the semaphore under the lock.

extern KSPIN_LOCK AlpcpLock;

static inline KIRQL AlpcpAcquireLock(void)
{
    KIRQL oldIrql;

    KeAcquireSpinLock(&AlpcpLock, &oldIrql);
    return oldIrql;
}

static inline void AlpcpReleaseLock(KIRQL oldIrql)
{
    KeReleaseSpinLock(&AlpcpLock, oldIrql);
}

static inline ULONG AlpcpMessageType(const PORT_MESSAGE *message)
{
    return (USHORT)message->u2.s2.Type & 0xFF;
}

// A message block for `totalLength` bytes of message (header included):
// zeroed header, DataSystemVa set, no id yet. NULL when pool is short.
KALPC_MESSAGE *AlpcpAllocateMessage(ULONG totalLength);
// Frees a block (no lock held, PASSIVE_LEVEL): its id leaves the table,
// its OwnerPort and ServerThread references go. A small block may stay
// with the current thread for its next AlpcpAllocateMessage.
void AlpcpFreeMessage(KALPC_MESSAGE *message);
// A message's id leaves the table under the lock the caller holds, so
// that AlpcpFreeMessage need not take it again (a no-op without an id).
void AlpcpRemoveMessageIdLocked(KALPC_MESSAGE *message);
void AlpcpFreeMessageList(LIST_ENTRY *list);
// The message table (lock held): an id for a message (STATUS_NO_MEMORY when
// the table cannot grow), and the message an id names (NULL: none).
NTSTATUS AlpcpInsertMessageId(KALPC_MESSAGE *message);
KALPC_MESSAGE *AlpcpLookupMessage(ULONG messageId);
// Messages in the table (tests: 0 at rest).
ULONG AlpcpQueryMessageCount(void);
ULONG AlpcpGenerateCallbackId(void);

// A port by handle (else STATUS_OBJECT_TYPE_MISMATCH...), referenced.
NTSTATUS AlpcpReferencePortByHandle(HANDLE portHandle, ACCESS_MASK desiredAccess,
                                    ALPC_PORT **port);
// A new port of `type` owned by the current process, its attributes
// checked and defaulted (NULL: defaults). Not inserted.
NTSTATUS AlpcpCreatePort(ULONG type, const ALPC_PORT_ATTRIBUTES *attributes,
                         KPROCESSOR_MODE previousMode, ALPC_PORT **port);
// User port attributes captured and checked (NULL stays NULL).
NTSTATUS AlpcpCaptureAttributes(const ALPC_PORT_ATTRIBUTES *userAttributes,
                                ALPC_PORT_ATTRIBUTES *captured, BOOLEAN *present);
// The port a port's owner receives on: the connection port for a server
// communication port (lock held).
ALPC_PORT *AlpcpReceivePort(ALPC_PORT *port);

// Queues a message at `queuePort`'s main queue (lock held): charged to the
// queue's MaxPoolUsage unless `noQuota`, given its ids and sequence
// number, and a receiver woken. STATUS_QUOTA_EXCEEDED, STATUS_NO_MEMORY.
NTSTATUS AlpcpQueueMessage(ALPC_PORT *sendPort, ALPC_PORT *queuePort, KALPC_MESSAGE *message,
                           BOOLEAN noQuota);
// Wakes one receiver of the port (lock held), or all of them.
void AlpcpWakeReceivers(ALPC_PORT *port, BOOLEAN all);
// Answers a waiting thread (lock held): `answer` (or NULL and `status`).
void AlpcpWakeWaiter(ETHREAD *thread, KALPC_MESSAGE *answer, NTSTATUS status);
// Takes a sent message back (lock held): out of a main or large queue onto
// `freeList`; received (pending), onto its port's canceled queue for the
// reply to free; being received, marked for the receiver. A thread waiting
// for it is woken with `status` (not when it is the current thread).
void AlpcpCancelMessageLocked(KALPC_MESSAGE *message, NTSTATUS status, LIST_ENTRY *freeList);
// The whole of a receive on `port` (the receive half of
// NtAlpcSendWaitReceivePort): waits (WrLpcReceive) for a message and copies
// it to the user's buffer.
// `capacity` is the buffer's size; *bufferLength (optional) gets the
// message's (also when it is too small: STATUS_BUFFER_TOO_SMALL).
NTSTATUS AlpcpReceiveMessage(ALPC_PORT *port, ULONG flags, PORT_MESSAGE *receiveMessage,
                             SIZE_T capacity, SIZE_T *bufferLength,
                             ALPC_MESSAGE_ATTRIBUTES *attributes, LARGE_INTEGER *timeout);
// A user's message captured into a new block: its header (already read
// and checked) and its data.
NTSTATUS AlpcpCaptureMessage(const PORT_MESSAGE *userMessage, const PORT_MESSAGE *header,
                             KALPC_MESSAGE **message);
// The header of a user message read and its lengths checked against `port`.
NTSTATUS AlpcpCaptureHeader(ALPC_PORT *port, const PORT_MESSAGE *userMessage,
                            PORT_MESSAGE *header);
// A received message's attributes, into the user's buffer, received
// through `port` (the context attribute; alpcx's security and view).
NTSTATUS AlpcpWriteReceiveAttributes(struct _ALPC_PORT *port,
                                     ALPC_MESSAGE_ATTRIBUTES *attributes,
                                     const KALPC_MESSAGE *message);
// The context attribute alone (a sent message's ids, for the sender).
NTSTATUS AlpcpWriteContextAttribute(ALPC_MESSAGE_ATTRIBUTES *attributes,
                                    const ALPC_CONTEXT_ATTR *context);
// Waits for the answer to what the current thread sent (AlpcMessageId
// set): the reply (*answer, the caller's to free) or why not.
NTSTATUS AlpcpReceiveSynchronousReply(ALPC_PORT *port, KPROCESSOR_MODE waitMode,
                                      BOOLEAN alertable, LARGE_INTEGER *timeout,
                                      KALPC_MESSAGE **answer);
// A user timeout captured (NULL: none).
NTSTATUS AlpcpCaptureTimeout(const LARGE_INTEGER *userTimeout, LARGE_INTEGER *timeout,
                             LARGE_INTEGER **result);

// Rundown (close.c): the object manager's close and delete procedures, and
// the disconnect of a communication port (NtAlpcDisconnectPort, a close).
void AlpcpClosePort(struct _EPROCESS *process, void *object, ACCESS_MASK grantedAccess,
                    ULONG_PTR processHandleCount, ULONG_PTR systemHandleCount);
void AlpcpDeletePort(void *object);
NTSTATUS AlpcpDisconnectPort(ALPC_PORT *port, BOOLEAN notifyServer);
