// LPC's direct handoff (send.c's LpcpHandOrQueueMessage): a message sent to
// a port whose receiver waits plainly goes to that receiver with the count
// (ETHREAD.LpcHandoffMessage), never queued. Once handed over it is the
// receiver's, as a dequeued message is: what happens before the receiver
// runs (a kernel APC, the port run down) changes nothing, and the receiver
// takes it, its sender's reference included, with nothing left behind.

#include "tests/kernel/test_dispatcher.h"
#include "lpc/lpcp.h"

#define KT_HANDOFF_THREAD_TAG POOL_TAG('T', 'h', 'r', 'e')

typedef struct _KT_HANDOFF_MESSAGE {
    PORT_MESSAGE h;
    ULONG Data[4];
} KT_HANDOFF_MESSAGE;

typedef struct _KT_HANDOFF {
    LPCP_PORT_OBJECT *Port;
    NTSTATUS Status;
    ULONG Type;
    ULONG Value;
    void *Client;               // the receiver's LpcReceivedThread after the receive
    BOOLEAN ApcRan;
    BOOLEAN ApcSawTheMessageHanded;
    KAPC Apc;
} KT_HANDOFF;

static KT_HANDOFF KtHandoff;

static void KtHandoffInit(KT_HANDOFF_MESSAGE *message, ULONG value)
{
    memset(message, 0, sizeof(*message));
    message->h.u1.s1.DataLength = sizeof(message->Data);
    message->h.u1.s1.TotalLength = sizeof(*message);
    message->Data[0] = value;
}

// A receive with no timeout: a plain wait, which a sender hands to.
static void KtHandoffReceiver(void *context)
{
    union {
        PORT_MESSAGE h;
        UCHAR Bytes[LPCP_MAX_MESSAGE_LENGTH];
    } buffer;
    KT_HANDOFF *handoff = context;
    void *portContext;

    handoff->Status = LpcpReceive(handoff->Port, KernelMode, NULL, &buffer.h, &portContext);
    handoff->Type = LpcpMessageType(&buffer.h);
    handoff->Value = ((KT_HANDOFF_MESSAGE *)&buffer.h)->Data[0];
    handoff->Client = PsGetCurrentThread()->LpcReceivedThread;
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static void KtHandoffApc(KAPC *apc, PKNORMAL_ROUTINE *normalRoutine, void **normalContext,
                         void **systemArgument1, void **systemArgument2)
{
    KT_HANDOFF *handoff = CONTAINING_RECORD(apc, KT_HANDOFF, Apc);

    handoff->ApcRan = TRUE;
    handoff->ApcSawTheMessageHanded = PsGetCurrentThread()->LpcHandoffMessage != NULL;
}

// The receiver, started below this thread's priority (its wake boost keeps
// it there), once it waits on the port's queue.
static ETHREAD *KtStartWaitingReceiver(KT_HANDOFF *handoff)
{
    ETHREAD *receiver = KtStartThread(KtHandoffReceiver, handoff,
                                      PsGetCurrentThread()->Tcb.Priority - 2);

    for (int i = 0; receiver && i < 100; i++) {
        if (receiver->Tcb.State == Waiting && receiver->Tcb.WaitReason == WrLpcReceive)
            return receiver;
        KtSleep(10);
    }
    return receiver;
}

// A datagram handed to the waiting receiver; a kernel APC and the port's
// rundown come before the receiver runs: it still gets the datagram.
KTEST(LpcHandedDatagramSurvivesAnApcAndTheRundownBeforeItsReceiverRuns)
{
    ULONG messagesBefore = KtPoolTagCount(LPCP_MESSAGE_TAG);
    KT_HANDOFF *handoff = &KtHandoff;
    KT_HANDOFF_MESSAGE datagram;
    ETHREAD *receiver;

    memset(handoff, 0, sizeof(*handoff));
    KT_EXPECT_EQ(LpcpCreatePort(0, sizeof(KT_HANDOFF_MESSAGE), FALSE, &handoff->Port),
                 STATUS_SUCCESS);
    receiver = KtStartWaitingReceiver(handoff);
    KT_EXPECT(receiver != NULL);
    KT_EXPECT(receiver->Tcb.State == Waiting && receiver->Tcb.WaitReason == WrLpcReceive);
    KtHandoffInit(&datagram, 0x4711);
    KT_EXPECT_EQ(LpcRequestPort(handoff->Port, &datagram.h), STATUS_SUCCESS);
    // Handed over, not queued: the receiver (below this thread) has not run.
    KT_EXPECT(receiver->LpcHandoffMessage != NULL);
    KT_EXPECT(IsListEmpty(&handoff->Port->MsgQueue.ReceiveHead));
    KT_EXPECT_EQ(KeReadStateSemaphore(handoff->Port->MsgQueue.Semaphore), 0);
    KeInitializeApc(&handoff->Apc, &receiver->Tcb, OriginalApcEnvironment, KtHandoffApc, NULL,
                    NULL, KernelMode, NULL);
    KT_EXPECT(KeInsertQueueApc(&handoff->Apc, NULL, NULL, IO_NO_INCREMENT));
    // The last handle's close: the queue emptied, the port marked deleted.
    LpcpDestroyPortQueue(handoff->Port);
    KT_EXPECT(receiver->LpcHandoffMessage != NULL);
    KT_EXPECT(KtJoinThread(receiver));
    KT_EXPECT(handoff->ApcRan);
    KT_EXPECT(handoff->ApcSawTheMessageHanded);
    KT_EXPECT_EQ(handoff->Status, STATUS_SUCCESS);
    KT_EXPECT_EQ(handoff->Type, LPC_DATAGRAM);
    KT_EXPECT_EQ(handoff->Value, 0x4711);
    KT_EXPECT(handoff->Client == NULL);
    ObDereferenceObject(handoff->Port);
    KT_EXPECT_EQ(KtPoolTagCount(LPCP_MESSAGE_TAG), messagesBefore);
}

static NTSTATUS KtHandoffClientStatus;

static void KtHandoffClient(void *context)
{
    KT_HANDOFF_MESSAGE request, reply;

    KtHandoffInit(&request, 0x1234);
    KtHandoffClientStatus = LpcRequestWaitReplyPort(context, &request.h, &reply.h);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

// A request handed to the waiting receiver carries its sender's reference
// to it; the receiver ends without answering, the port's rundown wakes the
// client, and nothing stays behind (no block, no thread).
KTEST(LpcHandedRequestGivesTheReceiverItsClient)
{
    ULONG messagesBefore = KtPoolTagCount(LPCP_MESSAGE_TAG);
    ULONG threadsBefore = KtPoolTagCount(KT_HANDOFF_THREAD_TAG);
    KT_HANDOFF *handoff = &KtHandoff;
    ETHREAD *receiver, *client;

    memset(handoff, 0, sizeof(*handoff));
    KT_EXPECT_EQ(LpcpCreatePort(0, sizeof(KT_HANDOFF_MESSAGE), FALSE, &handoff->Port),
                 STATUS_SUCCESS);
    receiver = KtStartWaitingReceiver(handoff);
    KT_EXPECT(receiver != NULL);
    KT_EXPECT(receiver->Tcb.State == Waiting && receiver->Tcb.WaitReason == WrLpcReceive);
    client = KtStartThread(KtHandoffClient, handoff->Port,
                           PsGetCurrentThread()->Tcb.Priority - 1);
    KT_EXPECT(client != NULL);
    KT_EXPECT(KtJoinThread(receiver));
    KT_EXPECT_EQ(handoff->Status, STATUS_SUCCESS);
    KT_EXPECT_EQ(handoff->Type, LPC_REQUEST);
    KT_EXPECT_EQ(handoff->Value, 0x1234);
    KT_EXPECT(handoff->Client == client);
    // Never queued: the client's request went straight to the receiver.
    KT_EXPECT(IsListEmpty(&handoff->Port->MsgQueue.ReceiveHead));
    KT_EXPECT(client->Tcb.State == Waiting && client->Tcb.WaitReason == WrLpcReply);
    ObDereferenceObject(handoff->Port);
    KT_EXPECT(KtJoinThread(client));
    KT_EXPECT_EQ(KtHandoffClientStatus, STATUS_LPC_REPLY_LOST);
    KT_EXPECT_EQ(KtPoolTagCount(LPCP_MESSAGE_TAG), messagesBefore);
    for (int i = 0; i < 100 && KtPoolTagCount(KT_HANDOFF_THREAD_TAG) != threadsBefore; i++)
        KtSleep(10);
    KT_EXPECT_EQ(KtPoolTagCount(KT_HANDOFF_THREAD_TAG), threadsBefore);
}
