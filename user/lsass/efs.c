// The LSA's half of EFS, as Sleuth models it: every user has a key the LSA
// derives from its master secret and the user's SID; an encrypted file
// carries its file encryption key (FEK) enciphered with its user's key
// (tools/mkrootfs.py enciphers it so). LsaApiEfsDecryptFek gives the FEK
// back, to the kernel only and only for the file's own user. A toy cipher
// (XOR with the key), a real protocol: the file system's open of an
// encrypted file waits on this answer, as NTFS's EFSPostCreate waits on
// KSecDD's request to LSASS in the first case study.

#include "user/include/runtime.h"
#include "user/lsass/lsaapi.h"
#include "user/lsass/lsass.h"

// tools/mkrootfs.py's LSA_MASTER_SECRET: the two must agree.
static const ULONG64 LsapEfsMasterSecret[2] = {0x534C455554484C53ull, 0x4146534D41535452ull};

static ULONG64 LsapMix(ULONG64 z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// The user's key: FNV-1a over the SID, mixed with each half of the secret.
static void LsapEfsUserKey(const SID *sid, UCHAR key[LSA_EFS_FEK_LENGTH])
{
    const UCHAR *bytes = (const UCHAR *)sid;
    ULONG length = RtlLengthSid(sid);
    ULONG64 hash = 0xCBF29CE484222325ull, halves[2];

    for (ULONG i = 0; i < length; i++)
        hash = (hash ^ bytes[i]) * 0x100000001B3ull;
    halves[0] = LsapMix(hash ^ LsapEfsMasterSecret[0]);
    halves[1] = LsapMix(hash + LsapEfsMasterSecret[1]);
    memcpy(key, halves, LSA_EFS_FEK_LENGTH);
}

// A SID in a fixed-size field of the message: valid and within the field.
static BOOLEAN LsapIsSidInField(const UCHAR field[LSA_EFS_SID_LENGTH])
{
    const SID *sid = (const SID *)field;

    return RtlValidSid(sid) &&
           RtlLengthSid(sid) <= LSA_EFS_SID_LENGTH;
}

// The user's keys live in the user's profile (home\USER\protect\masterkey),
// readable by the user only: lsass opens the file as the user (a worker
// impersonating the user), as NT's LSA reads a user's master key. A user
// without the file has no keys (STATUS_NO_USER_KEYS); users without a
// profile (SYSTEM) have theirs in lsass itself.
static NTSTATUS LsapEfsCheckUserKeys(const SID *user)
{
    static const char prefix[] = "\\??\\R:\\home\\", suffix[] = "\\protect\\masterkey";
    const char *name = LsapUserNameOfSid(user);
    WCHAR path[96];
    char head[16];
    UNICODE_STRING string;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK io;
    HANDLE token, file, none = NULL;
    ULONG length = 0;
    NTSTATUS status;

    if (!name)
        return STATUS_SUCCESS;
    for (const char *part[3] = {prefix, name, suffix}, **p = part; p < part + 3; p++) {
        for (const char *c = *p; *c && length + 1 < sizeof(path) / sizeof(path[0]); c++)
            path[length++] = (UCHAR)*c;
    }
    path[length] = 0;
    status = LsapReferenceUserToken(user, &token);
    if (!NT_SUCCESS(status))
        return status;
    status = LsapImpersonate(token);
    NtClose(token);
    if (!NT_SUCCESS(status))
        return status;
    RtlInitUnicodeString(&string, path);
    InitializeObjectAttributes(&attributes, &string, OBJ_CASE_INSENSITIVE, NULL, NULL);
    status = NtCreateFile(&file, FILE_READ_DATA | SYNCHRONIZE, &attributes, &io, NULL, 0,
                          FILE_SHARE_READ, FILE_OPEN,
                          FILE_NON_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
    if (NT_SUCCESS(status)) {
        status = NtReadFile(file, NULL, NULL, NULL, &io, head, sizeof(head), NULL, NULL);
        if (NT_SUCCESS(status) && !io.Information)
            status = STATUS_NO_USER_KEYS;
        NtClose(file);
    } else {
        status = STATUS_NO_USER_KEYS;
    }
    LsapImpersonate(none);
    return status;
}

void LsapEfsDecryptFek(LSA_API_MESSAGE *message)
{
    NTSTATUS status;

    UCHAR key[LSA_EFS_FEK_LENGTH];

    memset(message->EfsDecryptFek.Fek, 0, sizeof(message->EfsDecryptFek.Fek));
    // Only the kernel can vouch for CallerSid: a program could name anyone.
    if (!(message->h.u2.s2.Type & LPC_KERNELMODE_MESSAGE)) {
        message->Status = STATUS_ACCESS_DENIED;
        return;
    }
    if (!LsapIsSidInField(message->EfsDecryptFek.UserSid) ||
        !LsapIsSidInField(message->EfsDecryptFek.CallerSid)) {
        message->Status = STATUS_INVALID_PARAMETER;
        return;
    }
    if (!RtlEqualSid((const SID *)message->EfsDecryptFek.UserSid,
                     (const SID *)message->EfsDecryptFek.CallerSid)) {
        message->Status = STATUS_ACCESS_DENIED;
        return;
    }
    status = LsapEfsCheckUserKeys((const SID *)message->EfsDecryptFek.UserSid);
    if (!NT_SUCCESS(status)) {
        message->Status = status;
        return;
    }
    LsapEfsUserKey((const SID *)message->EfsDecryptFek.UserSid, key);
    for (ULONG i = 0; i < LSA_EFS_FEK_LENGTH; i++)
        message->EfsDecryptFek.Fek[i] = message->EfsDecryptFek.EncryptedFek[i] ^ key[i];
    message->Status = STATUS_SUCCESS;
}
