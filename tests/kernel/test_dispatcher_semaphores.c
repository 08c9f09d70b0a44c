// Semaphores: each satisfied wait takes one unit of the count; a release
// adds units, wakes one waiter per unit, and never passes the limit.

#include "tests/kernel/test_dispatcher.h"

KTEST(SemaphoreWaitTakesOneUnitOfTheCount)
{
    KSEMAPHORE semaphore;

    KeInitializeSemaphore(&semaphore, 2, 5);
    KT_EXPECT_EQ(KtPoll(&semaphore), STATUS_WAIT_0);
    KT_EXPECT_EQ(KeReadStateSemaphore(&semaphore), 1);
    KT_EXPECT_EQ(KtPoll(&semaphore), STATUS_WAIT_0);
    KT_EXPECT_EQ(KeReadStateSemaphore(&semaphore), 0);
    KT_EXPECT_EQ(KtPoll(&semaphore), STATUS_TIMEOUT);
    KT_EXPECT_EQ(KeReadStateSemaphore(&semaphore), 0);
}

KTEST(SemaphoreReleaseReturnsThePreviousCount)
{
    KSEMAPHORE semaphore;
    LONG previous = -1;

    KeInitializeSemaphore(&semaphore, 1, 10);
    KT_EXPECT_EQ(KeReleaseSemaphore(&semaphore, IO_NO_INCREMENT, 2, FALSE), 1);
    KT_EXPECT_EQ(KeReadStateSemaphore(&semaphore), 3);
    KT_EXPECT_EQ(KeReleaseSemaphoreEx(&semaphore, IO_NO_INCREMENT, 3, &previous),
                 STATUS_SUCCESS);
    KT_EXPECT_EQ(previous, 3);
    KT_EXPECT_EQ(KeReadStateSemaphore(&semaphore), 6);
}

KTEST(SemaphoreReleaseUpToTheLimitSucceeds)
{
    KSEMAPHORE semaphore;
    LONG previous = -1;

    KeInitializeSemaphore(&semaphore, 2, 4);
    KT_EXPECT_EQ(KeReleaseSemaphoreEx(&semaphore, IO_NO_INCREMENT, 2, &previous),
                 STATUS_SUCCESS);
    KT_EXPECT_EQ(previous, 2);
    KT_EXPECT_EQ(KeReadStateSemaphore(&semaphore), 4);
}

// Past the limit the release fails as a whole: the count, the waiters and
// the caller's previous-count variable are all left alone.
KTEST(SemaphoreReleaseBeyondLimitFails)
{
    KSEMAPHORE full, empty;
    KT_WAITER waiter;
    LONG previous = -1;
    NTSTATUS overFull, overEmpty, overflow;
    LONG doneAfterFailedRelease, previousAfterFailures, emptyCount;

    KeInitializeSemaphore(&full, 3, 4);
    overFull = KeReleaseSemaphoreEx(&full, IO_NO_INCREMENT, 2, &previous);
    overflow = KeReleaseSemaphoreEx(&full, IO_NO_INCREMENT, 0x7FFFFFFF, &previous);

    KeInitializeSemaphore(&empty, 0, 1);
    KtStartWaiter(&waiter, &empty, KT_HIGH_PRIORITY, NULL);
    overEmpty = KeReleaseSemaphoreEx(&empty, IO_NO_INCREMENT, 2, &previous);
    KtSleepTicks(2);
    doneAfterFailedRelease = waiter.Done;
    emptyCount = KeReadStateSemaphore(&empty);
    previousAfterFailures = previous;
    KeReleaseSemaphoreEx(&empty, IO_NO_INCREMENT, 1, NULL);    // now let it go
    KtJoinThread(waiter.Thread);

    KT_EXPECT_EQ(overFull, STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    KT_EXPECT_EQ(overflow, STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    KT_EXPECT_EQ(KeReadStateSemaphore(&full), 3);
    KT_EXPECT_EQ(overEmpty, STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    KT_EXPECT_EQ(doneAfterFailedRelease, 0);
    KT_EXPECT_EQ(emptyCount, 0);
    KT_EXPECT_EQ(previousAfterFailures, -1);
    KT_EXPECT_EQ(waiter.Status, STATUS_WAIT_0);
}

// KeReleaseSemaphore has no status to return: NT raises an exception, which
// here, with no exception handling in the kernel, is a bugcheck.
KTEST(SemaphoreReleaseBeyondLimitWithoutStatusIsABugCheck)
{
    KJUMP_BUFFER resume;
    KSEMAPHORE semaphore;

    KeInitializeSemaphore(&semaphore, 1, 1);
    if (KiSetJump(&resume) == 0) {
        KiExpectBugCheck(KMODE_EXCEPTION_NOT_HANDLED, &resume);
        KeReleaseSemaphore(&semaphore, IO_NO_INCREMENT, 1, FALSE);
        KiClearExpectedBugCheck();
        KtFail(__FILE__, __LINE__, "a bugcheck for the release past the limit");
    }
    KT_EXPECT_EQ(KiBugCheckData.Code, KMODE_EXCEPTION_NOT_HANDLED);
    KT_EXPECT_EQ(KiBugCheckData.Parameter[0], (ULONG)STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    KT_EXPECT_EQ(KeReadStateSemaphore(&semaphore), 1);
}

KTEST(SemaphoreReleaseWakesOneWaiterPerUnit)
{
    KSEMAPHORE semaphore;
    KT_WAITER waiters[3];
    LONG doneAfterTwo, firstTwoDone, countAfterTwo, doneAfterThree;

    KeInitializeSemaphore(&semaphore, 0, 10);
    for (ULONG i = 0; i < ARRAYSIZE(waiters); i++) {
        KtStartWaiter(&waiters[i], &semaphore, KT_HIGH_PRIORITY, NULL);
    }
    KeReleaseSemaphore(&semaphore, IO_NO_INCREMENT, 2, FALSE);
    KtSleepTicks(2);
    doneAfterTwo = KtCountDone(waiters, ARRAYSIZE(waiters));
    firstTwoDone = waiters[0].Done + waiters[1].Done;
    countAfterTwo = KeReadStateSemaphore(&semaphore);
    KeReleaseSemaphore(&semaphore, IO_NO_INCREMENT, 1, FALSE);
    KtSleepTicks(2);
    doneAfterThree = KtCountDone(waiters, ARRAYSIZE(waiters));
    for (ULONG i = 0; i < ARRAYSIZE(waiters); i++)
        KtJoinThread(waiters[i].Thread);

    KT_EXPECT_EQ(doneAfterTwo, 2);
    KT_EXPECT_EQ(firstTwoDone, 2);     // the two that waited longest
    KT_EXPECT_EQ(countAfterTwo, 0);
    KT_EXPECT_EQ(doneAfterThree, 3);
    KT_EXPECT_EQ(KeReadStateSemaphore(&semaphore), 0);
}
