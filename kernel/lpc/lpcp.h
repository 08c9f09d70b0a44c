// LPC's kernel structures, with NT's names and fields (Windows XP/Server
// 2003 on x64): the port object, the message block, the connection
// message, and what ETHREAD carries for LPC (see ps/ps.h). The debugger
// reads these layouts; change them only together with kernel/kd.
//
// Three ports make a connection (NT's handshake):
//   the server's connection port (named; NtCreatePort),
//   the client communication port (NtConnectPort gives the client a handle),
//   the server communication port (NtAcceptConnectPort gives the server one).
// A client's requests go to the connection port's queue (where the server
// receives), stamped with the server communication port's PortContext;
// replies go straight to the waiting client thread.
#pragma once

#include "ndk/ntlpcapi.h"   // the ABI: PORT_MESSAGE, views, the Nt*Port services
#include "ps/ps.h"
#include "se/se.h"

// LPCP_PORT_OBJECT.Flags: the port's role in the low bits, then state.
#define LPCP_CONNECTION_PORT    0x00000001
#define LPCP_UNCONNECTED_PORT   0x00000002
#define LPCP_COMMUNICATION_PORT 0x00000003
#define LPCP_CLIENT_PORT        0x00000004
#define LPCP_PORT_TYPE_MASK     0x0000000F
#define LPCP_PORT_DELETED       0x10000000
#define LPCP_WAITABLE_PORT      0x20000000
#define LPCP_NAME_DELETED       0x40000000
#define LPCP_SECURITY_DYNAMIC   0x80000000

struct _LPCP_PORT_OBJECT;

// The queue's semaphore counts queued messages; receivers wait on it.
typedef struct _LPCP_NONPAGED_PORT_QUEUE {
    KSEMAPHORE Semaphore;
    struct _LPCP_PORT_OBJECT *BackPointer;
} LPCP_NONPAGED_PORT_QUEUE;

typedef struct _LPCP_PORT_QUEUE {
    LPCP_NONPAGED_PORT_QUEUE *NonPagedPortQueue;
    KSEMAPHORE *Semaphore;          // &NonPagedPortQueue->Semaphore
    LIST_ENTRY ReceiveHead;         // LPCP_MESSAGEs, FIFO
} LPCP_PORT_QUEUE;

typedef struct _LPCP_PORT_OBJECT {
    struct _LPCP_PORT_OBJECT *ConnectionPort;
    struct _LPCP_PORT_OBJECT *ConnectedPort;
    LPCP_PORT_QUEUE MsgQueue;
    CLIENT_ID Creator;
    void *ClientSectionBase;
    void *ServerSectionBase;
    void *PortContext;
    struct _ETHREAD *ClientThread;  // server communication port, until NtCompleteConnectPort
    SECURITY_QUALITY_OF_SERVICE SecurityQos;
    SECURITY_CLIENT_CONTEXT StaticSecurity;
    LIST_ENTRY LpcReplyChainHead;   // threads waiting for a reply through this port
    LIST_ENTRY LpcDataInfoChainHead; // received requests that carry data info
    union {
        struct _EPROCESS *ServerProcess;    // connection port
        struct _EPROCESS *MappingProcess;   // communication ports
    };
    ULONG MaxMessageLength;
    ULONG MaxConnectionInfoLength;
    ULONG Flags;
    KEVENT WaitEvent;               // waitable ports: signalled while messages are queued
} LPCP_PORT_OBJECT;

// A message block: the kernel's copy of one message, on a port's queue or
// waiting in a thread's LpcReplyMessage. From a lookaside list (pool tag
// LpcM), all of one size.
typedef struct _LPCP_MESSAGE {
    union {
        LIST_ENTRY Entry;
        struct {
            SINGLE_LIST_ENTRY FreeEntry;
            ULONG Reserved0;
        };
    };
    LPCP_PORT_OBJECT *SenderPort;
    // The thread a reply or a callback was handed to, referenced (NT's
    // ObReferenceObject when it replies): the block in that thread's
    // LpcReplyMessage keeps the thread alive until the block is freed,
    // which drops the reference (LpcpFreeMessage). On a queued request, the
    // thread its reply will go to: the sender, which referenced itself; the
    // receive moves the reference to the receiving thread
    // (ETHREAD.LpcReceivedThread), whose reply then needs no Cid lookup.
    // NULL on other queued messages.
    struct _ETHREAD *RepliedToThread;
    void *PortContext;
    PORT_MESSAGE Request;           // the message as the receiver gets it; data follows
} LPCP_MESSAGE;

// In a connection request, right after the LPCP_MESSAGE; the connection
// information follows it.
typedef struct _LPCP_CONNECTION_MESSAGE {
    PORT_VIEW ClientView;
    LPCP_PORT_OBJECT *ClientPort;
    void *SectionToMap;
    REMOTE_PORT_VIEW ServerView;
} LPCP_CONNECTION_MESSAGE;

#define LPCP_MESSAGE_TAG POOL_TAG('L', 'p', 'c', 'M')

// Every message block has room for the largest message, its connection
// message and its header, rounded to 16 bytes: NT's LpcpMaxMessageSize.
#define LPCP_MAX_MESSAGE_SIZE                                                              \
    ALIGN_UP_BY(PORT_MAXIMUM_MESSAGE_LENGTH + sizeof(LPCP_MESSAGE) +                       \
                    sizeof(LPCP_CONNECTION_MESSAGE),                                       \
                16)
// What NtCreatePort allows at most: 0x288 and 0x208 on x64.
#define LPCP_MAX_MESSAGE_LENGTH (LPCP_MAX_MESSAGE_SIZE - FIELD_OFFSET(LPCP_MESSAGE, Request))
#define LPCP_MAX_CONNECTION_INFO_LENGTH                                                    \
    (LPCP_MAX_MESSAGE_LENGTH - sizeof(PORT_MESSAGE) - sizeof(LPCP_CONNECTION_MESSAGE))

_Static_assert(sizeof(LPCP_MESSAGE) == 0x50, "LPCP_MESSAGE is 0x50 bytes on x64");
_Static_assert(LPCP_MAX_MESSAGE_LENGTH == 0x288, "x64 MaxMessageLength");
_Static_assert(LPCP_MAX_CONNECTION_INFO_LENGTH == 0x208, "x64 MaxConnectionInfoLength");

// ETHREAD.LpcWaitingOnPort holds a port with this bit set; otherwise the
// same field is the thread's LpcReplyMessage.
#define LPCP_THREAD_FLAG_IS_PORT          1
#define LPCP_THREAD_FLAG_NO_IMPERSONATION 2
#define LPCP_THREAD_FLAGS                 3

extern OBJECT_TYPE *LpcPortObjectType;
extern OBJECT_TYPE *LpcWaitablePortObjectType;
// Message and callback ids: global counters that skip 0.
extern ULONG LpcpNextMessageId;
extern ULONG LpcpNextCallbackId;

// Boot: the Port and WaitablePort types and the message lookaside list.
void LpcInitSystem(void);

// Thread exit: leaves every reply chain, frees a pending reply
// (PspExitThread calls it; LPC_CLIENT_DIED goes out before, see ps).
void LpcExitThread(struct _ETHREAD *thread);

// Kernel callers (NT's exports): a datagram, and a request that waits for
// its reply, from a kernel thread to a (typically user-mode) server.
NTSTATUS LpcRequestPort(void *portAddress, PORT_MESSAGE *requestMessage);
NTSTATUS LpcRequestWaitReplyPort(void *portAddress, PORT_MESSAGE *requestMessage,
                                 PORT_MESSAGE *replyMessage);
// A kernel-mode client's connection (ZwConnectPort from a driver): the
// client communication port, referenced and without a handle, in
// *clientPortObject (connect.c).
NTSTATUS LpcConnectPort(const UNICODE_STRING *portName, const SECURITY_QUALITY_OF_SERVICE *qos,
                        void **clientPortObject);

// ---- Internals shared by kernel/lpc's files ------------------------------------
//
// One global lock, LpcpLock, guards every port's queue, links and reply
// chain and every thread's LPC fields, as NT's single LpcpLock does. It is a
// spin lock: what it guards changes in a few list operations (no copies to
// or from user memory, no allocations, no waits happen under it), so a
// spin lock costs less on the request/reply path than a mutex would, and
// it lets a waker release a waiter's semaphore atomically with unlinking
// it. Nothing that can delete an object (the last ObDereferenceObject of a
// port, a thread or a section) runs under it.
//
// The waking rule every path follows: whoever wakes a thread waiting for a
// reply (a replier, a callback, NtCompleteConnectPort, a port's rundown)
// removes it from its reply chain and releases its LpcReplySemaphore, both
// under the lock. So a waiter that comes back from its wait for another
// reason (STATUS_USER_APC: it is being terminated) and finds itself still
// on the chain knows nobody will release the semaphore; found off the
// chain, it was woken and the count is there to be taken.

#define LPCP_QUEUE_TAG            POOL_TAG('P', 'o', 'r', 't')
#define LPCP_TERMINATION_PORT_TAG POOL_TAG('L', 'p', 'c', 'T')

// Message blocks kept on the free list (allocated at boot, so the count of
// LpcM blocks at rest is always this: see lpcinit.c).
#define LPCP_LOOKASIDE_DEPTH 32
// Messages a queue may hold before senders get STATUS_NO_MEMORY (the
// kernel's own LPC_PORT_CLOSED and LPC_CLIENT_DIED are not counted).
#define LPCP_MAX_QUEUED_MESSAGES 256

extern KSPIN_LOCK LpcpLock;

static inline KIRQL LpcpAcquireLock(void)
{
    KIRQL oldIrql;

    KeAcquireSpinLock(&LpcpLock, &oldIrql);
    return oldIrql;
}

static inline void LpcpReleaseLock(KIRQL oldIrql)
{
    KeReleaseSpinLock(&LpcpLock, oldIrql);
}

static inline LPCP_CONNECTION_MESSAGE *LpcpConnectionMessage(LPCP_MESSAGE *message)
{
    return (LPCP_CONNECTION_MESSAGE *)(message + 1);
}

static inline ULONG LpcpMessageType(const PORT_MESSAGE *message)
{
    return (USHORT)message->u2.s2.Type & ~LPC_KERNELMODE_MESSAGE;
}

// The message a thread holds (NULL while it only waits on a port).
static inline LPCP_MESSAGE *LpcpGetMessageFromThread(struct _ETHREAD *thread)
{
    return ((ULONG_PTR)thread->LpcReplyMessage & LPCP_THREAD_FLAG_IS_PORT)
               ? NULL : (LPCP_MESSAGE *)thread->LpcReplyMessage;
}

// Message blocks (lpcinit.c). Allocation may fail (STATUS_NO_MEMORY);
// freeing drops what a connection request holds (its section and client
// port) and a reply's RepliedToThread, so it runs without the lock, at
// PASSIVE_LEVEL.
LPCP_MESSAGE *LpcpAllocateMessage(void);
// The same, for a caller that writes the whole PORT_MESSAGE header (and
// the data) at once: only the kernel's fields are initialized.
LPCP_MESSAGE *LpcpAllocateMessageForCopy(void);
void LpcpFreeMessage(LPCP_MESSAGE *message);
// The free blocks: on the list and in the threads' caches (lpcinit.c).
extern ULONG LpcpFreeMessageCount;
// A free block already counted onto the list (LpcpFreeMessageInline).
void LpcpListFreeMessage(LPCP_MESSAGE *message);
// LpcpAllocateMessageForCopy in line for the round trip's services: the
// thread's cached block when it has one, else the general path.
static inline __attribute__((always_inline)) LPCP_MESSAGE *LpcpAllocateMessageForCopyInline(void)
{
    struct _ETHREAD *thread = PsGetCurrentThread();
    LPCP_MESSAGE *message = __atomic_exchange_n((LPCP_MESSAGE **)&thread->LpcCachedMessage,
                                                NULL, __ATOMIC_ACQUIRE);

    if (!message)
        return LpcpAllocateMessageForCopy();
    __atomic_fetch_sub(&LpcpFreeMessageCount, 1, __ATOMIC_RELAXED);
    InitializeListHead(&message->Entry);
    message->SenderPort = NULL;
    message->RepliedToThread = NULL;
    message->PortContext = NULL;
    return message;
}
// LpcpFreeMessage in line for the round trip's services: a block that is
// not a connection request, into the thread's empty cache (its reply's
// thread let go first), as LpcpFreeMessage does; else the general path.
static inline __attribute__((always_inline)) void LpcpFreeMessageInline(LPCP_MESSAGE *message)
{
    struct _ETHREAD *thread = PsGetCurrentThread();
    struct _ETHREAD *repliedToThread = message->RepliedToThread;
    void *empty = NULL;

    if (LpcpMessageType(&message->Request) == LPC_CONNECTION_REQUEST ||
        thread->LpcCachedMessage || thread->LpcExitThreadCalled) {
        LpcpFreeMessage(message);
        return;
    }
    message->RepliedToThread = NULL;
    if (repliedToThread)
        ObDereferenceObject(repliedToThread);
    if (__atomic_fetch_add(&LpcpFreeMessageCount, 1, __ATOMIC_RELAXED) >= LPCP_LOOKASIDE_DEPTH) {
        __atomic_fetch_sub(&LpcpFreeMessageCount, 1, __ATOMIC_RELAXED);
        ExFreePoolWithTag(message, LPCP_MESSAGE_TAG);
        return;
    }
    // An exchange: a kernel APC of this thread may have cached a block since.
    if (!__atomic_compare_exchange_n(&thread->LpcCachedMessage, &empty, message, FALSE,
                                     __ATOMIC_RELEASE, __ATOMIC_RELAXED))
        LpcpListFreeMessage(message);
}
// A sender handing a message to a receiver that has not run yet (lock held,
// at DISPATCH_LEVEL) takes the receiver's cached free block into its own
// empty cache: in a one-way flow the receiver's frees and the sender's
// allocations then both find their cache as they need it, not the list
// under LpcpLock. A block only moves between caches: the free count stays.
static inline __attribute__((always_inline)) void
LpcpTakeCachedMessageFrom(struct _ETHREAD *receiver)
{
    struct _ETHREAD *thread = PsGetCurrentThread();

    if (!thread->LpcCachedMessage && !thread->LpcExitThreadCalled &&
        receiver->LpcCachedMessage)
        thread->LpcCachedMessage = __atomic_exchange_n(&receiver->LpcCachedMessage, NULL,
                                                       __ATOMIC_ACQUIRE);
}
// A message's bytes from one kernel buffer to another (a kernel caller's
// message into its block, a block to a kernel receiver or a kernel
// client): the string instructions in line, one a quadword and one a byte
// left over, without memcpy's call.
static inline __attribute__((always_inline)) void
LpcpMoveMessage(void *destination, const void *source, ULONG length)
{
#ifndef SLEUTH_HOST
    SIZE_T quadwords = length >> 3, bytes = length & 7;

    __asm__ volatile("rep movsq" : "+D"(destination), "+S"(source), "+c"(quadwords) : : "memory");
    if (bytes)
        __asm__ volatile("rep movsb" : "+D"(destination), "+S"(source), "+c"(bytes) : : "memory");
#else
    memcpy(destination, source, length);
#endif
}
// The thread's cached free block back to the list (LpcExitThread).
void LpcpFlushMessageCache(struct _ETHREAD *thread);
// The free blocks counted (the list's and the threads' caches) and those on
// the list (tests: the difference is what living threads keep).
void LpcpQueryFreeMessages(ULONG *count, ULONG *listed);
// Frees every message on a local list (built under the lock).
void LpcpFreeMessageList(LIST_ENTRY *list);
// Next ids (lock held): never 0.
static inline ULONG LpcpGenerateMessageId(void)
{
    ULONG id = LpcpNextMessageId++;

    if (LpcpNextMessageId == 0)
        LpcpNextMessageId = 1;
    return id;
}
ULONG LpcpGenerateCallbackId(void);
// A port by handle, of type Port or WaitablePort (else
// STATUS_OBJECT_TYPE_MISMATCH), referenced.
NTSTATUS LpcpReferencePortByHandle(HANDLE portHandle, ACCESS_MASK desiredAccess,
                                   LPCP_PORT_OBJECT **port);
// The same with no access asked, in line in the services of a round trip
// (NtRequestPort, NtRequestWaitReplyPort, NtReplyWaitReceivePortEx): the
// table's entry read in place, no call frame.
static inline __attribute__((always_inline)) NTSTATUS
LpcpReferencePortByHandleInline(HANDLE portHandle, LPCP_PORT_OBJECT **port)
{
    EPROCESS *process = PsGetCurrentProcess();
    OBJECT_TYPE *type;
    NTSTATUS status;

    if (portHandle == NtCurrentProcess() || portHandle == NtCurrentThread() || !process)
        return LpcpReferencePortByHandle(portHandle, 0, port);
    // No access asked: the handle's is not read.
    status = ObpReferenceHandle(process->ObjectTable, portHandle, (void **)port, NULL);
    if (!NT_SUCCESS(status))
        return status;
    type = OBJECT_TO_OBJECT_HEADER(*port)->Type;
    if (type != LpcPortObjectType && type != LpcWaitablePortObjectType) {
        ObDereferenceObject(*port);
        return STATUS_OBJECT_TYPE_MISMATCH;
    }
    return STATUS_SUCCESS;
}

// A new port object (create.c): zeroed, its queue made when it has one.
NTSTATUS LpcpInitializePortObject(BOOLEAN waitable, ULONG flags, LPCP_PORT_OBJECT **port);
// The kernel's own unnamed port (tests, kernel servers): no handle.
NTSTATUS LpcpCreatePort(ULONG maxConnectionInfoLength, ULONG maxMessageLength,
                        BOOLEAN waitable, LPCP_PORT_OBJECT **port);

// Sending (send.c). The lengths of a header captured from user mode
// (LpcpCaptureHeader has checked that the data fits) against the port.
static inline NTSTATUS LpcpCheckCapturedMessageLengths(LPCP_PORT_OBJECT *port,
                                                       const PORT_MESSAGE *message)
{
    ULONG total = (USHORT)message->u1.s1.TotalLength;
    ULONG data = (USHORT)message->u1.s1.DataLength;

    if (total > port->MaxMessageLength || total <= data)
        return STATUS_PORT_MESSAGE_TOO_LONG;
    return STATUS_SUCCESS;
}
// A kernel message's lengths, both checks in NT's order.
static inline NTSTATUS LpcpCheckMessageLengths(LPCP_PORT_OBJECT *port,
                                               const PORT_MESSAGE *message)
{
    if ((ULONG)(USHORT)message->u1.s1.DataLength + sizeof(PORT_MESSAGE) >
        (ULONG)(USHORT)message->u1.s1.TotalLength)
        return STATUS_INVALID_PARAMETER;
    return LpcpCheckCapturedMessageLengths(port, message);
}
// Where a message sent through `port` goes: the queue's port, the port
// whose reply chain a waiting sender joins, and the PortContext the
// receiver gets. STATUS_PORT_DISCONNECTED when the other side is gone.
// Lock held. In line: every message takes it.
static inline __attribute__((always_inline)) NTSTATUS
LpcpFindSendTargets(LPCP_PORT_OBJECT *port, LPCP_PORT_OBJECT **queuePort,
                    LPCP_PORT_OBJECT **rundownPort, void **portContext)
{
    LPCP_PORT_OBJECT *peer = port->ConnectedPort;

    *portContext = NULL;
    switch (port->Flags & LPCP_PORT_TYPE_MASK) {
    case LPCP_CLIENT_PORT:
        // To the server's connection port, where its threads receive,
        // stamped with the server communication port's context.
        if (!peer || !port->ConnectionPort)
            return STATUS_PORT_DISCONNECTED;
        *queuePort = port->ConnectionPort;
        *rundownPort = peer;
        *portContext = peer->PortContext;
        break;
    case LPCP_COMMUNICATION_PORT:
        // To the client port's own queue.
        if (!peer)
            return STATUS_PORT_DISCONNECTED;
        *queuePort = peer;
        *rundownPort = peer;
        break;
    default:
        // A connection or unconnected port talks to itself.
        *queuePort = port;
        *rundownPort = port;
        break;
    }
    if ((*queuePort)->Flags & LPCP_PORT_DELETED)
        return STATUS_PORT_DISCONNECTED;
    return STATUS_SUCCESS;
}

// Queues a message (lock held): the receiver's semaphore, a waitable
// port's event. chargeQuota: STATUS_NO_MEMORY when the queue is full.
NTSTATUS LpcpQueueMessage(LPCP_PORT_OBJECT *queuePort, LPCP_MESSAGE *message,
                          BOOLEAN chargeQuota);
// A message taken out of a queue other than by a receiver: its count
// leaves the queue's semaphore, the waitable event clears if it was the
// last (lock held).
void LpcpUncountMessage(LPCP_PORT_OBJECT *queuePort);
// A datagram (its header set up but for ids) through `port`; the block is
// consumed whatever happens.
NTSTATUS LpcpSendDatagram(LPCP_PORT_OBJECT *port, LPCP_MESSAGE *message, BOOLEAN chargeQuota);
// A request (or a callback) through `port` that waits for its reply; the
// block is consumed. On success *reply is the reply block, the caller's.
NTSTATUS LpcpRequestWaitReply(LPCP_PORT_OBJECT *port, LPCP_MESSAGE *message,
                              KPROCESSOR_MODE waitMode, LPCP_MESSAGE **reply);
// Waits for the reply to the id the thread has set up (on its reply
// chain); a request left unanswered is taken back from queuePort (NULL:
// none queued). Without queueReferenced, queuePort is the port whose chain
// the thread is on, looked at only while the thread still is. Shared with
// NtReplyWaitReplyPort.
NTSTATUS LpcpWaitForReply(LPCP_PORT_OBJECT *queuePort, BOOLEAN queueReferenced,
                          ULONG messageId, KPROCESSOR_MODE waitMode, LPCP_MESSAGE **reply);
// Takes back a request its sender stopped waiting for (lock held): out of
// the queue and off the data-info chain, onto `freeList`.
void LpcpCancelRequest(LPCP_PORT_OBJECT *queuePort, struct _ETHREAD *thread, ULONG messageId,
                       LIST_ENTRY *freeList);

// Replying and receiving (reply.c, receive.c).
// Hands `reply` (a captured reply: MessageId, ClientId and CallbackId as the
// server gave them) to the thread waiting for it; consumed. With
// waitAgain, the caller joins the reply chain for the same id in the same
// step (NtReplyWaitReplyPort), so the answer cannot come before it waits.
NTSTATUS LpcpReply(LPCP_PORT_OBJECT *port, LPCP_MESSAGE *reply, BOOLEAN waitAgain);
// LpcpReply for a caller whose next call is a wait (the receive of
// NtReplyWaitReceivePort). *waitNext TRUE on return: the reply was handed
// over with the dispatcher lock kept (KiReleaseSemaphoreWaitNext), at
// DISPATCH_LEVEL; the caller must wait at once. FALSE: an ordinary reply.
NTSTATUS LpcpReplyWaitNext(LPCP_PORT_OBJECT *port, LPCP_MESSAGE *reply, BOOLEAN *waitNext);
// The port whose queue a port's owner receives on.
static inline LPCP_PORT_OBJECT *LpcpReceivePort(LPCP_PORT_OBJECT *port)
{
    return (port->Flags & LPCP_PORT_TYPE_MASK) == LPCP_CLIENT_PORT ? port : port->ConnectionPort;
}
// Is `port` one the thread waiting on waitingPort may be replied through?
BOOLEAN LpcpValidateClientPort(LPCP_PORT_OBJECT *port, LPCP_PORT_OBJECT *waitingPort);
// The same in line, for every reply's path (replyex.h).
static inline __attribute__((always_inline)) BOOLEAN
LpcpValidateClientPortInline(LPCP_PORT_OBJECT *port, LPCP_PORT_OBJECT *waitingPort)
{
    if (!waitingPort)
        return FALSE;
    // The port it waits on, that port's connection port (a server replying
    // through its connection port handle) or peer; or a server
    // communication port of the connection port it waits on.
    if (port == waitingPort || port == waitingPort->ConnectionPort ||
        port == waitingPort->ConnectedPort)
        return TRUE;
    return (port->Flags & LPCP_PORT_TYPE_MASK) == LPCP_COMMUNICATION_PORT &&
           port->ConnectionPort == waitingPort;
}
// Waits for the next message on the port's receive queue and copies it,
// as the receiver sees it, into `receive` (LPCP_MAX_MESSAGE_LENGTH bytes).
NTSTATUS LpcpReceive(LPCP_PORT_OBJECT *port, KPROCESSOR_MODE waitMode, LARGE_INTEGER *timeout,
                     PORT_MESSAGE *receive, void **portContext);
// A user's reply (its header already captured) in a block, after NtReplyPort's checks.
NTSTATUS LpcpCaptureReply(LPCP_PORT_OBJECT *port, const PORT_MESSAGE *userReply,
                          PORT_MESSAGE *header, LPCP_MESSAGE **reply);
// The whole NtReplyWaitReceivePort(Ex) on kernel buffers (reply optional).
NTSTATUS LpcpReplyWaitReceivePort(LPCP_PORT_OBJECT *port, LPCP_MESSAGE *reply,
                                  PORT_MESSAGE *receive, void **portContext,
                                  KPROCESSOR_MODE waitMode, LARGE_INTEGER *timeout);

// Does `client` (a server port's ClientThread) still wait for
// NtCompleteConnectPort on `serverPort`, holding the accepted answer that
// linked it (complete.c)? A client whose connect ended another way (its
// connection port closed) may wait for another connection or a reply by
// now, which the server port's completion or rundown must not touch. Lock
// held.
BOOLEAN LpcpClientAwaitsCompletion(struct _ETHREAD *client, LPCP_PORT_OBJECT *serverPort);

// Rundown (close.c): the object manager's close and delete procedures.
void LpcpClosePort(struct _EPROCESS *process, void *object, ACCESS_MASK grantedAccess,
                   ULONG_PTR processHandleCount, ULONG_PTR systemHandleCount);
void LpcpDeletePort(void *object);
// Breaks a port's links, wakes every thread on its reply chain and empties
// its queue.
void LpcpDestroyPortQueue(LPCP_PORT_OBJECT *port);

// User message capture (send.c): the header, probed and read.
NTSTATUS LpcpCaptureHeader(const PORT_MESSAGE *userMessage, PORT_MESSAGE *header);
// The in-line captures below use mm.h's in-line copies, which host tests
// (which read this header for its types) do not have.
#ifndef SLEUTH_HOST
// The same in line, for the round trip's services.
static inline __attribute__((always_inline)) NTSTATUS
LpcpCaptureHeaderInline(const PORT_MESSAGE *userMessage, PORT_MESSAGE *header)
{
    NTSTATUS status;

    // ProbeForRead's alignment check; the copy checks the range.
    if ((ULONG_PTR)userMessage & (sizeof(ULONG) - 1))
        return STATUS_DATATYPE_MISALIGNMENT;
    status = MmCopyFromUserInline(header, userMessage, sizeof(*header));
    if (!NT_SUCCESS(status))
        return status;
    // The data must fit in the message: NT's first length check, before the
    // port is looked at.
    if ((ULONG)(USHORT)header->u1.s1.DataLength + sizeof(PORT_MESSAGE) >
        (ULONG)(USHORT)header->u1.s1.TotalLength)
        return STATUS_INVALID_PARAMETER;
    return STATUS_SUCCESS;
}
// A block holding the user's whole message (TotalLength already checked),
// its header the captured one.
NTSTATUS LpcpCaptureMessage(const PORT_MESSAGE *userMessage, const PORT_MESSAGE *header,
                            LPCP_MESSAGE **message);
// LpcpCaptureMessage, in line in the round trip's services.
static inline __attribute__((always_inline)) NTSTATUS
LpcpCaptureMessageInline(const PORT_MESSAGE *userMessage, const PORT_MESSAGE *header,
                         LPCP_MESSAGE **result)
{
    LPCP_MESSAGE *message = LpcpAllocateMessageForCopyInline();
    NTSTATUS status;

    if (!message)
        return STATUS_NO_MEMORY;
    // The checked header, not what the user may have changed since, nor what
    // a copy stopped part-way left: a user's type read as a connection
    // request would make the free drop the "client port" and "section" the
    // user wrote after it. From the user only the data after it (the lengths
    // were checked: the total holds at least the header).
    message->Request = *header;
    status = MmCopyFromUserInline(&message->Request + 1, userMessage + 1,
                            (USHORT)header->u1.s1.TotalLength - sizeof(PORT_MESSAGE));
    if (!NT_SUCCESS(status)) {
        LpcpFreeMessage(message);
        return status;
    }
    *result = message;
    return STATUS_SUCCESS;
}
// A block for a user's message, taken before its header is captured
// straight into it (the round trip's services): the thread's cached one,
// else one from the list or pool (LpcpAllocateMessageForCopy); NULL with
// none to be had.
static inline __attribute__((always_inline)) LPCP_MESSAGE *LpcpAllocateMessageBeforeCapture(void)
{
    return LpcpAllocateMessageForCopyInline();
}
// A block LpcpAllocateMessageBeforeCapture gave that carries no message after all (a
// check failed): back to the cache. Its header is the user's, unchecked:
// its type must not make the free take it for a connection request.
static inline __attribute__((always_inline)) void LpcpReturnCapture(LPCP_MESSAGE *block)
{
    if (block) {
        block->Request.u2.s2.Type = 0;
        LpcpFreeMessageInline(block);
    }
}
// The data after a header captured by LpcpCaptureHeaderInline into `block`
// (lengths checked), or with no block (the header in a stack copy)
// LpcpCaptureMessageInline. The block is consumed on failure.
static inline __attribute__((always_inline)) NTSTATUS
LpcpCaptureDataInline(const PORT_MESSAGE *userMessage, const PORT_MESSAGE *header,
                      LPCP_MESSAGE *block, LPCP_MESSAGE **result)
{
    NTSTATUS status;

    if (!block)
        return LpcpCaptureMessageInline(userMessage, header, result);
    status = MmCopyFromUserInline(&block->Request + 1, userMessage + 1,
                                  (USHORT)header->u1.s1.TotalLength - sizeof(PORT_MESSAGE));
    if (!NT_SUCCESS(status)) {
        LpcpFreeMessageInline(block);
        return status;
    }
    *result = block;
    return STATUS_SUCCESS;
}
// LpcpCaptureReply, in line in NtReplyWaitReceivePortEx.
// `block`: the one the header was captured into (LpcpAllocateMessageBeforeCapture),
// consumed whatever happens; NULL, the header is a stack copy.
static inline __attribute__((always_inline)) NTSTATUS
LpcpCaptureReplyInline(LPCP_PORT_OBJECT *port, const PORT_MESSAGE *userReply,
                       PORT_MESSAGE *header, LPCP_MESSAGE *block, LPCP_MESSAGE **reply)
{
    NTSTATUS status = STATUS_INVALID_PARAMETER;

    if (header->MessageId == 0 ||
        !NT_SUCCESS(status = LpcpCheckCapturedMessageLengths(port, header))) {
        LpcpReturnCapture(block);
        return status;
    }
    header->u2.s2.Type = LPC_REPLY;
    header->u2.s2.DataInfoOffset = 0;
    return LpcpCaptureDataInline(userReply, header, block, reply);
}
#endif // SLEUTH_HOST

// Security (security.c): a captured SID (STATUS_INVALID_SID for a bad
// one; `sid` has room for SECURITY_MAX_SID_SIZE bytes), the server's
// identity against it, and the client's security a client port keeps.
NTSTATUS LpcpCaptureSid(const SID *userSid, SID *sid);
NTSTATUS LpcpCheckServerSid(LPCP_PORT_OBJECT *connectionPort, const SID *requiredServerSid);
NTSTATUS LpcpCaptureClientSecurity(LPCP_PORT_OBJECT *clientPort);
void LpcpDeleteClientSecurity(LPCP_PORT_OBJECT *clientPort);

// Thread exit (PspExitThread calls it first): LPC_CLIENT_DIED to every
// port the thread registered with NtRegisterThreadTerminatePort.
void LpcSendClientDiedMessages(struct _ETHREAD *thread);
