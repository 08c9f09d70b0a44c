// The user-mode halves of processes and threads: the PEB (one per process,
// with its RTL_USER_PROCESS_PARAMETERS: image path and command line) and,
// per thread, a TEB and (unless its creator brought one) a stack. All are
// built from the kernel through the direct map, so the process need not be
// the current one; every write checks that the page is there (a thread of
// the process may free or decommit anything at any time).
//
//   00007fff`fff00000  PEB, then the process parameters and their strings
//   below it           TEBs, one page each, the highest free pages first
//   00007fff`00000000  below it, the stacks the kernel makes: a reservation
//                      each (64K granularity), its top committed, at least
//                      one reserved page at its bottom as the guard
//
// A thread's TEB and stack are fresh reservations in the free space left
// (the VAD tree's search), whatever the program did with its address
// space, and are released when the thread ends, as NT frees them.

#include "ps/ps.h"
#include "mm/mm.h"

#define PSP_PEB_ADDRESS        0x00007FFFFFF00000ULL
#define PSP_PEB_REGION_END     0x00007FFFFFFC0000ULL
#define PSP_TEB_AREA_TOP       PSP_PEB_ADDRESS
#define PSP_STACK_AREA_TOP     0x00007FFF00000000ULL

void PspDeleteTeb(ETHREAD *thread)
{
    EPROCESS *process = thread->ThreadsProcess;

    // Each goes only if it is still the thread's own (the VAD says so).
    if (thread->Tcb.Teb && !thread->TebDeleted)
        MmDeleteThreadRange(process, (ULONG64)thread->Tcb.Teb, thread);
    thread->TebDeleted = TRUE;
    if (thread->UserStackBase)
        MmDeleteThreadRange(process, thread->UserStackBase, thread);
    thread->UserStackBase = 0;
}

NTSTATUS PspCreateTeb(ETHREAD *thread, SIZE_T stackCommit, void **stackTop)
{
    EPROCESS *process = thread->ThreadsProcess;
    ULONG64 tebAddress = 0, stackBase = 0, top = 0;
    SIZE_T reserve;
    TEB teb;
    NTSTATUS status;

    stackCommit = ALIGN_UP_BY(stackCommit, PAGE_SIZE);
    if (stackCommit > PSP_MAXIMUM_USER_STACK_SIZE)
        return STATUS_INVALID_PARAMETER;
    if (stackCommit) {
        reserve = ALIGN_UP_BY(stackCommit + PAGE_SIZE, MM_ALLOCATION_GRANULARITY);
        status = MmCreateThreadRange(process, reserve, stackCommit, MM_ALLOCATION_GRANULARITY,
                                     PSP_STACK_AREA_TOP - 1, thread, &stackBase);
        if (!NT_SUCCESS(status))
            return status;
        thread->UserStackBase = stackBase;
        top = stackBase + reserve;
    }
    status = MmCreateThreadRange(process, PAGE_SIZE, PAGE_SIZE, PAGE_SIZE, PSP_TEB_AREA_TOP - 1,
                                 thread, &tebAddress);
    if (NT_SUCCESS(status)) {
        thread->Tcb.Teb = (void *)tebAddress;
        memset(&teb, 0, sizeof(teb));
        teb.NtTib.StackBase = (void *)top;
        teb.NtTib.StackLimit = (void *)(top - stackCommit);
        teb.NtTib.Self = (NT_TIB *)tebAddress;
        teb.ClientId = thread->Cid;
        teb.ProcessEnvironmentBlock = process->Peb;
        // Another thread of the process may have freed the page already.
        status = MmWriteProcessMemory(process->Pcb.DirectoryTableBase, tebAddress, &teb,
                                      sizeof(teb));
    }
    if (!NT_SUCCESS(status)) {
        PspDeleteTeb(thread);
        thread->Tcb.Teb = NULL;
        return status;
    }
    *stackTop = (void *)top;
    return STATUS_SUCCESS;
}

// Places `string` at *cursor in the process and returns the user copy's
// descriptor (the characters then a terminating 0, as NT lays them out).
static NTSTATUS PspPlaceString(ULONG64 space, ULONG64 *cursor, const UNICODE_STRING *string,
                               UNICODE_STRING *placed)
{
    WCHAR terminator = 0;
    NTSTATUS status = MmWriteProcessMemory(space, *cursor, string->Buffer, string->Length);

    if (NT_SUCCESS(status))
        status = MmWriteProcessMemory(space, *cursor + string->Length, &terminator,
                                      sizeof(terminator));
    placed->Length = string->Length;
    placed->MaximumLength = (USHORT)(string->Length + sizeof(WCHAR));
    placed->Buffer = (WCHAR *)*cursor;
    *cursor += ALIGN_UP_BY(placed->MaximumLength, sizeof(ULONG64));
    return status;
}

NTSTATUS PspCreatePeb(EPROCESS *process, const UNICODE_STRING *imagePathName,
                      const UNICODE_STRING *commandLine, void *imageBase)
{
    ULONG64 space = process->Pcb.DirectoryTableBase;
    ULONG64 parameters = PSP_PEB_ADDRESS + PAGE_SIZE;
    ULONG64 cursor = parameters + sizeof(RTL_USER_PROCESS_PARAMETERS);
    SIZE_T parametersSize = sizeof(RTL_USER_PROCESS_PARAMETERS) +
                            ALIGN_UP_BY(imagePathName->Length + sizeof(WCHAR), 8) +
                            ALIGN_UP_BY(commandLine->Length + sizeof(WCHAR), 8);
    RTL_USER_PROCESS_PARAMETERS block;
    PEB peb;
    NTSTATUS status;

    // Both strings are at most 64 KiB: the region always has room.
    if (parameters + parametersSize > PSP_PEB_REGION_END)
        return STATUS_INVALID_PARAMETER;
    status = MmAllocateUserMemory(space, PSP_PEB_ADDRESS, PAGE_SIZE + parametersSize,
                                  PAGE_READWRITE);
    if (!NT_SUCCESS(status))
        return status;
    memset(&block, 0, sizeof(block));
    block.MaximumLength = block.Length = (ULONG)parametersSize;
    block.Flags = RTL_USER_PROC_PARAMS_NORMALIZED;
    status = PspPlaceString(space, &cursor, imagePathName, &block.ImagePathName);
    if (NT_SUCCESS(status))
        status = PspPlaceString(space, &cursor, commandLine, &block.CommandLine);
    if (NT_SUCCESS(status))
        status = MmWriteProcessMemory(space, parameters, &block, sizeof(block));
    memset(&peb, 0, sizeof(peb));
    peb.ImageBaseAddress = imageBase;
    peb.ProcessParameters = (RTL_USER_PROCESS_PARAMETERS *)parameters;
    peb.NumberOfProcessors = KeNumberProcessors;
    if (NT_SUCCESS(status))
        status = MmWriteProcessMemory(space, PSP_PEB_ADDRESS, &peb, sizeof(peb));
    if (!NT_SUCCESS(status))
        return status;
    process->Peb = (void *)PSP_PEB_ADDRESS;
    return STATUS_SUCCESS;
}
