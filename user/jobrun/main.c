// jobrun.exe: one of exercise 002's short jobs (kernel/kd/ex002.c), run
// under several image names (user/aliases.txt) by the job scheduler
// (jobsched.exe) and, for the failures, as the crash reporter WerFault.exe.
// It ends at once: with STATUS_SUCCESS, or, given `fail`, with the status
// of an access violation, as a job that crashed.
//
//   IMAGE [fail]

#include "user/include/cmdline.h"

int main(void)
{
    CMDLINE line;

    CmdLineParse(&line);
    return strcmp(CmdLineWord(&line, 1), "fail") ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}
