// A handle closed on one processor while threads on the others use it:
// each reference either gets the object, alive, or STATUS_INVALID_HANDLE;
// never an object already deleted, never a reference lost or counted
// twice (every object is deleted exactly once, and only after its last
// user let it go). The handle table's lock covers the entry and the
// reference (ObpReferenceHandle); a kernel that took the reference after
// dropping the lock bugchecks here (REFERENCE_BY_POINTER, or a user sees a
// deleted object): see docs/scheduler.md.

#include "tests/kernel/test_smp.h"
#include "tests/kernel/test_ob.h"
#include "arch/x86_64/x86.h"

#define KT_CLOSE_ROUNDS 300
#define KT_CLOSE_ALIVE 0xA11FE
#define KT_CLOSE_DELETED 0xDEAD
#define KT_CLOSE_USES_PER_ROUND 8      // the closer waits for a few uses (or a stall)

typedef struct _KT_CLOSE_OBJECT {
    volatile ULONG State;
} KT_CLOSE_OBJECT;

typedef struct _KT_CLOSE_RACE {
    volatile HANDLE Handle;         // the round's handle, NULL between rounds
    volatile LONG Stop;
    volatile ULONG64 Uses;          // references taken or refused: progress
    volatile ULONG64 Referenced;
    volatile ULONG64 Refused;
    volatile ULONG64 Wrong;         // another status, or an object not alive
} KT_CLOSE_RACE;

static volatile ULONG KtCloseDeletions;
static OBJECT_TYPE *KtCloseType;

static void KtCloseDelete(void *object)
{
    ((KT_CLOSE_OBJECT *)object)->State = KT_CLOSE_DELETED;
    __atomic_add_fetch(&KtCloseDeletions, 1, __ATOMIC_RELAXED);
}

static OBJECT_TYPE *KtCloseObjectType(void)
{
    static const OBJECT_TYPE_INITIALIZER initializer = {
        .PoolTag = KT_SMP_TAG, .ValidAccessMask = KTOB_ALL_ACCESS,
        .DeleteProcedure = KtCloseDelete};

    if (!KtCloseType &&
        !NT_SUCCESS(ObCreateObjectType("KtSmpCloseObject", &initializer, &KtCloseType)))
        return NULL;
    return KtCloseType;
}

static void KtHandleUser(void *context)
{
    KT_CLOSE_RACE *race = context;

    while (!race->Stop) {
        HANDLE handle = race->Handle;
        KT_CLOSE_OBJECT *object;
        NTSTATUS status;

        if (KeNumberProcessors == 1)
            KeYieldExecution();     // one processor: let the closer go on
        if (!handle) {
            _mm_pause();
            continue;
        }
        status = ObReferenceObjectByHandle(handle, KTOB_QUERY, KtCloseType, (void **)&object,
                                           NULL);
        if (NT_SUCCESS(status)) {
            if (object->State != KT_CLOSE_ALIVE)
                __atomic_add_fetch(&race->Wrong, 1, __ATOMIC_RELAXED);
            ObDereferenceObject(object);
            __atomic_add_fetch(&race->Referenced, 1, __ATOMIC_RELAXED);
        } else if (status == STATUS_INVALID_HANDLE) {
            __atomic_add_fetch(&race->Refused, 1, __ATOMIC_RELAXED);
        } else {
            __atomic_add_fetch(&race->Wrong, 1, __ATOMIC_RELAXED);
        }
        __atomic_add_fetch(&race->Uses, 1, __ATOMIC_RELAXED);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

// One round: a new object behind a handle the users see, a few uses, and
// the close racing the uses still under way.
static BOOLEAN KtCloseRound(KT_CLOSE_RACE *race)
{
    KT_CLOSE_OBJECT *object;
    OBJECT_ATTRIBUTES attributes;
    HANDLE handle;
    ULONG64 start = race->Uses, movedAt = KeTickCount, seen = start;

    if (!NT_SUCCESS(ObCreateObject(KtCloseType, sizeof(*object), (void **)&object)))
        return FALSE;
    object->State = KT_CLOSE_ALIVE;
    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    if (!NT_SUCCESS(ObInsertObject(object, &attributes, KTOB_ALL_ACCESS, NULL, &handle)))
        return FALSE;
    race->Handle = handle;
    while (race->Uses - start < KT_CLOSE_USES_PER_ROUND) {
        if (race->Uses != seen) {
            seen = race->Uses;
            movedAt = KeTickCount;
        } else if (KeTickCount - movedAt > (ULONG64)KT_SMP_STALL_MS * 64 / 1000) {
            break;
        }
        if (KeNumberProcessors == 1)
            KeYieldExecution();
        else
            _mm_pause();
    }
    KT_CHECK_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    race->Handle = NULL;
    return TRUE;
}

KTEST(SmpHandleClosedWhileOthersUseIt)
{
    KT_CLOSE_RACE *race = KtSmpAllocate(sizeof(*race));
    ETHREAD *threads[MAXIMUM_PROCESSORS];
    ULONG count = KeNumberProcessors > 1 ? KeNumberProcessors - 1 : 1;
    ULONG rounds = 0, deletionsBefore;

    if (!race || !KtCloseObjectType())
        return;
    deletionsBefore = KtCloseDeletions;
    for (ULONG i = 0; i < count; i++)
        threads[i] = KtStartThread(KtHandleUser, race, NORMAL_BASE_PRIORITY);
    while (rounds < KT_CLOSE_ROUNDS && KtCloseRound(race))
        rounds++;
    race->Stop = 1;
    if (!KtSmpJoinThreads(threads, count, &race->Uses, &race->Stop))
        return;
    KT_CHECK_EQ(rounds, KT_CLOSE_ROUNDS);
    KT_CHECK_EQ(race->Wrong, 0);
    KT_CHECK(race->Referenced > 0);
    // Every object went, once, with its last reference (no user still
    // holds one).
    KT_CHECK_EQ(KtCloseDeletions - deletionsBefore, rounds);
    ExFreePoolWithTag(race, KT_SMP_TAG);
}
