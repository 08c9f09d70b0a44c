// Per-process handle tables. A handle is (index + 1) * 4 into the process's
// table; each entry holds a pointer reference on its object and the access
// the handle grants. Freed entries go on a free list, most recent first, so
// a closed handle's value is the next one handed out, as on NT.

#include "ob/ob.h"
#include "ps/ps.h"
#include "mm/mm.h"

#define HANDLE_TO_INDEX(h) ((ULONG_PTR)(h) / HANDLE_INDEX_MULTIPLIER - 1)
#define INDEX_TO_HANDLE(i) ((HANDLE)(((ULONG_PTR)(i) + 1) * HANDLE_INDEX_MULTIPLIER))

static HANDLE_TABLE_ENTRY *ObpAllocateEntries(ULONG count)
{
    HANDLE_TABLE_ENTRY *entries = ExAllocatePoolWithTag(NonPagedPool, count * sizeof(*entries),
                                                        OBP_HANDLE_TABLE_TAG);

    if (entries)
        memset(entries, 0, count * sizeof(*entries));
    return entries;
}

// Chains entries [first, count) into the free list; the last points at
// `count`, which is TableSize and means "no more".
static void ObpChainFreeEntries(HANDLE_TABLE_ENTRY *entries, ULONG first, ULONG count)
{
    for (ULONG i = first; i < count; i++)
        entries[i].NextFreeTableEntry = i + 1;
}

NTSTATUS ObInitProcess(EPROCESS *parent, EPROCESS *process)
{
    HANDLE_TABLE *table = ExAllocatePoolWithTag(NonPagedPool, sizeof(*table),
                                                OBP_HANDLE_TABLE_TAG);

    if (!table)
        return STATUS_INSUFFICIENT_RESOURCES;
    memset(table, 0, sizeof(*table));
    table->Table = ObpAllocateEntries(HANDLE_TABLE_INITIAL_SIZE);
    if (!table->Table) {
        ExFreePoolWithTag(table, OBP_HANDLE_TABLE_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    ObpChainFreeEntries(table->Table, 0, HANDLE_TABLE_INITIAL_SIZE);
    table->TableSize = HANDLE_TABLE_INITIAL_SIZE;
    table->FirstFree = 0;
    table->UniqueProcessId = process->UniqueProcessId;
    KeInitializeSpinLock(&table->Lock);
    process->ObjectTable = table;
    return STATUS_SUCCESS;
}

// Doubles a full table. The new array is allocated with the lock dropped;
// if another thread grew the table meanwhile, ours is thrown away.
static NTSTATUS ObpGrowHandleTable(HANDLE_TABLE *table, ULONG seenSize)
{
    HANDLE_TABLE_ENTRY *entries = ObpAllocateEntries(seenSize * 2);
    HANDLE_TABLE_ENTRY *unused = entries;
    KIRQL oldIrql;

    if (!entries)
        return STATUS_INSUFFICIENT_RESOURCES;
    KeAcquireSpinLock(&table->Lock, &oldIrql);
    if (table->TableSize == seenSize && table->FirstFree == seenSize && !table->Rundown) {
        memcpy(entries, table->Table, seenSize * sizeof(*entries));
        ObpChainFreeEntries(entries, seenSize, seenSize * 2);
        unused = table->Table;
        table->Table = entries;
        table->TableSize = seenSize * 2;
    }
    KeReleaseSpinLock(&table->Lock, oldIrql);
    ExFreePoolWithTag(unused, OBP_HANDLE_TABLE_TAG);
    return STATUS_SUCCESS;
}

NTSTATUS ObpCreateHandle(EPROCESS *process, void *object, ACCESS_MASK grantedAccess,
                         HANDLE *handle)
{
    HANDLE_TABLE *table = process ? process->ObjectTable : NULL;
    KIRQL oldIrql;

    if (!table)
        return STATUS_PROCESS_IS_TERMINATING;
    for (;;) {
        ULONG size;
        NTSTATUS status;

        KeAcquireSpinLock(&table->Lock, &oldIrql);
        if (table->Rundown) {
            KeReleaseSpinLock(&table->Lock, oldIrql);
            return STATUS_PROCESS_IS_TERMINATING;
        }
        if (table->FirstFree != table->TableSize) {
            ULONG index = table->FirstFree;
            HANDLE_TABLE_ENTRY *entry = &table->Table[index];

            table->FirstFree = entry->NextFreeTableEntry;
            entry->Object = OBJECT_TO_OBJECT_HEADER(object);
            entry->GrantedAccess = grantedAccess;
            entry->NextFreeTableEntry = 0;
            table->HandleCount++;
            // Under the table lock, so that no one can close the handle
            // before the object counts it.
            ObpIncrementHandleCount(object);
            KeReleaseSpinLock(&table->Lock, oldIrql);
            *handle = INDEX_TO_HANDLE(index);
            return STATUS_SUCCESS;
        }
        size = table->TableSize;
        KeReleaseSpinLock(&table->Lock, oldIrql);
        status = ObpGrowHandleTable(table, size);
        if (!NT_SUCCESS(status))
            return status;
    }
}

// The entry for `handle`, or NULL. Caller holds the table lock.
static HANDLE_TABLE_ENTRY *ObpLookupHandle(HANDLE_TABLE *table, HANDLE handle)
{
    ULONG_PTR value = (ULONG_PTR)handle;
    ULONG_PTR index;

    if (value == 0 || value % HANDLE_INDEX_MULTIPLIER)
        return NULL;
    index = HANDLE_TO_INDEX(value);
    if (index >= table->TableSize || !table->Table[index].Object)
        return NULL;
    return &table->Table[index];
}

NTSTATUS ObReferenceObjectByHandle(HANDLE handle, ACCESS_MASK desiredAccess,
                                   OBJECT_TYPE *objectType, void **object,
                                   ACCESS_MASK *grantedAccess)
{
    ACCESS_MASK granted;
    OBJECT_TYPE *type;
    void *found;

    // The pseudo-handles name the caller's own process and thread with every
    // right, as on NT; they are never in the handle table.
    if (handle == NtCurrentProcess() || handle == NtCurrentThread()) {
        found = handle == NtCurrentProcess() ? (void *)PsGetCurrentProcess()
                                             : (void *)PsGetCurrentThread();
        granted = ObGetObjectType(found)->TypeInfo.ValidAccessMask;
        if (!granted)
            granted = (ACCESS_MASK)~0U;     // a type without a mask allows anything
        ObReferenceObject(found);
    } else {
        EPROCESS *process = PsGetCurrentProcess();
        NTSTATUS status = ObpReferenceHandle(process ? process->ObjectTable : NULL, handle,
                                             &found, &granted);

        if (!NT_SUCCESS(status))
            return status;
    }
    type = OBJECT_TO_OBJECT_HEADER(found)->Type;
    if (objectType && type != objectType) {
        ObDereferenceObject(found);
        return STATUS_OBJECT_TYPE_MISMATCH;
    }
    // No access asked (LPC's services, waits): nothing to map or check.
    if (desiredAccess) {
        desiredAccess = ObMapDesiredAccess(type, desiredAccess);
        if ((granted & desiredAccess) != desiredAccess) {
            ObDereferenceObject(found);
            return STATUS_ACCESS_DENIED;
        }
    }
    *object = found;
    if (grantedAccess)
        *grantedAccess = granted;
    return STATUS_SUCCESS;
}

static NTSTATUS ObpCloseHandle(EPROCESS *process, HANDLE handle)
{
    HANDLE_TABLE *table = process ? process->ObjectTable : NULL;
    HANDLE_TABLE_ENTRY *entry;
    ACCESS_MASK access;
    void *object;
    KIRQL oldIrql;

    if (!table)
        return STATUS_INVALID_HANDLE;
    KeAcquireSpinLock(&table->Lock, &oldIrql);
    entry = ObpLookupHandle(table, handle);
    if (!entry) {
        KeReleaseSpinLock(&table->Lock, oldIrql);
        return STATUS_INVALID_HANDLE;
    }
    object = OBJECT_HEADER_TO_OBJECT(entry->Object);
    access = entry->GrantedAccess;
    entry->Object = NULL;
    entry->GrantedAccess = 0;
    entry->NextFreeTableEntry = table->FirstFree;
    table->FirstFree = (ULONG)(entry - table->Table);
    table->HandleCount--;
    KeReleaseSpinLock(&table->Lock, oldIrql);
    // Outside the lock: the last reference runs a delete routine, which
    // may close handles of its own.
    ObpCloseHandleCount(process, object, access);
    ObDereferenceObject(object);
    return STATUS_SUCCESS;
}

NTSTATUS ObCloseHandle(HANDLE handle)
{
    return ObpCloseHandle(PsGetCurrentProcess(), handle);
}

// A duplicate may grant no more than the source handle does
// (STATUS_ACCESS_DENIED; NT would check the object's descriptor for the
// extra rights, Sleuth does not), so MAXIMUM_ALLOWED here means
// the source's access; the generic rights are mapped through the type.
// DUPLICATE_CLOSE_SOURCE closes the source whatever the outcome, as NT does.
NTSTATUS ObDuplicateObject(EPROCESS *sourceProcess, HANDLE sourceHandle,
                           EPROCESS *targetProcess, HANDLE *targetHandle,
                           ACCESS_MASK desiredAccess, ULONG options)
{
    ACCESS_MASK granted;
    void *object;
    NTSTATUS status = ObpReferenceHandle(sourceProcess ? sourceProcess->ObjectTable : NULL,
                                         sourceHandle, &object, &granted);

    if (!NT_SUCCESS(status))
        return status;
    if (!(options & DUPLICATE_SAME_ACCESS)) {
        if (desiredAccess & MAXIMUM_ALLOWED)
            desiredAccess = (desiredAccess & ~MAXIMUM_ALLOWED) | granted;
        desiredAccess = ObMapDesiredAccess(ObGetObjectType(object), desiredAccess);
        if ((granted & desiredAccess) != desiredAccess)
            status = STATUS_ACCESS_DENIED;
        granted = desiredAccess;
    }
    if (NT_SUCCESS(status) && targetProcess && targetHandle) {
        status = ObpCreateHandle(targetProcess, object, granted, targetHandle);
        if (NT_SUCCESS(status))
            object = NULL;      // the new handle has our reference
    }
    if (options & DUPLICATE_CLOSE_SOURCE)
        ObpCloseHandle(sourceProcess, sourceHandle);
    if (object)
        ObDereferenceObject(object);
    return status;
}

ULONG ObGetProcessHandleCount(EPROCESS *process)
{
    HANDLE_TABLE *table = process->ObjectTable;

    return table ? table->HandleCount : 0;
}

void ObKillProcess(EPROCESS *process)
{
    HANDLE_TABLE *table = process->ObjectTable;
    HANDLE_TABLE_ENTRY *entries;
    ULONG size;
    KIRQL oldIrql;

    if (!table)
        return;
    // Take the whole array out under the lock, then close outside it: each
    // close may run a delete routine.
    KeAcquireSpinLock(&table->Lock, &oldIrql);
    table->Rundown = TRUE;
    entries = table->Table;
    size = table->TableSize;
    table->Table = NULL;
    table->TableSize = 0;
    table->FirstFree = 0;
    table->HandleCount = 0;
    KeReleaseSpinLock(&table->Lock, oldIrql);
    for (ULONG i = 0; i < size; i++) {
        if (entries[i].Object) {
            void *object = OBJECT_HEADER_TO_OBJECT(entries[i].Object);

            ObpCloseHandleCount(process, object, entries[i].GrantedAccess);
            ObDereferenceObject(object);
        }
    }
    if (entries)
        ExFreePoolWithTag(entries, OBP_HANDLE_TABLE_TAG);
}

void ObDeleteHandleTable(EPROCESS *process)
{
    HANDLE_TABLE *table = process->ObjectTable;

    if (!table)
        return;
    ObKillProcess(process);
    process->ObjectTable = NULL;
    ExFreePoolWithTag(table, OBP_HANDLE_TABLE_TAG);
}
