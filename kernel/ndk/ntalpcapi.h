// ALPC (NT 6's Advanced LPC) as user mode sees it, with NT's names, flag
// values and x64 layouts: the port attributes, the message attributes
// buffer and the attributes in it, the information classes, and the
// NtAlpc* services with NT's prototypes. Messages keep LPC's PORT_MESSAGE
// header (ntlpcapi.h). Part of the NT ABI (kernel/ndk/); the one
// declaration shared by the kernel (kernel/alpc), the user runtime, the
// debugger and the host tests. The kernel's own structures (the port, the
// message block) are in kernel/alpc/alpcp.h.
#pragma once

#include "ntdef.h"
#include "ntlpcapi.h"

// PORT_MESSAGE.u2.s2.Type: a request whose sender waits for the reply (a
// synchronous request). The receiver must answer it; !alpc shows the bit as
// "Continuation".
#define LPC_CONTINUATION_REQUIRED 0x2000

// The largest message ALPC takes, header included (NT's
// AlpcMaxAllowedMessageLength).
#define ALPC_MAX_ALLOWED_MESSAGE_LENGTH 0xFFEF

typedef HANDLE ALPC_HANDLE;

// ALPC_PORT_ATTRIBUTES.Flags.
#define ALPC_PORFLG_LPC_MODE            0x00001000   // kernel only: a port made for LPC
#define ALPC_PORFLG_ALLOW_IMPERSONATION 0x00010000
#define ALPC_PORFLG_ALLOW_LPC_REQUESTS  0x00020000
#define ALPC_PORFLG_WAITABLE_PORT       0x00040000
#define ALPC_PORFLG_ALLOW_DUP_OBJECT    0x00080000
#define ALPC_PORFLG_SYSTEM_PROCESS      0x00100000   // kernel only

typedef struct _ALPC_PORT_ATTRIBUTES {
    ULONG Flags;                            // ALPC_PORFLG_*
    SECURITY_QUALITY_OF_SERVICE SecurityQos;
    SIZE_T MaxMessageLength;                // header + data, at most
    SIZE_T MemoryBandwidth;
    SIZE_T MaxPoolUsage;                    // bytes of messages queued, at most
    SIZE_T MaxSectionSize;
    SIZE_T MaxViewSize;
    SIZE_T MaxTotalSectionSize;
    ULONG DupObjectTypes;
    ULONG Reserved;
} ALPC_PORT_ATTRIBUTES, *PALPC_PORT_ATTRIBUTES;

// NtAlpcSendWaitReceivePort's and NtAlpcConnectPort's Flags.
#define ALPC_MSGFLG_REPLY_MESSAGE   0x00000001
#define ALPC_MSGFLG_LPC_MODE        0x00000002
#define ALPC_MSGFLG_RELEASE_MESSAGE 0x00010000   // free the message after the receive
#define ALPC_MSGFLG_SYNC_REQUEST    0x00020000   // a request whose reply the sender waits for
#define ALPC_MSGFLG_WAIT_USER_MODE  0x00100000
#define ALPC_MSGFLG_WAIT_ALERTABLE  0x00200000
#define ALPC_MSGFLG_WOW64_CALL      0x80000000

// NtAlpcCancelMessage's Flags.
#define ALPC_CANCELFLG_TRY_CANCEL   0x00000001

// The message attributes buffer: a header, then each attribute whose bit is
// set in AllocatedAttributes, in the order of the bits from the highest
// (security, view, context, handle...). The caller says what it allocated;
// the kernel says which ones it filled (ValidAttributes).
#define ALPC_MESSAGE_SECURITY_ATTRIBUTE 0x80000000
#define ALPC_MESSAGE_VIEW_ATTRIBUTE     0x40000000
#define ALPC_MESSAGE_CONTEXT_ATTRIBUTE  0x20000000
#define ALPC_MESSAGE_HANDLE_ATTRIBUTE   0x10000000

typedef struct _ALPC_MESSAGE_ATTRIBUTES {
    ULONG AllocatedAttributes;
    ULONG ValidAttributes;
} ALPC_MESSAGE_ATTRIBUTES, *PALPC_MESSAGE_ATTRIBUTES;

// The context attribute: what identifies a received message (and its
// port's context), and what names a message to NtAlpcCancelMessage.
typedef struct _ALPC_CONTEXT_ATTR {
    void *PortContext;
    void *MessageContext;
    ULONG Sequence;
    ULONG MessageId;
    ULONG CallbackId;
} ALPC_CONTEXT_ATTR, *PALPC_CONTEXT_ATTR;

// The security attribute (the client's security context for impersonation).
#define ALPC_SECFLG_CREATE_HANDLE 0x00020000
typedef struct _ALPC_SECURITY_ATTR {
    ULONG Flags;
    SECURITY_QUALITY_OF_SERVICE *QualityOfService;
    ALPC_HANDLE ContextHandle;
} ALPC_SECURITY_ATTR, *PALPC_SECURITY_ATTR;

// The view attribute (a view of a port section carried by a message).
typedef struct _ALPC_DATA_VIEW_ATTR {
    ULONG Flags;
    ALPC_HANDLE SectionHandle;
    void *ViewBase;
    SIZE_T ViewSize;
} ALPC_DATA_VIEW_ATTR, *PALPC_DATA_VIEW_ATTR;

typedef enum _ALPC_PORT_INFORMATION_CLASS {
    AlpcBasicInformation = 0,               // ALPC_BASIC_INFORMATION (query)
    AlpcPortInformation = 1,                // ALPC_PORT_ATTRIBUTES (query and set)
    AlpcAssociateCompletionPortInformation = 2,
    AlpcConnectedSIDInformation = 3,
    AlpcServerInformation = 4,
    AlpcMessageZoneInformation = 5,
    AlpcRegisterCompletionListInformation = 6,
    AlpcUnregisterCompletionListInformation = 7,
    AlpcAdjustCompletionListConcurrencyCountInformation = 8,
    AlpcRegisterCallbackInformation = 9,
    AlpcCompletionListRundownInformation = 10,
    AlpcWaitForPortReferences = 11,
    MaxAlpcPortInfoClass
} ALPC_PORT_INFORMATION_CLASS;

typedef struct _ALPC_BASIC_INFORMATION {
    ULONG Flags;                            // the port's ALPC_PORFLG_* flags
    ULONG SequenceNo;                       // the port's last message sequence number
    void *PortContext;
} ALPC_BASIC_INFORMATION, *PALPC_BASIC_INFORMATION;

_Static_assert(sizeof(ALPC_PORT_ATTRIBUTES) == 0x48, "ALPC_PORT_ATTRIBUTES is 0x48 bytes on x64");
_Static_assert(offsetof(ALPC_PORT_ATTRIBUTES, MaxPoolUsage) == 0x20, "MaxPoolUsage at 0x20");
_Static_assert(sizeof(ALPC_CONTEXT_ATTR) == 0x20, "ALPC_CONTEXT_ATTR is 0x20 bytes on x64");
_Static_assert(sizeof(ALPC_BASIC_INFORMATION) == 0x10, "ALPC_BASIC_INFORMATION is 0x10 bytes");

// The ALPC services (kernel/alpc), NT's prototypes.
NTSTATUS NTAPI NtAlpcCreatePort(HANDLE *portHandle, OBJECT_ATTRIBUTES *objectAttributes,
                                ALPC_PORT_ATTRIBUTES *portAttributes);
NTSTATUS NTAPI NtAlpcConnectPort(HANDLE *portHandle, UNICODE_STRING *portName,
                                 OBJECT_ATTRIBUTES *objectAttributes,
                                 ALPC_PORT_ATTRIBUTES *portAttributes, ULONG flags,
                                 SID *requiredServerSid, PORT_MESSAGE *connectionMessage,
                                 SIZE_T *bufferLength,
                                 ALPC_MESSAGE_ATTRIBUTES *outMessageAttributes,
                                 ALPC_MESSAGE_ATTRIBUTES *inMessageAttributes,
                                 LARGE_INTEGER *timeout);
NTSTATUS NTAPI NtAlpcAcceptConnectPort(HANDLE *portHandle, HANDLE connectionPortHandle,
                                       ULONG flags, OBJECT_ATTRIBUTES *objectAttributes,
                                       ALPC_PORT_ATTRIBUTES *portAttributes, void *portContext,
                                       PORT_MESSAGE *connectionRequest,
                                       ALPC_MESSAGE_ATTRIBUTES *connectionMessageAttributes,
                                       BOOLEAN acceptConnection);
NTSTATUS NTAPI NtAlpcSendWaitReceivePort(HANDLE portHandle, ULONG flags,
                                         PORT_MESSAGE *sendMessage,
                                         ALPC_MESSAGE_ATTRIBUTES *sendMessageAttributes,
                                         PORT_MESSAGE *receiveMessage, SIZE_T *bufferLength,
                                         ALPC_MESSAGE_ATTRIBUTES *receiveMessageAttributes,
                                         LARGE_INTEGER *timeout);
NTSTATUS NTAPI NtAlpcCancelMessage(HANDLE portHandle, ULONG flags,
                                   ALPC_CONTEXT_ATTR *messageContext);
NTSTATUS NTAPI NtAlpcDisconnectPort(HANDLE portHandle, ULONG flags);
NTSTATUS NTAPI NtAlpcQueryInformation(HANDLE portHandle,
                                      ALPC_PORT_INFORMATION_CLASS portInformationClass,
                                      void *portInformation, ULONG length, ULONG *returnLength);
NTSTATUS NTAPI NtAlpcSetInformation(HANDLE portHandle,
                                    ALPC_PORT_INFORMATION_CLASS portInformationClass,
                                    void *portInformation, ULONG length);
// Implemented by the extensions (kernel/alpc: impersonation, sections, views).
NTSTATUS NTAPI NtAlpcImpersonateClientOfPort(HANDLE portHandle, PORT_MESSAGE *message,
                                             void *flags);
NTSTATUS NTAPI NtAlpcCreatePortSection(HANDLE portHandle, ULONG flags, HANDLE sectionHandle,
                                       SIZE_T sectionSize, ALPC_HANDLE *alpcSectionHandle,
                                       SIZE_T *actualSectionSize);
NTSTATUS NTAPI NtAlpcCreateSectionView(HANDLE portHandle, ULONG flags,
                                       ALPC_DATA_VIEW_ATTR *viewAttributes);
