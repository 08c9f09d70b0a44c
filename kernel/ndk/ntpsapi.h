// Processes and threads as user mode sees them: client ids, the PEB and
// TEB (NT's x64 layouts), access rights, information classes, the thread
// start and APC routine types, and the process and thread services. Part
// of the NT ABI (kernel/ndk/); EPROCESS and ETHREAD are in kernel/ps/.
#pragma once

#include "ntdef.h"
#include "ntkeapi.h"
#include "ntobapi.h"

typedef struct _CLIENT_ID {
    HANDLE UniqueProcess;
    HANDLE UniqueThread;
} CLIENT_ID, *PCLIENT_ID;

// The user-mode structures the kernel builds, with NT's x64 layouts (the
// first fields of each); gs points at the TEB in user mode, as on NT.
typedef struct _NT_TIB {
    void *ExceptionList;
    void *StackBase;
    void *StackLimit;
    void *SubSystemTib;
    void *FiberData;
    void *ArbitraryUserPointer;
    struct _NT_TIB *Self;
} NT_TIB;

typedef struct _CURDIR {
    UNICODE_STRING DosPath;
    HANDLE Handle;
} CURDIR;

typedef struct _RTL_USER_PROCESS_PARAMETERS {
    ULONG MaximumLength;
    ULONG Length;
    ULONG Flags;
    ULONG DebugFlags;
    HANDLE ConsoleHandle;
    ULONG ConsoleFlags;
    HANDLE StandardInput;
    HANDLE StandardOutput;
    HANDLE StandardError;
    CURDIR CurrentDirectory;
    UNICODE_STRING DllPath;
    UNICODE_STRING ImagePathName;
    UNICODE_STRING CommandLine;
    void *Environment;
} RTL_USER_PROCESS_PARAMETERS;

#define RTL_USER_PROC_PARAMS_NORMALIZED 0x00000001  // the strings hold addresses

typedef struct _PEB {
    BOOLEAN InheritedAddressSpace;
    BOOLEAN ReadImageFileExecOptions;
    BOOLEAN BeingDebugged;
    UCHAR BitField;
    void *Mutant;
    void *ImageBaseAddress;
    void *Ldr;
    RTL_USER_PROCESS_PARAMETERS *ProcessParameters;
    void *SubSystemData;
    void *ProcessHeap;
    void *Reserved1[16];            // 0x38..0xB8: fields Sleuth does not keep
    ULONG NumberOfProcessors;       // what critical sections' spin counts ask
    ULONG NtGlobalFlag;
} PEB;

typedef struct _TEB {
    NT_TIB NtTib;
    void *EnvironmentPointer;
    CLIENT_ID ClientId;
    void *ActiveRpcHandle;
    void *ThreadLocalStoragePointer;
    PEB *ProcessEnvironmentBlock;
    ULONG LastErrorValue;
} TEB;

_Static_assert(offsetof(PEB, ImageBaseAddress) == 0x10, "PEB matches NT x64");
_Static_assert(offsetof(PEB, ProcessParameters) == 0x20, "PEB matches NT x64");
_Static_assert(offsetof(PEB, NumberOfProcessors) == 0xB8, "PEB matches NT x64");
_Static_assert(offsetof(RTL_USER_PROCESS_PARAMETERS, ImagePathName) == 0x60,
               "RTL_USER_PROCESS_PARAMETERS matches NT x64");
_Static_assert(offsetof(RTL_USER_PROCESS_PARAMETERS, CommandLine) == 0x70,
               "RTL_USER_PROCESS_PARAMETERS matches NT x64");
_Static_assert(offsetof(TEB, NtTib.Self) == 0x30, "TEB matches NT x64");
_Static_assert(offsetof(TEB, ClientId) == 0x40, "TEB matches NT x64");
_Static_assert(offsetof(TEB, ProcessEnvironmentBlock) == 0x60, "TEB matches NT x64");

// Pseudo-handles: the caller's own process and thread, with every right.
#define NtCurrentProcess() ((HANDLE)(LONG_PTR)-1)
#define NtCurrentThread()  ((HANDLE)(LONG_PTR)-2)

// The access rights, as NT's (XP values).
#define PROCESS_TERMINATE         0x0001
#define PROCESS_CREATE_THREAD     0x0002
#define PROCESS_VM_OPERATION      0x0008
#define PROCESS_VM_READ           0x0010
#define PROCESS_VM_WRITE          0x0020
#define PROCESS_DUP_HANDLE        0x0040
#define PROCESS_CREATE_PROCESS    0x0080
#define PROCESS_SET_QUOTA         0x0100
#define PROCESS_SET_INFORMATION   0x0200
#define PROCESS_QUERY_INFORMATION 0x0400
#define PROCESS_SUSPEND_RESUME    0x0800
#define PROCESS_ALL_ACCESS        (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFF)

#define THREAD_TERMINATE            0x0001
#define THREAD_SUSPEND_RESUME       0x0002
#define THREAD_ALERT                0x0004
#define THREAD_GET_CONTEXT          0x0008
#define THREAD_SET_CONTEXT          0x0010
#define THREAD_SET_INFORMATION      0x0020
#define THREAD_QUERY_INFORMATION    0x0040
#define THREAD_SET_THREAD_TOKEN     0x0080
#define THREAD_IMPERSONATE          0x0100
#define THREAD_DIRECT_IMPERSONATION 0x0200
#define THREAD_ALL_ACCESS           (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3FF)

#define PROCESS_CREATE_FLAGS_SUSPENDED       0x00000001
#define THREAD_CREATE_FLAGS_CREATE_SUSPENDED 0x00000001

// A thread's user-mode start (RtlUserThreadStart calls it), and
// NtCreateThreadEx's attribute list (none is supported: pass NULL).
typedef NTSTATUS (NTAPI *PUSER_THREAD_START_ROUTINE)(void *threadParameter);
typedef struct _PS_ATTRIBUTE_LIST PS_ATTRIBUTE_LIST, *PPS_ATTRIBUTE_LIST;

NTSTATUS NTAPI NtTerminateProcess(HANDLE processHandle, NTSTATUS exitStatus);
NTSTATUS NTAPI NtTerminateThread(HANDLE threadHandle, NTSTATUS exitStatus);
// Sleuth's process creation (NtCreateProcessFromArchive, in place of NT's
// NtCreateUserProcess): starts imageName, a program in the boot archive
// ("hello" or "hello.exe"), in a new process whose PEB carries commandLine
// (the image name when NULL). The first thread starts at once unless flags
// has PROCESS_CREATE_FLAGS_SUSPENDED.
NTSTATUS NTAPI NtCreateProcessFromArchive(HANDLE *processHandle, HANDLE *threadHandle,
                                          ACCESS_MASK processDesiredAccess,
                                          ACCESS_MASK threadDesiredAccess,
                                          const OBJECT_ATTRIBUTES *processObjectAttributes,
                                          const UNICODE_STRING *imageName,
                                          const UNICODE_STRING *commandLine, ULONG flags,
                                          CLIENT_ID *clientId);
NTSTATUS NTAPI NtCreateThreadEx(HANDLE *threadHandle, ACCESS_MASK desiredAccess,
                                const OBJECT_ATTRIBUTES *objectAttributes, HANDLE processHandle,
                                void *startRoutine, void *argument, ULONG createFlags,
                                SIZE_T zeroBits, SIZE_T stackSize, SIZE_T maximumStackSize,
                                void *attributeList);
NTSTATUS NTAPI NtOpenProcess(HANDLE *processHandle, ACCESS_MASK desiredAccess,
                             const OBJECT_ATTRIBUTES *objectAttributes, const CLIENT_ID *clientId);
NTSTATUS NTAPI NtOpenThread(HANDLE *threadHandle, ACCESS_MASK desiredAccess,
                            const OBJECT_ATTRIBUTES *objectAttributes, const CLIENT_ID *clientId);
NTSTATUS NTAPI NtSuspendThread(HANDLE threadHandle, ULONG *previousSuspendCount);
NTSTATUS NTAPI NtResumeThread(HANDLE threadHandle, ULONG *previousSuspendCount);

typedef enum _PROCESSINFOCLASS { ProcessBasicInformation = 0 } PROCESSINFOCLASS;
typedef enum _THREADINFOCLASS { ThreadBasicInformation = 0 } THREADINFOCLASS;

typedef struct _PROCESS_BASIC_INFORMATION {
    NTSTATUS ExitStatus;            // STATUS_PENDING while the process runs
    struct _PEB *PebBaseAddress;
    KAFFINITY AffinityMask;
    KPRIORITY BasePriority;
    ULONG_PTR UniqueProcessId;
    ULONG_PTR InheritedFromUniqueProcessId;
} PROCESS_BASIC_INFORMATION;

typedef struct _THREAD_BASIC_INFORMATION {
    NTSTATUS ExitStatus;            // STATUS_PENDING while the thread runs
    struct _TEB *TebBaseAddress;
    CLIENT_ID ClientId;
    KAFFINITY AffinityMask;
    KPRIORITY Priority;
    KPRIORITY BasePriority;
} THREAD_BASIC_INFORMATION;

NTSTATUS NTAPI NtQueryInformationProcess(HANDLE processHandle, PROCESSINFOCLASS informationClass,
                                         void *information, ULONG informationLength,
                                         ULONG *returnLength);
NTSTATUS NTAPI NtQueryInformationThread(HANDLE threadHandle, THREADINFOCLASS informationClass,
                                        void *information, ULONG informationLength,
                                        ULONG *returnLength);

// User APCs are NT's PPS_APC_ROUTINE(argument1, argument2, argument3), run
// by the runtime's KiUserApcDispatcher (ms_abi).
typedef void (NTAPI *PPS_APC_ROUTINE)(void *argument1, void *argument2, void *argument3);

NTSTATUS NTAPI NtAlertThread(HANDLE threadHandle);
NTSTATUS NTAPI NtAlertResumeThread(HANDLE threadHandle, ULONG *previousSuspendCount);
NTSTATUS NTAPI NtTestAlert(void);
NTSTATUS NTAPI NtQueueApcThread(HANDLE threadHandle, PPS_APC_ROUTINE apcRoutine, void *argument1,
                                void *argument2, void *argument3);

// NtSetInformationThread: ThreadImpersonationToken takes a token handle
// (NULL: revert to self); ThreadAffinityMask a mask within the process's.
// NtSetInformationProcess: ProcessAffinityMask a mask of started processors. NtSetInformationProcess: ProcessQuotaLimits (a
// QUOTA_LIMITS: the pool quota limits), ProcessExceptionPort (a port
// handle), ProcessAccessToken (before the process's first thread runs).
#define ThreadAffinityMask       4       // a KAFFINITY (ULONG64): where the thread may run
#define ThreadImpersonationToken 5
#define ProcessAffinityMask      21      // a KAFFINITY: where the process's threads may run
#define ProcessQuotaLimits       1
#define ProcessExceptionPort     8
#define ProcessAccessToken       9

// ProcessQuotaLimits, NT's layout. Sleuth sets the two pool limits (bytes;
// 0 leaves one as it is, (SIZE_T)-1 is no limit): lowering one is free,
// raising it needs SeIncreaseQuotaPrivilege. It has no working set, paging
// file or time limit: those fields must be 0.
typedef struct _QUOTA_LIMITS {
    SIZE_T PagedPoolLimit;
    SIZE_T NonPagedPoolLimit;
    SIZE_T MinimumWorkingSetSize;
    SIZE_T MaximumWorkingSetSize;
    SIZE_T PagefileLimit;
    LARGE_INTEGER TimeLimit;
} QUOTA_LIMITS;

NTSTATUS NTAPI NtSetInformationThread(HANDLE threadHandle, ULONG informationClass,
                                      void *information, ULONG informationLength);
NTSTATUS NTAPI NtSetInformationProcess(HANDLE processHandle, ULONG informationClass,
                                       void *information, ULONG informationLength);
