// The executive's system services that belong to no other component.
#pragma once

#include "rtl/rtl.h"
#include "ps/ps.h"

// Prints a counted UTF-16 string from user mode on the consoles (characters
// beyond Latin-1 print as '?'). STATUS_ACCESS_VIOLATION for a bad pointer.
NTSTATUS NtDisplayString(UNICODE_STRING *string);

// ---- System information and time (sysinfo.c, extime.c) ------------------------

typedef enum _SYSTEM_INFORMATION_CLASS {
    SystemBasicInformation = 0,
    SystemProcessInformation = 5,
} SYSTEM_INFORMATION_CLASS;

// NT's x64 layouts (user/include/ntapi.h has the same for user mode).
typedef struct _SYSTEM_BASIC_INFORMATION {
    ULONG Reserved;
    ULONG TimerResolution;          // 100-ns units per clock tick
    ULONG PageSize;
    ULONG NumberOfPhysicalPages;
    ULONG LowestPhysicalPageNumber;
    ULONG HighestPhysicalPageNumber;
    ULONG AllocationGranularity;
    ULONG_PTR MinimumUserModeAddress;
    ULONG_PTR MaximumUserModeAddress;
    ULONG64 ActiveProcessorsAffinityMask;
    CHAR NumberOfProcessors;
} SYSTEM_BASIC_INFORMATION;

typedef struct _SYSTEM_THREAD_INFORMATION {
    LARGE_INTEGER KernelTime;
    LARGE_INTEGER UserTime;
    LARGE_INTEGER CreateTime;
    ULONG WaitTime;
    void *StartAddress;
    CLIENT_ID ClientId;
    KPRIORITY Priority;
    LONG BasePriority;
    ULONG ContextSwitches;
    ULONG ThreadState;
    ULONG WaitReason;
} SYSTEM_THREAD_INFORMATION;

typedef struct _SYSTEM_PROCESS_INFORMATION {
    ULONG NextEntryOffset;
    ULONG NumberOfThreads;
    LARGE_INTEGER WorkingSetPrivateSize;
    ULONG HardFaultCount;
    ULONG NumberOfThreadsHighWatermark;
    ULONG64 CycleTime;
    LARGE_INTEGER CreateTime;
    LARGE_INTEGER UserTime;
    LARGE_INTEGER KernelTime;
    UNICODE_STRING ImageName;
    KPRIORITY BasePriority;
    HANDLE UniqueProcessId;
    HANDLE InheritedFromUniqueProcessId;
    ULONG HandleCount;
    ULONG SessionId;
    ULONG_PTR UniqueProcessKey;
    SIZE_T PeakVirtualSize;
    SIZE_T VirtualSize;
    ULONG PageFaultCount;
    SIZE_T PeakWorkingSetSize;
    SIZE_T WorkingSetSize;
    SIZE_T QuotaPeakPagedPoolUsage;
    SIZE_T QuotaPagedPoolUsage;
    SIZE_T QuotaPeakNonPagedPoolUsage;
    SIZE_T QuotaNonPagedPoolUsage;
    SIZE_T PagefileUsage;
    SIZE_T PeakPagefileUsage;
    SIZE_T PrivatePageCount;
    LARGE_INTEGER ReadOperationCount;
    LARGE_INTEGER WriteOperationCount;
    LARGE_INTEGER OtherOperationCount;
    LARGE_INTEGER ReadTransferCount;
    LARGE_INTEGER WriteTransferCount;
    LARGE_INTEGER OtherTransferCount;
} SYSTEM_PROCESS_INFORMATION;       // followed by its threads, then its name

_Static_assert(sizeof(SYSTEM_BASIC_INFORMATION) == 0x40, "NT's x64 layout");
_Static_assert(sizeof(SYSTEM_THREAD_INFORMATION) == 0x50, "NT's x64 layout");
_Static_assert(offsetof(SYSTEM_PROCESS_INFORMATION, ImageName) == 0x38, "NT's x64 layout");
_Static_assert(offsetof(SYSTEM_PROCESS_INFORMATION, UniqueProcessId) == 0x50, "NT's x64 layout");
_Static_assert(sizeof(SYSTEM_PROCESS_INFORMATION) == 0x100, "NT's x64 layout");

NTSTATUS NtQuerySystemInformation(SYSTEM_INFORMATION_CLASS informationClass,
                                  void *information, ULONG informationLength,
                                  ULONG *returnLength);
NTSTATUS NtDelayExecution(BOOLEAN alertable, LARGE_INTEGER *delayInterval);
NTSTATUS NtYieldExecution(void);
NTSTATUS NtQuerySystemTime(LARGE_INTEGER *systemTime);
NTSTATUS NtQueryPerformanceCounter(LARGE_INTEGER *performanceCounter,
                                   LARGE_INTEGER *performanceFrequency);
