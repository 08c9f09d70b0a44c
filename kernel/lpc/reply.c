// Replying: NtReplyPort, NtReplyWaitReplyPort, and the reply half of
// NtReplyWaitReceivePort. A reply goes to the thread its ClientId names
// (the client of the request the replier received last, kept referenced;
// any other found in O(1) through the Cid table), and only if that thread is still
// waiting for exactly that MessageId through a port the replier may use:
// otherwise STATUS_REPLY_MESSAGE_MISMATCH (a late reply to a client that
// gave up, or was killed, finds nobody).

#include "lpc/lpcp.h"
#include "lpc/replyex.h"
#include "mm/mm.h"
#include "ke/kephase.h"

BOOLEAN LpcpValidateClientPort(LPCP_PORT_OBJECT *port, LPCP_PORT_OBJECT *waitingPort)
{
    return LpcpValidateClientPortInline(port, waitingPort);
}

NTSTATUS LpcpCaptureReply(LPCP_PORT_OBJECT *port, const PORT_MESSAGE *userReply,
                          PORT_MESSAGE *header, LPCP_MESSAGE **reply)
{
    NTSTATUS status;

    if (header->MessageId == 0)
        return STATUS_INVALID_PARAMETER;
    status = LpcpCheckCapturedMessageLengths(port, header);
    if (!NT_SUCCESS(status))
        return status;
    header->u2.s2.Type = LPC_REPLY;
    header->u2.s2.DataInfoOffset = 0;
    return LpcpCaptureMessage(userReply, header, reply);
}

// The data-info copy of the request being answered goes with the answer.
// Lock held. The walk out of line: a request with a data-info block is
// rare, and every reply checks for an empty chain in line (below).
__attribute__((noinline)) void
LpcpDropDataInfoFrom(LIST_ENTRY *head, ETHREAD *client, ULONG messageId, LIST_ENTRY *freeList)
{
    for (LIST_ENTRY *entry = head->Flink; entry != head; entry = entry->Flink) {
        LPCP_MESSAGE *message = CONTAINING_RECORD(entry, LPCP_MESSAGE, Entry);

        if (message->Request.MessageId == messageId &&
            message->Request.ClientId.UniqueThread == client->Cid.UniqueThread) {
            RemoveEntryList(entry);
            InsertTailList(freeList, entry);
            return;
        }
    }
}

NTSTATUS LpcpReply(LPCP_PORT_OBJECT *port, LPCP_MESSAGE *reply, BOOLEAN waitAgain)
{
    return LpcpReplyEx(port, reply, waitAgain, NULL);
}

NTSTATUS LpcpReplyWaitNext(LPCP_PORT_OBJECT *port, LPCP_MESSAGE *reply, BOOLEAN *waitNext)
{
    return LpcpReplyEx(port, reply, FALSE, waitNext);
}

// Capture, port, checks and the reply: what NtReplyPort and the reply half
// of the other services share.
static NTSTATUS LpcpReplyFromUser(HANDLE portHandle, PORT_MESSAGE *replyMessage,
                                  BOOLEAN waitAgain, LPCP_PORT_OBJECT **portOut)
{
    LPCP_PORT_OBJECT *port;
    LPCP_MESSAGE *reply;
    PORT_MESSAGE header;
    NTSTATUS status = LpcpCaptureHeader(replyMessage, &header);

    if (!NT_SUCCESS(status))
        return status;
    status = LpcpReferencePortByHandle(portHandle, 0, &port);
    if (!NT_SUCCESS(status))
        return status;
    status = LpcpCaptureReply(port, replyMessage, &header, &reply);
    if (NT_SUCCESS(status))
        status = LpcpReply(port, reply, waitAgain);
    if (NT_SUCCESS(status) && portOut)
        *portOut = port;
    else
        ObDereferenceObject(port);
    return status;
}

NTSTATUS NtReplyPort(HANDLE portHandle, PORT_MESSAGE *replyMessage)
{
    return LpcpReplyFromUser(portHandle, replyMessage, FALSE, NULL);
}

// Replies (typically a client answering a server's callback) and waits for
// the answer to the same MessageId, which comes back in the same buffer.
NTSTATUS NtReplyWaitReplyPort(HANDLE portHandle, PORT_MESSAGE *replyMessage)
{
    ULONG messageId = 0;
    LPCP_PORT_OBJECT *port;
    LPCP_MESSAGE *answer = NULL;
    NTSTATUS status = ProbeForWriteInline(replyMessage, sizeof(*replyMessage), sizeof(ULONG));

    if (NT_SUCCESS(status))
        status = MmCopyFromUserInline(&messageId, &replyMessage->MessageId, sizeof(messageId));
    if (NT_SUCCESS(status))
        status = LpcpReplyFromUser(portHandle, replyMessage, TRUE, &port);
    if (!NT_SUCCESS(status))
        return status;
    // No request of this thread is queued anywhere: nothing to take back.
    status = LpcpWaitForReply(NULL, FALSE, messageId, UserMode, &answer);
    ObDereferenceObject(port);
    if (status != STATUS_SUCCESS)
        return status;
    status = MmCopyToUserInline(replyMessage, &answer->Request,
                          (USHORT)answer->Request.u1.s1.TotalLength);
    LpcpFreeMessage(answer);
    return status;
}
