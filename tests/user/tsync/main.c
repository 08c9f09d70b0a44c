// Events, semaphores and mutants through their native services: creation,
// opening by name, state changes, queries, and every error path.

#include "tests/user/uobject.h"

// ---- Events --------------------------------------------------------------------

UTEST(EventCreatedSignaledReportsItsStateAndType)
{
    EVENT_BASIC_INFORMATION info;
    ULONG length = 0;
    HANDLE event;

    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, TRUE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryEvent(event, EventBasicInformation, &info, sizeof(info), &length),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(info.EventType, NotificationEvent);
    UT_EXPECT_EQ(info.EventState, 1);
    UT_EXPECT_EQ(length, sizeof(info));
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
}

UTEST(EventSetResetPulseClearReturnThePreviousState)
{
    EVENT_BASIC_INFORMATION info;
    LONG previous = -1;
    HANDLE event;

    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, SynchronizationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetEvent(event, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 0);
    UT_EXPECT_STATUS(NtSetEvent(event, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 1);
    UT_EXPECT_STATUS(NtResetEvent(event, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 1);
    UT_EXPECT_STATUS(NtPulseEvent(event, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 0);
    UT_EXPECT_STATUS(NtQueryEvent(event, EventBasicInformation, &info, sizeof(info), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(info.EventState, 0);       // a pulse leaves it not signaled
    UT_EXPECT_EQ(info.EventType, SynchronizationEvent);
    UT_EXPECT_STATUS(NtSetEvent(event, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClearEvent(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryEvent(event, EventBasicInformation, &info, sizeof(info), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(info.EventState, 0);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
}

UTEST(EventWithABadTypeIsAnInvalidParameter)
{
    HANDLE event;

    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, (EVENT_TYPE)2, FALSE),
                     STATUS_INVALID_PARAMETER);
}

UTEST(EventServicesRefuseBadPointers)
{
    EVENT_BASIC_INFORMATION info;
    HANDLE event;

    UT_EXPECT_STATUS(NtCreateEvent(UT_BAD_POINTER, EVENT_ALL_ACCESS, NULL, NotificationEvent,
                                   FALSE), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateEvent(UT_KERNEL_POINTER, EVENT_ALL_ACCESS, NULL, NotificationEvent,
                                   FALSE), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, UT_BAD_POINTER, NotificationEvent,
                                   FALSE), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetEvent(event, UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtResetEvent(event, UT_KERNEL_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtPulseEvent(event, UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryEvent(event, EventBasicInformation, UT_BAD_POINTER, sizeof(info),
                                  NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryEvent(event, EventBasicInformation, UT_KERNEL_POINTER, sizeof(info),
                                  NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryEvent(event, EventBasicInformation, &info, sizeof(info),
                                  UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtOpenEvent(UT_BAD_POINTER, EVENT_ALL_ACCESS, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
}

UTEST(EventQueryChecksClassThenLength)
{
    EVENT_BASIC_INFORMATION info;
    HANDLE event;

    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryEvent(event, (EVENT_INFORMATION_CLASS)1, &info, sizeof(info), NULL),
                     STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtQueryEvent(event, EventBasicInformation, &info, sizeof(info) - 1, NULL),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtQueryEvent(event, EventBasicInformation, &info, sizeof(info) + 4, NULL),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
}

UTEST(EventHandleWithoutTheRightIsDenied)
{
    EVENT_BASIC_INFORMATION info;
    HANDLE event;

    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_QUERY_STATE, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetEvent(event, NULL), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtResetEvent(event, NULL), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtPulseEvent(event, NULL), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtClearEvent(event), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtQueryEvent(event, EventBasicInformation, &info, sizeof(info), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_MODIFY_STATE, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryEvent(event, EventBasicInformation, &info, sizeof(info), NULL),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
}

UTEST(EventServicesOnBadHandlesAndOtherTypes)
{
    HANDLE semaphore, event;

    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetEvent(event, NULL), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtSetEvent(UT_NEVER_OPENED, NULL), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtSetEvent(NULL, NULL), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtCreateSemaphore(&semaphore, SEMAPHORE_ALL_ACCESS, NULL, 0, 1),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetEvent(semaphore, NULL), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtClearEvent(semaphore), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtSetEvent(NtCurrentProcess(), NULL), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtClose(semaphore), STATUS_SUCCESS);
}

UTEST(NamedEventOpensCollidesAndOpenIfs)
{
    UNICODE_STRING name = UT_NAME(u"\\BaseNamedObjects\\tsync-event");
    UNICODE_STRING upper = UT_NAME(u"\\BASENAMEDOBJECTS\\TSYNC-EVENT");
    OBJECT_ATTRIBUTES attributes = UtAttributes(&name, 0);
    OBJECT_ATTRIBUTES openIf = UtAttributes(&name, OBJ_OPENIF);
    OBJECT_ATTRIBUTES byUpper = UtAttributes(&upper, OBJ_CASE_INSENSITIVE);
    HANDLE event, opened, again, semaphore;
    LONG previous;

    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, &attributes, NotificationEvent,
                                   FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateEvent(&again, EVENT_ALL_ACCESS, &attributes, NotificationEvent,
                                   FALSE), STATUS_OBJECT_NAME_COLLISION);
    UT_EXPECT_STATUS(NtCreateEvent(&again, EVENT_ALL_ACCESS, &openIf, NotificationEvent, FALSE),
                     STATUS_OBJECT_NAME_EXISTS);
    UT_EXPECT_STATUS(NtOpenEvent(&opened, EVENT_MODIFY_STATE, &byUpper), STATUS_SUCCESS);
    // All three handles name one event.
    UT_EXPECT_STATUS(NtSetEvent(opened, &previous), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtResetEvent(again, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 1);
    // The name belongs to an event: another type neither collides quietly
    // nor opens it.
    UT_EXPECT_STATUS(NtCreateSemaphore(&semaphore, SEMAPHORE_ALL_ACCESS, &attributes, 0, 1),
                     STATUS_OBJECT_NAME_COLLISION);
    UT_EXPECT_STATUS(NtCreateSemaphore(&semaphore, SEMAPHORE_ALL_ACCESS, &openIf, 0, 1),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtOpenSemaphore(&semaphore, SEMAPHORE_ALL_ACCESS, &attributes),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtClose(opened), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(again), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    // The last handle took the name away.
    UT_EXPECT_STATUS(NtOpenEvent(&opened, EVENT_ALL_ACCESS, &attributes),
                     STATUS_OBJECT_NAME_NOT_FOUND);
}

UTEST(EventOpenErrors)
{
    UNICODE_STRING missing = UT_NAME(u"\\BaseNamedObjects\\tsync-missing");
    UNICODE_STRING noPath = UT_NAME(u"\\NoSuchDirectory\\tsync-event");
    UNICODE_STRING relative = UT_NAME(u"tsync-event");
    UNICODE_STRING odd = UT_NAME(u"\\BaseNamedObjects\\x");
    OBJECT_ATTRIBUTES attributes = UtAttributes(&missing, 0);
    HANDLE event;

    UT_EXPECT_STATUS(NtOpenEvent(&event, EVENT_ALL_ACCESS, NULL), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtOpenEvent(&event, EVENT_ALL_ACCESS, &attributes),
                     STATUS_OBJECT_NAME_NOT_FOUND);
    attributes.ObjectName = &noPath;
    UT_EXPECT_STATUS(NtOpenEvent(&event, EVENT_ALL_ACCESS, &attributes),
                     STATUS_OBJECT_PATH_NOT_FOUND);
    attributes.ObjectName = &relative;
    UT_EXPECT_STATUS(NtOpenEvent(&event, EVENT_ALL_ACCESS, &attributes),
                     STATUS_OBJECT_PATH_SYNTAX_BAD);
    odd.Length = 3;
    attributes.ObjectName = &odd;
    UT_EXPECT_STATUS(NtOpenEvent(&event, EVENT_ALL_ACCESS, &attributes),
                     STATUS_OBJECT_NAME_INVALID);
    attributes.ObjectName = UT_BAD_POINTER;
    UT_EXPECT_STATUS(NtOpenEvent(&event, EVENT_ALL_ACCESS, &attributes),
                     STATUS_ACCESS_VIOLATION);
    odd.Length = 4;
    odd.Buffer = UT_KERNEL_POINTER;
    attributes.ObjectName = &odd;
    UT_EXPECT_STATUS(NtOpenEvent(&event, EVENT_ALL_ACCESS, &attributes),
                     STATUS_ACCESS_VIOLATION);
    attributes.ObjectName = &missing;
    attributes.Length = sizeof(attributes) - 1;
    UT_EXPECT_STATUS(NtOpenEvent(&event, EVENT_ALL_ACCESS, &attributes),
                     STATUS_INVALID_PARAMETER);
    attributes.Length = sizeof(attributes);
    attributes.Attributes = 0x10000;
    UT_EXPECT_STATUS(NtOpenEvent(&event, EVENT_ALL_ACCESS, &attributes),
                     STATUS_INVALID_PARAMETER);
}

// ---- Semaphores ------------------------------------------------------------------

UTEST(SemaphoreCountsUpToItsLimit)
{
    SEMAPHORE_BASIC_INFORMATION info;
    LONG previous = -1;
    ULONG length;
    HANDLE semaphore;

    UT_EXPECT_STATUS(NtCreateSemaphore(&semaphore, SEMAPHORE_ALL_ACCESS, NULL, 1, 3),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtReleaseSemaphore(semaphore, 2, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 1);
    UT_EXPECT_STATUS(NtReleaseSemaphore(semaphore, 1, &previous),
                     STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    UT_EXPECT_STATUS(NtQuerySemaphore(semaphore, SemaphoreBasicInformation, &info, sizeof(info),
                                      &length), STATUS_SUCCESS);
    UT_EXPECT_EQ(info.CurrentCount, 3);
    UT_EXPECT_EQ(info.MaximumCount, 3);
    UT_EXPECT_EQ(length, sizeof(info));
    UT_EXPECT_STATUS(NtClose(semaphore), STATUS_SUCCESS);
}

UTEST(SemaphoreCreationChecksItsCounts)
{
    HANDLE semaphore;

    UT_EXPECT_STATUS(NtCreateSemaphore(&semaphore, SEMAPHORE_ALL_ACCESS, NULL, 0, 0),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtCreateSemaphore(&semaphore, SEMAPHORE_ALL_ACCESS, NULL, -1, 2),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtCreateSemaphore(&semaphore, SEMAPHORE_ALL_ACCESS, NULL, 3, 2),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtCreateSemaphore(UT_BAD_POINTER, SEMAPHORE_ALL_ACCESS, NULL, 0, 1),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateSemaphore(&semaphore, SEMAPHORE_ALL_ACCESS, UT_KERNEL_POINTER, 0, 1),
                     STATUS_ACCESS_VIOLATION);
}

UTEST(SemaphoreReleaseAndQueryErrors)
{
    SEMAPHORE_BASIC_INFORMATION info;
    HANDLE semaphore, event;

    UT_EXPECT_STATUS(NtCreateSemaphore(&semaphore, SEMAPHORE_QUERY_STATE, NULL, 0, 5),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtReleaseSemaphore(semaphore, 0, NULL), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtReleaseSemaphore(semaphore, -1, NULL), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtReleaseSemaphore(semaphore, 1, NULL), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtReleaseSemaphore(semaphore, 1, UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySemaphore(semaphore, SemaphoreBasicInformation, UT_BAD_POINTER,
                                      sizeof(info), NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySemaphore(semaphore, SemaphoreBasicInformation, &info, sizeof(info),
                                      UT_KERNEL_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQuerySemaphore(semaphore, (SEMAPHORE_INFORMATION_CLASS)1, &info,
                                      sizeof(info), NULL), STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtQuerySemaphore(semaphore, SemaphoreBasicInformation, &info, 4, NULL),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtClose(semaphore), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtReleaseSemaphore(semaphore, 1, NULL), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtQuerySemaphore(semaphore, SemaphoreBasicInformation, &info, sizeof(info),
                                      NULL), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtReleaseSemaphore(event, 1, NULL), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtQuerySemaphore(event, SemaphoreBasicInformation, &info, sizeof(info),
                                      NULL), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
}

UTEST(NamedSemaphoreOpensByName)
{
    UNICODE_STRING name = UT_NAME(u"\\BaseNamedObjects\\tsync-semaphore");
    OBJECT_ATTRIBUTES attributes = UtAttributes(&name, 0);
    SEMAPHORE_BASIC_INFORMATION info;
    HANDLE semaphore, opened;

    UT_EXPECT_STATUS(NtCreateSemaphore(&semaphore, SEMAPHORE_ALL_ACCESS, &attributes, 2, 4),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenSemaphore(&opened, SEMAPHORE_QUERY_STATE, &attributes),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQuerySemaphore(opened, SemaphoreBasicInformation, &info, sizeof(info),
                                      NULL), STATUS_SUCCESS);
    UT_EXPECT_EQ(info.CurrentCount, 2);
    UT_EXPECT_STATUS(NtOpenSemaphore(UT_BAD_POINTER, SEMAPHORE_ALL_ACCESS, &attributes),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtClose(opened), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(semaphore), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenSemaphore(&opened, SEMAPHORE_ALL_ACCESS, &attributes),
                     STATUS_OBJECT_NAME_NOT_FOUND);
}

// ---- Mutants -----------------------------------------------------------------------

UTEST(MutantOwnedAtCreationIsReleasedByItsOwner)
{
    MUTANT_BASIC_INFORMATION info;
    LONG previous = 5;
    HANDLE mutant;

    UT_EXPECT_STATUS(NtCreateMutant(&mutant, MUTANT_ALL_ACCESS, NULL, TRUE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryMutant(mutant, MutantBasicInformation, &info, sizeof(info), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(info.CurrentCount, 0);
    UT_EXPECT_EQ(info.OwnedByCaller, TRUE);
    UT_EXPECT_EQ(info.AbandonedState, FALSE);
    UT_EXPECT_STATUS(NtReleaseMutant(mutant, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 0);
    UT_EXPECT_STATUS(NtQueryMutant(mutant, MutantBasicInformation, &info, sizeof(info), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(info.CurrentCount, 1);
    UT_EXPECT_EQ(info.OwnedByCaller, FALSE);
    UT_EXPECT_STATUS(NtReleaseMutant(mutant, NULL), STATUS_MUTANT_NOT_OWNED);
    UT_EXPECT_STATUS(NtClose(mutant), STATUS_SUCCESS);
}

UTEST(MutantIsRecursiveForItsOwner)
{
    LARGE_INTEGER zero = UtNoWait();
    LONG previous;
    HANDLE mutant;

    UT_EXPECT_STATUS(NtCreateMutant(&mutant, MUTANT_ALL_ACCESS, NULL, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(mutant, FALSE, &zero), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtWaitForSingleObject(mutant, FALSE, &zero), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtReleaseMutant(mutant, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, -1);
    UT_EXPECT_STATUS(NtReleaseMutant(mutant, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 0);
    UT_EXPECT_STATUS(NtReleaseMutant(mutant, &previous), STATUS_MUTANT_NOT_OWNED);
    UT_EXPECT_STATUS(NtClose(mutant), STATUS_SUCCESS);
}

UTEST(MutantClosedWhileOwnedLeavesNothingBehind)
{
    HANDLE mutant;

    // The delete routine takes it off this thread's owned list; a later
    // thread exit would otherwise walk freed memory.
    UT_EXPECT_STATUS(NtCreateMutant(&mutant, MUTANT_ALL_ACCESS, NULL, TRUE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(mutant), STATUS_SUCCESS);
}

UTEST(MutantErrors)
{
    UNICODE_STRING name = UT_NAME(u"\\BaseNamedObjects\\tsync-mutant");
    OBJECT_ATTRIBUTES attributes = UtAttributes(&name, 0);
    MUTANT_BASIC_INFORMATION info;
    HANDLE mutant, opened, event;

    UT_EXPECT_STATUS(NtCreateMutant(UT_BAD_POINTER, MUTANT_ALL_ACCESS, NULL, FALSE),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateMutant(&mutant, MUTANT_ALL_ACCESS, UT_BAD_POINTER, FALSE),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateMutant(&mutant, SYNCHRONIZE, &attributes, TRUE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenMutant(&opened, MUTANT_ALL_ACCESS, &attributes), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenMutant(UT_KERNEL_POINTER, MUTANT_ALL_ACCESS, &attributes),
                     STATUS_ACCESS_VIOLATION);
    // Releasing needs no right; querying does.
    UT_EXPECT_STATUS(NtQueryMutant(mutant, MutantBasicInformation, &info, sizeof(info), NULL),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtReleaseMutant(mutant, UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtReleaseMutant(mutant, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryMutant(opened, MutantBasicInformation, UT_BAD_POINTER, sizeof(info),
                                   NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryMutant(opened, MutantBasicInformation, &info, sizeof(info),
                                   UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryMutant(opened, (MUTANT_INFORMATION_CLASS)3, &info, sizeof(info),
                                   NULL), STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtQueryMutant(opened, MutantBasicInformation, &info, 1, NULL),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtReleaseMutant(event, NULL), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtQueryMutant(event, MutantBasicInformation, &info, sizeof(info), NULL),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtOpenEvent(&event, EVENT_ALL_ACCESS, &attributes),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(opened), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(mutant), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtReleaseMutant(mutant, NULL), STATUS_INVALID_HANDLE);
}

static const UTEST Tests[] = {
    UT_ENTRY(EventCreatedSignaledReportsItsStateAndType),
    UT_ENTRY(EventSetResetPulseClearReturnThePreviousState),
    UT_ENTRY(EventWithABadTypeIsAnInvalidParameter),
    UT_ENTRY(EventServicesRefuseBadPointers),
    UT_ENTRY(EventQueryChecksClassThenLength),
    UT_ENTRY(EventHandleWithoutTheRightIsDenied),
    UT_ENTRY(EventServicesOnBadHandlesAndOtherTypes),
    UT_ENTRY(NamedEventOpensCollidesAndOpenIfs),
    UT_ENTRY(EventOpenErrors),
    UT_ENTRY(SemaphoreCountsUpToItsLimit),
    UT_ENTRY(SemaphoreCreationChecksItsCounts),
    UT_ENTRY(SemaphoreReleaseAndQueryErrors),
    UT_ENTRY(NamedSemaphoreOpensByName),
    UT_ENTRY(MutantOwnedAtCreationIsReleasedByItsOwner),
    UT_ENTRY(MutantIsRecursiveForItsOwner),
    UT_ENTRY(MutantClosedWhileOwnedLeavesNothingBehind),
    UT_ENTRY(MutantErrors),
};

int main(void)
{
    return UT_RUN_ALL("tsync", Tests);
}
