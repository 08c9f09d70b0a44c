// User-mode tests of ending threads and processes that sit in a system
// service's wait: NtWaitForSingleObject, NtWaitForMultipleObjects (with more
// handles than a thread has wait blocks built in, so its blocks come from
// pool), NtDelayExecution and NtSignalAndWaitForSingleObject. The service
// must unwind before the thread ends, giving back the references it holds
// on the waited objects and its pool: the handle and pointer counts of the
// objects (NtQueryObject) must come back to what they were, and the
// in-kernel runner's leak check catches pool and pages left behind.
//
// The program is its own child: "tkill block MODE" blocks its first thread
// and a second one in the call MODE names, for good; "tkill exitall" blocks
// two threads and then ends its own process.

#include "tests/user/utest.h"
#include "tests/user/uthread.h"
#include "tests/user/ulpc.h"

#define TKILL_HANDLES     5         // more than THREAD_WAIT_OBJECTS (3)
#define TKILL_STATUS      0x6B11    // what the killed threads end with
#define TKILL_RETURNED    0x6B00    // a blocked call came back: it never should
#define TKILL_POLLS       5000      // 1 ms polls before a test gives up
#define TKILL_END_WAIT_MS 5000

typedef enum _BLOCK_MODE {
    BlockSingle,
    BlockSingleAlertable,
    BlockMultiple,
    BlockDelay,
    BlockSignalAndWait,
    BlockModes
} BLOCK_MODE;

static const char *const BlockNames[BlockModes] = {"single", "alertable", "multiple", "delay",
                                                   "signal"};
static const WCHAR *const ChildLines[BlockModes] = {
    u"tkill block single", u"tkill block alertable", u"tkill block multiple",
    u"tkill block delay", u"tkill block signal"};

// The objects the blocked threads wait on and signal, by name so that a
// child process opens the same ones.
#define WAIT_EVENT_NAME   u"\\BaseNamedObjects\\TkillWait"
#define SIGNAL_EVENT_NAME u"\\BaseNamedObjects\\TkillSignal"

static NTSTATUS OpenEvent(PHANDLE event, const WCHAR *name)
{
    UNICODE_STRING string;
    OBJECT_ATTRIBUTES attributes;

    RtlInitUnicodeString(&string, name);
    InitializeObjectAttributes(&attributes, &string, 0, NULL, NULL);
    return NtOpenEvent(event, EVENT_ALL_ACCESS, &attributes);
}

static NTSTATUS CreateEvent(PHANDLE event, const WCHAR *name)
{
    UNICODE_STRING string;
    OBJECT_ATTRIBUTES attributes;

    RtlInitUnicodeString(&string, name);
    InitializeObjectAttributes(&attributes, &string, 0, NULL, NULL);
    return NtCreateEvent(event, EVENT_ALL_ACCESS, &attributes, NotificationEvent, FALSE);
}

// The events the blocked threads use: the test's own handles in this
// process, handles opened by name in a child.
static HANDLE WaitEvent, SignalEvent;

// Blocks the calling thread for good in the call `mode` names. Returns
// only if the call does.
static NTSTATUS Block(BLOCK_MODE mode)
{
    HANDLE wait = WaitEvent, handles[TKILL_HANDLES];
    LARGE_INTEGER hour = UtMilliseconds(3600000);

    switch (mode) {
    case BlockSingle:
        NtWaitForSingleObject(wait, FALSE, NULL);
        break;
    case BlockSingleAlertable:
        NtWaitForSingleObject(wait, TRUE, NULL);
        break;
    case BlockMultiple:
        for (int i = 0; i < TKILL_HANDLES; i++)
            handles[i] = wait;
        NtWaitForMultipleObjects(TKILL_HANDLES, handles, WaitAny, FALSE, NULL);
        break;
    case BlockDelay:
        NtDelayExecution(FALSE, &hour);
        break;
    case BlockSignalAndWait:
        NtSignalAndWaitForSingleObject(SignalEvent, wait, FALSE, NULL);
        break;
    default:
        break;
    }
    return TKILL_RETURNED + mode;
}

static NTSTATUS NTAPI BlockThread(PVOID mode)
{
    return Block((BLOCK_MODE)(ULONG_PTR)mode);
}

static NTSTATUS StartThread(PHANDLE thread, PUSER_THREAD_START_ROUTINE routine, PVOID argument)
{
    return NtCreateThreadEx(thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(), (PVOID)routine,
                            argument, 0, 0, 0, 0, NULL);
}

// The references one blocked thread holds on the wait event while it
// waits, and on the signal event.
static ULONG WaitEventReferences(BLOCK_MODE mode)
{
    switch (mode) {
    case BlockMultiple:
        return TKILL_HANDLES;
    case BlockDelay:
        return 0;
    default:
        return 1;
    }
}

static ULONG SignalEventReferences(BLOCK_MODE mode)
{
    return mode == BlockSignalAndWait ? 1 : 0;
}

typedef struct _COUNTS {
    ULONG Handles;
    ULONG Pointers;
} COUNTS;

static COUNTS QueryCounts(HANDLE object)
{
    OBJECT_BASIC_INFORMATION basic;
    COUNTS counts = {0, 0};

    if (NT_SUCCESS(NtQueryObject(object, ObjectBasicInformation, &basic, sizeof(basic), NULL))) {
        counts.Handles = basic.HandleCount;
        counts.Pointers = basic.PointerCount;
    }
    return counts;
}

static void Sleep(LONGLONG ms)
{
    LARGE_INTEGER interval = UtMilliseconds(ms);

    NtDelayExecution(FALSE, &interval);
}

// Waits until the object has `handles` more handles (a child's) and the
// blocked threads hold `references` more on it: they are then in their
// waits.
static BOOLEAN PollUntilHeld(HANDLE object, COUNTS before, ULONG handles, ULONG references)
{
    for (int i = 0; i < TKILL_POLLS; i++) {
        COUNTS now = QueryCounts(object);

        if (now.Handles == before.Handles + handles &&
            now.Pointers == before.Pointers + handles + references)
            return TRUE;
        Sleep(1);
    }
    return FALSE;
}

typedef struct _WATCHED {
    COUNTS WaitBefore, SignalBefore;
} WATCHED;

static void Watch(WATCHED *watched)
{
    UT_EXPECT_STATUS(CreateEvent(&WaitEvent, WAIT_EVENT_NAME), STATUS_SUCCESS);
    UT_EXPECT_STATUS(CreateEvent(&SignalEvent, SIGNAL_EVENT_NAME), STATUS_SUCCESS);
    watched->WaitBefore = QueryCounts(WaitEvent);
    watched->SignalBefore = QueryCounts(SignalEvent);
    UT_EXPECT(watched->WaitBefore.Handles == 1 && watched->SignalBefore.Handles == 1);
}

// `threads` threads blocked in `mode` hold what they should; a child
// process holds a handle to each event as well.
static void ExpectHeld(const WATCHED *watched, BLOCK_MODE mode, ULONG threads, BOOLEAN child)
{
    UT_EXPECT(PollUntilHeld(WaitEvent, watched->WaitBefore, child,
                            threads * WaitEventReferences(mode)));
    UT_EXPECT(PollUntilHeld(SignalEvent, watched->SignalBefore, child,
                            threads * SignalEventReferences(mode)));
    // The delay holds nothing: give the threads time to get into it.
    Sleep(10);
}

// Everything the blocked threads held has been given back.
static void ExpectReleased(WATCHED *watched, const char *what, BLOCK_MODE mode)
{
    COUNTS wait = QueryCounts(WaitEvent);
    COUNTS signal = QueryCounts(SignalEvent);

    if (wait.Handles != watched->WaitBefore.Handles ||
        wait.Pointers != watched->WaitBefore.Pointers ||
        signal.Handles != watched->SignalBefore.Handles ||
        signal.Pointers != watched->SignalBefore.Pointers)
        UtFail(__FILE__, __LINE__, "%s in %s: wait event %u/%u, signal event %u/%u, expected "
               "%u/%u and %u/%u", what, BlockNames[mode], wait.Handles, wait.Pointers,
               signal.Handles, signal.Pointers, watched->WaitBefore.Handles,
               watched->WaitBefore.Pointers, watched->SignalBefore.Handles,
               watched->SignalBefore.Pointers);
    NtClose(WaitEvent);
    NtClose(SignalEvent);
}

static NTSTATUS WaitForEnd(HANDLE object)
{
    LARGE_INTEGER limit = UtMilliseconds(TKILL_END_WAIT_MS);

    return NtWaitForSingleObject(object, FALSE, &limit);
}

UTEST(KilledThreadsGiveBackWhatTheirWaitHeld)
{
    for (int mode = 0; mode < BlockModes; mode++) {
        WATCHED watched;
        HANDLE thread;

        Watch(&watched);
        UT_EXPECT_STATUS(StartThread(&thread, BlockThread, (PVOID)(ULONG_PTR)mode),
                         STATUS_SUCCESS);
        ExpectHeld(&watched, mode, 1, FALSE);
        UT_EXPECT_STATUS(NtTerminateThread(thread, TKILL_STATUS), STATUS_SUCCESS);
        UT_EXPECT_STATUS(WaitForEnd(thread), STATUS_WAIT_0);
        UT_EXPECT_STATUS(UtThreadExitStatus(thread), TKILL_STATUS);
        ExpectReleased(&watched, "a killed thread", mode);
        NtClose(thread);
    }
}

static NTSTATUS StartChild(const WCHAR *commandLine, PHANDLE process)
{
    UNICODE_STRING image = UT_NAME(u"tkill");
    UNICODE_STRING line;

    RtlInitUnicodeString(&line, commandLine);
    return NtCreateProcessFromArchive(process, NULL, PROCESS_ALL_ACCESS, THREAD_ALL_ACCESS,
                                      NULL, &image, &line, 0, NULL);
}

UTEST(KilledProcessesGiveBackWhatTheirWaitsHeld)
{
    for (int mode = 0; mode < BlockModes; mode++) {
        WATCHED watched;
        HANDLE process;

        Watch(&watched);
        UT_EXPECT_STATUS(StartChild(ChildLines[mode], &process), STATUS_SUCCESS);
        ExpectHeld(&watched, mode, 2, TRUE);
        UT_EXPECT_STATUS(NtTerminateProcess(process, TKILL_STATUS), STATUS_SUCCESS);
        UT_EXPECT_STATUS(WaitForEnd(process), STATUS_WAIT_0);
        UT_EXPECT_STATUS(UtProcessExitStatus(process), TKILL_STATUS);
        ExpectReleased(&watched, "a killed process", mode);
        NtClose(process);
    }
}

// A process that ends itself (NtTerminateProcess of its own handle) first
// ends its other threads, blocked in waits, the same way.
UTEST(ProcessEndingItselfEndsItsBlockedThreads)
{
    WATCHED watched;
    HANDLE process;

    Watch(&watched);
    UT_EXPECT_STATUS(StartChild(u"tkill exitall", &process), STATUS_SUCCESS);
    UT_EXPECT_STATUS(WaitForEnd(process), STATUS_WAIT_0);
    UT_EXPECT_STATUS(UtProcessExitStatus(process), TKILL_STATUS + 1);
    ExpectReleased(&watched, "a process ending itself", BlockMultiple);
    NtClose(process);
}

// Suspended in its wait, the thread is resumed to end.
UTEST(KilledSuspendedThreadGivesBackWhatItsWaitHeld)
{
    WATCHED watched;
    HANDLE thread;
    ULONG previous = 9;

    Watch(&watched);
    UT_EXPECT_STATUS(StartThread(&thread, BlockThread, (PVOID)(ULONG_PTR)BlockMultiple),
                     STATUS_SUCCESS);
    ExpectHeld(&watched, BlockMultiple, 1, FALSE);
    UT_EXPECT_STATUS(NtSuspendThread(thread, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 0);
    UT_EXPECT_STATUS(NtSuspendThread(thread, &previous), STATUS_SUCCESS);
    UT_EXPECT_EQ(previous, 1);
    Sleep(10);
    UT_EXPECT_STATUS(NtTerminateThread(thread, TKILL_STATUS), STATUS_SUCCESS);
    UT_EXPECT_STATUS(WaitForEnd(thread), STATUS_WAIT_0);
    UT_EXPECT_STATUS(UtThreadExitStatus(thread), TKILL_STATUS);
    ExpectReleased(&watched, "a killed suspended thread", BlockMultiple);
    NtClose(thread);
}

static volatile LONG ApcRan;

static void NTAPI RecordApc(PVOID argument1, PVOID argument2, PVOID argument3)
{
    ApcRan = 1;
}

// A user APC queued to a thread that never waits alertably does not run
// when the thread is killed: the exit goes first, and the APC is freed
// (the leak check sees its pool).
UTEST(KilledThreadRunsNoQueuedUserApc)
{
    WATCHED watched;
    HANDLE thread;

    ApcRan = 0;
    Watch(&watched);
    UT_EXPECT_STATUS(StartThread(&thread, BlockThread, (PVOID)(ULONG_PTR)BlockSingle),
                     STATUS_SUCCESS);
    ExpectHeld(&watched, BlockSingle, 1, FALSE);
    UT_EXPECT_STATUS(NtQueueApcThread(thread, RecordApc, NULL, NULL, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtTerminateThread(thread, TKILL_STATUS), STATUS_SUCCESS);
    UT_EXPECT_STATUS(WaitForEnd(thread), STATUS_WAIT_0);
    UT_EXPECT_STATUS(UtThreadExitStatus(thread), TKILL_STATUS);
    UT_EXPECT_EQ(ApcRan, 0);
    ExpectReleased(&watched, "a killed thread with an APC queued", BlockSingle);
    NtClose(thread);
}

// A second termination before the thread has ended changes nothing: the
// first status stands.
UTEST(SecondTerminationKeepsTheFirstStatus)
{
    WATCHED watched;
    HANDLE thread;
    NTSTATUS status;

    Watch(&watched);
    UT_EXPECT_STATUS(StartThread(&thread, BlockThread, (PVOID)(ULONG_PTR)BlockSingle),
                     STATUS_SUCCESS);
    ExpectHeld(&watched, BlockSingle, 1, FALSE);
    UT_EXPECT_STATUS(NtTerminateThread(thread, TKILL_STATUS), STATUS_SUCCESS);
    // Whether it has ended already depends on who ran first.
    status = NtTerminateThread(thread, TKILL_STATUS + 2);
    UT_EXPECT(status == STATUS_SUCCESS || status == STATUS_THREAD_IS_TERMINATING);
    UT_EXPECT_STATUS(WaitForEnd(thread), STATUS_WAIT_0);
    UT_EXPECT_STATUS(UtThreadExitStatus(thread), TKILL_STATUS);
    UT_EXPECT_STATUS(NtTerminateThread(thread, TKILL_STATUS + 3), STATUS_THREAD_IS_TERMINATING);
    ExpectReleased(&watched, "a thread killed twice", BlockSingle);
    NtClose(thread);
}

static volatile LONG Spinning;

static NTSTATUS NTAPI Spin(PVOID argument)
{
    for (;;)
        Spinning = 1;
    return TKILL_RETURNED;
}

// Killed while it runs in user mode, a thread ends at its next interrupt.
UTEST(KilledRunningThreadEnds)
{
    HANDLE thread;

    Spinning = 0;
    UT_EXPECT_STATUS(StartThread(&thread, Spin, NULL), STATUS_SUCCESS);
    for (int i = 0; i < TKILL_POLLS && !Spinning; i++)
        Sleep(1);
    UT_EXPECT_EQ(Spinning, 1);
    UT_EXPECT_STATUS(NtTerminateThread(thread, TKILL_STATUS), STATUS_SUCCESS);
    UT_EXPECT_STATUS(WaitForEnd(thread), STATUS_WAIT_0);
    UT_EXPECT_STATUS(UtThreadExitStatus(thread), TKILL_STATUS);
    NtClose(thread);
}

// Issue 11's fuzzer saw server threads killed in NtReplyWaitReceivePort or
// NtListenPort still there 2 s later. Each of the three receive loops below
// is killed at a different moment (before its first wait, in the kernel
// wait, between two waits in user mode): every one must end, with the
// status it was given.
static HANDLE KillPort;

static NTSTATUS NTAPI ReceiveWithTimeouts(PVOID argument)
{
    LARGE_INTEGER timeout = {.QuadPart = -2000};        // 0.2 ms: back in user mode often
    ULPC_MESSAGE message;

    for (;;)
        NtReplyWaitReceivePortEx(KillPort, NULL, NULL, &message.h, &timeout);
    return TKILL_RETURNED;
}

static NTSTATUS NTAPI ReceiveForGood(PVOID argument)
{
    ULPC_MESSAGE message;

    for (;;)
        NtReplyWaitReceivePort(KillPort, NULL, NULL, &message.h);
    return TKILL_RETURNED;
}

static NTSTATUS NTAPI ListenForGood(PVOID argument)
{
    ULPC_MESSAGE message;

    for (;;)
        NtListenPort(KillPort, &message.h);
    return TKILL_RETURNED;
}

// A client that keeps the receivers busy with datagrams, so that kills
// also meet waits just satisfied and messages just taken.
static volatile LONG FloodStop;

static NTSTATUS FloodDatagrams(ULPC_CLIENT *client)
{
    ULPC_MESSAGE message;
    LARGE_INTEGER pause = {.QuadPart = -1000};

    while (!FloodStop) {
        UlpcInitMessage(&message, 16, 7);
        if (!NT_SUCCESS(NtRequestPort(client->Port, &message.h)))
            NtDelayExecution(FALSE, &pause);
    }
    return STATUS_SUCCESS;
}

UTEST(KilledReceiversEnd)
{
    static const PUSER_THREAD_START_ROUTINE routines[] = {ReceiveWithTimeouts, ReceiveForGood,
                                                          ListenForGood};
    ULPC_CLIENT client = {.Name = u"\\TkillReceivePort", .Work = FloodDatagrams};
    ULPC_MESSAGE request;
    HANDLE serverPort = NULL;

    UT_EXPECT_STATUS(UlpcCreatePort(&KillPort, u"\\TkillReceivePort", FALSE), STATUS_SUCCESS);
    FloodStop = 0;
    UT_EXPECT_STATUS(UlpcStartClient(&client), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UlpcAccept(KillPort, NULL, TRUE, &serverPort, &request), STATUS_SUCCESS);
    for (ULONG i = 0; i < 90; i++) {
        HANDLE thread;
        LARGE_INTEGER delay = {.QuadPart = -(LONGLONG)(i % 5) * 5000};    // 0 to 2 ms

        UT_EXPECT_STATUS(StartThread(&thread, routines[i % 3], NULL), STATUS_SUCCESS);
        if (delay.QuadPart)
            NtDelayExecution(FALSE, &delay);
        UT_EXPECT_STATUS(NtTerminateThread(thread, TKILL_STATUS), STATUS_SUCCESS);
        UT_EXPECT_STATUS(WaitForEnd(thread), STATUS_WAIT_0);
        UT_EXPECT_STATUS(UtThreadExitStatus(thread), TKILL_STATUS);
        NtClose(thread);
    }
    FloodStop = 1;
    UT_EXPECT_STATUS(UlpcJoinClient(&client), STATUS_SUCCESS);
    NtClose(client.Port);
    NtClose(serverPort);
    NtClose(KillPort);
}

static const UTEST Tests[] = {
    UT_ENTRY(KilledThreadsGiveBackWhatTheirWaitHeld),
    UT_ENTRY(KilledProcessesGiveBackWhatTheirWaitsHeld),
    UT_ENTRY(ProcessEndingItselfEndsItsBlockedThreads),
    UT_ENTRY(KilledSuspendedThreadGivesBackWhatItsWaitHeld),
    UT_ENTRY(KilledThreadRunsNoQueuedUserApc),
    UT_ENTRY(SecondTerminationKeepsTheFirstStatus),
    UT_ENTRY(KilledRunningThreadEnds),
    UT_ENTRY(KilledReceiversEnd),
};

// A child: blocks a second thread and itself in the call the command line
// names; "exitall" blocks two threads and ends its own process.
static int RunChild(const char *line)
{
    HANDLE thread;

    if (!NT_SUCCESS(OpenEvent(&WaitEvent, WAIT_EVENT_NAME)) ||
        !NT_SUCCESS(OpenEvent(&SignalEvent, SIGNAL_EVENT_NAME)))
        return TKILL_RETURNED + 0x1F;
    if (!strcmp(line, "tkill exitall")) {
        if (!NT_SUCCESS(StartThread(&thread, BlockThread, (PVOID)(ULONG_PTR)BlockSingle)) ||
            !NT_SUCCESS(StartThread(&thread, BlockThread, (PVOID)(ULONG_PTR)BlockMultiple)))
            return TKILL_RETURNED + 0x20;
        Sleep(20);
        NtTerminateProcess(NtCurrentProcess(), TKILL_STATUS + 1);
        return TKILL_RETURNED + 0x21;
    }
    for (int mode = 0; mode < BlockModes; mode++) {
        char expected[32];

        snprintf(expected, sizeof(expected), "tkill block %s", BlockNames[mode]);
        if (!strcmp(line, expected)) {
            if (!NT_SUCCESS(StartThread(&thread, BlockThread, (PVOID)(ULONG_PTR)mode)))
                return TKILL_RETURNED + 0x22;
            return Block(mode);
        }
    }
    return TKILL_RETURNED + 0x23;
}

int main(void)
{
    char line[64];

    UtCommandLineText(line, sizeof(line));
    if (strcmp(line, "tkill.exe"))
        return RunChild(line);
    return UT_RUN_ALL("tkill", Tests);
}
