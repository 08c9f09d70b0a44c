// spin.exe: computes forever in user mode, three calls deep, so that the
// debugger has a live user thread to show: preempted by the clock, its
// kernel stack goes through the interrupt into its user frames (run=spin,
// then `!process 0 f spin.exe`). It keeps to processor 0, where the
// initial break-in and Ctrl-C's happen, so that it shows so under any
// processor count: elsewhere it would run alone on an idle processor,
// never preempted, and the break-in would find processor 0 idle.

#include "user/include/runtime.h"

static volatile unsigned long SpinCount;

// Not a leaf, so that SpinForever keeps its frame (GCC gives an endless
// leaf none); a clock tick finds the thread in one or the other.
static unsigned long __attribute__((noinline)) SpinStep(unsigned long count)
{
    return count * 3 + 1;
}

static void __attribute__((noinline)) SpinForever(void)
{
    for (;;)
        SpinCount = SpinStep(SpinCount);
}

static void __attribute__((noinline)) SpinStart(void)
{
    SpinForever();
    SpinCount = 0;      // not reached; keeps the call from becoming a jump
}

int main(void)
{
    KAFFINITY processorZero = 1;
    NTSTATUS status = NtSetInformationProcess(NtCurrentProcess(), ProcessAffinityMask,
                                              &processorZero, sizeof(processorZero));

    if (!NT_SUCCESS(status))
        printf("spin.exe: cannot keep to processor 0 (status %08x)\n", (unsigned)status);
    printf("spin.exe: spinning in user mode until the process is ended\n");
    SpinStart();
    return 0;
}
