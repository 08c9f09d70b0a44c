// User-mode tests of the virtual memory services: reserving and committing
// (NT's rounding, MEM_TOP_DOWN, ZeroBits), freeing (decommit, release, the
// whole allocation by its base, splits), querying regions, changing
// protections, and every argument check in NT's order.

#include "tests/user/utest.h"

#define KB64 0x10000ULL
#define PAGE 0x1000ULL
#define BAD_HANDLE ((HANDLE)(ULONG_PTR)0x7FFC)

static NTSTATUS Allocate(void **base, SIZE_T size, ULONG type, ULONG protect)
{
    SIZE_T regionSize = size;

    return NtAllocateVirtualMemory(NtCurrentProcess(), base, 0, &regionSize, type, protect);
}

static NTSTATUS Release(void *base)
{
    SIZE_T size = 0;

    return NtFreeVirtualMemory(NtCurrentProcess(), &base, &size, MEM_RELEASE);
}

static MEMORY_BASIC_INFORMATION Query(void *address)
{
    MEMORY_BASIC_INFORMATION info;

    memset(&info, 0xCC, sizeof(info));
    UT_EXPECT_STATUS(NtQueryVirtualMemory(NtCurrentProcess(), address, MemoryBasicInformation,
                                          &info, sizeof(info), NULL), STATUS_SUCCESS);
    return info;
}

UTEST(ReserveAndCommitGivesZeroedWritablePages)
{
    void *base = NULL;
    SIZE_T size = 3 * PAGE + 1;
    UCHAR *bytes;

    UT_EXPECT_STATUS(NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &size,
                                             MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                     STATUS_SUCCESS);
    UT_EXPECT(base != NULL && ((ULONG_PTR)base & (KB64 - 1)) == 0);
    UT_EXPECT_EQ(size, 4 * PAGE);
    bytes = base;
    UT_EXPECT_EQ(bytes[0] | bytes[4 * PAGE - 1], 0);
    bytes[0] = 0x5A;
    bytes[4 * PAGE - 1] = 0xA5;
    UT_EXPECT_EQ(bytes[0] + bytes[4 * PAGE - 1], 0xFF);
    UT_EXPECT_STATUS(Release(base), STATUS_SUCCESS);
}

UTEST(ReservationRoundsBaseDownTo64KAndEndUpToPages)
{
    void *base = NULL, *inside;
    SIZE_T size = KB64;

    UT_EXPECT_STATUS(Allocate(&base, 4 * KB64, MEM_RESERVE, PAGE_NOACCESS), STATUS_SUCCESS);
    UT_EXPECT_STATUS(Release(base), STATUS_SUCCESS);
    // The same place again, asked for at an unaligned address.
    inside = (UCHAR *)base + 0x1234;
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(NtCurrentProcess(), &inside, 0, &size, MEM_RESERVE,
                                             PAGE_READWRITE), STATUS_SUCCESS);
    UT_EXPECT(inside == base);
    UT_EXPECT_EQ(size, 0x12000);            // from base to 0x1234 + 64K, up to a page
    UT_EXPECT_STATUS(Release(base), STATUS_SUCCESS);
}

UTEST(CommitInsideAReservationRoundsToPages)
{
    void *base = NULL, *commit;
    SIZE_T size = 2;
    MEMORY_BASIC_INFORMATION info;

    UT_EXPECT_STATUS(Allocate(&base, 8 * PAGE, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    commit = (UCHAR *)base + 3 * PAGE - 1;
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(NtCurrentProcess(), &commit, 0, &size, MEM_COMMIT,
                                             PAGE_READONLY), STATUS_SUCCESS);
    UT_EXPECT(commit == (UCHAR *)base + 2 * PAGE);
    UT_EXPECT_EQ(size, 2 * PAGE);
    info = Query(base);
    UT_EXPECT_EQ(info.State, MEM_RESERVE);
    UT_EXPECT_EQ(info.Protect, 0);
    UT_EXPECT_EQ(info.RegionSize, 2 * PAGE);
    UT_EXPECT_EQ(info.Type, MEM_PRIVATE);
    UT_EXPECT(info.AllocationBase == base);
    UT_EXPECT_EQ(info.AllocationProtect, PAGE_READWRITE);
    info = Query((UCHAR *)base + 2 * PAGE + 5);
    UT_EXPECT(info.BaseAddress == (UCHAR *)base + 2 * PAGE);
    UT_EXPECT_EQ(info.State, MEM_COMMIT);
    UT_EXPECT_EQ(info.Protect, PAGE_READONLY);
    UT_EXPECT_EQ(info.RegionSize, 2 * PAGE);
    UT_EXPECT_EQ(((UCHAR *)base)[2 * PAGE], 0);
    info = Query((UCHAR *)base + 4 * PAGE);
    UT_EXPECT_EQ(info.State, MEM_RESERVE);
    UT_EXPECT_EQ(info.RegionSize, 4 * PAGE);
    UT_EXPECT_STATUS(Release(base), STATUS_SUCCESS);
}

UTEST(CommitOutsideAReservationConflicts)
{
    void *base = NULL, *beyond;
    SIZE_T size = 2 * PAGE;

    UT_EXPECT_STATUS(Allocate(&base, PAGE, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    beyond = base;          // one page reserved: two run past its end
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(NtCurrentProcess(), &beyond, 0, &size, MEM_COMMIT,
                                             PAGE_READWRITE), STATUS_CONFLICTING_ADDRESSES);
    UT_EXPECT_STATUS(Release(base), STATUS_SUCCESS);
    // Now nothing is there at all.
    size = PAGE;
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(NtCurrentProcess(), &beyond, 0, &size, MEM_COMMIT,
                                             PAGE_READWRITE), STATUS_CONFLICTING_ADDRESSES);
}

UTEST(OverlappingReservationsConflict)
{
    void *base = NULL, *again;

    UT_EXPECT_STATUS(Allocate(&base, 2 * KB64, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    again = (UCHAR *)base + KB64;
    UT_EXPECT_STATUS(Allocate(&again, KB64, MEM_RESERVE, PAGE_READWRITE),
                     STATUS_CONFLICTING_ADDRESSES);
    UT_EXPECT(again == (UCHAR *)base + KB64);        // untouched on failure
    UT_EXPECT_STATUS(Release(base), STATUS_SUCCESS);
}

UTEST(TopDownAndZeroBitsChooseWhereTheRegionGoes)
{
    void *low = NULL, *high = NULL, *under4g = NULL;
    SIZE_T size = PAGE;

    UT_EXPECT_STATUS(Allocate(&low, PAGE, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(Allocate(&high, PAGE, MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE),
                     STATUS_SUCCESS);
    UT_EXPECT((ULONG_PTR)high > (ULONG_PTR)low);
    UT_EXPECT((ULONG_PTR)high > 0x7F0000000000ULL);
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(NtCurrentProcess(), &under4g, 32, &size,
                                             MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE),
                     STATUS_SUCCESS);
    UT_EXPECT((ULONG_PTR)under4g < 0x100000000ULL && (ULONG_PTR)under4g > 0xFFF00000ULL);
    UT_EXPECT_STATUS(Release(low), STATUS_SUCCESS);
    UT_EXPECT_STATUS(Release(high), STATUS_SUCCESS);
    UT_EXPECT_STATUS(Release(under4g), STATUS_SUCCESS);
}

UTEST(AllocateChecksArgumentsInOrder)
{
    void *base = NULL;
    SIZE_T size = PAGE;
    HANDLE self = NtCurrentProcess();

    UT_EXPECT_STATUS(NtAllocateVirtualMemory(self, &base, 54, &size, MEM_COMMIT, PAGE_READWRITE),
                     STATUS_INVALID_PARAMETER_3);
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(self, &base, 0, &size, 0, PAGE_READWRITE),
                     STATUS_INVALID_PARAMETER_5);
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(self, &base, 0, &size, MEM_TOP_DOWN, PAGE_READWRITE),
                     STATUS_INVALID_PARAMETER_5);
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(self, &base, 0, &size, MEM_COMMIT | MEM_RELEASE,
                                             PAGE_READWRITE), STATUS_INVALID_PARAMETER_5);
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(self, &base, 0, &size, MEM_COMMIT, 0),
                     STATUS_INVALID_PAGE_PROTECTION);
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(self, &base, 0, &size, MEM_COMMIT,
                                             PAGE_READWRITE | PAGE_READONLY),
                     STATUS_INVALID_PAGE_PROTECTION);
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(self, &base, 0, &size, MEM_COMMIT, PAGE_WRITECOPY),
                     STATUS_INVALID_PAGE_PROTECTION);
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(self, UT_BAD_POINTER, 0, &size, MEM_COMMIT,
                                             PAGE_READWRITE), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(self, UT_KERNEL_POINTER, 0, &size, MEM_COMMIT,
                                             PAGE_READWRITE), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(self, &base, 0, UT_BAD_POINTER, MEM_COMMIT,
                                             PAGE_READWRITE), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(self, &base, 0, UT_KERNEL_POINTER, MEM_COMMIT,
                                             PAGE_READWRITE), STATUS_ACCESS_VIOLATION);
    base = UT_KERNEL_POINTER;
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(self, &base, 0, &size, MEM_RESERVE, PAGE_READWRITE),
                     STATUS_INVALID_PARAMETER_2);
    base = (void *)0x7FFFFFFE0000ULL;
    size = 0x100000;
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(self, &base, 0, &size, MEM_RESERVE, PAGE_READWRITE),
                     STATUS_INVALID_PARAMETER_4);
    base = NULL;
    size = 0;
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(self, &base, 0, &size, MEM_RESERVE, PAGE_READWRITE),
                     STATUS_INVALID_PARAMETER_4);
    size = PAGE;
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(BAD_HANDLE, &base, 0, &size, MEM_RESERVE,
                                             PAGE_READWRITE), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(NtCurrentThread(), &base, 0, &size, MEM_RESERVE,
                                             PAGE_READWRITE), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT(base == NULL);
}

UTEST(DecommitKeepsTheReservation)
{
    void *base = NULL, *page;
    SIZE_T size = PAGE;
    MEMORY_BASIC_INFORMATION info;

    UT_EXPECT_STATUS(Allocate(&base, 4 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                     STATUS_SUCCESS);
    ((UCHAR *)base)[PAGE] = 7;
    page = (UCHAR *)base + PAGE + 10;
    UT_EXPECT_STATUS(NtFreeVirtualMemory(NtCurrentProcess(), &page, &size, MEM_DECOMMIT),
                     STATUS_SUCCESS);
    UT_EXPECT(page == (UCHAR *)base + PAGE);
    UT_EXPECT_EQ(size, 2 * PAGE);          // 10 + 4096 bytes cross into the next page
    info = Query((UCHAR *)base + PAGE);
    UT_EXPECT_EQ(info.State, MEM_RESERVE);
    UT_EXPECT_EQ(info.RegionSize, 2 * PAGE);
    // Committed again, the page is a fresh zeroed one.
    size = PAGE;
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(NtCurrentProcess(), &page, 0, &size, MEM_COMMIT,
                                             PAGE_READWRITE), STATUS_SUCCESS);
    UT_EXPECT_EQ(((UCHAR *)base)[PAGE], 0);
    UT_EXPECT_STATUS(Release(base), STATUS_SUCCESS);
}

UTEST(ReleaseWithSizeZeroFreesTheWholeAllocationFromItsBaseOnly)
{
    void *base = NULL, *middle;
    SIZE_T size = 0;
    MEMORY_BASIC_INFORMATION info;

    UT_EXPECT_STATUS(Allocate(&base, 3 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                     STATUS_SUCCESS);
    middle = (UCHAR *)base + PAGE;
    UT_EXPECT_STATUS(NtFreeVirtualMemory(NtCurrentProcess(), &middle, &size, MEM_RELEASE),
                     STATUS_FREE_VM_NOT_AT_BASE);
    UT_EXPECT_STATUS(NtFreeVirtualMemory(NtCurrentProcess(), &base, &size, MEM_RELEASE),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(size, 3 * PAGE);
    info = Query(base);
    UT_EXPECT_EQ(info.State, MEM_FREE);
    UT_EXPECT_EQ(info.Protect, PAGE_NOACCESS);
    UT_EXPECT(info.AllocationBase == NULL);
    UT_EXPECT_EQ(info.Type, 0);
    UT_EXPECT_STATUS(Release(base), STATUS_MEMORY_NOT_ALLOCATED);
}

UTEST(ReleasingTheMiddleSplitsTheAllocation)
{
    void *base = NULL, *middle;
    SIZE_T size = PAGE;
    MEMORY_BASIC_INFORMATION info;

    UT_EXPECT_STATUS(Allocate(&base, 3 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                     STATUS_SUCCESS);
    middle = (UCHAR *)base + PAGE;
    UT_EXPECT_STATUS(NtFreeVirtualMemory(NtCurrentProcess(), &middle, &size, MEM_RELEASE),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(Query(middle).State, MEM_FREE);
    UT_EXPECT_EQ(Query(middle).RegionSize, PAGE);
    info = Query((UCHAR *)base + 2 * PAGE);
    UT_EXPECT_EQ(info.State, MEM_COMMIT);
    ((UCHAR *)base)[2 * PAGE] = 1;
    UT_EXPECT_STATUS(Release(base), STATUS_SUCCESS);
    UT_EXPECT_STATUS(Release((UCHAR *)base + 2 * PAGE), STATUS_SUCCESS);
}

UTEST(FreeChecksArgumentsInOrder)
{
    void *base = NULL, *probe;
    SIZE_T size = 0;
    HANDLE self = NtCurrentProcess();

    UT_EXPECT_STATUS(Allocate(&base, 2 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                     STATUS_SUCCESS);
    probe = base;
    UT_EXPECT_STATUS(NtFreeVirtualMemory(self, &probe, &size, MEM_RELEASE | MEM_DECOMMIT),
                     STATUS_INVALID_PARAMETER_4);
    UT_EXPECT_STATUS(NtFreeVirtualMemory(self, &probe, &size, 0), STATUS_INVALID_PARAMETER_4);
    UT_EXPECT_STATUS(NtFreeVirtualMemory(self, &probe, &size, MEM_COMMIT),
                     STATUS_INVALID_PARAMETER_4);
    UT_EXPECT_STATUS(NtFreeVirtualMemory(self, UT_BAD_POINTER, &size, MEM_RELEASE),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtFreeVirtualMemory(self, UT_KERNEL_POINTER, &size, MEM_RELEASE),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtFreeVirtualMemory(self, &probe, UT_BAD_POINTER, MEM_RELEASE),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtFreeVirtualMemory(self, &probe, UT_KERNEL_POINTER, MEM_RELEASE),
                     STATUS_ACCESS_VIOLATION);
    probe = UT_KERNEL_POINTER;
    UT_EXPECT_STATUS(NtFreeVirtualMemory(self, &probe, &size, MEM_RELEASE),
                     STATUS_INVALID_PARAMETER_2);
    probe = (void *)0x7FFFFFFE0000ULL;
    size = 0x100000;
    UT_EXPECT_STATUS(NtFreeVirtualMemory(self, &probe, &size, MEM_RELEASE),
                     STATUS_INVALID_PARAMETER_3);
    probe = base;
    size = 0;
    UT_EXPECT_STATUS(NtFreeVirtualMemory(BAD_HANDLE, &probe, &size, MEM_RELEASE),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtFreeVirtualMemory(NtCurrentThread(), &probe, &size, MEM_RELEASE),
                     STATUS_OBJECT_TYPE_MISMATCH);
    size = 3 * PAGE;        // past the end of the allocation
    UT_EXPECT_STATUS(NtFreeVirtualMemory(self, &probe, &size, MEM_DECOMMIT),
                     STATUS_UNABLE_TO_FREE_VM);
    UT_EXPECT_STATUS(Release(base), STATUS_SUCCESS);
}

UTEST(QueryDescribesFreeSpaceAndChecksArguments)
{
    MEMORY_BASIC_INFORMATION info;
    SIZE_T length = 0;
    HANDLE self = NtCurrentProcess();

    info = Query((void *)0x10000000000ULL);
    UT_EXPECT_EQ(info.State, MEM_FREE);
    UT_EXPECT(info.BaseAddress == (void *)0x10000000000ULL);
    UT_EXPECT(info.RegionSize >= PAGE);
    UT_EXPECT_STATUS(NtQueryVirtualMemory(self, &info, MemoryBasicInformation, &info,
                                          sizeof(info), &length), STATUS_SUCCESS);
    UT_EXPECT_EQ(length, sizeof(info));
    UT_EXPECT_EQ(info.State, MEM_COMMIT);           // the stack
    UT_EXPECT_EQ(info.Type, MEM_PRIVATE);
    UT_EXPECT_STATUS(NtQueryVirtualMemory(self, &info, (MEMORY_INFORMATION_CLASS)7, &info,
                                          sizeof(info), NULL), STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtQueryVirtualMemory(self, &info, MemoryBasicInformation, &info,
                                          sizeof(info) - 1, NULL), STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtQueryVirtualMemory(self, &info, MemoryBasicInformation, UT_BAD_POINTER,
                                          sizeof(info), NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryVirtualMemory(self, &info, MemoryBasicInformation, UT_KERNEL_POINTER,
                                          sizeof(info), NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryVirtualMemory(self, &info, MemoryBasicInformation, &info,
                                          sizeof(info), UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryVirtualMemory(self, &info, MemoryBasicInformation, &info,
                                          sizeof(info), UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryVirtualMemory(self, UT_KERNEL_POINTER, MemoryBasicInformation, &info,
                                          sizeof(info), NULL), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtQueryVirtualMemory(BAD_HANDLE, &info, MemoryBasicInformation, &info,
                                          sizeof(info), NULL), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtQueryVirtualMemory(NtCurrentThread(), &info, MemoryBasicInformation,
                                          &info, sizeof(info), NULL),
                     STATUS_OBJECT_TYPE_MISMATCH);
}

UTEST(ProtectReturnsTheOldProtection)
{
    void *base = NULL, *range;
    SIZE_T size = PAGE;
    ULONG old = 0;

    UT_EXPECT_STATUS(Allocate(&base, 2 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                     STATUS_SUCCESS);
    ((UCHAR *)base)[0] = 9;
    range = (UCHAR *)base + 5;
    UT_EXPECT_STATUS(NtProtectVirtualMemory(NtCurrentProcess(), &range, &size, PAGE_READONLY,
                                            &old), STATUS_SUCCESS);
    UT_EXPECT_EQ(old, PAGE_READWRITE);
    UT_EXPECT(range == base);
    UT_EXPECT_EQ(size, 2 * PAGE);
    UT_EXPECT_EQ(Query(base).Protect, PAGE_READONLY);
    UT_EXPECT_EQ(((UCHAR *)base)[0], 9);            // reading is still allowed
    // The kernel's probes see the new protection too.
    UT_EXPECT_STATUS(NtQueryVirtualMemory(NtCurrentProcess(), base, MemoryBasicInformation,
                                          base, sizeof(MEMORY_BASIC_INFORMATION), NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtProtectVirtualMemory(NtCurrentProcess(), &range, &size, PAGE_NOACCESS,
                                            &old), STATUS_SUCCESS);
    UT_EXPECT_EQ(old, PAGE_READONLY);
    UT_EXPECT_STATUS(NtDisplayString(base), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtProtectVirtualMemory(NtCurrentProcess(), &range, &size,
                                            PAGE_EXECUTE_READWRITE, &old), STATUS_SUCCESS);
    UT_EXPECT_EQ(old, PAGE_NOACCESS);
    UT_EXPECT_EQ(((UCHAR *)base)[0], 9);            // the page kept its contents
    UT_EXPECT_STATUS(Release(base), STATUS_SUCCESS);
}

UTEST(ProtectChecksArgumentsInOrder)
{
    void *base = NULL, *range;
    SIZE_T size = PAGE;
    ULONG old;
    HANDLE self = NtCurrentProcess();

    UT_EXPECT_STATUS(Allocate(&base, 2 * PAGE, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    range = base;
    UT_EXPECT_STATUS(NtProtectVirtualMemory(self, &range, &size, 0x3, &old),
                     STATUS_INVALID_PAGE_PROTECTION);
    UT_EXPECT_STATUS(NtProtectVirtualMemory(self, UT_BAD_POINTER, &size, PAGE_READONLY, &old),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtProtectVirtualMemory(self, UT_KERNEL_POINTER, &size, PAGE_READONLY, &old),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtProtectVirtualMemory(self, &range, UT_BAD_POINTER, PAGE_READONLY, &old),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtProtectVirtualMemory(self, &range, UT_KERNEL_POINTER, PAGE_READONLY,
                                            &old), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtProtectVirtualMemory(self, &range, &size, PAGE_READONLY, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtProtectVirtualMemory(self, &range, &size, PAGE_READONLY,
                                            UT_KERNEL_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtProtectVirtualMemory(BAD_HANDLE, &range, &size, PAGE_READONLY, &old),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtProtectVirtualMemory(NtCurrentThread(), &range, &size, PAGE_READONLY,
                                            &old), STATUS_OBJECT_TYPE_MISMATCH);
    // Reserved, not committed.
    UT_EXPECT_STATUS(NtProtectVirtualMemory(self, &range, &size, PAGE_READONLY, &old),
                     STATUS_NOT_COMMITTED);
    size = 3 * PAGE;
    UT_EXPECT_STATUS(NtProtectVirtualMemory(self, &range, &size, PAGE_READONLY, &old),
                     STATUS_CONFLICTING_ADDRESSES);
    size = 0;
    UT_EXPECT_STATUS(NtProtectVirtualMemory(self, &range, &size, PAGE_READONLY, &old),
                     STATUS_INVALID_PARAMETER_3);
    UT_EXPECT_STATUS(Release(base), STATUS_SUCCESS);
}

UTEST(TheImageAndStackAreDescribed)
{
    MEMORY_BASIC_INFORMATION info = Query((void *)&Query);
    int local = 0;

    // The loader's ranges have VADs like any allocation.
    UT_EXPECT_EQ(info.State, MEM_COMMIT);
    UT_EXPECT(info.Protect == PAGE_EXECUTE_READ || info.Protect == PAGE_EXECUTE);
    UT_EXPECT(info.AllocationBase != NULL && (ULONG_PTR)info.AllocationBase <= (ULONG_PTR)&Query);
    info = Query(&local);
    UT_EXPECT_EQ(info.State, MEM_COMMIT);
    UT_EXPECT_EQ(info.Protect, PAGE_READWRITE);
}

static const UTEST Tests[] = {
    UT_ENTRY(ReserveAndCommitGivesZeroedWritablePages),
    UT_ENTRY(ReservationRoundsBaseDownTo64KAndEndUpToPages),
    UT_ENTRY(CommitInsideAReservationRoundsToPages),
    UT_ENTRY(CommitOutsideAReservationConflicts),
    UT_ENTRY(OverlappingReservationsConflict),
    UT_ENTRY(TopDownAndZeroBitsChooseWhereTheRegionGoes),
    UT_ENTRY(AllocateChecksArgumentsInOrder),
    UT_ENTRY(DecommitKeepsTheReservation),
    UT_ENTRY(ReleaseWithSizeZeroFreesTheWholeAllocationFromItsBaseOnly),
    UT_ENTRY(ReleasingTheMiddleSplitsTheAllocation),
    UT_ENTRY(FreeChecksArgumentsInOrder),
    UT_ENTRY(QueryDescribesFreeSpaceAndChecksArguments),
    UT_ENTRY(ProtectReturnsTheOldProtection),
    UT_ENTRY(ProtectChecksArgumentsInOrder),
    UT_ENTRY(TheImageAndStackAreDescribed),
};

int main(void)
{
    return UT_RUN_ALL("tvirtual", Tests);
}
