// IRP commands: !irp (an IRP and its stack locations, the current one
// marked '>', the driver of each and the completion routine the driver
// above it set), !irpfind (the IRPs in the pool, by their tag, that match a
// thread, a device...), and the IRP List of !thread. An IRP is believed only
// as far as its Type and its counts allow: a location past its block or a
// list that does not close is named, never followed.

#include "kd/kdio.h"
#include "ps/ps.h"
#include "mm/pool.h"

#define KD_IRP_DETAIL_INDENT 19     // where the seeds' "Args:" lines start
#define KD_IRP_DRIVER_INDENT 13     // and the driver's name under a location
#define KD_MAX_THREAD_IRPS   4096

static const char *const KdpIrpSignatureError =
    "IRP signature does not match, probably not an IRP\n";

// Reads the IRP and checks what the rest of the command relies on: its
// Type, and a stack count its block can hold.
static BOOLEAN KdpReadIrp(ULONG64 address, IRP *irp, BOOLEAN quiet)
{
    if (!KdpReadMemory(address, irp, sizeof(*irp))) {
        if (!quiet)
            KdpPrint("%016llx: the IRP cannot be read\n", (unsigned long long)address);
        return FALSE;
    }
    if (irp->Type != IO_TYPE_IRP) {
        if (!quiet)
            KdpPrint("%s", KdpIrpSignatureError);
        return FALSE;
    }
    if (irp->StackCount <= 0 ||
        irp->Size < sizeof(IRP) + (ULONG)irp->StackCount * sizeof(IO_STACK_LOCATION)) {
        if (!quiet)
            KdpPrint("%016llx: StackCount %d does not fit the IRP's Size %04x (corrupt?)\n",
                     (unsigned long long)address, irp->StackCount, irp->Size);
        return FALSE;
    }
    return TRUE;
}

static ULONG64 KdpIrpLocation(ULONG64 irp, LONG location)
{
    return irp + sizeof(IRP) + (ULONG64)(location - 1) * sizeof(IO_STACK_LOCATION);
}

// ---- !irp --------------------------------------------------------------------------------

static void KdpPrintIrpDetail(ULONG64 address, const IRP *irp)
{
    KdpPrint("Flags = %08x\n", irp->Flags);
    KdpPrint("ThreadListEntry.Flink = " KD_PTR "\n", KD_P((ULONG_PTR)irp->ThreadListEntry.Flink));
    KdpPrint("ThreadListEntry.Blink = " KD_PTR "\n", KD_P((ULONG_PTR)irp->ThreadListEntry.Blink));
    KdpPrint("IoStatus.Status = %08x\n", (ULONG)irp->IoStatus.Status);
    KdpPrint("IoStatus.Information = " KD_PTR "\n", KD_P(irp->IoStatus.Information));
    KdpPrint("RequestorMode = %08x\n", irp->RequestorMode);
    KdpPrint("Cancel = %02x\n", irp->Cancel);
    KdpPrint("CancelIrql = %x\n", irp->CancelIrql);
    KdpPrint("ApcEnvironment = %02x\n", (UCHAR)irp->ApcEnvironment);
    KdpPrint("UserIosb = " KD_PTR "\n", KD_P((ULONG_PTR)irp->UserIosb));
    KdpPrint("UserEvent = " KD_PTR "\n", KD_P((ULONG_PTR)irp->UserEvent));
    KdpPrint("Overlay.AsynchronousParameters.UserApcRoutine = " KD_PTR "\n",
             KD_P((ULONG_PTR)irp->Overlay.AsynchronousParameters.UserApcRoutine));
    KdpPrint("Overlay.AsynchronousParameters.UserApcContext = " KD_PTR "\n",
             KD_P((ULONG_PTR)irp->Overlay.AsynchronousParameters.UserApcContext));
    KdpPrint("Overlay.AllocationSize = %08x - %08x\n",
             (ULONG)((ULONG64)irp->Overlay.AllocationSize.QuadPart >> 32),
             (ULONG)irp->Overlay.AllocationSize.QuadPart);
    KdpPrint("CancelRoutine = " KD_PTR "   \n", KD_P((ULONG_PTR)irp->CancelRoutine));
    KdpPrint("UserBuffer = " KD_PTR "\n", KD_P((ULONG_PTR)irp->UserBuffer));
    KdpPrint("&Tail.Overlay.DeviceQueueEntry = " KD_PTR "\n",
             KD_P(address + FIELD_OFFSET(IRP, Tail.Overlay.DeviceQueueEntry)));
    KdpPrint("Tail.Overlay.Thread = " KD_PTR "\n", KD_P((ULONG_PTR)irp->Tail.Overlay.Thread));
    KdpPrint("Tail.Overlay.AuxiliaryBuffer = " KD_PTR "\n",
             KD_P((ULONG_PTR)irp->Tail.Overlay.AuxiliaryBuffer));
    KdpPrint("Tail.Overlay.ListEntry.Flink = " KD_PTR "\n",
             KD_P((ULONG_PTR)irp->Tail.Overlay.ListEntry.Flink));
    KdpPrint("Tail.Overlay.ListEntry.Blink = " KD_PTR "\n",
             KD_P((ULONG_PTR)irp->Tail.Overlay.ListEntry.Blink));
    KdpPrint("Tail.Overlay.CurrentStackLocation = " KD_PTR "\n",
             KD_P((ULONG_PTR)irp->Tail.Overlay.CurrentStackLocation));
    KdpPrint("Tail.Overlay.OriginalFileObject = " KD_PTR "\n",
             KD_P((ULONG_PTR)irp->Tail.Overlay.OriginalFileObject));
    KdpPrint("&Tail.Apc = " KD_PTR "\n", KD_P(address + FIELD_OFFSET(IRP, Tail.Apc)));
    KdpPrint("Tail.CompletionKey = " KD_PTR "\n", KD_P((ULONG_PTR)irp->Tail.CompletionKey));
}

static void KdpPrintIrpLocation(ULONG64 irp, LONG index, BOOLEAN current)
{
    ULONG64 address = KdpIrpLocation(irp, index);
    IO_STACK_LOCATION location;
    char driver[KD_IO_NAME], routine[128];
    ULONG64 completion;

    if (!KdpReadMemory(address, &location, sizeof(location))) {
        KdpPrint("%c[ location %d at %016llx cannot be read ]\n", current ? '>' : ' ', index,
                 (unsigned long long)address);
        return;
    }
    completion = (ULONG64)(ULONG_PTR)location.CompletionRoutine;
    KdpPrint("%c[%3x,%2x]%4x %2x " KD_PTR " " KD_PTR " " KD_PTR "-" KD_PTR " %s %s %s %s\n",
             current ? '>' : ' ', location.MajorFunction, location.MinorFunction,
             location.Flags, location.Control, KD_P((ULONG_PTR)location.DeviceObject),
             KD_P((ULONG_PTR)location.FileObject), KD_P(completion),
             KD_P((ULONG_PTR)location.Context),
             (location.Control & SL_INVOKE_ON_SUCCESS) ? "Success" : "",
             (location.Control & SL_INVOKE_ON_ERROR) ? "Error" : "",
             (location.Control & SL_INVOKE_ON_CANCEL) ? "Cancel" : "",
             (location.Control & SL_PENDING_RETURNED) ? "pending" : "");
    KdpDeviceDriverName((ULONG64)(ULONG_PTR)location.DeviceObject, driver, sizeof(driver));
    KdpFormatCode(completion, routine, sizeof(routine));
    if (completion && !routine[0])
        RtlStringPrintf(routine, sizeof(routine), "%016llx", (unsigned long long)completion);
    if (driver[0] || routine[0])
        KdpPrint("%*s%s  %s\n", KD_IRP_DRIVER_INDENT, "", driver, routine);
    else
        KdpPrint("\n");
    KdpPrint("%*sArgs: " KD_PTR " " KD_PTR " " KD_PTR " " KD_PTR "\n", KD_IRP_DETAIL_INDENT, "",
             KD_P((ULONG_PTR)location.Parameters.Others.Argument1),
             KD_P((ULONG_PTR)location.Parameters.Others.Argument2),
             KD_P((ULONG_PTR)location.Parameters.Others.Argument3),
             KD_P((ULONG_PTR)location.Parameters.Others.Argument4));
}

BOOLEAN KdpPrintIrp(ULONG64 address, BOOLEAN detail)
{
    IRP irp;
    LONG current;

    if (!KdpReadIrp(address, &irp, FALSE))
        return FALSE;
    current = irp.CurrentLocation;
    if (current >= 1 && current <= irp.StackCount)
        KdpPrint("Irp is active with %d stacks %d is current (= 0x%016llx)\n", irp.StackCount,
                 current, (unsigned long long)KdpIrpLocation(address, current));
    else if (current == irp.StackCount + 1)
        KdpPrint("Irp is not in a driver: %d stacks, CurrentLocation %d (not yet sent down, "
                 "or completed)\n", irp.StackCount, current);
    else
        KdpPrint("Irp has %d stacks and an impossible CurrentLocation %d (corrupt?)\n",
                 irp.StackCount, current);
    if (irp.MdlAddress)
        KdpPrint(" Mdl=%016llx: ", KD_P((ULONG_PTR)irp.MdlAddress));
    else
        KdpPrint(" No Mdl: ");
    if (irp.AssociatedIrp.SystemBuffer)
        KdpPrint("System buffer=%016llx: ", KD_P((ULONG_PTR)irp.AssociatedIrp.SystemBuffer));
    else
        KdpPrint("No System Buffer: ");
    KdpPrint("Thread " KD_PTR ":  Irp stack trace.  \n", KD_P((ULONG_PTR)irp.Tail.Overlay.Thread));
    if (detail)
        KdpPrintIrpDetail(address, &irp);
    KdpPrint("     cmd  flg cl Device   File     Completion-Context\n");
    for (LONG index = 1; index <= irp.StackCount; index++)
        KdpPrintIrpLocation(address, index, index == current);
    return TRUE;
}

static KD_COMMAND_RESULT KdpIrpCommand(int argc, char **argv)
{
    ULONG64 address;

    if (argc < 2 || argc > 3) {
        KdpPrint("Usage: !irp Address [Detail]\n");
        return KdCommandContinue;
    }
    // As WinDbg: any Detail value asks for the IRP's fields too.
    if (KdpGetValue(argv[1], &address))
        KdpPrintIrp(address, argc == 3);
    return KdCommandContinue;
}

// ---- !irpfind ----------------------------------------------------------------------------

typedef enum _KD_IRP_CRITERION {
    KdIrpAll,
    KdIrpArg,
    KdIrpDevice,
    KdIrpFileObject,
    KdIrpMdlProcess,
    KdIrpThread,
    KdIrpUserEvent,
} KD_IRP_CRITERION;

static const char *const KdpIrpCriterionNames[] = {
    NULL, "arg", "device", "fileobject", "mdlprocess", "thread", "userevent",
};

typedef struct _KD_IRP_FIND {
    KD_IRP_CRITERION Criterion;
    ULONG64 Data;
    BOOLEAN Header;
    ULONG Shown;
} KD_IRP_FIND;

// Does a location of the IRP name `data` as its device or one of its
// arguments?
static BOOLEAN KdpIrpLocationsMatch(ULONG64 address, const IRP *irp, KD_IRP_CRITERION criterion,
                                    ULONG64 data)
{
    for (LONG index = 1; index <= irp->StackCount; index++) {
        IO_STACK_LOCATION location;

        if (!KdpReadMemory(KdpIrpLocation(address, index), &location, sizeof(location)))
            return FALSE;
        if (criterion == KdIrpDevice && (ULONG64)(ULONG_PTR)location.DeviceObject == data)
            return TRUE;
        if (criterion == KdIrpArg &&
            ((ULONG64)(ULONG_PTR)location.Parameters.Others.Argument1 == data ||
             (ULONG64)(ULONG_PTR)location.Parameters.Others.Argument2 == data ||
             (ULONG64)(ULONG_PTR)location.Parameters.Others.Argument3 == data ||
             (ULONG64)(ULONG_PTR)location.Parameters.Others.Argument4 == data))
            return TRUE;
    }
    return FALSE;
}

static BOOLEAN KdpIrpMatches(const KD_IRP_FIND *find, ULONG64 address, const IRP *irp)
{
    switch (find->Criterion) {
    case KdIrpAll:
        return TRUE;
    case KdIrpThread:
        return (ULONG64)(ULONG_PTR)irp->Tail.Overlay.Thread == find->Data;
    case KdIrpUserEvent:
        return (ULONG64)(ULONG_PTR)irp->UserEvent == find->Data;
    case KdIrpFileObject:
        return (ULONG64)(ULONG_PTR)irp->Tail.Overlay.OriginalFileObject == find->Data;
    case KdIrpMdlProcess:
        return FALSE;           // refused before the search (no MDLs)
    case KdIrpArg:
    case KdIrpDevice:
        return KdpIrpLocationsMatch(address, irp, find->Criterion, find->Data);
    }
    return FALSE;
}

static BOOLEAN KdpPrintFoundIrp(void *context, const POOL_BLOCK_INFO *block, ULONG64 body)
{
    KD_IRP_FIND *find = context;
    IRP irp;
    IO_STACK_LOCATION location;
    char driver[KD_IO_NAME];

    UNREFERENCED_PARAMETER(block);
    // A block with the tag that is not (or no longer) an IRP is skipped.
    if (!KdpReadIrp(body, &irp, TRUE) || !KdpIrpMatches(find, body, &irp))
        return TRUE;
    if (!find->Header) {
        KdpPrint("  Irp    [ Thread ] irpStack: (Mj,Mn)   DevObj  [Driver]         MDL Process\n");
        find->Header = TRUE;
    }
    find->Shown++;
    KdpPrint("%016llx [" KD_PTR "] ", (unsigned long long)body,
             KD_P((ULONG_PTR)irp.Tail.Overlay.Thread));
    if (irp.CurrentLocation < 1 || irp.CurrentLocation > irp.StackCount) {
        KdpPrint("Irp is not in a driver (CurrentLocation %d of %d)\n", irp.CurrentLocation,
                 irp.StackCount);
        return TRUE;
    }
    if (!KdpReadMemory(KdpIrpLocation(body, irp.CurrentLocation), &location,
                       sizeof(location))) {
        KdpPrint("irpStack: (its current location cannot be read)\n");
        return TRUE;
    }
    KdpDeviceDriverName((ULONG64)(ULONG_PTR)location.DeviceObject, driver, sizeof(driver));
    KdpPrint("irpStack: (%2x,%2x)  %016llx [ %s]\n", location.MajorFunction,
             location.MinorFunction, KD_P((ULONG_PTR)location.DeviceObject), driver);
    return TRUE;
}

static KD_COMMAND_RESULT KdpIrpFind(int argc, char **argv)
{
    KD_IRP_FIND find = { KdIrpAll, 0, FALSE, 0 };
    KD_POOL_SCAN scan = { "Irp?", POOL_INDEX_NONPAGED, 0, KdpPrintFoundIrp, &find, FALSE };

    if (argc > 5 || argc == 4) {
        KdpPrint("Usage: !irpfind [PoolType [RestartAddress [Criteria Data]]]\n"
                 "    Criteria: arg device fileobject mdlprocess thread userevent\n");
        return KdCommandContinue;
    }
    if ((argc >= 2 && !KdpParsePoolType(argv[1], &scan.PoolIndex)) ||
        (argc >= 3 && !KdpGetValue(argv[2], &scan.Start)))
        return KdCommandContinue;
    if (argc == 5) {
        for (ULONG i = 1; i < ARRAYSIZE(KdpIrpCriterionNames); i++) {
            if (RtlCompareStringInsensitive(argv[3], KdpIrpCriterionNames[i]) == 0)
                find.Criterion = (KD_IRP_CRITERION)i;
        }
        if (find.Criterion == KdIrpAll) {
            KdpPrint("Unknown criteria '%s': arg device fileobject mdlprocess thread "
                     "userevent\n", argv[3]);
            return KdCommandContinue;
        }
        if (find.Criterion == KdIrpMdlProcess) {
            KdpPrint("mdlprocess: Sleuth's IRPs carry no MDLs (MdlAddress is always 0), so "
                     "none can match\n");
            return KdCommandContinue;
        }
        if (!KdpGetValue(argv[4], &find.Data))
            return KdCommandContinue;
        KdpPrint("Looking for IRPs with %s == %016llx\n\n", argv[3],
                 (unsigned long long)find.Data);
    }
    KdpScanPool(&scan);
    KdpPrint("\n%u IRP%s found\n", find.Shown, find.Shown == 1 ? "" : "s");
    return KdCommandContinue;
}

// ---- !thread's IRP List ------------------------------------------------------------------

typedef struct _KD_THREAD_IRPS {
    ULONG Indent;
    ULONG Count;
} KD_THREAD_IRPS;

static BOOLEAN KdpPrintThreadIrp(void *context, ULONG64 entry)
{
    KD_THREAD_IRPS *irps = context;
    ULONG64 address = entry - FIELD_OFFSET(IRP, ThreadListEntry);
    IRP irp;

    if (irps->Count++ == 0)
        KdpPrint("%*sIRP List:\n", (int)irps->Indent, "");
    if (irps->Count > KD_MAX_THREAD_IRPS) {
        KdpPrint("%*s    (more than %u IRPs: the list stops here)\n", (int)irps->Indent, "",
                 KD_MAX_THREAD_IRPS);
        return FALSE;
    }
    if (!KdpReadMemory(address, &irp, sizeof(irp))) {
        KdpPrint("%*s    %016llx: (the IRP cannot be read)\n", (int)irps->Indent, "",
                 (unsigned long long)address);
        return TRUE;
    }
    // NT's line: the IRP's Type and Size, its Flags and its MDL.
    KdpPrint("%*s    %016llx: (%04x,%04x) Flags: %08x  Mdl: " KD_PTR "\n", (int)irps->Indent, "",
             (unsigned long long)address, (USHORT)irp.Type, irp.Size, irp.Flags,
             KD_P((ULONG_PTR)irp.MdlAddress));
    return TRUE;
}

void KdpPrintThreadIrps(ULONG64 thread, ULONG indent)
{
    KD_THREAD_IRPS irps = { indent, 0 };

    KdpWalkList(thread + FIELD_OFFSET(ETHREAD, IrpList), "The thread's IrpList",
                KdpPrintThreadIrp, &irps);
}

const KD_COMMAND KdpIrpCommands[] = {
    { "!irp", KdpIrpCommand, "!irp Address [Detail]",
      "an IRP: its stack locations ('>' current), drivers, completion routines; Detail: "
      "its fields" },
    { "!irpfind", KdpIrpFind,
      "!irpfind [PoolType [RestartAddress [Criteria Data]]]",
      "the IRPs in the pool (tag Irp?), or those whose thread, device, fileobject, userevent "
      "or arg is Data" },
    { NULL, NULL, NULL, NULL },
};
