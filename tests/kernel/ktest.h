// In-kernel tests: each is a function declared with KTEST(RuleName), placed
// in the .kdtests section by the linker and run when the kernel command line
// says test=all or test=Name,Name. Results go to every console as
// "KTEST PASS Name" / "KTEST FAIL Name: why"; then QEMU is told the verdict
// through isa-debug-exit.
#pragma once

#include "rtl/rtl.h"
#include "init/cmdline.h"

typedef struct _KTEST {
    const char *Name;
    void (*Routine)(void);
} __attribute__((aligned(16))) KTEST;

#define KTEST(name)                                                                        \
    static void KtTest_##name(void);                                                       \
    __attribute__((section(".kdtests." #name), used)) static const KTEST KtEntry_##name = { \
        #name, KtTest_##name};                                                             \
    static void KtTest_##name(void)

void KtFail(const char *file, int line, const char *expression);
BOOLEAN KtFailed(void);

#define KT_EXPECT(condition)                                                               \
    do {                                                                                   \
        if (!(condition)) {                                                                \
            KtFail(__FILE__, __LINE__, #condition);                                        \
            return;                                                                        \
        }                                                                                  \
    } while (0)

#define KT_EXPECT_EQ(a, b) KT_EXPECT((a) == (b))

#define KTEST_EXIT_PASS 0x10    // QEMU exits with (0x10 << 1) | 1 = 33
#define KTEST_EXIT_FAIL 0x11    // 35

void KtRunTests(const KBOOT_OPTIONS *options);
void KtRunBenchmarks(void);
// `stress` on the command line (make stress): the long load runs, no -icount.
void KtRunStress(void);
// fuzz=SEED,SECS: tests/kernel/test_fuzz.c.
void KtRunFuzz(const KBOOT_OPTIONS *options);
