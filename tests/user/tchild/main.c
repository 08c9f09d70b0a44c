// User-mode tests between a process and its children: a wait on a process
// handle ended by the child's exit and its ExitStatus, what a child learns
// about itself and its parent (InheritedFromUniqueProcessId, PebBaseAddress),
// a running child in the process list, process and thread handles opened
// without the rights a service needs, and NtDuplicateObject into a child
// (which then uses the object) and refused without PROCESS_DUP_HANDLE.
//
// The program is its own child; its command line says what a child does:
//   "tchild exit N"   ends with status N (hex)
//   "tchild self P"   checks its PEB and that P (hex) is its parent, exits 0
//   "tchild mailbox"  reads a handle from the mailbox section, uses it, exits 0
// A child that finds something wrong exits with CHILD_CHECK_FAILED + which.

#include "tests/user/uobject.h"
#include "tests/user/uthread.h"

#define CHILD_CHECK_FAILED 0x100
#define CHILD_EXIT_STATUS  0x2A
#define KILLED_STATUS      0x99
#define PAGE               4096

static PEB *CurrentPeb(void)
{
    return NtCurrentTeb()->ProcessEnvironmentBlock;
}

static ULONG_PTR CurrentProcessId(void)
{
    return (ULONG_PTR)NtCurrentTeb()->ClientId.UniqueProcess;
}

// ---- The child's side -------------------------------------------------------

// The command line's words (it is ASCII: the parent wrote it).
static int SplitCommandLine(char *text, size_t size, char **words, int maximum)
{
    const UNICODE_STRING *line = &CurrentPeb()->ProcessParameters->CommandLine;
    size_t count = line->Length / sizeof(WCHAR);
    int found = 0;

    if (count >= size)
        count = size - 1;
    for (size_t i = 0; i < count; i++)
        text[i] = (char)line->Buffer[i];
    text[count] = '\0';
    for (char *p = text; *p && found < maximum;) {
        while (*p == ' ')
            *p++ = '\0';
        if (!*p)
            break;
        words[found++] = p;
        while (*p && *p != ' ')
            p++;
    }
    return found;
}

static ULONG_PTR ParseHex(const char *text)
{
    ULONG_PTR value = 0;

    for (; *text; text++) {
        char c = *text;

        if (c >= '0' && c <= '9')
            value = value * 16 + (ULONG_PTR)(c - '0');
        else if (c >= 'a' && c <= 'f')
            value = value * 16 + (ULONG_PTR)(c - 'a' + 10);
        else
            break;
    }
    return value;
}

// "self P": the child's own view of itself.
static int ChildChecksItself(ULONG_PTR parent)
{
    PROCESS_BASIC_INFORMATION info;

    if (!NT_SUCCESS(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation,
                                              &info, sizeof(info), NULL)))
        return CHILD_CHECK_FAILED + 1;
    if (info.PebBaseAddress != CurrentPeb())
        return CHILD_CHECK_FAILED + 2;
    if (info.InheritedFromUniqueProcessId != parent)
        return CHILD_CHECK_FAILED + 3;
    if (info.UniqueProcessId != CurrentProcessId())
        return CHILD_CHECK_FAILED + 4;
    if (info.ExitStatus != STATUS_PENDING)
        return CHILD_CHECK_FAILED + 5;
    return 0;
}

// The mailbox: a named one-page section through which the parent tells a
// child the value of a handle it duplicated into the child's table.
static UNICODE_STRING MailboxName = UT_NAME(u"\\BaseNamedObjects\\tchild-mailbox");

static HANDLE *MapMailbox(HANDLE section)
{
    PVOID base = NULL;
    SIZE_T size = 0;

    if (!NT_SUCCESS(NtMapViewOfSection(section, NtCurrentProcess(), &base, 0, 0, NULL, &size,
                                       ViewUnmap, 0, PAGE_READWRITE)))
        return NULL;
    return base;
}

// "mailbox": the duplicated event handle carries EVENT_MODIFY_STATE only.
static int ChildUsesTheMailboxHandle(void)
{
    OBJECT_ATTRIBUTES attributes = UtAttributes(&MailboxName, 0);
    OBJECT_BASIC_INFORMATION basic;
    LARGE_INTEGER zero = UtNoWait();
    HANDLE section, *mailbox, event;

    if (!NT_SUCCESS(NtOpenSection(&section, SECTION_MAP_READ | SECTION_MAP_WRITE, &attributes)))
        return CHILD_CHECK_FAILED + 1;
    mailbox = MapMailbox(section);
    if (!mailbox)
        return CHILD_CHECK_FAILED + 2;
    event = *mailbox;
    if (!NT_SUCCESS(NtQueryObject(event, ObjectBasicInformation, &basic, sizeof(basic), NULL)))
        return CHILD_CHECK_FAILED + 3;
    if (basic.GrantedAccess != EVENT_MODIFY_STATE)
        return CHILD_CHECK_FAILED + 4;
    if (NtWaitForSingleObject(event, FALSE, &zero) != STATUS_ACCESS_DENIED)
        return CHILD_CHECK_FAILED + 5;
    if (NtSetEvent(event, NULL) != STATUS_SUCCESS)
        return CHILD_CHECK_FAILED + 6;
    return 0;
}

// ---- The parent's side ------------------------------------------------------

static NTSTATUS StartChild(const char *commandLine, ULONG flags, PHANDLE process,
                           PHANDLE thread, PCLIENT_ID cid)
{
    UNICODE_STRING image = UT_NAME(u"tchild");
    WCHAR buffer[64];
    UNICODE_STRING line;
    size_t length = strlen(commandLine);

    if (length >= sizeof(buffer) / sizeof(buffer[0]))
        return STATUS_BUFFER_OVERFLOW;
    for (size_t i = 0; i <= length; i++)
        buffer[i] = (WCHAR)commandLine[i];
    RtlInitUnicodeString(&line, buffer);
    return NtCreateProcessFromArchive(process, thread, PROCESS_ALL_ACCESS, THREAD_ALL_ACCESS,
                                      NULL, &image, &line, flags, cid);
}

static NTSTATUS QueryProcess(HANDLE process, PROCESS_BASIC_INFORMATION *info)
{
    return NtQueryInformationProcess(process, ProcessBasicInformation, info, sizeof(*info),
                                     NULL);
}

static NTSTATUS QueryThread(HANDLE thread, THREAD_BASIC_INFORMATION *info)
{
    return NtQueryInformationThread(thread, ThreadBasicInformation, info, sizeof(*info), NULL);
}

// Waits (bounded) for a child to end; its exit status, or the wait's status.
static NTSTATUS JoinChild(HANDLE process)
{
    PROCESS_BASIC_INFORMATION info;
    NTSTATUS status = UtWaitBounded(process, FALSE);

    if (status != STATUS_WAIT_0) {
        NtTerminateProcess(process, STATUS_TIMEOUT);
        UtWaitBounded(process, FALSE);
        return status;
    }
    status = QueryProcess(process, &info);
    return NT_SUCCESS(status) ? info.ExitStatus : status;
}

UTEST(AWaitOnAChildEndsWhenItExitsWithItsStatus)
{
    HANDLE process, thread;
    CLIENT_ID cid;
    PROCESS_BASIC_INFORMATION info;
    THREAD_BASIC_INFORMATION threadInfo;
    char line[32];

    snprintf(line, sizeof(line), "tchild exit %x", CHILD_EXIT_STATUS);
    UT_EXPECT_STATUS(StartChild(line, 0, &process, &thread, &cid), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtWaitBounded(process, FALSE), STATUS_WAIT_0);
    UT_EXPECT_STATUS(QueryProcess(process, &info), STATUS_SUCCESS);
    UT_EXPECT_EQ(info.ExitStatus, CHILD_EXIT_STATUS);
    UT_EXPECT_EQ(info.UniqueProcessId, (ULONG_PTR)cid.UniqueProcess);
    UT_EXPECT_EQ(info.InheritedFromUniqueProcessId, CurrentProcessId());
    // Its thread ended with it, with the same status.
    UT_EXPECT_STATUS(UtWaitBounded(thread, FALSE), STATUS_WAIT_0);
    UT_EXPECT_STATUS(QueryThread(thread, &threadInfo), STATUS_SUCCESS);
    UT_EXPECT_EQ(threadInfo.ExitStatus, CHILD_EXIT_STATUS);
    UT_EXPECT(threadInfo.ClientId.UniqueThread == cid.UniqueThread);
    NtClose(thread);
    NtClose(process);
}

UTEST(AChildFindsItsParentAndItsPeb)
{
    HANDLE process;
    PROCESS_BASIC_INFORMATION info;
    char line[40];

    // The caller's own view first: the PEB the query names is the TEB's.
    UT_EXPECT_STATUS(QueryProcess(NtCurrentProcess(), &info), STATUS_SUCCESS);
    UT_EXPECT(info.PebBaseAddress == CurrentPeb());
    snprintf(line, sizeof(line), "tchild self %lx", (unsigned long)CurrentProcessId());
    UT_EXPECT_STATUS(StartChild(line, 0, &process, NULL, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(JoinChild(process), 0);
    NtClose(process);
}

// Room for the process list of a test run.
static ULONG64 ProcessList[8192];

static BOOLEAN NameIs(const UNICODE_STRING *name, const char *expected)
{
    size_t length = strlen(expected);

    if (name->Length != length * sizeof(WCHAR))
        return FALSE;
    for (size_t i = 0; i < length; i++) {
        if (name->Buffer[i] != (WCHAR)expected[i])
            return FALSE;
    }
    return TRUE;
}

UTEST(ARunningChildIsListedAndReportsNoExitStatusYet)
{
    SYSTEM_PROCESS_INFORMATION *entry = (SYSTEM_PROCESS_INFORMATION *)ProcessList;
    HANDLE process, thread;
    CLIENT_ID cid;
    PROCESS_BASIC_INFORMATION info;
    THREAD_BASIC_INFORMATION threadInfo;

    UT_EXPECT_STATUS(StartChild("tchild exit 0", PROCESS_CREATE_FLAGS_SUSPENDED, &process,
                                &thread, &cid),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(QueryProcess(process, &info), STATUS_SUCCESS);
    UT_EXPECT_STATUS(info.ExitStatus, STATUS_PENDING);
    UT_EXPECT(info.PebBaseAddress != NULL);
    UT_EXPECT_EQ(info.InheritedFromUniqueProcessId, CurrentProcessId());
    UT_EXPECT_STATUS(QueryThread(thread, &threadInfo), STATUS_SUCCESS);
    UT_EXPECT_STATUS(threadInfo.ExitStatus, STATUS_PENDING);

    UT_EXPECT_STATUS(NtQuerySystemInformation(SystemProcessInformation, ProcessList,
                                              sizeof(ProcessList), NULL),
                     STATUS_SUCCESS);
    while (entry->UniqueProcessId != cid.UniqueProcess && entry->NextEntryOffset)
        entry = (SYSTEM_PROCESS_INFORMATION *)((UCHAR *)entry + entry->NextEntryOffset);
    UT_EXPECT(entry->UniqueProcessId == cid.UniqueProcess);
    if (entry->UniqueProcessId == cid.UniqueProcess) {
        UT_EXPECT(NameIs(&entry->ImageName, "tchild.exe"));
        UT_EXPECT_EQ((ULONG_PTR)entry->InheritedFromUniqueProcessId, CurrentProcessId());
        UT_EXPECT_EQ(entry->NumberOfThreads, 1);
        UT_EXPECT(entry->Threads[0].ClientId.UniqueThread == cid.UniqueThread);
        UT_EXPECT(entry->Threads[0].ClientId.UniqueProcess == cid.UniqueProcess);
    }

    // Killed before it ever ran: the wait ends, and both report the status.
    UT_EXPECT_STATUS(NtTerminateProcess(process, KILLED_STATUS), STATUS_SUCCESS);
    UT_EXPECT_STATUS(JoinChild(process), KILLED_STATUS);
    UT_EXPECT_STATUS(UtWaitBounded(thread, FALSE), STATUS_WAIT_0);
    UT_EXPECT_STATUS(QueryThread(thread, &threadInfo), STATUS_SUCCESS);
    UT_EXPECT_EQ(threadInfo.ExitStatus, KILLED_STATUS);
    NtClose(thread);
    NtClose(process);
}

static void NTAPI NeverRuns(PVOID argument1, PVOID argument2, PVOID argument3)
{
}

UTEST(ProcessAndThreadHandlesWithoutTheRightAreRefused)
{
    HANDLE process, thread, limited, queryOnly, limitedThread, event, copy, newThread;
    OBJECT_ATTRIBUTES attributes = UtAttributes(NULL, 0);
    CLIENT_ID cid, processCid;
    PROCESS_BASIC_INFORMATION info;
    THREAD_BASIC_INFORMATION threadInfo;
    LARGE_INTEGER zero = UtNoWait();

    UT_EXPECT_STATUS(StartChild("tchild exit 0", PROCESS_CREATE_FLAGS_SUSPENDED, &process,
                                &thread, &cid),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    processCid.UniqueProcess = cid.UniqueProcess;
    processCid.UniqueThread = NULL;

    // SYNCHRONIZE only: a wait, nothing else.
    UT_EXPECT_STATUS(NtOpenProcess(&limited, SYNCHRONIZE, &attributes, &processCid),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(limited, FALSE, &zero), STATUS_TIMEOUT);
    UT_EXPECT_STATUS(QueryProcess(limited, &info), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtTerminateProcess(limited, 1), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtCreateThreadEx(&newThread, THREAD_ALL_ACCESS, NULL, limited,
                                      (PVOID)NeverRuns, NULL,
                                      THREAD_CREATE_FLAGS_CREATE_SUSPENDED, 0, 0, 0, NULL),
                     STATUS_ACCESS_DENIED);
    // Without PROCESS_DUP_HANDLE no handle goes into it, nor comes out.
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), event, limited, &copy, 0, 0,
                                       DUPLICATE_SAME_ACCESS),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtDuplicateObject(limited, event, NtCurrentProcess(), &copy, 0, 0,
                                       DUPLICATE_SAME_ACCESS),
                     STATUS_ACCESS_DENIED);

    // A duplicate narrowed to PROCESS_QUERY_INFORMATION queries but cannot
    // be waited on.
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), process, NtCurrentProcess(),
                                       &queryOnly, PROCESS_QUERY_INFORMATION, 0, 0),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(QueryProcess(queryOnly, &info), STATUS_SUCCESS);
    UT_EXPECT_EQ(info.UniqueProcessId, (ULONG_PTR)cid.UniqueProcess);
    UT_EXPECT_STATUS(NtWaitForSingleObject(queryOnly, FALSE, &zero), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtTerminateProcess(queryOnly, 1), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), event, queryOnly, &copy, 0, 0,
                                       DUPLICATE_SAME_ACCESS),
                     STATUS_ACCESS_DENIED);

    // The child's thread, opened from here with SYNCHRONIZE only.
    UT_EXPECT_STATUS(NtOpenThread(&limitedThread, SYNCHRONIZE, &attributes, &cid),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlertThread(limitedThread), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtQueueApcThread(limitedThread, NeverRuns, NULL, NULL, NULL),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(QueryThread(limitedThread, &threadInfo), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtSuspendThread(limitedThread, NULL), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtResumeThread(limitedThread, NULL), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtTerminateThread(limitedThread, 1), STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtWaitForSingleObject(limitedThread, FALSE, &zero), STATUS_TIMEOUT);

    // The full handle ends it; the limited ones see it end.
    UT_EXPECT_STATUS(NtTerminateProcess(process, KILLED_STATUS), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtWaitBounded(limited, FALSE), STATUS_WAIT_0);
    UT_EXPECT_STATUS(UtWaitBounded(limitedThread, FALSE), STATUS_WAIT_0);
    UT_EXPECT_STATUS(QueryProcess(queryOnly, &info), STATUS_SUCCESS);
    UT_EXPECT_EQ(info.ExitStatus, KILLED_STATUS);
    NtClose(limitedThread);
    NtClose(queryOnly);
    NtClose(limited);
    NtClose(event);
    NtClose(thread);
    NtClose(process);
}

UTEST(AHandleDuplicatedIntoAChildWorksThere)
{
    OBJECT_ATTRIBUTES attributes = UtAttributes(&MailboxName, 0);
    LARGE_INTEGER size = {.QuadPart = PAGE}, zero = UtNoWait();
    HANDLE section, *mailbox, process, thread, event, inChild = NULL, back;
    ULONG previous = 99;

    UT_EXPECT_STATUS(NtCreateSection(&section, SECTION_ALL_ACCESS, &attributes, &size,
                                     PAGE_READWRITE, SEC_COMMIT, NULL),
                     STATUS_SUCCESS);
    mailbox = MapMailbox(section);
    UT_EXPECT(mailbox != NULL);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(StartChild("tchild mailbox", PROCESS_CREATE_FLAGS_SUSPENDED, &process,
                                &thread, NULL),
                     STATUS_SUCCESS);
    // Into the child, with less access than ours: the handle value is the
    // child's, meaningless here.
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), event, process, &inChild,
                                       EVENT_MODIFY_STATE, 0, 0),
                     STATUS_SUCCESS);
    UT_EXPECT(inChild != NULL);
    // And back out of the child (the source is the child's table).
    UT_EXPECT_STATUS(NtDuplicateObject(process, inChild, NtCurrentProcess(), &back, 0, 0,
                                       DUPLICATE_SAME_ACCESS),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetEvent(back, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(event, FALSE, &zero), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtResetEvent(event, NULL), STATUS_SUCCESS);
    NtClose(back);
    if (mailbox)
        *mailbox = inChild;
    UT_EXPECT_STATUS(NtResumeThread(thread, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 1);
    // The child set our event through its handle.
    UT_EXPECT_STATUS(UtWaitBounded(event, FALSE), STATUS_WAIT_0);
    UT_EXPECT_STATUS(JoinChild(process), 0);
    if (mailbox)
        NtUnmapViewOfSection(NtCurrentProcess(), mailbox);
    NtClose(thread);
    NtClose(process);
    NtClose(event);
    NtClose(section);
}

static const UTEST Tests[] = {
    UT_ENTRY(AWaitOnAChildEndsWhenItExitsWithItsStatus),
    UT_ENTRY(AChildFindsItsParentAndItsPeb),
    UT_ENTRY(ARunningChildIsListedAndReportsNoExitStatusYet),
    UT_ENTRY(ProcessAndThreadHandlesWithoutTheRightAreRefused),
    UT_ENTRY(AHandleDuplicatedIntoAChildWorksThere),
};

int main(void)
{
    char text[64], *words[3];
    int count = SplitCommandLine(text, sizeof(text), words, 3);

    if (count >= 3 && strcmp(words[1], "exit") == 0)
        return (int)ParseHex(words[2]);
    if (count >= 3 && strcmp(words[1], "self") == 0)
        return ChildChecksItself(ParseHex(words[2]));
    if (count >= 2 && strcmp(words[1], "mailbox") == 0)
        return ChildUsesTheMailboxHandle();
    return UT_RUN_ALL("tchild", Tests);
}
