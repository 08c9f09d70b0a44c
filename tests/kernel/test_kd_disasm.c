// The disassembler inside the kernel, as the breakpoint lines use it:
// KdpDisassembleOne gives `u`'s line without the address, names a call's
// target from nt's symbols, and fails (0, empty text) on memory it cannot
// read; KdpInstructionLength gives the length and the flow.

#include "tests/kernel/ktest.h"
#include "tests/kernel/ktkd.h"
#include "kd/kd.h"
#include "kd/disasm.h"
#include "ke/ke.h"

// A call built at run time, so its displacement reaches the real function.
static UCHAR KtDisasmCall[8];

KTEST(KdDisassembleOneNamesTargetsAndRefusesBadMemory)
{
    ULONG64 function = (ULONG64)(ULONG_PTR)KeWaitForSingleObject;
    ULONG64 site = (ULONG64)(ULONG_PTR)KtDisasmCall;
    LONG displacement = (LONG)(function - (site + 5));
    char text[256], expected[256], address[18];
    KD_INSTRUCTION instruction;

    // Built with frame pointers: every function starts with push rbp.
    KT_EXPECT_EQ(KdpDisassembleOne(function, text, sizeof(text)), 1);
    KT_EXPECT(!strcmp(text, "55              push    rbp"));
    // The same text as `u` prints after the address.
    KtKdRunf("u %llx L1", KT_KD_ADDRESS(function));
    KT_EXPECT(KtKdFind(KtKdOutput, "nt!KeWaitForSingleObject:\n") == KtKdOutput);
    KT_EXPECT(KtKdFind(KtKdOutput, text) != NULL);

    KtDisasmCall[0] = 0xe8;
    memcpy(KtDisasmCall + 1, &displacement, sizeof(displacement));
    RtlFormatAddress(address, function);
    RtlStringPrintf(expected, sizeof(expected),
                    "e8%02x%02x%02x%02x      call    nt!KeWaitForSingleObject (%s)",
                    KtDisasmCall[1], KtDisasmCall[2], KtDisasmCall[3], KtDisasmCall[4], address);
    KT_EXPECT_EQ(KdpDisassembleOne(site, text, sizeof(text)), 5);
    KT_EXPECT(!strcmp(text, expected));
    KT_EXPECT_EQ(KdpInstructionLength(site, &instruction), 5);
    KT_EXPECT(instruction.Flow == KdFlowCall && instruction.HasTarget &&
              instruction.Target == function);

    // Unreadable memory: no length, no text, no fault.
    KT_EXPECT_EQ(KdpDisassembleOne(0, text, sizeof(text)), 0);
    KT_EXPECT(text[0] == '\0');
    KT_EXPECT_EQ(KdpInstructionLength(0x1000, &instruction), 0);
    KT_EXPECT_EQ(KdpDisassembleOne(0xfffffa6fffff0000ULL, text, sizeof(text)), 0);
}

// In test_kd_breakpoints.c: KtBpCaller calls KtBpTarget, a leaf.
ULONG KtBpCaller(ULONG value);
ULONG KtBpTarget(ULONG value);

// uf /c: the function's name and address, then each call under its call
// site, as WinDbg lays them out; a leaf has its name line alone. /D is the
// plain listing on a serial shell; an unknown option is a usage line.
KTEST(KdUfCallsOnlyListsEachCallUnderItsSite)
{
    char caller[18], target[18];
    char plain[4096];

    RtlFormatAddress(caller, (ULONG64)(ULONG_PTR)KtBpCaller);
    RtlFormatAddress(target, (ULONG64)(ULONG_PTR)KtBpTarget);
    KtKdRun("uf /c nt!KtBpCaller");
    KT_EXPECT(KtKdFind(KtKdOutput, "nt!KtBpCaller (") == KtKdOutput);
    KtKdExpect("nt!KtBpCaller (%s)\n  nt!KtBpCaller+0x", caller);
    KtKdExpect("):\n    call to nt!KtBpTarget (%s)\n", target);
    KT_EXPECT_EQ(KtKdCount(KtKdOutput, "call to"), 1);
    KT_EXPECT(!KtKdFind(KtKdOutput, "push"));
    KtKdRun("uf /c nt!KtBpTarget");
    KtKdExpect("nt!KtBpTarget (%s)\n", target);
    KT_EXPECT(!KtKdFind(KtKdOutput, "call to"));
    KtKdRun("uf nt!KtBpCaller");
    RtlStringPrintf(plain, sizeof(plain), "%s", KtKdOutput);
    KtKdRun("uf /D nt!KtBpCaller");
    KT_EXPECT(!strcmp(plain, KtKdOutput));
    KtKdRun("uf /x nt!KtBpCaller");
    KtKdExpect("Usage: uf [/c] [/D] address\n");
    KtKdRun("uf /c");
    KtKdExpect("Usage: uf [/c] [/D] address\n");
}
