// LPC: the user-mode test programs (with the leak check around each), and
// the kernel callers' calls (LpcRequestPort, LpcRequestWaitReplyPort) with
// many clients on one port.

#include "tests/kernel/ktuser.h"
#include "lpc/lpcp.h"

KTEST(LpcUserCalls) { KtExpectUserTestsPass("tlpc"); }
