// Not a UTEST program: run by the in-kernel test
// TouchingAnUnmappedViewEndsTheProcessWithAnAccessViolation, which expects
// this process to die of STATUS_ACCESS_VIOLATION at the marked read after
// the view is gone (any small exit status says it got further).

#include "user/include/runtime.h"

int main(void)
{
    LARGE_INTEGER maximum = {.QuadPart = 0x1000};
    HANDLE section;
    void *base = NULL;
    SIZE_T size = 0;
    volatile UCHAR *view;

    if (NtCreateSection(&section, SECTION_ALL_ACCESS, NULL, &maximum, PAGE_READWRITE,
                        SEC_COMMIT, NULL) != STATUS_SUCCESS ||
        NtMapViewOfSection(section, NtCurrentProcess(), &base, 0, 0, NULL, &size, ViewShare, 0,
                           PAGE_READWRITE) != STATUS_SUCCESS)
        return 1;
    view = base;
    view[0] = 7;
    if (NtUnmapViewOfSection(NtCurrentProcess(), base) != STATUS_SUCCESS)
        return 2;
    return view[0];             // the access violation
}
