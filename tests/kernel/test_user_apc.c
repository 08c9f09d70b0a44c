// In-kernel tests of queries, alerts and user-mode APCs: the user programs
// tquery, tapc and talertres (with the leak check around each), and what user mode
// cannot see: where the kernel finds a program's APC dispatcher, and how
// queued user APCs are marked pending and run down.

#include "tests/kernel/ktest.h"
#include "tests/kernel/ktuser.h"
#include "tests/kernel/test_dispatcher.h"
#include "ex/services.h"
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

KTEST(UserAlertResume)
{
    KtExpectUserTestsPass("talertres");
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

// A user thread that only spins, and a stand-in for the APC dispatcher that
// ends the process with the APC's first argument (P1Home, at rsp):
//   0x00: jmp $
//   0x10: mov rdx, [rsp] / mov r10, -1 / mov eax, NtTerminateProcess / syscall / ud2
#define KT_SPIN_CODE_BASE  0x400000ULL
#define KT_SPIN_DISPATCHER (KT_SPIN_CODE_BASE + 0x10)
#define KT_SPIN_STACK_TOP  0x800000ULL
#define KT_SPIN_STACK_SIZE (2 * PAGE_SIZE)
#define KT_SPIN_APC_STATUS 0x77
static const UCHAR KtSpinThenExitFromApc[] = {
    0xEB, 0xFE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x48, 0x8B, 0x14, 0x24,
    0x49, 0xC7, 0xC2, 0xFF, 0xFF, 0xFF, 0xFF,
    0xB8, SERVICE_NtTerminateProcess, 0x00, 0x00, 0x00,
    0x0F, 0x05,
    0x0F, 0x0B,
};

static void KtIgnoreKernelRoutine(KAPC *apc, PKNORMAL_ROUTINE *normalRoutine,
                                  void **normalContext, void **argument1, void **argument2)
{
}

// A thread running in user mode makes no system call: a user APC forced
// pending on it (as NT's thread termination does) is delivered when an
// interrupt returns to ring 3, through the trap path.
KTEST(UserApcIsDeliveredOnTheWayBackFromAnInterrupt)
{
    static KAPC apc;
    EPROCESS *process = NULL;
    ETHREAD *thread = NULL;
    NTSTATUS status;
    ULONG64 space;
    KIRQL oldIrql;

    status = PspCreateProcess("ktspin.exe", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                              &process);
    KT_EXPECT_EQ(status, STATUS_SUCCESS);
    space = process->Pcb.DirectoryTableBase;
    process->Pcb.UserApcDispatcher = (void *)KT_SPIN_DISPATCHER;
    status = MmAllocateUserMemory(space, KT_SPIN_CODE_BASE, PAGE_SIZE, PAGE_EXECUTE_READ);
    if (NT_SUCCESS(status))
        status = MmAllocateUserMemory(space, KT_SPIN_STACK_TOP - KT_SPIN_STACK_SIZE,
                                      KT_SPIN_STACK_SIZE, PAGE_READWRITE);
    if (NT_SUCCESS(status)) {
        memcpy(MmGetUserPageAddress(space, KT_SPIN_CODE_BASE), KtSpinThenExitFromApc,
               sizeof(KtSpinThenExitFromApc));
        status = PspCreateUserThread(process, (void *)KT_SPIN_CODE_BASE,
                                     (void *)KT_SPIN_STACK_TOP, NULL, &thread);
    }
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(process);
        KT_EXPECT_EQ(status, STATUS_SUCCESS);
    }
    KtSleep(50);    // it is spinning in user mode now, preempted by the clock

    KeInitializeApc(&apc, &thread->Tcb, OriginalApcEnvironment, KtIgnoreKernelRoutine, NULL,
                    (PKNORMAL_ROUTINE)KT_SPIN_CODE_BASE, UserMode,
                    (void *)(ULONG_PTR)KT_SPIN_APC_STATUS);
    status = KeInsertQueueApc(&apc, NULL, NULL, 0) ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
    oldIrql = KiAcquireDispatcherLock();
    thread->Tcb.ApcState.UserApcPending = TRUE;
    KiReleaseDispatcherLock(oldIrql);

    if (KtWait(&process->Pcb) != STATUS_WAIT_0)
        status = STATUS_TIMEOUT;
    else if (NT_SUCCESS(status))
        status = process->ExitStatus;
    KtJoinThread(thread);
    ObDereferenceObject(process);
    KT_EXPECT_EQ(status, KT_SPIN_APC_STATUS);
}
