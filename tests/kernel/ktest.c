// The in-kernel test runner.

#include "tests/kernel/ktest.h"
#include "ke/ke.h"
#include "kd/kd.h"
#include "arch/x86_64/hal.h"
#include "ps/ps.h"

extern const KTEST __KernelTestsStart[], __KernelTestsEnd[];

static BOOLEAN KtCurrentFailed;

void KtFail(const char *file, int line, const char *expression)
{
    if (!KtCurrentFailed)
        DbgPrint("KTEST FAIL: %s:%d: expected %s\n", file, line, expression);
    KtCurrentFailed = TRUE;
}

BOOLEAN KtFailed(void)
{
    return KtCurrentFailed;
}

// test=all, or a list of names; a name ending in '*' selects every test
// whose name starts with what comes before it (test=Smp*).
static BOOLEAN KtSelected(const KBOOT_OPTIONS *options, const char *name)
{
    if (options->AllTests)
        return TRUE;
    for (ULONG i = 0; i < options->TestCount; i++) {
        const char *wanted = options->Tests[i];
        size_t length = strlen(wanted);

        if (length && wanted[length - 1] == '*' ? strncmp(wanted, name, length - 1) == 0
                                               : strcmp(wanted, name) == 0)
            return TRUE;
    }
    return FALSE;
}

// Most tests check the dispatcher's order of events as one processor sees
// it (a higher-priority thread readied runs before the readier's next
// line, a worker queue hands out items in order). The runner stays on
// processor 0, and so does every System thread (the worker threads, the
// threads a test starts) except in the Smp* tests (test_smp*.c); user
// processes run on every processor always.
static void KtConfineToProcessor0(BOOLEAN confine)
{
    KeSetAffinityProcess(&PsInitialSystemProcess->Pcb, confine ? 1 : ~0ULL);
    KeSetAffinityThread(KeGetCurrentThread(), 1);
}

void KtRunTests(const KBOOT_OPTIONS *options)
{
    ULONG passed = 0, failed = 0;

    DbgPrint("KTEST BEGIN %u tests in the kernel\n",
             (ULONG)(__KernelTestsEnd - __KernelTestsStart));
    for (const KTEST *test = __KernelTestsStart; test < __KernelTestsEnd; test++) {
        if (!KtSelected(options, test->Name))
            continue;
        KtCurrentFailed = FALSE;
        KtConfineToProcessor0(strncmp(test->Name, "Smp", 3) != 0);
        test->Routine();
        if (KeGetCurrentIrql() != PASSIVE_LEVEL) {
            KtFail(__FILE__, __LINE__, "the test to return at PASSIVE_LEVEL");
            KeLowerIrql(PASSIVE_LEVEL);
        }
        DbgPrint("KTEST %s %s\n", KtCurrentFailed ? "FAIL" : "PASS", test->Name);
        if (KtCurrentFailed)
            failed++;
        else
            passed++;
    }
    KtConfineToProcessor0(FALSE);
    DbgPrint("KTEST DONE %u passed, %u failed\n", passed, failed);
    HalExitEmulator(failed ? KTEST_EXIT_FAIL : KTEST_EXIT_PASS);
    // On real hardware there is no emulator to exit: show the shell.
    DbgBreakPoint();
}
