// smss.exe: Sleuth's session manager server. It owns \SmApiPort and serves
// its requests on one thread: receive (NtReplyWaitReceivePort), do the work,
// and send the reply with the next receive, the classic LPC server loop.
// Its one API, SmApiExecPgm, starts a program from the boot archive, as
// NT's session manager starts subsystems for its clients. Its clients: any
// process, and the kernel debugger's `.start` (a System thread asking with
// LpcRequestWaitReplyPort).
//
// smss keeps the handle of every process it started, as init does, so that
// a program that has exited stays in `!process` as a zombie with its exit
// status.

#include "user/include/runtime.h"
#include "user/smss/smapi.h"

#define SMP_MAXIMUM_PROCESSES 64

static HANDLE SmpProcesses[SMP_MAXIMUM_PROCESSES];
static ULONG SmpProcessCount;

// ASCII to a NUL-terminated wide string (`wide` has `length` characters).
static void SmpWiden(const char *text, WCHAR *wide, ULONG length)
{
    ULONG i;

    for (i = 0; i + 1 < length && text[i]; i++)
        wide[i] = (UCHAR)text[i];
    wide[i] = 0;
}

static void SmpExecPgm(SM_API_MESSAGE *message)
{
    WCHAR wideImage[SM_IMAGE_NAME_LENGTH], wideLine[SM_COMMAND_LINE_LENGTH];
    UNICODE_STRING image, line;
    HANDLE process;

    message->ExecPgm.ImageName[SM_IMAGE_NAME_LENGTH - 1] = '\0';
    message->ExecPgm.CommandLine[SM_COMMAND_LINE_LENGTH - 1] = '\0';
    if (SmpProcessCount == SMP_MAXIMUM_PROCESSES) {
        message->Status = STATUS_INSUFFICIENT_RESOURCES;
        return;
    }
    SmpWiden(message->ExecPgm.ImageName, wideImage, SM_IMAGE_NAME_LENGTH);
    SmpWiden(message->ExecPgm.CommandLine, wideLine, SM_COMMAND_LINE_LENGTH);
    RtlInitUnicodeString(&image, wideImage);
    RtlInitUnicodeString(&line, wideLine);
    message->Status = NtCreateProcessFromArchive(&process, NULL, PROCESS_ALL_ACCESS, 0, NULL,
                                                 &image, wideLine[0] ? &line : NULL, 0,
                                                 &message->ExecPgm.ClientId);
    if (NT_SUCCESS(message->Status))
        SmpProcesses[SmpProcessCount++] = process;
}

int main(void)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    SM_API_MESSAGE message;
    PORT_MESSAGE *reply = NULL;
    HANDLE port;
    PVOID context;
    SERVER_PORT_SECURITY security;
    NTSTATUS status;

    // Only SYSTEM and the Administrators talk to the session manager.
    status = RtlCreateServerPortSecurity(&security, FALSE);
    if (!NT_SUCCESS(status))
        return status;
    RtlInitUnicodeString(&name, SM_PORT_NAME);
    InitializeObjectAttributes(&attributes, &name, 0, NULL, &security.Descriptor);
    status = NtCreatePort(&port, &attributes, 0, sizeof(SM_API_MESSAGE), 0);
    if (!NT_SUCCESS(status)) {
        printf("smss: cannot create the port: %08x\n", (ULONG)status);
        return status;
    }
    for (;;) {
        status = NtReplyWaitReceivePort(port, &context, reply, &message.h);
        reply = NULL;
        // Woken to an empty queue (a client that died took its request
        // back): nothing to do but receive again.
        if (status == STATUS_UNSUCCESSFUL)
            continue;
        if (!NT_SUCCESS(status)) {
            printf("smss: NtReplyWaitReceivePort failed: %08x\n", (ULONG)status);
            return status;
        }
        switch (message.h.u2.s2.Type & 0xFF) {
        case LPC_CONNECTION_REQUEST: {
            HANDLE client;

            if (NT_SUCCESS(NtAcceptConnectPort(&client, NULL, &message.h, TRUE, NULL, NULL)))
                NtCompleteConnectPort(client);
            break;
        }
        case LPC_REQUEST:
            if (message.ApiNumber == SmApiExecPgm)
                SmpExecPgm(&message);
            else
                message.Status = STATUS_INVALID_SYSTEM_SERVICE;
            reply = &message.h;     // goes out with the next receive
            break;
        case LPC_PORT_CLOSED:
        case LPC_CLIENT_DIED:
            NtClose(context);
            break;
        default:
            break;
        }
    }
}
