// Not a UTEST program: run by the in-kernel breakpoint tests
// (tests/kernel/test_kd_breakpoints.c), two copies at once, one with a
// breakpoint on TbpWork in its own pages (and `gu` from TbpLeafWithLocals,
// `bu tbp!TbpWork` before it starts). Each calls TbpWork three times
// and exits 0 only if every result is right: a breakpoint stepped over
// wrongly, or an int3 left in the other copy, shows as a non-zero status
// (or the exception that ends the process). It also closes a handle, for
// the end-to-end test's `bp nt!NtClose` (tests/e2e/test_breakpoints.py).

#include "user/include/runtime.h"

#define TBP_CALLS 3

__attribute__((noinline)) ULONG TbpWork(ULONG value)
{
    return value * 7 + 3;
}

// A leaf with locals, for `gu` in user code: until its frame record is made
// (a few instructions in), rbp + 8 is its caller's return address, not its
// own; its unwind information knows where its own is at every instruction.
__attribute__((noinline)) ULONG TbpLeafWithLocals(ULONG value)
{
    volatile ULONG squares[6];
    ULONG i = 0;

    do {
        squares[i] = (value + i) * (value + i);
    } while (++i < ARRAYSIZE(squares));
    return squares[value % ARRAYSIZE(squares)] - value;
}

__attribute__((noinline)) ULONG TbpLeafCaller(ULONG value)
{
    ULONG result = TbpLeafWithLocals(value);

    __asm__ volatile("" : : : "memory");
    return result + 1;
}

int main(void)
{
    ULONG sum = 0;
    HANDLE event;

    if (!NT_SUCCESS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE)) ||
        !NT_SUCCESS(NtClose(event)))
        return 2;
    for (ULONG i = 0; i < TBP_CALLS; i++)
        sum += TbpWork(i);
    if (TbpLeafCaller(5) != 10 * 10 - 5 + 1)
        return 3;
    return sum == (0 + 7 + 14) + 3 * 3 ? 0 : 1;
}
