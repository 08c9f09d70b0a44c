// Breakpoints and stepping, driven as a student would drive them: a test
// sets breakpoints with the shell's commands, runs the code, and the shell
// entered at the hit reads its lines from a script (KdpSetScriptedInput);
// what it printed is checked line by line.

#include "tests/kernel/ktkd.h"
#include "tests/kernel/ktuser.h"
#include "kd/kdbp.h"
#include "kd/disasm.h"
#include "io/io.h"
#include "mm/sysload.h"
#include "ps/ps.h"
#include "rtl/elf.h"

typedef NTSTATUS (*KT_DRIVER_ENTRY)(void *driverObject, UNICODE_STRING *registryPath);
NTSTATUS PspFindUserProgram(const char *name, const UCHAR **image, SIZE_T *size);

volatile ULONG KtBpVariable;

// The empty asm keeps the compiler from treating these as const functions
// and reusing one call's result for the next: each call must run.
__attribute__((noinline)) ULONG KtBpTarget(ULONG value)
{
    __asm__ volatile("" : : : "memory");
    return value * 3 + 1;
}

__attribute__((noinline)) ULONG KtBpCaller(ULONG value)
{
    __asm__ volatile("" : : : "memory");
    return KtBpTarget(value) + 1;
}

// A leaf with locals: no frame record, its rsp moved by them, so past its
// first instruction neither rsp nor rbp + 8 holds its return address.
__attribute__((noinline)) ULONG KtBpLeafWithLocals(ULONG value)
{
    volatile ULONG scratch[8];

    for (ULONG i = 0; i < 8; i++)
        scratch[i] = value + i;
    return scratch[value & 7];
}

__attribute__((noinline)) ULONG KtBpLeafCaller(ULONG value)
{
    __asm__ volatile("" : : : "memory");
    return KtBpLeafWithLocals(value) + 1;
}

__attribute__((noinline)) void KtBpWriteVariable(ULONG value)
{
    KtBpVariable = value;
}

__attribute__((noinline)) ULONG KtBpReadVariable(void)
{
    return KtBpVariable;
}

static BOOLEAN KtScriptExhausted;

// "ffffffff`80123456", as the debugger prints addresses.
static const char *KtAddress(ULONG64 address)
{
    static char buffers[4][18];
    static ULONG next;
    char *buffer = buffers[next++ % ARRAYSIZE(buffers)];

    RtlFormatAddress(buffer, address);
    return buffer;
}

// Runs `routine(argument)` with the shell's lines taken from `script`,
// everything the debugger prints kept in KtKdOutput.
static ULONG KtRunWithScript(const char *const *script, ULONG (*routine)(ULONG), ULONG argument)
{
    ULONG result;

    KtScriptExhausted = FALSE;
    KdpSetScriptedInput(script, &KtScriptExhausted);
    KdpSetOutputCapture(KtKdOutput, sizeof(KtKdOutput));
    result = routine(argument);
    KdpSetOutputCapture(NULL, 0);
    KdpSetScriptedInput(NULL, NULL);
    return result;
}

static void KtClearBreakpoints(void)
{
    KtKdRun("bc *");
}

// The address of the first `call rel32` in `routine` that goes to `target`.
static ULONG64 KtFindCall(const void *routine, const void *target)
{
    const UCHAR *code = routine;

    for (ULONG i = 0; i < 64; i++) {
        LONG displacement;

        if (code[i] != 0xE8)
            continue;
        memcpy(&displacement, code + i + 1, sizeof(displacement));
        if ((ULONG64)(code + i + 5) + (LONG64)displacement == (ULONG64)target)
            return (ULONG64)(code + i);
    }
    return 0;
}

KTEST(KdBreakpointStopsKernelCodeAndSurvivesGo)
{
    static const char *const script[] = { "bl", "g", NULL };
    char where[18];

    KtClearBreakpoints();
    KT_EXPECT(KtKdRun("bp nt!KtBpTarget")[0] == '\0');
    RtlFormatAddress(where, (ULONG64)KtBpTarget);
    for (ULONG round = 0; round < 3; round++) {
        KT_EXPECT_EQ(KtRunWithScript(script, KtBpTarget, round), round * 3 + 1);
        KtKdExpect("Breakpoint 0 hit\nnt!KtBpTarget:\n%s ", where);
        KtKdExpect("kd> bl\n 0 e Disable Clear  %s     0001 (0001) nt!KtBpTarget\n", where);
        KT_EXPECT(!KtScriptExhausted);
    }
    // The int3 is out of memory while the shell runs: `db` reads the code.
    KT_EXPECT(*(const UCHAR *)KtBpTarget == 0xCC);
    KtClearBreakpoints();
    KT_EXPECT(*(const UCHAR *)KtBpTarget != 0xCC);
    KT_EXPECT_EQ(KtRunWithScript(script, KtBpTarget, 4), 13);
    KT_EXPECT(KtKdOutput[0] == '\0');
}

__attribute__((noinline)) static ULONG KtBpCallTargetFiveTimes(ULONG base)
{
    ULONG sum = 0;

    for (ULONG i = 0; i < 5; i++)
        sum += KtBpTarget(base + i);
    return sum;
}

// `bp ADDR 3`: the first two passes are counted, the third stops, and from
// then on every pass does (the count stays at 1, as WinDbg's). A quoted
// word is the commands, even one that reads as a number.
KTEST(KdPassCountStopsOnThatPassAndEveryOneAfter)
{
    static const char *const script[] = { "? @rdi", "bl", "g", "g", "g", NULL };
    static const char *const goThere[] = { "g nt!KtBpTarget", "bl", "g", NULL };
    char where[18];

    KtClearBreakpoints();
    RtlFormatAddress(where, (ULONG64)KtBpTarget);
    KT_EXPECT(KtKdRun("bp nt!KtBpTarget 3")[0] == '\0');
    KtKdRun("bl");
    KtKdExpect(" 0 e Disable Clear  %s     0003 (0003) nt!KtBpTarget\n", where);
    KT_EXPECT_EQ(KtRunWithScript(script, KtBpCallTargetFiveTimes, 0x10),
                 3 * (0x10 + 0x11 + 0x12 + 0x13 + 0x14) + 5);
    KT_EXPECT_EQ(KtKdCount(KtKdOutput, "Breakpoint 0 hit\n"), 3);
    // The first stop is the third call's (its argument 0x12).
    KtKdExpect("kd> ? @rdi\nEvaluate expression: 18 = 00000000`00000012\n");
    KtKdExpect("kd> bl\n 0 e Disable Clear  %s     0001 (0003) nt!KtBpTarget\n", where);
    KT_EXPECT(!KtScriptExhausted);
    // Arriving at it by `g ADDR` (as by a step) does not count a pass.
    KtKdRun("bc *");
    KtKdRun("bp nt!KtBpCaller");
    KtKdRun("bp nt!KtBpTarget 5");
    KT_EXPECT_EQ(KtRunWithScript(goThere, KtBpCaller, 1), 5);
    KtKdExpect("kd> bl\n 0 e Disable Clear  %s     0001 (0001) nt!KtBpCaller\n"
               " 1 e Disable Clear  %s     0005 (0005) nt!KtBpTarget\n",
               KtAddress((ULONG64)KtBpCaller), where);
    KT_EXPECT(!KtScriptExhausted);
    KtKdRun("bc *");
    KtKdRun("bp nt!KtBpTarget 0x10 \"3\"");
    KtKdRun("bl");
    KtKdExpect(" 0 e Disable Clear  %s     0010 (0010) nt!KtBpTarget \"3\"\n", where);
    KT_EXPECT(KtKdRun("bp nt!KtBpTarget 0")[0] != '\0');
    KT_EXPECT(KtKdRun("bp nt!KtBpTarget 2 \"k\" extra")[0] != '\0');
    KtClearBreakpoints();
}

// kp and kP at a breakpoint: frame 0's parameter is in its register (the
// trap saved them all); the caller's, past frame 0, is shown only where
// the debug information puts it somewhere the walk recovered.
KTEST(KdKpShowsTheParametersOfEachFrame)
{
    static const char *const script[] = { "kp 2", "kP 1", "g", NULL };
    const char *caller;

    KtClearBreakpoints();
    KtKdRun("bp nt!KtBpTarget");
    KT_EXPECT_EQ(KtRunWithScript(script, KtBpCaller, 5), 17);
    KtKdExpect("kd> kp 2\nChild-SP          RetAddr           Call Site\n");
    KtKdExpect(" nt!KtBpTarget(unsigned long value = 0x5)\n");
    caller = KtKdExpect(" nt!KtBpCaller(unsigned long value = ");
    KT_EXPECT(caller && (!strncmp(caller + 37, "0x5)+0x", 7) ||
                         !strncmp(caller + 37, "<value unavailable>)+0x", 23)));
    KtKdExpect("kd> kP 1\nChild-SP          RetAddr           Call Site\n");
    KtKdExpect(" nt!KtBpTarget(\n\t\t\tunsigned long value = 0x5)\n(more frames not shown)\n");
    KT_EXPECT(!KtScriptExhausted);
    KtClearBreakpoints();
}

KTEST(KdBreakpointListsDisablesEnablesAndClearsByIdRangeAndStar)
{
    static const char *const script[] = { "g", NULL };
    char commands[200];

    KtClearBreakpoints();
    KtKdRun("bp nt!KtBpTarget");
    KtKdRun("bp nt!KtBpCaller \"bl 1\"");
    KtKdRun("bp nt!KtBpWriteVariable");
    KtKdRun("bd 0,2");
    KtKdRun("bl");
    KtKdExpect(" 0 d Enable Clear  %s     0001 (0001) nt!KtBpTarget\n",
               KtAddress((ULONG64)KtBpTarget));
    KtKdExpect(" 1 e Disable Clear  ");
    KtKdExpect("0001 (0001) nt!KtBpCaller \"bl 1\"\n");
    KtKdExpect(" 2 d Enable Clear  ");
    // A disabled breakpoint does not stop; the enabled one runs its command.
    KT_EXPECT_EQ(KtRunWithScript(script, KtBpCaller, 1), 5);
    KT_EXPECT_EQ(KtKdCount(KtKdOutput, " hit\n"), 1);
    KtKdExpect("Breakpoint 1 hit\nnt!KtBpCaller:\n");
    KtKdExpect(" 1 e Disable Clear  ");
    KtKdRun("be 0-2");
    KtKdRun("bl");
    KT_EXPECT_EQ(KtKdCount(KtKdOutput, " e Disable Clear "), 3);
    KtKdRun("bc 1-2");
    KtKdRun("bl");
    KT_EXPECT_EQ(KtKdCount(KtKdOutput, "Clear"), 1);
    KtKdRun("bc x");
    KtKdExpect("Invalid breakpoint id 'x'");
    KtKdRun("bc 1-");
    KtKdExpect("Invalid breakpoint id '1-'");
    memset(commands, 'r', sizeof(commands) - 1);
    commands[sizeof(commands) - 1] = '\0';
    KtKdRunf("bp nt!KtBpTarget \"%s\"", commands);
    KtKdExpect("Breakpoint commands too long (at most 159 characters)");
    KtClearBreakpoints();
    KT_EXPECT(KtKdRun("bl")[0] == '\0');
}

KTEST(KdTraceStepsOneInstructionAndEnterRepeatsIt)
{
    static const char *const script[] = { "t", "", "g", NULL };
    ULONG64 start = (ULONG64)KtBpTarget;
    KD_INSTRUCTION instruction;
    ULONG first = KdpInstructionLength(start, &instruction);
    const char *repeated;

    // The first instruction goes on to the next (lea), so one step is its length.
    KT_EXPECT(first != 0 && instruction.Flow == KdFlowNext);
    KtClearBreakpoints();
    KtKdRun("bp nt!KtBpTarget");
    KT_EXPECT_EQ(KtRunWithScript(script, KtBpTarget, 2), 7);
    KtKdExpect("kd> t\nnt!KtBpTarget+0x%x:\n%s ", first, KtAddress(start + first));
    // Enter on the empty line stepped once more: one more stop line.
    repeated = KtKdExpect("kd> \nnt!");
    KT_EXPECT(repeated && KtKdCount(repeated, ":\nffffffff`") == 1);
    KT_EXPECT_EQ(KtKdCount(KtKdOutput, ":\nffffffff`"), 3);
    KT_EXPECT(!KtScriptExhausted);
    KtClearBreakpoints();
}

KTEST(KdStepOverRunsACallAsAWholeAndTraceEntersIt)
{
    static const char *const over[] = { "p", "g", NULL };
    static const char *const into[] = { "t", "g", NULL };
    ULONG64 call = KtFindCall(KtBpCaller, KtBpTarget);
    char symbol[64];

    KT_EXPECT(call != 0);
    KtClearBreakpoints();
    KtKdRunf("bp %llx", (unsigned long long)call);
    KT_EXPECT_EQ(KtRunWithScript(over, KtBpCaller, 3), 11);
    RtlStringPrintf(symbol, sizeof(symbol), "nt!KtBpCaller+0x%llx:\n",
                    (unsigned long long)(call + 5 - (ULONG64)KtBpCaller));
    KtKdExpect("kd> p\n%s%s ", symbol, KtAddress(call + 5));
    KT_EXPECT(!KtKdFind(KtKdOutput, "nt!KtBpTarget:"));
    KT_EXPECT_EQ(KtRunWithScript(into, KtBpCaller, 3), 11);
    KtKdExpect("kd> t\nnt!KtBpTarget:\n%s ", KtAddress((ULONG64)KtBpTarget));
    KtClearBreakpoints();
}

KTEST(KdGoUpStopsAtTheReturnAddressAndGoAddressStopsOnce)
{
    static const char *const up[] = { "gu", "g", NULL };
    static const char *const stepThenUp[] = { "t", "t", "gu", "g", NULL };
    ULONG64 call = KtFindCall(KtBpCaller, KtBpTarget), leafCall;
    char script2[40];
    const char *goTo[] = { script2, "g", NULL };

    KT_EXPECT(call != 0);
    KtClearBreakpoints();
    KtKdRun("bp nt!KtBpTarget");
    KT_EXPECT_EQ(KtRunWithScript(up, KtBpCaller, 1), 5);
    KtKdExpect("kd> gu\nnt!KtBpCaller+0x%llx:\n%s ",
               (unsigned long long)(call + 5 - (ULONG64)KtBpCaller),
               KtAddress(call + 5));
    KtClearBreakpoints();

    // Two instructions into a leaf with locals: its return address is where
    // its unwind information says, not at rbp + 8 (its caller's).
    leafCall = KtFindCall(KtBpLeafCaller, KtBpLeafWithLocals);
    KT_EXPECT(leafCall != 0);
    KtKdRun("bp nt!KtBpLeafWithLocals");
    KT_EXPECT_EQ(KtRunWithScript(stepThenUp, KtBpLeafCaller, 1), 3);
    KtKdExpect("kd> gu\nnt!KtBpLeafCaller+0x%llx:\n%s ",
               (unsigned long long)(leafCall + 5 - (ULONG64)KtBpLeafCaller),
               KtAddress(leafCall + 5));
    KtClearBreakpoints();

    // g ADDR from a breakpoint at the caller's start: one stop, at ADDR.
    KtKdRun("bp nt!KtBpCaller");
    RtlStringPrintf(script2, sizeof(script2), "g %llx", (unsigned long long)(call + 5));
    KT_EXPECT_EQ(KtRunWithScript(goTo, KtBpCaller, 2), 8);
    KtKdExpect("Breakpoint 0 hit\nnt!KtBpCaller:\n");
    KtKdExpect("kd> %s\nnt!KtBpCaller+0x", script2);
    KT_EXPECT(!KtScriptExhausted);
    KtClearBreakpoints();
    // The one-shot breakpoint is gone: the next run does not stop.
    KT_EXPECT_EQ(KtRunWithScript(goTo, KtBpCaller, 2), 8);
    KT_EXPECT(KtKdOutput[0] == '\0');
}

static ULONG KtBpWriteAndReturn(ULONG value)
{
    KtBpWriteVariable(value);
    return KtBpVariable;
}

static ULONG KtBpRead(ULONG unused)
{
    return KtBpReadVariable();
}

KTEST(KdDataBreakpointStopsAfterTheWriteOnly)
{
    static const char *const script[] = { "g", NULL };

    KtClearBreakpoints();
    KtKdRunf("ba w 4 %llx", KT_KD_ADDRESS(&KtBpVariable));
    KtKdRun("bl");
    KtKdExpect(" 0 e Disable Clear  %s w 4 0001 (0001) nt!KtBpVariable\n",
               KtAddress((ULONG64)&KtBpVariable));
    KT_EXPECT_EQ(KtRunWithScript(script, KtBpWriteAndReturn, 42), 42);
    // A data breakpoint traps after the write: the stop is in the writer.
    KtKdExpect("Breakpoint 0 hit\nnt!KtBpWriteVariable+0x");
    KT_EXPECT_EQ(KtRunWithScript(script, KtBpRead, 0), 42);
    KT_EXPECT(KtKdOutput[0] == '\0');
    KtClearBreakpoints();
    KtKdRunf("ba r8 %llx", KT_KD_ADDRESS(&KtBpVariable) & ~7ULL);
    KT_EXPECT_EQ(KtRunWithScript(script, KtBpRead, 0), 42);
    KtKdExpect("Breakpoint 0 hit\nnt!KtBpReadVariable+0x");
    KtClearBreakpoints();
    KtKdRunf("ba w 3 %llx", KT_KD_ADDRESS(&KtBpVariable));
    KtKdExpect("ba: the size must be 1, 2, 4 or 8");
    KtKdRunf("ba w 4 %llx", KT_KD_ADDRESS(&KtBpVariable) + 1);
    KtKdExpect("ba: the address must be aligned");
    KT_EXPECT(KtKdRun("bl")[0] == '\0');
}

KTEST(KdExecuteBreakpointStopsBeforeTheInstructionEveryTime)
{
    static const char *const script[] = { "bl", "g", NULL };

    KtClearBreakpoints();
    KtKdRun("ba e 1 nt!KtBpTarget");
    for (ULONG round = 0; round < 2; round++) {
        KT_EXPECT_EQ(KtRunWithScript(script, KtBpTarget, round), round * 3 + 1);
        KtKdExpect("Breakpoint 0 hit\nnt!KtBpTarget:\n%s ", KtAddress((ULONG64)KtBpTarget));
        KtKdExpect(" 0 e Disable Clear  %s e 1 0001 (0001) nt!KtBpTarget\n",
                   KtAddress((ULONG64)KtBpTarget));
    }
    // No int3 is written for it.
    KT_EXPECT(*(const UCHAR *)KtBpTarget != 0xCC);
    KtClearBreakpoints();
    KT_EXPECT_EQ(KtRunWithScript(script, KtBpTarget, 5), 16);
    KT_EXPECT(KtKdOutput[0] == '\0');
}

KTEST(KdBreakpointSetTwiceAtOneAddressIsRedefined)
{
    KtClearBreakpoints();
    KtKdRun("bp nt!KtBpTarget");
    KtKdRun("bp nt!KtBpTarget \"k\"");
    KtKdExpect("breakpoint 0 redefined");
    KtKdRun("bl");
    KT_EXPECT_EQ(KtKdCount(KtKdOutput, "Clear"), 1);
    KtKdExpect("nt!KtBpTarget \"k\"\n");
    KtClearBreakpoints();
}

KTEST(KdBreakpointInTheDebuggersOwnCodeIsRefused)
{
    static const char *const refused[] = {
        "bp nt!KdpExecuteLine", "bp nt!HalDisplayString", "bp nt!KiDispatchTrap",
        "bp nt!KiTrapCommon", "bp nt!KdpPrint", "ba e 1 nt!KdpExecuteLine", "g nt!KdpPrint",
    };

    KtClearBreakpoints();
    for (ULONG i = 0; i < ARRAYSIZE(refused); i++) {
        KtKdRun(refused[i]);
        KtKdExpect("is code the debugger runs itself");
    }
    KT_EXPECT(KtKdRun("bl")[0] == '\0');
    KtKdRun("bp 0xffffffff00000000");
    KtKdExpect("no module is there");
    KT_EXPECT(KtKdRun("bl")[0] == '\0');
}

static KLDR_DATA_TABLE_ENTRY *KtBpLoadTldrok(NTSTATUS *entryStatus)
{
    UNICODE_STRING name, registryPath;
    KLDR_DATA_TABLE_ENTRY *entry = NULL;

    RtlInitUnicodeString(&name, u"tldrok.sys");
    RtlInitUnicodeString(&registryPath, u"tldrok");
    if (!NT_SUCCESS(MmLoadSystemImage(&name, &entry, NULL)))
        return NULL;
    *entryStatus = ((KT_DRIVER_ENTRY)entry->EntryPoint)(NULL, &registryPath);
    return entry;
}

KTEST(KdDeferredBreakpointResolvesWhenItsDriverLoads)
{
    static const char *const script[] = { "bl", "g", NULL };
    KLDR_DATA_TABLE_ENTRY *entry;
    NTSTATUS status = STATUS_UNSUCCESSFUL;
    char where[18];

    KtClearBreakpoints();
    KtKdRun("bp tldrok!DriverEntry");
    KT_EXPECT(KtKdRun("bl")[0] == '\0');
    KtKdRun("bu tldrok!DriverEntry");
    KtKdRun("bl");
    // No address yet: its column is blank.
    KtKdExpect(" 0 eu Disable Clear%*s0001 (0001) (tldrok!DriverEntry)\n", 24, "");
    KtScriptExhausted = FALSE;
    KdpSetScriptedInput(script, &KtScriptExhausted);
    KdpSetOutputCapture(KtKdOutput, sizeof(KtKdOutput));
    entry = KtBpLoadTldrok(&status);
    KdpSetOutputCapture(NULL, 0);
    KdpSetScriptedInput(NULL, NULL);
    KT_EXPECT(entry != NULL);
    if (!entry)
        return;
    KT_EXPECT_EQ(status, STATUS_SUCCESS);
    RtlFormatAddress(where, (ULONG64)entry->EntryPoint);
    KtKdExpect("Breakpoint 0 hit\ntldrok!DriverEntry:\n%s ", where);
    KtKdExpect(" 0 e Disable Clear  %s     0001 (0001) tldrok!DriverEntry\n", where);
    KT_EXPECT(!KtScriptExhausted);
    // Unloaded, it waits for the next load again.
    KT_EXPECT_EQ(MmUnloadSystemImage(entry), STATUS_SUCCESS);
    KtKdRun("bl");
    KtKdExpect(" 0 eu Disable Clear ");
    KtClearBreakpoints();
}

// A driver of the system itself (kernel/drivers/null, loaded at boot): the
// open and the close of \Device\Null each stop in its dispatch routine.
KTEST(KdBreakpointStopsABootDriversDispatchRoutine)
{
    static const char *const script[] = { "g", "g", NULL };
    UNICODE_STRING name;
    FILE_OBJECT *file = NULL;
    DEVICE_OBJECT *device;
    ULONG64 routine = 0;

    KT_EXPECT(KdpLookupSymbolValue("null!NullCreateClose", &routine) && routine != 0);
    KtClearBreakpoints();
    KtKdRun("bp null!NullCreateClose");
    RtlInitUnicodeString(&name, u"\\Device\\Null");
    KtScriptExhausted = FALSE;
    KdpSetScriptedInput(script, &KtScriptExhausted);
    KdpSetOutputCapture(KtKdOutput, sizeof(KtKdOutput));
    KT_EXPECT_EQ(IoGetDeviceObjectPointer(&name, FILE_READ_DATA, &file, &device),
                 STATUS_SUCCESS);
    if (file)
        ObDereferenceObject(file);
    KdpSetOutputCapture(NULL, 0);
    KdpSetScriptedInput(NULL, NULL);
    KT_EXPECT_EQ(KtKdCount(KtKdOutput, "Breakpoint 0 hit\nnull!NullCreateClose:\n"), 2);
    KtKdExpect("null!NullCreateClose:\n%s ", KtAddress(routine));
    KT_EXPECT(!KtScriptExhausted);
    KtClearBreakpoints();
}

typedef struct _KT_USER_SYMBOL {
    const char *Name;
    ULONG64 Value;
} KT_USER_SYMBOL;

static void KtFindUserSymbol(void *context, const char *name, ULONG64 value, ULONG64 size,
                             char kind)
{
    KT_USER_SYMBOL *symbol = context;

    if (!strcmp(name, symbol->Name))
        symbol->Value = value;
}

ULONG64 KtTbpSymbol(const char *name)
{
    KT_USER_SYMBOL symbol = { name, 0 };
    const UCHAR *image;
    SIZE_T size;

    if (NT_SUCCESS(PspFindUserProgram("tbp.exe", &image, &size)))
        RtlElfEnumerateSymbols(image, size, ~0ULL, KtFindUserSymbol, &symbol);
    return symbol.Value;
}

// Copies of tbp.exe run TbpWork three times each; the breakpoint that
// `setFormat` sets (given the first copy's EPROCESS and TbpWork) stops only
// the first copy's three calls, and every copy computes the right answer:
// the second runs beside the first, the third once the first has ended
// (and its breakpoint with it).
// `kind` is the column bl shows between the address and the pass count.
#define KT_TBP_COPIES 3
static void KtRunCopies(const char *setFormat, const char *kind)
{
    static const char *const script[] = { "t", "g", "g", "g", NULL };
    KT_USER_SYMBOL work = { "TbpWork", KtTbpSymbol("TbpWork") };
    EPROCESS *processes[KT_TBP_COPIES] = { NULL };
    ETHREAD *threads[KT_TBP_COPIES] = { NULL };
    LARGE_INTEGER limit = KtRelativeTime(20000);
    char where[18];
    UCHAR code[KD_MAX_INSTRUCTION_LENGTH];
    KD_INSTRUCTION instruction;
    ULONG first;

    KT_EXPECT(work.Value != 0);
    for (ULONG i = 0; i < KT_TBP_COPIES; i++) {
        KT_EXPECT_EQ(PsStartUserProgramEx("tbp", NULL, TRUE, &processes[i], &threads[i]),
                     STATUS_SUCCESS);
        if (!processes[i])
            return;
    }
    // The first instruction's length, read before the int3 goes in.
    KT_EXPECT(KdpReadProcessMemory(processes[0]->Pcb.DirectoryTableBase, work.Value, code,
                                   sizeof(code)));
    first = KdpDisasmDecode(code, sizeof(code), work.Value, &instruction);
    KT_EXPECT(first != 0);
    KtClearBreakpoints();
    KtKdRunf(setFormat, KT_KD_ADDRESS(processes[0]), (unsigned long long)work.Value);
    KtKdRun("bl");
    RtlFormatAddress(where, work.Value);
    KtKdExpect(" 0 e Disable Clear  %s%s0001 (0001) tbp!TbpWork\n", where, kind);

    KtScriptExhausted = FALSE;
    KdpSetScriptedInput(script, &KtScriptExhausted);
    KdpSetOutputCapture(KtKdOutput, sizeof(KtKdOutput));
    for (ULONG i = 0; i < KT_TBP_COPIES; i++) {
        KeResumeThread(&threads[i]->Tcb);
        if (i == 0)
            continue;       // the second runs beside the first
        for (ULONG j = i - 1; j <= i; j++)
            KT_EXPECT_EQ(KeWaitForSingleObject(&processes[j]->Pcb, Executive, KernelMode,
                                               FALSE, &limit), STATUS_WAIT_0);
    }
    KdpSetOutputCapture(NULL, 0);
    KdpSetScriptedInput(NULL, NULL);

    // Three calls in the first copy stop; the others' do not.
    KT_EXPECT_EQ(KtKdCount(KtKdOutput, "Breakpoint 0 hit\ntbp!TbpWork:\n"), 3);
    KtKdExpect("kd> t\ntbp!TbpWork+0x%x:\n", first);
    KT_EXPECT(!KtScriptExhausted);
    for (ULONG i = 0; i < KT_TBP_COPIES; i++)
        KT_EXPECT_EQ(processes[i]->ExitStatus, 0);
    // The process is gone, and its breakpoint with it.
    KT_EXPECT(KtKdRun("bl")[0] == '\0');
    KtClearBreakpoints();
    for (ULONG i = 0; i < KT_TBP_COPIES; i++) {
        ObDereferenceObject(threads[i]);
        ObDereferenceObject(processes[i]);
    }
}

KTEST(KdUserBreakpointStopsOnlyItsOwnProcess)
{
    KtRunCopies("bp /p %llx %llx", "     ");
}

// The debug register matches in both copies: the other copy's hit must go
// on with RF set, or its execute breakpoint would fire forever.
KTEST(KdUserExecuteBreakpointStopsOnlyItsOwnProcess)
{
    KtRunCopies("ba /p %llx e 1 %llx", " e 1 ");
}

// Runs the suspended copies of tbp.exe to their end with the shell's lines
// taken from `script`; each must exit 0. The references are dropped.
static void KtRunTbpToTheEnd(const char *const *script, EPROCESS **processes,
                             ETHREAD **threads, ULONG count)
{
    LARGE_INTEGER limit = KtRelativeTime(20000);

    KtScriptExhausted = FALSE;
    KdpSetScriptedInput(script, &KtScriptExhausted);
    KdpSetOutputCapture(KtKdOutput, sizeof(KtKdOutput));
    for (ULONG i = 0; i < count; i++)
        KeResumeThread(&threads[i]->Tcb);
    for (ULONG i = 0; i < count; i++)
        KT_EXPECT_EQ(KeWaitForSingleObject(&processes[i]->Pcb, Executive, KernelMode, FALSE,
                                           &limit), STATUS_WAIT_0);
    KdpSetOutputCapture(NULL, 0);
    KdpSetScriptedInput(NULL, NULL);
    for (ULONG i = 0; i < count; i++) {
        KT_EXPECT_EQ(processes[i]->ExitStatus, 0);
        ObDereferenceObject(threads[i]);
        ObDereferenceObject(processes[i]);
    }
}

// Two steps into a user leaf with locals (no frame record of its own):
// `gu` goes back into its caller by the program's unwind information; by
// frame pointers it would run on into main (rbp + 8 is the caller's).
KTEST(KdGoUpInUserCodeFollowsItsUnwindInformation)
{
    static const char *const script[] = { "t", "t", "gu", "k", "g", NULL };
    ULONG64 leaf = KtTbpSymbol("TbpLeafWithLocals");
    EPROCESS *process = NULL;
    ETHREAD *thread = NULL;

    KT_EXPECT(leaf != 0);
    KT_EXPECT_EQ(PsStartUserProgramEx("tbp", NULL, TRUE, &process, &thread), STATUS_SUCCESS);
    if (!process)
        return;
    KtClearBreakpoints();
    KtKdRunf("bp /p %llx %llx", KT_KD_ADDRESS(process), (unsigned long long)leaf);
    KtRunTbpToTheEnd(script, &process, &thread, 1);
    KtKdExpect("Breakpoint 0 hit\ntbp!TbpLeafWithLocals:\n");
    KtKdExpect("kd> gu\ntbp!TbpLeafCaller+0x");
    KT_EXPECT(!KtKdFind(KtKdOutput, "kd> gu\ntbp!main"));
    KT_EXPECT(!KtScriptExhausted);
    KtClearBreakpoints();
}

// `bu tbp!TbpWork` before any tbp.exe runs: unresolved (u, no address) until
// the program is mapped into a process; then it is that process's only (a
// second copy, started after, runs through), and once the process has
// ended it waits for the next one.
KTEST(KdUserBuResolvesIntoTheFirstProcessOnly)
{
    static const char *const script[] = { "bl", "g", "g", "g", NULL };
    ULONG64 work = KtTbpSymbol("TbpWork");
    EPROCESS *processes[2] = { NULL };
    ETHREAD *threads[2] = { NULL };
    char where[18];

    KT_EXPECT(work != 0);
    KtClearBreakpoints();
    KtKdRun("bu tbp!TbpWork");
    KtKdRun("bl");
    KtKdExpect(" 0 eu Disable Clear%*s0001 (0001) (tbp!TbpWork)\n", 24, "");
    for (ULONG i = 0; i < 2; i++) {
        KT_EXPECT_EQ(PsStartUserProgramEx("tbp", NULL, TRUE, &processes[i], &threads[i]),
                     STATUS_SUCCESS);
        if (!processes[i])
            return;
    }
    RtlFormatAddress(where, work);
    KtKdRun("bl");
    KtKdExpect(" 0 e Disable Clear  %s     0001 (0001) tbp!TbpWork\n", where);
    KtRunTbpToTheEnd(script, processes, threads, 2);
    KT_EXPECT_EQ(KtKdCount(KtKdOutput, "Breakpoint 0 hit\ntbp!TbpWork:\n"), 3);
    KT_EXPECT(!KtScriptExhausted);
    KtKdRun("bl");
    KtKdExpect(" 0 eu Disable Clear%*s0001 (0001) (tbp!TbpWork)\n", 24, "");
    KtClearBreakpoints();
}
