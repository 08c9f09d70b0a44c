// The interprocessor interrupt (IPI_VECTOR, IPI_LEVEL): each processor's
// KPRCB.IpiRequest says what is asked of it: stop for the debugger
// (freeze.c; thawed, it takes the debug registers the debugger left in its
// KPRCB) or run the KeIpiGenericCall packet. A processor waiting to
// send one serves the requests sent to it meanwhile, so two senders
// cannot wait on each other.

#include "ke/ke.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"

typedef struct _KIPI_PACKET {
    PKIPI_BROADCAST_WORKER Routine;
    ULONG_PTR Context;
    ULONG Count;                // processors taking part
    volatile ULONG Arrived;     // everyone starts together, as NT's
    volatile ULONG Done;
} KIPI_PACKET;

static KSPIN_LOCK KiIpiLock;
static KIPI_PACKET KiIpiPacket;

static ULONG_PTR KiIpiRunPacket(void)
{
    ULONG_PTR result;

    __atomic_add_fetch(&KiIpiPacket.Arrived, 1, __ATOMIC_ACQ_REL);
    while (__atomic_load_n(&KiIpiPacket.Arrived, __ATOMIC_ACQUIRE) < KiIpiPacket.Count)
        _mm_pause();
    result = KiIpiPacket.Routine(KiIpiPacket.Context);
    __atomic_add_fetch(&KiIpiPacket.Done, 1, __ATOMIC_ACQ_REL);
    return result;
}

void KiRestoreProcessorControlState(void)
{
    const KSPECIAL_REGISTERS *registers = &KeGetCurrentPrcb()->ProcessorState.SpecialRegisters;

    __writedr(7, 0);
    __writedr(0, registers->KernelDr0);
    __writedr(1, registers->KernelDr1);
    __writedr(2, registers->KernelDr2);
    __writedr(3, registers->KernelDr3);
    __writedr(6, registers->KernelDr6);
    __writedr(7, registers->KernelDr7);
}

static void KiIpiServiceRequests(KTRAP_FRAME *trapFrame, KIRQL irql)
{
    KPRCB *prcb = KeGetCurrentPrcb();
    ULONG request = __atomic_exchange_n(&prcb->IpiRequest, 0, __ATOMIC_ACQ_REL);

    if (__atomic_load_n(&prcb->FreezeRequest, __ATOMIC_ACQUIRE)) {
        KiFreezeTargetExecution(trapFrame, irql);
        KiRestoreProcessorControlState();
    }
    if (request & IPI_PACKET)
        (void)KiIpiRunPacket();
}

void KiIpiInterrupt(KTRAP_FRAME *trapFrame, KIRQL oldIrql)
{
    KiIpiServiceRequests(trapFrame, oldIrql);
}

ULONG_PTR KeIpiGenericCall(PKIPI_BROADCAST_WORKER routine, ULONG_PTR context)
{
    KIRQL oldIrql = KfRaiseIrql(IPI_LEVEL);
    BOOLEAN enabled = KiDisableInterrupts();
    ULONG self = KeGetCurrentProcessorNumber();
    ULONG_PTR result;

    while (!KeTryToAcquireSpinLockAtDpcLevel(&KiIpiLock)) {
        KiIpiServiceRequests(NULL, oldIrql);
        _mm_pause();
    }
    KiIpiPacket.Routine = routine;
    KiIpiPacket.Context = context;
    KiIpiPacket.Count = KeNumberProcessors;
    KiIpiPacket.Arrived = 0;
    KiIpiPacket.Done = 0;
    for (ULONG i = 0; i < KeNumberProcessors; i++) {
        if (i == self)
            continue;
        __atomic_or_fetch(&KiProcessorBlock[i]->IpiRequest, IPI_PACKET, __ATOMIC_ACQ_REL);
        HalRequestIpi(KiProcessorBlock[i]->ApicId);
    }
    result = KiIpiRunPacket();
    while (__atomic_load_n(&KiIpiPacket.Done, __ATOMIC_ACQUIRE) < KiIpiPacket.Count)
        _mm_pause();
    KeReleaseSpinLockFromDpcLevel(&KiIpiLock);
    KiRestoreInterrupts(enabled);
    KeLowerIrql(oldIrql);
    return result;
}
