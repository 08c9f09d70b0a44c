// Client ids (the "Cid pppp.tttt" of `!thread`): a table shared by processes
// and threads whose slot index times four is the id, as NT's PspCidTable.
// Free slots are chained, so ids are reused and both allocation and free are
// O(1); the table doubles when full.

#include "ps/ps.h"
#include "mm/mm.h"

#define CID_TAG POOL_TAG('P', 's', 'C', 'i')
#define CID_INITIAL_SLOTS 256
#define CID_FREE_BIT 1ULL           // free slots hold (next free index << 1) | 1
#define CID_ID_SCALE 4

static ULONG_PTR *PspCidTable;
static ULONG PspCidCapacity;
static ULONG PspCidFreeHead;        // 0: none free (slot 0 is never used: id 0 is Idle)
static ULONG PspCidInUse;
static KSPIN_LOCK PspCidLock;

static BOOLEAN PspGrowCidTable(void)
{
    ULONG newCapacity = PspCidCapacity ? PspCidCapacity * 2 : CID_INITIAL_SLOTS;
    ULONG_PTR *table = ExAllocatePoolWithTag(NonPagedPool, newCapacity * sizeof(ULONG_PTR),
                                             CID_TAG);

    if (!table)
        return FALSE;
    if (PspCidTable)
        memcpy(table, PspCidTable, PspCidCapacity * sizeof(ULONG_PTR));
    // Chain the new slots, lowest first, ahead of whatever was free.
    for (ULONG i = newCapacity - 1; i >= (PspCidCapacity ? PspCidCapacity : 1); i--) {
        table[i] = ((ULONG_PTR)PspCidFreeHead << 1) | CID_FREE_BIT;
        PspCidFreeHead = i;
    }
    table[0] = 0;
    if (PspCidTable)
        ExFreePoolWithTag(PspCidTable, CID_TAG);
    PspCidTable = table;
    PspCidCapacity = newCapacity;
    return TRUE;
}

NTSTATUS PspCreateCid(void *object, HANDLE *id)
{
    KIRQL oldIrql;
    ULONG slot;

    KeAcquireSpinLock(&PspCidLock, &oldIrql);
    if (!PspCidFreeHead && !PspGrowCidTable()) {
        KeReleaseSpinLock(&PspCidLock, oldIrql);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    slot = PspCidFreeHead;
    PspCidFreeHead = (ULONG)(PspCidTable[slot] >> 1);
    PspCidTable[slot] = (ULONG_PTR)object;
    PspCidInUse++;
    KeReleaseSpinLock(&PspCidLock, oldIrql);
    *id = (HANDLE)(ULONG_PTR)(slot * CID_ID_SCALE);
    return STATUS_SUCCESS;
}

void PspDeleteCid(HANDLE id)
{
    ULONG slot = (ULONG)((ULONG_PTR)id / CID_ID_SCALE);
    KIRQL oldIrql;

    KeAcquireSpinLock(&PspCidLock, &oldIrql);
    if (slot == 0 || slot >= PspCidCapacity || (PspCidTable[slot] & CID_FREE_BIT)) {
        KeReleaseSpinLock(&PspCidLock, oldIrql);
        KeBugCheckEx(INVALID_DATA_ACCESS_TRAP, (ULONG64)id, 0, 0, 0);
    }
    PspCidTable[slot] = ((ULONG_PTR)PspCidFreeHead << 1) | CID_FREE_BIT;
    PspCidFreeHead = slot;
    PspCidInUse--;
    KeReleaseSpinLock(&PspCidLock, oldIrql);
}

void *PsLookupCid(HANDLE id)
{
    ULONG_PTR value = (ULONG_PTR)id;
    ULONG slot = (ULONG)(value / CID_ID_SCALE);

    if (value % CID_ID_SCALE || slot == 0 || slot >= PspCidCapacity ||
        (PspCidTable[slot] & CID_FREE_BIT))
        return NULL;
    return (void *)PspCidTable[slot];
}

ULONG PspCidCount(void)
{
    return PspCidInUse;
}

// A referenced object of `type` behind a client id. Under the table's lock
// the entry cannot go, but its object may already be on its way to
// deletion (its delete routine frees the id): that one is not found.
static NTSTATUS PspLookupCid(HANDLE id, OBJECT_TYPE *type, void **object)
{
    ULONG_PTR value = (ULONG_PTR)id;
    ULONG slot = (ULONG)(value / CID_ID_SCALE);
    NTSTATUS status = STATUS_INVALID_CID;
    KIRQL oldIrql;

    KeAcquireSpinLock(&PspCidLock, &oldIrql);
    if (value % CID_ID_SCALE == 0 && slot != 0 && slot < PspCidCapacity &&
        !(PspCidTable[slot] & CID_FREE_BIT)) {
        void *found = (void *)PspCidTable[slot];

        if (ObGetObjectType(found) == type && ObReferenceObjectSafe(found)) {
            *object = found;
            status = STATUS_SUCCESS;
        }
    }
    KeReleaseSpinLock(&PspCidLock, oldIrql);
    return status;
}

NTSTATUS PsLookupProcessByProcessId(HANDLE processId, EPROCESS **process)
{
    return PspLookupCid(processId, PsProcessType, (void **)process);
}

NTSTATUS PsLookupThreadByThreadId(HANDLE threadId, ETHREAD **thread)
{
    return PspLookupCid(threadId, PsThreadType, (void **)thread);
}
