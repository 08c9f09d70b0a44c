// The native API's LPC part (included by ntapi.h, which has the types it
// uses): NT's x64 PORT_MESSAGE, PORT_VIEW and REMOTE_PORT_VIEW, the message
// types, and the LPC system calls with their NT prototypes.
#pragma once

#include "user/include/ntapi.h"

// ---- LPC ports -------------------------------------------------------------------

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

#define PORT_MAXIMUM_MESSAGE_LENGTH 512
#define PORT_CONNECT    0x0001
#define PORT_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | PORT_CONNECT)

typedef struct _PORT_MESSAGE {
    union {
        struct {
            CSHORT DataLength;
            CSHORT TotalLength;
        } s1;
        ULONG Length;
    } u1;
    union {
        struct {
            CSHORT Type;
            CSHORT DataInfoOffset;
        } s2;
        ULONG ZeroInit;
    } u2;
    union {
        CLIENT_ID ClientId;
        double DoNotUseThisField;
    };
    ULONG MessageId;
    union {
        SIZE_T ClientViewSize;
        ULONG CallbackId;
    };
} PORT_MESSAGE, *PPORT_MESSAGE;

typedef struct _PORT_VIEW {
    ULONG Length;
    HANDLE SectionHandle;
    ULONG SectionOffset;
    SIZE_T ViewSize;
    PVOID ViewBase;
    PVOID ViewRemoteBase;
} PORT_VIEW, *PPORT_VIEW;

typedef struct _REMOTE_PORT_VIEW {
    ULONG Length;
    SIZE_T ViewSize;
    PVOID ViewBase;
} REMOTE_PORT_VIEW, *PREMOTE_PORT_VIEW;

typedef enum _PORT_INFORMATION_CLASS { PortNoInformation } PORT_INFORMATION_CLASS;

NTSTATUS NTAPI NtCreatePort(PHANDLE PortHandle, POBJECT_ATTRIBUTES ObjectAttributes,
                            ULONG MaxConnectionInfoLength, ULONG MaxMessageLength,
                            ULONG MaxPoolUsage);
NTSTATUS NTAPI NtCreateWaitablePort(PHANDLE PortHandle, POBJECT_ATTRIBUTES ObjectAttributes,
                                    ULONG MaxConnectionInfoLength, ULONG MaxMessageLength,
                                    ULONG MaxPoolUsage);
NTSTATUS NTAPI NtConnectPort(PHANDLE PortHandle, PUNICODE_STRING PortName,
                             PSECURITY_QUALITY_OF_SERVICE SecurityQos, PPORT_VIEW ClientView,
                             PREMOTE_PORT_VIEW ServerView, PULONG MaxMessageLength,
                             PVOID ConnectionInformation, PULONG ConnectionInformationLength);
NTSTATUS NTAPI NtSecureConnectPort(PHANDLE PortHandle, PUNICODE_STRING PortName,
                                   PSECURITY_QUALITY_OF_SERVICE SecurityQos,
                                   PPORT_VIEW ClientView, PSID RequiredServerSid,
                                   PREMOTE_PORT_VIEW ServerView, PULONG MaxMessageLength,
                                   PVOID ConnectionInformation,
                                   PULONG ConnectionInformationLength);
NTSTATUS NTAPI NtListenPort(HANDLE PortHandle, PPORT_MESSAGE ConnectionRequest);
NTSTATUS NTAPI NtAcceptConnectPort(PHANDLE PortHandle, PVOID PortContext,
                                   PPORT_MESSAGE ConnectionRequest, BOOLEAN AcceptConnection,
                                   PPORT_VIEW ServerView, PREMOTE_PORT_VIEW ClientView);
NTSTATUS NTAPI NtCompleteConnectPort(HANDLE PortHandle);
NTSTATUS NTAPI NtRequestPort(HANDLE PortHandle, PPORT_MESSAGE RequestMessage);
NTSTATUS NTAPI NtRequestWaitReplyPort(HANDLE PortHandle, PPORT_MESSAGE RequestMessage,
                                      PPORT_MESSAGE ReplyMessage);
NTSTATUS NTAPI NtReplyPort(HANDLE PortHandle, PPORT_MESSAGE ReplyMessage);
NTSTATUS NTAPI NtReplyWaitReplyPort(HANDLE PortHandle, PPORT_MESSAGE ReplyMessage);
NTSTATUS NTAPI NtReplyWaitReceivePort(HANDLE PortHandle, PVOID *PortContext,
                                      PPORT_MESSAGE ReplyMessage, PPORT_MESSAGE ReceiveMessage);
NTSTATUS NTAPI NtReplyWaitReceivePortEx(HANDLE PortHandle, PVOID *PortContext,
                                        PPORT_MESSAGE ReplyMessage,
                                        PPORT_MESSAGE ReceiveMessage, PLARGE_INTEGER Timeout);
NTSTATUS NTAPI NtImpersonateClientOfPort(HANDLE PortHandle, PPORT_MESSAGE Message);
NTSTATUS NTAPI NtReadRequestData(HANDLE PortHandle, PPORT_MESSAGE Message, ULONG DataEntryIndex,
                                 PVOID Buffer, SIZE_T BufferSize, PSIZE_T NumberOfBytesRead);
NTSTATUS NTAPI NtWriteRequestData(HANDLE PortHandle, PPORT_MESSAGE Message,
                                  ULONG DataEntryIndex, PVOID Buffer, SIZE_T BufferSize,
                                  PSIZE_T NumberOfBytesWritten);
NTSTATUS NTAPI NtQueryInformationPort(HANDLE PortHandle,
                                      PORT_INFORMATION_CLASS PortInformationClass,
                                      PVOID PortInformation, ULONG Length, PULONG ReturnLength);
NTSTATUS NTAPI NtRegisterThreadTerminatePort(HANDLE PortHandle);
