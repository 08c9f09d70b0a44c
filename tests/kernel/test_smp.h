// What the multiprocessor stress tests (test_smp*.c) share. Under QEMU's
// TCG every processor is a host thread, and on a loaded host one may not
// run for a long while: these tests tell a slow machine from a lost wake by
// progress, not by a fixed time. A test whose shared counter stops moving
// for KT_SMP_STALL_MS has failed (a lost wake stops it for good); one whose
// counter keeps moving waits as long as it takes. Their shared state lives
// in pool, so that a thread that never ends can never write into the stack
// of a test that has returned.
#pragma once

#include "tests/kernel/test_dispatcher.h"

#define KT_SMP_STALL_MS 10000
#define KT_SMP_TAG POOL_TAG('K', 't', 'S', 'm')
#define KT_SMP_HUNDRED_NS_PER_MS 10000

// A non-alertable kernel-mode wait bounded by KT_SMP_STALL_MS.
NTSTATUS KtSmpWait(void *object);

// Nonpaged, zeroed; NULL fails the test.
void *KtSmpAllocate(SIZE_T size);

// Joins every thread (dropping its reference) while *progress keeps
// changing. When it stops for KT_SMP_STALL_MS the test fails, *stop is set
// for the threads to leave their loops, and they are waited for again.
// TRUE: every thread has ended (the shared state may be freed); FALSE: one
// still runs, and its reference and the shared state are left alone.
BOOLEAN KtSmpJoinThreads(ETHREAD **threads, ULONG count, volatile ULONG64 *progress,
                         volatile LONG *stop);
