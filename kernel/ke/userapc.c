// User-mode APCs: a routine the thread runs in user mode, the next time it
// is about to return there with a user APC pending (after an alertable
// user-mode wait that a user APC ended, or NtTestAlert).
//
// Delivery is NT's: the kernel saves the registers the thread would have
// returned with as a CONTEXT on its user stack, with the APC's routine and
// arguments in the CONTEXT's home slots (P1Home..P4Home), and returns to the
// process's user-mode APC dispatcher instead (KiUserApcDispatcher in the
// runtime, user/lib/apc.c). It calls the routine, then NtContinue(context,
// TRUE) puts the saved registers back, delivering the next APC first if
// there is one.

#include "ke/ke.h"
#include "mm/mm.h"
#include "arch/x86_64/x86.h"

// Sleuth's user code follows the System V ABI, whose leaf functions may keep
// data in the 128 bytes below rsp. An interrupt can come in the middle of
// one, so the APC's frame goes below that red zone.
#define KI_USER_RED_ZONE 128

#define KI_USER_CODE_SELECTOR (KGDT64_R3_CODE | RPL_MASK)
#define KI_USER_DATA_SELECTOR (KGDT64_R3_DATA | RPL_MASK)

// The flags user mode may set: carry, parity, adjust, zero, sign, direction,
// overflow, alignment check, ID. Interrupts stay enabled; IOPL, NT, RF, VM,
// VIF, VIP and TF (no user-mode debugger to step for) are never restored.
#define EFLAGS_USER_SANITIZE 0x00240cd5U
#define EFLAGS_RESERVED_ONE  0x00000002U

// Saves the user registers in `frame` as a CONTEXT on the user stack and
// makes the return to user mode enter the APC dispatcher with rsp pointing
// at it. STATUS_ACCESS_VIOLATION when the user stack cannot take it.
static NTSTATUS KiInitializeUserApc(KTRAP_FRAME *frame, PKNORMAL_ROUTINE normalRoutine,
                                    void *normalContext, void *argument1, void *argument2)
{
    CONTEXT context;
    ULONG64 userStack;
    NTSTATUS status;

    memset(&context, 0, sizeof(context));
    context.P1Home = (ULONG64)normalContext;
    context.P2Home = (ULONG64)argument1;
    context.P3Home = (ULONG64)argument2;
    context.P4Home = (ULONG64)normalRoutine;
    context.ContextFlags = CONTEXT_FULL | CONTEXT_SEGMENTS;
    context.SegCs = (USHORT)frame->SegCs;
    context.SegSs = (USHORT)frame->SegSs;
    context.SegDs = context.SegEs = context.SegFs = context.SegGs = KI_USER_DATA_SELECTOR;
    context.EFlags = (ULONG)frame->EFlags;
    context.Rax = frame->Rax;
    context.Rcx = frame->Rcx;
    context.Rdx = frame->Rdx;
    context.Rbx = frame->Rbx;
    context.Rsp = frame->Rsp;
    context.Rbp = frame->Rbp;
    context.Rsi = frame->Rsi;
    context.Rdi = frame->Rdi;
    context.R8 = frame->R8;
    context.R9 = frame->R9;
    context.R10 = frame->R10;
    context.R11 = frame->R11;
    context.R12 = frame->R12;
    context.R13 = frame->R13;
    context.R14 = frame->R14;
    context.R15 = frame->R15;
    context.Rip = frame->Rip;

    userStack = ((frame->Rsp - KI_USER_RED_ZONE) & ~(ULONG64)(CONTEXT_ALIGNMENT - 1)) -
                sizeof(CONTEXT);
    if (userStack > frame->Rsp)
        return STATUS_ACCESS_VIOLATION;     // wrapped below zero
    status = MmCopyToUser((void *)userStack, &context, sizeof(context));
    if (!NT_SUCCESS(status))
        return status;
    frame->Rsp = userStack;
    frame->Rip = (ULONG64)KeGetCurrentThread()->Process->UserApcDispatcher;
    frame->EFlags &= ~(ULONG64)(EFLAGS_DF | EFLAGS_TF);
    return STATUS_SUCCESS;
}

void KiDeliverUserApc(KTRAP_FRAME *frame)
{
    KTHREAD *thread = KeGetCurrentThread();

    for (;;) {
        KIRQL oldIrql = KiAcquireDispatcherLock();
        PKNORMAL_ROUTINE normalRoutine;
        void *normalContext, *argument1, *argument2;
        KAPC *apc;
        NTSTATUS status;

        if (IsListEmpty(&thread->ApcState.ApcListHead[UserMode])) {
            thread->ApcState.UserApcPending = FALSE;
            KiReleaseDispatcherLock(oldIrql);
            return;
        }
        // One APC per return to user mode; the dispatcher's NtContinue
        // (TestAlert) comes back for the next.
        thread->ApcState.UserApcPending = FALSE;
        apc = CONTAINING_RECORD(RemoveHeadList(&thread->ApcState.ApcListHead[UserMode]), KAPC,
                                ApcListEntry);
        apc->Inserted = FALSE;
        normalRoutine = apc->NormalRoutine;
        normalContext = apc->NormalContext;
        argument1 = apc->SystemArgument1;
        argument2 = apc->SystemArgument2;
        KiReleaseDispatcherLock(APC_LEVEL);

        // The kernel routine runs at APC_LEVEL, may free the APC, and may
        // change or cancel the user routine.
        apc->KernelRoutine(apc, &normalRoutine, &normalContext, &argument1, &argument2);
        KeLowerIrql(oldIrql);
        if (!normalRoutine)
            continue;
        status = KiInitializeUserApc(frame, normalRoutine, normalContext, argument1, argument2);
        if (!NT_SUCCESS(status)) {
            // A stack that cannot take the frame is the thread's fault, as
            // any bad user memory access is.
            KiUserExceptionRoutine(frame, status, frame->Rsp);
        }
        return;
    }
}

void KeFlushQueueApc(KTHREAD *thread, KPROCESSOR_MODE mode, LIST_ENTRY *listHead)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();

    InitializeListHead(listHead);
    while (!IsListEmpty(&thread->ApcState.ApcListHead[(int)mode])) {
        KAPC *apc = CONTAINING_RECORD(RemoveHeadList(&thread->ApcState.ApcListHead[(int)mode]),
                                      KAPC, ApcListEntry);

        apc->Inserted = FALSE;
        InsertTailList(listHead, &apc->ApcListEntry);
    }
    if (mode == UserMode)
        thread->ApcState.UserApcPending = FALSE;
    KiReleaseDispatcherLock(oldIrql);
}

// Copies a user CONTEXT into the trap frame the thread returns to user mode
// through. Only what ContextFlags names is taken; selectors are always the
// user ones and the flags are sanitized, so no context can return to ring 0
// or raise the I/O privilege level.
static NTSTATUS KiContextToTrapFrame(const CONTEXT *context, KTRAP_FRAME *frame)
{
    if ((context->ContextFlags & CONTEXT_AMD64) != CONTEXT_AMD64)
        return STATUS_INVALID_PARAMETER;
    if ((context->ContextFlags & CONTEXT_CONTROL) == CONTEXT_CONTROL &&
        context->Rip >= MM_USER_PROBE_ADDRESS)
        return STATUS_INVALID_PARAMETER;    // a kernel or non-canonical address

    // NtContinue does not return its own status: rax is the context's, or
    // STATUS_SUCCESS when the context does not carry the integer registers.
    frame->Rax = STATUS_SUCCESS;
    if ((context->ContextFlags & CONTEXT_CONTROL) == CONTEXT_CONTROL) {
        frame->Rip = context->Rip;
        frame->Rsp = context->Rsp;
        frame->EFlags = (context->EFlags & EFLAGS_USER_SANITIZE) | EFLAGS_IF |
                        EFLAGS_RESERVED_ONE;
        frame->SegCs = KI_USER_CODE_SELECTOR;
        frame->SegSs = KI_USER_DATA_SELECTOR;
    }
    if ((context->ContextFlags & CONTEXT_INTEGER) == CONTEXT_INTEGER) {
        frame->Rax = context->Rax;
        frame->Rcx = context->Rcx;
        frame->Rdx = context->Rdx;
        frame->Rbx = context->Rbx;
        frame->Rbp = context->Rbp;
        frame->Rsi = context->Rsi;
        frame->Rdi = context->Rdi;
        frame->R8 = context->R8;
        frame->R9 = context->R9;
        frame->R10 = context->R10;
        frame->R11 = context->R11;
        frame->R12 = context->R12;
        frame->R13 = context->R13;
        frame->R14 = context->R14;
        frame->R15 = context->R15;
    }
    return STATUS_SUCCESS;
}

// Leaves through the full trap frame (iretq), never through sysret: sysret
// would take rip and rflags from rcx and r11 and lose the context's values.
NTSTATUS NtContinue(CONTEXT *contextRecord, BOOLEAN testAlert)
{
    KTHREAD *thread = KeGetCurrentThread();
    KTRAP_FRAME *frame = thread->TrapFrame;
    CONTEXT context;
    NTSTATUS status;

    ASSERT(frame == (KTRAP_FRAME *)thread->InitialStack - 1);
    status = ProbeForRead(contextRecord, sizeof(context), CONTEXT_ALIGNMENT);
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&context, contextRecord, sizeof(context));
    if (NT_SUCCESS(status))
        status = KiContextToTrapFrame(&context, frame);
    if (!NT_SUCCESS(status))
        return status;
    if (testAlert)
        KeTestAlertThread(UserMode);
    if (thread->ApcState.UserApcPending)
        KiDeliverUserApc(frame);
    KiStartUserThread(frame);
}
