// Runs every registered host test and reports like the rest of `make test`.

#include <stdlib.h>
#include "hosttest.h"

#define MAX_TESTS 1024

typedef struct {
    const char *Name;
    const char *File;
    HOST_TEST_ROUTINE Routine;
} HOST_TEST;

static HOST_TEST Tests[MAX_TESTS];
static int TestCount;
int HostTestCurrentFailed;

void HostTestRegister(const char *name, const char *file, HOST_TEST_ROUTINE routine)
{
    if (TestCount == MAX_TESTS) {
        fprintf(stderr, "too many host tests\n");
        exit(2);
    }
    Tests[TestCount++] = (HOST_TEST){ name, file, routine };
}

void HostTestFail(const char *file, int line, const char *message)
{
    if (!HostTestCurrentFailed)
        printf("FAIL %s:%d: %s\n", file, line, message);
    HostTestCurrentFailed = 1;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;

    for (int i = 0; i < TestCount; i++) {
        if (argc > 1 && !strstr(Tests[i].Name, argv[1]))
            continue;
        HostTestCurrentFailed = 0;
        Tests[i].Routine();
        printf("%s host/%s\n", HostTestCurrentFailed ? "FAIL" : "PASS", Tests[i].Name);
        if (HostTestCurrentFailed)
            failed++;
        else
            passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
