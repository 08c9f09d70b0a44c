// Running the user-mode test programs (tests/user/NAME/) from in-kernel
// tests: one KTEST per program, e.g.
//
//     KTEST(UserEvents) { KtExpectUserTestsPass("tevents"); }
//
// The program must exit with status 0 (no UTEST failed, see
// tests/user/utest.h) within KT_USER_PROGRAM_LIMIT_MS, and once it is gone
// every pool tag, the user pages and the kernel stacks must be back where
// they were: the leak check the issue asks for, around every program.
#pragma once

#include "tests/kernel/ktest.h"
#include "ps/ps.h"

#define KT_USER_PROGRAM_LIMIT_MS 60000

// Starts NAME.exe from the boot archive and waits for it: its exit status,
// or the status that kept it from running (STATUS_TIMEOUT if it did not
// end in time).
NTSTATUS KtRunUserProgram(const char *name);
// The same with a command line (the image name when NULL) and a limit.
NTSTATUS KtRunUserProgramEx(const char *name, const char *commandLine, ULONG limitMs);

// The leak check's two halves, for tests that check a stretch of their own:
// every pool tag's outstanding allocations now, then the first tag whose
// count differs (0 if none), with its counts before and after.
void KtTakePoolSnapshot(void);
ULONG KtFindPoolDifference(ULONG *before, ULONG *after);

// KtRunUserProgram plus the leak check; fails the calling KTEST.
#define KtExpectUserTestsPass(name)                                                        \
    do {                                                                                   \
        if (!KtpUserTestsPass(name, __FILE__, __LINE__))                                   \
            return;                                                                        \
    } while (0)
BOOLEAN KtpUserTestsPass(const char *name, const char *file, int line);
// The leak check around a program run with a command line and a limit (the
// fuzzer's campaigns, tests/kernel/test_fuzz.c).
BOOLEAN KtpUserTestsPassEx(const char *name, const char *commandLine, ULONG limitMs,
                           const char *file, int line);
