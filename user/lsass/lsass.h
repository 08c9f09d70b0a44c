// What lsass's files share.
#pragma once

#include "user/lsass/lsaapi.h"

// LsaApiEfsDecryptFek (efs.c): fills the message's answer.
void LsapEfsDecryptFek(LSA_API_MESSAGE *message);
