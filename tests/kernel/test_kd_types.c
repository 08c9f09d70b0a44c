// dt and ?? on the kernel's live objects, over the generated type tables:
// the current thread, a worker queue's KQUEUE with its bit-field worker
// info, an enum, a list walked with dt -l; the offsets against this
// compiler's offsetof (the tables come from the same build, GCC or clang);
// and every bad input an error line.

#include "tests/kernel/ktkd.h"
#include "kd/kdtype.h"
#include "ex/ex.h"
#include "ps/ps.h"

KTEST(KdTypeTablesAgreeWithThisBuildsOffsets)
{
    ULONG offset = 0;

    KT_EXPECT(KdpTypeFieldOffset("nt!_KTHREAD", "WaitListEntry", &offset));
    KT_EXPECT_EQ(offset, offsetof(KTHREAD, WaitListEntry));
    KT_EXPECT(KdpTypeFieldOffset("_ETHREAD", "Tcb.ApcState.Process", &offset));
    KT_EXPECT_EQ(offset, offsetof(ETHREAD, Tcb.ApcState.Process));
    KT_EXPECT(KdpTypeFieldOffset("nt!_EPROCESS", "ActiveProcessLinks", &offset));
    KT_EXPECT_EQ(offset, offsetof(EPROCESS, ActiveProcessLinks));
    KT_EXPECT(KdpTypeFieldOffset("nt!_LIST_ENTRY", "Flink", &offset));
    KT_EXPECT_EQ(offset, 0);
    KT_EXPECT(!KdpTypeFieldOffset("nt!_KTHREAD", "NoSuchField", &offset));
    KT_EXPECT(!KdpTypeFieldOffset("nt!_NoSuchType", "Flink", &offset));
    KT_EXPECT_EQ(KdpTypeSize(KdpTypeLookup("nt!_ETHREAD")), sizeof(ETHREAD));
}

KTEST(KdDtShowsTheCurrentThreadsFields)
{
    ETHREAD *thread = PsGetCurrentThread();
    unsigned long long address = KT_KD_ADDRESS(thread);
    unsigned long long process = KT_KD_ADDRESS(thread->Tcb.ApcState.Process);

    KtKdRunf("dt nt!_ETHREAD %llx Tcb.ApcState.Process", address);
    KtKdExpect("   +0x000 Tcb : _KTHREAD\n      +0x%03x ApcState : _KAPC_STATE\n"
               "         +0x%03x Process : 0x%08llx`%08llx\n",
               (unsigned)offsetof(KTHREAD, ApcState),
               (unsigned)offsetof(KAPC_STATE, Process), process >> 32, process & 0xffffffff);
    KT_EXPECT_EQ(KtKdCount(KtKdOutput, "\n"), 3);

    // Through a pointer, as WinDbg's dt: the process's field at its address.
    KtKdRunf("dt nt!_KTHREAD %llx Process.BasePriority", address);
    KtKdExpect("   +0x%03x Process : 0x%08llx`%08llx\n      +0x%03x BasePriority : 0n%d\n",
               (unsigned)offsetof(KTHREAD, Process),
               KT_KD_ADDRESS(thread->Tcb.Process) >> 32,
               KT_KD_ADDRESS(thread->Tcb.Process) & 0xffffffff,
               (unsigned)offsetof(KPROCESS, BasePriority), thread->Tcb.Process->BasePriority);
    KtKdRun("dt nt!_KTHREAD Process.ThreadListHead");
    KtKdExpect("   +0x%03x Process : Ptr64 _KPROCESS\n      +0x%03x ThreadListHead : "
               "_LIST_ENTRY\n", (unsigned)offsetof(KTHREAD, Process),
               (unsigned)offsetof(KPROCESS, ThreadListHead));

    // The thread's list of IRPs: a _LIST_ENTRY as its two links.
    KtKdRunf("dt nt!_ETHREAD %llx IrpList", address);
    KtKdExpect("   +0x%03x IrpList : _LIST_ENTRY [ 0x%08llx`%08llx - 0x%08llx`%08llx ]\n",
               (unsigned)offsetof(ETHREAD, IrpList),
               KT_KD_ADDRESS(thread->IrpList.Flink) >> 32,
               KT_KD_ADDRESS(thread->IrpList.Flink) & 0xffffffff,
               KT_KD_ADDRESS(thread->IrpList.Blink) >> 32,
               KT_KD_ADDRESS(thread->IrpList.Blink) & 0xffffffff);

    // -y: every field that starts so, aligned on the longest.
    KtKdRunf("dt nt!_ETHREAD -y LpcReplyM %llx", address);
    KtKdExpect("   +0x%03x LpcReplyMessage   : ", (unsigned)offsetof(ETHREAD, LpcReplyMessage));
    if (thread->LpcReplyMessageId)
        KtKdExpect("   +0x%03x LpcReplyMessageId : 0x%x\n",
                   (unsigned)offsetof(ETHREAD, LpcReplyMessageId), thread->LpcReplyMessageId);
    else
        KtKdExpect("   +0x%03x LpcReplyMessageId : 0\n",
                   (unsigned)offsetof(ETHREAD, LpcReplyMessageId));

    // The layout: pointers with their types.
    KtKdRun("dt nt!_KAPC_STATE");
    KtKdExpect("   +0x%03x Process          : Ptr64 _KPROCESS\n",
               (unsigned)offsetof(KAPC_STATE, Process));
    KtKdExpect("   +0x000 ApcListHead      : [2] _LIST_ENTRY\n");
}

KTEST(KdDtShowsBitFieldsEnumsAndEmbeddedTypes)
{
    EX_WORK_QUEUE *queue = &ExWorkerQueue[DelayedWorkQueue];
    unsigned long long address = KT_KD_ADDRESS(queue);
    char bits[40];
    ULONG count = queue->Info.WorkerCount;

    KtKdRun("dt nt!_EX_QUEUE_WORKER_INFO");
    KtKdExpect("   +0x000 QueueDisabled    : Pos 0, 1 Bit\n");
    KtKdExpect("   +0x000 WorkerCount      : Pos 3, 29 Bits\n");
    KtKdExpect("   +0x000 QueueWorkerInfo  : Int4B\n");
    for (int bit = 28; bit >= 0; bit--)
        bits[28 - bit] = (count >> bit) & 1 ? '1' : '0';
    bits[29] = '\0';
    KtKdRunf("dt nt!_EX_WORK_QUEUE %llx Info.WorkerCount", address);
    KtKdExpect("   +0x050 Info : _EX_QUEUE_WORKER_INFO\n      +0x000 WorkerCount : 0y%s\n",
               bits);

    // -r1: the embedded KQUEUE's fields under it, one level only.
    KtKdRunf("dt -r1 nt!_EX_WORK_QUEUE %llx", address);
    KtKdExpect("   +0x000 WorkerQueue      : _KQUEUE\n      +0x000 Header           : "
               "_DISPATCHER_HEADER\n");
    KtKdExpect("      +0x02c MaximumCount     : 0x%x\n", queue->WorkerQueue.MaximumCount);
    KT_EXPECT(!KtKdFind(KtKdOutput, "         +0x"));

    // An enum: its names and values, and a value by its name.
    KtKdRun("dt nt!_KWAIT_REASON");
    KtKdExpect("   Executive = 0n0\n");
    KtKdExpect("   WrLpcReceive = 0n16\n");
    KtKdRun("?? (nt!_KWAIT_REASON)16");
    KtKdExpect("_KWAIT_REASON WrLpcReceive (0n16)\n");
}

KTEST(KdCppEvaluatorReadsLiveObjects)
{
    EX_WORK_QUEUE *queue = &ExWorkerQueue[DelayedWorkQueue];
    unsigned long long address = KT_KD_ADDRESS(queue);

    KtKdRun("?? sizeof(nt!_ETHREAD)");
    KtKdExpect("unsigned int64 0x%x\n", (unsigned)sizeof(ETHREAD));
    KtKdRunf("?? ((nt!_KQUEUE *)0x%llx)->MaximumCount", address);
    KtKdExpect("unsigned long 0x%x\n", queue->WorkerQueue.MaximumCount);
    KtKdRunf("?? ((nt!_KQUEUE *)0x%llx)->Header.SignalState", address);
    KtKdExpect("long 0n%d\n", queue->WorkerQueue.Header.SignalState);
    KtKdRunf("?? &((nt!_KQUEUE *)0x%llx)->EntryListHead", address);
    KtKdExpect("struct _LIST_ENTRY * 0x%08llx`%08llx\n", (address + 0x18) >> 32,
               (address + 0x18) & 0xffffffff);
    // A structure: its type, then dt's lines.
    KtKdRunf("?? ((nt!_KQUEUE *)0x%llx)->Header", address);
    KtKdExpect("struct _DISPATCHER_HEADER\n   +0x000 Type             : 0x%x ''\n",
               queue->WorkerQueue.Header.Type);
    KtKdRun("? #FIELD_OFFSET(nt!_KTHREAD, WaitListEntry)");
    KtKdExpect("Evaluate expression: %u = ", (unsigned)offsetof(KTHREAD, WaitListEntry));
    KtKdRun("?? #FIELD_OFFSET(nt!_KTHREAD, WaitListEntry)");
    KtKdExpect("unsigned int64 0x%x\n", (unsigned)offsetof(KTHREAD, WaitListEntry));
}

KTEST(KdDtListWalksAndStops)
{
    static LIST_ENTRY head, a, b;

    head.Flink = &a;
    a.Flink = &b;
    b.Flink = &head;
    head.Blink = &b;
    b.Blink = &a;
    a.Blink = &head;
    KtKdRunf("dt -l Flink nt!_LIST_ENTRY %llx", KT_KD_ADDRESS(&head));
    KT_EXPECT_EQ(KtKdCount(KtKdOutput, "---------------------------------------------\n"), 3);
    KtKdExpect("Flink at 0x%08llx`%08llx\n", KT_KD_ADDRESS(&b) >> 32,
               KT_KD_ADDRESS(&b) & 0xffffffff);
    // A link to nowhere stops the walk with an error, before the element;
    // a loop that skips the head is found.
    b.Flink = (LIST_ENTRY *)0x10;
    KtKdRunf("dt -l Flink nt!_LIST_ENTRY %llx", KT_KD_ADDRESS(&head));
    KtKdExpect("Memory read error 0000000000000010\n");
    KT_EXPECT(!KtKdFind(KtKdOutput, "Flink at 0x00000000`00000010"));
    b.Flink = &a;
    KtKdRunf("dt -l Flink nt!_LIST_ENTRY %llx", KT_KD_ADDRESS(&head));
    KtKdExpect(" again, without the first element)\n");
    KT_EXPECT(KtKdCount(KtKdOutput, "Flink at ") < 8);
    b.Flink = &head;
}

KTEST(KdDtAndCppRefuseBadInput)
{
    static char lines[][96] = {
        "dt", "dt nt!", "dt !x", "dt -x nt!_KQUEUE", "dt -r12 nt!_KQUEUE", "dt -l",
        "dt nt!_KQUEUE 10", "dt nt!_KQUEUE 0 NoSuchField", "dt nt!_KQUEUE zz(",
        "dt nt!_KQUEUE 1 2", "dt -l Header nt!_KQUEUE 10", "dt -l Flink nt!_LIST_ENTRY",
        "dt -r9 nt!_ETHREAD 10", "dt nt!_KTHREAD ApcState.", "dt nt!_KTHREAD ApcState.Nope",
        "dt nt!_UNICODE_STRING 10", "dt nt!ULONG 10", "dt nt!_KWAIT_REASON 10",
        "dt nt!Nothing*", "??", "?? (", "?? sizeof(nt!_Nope)", "?? ((nt!_KQUEUE *)0x10)->Header",
        "?? ((nt!_KQUEUE *)0x10)->CurrentCount", "?? 1/0", "?? #FIELD_OFFSET(nt!_KQUEUE)",
        "? #FIELD_OFFSET(nt!_KQUEUE, Nope)", "? #FIELD_OFFSET(", "?? *(nt!_KQUEUE **)0x10",
        "dt nt!_KQUEUE a b c d e f g h i j k l m n o",
    };

    for (ULONG i = 0; i < ARRAYSIZE(lines); i++)
        KT_EXPECT(KtKdRun(lines[i]) != NULL && KtKdOutput[0] != '\0');
    KtKdRun("dt nt!_KQUEUE 10");
    KtKdExpect("Memory read error 0000000000000010\n");
    KtKdRun("dt nt!_NoSuchType");
    KtKdExpect("Symbol nt!_NoSuchType not found.\n");
    KtKdRun("?? ((nt!_KQUEUE *)0x10)->CurrentCount");
    KtKdExpect("Memory access error at '38'\n");
    KtKdRun("dt nt!_KQUEUE 0 NoSuchField");
    KtKdExpect("_KQUEUE has no field NoSuchField\n");
    KtKdRunf("dt -l Header nt!_KQUEUE %llx", KT_KD_ADDRESS(&ExWorkerQueue[0]));
    KtKdExpect("Header is no pointer field of _KQUEUE\n");
}
