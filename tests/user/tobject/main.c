// Handles and objects: NtClose, NtDuplicateObject, NtQueryObject,
// NtMakeTemporaryObject, and the mapping of GENERIC_* and MAXIMUM_ALLOWED.

#include "tests/user/uobject.h"

static ACCESS_MASK UtGrantedAccess(HANDLE handle)
{
    OBJECT_BASIC_INFORMATION info;

    memset(&info, 0, sizeof(info));
    UT_EXPECT_STATUS(NtQueryObject(handle, ObjectBasicInformation, &info, sizeof(info), NULL),
                     STATUS_SUCCESS);
    return info.GrantedAccess;
}

UTEST(CloseTwiceIsAnInvalidHandle)
{
    HANDLE event;

    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(event), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtClose(UT_NEVER_OPENED), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtClose((HANDLE)3), STATUS_INVALID_HANDLE);
}

UTEST(GenericRightsAreMappedThroughTheType)
{
    HANDLE event;

    UT_EXPECT_STATUS(NtCreateEvent(&event, GENERIC_READ, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(UtGrantedAccess(event), READ_CONTROL | EVENT_QUERY_STATE);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateEvent(&event, GENERIC_WRITE | GENERIC_EXECUTE, NULL,
                                   NotificationEvent, FALSE), STATUS_SUCCESS);
    UT_EXPECT_EQ(UtGrantedAccess(event), READ_CONTROL | EVENT_MODIFY_STATE | SYNCHRONIZE);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateEvent(&event, GENERIC_ALL, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(UtGrantedAccess(event), EVENT_ALL_ACCESS);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateEvent(&event, MAXIMUM_ALLOWED, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(UtGrantedAccess(event), EVENT_ALL_ACCESS);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    // Rights the type does not have are not granted.
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_QUERY_STATE | 0x8000, NULL, NotificationEvent,
                                   FALSE), STATUS_SUCCESS);
    UT_EXPECT_EQ(UtGrantedAccess(event), EVENT_QUERY_STATE);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
}

UTEST(DuplicateGrantsNoMoreThanTheSource)
{
    HANDLE event, copy;
    LONG previous;

    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_MODIFY_STATE | SYNCHRONIZE, NULL,
                                   NotificationEvent, FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), event, NtCurrentProcess(), &copy, 0, 0,
                                       DUPLICATE_SAME_ACCESS), STATUS_SUCCESS);
    UT_EXPECT(copy != event);
    UT_EXPECT_EQ(UtGrantedAccess(copy), EVENT_MODIFY_STATE | SYNCHRONIZE);
    UT_EXPECT_STATUS(NtSetEvent(copy, &previous), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(copy), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), event, NtCurrentProcess(), &copy,
                                       SYNCHRONIZE, 0, 0), STATUS_SUCCESS);
    UT_EXPECT_EQ(UtGrantedAccess(copy), SYNCHRONIZE);
    UT_EXPECT_STATUS(NtSetEvent(copy, NULL), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtClose(copy), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), event, NtCurrentProcess(), &copy,
                                       EVENT_QUERY_STATE, 0, 0), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), event, NtCurrentProcess(), &copy,
                                       GENERIC_ALL, 0, 0), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), event, NtCurrentProcess(), &copy,
                                       MAXIMUM_ALLOWED, 0, 0), STATUS_SUCCESS);
    UT_EXPECT_EQ(UtGrantedAccess(copy), EVENT_MODIFY_STATE | SYNCHRONIZE);
    UT_EXPECT_STATUS(NtClose(copy), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
}

UTEST(DuplicateCloseSourceClosesItWhateverTheOutcome)
{
    HANDLE event, copy;

    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), event, NtCurrentProcess(), &copy, 0, 0,
                                       DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(event), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), copy, NULL, NULL, 0, 0,
                                       DUPLICATE_CLOSE_SOURCE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(copy), STATUS_INVALID_HANDLE);
}

UTEST(DuplicateErrors)
{
    HANDLE event, copy, other;

    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateEvent(&other, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), event, NtCurrentProcess(),
                                       UT_BAD_POINTER, 0, 0, DUPLICATE_SAME_ACCESS),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), event, NtCurrentProcess(),
                                       UT_KERNEL_POINTER, 0, 0, DUPLICATE_SAME_ACCESS),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), UT_NEVER_OPENED, NtCurrentProcess(),
                                       &copy, 0, 0, DUPLICATE_SAME_ACCESS),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtDuplicateObject(UT_NEVER_OPENED, event, NtCurrentProcess(), &copy, 0, 0,
                                       DUPLICATE_SAME_ACCESS), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), event, UT_NEVER_OPENED, &copy, 0, 0,
                                       DUPLICATE_SAME_ACCESS), STATUS_INVALID_HANDLE);
    // Process handles must be processes.
    UT_EXPECT_STATUS(NtDuplicateObject(other, event, NtCurrentProcess(), &copy, 0, 0,
                                       DUPLICATE_SAME_ACCESS), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), event, other, &copy, 0, 0,
                                       DUPLICATE_SAME_ACCESS), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtClose(other), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
}

UTEST(QueryObjectBasicCountsHandles)
{
    OBJECT_BASIC_INFORMATION info;
    ULONG length = 0;
    HANDLE event, copy;

    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), event, NtCurrentProcess(), &copy, 0, 0,
                                       DUPLICATE_SAME_ACCESS), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryObject(event, ObjectBasicInformation, &info, sizeof(info), &length),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(length, sizeof(info));
    UT_EXPECT_EQ(info.HandleCount, 2);
    UT_EXPECT_EQ(info.PointerCount, 2);
    UT_EXPECT_EQ(info.GrantedAccess, EVENT_ALL_ACCESS);
    UT_EXPECT_EQ(info.NameInfoSize, 0);
    UT_EXPECT_STATUS(NtQueryObject(event, ObjectBasicInformation, &info, sizeof(info) + 8,
                                   &length), STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_EQ(length, sizeof(info));
    UT_EXPECT_STATUS(NtClose(copy), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
}

UTEST(QueryObjectNameFollowsNtsLengthRules)
{
    UNICODE_STRING name = UT_NAME(u"\\BaseNamedObjects\\tobject-name");
    UNICODE_STRING expected = UT_NAME(u"\\BaseNamedObjects\\tobject-name");
    OBJECT_ATTRIBUTES attributes = UtAttributes(&name, 0);
    union {
        OBJECT_NAME_INFORMATION info;
        UCHAR bytes[256];
    } buffer;
    ULONG needed = sizeof(OBJECT_NAME_INFORMATION) + expected.Length + sizeof(WCHAR);
    ULONG length = 0;
    HANDLE event;

    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, &attributes, NotificationEvent,
                                   FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryObject(event, ObjectNameInformation, &buffer, 4, &length),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_EQ(length, needed);
    length = 0;
    UT_EXPECT_STATUS(NtQueryObject(event, ObjectNameInformation, &buffer,
                                   sizeof(OBJECT_NAME_INFORMATION) + 4, &length),
                     STATUS_BUFFER_OVERFLOW);
    UT_EXPECT_EQ(length, needed);
    UT_EXPECT_STATUS(NtQueryObject(event, ObjectNameInformation, &buffer, sizeof(buffer),
                                   &length), STATUS_SUCCESS);
    UT_EXPECT_EQ(length, needed);
    UT_EXPECT(RtlCompareUnicodeString(&buffer.info.Name, &expected, FALSE) == 0);
    UT_EXPECT_EQ(buffer.info.Name.Buffer[buffer.info.Name.Length / 2], 0);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    // An unnamed object has an empty name.
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryObject(event, ObjectNameInformation, &buffer, sizeof(buffer),
                                   &length), STATUS_SUCCESS);
    UT_EXPECT_EQ(length, sizeof(OBJECT_NAME_INFORMATION));
    UT_EXPECT_EQ(buffer.info.Name.Length, 0);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
}

UTEST(QueryObjectTypeNamesTheType)
{
    UNICODE_STRING expected = UT_NAME(u"Semaphore");
    union {
        OBJECT_TYPE_INFORMATION info;
        UCHAR bytes[256];
    } buffer;
    ULONG length = 0;
    HANDLE semaphore;

    UT_EXPECT_STATUS(NtCreateSemaphore(&semaphore, SEMAPHORE_ALL_ACCESS, NULL, 0, 1),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryObject(semaphore, ObjectTypeInformation, &buffer, 8, &length),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_EQ(length, sizeof(OBJECT_TYPE_INFORMATION) + expected.Length + sizeof(WCHAR));
    UT_EXPECT_STATUS(NtQueryObject(semaphore, ObjectTypeInformation, &buffer,
                                   sizeof(OBJECT_TYPE_INFORMATION), &length),
                     STATUS_BUFFER_OVERFLOW);
    UT_EXPECT_STATUS(NtQueryObject(semaphore, ObjectTypeInformation, &buffer, sizeof(buffer),
                                   &length), STATUS_SUCCESS);
    UT_EXPECT(RtlCompareUnicodeString(&buffer.info.TypeName, &expected, FALSE) == 0);
    UT_EXPECT(buffer.info.TotalNumberOfObjects >= 1);
    UT_EXPECT(buffer.info.TotalNumberOfHandles >= 1);
    UT_EXPECT_EQ(buffer.info.ValidAccessMask, SEMAPHORE_ALL_ACCESS);
    UT_EXPECT_EQ(buffer.info.GenericMapping.GenericAll, SEMAPHORE_ALL_ACCESS);
    UT_EXPECT_STATUS(NtClose(semaphore), STATUS_SUCCESS);
}

UTEST(QueryObjectErrors)
{
    OBJECT_BASIC_INFORMATION info;
    HANDLE event;

    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryObject(event, (OBJECT_INFORMATION_CLASS)9, &info, sizeof(info),
                                   NULL), STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtQueryObject(event, ObjectBasicInformation, UT_BAD_POINTER, sizeof(info),
                                   NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryObject(event, ObjectBasicInformation, UT_KERNEL_POINTER,
                                   sizeof(info), NULL), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryObject(event, ObjectBasicInformation, &info, sizeof(info),
                                   UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryObject(event, ObjectBasicInformation, &info, sizeof(info), NULL),
                     STATUS_INVALID_HANDLE);
}

UTEST(TemporaryObjectLosesItsPermanentName)
{
    UNICODE_STRING name = UT_NAME(u"\\BaseNamedObjects\\tobject-permanent");
    OBJECT_ATTRIBUTES permanent = UtAttributes(&name, OBJ_PERMANENT);
    OBJECT_ATTRIBUTES plain = UtAttributes(&name, 0);
    OBJECT_BASIC_INFORMATION info;
    HANDLE event, noDelete;

    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, &permanent, NotificationEvent,
                                   FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryObject(event, ObjectBasicInformation, &info, sizeof(info), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(info.Attributes & OBJ_PERMANENT, OBJ_PERMANENT);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    // Still there with no handle open.
    UT_EXPECT_STATUS(NtOpenEvent(&event, EVENT_ALL_ACCESS, &plain), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenEvent(&noDelete, EVENT_QUERY_STATE, &plain), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtMakeTemporaryObject(noDelete), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtMakeTemporaryObject(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(noDelete), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenEvent(&event, EVENT_ALL_ACCESS, &plain), STATUS_OBJECT_NAME_NOT_FOUND);
    UT_EXPECT_STATUS(NtMakeTemporaryObject(event), STATUS_INVALID_HANDLE);
}

static const UTEST Tests[] = {
    UT_ENTRY(CloseTwiceIsAnInvalidHandle),
    UT_ENTRY(GenericRightsAreMappedThroughTheType),
    UT_ENTRY(DuplicateGrantsNoMoreThanTheSource),
    UT_ENTRY(DuplicateCloseSourceClosesItWhateverTheOutcome),
    UT_ENTRY(DuplicateErrors),
    UT_ENTRY(QueryObjectBasicCountsHandles),
    UT_ENTRY(QueryObjectNameFollowsNtsLengthRules),
    UT_ENTRY(QueryObjectTypeNamesTheType),
    UT_ENTRY(QueryObjectErrors),
    UT_ENTRY(TemporaryObjectLosesItsPermanentName),
};

int main(void)
{
    return UT_RUN_ALL("tobject", Tests);
}
