// The debugger's CFI unwind (kd/stack.c, kd/unwind.c) on a real blocked
// thread: a routine puts known values in callee-saved registers and waits;
// from this thread the walk of its stack must find that routine's frame and
// recover those values, through every frame (and the context switch) above.

#include "tests/kernel/ktest.h"
#include "kd/kd.h"
#include "ps/ps.h"
#include "tests/kernel/test_dispatcher.h"

#define KT_UNWIND_RBX 0x0b0b0b0b5eed0001ULL
#define KT_UNWIND_R12 0x1212121212120002ULL
#define KT_UNWIND_R13 0x1313131313130003ULL
#define KT_HOLDER_SPAN 0x200    // bytes of KtUnwindHolder's code, at most

typedef struct _KT_UNWIND {
    KEVENT Ready;
    KEVENT Go;
} KT_UNWIND;

// The values are made opaque to the compiler (the empty asm), so they live
// in the registers across the wait, where KeWaitForSingleObject's prologue
// saves them.
static __attribute__((noinline)) void KtUnwindHolder(KT_UNWIND *unwind)
{
    register ULONG64 rbx __asm__("rbx") = KT_UNWIND_RBX;
    register ULONG64 r12 __asm__("r12") = KT_UNWIND_R12;
    register ULONG64 r13 __asm__("r13") = KT_UNWIND_R13;

    __asm__ volatile("" : "+r"(rbx), "+r"(r12), "+r"(r13));
    KeSetEvent(&unwind->Ready, 0, FALSE);
    KeWaitForSingleObject(&unwind->Go, Executive, KernelMode, FALSE, NULL);
    __asm__ volatile("" : : "r"(rbx), "r"(r12), "r"(r13));
}

static void KtUnwindThread(void *context)
{
    KtUnwindHolder(context);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

KTEST(KdUnwindRecoversCalleeSavedRegistersOfABlockedFrame)
{
    static KT_UNWIND unwind;
    ETHREAD *thread = NULL;
    KD_STACK_START start;
    KD_FRAME frame, caller;
    const char *why = NULL;
    BOOLEAN found = FALSE, started, more = FALSE;
    ULONG index;

    KeInitializeEvent(&unwind.Ready, NotificationEvent, FALSE);
    KeInitializeEvent(&unwind.Go, NotificationEvent, FALSE);
    KT_EXPECT(NT_SUCCESS(PsCreateSystemThreadEx(NULL, KtUnwindThread, &unwind, 8, NULL,
                                                &thread)));
    KeWaitForSingleObject(&unwind.Ready, Executive, KernelMode, FALSE, NULL);
    for (int i = 0; i < 200 && thread->Tcb.State != Waiting; i++)
        KtSleep(5);
    started = KdpGetThreadStackStart((ULONG64)thread, FALSE, &start, &why);
    for (index = 0; started && index < 32; index++) {
        if (!KdpGetStackFrame(&start, index, &frame, NULL, 0))
            break;
        if (frame.CallSite >= (ULONG64)KtUnwindHolder &&
            frame.CallSite < (ULONG64)KtUnwindHolder + KT_HOLDER_SPAN) {
            found = TRUE;
            break;
        }
    }
    if (found)
        more = KdpGetStackFrame(&start, index + 1, &caller, NULL, 0);
    KeSetEvent(&unwind.Go, 0, FALSE);
    KeWaitForSingleObject(&thread->Tcb, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(thread);
    KT_EXPECT(started);
    KT_EXPECT(found);
    KT_EXPECT(index > 1);       // the switch and the wait are above it
    KT_EXPECT(frame.Registers.Valid & KD_UNWIND_BIT(KD_DW_RBX));
    KT_EXPECT_EQ(frame.Registers.Value[KD_DW_RBX], KT_UNWIND_RBX);
    KT_EXPECT_EQ(frame.Registers.Value[KD_DW_R12], KT_UNWIND_R12);
    KT_EXPECT_EQ(frame.Registers.Value[KD_DW_R13], KT_UNWIND_R13);
    // The frame's rsp is its Child-SP, and the walk goes on past it.
    KT_EXPECT_EQ(frame.Registers.Value[KD_DW_RSP], frame.ChildSp);
    KT_EXPECT(more);
    KT_EXPECT_EQ(caller.CallSite, frame.ReturnAddress);
}

KTEST(KdFrameCommandRejectsBadFrames)
{
    static char lines[][32] = {
        ".frame 1000", ".frame zz", ".frame /x 1", ".frame /r 1 2", ".frame /r",
    };

    for (ULONG i = 0; i < ARRAYSIZE(lines); i++)
        KT_EXPECT_EQ(KdpExecuteLine(lines[i]), KdCommandContinue);
}

// A thread preempted by the clock while it computes: its stack runs through
// the interrupt's KTRAP_FRAME (trapentry.asm, described in kd/stack.c), and
// the frame the interrupt stopped has every register from it.
#define KT_SPIN_RBX 0x0b0b0b0b5eed0004ULL
#define KT_SPIN_R12 0x1212121212120005ULL

static volatile BOOLEAN KtSpinStop;
static volatile ULONG KtSpinStarted;

static __attribute__((noinline)) void KtUnwindSpinner(void)
{
    register ULONG64 rbx __asm__("rbx") = KT_SPIN_RBX;
    register ULONG64 r12 __asm__("r12") = KT_SPIN_R12;

    KtSpinStarted = 1;
    while (!KtSpinStop)
        __asm__ volatile("" : "+r"(rbx), "+r"(r12));
}

static void KtUnwindSpinThread(void *context)
{
    KtUnwindSpinner();
    PsTerminateSystemThread(STATUS_SUCCESS);
}

KTEST(KdUnwindCrossesAnInterruptsTrapFrame)
{
    ETHREAD *thread = NULL;
    KD_STACK_START start;
    KD_FRAME frame, stub;
    const char *why = NULL;
    BOOLEAN found = FALSE, started = FALSE;
    ULONG index;

    KtSpinStop = FALSE;
    KtSpinStarted = 0;
    // Below this thread's priority: it runs while we sleep, and the clock
    // interrupt that wakes us preempts it.
    KT_EXPECT(NT_SUCCESS(PsCreateSystemThreadEx(NULL, KtUnwindSpinThread, NULL, 2, NULL,
                                                &thread)));
    for (int i = 0; i < 200 && !KtSpinStarted; i++)
        KtSleep(5);
    KtSleep(20);
    if (thread->Tcb.State == Ready)
        started = KdpGetThreadStackStart((ULONG64)thread, FALSE, &start, &why);
    for (index = 1; started && index < 32; index++) {
        if (!KdpGetStackFrame(&start, index, &frame, NULL, 0))
            break;
        if (frame.CallSite >= (ULONG64)KtUnwindSpinner &&
            frame.CallSite < (ULONG64)KtUnwindSpinner + KT_HOLDER_SPAN) {
            found = KdpGetStackFrame(&start, index - 1, &stub, NULL, 0);
            break;
        }
    }
    KtSpinStop = TRUE;
    KeWaitForSingleObject(&thread->Tcb, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(thread);
    KT_EXPECT(started);
    KT_EXPECT(found);
    KT_EXPECT(stub.TrapFrame != 0);
    KT_EXPECT_EQ(stub.ReturnAddress, frame.CallSite);
    KT_EXPECT_EQ(frame.Registers.Valid, (1u << KD_DW_REGISTERS) - 1);
    KT_EXPECT_EQ(frame.Registers.Value[KD_DW_RBX], KT_SPIN_RBX);
    KT_EXPECT_EQ(frame.Registers.Value[KD_DW_R12], KT_SPIN_R12);
    KT_EXPECT(frame.EFlags & (1u << 9));        // interrupts were enabled
}
