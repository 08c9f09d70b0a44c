// In-kernel tests of the system image loader (mm/sysload.c): driver images
// from the boot archive (tests/drivers/) loaded, relocated, bound to nt's
// exports and unloaded, and bad images refused, each with nothing left
// behind (module entries, debug information, image pages).

#include "tests/kernel/ktest.h"
#include "mm/mm.h"
#include "tests/kernel/ktldr.h"
#include "rtl/elf.h"
#include "tests/drivers/tldrok/tldrok.h"

typedef NTSTATUS (*KT_DRIVER_ENTRY)(void *driverObject, UNICODE_STRING *registryPath);

NTSTATUS PspFindUserProgram(const char *name, const UCHAR **image, SIZE_T *size);
extern UCHAR __KernelImageStart[];

#define KT_SYSLOAD_TAG POOL_TAG('K', 't', 'S', 'l')

typedef struct _KT_LOADER_USAGE {
    ULONG Entries;
    ULONG DebugInfos;
    ULONG64 ImagePages;
    PFN_NUMBER KernelImagePages;
} KT_LOADER_USAGE;

static void KtLoaderUsage(KT_LOADER_USAGE *usage)
{
    MM_STATISTICS stats;
    SIZE_T bytes;

    ExQueryPoolTagUsage(MI_LOADED_MODULE_TAG, &usage->Entries, &bytes);
    ExQueryPoolTagUsage(MI_DEBUG_INFO_TAG, &usage->DebugInfos, &bytes);
    usage->ImagePages = MiSystemImagePagesInUse();
    MmQueryStatistics(&stats);
    usage->KernelImagePages = stats.PagesByUsage[MmUsageKernelImage];
}

static BOOLEAN KtLoaderUsageUnchanged(const KT_LOADER_USAGE *before)
{
    KT_LOADER_USAGE now;

    KtLoaderUsage(&now);
    return now.Entries == before->Entries && now.DebugInfos == before->DebugInfos &&
           now.ImagePages == before->ImagePages &&
           now.KernelImagePages == before->KernelImagePages;
}

static BOOLEAN KtIsListed(const KLDR_DATA_TABLE_ENTRY *entry)
{
    for (LIST_ENTRY *link = PsLoadedModuleList.Flink; link != &PsLoadedModuleList;
         link = link->Flink) {
        if (link == &entry->InLoadOrderLinks)
            return TRUE;
    }
    return FALSE;
}

static BOOLEAN KtIsNameListed(const char *name)
{
    return KtFindLoadedModule(name) != NULL;
}

static NTSTATUS KtLoad(const WCHAR *path, KLDR_DATA_TABLE_ENTRY **entry)
{
    UNICODE_STRING name;
    void *base = NULL;

    RtlInitUnicodeString(&name, path);
    return MmLoadSystemImage(&name, entry, &base);
}

// The loaded address of a module's symbol, from its debug information; 0 if none.
static ULONG64 KtModuleSymbol(const KLDR_DATA_TABLE_ENTRY *entry, const char *name)
{
    const NON_PAGED_DEBUG_INFO *info = entry->NonPagedDebugInfo;

    for (ULONG i = 0; info && i < info->SymbolCount; i++) {
        if (!strcmp(info->Names + info->Symbols[i].NameOffset, name))
            return info->Symbols[i].Address;
    }
    return 0;
}

KTEST(LoadedModuleListStartsWithNt)
{
    KLDR_DATA_TABLE_ENTRY *nt = CONTAINING_RECORD(PsLoadedModuleList.Flink,
                                                  KLDR_DATA_TABLE_ENTRY, InLoadOrderLinks);

    KT_EXPECT(!IsListEmpty(&PsLoadedModuleList));
    KT_EXPECT(nt->DllBase == __KernelImageStart);
    KT_EXPECT(nt->SizeOfImage > 0);
    KT_EXPECT(KtIsNameListed("ntoskrnl.exe"));
    KT_EXPECT(MmFindLoadedModule((ULONG64)KtLoaderUsage) == nt);
    KT_EXPECT_EQ(MmUnloadSystemImage(nt), STATUS_INVALID_PARAMETER);
}

KTEST(DriverImageLoadsRelocatedWithItsImportsBound)
{
    UNICODE_STRING registryPath;
    KT_LOADER_USAGE before;
    KLDR_DATA_TABLE_ENTRY *entry = NULL;
    ULONG64 base, count, check;

    KtLoaderUsage(&before);
    KT_EXPECT_EQ(KtLoad(u"\\SystemRoot\\System32\\drivers\\tldrok.sys", &entry), STATUS_SUCCESS);
    base = (ULONG64)entry->DllBase;
    KT_EXPECT(base >= MM_SYSTEM_IMAGE_START &&
              base < MM_SYSTEM_IMAGE_START + MM_SYSTEM_IMAGE_SIZE);
    KT_EXPECT(KtIsListed(entry) && KtIsNameListed("tldrok.sys"));
    KT_EXPECT(MmFindLoadedModule(base + entry->SizeOfImage - 1) == entry);
    KT_EXPECT((ULONG64)entry->EntryPoint - base < entry->SizeOfImage);
    KT_EXPECT_EQ(entry->LoadCount, 1);
    KT_EXPECT(entry->Flags & LDRP_LOAD_IN_PROGRESS);
    count = KtModuleSymbol(entry, "TldrEntryCount");
    check = KtModuleSymbol(entry, "TldrLastCheck");
    KT_EXPECT(count && check &&
              KtModuleSymbol(entry, "DriverEntry") == (ULONG64)entry->EntryPoint);
    KT_EXPECT_EQ(*(ULONG *)count, 0x1000);
    RtlInitUnicodeString(&registryPath, u"\\Registry\\Machine\\System\\CurrentControlSet\\"
                                        u"Services\\tldrok");
    // Every kind of relocation is checked inside: STATUS_SUCCESS or the kind that failed.
    KT_EXPECT_EQ(((KT_DRIVER_ENTRY)entry->EntryPoint)(NULL, &registryPath), STATUS_SUCCESS);
    KT_EXPECT_EQ(*(ULONG *)count, 0x1001);
    KT_EXPECT_EQ(*(NTSTATUS *)check, STATUS_SUCCESS);
    KT_EXPECT_EQ(MmUnloadSystemImage(entry), STATUS_SUCCESS);
    KT_EXPECT(!KtIsNameListed("tldrok.sys"));
    KT_EXPECT(MmFindLoadedModule(base) == NULL);
    KT_EXPECT(KtLoaderUsageUnchanged(&before));
}

// Code executes and is never writable, read-only data is neither, data is
// writable but not executable, and the GOT is read-only once bound (RELRO).
KTEST(DriverImagePagesHaveTheirSectionsProtections)
{
    KLDR_DATA_TABLE_ENTRY *entry = NULL;
    UCHAR *base;

    KT_EXPECT_EQ(KtLoad(u"tldrok.sys", &entry), STATUS_SUCCESS);
    base = entry->DllBase;
    KT_EXPECT_EQ(MiQuerySystemImageProtection(entry->EntryPoint), PAGE_EXECUTE_READ);
    KT_EXPECT_EQ(MiQuerySystemImageProtection((void *)KtModuleSymbol(entry, "TldrGreeting")),
                 PAGE_READONLY);
    KT_EXPECT_EQ(MiQuerySystemImageProtection((void *)KtModuleSymbol(entry, "TldrEntryCount")),
                 PAGE_READWRITE);
    KT_EXPECT_EQ(MiQuerySystemImageProtection((void *)KtModuleSymbol(entry, "TldrScratch")),
                 PAGE_READWRITE);
    KT_EXPECT_EQ(MiQuerySystemImageProtection(base), PAGE_READONLY);       // headers, tables
    KT_EXPECT_EQ(MiQuerySystemImageProtection(base - PAGE_SIZE), PAGE_NOACCESS);  // guard
    KT_EXPECT_EQ(MmUnloadSystemImage(entry), STATUS_SUCCESS);
    KT_EXPECT_EQ(MiQuerySystemImageProtection(base), PAGE_NOACCESS);
}

KTEST(DriverImportingWhatNtDoesNotExportIsRefused)
{
    KT_LOADER_USAGE before;
    KLDR_DATA_TABLE_ENTRY *entry = NULL;

    KtLoaderUsage(&before);
    KT_EXPECT_EQ(KtLoad(u"tldrimp.sys", &entry), STATUS_DRIVER_ENTRYPOINT_NOT_FOUND);
    KT_EXPECT(entry == NULL);
    KT_EXPECT(!KtIsNameListed("tldrimp.sys"));
    KT_EXPECT(KtLoaderUsageUnchanged(&before));
}

KTEST(DriverWhoseEntryFailsUnloadsLeavingNothing)
{
    KT_LOADER_USAGE before;
    KLDR_DATA_TABLE_ENTRY *entry = NULL;
    UNICODE_STRING registryPath;

    KtLoaderUsage(&before);
    RtlInitUnicodeString(&registryPath, u"tldrfail");
    KT_EXPECT_EQ(KtLoad(u"tldrfail.sys", &entry), STATUS_SUCCESS);
    KT_EXPECT_EQ(((KT_DRIVER_ENTRY)entry->EntryPoint)(NULL, &registryPath),
                 STATUS_INSUFFICIENT_RESOURCES);
    KT_EXPECT_EQ(MmUnloadSystemImage(entry), STATUS_SUCCESS);
    KT_EXPECT(!KtIsNameListed("tldrfail.sys"));
    KT_EXPECT(KtLoaderUsageUnchanged(&before));
}

KTEST(SystemImageLoadedTwiceOrUnloadedTwiceFails)
{
    KLDR_DATA_TABLE_ENTRY *entry = NULL, *second = NULL;
    KT_LOADER_USAGE before;

    KtLoaderUsage(&before);
    KT_EXPECT_EQ(KtLoad(u"tldrok.sys", &entry), STATUS_SUCCESS);
    KT_EXPECT_EQ(KtLoad(u"\\Other\\Path\\TLDROK.SYS", &second), STATUS_IMAGE_ALREADY_LOADED);
    KT_EXPECT(second == NULL);
    KT_EXPECT_EQ(MmUnloadSystemImage(entry), STATUS_SUCCESS);
    KT_EXPECT(KtLoaderUsageUnchanged(&before));
    KT_EXPECT_EQ(KtLoad(u"nosuchdriver.sys", &entry), STATUS_OBJECT_NAME_NOT_FOUND);
    KT_EXPECT_EQ(KtLoad(u"\\SystemRoot\\", &entry), STATUS_OBJECT_NAME_INVALID);
    KT_EXPECT_EQ(KtLoad(u"a-name-longer-than-the-archive-allows.sys", &entry),
                 STATUS_OBJECT_NAME_INVALID);
    KT_EXPECT(KtLoaderUsageUnchanged(&before));
}

typedef void (*KT_DAMAGE)(UCHAR *file, SIZE_T *size);

static void KtNotElf(UCHAR *file, SIZE_T *size) { file[1] = 'X'; }
static void KtTruncatedHeader(UCHAR *file, SIZE_T *size) { *size = 40; }
static void KtTruncatedSegments(UCHAR *file, SIZE_T *size) { *size = 0x1100; }
static void KtWrongMachine(UCHAR *file, SIZE_T *size) { ((ELF64_EHDR *)file)->Machine = 3; }
static void KtExecutable(UCHAR *file, SIZE_T *size) { ((ELF64_EHDR *)file)->Type = ET_EXEC; }
static void KtClass32(UCHAR *file, SIZE_T *size) { ((ELF64_EHDR *)file)->Class = 1; }
static void KtHeadersOutside(UCHAR *file, SIZE_T *size) { ((ELF64_EHDR *)file)->PhOff = *size; }
static void KtEntryInData(UCHAR *file, SIZE_T *size) { ((ELF64_EHDR *)file)->Entry = 0x10; }

// Every relocation gets a type the loader does not know.
static void KtUnknownRelocation(UCHAR *file, SIZE_T *size)
{
    ELF64_EHDR *header = (ELF64_EHDR *)file;
    ELF64_SHDR *sections = (ELF64_SHDR *)(file + header->ShOff);

    for (ULONG i = 0; i < header->ShNum; i++) {
        ELF64_RELA *r = (ELF64_RELA *)(file + sections[i].Offset);

        for (ULONG64 j = 0; sections[i].Type == 4 && j < sections[i].Size / sizeof(*r); j++)
            r[j].Info = (r[j].Info & ~0xFFFFFFFFULL) | 37;     // R_X86_64_IRELATIVE
    }
}

// A damaged copy of a good image gets STATUS_INVALID_IMAGE_FORMAT, and the
// failed load leaves nothing.
KTEST(DamagedDriverImagesAreRefusedLeavingNothing)
{
    static const KT_DAMAGE damages[] = {
        KtNotElf, KtTruncatedHeader, KtTruncatedSegments, KtWrongMachine, KtExecutable,
        KtClass32, KtHeadersOutside, KtEntryInData, KtUnknownRelocation,
    };
    const UCHAR *good;
    SIZE_T goodSize;
    UCHAR *copy;
    UNICODE_STRING name;
    KT_LOADER_USAGE before;

    KT_EXPECT_EQ(PspFindUserProgram("tldrok.sys", &good, &goodSize), STATUS_SUCCESS);
    copy = ExAllocatePoolWithTag(NonPagedPool, goodSize, KT_SYSLOAD_TAG);
    KT_EXPECT(copy != NULL);
    RtlInitUnicodeString(&name, u"damaged.sys");
    KtLoaderUsage(&before);
    for (ULONG i = 0; i < ARRAYSIZE(damages); i++) {
        KLDR_DATA_TABLE_ENTRY *entry = NULL;
        SIZE_T size = goodSize;
        NTSTATUS status;

        memcpy(copy, good, goodSize);
        damages[i](copy, &size);
        status = MiLoadSystemImage(&name, copy, size, &entry, NULL);
        if (status != STATUS_INVALID_IMAGE_FORMAT) {
            DbgPrint("damage %u: status %08x\n", i, (ULONG)status);
            if (NT_SUCCESS(status))
                MmUnloadSystemImage(entry);
            ExFreePoolWithTag(copy, KT_SYSLOAD_TAG);
            KT_EXPECT(!"a damaged image was not refused as STATUS_INVALID_IMAGE_FORMAT");
        }
        if (!KtLoaderUsageUnchanged(&before) || KtIsNameListed("damaged.sys")) {
            ExFreePoolWithTag(copy, KT_SYSLOAD_TAG);
            KT_EXPECT(!"a refused image left something behind");
        }
    }
    // The undamaged copy loads from memory just as well.
    {
        KLDR_DATA_TABLE_ENTRY *entry = NULL;

        memcpy(copy, good, goodSize);
        KT_EXPECT_EQ(MiLoadSystemImage(&name, copy, goodSize, &entry, NULL), STATUS_SUCCESS);
        KT_EXPECT_EQ(MmUnloadSystemImage(entry), STATUS_SUCCESS);
    }
    ExFreePoolWithTag(copy, KT_SYSLOAD_TAG);
    KT_EXPECT(KtLoaderUsageUnchanged(&before));
}

KTEST(DriverLoadUnloadCyclesLeaveNothing)
{
    KT_LOADER_USAGE before;

    KtLoaderUsage(&before);
    for (ULONG i = 0; i < 64; i++) {
        KLDR_DATA_TABLE_ENTRY *entry = NULL;

        KT_EXPECT_EQ(KtLoad(u"tldrok.sys", &entry), STATUS_SUCCESS);
        KT_EXPECT_EQ(MmUnloadSystemImage(entry), STATUS_SUCCESS);
        KT_EXPECT_EQ(MmUnloadSystemImage(entry), STATUS_NOT_FOUND);
    }
    KT_EXPECT(KtLoaderUsageUnchanged(&before));
}

// The bugcheck text names the driver at fault: the one holding the trap's
// rip, else the first driver return address on the frame chain; never nt.
KTEST(BugCheckIsChargedToTheDriverAtFault)
{
    KLDR_DATA_TABLE_ENTRY *entry = NULL;
    KTRAP_FRAME frame;
    ULONG64 record[2], address = 0, base = 0, add, multiply;
    char name[32];

    KT_EXPECT_EQ(KtLoad(u"tldrok.sys", &entry), STATUS_SUCCESS);
    add = KtModuleSymbol(entry, "TldrAdd");
    multiply = KtModuleSymbol(entry, "TldrMultiply");
    memset(&frame, 0, sizeof(frame));
    frame.Rip = add + 2;                    // a fault in the driver
    KT_EXPECT(KiFindBugCheckDriver(&frame, &address, name, sizeof(name), &base));
    KT_EXPECT(!strcmp(name, "tldrok.sys"));
    KT_EXPECT_EQ(address, add + 2);
    KT_EXPECT_EQ(base, (ULONG64)entry->DllBase);
    // KeBugCheckEx called from the driver: nt's rip, the driver above it.
    record[0] = 0;
    record[1] = multiply + 5;
    frame.Rip = (ULONG64)KeBugCheckEx;
    frame.Rbp = (ULONG64)record;
    KT_EXPECT(KiFindBugCheckDriver(&frame, &address, name, sizeof(name), &base));
    KT_EXPECT_EQ(address, multiply + 5);
    // nt all the way: no driver named.
    record[1] = (ULONG64)KeBugCheckEx;
    KT_EXPECT(!KiFindBugCheckDriver(&frame, &address, name, sizeof(name), &base));
    KT_EXPECT(!KiPcToDriver((ULONG64)KeBugCheckEx, name, sizeof(name), &base));
    KT_EXPECT_EQ(MmUnloadSystemImage(entry), STATUS_SUCCESS);
    frame.Rip = add + 2;
    frame.Rbp = 0;
    KT_EXPECT(!KiFindBugCheckDriver(&frame, &address, name, sizeof(name), &base));
}

// An unloaded image's addresses are not handed out again at once (another
// processor may still hold a translation of them: no TLB shootdown).
KTEST(UnloadedImageAddressesAreNotReusedAtOnce)
{
    KLDR_DATA_TABLE_ENTRY *entry = NULL;
    ULONG64 first, second;

    KT_EXPECT_EQ(KtLoad(u"tldrok.sys", &entry), STATUS_SUCCESS);
    first = (ULONG64)entry->DllBase;
    KT_EXPECT_EQ(MmUnloadSystemImage(entry), STATUS_SUCCESS);
    KT_EXPECT_EQ(KtLoad(u"tldrok.sys", &entry), STATUS_SUCCESS);
    second = (ULONG64)entry->DllBase;
    KT_EXPECT_EQ(MmUnloadSystemImage(entry), STATUS_SUCCESS);
    KT_EXPECT(second > first);
}
