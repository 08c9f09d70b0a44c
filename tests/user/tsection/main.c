// User-mode tests of sections: creating (named, OBJ_OPENIF, SEC_COMMIT and
// SEC_RESERVE), opening, mapping views (chosen or given bases, offsets,
// sizes, protections against the section and the handle), unmapping,
// querying, and every argument check.

#include "tests/user/utest.h"

#define KB64 0x10000ULL
#define PAGE 0x1000ULL
#define BAD_HANDLE ((HANDLE)(ULONG_PTR)0x7FFC)

static HANDLE CreateSection(LONGLONG size, ULONG protect, ULONG attributes)
{
    LARGE_INTEGER maximum;
    HANDLE section = NULL;

    maximum.QuadPart = size;
    UT_EXPECT_STATUS(NtCreateSection(&section, SECTION_ALL_ACCESS, NULL, &maximum, protect,
                                     attributes, NULL), STATUS_SUCCESS);
    return section;
}

static void *MapView(HANDLE section, SIZE_T size, ULONG protect)
{
    void *base = NULL;
    SIZE_T viewSize = size;

    UT_EXPECT_STATUS(NtMapViewOfSection(section, NtCurrentProcess(), &base, 0, 0, NULL,
                                        &viewSize, ViewShare, 0, protect), STATUS_SUCCESS);
    return base;
}

UTEST(TwoViewsOfASectionShareTheirPages)
{
    HANDLE section = CreateSection(3 * PAGE, PAGE_READWRITE, SEC_COMMIT);
    volatile ULONG *first = MapView(section, 0, PAGE_READWRITE);
    volatile ULONG *second = MapView(section, 0, PAGE_READONLY);
    MEMORY_BASIC_INFORMATION info;

    UT_EXPECT(first && second && first != second);
    UT_EXPECT_EQ(first[0], 0);
    first[0] = 0xFEEDBEEF;
    first[2 * PAGE / sizeof(ULONG)] = 42;
    UT_EXPECT_EQ(second[0], 0xFEEDBEEF);
    UT_EXPECT_EQ(second[2 * PAGE / sizeof(ULONG)], 42);
    UT_EXPECT_STATUS(NtQueryVirtualMemory(NtCurrentProcess(), (void *)second,
                                          MemoryBasicInformation, &info, sizeof(info), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(info.Type, MEM_MAPPED);
    UT_EXPECT_EQ(info.State, MEM_COMMIT);
    UT_EXPECT_EQ(info.Protect, PAGE_READONLY);
    UT_EXPECT_EQ(info.RegionSize, 3 * PAGE);
    UT_EXPECT(info.AllocationBase == second);
    UT_EXPECT_STATUS(NtUnmapViewOfSection(NtCurrentProcess(), (void *)first), STATUS_SUCCESS);
    // The section keeps its pages while a view or a handle holds it.
    UT_EXPECT_EQ(second[0], 0xFEEDBEEF);
    UT_EXPECT_STATUS(NtUnmapViewOfSection(NtCurrentProcess(), (UCHAR *)second + PAGE + 3),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtUnmapViewOfSection(NtCurrentProcess(), (void *)second),
                     STATUS_NOT_MAPPED_VIEW);
    NtClose(section);
}

UTEST(OffsetsBasesAndSizesFollowNtsRules)
{
    HANDLE section = CreateSection(2 * KB64 + 1, PAGE_READWRITE, SEC_COMMIT);
    LARGE_INTEGER offset;
    void *base = NULL, *whole, *fixed;
    SIZE_T size = 0;

    whole = MapView(section, 0, PAGE_READWRITE);
    ((UCHAR *)whole)[KB64] = 0x77;
    offset.QuadPart = KB64;
    UT_EXPECT_STATUS(NtMapViewOfSection(section, NtCurrentProcess(), &base, 0, 0, &offset,
                                        &size, ViewUnmap, 0, PAGE_READONLY), STATUS_SUCCESS);
    UT_EXPECT_EQ(size, KB64 + PAGE);                // to the end, in whole pages
    UT_EXPECT_EQ(((UCHAR *)base)[0], 0x77);
    UT_EXPECT_STATUS(NtUnmapViewOfSection(NtCurrentProcess(), base), STATUS_SUCCESS);
    // A given base: 64K-aligned, free.
    fixed = (void *)0x300000000ULL;
    size = PAGE;
    UT_EXPECT_STATUS(NtMapViewOfSection(section, NtCurrentProcess(), &fixed, 0, 0, NULL, &size,
                                        ViewShare, 0, PAGE_READWRITE), STATUS_SUCCESS);
    UT_EXPECT(fixed == (void *)0x300000000ULL);
    base = (UCHAR *)fixed + PAGE;
    UT_EXPECT_STATUS(NtMapViewOfSection(section, NtCurrentProcess(), &base, 0, 0, NULL, &size,
                                        ViewShare, 0, PAGE_READWRITE), STATUS_MAPPED_ALIGNMENT);
    base = fixed;
    UT_EXPECT_STATUS(NtMapViewOfSection(section, NtCurrentProcess(), &base, 0, 0, NULL, &size,
                                        ViewShare, 0, PAGE_READWRITE),
                     STATUS_CONFLICTING_ADDRESSES);
    base = NULL;
    offset.QuadPart = PAGE;
    UT_EXPECT_STATUS(NtMapViewOfSection(section, NtCurrentProcess(), &base, 0, 0, &offset,
                                        &size, ViewShare, 0, PAGE_READWRITE),
                     STATUS_MAPPED_ALIGNMENT);
    offset.QuadPart = 4 * KB64;
    UT_EXPECT_STATUS(NtMapViewOfSection(section, NtCurrentProcess(), &base, 0, 0, &offset,
                                        &size, ViewShare, 0, PAGE_READWRITE),
                     STATUS_INVALID_VIEW_SIZE);
    size = 3 * KB64;
    UT_EXPECT_STATUS(NtMapViewOfSection(section, NtCurrentProcess(), &base, 0, 0, NULL, &size,
                                        ViewShare, 0, PAGE_READWRITE), STATUS_INVALID_VIEW_SIZE);
    // Allocations cannot be freed through a view.
    size = 0;
    UT_EXPECT_STATUS(NtFreeVirtualMemory(NtCurrentProcess(), &fixed, &size, MEM_RELEASE),
                     STATUS_UNABLE_TO_DELETE_SECTION);
    UT_EXPECT_STATUS(NtUnmapViewOfSection(NtCurrentProcess(), fixed), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtUnmapViewOfSection(NtCurrentProcess(), whole), STATUS_SUCCESS);
    NtClose(section);
}

UTEST(AViewIsNoMoreThanTheSectionAndTheHandleAllow)
{
    UNICODE_STRING name = UT_NAME(u"\\BaseNamedObjects\\TSectionAccess");
    LARGE_INTEGER maximum = {.QuadPart = PAGE};
    OBJECT_ATTRIBUTES attributes;
    HANDLE readOnly = CreateSection(PAGE, PAGE_READONLY, SEC_COMMIT);
    HANDLE writable = NULL, queryOnly = NULL;
    void *base = NULL, *view;
    SIZE_T size = 0;
    ULONG old;

    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtCreateSection(&writable, SECTION_ALL_ACCESS, &attributes, &maximum,
                                     PAGE_READWRITE, SEC_COMMIT, NULL), STATUS_SUCCESS);

    UT_EXPECT_STATUS(NtMapViewOfSection(readOnly, NtCurrentProcess(), &base, 0, 0, NULL, &size,
                                        ViewShare, 0, PAGE_READWRITE), STATUS_SECTION_PROTECTION);
    UT_EXPECT_STATUS(NtMapViewOfSection(writable, NtCurrentProcess(), &base, 0, 0, NULL, &size,
                                        ViewShare, 0, PAGE_EXECUTE_READ),
                     STATUS_SECTION_PROTECTION);
    view = MapView(writable, 0, PAGE_READONLY);
    size = PAGE;
    UT_EXPECT_STATUS(NtProtectVirtualMemory(NtCurrentProcess(), &view, &size,
                                            PAGE_EXECUTE_READWRITE, &old),
                     STATUS_SECTION_PROTECTION);
    UT_EXPECT_STATUS(NtProtectVirtualMemory(NtCurrentProcess(), &view, &size, PAGE_READWRITE,
                                            &old), STATUS_SUCCESS);
    UT_EXPECT_EQ(old, PAGE_READONLY);
    *(volatile UCHAR *)view = 1;
    UT_EXPECT_STATUS(NtUnmapViewOfSection(NtCurrentProcess(), view), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenSection(&queryOnly, SECTION_QUERY, &attributes), STATUS_SUCCESS);
    size = 0;
    base = NULL;
    UT_EXPECT_STATUS(NtMapViewOfSection(queryOnly, NtCurrentProcess(), &base, 0, 0, NULL, &size,
                                        ViewShare, 0, PAGE_READONLY), STATUS_ACCESS_DENIED);
    NtClose(queryOnly);
    NtClose(readOnly);
    NtClose(writable);
}

UTEST(SecReserveSectionsCommitThroughAViewForEveryView)
{
    HANDLE section = CreateSection(2 * PAGE, PAGE_READWRITE, SEC_RESERVE);
    UCHAR *first = MapView(section, 0, PAGE_READWRITE);
    volatile UCHAR *second = MapView(section, 0, PAGE_READWRITE);
    MEMORY_BASIC_INFORMATION info;
    void *commit = first + PAGE;
    SIZE_T size = PAGE;

    UT_EXPECT_STATUS(NtQueryVirtualMemory(NtCurrentProcess(), first, MemoryBasicInformation,
                                          &info, sizeof(info), NULL), STATUS_SUCCESS);
    UT_EXPECT_EQ(info.State, MEM_RESERVE);
    UT_EXPECT_EQ(info.RegionSize, 2 * PAGE);
    UT_EXPECT_STATUS(NtAllocateVirtualMemory(NtCurrentProcess(), &commit, 0, &size, MEM_COMMIT,
                                             PAGE_READWRITE), STATUS_SUCCESS);
    first[PAGE] = 0x3C;
    UT_EXPECT_EQ(second[PAGE], 0x3C);
    UT_EXPECT_STATUS(NtQueryVirtualMemory(NtCurrentProcess(), (void *)second,
                                          MemoryBasicInformation, &info, sizeof(info), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(info.State, MEM_RESERVE);
    UT_EXPECT_EQ(info.RegionSize, PAGE);
    NtUnmapViewOfSection(NtCurrentProcess(), first);
    NtUnmapViewOfSection(NtCurrentProcess(), (void *)second);
    NtClose(section);
}

UTEST(NamedSectionsOpenAndOpenIf)
{
    UNICODE_STRING name = UT_NAME(u"\\BaseNamedObjects\\TSectionShared");
    OBJECT_ATTRIBUTES attributes;
    LARGE_INTEGER maximum = {.QuadPart = PAGE};
    HANDLE created = NULL, again = NULL, opened = NULL;
    SECTION_BASIC_INFORMATION basic;
    SIZE_T length = 0;
    ULONG *one, *two;

    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtCreateSection(&created, SECTION_ALL_ACCESS, &attributes, &maximum,
                                     PAGE_READWRITE, SEC_COMMIT, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateSection(&again, SECTION_ALL_ACCESS, &attributes, &maximum,
                                     PAGE_READWRITE, SEC_COMMIT, NULL),
                     STATUS_OBJECT_NAME_COLLISION);
    attributes.Attributes = OBJ_OPENIF;
    UT_EXPECT_STATUS(NtCreateSection(&again, SECTION_ALL_ACCESS, &attributes, &maximum,
                                     PAGE_READWRITE, SEC_COMMIT, NULL),
                     STATUS_OBJECT_NAME_EXISTS);
    UT_EXPECT_STATUS(NtOpenSection(&opened, SECTION_MAP_READ | SECTION_MAP_WRITE | SECTION_QUERY,
                                   &attributes), STATUS_SUCCESS);
    one = MapView(created, 0, PAGE_READWRITE);
    two = MapView(opened, 0, PAGE_READWRITE);
    *one = 1234;
    UT_EXPECT_EQ(*two, 1234);
    UT_EXPECT_STATUS(NtQuerySection(opened, SectionBasicInformation, &basic, sizeof(basic),
                                    &length), STATUS_SUCCESS);
    UT_EXPECT_EQ(length, sizeof(basic));
    UT_EXPECT_EQ(basic.MaximumSize.QuadPart, PAGE);
    UT_EXPECT_EQ(basic.AllocationAttributes & SEC_COMMIT, SEC_COMMIT);
    NtUnmapViewOfSection(NtCurrentProcess(), one);
    NtUnmapViewOfSection(NtCurrentProcess(), two);
    NtClose(created);
    NtClose(again);
    NtClose(opened);
}

UTEST(CreateChecksArguments)
{
    LARGE_INTEGER maximum = {.QuadPart = PAGE}, zero = {.QuadPart = 0};
    LARGE_INTEGER huge = {.QuadPart = 1LL << 40};
    UNICODE_STRING odd = {3, 4, (WCHAR *)u"ab"};
    OBJECT_ATTRIBUTES attributes;
    HANDLE section = NULL;

    UT_EXPECT_STATUS(NtCreateSection(&section, SECTION_ALL_ACCESS, NULL, &maximum,
                                     PAGE_READWRITE, 0, NULL), STATUS_INVALID_PARAMETER_6);
    UT_EXPECT_STATUS(NtCreateSection(&section, SECTION_ALL_ACCESS, NULL, &maximum,
                                     PAGE_READWRITE, SEC_COMMIT | SEC_RESERVE, NULL),
                     STATUS_INVALID_PARAMETER_6);
    UT_EXPECT_STATUS(NtCreateSection(&section, SECTION_ALL_ACCESS, NULL, &maximum,
                                     PAGE_READWRITE, SEC_COMMIT | 0x1, NULL),
                     STATUS_INVALID_PARAMETER_6);
    UT_EXPECT_STATUS(NtCreateSection(UT_BAD_POINTER, SECTION_ALL_ACCESS, NULL, &maximum,
                                     PAGE_READWRITE, SEC_COMMIT, NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateSection(UT_KERNEL_POINTER, SECTION_ALL_ACCESS, NULL, &maximum,
                                     PAGE_READWRITE, SEC_COMMIT, NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateSection(&section, SECTION_ALL_ACCESS, NULL, UT_BAD_POINTER,
                                     PAGE_READWRITE, SEC_COMMIT, NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateSection(&section, SECTION_ALL_ACCESS, NULL, UT_KERNEL_POINTER,
                                     PAGE_READWRITE, SEC_COMMIT, NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateSection(&section, SECTION_ALL_ACCESS, UT_BAD_POINTER, &maximum,
                                     PAGE_READWRITE, SEC_COMMIT, NULL), STATUS_ACCESS_VIOLATION);
    InitializeObjectAttributes(&attributes, UT_KERNEL_POINTER, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtCreateSection(&section, SECTION_ALL_ACCESS, &attributes, &maximum,
                                     PAGE_READWRITE, SEC_COMMIT, NULL), STATUS_ACCESS_VIOLATION);
    InitializeObjectAttributes(&attributes, &odd, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtCreateSection(&section, SECTION_ALL_ACCESS, &attributes, &maximum,
                                     PAGE_READWRITE, SEC_COMMIT, NULL),
                     STATUS_OBJECT_NAME_INVALID);
    UT_EXPECT_STATUS(NtCreateSection(&section, SECTION_ALL_ACCESS, NULL, &maximum,
                                     PAGE_NOACCESS, SEC_COMMIT, NULL),
                     STATUS_INVALID_PAGE_PROTECTION);
    UT_EXPECT_STATUS(NtCreateSection(&section, SECTION_ALL_ACCESS, NULL, &maximum,
                                     PAGE_WRITECOPY, SEC_COMMIT, NULL),
                     STATUS_INVALID_PAGE_PROTECTION);
    UT_EXPECT_STATUS(NtCreateSection(&section, SECTION_ALL_ACCESS, NULL, &maximum,
                                     PAGE_READWRITE, SEC_COMMIT, BAD_HANDLE),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtCreateSection(&section, SECTION_ALL_ACCESS, NULL, &maximum,
                                     PAGE_READWRITE, SEC_COMMIT, NtCurrentProcess()),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtCreateSection(&section, SECTION_ALL_ACCESS, NULL, &maximum,
                                     PAGE_READONLY, SEC_IMAGE, NULL),
                     STATUS_INVALID_FILE_FOR_SECTION);
    UT_EXPECT_STATUS(NtCreateSection(&section, SECTION_ALL_ACCESS, NULL, NULL,
                                     PAGE_READWRITE, SEC_COMMIT, NULL),
                     STATUS_INVALID_PARAMETER_4);
    UT_EXPECT_STATUS(NtCreateSection(&section, SECTION_ALL_ACCESS, NULL, &zero,
                                     PAGE_READWRITE, SEC_COMMIT, NULL),
                     STATUS_INVALID_PARAMETER_4);
    UT_EXPECT_STATUS(NtCreateSection(&section, SECTION_ALL_ACCESS, NULL, &huge,
                                     PAGE_READWRITE, SEC_COMMIT, NULL), STATUS_SECTION_TOO_BIG);
    UT_EXPECT(section == NULL);
}

UTEST(OpenMapUnmapAndQueryCheckArguments)
{
    HANDLE section = CreateSection(PAGE, PAGE_READWRITE, SEC_COMMIT);
    UNICODE_STRING missing = UT_NAME(u"\\BaseNamedObjects\\TSectionMissing");
    OBJECT_ATTRIBUTES attributes;
    SECTION_BASIC_INFORMATION basic;
    LARGE_INTEGER offset = {.QuadPart = 0};
    HANDLE self = NtCurrentProcess(), opened;
    void *base = NULL;
    SIZE_T size = 0;

    InitializeObjectAttributes(&attributes, &missing, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtOpenSection(&opened, SECTION_QUERY, &attributes),
                     STATUS_OBJECT_NAME_NOT_FOUND);
    UT_EXPECT_STATUS(NtOpenSection(UT_BAD_POINTER, SECTION_QUERY, &attributes),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtOpenSection(&opened, SECTION_QUERY, UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);

    UT_EXPECT_STATUS(NtMapViewOfSection(section, self, &base, 0, 0, NULL, &size, 0, 0,
                                        PAGE_READWRITE), STATUS_INVALID_PARAMETER_8);
    UT_EXPECT_STATUS(NtMapViewOfSection(section, self, &base, 0, 0, NULL, &size, ViewShare,
                                        MEM_COMMIT, PAGE_READWRITE), STATUS_INVALID_PARAMETER_9);
    UT_EXPECT_STATUS(NtMapViewOfSection(section, self, &base, 0, 0, NULL, &size, ViewShare, 0,
                                        0x3), STATUS_INVALID_PAGE_PROTECTION);
    UT_EXPECT_STATUS(NtMapViewOfSection(section, self, UT_BAD_POINTER, 0, 0, NULL, &size,
                                        ViewShare, 0, PAGE_READWRITE), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtMapViewOfSection(section, self, UT_KERNEL_POINTER, 0, 0, NULL, &size,
                                        ViewShare, 0, PAGE_READWRITE), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtMapViewOfSection(section, self, &base, 0, 0, NULL, UT_BAD_POINTER,
                                        ViewShare, 0, PAGE_READWRITE), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtMapViewOfSection(section, self, &base, 0, 0, NULL, UT_KERNEL_POINTER,
                                        ViewShare, 0, PAGE_READWRITE), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtMapViewOfSection(section, self, &base, 0, 0, UT_BAD_POINTER, &size,
                                        ViewShare, 0, PAGE_READWRITE), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtMapViewOfSection(section, self, &base, 0, 0, UT_KERNEL_POINTER, &size,
                                        ViewShare, 0, PAGE_READWRITE), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtMapViewOfSection(section, self, &base, 54, 0, &offset, &size, ViewShare,
                                        0, PAGE_READWRITE), STATUS_INVALID_PARAMETER_4);
    UT_EXPECT_STATUS(NtMapViewOfSection(section, BAD_HANDLE, &base, 0, 0, NULL, &size,
                                        ViewShare, 0, PAGE_READWRITE), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtMapViewOfSection(section, section, &base, 0, 0, NULL, &size, ViewShare,
                                        0, PAGE_READWRITE), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtMapViewOfSection(BAD_HANDLE, self, &base, 0, 0, NULL, &size, ViewShare,
                                        0, PAGE_READWRITE), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtMapViewOfSection(self, self, &base, 0, 0, NULL, &size, ViewShare, 0,
                                        PAGE_READWRITE), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT(base == NULL);

    UT_EXPECT_STATUS(NtUnmapViewOfSection(self, &basic), STATUS_NOT_MAPPED_VIEW);
    UT_EXPECT_STATUS(NtUnmapViewOfSection(self, UT_KERNEL_POINTER), STATUS_NOT_MAPPED_VIEW);
    UT_EXPECT_STATUS(NtUnmapViewOfSection(BAD_HANDLE, &basic), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtUnmapViewOfSection(section, &basic), STATUS_OBJECT_TYPE_MISMATCH);

    UT_EXPECT_STATUS(NtQuerySection(section, (SECTION_INFORMATION_CLASS)5, &basic,
                                    sizeof(basic), NULL), STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtQuerySection(section, SectionBasicInformation, &basic,
                                    sizeof(basic) - 1, NULL), STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtQuerySection(section, SectionBasicInformation, UT_BAD_POINTER,
                                    sizeof(basic), NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySection(section, SectionBasicInformation, UT_KERNEL_POINTER,
                                    sizeof(basic), NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySection(section, SectionBasicInformation, &basic, sizeof(basic),
                                    UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySection(section, SectionBasicInformation, &basic, sizeof(basic),
                                    UT_KERNEL_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySection(BAD_HANDLE, SectionBasicInformation, &basic, sizeof(basic),
                                    NULL), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtQuerySection(self, SectionBasicInformation, &basic, sizeof(basic), NULL),
                     STATUS_OBJECT_TYPE_MISMATCH);
    NtClose(section);
}

UTEST(ViewsLeftMappedGoWithTheProcess)
{
    HANDLE section = CreateSection(2 * PAGE, PAGE_READWRITE, SEC_COMMIT);

    // Never unmapped, never closed: process teardown must give back the
    // pages (the kernel's leak check after this program says whether it did).
    *(volatile UCHAR *)MapView(section, 0, PAGE_READWRITE) = 1;
    UT_EXPECT(MapView(section, PAGE, PAGE_READONLY) != NULL);
}

static const UTEST Tests[] = {
    UT_ENTRY(TwoViewsOfASectionShareTheirPages),
    UT_ENTRY(OffsetsBasesAndSizesFollowNtsRules),
    UT_ENTRY(AViewIsNoMoreThanTheSectionAndTheHandleAllow),
    UT_ENTRY(SecReserveSectionsCommitThroughAViewForEveryView),
    UT_ENTRY(NamedSectionsOpenAndOpenIf),
    UT_ENTRY(CreateChecksArguments),
    UT_ENTRY(OpenMapUnmapAndQueryCheckArguments),
    UT_ENTRY(ViewsLeftMappedGoWithTheProcess),
};

int main(void)
{
    return UT_RUN_ALL("tsection", Tests);
}
