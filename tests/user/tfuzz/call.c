// One call: the arguments from the service's spec, the few filters that
// keep the fuzzer itself alive (it must not end, suspend or redirect its
// own workers, nor touch processes that are not its children), the call,
// and what a successful call gave back (handles for the pool, received
// messages for later replies).

#include "tests/user/tfuzz/fuzz.h"

void FzNoteReceived(const PORT_MESSAGE *message);
void FzNoteChild(HANDLE pid);
BOOLEAN FzIsChildPid(HANDLE pid);
extern volatile LONG FzLiveChildren, FzLiveThreads;

#define FZ_MAX_CHILDREN 10
#define FZ_MAX_EXTRA_THREADS 24

void NTAPI FzHarmlessApc(PVOID a, PVOID b, PVOID c)
{
}

// The start routine of every thread the fuzzer makes with NtCreateThreadEx:
// a short life of alertable waits, ended early by whoever kills it.
NTSTATUS NTAPI FzVictimThread(PVOID argument)
{
    LARGE_INTEGER tick = {.QuadPart = -10000};
    ULONG rounds = (ULONG)(ULONG_PTR)argument % 8;

    for (ULONG i = 0; i < rounds; i++)
        NtDelayExecution(TRUE, &tick);
    return STATUS_SUCCESS;
}

static ULONG64 FzAccessMask(FZ_RNG *rng)
{
    static const ULONG Masks[] = {
        0, MAXIMUM_ALLOWED, GENERIC_ALL, GENERIC_READ, GENERIC_WRITE, SYNCHRONIZE, DELETE,
        READ_CONTROL | WRITE_DAC, 0x1F0003, 0x1F03FF, 0x1F0FFF, 0xF000F, 1, 2, 0x40,
        ACCESS_SYSTEM_SECURITY, 0xFFFFFFFF,
    };

    if (FzChance(rng, 85))
        return Masks[FzBelow(rng, sizeof(Masks) / sizeof(Masks[0]))];
    return (ULONG)FzNext(rng);
}

static ULONG64 FzSmall(FZ_RNG *rng, const ULONG64 *values, ULONG count)
{
    if (FzChance(rng, 85))
        return values[FzBelow(rng, count)];
    return FzChance(rng, 50) ? FzBelow(rng, 64) : FzNext(rng);
}

#define FZ_PICK(rng, ...)                                                                  \
    ({                                                                                     \
        static const ULONG64 values_[] = {__VA_ARGS__};                                    \
        FzSmall(rng, values_, sizeof(values_) / sizeof(values_[0]));                       \
    })

// A writable place for `size` bytes, or a hostile one; *whole says whether
// the kernel's result can be read back from it afterwards.
static void *FzOutput(FZ_WORKER *worker, ULONG size, BOOLEAN *whole)
{
    ULONG room;
    void *at = FzPlace(worker, size, &room);

    if (whole)
        *whole = at && room == size && size;
    return at;
}

static void *FzTokenPartValue(FZ_WORKER *worker)
{
    FZ_RNG *rng = &worker->Rng;
    ULONG64 words[8];

    for (ULONG i = 0; i < 8; i++)
        words[i] = (i % 2 == 0) ? (ULONG64)FzSidValue(worker) : FzBelow(rng, 16);
    if (FzChance(rng, 40))
        words[0] = FzChance(rng, 70) ? FzBelow(rng, 4) : FzLength(worker);
    return FzEmitCopy(worker, words, sizeof(words));
}

// Whom a process or thread handle names, as far as the fuzzer may act on
// it: acting on FzTargetUnsafe could end or stall the fuzzer itself (or a
// process that is not its child).
typedef enum _FZ_TARGET { FzTargetNothing, FzTargetOwn, FzTargetChild, FzTargetUnsafe } FZ_TARGET;

static FZ_TARGET FzNothingOrUnsafe(NTSTATUS status)
{
    return status == STATUS_INVALID_HANDLE || status == STATUS_OBJECT_TYPE_MISMATCH
               ? FzTargetNothing
               : FzTargetUnsafe;
}

static FZ_TARGET FzProcessTarget(HANDLE handle)
{
    PROCESS_BASIC_INFORMATION information;
    NTSTATUS status;

    if (handle == NULL || handle == NtCurrentProcess())
        return FzTargetUnsafe;
    status = NtQueryInformationProcess(handle, ProcessBasicInformation, &information,
                                       sizeof(information), NULL);
    if (!NT_SUCCESS(status))
        return FzNothingOrUnsafe(status);
    if ((HANDLE)information.UniqueProcessId == FzSelfPid)
        return FzTargetOwn;
    return FzIsChildPid((HANDLE)information.UniqueProcessId) ? FzTargetChild : FzTargetUnsafe;
}

// A process argument of a service that changes the process (its memory,
// its handles): this one, a child, or none. Never the System process or
// another program's: a handle the fuzzer left in System's table, or pages
// it mapped there, would outlive the campaign (SYSTEM may do that).
static BOOLEAN FzOurProcess(HANDLE handle)
{
    return handle == NtCurrentProcess() || FzProcessTarget(handle) != FzTargetUnsafe;
}

// A worker's or the main thread's own thread is unsafe; a victim thread of
// this process is FzTargetOwn.
static FZ_TARGET FzThreadTarget(HANDLE handle)
{
    THREAD_BASIC_INFORMATION information;
    NTSTATUS status;

    if (handle == NULL || handle == NtCurrentThread())
        return FzTargetUnsafe;
    status = NtQueryInformationThread(handle, ThreadBasicInformation, &information,
                                      sizeof(information), NULL);
    if (!NT_SUCCESS(status))
        return FzNothingOrUnsafe(status);
    if (information.ClientId.UniqueProcess == FzSelfPid)
        return information.ClientId.UniqueThread == FzMainTid ||
                       FzIsWorkerThread(information.ClientId.UniqueThread)
                   ? FzTargetUnsafe
                   : FzTargetOwn;
    return FzIsChildPid(information.ClientId.UniqueProcess) ? FzTargetChild : FzTargetUnsafe;
}

// A user APC runs this program's harmless routine: fine in any thread of
// this process or of a child (the same image), never elsewhere.
static BOOLEAN FzApcTargetAllowed(HANDLE handle)
{
    THREAD_BASIC_INFORMATION information;
    NTSTATUS status;

    if (handle == NtCurrentThread())
        return TRUE;
    status = NtQueryInformationThread(handle, ThreadBasicInformation, &information,
                                      sizeof(information), NULL);
    if (!NT_SUCCESS(status))
        return FzNothingOrUnsafe(status) == FzTargetNothing;
    return information.ClientId.UniqueProcess == FzSelfPid ||
           FzIsChildPid(information.ClientId.UniqueProcess);
}

// Services whose arguments name a process or thread the fuzzer could lose,
// or that can give it a new handle to one: they run under the lock.
static BOOLEAN FzNeedsLock(ULONG number)
{
    switch (number) {
    case SERVICE_NtTerminateProcess: case SERVICE_NtTerminateThread: case SERVICE_NtSuspendThread:
    case SERVICE_NtDuplicateObject: case SERVICE_NtOpenProcess: case SERVICE_NtOpenThread:
    case SERVICE_NtCreateThreadEx: case SERVICE_NtCreateProcessFromArchive:
    case SERVICE_NtQueueApcThread: case SERVICE_NtSetInformationProcess:
    case SERVICE_NtAllocateVirtualMemory: case SERVICE_NtFreeVirtualMemory:
    case SERVICE_NtProtectVirtualMemory: case SERVICE_NtUnmapViewOfSection:
    case SERVICE_NtMapViewOfSection:
        return TRUE;
    default:
        return FALSE;
    }
}

// NtMakeTemporaryObject only on the fuzzer's own objects: the campaign
// runs as SYSTEM, which may delete \BaseNamedObjects itself that way.
static BOOLEAN FzOwnName(HANDLE handle)
{
    UCHAR buffer[512] __attribute__((aligned(8)));
    OBJECT_NAME_INFORMATION *name = (OBJECT_NAME_INFORMATION *)buffer;
    NTSTATUS status = NtQueryObject(handle, ObjectNameInformation, buffer, sizeof(buffer), NULL);

    if (!NT_SUCCESS(status))
        return status == STATUS_INVALID_HANDLE || status == STATUS_OBJECT_TYPE_MISMATCH;
    for (ULONG i = 0; i + 2 < name->Name.Length / sizeof(WCHAR); i++) {
        if (name->Name.Buffer[i] == u'\\' && name->Name.Buffer[i + 1] == u'f' &&
            name->Name.Buffer[i + 2] == u'z')
            return TRUE;
    }
    return name->Name.Length == 0;
}

// The filters: FALSE when this call must not be made. Item 6's avoidance
// keeps children alive until they end by themselves.
static BOOLEAN FzAllowed(FZ_WORKER *worker, ULONG number, ULONG64 *a)
{
    FZ_TARGET target;

    switch (number) {
    case SERVICE_NtTerminateProcess:
        target = FzProcessTarget((HANDLE)a[0]);
        return target == FzTargetNothing || (target == FzTargetChild && !FZ_AVOID(6));
    case SERVICE_NtTerminateThread:
        target = FzThreadTarget((HANDLE)a[0]);
        return target == FzTargetNothing || target == FzTargetOwn ||
               (target == FzTargetChild && !FZ_AVOID(6));
    case SERVICE_NtSuspendThread:
        target = FzThreadTarget((HANDLE)a[0]);
        return !FZ_AVOID(4) && target != FzTargetUnsafe;
    case SERVICE_NtQueueApcThread:
        // The routine is this program's: harmless here and in a child, the
        // same image; a worker may take it too.
        return FzApcTargetAllowed((HANDLE)a[0]);
    case SERVICE_NtCreateThreadEx:
        if (FZ_AVOID(4))
            a[6] &= ~(ULONG64)THREAD_CREATE_FLAGS_CREATE_SUSPENDED;
        return FzLiveThreads < FZ_MAX_EXTRA_THREADS &&
               ((HANDLE)a[3] == NtCurrentProcess() || FzProcessTarget((HANDLE)a[3]) !=
                FzTargetUnsafe);
    case SERVICE_NtCreateProcessFromArchive:
        if (FZ_AVOID(4))
            a[7] &= ~(ULONG64)PROCESS_CREATE_FLAGS_SUSPENDED;
        return FzLiveChildren < FZ_MAX_CHILDREN;
    case SERVICE_NtSetInformationProcess:
        // The exception port of a process that has ended (item 6).
        return !(FZ_AVOID(6) && a[1] == ProcessExceptionPort) && FzOurProcess((HANDLE)a[0]);
    case SERVICE_NtRegisterThreadTerminatePort:
        return !FZ_AVOID(5);
    case SERVICE_NtMakeTemporaryObject:
        return FzOwnName((HANDLE)a[0]);
    case SERVICE_NtDuplicateObject:
        return FzOurProcess((HANDLE)a[0]) && FzOurProcess((HANDLE)a[2]);
    case SERVICE_NtAllocateVirtualMemory: case SERVICE_NtFreeVirtualMemory:
    case SERVICE_NtProtectVirtualMemory: case SERVICE_NtUnmapViewOfSection:
        return FzOurProcess((HANDLE)a[0]);
    case SERVICE_NtMapViewOfSection:
        return FzOurProcess((HANDLE)a[1]);
    default:
        return TRUE;
    }
}

// NtDisplayString's argument: hostile in where it is and how long it says
// it is, but never a long run of real characters (the serial console is
// slow, and the campaign's own lines must stay readable).
static void *FzConsoleString(FZ_WORKER *worker)
{
    FZ_RNG *rng = &worker->Rng;
    UNICODE_STRING string;
    WCHAR *buffer = FzScratch(worker, 8);

    string.Length = (USHORT)FZ_PICK(rng, 0, 0, 1, 3);
    string.MaximumLength = (USHORT)FZ_PICK(rng, 0, 2, 8, 0xFFFF);
    string.Buffer = buffer;
    if (FzChance(rng, 30)) {
        string.Buffer = FzBadPointer(worker);
        string.Length = (USHORT)FZ_PICK(rng, 2, 0x100, 0xFFFE);
    }
    if (string.Length > 3 && string.Buffer == buffer)
        string.Length = 2;
    return FzEmitCopy(worker, &string, sizeof(string));
}

static ULONG64 FzGenerate(FZ_WORKER *worker, FZ_ARG kind, ULONG64 *next, BOOLEAN *whole)
{
    FZ_RNG *rng = &worker->Rng;
    ULONG64 length;

    *whole = FALSE;
    switch (kind) {
    case FzHAny: case FzHEvent: case FzHSemaphore: case FzHMutant: case FzHTimer:
    case FzHDirectory: case FzHLink: case FzHSection: case FzHPort: case FzHProcess:
    case FzHThread: case FzHToken: case FzHKillProcess: case FzHKillThread: case FzHFile:
    case FzHAlpcPort:
        return (ULONG64)FzPickHandle(worker, FzTypeOfHandleArg(kind));
    case FzOutHandle: return (ULONG64)FzOutput(worker, sizeof(HANDLE), whole);
    case FzAccess: return FzAccessMask(rng);
    case FzOa: return (ULONG64)FzObjectAttributes(worker);
    case FzUstr: return (ULONG64)FzUnicodeName(worker);
    case FzUstrOut: {
        UNICODE_STRING *string = FzScratch(worker, sizeof(UNICODE_STRING));
        ULONG room;

        if (!string || FzChance(rng, 10))
            return (ULONG64)FzBadPointer(worker);
        string->MaximumLength = (USHORT)FzLength(worker);
        string->Buffer = FzPlace(worker, string->MaximumLength & 0x3FF, &room);
        return (ULONG64)string;
    }
    case FzImage: return (ULONG64)FzImageName(worker);
    case FzCmdLine: return (ULONG64)FzCommandLine(worker);
    case FzInBuf: case FzOutBuf: case FzInHandleBuf: {
        ULONG room;
        UCHAR *buffer;

        length = FzLength(worker);
        if (kind == FzInHandleBuf && FzChance(rng, 70))
            length = FzChance(rng, 80) ? 8 : 16;
        *next = length;
        buffer = FzPlace(worker, (ULONG)(length < 2048 ? length : 2048), &room);
        if (kind == FzInHandleBuf && buffer && room >= 8) {
            HANDLE handle = FzPickHandle(worker, FzChance(rng, 50) ? FzTypeToken : FzTypePort);

            if (FzChance(rng, 10))
                handle = NULL;
            memcpy(buffer, &handle, sizeof(handle));
        } else if (kind == FzInBuf && buffer) {
            for (ULONG i = 0; i < room && i < 64; i++)
                buffer[i] = (UCHAR)FzNext(rng);
        }
        return (ULONG64)buffer;
    }
    case FzLen: return (ULONG)FzLength(worker);
    case FzSize: return FzLength(worker);
    case FzOutUlong: return FzChance(rng, 20) ? 0 : (ULONG64)FzOutput(worker, 4, NULL);
    case FzOutSize: return FzChance(rng, 20) ? 0 : (ULONG64)FzOutput(worker, 8, NULL);
    case FzOut16: return (ULONG64)FzOutput(worker, 16, NULL);
    case FzOutPtr: return FzChance(rng, 30) ? 0 : (ULONG64)FzOutput(worker, 8, NULL);
    case FzInOutUlong: case FzInOutSize: case FzInOutBase: {
        ULONG size = kind == FzInOutUlong ? 4 : 8;
        ULONG64 value = kind == FzInOutBase ? FzMemoryAddress(worker) : FzLength(worker);
        ULONG room;
        void *at;

        if (kind == FzInOutSize && FzChance(rng, 60))
            value = (ULONG64)(1 + FzBelow(rng, 8)) * FZ_PAGE;
        at = FzPlace(worker, size, &room);
        if (at && room)
            memcpy(at, &value, room < size ? room : size);
        return (ULONG64)at;
    }
    case FzAddress: return FzMemoryAddress(worker);
    case FzClass: return FZ_PICK(rng, 0, 0, 0, 1, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 21, 0x80000000);
    // SystemSessionCreate (47) most of the time: each moves the caller to a new session.
    case FzSysClass: return FZ_PICK(rng, 47, 47, 47, 0, 5, 46, 48, 0x80000000);
    case FzBool: return FzChance(rng, 90) ? FzBelow(rng, 2) : FzBelow(rng, 256);
    case FzUlong: return FZ_PICK(rng, 0, 0, 1, 2, 3, 4, 6, 7, 0x10, 0x80000000, 0xFFFFFFFF);
    case FzCount: return (ULONG)FZ_PICK(rng, 0, 1, 1, 2, 10, (ULONG)-1, 0x7FFFFFFF, 0x80000000,
                                        0x7FFFFFFE);
    case FzStatus: return (ULONG)FzNext(rng);
    case FzTimeout: return (ULONG64)FzTimeoutValue(worker, FALSE);
    case FzDueTime: return (ULONG64)FzTimeoutValue(worker, TRUE);
    case FzLargeInt: return (ULONG64)FzLargeInteger(worker);
    case FzCid: return (ULONG64)FzClientId(worker);
    case FzThreadId:
        if (FzChance(rng, 60))
            return (ULONG64)FzWorkers[FzBelow(rng, FzWorkerCount)].ThreadId;
        return FzChance(rng, 50) ? (ULONG64)FzBelow(rng, 128) * 4 : (ULONG)FzNext(rng);
    case FzOutUserMsg: return (ULONG64)FzOutput(worker, sizeof(MSG), whole);
    case FzHwnd: return FzChance(rng, 50) ? 0 : FzNext(rng);
    case FzMsg:
        // NtReplyWaitReceivePort's reply is optional, and usually absent.
        return FzChance(rng, 15) ? 0 : (ULONG64)FzPortMessage(worker, FALSE);
    case FzMsgOut: {
        struct { PORT_MESSAGE h; UCHAR Data[0x290]; } *message;

        message = FzOutput(worker, sizeof(*message), whole);
        return (ULONG64)message;
    }
    case FzSd: return (ULONG64)FzSecurityDescriptor(worker);
    case FzSecInfo: return FZ_PICK(rng, 1, 2, 4, 7, 8, 0xF, 0);
    case FzQos: return FzChance(rng, 15) ? 0 : (ULONG64)FzQualityOfService(worker);
    case FzPortView: return FzChance(rng, 70) ? 0 : (ULONG64)FzPortViewValue(worker, FALSE);
    case FzRemoteView: return FzChance(rng, 70) ? 0 : (ULONG64)FzPortViewValue(worker, TRUE);
    case FzSid: return FzChance(rng, 30) ? 0 : (ULONG64)FzSidValue(worker);
    case FzApc: return FzChance(rng, 15) ? 0 : (ULONG64)FzHarmlessApc;
    case FzStart: return (ULONG64)FzVictimThread;
    case FzContext: {
        // Never a whole, readable CONTEXT: the thread would go there.
        if (FzChance(rng, 50))
            return (ULONG64)FzBadPointer(worker);
        return (ULONG64)(worker->Scratch + (FZ_SCRATCH_PAGES + 1) * FZ_PAGE -
                         (16 + FzBelow(rng, 512)));
    }
    case FzWaitCount: {
        ULONG64 count = FZ_PICK(rng, 1, 1, 2, 3, 4, 8, 0, 63, 64, 65, 0xFFFFFFFF);

        *next = count;
        return count;
    }
    case FzHandles: {
        HANDLE handles[MAXIMUM_WAIT_OBJECTS + 2];
        ULONG room;
        void *at;

        for (ULONG i = 0; i < MAXIMUM_WAIT_OBJECTS + 2; i++)
            handles[i] = FzPickHandle(worker, FzTypeNone);
        at = FzPlace(worker, sizeof(handles), &room);
        if (at && room)
            memcpy(at, handles, room);
        return (ULONG64)at;
    }
    case FzProtect:
        return FZ_PICK(rng, PAGE_READWRITE, PAGE_READONLY, PAGE_NOACCESS, PAGE_EXECUTE_READ,
                       PAGE_EXECUTE_READWRITE, PAGE_WRITECOPY, PAGE_GUARD | PAGE_READWRITE,
                       PAGE_NOCACHE | PAGE_READWRITE, 0, 0x3);
    case FzAllocType:
        return FZ_PICK(rng, MEM_COMMIT, MEM_RESERVE, MEM_COMMIT | MEM_RESERVE, MEM_DECOMMIT,
                       MEM_RELEASE, MEM_COMMIT | MEM_TOP_DOWN, SEC_COMMIT, SEC_RESERVE,
                       SEC_IMAGE, MEM_DECOMMIT | MEM_RELEASE, 0);
    case FzZeroBits: return FZ_PICK(rng, 0, 0, 0, 1, 20, 32, 53, 64, 0x7FFFFFFF);
    case FzPtr:
        return FzChance(rng, 50) ? FzBelow(rng, 16) : (ULONG64)FzBadPointer(worker);
    case FzTokenPart: return FzChance(rng, 10) ? 0 : (ULONG64)FzTokenPartValue(worker);
    case FzConsoleText: return (ULONG64)FzConsoleString(worker);
    case FzFileOa: return (ULONG64)FzFileAttributes(worker);
    case FzIoctl:
        // The test devices' codes (buffered, neither, access-checked, direct,
        // held), others' and nonsense.
        if (FzChance(rng, 10))
            return (ULONG)FzNext(rng);
        return FZ_PICK(rng, 0x81232000, 0x81232007, 0x81236008, 0x8123A00C, 0x81232012,
                       0x81232014, 0x81232018, 0x8123201C, 0x81232020, 0x00140193, 0);
    case FzCreateOptions:
        if (FzChance(rng, 10))
            return (ULONG)FzNext(rng);
        return FZ_PICK(rng, 0, 0x20, 0x10, 0x30, 0x40, 0x1, 0x41, 0x1000, 0x20 | 0x40, 3, 5, 6,
                       0x00FFFFFF);
    case FzAlpcAttr: return FzChance(rng, 30) ? 0 : (ULONG64)FzAlpcAttributes(worker);
    case FzMsgAttr: return FzChance(rng, 40) ? 0 : (ULONG64)FzMessageAttributes(worker);
    case FzAlpcContext: return (ULONG64)FzAlpcContextValue(worker);
    case FzAlpcHandle: case FzOutAlpcHandle: case FzViewAttr: case FzSecAttr: case FzViewBase:
        return FzAlpcxGenerate(worker, kind, whole);
    case FzAlpcFlags:
        if (FzChance(rng, 10))
            return (ULONG)FzNext(rng);
        return FZ_PICK(rng, 0, 0, ALPC_MSGFLG_SYNC_REQUEST, ALPC_MSGFLG_SYNC_REQUEST,
                       ALPC_MSGFLG_RELEASE_MESSAGE, ALPC_MSGFLG_REPLY_MESSAGE,
                       ALPC_MSGFLG_WAIT_ALERTABLE, ALPC_MSGFLG_SYNC_REQUEST |
                       ALPC_MSGFLG_WAIT_ALERTABLE, ALPC_MSGFLG_LPC_MODE, 0x80000000);
    default: return 0;
    }
}

void FzCallService(FZ_WORKER *worker, ULONG index)
{
    const FZ_SERVICE *service = &FzServices[index];
    ULONG64 a[FZ_MAX_ARGS] = {0};
    BOOLEAN whole[FZ_MAX_ARGS] = {0};
    BOOLEAN locked = FzNeedsLock(service->Number);
    ULONG count = service->ArgumentCount;
    NTSTATUS status;

    FzResetScratch(worker);
    worker->Service = index;
    for (ULONG i = 0; i < count; i++) {
        ULONG64 next = 0;
        FZ_ARG kind = (FZ_ARG)service->Args[i];

        if (kind == FzHAny && service->Number == SERVICE_NtClose && FzChance(&worker->Rng, 70)) {
            HANDLE handle;

            if (FzTakeHandle(worker, &handle)) {
                a[i] = (ULONG64)handle;
                continue;
            }
        }
        a[i] = FzGenerate(worker, kind, &next, &whole[i]);
        // A buffer's length, or a wait's count, is made with it.
        if ((kind == FzInBuf || kind == FzOutBuf || kind == FzInHandleBuf ||
             kind == FzWaitCount) && i + 1 < count) {
            FZ_ARG lengthKind = (FZ_ARG)service->Args[i + 1];

            i++;
            if (kind == FzWaitCount)
                a[i] = FzGenerate(worker, FzHandles, &next, &whole[i]);
            else
                a[i] = lengthKind == FzLen ? (ULONG)next : next;
        }
    }
    if (locked)
        FzLock();
    if (!FzAllowed(worker, service->Number, a)) {
        if (locked)
            FzUnlock();
        __atomic_add_fetch(&FzFiltered, 1, __ATOMIC_RELAXED);
        return;
    }
    status = (NTSTATUS)FzSystemCalls[index](a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7],
                                            a[8], a[9], a[10], a[11], a[12]);
    __atomic_add_fetch(&FzServiceCalls[index], 1, __ATOMIC_RELAXED);
    if (NT_SUCCESS(status) && status != STATUS_TIMEOUT) {
        FZ_TYPE type = (FZ_TYPE)service->Creates;

        for (ULONG i = 0; i < count; i++) {
            FZ_ARG kind = (FZ_ARG)service->Args[i];

            if (kind == FzOutHandle && whole[i]) {
                HANDLE handle = *(HANDLE *)a[i];

                if (type == FzTypeProcess) {
                    PROCESS_BASIC_INFORMATION information;

                    if (NT_SUCCESS(NtQueryInformationProcess(handle, ProcessBasicInformation,
                                                             &information, sizeof(information),
                                                             NULL)) &&
                        (HANDLE)information.InheritedFromUniqueProcessId == FzSelfPid &&
                        service->Number == SERVICE_NtCreateProcessFromArchive)
                        FzNoteChild((HANDLE)information.UniqueProcessId);
                }
                FzRecordHandle(handle, type);
                // NtCreateProcessFromArchive's second handle is its thread's.
                type = FzTypeThread;
            } else if (kind == FzMsgOut && whole[i]) {
                FzNoteReceived((const PORT_MESSAGE *)a[i]);
            } else {
                FzAlpcxNoteResult(kind, a[i], whole[i]);
            }
        }
    }
    if (locked)
        FzUnlock();
    if (service->Number == SERVICE_NtClose && NT_SUCCESS(status))
        FzNoteClosed((HANDLE)a[0]);
}
