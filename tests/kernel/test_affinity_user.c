// Affinity from user mode: the program taffinity (NtSetInformationThread's
// ThreadAffinityMask, NtSetInformationProcess's ProcessAffinityMask,
// NtGetCurrentProcessorNumber), with the leak check around it. Named Smp*
// so that the runs under several processors (make test's kernel/bios-smp4,
// tools/runtests.py --smp N) take it with the other scheduling tests: there
// its threads are pinned to each processor in turn; under -smp 1, to the
// only one.

#include "tests/kernel/ktest.h"
#include "tests/kernel/ktuser.h"
#include "tests/kernel/test_dispatcher.h"

#define KT_QUIET_TICKS 64           // a second with no kernel stack freed
#define KT_QUIET_LIMIT_TICKS 640

KTEST(SmpUserAffinity)
{
    PFN_NUMBER stacks = KtKernelStackPages();
    ULONG quiet = 0;

    // The Smp tests before this one leave their threads going away on the
    // other processors; the leak check counts kernel stacks, so it starts
    // once no more are being freed.
    for (ULONG i = 0; i < KT_QUIET_LIMIT_TICKS && quiet < KT_QUIET_TICKS; i++) {
        KtSleepTicks(1);
        quiet = KtKernelStackPages() == stacks ? quiet + 1 : 0;
        stacks = KtKernelStackPages();
    }
    KtExpectUserTestsPass("taffinity");
}
