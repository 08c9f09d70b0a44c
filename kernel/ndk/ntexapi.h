// The executive as user mode sees it: the event, semaphore, mutant and
// timer objects (access rights, information classes and layouts, services),
// system information (NT's x64 layouts), time, and the console. Part of the
// NT ABI (kernel/ndk/); the executive's own structures are in kernel/ex/.
#pragma once

#include "ntdef.h"
#include "ntkeapi.h"
#include "ntobapi.h"
#include "ntpsapi.h"

// Prints a counted UTF-16 string from user mode on the consoles (characters
// beyond Latin-1 print as '?'). STATUS_ACCESS_VIOLATION for a bad pointer.
NTSTATUS NTAPI NtDisplayString(UNICODE_STRING *string);

// ---- System information and time (sysinfo.c, extime.c) ------------------------

typedef enum _SYSTEM_INFORMATION_CLASS {
    SystemBasicInformation = 0,
    SystemProcessInformation = 5,
    // NtSetSystemInformation: a new session for the calling process (its
    // id, a ULONG, is returned in the buffer), as NT's smss makes one per
    // logon. Needs SeTcbPrivilege.
    SystemSessionCreate = 47,
} SYSTEM_INFORMATION_CLASS;

// NT's x64 layouts.
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
    SYSTEM_THREAD_INFORMATION Threads[];
} SYSTEM_PROCESS_INFORMATION;       // followed by its threads, then its name

_Static_assert(sizeof(SYSTEM_BASIC_INFORMATION) == 0x40, "NT's x64 layout");
_Static_assert(sizeof(SYSTEM_THREAD_INFORMATION) == 0x50, "NT's x64 layout");
_Static_assert(offsetof(SYSTEM_PROCESS_INFORMATION, ImageName) == 0x38, "NT's x64 layout");
_Static_assert(offsetof(SYSTEM_PROCESS_INFORMATION, UniqueProcessId) == 0x50, "NT's x64 layout");
_Static_assert(sizeof(SYSTEM_PROCESS_INFORMATION) == 0x100, "NT's x64 layout");

NTSTATUS NTAPI NtQuerySystemInformation(SYSTEM_INFORMATION_CLASS informationClass,
                                        void *information, ULONG informationLength,
                                        ULONG *returnLength);
NTSTATUS NTAPI NtSetSystemInformation(SYSTEM_INFORMATION_CLASS informationClass,
                                      void *information, ULONG informationLength);
NTSTATUS NTAPI NtDelayExecution(BOOLEAN alertable, LARGE_INTEGER *delayInterval);
NTSTATUS NTAPI NtYieldExecution(void);
ULONG NTAPI NtGetCurrentProcessorNumber(void);
NTSTATUS NTAPI NtQuerySystemTime(LARGE_INTEGER *systemTime);
NTSTATUS NTAPI NtQueryPerformanceCounter(LARGE_INTEGER *performanceCounter,
                                         LARGE_INTEGER *performanceFrequency);

// ---- Events, semaphores, mutants and timers (event.c, semaphore.c, mutant.c, timer.c) --

#define EVENT_QUERY_STATE  0x0001
#define EVENT_MODIFY_STATE 0x0002
#define EVENT_ALL_ACCESS   (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3)

#define SEMAPHORE_QUERY_STATE  0x0001
#define SEMAPHORE_MODIFY_STATE 0x0002
#define SEMAPHORE_ALL_ACCESS   (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3)

#define MUTANT_QUERY_STATE 0x0001
#define MUTANT_ALL_ACCESS  (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | MUTANT_QUERY_STATE)

#define TIMER_QUERY_STATE  0x0001
#define TIMER_MODIFY_STATE 0x0002
#define TIMER_ALL_ACCESS   (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3)

typedef enum _EVENT_INFORMATION_CLASS { EventBasicInformation } EVENT_INFORMATION_CLASS;
typedef struct _EVENT_BASIC_INFORMATION {
    EVENT_TYPE EventType;
    LONG EventState;
} EVENT_BASIC_INFORMATION;

typedef enum _SEMAPHORE_INFORMATION_CLASS {
    SemaphoreBasicInformation
} SEMAPHORE_INFORMATION_CLASS;
typedef struct _SEMAPHORE_BASIC_INFORMATION {
    LONG CurrentCount;
    LONG MaximumCount;
} SEMAPHORE_BASIC_INFORMATION;

typedef enum _MUTANT_INFORMATION_CLASS { MutantBasicInformation } MUTANT_INFORMATION_CLASS;
typedef struct _MUTANT_BASIC_INFORMATION {
    LONG CurrentCount;
    BOOLEAN OwnedByCaller;
    BOOLEAN AbandonedState;
} MUTANT_BASIC_INFORMATION;

typedef enum _TIMER_INFORMATION_CLASS { TimerBasicInformation } TIMER_INFORMATION_CLASS;
typedef struct _TIMER_BASIC_INFORMATION {
    LARGE_INTEGER RemainingTime;
    BOOLEAN TimerState;
} TIMER_BASIC_INFORMATION;

// The information classes are ULONGs in the prototypes (any value may come
// from user mode; an unknown one is STATUS_INVALID_INFO_CLASS).
NTSTATUS NTAPI NtCreateEvent(HANDLE *eventHandle, ACCESS_MASK desiredAccess,
                             OBJECT_ATTRIBUTES *objectAttributes, EVENT_TYPE eventType,
                             BOOLEAN initialState);
NTSTATUS NTAPI NtOpenEvent(HANDLE *eventHandle, ACCESS_MASK desiredAccess,
                           OBJECT_ATTRIBUTES *objectAttributes);
NTSTATUS NTAPI NtSetEvent(HANDLE eventHandle, LONG *previousState);
NTSTATUS NTAPI NtResetEvent(HANDLE eventHandle, LONG *previousState);
NTSTATUS NTAPI NtPulseEvent(HANDLE eventHandle, LONG *previousState);
NTSTATUS NTAPI NtClearEvent(HANDLE eventHandle);
NTSTATUS NTAPI NtQueryEvent(HANDLE eventHandle, ULONG eventInformationClass,
                            void *eventInformation, ULONG eventInformationLength,
                            ULONG *returnLength);

NTSTATUS NTAPI NtCreateSemaphore(HANDLE *semaphoreHandle, ACCESS_MASK desiredAccess,
                                 OBJECT_ATTRIBUTES *objectAttributes, LONG initialCount,
                                 LONG maximumCount);
NTSTATUS NTAPI NtOpenSemaphore(HANDLE *semaphoreHandle, ACCESS_MASK desiredAccess,
                               OBJECT_ATTRIBUTES *objectAttributes);
NTSTATUS NTAPI NtReleaseSemaphore(HANDLE semaphoreHandle, LONG releaseCount, LONG *previousCount);
NTSTATUS NTAPI NtQuerySemaphore(HANDLE semaphoreHandle, ULONG semaphoreInformationClass,
                                void *semaphoreInformation, ULONG semaphoreInformationLength,
                                ULONG *returnLength);

NTSTATUS NTAPI NtCreateMutant(HANDLE *mutantHandle, ACCESS_MASK desiredAccess,
                              OBJECT_ATTRIBUTES *objectAttributes, BOOLEAN initialOwner);
NTSTATUS NTAPI NtOpenMutant(HANDLE *mutantHandle, ACCESS_MASK desiredAccess,
                            OBJECT_ATTRIBUTES *objectAttributes);
NTSTATUS NTAPI NtReleaseMutant(HANDLE mutantHandle, LONG *previousCount);
NTSTATUS NTAPI NtQueryMutant(HANDLE mutantHandle, ULONG mutantInformationClass,
                             void *mutantInformation, ULONG mutantInformationLength,
                             ULONG *returnLength);

// The user's timer APC routine: (TimerContext, low and high part of the
// system time at which the timer fired).
typedef void (NTAPI *PTIMER_APC_ROUTINE)(void *timerContext, ULONG timerLowValue,
                                   LONG timerHighValue);

NTSTATUS NTAPI NtCreateTimer(HANDLE *timerHandle, ACCESS_MASK desiredAccess,
                             OBJECT_ATTRIBUTES *objectAttributes, TIMER_TYPE timerType);
NTSTATUS NTAPI NtOpenTimer(HANDLE *timerHandle, ACCESS_MASK desiredAccess,
                           OBJECT_ATTRIBUTES *objectAttributes);
NTSTATUS NTAPI NtSetTimer(HANDLE timerHandle, LARGE_INTEGER *dueTime,
                          PTIMER_APC_ROUTINE timerApcRoutine, void *timerContext,
                          BOOLEAN resumeTimer, LONG period, BOOLEAN *previousState);
NTSTATUS NTAPI NtCancelTimer(HANDLE timerHandle, BOOLEAN *currentState);
NTSTATUS NTAPI NtQueryTimer(HANDLE timerHandle, ULONG timerInformationClass,
                            void *timerInformation, ULONG timerInformationLength,
                            ULONG *returnLength);
