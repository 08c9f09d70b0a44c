// Affinity from user mode: the program taffinity (NtSetInformationThread's
// ThreadAffinityMask, NtSetInformationProcess's ProcessAffinityMask,
// NtGetCurrentProcessorNumber), with the leak check around it. Named Smp*
// so that the runs under several processors (tools/runtests.py --smp N)
// take it with the other scheduling tests: there its threads are pinned to
// each processor in turn; under -smp 1, to the only one.

#include "tests/kernel/ktest.h"
#include "tests/kernel/ktuser.h"

KTEST(SmpUserAffinity)
{
    KtExpectUserTestsPass("taffinity");
}
