// !alpc's edge cases: what is not a port, a message or a process (a freed
// message block, another pool block, the middle of one, an unmapped
// address, a thread) is an error line, never a listing; its options; and
// !thread's impersonation line. Then !alpc and !thread's ALPC line read
// against real ALPC state: demo=alpc's chain (kernel/kd/demoalpc.c) of
// three user processes, alpcapp.exe -> alpcsvc.exe -> alpcdb.exe, each
// request waiting on the next, every line checked against the structures
// themselves; torn down, its message is freed under the debugger, which
// says so.

#include "tests/kernel/ktkd.h"
#include "alpc/alpcp.h"
#include "mm/mm.h"

#define KT_ALPC_OTHER_TAG POOL_TAG('K', 't', 'A', 'x')

// A block freed, or another block, or the middle of one: never a message.
KTEST(KdAlpcMessageMustBeAnAllocatedAlMsBlock)
{
    KALPC_MESSAGE *freed = ExAllocatePoolWithTag(NonPagedPool, sizeof(KALPC_MESSAGE) + 0x40,
                                                 ALPC_MESSAGE_TAG);
    void *other = ExAllocatePoolWithTag(NonPagedPool, sizeof(KALPC_MESSAGE), KT_ALPC_OTHER_TAG);

    KT_EXPECT(freed && other);
    if (!freed || !other)
        return;
    memset(freed, 0, sizeof(*freed));
    freed->PortMessage.MessageId = 0x1234;
    freed->PortMessage.u2.s2.Type = LPC_REQUEST | LPC_CONTINUATION_REQUIRED;
    freed->u1.s1.QueueType = ALPC_MSGQUEUE_MAIN;
    freed->u1.s1.Canceled = 1;
    KtKdRunf("!alpc /m %llx", KT_KD_ADDRESS(freed));
    KtKdExpect("  MessageID             : 0x1234 (4660)\n");
    KtKdExpect("  Canceled              : Yes\n");
    KtKdExpect("  Continuation          : Yes\n");
    KtKdExpect("  OwnerPort             : 0000000000000000\n");
    KtKdExpect("  QueueType             : ALPC_MSGQUEUE_MAIN\n");
    KtKdExpect("  QueuePortOwnerProcess : 0000000000000000\n");
    KtKdRunf("!alpc /m %llx", KT_KD_ADDRESS(freed) + 8);
    KtKdExpect("%016llx is not an ALPC message: the AlMs block starts at %016llx\n",
               KT_KD_ADDRESS(freed) + 8, KT_KD_ADDRESS(freed));
    ExFreePoolWithTag(freed, ALPC_MESSAGE_TAG);
    KtKdRunf("!alpc /m %llx", KT_KD_ADDRESS(freed));
    KtKdExpect("%016llx is not an ALPC message: ", KT_KD_ADDRESS(freed));
    KT_EXPECT(!KtKdFind(KtKdOutput, "Message @"));
    KtKdRunf("!alpc /m %llx", KT_KD_ADDRESS(other));
    KtKdExpect("%016llx is not an ALPC message: its pool block is tagged KtAx, not AlMs\n",
               KT_KD_ADDRESS(other));
    ExFreePoolWithTag(other, KT_ALPC_OTHER_TAG);
    KtKdRun("!alpc /m 10");
    KtKdExpect("0000000000000010 is not an ALPC message: it is not in a pool block\n");
    KtKdRun("!alpc /M ffffffffffff0000");
    KtKdExpect("ffffffffffff0000 is not an ALPC message: it is not in a pool block\n");
}

KTEST(KdAlpcPortAndProcessFormsRefuseOtherThings)
{
    ETHREAD *self = PsGetCurrentThread();

    KtKdRunf("!alpc /p %llx", KT_KD_ADDRESS(self));
    KtKdExpect("%016llx is not an ALPC port: its object type is not ALPC Port\n",
               KT_KD_ADDRESS(self));
    KtKdRun("!alpc /p 10");
    KtKdExpect("0000000000000010 is not an ALPC port: its object header cannot be read\n");
    KtKdRunf("!alpc /lpc %llx", KT_KD_ADDRESS(self));
    KtKdExpect("is not an ALPC port: its object type is not ALPC Port\n");
    KtKdRunf("!alpc /lpp %llx", KT_KD_ADDRESS(self));
    KtKdExpect("is not a process");
    KT_EXPECT(!KtKdFind(KtKdOutput, "Ports created"));
    // The System process owns no ALPC port: two empty lists.
    KtKdRunf("!alpc /lpp %llx", KT_KD_ADDRESS(PsInitialSystemProcess));
    KtKdExpect("\nPorts created by the process %016llx:\n\n\nPorts the process %016llx is "
               "connected to:\n\n", KT_KD_ADDRESS(PsInitialSystemProcess),
               KT_KD_ADDRESS(PsInitialSystemProcess));
}

KTEST(KdAlpcUsageAndBadOptions)
{
    KtKdRun("!alpc");
    KtKdExpect("Usage:\n    !alpc /m MessageAddress");
    KtKdRun("!alpc /?");
    KtKdExpect("Usage:\n");
    KT_EXPECT(!KtKdFind(KtKdOutput, "needed"));
    KtKdRun("!alpc /m");
    KtKdExpect("!alpc /m: an option and an address are needed\nUsage:\n");
    KtKdRun("!alpc /x 10");
    KtKdExpect("!alpc: unknown option /x\nUsage:\n");
    KtKdRun("!alpc 10 /m");
    KtKdExpect("Usage:\n");
    KtKdRun("!alpc /m nt!NoSuchSymbolHere");
    KT_EXPECT(!KtKdFind(KtKdOutput, "Message @"));
    KT_EXPECT(!KtKdFind(KtKdOutput, "Usage"));
}

// !thread says whom a thread impersonates, or that it impersonates nobody.
KTEST(KdThreadSaysWhomItImpersonates)
{
    static const SECURITY_QUALITY_OF_SERVICE qos = {
        .Length = sizeof(qos), .ImpersonationLevel = SecurityImpersonation,
        .ContextTrackingMode = SECURITY_STATIC_TRACKING, .EffectiveOnly = FALSE};
    SECURITY_CLIENT_CONTEXT context;
    ETHREAD *self = PsGetCurrentThread();

    KtKdRunf("!thread %llx", KT_KD_ADDRESS(self));
    KtKdExpect("\nNot impersonating\nDeviceMap %016llx\nOwning Process ",
               KT_KD_ADDRESS(self->ThreadsProcess->DeviceMap));
    KT_EXPECT(!KtKdFind(KtKdOutput, "Impersonation token"));
    KT_EXPECT_EQ(SeCreateClientSecurity(self, &qos, FALSE, &context), STATUS_SUCCESS);
    KT_EXPECT_EQ(SeImpersonateClientEx(&context, self), STATUS_SUCCESS);
    KtKdRunf("!thread %llx", KT_KD_ADDRESS(self));
    KtKdExpect("\nImpersonation token:  %016llx (Level Impersonation)\nDeviceMap %016llx\n"
               "Owning Process ",
               KT_KD_ADDRESS(self->ImpersonationToken),
               KT_KD_ADDRESS(self->ThreadsProcess->DeviceMap));
    KT_EXPECT(!KtKdFind(KtKdOutput, "Not impersonating"));
    PsRevertToSelf();
    SeDeleteClientSecurity(&context);
    KtKdRunf("!thread %llx", KT_KD_ADDRESS(self));
    KtKdExpect("\nNot impersonating\nDeviceMap %016llx\nOwning Process ",
               KT_KD_ADDRESS(self->ThreadsProcess->DeviceMap));
}

// ---- The chain of demo=alpc ------------------------------------------------------------

typedef struct _KT_ALPC_CHAIN {
    EPROCESS *Processes[KD_DEMO_ALPC_PROGRAMS];
    ETHREAD *Threads[KD_DEMO_ALPC_PROGRAMS];
} KT_ALPC_CHAIN;

static BOOLEAN KtAlpcStartChain(KT_ALPC_CHAIN *chain)
{
    NTSTATUS status = KdpStartAlpcChain(chain->Processes, chain->Threads);

    if (status == STATUS_SUCCESS)
        return TRUE;
    DbgPrint("KTEST: the ALPC chain did not form: %08x\n", (ULONG)status);
    if (status == STATUS_TIMEOUT) {
        for (ULONG i = 0; i < KD_DEMO_ALPC_PROGRAMS; i++) {
            PsTerminateProcess(chain->Processes[i], STATUS_UNSUCCESSFUL);
            ObDereferenceObject(chain->Threads[i]);
            ObDereferenceObject(chain->Processes[i]);
        }
    }
    return FALSE;
}

// Ends the three processes and waits for each to be gone.
static void KtAlpcEndChain(KT_ALPC_CHAIN *chain)
{
    LARGE_INTEGER timeout = {.QuadPart = -10LL * 1000 * 10000};     // 10 s

    for (ULONG i = 0; i < KD_DEMO_ALPC_PROGRAMS; i++)
        PsTerminateProcess(chain->Processes[i], STATUS_UNSUCCESSFUL);
    for (ULONG i = 0; i < KD_DEMO_ALPC_PROGRAMS; i++) {
        KT_EXPECT_EQ(KeWaitForSingleObject(&chain->Processes[i]->Pcb, Executive, KernelMode,
                                           FALSE, &timeout),
                     STATUS_WAIT_0);
        ObDereferenceObject(chain->Threads[i]);
        ObDereferenceObject(chain->Processes[i]);
    }
}

// `!alpc /m` on the request `thread` waits for, every line against the
// message block itself.
static void KtAlpcCheckMessage(ETHREAD *thread, const char *queueOwnerImage)
{
    KALPC_MESSAGE *message = thread->AlpcMessage;
    ALPC_PORT *queue = message->PortQueue;

    KtKdRunf("!alpc /m %llx", KT_KD_ADDRESS(message));
    KtKdExpect("\nMessage @ %016llx\n"
               "  MessageID             : 0x%04X (%u)\n"
               "  CallbackID            : 0x%X (%u)\n"
               "  SequenceNumber        : 0x%08X (%u)\n"
               "  Type                  : LPC_REQUEST\n"
               "  DataLength            : 0x0040 (64)\n"
               "  TotalLength           : 0x0068 (104)\n"
               "  Canceled              : No\n"
               "  Release               : No\n"
               "  ReplyWaitReply        : No\n"
               "  Continuation          : Yes\n",
               KT_KD_ADDRESS(message), message->PortMessage.MessageId,
               message->PortMessage.MessageId, message->PortMessage.CallbackId,
               message->PortMessage.CallbackId, (ULONG)message->SequenceNo,
               (ULONG)message->SequenceNo);
    KtKdExpect("  OwnerPort             : %016llx [ALPC_CLIENT_COMMUNICATION_PORT]\n"
               "  WaitingThread         : %016llx\n"
               "  QueueType             : ALPC_MSGQUEUE_PENDING\n"
               "  QueuePort             : %016llx [ALPC_CONNECTION_PORT]\n"
               "  QueuePortOwnerProcess : %016llx (%s)\n"
               "  ServerThread          : %016llx\n"
               "  QuotaCharged          : No\n"
               "  CancelQueuePort       : 0000000000000000\n"
               "  CancelSequencePort    : 0000000000000000\n"
               "  CancelSequenceNumber  : 0x00000000 (0)\n",
               KT_KD_ADDRESS(message->OwnerPort),
               KT_KD_ADDRESS(thread), KT_KD_ADDRESS(queue), KT_KD_ADDRESS(queue->OwnerProcess),
               queueOwnerImage, KT_KD_ADDRESS(message->ServerThread));
    KtKdExpect("  ClientContext         : %016llx\n"
               "  ServerContext         : %016llx\n"
               "  PortContext           : %016llx\n"
               "  CancelPortContext     : %016llx\n",
               KT_KD_ADDRESS(message->MessageAttributes.ClientContext),
               KT_KD_ADDRESS(message->MessageAttributes.ServerContext),
               KT_KD_ADDRESS(message->MessageAttributes.PortContext),
               KT_KD_ADDRESS(message->MessageAttributes.CancelPortContext));
    KtKdExpect("  SecurityData          : %016llx\n  View                  : %016llx\n",
               KT_KD_ADDRESS(message->MessageAttributes.SecurityData),
               KT_KD_ADDRESS(message->MessageAttributes.View));
    // The server's port context, given at the accept: a user address.
    KT_EXPECT(message->MessageAttributes.PortContext != NULL);
}

// A long queue is listed in part: KT_ALPC_LONG_QUEUE blocks spliced onto
// the main queue of a port nobody sends to or receives from meanwhile (the
// chain's threads all wait elsewhere), its length field one short. The
// listing stops at 256 rows, says how many more there are, and that the
// count disagrees; then the queue is put back as it was.
#define KT_ALPC_LONG_QUEUE 300
#define KT_ALPC_SHOWN_ROWS 256

static void KtAlpcCheckLongQueue(ALPC_PORT *port)
{
    static KALPC_MESSAGE *blocks[KT_ALPC_LONG_QUEUE];
    ULONG made = 0;
    KIRQL oldIrql;

    for (; made < KT_ALPC_LONG_QUEUE; made++) {
        blocks[made] = ExAllocatePoolWithTag(NonPagedPool, sizeof(KALPC_MESSAGE),
                                             ALPC_MESSAGE_TAG);
        if (!blocks[made])
            break;
        memset(blocks[made], 0, sizeof(KALPC_MESSAGE));
        blocks[made]->PortMessage.MessageId = 0x1000 + made;
        blocks[made]->PortMessage.u2.s2.Type = LPC_DATAGRAM;
    }
    KT_EXPECT_EQ(made, KT_ALPC_LONG_QUEUE);
    if (made == KT_ALPC_LONG_QUEUE) {
        oldIrql = AlpcpAcquireLock();
        for (ULONG i = 0; i < made; i++)
            InsertTailList(&port->MainQueue, &blocks[i]->Entry);
        port->MainQueueLength += made - 1;
        AlpcpReleaseLock(oldIrql);
        KtKdRunf("!alpc /p %llx", KT_KD_ADDRESS(port));
        KtKdExpect("  Main queue has %u messages\n    %016llx 00001000 ", made - 1,
                   KT_KD_ADDRESS(blocks[0]));
        KtKdExpect("    %016llx %08x ", KT_KD_ADDRESS(blocks[KT_ALPC_SHOWN_ROWS - 1]),
                   0x1000 + KT_ALPC_SHOWN_ROWS - 1);
        KtKdExpect(" LPC_DATAGRAM\n    ... %u more not shown\n  (the queue holds %u, its length "
                   "says %u: being changed, or corrupt)\n\n  Large message queue",
                   made - KT_ALPC_SHOWN_ROWS, made, made - 1);
        KT_EXPECT(!KtKdFind(KtKdOutput, KT_KD_HEX(blocks[KT_ALPC_SHOWN_ROWS])));
        oldIrql = AlpcpAcquireLock();
        for (ULONG i = 0; i < made; i++)
            RemoveEntryList(&blocks[i]->Entry);
        port->MainQueueLength -= made - 1;
        AlpcpReleaseLock(oldIrql);
    }
    for (ULONG i = 0; i < made; i++)
        ExFreePoolWithTag(blocks[i], ALPC_MESSAGE_TAG);
}

KTEST(KdAlpcFollowsTheChainAndSaysWhenItsMessageIsFreed)
{
    static KT_ALPC_CHAIN chain;
    ULONG messagesBefore = KtPoolTagCount(ALPC_MESSAGE_TAG);
    KALPC_MESSAGE *first, *second;
    ETHREAD *client, *server, *db;
    ALPC_PORT *port;

    if (!KtAlpcStartChain(&chain)) {
        KT_EXPECT(!"the ALPC chain to form");
        return;
    }
    client = chain.Threads[KD_DEMO_ALPC_CLIENT];
    server = chain.Threads[KD_DEMO_ALPC_SERVER];
    db = chain.Threads[KD_DEMO_ALPC_DB];
    first = client->AlpcMessage;
    second = server->AlpcMessage;
    port = first->PortQueue;

    // The client: its wait, the ALPC line, nobody impersonated, the stack.
    KtKdRunf("!thread %llx", KT_KD_ADDRESS(client));
    KtKdExpect("WAIT: (WrLpcReply) UserMode Non-Alertable\n"
               "    %016llx Semaphore Limit 0x1\n"
               "Waiting for reply to ALPC Message %016llx : queued at port %016llx : owned by "
               "process %016llx\n"
               "Not impersonating\n"
               "DeviceMap %016llx\n"
               "Owning Process %016llx Image: alpcapp.exe\n",
               KT_KD_ADDRESS(&client->AlpcWaitSemaphore), KT_KD_ADDRESS(first),
               KT_KD_ADDRESS(port), KT_KD_ADDRESS(port->OwnerProcess),
               KT_KD_ADDRESS(chain.Processes[KD_DEMO_ALPC_CLIENT]->DeviceMap),
               KT_KD_ADDRESS(chain.Processes[KD_DEMO_ALPC_CLIENT]));
    KT_EXPECT_EQ(port->OwnerProcess, chain.Processes[KD_DEMO_ALPC_SERVER]);
    {
        const char *wait = KtKdExpect("nt!AlpcpSignalAndWait+0x");
        const char *receive = KtKdExpect("nt!AlpcpReceiveSynchronousReply+0x");
        const char *request = KtKdExpect("nt!AlpcpProcessSynchronousRequest+0x");
        const char *service = KtKdExpect("nt!NtAlpcSendWaitReceivePort+0x");

        KT_EXPECT(wait && receive && request && service && wait < receive &&
                  receive < request && request < service);
    }
    KtAlpcCheckMessage(client, "alpcsvc.exe");
    KT_EXPECT_EQ(first->ServerThread, server);

    // The port it waits at: alpcsvc's connection port, the request pending.
    KtKdRunf("!alpc /p %llx", KT_KD_ADDRESS(port));
    KtKdExpect("\nPort @ %016llx\n  Type                      : ALPC_CONNECTION_PORT\n",
               KT_KD_ADDRESS(port));
    KtKdExpect("  OwnerProcess              : %016llx (alpcsvc.exe)\n",
               KT_KD_ADDRESS(port->OwnerProcess));
    KtKdExpect("  Main queue is empty.\n\n  Large message queue is empty.\n\n"
               "  Pending queue has 1 message\n    %016llx %08x ", KT_KD_ADDRESS(first),
               first->PortMessage.MessageId);
    KtKdExpect(" %016llx %016llx LPC_REQUEST\n\n  Canceled queue is empty.\n",
               KT_KD_ADDRESS(client), KT_KD_ADDRESS(server));

    // The second hop: alpcsvc's thread waits for alpcdb, whose thread
    // waits on its record lock.
    KtKdRunf("!thread %llx", KT_KD_ADDRESS(server));
    KtKdExpect("Waiting for reply to ALPC Message %016llx : queued at port %016llx : owned by "
               "process %016llx\nNot impersonating\n",
               KT_KD_ADDRESS(second), KT_KD_ADDRESS(second->PortQueue),
               KT_KD_ADDRESS(chain.Processes[KD_DEMO_ALPC_DB]));
    KtAlpcCheckMessage(server, "alpcdb.exe");
    KT_EXPECT_EQ(second->ServerThread, db);
    KtKdRunf("!thread %llx", KT_KD_ADDRESS(db));
    KtKdExpect("WAIT: (UserRequest) UserMode Non-Alertable\n");
    KtKdExpect(" Semaphore Limit 0x7fffffff\n    %016llx NotificationTimer\nNot impersonating\n",
               KT_KD_ADDRESS(&db->Tcb.Timer));
    KT_EXPECT(!KtKdFind(KtKdOutput, "ALPC Message"));

    // The connections: alpcsvc's port has alpcapp's; alpcsvc is alpcdb's client.
    KtKdRunf("!alpc /lpc %llx", KT_KD_ADDRESS(port));
    KtKdExpect("%016llx('AlpcSvcPort') 1, 1 connection\n\t", KT_KD_ADDRESS(port));
    KtKdExpect(" 0 %016llx('alpcapp.exe')\n",
               KT_KD_ADDRESS(chain.Processes[KD_DEMO_ALPC_CLIENT]));
    KtKdRunf("!alpc /lpc %llx", KT_KD_ADDRESS(first->OwnerPort));
    KtKdExpect("%016llx is an ALPC_CLIENT_COMMUNICATION_PORT: /lpc takes a connection port",
               KT_KD_ADDRESS(first->OwnerPort));
    KtKdRunf("!alpc /lpp %llx", KT_KD_ADDRESS(chain.Processes[KD_DEMO_ALPC_SERVER]));
    KtKdExpect("Ports created by the process %016llx:\n\n\t%016llx('AlpcSvcPort') 1, "
               "1 connection\n",
               KT_KD_ADDRESS(chain.Processes[KD_DEMO_ALPC_SERVER]), KT_KD_ADDRESS(port));
    KtKdExpect("Ports the process %016llx is connected to:\n\n\t%016llx 0 -> %016llx"
               "('AlpcDbPort') 1 %016llx('alpcdb.exe')\n",
               KT_KD_ADDRESS(chain.Processes[KD_DEMO_ALPC_SERVER]),
               KT_KD_ADDRESS(second->OwnerPort), KT_KD_ADDRESS(second->PortQueue),
               KT_KD_ADDRESS(chain.Processes[KD_DEMO_ALPC_DB]));
    // dt knows the types (from the kernel's DWARF).
    KtKdRunf("dt nt!_KALPC_MESSAGE %llx PortQueue", KT_KD_ADDRESS(first));
    KtKdExpect(" PortQueue : 0x%08llx`%08llx\n", KT_KD_ADDRESS(port) >> 32,
               KT_KD_ADDRESS(port) & 0xffffffffULL);
    KtKdRunf("dt nt!_ALPC_PORT %llx OwnerProcess", KT_KD_ADDRESS(port));
    KtKdExpect(" OwnerProcess : 0x%08llx`%08llx\n", KT_KD_ADDRESS(port->OwnerProcess) >> 32,
               KT_KD_ADDRESS(port->OwnerProcess) & 0xffffffffULL);

    KtAlpcCheckLongQueue(port);

    // Torn down: the message is freed under the debugger, which says so.
    KtAlpcEndChain(&chain);
    KtKdRunf("!alpc /m %llx", KT_KD_ADDRESS(first));
    KtKdExpect("%016llx is not an ALPC message: ", KT_KD_ADDRESS(first));
    KT_EXPECT(!KtKdFind(KtKdOutput, "Message @"));
    KT_EXPECT_EQ(KtPoolTagCount(ALPC_MESSAGE_TAG), messagesBefore);
}
