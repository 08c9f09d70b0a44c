// Per-process handle tables. A handle is (index + 1) * 4 into the process's
// table; each entry holds a pointer reference on its object and the access
// the handle grants. Freed entries go on a free list, most recent first, so
// a closed handle's value is the next one handed out, as on NT.
//
// A lookup takes no lock but the entry's (ob.h: ObpReferenceHandle). The
// writers (create, close, growth, rundown) take the table's lock, then the
// entry's where a lookup may hold it; growth copies the entries into a new
// array and leaves the old one locked for good, never freed before the
// table, for a lookup that read it before the new one was published.

#include "ob/ob.h"
#include "ps/ps.h"
#include "mm/mm.h"
#include "arch/x86_64/x86.h"

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

// Takes an entry's lock for a writer (under the table's lock, so at
// DISPATCH_LEVEL): a lookup holds it for a few instructions with the
// interrupts off, so waiting is short. Returns the object word, unlocked.
static ULONG_PTR ObpLockHandleTableEntry(HANDLE_TABLE_ENTRY *entry)
{
    for (;;) {
        ULONG_PTR word = __atomic_load_n(&entry->Value, __ATOMIC_RELAXED) &
                         ~(ULONG_PTR)HANDLE_TABLE_ENTRY_LOCK_BIT;

        if (__atomic_compare_exchange_n(&entry->Value, &word,
                                        word | HANDLE_TABLE_ENTRY_LOCK_BIT, FALSE,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return word;
        _mm_pause();
    }
}

// Frees a locked entry: its object word's store is the unlock. Caller holds
// the table's lock.
static void ObpFreeHandleTableEntry(HANDLE_TABLE *table, HANDLE_TABLE_ENTRY *entry)
{
    entry->GrantedAccess = 0;
    entry->NextFreeTableEntry = table->FirstFree;
    table->FirstFree = (ULONG)(entry - table->Table);
    table->HandleCount--;
    __atomic_store_n(&entry->Value, 0, __ATOMIC_RELEASE);
}

// Doubles a full table. The new array is allocated with the lock dropped;
// if another thread grew the table meanwhile, ours is thrown away. Each
// entry is copied under its lock and left locked and moved; the old array
// goes on the retired list (a lookup may still be reading it), the new one
// is published before the size that admits its new entries.
static NTSTATUS ObpGrowHandleTable(HANDLE_TABLE *table, ULONG seenSize)
{
    HANDLE_TABLE_ENTRY *entries = ObpAllocateEntries(seenSize * 2);
    HANDLE_TABLE_ENTRY *unused = entries;
    KIRQL oldIrql;

    if (!entries)
        return STATUS_INSUFFICIENT_RESOURCES;
    KeAcquireSpinLock(&table->Lock, &oldIrql);
    if (table->TableSize == seenSize && table->FirstFree == seenSize && !table->Rundown) {
        HANDLE_TABLE_ENTRY *old = table->Table;

        for (ULONG i = 0; i < seenSize; i++) {
            entries[i].Value = ObpLockHandleTableEntry(&old[i]);
            entries[i].GrantedAccess = old[i].GrantedAccess;
            entries[i].NextFreeTableEntry = old[i].NextFreeTableEntry;
            __atomic_store_n(&old[i].Value, HANDLE_TABLE_ENTRY_MOVED, __ATOMIC_RELEASE);
        }
        ObpChainFreeEntries(entries, seenSize, seenSize * 2);
        old[0].NextRetiredArray = table->RetiredArrays;
        table->RetiredArrays = old;
        __atomic_store_n(&table->Table, entries, __ATOMIC_RELEASE);
        __atomic_store_n(&table->TableSize, seenSize * 2, __ATOMIC_RELEASE);
        unused = NULL;
    }
    KeReleaseSpinLock(&table->Lock, oldIrql);
    if (unused)
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
            entry->GrantedAccess = grantedAccess;
            entry->NextFreeTableEntry = 0;
            table->HandleCount++;
            // Under the table lock, so that no one can close the handle
            // before the object counts it.
            ObpIncrementHandleCount(object);
            // A free entry is never locked (a lookup leaves a 0 alone):
            // the object word's store publishes the entry, access first.
            __atomic_store_n(&entry->Object, OBJECT_TO_OBJECT_HEADER(object), __ATOMIC_RELEASE);
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

// ObpReferenceHandle's way when the entry was locked or changed under it
// (a writer, another lookup, growth): read the table again and retry until
// the entry is free (STATUS_INVALID_HANDLE) or referenced.
NTSTATUS ObpReferenceHandleContended(HANDLE_TABLE *table, HANDLE handle, void **object,
                                     ACCESS_MASK *grantedAccess)
{
    ULONG_PTR index = HANDLE_TO_INDEX(handle);

    for (;;) {
        HANDLE_TABLE_ENTRY *entry;
        ULONG_PTR word;

        if (index >= __atomic_load_n(&table->TableSize, __ATOMIC_ACQUIRE))
            return STATUS_INVALID_HANDLE;
        entry = &__atomic_load_n(&table->Table, __ATOMIC_ACQUIRE)[index];
        word = __atomic_load_n(&entry->Value, __ATOMIC_RELAXED);
        if (!word)
            return STATUS_INVALID_HANDLE;
        if (!(word & HANDLE_TABLE_ENTRY_LOCK_BIT)) {
            OBJECT_HEADER *header = (OBJECT_HEADER *)word;
            BOOLEAN enable = KiDisableInterrupts();

            if (__atomic_compare_exchange_n(&entry->Value, &word,
                                            word | HANDLE_TABLE_ENTRY_LOCK_BIT, FALSE,
                                            __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
                if (grantedAccess)
                    *grantedAccess = entry->GrantedAccess;
                if (__atomic_fetch_add(&header->PointerCount, 1, __ATOMIC_RELAXED) <= 0)
                    KeBugCheckEx(REFERENCE_BY_POINTER, (ULONG64)header->Type,
                                 (ULONG64)OBJECT_HEADER_TO_OBJECT(header), 0, 0);
                __atomic_store_n(&entry->Value, (ULONG_PTR)header, __ATOMIC_RELEASE);
                KiRestoreInterrupts(enable);
                *object = OBJECT_HEADER_TO_OBJECT(header);
                return STATUS_SUCCESS;
            }
            KiRestoreInterrupts(enable);
        }
        _mm_pause();
    }
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

// Takes a handle out of the table (its lock held, at oldIrql before) and
// closes it. The table's lock is released before the close: the last
// reference runs a delete routine, which may close handles of its own.
static void ObpCloseHandleTableEntry(EPROCESS *process, HANDLE_TABLE *table,
                                     HANDLE_TABLE_ENTRY *entry, KIRQL oldIrql)
{
    void *object = OBJECT_HEADER_TO_OBJECT((OBJECT_HEADER *)ObpLockHandleTableEntry(entry));
    ACCESS_MASK access = entry->GrantedAccess;

    ObpFreeHandleTableEntry(table, entry);
    KeReleaseSpinLock(&table->Lock, oldIrql);
    ObpCloseHandleCount(process, object, access);
    ObDereferenceObject(object);
}

static NTSTATUS ObpCloseHandle(EPROCESS *process, HANDLE handle)
{
    HANDLE_TABLE *table = process ? process->ObjectTable : NULL;
    ULONG_PTR value = (ULONG_PTR)handle;
    KIRQL oldIrql;

    if (!table || value == 0 || value % HANDLE_INDEX_MULTIPLIER)
        return STATUS_INVALID_HANDLE;
    KeAcquireSpinLock(&table->Lock, &oldIrql);
    // Only writers, all under this lock, free or fill an entry: what is
    // in use now stays so, locked by a lookup or not.
    if (HANDLE_TO_INDEX(value) >= table->TableSize ||
        !table->Table[HANDLE_TO_INDEX(value)].Value) {
        KeReleaseSpinLock(&table->Lock, oldIrql);
        return STATUS_INVALID_HANDLE;
    }
    ObpCloseHandleTableEntry(process, table, &table->Table[HANDLE_TO_INDEX(value)], oldIrql);
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

// The handles are closed one by one, each taken out under the locks and
// closed outside them (a close may run a delete routine, which may close
// handles of its own). The arrays stay until the table is deleted: a
// lookup from another process (NtDuplicateObject) may be reading one.
void ObKillProcess(EPROCESS *process)
{
    HANDLE_TABLE *table = process->ObjectTable;
    KIRQL oldIrql;

    if (!table)
        return;
    KeAcquireSpinLock(&table->Lock, &oldIrql);
    table->Rundown = TRUE;
    for (ULONG index = 0;; index++) {
        while (index < table->TableSize && !table->Table[index].Value)
            index++;
        if (index >= table->TableSize)
            break;
        ObpCloseHandleTableEntry(process, table, &table->Table[index], oldIrql);
        KeAcquireSpinLock(&table->Lock, &oldIrql);
    }
    // Every entry is free; no lookup finds one from now on.
    __atomic_store_n(&table->TableSize, 0, __ATOMIC_RELEASE);
    table->FirstFree = 0;
    KeReleaseSpinLock(&table->Lock, oldIrql);
}

void ObDeleteHandleTable(EPROCESS *process)
{
    HANDLE_TABLE *table = process->ObjectTable;

    if (!table)
        return;
    ObKillProcess(process);
    process->ObjectTable = NULL;
    while (table->RetiredArrays) {
        HANDLE_TABLE_ENTRY *retired = table->RetiredArrays;

        table->RetiredArrays = retired[0].NextRetiredArray;
        ExFreePoolWithTag(retired, OBP_HANDLE_TABLE_TAG);
    }
    ExFreePoolWithTag(table->Table, OBP_HANDLE_TABLE_TAG);
    ExFreePoolWithTag(table, OBP_HANDLE_TABLE_TAG);
}
