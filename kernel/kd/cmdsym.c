// Symbol commands, over every loaded module (kd/modules.c): lm (modules),
// ln (nearest symbol), x (symbols matching a pattern) and ? (evaluate an
// expression).

#include "kd/kd.h"
#include "kd/kdparse.h"

typedef struct _KD_MODULE_LISTING {
    const char *Pattern;            // `lm m PATTERN`, NULL: every module
    ULONG Shown;
} KD_MODULE_LISTING;

static BOOLEAN KdpListModule(void *context, const KD_MODULE *module)
{
    KD_MODULE_LISTING *listing = context;
    char symbols[32];

    if (listing->Pattern && !RtlMatchPattern(listing->Pattern, module->Name))
        return TRUE;
    if (module->Symbols.Count)
        RtlStringPrintf(symbols, sizeof(symbols), "(elf symbols: %u)", module->Symbols.Count);
    else
        RtlStringPrintf(symbols, sizeof(symbols), "(no symbols)");
    KdpPrintAddress(module->Base);
    KdpPrint(" ");
    KdpPrintAddress(module->End);
    KdpPrint("   %-10s %-20s %s\n", module->Name, symbols,
             module->Symbols.ModuleName == KdpKernelSymbols.ModuleName ? "sleuth.elf"
                                                                        : module->ImageName);
    listing->Shown++;
    return TRUE;
}

// `lm` lists every loaded module in load order (nt first), `lm m PATTERN`
// those whose name matches, as WinDbg's.
static KD_COMMAND_RESULT KdpListModules(int argc, char **argv)
{
    KD_MODULE_LISTING listing = { NULL, 0 };

    if (argc == 3 && RtlCompareStringInsensitive(argv[1], "m") == 0) {
        listing.Pattern = argv[2];
    } else if (argc != 1) {
        KdpPrint("Usage: lm [m pattern]\n");
        return KdCommandContinue;
    }
    KdpPrint("start             end                 module name\n");
    KdpEnumerateModules(KdpListModule, &listing);
    return KdCommandContinue;
}

static void KdpPrintSymbolAt(const KD_SYMBOL_TABLE *table, const KSYM_ENTRY *entry,
                             ULONG64 displacement)
{
    KdpPrint("(");
    KdpPrintAddress(entry->Address);
    if (displacement)
        KdpPrint(")   %s!%s+0x%llx", table->ModuleName, KdpSymbolName(table, entry),
                 (unsigned long long)displacement);
    else
        KdpPrint(")   %s!%s", table->ModuleName, KdpSymbolName(table, entry));
}

static KD_COMMAND_RESULT KdpListNearest(int argc, char **argv)
{
    const KSYM_ENTRY *entry = NULL, *next;
    ULONG64 address, displacement, start;
    KD_MODULE module;
    char symbol[128];

    if (argc != 2) {
        KdpPrint("Usage: ln address\n");
        return KdCommandContinue;
    }
    if (!KdpGetValue(argv[1], &address))
        return KdCommandContinue;
    if (KdpFormatCurrentUserSymbol(address, symbol, sizeof(symbol), &start)) {
        // In the current process's program: named from its own symbols.
        KdpPrint("(");
        KdpPrintAddress(start);
        KdpPrint(")   %s\n", symbol);
        return KdCommandContinue;
    }
    if (KdpFindModuleByAddress(address, &module))
        entry = KdpLookupAddress(&module.Symbols, address, &displacement);
    else
        module.Base = 0;
    if (!entry && module.Base) {
        // A module without a symbol there: WinDbg names the module and the offset.
        KdpPrint("(");
        KdpPrintAddress(address);
        KdpPrint(")   %s+0x%llx\n", module.Name, (unsigned long long)(address - module.Base));
        return KdCommandContinue;
    }
    if (!entry) {
        KdpPrint("No symbol near ");
        KdpPrintAddress(address);
        KdpPrint(" (outside every module)\n");
        return KdCommandContinue;
    }
    KdpPrintSymbolAt(&module.Symbols, entry, displacement);
    next = KdpNextSymbol(&module.Symbols, entry);
    if (next) {
        KdpPrint("   |  ");
        KdpPrintSymbolAt(&module.Symbols, next, 0);
    }
    KdpPrint("\n");
    if (displacement == 0) {
        KdpPrint("Exact matches:\n    %s!%s %s\n", module.Symbols.ModuleName,
                 KdpSymbolName(&module.Symbols, entry),
                 (entry->Kind == 'T' || entry->Kind == 't') ? "(<no parameter info>)"
                                                            : "= <no type information>");
    }
    return KdCommandContinue;
}

static void KdpPrintMatch(void *context, const KSYM_ENTRY *entry)
{
    const KD_SYMBOL_TABLE *table = context;
    BOOLEAN code = entry->Kind == 'T' || entry->Kind == 't';

    KdpPrintAddress(entry->Address);
    KdpPrint(" %s!%s %s\n", table->ModuleName, KdpSymbolName(table, entry),
             code ? "(<no parameter info>)" : "= <no type information>");
}

typedef struct _KD_EXAMINE {
    char ModulePattern[KD_MODULE_NAME_LENGTH];
    const char *SymbolPattern;
    ULONG Modules;
} KD_EXAMINE;

static BOOLEAN KdpExamineModule(void *context, const KD_MODULE *module)
{
    KD_EXAMINE *examine = context;

    if (!RtlMatchPattern(examine->ModulePattern, module->Name))
        return TRUE;
    examine->Modules++;
    KdpEnumerateSymbols(&module->Symbols, examine->SymbolPattern, KdpPrintMatch,
                        (void *)&module->Symbols);
    return TRUE;
}

// `x mod!pattern` in every module whose name matches `mod` (which may have
// wildcards: `x *!Dispatch*`); `x pattern` in nt.
static KD_COMMAND_RESULT KdpExamineSymbols(int argc, char **argv)
{
    KD_EXAMINE examine = { "nt", NULL, 0 };
    const char *bang;

    if (argc != 2) {
        KdpPrint("Usage: x [module!]pattern   (wildcards * and ? in both)\n");
        return KdCommandContinue;
    }
    bang = strchr(argv[1], '!');
    examine.SymbolPattern = bang ? bang + 1 : argv[1];
    if (bang) {
        if ((size_t)(bang - argv[1]) >= sizeof(examine.ModulePattern)) {
            KdpPrint("Couldn't resolve module in '%s'\n", argv[1]);
            return KdCommandContinue;
        }
        RtlStringPrintf(examine.ModulePattern, sizeof(examine.ModulePattern), "%.*s",
                        (int)(bang - argv[1]), argv[1]);
    }
    KdpEnumerateModules(KdpExamineModule, &examine);
    if (examine.Modules == 0)
        KdpPrint("Couldn't resolve module in '%s' (lm lists the modules)\n", argv[1]);
    return KdCommandContinue;
}

static KD_COMMAND_RESULT KdpEvaluateCommand(int argc, char **argv)
{
    char expression[256];
    ULONG64 value;

    if (argc < 2) {
        KdpPrint("Usage: ? expression\n");
        return KdCommandContinue;
    }
    if (!KdpJoinWords(argc, argv, expression, sizeof(expression))) {
        KdpPrint("Expression too long\n");
        return KdCommandContinue;
    }
    if (!KdpGetValue(expression, &value))
        return KdCommandContinue;
    KdpPrint("Evaluate expression: %lld = ", (long long)value);
    KdpPrintAddress(value);
    KdpPrint("\n");
    return KdCommandContinue;
}

const KD_COMMAND KdpSymbolCommands[] = {
    { "lm", KdpListModules, "lm [m pattern]",
      "list loaded modules (nt and the drivers) with their address ranges" },
    { "ln", KdpListNearest, "ln address", "list the nearest symbols to an address" },
    { "x", KdpExamineSymbols, "x [module!]pattern",
      "examine symbols: every symbol of a module matching a pattern (* and ?)" },
    { "?", KdpEvaluateCommand, "? expression",
      "evaluate an expression (numbers, mod!symbols, @registers, poi(), + - *, "
      "#FIELD_OFFSET(Type, Field))" },
    { NULL, NULL, NULL, NULL },
};
