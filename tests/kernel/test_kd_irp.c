// !irp, !irpfind and !thread's IRP List read against an IRP laid out by
// hand, field by field, as the third case study's: four stack locations,
// the third current, with a completion routine and arguments, issued by a
// thread that waits; and the same commands against IRPs that lie.

#include "tests/kernel/ktkd.h"
#include "kd/kdio.h"
#include "io/iotypes.h"
#include "mm/pool.h"

#define KT_IRP_STACKS    4
#define KT_IRP_CURRENT   3
#define KT_IRP_FLAGS     0x884      // the seeds': synchronous API, create, deferred completion
#define KT_IRP_DEVICE    0xfffffa8031d1a840ULL     // unreadable: no driver name to show
#define KT_IRP_DEVICE2   0xfffffa8031d1b880ULL
#define KT_IRP_FILE      0xfffffa805145aec0ULL
#define KT_IRP_CONTEXT   0xfffffa8047b6c930ULL
#define KT_IRP_ARG1      0xfffffa601086d848ULL
#define KT_IRP_SIZE      (sizeof(IRP) + KT_IRP_STACKS * sizeof(IO_STACK_LOCATION))

typedef struct _KT_IRP_SCENE {
    IRP *Irp;
    ETHREAD *Thread;
    KEVENT Release;                 // what the issuing thread waits on
    KEVENT UserEvent;
} KT_IRP_SCENE;

static KT_IRP_SCENE KtIrpScene;

static IO_STACK_LOCATION *KtIrpLocation(IRP *irp, ULONG index)
{
    return (IO_STACK_LOCATION *)(irp + 1) + (index - 1);
}

static void KtIrpIssuer(void *context)
{
    KT_IRP_SCENE *scene = context;

    KeWaitForSingleObject(&scene->Release, Executive, KernelMode, FALSE, NULL);
}

// The IRP as NT leaves one that went to a filter (location 4) and on to the
// file system below it (location 3), which pended it.
static BOOLEAN KtIrpBuild(KT_IRP_SCENE *scene)
{
    IO_STACK_LOCATION *location;
    IRP *irp;

    memset(scene, 0, sizeof(*scene));
    KeInitializeEvent(&scene->Release, NotificationEvent, FALSE);
    KeInitializeEvent(&scene->UserEvent, NotificationEvent, FALSE);
    scene->Thread = KtStartThread(KtIrpIssuer, scene, KT_HIGH_PRIORITY);
    if (!scene->Thread || !KtWaitUntilWaitingOn(scene->Thread, &scene->Release))
        return FALSE;
    irp = scene->Irp = ExAllocatePoolWithTag(NonPagedPool, KT_IRP_SIZE, IO_IRP_TAG);
    if (!irp)
        return FALSE;
    memset(irp, 0, KT_IRP_SIZE);
    irp->Type = IO_TYPE_IRP;
    irp->Size = KT_IRP_SIZE;
    irp->Flags = KT_IRP_FLAGS;
    irp->StackCount = KT_IRP_STACKS;
    irp->CurrentLocation = KT_IRP_CURRENT;
    irp->RequestorMode = UserMode;
    irp->UserEvent = &scene->UserEvent;
    irp->Tail.Overlay.Thread = scene->Thread;
    irp->Tail.Overlay.OriginalFileObject = (FILE_OBJECT *)KT_IRP_FILE;
    irp->Tail.Overlay.CurrentStackLocation = KtIrpLocation(irp, KT_IRP_CURRENT);
    location = KtIrpLocation(irp, KT_IRP_CURRENT);
    location->MajorFunction = IRP_MJ_CREATE;
    location->Control = SL_INVOKE_ON_SUCCESS | SL_INVOKE_ON_ERROR | SL_INVOKE_ON_CANCEL |
                        SL_PENDING_RETURNED;
    location->DeviceObject = (DEVICE_OBJECT *)KT_IRP_DEVICE;
    location->FileObject = (FILE_OBJECT *)KT_IRP_FILE;
    location->CompletionRoutine = (PIO_COMPLETION_ROUTINE)(void *)KeSetEvent;
    location->Context = (void *)KT_IRP_CONTEXT;
    location->Parameters.Others.Argument1 = (void *)KT_IRP_ARG1;
    location->Parameters.Others.Argument2 = (void *)0x01000040;
    location->Parameters.Others.Argument3 = (void *)0x00030000;
    location = KtIrpLocation(irp, KT_IRP_STACKS);
    location->MajorFunction = IRP_MJ_DEVICE_CONTROL;
    location->MinorFunction = 3;
    location->DeviceObject = (DEVICE_OBJECT *)KT_IRP_DEVICE2;
    location->FileObject = (FILE_OBJECT *)KT_IRP_FILE;
    location->Parameters.Others.Argument1 = (void *)4;
    location->Parameters.Others.Argument2 = (void *)0x50;
    location->Parameters.Others.Argument3 = (void *)0x00140193;
    InsertTailList(&scene->Thread->IrpList, &irp->ThreadListEntry);
    return TRUE;
}

static void KtIrpTearDown(KT_IRP_SCENE *scene)
{
    if (scene->Irp) {
        RemoveEntryList(&scene->Irp->ThreadListEntry);
        ExFreePoolWithTag(scene->Irp, IO_IRP_TAG);
    }
    if (scene->Thread) {
        KeSetEvent(&scene->Release, 0, FALSE);
        KtJoinThread(scene->Thread);
    }
    memset(scene, 0, sizeof(*scene));
}

KTEST(KdIrpShowsEveryStackLocationAsTheSeed)
{
    KT_IRP_SCENE *scene = &KtIrpScene;

    if (KtIrpBuild(scene)) {
        IRP *irp = scene->Irp;

        KtKdRunf("!irp %llx", KT_KD_ADDRESS(irp));
        KtKdExpect("Irp is active with 4 stacks 3 is current (= 0x%016llx)\n"
                   " No Mdl: No System Buffer: Thread %016llx:  Irp stack trace.  \n"
                   "     cmd  flg cl Device   File     Completion-Context\n"
                   " [  0, 0]   0  0 00000000 00000000 00000000-00000000    \n\n"
                   "                   Args: 00000000 00000000 00000000 00000000\n"
                   " [  0, 0]   0  0 00000000 00000000 00000000-00000000    \n\n"
                   "                   Args: 00000000 00000000 00000000 00000000\n"
                   ">[  0, 0]   0 e1 fffffa8031d1a840 fffffa805145aec0 %016llx-fffffa8047b6c930"
                   " Success Error Cancel pending\n"
                   "               nt!KeSetEvent\n"
                   "                   Args: fffffa601086d848 01000040 00030000 00000000\n"
                   " [  e, 3]   0  0 fffffa8031d1b880 fffffa805145aec0 00000000-00000000    \n"
                   "\n"
                   "                   Args: 00000004 00000050 00140193 00000000\n",
                   KT_KD_ADDRESS(KtIrpLocation(irp, KT_IRP_CURRENT)),
                   KT_KD_ADDRESS(scene->Thread), KT_KD_ADDRESS(KeSetEvent));
        KT_CHECK(!KtKdFind(KtKdOutput, "Flags = "));

        KtKdRunf("!irp %llx 1", KT_KD_ADDRESS(irp));
        KtKdExpect("Irp stack trace.  \nFlags = 00000884\n"
                   "ThreadListEntry.Flink = %016llx\nThreadListEntry.Blink = %016llx\n"
                   "IoStatus.Status = 00000000\nIoStatus.Information = 00000000\n"
                   "RequestorMode = 00000001\nCancel = 00\nCancelIrql = 0\n"
                   "ApcEnvironment = 00\nUserIosb = 00000000\nUserEvent = %016llx\n",
                   KT_KD_ADDRESS(&scene->Thread->IrpList), KT_KD_ADDRESS(&scene->Thread->IrpList),
                   KT_KD_ADDRESS(&scene->UserEvent));
        KtKdExpect("Tail.Overlay.Thread = %016llx\n", KT_KD_ADDRESS(scene->Thread));
        KtKdExpect("Tail.Overlay.CurrentStackLocation = %016llx\n"
                   "Tail.Overlay.OriginalFileObject = fffffa805145aec0\n",
                   KT_KD_ADDRESS(KtIrpLocation(irp, KT_IRP_CURRENT)));
        KtKdExpect("     cmd  flg cl Device   File     Completion-Context\n");

        // dt reads the same fields.
        KtKdRunf("dt nt!_IRP %llx StackCount CurrentLocation", KT_KD_ADDRESS(irp));
        KtKdExpect("   +0x042 StackCount      : 4 ''\n   +0x043 CurrentLocation : 3 ''\n");
        KtKdRunf("dt nt!_IO_STACK_LOCATION %llx",
                 KT_KD_ADDRESS(KtIrpLocation(irp, KT_IRP_CURRENT)));
        // WinDbg's column of 16, which CompletionRoutine overruns.
        KtKdExpect("   +0x003 Control          : 0xe1 ''\n");
        KtKdExpect("   +0x028 DeviceObject     : 0xfffffa80`31d1a840\n");
        KtKdExpect("   +0x038 CompletionRoutine : 0x%08llx`%08llx     nt!KeSetEvent\n",
                   KT_KD_ADDRESS(KeSetEvent) >> 32, KT_KD_ADDRESS(KeSetEvent) & 0xffffffff);
    } else {
        KtFail(__FILE__, __LINE__, "the IRP scene to be built");
    }
    KtIrpTearDown(scene);
}

KTEST(KdIrpFindAndThreadListFindTheIrpByItsThread)
{
    KT_IRP_SCENE *scene = &KtIrpScene;

    if (KtIrpBuild(scene)) {
        const char *row;

        KtKdRunf("!irpfind 0 0 thread %llx", KT_KD_ADDRESS(scene->Thread));
        KtKdExpect("Looking for IRPs with thread == %016llx\n\n"
                   "Scanning large pool allocation table for Tag: Irp? (",
                   KT_KD_ADDRESS(scene->Thread));
        KtKdExpect("Searching NonPaged pool (%016llx : %016llx) for Tag: Irp?\n\n"
                   "  Irp    [ Thread ] irpStack: (Mj,Mn)   DevObj  [Driver]         "
                   "MDL Process\n",
                   KT_KD_ADDRESS(MM_NONPAGED_POOL_START),
                   KT_KD_ADDRESS(MM_NONPAGED_POOL_START + MM_NONPAGED_POOL_SIZE));
        row = KtKdExpect("%016llx [%016llx] irpStack: ( 0, 0)  fffffa8031d1a840 [ ]\n",
                         KT_KD_ADDRESS(scene->Irp), KT_KD_ADDRESS(scene->Thread));
        KT_CHECK(KtKdCount(KtKdOutput, "] irpStack: ( ") == 1);
        KtKdExpect("\n1 IRP found\n");
        KT_CHECK(row != NULL);

        // The other criteria find it, or do not, by their own field.
        KtKdRunf("!irpfind 0 0 device %llx", KT_IRP_DEVICE2);
        KtKdExpect("%016llx [", KT_KD_ADDRESS(scene->Irp));
        KtKdRunf("!irpfind 0 0 userevent %llx", KT_KD_ADDRESS(&scene->UserEvent));
        KtKdExpect("%016llx [", KT_KD_ADDRESS(scene->Irp));
        KtKdRunf("!irpfind 0 0 fileobject %llx", KT_IRP_FILE);
        KtKdExpect("%016llx [", KT_KD_ADDRESS(scene->Irp));
        KtKdRunf("!irpfind 0 0 arg %llx", KT_IRP_ARG1);
        KtKdExpect("%016llx [", KT_KD_ADDRESS(scene->Irp));
        KtKdRunf("!irpfind 0 0 thread %llx", KT_KD_ADDRESS(PsGetCurrentThread()));
        KT_CHECK(!KtKdFind(KtKdOutput, KT_KD_HEX(scene->Irp)));
        KtKdRunf("!irpfind 0 %llx thread %llx", KT_KD_ADDRESS(scene->Irp) + 0x10,
                 KT_KD_ADDRESS(scene->Thread));
        KT_CHECK(!KtKdFind(KtKdOutput, KT_KD_HEX(scene->Irp)));
        KtKdRun("!irpfind");
        KtKdExpect("%016llx [%016llx] irpStack: ( 0, 0)", KT_KD_ADDRESS(scene->Irp),
                   KT_KD_ADDRESS(scene->Thread));

        KtKdRunf("!thread %llx", KT_KD_ADDRESS(scene->Thread));
        KtKdExpect("IRP List:\n    %016llx: (0006,01f0) Flags: 00000884  Mdl: 00000000\n"
                   "Not impersonating\nDeviceMap %016llx\nOwning Process",
                   KT_KD_ADDRESS(scene->Irp),
                   KT_KD_ADDRESS(scene->Thread->ThreadsProcess->DeviceMap));
    } else {
        KtFail(__FILE__, __LINE__, "the IRP scene to be built");
    }
    KtIrpTearDown(scene);
    KtKdRunf("!thread %llx", KT_KD_ADDRESS(PsGetCurrentThread()));
    KT_CHECK(!KtKdFind(KtKdOutput, "IRP List:"));
}

KTEST(KdIrpCommandsRefuseWhatIsNoIrp)
{
    KT_IRP_SCENE *scene = &KtIrpScene;
    static char lines[][80] = {
        "!irp", "!irp 1 2 3", "!irp zz(", "!irpfind 2", "!irpfind 0 0 thread",
        "!irpfind 0 0 nosuch 1", "!irpfind 0 0 thread zz(", "!irpfind 0 0 mdlprocess 4",
        "!irpfind 1", "dt nt!_IRP 10", "dt nt!_IRP 0 NoSuchField",
    };

    KtKdRun("!irp 10");
    KT_EXPECT(KtKdFind(KtKdOutput, "0000000000000010: the IRP cannot be read\n"));
    KtKdRunf("!irp %llx", KT_KD_ADDRESS(PsInitialSystemProcess));
    KT_EXPECT(KtKdFind(KtKdOutput, "IRP signature does not match, probably not an IRP\n"));
    KtKdRun("!irpfind 0 0 nosuch 1");
    KT_EXPECT(KtKdFind(KtKdOutput, "Unknown criteria 'nosuch'"));
    KtKdRun("!irpfind 0 0 mdlprocess 4");
    KT_EXPECT(KtKdFind(KtKdOutput, "carry no MDLs"));
    KtKdRun("dt nt!_IRP 0 NoSuchField");
    KT_EXPECT(KtKdFind(KtKdOutput, "_IRP has no field NoSuchField\n"));
    for (ULONG i = 0; i < ARRAYSIZE(lines); i++)
        KT_EXPECT_EQ(KtKdRun(lines[i]) != NULL, TRUE);

    if (KtIrpBuild(scene)) {
        IRP *irp = scene->Irp;
        LIST_ENTRY *flink = irp->ThreadListEntry.Flink;

        // A stack count the block cannot hold, and a current location past it.
        irp->StackCount = 100;
        KtKdRunf("!irp %llx", KT_KD_ADDRESS(irp));
        KtKdExpect("StackCount 100 does not fit the IRP's Size 01f0 (corrupt?)\n");
        irp->StackCount = KT_IRP_STACKS;
        irp->CurrentLocation = KT_IRP_STACKS + 1;
        KtKdRunf("!irp %llx", KT_KD_ADDRESS(irp));
        KtKdExpect("Irp is not in a driver: 4 stacks, CurrentLocation 5");
        KT_CHECK(!KtKdFind(KtKdOutput, ">["));
        irp->CurrentLocation = -3;
        KtKdRunf("!irp %llx", KT_KD_ADDRESS(irp));
        KtKdExpect("an impossible CurrentLocation -3 (corrupt?)\n");
        irp->CurrentLocation = KT_IRP_CURRENT;

        // A thread list that does not close: !thread names it and goes on.
        irp->ThreadListEntry.Flink = (LIST_ENTRY *)0x10;
        KtKdRunf("!thread %llx", KT_KD_ADDRESS(scene->Thread));
        KtKdExpect("The thread's IrpList: entry 0000000000000010 cannot be read; the walk "
                   "stops here\n");
        KtKdExpect("Owning Process");
        irp->ThreadListEntry.Flink = flink;

        // An IRP-tagged block that is no IRP is passed over by !irpfind.
        irp->Type = IO_TYPE_FILE;
        KtKdRunf("!irpfind 0 0 thread %llx", KT_KD_ADDRESS(scene->Thread));
        KT_CHECK(!KtKdFind(KtKdOutput, KT_KD_HEX(irp)));
        KtKdExpect("\n0 IRPs found\n");
        irp->Type = IO_TYPE_IRP;
    } else {
        KtFail(__FILE__, __LINE__, "the IRP scene to be built");
    }
    KtIrpTearDown(scene);
}

// dt's layouts of the I/O types: NT's x64 offsets, the seed's among them.
KTEST(KdDtShowsTheIoTypesAtNtsOffsets)
{
    KtKdRun("dt nt!_FILE_OBJECT");
    KT_EXPECT(KtKdFind(KtKdOutput, "   +0x058 FileName         : _UNICODE_STRING\n"));
    KT_EXPECT(KtKdFind(KtKdOutput, "   +0x0c0 IrpList          : _LIST_ENTRY\n"));
    KtKdRun("dt _IRP Tail* Current*");
    KT_EXPECT(KtKdFind(KtKdOutput, "   +0x043 CurrentLocation : Char\n"
                                   "   +0x078 Tail            : <unnamed-tag>\n"));
    KT_EXPECT_EQ(KtKdCount(KtKdOutput, "\n"), 2);
    KtKdRun("dt nt!_IO_STACK_LOCATION CompletionRoutine");
    KT_EXPECT(KtKdFind(KtKdOutput, "   +0x038 CompletionRoutine : Ptr64     long \n"));
    KtKdRun("dt nt!_DEVICE_OBJECT");
    KT_EXPECT(KtKdFind(KtKdOutput, "   +0x138 DeviceObjectExtension : Ptr64 _DEVOBJ_EXTENSION\n"));
    KtKdRun("dt nt!_DRIVER_OBJECT MajorFunction");
    KT_EXPECT(KtKdFind(KtKdOutput, "   +0x070 MajorFunction : [28] Ptr64     long \n"));
    KtKdRun("dt nt!_NoSuchType");
    KT_EXPECT(KtKdFind(KtKdOutput, "Symbol nt!_NoSuchType not found.\n"));
}
