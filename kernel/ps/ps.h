// Processes and threads as the executive sees them: EPROCESS and ETHREAD
// wrap the kernel's KPROCESS and KTHREAD with ids, names, exit status and
// bookkeeping, and live as objects for as long as they are referenced.
#pragma once

#include "ke/ke.h"
#include "ob/ob.h"
#include "mm/mm.h"
#include "ndk/ntpsapi.h"    // the ABI: CLIENT_ID, PEB, TEB, rights, the Nt* services

#define PROCESS_IMAGE_NAME_LENGTH 16

// Pool quota (quota.c), NT's EPROCESS_QUOTA_BLOCK: per pool type what is
// charged now, the most ever charged, and the limit. Referenced by its
// process and by every object charged to it (OBJECT_HEADER.QuotaBlockCharged).
typedef enum _PS_QUOTA_TYPE {
    PsNonPagedPool = 0,
    PsPagedPool = 1,
    PsQuotaTypes = 2,
} PS_QUOTA_TYPE;

#define PS_QUOTA_UNLIMITED ((SIZE_T)-1)

typedef struct _EPROCESS_QUOTA_ENTRY {
    SIZE_T Usage;
    SIZE_T Limit;
    SIZE_T Peak;
} EPROCESS_QUOTA_ENTRY;

typedef struct _EPROCESS_QUOTA_BLOCK {
    EPROCESS_QUOTA_ENTRY QuotaEntry[PsQuotaTypes];
    LONG ReferenceCount;                // its process and each object charged to it
} EPROCESS_QUOTA_BLOCK;

// What a process keeps for ALPC (kernel/alpc, NT 6's EPROCESS.AlpcContext):
// the ALPC ports it owns (ALPC_PORT.PortListEntry), which `!alpc /lpp`
// walks. Its own lock: ports come and go in any thread of the process.
typedef struct _ALPC_PROCESS_CONTEXT {
    KSPIN_LOCK Lock;
    LIST_ENTRY PortListHead;
} ALPC_PROCESS_CONTEXT;

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
    void *Token;                        // its primary token (kernel/se)
    DEVICE_MAP *DeviceMap;              // its DosDevices (ob/obdevmap.c); NULL for Idle
    EPROCESS_QUOTA_BLOCK *QuotaBlock;   // its pool quota (quota.c); NULL for Idle
    BOOLEAN UserModeEntered;            // a thread of it has run in user mode: Token is fixed
    NTSTATUS ExitStatus;
    BOOLEAN ProcessExiting;
    BOOLEAN ProcessDelete;
    BOOLEAN AddressSpaceInitialized;    // has a PML4 of its own (all but Idle and System)
    char ImageFileName[PROCESS_IMAGE_NAME_LENGTH];
    LIST_ENTRY ThreadListHead;          // ETHREADs, including ended ones still referenced
    ULONG ActiveThreads;
    ULONG SessionId;                    // its Session's id (0 for System and Idle: none)
    MM_SESSION_SPACE *Session;          // NULL for System and Idle (mm/session.c)
    LIST_ENTRY SessionProcessLinks;     // in Session->ProcessList
    MM_AVL_TABLE VadRoot;               // its MMVADs, a balanced tree (mm/vad.c)
    // Its private pages (committed, each with its frame: no demand paging),
    // in pages; 0 again once it has exited (mm/procva.c, MmProcessCommit).
    SIZE_T CommitCharge;
    // Sleuth's own: where RtlUserThreadStart lies in the image (found by
    // name in its symbol table), the user-mode start of every thread that
    // NtCreateThreadEx makes; NULL when the image has none.
    void *UserThreadStart;
    ALPC_PROCESS_CONTEXT AlpcContext;   // its ALPC ports (kernel/alpc)
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
    BOOLEAN Terminated;                 // it has ended, or is ending in PspExitThread
    BOOLEAN SystemThread;
    BOOLEAN DeadThread;                 // its creation failed half way: it only ends
    // Its user stack, when the kernel made it (teb.c): the reservation's
    // base, 0 once released or when the creator brought its own; and
    // whether its TEB (Tcb.Teb, kept for the debugger) has been released.
    ULONG64 UserStackBase;
    BOOLEAN TebDeleted;
    KAPC TerminateApc;                  // makes it call PspExitThread itself
    BOOLEAN TerminationQueued;          // told to end (TerminateApc queued once), or
                                        // in PspExitThread: no suspend applies
    // LPC (kernel/lpc), with NT's names. A client waiting for a reply is on
    // its port's reply chain, waits on LpcReplySemaphore (WrLpcReply) for
    // the message whose id is LpcReplyMessageId; a server thread remembers
    // the id of the request it received last.
    LIST_ENTRY LpcReplyChain;
    KSEMAPHORE LpcReplySemaphore;
    union {
        void *LpcReplyMessage;          // the LPCP_MESSAGE of the reply (or connection request)
        void *LpcWaitingOnPort;         // the port, with LPCP_THREAD_FLAG_IS_PORT set
    };
    ULONG LpcReplyMessageId;
    ULONG LpcReceivedMessageId;
    BOOLEAN LpcReceivedMsgIdValid;
    BOOLEAN LpcExitThreadCalled;
    LIST_ENTRY TerminationPortList;     // ports told LPC_CLIENT_DIED when the thread ends
    void *ImpersonationToken;           // the token it impersonates (kernel/se), or NULL
    // LPC: one free message block kept for this thread's next message
    // (lpcinit.c), given back when the thread ends (LpcExitThread).
    void *LpcCachedMessage;
    // LPC: the client of the request it received last, referenced (the
    // request's block carried the reference: LPCP_MESSAGE.RepliedToThread).
    // Its reply hands the reference on to the reply block instead of
    // looking the client up by its ClientId. Changed by the thread itself.
    void *LpcReceivedThread;
    // LPC: a message a sender handed it with the count that ended its wait
    // on a port's queue (never queued: send.c's LpcpQueueMessageWaitNext),
    // taken by its receive as it wakes. Set under LpcpLock and the
    // dispatcher lock while the thread still waits; NULL otherwise.
    void *LpcHandoffMessage;
    // The IRPs it has issued and not yet seen completed (IRP.ThreadListEntry),
    // cancelled when it ends (kernel/io). Changed at APC_LEVEL by the thread
    // itself only, so the list needs no lock.
    LIST_ENTRY IrpList;
    // ALPC (kernel/alpc), NT 6's names. A thread that sent a synchronous
    // request (or a connection request) has it in AlpcMessage, its id in
    // AlpcMessageId, and waits on AlpcWaitSemaphore (WrLpcReply, limit 1);
    // whoever answers leaves the answer in AlpcMessage, clears
    // AlpcMessageId and releases the semaphore, all under AlpcpLock. A
    // thread waiting to receive is on its port's WaitQueue by
    // AlpcWaitListEntry and waits on the same semaphore (WrLpcReceive).
    ULONG_PTR AlpcMessageId;
    void *AlpcMessage;                  // a KALPC_MESSAGE
    LIST_ENTRY AlpcWaitListEntry;
    KSEMAPHORE AlpcWaitSemaphore;
    // Sleuth's own: why a waiter was woken without an answer
    // (STATUS_PORT_DISCONNECTED, STATUS_REQUEST_CANCELED...).
    NTSTATUS AlpcWaitStatus;
    // A small KALPC_MESSAGE block kept for the thread's next message
    // (kernel/alpc, alpcinit.c), freed by AlpcExitThread. Only the thread
    // itself reads or writes it.
    void *AlpcCachedMessage;
    // Up to a multiple of 16 bytes, as NT's (0x450 on the case study's
    // build): the thread's pool block then ends where the ETHREAD ends, and
    // the case study's way from a `!pool` block to its thread (the block's
    // end minus `?? sizeof(nt!_ETHREAD)`, exercise 003) works here too.
    ULONG64 Spare0;
} ETHREAD;

_Static_assert(sizeof(ETHREAD) % 16 == 0,
               "ETHREAD must end on a pool block's 16-byte grain (see Spare0)");

extern OBJECT_TYPE *PsProcessType;
extern OBJECT_TYPE *PsThreadType;
extern EPROCESS *PsInitialSystemProcess;
extern EPROCESS *PsIdleProcess;
extern LIST_ENTRY PsActiveProcessHead;
extern KSPIN_LOCK PspActiveProcessLock;
KTHREAD *PsCreateIdleThread(void *stackTop, void *stackLimit);

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
// Makes `thread` end itself with exitStatus (a kernel APC), waking it from
// a wait or a suspension; the current thread ends at once.
NTSTATUS PspTerminateThreadByPointer(ETHREAD *thread, NTSTATUS exitStatus);
// The caller's process ends with exitStatus: its other threads, then the
// caller (a user fault does this too).
void PspTerminateCurrentProcess(NTSTATUS exitStatus) __attribute__((noreturn));
// Every thread of the process but the caller's is told to end.
void PspTerminateOtherThreads(EPROCESS *process, NTSTATUS exitStatus);
// Walks a process's threads, each returned referenced; the previous one
// passed in is dereferenced. NULL at the end.
ETHREAD *PsGetNextProcessThread(EPROCESS *process, ETHREAD *thread);
// Referenced lookups by client id: STATUS_INVALID_CID when the id names no
// process (thread), or one that is being deleted.
NTSTATUS PsLookupProcessByProcessId(HANDLE processId, EPROCESS **process);
NTSTATUS PsLookupThreadByThreadId(HANDLE threadId, ETHREAD **thread);

// A user thread in `process` entering user mode at startAddress with rcx and
// rdx as its first two arguments, on a stack of stackCommit bytes (0: the
// default) that it gets with its TEB, suspended if asked. The thread is
// created even if its TEB or stack cannot be (it then only ends), so the
// caller gets its status but must not wait for it to start.
NTSTATUS PspCreateUserThreadEx(EPROCESS *process, void *startAddress, ULONG64 rcx, ULONG64 rdx,
                               SIZE_T stackCommit, BOOLEAN suspended, CLIENT_ID *clientId,
                               ETHREAD **thread);

// Captured copies of user arguments (capture.c); a captured string's
// buffer is in pool until released.
NTSTATUS PspCaptureUnicodeString(const UNICODE_STRING *userString, UNICODE_STRING *captured);
void PspReleaseUnicodeString(UNICODE_STRING *captured);
// Ends another process: STATUS_PROCESS_IS_TERMINATING once its last thread
// has ended; told again while threads remain, it tells them again.
NTSTATUS PsTerminateProcess(EPROCESS *process, NTSTATUS exitStatus);
// Suspends a thread unless it is told to end or ending
// (STATUS_THREAD_IS_TERMINATING), as NT's PsSuspendThread.
NTSTATUS PsSuspendThread(ETHREAD *thread, ULONG *previousCount);

// PEB, TEB and user stacks (teb.c).
#define PSP_DEFAULT_USER_STACK_SIZE (64 * 1024)
// The largest stack a thread can ask for (all of it committed: there is no
// demand paging).
#define PSP_MAXIMUM_USER_STACK_SIZE (1024 * 1024 - 2 * PAGE_SIZE)
NTSTATUS PspCreatePeb(EPROCESS *process, const UNICODE_STRING *imagePathName,
                      const UNICODE_STRING *commandLine, void *imageBase);
// A new user thread's TEB and, with stackCommit, its stack (fresh
// reservations, see teb.c); *stackTop gets the stack's top (0 without one).
NTSTATUS PspCreateTeb(ETHREAD *thread, SIZE_T stackCommit, void **stackTop);
// Releases them when the thread ends (once; what the program freed or
// replaced meanwhile is left alone).
void PspDeleteTeb(ETHREAD *thread);

// ProcessExceptionPort (psport.c): set once, by a holder of SeTcbPrivilege,
// to an LPC port (STATUS_PORT_ALREADY_SET after); dropped at process exit.
NTSTATUS PspSetExceptionPort(EPROCESS *process, HANDLE portHandle);
void PspRundownExceptionPort(EPROCESS *process);

// Starts user program NAME.exe from the boot archive in a new process (a
// child of System) whose PEB carries commandLine (NULL: the image name).
// Returns a referenced EPROCESS in *process if given. PsStartUserProgramEx
// also gives the first thread, referenced, and can leave it suspended.
NTSTATUS PsStartUserProgram(const char *name, const char *commandLine, EPROCESS **process);
// Is NAME (or NAME.exe) in the boot archive? STATUS_OBJECT_NAME_NOT_FOUND
// if not. Takes no lock and allocates nothing: the debugger's shell uses it.
NTSTATUS PsFindUserProgram(const char *name);
// The boot archive's file `name` (exactly as packed, e.g. "rootfs.img"),
// read in place: *data stays valid for as long as the system runs.
// STATUS_OBJECT_NAME_NOT_FOUND when there is none. For drivers that take
// their data from the archive (the RAM file system's tree).
NTSTATUS PsGetBootArchiveFile(const char *name, const UCHAR **data, SIZE_T *size);
BOOLEAN PsBootArchivePresent(void);
NTSTATUS PspStartUserProgram(EPROCESS *parent, const char *name,
                             const UNICODE_STRING *commandLine, BOOLEAN suspended,
                             EPROCESS **process, ETHREAD **thread);
NTSTATUS PsStartUserProgramEx(const char *name, const UNICODE_STRING *commandLine,
                              BOOLEAN suspended, EPROCESS **process, ETHREAD **thread);

// Kernel-internal process creation. The System process (no parent) shares the
// kernel's page tables; every other process gets an address space of its
// own, freed with the process. Returns a referenced EPROCESS.
NTSTATUS PspCreateProcess(const char *imageName, EPROCESS *parent, KPRIORITY basePriority,
                          EPROCESS **process);

// Pool quota (quota.c). A new process gets a block of its own with its
// parent's limits (none: unlimited); the block goes with its last reference.
NTSTATUS PspInheritQuota(EPROCESS *process, EPROCESS *parent);
void PspDereferenceQuotaBlock(EPROCESS_QUOTA_BLOCK *block);
// Charges both pool types at once for something that may outlive the
// process (an object): the block, referenced, for PsReturnSharedPoolQuota;
// NULL when a limit would be passed (nothing charged: STATUS_QUOTA_EXCEEDED).
EPROCESS_QUOTA_BLOCK *PsChargeSharedPoolQuota(EPROCESS *process, SIZE_T pagedAmount,
                                              SIZE_T nonPagedAmount);
void PsReturnSharedPoolQuota(EPROCESS_QUOTA_BLOCK *block, SIZE_T pagedAmount,
                             SIZE_T nonPagedAmount);
// A charge the process itself will return: STATUS_QUOTA_EXCEEDED past the limit.
NTSTATUS PsChargeProcessPoolQuota(EPROCESS *process, POOL_TYPE poolType, SIZE_T amount);
void PsReturnProcessPoolQuota(EPROCESS *process, POOL_TYPE poolType, SIZE_T amount);
void PsSetProcessPoolQuotaLimit(EPROCESS *process, POOL_TYPE poolType, SIZE_T limit);
// ProcessQuotaLimits: STATUS_PRIVILEGE_NOT_HELD (nothing set) when a limit
// would go up without SeIncreaseQuotaPrivilege; STATUS_INVALID_PARAMETER
// for the limits Sleuth does not have.
NTSTATUS PspSetQuotaLimits(EPROCESS *process, const QUOTA_LIMITS *limits);
// ThreadAffinityMask / ProcessAffinityMask (psaffin.c): the user's buffer
// and the handle, checked; the kernel's KeSetAffinityThread/Process do it.
NTSTATUS PspSetAffinityThread(HANDLE threadHandle, void *information, ULONG informationLength);
NTSTATUS PspSetAffinityProcess(HANDLE processHandle, void *information, ULONG informationLength);

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

// ---- User APCs (psapc.c, userentry.c) -------------------------------------------

// Frees the user APCs still queued to the calling thread as it ends (no new
// ones can be queued from here on). Part of thread exit.
void PspRundownUserApcs(ETHREAD *thread);

// Finds the runtime's KiUserApcDispatcher in a program's ELF symbol table
// and records it in the process, where user APC delivery looks for it.
// STATUS_INVALID_IMAGE_FORMAT when the image has no such symbol: it was not
// linked with Sleuth's runtime.
NTSTATUS PspLookupUserEntryPoints(EPROCESS *process, const UCHAR *image, SIZE_T size);
