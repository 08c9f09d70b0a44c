// LPC rundown under the leak check: tlpcrundown's tests, each run as a
// program of its own so that a leak is pinned to the test that made it.

#include "tests/kernel/ktuser.h"

// One test of a program (its command line names it), under the leak check.
#define KtExpectUserTestsPassWith(name, commandLine)                                       \
    do {                                                                                   \
        if (!KtpUserTestsPassEx(name, commandLine, KT_USER_PROGRAM_LIMIT_MS, __FILE__,     \
                                __LINE__))                                                 \
            return;                                                                        \
    } while (0)

KTEST(LpcTerminationNoticeOnUnconnectedPort)
{
    KtExpectUserTestsPassWith("tlpcrundown", "tlpcrundown TerminationNoticeOnUnconnectedPort");
}

KTEST(LpcTerminationNoticeOnConnectionPort)
{
    KtExpectUserTestsPassWith("tlpcrundown", "tlpcrundown TerminationNoticeOnConnectionPort");
}

KTEST(LpcTerminationNoticeThroughEitherSide)
{
    KtExpectUserTestsPassWith("tlpcrundown",
                              "tlpcrundown TerminationNoticeThroughEitherSideOfAConnection");
}

KTEST(LpcTerminationPortRegisteredManyTimesIsToldOnce)
{
    KtExpectUserTestsPassWith("tlpcrundown",
                              "tlpcrundown TerminationPortRegisteredManyTimesIsToldOnce");
}

KTEST(LpcServerRequestLostWhenClientClosesItsPort)
{
    KtExpectUserTestsPassWith("tlpcrundown",
                              "tlpcrundown ServerRequestLostWhenTheClientClosesItsPort");
}

KTEST(LpcReplyCopiedPartWayFreesNothingOfTheUsers)
{
    KtExpectUserTestsPassWith("tlpcrundown",
                              "tlpcrundown ReplyCopiedPartWayFreesNothingOfTheUsers");
}

KTEST(LpcLateCompletionLeavesNextConnectAlone)
{
    KtExpectUserTestsPassWith("tlpcrundown",
                              "tlpcrundown LateCompletionLeavesTheClientsNextConnectAlone");
}

KTEST(LpcServerPortClosedLateLeavesNextConnectAlone)
{
    KtExpectUserTestsPassWith("tlpcrundown",
                              "tlpcrundown ServerPortClosedLateLeavesTheClientsNextConnectAlone");
}

// Servers and clients killed at random points of their conversations
// (tlpcstress, its fixed seed): nothing left behind.
KTEST(LpcStressKilledAtRandomLeavesNothing)
{
    KtExpectUserTestsPass("tlpcstress");
}
