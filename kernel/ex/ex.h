// The executive: its dispatcher-object types and their services, and the
// services that belong to no other component.
#pragma once

#include "rtl/rtl.h"
#include "ps/ps.h"
#include "ke/ke.h"
#include "ob/ob.h"
#include "ndk/ntexapi.h"    // the ABI: rights, information layouts, the Nt* services

// ---- Executive dispatcher objects (event.c, semaphore.c, mutant.c, timer.c) ----
//
// The kernel's KEVENT, KSEMAPHORE and KMUTANT, and an ETIMER around a
// KTIMER, given names and handles as the object types Event, Semaphore,
// Mutant and Timer (in \ObjectTypes).

#include "ke/ke.h"
#include "ob/ob.h"

extern OBJECT_TYPE *ExEventObjectType;
extern OBJECT_TYPE *ExSemaphoreObjectType;
extern OBJECT_TYPE *ExMutantObjectType;
extern OBJECT_TYPE *ExTimerType;

struct _ETHREAD;

// An executive timer: the KTIMER that waiters see, and what NtSetTimer's
// APC needs: the DPC that runs when the timer expires and queues the APC to
// the thread that set it, and the period to keep doing so.
typedef struct _ETIMER {
    KTIMER KeTimer;
    KAPC TimerApc;
    KDPC TimerDpc;
    LIST_ENTRY ActiveTimerListEntry;    // on ExpActiveTimerListHead while an APC is set
    KSPIN_LOCK Lock;
    LONG Period;                        // milliseconds, 0: one-shot
    BOOLEAN ApcAssociated;              // the timer holds a reference on itself and the thread
    struct _ETHREAD *ApcThread;
} ETIMER;

// Creates the four object types; called once at boot after ObInitSystem.
void ExInitSystem(void);
void ExpInitializeEventImplementation(void);
void ExpInitializeSemaphoreImplementation(void);
void ExpInitializeMutantImplementation(void);
void ExpInitializeTimerImplementation(void);

// The executive's part of ending a thread: every timer whose APC would go
// to `thread` is cancelled (NT's ExTimerRundown). The process manager calls
// it as the thread exits.
void ExTimerRundown(struct _ETHREAD *thread);

// The thread's message queue (ex/usermsg.c: its THREADINFO, KTHREAD.Win32Thread)
// and the messages posted to it go as it exits, as win32k's thread callout
// frees them on NT.
void ExUserThreadExit(struct _ETHREAD *thread);

// The checks every NtQuery* service of these objects makes before it looks at the
// handle, in NT's order: the class (STATUS_INVALID_INFO_CLASS), the length
// (STATUS_INFO_LENGTH_MISMATCH), then the buffer and the optional
// ReturnLength (STATUS_ACCESS_VIOLATION, STATUS_DATATYPE_MISALIGNMENT).
NTSTATUS ExpCheckQueryBuffer(ULONG informationClass, ULONG length, ULONG expectedLength,
                             void *buffer, ULONG *returnLength);
// Writes the answer and its length once the query has succeeded.
NTSTATUS ExpReturnQueryBuffer(void *buffer, const void *answer, ULONG length,
                              ULONG *returnLength);
// An optional LONG/BOOLEAN out-parameter, probed before anything is done.
NTSTATUS ExpProbeOptionalOut(void *pointer, SIZE_T size);

// The timer internals the services share, for the in-kernel tests too: a
// new timer object (one reference, no handle); arms `timer` (an APC
// routine, if any, goes to the current thread) and returns the state it
// had; cancels it and its pending APC.
NTSTATUS ExpCreateTimerObject(TIMER_TYPE timerType, ETIMER **timer);
BOOLEAN ExpSetTimer(ETIMER *timer, LARGE_INTEGER dueTime, PTIMER_APC_ROUTINE apcRoutine,
                    void *timerContext, LONG period);
BOOLEAN ExpCancelTimer(ETIMER *timer);

// ---- System worker queues (worker.c) ------------------------------------------------
//
// NT's system worker threads: three KQUEUEs in the global array
// ExWorkerQueue, each with static threads created at boot and dynamic
// threads the balance manager adds when a queue is stuck (docs/worker-queues.md).

typedef enum _WORK_QUEUE_TYPE {
    CriticalWorkQueue = 0,
    DelayedWorkQueue = 1,
    HyperCriticalWorkQueue = 2,
    MaximumWorkQueue = 3,
} WORK_QUEUE_TYPE;

typedef void (*PWORKER_THREAD_ROUTINE)(void *parameter);

// NT's x64 layout: the List links the item into the queue's EntryListHead
// and is NULL (Flink) whenever the item is not queued.
typedef struct _WORK_QUEUE_ITEM {
    LIST_ENTRY List;
    PWORKER_THREAD_ROUTINE WorkerRoutine;
    void *Parameter;
} WORK_QUEUE_ITEM;

_Static_assert(offsetof(WORK_QUEUE_ITEM, WorkerRoutine) == 0x10, "WORK_QUEUE_ITEM is NT's x64");
_Static_assert(offsetof(WORK_QUEUE_ITEM, Parameter) == 0x18, "WORK_QUEUE_ITEM is NT's x64");
_Static_assert(sizeof(WORK_QUEUE_ITEM) == 0x20, "WORK_QUEUE_ITEM is 0x20 bytes on x64");

typedef union _EX_QUEUE_WORKER_INFO {
    struct {
        ULONG QueueDisabled : 1;
        ULONG MakeThreadsAsNecessary : 1;   // ExQueueWorkItem may wake the balance manager
        ULONG WaitMode : 1;
        ULONG WorkerCount : 29;             // static and dynamic threads alive
    };
    LONG QueueWorkerInfo;
} EX_QUEUE_WORKER_INFO;

typedef struct _EX_WORK_QUEUE {
    KQUEUE WorkerQueue;                 // Header.SignalState: the items waiting
    ULONG DynamicThreadCount;
    ULONG WorkItemsProcessed;
    ULONG WorkItemsProcessedLastPass;   // the balance manager's last look
    ULONG QueueDepthLastPass;
    EX_QUEUE_WORKER_INFO Info;
} EX_WORK_QUEUE;

_Static_assert(offsetof(EX_WORK_QUEUE, DynamicThreadCount) == 0x40, "EX_WORK_QUEUE is NT's x64");
_Static_assert(offsetof(EX_WORK_QUEUE, WorkItemsProcessed) == 0x44, "EX_WORK_QUEUE is NT's x64");
_Static_assert(offsetof(EX_WORK_QUEUE, WorkItemsProcessedLastPass) == 0x48,
               "EX_WORK_QUEUE is NT's x64");
_Static_assert(offsetof(EX_WORK_QUEUE, QueueDepthLastPass) == 0x4c, "EX_WORK_QUEUE is NT's x64");
_Static_assert(offsetof(EX_WORK_QUEUE, Info) == 0x50, "EX_WORK_QUEUE is NT's x64");
_Static_assert(sizeof(EX_WORK_QUEUE) == 0x58, "EX_WORK_QUEUE is 0x58 bytes on x64");

extern EX_WORK_QUEUE ExWorkerQueue[MaximumWorkQueue];

// How many threads of each kind a queue may have, and the balance manager's
// timing. The two times live in ExpWorkerTiming so that the tests (and the
// exqueue demo) can shorten them; ExpSetWorkerTiming re-arms the manager.
#define EXP_MAX_DYNAMIC_THREADS         16
#define EXP_BALANCE_INTERVAL_MS         1000            // NT's THREAD_SET_INTERVAL
#define EXP_DYNAMIC_THREAD_IDLE_MS      (10 * 60 * 1000)
#define EXP_DYNAMIC_THREAD              0x80000000U     // in a worker's StartContext
#define EXP_SYSTEM_RANGE_START          0xFFFF800000000000ULL   // routines must lie above

typedef struct _EXP_WORKER_TIMING {
    ULONG BalanceIntervalMs;
    ULONG DynamicThreadIdleMs;
} EXP_WORKER_TIMING;

extern EXP_WORKER_TIMING ExpWorkerTiming;
void ExpSetWorkerTiming(ULONG balanceIntervalMs, ULONG dynamicThreadIdleMs);

// WORKER_INVALID's first parameter: what was wrong (NT's values).
#define WORKER_INVALID_ACTIVE_ITEM_QUEUED   0x1
#define WORKER_INVALID_QUEUED_IO_ITEM_FREED 0x2
#define WORKER_INVALID_IO_OBJECT            0x3
#define WORKER_INVALID_BEFORE_INIT          0x5
#define WORKER_INVALID_QUEUE_TYPE           0x6
#define WORKER_INVALID_ROUTINE              0x7

// Creates the static worker threads and the balance manager: once, in
// phase 1 of initialization (threads can be readied only once the
// interrupt controllers are up).
void ExpWorkerInitialization(void);

static inline void ExInitializeWorkItem(WORK_QUEUE_ITEM *item, PWORKER_THREAD_ROUTINE routine,
                                        void *parameter)
{
    item->WorkerRoutine = routine;
    item->Parameter = parameter;
    item->List.Flink = NULL;
}

// Queues `item` at IRQL <= DISPATCH_LEVEL. A routine outside kernel space,
// an item already queued or a bad queue type is a WORKER_INVALID bugcheck.
void ExQueueWorkItem(WORK_QUEUE_ITEM *item, WORK_QUEUE_TYPE queueType);
// The items waiting in a queue, read in O(1) (the KQUEUE's SignalState).
ULONG ExpQueueDepth(WORK_QUEUE_TYPE queueType);
// What a worker checks after each routine returns: the IRQL is back at
// PASSIVE_LEVEL and the thread no longer impersonates; otherwise the
// bugcheck names the routine. (Exposed for the tests.)
void ExpCheckWorkerReturn(PWORKER_THREAD_ROUTINE routine, void *parameter,
                          WORK_QUEUE_ITEM *item);
