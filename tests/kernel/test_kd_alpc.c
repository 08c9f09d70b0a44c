// !alpc's edge cases: what is not a port, a message or a process (a freed
// message block, another pool block, the middle of one, an unmapped
// address, a thread) is an error line, never a listing; its options; and
// !thread's impersonation line.

#include "tests/kernel/ktkd.h"
#include "alpc/alpcp.h"
#include "mm/mm.h"

#define KT_ALPC_OTHER_TAG POOL_TAG('K', 't', 'A', 'x')

// A block freed, or another block, or the middle of one: never a message.
KTEST(KdAlpcMessageMustBeAnAllocatedAlMsBlock)
{
    KALPC_MESSAGE *freed = ExAllocatePoolWithTag(NonPagedPool, sizeof(KALPC_MESSAGE) + 0x40,
                                                 ALPC_MESSAGE_TAG);
    void *other = ExAllocatePoolWithTag(NonPagedPool, sizeof(KALPC_MESSAGE), KT_ALPC_OTHER_TAG);

    KT_EXPECT(freed && other);
    if (!freed || !other)
        return;
    memset(freed, 0, sizeof(*freed));
    freed->PortMessage.MessageId = 0x1234;
    freed->PortMessage.u2.s2.Type = LPC_REQUEST | LPC_CONTINUATION_REQUIRED;
    freed->u1.s1.QueueType = ALPC_MSGQUEUE_MAIN;
    freed->u1.s1.Canceled = 1;
    KtKdRunf("!alpc /m %llx", KT_KD_ADDRESS(freed));
    KtKdExpect("  MessageID             : 0x1234 (4660)\n");
    KtKdExpect("  Canceled              : Yes\n");
    KtKdExpect("  Continuation          : Yes\n");
    KtKdExpect("  OwnerPort             : 0000000000000000\n");
    KtKdExpect("  QueueType             : ALPC_MSGQUEUE_MAIN\n");
    KtKdExpect("  QueuePortOwnerProcess : 0000000000000000\n");
    KtKdRunf("!alpc /m %llx", KT_KD_ADDRESS(freed) + 8);
    KtKdExpect("%016llx is not an ALPC message: the AlMs block starts at %016llx\n",
               KT_KD_ADDRESS(freed) + 8, KT_KD_ADDRESS(freed));
    ExFreePoolWithTag(freed, ALPC_MESSAGE_TAG);
    KtKdRunf("!alpc /m %llx", KT_KD_ADDRESS(freed));
    KtKdExpect("%016llx is not an ALPC message: ", KT_KD_ADDRESS(freed));
    KT_EXPECT(!KtKdFind(KtKdOutput, "Message @"));
    KtKdRunf("!alpc /m %llx", KT_KD_ADDRESS(other));
    KtKdExpect("%016llx is not an ALPC message: its pool block is tagged KtAx, not AlMs\n",
               KT_KD_ADDRESS(other));
    ExFreePoolWithTag(other, KT_ALPC_OTHER_TAG);
    KtKdRun("!alpc /m 10");
    KtKdExpect("0000000000000010 is not an ALPC message: it is not in a pool block\n");
    KtKdRun("!alpc /M ffffffffffff0000");
    KtKdExpect("ffffffffffff0000 is not an ALPC message: it is not in a pool block\n");
}

KTEST(KdAlpcPortAndProcessFormsRefuseOtherThings)
{
    ETHREAD *self = PsGetCurrentThread();

    KtKdRunf("!alpc /p %llx", KT_KD_ADDRESS(self));
    KtKdExpect("%016llx is not an ALPC port: its object type is not ALPC Port\n",
               KT_KD_ADDRESS(self));
    KtKdRun("!alpc /p 10");
    KtKdExpect("0000000000000010 is not an ALPC port: its object header cannot be read\n");
    KtKdRunf("!alpc /lpc %llx", KT_KD_ADDRESS(self));
    KtKdExpect("is not an ALPC port: its object type is not ALPC Port\n");
    KtKdRunf("!alpc /lpp %llx", KT_KD_ADDRESS(self));
    KtKdExpect("is not a process");
    KT_EXPECT(!KtKdFind(KtKdOutput, "Ports created"));
    // The System process owns no ALPC port: two empty lists.
    KtKdRunf("!alpc /lpp %llx", KT_KD_ADDRESS(PsInitialSystemProcess));
    KtKdExpect("\nPorts created by the process %016llx:\n\n\nPorts the process %016llx is "
               "connected to:\n\n", KT_KD_ADDRESS(PsInitialSystemProcess),
               KT_KD_ADDRESS(PsInitialSystemProcess));
}

KTEST(KdAlpcUsageAndBadOptions)
{
    KtKdRun("!alpc");
    KtKdExpect("Usage:\n    !alpc /m MessageAddress");
    KtKdRun("!alpc /?");
    KtKdExpect("Usage:\n");
    KT_EXPECT(!KtKdFind(KtKdOutput, "needed"));
    KtKdRun("!alpc /m");
    KtKdExpect("!alpc /m: an option and an address are needed\nUsage:\n");
    KtKdRun("!alpc /x 10");
    KtKdExpect("!alpc: unknown option /x\nUsage:\n");
    KtKdRun("!alpc 10 /m");
    KtKdExpect("Usage:\n");
    KtKdRun("!alpc /m nt!NoSuchSymbolHere");
    KT_EXPECT(!KtKdFind(KtKdOutput, "Message @"));
    KT_EXPECT(!KtKdFind(KtKdOutput, "Usage"));
}

// !thread says whom a thread impersonates, or that it impersonates nobody.
KTEST(KdThreadSaysNotImpersonating)
{
    KtKdRunf("!thread %llx", KT_KD_ADDRESS(PsGetCurrentThread()));
    KtKdExpect("\nNot impersonating\nOwning Process ");
    KT_EXPECT(!KtKdFind(KtKdOutput, "Impersonation token"));
}
