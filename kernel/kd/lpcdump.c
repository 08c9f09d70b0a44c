// Reading LPC's structures for !lpc: ports (found through the object type
// lists of "Port" and "WaitablePort"), their queues and reply chains, the
// threads' LPC fields, and message blocks (found in the pool by their tag,
// LpcM). Nothing here calls LPC: the debugger must work on a system whose
// LPC is stopped half way through an operation, and before LPC exists.

#include "kd/kdlpc.h"
#include "mm/mm.h"
#include "mm/pool.h"

#define KD_LPC_PORT_TYPES 3             // Port, WaitablePort, and the tests' stand-in
#define KD_LPC_DATA_WORDS 6             // data words shown per message, as WinDbg
#define KD_LPC_TYPE_FLAGS (LPC_KERNELMODE_MESSAGE | LPC_NO_IMPERSONATE)

static const char *KdpExtraPortType;

void KdpLpcSetExtraPortType(const char *typeName)
{
    KdpExtraPortType = typeName;
}

// The port types, looked up by name each time: LPC may not have made them
// yet, and the debugger links to nothing of LPC's. Missing ones are 0.
static void KdpGetPortTypes(ULONG64 types[KD_LPC_PORT_TYPES])
{
    types[0] = KdpFindObjectType("Port");
    types[1] = KdpFindObjectType("WaitablePort");
    types[2] = KdpExtraPortType ? KdpFindObjectType(KdpExtraPortType) : 0;
}

BOOLEAN KdpReadPort(ULONG64 address, KD_PORT *port, BOOLEAN quiet)
{
    ULONG64 types[KD_LPC_PORT_TYPES];
    OBJECT_HEADER header;
    BOOLEAN isPort = FALSE;

    memset(port, 0, sizeof(*port));
    port->Address = address;
    if (!KdpReadMemory(address - FIELD_OFFSET(OBJECT_HEADER, Body), &header,
                       FIELD_OFFSET(OBJECT_HEADER, Body)) ||
        !KdpReadObjectName(address, port->Name, sizeof(port->Name))) {
        if (!quiet)
            KdpPrint("%016llx is not a port: it is not an object\n", (unsigned long long)address);
        return FALSE;
    }
    KdpGetPortTypes(types);
    for (ULONG i = 0; i < KD_LPC_PORT_TYPES; i++)
        isPort |= types[i] && (ULONG64)header.Type == types[i];
    if (!isPort) {
        if (!quiet)
            KdpPrint("%016llx is not a port: its object type is not Port or WaitablePort\n",
                     (unsigned long long)address);
        return FALSE;
    }
    if (!KdpReadMemory(address, &port->Port, sizeof(port->Port))) {
        if (!quiet)
            KdpPrint("%016llx is not a port: its body cannot be read\n",
                     (unsigned long long)address);
        return FALSE;
    }
    port->HandleCount = header.HandleCount;
    port->PointerCount = header.PointerCount;
    return TRUE;
}

typedef struct _KD_PORT_WALK {
    KD_PORT_CALLBACK Callback;
    void *Context;
    ULONG Count;
    BOOLEAN Stopped;
} KD_PORT_WALK;

static BOOLEAN KdpVisitTypeListEntry(void *context, ULONG64 entry)
{
    KD_PORT_WALK *walk = context;
    ULONG64 object = entry - FIELD_OFFSET(OBJECT_HEADER, TypeListEntry) +
                     FIELD_OFFSET(OBJECT_HEADER, Body);
    KD_PORT port;

    if (!KdpReadPort(object, &port, FALSE))
        return TRUE;            // said why; the next one may be fine
    walk->Count++;
    if (!walk->Callback(walk->Context, &port)) {
        walk->Stopped = TRUE;
        return FALSE;
    }
    return TRUE;
}

ULONG KdpForEachPort(KD_PORT_CALLBACK callback, void *context)
{
    ULONG64 types[KD_LPC_PORT_TYPES];
    KD_PORT_WALK walk = { callback, context, 0, FALSE };

    KdpGetPortTypes(types);
    for (ULONG i = 0; i < KD_LPC_PORT_TYPES && !walk.Stopped; i++) {
        if (types[i])
            KdpWalkList(types[i] + FIELD_OFFSET(OBJECT_TYPE, TypeList), "a port type's TypeList",
                        KdpVisitTypeListEntry, &walk);
    }
    return walk.Count;
}

// ---- Threads ------------------------------------------------------------------------

BOOLEAN KdpReadLpcThread(ULONG64 address, KD_LPC_THREAD *thread)
{
    memset(thread, 0, sizeof(*thread));
    thread->Address = address;
    if (!KdpReadMemory(address + FIELD_OFFSET(ETHREAD, LpcReplyMessageId),
                       &thread->ReplyMessageId, sizeof(thread->ReplyMessageId)) ||
        !KdpReadMemory(address + FIELD_OFFSET(ETHREAD, LpcReceivedMessageId),
                       &thread->ReceivedMessageId, sizeof(thread->ReceivedMessageId)) ||
        !KdpReadMemory(address + FIELD_OFFSET(ETHREAD, LpcReceivedMsgIdValid),
                       &thread->ReceivedValid, sizeof(thread->ReceivedValid)) ||
        !KdpReadMemory(address + FIELD_OFFSET(ETHREAD, LpcReplyMessage),
                       &thread->ReplyMessage, sizeof(thread->ReplyMessage)))
        return FALSE;
    // A handed message (send.c's direct handoff) is the receiver's until it
    // runs; its plain wait's block (WaitBlock[0], left as it was by the
    // unwait) still names the queue's semaphore.
    if (!KdpReadMemory(address + FIELD_OFFSET(ETHREAD, LpcHandoffMessage),
                       &thread->HandoffMessage, sizeof(thread->HandoffMessage)) ||
        !thread->HandoffMessage ||
        !KdpReadMemory(address + FIELD_OFFSET(ETHREAD, Tcb.WaitBlock[0].Object),
                       &thread->HandoffSemaphore, sizeof(thread->HandoffSemaphore)))
        thread->HandoffMessage = thread->HandoffSemaphore = 0;
    return TRUE;
}

typedef struct _KD_THREAD_WALK {
    KD_LPC_THREAD_CALLBACK Callback;
    void *Context;
    BOOLEAN Stopped;
} KD_THREAD_WALK;

static BOOLEAN KdpVisitThread(void *context, ULONG64 entry)
{
    KD_THREAD_WALK *walk = context;
    KD_LPC_THREAD thread;

    if (!KdpReadLpcThread(entry - FIELD_OFFSET(ETHREAD, ThreadListEntry), &thread))
        return TRUE;
    if (!walk->Callback(walk->Context, &thread)) {
        walk->Stopped = TRUE;
        return FALSE;
    }
    return TRUE;
}

static BOOLEAN KdpVisitProcessThreads(void *context, ULONG64 entry)
{
    KD_THREAD_WALK *walk = context;

    KdpWalkList(entry - FIELD_OFFSET(EPROCESS, ActiveProcessLinks) +
                    FIELD_OFFSET(EPROCESS, ThreadListHead),
                "ThreadListHead", KdpVisitThread, walk);
    return !walk->Stopped;
}

void KdpForEachLpcThread(KD_LPC_THREAD_CALLBACK callback, void *context)
{
    KD_THREAD_WALK walk = { callback, context, FALSE };

    KdpWalkList((ULONG64)&PsActiveProcessHead, "PsActiveProcessHead", KdpVisitProcessThreads,
                &walk);
}

// ---- Printing ports ------------------------------------------------------------------

typedef struct _KD_ENTRY_SEARCH {
    ULONG64 Target;
    BOOLEAN Found;
} KD_ENTRY_SEARCH;

static BOOLEAN KdpMatchEntry(void *context, ULONG64 entry)
{
    KD_ENTRY_SEARCH *search = context;

    if (entry == search->Target) {
        search->Found = TRUE;
        return FALSE;
    }
    return TRUE;
}

// Is `entry` on the list whose head lies `headOffset` into the port?
static BOOLEAN KdpPortListHas(const KD_PORT *port, size_t headOffset, ULONG64 entry)
{
    KD_ENTRY_SEARCH search = { entry, FALSE };

    KdpWalkList(port->Address + headOffset, "a port's list", KdpMatchEntry, &search);
    return search.Found;
}

BOOLEAN KdpPortHasRundownThread(const KD_PORT *port, ULONG64 thread)
{
    return KdpPortListHas(port, FIELD_OFFSET(LPCP_PORT_OBJECT, LpcReplyChainHead),
                          thread + FIELD_OFFSET(ETHREAD, LpcReplyChain));
}

static const char *KdpMessageTypeName(USHORT type)
{
    static const char *const names[] = {
        "LPC_NEW_MESSAGE", "LPC_REQUEST", "LPC_REPLY", "LPC_DATAGRAM", "LPC_LOST_REPLY",
        "LPC_PORT_CLOSED", "LPC_CLIENT_DIED", "LPC_EXCEPTION", "LPC_DEBUG_EVENT",
        "LPC_ERROR_EVENT", "LPC_CONNECTION_REQUEST", "LPC_CONNECTION_REFUSED",
    };
    USHORT kind = type & ~KD_LPC_TYPE_FLAGS;

    _Static_assert(ARRAYSIZE(names) == LPC_MAXIMUM, "a name per LPC_TYPE");
    return kind < ARRAYSIZE(names) ? names[kind] : "unknown type";
}

void KdpPrintMessage(ULONG64 message, ULONG indent, ULONG index)
{
    LPCP_MESSAGE block;
    const PORT_MESSAGE *request = &block.Request;
    ULONG words[KD_LPC_DATA_WORDS];
    ULONG count;
    int in = (int)indent;

    if (!KdpReadMemory(message, &block, sizeof(block))) {
        KdpPrint("%*s%04x %016llx - cannot be read\n", in, "", index,
                 (unsigned long long)message);
        return;
    }
    KdpPrint("%*s%04x %016llx - Busy  Id=%08x  From: %04llx.%04llx  Context=%016llx  "
             "[%016llx . %016llx]\n", in, "", index, (unsigned long long)message,
             request->MessageId, (unsigned long long)(ULONG_PTR)request->ClientId.UniqueProcess,
             (unsigned long long)(ULONG_PTR)request->ClientId.UniqueThread,
             (unsigned long long)(ULONG_PTR)block.PortContext,
             (unsigned long long)(ULONG_PTR)block.Entry.Flink,
             (unsigned long long)(ULONG_PTR)block.Entry.Blink);
    KdpPrint("%*s           Length=%08x  Type=%08x (%s)\n", in, "", request->u1.Length,
             request->u2.ZeroInit, KdpMessageTypeName((USHORT)request->u2.s2.Type));
    count = (USHORT)request->u1.s1.DataLength / sizeof(ULONG);
    if (count > KD_LPC_DATA_WORDS)
        count = KD_LPC_DATA_WORDS;
    if (!count)
        return;
    if (!KdpReadMemory(message + sizeof(LPCP_MESSAGE), words, count * sizeof(ULONG))) {
        KdpPrint("%*s           Data: (cannot be read)\n", in, "");
        return;
    }
    KdpPrint("%*s           Data:", in, "");
    for (ULONG i = 0; i < count; i++)
        KdpPrint(" %08x", words[i]);
    KdpPrint("\n");
}

typedef struct _KD_MESSAGE_LISTING {
    ULONG Count;
} KD_MESSAGE_LISTING;

static BOOLEAN KdpListMessage(void *context, ULONG64 entry)
{
    KD_MESSAGE_LISTING *listing = context;

    // Entry is the first field: the list entry is the message block.
    KdpPrintMessage(entry, 8, listing->Count++);
    return TRUE;
}

static BOOLEAN KdpIsListEmpty(ULONG64 head)
{
    ULONG64 flink;

    return KdpReadMemory(head, &flink, sizeof(flink)) && flink == head;
}

// The messages handed to receivers of one queue that have not run yet
// (send.c's direct handoff): NT would have queued them, and an
// investigation looks for them in the queue.
typedef struct _KD_HANDED_MESSAGES {
    ULONG64 Semaphore;
    KD_MESSAGE_CALLBACK Callback;
    void *Context;
    ULONG Count;
} KD_HANDED_MESSAGES;

static BOOLEAN KdpVisitHandedMessage(void *context, const KD_LPC_THREAD *thread)
{
    KD_HANDED_MESSAGES *handed = context;

    if (!thread->HandoffMessage || thread->HandoffSemaphore != handed->Semaphore)
        return TRUE;
    handed->Count++;
    return !handed->Callback || handed->Callback(handed->Context, thread->HandoffMessage);
}

static ULONG KdpForEachHandedMessage(const KD_PORT *port, KD_MESSAGE_CALLBACK callback,
                                     void *context)
{
    KD_HANDED_MESSAGES handed = { (ULONG64)(ULONG_PTR)port->Port.MsgQueue.Semaphore, callback,
                                  context, 0 };

    if (handed.Semaphore)
        KdpForEachLpcThread(KdpVisitHandedMessage, &handed);
    return handed.Count;
}

// A message list as WinDbg shows it: empty, or every message and a count.
// The message queue's are those handed to a receiver not yet running, then
// the queued ones.
static void KdpPrintMessageList(const KD_PORT *port, size_t headOffset, BOOLEAN receiveQueue)
{
    ULONG64 head = port->Address + headOffset;
    KD_MESSAGE_LISTING listing = { 0 };
    ULONG handed = receiveQueue ? KdpForEachHandedMessage(port, NULL, NULL) : 0;

    if (!handed && KdpIsListEmpty(head)) {
        KdpPrint("    The %s queue is empty\n", receiveQueue ? "message" : "LpcDataInfoChainHead");
        return;
    }
    KdpPrint("        Messages in %s:\n", receiveQueue ? "queue" : "LpcDataInfoChainHead");
    if (handed)
        KdpForEachHandedMessage(port, KdpListMessage, &listing);
    KdpWalkList(head, receiveQueue ? "MsgQueue.ReceiveHead" : "LpcDataInfoChainHead",
                KdpListMessage, &listing);
    KdpPrint("    The %s queue contains %u messages\n",
             receiveQueue ? "message" : "LpcDataInfoChainHead", listing.Count);
}

static BOOLEAN KdpListRundownThread(void *context, ULONG64 entry)
{
    KdpPrint(" 0x%016llx", (unsigned long long)(entry - FIELD_OFFSET(ETHREAD, LpcReplyChain)));
    return TRUE;
}

static void KdpPrintRundown(const KD_PORT *port)
{
    ULONG64 head = port->Address + FIELD_OFFSET(LPCP_PORT_OBJECT, LpcReplyChainHead);

    if (KdpIsListEmpty(head))
        return;
    KdpPrint("    Threads in RunDown queue :");
    KdpWalkList(head, "LpcReplyChainHead", KdpListRundownThread, NULL);
    KdpPrint("\n");
}

static void KdpPrintConnectionPort(const KD_PORT *port)
{
    const LPCP_PORT_OBJECT *object = &port->Port;
    ULONG64 semaphore = (ULONG64)(ULONG_PTR)object->MsgQueue.Semaphore;
    char image[PROCESS_IMAGE_NAME_LENGTH + 1];
    LONG state;

    KdpPrint("Server connection port %016llx Name: %s\n", (unsigned long long)port->Address,
             port->Name);
    KdpPrint("    Handles: %lld References: %lld\n", (long long)port->HandleCount,
             (long long)port->PointerCount);
    if (!KdpReadImageName((ULONG64)(ULONG_PTR)object->ServerProcess, image, sizeof(image)))
        RtlStringPrintf(image, sizeof(image), "?");
    KdpPrint("    Server process : %016llx (%s)\n",
             (unsigned long long)(ULONG_PTR)object->ServerProcess, image);
    KdpPrint("    Queue semaphore : %016llx\n", (unsigned long long)semaphore);
    if (KdpReadMemory(semaphore + FIELD_OFFSET(KSEMAPHORE, Header.SignalState), &state,
                      sizeof(state)))
        KdpPrint("    Semaphore state %d (0x%x)\n", state, (ULONG)state);
    else
        KdpPrint("    Semaphore state ? (the semaphore cannot be read)\n");
    KdpPrintMessageList(port, FIELD_OFFSET(LPCP_PORT_OBJECT, MsgQueue.ReceiveHead), TRUE);
    KdpPrintMessageList(port, FIELD_OFFSET(LPCP_PORT_OBJECT, LpcDataInfoChainHead), FALSE);
}

// A communication port: the counts and data-info chain; the server's also
// names its peers. A client port receives (datagrams, callbacks) on its own
// queue, shown when it holds anything.
static void KdpPrintCommunicationPort(const KD_PORT *port)
{
    const LPCP_PORT_OBJECT *object = &port->Port;
    BOOLEAN client = (object->Flags & LPCP_PORT_TYPE_MASK) == LPCP_CLIENT_PORT;

    KdpPrint("%s communication port 0x%016llx\n", client ? "Client" : "Server",
             (unsigned long long)port->Address);
    KdpPrint("    Handles: %lld References: %lld\n", (long long)port->HandleCount,
             (long long)port->PointerCount);
    if (client && object->MsgQueue.NonPagedPortQueue &&
        (!KdpIsListEmpty(port->Address + FIELD_OFFSET(LPCP_PORT_OBJECT, MsgQueue.ReceiveHead)) ||
         KdpForEachHandedMessage(port, NULL, NULL)))
        KdpPrintMessageList(port, FIELD_OFFSET(LPCP_PORT_OBJECT, MsgQueue.ReceiveHead), TRUE);
    KdpPrintMessageList(port, FIELD_OFFSET(LPCP_PORT_OBJECT, LpcDataInfoChainHead), FALSE);
    if (!client)
        KdpPrint("        Connected port: 0x%016llx Server connection port: 0x%016llx\n",
                 (unsigned long long)(ULONG_PTR)object->ConnectedPort,
                 (unsigned long long)(ULONG_PTR)object->ConnectionPort);
}

static void KdpPrintOnePort(const KD_PORT *port, ULONG flags)
{
    ULONG kind = port->Port.Flags & LPCP_PORT_TYPE_MASK;

    KdpPrint("\n");
    if (kind == LPCP_CONNECTION_PORT || kind == LPCP_UNCONNECTED_PORT)
        KdpPrintConnectionPort(port);
    else if (kind == LPCP_COMMUNICATION_PORT || kind == LPCP_CLIENT_PORT)
        KdpPrintCommunicationPort(port);
    else
        KdpPrint("Port %016llx has an unknown type: Flags %08x\n",
                 (unsigned long long)port->Address, port->Port.Flags);
    if (flags & KD_LPC_RUNDOWN)
        KdpPrintRundown(port);
}

static void KdpPrintLinkedPort(ULONG64 address, ULONG flags)
{
    KD_PORT peer;

    if (!address)
        return;
    if (KdpReadPort(address, &peer, TRUE))
        KdpPrintOnePort(&peer, flags);
    else
        KdpPrint("\nPort %016llx cannot be read (gone?)\n", (unsigned long long)address);
}

void KdpPrintPort(const KD_PORT *port, ULONG flags)
{
    ULONG kind = port->Port.Flags & LPCP_PORT_TYPE_MASK;

    KdpPrintOnePort(port, flags);
    if (!(flags & KD_LPC_PEERS) || (kind != LPCP_COMMUNICATION_PORT && kind != LPCP_CLIENT_PORT))
        return;
    KdpPrintLinkedPort((ULONG64)(ULONG_PTR)port->Port.ConnectedPort, flags);
    KdpPrintLinkedPort((ULONG64)(ULONG_PTR)port->Port.ConnectionPort, flags);
}

// ---- Where a message is --------------------------------------------------------------

typedef struct _KD_MESSAGE_HOME {
    ULONG64 Message;
    ULONG Indent;
    BOOLEAN Found;
} KD_MESSAGE_HOME;

static BOOLEAN KdpMatchHandedMessage(void *context, ULONG64 message)
{
    KD_ENTRY_SEARCH *search = context;

    search->Found = message == search->Target;
    return !search->Found;
}

static BOOLEAN KdpFindMessageOnPort(void *context, const KD_PORT *port)
{
    KD_MESSAGE_HOME *home = context;
    const char *where = NULL;
    KD_ENTRY_SEARCH handed = { home->Message, FALSE };

    // Handed to a receiver that has not run yet: in that queue as far as
    // anyone looking is concerned (`!lpc port` lists it there).
    if (port->Port.MsgQueue.NonPagedPortQueue)
        KdpForEachHandedMessage(port, KdpMatchHandedMessage, &handed);
    if (handed.Found)
        where = "the message queue";
    else if (KdpPortListHas(port, FIELD_OFFSET(LPCP_PORT_OBJECT, MsgQueue.ReceiveHead),
                       home->Message))
        where = "the message queue";
    else if (KdpPortListHas(port, FIELD_OFFSET(LPCP_PORT_OBJECT, LpcDataInfoChainHead),
                            home->Message))
        where = "the LpcDataInfoChainHead queue";
    if (!where)
        return TRUE;
    KdpPrint("%*s    In %s of port %016llx%s%s\n", (int)home->Indent, "", where,
             (unsigned long long)port->Address, port->Name[0] ? " Name: " : "", port->Name);
    home->Found = TRUE;
    return FALSE;
}

static BOOLEAN KdpFindMessageHolder(void *context, const KD_LPC_THREAD *thread)
{
    KD_MESSAGE_HOME *home = context;

    if ((thread->ReplyMessage & LPCP_THREAD_FLAG_IS_PORT) ||
        (thread->ReplyMessage & ~(ULONG64)LPCP_THREAD_FLAGS) != home->Message)
        return TRUE;
    KdpPrint("%*s    Held by thread %016llx as its reply (or connection request)\n",
             (int)home->Indent, "", (unsigned long long)thread->Address);
    home->Found = TRUE;
    return FALSE;
}

void KdpPrintMessageLocation(ULONG64 message, ULONG indent)
{
    KD_MESSAGE_HOME home = { message, indent, FALSE };

    KdpForEachPort(KdpFindMessageOnPort, &home);
    if (!home.Found)
        KdpForEachLpcThread(KdpFindMessageHolder, &home);
    if (!home.Found)
        KdpPrint("%*s    On no port queue and held by no thread (free in the message "
                 "lookaside list, or in transit)\n", (int)indent, "");
}

// ---- Messages in the pool ------------------------------------------------------------

typedef struct _KD_POOL_SCAN {
    KD_MESSAGE_CALLBACK Callback;
    void *Context;
    ULONG Count;
    ULONG64 SkipTo;             // the end of a large allocation just seen
    BOOLEAN Stopped;
} KD_POOL_SCAN;

static void KdpVisitPoolBlock(void *context, const POOL_BLOCK_INFO *block)
{
    KD_POOL_SCAN *scan = context;

    if (block->LargePage) {
        scan->SkipTo = block->BlockAddress + block->BlockSize;
        return;
    }
    if (scan->Stopped || !block->Allocated || block->Tag != LPCP_MESSAGE_TAG)
        return;
    scan->Count++;
    if (!scan->Callback(scan->Context, block->BlockAddress + sizeof(POOL_HEADER)))
        scan->Stopped = TRUE;
}

ULONG KdpForEachPoolMessage(KD_MESSAGE_CALLBACK callback, void *context)
{
    KD_POOL_SCAN scan = { callback, context, 0, 0, FALSE };
    ULONG64 end = MM_NONPAGED_POOL_START + MM_NONPAGED_POOL_SIZE;
    ULONG64 directoryTableBase, page, next = MM_NONPAGED_POOL_START;

    // The pool is in the kernel half, the same in every address space.
    if (!KdpReadMemory((ULONG64)PsInitialSystemProcess +
                           FIELD_OFFSET(EPROCESS, Pcb.DirectoryTableBase),
                       &directoryTableBase, sizeof(directoryTableBase)))
        return 0;
    while (!scan.Stopped && KdpNextMappedPage(directoryTableBase, next, end, &page)) {
        scan.SkipTo = 0;
        ExpWalkPoolPage(page, KdpReadMemory, KdpVisitPoolBlock, &scan);
        next = scan.SkipTo > page ? ALIGN_UP_BY(scan.SkipTo, PAGE_SIZE) : page + PAGE_SIZE;
    }
    return scan.Count;
}
