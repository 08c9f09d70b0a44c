// Memory and string routines. The compiler may emit calls to memcpy, memset,
// memmove and memcmp on its own, so these keep their C names.

#include "rtl/rtl.h"

#ifdef SLEUTH_HOST
#define memcpy RtlKernel_memcpy
#define memmove RtlKernel_memmove
#define memset RtlKernel_memset
#define memcmp RtlKernel_memcmp
#define strlen RtlKernel_strlen
#define strnlen RtlKernel_strnlen
#define strcmp RtlKernel_strcmp
#define strncmp RtlKernel_strncmp
#define strchr RtlKernel_strchr
#endif

// x86-64 loads and stores at any alignment; the type says so, so that neither
// the compiler nor the host build's UBSan assumes 8-byte alignment.
typedef ULONG64 __attribute__((aligned(1), may_alias)) ULONG64_UNALIGNED;

void *memcpy(void *dst, const void *src, size_t n)
{
    UCHAR *d = dst;
    const UCHAR *s = src;

#ifndef SLEUTH_HOST
    // The string instructions: one per quadword, then one per byte left
    // (a loop of loads and stores costs five or six a quadword).
    size_t quadwords = n / 8, bytes = n % 8;

    __asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(quadwords) : : "memory");
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(bytes) : : "memory");
    return dst;
#endif
    while (n >= 8) {
        *(ULONG64_UNALIGNED *)d = *(const ULONG64_UNALIGNED *)s;
        d += 8;
        s += 8;
        n -= 8;
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    UCHAR *d = dst;
    const UCHAR *s = src;

    if (d == s || n == 0)
        return dst;
    if (d < s || d >= s + n)
        return memcpy(dst, src, n);
    while (n--)
        d[n] = s[n];
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    UCHAR *d = dst;
    ULONG64 pattern = 0x0101010101010101ULL * (UCHAR)c;

#ifndef SLEUTH_HOST
    size_t quadwords = n / 8, bytes = n % 8;

    __asm__ volatile("rep stosq" : "+D"(d), "+c"(quadwords) : "a"(pattern) : "memory");
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(bytes) : "a"(pattern) : "memory");
    return dst;
#endif
    while (n >= 8) {
        *(ULONG64_UNALIGNED *)d = pattern;
        d += 8;
        n -= 8;
    }
    while (n--)
        *d++ = (UCHAR)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const UCHAR *x = a, *y = b;

    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (UCHAR)*a - (UCHAR)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i] || !a[i])
            return (UCHAR)a[i] - (UCHAR)b[i];
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

char RtlUpcaseChar(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

char RtlDowncaseChar(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

BOOLEAN RtlIsSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int RtlCompareStringInsensitive(const char *a, const char *b)
{
    while (*a && RtlDowncaseChar(*a) == RtlDowncaseChar(*b)) {
        a++;
        b++;
    }
    return (UCHAR)RtlDowncaseChar(*a) - (UCHAR)RtlDowncaseChar(*b);
}

// Backtracking on the last '*' is enough for glob patterns and keeps the
// match linear in practice (no recursion, so no stack to blow in the shell).
BOOLEAN RtlMatchPattern(const char *pattern, const char *name)
{
    const char *starPattern = NULL, *starName = NULL;

    while (*name) {
        if (*pattern == '*') {
            starPattern = ++pattern;
            starName = name;
        } else if (*pattern == '?' || RtlDowncaseChar(*pattern) == RtlDowncaseChar(*name)) {
            pattern++;
            name++;
        } else if (starPattern) {
            pattern = starPattern;
            name = ++starName;
        } else {
            return FALSE;
        }
    }
    while (*pattern == '*')
        pattern++;
    return *pattern == '\0';
}

static int RtlpDigitValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = RtlDowncaseChar(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

BOOLEAN RtlParseUlong64(const char *text, ULONG64 *value)
{
    ULONG base = 16;
    ULONG64 result = 0;
    BOOLEAN any = FALSE;

    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text += 2;
    } else if (text[0] == '0' && (text[1] == 'n' || text[1] == 'N')) {
        base = 10;
        text += 2;
    }
    for (; *text; text++) {
        int digit;

        if (*text == '`')
            continue;
        digit = RtlpDigitValue(*text);
        if (digit < 0 || (ULONG)digit >= base)
            return FALSE;
        if (result > (~0ULL - (ULONG)digit) / base)
            return FALSE;   // overflow
        result = result * base + (ULONG)digit;
        any = TRUE;
    }
    if (!any)
        return FALSE;
    *value = result;
    return TRUE;
}
