// Symbol lookup, as `ln`, `k`, `dps` and `x` use it, over a small hand-made
// table laid out like the one tools/gensyms.py generates.

#include "hosttest.h"
#include "kd/kd.h"

#define NT_BASE 0xfffff80001000000ULL
#define NT_END  0xfffff80001100000ULL

typedef struct _TEST_SYMBOL {
    ULONG64 Offset;         // from NT_BASE
    ULONG Size;
    char Kind;
    const char *Name;
} TEST_SYMBOL;

// Sorted by address, as the generated table is. Aliases share an address.
static const TEST_SYMBOL TestSymbols[] = {
    { 0x1000, 0x80, 'T', "KiSystemStartup" },
    { 0x1080, 0x20, 't', "KipHelper" },
    { 0x2000, 0x40, 't', "KiSwapLabel" },          // three names, one address:
    { 0x2000, 0x40, 'T', "KiSwapContext" },        // the global one wins
    { 0x2000, 0x40, 't', "KiSwapLabel2" },
    { 0x3000, 0x10, 'T', "KeBugCheckEx" },         // two globals:
    { 0x3000, 0x10, 'T', "_KeBugCheckEx" },        // the plain name wins
    { 0x3100, 0x10, 'T', "_KiStartLabel" },        // a global with '_'
    { 0x3100, 0x10, 't', "KiStartLocal" },         // beats a plain local
    { 0x4000, 0x30, 'T', "ExAllocatePoolWithTag" },
    { 0x4040, 0x30, 'T', "ExFreePoolWithTag" },
    { 0x80000, 0x08, 'D', "KiBugCheckData" },
    { 0x80010, 0x08, 'd', "kibugcheckdata" },      // differs only in case
    { 0x90000, 0x08, 'B', "KeTickCount" },
};

#define SYMBOL_COUNT ARRAYSIZE(TestSymbols)

static KSYM_ENTRY TestEntries[SYMBOL_COUNT];
static char TestNames[1024];

// The table as the debugger sees it: nt, NT_BASE to NT_END.
static const KD_SYMBOL_TABLE *NtTable(void)
{
    static KD_SYMBOL_TABLE table;
    ULONG used = 0;

    for (ULONG i = 0; i < SYMBOL_COUNT; i++) {
        size_t length = strlen(TestSymbols[i].Name) + 1;

        TestEntries[i].Address = NT_BASE + TestSymbols[i].Offset;
        TestEntries[i].Size = TestSymbols[i].Size;
        TestEntries[i].Kind = TestSymbols[i].Kind;
        TestEntries[i].NameOffset = used;
        memcpy(TestNames + used, TestSymbols[i].Name, length);
        used += (ULONG)length;
    }
    table = (KD_SYMBOL_TABLE){ TestEntries, SYMBOL_COUNT, TestNames, "nt", NT_BASE, NT_END,
                               (ULONG)used };
    return &table;
}

static const char *NameAt(ULONG64 address, ULONG64 *displacement)
{
    const KD_SYMBOL_TABLE *table = NtTable();
    const KSYM_ENTRY *entry = KdpLookupAddress(table, address, displacement);

    return entry ? KdpSymbolName(table, entry) : "(none)";
}

// ---- By address -----------------------------------------------------------------------

TEST(SymbolLookupAtExactAddressHasNoDisplacement)
{
    ULONG64 displacement = 99;

    EXPECT_STREQ(NameAt(NT_BASE + 0x1000, &displacement), "KiSystemStartup");
    EXPECT_EQ(displacement, 0);
}

TEST(SymbolLookupInsideASymbolGivesTheDisplacement)
{
    ULONG64 displacement = 0;

    EXPECT_STREQ(NameAt(NT_BASE + 0x1085, &displacement), "KipHelper");
    EXPECT_EQ(displacement, 5);
}

TEST(SymbolLookupPastASymbolsSizeStillNamesIt)
{
    ULONG64 displacement = 0;

    // Like ln: the nearest symbol below, whatever its size says.
    EXPECT_STREQ(NameAt(NT_BASE + 0x1fff, &displacement), "KipHelper");
    EXPECT_EQ(displacement, 0xf7f);
}

TEST(SymbolLookupFindsTheLastSymbol)
{
    ULONG64 displacement = 0;

    EXPECT_STREQ(NameAt(NT_BASE + 0x90004, &displacement), "KeTickCount");
    EXPECT_EQ(displacement, 4);
    EXPECT_STREQ(NameAt(NT_END - 1, &displacement), "KeTickCount");
}

TEST(SymbolLookupBeforeTheFirstSymbolFindsNothing)
{
    EXPECT(KdpLookupAddress(NtTable(), NT_BASE, NULL) == NULL);
    EXPECT(KdpLookupAddress(NtTable(), NT_BASE + 0xfff, NULL) == NULL);
}

TEST(SymbolLookupOutsideTheModuleFindsNothing)
{
    EXPECT(KdpLookupAddress(NtTable(), NT_END, NULL) == NULL);
    EXPECT(KdpLookupAddress(NtTable(), ~0ULL, NULL) == NULL);
    EXPECT(KdpLookupAddress(NtTable(), 0x1234, NULL) == NULL);
}

TEST(SymbolLookupInAnEmptyTableFindsNothing)
{
    KD_SYMBOL_TABLE empty = { TestEntries, 0, TestNames, "nt", NT_BASE, NT_END, 0 };

    EXPECT(KdpLookupAddress(&empty, NT_BASE + 0x1000, NULL) == NULL);
    EXPECT(KdpLookupName(&empty, "KiSystemStartup") == NULL);
}

TEST(SymbolLookupFindsEveryAddressInTheTable)
{
    const KD_SYMBOL_TABLE *table = NtTable();

    for (ULONG i = 0; i < SYMBOL_COUNT; i++) {
        ULONG64 displacement = 1;
        const KSYM_ENTRY *entry = KdpLookupAddress(table, TestEntries[i].Address, &displacement);

        EXPECT(entry != NULL);
        EXPECT_EQ(entry->Address, TestEntries[i].Address);
        EXPECT_EQ(displacement, 0);
    }
}

TEST(SymbolAliasGlobalBeatsLocal)
{
    ULONG64 displacement;

    EXPECT_STREQ(NameAt(NT_BASE + 0x2000, &displacement), "KiSwapContext");
    EXPECT_STREQ(NameAt(NT_BASE + 0x2010, &displacement), "KiSwapContext");
}

TEST(SymbolAliasPlainNameBeatsUnderscoreName)
{
    ULONG64 displacement;

    EXPECT_STREQ(NameAt(NT_BASE + 0x3000, &displacement), "KeBugCheckEx");
}

TEST(SymbolAliasGlobalBeatsLocalEvenWithUnderscore)
{
    ULONG64 displacement;

    EXPECT_STREQ(NameAt(NT_BASE + 0x3100, &displacement), "_KiStartLabel");
}

// ---- Next symbol --------------------------------------------------------------------------

TEST(NextSymbolIsTheNextHigherAddress)
{
    const KD_SYMBOL_TABLE *table = NtTable();
    const KSYM_ENTRY *next = KdpNextSymbol(table, KdpLookupName(table, "KiSystemStartup"));

    EXPECT(next != NULL);
    EXPECT_STREQ(KdpSymbolName(table, next), "KipHelper");
}

TEST(NextSymbolSkipsAliasesAtTheSameAddress)
{
    const KD_SYMBOL_TABLE *table = NtTable();
    const KSYM_ENTRY *next = KdpNextSymbol(table, KdpLookupName(table, "KiSwapLabel"));

    EXPECT(next != NULL);
    EXPECT_EQ(next->Address, NT_BASE + 0x3000);
}

TEST(NextSymbolAfterTheLastIsNone)
{
    const KD_SYMBOL_TABLE *table = NtTable();

    EXPECT(KdpNextSymbol(table, KdpLookupName(table, "KeTickCount")) == NULL);
}

// ---- By name ----------------------------------------------------------------------------------

static ULONG64 AddressOf(const char *name)
{
    const KSYM_ENTRY *entry = KdpLookupName(NtTable(), name);

    return entry ? entry->Address : 0;
}

TEST(SymbolNameLookupFindsAPlainName)
{
    EXPECT_EQ(AddressOf("ExFreePoolWithTag"), NT_BASE + 0x4040);
}

TEST(SymbolNameLookupAcceptsTheModulePrefix)
{
    EXPECT_EQ(AddressOf("nt!ExFreePoolWithTag"), NT_BASE + 0x4040);
    EXPECT_EQ(AddressOf("NT!ExFreePoolWithTag"), NT_BASE + 0x4040);
}

TEST(SymbolNameLookupIgnoresCase)
{
    EXPECT_EQ(AddressOf("exfreepoolwithtag"), NT_BASE + 0x4040);
    EXPECT_EQ(AddressOf("nt!KETICKCOUNT"), NT_BASE + 0x90000);
}

TEST(SymbolNameLookupPrefersTheExactCase)
{
    EXPECT_EQ(AddressOf("KiBugCheckData"), NT_BASE + 0x80000);
    EXPECT_EQ(AddressOf("kibugcheckdata"), NT_BASE + 0x80010);
    EXPECT_EQ(AddressOf("nt!kibugcheckdata"), NT_BASE + 0x80010);
}

TEST(SymbolNameLookupFindsLocalsAndAliases)
{
    EXPECT_EQ(AddressOf("KiSwapLabel2"), NT_BASE + 0x2000);
    EXPECT_EQ(AddressOf("_KeBugCheckEx"), NT_BASE + 0x3000);
}

TEST(SymbolNameLookupOfAnotherModuleFindsNothing)
{
    EXPECT(KdpLookupName(NtTable(), "hal!KeTickCount") == NULL);
    EXPECT(KdpLookupName(NtTable(), "ntx!KeTickCount") == NULL);
    EXPECT(KdpLookupName(NtTable(), "n!KeTickCount") == NULL);
}

TEST(SymbolNameLookupOfUnknownOrEmptyNameFindsNothing)
{
    EXPECT(KdpLookupName(NtTable(), "KeTickCounter") == NULL);
    EXPECT(KdpLookupName(NtTable(), "KeTick") == NULL);
    EXPECT(KdpLookupName(NtTable(), "") == NULL);
    EXPECT(KdpLookupName(NtTable(), "nt!") == NULL);
}

// ---- Formatting --------------------------------------------------------------------------------

static const char *Formatted(ULONG64 address)
{
    static char text[64];

    KdpFormatSymbol(NtTable(), address, text, sizeof(text));
    return text;
}

TEST(FormattedSymbolAtItsAddressIsModuleBangName)
{
    EXPECT_STREQ(Formatted(NT_BASE + 0x1000), "nt!KiSystemStartup");
}

TEST(FormattedSymbolInsideAddsHexDisplacement)
{
    EXPECT_STREQ(Formatted(NT_BASE + 0x1010), "nt!KiSystemStartup+0x10");
    EXPECT_STREQ(Formatted(NT_BASE + 0x2abc), "nt!KiSwapContext+0xabc");
}

TEST(FormattedAddressOutsideTheModuleIsHex)
{
    EXPECT_STREQ(Formatted(0x1234), "0x1234");
    EXPECT_STREQ(Formatted(NT_END), "0xfffff80001100000");
}

TEST(FormattedAddressBeforeTheFirstSymbolIsHex)
{
    EXPECT_STREQ(Formatted(NT_BASE + 0x10), "0xfffff80001000010");
}

TEST(FormattedSymbolIsTruncatedToTheBuffer)
{
    char text[8];

    KdpFormatSymbol(NtTable(), NT_BASE + 0x1010, text, sizeof(text));
    EXPECT_STREQ(text, "nt!KiSy");
}

// ---- Enumeration (`x`) ------------------------------------------------------------------

typedef struct _SYMBOL_LIST {
    char Text[512];
    ULONG Calls;
} SYMBOL_LIST;

static void CollectSymbol(void *context, const KSYM_ENTRY *entry)
{
    SYMBOL_LIST *list = context;
    size_t used = strlen(list->Text);

    snprintf(list->Text + used, sizeof(list->Text) - used, "%s%s", used ? " " : "",
             KdpSymbolName(NtTable(), entry));
    list->Calls++;
}

static ULONG Enumerate(const char *pattern, SYMBOL_LIST *list)
{
    memset(list, 0, sizeof(*list));
    return KdpEnumerateSymbols(NtTable(), pattern, CollectSymbol, list);
}

TEST(EnumerationCallsBackForEveryMatchInAddressOrder)
{
    SYMBOL_LIST list;

    EXPECT_EQ(Enumerate("nt!Ex*", &list), 2);
    EXPECT_EQ(list.Calls, 2);
    EXPECT_STREQ(list.Text, "ExAllocatePoolWithTag ExFreePoolWithTag");
}

TEST(EnumerationWorksWithoutTheModulePrefix)
{
    SYMBOL_LIST list;

    EXPECT_EQ(Enumerate("*Swap*", &list), 3);
    EXPECT_STREQ(list.Text, "KiSwapLabel KiSwapContext KiSwapLabel2");
}

TEST(EnumerationIgnoresCase)
{
    SYMBOL_LIST list;

    EXPECT_EQ(Enumerate("NT!kibugcheck*", &list), 2);
    EXPECT_STREQ(list.Text, "KiBugCheckData kibugcheckdata");
}

TEST(EnumerationWithQuestionMarks)
{
    SYMBOL_LIST list;

    EXPECT_EQ(Enumerate("Ke????Count", &list), 1);
    EXPECT_STREQ(list.Text, "KeTickCount");
}

TEST(EnumerationOfStarListsEverySymbol)
{
    SYMBOL_LIST list;

    EXPECT_EQ(Enumerate("nt!*", &list), SYMBOL_COUNT);
}

TEST(EnumerationOfAnotherModuleFindsNothing)
{
    SYMBOL_LIST list;

    EXPECT_EQ(Enumerate("hal!*", &list), 0);
    EXPECT_EQ(list.Calls, 0);
}

TEST(EnumerationWithoutMatchesFindsNothing)
{
    SYMBOL_LIST list;

    EXPECT_EQ(Enumerate("Zw*", &list), 0);
    EXPECT_EQ(list.Calls, 0);
}

// A table read in place (a driver's) may be damaged: a name offset past its
// names reads "?" rather than memory beyond them.
TEST(SymbolNameOffsetPastTheNamesReadsAsUnknown)
{
    KD_SYMBOL_TABLE table = *NtTable();
    KSYM_ENTRY entry = TestEntries[0];

    entry.NameOffset = table.NamesSize;
    EXPECT_STREQ(KdpSymbolName(&table, &entry), "?");
    entry.NameOffset = 0;
    EXPECT_STREQ(KdpSymbolName(&table, &entry), "KiSystemStartup");
}
