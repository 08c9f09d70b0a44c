// The executive pool: ExAllocatePoolWithTag and ExFreePoolWithTag.
//
// Small blocks (up to 4048 bytes) are carved out of pool pages. Each block
// starts with NT's 16-byte POOL_HEADER; BlockSize and PreviousSize (in 16-byte
// units) chain the blocks of a page, so the debugger can walk a page from any
// address in it, as `!pool` does. Free blocks sit on a list per size and
// merge with free neighbours; a page that becomes wholly free goes back to
// the memory manager. Larger requests get whole pages, recorded with their
// tag in a big-page table.
//
// Every allocation is counted per tag (`!poolused`). Freeing twice, freeing
// with the wrong tag, and writing past the end of a block are caught and
// stop the system with the tag in the bugcheck parameters.

#include "mm/mm.h"
#include "mm/pool.h"
#include "ke/ke.h"

static LIST_ENTRY ExpFreeLists[POOL_TYPES][POOL_LIST_HEADS];
static ULONG64 ExpFreeListBitmap[POOL_TYPES][POOL_LIST_HEADS / 64];
static KSPIN_LOCK ExpPoolLock;
static BOOLEAN ExpPoolInitialized;

POOL_TRACKER_TABLE PoolTrackTable[POOL_TRACKER_TABLE_SIZE];
POOL_TRACKER_BIG_PAGES *PoolBigPageTable;
SIZE_T PoolBigPageTableSize;        // entries
static SIZE_T ExpBigPagesInUse;

// What a failed check found; the caller bugchecks with it once the pool
// lock is released (so a test that expects the bugcheck can carry on).
typedef struct _POOL_FAILURE {
    const char *What;
    ULONG Code;
    ULONG64 Parameter[4];
} POOL_FAILURE;

static BOOLEAN ExpFailure(POOL_FAILURE *failure, const char *what, ULONG code, ULONG64 p1,
                          ULONG64 p2, ULONG64 p3, ULONG64 p4)
{
    failure->What = what;
    failure->Code = code;
    failure->Parameter[0] = p1;
    failure->Parameter[1] = p2;
    failure->Parameter[2] = p3;
    failure->Parameter[3] = p4;
    return FALSE;
}

static ULONG ExpPoolIndex(POOL_TYPE poolType)
{
    return (poolType & 1) ? POOL_INDEX_PAGED : POOL_INDEX_NONPAGED;
}

static void ExpReportCorruption(const char *what, const void *block, ULONG tag)
{
    char line[160];
    char tagText[5];

    ExpFormatTag(tag, tagText);
    RtlStringPrintf(line, sizeof(line), "\n*** Pool corruption: %s, block %p, tag '%s'\n", what,
                    block, tagText);
    KiDisplayString(line);
}

void ExpFormatTag(ULONG tag, char text[5])
{
    for (int i = 0; i < 4; i++) {
        char c = (char)(tag >> (8 * i));

        text[i] = (c >= 0x20 && c < 0x7f) ? c : '.';
    }
    text[4] = '\0';
}

// ---- Per-tag tracking ------------------------------------------------------------

static POOL_TRACKER_TABLE *ExpFindTracker(ULONG tag, BOOLEAN create)
{
    ULONG index = (tag * 0x9E3779B1u) % POOL_TRACKER_TABLE_SIZE;

    for (ULONG probe = 0; probe < POOL_TRACKER_TABLE_SIZE; probe++) {
        POOL_TRACKER_TABLE *entry = &PoolTrackTable[(index + probe) % POOL_TRACKER_TABLE_SIZE];

        if (entry->Key == tag)
            return entry;
        if (entry->Key == 0) {
            if (!create)
                return NULL;
            entry->Key = tag;
            return entry;
        }
    }
    // Full: everything else is counted together, as NT's 'Ovfl'.
    return create ? ExpFindTracker(POOL_TAG('O', 'v', 'f', 'l'), FALSE) : NULL;
}

static void ExpTrack(ULONG tag, ULONG index, SIZE_T bytes, BOOLEAN allocate)
{
    POOL_TRACKER_TABLE *entry = ExpFindTracker(tag, TRUE);

    if (!entry)
        return;
    if (index == POOL_INDEX_PAGED) {
        if (allocate) {
            entry->PagedAllocs++;
            entry->PagedBytes += bytes;
        } else {
            entry->PagedFrees++;
            entry->PagedBytes -= bytes;
        }
    } else {
        if (allocate) {
            entry->NonPagedAllocs++;
            entry->NonPagedBytes += bytes;
        } else {
            entry->NonPagedFrees++;
            entry->NonPagedBytes -= bytes;
        }
    }
}

void ExQueryPoolTagUsage(ULONG tag, ULONG *allocations, SIZE_T *bytes)
{
    POOL_TRACKER_TABLE *entry = ExpFindTracker(tag, FALSE);

    *allocations = 0;
    *bytes = 0;
    if (entry) {
        *allocations = (entry->NonPagedAllocs - entry->NonPagedFrees) +
                       (entry->PagedAllocs - entry->PagedFrees);
        *bytes = entry->NonPagedBytes + entry->PagedBytes;
    }
}

// ---- Free lists --------------------------------------------------------------------

static LIST_ENTRY *ExpFreeLink(POOL_HEADER *header)
{
    return (LIST_ENTRY *)(header + 1);
}

static void ExpInsertFree(ULONG index, POOL_HEADER *header)
{
    ULONG size = header->BlockSize;

    // The tag stays: as on NT, `!pool` shows whose block a free one was.
    header->PoolType = 0;
    header->PoolIndex = (UCHAR)index;
    InsertTailList(&ExpFreeLists[index][size], ExpFreeLink(header));
    ExpFreeListBitmap[index][size / 64] |= 1ULL << (size % 64);
}

static void ExpRemoveFree(ULONG index, POOL_HEADER *header)
{
    ULONG size = header->BlockSize;

    if (!RtlIsListEntryConsistent(ExpFreeLink(header))) {
        KeReleaseSpinLockFromDpcLevel(&ExpPoolLock);    // the caller holds it
        ExpReportCorruption("free list links damaged", header, header->PoolTag);
        KeBugCheckEx(BAD_POOL_HEADER, 0x3, (ULONG64)header, 0, header->PoolTag);
    }
    if (RemoveEntryList(ExpFreeLink(header)))
        ExpFreeListBitmap[index][size / 64] &= ~(1ULL << (size % 64));
}

// The smallest non-empty free list holding blocks of at least `units`.
static ULONG ExpFindFreeList(ULONG index, ULONG units)
{
    for (ULONG word = units / 64; word < POOL_LIST_HEADS / 64; word++) {
        ULONG64 bits = ExpFreeListBitmap[index][word];

        if (word == units / 64)
            bits &= ~0ULL << (units % 64);
        if (bits)
            return word * 64 + (ULONG)__builtin_ctzll(bits);
    }
    return 0;
}

// ---- Block helpers -------------------------------------------------------------------

static POOL_HEADER *ExpNextBlock(POOL_HEADER *header)
{
    POOL_HEADER *next = header + header->BlockSize;

    return ((ULONG_PTR)next & (PAGE_SIZE - 1)) ? next : NULL;   // NULL at the page's end
}

static POOL_HEADER *ExpPreviousBlock(POOL_HEADER *header)
{
    return header->PreviousSize ? header - header->PreviousSize : NULL;
}

static void ExpSetNextPreviousSize(POOL_HEADER *header)
{
    POOL_HEADER *next = ExpNextBlock(header);

    if (next)
        next->PreviousSize = header->BlockSize;
}

// The bytes between the caller's size and the end of the block carry a
// known pattern; finding it changed on free means the caller wrote past
// what it asked for.
static void ExpFillSlack(UCHAR *data, SIZE_T requested, SIZE_T capacity)
{
    memset(data + requested, POOL_SLACK_PATTERN, capacity - requested);
}

static BOOLEAN ExpSlackIntact(const UCHAR *data, SIZE_T requested, SIZE_T capacity)
{
    for (SIZE_T i = requested; i < capacity; i++) {
        if (data[i] != POOL_SLACK_PATTERN)
            return FALSE;
    }
    return TRUE;
}

// ---- Big pages ------------------------------------------------------------------------

static POOL_TRACKER_BIG_PAGES *ExpFindBigPage(ULONG64 va, BOOLEAN forInsert)
{
    SIZE_T index;

    if (!PoolBigPageTableSize)
        return NULL;
    index = (va >> PAGE_SHIFT) * 0x9E3779B97F4A7C15ULL % PoolBigPageTableSize;
    for (SIZE_T probe = 0; probe < PoolBigPageTableSize; probe++) {
        POOL_TRACKER_BIG_PAGES *entry = &PoolBigPageTable[(index + probe) % PoolBigPageTableSize];

        if (entry->Va == va && !forInsert)
            return entry;
        if (entry->Va == 0 && !forInsert)
            return NULL;
        if ((entry->Va == 0 || entry->Va == POOL_BIG_TOMBSTONE) && forInsert)
            return entry;
    }
    return NULL;
}

static BOOLEAN ExpGrowBigPageTable(void)
{
    SIZE_T newSize = PoolBigPageTableSize ? PoolBigPageTableSize * 2 : POOL_BIG_TABLE_INITIAL;
    SIZE_T pages = BYTES_TO_PAGES(newSize * sizeof(POOL_TRACKER_BIG_PAGES));
    POOL_TRACKER_BIG_PAGES *oldTable = PoolBigPageTable;
    SIZE_T oldSize = PoolBigPageTableSize;
    POOL_TRACKER_BIG_PAGES *newTable = MiAllocatePoolPages(pages);

    if (!newTable)
        return FALSE;
    memset(newTable, 0, pages * PAGE_SIZE);
    PoolBigPageTable = newTable;
    PoolBigPageTableSize = newSize;
    for (SIZE_T i = 0; i < oldSize; i++) {
        if (oldTable[i].Va && oldTable[i].Va != POOL_BIG_TOMBSTONE)
            *ExpFindBigPage(oldTable[i].Va, TRUE) = oldTable[i];
    }
    if (oldTable)
        MiFreePoolPages(oldTable,
                        BYTES_TO_PAGES(oldSize * sizeof(POOL_TRACKER_BIG_PAGES)));
    return TRUE;
}

static void *ExpAllocateBigPages(ULONG index, SIZE_T bytes, ULONG tag)
{
    SIZE_T pages = BYTES_TO_PAGES(bytes);
    POOL_TRACKER_BIG_PAGES *entry;
    UCHAR *va;

    if ((ExpBigPagesInUse + 1) * 4 > PoolBigPageTableSize * 3 && !ExpGrowBigPageTable())
        return NULL;
    va = MiAllocatePoolPages(pages);
    if (!va)
        return NULL;
    entry = ExpFindBigPage((ULONG64)va, TRUE);
    entry->Va = (ULONG64)va;
    entry->Key = tag;
    entry->PoolIndex = index;
    entry->NumberOfBytes = bytes;
    ExpBigPagesInUse++;
    ExpFillSlack(va, bytes, pages * PAGE_SIZE);
    ExpTrack(tag, index, pages * PAGE_SIZE, TRUE);
    return va;
}

static BOOLEAN ExpFreeBigPages(POOL_TRACKER_BIG_PAGES *entry, ULONG tag, POOL_FAILURE *failure)
{
    UCHAR *va = (UCHAR *)entry->Va;
    SIZE_T pages = BYTES_TO_PAGES(entry->NumberOfBytes);

    if (tag && tag != entry->Key)
        return ExpFailure(failure, "freed with the wrong tag", BAD_POOL_CALLER, 0xA,
                          (ULONG64)va, tag, entry->Key);
    if (!ExpSlackIntact(va, entry->NumberOfBytes, pages * PAGE_SIZE))
        return ExpFailure(failure, "written past its end", BAD_POOL_HEADER,
                          POOL_BUGCHECK_OVERRUN, (ULONG64)va, entry->NumberOfBytes, entry->Key);
    ExpTrack(entry->Key, entry->PoolIndex, pages * PAGE_SIZE, FALSE);
    entry->Va = POOL_BIG_TOMBSTONE;
    ExpBigPagesInUse--;
    MiFreePoolPages(va, pages);
    return TRUE;
}

// ---- Allocation and free ----------------------------------------------------------------

static POOL_HEADER *ExpAllocateSmall(ULONG index, ULONG units)
{
    ULONG size = ExpFindFreeList(index, units);
    POOL_HEADER *header;

    if (size) {
        header = (POOL_HEADER *)ExpFreeLists[index][size].Flink - 1;
        ExpRemoveFree(index, header);
    } else {
        header = MiAllocatePoolPages(1);
        if (!header)
            return NULL;
        header->PreviousSize = 0;
        header->PoolTag = POOL_FREE_TAG;    // a fresh page never had an owner
        size = POOL_PAGE_UNITS;     // BlockSize is set by the split below
    }

    // Split: the front is the caller's, the rest stays free. A remainder too
    // small to hold a list entry is given to the caller.
    if (size - units >= POOL_MIN_BLOCK_UNITS) {
        POOL_HEADER *rest = header + units;

        header->BlockSize = (UCHAR)units;
        rest->PoolTag = header->PoolTag;    // the remainder keeps the free block's tag
        rest->PreviousSize = (UCHAR)units;
        rest->BlockSize = (UCHAR)(size - units);
        ExpSetNextPreviousSize(rest);
        ExpInsertFree(index, rest);
    } else {
        header->BlockSize = (UCHAR)size;
        ExpSetNextPreviousSize(header);
    }
    return header;
}

void *ExAllocatePoolWithTag(POOL_TYPE poolType, SIZE_T numberOfBytes, ULONG tag)
{
    ULONG index = ExpPoolIndex(poolType);
    KIRQL irql = KeGetCurrentIrql();
    KIRQL oldIrql;
    POOL_HEADER *header;
    SIZE_T units;
    void *result;

    if (irql > (index == POOL_INDEX_PAGED ? APC_LEVEL : DISPATCH_LEVEL))
        KeBugCheckEx(BAD_POOL_CALLER, 0x8, irql, poolType, numberOfBytes);
    if (tag == 0 || tag == POOL_FREE_TAG)
        KeBugCheckEx(BAD_POOL_CALLER, 0x9B, poolType, numberOfBytes, tag);
    if (numberOfBytes == 0)
        numberOfBytes = 1;
    if (numberOfBytes > POOL_MAX_ALLOCATION)
        return NULL;

    KeAcquireSpinLock(&ExpPoolLock, &oldIrql);
    units = (numberOfBytes + sizeof(POOL_HEADER) - 1) / sizeof(POOL_HEADER) + 1;
    if (units > POOL_MAX_SMALL_UNITS) {
        result = ExpAllocateBigPages(index, numberOfBytes, tag);
    } else {
        if (units < POOL_MIN_BLOCK_UNITS)
            units = POOL_MIN_BLOCK_UNITS;
        header = ExpAllocateSmall(index, (ULONG)units);
        result = NULL;
        if (header) {
            header->PoolType = (UCHAR)(index + 1);
            header->PoolIndex = (UCHAR)index;
            header->PoolTag = tag;
            header->RequestedBytes = numberOfBytes;
            result = header + 1;
            ExpFillSlack(result, numberOfBytes, header->BlockSize * sizeof(POOL_HEADER) -
                                                    sizeof(POOL_HEADER));
            ExpTrack(tag, index, header->BlockSize * sizeof(POOL_HEADER), TRUE);
        }
    }
    KeReleaseSpinLock(&ExpPoolLock, oldIrql);
#ifndef SLEUTH_HOST
    // Inside a guarded call (a DriverEntry): remember what the driver takes,
    // so that a fault there can give it back (kernel/ke/recover.c).
    if (result && KeGetCurrentThread() && KeGetCurrentThread()->RecoveryFrame)
        KiRecoveryTrackPool(result, (ULONG_PTR)__builtin_return_address(0), TRUE);
#endif
    return result;
}

// Checks the block's header against its neighbours before anything is
// changed; damage means someone wrote where they should not have.
static BOOLEAN ExpValidateBlock(POOL_HEADER *header, ULONG tag, POOL_FAILURE *failure)
{
    POOL_HEADER *next = ExpNextBlock(header);
    POOL_HEADER *previous = ExpPreviousBlock(header);
    SIZE_T capacity;

    if (header->PoolType == 0)
        return ExpFailure(failure, "freed twice", BAD_POOL_CALLER, 0x7, header->PoolTag,
                          (ULONG64)(header + 1), 0);
    // The sizes must keep both neighbours inside the page before either is read.
    if (header->BlockSize < POOL_MIN_BLOCK_UNITS || header->PoolType > POOL_TYPES ||
        (ULONG)BYTE_OFFSET(header) / sizeof(POOL_HEADER) + header->BlockSize >
            POOL_PAGE_UNITS ||
        header->PreviousSize > BYTE_OFFSET(header) / sizeof(POOL_HEADER) ||
        (header->PreviousSize == 0 && BYTE_OFFSET(header) != 0))
        return ExpFailure(failure, "header damaged", BAD_POOL_HEADER, 0x20, (ULONG64)header,
                          (ULONG64)next, header->PoolTag);
    if ((next && next->PreviousSize != header->BlockSize) ||
        (previous && previous->BlockSize != header->PreviousSize))
        return ExpFailure(failure, "neighbouring header damaged (overrun?)", BAD_POOL_HEADER,
                          0x20, (ULONG64)header, (ULONG64)next, header->PoolTag);
    if (tag && tag != header->PoolTag)
        return ExpFailure(failure, "freed with the wrong tag", BAD_POOL_CALLER, 0xA,
                          (ULONG64)(header + 1), tag, header->PoolTag);
    capacity = header->BlockSize * sizeof(POOL_HEADER) - sizeof(POOL_HEADER);
    if (header->RequestedBytes > capacity ||
        !ExpSlackIntact((UCHAR *)(header + 1), header->RequestedBytes, capacity))
        return ExpFailure(failure, "written past its end", BAD_POOL_HEADER,
                          POOL_BUGCHECK_OVERRUN, (ULONG64)(header + 1), header->RequestedBytes,
                          header->PoolTag);
    return TRUE;
}

static void ExpBugCheck(const POOL_FAILURE *failure, const void *block, ULONG tag)
    __attribute__((noreturn));
static void ExpBugCheck(const POOL_FAILURE *failure, const void *block, ULONG tag)
{
    ExpReportCorruption(failure->What, block, tag);
    KeBugCheckEx(failure->Code, failure->Parameter[0], failure->Parameter[1],
                 failure->Parameter[2], failure->Parameter[3]);
}

void ExFreePoolWithTag(void *block, ULONG tag)
{
    POOL_HEADER *header, *next, *previous;
    POOL_FAILURE failure;
    KIRQL oldIrql;
    ULONG index;
    ULONG units;

    if (KeGetCurrentIrql() > DISPATCH_LEVEL)
        KeBugCheckEx(BAD_POOL_CALLER, 0x9, KeGetCurrentIrql(), 0, (ULONG64)block);
    if (!block || !ExpIsPoolAddress((ULONG64)block) ||
        (ULONG_PTR)block % sizeof(POOL_HEADER) != 0)
        KeBugCheckEx(BAD_POOL_CALLER, 0x46, (ULONG64)block, 0, 0);

#ifndef SLEUTH_HOST
    if (KeGetCurrentThread() && KeGetCurrentThread()->RecoveryFrame)
        KiRecoveryTrackPool(block, 0, FALSE);
#endif
    KeAcquireSpinLock(&ExpPoolLock, &oldIrql);
    if (BYTE_OFFSET(block) == 0) {
        POOL_TRACKER_BIG_PAGES *entry = ExpFindBigPage((ULONG64)block, FALSE);
        ULONG entryTag = entry ? entry->Key : tag;
        BOOLEAN ok;

        if (!entry)
            ok = ExpFailure(&failure, "not an allocated large block (freed twice?)",
                            BAD_POOL_CALLER, 0x7, tag, (ULONG64)block, 0);
        else
            ok = ExpFreeBigPages(entry, tag, &failure);
        KeReleaseSpinLock(&ExpPoolLock, oldIrql);
        if (!ok)
            ExpBugCheck(&failure, block, entryTag);
        return;
    }

    header = (POOL_HEADER *)block - 1;
    if (!ExpValidateBlock(header, tag, &failure)) {
        ULONG headerTag = header->PoolTag;

        KeReleaseSpinLock(&ExpPoolLock, oldIrql);
        ExpBugCheck(&failure, block, headerTag);
    }
    index = header->PoolIndex;
    units = header->BlockSize;
    ExpTrack(header->PoolTag, index, units * sizeof(POOL_HEADER), FALSE);

    // Merge with free neighbours on either side.
    next = ExpNextBlock(header);
    if (next && next->PoolType == 0) {
        ExpRemoveFree(index, next);
        units += next->BlockSize;
    }
    previous = ExpPreviousBlock(header);
    if (previous && previous->PoolType == 0) {
        ExpRemoveFree(index, previous);
        units += previous->BlockSize;
        header->PoolType = 0;   // its stale header now says free: a second free is caught
        header = previous;
    }

    if (units == POOL_PAGE_UNITS) {
        MiFreePoolPages(header, 1);
    } else {
        header->BlockSize = (UCHAR)units;
        ExpSetNextPreviousSize(header);
        ExpInsertFree(index, header);
    }
    KeReleaseSpinLock(&ExpPoolLock, oldIrql);
}

#ifndef SLEUTH_HOST
BOOLEAN ExpIsPoolAddress(ULONG64 address)
{
    return address >= MM_NONPAGED_POOL_START &&
           address < MM_NONPAGED_POOL_START + MM_NONPAGED_POOL_SIZE;
}
#endif

void ExFreePool(void *block)
{
    ExFreePoolWithTag(block, 0);
}

void ExInitializePool(void)
{
    for (ULONG index = 0; index < POOL_TYPES; index++) {
        for (ULONG size = 0; size < POOL_LIST_HEADS; size++)
            InitializeListHead(&ExpFreeLists[index][size]);
    }
    KeInitializeSpinLock(&ExpPoolLock);
    ExpPoolInitialized = TRUE;
}

// ---- Walking a page for the debugger ------------------------------------------------------

BOOLEAN ExpWalkPoolPage(ULONG64 address, POOL_READ_ROUTINE read, POOL_BLOCK_CALLBACK callback,
                        void *context)
{
    ULONG64 page = ALIGN_DOWN_BY(address, PAGE_SIZE);
    ULONG previousUnits = 0;
    POOL_BLOCK_INFO info;

    if (!ExpIsPoolAddress(address))
        return FALSE;

    // The big-page table itself lives in pool pages of its own.
    if (PoolBigPageTable && address >= (ULONG64)PoolBigPageTable &&
        address < (ULONG64)PoolBigPageTable +
                      ALIGN_UP_BY(PoolBigPageTableSize * sizeof(POOL_TRACKER_BIG_PAGES),
                                  PAGE_SIZE)) {
        memset(&info, 0, sizeof(info));
        info.BlockAddress = (ULONG64)PoolBigPageTable;
        info.BlockSize = (ULONG)ALIGN_UP_BY(PoolBigPageTableSize * sizeof(POOL_TRACKER_BIG_PAGES),
                                            PAGE_SIZE);
        info.Tag = POOL_BIG_TABLE_TAG;
        info.Allocated = TRUE;
        info.LargePage = TRUE;
        callback(context, &info);
        return TRUE;
    }

    // A large allocation covering the address?
    for (SIZE_T i = 0; i < PoolBigPageTableSize; i++) {
        POOL_TRACKER_BIG_PAGES entry;

        if (!read((ULONG64)&PoolBigPageTable[i], &entry, sizeof(entry)))
            return FALSE;
        if (entry.Va == 0 || entry.Va == POOL_BIG_TOMBSTONE)
            continue;
        if (address >= entry.Va &&
            address < entry.Va + ALIGN_UP_BY(entry.NumberOfBytes, PAGE_SIZE)) {
            memset(&info, 0, sizeof(info));
            info.BlockAddress = entry.Va;
            info.BlockSize = (ULONG)ALIGN_UP_BY(entry.NumberOfBytes, PAGE_SIZE);
            info.Tag = entry.Key;
            info.Allocated = TRUE;
            info.Paged = entry.PoolIndex == POOL_INDEX_PAGED;
            info.LargePage = TRUE;
            callback(context, &info);
            return TRUE;
        }
    }

    for (ULONG offset = 0; offset < PAGE_SIZE;) {
        POOL_HEADER header;

        if (!read(page + offset, &header, sizeof(header)))
            return FALSE;
        if (header.BlockSize == 0 || header.PreviousSize != previousUnits ||
            offset + header.BlockSize * sizeof(POOL_HEADER) > PAGE_SIZE)
            return FALSE;
        memset(&info, 0, sizeof(info));
        info.BlockAddress = page + offset;
        info.BlockSize = header.BlockSize * (ULONG)sizeof(POOL_HEADER);
        info.PreviousSize = header.PreviousSize * (ULONG)sizeof(POOL_HEADER);
        info.Tag = header.PoolTag;
        info.Allocated = header.PoolType != 0;
        info.Paged = header.PoolIndex == POOL_INDEX_PAGED;
        callback(context, &info);
        previousUnits = header.BlockSize;
        offset += info.BlockSize;
    }
    return TRUE;
}
