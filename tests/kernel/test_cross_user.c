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

// On several processors every contended heap call hands the lock to a
// thread asleep on another processor (the critical section's handover):
// under TCG on a loaded host the program then takes over the usual minute.
// It fails on its own once its workers stop making progress (10 s), so the
// limit here only catches a program that never ends.
#define KT_CONTEND_LIMIT_MS 240000

KTEST(UserHeapAndCriticalSectionsUnderContention)
{
    KtpUserTestsPassEx("tcontend", NULL, KT_CONTEND_LIMIT_MS, __FILE__, __LINE__);
}
