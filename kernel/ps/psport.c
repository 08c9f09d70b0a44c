// A process's exception port (ProcessExceptionPort): the LPC port that is
// told when the process's threads die (LPC_CLIENT_DIED, for threads that
// registered no termination port) — what NT's subsystem servers use to
// watch their clients. Set once; kept until the process exits, whose last
// thread drops it (PspRundownExceptionPort). A process that has exited
// cannot take one (STATUS_PROCESS_IS_TERMINATING): nothing would drop it,
// and the port (which holds its server process) would live for ever.

#include "ps/ps.h"
#include "lpc/lpcp.h"

NTSTATUS PspSetExceptionPort(EPROCESS *process, HANDLE portHandle)
{
    void *port, *expected = NULL;
    NTSTATUS status;

    // Setting who hears about a process is the trusted computing base's
    // business, as on NT.
    if (!SeSinglePrivilegeCheck(SE_TCB_PRIVILEGE))
        return STATUS_PRIVILEGE_NOT_HELD;
    status = ObReferenceObjectByHandle(portHandle, 0, LpcPortObjectType, &port, NULL);
    if (!NT_SUCCESS(status))
        return status;
    if (__atomic_load_n(&process->ProcessDelete, __ATOMIC_ACQUIRE)) {
        ObDereferenceObject(port);
        return STATUS_PROCESS_IS_TERMINATING;
    }
    if (!__atomic_compare_exchange_n(&process->ExceptionPort, &expected, port, FALSE,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        ObDereferenceObject(port);
        return STATUS_PORT_ALREADY_SET;
    }
    // The last thread marks the process (ProcessDelete) before its rundown
    // takes the port: marked now, the rundown may have run before the port
    // was set. Whichever of the two takes the port back drops it, once.
    if (__atomic_load_n(&process->ProcessDelete, __ATOMIC_ACQUIRE)) {
        expected = port;
        if (__atomic_compare_exchange_n(&process->ExceptionPort, &expected, NULL, FALSE,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            ObDereferenceObject(port);
        return STATUS_PROCESS_IS_TERMINATING;
    }
    return STATUS_SUCCESS;
}

void PspRundownExceptionPort(EPROCESS *process)
{
    void *port = __atomic_exchange_n(&process->ExceptionPort, NULL, __ATOMIC_ACQ_REL);

    if (port)
        ObDereferenceObject(port);
}
