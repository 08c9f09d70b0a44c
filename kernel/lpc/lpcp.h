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

#include "lpc/lpctypes.h"
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

// The system services, NT's prototypes.
NTSTATUS NtCreatePort(HANDLE *portHandle, OBJECT_ATTRIBUTES *objectAttributes,
                      ULONG maxConnectionInfoLength, ULONG maxMessageLength, ULONG maxPoolUsage);
NTSTATUS NtCreateWaitablePort(HANDLE *portHandle, OBJECT_ATTRIBUTES *objectAttributes,
                              ULONG maxConnectionInfoLength, ULONG maxMessageLength,
                              ULONG maxPoolUsage);
NTSTATUS NtConnectPort(HANDLE *portHandle, UNICODE_STRING *portName,
                       SECURITY_QUALITY_OF_SERVICE *securityQos, PORT_VIEW *clientView,
                       REMOTE_PORT_VIEW *serverView, ULONG *maxMessageLength,
                       void *connectionInformation, ULONG *connectionInformationLength);
NTSTATUS NtSecureConnectPort(HANDLE *portHandle, UNICODE_STRING *portName,
                             SECURITY_QUALITY_OF_SERVICE *securityQos, PORT_VIEW *clientView,
                             SID *requiredServerSid, REMOTE_PORT_VIEW *serverView,
                             ULONG *maxMessageLength, void *connectionInformation,
                             ULONG *connectionInformationLength);
NTSTATUS NtListenPort(HANDLE portHandle, PORT_MESSAGE *connectionRequest);
NTSTATUS NtAcceptConnectPort(HANDLE *portHandle, void *portContext,
                             PORT_MESSAGE *connectionRequest, BOOLEAN acceptConnection,
                             PORT_VIEW *serverView, REMOTE_PORT_VIEW *clientView);
NTSTATUS NtCompleteConnectPort(HANDLE portHandle);
NTSTATUS NtRequestPort(HANDLE portHandle, PORT_MESSAGE *requestMessage);
NTSTATUS NtRequestWaitReplyPort(HANDLE portHandle, PORT_MESSAGE *requestMessage,
                                PORT_MESSAGE *replyMessage);
NTSTATUS NtReplyPort(HANDLE portHandle, PORT_MESSAGE *replyMessage);
NTSTATUS NtReplyWaitReplyPort(HANDLE portHandle, PORT_MESSAGE *replyMessage);
NTSTATUS NtReplyWaitReceivePort(HANDLE portHandle, void **portContext,
                                PORT_MESSAGE *replyMessage, PORT_MESSAGE *receiveMessage);
NTSTATUS NtReplyWaitReceivePortEx(HANDLE portHandle, void **portContext,
                                  PORT_MESSAGE *replyMessage, PORT_MESSAGE *receiveMessage,
                                  LARGE_INTEGER *timeout);
NTSTATUS NtImpersonateClientOfPort(HANDLE portHandle, PORT_MESSAGE *message);
NTSTATUS NtReadRequestData(HANDLE portHandle, PORT_MESSAGE *message, ULONG dataEntryIndex,
                           void *buffer, SIZE_T bufferSize, SIZE_T *numberOfBytesRead);
NTSTATUS NtWriteRequestData(HANDLE portHandle, PORT_MESSAGE *message, ULONG dataEntryIndex,
                            void *buffer, SIZE_T bufferSize, SIZE_T *numberOfBytesWritten);
NTSTATUS NtQueryInformationPort(HANDLE portHandle, PORT_INFORMATION_CLASS portInformationClass,
                                void *portInformation, ULONG length, ULONG *returnLength);
NTSTATUS NtRegisterThreadTerminatePort(HANDLE portHandle);
