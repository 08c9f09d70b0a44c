// The user-mode halves of processes and threads: the PEB (one per process,
// with its RTL_USER_PROCESS_PARAMETERS: image path and command line) and a
// TEB per thread, at the top of a slot of user address space that also
// holds the thread's stack. Both are built from the kernel through the
// direct map, so the process need not be the current one.
//
//   00007fff`fff00000  PEB, then the process parameters and their strings
//   00007fff`00000000  top of the thread slots, PSP_THREAD_SLOT_SIZE each:
//                      TEB (top page), an unmapped guard page, the stack
//
// A slot is freed for reuse when its thread ends; its pages stay mapped
// (there is no unmapping yet) and go with the address space.

#include "ps/ps.h"
#include "mm/mm.h"

#define PSP_PEB_ADDRESS        0x00007FFFFFF00000ULL
#define PSP_PEB_REGION_END     0x00007FFFFFFC0000ULL
#define PSP_THREAD_SLOTS_TOP   0x00007FFF00000000ULL
#define PSP_THREAD_SLOTS_BASE  (PSP_THREAD_SLOTS_TOP - \
                                (ULONG64)PSP_THREAD_SLOTS * PSP_THREAD_SLOT_SIZE)
#define PSP_NO_SLOT            ((ULONG)-1)

static KSPIN_LOCK PspThreadSlotLock;

void PspCopyToProcess(ULONG64 space, ULONG64 va, const void *source, SIZE_T length)
{
    const UCHAR *bytes = source;

    while (length) {
        SIZE_T chunk = PAGE_SIZE - (va & (PAGE_SIZE - 1));

        if (chunk > length)
            chunk = length;
        memcpy(MmGetUserPageAddress(space, va), bytes, chunk);
        va += chunk;
        bytes += chunk;
        length -= chunk;
    }
}

// Maps zeroed read-write pages over [base, base + size), reusing (and
// zeroing) any page a previous thread of the slot left mapped.
static NTSTATUS PspMapZeroedPages(ULONG64 space, ULONG64 base, SIZE_T size)
{
    for (ULONG64 va = base; va < base + size; va += PAGE_SIZE) {
        NTSTATUS status = MmAllocateUserMemory(space, va, PAGE_SIZE, PAGE_READWRITE);

        if (status == STATUS_CONFLICTING_ADDRESSES)
            memset(MmGetUserPageAddress(space, va), 0, PAGE_SIZE);
        else if (!NT_SUCCESS(status))
            return status;
    }
    return STATUS_SUCCESS;
}

static ULONG PspAllocateThreadSlot(EPROCESS *process)
{
    ULONG slot = PSP_NO_SLOT;
    KIRQL oldIrql;

    KeAcquireSpinLock(&PspThreadSlotLock, &oldIrql);
    for (ULONG word = 0; word < ARRAYSIZE(process->ThreadSlotBitmap); word++) {
        ULONG64 bits = process->ThreadSlotBitmap[word];

        if (bits != ~0ULL) {
            ULONG bit = (ULONG)__builtin_ctzll(~bits);

            process->ThreadSlotBitmap[word] |= 1ULL << bit;
            slot = word * 64 + bit;
            break;
        }
    }
    KeReleaseSpinLock(&PspThreadSlotLock, oldIrql);
    return slot;
}

void PspReleaseThreadSlot(ETHREAD *thread)
{
    EPROCESS *process = thread->ThreadsProcess;
    ULONG slot = thread->ThreadSlot;
    KIRQL oldIrql;

    if (!thread->Tcb.Teb)
        return;
    KeAcquireSpinLock(&PspThreadSlotLock, &oldIrql);
    process->ThreadSlotBitmap[slot / 64] &= ~(1ULL << (slot % 64));
    KeReleaseSpinLock(&PspThreadSlotLock, oldIrql);
}

NTSTATUS PspCreateTeb(ETHREAD *thread, SIZE_T stackCommit, void **stackTop)
{
    EPROCESS *process = thread->ThreadsProcess;
    ULONG64 space = process->Pcb.DirectoryTableBase;
    ULONG slot;
    ULONG64 tebAddress, top;
    TEB teb;
    NTSTATUS status;

    stackCommit = ALIGN_UP_BY(stackCommit, PAGE_SIZE);
    if (stackCommit > PSP_MAXIMUM_USER_STACK_SIZE)
        return STATUS_INVALID_PARAMETER;
    slot = PspAllocateThreadSlot(process);
    if (slot == PSP_NO_SLOT)
        return STATUS_INSUFFICIENT_RESOURCES;
    tebAddress = PSP_THREAD_SLOTS_BASE + (ULONG64)(slot + 1) * PSP_THREAD_SLOT_SIZE - PAGE_SIZE;
    top = tebAddress - PAGE_SIZE;      // the page between is the stack's guard
    status = PspMapZeroedPages(space, tebAddress, PAGE_SIZE);
    if (NT_SUCCESS(status) && stackCommit)
        status = PspMapZeroedPages(space, top - stackCommit, stackCommit);
    thread->ThreadSlot = slot;
    thread->Tcb.Teb = (void *)tebAddress;
    if (!NT_SUCCESS(status)) {
        PspReleaseThreadSlot(thread);
        thread->Tcb.Teb = NULL;
        return status;
    }
    memset(&teb, 0, sizeof(teb));
    teb.NtTib.StackBase = (void *)top;
    teb.NtTib.StackLimit = (void *)(top - stackCommit);
    teb.NtTib.Self = (NT_TIB *)tebAddress;
    teb.ClientId = thread->Cid;
    teb.ProcessEnvironmentBlock = process->Peb;
    PspCopyToProcess(space, tebAddress, &teb, sizeof(teb));
    *stackTop = (void *)top;
    return STATUS_SUCCESS;
}

// Places `string` at *cursor in the process and returns the user copy's
// descriptor (the characters then a terminating 0, as NT lays them out).
static UNICODE_STRING PspPlaceString(ULONG64 space, ULONG64 *cursor,
                                     const UNICODE_STRING *string)
{
    UNICODE_STRING placed = {string->Length, (USHORT)(string->Length + sizeof(WCHAR)),
                             (WCHAR *)*cursor};
    WCHAR terminator = 0;

    PspCopyToProcess(space, *cursor, string->Buffer, string->Length);
    PspCopyToProcess(space, *cursor + string->Length, &terminator, sizeof(terminator));
    *cursor += ALIGN_UP_BY(placed.MaximumLength, sizeof(ULONG64));
    return placed;
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
    block.ImagePathName = PspPlaceString(space, &cursor, imagePathName);
    block.CommandLine = PspPlaceString(space, &cursor, commandLine);
    PspCopyToProcess(space, parameters, &block, sizeof(block));

    memset(&peb, 0, sizeof(peb));
    peb.ImageBaseAddress = imageBase;
    peb.ProcessParameters = (RTL_USER_PROCESS_PARAMETERS *)parameters;
    PspCopyToProcess(space, PSP_PEB_ADDRESS, &peb, sizeof(peb));
    process->Peb = (void *)PSP_PEB_ADDRESS;
    return STATUS_SUCCESS;
}
