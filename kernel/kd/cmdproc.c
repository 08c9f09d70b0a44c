// Process commands: !process, as WinDbg prints it. The processes are those on
// PsActiveProcessHead: every process not yet deleted, including ended ones
// that something still references (the case studies' "zombies"); a
// process's threads are those on its ThreadListHead, ended ones included.

#include "kd/kd.h"
#include "ps/ps.h"
#include "arch/x86_64/hal.h"

#define KD_PROCESS_STATISTICS   0x1     // WinDbg's flags
#define KD_PROCESS_THREAD_WAITS 0x2
#define KD_PROCESS_THREADS      0x4
#define KD_PROCESS_DEFAULT_ALL  0x3     // `!process`, `!process 0`, `!process -1`
#define KD_PROCESS_DEFAULT_ONE  0xf     // `!process ADDR`
#define KD_CURRENT_PROCESS      (~0ULL)
#define KD_KERNEL_SPACE_START   0xffff800000000000ULL   // below it, the argument is a Cid
#define HUNDRED_NS_PER_MS       10000

BOOLEAN KdpReadImageName(ULONG64 process, char *name, size_t size)
{
    char raw[PROCESS_IMAGE_NAME_LENGTH];
    size_t i;

    if (!size)
        return FALSE;
    name[0] = '\0';
    if (!KdpReadMemory(process + FIELD_OFFSET(EPROCESS, ImageFileName), raw, sizeof(raw)))
        return FALSE;
    for (i = 0; i < sizeof(raw) && i + 1 < size && raw[i]; i++)
        name[i] = raw[i] >= 0x20 && raw[i] < 0x7f ? raw[i] : '?';
    name[i] = '\0';
    return TRUE;
}

// Reads the EPROCESS at `address` once it has shown it is one (dispatcher
// type and object type agree); unless `quiet`, says in one line why not.
static BOOLEAN KdpReadProcess(ULONG64 address, EPROCESS *process, LONG_PTR *references,
                              BOOLEAN quiet)
{
    OBJECT_HEADER header;

    if (!KdpReadMemory(address, process, sizeof(*process))) {
        if (!quiet)
            KdpPrint("%016llx is not a process: its memory cannot be read\n",
                     (unsigned long long)address);
        return FALSE;
    }
    if (process->Pcb.Header.Type != ProcessObject) {
        if (!quiet)
            KdpPrint("%016llx is not a process: DISPATCHER_HEADER.Type is %u, not %u "
                     "(ProcessObject)\n", (unsigned long long)address,
                     process->Pcb.Header.Type, ProcessObject);
        return FALSE;
    }
    if (!KdpReadMemory(address - FIELD_OFFSET(OBJECT_HEADER, Body), &header,
                       FIELD_OFFSET(OBJECT_HEADER, Body)) || header.Type != PsProcessType) {
        if (!quiet)
            KdpPrint("%016llx is not a process: its object header does not say Process\n",
                     (unsigned long long)address);
        return FALSE;
    }
    *references = header.PointerCount;
    return TRUE;
}

// "hh:mm:ss.mmm" for a span of system time (100-ns units).
static void KdpFormatSpan(char *buffer, size_t size, LONG64 span)
{
    ULONG64 ms = span > 0 ? (ULONG64)span / HUNDRED_NS_PER_MS : 0;

    RtlStringPrintf(buffer, size, "%02llu:%02llu:%02llu.%03llu",
                    (unsigned long long)(ms / 3600000), (unsigned long long)(ms / 60000 % 60),
                    (unsigned long long)(ms / 1000 % 60), (unsigned long long)(ms % 1000));
}

static void KdpPrintStatistic(const char *label, const char *value)
{
    KdpPrint("    %-34s%s\n", label, value);
}

static void KdpPrintPortStatistic(const char *label, const void *port)
{
    char text[20];

    if (!port)
        return;
    RtlStringPrintf(text, sizeof(text), "%016llx", (unsigned long long)(ULONG_PTR)port);
    KdpPrintStatistic(label, text);
}

// "N Mb" for a number of pages, as WinDbg prints VirtualSize.
static void KdpFormatMegabytes(char *buffer, size_t size, ULONG64 pages)
{
    RtlStringPrintf(buffer, size, "%llu Mb", (unsigned long long)(pages * PAGE_SIZE >> 20));
}

// Bit 0 of the flags: the address space, the device map, the token, times,
// pool quota, sizes and priority, in WinDbg's order. Only what Sleuth
// keeps: no working set or page-fault lines (there are no such counts to
// show), and the VadRoot line without Clone, Modified and Locked for the
// same reason.
// The times are the process's own (KPROCESS.UserTime and KernelTime): the
// clock charges each tick to the thread and to its process, in the mode it
// interrupted, so they include the threads that have ended.
static void KdpPrintProcessStatistics(ULONG64 address, const EPROCESS *process, BOOLEAN ended)
{
    EPROCESS_QUOTA_BLOCK quota;
    LONG64 created = process->CreateTime.QuadPart ? process->CreateTime.QuadPart
                                                  : KiBootSystemTime;
    LONG64 until = ended ? process->ExitTime.QuadPart : KeQuerySystemTime().QuadPart;
    char text[48];

    // The VAD tree's root (for !vad), its count and the private pages, as
    // NT's VadRoot, Vads and Private.
    if (process->AddressSpaceInitialized)
        KdpPrint("    VadRoot %016llx Vads %u Private %llu.\n",
                 (unsigned long long)(ULONG_PTR)process->VadRoot.Root,
                 process->VadRoot.NumberGenericTableElements,
                 (unsigned long long)process->CommitCharge);
    // Its DosDevices (NT's DEVICE_MAP, ob/obdevmap.c): Idle has none.
    if (process->DeviceMap) {
        RtlStringPrintf(text, sizeof(text), "%016llx",
                        (unsigned long long)(ULONG_PTR)process->DeviceMap);
        KdpPrintStatistic("DeviceMap", text);
    }
    if (process->Token) {
        RtlStringPrintf(text, sizeof(text), "%016llx",
                        (unsigned long long)(ULONG_PTR)process->Token);
        KdpPrintStatistic("Token", text);
    }
    KdpFormatSpan(text, sizeof(text), until - created);
    KdpPrintStatistic("ElapsedTime", text);
    KdpFormatTickTime(text, sizeof(text), process->Pcb.UserTime);
    KdpPrintStatistic("UserTime", text);
    KdpFormatTickTime(text, sizeof(text), process->Pcb.KernelTime);
    KdpPrintStatistic("KernelTime", text);
    // The pool its objects cost it now (ps/quota.c), paged then nonpaged.
    if (process->QuotaBlock &&
        KdpReadMemory((ULONG64)(ULONG_PTR)process->QuotaBlock, &quota, sizeof(quota))) {
        RtlStringPrintf(text, sizeof(text), "%llu",
                        (unsigned long long)quota.QuotaEntry[PsPagedPool].Usage);
        KdpPrintStatistic("QuotaPoolUsage[PagedPool]", text);
        RtlStringPrintf(text, sizeof(text), "%llu",
                        (unsigned long long)quota.QuotaEntry[PsNonPagedPool].Usage);
        KdpPrintStatistic("QuotaPoolUsage[NonPagedPool]", text);
    }
    if (process->AddressSpaceInitialized) {
        KdpFormatMegabytes(text, sizeof(text), process->VadRoot.VirtualPages);
        KdpPrintStatistic("VirtualSize", text);
        KdpFormatMegabytes(text, sizeof(text), process->VadRoot.PeakVirtualPages);
        KdpPrintStatistic("PeakVirtualSize", text);
    }
    RtlStringPrintf(text, sizeof(text), "%d", process->Pcb.BasePriority);
    KdpPrintStatistic("BasePriority", text);
    RtlStringPrintf(text, sizeof(text), "%llu", (unsigned long long)process->CommitCharge);
    KdpPrintStatistic("CommitCharge", text);
    // The LPC ports the system tells about the process's debug events,
    // exceptions and security (NT: DebugPort, ExceptionPort, SecurityPort).
    KdpPrintPortStatistic("DebugPort", process->DebugPort);
    KdpPrintPortStatistic("ExceptionPort", process->ExceptionPort);
    KdpPrintPortStatistic("SecurityPort", process->SecurityPort);
    if (ended) {
        RtlStringPrintf(text, sizeof(text), "0x%08x", (ULONG)process->ExitStatus);
        KdpPrintStatistic("ExitStatus", text);
    }
}

static BOOLEAN KdpPrintProcessThread(void *context, ULONG64 entry)
{
    const ULONG *threadFlags = context;

    KdpPrintThread(entry - FIELD_OFFSET(ETHREAD, ThreadListEntry), *threadFlags, 8);
    if (*threadFlags & KD_THREAD_WAIT_STATES)
        KdpPrint("\n");
    return TRUE;
}

// One paragraph, as WinDbg: the PROCESS line, ids, address space, image;
// then by the flags its times and its threads.
static void KdpPrintProcess(ULONG64 address, const EPROCESS *process, LONG_PTR references,
                            ULONG flags)
{
    BOOLEAN ended = process->ProcessExiting || process->Pcb.Header.SignalState != 0;
    BOOLEAN sessionless = process->Session == NULL;
    char session[16], image[PROCESS_IMAGE_NAME_LENGTH + 1];
    ULONG threadFlags;

    if (sessionless)
        RtlStringPrintf(session, sizeof(session), "none");
    else
        RtlStringPrintf(session, sizeof(session), "%u", process->SessionId);
    KdpReadImageName(address, image, sizeof(image));
    KdpPrint("PROCESS %016llx\n", (unsigned long long)address);
    KdpPrint("    SessionId: %s  Cid: %04llx    Peb: %08llx  ParentCid: %04llx\n", session,
             (unsigned long long)(ULONG_PTR)process->UniqueProcessId,
             (unsigned long long)(ULONG_PTR)process->Peb,
             (unsigned long long)(ULONG_PTR)process->InheritedFromUniqueProcessId);
    KdpPrint("    DirBase: %08llx  ObjectTable: %08llx  HandleCount: %u.\n",
             (unsigned long long)process->Pcb.DirectoryTableBase,
             (unsigned long long)(ULONG_PTR)process->ObjectTable,
             KdpProcessHandleCount((ULONG64)(ULONG_PTR)process->ObjectTable));
    if (ended)
        KdpPrint("    Image: %s (zombie: exited, %lld reference%s)\n", image,
                 (long long)references, references == 1 ? "" : "s");
    else
        KdpPrint("    Image: %s\n", image);
    if (flags & KD_PROCESS_STATISTICS)
        KdpPrintProcessStatistics(address, process, ended);
    if (!(flags & (KD_PROCESS_THREAD_WAITS | KD_PROCESS_THREADS))) {
        KdpPrint("\n");
        return;
    }
    // Bit 1: each thread with its waits; bit 2 with it: and its stack;
    // bit 2 alone: one line per thread.
    threadFlags = 0;
    if (flags & KD_PROCESS_THREAD_WAITS)
        threadFlags = KD_THREAD_WAIT_STATES | ((flags & KD_PROCESS_THREADS) ? KD_THREAD_STACK : 0);
    KdpPrint("\n");
    KdpWalkList(address + FIELD_OFFSET(EPROCESS, ThreadListHead), "ThreadListHead",
                KdpPrintProcessThread, &threadFlags);
    if (!threadFlags)
        KdpPrint("\n");
}

typedef struct _KD_PROCESS_QUERY {
    ULONG Flags;
    const char *ImageName;      // only processes with this image name (any case), or NULL
    ULONG64 ProcessId;          // only the process with this Cid, or KD_CURRENT_PROCESS: any
    ULONG Shown;
} KD_PROCESS_QUERY;

static BOOLEAN KdpPrintMatchingProcess(void *context, ULONG64 entry)
{
    KD_PROCESS_QUERY *query = context;
    ULONG64 address = entry - FIELD_OFFSET(EPROCESS, ActiveProcessLinks);
    EPROCESS process;
    LONG_PTR references;
    char image[PROCESS_IMAGE_NAME_LENGTH + 1];

    if (!KdpReadProcess(address, &process, &references, FALSE))
        return TRUE;        // said why; the next one may be fine
    if (query->ImageName) {
        KdpReadImageName(address, image, sizeof(image));
        if (RtlCompareStringInsensitive(image, query->ImageName) != 0)
            return TRUE;
    }
    if (query->ProcessId != KD_CURRENT_PROCESS &&
        (ULONG64)(ULONG_PTR)process.UniqueProcessId != query->ProcessId)
        return TRUE;
    KdpPrintProcess(address, &process, references, query->Flags);
    query->Shown++;
    return TRUE;
}

typedef struct _KD_CID_SEARCH {
    ULONG64 ProcessId;
    ULONG64 Process;
} KD_CID_SEARCH;

static BOOLEAN KdpMatchProcessId(void *context, ULONG64 entry)
{
    KD_CID_SEARCH *search = context;
    ULONG64 address = entry - FIELD_OFFSET(EPROCESS, ActiveProcessLinks);
    ULONG64 id;

    if (KdpReadMemory(address + FIELD_OFFSET(EPROCESS, UniqueProcessId), &id, sizeof(id)) &&
        id == search->ProcessId) {
        search->Process = address;
        return FALSE;
    }
    return TRUE;
}

BOOLEAN KdpResolveProcess(ULONG64 which, ULONG64 *result)
{
    EPROCESS process;
    LONG_PTR references;

    if (which == KD_CURRENT_PROCESS && KdpImplicitProcessOverride()) {
        which = KdpImplicitProcessOverride();       // `.process`'s choice
    } else if (which == KD_CURRENT_PROCESS) {
        ULONG64 thread = KdpImplicitThread();

        if (!KdpIsThread(thread) ||
            !KdpReadMemory(thread + FIELD_OFFSET(ETHREAD, ThreadsProcess), &which,
                           sizeof(which))) {
            KdpPrint("No current process: the current thread %016llx cannot be read\n",
                     (unsigned long long)thread);
            return FALSE;
        }
    } else if (which < KD_KERNEL_SPACE_START) {
        KD_CID_SEARCH search = { which, 0 };

        KdpWalkList((ULONG64)&PsActiveProcessHead, "PsActiveProcessHead", KdpMatchProcessId,
                    &search);
        if (!search.Process) {
            KdpPrint("No active process has Cid %04llx\n", (unsigned long long)which);
            return FALSE;
        }
        which = search.Process;
    }
    if (!KdpReadProcess(which, &process, &references, FALSE))
        return FALSE;
    *result = which;
    return TRUE;
}

void KdpPrintProcessSummary(ULONG64 address)
{
    EPROCESS process;
    LONG_PTR references;

    if (KdpReadProcess(address, &process, &references, FALSE))
        KdpPrintProcess(address, &process, references, 0);
}

static KD_COMMAND_RESULT KdpProcess(int argc, char **argv)
{
    ULONG64 which = KD_CURRENT_PROCESS, flags;
    KD_PROCESS_QUERY query = { 0, NULL, KD_CURRENT_PROCESS, 0 };
    EPROCESS process;
    LONG_PTR references;

    if (argc > 4) {
        KdpPrint("Usage: !process [process [flags]]  or  !process 0 flags image-name\n");
        return KdCommandContinue;
    }
    if (argc >= 2 && !KdpGetValue(argv[1], &which))
        return KdCommandContinue;
    flags = which == 0 || which == KD_CURRENT_PROCESS ? KD_PROCESS_DEFAULT_ALL
                                                      : KD_PROCESS_DEFAULT_ONE;
    if (argc >= 3 && !KdpGetValue(argv[2], &flags))
        return KdCommandContinue;
    if (argc == 4 && which != 0) {
        KdpPrint("An image name goes with process 0: !process 0 flags image-name\n");
        return KdCommandContinue;
    }
    query.Flags = (ULONG)flags;

    if (which == KD_CURRENT_PROCESS && !KdpResolveProcess(which, &which))
        return KdCommandContinue;
    if (which == 0) {
        query.ImageName = argc == 4 ? argv[3] : NULL;
        KdpPrint("**** NT ACTIVE PROCESS DUMP ****\n");
        KdpWalkList((ULONG64)&PsActiveProcessHead, "PsActiveProcessHead",
                    KdpPrintMatchingProcess, &query);
        if (query.ImageName && !query.Shown)
            KdpPrint("No active process has the image name '%s'\n", query.ImageName);
    } else if (which < KD_KERNEL_SPACE_START) {
        query.ProcessId = which;
        KdpWalkList((ULONG64)&PsActiveProcessHead, "PsActiveProcessHead",
                    KdpPrintMatchingProcess, &query);
        if (!query.Shown)
            KdpPrint("No active process has Cid %04llx\n", (unsigned long long)which);
    } else if (KdpReadProcess(which, &process, &references, FALSE)) {
        KdpPrintProcess(which, &process, references, (ULONG)flags);
    }
    return KdCommandContinue;
}

const KD_COMMAND KdpProcessCommands[] = {
    { "!process", KdpProcess,
      "!process [process|cid [flags]] | !process 0 flags image-name",
      "processes: 0 = all (with an image name: those), flags 1 times, 2 threads, 4 stacks" },
    { "!vad", KdpVad, "!vad VAD-root [1]",
      "a process's VAD tree (VadRoot in !process ... 1): each VAD's level, pages, commit, "
      "type, protection; 1: one VAD in detail" },
    { "!session", KdpSession, "!session [-s DefaultSession]",
      "the sessions on the machine (ids) and the current one, the implicit process's; "
      "-s ID: a process of that session becomes the implicit process (-1: the current)" },
    { NULL, NULL, NULL, NULL },
};
