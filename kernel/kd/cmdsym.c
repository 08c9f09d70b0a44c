// Symbol commands: lm (modules), ln (nearest symbol), x (symbols matching a
// pattern) and ? (evaluate an expression).

#include "kd/kd.h"

static KD_COMMAND_RESULT KdpListModules(int argc, char **argv)
{
    const KD_SYMBOL_TABLE *table = &KdpKernelSymbols;

    if (argc != 1) {
        KdpPrint("Usage: lm\n");
        return KdCommandContinue;
    }
    KdpPrint("start             end                 module name\n");
    KdpPrintAddress(table->ModuleStart);
    KdpPrint(" ");
    KdpPrintAddress(table->ModuleEnd);
    KdpPrint("   %-10s (elf symbols: %u)   sleuth.elf\n", table->ModuleName, table->Count);
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
    const KD_SYMBOL_TABLE *table = &KdpKernelSymbols;
    const KSYM_ENTRY *entry, *next;
    ULONG64 address, displacement;

    if (argc != 2) {
        KdpPrint("Usage: ln address\n");
        return KdCommandContinue;
    }
    if (!KdpGetValue(argv[1], &address))
        return KdCommandContinue;
    entry = KdpLookupAddress(table, address, &displacement);
    if (!entry) {
        KdpPrint("No symbol near ");
        KdpPrintAddress(address);
        KdpPrint(" (outside every module)\n");
        return KdCommandContinue;
    }
    KdpPrintSymbolAt(table, entry, displacement);
    next = KdpNextSymbol(table, entry);
    if (next) {
        KdpPrint("   |  ");
        KdpPrintSymbolAt(table, next, 0);
    }
    KdpPrint("\n");
    if (displacement == 0) {
        KdpPrint("Exact matches:\n    %s!%s %s\n", table->ModuleName,
                 KdpSymbolName(table, entry),
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

static KD_COMMAND_RESULT KdpExamineSymbols(int argc, char **argv)
{
    const char *pattern, *bang;

    if (argc != 2) {
        KdpPrint("Usage: x [module!]pattern   (wildcards * and ?)\n");
        return KdCommandContinue;
    }
    pattern = strncmp(argv[1], "*!", 2) == 0 ? argv[1] + 2 : argv[1];
    bang = strchr(pattern, '!');
    if (bang && !(bang - pattern == 2 && RtlDowncaseChar(pattern[0]) == 'n' &&
                  RtlDowncaseChar(pattern[1]) == 't')) {
        KdpPrint("Couldn't resolve module in '%s' (the only module is nt)\n", argv[1]);
        return KdCommandContinue;
    }
    KdpEnumerateSymbols(&KdpKernelSymbols, pattern, KdpPrintMatch, &KdpKernelSymbols);
    return KdCommandContinue;
}

static KD_COMMAND_RESULT KdpEvaluateCommand(int argc, char **argv)
{
    char expression[256] = "";
    ULONG64 value;
    size_t used = 0;

    if (argc < 2) {
        KdpPrint("Usage: ? expression\n");
        return KdCommandContinue;
    }
    for (int i = 1; i < argc; i++)
        used += RtlStringPrintf(expression + used, sizeof(expression) - used, "%s%s",
                                i > 1 ? " " : "", argv[i]);
    if (used >= sizeof(expression)) {
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
    { "lm", KdpListModules, "lm", "list loaded modules with their address ranges" },
    { "ln", KdpListNearest, "ln address", "list the nearest symbols to an address" },
    { "x", KdpExamineSymbols, "x [nt!]pattern",
      "examine symbols: every kernel symbol matching a pattern (* and ?)" },
    { "?", KdpEvaluateCommand, "? expression",
      "evaluate an expression (numbers, nt!symbols, @registers, poi(), + - *)" },
    { NULL, NULL, NULL, NULL },
};
