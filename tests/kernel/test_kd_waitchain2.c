// !waitchain across processes and subsystems: an LPC request whose server
// thread holds its message id (a fact), one handed to a worker that does not
// (ranked candidates, as the first case study's lsass), an IRP pending in a
// driver whose work item waits behind a blocked worker queue, and a user
// critical section read from the program's memory.

#include "tests/kernel/ktkd.h"
#include "tests/kernel/ktio.h"
#include "lpc/lpcp.h"
#include "ex/ex.h"

#define KT_WC2_MESSAGE_DATA 4

typedef struct _KT_WC2_MESSAGE {
    PORT_MESSAGE h;
    ULONG Data[KT_WC2_MESSAGE_DATA];
} KT_WC2_MESSAGE;

typedef union _KT_WC2_BUFFER {
    PORT_MESSAGE h;
    UCHAR Bytes[LPCP_MAX_MESSAGE_LENGTH];
} KT_WC2_BUFFER;

// One LPC scene: a client in one process, a server (and a worker) in
// another, and what the server ends up waiting on in a third and fourth.
typedef struct _KT_WC2_LPC {
    KEVENT Release;
    KEVENT PortReady;
    KEVENT HandOff;             // dispatcher to worker
    KEVENT Received;            // the server (or the worker) has the request
    KMUTANT Lock;               // owned by the lock holder
    KEVENT LockTaken;
    LPCP_PORT_OBJECT *Port;
    KT_WC2_BUFFER Request;      // as received
    BOOLEAN HandsOff;           // lsass style: a worker takes the request
    ETHREAD *Client, *Server, *Worker, *Decoy, *Holder, *Last;
    EPROCESS *Processes[4];
    NTSTATUS ClientStatus;
} KT_WC2_LPC;

static KT_WC2_LPC KtWc2Lpc;

static void KtWc2Reply(KT_WC2_LPC *scene)
{
    LPCP_MESSAGE *reply = LpcpAllocateMessage();

    if (!reply)
        return;
    memcpy(&reply->Request, &scene->Request, scene->Request.h.u1.s1.TotalLength);
    reply->Request.u2.s2.Type = LPC_REPLY;
    LpcpReply(scene->Port, reply, FALSE);
}

// Waits on `object` and Release; a mutant got is given back.
static void KtWc2Block(KT_WC2_LPC *scene, void *object)
{
    void *objects[2] = { object, &scene->Release };

    if (!object) {
        KeWaitForSingleObject(&scene->Release, Executive, KernelMode, FALSE, NULL);
        return;
    }
    if (KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode, FALSE, NULL, NULL) ==
            STATUS_WAIT_0 && object == &scene->Lock)
        KeReleaseMutant(&scene->Lock, 1, FALSE, FALSE);
}

// The server: makes the port (so its process is the server process),
// receives one request, then either works on it (blocking on the lock) or
// hands it to the worker and receives a datagram, which overwrites its
// LpcReceivedMessageId, and waits for the next message.
static void KtWc2Server(void *context)
{
    KT_WC2_LPC *scene = context;
    LARGE_INTEGER limit = KtRelativeTime(20000);
    KT_WC2_BUFFER other;
    void *portContext;

    if (!NT_SUCCESS(LpcpCreatePort(0, sizeof(KT_WC2_MESSAGE), FALSE, &scene->Port))) {
        KeSetEvent(&scene->PortReady, 0, FALSE);
        PsTerminateSystemThread(STATUS_UNSUCCESSFUL);
    }
    KeSetEvent(&scene->PortReady, 0, FALSE);
    if (LpcpReceive(scene->Port, KernelMode, &limit, &scene->Request.h, &portContext) ==
        STATUS_SUCCESS) {
        if (!scene->HandsOff) {
            KeSetEvent(&scene->Received, 0, FALSE);
            KtWc2Block(scene, &scene->Lock);
            KtWc2Reply(scene);
        } else {
            KeSetEvent(&scene->HandOff, 0, FALSE);
            LpcpReceive(scene->Port, KernelMode, &limit, &other.h, &portContext);
            LpcpReceive(scene->Port, KernelMode, &limit, &other.h, &portContext);
        }
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

// Takes the request from the dispatcher and, as lsass's workers do, works
// on it as the client: it impersonates the client's token.
static void KtWc2Worker(void *context)
{
    KT_WC2_LPC *scene = context;
    SECURITY_QUALITY_OF_SERVICE qos = {.Length = sizeof(qos),
                                       .ImpersonationLevel = SecurityImpersonation,
                                       .ContextTrackingMode = SECURITY_STATIC_TRACKING};
    SECURITY_CLIENT_CONTEXT client;
    BOOLEAN captured, impersonating = FALSE;

    KeWaitForSingleObject(&scene->HandOff, Executive, KernelMode, FALSE, NULL);
    captured = NT_SUCCESS(SeCreateClientSecurity(scene->Client, &qos, FALSE, &client));
    if (captured)
        impersonating = NT_SUCCESS(SeImpersonateClientEx(&client, PsGetCurrentThread()));
    KeSetEvent(&scene->Received, 0, FALSE);
    KtWc2Block(scene, &scene->Lock);
    KtWc2Reply(scene);
    if (impersonating)
        PsRevertToSelf();
    if (captured)
        SeDeleteClientSecurity(&client);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static void KtWc2Decoy(void *context)
{
    KtWc2Block(context, NULL);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static void KtWc2Client(void *context)
{
    KT_WC2_LPC *scene = context;
    KT_WC2_MESSAGE request, reply;

    memset(&request, 0, sizeof(request));
    request.h.u1.s1.DataLength = sizeof(request.Data);
    request.h.u1.s1.TotalLength = sizeof(request);
    scene->ClientStatus = LpcRequestWaitReplyPort(scene->Port, &request.h, &reply.h);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

// Takes the lock, then waits for the last thread to end.
static void KtWc2Holder(void *context)
{
    KT_WC2_LPC *scene = context;

    KeWaitForSingleObject(&scene->Lock, Executive, KernelMode, FALSE, NULL);
    KeSetEvent(&scene->LockTaken, 0, FALSE);
    KtWc2Block(scene, scene->Last ? &scene->Last->Tcb : NULL);
    KeReleaseMutant(&scene->Lock, 1, FALSE, FALSE);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static void KtWc2LastRoutine(void *context)
{
    KtWc2Block(context, NULL);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static ETHREAD *KtWc2Start(EPROCESS *process, PKSTART_ROUTINE routine, void *context)
{
    ETHREAD *thread = NULL;

    if (!NT_SUCCESS(PsCreateSystemThreadEx(process, routine, context, KT_LOW_PRIORITY, NULL,
                                           &thread)))
        return NULL;
    return thread;
}

static BOOLEAN KtWc2Build(KT_WC2_LPC *scene, BOOLEAN handsOff)
{
    static const char *const images[4] = { "ktwcclnt.exe", "ktwcsrv.exe", "ktwclock.exe",
                                           "ktwclast.exe" };

    memset(scene, 0, sizeof(*scene));
    scene->HandsOff = handsOff;
    KeInitializeEvent(&scene->Release, NotificationEvent, FALSE);
    KeInitializeEvent(&scene->PortReady, NotificationEvent, FALSE);
    KeInitializeEvent(&scene->HandOff, SynchronizationEvent, FALSE);
    KeInitializeEvent(&scene->Received, NotificationEvent, FALSE);
    KeInitializeEvent(&scene->LockTaken, NotificationEvent, FALSE);
    KeInitializeMutant(&scene->Lock, FALSE);
    for (ULONG i = 0; i < 4; i++) {
        if (!NT_SUCCESS(PspCreateProcess(images[i], PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                         &scene->Processes[i])))
            return FALSE;
    }
    scene->Last = KtWc2Start(scene->Processes[3], KtWc2LastRoutine, scene);
    scene->Holder = KtWc2Start(scene->Processes[2], KtWc2Holder, scene);
    if (!scene->Last || !scene->Holder || KtWait(&scene->LockTaken) != STATUS_WAIT_0)
        return FALSE;
    scene->Server = KtWc2Start(scene->Processes[1], KtWc2Server, scene);
    if (handsOff) {
        scene->Worker = KtWc2Start(scene->Processes[1], KtWc2Worker, scene);
        scene->Decoy = KtWc2Start(scene->Processes[1], KtWc2Decoy, scene);
        KtSleep(200);       // the decoy's wait starts long before the client's
    }
    if (!scene->Server || KtWait(&scene->PortReady) != STATUS_WAIT_0 || !scene->Port)
        return FALSE;
    scene->Client = KtWc2Start(scene->Processes[0], KtWc2Client, scene);
    if (!scene->Client || KtWait(&scene->Received) != STATUS_WAIT_0)
        return FALSE;
    if (handsOff) {
        KT_WC2_MESSAGE datagram;

        memset(&datagram, 0, sizeof(datagram));
        datagram.h.u1.s1.DataLength = sizeof(datagram.Data);
        datagram.h.u1.s1.TotalLength = sizeof(datagram);
        if (LpcRequestPort(scene->Port, &datagram.h) != STATUS_SUCCESS)
            return FALSE;
    }
    KtSleep(100);
    return scene->Client->Tcb.State == Waiting &&
           scene->Client->Tcb.WaitReason == WrLpcReply &&
           KtWaitUntilWaitingOn(handsOff ? scene->Worker : scene->Server, &scene->Lock);
}

static void KtWc2TearDown(KT_WC2_LPC *scene)
{
    ETHREAD *threads[] = { scene->Client, scene->Server, scene->Worker, scene->Decoy,
                           scene->Holder, scene->Last };

    KeSetEvent(&scene->Release, 0, FALSE);
    KeSetEvent(&scene->HandOff, 0, FALSE);
    if (scene->Port && scene->HandsOff) {
        KT_WC2_MESSAGE datagram;

        // Unblocks the dispatcher's last receive.
        memset(&datagram, 0, sizeof(datagram));
        datagram.h.u1.s1.DataLength = sizeof(datagram.Data);
        datagram.h.u1.s1.TotalLength = sizeof(datagram);
        LpcRequestPort(scene->Port, &datagram.h);
    }
    for (ULONG i = 0; i < ARRAYSIZE(threads); i++) {
        if (threads[i])
            KT_CHECK(KtJoinThread(threads[i]));
    }
    if (scene->Port)
        ObDereferenceObject(scene->Port);
    for (ULONG i = 0; i < 4; i++) {
        if (scene->Processes[i]) {
            KT_CHECK_EQ(KtWait(&scene->Processes[i]->Pcb), STATUS_WAIT_0);
            ObDereferenceObject(scene->Processes[i]);
        }
    }
}

// ktwcclnt -> (LPC, the id held) ktwcsrv -> (mutant) ktwclock -> (thread) ktwclast.
KTEST(WaitChainFollowsLpcAcrossFourProcesses)
{
    KT_WC2_LPC *scene = &KtWc2Lpc;
    ULONG id;

    KT_CHECK(KtWc2Build(scene, FALSE));
    id = scene->Client->LpcReplyMessageId;
    KtKdRunf("!waitchain %s", KT_KD_HEX(scene->Client));
    KtKdExpect("[0] THREAD %s (ktwcclnt.exe Cid", KT_KD_HEX(scene->Client));
    KtKdExpect("WAIT: (WrLpcReply) KernelMode Non-Alertable");
    KtKdExpect("    waits for THREAD %s: LPC MessageId %08x (ETHREAD.LpcReplyMessageId): THREAD "
               "%s has it as its LpcReceivedMessageId (!lpc message %x)",
               KT_KD_HEX(scene->Server), id, KT_KD_HEX(scene->Server), id);
    KtKdExpect("[1] THREAD %s (ktwcsrv.exe Cid", KT_KD_HEX(scene->Server));
    KtKdExpect("    waits for THREAD %s: Mutant %s (WaitAny): KMUTANT.OwnerThread is %s",
               KT_KD_HEX(scene->Holder), KT_KD_HEX(&scene->Lock), KT_KD_HEX(scene->Holder));
    KtKdExpect("[2] THREAD %s (ktwclock.exe Cid", KT_KD_HEX(scene->Holder));
    KtKdExpect("    waits for THREAD %s: Thread %s", KT_KD_HEX(scene->Last),
               KT_KD_HEX(scene->Last));
    KtKdExpect("[3] THREAD %s (ktwclast.exe Cid", KT_KD_HEX(scene->Last));
    KtKdExpect("Root: THREAD %s (ktwclast.exe Cid", KT_KD_HEX(scene->Last));
    // The forest: the four in one tree, the client deepest.
    KtKdRun("!waitchain -a 0");
    KtKdExpect("THREAD %s (ktwclast.exe", KT_KD_HEX(scene->Last));
    KtKdExpect("      <- THREAD %s (ktwcclnt.exe", KT_KD_HEX(scene->Client));
    KtWc2TearDown(scene);
    KT_CHECK_EQ(scene->ClientStatus, STATUS_SUCCESS);
}

// The request handed to a worker: no thread holds the id; the worker has
// the client's Wait Start TickCount (or one within two ticks), the decoy
// does not, the dispatcher waits in WrLpcReceive.
KTEST(WaitChainRanksLpcCandidatesWhenNoneHoldsTheId)
{
    KT_WC2_LPC *scene = &KtWc2Lpc;
    ULONG id;

    KT_CHECK(KtWc2Build(scene, TRUE));
    id = scene->Client->LpcReplyMessageId;
    KT_CHECK(scene->Server->LpcReceivedMessageId != id);
    KtKdRunf("!waitchain %s", KT_KD_HEX(scene->Client));
    KtKdExpect("    LPC MessageId %08x is received from port %s; no thread's "
               "LpcReceivedMessageId holds it", id, KT_KD_HEX(scene->Port));
    KtKdExpect("    candidates in the server process %s (ktwcsrv.exe), 1 threads in "
               "WrLpcReceive left out:", KT_KD_HEX(scene->Processes[1]));
    KtKdExpect("    candidate 1: THREAD %s (ktwcsrv.exe", KT_KD_HEX(scene->Worker));
    KtKdExpect("not in WrLpcReceive, impersonating the client's user\n");
    KtKdExpect("    candidate 2: THREAD %s (ktwcsrv.exe", KT_KD_HEX(scene->Decoy));
    KtKdExpect("(not the client's), not in WrLpcReceive, not impersonating");
    KtKdExpect("    candidate (not proven): THREAD %s: LPC MessageId %08x received from port %s, "
               "server ktwcsrv.exe: no thread holds the id; candidate THREAD %s",
               KT_KD_HEX(scene->Worker), id, KT_KD_HEX(scene->Port), KT_KD_HEX(scene->Worker));
    KtKdExpect("Wait Start TickCount and impersonates its user\n");
    KtKdExpect("[1] THREAD %s (ktwcsrv.exe", KT_KD_HEX(scene->Worker));
    KtKdExpect("    waits for THREAD %s: Mutant %s", KT_KD_HEX(scene->Holder),
               KT_KD_HEX(&scene->Lock));
    KtKdExpect("Root: THREAD %s (ktwclast.exe", KT_KD_HEX(scene->Last));
    // The dispatcher thread, back in its receive with nothing queued, waits
    // by design.
    KT_CHECK_EQ(scene->Server->Tcb.WaitReason, WrLpcReceive);
    KtKdRunf("!waitchain %s", KT_KD_HEX(scene->Server));
    KtKdExpect("    ends here: waits by design: a server's receive (WrLpcReceive), its queue "
               "empty (Semaphore ");
    KtKdExpect(": waits by design: not hung\n");
    KtWc2TearDown(scene);
    KT_CHECK_EQ(scene->ClientStatus, STATUS_SUCCESS);
}

// ---- An IRP pending in a driver whose work items wait behind a stuck queue ---------

typedef struct _KT_WC2_IO {
    KEVENT Release;
    KEVENT IrpEvent;
    IO_STATUS_BLOCK Iosb;
    WORK_QUEUE_ITEM Blocker;
    volatile LONG ItemsRun;
    volatile LONG BlockerRunning;
    ETHREAD *Requester;
    IRP *Irp;
} KT_WC2_IO;

static KT_WC2_IO KtWc2Io;

static void KtWc2BlockWorker(void *context)
{
    KT_WC2_IO *io = context;

    __atomic_store_n(&io->BlockerRunning, 1, __ATOMIC_RELEASE);
    KeWaitForSingleObject(&io->Release, Executive, KernelMode, FALSE, NULL);
}

static void KtWc2DriverItem(DEVICE_OBJECT *device, void *context)
{
    (void)device;
    KeWaitForSingleObject(&KtWc2Io.Release, Executive, KernelMode, FALSE, NULL);
    IoFreeWorkItem(context);
    __atomic_add_fetch(&KtWc2Io.ItemsRun, 1, __ATOMIC_RELEASE);
}

static void KtWc2Requester(void *context)
{
    KT_WC2_IO *io = context;

    io->Irp = IoBuildDeviceIoControlRequest(IOCTL_KTIO_HOLD, KtIoPendDevice, NULL, 0, NULL, 0,
                                            FALSE, &io->IrpEvent, &io->Iosb);
    if (io->Irp && IoCallDriver(KtIoPendDevice, io->Irp) == STATUS_PENDING)
        KeWaitForSingleObject(&io->IrpEvent, Executive, KernelMode, FALSE, NULL);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

KTEST(WaitChainFollowsAnIrpToItsDriversWorkItemsAndTheBlockedWorker)
{
    KT_WC2_IO *io = &KtWc2Io;
    EX_WORK_QUEUE *queue = &ExWorkerQueue[HyperCriticalWorkQueue];
    ULONG queued = 0;

    memset(io, 0, sizeof(*io));
    KeInitializeEvent(&io->Release, NotificationEvent, FALSE);
    KeInitializeEvent(&io->IrpEvent, NotificationEvent, FALSE);
    KT_EXPECT_EQ(KtIoStartDrivers(), STATUS_SUCCESS);
    // The HyperCritical queue's one worker blocks; the driver's items queue
    // behind it.
    ExInitializeWorkItem(&io->Blocker, KtWc2BlockWorker, io);
    ExQueueWorkItem(&io->Blocker, HyperCriticalWorkQueue);
    KT_CHECK(KtWaitUntilEqual(&io->BlockerRunning, 1));
    for (ULONG i = 0; i < 3; i++) {
        IO_WORKITEM *item = IoAllocateWorkItem(KtIoPendDevice);

        if (item) {
            IoQueueWorkItem(item, KtWc2DriverItem, HyperCriticalWorkQueue, item);
            queued++;
        }
    }
    io->Requester = KtStartThread(KtWc2Requester, io, KT_LOW_PRIORITY);
    KT_CHECK(io->Requester && KtWaitUntilWaitingOn(io->Requester, &io->IrpEvent));
    KtKdRunf("!waitchain %s", KT_KD_HEX(io->Requester));
    KtKdExpect("    IRP %s: stack location ", KT_KD_HEX(io->Irp));
    KtKdExpect("is current, device %s (\\Driver\\KtIoPend)", KT_KD_HEX(KtIoPendDevice));
    KtKdExpect("work items of \\Driver\\KtIoPend wait in the HyperCritical queue; the first at "
               "position ");
    KtKdExpect("    candidate (not proven): THREAD ");
    KtKdExpect(": IRP %s pending in \\Driver\\KtIoPend: its work item waits at position ",
               KT_KD_HEX(io->Irp));
    KtKdExpect("in the HyperCritical queue, whose ");
    KtKdExpect("ends here: NotificationEvent %s: no owner", KT_KD_HEX(&io->Release));
    KtKdExpect("; a HyperCritical queue worker inside an item's routine, ");
    KtKdRun("!analyze -hang");
    KtKdExpect("    HyperCritical queue %s: ", KT_KD_HEX(queue));
    KeSetEvent(&io->Release, 0, FALSE);
    KtIoCompleteHeld(STATUS_SUCCESS);
    KT_CHECK(io->Requester && KtJoinThread(io->Requester));
    KT_CHECK(KtWaitUntilEqual(&io->ItemsRun, (LONG)queued));
    KtIoStopDrivers();
}

// ---- A user critical section ---------------------------------------------------------------

// twaitcs.exe: its second thread holds a critical section and waits on an
// event nobody sets; its first thread then enters the section.
KTEST(WaitChainReadsAUserCriticalSectionsOwner)
{
    EPROCESS *process;
    ETHREAD *waiter = NULL, *owner = NULL;
    LIST_ENTRY *entry;

    KT_EXPECT(NT_SUCCESS(PsStartUserProgram("twaitcs", NULL, &process)));
    // Up to 5 s for both threads to settle.
    for (ULONG tries = 0; tries < 500 && !(waiter && owner); tries++) {
        KtSleep(10);
        waiter = owner = NULL;
        for (entry = process->ThreadListHead.Flink; entry != &process->ThreadListHead;
             entry = entry->Flink) {
            ETHREAD *thread = CONTAINING_RECORD(entry, ETHREAD, ThreadListEntry);
            KWAIT_BLOCK *block = thread->Tcb.WaitBlockList;

            if (thread->Tcb.State != Waiting || thread->Tcb.WaitReason != UserRequest ||
                !block)
                continue;
            if (((DISPATCHER_HEADER *)block->Object)->Type == EventSynchronizationObject)
                waiter = thread;
            else if (((DISPATCHER_HEADER *)block->Object)->Type == EventNotificationObject)
                owner = thread;
        }
    }
    KT_CHECK(waiter && owner);
    if (waiter && owner) {
        KtKdRunf("!waitchain %s", KT_KD_HEX(waiter));
        KtKdExpect("[0] THREAD %s (twaitcs.exe Cid", KT_KD_HEX(waiter));
        KtKdExpect("in twaitcs!");
        KtKdExpect("    waits for THREAD %s: critical section ", KT_KD_HEX(owner));
        KtKdExpect(": its OwningThread is %llx, THREAD %s",
                   (unsigned long long)(ULONG_PTR)owner->Cid.UniqueThread, KT_KD_HEX(owner));
        KtKdExpect("Root: THREAD %s (twaitcs.exe", KT_KD_HEX(owner));
        KtKdExpect("candidate: PROCESS %s (twaitcs.exe", KT_KD_HEX(process));
    }
    PsTerminateProcess(process, STATUS_SUCCESS);
    KT_CHECK_EQ(KtWait(&process->Pcb), STATUS_WAIT_0);
    ObDereferenceObject(process);
}

// ---- A request nobody has received ---------------------------------------------------------

typedef struct _KT_WC2_IDLE_SERVER {
    KEVENT Release;
    KEVENT PortReady;
    LPCP_PORT_OBJECT *Port;
} KT_WC2_IDLE_SERVER;

static KT_WC2_IDLE_SERVER KtWc2Idle;

// Makes the port, then never receives: it waits on Release.
static void KtWc2IdleServer(void *context)
{
    KT_WC2_IDLE_SERVER *server = context;

    LpcpCreatePort(0, sizeof(KT_WC2_MESSAGE), FALSE, &server->Port);
    KeSetEvent(&server->PortReady, 0, FALSE);
    KeWaitForSingleObject(&server->Release, Executive, KernelMode, FALSE, NULL);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static void KtWc2IdleClient(void *context)
{
    KT_WC2_IDLE_SERVER *server = context;
    KT_WC2_MESSAGE request, reply;

    memset(&request, 0, sizeof(request));
    request.h.u1.s1.DataLength = sizeof(request.Data);
    request.h.u1.s1.TotalLength = sizeof(request);
    // Answered by the test thread once it has looked.
    LpcRequestWaitReplyPort(server->Port, &request.h, &reply.h);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

// The client's request is still queued: the chain says where, ranks the
// server's one thread (its wait began long before), follows no one.
KTEST(WaitChainFindsAnLpcRequestStillQueued)
{
    KT_WC2_IDLE_SERVER *server = &KtWc2Idle;
    ETHREAD *serverThread = NULL, *client = NULL;
    EPROCESS *process = NULL;

    memset(server, 0, sizeof(*server));
    KeInitializeEvent(&server->Release, NotificationEvent, FALSE);
    KeInitializeEvent(&server->PortReady, NotificationEvent, FALSE);
    KT_EXPECT(NT_SUCCESS(PspCreateProcess("ktwcidle.exe", PsInitialSystemProcess,
                                          NORMAL_BASE_PRIORITY, &process)));
    serverThread = KtWc2Start(process, KtWc2IdleServer, server);
    KT_CHECK(serverThread && KtWait(&server->PortReady) == STATUS_WAIT_0 && server->Port);
    if (server->Port) {
        KtSleep(100);
        client = KtStartThread(KtWc2IdleClient, server, KT_LOW_PRIORITY);
        KtSleep(100);
        KT_CHECK(client && client->Tcb.State == Waiting && client->Tcb.WaitReason == WrLpcReply);
        KtKdRunf("!waitchain %s", KT_KD_HEX(client));
        KtKdExpect("    LPC MessageId %08x is queued at port %s, position 1 of 1; no thread's "
                   "LpcReceivedMessageId holds it", client ? client->LpcReplyMessageId : 0,
                   KT_KD_HEX(server->Port));
        KtKdExpect("    candidate 1: THREAD %s (ktwcidle.exe", KT_KD_HEX(serverThread));
        KtKdExpect("    ends here: LPC MessageId %08x queued at port %s, position 1 of 1, server "
                   "ktwcidle.exe: no thread holds the id and no candidate stands out (1 ranked)",
                   client ? client->LpcReplyMessageId : 0, KT_KD_HEX(server->Port));
        KtKdRun("!analyze -hang");
        KtKdExpect("    port %s (unnamed): 1 messages queued (!lpc port ",
                   KT_KD_HEX(server->Port));
    }
    KeSetEvent(&server->Release, 0, FALSE);
    if (serverThread)
        KT_CHECK(KtJoinThread(serverThread));
    if (server->Port && client) {
        // The test thread answers the request itself.
        LARGE_INTEGER limit = KtRelativeTime(5000);
        KT_WC2_BUFFER request;
        LPCP_MESSAGE *reply;
        void *portContext;

        KT_CHECK_EQ(LpcpReceive(server->Port, KernelMode, &limit, &request.h, &portContext),
                    STATUS_SUCCESS);
        reply = LpcpAllocateMessage();
        KT_CHECK(reply != NULL);
        if (reply) {
            memcpy(&reply->Request, &request, request.h.u1.s1.TotalLength);
            reply->Request.u2.s2.Type = LPC_REPLY;
            KT_CHECK_EQ(LpcpReply(server->Port, reply, FALSE), STATUS_SUCCESS);
        }
    }
    if (client)
        KT_CHECK(KtJoinThread(client));
    if (server->Port)
        ObDereferenceObject(server->Port);
    KT_CHECK_EQ(KtWait(&process->Pcb), STATUS_WAIT_0);
    ObDereferenceObject(process);
}

// ---- !analyze -hang's system facts --------------------------------------------------------

#define KT_WC2_GROW_TAG POOL_TAG('K', 't', 'W', 'g')

static void KtWc2Return(void *context)
{
    (void)context;
    PsTerminateSystemThread(STATUS_SUCCESS);
}

// A tag that grew between two reports is named with its growth; a process
// whose thread has ended, still referenced, is a zombie of its image.
KTEST(AnalyzeHangReportsGrowingPoolTagsAndZombies)
{
    void *blocks[3] = { NULL, NULL, NULL };
    EPROCESS *zombie = NULL;
    ETHREAD *thread = NULL;

    KT_EXPECT(NT_SUCCESS(PspCreateProcess("ktwczomb.exe", PsInitialSystemProcess,
                                          NORMAL_BASE_PRIORITY, &zombie)));
    thread = KtWc2Start(zombie, KtWc2Return, NULL);
    KT_CHECK(thread && KtJoinThread(thread));
    KT_CHECK_EQ(KtWait(&zombie->Pcb), STATUS_WAIT_0);
    // As the debugger does each time it resumes the system.
    KdpRecordPoolBaseline(TRUE);
    for (ULONG i = 0; i < ARRAYSIZE(blocks); i++)
        blocks[i] = ExAllocatePoolWithTag(NonPagedPool, 1000, KT_WC2_GROW_TAG);
    KtKdRun("!analyze -hang");
    KtKdExpect("POOL TAGS GROWN SINCE THE LAST BREAK-IN (the system resumed ");
    KtKdExpect("    KtWg +");
    KtKdExpect(" bytes, +3 allocations outstanding (!poolused 4 KtWg)");
    KtKdExpect("ZOMBIE PROCESSES (ended, still referenced): ");
    KtKdExpect(" ktwczomb.exe\n");
    for (ULONG i = 0; i < ARRAYSIZE(blocks); i++) {
        if (blocks[i])
            ExFreePoolWithTag(blocks[i], KT_WC2_GROW_TAG);
    }
    ObDereferenceObject(zombie);
}

// ---- ALPC: the message's ServerThread ----------------------------------------------------

// twaitalpc.exe: its main thread received its client thread's synchronous
// request and waits on an event nobody sets, without replying; started as
// "twaitalpc queued", it never receives the request.
static BOOLEAN KtWc2FindAlpcThreads(EPROCESS *process, ETHREAD **client, ETHREAD **server)
{
    for (ULONG tries = 0; tries < 500 && !(*client && *server); tries++) {
        KtSleep(10);
        *client = *server = NULL;
        for (LIST_ENTRY *entry = process->ThreadListHead.Flink;
             entry != &process->ThreadListHead; entry = entry->Flink) {
            ETHREAD *thread = CONTAINING_RECORD(entry, ETHREAD, ThreadListEntry);
            KWAIT_BLOCK *block = thread->Tcb.WaitBlockList;

            if (thread->Tcb.State != Waiting || !block)
                continue;
            if (thread->Tcb.WaitReason == WrLpcReply && thread->AlpcMessageId)
                *client = thread;
            else if (thread->Tcb.WaitReason == UserRequest &&
                     ((DISPATCHER_HEADER *)block->Object)->Type == EventNotificationObject)
                *server = thread;
        }
    }
    return *client && *server;
}

KTEST(WaitChainFollowsAnAlpcRequestToItsServerThread)
{
    EPROCESS *process;
    ETHREAD *client = NULL, *server = NULL;

    KT_EXPECT(NT_SUCCESS(PsStartUserProgram("twaitalpc", NULL, &process)));
    KT_CHECK(KtWc2FindAlpcThreads(process, &client, &server));
    if (client && server) {
        KtKdRunf("!waitchain %s", KT_KD_HEX(client));
        KtKdExpect("[0] THREAD %s (twaitalpc.exe Cid", KT_KD_HEX(client));
        KtKdExpect("WAIT: (WrLpcReply) UserMode");
        KtKdExpect("    waits for THREAD %s: ALPC message %s (ETHREAD.AlpcMessage, MessageId ",
                   KT_KD_HEX(server), KT_KD_HEX(client->AlpcMessage));
        KtKdExpect("on the pending queue): its ServerThread is %s (dt nt!_KALPC_MESSAGE ",
                   KT_KD_HEX(server));
        KtKdExpect("Root: THREAD %s (twaitalpc.exe", KT_KD_HEX(server));
    }
    PsTerminateProcess(process, STATUS_SUCCESS);
    KT_CHECK_EQ(KtWait(&process->Pcb), STATUS_WAIT_0);
    ObDereferenceObject(process);
}

KTEST(WaitChainRanksTheAlpcQueueOwnersThreadsBeforeAnyReceive)
{
    EPROCESS *process;
    ETHREAD *client = NULL, *server = NULL;

    KT_EXPECT(NT_SUCCESS(PsStartUserProgram("twaitalpc", "twaitalpc queued", &process)));
    KT_CHECK(KtWc2FindAlpcThreads(process, &client, &server));
    if (client && server) {
        KtKdRunf("!waitchain %s", KT_KD_HEX(client));
        KtKdExpect("    ALPC message %s (MessageId ", KT_KD_HEX(client->AlpcMessage));
        KtKdExpect(") is on the main queue of port ");
        KtKdExpect(", owned by process %s (twaitalpc.exe); no server thread has received it",
                   KT_KD_HEX(process));
        KtKdExpect("    candidate 1: THREAD %s (twaitalpc.exe", KT_KD_HEX(server));
    }
    PsTerminateProcess(process, STATUS_SUCCESS);
    KT_CHECK_EQ(KtWait(&process->Pcb), STATUS_WAIT_0);
    ObDereferenceObject(process);
}
