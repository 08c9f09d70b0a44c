// The messages of Sleuth's session manager (user/smss) on \SmApiPort.
#pragma once

#include "user/include/runtime.h"

#define SM_PORT_NAME u"\\SmApiPort"

typedef enum _SM_API_NUMBER {
    SmApiExecPgm,           // start a program from the boot archive
} SM_API_NUMBER;

typedef struct _SM_API_MESSAGE {
    PORT_MESSAGE h;
    ULONG ApiNumber;        // SM_API_NUMBER
    NTSTATUS Status;        // the answer
    union {
        struct {
            char ImageName[32];
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
