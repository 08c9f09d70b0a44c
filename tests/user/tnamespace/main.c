// The namespace from user mode: directory objects, listing them with
// NtQueryDirectoryObject, and symbolic links, followed in lookups.

#include "tests/user/uobject.h"

static NTSTATUS UtOpenDirectory(HANDLE *directory, const WCHAR *path, ACCESS_MASK access)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;

    RtlInitUnicodeString(&name, path);
    attributes = UtAttributes(&name, 0);
    return NtOpenDirectoryObject(directory, access, &attributes);
}

UTEST(DirectoryCreatedHoldsObjectsNamedRelativeToIt)
{
    UNICODE_STRING dirName = UT_NAME(u"\\BaseNamedObjects\\tnamespace-dir");
    UNICODE_STRING eventName = UT_NAME(u"inner");
    UNICODE_STRING fullName = UT_NAME(u"\\BaseNamedObjects\\tnamespace-dir\\inner");
    OBJECT_ATTRIBUTES dirAttributes = UtAttributes(&dirName, 0);
    OBJECT_ATTRIBUTES full = UtAttributes(&fullName, 0);
    OBJECT_ATTRIBUTES relative;
    HANDLE directory, event, opened, again;

    UT_EXPECT_STATUS(NtCreateDirectoryObject(&directory, DIRECTORY_ALL_ACCESS, &dirAttributes),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateDirectoryObject(&again, DIRECTORY_ALL_ACCESS, &dirAttributes),
                     STATUS_OBJECT_NAME_COLLISION);
    InitializeObjectAttributes(&relative, &eventName, 0, directory, NULL);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, &relative, NotificationEvent,
                                   FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenEvent(&opened, EVENT_ALL_ACCESS, &full), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenDirectoryObject(&again, DIRECTORY_QUERY, &dirAttributes),
                     STATUS_SUCCESS);
    // A relative name needs a directory handle, not any handle.
    relative.RootDirectory = event;
    UT_EXPECT_STATUS(NtOpenEvent(&opened, EVENT_ALL_ACCESS, &relative),
                     STATUS_OBJECT_TYPE_MISMATCH);
    relative.RootDirectory = directory;
    relative.ObjectName = &fullName;
    UT_EXPECT_STATUS(NtOpenEvent(&opened, EVENT_ALL_ACCESS, &relative),
                     STATUS_OBJECT_PATH_SYNTAX_BAD);
    UT_EXPECT_STATUS(NtClose(again), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(opened), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(directory), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenDirectoryObject(&again, DIRECTORY_QUERY, &dirAttributes),
                     STATUS_OBJECT_NAME_NOT_FOUND);
}

UTEST(DirectoryServiceErrors)
{
    UNICODE_STRING name = UT_NAME(u"\\BaseNamedObjects\\tnamespace-bad");
    UNICODE_STRING deep = UT_NAME(u"\\NoSuch\\tnamespace-bad");
    OBJECT_ATTRIBUTES attributes = UtAttributes(&name, 0);
    HANDLE directory;

    UT_EXPECT_STATUS(NtCreateDirectoryObject(UT_BAD_POINTER, DIRECTORY_ALL_ACCESS, &attributes),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateDirectoryObject(&directory, DIRECTORY_ALL_ACCESS,
                                             UT_KERNEL_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtOpenDirectoryObject(UT_BAD_POINTER, DIRECTORY_QUERY, &attributes),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtOpenDirectoryObject(&directory, DIRECTORY_QUERY, &attributes),
                     STATUS_OBJECT_NAME_NOT_FOUND);
    attributes.ObjectName = &deep;
    UT_EXPECT_STATUS(NtOpenDirectoryObject(&directory, DIRECTORY_QUERY, &attributes),
                     STATUS_OBJECT_PATH_NOT_FOUND);
    UT_EXPECT_STATUS(NtCreateDirectoryObject(&directory, DIRECTORY_ALL_ACCESS, &attributes),
                     STATUS_OBJECT_PATH_NOT_FOUND);
    UT_EXPECT_STATUS(UtOpenDirectory(&directory, u"\\BaseNamedObjects", DIRECTORY_QUERY),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(directory), STATUS_SUCCESS);
}

// Lists \ObjectTypes one entry at a time and all at once: both see the same
// entries, the Event type among them.
UTEST(QueryDirectoryListsEntriesOneByOneAndAllAtOnce)
{
    UNICODE_STRING eventType = UT_NAME(u"Event"), typeType = UT_NAME(u"Type");
    union {
        OBJECT_DIRECTORY_INFORMATION entries[1];
        UCHAR bytes[4096];
    } buffer;
    ULONG context = 0, length = 0, single = 0, all;
    BOOLEAN sawEvent = FALSE;
    HANDLE directory;
    NTSTATUS status;

    UT_EXPECT_STATUS(UtOpenDirectory(&directory, u"\\ObjectTypes", DIRECTORY_QUERY),
                     STATUS_SUCCESS);
    while ((status = NtQueryDirectoryObject(directory, &buffer, sizeof(buffer), TRUE,
                                            single == 0, &context, &length)) == STATUS_SUCCESS) {
        single++;
        UT_EXPECT_EQ(context, single);
        if (RtlCompareUnicodeString(&buffer.entries[0].Name, &eventType, TRUE) == 0) {
            sawEvent = TRUE;
            UT_EXPECT(RtlCompareUnicodeString(&buffer.entries[0].TypeName, &typeType, FALSE) ==
                      0);
        }
        UT_EXPECT_EQ(buffer.entries[1].Name.Length, 0);      // the terminator
    }
    UT_EXPECT_STATUS(status, STATUS_NO_MORE_ENTRIES);
    UT_EXPECT(sawEvent);
    UT_EXPECT(single >= 6);
    UT_EXPECT_STATUS(NtQueryDirectoryObject(directory, &buffer, sizeof(buffer), FALSE, TRUE,
                                            &context, &length), STATUS_SUCCESS);
    all = context;
    UT_EXPECT_EQ(all, single);
    // A buffer too small for everything: some entries, and more to come.
    UT_EXPECT_STATUS(NtQueryDirectoryObject(directory, &buffer, 160, FALSE, TRUE, &context,
                                            &length), STATUS_MORE_ENTRIES);
    UT_EXPECT(context > 0 && context < all);
    UT_EXPECT(length <= 160);
    // Too small for even one entry.
    UT_EXPECT_STATUS(NtQueryDirectoryObject(directory, &buffer, 8, TRUE, TRUE, &context,
                                            &length), STATUS_BUFFER_TOO_SMALL);
    UT_EXPECT(length > 8);
    UT_EXPECT_STATUS(NtClose(directory), STATUS_SUCCESS);
}

UTEST(QueryDirectoryErrors)
{
    UCHAR buffer[256];
    ULONG context = 0, length;
    HANDLE directory, event;

    UT_EXPECT_STATUS(UtOpenDirectory(&directory, u"\\ObjectTypes", DIRECTORY_QUERY),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryDirectoryObject(directory, UT_BAD_POINTER, sizeof(buffer), FALSE,
                                            TRUE, &context, &length), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryDirectoryObject(directory, buffer, sizeof(buffer), FALSE, TRUE,
                                            UT_BAD_POINTER, &length), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryDirectoryObject(directory, buffer, sizeof(buffer), FALSE, TRUE,
                                            &context, UT_KERNEL_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtClose(directory), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryDirectoryObject(directory, buffer, sizeof(buffer), FALSE, TRUE,
                                            &context, &length), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(UtOpenDirectory(&directory, u"\\ObjectTypes", DIRECTORY_TRAVERSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryDirectoryObject(directory, buffer, sizeof(buffer), FALSE, TRUE,
                                            &context, &length), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtClose(directory), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryDirectoryObject(event, buffer, sizeof(buffer), FALSE, TRUE, &context,
                                            &length), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
}

UTEST(SymbolicLinksAreFollowedButOpenLinkOpensTheLink)
{
    UNICODE_STRING linkName = UT_NAME(u"\\BaseNamedObjects\\tnamespace-link");
    UNICODE_STRING target = UT_NAME(u"\\BaseNamedObjects");
    UNICODE_STRING eventName = UT_NAME(u"\\BaseNamedObjects\\tnamespace-event");
    UNICODE_STRING throughLink = UT_NAME(u"\\BaseNamedObjects\\tnamespace-link\\tnamespace-event");
    OBJECT_ATTRIBUTES linkAttributes = UtAttributes(&linkName, 0);
    OBJECT_ATTRIBUTES eventAttributes = UtAttributes(&eventName, 0);
    OBJECT_ATTRIBUTES viaLink = UtAttributes(&throughLink, 0);
    OBJECT_ATTRIBUTES openLink = UtAttributes(&linkName, OBJ_OPENLINK);
    WCHAR text[64];
    UNICODE_STRING answer = {0, sizeof(text), text};
    ULONG returned = 0;
    HANDLE link, event, opened, directory;

    UT_EXPECT_STATUS(NtCreateSymbolicLinkObject(&link, SYMBOLIC_LINK_ALL_ACCESS, &linkAttributes,
                                                &target), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, &eventAttributes, NotificationEvent,
                                   FALSE), STATUS_SUCCESS);
    // An inner component that is a link is followed.
    UT_EXPECT_STATUS(NtOpenEvent(&opened, EVENT_ALL_ACCESS, &viaLink), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(opened), STATUS_SUCCESS);
    // The last component is followed too, unless the caller wants the link.
    UT_EXPECT_STATUS(NtOpenDirectoryObject(&directory, DIRECTORY_QUERY, &linkAttributes),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(directory), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenDirectoryObject(&directory, DIRECTORY_QUERY, &openLink),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtOpenSymbolicLinkObject(&opened, SYMBOLIC_LINK_QUERY, &linkAttributes),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQuerySymbolicLinkObject(opened, &answer, &returned), STATUS_SUCCESS);
    UT_EXPECT(RtlCompareUnicodeString(&answer, &target, FALSE) == 0);
    UT_EXPECT_EQ(returned, target.Length + sizeof(WCHAR));
    UT_EXPECT_STATUS(NtClose(opened), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(link), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenSymbolicLinkObject(&opened, SYMBOLIC_LINK_QUERY, &linkAttributes),
                     STATUS_OBJECT_NAME_NOT_FOUND);
}

UTEST(SymbolicLinkErrors)
{
    UNICODE_STRING linkName = UT_NAME(u"\\BaseNamedObjects\\tnamespace-loop");
    UNICODE_STRING loopTarget = UT_NAME(u"\\BaseNamedObjects\\tnamespace-loop");
    UNICODE_STRING through = UT_NAME(u"\\BaseNamedObjects\\tnamespace-loop\\x");
    UNICODE_STRING dangling = UT_NAME(u"\\BaseNamedObjects\\tnamespace-nothing");
    OBJECT_ATTRIBUTES linkAttributes = UtAttributes(&linkName, 0);
    OBJECT_ATTRIBUTES throughAttributes = UtAttributes(&through, 0);
    WCHAR text[4];
    UNICODE_STRING small = {0, sizeof(text), text};
    UNICODE_STRING odd = loopTarget;
    ULONG returned = 0;
    HANDLE link, opened, event;

    odd.Length = 3;
    UT_EXPECT_STATUS(NtCreateSymbolicLinkObject(&link, SYMBOLIC_LINK_ALL_ACCESS, &linkAttributes,
                                                &odd), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtCreateSymbolicLinkObject(&link, SYMBOLIC_LINK_ALL_ACCESS, &linkAttributes,
                                                UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateSymbolicLinkObject(UT_BAD_POINTER, SYMBOLIC_LINK_ALL_ACCESS,
                                                &linkAttributes, &loopTarget),
                     STATUS_ACCESS_VIOLATION);
    odd = loopTarget;
    odd.Buffer = UT_KERNEL_POINTER;
    UT_EXPECT_STATUS(NtCreateSymbolicLinkObject(&link, SYMBOLIC_LINK_ALL_ACCESS, &linkAttributes,
                                                &odd), STATUS_ACCESS_VIOLATION);
    // A link to itself: the lookup gives up instead of looping.
    UT_EXPECT_STATUS(NtCreateSymbolicLinkObject(&link, SYMBOLIC_LINK_QUERY, &linkAttributes,
                                                &loopTarget), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenEvent(&event, EVENT_ALL_ACCESS, &throughAttributes),
                     STATUS_OBJECT_NAME_NOT_FOUND);
    UT_EXPECT_STATUS(NtQuerySymbolicLinkObject(link, &small, &returned), STATUS_BUFFER_TOO_SMALL);
    UT_EXPECT_EQ(returned, loopTarget.Length + sizeof(WCHAR));
    UT_EXPECT_STATUS(NtQuerySymbolicLinkObject(link, UT_BAD_POINTER, NULL),
                     STATUS_ACCESS_VIOLATION);
    small.Buffer = UT_KERNEL_POINTER;
    UT_EXPECT_STATUS(NtQuerySymbolicLinkObject(link, &small, NULL), STATUS_ACCESS_VIOLATION);
    small.Buffer = text;
    UT_EXPECT_STATUS(NtQuerySymbolicLinkObject(link, &small, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtOpenSymbolicLinkObject(UT_BAD_POINTER, SYMBOLIC_LINK_QUERY,
                                              &linkAttributes), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtClose(link), STATUS_SUCCESS);
    // A dangling link: the name through it is not found.
    UT_EXPECT_STATUS(NtCreateSymbolicLinkObject(&link, 0, &linkAttributes, &dangling),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtOpenEvent(&event, EVENT_ALL_ACCESS, &linkAttributes),
                     STATUS_OBJECT_NAME_NOT_FOUND);
    UT_EXPECT_STATUS(NtOpenEvent(&event, EVENT_ALL_ACCESS, &throughAttributes),
                     STATUS_OBJECT_PATH_NOT_FOUND);
    UT_EXPECT_STATUS(NtQuerySymbolicLinkObject(link, &small, NULL), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQuerySymbolicLinkObject(event, &small, NULL), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(link), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQuerySymbolicLinkObject(link, &small, NULL), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtOpenSymbolicLinkObject(&opened, SYMBOLIC_LINK_QUERY, &linkAttributes),
                     STATUS_OBJECT_NAME_NOT_FOUND);
}

static const UTEST Tests[] = {
    UT_ENTRY(DirectoryCreatedHoldsObjectsNamedRelativeToIt),
    UT_ENTRY(DirectoryServiceErrors),
    UT_ENTRY(QueryDirectoryListsEntriesOneByOneAndAllAtOnce),
    UT_ENTRY(QueryDirectoryErrors),
    UT_ENTRY(SymbolicLinksAreFollowedButOpenLinkOpensTheLink),
    UT_ENTRY(SymbolicLinkErrors),
};

int main(void)
{
    return UT_RUN_ALL("tnamespace", Tests);
}
