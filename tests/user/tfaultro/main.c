// Not a UTEST program: run by the in-kernel test
// WritingAReadOnlyPageEndsTheProcessWithAnAccessViolation, which expects
// this process to die of STATUS_ACCESS_VIOLATION at the marked write (exit
// status 1 or 2 says it got further than it should).

#include "user/include/runtime.h"

int main(void)
{
    void *base = NULL;
    SIZE_T size = 0x1000;
    volatile UCHAR *page;

    if (NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &size, MEM_RESERVE | MEM_COMMIT,
                                PAGE_READONLY) != STATUS_SUCCESS)
        return 1;
    page = base;
    if (page[0] != 0)           // reading is allowed
        return 2;
    page[0] = 1;                // the access violation
    return 3;
}
