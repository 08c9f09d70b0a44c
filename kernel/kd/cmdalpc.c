// !alpc, as WinDbg's for the ALPC of Windows Vista and later: a message
// block (/m), a port with its queues (/p), the connections of a connection
// port (/lpc), and the ports a process created and the ports it is
// connected to (/lpp). Everything is read with the fault-safe reader and
// checked before it is believed: a port must be an object of type
// "ALPC Port", a message an allocated pool block tagged AlMs (a message
// freed under the debugger is said to be so, never shown). Every walk is
// bounded. The debugger calls nothing of ALPC's (kernel/alpc/alpcp.h gives
// the layouts only): the system may be stopped half way through a send.

#include "kd/kd.h"
#include "alpc/alpcp.h"
#include "mm/mm.h"
#include "mm/pool.h"

#define KD_ALPC_MAX_ROWS     256    // messages listed per queue, connections per port
#define KD_ALPC_NAME_LENGTH  64
#define KD_ALPC_TYPE_MASK    0xff   // PORT_MESSAGE.u2.s2.Type without its flags

// ---- Reading ----------------------------------------------------------------------------

// Reads the port at `address` once it has shown it is one: an object whose
// type is the one \ObjectTypes names "ALPC Port". Unless `quiet`, one line
// says why not.
static BOOLEAN KdpReadAlpcPort(ULONG64 address, ALPC_PORT *port, BOOLEAN quiet)
{
    OBJECT_HEADER header;
    ULONG64 type;

    if (!KdpReadMemory(address - FIELD_OFFSET(OBJECT_HEADER, Body), &header,
                       FIELD_OFFSET(OBJECT_HEADER, Body))) {
        if (!quiet)
            KdpPrint("%016llx is not an ALPC port: its object header cannot be read\n",
                     (unsigned long long)address);
        return FALSE;
    }
    // Looked up by name: the debugger links to nothing of ALPC's.
    type = KdpFindObjectType("ALPC Port");
    if (!type || (ULONG64)header.Type != type) {
        if (!quiet)
            KdpPrint("%016llx is not an ALPC port: its object type is not ALPC Port\n",
                     (unsigned long long)address);
        return FALSE;
    }
    if (!KdpReadMemory(address, port, sizeof(*port))) {
        if (!quiet)
            KdpPrint("%016llx is not an ALPC port: its body cannot be read\n",
                     (unsigned long long)address);
        return FALSE;
    }
    return TRUE;
}

typedef struct _KD_ALPC_BLOCK_SEARCH {
    ULONG64 Target;
    BOOLEAN Found;
    POOL_BLOCK_INFO Block;
} KD_ALPC_BLOCK_SEARCH;

static void KdpFindAlpcBlock(void *context, const POOL_BLOCK_INFO *block)
{
    KD_ALPC_BLOCK_SEARCH *search = context;

    if (search->Target >= block->BlockAddress &&
        search->Target < block->BlockAddress + block->BlockSize) {
        search->Found = TRUE;
        search->Block = *block;
    }
}

// Reads the message block at `address`: it must be what ALPC allocates, a
// pool block tagged AlMs whose body starts there, and still allocated.
// Unless `quiet`, one line says why not.
static BOOLEAN KdpReadAlpcMessage(ULONG64 address, KALPC_MESSAGE *message, BOOLEAN quiet)
{
    KD_ALPC_BLOCK_SEARCH search = { address, FALSE, { 0 } };
    char tag[5];

    if (!ExpIsPoolAddress(address) ||
        !ExpWalkPoolPage(address, KdpReadMemory, KdpFindAlpcBlock, &search) || !search.Found) {
        if (!quiet)
            KdpPrint("%016llx is not an ALPC message: it is not in a pool block\n",
                     (unsigned long long)address);
        return FALSE;
    }
    if (!search.Block.Allocated) {
        if (!quiet)
            KdpPrint("%016llx is not an ALPC message: its pool block is free (the message "
                     "was freed)\n", (unsigned long long)address);
        return FALSE;
    }
    if (search.Block.Tag != ALPC_MESSAGE_TAG) {
        ExpFormatTag(search.Block.Tag, tag);
        if (!quiet)
            KdpPrint("%016llx is not an ALPC message: its pool block is tagged %s, not AlMs\n",
                     (unsigned long long)address, tag);
        return FALSE;
    }
    if (!search.Block.LargePage && address != search.Block.BlockAddress + sizeof(POOL_HEADER)) {
        if (!quiet)
            KdpPrint("%016llx is not an ALPC message: the AlMs block starts at %016llx\n",
                     (unsigned long long)address,
                     (unsigned long long)(search.Block.BlockAddress + sizeof(POOL_HEADER)));
        return FALSE;
    }
    if (!KdpReadMemory(address, message, sizeof(*message))) {
        if (!quiet)
            KdpPrint("%016llx is not an ALPC message: it cannot be read\n",
                     (unsigned long long)address);
        return FALSE;
    }
    return TRUE;
}

static const char *KdpAlpcPortTypeName(ULONG type)
{
    switch (type) {
    case ALPC_CONNECTION_PORT:
        return "ALPC_CONNECTION_PORT";
    case ALPC_SERVER_COMMUNICATION_PORT:
        return "ALPC_SERVER_COMMUNICATION_PORT";
    case ALPC_CLIENT_COMMUNICATION_PORT:
        return "ALPC_CLIENT_COMMUNICATION_PORT";
    default:
        return "ALPC_UNKNOWN_PORT_TYPE";
    }
}

static const char *KdpAlpcQueueTypeName(ULONG type)
{
    switch (type) {
    case ALPC_MSGQUEUE_NONE:
        return "ALPC_MSGQUEUE_NONE";
    case ALPC_MSGQUEUE_MAIN:
        return "ALPC_MSGQUEUE_MAIN";
    case ALPC_MSGQUEUE_LARGE_MESSAGE:
        return "ALPC_MSGQUEUE_LARGE_MESSAGE";
    case ALPC_MSGQUEUE_PENDING:
        return "ALPC_MSGQUEUE_PENDING";
    default:
        return "ALPC_MSGQUEUE_UNKNOWN";
    }
}

// LPC's message type names, which ALPC keeps ("LPC_REQUEST").
static void KdpFormatAlpcMessageType(USHORT type, char *text, size_t size)
{
    static const char *const names[] = {
        "UNUSED_MSG_TYPE", "LPC_REQUEST", "LPC_REPLY", "LPC_DATAGRAM", "LPC_LOST_REPLY",
        "LPC_PORT_CLOSED", "LPC_CLIENT_DIED", "LPC_EXCEPTION", "LPC_DEBUG_EVENT",
        "LPC_ERROR_EVENT", "LPC_CONNECTION_REQUEST",
    };
    ULONG kind = type & KD_ALPC_TYPE_MASK;

    if (kind < ARRAYSIZE(names))
        RtlStringPrintf(text, size, "%s", names[kind]);
    else
        RtlStringPrintf(text, size, "0x%02X", kind);
}

// "fffffa80...[ALPC_CONNECTION_PORT]" for a port pointer found in a
// structure: the port's type when it is one, "[?]" when it is not.
static void KdpPrintAlpcPortRef(const char *label, ULONG64 address)
{
    ALPC_PORT port;

    KdpPrint("  %-21s : %016llx", label, (unsigned long long)address);
    if (!address)
        KdpPrint("\n");
    else if (KdpReadAlpcPort(address, &port, TRUE))
        KdpPrint(" [%s]\n", KdpAlpcPortTypeName(port.u1.s1.Type));
    else
        KdpPrint(" [not an ALPC port]\n");
}

static const char *KdpYesNo(ULONG value)
{
    return value ? "Yes" : "No";
}

// The image of the process that owns a port; "" when it cannot be read.
static void KdpAlpcPortOwner(ULONG64 portAddress, ULONG64 *process, char *image, size_t size)
{
    ALPC_PORT port;

    *process = 0;
    image[0] = '\0';
    if (!portAddress || !KdpReadAlpcPort(portAddress, &port, TRUE))
        return;
    *process = (ULONG64)(ULONG_PTR)port.OwnerProcess;
    if (*process && !KdpReadImageName(*process, image, size))
        RtlStringPrintf(image, size, "?");
}

// ---- !alpc /m -------------------------------------------------------------------------

static void KdpAlpcShowMessage(ULONG64 address)
{
    KALPC_MESSAGE message;
    const PORT_MESSAGE *header = &message.PortMessage;
    const KALPC_MESSAGE_ATTRIBUTES *attributes = &message.MessageAttributes;
    char type[24], image[PROCESS_IMAGE_NAME_LENGTH + 1];
    ULONG64 owner;

    if (!KdpReadAlpcMessage(address, &message, FALSE))
        return;
    KdpFormatAlpcMessageType(header->u2.s2.Type, type, sizeof(type));
    KdpPrint("\nMessage @ %016llx\n", (unsigned long long)address);
    KdpPrint("  %-21s : 0x%04X (%u)\n", "MessageID", header->MessageId, header->MessageId);
    KdpPrint("  %-21s : 0x%X (%u)\n", "CallbackID", header->CallbackId, header->CallbackId);
    KdpPrint("  %-21s : 0x%08X (%u)\n", "SequenceNumber", (ULONG)message.SequenceNo,
             (ULONG)message.SequenceNo);
    KdpPrint("  %-21s : %s\n", "Type", type);
    KdpPrint("  %-21s : 0x%04X (%u)\n", "DataLength", (USHORT)header->u1.s1.DataLength,
             (USHORT)header->u1.s1.DataLength);
    KdpPrint("  %-21s : 0x%04X (%u)\n", "TotalLength", (USHORT)header->u1.s1.TotalLength,
             (USHORT)header->u1.s1.TotalLength);
    KdpPrint("  %-21s : %s\n", "Canceled", KdpYesNo(message.u1.s1.Canceled));
    KdpPrint("  %-21s : %s\n", "Release", KdpYesNo(message.u1.s1.ReleaseMessage));
    KdpPrint("  %-21s : %s\n", "ReplyWaitReply", KdpYesNo(message.u1.s1.ReplyWaitReply));
    KdpPrint("  %-21s : %s\n", "Continuation",
             KdpYesNo(header->u2.s2.Type & LPC_CONTINUATION_REQUIRED));
    KdpPrintAlpcPortRef("OwnerPort", (ULONG64)(ULONG_PTR)message.OwnerPort);
    KdpPrint("  %-21s : %016llx\n", "WaitingThread",
             (unsigned long long)(ULONG_PTR)message.WaitingThread);
    KdpPrint("  %-21s : %s\n", "QueueType", KdpAlpcQueueTypeName(message.u1.s1.QueueType));
    KdpPrintAlpcPortRef("QueuePort", (ULONG64)(ULONG_PTR)message.PortQueue);
    KdpAlpcPortOwner((ULONG64)(ULONG_PTR)message.PortQueue, &owner, image, sizeof(image));
    if (owner)
        KdpPrint("  %-21s : %016llx (%s)\n", "QueuePortOwnerProcess", (unsigned long long)owner,
                 image);
    else
        KdpPrint("  %-21s : %016llx\n", "QueuePortOwnerProcess", 0ULL);
    KdpPrint("  %-21s : %016llx\n", "ServerThread",
             (unsigned long long)(ULONG_PTR)message.ServerThread);
    KdpPrint("  %-21s : %s\n", "QuotaCharged", KdpYesNo(message.QuotaBlock != NULL));
    KdpPrint("  %-21s : %016llx\n", "CancelQueuePort",
             (unsigned long long)(ULONG_PTR)message.CancelQueuePort);
    KdpPrint("  %-21s : %016llx\n", "CancelSequencePort",
             (unsigned long long)(ULONG_PTR)message.CancelSequencePort);
    KdpPrint("  %-21s : 0x%08X (%d)\n", "CancelSequenceNumber", (ULONG)message.CancelSequenceNo,
             (int)message.CancelSequenceNo);
    KdpPrint("  %-21s : %016llx\n", "ClientContext",
             (unsigned long long)(ULONG_PTR)attributes->ClientContext);
    KdpPrint("  %-21s : %016llx\n", "ServerContext",
             (unsigned long long)(ULONG_PTR)attributes->ServerContext);
    KdpPrint("  %-21s : %016llx\n", "PortContext",
             (unsigned long long)(ULONG_PTR)attributes->PortContext);
    KdpPrint("  %-21s : %016llx\n", "CancelPortContext",
             (unsigned long long)(ULONG_PTR)attributes->CancelPortContext);
    KdpPrint("  %-21s : %016llx\n", "SecurityData",
             (unsigned long long)(ULONG_PTR)attributes->SecurityData);
    KdpPrint("  %-21s : %016llx\n", "View", (unsigned long long)(ULONG_PTR)attributes->View);
}

// ---- !alpc /p ---------------------------------------------------------------------------

typedef struct _KD_ALPC_QUEUE_WALK {
    ULONG Shown;
    ULONG Seen;
} KD_ALPC_QUEUE_WALK;

// One row per message on a queue: the block, its id, the sender's Cid,
// the thread waiting for its reply, the thread that received it, its type.
static BOOLEAN KdpPrintQueuedMessage(void *context, ULONG64 entry)
{
    KD_ALPC_QUEUE_WALK *walk = context;
    ULONG64 address = entry - FIELD_OFFSET(KALPC_MESSAGE, Entry);
    KALPC_MESSAGE message;
    char type[24];

    walk->Seen++;
    if (walk->Shown == KD_ALPC_MAX_ROWS)
        return TRUE;                    // counted, not shown
    walk->Shown++;
    if (!KdpReadAlpcMessage(address, &message, TRUE)) {
        KdpPrint("    %016llx (not an ALPC message: freed or overwritten)\n",
                 (unsigned long long)address);
        return TRUE;
    }
    KdpFormatAlpcMessageType(message.PortMessage.u2.s2.Type, type, sizeof(type));
    KdpPrint("    %016llx %08x %04llx:%04llx %016llx %016llx %s\n", (unsigned long long)address,
             message.PortMessage.MessageId,
             (unsigned long long)(ULONG_PTR)message.PortMessage.ClientId.UniqueProcess,
             (unsigned long long)(ULONG_PTR)message.PortMessage.ClientId.UniqueThread,
             (unsigned long long)(ULONG_PTR)message.WaitingThread,
             (unsigned long long)(ULONG_PTR)message.ServerThread, type);
    return TRUE;
}

static void KdpPrintAlpcQueue(ULONG64 portAddress, size_t headOffset, ULONG length,
                              const char *name)
{
    ULONG64 head = portAddress + headOffset;
    LIST_ENTRY list;
    KD_ALPC_QUEUE_WALK walk = { 0, 0 };

    KdpPrint("\n");
    if (!KdpReadMemory(head, &list, sizeof(list))) {
        KdpPrint("  %s queue cannot be read\n", name);
        return;
    }
    if ((ULONG64)(ULONG_PTR)list.Flink == head) {
        KdpPrint("  %s queue is empty.\n", name);
        return;
    }
    KdpPrint("  %s queue has %u message%s\n", name, length, length == 1 ? "" : "s");
    KdpWalkList(head, name, KdpPrintQueuedMessage, &walk);
    if (walk.Seen > walk.Shown)
        KdpPrint("    ... %u more not shown\n", walk.Seen - walk.Shown);
    if (walk.Seen != length)
        KdpPrint("  (the queue holds %u, its length says %u: being changed, or corrupt)\n",
                 walk.Seen, length);
}

static void KdpPrintCommunicationPort(const char *label, ULONG64 address)
{
    char name[KD_ALPC_NAME_LENGTH];

    KdpPrint("    %-23s : %016llx", label, (unsigned long long)address);
    if (address && KdpReadObjectName(address, name, sizeof(name)) && name[0])
        KdpPrint(" (%s)", name);
    KdpPrint("\n");
}

static void KdpAlpcShowPort(ULONG64 address)
{
    ALPC_PORT port;
    ALPC_COMMUNICATION_INFO info;
    ULONG64 infoAddress;
    char image[PROCESS_IMAGE_NAME_LENGTH + 1];

    if (!KdpReadAlpcPort(address, &port, FALSE))
        return;
    infoAddress = (ULONG64)(ULONG_PTR)port.CommunicationInfo;
    KdpPrint("\nPort @ %016llx\n", (unsigned long long)address);
    KdpPrint("  %-25s : %s\n", "Type", KdpAlpcPortTypeName(port.u1.s1.Type));
    KdpPrint("  %-25s : %016llx\n", "CommunicationInfo", (unsigned long long)infoAddress);
    if (infoAddress && KdpReadMemory(infoAddress, &info, sizeof(info))) {
        KdpPrintCommunicationPort("ConnectionPort", (ULONG64)(ULONG_PTR)info.ConnectionPort);
        KdpPrintCommunicationPort("ClientCommunicationPort",
                                  (ULONG64)(ULONG_PTR)info.ClientCommunicationPort);
        KdpPrintCommunicationPort("ServerCommunicationPort",
                                  (ULONG64)(ULONG_PTR)info.ServerCommunicationPort);
    } else if (infoAddress) {
        KdpPrint("    (the communication info cannot be read)\n");
    }
    if (!port.OwnerProcess || !KdpReadImageName((ULONG64)(ULONG_PTR)port.OwnerProcess, image,
                                                sizeof(image)))
        RtlStringPrintf(image, sizeof(image), "?");
    KdpPrint("  %-25s : %016llx (%s)\n", "OwnerProcess",
             (unsigned long long)(ULONG_PTR)port.OwnerProcess, image);
    KdpPrint("  %-25s : 0x%08X (%u)\n", "SequenceNo", port.SequenceNo, port.SequenceNo);
    KdpPrint("  %-25s : %016llx\n", "PortContext",
             (unsigned long long)(ULONG_PTR)port.PortContext);
    KdpPrint("  %-25s : %016llx\n", "TargetQueuePort",
             (unsigned long long)(ULONG_PTR)port.TargetQueuePort);
    KdpPrint("  %-25s : %s\n", "ConnectionPending", KdpYesNo(port.u1.s1.ConnectionPending));
    KdpPrint("  %-25s : %s\n", "ConnectionRefused", KdpYesNo(port.u1.s1.ConnectionRefused));
    KdpPrint("  %-25s : %s\n", "Disconnected", KdpYesNo(port.u1.s1.Disconnected));
    KdpPrint("  %-25s : %s\n", "Closed", KdpYesNo(port.u1.s1.Closed));
    KdpPrint("  %-25s : %s\n", "FlushOnClose", KdpYesNo(!port.u1.s1.NoFlushOnClose));
    KdpPrint("  %-25s : %s\n", "ReturnExtendedInfo", KdpYesNo(port.u1.s1.ReturnExtendedInfo));
    KdpPrint("  %-25s : %s\n", "Waitable", KdpYesNo(port.u1.s1.Waitable));
    KdpPrint("  %-25s : %s\n", "Security", port.u1.s1.DynamicSecurity ? "Dynamic" : "Static");
    KdpPrint("  %-25s : %s\n", "Wow64CompletionList", KdpYesNo(port.u1.s1.Wow64CompletionList));
    KdpPrintAlpcQueue(address, FIELD_OFFSET(ALPC_PORT, MainQueue), port.MainQueueLength, "Main");
    KdpPrintAlpcQueue(address, FIELD_OFFSET(ALPC_PORT, LargeMessageQueue),
                      port.LargeMessageQueueLength, "Large message");
    KdpPrintAlpcQueue(address, FIELD_OFFSET(ALPC_PORT, PendingQueue), port.PendingQueueLength,
                      "Pending");
    KdpPrintAlpcQueue(address, FIELD_OFFSET(ALPC_PORT, CanceledQueue), port.CanceledQueueLength,
                      "Canceled");
}

// ---- !alpc /lpc and /lpp ----------------------------------------------------------------

// The messages waiting at a port: on its main, large message and pending
// queues (the number /lpc and /lpp print after each port).
static ULONG KdpAlpcQueuedCount(const ALPC_PORT *port)
{
    return port->MainQueueLength + port->LargeMessageQueueLength + port->PendingQueueLength;
}

// "fffffa80...('Name')" or the bare address for an unnamed port.
static void KdpPrintAlpcPortName(ULONG64 address)
{
    char name[KD_ALPC_NAME_LENGTH];

    KdpPrint("%016llx", (unsigned long long)address);
    if (KdpReadObjectName(address, name, sizeof(name)) && name[0])
        KdpPrint("('%s')", name);
}

static void KdpPrintAlpcProcessName(ULONG64 process)
{
    char image[PROCESS_IMAGE_NAME_LENGTH + 1];

    if (!process || !KdpReadImageName(process, image, sizeof(image)))
        RtlStringPrintf(image, sizeof(image), "?");
    KdpPrint("%016llx('%s')", (unsigned long long)process, image);
}

typedef struct _KD_ALPC_CONNECTION_WALK {
    const char *Indent;             // the connection port's line's; rows go a tab further
    ULONG Shown;
    ULONG Seen;
    BOOLEAN Print;
} KD_ALPC_CONNECTION_WALK;

// One connection of a connection port: the server communication port and
// the messages queued at it, "<-", the client's port and its messages,
// and the client's process.
static BOOLEAN KdpPrintConnection(void *context, ULONG64 entry)
{
    KD_ALPC_CONNECTION_WALK *walk = context;
    ULONG64 infoAddress = entry - FIELD_OFFSET(ALPC_COMMUNICATION_INFO, CommunicationList);
    ALPC_COMMUNICATION_INFO info;
    ALPC_PORT server, client;
    ULONG64 serverAddress, clientAddress;
    BOOLEAN haveServer, haveClient;

    walk->Seen++;
    if (!walk->Print || walk->Shown == KD_ALPC_MAX_ROWS)
        return TRUE;
    walk->Shown++;
    if (!KdpReadMemory(infoAddress, &info, sizeof(info))) {
        KdpPrint("%s\t%016llx (a connection's communication info cannot be read)\n",
                 walk->Indent, (unsigned long long)infoAddress);
        return TRUE;
    }
    serverAddress = (ULONG64)(ULONG_PTR)info.ServerCommunicationPort;
    clientAddress = (ULONG64)(ULONG_PTR)info.ClientCommunicationPort;
    haveServer = serverAddress && KdpReadAlpcPort(serverAddress, &server, TRUE);
    haveClient = clientAddress && KdpReadAlpcPort(clientAddress, &client, TRUE);
    KdpPrint("%s\t%016llx %u <- %016llx %u ", walk->Indent, (unsigned long long)serverAddress,
             haveServer ? KdpAlpcQueuedCount(&server) : 0, (unsigned long long)clientAddress,
             haveClient ? KdpAlpcQueuedCount(&client) : 0);
    KdpPrintAlpcProcessName(haveClient ? (ULONG64)(ULONG_PTR)client.OwnerProcess : 0);
    KdpPrint("\n");
    return TRUE;
}

// A connection port's line, "fffffa80...('Name') N, M connections", then a
// line per connection (up to KD_ALPC_MAX_ROWS).
static void KdpPrintConnectionPort(ULONG64 address, const ALPC_PORT *port, const char *indent)
{
    KD_ALPC_CONNECTION_WALK walk = { indent, 0, 0, FALSE };
    ULONG64 info = (ULONG64)(ULONG_PTR)port->CommunicationInfo;
    ULONG64 head = info + FIELD_OFFSET(ALPC_COMMUNICATION_INFO, CommunicationList);

    // Counted first: the line before the rows says how many there are.
    if (info)
        KdpWalkList(head, "the connection port's CommunicationList", KdpPrintConnection,
                    &walk);
    KdpPrint("%s", indent);
    KdpPrintAlpcPortName(address);
    KdpPrint(" %u, %u connection%s\n", KdpAlpcQueuedCount(port), walk.Seen,
             walk.Seen == 1 ? "" : "s");
    if (!info || !walk.Seen)
        return;
    walk.Print = TRUE;
    walk.Seen = 0;
    KdpWalkList(head, "the connection port's CommunicationList", KdpPrintConnection, &walk);
    if (walk.Seen > walk.Shown)
        KdpPrint("%s\t... %u more not shown\n", indent, walk.Seen - walk.Shown);
}

static void KdpAlpcShowPortConnections(ULONG64 address)
{
    ALPC_PORT port;

    if (!KdpReadAlpcPort(address, &port, FALSE))
        return;
    if (port.u1.s1.Type != ALPC_CONNECTION_PORT) {
        KdpPrint("%016llx is an %s: /lpc takes a connection port (see its "
                 "CommunicationInfo with !alpc /p)\n", (unsigned long long)address,
                 KdpAlpcPortTypeName(port.u1.s1.Type));
        return;
    }
    KdpPrint("\n");
    KdpPrintConnectionPort(address, &port, "");
}

typedef struct _KD_ALPC_PROCESS_WALK {
    ULONG Type;                     // the kind of port this pass lists
    ULONG Shown;
    ULONG Seen;
} KD_ALPC_PROCESS_WALK;

// A port the process owns: in the first pass its connection ports with
// their connections, in the second its client communication ports, each
// "port N -> connection port('Name') N server process('image')".
static BOOLEAN KdpPrintProcessPort(void *context, ULONG64 entry)
{
    KD_ALPC_PROCESS_WALK *walk = context;
    ULONG64 address = entry - FIELD_OFFSET(ALPC_PORT, PortListEntry);
    ULONG64 connectionAddress = 0;
    ALPC_PORT port, connection;
    ALPC_COMMUNICATION_INFO info;
    BOOLEAN haveConnection = FALSE;

    if (!KdpReadAlpcPort(address, &port, TRUE) || port.u1.s1.Type != walk->Type)
        return TRUE;
    walk->Seen++;
    if (walk->Shown == KD_ALPC_MAX_ROWS)
        return TRUE;
    walk->Shown++;
    if (walk->Type == ALPC_CONNECTION_PORT) {
        KdpPrintConnectionPort(address, &port, "\t");
        return TRUE;
    }
    if (port.CommunicationInfo &&
        KdpReadMemory((ULONG64)(ULONG_PTR)port.CommunicationInfo, &info, sizeof(info))) {
        connectionAddress = (ULONG64)(ULONG_PTR)info.ConnectionPort;
        haveConnection = connectionAddress &&
                         KdpReadAlpcPort(connectionAddress, &connection, TRUE);
    }
    KdpPrint("\t%016llx %u -> ", (unsigned long long)address, KdpAlpcQueuedCount(&port));
    KdpPrintAlpcPortName(connectionAddress);
    KdpPrint(" %u ", haveConnection ? KdpAlpcQueuedCount(&connection) : 0);
    KdpPrintAlpcProcessName(haveConnection ? (ULONG64)(ULONG_PTR)connection.OwnerProcess : 0);
    KdpPrint("\n");
    return TRUE;
}

static void KdpAlpcShowProcessPorts(ULONG64 which)
{
    KD_ALPC_PROCESS_WALK walk = { ALPC_CONNECTION_PORT, 0, 0 };
    ULONG64 process, head;

    if (!KdpResolveProcess(which, &process))
        return;
    head = process + FIELD_OFFSET(EPROCESS, AlpcContext) +
           FIELD_OFFSET(ALPC_PROCESS_CONTEXT, PortListHead);
    KdpPrint("\nPorts created by the process %016llx:\n\n", (unsigned long long)process);
    KdpWalkList(head, "the process's ALPC port list", KdpPrintProcessPort, &walk);
    if (walk.Seen > walk.Shown)
        KdpPrint("\t... %u more not shown\n", walk.Seen - walk.Shown);
    KdpPrint("\nPorts the process %016llx is connected to:\n\n", (unsigned long long)process);
    walk.Type = ALPC_CLIENT_COMMUNICATION_PORT;
    walk.Seen = walk.Shown = 0;
    KdpWalkList(head, "the process's ALPC port list", KdpPrintProcessPort, &walk);
    if (walk.Seen > walk.Shown)
        KdpPrint("\t... %u more not shown\n", walk.Seen - walk.Shown);
}

// ---- !thread's ALPC line --------------------------------------------------------------

void KdpPrintThreadAlpc(const ETHREAD *thread, ULONG indent)
{
    ULONG64 address = (ULONG64)(ULONG_PTR)thread->AlpcMessage;
    ULONG64 queue, owner;
    KALPC_MESSAGE message;
    char image[PROCESS_IMAGE_NAME_LENGTH + 1];

    // Only a sender waiting for its reply: AlpcMessage names the request.
    if (thread->Tcb.State != Waiting || thread->Tcb.WaitReason != WrLpcReply || !address)
        return;
    if (!KdpReadAlpcMessage(address, &message, TRUE)) {
        KdpPrint("%*sWaiting for reply to ALPC Message %016llx : the message cannot be read "
                 "(freed?)\n", (int)indent, "", (unsigned long long)address);
        return;
    }
    queue = (ULONG64)(ULONG_PTR)message.PortQueue;
    KdpAlpcPortOwner(queue, &owner, image, sizeof(image));
    KdpPrint("%*sWaiting for reply to ALPC Message %016llx : queued at port %016llx : owned by "
             "process %016llx\n", (int)indent, "", (unsigned long long)address,
             (unsigned long long)queue, (unsigned long long)owner);
}

// ---- The command ------------------------------------------------------------------------

static void KdpAlpcUsage(void)
{
    KdpPrint("Usage:\n");
    KdpPrint("    !alpc /m MessageAddress     Dumps the message at the specified address.\n");
    KdpPrint("    !alpc /p PortAddress        Dumps the port at the specified address.\n");
    KdpPrint("    !alpc /lpc PortAddress      Dumps all connections for the specified port.\n");
    KdpPrint("    !alpc /lpp ProcessAddress   Dumps all connections for the specified "
             "process.\n");
}

static KD_COMMAND_RESULT KdpAlpc(int argc, char **argv)
{
    ULONG64 value;
    const char *option = argc >= 2 ? argv[1] : "";

    if (argc != 3 || (option[0] != '/' && option[0] != '-')) {
        if (argc == 2 && strcmp(option + 1, "?") != 0)
            KdpPrint("!alpc %s: an option and an address are needed\n", option);
        KdpAlpcUsage();
        return KdCommandContinue;
    }
    option++;
    if (RtlCompareStringInsensitive(option, "m") && RtlCompareStringInsensitive(option, "p") &&
        RtlCompareStringInsensitive(option, "lpc") && RtlCompareStringInsensitive(option, "lpp")) {
        KdpPrint("!alpc: unknown option /%s\n", option);
        KdpAlpcUsage();
        return KdCommandContinue;
    }
    if (!KdpGetValue(argv[2], &value))
        return KdCommandContinue;
    if (!RtlCompareStringInsensitive(option, "m"))
        KdpAlpcShowMessage(value);
    else if (!RtlCompareStringInsensitive(option, "p"))
        KdpAlpcShowPort(value);
    else if (!RtlCompareStringInsensitive(option, "lpc"))
        KdpAlpcShowPortConnections(value);
    else
        KdpAlpcShowProcessPorts(value);
    return KdCommandContinue;
}

const KD_COMMAND KdpAlpcCommands[] = {
    { "!alpc", KdpAlpc, "!alpc /m MessageAddress | /p PortAddress | /lpc PortAddress | "
      "/lpp Process",
      "ALPC: a message (who waits, where it is queued), a port and its queues, a "
      "connection port's connections, a process's ports" },
    { NULL, NULL, NULL, NULL },
};
