// The LPC hop: a client in WrLpcReply waits for the reply to the message
// whose id is its ETHREAD.LpcReplyMessageId. The server thread that
// received the request keeps the same id in LpcReceivedMessageId until it
// replies: a fact, as `!lpc message` finds it. A server that hands its
// requests to worker threads (lsass in the first case study) overwrites
// that field with each new receive, so no thread holds the id: then the
// candidates are the server process's threads, ranked by the evidence the
// case study's investigator used: the client's Wait Start TickCount, not
// waiting in WrLpcReceive, impersonating the client.

#include "kd/kdwait.h"
#include "lpc/lpcp.h"

#define KD_LPC_NEAR_TICKS     2         // a wait started this close counts, ranked lower

// The connection port a port leads to (itself, or its ConnectionPort).
static BOOLEAN KdpLpcConnectionPort(ULONG64 address, LPCP_PORT_OBJECT *port, ULONG64 *connection)
{
    if (!KdpReadMemory(address, port, sizeof(*port)))
        return FALSE;
    if ((port->Flags & LPCP_PORT_TYPE_MASK) == LPCP_CONNECTION_PORT) {
        *connection = address;
        return TRUE;
    }
    *connection = (ULONG64)(ULONG_PTR)port->ConnectionPort;
    return *connection && KdpReadMemory(*connection, port, sizeof(*port));
}

typedef struct _KD_LPC_QUEUE_SEARCH {
    ULONG MessageId;
    ULONG Position;             // of the message, 0: not queued
    ULONG Count;
} KD_LPC_QUEUE_SEARCH;

static BOOLEAN KdpLpcSearchQueue(void *context, ULONG64 entry)
{
    KD_LPC_QUEUE_SEARCH *search = context;
    ULONG id = 0;

    search->Count++;
    if (KdpReadMemory(entry + FIELD_OFFSET(LPCP_MESSAGE, Request.MessageId), &id, sizeof(id)) &&
        id == search->MessageId && !search->Position)
        search->Position = search->Count;
    return TRUE;
}

void KdpWaitRankServerThreads(const KD_WAIT_THREAD *client, ULONG64 serverProcess,
                              KD_WAIT_CANDIDATE *candidates, ULONG *count, ULONG *receiving)
{
    char clientUser[96], user[96];

    KdpWaitTokenUser(KdpWaitEffectiveToken(client), clientUser, sizeof(clientUser));
    *count = 0;
    *receiving = 0;
    for (ULONG i = 0; i < KdpWaitIndex.Count; i++) {
        const KD_WAIT_THREAD *thread = &KdpWaitIndex.Threads[i];
        KD_WAIT_CANDIDATE candidate = { thread, 0, 0, FALSE };

        if (thread->Process != serverProcess || thread->Address == client->Address ||
            thread->State == Terminated)
            continue;
        if (thread->State == Waiting && thread->WaitReason == WrLpcReceive) {
            (*receiving)++;
            continue;
        }
        candidate.Distance = thread->WaitTime > client->WaitTime
                                 ? thread->WaitTime - client->WaitTime
                                 : client->WaitTime - thread->WaitTime;
        if (thread->State == Waiting && candidate.Distance == 0)
            candidate.Score += KD_WAIT_SCORE_SAME_TICK;
        else if (thread->State == Waiting && candidate.Distance <= KD_LPC_NEAR_TICKS)
            candidate.Score += KD_WAIT_SCORE_NEAR_TICK;
        if (thread->ImpersonationToken && clientUser[0]) {
            KdpWaitTokenUser(thread->ImpersonationToken, user, sizeof(user));
            if (!strcmp(user, clientUser)) {
                candidate.ImpersonatesClient = TRUE;
                candidate.Score += KD_WAIT_SCORE_CLIENT;
            }
        }
        // Insertion by score, then by the closer Wait Start TickCount.
        ULONG at = *count < KD_WAIT_MAX_CANDIDATES ? (*count)++ : KD_WAIT_MAX_CANDIDATES;
        while (at > 0 && (candidates[at - 1].Score < candidate.Score ||
                          (candidates[at - 1].Score == candidate.Score &&
                           candidates[at - 1].Distance > candidate.Distance))) {
            if (at < KD_WAIT_MAX_CANDIDATES)
                candidates[at] = candidates[at - 1];
            at--;
        }
        if (at < KD_WAIT_MAX_CANDIDATES)
            candidates[at] = candidate;
    }
}

void KdpWaitPrintServerCandidate(ULONG rank, const KD_WAIT_CANDIDATE *candidate)
{
    char text[64];

    KdpWaitDescribeThread(candidate->Thread->Address, text, sizeof(text));
    KdpPrint("    candidate %u: THREAD %016llx (%s): Wait Start TickCount %llu (%s), %s, %s\n",
             rank, (unsigned long long)candidate->Thread->Address, text,
             (unsigned long long)candidate->Thread->WaitTime,
             candidate->Distance == 0 && candidate->Thread->State == Waiting
                 ? "the client's"
                 : candidate->Score & KD_WAIT_SCORE_NEAR_TICK ? "within 2 ticks of the client's"
                                                             : "not the client's",
             candidate->Thread->State == Waiting ? "not in WrLpcReceive" : "not waiting",
             candidate->ImpersonatesClient ? "impersonating the client's user"
             : candidate->Thread->ImpersonationToken ? "impersonating another user"
                                                     : "not impersonating");
}

void KdpWaitLpcStep(const ETHREAD *thread, const KD_WAIT_THREAD *self, ULONG flags,
                    KD_WAIT_STEP *step)
{
    ULONG id = thread->LpcReplyMessageId;
    ULONG64 waiting = (ULONG64)(ULONG_PTR)thread->LpcWaitingOnPort;
    ULONG64 port = waiting & ~(ULONG64)LPCP_THREAD_FLAGS, connection = 0, server;
    KD_WAIT_CANDIDATE candidates[KD_WAIT_MAX_CANDIDATES];
    KD_LPC_QUEUE_SEARCH search = { id, 0, 0 };
    LPCP_PORT_OBJECT object;
    char image[PROCESS_IMAGE_NAME_LENGTH + 1], where[96];
    ULONG count, receiving;
    const KD_WAIT_THREAD *holder = KdpWaitFindMessageHolder(id, self->Address);

    step->Object = port;
    if (holder) {
        step->End = KdWaitFollow;
        step->Next = holder->Address;
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "LPC MessageId %08x (ETHREAD.LpcReplyMessageId): THREAD %016llx "
                        "has it as its LpcReceivedMessageId (!lpc message %x)", id,
                        (unsigned long long)holder->Address, id);
        return;
    }
    // No thread holds the id: to the server process through the port.
    if (!(waiting & LPCP_THREAD_FLAG_IS_PORT) ||
        !KdpLpcConnectionPort(port, &object, &connection) ||
        !(server = (ULONG64)(ULONG_PTR)object.ServerProcess)) {
        step->End = KdWaitError;
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "error: LPC MessageId %08x: no thread holds it, and the port %016llx "
                        "(LpcWaitingOnPort) does not lead to a server process", id,
                        (unsigned long long)port);
        return;
    }
    KdpReadImageName(server, image, sizeof(image));
    KdpWalkList(connection + FIELD_OFFSET(LPCP_PORT_OBJECT, MsgQueue.ReceiveHead),
                "the port's message queue", KdpLpcSearchQueue, &search);
    if (search.Position)
        RtlStringPrintf(where, sizeof(where), "queued at port %016llx, position %u of %u",
                        (unsigned long long)connection, search.Position, search.Count);
    else
        RtlStringPrintf(where, sizeof(where), "received from port %016llx",
                        (unsigned long long)connection);
    KdpWaitRankServerThreads(self, server, candidates, &count, &receiving);
    if (flags & KD_WAIT_DETAIL) {
        KdpPrint("    LPC MessageId %08x is %s; no thread's LpcReceivedMessageId holds it "
                 "(a server that hands requests on)\n", id, where);
        KdpPrint("    candidates in the server process %016llx (%s), %u threads in "
                 "WrLpcReceive left out:\n", (unsigned long long)server, image, receiving);
        for (ULONG i = 0; i < count; i++)
            KdpWaitPrintServerCandidate(i + 1, &candidates[i]);
        if (!count)
            KdpPrint("    (none: every thread of the server waits in WrLpcReceive)\n");
    }
    // Follow the best candidate only when the tick count marks it out.
    if (count && (candidates[0].Score & (KD_WAIT_SCORE_SAME_TICK | KD_WAIT_SCORE_NEAR_TICK)) &&
        (count == 1 || candidates[1].Score < candidates[0].Score)) {
        step->End = KdWaitFollow;
        step->Candidate = TRUE;
        step->Next = candidates[0].Thread->Address;
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "LPC MessageId %08x %s, server %s: no thread holds the id; candidate "
                        "THREAD %016llx has %s Wait Start TickCount%s", id, where, image,
                        (unsigned long long)step->Next,
                        candidates[0].Distance ? "nearly the client's" : "the client's",
                        candidates[0].ImpersonatesClient ? " and impersonates its user" : "");
        return;
    }
    step->End = KdWaitNoOwner;
    RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                    "LPC MessageId %08x %s, server %s: no thread holds the id and no "
                    "candidate stands out (%u ranked)", id, where, image, count);
}
