// User-mode test programs that need more than one thread or process: waits
// satisfied by another thread, alerts and APCs sent to another thread, child
// processes, and the runtime's heap and critical sections under contention.

#include "tests/kernel/ktuser.h"

KTEST(UserCrossThreadWaits)
{
    KtExpectUserTestsPass("tcross");
}

KTEST(UserCrossThreadAlertsAndApcs)
{
    KtExpectUserTestsPass("tcrossapc");
}

KTEST(UserChildProcesses)
{
    KtExpectUserTestsPass("tchild");
}

KTEST(UserHeapAndCriticalSectionsUnderContention)
{
    KtExpectUserTestsPass("tcontend");
}
