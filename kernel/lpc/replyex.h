// The body of a reply (LpcpReplyEx), in line in reply.c's LpcpReply and
// LpcpReplyWaitNext and in NtReplyWaitReceivePortEx's reply half
// (receive.c), where it saves a call frame on every server's round trip.
#pragma once

#include "lpc/lpcp.h"
#include "ke/kephase.h"
#include "ke/kihandoff.h"

// The walk of LpcpDropDataInfo (reply.c): out of line, a request with a
// data-info block being rare. Lock held.
void LpcpDropDataInfoFrom(LIST_ENTRY *head, ETHREAD *client, ULONG messageId,
                          LIST_ENTRY *freeList);

static inline __attribute__((always_inline)) void
LpcpDropDataInfo(LPCP_PORT_OBJECT *waitingPort, ETHREAD *client, ULONG messageId,
                 LIST_ENTRY *freeList)
{
    LPCP_PORT_OBJECT *receivePort = LpcpReceivePort(waitingPort);

    if (receivePort && !IsListEmpty(&receivePort->LpcDataInfoChainHead))
        LpcpDropDataInfoFrom(&receivePort->LpcDataInfoChainHead, client, messageId, freeList);
}

// LpcpReply, and with `waitNext` its handoff form (LpcpReplyWaitNext), in
// line in both.
static inline __attribute__((always_inline)) NTSTATUS
LpcpReplyEx(LPCP_PORT_OBJECT *port, LPCP_MESSAGE *reply, BOOLEAN waitAgain, BOOLEAN *waitNext)
{
    ETHREAD *thread = PsGetCurrentThread();
    ULONG messageId = reply->Request.MessageId;
    LPCP_PORT_OBJECT *waitingPort, *queuePort, *rundownPort = NULL;
    ETHREAD *target;
    LIST_ENTRY freeList;
    void *portContext;
    NTSTATUS status;
    KIRQL oldIrql;

    InitializeListHead(&freeList);
    oldIrql = LpcpAcquireLock();
    // The client of the request this thread received last, when the reply
    // names it, with the reference its request carried (LpcReceivedThread):
    // the thread the Cid lookup below would find. While referenced it is
    // not deleted, so its Cid names no other thread; and whoever a lookup
    // finds must be waiting for this MessageId, which was that client's.
    target = thread->LpcReceivedThread;
    if (target && target->Cid.UniqueThread == reply->Request.ClientId.UniqueThread &&
        target->Cid.UniqueProcess == reply->Request.ClientId.UniqueProcess) {
        thread->LpcReceivedThread = NULL;
    } else {
        LpcpReleaseLock(oldIrql);
        status = PsLookupThreadByThreadId(reply->Request.ClientId.UniqueThread, &target);
        if (NT_SUCCESS(status) &&
            target->Cid.UniqueProcess != reply->Request.ClientId.UniqueProcess) {
            ObDereferenceObject(target);
            status = STATUS_INVALID_CID;
        }
        if (!NT_SUCCESS(status)) {
            LpcpFreeMessage(reply);
            return status;
        }
        oldIrql = LpcpAcquireLock();
    }
    status = STATUS_SUCCESS;
    waitingPort = (LPCP_PORT_OBJECT *)((ULONG_PTR)target->LpcWaitingOnPort & ~LPCP_THREAD_FLAGS);
    if (IsListEmpty(&target->LpcReplyChain) || target->LpcReplyMessageId != messageId ||
        LpcpGetMessageFromThread(target) || !LpcpValidateClientPortInline(port, waitingPort))
        status = STATUS_REPLY_MESSAGE_MISMATCH;
    if (NT_SUCCESS(status) && waitAgain)
        status = LpcpFindSendTargets(port, &queuePort, &rundownPort, &portContext);
    if (NT_SUCCESS(status)) {
        LpcpDropDataInfo(waitingPort, target, messageId, &freeList);
        reply->Request.ClientId = thread->Cid;
        // The block holds the thread it goes to until it is freed: the
        // lookup's reference, handed over.
        reply->RepliedToThread = target;
        RemoveEntryList(&target->LpcReplyChain);
        InitializeListHead(&target->LpcReplyChain);
        target->LpcReplyMessage = reply;
        target->LpcReplyMessageId = 0;
        if (thread->LpcReceivedMsgIdValid && thread->LpcReceivedMessageId == messageId) {
            thread->LpcReceivedMessageId = 0;
            thread->LpcReceivedMsgIdValid = FALSE;
        }
        if (waitAgain) {
            thread->LpcReplyMessageId = messageId;
            thread->LpcWaitingOnPort = (void *)((ULONG_PTR)port | LPCP_THREAD_FLAG_IS_PORT);
            InsertTailList(&rundownPort->LpcReplyChainHead, &thread->LpcReplyChain);
        }
        if (waitNext && *waitNext && IsListEmpty(&freeList)) {
            // The client's count last, the dispatcher lock kept for the
            // caller's wait, which starts at once: the client runs when
            // this thread blocks, not by preempting it first (NT's
            // handoff; the IRQL comes down in the wait).
            KiReleaseSemaphoreToWaiterInline(&target->LpcReplySemaphore, 1, oldIrql);
            KeReleaseSpinLockFromDpcLevel(&LpcpLock);
            return STATUS_SUCCESS;
        }
        KeReleaseSemaphore(&target->LpcReplySemaphore, 1, 1, FALSE);
    }
    if (waitNext)
        *waitNext = FALSE;
    LpcpReleaseLock(oldIrql);
    LpcpFreeMessageList(&freeList);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(target);
        LpcpFreeMessage(reply);
    }
    return status;
}

