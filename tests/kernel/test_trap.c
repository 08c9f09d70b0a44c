// In-kernel tests of traps, safe memory access and the clock.

#include "tests/kernel/ktest.h"
#include "ke/ke.h"
#include "mm/mm.h"
#include "kd/kd.h"
#include "arch/x86_64/x86.h"

void KiSystemStartup(ULONG magic, ULONG64 multibootInfo);

KTEST(SafeCopyOfUnmappedAddressFails)
{
    ULONG64 value = 0;

    KT_EXPECT(!KeReadMemorySafe(0x1000, &value, sizeof(value)));
    KT_EXPECT(!KeReadMemorySafe(MM_NONPAGED_POOL_START + MM_NONPAGED_POOL_SIZE - PAGE_SIZE,
                                &value, sizeof(value)));
}

KTEST(SafeCopyOfNonCanonicalAddressFails)
{
    ULONG64 value = 0;

    KT_EXPECT(!KeReadMemorySafe(0x0000800000000000ULL, &value, sizeof(value)));
    // The same through the raw copy: a #GP, not a #PF, must also be caught.
    KT_EXPECT(KiCopyMemorySafe(&value, (const void *)0x0000800000000000ULL, 8) == 8);
}

KTEST(SafeCopyOfKernelDataSucceeds)
{
    ULONG64 value = 0;
    static const ULONG64 known = 0x0123456789ABCDEFULL;

    KT_EXPECT(KeReadMemorySafe((ULONG64)&known, &value, sizeof(value)));
    KT_EXPECT_EQ(value, known);
}

KTEST(ClockTicksAdvance)
{
    ULONG64 start = KeTickCount;
    ULONG64 startTsc = __rdtsc();
    LARGE_INTEGER frequency;

    KeQueryPerformanceCounter(&frequency);
    KT_EXPECT(frequency.QuadPart > 0);
    // Wait for two ticks, bounded by two seconds of TSC time.
    while (KeTickCount < start + 2 && __rdtsc() - startTsc < 2 * (ULONG64)frequency.QuadPart)
        _mm_pause();
    KT_EXPECT(KeTickCount >= start + 2);
}

KTEST(IrqlRaiseAndLowerUseCr8)
{
    KIRQL old = KfRaiseIrql(DISPATCH_LEVEL);

    KT_EXPECT_EQ(old, PASSIVE_LEVEL);
    KT_EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KT_EXPECT_EQ(__readcr8(), DISPATCH_LEVEL);
    KeLowerIrql(old);
    KT_EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

KTEST(SymbolTableResolvesKernelFunctions)
{
    const KSYM_ENTRY *entry = KdpLookupName(&KdpKernelSymbols, "nt!KiSystemStartup");
    ULONG64 displacement = 1;

    KT_EXPECT(entry != NULL);
    KT_EXPECT_EQ(entry->Address, (ULONG64)KiSystemStartup);
    KT_EXPECT(KdpLookupAddress(&KdpKernelSymbols, (ULONG64)KiInitializeProcessor + 3,
                               &displacement) != NULL);
    KT_EXPECT_EQ(displacement, 3);
}

static ULONG KtBreakpointsSeen;

static BOOLEAN KtCountBreakpoint(KTRAP_FRAME *trapFrame, KD_REASON reason)
{
    if (reason == KdReasonBreakpoint)
        KtBreakpointsSeen++;
    return TRUE;
}

// Recurses with a frame large enough to reach the guard page quickly.
// The limit only exists so the compiler does not call it infinite: the
// stack's 32 KiB run out long before.
static ULONG KtRecurse(ULONG depth)
{
    volatile UCHAR frame[512];

    frame[0] = (UCHAR)depth;
    if (depth > 1000000)
        return frame[0];
    return KtRecurse(depth + 1) + frame[0];
}

KTEST(KernelStackOverflowIsADoubleFaultBugCheck)
{
    KJUMP_BUFFER resume;

    if (KiSetJump(&resume) == 0) {
        KiExpectBugCheck(UNEXPECTED_KERNEL_MODE_TRAP, &resume);
        (void)KtRecurse(0);
        KiClearExpectedBugCheck();
        KtFail(__FILE__, __LINE__, "a bugcheck when the stack ran into its guard page");
    }
    KT_EXPECT_EQ(KiBugCheckData.Code, UNEXPECTED_KERNEL_MODE_TRAP);
    KT_EXPECT_EQ(KiBugCheckData.Parameter[0], 8);     // the double fault
}

KTEST(BreakpointReachesTheDebuggerRoutine)
{
    KDEBUG_ROUTINE saved = KiDebugRoutine;

    KtBreakpointsSeen = 0;
    KiDebugRoutine = KtCountBreakpoint;
    DbgBreakPoint();
    KiDebugRoutine = saved;
    KT_EXPECT_EQ(KtBreakpointsSeen, 1);
}

KTEST(QueuedSpinLockRaisesToDispatchAndReleasesInOrder)
{
    KSPIN_LOCK lock;
    KLOCK_QUEUE_HANDLE handle;

    KeInitializeSpinLock(&lock);
    KeAcquireInStackQueuedSpinLock(&lock, &handle);
    KT_EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KT_EXPECT_EQ(lock, (KSPIN_LOCK)&handle.LockQueue);     // we are the tail
    KeReleaseInStackQueuedSpinLock(&handle);
    KT_EXPECT_EQ(lock, 0);
    KT_EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    // Nested locks in the same thread, released in reverse order.
    {
        KSPIN_LOCK second = 0;
        KLOCK_QUEUE_HANDLE outer, inner;

        KeAcquireInStackQueuedSpinLock(&lock, &outer);
        KeAcquireInStackQueuedSpinLockAtDpcLevel(&second, &inner);
        KT_EXPECT(lock != 0 && second != 0);
        KeReleaseInStackQueuedSpinLockFromDpcLevel(&inner);
        KeReleaseInStackQueuedSpinLock(&outer);
        KT_EXPECT(lock == 0 && second == 0);
    }
}
