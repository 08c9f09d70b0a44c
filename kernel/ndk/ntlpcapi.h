// LPC as user mode sees it, with NT's x64 layouts: PORT_MESSAGE (the
// header of every message), PORT_VIEW and REMOTE_PORT_VIEW (shared
// sections), the message types, and the LPC services. Part of the NT ABI
// (kernel/ndk/); the ports and messages themselves are in kernel/lpc/lpcp.h.
#pragma once

#include "ntdef.h"
#include "ntpsapi.h"
#include "ntseapi.h"

typedef SHORT CSHORT;

typedef enum _LPC_TYPE {
    LPC_NEW_MESSAGE = 0,
    LPC_REQUEST = 1,
    LPC_REPLY = 2,
    LPC_DATAGRAM = 3,
    LPC_LOST_REPLY = 4,
    LPC_PORT_CLOSED = 5,
    LPC_CLIENT_DIED = 6,
    LPC_EXCEPTION = 7,
    LPC_DEBUG_EVENT = 8,
    LPC_ERROR_EVENT = 9,
    LPC_CONNECTION_REQUEST = 10,
    LPC_CONNECTION_REFUSED = 11,
    LPC_MAXIMUM
} LPC_TYPE;

// Modifier bits of PORT_MESSAGE.u2.s2.Type: a message the kernel sent
// (kept only when the sender is in kernel mode), and one whose receiver
// may not impersonate the sender.
#define LPC_KERNELMODE_MESSAGE 0x8000
#define LPC_NO_IMPERSONATE     0x4000

// The largest message (header and data) on x64, as NT's.
#define PORT_MAXIMUM_MESSAGE_LENGTH 512

#define PORT_CONNECT    0x0001
#define PORT_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | PORT_CONNECT)

typedef struct _PORT_MESSAGE {
    union {
        struct {
            CSHORT DataLength;      // bytes of data after the header
            CSHORT TotalLength;     // header + data
        } s1;
        ULONG Length;
    } u1;
    union {
        struct {
            CSHORT Type;            // LPC_TYPE, with the modifier bits
            CSHORT DataInfoOffset;  // where an LPCP_DATA_INFO lies in the message, or 0
        } s2;
        ULONG ZeroInit;
    } u2;
    union {
        CLIENT_ID ClientId;         // the sender's, stamped by the kernel
        double DoNotUseThisField;   // 8-byte alignment, as NT's
    };
    ULONG MessageId;                // stamped by the kernel
    union {
        SIZE_T ClientViewSize;      // in a connection request
        ULONG CallbackId;
    };
} PORT_MESSAGE, *PPORT_MESSAGE;

typedef struct _PORT_VIEW {
    ULONG Length;                   // sizeof(PORT_VIEW)
    HANDLE SectionHandle;
    ULONG SectionOffset;
    SIZE_T ViewSize;
    void *ViewBase;                 // in the caller's process
    void *ViewRemoteBase;           // the same view in the other process
} PORT_VIEW, *PPORT_VIEW;

typedef struct _REMOTE_PORT_VIEW {
    ULONG Length;                   // sizeof(REMOTE_PORT_VIEW)
    SIZE_T ViewSize;
    void *ViewBase;
} REMOTE_PORT_VIEW, *PREMOTE_PORT_VIEW;

// The data-info block a request may carry (at DataInfoOffset): buffers in
// the client's address space the server reads and writes with
// NtReadRequestData/NtWriteRequestData.
typedef struct _LPCP_DATA_INFO {
    ULONG NumberOfEntries;
    struct {
        void *BaseAddress;
        ULONG DataLength;
    } Entries[1];
} LPCP_DATA_INFO;

// LPC_CLIENT_DIED and LPC_PORT_CLOSED carry the creation time of the thread
// (or process) that went.
typedef struct _CLIENT_DIED_MSG {
    PORT_MESSAGE h;
    LARGE_INTEGER CreateTime;
} CLIENT_DIED_MSG;

typedef enum _PORT_INFORMATION_CLASS { PortNoInformation } PORT_INFORMATION_CLASS;

_Static_assert(sizeof(PORT_MESSAGE) == 0x28, "PORT_MESSAGE is 0x28 bytes on x64");
_Static_assert(offsetof(PORT_MESSAGE, MessageId) == 0x18, "PORT_MESSAGE.MessageId at 0x18");
_Static_assert(sizeof(PORT_VIEW) == 0x30, "PORT_VIEW is 0x30 bytes on x64");
_Static_assert(sizeof(REMOTE_PORT_VIEW) == 0x18, "REMOTE_PORT_VIEW is 0x18 bytes on x64");

// The LPC services (kernel/lpc), NT's prototypes.
NTSTATUS NTAPI NtCreatePort(HANDLE *portHandle, OBJECT_ATTRIBUTES *objectAttributes,
                            ULONG maxConnectionInfoLength, ULONG maxMessageLength,
                            ULONG maxPoolUsage);
NTSTATUS NTAPI NtCreateWaitablePort(HANDLE *portHandle, OBJECT_ATTRIBUTES *objectAttributes,
                                    ULONG maxConnectionInfoLength, ULONG maxMessageLength,
                                    ULONG maxPoolUsage);
NTSTATUS NTAPI NtConnectPort(HANDLE *portHandle, UNICODE_STRING *portName,
                             SECURITY_QUALITY_OF_SERVICE *securityQos, PORT_VIEW *clientView,
                             REMOTE_PORT_VIEW *serverView, ULONG *maxMessageLength,
                             void *connectionInformation, ULONG *connectionInformationLength);
NTSTATUS NTAPI NtSecureConnectPort(HANDLE *portHandle, UNICODE_STRING *portName,
                                   SECURITY_QUALITY_OF_SERVICE *securityQos, PORT_VIEW *clientView,
                                   SID *requiredServerSid, REMOTE_PORT_VIEW *serverView,
                                   ULONG *maxMessageLength, void *connectionInformation,
                                   ULONG *connectionInformationLength);
NTSTATUS NTAPI NtListenPort(HANDLE portHandle, PORT_MESSAGE *connectionRequest);
NTSTATUS NTAPI NtAcceptConnectPort(HANDLE *portHandle, void *portContext,
                                   PORT_MESSAGE *connectionRequest, BOOLEAN acceptConnection,
                                   PORT_VIEW *serverView, REMOTE_PORT_VIEW *clientView);
NTSTATUS NTAPI NtCompleteConnectPort(HANDLE portHandle);
NTSTATUS NTAPI NtRequestPort(HANDLE portHandle, PORT_MESSAGE *requestMessage);
NTSTATUS NTAPI NtRequestWaitReplyPort(HANDLE portHandle, PORT_MESSAGE *requestMessage,
                                      PORT_MESSAGE *replyMessage);
NTSTATUS NTAPI NtReplyPort(HANDLE portHandle, PORT_MESSAGE *replyMessage);
NTSTATUS NTAPI NtReplyWaitReplyPort(HANDLE portHandle, PORT_MESSAGE *replyMessage);
NTSTATUS NTAPI NtReplyWaitReceivePort(HANDLE portHandle, void **portContext,
                                      PORT_MESSAGE *replyMessage, PORT_MESSAGE *receiveMessage);
NTSTATUS NTAPI NtReplyWaitReceivePortEx(HANDLE portHandle, void **portContext,
                                        PORT_MESSAGE *replyMessage, PORT_MESSAGE *receiveMessage,
                                        LARGE_INTEGER *timeout);
NTSTATUS NTAPI NtImpersonateClientOfPort(HANDLE portHandle, PORT_MESSAGE *message);
NTSTATUS NTAPI NtReadRequestData(HANDLE portHandle, PORT_MESSAGE *message, ULONG dataEntryIndex,
                                 void *buffer, SIZE_T bufferSize, SIZE_T *numberOfBytesRead);
NTSTATUS NTAPI NtWriteRequestData(HANDLE portHandle, PORT_MESSAGE *message, ULONG dataEntryIndex,
                                  void *buffer, SIZE_T bufferSize, SIZE_T *numberOfBytesWritten);
NTSTATUS NTAPI NtQueryInformationPort(HANDLE portHandle,
                                      PORT_INFORMATION_CLASS portInformationClass,
                                      void *portInformation, ULONG length, ULONG *returnLength);
NTSTATUS NTAPI NtRegisterThreadTerminatePort(HANDLE portHandle);
