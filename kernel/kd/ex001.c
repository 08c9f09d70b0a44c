// Exercise 001, the warm-up (docs/exercises/01-lpc-warmup.md): the LPC
// programs of the old lpcdemo demo, started by the exercise itself with a
// variant per student. lpcdemo.exe's server copy creates \LpcDemoPort and a
// few helper threads, one of which takes the server's lock (a mutant) and
// then waits for an event nobody sets; the client copy connects and sends
// requests until one makes the server's receiving thread need that lock. So
// the client waits for its reply (WrLpcReply), the server thread working on
// the message waits on the mutant, and the mutant's owner waits forever:
// the root the student names with `.answer THREAD`.
//
// What varies per student: how many helper threads the server has (2-5),
// which of them holds the lock, and which request hangs (so the message
// ids differ). The programs print nothing in this mode.

#include "kd/kd.h"
#include "kd/exercise.h"
#include "ke/ke.h"
#include "ps/ps.h"

static ETHREAD *Kd001ServerThread;      // the server's receiving thread, referenced

// The thread's first wait block's object, if it waits (dispatcher lock held).
static DISPATCHER_HEADER *Kd001WaitObject(ETHREAD *thread)
{
    if (thread->Tcb.State != Waiting || !thread->Tcb.WaitBlockList)
        return NULL;
    return thread->Tcb.WaitBlockList->Object;
}

// The thread the chain ends at: the owner of the mutant the server's
// receiving thread waits on; NULL while the chain has not formed.
static ETHREAD *Kd001RootThreadLocked(void)
{
    DISPATCHER_HEADER *object = Kd001ServerThread ? Kd001WaitObject(Kd001ServerThread) : NULL;

    if (object && object->Type == MutantObject && ((KMUTANT *)object)->OwnerThread)
        return CONTAINING_RECORD(((KMUTANT *)object)->OwnerThread, ETHREAD, Tcb);
    return NULL;
}

static ETHREAD *Kd001RootThread(void)
{
    ETHREAD *root;
    KIRQL oldIrql;

    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    KiAcquireDispatcherLockAtDpcLevel();
    root = Kd001RootThreadLocked();
    KiReleaseDispatcherLockFromDpcLevel();
    KeLowerIrql(oldIrql);
    return root;
}

static BOOLEAN Kd001Waits(ETHREAD *thread, KWAIT_REASON reason)
{
    BOOLEAN waits;
    KIRQL oldIrql;

    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    KiAcquireDispatcherLockAtDpcLevel();
    waits = thread->Tcb.State == Waiting && thread->Tcb.WaitReason == reason;
    KiReleaseDispatcherLockFromDpcLevel();
    KeLowerIrql(oldIrql);
    return waits;
}

// Up to 10 s for `thread` to wait for `reason` (and, for the client, for
// the server's thread to wait on the owned mutant).
static NTSTATUS Kd001WaitFor(ETHREAD *thread, KWAIT_REASON reason, BOOLEAN chain)
{
    LARGE_INTEGER interval = {.QuadPart = -10LL * 1000 * 10};   // 10 ms

    for (ULONG i = 0; i < 1000; i++) {
        if (Kd001Waits(thread, reason) && (!chain || Kd001RootThread()))
            return STATUS_SUCCESS;
        KeDelayExecutionThread(KernelMode, FALSE, &interval);
    }
    return STATUS_TIMEOUT;
}

static NTSTATUS Kd001Start(ULONG64 variant)
{
    ULONG helpers = 2 + KdExerciseChoose("helpers", 4);
    ULONG holder = KdExerciseChoose("holder", helpers);
    ULONG stuck = 2 + KdExerciseChoose("stuck request", 4);
    WCHAR buffer[64];
    UNICODE_STRING line = {0, sizeof(buffer), buffer};
    char text[64];
    EPROCESS *process;
    ETHREAD *client;
    NTSTATUS status;

    RtlStringPrintf(text, sizeof(text), "lpcdemo.exe exercise %u %u %u", helpers, holder, stuck);
    RtlAsciiToUnicodeString(&line, text);
    // The server first: the copy that creates \LpcDemoPort serves it.
    status = PsStartUserProgramEx("lpcdemo", &line, FALSE, &process, &Kd001ServerThread);
    if (!NT_SUCCESS(status))
        return status;
    ObDereferenceObject(process);
    status = Kd001WaitFor(Kd001ServerThread, WrLpcReceive, FALSE);
    if (!NT_SUCCESS(status))
        return status;
    status = PsStartUserProgramEx("lpcdemo", &line, FALSE, &process, &client);
    if (!NT_SUCCESS(status))
        return status;
    ObDereferenceObject(process);
    status = Kd001WaitFor(client, WrLpcReply, TRUE);
    ObDereferenceObject(client);
    return status;
}

// A thread's address as the debugger shows it: hex, with or without the
// backtick and 0x.
static BOOLEAN Kd001ParseAddress(const char *text, ULONG64 *value)
{
    ULONG digits = 0;

    *value = 0;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        text += 2;
    for (; *text; text++) {
        char c = *text;
        ULONG nibble;

        if (c == '`')
            continue;
        if (c >= '0' && c <= '9')
            nibble = (ULONG)(c - '0');
        else if (c >= 'a' && c <= 'f')
            nibble = (ULONG)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            nibble = (ULONG)(c - 'A' + 10);
        else
            return FALSE;
        if (++digits > 16)
            return FALSE;
        *value = *value << 4 | nibble;
    }
    return digits > 0;
}

// Runs in the debugger, every processor stopped (perhaps inside the
// dispatcher): no lock is taken.
static BOOLEAN Kd001CheckAnswer(ULONG argc, const char *const *argv)
{
    ETHREAD *root = Kd001RootThreadLocked();
    ULONG64 thread;

    return argc == 1 && root && Kd001ParseAddress(argv[0], &thread) &&
           thread == (ULONG64)(ULONG_PTR)root;
}

const KD_EXERCISE KdExercise001 = {
    .Number = 1,
    .Title = "(warm-up) an LPC client waits for its server",
    .Symptom = "lpcdemo.exe, a client, sent a request to its server over LPC and has waited\n"
               "for the reply ever since. Which thread holds it up? Find the thread the\n"
               "wait ends at and answer with: .answer THREAD",
    .AgeSeconds = 30 * 60,
    .Start = Kd001Start,
    .CheckAnswer = Kd001CheckAnswer,
    .AnswerUsage = "THREAD   (the address of the thread the client's wait ends at)",
};
