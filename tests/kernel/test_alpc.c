// ALPC: the user-mode test programs, each with the runner's leak check
// (pool by tag, pages, kernel stacks) around it.

#include "tests/kernel/ktuser.h"

KTEST(AlpcUserCalls) { KtExpectUserTestsPass("talpc"); }
KTEST(AlpcUserDeathOfEitherSide) { KtExpectUserTestsPass("talpcdeath"); }
// 64 clients in 4 processes, STRESS_DEFAULT_REQUESTS each (make bench: 100,000).
KTEST(AlpcUserSixtyFourClientsLoseNothing) { KtExpectUserTestsPass("talpcstress"); }
