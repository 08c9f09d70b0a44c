// The shipped file-system drivers in a booted kernel: the RAM file system,
// KSecDD, the filter manager and the example minifilter (docs/filesystem.md).
// The first three are boot drivers (kernel/drivers/services.txt) and stay (a
// file system is not unloaded); the user-mode program tramfs drives them
// through the Nt*File services, with the pool leak check around it. The
// minifilter is loaded and unloaded here, and must leave nothing.

#include "tests/kernel/ktuser.h"
#include "io/io.h"
#include "ob/ob.h"
#include "tests/kernel/ktldr.h"
#include "kd/kd.h"
#include "lpc/lpcp.h"
#include "tests/kernel/test_dispatcher.h"

// The boot drivers RamFs, KSecDD and FltMgr (kernel/drivers/services.txt)
// are loaded: their devices are there.
static BOOLEAN KtFsBootDriversLoaded(void)
{
    static const WCHAR *const devices[] = {u"\\Device\\RamVolume0", u"\\Device\\KsecDD",
                                           u"\\Device\\FltMgr"};

    for (ULONG i = 0; i < ARRAYSIZE(devices); i++) {
        UNICODE_STRING name;
        OBJECT_ATTRIBUTES attributes;
        void *device;

        RtlInitUnicodeString(&name, devices[i]);
        InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE, NULL, NULL);
        if (!NT_SUCCESS(ObReferenceObjectByName(&attributes, IoDeviceObjectType, &device)))
            return FALSE;
        ObDereferenceObject(device);
    }
    return TRUE;
}

// The address of a loaded driver's global, by its symbol; 0 if none.
static ULONG64 KtFsSymbol(const KLDR_DATA_TABLE_ENTRY *entry, const char *name)
{
    const NON_PAGED_DEBUG_INFO *info = entry->NonPagedDebugInfo;

    for (ULONG i = 0; info && i < info->SymbolCount; i++) {
        if (!strcmp(info->Names + info->Symbols[i].NameOffset, name))
            return info->Symbols[i].Address;
    }
    return 0;
}

// Opens a name on the RAM volume as a kernel caller and closes it again.
static NTSTATUS KtFsOpenAndClose(const WCHAR *path)
{
    UNICODE_STRING name;
    FILE_OBJECT *fileObject;
    DEVICE_OBJECT *deviceObject;
    NTSTATUS status;

    RtlInitUnicodeString(&name, path);
    status = IoGetDeviceObjectPointer(&name, FILE_READ_ATTRIBUTES, &fileObject, &deviceObject);
    if (NT_SUCCESS(status))
        ObDereferenceObject(fileObject);
    return status;
}

KTEST(RamFsUserProgramDrivesTheVolume)
{
    KT_EXPECT(KtFsBootDriversLoaded());
    KtExpectUserTestsPass("tramfs");
}

// The example minifilter sees each create before and after the file
// system, and once unloaded leaves no filter, no pool and no module.
KTEST(MiniFilterSeesCreatesAndUnloadsCleanly)
{
    volatile LONG *pre, *post;
    KLDR_DATA_TABLE_ENTRY *entry;
    ULONG before, after;
    LARGE_INTEGER tick = {.QuadPart = -10 * 10000};

    KT_EXPECT(KtFsBootDriversLoaded());
    // A first open, so that whatever the volume keeps for opens is made.
    KT_EXPECT_EQ(KtFsOpenAndClose(u"\\??\\R:\\tests\\fox.txt"), STATUS_SUCCESS);
    KtTakePoolSnapshot();
    KT_EXPECT_EQ(IopLoadDriver("OpenLog"), STATUS_SUCCESS);
    entry = KtFindLoadedModule("openlog.sys");
    KT_EXPECT(entry != NULL);
    pre = (volatile LONG *)KtFsSymbol(entry, "OpenLogPreCreateCount");
    post = (volatile LONG *)KtFsSymbol(entry, "OpenLogPostCreateCount");
    KT_EXPECT(pre && post && *pre == 0 && *post == 0);
    KT_EXPECT_EQ(KtFsOpenAndClose(u"\\??\\R:\\tests\\fox.txt"), STATUS_SUCCESS);
    KT_EXPECT_EQ(*pre, 1);
    KT_EXPECT_EQ(*post, 1);
    // A failed open is seen too, after as before.
    KT_EXPECT_EQ(KtFsOpenAndClose(u"\\??\\R:\\tests\\missing.txt"),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    KT_EXPECT_EQ(*pre, 2);
    KT_EXPECT_EQ(*post, 2);
    KT_EXPECT_EQ(IopUnloadDriverByName("OpenLog"), STATUS_SUCCESS);
    // The image goes in a worker once the driver object has gone.
    for (ULONG i = 0; i < 100 && KtFindLoadedModule("openlog.sys"); i++)
        KeDelayExecutionThread(KernelMode, FALSE, &tick);
    KT_EXPECT(KtFindLoadedModule("openlog.sys") == NULL);
    // Unregistered: creates no longer call it (its image is gone).
    KT_EXPECT_EQ(KtFsOpenAndClose(u"\\??\\R:\\tests\\fox.txt"), STATUS_SUCCESS);
    KT_EXPECT_EQ(KtFindPoolDifference(&before, &after), 0);
    // And it loads again.
    KT_EXPECT_EQ(IopLoadDriver("OpenLog"), STATUS_SUCCESS);
    KT_EXPECT_EQ(IopUnloadDriverByName("OpenLog"), STATUS_SUCCESS);
    for (ULONG i = 0; i < 100 && KtFindLoadedModule("openlog.sys"); i++)
        KeDelayExecutionThread(KernelMode, FALSE, &tick);
    KT_EXPECT_EQ(KtFindPoolDifference(&before, &after), 0);
}

// KSecDD answers its one request and refuses anything else, with a status.
KTEST(KsecddRefusesWhatIsNotItsRequest)
{
    UNICODE_STRING name;
    FILE_OBJECT *fileObject;
    DEVICE_OBJECT *deviceObject;
    IO_STATUS_BLOCK ioStatus;
    UCHAR input[8] = {0}, output[16];
    KEVENT event;
    IRP *irp;
    NTSTATUS status;

    KT_EXPECT(KtFsBootDriversLoaded());
    RtlInitUnicodeString(&name, u"\\Device\\KsecDD");
    KT_EXPECT_EQ(IoGetDeviceObjectPointer(&name, FILE_READ_DATA, &fileObject, &deviceObject),
                 STATUS_SUCCESS);
    // Too short an input, then an unknown code.
    for (ULONG i = 0; i < 2; i++) {
        KeInitializeEvent(&event, NotificationEvent, FALSE);
        irp = IoBuildDeviceIoControlRequest(i == 0 ? CTL_CODE(FILE_DEVICE_KSEC, 0x801,
                                                              METHOD_BUFFERED, FILE_ANY_ACCESS)
                                                   : CTL_CODE(FILE_DEVICE_KSEC, 0x8FF,
                                                              METHOD_BUFFERED, FILE_ANY_ACCESS),
                                            deviceObject, input, sizeof(input), output,
                                            sizeof(output), TRUE, &event, &ioStatus);
        KT_EXPECT(irp != NULL);
        status = IoCallDriver(deviceObject, irp);
        if (status == STATUS_PENDING) {
            KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
            status = ioStatus.Status;
        }
        KT_EXPECT_EQ(status, i == 0 ? STATUS_INVALID_PARAMETER : STATUS_INVALID_DEVICE_REQUEST);
    }
    ObDereferenceObject(fileObject);
}

// ---- The case study's stack ----

// The first ETHREAD of a process (its only one here), or NULL.
static ETHREAD *KtFsFirstThread(EPROCESS *process)
{
    if (IsListEmpty(&process->ThreadListHead))
        return NULL;
    return CONTAINING_RECORD(process->ThreadListHead.Flink, ETHREAD, ThreadListEntry);
}

// Whether the formatted call sites hold `names` in that order (innermost first).
static BOOLEAN KtFsStackReads(char sites[][96], ULONG count, const char *const *names,
                              ULONG nameCount)
{
    ULONG next = 0;

    for (ULONG i = 0; i < count && next < nameCount; i++) {
        size_t length = strlen(names[next]);

        if (!strncmp(sites[i], names[next], length) && sites[i][length] == '+')
            next++;
    }
    return next == nameCount;
}

// A thread opening the encrypted file while the LSA does not answer (the
// program "tramfs standin" holds \LsaAuthenticationPort, accepts KSecDD's
// connection and never replies) waits with the first case study's stack: in WrLpcReply, under KSecDD's
// request, the file system's post-create step, the filter manager's create
// and the open itself. Once the stand-in goes, its port goes and the
// opener's wait ends.
KTEST(EncryptedOpenWaitsForLsassWithTheCaseStudysStack)
{
    static const char *const frames[] = {
        "nt!KeWaitForSingleObject", "nt!LpcRequestWaitReplyPort", "KSecDD!EfspDecryptFek",
        "KSecDD!EfsDecryptFek",
        "ramfs!RamFsEfsPostCreate", "ramfs!RamFsFsdCreate",
        "fltMgr!FltpLegacyProcessingAfterPreCallbacksCompleted", "fltMgr!FltpCreate",
        "nt!IopParseDevice", "nt!NtCreateFile",
    };
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    EPROCESS *standin = NULL, *opener = NULL;
    ETHREAD *thread = NULL;
    KD_STACK_START start;
    ULONG64 sites[48];
    static char text[48][96];
    const char *why;
    void *port = NULL;
    ULONG count = 0, irps = 0, creates = 0, controls = 0;
    BOOLEAN stackReads, kernelConnection = FALSE;

    KT_EXPECT(KtFsBootDriversLoaded());
    RtlInitUnicodeString(&name, u"\\LsaAuthenticationPort");
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    KT_EXPECT(NT_SUCCESS(PsStartUserProgram("tramfs", "tramfs standin", &standin)));
    for (int i = 0; i < 500 && !port; i++) {
        if (!NT_SUCCESS(ObReferenceObjectByName(&attributes, LpcPortObjectType, &port)))
            KtSleep(10);
    }
    if (!port || !NT_SUCCESS(PsStartUserProgram("tramfs", "tramfs keywait", &opener))) {
        // The stand-in must not keep the LSA's name for the tests after.
        PsTerminateProcess(standin, STATUS_SUCCESS);
        ObDereferenceObject(standin);
        if (port)
            ObDereferenceObject(port);
        KT_EXPECT(!"the stand-in's port and the opener");
    }
    ObDereferenceObject(port);
    // The opener's thread, once it waits for the LSA's reply.
    for (int i = 0; i < 1000; i++) {
        thread = KtFsFirstThread(opener);
        if (thread && thread->Tcb.State == Waiting && thread->Tcb.WaitReason == WrLpcReply)
            break;
        thread = NULL;
        KtSleep(10);
    }
    if (thread && KdpGetThreadStackStart((ULONG64)thread, FALSE, &start, &why))
        count = KdpCollectCallSites(&start, sites, ARRAYSIZE(sites));
    for (ULONG i = 0; i < count; i++)
        KdpFormatModuleAddress(sites[i], text[i], sizeof(text[i]));
    stackReads = KtFsStackReads(text, count, frames, ARRAYSIZE(frames));
    if (!stackReads) {
        for (ULONG i = 0; i < count; i++)
            DbgPrint("KTEST: frame %u %s\n", i, text[i]);
    }
    // It waits through KSecDD's own connection, made from kernel mode: a
    // client port with no handle and one reference (the connection's: the
    // waiting request holds none, Handles 0 References 1 as in the case
    // study), the System process's, connected to a server communication
    // port.
    if (thread) {
        KIRQL oldIrql = LpcpAcquireLock();
        LPCP_PORT_OBJECT *client =
            (LPCP_PORT_OBJECT *)((ULONG_PTR)thread->LpcWaitingOnPort & ~LPCP_THREAD_FLAGS);
        LPCP_PORT_OBJECT *server = client ? client->ConnectedPort : NULL;

        kernelConnection =
            ((ULONG_PTR)thread->LpcWaitingOnPort & LPCP_THREAD_FLAG_IS_PORT) &&
            (client->Flags & LPCP_PORT_TYPE_MASK) == LPCP_CLIENT_PORT && server &&
            (server->Flags & LPCP_PORT_TYPE_MASK) == LPCP_COMMUNICATION_PORT &&
            ObGetObjectHandleCount(client) == 0 && ObGetObjectPointerCount(client) == 1 &&
            client->MappingProcess == PsInitialSystemProcess;
        LpcpReleaseLock(oldIrql);
    }
    // Its IRP list, as the case study's !thread shows it: the create, and
    // KSecDD's device control.
    for (LIST_ENTRY *entry = thread ? thread->IrpList.Flink : NULL;
         entry && entry != &thread->IrpList; entry = entry->Flink) {
        IRP *irp = CONTAINING_RECORD(entry, IRP, ThreadListEntry);

        irps++;
        if (irp->Flags & IRP_CREATE_OPERATION)
            creates++;
        else if (IoGetCurrentIrpStackLocation(irp)->MajorFunction ==
                 IRP_MJ_INTERNAL_DEVICE_CONTROL)
            controls++;
    }
    // Whatever was seen, the stand-in ends: its port goes, and the opener's
    // wait with it.
    KT_EXPECT(NT_SUCCESS(PsTerminateProcess(standin, STATUS_SUCCESS)));
    KT_EXPECT_EQ(KeWaitForSingleObject(&standin->Pcb, Executive, KernelMode, FALSE,
                                       &(LARGE_INTEGER){.QuadPart = -10000LL * 10000}),
                 STATUS_WAIT_0);
    KT_EXPECT_EQ(KeWaitForSingleObject(&opener->Pcb, Executive, KernelMode, FALSE,
                                       &(LARGE_INTEGER){.QuadPart = -10000LL * 10000}),
                 STATUS_WAIT_0);
    KT_EXPECT(opener->ExitStatus != STATUS_SUCCESS);
    KT_EXPECT(thread != NULL);
    KT_EXPECT(stackReads);
    KT_EXPECT(kernelConnection);
    KT_EXPECT(irps == 2 && creates == 1 && controls == 1);
    ObDereferenceObject(opener);
    ObDereferenceObject(standin);
}
