// Exercise 002 (seeds/002_*.txt): an ALPC wait chain across three
// processes, a client left with one or two of its dozen threads, a message
// box no one sees, and some 30,000 zombie processes. Every part is a real
// user process (user/chainnode, msgbox, jobsched, jobrun), started here
// under names picked per student from user/aliases.txt:
//
//   - the job scheduler runs ~30,000 short jobs, and WerFault.exe for each
//     that crashes, and never closes their process handles: zombies;
//   - a service's report thread shows a message box and waits in its
//     message loop (NtUserGetMessage, WrUserRequest);
//   - the client's pool of a dozen threads shrinks to one or two; its first
//     thread asks the relay for a record; the relay's thread (after some
//     work) asks the end, and the end's thread, which received that request,
//     waits for the record lock it forgot to release after an earlier
//     lookup (a semaphore, with a timeout: UserRequest). The relay and the
//     end serve with pools of threads, as NT's servers do, so the client
//     stands out as the process with its threads missing.
//
// The chain has three links, as the case study's (chainnode.exe can relay
// further; one fixed length keeps the reference solution one path).
//
// The answer (.answer THREAD MODULE) is the end's thread and its module.

#include "kd/kd.h"
#include "kd/exercise.h"
#include "ps/ps.h"

#define EX002_ZOMBIES        30000
#define EX002_COMMAND_LINE   256
#define EX002_POLL_MS        50
#define EX002_FORM_SECONDS   120        // for the chain and the message box
#define EX002_JOBS_SECONDS   3600       // for the scheduler's 30,000 jobs, under TCG

typedef enum _EX002_ROLE {
    Ex002Client, Ex002Relay, Ex002End, Ex002MessageBox, Ex002Scheduler,
    Ex002Roles
} EX002_ROLE;

static const char *const Ex002Names[Ex002Roles][3] = {
    [Ex002Client] = {"PosClient", "ClaimsUI", "TradeDesk"},
    [Ex002Relay] = {"OrderSvc", "PolicySvc", "QuoteSvc"},
    [Ex002End] = {"LedgerDb", "StockDb", "AuditStore"},
    [Ex002MessageBox] = {"SyncAgent", "BackupAgt", "UpdateSvc"},
    [Ex002Scheduler] = {"JobSched", "TaskRunner", "JobSched"},
};
static const char *const Ex002Jobs = "ReportGen.exe Exporter.exe Indexer.exe Thumbnail.exe";

typedef struct _EX002_PROCESS {
    const char *Name;           // without .exe
    EPROCESS *Process;
    ETHREAD *Thread;            // its first thread
} EX002_PROCESS;

static EX002_PROCESS Ex002Processes[Ex002Roles];

static NTSTATUS Ex002Start(EX002_ROLE role, const char *arguments)
{
    static WCHAR buffer[EX002_COMMAND_LINE];
    UNICODE_STRING line = {0, sizeof(buffer), buffer};
    EX002_PROCESS *entry = &Ex002Processes[role];
    char image[32], text[EX002_COMMAND_LINE];
    NTSTATUS status;

    RtlStringPrintf(image, sizeof(image), "%s.exe", entry->Name);
    RtlStringPrintf(text, sizeof(text), "%s %s", image, arguments);
    RtlAsciiToUnicodeString(&line, text);
    status = PsStartUserProgramEx(image, &line, FALSE, &entry->Process, &entry->Thread);
    if (!NT_SUCCESS(status))
        DbgPrint("Exercise: cannot start %s (status %08x)\n", image, (ULONG)status);
    return status;
}

// A thread of `process` that waits for `reason` (and, for WrLpcReply, holds
// its message), or NULL. The caller keeps the states still: the dispatcher
// lock, or the debugger, which has stopped the system.
static ETHREAD *Ex002FindWaiterLocked(EPROCESS *process, KWAIT_REASON reason)
{
    for (LIST_ENTRY *entry = process->ThreadListHead.Flink; entry != &process->ThreadListHead;
         entry = entry->Flink) {
        ETHREAD *thread = CONTAINING_RECORD(entry, ETHREAD, ThreadListEntry);

        if (thread->Tcb.State == Waiting && thread->Tcb.WaitReason == reason &&
            (reason != WrLpcReply || thread->AlpcMessage))
            return thread;
    }
    return NULL;
}

static ETHREAD *Ex002FindWaiter(EPROCESS *process, KWAIT_REASON reason)
{
    ETHREAD *found;
    KIRQL oldIrql;

    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    KiAcquireDispatcherLockAtDpcLevel();
    found = Ex002FindWaiterLocked(process, reason);
    KiReleaseDispatcherLockFromDpcLevel();
    KeLowerIrql(oldIrql);
    return found;
}

// Waits (polling) until every role in `roles` has a thread waiting for
// `reasons[i]`; FALSE after `seconds`.
static BOOLEAN Ex002WaitUntil(const EX002_ROLE *roles, const KWAIT_REASON *reasons,
                              ULONG count, ULONG seconds)
{
    LARGE_INTEGER interval = {.QuadPart = -10000LL * EX002_POLL_MS};

    for (ULONG64 waited = 0; waited < seconds * 1000ULL; waited += EX002_POLL_MS) {
        ULONG settled = 0;

        for (ULONG i = 0; i < count; i++)
            settled += Ex002FindWaiter(Ex002Processes[roles[i]].Process, reasons[i]) != NULL;
        if (settled == count)
            return TRUE;
        KeDelayExecutionThread(KernelMode, FALSE, &interval);
    }
    return FALSE;
}

static void Ex002Pause(ULONG milliseconds)
{
    LARGE_INTEGER interval = {.QuadPart = -10000LL * milliseconds};

    KeDelayExecutionThread(KernelMode, FALSE, &interval);
}

static NTSTATUS Ex002StartJobs(void)
{
    static const EX002_ROLE roles[] = {Ex002Scheduler};
    static const KWAIT_REASON reasons[] = {DelayExecution};
    char arguments[EX002_COMMAND_LINE];
    NTSTATUS status;

    // About 30,000 jobs, one in 12 to 19 of them crashing (a WerFault.exe
    // each), in an order of the student's own.
    RtlStringPrintf(arguments, sizeof(arguments), "%u %u %u %s",
                    EX002_ZOMBIES + KdExerciseChoose("zombies", 997),
                    12 + KdExerciseChoose("failures", 8), 1 + KdExerciseChoose("order", 65521),
                    Ex002Jobs);
    status = Ex002Start(Ex002Scheduler, arguments);
    if (NT_SUCCESS(status) && !Ex002WaitUntil(roles, reasons, 1, EX002_JOBS_SECONDS))
        status = STATUS_TIMEOUT;
    return status;
}

static NTSTATUS Ex002StartChain(void)
{
    static const EX002_ROLE roles[] = {Ex002Client, Ex002Relay, Ex002End};
    static const KWAIT_REASON reasons[] = {WrLpcReply, WrLpcReply, UserRequest};
    char arguments[EX002_COMMAND_LINE];
    NTSTATUS status;

    RtlStringPrintf(arguments, sizeof(arguments), "end \\%sPort %u",
                    Ex002Processes[Ex002End].Name, 3 + KdExerciseChoose("end's pool", 4));
    status = Ex002Start(Ex002End, arguments);
    if (NT_SUCCESS(status)) {
        RtlStringPrintf(arguments, sizeof(arguments), "relay \\%sPort \\%sPort %u %u",
                        Ex002Processes[Ex002Relay].Name, Ex002Processes[Ex002End].Name,
                        1500 + 250 * KdExerciseChoose("relay's work", 8),
                        4 + KdExerciseChoose("relay's pool", 5));
        status = Ex002Start(Ex002Relay, arguments);
    }
    if (NT_SUCCESS(status)) {
        // A pool of 10 to 13 workers, of which one or two threads remain.
        RtlStringPrintf(arguments, sizeof(arguments), "client \\%sPort %u %u",
                        Ex002Processes[Ex002Relay].Name, 10 + KdExerciseChoose("workers", 4),
                        1 + KdExerciseChoose("threads kept", 2));
        status = Ex002Start(Ex002Client, arguments);
    }
    if (!NT_SUCCESS(status))
        return status;
    return Ex002WaitUntil(roles, reasons, 3, EX002_FORM_SECONDS) ? STATUS_SUCCESS
                                                                  : STATUS_TIMEOUT;
}

static NTSTATUS Ex002StartSystem(ULONG64 variant)
{
    static const EX002_ROLE boxRole[] = {Ex002MessageBox};
    static const KWAIT_REASON boxReason[] = {WrUserRequest};
    NTSTATUS status;

    UNREFERENCED_PARAMETER(variant);
    for (ULONG role = 0; role < Ex002Roles; role++) {
        Ex002Processes[role].Name =
            Ex002Names[role][KdExerciseChoose(Ex002Names[role][0], role == Ex002Scheduler ? 2 : 3)];
    }
    // The zombies are days old; the message box some seconds older than the chain.
    status = Ex002StartJobs();
    if (NT_SUCCESS(status))
        status = Ex002Start(Ex002MessageBox, "0");
    if (NT_SUCCESS(status) && !Ex002WaitUntil(boxRole, boxReason, 1, EX002_FORM_SECONDS))
        status = STATUS_TIMEOUT;
    if (NT_SUCCESS(status)) {
        Ex002Pause(1000 + 250 * KdExerciseChoose("box before chain", 8));
        status = Ex002StartChain();
    }
    // The processes live on, held by their threads; the references taken
    // here stay, for CheckAnswer to look at the end's thread.
    return status;
}

// THREAD as the debugger prints it: hex, with or without 0x and the backtick.
static BOOLEAN Ex002ParseAddress(const char *text, ULONG64 *value)
{
    ULONG digits = 0;

    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        text += 2;
    *value = 0;
    for (; *text; text++) {
        char c = *text;

        if (c == '`')
            continue;
        if (c >= '0' && c <= '9')
            *value = *value * 16 + (ULONG64)(c - '0');
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            *value = *value * 16 + (ULONG64)((c | 0x20) - 'a' + 10);
        else
            return FALSE;
        if (++digits > 16)
            return FALSE;
    }
    return digits > 0;
}

// THREAD is the end's thread that waits, now, for the record lock; MODULE
// its image's module (its name, with or without .exe). Runs in the
// debugger, the system stopped: no lock is taken.
static BOOLEAN Ex002CheckAnswer(ULONG argc, const char *const *argv)
{
    EX002_PROCESS *end = &Ex002Processes[Ex002End];
    char image[32];
    ETHREAD *root;
    ULONG64 thread;

    if (argc != 2 || !end->Process || !Ex002ParseAddress(argv[0], &thread))
        return FALSE;
    root = Ex002FindWaiterLocked(end->Process, UserRequest);
    if (!root || (ULONG64)(ULONG_PTR)root != thread)
        return FALSE;
    RtlStringPrintf(image, sizeof(image), "%s.exe", end->Name);
    return !RtlCompareStringInsensitive(argv[1], end->Name) ||
           !RtlCompareStringInsensitive(argv[1], image);
}

const KD_EXERCISE KdExercise002 = {
    .Number = 2,
    .Title = "A business application stopped answering",
    .Symptom = "Users say their desktop application has stopped answering: its window is "
               "still there, but a request they made minutes ago has not come back. Nothing "
               "has crashed, yet the server feels heavy. Break in and find what the "
               "application waits for.",
    .AgeSeconds = 222,
    .Start = Ex002StartSystem,
    .CheckAnswer = Ex002CheckAnswer,
    .AnswerUsage = "THREAD MODULE (the thread at the end of the wait chain, and its module)",
};
