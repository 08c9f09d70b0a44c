// The debugger's thread and process commands must survive whatever they
// read: broken lists, objects of the wrong type, a thread whose wait blocks
// never lead back. Each test builds the damage in its own memory and checks
// that the walk stops (a fault inside the debugger would halt the system).

#include "tests/kernel/ktest.h"
#include "kd/kd.h"
#include "ps/ps.h"

#define KT_UNREADABLE_ADDRESS 0x10ULL

typedef struct _KT_LIST_COUNT {
    ULONG Visited;
} KT_LIST_COUNT;

static BOOLEAN KtCountEntry(void *context, ULONG64 entry)
{
    ((KT_LIST_COUNT *)context)->Visited++;
    return TRUE;
}

// head <-> a <-> b <-> c <-> head
static void KtBuildList(LIST_ENTRY *head, LIST_ENTRY nodes[3])
{
    InitializeListHead(head);
    for (ULONG i = 0; i < 3; i++)
        InsertTailList(head, &nodes[i]);
}

KTEST(KdWalkListVisitsEveryEntryOfAGoodList)
{
    LIST_ENTRY head, nodes[3];
    KT_LIST_COUNT count = { 0 };

    KtBuildList(&head, nodes);
    KT_EXPECT(KdpWalkList((ULONG64)&head, "test list", KtCountEntry, &count));
    KT_EXPECT_EQ(count.Visited, 3);
}

KTEST(KdWalkListStopsAtABrokenBackLink)
{
    LIST_ENTRY head, nodes[3];
    KT_LIST_COUNT count = { 0 };

    KtBuildList(&head, nodes);
    nodes[1].Blink = &nodes[2];
    KT_EXPECT(!KdpWalkList((ULONG64)&head, "test list", KtCountEntry, &count));
    KT_EXPECT_EQ(count.Visited, 1);
}

KTEST(KdWalkListStopsAtAnUnreadableEntry)
{
    LIST_ENTRY head, nodes[3];
    KT_LIST_COUNT count = { 0 };

    KtBuildList(&head, nodes);
    nodes[0].Flink = (LIST_ENTRY *)KT_UNREADABLE_ADDRESS;
    KT_EXPECT(!KdpWalkList((ULONG64)&head, "test list", KtCountEntry, &count));
    KT_EXPECT_EQ(count.Visited, 1);
    KT_EXPECT(!KdpWalkList(KT_UNREADABLE_ADDRESS, "test list", KtCountEntry, &count));
}

KTEST(KdWalkListStopsALoopThatSkipsTheHead)
{
    LIST_ENTRY head, nodes[3];
    KT_LIST_COUNT count = { 0 };

    KtBuildList(&head, nodes);
    nodes[2].Flink = &nodes[0];     // c -> a again: a's Blink says head, not c
    KT_EXPECT(!KdpWalkList((ULONG64)&head, "test list", KtCountEntry, &count));
    KT_EXPECT_EQ(count.Visited, 3);
}

// A thread-shaped object the debugger is asked about: an object header and
// an ETHREAD, filled in by each test.
static union {
    OBJECT_HEADER Header;
    UCHAR Bytes[FIELD_OFFSET(OBJECT_HEADER, Body) + sizeof(ETHREAD)];
} KtFakeObject __attribute__((aligned(16)));

static ETHREAD *KtFakeThread(OBJECT_TYPE *type, UCHAR dispatcherType)
{
    ETHREAD *thread = (ETHREAD *)OBJECT_HEADER_TO_OBJECT(&KtFakeObject.Header);

    memset(&KtFakeObject, 0, sizeof(KtFakeObject));
    KtFakeObject.Header.PointerCount = 1;
    KtFakeObject.Header.Type = type;
    thread->Tcb.Header.Type = dispatcherType;
    return thread;
}

KTEST(KdIsThreadNeedsBothTheDispatcherTypeAndTheObjectType)
{
    KT_EXPECT(KdpIsThread((ULONG64)KeGetCurrentThread()));
    KT_EXPECT(KdpIsThread((ULONG64)KtFakeThread(PsThreadType, ThreadObject)));
    KT_EXPECT(!KdpIsThread((ULONG64)KtFakeThread(PsProcessType, ThreadObject)));
    KT_EXPECT(!KdpIsThread((ULONG64)KtFakeThread(PsThreadType, EventNotificationObject)));
    KT_EXPECT(!KdpIsThread((ULONG64)PsInitialSystemProcess));
    KT_EXPECT(!KdpIsThread(0));
    KT_EXPECT(!KdpPrintThread(0, KD_THREAD_DEFAULT, 0));
}

KTEST(KdThreadSurvivesAWaitRingThatNeverCloses)
{
    static KWAIT_BLOCK blocks[2];
    static KEVENT event;
    ETHREAD *thread = KtFakeThread(PsThreadType, ThreadObject);

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    blocks[0].Object = &event;
    blocks[0].NextWaitBlock = &blocks[1];
    blocks[1].Object = (void *)KT_UNREADABLE_ADDRESS;
    blocks[1].NextWaitBlock = &blocks[1];       // never back to blocks[0]
    thread->Tcb.State = Waiting;
    thread->Tcb.WaitReason = MaximumWaitReason + 7;
    thread->Tcb.WaitBlockList = &blocks[0];
    thread->ThreadsProcess = (EPROCESS *)KT_UNREADABLE_ADDRESS;
    thread->StartAddress = (PKSTART_ROUTINE)KT_UNREADABLE_ADDRESS;
    thread->Tcb.KernelStack = (void *)KT_UNREADABLE_ADDRESS;
    KT_EXPECT(KdpPrintThread((ULONG64)thread, KD_THREAD_DEFAULT, 0));
}

KTEST(KdThreadStackOutsideTheStackIsNotWalked)
{
    ETHREAD *thread = KtFakeThread(PsThreadType, ThreadObject);
    KD_SWITCH_FRAME frame;
    KD_STACK_START start;
    const char *why = NULL;
    static UCHAR stack[256] __attribute__((aligned(16)));

    thread->Tcb.State = Waiting;
    thread->Tcb.InitialStack = stack + sizeof(stack);
    thread->Tcb.StackBase = stack + sizeof(stack);
    thread->Tcb.StackLimit = stack;
    thread->Tcb.KernelStack = stack + sizeof(stack) - 8;    // no room for a switch frame
    KT_EXPECT(!KdpGetSwitchedThreadStack((ULONG64)thread, &frame, &start, &why));
    KT_EXPECT(why != NULL);
    thread->Tcb.State = Initialized;
    KT_EXPECT(!KdpGetSwitchedThreadStack((ULONG64)thread, &frame, &start, &why));
}

KTEST(KdCommandsSurviveBadArguments)
{
    static char lines[][48] = {
        "!thread ffffffff`ffff0000", "!thread nt!KeTickCount", "!process ffffffff`ffff0000",
        "!process 0 0 nosuch.exe", "!process 12345678", ".thread 0", "!ready zz", "!irql 7",
        "!running -x", "!thread 1 2 3 4",
    };

    for (ULONG i = 0; i < ARRAYSIZE(lines); i++)
        KT_EXPECT_EQ(KdpExecuteLine(lines[i]), KdCommandContinue);
    KT_EXPECT(KdpState.ContextThread == 0);
}
