// smss.exe: Sleuth's session manager server. It owns \SmApiPort and serves
// its requests on one thread: receive (NtReplyWaitReceivePort), do the work,
// and send the reply with the next receive, the classic LPC server loop.
// SmApiExecPgm starts a program from the boot archive, as NT's session
// manager starts subsystems for its clients; SmApiStartSession starts one
// in a new session, as NT's smss does for a logon: a copy of smss
// ("smss logon PROGRAM [ARGS]") makes the session, which the processes it
// creates inherit, starts the program and waits for it. Its clients: any
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

static NTSTATUS SmpStartProgram(const char *imageName, const char *commandLine,
                                HANDLE *process, CLIENT_ID *clientId)
{
    WCHAR wideImage[SM_IMAGE_NAME_LENGTH], wideLine[SM_LOGON_COMMAND_LINE_LENGTH];
    UNICODE_STRING image, line;

    SmpWiden(imageName, wideImage, SM_IMAGE_NAME_LENGTH);
    SmpWiden(commandLine, wideLine, SM_LOGON_COMMAND_LINE_LENGTH);
    RtlInitUnicodeString(&image, wideImage);
    RtlInitUnicodeString(&line, wideLine);
    return NtCreateProcessFromArchive(process, NULL, PROCESS_ALL_ACCESS, 0, NULL, &image,
                                      wideLine[0] ? &line : NULL, 0, clientId);
}

// SmApiExecPgm, or with `session` SmApiStartSession: the program itself,
// or a copy of smss that starts it in a new session.
static void SmpExecPgm(SM_API_MESSAGE *message, BOOLEAN session)
{
    char logonLine[SM_LOGON_COMMAND_LINE_LENGTH];
    HANDLE process;

    message->ExecPgm.ImageName[SM_IMAGE_NAME_LENGTH - 1] = '\0';
    message->ExecPgm.CommandLine[SM_COMMAND_LINE_LENGTH - 1] = '\0';
    if (SmpProcessCount == SMP_MAXIMUM_PROCESSES) {
        message->Status = STATUS_INSUFFICIENT_RESOURCES;
        return;
    }
    if (session) {
        snprintf(logonLine, sizeof(logonLine), "smss logon %s",
                 message->ExecPgm.CommandLine[0] ? message->ExecPgm.CommandLine
                                                 : message->ExecPgm.ImageName);
        message->Status = SmpStartProgram("smss", logonLine, &process,
                                          &message->ExecPgm.ClientId);
    } else {
        message->Status = SmpStartProgram(message->ExecPgm.ImageName,
                                          message->ExecPgm.CommandLine, &process,
                                          &message->ExecPgm.ClientId);
    }
    if (NT_SUCCESS(message->Status))
        SmpProcesses[SmpProcessCount++] = process;
}

// The copy of smss for a logon ("smss logon PROGRAM [ARGS]"): a new
// session, the program started in it (it inherits the session), and its end
// awaited, so that it stays in !process while this copy lives.
static NTSTATUS SmpLogon(const char *programLine)
{
    char image[SM_IMAGE_NAME_LENGTH];
    CLIENT_ID clientId;
    HANDLE process;
    ULONG sessionId, i;
    NTSTATUS status;

    for (i = 0; i + 1 < sizeof(image) && programLine[i] && programLine[i] != ' '; i++)
        image[i] = programLine[i];
    image[i] = '\0';
    status = NtSetSystemInformation(SystemSessionCreate, &sessionId, sizeof(sessionId));
    if (!NT_SUCCESS(status)) {
        printf("smss: cannot create a session: %08x\n", (ULONG)status);
        return status;
    }
    status = SmpStartProgram(image, programLine, &process, &clientId);
    if (!NT_SUCCESS(status)) {
        printf("smss: session %u: %s could not start: %08x\n", sessionId, image,
               (ULONG)status);
        return status;
    }
    printf("smss: session %u: started %s (Cid %x)\n", sessionId, image,
           (ULONG)(ULONG_PTR)clientId.UniqueProcess);
    return NtWaitForSingleObject(process, FALSE, NULL);
}

// The process's own command line, as ASCII.
static void SmpCommandLine(char *text, size_t size)
{
    const UNICODE_STRING *line = &NtCurrentPeb()->ProcessParameters->CommandLine;
    size_t count = line->Length / sizeof(WCHAR);

    if (count >= size)
        count = size - 1;
    for (size_t i = 0; i < count; i++)
        text[i] = (char)line->Buffer[i];
    text[count] = '\0';
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
    char commandLine[SM_LOGON_COMMAND_LINE_LENGTH];

    SmpCommandLine(commandLine, sizeof(commandLine));
    if (strncmp(commandLine, "smss logon ", 11) == 0)
        return SmpLogon(commandLine + 11);
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
        case LPC_CONNECTION_REQUEST:
            (void)LpcServerAcceptClient(&message.h);
            break;
        case LPC_REQUEST:
            if (message.ApiNumber == SmApiExecPgm || message.ApiNumber == SmApiStartSession)
                SmpExecPgm(&message, message.ApiNumber == SmApiStartSession);
            else
                message.Status = STATUS_INVALID_SYSTEM_SERVICE;
            reply = &message.h;     // goes out with the next receive
            break;
        case LPC_PORT_CLOSED:
            LpcServerClientGone(context);
            break;
        default:
            break;
        }
    }
}
