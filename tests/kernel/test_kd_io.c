// !drvobj, !devobj, !devstack, !irp, !irpfind, !thread's IRP List and dt
// read against a device stack built with the I/O manager's own routines: a
// device driver (\Driver\KtKdLow, device \Device\KtKdLow) that pends every
// device-control request, a filter (\FileSystem\KtKdFilt) attached on top
// that passes it down with a completion routine, and a thread that issued
// one request and waits for it. Every command's output is checked field by
// field; then the stack is taken down and nothing may be left in the pool.

#include "tests/kernel/ktkd.h"
#include "kd/kdio.h"
#include "io/io.h"

#define KT_KDIO_IOCTL     CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define KT_KDIO_EXTENSION 0x40

typedef struct _KT_KDIO_SCENE {
    DRIVER_OBJECT *LowDriver;
    DRIVER_OBJECT *FilterDriver;
    DEVICE_OBJECT *Low;
    DEVICE_OBJECT *Filter;
    IRP *Pending;                   // the low driver holds it
    ETHREAD *Issuer;
    KEVENT Done;                    // the issuer's request completed
    KEVENT Held;                    // the low driver has the IRP
    IO_STATUS_BLOCK IoStatus;
    ULONG Buffer;
    NTSTATUS CallStatus;
} KT_KDIO_SCENE;

static KT_KDIO_SCENE KtKdIoScene;

static NTSTATUS KtKdIoLowDeviceControl(DEVICE_OBJECT *device, IRP *irp)
{
    UNREFERENCED_PARAMETER(device);
    IoMarkIrpPending(irp);
    KtKdIoScene.Pending = irp;
    KeSetEvent(&KtKdIoScene.Held, 0, FALSE);
    return STATUS_PENDING;
}

static NTSTATUS KtKdIoFilterCompletion(DEVICE_OBJECT *device, IRP *irp, void *context)
{
    UNREFERENCED_PARAMETER(device);
    UNREFERENCED_PARAMETER(context);
    if (irp->PendingReturned)
        IoMarkIrpPending(irp);
    return STATUS_SUCCESS;
}

static NTSTATUS KtKdIoFilterDeviceControl(DEVICE_OBJECT *device, IRP *irp)
{
    DEVICE_OBJECT *lower = *(DEVICE_OBJECT **)device->DeviceExtension;

    IoCopyCurrentIrpStackLocationToNext(irp);
    IoSetCompletionRoutine(irp, KtKdIoFilterCompletion, device, TRUE, TRUE, TRUE);
    return IoCallDriver(lower, irp);
}

static NTSTATUS KtKdIoLowEntry(DRIVER_OBJECT *driver, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name;

    UNREFERENCED_PARAMETER(registryPath);
    KtKdIoScene.LowDriver = driver;
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = KtKdIoLowDeviceControl;
    RtlInitUnicodeString(&name, u"\\Device\\KtKdLow");
    return IoCreateDevice(driver, KT_KDIO_EXTENSION, &name, FILE_DEVICE_UNKNOWN,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &KtKdIoScene.Low);
}

static NTSTATUS KtKdIoFilterEntry(DRIVER_OBJECT *driver, UNICODE_STRING *registryPath)
{
    UNREFERENCED_PARAMETER(registryPath);
    KtKdIoScene.FilterDriver = driver;
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = KtKdIoFilterDeviceControl;
    return IoCreateDevice(driver, sizeof(DEVICE_OBJECT *), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE,
                          &KtKdIoScene.Filter);
}

static void KtKdIoIssuer(void *context)
{
    KT_KDIO_SCENE *scene = context;
    IRP *irp = IoBuildDeviceIoControlRequest(KT_KDIO_IOCTL, scene->Filter, &scene->Buffer,
                                             sizeof(scene->Buffer), &scene->Buffer,
                                             sizeof(scene->Buffer), FALSE, &scene->Done,
                                             &scene->IoStatus);

    if (!irp) {
        scene->CallStatus = STATUS_INSUFFICIENT_RESOURCES;
        KeSetEvent(&scene->Held, 0, FALSE);
        return;
    }
    scene->CallStatus = IoCallDriver(scene->Filter, irp);
    if (scene->CallStatus == STATUS_PENDING)
        KeWaitForSingleObject(&scene->Done, Executive, KernelMode, FALSE, NULL);
}

static BOOLEAN KtKdIoBuild(KT_KDIO_SCENE *scene)
{
    UNICODE_STRING lowName, filterName;

    memset(scene, 0, sizeof(*scene));
    KeInitializeEvent(&scene->Done, NotificationEvent, FALSE);
    KeInitializeEvent(&scene->Held, NotificationEvent, FALSE);
    RtlInitUnicodeString(&lowName, u"\\Driver\\KtKdLow");
    RtlInitUnicodeString(&filterName, u"\\FileSystem\\KtKdFilt");
    if (!NT_SUCCESS(IoCreateDriver(&lowName, KtKdIoLowEntry)) || !scene->Low ||
        !NT_SUCCESS(IoCreateDriver(&filterName, KtKdIoFilterEntry)) || !scene->Filter)
        return FALSE;
    *(DEVICE_OBJECT **)scene->Filter->DeviceExtension =
        IoAttachDeviceToDeviceStack(scene->Filter, scene->Low);
    if (!*(DEVICE_OBJECT **)scene->Filter->DeviceExtension)
        return FALSE;
    scene->Issuer = KtStartThread(KtKdIoIssuer, scene, KT_HIGH_PRIORITY);
    if (!scene->Issuer)
        return FALSE;
    KeWaitForSingleObject(&scene->Held, Executive, KernelMode, FALSE, NULL);
    return scene->Pending && KtWaitUntilWaitingOn(scene->Issuer, &scene->Done);
}

static void KtKdIoTearDown(KT_KDIO_SCENE *scene)
{
    if (scene->Pending) {
        scene->Pending->IoStatus.Status = STATUS_SUCCESS;
        IoCompleteRequest(scene->Pending, IO_NO_INCREMENT);
    }
    if (scene->Issuer)
        KtJoinThread(scene->Issuer);
    if (scene->Filter && *(DEVICE_OBJECT **)scene->Filter->DeviceExtension)
        IoDetachDevice(scene->Low);
    if (scene->FilterDriver)
        IoDeleteDriver(scene->FilterDriver);
    if (scene->LowDriver)
        IoDeleteDriver(scene->LowDriver);
    memset(scene, 0, sizeof(*scene));
}

KTEST(KdDriverAndDeviceCommandsShowTheStack)
{
    KT_KDIO_SCENE *scene = &KtKdIoScene;

    if (KtKdIoBuild(scene)) {
        unsigned long long low = KT_KD_ADDRESS(scene->Low), filter = KT_KD_ADDRESS(scene->Filter);

        KtKdRun("!drvobj KtKdLow");
        KtKdExpect("Driver object (%016llx) is for:\n \\Driver\\KtKdLow\n\n"
                   "Driver Extension List: (id , addr)\n\nDevice Object list:\n%016llx  \n",
                   KT_KD_ADDRESS(scene->LowDriver), low);
        KtKdRun("!drvobj \\FileSystem\\KtKdFilt 3");
        KtKdExpect("Device Object list:\n%016llx  \n\n", filter);
        KtKdExpect("DriverUnload:  00000000\t\n");
        KtKdExpect("\nDispatch routines:\n[00] IRP_MJ_CREATE                      %016llx\t"
                   "nt!IopInvalidDeviceRequest\n", KT_KD_ADDRESS(IopInvalidDeviceRequest));
        KtKdExpect("[0e] IRP_MJ_DEVICE_CONTROL              %016llx\t"
                   "nt!KtKdIoFilterDeviceControl\n",
                   KT_KD_ADDRESS(KtKdIoFilterDeviceControl));
        KtKdExpect("[1b] IRP_MJ_PNP                         %016llx\t"
                   "nt!IopInvalidDeviceRequest\n", KT_KD_ADDRESS(IopInvalidDeviceRequest));
        KtKdRunf("!drvobj %llx 5", KT_KD_ADDRESS(scene->LowDriver));
        KtKdExpect("\nDevice object (%016llx) is for:\n", low);

        KtKdRun("!devobj KtKdLow");
        KtKdExpect("Device object (%016llx) is for:\n KtKdLow \\Driver\\KtKdLow DriverObject "
                   "%016llx\nCurrent Irp 00000000 RefCount %d Type %08x Flags %08x\n",
                   low, KT_KD_ADDRESS(scene->LowDriver), scene->Low->ReferenceCount,
                   FILE_DEVICE_UNKNOWN, scene->Low->Flags);
        KtKdExpect("DevExt %016llx DevObjExt %016llx \n",
                   KT_KD_ADDRESS(scene->Low->DeviceExtension),
                   KT_KD_ADDRESS(scene->Low->DeviceObjectExtension));
        KtKdExpect("Characteristics (0x00000100)  FILE_DEVICE_SECURE_OPEN\n"
                   "AttachedDevice (Upper) %016llx \\FileSystem\\KtKdFilt\n"
                   "Device queue is not busy.\n", filter);
        KtKdRunf("!devobj %llx", filter);
        KtKdExpect(" \\FileSystem\\KtKdFilt DriverObject %016llx\n",
                   KT_KD_ADDRESS(scene->FilterDriver));
        KtKdExpect("AttachedTo (Lower) %016llx \\Driver\\KtKdLow\n", low);

        KtKdRun("!devstack \\Device\\KtKdLow");
        KtKdExpect("  !DevObj           !DrvObj           !DevExt           ObjectName\n"
                   "  %016llx  \\FileSystem\\KtKdFilt  %016llx  \n"
                   "> %016llx  \\Driver\\KtKdLow   %016llx  KtKdLow\n",
                   filter, KT_KD_ADDRESS(scene->Filter->DeviceExtension), low,
                   KT_KD_ADDRESS(scene->Low->DeviceExtension));
        KtKdRunf("!devstack %llx", filter);
        KtKdExpect("> %016llx  \\FileSystem\\KtKdFilt  %016llx  \n"
                   "  %016llx  \\Driver\\KtKdLow ", filter,
                   KT_KD_ADDRESS(scene->Filter->DeviceExtension), low);

        KtKdRunf("dt nt!_DRIVER_OBJECT %llx DriverName", KT_KD_ADDRESS(scene->LowDriver));
        KtKdExpect("   +0x038 DriverName : _UNICODE_STRING \"\\Driver\\KtKdLow\"\n");
        KtKdRunf("dt nt!_DEVICE_OBJECT %llx AttachedDevice StackSize", low);
        KtKdExpect("   +0x018 AttachedDevice : 0x%08llx`%08llx\n"
                   "   +0x04c StackSize      : 1 ''\n", filter >> 32, filter & 0xffffffff);
        KtKdRun("!object \\Device\\KtKdLow");
        KtKdExpect("Object: %016llx  Type: (%016llx) Device\n", low,
                   KT_KD_ADDRESS(IoDeviceObjectType));
        KtKdExpect("Name: KtKdLow\n");
    } else {
        KtFail(__FILE__, __LINE__, "the device stack to be built");
    }
    KtKdIoTearDown(scene);
}

KTEST(KdIrpCommandsFollowAPendingIrpThroughTheStack)
{
    KT_KDIO_SCENE *scene = &KtKdIoScene;

    if (KtKdIoBuild(scene)) {
        IRP *irp = scene->Pending;
        IO_STACK_LOCATION *bottom = (IO_STACK_LOCATION *)(irp + 1);
        unsigned long long low = KT_KD_ADDRESS(scene->Low), filter = KT_KD_ADDRESS(scene->Filter);

        KtKdRunf("!irp %llx", KT_KD_ADDRESS(irp));
        KtKdExpect("Irp is active with 2 stacks 1 is current (= 0x%016llx)\n"
                   " No Mdl: System buffer=%016llx: Thread %016llx:  Irp stack trace.  \n"
                   "     cmd  flg cl Device   File     Completion-Context\n"
                   ">[  e, 0]   0 e1 %016llx 00000000 %016llx-%016llx Success Error Cancel "
                   "pending\n"
                   "             \\Driver\\KtKdLow  nt!KtKdIoFilterCompletion\n",
                   KT_KD_ADDRESS(bottom), KT_KD_ADDRESS(irp->AssociatedIrp.SystemBuffer),
                   KT_KD_ADDRESS(scene->Issuer), low, KT_KD_ADDRESS(KtKdIoFilterCompletion),
                   filter);
        // The filter's location, copied down: the same arguments in both.
        for (ULONG i = 0; i < 2; i++)
            KtKdExpect("%s                   Args: %08llx %08llx %08llx %08llx\n",
                       i ? "\\FileSystem\\KtKdFilt  \n" : "nt!KtKdIoFilterCompletion\n",
                       KT_KD_ADDRESS(bottom[i].Parameters.Others.Argument1),
                       KT_KD_ADDRESS(bottom[i].Parameters.Others.Argument2),
                       KT_KD_ADDRESS(bottom[i].Parameters.Others.Argument3),
                       KT_KD_ADDRESS(bottom[i].Parameters.Others.Argument4));
        KT_CHECK((ULONG)(ULONG_PTR)bottom[0].Parameters.Others.Argument3 == KT_KDIO_IOCTL);
        KtKdExpect(" [  e, 0]   0  0 %016llx 00000000 00000000-00000000    \n"
                   "             \\FileSystem\\KtKdFilt  \n", filter);

        KtKdRunf("!irpfind 0 0 thread %llx", KT_KD_ADDRESS(scene->Issuer));
        KtKdExpect("%016llx [%016llx] irpStack: ( e, 0)  %016llx [ \\Driver\\KtKdLow]\n",
                   KT_KD_ADDRESS(irp), KT_KD_ADDRESS(scene->Issuer), low);
        KtKdExpect("\n1 IRP found\n");
        KtKdRunf("!irpfind 0 0 device %llx", filter);
        KtKdExpect("%016llx [%016llx] irpStack:", KT_KD_ADDRESS(irp),
                   KT_KD_ADDRESS(scene->Issuer));

        KtKdRunf("!thread %llx", KT_KD_ADDRESS(scene->Issuer));
        KtKdExpect("IRP List:\n    %016llx: (0006,%04x) Flags: %08x  Mdl: 00000000\n",
                   KT_KD_ADDRESS(irp), irp->Size, irp->Flags);

        // The low device's queue, as a StartIo driver would hold the IRP.
        {
            KDEVICE_QUEUE saved = scene->Low->DeviceQueue;
            KDEVICE_QUEUE *queue = &scene->Low->DeviceQueue;

            InitializeListHead(&queue->DeviceListHead);
            queue->Busy = TRUE;
            KtKdRun("!devobj KtKdLow");
            KtKdExpect("Device queue is busy -- Queue empty.\n");
            InsertTailList(&queue->DeviceListHead,
                           &irp->Tail.Overlay.DeviceQueueEntry.DeviceListEntry);
            KtKdRun("!devobj KtKdLow");
            KtKdExpect("Device queue is busy.\nIrp Queue:\n    %016llx\n", KT_KD_ADDRESS(irp));
            RemoveEntryList(&irp->Tail.Overlay.DeviceQueueEntry.DeviceListEntry);
            *queue = saved;
        }
    } else {
        KtFail(__FILE__, __LINE__, "the device stack to be built");
    }
    KtKdIoTearDown(scene);
}

KTEST(KdIoCommandsLeaveNothingAndRefuseBadObjects)
{
    static char lines[][80] = {
        "!drvobj", "!drvobj NoSuchDriver", "!drvobj 10", "!drvobj \\Driver\\Nope 1",
        "!drvobj 1 2 3", "!devobj", "!devobj NoSuchDevice", "!devobj 10", "!devobj \\Device",
        "!devstack", "!devstack 10", "!devstack NoSuchDevice", "!fileobj", "!fileobj 10",
        "!fileobj zz(", "dt nt!_FILE_OBJECT 10 FileName", "dt nt!_DEVICE_OBJECT 0 Nope",
    };
    ULONG irps, devices, drivers, after;
    SIZE_T bytes;
    KT_KDIO_SCENE *scene = &KtKdIoScene;

    for (ULONG i = 0; i < ARRAYSIZE(lines); i++)
        KT_EXPECT(KtKdRun(lines[i]) != NULL);
    // A process starts with a DISPATCHER_HEADER whose Type, 3, reads as a
    // device's: its object header tells it apart.
    KtKdRunf("!devobj %llx", KT_KD_ADDRESS(PsInitialSystemProcess));
    KT_EXPECT(KtKdFind(KtKdOutput, "is not a device object: its object header does not say "
                                   "Device\n"));
    KtKdRunf("!devobj %llx", KT_KD_ADDRESS(ObpRootDirectoryObject));
    KT_EXPECT(KtKdFind(KtKdOutput, "is not a device object: its Type is"));
    KtKdRun("!drvobj \\Device");
    KT_EXPECT(KtKdFind(KtKdOutput, "is not a driver object"));
    KtKdRunf("!fileobj %llx", KT_KD_ADDRESS(PsInitialSystemProcess));
    KT_EXPECT(KtKdFind(KtKdOutput, "is not a file object"));

    ExQueryPoolTagUsage(IO_IRP_TAG, &irps, &bytes);
    ExQueryPoolTagUsage(IO_DEVICE_TAG, &devices, &bytes);
    ExQueryPoolTagUsage(IO_DRIVER_TAG, &drivers, &bytes);
    if (KtKdIoBuild(scene)) {
        DEVICE_OBJECT *lower;

        // A device whose Type lies, and a stack that loops, each get a line.
        scene->Low->Type = IO_TYPE_FILE;
        KtKdRun("!devobj KtKdLow");
        KT_CHECK(KtKdFind(KtKdOutput, "is not a device object: its Type is 5, not 3\n"));
        KtKdRunf("!devstack %llx", KT_KD_ADDRESS(scene->Filter));
        KT_CHECK(KtKdFind(KtKdOutput, "(not a readable device object)\n"));
        scene->Low->Type = IO_TYPE_DEVICE;
        lower = scene->Filter->AttachedDevice;
        scene->Filter->AttachedDevice = scene->Low;
        KtKdRun("!devstack KtKdLow");
        KT_CHECK(KtKdFind(KtKdOutput, "devices deep (a loop?)\n"));
        scene->Filter->AttachedDevice = lower;
        // A driver whose device list comes back on itself.
        scene->Filter->NextDevice = scene->Filter;
        KtKdRun("!drvobj KtKdFilt 5");
        KT_CHECK(KtKdFind(KtKdOutput, "(NextDevice loops back to "));
        KT_CHECK(KtKdCount(KtKdOutput, "Device object (") == 1);
        scene->Filter->NextDevice = NULL;
    } else {
        KtFail(__FILE__, __LINE__, "the device stack to be built");
    }
    KtKdIoTearDown(scene);
    ExQueryPoolTagUsage(IO_IRP_TAG, &after, &bytes);
    KT_CHECK_EQ(after, irps);
    ExQueryPoolTagUsage(IO_DEVICE_TAG, &after, &bytes);
    KT_CHECK_EQ(after, devices);
    ExQueryPoolTagUsage(IO_DRIVER_TAG, &after, &bytes);
    KT_CHECK_EQ(after, drivers);
}
