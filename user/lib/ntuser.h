// The native API as user programs see it: NT's prototypes, called with NT's
// convention (ms_abi: arguments in rcx, rdx, r8, r9), which is what the
// kernel's system-call entry expects.
#pragma once

typedef long NTSTATUS;
typedef unsigned short USHORT;
typedef unsigned short WCHAR;
typedef void *HANDLE;

#define NTAPI __attribute__((ms_abi))
#define STATUS_SUCCESS ((NTSTATUS)0x00000000L)
#define NtCurrentProcess() ((HANDLE)(long)-1)

typedef struct _UNICODE_STRING {
    USHORT Length;          // bytes, without a terminator
    USHORT MaximumLength;
    WCHAR *Buffer;
} UNICODE_STRING;

NTSTATUS NTAPI NtTerminateProcess(HANDLE processHandle, NTSTATUS exitStatus);
NTSTATUS NTAPI NtDisplayString(UNICODE_STRING *string);

// The runtime: main's return value becomes the process's exit status.
int main(void);
