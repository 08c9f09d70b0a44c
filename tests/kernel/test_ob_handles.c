// Handle tables: values, reuse, growth, access, types, closing,
// duplication and process rundown.

#include "tests/kernel/test_ob.h"

KTEST(ObHandlesAreNonZeroMultiplesOfFour)
{
    HANDLE handles[3 * HANDLE_TABLE_INITIAL_SIZE];
    KTOB_OBJECT *object;

    for (ULONG i = 0; i < ARRAYSIZE(handles); i++) {
        KT_EXPECT_EQ(KtObInsert(NULL, 0, KTOB_QUERY, &object, &handles[i]), STATUS_SUCCESS);
        ObDereferenceObject(object);
        KT_EXPECT(handles[i] != NULL);
        KT_EXPECT_EQ((ULONG_PTR)handles[i] % 4, 0);
        for (ULONG j = 0; j < i; j++)
            KT_EXPECT(handles[j] != handles[i]);
    }
    for (ULONG i = 0; i < ARRAYSIZE(handles); i++)
        KT_EXPECT_EQ(ObCloseHandle(handles[i]), STATUS_SUCCESS);
}

KTEST(ObHandleTableGrowsAndKeepsEveryHandle)
{
    HANDLE handles[4 * HANDLE_TABLE_INITIAL_SIZE + 1];
    KTOB_OBJECT *objects[ARRAYSIZE(handles)];

    for (ULONG i = 0; i < ARRAYSIZE(handles); i++) {
        KT_EXPECT_EQ(KtObInsert(NULL, 0, KTOB_QUERY, &objects[i], &handles[i]), STATUS_SUCCESS);
        objects[i]->Value = i;
    }
    for (ULONG i = 0; i < ARRAYSIZE(handles); i++) {
        KTOB_OBJECT *object;

        KT_EXPECT_EQ(ObReferenceObjectByHandle(handles[i], KTOB_QUERY, KtObType(),
                                               (void **)&object, NULL), STATUS_SUCCESS);
        KT_EXPECT(object == objects[i] && object->Value == i);
        ObDereferenceObject(object);
        ObDereferenceObject(objects[i]);
        KT_EXPECT_EQ(ObCloseHandle(handles[i]), STATUS_SUCCESS);
    }
}

KTEST(ObClosedHandleValueIsReusedFirst)
{
    KTOB_OBJECT *object;
    HANDLE first, second, third;

    KT_EXPECT_EQ(KtObInsert(NULL, 0, KTOB_QUERY, &object, &first), STATUS_SUCCESS);
    ObDereferenceObject(object);
    KT_EXPECT_EQ(KtObInsert(NULL, 0, KTOB_QUERY, &object, &second), STATUS_SUCCESS);
    ObDereferenceObject(object);
    KT_EXPECT_EQ(ObCloseHandle(first), STATUS_SUCCESS);
    KT_EXPECT_EQ(KtObInsert(NULL, 0, KTOB_QUERY, &object, &third), STATUS_SUCCESS);
    ObDereferenceObject(object);
    KT_EXPECT(third == first);
    KT_EXPECT_EQ(ObCloseHandle(second), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObCloseHandle(third), STATUS_SUCCESS);
}

KTEST(ObReferenceByHandleEnforcesGrantedAccess)
{
    KTOB_OBJECT *object, *referenced;
    ACCESS_MASK granted = 0;
    HANDLE handle;

    KT_EXPECT_EQ(KtObInsert(NULL, 0, KTOB_QUERY, &object, &handle), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObReferenceObjectByHandle(handle, KTOB_QUERY, KtObType(), (void **)&referenced,
                                           &granted), STATUS_SUCCESS);
    KT_EXPECT(referenced == object);
    KT_EXPECT_EQ(granted, KTOB_QUERY);
    ObDereferenceObject(referenced);
    KT_EXPECT_EQ(ObReferenceObjectByHandle(handle, KTOB_MODIFY, KtObType(), (void **)&referenced,
                                           NULL), STATUS_ACCESS_DENIED);
    KT_EXPECT_EQ(ObReferenceObjectByHandle(handle, KTOB_QUERY | KTOB_MODIFY, KtObType(),
                                           (void **)&referenced, NULL), STATUS_ACCESS_DENIED);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    ObDereferenceObject(object);
}

KTEST(ObGrantedAccessIsLimitedToTheTypesValidAccess)
{
    KTOB_OBJECT *object;
    ACCESS_MASK granted = 0;
    HANDLE handle;

    KT_EXPECT_EQ(KtObInsert(NULL, 0, 0xFFFFFFFF, &object, &handle), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObReferenceObjectByHandle(handle, 0, NULL, (void **)&object, &granted),
                 STATUS_SUCCESS);
    KT_EXPECT_EQ(granted, KTOB_ALL_ACCESS);
    ObDereferenceObject(object);
    ObDereferenceObject(object);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
}

KTEST(ObReferenceByHandleChecksTheObjectType)
{
    KTOB_OBJECT *object;
    void *referenced;
    HANDLE handle;

    KT_EXPECT_EQ(KtObInsert(NULL, 0, KTOB_QUERY, &object, &handle), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObReferenceObjectByHandle(handle, 0, PsProcessType, &referenced, NULL),
                 STATUS_OBJECT_TYPE_MISMATCH);
    KT_EXPECT_EQ(ObReferenceObjectByHandle(handle, 0, NULL, &referenced, NULL), STATUS_SUCCESS);
    ObDereferenceObject(referenced);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    ObDereferenceObject(object);
}

KTEST(ObClosedHandleIsInvalid)
{
    KTOB_OBJECT *object;
    void *referenced;
    HANDLE handle;

    KT_EXPECT_EQ(KtObInsert(NULL, 0, KTOB_QUERY, &object, &handle), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObReferenceObjectByHandle(handle, 0, NULL, &referenced, NULL),
                 STATUS_INVALID_HANDLE);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_INVALID_HANDLE);
    ObDereferenceObject(object);
}

KTEST(ObHandlesThatWereNeverIssuedAreInvalid)
{
    void *referenced;

    KT_EXPECT_EQ(ObReferenceObjectByHandle(NULL, 0, NULL, &referenced, NULL),
                 STATUS_INVALID_HANDLE);
    KT_EXPECT_EQ(ObReferenceObjectByHandle((HANDLE)6, 0, NULL, &referenced, NULL),
                 STATUS_INVALID_HANDLE);
    KT_EXPECT_EQ(ObReferenceObjectByHandle((HANDLE)0x40000, 0, NULL, &referenced, NULL),
                 STATUS_INVALID_HANDLE);
    KT_EXPECT_EQ(ObCloseHandle((HANDLE)0x40000), STATUS_INVALID_HANDLE);
}

KTEST(ObObjectIsFreedOnlyAtItsLastReference)
{
    ULONG allocations = KtObPoolAllocations(KTOB_TAG);
    ULONG deletions = KtObDeletions;
    KTOB_OBJECT *object, *referenced;
    HANDLE handle;

    KT_EXPECT_EQ(KtObInsert(NULL, 0, KTOB_QUERY, &object, &handle), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObGetObjectPointerCount(object), 2);
    KT_EXPECT_EQ(ObGetObjectHandleCount(object), 1);
    KT_EXPECT_EQ(ObReferenceObjectByHandle(handle, KTOB_QUERY, KtObType(), (void **)&referenced,
                                           NULL), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObGetObjectHandleCount(object), 0);
    ObDereferenceObject(object);
    KT_EXPECT_EQ(KtObDeletions, deletions);
    KT_EXPECT_EQ(KtObPoolAllocations(KTOB_TAG), allocations + 1);
    ObDereferenceObject(referenced);
    KT_EXPECT_EQ(KtObDeletions, deletions + 1);
    KT_EXPECT_EQ(KtObPoolAllocations(KTOB_TAG), allocations);
}

KTEST(ObDuplicateWithSameAccessKeepsTheSourceAccess)
{
    KTOB_OBJECT *object, *referenced;
    ACCESS_MASK granted = 0;
    HANDLE handle, duplicate;

    KT_EXPECT_EQ(KtObInsert(NULL, 0, KTOB_QUERY | KTOB_MODIFY, &object, &handle),
                 STATUS_SUCCESS);
    KT_EXPECT_EQ(ObDuplicateObject(PsGetCurrentProcess(), handle, PsGetCurrentProcess(),
                                   &duplicate, 0, DUPLICATE_SAME_ACCESS), STATUS_SUCCESS);
    KT_EXPECT(duplicate != handle);
    KT_EXPECT_EQ(ObGetObjectHandleCount(object), 2);
    KT_EXPECT_EQ(ObReferenceObjectByHandle(duplicate, KTOB_MODIFY, KtObType(),
                                           (void **)&referenced, &granted), STATUS_SUCCESS);
    KT_EXPECT(referenced == object);
    KT_EXPECT_EQ(granted, KTOB_QUERY | KTOB_MODIFY);
    ObDereferenceObject(referenced);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObCloseHandle(duplicate), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObGetObjectHandleCount(object), 0);
    ObDereferenceObject(object);
}

KTEST(ObDuplicateGrantsOnlyTheAccessAskedFor)
{
    KTOB_OBJECT *object, *referenced;
    HANDLE handle, duplicate;

    KT_EXPECT_EQ(KtObInsert(NULL, 0, KTOB_QUERY | KTOB_MODIFY, &object, &handle),
                 STATUS_SUCCESS);
    KT_EXPECT_EQ(ObDuplicateObject(PsGetCurrentProcess(), handle, PsGetCurrentProcess(),
                                   &duplicate, KTOB_QUERY, 0), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObReferenceObjectByHandle(duplicate, KTOB_MODIFY, KtObType(),
                                           (void **)&referenced, NULL), STATUS_ACCESS_DENIED);
    KT_EXPECT_EQ(ObCloseHandle(duplicate), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    ObDereferenceObject(object);
}

KTEST(ObDuplicateCannotWidenAccess)
{
    KTOB_OBJECT *object;
    HANDLE handle, duplicate = NULL;

    KT_EXPECT_EQ(KtObInsert(NULL, 0, KTOB_QUERY, &object, &handle), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObDuplicateObject(PsGetCurrentProcess(), handle, PsGetCurrentProcess(),
                                   &duplicate, KTOB_MODIFY, 0), STATUS_ACCESS_DENIED);
    KT_EXPECT_EQ(ObGetObjectHandleCount(object), 1);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    ObDereferenceObject(object);
}

KTEST(ObDuplicateCloseSourceClosesTheSourceHandle)
{
    KTOB_OBJECT *object, *referenced;
    HANDLE handle, duplicate;

    KT_EXPECT_EQ(KtObInsert(NULL, 0, KTOB_QUERY, &object, &handle), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObDuplicateObject(PsGetCurrentProcess(), handle, PsGetCurrentProcess(),
                                   &duplicate, 0, DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE),
                 STATUS_SUCCESS);
    KT_EXPECT_EQ(ObReferenceObjectByHandle(handle, 0, NULL, (void **)&referenced, NULL),
                 STATUS_INVALID_HANDLE);
    KT_EXPECT_EQ(ObGetObjectHandleCount(object), 1);
    KT_EXPECT_EQ(ObReferenceObjectByHandle(duplicate, KTOB_QUERY, KtObType(),
                                           (void **)&referenced, NULL), STATUS_SUCCESS);
    KT_EXPECT(referenced == object);
    ObDereferenceObject(referenced);
    KT_EXPECT_EQ(ObCloseHandle(duplicate), STATUS_SUCCESS);
    ObDereferenceObject(object);
}

KTEST(ObDuplicateOfAnInvalidHandleFails)
{
    HANDLE duplicate;

    KT_EXPECT_EQ(ObDuplicateObject(PsGetCurrentProcess(), (HANDLE)0x40000,
                                   PsGetCurrentProcess(), &duplicate, 0, DUPLICATE_SAME_ACCESS),
                 STATUS_INVALID_HANDLE);
}

KTEST(ObRundownClosesEveryHandleOfTheProcess)
{
    ULONG allocations = KtObPoolAllocations(KTOB_TAG);
    KTOB_OBJECT *objects[2 * HANDLE_TABLE_INITIAL_SIZE + 3];
    EPROCESS *process;
    HANDLE handle, copy;

    KT_EXPECT_EQ(PspCreateProcess("KtRundown", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                  &process), STATUS_SUCCESS);
    for (ULONG i = 0; i < ARRAYSIZE(objects); i++) {
        KT_EXPECT_EQ(KtObInsert(NULL, 0, KTOB_QUERY, &objects[i], &handle), STATUS_SUCCESS);
        KT_EXPECT_EQ(ObDuplicateObject(PsGetCurrentProcess(), handle, process, &copy, 0,
                                       DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE),
                     STATUS_SUCCESS);
        KT_EXPECT_EQ(ObGetObjectHandleCount(objects[i]), 1);
    }
    KT_EXPECT_EQ(ObGetProcessHandleCount(process), ARRAYSIZE(objects));
    ObKillProcess(process);
    KT_EXPECT_EQ(ObGetProcessHandleCount(process), 0);
    for (ULONG i = 0; i < ARRAYSIZE(objects); i++) {
        KT_EXPECT_EQ(ObGetObjectHandleCount(objects[i]), 0);
        KT_EXPECT_EQ(ObGetObjectPointerCount(objects[i]), 1);
        ObDereferenceObject(objects[i]);
    }
    KT_EXPECT_EQ(KtObPoolAllocations(KTOB_TAG), allocations);
    ObDereferenceObject(process);
}

KTEST(ObNoHandleCanBeCreatedInAProcessRunDown)
{
    KTOB_OBJECT *object;
    EPROCESS *process;
    HANDLE handle, copy;

    KT_EXPECT_EQ(PspCreateProcess("KtRundown", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                  &process), STATUS_SUCCESS);
    ObKillProcess(process);
    KT_EXPECT_EQ(KtObInsert(NULL, 0, KTOB_QUERY, &object, &handle), STATUS_SUCCESS);
    KT_EXPECT_EQ(ObDuplicateObject(PsGetCurrentProcess(), handle, process, &copy, 0,
                                   DUPLICATE_SAME_ACCESS), STATUS_PROCESS_IS_TERMINATING);
    KT_EXPECT_EQ(ObGetObjectHandleCount(object), 1);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    ObDereferenceObject(object);
    ObDereferenceObject(process);
}

KTEST(ObProcessDeletionFreesItsHandleTable)
{
    ULONG allocations = KtObPoolAllocations(OBP_HANDLE_TABLE_TAG);
    EPROCESS *process;

    KT_EXPECT_EQ(PspCreateProcess("KtTable", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                  &process), STATUS_SUCCESS);
    KT_EXPECT(process->ObjectTable != NULL);
    KT_EXPECT_EQ(KtObPoolAllocations(OBP_HANDLE_TABLE_TAG), allocations + 2);
    ObDereferenceObject(process);
    KT_EXPECT_EQ(KtObPoolAllocations(OBP_HANDLE_TABLE_TAG), allocations);
}
