// Where every thread made by NtCreateThreadEx starts in user mode: the
// kernel enters RtlUserThreadStart (it finds it by name in the image) with
// the start routine in rcx and its argument in rdx, NT's x64 convention,
// and the thread ends with whatever the routine returns.

#include "user/include/runtime.h"

void NTAPI __attribute__((noreturn)) RtlUserThreadStart(PUSER_THREAD_START_ROUTINE startRoutine,
                                                        PVOID argument)
{
    RtlExitUserThread(startRoutine(argument));
}

// The last thread of a process ends the process with it.
void __attribute__((noreturn)) RtlExitUserThread(NTSTATUS status)
{
    NtTerminateThread(NtCurrentThread(), status);
    __builtin_trap();   // NtTerminateThread on the current thread does not return
}
