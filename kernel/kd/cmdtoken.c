// !token: a security token as WinDbg's !token shows it (session, user,
// groups with their attributes, primary group, privileges, logon session,
// type and level, source, ids), and the "Impersonation token:" line of
// !thread. Every read is fault-safe and every count bounded, so a wrong
// address gives one line saying why, never a fault.

#include "kd/kd.h"
#include "se/sep.h"

static const char *const KdpLevelNames[] = {"Anonymous", "Identification", "Impersonation",
                                            "Delegation"};

static const char *KdpLevelName(ULONG level)
{
    return level < ARRAYSIZE(KdpLevelNames) ? KdpLevelNames[level] : "?";
}

// The privileges Sleuth's tokens hold, by NT's LUID values.
static const char *KdpPrivilegeName(ULONG value)
{
    switch (value) {
    case SE_CREATE_TOKEN_PRIVILEGE:
        return "SeCreateTokenPrivilege";
    case SE_ASSIGNPRIMARYTOKEN_PRIVILEGE:
        return "SeAssignPrimaryTokenPrivilege";
    case SE_TCB_PRIVILEGE:
        return "SeTcbPrivilege";
    case SE_LOAD_DRIVER_PRIVILEGE:
        return "SeLoadDriverPrivilege";
    case SE_CREATE_PERMANENT_PRIVILEGE:
        return "SeCreatePermanentPrivilege";
    case SE_DEBUG_PRIVILEGE:
        return "SeDebugPrivilege";
    case SE_CHANGE_NOTIFY_PRIVILEGE:
        return "SeChangeNotifyPrivilege";
    case SE_IMPERSONATE_PRIVILEGE:
        return "SeImpersonatePrivilege";
    default:
        return "(unknown privilege)";
    }
}

// Reads the TOKEN at `address` once its object header says Token.
static BOOLEAN KdpReadToken(ULONG64 address, TOKEN *token)
{
    OBJECT_HEADER header;

    if (!KdpReadMemory(address - FIELD_OFFSET(OBJECT_HEADER, Body), &header,
                       FIELD_OFFSET(OBJECT_HEADER, Body)) ||
        !KdpReadMemory(address, token, sizeof(*token))) {
        KdpPrint("%016llx is not a token: its memory cannot be read\n",
                 (unsigned long long)address);
        return FALSE;
    }
    if (header.Type != SeTokenObjectType) {
        KdpPrint("%016llx is not a token: its object header does not say Token\n",
                 (unsigned long long)address);
        return FALSE;
    }
    return TRUE;
}

void KdpFormatSidAt(ULONG64 address, char *text, SIZE_T size)
{
    ULONG64 buffer[SECURITY_MAX_SID_SIZE / sizeof(ULONG64) + 1];
    SID *sid = (SID *)buffer;

    if (!KdpReadMemory(address, sid, FIELD_OFFSET(SID, SubAuthority)) ||
        sid->SubAuthorityCount > SID_MAX_SUB_AUTHORITIES ||
        !KdpReadMemory(address, sid, SeLengthSid(sid))) {
        RtlStringPrintf(text, size, "(unreadable SID at %016llx)", (unsigned long long)address);
        return;
    }
    SeFormatSid(sid, text, size);
}

static BOOLEAN KdpReadUserOrGroup(const TOKEN *token, ULONG index, SID_AND_ATTRIBUTES *entry)
{
    return KdpReadMemory((ULONG64)(ULONG_PTR)(token->UserAndGroups + index), entry,
                         sizeof(*entry));
}

static void KdpPrintGroupAttributes(ULONG attributes)
{
    KdpPrint("    Attributes -%s%s%s%s%s\n", attributes & SE_GROUP_MANDATORY ? " Mandatory" : "",
             attributes & SE_GROUP_ENABLED_BY_DEFAULT ? " Default" : "",
             attributes & SE_GROUP_ENABLED ? " Enabled" : "",
             attributes & SE_GROUP_OWNER ? " Owner" : "",
             (attributes & SE_GROUP_LOGON_ID) == SE_GROUP_LOGON_ID ? " LogonId" : "");
}

static void KdpPrintToken(ULONG64 address)
{
    TOKEN token;
    SID_AND_ATTRIBUTES entry;
    LUID_AND_ATTRIBUTES privilege;
    char text[SECURITY_MAX_SID_SIZE * 4];
    char source[TOKEN_SOURCE_LENGTH + 1];

    if (!KdpReadToken(address, &token))
        return;
    if (token.UserAndGroupCount == 0 || token.UserAndGroupCount > SEP_MAX_GROUPS + 1 ||
        token.PrivilegeCount > SEP_MAX_PRIVILEGES) {
        KdpPrint("%016llx: token with %u SIDs and %u privileges, beyond any token's\n",
                 (unsigned long long)address, token.UserAndGroupCount, token.PrivilegeCount);
        return;
    }
    KdpPrint("_TOKEN %016llx\n", (unsigned long long)address);
    KdpPrint("TS Session ID: %x\n", token.SessionId);
    if (KdpReadUserOrGroup(&token, 0, &entry))
        KdpFormatSidAt((ULONG64)(ULONG_PTR)entry.Sid, text, sizeof(text));
    else
        RtlStringPrintf(text, sizeof(text), "(unreadable)");
    KdpPrint("User: %s\n", text);
    KdpPrint("Groups:\n");
    for (ULONG i = 1; i < token.UserAndGroupCount; i++) {
        if (!KdpReadUserOrGroup(&token, i, &entry)) {
            KdpPrint(" %02u (unreadable)\n", i - 1);
            continue;
        }
        KdpFormatSidAt((ULONG64)(ULONG_PTR)entry.Sid, text, sizeof(text));
        KdpPrint(" %02u %s\n", i - 1, text);
        KdpPrintGroupAttributes(entry.Attributes);
    }
    if (token.PrimaryGroupIndex < token.UserAndGroupCount &&
        KdpReadUserOrGroup(&token, token.PrimaryGroupIndex, &entry))
        KdpFormatSidAt((ULONG64)(ULONG_PTR)entry.Sid, text, sizeof(text));
    else
        RtlStringPrintf(text, sizeof(text), "(unreadable)");
    KdpPrint("Primary Group: %s\n", text);
    KdpPrint("Privs:\n");
    for (ULONG i = 0; i < token.PrivilegeCount; i++) {
        if (!KdpReadMemory((ULONG64)(ULONG_PTR)(token.Privileges + i), &privilege,
                           sizeof(privilege))) {
            KdpPrint(" %02u (unreadable)\n", i);
            continue;
        }
        KdpPrint(" %02u 0x%09x %-32s Attributes -%s%s\n", i, privilege.Luid.LowPart,
                 KdpPrivilegeName(privilege.Luid.LowPart),
                 privilege.Attributes & SE_PRIVILEGE_ENABLED ? " Enabled" : "",
                 privilege.Attributes & SE_PRIVILEGE_ENABLED_BY_DEFAULT ? " Default" : "");
    }
    KdpPrint("Authentication ID:         (%x,%x)\n", (ULONG)token.AuthenticationId.HighPart,
             token.AuthenticationId.LowPart);
    KdpPrint("Impersonation Level:       %s\n", KdpLevelName(token.ImpersonationLevel));
    KdpPrint("TokenType:                 %s\n",
             token.TokenType == TokenPrimary ? "Primary" : "Impersonation");
    memcpy(source, token.TokenSource.SourceName, TOKEN_SOURCE_LENGTH);
    source[TOKEN_SOURCE_LENGTH] = '\0';
    for (ULONG i = 0; i < TOKEN_SOURCE_LENGTH; i++) {
        if (source[i] && (source[i] < ' ' || source[i] > '~'))
            source[i] = '.';
    }
    KdpPrint("Source: %-19s TokenFlags: %s\n", source,
             token.TokenInUse ? "( Token in use )" : "( )");
    KdpPrint("Token ID: %-17x ParentToken ID: %x\n", token.TokenId.LowPart,
             token.ParentTokenId.LowPart);
    KdpPrint("Modified ID:               (%x, %x)\n", (ULONG)token.ModifiedId.HighPart,
             token.ModifiedId.LowPart);
}

// `!token`: the current thread's effective token; `!token ADDR`: that one.
static KD_COMMAND_RESULT KdpToken(int argc, char **argv)
{
    ULONG64 address = 0, thread, process, token = 0;

    if (argc > 2) {
        KdpPrint("Usage: !token [address]\n");
        return KdCommandContinue;
    }
    if (argc == 2 && !KdpGetValue(argv[1], &address))
        return KdCommandContinue;
    if (address) {
        KdpPrintToken(address);
        return KdCommandContinue;
    }
    thread = KdpImplicitThread();
    if (!thread || !KdpReadMemory(thread + FIELD_OFFSET(ETHREAD, ImpersonationToken), &token,
                                  sizeof(token))) {
        KdpPrint("No current thread\n");
        return KdCommandContinue;
    }
    if (!token) {
        KdpPrint("Thread is not impersonating. Using process token...\n");
        if (!KdpReadMemory(thread + FIELD_OFFSET(ETHREAD, ThreadsProcess), &process,
                           sizeof(process)) ||
            !KdpReadMemory(process + FIELD_OFFSET(EPROCESS, Token), &token, sizeof(token))) {
            KdpPrint("The thread's process cannot be read\n");
            return KdCommandContinue;
        }
        if (!token) {
            KdpPrint("Process %016llx has no token\n", (unsigned long long)process);
            return KdCommandContinue;
        }
    }
    KdpPrintToken(token);
    return KdCommandContinue;
}

void KdpPrintImpersonation(const ETHREAD *thread, ULONG indent)
{
    ULONG64 token = (ULONG64)(ULONG_PTR)thread->ImpersonationToken;
    SECURITY_IMPERSONATION_LEVEL level;

    if (!token) {
        KdpPrint("%*sNot impersonating\n", (int)indent, "");
        return;
    }
    if (!KdpReadMemory(token + FIELD_OFFSET(TOKEN, ImpersonationLevel), &level, sizeof(level))) {
        KdpPrint("%*sImpersonation token:  %016llx (unreadable)\n", (int)indent, "",
                 (unsigned long long)token);
        return;
    }
    KdpPrint("%*sImpersonation token:  %016llx (Level %s)\n", (int)indent, "",
             (unsigned long long)token, KdpLevelName(level));
}

const KD_COMMAND KdpTokenCommands[] = {
    { "!token", KdpToken, "!token [address]",
      "a security token: user, groups, privileges, type and level (default: the current "
      "thread's)" },
    { "!sd", KdpSecurityDescriptor, "!sd address [1]",
      "a security descriptor: control, owner, group, DACL and SACL with every ACE (1: "
      "names of well-known SIDs); !object shows an object's" },
    { NULL, NULL, NULL, NULL },
};
