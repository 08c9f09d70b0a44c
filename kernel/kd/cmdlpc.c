// !lpc, as WinDbg's for the LPC of Windows XP and Server 2003: a message by
// its id (the client thread waiting for it, found through its
// LpcReplyMessageId; the server thread that received it, through its
// LpcReceivedMessageId; then the ports whose rundown queue holds the
// client), a port with its peers, every port, the ports linked to one, the
// LPC threads, and the pool search switch. lpcdump.c reads the structures.

#include "kd/kdlpc.h"

#define KD_LPC_MAX_CLIENTS 16       // client threads followed for one message id

// Whether `!lpc message ID` also searches the pool for the message block
// (WinDbg's initial setting: off).
static BOOLEAN KdpLpcPoolSearch;

static void KdpLpcUsage(void)
{
    KdpPrint("Usage:\n");
    KdpPrint("    !lpc message [MessageId]\n");
    KdpPrint("                  - Display the message with a given ID and all related "
             "information\n");
    KdpPrint("                    If MessageId is not specified, dump all messages\n");
    KdpPrint("    !lpc port [PortAddress]\n");
    KdpPrint("                  - Display the port information\n");
    KdpPrint("    !lpc scan PortAddress\n");
    KdpPrint("                  - Search this port and any connected port\n");
    KdpPrint("    !lpc thread [ThreadAddr]\n");
    KdpPrint("                  - Search the thread in rundown port queues and display the "
             "port info\n");
    KdpPrint("                    If ThreadAddr is missing, display all threads marked as "
             "doing some lpc operations\n");
    KdpPrint("    !lpc PoolSearch\n");
    KdpPrint("                  - Toggle ON / OFF searching the current message in the "
             "kernel pool\n");
}

// ---- Threads --------------------------------------------------------------------------

typedef struct _KD_LPC_THREAD_QUERY {
    ULONG MessageId;                // 0: every LPC thread
    ULONG64 Clients[KD_LPC_MAX_CLIENTS];
    ULONG ClientCount;
    ULONG Found;
} KD_LPC_THREAD_QUERY;

// The two lines that say what a thread does in LPC, when it does anything.
static BOOLEAN KdpPrintLpcThreadRoles(const KD_LPC_THREAD *thread, ULONG messageId)
{
    BOOLEAN shown = FALSE;

    if (thread->ReceivedValid && thread->ReceivedMessageId &&
        (!messageId || thread->ReceivedMessageId == messageId)) {
        KdpPrint("Server thread %016llx is working on message %x\n",
                 (unsigned long long)thread->Address, thread->ReceivedMessageId);
        shown = TRUE;
    }
    if (thread->ReplyMessageId && (!messageId || thread->ReplyMessageId == messageId)) {
        KdpPrint("Client thread %016llx waiting a reply from %x\n",
                 (unsigned long long)thread->Address, thread->ReplyMessageId);
        shown = TRUE;
    }
    return shown;
}

static BOOLEAN KdpMatchLpcThread(void *context, const KD_LPC_THREAD *thread)
{
    KD_LPC_THREAD_QUERY *query = context;

    if (!KdpPrintLpcThreadRoles(thread, query->MessageId))
        return TRUE;
    query->Found++;
    if (thread->ReplyMessageId && thread->ReplyMessageId == query->MessageId &&
        query->ClientCount < KD_LPC_MAX_CLIENTS)
        query->Clients[query->ClientCount++] = thread->Address;
    return TRUE;
}

typedef struct _KD_RUNDOWN_SEARCH {
    ULONG64 Thread;
    ULONG Found;
} KD_RUNDOWN_SEARCH;

static BOOLEAN KdpPrintRundownPort(void *context, const KD_PORT *port)
{
    KD_RUNDOWN_SEARCH *search = context;

    if (KdpPortHasRundownThread(port, search->Thread)) {
        KdpPrintPort(port, KD_LPC_PEERS);
        search->Found++;
    }
    return TRUE;
}

// The ports whose reply chain holds the thread (it waits for a reply sent
// through them), each with its peers.
static void KdpSearchRundownQueues(ULONG64 thread)
{
    KD_RUNDOWN_SEARCH search = { thread, 0 };

    KdpPrint("Searching thread %016llx in port rundown queues ...\n",
             (unsigned long long)thread);
    KdpForEachPort(KdpPrintRundownPort, &search);
    if (!search.Found)
        KdpPrint("Thread %016llx is in no port's rundown queue\n", (unsigned long long)thread);
}

static void KdpLpcThread(ULONG64 address)
{
    KD_LPC_THREAD_QUERY query = { 0 };
    KD_LPC_THREAD thread;

    if (address) {
        if (!KdpIsThread(address) || !KdpReadLpcThread(address, &thread)) {
            KdpPrintThread(address, 0, 0);      // says why it is not one
            return;
        }
        KdpPrintLpcThreadRoles(&thread, 0);
        KdpSearchRundownQueues(address);
        return;
    }
    KdpPrint("Searching all threads doing LPC ...\n");
    KdpForEachLpcThread(KdpMatchLpcThread, &query);
    KdpPrint("%u thread%s doing LPC\n", query.Found, query.Found == 1 ? "" : "s");
}

// ---- Messages ---------------------------------------------------------------------------

// The free message blocks: pool blocks tagged LpcM like the messages, but
// holding none. They are those on LPC's free list (nt!LpcpFreeMessages,
// linked through LPCP_MESSAGE.FreeEntry) and the one each thread may keep
// (ETHREAD.LpcCachedMessage); LPC keeps at most LPCP_LOOKASIDE_DEPTH.
#define KD_LPC_MAX_FREE_BLOCKS (LPCP_LOOKASIDE_DEPTH * 2)

typedef struct _KD_LPC_FREE_BLOCKS {
    ULONG64 Blocks[KD_LPC_MAX_FREE_BLOCKS];
    ULONG Count;
    BOOLEAN Known;                  // FALSE: the free list could not be read
} KD_LPC_FREE_BLOCKS;

static void KdpAddFreeBlock(KD_LPC_FREE_BLOCKS *free, ULONG64 block)
{
    if (block && free->Count < KD_LPC_MAX_FREE_BLOCKS)
        free->Blocks[free->Count++] = block;
}

static BOOLEAN KdpCollectCachedBlock(void *context, const KD_LPC_THREAD *thread)
{
    ULONG64 block = 0;

    if (KdpReadMemory(thread->Address + FIELD_OFFSET(ETHREAD, LpcCachedMessage), &block,
                      sizeof(block)))
        KdpAddFreeBlock(context, block);
    return TRUE;
}

static void KdpCollectFreeBlocks(KD_LPC_FREE_BLOCKS *free)
{
    ULONG64 link = 0, head;

    memset(free, 0, sizeof(*free));
    if (!KdpLookupSymbolValue("nt!LpcpFreeMessages", &head) ||
        !KdpReadMemory(head, &link, sizeof(link)))
        return;
    // FreeEntry is the block's first field: each link is a block.
    for (ULONG i = 0; link && i < KD_LPC_MAX_FREE_BLOCKS; i++) {
        KdpAddFreeBlock(free, link);
        if (!KdpReadMemory(link, &link, sizeof(link)))
            return;
    }
    KdpForEachLpcThread(KdpCollectCachedBlock, free);
    free->Known = TRUE;
}

static BOOLEAN KdpIsFreeBlock(const KD_LPC_FREE_BLOCKS *free, ULONG64 block)
{
    for (ULONG i = 0; i < free->Count; i++) {
        if (free->Blocks[i] == block)
            return TRUE;
    }
    return FALSE;
}

typedef struct _KD_POOL_MESSAGE_QUERY {
    ULONG MessageId;                // 0: every message block
    ULONG Shown;
    KD_LPC_FREE_BLOCKS Free;
} KD_POOL_MESSAGE_QUERY;

static BOOLEAN KdpPrintPoolMessage(void *context, ULONG64 message)
{
    KD_POOL_MESSAGE_QUERY *query = context;
    ULONG id;

    // A free block's header still holds the last message it carried.
    if (KdpIsFreeBlock(&query->Free, message))
        return TRUE;
    if (query->MessageId &&
        (!KdpReadMemory(message + FIELD_OFFSET(LPCP_MESSAGE, Request.MessageId), &id,
                        sizeof(id)) || id != query->MessageId))
        return TRUE;
    KdpPrintMessage(message, 4, query->Shown++);
    KdpPrintMessageLocation(message, 4);
    return TRUE;
}

static void KdpSearchPool(ULONG messageId)
{
    static KD_POOL_MESSAGE_QUERY query;     // not on the debugger's stack: it is large
    ULONG blocks;

    query.MessageId = messageId;
    query.Shown = 0;
    KdpCollectFreeBlocks(&query.Free);
    KdpPrint("Searching message %x in the kernel pool (tag LpcM) ...\n", messageId);
    if (!query.Free.Known)
        KdpPrint("(LPC's free list cannot be read: free blocks are shown too)\n");
    blocks = KdpForEachPoolMessage(KdpPrintPoolMessage, &query);
    KdpPrint("%u of %u LPC message block%s in the pool shown (%u free)\n", query.Shown, blocks,
             blocks == 1 ? "" : "s", query.Free.Count);
}

static void KdpLpcMessage(ULONG messageId)
{
    KD_LPC_THREAD_QUERY query = { messageId, { 0 }, 0, 0 };

    KdpPrint("Searching message %x in threads ...\n", messageId);
    KdpForEachLpcThread(KdpMatchLpcThread, &query);
    if (!messageId) {
        KdpSearchPool(0);
        return;
    }
    for (ULONG i = 0; i < query.ClientCount; i++)
        KdpSearchRundownQueues(query.Clients[i]);
    if (KdpLpcPoolSearch)
        KdpSearchPool(messageId);
    else if (!query.Found)
        KdpPrint("No thread waits for or works on message %x (!lpc PoolSearch turns on the "
                 "pool search)\n", messageId);
}

// ---- Ports ------------------------------------------------------------------------------

static BOOLEAN KdpPrintEveryPort(void *context, const KD_PORT *port)
{
    KdpPrintPort(port, KD_LPC_RUNDOWN);
    return TRUE;
}

static void KdpLpcPort(ULONG64 address)
{
    KD_PORT port;
    ULONG count;

    if (address) {
        if (KdpReadPort(address, &port, FALSE))
            KdpPrintPort(&port, KD_LPC_PEERS | KD_LPC_RUNDOWN);
        return;
    }
    KdpPrint("Scanning the objects of type Port and WaitablePort ...\n");
    count = KdpForEachPort(KdpPrintEveryPort, NULL);
    KdpPrint("\n%u port%s\n", count, count == 1 ? "" : "s");
}

typedef struct _KD_PORT_SCAN {
    KD_PORT Target;
    ULONG Linked;                   // the rows printed
} KD_PORT_SCAN;

static BOOLEAN KdpPrintLinkedPortSummary(void *context, const KD_PORT *port)
{
    KD_PORT_SCAN *scan = context;
    const KD_PORT *target = &scan->Target;
    ULONG64 address = port->Address;

    if (address != target->Address &&
        (ULONG64)(ULONG_PTR)port->Port.ConnectionPort != target->Address &&
        (ULONG64)(ULONG_PTR)port->Port.ConnectedPort != target->Address &&
        address != (ULONG64)(ULONG_PTR)target->Port.ConnectionPort &&
        address != (ULONG64)(ULONG_PTR)target->Port.ConnectedPort)
        return TRUE;
    KdpPrint("%8lld  Port: 0x%016llx Connection: 0x%016llx  Communication: 0x%016llx "
             "'%s'\n", (long long)port->HandleCount, (unsigned long long)address,
             (unsigned long long)(ULONG_PTR)port->Port.ConnectionPort,
             (unsigned long long)(ULONG_PTR)port->Port.ConnectedPort, port->Name);
    scan->Linked++;
    return TRUE;
}

static void KdpLpcScan(ULONG64 address)
{
    static KD_PORT_SCAN scan;
    ULONG count;

    if (!KdpReadPort(address, &scan.Target, FALSE))
        return;
    scan.Linked = 0;
    KdpPrint("Scanning the ports linked to %016llx ...\n", (unsigned long long)address);
    count = KdpForEachPort(KdpPrintLinkedPortSummary, &scan);
    // The rows, then how many ports were looked at to find them.
    KdpPrint("%u port%s linked to %016llx (of %u port%s scanned)\n", scan.Linked,
             scan.Linked == 1 ? "" : "s", (unsigned long long)address, count,
             count == 1 ? "" : "s");
}

// ---- The command ------------------------------------------------------------------------

static KD_COMMAND_RESULT KdpLpc(int argc, char **argv)
{
    ULONG64 value = 0;
    const char *what = argc >= 2 ? argv[1] : NULL;

    if (argc == 1 || argc > 3) {
        KdpLpcUsage();
        return KdCommandContinue;
    }
    if (!RtlCompareStringInsensitive(what, "PoolSearch")) {
        if (argc != 2) {
            KdpLpcUsage();
            return KdCommandContinue;
        }
        KdpLpcPoolSearch = !KdpLpcPoolSearch;
        KdpPrint("LPC pool search is now %s: !lpc message MessageId %s the kernel pool\n",
                 KdpLpcPoolSearch ? "ON" : "OFF",
                 KdpLpcPoolSearch ? "also searches" : "does not search");
        return KdCommandContinue;
    }
    if (argc == 3 && !KdpGetValue(argv[2], &value))
        return KdCommandContinue;
    if (!RtlCompareStringInsensitive(what, "message")) {
        if (value > 0xFFFFFFFFULL)
            KdpPrint("A message id is 32 bits: %llx is not one\n", (unsigned long long)value);
        else
            KdpLpcMessage((ULONG)value);
    } else if (!RtlCompareStringInsensitive(what, "port")) {
        KdpLpcPort(value);
    } else if (!RtlCompareStringInsensitive(what, "scan") && argc == 3) {
        KdpLpcScan(value);
    } else if (!RtlCompareStringInsensitive(what, "thread")) {
        KdpLpcThread(value);
    } else {
        KdpLpcUsage();
    }
    return KdCommandContinue;
}

const KD_COMMAND KdpLpcCommands[] = {
    { "!lpc", KdpLpc,
      "!lpc message [MessageId] | port [PortAddress] | scan PortAddress | "
      "thread [ThreadAddr] | PoolSearch",
      "LPC: a message and who waits for it, ports and their queues, LPC threads" },
    { NULL, NULL, NULL, NULL },
};
