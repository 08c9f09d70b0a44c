// Basic NT types, used by every layer of the kernel, by the user runtime and
// programs, and by the host unit tests: the first header of the NT ABI
// (kernel/ndk/, one set of declarations for both sides of the system call).
// The names are NT's so that what students read here matches what `dt` prints
// in WinDbg.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdbool.h>

typedef uint8_t  UCHAR, BYTE, BOOLEAN;
typedef int8_t   CHAR;
typedef uint16_t USHORT, WORD, WCHAR;
typedef int16_t  SHORT;
typedef uint32_t ULONG, DWORD;
typedef int32_t  LONG;
typedef uint64_t ULONG64, ULONGLONG, ULONG_PTR, SIZE_T, DWORD64;
typedef int64_t  LONG64, LONGLONG, LONG_PTR;
typedef void     VOID, *PVOID;
typedef LONG     NTSTATUS;
typedef ULONG    KAFFINITY32;
typedef ULONG64  KAFFINITY;
typedef ULONG    *PULONG;
typedef LONG     *PLONG;
typedef SIZE_T   *PSIZE_T;
typedef BOOLEAN  *PBOOLEAN;

#define TRUE  1
#define FALSE 0

#ifndef NULL
#define NULL ((void *)0)
#endif

#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)

// NT's calling convention (ms_abi: rcx, rdx, r8, r9, then the stack above a
// 32-byte home area) is what user mode calls the Nt* system-call routines with,
// and what the kernel's system-call entry expects; it is also how the
// routines user mode hands the kernel (APC routines, thread starts) are
// called. The kernel (and the host tests) are built with the System V
// convention throughout and call their own services directly, so there
// NTAPI is empty. USER_CFLAGS define SLEUTH_USER_MODE.
#ifdef SLEUTH_USER_MODE
#define NTAPI __attribute__((ms_abi))
#else
#define NTAPI
#endif

#define UNREFERENCED_PARAMETER(P) ((void)(P))
// The declared length of an array that really runs on, as NT's.
#define ANYSIZE_ARRAY 1
#define ARRAYSIZE(a) (sizeof(a) / sizeof((a)[0]))

#define FIELD_OFFSET(type, field) offsetof(type, field)
#define CONTAINING_RECORD(address, type, field) \
    ((type *)((char *)(address) - offsetof(type, field)))

#define ALIGN_DOWN_BY(length, alignment) ((ULONG_PTR)(length) & ~((ULONG_PTR)(alignment) - 1))
#define ALIGN_UP_BY(length, alignment) \
    ALIGN_DOWN_BY((ULONG_PTR)(length) + (alignment) - 1, alignment)

#define PAGE_SIZE  0x1000ULL
#define PAGE_SHIFT 12
#define LARGE_PAGE_SIZE 0x200000ULL
#define BYTES_TO_PAGES(size) (((size) + PAGE_SIZE - 1) >> PAGE_SHIFT)
#define PAGE_ALIGN(va) ((PVOID)((ULONG_PTR)(va) & ~(PAGE_SIZE - 1)))
#define BYTE_OFFSET(va) ((ULONG)((ULONG_PTR)(va) & (PAGE_SIZE - 1)))

// Four ASCII characters packed little-endian, as NT pool tags are: 'LpcM'
// reads "LpcM" in memory and in `!poolused`.
#define POOL_TAG(a, b, c, d) \
    ((ULONG)(a) | ((ULONG)(b) << 8) | ((ULONG)(c) << 16) | ((ULONG)(d) << 24))

typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY *Flink;
    struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

typedef struct _SINGLE_LIST_ENTRY {
    struct _SINGLE_LIST_ENTRY *Next;
} SINGLE_LIST_ENTRY;

typedef union _LARGE_INTEGER {
    struct {
        ULONG LowPart;
        LONG HighPart;
    };
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef struct _ANSI_STRING {
    USHORT Length;
    USHORT MaximumLength;
    char *Buffer;
} ANSI_STRING;

typedef struct _UNICODE_STRING {
    USHORT Length;
    USHORT MaximumLength;
    WCHAR *Buffer;          // Length bytes, without a terminator
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

typedef void *HANDLE, **PHANDLE;
typedef ULONG ACCESS_MASK;

// OBJECT_ATTRIBUTES: how a caller names the object it creates or opens.
#define OBJ_INHERIT            0x00000002
#define OBJ_PERMANENT          0x00000010
#define OBJ_EXCLUSIVE          0x00000020
#define OBJ_CASE_INSENSITIVE   0x00000040
#define OBJ_OPENIF             0x00000080
#define OBJ_OPENLINK           0x00000100
#define OBJ_KERNEL_HANDLE      0x00000200
#define OBJ_FORCE_ACCESS_CHECK 0x00000400
// The attributes a caller may pass (STATUS_INVALID_PARAMETER for others).
#define OBJ_VALID_ATTRIBUTES   0x000007F2

typedef struct _OBJECT_ATTRIBUTES {
    ULONG Length;
    HANDLE RootDirectory;
    UNICODE_STRING *ObjectName;
    ULONG Attributes;
    void *SecurityDescriptor;
    void *SecurityQualityOfService;
} OBJECT_ATTRIBUTES, *POBJECT_ATTRIBUTES;

#define InitializeObjectAttributes(p, n, a, r, s) \
    do {                                          \
        (p)->Length = sizeof(OBJECT_ATTRIBUTES);  \
        (p)->RootDirectory = (r);                 \
        (p)->Attributes = (a);                    \
        (p)->ObjectName = (n);                    \
        (p)->SecurityDescriptor = (s);            \
        (p)->SecurityQualityOfService = NULL;     \
    } while (0)

typedef enum _MODE { KernelMode, UserMode, MaximumMode } KPROCESSOR_MODE_ENUM;
typedef CHAR KPROCESSOR_MODE;

typedef UCHAR KIRQL;
