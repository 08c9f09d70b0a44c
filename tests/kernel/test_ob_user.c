// The object manager's and the executive objects' system services, run as
// user-mode test programs (tests/user/NAME/) with the leak check around
// each.

#include "tests/kernel/ktuser.h"

KTEST(UserEventsSemaphoresAndMutants)
{
    KtExpectUserTestsPass("tsync");
}

KTEST(UserWaits)
{
    KtExpectUserTestsPass("twaits");
}

KTEST(UserTimers)
{
    KtExpectUserTestsPass("ttimers");
}

KTEST(UserHandlesAndObjects)
{
    KtExpectUserTestsPass("tobject");
}

KTEST(UserNamespace)
{
    KtExpectUserTestsPass("tnamespace");
}
