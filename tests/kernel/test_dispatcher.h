// What the dispatcher tests (test_dispatcher_*.c) share: test threads that
// are always joined, waits that always end, and a way to outwait the reaper.
//
// The tests run one after another in one boot, so each leaves the system as
// it found it: every thread it started has ended, nothing is armed, no
// thread is bound to one of its queues.
#pragma once

#include "tests/kernel/ktest.h"
#include "ke/ke.h"
#include "ps/ps.h"
#include "mm/mm.h"

// No wait in a test is unbounded: every one gives up after this long.
#define KT_WAIT_LIMIT_MS 2000

// A delay or timeout of 100 ms is 6.4 ticks: it ends after at least 6 and,
// on an otherwise idle system, well before 30.
#define KT_100_MS 100
#define KT_100_MS_MIN_TICKS 6
#define KT_100_MS_MAX_TICKS 30

// A priority above the test thread's (8, plus any unwait boost): a thread
// started at it runs as soon as it is ready.
#define KT_HIGH_PRIORITY 12
// A priority below the test thread's: a thread started at it runs only when
// the test thread waits.
#define KT_LOW_PRIORITY 4

// KT_EXPECT returns at once. While test threads still run, a failed check
// must not skip the code that ends them: these record the failure and go on.
#define KT_CHECK(condition)                                                                \
    do {                                                                                   \
        if (!(condition))                                                                  \
            KtFail(__FILE__, __LINE__, #condition);                                        \
    } while (0)
#define KT_CHECK_EQ(a, b) KT_CHECK((a) == (b))

extern LARGE_INTEGER KtWaitLimit;       // relative, KT_WAIT_LIMIT_MS
extern LARGE_INTEGER KtZeroTimeout;     // a poll

LARGE_INTEGER KtRelativeTime(LONG milliseconds);
void KtSleep(LONG milliseconds);
void KtSleepTicks(ULONG ticks);

// A non-alertable kernel-mode wait bounded by KtWaitLimit, and a poll.
NTSTATUS KtWait(void *object);
NTSTATUS KtPoll(void *object);

// A System thread at `priority` running routine(context): the referenced
// ETHREAD, or NULL (the test has failed).
ETHREAD *KtStartThread(PKSTART_ROUTINE routine, void *context, KPRIORITY priority);
// Waits for the thread to end and drops the reference. A thread that does
// not end in time fails the test and is ended by a kernel APC.
BOOLEAN KtJoinThread(ETHREAD *thread);
// Queues a kernel APC that ends `thread` with STATUS_THREAD_IS_TERMINATING.
BOOLEAN KtTerminateThread(ETHREAD *thread);

// Is one of the thread's wait blocks on the object's wait list?
BOOLEAN KtIsWaitingOn(ETHREAD *thread, void *object);
// Sleeps a tick at a time until the thread waits on `object`; FALSE (the
// test has failed) if it does not within the wait limit.
BOOLEAN KtWaitUntilWaitingOn(ETHREAD *thread, void *object);
// Sleeps a tick at a time until *value == expected; FALSE if it never is.
BOOLEAN KtWaitUntilEqual(volatile LONG *value, LONG expected);
ULONG KtWaitListLength(void *object);

// A kernel APC routine that counts its runs in *(volatile LONG *)SystemArgument1.
void KtCountingApcRoutine(KAPC *apc, PKNORMAL_ROUTINE *normalRoutine, void **normalContext,
                          void **systemArgument1, void **systemArgument2);

// Polls a mutant and, if that acquired it, releases it again: what the
// next acquirer would be told, without leaving the test thread owning it.
NTSTATUS KtProbeMutant(KMUTANT *mutant);

// A thread waiting on one object: the building block of most tests here.
typedef struct _KT_WAITER {
    void *Object;
    volatile LONG *Sequence;    // optional, shared: numbers the wakeups in order
    ETHREAD *Thread;
    NTSTATUS Status;            // what its wait returned
    LONG Order;                 // its number in *Sequence (1: woken first)
    volatile LONG Done;
} KT_WAITER;

// Starts a waiter on `object` and returns once it waits there.
BOOLEAN KtStartWaiter(KT_WAITER *waiter, void *object, KPRIORITY priority,
                      volatile LONG *sequence);
LONG KtCountDone(KT_WAITER *waiters, ULONG count);

// Pages of kernel stacks in use, and a bounded wait for the reaper (which
// frees an ended thread's stack in a DPC) to bring them back to `expected`.
PFN_NUMBER KtKernelStackPages(void);
BOOLEAN KtWaitForKernelStackPages(PFN_NUMBER expected);
ULONG KtPoolTagCount(ULONG tag);

// An ended thread keeps a reference on itself until the reaper (a DPC on
// the processor it ended on, after its last switch) frees its stack: on
// several processors its waiter can run first. Sleeps a tick at a time
// until the object's pointer count is `expected` (the caller's own
// references); FALSE if it is not within the wait limit.
BOOLEAN KtWaitForPointerCount(void *object, LONG_PTR expected);
// Is `object` still one of `type`'s objects (on its type list)? Exact
// where a global pool-tag count is not: other tests' processes and threads
// may be freed on other processors meanwhile.
BOOLEAN KtIsObjectOfType(void *object, OBJECT_TYPE *type);

#define KT_THREAD_TAG  POOL_TAG('T', 'h', 'r', 'e')
#define KT_PROCESS_TAG POOL_TAG('P', 'r', 'o', 'c')
