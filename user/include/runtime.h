// Sleuth's user runtime: what a program gets besides the native API
// (ntapi.h). The string and formatting routines are the kernel's own
// (kernel/rtl), built a second time for user mode.
#pragma once

#include "user/include/ntapi.h"
// The run-time library's security routines (kernel/rtl/security.c, built
// again for user mode, as ntdll carries its own copy).
#include "kernel/rtl/security.h"
#include <stdarg.h>

// The program: main's return value becomes the process's exit status.
int main(void);
void exit(int status) __attribute__((noreturn));

// Threads: RtlUserThreadStart is where the kernel starts every thread of
// NtCreateThreadEx; RtlExitUserThread ends the caller (and the process if
// it is the last thread).
void NTAPI RtlUserThreadStart(PUSER_THREAD_START_ROUTINE startRoutine, PVOID argument)
    __attribute__((noreturn));
void RtlExitUserThread(NTSTATUS status) __attribute__((noreturn));

// Console output through NtDisplayString. printf understands what the
// kernel's formatter does: %d %i %u %x %X %o %c %s %p %%, with flags, width,
// precision and the l, ll, z, h length modifiers.
int printf(const char *format, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *format, va_list args);
int puts(const char *text);
int snprintf(char *buffer, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buffer, size_t size, const char *format, va_list args);

// Memory and strings.
void *memcpy(void *destination, const void *source, size_t length);
void *memmove(void *destination, const void *source, size_t length);
void *memset(void *destination, int value, size_t length);
int memcmp(const void *a, const void *b, size_t length);
size_t strlen(const char *text);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t length);
char *strchr(const char *text, int c);

// The current thread's TEB (gs points at it in user mode, as on NT x64)
// and the process's PEB.
static inline TEB *NtCurrentTeb(void)
{
    TEB *teb;

    __asm__ volatile("mov %%gs:0x30, %0" : "=r"(teb));     // NtTib.Self
    return teb;
}
#define NtCurrentPeb() (NtCurrentTeb()->ProcessEnvironmentBlock)

// Critical sections (RTL_CRITICAL_SECTION: kernel/ndk/ntrtl.h).

NTSTATUS RtlInitializeCriticalSection(RTL_CRITICAL_SECTION *section);
NTSTATUS RtlInitializeCriticalSectionAndSpinCount(RTL_CRITICAL_SECTION *section,
                                                  ULONG spinCount);
ULONG RtlSetCriticalSectionSpinCount(RTL_CRITICAL_SECTION *section, ULONG spinCount);
NTSTATUS RtlDeleteCriticalSection(RTL_CRITICAL_SECTION *section);
NTSTATUS RtlEnterCriticalSection(RTL_CRITICAL_SECTION *section);
NTSTATUS RtlLeaveCriticalSection(RTL_CRITICAL_SECTION *section);

// Heaps, as ntdll's (one process heap, more with RtlCreateHeap), and the C
// library's allocation calls over the process heap.
#define HEAP_NO_SERIALIZE 0x00000001
#define HEAP_ZERO_MEMORY  0x00000008
#define RtlProcessHeap() (NtCurrentPeb()->ProcessHeap)
PVOID RtlCreateHeap(ULONG Flags, PVOID HeapBase, SIZE_T ReserveSize, SIZE_T CommitSize,
                    PVOID Lock, PVOID Parameters);
PVOID RtlDestroyHeap(PVOID HeapHandle);
PVOID RtlAllocateHeap(PVOID HeapHandle, ULONG Flags, SIZE_T Size);
BOOLEAN RtlFreeHeap(PVOID HeapHandle, ULONG Flags, PVOID BaseAddress);
PVOID RtlReAllocateHeap(PVOID HeapHandle, ULONG Flags, PVOID BaseAddress, SIZE_T Size);
// The usable size of a block, (SIZE_T)-1 if it is not a block of the heap.
SIZE_T RtlSizeHeap(PVOID HeapHandle, ULONG Flags, PVOID BaseAddress);
void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void *realloc(void *block, size_t size);
void free(void *block);

// A server port's descriptor (user/lib/security.c), as NT's system
// servers give theirs: SYSTEM and the Administrators hold every right; with
// everyoneMayConnect, Everyone may connect (PORT_CONNECT | READ_CONTROL),
// as to \LsaAuthenticationPort; without, no one else may. Pass
// &security->Descriptor in OBJECT_ATTRIBUTES; it points into *security.
typedef struct _SERVER_PORT_SECURITY {
    SECURITY_DESCRIPTOR Descriptor;
    union {
        ACL Acl;
        UCHAR Bytes[sizeof(ACL) + 3 * (sizeof(ACCESS_ALLOWED_ACE) + 12)];
    } Dacl;
} SERVER_PORT_SECURITY;
NTSTATUS RtlCreateServerPortSecurity(SERVER_PORT_SECURITY *security, BOOLEAN everyoneMayConnect);

// An LPC server's clients (user/lib/lpcserver.c): accept a connection
// request with a context that remembers the server port's handle, and
// close that handle when LPC_PORT_CLOSED brings the context back.
NTSTATUS LpcServerAcceptClient(PORT_MESSAGE *request);
void LpcServerClientGone(PVOID context);

// Counted strings.
void RtlInitUnicodeString(PUNICODE_STRING destination, const WCHAR *source);
LONG RtlCompareUnicodeString(PCUNICODE_STRING a, PCUNICODE_STRING b, BOOLEAN caseInsensitive);
