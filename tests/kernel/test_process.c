// In-kernel tests of process and thread lifecycle: what user mode cannot
// see. A process's exit status through a wait on it, termination in the
// middle of a wait, handles closed and mutants abandoned at exit, the
// address space freed while the EPROCESS lives on as a zombie, and the
// Process and Thread types in \ObjectTypes. The user-mode programs
// (tests/user/tprocess, tthread) run here too, with the leak check.

#include "tests/kernel/ktest.h"
#include "tests/kernel/test_dispatcher.h"
#include "tests/kernel/ktuser.h"
#include "ps/ps.h"
#include "mm/mm.h"

#define KT_NAME(literal) \
    ((UNICODE_STRING){sizeof(literal) - sizeof(WCHAR), sizeof(literal), (WCHAR *)(literal)})

static PFN_NUMBER KtUserPageCount(void)
{
    MM_STATISTICS stats;

    MmQueryStatistics(&stats);
    return stats.PagesByUsage[MmUsageUserPage];
}

static BOOLEAN KtIsActiveProcess(EPROCESS *process)
{
    BOOLEAN found = FALSE;
    KIRQL oldIrql;

    KeAcquireSpinLock(&PspActiveProcessLock, &oldIrql);
    for (LIST_ENTRY *entry = PsActiveProcessHead.Flink; entry != &PsActiveProcessHead;
         entry = entry->Flink) {
        if (CONTAINING_RECORD(entry, EPROCESS, ActiveProcessLinks) == process)
            found = TRUE;
    }
    KeReleaseSpinLock(&PspActiveProcessLock, oldIrql);
    return found;
}

KTEST(UserProcesses)
{
    KtExpectUserTestsPass("tprocess");
}

KTEST(UserThreads)
{
    KtExpectUserTestsPass("tthread");
}

// TEBs and stacks as user memory: released with their thread, placed around
// whatever the program reserved, thousands at once (tests/user/tteb).
KTEST(UserTebsAndStacks)
{
    KtExpectUserTestsPass("tteb");
}

// Threads and processes killed in the middle of a wait service give back
// what it held (tests/user/tkill).
KTEST(UserTerminationInWaits)
{
    KtExpectUserTestsPass("tkill");
}

KTEST(ProcessAndThreadAreNamedTypes)
{
    UNICODE_STRING name = KT_NAME(u"\\ObjectTypes\\Process");
    OBJECT_ATTRIBUTES attributes = {sizeof(attributes), NULL, &name, OBJ_CASE_INSENSITIVE,
                                    NULL, NULL};
    void *type = NULL;

    KT_EXPECT_EQ(ObReferenceObjectByName(&attributes, NULL, &type), STATUS_SUCCESS);
    KT_EXPECT(type == PsProcessType);
    if (type)
        ObDereferenceObject(type);
    name = KT_NAME(u"\\ObjectTypes\\Thread");
    type = NULL;
    KT_EXPECT_EQ(ObReferenceObjectByName(&attributes, NULL, &type), STATUS_SUCCESS);
    KT_EXPECT(type == PsThreadType);
    if (type)
        ObDereferenceObject(type);
    KT_EXPECT_EQ(PsProcessType->TypeInfo.ValidAccessMask, 0x1F0FFF);
    KT_EXPECT_EQ(PsThreadType->TypeInfo.ValidAccessMask, 0x1F03FF);
    KT_EXPECT(PsProcessType->TypeInfo.Waitable && PsThreadType->TypeInfo.Waitable);
}

KTEST(ExitCodeIsSeenByWaitingOnTheProcess)
{
    EPROCESS *process = NULL;
    NTSTATUS status = PsStartUserProgram("tprocess", "tprocess exit 7", &process);

    KT_EXPECT_EQ(status, STATUS_SUCCESS);
    if (!process)
        return;
    KT_EXPECT_EQ(process->ExitStatus, STATUS_PENDING);
    KT_EXPECT_EQ(KtWait(&process->Pcb), STATUS_WAIT_0);
    KT_EXPECT_EQ(process->ExitStatus, 7);
    ObDereferenceObject(process);
}

// The exited process is a zombie: referenced, still on the active list and
// found by its id, but without handles or address space.
KTEST(ExitedProcessIsAZombieWithoutHandlesOrMemory)
{
    PFN_NUMBER userBefore = KtUserPageCount();
    EPROCESS *process = NULL;
    ETHREAD *thread = NULL, *found;
    EPROCESS *byId = NULL;
    HANDLE processId;

    KT_EXPECT_EQ(PsStartUserProgramEx("tprocess", NULL, TRUE, &process, &thread),
                 STATUS_SUCCESS);
    if (!process)
        return;
    KT_EXPECT(process->Peb != NULL && thread->Tcb.Teb != NULL);
    KT_EXPECT(KtUserPageCount() > userBefore);
    processId = process->UniqueProcessId;
    // Ended while still suspended: its first thread never ran.
    KT_EXPECT_EQ(PsTerminateProcess(process, 0x1234), STATUS_SUCCESS);
    KT_EXPECT_EQ(KtWait(&process->Pcb), STATUS_WAIT_0);
    KT_EXPECT_EQ(KtWait(&thread->Tcb), STATUS_WAIT_0);
    KT_EXPECT_EQ(process->ExitStatus, 0x1234);
    KT_EXPECT_EQ(thread->ExitStatus, 0x1234);
    KT_EXPECT(thread->Terminated);
    KT_EXPECT_EQ(ObGetProcessHandleCount(process), 0);
    // Every user page and VAD is gone; only the page tables wait for the
    // object's deletion.
    KT_EXPECT(!process->VadRoot.Root && process->VadRoot.NumberGenericTableElements == 0);
    KT_EXPECT_EQ(KtUserPageCount(), userBefore);
    KT_EXPECT(KtIsActiveProcess(process));
    KT_EXPECT_EQ(PsLookupProcessByProcessId(processId, &byId), STATUS_SUCCESS);
    KT_EXPECT(byId == process);
    if (byId)
        ObDereferenceObject(byId);
    KT_EXPECT_EQ(PsTerminateProcess(process, 1), STATUS_PROCESS_IS_TERMINATING);
    found = PsGetNextProcessThread(process, NULL);
    KT_EXPECT(found == thread);
    if (found)
        ObDereferenceObject(found);
    // The reaper drops the thread's reference on itself once the processor
    // it ended on has switched away; on another processor that can be after
    // this thread's wait returned. Then the thread's reference on the
    // process goes with ours on the thread.
    KT_EXPECT(KtWaitForPointerCount(thread, 1));
    ObDereferenceObject(thread);
    KT_EXPECT_EQ(ObGetObjectPointerCount(process), 1);
    ObDereferenceObject(process);
    // The last reference took it: off the list, its id free.
    KT_EXPECT_EQ(PsLookupProcessByProcessId(processId, &byId), STATUS_INVALID_CID);
}

KTEST(TerminatingAProcessEndsAThreadBlockedInAWait)
{
    EPROCESS *process = NULL;
    ETHREAD *thread = NULL;

    KT_EXPECT_EQ(PsStartUserProgram("tprocess", "tprocess sleep", &process), STATUS_SUCCESS);
    if (!process)
        return;
    thread = PsGetNextProcessThread(process, NULL);
    KT_EXPECT(thread != NULL);
    if (thread) {
        KT_EXPECT(KtWaitUntilWaitingOn(thread, &thread->Tcb.SuspendSemaphore));
        KT_EXPECT_EQ(thread->Tcb.WaitReason, Suspended);
    }
    KT_EXPECT_EQ(PsTerminateProcess(process, 0xC0DE), STATUS_SUCCESS);
    KT_EXPECT_EQ(KtWait(&process->Pcb), STATUS_WAIT_0);
    KT_EXPECT_EQ(process->ExitStatus, 0xC0DE);
    if (thread) {
        KT_EXPECT_EQ(thread->ExitStatus, 0xC0DE);
        ObDereferenceObject(thread);
    }
    ObDereferenceObject(process);
}

typedef struct _KT_EXITING_OWNER {
    KMUTANT Mutant;
    EPROCESS *Process;
    HANDLE Handle;
} KT_EXITING_OWNER;

// Runs as the only thread of a process of its own: takes the mutant, opens
// a handle (to its own process) in its process's table, and ends.
static void KtOwnAndExit(void *context)
{
    KT_EXITING_OWNER *owner = context;

    KeWaitForSingleObject(&owner->Mutant, Executive, KernelMode, FALSE, NULL);
    ObReferenceObject(owner->Process);
    if (!NT_SUCCESS(ObpCreateHandle(owner->Process, owner->Process, PROCESS_ALL_ACCESS,
                                    &owner->Handle)))
        ObDereferenceObject(owner->Process);
}

KTEST(LastThreadClosesHandlesAndAbandonsMutants)
{
    KT_EXITING_OWNER owner;
    ETHREAD *thread = NULL;

    KeInitializeMutant(&owner.Mutant, FALSE);
    owner.Handle = NULL;
    KT_EXPECT_EQ(PspCreateProcess("KtOwner", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                  &owner.Process),
                 STATUS_SUCCESS);
    KT_EXPECT_EQ(PsCreateSystemThreadEx(owner.Process, KtOwnAndExit, &owner, 0, NULL, &thread),
                 STATUS_SUCCESS);
    if (thread)
        KtJoinThread(thread);
    KT_EXPECT_EQ(KtWait(&owner.Process->Pcb), STATUS_WAIT_0);
    KT_EXPECT(owner.Handle != NULL);
    // The handle the thread made went with the process; the process lives on.
    KT_EXPECT_EQ(ObGetObjectHandleCount(owner.Process), 0);
    KT_EXPECT_EQ(ObGetProcessHandleCount(owner.Process), 0);
    KT_EXPECT(ObGetObjectPointerCount(owner.Process) >= 1);
    KT_EXPECT(owner.Process->ProcessDelete);
    // The mutant was abandoned by its owner's end.
    KT_EXPECT_EQ(KtPoll(&owner.Mutant), STATUS_ABANDONED_WAIT_0);
    KeReleaseMutant(&owner.Mutant, MUTANT_INCREMENT, FALSE, FALSE);
    ObDereferenceObject(owner.Process);
}

KTEST(UserFaultEndsEveryThreadOfTheProcess)
{
    EPROCESS *process = NULL;

    // "tprocess fault" starts a second thread that waits for good, then
    // faults in its first: the wait must not keep the process alive.
    KT_EXPECT_EQ(PsStartUserProgram("tprocess", "tprocess fault", &process), STATUS_SUCCESS);
    if (!process)
        return;
    KT_EXPECT_EQ(KtWait(&process->Pcb), STATUS_WAIT_0);
    KT_EXPECT_EQ(process->ExitStatus, STATUS_ACCESS_VIOLATION);
    KT_EXPECT_EQ(process->ActiveThreads, 0);
    ObDereferenceObject(process);
}

// The clock charges a tick to the mode it interrupted (NT's
// KeUpdateRunTime): spin.exe, computing in user mode on processor 0 while
// this thread sleeps there, gathers UserTime, in its thread and its
// process, and next to no KernelTime.
#define KT_SPIN_TICKS 32
KTEST(UserModeComputationIsChargedToUserTime)
{
    EPROCESS *process = NULL;
    ETHREAD *thread = NULL;
    ULONG userBefore, kernelBefore, processUserBefore, user, kernel, processUser;

    KT_EXPECT_EQ(PsStartUserProgramEx("spin", NULL, FALSE, &process, &thread), STATUS_SUCCESS);
    if (!process)
        return;
    // Past its start (its loader and first calls are kernel time).
    KtSleepTicks(4);
    userBefore = thread->Tcb.UserTime;
    kernelBefore = thread->Tcb.KernelTime;
    processUserBefore = process->Pcb.UserTime;
    KtSleepTicks(KT_SPIN_TICKS);
    user = thread->Tcb.UserTime - userBefore;
    kernel = thread->Tcb.KernelTime - kernelBefore;
    processUser = process->Pcb.UserTime - processUserBefore;
    KT_EXPECT_EQ(PsTerminateProcess(process, 0), STATUS_SUCCESS);
    KT_EXPECT_EQ(KtWait(&process->Pcb), STATUS_WAIT_0);
    // Most of the ticks this thread slept through found spin.exe in user
    // mode (a few go to the clock's own work on this processor).
    KT_EXPECT(user >= KT_SPIN_TICKS / 2);
    KT_EXPECT(kernel < user / 4);
    KT_EXPECT(processUser >= user);
    KT_EXPECT(process->Pcb.UserTime >= thread->Tcb.UserTime);
    ObDereferenceObject(thread);
    ObDereferenceObject(process);
}
