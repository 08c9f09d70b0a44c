// Imports between drivers (kernel/mm/sysload.c): tldruse.sys imports
// TldrExpAdd and TldrExpCalls from tldrexp.sys (tldrexp.exports). The
// loader binds them only to a loaded driver's listed exports, records the
// dependency (LoadedImports, a load reference on tldrexp), and the I/O
// manager refuses to unload tldrexp while tldruse is loaded.

#include "tests/kernel/ktest.h"
#include "tests/kernel/ktldr.h"
#include "io/io.h"
#include "kd/kd.h"

static ULONG KtImportTagCount(ULONG tag)
{
    ULONG allocations;
    SIZE_T bytes;

    ExQueryPoolTagUsage(tag, &allocations, &bytes);
    return allocations;
}

KTEST(DriverImportsBindOnlyToALoadedDriversExports)
{
    ULONG modules = KtImportTagCount(MI_LOADED_MODULE_TAG);
    ULONG importBlocks = KtImportTagCount(MI_LOADED_IMPORTS_TAG);
    ULONG64 pages = MiSystemImagePagesInUse();
    KLDR_DATA_TABLE_ENTRY *exporter, *importer;
    LOAD_IMPORTS *imports;
    ULONG64 sum = 0, seen = 0, add = 0;

    // Its exporter not loaded: the import is nobody's.
    KT_EXPECT_EQ(IopLoadDriver("tldruse"), STATUS_DRIVER_ENTRYPOINT_NOT_FOUND);
    KT_EXPECT(KtFindLoadedModule("tldruse.sys") == NULL);
    KT_EXPECT_EQ(IopLoadDriver("tldrexp"), STATUS_SUCCESS);
    exporter = KtFindLoadedModule("tldrexp.sys");
    KT_EXPECT(exporter != NULL);
    KT_EXPECT_EQ(exporter->LoadCount, 1);
    // A routine tldrexp has but does not list.
    KT_EXPECT_EQ(IopLoadDriver("tldrhid"), STATUS_DRIVER_ENTRYPOINT_NOT_FOUND);
    KT_EXPECT(KtFindLoadedModule("tldrhid.sys") == NULL);
    KT_EXPECT_EQ(exporter->LoadCount, 1);

    KT_EXPECT_EQ(IopLoadDriver("tldruse"), STATUS_SUCCESS);
    importer = KtFindLoadedModule("tldruse.sys");
    KT_EXPECT(importer != NULL);
    imports = importer->LoadedImports;
    KT_EXPECT(imports != NULL && imports->Count == 1 && imports->Entry[0] == exporter);
    KT_EXPECT_EQ(exporter->LoadCount, 2);
    KT_EXPECT(KdpLookupSymbolValue("tldruse!TldrUseSum", &sum));
    KT_EXPECT(KdpLookupSymbolValue("tldruse!TldrUseCallsSeen", &seen));
    KT_EXPECT(KdpLookupSymbolValue("tldrexp!TldrExpAdd", &add));
    KT_EXPECT_EQ(*(ULONG *)sum, 42);            // the call went to tldrexp
    KT_EXPECT_EQ(*(LONG *)seen, 1);             // and its data was read through the import
    KT_EXPECT(add >= (ULONG64)exporter->DllBase &&
              add < (ULONG64)exporter->DllBase + exporter->SizeOfImage);

    // Not while tldruse imports from it.
    KT_EXPECT_EQ(IopUnloadDriverByName("tldrexp"), STATUS_INVALID_DEVICE_REQUEST);
    KT_EXPECT(KtFindLoadedModule("tldrexp.sys") == exporter);
    KT_EXPECT_EQ(IopUnloadDriverByName("tldruse"), STATUS_SUCCESS);
    KT_EXPECT(KtFindLoadedModule("tldruse.sys") == NULL);
    KT_EXPECT_EQ(exporter->LoadCount, 1);
    KT_EXPECT_EQ(IopUnloadDriverByName("tldrexp"), STATUS_SUCCESS);
    KT_EXPECT(KtFindLoadedModule("tldrexp.sys") == NULL);
    KT_EXPECT_EQ(KtImportTagCount(MI_LOADED_MODULE_TAG), modules);
    KT_EXPECT_EQ(KtImportTagCount(MI_LOADED_IMPORTS_TAG), importBlocks);
    KT_EXPECT_EQ(MiSystemImagePagesInUse(), pages);
}
