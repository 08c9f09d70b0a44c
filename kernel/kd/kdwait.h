// Wait chains (waitchain.c, waitlpc.c, waitio.c): from a blocked thread to
// whoever should end its wait, one hop at a time, from what the kernel
// really holds. A hop is a fact (a mutant's OwnerThread, a server thread's
// LpcReceivedMessageId) or a ranked candidate (a server thread with the
// client's Wait Start TickCount), and says which. Every structure is read
// through KdpReadMemory: a corrupt one ends the walk with an error line.
// `!waitchain` and `!analyze -hang` (cmdwait.c, cmdanalyze.c) print them.
#pragma once

#include "kd/kd.h"
#include "ps/ps.h"

#define KD_WAIT_EVIDENCE     448     // one hop's evidence, one line
#define KD_WAIT_MAX_THREADS  4096    // threads indexed per command
#define KD_WAIT_MAX_HOPS     64      // a longer chain is cut (and says so)

// Where a thread's wait leads.
typedef enum _KD_WAIT_END {
    KdWaitFollow,           // Next holds it up (a fact, or a candidate if Candidate)
    KdWaitRunning,          // running, ready or standby: not blocked
    KdWaitTimer,            // a delay or a timer: it wakes by itself
    KdWaitIdle,             // waits by design: an empty worker queue, an LPC receive...
    KdWaitNoOwner,          // an event or semaphore nobody owns: the chain ends here
    KdWaitDriver,           // an IRP pending in a driver no thread works for
    KdWaitEnded,            // terminated, or never started
    KdWaitError,            // something on the way cannot be read or is corrupt
} KD_WAIT_END;

typedef struct _KD_WAIT_STEP {
    ULONG64 Thread;
    KD_WAIT_END End;
    ULONG64 Next;               // KdWaitFollow: the thread it waits for
    BOOLEAN Candidate;          // Next is a ranked candidate, not a fact
    ULONG64 Object;             // the object the wait is on (the driver for KdWaitDriver)
    KIRQL Irql;                 // KdWaitRunning: the IRQL it runs at, when known
    BOOLEAN IrqlKnown;
    BOOLEAN Spinning;           // KdWaitRunning: in a spin loop (waitspin.c)
    char Evidence[KD_WAIT_EVIDENCE];
} KD_WAIT_STEP;

// What the walk knows of each thread, read once per command.
typedef struct _KD_WAIT_THREAD {
    ULONG64 Address;
    ULONG64 Process;
    ULONG64 WaitTime;           // KTHREAD.WaitTime: the Wait Start TickCount
    ULONG64 ImpersonationToken;
    ULONG64 Queue;              // KTHREAD.Queue: the KQUEUE a worker is bound to
    ULONG64 Cid;                // UniqueThread
    ULONG64 ProcessCid;
    ULONG LpcReceivedMessageId; // 0 unless LpcReceivedMsgIdValid
    UCHAR State;
    UCHAR WaitReason;
    UCHAR WaitMode;
    BOOLEAN SystemThread;
} KD_WAIT_THREAD;

#define KD_WAIT_HASH_SIZE (KD_WAIT_MAX_THREADS * 2)

// Two open-addressing hashes over Threads, so that a lookup costs the same
// with 10 threads or 4,000 (the forest of `-a` makes one per thread): by
// address, and by the LPC message id a server thread holds.
typedef struct _KD_WAIT_INDEX {
    ULONG Count;
    BOOLEAN Truncated;          // more threads than KD_WAIT_MAX_THREADS
    KD_WAIT_THREAD Threads[KD_WAIT_MAX_THREADS];
    LONG ByAddress[KD_WAIT_HASH_SIZE];
    LONG ByMessageId[KD_WAIT_HASH_SIZE];
} KD_WAIT_INDEX;

extern KD_WAIT_INDEX KdpWaitIndex;

// Reads every thread of every process into KdpWaitIndex (once per command).
void KdpWaitBuildIndex(void);
// The index entry of `thread`, or NULL.
const KD_WAIT_THREAD *KdpWaitFindThread(ULONG64 thread);
// The thread (other than `except`) whose LpcReceivedMessageId is `id`, or NULL.
const KD_WAIT_THREAD *KdpWaitFindMessageHolder(ULONG id, ULONG64 except);

// Flags of KdpWaitStep.
#define KD_WAIT_DETAIL 0x1      // print the hop's detail lines (candidates, IRPs, items)

// One hop: what `thread` waits for and who holds it. FALSE only when the
// thread itself cannot be read (End is then KdWaitError).
BOOLEAN KdpWaitStep(ULONG64 thread, ULONG flags, KD_WAIT_STEP *step);

// "lpcdemo.exe Cid 0030.0034" for a thread.
void KdpWaitDescribeThread(ULONG64 thread, char *text, size_t size);
// The code the thread chose to wait in (the first frame that is not the
// dispatcher's machinery, "mup!MupLocateUncProviderForPath+0x4a"), and its
// module ("mup"); "" when the stack cannot be walked.
void KdpWaitBlocker(ULONG64 thread, char *blocker, size_t blockerSize, char *module,
                    size_t moduleSize);
// "NotificationEvent", "Mutant"... for a dispatcher object; "object" if unreadable.
const char *KdpWaitObjectKindAt(ULONG64 object);
// Is the frame's symbol the dispatcher's own waiting machinery (cmdstacks.c)?
BOOLEAN KdpIsWaitMachinery(const char *symbol);
// The user SID of a token as text ("S-1-5-18"); "" when unreadable.
void KdpWaitTokenUser(ULONG64 token, char *text, size_t size);
// The token a thread runs as: its impersonation token, else its process's.
ULONG64 KdpWaitEffectiveToken(const KD_WAIT_THREAD *thread);

// A running thread (waitspin.c): the processor it keeps, its IRQL when the
// debugger knows it (the thread it interrupted), and whether it spins in a
// loop waiting for a memory word to change (a spin lock), with that word.
void KdpWaitRunningStep(ULONG64 thread, const KTHREAD *tcb, KD_WAIT_STEP *step);

// Handles of `process` to `object` (waitchain.c): the callback gets each;
// FALSE from it stops. At most KD_WAIT_MAX_HANDLES entries are read.
typedef BOOLEAN (*KD_WAIT_HANDLE_CALLBACK)(void *context, ULONG64 process, ULONG handle);
BOOLEAN KdpWaitHandlesTo(ULONG64 process, ULONG64 object, KD_WAIT_HANDLE_CALLBACK callback,
                         void *context);
// The critical-section hop (waitcs.c): a user-mode wait on a synchronization
// event that is a critical section's lock. TRUE when it decided the step.
BOOLEAN KdpWaitCriticalSection(const KD_WAIT_THREAD *self, ULONG64 event, KD_WAIT_STEP *step);

// The driver whose code is at `address` among the drivers that have no
// image of their own (IoCreateDriver's): one whose DRIVER_OBJECT gives a
// range (DriverStart, DriverSize) holding it. Its name ("mpio", from
// DriverName) in `name`; FALSE (and "") when no such driver says so.
BOOLEAN KdpWaitImagelessDriverAt(ULONG64 address, ULONG64 *driver, char *name, size_t size);

// Is `thread` one of the debugger's own (start.c)? `what` says what it waits for.
BOOLEAN KdpIsShellThread(ULONG64 thread, const char **what);

// The LPC hop (waitlpc.c): a thread in WrLpcReply.
void KdpWaitLpcStep(const ETHREAD *thread, const KD_WAIT_THREAD *self, ULONG flags,
                    KD_WAIT_STEP *step);
// The ALPC hop (waitalpc.c): a thread in WrLpcReply with an AlpcMessageId.
void KdpWaitAlpcStep(const ETHREAD *thread, const KD_WAIT_THREAD *self, ULONG flags,
                     KD_WAIT_STEP *step);
// The server threads of an LPC (or ALPC) request nobody holds, ranked by
// the first case study's evidence (waitlpc.c): the client's Wait Start
// TickCount (same: 4, within two ticks: 2), impersonating the client's user
// (1); threads in WrLpcReceive are idle, left out and counted.
#define KD_WAIT_MAX_CANDIDATES  8
#define KD_WAIT_SCORE_SAME_TICK 4
#define KD_WAIT_SCORE_NEAR_TICK 2
#define KD_WAIT_SCORE_CLIENT    1
typedef struct _KD_WAIT_CANDIDATE {
    const KD_WAIT_THREAD *Thread;
    ULONG Score;
    ULONG64 Distance;           // |Wait Start TickCount - the client's|
    BOOLEAN ImpersonatesClient;
} KD_WAIT_CANDIDATE;
void KdpWaitRankServerThreads(const KD_WAIT_THREAD *client, ULONG64 serverProcess,
                              KD_WAIT_CANDIDATE *candidates, ULONG *count, ULONG *receiving);
void KdpWaitPrintServerCandidate(ULONG rank, const KD_WAIT_CANDIDATE *candidate);
// Has the thread code in [start, end) on its kernel stack (waitio.c)?
BOOLEAN KdpWaitStackIn(ULONG64 thread, ULONG64 start, ULONG64 end);
// The I/O hop (waitio.c): a thread with IRPs pending. TRUE when it decided
// the step (an IRP is pending in another driver).
BOOLEAN KdpWaitIrpStep(ULONG64 thread, ULONG flags, KD_WAIT_STEP *step);
// Where the work items of `driver` wait in the system worker queues: how
// many, in which queue, and the position of the first (1: next to run).
typedef struct _KD_WAIT_ITEMS {
    ULONG Count;
    ULONG Queue;                // of the first
    ULONG FirstPosition;
    ULONG Pending;              // in that queue
} KD_WAIT_ITEMS;
void KdpWaitFindDriverItems(ULONG64 driver, KD_WAIT_ITEMS *items);
