// demo=io: the third case study's I/O hang in miniature, for !irp,
// !irpfind, !devstack, !drvobj, !fileobj, !thread's IRP List and lm. Three
// drivers, each its own image (kernel/drivers/): a transport (smb.sys,
// \Driver\Smb, \Device\Smb) that pends every request and never completes
// one, the multiple UNC provider (mup.sys, \FileSystem\Mup, \Device\Mup)
// and a filter over it (mupflt.sys, \FileSystem\MupFlt). They are
// demand-start services (services.txt), loaded here with IopLoadDriver. A
// System thread opens \Device\Mup\DC005.contoso.com\PIPE\lsarpc: the create
// goes down the Mup stack; Mup, to locate a provider for the path, sends a
// request of its own to the transport on the same thread and waits for it,
// forever. The break-in finds what the case study found: the thread blocked
// in mup!MupLocateUncProviderForPath with two IRPs on its IRP List, the
// create current in Mup under the filter's completion routine (its file
// object names the path), and Mup's query pending in \Driver\Smb.

#include "kd/kd.h"
#include "io/io.h"
#include "ps/ps.h"

#define KD_DEMO_IO_PATH u"\\Device\\Mup\\DC005.contoso.com\\PIPE\\lsarpc"

static ETHREAD *KdDemoIoThread;         // the "svchost" thread that hangs

// The "svchost" thread: opens a UNC path, which goes down the Mup stack.
__attribute__((noinline)) static void KdDemoSvcOpenUncPath(void *context)
{
    UNICODE_STRING path;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK ioStatus;
    HANDLE handle;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(context);
    RtlInitUnicodeString(&path, KD_DEMO_IO_PATH);
    InitializeObjectAttributes(&attributes, &path, 0, NULL, NULL);
    status = IoCreateFile(&handle, GENERIC_READ | SYNCHRONIZE, &attributes, &ioStatus, NULL, 0,
                          FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN,
                          FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0, CreateFileTypeNone, NULL,
                          IO_NO_PARAMETER_CHECKING);
    // Only when the open did not hang in the transport.
    DbgPrint("Demo: the open of the UNC path ended (status %08x)\n", (ULONG)status);
    if (NT_SUCCESS(status))
        ObCloseHandle(handle);
}

// Whether `thread` has an IRP whose current location is in `driver`'s
// device: the transport holds Mup's query. The list is the thread's own;
// at DISPATCH_LEVEL it cannot run (one processor) to change it meanwhile.
static BOOLEAN KdDemoIoPendingIn(ETHREAD *thread, DRIVER_OBJECT *driver)
{
    BOOLEAN found = FALSE;
    KIRQL oldIrql;

    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    for (LIST_ENTRY *entry = thread->IrpList.Flink; entry != &thread->IrpList;
         entry = entry->Flink) {
        IRP *irp = CONTAINING_RECORD(entry, IRP, ThreadListEntry);

        if (irp->CurrentLocation <= irp->StackCount &&
            IoGetCurrentIrpStackLocation(irp)->DeviceObject == driver->DeviceObject)
            found = TRUE;
    }
    KeLowerIrql(oldIrql);
    return found;
}

void KdStartIoDemo(void)
{
    static const char *const services[] = {"Smb", "Mup", "MupFlt"};
    LARGE_INTEGER interval = {.QuadPart = -10LL * 1000 * 10};   // 10 ms
    UNICODE_STRING smbName;
    OBJECT_ATTRIBUTES attributes;
    DRIVER_OBJECT *smb;
    BOOLEAN pending = FALSE;
    NTSTATUS status;

    for (ULONG i = 0; i < ARRAYSIZE(services); i++) {
        status = IopLoadDriver(services[i]);
        if (!NT_SUCCESS(status)) {
            DbgPrint("Demo: cannot load the demo driver %s (status %08x)\n", services[i],
                     (ULONG)status);
            return;
        }
    }
    RtlInitUnicodeString(&smbName, u"\\Driver\\Smb");
    InitializeObjectAttributes(&attributes, &smbName, OBJ_CASE_INSENSITIVE, NULL, NULL);
    status = ObReferenceObjectByName(&attributes, IoDriverObjectType, (void **)&smb);
    if (!NT_SUCCESS(status)) {
        DbgPrint("Demo: \\Driver\\Smb is gone (status %08x)\n", (ULONG)status);
        return;
    }
    status = PsCreateSystemThreadEx(NULL, KdDemoSvcOpenUncPath, NULL, NORMAL_BASE_PRIORITY,
                                    NULL, &KdDemoIoThread);
    if (!NT_SUCCESS(status)) {
        DbgPrint("Demo: cannot start the I/O thread (status %08x)\n", (ULONG)status);
        ObDereferenceObject(smb);
        return;
    }
    // Up to 10 s for the open to reach the transport.
    for (ULONG i = 0; i < 1000 && !pending; i++) {
        pending = KdDemoIoPendingIn(KdDemoIoThread, smb);
        if (!pending)
            KeDelayExecutionThread(KernelMode, FALSE, &interval);
    }
    ObDereferenceObject(smb);
    if (pending)
        DbgPrint("Demo: thread %016llx waits in \\FileSystem\\Mup for an IRP pending in "
                 "\\Driver\\Smb\n", (unsigned long long)(ULONG_PTR)KdDemoIoThread);
    else
        DbgPrint("Demo: the I/O request did not reach \\Driver\\Smb\n");
}
