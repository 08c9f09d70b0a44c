// The dispatcher as user mode sees it: priorities, the kinds of events,
// timers and waits, and the x64 CONTEXT that NtContinue takes and user APC
// delivery saves. Part of the NT ABI (kernel/ndk/), shared by the kernel
// and user mode; the dispatcher's own structures are in kernel/ke/.
#pragma once

#include "ntdef.h"

typedef LONG KPRIORITY;

// The most objects one wait may name (STATUS_INVALID_PARAMETER beyond).
#define MAXIMUM_WAIT_OBJECTS 64

typedef enum _EVENT_TYPE { NotificationEvent, SynchronizationEvent } EVENT_TYPE;
typedef enum _TIMER_TYPE { NotificationTimer, SynchronizationTimer } TIMER_TYPE;
typedef enum _WAIT_TYPE { WaitAll, WaitAny } WAIT_TYPE;

// NT's x64 CONTEXT, as user mode sees it. Sleuth's threads use no floating
// point: FltSave and the vector registers are carried but never filled.
#define CONTEXT_AMD64    0x00100000
#define CONTEXT_CONTROL  (CONTEXT_AMD64 | 0x1)    // Rip, Rsp, EFlags, SegCs, SegSs
#define CONTEXT_INTEGER  (CONTEXT_AMD64 | 0x2)    // Rax..R15 but Rsp
#define CONTEXT_SEGMENTS (CONTEXT_AMD64 | 0x4)
#define CONTEXT_FULL     (CONTEXT_CONTROL | CONTEXT_INTEGER)
#define CONTEXT_ALIGNMENT 16

typedef struct __attribute__((aligned(16))) _M128A {
    ULONG64 Low;
    LONG64 High;
} M128A, *PM128A;

typedef struct __attribute__((aligned(16))) _CONTEXT {
    ULONG64 P1Home, P2Home, P3Home, P4Home, P5Home, P6Home;
    ULONG ContextFlags;
    ULONG MxCsr;
    USHORT SegCs, SegDs, SegEs, SegFs, SegGs, SegSs;
    ULONG EFlags;
    ULONG64 Dr0, Dr1, Dr2, Dr3, Dr6, Dr7;
    ULONG64 Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi;
    ULONG64 R8, R9, R10, R11, R12, R13, R14, R15;
    ULONG64 Rip;
    UCHAR FltSave[512];
    M128A VectorRegister[26];
    ULONG64 VectorControl;
    ULONG64 DebugControl;
    ULONG64 LastBranchToRip;
    ULONG64 LastBranchFromRip;
    ULONG64 LastExceptionToRip;
    ULONG64 LastExceptionFromRip;
} CONTEXT, *PCONTEXT;

_Static_assert(offsetof(CONTEXT, ContextFlags) == 0x30, "CONTEXT matches NT's x64 layout");
_Static_assert(offsetof(CONTEXT, Rax) == 0x78, "CONTEXT matches NT's x64 layout");
_Static_assert(offsetof(CONTEXT, Rip) == 0xf8, "CONTEXT matches NT's x64 layout");
_Static_assert(sizeof(CONTEXT) == 0x4d0, "CONTEXT is 0x4d0 bytes on x64");

// NtContinue: the thread goes on in user mode with the registers of
// ContextRecord (validated: user selectors, a user-half rip, sanitized
// flags); with testAlert, pending user APCs are delivered first, as after
// NtTestAlert. Returns only on failure.
NTSTATUS NTAPI NtContinue(CONTEXT *contextRecord, BOOLEAN testAlert);
