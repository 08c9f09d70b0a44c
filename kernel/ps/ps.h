// Processes and threads as the executive sees them: EPROCESS and ETHREAD
// wrap the kernel's KPROCESS and KTHREAD with ids, names, exit status and
// bookkeeping, and live as objects for as long as they are referenced.
#pragma once

#include "ke/ke.h"
#include "ob/ob.h"

typedef struct _CLIENT_ID {
    HANDLE UniqueProcess;
    HANDLE UniqueThread;
} CLIENT_ID;

#define PROCESS_IMAGE_NAME_LENGTH 16

typedef struct _EPROCESS {
    KPROCESS Pcb;
    LARGE_INTEGER CreateTime;
    LARGE_INTEGER ExitTime;
    HANDLE UniqueProcessId;
    LIST_ENTRY ActiveProcessLinks;      // PsActiveProcessHead: every process not yet deleted
    HANDLE InheritedFromUniqueProcessId;
    HANDLE_TABLE *ObjectTable;          // NULL for Idle, and once the process is deleted
    void *Peb;
    void *DebugPort;
    void *ExceptionPort;
    void *SecurityPort;
    NTSTATUS ExitStatus;
    BOOLEAN ProcessExiting;
    BOOLEAN ProcessDelete;
    BOOLEAN AddressSpaceInitialized;    // has a PML4 of its own (all but Idle and System)
    char ImageFileName[PROCESS_IMAGE_NAME_LENGTH];
    LIST_ENTRY ThreadListHead;          // ETHREADs, including ended ones still referenced
    ULONG ActiveThreads;
    ULONG SessionId;
    LIST_ENTRY VadRoot;                 // MMVADs in address order (mm/vad.c)
    ULONG NumberOfVads;
} EPROCESS;

typedef struct _ETHREAD {
    KTHREAD Tcb;
    LARGE_INTEGER CreateTime;
    LARGE_INTEGER ExitTime;
    NTSTATUS ExitStatus;
    CLIENT_ID Cid;
    PKSTART_ROUTINE StartAddress;
    void *StartContext;
    void *Win32StartAddress;
    LIST_ENTRY ThreadListEntry;         // in the EPROCESS's ThreadListHead
    EPROCESS *ThreadsProcess;
    LIST_ENTRY ReaperLink;              // on the reaper's list once ended
    SIZE_T KernelStackSize;
    BOOLEAN Terminated;
    BOOLEAN SystemThread;
} ETHREAD;

extern OBJECT_TYPE *PsProcessType;
extern OBJECT_TYPE *PsThreadType;
extern EPROCESS *PsInitialSystemProcess;
extern EPROCESS *PsIdleProcess;
extern LIST_ENTRY PsActiveProcessHead;
extern KSPIN_LOCK PspActiveProcessLock;

// Brings up the process manager: the Idle process (Cid 0) whose thread is the
// boot thread, and the System process (Cid 4).
void PsInitSystem(void);

// Creates a thread in the System process that runs startRoutine(startContext)
// at PASSIVE_LEVEL. Handles arrive with the object manager's handle tables:
// until then threadHandle must be NULL, and `thread` (if given) receives a
// referenced pointer the caller must ObDereferenceObject.
NTSTATUS PsCreateSystemThread(HANDLE *threadHandle, ULONG desiredAccess, void *objectAttributes,
                              HANDLE processHandle, CLIENT_ID *clientId,
                              PKSTART_ROUTINE startRoutine, void *startContext);
NTSTATUS PsCreateSystemThreadEx(EPROCESS *process, PKSTART_ROUTINE startRoutine,
                                void *startContext, KPRIORITY priority, CLIENT_ID *clientId,
                                ETHREAD **thread);
NTSTATUS PsTerminateSystemThread(NTSTATUS exitStatus) __attribute__((noreturn));

// A thread of `process` (which must have its own address space) that starts
// in user mode at startAddress with rsp = userStack. Returns like
// PsCreateSystemThreadEx.
NTSTATUS PspCreateUserThread(EPROCESS *process, void *startAddress, void *userStack,
                             CLIENT_ID *clientId, ETHREAD **thread);

// Ends the calling thread (and its process, with the last thread).
void PspExitThread(NTSTATUS exitStatus) __attribute__((noreturn));

// Pseudo-handles: the caller's own process and thread, with every right.
#define NtCurrentProcess() ((HANDLE)(LONG_PTR)-1)
#define NtCurrentThread()  ((HANDLE)(LONG_PTR)-2)

NTSTATUS NtTerminateProcess(HANDLE processHandle, NTSTATUS exitStatus);

// Starts user program NAME.exe from the boot archive in a new process (a
// child of System). Returns a referenced EPROCESS in *process if given.
NTSTATUS PsStartUserProgram(const char *name, EPROCESS **process);

// Kernel-internal process creation. The System process (no parent) shares the
// kernel's page tables; every other process gets an address space of its
// own, freed with the process. Returns a referenced EPROCESS.
NTSTATUS PspCreateProcess(const char *imageName, EPROCESS *parent, KPRIORITY basePriority,
                          EPROCESS **process);

static inline ETHREAD *PsGetCurrentThread(void)
{
    return (ETHREAD *)KeGetCurrentThread();
}

static inline EPROCESS *PsGetCurrentProcess(void)
{
    return (EPROCESS *)KeGetCurrentThread()->Process;
}

// Client ids: one table for processes and threads, ids multiples of 4.
NTSTATUS PspCreateCid(void *object, HANDLE *id);
void PspDeleteCid(HANDLE id);
void *PsLookupCid(HANDLE id);       // no reference taken: debugger and tests only
ULONG PspCidCount(void);

// ---- Queries, alerts and user APCs (query.c, psapc.c, userentry.c) ----------

// NT's access rights on processes and threads.
#define PROCESS_QUERY_INFORMATION 0x0400
#define THREAD_ALERT              0x0004
#define THREAD_SUSPEND_RESUME     0x0002
#define THREAD_SET_CONTEXT        0x0010
#define THREAD_QUERY_INFORMATION  0x0040

typedef enum _PROCESSINFOCLASS { ProcessBasicInformation = 0 } PROCESSINFOCLASS;
typedef enum _THREADINFOCLASS { ThreadBasicInformation = 0 } THREADINFOCLASS;

typedef struct _PROCESS_BASIC_INFORMATION {
    NTSTATUS ExitStatus;            // STATUS_PENDING while the process runs
    void *PebBaseAddress;
    ULONG64 AffinityMask;
    KPRIORITY BasePriority;
    ULONG_PTR UniqueProcessId;
    ULONG_PTR InheritedFromUniqueProcessId;
} PROCESS_BASIC_INFORMATION;

typedef struct _THREAD_BASIC_INFORMATION {
    NTSTATUS ExitStatus;            // STATUS_PENDING while the thread runs
    void *TebBaseAddress;
    CLIENT_ID ClientId;
    ULONG64 AffinityMask;
    KPRIORITY Priority;
    KPRIORITY BasePriority;
} THREAD_BASIC_INFORMATION;

NTSTATUS NtQueryInformationProcess(HANDLE processHandle, PROCESSINFOCLASS informationClass,
                                   void *information, ULONG informationLength,
                                   ULONG *returnLength);
NTSTATUS NtQueryInformationThread(HANDLE threadHandle, THREADINFOCLASS informationClass,
                                  void *information, ULONG informationLength,
                                  ULONG *returnLength);

// User APCs are NT's PPS_APC_ROUTINE(argument1, argument2, argument3), run
// by the runtime's KiUserApcDispatcher (ms_abi).
typedef void (*PPS_APC_ROUTINE)(void *argument1, void *argument2, void *argument3);

NTSTATUS NtAlertThread(HANDLE threadHandle);
NTSTATUS NtTestAlert(void);
NTSTATUS NtQueueApcThread(HANDLE threadHandle, PPS_APC_ROUTINE apcRoutine, void *argument1,
                          void *argument2, void *argument3);

// Frees the user APCs still queued to the calling thread as it ends (no new
// ones can be queued from here on). Part of thread exit.
void PspRundownUserApcs(ETHREAD *thread);

// Finds the runtime's KiUserApcDispatcher in a program's ELF symbol table
// and records it in the process, where user APC delivery looks for it.
// STATUS_INVALID_IMAGE_FORMAT when the image has no such symbol: it was not
// linked with Sleuth's runtime.
NTSTATUS PspLookupUserEntryPoints(EPROCESS *process, const UCHAR *image, SIZE_T size);
