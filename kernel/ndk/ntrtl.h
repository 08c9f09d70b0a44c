// The run-time library's structures that both sides read: a user program's
// critical section lives in its own memory, and the debugger's !waitchain
// reads it there to name the owner.
#pragma once

#include "ntdef.h"

// ntdll's critical section (x64 layout). LockCount is -1 when free; the
// owner makes it 0 and each thread that queues behind it adds one.
// LockSemaphore is the auto-reset event waiters sleep on, made on first
// contention; SpinCount's low 24 bits are how often a thread spins on a
// busy section before it sleeps (0 on one processor), the high byte NT's
// RTL_CRITICAL_SECTION_FLAG_* bits.
typedef struct _RTL_CRITICAL_SECTION {
    PVOID DebugInfo;
    LONG LockCount;
    LONG RecursionCount;
    HANDLE OwningThread;
    HANDLE LockSemaphore;
    ULONG_PTR SpinCount;
} RTL_CRITICAL_SECTION;

_Static_assert(offsetof(RTL_CRITICAL_SECTION, OwningThread) == 0x10, "NT's x64 layout");
_Static_assert(offsetof(RTL_CRITICAL_SECTION, LockSemaphore) == 0x18, "NT's x64 layout");
_Static_assert(sizeof(RTL_CRITICAL_SECTION) == 0x28, "NT's x64 layout");
