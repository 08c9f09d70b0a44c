// The system image loader: driver images mapped into the driver region,
// relocated, their imports bound to nt's export table, and the
// loaded-module list the debugger reads (docs/drivers.md).
//
// A load is all or nothing: a failure at any step gives back what the
// earlier steps took, so a bad image leaves no entry, pool or page behind.

#include "mm/mi.h"
#include "mm/sysload.h"
#include "kd/kd.h"
#include "rtl/elf.h"

// The export table tools/genexports.py builds from kernel/mm/ntoskrnl.exports.
typedef struct _MI_EXPORT {
    const char *Name;
    ULONG64 Address;
} MI_EXPORT;

extern const ULONG64 MiNtExportCount;
extern const MI_EXPORT MiNtExportTable[];

// A driver's own export table (its NAME.exports, tools/genexports.py
// --driver): the same pairs, relocated, in the image's read-only data, found
// through its dynamic symbol DriverExportTable.
typedef struct _MI_DRIVER_EXPORTS {
    ULONG64 Count;
    MI_EXPORT Entries[];
} MI_DRIVER_EXPORTS;

#define MI_DRIVER_EXPORT_SYMBOL     "DriverExportTable"
#define MI_MAXIMUM_DRIVER_EXPORTS   1024
#define MI_MAXIMUM_IMPORTED_MODULES 8

// A loaded driver's entry, with what the loader keeps beside NT's fields.
typedef struct _MI_MODULE {
    KLDR_DATA_TABLE_ENTRY Entry;
    const MI_DRIVER_EXPORTS *Exports;   // NULL: the driver exports nothing
} MI_MODULE;

// The modules a load binds imports to, besides nt.
typedef struct _MI_IMPORT_CONTEXT {
    ULONG Count;
    KLDR_DATA_TABLE_ENTRY *Modules[MI_MAXIMUM_IMPORTED_MODULES];
} MI_IMPORT_CONTEXT;
extern UCHAR __KernelImageStart[], __KernelImageEnd[];
extern void KiSystemStartup(void);

NTSTATUS PspFindUserProgram(const char *name, const UCHAR **image, SIZE_T *size);

#define MI_MAXIMUM_IMAGE_NAME 32        // the boot archive's name field

LIST_ENTRY PsLoadedModuleList;
KSPIN_LOCK PsLoadedModuleSpinLock;
KMUTEX MmSystemLoadLock;
static KLDR_DATA_TABLE_ENTRY MiNtosEntry;
static WCHAR MiNtosFullName[] = u"\\SystemRoot\\system32\\ntoskrnl.exe";

void MiInitializeLoadedModuleList(void)
{
    InitializeListHead(&PsLoadedModuleList);
    KeInitializeSpinLock(&PsLoadedModuleSpinLock);
    KeInitializeMutex(&MmSystemLoadLock, 0);
    MiNtosEntry.DllBase = __KernelImageStart;
    MiNtosEntry.SizeOfImage = (ULONG)(__KernelImageEnd - __KernelImageStart);
    MiNtosEntry.EntryPoint = (void *)KiSystemStartup;
    RtlInitUnicodeString(&MiNtosEntry.FullDllName, MiNtosFullName);
    RtlInitUnicodeString(&MiNtosEntry.BaseDllName,
                         MiNtosFullName + ARRAYSIZE(MiNtosFullName) - sizeof("ntoskrnl.exe"));
    MiNtosEntry.Flags = LDRP_ENTRY_PROCESSED;
    MiNtosEntry.LoadCount = 1;
    InsertTailList(&PsLoadedModuleList, &MiNtosEntry.InLoadOrderLinks);
}

// nt's export by name: a binary search of the sorted table.
static NTSTATUS MiResolveNtExport(void *context, const char *name, ULONG64 *address)
{
    ULONG64 low = 0, high = MiNtExportCount;

    while (low < high) {
        ULONG64 middle = low + (high - low) / 2;
        int order = strcmp(name, MiNtExportTable[middle].Name);

        if (order == 0) {
            *address = MiNtExportTable[middle].Address;
            return STATUS_SUCCESS;
        }
        if (order < 0)
            high = middle;
        else
            low = middle + 1;
    }
    return STATUS_DRIVER_ENTRYPOINT_NOT_FOUND;
}

static const MI_DRIVER_EXPORTS *MiModuleExports(const KLDR_DATA_TABLE_ENTRY *entry)
{
    if (entry == &MiNtosEntry)
        return NULL;
    return CONTAINING_RECORD(entry, MI_MODULE, Entry)->Exports;
}

// An import: nt's export first, then the exports of a driver already loaded
// (its DriverEntry done), whose module the load then depends on. Called
// with MmSystemLoadLock held, so the list does not change under it.
static NTSTATUS MiResolveImport(void *context, const char *name, ULONG64 *address)
{
    MI_IMPORT_CONTEXT *imports = context;

    if (NT_SUCCESS(MiResolveNtExport(NULL, name, address)))
        return STATUS_SUCCESS;
    for (LIST_ENTRY *link = PsLoadedModuleList.Flink; link != &PsLoadedModuleList;
         link = link->Flink) {
        KLDR_DATA_TABLE_ENTRY *entry =
            CONTAINING_RECORD(link, KLDR_DATA_TABLE_ENTRY, InLoadOrderLinks);
        const MI_DRIVER_EXPORTS *exports = MiModuleExports(entry);
        ULONG i;

        if (!exports || !(entry->Flags & LDRP_ENTRY_PROCESSED))
            continue;
        for (ULONG64 e = 0; e < exports->Count; e++) {
            if (strcmp(name, exports->Entries[e].Name) != 0)
                continue;
            for (i = 0; i < imports->Count && imports->Modules[i] != entry; i++)
                ;
            if (i == imports->Count) {
                if (i == MI_MAXIMUM_IMPORTED_MODULES)
                    return STATUS_INSUFFICIENT_RESOURCES;
                imports->Modules[imports->Count++] = entry;
            }
            *address = exports->Entries[e].Address;
            return STATUS_SUCCESS;
        }
    }
    return STATUS_DRIVER_ENTRYPOINT_NOT_FOUND;
}

// The image's export table, checked: every pointer in it inside the image,
// every name ending there. NULL in *exports when the image has none.
static NTSTATUS MiFindDriverExports(const UCHAR *image, const RTL_ELF_IMAGE_INFO *info,
                                    const MI_DRIVER_EXPORTS **exports)
{
    const MI_DRIVER_EXPORTS *table;
    ULONG64 offset, base = (ULONG64)image, size = info->SizeOfImage;
    NTSTATUS status;

    *exports = NULL;
    status = RtlElfFindDynamicSymbol(image, info, MI_DRIVER_EXPORT_SYMBOL, &offset);
    if (status == STATUS_NOT_FOUND)
        return STATUS_SUCCESS;
    if (!NT_SUCCESS(status))
        return status;
    table = (const MI_DRIVER_EXPORTS *)(image + offset);
    if ((offset & 7) || offset + sizeof(*table) > size ||
        table->Count > MI_MAXIMUM_DRIVER_EXPORTS ||
        offset + sizeof(*table) + table->Count * sizeof(MI_EXPORT) > size)
        return STATUS_INVALID_IMAGE_FORMAT;
    for (ULONG64 i = 0; i < table->Count; i++) {
        ULONG64 name = (ULONG64)table->Entries[i].Name;

        if (name < base || name >= base + size || table->Entries[i].Address < base ||
            table->Entries[i].Address >= base + size ||
            strnlen((const char *)name, base + size - name) == base + size - name)
            return STATUS_INVALID_IMAGE_FORMAT;
    }
    *exports = table;
    return STATUS_SUCCESS;
}

// ---- Names --------------------------------------------------------------------------

// The last path component of `path`, as ASCII in `name`: the archive's name
// for the file. FALSE for an empty name, one too long, or one that is not ASCII.
static BOOLEAN MiImageBaseName(const UNICODE_STRING *path, char *name, SIZE_T size)
{
    USHORT count = path->Length / sizeof(WCHAR), start = 0, length;

    for (USHORT i = 0; i < count; i++) {
        if (path->Buffer[i] == L'\\')
            start = i + 1;
    }
    length = count - start;
    if (length == 0 || length >= size)
        return FALSE;
    for (USHORT i = 0; i < length; i++) {
        WCHAR c = path->Buffer[start + i];

        if (c < 0x20 || c > 0x7E)
            return FALSE;
        name[i] = (char)c;
    }
    name[length] = '\0';
    return TRUE;
}

static BOOLEAN MiSameBaseName(const KLDR_DATA_TABLE_ENTRY *entry, const char *name)
{
    USHORT count = entry->BaseDllName.Length / sizeof(WCHAR);

    if (strlen(name) != count)
        return FALSE;
    for (USHORT i = 0; i < count; i++) {
        WCHAR c = entry->BaseDllName.Buffer[i];

        if (c > 0x7F || RtlDowncaseChar((char)c) != RtlDowncaseChar(name[i]))
            return FALSE;
    }
    return TRUE;
}

// A new entry with its two names in the same block, as NT allocates them:
// FullDllName "\SystemRoot\System32\drivers\NAME" and BaseDllName NAME.
static KLDR_DATA_TABLE_ENTRY *MiCreateModuleEntry(const char *name)
{
    static const char prefix[] = "\\SystemRoot\\System32\\drivers\\";
    SIZE_T prefixLength = sizeof(prefix) - 1, nameLength = strlen(name);
    SIZE_T characters = prefixLength + nameLength + 1;
    KLDR_DATA_TABLE_ENTRY *entry;
    WCHAR *full;
    MI_MODULE *module;

    module = ExAllocatePoolWithTag(NonPagedPool, sizeof(*module) + characters * sizeof(WCHAR),
                                   MI_LOADED_MODULE_TAG);
    if (!module)
        return NULL;
    memset(module, 0, sizeof(*module));
    entry = &module->Entry;
    full = (WCHAR *)(module + 1);
    for (SIZE_T i = 0; i < prefixLength; i++)
        full[i] = (WCHAR)prefix[i];
    for (SIZE_T i = 0; i <= nameLength; i++)
        full[prefixLength + i] = (WCHAR)(UCHAR)name[i];
    entry->FullDllName.Buffer = full;
    entry->FullDllName.Length = (USHORT)((characters - 1) * sizeof(WCHAR));
    entry->FullDllName.MaximumLength = (USHORT)(characters * sizeof(WCHAR));
    entry->BaseDllName.Buffer = full + prefixLength;
    entry->BaseDllName.Length = (USHORT)(nameLength * sizeof(WCHAR));
    entry->BaseDllName.MaximumLength = (USHORT)((nameLength + 1) * sizeof(WCHAR));
    entry->LoadCount = 1;
    entry->Flags = LDRP_LOAD_IN_PROGRESS;
    return entry;
}

// ---- Symbols for the debugger ---------------------------------------------------------

typedef struct _MI_SYMBOL_BUILD {
    NON_PAGED_DEBUG_INFO *Info;     // NULL while counting
    ULONG64 Base;
    ULONG Count;
    ULONG NamesSize;
} MI_SYMBOL_BUILD;

static void MiAddSymbol(void *context, const char *name, ULONG64 value, ULONG64 size, char kind)
{
    MI_SYMBOL_BUILD *build = context;
    SIZE_T length = strlen(name) + 1;

    if (build->Info) {
        KSYM_ENTRY *entry = &build->Info->Symbols[build->Count];

        entry->Address = build->Base + value;
        entry->Size = size > 0xFFFFFFFFULL ? 0xFFFFFFFFU : (ULONG)size;
        entry->NameOffset = build->NamesSize;
        entry->Kind = kind;
        memcpy(build->Info->Names + build->NamesSize, name, length);
    }
    build->Count++;
    build->NamesSize += (ULONG)length;
}

// Heapsort by address: the debugger's lookups binary-search the table.
static void MiSiftDown(KSYM_ENTRY *entries, ULONG root, ULONG count)
{
    for (;;) {
        ULONG child = 2 * root + 1;
        KSYM_ENTRY swap;

        if (child >= count)
            return;
        if (child + 1 < count && entries[child + 1].Address > entries[child].Address)
            child++;
        if (entries[root].Address >= entries[child].Address)
            return;
        swap = entries[root];
        entries[root] = entries[child];
        entries[child] = swap;
        root = child;
    }
}

static void MiSortSymbols(KSYM_ENTRY *entries, ULONG count)
{
    for (ULONG i = count / 2; i-- > 0;)
        MiSiftDown(entries, i, count);
    for (ULONG end = count; end > 1; end--) {
        KSYM_ENTRY swap = entries[0];

        entries[0] = entries[end - 1];
        entries[end - 1] = swap;
        MiSiftDown(entries, 0, end - 1);
    }
}

// The image's symbols, sorted, in one pool block; NULL when it has none
// (a stripped image loads, without names) or the pool is exhausted.
static NON_PAGED_DEBUG_INFO *MiBuildDebugInfo(const UCHAR *file, SIZE_T size, ULONG64 base,
                                              ULONG64 imageSize, NTSTATUS *status)
{
    MI_SYMBOL_BUILD build = { NULL, base, 0, 0 };
    NON_PAGED_DEBUG_INFO *info;
    SIZE_T bytes;

    *status = STATUS_SUCCESS;
    RtlElfEnumerateSymbols(file, size, imageSize, MiAddSymbol, &build);
    if (build.Count == 0)
        return NULL;
    bytes = sizeof(*info) + build.Count * sizeof(KSYM_ENTRY) + build.NamesSize;
    info = ExAllocatePoolWithTag(NonPagedPool, bytes, MI_DEBUG_INFO_TAG);
    if (!info) {
        *status = STATUS_INSUFFICIENT_RESOURCES;
        return NULL;
    }
    info->Signature = MI_DEBUG_INFO_SIGNATURE;
    info->Flags = 0;
    info->Size = (ULONG)bytes;
    info->Symbols = (KSYM_ENTRY *)(info + 1);
    info->Names = (char *)(info->Symbols + build.Count);
    build.Info = info;
    build.Count = 0;
    build.NamesSize = 0;
    RtlElfEnumerateSymbols(file, size, imageSize, MiAddSymbol, &build);
    info->SymbolCount = build.Count;
    info->NamesSize = build.NamesSize;
    MiSortSymbols(info->Symbols, info->SymbolCount);
    return info;
}

// ---- Mapping --------------------------------------------------------------------------

static ULONG MiSegmentProtection(ULONG flags)
{
    if (flags & PF_X)
        return PAGE_EXECUTE_READ;       // code is never writable
    return (flags & PF_W) ? PAGE_READWRITE : PAGE_READONLY;
}

// Each page gets the protection of the segment on it (the parse made sure
// segments sharing a page agree); pages no segment covers and the RELRO
// range (the GOT, once bound) become read-only.
static void MiProtectImage(UCHAR *image, const RTL_ELF_IMAGE_INFO *info)
{
    SIZE_T pages = info->SizeOfImage / PAGE_SIZE;

    MiProtectSystemImagePages(image, pages, PAGE_READONLY);
    for (ULONG i = 0; i < info->SegmentCount; i++) {
        const RTL_ELF_SEGMENT *segment = &info->Segments[i];
        ULONG64 first = ALIGN_DOWN_BY(segment->VirtualAddress, PAGE_SIZE);
        ULONG64 end = ALIGN_UP_BY(segment->VirtualAddress + segment->MemorySize, PAGE_SIZE);

        MiProtectSystemImagePages(image + first, (end - first) / PAGE_SIZE,
                                  MiSegmentProtection(segment->Flags));
    }
    if (info->RelroEnd > info->RelroStart) {
        ULONG64 first = ALIGN_DOWN_BY(info->RelroStart, PAGE_SIZE);
        ULONG64 end = ALIGN_DOWN_BY(info->RelroEnd, PAGE_SIZE);

        if (end > first)
            MiProtectSystemImagePages(image + first, (end - first) / PAGE_SIZE, PAGE_READONLY);
    }
}

static BOOLEAN MiIsModuleListed(const char *name)
{
    for (LIST_ENTRY *link = PsLoadedModuleList.Flink; link != &PsLoadedModuleList;
         link = link->Flink) {
        if (MiSameBaseName(CONTAINING_RECORD(link, KLDR_DATA_TABLE_ENTRY, InLoadOrderLinks),
                           name))
            return TRUE;
    }
    return FALSE;
}

// Maps, relocates and binds the image for `entry`, filling in its image
// fields. On failure nothing it took stays.
static NTSTATUS MiMapSystemImage(KLDR_DATA_TABLE_ENTRY *entry, const char *name,
                                 const UCHAR *file, SIZE_T size)
{
    MI_MODULE *module = CONTAINING_RECORD(entry, MI_MODULE, Entry);
    MI_IMPORT_CONTEXT imports = {0};
    LOAD_IMPORTS *loadedImports = NULL;
    RTL_ELF_IMAGE_INFO info;
    const char *failedName;
    UCHAR *image;
    NTSTATUS status;

    status = RtlElfParseImage(file, size, &info);
    if (!NT_SUCCESS(status))
        return status;
    image = MiAllocateSystemImagePages(info.SizeOfImage / PAGE_SIZE);
    if (!image)
        return STATUS_INSUFFICIENT_RESOURCES;
    RtlElfCopyImage(file, &info, image);
    status = RtlElfRelocateImage(image, &info, (ULONG64)image, MiResolveImport, &imports,
                                 &failedName);
    if (NT_SUCCESS(status))
        status = MiFindDriverExports(image, &info, &module->Exports);
    if (NT_SUCCESS(status) && imports.Count) {
        // NT's LOAD_IMPORTS: the modules this one binds to, each holding a
        // load reference for it until it goes (MmUnloadSystemImage).
        loadedImports = ExAllocatePoolWithTag(NonPagedPool, sizeof(LOAD_IMPORTS) +
                                              imports.Count * sizeof(void *),
                                              MI_LOADED_IMPORTS_TAG);
        if (!loadedImports)
            status = STATUS_INSUFFICIENT_RESOURCES;
    }
    if (NT_SUCCESS(status))
        entry->NonPagedDebugInfo = MiBuildDebugInfo(file, size, (ULONG64)image,
                                                    info.SizeOfImage, &status);
    if (!NT_SUCCESS(status)) {
        if (failedName)
            DbgPrint("MmLoadSystemImage: %s imports %s, which neither nt nor a loaded "
                     "driver exports\n", name, failedName);
        if (loadedImports)
            ExFreePoolWithTag(loadedImports, MI_LOADED_IMPORTS_TAG);
        MiFreeSystemImagePages(image, info.SizeOfImage / PAGE_SIZE);
        return status;
    }
    if (loadedImports) {
        loadedImports->Count = imports.Count;
        for (ULONG i = 0; i < imports.Count; i++) {
            loadedImports->Entry[i] = imports.Modules[i];
            imports.Modules[i]->LoadCount++;
        }
        entry->LoadedImports = loadedImports;
    }
    MiProtectImage(image, &info);
    entry->DllBase = image;
    entry->SizeOfImage = (ULONG)info.SizeOfImage;
    entry->EntryPoint = image + info.EntryPoint;
    return STATUS_SUCCESS;
}

// The load itself; `file` NULL: the image is the archive's file of that name,
// looked up once the name is known not to be loaded already.
static NTSTATUS MiLoadImage(const UNICODE_STRING *imageFileName, const UCHAR *file, SIZE_T size,
                            KLDR_DATA_TABLE_ENTRY **result, void **imageBase)
{
    char name[MI_MAXIMUM_IMAGE_NAME];
    KLDR_DATA_TABLE_ENTRY *entry;
    KIRQL oldIrql;
    NTSTATUS status;

    if (!MiImageBaseName(imageFileName, name, sizeof(name)))
        return STATUS_OBJECT_NAME_INVALID;
    KeWaitForSingleObject(&MmSystemLoadLock, WrExecutive, KernelMode, FALSE, NULL);
    if (MiIsModuleListed(name)) {
        status = STATUS_IMAGE_ALREADY_LOADED;
        goto out;
    }
    if (!file) {
        // The archive holds images in lower case; the module keeps the
        // spelling it was asked for (fltMgr.sys), as NT's ImagePath does.
        char archiveName[MI_MAXIMUM_IMAGE_NAME];

        for (SIZE_T i = 0; i < sizeof(archiveName); i++) {
            archiveName[i] = RtlDowncaseChar(name[i]);
            if (!name[i])
                break;
        }
        status = PspFindUserProgram(archiveName, &file, &size);
        if (!NT_SUCCESS(status))
            goto out;
    }
    entry = MiCreateModuleEntry(name);
    if (!entry) {
        status = STATUS_INSUFFICIENT_RESOURCES;
        goto out;
    }
    status = MiMapSystemImage(entry, name, file, size);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(entry, MI_LOADED_MODULE_TAG);
        goto out;
    }
    KeAcquireSpinLock(&PsLoadedModuleSpinLock, &oldIrql);
    InsertTailList(&PsLoadedModuleList, &entry->InLoadOrderLinks);
    KeReleaseSpinLock(&PsLoadedModuleSpinLock, oldIrql);
    KdNotifyImageLoad();        // before its DriverEntry can run: a bu there fires
    *result = entry;
    if (imageBase)
        *imageBase = entry->DllBase;
out:
    KeReleaseMutex(&MmSystemLoadLock, FALSE);
    return status;
}

NTSTATUS MiLoadSystemImage(const UNICODE_STRING *imageFileName, const UCHAR *file, SIZE_T size,
                           KLDR_DATA_TABLE_ENTRY **entry, void **imageBase)
{
    if (!file)
        return STATUS_INVALID_PARAMETER;
    return MiLoadImage(imageFileName, file, size, entry, imageBase);
}

NTSTATUS MmLoadSystemImage(const UNICODE_STRING *imageFileName, KLDR_DATA_TABLE_ENTRY **entry,
                           void **imageBase)
{
    return MiLoadImage(imageFileName, NULL, 0, entry, imageBase);
}

static BOOLEAN MiIsEntryListed(const KLDR_DATA_TABLE_ENTRY *entry)
{
    for (LIST_ENTRY *link = PsLoadedModuleList.Flink; link != &PsLoadedModuleList;
         link = link->Flink) {
        if (link == &entry->InLoadOrderLinks)
            return TRUE;
    }
    return FALSE;
}

// Off the list, onto `gone` (through the same links), under both locks.
static void MiUnlinkModule(KLDR_DATA_TABLE_ENTRY *entry, LIST_ENTRY *gone)
{
    KIRQL oldIrql;

    KeAcquireSpinLock(&PsLoadedModuleSpinLock, &oldIrql);
    RemoveEntryList(&entry->InLoadOrderLinks);
    KeReleaseSpinLock(&PsLoadedModuleSpinLock, oldIrql);
    InsertTailList(gone, &entry->InLoadOrderLinks);
}

NTSTATUS MmUnloadSystemImage(KLDR_DATA_TABLE_ENTRY *entry)
{
    LIST_ENTRY gone;

    if (entry == &MiNtosEntry)
        return STATUS_INVALID_PARAMETER;
    KeWaitForSingleObject(&MmSystemLoadLock, WrExecutive, KernelMode, FALSE, NULL);
    if (!MiIsEntryListed(entry)) {
        KeReleaseMutex(&MmSystemLoadLock, FALSE);
        return STATUS_NOT_FOUND;
    }
    if (--entry->LoadCount > 0) {
        KeReleaseMutex(&MmSystemLoadLock, FALSE);
        return STATUS_SUCCESS;
    }
    // The module goes, and with it its references on the modules it
    // imported from: one whose last reference that was goes too.
    InitializeListHead(&gone);
    MiUnlinkModule(entry, &gone);
    for (LIST_ENTRY *link = gone.Flink; link != &gone; link = link->Flink) {
        LOAD_IMPORTS *imports = CONTAINING_RECORD(link, KLDR_DATA_TABLE_ENTRY,
                                                  InLoadOrderLinks)->LoadedImports;

        for (SIZE_T i = 0; imports && i < imports->Count; i++) {
            if (--imports->Entry[i]->LoadCount == 0)
                MiUnlinkModule(imports->Entry[i], &gone);
        }
    }
    KeReleaseMutex(&MmSystemLoadLock, FALSE);
    while (!IsListEmpty(&gone)) {
        KLDR_DATA_TABLE_ENTRY *module = CONTAINING_RECORD(RemoveHeadList(&gone),
                                                          KLDR_DATA_TABLE_ENTRY,
                                                          InLoadOrderLinks);

        KdNotifyImageUnload((ULONG64)module->DllBase,
                            (ULONG64)module->DllBase + module->SizeOfImage);
        MiFreeSystemImagePages(module->DllBase, module->SizeOfImage / PAGE_SIZE);
        if (module->NonPagedDebugInfo)
            ExFreePoolWithTag(module->NonPagedDebugInfo, MI_DEBUG_INFO_TAG);
        if (module->LoadedImports)
            ExFreePoolWithTag(module->LoadedImports, MI_LOADED_IMPORTS_TAG);
        ExFreePoolWithTag(CONTAINING_RECORD(module, MI_MODULE, Entry), MI_LOADED_MODULE_TAG);
    }
    return STATUS_SUCCESS;
}

BOOLEAN MmIsSystemImageImported(KLDR_DATA_TABLE_ENTRY *entry)
{
    BOOLEAN imported;

    KeWaitForSingleObject(&MmSystemLoadLock, WrExecutive, KernelMode, FALSE, NULL);
    imported = MiIsEntryListed(entry) && entry->LoadCount > 1;
    KeReleaseMutex(&MmSystemLoadLock, FALSE);
    return imported;
}

KLDR_DATA_TABLE_ENTRY *MmFindLoadedModule(ULONG64 address)
{
    KLDR_DATA_TABLE_ENTRY *found = NULL;
    KIRQL oldIrql;

    KeAcquireSpinLock(&PsLoadedModuleSpinLock, &oldIrql);
    for (LIST_ENTRY *link = PsLoadedModuleList.Flink; link != &PsLoadedModuleList;
         link = link->Flink) {
        KLDR_DATA_TABLE_ENTRY *entry =
            CONTAINING_RECORD(link, KLDR_DATA_TABLE_ENTRY, InLoadOrderLinks);

        if (address >= (ULONG64)entry->DllBase &&
            address - (ULONG64)entry->DllBase < entry->SizeOfImage) {
            found = entry;
            break;
        }
    }
    KeReleaseSpinLock(&PsLoadedModuleSpinLock, oldIrql);
    return found;
}
