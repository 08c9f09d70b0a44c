// tfuzz: a seeded native-API fuzzer (docs/fuzzing.md). Every system service
// of kernel/ex/services.h is called with typed hostile arguments from
// several threads at once, while child processes (this program again, with
// a role) hold LPC conversations and are killed at random points.
//
// The pieces, one idea per file:
//   rng.c       the seeded generator (splitmix64 / xorshift64*)
//   memory.c    where pointer arguments point: scratch, holes, read-only
//   handles.c   the pool of handles the fuzzer holds, and bad handle values
//   structs.c   OBJECT_ATTRIBUTES, UNICODE_STRING, descriptors, messages...
//   table.c     the service table, built from services.h, with each
//               service's argument spec (a service without one: no build)
//   call.c      one call: arguments from the spec, the filters that keep the
//               fuzzer alive, what a successful call gave back
//   children.c  the child roles (LPC servers and clients) and their killing
//   main.c      the campaign: workers, the watchdog, progress, clean-up
#pragma once

#include "user/include/runtime.h"
#include "kernel/ex/services.h"

// ---- The generator -------------------------------------------------------------

typedef struct _FZ_RNG {
    ULONG64 State;
} FZ_RNG;

ULONG64 FzSplitMix(ULONG64 *state);
void FzSeed(FZ_RNG *rng, ULONG64 seed, ULONG64 stream);
ULONG64 FzNext(FZ_RNG *rng);
ULONG FzBelow(FZ_RNG *rng, ULONG bound);        // 0..bound-1
BOOLEAN FzChance(FZ_RNG *rng, ULONG percent);

// ---- Argument kinds --------------------------------------------------------------

// What an argument is; call.c has one generator per kind.
typedef enum _FZ_ARG {
    FzEnd = 0,
    FzHAny,         // a handle of any type, or a bad one
    FzHEvent, FzHSemaphore, FzHMutant, FzHTimer, FzHDirectory, FzHLink, FzHSection,
    FzHPort, FzHProcess, FzHThread, FzHToken, FzHFile,
    FzHKillProcess, // a process to end or change: never this one (filtered)
    FzHKillThread,  // a thread to end or suspend: never a worker (filtered)
    FzOutHandle,    // PHANDLE the service writes
    FzAccess,       // ACCESS_MASK
    FzOa,           // POBJECT_ATTRIBUTES
    FzUstr,         // PUNICODE_STRING (a name)
    FzUstrOut,      // PUNICODE_STRING the service fills
    FzImage,        // PUNICODE_STRING: a program name
    FzCmdLine,      // PUNICODE_STRING: a child's command line
    FzInBuf,        // input buffer; the next argument is its length
    FzOutBuf,       // output buffer; the next argument is its length
    FzLen,          // ULONG length
    FzSize,         // SIZE_T length
    FzOutUlong,     // PULONG written
    FzOutSize,      // PSIZE_T written
    FzInOutSize,    // PSIZE_T read and written (region sizes)
    FzInOutBase,    // PVOID * read and written (base addresses)
    FzAddress,      // PVOID address in this or a child's space
    FzClass,        // an information class
    FzSysClass,     // a system information class: NtSetSystemInformation's
    FzBool,
    FzUlong,        // ULONG with interesting values
    FzCount,        // LONG counts (semaphores, periods)
    FzStatus,       // an exit status
    FzTimeout,      // PLARGE_INTEGER: short relative or past absolute
    FzDueTime,      // PLARGE_INTEGER: a timer's due time
    FzLargeInt,     // PLARGE_INTEGER: sizes, offsets
    FzCid,          // PCLIENT_ID
    FzMsg,          // PPORT_MESSAGE to send
    FzMsgOut,       // PPORT_MESSAGE to receive into
    FzSd,           // PSECURITY_DESCRIPTOR
    FzSecInfo,      // SECURITY_INFORMATION
    FzQos,          // PSECURITY_QUALITY_OF_SERVICE
    FzPortView,     // PPORT_VIEW
    FzRemoteView,   // PREMOTE_PORT_VIEW
    FzSid,          // PSID
    FzApc,          // an APC or timer routine (always a harmless one)
    FzStart,        // a thread's start routine (always a harmless one)
    FzContext,      // PCONTEXT for NtContinue: never one that can be resumed
    FzWaitCount,    // NtWaitForMultipleObjects' count
    FzHandles,      // its handle array
    FzProtect,      // page protection
    FzAllocType,    // MEM_* / SEC_* flags
    FzZeroBits,
    FzPtr,          // an opaque PVOID (contexts, APC arguments)
    FzOutPtr,       // PVOID * written (port contexts)
    FzOut16,        // 16 bytes written (CLIENT_ID, LARGE_INTEGER)
    FzInOutUlong,   // PULONG read and written (lengths, contexts)
    FzInHandleBuf,  // a buffer holding a handle; the next argument is its length
    FzTokenPart,    // one of NtCreateToken's structures
    FzConsoleText,  // NtDisplayString's string (always ends its line)
    FzFileOa,       // POBJECT_ATTRIBUTES naming a device or a file on one
    FzIoctl,        // an I/O control code (the test devices' and others)
    FzCreateOptions, // NtCreateFile's options, dispositions and the like
    FzHAlpcPort,    // an ALPC port handle (a connection or communication port)
    FzAlpcAttr,     // PALPC_PORT_ATTRIBUTES
    FzMsgAttr,      // PALPC_MESSAGE_ATTRIBUTES: a header and room for the attributes
    FzAlpcFlags,    // NtAlpcSendWaitReceivePort's and NtAlpcConnectPort's flags
    FzAlpcContext,  // PALPC_CONTEXT_ATTR naming a message (NtAlpcCancelMessage)
    FzAlpcHandle,   // an ALPC_HANDLE: a port section or security context given back, or not
    FzOutAlpcHandle, // PALPC_HANDLE written (and remembered)
    FzViewAttr,     // PALPC_DATA_VIEW_ATTR read and written (NtAlpcCreateSectionView)
    FzSecAttr,      // PALPC_SECURITY_ATTR read and written (NtAlpcCreateSecurityContext)
    FzViewBase,     // a view's base address: one given back, or anywhere
    FzThreadId,     // a thread id by value: a worker's (each has a message queue), small, random
    FzOutUserMsg,   // PMSG the service writes (NtUserGetMessage)
    FzHwnd,         // a window handle: NULL (there are no windows) or made up
    FzArgKinds
} FZ_ARG;

// What a successful call's output handle is.
typedef enum _FZ_TYPE {
    FzTypeNone, FzTypeEvent, FzTypeSemaphore, FzTypeMutant, FzTypeTimer, FzTypeDirectory,
    FzTypeLink, FzTypeSection, FzTypePort, FzTypeProcess, FzTypeThread, FzTypeToken,
    FzTypeFile, FzTypeAlpcPort,
    FzTypeUnknown,  // NtDuplicateObject's: whatever the source was
    FzTypes
} FZ_TYPE;

#define FZ_MAX_ARGS 13

typedef struct _FZ_SERVICE {
    const char *Name;
    ULONG Number;
    ULONG ArgumentCount;
    const UCHAR *Args;          // FZ_ARG per argument, FzEnd after the last
    UCHAR Creates;              // FZ_TYPE of the handle written at FzOutHandle
    UCHAR Weight;               // relative frequency, 1..8
} FZ_SERVICE;

extern const FZ_SERVICE FzServices[SERVICE_COUNT];
typedef ULONG64 (NTAPI *FZ_SYSTEM_CALL)(ULONG64, ULONG64, ULONG64, ULONG64, ULONG64, ULONG64,
                                        ULONG64, ULONG64, ULONG64, ULONG64, ULONG64, ULONG64,
                                        ULONG64);
extern const FZ_SYSTEM_CALL FzSystemCalls[SERVICE_COUNT];

// ---- The campaign's shared state ------------------------------------------------

// Known kernel bugs a campaign can be told to avoid (avoid=N,N on the
// command line) until their fixes are merged; see docs/fuzzing.md.
#define FZ_AVOID(item) (FzAvoid & (1u << (item)))
extern ULONG FzAvoid;

#define FZ_MAX_WORKERS 8

typedef struct _FZ_WORKER {
    FZ_RNG Rng;
    ULONG Index;
    ULONG Generation;
    volatile ULONG64 Calls;
    volatile ULONG Service;         // the service being called, for the watchdog
    HANDLE ThreadId;
    UCHAR *Scratch;                 // FZ_SCRATCH_PAGES writable pages
    BOOLEAN SimpleName;             // the last name: \fz* or \BaseNamedObjects\fz*
    ULONG ScratchUsed;
} FZ_WORKER;

extern FZ_WORKER FzWorkers[FZ_MAX_WORKERS];
extern ULONG FzWorkerCount;
extern HANDLE FzSelfPid, FzMainTid;
extern volatile ULONG64 FzServiceCalls[SERVICE_COUNT];
extern volatile ULONG64 FzFiltered;
extern volatile LONG FzStopping;

// The lock that makes "is this handle us?" and the call that acts on it one
// step: taken by the calls that end or suspend, and by the calls that can
// make a process or thread handle. A worker killed inside it is forgiven
// by the watchdog (FzForgiveLock).
void FzLock(void);
void FzUnlock(void);
void FzForgiveLock(HANDLE threadId);

// ---- Memory (memory.c) -----------------------------------------------------------

#define FZ_SCRATCH_PAGES 4
#define FZ_PAGE 4096

void FzInitializeMemory(void);
NTSTATUS FzInitializeWorkerMemory(FZ_WORKER *worker);
void FzResetScratch(FZ_WORKER *worker);
// `size` bytes from the worker's scratch, 16-aligned and zeroed; NULL when
// the scratch is used up.
void *FzScratch(FZ_WORKER *worker, ULONG size);
// Where a structure of `size` bytes goes: mostly scratch, sometimes NULL, a
// kernel, non-canonical or unaligned address, across the edge of a hole
// (*room says how many bytes may be written there), or in a read-only page.
void *FzPlace(FZ_WORKER *worker, ULONG size, ULONG *room);
// A pointer that can never be read: NULL, kernel, non-canonical, a hole.
void *FzBadPointer(FZ_WORKER *worker);
// An address for the memory services: the playground, holes, bad ones.
ULONG64 FzMemoryAddress(FZ_WORKER *worker);
ULONG64 FzLength(FZ_WORKER *worker);

// ---- Handles (handles.c) --------------------------------------------------------

void FzInitializeHandles(void);
void FzRecordHandle(HANDLE handle, FZ_TYPE type);
// A handle for an argument that prefers `type` (FzTypeNone: any).
HANDLE FzPickHandle(FZ_WORKER *worker, FZ_TYPE type);
// Takes a handle out of the pool (for NtClose), FALSE if none.
BOOLEAN FzTakeHandle(FZ_WORKER *worker, HANDLE *handle);
void FzNoteClosed(HANDLE handle);
void FzCloseAllHandles(void);
FZ_TYPE FzTypeOfHandleArg(FZ_ARG kind);

// ---- Structures (structs.c) -----------------------------------------------------

// A copy of `size` bytes of `data` where FzPlace puts it; the pointer.
void *FzEmitCopy(FZ_WORKER *worker, const void *data, ULONG size);
void *FzObjectAttributes(FZ_WORKER *worker);
void *FzUnicodeName(FZ_WORKER *worker);
void *FzUnicodeString(FZ_WORKER *worker, const WCHAR *text);
void *FzSecurityDescriptor(FZ_WORKER *worker);
void *FzPortMessage(FZ_WORKER *worker, BOOLEAN output);
void *FzClientId(FZ_WORKER *worker);
void *FzTimeoutValue(FZ_WORKER *worker, BOOLEAN dueTime);
void *FzLargeInteger(FZ_WORKER *worker);
void *FzQualityOfService(FZ_WORKER *worker);
void *FzPortViewValue(FZ_WORKER *worker, BOOLEAN remote);
void *FzSidValue(FZ_WORKER *worker);
void *FzCommandLine(FZ_WORKER *worker);
void *FzImageName(FZ_WORKER *worker);
void *FzFileAttributes(FZ_WORKER *worker);
void *FzAlpcAttributes(FZ_WORKER *worker);
void *FzMessageAttributes(FZ_WORKER *worker);
void *FzAlpcContextValue(FZ_WORKER *worker);

// ---- ALPC's extensions (alpcx.c) ------------------------------------------------

// The kinds above from FzAlpcHandle to FzViewBase; *whole as FzGenerate's.
ULONG64 FzAlpcxGenerate(FZ_WORKER *worker, FZ_ARG kind, BOOLEAN *whole);
// After a successful call: what it wrote at such an argument, remembered.
void FzAlpcxNoteResult(FZ_ARG kind, ULONG64 argument, BOOLEAN whole);
// A message attribute buffer carrying security, view and context attributes.
void *FzAlpcxMessageAttributes(FZ_WORKER *worker);
// The names the fuzzer creates objects under ("fz..."), for the clean-up.
extern const WCHAR *const FzLeafNames[];
extern const ULONG FzLeafNameCount;

// ---- Calls (call.c) -------------------------------------------------------------

// Makes one call of service `index` with generated arguments.
void FzCallService(FZ_WORKER *worker, ULONG index);
NTSTATUS NTAPI FzVictimThread(PVOID argument);
void NTAPI FzHarmlessApc(PVOID a, PVOID b, PVOID c);

// ---- Children (children.c) ------------------------------------------------------

int FzChildMain(const char *line);
// One step of the main thread's life-and-death of children: maybe start an
// LPC server or client, maybe kill one.
void FzChildrenStep(FZ_RNG *rng);
// Ends every process this one started and every thread it has but the
// caller; returns how many were left.
ULONG FzEndEverything(BOOLEAN threadsToo);
// This process's child processes and extra threads, as the system lists them.
void FzCountFamily(ULONG *children, ULONG *threads);
// Waits (2 s) for a process or thread to end; FALSE if it did not.
BOOLEAN FzWaitEnded(BOOLEAN isProcess, HANDLE pid, HANDLE tid);
// What the system list says of a thread id: is it ours, is it a worker.
BOOLEAN FzIsWorkerThread(HANDLE tid);
