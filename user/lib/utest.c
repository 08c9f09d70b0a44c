// The runner behind tests/user/utest.h. It lives in the runtime so every
// test program gets it without a shared source directory of its own;
// programs that run no tests never call it.

#include "tests/user/utest.h"

int UtCurrentFailed;
static const char *UtCurrentProgram;
static const char *UtCurrentTest;

void UtFail(const char *file, int line, const char *format, ...)
{
    va_list args;

    // The first failure names the test; later ones add detail lines.
    if (!UtCurrentFailed)
        printf("UTEST FAIL %s/%s: ", UtCurrentProgram, UtCurrentTest);
    else
        printf("    also: ");
    printf("%s:%d: ", file, line);
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    printf("\n");
    UtCurrentFailed = 1;
}

int UtRunTests(const char *program, const UTEST *tests, int count)
{
    int failed = 0;

    UtCurrentProgram = program;
    for (int i = 0; i < count; i++) {
        UtCurrentTest = tests[i].Name;
        UtCurrentFailed = 0;
        tests[i].Routine();
        if (UtCurrentFailed)
            failed++;
        else
            printf("UTEST PASS %s/%s\n", program, tests[i].Name);
    }
    printf("UTEST DONE %s: %d passed, %d failed\n", program, count - failed, failed);
    return failed;
}
