// A minimal unit-test framework for the host tests. Each test is a function
// declared with TEST(RuleName); the runner in hostmain.c runs every test,
// prints "PASS name" or "FAIL name: why", and ends with "N passed, N failed".
#pragma once

#include <stdio.h>
#include <string.h>

typedef void (*HOST_TEST_ROUTINE)(void);

void HostTestRegister(const char *name, const char *file, HOST_TEST_ROUTINE routine);
void HostTestFail(const char *file, int line, const char *message);
extern int HostTestCurrentFailed;

#define TEST(name)                                                              \
    static void Test_##name(void);                                              \
    __attribute__((constructor)) static void Register_##name(void)              \
    {                                                                           \
        HostTestRegister(#name, __FILE__, Test_##name);                         \
    }                                                                           \
    static void Test_##name(void)

// Stops the test at the first failed expectation.
#define EXPECT(cond)                                                            \
    do {                                                                        \
        if (!(cond)) {                                                          \
            HostTestFail(__FILE__, __LINE__, "expected " #cond);                \
            return;                                                             \
        }                                                                       \
    } while (0)

#define EXPECT_EQ(a, b)                                                         \
    do {                                                                        \
        unsigned long long va_ = (unsigned long long)(a);                       \
        unsigned long long vb_ = (unsigned long long)(b);                       \
        if (va_ != vb_) {                                                       \
            char msg_[256];                                                     \
            snprintf(msg_, sizeof(msg_), "%s == %s: 0x%llx != 0x%llx", #a, #b,  \
                     va_, vb_);                                                 \
            HostTestFail(__FILE__, __LINE__, msg_);                             \
            return;                                                             \
        }                                                                       \
    } while (0)

#define EXPECT_STREQ(a, b)                                                      \
    do {                                                                        \
        const char *sa_ = (a), *sb_ = (b);                                      \
        if (strcmp(sa_, sb_) != 0) {                                            \
            char msg_[512];                                                     \
            snprintf(msg_, sizeof(msg_), "%s == %s: \"%s\" != \"%s\"", #a, #b,  \
                     sa_, sb_);                                                 \
            HostTestFail(__FILE__, __LINE__, msg_);                             \
            return;                                                             \
        }                                                                       \
    } while (0)
