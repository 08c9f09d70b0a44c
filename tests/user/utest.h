// User-mode tests: each test program (a directory tests/user/NAME/) is a
// list of UTEST functions that main runs with UtRunTests. Every test prints
// "UTEST PASS prog/Name" or "UTEST FAIL prog/Name: file:line: what"
// (tools/runtests.py counts them); the program's exit status is the number
// of failed tests, which the in-kernel runner (tests/kernel/ktuser.c)
// checks together with the pool and page counts before and after.
#pragma once

#include "user/include/runtime.h"

typedef struct _UTEST {
    const char *Name;
    void (*Routine)(void);
} UTEST;

// Set by a failing expectation; the test goes on (later checks may tell
// more) but is reported failed.
extern int UtCurrentFailed;

void UtFail(const char *file, int line, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
// Runs tests[0..count-1] in order; returns the number that failed.
int UtRunTests(const char *program, const UTEST *tests, int count);

#define UT_EXPECT(condition)                                                               \
    do {                                                                                   \
        if (!(condition))                                                                  \
            UtFail(__FILE__, __LINE__, "%s", #condition);                                  \
    } while (0)

// An NTSTATUS (or any integer) that must equal what is expected; both are
// printed when it does not.
#define UT_EXPECT_EQ(actual, expected)                                                     \
    do {                                                                                   \
        long long ut_actual_ = (long long)(actual);                                        \
        long long ut_expected_ = (long long)(expected);                                    \
        if (ut_actual_ != ut_expected_)                                                    \
            UtFail(__FILE__, __LINE__, "%s is %llx, expected %s (%llx)", #actual,          \
                   ut_actual_, #expected, ut_expected_);                                   \
    } while (0)

#define UT_EXPECT_STATUS(call, expected) UT_EXPECT_EQ((ULONG)(call), (ULONG)(expected))

#define UTEST(name) static void name(void)
#define UT_ENTRY(name) {#name, name}
#define UT_RUN_ALL(program, tests) UtRunTests(program, tests, sizeof(tests) / sizeof(tests[0]))

// Helpers most tests need.
// A UNICODE_STRING over a literal: UT_NAME(u"\\BaseNamedObjects\\x").
#define UT_NAME(literal) \
    ((UNICODE_STRING){sizeof(literal) - sizeof(WCHAR), sizeof(literal), (WCHAR *)(literal)})
// A relative timeout of `ms` milliseconds, as NT waits take it.
static inline LARGE_INTEGER UtMilliseconds(LONGLONG ms)
{
    LARGE_INTEGER timeout;

    timeout.QuadPart = -ms * 10000;
    return timeout;
}
// An address nothing is mapped at (the first page is never mapped).
#define UT_BAD_POINTER ((void *)0x10)
// A kernel address: user pointers to it are refused.
#define UT_KERNEL_POINTER ((void *)0xFFFFF80000000000ULL)

// The program's command line as ASCII (test parents write only ASCII),
// cut to fit `size` with its terminating zero.
static inline void UtCommandLineText(char *text, size_t size)
{
    const UNICODE_STRING *line = &NtCurrentPeb()->ProcessParameters->CommandLine;
    size_t count = line->Length / sizeof(WCHAR);

    if (count >= size)
        count = size - 1;
    for (size_t i = 0; i < count; i++)
        text[i] = (char)line->Buffer[i];
    text[count] = '\0';
}
