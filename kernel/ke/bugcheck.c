// KeBugCheckEx: the system stops, says why in NT's words, and hands itself
// to the debugger for a post-mortem. A bugcheck inside that post-mortem just
// halts: there is nothing left to trust.

#include "ke/ke.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"

KBUGCHECK_DATA KiBugCheckData;
static volatile ULONG KiBugCheckDepth;
static ULONG KiExpectedBugCheckCode;
static KJUMP_BUFFER *KiExpectedBugCheckResume;
static BOOLEAN KiExpectedInterruptsEnabled;
static KIRQL KiExpectedIrql;

typedef struct _KBUGCHECK_NAME {
    ULONG Code;
    const char *Name;
} KBUGCHECK_NAME;

static const KBUGCHECK_NAME KiBugCheckNames[] = {
    { IRQL_NOT_GREATER_OR_EQUAL, "IRQL_NOT_GREATER_OR_EQUAL" },
    { IRQL_NOT_LESS_OR_EQUAL, "IRQL_NOT_LESS_OR_EQUAL" },
    { SPIN_LOCK_ALREADY_OWNED, "SPIN_LOCK_ALREADY_OWNED" },
    { BAD_POOL_HEADER, "BAD_POOL_HEADER" },
    { MEMORY_MANAGEMENT, "MEMORY_MANAGEMENT" },
    { KMODE_EXCEPTION_NOT_HANDLED, "KMODE_EXCEPTION_NOT_HANDLED" },
    { PHASE0_INITIALIZATION_FAILED, "PHASE0_INITIALIZATION_FAILED" },
    { PHASE1_INITIALIZATION_FAILED, "PHASE1_INITIALIZATION_FAILED" },
    { NO_MORE_SYSTEM_PTES, "NO_MORE_SYSTEM_PTES" },
    { IRQL_GT_ZERO_AT_SYSTEM_SERVICE, "IRQL_GT_ZERO_AT_SYSTEM_SERVICE" },
    { PAGE_FAULT_IN_NONPAGED_AREA, "PAGE_FAULT_IN_NONPAGED_AREA" },
    { HAL_INITIALIZATION_FAILED, "HAL_INITIALIZATION_FAILED" },
    { INSTALL_MORE_MEMORY, "INSTALL_MORE_MEMORY" },
    { UNEXPECTED_KERNEL_MODE_TRAP, "UNEXPECTED_KERNEL_MODE_TRAP" },
    { NMI_HARDWARE_FAILURE, "NMI_HARDWARE_FAILURE" },
    { MACHINE_CHECK_EXCEPTION, "MACHINE_CHECK_EXCEPTION" },
    { BAD_POOL_CALLER, "BAD_POOL_CALLER" },
    { DRIVER_IRQL_NOT_LESS_OR_EQUAL, "DRIVER_IRQL_NOT_LESS_OR_EQUAL" },
    { MANUALLY_INITIATED_CRASH, "MANUALLY_INITIATED_CRASH" },
    { ASSERTION_FAILURE, "ASSERTION_FAILURE" },
    { IMPERSONATING_WORKER_THREAD, "IMPERSONATING_WORKER_THREAD" },
    { WORKER_THREAD_RETURNED_AT_BAD_IRQL, "WORKER_THREAD_RETURNED_AT_BAD_IRQL" },
    { WORKER_INVALID, "WORKER_INVALID" },
    { NO_MORE_IRP_STACK_LOCATIONS, "NO_MORE_IRP_STACK_LOCATIONS" },
    { MULTIPLE_IRP_COMPLETE_REQUESTS, "MULTIPLE_IRP_COMPLETE_REQUESTS" },
    { CANCEL_STATE_IN_COMPLETED_IRP, "CANCEL_STATE_IN_COMPLETED_IRP" },
    { DRIVER_VERIFIER_IOMANAGER_VIOLATION, "DRIVER_VERIFIER_IOMANAGER_VIOLATION" },
};

const char *KeBugCheckName(ULONG code)
{
    for (ULONG i = 0; i < ARRAYSIZE(KiBugCheckNames); i++) {
        if (KiBugCheckNames[i].Code == code)
            return KiBugCheckNames[i].Name;
    }
    return "UNKNOWN_BUGCHECK_CODE";
}

void KiExpectBugCheck(ULONG code, KJUMP_BUFFER *resume)
{
    KiExpectedBugCheckCode = code;
    KiExpectedBugCheckResume = resume;
    KiExpectedInterruptsEnabled = (__readeflags() & EFLAGS_IF) != 0;
    KiExpectedIrql = KeGetCurrentIrql();
}

void KiClearExpectedBugCheck(void)
{
    KiExpectedBugCheckResume = NULL;
}

static void KiHaltForever(void) __attribute__((noreturn));
static void KiHaltForever(void)
{
    HalDisplayFlush();
    for (;;) {
        _disable();
        __halt();
    }
}

void KiBugCheckWithTrapFrame(KTRAP_FRAME *trapFrame, ULONG code, ULONG64 p1, ULONG64 p2,
                             ULONG64 p3, ULONG64 p4)
{
    char line[160];

    _disable();

    if (KiExpectedBugCheckResume && code == KiExpectedBugCheckCode && KiBugCheckDepth == 0) {
        KJUMP_BUFFER *resume = KiExpectedBugCheckResume;

        KiExpectedBugCheckResume = NULL;
        KiBugCheckData.Code = code;
        KiBugCheckData.Parameter[0] = p1;
        KiBugCheckData.Parameter[1] = p2;
        KiBugCheckData.Parameter[2] = p3;
        KiBugCheckData.Parameter[3] = p4;
        // Back to the state the test armed us in.
        __writecr8(KiExpectedIrql);
        KiRestoreInterrupts(KiExpectedInterruptsEnabled);
        KiLongJump(resume, 1);
    }

    if (++KiBugCheckDepth > 1) {
        RtlStringPrintf(line, sizeof(line),
                        "\n*** STOP 0x%08X during bugcheck processing: system halted.\n", code);
        KiDisplayString(line);
        KiHaltForever();
    }

    KiBugCheckData.Code = code;
    KiBugCheckData.Parameter[0] = p1;
    KiBugCheckData.Parameter[1] = p2;
    KiBugCheckData.Parameter[2] = p3;
    KiBugCheckData.Parameter[3] = p4;
    KiBugCheckData.Active = TRUE;

    RtlStringPrintf(line, sizeof(line),
                    "\n*** STOP: 0x%08X (0x%016llX,0x%016llX,0x%016llX,0x%016llX)\n%s\n\n",
                    code, (unsigned long long)p1, (unsigned long long)p2,
                    (unsigned long long)p3, (unsigned long long)p4, KeBugCheckName(code));
    KiDisplayString(line);
    {
        ULONG64 address, base;
        char driver[64];

        // As NT's text names the driver at fault.
        if (KiFindBugCheckDriver(trapFrame, &address, driver, sizeof(driver), &base)) {
            RtlStringPrintf(line, sizeof(line), "***  %s - Address %016llX base at %016llX\n\n",
                            driver, (unsigned long long)address, (unsigned long long)base);
            KiDisplayString(line);
        }
    }

    if (KiDebugRoutine) {
        KiDebugRoutine(trapFrame, KdReasonBugCheck);
        KiDisplayString("The system has stopped after a bugcheck; it cannot go on.\n");
    }
    KiHaltForever();
}

void KeBugCheckEx(ULONG code, ULONG64 p1, ULONG64 p2, ULONG64 p3, ULONG64 p4)
{
    KCONTEXT_RECORD context;

    KiCaptureContext(&context);
    KiBugCheckWithTrapFrame(&context.Frame, code, p1, p2, p3, p4);
}

void KeBugCheck(ULONG code)
{
    KCONTEXT_RECORD context;

    KiCaptureContext(&context);
    KiBugCheckWithTrapFrame(&context.Frame, code, 0, 0, 0, 0);
}

void KiAssertionFailed(const char *expression, const char *file, int line)
{
    char text[256];
    KCONTEXT_RECORD context;

    KiCaptureContext(&context);
    RtlStringPrintf(text, sizeof(text), "\n*** Assertion failed: %s\n***   Source: %s:%d\n",
                    expression, file, line);
    KiDisplayString(text);
    KiBugCheckWithTrapFrame(&context.Frame, ASSERTION_FAILURE, (ULONG64)expression,
                            (ULONG64)file, (ULONG64)line, 0);
}
