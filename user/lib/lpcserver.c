// An LPC server's bookkeeping of its clients, shared by smss and lsass.
//
// A server accepts each connection with a PortContext of its choosing;
// every later message from that client, and the LPC_PORT_CLOSED that says
// the client is gone, carry it back. The server communication port's
// handle is known only once NtAcceptConnectPort returns, so the context is
// a cell that will hold it: when the client goes, the handle is closed and
// the cell freed. (With a NULL context the handle could never be found
// again, and each departed client left one handle behind.)

#include "user/include/runtime.h"

NTSTATUS LpcServerAcceptClient(PORT_MESSAGE *request)
{
    HANDLE *cell = RtlAllocateHeap(RtlProcessHeap(), 0, sizeof(HANDLE));
    HANDLE port;
    NTSTATUS status;

    if (!cell) {
        // Refused: the client's NtConnectPort gets STATUS_PORT_CONNECTION_REFUSED.
        NtAcceptConnectPort(&port, NULL, request, FALSE, NULL, NULL);
        return STATUS_NO_MEMORY;
    }
    status = NtAcceptConnectPort(&port, cell, request, TRUE, NULL, NULL);
    if (!NT_SUCCESS(status)) {
        RtlFreeHeap(RtlProcessHeap(), 0, cell);
        return status;
    }
    // Nothing from this client is received before the dispatcher that
    // called us receives again: the cell is filled in time.
    *cell = port;
    return NtCompleteConnectPort(port);
}

void LpcServerClientGone(PVOID context)
{
    HANDLE *cell = context;

    if (!cell)
        return;
    NtClose(*cell);
    RtlFreeHeap(RtlProcessHeap(), 0, cell);
}
