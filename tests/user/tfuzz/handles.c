// The handles the fuzzer holds, and the bad ones it makes up. The pool is
// a lock-free array of (handle, type) words: a worker killed by the
// watchdog at any instruction leaves it consistent, which a lock would not.
// Handle arguments mostly get a handle of the type the service wants, but
// also one of another type, a pseudo-handle, one closed a moment ago (its
// value may since name something else: that is the point), and values no
// table has: NULL, odd, huge, kernel handles.

#include "tests/user/tfuzz/fuzz.h"

#define FZ_POOL_SIZE 192
#define FZ_CLOSED_RING 32

static volatile ULONG64 FzPool[FZ_POOL_SIZE];
static volatile ULONG64 FzClosed[FZ_CLOSED_RING];
static volatile ULONG FzClosedNext;

static ULONG64 FzEncode(HANDLE handle, FZ_TYPE type)
{
    return ((ULONG64)handle << 8) | (ULONG64)type;
}

void FzNoteClosed(HANDLE handle)
{
    ULONG at = __atomic_fetch_add(&FzClosedNext, 1, __ATOMIC_RELAXED) % FZ_CLOSED_RING;

    FzClosed[at] = (ULONG64)handle;
}

void FzRecordHandle(HANDLE handle, FZ_TYPE type)
{
    ULONG64 word = FzEncode(handle, type);
    ULONG start = (ULONG)(((ULONG64)handle >> 2) * 2654435761u) % FZ_POOL_SIZE;

    if (!handle)
        return;
    for (ULONG i = 0; i < FZ_POOL_SIZE; i++) {
        ULONG64 empty = 0;
        ULONG at = (start + i) % FZ_POOL_SIZE;

        if (!FzPool[at] && __atomic_compare_exchange_n(&FzPool[at], &empty, word, FALSE,
                                                       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            return;
    }
    // Full: the newcomer replaces someone, who is closed.
    word = __atomic_exchange_n(&FzPool[start], word, __ATOMIC_SEQ_CST);
    if (word) {
        NtClose((HANDLE)(word >> 8));
        FzNoteClosed((HANDLE)(word >> 8));
    }
}

BOOLEAN FzTakeHandle(FZ_WORKER *worker, HANDLE *handle)
{
    for (int tries = 0; tries < 8; tries++) {
        ULONG at = FzBelow(&worker->Rng, FZ_POOL_SIZE);
        ULONG64 word = FzPool[at];

        if (word && __atomic_compare_exchange_n(&FzPool[at], &word, 0, FALSE, __ATOMIC_SEQ_CST,
                                                __ATOMIC_SEQ_CST)) {
            *handle = (HANDLE)(word >> 8);
            return TRUE;
        }
    }
    return FALSE;
}

static HANDLE FzPoolHandle(FZ_WORKER *worker, FZ_TYPE type)
{
    ULONG start = FzBelow(&worker->Rng, FZ_POOL_SIZE);

    for (ULONG i = 0; i < FZ_POOL_SIZE; i++) {
        ULONG64 word = FzPool[(start + i) % FZ_POOL_SIZE];

        if (word && (type == FzTypeNone || (FZ_TYPE)(word & 0xFF) == type))
            return (HANDLE)(word >> 8);
    }
    return NULL;
}

static HANDLE FzMadeUpHandle(FZ_WORKER *worker)
{
    static const ULONG64 Values[] = {
        0, 4, 8, 0x7FFC, 0x7FFFFFFC, 0xFFFFFFFF, 0x100000000ULL, 0xFFFFFFFF80000004ULL,
        0xFFFFFFFFFFFFFFFDULL, 0xFFFFFFFFFFFFFFFCULL, 0x8000000000000000ULL, 1ULL << 40,
        0xFFFFFFFF, 0x10000,
    };
    FZ_RNG *rng = &worker->Rng;

    switch (FzBelow(rng, 4)) {
    case 0: return (HANDLE)Values[FzBelow(rng, sizeof(Values) / sizeof(Values[0]))];
    case 1: return (HANDLE)(ULONG64)(FzBelow(rng, 512) * 4);    // maybe open, maybe not
    case 2: {
        HANDLE pooled = FzPoolHandle(worker, FzTypeNone);     // the tag bits set

        return (HANDLE)((ULONG64)pooled | (1 + FzBelow(rng, 3)));
    }
    default: return (HANDLE)FzNext(rng);
    }
}

HANDLE FzPickHandle(FZ_WORKER *worker, FZ_TYPE type)
{
    FZ_RNG *rng = &worker->Rng;
    ULONG pick = FzBelow(rng, 100);
    HANDLE handle;

    if (pick < 60 && type != FzTypeNone) {
        handle = FzPoolHandle(worker, type);
        if (handle)
            return handle;
    }
    if (pick < 75)
        return FzPoolHandle(worker, FzTypeNone);     // any type: often the wrong one
    if (pick < 83)
        return FzChance(rng, 50) ? NtCurrentProcess() : NtCurrentThread();
    if (pick < 90)
        return (HANDLE)FzClosed[FzBelow(rng, FZ_CLOSED_RING)];
    return FzMadeUpHandle(worker);
}

FZ_TYPE FzTypeOfHandleArg(FZ_ARG kind)
{
    switch (kind) {
    case FzHEvent: return FzTypeEvent;
    case FzHSemaphore: return FzTypeSemaphore;
    case FzHMutant: return FzTypeMutant;
    case FzHTimer: return FzTypeTimer;
    case FzHDirectory: return FzTypeDirectory;
    case FzHLink: return FzTypeLink;
    case FzHSection: return FzTypeSection;
    case FzHPort: return FzTypePort;
    case FzHProcess: case FzHKillProcess: return FzTypeProcess;
    case FzHThread: case FzHKillThread: return FzTypeThread;
    case FzHToken: return FzTypeToken;
    case FzHFile: return FzTypeFile;
    case FzHAlpcPort: return FzTypeAlpcPort;
    default: return FzTypeNone;
    }
}

// One object of every type to start with, so that every service finds a
// handle of its type from the first call.
void FzInitializeHandles(void)
{
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING name;
    LARGE_INTEGER size = {.QuadPart = 2 * FZ_PAGE};
    IO_STATUS_BLOCK iosb;
    HANDLE handle;

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    if (NT_SUCCESS(NtCreateEvent(&handle, EVENT_ALL_ACCESS, &attributes, NotificationEvent, 0)))
        FzRecordHandle(handle, FzTypeEvent);
    if (NT_SUCCESS(NtCreateSemaphore(&handle, SEMAPHORE_ALL_ACCESS, &attributes, 1, 10)))
        FzRecordHandle(handle, FzTypeSemaphore);
    if (NT_SUCCESS(NtCreateMutant(&handle, MUTANT_ALL_ACCESS, &attributes, FALSE)))
        FzRecordHandle(handle, FzTypeMutant);
    if (NT_SUCCESS(NtCreateTimer(&handle, TIMER_ALL_ACCESS, &attributes, NotificationTimer)))
        FzRecordHandle(handle, FzTypeTimer);
    if (NT_SUCCESS(NtCreateDirectoryObject(&handle, DIRECTORY_ALL_ACCESS, &attributes)))
        FzRecordHandle(handle, FzTypeDirectory);
    if (NT_SUCCESS(NtCreateSection(&handle, SECTION_ALL_ACCESS, &attributes, &size,
                                   PAGE_READWRITE, SEC_COMMIT, NULL)))
        FzRecordHandle(handle, FzTypeSection);
    if (NT_SUCCESS(NtCreatePort(&handle, &attributes, 0x100, 0x148, 0)))
        FzRecordHandle(handle, FzTypePort);
    if (NT_SUCCESS(NtAlpcCreatePort(&handle, &attributes, NULL)))
        FzRecordHandle(handle, FzTypeAlpcPort);
    if (NT_SUCCESS(NtOpenProcessToken(NtCurrentProcess(), TOKEN_ALL_ACCESS, &handle)))
        FzRecordHandle(handle, FzTypeToken);
    RtlInitUnicodeString(&name, u"\\BaseNamedObjects");
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    if (NT_SUCCESS(NtOpenDirectoryObject(&handle, DIRECTORY_ALL_ACCESS, &attributes)))
        FzRecordHandle(handle, FzTypeDirectory);
    // A file on the test drivers' synchronous device, when they are loaded
    // (tests/kernel/ktio.c), one synchronous and one not.
    RtlInitUnicodeString(&name, u"\\Device\\KtIoSync\\fz");
    if (NT_SUCCESS(NtOpenFile(&handle, FILE_ALL_ACCESS, &attributes, &iosb, 0,
                              FILE_SYNCHRONOUS_IO_NONALERT)))
        FzRecordHandle(handle, FzTypeFile);
    if (NT_SUCCESS(NtOpenFile(&handle, FILE_ALL_ACCESS, &attributes, &iosb, 0, 0)))
        FzRecordHandle(handle, FzTypeFile);
    RtlInitUnicodeString(&name, u"\\");
    if (NT_SUCCESS(NtOpenDirectoryObject(&handle, DIRECTORY_QUERY | DIRECTORY_TRAVERSE,
                                         &attributes)))
        FzRecordHandle(handle, FzTypeDirectory);
}

void FzCloseAllHandles(void)
{
    for (ULONG i = 0; i < FZ_POOL_SIZE; i++) {
        ULONG64 word = __atomic_exchange_n(&FzPool[i], 0, __ATOMIC_SEQ_CST);

        if (word)
            NtClose((HANDLE)(word >> 8));
    }
}
