// Mutants: an owner that may acquire recursively and must release as often;
// only the owner may release; an owner that ends abandons them, and the
// next thread to acquire one is told so.

#include "tests/kernel/test_dispatcher.h"

// A thread that takes the mutant `Acquisitions` times, then waits on `Go`,
// then releases it `Releases` times and ends.
typedef struct _KT_OWNER {
    KMUTANT *Mutant;
    KEVENT *Go;
    ULONG Acquisitions;
    ULONG Releases;
    NTSTATUS AcquireStatus;
    NTSTATUS GoStatus;
} KT_OWNER;

static void KtOwnerRoutine(void *context)
{
    KT_OWNER *owner = context;

    owner->AcquireStatus = STATUS_WAIT_0;
    for (ULONG i = 0; i < owner->Acquisitions; i++) {
        NTSTATUS status = KtWait(owner->Mutant);

        if (status != STATUS_WAIT_0)
            owner->AcquireStatus = status;
    }
    owner->GoStatus = owner->Go ? KtWait(owner->Go) : STATUS_WAIT_0;
    for (ULONG i = 0; i < owner->Releases; i++)
        KeReleaseMutantEx(owner->Mutant, IO_NO_INCREMENT, FALSE, NULL);
}

static ETHREAD *KtStartOwner(KT_OWNER *owner, KMUTANT *mutant, KEVENT *go, ULONG acquisitions,
                             ULONG releases)
{
    memset(owner, 0, sizeof(*owner));
    owner->Mutant = mutant;
    owner->Go = go;
    owner->Acquisitions = acquisitions;
    owner->Releases = releases;
    return KtStartThread(KtOwnerRoutine, owner, KT_HIGH_PRIORITY);
}

KTEST(MutantOwnerAcquiresItRecursively)
{
    KMUTANT mutant;
    NTSTATUS status[3];
    LONG stateOwned, previous[3];
    KTHREAD *owner;

    KeInitializeMutant(&mutant, FALSE);
    KT_EXPECT_EQ(KeReadStateMutant(&mutant), 1);
    for (ULONG i = 0; i < 3; i++)
        status[i] = KtPoll(&mutant);
    stateOwned = KeReadStateMutant(&mutant);
    owner = mutant.OwnerThread;
    for (ULONG i = 0; i < 3; i++) {
        previous[i] = 99;
        KeReleaseMutantEx(&mutant, IO_NO_INCREMENT, FALSE, &previous[i]);
    }

    for (ULONG i = 0; i < 3; i++)
        KT_EXPECT_EQ(status[i], STATUS_WAIT_0);
    KT_EXPECT_EQ(stateOwned, -2);
    KT_EXPECT(owner == KeGetCurrentThread());
    KT_EXPECT_EQ(previous[0], -2);
    KT_EXPECT_EQ(previous[1], -1);
    KT_EXPECT_EQ(previous[2], 0);
    KT_EXPECT_EQ(KeReadStateMutant(&mutant), 1);
    KT_EXPECT(mutant.OwnerThread == NULL);
    KT_EXPECT(IsListEmpty(&KeGetCurrentThread()->MutantListHead));
}

// Another thread gets the mutant only after the owner's last release.
KTEST(MutantStaysOwnedUntilEveryAcquisitionIsReleased)
{
    KMUTANT mutant;
    KT_WAITER waiter;
    LONG doneAfterFirstRelease, stateAfterFirstRelease;
    BOOLEAN ownedByWaiter;

    KeInitializeMutant(&mutant, FALSE);
    KtPoll(&mutant);
    KtPoll(&mutant);
    KtStartWaiter(&waiter, &mutant, KT_HIGH_PRIORITY, NULL);
    KeReleaseMutant(&mutant, IO_NO_INCREMENT, FALSE, FALSE);
    KtSleepTicks(2);
    doneAfterFirstRelease = waiter.Done;
    stateAfterFirstRelease = KeReadStateMutant(&mutant);
    KeReleaseMutant(&mutant, IO_NO_INCREMENT, FALSE, FALSE);
    // The waiter (above us) has run: it got the mutant and ended holding it.
    ownedByWaiter = waiter.Done && waiter.Status == STATUS_WAIT_0;
    KtJoinThread(waiter.Thread);

    KT_EXPECT_EQ(doneAfterFirstRelease, 0);
    KT_EXPECT_EQ(stateAfterFirstRelease, 0);
    KT_EXPECT(ownedByWaiter);
    // It ended without releasing: abandoned, and free again.
    KT_EXPECT_EQ(KeReadStateMutant(&mutant), 1);
    KT_EXPECT_EQ(KtProbeMutant(&mutant), STATUS_ABANDONED_WAIT_0);
}

KTEST(MutantReleaseByNonOwnerFails)
{
    KMUTANT mutant;
    KEVENT go;
    KT_OWNER owner;
    ETHREAD *thread;
    LONG previous = 12345;
    NTSTATUS freeRelease, ownedRelease;
    LONG stateAfter;
    BOOLEAN stillOwned;

    KeInitializeMutant(&mutant, FALSE);
    KeInitializeEvent(&go, NotificationEvent, FALSE);
    freeRelease = KeReleaseMutantEx(&mutant, IO_NO_INCREMENT, FALSE, &previous);

    thread = KtStartOwner(&owner, &mutant, &go, 1, 1);
    KtWaitUntilWaitingOn(thread, &go);
    ownedRelease = KeReleaseMutantEx(&mutant, IO_NO_INCREMENT, FALSE, &previous);
    stateAfter = KeReadStateMutant(&mutant);
    stillOwned = thread && mutant.OwnerThread == &thread->Tcb;
    KeSetEvent(&go, IO_NO_INCREMENT, FALSE);
    KtJoinThread(thread);

    KT_EXPECT_EQ(freeRelease, STATUS_MUTANT_NOT_OWNED);
    KT_EXPECT_EQ(ownedRelease, STATUS_MUTANT_NOT_OWNED);
    KT_EXPECT_EQ(previous, 12345);
    KT_EXPECT_EQ(stateAfter, 0);
    KT_EXPECT(stillOwned);
    // The owner's own release worked: free, and not abandoned.
    KT_EXPECT_EQ(KeReadStateMutant(&mutant), 1);
    KT_EXPECT_EQ(KtProbeMutant(&mutant), STATUS_WAIT_0);
}

KTEST(MutantReleaseByNonOwnerWithoutStatusIsABugCheck)
{
    KJUMP_BUFFER resume;
    KMUTANT mutant;

    KeInitializeMutant(&mutant, FALSE);
    if (KiSetJump(&resume) == 0) {
        KiExpectBugCheck(THREAD_NOT_MUTEX_OWNER, &resume);
        KeReleaseMutant(&mutant, IO_NO_INCREMENT, FALSE, FALSE);
        KiClearExpectedBugCheck();
        KtFail(__FILE__, __LINE__, "a bugcheck for the release by a non-owner");
    }
    KT_EXPECT_EQ(KiBugCheckData.Code, THREAD_NOT_MUTEX_OWNER);
    KT_EXPECT_EQ(KeReadStateMutant(&mutant), 1);
}

// The owner ends (holding it twice) while another thread waits: the waiter
// gets the mutant, told that it was abandoned.
KTEST(MutantAbandonedByItsOwnerWakesTheNextWaiterWithAbandonedStatus)
{
    KMUTANT mutant;
    KEVENT go;
    KT_OWNER owner;
    KT_WAITER waiter;
    ETHREAD *thread;

    KeInitializeMutant(&mutant, FALSE);
    KeInitializeEvent(&go, NotificationEvent, FALSE);
    thread = KtStartOwner(&owner, &mutant, &go, 2, 0);
    KtWaitUntilWaitingOn(thread, &go);
    KtStartWaiter(&waiter, &mutant, KT_HIGH_PRIORITY, NULL);
    KeSetEvent(&go, IO_NO_INCREMENT, FALSE);
    KtJoinThread(thread);
    KtJoinThread(waiter.Thread);

    KT_EXPECT_EQ(owner.AcquireStatus, STATUS_WAIT_0);
    KT_EXPECT_EQ(waiter.Status, STATUS_ABANDONED_WAIT_0);
    // The waiter, too, ended holding it; the abandoned status goes with each
    // abandonment, once.
    KT_EXPECT_EQ(KtProbeMutant(&mutant), STATUS_ABANDONED_WAIT_0);
    KT_EXPECT_EQ(KtProbeMutant(&mutant), STATUS_WAIT_0);
}

KTEST(AbandonedMutantIsFreeAndReportedToTheNextAcquirerOnly)
{
    KMUTANT mutant;
    KT_OWNER owner;

    KeInitializeMutant(&mutant, FALSE);
    KtJoinThread(KtStartOwner(&owner, &mutant, NULL, 3, 0));

    KT_EXPECT_EQ(KeReadStateMutant(&mutant), 1);
    KT_EXPECT(mutant.OwnerThread == NULL);
    KT_EXPECT_EQ(KtProbeMutant(&mutant), STATUS_ABANDONED_WAIT_0);
    KT_EXPECT_EQ(KtProbeMutant(&mutant), STATUS_WAIT_0);
}

// In a WaitAny the abandoned status carries the object's index, as
// STATUS_WAIT_0 + index does.
KTEST(AbandonedMutantInWaitAnyReturnsAbandonedPlusItsIndex)
{
    KMUTANT mutant;
    KEVENT event;
    KSEMAPHORE semaphore;
    KT_OWNER owner;
    void *objects[3] = {&event, &semaphore, &mutant};
    NTSTATUS status;
    KTHREAD *ownerAfter;

    KeInitializeMutant(&mutant, FALSE);
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    KeInitializeSemaphore(&semaphore, 0, 1);
    KtJoinThread(KtStartOwner(&owner, &mutant, NULL, 1, 0));

    status = KeWaitForMultipleObjects(3, objects, WaitAny, Executive, KernelMode, FALSE,
                                      &KtWaitLimit, NULL);
    ownerAfter = mutant.OwnerThread;
    if (ownerAfter == KeGetCurrentThread())
        KeReleaseMutant(&mutant, IO_NO_INCREMENT, FALSE, FALSE);
    KT_EXPECT_EQ(status, STATUS_ABANDONED_WAIT_0 + 2);
    KT_EXPECT(ownerAfter == KeGetCurrentThread());
}

// A WaitAny of four objects, with its own wait blocks.
typedef struct _KT_WAIT_ANY {
    void *Objects[4];
    KWAIT_BLOCK WaitBlocks[4];
    NTSTATUS Status;
} KT_WAIT_ANY;

static void KtWaitAnyRoutine(void *context)
{
    KT_WAIT_ANY *wait = context;

    wait->Status = KeWaitForMultipleObjects(ARRAYSIZE(wait->Objects), wait->Objects, WaitAny,
                                            Executive, KernelMode, FALSE, &KtWaitLimit,
                                            wait->WaitBlocks);
}

// The same, for a thread already blocked in the WaitAny when the owner ends.
KTEST(AbandonmentWakesAWaitAnyWaiterWithAbandonedPlusIndex)
{
    KMUTANT mutant;
    KEVENT go, event;
    KT_OWNER owner;
    KT_WAIT_ANY wait = {.Objects = {&event, &event, &event, &mutant}, .Status = STATUS_PENDING};
    ETHREAD *thread, *waiterThread;

    KeInitializeMutant(&mutant, FALSE);
    KeInitializeEvent(&go, NotificationEvent, FALSE);
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    thread = KtStartOwner(&owner, &mutant, &go, 1, 0);
    KtWaitUntilWaitingOn(thread, &go);
    waiterThread = KtStartThread(KtWaitAnyRoutine, &wait, KT_HIGH_PRIORITY);
    KtWaitUntilWaitingOn(waiterThread, &mutant);
    KeSetEvent(&go, IO_NO_INCREMENT, FALSE);
    KtJoinThread(thread);
    KtJoinThread(waiterThread);

    KT_EXPECT_EQ(wait.Status, STATUS_ABANDONED_WAIT_0 + 3);
    KT_EXPECT_EQ(KtWaitListLength(&event), 0);
    // The waiter ended holding it in turn.
    KT_EXPECT_EQ(KtProbeMutant(&mutant), STATUS_ABANDONED_WAIT_0);
}
