// ProcessExceptionPort (NtSetInformationProcess): a server that sets a port
// as a child's exception port hears LPC_CLIENT_DIED when the child's thread
// ends; the port is set once; the checks on the way. `texcport child` is
// the child's role: it only exits. A process that has exited takes none.

#include "tests/user/utest.h"

#define CHILD_EXIT_STATUS 7

typedef struct _DIED_MESSAGE {
    PORT_MESSAGE h;
    LARGE_INTEGER CreateTime;
    UCHAR Spare[64];
} DIED_MESSAGE;

static NTSTATUS StartChild(HANDLE *process, HANDLE *thread, CLIENT_ID *clientId)
{
    UNICODE_STRING image = UT_NAME(u"texcport");
    UNICODE_STRING commandLine = UT_NAME(u"texcport child");

    return NtCreateProcessFromArchive(process, thread, PROCESS_ALL_ACCESS, THREAD_ALL_ACCESS,
                                      NULL, &image, &commandLine,
                                      PROCESS_CREATE_FLAGS_SUSPENDED, clientId);
}

UTEST(ExceptionPortHearsTheChildsThreadDie)
{
    HANDLE port, process, thread;
    CLIENT_ID child;
    DIED_MESSAGE message;
    LARGE_INTEGER timeout = UtMilliseconds(5000);
    PVOID context;

    UT_EXPECT_STATUS(NtCreatePort(&port, NULL, 0, sizeof(DIED_MESSAGE), 0), STATUS_SUCCESS);
    UT_EXPECT_STATUS(StartChild(&process, &thread, &child), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetInformationProcess(process, ProcessExceptionPort, &port,
                                             sizeof(port)),
                     STATUS_SUCCESS);
    // Once only.
    UT_EXPECT_STATUS(NtSetInformationProcess(process, ProcessExceptionPort, &port,
                                             sizeof(port)),
                     STATUS_PORT_ALREADY_SET);
    UT_EXPECT_STATUS(NtResumeThread(thread, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(process, FALSE, &timeout), STATUS_SUCCESS);
    memset(&message, 0, sizeof(message));
    UT_EXPECT_STATUS(NtReplyWaitReceivePortEx(port, &context, NULL, &message.h, &timeout),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(message.h.u2.s2.Type & 0xFF, LPC_CLIENT_DIED);
    UT_EXPECT_EQ(message.h.u1.s1.DataLength, sizeof(LARGE_INTEGER));
    UT_EXPECT_EQ((ULONG_PTR)message.h.ClientId.UniqueProcess,
                 (ULONG_PTR)child.UniqueProcess);
    UT_EXPECT(message.CreateTime.QuadPart != 0);
    NtClose(thread);
    NtClose(process);
    NtClose(port);
}

UTEST(ExceptionPortArgumentsAreChecked)
{
    HANDLE port, event, process, thread;
    CLIENT_ID child;

    UT_EXPECT_STATUS(NtCreatePort(&port, NULL, 0, sizeof(DIED_MESSAGE), 0), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(StartChild(&process, &thread, &child), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetInformationProcess(process, ProcessExceptionPort, &port, 4),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtSetInformationProcess(process, ProcessExceptionPort, UT_BAD_POINTER,
                                             sizeof(HANDLE)),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtSetInformationProcess(process, ProcessExceptionPort, &event,
                                             sizeof(event)),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtSetInformationProcess(port, ProcessExceptionPort, &port, sizeof(port)),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtSetInformationProcess(process, 1234, &port, sizeof(port)),
                     STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtTerminateProcess(process, 1), STATUS_SUCCESS);
    NtWaitForSingleObject(process, FALSE, NULL);
    NtClose(thread);
    NtClose(process);
    NtClose(event);
    NtClose(port);
}

// A process that has exited cannot take an exception port: nothing would
// release it (the leak check sees the port and this process kept alive).
UTEST(ExceptionPortRefusedOnceTheProcessHasExited)
{
    HANDLE port, process, thread;
    CLIENT_ID child;
    LARGE_INTEGER timeout = UtMilliseconds(5000);

    UT_EXPECT_STATUS(NtCreatePort(&port, NULL, 0, sizeof(DIED_MESSAGE), 0), STATUS_SUCCESS);
    UT_EXPECT_STATUS(StartChild(&process, &thread, &child), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtResumeThread(thread, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(process, FALSE, &timeout), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetInformationProcess(process, ProcessExceptionPort, &port,
                                             sizeof(port)),
                     STATUS_PROCESS_IS_TERMINATING);
    NtClose(thread);
    NtClose(process);
    NtClose(port);
}

static const UTEST Tests[] = {
    UT_ENTRY(ExceptionPortHearsTheChildsThreadDie),
    UT_ENTRY(ExceptionPortRefusedOnceTheProcessHasExited),
    UT_ENTRY(ExceptionPortArgumentsAreChecked),
};

int main(void)
{
    const UNICODE_STRING *line = &NtCurrentPeb()->ProcessParameters->CommandLine;

    if (line->Length > 10 && line->Buffer[line->Length / 2 - 1] == 'd')
        return CHILD_EXIT_STATUS;       // "texcport child"
    return UT_RUN_ALL("texcport", Tests);
}
