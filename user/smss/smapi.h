// The messages of Sleuth's session manager (user/smss) on \SmApiPort. The
// kernel asks it too (the debugger's `.start`, kernel/kd/start.c), so this
// header includes nothing: include the user runtime (user) or the kernel's
// headers (kernel) first, for PORT_MESSAGE, CLIENT_ID and memset.
#pragma once

#define SM_PORT_NAME u"\\SmApiPort"

#define SM_IMAGE_NAME_LENGTH   32
#define SM_COMMAND_LINE_LENGTH 128
// "smss logon " and a program's command line: the logon copy's.
#define SM_LOGON_COMMAND_LINE_LENGTH (SM_COMMAND_LINE_LENGTH + 16)

typedef enum _SM_API_NUMBER {
    SmApiExecPgm,           // start a program from the boot archive
    // Start a program in a new session, as for a logon: smss starts a copy
    // of itself that makes the session (NtSetSystemInformation,
    // SystemSessionCreate) and starts the program in it. The answer's
    // ClientId is the copy's.
    SmApiStartSession,
} SM_API_NUMBER;

typedef struct _SM_API_MESSAGE {
    PORT_MESSAGE h;
    ULONG ApiNumber;        // SM_API_NUMBER
    NTSTATUS Status;        // the answer
    union {
        struct {
            char ImageName[SM_IMAGE_NAME_LENGTH];
            // The new process's command line ("" for the image name alone).
            char CommandLine[SM_COMMAND_LINE_LENGTH];
            CLIENT_ID ClientId;     // of the new process, in the answer
        } ExecPgm;
    };
} SM_API_MESSAGE;

static inline void SmInitializeMessage(SM_API_MESSAGE *message, SM_API_NUMBER api)
{
    memset(message, 0, sizeof(*message));
    message->h.u1.s1.DataLength = (CSHORT)(sizeof(*message) - sizeof(PORT_MESSAGE));
    message->h.u1.s1.TotalLength = (CSHORT)sizeof(*message);
    message->ApiNumber = api;
}
