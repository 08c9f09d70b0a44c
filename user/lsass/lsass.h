// What lsass's files share.
#pragma once

#include "user/lsass/lsaapi.h"

// LsaApiEfsDecryptFek (efs.c): fills the message's answer.
void LsapEfsDecryptFek(LSA_API_MESSAGE *message);

// The users lsass knows (main.c): their names and SIDs.
const char *LsapUserNameOfSid(const SID *sid);

// token.c: a token for `user` (an impersonation token at
// SecurityImpersonation, or a primary one); a copy of `token` as a handle
// in the process of `client`; this thread running as `token` (NULL: itself).
NTSTATUS LsapCreateUserToken(const SID *user, TOKEN_TYPE type, HANDLE *token);
NTSTATUS LsapGiveToken(const CLIENT_ID *client, HANDLE token, ULONG64 *clientHandle);
NTSTATUS LsapImpersonate(HANDLE token);
// The kept impersonation token of `user` (made the first time), as a new
// handle the caller closes.
void LsapInitializeTokens(void);
NTSTATUS LsapReferenceUserToken(const SID *user, HANDLE *token);
