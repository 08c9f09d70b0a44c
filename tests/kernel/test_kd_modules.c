// The debugger over every loaded module: with the test driver tldrok.sys
// loaded, `lm`, `ln`, `x`, `?`, `dps` and the frame formatter name it and
// its symbols as tldrok!Name+0xoff; after the unload they no longer do; a
// damaged debug information block costs the names, not the shell.

#include "tests/kernel/ktest.h"
#include "kd/kd.h"
#include "mm/sysload.h"

typedef NTSTATUS (*KT_DRIVER_ENTRY)(void *driverObject, UNICODE_STRING *registryPath);

static char KtModOutput[4096];

static const char *KtModRun(const char *format, ULONG64 value)
{
    char line[160];

    RtlStringPrintf(line, sizeof(line), format, (unsigned long long)value);
    KdpSetOutputCapture(KtModOutput, sizeof(KtModOutput));
    KdpExecuteLine(line);
    KdpSetOutputCapture(NULL, 0);
    return KtModOutput;
}

// Where `part` first appears in `text`, or NULL.
static const char *KtFind(const char *text, const char *part)
{
    size_t length = strlen(part);

    for (; *text; text++) {
        if (!strncmp(text, part, length))
            return text;
    }
    return NULL;
}

static BOOLEAN KtHas(const char *text, const char *part)
{
    return KtFind(text, part) != NULL;
}

static ULONG64 KtSymbol(const char *name)
{
    ULONG64 value = 0;

    return KdpLookupSymbolValue(name, &value) ? value : 0;
}

static KLDR_DATA_TABLE_ENTRY *KtLoadTldrok(void)
{
    UNICODE_STRING name, registryPath;
    KLDR_DATA_TABLE_ENTRY *entry = NULL;

    RtlInitUnicodeString(&name, u"tldrok.sys");
    RtlInitUnicodeString(&registryPath, u"tldrok");
    if (!NT_SUCCESS(MmLoadSystemImage(&name, &entry, NULL)))
        return NULL;
    ((KT_DRIVER_ENTRY)entry->EntryPoint)(NULL, &registryPath);
    return entry;
}

KTEST(KdListsEveryModuleWithItsRange)
{
    KLDR_DATA_TABLE_ENTRY *entry = KtLoadTldrok();
    char range[40], base[18], end[18];
    const char *output;

    KT_EXPECT(entry != NULL);
    RtlFormatAddress(base, (ULONG64)entry->DllBase);
    RtlFormatAddress(end, (ULONG64)entry->DllBase + entry->SizeOfImage);
    RtlStringPrintf(range, sizeof(range), "%s %s   tldrok ", base, end);
    output = KtModRun("lm", 0);
    KT_EXPECT(KtHas(output, "start             end                 module name\n"));
    KT_EXPECT(KtHas(output, "   nt         (elf symbols: "));
    KT_EXPECT(KtHas(output, range));
    KT_EXPECT(KtHas(output, "tldrok.sys\n"));
    // nt first, in load order.
    KT_EXPECT(KtFind(output, "   nt ") < KtFind(output, "   tldrok "));
    output = KtModRun("lm m tld*", 0);
    KT_EXPECT(KtHas(output, range) && !KtHas(output, "   nt "));
    output = KtModRun("lm m NT", 0);
    KT_EXPECT(KtHas(output, "   nt ") && !KtHas(output, "tldrok"));
    KT_EXPECT_EQ(MmUnloadSystemImage(entry), STATUS_SUCCESS);
    KT_EXPECT(!KtHas(KtModRun("lm", 0), "tldrok"));
}

KTEST(KdResolvesDriverSymbolsAsModuleBangName)
{
    KLDR_DATA_TABLE_ENTRY *entry = KtLoadTldrok();
    ULONG64 add, multiply, operations, count;
    char symbol[96];
    const char *output;

    KT_EXPECT(entry != NULL);
    add = KtSymbol("tldrok!TldrAdd");
    multiply = KtSymbol("tldrok!TldrMultiply");
    operations = KtSymbol("tldrok!TldrOperations");
    count = KtSymbol("TLDROK!TldrEntryCount");      // module names ignore case
    KT_EXPECT(add && multiply && operations && count);
    KT_EXPECT_EQ(KtSymbol("tldrok!DriverEntry"), (ULONG64)entry->EntryPoint);
    KT_EXPECT_EQ(KtSymbol("tldrok"), (ULONG64)entry->DllBase);     // a module is its base
    KT_EXPECT_EQ(KtSymbol("TldrEntryCount"), count);                // not in nt: the drivers
    KT_EXPECT_EQ(KtSymbol("nosuch!TldrAdd"), 0);
    KT_EXPECT_EQ(KtSymbol("tldrok!NoSuchSymbol"), 0);

    KdpFormatAddressSymbol(add + 4, symbol, sizeof(symbol));
    KT_EXPECT(!strcmp(symbol, "tldrok!TldrAdd+0x4"));
    KdpFormatAddressSymbol((ULONG64)entry->EntryPoint, symbol, sizeof(symbol));
    KT_EXPECT(!strcmp(symbol, "tldrok!DriverEntry"));

    output = KtModRun("ln tldrok!DriverEntry", 0);
    KT_EXPECT(KtHas(output, ")   tldrok!DriverEntry") && KtHas(output, "Exact matches:\n"));
    output = KtModRun("ln %llx", add + 3);
    KT_EXPECT(KtHas(output, ")   tldrok!TldrAdd+0x3   |  ("));
    output = KtModRun("x tldrok!Tldr*", 0);
    KT_EXPECT(KtHas(output, " tldrok!TldrEntryCount = <no type information>\n"));
    KT_EXPECT(KtHas(output, " tldrok!TldrMultiply (<no parameter info>)\n"));
    KT_EXPECT(!KtHas(output, "nt!"));
    output = KtModRun("x *!DriverEntry", 0);
    KT_EXPECT(KtHas(output, " tldrok!DriverEntry (<no parameter info>)\n"));
    output = KtModRun("? tldrok!TldrEntryCount", 0);
    RtlStringPrintf(symbol, sizeof(symbol), "Evaluate expression: %lld = ", (long long)count);
    KT_EXPECT(KtHas(output, symbol));
    // Pointers in the driver's data name the driver's routines.
    output = KtModRun("dps %llx L2", operations);
    KT_EXPECT(KtHas(output, " tldrok!TldrAdd\n") && KtHas(output, " tldrok!TldrMultiply\n"));

    KT_EXPECT_EQ(MmUnloadSystemImage(entry), STATUS_SUCCESS);
    KT_EXPECT_EQ(KtSymbol("tldrok!TldrAdd"), 0);
    KdpFormatAddressSymbol(add, symbol, sizeof(symbol));
    KT_EXPECT(symbol[0] == '0' && symbol[1] == 'x');
    KT_EXPECT(KtHas(KtModRun("x tldrok!*", 0), "Couldn't resolve module"));
}

// A damaged symbol table is not read: the module keeps its range and name.
KTEST(KdDamagedModuleSymbolsCostTheNamesOnly)
{
    KLDR_DATA_TABLE_ENTRY *entry = KtLoadTldrok();
    NON_PAGED_DEBUG_INFO *info;
    USHORT signature;
    ULONG count;
    char symbol[96], expected[64];
    const char *output;

    KT_EXPECT(entry != NULL && entry->NonPagedDebugInfo != NULL);
    info = entry->NonPagedDebugInfo;
    signature = info->Signature;
    count = info->SymbolCount;
    info->Signature = 0;
    KdpFormatAddressSymbol((ULONG64)entry->EntryPoint, symbol, sizeof(symbol));
    RtlStringPrintf(expected, sizeof(expected), "tldrok+0x%llx",
                    (unsigned long long)((UCHAR *)entry->EntryPoint - (UCHAR *)entry->DllBase));
    KT_EXPECT(!strcmp(symbol, expected));
    output = KtModRun("lm m tldrok", 0);
    KT_EXPECT(KtHas(output, "tldrok     (no symbols)"));
    info->Signature = signature;
    info->SymbolCount = 0x7FFFFFFF;     // entries far past the block
    KT_EXPECT(KtHas(KtModRun("lm m tldrok", 0), "(no symbols)"));
    info->SymbolCount = count;
    KT_EXPECT(KtHas(KtModRun("lm m tldrok", 0), "(elf symbols: "));
    KT_EXPECT_EQ(MmUnloadSystemImage(entry), STATUS_SUCCESS);
}
