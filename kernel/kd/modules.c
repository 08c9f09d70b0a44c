// Modules as the debugger sees them: the loaded-module list (PsLoadedModuleList,
// nt first) read through the fault-safe reader, each module with its range,
// its WinDbg name (the image name without its extension; nt for the
// kernel) and its symbols (nt's built-in table, a driver's from its
// NonPagedDebugInfo). Every symbol command goes through here, so that
// `ln`, `k`, `dps`, `x mod!Pattern` and `!stacks 0 mod` resolve in every module.

#include "kd/kd.h"
#include "mm/sysload.h"
#include "rtl/elf.h"
#include "ps/ps.h"

#define KD_MAX_MODULE_SYMBOLS 1000000   // a larger count is a corrupt header

NTSTATUS PspFindUserProgram(const char *name, const UCHAR **image, SIZE_T *size);

// TRUE when every page of [address, address + length) can be read.
static BOOLEAN KdpIsRangeReadable(ULONG64 address, ULONG64 length)
{
    UCHAR byte;

    if (length == 0 || address + length < address)
        return FALSE;
    for (ULONG64 page = address & ~(PAGE_SIZE - 1); page < address + length; page += PAGE_SIZE) {
        if (!KdpReadMemory(page < address ? address : page, &byte, 1))
            return FALSE;
    }
    return KdpReadMemory(address + length - 1, &byte, 1);
}

// A driver's symbol table from its debug information, checked before the
// pure lookups read it in place; Count stays 0 when it is missing or damaged.
static void KdpReadModuleSymbols(ULONG64 debugInfo, KD_MODULE *module)
{
    NON_PAGED_DEBUG_INFO info;
    char last;

    if (!debugInfo || !KdpReadMemory(debugInfo, &info, sizeof(info)) ||
        info.Signature != MI_DEBUG_INFO_SIGNATURE || info.SymbolCount == 0 ||
        info.SymbolCount > KD_MAX_MODULE_SYMBOLS || info.NamesSize == 0 ||
        !KdpIsRangeReadable((ULONG64)info.Symbols,
                            (ULONG64)info.SymbolCount * sizeof(KSYM_ENTRY)) ||
        !KdpIsRangeReadable((ULONG64)info.Names, info.NamesSize) ||
        !KdpReadMemory((ULONG64)info.Names + info.NamesSize - 1, &last, 1) || last != '\0')
        return;
    module->Symbols.Entries = info.Symbols;
    module->Symbols.Count = info.SymbolCount;
    module->Symbols.Names = info.Names;
    module->Symbols.NamesSize = info.NamesSize;
}

// Reads the entry at `address` into `module`; FALSE if it cannot be read.
static BOOLEAN KdpReadModule(ULONG64 address, KD_MODULE *module)
{
    KLDR_DATA_TABLE_ENTRY entry;
    USHORT length, start = 0, dot;
    WCHAR name[KD_MODULE_NAME_LENGTH];

    memset(module, 0, sizeof(*module));
    if (!KdpReadMemory(address, &entry, sizeof(entry)))
        return FALSE;
    module->Entry = address;
    module->Base = (ULONG64)entry.DllBase;
    module->End = module->Base + entry.SizeOfImage;
    module->Flags = entry.Flags;
    module->LoadCount = entry.LoadCount;
    length = entry.BaseDllName.Length / sizeof(WCHAR);
    if (length >= KD_MODULE_NAME_LENGTH)
        length = KD_MODULE_NAME_LENGTH - 1;
    if (!KdpReadMemory((ULONG64)entry.BaseDllName.Buffer, name, length * sizeof(WCHAR)))
        length = 0;
    for (USHORT i = 0; i < length; i++) {
        WCHAR c = name[i];

        module->ImageName[i] = c >= 0x20 && c < 0x7F ? (char)c : '?';
        if (c == L'\\')
            start = i + 1;
    }
    module->ImageName[length] = '\0';
    if (module->Base == KdpKernelSymbols.ModuleStart) {
        // The kernel is "nt" whatever its file is called, as in WinDbg.
        RtlStringPrintf(module->Name, sizeof(module->Name), "nt");
        module->Symbols = KdpKernelSymbols;
        return TRUE;
    }
    for (dot = start; dot < length && module->ImageName[dot] != '.'; dot++)
        ;
    RtlStringPrintf(module->Name, sizeof(module->Name), "%.*s", (int)(dot - start),
                    module->ImageName + start);
    if (!module->Name[0])
        RtlStringPrintf(module->Name, sizeof(module->Name), "?");
    module->Symbols.ModuleName = module->Name;
    module->Symbols.ModuleStart = module->Base;
    module->Symbols.ModuleEnd = module->End;
    KdpReadModuleSymbols((ULONG64)entry.NonPagedDebugInfo, module);
    return TRUE;
}

typedef struct _KD_MODULE_WALK {
    KD_MODULE_CALLBACK Callback;
    void *Context;
    KD_MODULE Module;
} KD_MODULE_WALK;

static BOOLEAN KdpModuleWalkStep(void *context, ULONG64 link)
{
    KD_MODULE_WALK *walk = context;

    if (!KdpReadModule(link - FIELD_OFFSET(KLDR_DATA_TABLE_ENTRY, InLoadOrderLinks),
                       &walk->Module))
        return TRUE;
    // The table points into the walk's own copy: fix the name up each time.
    if (walk->Module.Symbols.ModuleName != KdpKernelSymbols.ModuleName)
        walk->Module.Symbols.ModuleName = walk->Module.Name;
    return walk->Callback(walk->Context, &walk->Module);
}

BOOLEAN KdpEnumerateModules(KD_MODULE_CALLBACK callback, void *context)
{
    KD_MODULE_WALK walk;

    walk.Callback = callback;
    walk.Context = context;
    return KdpWalkList((ULONG64)&PsLoadedModuleList, "PsLoadedModuleList", KdpModuleWalkStep,
                       &walk);
}

typedef struct _KD_MODULE_SEARCH {
    ULONG64 Address;
    const char *Name;
    size_t NameLength;
    KD_MODULE *Result;
    BOOLEAN Found;
} KD_MODULE_SEARCH;

static BOOLEAN KdpMatchModule(void *context, const KD_MODULE *module)
{
    KD_MODULE_SEARCH *search = context;
    BOOLEAN match;

    if (search->Name) {
        match = strlen(module->Name) == search->NameLength;
        for (size_t i = 0; match && i < search->NameLength; i++)
            match = RtlDowncaseChar(module->Name[i]) == RtlDowncaseChar(search->Name[i]);
    } else {
        match = search->Address >= module->Base && search->Address < module->End;
    }
    if (!match)
        return TRUE;
    *search->Result = *module;
    if (search->Result->Symbols.ModuleName != KdpKernelSymbols.ModuleName)
        search->Result->Symbols.ModuleName = search->Result->Name;
    search->Found = TRUE;
    return FALSE;
}

BOOLEAN KdpFindModuleByAddress(ULONG64 address, KD_MODULE *module)
{
    KD_MODULE_SEARCH search = { address, NULL, 0, module, FALSE };

    // nt without a walk: the common case, and the one that must work even
    // when the list is damaged.
    if (address >= KdpKernelSymbols.ModuleStart && address < KdpKernelSymbols.ModuleEnd) {
        memset(module, 0, sizeof(*module));
        RtlStringPrintf(module->Name, sizeof(module->Name), "nt");
        RtlStringPrintf(module->ImageName, sizeof(module->ImageName), "ntoskrnl.exe");
        module->Base = KdpKernelSymbols.ModuleStart;
        module->End = KdpKernelSymbols.ModuleEnd;
        module->Symbols = KdpKernelSymbols;
        return TRUE;
    }
    KdpEnumerateModules(KdpMatchModule, &search);
    return search.Found;
}

BOOLEAN KdpFindModuleByName(const char *name, size_t length, KD_MODULE *module)
{
    KD_MODULE_SEARCH search = { 0, name, length, module, FALSE };

    KdpEnumerateModules(KdpMatchModule, &search);
    return search.Found;
}

BOOLEAN KdpFormatModuleAddress(ULONG64 address, char *buffer, size_t size)
{
    KD_MODULE module;

    if (KdpFormatCurrentUserSymbol(address, buffer, size, NULL))
        return TRUE;
    if (!KdpFindModuleByAddress(address, &module)) {
        RtlStringPrintf(buffer, size, "0x%llx", (unsigned long long)address);
        return FALSE;
    }
    if (KdpLookupAddress(&module.Symbols, address, NULL))
        KdpFormatSymbol(&module.Symbols, address, buffer, size);
    else
        RtlStringPrintf(buffer, size, "%s+0x%llx", module.Name,
                        (unsigned long long)(address - module.Base));
    return TRUE;
}

void KdpFormatAddressSymbol(ULONG64 address, char *buffer, size_t size)
{
    KdpFormatModuleAddress(address, buffer, size);
}

typedef struct _KD_NAME_SEARCH {
    const char *Name;
    ULONG64 *Value;
    BOOLEAN Found;
} KD_NAME_SEARCH;

static BOOLEAN KdpFindNameInModule(void *context, const KD_MODULE *module)
{
    KD_NAME_SEARCH *search = context;
    const KSYM_ENTRY *entry = KdpLookupName(&module->Symbols, search->Name);

    if (!entry)
        return TRUE;
    *search->Value = entry->Address;
    search->Found = TRUE;
    return FALSE;
}

// "mod!Name" in that module; a bare "Name" in nt, then in each driver in load
// order; a bare module name is its base, as WinDbg evaluates it.
BOOLEAN KdpLookupSymbolValue(const char *name, ULONG64 *value)
{
    KD_NAME_SEARCH search = { name, value, FALSE };
    const char *bang = strchr(name, '!');
    const KSYM_ENTRY *entry;
    KD_MODULE module;

    if (bang) {
        if (!KdpFindModuleByName(name, (size_t)(bang - name), &module))
            return KdpLookupCurrentUserSymbol(name, value, NULL);
        entry = KdpLookupName(&module.Symbols, bang + 1);
        if (!entry)
            return FALSE;
        *value = entry->Address;
        return TRUE;
    }
    entry = KdpLookupName(&KdpKernelSymbols, name);
    if (entry) {
        *value = entry->Address;
        return TRUE;
    }
    if (KdpFindModuleByName(name, strlen(name), &module)) {
        *value = module.Base;
        return TRUE;
    }
    KdpEnumerateModules(KdpFindNameInModule, &search);
    return search.Found;
}

// ---- User programs --------------------------------------------------------------------

typedef struct _KD_USER_SYMBOL_SEARCH {
    ULONG64 Address;
    ULONG64 Best;
    const char *BestName;
    char BestKind;
} KD_USER_SYMBOL_SEARCH;

static void KdpConsiderUserSymbol(void *context, const char *name, ULONG64 value, ULONG64 size,
                                  char kind)
{
    KD_USER_SYMBOL_SEARCH *search = context;

    // The last symbol at or below the address; a global beats a local there.
    if (value > search->Address || (search->BestName && value < search->Best))
        return;
    if (search->BestName && value == search->Best && search->BestKind >= 'A' &&
        search->BestKind <= 'Z')
        return;
    search->Best = value;
    search->BestName = name;
    search->BestKind = kind;
}

BOOLEAN KdpFormatUserSymbol(const char *imageName, ULONG64 address, char *buffer, size_t size,
                            ULONG64 *symbolStart)
{
    KD_USER_SYMBOL_SEARCH search = { address, 0, NULL, 0 };
    char module[KD_MODULE_NAME_LENGTH];
    const char *dot = strchr(imageName, '.');
    const UCHAR *image;
    SIZE_T imageSize;

    RtlStringPrintf(module, sizeof(module), "%.*s",
                    (int)(dot ? (size_t)(dot - imageName) : strlen(imageName)), imageName);
    if (!NT_SUCCESS(PspFindUserProgram(imageName, &image, &imageSize)))
        return FALSE;
    RtlElfEnumerateSymbols(image, imageSize, ~0ULL, KdpConsiderUserSymbol, &search);
    if (!search.BestName)
        return FALSE;
    if (symbolStart)
        *symbolStart = search.Best;
    if (address == search.Best)
        RtlStringPrintf(buffer, size, "%s!%s", module, search.BestName);
    else
        RtlStringPrintf(buffer, size, "%s!%s+0x%llx", module, search.BestName,
                        (unsigned long long)(address - search.Best));
    return TRUE;
}

BOOLEAN KdpFormatCurrentUserSymbol(ULONG64 address, char *buffer, size_t size,
                                   ULONG64 *symbolStart)
{
    char image[PROCESS_IMAGE_NAME_LENGTH + 1];
    ULONG64 process = KdpImplicitProcess();     // `.process`'s, else the thread's

    if (address < KD_USER_IMAGE_BASE || address >= KD_USER_IMAGE_BASE + KD_USER_IMAGE_SPAN ||
        !process || !KdpReadImageName(process, image, sizeof(image)) || !image[0])
        return FALSE;
    return KdpFormatUserSymbol(image, address, buffer, size, symbolStart);
}
