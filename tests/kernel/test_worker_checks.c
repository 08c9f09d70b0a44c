// The worker queues' checks (ex/worker.c) and I/O work items (io/iowork.c):
// every way to misuse ExQueueWorkItem or an I/O work item is a WORKER_INVALID
// bugcheck with NT's first parameter; a routine that returns at raised IRQL
// or impersonating is the bugcheck that names it; and an I/O work item keeps
// its owner referenced exactly while it is queued.
//
// A bugcheck in a worker thread cannot come back to the test (the test's
// jump buffer is on another stack), so the after-item check is tested by
// calling ExpCheckWorkerReturn, the very routine every worker calls.

#include "tests/kernel/test_dispatcher.h"
#include "ex/ex.h"
#include "io/io.h"
#include "tests/kernel/ktio.h"
#include "se/sep.h"

static void KtNothing(void *parameter)
{
}

static void KtExpectWorkerInvalid(WORK_QUEUE_ITEM *item, ULONG queueType, ULONG64 why)
{
    KJUMP_BUFFER resume;

    if (KiSetJump(&resume) == 0) {
        KiExpectBugCheck(WORKER_INVALID, &resume);
        ExQueueWorkItem(item, queueType);
        KiClearExpectedBugCheck();
        KtFail(__FILE__, __LINE__, "ExQueueWorkItem did not bugcheck");
        return;
    }
    KT_CHECK_EQ(KiBugCheckData.Code, WORKER_INVALID);
    KT_CHECK_EQ(KiBugCheckData.Parameter[0], why);
    KT_CHECK_EQ(KiBugCheckData.Parameter[1], (ULONG64)(ULONG_PTR)item);
    KT_CHECK_EQ(KiBugCheckData.Parameter[2], queueType);
}

KTEST(ExQueueWorkItemRejectsBadItemsWithWorkerInvalid)
{
    WORK_QUEUE_ITEM item;
    LIST_ENTRY fakeQueue;

    // A routine in user space (a driver must never queue one).
    ExInitializeWorkItem(&item, (PWORKER_THREAD_ROUTINE)(ULONG_PTR)0x401000, NULL);
    KtExpectWorkerInvalid(&item, DelayedWorkQueue, WORKER_INVALID_ROUTINE);
    // An item whose List is still linked: queued already.
    ExInitializeWorkItem(&item, KtNothing, NULL);
    item.List.Flink = &fakeQueue;
    KtExpectWorkerInvalid(&item, DelayedWorkQueue, WORKER_INVALID_ACTIVE_ITEM_QUEUED);
    // A queue that does not exist.
    ExInitializeWorkItem(&item, KtNothing, NULL);
    KtExpectWorkerInvalid(&item, MaximumWorkQueue, WORKER_INVALID_QUEUE_TYPE);
    KT_EXPECT_EQ(ExpQueueDepth(DelayedWorkQueue), 0);
}

static void KtExpectWorkerReturnBugCheck(ULONG code, WORK_QUEUE_ITEM *item)
{
    KJUMP_BUFFER resume;

    if (KiSetJump(&resume) == 0) {
        KiExpectBugCheck(code, &resume);
        ExpCheckWorkerReturn(item->WorkerRoutine, item->Parameter, item);
        KiClearExpectedBugCheck();
        KtFail(__FILE__, __LINE__, "the after-item check did not bugcheck");
    }
}

KTEST(WorkerRoutineReturningAtDispatchLevelIsABugCheckNamingIt)
{
    WORK_QUEUE_ITEM item;
    KIRQL oldIrql;

    ExInitializeWorkItem(&item, KtNothing, (void *)0x1234);
    ExpCheckWorkerReturn(item.WorkerRoutine, item.Parameter, &item);    // PASSIVE_LEVEL: fine
    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    KtExpectWorkerReturnBugCheck(WORKER_THREAD_RETURNED_AT_BAD_IRQL, &item);
    KeLowerIrql(oldIrql);
    KT_EXPECT_EQ(KiBugCheckData.Code, WORKER_THREAD_RETURNED_AT_BAD_IRQL);
    KT_EXPECT_EQ(KiBugCheckData.Parameter[0], (ULONG64)(ULONG_PTR)KtNothing);
    KT_EXPECT_EQ(KiBugCheckData.Parameter[1], DISPATCH_LEVEL);
    KT_EXPECT_EQ(KiBugCheckData.Parameter[2], 0x1234);
    KT_EXPECT_EQ(KiBugCheckData.Parameter[3], (ULONG64)(ULONG_PTR)&item);
}

KTEST(WorkerRoutineReturningWhileImpersonatingIsABugCheckNamingIt)
{
    SEP_TOKEN_TEMPLATE template = {
        .TokenType = TokenImpersonation,
        .ImpersonationLevel = SecurityImpersonation,
        .AuthenticationId = {0x6000, 0},
        .User = {(SID *)SeStudentSid, 0},
    };
    TOKEN *token = NULL;
    WORK_QUEUE_ITEM item;

    KT_EXPECT_EQ(SepCreateToken(&template, &token), STATUS_SUCCESS);
    ExInitializeWorkItem(&item, KtNothing, (void *)0x5678);
    KT_CHECK_EQ(PsImpersonateClient(PsGetCurrentThread(), token), STATUS_SUCCESS);
    KtExpectWorkerReturnBugCheck(IMPERSONATING_WORKER_THREAD, &item);
    PsRevertToSelf();
    ObDereferenceObject(token);
    KT_EXPECT_EQ(KiBugCheckData.Code, IMPERSONATING_WORKER_THREAD);
    KT_EXPECT_EQ(KiBugCheckData.Parameter[0], (ULONG64)(ULONG_PTR)KtNothing);
    KT_EXPECT_EQ(KiBugCheckData.Parameter[1], 0x5678);
    KT_EXPECT_EQ(KiBugCheckData.Parameter[2], (ULONG64)(ULONG_PTR)&item);
    ExpCheckWorkerReturn(item.WorkerRoutine, item.Parameter, &item);    // reverted: fine
}

// ---- I/O work items ------------------------------------------------------------------

typedef struct _KT_IO_RUN {
    KEVENT Ran;
    void *IoObject;
    void *Context;
    LONG_PTR PointerCount;      // the owner's, while the routine ran
    IO_WORKITEM *Item;
} KT_IO_RUN;

static void KtIoRoutine(DEVICE_OBJECT *ioObject, void *context)
{
    KT_IO_RUN *run = context;

    run->IoObject = ioObject;
    run->Context = context;
    run->PointerCount = ObGetObjectPointerCount(ioObject);
    IoFreeWorkItem(run->Item);      // drivers commonly free the item in its routine
    KeSetEvent(&run->Ran, 0, FALSE);
}

static ULONG KtIoItemsOutstanding(void)
{
    ULONG allocations;
    SIZE_T bytes;

    ExQueryPoolTagUsage(IO_WORKITEM_TAG, &allocations, &bytes);
    return allocations;
}

KTEST(IoWorkItemKeepsItsOwnerReferencedWhileQueued)
{
    ULONG itemsBefore = KtIoItemsOutstanding();
    KT_IO_RUN run;
    DEVICE_OBJECT *owner;
    LONG_PTR references;
    KIRQL oldIrql;

    KT_EXPECT_EQ(KtIoStartDrivers(), STATUS_SUCCESS);
    owner = KtIoSyncDevice;
    references = ObGetObjectPointerCount(owner);
    KeInitializeEvent(&run.Ran, NotificationEvent, FALSE);
    run.Item = IoAllocateWorkItem(owner);
    KT_CHECK(run.Item != NULL);
    if (run.Item) {
        KT_CHECK_EQ(KtIoItemsOutstanding(), itemsBefore + 1);
        KT_CHECK_EQ(ObGetObjectPointerCount(owner), references);    // not until queued
        KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);      // it stays queued for a moment
        IoQueueWorkItem(run.Item, KtIoRoutine, DelayedWorkQueue, &run);
        KT_CHECK_EQ(ObGetObjectPointerCount(owner), references + 1);
        KT_CHECK_EQ(KeReadStateEvent(&run.Ran), 0);                  // not run yet
        KT_CHECK(run.Item->WorkItem.WorkerRoutine == IopProcessWorkItem);
        KT_CHECK(run.Item->WorkItem.Parameter == run.Item);
        KeLowerIrql(oldIrql);
        KT_CHECK_EQ(KtWait(&run.Ran), STATUS_WAIT_0);
        KT_CHECK(run.IoObject == owner);
        KT_CHECK(run.Context == &run);
        KT_CHECK_EQ(run.PointerCount, references + 1);
        // The worker dropped its reference once the routine returned (it
        // runs above the test thread's priority, so it has by now).
        KT_CHECK_EQ(ObGetObjectPointerCount(owner), references);
        KT_CHECK_EQ(KtIoItemsOutstanding(), itemsBefore);
    }
    KtIoStopDrivers();
}

KTEST(IoWorkItemMisuseIsWorkerInvalid)
{
    KJUMP_BUFFER resume;
    DEVICE_OBJECT *owner;
    KEVENT *event;
    IO_WORKITEM *item;
    LIST_ENTRY fakeQueue;
    LONG_PTR references;

    if (KiSetJump(&resume) == 0) {
        KiExpectBugCheck(WORKER_INVALID, &resume);
        IoAllocateWorkItem((void *)(ULONG_PTR)0x10000);    // a user address
        KiClearExpectedBugCheck();
        KtFail(__FILE__, __LINE__, "IoAllocateWorkItem took a user address");
        return;
    }
    KT_EXPECT_EQ(KiBugCheckData.Parameter[0], WORKER_INVALID_IO_OBJECT);
    KT_EXPECT_EQ(KiBugCheckData.Parameter[2], 0x10000);

    // The owner is a device object, as NT's: an object of another type is not.
    KT_EXPECT_EQ(ObCreateObject(ExEventObjectType, sizeof(KEVENT), (void **)&event),
                 STATUS_SUCCESS);
    if (KiSetJump(&resume) == 0) {
        KiExpectBugCheck(WORKER_INVALID, &resume);
        IoAllocateWorkItem((DEVICE_OBJECT *)event);
        KiClearExpectedBugCheck();
        KtFail(__FILE__, __LINE__, "IoAllocateWorkItem took an event as its owner");
        ObDereferenceObject(event);
        return;
    }
    ObDereferenceObject(event);
    KT_EXPECT_EQ(KiBugCheckData.Parameter[0], WORKER_INVALID_IO_OBJECT);

    KT_EXPECT_EQ(KtIoStartDrivers(), STATUS_SUCCESS);
    owner = KtIoSyncDevice;
    references = ObGetObjectPointerCount(owner);
    item = IoAllocateWorkItem(owner);
    KT_CHECK(item != NULL);
    if (item) {
        item->WorkItem.List.Flink = &fakeQueue;     // as if it were queued
        if (KiSetJump(&resume) == 0) {
            KiExpectBugCheck(WORKER_INVALID, &resume);
            IoFreeWorkItem(item);
            KiClearExpectedBugCheck();
            KtFail(__FILE__, __LINE__, "IoFreeWorkItem freed a queued item");
        }
        KT_CHECK_EQ(KiBugCheckData.Parameter[0], WORKER_INVALID_QUEUED_IO_ITEM_FREED);
        KT_CHECK_EQ(KiBugCheckData.Parameter[1], (ULONG64)(ULONG_PTR)item);
        if (KiSetJump(&resume) == 0) {
            KiExpectBugCheck(WORKER_INVALID, &resume);
            IoQueueWorkItem(item, KtIoRoutine, DelayedWorkQueue, NULL);
            KiClearExpectedBugCheck();
            KtFail(__FILE__, __LINE__, "IoQueueWorkItem queued an item twice");
        }
        KT_CHECK_EQ(KiBugCheckData.Parameter[0], WORKER_INVALID_ACTIVE_ITEM_QUEUED);
        KT_CHECK_EQ(ObGetObjectPointerCount(owner), references);   // no reference taken
        item->WorkItem.List.Flink = NULL;
        IoFreeWorkItem(item);
    }
    KtIoStopDrivers();
}
