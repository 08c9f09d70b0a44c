// Sleuth's user runtime: what a program gets besides the native API
// (ntapi.h). The string and formatting routines are the kernel's own
// (kernel/rtl), built a second time for user mode.
#pragma once

#include "user/include/ntapi.h"
#include <stdarg.h>

// The program: main's return value becomes the process's exit status.
int main(void);
void exit(int status) __attribute__((noreturn));

// Threads: RtlUserThreadStart is where the kernel starts every thread of
// NtCreateThreadEx; RtlExitUserThread ends the caller (and the process if
// it is the last thread). NtCurrentTeb reads gs, which points at the TEB.
void NTAPI RtlUserThreadStart(PUSER_THREAD_START_ROUTINE startRoutine, PVOID argument)
    __attribute__((noreturn));
void RtlExitUserThread(NTSTATUS status) __attribute__((noreturn));
TEB *NtCurrentTeb(void);

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

// Counted strings.
void RtlInitUnicodeString(PUNICODE_STRING destination, const WCHAR *source);
LONG RtlCompareUnicodeString(PCUNICODE_STRING a, PCUNICODE_STRING b, BOOLEAN caseInsensitive);
