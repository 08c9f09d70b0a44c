// Pool quota, as NT charges it: what a process makes the system allocate
// on its behalf (its objects) is charged to its EPROCESS_QUOTA_BLOCK, by
// pool type, against a limit; STATUS_QUOTA_EXCEEDED when a charge would go
// past it. An object is charged, as on NT, when it is inserted with its
// first handle (ObpInsertObject) to the process that gets the handle, for
// the allocation ObCreateObject made; ObpDereferenceObjectToZero returns
// exactly that when it frees it. (An object the kernel keeps with no
// handle, a driver's device, is nobody's to pay for.) Each charged object
// references the block, so an object that outlives its creator (a handle
// duplicated elsewhere) still returns its charge to a live block; the
// process holds the block's first reference.
// !process shows a block's usage as QuotaPoolUsage[PagedPool/NonPagedPool].

#include "ps/ps.h"
#include "se/se.h"

#define PSP_QUOTA_TAG POOL_TAG('P', 's', 'Q', 'b')

static KSPIN_LOCK PspQuotaLock;

static PS_QUOTA_TYPE PspQuotaType(POOL_TYPE poolType)
{
    return (poolType & 1) ? PsPagedPool : PsNonPagedPool;
}

NTSTATUS PspInheritQuota(EPROCESS *process, EPROCESS *parent)
{
    EPROCESS_QUOTA_BLOCK *block = ExAllocatePoolWithTag(NonPagedPool, sizeof(*block),
                                                        PSP_QUOTA_TAG);
    KIRQL oldIrql;

    if (!block)
        return STATUS_INSUFFICIENT_RESOURCES;
    memset(block, 0, sizeof(*block));
    block->ReferenceCount = 1;
    KeAcquireSpinLock(&PspQuotaLock, &oldIrql);
    for (int i = 0; i < PsQuotaTypes; i++)
        block->QuotaEntry[i].Limit = parent && parent->QuotaBlock
                                         ? parent->QuotaBlock->QuotaEntry[i].Limit
                                         : PS_QUOTA_UNLIMITED;
    KeReleaseSpinLock(&PspQuotaLock, oldIrql);
    process->QuotaBlock = block;
    return STATUS_SUCCESS;
}

void PspDereferenceQuotaBlock(EPROCESS_QUOTA_BLOCK *block)
{
    KIRQL oldIrql;
    LONG count;

    if (!block)
        return;
    KeAcquireSpinLock(&PspQuotaLock, &oldIrql);
    count = --block->ReferenceCount;
    KeReleaseSpinLock(&PspQuotaLock, oldIrql);
    if (count < 0)
        KeBugCheckEx(QUOTA_UNDERFLOW, (ULONG64)block, 0, 0, (ULONG64)count);
    if (count == 0)
        ExFreePoolWithTag(block, PSP_QUOTA_TAG);
}

// Lock held. FALSE, and nothing charged, when either amount would pass its limit.
static BOOLEAN PspChargeBlock(EPROCESS_QUOTA_BLOCK *block, const SIZE_T amount[PsQuotaTypes])
{
    for (int i = 0; i < PsQuotaTypes; i++) {
        EPROCESS_QUOTA_ENTRY *entry = &block->QuotaEntry[i];

        if (amount[i] > entry->Limit || entry->Usage > entry->Limit - amount[i])
            return FALSE;
    }
    for (int i = 0; i < PsQuotaTypes; i++) {
        EPROCESS_QUOTA_ENTRY *entry = &block->QuotaEntry[i];

        entry->Usage += amount[i];
        if (entry->Usage > entry->Peak)
            entry->Peak = entry->Usage;
    }
    return TRUE;
}

// Lock held. Giving back more than was charged is a bug of the caller's.
static void PspReturnBlock(EPROCESS_QUOTA_BLOCK *block, const SIZE_T amount[PsQuotaTypes])
{
    for (int i = 0; i < PsQuotaTypes; i++) {
        if (amount[i] > block->QuotaEntry[i].Usage)
            KeBugCheckEx(QUOTA_UNDERFLOW, (ULONG64)block, (ULONG64)i, amount[i],
                         block->QuotaEntry[i].Usage);
        block->QuotaEntry[i].Usage -= amount[i];
    }
}

EPROCESS_QUOTA_BLOCK *PsChargeSharedPoolQuota(EPROCESS *process, SIZE_T pagedAmount,
                                              SIZE_T nonPagedAmount)
{
    const SIZE_T amount[PsQuotaTypes] = { [PsPagedPool] = pagedAmount,
                                          [PsNonPagedPool] = nonPagedAmount };
    EPROCESS_QUOTA_BLOCK *block = process->QuotaBlock;
    KIRQL oldIrql;
    BOOLEAN charged;

    KeAcquireSpinLock(&PspQuotaLock, &oldIrql);
    charged = PspChargeBlock(block, amount);
    if (charged)
        block->ReferenceCount++;
    KeReleaseSpinLock(&PspQuotaLock, oldIrql);
    return charged ? block : NULL;
}

void PsReturnSharedPoolQuota(EPROCESS_QUOTA_BLOCK *block, SIZE_T pagedAmount,
                             SIZE_T nonPagedAmount)
{
    const SIZE_T amount[PsQuotaTypes] = { [PsPagedPool] = pagedAmount,
                                          [PsNonPagedPool] = nonPagedAmount };
    KIRQL oldIrql;

    KeAcquireSpinLock(&PspQuotaLock, &oldIrql);
    PspReturnBlock(block, amount);
    KeReleaseSpinLock(&PspQuotaLock, oldIrql);
    PspDereferenceQuotaBlock(block);
}

NTSTATUS PsChargeProcessPoolQuota(EPROCESS *process, POOL_TYPE poolType, SIZE_T amount)
{
    SIZE_T amounts[PsQuotaTypes] = { 0, 0 };
    KIRQL oldIrql;
    BOOLEAN charged;

    if (!process->QuotaBlock)
        return STATUS_SUCCESS;          // Idle: nothing is charged
    amounts[PspQuotaType(poolType)] = amount;
    KeAcquireSpinLock(&PspQuotaLock, &oldIrql);
    charged = PspChargeBlock(process->QuotaBlock, amounts);
    KeReleaseSpinLock(&PspQuotaLock, oldIrql);
    return charged ? STATUS_SUCCESS : STATUS_QUOTA_EXCEEDED;
}

void PsReturnProcessPoolQuota(EPROCESS *process, POOL_TYPE poolType, SIZE_T amount)
{
    SIZE_T amounts[PsQuotaTypes] = { 0, 0 };
    KIRQL oldIrql;

    if (!process->QuotaBlock)
        return;
    amounts[PspQuotaType(poolType)] = amount;
    KeAcquireSpinLock(&PspQuotaLock, &oldIrql);
    PspReturnBlock(process->QuotaBlock, amounts);
    KeReleaseSpinLock(&PspQuotaLock, oldIrql);
}

void PsSetProcessPoolQuotaLimit(EPROCESS *process, POOL_TYPE poolType, SIZE_T limit)
{
    KIRQL oldIrql;

    if (!process->QuotaBlock)
        return;
    KeAcquireSpinLock(&PspQuotaLock, &oldIrql);
    process->QuotaBlock->QuotaEntry[PspQuotaType(poolType)].Limit = limit;
    KeReleaseSpinLock(&PspQuotaLock, oldIrql);
}

// ProcessQuotaLimits (NtSetInformationProcess): the limits of a process's
// block. A limit set below what is charged now stops further charges only.
NTSTATUS PspSetQuotaLimits(EPROCESS *process, const QUOTA_LIMITS *limits)
{
    const SIZE_T wanted[PsQuotaTypes] = { [PsPagedPool] = limits->PagedPoolLimit,
                                          [PsNonPagedPool] = limits->NonPagedPoolLimit };
    BOOLEAN raises = FALSE, privileged;
    KIRQL oldIrql;

    if (limits->MinimumWorkingSetSize || limits->MaximumWorkingSetSize ||
        limits->PagefileLimit || limits->TimeLimit.QuadPart)
        return STATUS_INVALID_PARAMETER;
    if (!process->QuotaBlock)
        return STATUS_INVALID_PARAMETER;
    // The privilege check may not run under the spin lock: asked first,
    // used only if a limit goes up.
    privileged = SeSinglePrivilegeCheck(SE_INCREASE_QUOTA_PRIVILEGE);
    KeAcquireSpinLock(&PspQuotaLock, &oldIrql);
    for (int i = 0; i < PsQuotaTypes; i++) {
        if (wanted[i] && wanted[i] > process->QuotaBlock->QuotaEntry[i].Limit)
            raises = TRUE;
    }
    if (!raises || privileged) {
        for (int i = 0; i < PsQuotaTypes; i++) {
            if (wanted[i])
                process->QuotaBlock->QuotaEntry[i].Limit = wanted[i];
        }
    }
    KeReleaseSpinLock(&PspQuotaLock, oldIrql);
    return raises && !privileged ? STATUS_PRIVILEGE_NOT_HELD : STATUS_SUCCESS;
}
