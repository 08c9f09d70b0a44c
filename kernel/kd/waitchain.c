// One hop of a wait chain: what a thread waits on, and who holds it. The
// dispatcher's objects say it outright for a mutant (OwnerThread), a thread
// and a process; a user-mode critical section says it in the process's own
// memory (OwningThread, a thread id); an event or a semaphore has no owner,
// so the hop names only candidates. LPC replies and pending IRPs have files
// of their own (waitlpc.c, waitio.c).

#include "kd/kdwait.h"
#include "ob/ob.h"
#include "se/se.h"
#include "arch/x86_64/x86.h"
#include "ex/ex.h"

#define KD_WAIT_MAX_BLOCKS    (MAXIMUM_WAIT_OBJECTS + 1)
#define KD_WAIT_STACK_FRAMES  32        // the blocker is past the wait machinery's few
#define KD_WAIT_MAX_HANDLES   (1U << 20)        // a handle table claiming more is corrupt
#define KD_WAIT_MAX_LISTED    8                 // candidates printed per hop
#define KD_WAIT_BODY_OFFSET   FIELD_OFFSET(OBJECT_HEADER, Body)

KD_WAIT_INDEX KdpWaitIndex;

// ---- The thread index ----------------------------------------------------------------

static BOOLEAN KdpWaitIndexThread(void *context, ULONG64 entry)
{
    ULONG64 address = entry - FIELD_OFFSET(ETHREAD, ThreadListEntry);
    KD_WAIT_THREAD *slot;
    ETHREAD thread;

    if (KdpWaitIndex.Count == KD_WAIT_MAX_THREADS) {
        KdpWaitIndex.Truncated = TRUE;
        return FALSE;
    }
    if (!KdpReadMemory(address, &thread, sizeof(thread)) ||
        thread.Tcb.Header.Type != ThreadObject)
        return TRUE;
    slot = &KdpWaitIndex.Threads[KdpWaitIndex.Count++];
    slot->Address = address;
    slot->Process = (ULONG64)(ULONG_PTR)thread.ThreadsProcess;
    slot->WaitTime = thread.Tcb.WaitTime;
    slot->ImpersonationToken = (ULONG64)(ULONG_PTR)thread.ImpersonationToken;
    slot->Queue = (ULONG64)(ULONG_PTR)thread.Tcb.Queue;
    slot->Cid = (ULONG64)(ULONG_PTR)thread.Cid.UniqueThread;
    slot->ProcessCid = (ULONG64)(ULONG_PTR)thread.Cid.UniqueProcess;
    slot->LpcReceivedMessageId = thread.LpcReceivedMsgIdValid ? thread.LpcReceivedMessageId : 0;
    slot->State = thread.Tcb.State;
    slot->WaitReason = thread.Tcb.WaitReason;
    slot->WaitMode = thread.Tcb.WaitMode;
    slot->SystemThread = thread.SystemThread;
    (void)context;
    return TRUE;
}

static BOOLEAN KdpWaitIndexProcess(void *context, ULONG64 entry)
{
    ULONG64 process = entry - FIELD_OFFSET(EPROCESS, ActiveProcessLinks);

    KdpWalkList(process + FIELD_OFFSET(EPROCESS, ThreadListHead), "ThreadListHead",
                KdpWaitIndexThread, context);
    return !KdpWaitIndex.Truncated;
}

static ULONG KdpWaitHash(ULONG64 key)
{
    return (ULONG)(((key >> 2) * 0x9E3779B97F4A7C15ULL) >> 40) % KD_WAIT_HASH_SIZE;
}

static void KdpWaitHashInsert(LONG *table, ULONG64 key, LONG index)
{
    ULONG slot = KdpWaitHash(key);

    while (table[slot] >= 0)
        slot = (slot + 1) % KD_WAIT_HASH_SIZE;
    table[slot] = index;
}

void KdpWaitBuildIndex(void)
{
    KdpWaitIndex.Count = 0;
    KdpWaitIndex.Truncated = FALSE;
    KdpWalkList((ULONG64)&PsActiveProcessHead, "PsActiveProcessHead", KdpWaitIndexProcess,
                NULL);
    for (ULONG i = 0; i < KD_WAIT_HASH_SIZE; i++)
        KdpWaitIndex.ByAddress[i] = KdpWaitIndex.ByMessageId[i] = -1;
    for (ULONG i = 0; i < KdpWaitIndex.Count; i++) {
        const KD_WAIT_THREAD *thread = &KdpWaitIndex.Threads[i];

        KdpWaitHashInsert(KdpWaitIndex.ByAddress, thread->Address, (LONG)i);
        if (thread->LpcReceivedMessageId)
            KdpWaitHashInsert(KdpWaitIndex.ByMessageId, thread->LpcReceivedMessageId, (LONG)i);
    }
}

// The table holds at most half as many entries as slots: a probe ends.
const KD_WAIT_THREAD *KdpWaitFindThread(ULONG64 thread)
{
    for (ULONG slot = KdpWaitHash(thread);; slot = (slot + 1) % KD_WAIT_HASH_SIZE) {
        LONG index = KdpWaitIndex.ByAddress[slot];

        if (index < 0)
            return NULL;
        if (KdpWaitIndex.Threads[index].Address == thread)
            return &KdpWaitIndex.Threads[index];
    }
}

const KD_WAIT_THREAD *KdpWaitFindMessageHolder(ULONG id, ULONG64 except)
{
    for (ULONG slot = KdpWaitHash(id);; slot = (slot + 1) % KD_WAIT_HASH_SIZE) {
        LONG index = KdpWaitIndex.ByMessageId[slot];

        if (index < 0)
            return NULL;
        if (KdpWaitIndex.Threads[index].LpcReceivedMessageId == id &&
            KdpWaitIndex.Threads[index].Address != except)
            return &KdpWaitIndex.Threads[index];
    }
}

// ---- Describing a thread -------------------------------------------------------------

void KdpWaitDescribeThread(ULONG64 thread, char *text, size_t size)
{
    char image[PROCESS_IMAGE_NAME_LENGTH + 1];
    CLIENT_ID cid = { 0 };
    ULONG64 process = 0;

    if (!KdpReadMemory(thread + FIELD_OFFSET(ETHREAD, Cid), &cid, sizeof(cid)) ||
        !KdpReadMemory(thread + FIELD_OFFSET(ETHREAD, ThreadsProcess), &process,
                       sizeof(process)) ||
        !KdpReadImageName(process, image, sizeof(image)))
        RtlStringPrintf(image, sizeof(image), "?");
    RtlStringPrintf(text, size, "%s Cid %04llx.%04llx", image,
                    (unsigned long long)(ULONG_PTR)cid.UniqueProcess,
                    (unsigned long long)(ULONG_PTR)cid.UniqueThread);
}

void KdpWaitBlocker(ULONG64 thread, char *blocker, size_t blockerSize, char *module,
                    size_t moduleSize)
{
    ULONG64 sites[KD_WAIT_STACK_FRAMES];
    char symbol[112];
    KD_STACK_START start;
    const char *why;
    ULONG count = 0, i;
    size_t length;

    blocker[0] = '\0';
    module[0] = '\0';
    if (KdpGetThreadStackStart(thread, thread == KdpCurrentThread(), &start, &why))
        count = KdpCollectCallSites(&start, sites, KD_WAIT_STACK_FRAMES);
    symbol[0] = '\0';
    // The file systems' cancellable waits are machinery here too: the code
    // that chose to wait is their caller (!stacks names them, as WinDbg's).
    for (i = 0; i < count; i++) {
        KdpFormatAddressSymbol(sites[i], symbol, sizeof(symbol));
        if (!KdpIsWaitMachinery(symbol) &&
            !RtlMatchPattern("nt!FsRtlCancellableWaitFor*", symbol))
            break;
    }
    if (!count)
        return;
    // nt waits on behalf of a driver that called it (LpcRequestWaitReplyPort
    // from KSecDD): the driver's frame is the code that chose to wait.
    if (i < count && RtlMatchPattern("nt!*", symbol)) {
        for (ULONG j = i + 1; j < count && sites[j] >= KD_USER_SPACE_END; j++) {
            char caller[112];

            KdpFormatAddressSymbol(sites[j], caller, sizeof(caller));
            if (!RtlMatchPattern("nt!*", caller)) {
                RtlStringPrintf(symbol, sizeof(symbol), "%s", caller);
                break;
            }
        }
    }
    // A thread that waits from user mode through a system service (the
    // service's own frames are nt's): the code that chose to wait is the
    // program's.
    if ((i == count || RtlMatchPattern("nt!*", symbol)) && start.UserTrapFrame) {
        char image[PROCESS_IMAGE_NAME_LENGTH + 1];
        KTRAP_FRAME frame;
        ULONG64 trap;

        ULONG64 rip = 0;

        if (KdpReadUserTrapFrame(thread, &trap, &frame) &&
            KdpReadImageName(start.Process, image, sizeof(image))) {
            rip = frame.Rip;
            // The system call stub is a leaf (syscall; ret): its caller's
            // return address is at the top of the user stack.
            if (KdpFormatUserSymbol(image, rip, symbol, sizeof(symbol), NULL) &&
                (RtlMatchPattern("*!Nt*", symbol) || RtlMatchPattern("*!Zw*", symbol)))
                KdpReadProcessMemory(start.DirectoryTableBase, frame.Rsp, &rip, sizeof(rip));
            if (!KdpFormatUserSymbol(image, rip, symbol, sizeof(symbol), NULL))
                RtlStringPrintf(symbol, sizeof(symbol), "%s+0x%llx", image,
                                (unsigned long long)rip);
        }
    }
    RtlStringPrintf(blocker, blockerSize, "%s", symbol);
    // Code of a driver without an image of its own (IoCreateDriver's) is
    // its driver's, when its DRIVER_OBJECT says where that code is.
    if (i < count && RtlMatchPattern("nt!*", symbol) &&
        KdpWaitImagelessDriverAt(sites[i], NULL, module, moduleSize))
        return;
    for (length = 0; symbol[length] && symbol[length] != '!' && symbol[length] != '+'; length++)
        ;
    if (length >= moduleSize)
        length = moduleSize - 1;
    memcpy(module, symbol, length);
    module[length] = '\0';
}

void KdpWaitTokenUser(ULONG64 token, char *text, size_t size)
{
    ULONG64 entries = 0, sid = 0;

    text[0] = '\0';
    if (!token ||
        !KdpReadMemory(token + FIELD_OFFSET(TOKEN, UserAndGroups), &entries, sizeof(entries)) ||
        !KdpReadMemory(entries + FIELD_OFFSET(SID_AND_ATTRIBUTES, Sid), &sid, sizeof(sid)))
        return;
    KdpFormatSidAt(sid, text, size);
    if (text[0] == '(')
        text[0] = '\0';
}

ULONG64 KdpWaitEffectiveToken(const KD_WAIT_THREAD *thread)
{
    ULONG64 token = 0;

    if (thread->ImpersonationToken)
        return thread->ImpersonationToken;
    KdpReadMemory(thread->Process + FIELD_OFFSET(EPROCESS, Token), &token, sizeof(token));
    return token;
}

// ---- Handles -----------------------------------------------------------------------------

BOOLEAN KdpWaitHandlesTo(ULONG64 process, ULONG64 object, KD_WAIT_HANDLE_CALLBACK callback,
                         void *context)
{
    ULONG64 tableAddress = 0;
    HANDLE_TABLE table;

    if (!KdpReadMemory(process + FIELD_OFFSET(EPROCESS, ObjectTable), &tableAddress,
                       sizeof(tableAddress)) || !tableAddress ||
        !KdpReadMemory(tableAddress, &table, sizeof(table)) ||
        table.TableSize > KD_WAIT_MAX_HANDLES)
        return TRUE;
    for (ULONG index = 0; index < table.TableSize; index++) {
        HANDLE_TABLE_ENTRY entry;

        if (!KdpReadMemory((ULONG64)table.Table + index * sizeof(entry), &entry, sizeof(entry)))
            return TRUE;
        if (entry.Value &&
            (ULONG64)ObpHandleEntryObject(&entry) + KD_WAIT_BODY_OFFSET == object &&
            !callback(context, process, (index + 1) * HANDLE_INDEX_MULTIPLIER))
            return FALSE;
    }
    return TRUE;
}

// ---- Candidates for an event or a semaphore -----------------------------------------------

typedef struct _KD_WAIT_CANDIDATES {
    ULONG64 Object;
    ULONG Listed;
    ULONG Processes;
} KD_WAIT_CANDIDATES;

static BOOLEAN KdpWaitPrintHandle(void *context, ULONG64 process, ULONG handle)
{
    KD_WAIT_CANDIDATES *candidates = context;
    char image[PROCESS_IMAGE_NAME_LENGTH + 1];
    ULONG64 cid = 0;

    candidates->Processes++;
    if (candidates->Listed++ >= KD_WAIT_MAX_LISTED)
        return FALSE;
    KdpReadImageName(process, image, sizeof(image));
    KdpReadMemory(process + FIELD_OFFSET(EPROCESS, UniqueProcessId), &cid, sizeof(cid));
    KdpPrint("    candidate: PROCESS %016llx (%s Cid %04llx) holds handle %llx to it: its "
             "threads could signal it (!handle %llx f %llx)\n", (unsigned long long)process,
             image, (unsigned long long)cid, (unsigned long long)handle,
             (unsigned long long)handle, (unsigned long long)process);
    return FALSE;       // one line a process
}

static BOOLEAN KdpWaitHandleProcess(void *context, ULONG64 entry)
{
    KD_WAIT_CANDIDATES *candidates = context;

    KdpWaitHandlesTo(entry - FIELD_OFFSET(EPROCESS, ActiveProcessLinks), candidates->Object,
                     KdpWaitPrintHandle, candidates);
    return TRUE;
}

typedef struct _KD_WAIT_WAITERS {
    ULONG64 Self;
    ULONG Others;
} KD_WAIT_WAITERS;

static BOOLEAN KdpWaitCountWaiter(void *context, ULONG64 entry)
{
    KD_WAIT_WAITERS *waiters = context;
    ULONG64 thread = 0;

    KdpReadMemory(entry + FIELD_OFFSET(KWAIT_BLOCK, Thread), &thread, sizeof(thread));
    if (thread != waiters->Self)
        waiters->Others++;
    return TRUE;
}

// Who could end a wait on an object without an owner: the processes that
// hold a handle to it; and how many others wait on it too.
static void KdpWaitPrintCandidates(ULONG64 thread, ULONG64 object)
{
    KD_WAIT_CANDIDATES candidates = { object, 0, 0 };
    KD_WAIT_WAITERS waiters = { thread, 0 };

    KdpWalkList((ULONG64)&PsActiveProcessHead, "PsActiveProcessHead", KdpWaitHandleProcess,
                &candidates);
    if (candidates.Processes > KD_WAIT_MAX_LISTED)
        KdpPrint("    ... %u more processes hold handles to it\n",
                 candidates.Processes - KD_WAIT_MAX_LISTED);
    if (!candidates.Processes)
        KdpPrint("    no process holds a handle to it: only kernel code that knows its "
                 "address can signal it\n");
    KdpWalkList(object + FIELD_OFFSET(DISPATCHER_HEADER, WaitListHead), "WaitListHead",
                KdpWaitCountWaiter, &waiters);
    if (waiters.Others)
        KdpPrint("    %u other threads wait on it too (candidates only if they would signal "
                 "it after their wait)\n", waiters.Others);
}

// ---- The step ------------------------------------------------------------------------------

static const char *KdpWaitObjectKind(UCHAR type)
{
    switch (type) {
    case EventNotificationObject:    return "NotificationEvent";
    case EventSynchronizationObject: return "SynchronizationEvent";
    case MutantObject:               return "Mutant";
    case ProcessObject:              return "Process";
    case QueueObject:                return "Queue";
    case SemaphoreObject:            return "Semaphore";
    case ThreadObject:               return "Thread";
    case GateObject:                 return "Gate";
    case TimerNotificationObject:    return "NotificationTimer";
    case TimerSynchronizationObject: return "SynchronizationTimer";
    default:                         return "Unknown";
    }
}

const char *KdpWaitObjectKindAt(ULONG64 object)
{
    DISPATCHER_HEADER header;

    if (!KdpReadMemory(object, &header, sizeof(header)))
        return "object";
    return KdpWaitObjectKind(header.Type);
}

typedef struct _KD_WAIT_OBJECTS {
    ULONG Count;
    ULONG64 Object[KD_WAIT_MAX_BLOCKS];
    UCHAR Type[KD_WAIT_MAX_BLOCKS];
    UCHAR WaitType;
} KD_WAIT_OBJECTS;

// The objects of the thread's wait block ring, the timeout's timer left
// out. FALSE (with the evidence an error line) on a corrupt ring.
static BOOLEAN KdpWaitReadObjects(ULONG64 thread, const KTHREAD *tcb, KD_WAIT_OBJECTS *objects,
                                  KD_WAIT_STEP *step)
{
    ULONG64 first = (ULONG64)tcb->WaitBlockList, block = first;
    ULONG64 timer = thread + FIELD_OFFSET(KTHREAD, Timer);
    ULONG64 seen[KD_WAIT_MAX_BLOCKS + 1];

    objects->Count = 0;
    objects->WaitType = WaitAll;
    for (ULONG count = 0; block; count++) {
        KWAIT_BLOCK waitBlock;
        DISPATCHER_HEADER header;

        for (ULONG i = 0; i < count; i++) {
            if (seen[i] == block)
                goto corrupt;
        }
        if (count > KD_WAIT_MAX_BLOCKS)
            goto corrupt;
        seen[count] = block;
        if (!KdpReadMemory(block, &waitBlock, sizeof(waitBlock))) {
            RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                            "error: wait block %016llx cannot be read",
                            (unsigned long long)block);
            return FALSE;
        }
        if ((ULONG64)waitBlock.Thread != thread) {
            RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                            "error: wait block %016llx belongs to thread %016llx, not to this "
                            "one (corrupt?)", (unsigned long long)block,
                            (unsigned long long)(ULONG_PTR)waitBlock.Thread);
            return FALSE;
        }
        if ((ULONG64)waitBlock.Object != timer) {
            if (!KdpReadMemory((ULONG64)waitBlock.Object, &header, sizeof(header))) {
                RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                                "error: the object %016llx of wait block %016llx cannot be read",
                                (unsigned long long)(ULONG_PTR)waitBlock.Object,
                                (unsigned long long)block);
                return FALSE;
            }
            objects->Object[objects->Count] = (ULONG64)waitBlock.Object;
            objects->Type[objects->Count++] = header.Type;
            objects->WaitType = waitBlock.WaitType;
        }
        block = (ULONG64)waitBlock.NextWaitBlock;
        if (block == first)
            return TRUE;
    }
    return TRUE;
corrupt:
    RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                    "error: the wait block ring of the thread does not close (at %016llx): "
                    "corrupt", (unsigned long long)block);
    return FALSE;
}

// A process object: its first thread that has not ended holds it up.
static void KdpWaitOnProcess(ULONG64 process, ULONG flags, KD_WAIT_STEP *step)
{
    char image[PROCESS_IMAGE_NAME_LENGTH + 1];
    ULONG live = 0;

    KdpReadImageName(process, image, sizeof(image));
    for (ULONG i = 0; i < KdpWaitIndex.Count; i++) {
        const KD_WAIT_THREAD *thread = &KdpWaitIndex.Threads[i];

        if (thread->Process != process || thread->State == Terminated)
            continue;
        if (!live++) {
            step->End = KdWaitFollow;
            step->Next = thread->Address;
        }
        if ((flags & KD_WAIT_DETAIL) && live <= KD_WAIT_MAX_LISTED)
            KdpPrint("    PROCESS %016llx (%s) has not ended: its THREAD %016llx is alive\n",
                     (unsigned long long)process, image, (unsigned long long)thread->Address);
    }
    if (!live) {
        step->End = KdWaitNoOwner;
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "Process %016llx (%s): no thread of it is alive, yet it is not "
                        "signaled", (unsigned long long)process, image);
        return;
    }
    RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                    "Process %016llx (%s) ends with its last thread: %u alive, the first is "
                    "THREAD %016llx", (unsigned long long)process, image, live,
                    (unsigned long long)step->Next);
}

static const char *const KdpWaitQueueNames[MaximumWorkQueue] = {
    "Critical", "Delayed", "HyperCritical",
};

// A system worker blocked in something else than its queue is inside a
// work item's routine: the items queued behind it wait for it too.
static void KdpWaitNoteWorker(const KD_WAIT_THREAD *self, KD_WAIT_STEP *step)
{
    ULONG64 first = (ULONG64)&ExWorkerQueue[0];
    ULONG64 type = (self->Queue - first) / sizeof(EX_WORK_QUEUE);
    LONG pending = 0;
    size_t length = strlen(step->Evidence);

    if (self->Queue < first || type >= MaximumWorkQueue ||
        self->Queue != first + type * sizeof(EX_WORK_QUEUE) ||
        !KdpReadMemory(self->Queue + FIELD_OFFSET(KQUEUE, Header.SignalState), &pending,
                       sizeof(pending)))
        return;
    RtlStringPrintf(step->Evidence + length, sizeof(step->Evidence) - length,
                    "; a %s queue worker inside an item's routine, %d items queued behind it "
                    "(!exqueue %x)", KdpWaitQueueNames[type], pending, 0x10u << type);
}

// A worker waiting on its KQUEUE: by design while the queue is empty; with
// entries in it, it waits because the queue's concurrency is used up by
// the queue's other threads, which are running.
static void KdpWaitOnQueue(ULONG64 object, KD_WAIT_STEP *step)
{
    KQUEUE queue;

    step->End = KdWaitIdle;
    if (!KdpReadMemory(object, &queue, sizeof(queue))) {
        step->End = KdWaitError;
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "error: Queue %016llx cannot be read", (unsigned long long)object);
        return;
    }
    if (queue.Header.SignalState <= 0)
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "waits by design: KQUEUE %016llx empty (a worker waiting for work in "
                        "KeRemoveQueue)", (unsigned long long)object);
    else
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "waits by design: KQUEUE %016llx holds %d entries, but %u of its "
                        "threads run already (CurrentCount at MaximumCount %u)",
                        (unsigned long long)object, queue.Header.SignalState,
                        queue.CurrentCount, queue.MaximumCount);
}

// Threads whose wait is their job: a server's receive with nothing to
// receive, and the debugger's own threads. Their chains end "by design",
// and -a leaves them out; a chain that ends at one because it holds
// something says so (cmdwait.c).
static BOOLEAN KdpWaitByDesign(ULONG64 address, const ETHREAD *thread,
                               const KD_WAIT_OBJECTS *objects, KD_WAIT_STEP *step)
{
    const char *what;

    if (thread->Tcb.WaitReason == WrLpcReceive && objects->Count == 1) {
        DISPATCHER_HEADER header;

        step->Object = objects->Object[0];
        if (!KdpReadMemory(step->Object, &header, sizeof(header)))
            return FALSE;
        step->End = KdWaitIdle;
        if (header.SignalState <= 0)
            RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                            "waits by design: a server's receive (WrLpcReceive), its queue "
                            "empty (%s %016llx, count 0)", KdpWaitObjectKind(header.Type),
                            (unsigned long long)step->Object);
        else
            RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                            "waits by design: a server's receive (WrLpcReceive), %d requests "
                            "for it already (%s %016llx): it is being woken",
                            header.SignalState, KdpWaitObjectKind(header.Type),
                            (unsigned long long)step->Object);
        return TRUE;
    }
    if (KdpIsShellThread(address, &what)) {
        step->End = KdWaitIdle;
        step->Object = objects->Count ? objects->Object[0] : 0;
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "waits by design: the shell's own thread, %s", what);
        return TRUE;
    }
    return FALSE;
}

// ---- A driver's own lock ------------------------------------------------------------------

static BOOLEAN KdpWaitOnAnyOf(ULONG64 thread, const KD_WAIT_OBJECTS *objects)
{
    KD_WAIT_OBJECTS theirs;
    KD_WAIT_STEP scratch;
    KTHREAD tcb;

    if (!KdpReadMemory(thread, &tcb, sizeof(tcb)) ||
        !KdpWaitReadObjects(thread, &tcb, &theirs, &scratch))
        return FALSE;
    for (ULONG i = 0; i < theirs.Count; i++) {
        for (ULONG j = 0; j < objects->Count; j++) {
            if (theirs.Object[i] == objects->Object[j])
                return TRUE;
        }
    }
    return FALSE;
}

// An event or a semaphore waited on in kernel mode from a driver's own
// code is a lock of the driver's making: it names no owner, but whoever
// holds it got it in that driver's code. So the candidates are the
// threads inside the same driver (its code on their stacks) that block
// somewhere else, having called out of it (into another driver, into nt)
// and not waiting on these objects themselves: one of them may hold what
// the driver's waiters wait for (the first case study's scanner, which
// waits for its own scan while that scan waits for lsass). The longest
// blocked of them is followed, as a candidate.
static BOOLEAN KdpWaitDriverLock(ULONG64 address, const KD_WAIT_THREAD *self,
                                 const KD_WAIT_OBJECTS *objects, ULONG flags,
                                 KD_WAIT_STEP *step)
{
    char blocker[112], module[48], theirs[112], theirModule[48];
    const KD_WAIT_THREAD *first = NULL;
    KD_MODULE driver;
    ULONG count = 0;

    if (self->WaitMode != KernelMode)
        return FALSE;
    KdpWaitBlocker(address, blocker, sizeof(blocker), module, sizeof(module));
    if (!module[0] || !strcmp(module, "nt") ||
        !KdpFindModuleByName(module, strlen(module), &driver))
        return FALSE;
    for (ULONG i = 0; i < KdpWaitIndex.Count; i++) {
        const KD_WAIT_THREAD *other = &KdpWaitIndex.Threads[i];

        if (other->Address == address || other->State != Waiting ||
            !KdpWaitStackIn(other->Address, driver.Base, driver.End))
            continue;
        KdpWaitBlocker(other->Address, theirs, sizeof(theirs), theirModule,
                       sizeof(theirModule));
        if (!strcmp(theirModule, module) || KdpWaitOnAnyOf(other->Address, objects))
            continue;
        if ((flags & KD_WAIT_DETAIL) && count < KD_WAIT_MAX_LISTED)
            KdpPrint("    THREAD %016llx is inside %s's code and blocked elsewhere (in %s): it "
                     "may hold what %s waits for\n", (unsigned long long)other->Address, module,
                     theirs[0] ? theirs : "?", module);
        if (!count++ || other->WaitTime < first->WaitTime)
            first = other;
    }
    if (!first)
        return FALSE;
    step->End = KdWaitFollow;
    step->Candidate = TRUE;
    step->Next = first->Address;
    RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                    "%s %016llx waited on in %s's code names no owner; THREAD %016llx is "
                    "inside %s's code too, blocked elsewhere (%u such threads, the longest "
                    "blocked)", KdpWaitObjectKindAt(step->Object), (unsigned long long)step->Object,
                    module, (unsigned long long)first->Address, module, count);
    return TRUE;
}

// An event only its own process has a handle to, in a user process: the
// one other thread of the process that is blocked too (not idle, not on
// the same object, not sleeping) is the one that would set it, as a
// dispatcher thread waits for the thread it handed the work to. A
// candidate, not a fact; none when there are several, and not one whose
// own wait leads back to this thread (it waits for this one, not the
// other way round).
// KdpWaitHandlesTo's callback: the first handle found, and stop.
static BOOLEAN KdpWaitFirstHandle(void *context, ULONG64 process, ULONG handle)
{
    ULONG *first = context;

    (void)process;
    *first = handle;
    return FALSE;
}

static BOOLEAN KdpWaitEventSetter(const KD_WAIT_THREAD *self, ULONG64 event,
                                  KD_WAIT_STEP *step)
{
    static BOOLEAN nested;
    const KD_WAIT_THREAD *found = NULL;
    ULONG handle = 0;
    KD_WAIT_STEP next;
    BOOLEAN back;

    if (self->SystemThread || nested)
        return FALSE;
    KdpWaitHandlesTo(self->Process, event, KdpWaitFirstHandle, &handle);
    if (!handle)
        return FALSE;
    for (ULONG i = 0; i < KdpWaitIndex.Count; i++) {
        const KD_WAIT_THREAD *other = &KdpWaitIndex.Threads[i];
        KWAIT_BLOCK block;
        KTHREAD tcb;

        if (other->Process != self->Process || other->Address == self->Address ||
            other->State != Waiting || other->WaitReason == WrLpcReceive ||
            other->WaitReason == WrQueue || other->WaitReason == DelayExecution ||
            other->WaitReason == WrDelayExecution)
            continue;
        if (!KdpReadMemory(other->Address, &tcb, sizeof(tcb)) || !tcb.WaitBlockList ||
            !KdpReadMemory((ULONG64)tcb.WaitBlockList, &block, sizeof(block)) ||
            (ULONG64)block.Object == event)
            continue;
        if (found)
            return FALSE;
        found = other;
    }
    if (!found)
        return FALSE;
    nested = TRUE;
    memset(&next, 0, sizeof(next));
    back = KdpWaitStep(found->Address, 0, &next) && next.End == KdWaitFollow &&
           next.Next == self->Address;
    nested = FALSE;
    if (back)
        return FALSE;
    step->End = KdWaitFollow;
    step->Candidate = TRUE;
    step->Next = found->Address;
    RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                    "%s %016llx: no owner; only its process holds a handle to it (%x), and "
                    "THREAD %016llx is its only other blocked thread", KdpWaitObjectKindAt(event),
                    (unsigned long long)event, handle,
                    (unsigned long long)found->Address);
    return TRUE;
}

// The dispatcher objects of the wait, the most telling first: a mutant's
// owner, a thread, a process; then (the I/O hop aside) an event or a
// semaphore, which names no one.
static void KdpWaitOnObjects(ULONG64 address, const KD_WAIT_THREAD *self,
                             const KD_WAIT_OBJECTS *objects, ULONG flags, KD_WAIT_STEP *step)
{
    const char *any = objects->Count > 1 ? (objects->WaitType == WaitAny ? " (WaitAny)"
                                                                         : " (WaitAll)")
                                         : "";

    for (ULONG i = 0; i < objects->Count; i++) {
        ULONG64 object = objects->Object[i];
        KMUTANT mutant;

        step->Object = object;
        switch (objects->Type[i]) {
        case MutantObject:
            if (!KdpReadMemory(object, &mutant, sizeof(mutant))) {
                step->End = KdWaitError;
                RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                                "error: Mutant %016llx cannot be read",
                                (unsigned long long)object);
                return;
            }
            if (mutant.OwnerThread && (ULONG64)mutant.OwnerThread != address) {
                step->End = KdWaitFollow;
                step->Next = (ULONG64)mutant.OwnerThread;
                RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                                "Mutant %016llx%s: KMUTANT.OwnerThread is %016llx",
                                (unsigned long long)object, any,
                                (unsigned long long)step->Next);
                return;
            }
            break;
        case ThreadObject:
            step->End = KdWaitFollow;
            step->Next = object;
            RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                            "Thread %016llx%s: it is signaled when that thread ends",
                            (unsigned long long)object, any);
            return;
        case ProcessObject:
            if (object == self->Process) {
                // init.exe and smss.exe park themselves so, for good.
                step->End = KdWaitIdle;
                RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                                "waits by design: on its own Process %016llx, parked until "
                                "it is terminated", (unsigned long long)object);
                return;
            }
            KdpWaitOnProcess(object, flags, step);
            return;
        default:
            break;
        }
    }
    for (ULONG i = 0; i < objects->Count; i++) {
        UCHAR type = objects->Type[i];

        step->Object = objects->Object[i];
        if (type == QueueObject) {
            KdpWaitOnQueue(step->Object, step);
            return;
        }
        if (type == EventSynchronizationObject &&
            KdpWaitCriticalSection(self, step->Object, step))
            return;
    }
    if (KdpWaitIrpStep(address, flags, step))
        return;
    for (ULONG i = 0; objects->Count > 1 && objects->WaitType == WaitAny && i < objects->Count;
         i++) {
        if (objects->Type[i] == TimerNotificationObject ||
            objects->Type[i] == TimerSynchronizationObject) {
            // A periodic thread: the timer ends the wait whatever the others do.
            step->Object = objects->Object[i];
            step->End = KdWaitTimer;
            RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                            "a timer (%s %016llx) among its WaitAny objects: it wakes by itself",
                            KdpWaitObjectKind(objects->Type[i]),
                            (unsigned long long)step->Object);
            return;
        }
    }
    for (ULONG i = 0; i < objects->Count; i++) {
        UCHAR type = objects->Type[i];

        step->Object = objects->Object[i];
        if (type == TimerNotificationObject || type == TimerSynchronizationObject)
            continue;
        if (type == MutantObject) {
            step->End = KdWaitRunning;
            RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                            "Mutant %016llx has no other owner: the wait is being satisfied",
                            (unsigned long long)step->Object);
            return;
        }
        if (type == SemaphoreObject && objects->Count == 1) {
            KD_WAIT_WAITERS waiters = { address, 0 };

            KdpWalkList(step->Object + FIELD_OFFSET(DISPATCHER_HEADER, WaitListHead),
                        "WaitListHead", KdpWaitCountWaiter, &waiters);
            if (waiters.Others) {
                // Several threads on one semaphore: a pool waiting for work.
                step->End = KdWaitIdle;
                RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                                "waits by design: Semaphore %016llx, count 0, %u other threads "
                                "wait on it too: a pool waiting for work",
                                (unsigned long long)step->Object, waiters.Others);
                return;
            }
        }
        if (KdpWaitDriverLock(address, self, objects, flags, step))
            return;
        if ((type == EventNotificationObject || type == EventSynchronizationObject) &&
            objects->Count == 1 && KdpWaitEventSetter(self, step->Object, step)) {
            if (flags & KD_WAIT_DETAIL)
                KdpPrint("    waits on %s %016llx\n", KdpWaitObjectKind(type),
                         (unsigned long long)step->Object);
            return;
        }
        step->End = KdWaitNoOwner;
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "%s %016llx%s: no owner (an event or a semaphore names no one)",
                        KdpWaitObjectKind(type), (unsigned long long)step->Object, any);
        KdpWaitNoteWorker(self, step);
        if (flags & KD_WAIT_DETAIL) {
            KdpPrint("    waits on %s %016llx\n", KdpWaitObjectKind(type),
                     (unsigned long long)step->Object);
            KdpWaitPrintCandidates(address, step->Object);
        }
        return;
    }
    step->End = KdWaitTimer;
    RtlStringPrintf(step->Evidence, sizeof(step->Evidence), "%s: it wakes by itself",
                    objects->Count ? "a timer" : "a delay (its own timer)");
}

BOOLEAN KdpWaitStep(ULONG64 address, ULONG flags, KD_WAIT_STEP *step)
{
    const KD_WAIT_THREAD *self;
    KD_WAIT_OBJECTS objects;
    ETHREAD thread;

    memset(step, 0, sizeof(*step));
    step->Thread = address;
    if (!KdpIsThread(address) || !KdpReadMemory(address, &thread, sizeof(thread))) {
        step->End = KdWaitError;
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "error: %016llx is not a readable thread (corrupt link?)",
                        (unsigned long long)address);
        return FALSE;
    }
    self = KdpWaitFindThread(address);
    switch (thread.Tcb.State) {
    case Waiting:
        break;
    case Running:
        KdpWaitRunningStep(address, &thread.Tcb, step);
        return TRUE;
    case Ready:
    case Standby:
    case DeferredReady:
        step->End = KdWaitRunning;
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence), "ready to run: not blocked");
        return TRUE;
    default:
        step->End = KdWaitEnded;
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence), "%s",
                        thread.Tcb.State == Terminated ? "terminated" : "has not started");
        return TRUE;
    }
    if (!self) {
        step->End = KdWaitError;
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "error: the thread is on no process's thread list (corrupt?)");
        return TRUE;
    }
    if (thread.Tcb.WaitReason == WrLpcReply && thread.AlpcMessageId) {
        KdpWaitAlpcStep(&thread, self, flags, step);
        return TRUE;
    }
    if (thread.Tcb.WaitReason == WrLpcReply && thread.LpcReplyMessageId) {
        KdpWaitLpcStep(&thread, self, flags, step);
        return TRUE;
    }
    if (!KdpWaitReadObjects(address, &thread.Tcb, &objects, step)) {
        step->End = KdWaitError;
        return TRUE;
    }
    if (KdpWaitByDesign(address, &thread, &objects, step))
        return TRUE;
    KdpWaitOnObjects(address, self, &objects, flags, step);
    return TRUE;
}
