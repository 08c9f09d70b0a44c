// The messages of Sleuth's LSA server (user/lsass): what a client sends
// through \LsaAuthenticationPort and gets back. Each is one LPC message:
// a PORT_MESSAGE header, then the API number, the answer's status and the
// API's arguments. The kernel asks too (the security driver,
// kernel/drivers/ksecdd: LsaApiEfsDecryptFek), so this header includes
// nothing: include the user runtime (user) or the kernel's headers (kernel)
// first, for PORT_MESSAGE and memset.
#pragma once

#define LSA_PORT_NAME u"\\LsaAuthenticationPort"

typedef enum _LSA_API_NUMBER {
    LsaApiLookupPackage,
    LsaApiLogonUser,
    LsaApiCallPackage,
    LsaApiEfsDecryptFek,    // the kernel only: an encrypted file's key
} LSA_API_NUMBER;

// What an EFS key request carries (user/lsass/efs.c): a file's data
// decryption field (its user's SID and the file encryption key enciphered
// with that user's key) and who opens the file: the SID of the opening
// thread's token, its impersonation token when it impersonates. Only the
// kernel may ask (LPC_KERNELMODE_MESSAGE), since only it can vouch for the
// caller's SID; lsass gives the key only to the file's user.
#ifndef LPC_KERNELMODE_MESSAGE
#define LPC_KERNELMODE_MESSAGE 0x8000   // kernel/lpc/lpctypes.h's
#endif
#define LSA_EFS_SID_LENGTH 68           // a SID with SID_MAX_SUB_AUTHORITIES
#define LSA_EFS_FEK_LENGTH 16

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
            char UserName[24];      // DOMAIN\\user: a domain account
            char Password[24];
            ULONG LogonId;
            ULONG64 Token;          // the answer: the user's token, a handle in the client
        } LogonUser;
        struct {
            ULONG PackageId;
            UCHAR Buffer[64];
        } CallPackage;
        struct {
            UCHAR UserSid[LSA_EFS_SID_LENGTH];      // the file's user
            UCHAR EncryptedFek[LSA_EFS_FEK_LENGTH];
            UCHAR CallerSid[LSA_EFS_SID_LENGTH];    // who opens it
            UCHAR Fek[LSA_EFS_FEK_LENGTH];          // the answer
        } EfsDecryptFek;
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
