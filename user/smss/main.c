// smss.exe: Sleuth's session manager server. It owns \SmApiPort and serves
// its requests on one thread: receive (NtReplyWaitReceivePort), do the work,
// and send the reply with the next receive, the classic LPC server loop.
// Its one API, SmApiExecPgm, starts a program from the boot archive, as
// NT's session manager starts subsystems for its clients.

#include "user/smss/smapi.h"

static void SmpExecPgm(SM_API_MESSAGE *message)
{
    WCHAR wide[sizeof(message->ExecPgm.ImageName)];
    UNICODE_STRING image;
    HANDLE process;
    ULONG i;

    message->ExecPgm.ImageName[sizeof(message->ExecPgm.ImageName) - 1] = '\0';
    for (i = 0; message->ExecPgm.ImageName[i]; i++)
        wide[i] = (UCHAR)message->ExecPgm.ImageName[i];
    wide[i] = 0;
    RtlInitUnicodeString(&image, wide);
    message->Status = NtCreateProcessFromArchive(&process, NULL, PROCESS_ALL_ACCESS, 0, NULL,
                                                 &image, NULL, 0, &message->ExecPgm.ClientId);
    if (NT_SUCCESS(message->Status))
        NtClose(process);
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
