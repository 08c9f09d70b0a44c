// The clock interrupt's work: count the tick and charge it to whoever was
// running. The scheduler's quantum accounting hooks in here.

#include "ke/ke.h"

volatile ULONG64 KeTickCount;
ULONG KeMaximumIncrement = 156250;  // 15.625 ms in 100-ns units

ULONG KeQueryTimeIncrement(void)
{
    return KeMaximumIncrement;
}

void KeUpdateSystemTime(KTRAP_FRAME *trapFrame)
{
    KPRCB *prcb = KeGetCurrentPrcb();

    KeTickCount++;
    if (prcb->InterruptCount && trapFrame->SegCs == 0x10)
        prcb->KernelTime++;
}
