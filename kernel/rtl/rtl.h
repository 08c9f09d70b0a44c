// Run-time library: lists, strings, formatting. Pure code with no kernel
// state, so the same files build into the kernel and into the host tests.
#pragma once

#include "ndk/ntdef.h"
#include "ndk/ntstatus.h"

#ifdef SLEUTH_HOST
#include <string.h>
#endif

// ---- Doubly linked lists (NT's LIST_ENTRY discipline) -----------------------

static inline void InitializeListHead(LIST_ENTRY *head)
{
    head->Flink = head->Blink = head;
}

static inline BOOLEAN IsListEmpty(const LIST_ENTRY *head)
{
    return head->Flink == head;
}

static inline void InsertTailList(LIST_ENTRY *head, LIST_ENTRY *entry)
{
    LIST_ENTRY *last = head->Blink;

    entry->Flink = head;
    entry->Blink = last;
    last->Flink = entry;
    head->Blink = entry;
}

static inline void InsertHeadList(LIST_ENTRY *head, LIST_ENTRY *entry)
{
    LIST_ENTRY *first = head->Flink;

    entry->Flink = first;
    entry->Blink = head;
    first->Blink = entry;
    head->Flink = entry;
}

// Returns TRUE when the list the entry was on is now empty, as NT's does.
static inline BOOLEAN RemoveEntryList(LIST_ENTRY *entry)
{
    LIST_ENTRY *next = entry->Flink;
    LIST_ENTRY *prev = entry->Blink;

    prev->Flink = next;
    next->Blink = prev;
    return next == prev;
}

static inline LIST_ENTRY *RemoveHeadList(LIST_ENTRY *head)
{
    LIST_ENTRY *entry = head->Flink;

    RemoveEntryList(entry);
    return entry;
}

static inline LIST_ENTRY *RemoveTailList(LIST_ENTRY *head)
{
    LIST_ENTRY *entry = head->Blink;

    RemoveEntryList(entry);
    return entry;
}

// Checks that entry's neighbours point back at it; a corrupt list is caught
// where it is used rather than far away.
static inline BOOLEAN RtlIsListEntryConsistent(const LIST_ENTRY *entry)
{
    return entry->Flink && entry->Blink && entry->Flink->Blink == entry &&
           entry->Blink->Flink == entry;
}

// ---- Memory and strings -------------------------------------------------------

// In host test builds libc provides these names; the kernel's versions are
// compiled as RtlKernel_memcpy and so on, so the tests can still call them.
#ifdef SLEUTH_HOST
#define RTL_LIBC_NAME(name) RtlKernel_##name
#else
#define RTL_LIBC_NAME(name) name
#endif

void *RTL_LIBC_NAME(memcpy)(void *dst, const void *src, size_t n);
void *RTL_LIBC_NAME(memmove)(void *dst, const void *src, size_t n);
void *RTL_LIBC_NAME(memset)(void *dst, int c, size_t n);
int RTL_LIBC_NAME(memcmp)(const void *a, const void *b, size_t n);
size_t RTL_LIBC_NAME(strlen)(const char *s);
size_t RTL_LIBC_NAME(strnlen)(const char *s, size_t max);
int RTL_LIBC_NAME(strcmp)(const char *a, const char *b);
int RTL_LIBC_NAME(strncmp)(const char *a, const char *b, size_t n);
char *RTL_LIBC_NAME(strchr)(const char *s, int c);

#define RtlCopyMemory(d, s, n) memcpy((d), (s), (n))
#define RtlMoveMemory(d, s, n) memmove((d), (s), (n))
#define RtlZeroMemory(d, n) memset((d), 0, (n))
#define RtlFillMemory(d, n, c) memset((d), (c), (n))

int RtlCompareStringInsensitive(const char *a, const char *b);
char RtlUpcaseChar(char c);
char RtlDowncaseChar(char c);
BOOLEAN RtlIsSpace(char c);

// Glob match of `name` against `pattern` with `*` and `?`, ignoring case, as
// the debugger's `x nt!Ke*` does.
BOOLEAN RtlMatchPattern(const char *pattern, const char *name);

// Parses a number the way KD does: hex by default, `0n` decimal, `0x` hex,
// backtick separators allowed ("fffff800`01054df3"). Returns FALSE on junk.
BOOLEAN RtlParseUlong64(const char *text, ULONG64 *value);

// ---- Counted UTF-16 strings ---------------------------------------------------

void RtlInitUnicodeString(UNICODE_STRING *destination, const WCHAR *source);
WCHAR RtlUpcaseUnicodeChar(WCHAR c);
// <0, 0, >0 as the strings order; a prefix orders before the longer string.
LONG RtlCompareUnicodeString(const UNICODE_STRING *a, const UNICODE_STRING *b,
                             BOOLEAN caseInsensitive);
BOOLEAN RtlEqualUnicodeString(const UNICODE_STRING *a, const UNICODE_STRING *b,
                              BOOLEAN caseInsensitive);
ULONG RtlHashUnicodeStringInsensitive(const UNICODE_STRING *string);
void RtlAsciiToUnicodeString(UNICODE_STRING *destination, const char *source);

// ---- Formatting ---------------------------------------------------------------
//
// A printf subset: %d %i %u %x %X %o %c %s %p %%, flags '-' '0' '+' ' ' '#',
// width and precision (numbers or '*'), length modifiers hh h l ll z t j.
// Output goes to a sink one buffer at a time, so the same code serves the
// console, string buffers and the host tests.

typedef void (*RTL_FORMAT_SINK)(void *context, const char *text, size_t length);

size_t RtlFormatV(RTL_FORMAT_SINK sink, void *context, const char *format, va_list args);

// snprintf semantics: always terminated when size > 0, returns the length
// the full output would have had.
size_t RtlStringPrintf(char *buffer, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
size_t RtlStringPrintfV(char *buffer, size_t size, const char *format, va_list args);

// A 64-bit address the way WinDbg prints it: "fffff800`01054df3".
void RtlFormatAddress(char buffer[18], ULONG64 address);

// "d:hh:mm:ss.mmm" for a tick count, as `!thread` prints Ticks: N (...).
void RtlFormatTickDuration(char *buffer, size_t size, ULONG64 ticks, ULONG tickMicroseconds);
