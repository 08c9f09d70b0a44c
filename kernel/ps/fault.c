// An exception in user mode that nobody handles (there is no user-mode
// exception dispatch yet) ends the process of the thread that raised it,
// every thread of it, with the exception code as exit status. The system goes on; the
// console gets one line saying what happened.

#include "ps/ps.h"

static const char *PspExceptionName(NTSTATUS code)
{
    switch (code) {
    case STATUS_ACCESS_VIOLATION:
        return "access violation";
    case STATUS_ILLEGAL_INSTRUCTION:
        return "illegal instruction";
    case STATUS_INTEGER_DIVIDE_BY_ZERO:
        return "integer divide by zero";
    case STATUS_BREAKPOINT:
        return "breakpoint";
    default:
        return "exception";
    }
}

static void PspUnhandledUserException(KTRAP_FRAME *frame, NTSTATUS code, ULONG64 address)
{
    ETHREAD *thread = PsGetCurrentThread();
    EPROCESS *process = thread->ThreadsProcess;

    DbgPrint("Process %s (Cid %llx.%llx) faulted: %08x %s at address %016llx, rip %016llx\n",
             process->ImageFileName, (unsigned long long)(ULONG_PTR)thread->Cid.UniqueProcess,
             (unsigned long long)(ULONG_PTR)thread->Cid.UniqueThread, (ULONG)code,
             PspExceptionName(code), (unsigned long long)address,
             (unsigned long long)frame->Rip);
    PspTerminateCurrentProcess(code);
}

void PspInitializeUserExceptions(void)
{
    KiUserExceptionRoutine = PspUnhandledUserException;
}
