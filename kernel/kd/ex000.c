// Exercise 000 (seeds/000_*.txt, docs/exercises/00-encrypted-open.md): a
// service opens an encrypted file and the system locks up. Built from the
// real parts, in the order the case study's hang formed:
//
// - lsass.exe (started by init) owns \LsaAuthenticationPort: one dispatcher
//   thread receives every request and hands it to a pool of workers.
// - ScanGuard.sys, an on-access scanner (a minifilter), is loaded after
//   the synchronization service's first pass: it scans each file before
//   it is opened, one scan at a time.
// - svchost.exe hosts the services: some ask lsass for a package and read
//   a file (scanned, fine); the backup services log on domain accounts,
//   which keeps an lsass worker each waiting for a domain controller.
// - The file synchronization service (svchost -k netsvcs) logs the student
//   on, impersonates the student and reads the student's files, the
//   encrypted one too: once before the scanner is loaded (lsass answers),
//   and again when alerted (a file changed), among the other services.
//   ScanGuard takes its scan slot and opens the file itself to scan it; the
//   file system asks KSecDD for the file's key, and KSecDD asks lsass over
//   LPC from inside that create. lsass's worker, to answer, opens the
//   student's key file as the student: ScanGuard makes that open wait for
//   the scan slot, which the waiting svchost thread holds. A deadlock.
// - Later services (another package lookup, another file) find lsass's
//   dispatcher receiving their requests (its LpcReceivedMessageId moves on)
//   and ScanGuard's slot taken.
//
// Each step starts once the one before has settled, a few ticks apart, so
// every blocked thread has a Wait Start TickCount of its own but the
// client and the lsass worker that serves it share one. What varies per
// student: the scanner's name (ScanGuard, AvShield...), how many services
// ran before (so which worker takes the key request), the backup
// services' number, order and accounts, the gaps.

#include "kd/kd.h"
#include "kd/exercise.h"
#include "kd/kdparse.h"
#include "ke/ke.h"
#include "ob/ob.h"
#include "ps/ps.h"
#include "io/io.h"
#include "lpc/lpcp.h"

// The scanner's product, per student: one driver (kernel/drivers/scanguard)
// under several service and image names (services.txt, user/aliases.txt),
// so the module a student names differs from a neighbour's.
static const char *const Ex000Scanners[] = {"ScanGuard", "AvShield", "FileSentry", "SafeScan"};
static const char *Ex000Scanner = "ScanGuard";
#define EX000_MAX_STEPS      8
#define EX000_SETTLE_POLLS   1000           // of 10 ms: 10 s for each step
#define EX000_LSA_PORT       u"\\LsaAuthenticationPort"

typedef enum _EX000_ROLE {
    Ex000Update,        // svchost -k NetworkService: a lookup, a file; then parked
    Ex000Backup,        // svchost -k LocalService DOMAIN\account: waits on lsass
    Ex000Sync,          // svchost -k netsvcs: the encrypted file
    Ex000UpdateBlocked, // svchost -k NetworkService, after the deadlock: waits on the scan
    Ex000SyncStart,     // svchost -k netsvcs: its first pass, before the scanner loads
} EX000_ROLE;

typedef struct _EX000_STEP {
    EX000_ROLE Role;
    const char *Account;
} EX000_STEP;

static const char *const Ex000Accounts[] = {
    "SLEUTH\\svc_backup", "SLEUTH\\svc_sql", "SLEUTH\\svc_report", "SLEUTH\\svc_print",
    "SLEUTH\\svc_archive",
};

// The lsass worker the deadlock holds, found once the hang has formed;
// the synchronization service's process and thread, between its passes.
static ETHREAD *Ex000Worker;
static EPROCESS *Ex000SyncProcess;
static ETHREAD *Ex000SyncThread;

// The thread's state under the dispatcher lock: is it where `role` ends?
static BOOLEAN Ex000Settled(EX000_ROLE role, EPROCESS *process, ETHREAD *thread)
{
    BOOLEAN settled = FALSE;
    KIRQL oldIrql;

    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    KiAcquireDispatcherLockAtDpcLevel();
    if (thread->Tcb.State == Waiting) {
        switch (role) {
        case Ex000Update:
            settled = thread->Tcb.WaitBlockList &&
                      thread->Tcb.WaitBlockList->Object == (void *)&process->Pcb;
            break;
        case Ex000SyncStart:
            settled = thread->Tcb.WaitReason == DelayExecution && thread->Tcb.Alertable;
            break;
        case Ex000Backup:
        case Ex000Sync:
            settled = thread->Tcb.WaitReason == WrLpcReply && thread->LpcReplyMessageId;
            break;
        case Ex000UpdateBlocked:
            settled = thread->Tcb.WaitMode == KernelMode && thread->Tcb.WaitReason == Executive;
            break;
        }
    }
    KiReleaseDispatcherLockFromDpcLevel();
    KeLowerIrql(oldIrql);
    return settled;
}

// lsass's thread that waits in kernel mode for an executive object (the
// worker blocked in the scanner), referenced; NULL if none yet.
static ETHREAD *Ex000FindBlockedWorker(void)
{
    ETHREAD *found = NULL;
    KIRQL oldIrql;

    KeAcquireSpinLock(&PspActiveProcessLock, &oldIrql);
    KiAcquireDispatcherLockAtDpcLevel();
    for (LIST_ENTRY *p = PsActiveProcessHead.Flink; p != &PsActiveProcessHead && !found;
         p = p->Flink) {
        EPROCESS *process = CONTAINING_RECORD(p, EPROCESS, ActiveProcessLinks);

        if (strcmp(process->ImageFileName, "lsass.exe"))
            continue;
        for (LIST_ENTRY *t = process->ThreadListHead.Flink; t != &process->ThreadListHead;
             t = t->Flink) {
            ETHREAD *thread = CONTAINING_RECORD(t, ETHREAD, ThreadListEntry);

            if (thread->Tcb.State == Waiting && thread->Tcb.WaitMode == KernelMode &&
                thread->Tcb.WaitReason == Executive && thread->Tcb.WaitBlockList &&
                ((DISPATCHER_HEADER *)thread->Tcb.WaitBlockList->Object)->Type ==
                    SemaphoreObject &&
                ObReferenceObjectSafe(thread)) {
                found = thread;
                break;
            }
        }
    }
    KiReleaseDispatcherLockFromDpcLevel();
    KeReleaseSpinLock(&PspActiveProcessLock, oldIrql);
    return found;
}

static void Ex000Delay(ULONG ticks)
{
    LARGE_INTEGER interval = {.QuadPart = -(LONG64)ticks * (LONG64)KeQueryTimeIncrement()};

    KeDelayExecutionThread(KernelMode, FALSE, &interval);
}

static NTSTATUS Ex000WaitForLsass(void)
{
    static const WCHAR portName[] = EX000_LSA_PORT;
    UNICODE_STRING name = {sizeof(portName) - sizeof(WCHAR), sizeof(portName),
                           (WCHAR *)portName};
    OBJECT_ATTRIBUTES attributes;
    void *port;

    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    for (ULONG i = 0; i < EX000_SETTLE_POLLS; i++) {
        if (NT_SUCCESS(ObReferenceObjectByName(&attributes, LpcPortObjectType, &port))) {
            ObDereferenceObject(port);
            return STATUS_SUCCESS;
        }
        Ex000Delay(1);
    }
    return STATUS_PORT_CONNECTION_REFUSED;
}

// KSecDD's request: the synchronization service's thread waits in kernel
// mode for a reply through a client port of \LsaAuthenticationPort that the
// kernel made (KSecDD's connection: the System process's port). Anything
// else (its own request to lsass, in user mode) is not the case study's.
static BOOLEAN Ex000WaitsOnKsecdd(ETHREAD *thread)
{
    static const WCHAR portName[] = EX000_LSA_PORT;
    UNICODE_STRING name = {sizeof(portName) - sizeof(WCHAR), sizeof(portName),
                           (WCHAR *)portName};
    OBJECT_ATTRIBUTES attributes;
    LPCP_PORT_OBJECT *port, *lsaPort;
    BOOLEAN waits = FALSE;
    KIRQL oldIrql;

    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    if (!NT_SUCCESS(ObReferenceObjectByName(&attributes, LpcPortObjectType, (void **)&lsaPort)))
        return FALSE;
    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    KiAcquireDispatcherLockAtDpcLevel();
    port = (LPCP_PORT_OBJECT *)((ULONG_PTR)thread->LpcWaitingOnPort & ~LPCP_THREAD_FLAGS);
    if (thread->Tcb.State == Waiting && thread->Tcb.WaitReason == WrLpcReply &&
        thread->Tcb.WaitMode == KernelMode && thread->LpcReplyMessageId && port &&
        ((ULONG_PTR)thread->LpcWaitingOnPort & LPCP_THREAD_FLAG_IS_PORT))
        waits = (port->Flags & LPCP_PORT_TYPE_MASK) == LPCP_CLIENT_PORT &&
                port->ConnectionPort == lsaPort && port->MappingProcess == PsInitialSystemProcess;
    KiReleaseDispatcherLockFromDpcLevel();
    KeLowerIrql(oldIrql);
    ObDereferenceObject(lsaPort);
    return waits;
}

static NTSTATUS Ex000WaitUntilSettled(EX000_ROLE role, EPROCESS *process, ETHREAD *thread)
{
    ULONG i;

    // The encrypted file's open: its thread waits for the file's key, asked
    // for by KSecDD from inside the create (it may first wait on a request
    // of its own). Without KSecDD's request this would be another hang than
    // the case study's: say so rather than break in on it.
    for (i = 0; role == Ex000Sync ? !Ex000WaitsOnKsecdd(thread)
                                  : !Ex000Settled(role, process, thread);
         i++) {
        if (i < EX000_SETTLE_POLLS) {
            Ex000Delay(1);
            continue;
        }
        if (role != Ex000Sync)
            return STATUS_TIMEOUT;
        DbgPrint("Exercise 000: the synchronization service's thread does not wait for "
                 "KSecDD's request to lsass (KSecDD did not connect to "
                 "\\LsaAuthenticationPort)\n");
        return STATUS_PORT_CONNECTION_REFUSED;
    }
    // The key request: until lsass's worker is in the scanner too.
    for (; role == Ex000Sync && !Ex000Worker; i++) {
        if (i == EX000_SETTLE_POLLS)
            return STATUS_TIMEOUT;
        if (!(Ex000Worker = Ex000FindBlockedWorker()))
            Ex000Delay(1);
    }
    return STATUS_SUCCESS;
}

// Starts one service host (the synchronization service's second pass:
// alerts it) and waits until it is where its role ends.
static NTSTATUS Ex000RunStep(const EX000_STEP *step)
{
    static const char *const groups[] = {
        [Ex000Update] = "NetworkService", [Ex000Backup] = "LocalService",
        [Ex000Sync] = "netsvcs", [Ex000UpdateBlocked] = "NetworkService",
        [Ex000SyncStart] = "netsvcs",
    };
    // The service each runs (user/svchost/lsasvc.c).
    static const char *const services[] = {
        [Ex000Update] = "Update", [Ex000Backup] = "Backup", [Ex000Sync] = "FileSync",
        [Ex000UpdateBlocked] = "Update", [Ex000SyncStart] = "FileSync",
    };
    char text[96];
    WCHAR wide[96];
    UNICODE_STRING line;
    EPROCESS *process;
    ETHREAD *thread;
    ULONG length;
    NTSTATUS status;

    if (step->Role == Ex000Sync) {
        if (!Ex000SyncThread)
            return STATUS_INVALID_DEVICE_STATE;
        KeAlertThread(&Ex000SyncThread->Tcb, UserMode);
        status = Ex000WaitUntilSettled(Ex000Sync, Ex000SyncProcess, Ex000SyncThread);
        ObDereferenceObject(Ex000SyncThread);
        ObDereferenceObject(Ex000SyncProcess);
        Ex000SyncThread = NULL;
        Ex000SyncProcess = NULL;
        return status;
    }
    RtlStringPrintf(text, sizeof(text), "svchost.exe -k %s -s %s%s%s", groups[step->Role],
                    services[step->Role], step->Account ? " " : "",
                    step->Account ? step->Account : "");
    for (length = 0; text[length]; length++)
        wide[length] = (UCHAR)text[length];
    line.Buffer = wide;
    line.Length = line.MaximumLength = (USHORT)(length * sizeof(WCHAR));
    status = PsStartUserProgramEx("svchost", &line, FALSE, &process, &thread);
    if (!NT_SUCCESS(status))
        return status;
    status = Ex000WaitUntilSettled(step->Role, process, thread);
    if (NT_SUCCESS(status) && step->Role == Ex000SyncStart) {
        Ex000SyncProcess = process;     // kept for its second pass
        Ex000SyncThread = thread;
        return status;
    }
    ObDereferenceObject(thread);
    ObDereferenceObject(process);
    return status;
}

static NTSTATUS Ex000Start(ULONG64 variant)
{
    EX000_STEP steps[EX000_MAX_STEPS];
    ULONG count = 0, updates = KdExerciseChoose("updates before", 3);
    ULONG before = KdExerciseChoose("backups before", 2);
    ULONG after = 1 + KdExerciseChoose("backups after", 2);
    ULONG account = KdExerciseChoose("first account", ARRAYSIZE(Ex000Accounts));
    KIRQL oldIrql;
    NTSTATUS status;

    (void)variant;
    // At most two backups: lsass has six workers; the key request and the
    // backups hold three of them, the rest wait for work.
    if (before + after > 2)
        after = 2 - before;
    for (ULONG i = 0; i < updates; i++)
        steps[count++] = (EX000_STEP){Ex000Update, NULL};
    for (ULONG i = 0; i < before; i++)
        steps[count++] = (EX000_STEP){Ex000Backup, Ex000Accounts[account++ %
                                                                 ARRAYSIZE(Ex000Accounts)]};
    steps[count++] = (EX000_STEP){Ex000Sync, NULL};
    for (ULONG i = 0; i < after; i++)
        steps[count++] = (EX000_STEP){Ex000Backup, Ex000Accounts[account++ %
                                                                 ARRAYSIZE(Ex000Accounts)]};
    steps[count++] = (EX000_STEP){Ex000UpdateBlocked, NULL};

    status = Ex000WaitForLsass();
    if (!NT_SUCCESS(status))
        return status;
    // The case study's server had been up for days: its LPC message ids
    // ran in the millions. So do this one's, from a point of its own.
    oldIrql = LpcpAcquireLock();
    LpcpNextMessageId = 0x01000000 + KdExerciseChoose("message ids", 0x00800000);
    LpcpReleaseLock(oldIrql);
    // The synchronization service runs its first pass before the scanner
    // is loaded: the encrypted file opens then, lsass answers.
    status = Ex000RunStep(&(EX000_STEP){Ex000SyncStart, NULL});
    if (!NT_SUCCESS(status))
        return status;
    Ex000Delay(6 + KdExerciseChoose("first gap", 8));
    Ex000Scanner = Ex000Scanners[KdExerciseChoose("scanner", ARRAYSIZE(Ex000Scanners))];
    status = IopLoadDriver(Ex000Scanner);
    if (!NT_SUCCESS(status))
        return status;
    for (ULONG i = 0; i < count; i++) {
        char what[24];

        status = Ex000RunStep(&steps[i]);
        if (!NT_SUCCESS(status))
            return status;
        // A few ticks between steps (6 to 13): no two waits start together
        // but the client's and its server's.
        RtlStringPrintf(what, sizeof(what), "gap %u", i);
        Ex000Delay(6 + KdExerciseChoose(what, 8));
    }
    return STATUS_SUCCESS;
}

// ---- .answer THREAD MODULE ---------------------------------------------------------------

// Right when the thread is lsass's worker that the deadlock holds, still
// blocked there now, and the module is the scanner.
static BOOLEAN Ex000CheckAnswer(ULONG argc, const char *const *argv)
{
    ULONG64 address;

    // The debugger runs with every processor stopped, perhaps inside the
    // dispatcher: it reads the thread without taking a lock.
    if (argc != 2 || !Ex000Worker || !KdpParseAnswerAddress(argv[0], &address) ||
        !KdpIsAnswerModule(argv[1], Ex000Scanner) || address != (ULONG64)(ULONG_PTR)Ex000Worker)
        return FALSE;
    return Ex000Worker->Tcb.State == Waiting && Ex000Worker->Tcb.WaitReason == Executive;
}

const KD_EXERCISE KdExercise000 = {
    .Number = 0,
    .Title = "a service's file open never returns",
    .Symptom = "The server locks up whenever an encrypted file is opened. A file\n"
               "synchronization service (svchost.exe) has been stuck in an open for\n"
               "hours, and other services that open files hang as well. Find the\n"
               "thread that keeps the service from getting its answer, and the module\n"
               "it waits in.",
    .AgeSeconds = 4 * 3600 + 18 * 60 + 41,
    .Start = Ex000Start,
    .CheckAnswer = Ex000CheckAnswer,
    .AnswerUsage = "THREAD MODULE",
};
