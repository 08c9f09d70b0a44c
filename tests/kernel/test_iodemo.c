// demo=io's drivers (kernel/drivers/smb, mup, mupflt), loaded on demand as
// the demo loads them: file system drivers named in \FileSystem (the
// services file's Type 2), Mup refusing to load without its transport, an
// open of a UNC path left pending in the transport until IoCancelIrp or the
// transport's unload ends it, and nothing left behind once all three are
// unloaded.

#include "tests/kernel/test_dispatcher.h"
#include "io/io.h"
#include "mm/sysload.h"
#include "ps/ps.h"
#include "kd/kd.h"

#define KT_UNC_PATH u"\\Device\\Mup\\DC005.contoso.com\\PIPE\\lsarpc"
#define KT_MUP_QUERY_TAG POOL_TAG('M', 'u', 'Q', 'p')

static ULONG KtDemoOutstanding(ULONG tag)
{
    ULONG allocations;
    SIZE_T bytes;

    ExQueryPoolTagUsage(tag, &allocations, &bytes);
    return allocations;
}

static DRIVER_OBJECT *KtDemoDriver(const WCHAR *path)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    DRIVER_OBJECT *driver = NULL;

    RtlInitUnicodeString(&name, path);
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE, NULL, NULL);
    if (!NT_SUCCESS(ObReferenceObjectByName(&attributes, IoDriverObjectType, (void **)&driver)))
        return NULL;
    return driver;
}

static BOOLEAN KtDemoDriverExists(const WCHAR *path)
{
    DRIVER_OBJECT *driver = KtDemoDriver(path);

    if (driver)
        ObDereferenceObject(driver);
    return driver != NULL;
}

static volatile NTSTATUS KtUncOpenStatus;

static void KtOpenUncPath(void *context)
{
    UNICODE_STRING path;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK ioStatus;
    HANDLE handle;
    NTSTATUS status;

    RtlInitUnicodeString(&path, KT_UNC_PATH);
    InitializeObjectAttributes(&attributes, &path, 0, NULL, NULL);
    status = IoCreateFile(&handle, GENERIC_READ | SYNCHRONIZE, &attributes, &ioStatus, NULL, 0,
                          FILE_SHARE_READ, FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0,
                          CreateFileTypeNone, NULL, IO_NO_PARAMETER_CHECKING);
    if (NT_SUCCESS(status))
        ObCloseHandle(handle);
    KtUncOpenStatus = status;
}

// The thread's IRP pending in the transport's device, once it is there.
static IRP *KtDemoWaitForPendingIrp(ETHREAD *thread, DEVICE_OBJECT *device)
{
    for (ULONG tries = 0; tries < 500; tries++) {
        IRP *found = NULL;
        KIRQL oldIrql;

        KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);  // the thread cannot change its list now
        for (LIST_ENTRY *entry = thread->IrpList.Flink; entry != &thread->IrpList;
             entry = entry->Flink) {
            IRP *irp = CONTAINING_RECORD(entry, IRP, ThreadListEntry);

            if (irp->CurrentLocation <= irp->StackCount &&
                IoGetCurrentIrpStackLocation(irp)->DeviceObject == device &&
                irp->CancelRoutine)
                found = irp;
        }
        KeLowerIrql(oldIrql);
        if (found)
            return found;
        KtSleep(10);
    }
    return NULL;
}

// Loads the three (and `filter` over them, if given); the open's thread
// started and its query pending in Smb.
static BOOLEAN KtDemoStartWith(const char *filter, ETHREAD **thread, IRP **pending)
{
    DRIVER_OBJECT *smb;

    *thread = NULL;
    *pending = NULL;
    if (IopLoadDriver("Smb") != STATUS_SUCCESS || IopLoadDriver("Mup") != STATUS_SUCCESS ||
        IopLoadDriver("MupFlt") != STATUS_SUCCESS ||
        (filter && IopLoadDriver(filter) != STATUS_SUCCESS))
        return FALSE;
    smb = KtDemoDriver(u"\\Driver\\Smb");
    if (!smb)
        return FALSE;
    KtUncOpenStatus = STATUS_PENDING;
    *thread = KtStartThread(KtOpenUncPath, NULL, NORMAL_BASE_PRIORITY);
    if (*thread)
        *pending = KtDemoWaitForPendingIrp(*thread, smb->DeviceObject);
    ObDereferenceObject(smb);
    return *pending != NULL;
}

static BOOLEAN KtDemoStart(ETHREAD **thread, IRP **pending)
{
    return KtDemoStartWith(NULL, thread, pending);
}

static void KtDemoUnloadAll(void)
{
    KT_CHECK_EQ(IopUnloadDriverByName("MupFlt"), STATUS_SUCCESS);
    KT_CHECK_EQ(IopUnloadDriverByName("Mup"), STATUS_SUCCESS);
    KT_CHECK_EQ(IopUnloadDriverByName("Smb"), STATUS_SUCCESS);
}

KTEST(DemoIoDriversAreFileSystemDriversAndMupNeedsItsTransport)
{
    ULONG entries = KtDemoOutstanding(MI_LOADED_MODULE_TAG);
    ULONG64 pages = MiSystemImagePagesInUse();

    // Without \Device\Smb, Mup's DriverEntry fails and nothing of it stays.
    KT_EXPECT_EQ(IopLoadDriver("Mup"), STATUS_OBJECT_NAME_NOT_FOUND);
    KT_EXPECT(!KtDemoDriverExists(u"\\FileSystem\\Mup"));
    KT_EXPECT_EQ(KtDemoOutstanding(MI_LOADED_MODULE_TAG), entries);
    KT_EXPECT_EQ(MiSystemImagePagesInUse(), pages);

    KT_EXPECT_EQ(IopLoadDriver("Smb"), STATUS_SUCCESS);
    KT_CHECK_EQ(IopLoadDriver("Mup"), STATUS_SUCCESS);
    KT_CHECK_EQ(IopLoadDriver("MupFlt"), STATUS_SUCCESS);
    // Type 2 puts the object in \FileSystem, and a second load finds it there.
    KT_CHECK(KtDemoDriverExists(u"\\FileSystem\\Mup"));
    KT_CHECK(KtDemoDriverExists(u"\\FileSystem\\MupFlt"));
    KT_CHECK(!KtDemoDriverExists(u"\\Driver\\Mup"));
    KT_CHECK(KtDemoDriverExists(u"\\Driver\\Smb"));
    KT_CHECK_EQ(IopLoadDriver("Mup"), STATUS_IMAGE_ALREADY_LOADED);
    KtDemoUnloadAll();
    KT_CHECK(!KtDemoDriverExists(u"\\FileSystem\\Mup"));
    KT_CHECK(!KtDemoDriverExists(u"\\FileSystem\\MupFlt"));
    KT_CHECK(!KtDemoDriverExists(u"\\Driver\\Smb"));
    KT_EXPECT_EQ(KtDemoOutstanding(MI_LOADED_MODULE_TAG), entries);
    KT_EXPECT_EQ(MiSystemImagePagesInUse(), pages);
}

KTEST(DemoIoOpenPendingInTheTransportEndsWhenCancelled)
{
    ULONG entries = KtDemoOutstanding(MI_LOADED_MODULE_TAG);
    ULONG irps = KtDemoOutstanding(IO_IRP_TAG);
    ULONG64 pages = MiSystemImagePagesInUse();
    ETHREAD *thread;
    IRP *pending;
    BOOLEAN started = KtDemoStart(&thread, &pending);

    KT_CHECK(started);
    // Still waiting: the transport never answers on its own.
    KtSleep(50);
    KT_CHECK_EQ(KtUncOpenStatus, STATUS_PENDING);
    KT_CHECK_EQ(KtDemoOutstanding(KT_MUP_QUERY_TAG), 1);
    if (pending)
        KT_CHECK(IoCancelIrp(pending));
    if (thread)
        KT_CHECK(KtJoinThread(thread));
    KT_CHECK_EQ(KtUncOpenStatus, STATUS_CANCELLED);
    KtDemoUnloadAll();
    KT_EXPECT_EQ(KtDemoOutstanding(KT_MUP_QUERY_TAG), 0);
    KT_EXPECT_EQ(KtDemoOutstanding(IO_IRP_TAG), irps);
    KT_EXPECT_EQ(KtDemoOutstanding(MI_LOADED_MODULE_TAG), entries);
    KT_EXPECT_EQ(MiSystemImagePagesInUse(), pages);
}

// The transport's unload ends what it holds, so the opener is not left
// waiting on a driver that is gone; its image stays until Mup lets go.
KTEST(DemoIoTransportUnloadEndsItsPendingRequests)
{
    ULONG entries = KtDemoOutstanding(MI_LOADED_MODULE_TAG);
    ULONG irps = KtDemoOutstanding(IO_IRP_TAG);
    ULONG64 pages = MiSystemImagePagesInUse();
    ETHREAD *thread;
    IRP *pending;
    BOOLEAN started = KtDemoStart(&thread, &pending);

    KT_CHECK(started);
    KT_CHECK_EQ(IopUnloadDriverByName("Smb"), STATUS_SUCCESS);
    if (thread)
        KT_CHECK(KtJoinThread(thread));
    KT_CHECK_EQ(KtUncOpenStatus, STATUS_CANCELLED);
    KT_CHECK_EQ(IopUnloadDriverByName("MupFlt"), STATUS_SUCCESS);
    KT_CHECK_EQ(IopUnloadDriverByName("Mup"), STATUS_SUCCESS);
    KT_EXPECT_EQ(KtDemoOutstanding(KT_MUP_QUERY_TAG), 0);
    KT_EXPECT_EQ(KtDemoOutstanding(IO_IRP_TAG), irps);
    KT_EXPECT_EQ(KtDemoOutstanding(MI_LOADED_MODULE_TAG), entries);
    KT_EXPECT_EQ(MiSystemImagePagesInUse(), pages);
}

static KLDR_DATA_TABLE_ENTRY *KtDemoModule(const WCHAR *name)
{
    UNICODE_STRING wanted;
    KLDR_DATA_TABLE_ENTRY *found = NULL;

    RtlInitUnicodeString(&wanted, name);
    for (LIST_ENTRY *link = PsLoadedModuleList.Flink; link != &PsLoadedModuleList;
         link = link->Flink) {
        KLDR_DATA_TABLE_ENTRY *entry =
            CONTAINING_RECORD(link, KLDR_DATA_TABLE_ENTRY, InLoadOrderLinks);

        if (RtlEqualUnicodeString(&entry->BaseDllName, &wanted, TRUE))
            found = entry;
    }
    return found;
}

// The filter-unload hazard: a legacy filter on top of \Device\Mup
// (tldrlflt.sys) is unloaded while a create it passed down (with its
// completion routine) is pending below it. The open holds a reference on
// the top device across the call, as NT's does, so the filter's device,
// driver and image stay until the create has come back up through its
// completion routine; then they go. (Before: 0x50 in the unloaded image.)
KTEST(FilterUnloadedWithACreateInFlightStaysUntilTheCreateEnds)
{
    ULONG entries = KtDemoOutstanding(MI_LOADED_MODULE_TAG);
    ULONG irps = KtDemoOutstanding(IO_IRP_TAG);
    ULONG64 pages = MiSystemImagePagesInUse();
    ETHREAD *thread;
    IRP *pending;
    BOOLEAN started = KtDemoStartWith("tldrlflt", &thread, &pending);

    KT_CHECK(started);
    KT_CHECK_EQ(IopUnloadDriverByName("tldrlflt"), STATUS_SUCCESS);
    KT_CHECK(!KtDemoDriverExists(u"\\FileSystem\\tldrlflt"));   // its name is gone
    KT_CHECK(KtDemoModule(u"tldrlflt.sys") != NULL);               // its code is not
    KT_CHECK(IoCancelIrp(pending));
    KT_CHECK(KtJoinThread(thread));
    KT_CHECK_EQ(KtUncOpenStatus, STATUS_CANCELLED);
    KT_CHECK(KtDemoModule(u"tldrlflt.sys") == NULL);
    KtDemoUnloadAll();
    KT_EXPECT_EQ(KtDemoOutstanding(KT_MUP_QUERY_TAG), 0);
    KT_EXPECT_EQ(KtDemoOutstanding(IO_IRP_TAG), irps);
    KT_EXPECT_EQ(KtDemoOutstanding(MI_LOADED_MODULE_TAG), entries);
    KT_EXPECT_EQ(MiSystemImagePagesInUse(), pages);
}

// fltMgr.sys hears of Mup registering as a file system and attaches over
// \Device\Mup; mupflt.sys is a minifilter importing fltMgr's routines,
// with an instance there only. The open's stack reads fltMgr!FltpCreate
// over mup!MupCreate, and Mup's unload takes fltMgr's device away again.
KTEST(FilterManagerAttachesOverMupAndMupFltIsItsMinifilter)
{
    ETHREAD *thread;
    IRP *pending;
    DEVICE_OBJECT *mup = NULL, *top;
    DRIVER_OBJECT *mupDriver;
    KLDR_DATA_TABLE_ENTRY *fltmgr = KtDemoModule(u"fltMgr.sys"), *mupflt;
    LOAD_IMPORTS *imports;
    ULONG64 completed = 0;
    BOOLEAN started = KtDemoStart(&thread, &pending);

    KT_CHECK(started && fltmgr != NULL);
    mupDriver = KtDemoDriver(u"\\FileSystem\\Mup");
    KT_CHECK(mupDriver != NULL);
    if (mupDriver) {
        mup = mupDriver->DeviceObject;
        ObDereferenceObject(mupDriver);
    }
    top = mup ? mup->AttachedDevice : NULL;
    KT_CHECK(top != NULL && top->AttachedDevice == NULL);
    KT_CHECK(top && top->DriverObject->DriverStart == fltmgr->DllBase);
    KT_CHECK(top && top->DeviceType == FILE_DEVICE_MULTI_UNC_PROVIDER);
    mupflt = KtDemoModule(u"mupflt.sys");
    KT_CHECK(mupflt != NULL);
    imports = mupflt ? mupflt->LoadedImports : NULL;
    KT_CHECK(imports && imports->Count == 1 && imports->Entry[0] == fltmgr);
    // The minifilter makes fltMgr.sys a module another imports from.
    KT_CHECK(MmIsSystemImageImported(fltmgr));
    KT_CHECK(IoCancelIrp(pending));
    KT_CHECK(KtJoinThread(thread));
    KT_CHECK_EQ(KtUncOpenStatus, STATUS_CANCELLED);
    KT_CHECK(KdpLookupSymbolValue("mupflt!MupFltCreatesCompleted", &completed));
    KT_CHECK(completed && *(volatile LONG *)completed >= 1);   // its post-create ran
    KtDemoUnloadAll();
    KT_CHECK(!MmIsSystemImageImported(fltmgr));
}
