// `.start [-session] PROGRAM [ARGS]`: start a program from the boot archive
// from the kd> prompt, NT's way: the session manager (user/smss) starts it,
// asked over LPC (SmApiExecPgm on \SmApiPort) by a System thread; with
// -session in a new session, as for a logon (SmApiStartSession).
//
// The shell runs with the system stopped (interrupts off, every lock where
// the break-in found it), so the command itself only checks and records the
// request; nothing that takes a lock or waits can run until `g`. The work
// is handed on in three steps, each safe where it runs:
//
//   the shell      checks the name against the boot archive (read in place,
//                  no lock) and records the request: KdpStartRecorded;
//   the clock tick (KdClockTick, at CLOCK_LEVEL: the first tick comes only
//                  once `g` has resumed the system) sees the recorded request
//                  and queues a DPC: KdpStartQueued. Queuing a DPC is what an
//                  interrupt may do, and the DPC list is only ever changed
//                  with interrupts off, so the tick cannot find it half-done;
//   the DPC        sets the event the .start thread waits on;
//   the thread     (created at boot, PASSIVE_LEVEL) asks smss with
//                  LpcRequestWaitReplyPort, prints the outcome on the
//                  console, and takes the next request: KdpStartIdle.
//
// smss keeps the new process's handle, so the process stays in !process.
//
// `.drvload SERVICE` and `.drvunload SERVICE` load and unload a driver
// (docs/drivers.md) the same way: recorded here, done by the same thread
// with IopLoadDriver / IopUnloadDriverByName once `g` resumes the system.

#include "kd/kd.h"
#include "ke/ke.h"
#include "ob/ob.h"
#include "ps/ps.h"
#include "lpc/lpcp.h"
#include "user/smss/smapi.h"
#include "io/io.h"

typedef enum _KD_START_STATE {
    KdpStartIdle,           // no request: `.start` may record one
    KdpStartRecorded,       // recorded in the shell; the next tick hands it on
    KdpStartQueued,         // the DPC is queued or the thread works on it
} KD_START_STATE;

// What the recorded request asks for.
typedef enum _KD_START_KIND {
    KdpStartProgram,
    KdpStartSession,        // the program in a new session
    KdpStartLoadDriver,
    KdpStartUnloadDriver,
} KD_START_KIND;

static volatile LONG KdpStartState = KdpStartIdle;
static KD_START_KIND KdpStartKind;
static BOOLEAN KdpStartThreadRunning;
static ETHREAD *KdpStartThreadObject;   // referenced for good: the wait chains know it
static char KdpStartImage[SM_IMAGE_NAME_LENGTH];
static char KdpStartCommandLine[SM_COMMAND_LINE_LENGTH];
static KEVENT KdpStartEvent;
static KDPC KdpStartDpc;

// Runs on every clock tick (kernel/init's clock interrupt).
void KdClockTick(void)
{
    if (KdpStartState == KdpStartRecorded) {
        KdpStartState = KdpStartQueued;
        KeInsertQueueDpc(&KdpStartDpc, NULL, NULL);
    }
}

// A request the next tick would queue: an idle processor must not sleep
// through ticks (kernel/ke/idleclock.c).
BOOLEAN KdClockTickPending(void)
{
    return KdpStartState == KdpStartRecorded;
}

static void KdpStartDeferredRoutine(KDPC *dpc, void *context, void *argument1, void *argument2)
{
    KeSetEvent(&KdpStartEvent, 0, FALSE);
}

// Asks the session manager to start the recorded program.
static NTSTATUS KdpAskSessionManager(SM_API_NUMBER api, CLIENT_ID *clientId)
{
    static const WCHAR portName[] = SM_PORT_NAME;
    UNICODE_STRING name = {sizeof(portName) - sizeof(WCHAR), sizeof(portName),
                           (WCHAR *)portName};
    OBJECT_ATTRIBUTES attributes;
    SM_API_MESSAGE request, reply;
    void *port;
    NTSTATUS status;

    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    status = ObReferenceObjectByName(&attributes, LpcPortObjectType, &port);
    if (!NT_SUCCESS(status))
        return status;
    SmInitializeMessage(&request, api);
    memcpy(request.ExecPgm.ImageName, KdpStartImage, sizeof(KdpStartImage));
    memcpy(request.ExecPgm.CommandLine, KdpStartCommandLine, sizeof(KdpStartCommandLine));
    status = LpcRequestWaitReplyPort(port, &request.h, &reply.h);
    ObDereferenceObject(port);
    if (!NT_SUCCESS(status))
        return status;
    *clientId = reply.ExecPgm.ClientId;
    return reply.Status;
}

static void KdpStartThread(void *context)
{
    for (;;) {
        CLIENT_ID clientId = {0};
        NTSTATUS status;
        BOOLEAN session;

        char image[sizeof(KdpStartImage)];

        KeWaitForSingleObject(&KdpStartEvent, Executive, KernelMode, FALSE, NULL);
        // The request is over before its line is printed: whoever reads the
        // line (a student, a test) may record the next one at once, and a
        // break-in between the line and the reset would refuse it.
        memcpy(image, KdpStartImage, sizeof(image));
        if (KdpStartKind != KdpStartProgram && KdpStartKind != KdpStartSession) {
            BOOLEAN load = KdpStartKind == KdpStartLoadDriver;

            status = load ? IopLoadDriver(image) : IopUnloadDriverByName(image);
            KdpStartState = KdpStartIdle;
            DbgPrint("%s: %s %s: status %08x\n", load ? ".drvload" : ".drvunload",
                     load ? "loading" : "unloading", image, (ULONG)status);
            continue;
        }
        session = KdpStartKind == KdpStartSession;
        status = KdpAskSessionManager(session ? SmApiStartSession : SmApiExecPgm, &clientId);
        KdpStartState = KdpStartIdle;
        if (NT_SUCCESS(status) && session)
            DbgPrint(".start: a new session for %s (its smss: Cid %llx)\n", image,
                     (unsigned long long)(ULONG_PTR)clientId.UniqueProcess);
        else if (NT_SUCCESS(status))
            DbgPrint(".start: started %s (Cid %llx)\n", image,
                     (unsigned long long)(ULONG_PTR)clientId.UniqueProcess);
        else
            DbgPrint(".start: %s could not start: status %08x\n", image, (ULONG)status);
    }
}

void KdInitStartThread(void)
{
    ETHREAD *thread;

    KeInitializeEvent(&KdpStartEvent, SynchronizationEvent, FALSE);
    KeInitializeDpc(&KdpStartDpc, KdpStartDeferredRoutine, NULL);
    if (!NT_SUCCESS(PsCreateSystemThreadEx(NULL, KdpStartThread, NULL, NORMAL_BASE_PRIORITY,
                                           NULL, &thread)))
        return;             // .start then says it cannot
    KdpStartThreadObject = thread;
    KdpStartThreadRunning = TRUE;
}

BOOLEAN KdpIsShellThread(ULONG64 thread, const char **what)
{
    if (!KdpStartThreadObject || thread != (ULONG64)(ULONG_PTR)KdpStartThreadObject)
        return FALSE;
    *what = ".start's thread, waiting for a .start, .drvload or .drvunload to run";
    return TRUE;
}

// A program name as the archive spells them: letters, digits, '_', '-', '.'.
static BOOLEAN KdpIsProgramName(const char *name)
{
    size_t length = strlen(name);

    if (length == 0 || length >= SM_IMAGE_NAME_LENGTH)
        return FALSE;
    for (size_t i = 0; i < length; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return FALSE;
    }
    return TRUE;
}

static KD_COMMAND_RESULT KdpStart(int argc, char **argv)
{
    char commandLine[SM_COMMAND_LINE_LENGTH];
    size_t length = 0;
    KD_START_KIND kind = KdpStartProgram;

    if (argc >= 2 && strcmp(argv[1], "-session") == 0) {
        kind = KdpStartSession;
        argc--;
        argv++;
    }
    if (argc < 2) {
        KdpPrint("Usage: .start [-session] PROGRAM [ARGS]\n");
        return KdCommandContinue;
    }
    if (!KdpIsProgramName(argv[1])) {
        KdpPrint("Bad program name '%s': at most %u letters, digits, '_', '-' or '.'\n",
                 argv[1], SM_IMAGE_NAME_LENGTH - 1);
        return KdCommandContinue;
    }
    if (!NT_SUCCESS(PsFindUserProgram(argv[1]))) {
        KdpPrint("%s is not in the boot archive\n", argv[1]);
        return KdCommandContinue;
    }
    // The command line the program gets: its name, then the arguments.
    for (int i = 1; i < argc; i++) {
        size_t written = RtlStringPrintf(commandLine + length, sizeof(commandLine) - length,
                                         i == 1 ? "%s" : " %s", argv[i]);

        length += written;
        if (length >= sizeof(commandLine) - 1) {
            KdpPrint("Command line too long (at most %u characters)\n",
                     SM_COMMAND_LINE_LENGTH - 2);
            return KdCommandContinue;
        }
    }
    if (!KdpStartThreadRunning) {
        KdpPrint("No .start thread: this boot (self-tests) runs no session manager client\n");
        return KdCommandContinue;
    }
    if (KdpStartState != KdpStartIdle) {
        KdpPrint("A .start is already pending (%s); `g` lets it run\n", KdpStartImage);
        return KdCommandContinue;
    }
    RtlStringPrintf(KdpStartImage, sizeof(KdpStartImage), "%s", argv[1]);
    memcpy(KdpStartCommandLine, commandLine, sizeof(commandLine));
    KdpStartKind = kind;
    KdpStartState = KdpStartRecorded;
    KdpPrint("Starting %s%s after the target resumes (g)\n", argv[1],
             kind == KdpStartSession ? " in a new session" : "");
    return KdCommandContinue;
}

// `.drvload SERVICE` / `.drvunload SERVICE`: recorded, then done by the
// .start thread once the system runs.
static KD_COMMAND_RESULT KdpDriverRequest(int argc, char **argv, KD_START_KIND kind)
{
    const char *command = kind == KdpStartLoadDriver ? ".drvload" : ".drvunload";

    if (argc != 2) {
        KdpPrint("Usage: %s SERVICE   (a service of the boot archive's services.txt)\n",
                 command);
        return KdCommandContinue;
    }
    if (!KdpIsProgramName(argv[1]) || strchr(argv[1], '.')) {
        KdpPrint("Bad service name '%s': letters, digits, '_' or '-'\n", argv[1]);
        return KdCommandContinue;
    }
    if (!KdpStartThreadRunning) {
        KdpPrint("No .start thread in this boot (self-tests): %s cannot run\n", command);
        return KdCommandContinue;
    }
    if (KdpStartState != KdpStartIdle) {
        KdpPrint("A request is already pending (%s); `g` lets it run\n", KdpStartImage);
        return KdCommandContinue;
    }
    RtlStringPrintf(KdpStartImage, sizeof(KdpStartImage), "%s", argv[1]);
    KdpStartKind = kind;
    KdpStartState = KdpStartRecorded;
    KdpPrint("%s %s after the target resumes (g)\n",
             kind == KdpStartLoadDriver ? "Loading" : "Unloading", argv[1]);
    return KdCommandContinue;
}

static KD_COMMAND_RESULT KdpDriverLoad(int argc, char **argv)
{
    return KdpDriverRequest(argc, argv, KdpStartLoadDriver);
}

static KD_COMMAND_RESULT KdpDriverUnload(int argc, char **argv)
{
    return KdpDriverRequest(argc, argv, KdpStartUnloadDriver);
}

const KD_COMMAND KdpStartCommands[] = {
    { ".start", KdpStart, ".start [-session] PROGRAM [ARGS]",
      "start PROGRAM from the boot archive (through smss) once `g` resumes the system; "
      "-session: in a new session, as for a logon" },
    { ".drvload", KdpDriverLoad, ".drvload SERVICE",
      "load driver SERVICE (services.txt: null.sys for Null) once `g` resumes the system" },
    { ".drvunload", KdpDriverUnload, ".drvunload SERVICE",
      "unload driver SERVICE (its DriverUnload runs) once `g` resumes the system" },
    { NULL, NULL, NULL, NULL },
};
