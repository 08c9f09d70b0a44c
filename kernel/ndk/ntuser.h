// The window manager's thread message queue as user mode sees it: NT's
// MSG and the two services of win32k's that Sleuth has (it has no windows,
// no desktop and no win32k.sys; ex/usermsg.c keeps one posted-message
// queue per thread). Part of the NT ABI (kernel/ndk/).
#pragma once

#include "ntdef.h"

typedef ULONG64 WPARAM;
typedef LONG64 LPARAM;
typedef void *HWND;

typedef struct _POINT {
    LONG x;
    LONG y;
} POINT;

// NT's x64 layout (48 bytes).
typedef struct _MSG {
    HWND hwnd;
    ULONG message;
    WPARAM wParam;
    LPARAM lParam;
    ULONG time;             // milliseconds since boot when it was posted
    POINT pt;
    ULONG lPrivate;
} MSG;

#define WM_NULL    0x0000
#define WM_QUIT    0x0012
#define WM_COMMAND 0x0111
#define WM_USER    0x0400

// How many posted messages a thread's queue holds (NT's default
// USERPostMessageLimit); posting beyond it fails with STATUS_QUOTA_EXCEEDED.
#define USER_POST_MESSAGE_LIMIT 10000

// Waits (WrUserRequest, UserMode, not alertable) until the calling thread's
// queue holds a message whose number lies in [filterMin, filterMax] (both 0:
// any), removes the first such and copies it to *message. The first call
// gives the thread its queue (Win32Thread). NT's returns a BOOL; this one an
// NTSTATUS: STATUS_SUCCESS for every message, WM_QUIT included.
// STATUS_INVALID_HANDLE for a window (there are none), STATUS_ACCESS_VIOLATION
// for a bad pointer, or what ended the wait (a user APC: STATUS_USER_APC).
NTSTATUS NTAPI NtUserGetMessage(MSG *message, HWND window, ULONG filterMin, ULONG filterMax);

// Posts a message to the queue of thread `threadId` and returns at once.
// STATUS_INVALID_CID when no such thread has a queue (it never called
// NtUserGetMessage, or has ended); STATUS_QUOTA_EXCEEDED beyond
// USER_POST_MESSAGE_LIMIT.
NTSTATUS NTAPI NtUserPostThreadMessage(ULONG threadId, ULONG message, WPARAM wParam,
                                       LPARAM lParam);
