// The executive timer's APC bookkeeping, seen from inside: the APC queued
// by the timer's DPC, the reference the timer holds on itself meanwhile,
// and cancel and thread rundown taking both back.

#include "tests/kernel/ktest.h"
#include "ex/ex.h"
#include "ps/ps.h"

static void KtTimerApcRoutine(void *context, ULONG low, LONG high)
{
}

// A timer with a handle, as NtCreateTimer makes one; *timer is referenced.
static NTSTATUS KtCreateTimer(ETIMER **timer, HANDLE *handle)
{
    ETIMER *created;
    NTSTATUS status = ExpCreateTimerObject(NotificationTimer, &created);

    if (!NT_SUCCESS(status))
        return status;
    return ObInsertObject(created, NULL, TIMER_ALL_ACCESS, (void **)timer, handle);
}

KTEST(TimerApcIsQueuedWhenItFiresAndCancelTakesItBack)
{
    LARGE_INTEGER due = {.QuadPart = -10 * 10000};
    ETIMER *timer;
    HANDLE handle;

    KT_EXPECT_EQ(KtCreateTimer(&timer, &handle), STATUS_SUCCESS);
    KT_EXPECT(ObGetObjectPointerCount(timer) == 2);
    ExpSetTimer(timer, due, KtTimerApcRoutine, NULL, 0);
    KT_EXPECT(timer->ApcAssociated);
    KT_EXPECT(ObGetObjectPointerCount(timer) == 3);
    KT_EXPECT_EQ(KeWaitForSingleObject(&timer->KeTimer, Executive, KernelMode, FALSE, NULL),
                 STATUS_WAIT_0);
    KT_EXPECT(timer->TimerApc.Inserted);
    KT_EXPECT(timer->TimerApc.ApcMode == UserMode);
    KT_EXPECT(timer->TimerApc.Thread == KeGetCurrentThread());
    ExpCancelTimer(timer);
    KT_EXPECT(!timer->TimerApc.Inserted);
    KT_EXPECT(!timer->ApcAssociated);
    KT_EXPECT(IsListEmpty(&KeGetCurrentThread()->ApcState.ApcListHead[UserMode]));
    KT_EXPECT(ObGetObjectPointerCount(timer) == 2);
    ObDereferenceObject(timer);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
}

KTEST(ThreadRundownCancelsItsTimerApcs)
{
    LARGE_INTEGER later = {.QuadPart = -60LL * 1000 * 10000};
    ETIMER *timer;
    HANDLE handle;

    KT_EXPECT_EQ(KtCreateTimer(&timer, &handle), STATUS_SUCCESS);
    ExpSetTimer(timer, later, KtTimerApcRoutine, NULL, 0);
    KT_EXPECT(timer->ApcAssociated && timer->KeTimer.Header.Inserted);
    ExTimerRundown(PsGetCurrentThread());
    KT_EXPECT(!timer->ApcAssociated);
    KT_EXPECT(!timer->KeTimer.Header.Inserted);
    KT_EXPECT(ObGetObjectPointerCount(timer) == 2);
    ObDereferenceObject(timer);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
}
