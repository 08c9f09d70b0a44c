// LPC's use of security (kernel/se): who the server is, and the server
// running as its client.
//
// - NtSecureConnectPort's RequiredServerSid: the connection port's server
//   process must run as that user (its primary token's user SID), else
//   STATUS_SERVER_SID_MISMATCH before anything is queued.
// - A client port keeps what its server needs to impersonate the client:
//   with static tracking (the QoS's ContextTrackingMode), a copy of the
//   client's token taken at connect time (StaticSecurity); with dynamic
//   tracking (LPCP_SECURITY_DYNAMIC), nothing: the client's token is read
//   at each NtImpersonateClientOfPort, so the server sees it as it is then.
// - NtImpersonateClientOfPort: a server thread holding a client's request
//   (the client still waits for the reply to that MessageId) runs as that
//   client until it reverts.

#include "lpc/lpcp.h"
#include "mm/mm.h"

NTSTATUS LpcpCaptureSid(const SID *userSid, SID *sid)
{
    UCHAR count;
    NTSTATUS status = ProbeForRead(userSid, FIELD_OFFSET(SID, SubAuthority), sizeof(ULONG));

    if (NT_SUCCESS(status))
        status = MmCopyFromUser(sid, userSid, FIELD_OFFSET(SID, SubAuthority));
    if (!NT_SUCCESS(status))
        return status;
    if (sid->Revision != 1 || sid->SubAuthorityCount > SID_MAX_SUB_AUTHORITIES)
        return STATUS_INVALID_SID;
    count = sid->SubAuthorityCount;
    status = MmCopyFromUser(sid, userSid, SeLengthSid(sid));
    // The SID may change between the two copies: only the count checked.
    if (NT_SUCCESS(status) && (sid->Revision != 1 || sid->SubAuthorityCount != count))
        status = STATUS_INVALID_SID;
    return status;
}

NTSTATUS LpcpCheckServerSid(LPCP_PORT_OBJECT *connectionPort, const SID *requiredServerSid)
{
    void *token = PsReferencePrimaryToken(connectionPort->ServerProcess);
    BOOLEAN equal = token && SeEqualSid(SeTokenUser(token), requiredServerSid);

    if (token)
        ObDereferenceObject(token);
    return equal ? STATUS_SUCCESS : STATUS_SERVER_SID_MISMATCH;
}

NTSTATUS LpcpCaptureClientSecurity(LPCP_PORT_OBJECT *clientPort)
{
    if (clientPort->SecurityQos.ContextTrackingMode == SECURITY_DYNAMIC_TRACKING) {
        clientPort->Flags |= LPCP_SECURITY_DYNAMIC;
        return STATUS_SUCCESS;
    }
    return SeCreateClientSecurity(PsGetCurrentThread(), &clientPort->SecurityQos, FALSE,
                                  &clientPort->StaticSecurity);
}

void LpcpDeleteClientSecurity(LPCP_PORT_OBJECT *clientPort)
{
    if (!(clientPort->Flags & LPCP_SECURITY_DYNAMIC) && clientPort->StaticSecurity.ClientToken)
        SeDeleteClientSecurity(&clientPort->StaticSecurity);
}

// The client port of a server communication port, referenced, if the
// thread `header` names still waits for the reply to its MessageId
// through that connection and did not forbid impersonation.
static NTSTATUS LpcpFindImpersonatedClient(LPCP_PORT_OBJECT *port, const PORT_MESSAGE *header,
                                           ETHREAD *client, LPCP_PORT_OBJECT **clientPort)
{
    LPCP_PORT_OBJECT *waitingPort;
    NTSTATUS status = STATUS_SUCCESS;
    ULONG_PTR waiting;
    KIRQL oldIrql = LpcpAcquireLock();

    waiting = (ULONG_PTR)client->LpcWaitingOnPort;
    waitingPort = (LPCP_PORT_OBJECT *)(waiting & ~LPCP_THREAD_FLAGS);
    *clientPort = port->ConnectedPort;
    if (!*clientPort || !ObReferenceObjectSafe(*clientPort))
        status = STATUS_PORT_DISCONNECTED;
    else if (IsListEmpty(&client->LpcReplyChain) ||
             client->LpcReplyMessageId != header->MessageId ||
             !(waiting & LPCP_THREAD_FLAG_IS_PORT) || !LpcpValidateClientPort(port, waitingPort))
        status = STATUS_REPLY_MESSAGE_MISMATCH;
    else if (waiting & LPCP_THREAD_FLAG_NO_IMPERSONATION)
        status = STATUS_ACCESS_DENIED;
    LpcpReleaseLock(oldIrql);
    if (!NT_SUCCESS(status) && status != STATUS_PORT_DISCONNECTED)
        ObDereferenceObject(*clientPort);
    return status;
}

NTSTATUS NtImpersonateClientOfPort(HANDLE portHandle, PORT_MESSAGE *message)
{
    SECURITY_CLIENT_CONTEXT dynamic;
    LPCP_PORT_OBJECT *port, *clientPort;
    PORT_MESSAGE header;
    ETHREAD *client;
    NTSTATUS status = ProbeForRead(message, sizeof(*message), sizeof(ULONG));

    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&header, message, sizeof(header));
    if (!NT_SUCCESS(status))
        return status;
    status = LpcpReferencePortByHandle(portHandle, 0, &port);
    if (!NT_SUCCESS(status))
        return status;
    if ((port->Flags & LPCP_PORT_TYPE_MASK) != LPCP_COMMUNICATION_PORT) {
        ObDereferenceObject(port);
        return STATUS_INVALID_PORT_HANDLE;
    }
    status = PsLookupThreadByThreadId(header.ClientId.UniqueThread, &client);
    if (NT_SUCCESS(status) && client->Cid.UniqueProcess != header.ClientId.UniqueProcess) {
        ObDereferenceObject(client);
        status = STATUS_INVALID_CID;
    }
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(port);
        return status;
    }
    status = LpcpFindImpersonatedClient(port, &header, client, &clientPort);
    if (NT_SUCCESS(status)) {
        if (clientPort->Flags & LPCP_SECURITY_DYNAMIC) {
            // The client as it is now.
            status = SeCreateClientSecurity(client, &clientPort->SecurityQos, FALSE, &dynamic);
            if (NT_SUCCESS(status)) {
                status = SeImpersonateClientEx(&dynamic, PsGetCurrentThread());
                SeDeleteClientSecurity(&dynamic);
            }
        } else {
            status = SeImpersonateClientEx(&clientPort->StaticSecurity, PsGetCurrentThread());
        }
        ObDereferenceObject(clientPort);
    }
    ObDereferenceObject(client);
    ObDereferenceObject(port);
    return status;
}
