// The ALPC hop: a client in WrLpcReply with an ETHREAD.AlpcMessageId waits
// for the reply to its synchronous request, the KALPC_MESSAGE in
// ETHREAD.AlpcMessage. Once a server thread has received the request, the
// message names it (ServerThread, as `!alpc /m` shows in the second and
// third case studies): a fact. Before that the message sits in its queue
// port's main queue, and the candidates are the threads of the port's owner
// process (QueuePortOwnerProcess), ranked as for LPC.

#include "kd/kdwait.h"
#include "alpc/alpcp.h"

static const char *KdpAlpcQueueName(ULONG queueType)
{
    switch (queueType) {
    case ALPC_MSGQUEUE_MAIN:          return "main";
    case ALPC_MSGQUEUE_LARGE_MESSAGE: return "large message";
    case ALPC_MSGQUEUE_PENDING:       return "pending";
    default:                          return "no";
    }
}

void KdpWaitAlpcStep(const ETHREAD *thread, const KD_WAIT_THREAD *self, ULONG flags,
                     KD_WAIT_STEP *step)
{
    ULONG64 address = (ULONG64)(ULONG_PTR)thread->AlpcMessage, owner = 0;
    KD_WAIT_CANDIDATE candidates[KD_WAIT_MAX_CANDIDATES];
    char image[PROCESS_IMAGE_NAME_LENGTH + 1];
    KALPC_MESSAGE message;
    ULONG count, receiving;

    step->Object = address;
    if (!address || !KdpReadMemory(address, &message, sizeof(message))) {
        step->End = KdWaitError;
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "error: ALPC message %016llx (ETHREAD.AlpcMessage) cannot be read",
                        (unsigned long long)address);
        return;
    }
    if ((ULONG64)(ULONG_PTR)message.WaitingThread != self->Address) {
        step->End = KdWaitError;
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "error: ALPC message %016llx names THREAD %016llx as its WaitingThread, "
                        "not this one (corrupt?)", (unsigned long long)address,
                        (unsigned long long)(ULONG_PTR)message.WaitingThread);
        return;
    }
    if (message.ServerThread) {
        step->End = KdWaitFollow;
        step->Next = (ULONG64)(ULONG_PTR)message.ServerThread;
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "ALPC message %016llx (ETHREAD.AlpcMessage, MessageId %x, on the %s "
                        "queue): its ServerThread is %016llx (dt nt!_KALPC_MESSAGE %llx)",
                        (unsigned long long)address, (ULONG)message.PortMessage.MessageId,
                        KdpAlpcQueueName(message.u1.s1.QueueType),
                        (unsigned long long)step->Next, (unsigned long long)address);
        return;
    }
    // Not received yet: the queue port's owner process.
    if (!message.PortQueue ||
        !KdpReadMemory((ULONG64)(ULONG_PTR)message.PortQueue +
                           FIELD_OFFSET(ALPC_PORT, OwnerProcess), &owner, sizeof(owner)) ||
        !owner || !KdpReadImageName(owner, image, sizeof(image))) {
        step->End = KdWaitError;
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "error: ALPC message %016llx: its queue port %016llx does not lead to "
                        "an owner process", (unsigned long long)address,
                        (unsigned long long)(ULONG_PTR)message.PortQueue);
        return;
    }
    KdpWaitRankServerThreads(self, owner, candidates, &count, &receiving);
    if (flags & KD_WAIT_DETAIL) {
        KdpPrint("    ALPC message %016llx (MessageId %x) is on the %s queue of port %016llx, "
                 "owned by process %016llx (%s); no server thread has received it\n",
                 (unsigned long long)address, (ULONG)message.PortMessage.MessageId,
                 KdpAlpcQueueName(message.u1.s1.QueueType),
                 (unsigned long long)(ULONG_PTR)message.PortQueue, (unsigned long long)owner,
                 image);
        KdpPrint("    candidates in the owner process, %u threads in WrLpcReceive left out:\n",
                 receiving);
        for (ULONG i = 0; i < count; i++)
            KdpWaitPrintServerCandidate(i + 1, &candidates[i]);
    }
    if (count && (candidates[0].Score & (KD_WAIT_SCORE_SAME_TICK | KD_WAIT_SCORE_NEAR_TICK)) &&
        (count == 1 || candidates[1].Score < candidates[0].Score)) {
        step->End = KdWaitFollow;
        step->Candidate = TRUE;
        step->Next = candidates[0].Thread->Address;
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "ALPC message %016llx queued at port %016llx, owned by %s: no "
                        "ServerThread yet; candidate THREAD %016llx has %s Wait Start TickCount",
                        (unsigned long long)address,
                        (unsigned long long)(ULONG_PTR)message.PortQueue, image,
                        (unsigned long long)step->Next,
                        candidates[0].Distance ? "nearly the client's" : "the client's");
        return;
    }
    step->End = KdWaitNoOwner;
    RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                    "ALPC message %016llx queued at port %016llx, owned by process %016llx (%s): "
                    "no ServerThread yet, no candidate stands out (%u ranked)",
                    (unsigned long long)address, (unsigned long long)(ULONG_PTR)message.PortQueue,
                    (unsigned long long)owner, image, count);
}
