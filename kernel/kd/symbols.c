// Symbol lookup over the build-generated table: by address (binary search),
// by name, and by pattern. Pure code, tested on the host with a small table.

#include "kd/kd.h"

const char *KdpSymbolName(const KD_SYMBOL_TABLE *table, const KSYM_ENTRY *entry)
{
    // A driver's table is read in place: a damaged offset names nothing.
    if (table->NamesSize && entry->NameOffset >= table->NamesSize)
        return "?";
    return table->Names + entry->NameOffset;
}

// Several names can share an address (an alias, a label at a function's
// start): prefer a global over a local, and a plain name over a __linker one.
static int KdpSymbolRank(const KD_SYMBOL_TABLE *table, const KSYM_ENTRY *entry)
{
    const char *name = KdpSymbolName(table, entry);
    int rank = 0;

    if (entry->Kind >= 'A' && entry->Kind <= 'Z')
        rank += 2;
    if (name[0] != '_')
        rank += 1;
    return rank;
}

const KSYM_ENTRY *KdpLookupAddress(const KD_SYMBOL_TABLE *table, ULONG64 address,
                                   ULONG64 *displacement)
{
    ULONG low = 0, high = table->Count;
    const KSYM_ENTRY *best;

    if (table->Count == 0 || address < table->ModuleStart || address >= table->ModuleEnd ||
        address < table->Entries[0].Address)
        return NULL;
    // The last entry whose address is <= address.
    while (high - low > 1) {
        ULONG middle = low + (high - low) / 2;

        if (table->Entries[middle].Address <= address)
            low = middle;
        else
            high = middle;
    }
    best = &table->Entries[low];
    for (const KSYM_ENTRY *e = best; e > table->Entries && (e - 1)->Address == best->Address;) {
        e--;
        if (KdpSymbolRank(table, e) > KdpSymbolRank(table, best))
            best = e;
    }
    if (displacement)
        *displacement = address - best->Address;
    return best;
}

const KSYM_ENTRY *KdpNextSymbol(const KD_SYMBOL_TABLE *table, const KSYM_ENTRY *entry)
{
    for (const KSYM_ENTRY *e = entry + 1; e < table->Entries + table->Count; e++) {
        if (e->Address > entry->Address)
            return e;
    }
    return NULL;
}

// Strips "module!" when the module is ours; NULL if it names another module.
static const char *KdpStripModule(const KD_SYMBOL_TABLE *table, const char *name)
{
    const char *bang = strchr(name, '!');
    size_t moduleLength;

    if (!bang)
        return name;
    moduleLength = (size_t)(bang - name);
    if (moduleLength != strlen(table->ModuleName))
        return NULL;
    for (size_t i = 0; i < moduleLength; i++) {
        if (RtlDowncaseChar(name[i]) != RtlDowncaseChar(table->ModuleName[i]))
            return NULL;
    }
    return bang + 1;
}

const KSYM_ENTRY *KdpLookupName(const KD_SYMBOL_TABLE *table, const char *name)
{
    const KSYM_ENTRY *found = NULL;

    name = KdpStripModule(table, name);
    if (!name || !*name)
        return NULL;
    for (ULONG i = 0; i < table->Count; i++) {
        const KSYM_ENTRY *entry = &table->Entries[i];

        if (RtlCompareStringInsensitive(KdpSymbolName(table, entry), name) == 0) {
            // An exact-case match beats one that differs only in case.
            if (strcmp(KdpSymbolName(table, entry), name) == 0)
                return entry;
            if (!found)
                found = entry;
        }
    }
    return found;
}

void KdpFormatSymbol(const KD_SYMBOL_TABLE *table, ULONG64 address, char *buffer, size_t size)
{
    ULONG64 displacement;
    const KSYM_ENTRY *entry = KdpLookupAddress(table, address, &displacement);

    if (!entry)
        RtlStringPrintf(buffer, size, "0x%llx", (unsigned long long)address);
    else if (displacement == 0)
        RtlStringPrintf(buffer, size, "%s!%s", table->ModuleName, KdpSymbolName(table, entry));
    else
        RtlStringPrintf(buffer, size, "%s!%s+0x%llx", table->ModuleName,
                        KdpSymbolName(table, entry), (unsigned long long)displacement);
}

ULONG KdpEnumerateSymbols(const KD_SYMBOL_TABLE *table, const char *pattern,
                          KD_SYMBOL_CALLBACK callback, void *context)
{
    ULONG matches = 0;

    pattern = KdpStripModule(table, pattern);
    if (!pattern)
        return 0;
    for (ULONG i = 0; i < table->Count; i++) {
        if (RtlMatchPattern(pattern, KdpSymbolName(table, &table->Entries[i]))) {
            callback(context, &table->Entries[i]);
            matches++;
        }
    }
    return matches;
}
