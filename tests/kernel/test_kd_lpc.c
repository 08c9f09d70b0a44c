// !lpc, and the LPC lines of !thread and !process, read against LPC state
// built by hand: the first case study's hang in miniature. A named
// connection port with a server communication port and a client port; a
// client thread waiting (WrLpcReply) for the reply to a request that still
// sits on the connection port's queue; a server thread blocked elsewhere
// while "working on" an earlier request whose message waits on the
// connection port's data-info chain. The ports are objects of a stand-in
// type (LPC's own types are LPC's to make), so these tests run with or
// without LPC; the output is captured and checked line by line.

#include "tests/kernel/test_dispatcher.h"
#include "kd/kd.h"
#include "lpc/lpcp.h"

#define KT_LPC_TYPE_NAME   "KdLpcTestPort"
#define KT_LPC_PORT_NAME   u"\\KdLpcTestAuthPort"
#define KT_LPC_QUEUE_TAG   POOL_TAG('K', 't', 'L', 'q')
#define KT_LPC_REQUEST_ID  0x01561d96     // the client waits for its reply
#define KT_LPC_RECEIVED_ID 0x01561d95     // the server works on it
#define KT_LPC_CONTEXT     0x5ec0de       // the server communication port's PortContext
#define KT_LPC_DATA_LENGTH 8
#define KT_LPC_OUTPUT_SIZE 32768

typedef struct _KT_LPC_SCENE {
    LPCP_PORT_OBJECT *Connection;
    LPCP_PORT_OBJECT *ServerCommunication;
    LPCP_PORT_OBJECT *Client;
    HANDLE ConnectionHandle;
    LPCP_MESSAGE *Request;          // queued on the connection port
    LPCP_MESSAGE *DataInfo;         // on the connection port's data-info chain
    ETHREAD *ClientThread;
    ETHREAD *ServerThread;
    KEVENT ServerBlock;             // what the server thread is stuck on
} KT_LPC_SCENE;

static OBJECT_TYPE *KtLpcPortType;
static KT_LPC_SCENE KtLpcScene;
static char KtLpcOutput[KT_LPC_OUTPUT_SIZE];
static char KtLpcExpected[512];

static void KtLpcDeletePort(void *object)
{
    LPCP_PORT_OBJECT *port = object;

    if (port->MsgQueue.NonPagedPortQueue)
        ExFreePoolWithTag(port->MsgQueue.NonPagedPortQueue, KT_LPC_QUEUE_TAG);
}

static OBJECT_TYPE *KtLpcType(void)
{
    static const OBJECT_TYPE_INITIALIZER initializer = {
        .PoolTag = POOL_TAG('K', 't', 'L', 'p'), .ValidAccessMask = PORT_ALL_ACCESS,
        .DeleteProcedure = KtLpcDeletePort};

    if (!KtLpcPortType &&
        !NT_SUCCESS(ObCreateObjectType(KT_LPC_TYPE_NAME, &initializer, &KtLpcPortType)))
        return NULL;
    return KtLpcPortType;
}

// A port as LPC would leave it: lists empty, a queue with its semaphore
// where the port receives (connection and client ports).
static LPCP_PORT_OBJECT *KtLpcCreatePort(ULONG flags)
{
    LPCP_PORT_OBJECT *port;
    LPCP_NONPAGED_PORT_QUEUE *queue;

    if (!KtLpcType() || !NT_SUCCESS(ObCreateObject(KtLpcType(), sizeof(*port), (void **)&port)))
        return NULL;
    port->Flags = flags;
    InitializeListHead(&port->MsgQueue.ReceiveHead);
    InitializeListHead(&port->LpcReplyChainHead);
    InitializeListHead(&port->LpcDataInfoChainHead);
    port->MaxMessageLength = LPCP_MAX_MESSAGE_LENGTH;
    port->MaxConnectionInfoLength = LPCP_MAX_CONNECTION_INFO_LENGTH;
    if (flags == LPCP_CONNECTION_PORT || flags == LPCP_CLIENT_PORT) {
        queue = ExAllocatePoolWithTag(NonPagedPool, sizeof(*queue), KT_LPC_QUEUE_TAG);
        if (!queue) {
            ObDereferenceObject(port);
            return NULL;
        }
        KeInitializeSemaphore(&queue->Semaphore, 0, 0x7fffffff);
        queue->BackPointer = port;
        port->MsgQueue.NonPagedPortQueue = queue;
        port->MsgQueue.Semaphore = &queue->Semaphore;
    }
    return port;
}

// A message block as LPC allocates them (tag LpcM), with two data words.
static LPCP_MESSAGE *KtLpcCreateMessage(ULONG id, CSHORT type, ETHREAD *sender,
                                        LPCP_PORT_OBJECT *senderPort)
{
    LPCP_MESSAGE *message = ExAllocatePoolWithTag(PagedPool, LPCP_MAX_MESSAGE_SIZE,
                                                  LPCP_MESSAGE_TAG);
    ULONG *data = (ULONG *)(message + 1);

    if (!message)
        return NULL;
    memset(message, 0, LPCP_MAX_MESSAGE_SIZE);
    InitializeListHead(&message->Entry);
    message->SenderPort = senderPort;
    message->PortContext = (void *)KT_LPC_CONTEXT;
    message->Request.u1.s1.DataLength = KT_LPC_DATA_LENGTH;
    message->Request.u1.s1.TotalLength = sizeof(PORT_MESSAGE) + KT_LPC_DATA_LENGTH;
    message->Request.u2.s2.Type = type;
    message->Request.ClientId = sender->Cid;
    message->Request.MessageId = id;
    data[0] = 0x11111111;
    data[1] = id;
    return message;
}

// The client: sends "through" its port, joins the server communication
// port's reply chain (its rundown queue) and waits for the reply, as
// NtRequestWaitReplyPort leaves a client (with no timeout, as there: the
// scene's teardown always releases it); on wake it leaves it all.
static void KtLpcClientRoutine(void *context)
{
    KT_LPC_SCENE *scene = context;
    ETHREAD *self = PsGetCurrentThread();

    self->LpcReplyMessageId = KT_LPC_REQUEST_ID;
    self->LpcWaitingOnPort = (void *)((ULONG_PTR)scene->Client | LPCP_THREAD_FLAG_IS_PORT);
    InsertTailList(&scene->ServerCommunication->LpcReplyChainHead, &self->LpcReplyChain);
    KeWaitForSingleObject(&self->LpcReplySemaphore, WrLpcReply, KernelMode, FALSE, NULL);
    RemoveEntryList(&self->LpcReplyChain);
    InitializeListHead(&self->LpcReplyChain);
    self->LpcReplyMessageId = 0;
    self->LpcWaitingOnPort = NULL;
}

// The server: received an earlier request and is stuck working on it.
static void KtLpcServerRoutine(void *context)
{
    KT_LPC_SCENE *scene = context;
    ETHREAD *self = PsGetCurrentThread();

    self->LpcReceivedMessageId = KT_LPC_RECEIVED_ID;
    self->LpcReceivedMsgIdValid = TRUE;
    KeWaitForSingleObject(&scene->ServerBlock, Executive, KernelMode, FALSE, NULL);
    self->LpcReceivedMsgIdValid = FALSE;
    self->LpcReceivedMessageId = 0;
}

static BOOLEAN KtLpcBuildScene(KT_LPC_SCENE *scene)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;

    memset(scene, 0, sizeof(*scene));
    KeInitializeEvent(&scene->ServerBlock, NotificationEvent, FALSE);
    scene->Connection = KtLpcCreatePort(LPCP_CONNECTION_PORT);
    scene->ServerCommunication = KtLpcCreatePort(LPCP_COMMUNICATION_PORT);
    scene->Client = KtLpcCreatePort(LPCP_CLIENT_PORT);
    if (!scene->Connection || !scene->ServerCommunication || !scene->Client)
        return FALSE;
    scene->Connection->ConnectionPort = scene->Connection;
    scene->Connection->ServerProcess = PsInitialSystemProcess;
    scene->ServerCommunication->ConnectionPort = scene->Connection;
    scene->ServerCommunication->ConnectedPort = scene->Client;
    scene->ServerCommunication->PortContext = (void *)KT_LPC_CONTEXT;
    scene->Client->ConnectionPort = scene->Connection;
    scene->Client->ConnectedPort = scene->ServerCommunication;
    // The server holds a handle to its named connection port (the
    // reference passes to the handle; the pointer stays good while it is open).
    RtlInitUnicodeString(&name, KT_LPC_PORT_NAME);
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    if (!NT_SUCCESS(ObInsertObject(scene->Connection, &attributes, PORT_ALL_ACCESS, NULL,
                                   &scene->ConnectionHandle))) {
        scene->Connection = NULL;
        return FALSE;
    }

    scene->ServerThread = KtStartThread(KtLpcServerRoutine, scene, KT_HIGH_PRIORITY);
    if (!scene->ServerThread || !KtWaitUntilWaitingOn(scene->ServerThread, &scene->ServerBlock))
        return FALSE;
    scene->ClientThread = KtStartThread(KtLpcClientRoutine, scene, KT_HIGH_PRIORITY);
    if (!scene->ClientThread ||
        !KtWaitUntilWaitingOn(scene->ClientThread, &scene->ClientThread->LpcReplySemaphore))
        return FALSE;

    scene->Request = KtLpcCreateMessage(KT_LPC_REQUEST_ID, LPC_REQUEST, scene->ClientThread,
                                        scene->Client);
    scene->DataInfo = KtLpcCreateMessage(KT_LPC_RECEIVED_ID, LPC_REQUEST, scene->ClientThread,
                                         scene->Client);
    if (!scene->Request || !scene->DataInfo)
        return FALSE;
    InsertTailList(&scene->Connection->MsgQueue.ReceiveHead, &scene->Request->Entry);
    KeReleaseSemaphore(scene->Connection->MsgQueue.Semaphore, 0, 1, FALSE);
    InsertTailList(&scene->Connection->LpcDataInfoChainHead, &scene->DataInfo->Entry);
    return TRUE;
}

// Undoes whatever KtLpcBuildScene did, however far it got.
static void KtLpcTearDownScene(KT_LPC_SCENE *scene)
{
    if (scene->Request) {
        RemoveEntryList(&scene->Request->Entry);
        ExFreePoolWithTag(scene->Request, LPCP_MESSAGE_TAG);
    }
    if (scene->DataInfo) {
        RemoveEntryList(&scene->DataInfo->Entry);
        ExFreePoolWithTag(scene->DataInfo, LPCP_MESSAGE_TAG);
    }
    if (scene->ClientThread) {
        KeReleaseSemaphore(&scene->ClientThread->LpcReplySemaphore, 0, 1, FALSE);
        KtJoinThread(scene->ClientThread);
    }
    if (scene->ServerThread) {
        KeSetEvent(&scene->ServerBlock, 0, FALSE);
        KtJoinThread(scene->ServerThread);
    }
    if (scene->ConnectionHandle)
        KT_CHECK_EQ(ObCloseHandle(scene->ConnectionHandle), STATUS_SUCCESS);
    else if (scene->Connection)
        ObDereferenceObject(scene->Connection);
    if (scene->ServerCommunication)
        ObDereferenceObject(scene->ServerCommunication);
    if (scene->Client)
        ObDereferenceObject(scene->Client);
    memset(scene, 0, sizeof(*scene));
}

// ---- Running commands and reading their output ----------------------------------------

static const char *KtLpcRun(const char *command)
{
    char line[160];

    RtlStringPrintf(line, sizeof(line), "%s", command);
    KdpSetOutputCapture(KtLpcOutput, sizeof(KtLpcOutput));
    KdpExecuteLine(line);
    KdpSetOutputCapture(NULL, 0);
    return KtLpcOutput;
}

static const char *KtLpcRunf(const char *format, ULONG64 value)
{
    char line[160];

    RtlStringPrintf(line, sizeof(line), format, (unsigned long long)value);
    return KtLpcRun(line);
}

static const char *KtLpcFind(const char *text, const char *needle)
{
    size_t length = strlen(needle);

    for (; *text; text++) {
        if (!strncmp(text, needle, length))
            return text;
    }
    return NULL;
}

// Where the formatted text first occurs in the last output, or NULL (and
// the test fails, naming the missing line in the log).
static const char *KtLpcExpect(const char *format, ...) __attribute__((format(printf, 1, 2)));
static const char *KtLpcExpect(const char *format, ...)
{
    va_list args;
    const char *at;

    va_start(args, format);
    RtlStringPrintfV(KtLpcExpected, sizeof(KtLpcExpected), format, args);
    va_end(args);
    at = KtLpcFind(KtLpcOutput, KtLpcExpected);
    if (!at) {
        DbgPrint("KTEST !lpc output lacks: \"%s\"\n", KtLpcExpected);
        KtFail(__FILE__, __LINE__, "the expected debugger output");
    }
    return at;
}

#define KT_ADDRESS(p) ((unsigned long long)(ULONG_PTR)(p))

// ---- The tests ---------------------------------------------------------------------------

KTEST(KdThreadShowsTheLpcWaitAndTheServersMessage)
{
    KT_LPC_SCENE *scene = &KtLpcScene;

    KdpLpcSetExtraPortType(KT_LPC_TYPE_NAME);
    if (KtLpcBuildScene(scene)) {
        ETHREAD *client = scene->ClientThread;

        KtLpcRunf("!thread %llx", (ULONG64)client);
        KtLpcExpect("WAIT: (WrLpcReply) KernelMode Non-Alertable\n");
        KtLpcExpect("    %016llx Semaphore Limit 0x1\n"
                    "Waiting for reply to LPC MessageId 01561d96:\n"
                    "Current LPC port %016llx\n"
                    "Not impersonating\n"
                    "DeviceMap %016llx\n"
                    "Owning Process",
                    KT_ADDRESS(&client->LpcReplySemaphore), KT_ADDRESS(scene->Client),
                    KT_ADDRESS(client->ThreadsProcess->DeviceMap));
        KtLpcRunf("!thread %llx", (ULONG64)scene->ServerThread);
        KtLpcExpect("WAIT: (Executive) KernelMode Non-Alertable\n");
        KtLpcExpect("LPC Server thread working on message Id 1561d95\n");
        KT_CHECK(!KtLpcFind(KtLpcOutput, "Waiting for reply"));
    } else {
        KtFail(__FILE__, __LINE__, "the LPC scene to be built");
    }
    KtLpcTearDownScene(scene);
    KdpLpcSetExtraPortType(NULL);
}

KTEST(KdLpcMessageFindsTheClientTheServerAndThePorts)
{
    KT_LPC_SCENE *scene = &KtLpcScene;

    KdpLpcSetExtraPortType(KT_LPC_TYPE_NAME);
    if (KtLpcBuildScene(scene)) {
        ULONG64 client = (ULONG64)scene->ClientThread;
        const char *server, *clientPort, *connection;

        KtLpcRun("!lpc message 1561d96");
        KtLpcExpect("Searching message 1561d96 in threads ...\n"
                    "Client thread %016llx waiting a reply from 1561d96\n"
                    "Searching thread %016llx in port rundown queues ...\n",
                    KT_ADDRESS(client), KT_ADDRESS(client));
        server = KtLpcExpect("\nServer communication port 0x%016llx\n"
                             "    Handles: 0 References: %lld\n"
                             "    The LpcDataInfoChainHead queue is empty\n"
                             "        Connected port: 0x%016llx Server connection port: "
                             "0x%016llx\n",
                             KT_ADDRESS(scene->ServerCommunication),
                             (long long)ObGetObjectPointerCount(scene->ServerCommunication),
                             KT_ADDRESS(scene->Client), KT_ADDRESS(scene->Connection));
        clientPort = KtLpcExpect("\nClient communication port 0x%016llx\n"
                                 "    Handles: 0 References: 1\n"
                                 "    The LpcDataInfoChainHead queue is empty\n",
                                 KT_ADDRESS(scene->Client));
        connection = KtLpcExpect(
            "\nServer connection port %016llx Name: KdLpcTestAuthPort\n"
            "    Handles: 1 References: %lld\n"
            "    Server process : %016llx (System)\n"
            "    Queue semaphore : %016llx\n"
            "    Semaphore state 1 (0x1)\n"
            "        Messages in queue:\n"
            "        0000 %016llx - Busy  Id=01561d96  From: %04llx.%04llx  "
            "Context=00000000005ec0de  [%016llx . %016llx]\n"
            "                   Length=00300008  Type=00000001 (LPC_REQUEST)\n"
            "                   Data: 11111111 01561d96\n"
            "    The message queue contains 1 messages\n"
            "        Messages in LpcDataInfoChainHead:\n"
            "        0000 %016llx - Busy  Id=01561d95",
            KT_ADDRESS(scene->Connection),
            (long long)ObGetObjectPointerCount(scene->Connection),
            KT_ADDRESS(PsInitialSystemProcess), KT_ADDRESS(scene->Connection->MsgQueue.Semaphore),
            KT_ADDRESS(scene->Request), KT_ADDRESS(scene->ClientThread->Cid.UniqueProcess),
            KT_ADDRESS(scene->ClientThread->Cid.UniqueThread),
            KT_ADDRESS(&scene->Connection->MsgQueue.ReceiveHead),
            KT_ADDRESS(&scene->Connection->MsgQueue.ReceiveHead), KT_ADDRESS(scene->DataInfo));
        // The seed's order: the port the client waits through, its peer, the
        // connection port.
        KT_CHECK(server && clientPort && connection && server < clientPort &&
                 clientPort < connection);
        KT_CHECK(!KtLpcFind(KtLpcOutput, "Server thread"));

        KtLpcRun("!lpc message 1561d95");
        KtLpcExpect("Server thread %016llx is working on message 1561d95\n",
                    KT_ADDRESS(scene->ServerThread));
        KtLpcRun("!lpc message 7777");
        KtLpcExpect("No thread waits for or works on message 7777");
    } else {
        KtFail(__FILE__, __LINE__, "the LPC scene to be built");
    }
    KtLpcTearDownScene(scene);
    KdpLpcSetExtraPortType(NULL);
}

KTEST(KdLpcFindsMessagesInThePool)
{
    KT_LPC_SCENE *scene = &KtLpcScene;

    KdpLpcSetExtraPortType(KT_LPC_TYPE_NAME);
    if (KtLpcBuildScene(scene)) {
        KtLpcRun("!lpc PoolSearch");
        KtLpcExpect("LPC pool search is now ON");
        KtLpcRun("!lpc message 1561d96");
        KtLpcExpect("Searching message 1561d96 in the kernel pool (tag LpcM) ...\n"
                    "    0000 %016llx - Busy  Id=01561d96",
                    KT_ADDRESS(scene->Request));
        KtLpcExpect("        In the message queue of port %016llx Name: KdLpcTestAuthPort\n"
                    "1 of ",
                    KT_ADDRESS(scene->Connection));
        KtLpcRun("!lpc PoolSearch");
        KtLpcExpect("LPC pool search is now OFF");
        KtLpcRun("!lpc message 1561d96");
        KT_CHECK(!KtLpcFind(KtLpcOutput, "kernel pool"));

        // Without an id: every thread doing LPC, then every message block.
        KtLpcRun("!lpc message");
        KtLpcExpect("Client thread %016llx waiting a reply from 1561d96\n",
                    KT_ADDRESS(scene->ClientThread));
        KtLpcExpect("Server thread %016llx is working on message 1561d95\n",
                    KT_ADDRESS(scene->ServerThread));
        KtLpcExpect(" %016llx - Busy  Id=01561d95", KT_ADDRESS(scene->DataInfo));
        KtLpcExpect("        In the LpcDataInfoChainHead queue of port %016llx",
                    KT_ADDRESS(scene->Connection));
        KtLpcExpect(" %016llx - Busy  Id=01561d96", KT_ADDRESS(scene->Request));
        // ...and only blocks in use: not the free ones LPC keeps (its free
        // list, each thread's cached block), which once listed 32 "messages".
        {
            ULONG64 head = 0, freeBlock = 0;
            char text[40];

            KT_EXPECT(KdpLookupSymbolValue("nt!LpcpFreeMessages", &head));
            KT_EXPECT(KdpReadMemory(head, &freeBlock, sizeof(freeBlock)) && freeBlock);
            RtlStringPrintf(text, sizeof(text), " %016llx - ", (unsigned long long)freeBlock);
            KT_CHECK(!KtLpcFind(KtLpcOutput, text));
            KtLpcExpect(" free)\n");
        }
    } else {
        KtFail(__FILE__, __LINE__, "the LPC scene to be built");
    }
    KtLpcTearDownScene(scene);
    KdpLpcSetExtraPortType(NULL);
}

KTEST(KdLpcPortScanAndThreadShowThePortsAndTheirPeers)
{
    KT_LPC_SCENE *scene = &KtLpcScene;

    KdpLpcSetExtraPortType(KT_LPC_TYPE_NAME);
    if (KtLpcBuildScene(scene)) {
        const char *client, *server, *connection;

        // A client port: itself, its peer (whose rundown queue holds the
        // waiting client), the connection port.
        KtLpcRunf("!lpc port %llx", (ULONG64)scene->Client);
        client = KtLpcExpect("\nClient communication port 0x%016llx\n",
                             KT_ADDRESS(scene->Client));
        server = KtLpcExpect("Server connection port: 0x%016llx\n"
                             "    Threads in RunDown queue : 0x%016llx\n",
                             KT_ADDRESS(scene->Connection), KT_ADDRESS(scene->ClientThread));
        connection = KtLpcExpect("\nServer connection port %016llx Name: KdLpcTestAuthPort\n",
                                 KT_ADDRESS(scene->Connection));
        KT_CHECK(client && server && connection && client < server && server < connection);
        // A connection port alone.
        KtLpcRunf("!lpc port %llx", (ULONG64)scene->Connection);
        KT_CHECK(!KtLpcFind(KtLpcOutput, "communication port"));
        KtLpcExpect("    The message queue contains 1 messages\n");

        KtLpcRun("!lpc port");
        KtLpcExpect("Scanning the objects of type Port and WaitablePort ...\n");
        KtLpcExpect("\nServer connection port %016llx Name: KdLpcTestAuthPort\n",
                    KT_ADDRESS(scene->Connection));
        KtLpcExpect("\nServer communication port 0x%016llx\n",
                    KT_ADDRESS(scene->ServerCommunication));
        KtLpcExpect("\nClient communication port 0x%016llx\n", KT_ADDRESS(scene->Client));

        KtLpcRunf("!lpc scan %llx", (ULONG64)scene->Connection);
        KtLpcExpect("       1  Port: 0x%016llx Connection: 0x%016llx  Communication: "
                    "0x0000000000000000 'KdLpcTestAuthPort'\n",
                    KT_ADDRESS(scene->Connection), KT_ADDRESS(scene->Connection));
        KtLpcExpect("       0  Port: 0x%016llx Connection: 0x%016llx  Communication: "
                    "0x%016llx ''\n",
                    KT_ADDRESS(scene->ServerCommunication), KT_ADDRESS(scene->Connection),
                    KT_ADDRESS(scene->Client));
        KtLpcExpect("       0  Port: 0x%016llx Connection: 0x%016llx  Communication: "
                    "0x%016llx ''\n",
                    KT_ADDRESS(scene->Client), KT_ADDRESS(scene->Connection),
                    KT_ADDRESS(scene->ServerCommunication));
        // The count under the rows is the rows' (it once said how many
        // ports were looked at: "5 ports scanned" under three rows).
        KtLpcExpect("3 ports linked to %016llx (of ", KT_ADDRESS(scene->Connection));

        KtLpcRunf("!lpc thread %llx", (ULONG64)scene->ClientThread);
        KtLpcExpect("Client thread %016llx waiting a reply from 1561d96\n"
                    "Searching thread %016llx in port rundown queues ...\n"
                    "\nServer communication port 0x%016llx\n",
                    KT_ADDRESS(scene->ClientThread), KT_ADDRESS(scene->ClientThread),
                    KT_ADDRESS(scene->ServerCommunication));
        KtLpcRunf("!lpc thread %llx", (ULONG64)scene->ServerThread);
        KtLpcExpect("Server thread %016llx is working on message 1561d95\n"
                    "Searching thread %016llx in port rundown queues ...\n"
                    "Thread %016llx is in no port's rundown queue\n",
                    KT_ADDRESS(scene->ServerThread), KT_ADDRESS(scene->ServerThread),
                    KT_ADDRESS(scene->ServerThread));
        KtLpcRun("!lpc thread");
        KtLpcExpect("Client thread %016llx waiting a reply from 1561d96\n",
                    KT_ADDRESS(scene->ClientThread));
        KtLpcExpect("Server thread %016llx is working on message 1561d95\n",
                    KT_ADDRESS(scene->ServerThread));

        // Without the stand-in type, these objects are no ports.
        KdpLpcSetExtraPortType(NULL);
        KtLpcRunf("!lpc port %llx", (ULONG64)scene->Connection);
        KtLpcExpect("%016llx is not a port: its object type is not Port or WaitablePort\n",
                    KT_ADDRESS(scene->Connection));
    } else {
        KtFail(__FILE__, __LINE__, "the LPC scene to be built");
    }
    KtLpcTearDownScene(scene);
    KdpLpcSetExtraPortType(NULL);
}

KTEST(KdLpcUsageHelpAndBadArguments)
{
    KtLpcRun("!lpc");
    KT_EXPECT(KtLpcFind(KtLpcOutput, "Usage:\n    !lpc message [MessageId]\n"));
    KT_EXPECT(KtLpcFind(KtLpcOutput, "    !lpc PoolSearch\n"));
    KtLpcRun("!lpc scan");
    KT_EXPECT(KtLpcFind(KtLpcOutput, "Usage:\n"));
    KtLpcRun("!lpc nonsense 1");
    KT_EXPECT(KtLpcFind(KtLpcOutput, "Usage:\n"));
    KtLpcRun("!lpc PoolSearch 1");
    KT_EXPECT(KtLpcFind(KtLpcOutput, "Usage:\n"));
    KtLpcRun("!lpc message 1`00000000");
    KT_EXPECT(KtLpcFind(KtLpcOutput, "A message id is 32 bits: 100000000 is not one\n"));
    KtLpcRun("!lpc port zz(");
    KT_EXPECT(!KtLpcFind(KtLpcOutput, "Usage:") && KtLpcOutput[0]);
    KtLpcRunf("!lpc port %llx", (ULONG64)PsInitialSystemProcess);
    KT_EXPECT(KtLpcFind(KtLpcOutput, "is not a port: its object type is not Port"));
    KtLpcRun("!lpc scan 10");
    KT_EXPECT(KtLpcFind(KtLpcOutput, "0000000000000010 is not a port: it is not an object\n"));
    KtLpcRunf("!lpc thread %llx", (ULONG64)PsInitialSystemProcess);
    KT_EXPECT(KtLpcFind(KtLpcOutput, "is not a thread"));
    KtLpcRun("help");
    KT_EXPECT(KtLpcFind(KtLpcOutput, "  !lpc       LPC: "));
    KtLpcRun("help !lpc");
    KT_EXPECT(KtLpcFind(KtLpcOutput, "!lpc message [MessageId] | port [PortAddress] | "
                                     "scan PortAddress | thread [ThreadAddr] | PoolSearch\n"));
}

KTEST(KdProcessShowsItsLpcPorts)
{
    EPROCESS *process;

    KT_EXPECT_EQ(PspCreateProcess("ktlpc.exe", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                  &process),
                 STATUS_SUCCESS);
    KtLpcRunf("!process %llx 1", (ULONG64)process);
    KT_CHECK(!KtLpcFind(KtLpcOutput, "Port "));
    // Any object will do as a port here: the process only points at it.
    process->DebugPort = (void *)0xfffffa8000123450ULL;
    process->SecurityPort = (void *)0xfffffa8000123460ULL;
    KtLpcRunf("!process %llx 1", (ULONG64)process);
    process->DebugPort = process->SecurityPort = NULL;
    KtLpcExpect("    %-34s%s\n    %-34s%s\n", "DebugPort", "fffffa8000123450", "SecurityPort",
                "fffffa8000123460");
    KT_CHECK(!KtLpcFind(KtLpcOutput, "ExceptionPort"));
    ObDereferenceObject(process);
}

// ---- A message handed to a receiver that has not run yet -------------------------------

typedef struct _KT_LPC_HANDED {
    LPCP_PORT_OBJECT *Port;
    NTSTATUS Status;
} KT_LPC_HANDED;

static KT_LPC_HANDED KtLpcHanded;

static void KtLpcHandedReceiver(void *context)
{
    union {
        PORT_MESSAGE h;
        UCHAR Bytes[LPCP_MAX_MESSAGE_LENGTH];
    } buffer;
    KT_LPC_HANDED *handed = context;
    void *portContext;

    handed->Status = LpcpReceive(handed->Port, KernelMode, NULL, &buffer.h, &portContext);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

// LPC's direct handoff leaves a message sent to a waiting receiver in that
// receiver's LpcHandoffMessage, never queued, until it runs. `!lpc port`
// and `!lpc message` still find it in the port's queue, where NT's would be
// (they once said "The message queue is empty").
KTEST(KdLpcFindsAMessageHandedToAReceiverNotYetRunning)
{
    KT_LPC_HANDED *handed = &KtLpcHanded;
    struct {
        PORT_MESSAGE h;
        ULONG Data[2];
    } datagram;
    ETHREAD *receiver;
    LPCP_MESSAGE *message;

    memset(handed, 0, sizeof(*handed));
    KT_EXPECT_EQ(LpcpCreatePort(0, sizeof(datagram), FALSE, &handed->Port), STATUS_SUCCESS);
    // Below this thread's priority: a plain wait, handed to, that cannot run
    // before this thread waits.
    receiver = KtStartThread(KtLpcHandedReceiver, handed,
                             PsGetCurrentThread()->Tcb.Priority - 2);
    KT_EXPECT(receiver != NULL);
    for (int i = 0; i < 100; i++) {
        if (receiver->Tcb.State == Waiting && receiver->Tcb.WaitReason == WrLpcReceive)
            break;
        KtSleep(10);
    }
    KT_EXPECT(receiver->Tcb.State == Waiting && receiver->Tcb.WaitReason == WrLpcReceive);
    memset(&datagram, 0, sizeof(datagram));
    datagram.h.u1.s1.DataLength = sizeof(datagram.Data);
    datagram.h.u1.s1.TotalLength = sizeof(datagram);
    datagram.Data[0] = 0x4242;
    KT_EXPECT_EQ(LpcRequestPort(handed->Port, &datagram.h), STATUS_SUCCESS);
    message = receiver->LpcHandoffMessage;
    KT_CHECK(message != NULL && IsListEmpty(&handed->Port->MsgQueue.ReceiveHead));
    if (message) {
        KtLpcRunf("!lpc port %llx", (ULONG64)handed->Port);
        KtLpcExpect("    Semaphore state 0 (0x0)\n"
                    "        Messages in queue:\n"
                    "        0000 %016llx - Busy  Id=%08x  From: ",
                    KT_ADDRESS(message), message->Request.MessageId);
        KtLpcExpect("                   Data: 00004242 00000000\n"
                    "    The message queue contains 1 messages\n");
        KT_CHECK(!KtLpcFind(KtLpcOutput, "The message queue is empty"));
        KtLpcRun("!lpc message");
        KtLpcExpect(" %016llx - Busy  Id=%08x", KT_ADDRESS(message),
                    message->Request.MessageId);
        KtLpcExpect("        In the message queue of port %016llx\n",
                    KT_ADDRESS(handed->Port));
        KtLpcRun("!lpc PoolSearch");
        KtLpcRunf("!lpc message %llx", message->Request.MessageId);
        KtLpcExpect("        In the message queue of port %016llx\n",
                    KT_ADDRESS(handed->Port));
        KtLpcRun("!lpc PoolSearch");
        KtLpcExpect("LPC pool search is now OFF");
    }
    // Still handed, not taken: the debugger only looked.
    KT_CHECK(receiver->LpcHandoffMessage == message);
    KT_EXPECT(KtJoinThread(receiver));
    KT_EXPECT_EQ(handed->Status, STATUS_SUCCESS);
    ObDereferenceObject(handed->Port);
}
