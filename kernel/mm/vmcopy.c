// Copying between the current process and another one (NT's
// MmCopyVirtualMemory, as LPC's NtReadRequestData/NtWriteRequestData use
// it). The other process's pages are reached through its page tables and
// the direct map, a page at a time, with the address-space lock held so
// that the page cannot be unmapped and freed during the copy. The current
// process's side is plain user memory: probed first, then copied with the
// fault-safe copy (there is no demand paging, so a fault there is always an
// access violation, which KiCopyMemorySafe survives at any IRQL).

#include "mm/mi.h"
#include "ps/ps.h"

// The kernel address of `va` in the address space when its page allows the
// access (writing: a writable protection; reading: any but no access).
// Address-space lock held.
static UCHAR *MiMapOtherPage(ULONG64 directoryTableBase, ULONG64 va, BOOLEAN write)
{
    ULONG64 *pte = MiGetUserPte(directoryTableBase, va, FALSE);
    ULONG protect;

    if (!pte || !(*pte & PTE_PRESENT))
        return NULL;
    protect = MiPteProtection(*pte);
    if (write && protect != PAGE_READWRITE && protect != PAGE_EXECUTE_READWRITE)
        return NULL;
    return (UCHAR *)MmPfnToVirtual((*pte & PTE_FRAME) >> PAGE_SHIFT) + (va & (PAGE_SIZE - 1));
}

NTSTATUS MmCopyVirtualMemory(EPROCESS *fromProcess, const void *fromAddress,
                             EPROCESS *toProcess, void *toAddress, SIZE_T size,
                             SIZE_T *numberOfBytesCopied)
{
    EPROCESS *current = PsGetCurrentProcess();
    BOOLEAN reading = toProcess == current;  // from the other process into ours
    EPROCESS *other = reading ? fromProcess : toProcess;
    ULONG64 otherVa = reading ? (ULONG64)fromAddress : (ULONG64)toAddress;
    UCHAR *ours = reading ? (UCHAR *)toAddress : (UCHAR *)fromAddress;
    NTSTATUS status;
    SIZE_T done = 0;

    *numberOfBytesCopied = 0;
    if (!reading && fromProcess != current)
        return STATUS_INVALID_PARAMETER;
    if (!size)
        return STATUS_SUCCESS;
    status = reading ? ProbeForWrite(ours, size, 1) : ProbeForRead(ours, size, 1);
    if (!NT_SUCCESS(status))
        return status;
    if (!other->AddressSpaceInitialized || otherVa >= MM_USER_PROBE_ADDRESS ||
        size > MM_USER_PROBE_ADDRESS - otherVa)
        return STATUS_ACCESS_VIOLATION;
    while (done < size) {
        ULONG64 va = otherVa + done;
        SIZE_T chunk = PAGE_SIZE - (va & (PAGE_SIZE - 1));
        KIRQL oldIrql = MiLockAddressSpaces();
        UCHAR *page = MiMapOtherPage(other->Pcb.DirectoryTableBase, va, !reading);
        SIZE_T left;

        if (chunk > size - done)
            chunk = size - done;
        left = !page ? chunk
               : reading ? KiCopyMemorySafe(ours + done, page, chunk)
                         : KiCopyMemorySafe(page, ours + done, chunk);
        MiUnlockAddressSpaces(oldIrql);
        done += chunk - left;
        if (left) {
            *numberOfBytesCopied = done;
            return STATUS_ACCESS_VIOLATION;
        }
    }
    *numberOfBytesCopied = done;
    return STATUS_SUCCESS;
}
