// The dispatcher's data structures, with NT's names and (where the debugger
// shows them) NT's x64 field order: DISPATCHER_HEADER is 0x18 bytes and a
// KQUEUE 0x40, as `dt nt!_KQUEUE` prints in the case studies.
#pragma once

#include "rtl/rtl.h"
#include "ndk/ntkeapi.h"    // the ABI: KPRIORITY, EVENT_TYPE, WAIT_TYPE, CONTEXT

#define LOW_PRIORITY            0
#define LOW_REALTIME_PRIORITY   16
#define HIGH_PRIORITY           31
#define MAXIMUM_PRIORITY        32
#define NORMAL_BASE_PRIORITY    8

#define THREAD_WAIT_OBJECTS     3       // wait blocks built into every thread
#define TIMER_WAIT_BLOCK        3       // the extra one that waits on the thread's timer

#define EVENT_INCREMENT         1
#define SEMAPHORE_INCREMENT     1
#define MUTANT_INCREMENT        1
#define IO_NO_INCREMENT         0

#define MUTANT_LIMIT            0x80000000U
#define MAXIMUM_SUSPEND_COUNT   127     // NT's: one more suspend fails

// DISPATCHER_HEADER.Type: NT's KOBJECTS values.
typedef enum _KOBJECTS {
    EventNotificationObject = 0,
    EventSynchronizationObject = 1,
    MutantObject = 2,
    ProcessObject = 3,
    QueueObject = 4,
    SemaphoreObject = 5,
    ThreadObject = 6,
    GateObject = 7,
    TimerNotificationObject = 8,
    TimerSynchronizationObject = 9,
    MaximumKernelObject = 10,
} KOBJECTS;

typedef enum _KTHREAD_STATE {
    Initialized,
    Ready,
    Running,
    Standby,
    Terminated,
    Waiting,
    Transition,
    DeferredReady,
} KTHREAD_STATE;

// Why a thread waits: NT's KWAIT_REASON, shown by `!thread` as WAIT: (Reason).
typedef enum _KWAIT_REASON {
    Executive,
    FreePage,
    PageIn,
    PoolAllocation,
    DelayExecution,
    Suspended,
    UserRequest,
    WrExecutive,
    WrFreePage,
    WrPageIn,
    WrPoolAllocation,
    WrDelayExecution,
    WrSuspended,
    WrUserRequest,
    WrEventPair,
    WrQueue,
    WrLpcReceive,
    WrLpcReply,
    WrVirtualMemory,
    WrPageOut,
    WrRendezvous,
    Spare2,
    Spare3,
    Spare4,
    Spare5,
    Spare6,
    WrKernel,
    WrResource,
    WrPushLock,
    WrMutex,
    WrQuantumEnd,
    WrDispatchInt,
    WrPreempted,
    WrYieldExecution,
    MaximumWaitReason,
} KWAIT_REASON;

typedef struct _DISPATCHER_HEADER {
    UCHAR Type;                 // KOBJECTS
    UCHAR Absolute;             // timers: the due time was absolute
    UCHAR Size;                 // in 8-byte units, as NT
    UCHAR Inserted;             // timers: in the timer table
    LONG SignalState;
    LIST_ENTRY WaitListHead;
} DISPATCHER_HEADER;

struct _KTHREAD;

typedef struct _KWAIT_BLOCK {
    LIST_ENTRY WaitListEntry;   // on the object's WaitListHead
    struct _KTHREAD *Thread;
    void *Object;
    struct _KWAIT_BLOCK *NextWaitBlock;     // circular list of the thread's blocks
    USHORT WaitKey;             // index: STATUS_WAIT_0 + WaitKey on satisfaction
    UCHAR WaitType;             // WAIT_TYPE
    UCHAR SpareByte;
    LONG SpareLong;
} KWAIT_BLOCK;

typedef struct _KEVENT {
    DISPATCHER_HEADER Header;
} KEVENT;

typedef struct _KSEMAPHORE {
    DISPATCHER_HEADER Header;
    LONG Limit;
} KSEMAPHORE;

typedef struct _KMUTANT {
    DISPATCHER_HEADER Header;   // SignalState 1: free; <= 0: owned (-recursion + 1)
    LIST_ENTRY MutantListEntry; // on the owner's MutantListHead
    struct _KTHREAD *OwnerThread;
    BOOLEAN Abandoned;
    UCHAR ApcDisable;
} KMUTANT, KMUTEX;

struct _KDPC;
typedef void (*PKDEFERRED_ROUTINE)(struct _KDPC *dpc, void *deferredContext,
                                   void *systemArgument1, void *systemArgument2);

typedef struct _KDPC {
    UCHAR Type;
    UCHAR Importance;
    USHORT Number;
    LIST_ENTRY DpcListEntry;
    PKDEFERRED_ROUTINE DeferredRoutine;
    void *DeferredContext;
    void *SystemArgument1;
    void *SystemArgument2;
    void *DpcData;              // non-NULL while queued
} KDPC;

typedef struct _KTIMER {
    DISPATCHER_HEADER Header;
    ULONG64 DueTime;                // the KeTickCount at which it expires
    LIST_ENTRY TimerListEntry;      // in the timer table
    KDPC *Dpc;
    LONG Period;                    // milliseconds, 0 for one-shot
} KTIMER;

typedef struct _KQUEUE {
    DISPATCHER_HEADER Header;   // SignalState: entries queued
    LIST_ENTRY EntryListHead;
    ULONG CurrentCount;         // threads bound to the queue and running
    ULONG MaximumCount;
    LIST_ENTRY ThreadListHead;
} KQUEUE;

_Static_assert(sizeof(DISPATCHER_HEADER) == 0x18, "DISPATCHER_HEADER is 0x18 bytes on x64");
_Static_assert(offsetof(KQUEUE, MaximumCount) == 0x2c, "KQUEUE matches NT's x64 layout");
_Static_assert(sizeof(KQUEUE) == 0x40, "KQUEUE is 0x40 bytes on x64");

struct _KAPC;
typedef void (*PKNORMAL_ROUTINE)(void *normalContext, void *systemArgument1,
                                 void *systemArgument2);
typedef void (*PKKERNEL_ROUTINE)(struct _KAPC *apc, PKNORMAL_ROUTINE *normalRoutine,
                                 void **normalContext, void **systemArgument1,
                                 void **systemArgument2);
typedef void (*PKRUNDOWN_ROUTINE)(struct _KAPC *apc);

typedef enum _KAPC_ENVIRONMENT { OriginalApcEnvironment, CurrentApcEnvironment } KAPC_ENVIRONMENT;

typedef struct _KAPC {
    UCHAR Type;
    UCHAR SpareByte0;
    UCHAR Size;
    UCHAR SpareByte1;
    struct _KTHREAD *Thread;
    LIST_ENTRY ApcListEntry;
    PKKERNEL_ROUTINE KernelRoutine;
    PKRUNDOWN_ROUTINE RundownRoutine;
    PKNORMAL_ROUTINE NormalRoutine;
    void *NormalContext;
    void *SystemArgument1;
    void *SystemArgument2;
    CHAR ApcStateIndex;
    KPROCESSOR_MODE ApcMode;
    BOOLEAN Inserted;
} KAPC;

struct _KPROCESS;

typedef struct _KAPC_STATE {
    LIST_ENTRY ApcListHead[MaximumMode];
    struct _KPROCESS *Process;
    BOOLEAN KernelApcInProgress;
    BOOLEAN KernelApcPending;
    BOOLEAN UserApcPending;
} KAPC_STATE;

typedef struct _KTHREAD {
    DISPATCHER_HEADER Header;   // signaled when the thread has terminated
    void *InitialStack;         // top of the kernel stack
    void *StackLimit;           // lowest usable address
    void *StackBase;            // highest address
    void *KernelStack;          // saved stack pointer while not running
    UCHAR State;                // KTHREAD_STATE
    BOOLEAN Alertable;
    BOOLEAN Alerted[MaximumMode];
    KPROCESSOR_MODE WaitMode;
    UCHAR WaitReason;           // KWAIT_REASON
    KIRQL WaitIrql;
    BOOLEAN WaitNext;
    LONG_PTR WaitStatus;
    KWAIT_BLOCK *WaitBlockList;
    KWAIT_BLOCK WaitBlock[THREAD_WAIT_OBJECTS + 1];
    KTIMER Timer;               // for wait timeouts
    LIST_ENTRY WaitListEntry;   // on a ready list while Ready
    CHAR Priority;
    CHAR BasePriority;
    CHAR PriorityDecrement;
    CHAR Saturation;
    LONG Quantum;               // in clock-tick thirds, as NT counts it
    ULONG64 WaitTime;           // KeTickCount when the current wait began
    ULONG ContextSwitches;
    ULONG KernelTime;           // ticks
    ULONG UserTime;
    SHORT KernelApcDisable;
    SHORT SpecialApcDisable;
    KAPC_STATE ApcState;
    BOOLEAN ApcQueueable;
    BOOLEAN Terminated;
    KAPC SuspendApc;            // queued on the first suspend: waits on SuspendSemaphore
    KSEMAPHORE SuspendSemaphore;    // released when the suspend count drops to 0
    ULONG SuspendCount;
    struct _KQUEUE *Queue;      // the queue this thread is bound to (KeRemoveQueue)
    LIST_ENTRY QueueListEntry;
    LIST_ENTRY MutantListHead;  // mutants this thread owns
    LIST_ENTRY ThreadListEntry; // in the process's ThreadListHead
    struct _KPROCESS *Process;
    void *Teb;
    void *Win32Thread;
    void *TrapFrame;            // the user-mode trap frame, once there is user mode
    ULONG ThreadNumber;         // debugging aid: creation order
    struct _KRECOVERY_FRAME *RecoveryFrame; // innermost guarded call (KeCallWithRecovery)
    // Multiprocessor scheduling (sched.c, affinity.c).
    ULONG64 Affinity;           // processors it may run on (KAFFINITY)
    ULONG64 UserAffinity;       // what KeRevertToUserAffinityThread restores
    UCHAR IdealProcessor;       // where it is readied when no processor is idle
    UCHAR NextProcessor;        // the processor it runs, stands by or is ready on
    BOOLEAN SystemAffinityActive;   // KeSetSystemAffinityThread is in force
    volatile BOOLEAN SwapBusy;  // its registers are being saved (ctxswap.asm clears it)
} KTHREAD;

typedef struct _KPROCESS {
    DISPATCHER_HEADER Header;   // signaled when the last thread has ended
    LIST_ENTRY ProfileListHead;
    ULONG64 DirectoryTableBase;
    LIST_ENTRY ThreadListHead;
    KPRIORITY BasePriority;
    CHAR QuantumReset;
    ULONG ActiveThreads;
    ULONG KernelTime;
    ULONG UserTime;
    void *UserApcDispatcher;    // where user APCs enter user mode (KiUserApcDispatcher)
    ULONG64 Affinity;           // processors its threads may run on (KAFFINITY)
    ULONG ThreadSeed;           // the next thread's ideal processor, round robin
} KPROCESS;

// ctxswap.asm saves the stack pointer at this offset.
_Static_assert(offsetof(KTHREAD, KernelStack) == 0x30, "KTHREAD.KernelStack offset");
_Static_assert(offsetof(KTHREAD, SwapBusy) == 0x2B3, "KTHREAD.SwapBusy offset (ctxswap.asm)");
