// !waitchain and !analyze -hang on real waits: threads that own mutants and
// wait on each other, on threads and processes, through LPC requests
// between processes, on an IRP behind a stuck worker queue; a cycle; and a
// corrupt link in the middle of a chain. Each link is built with the
// kernel's own calls and the command's output is checked hop by hop.
//
// Every thread waits WaitAny on its link and on the scene's Release event,
// so that one KeSetEvent ends every wait, even a deadlock's.

#include "tests/kernel/ktkd.h"
#include "tests/kernel/ktio.h"
#include "lpc/lpcp.h"
#include "ex/ex.h"
#include "arch/x86_64/hal.h"

#define KT_WC_MAX_NODES 8
#define KT_WC_SETTLE_MS 2000

typedef struct _KT_WC_NODE {
    KMUTANT *Own;               // taken first, released at the end
    void *WaitOn;               // the link (NULL: only Release)
    KEVENT Ready;               // set once Own is taken
    ETHREAD *Thread;
    KEVENT *Release;
    KEVENT *Go;                 // waited for between taking Own and the link
} KT_WC_NODE;

typedef struct _KT_WC_SCENE {
    KEVENT Release;
    KEVENT Go;
    KMUTANT Mutants[KT_WC_MAX_NODES];
    KT_WC_NODE Nodes[KT_WC_MAX_NODES];
    EPROCESS *Processes[KT_WC_MAX_NODES];
    ULONG Count;
} KT_WC_SCENE;

static KT_WC_SCENE KtWcScene;

static void KtWcNodeRoutine(void *context)
{
    KT_WC_NODE *node = context;
    void *objects[2] = { node->WaitOn, node->Release };
    NTSTATUS status;

    if (node->Own)
        KeWaitForSingleObject(node->Own, Executive, KernelMode, FALSE, NULL);
    KeSetEvent(&node->Ready, 0, FALSE);
    KeWaitForSingleObject(node->Go, Executive, KernelMode, FALSE, NULL);
    if (node->WaitOn)
        status = KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode, FALSE, NULL,
                                          NULL);
    else
        status = KeWaitForSingleObject(node->Release, Executive, KernelMode, FALSE, NULL);
    if (node->WaitOn && status == STATUS_WAIT_0 &&
        ((DISPATCHER_HEADER *)node->WaitOn)->Type == MutantObject)
        KeReleaseMutant(node->WaitOn, 1, FALSE, FALSE);
    if (node->Own)
        KeReleaseMutant(node->Own, 1, FALSE, FALSE);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static void KtWcReset(KT_WC_SCENE *scene)
{
    memset(scene, 0, sizeof(*scene));
    KeInitializeEvent(&scene->Release, NotificationEvent, FALSE);
    KeInitializeEvent(&scene->Go, NotificationEvent, TRUE);
    for (ULONG i = 0; i < KT_WC_MAX_NODES; i++)
        KeInitializeMutant(&scene->Mutants[i], FALSE);
}

// Starts node `index` in `process` (NULL: System): it takes Own, then waits
// on WaitOn and Release. Returns once Own is taken.
static BOOLEAN KtWcStart(KT_WC_SCENE *scene, ULONG index, EPROCESS *process, KMUTANT *own,
                         void *waitOn)
{
    KT_WC_NODE *node = &scene->Nodes[index];

    node->Own = own;
    node->WaitOn = waitOn;
    node->Release = &scene->Release;
    node->Go = &scene->Go;
    KeInitializeEvent(&node->Ready, NotificationEvent, FALSE);
    if (!NT_SUCCESS(PsCreateSystemThreadEx(process, KtWcNodeRoutine, node, KT_LOW_PRIORITY, NULL,
                                           &node->Thread)))
        return FALSE;
    if (index >= scene->Count)
        scene->Count = index + 1;
    return KtWait(&node->Ready) == STATUS_WAIT_0;
}

// Every started node waits (on its link, or on Release).
static BOOLEAN KtWcSettle(KT_WC_SCENE *scene)
{
    for (ULONG i = 0; i < scene->Count; i++) {
        KT_WC_NODE *node = &scene->Nodes[i];

        if (node->Thread && !KtWaitUntilWaitingOn(node->Thread, &scene->Release))
            return FALSE;
    }
    return TRUE;
}

static void KtWcTearDown(KT_WC_SCENE *scene)
{
    KeSetEvent(&scene->Go, 0, FALSE);
    KeSetEvent(&scene->Release, 0, FALSE);
    for (ULONG i = 0; i < scene->Count; i++) {
        if (scene->Nodes[i].Thread)
            KT_CHECK(KtJoinThread(scene->Nodes[i].Thread));
    }
    for (ULONG i = 0; i < KT_WC_MAX_NODES; i++) {
        if (scene->Processes[i]) {
            KT_CHECK_EQ(KtWait(&scene->Processes[i]->Pcb), STATUS_WAIT_0);
            ObDereferenceObject(scene->Processes[i]);
        }
    }
}

static EPROCESS *KtWcProcess(KT_WC_SCENE *scene, ULONG index, const char *image)
{
    if (!NT_SUCCESS(PspCreateProcess(image, PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                     &scene->Processes[index])))
        return NULL;
    return scene->Processes[index];
}

#define KT_WC_THREAD(scene, i) KT_KD_HEX((scene)->Nodes[i].Thread)

KTEST(WaitChainFollowsAMutantToItsOwnerAndStopsAtAnEvent)
{
    KT_WC_SCENE *scene = &KtWcScene;

    KtWcReset(scene);
    KT_CHECK(KtWcStart(scene, 0, NULL, &scene->Mutants[0], NULL));
    KT_CHECK(KtWcStart(scene, 1, NULL, NULL, &scene->Mutants[0]));
    KT_CHECK(KtWcSettle(scene));
    KtKdRunf("!waitchain %s", KT_WC_THREAD(scene, 1));
    KtKdExpect("Wait chain of THREAD %s (System Cid ", KT_WC_THREAD(scene, 1));
    KtKdExpect("[0] THREAD %s (System Cid", KT_WC_THREAD(scene, 1));
    KtKdExpect("    waits for THREAD %s: Mutant %s (WaitAny): KMUTANT.OwnerThread is %s",
               KT_WC_THREAD(scene, 0), KT_KD_HEX(&scene->Mutants[0]), KT_WC_THREAD(scene, 0));
    KtKdExpect("[1] THREAD %s (System Cid", KT_WC_THREAD(scene, 0));
    KtKdExpect("    ends here: NotificationEvent %s: no owner", KT_KD_HEX(&scene->Release));
    KtKdExpect("no process holds a handle to it");
    KtKdExpect("Root: THREAD %s (System Cid", KT_WC_THREAD(scene, 0));
    KtKdExpect("in nt!KtWcNodeRoutine+0x");
    KT_CHECK(!KtKdFind(KtKdOutput, "[2]"));
    KtWcTearDown(scene);
}

KTEST(WaitChainFollowsThreadAndProcessObjects)
{
    KT_WC_SCENE *scene = &KtWcScene;
    EPROCESS *process;

    KtWcReset(scene);
    process = KtWcProcess(scene, 0, "ktwcproc.exe");
    KT_EXPECT(process != NULL);
    // 2 waits for the process (its only thread is 1's), 1 for thread 0.
    KT_CHECK(KtWcStart(scene, 0, NULL, NULL, NULL));
    KT_CHECK(KtWcStart(scene, 1, process, NULL, &scene->Nodes[0].Thread->Tcb));
    KT_CHECK(KtWcStart(scene, 2, NULL, NULL, &process->Pcb));
    KT_CHECK(KtWcSettle(scene));
    KtKdRunf("!waitchain %s", KT_WC_THREAD(scene, 2));
    KtKdExpect("    waits for THREAD %s: Process %s (ktwcproc.exe) ends with its last thread: "
               "1 alive", KT_WC_THREAD(scene, 1), KT_KD_HEX(process));
    KtKdExpect("[1] THREAD %s (ktwcproc.exe Cid", KT_WC_THREAD(scene, 1));
    KtKdExpect("    waits for THREAD %s: Thread %s (WaitAny): it is signaled when that thread "
               "ends", KT_WC_THREAD(scene, 0), KT_WC_THREAD(scene, 0));
    KtKdExpect("[2] THREAD %s (System Cid", KT_WC_THREAD(scene, 0));
    KtKdExpect("Root: THREAD %s", KT_WC_THREAD(scene, 0));
    KtWcTearDown(scene);
}

// Four threads, each owning a mutant and waiting for the next one's.
KTEST(WaitChainNamesACycleOfFourThreads)
{
    KT_WC_SCENE *scene = &KtWcScene;
    ULONG i;

    KtWcReset(scene);
    // Every mutant is taken before anyone asks for the next.
    KeClearEvent(&scene->Go);
    for (i = 0; i < 4; i++)
        KT_CHECK(KtWcStart(scene, i, NULL, &scene->Mutants[i], &scene->Mutants[(i + 1) % 4]));
    KeSetEvent(&scene->Go, 0, FALSE);
    KT_CHECK(KtWcSettle(scene));
    KtKdRunf("!waitchain %s", KT_WC_THREAD(scene, 0));
    KtKdExpect("deadlock: cycle of 4 threads: %s -> %s -> %s -> %s -> %s",
               KT_WC_THREAD(scene, 0), KT_WC_THREAD(scene, 1), KT_WC_THREAD(scene, 2),
               KT_WC_THREAD(scene, 3), KT_WC_THREAD(scene, 0));
    KT_CHECK(!KtKdFind(KtKdOutput, "Root:"));
    // The forest has it as one tree, the cycle named once.
    KtKdRun("!waitchain -a 0");
    KtKdExpect("deadlock: cycle of 4 threads");
    KtKdRun("!analyze -hang");
    KtKdExpect("HANG ANALYSIS: ");
    KtWcTearDown(scene);
}

// A group's age is its longest-blocked thread's, even when that thread is
// not the one farthest from the root (whose chain is shown): 2 waits for 1,
// 1 for 0; 1 has waited 5 s, 0 3 s, 2 2 s.
KTEST(AnalyzeHangAgesAGroupByItsLongestBlockedThread)
{
    KT_WC_SCENE *scene = &KtWcScene;
    ULONG64 second = 1000000 / CLOCK_TICK_MICROSECONDS;
    static const ULONG ages[3] = { 3, 5, 2 };

    KtWcReset(scene);
    KT_CHECK(KtWcStart(scene, 0, NULL, &scene->Mutants[0], NULL));
    KT_CHECK(KtWcStart(scene, 1, NULL, &scene->Mutants[1], &scene->Mutants[0]));
    KT_CHECK(KtWcStart(scene, 2, NULL, NULL, &scene->Mutants[1]));
    KT_CHECK(KtWcSettle(scene));
    // The ages are written, not waited for; only the debugger reads
    // WaitTime. The clock must have run 5 s for the oldest to fit.
    while (KeTickCount < 5 * second)
        KeDelayExecutionThread(KernelMode, FALSE, &(LARGE_INTEGER){.QuadPart = -1000000});
    for (ULONG i = 0; i < 3; i++)
        scene->Nodes[i].Thread->Tcb.WaitTime = KeTickCount - ages[i] * second;
    KtKdRun("!analyze -hang");
    KtKdExpect("3 threads lead to THREAD %s; the longest blocked 0:00:00:05.",
               KT_WC_THREAD(scene, 0));
    // The chain shown is still the farthest thread's: it starts at 2.
    KtKdExpect("    [0] THREAD %s (System Cid", KT_WC_THREAD(scene, 2));
    KtWcTearDown(scene);
}

// A link that does not lead to a thread: the walk says so and stops.
KTEST(WaitChainStopsWithAnErrorAtACorruptLink)
{
    KT_WC_SCENE *scene = &KtWcScene;
    KMUTANT *mutant = &scene->Mutants[1];
    KTHREAD *owner;
    KWAIT_BLOCK *blocks;

    KtWcReset(scene);
    KT_CHECK(KtWcStart(scene, 0, NULL, NULL, NULL));
    KT_CHECK(KtWcStart(scene, 1, NULL, mutant, &scene->Nodes[0].Thread->Tcb));
    KT_CHECK(KtWcStart(scene, 2, NULL, NULL, mutant));
    KT_CHECK(KtWcSettle(scene));
    owner = mutant->OwnerThread;
    // The owner is an event, then an address nothing maps.
    mutant->OwnerThread = (KTHREAD *)&scene->Release;
    KtKdRunf("!waitchain %s", KT_WC_THREAD(scene, 2));
    mutant->OwnerThread = (KTHREAD *)0xfffffa8fdead0000ULL;
    KtKdExpect("[1] THREAD %s (not a thread, or not readable)", KT_KD_HEX(&scene->Release));
    KtKdExpect("    ends here: error: %s is not a readable thread", KT_KD_HEX(&scene->Release));
    KtKdExpect("Root: unknown: the walk stopped at THREAD %s on an error",
               KT_KD_HEX(&scene->Release));
    KtKdRunf("!waitchain %s", KT_WC_THREAD(scene, 2));
    mutant->OwnerThread = owner;
    KtKdExpect("ends here: error: fffffa8fdead0000 is not a readable thread");
    // A wait block ring that does not close: thread 1's first block points
    // at itself from a second one that is not its start.
    blocks = scene->Nodes[1].Thread->Tcb.WaitBlockList;
    {
        KWAIT_BLOCK *saved = blocks->NextWaitBlock;

        blocks->NextWaitBlock = saved->NextWaitBlock == blocks ? saved : blocks;
        saved->NextWaitBlock = saved;
        KtKdRunf("!waitchain %s", KT_WC_THREAD(scene, 1));
        saved->NextWaitBlock = blocks;
        blocks->NextWaitBlock = saved;
    }
    KtKdExpect("ends here: error: the wait block ring of the thread does not close");
    KtKdExpect("Root: unknown");
    // The shell goes on.
    KtKdRunf("!waitchain %s", KT_WC_THREAD(scene, 2));
    KtKdExpect("Root: THREAD %s", KT_WC_THREAD(scene, 0));
    KtKdRun("!waitchain 0");
    KtKdExpect("!waitchain: 0000000000000000 is not a thread");
    KtKdRun("!waitchain 1 2");
    KtKdExpect("Usage: !waitchain [thread] | !waitchain -a [seconds]");
    KtKdRun("!analyze");
    KtKdExpect("Usage: !analyze -hang");
    KtWcTearDown(scene);
}
