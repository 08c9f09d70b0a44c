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
