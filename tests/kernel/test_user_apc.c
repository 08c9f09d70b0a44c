// In-kernel tests of queries, alerts and user-mode APCs: the user programs
// tquery and tapc (with the leak check around each), and what user mode
// cannot see: where the kernel finds a program's APC dispatcher, and how
// queued user APCs are marked pending and run down.

#include "tests/kernel/ktest.h"
#include "tests/kernel/ktuser.h"
#include "ps/ps.h"
#include "ps/elf.h"
#include "mm/mm.h"

NTSTATUS PspFindUserProgram(const char *name, const UCHAR **image, SIZE_T *size);

KTEST(UserQueries)
{
    KtExpectUserTestsPass("tquery");
}

KTEST(UserApcs)
{
    KtExpectUserTestsPass("tapc");
}

KTEST(UserApcDispatcherIsFoundInTheProgramsSymbols)
{
    const UCHAR *image;
    SIZE_T size;
    EPROCESS process;

    memset(&process, 0, sizeof(process));
    KT_EXPECT_EQ(PspFindUserProgram("tapc.exe", &image, &size), STATUS_SUCCESS);
    KT_EXPECT_EQ(PspLookupUserEntryPoints(&process, image, size), STATUS_SUCCESS);
    KT_EXPECT((ULONG64)process.Pcb.UserApcDispatcher >= MM_LOWEST_USER_ADDRESS);
    KT_EXPECT((ULONG64)process.Pcb.UserApcDispatcher < MM_USER_PROBE_ADDRESS);
}

KTEST(ImageWithoutTheDispatcherIsRefused)
{
    static UCHAR garbage[256];
    ELF64_EHDR *header = (ELF64_EHDR *)garbage;
    const UCHAR *image;
    SIZE_T size;
    EPROCESS process;

    memset(&process, 0, sizeof(process));
    KT_EXPECT_EQ(PspLookupUserEntryPoints(&process, garbage, sizeof(garbage)),
                 STATUS_INVALID_IMAGE_FORMAT);
    // Section headers that run past the end of the file.
    header->Magic = ELF_MAGIC;
    header->ShEntSize = sizeof(ELF64_SHDR);
    header->ShOff = 64;
    header->ShNum = 100;
    KT_EXPECT_EQ(PspLookupUserEntryPoints(&process, garbage, sizeof(garbage)),
                 STATUS_INVALID_IMAGE_FORMAT);
    // A real program cut short before its symbol table.
    KT_EXPECT_EQ(PspFindUserProgram("tapc.exe", &image, &size), STATUS_SUCCESS);
    KT_EXPECT_EQ(PspLookupUserEntryPoints(&process, image, size / 2),
                 STATUS_INVALID_IMAGE_FORMAT);
    KT_EXPECT(process.Pcb.UserApcDispatcher == NULL);
}

static int KtUserApcKernelRoutineCalls;

static void KtCountKernelRoutine(KAPC *apc, PKNORMAL_ROUTINE *normalRoutine,
                                 void **normalContext, void **argument1, void **argument2)
{
    KtUserApcKernelRoutineCalls++;
}

static void KtNeverRuns(void *context, void *argument1, void *argument2)
{
}

// A System thread never returns to user mode, so a user APC queued to it
// stays queued: enough to watch the bookkeeping.
KTEST(TestAlertMarksQueuedUserApcsPendingAndFlushTakesThem)
{
    KTHREAD *thread = KeGetCurrentThread();
    KAPC apcs[2];
    LIST_ENTRY flushed;
    ULONG count = 0;

    KtUserApcKernelRoutineCalls = 0;
    KT_EXPECT(!KeTestAlertThread(UserMode));
    KT_EXPECT(!thread->ApcState.UserApcPending);
    for (int i = 0; i < 2; i++) {
        KeInitializeApc(&apcs[i], thread, OriginalApcEnvironment, KtCountKernelRoutine, NULL,
                        KtNeverRuns, UserMode, NULL);
        KT_EXPECT(KeInsertQueueApc(&apcs[i], NULL, NULL, 0));
    }
    KT_EXPECT(!KeInsertQueueApc(&apcs[0], NULL, NULL, 0));     // already queued
    KT_EXPECT(!thread->ApcState.UserApcPending);                 // not waiting: not yet
    KT_EXPECT(!KeTestAlertThread(UserMode));
    KT_EXPECT(thread->ApcState.UserApcPending);

    KeFlushQueueApc(thread, UserMode, &flushed);
    KT_EXPECT(!thread->ApcState.UserApcPending);
    KT_EXPECT(IsListEmpty(&thread->ApcState.ApcListHead[UserMode]));
    for (LIST_ENTRY *entry = flushed.Flink; entry != &flushed; entry = entry->Flink) {
        KT_EXPECT(!CONTAINING_RECORD(entry, KAPC, ApcListEntry)->Inserted);
        count++;
    }
    KT_EXPECT_EQ(count, 2);
    KT_EXPECT_EQ(KtUserApcKernelRoutineCalls, 0);   // flushed, never delivered
}

KTEST(AUserModeAlertIsKeptUntilTested)
{
    KTHREAD *thread = KeGetCurrentThread();

    KT_EXPECT(!KeAlertThread(thread, UserMode));
    KT_EXPECT(KeAlertThread(thread, UserMode));        // already alerted
    KT_EXPECT(thread->Alerted[UserMode]);
    KT_EXPECT(KeTestAlertThread(UserMode));
    KT_EXPECT(!thread->Alerted[UserMode]);
    KT_EXPECT(!KeTestAlertThread(UserMode));
}
