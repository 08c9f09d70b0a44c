// msgbox.exe: exercise 002's non-interactive service that shows a message
// box (kernel/kd/ex002.c), started under one of several image names
// (user/aliases.txt). Its report thread hits an error it was never meant
// to meet and, as a UI library's message box would, waits in its message
// loop (NtUserGetMessage: WrUserRequest) for the user to press OK: the
// WM_COMMAND nobody will post, since no one sees the box. The first thread
// waits for the report thread to finish.
//
//   IMAGE SPINUPMS    the report thread works SPINUPMS ms before the box

#include "user/include/cmdline.h"

#define MSGBOX_IDOK 1

static ULONG MsgBoxWork;

// The message box: its loop ends when the OK button's command comes.
static NTSTATUS MsgBoxShow(void)
{
    MSG message;
    NTSTATUS status;

    for (;;) {
        status = NtUserGetMessage(&message, NULL, 0, 0);
        if (!NT_SUCCESS(status) || message.message == WM_QUIT)
            return status;
        if (message.message == WM_COMMAND && message.wParam == MSGBOX_IDOK)
            return STATUS_SUCCESS;
    }
}

static NTSTATUS NTAPI MsgBoxReportThread(PVOID argument)
{
    LARGE_INTEGER work = {.QuadPart = -10000LL * MsgBoxWork};

    NtDelayExecution(FALSE, &work);
    return MsgBoxShow();
}

int main(void)
{
    CMDLINE line;
    HANDLE thread;
    NTSTATUS status;

    CmdLineParse(&line);
    MsgBoxWork = CmdLineNumber(&line, 1);
    status = NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                              (PVOID)MsgBoxReportThread, NULL, 0, 0, 0, 0, NULL);
    if (!NT_SUCCESS(status))
        return status;
    return NtWaitForSingleObject(thread, FALSE, NULL);
}
