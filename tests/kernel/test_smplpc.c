// LPC rundown racing replies on several processors: tlpcsmp's rounds (a
// client's port closed, or the client killed, from processor 0 while the
// server replies from another), under the leak check of every pool tag
// (LpcM messages, Port queues and objects). A lost wake fails the round
// within its bounded waits; a reply and a rundown that both take the
// waiter (or neither) show as the wrong pair of statuses; a message freed
// twice or left behind as a bugcheck or the leak check.

#include "tests/kernel/ktuser.h"

// Its rounds start threads and connections: under TCG on a loaded host
// they take longer than the usual minute (each wait inside is bounded on
// its own, so a hang still fails there first).
#define KT_LPC_SMP_LIMIT_MS 180000

KTEST(SmpLpcRundownRacesReplies)
{
    KtpUserTestsPassEx("tlpcsmp", NULL, KT_LPC_SMP_LIMIT_MS, __FILE__, __LINE__);
}
