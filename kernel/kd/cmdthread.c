// Thread commands: !thread (a thread as WinDbg shows it: its state and what
// it waits on, its times, its stack) and .thread (make `r` and `k` show a
// switched-out thread). A thread that is not running has its registers in
// the frame KiSwapContext pushed on its stack; the thread the debugger
// interrupted has them in the debugger's trap frame.

#include "kd/kd.h"
#include "ps/ps.h"
#include "lpc/lpcp.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"

#define KD_MAX_WAIT_BLOCKS (MAXIMUM_WAIT_OBJECTS + 1)   // the objects, plus the timeout's block
#define KD_THREAD_STACK_FRAMES 64
#define KD_CURRENT_THREAD_ARGUMENT (~0ULL)             // `!thread -1`, as WinDbg

extern UCHAR KiSwapContextResume[];     // ctxswap.asm
extern UCHAR KiThreadStartup[];

static const char *const KdpWaitReasonNames[] = {
    "Executive", "FreePage", "PageIn", "PoolAllocation", "DelayExecution", "Suspended",
    "UserRequest", "WrExecutive", "WrFreePage", "WrPageIn", "WrPoolAllocation",
    "WrDelayExecution", "WrSuspended", "WrUserRequest", "WrEventPair", "WrQueue",
    "WrLpcReceive", "WrLpcReply", "WrVirtualMemory", "WrPageOut", "WrRendezvous", "Spare2",
    "Spare3", "Spare4", "Spare5", "Spare6", "WrKernel", "WrResource", "WrPushLock", "WrMutex",
    "WrQuantumEnd", "WrDispatchInt", "WrPreempted", "WrYieldExecution",
};
_Static_assert(ARRAYSIZE(KdpWaitReasonNames) == MaximumWaitReason, "a name per KWAIT_REASON");

// `.thread`'s register context: a switched-out thread's saved registers.
static KTRAP_FRAME KdpThreadContext;

void KdpFormatTickTime(char *buffer, size_t size, ULONG64 ticks)
{
    ULONG64 ms = ticks * CLOCK_TICK_MICROSECONDS / 1000;

    RtlStringPrintf(buffer, size, "%02llu:%02llu:%02llu.%03llu",
                    (unsigned long long)(ms / 3600000), (unsigned long long)(ms / 60000 % 60),
                    (unsigned long long)(ms / 1000 % 60), (unsigned long long)(ms % 1000));
}

// Reads the ETHREAD at `address` once it has shown it is one: a thread's
// dispatcher type, and an object header whose type is PsThreadType. Unless
// `quiet`, says in one line why not.
static BOOLEAN KdpReadThread(ULONG64 address, ETHREAD *thread, BOOLEAN quiet)
{
    OBJECT_HEADER header;

    if (!KdpReadMemory(address, thread, sizeof(*thread))) {
        if (!quiet)
            KdpPrint("%016llx is not a thread: its memory cannot be read\n",
                     (unsigned long long)address);
        return FALSE;
    }
    if (thread->Tcb.Header.Type != ThreadObject) {
        if (!quiet)
            KdpPrint("%016llx is not a thread: DISPATCHER_HEADER.Type is %u, not %u "
                     "(ThreadObject)\n", (unsigned long long)address, thread->Tcb.Header.Type,
                     ThreadObject);
        return FALSE;
    }
    if (!KdpReadMemory(address - FIELD_OFFSET(OBJECT_HEADER, Body), &header,
                       FIELD_OFFSET(OBJECT_HEADER, Body)) || header.Type != PsThreadType) {
        if (!quiet)
            KdpPrint("%016llx is not a thread: its object header does not say Thread\n",
                     (unsigned long long)address);
        return FALSE;
    }
    return TRUE;
}

BOOLEAN KdpIsThread(ULONG64 address)
{
    ETHREAD thread;

    return KdpReadThread(address, &thread, TRUE);
}

ULONG64 KdpCurrentThread(void)
{
    KTHREAD *thread = NULL;

    if (!KdpReadMemory((ULONG64)&KdpCurrentPrcb()->CurrentThread, &thread, sizeof(thread)))
        return 0;
    return (ULONG64)thread;
}

ULONG64 KdpImplicitThread(void)
{
    return KdpState.ContextThread ? KdpState.ContextThread : KdpCurrentThread();
}

// Where a switched-out thread stopped: the instruction in KiSwapContext that
// loads the next thread's stack pointer, just before KiSwapContextResume.
// Checked byte for byte, so a change to ctxswap.asm cannot make us lie.
static ULONG64 KdpSwitchPoint(void)
{
    static const UCHAR loadNextStack[] = { 0x48, 0x8b, 0x66, 0x30 };  // mov rsp, [rsi + 0x30]
    ULONG64 resume = (ULONG64)KiSwapContextResume;
    UCHAR code[sizeof(loadNextStack)];

    if (KdpReadMemory(resume - sizeof(code), code, sizeof(code)) &&
        memcmp(code, loadNextStack, sizeof(code)) == 0)
        return resume - sizeof(code);
    return resume;
}

BOOLEAN KdpGetSwitchedThreadStack(ULONG64 address, KD_SWITCH_FRAME *frame, KD_STACK_START *start,
                                  const char **why)
{
    static char reason[128];
    ETHREAD thread;
    ULONG64 stack;

    if (!KdpReadThread(address, &thread, TRUE)) {
        *why = "it is not a thread";
        return FALSE;
    }
    stack = (ULONG64)thread.Tcb.KernelStack;
    if (thread.Tcb.State == Initialized) {
        *why = "the thread has never run: it has no stack to walk yet";
        return FALSE;
    }
    if (!thread.Tcb.InitialStack) {
        *why = thread.Tcb.State == Terminated
                   ? "the thread has ended and its kernel stack has been freed"
                   : "it has no kernel stack (InitialStack is 0: corrupt?)";
        return FALSE;
    }
    if (stack < (ULONG64)thread.Tcb.StackLimit ||
        stack + sizeof(*frame) > (ULONG64)thread.Tcb.StackBase) {
        RtlStringPrintf(reason, sizeof(reason),
                        "its saved stack pointer %016llx is outside its stack (corrupt?)",
                        (unsigned long long)stack);
        *why = reason;
        return FALSE;
    }
    if (!KdpReadMemory(stack, frame, sizeof(*frame))) {
        RtlStringPrintf(reason, sizeof(reason), "its saved frame at %016llx cannot be read",
                        (unsigned long long)stack);
        *why = reason;
        return FALSE;
    }
    if (frame->ReturnAddress == (ULONG64)KiThreadStartup) {
        *why = "the thread has never run: it has no stack to walk yet";
        return FALSE;
    }
    start->LeafRip = KdpSwitchPoint();
    start->LeafSp = stack;
    start->Rip = frame->ReturnAddress;
    start->Rsp = stack + sizeof(*frame);
    start->Rbp = frame->Rbp;
    // What KiSwapContext saved are the callee-saved registers: the walk
    // recovers each frame's from these.
    start->Registers.Value[KD_DW_RBX] = frame->Rbx;
    start->Registers.Value[KD_DW_R12] = frame->R12;
    start->Registers.Value[KD_DW_R13] = frame->R13;
    start->Registers.Value[KD_DW_R14] = frame->R14;
    start->Registers.Value[KD_DW_R15] = frame->R15;
    start->Registers.Valid = KD_UNWIND_CALLEE_SAVED;
    return TRUE;
}

void KdpFormatThreadState(const KTHREAD *thread, char *buffer, size_t size)
{
    ULONG processor = KdpThreadProcessor(thread);

    switch (thread->State) {
    case Waiting: {
        char reason[24];

        if (thread->WaitReason < MaximumWaitReason)
            RtlStringPrintf(reason, sizeof(reason), "%s", KdpWaitReasonNames[thread->WaitReason]);
        else
            RtlStringPrintf(reason, sizeof(reason), "WaitReason %u", thread->WaitReason);
        RtlStringPrintf(buffer, size, "WAIT: (%s) %s %s", reason,
                        thread->WaitMode == KernelMode ? "KernelMode" : "UserMode",
                        thread->Alertable ? "Alertable" : "Non-Alertable");
        break;
    }
    case Running:
        RtlStringPrintf(buffer, size, "RUNNING on processor %u", processor);
        break;
    case Ready:
        RtlStringPrintf(buffer, size, "READY on processor %u", processor);
        break;
    case Standby:
        RtlStringPrintf(buffer, size, "STANDBY");
        break;
    case Terminated:
        RtlStringPrintf(buffer, size, "TERMINATED");
        break;
    case Initialized:
        RtlStringPrintf(buffer, size, "INITIALIZED");
        break;
    case Transition:
        RtlStringPrintf(buffer, size, "TRANSITION");
        break;
    case DeferredReady:
        RtlStringPrintf(buffer, size, "DEFERREDREADY");
        break;
    default:
        RtlStringPrintf(buffer, size, "UNKNOWN STATE %u", thread->State);
        break;
    }
}

// One line per object the thread waits on, as WinDbg names them.
void KdpPrintWaitObject(ULONG64 object, ULONG indent)
{
    DISPATCHER_HEADER header;

    KdpPrint("%*s%016llx ", (int)indent, "", (unsigned long long)object);
    if (!KdpReadMemory(object, &header, sizeof(header))) {
        KdpPrint("(object cannot be read)\n");
        return;
    }
    switch (header.Type) {
    case EventNotificationObject:
        KdpPrint("NotificationEvent\n");
        break;
    case EventSynchronizationObject:
        KdpPrint("SynchronizationEvent\n");
        break;
    case SemaphoreObject: {
        LONG limit;

        if (KdpReadMemory(object + FIELD_OFFSET(KSEMAPHORE, Limit), &limit, sizeof(limit)))
            KdpPrint("Semaphore Limit 0x%x\n", (ULONG)limit);
        else
            KdpPrint("Semaphore Limit ?\n");
        break;
    }
    case MutantObject: {
        ULONG64 owner;

        if (KdpReadMemory(object + FIELD_OFFSET(KMUTANT, OwnerThread), &owner, sizeof(owner)))
            KdpPrint("Mutant - owning thread %016llx\n", (unsigned long long)owner);
        else
            KdpPrint("Mutant - owning thread ?\n");
        break;
    }
    case TimerNotificationObject:
        KdpPrint("NotificationTimer\n");
        break;
    case TimerSynchronizationObject:
        KdpPrint("SynchronizationTimer\n");
        break;
    case QueueObject:
        KdpPrint("QueueObject\n");
        break;
    case ThreadObject:
        KdpPrint("ThreadObject\n");
        break;
    case ProcessObject:
        KdpPrint("ProcessObject\n");
        break;
    case GateObject:
        KdpPrint("GateObject\n");
        break;
    default:
        KdpPrint("Unknown object type %u\n", header.Type);
        break;
    }
}

// The thread's wait blocks form a ring through NextWaitBlock, starting at
// WaitBlockList: the objects in the order given, then the timeout's timer.
// A ring that comes back anywhere but its start is corrupt.
static void KdpPrintWaitBlocks(const KTHREAD *thread, ULONG indent)
{
    ULONG64 first = (ULONG64)thread->WaitBlockList;
    ULONG64 block = first;
    ULONG64 seen[KD_MAX_WAIT_BLOCKS];

    for (ULONG count = 0; block; count++) {
        KWAIT_BLOCK waitBlock;

        for (ULONG i = 1; i < count; i++) {
            if (seen[i] == block) {
                KdpPrint("%*s(the wait block ring loops back to %016llx, not to its start: "
                         "corrupt?)\n", (int)indent, "", (unsigned long long)block);
                return;
            }
        }
        if (count == KD_MAX_WAIT_BLOCKS) {
            KdpPrint("%*s(the wait block ring does not close after %u blocks: corrupt?)\n",
                     (int)indent, "", KD_MAX_WAIT_BLOCKS);
            return;
        }
        seen[count] = block;
        if (!KdpReadMemory(block, &waitBlock, sizeof(waitBlock))) {
            KdpPrint("%*s%016llx: wait block cannot be read\n", (int)indent, "",
                     (unsigned long long)block);
            return;
        }
        KdpPrintWaitObject((ULONG64)waitBlock.Object, indent);
        block = (ULONG64)waitBlock.NextWaitBlock;
        if (block == first)
            return;
    }
}

BOOLEAN KdpReadUserTrapFrame(ULONG64 address, ULONG64 *frameAddress, KTRAP_FRAME *frame)
{
    ETHREAD thread;
    BOOLEAN ownAddressSpace = FALSE;
    ULONG64 trap;

    if (!KdpReadThread(address, &thread, TRUE) || thread.SystemThread ||
        !thread.Tcb.InitialStack ||
        !KdpReadMemory((ULONG64)thread.ThreadsProcess +
                           FIELD_OFFSET(EPROCESS, AddressSpaceInitialized),
                       &ownAddressSpace, sizeof(ownAddressSpace)) || !ownAddressSpace)
        return FALSE;
    // Every entry from user mode starts at the top of the kernel stack
    // (TSS.Rsp0 and KPCR.RspBase are the thread's InitialStack).
    trap = (ULONG64)thread.Tcb.InitialStack - sizeof(KTRAP_FRAME);
    if (!KdpReadMemory(trap, frame, sizeof(*frame)) || (frame->SegCs & RPL_MASK) != RPL_MASK)
        return FALSE;
    *frameAddress = trap;
    return TRUE;
}

BOOLEAN KdpGetUserStackStart(ULONG64 address, KD_STACK_START *start)
{
    KTRAP_FRAME frame;
    ULONG64 trap, process;

    if (!KdpReadUserTrapFrame(address, &trap, &frame) ||
        !KdpReadMemory(address + FIELD_OFFSET(ETHREAD, ThreadsProcess), &process,
                       sizeof(process)) ||
        !KdpReadMemory(process + FIELD_OFFSET(EPROCESS, Pcb.DirectoryTableBase),
                       &start->DirectoryTableBase, sizeof(start->DirectoryTableBase)))
        return FALSE;
    start->UserTrapFrame = trap;
    start->Process = process;
    return TRUE;
}

BOOLEAN KdpGetThreadStackStart(ULONG64 address, BOOLEAN current, KD_STACK_START *start,
                               const char **why)
{
    KD_SWITCH_FRAME frame;

    RtlZeroMemory(start, sizeof(*start));
    if (current) {
        const KTRAP_FRAME *trapFrame = KdpState.EntryTrapFrame;

        if (!trapFrame) {
            *why = "no register context for the running thread";
            return FALSE;
        }
        start->Rip = trapFrame->Rip;
        start->Rsp = trapFrame->Rsp;
        start->Rbp = trapFrame->Rbp;
        KdpContextFromTrap(trapFrame, &start->Registers);
    } else if (!KdpGetSwitchedThreadStack(address, &frame, start, why)) {
        return FALSE;
    }
    KdpGetUserStackStart(address, start);
    return TRUE;
}

static void KdpPrintThreadStack(ULONG64 address, BOOLEAN current, ULONG indent)
{
    KD_STACK_START start;
    const char *why;

    if (!KdpGetThreadStackStart(address, current, &start, &why)) {
        KdpPrint(current ? "%*s(%s)\n" : "%*s(no stack: %s)\n", (int)indent, "", why);
        return;
    }
    KdpPrintStackFrom(&start, KD_THREAD_STACK_FRAMES, indent);
}

// What the thread does in LPC: the request it waits a reply for and the
// port it sent it through (LpcWaitingOnPort, tagged as a port), and the
// request it received as a server and has not answered yet.
static void KdpPrintThreadLpc(const ETHREAD *thread, ULONG indent)
{
    ULONG64 port = (ULONG64)(ULONG_PTR)thread->LpcWaitingOnPort;

    if (thread->LpcReplyMessageId) {
        KdpPrint("%*sWaiting for reply to LPC MessageId %08x:\n", (int)indent, "",
                 thread->LpcReplyMessageId);
        if (port & LPCP_THREAD_FLAG_IS_PORT)
            KdpPrint("%*sCurrent LPC port %016llx\n", (int)indent, "",
                     (unsigned long long)(port & ~(ULONG64)LPCP_THREAD_FLAGS));
    }
    if (thread->LpcReceivedMsgIdValid && thread->LpcReceivedMessageId)
        KdpPrint("%*sLPC Server thread working on message Id %x\n", (int)indent, "",
                 thread->LpcReceivedMessageId);
}

static void KdpPrintSymbolOrAddress(ULONG64 address)
{
    char symbol[128];

    if (KdpFormatModuleAddress(address, symbol, sizeof(symbol))) {
        KdpPrint("%s\n", symbol);
    } else {
        KdpPrint("0x%016llx\n", (unsigned long long)address);
    }
}

static void KdpPrintSymbolAndAddress(ULONG64 address)
{
    char symbol[128];

    if (KdpFormatModuleAddress(address, symbol, sizeof(symbol))) {
        KdpPrint("%s (0x%016llx)\n", symbol, (unsigned long long)address);
    } else {
        KdpPrint("0x%016llx\n", (unsigned long long)address);
    }
}

BOOLEAN KdpPrintThread(ULONG64 address, ULONG flags, ULONG indent)
{
    ETHREAD thread;
    const KTHREAD *tcb = &thread.Tcb;
    BOOLEAN current = address == KdpCurrentThread();
    ULONG64 now = KeTickCount;
    ULONG64 waited, deviceMap = 0;
    char state[96], image[PROCESS_IMAGE_NAME_LENGTH + 1], text[48];
    int in = (int)indent;

    if (!KdpReadThread(address, &thread, FALSE))
        return FALSE;
    KdpFormatThreadState(tcb, state, sizeof(state));
    KdpPrint("%*sTHREAD %016llx Cid %04llx.%04llx Teb: %016llx Win32Thread: %016llx %s\n", in,
             "", (unsigned long long)address,
             (unsigned long long)(ULONG_PTR)thread.Cid.UniqueProcess,
             (unsigned long long)(ULONG_PTR)thread.Cid.UniqueThread,
             (unsigned long long)(ULONG_PTR)tcb->Teb,
             (unsigned long long)(ULONG_PTR)tcb->Win32Thread, state);
    if (!(flags & KD_THREAD_WAIT_STATES))
        return TRUE;
    if (tcb->State == Waiting)
        KdpPrintWaitBlocks(tcb, indent + 4);
    KdpPrintThreadLpc(&thread, indent);
    KdpPrintThreadAlpc(&thread, indent);
    KdpPrintThreadIrps(address, indent);
    KdpPrintImpersonation(&thread, indent);
    // Its process's DosDevices map (ob/obdevmap.c), as the case studies
    // show it under the impersonation line; Idle's threads have none.
    if (KdpReadMemory((ULONG64)(ULONG_PTR)thread.ThreadsProcess +
                          FIELD_OFFSET(EPROCESS, DeviceMap),
                      &deviceMap, sizeof(deviceMap)) && deviceMap)
        KdpPrint("%*sDeviceMap %016llx\n", in, "", (unsigned long long)deviceMap);
    if (!KdpReadImageName((ULONG64)thread.ThreadsProcess, image, sizeof(image)))
        RtlStringPrintf(image, sizeof(image), "?");
    KdpPrint("%*sOwning Process %016llx Image: %s\n", in, "",
             (unsigned long long)(ULONG_PTR)thread.ThreadsProcess, image);
    waited = now > tcb->WaitTime ? now - tcb->WaitTime : 0;
    RtlFormatTickDuration(text, sizeof(text), waited, CLOCK_TICK_MICROSECONDS);
    KdpPrint("%*sWait Start TickCount %llu Ticks: %llu (%s)\n", in, "",
             (unsigned long long)tcb->WaitTime, (unsigned long long)waited, text);
    KdpPrint("%*sContext Switch Count %u\n", in, "", tcb->ContextSwitches);
    KdpFormatTickTime(text, sizeof(text), tcb->UserTime);
    KdpPrint("%*sUserTime %s\n", in, "", text);
    KdpFormatTickTime(text, sizeof(text), tcb->KernelTime);
    KdpPrint("%*sKernelTime %s\n", in, "", text);
    // WinDbg names the Win32 start address when it has a symbol for it
    // ("nt!ExpWorkerThread (0xfffff800...)", as in the third case study)
    // and prints the bare number otherwise (user programs).
    KdpPrint("%*sWin32 Start Address ", in, "");
    KdpPrintSymbolAndAddress((ULONG64)(ULONG_PTR)thread.Win32StartAddress);
    KdpPrint("%*sStart Address ", in, "");
    KdpPrintSymbolOrAddress((ULONG64)(ULONG_PTR)thread.StartAddress);
    KdpPrint("%*sStack Init %016llx Current %016llx\n", in, "",
             (unsigned long long)(ULONG_PTR)tcb->InitialStack,
             (unsigned long long)(current && KdpState.EntryTrapFrame
                                      ? KdpState.EntryTrapFrame->Rsp
                                      : (ULONG64)(ULONG_PTR)tcb->KernelStack));
    KdpPrint("%*sBase %016llx Limit %016llx Call 0\n", in, "",
             (unsigned long long)(ULONG_PTR)tcb->StackBase,
             (unsigned long long)(ULONG_PTR)tcb->StackLimit);
    KdpPrint("%*sPriority %d BasePriority %d PriorityDecrement %d\n", in, "", tcb->Priority,
             tcb->BasePriority, tcb->PriorityDecrement);
    if (flags & KD_THREAD_STACK)
        KdpPrintThreadStack(address, current, indent);
    return TRUE;
}

static KD_COMMAND_RESULT KdpThread(int argc, char **argv)
{
    ULONG64 address = KD_CURRENT_THREAD_ARGUMENT, flags = KD_THREAD_DEFAULT;

    if (argc > 3) {
        KdpPrint("Usage: !thread [address [flags]]\n");
        return KdCommandContinue;
    }
    if (argc >= 2 && !KdpGetValue(argv[1], &address))
        return KdCommandContinue;
    if (argc == 3 && !KdpGetValue(argv[2], &flags))
        return KdCommandContinue;
    if (address == KD_CURRENT_THREAD_ARGUMENT) {
        address = KdpImplicitThread();
        if (!address) {
            KdpPrint("No current thread\n");
            return KdCommandContinue;
        }
    }
    KdpPrintThread(address, (ULONG)flags, 0);
    return KdCommandContinue;
}

static void KdpResetThreadContext(void)
{
    KdpState.TrapFrame = KdpState.EntryTrapFrame;
    KdpState.ContextThread = 0;
    KdpState.ContextProcess = 0;        // WinDbg: the thread's process is implicit again
    KdpState.ContextLeafRip = KdpState.ContextLeafSp = 0;
    KdpState.ScopeFrame = NULL;
}

// `.thread ADDR`: `r`, `k` and @registers now show the thread as it was
// switched out. Only what KiSwapContext saved is known (rbx, rbp, r12-r15,
// rflags, and rip/rsp from the frame itself); `g` resumes the system from
// the context the debugger was entered with, whatever `.thread` showed.
static KD_COMMAND_RESULT KdpSetThreadContext(int argc, char **argv)
{
    ULONG64 address;
    KD_SWITCH_FRAME frame;
    KD_STACK_START start;
    const char *why;
    char text[18];

    if (argc > 2) {
        KdpPrint("Usage: .thread [address]\n");
        return KdCommandContinue;
    }
    if (argc == 1) {
        KdpResetThreadContext();
        RtlFormatAddress(text, KdpCurrentThread());
        KdpPrint("Implicit thread is now %s\n", text);
        return KdCommandContinue;
    }
    if (!KdpGetValue(argv[1], &address))
        return KdCommandContinue;
    if (!KdpIsThread(address)) {
        KdpPrintThread(address, 0, 0);      // says why it is not one
        return KdCommandContinue;
    }
    RtlFormatAddress(text, address);
    if (address == KdpCurrentThread()) {
        KdpResetThreadContext();
        KdpPrint("Implicit thread is now %s\n", text);
        return KdCommandContinue;
    }
    if (!KdpGetSwitchedThreadStack(address, &frame, &start, &why)) {
        KdpPrint("Cannot use the registers of thread %s: %s\n", text, why);
        return KdCommandContinue;
    }
    memset(&KdpThreadContext, 0, sizeof(KdpThreadContext));
    KdpThreadContext.Rip = start.Rip;
    KdpThreadContext.Rsp = start.Rsp;
    KdpThreadContext.Rbp = frame.Rbp;
    KdpThreadContext.Rbx = frame.Rbx;
    KdpThreadContext.R12 = frame.R12;
    KdpThreadContext.R13 = frame.R13;
    KdpThreadContext.R14 = frame.R14;
    KdpThreadContext.R15 = frame.R15;
    KdpThreadContext.EFlags = frame.EFlags;
    KdpThreadContext.SegCs = KGDT64_R0_CODE;
    KdpThreadContext.SegSs = KGDT64_R0_DATA;
    KdpState.TrapFrame = &KdpThreadContext;
    KdpState.ScopeFrame = NULL;
    KdpState.ContextThread = address;
    KdpState.ContextProcess = 0;        // its process is the implicit one now
    KdpState.ContextLeafRip = start.LeafRip;
    KdpState.ContextLeafSp = start.LeafSp;
    KdpPrint("Implicit thread is now %s\n", text);
    KdpPrint("(its switch frame saved rbx rbp r12-r15 and rflags; rax rcx rdx rsi rdi r8-r11 "
             "are unknown and show as 0)\n");
    return KdCommandContinue;
}

const KD_COMMAND KdpThreadCommands[] = {
    { "!thread", KdpThread, "!thread [address [flags]]",
      "a thread: state, wait objects, times, stack (default: the current thread)" },
    { ".thread", KdpSetThreadContext, ".thread [address]",
      "show r and k as a switched-out thread; alone: back to the current context" },
    { NULL, NULL, NULL, NULL },
};
