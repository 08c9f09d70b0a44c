// Suspension against termination: the user program tsuspend (with the leak
// check around it) ends suspended threads and processes, suspends threads
// already told to end, and suspends threads on their way out.

#include "tests/kernel/ktest.h"
#include "tests/kernel/ktuser.h"

KTEST(UserSuspendAndTerminate)
{
    KtExpectUserTestsPass("tsuspend");
}
