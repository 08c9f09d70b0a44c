// Where the fuzzer's pointer arguments point. Each worker owns a strip of
// pages laid out so that a structure can be put right before a hole:
//
//   [scratch x4][edge][hole][read-only][no-access]
//
// scratch: where well-formed arguments are built; edge: its last bytes
// begin a structure that runs into `hole` (reserved, never committed), so a
// capture stops part-way; read-only and no-access: outputs the kernel must
// refuse to write. The memory services act on a separate playground
// (reserved pages, some committed) and never on the strips or the
// program's own image, stack or heap, which would end the fuzzer, not test
// the kernel.

#include "tests/user/tfuzz/fuzz.h"

#define FZ_STRIP_PAGES (FZ_SCRATCH_PAGES + 4)
#define FZ_EDGE        (FZ_SCRATCH_PAGES)
#define FZ_HOLE        (FZ_SCRATCH_PAGES + 1)
#define FZ_READONLY    (FZ_SCRATCH_PAGES + 2)
#define FZ_NOACCESS    (FZ_SCRATCH_PAGES + 3)
#define FZ_PLAYGROUND_PAGES 64

static UCHAR *FzStrips[FZ_MAX_WORKERS];
static ULONG64 FzPlayground;

static NTSTATUS FzAllocate(ULONG64 *base, SIZE_T size, ULONG type, ULONG protect)
{
    PVOID address = (PVOID)*base;
    SIZE_T length = size;
    NTSTATUS status = NtAllocateVirtualMemory(NtCurrentProcess(), &address, 0, &length, type,
                                              protect);

    *base = (ULONG64)address;
    return status;
}

void FzInitializeMemory(void)
{
    ULONG64 base = 0;

    // The playground: reserved, the first half committed; the memory
    // services change it at will.
    if (NT_SUCCESS(FzAllocate(&base, FZ_PLAYGROUND_PAGES * FZ_PAGE, MEM_RESERVE,
                              PAGE_READWRITE))) {
        ULONG64 commit = base;

        FzPlayground = base;
        FzAllocate(&commit, FZ_PLAYGROUND_PAGES / 2 * FZ_PAGE, MEM_COMMIT, PAGE_READWRITE);
    }
}

NTSTATUS FzInitializeWorkerMemory(FZ_WORKER *worker)
{
    ULONG64 base, page;
    NTSTATUS status;
    ULONG old;
    PVOID at;
    SIZE_T size;

    if (FzStrips[worker->Index]) {      // a restarted worker keeps its strip
        worker->Scratch = FzStrips[worker->Index];
        return STATUS_SUCCESS;
    }
    base = 0;
    status = FzAllocate(&base, FZ_STRIP_PAGES * FZ_PAGE, MEM_RESERVE, PAGE_READWRITE);
    if (!NT_SUCCESS(status))
        return status;
    page = base;
    status = FzAllocate(&page, (FZ_EDGE + 1) * FZ_PAGE, MEM_COMMIT, PAGE_READWRITE);
    if (!NT_SUCCESS(status))
        return status;
    page = base + FZ_READONLY * FZ_PAGE;
    status = FzAllocate(&page, 2 * FZ_PAGE, MEM_COMMIT, PAGE_READWRITE);
    if (!NT_SUCCESS(status))
        return status;
    at = (PVOID)(base + FZ_READONLY * FZ_PAGE);
    size = FZ_PAGE;
    NtProtectVirtualMemory(NtCurrentProcess(), &at, &size, PAGE_READONLY, &old);
    at = (PVOID)(base + FZ_NOACCESS * FZ_PAGE);
    size = FZ_PAGE;
    NtProtectVirtualMemory(NtCurrentProcess(), &at, &size, PAGE_NOACCESS, &old);
    FzStrips[worker->Index] = (UCHAR *)base;
    worker->Scratch = (UCHAR *)base;
    return STATUS_SUCCESS;
}

void FzResetScratch(FZ_WORKER *worker)
{
    worker->ScratchUsed = 0;
}

void *FzScratch(FZ_WORKER *worker, ULONG size)
{
    ULONG at = (worker->ScratchUsed + 15) & ~15u;
    UCHAR *block;

    if (size > FZ_SCRATCH_PAGES * FZ_PAGE || at + size > FZ_SCRATCH_PAGES * FZ_PAGE)
        return NULL;
    block = worker->Scratch + at;
    worker->ScratchUsed = at + size;
    memset(block, 0, size);
    return block;
}

void *FzBadPointer(FZ_WORKER *worker)
{
    UCHAR *strip = worker->Scratch;

    switch (FzBelow(&worker->Rng, 9)) {
    case 0: return NULL;
    case 1: return (void *)0x10;
    case 2: return (void *)0xFFFFF80000000000ULL;            // kernel space
    case 3: return (void *)0xFFFF800000001000ULL;            // the first kernel page
    case 4: return (void *)0x0000800000000000ULL;            // non-canonical
    case 5: return (void *)0x8000000000001234ULL;            // non-canonical
    case 6: return strip + FZ_HOLE * FZ_PAGE + FzBelow(&worker->Rng, FZ_PAGE);
    case 7: return strip + FZ_NOACCESS * FZ_PAGE + FzBelow(&worker->Rng, FZ_PAGE);
    default: return (void *)0x00007FFFFFFFF000ULL;           // the top user page
    }
}

void *FzPlace(FZ_WORKER *worker, ULONG size, ULONG *room)
{
    FZ_RNG *rng = &worker->Rng;
    UCHAR *strip = worker->Scratch;
    ULONG pick = FzBelow(rng, 100);
    UCHAR *at;

    *room = size;
    if (pick < 70 || !size) {
        at = FzScratch(worker, size + 16);
        if (at && pick >= 62)
            at += 1 + FzBelow(rng, 7);      // unaligned, still all there
        if (at)
            return at;
        *room = 0;
        return NULL;
    }
    if (pick < 82 && FZ_AVOID(1)) {
        // Item 1: a capture that stops part-way frees what it did not
        // allocate. Whole or nothing until that is fixed.
        *room = 0;
        return FzBadPointer(worker);
    }
    if (pick < 82) {
        // Across the edge: only the first `room` bytes are there.
        ULONG inside = size > 1 ? 1 + FzBelow(rng, size - 1) : 0;

        *room = inside;
        return strip + FZ_HOLE * FZ_PAGE - inside;
    }
    *room = 0;
    if (pick < 88)
        return strip + FZ_READONLY * FZ_PAGE + (FzBelow(rng, 64) & ~7u);
    return FzBadPointer(worker);
}

ULONG64 FzMemoryAddress(FZ_WORKER *worker)
{
    FZ_RNG *rng = &worker->Rng;
    ULONG pick = FzBelow(rng, 100);

    if (pick < 70 && FzPlayground) {
        ULONG64 address = FzPlayground + (ULONG64)FzBelow(rng, FZ_PLAYGROUND_PAGES) * FZ_PAGE;

        if (FzChance(rng, 10))
            address += FzBelow(rng, FZ_PAGE);
        return address;
    }
    if (pick < 80)
        return 0;
    // Never the strips: releasing one would end a worker, not test anything.
    switch (FzBelow(rng, 5)) {
    case 0: return 0x10;
    case 1: return 0xFFFFF80000000000ULL;
    case 2: return 0x0000800000000000ULL;
    case 3: return 0x00007FFFFFFFF000ULL;
    default: return 0xFFFFFFFFFFFFF000ULL;
    }
}

ULONG64 FzLength(FZ_WORKER *worker)
{
    static const ULONG64 Interesting[] = {
        0, 1, 2, 3, 4, 7, 8, 15, 16, 24, 31, 32, 40, 48, 63, 64, 0x7F, 0x80, 0xFF, 0x100,
        0x200, 0x208, 0x288, 0x289, 0xFFF, 0x1000, 0x1001, 0x2000, 0x10000, 0xFFFF, 0x7FFF,
        0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 0x100000000ULL, 1ULL << 40,
        0x7FFFFFFFFFFFFFFFULL, ~0ULL,
    };
    FZ_RNG *rng = &worker->Rng;

    if (FzChance(rng, 60))
        return Interesting[FzBelow(rng, sizeof(Interesting) / sizeof(Interesting[0]))];
    if (FzChance(rng, 70))
        return FzBelow(rng, 0x300);
    return FzNext(rng) >> FzBelow(rng, 64);
}
