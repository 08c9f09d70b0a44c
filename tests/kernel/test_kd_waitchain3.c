// !waitchain and !analyze -hang: threads that wait by design (a worker on
// an empty KQUEUE) and a chain that ends at one; a driver made with
// IoCreateDriver named from its DRIVER_OBJECT's DriverStart and DriverSize,
// and not guessed at without them; a user critical section whose fields are
// corrupt (an error line, never a fault); the pool's growth since boot and
// since the last break-in.

#include "tests/kernel/ktkd.h"
#include "io/io.h"

#define KT_WC3_GROW_TAG POOL_TAG('K', 't', 'W', '3')

// ---- Waits by design --------------------------------------------------------------------

typedef struct _KT_WC3_IDLE {
    KQUEUE Queue;
    KMUTANT Held;               // taken by the worker before it waits for work
    KEVENT Taken;
    ETHREAD *Worker;
    ETHREAD *Waiter;
    LIST_ENTRY Stop;
} KT_WC3_IDLE;

static KT_WC3_IDLE KtWc3Idle;

static void KtWc3Worker(void *context)
{
    KT_WC3_IDLE *scene = context;

    KeWaitForSingleObject(&scene->Held, Executive, KernelMode, FALSE, NULL);
    KeSetEvent(&scene->Taken, 0, FALSE);
    KeRemoveQueue(&scene->Queue, KernelMode, NULL);       // until the test's entry
    KeReleaseMutant(&scene->Held, 1, FALSE, FALSE);
}

static void KtWc3Waiter(void *context)
{
    KT_WC3_IDLE *scene = context;

    KeWaitForSingleObject(&scene->Held, Executive, KernelMode, FALSE, NULL);
    KeReleaseMutant(&scene->Held, 1, FALSE, FALSE);
}

KTEST(WaitChainEndsAtAThreadThatWaitsByDesign)
{
    KT_WC3_IDLE *scene = &KtWc3Idle;

    memset(scene, 0, sizeof(*scene));
    KeInitializeQueue(&scene->Queue, 1);
    KeInitializeMutant(&scene->Held, FALSE);
    KeInitializeEvent(&scene->Taken, NotificationEvent, FALSE);
    scene->Worker = KtStartThread(KtWc3Worker, scene, KT_LOW_PRIORITY);
    KT_EXPECT(scene->Worker != NULL);
    KT_CHECK(KtWait(&scene->Taken) == STATUS_WAIT_0);
    KT_CHECK(KtWaitUntilWaitingOn(scene->Worker, &scene->Queue));
    // The worker alone: waits for work, by design.
    KtKdRunf("!waitchain %s", KT_KD_HEX(scene->Worker));
    KtKdExpect("    ends here: waits by design: KQUEUE %s empty (a worker waiting for work in "
               "KeRemoveQueue)", KT_KD_HEX(&scene->Queue));
    KtKdExpect("Root: THREAD %s (System Cid", KT_KD_HEX(scene->Worker));
    KtKdExpect(": waits by design: not hung\n");
    // A thread that waits for the mutant the idle worker kept: its chain
    // ends at the worker, which waits by design yet holds what it needs.
    scene->Waiter = KtStartThread(KtWc3Waiter, scene, KT_LOW_PRIORITY);
    KT_EXPECT(scene->Waiter != NULL);
    KT_CHECK(KtWaitUntilWaitingOn(scene->Waiter, &scene->Held));
    KtKdRunf("!waitchain %s", KT_KD_HEX(scene->Waiter));
    KtKdExpect("    waits for THREAD %s: Mutant %s: KMUTANT.OwnerThread is %s",
               KT_KD_HEX(scene->Worker), KT_KD_HEX(&scene->Held), KT_KD_HEX(scene->Worker));
    KtKdExpect("[1] THREAD %s", KT_KD_HEX(scene->Worker));
    KtKdExpect("    ends here: waits by design: KQUEUE %s empty", KT_KD_HEX(&scene->Queue));
    KtKdExpect("Root: THREAD %s", KT_KD_HEX(scene->Worker));
    KtKdExpect(": waits by design, yet the thread before it waits for it: it holds what that "
               "thread needs");
    // In the forest the worker is the root of the waiter's tree, with its
    // evidence; on its own it would be left out.
    KtKdRun("!waitchain -a 0");
    KtKdExpect("THREAD %s (System Cid", KT_KD_HEX(scene->Worker));
    KtKdExpect("     ends here: waits by design: KQUEUE %s empty", KT_KD_HEX(&scene->Queue));
    KtKdExpect("  <- THREAD %s (System Cid", KT_KD_HEX(scene->Waiter));
    KeInsertQueue(&scene->Queue, &scene->Stop);
    KT_CHECK(KtJoinThread(scene->Worker));
    KT_CHECK(KtJoinThread(scene->Waiter));
}

// ---- A driver without an image ----------------------------------------------------------

typedef struct _KT_WC3_DRIVER {
    DRIVER_OBJECT *Driver;
    KEVENT Release;
    ETHREAD *Thread;
} KT_WC3_DRIVER;

static KT_WC3_DRIVER KtWc3Driver;

// The driver's code: a routine that blocks, as a driver's would.
__attribute__((noinline)) static void KtWc3DriverBlocks(KT_WC3_DRIVER *scene)
{
    KeWaitForSingleObject(&scene->Release, Executive, KernelMode, FALSE, NULL);
    __asm__ volatile("" ::: "memory");      // not a tail call: the frame stays
}

static void KtWc3DriverThread(void *context)
{
    KtWc3DriverBlocks(context);
}

static NTSTATUS KtWc3DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    (void)registryPath;
    KtWc3Driver.Driver = driverObject;
    return STATUS_SUCCESS;
}

KTEST(WaitChainNamesADriverFromItsDriverObject)
{
    KT_WC3_DRIVER *scene = &KtWc3Driver;
    UNICODE_STRING name;

    memset(scene, 0, sizeof(*scene));
    KeInitializeEvent(&scene->Release, NotificationEvent, FALSE);
    RtlInitUnicodeString(&name, u"\\Driver\\KtWcNoImage");
    KT_EXPECT(NT_SUCCESS(IoCreateDriver(&name, KtWc3DriverEntry)) && scene->Driver);
    scene->Thread = KtStartThread(KtWc3DriverThread, scene, KT_LOW_PRIORITY);
    KT_EXPECT(scene->Thread != NULL);
    KT_CHECK(KtWaitUntilWaitingOn(scene->Thread, &scene->Release));
    // No range in its DRIVER_OBJECT: nothing says the code is the driver's.
    KtKdRunf("!waitchain %s", KT_KD_HEX(scene->Thread));
    KtKdExpect("in nt!KtWc3DriverBlocks+0x");
    KtKdExpect("(module nt)");
    KT_CHECK(!KtKdFind(KtKdOutput, "KtWcNoImage"));
    // With one (its code: the routine that blocks), the module is the driver.
    scene->Driver->DriverStart = (void *)KtWc3DriverBlocks;
    scene->Driver->DriverSize = 0x100;
    KtKdRunf("!waitchain %s", KT_KD_HEX(scene->Thread));
    KtKdExpect("Root: THREAD %s (System Cid", KT_KD_HEX(scene->Thread));
    KtKdExpect("in nt!KtWc3DriverBlocks+0x");
    KtKdExpect("(module KtWcNoImage)");
    // A range that holds no code of the thread's names nothing.
    scene->Driver->DriverStart = (void *)KtWc3DriverEntry;
    scene->Driver->DriverSize = 1;
    KtKdRunf("!waitchain %s", KT_KD_HEX(scene->Thread));
    KtKdExpect("(module nt)");
    scene->Driver->DriverStart = NULL;
    scene->Driver->DriverSize = 0;
    KeSetEvent(&scene->Release, 0, FALSE);
    KT_CHECK(KtJoinThread(scene->Thread));
    IoDeleteDriver(scene->Driver);
}

// ---- A corrupt critical section ------------------------------------------------------------

static ULONG64 KtWc3Hex(const char *text)
{
    ULONG64 value = 0;

    for (; *text; text++) {
        if (*text >= '0' && *text <= '9')
            value = value * 16 + (ULONG64)(*text - '0');
        else if (*text >= 'a' && *text <= 'f')
            value = value * 16 + (ULONG64)(*text - 'a' + 10);
        else
            break;
    }
    return value;
}

static BOOLEAN KtWc3FindCsThreads(EPROCESS *process, ETHREAD **waiter, ETHREAD **owner)
{
    *waiter = *owner = NULL;
    for (LIST_ENTRY *entry = process->ThreadListHead.Flink; entry != &process->ThreadListHead;
         entry = entry->Flink) {
        ETHREAD *thread = CONTAINING_RECORD(entry, ETHREAD, ThreadListEntry);
        KWAIT_BLOCK *block = thread->Tcb.WaitBlockList;

        if (thread->Tcb.State != Waiting || thread->Tcb.WaitReason != UserRequest || !block)
            continue;
        if (((DISPATCHER_HEADER *)block->Object)->Type == EventSynchronizationObject)
            *waiter = thread;
        else if (((DISPATCHER_HEADER *)block->Object)->Type == EventNotificationObject)
            *owner = thread;
    }
    return *waiter && *owner;
}

// twaitcs.exe: its second thread holds a critical section and waits; its
// first waits to enter. The section's fields are then made impossible one
// at a time, through the debugger as a student would (`.process`, `ed`,
// `eq`): each is an error line and `Root: unknown`, and the shell goes on.
KTEST(WaitChainErrorAtACorruptCriticalSection)
{
    EPROCESS *process;
    ETHREAD *waiter = NULL, *owner = NULL;
    const char *at;
    ULONG64 section = 0;

    KT_EXPECT(NT_SUCCESS(PsStartUserProgram("twaitcs", NULL, &process)));
    for (ULONG tries = 0; tries < 500 && !KtWc3FindCsThreads(process, &waiter, &owner); tries++)
        KtSleep(10);
    KT_CHECK(waiter && owner);
    if (waiter && owner) {
        KtKdRunf("!waitchain %s", KT_KD_HEX(waiter));
        at = KtKdExpect("    waits for THREAD %s: critical section ", KT_KD_HEX(owner));
        if (at)
            section = KtWc3Hex(at + strlen("    waits for THREAD ") + 16 +
                               strlen(": critical section "));
        KT_CHECK(section != 0);
    }
    if (section) {
        ULONG64 owning = (ULONG64)(ULONG_PTR)owner->Cid.UniqueThread;

        KtKdRunf(".process %s", KT_KD_HEX(process));
        // An owner that is no thread of the process.
        KtKdRunf("eq %llx 7777", (unsigned long long)section + 0x10);
        KtKdRunf("!waitchain %s", KT_KD_HEX(waiter));
        KtKdExpect("    ends here: error: critical section %016llx: its OwningThread 7777 is no "
                   "thread of the process", (unsigned long long)section);
        KtKdExpect("Root: unknown: the walk stopped at THREAD %s on an error",
                   KT_KD_HEX(waiter));
        // An owner of 0 with a waiter.
        KtKdRunf("eq %llx 0", (unsigned long long)section + 0x10);
        KtKdRunf("!waitchain %s", KT_KD_HEX(waiter));
        KtKdExpect("    ends here: error: critical section %016llx (event handle ",
                   (unsigned long long)section);
        KtKdExpect("its OwningThread is 0");
        // The waiter as its own owner.
        KtKdRunf("eq %llx %llx", (unsigned long long)section + 0x10,
                 (unsigned long long)(ULONG_PTR)waiter->Cid.UniqueThread);
        KtKdRunf("!waitchain %s", KT_KD_HEX(waiter));
        KtKdExpect("is the waiting thread itself (corrupt)");
        // A recursion count no owner can have.
        KtKdRunf("eq %llx %llx", (unsigned long long)section + 0x10, (unsigned long long)owning);
        KtKdRunf("ed %llx fffffffb", (unsigned long long)section + 0xc);
        KtKdRunf("!waitchain %s", KT_KD_HEX(waiter));
        KtKdExpect("RecursionCount -5 (corrupt)");
        // More waiters than can be: not taken for a section's count.
        KtKdRunf("ed %llx 1", (unsigned long long)section + 0xc);
        KtKdRunf("ed %llx 7fffffff", (unsigned long long)section + 0x8);
        KtKdRunf("!waitchain %s", KT_KD_HEX(waiter));
        KtKdExpect("LockCount 2147483647 is more waiters than a process has threads (corrupt)");
        // Put right again: the chain is whole.
        KtKdRunf("ed %llx 1", (unsigned long long)section + 0x8);
        KtKdRunf("!waitchain %s", KT_KD_HEX(waiter));
        KtKdExpect("its OwningThread is %llx, THREAD %s", (unsigned long long)owning,
                   KT_KD_HEX(owner));
        KtKdRun(".process 0");
    }
    PsTerminateProcess(process, STATUS_SUCCESS);
    KT_CHECK_EQ(KtWait(&process->Pcb), STATUS_WAIT_0);
    ObDereferenceObject(process);
}

// ---- The pool since boot, since the last break-in --------------------------------------------

KTEST(AnalyzeHangPoolSinceBootAndBreakIn)
{
    void *blocks[4] = { NULL, NULL, NULL, NULL };

    KdRecordPoolBaseline();             // as Phase 1 does once the kernel has started
    for (ULONG i = 0; i < 2; i++)
        blocks[i] = ExAllocatePoolWithTag(NonPagedPool, 512, KT_WC3_GROW_TAG);
    KtKdRun("!analyze -hang");
    KtKdExpect("POOL TAGS GROWN SINCE BOOT (the tracker as the kernel finished starting, ");
    KtKdExpect("    KtW3 +");
    KtKdExpect(" bytes, +2 allocations outstanding (!poolused 4 KtW3)");
    // A second report compares with the same baseline: nothing is recorded by a report.
    KtKdRun("!analyze -hang");
    KtKdExpect("POOL TAGS GROWN SINCE BOOT (");
    KtKdExpect(" bytes, +2 allocations outstanding (!poolused 4 KtW3)");
    KdpRecordPoolBaseline(TRUE);        // as the debugger does when it resumes
    for (ULONG i = 2; i < 4; i++)
        blocks[i] = ExAllocatePoolWithTag(NonPagedPool, 512, KT_WC3_GROW_TAG);
    ExFreePoolWithTag(blocks[0], KT_WC3_GROW_TAG);
    blocks[0] = NULL;
    KtKdRun("!analyze -hang");
    KtKdExpect("POOL TAGS GROWN SINCE THE LAST BREAK-IN (the system resumed ");
    KtKdExpect(" bytes, +1 allocations outstanding (!poolused 4 KtW3)");
    for (ULONG i = 0; i < ARRAYSIZE(blocks); i++) {
        if (blocks[i])
            ExFreePoolWithTag(blocks[i], KT_WC3_GROW_TAG);
    }
}
