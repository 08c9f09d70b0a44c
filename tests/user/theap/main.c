// The user heap through the runtime: malloc and friends on the process
// heap, RtlAllocateHeap on heaps of one's own, and what a misuse gets.
// (The heap's core logic has host tests: tests/host/test_heap.c.)

#include "tests/user/utest.h"

UTEST(ProcessHeapIsInThePeb)
{
    UT_EXPECT(RtlProcessHeap() != NULL);
}

UTEST(MallocGivesAlignedWritableBlocksThatFreeGivesBack)
{
    char *blocks[32];

    for (int i = 0; i < 32; i++) {
        blocks[i] = malloc(100 * i + 1);
        UT_EXPECT(blocks[i] != NULL);
        if (!blocks[i])
            return;
        UT_EXPECT_EQ((ULONG_PTR)blocks[i] % 16, 0);
        memset(blocks[i], i, 100 * i + 1);
    }
    for (int i = 0; i < 32; i++) {
        UT_EXPECT_EQ(blocks[i][100 * i], (char)i);
        free(blocks[i]);
    }
}

UTEST(CallocZeroesAndRefusesOverflowingCounts)
{
    unsigned char *block = calloc(1000, 3);

    UT_EXPECT(block != NULL);
    for (int i = 0; block && i < 3000; i++) {
        if (block[i]) {
            UT_EXPECT_EQ(block[i], 0);
            break;
        }
    }
    free(block);
    UT_EXPECT(calloc((size_t)1 << 62, 8) == NULL);
}

UTEST(ReallocKeepsTheContents)
{
    char *block = malloc(16);
    char *bigger;

    UT_EXPECT(block != NULL);
    if (!block)
        return;
    memcpy(block, "fifteen chars..", 16);
    bigger = realloc(block, 100000);
    UT_EXPECT(bigger != NULL);
    if (!bigger)
        return;
    UT_EXPECT(memcmp(bigger, "fifteen chars..", 16) == 0);
    UT_EXPECT(RtlSizeHeap(RtlProcessHeap(), 0, bigger) >= 100000);
    free(bigger);
}

UTEST(LargeBlocksComeFromVirtualMemoryAndGoBack)
{
    MEMORY_BASIC_INFORMATION info;
    char *block = malloc(1 << 20);

    UT_EXPECT(block != NULL);
    if (!block)
        return;
    block[0] = 1;
    block[(1 << 20) - 1] = 2;
    UT_EXPECT_STATUS(NtQueryVirtualMemory(NtCurrentProcess(), block, MemoryBasicInformation,
                                          &info, sizeof(info), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(info.State, MEM_COMMIT);
    UT_EXPECT_EQ(info.Type, MEM_PRIVATE);
    free(block);
    // Its segment went back: the address is free again.
    UT_EXPECT_STATUS(NtQueryVirtualMemory(NtCurrentProcess(), block, MemoryBasicInformation,
                                          &info, sizeof(info), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(info.State, MEM_FREE);
}

UTEST(FreeingTwiceOrAForeignPointerIsRefused)
{
    char *block = RtlAllocateHeap(RtlProcessHeap(), 0, 64);
    char local[32];

    UT_EXPECT(block != NULL);
    UT_EXPECT(RtlFreeHeap(RtlProcessHeap(), 0, block));
    UT_EXPECT(!RtlFreeHeap(RtlProcessHeap(), 0, block));
    UT_EXPECT(!RtlFreeHeap(RtlProcessHeap(), 0, local + 16));
    UT_EXPECT(RtlFreeHeap(RtlProcessHeap(), 0, NULL));
    UT_EXPECT_EQ(RtlSizeHeap(RtlProcessHeap(), 0, local + 16), (SIZE_T)-1);
}

UTEST(PrivateHeapsAreSeparateAndDestroyedWhole)
{
    PVOID heap = RtlCreateHeap(0, NULL, 0, 0, NULL, NULL);
    char *a, *b;

    UT_EXPECT(heap != NULL);
    if (!heap)
        return;
    a = RtlAllocateHeap(heap, HEAP_ZERO_MEMORY, 5000);
    b = RtlAllocateHeap(heap, 0, 200000);
    UT_EXPECT(a != NULL && b != NULL);
    UT_EXPECT(a && a[4999] == 0);
    // A block of one heap is not a block of another.
    UT_EXPECT(!RtlFreeHeap(RtlProcessHeap(), 0, a));
    UT_EXPECT(RtlDestroyHeap(heap) == NULL);
    UT_EXPECT(RtlCreateHeap(0, (PVOID)0x10000, 0, 0, NULL, NULL) == NULL);
    // The process heap stays.
    UT_EXPECT(RtlDestroyHeap(RtlProcessHeap()) == RtlProcessHeap());
}

static const UTEST Tests[] = {
    UT_ENTRY(ProcessHeapIsInThePeb),
    UT_ENTRY(MallocGivesAlignedWritableBlocksThatFreeGivesBack),
    UT_ENTRY(CallocZeroesAndRefusesOverflowingCounts),
    UT_ENTRY(ReallocKeepsTheContents),
    UT_ENTRY(LargeBlocksComeFromVirtualMemoryAndGoBack),
    UT_ENTRY(FreeingTwiceOrAForeignPointerIsRefused),
    UT_ENTRY(PrivateHeapsAreSeparateAndDestroyedWhole),
};

int main(void)
{
    return UT_RUN_ALL("theap", Tests);
}
