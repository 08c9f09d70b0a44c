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

    entry = ExAllocatePoolWithTag(NonPagedPool, sizeof(*entry) + characters * sizeof(WCHAR),
                                  MI_LOADED_MODULE_TAG);
    if (!entry)
        return NULL;
    memset(entry, 0, sizeof(*entry));
    full = (WCHAR *)(entry + 1);
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
    status = RtlElfRelocateImage(image, &info, (ULONG64)image, MiResolveNtExport, NULL,
                                 &failedName);
    if (NT_SUCCESS(status))
        entry->NonPagedDebugInfo = MiBuildDebugInfo(file, size, (ULONG64)image,
                                                    info.SizeOfImage, &status);
    if (!NT_SUCCESS(status)) {
        if (failedName)
            DbgPrint("MmLoadSystemImage: %s imports %s, which nt does not export\n", name,
                     failedName);
        MiFreeSystemImagePages(image, info.SizeOfImage / PAGE_SIZE);
        return status;
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

NTSTATUS MmUnloadSystemImage(KLDR_DATA_TABLE_ENTRY *entry)
{
    KIRQL oldIrql;
    BOOLEAN listed = FALSE;

    if (entry == &MiNtosEntry)
        return STATUS_INVALID_PARAMETER;
    KeWaitForSingleObject(&MmSystemLoadLock, WrExecutive, KernelMode, FALSE, NULL);
    for (LIST_ENTRY *link = PsLoadedModuleList.Flink; link != &PsLoadedModuleList;
         link = link->Flink) {
        if (link == &entry->InLoadOrderLinks)
            listed = TRUE;
    }
    if (!listed) {
        KeReleaseMutex(&MmSystemLoadLock, FALSE);
        return STATUS_NOT_FOUND;
    }
    if (--entry->LoadCount > 0) {
        KeReleaseMutex(&MmSystemLoadLock, FALSE);
        return STATUS_SUCCESS;
    }
    KeAcquireSpinLock(&PsLoadedModuleSpinLock, &oldIrql);
    RemoveEntryList(&entry->InLoadOrderLinks);
    KeReleaseSpinLock(&PsLoadedModuleSpinLock, oldIrql);
    KeReleaseMutex(&MmSystemLoadLock, FALSE);
    KdNotifyImageUnload((ULONG64)entry->DllBase, (ULONG64)entry->DllBase + entry->SizeOfImage);
    MiFreeSystemImagePages(entry->DllBase, entry->SizeOfImage / PAGE_SIZE);
    if (entry->NonPagedDebugInfo)
        ExFreePoolWithTag(entry->NonPagedDebugInfo, MI_DEBUG_INFO_TAG);
    ExFreePoolWithTag(entry, MI_LOADED_MODULE_TAG);
    return STATUS_SUCCESS;
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
