// Exercise 003, "Hung logon" (seeds/003_7ae1898a557dba99.txt): users stay
// at "Applying User Settings". Built as the case study's system was:
//
// - Storage: mpio.sys and its DSM, MyBadDSM.sys (kernel/drivers/; loaded
//   as MyBadDSM, ArrayDSM, SanPathDSM or StorDSM, per student). Every
//   path to the array has failed; each failed request makes mpio queue a
//   path check (mpio!MPIOPathVerify) on the Delayed worker queue, and the
//   DSM's check waits for an adapter that is gone. The three static
//   workers block in the DSM, the balance manager adds dynamic threads
//   until there are 16, all blocked in the DSM too, and the checks pile up.
// - Network: the transport smb.sys, the redirector rdbss.sys + mrxsmb.sys
//   and Mup (mup.sys). The Group Policy service (svchost.exe -k netsvcs -s
//   gpsvc) opens shares on the domain controller: rdbss builds the
//   server's SRV_CALL and mrxsmb asks the transport to connect; smb.sys
//   queues its connect work item (smb!SmbDelayedStartTcpSession) on the
//   same Delayed queue, behind the path checks; the opens wait in
//   rdbss!RxWaitForStableCondition for the server to become stable.
// - Logon: a winlogon.exe and a LogonUI.exe per session, lsm.exe and the
//   TermService (in a svchost.exe): winlogon -> LogonUI -> lsm -> svchost
//   over ALPC; the TermService's threads open \DC005.contoso.com\PIPE\lsarpc,
//   and Mup's provider query waits in mrxsmb for the same server.
//
// Then more failed requests on the disk, until the Delayed queue holds the
// student's count of pending items (about 18,023). Nothing here waits on
// anything itself: every wait is the drivers' and the programs' own.
//
// Per student (KdExerciseChoose): the number of sessions, which svchost
// group hosts the TermService, how many idle svchost instances there are
// and the order they start in (so Cids differ), and the pending count.

#include "kd/kd.h"
#include "kd/kdwait.h"
#include "kd/exercise.h"
#include "io/io.h"
#include "ps/ps.h"
#include "se/se.h"
#include "mm/mm.h"
#include "mm/sysload.h"
#include "arch/x86_64/hal.h"

#define EX003_PENDING_BASE      18021   // plus 0..4: the case study counted 18,023
#define EX003_FIRST_BATCH       40      // path checks waiting when the network starts (+0..23)
#define EX003_SETTLE_MS         60000
#define EX003_MAX_SESSIONS      7
#define EX003_GP_OPENS          2       // svchost's gpsvc threads (user/svchost)
#define EX003_FAST_BALANCE_MS   50

// The case study's timeline, how long before the dump each wait started:
// the Delayed workers 9:26:24, the Group Policy thread 9:19:10, lsm's
// oldest call and the TermService thread it waits for 4:21:41, and the
// logon attempt the dump caught (winlogon, LogonUI, the lsm thread that
// took LogonUI's request) 0:00:29. Halved here (a 15.625 ms tick of aging
// costs QEMU some 150 us of host time): the stages below wait the
// differences, the framework ages the rest (AgeSeconds, the whole).
#define EX003_TIME_SCALE        2
#define EX003_SEED_WORKERS      (9 * 3600 + 26 * 60 + 24)
#define EX003_SEED_GROUP_POLICY (9 * 3600 + 19 * 60 + 10)
#define EX003_SEED_LICENSE      (4 * 3600 + 21 * 60 + 41)
#define EX003_SEED_LOGON        29

static const char *Ex003Services[] = {"Smb", "Mpio", "MyBadDSM", "Rdbss", "mrxsmb", "Mup"};
#define EX003_DSM_SERVICE 2
// The DSM's name, per student: one driver (kernel/drivers/mybaddsm) under
// several service and image names (services.txt, user/aliases.txt), the
// case study's own among them.
static const char *const Ex003Dsms[] = {"MyBadDSM", "ArrayDSM", "SanPathDSM", "StorDSM"};
static const char *const Ex003TermSrvGroups[] = {"NetworkService", "termsvcs",
                                                 "LocalSystemNetworkRestricted"};
static const char *const Ex003IdleGroups[] = {"DcomLaunch", "RPCSS", "LocalServiceNetworkRestricted",
                                              "LocalService", "LocalServiceNoNetwork",
                                              "NetworkServiceNetworkRestricted"};

typedef struct _EX003_STATE {
    EPROCESS *TermSrv;
    EPROCESS *GpSvc;
    ETHREAD *Winlogon[EX003_MAX_SESSIONS];
    ULONG Sessions;
} EX003_STATE;

static EX003_STATE Ex003;

// Threads of `process` waiting with `reason` (those that wait for a reply
// must have the message they wait on).
static ULONG Ex003CountWaiting(EPROCESS *process, KWAIT_REASON reason)
{
    ULONG count = 0;
    KIRQL oldIrql;

    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    KiAcquireDispatcherLockAtDpcLevel();
    for (LIST_ENTRY *entry = process->ThreadListHead.Flink; entry != &process->ThreadListHead;
         entry = entry->Flink) {
        ETHREAD *thread = CONTAINING_RECORD(entry, ETHREAD, ThreadListEntry);

        if (thread->Tcb.State == Waiting && thread->Tcb.WaitReason == reason &&
            (reason != WrLpcReply || thread->AlpcMessage))
            count++;
    }
    KiReleaseDispatcherLockFromDpcLevel();
    KeLowerIrql(oldIrql);
    return count;
}

static BOOLEAN Ex003ThreadWaits(ETHREAD *thread, KWAIT_REASON reason)
{
    BOOLEAN waits;
    KIRQL oldIrql;

    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    KiAcquireDispatcherLockAtDpcLevel();
    waits = thread->Tcb.State == Waiting && thread->Tcb.WaitReason == reason &&
            thread->AlpcMessage;
    KiReleaseDispatcherLockFromDpcLevel();
    KeLowerIrql(oldIrql);
    return waits;
}

static void Ex003Pause(void)
{
    LARGE_INTEGER interval = {.QuadPart = -10LL * 1000 * 10};   // 10 ms

    KeDelayExecutionThread(KernelMode, FALSE, &interval);
}

// Waits (10 ms at a time, up to EX003_SETTLE_MS) for `done`.
static BOOLEAN Ex003WaitUntil(BOOLEAN (*done)(void))
{
    ULONG64 start = KeTickCount;

    while ((KeTickCount - start) * CLOCK_TICK_MICROSECONDS / 1000 < EX003_SETTLE_MS) {
        if (done())
            return TRUE;
        Ex003Pause();
    }
    return done();
}

// The disk's users: `count` reads of \Device\MPIODisk0, each failed by
// mpio (no path) after it queued a path check.
static NTSTATUS Ex003ReadDisk(DEVICE_OBJECT *disk, ULONG count)
{
    static UCHAR sector[512];

    for (ULONG i = 0; i < count; i++) {
        LARGE_INTEGER offset = {.QuadPart = (LONG64)(i % 64) * sizeof(sector)};
        IO_STATUS_BLOCK ioStatus;
        KEVENT done;
        IRP *irp;

        KeInitializeEvent(&done, NotificationEvent, FALSE);
        irp = IoBuildSynchronousFsdRequest(IRP_MJ_READ, disk, sector, sizeof(sector), &offset,
                                           &done, &ioStatus);
        if (!irp)
            return STATUS_INSUFFICIENT_RESOURCES;
        if (IoCallDriver(disk, irp) == STATUS_PENDING)
            KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, NULL);
    }
    return STATUS_SUCCESS;
}

static ULONG Ex003FirstBatch;

static BOOLEAN Ex003QueueAtLimit(void)
{
    EX_WORK_QUEUE *queue = &ExWorkerQueue[DelayedWorkQueue];

    return queue->DynamicThreadCount == EXP_MAX_DYNAMIC_THREADS &&
           ExpQueueDepth(DelayedWorkQueue) == Ex003FirstBatch;
}

static BOOLEAN Ex003DepthRecorded(void)
{
    return ExWorkerQueue[DelayedWorkQueue].QueueDepthLastPass == ExpQueueDepth(DelayedWorkQueue);
}

static BOOLEAN Ex003GroupPolicyWaits(void)
{
    return Ex003CountWaiting(Ex003.GpSvc, Executive) >= EX003_GP_OPENS;
}

// lsm's first license check (the console session's) waits in the open.
static BOOLEAN Ex003LicenseCheckWaits(void)
{
    return Ex003CountWaiting(Ex003.TermSrv, Executive) >= 1;
}

// Each session's check waits behind it, for the license lock.
static BOOLEAN Ex003LogonHung(void)
{
    for (ULONG i = 0; i < Ex003.Sessions; i++) {
        if (!Ex003ThreadWaits(Ex003.Winlogon[i], WrLpcReply))
            return FALSE;
    }
    return Ex003CountWaiting(Ex003.TermSrv, UserRequest) >= Ex003.Sessions;
}

static NTSTATUS Ex003Start(const char *program, const char *arguments, BOOLEAN suspended,
                           EPROCESS **process, ETHREAD **thread)
{
    char line[96];
    WCHAR wide[96];
    UNICODE_STRING commandLine;
    ULONG i;

    RtlStringPrintf(line, sizeof(line), "%s.exe %s", program, arguments);
    for (i = 0; line[i] && i + 1 < ARRAYSIZE(wide); i++)
        wide[i] = (WCHAR)line[i];
    wide[i] = 0;
    RtlInitUnicodeString(&commandLine, wide);
    return PsStartUserProgramEx(program, &commandLine, suspended, process, thread);
}

// Keeps the process (its threads hold it) and drops our references.
static void Ex003Release(EPROCESS *process, ETHREAD *thread)
{
    ObDereferenceObject(thread);
    ObDereferenceObject(process);
}

static NTSTATUS Ex003StartServices(void)
{
    ULONG idle = 3 + KdExerciseChoose("idle svchosts", 3);
    ULONG first = KdExerciseChoose("idle svchost order", ARRAYSIZE(Ex003IdleGroups));
    const char *termSrvGroup = Ex003TermSrvGroups[KdExerciseChoose("termsrv group",
                                                                    ARRAYSIZE(Ex003TermSrvGroups))];
    ULONG termSrvAt = KdExerciseChoose("termsrv position", idle + 1);
    char arguments[80];
    EPROCESS *process;
    ETHREAD *thread;
    NTSTATUS status;

    // The Group Policy service first: it is the one that opens the shares.
    status = Ex003Start("svchost", "-k netsvcs -s gpsvc", FALSE, &Ex003.GpSvc, &thread);
    if (!NT_SUCCESS(status))
        return status;
    ObDereferenceObject(thread);
    if (!Ex003WaitUntil(Ex003GroupPolicyWaits))
        return STATUS_IO_TIMEOUT;
    // Hours pass before lsm starts.
    KdAgeExerciseStage((EX003_SEED_GROUP_POLICY - EX003_SEED_LICENSE) / EX003_TIME_SCALE);
    for (ULONG i = 0; i <= idle; i++) {
        if (i == termSrvAt) {
            RtlStringPrintf(arguments, sizeof(arguments), "-k %s -s TermService", termSrvGroup);
            status = Ex003Start("svchost", arguments, FALSE, &Ex003.TermSrv, &thread);
            if (!NT_SUCCESS(status))
                return status;
            ObDereferenceObject(thread);
            continue;
        }
        RtlStringPrintf(arguments, sizeof(arguments), "-k %s",
                        Ex003IdleGroups[(first + i) % ARRAYSIZE(Ex003IdleGroups)]);
        status = Ex003Start("svchost", arguments, FALSE, &process, &thread);
        if (!NT_SUCCESS(status))
            return status;
        Ex003Release(process, thread);
    }
    status = Ex003Start("lsm", "", FALSE, &process, &thread);
    if (!NT_SUCCESS(status))
        return status;
    Ex003Release(process, thread);
    if (!Ex003WaitUntil(Ex003LicenseCheckWaits))
        return STATUS_IO_TIMEOUT;
    // Hours more before the logon attempt the dump caught.
    KdAgeExerciseStage((EX003_SEED_LICENSE - EX003_SEED_LOGON) / EX003_TIME_SCALE);
    return STATUS_SUCCESS;
}

// A winlogon.exe in a new session, and its LogonUI.exe in the same one;
// each reads its session from its token. Both start suspended and are
// moved to the session before their first instruction.
static NTSTATUS Ex003StartSession(ULONG index)
{
    EPROCESS *winlogon, *logonUi;
    ETHREAD *winlogonThread, *logonUiThread;
    ULONG sessionId;
    NTSTATUS status;

    status = Ex003Start("winlogon", "", TRUE, &winlogon, &winlogonThread);
    if (!NT_SUCCESS(status))
        return status;
    status = MmSessionCreate(winlogon, &sessionId);
    if (NT_SUCCESS(status)) {
        SeSetProcessTokenSessionId(winlogon);
        status = Ex003Start("LogonUI", "", TRUE, &logonUi, &logonUiThread);
    }
    if (!NT_SUCCESS(status)) {
        PsTerminateProcess(winlogon, status);
        Ex003Release(winlogon, winlogonThread);
        return status;
    }
    MmSessionRemoveProcess(logonUi);
    status = MmSessionAddProcess(logonUi, sessionId);
    if (NT_SUCCESS(status))
        SeSetProcessTokenSessionId(logonUi);
    KeResumeThread(&logonUiThread->Tcb);
    KeResumeThread(&winlogonThread->Tcb);
    Ex003Release(logonUi, logonUiThread);
    Ex003.Winlogon[index] = winlogonThread;     // keeps its reference
    ObDereferenceObject(winlogon);
    return status;
}

static NTSTATUS Ex003StartExercise(ULONG64 variant)
{
    ULONG pending = EX003_PENDING_BASE + KdExerciseChoose("pending", 5);
    EX_WORK_QUEUE *queue = &ExWorkerQueue[DelayedWorkQueue];
    FILE_OBJECT *diskFile;
    DEVICE_OBJECT *disk;
    UNICODE_STRING name;
    NTSTATUS status;
    ULONG depth;

    UNREFERENCED_PARAMETER(variant);
    Ex003FirstBatch = EX003_FIRST_BATCH + KdExerciseChoose("first batch", 24);
    Ex003.Sessions = 3 + KdExerciseChoose("sessions", EX003_MAX_SESSIONS - 2);
    Ex003Services[EX003_DSM_SERVICE] =
        Ex003Dsms[KdExerciseChoose("dsm name", ARRAYSIZE(Ex003Dsms))];
    for (ULONG i = 0; i < ARRAYSIZE(Ex003Services); i++) {
        status = IopLoadDriver(Ex003Services[i]);
        if (!NT_SUCCESS(status))
            return status;
    }
    RtlInitUnicodeString(&name, u"\\Device\\MPIODisk0");
    status = IoGetDeviceObjectPointer(&name, FILE_READ_DATA, &diskFile, &disk);
    if (!NT_SUCCESS(status))
        return status;
    // The storage fails first. The balance manager's pass comes every 50 ms
    // instead of every second while the exercise sets up (its rules are
    // unchanged), so that the 16 dynamic threads come in seconds.
    ExpSetWorkerTiming(EX003_FAST_BALANCE_MS, EXP_DYNAMIC_THREAD_IDLE_MS);
    status = Ex003ReadDisk(disk, queue->Info.WorkerCount + EXP_MAX_DYNAMIC_THREADS +
                                     Ex003FirstBatch);
    if (NT_SUCCESS(status) && !Ex003WaitUntil(Ex003QueueAtLimit))
        status = STATUS_IO_TIMEOUT;
    ExpSetWorkerTiming(EXP_BALANCE_INTERVAL_MS, EXP_DYNAMIC_THREAD_IDLE_MS);
    // Minutes later, the network (Group Policy's opens), hours after it
    // lsm's first license check, and hours after that the logons
    // (Ex003StartServices ages between them).
    if (NT_SUCCESS(status))
        KdAgeExerciseStage((EX003_SEED_WORKERS - EX003_SEED_GROUP_POLICY) / EX003_TIME_SCALE);
    if (NT_SUCCESS(status))
        status = Ex003StartServices();
    for (ULONG i = 0; NT_SUCCESS(status) && i < Ex003.Sessions; i++)
        status = Ex003StartSession(i);
    if (NT_SUCCESS(status) && !Ex003WaitUntil(Ex003LogonHung))
        status = STATUS_IO_TIMEOUT;
    // And the storage goes on failing.
    depth = ExpQueueDepth(DelayedWorkQueue);
    if (NT_SUCCESS(status) && depth < pending)
        status = Ex003ReadDisk(disk, pending - depth);
    ObDereferenceObject(diskFile);
    // Until a pass of the balance manager has recorded the depth.
    if (NT_SUCCESS(status) && !Ex003WaitUntil(Ex003DepthRecorded))
        status = STATUS_IO_TIMEOUT;
    return status;
}

// .answer THREAD MODULE: a Delayed queue worker that is blocked, and the
// module its innermost frame outside the dispatcher's waiting is in.
static BOOLEAN Ex003CheckAnswer(ULONG argc, const char *const *argv)
{
    ULONG64 address, sites[32];
    KD_STACK_START start;
    KLDR_DATA_TABLE_ENTRY *module;
    char symbol[96], wanted[64];
    const char *why;
    ETHREAD thread;
    BOOLEAN worker = FALSE;
    ULONG count, first = 0, length;

    if (argc != 2 || !KdpGetValue(argv[0], &address) || !KdpIsThread(address) ||
        !KdpReadMemory(address, &thread, sizeof(thread)))
        return FALSE;
    if (thread.ThreadsProcess != PsInitialSystemProcess || thread.Tcb.State != Waiting ||
        ((ULONG_PTR)thread.StartContext & 0x7fffffff) != DelayedWorkQueue)
        return FALSE;
    if (!KdpGetThreadStackStart(address, address == KdpCurrentThread(), &start, &why))
        return FALSE;
    count = KdpCollectCallSites(&start, sites, ARRAYSIZE(sites));
    for (ULONG i = 0; i < count; i++) {
        KdpFormatAddressSymbol(sites[i], symbol, sizeof(symbol));
        if (RtlMatchPattern("nt!ExpWorkerThread*", symbol))
            worker = TRUE;
        if (first == i && i + 1 < count && KdpIsWaitMachinery(symbol))
            first = i + 1;
    }
    module = count ? MmFindLoadedModule(sites[first]) : NULL;
    if (!worker || !module || !module->BaseDllName.Buffer)
        return FALSE;
    // The module's name, with or without its .sys.
    length = module->BaseDllName.Length / sizeof(WCHAR);
    for (ULONG i = 0; i < length && i + 1 < sizeof(wanted); i++)
        wanted[i] = (char)module->BaseDllName.Buffer[i];
    wanted[length < sizeof(wanted) ? length : sizeof(wanted) - 1] = '\0';
    if (!RtlCompareStringInsensitive(argv[1], wanted))
        return TRUE;
    if (length > 4 && length - 4 < sizeof(wanted) &&
        !RtlCompareStringInsensitive(wanted + length - 4, ".sys")) {
        wanted[length - 4] = '\0';
        return !RtlCompareStringInsensitive(argv[1], wanted);
    }
    return FALSE;
}

const KD_EXERCISE KdExercise003 = {
    .Number = 3,
    .Title = "Hung logon",
    .Symptom = "A Windows Server 2008 machine hangs at logon: every user who logs on stays at\n"
               "\"Applying User Settings\". The console session and the remote sessions alike\n"
               "have been waiting for hours. Find what the logons wait for, and why.",
    .AgeSeconds = EX003_SEED_WORKERS / EX003_TIME_SCALE,   // since the first worker blocked
    .Start = Ex003StartExercise,
    .CheckAnswer = Ex003CheckAnswer,
    .AnswerUsage = "THREAD MODULE  (a blocked worker thread at the root, and the module it is "
                   "blocked in)",
};
