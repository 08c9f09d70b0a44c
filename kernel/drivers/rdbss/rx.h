// What rdbss.sys (the redirector's buffering subsystem) shares with the
// mini-redirectors that import it (mrxsmb.sys): the server call it keeps
// per server, the context it keeps per request, and the routines it
// exports (rdbss.exports). Exercise 003's redirector: a create of a UNC
// path finds or builds the server's SRV_CALL; while the mini-redirector's
// transport connects, the SRV_CALL is in transition, and every request for
// that server waits in RxWaitForStableCondition (its RX_CONTEXT on the
// SRV_CALL's TransitionWaitList) or, for Mup's provider queries, stays
// pending on its PendingQueries list until the connection is made or fails.
#pragma once

#include "io/io.h"

#define RX_CONTEXT_TAG  POOL_TAG('R', 'x', 'I', 'r')
#define RX_SRVCALL_TAG  POOL_TAG('R', 'x', 'S', 'c')
#define RX_IRPLIST_TAG  POOL_TAG('R', 'x', 'I', 'l')

// Mup's provider query (IOCTL_REDIR_QUERY_PATH; its buffer as mup.c's).
#define IOCTL_REDIR_QUERY_PATH CTL_CODE(FILE_DEVICE_NETWORK_FILE_SYSTEM, 0x64, \
                                        METHOD_BUFFERED, FILE_ANY_ACCESS)
typedef struct _RX_QUERY_PATH {
    ULONG PathNameLength;
    ULONG LengthAccepted;
    WCHAR FilePathName[];
} RX_QUERY_PATH;

// A structure's condition, as RDBSS's RX_BLOCK_CONDITION.
typedef enum _RX_BLOCK_CONDITION {
    Condition_Uninitialized = 0,
    Condition_InTransition = 1,
    Condition_Closing = 2,
    Condition_Good = 3,
    Condition_Bad = 4,
} RX_BLOCK_CONDITION;

#define RX_SERVER_NAME_CHARS 64

typedef struct _SRV_CALL {
    LIST_ENTRY SrvCallLinks;            // on rdbss's list of servers
    UNICODE_STRING Name;                // \server
    WCHAR NameBuffer[RX_SERVER_NAME_CHARS];
    RX_BLOCK_CONDITION Condition;       // what RxWaitForStableCondition watches
    NTSTATUS Status;                    // the connection's, once stable
    LIST_ENTRY TransitionWaitList;      // RX_CONTEXT.ContextListEntry: waiting for Condition
    LIST_ENTRY PendingQueries;          // IRP.Tail.Overlay.ListEntry: Mup's queries for it
    DEVICE_OBJECT *RxDeviceObject;      // the mini-redirector's device
    void *Context;                      // the mini-redirector's (its transport state)
    ULONG64 CreateTickCount;
} SRV_CALL;

typedef struct _RX_CONTEXT {
    USHORT NodeTypeCode;                // 0xeb0b, as RDBSS's RDBSS_NTC_RX_CONTEXT
    USHORT NodeByteSize;
    UCHAR MajorFunction;
    UCHAR MinorFunction;
    NTSTATUS StoredStatus;
    IRP *CurrentIrp;
    FILE_OBJECT *FileObject;
    DEVICE_OBJECT *RxDeviceObject;
    struct _ETHREAD *OriginalThread;
    SRV_CALL *SrvCall;                  // what the request is for
    LIST_ENTRY ContextListEntry;        // on SrvCall->TransitionWaitList while it waits
    KEVENT SyncEvent;                   // set when the condition it waits on is stable
    UNICODE_STRING PrefixName;          // the path's \server\share part
    WCHAR PrefixBuffer[128];
} RX_CONTEXT;

// rdbss!RxIrpsList's entries (0x30 bytes): the IRPs a mini-redirector sent
// its transport through RxCeSend, until they complete.
typedef struct _RX_IRP_LIST_ITEM {
    LIST_ENTRY IrpsList;                // +0x00
    IRP *Irp;                           // +0x10
    DEVICE_OBJECT *Transport;           // +0x18
    SRV_CALL *SrvCall;                  // +0x20
    ULONG64 SendTickCount;              // +0x28
} RX_IRP_LIST_ITEM;
_Static_assert(sizeof(RX_IRP_LIST_ITEM) == 0x30, "RX_IRP_LIST_ITEM is 0x30 bytes");

// What a mini-redirector gives rdbss when it registers.
typedef struct _MINIRDR_DISPATCH {
    // Starts the connection to srvCall's server; returns at once. The
    // mini-redirector calls RxFinishSrvCallConstruction when it is made or
    // has failed.
    NTSTATUS (*MRxCreateSrvCall)(SRV_CALL *srvCall);
} MINIRDR_DISPATCH;

NTSTATUS RxRegisterMinirdr(DEVICE_OBJECT *device, const MINIRDR_DISPATCH *dispatch);
void RxUnregisterMinirdr(DEVICE_OBJECT *device);
// Every IRP the mini-redirector's device receives.
NTSTATUS RxFsdDispatch(DEVICE_OBJECT *device, IRP *irp);
// Sends irp to the transport, on rdbss!RxIrpsList until RxCeIrpCompleted.
NTSTATUS RxCeSend(DEVICE_OBJECT *transport, IRP *irp, SRV_CALL *srvCall);
void RxCeIrpCompleted(IRP *irp);
// The connection is made (success) or has failed: the server's condition
// becomes Good or Bad, its waiters wake, its pending queries complete.
// May be called at DISPATCH_LEVEL (from a completion routine).
void RxFinishSrvCallConstruction(SRV_CALL *srvCall, NTSTATUS status);
