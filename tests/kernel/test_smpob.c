// A handle closed on one processor while threads on the others use it:
// each reference either gets the object, alive, or STATUS_INVALID_HANDLE;
// never an object already deleted, never a reference lost or counted
// twice (every object is deleted exactly once, and only after its last
// user let it go). The entry's lock covers the entry and the reference
// (ObpReferenceHandle); a kernel that took the reference after dropping
// the lock bugchecks here (REFERENCE_BY_POINTER, or a user sees a deleted
// object): see docs/scheduler.md.
//
// And a table that grows, and is run down, under lookups that take no
// table lock: a handle in use always names its own object, with its
// access, whichever array the lookup read.

#include "tests/kernel/test_smp.h"
#include "tests/kernel/test_ob.h"
#include "arch/x86_64/x86.h"
#include "ps/ps.h"

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

// Waits until the users have made `count` more uses, or have stood still
// for KT_SMP_STALL_MS (then the caller goes on, and its checks fail).
static void KtWaitForUses(volatile ULONG64 *uses, ULONG64 count)
{
    ULONG64 start = *uses, seen = start, movedAt = KeTickCount;

    while (*uses - start < count) {
        if (*uses != seen) {
            seen = *uses;
            movedAt = KeTickCount;
        } else if (KeTickCount - movedAt > (ULONG64)KT_SMP_STALL_MS * 64 / 1000) {
            break;
        }
        if (KeNumberProcessors == 1)
            KeYieldExecution();
        else
            _mm_pause();
    }
}

// One round: a new object behind a handle the users see, a few uses, and
// the close racing the uses still under way.
static BOOLEAN KtCloseRound(KT_CLOSE_RACE *race)
{
    KT_CLOSE_OBJECT *object;
    OBJECT_ATTRIBUTES attributes;
    HANDLE handle;

    if (!NT_SUCCESS(ObCreateObject(KtCloseType, sizeof(*object), (void **)&object)))
        return FALSE;
    object->State = KT_CLOSE_ALIVE;
    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    if (!NT_SUCCESS(ObInsertObject(object, &attributes, KTOB_ALL_ACCESS, NULL, &handle)))
        return FALSE;
    race->Handle = handle;
    KtWaitForUses(&race->Uses, KT_CLOSE_USES_PER_ROUND);
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

// ---- Growth and rundown under lookups ----------------------------------------------

#define KT_GROW_ROUNDS 40
#define KT_GROW_STABLE 4            // handles every lookup checks
#define KT_GROW_EXTRA 120           // duplicates made a round: 8 entries grow to 128

typedef struct _KT_GROW_RACE {
    HANDLE_TABLE *volatile Table;   // the round's table, NULL between rounds
    HANDLE Stable[KT_GROW_STABLE];
    KT_CLOSE_OBJECT *Objects[KT_GROW_STABLE];
    volatile HANDLE Newest;         // the last duplicate made, may be closed
    volatile LONG RunningDown;      // set before the rundown starts
    volatile LONG Active;           // users inside the table
    volatile LONG Stop;
    volatile ULONG64 Uses;
    volatile ULONG64 Referenced;
    volatile ULONG64 Wrong;
} KT_GROW_RACE;

static void KtGrowLookups(KT_GROW_RACE *race, HANDLE_TABLE *table)
{
    for (ULONG i = 0; i < KT_GROW_STABLE; i++) {
        KT_CLOSE_OBJECT *object;
        ACCESS_MASK granted;
        NTSTATUS status = ObpReferenceHandle(table, race->Stable[i], (void **)&object, &granted);

        if (NT_SUCCESS(status)) {
            if (object != race->Objects[i] || object->State != KT_CLOSE_ALIVE ||
                granted != KTOB_ALL_ACCESS)
                __atomic_add_fetch(&race->Wrong, 1, __ATOMIC_RELAXED);
            ObDereferenceObject(object);
            __atomic_add_fetch(&race->Referenced, 1, __ATOMIC_RELAXED);
        } else if (status != STATUS_INVALID_HANDLE ||
                   !__atomic_load_n(&race->RunningDown, __ATOMIC_SEQ_CST)) {
            // Refused only once the rundown has begun.
            __atomic_add_fetch(&race->Wrong, 1, __ATOMIC_RELAXED);
        }
    }
    {
        HANDLE newest = race->Newest;
        KT_CLOSE_OBJECT *object;
        ACCESS_MASK granted;

        if (newest) {
            NTSTATUS status = ObpReferenceHandle(table, newest, (void **)&object, &granted);

            if (NT_SUCCESS(status)) {
                if (object->State != KT_CLOSE_ALIVE)
                    __atomic_add_fetch(&race->Wrong, 1, __ATOMIC_RELAXED);
                ObDereferenceObject(object);
            } else if (status != STATUS_INVALID_HANDLE) {
                __atomic_add_fetch(&race->Wrong, 1, __ATOMIC_RELAXED);
            }
        }
    }
    __atomic_add_fetch(&race->Uses, 1, __ATOMIC_RELAXED);
}

static void KtGrowUser(void *context)
{
    KT_GROW_RACE *race = context;

    while (!race->Stop) {
        HANDLE_TABLE *table;

        if (KeNumberProcessors == 1)
            KeYieldExecution();
        __atomic_add_fetch(&race->Active, 1, __ATOMIC_SEQ_CST);
        table = __atomic_load_n(&race->Table, __ATOMIC_SEQ_CST);
        if (table)
            KtGrowLookups(race, table);
        __atomic_sub_fetch(&race->Active, 1, __ATOMIC_SEQ_CST);
        if (!table)
            _mm_pause();
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

// One round: a fresh table (a process of the test's own, which never runs)
// with the stable handles, grown by duplicates (every fourth closed again)
// while the users look up, then run down under them, and deleted once
// they are out.
static BOOLEAN KtGrowRound(KT_GROW_RACE *race, EPROCESS *process)
{
    HANDLE churn = NULL;
    KT_CLOSE_OBJECT *object;

    if (!NT_SUCCESS(ObInitProcess(NULL, process)))
        return FALSE;
    for (ULONG i = 0; i < KT_GROW_STABLE; i++) {
        if (!NT_SUCCESS(ObCreateObject(KtCloseType, sizeof(*object), (void **)&object)))
            return FALSE;
        object->State = KT_CLOSE_ALIVE;
        race->Objects[i] = object;
        // The handle takes the creation's reference.
        KT_CHECK_EQ(ObpCreateHandle(process, object, KTOB_ALL_ACCESS, &race->Stable[i]),
                    STATUS_SUCCESS);
    }
    if (!NT_SUCCESS(ObCreateObject(KtCloseType, sizeof(*object), (void **)&object)))
        return FALSE;
    object->State = KT_CLOSE_ALIVE;
    KT_CHECK_EQ(ObpCreateHandle(process, object, KTOB_QUERY, &churn), STATUS_SUCCESS);
    race->RunningDown = 0;
    race->Newest = NULL;
    __atomic_store_n(&race->Table, process->ObjectTable, __ATOMIC_SEQ_CST);
    for (ULONG i = 0; i < KT_GROW_EXTRA; i++) {
        HANDLE duplicate;

        KT_CHECK_EQ(ObDuplicateObject(process, churn, process, &duplicate, 0,
                                      DUPLICATE_SAME_ACCESS),
                    STATUS_SUCCESS);
        race->Newest = duplicate;
        if (i % 4 == 3)
            KT_CHECK_EQ(ObDuplicateObject(process, duplicate, NULL, NULL, 0,
                                          DUPLICATE_CLOSE_SOURCE),
                        STATUS_SUCCESS);
        if (i % 16 == 0)
            KtWaitForUses(&race->Uses, 2);
    }
    KT_CHECK(process->ObjectTable->TableSize >= KT_GROW_STABLE + 1 + KT_GROW_EXTRA * 3 / 4);
    KtWaitForUses(&race->Uses, 2);
    __atomic_store_n(&race->RunningDown, 1, __ATOMIC_SEQ_CST);
    ObKillProcess(process);
    KT_CHECK_EQ(ObGetProcessHandleCount(process), 0);
    KtWaitForUses(&race->Uses, 2);
    __atomic_store_n(&race->Table, NULL, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&race->Active, __ATOMIC_SEQ_CST)) {
        if (KeNumberProcessors == 1)
            KeYieldExecution();
        else
            _mm_pause();
    }
    ObDeleteHandleTable(process);
    return TRUE;
}

KTEST(SmpHandleTableGrowsUnderLookups)
{
    KT_GROW_RACE *race = KtSmpAllocate(sizeof(*race));
    EPROCESS *process = KtSmpAllocate(sizeof(*process));
    ETHREAD *threads[MAXIMUM_PROCESSORS];
    ULONG count = KeNumberProcessors > 1 ? KeNumberProcessors - 1 : 1;
    ULONG rounds = 0, deletionsBefore;

    if (!race || !process || !KtCloseObjectType())
        return;
    deletionsBefore = KtCloseDeletions;
    for (ULONG i = 0; i < count; i++)
        threads[i] = KtStartThread(KtGrowUser, race, NORMAL_BASE_PRIORITY);
    while (rounds < KT_GROW_ROUNDS && KtGrowRound(race, process))
        rounds++;
    race->Stop = 1;
    if (!KtSmpJoinThreads(threads, count, &race->Uses, &race->Stop))
        return;
    KT_CHECK_EQ(rounds, KT_GROW_ROUNDS);
    KT_CHECK_EQ(race->Wrong, 0);
    KT_CHECK(race->Referenced > 0);
    // The stable objects and the churn object of every round, each once.
    KT_CHECK_EQ(KtCloseDeletions - deletionsBefore, rounds * (KT_GROW_STABLE + 1));
    ExFreePoolWithTag(process, KT_SMP_TAG);
    ExFreePoolWithTag(race, KT_SMP_TAG);
}
