// The messages of Sleuth's LSA server (user/lsass): what a client sends
// through \LsaAuthenticationPort and gets back. Each is one LPC message:
// a PORT_MESSAGE header, then the API number, the answer's status and the
// API's arguments.
#pragma once

#include "user/include/runtime.h"

#define LSA_PORT_NAME u"\\LsaAuthenticationPort"

typedef enum _LSA_API_NUMBER {
    LsaApiLookupPackage,
    LsaApiLogonUser,
    LsaApiCallPackage,
} LSA_API_NUMBER;

// Sent as connection information: who connects.
typedef struct _LSA_CONNECT_INFO {
    char LogonProcessName[32];
} LSA_CONNECT_INFO;

typedef struct _LSA_API_MESSAGE {
    PORT_MESSAGE h;
    ULONG ApiNumber;        // LSA_API_NUMBER
    NTSTATUS Status;        // the answer
    union {
        struct {
            char PackageName[48];
            ULONG PackageId;
        } LookupPackage;
        struct {
            char UserName[24];
            char Password[24];
            ULONG LogonId;
        } LogonUser;
        struct {
            ULONG PackageId;
            UCHAR Buffer[64];
        } CallPackage;
    };
} LSA_API_MESSAGE;

// Fills the header of a request: data is everything after it.
static inline void LsaInitializeMessage(LSA_API_MESSAGE *message, LSA_API_NUMBER api)
{
    memset(message, 0, sizeof(*message));
    message->h.u1.s1.DataLength = (CSHORT)(sizeof(*message) - sizeof(PORT_MESSAGE));
    message->h.u1.s1.TotalLength = (CSHORT)sizeof(*message);
    message->ApiNumber = api;
}
