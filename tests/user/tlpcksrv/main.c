// The user-mode server of the in-kernel test LpcKernelCallerAsksUserModeServer
// (tests/kernel/test_lpc.c): a System thread sends it datagrams and requests
// with LpcRequestPort and LpcRequestWaitReplyPort. It doubles Data[0] of
// each request and echoes the sender's thread id in Data[1]; a datagram
// with 0xdead in Data[0] ends it, with the count of the other datagrams as
// its exit status.

#include "tests/user/ulpc.h"

int main(void)
{
    ULPC_MESSAGE message, reply;
    ULPC_MESSAGE *pending = NULL;
    HANDLE port;
    PVOID context;
    int datagrams = 0;

    if (UlpcCreatePort(&port, u"\\RPC Control\\TlpcKernelServer", FALSE) != STATUS_SUCCESS)
        return -1;
    for (;;) {
        NTSTATUS status = NtReplyWaitReceivePort(port, &context, pending ? &pending->h : NULL,
                                                 &message.h);

        pending = NULL;
        if (status != STATUS_SUCCESS)
            return -2;
        if (message.h.u2.s2.Type == LPC_DATAGRAM) {
            if (message.Data[0] == 0xdead)
                break;
            datagrams++;
        } else if (((USHORT)message.h.u2.s2.Type & ~0x8000) == LPC_REQUEST) {
            reply = message;
            reply.Data[0] *= 2;
            reply.Data[1] = (ULONG)(ULONG_PTR)message.h.ClientId.UniqueThread;
            pending = &reply;
        }
    }
    NtClose(port);
    return datagrams;
}
