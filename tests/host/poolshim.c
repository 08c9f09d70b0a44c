// The kernel services kernel/mm/pool.c calls, for the host tests. Every
// allocation of pool pages is its own C heap block, so ASan notices the pool
// touching pages it gave back, and the tests can walk every page that is out.

#include <stdlib.h>
#include "poolshim.h"

#define SHIM_NEW_PAGE_FILL 0xE7     // fresh pages are not zeroed in the kernel either
#define SHIM_MAX_RANGES 4096

typedef struct _SHIM_RANGE {
    UCHAR *Va;
    SIZE_T Pages;
} SHIM_RANGE;

SHIM_BUGCHECK ShimLastBugCheck;
jmp_buf ShimBugCheckResume;
KIRQL ShimIrql = PASSIVE_LEVEL;
BOOLEAN ShimFailPageAllocations;
char ShimDisplay[1024];
ULONG ShimErrors;
char ShimLastError[256];

static SHIM_RANGE ShimRanges[SHIM_MAX_RANGES];
static ULONG ShimRangesUsed;
// Ranges given back: still pool address space, as in the kernel, though
// nothing is mapped there (ASan stands in for the page fault).
static SHIM_RANGE ShimRetired[SHIM_MAX_RANGES];
static ULONG ShimRetiredNext;
static SHIM_RANGE ShimLastRead;     // a page walk reads one range over and over
static SIZE_T ShimPages;
static BOOLEAN ShimArmed;
static KIRQL ShimArmedIrql;
static KSPIN_LOCK *ShimHeldLock;

static void ShimError(const char *what)
{
    ShimErrors++;
    snprintf(ShimLastError, sizeof(ShimLastError), "%s", what);
    fprintf(stderr, "pool shim: %s\n", what);
}

// ---- Pages --------------------------------------------------------------------------

void *MiAllocatePoolPages(SIZE_T count)
{
    UCHAR *va;

    if (ShimFailPageAllocations || count == 0)
        return NULL;
    if (ShimRangesUsed == SHIM_MAX_RANGES) {
        ShimError("too many pool ranges outstanding");
        return NULL;
    }
    va = aligned_alloc(PAGE_SIZE, count * PAGE_SIZE);
    if (!va)
        return NULL;
    memset(va, SHIM_NEW_PAGE_FILL, count * PAGE_SIZE);
    ShimRanges[ShimRangesUsed++] = (SHIM_RANGE){ va, count };
    ShimPages += count;
    return va;
}

void MiFreePoolPages(void *va, SIZE_T count)
{
    for (ULONG i = 0; i < ShimRangesUsed; i++) {
        if (ShimRanges[i].Va == va) {
            if (ShimRanges[i].Pages != count)
                ShimError("MiFreePoolPages with a page count that differs from the allocation");
            if (ShimLastRead.Va == va)
                ShimLastRead = (SHIM_RANGE){ NULL, 0 };
            ShimPages -= ShimRanges[i].Pages;
            ShimRetired[ShimRetiredNext++ % SHIM_MAX_RANGES] = ShimRanges[i];
            ShimRanges[i] = ShimRanges[--ShimRangesUsed];
            free(va);
            return;
        }
    }
    ShimError("MiFreePoolPages of pages that were not allocated");
}

static const SHIM_RANGE *ShimFindRange(const SHIM_RANGE *ranges, ULONG count, ULONG64 address)
{
    for (ULONG i = 0; i < count; i++) {
        ULONG64 start = (ULONG64)ranges[i].Va;

        if (address >= start && address - start < ranges[i].Pages * PAGE_SIZE)
            return &ranges[i];
    }
    return NULL;
}

BOOLEAN ExpIsPoolAddress(ULONG64 address)
{
    ULONG retired = ShimRetiredNext < SHIM_MAX_RANGES ? ShimRetiredNext : SHIM_MAX_RANGES;

    return ShimFindRange(ShimRanges, ShimRangesUsed, address) ||
           ShimFindRange(ShimRetired, retired, address);
}

BOOLEAN ShimReadMemory(ULONG64 address, void *buffer, SIZE_T length)
{
    const SHIM_RANGE *range = &ShimLastRead;

    if (address < (ULONG64)ShimLastRead.Va ||
        address - (ULONG64)ShimLastRead.Va >= ShimLastRead.Pages * PAGE_SIZE) {
        range = ShimFindRange(ShimRanges, ShimRangesUsed, address);
        if (range)
            ShimLastRead = *range;
    }

    if (!range || address + length > (ULONG64)range->Va + range->Pages * PAGE_SIZE)
        return FALSE;
    memcpy(buffer, (const void *)address, length);
    return TRUE;
}

SIZE_T ShimPagesOutstanding(void)
{
    return ShimPages;
}

ULONG ShimRangeCount(void)
{
    return ShimRangesUsed;
}

void *ShimRange(ULONG index, SIZE_T *pages)
{
    *pages = ShimRanges[index].Pages;
    return ShimRanges[index].Va;
}

// ---- IRQL and spin locks ----------------------------------------------------------------

KIRQL KeGetCurrentIrql(void)
{
    return ShimIrql;
}

void KeInitializeSpinLock(KSPIN_LOCK *lock)
{
    *lock = 0;
}

void KeAcquireSpinLock(KSPIN_LOCK *lock, KIRQL *oldIrql)
{
    if (ShimIrql > DISPATCH_LEVEL)
        ShimError("KeAcquireSpinLock above DISPATCH_LEVEL");
    if (*lock)
        ShimError("KeAcquireSpinLock of a lock already held (a deadlock in the kernel)");
    *lock = 1;
    ShimHeldLock = lock;
    *oldIrql = ShimIrql;
    ShimIrql = DISPATCH_LEVEL;
}

void KeReleaseSpinLock(KSPIN_LOCK *lock, KIRQL oldIrql)
{
    if (!*lock)
        ShimError("KeReleaseSpinLock of a lock not held");
    *lock = 0;
    ShimHeldLock = NULL;
    ShimIrql = oldIrql;
}

// Leaves the IRQL where it is, as the kernel's does.
void KeReleaseSpinLockFromDpcLevel(KSPIN_LOCK *lock)
{
    if (!*lock)
        ShimError("KeReleaseSpinLockFromDpcLevel of a lock not held");
    *lock = 0;
    ShimHeldLock = NULL;
}

// ---- Bugchecks and the display ------------------------------------------------------------

void ShimArmBugCheck(void)
{
    ShimArmed = TRUE;
    ShimArmedIrql = ShimIrql;
    memset(&ShimLastBugCheck, 0, sizeof(ShimLastBugCheck));
}

void ShimDisarmBugCheck(void)
{
    ShimArmed = FALSE;
}

void KeBugCheckEx(ULONG code, ULONG64 p1, ULONG64 p2, ULONG64 p3, ULONG64 p4)
{
    ShimLastBugCheck = (SHIM_BUGCHECK){ code, { p1, p2, p3, p4 }, ShimHeldLock != NULL };
    if (!ShimArmed) {
        fprintf(stderr, "unexpected bugcheck %08X (%llx, %llx, %llx, %llx)\n%s", code,
                (unsigned long long)p1, (unsigned long long)p2, (unsigned long long)p3,
                (unsigned long long)p4, ShimDisplay);
        abort();
    }
    ShimArmed = FALSE;
    // Let the test carry on, as the in-kernel tests do after KiExpectBugCheck.
    if (ShimHeldLock) {
        *ShimHeldLock = 0;
        ShimHeldLock = NULL;
    }
    ShimIrql = ShimArmedIrql;
    longjmp(ShimBugCheckResume, 1);
}

void KiDisplayString(const char *text)
{
    snprintf(ShimDisplay, sizeof(ShimDisplay), "%s", text);
}
