// NtReadRequestData and NtWriteRequestData: a server reads or writes the
// client's buffers that a request names in its LPCP_DATA_INFO block, while
// the client waits for the reply (larger data than a message holds, without
// a shared section). And NtQueryInformationPort.

#include "lpc/lpcp.h"
#include "mm/mm.h"

// Finds the entry of the request `header` names (kept on the data-info
// chain since it was received) and the client that waits for its reply:
// the entry's address and length, and the client's process, referenced.
static NTSTATUS LpcpFindDataEntry(LPCP_PORT_OBJECT *port, const PORT_MESSAGE *header,
                                  ULONG index, void **base, ULONG *length, ETHREAD **client)
{
    LPCP_PORT_OBJECT *waitingPort, *receivePort;
    NTSTATUS status = PsLookupThreadByThreadId(header->ClientId.UniqueThread, client);
    LIST_ENTRY *head;
    KIRQL oldIrql;

    if (!NT_SUCCESS(status))
        return status;
    if ((*client)->Cid.UniqueProcess != header->ClientId.UniqueProcess) {
        ObDereferenceObject(*client);
        return STATUS_INVALID_CID;
    }
    status = STATUS_REPLY_MESSAGE_MISMATCH;
    oldIrql = LpcpAcquireLock();
    waitingPort =
        (LPCP_PORT_OBJECT *)((ULONG_PTR)(*client)->LpcWaitingOnPort & ~LPCP_THREAD_FLAGS);
    receivePort = LpcpReceivePort(port);
    if (!IsListEmpty(&(*client)->LpcReplyChain) &&
        (*client)->LpcReplyMessageId == header->MessageId && !LpcpGetMessageFromThread(*client) &&
        LpcpValidateClientPort(port, waitingPort) && receivePort) {
        head = &receivePort->LpcDataInfoChainHead;
        for (LIST_ENTRY *entry = head->Flink; entry != head; entry = entry->Flink) {
            LPCP_MESSAGE *message = CONTAINING_RECORD(entry, LPCP_MESSAGE, Entry);
            LPCP_DATA_INFO *info;

            if (message->Request.MessageId != header->MessageId ||
                message->Request.ClientId.UniqueThread != header->ClientId.UniqueThread)
                continue;
            info = (LPCP_DATA_INFO *)((UCHAR *)&message->Request +
                                      message->Request.u2.s2.DataInfoOffset);
            if (index >= info->NumberOfEntries) {
                status = STATUS_INVALID_PARAMETER;
            } else {
                *base = info->Entries[index].BaseAddress;
                *length = info->Entries[index].DataLength;
                status = STATUS_SUCCESS;
            }
            break;
        }
    }
    LpcpReleaseLock(oldIrql);
    if (!NT_SUCCESS(status))
        ObDereferenceObject(*client);
    return status;
}

static NTSTATUS LpcpCopyRequestData(HANDLE portHandle, PORT_MESSAGE *message,
                                    ULONG dataEntryIndex, void *buffer, SIZE_T bufferSize,
                                    SIZE_T *numberOfBytesCopied, BOOLEAN write)
{
    LPCP_PORT_OBJECT *port;
    PORT_MESSAGE header;
    ETHREAD *client;
    SIZE_T copied = 0;
    ULONG length;
    void *base;
    NTSTATUS status = LpcpCaptureHeader(message, &header);

    if (NT_SUCCESS(status))
        status = write ? ProbeForRead(buffer, bufferSize, 1)
                       : ProbeForWrite(buffer, bufferSize, 1);
    if (NT_SUCCESS(status) && numberOfBytesCopied)
        status = ProbeForWrite(numberOfBytesCopied, sizeof(SIZE_T), sizeof(ULONG));
    if (!NT_SUCCESS(status))
        return status;
    status = LpcpReferencePortByHandle(portHandle, 0, &port);
    if (!NT_SUCCESS(status))
        return status;
    if (header.u2.s2.DataInfoOffset == 0)
        status = STATUS_INVALID_PARAMETER;
    else
        status = LpcpFindDataEntry(port, &header, dataEntryIndex, &base, &length, &client);
    ObDereferenceObject(port);
    if (!NT_SUCCESS(status))
        return status;
    if (bufferSize > length)
        status = STATUS_INVALID_PARAMETER;
    else if (write)
        status = MmCopyVirtualMemory(PsGetCurrentProcess(), buffer, client->ThreadsProcess, base,
                                     bufferSize, &copied);
    else
        status = MmCopyVirtualMemory(client->ThreadsProcess, base, PsGetCurrentProcess(), buffer,
                                     bufferSize, &copied);
    ObDereferenceObject(client);
    if (NT_SUCCESS(status) && numberOfBytesCopied)
        status = MmCopyToUser(numberOfBytesCopied, &copied, sizeof(copied));
    return status;
}

NTSTATUS NtReadRequestData(HANDLE portHandle, PORT_MESSAGE *message, ULONG dataEntryIndex,
                           void *buffer, SIZE_T bufferSize, SIZE_T *numberOfBytesRead)
{
    return LpcpCopyRequestData(portHandle, message, dataEntryIndex, buffer, bufferSize,
                               numberOfBytesRead, FALSE);
}

NTSTATUS NtWriteRequestData(HANDLE portHandle, PORT_MESSAGE *message, ULONG dataEntryIndex,
                            void *buffer, SIZE_T bufferSize, SIZE_T *numberOfBytesWritten)
{
    return LpcpCopyRequestData(portHandle, message, dataEntryIndex, buffer, bufferSize,
                               numberOfBytesWritten, TRUE);
}

// As NT's: the buffers are probed and the handle checked, and nothing is
// returned (PortNoInformation is the only class). No handle at all is
// STATUS_INVALID_INFO_CLASS.
NTSTATUS NtQueryInformationPort(HANDLE portHandle, PORT_INFORMATION_CLASS portInformationClass,
                                void *portInformation, ULONG length, ULONG *returnLength)
{
    LPCP_PORT_OBJECT *port;
    NTSTATUS status = ProbeForWrite(portInformation, length, sizeof(ULONG));

    (void)portInformationClass;
    if (NT_SUCCESS(status) && returnLength)
        status = ProbeForWrite(returnLength, sizeof(ULONG), sizeof(ULONG));
    if (!NT_SUCCESS(status))
        return status;
    if (!portHandle)
        return STATUS_INVALID_INFO_CLASS;
    status = LpcpReferencePortByHandle(portHandle, 0, &port);
    if (NT_SUCCESS(status))
        ObDereferenceObject(port);
    return status;
}
