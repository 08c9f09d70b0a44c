// The debugger's MASM expression evaluator, over a fake machine: a small
// symbol table, a few words of memory and a register file.

#include "hosttest.h"
#include "kd/kd.h"

#define NT_BASE 0xfffff80001000000ULL
#define TICK_COUNT_ADDRESS (NT_BASE + 0x90000)
#define LIST_HEAD_ADDRESS (NT_BASE + 0x90010)
#define FAKE_MEMORY_BASE TICK_COUNT_ADDRESS

// ---- The fake machine ----------------------------------------------------------------

static const KSYM_ENTRY ExprEntries[] = {
    { NT_BASE + 0x1000, 0x80, 0, 'T' },     // KiSystemStartup
    { NT_BASE + 0x90000, 0x08, 16, 'B' },   // KeTickCount
    { NT_BASE + 0x90010, 0x10, 28, 'D' },   // PsActiveProcessHead
};
static const char ExprNames[] = "KiSystemStartup\0KeTickCount\0PsActiveProcessHead";
static const KD_SYMBOL_TABLE ExprSymbols = {
    ExprEntries, ARRAYSIZE(ExprEntries), ExprNames, "nt", NT_BASE, NT_BASE + 0x100000,
    sizeof(ExprNames),
};

// Four readable quadwords at FAKE_MEMORY_BASE; everything else faults.
static const ULONG64 FakeMemory[] = {
    0x1234,                 // KeTickCount
    0,
    LIST_HEAD_ADDRESS + 8,  // PsActiveProcessHead.Flink: points at the next word
    0xfffffa8001234560ULL,  // ... which holds an EPROCESS-ish address
};

static BOOLEAN FakeReadMemory(ULONG64 address, void *buffer, SIZE_T length)
{
    ULONG64 base = FAKE_MEMORY_BASE;

    if (address < base || address - base > sizeof(FakeMemory) ||
        length > sizeof(FakeMemory) - (address - base))
        return FALSE;
    memcpy(buffer, (const UCHAR *)FakeMemory + (address - base), length);
    return TRUE;
}

static BOOLEAN FakeReadRegister(const char *name, ULONG64 *value)
{
    static const struct {
        const char *Name;
        ULONG64 Value;
    } registers[] = {
        { "rax", 0x10 },
        { "rsp", 0xfffff80001ffff00ULL },
        { "rip", NT_BASE + 0x1010 },
    };

    for (size_t i = 0; i < ARRAYSIZE(registers); i++) {
        if (RtlCompareStringInsensitive(name, registers[i].Name) == 0) {
            *value = registers[i].Value;
            return TRUE;
        }
    }
    return FALSE;
}

static const KD_EXPRESSION_ENVIRONMENT FakeMachine = {
    &ExprSymbols, FakeReadMemory, FakeReadRegister, NULL,
};

static char LastError[128];

static BOOLEAN EvaluatesTo(const char *text, ULONG64 expected)
{
    ULONG64 value = 0xBAD;

    return KdpEvaluate(&FakeMachine, text, &value, LastError, sizeof(LastError)) &&
           value == expected && LastError[0] == '\0';
}

// The error text for an expression that must fail; "" if it succeeded.
static const char *ErrorOf(const char *text)
{
    ULONG64 value;

    if (KdpEvaluate(&FakeMachine, text, &value, LastError, sizeof(LastError)))
        return "";
    return LastError;
}

static BOOLEAN StartsWith(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

// ---- Numbers --------------------------------------------------------------------------

TEST(ExpressionNumbersAreHexByDefault)
{
    EXPECT(EvaluatesTo("10", 0x10));
    EXPECT(EvaluatesTo("ff", 0xff));
}

TEST(ExpressionNumbersTake0nForDecimal)
{
    EXPECT(EvaluatesTo("0n10", 10));
    EXPECT(EvaluatesTo("0n10+0x10", 26));
}

TEST(ExpressionAddressesTakeBackticks)
{
    EXPECT(EvaluatesTo("fffff800`01054df3", 0xfffff80001054df3ULL));
    EXPECT(EvaluatesTo("fffff800`01054df3+1", 0xfffff80001054df4ULL));
}

TEST(ExpressionIgnoresSpaces)
{
    EXPECT(EvaluatesTo("  1 +  2  ", 3));
    EXPECT(EvaluatesTo("\t( 1 )", 1));
}

// ---- Operators ----------------------------------------------------------------------------

TEST(ExpressionMultiplicationBindsTighterThanAddition)
{
    EXPECT(EvaluatesTo("2+3*4", 0xe));
    EXPECT(EvaluatesTo("2*3+4*5", 0x1a));
}

TEST(ExpressionSubtractionIsLeftAssociative)
{
    EXPECT(EvaluatesTo("10-2-3", 0xb));
    EXPECT(EvaluatesTo("10-2+3", 0x11));
}

TEST(ExpressionParenthesesGroup)
{
    EXPECT(EvaluatesTo("(2+3)*4", 0x14));
    EXPECT(EvaluatesTo("10-(2-3)", 0x11));
    EXPECT(EvaluatesTo("((((7))))", 7));
}

TEST(ExpressionUnaryMinusNegates)
{
    EXPECT(EvaluatesTo("-1", ~0ULL));
    EXPECT(EvaluatesTo("2*-3", (ULONG64)-6));
    EXPECT(EvaluatesTo("-(1+2)", (ULONG64)-3));
    EXPECT(EvaluatesTo("--5", 5));
    EXPECT(EvaluatesTo("5--1", 6));
}

TEST(ExpressionArithmeticWrapsAt64Bits)
{
    EXPECT(EvaluatesTo("ffffffffffffffff+1", 0));
    EXPECT(EvaluatesTo("0-1", ~0ULL));
    EXPECT(EvaluatesTo("100000000*100000000", 0));
}

// ---- Symbols, registers, memory ---------------------------------------------------------------

TEST(ExpressionResolvesSymbolsWithAndWithoutModule)
{
    EXPECT(EvaluatesTo("nt!KiSystemStartup", NT_BASE + 0x1000));
    EXPECT(EvaluatesTo("KiSystemStartup", NT_BASE + 0x1000));
    EXPECT(EvaluatesTo("nt!kisystemstartup", NT_BASE + 0x1000));
}

TEST(ExpressionAddsOffsetsToSymbols)
{
    EXPECT(EvaluatesTo("nt!KiSystemStartup+10", NT_BASE + 0x1010));
    EXPECT(EvaluatesTo("nt!KiSystemStartup+0n16", NT_BASE + 0x1010));
}

TEST(ExpressionReadsRegisters)
{
    EXPECT(EvaluatesTo("@rax", 0x10));
    EXPECT(EvaluatesTo("@rax*2+@rax", 0x30));
    EXPECT(EvaluatesTo("@rip-nt!KiSystemStartup", 0x10));
}

TEST(ExpressionPoiReadsAQuadword)
{
    EXPECT(EvaluatesTo("poi(nt!KeTickCount)", 0x1234));
    EXPECT(EvaluatesTo("poi(fffff800`01090000)", 0x1234));
}

TEST(ExpressionPoiNests)
{
    EXPECT(EvaluatesTo("poi(poi(nt!PsActiveProcessHead))", 0xfffffa8001234560ULL));
    EXPECT(EvaluatesTo("poi(nt!PsActiveProcessHead+8)", 0xfffffa8001234560ULL));
}

TEST(ExpressionPoiTakesSpacesAndAnyCase)
{
    EXPECT(EvaluatesTo("POI (nt!KeTickCount)", 0x1234));
    EXPECT(EvaluatesTo("poi(nt!KeTickCount)+1", 0x1235));
}

// ---- Errors -----------------------------------------------------------------------------

TEST(ExpressionUnknownSymbolCannotBeResolved)
{
    EXPECT_STREQ(ErrorOf("nt!NoSuchSymbol"), "Couldn't resolve error at 'nt!NoSuchSymbol'");
    EXPECT(StartsWith(ErrorOf("1+hal!KeTickCount"), "Couldn't resolve error"));
}

TEST(ExpressionUnknownRegisterIsBad)
{
    EXPECT(StartsWith(ErrorOf("@xyz"), "Bad register error"));
    EXPECT(StartsWith(ErrorOf("@"), "Bad register error"));
}

TEST(ExpressionMissingCloseParenthesisIsAnError)
{
    EXPECT(StartsWith(ErrorOf("(1+2"), "Missing ')'"));
    EXPECT(StartsWith(ErrorOf("poi(nt!KeTickCount"), "Missing ')'"));
}

TEST(ExpressionExtraCloseParenthesisIsASyntaxError)
{
    EXPECT_STREQ(ErrorOf("1+2)"), "Syntax error at ')'");
}

TEST(ExpressionTrailingJunkIsASyntaxError)
{
    EXPECT_STREQ(ErrorOf("1 2"), "Syntax error at '2'");
    EXPECT_STREQ(ErrorOf("10 ;x"), "Syntax error at ';x'");
}

TEST(ExpressionMissingOperandIsASyntaxError)
{
    EXPECT(StartsWith(ErrorOf("1+"), "Syntax error"));
    EXPECT(StartsWith(ErrorOf("*2"), "Syntax error"));
    EXPECT(StartsWith(ErrorOf(""), "Syntax error"));
    EXPECT(StartsWith(ErrorOf("()"), "Syntax error"));
}

TEST(ExpressionPoiWithoutParenthesesIsASyntaxError)
{
    EXPECT(StartsWith(ErrorOf("poi 10"), "Syntax error"));
}

TEST(ExpressionPoiOfUnreadableAddressIsAMemoryAccessError)
{
    EXPECT_STREQ(ErrorOf("poi(1234)"), "Memory access error at '1234'");
    EXPECT(StartsWith(ErrorOf("poi(poi(nt!KeTickCount))"), "Memory access error"));
}

TEST(ExpressionPoiAtTheEdgeOfReadableMemoryFails)
{
    // The last quadword is readable; one byte further is not.
    EXPECT(EvaluatesTo("poi(nt!KeTickCount+18)", 0xfffffa8001234560ULL));
    EXPECT(StartsWith(ErrorOf("poi(nt!KeTickCount+19)"), "Memory access error"));
}

TEST(ExpressionWithoutAnEnvironmentResolvesOnlyNumbers)
{
    KD_EXPRESSION_ENVIRONMENT bare = { NULL, NULL, NULL, NULL };
    char error[64];
    ULONG64 value = 0;

    EXPECT(KdpEvaluate(&bare, "(1+2)*3", &value, error, sizeof(error)) && value == 9);
    EXPECT(!KdpEvaluate(&bare, "KeTickCount", &value, error, sizeof(error)));
    EXPECT(StartsWith(error, "Couldn't resolve error"));
    EXPECT(!KdpEvaluate(&bare, "poi(10)", &value, error, sizeof(error)));
    EXPECT(StartsWith(error, "Memory access error"));
    EXPECT(!KdpEvaluate(&bare, "@rax", &value, error, sizeof(error)));
    EXPECT(StartsWith(error, "Bad register error"));
}

TEST(ExpressionErrorIsTruncatedToItsBuffer)
{
    char error[8];
    ULONG64 value;

    EXPECT(!KdpEvaluate(&FakeMachine, "nt!NoSuchSymbol", &value, error, sizeof(error)));
    EXPECT_STREQ(error, "Couldn'");
}

TEST(ExpressionSuccessLeavesNoError)
{
    char error[64] = "stale";
    ULONG64 value;

    EXPECT(KdpEvaluate(&FakeMachine, "1", &value, error, sizeof(error)));
    EXPECT_STREQ(error, "");
}

// ---- Limits -----------------------------------------------------------------------------

static char *Repeated(char *buffer, const char *open, int count, const char *middle,
                      const char *close)
{
    buffer[0] = '\0';
    for (int i = 0; i < count; i++)
        strcat(buffer, open);
    strcat(buffer, middle);
    for (int i = 0; i < count; i++)
        strcat(buffer, close);
    return buffer;
}

TEST(ExpressionModerateNestingWorks)
{
    char text[256];

    EXPECT(EvaluatesTo(Repeated(text, "(", 20, "7", ")"), 7));
    EXPECT(EvaluatesTo(Repeated(text, "poi(", 5, "nt!KeTickCount", ")*0+nt!KeTickCount"),
                       TICK_COUNT_ADDRESS));
}

TEST(ExpressionDeepNestingFailsWithoutCrashing)
{
    static char text[20000];

    EXPECT(StartsWith(ErrorOf(Repeated(text, "(", 5000, "1", ")")), "Expression too deep"));
    EXPECT(StartsWith(ErrorOf(Repeated(text, "-", 5000, "1", "")), "Expression too deep"));
    EXPECT(StartsWith(ErrorOf(Repeated(text, "poi(", 3000, "1", ")")), "Expression too deep"));
}

TEST(ExpressionLongChainsAreNotNesting)
{
    static char text[4096];

    // 1+1+...+1 is wide, not deep: each term is finished before the next.
    text[0] = '1';
    text[1] = '\0';
    for (int i = 1; i < 1000; i++)
        strcat(text, "+1");
    EXPECT(EvaluatesTo(text, 1000));
}

TEST(ExpressionOverlongNameIsAnErrorNotAnOverflow)
{
    char text[400];

    memset(text, 'a', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    EXPECT(StartsWith(ErrorOf(text), "Name too long"));
}

// The debugger's lookup over every module (kd/modules.c) replaces the one
// table when it is given: a driver's name resolves, nt's table is not asked.
static BOOLEAN FakeModuleLookup(const char *name, ULONG64 *value)
{
    if (strcmp(name, "null!NullWrite") != 0)
        return FALSE;
    *value = 0xffffffffc0002070ULL;
    return TRUE;
}

TEST(ExpressionSymbolsComeFromTheModuleLookupWhenGiven)
{
    KD_EXPRESSION_ENVIRONMENT modules = { &ExprSymbols, NULL, NULL, FakeModuleLookup };
    char error[64];
    ULONG64 value = 0;

    EXPECT(KdpEvaluate(&modules, "null!NullWrite+3", &value, error, sizeof(error)));
    EXPECT_EQ(value, 0xffffffffc0002073ULL);
    EXPECT(!KdpEvaluate(&modules, "KeTickCount", &value, error, sizeof(error)));
    EXPECT(strstr(error, "Couldn't resolve") != NULL);
}
