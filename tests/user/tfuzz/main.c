// tfuzz's campaign. The command line (docs/fuzzing.md):
//
//   tfuzz run seed=S [calls=N] [secs=T] [threads=W] [avoid=I,J]
//
// W workers (4 by default) call services chosen by weight, each from its
// own stream of the seed; the main thread is the watchdog (a worker stuck
// in a call for 100 ms, in an LPC wait say, is terminated and started
// again on a new stream), starts and kills children, prints progress, and
// at the end ends every child and thread, takes the permanence away from
// the fz* names and closes everything, so that the kernel's leak check
// after the program sees every object gone. Any other command line is a
// child's role (children.c).

#include "tests/user/tfuzz/fuzz.h"

#define FZ_STALL_MS 100
#define FZ_TICK_MS 10
#define FZ_PROGRESS_MS 1000
#define FZ_U(x) ((unsigned long long)(x))

FZ_WORKER FzWorkers[FZ_MAX_WORKERS];
ULONG FzWorkerCount = 4;
HANDLE FzSelfPid, FzMainTid;
volatile ULONG64 FzServiceCalls[SERVICE_COUNT];
volatile ULONG64 FzFiltered;
volatile LONG FzStopping;
ULONG FzAvoid;
void FzCleanNames(void);
int FzNamesTest(void);
extern volatile ULONG FzChildrenStarted;

static ULONG64 FzSeedValue = 1;
static ULONG64 FzCallLimit, FzSecondLimit;
static ULONG FzWeightTotal;
static volatile HANDLE FzLockOwner;

void FzLock(void)
{
    HANDLE self = NtCurrentTeb()->ClientId.UniqueThread;
    LARGE_INTEGER moment = {.QuadPart = -10000};

    for (ULONG spins = 0;; spins++) {
        HANDLE expected = NULL;

        if (__atomic_compare_exchange_n(&FzLockOwner, &expected, self, FALSE, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            return;
        // Yielding only lets threads of our priority run: an owner with a
        // lower one (a boost ran out) needs us to sleep.
        if (spins < 8)
            NtYieldExecution();
        else
            NtDelayExecution(FALSE, &moment);
    }
}

void FzUnlock(void)
{
    __atomic_store_n(&FzLockOwner, NULL, __ATOMIC_RELEASE);
}

void FzForgiveLock(HANDLE threadId)
{
    HANDLE expected = threadId;

    __atomic_compare_exchange_n(&FzLockOwner, &expected, NULL, FALSE, __ATOMIC_SEQ_CST,
                                __ATOMIC_SEQ_CST);
}

static LONGLONG FzNowMs(void)
{
    LARGE_INTEGER now;

    NtQuerySystemTime(&now);
    return now.QuadPart / 10000;
}

static ULONG FzPickService(FZ_RNG *rng)
{
    ULONG pick = FzBelow(rng, FzWeightTotal);

    for (ULONG i = 0; i < SERVICE_COUNT; i++) {
        if (pick < FzServices[i].Weight)
            return i;
        pick -= FzServices[i].Weight;
    }
    return 0;
}

static NTSTATUS NTAPI FzWorkerThread(PVOID argument)
{
    FZ_WORKER *worker = argument;

    // Its id, from the thread itself (FzStartWorker waits for it).
    __atomic_store_n(&worker->ThreadId, NtCurrentTeb()->ClientId.UniqueThread, __ATOMIC_RELEASE);
    while (!FzStopping) {
        FzCallService(worker, FzPickService(&worker->Rng));
        worker->Calls++;
    }
    return STATUS_SUCCESS;
}

// The new thread is never handled through its handle: a worker's NtClose of
// a random value may close that handle at any moment (NtClose takes no
// lock), and the value may then name another object. Created suspended,
// queried and resumed through it, a worker could stay suspended for good,
// or get another thread's id; its next restart then "killed" it in the
// service its previous generation was stuck in (NtReplyWaitReceivePort,
// NtListenPort), and on trees where a suspended thread could not be ended
// it never ended. So the thread runs at once and says its id itself.
static NTSTATUS FzStartWorker(FZ_WORKER *worker)
{
    LARGE_INTEGER moment = {.QuadPart = -10000};
    HANDLE thread;
    NTSTATUS status;

    FzSeed(&worker->Rng, FzSeedValue, (ULONG64)worker->Index << 32 | worker->Generation);
    status = FzInitializeWorkerMemory(worker);
    if (!NT_SUCCESS(status))
        return status;
    __atomic_store_n(&worker->ThreadId, NULL, __ATOMIC_RELEASE);
    FzLock();
    status = NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                              (PVOID)FzWorkerThread, worker, 0, 0, 0, 0, NULL);
    FzUnlock();
    if (!NT_SUCCESS(status))
        return status;
    NtClose(thread);
    for (ULONG i = 0; i < 2000 && !__atomic_load_n(&worker->ThreadId, __ATOMIC_ACQUIRE); i++)
        NtDelayExecution(FALSE, &moment);
    return __atomic_load_n(&worker->ThreadId, __ATOMIC_ACQUIRE) ? STATUS_SUCCESS
                                                                : STATUS_TIMEOUT;
}

// Terminates thread `tid` of this process and waits for it to end; FALSE
// if it would not. Workers close random handle values without the lock
// (NtClose takes none), and the value a handle is opened under is the one
// freed last (the handle table's free list is LIFO), often one in
// FzClosed: the handle opened here can be closed, or name another object,
// before NtTerminateThread uses it. Its status used to be ignored: a failed
// terminate left the worker in its endless NtListenPort or
// NtReplyWaitReceivePort, reported as a thread that would not end. So a
// terminate that fails is made again with a new handle, and a thread still
// there after the wait (the value may have named another thread of ours by
// then) is told once more before it counts. FzBeforeTerminate, when set,
// runs between the open and the terminate (the test "tfuzz kill" closes
// the handle there, as a worker can).
void (*FzBeforeTerminate)(HANDLE handle);
volatile ULONG FzTerminateFailures, FzTerminateRewaits;
#define FZ_TERMINATE_ROUNDS 3
#define FZ_TERMINATE_TRIES 16

BOOLEAN FzTerminateThreadById(HANDLE tid, NTSTATUS exitStatus, NTSTATUS *failure)
{
    OBJECT_ATTRIBUTES attributes;
    CLIENT_ID cid = {FzSelfPid, tid};

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    *failure = STATUS_SUCCESS;
    for (int round = 0; round < FZ_TERMINATE_ROUNDS; round++) {
        NTSTATUS status = STATUS_UNSUCCESSFUL;

        for (int tries = 0; tries < FZ_TERMINATE_TRIES; tries++) {
            HANDLE thread;

            FzLock();
            status = NtOpenThread(&thread, THREAD_TERMINATE | SYNCHRONIZE, &attributes, &cid);
            if (!NT_SUCCESS(status)) {
                FzUnlock();
                return TRUE;        // no such id any more: gone
            }
            if (FzBeforeTerminate)
                FzBeforeTerminate(thread);
            status = NtTerminateThread(thread, exitStatus);
            NtClose(thread);
            FzUnlock();
            if (NT_SUCCESS(status) || status == STATUS_THREAD_IS_TERMINATING)
                break;
            *failure = status;
            __atomic_fetch_add(&FzTerminateFailures, 1, __ATOMIC_RELAXED);
        }
        if (FzWaitEnded(FALSE, cid.UniqueProcess, cid.UniqueThread))
            return TRUE;
        if (round + 1 < FZ_TERMINATE_ROUNDS)
            __atomic_fetch_add(&FzTerminateRewaits, 1, __ATOMIC_RELAXED);
    }
    return FALSE;
}

// Ends a stuck worker and starts its next generation; FALSE if it would not
// end (a finding: a thread that cannot be terminated).
static BOOLEAN FzRestartWorker(FZ_WORKER *worker)
{
    HANDLE tid = worker->ThreadId;
    NTSTATUS failure;
    BOOLEAN ended = FzTerminateThreadById(tid, 0xF057A11, &failure);

    FzForgiveLock(tid);
    if (!ended) {
        printf("FUZZ FINDING: worker %u (thread %llx) did not end within %u s of being "
               "terminated %u times in %s (last failed terminate: %08x)\n", worker->Index,
               (unsigned long long)tid, FZ_TERMINATE_ROUNDS * 2, FZ_TERMINATE_ROUNDS,
               FzServices[worker->Service].Name, (unsigned)failure);
        return FALSE;
    }
    worker->Generation++;
    return NT_SUCCESS(FzStartWorker(worker));
}

// The test "tfuzz kill": threads that wait for good are ended through
// FzTerminateThreadById while the handle it opens is closed under it, on
// the first tries of each kill (what a worker's NtClose of a random value
// can do). Each must end, and the failed terminates must have been seen.
static ULONG FzClosesLeft;

static void FzCloseUnder(HANDLE handle)
{
    if (FzClosesLeft) {
        FzClosesLeft--;
        NtClose(handle);
    }
}

static NTSTATUS NTAPI FzForeverThread(PVOID argument)
{
    LARGE_INTEGER hour = {.QuadPart = -36000000000LL};

    for (;;)
        NtDelayExecution(FALSE, &hour);
    return STATUS_SUCCESS;
}

static int FzKillTest(void)
{
    LARGE_INTEGER moment = {.QuadPart = -20000}, now = {.QuadPart = 0};
    ULONG failed = 0;

    FzSelfPid = NtCurrentTeb()->ClientId.UniqueProcess;
    FzBeforeTerminate = FzCloseUnder;
    for (ULONG i = 0; i < 6; i++) {
        THREAD_BASIC_INFORMATION info;
        NTSTATUS failure, status;
        HANDLE thread;
        BOOLEAN ended;

        status = NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                                  (PVOID)FzForeverThread, NULL, 0, 0, 0, 0, NULL);
        if (NT_SUCCESS(status))
            status = NtQueryInformationThread(thread, ThreadBasicInformation, &info,
                                              sizeof(info), NULL);
        if (!NT_SUCCESS(status)) {
            printf("tfuzz kill: thread %u: %08x\n", i, (unsigned)status);
            failed++;
            continue;
        }
        NtDelayExecution(FALSE, &moment);   // in its wait
        FzClosesLeft = 1 + i % 3;
        ended = FzTerminateThreadById(info.ClientId.UniqueThread, 0x7E57, &failure);
        status = NtWaitForSingleObject(thread, FALSE, &now);
        if (!ended || status != STATUS_WAIT_0 || failure != STATUS_INVALID_HANDLE ||
            FzClosesLeft) {
            printf("tfuzz kill: thread %u: ended=%u wait=%08x failure=%08x closes left=%u\n", i,
                   ended, (unsigned)status, (unsigned)failure, FzClosesLeft);
            NtTerminateThread(thread, 0x7E57);
            NtWaitForSingleObject(thread, FALSE, NULL);
            failed++;
        }
        NtClose(thread);
    }
    FzBeforeTerminate = NULL;
    printf("UTEST %s tfuzz/KillWithHandleClosedUnderIt\n", failed ? "FAIL" : "PASS");
    return (int)failed;
}

static const char *FzParseValue(const char *at, const char *key, ULONG64 *value)
{
    size_t length = strlen(key);

    if (strncmp(at, key, length) || at[length] != '=')
        return NULL;
    at += length + 1;
    *value = 0;
    while (*at >= '0' && *at <= '9')
        *value = *value * 10 + (ULONG64)(*at++ - '0');
    return at;
}

static void FzParse(const char *at)
{
    while (*at) {
        ULONG64 value;
        const char *next;

        while (*at == ' ')
            at++;
        if ((next = FzParseValue(at, "seed", &FzSeedValue)) ||
            (next = FzParseValue(at, "calls", &FzCallLimit)) ||
            (next = FzParseValue(at, "secs", &FzSecondLimit))) {
            at = next;
        } else if ((next = FzParseValue(at, "threads", &value))) {
            FzWorkerCount = value < 1 ? 1 : value > FZ_MAX_WORKERS ? FZ_MAX_WORKERS : (ULONG)value;
            at = next;
        } else if ((next = FzParseValue(at, "avoid", &value))) {
            // avoid=1,5,6: a comma-separated list of issue 11's items.
            for (;;) {
                if (value < 32)
                    FzAvoid |= 1u << value;
                if (*next != ',')
                    break;
                next = FzParseValue("avoid=", "avoid", &value) ? next + 1 : next + 1;
                value = 0;
                while (*next >= '0' && *next <= '9')
                    value = value * 10 + (ULONG64)(*next++ - '0');
            }
            at = next;
        }
        while (*at && *at != ' ')
            at++;
    }
}

static ULONG64 FzTotalCalls(void)
{
    ULONG64 total = 0;

    for (ULONG i = 0; i < FzWorkerCount; i++)
        total += FzWorkers[i].Calls;
    return total;
}

int main(void)
{
    const UNICODE_STRING *commandLine = &NtCurrentPeb()->ProcessParameters->CommandLine;
    char line[160];
    ULONG count = commandLine->Length / sizeof(WCHAR), restarts = 0, findings = 0;
    ULONG children = 0, threads = 0, uncovered = 0;
    LONGLONG start, now, lastProgress, lastFamily;
    ULONG64 lastCalls[FZ_MAX_WORKERS] = {0}, total;
    LONGLONG lastChange[FZ_MAX_WORKERS];
    BOOLEAN dead[FZ_MAX_WORKERS] = {0};
    LARGE_INTEGER tick = {.QuadPart = -FZ_TICK_MS * 10000};
    FZ_RNG rng;

    if (count >= sizeof(line))
        count = sizeof(line) - 1;
    for (ULONG i = 0; i < count; i++)
        line[i] = (char)commandLine->Buffer[i];
    line[count] = 0;
    if (!strcmp(line, "tfuzz names"))
        return FzNamesTest();
    if (!strcmp(line, "tfuzz kill"))
        return FzKillTest();
    if (strncmp(line, "tfuzz run", 9))
        return FzChildMain(line);

    FzParse(line + 9);
    if (!FzCallLimit && !FzSecondLimit)
        FzCallLimit = 100000;
    FzSelfPid = NtCurrentTeb()->ClientId.UniqueProcess;
    FzMainTid = NtCurrentTeb()->ClientId.UniqueThread;
    for (ULONG i = 0; i < SERVICE_COUNT; i++) {
        if (!FzServices[i].Name) {
            printf("FUZZ FAIL: service %u has no argument spec\n", i);
            return 1;
        }
        FzWeightTotal += FzServices[i].Weight;
    }
    printf("FUZZ BEGIN seed=%llu calls=%llu secs=%llu threads=%u avoid=%x services=%u\n",
           FZ_U(FzSeedValue), FZ_U(FzCallLimit), FZ_U(FzSecondLimit), FzWorkerCount, FzAvoid,
           SERVICE_COUNT);
    FzSeed(&rng, FzSeedValue, 0x3A1);
    FzInitializeMemory();
    FzInitializeHandles();
    start = lastProgress = lastFamily = FzNowMs();
    for (ULONG i = 0; i < FzWorkerCount; i++) {
        FzWorkers[i].Index = i;
        lastChange[i] = start;
        if (!NT_SUCCESS(FzStartWorker(&FzWorkers[i]))) {
            printf("FUZZ FAIL: worker %u could not start\n", i);
            return 1;
        }
    }

    for (;;) {
        NtDelayExecution(FALSE, &tick);
        now = FzNowMs();
        total = FzTotalCalls();
        if ((FzCallLimit && total >= FzCallLimit) ||
            (FzSecondLimit && now - start >= (LONGLONG)FzSecondLimit * 1000))
            break;
        for (ULONG i = 0; i < FzWorkerCount; i++) {
            if (dead[i])
                continue;
            if (FzWorkers[i].Calls != lastCalls[i]) {
                lastCalls[i] = FzWorkers[i].Calls;
                lastChange[i] = now;
            } else if (now - lastChange[i] >= FZ_STALL_MS) {
                restarts++;
                if (!FzRestartWorker(&FzWorkers[i])) {
                    dead[i] = TRUE;
                    findings++;
                }
                lastChange[i] = FzNowMs();
            }
        }
        FzChildrenStep(&rng);
        if (now - lastFamily >= 100) {
            FzCountFamily(&children, &threads);
            lastFamily = now;
        }
        if (now - lastProgress >= FZ_PROGRESS_MS) {
            printf("FUZZ progress: %llu calls, %llu calls/s, %u children, %u threads, "
                   "%u restarts\n", FZ_U(total), FZ_U(total * 1000 / (ULONG64)(now - start + 1)),
                   children,
                   threads, restarts);
            lastProgress = now;
        }
    }

    // The end: workers stop (a stuck one is ended), then every child and
    // thread, then the names and handles.
    FzStopping = 1;
    NtDelayExecution(FALSE, &(LARGE_INTEGER){.QuadPart = -FZ_STALL_MS * 10000});
    now = FzNowMs();
    total = FzTotalCalls();
    findings += FzEndEverything(TRUE);
    FzCleanNames();
    FzCloseAllHandles();
    for (ULONG i = 0; i < SERVICE_COUNT; i++) {
        // A service an avoid= item turns off entirely is not a gap.
        BOOLEAN avoided = (FZ_AVOID(4) && i == SERVICE_NtSuspendThread) ||
                          (FZ_AVOID(5) && i == SERVICE_NtRegisterThreadTerminatePort);

        if (!FzServiceCalls[i] && !avoided) {
            printf("FUZZ UNCOVERED %s: never called\n", FzServices[i].Name);
            uncovered++;
        }
    }
    printf("FUZZ DONE seed=%llu calls=%llu ms=%llu rate=%llu/s filtered=%llu restarts=%u "
           "findings=%u uncovered=%u children=%u "
           "terminate-failed=%u rewaits=%u\n", FZ_U(FzSeedValue),
           FZ_U(total), FZ_U(now - start), FZ_U(total * 1000 / (ULONG64)(now - start + 1)),
           FZ_U(FzFiltered), restarts, findings, uncovered, FzChildrenStarted,
           FzTerminateFailures, FzTerminateRewaits);
    printf("UTEST %s tfuzz/Campaign\n", findings || uncovered ? "FAIL" : "PASS");
    return (int)(findings + uncovered);
}
