// What kernel/mm/pool.c stands on, faked for the host tests: pool pages from
// the C heap, an IRQL and a spin lock that only keep score, and a bugcheck
// that long-jumps back into the test that provoked it.
#pragma once

#include <setjmp.h>
#include "hosttest.h"
#include "ke/ke.h"
#include "mm/mm.h"
#include "mm/pool.h"

typedef struct _SHIM_BUGCHECK {
    ULONG Code;
    ULONG64 Parameter[4];
    BOOLEAN LockHeld;           // a spin lock was still held when it happened
} SHIM_BUGCHECK;

extern SHIM_BUGCHECK ShimLastBugCheck;
extern jmp_buf ShimBugCheckResume;
extern KIRQL ShimIrql;                  // what KeGetCurrentIrql returns
extern BOOLEAN ShimFailPageAllocations; // MiAllocatePoolPages returns NULL
extern char ShimDisplay[1024];          // the last KiDisplayString text
extern ULONG ShimErrors;                // misuse of the shim: unbalanced locks, bad frees
extern char ShimLastError[256];

// The next KeBugCheckEx long-jumps to ShimBugCheckResume instead of aborting.
void ShimArmBugCheck(void);
void ShimDisarmBugCheck(void);

// Pool pages handed out and not yet given back.
SIZE_T ShimPagesOutstanding(void);
ULONG ShimRangeCount(void);
void *ShimRange(ULONG index, SIZE_T *pages);

// ExpIsPoolAddress is TRUE for every page ever handed out, as the kernel's is
// for its whole pool region; reads, the way the debugger's safe reader does
// them, succeed only in pages still out.
BOOLEAN ShimReadMemory(ULONG64 address, void *buffer, SIZE_T length);

// Runs `statement`, which must end in a bugcheck with `code`; the test goes
// on after it, with ShimLastBugCheck describing what happened.
#define EXPECT_BUGCHECK(code, statement)                                        \
    do {                                                                        \
        if (setjmp(ShimBugCheckResume) == 0) {                                  \
            ShimArmBugCheck();                                                  \
            statement;                                                          \
            ShimDisarmBugCheck();                                               \
            HostTestFail(__FILE__, __LINE__, "expected a bugcheck: " #statement); \
            return;                                                             \
        }                                                                       \
        EXPECT_EQ(ShimLastBugCheck.Code, (code));                               \
    } while (0)
