// The client's half of the handshake: NtConnectPort and NtSecureConnectPort.
//
//   client                           kernel                         server
//   NtConnectPort(name) ---------->  client port made, client view
//                                    mapped, LPC_CONNECTION_REQUEST
//                                    queued on the connection port ---> NtListenPort
//   (waits on LpcReplySemaphore,                                        NtAcceptConnectPort
//    on the connection port's                                           (server port, views)
//    reply chain)                                           <---------- NtCompleteConnectPort
//   handle to the client port  <---  woken
//
// The connection request stays with the client thread (its
// LpcReplyMessage) while the server looks at it, and comes back to it
// rewritten: LPC_REPLY with the server's connection information and views,
// or LPC_CONNECTION_REFUSED.

#include "lpc/lpcp.h"
#include "mm/mm.h"

typedef struct _LPCP_CONNECT_ARGUMENTS {
    SECURITY_QUALITY_OF_SERVICE Qos;
    PORT_VIEW ClientView;
    REMOTE_PORT_VIEW ServerView;
    ULONG InfoLength;
    BOOLEAN HaveClientView;
    BOOLEAN HaveServerView;
} LPCP_CONNECT_ARGUMENTS;

// Every pointer argument probed, the in-parameters captured (NT's order:
// the handle, the QoS, the views and their Length fields, the lengths).
static NTSTATUS LpcpCaptureConnectArguments(HANDLE *portHandle,
                                            SECURITY_QUALITY_OF_SERVICE *securityQos,
                                            PORT_VIEW *clientView, REMOTE_PORT_VIEW *serverView,
                                            ULONG *maxMessageLength, void *connectionInformation,
                                            ULONG *connectionInformationLength,
                                            LPCP_CONNECT_ARGUMENTS *arguments)
{
    NTSTATUS status = ObProbeHandleOut(portHandle);

    memset(arguments, 0, sizeof(*arguments));
    if (NT_SUCCESS(status))
        status = ProbeForRead(securityQos, sizeof(*securityQos), sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&arguments->Qos, securityQos, sizeof(arguments->Qos));
    if (NT_SUCCESS(status) && clientView) {
        status = ProbeForWrite(clientView, sizeof(*clientView), sizeof(ULONG));
        if (NT_SUCCESS(status))
            status = MmCopyFromUser(&arguments->ClientView, clientView, sizeof(*clientView));
        if (NT_SUCCESS(status) && arguments->ClientView.Length != sizeof(PORT_VIEW))
            status = STATUS_INVALID_PARAMETER;
        arguments->HaveClientView = TRUE;
    }
    if (NT_SUCCESS(status) && serverView) {
        status = ProbeForWrite(serverView, sizeof(*serverView), sizeof(ULONG));
        if (NT_SUCCESS(status))
            status = MmCopyFromUser(&arguments->ServerView, serverView, sizeof(*serverView));
        if (NT_SUCCESS(status) && arguments->ServerView.Length != sizeof(REMOTE_PORT_VIEW))
            status = STATUS_INVALID_PARAMETER;
        arguments->HaveServerView = TRUE;
    }
    if (NT_SUCCESS(status) && maxMessageLength)
        status = ProbeForWrite(maxMessageLength, sizeof(ULONG), sizeof(ULONG));
    if (NT_SUCCESS(status) && connectionInformationLength) {
        status = ProbeForWrite(connectionInformationLength, sizeof(ULONG), sizeof(ULONG));
        if (NT_SUCCESS(status))
            status = MmCopyFromUser(&arguments->InfoLength, connectionInformationLength,
                                    sizeof(ULONG));
    }
    if (!connectionInformation)
        arguments->InfoLength = 0;
    if (NT_SUCCESS(status) && arguments->InfoLength)
        status = ProbeForWrite(connectionInformation, arguments->InfoLength, 1);
    return status;
}

// The named connection port, Port or WaitablePort.
static NTSTATUS LpcpReferenceConnectionPort(UNICODE_STRING *portName, LPCP_PORT_OBJECT **port)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    NTSTATUS status = PspCaptureUnicodeString(portName, &name);

    if (!NT_SUCCESS(status))
        return status;
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE, NULL, NULL);
    status = ObReferenceObjectByName(&attributes, LpcPortObjectType, (void **)port);
    if (status == STATUS_OBJECT_TYPE_MISMATCH)
        status = ObReferenceObjectByName(&attributes, LpcWaitablePortObjectType, (void **)port);
    PspReleaseUnicodeString(&name);
    if (!NT_SUCCESS(status))
        return status;
    if (((*port)->Flags & LPCP_PORT_TYPE_MASK) != LPCP_CONNECTION_PORT)
        status = STATUS_INVALID_PORT_HANDLE;
    else
        // The connection port's descriptor decides who may connect:
        // PORT_CONNECT for the caller's effective token, checked before
        // anything is created or queued.
        status = ObCheckObjectAccess(*port, PORT_CONNECT, NULL);
    if (!NT_SUCCESS(status))
        ObDereferenceObject(*port);
    return status;
}

// The client port, with the client's view mapped in its process. Takes
// over the reference on connectionPort.
static NTSTATUS LpcpCreateClientPort(LPCP_PORT_OBJECT *connectionPort,
                                     LPCP_CONNECT_ARGUMENTS *arguments, SECTION **section,
                                     LPCP_PORT_OBJECT **result)
{
    EPROCESS *process = PsGetCurrentProcess();
    LPCP_PORT_OBJECT *port;
    NTSTATUS status = LpcpInitializePortObject(FALSE, LPCP_CLIENT_PORT, &port);

    *section = NULL;
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(connectionPort);
        return status;
    }
    port->ConnectionPort = connectionPort;
    port->MaxMessageLength = connectionPort->MaxMessageLength;
    port->MaxConnectionInfoLength = connectionPort->MaxConnectionInfoLength;
    port->SecurityQos = arguments->Qos;
    port->MappingProcess = process;
    ObReferenceObject(process);
    if (arguments->HaveClientView) {
        void *base = NULL;
        SIZE_T size = arguments->ClientView.ViewSize;

        status = ObReferenceObjectByHandle(arguments->ClientView.SectionHandle,
                                           SECTION_MAP_READ | SECTION_MAP_WRITE,
                                           MmSectionObjectType, (void **)section, NULL);
        if (NT_SUCCESS(status)) {
            status = MmMapViewOfSection(*section, process, &base,
                                        arguments->ClientView.SectionOffset, &size,
                                        PAGE_READWRITE);
            if (!NT_SUCCESS(status)) {
                ObDereferenceObject(*section);
                *section = NULL;
            }
        }
        if (!NT_SUCCESS(status)) {
            ObDereferenceObject(port);
            return status;
        }
        port->ClientSectionBase = base;
        arguments->ClientView.ViewBase = base;
        arguments->ClientView.ViewSize = size;
    }
    *result = port;
    return STATUS_SUCCESS;
}

// The LPC_CONNECTION_REQUEST the client thread sends (its connection
// information follows the header, the caller copies it); references the
// client port for the request.
static LPCP_CONNECTION_MESSAGE *LpcpBuildConnectionRequest(LPCP_MESSAGE *message,
                                                           LPCP_PORT_OBJECT *clientPort,
                                                           const LPCP_CONNECT_ARGUMENTS *arguments,
                                                           SECTION *section)
{
    LPCP_CONNECTION_MESSAGE *connection = LpcpConnectionMessage(message);

    memset(connection, 0, sizeof(*connection));
    connection->ClientView = arguments->ClientView;
    connection->SectionToMap = section;
    connection->ClientPort = clientPort;
    ObReferenceObject(clientPort);              // the request's
    message->Request.u2.s2.Type = LPC_CONNECTION_REQUEST;
    message->Request.u1.s1.DataLength = (CSHORT)(sizeof(*connection) + arguments->InfoLength);
    message->Request.u1.s1.TotalLength =
        (CSHORT)(sizeof(PORT_MESSAGE) + sizeof(*connection) + arguments->InfoLength);
    message->Request.ClientId = PsGetCurrentThread()->Cid;
    message->Request.ClientViewSize = arguments->ClientView.ViewSize;
    return connection;
}

// Queues the request and waits for the server's answer; the answer (or
// NULL when the server side went away) in *answer.
static NTSTATUS LpcpConnectAndWait(LPCP_PORT_OBJECT *connectionPort, LPCP_MESSAGE *message,
                                   KPROCESSOR_MODE waitMode, LPCP_MESSAGE **answer)
{
    ETHREAD *thread = PsGetCurrentThread();
    LPCP_MESSAGE *held;
    BOOLEAN woken;
    NTSTATUS status;
    KIRQL oldIrql = LpcpAcquireLock();

    if (connectionPort->Flags & (LPCP_NAME_DELETED | LPCP_PORT_DELETED)) {
        status = STATUS_OBJECT_NAME_NOT_FOUND;
    } else {
        message->Request.MessageId = LpcpGenerateMessageId();
        status = LpcpQueueMessage(connectionPort, message, TRUE);
    }
    if (NT_SUCCESS(status)) {
        thread->LpcReplyMessageId = message->Request.MessageId;
        thread->LpcReplyMessage = message;
        InsertTailList(&connectionPort->LpcReplyChainHead, &thread->LpcReplyChain);
    }
    LpcpReleaseLock(oldIrql);
    if (!NT_SUCCESS(status)) {
        LpcpFreeMessage(message);
        return status;
    }
    status = KeWaitForSingleObject(&thread->LpcReplySemaphore, Executive, waitMode, FALSE, NULL);
    oldIrql = LpcpAcquireLock();
    woken = IsListEmpty(&thread->LpcReplyChain);
    held = LpcpGetMessageFromThread(thread);
    thread->LpcReplyMessage = NULL;
    thread->LpcReplyMessageId = 0;
    if (!woken) {
        // Terminated while waiting: the request leaves the queue if the
        // server has not taken it (an accept in progress holds it itself).
        RemoveEntryList(&thread->LpcReplyChain);
        InitializeListHead(&thread->LpcReplyChain);
        if (held && !IsListEmpty(&held->Entry)) {
            RemoveEntryList(&held->Entry);
            LpcpUncountMessage(connectionPort);
        }
    }
    LpcpReleaseLock(oldIrql);
    if (!woken) {
        if (held)
            LpcpFreeMessage(held);
        return status;
    }
    if (status != STATUS_SUCCESS)
        KeWaitForSingleObject(&thread->LpcReplySemaphore, Executive, KernelMode, FALSE, NULL);
    *answer = held;
    return STATUS_SUCCESS;
}

// The answer's connection information and views back to the caller.
static NTSTATUS LpcpReturnConnectResults(LPCP_MESSAGE *answer, LPCP_PORT_OBJECT *clientPort,
                                         LPCP_CONNECT_ARGUMENTS *arguments,
                                         PORT_VIEW *clientView, REMOTE_PORT_VIEW *serverView,
                                         ULONG *maxMessageLength, void *connectionInformation,
                                         ULONG *connectionInformationLength)
{
    LPCP_CONNECTION_MESSAGE *connection = LpcpConnectionMessage(answer);
    ULONG infoLength = (USHORT)answer->Request.u1.s1.DataLength - sizeof(*connection);
    NTSTATUS status = STATUS_SUCCESS;

    if (infoLength > arguments->InfoLength)
        infoLength = arguments->InfoLength;
    if (maxMessageLength)
        status = MmCopyToUser(maxMessageLength, &clientPort->MaxMessageLength, sizeof(ULONG));
    if (NT_SUCCESS(status) && clientView) {
        arguments->ClientView.ViewRemoteBase = connection->ClientView.ViewRemoteBase;
        status = MmCopyToUser(clientView, &arguments->ClientView, sizeof(*clientView));
    }
    if (NT_SUCCESS(status) && serverView)
        status = MmCopyToUser(serverView, &connection->ServerView, sizeof(*serverView));
    if (NT_SUCCESS(status) && infoLength)
        status = MmCopyToUser(connectionInformation, connection + 1, infoLength);
    if (NT_SUCCESS(status) && connectionInformationLength)
        status = MmCopyToUser(connectionInformationLength, &infoLength, sizeof(ULONG));
    return status;
}

NTSTATUS NtSecureConnectPort(HANDLE *portHandle, UNICODE_STRING *portName,
                             SECURITY_QUALITY_OF_SERVICE *securityQos, PORT_VIEW *clientView,
                             SID *requiredServerSid, REMOTE_PORT_VIEW *serverView,
                             ULONG *maxMessageLength, void *connectionInformation,
                             ULONG *connectionInformationLength)
{
    LPCP_CONNECT_ARGUMENTS arguments;
    LPCP_PORT_OBJECT *connectionPort, *clientPort;
    LPCP_CONNECTION_MESSAGE *connection;
    LPCP_MESSAGE *message, *answer = NULL;
    OB_CAPTURED_ATTRIBUTES unnamed;
    union {
        SID Sid;
        UCHAR Bytes[SECURITY_MAX_SID_SIZE];
    } serverSid;
    SECTION *section;
    NTSTATUS status;

    status = LpcpCaptureConnectArguments(portHandle, securityQos, clientView, serverView,
                                         maxMessageLength, connectionInformation,
                                         connectionInformationLength, &arguments);
    if (NT_SUCCESS(status) && requiredServerSid)
        status = LpcpCaptureSid(requiredServerSid, &serverSid.Sid);
    if (NT_SUCCESS(status))
        status = LpcpReferenceConnectionPort(portName, &connectionPort);
    if (!NT_SUCCESS(status))
        return status;
    // The server must be who the client expects.
    if (requiredServerSid) {
        status = LpcpCheckServerSid(connectionPort, &serverSid.Sid);
        if (!NT_SUCCESS(status)) {
            ObDereferenceObject(connectionPort);
            return status;
        }
    }
    if (arguments.InfoLength > connectionPort->MaxConnectionInfoLength)
        arguments.InfoLength = connectionPort->MaxConnectionInfoLength;
    status = LpcpCreateClientPort(connectionPort, &arguments, &section, &clientPort);
    if (!NT_SUCCESS(status))
        return status;
    status = LpcpCaptureClientSecurity(clientPort);
    if (!NT_SUCCESS(status)) {
        if (section)
            ObDereferenceObject(section);
        ObDereferenceObject(clientPort);
        return status;
    }
    message = LpcpAllocateMessage();
    if (!message) {
        if (section)
            ObDereferenceObject(section);
        ObDereferenceObject(clientPort);
        return STATUS_NO_MEMORY;
    }
    connection = LpcpBuildConnectionRequest(message, clientPort, &arguments, section);
    status = MmCopyFromUser(connection + 1, connectionInformation, arguments.InfoLength);
    if (!NT_SUCCESS(status))
        LpcpFreeMessage(message);
    else
        status = LpcpConnectAndWait(connectionPort, message, UserMode, &answer);
    if (status == STATUS_SUCCESS && (!answer || !clientPort->ConnectedPort ||
                                     LpcpMessageType(&answer->Request) != LPC_REPLY))
        status = STATUS_PORT_CONNECTION_REFUSED;
    if (status == STATUS_SUCCESS)
        status = LpcpReturnConnectResults(answer, clientPort, &arguments, clientView, serverView,
                                          maxMessageLength, connectionInformation,
                                          connectionInformationLength);
    if (answer)
        LpcpFreeMessage(answer);
    if (status != STATUS_SUCCESS) {
        ObDereferenceObject(clientPort);
        return status;
    }
    memset(&unnamed, 0, sizeof(unnamed));
    unnamed.Attributes.Length = sizeof(OBJECT_ATTRIBUTES);
    return ObInsertObjectForUser(clientPort, &unnamed, PORT_ALL_ACCESS, portHandle);
}

NTSTATUS NtConnectPort(HANDLE *portHandle, UNICODE_STRING *portName,
                       SECURITY_QUALITY_OF_SERVICE *securityQos, PORT_VIEW *clientView,
                       REMOTE_PORT_VIEW *serverView, ULONG *maxMessageLength,
                       void *connectionInformation, ULONG *connectionInformationLength)
{
    return NtSecureConnectPort(portHandle, portName, securityQos, clientView, NULL, serverView,
                               maxMessageLength, connectionInformation,
                               connectionInformationLength);
}

// A kernel-mode client's connect (NT's ZwConnectPort from a driver, whose
// previous mode is KernelMode): the caller's arguments are kernel memory,
// the connection port's descriptor is not checked, the client port gets no
// handle (the caller keeps the referenced object: Handles 0 References 1)
// and no view, and it belongs to the System process rather than to the
// process whose thread happened to connect, so it outlives that process.
// The wait for the server's answer is a kernel-mode one.
NTSTATUS LpcConnectPort(const UNICODE_STRING *portName, const SECURITY_QUALITY_OF_SERVICE *qos,
                        void **clientPortObject)
{
    LPCP_CONNECT_ARGUMENTS arguments;
    LPCP_PORT_OBJECT *connectionPort, *clientPort;
    LPCP_MESSAGE *message, *answer = NULL;
    OBJECT_ATTRIBUTES attributes;
    SECTION *section;
    NTSTATUS status;

    *clientPortObject = NULL;
    memset(&arguments, 0, sizeof(arguments));
    arguments.Qos = *qos;
    InitializeObjectAttributes(&attributes, (UNICODE_STRING *)portName, OBJ_CASE_INSENSITIVE,
                               NULL, NULL);
    status = ObReferenceObjectByName(&attributes, LpcPortObjectType, (void **)&connectionPort);
    if (status == STATUS_OBJECT_TYPE_MISMATCH)
        status = ObReferenceObjectByName(&attributes, LpcWaitablePortObjectType,
                                         (void **)&connectionPort);
    if (!NT_SUCCESS(status))
        return status;
    if ((connectionPort->Flags & LPCP_PORT_TYPE_MASK) != LPCP_CONNECTION_PORT) {
        ObDereferenceObject(connectionPort);
        return STATUS_INVALID_PORT_HANDLE;
    }
    status = LpcpCreateClientPort(connectionPort, &arguments, &section, &clientPort);
    if (!NT_SUCCESS(status))
        return status;
    // The System process's port: LpcpCreateClientPort gave it the caller's.
    ObDereferenceObject(clientPort->MappingProcess);
    clientPort->MappingProcess = PsInitialSystemProcess;
    ObReferenceObject(PsInitialSystemProcess);
    status = LpcpCaptureClientSecurity(clientPort);
    message = NT_SUCCESS(status) ? LpcpAllocateMessage() : NULL;
    if (NT_SUCCESS(status) && !message)
        status = STATUS_NO_MEMORY;
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(clientPort);
        return status;
    }
    LpcpBuildConnectionRequest(message, clientPort, &arguments, NULL);
    status = LpcpConnectAndWait(connectionPort, message, KernelMode, &answer);
    if (status == STATUS_SUCCESS && (!answer || !clientPort->ConnectedPort ||
                                     LpcpMessageType(&answer->Request) != LPC_REPLY))
        status = STATUS_PORT_CONNECTION_REFUSED;
    if (answer)
        LpcpFreeMessage(answer);
    if (status != STATUS_SUCCESS) {
        ObDereferenceObject(clientPort);
        return NT_SUCCESS(status) ? STATUS_PORT_CONNECTION_REFUSED : status;
    }
    *clientPortObject = clientPort;
    return STATUS_SUCCESS;
}
