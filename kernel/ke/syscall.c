// Dispatching a system call: KiSystemCall64 (syscall.asm) has saved the
// user's registers as a KTRAP_FRAME and calls a service of at most four
// arguments itself (its fast path, which ends here, in KiSystemServiceExit,
// only when there is work on the way out); here the service number picks the
// routine from KiServiceTable, its arguments are gathered (four from
// registers, the rest captured from the user stack), and its NTSTATUS goes
// back in rax. On the way out a pending user APC is delivered.

#include "ke/ke.h"
#include "mm/mm.h"
#include "ke/kephase.h"
#include "arch/x86_64/x86.h"

// Where the fifth argument lies on the user stack at the syscall: above the
// return address of the stub's caller and the 32-byte home area of the four
// register arguments (the x64 calling convention's layout).
#define KI_USER_STACK_ARGUMENT_OFFSET 0x28

// What KiSystemCall64's fast path (syscall.asm) reads by offset.
_Static_assert(offsetof(KPCR, CurrentPrcb) == 0x08, "KPCR.CurrentPrcb offset");
_Static_assert(offsetof(KPRCB, CurrentThread) == 0x08, "KPRCB.CurrentThread offset");
_Static_assert(offsetof(KTHREAD, TrapFrame) == 0x288, "KTHREAD.TrapFrame offset");
_Static_assert(offsetof(KTHREAD, ApcState.UserApcPending) == 0x1AA,
               "KTHREAD.ApcState.UserApcPending offset");
_Static_assert(sizeof(KiArgumentTable[0]) == 1 && sizeof(KiServiceLimit) == 4,
               "the argument table holds bytes, the limit is a ULONG");

// The way out of a system call when there is work on it: a bugcheck for an
// IRQL the service left raised, a user APC to deliver. KiSystemCall64's fast
// path calls it only then; the dispatcher always.
void KiSystemServiceExit(KTRAP_FRAME *frame, ULONG64 service);

// A service of at most four arguments, as the dispatcher calls it.
typedef NTSTATUS (*KI_REGISTER_SERVICE)(ULONG64, ULONG64, ULONG64, ULONG64);

void KiSystemServiceDispatch(KTRAP_FRAME *frame)
{
    ULONG64 service = frame->Rax;
    // Not zero-filled: a service reads only the arguments it has, and those
    // beyond the fourth are copied in below.
    ULONG64 arguments[KI_MAXIMUM_SERVICE_ARGUMENTS];
    KTHREAD *thread = KeGetCurrentThread();
    ULONG count;

    KE_PHASE(KiPhaseSyscallEnter);
    if (service >= KiServiceLimit || !KiServiceTable[service]) {
        frame->Rax = (ULONG64)(LONG64)STATUS_INVALID_SYSTEM_SERVICE;
        return;
    }
    thread->TrapFrame = frame;
    arguments[0] = frame->R10;
    arguments[1] = frame->Rdx;
    arguments[2] = frame->R8;
    arguments[3] = frame->R9;
    count = KiArgumentTable[service];
    if (count > 4) {
        NTSTATUS status = MmCopyFromUser(&arguments[4],
                                         (const void *)(frame->Rsp +
                                                        KI_USER_STACK_ARGUMENT_OFFSET),
                                         (count - 4) * sizeof(ULONG64));

        if (!NT_SUCCESS(status)) {
            frame->Rax = (ULONG64)(LONG64)status;
            return;
        }
    }
    KE_PHASE(KiPhaseSyscallService);
    if (count <= 4) {
        // Most services (every LPC send, reply and receive) take four
        // arguments or fewer, all in registers: called as such, with no
        // nine stack arguments copied for them. (Through void (*)(void),
        // the cast between function types the compilers allow.)
        KI_REGISTER_SERVICE routine =
            (KI_REGISTER_SERVICE)(void (*)(void))KiServiceTable[service];

        frame->Rax = (ULONG64)(LONG64)routine(arguments[0], arguments[1], arguments[2],
                                              arguments[3]);
    } else {
        frame->Rax = (ULONG64)(LONG64)KiServiceTable[service](arguments[0], arguments[1],
                                                              arguments[2], arguments[3],
                                                              arguments[4], arguments[5],
                                                              arguments[6], arguments[7],
                                                              arguments[8], arguments[9],
                                                              arguments[10], arguments[11],
                                                              arguments[12]);
    }
    KE_PHASE(KiPhaseSyscallReturn);
    KiSystemServiceExit(frame, service);
    KE_PHASE(KiPhaseSyscallExit);
}

void KiSystemServiceExit(KTRAP_FRAME *frame, ULONG64 service)
{
    if (KiReadIrql() != PASSIVE_LEVEL)
        KeBugCheckEx(IRQL_GT_ZERO_AT_SYSTEM_SERVICE, (ULONG64)KiServiceTable[service],
                     KeGetCurrentIrql(), 0, 0);
    // The service's status is in the frame: a user APC delivered now saves
    // it with the rest of the context, and the thread sees it once the APC
    // has run (STATUS_USER_APC from an alertable wait).
    if (KeGetCurrentThread()->ApcState.UserApcPending)
        KiDeliverUserApc(frame);
}
